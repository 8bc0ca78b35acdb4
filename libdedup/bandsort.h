/*
 * bandsort.h - the pieces of the pair stage of batch clustering: per-band
 * sorted runs of (band key, document) pairs, the structure of runs, and
 * sets of pairs. Internal.
 *
 * A document's band key for band j is the top 32 bits of its band hash
 * (lsh.h), computed once when the document is stored. A sort key packs it
 * above the document's 32-bit position: key = band_key << 32 | doc.
 * Sorting sort keys as plain 64-bit integers groups equal band keys into
 * runs with their documents in increasing order, so a sorted key array
 * from another machine (same band, other documents) merges with
 * dedup__band_merge and walks the same way. Truncating the hash to 32 bits
 * adds chance collisions (about n^2 / 2^33 pairs per band: ~120 at a
 * million documents); the callers compare the band's values to tell them
 * from real agreement.
 *
 * Which pairs of a run are candidates is fixed here (dedup__band_pairs
 * lists them; the pair stage, dedup__batch_pairs in bandsort.c, walks the
 * same pairs without listing them): every pair of a run of up to
 * DEDUP__RUN_FULL members, and in a longer run each member with the first
 * DEDUP__RUN_LEADERS members and with its predecessor.
 *
 * Pairs are packed a << 32 | b with a < b (see uf.h), kept as sorted
 * arrays without duplicates so that the sets found for different bands,
 * threads or machines merge by a linear merge; verified pairs travel with
 * their similarity as dedup__edge records.
 */
#ifndef DEDUP_BANDSORT_H
#define DEDUP_BANDSORT_H

#include <stdatomic.h>

#include "common.h"

/* Runs of equal band key up to this length give every pair inside them. */
#define DEDUP__RUN_FULL 32
/* Longer runs: each member is paired with the first DEDUP__RUN_LEADERS
 * members and with its predecessor (see bandsort.c for the trade-off). */
#define DEDUP__RUN_LEADERS 4

/*
 * A read-only view of n document records stored stride bytes apart. Each
 * record starts with the document's set size (uint64_t; 0 = empty
 * document) followed by its band keys, one uint32_t per band; batch.c
 * owns the rest of the layout.
 */
typedef struct dedup__rectab {
    const unsigned char *base;
    size_t stride;
    size_t n;
} dedup__rectab;

static inline const unsigned char *dedup__rec(const dedup__rectab *t, size_t i)
{
    return t->base + i * t->stride;
}

/* The set size of a record (its low 63 bits) and whether its shingles are
 * of characters (bit 63). */
#define DEDUP__REC_SIZE_MASK (~(uint64_t)0 >> 1)

static inline uint64_t dedup__rec_set_size(const unsigned char *rec)
{
    return *(const uint64_t *)(const void *)rec & DEDUP__REC_SIZE_MASK;
}

static inline int dedup__rec_chars(const unsigned char *rec)
{
    return (int)(*(const uint64_t *)(const void *)rec >> 63);
}

static inline const uint32_t *dedup__rec_keys(const unsigned char *rec)
{
    return (const uint32_t *)(const void *)(rec + sizeof(uint64_t));
}

/* A growable array of 64-bit values (sort keys or packed pairs). */
typedef struct dedup__u64vec {
    uint64_t *v;
    size_t n, cap;
} dedup__u64vec;

DEDUP_INTERNAL void dedup__u64vec_release(dedup__u64vec *a);

/* A verified pair and its similarity. */
typedef struct dedup__edge {
    uint64_t pair;
    double sim;
} dedup__edge;

typedef struct dedup__edgevec {
    dedup__edge *v;
    size_t n, cap;
} dedup__edgevec;

DEDUP_INTERNAL void dedup__edgevec_release(dedup__edgevec *a);

/* Write the sort key of every non-empty document of t for band `band` (in
 * position order, positions offset by first_doc) to keys, which has room
 * for t->n keys. Empty documents get no key: they never become
 * candidates. Returns the number of keys written. */
DEDUP_INTERNAL size_t dedup__band_keys(uint64_t *keys, const dedup__rectab *t,
                                       uint32_t first_doc, unsigned band);

