/*
 * batch.h - batch clustering of a whole corpus of signatures. Internal.
 *
 * dedup_batch_cluster runs two stages, declared here separately so that
 * benchmarks can time them and a distributed version can replace either:
 *   1. pairs (bandsort.c): per band, sorted runs of band keys propose
 *      candidate pairs, and each candidate is verified on the spot against
 *      the threshold; only the verified pairs are kept, never the set of
 *      candidates;
 *   2. assignment: verified pairs become clusters, by union-find (uf.h) or
 *      by the representative rule.
 */
#ifndef DEDUP_BATCH_H
#define DEDUP_BATCH_H

#include "bandsort.h"
#include "params.h"
#include "signature.h"
#include "uf.h"

struct dedup_batch {
    dedup_params params;
    uint64_t fingerprint;
    uint64_t seed;
    uint32_t k;
    /* bands: every band, main_bands of rows values from the k values, then
     * lead bands over the nlead lead values (lsh.h's layout). */
    unsigned bands, main_bands, rows;
    uint32_t nlead;
    dedup_measure measure;
    dedup_cluster_mode mode;
    double threshold;
    double min_shared; /* DEDUP_P_MIN_SHARED */
    /* Stored values: bits per MinHash value (8, 16 or 32) and bytes. */
    unsigned value_bits, value_bytes;
    /* jtab[m]: the Jaccard estimate of m equal stored values out of k;
     * m_min: the smallest m whose estimate reaches the threshold. */
    double *jtab;
    uint32_t m_min;
    /* count records of rec_size bytes each, back to back: the set size,
     * the band keys, then the k + nlead stored values (see batch.c). */
    unsigned char *recs;
    size_t rec_size, val_off;
    size_t count, cap;
};

struct dedup_clusters {
    size_t n;
    size_t count;
    uint32_t *cluster; /* cluster[i]: first document of i's cluster */
    uint32_t *size;    /* size[r] for a first document r; 0 elsewhere */
    uint32_t *first;   /* first[r]: where r's documents start in members */
    uint32_t *members; /* the documents of each cluster, in input order */
    double *sim;       /* similarity to the matched document */
    size_t candidates; /* candidate pairs compared */
    size_t verified;   /* distinct pairs at or above the threshold */
};

/* Bits kept per MinHash value by dedup_batch_create (see batch.c for the
 * accuracy this costs). */
#define DEDUP__BATCH_VALUE_BITS 8

/* dedup_batch_create keeping value_bits (8, 16 or 32) bits per MinHash
 * value; 32 keeps the values themselves and gives the estimates of
 * dedup_signature_jaccard exactly. DEDUP_E_RANGE for another width. */
DEDUP_INTERNAL int dedup__batch_create_bits(dedup_batch **out, const dedup_params *p,
                                            unsigned value_bits);

/* The records of b as a table for the candidate stage. */
DEDUP_INTERNAL dedup__rectab dedup__batch_table(const dedup_batch *b);

/* Estimated similarity of documents i and j of b under b's measure, from
 * the stored values: what verification compares with the threshold. */
DEDUP_INTERNAL double dedup__batch_similarity(const dedup_batch *b, size_t i, size_t j);

/* 1 if documents i and j of b agree on band `band` (equal band keys and
 * equal stored values in the band's rows), else 0. */
DEDUP_INTERNAL int dedup__batch_band_agree(const dedup_batch *b, size_t i, size_t j,
                                           unsigned band);

/*
 * Stage 1: the verified pairs of b (dedup__pair_stage in bandsort.c over
 * the view dedup__batch_view gives), found with up to nthreads threads,
 * into *out (empty on entry; sorted by pair, one edge per pair, each with
 * its similarity; released by the caller with dedup__edgevec_release on
 * success, left empty on failure). st (may be NULL) receives the figures.
 * DEDUP_OK, DEDUP_E_NOMEM or DEDUP_E_TOOBIG.
 */
DEDUP_INTERNAL int dedup__batch_pairs(const dedup_batch *b, unsigned nthreads,
                                      dedup__edgevec *out, dedup__pair_stats *st);

/* What the pair stage reads of b, over its own records. */
DEDUP_INTERNAL dedup__pair_view dedup__batch_view(const dedup_batch *b);

/* Stage 2: clusters of b's documents from n verified edges sorted by
 * pair, under b's cluster mode. *out is the caller's. DEDUP_OK or
 * DEDUP_E_NOMEM (*out NULL). */
DEDUP_INTERNAL int dedup__batch_assign(const dedup_batch *b, const dedup__edge *edges,
                                       size_t n, dedup_clusters **out);

#endif
