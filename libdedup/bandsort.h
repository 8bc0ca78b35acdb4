/*
 * bandsort.h - the candidate stage of batch clustering: per-band sorted
 * runs of (band hash, document) keys, and sets of candidate pairs. Internal.
 *
 * A band key packs the top 32 bits of a document's band hash above its
 * 32-bit position: key = hash32 << 32 | doc. Sorting keys as plain 64-bit
 * integers groups equal band hashes into runs with their documents in
 * increasing order, so a sorted key array from another machine (same band,
 * other documents) merges with dedup__band_merge and walks the same way.
 * Truncating the hash to 32 bits only adds chance collisions (about
 * n^2 / 2^33 pairs per band: ~120 at a million documents), which
 * verification removes.
 *
 * Candidate pairs are packed a << 32 | b with a < b (see uf.h), kept as
 * sorted arrays without duplicates so that the sets found for different
 * bands, threads or machines merge by a linear merge.
 */
#ifndef DEDUP_BANDSORT_H
#define DEDUP_BANDSORT_H

#include "common.h"
#include "signature.h"

/* Runs of equal band hash up to this length give every pair inside them. */
#define DEDUP__RUN_FULL 32
/* Longer runs: each member is paired with the first DEDUP__RUN_LEADERS
 * members and with its predecessor (see bandsort.c for the trade-off). */
#define DEDUP__RUN_LEADERS 4

/* A read-only view of n signatures stored stride bytes apart, all with the
 * same k. */
typedef struct dedup__sigtab {
    const unsigned char *base;
    size_t stride;
    size_t n;
} dedup__sigtab;

static inline const dedup_signature *dedup__sigtab_get(const dedup__sigtab *t, size_t i)
{
    return (const dedup_signature *)(const void *)(t->base + i * t->stride);
}

/* A growable array of 64-bit values (band keys or packed pairs). */
typedef struct dedup__u64vec {
    uint64_t *v;
    size_t n, cap;
} dedup__u64vec;

DEDUP_INTERNAL void dedup__u64vec_release(dedup__u64vec *a);

/* Write the band key of every non-empty document of t (in position order,
 * positions offset by first_doc) for band `band` of `rows` rows to keys,
 * which has room for t->n keys. Empty documents get no key: they never
 * become candidates. Returns the number of keys written. */
DEDUP_INTERNAL size_t dedup__band_keys(uint64_t *keys, const dedup__sigtab *t,
                                       uint32_t first_doc, unsigned band, unsigned rows,
                                       uint64_t seed);

/* The same for nb consecutive bands band0 .. band0 + nb - 1 in one pass
 * over the signatures, band band0 + j into keys[j]. Reading the signatures
 * is the cost of this stage (one cache miss per document and pass), and
 * neighbouring bands usually share a cache line. */
DEDUP_INTERNAL size_t dedup__band_keys_group(uint64_t *const *keys, const dedup__sigtab *t,
                                             uint32_t first_doc, unsigned band0,
                                             unsigned nb, unsigned rows, uint64_t seed);

/* Stable LSD radix sort of n keys on bits [lo_bit, 64), 8 bits per pass,
 * skipping passes in which every key has the same digit. tmp holds n keys.
 * The result is in keys. Keys made by dedup__band_keys are produced in
 * document order, so sorting them from bit 32 sorts them completely. */
DEDUP_INTERNAL void dedup__radix_sort(uint64_t *keys, uint64_t *tmp, size_t n,
                                      unsigned lo_bit);

/* Merge two sorted key arrays of one band into out (na + nb keys). */
DEDUP_INTERNAL void dedup__band_merge(uint64_t *out, const uint64_t *a, size_t na,
                                      const uint64_t *b, size_t nb);

/* Walk the runs of equal band hash in n sorted keys and append candidate
 * pairs to out (unsorted; a pair appears once per band). DEDUP_OK or
 * DEDUP_E_NOMEM (out keeps what it had, possibly more). */
DEDUP_INTERNAL int dedup__band_pairs(dedup__u64vec *out, const uint64_t *keys, size_t n);

/* Sort a->v and drop duplicates; *tmp / *tmp_cap is a scratch buffer the
 * caller owns and frees. DEDUP_OK or DEDUP_E_NOMEM (a unchanged). */
DEDUP_INTERNAL int dedup__pairs_sort_unique(dedup__u64vec *a, uint64_t **tmp,
                                            size_t *tmp_cap);

/* acc := acc union (sorted, duplicate-free) b[0..nb). acc must be sorted
 * and duplicate-free. DEDUP_OK or DEDUP_E_NOMEM (acc unchanged). */
DEDUP_INTERNAL int dedup__pairs_merge_unique(dedup__u64vec *acc, const uint64_t *b,
                                             size_t nb);

#endif
