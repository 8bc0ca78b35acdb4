/*
 * shingle.c - sets of hashed shingles.
 *
 * A shingle is n consecutive tokens; its hash combines the n token hashes
 * in order (rotated token hashes combined by XOR, which makes the
 * combination rolling, then a 64-bit mixer), so no text
 * is hashed twice. Repeated shingles are dropped with an open-addressing
 * table sized to twice the number of shingles; the set keeps the order of
 * first appearance. A text with fewer than n tokens gives a single shingle
 * of all its tokens, so that short texts still have a signature; no tokens
 * give the empty set.
 */
#include "tokenize.h"

void dedup__shingler_release(dedup_shingler *sh)
{
    dedup__free(sh->set);
    dedup__free(sh->table);
    sh->set = sh->table = NULL;
    sh->set_cap = sh->table_cap = 0;
}

/* Rotation applied to the j-th token of a shingle: 17 j mod 64, distinct
 * for j < 16 (the largest shingle size). */
static inline uint64_t rotl(uint64_t x, unsigned r)
{
    r &= 63;
    return r ? (x << r | x >> (64 - r)) : x;
}

/* The unmixed combination: XOR of the token hashes, token j rotated by
 * 17 j bits. XOR makes it rolling: the next shingle's value follows from
 * this one with two rotations and three XORs, whatever n is. */
static inline uint64_t combine(const dedup_token *tokens, size_t n)
{
    uint64_t h = 0;
    for (size_t j = 0; j < n; j++)
        h ^= rotl(tokens[j].hash, (unsigned)(17 * j));
    return h;
}

/* Finish a combination: the mixer gives every output bit a dependence on
 * every input bit; the length keeps shingles of different sizes apart. */
static inline uint64_t finish(uint64_t h, size_t n)
{
    h = dedup__mix64(h ^ (0x243f6a8885a308d3ULL + n));
    /* 0 marks an empty table slot; remap it (probability 2^-64). */
    return h ? h : 0x5851f42d4c957f2dULL;
}

uint64_t dedup__shingle_hash(const dedup_token *tokens, size_t n)
{
    return finish(combine(tokens, n), n);
}

int dedup__shingle(dedup_shingler *sh, const dedup_token *tokens, size_t ntokens, unsigned n)
{
    sh->nset = 0;
    if (ntokens == 0)
        return DEDUP_OK;
    size_t count = ntokens >= n ? ntokens - n + 1 : 1;
    size_t span = ntokens >= n ? n : ntokens;
    void *b = sh->set;
    if (dedup__grow(&b, &sh->set_cap, count, sizeof(uint64_t)) != DEDUP_OK)
        return DEDUP_E_NOMEM;
    sh->set = b;
    size_t tcap = 16;
    while (tcap < count * 2)
        tcap *= 2;
    if (sh->table_cap < tcap) {
        uint64_t *t = dedup__malloc(tcap * sizeof(uint64_t));
        if (!t)
            return DEDUP_E_NOMEM;
        dedup__free(sh->table);
        sh->table = t;
        sh->table_cap = tcap;
    }
    /* Use a table about twice the set size even when a larger one is
     * allocated, so that clearing it costs O(count). */
    uint64_t *table = sh->table;
    memset(table, 0, tcap * sizeof(uint64_t));
    size_t mask = tcap - 1;
    uint64_t roll = combine(tokens, span);
    const unsigned last_rot = (unsigned)(17 * (span - 1));
    for (size_t i = 0; i < count; i++) {
        if (i) /* drop token i-1, shift the others down, add token i+span-1 */
            roll = rotl(roll ^ tokens[i - 1].hash, 64 - 17) ^
                   rotl(tokens[i + span - 1].hash, last_rot);
        uint64_t h = finish(roll, span);
        size_t pos = (size_t)(h >> 20) & mask;
        for (;;) {
            if (table[pos] == 0) {
                table[pos] = h;
                sh->set[sh->nset++] = h;
                break;
            }
            if (table[pos] == h)
                break;
            pos = (pos + 1) & mask;
        }
    }
    return DEDUP_OK;
}
