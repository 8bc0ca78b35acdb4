/*
 * params.h - the parameters object and the derived settings every stage
 * reads. Internal.
 */
#ifndef DEDUP_PARAMS_H
#define DEDUP_PARAMS_H

#include "common.h"

#define DEDUP__PARAM_MAX 16 /* one past the largest key */

struct dedup_params {
    int64_t ival[DEDUP__PARAM_MAX];
    double threshold;
};

/* Fill p with every default. */
DEDUP_INTERNAL void dedup__params_defaults(dedup_params *p);

/* A 64-bit fingerprint of every parameter that changes a signature's values
 * (k, seed, shingle sizes, normalization, tokenization). Signatures with
 * different fingerprints cannot be compared. */
DEDUP_INTERNAL uint64_t dedup__params_fingerprint(const dedup_params *p);

/* Bands and rows in effect: the explicit values, or those derived from the
 * threshold and measure. */
DEDUP_INTERNAL void dedup__params_lsh(const dedup_params *p, unsigned *bands, unsigned *rows);

/* Checks that explicit bands * rows fits in k. */
DEDUP_INTERNAL int dedup__params_validate(const dedup_params *p);

/* What an index or a batch is built from: *p, or the defaults written to
 * *storage when *p is NULL (then *p points to storage), validated, and the
 * LSH shape in effect, checked to fit in k. DEDUP_OK or DEDUP_E_RANGE. */
DEDUP_INTERNAL int dedup__params_prepare(const dedup_params **p, dedup_params *storage,
                                         unsigned *bands, unsigned *rows);

#endif
