/*
 * shingle.c - sets of hashed shingles.
 *
 * A shingle is n consecutive tokens; its hash combines the n token hashes
 * in order (a sum of rotated token hashes finished by a 64-bit mixer), so no text
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

uint64_t dedup__shingle_hash(const dedup_token *tokens, size_t n)
{
    /* Token j is rotated by 17 j bits before the combination, so order
     * matters; the sum of independent terms keeps the CPU's multipliers
     * free for the final mixer, which gives every output bit a dependence
     * on every input bit. */
    uint64_t h = 0x243f6a8885a308d3ULL ^ n;
    for (size_t j = 0; j < n; j++) {
        unsigned r = (unsigned)((17 * j) & 63);
        uint64_t t = tokens[j].hash;
        h += r ? (t << r | t >> (64 - r)) : t;
    }
    h = dedup__mix64(h);
    /* 0 marks an empty table slot; remap it (probability 2^-64). */
    return h ? h : 0x5851f42d4c957f2dULL;
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
    for (size_t i = 0; i < count; i++) {
        uint64_t h = dedup__shingle_hash(tokens + i, span);
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
