/*
 * batch.h - batch clustering of a whole corpus of signatures. Internal.
 *
 * dedup_batch_cluster runs three stages, declared here separately so that
 * benchmarks can time them and a distributed version can replace any of
 * them:
 *   1. candidates: per band, sorted runs of band keys give candidate pairs
 *      (bandsort.h); the pairs of all bands are merged into one sorted,
 *      duplicate-free array;
 *   2. verification: each candidate pair is compared on its full
 *      signatures under the measure; pairs below the threshold are dropped;
 *   3. assignment: verified pairs become clusters, by union-find (uf.h) or
 *      by the representative rule.
 */
#ifndef DEDUP_BATCH_H
#define DEDUP_BATCH_H

#include "bandsort.h"
#include "params.h"
#include "uf.h"

struct dedup_batch {
    dedup_params params;
    uint64_t fingerprint;
    uint32_t k;
    unsigned bands, rows;
    dedup_measure measure;
    dedup_cluster_mode mode;
    double threshold;
    /* count signatures of slot bytes each, stored back to back so that
     * bands read them as one stream; each slot is a dedup_signature. */
    unsigned char *slots;
    size_t slot;
    size_t count, cap;
};

struct dedup_clusters {
    size_t n;
    size_t count;
    uint32_t *cluster; /* cluster[i]: first document of i's cluster */
    uint32_t *size;    /* size[r] for a first document r; 0 elsewhere */
    double *sim;       /* similarity to the matched document */
    size_t candidates; /* candidate pairs found by banding */
    size_t verified;   /* candidate pairs at or above the threshold */
};

/* The signatures of b as a table for the candidate stage. */
DEDUP_INTERNAL dedup__sigtab dedup__batch_table(const dedup_batch *b);

/* Stage 1: the sorted, duplicate-free candidate pairs of b, found with up
 * to nthreads threads, into *out (empty on entry; released by the caller
 * on success and left empty on failure). DEDUP_OK, DEDUP_E_NOMEM,
 * DEDUP_E_TOOBIG. */
DEDUP_INTERNAL int dedup__batch_candidates(const dedup_batch *b, unsigned nthreads,
                                           dedup__u64vec *out);

/* Stage 2: keep the pairs of *pairs whose similarity reaches the threshold
 * (order kept), and set *sims to a new array of their similarities
 * (dedup__free'd by the caller). DEDUP_OK or DEDUP_E_NOMEM (*pairs
 * unchanged, *sims NULL). */
DEDUP_INTERNAL int dedup__batch_verify(const dedup_batch *b, unsigned nthreads,
                                       dedup__u64vec *pairs, double **sims);

/* Stage 3: clusters of b's documents from sorted verified pairs and their
 * similarities, under b's cluster mode. *out is the caller's. DEDUP_OK or
 * DEDUP_E_NOMEM (*out NULL). */
DEDUP_INTERNAL int dedup__batch_assign(const dedup_batch *b, const uint64_t *pairs,
                                       const double *sims, size_t npairs,
                                       dedup_clusters **out);

#endif
