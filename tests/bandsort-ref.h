/*
 * bandsort-ref.h - plain reference forms of the pair stage of batch
 * clustering (libdedup/bandsort.c), for the tests: the keys of one band,
 * the merge of sorted key arrays, the candidate pairs of every run, and
 * sets of pairs. The library's fast paths are checked against them; they
 * are not part of the library.
 */
#ifndef DEDUP_BANDSORT_REF_H
#define DEDUP_BANDSORT_REF_H

#include "bandsort.h"

/* A growable array of 64-bit values (pairs or band keys). */
typedef struct dedup__u64vec {
    uint64_t *v;
    size_t n, cap;
} dedup__u64vec;

void dedup__u64vec_release(dedup__u64vec *a);

/* A verified pair and its similarity. */

/* Write the sort key of every non-empty document of t for band `band` (in
 * position order, positions offset by first_doc) to keys, which has room
 * for t->n keys. Empty documents get no key: they never become
 * candidates. Returns the number of keys written. */
size_t dedup__band_keys(uint64_t *keys, const dedup__rectab *t,
                                       uint32_t first_doc, unsigned band);

/* Merge two sorted key arrays of one band into out (na + nb keys). */
void dedup__band_merge(uint64_t *out, const uint64_t *a, size_t na,
                                      const uint64_t *b, size_t nb);

/* Walk the runs of equal band key in n sorted keys and append the
 * candidate pairs of every run to out (unsorted; a pair appears once per
 * band; documents agreeing only by a key collision are included, the
 * caller filters them). DEDUP_OK or DEDUP_E_NOMEM (out keeps what it had,
 * possibly more). */
int dedup__band_pairs(dedup__u64vec *out, const uint64_t *keys, size_t n);

/* Sort a->v and drop duplicates; *tmp / *tmp_cap is a scratch buffer the
 * caller owns and frees. DEDUP_OK or DEDUP_E_NOMEM (a unchanged). */
int dedup__pairs_sort_unique(dedup__u64vec *a, uint64_t **tmp,
                                            size_t *tmp_cap);

/* acc := acc union (sorted, duplicate-free) b[0..nb). acc must be sorted
 * and duplicate-free. DEDUP_OK or DEDUP_E_NOMEM (acc unchanged). */
int dedup__pairs_merge_unique(dedup__u64vec *acc, const uint64_t *b,
                                             size_t nb);

#endif
