/*
 * shingle.c - sets of hashed shingles.
 *
 * A shingle is n consecutive tokens; its hash combines the n token hashes
 * in order (rotated token hashes combined by XOR, which makes the
 * combination rolling, then a 64-bit mixer), so no text
 * is hashed twice. Repeated shingles are dropped with an open-addressing
 * table at most a quarter full; the set keeps the order of
 * first appearance. A text with fewer than n tokens gives a single shingle
 * of all its tokens, so that short texts still have a signature; no tokens
 * give the empty set.
 *
 * Numbers. Each number of the text (a run of tokens of ASCII digits, so
 * that "3,772" and "8.2" count as one) also enters the set, as
 * DEDUP__NUMBER_WEIGHT members drawn from its digits. Figures, amounts and
 * dates are what most often tells two stories written from the same mould
 * apart ("... could affect 3,772 people" against "... 14,348 people"),
 * and what a rewritten copy keeps when its wording changes; a word
 * shingle gives a number no more weight than the words around it. On the
 * generated briefs (under 60 words; copies reworded sentence by sentence)
 * weight 4 raised pairwise recall from 0.905-0.908 to 0.926-0.929 and
 * precision from 0.978-0.983 to 0.982-0.987 (hash seeds 0-3); on the
 * Reuters-based corpus, financial news full of figures, recall from 0.833
 * to 0.880 and precision from 0.852 to 0.869; the English and boilerplate
 * pages moved by less than 0.001. Weights 6 and 8 gained recall on the
 * briefs at a cost in precision there (0.981 and 0.979 in an emulation)
 * and were not kept. Numbers are found by the tokenizer
 * (dedup_tokenizer.numbers) as it hashes the tokens.
 */
#include "tokenize.h"

void dedup__shingler_release(dedup_shingler *sh)
{
    dedup__free(sh->set);
    dedup__free(sh->table);
    dedup__free(sh->pos);
    sh->set = sh->table = NULL;
    sh->pos = NULL;
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

/* Prepare sh for up to count distinct values: the set and slot arrays and
 * a table of at least four times count entries, all zero (the table is
 * left that way by every call: see clear). Returns the table mask, or 0
 * when memory ran out (or past 2^31 values). */
static size_t prepare(dedup_shingler *sh, size_t count)
{
    if (count > ((size_t)1 << 31))
        return 0;
    size_t cap = sh->set_cap;
    void *b = sh->set;
    if (dedup__grow(&b, &cap, count, sizeof(uint64_t)) != DEDUP_OK)
        return 0;
    sh->set = b;
    if (cap != sh->set_cap || !sh->pos) {
        uint32_t *pos = dedup__malloc(cap * sizeof *pos);
        if (!pos)
            return 0; /* set_cap unchanged: the next call grows pos again */
        dedup__free(sh->pos);
        sh->pos = pos;
        sh->set_cap = cap;
    }
    /* A quarter full at most: most probes end at the first slot, which
     * keeps the insertion loop's branch predictable. */
    size_t tcap = 16;
    while (tcap < count * 4)
        tcap *= 2;
    if (sh->table_cap < tcap) {
        uint64_t *t = dedup__calloc(tcap, sizeof(uint64_t));
        if (!t)
            return 0;
        dedup__free(sh->table);
        sh->table = t;
        sh->table_cap = tcap;
    }
    /* A table about four times the set size even when a larger one is
     * allocated: the probes stay within the slots clear() empties. */
    return tcap - 1;
}

/* Empty the slots the set took, so that the table is all zero for the next
 * call without clearing four slots per value. */
static void clear(dedup_shingler *sh)
{
    for (size_t i = 0; i < sh->nset; i++)
        sh->table[sh->pos[i]] = 0;
}

/* Add h (non-zero) to the set unless present. */
static inline void insert(dedup_shingler *sh, size_t mask, uint64_t h)
{
    uint64_t *table = sh->table;
    size_t pos = (size_t)(h >> 20) & mask;
    while (table[pos] != 0 && table[pos] != h)
        pos = (pos + 1) & mask;
    /* Branch-free from here: whether h is new is data, not control flow
     * (repeated shingles are common, and a mispredicted branch costs more
     * than the two stores). */
    size_t fresh = table[pos] == 0;
    table[pos] = h;
    sh->set[sh->nset] = h;
    sh->pos[sh->nset] = (uint32_t)pos;
    sh->nset += fresh;
}

int dedup__shingle(dedup_shingler *sh, const dedup_token *tokens, size_t ntokens, unsigned n,
                   const uint64_t *numbers, size_t nnumbers)
{
    sh->nset = 0;
    if (ntokens == 0)
        return DEDUP_OK;
    size_t count = ntokens >= n ? ntokens - n + 1 : 1;
    size_t span = ntokens >= n ? n : ntokens;
    size_t mask = prepare(sh, count + nnumbers * DEDUP__NUMBER_WEIGHT);
    if (!mask)
        return DEDUP_E_NOMEM;
    uint64_t roll = combine(tokens, span);
    const unsigned last_rot = (unsigned)(17 * (span - 1));
    for (size_t i = 0; i < count; i++) {
        if (i) /* drop token i-1, shift the others down, add token i+span-1 */
            roll = rotl(roll ^ tokens[i - 1].hash, 64 - 17) ^
                   rotl(tokens[i + span - 1].hash, last_rot);
        insert(sh, mask, finish(roll, span));
    }
    /* Each number, DEDUP__NUMBER_WEIGHT members; the length 0 keeps them
     * apart from every shingle. See the file comment. */
    for (size_t i = 0; i < nnumbers; i++)
        for (unsigned w = 1; w <= DEDUP__NUMBER_WEIGHT; w++)
            insert(sh, mask, finish(numbers[i] + w * 0x9e3779b97f4a7c15ULL, 0));
    clear(sh);
    return DEDUP_OK;
}

int dedup__shingle_distinct(dedup_shingler *sh, const uint64_t *hashes, size_t n)
{
    sh->nset = 0;
    if (n == 0)
        return DEDUP_OK;
    size_t mask = prepare(sh, n);
    if (!mask)
        return DEDUP_E_NOMEM;
    /* Values are arbitrary here: remix them for the table position and
     * keep 0 apart, but store the values themselves. */
    int zero = 0;
    uint64_t *table = sh->table;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = hashes[i];
        if (v == 0) {
            if (!zero)
                sh->set[sh->nset++] = 0;
            zero = 1;
            continue;
        }
        size_t pos = (size_t)dedup__mix64(v) & mask;
        for (;;) {
            if (table[pos] == 0) {
                table[pos] = v;
                sh->pos[sh->nset] = (uint32_t)pos;
                sh->set[sh->nset++] = v;
                break;
            }
            if (table[pos] == v)
                break;
            pos = (pos + 1) & mask;
        }
    }
    /* The value 0 took no slot (its pos entry means nothing): empty the
     * slots of the others only. */
    if (zero) {
        for (size_t i = 0; i < sh->nset; i++)
            if (sh->set[i] != 0)
                sh->table[sh->pos[i]] = 0;
        return DEDUP_OK;
    }
    clear(sh);
    return DEDUP_OK;
}