/* The same for nb consecutive bands band0 .. band0 + nb - 1 in one pass
 * over the records, band band0 + j into keys[j]. Reading the records is
 * most of the cost (a cache line per document and pass), and neighbouring
 * bands' keys share a line. */
DEDUP_INTERNAL size_t dedup__band_keys_group(uint64_t *const *keys, const dedup__rectab *t,
                                             uint32_t first_doc, unsigned band0,
                                             unsigned nb);

/* Stable LSD radix sort of n keys on bits [lo_bit, 64), 8 bits per pass,
 * skipping passes in which every key has the same digit. tmp holds n keys.
 * The result is in keys. Keys made by dedup__band_keys are produced in
 * document order, so sorting them from bit 32 sorts them completely. */
DEDUP_INTERNAL void dedup__radix_sort(uint64_t *keys, uint64_t *tmp, size_t n,
                                      unsigned lo_bit);

/* Merge two sorted key arrays of one band into out (na + nb keys). */
DEDUP_INTERNAL void dedup__band_merge(uint64_t *out, const uint64_t *a, size_t na,
                                      const uint64_t *b, size_t nb);

/* Walk the runs of equal band key in n sorted keys and append the
 * candidate pairs of every run to out (unsorted; a pair appears once per
 * band; documents agreeing only by a key collision are included, the
 * caller filters them). DEDUP_OK or DEDUP_E_NOMEM (out keeps what it had,
 * possibly more). */
DEDUP_INTERNAL int dedup__band_pairs(dedup__u64vec *out, const uint64_t *keys, size_t n);

/*
 * One pass over the n sorted keys of band `band`: for every member of a
 * long run (more than DEDUP__RUN_FULL members) other than its leaders,
 * set bit `band` of its word in unsure (words_per_doc 64-bit words per
 * document position, atomically: threads scanning other bands set other
 * bits of the same words). Those are the documents some of whose pairs in
 * their run this band does not propose (dedup__band_pairs' rule); for any
 * other member x of a run, every pair (x, y) with a later member y is
 * proposed. The members of runs of two or more are copied, in order, to
 * multi (room for n keys; multi may be keys itself); singletons, which
 * propose nothing, are left out. Returns the number of keys copied.
 */
DEDUP_INTERNAL size_t dedup__band_scan(_Atomic uint64_t *unsure, size_t words_per_doc,
                                       unsigned band, uint64_t *multi, const uint64_t *keys,
                                       size_t n);

/* Bit `band` of document d's word in unsure (see dedup__band_scan). The
 * caller must make sure the band's scan happened before (a lock). */
static inline int dedup__unsure(_Atomic uint64_t *unsure, size_t words_per_doc, uint32_t d,
                                unsigned band)
{
    uint64_t w = atomic_load_explicit(&unsure[d * words_per_doc + band / 64],
                                      memory_order_relaxed);
    return (int)(w >> (band % 64) & 1);
}

/* Sort a->v and drop duplicates; *tmp / *tmp_cap is a scratch buffer the
 * caller owns and frees. DEDUP_OK or DEDUP_E_NOMEM (a unchanged). */
DEDUP_INTERNAL int dedup__pairs_sort_unique(dedup__u64vec *a, uint64_t **tmp,
                                            size_t *tmp_cap);

/* acc := acc union (sorted, duplicate-free) b[0..nb). acc must be sorted
 * and duplicate-free. DEDUP_OK or DEDUP_E_NOMEM (acc unchanged). */
DEDUP_INTERNAL int dedup__pairs_merge_unique(dedup__u64vec *acc, const uint64_t *b,
                                             size_t nb);

/* Sort the edges of a by pair and keep one edge per pair (the first of
 * equal pairs; callers give equal pairs equal similarities). *tmp /
 * *tmp_cap is a scratch buffer the caller owns and frees. DEDUP_OK or
 * DEDUP_E_NOMEM (a unchanged). */
DEDUP_INTERNAL int dedup__edges_sort_unique(dedup__edgevec *a, dedup__edge **tmp,
                                            size_t *tmp_cap);

#endif
