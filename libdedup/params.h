/*
 * params.h - the parameters object and the derived settings every stage
 * reads. Internal.
 */
#ifndef DEDUP_PARAMS_H
#define DEDUP_PARAMS_H

#include "common.h"

#define DEDUP__PARAM_MAX 18 /* one past the largest key */

struct dedup_params {
    int64_t ival[DEDUP__PARAM_MAX];
    double threshold;
};

/* DEDUP_P_QUOTES by default: statements between double or single marks
 * (hasher.c, next_quotation). Files written before rule 2 hold 1. */
#define DEDUP__QUOTES_DEFAULT 2

/* Rows of a lead band (DEDUP_P_LEAD_BANDS), whatever the main bands' rows. */
#define DEDUP__LEAD_ROWS 2

/* Number of lead values a signature made with p holds. */
static inline uint32_t dedup__params_nlead(const dedup_params *p)
{
    return (uint32_t)p->ival[DEDUP_P_LEAD_BANDS] * DEDUP__LEAD_ROWS;
}

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

/*
 * Parameters as tagged records, as index files store them: a record is
 * DEDUP__PARAM_RECORD bytes, little-endian:
 *   u32 key      the dedup_param number
 *   u32 flags    bit 0: the value is a real (IEEE 754 binary64 bits), else
 *                an int64; bit 1: a reader that does not know the key may
 *                ignore the record (the value means what files without the
 *                key meant); the other bits 0
 *   u64 value
 * A key added later needs no new file format: a file written before it
 * lacks its record and reads as the behaviour of that time, and a writer
 * marks the record ignorable when the value keeps that behaviour, so older
 * readers still load such files and refuse only those they would misread.
 */
#define DEDUP__PARAM_RECORD 16u

/* Write a record for every key to out (room for DEDUP__PARAM_RECORDS_MAX
 * records) and return how many. */
#define DEDUP__PARAM_RECORDS_MAX 64u
DEDUP_INTERNAL uint32_t dedup__params_to_records(const dedup_params *p, unsigned char *out);

/* Read n records into p: DEDUP_OK; DEDUP_E_VERSION for a key this library
 * does not know and may not ignore; DEDUP_E_FORMAT for a repeated key, a
 * wrong type, unknown flag bits, a value out of bounds, a missing key that
 * every file holds, or parameters that do not fit together. */
DEDUP_INTERNAL int dedup__params_from_records(const unsigned char *in, uint32_t n,
                                              dedup_params *p);

#endif
