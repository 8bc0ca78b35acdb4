/*
 * lsh.h - banding of MinHash signatures. Internal.
 */
#ifndef DEDUP_LSH_H
#define DEDUP_LSH_H

#include "common.h"
#include "params.h"

/* Hash of band b, the rows values at v, under seed. */
static inline uint64_t dedup__band_hash_of(const uint32_t *v, unsigned b, unsigned rows,
                                           uint64_t seed)
{
    uint64_t h = seed ^ (0x9e3779b97f4a7c15ULL * (b + 1));
    for (unsigned i = 0; i < rows; i++)
        h = (h ^ v[i]) * 0x100000001b3ULL + 0x2545f4914f6cdd1dULL;
    return dedup__mix64(h) >> 1;
}

/* Hash of band b (rows values starting at values[b * rows]) of a signature.
 * The same on every platform. Documents sharing a band hash are candidates.
 * The top bit is cleared so that callers may use it as a marker. */
static inline uint64_t dedup__band_hash(const uint32_t *values, unsigned b, unsigned rows,
                                        uint64_t seed)
{
    return dedup__band_hash_of(values + (size_t)b * rows, b, rows, seed);
}

/*
 * Band layout of a signature with lead values: bands [0, bands) take rows
 * values each from the k values, bands [bands, bands + lead bands) take
 * DEDUP__LEAD_ROWS values each from the lead values at values[k]. Offset,
 * in values, of band b's first value and its number of values.
 */
static inline size_t dedup__band_first(unsigned b, unsigned bands, unsigned rows, uint32_t k)
{
    return b < bands ? (size_t)b * rows : (size_t)k + (size_t)(b - bands) * DEDUP__LEAD_ROWS;
}

static inline unsigned dedup__band_rows(unsigned b, unsigned bands, unsigned rows)
{
    return b < bands ? rows : DEDUP__LEAD_ROWS;
}

/* Hash of band b of values laid out as above. */
static inline uint64_t dedup__band_hash_at(const uint32_t *values, unsigned b, unsigned bands,
                                           unsigned rows, uint32_t k, uint64_t seed)
{
    return dedup__band_hash_of(values + dedup__band_first(b, bands, rows, k), b,
                               dedup__band_rows(b, bands, rows), seed);
}

/* Probability that two documents of Jaccard similarity s share at least one
 * of bands bands of rows rows: 1 - (1 - s^rows)^bands. */
DEDUP_INTERNAL double dedup__lsh_probability(double s, unsigned bands, unsigned rows);

/* The Jaccard similarity below which the candidate stage may miss pairs:
 * the threshold itself for Jaccard; for containment c with sizes up to
 * ratio R apart, c / (R + 1 - c), the Jaccard of such a pair. */
DEDUP_INTERNAL double dedup__lsh_jaccard_floor(dedup_measure m, double threshold,
                                               unsigned max_ratio);

#endif
