/*
 * lsh.c - choice of LSH bands and rows.
 *
 * Two documents of Jaccard similarity s become candidates with probability
 * P(s) = 1 - (1 - s^r)^b. For a threshold t we pick (b, r), b * r <= k, to
 * minimize w_fp * FP + w_fn * FN where FP is the area under P on [0, t]
 * (dissimilar pairs let through to verification) and FN the area above P on
 * [t, 1] (similar pairs missed), with equal weights by default.
 *
 * Under the containment measure the Jaccard threshold used is the lowest
 * Jaccard similarity a pair at the containment threshold t can have when
 * one set is up to max_size_ratio times the other: t / (R + 1 - t). With the
 * defaults (t = 0.40, R = 2, k = 128) that is 0.154, for which the choice is
 * 49 bands of 2 rows: a pair of Jaccard 0.2 becomes a candidate with
 * probability 0.87, 0.3 with 0.99, 0.4 with 0.9998.
 *
 * Measured on the generated corpora (20k documents each, threshold 0.45,
 * word 4-shingles), 32 x 2 and 64 x 2 gave the same recall within 0.002;
 * 42 x 3 lost 0.011 and 32 x 4 lost 0.10 on English copies, and 28 x 1 (r = 1:
 * any single shared value makes a candidate) gained nothing while costing
 * three times the candidate pairs of 32 x 2.
 */
#include <math.h>

#include "lsh.h"
#include "params.h"

double dedup__lsh_probability(double s, unsigned bands, unsigned rows)
{
    return 1.0 - pow(1.0 - pow(s, (double)rows), (double)bands);
}

/* Simpson's rule over [0, t] and [t, 1] with N (even) intervals each. */
#define N 200

/* Simpson weight of sample i of N + 1. */
static inline double simpson_w(int i)
{
    return (i == 0 || i == N) ? 1.0 : (i % 2 ? 4.0 : 2.0);
}

int dedup_lsh_choose(double t, unsigned k, double fp_weight, double fn_weight,
                     unsigned *bands, unsigned *rows)
{
    if (!bands || !rows || !(t > 0.0 && t <= 1.0) || k < 1 || !(fp_weight >= 0.0) ||
        !(fn_weight >= 0.0) || fp_weight + fn_weight <= 0.0)
        return DEDUP_E_INVAL;
    /* The work grows with k (k / r band counts for each r): bounded by the
     * largest signature, DEDUP_P_NUM_HASHES' maximum. */
    if (k > 1024)
        return DEDUP_E_RANGE;
    /* For each row count r the samples s^r are shared by every band count,
     * and (1 - s^r)^b = exp(b log(1 - s^r)): one exp per sample and (b, r)
     * instead of two pow calls. This runs at every index and batch
     * creation. */
    double lo[N + 1], hi[N + 1]; /* log(1 - s^r) on [0, t] and [t, 1] */
    const double hlo = t / N, hhi = (1.0 - t) / N;
    double best = INFINITY;
    unsigned bb = 1, br = k;
    for (unsigned r = 1; r <= k && r <= 64; r++) {
        for (int i = 0; i <= N; i++) {
            lo[i] = log1p(-pow(hlo * i, (double)r));
            hi[i] = log1p(-pow(t + hhi * i, (double)r)); /* -inf at s = 1 */
        }
        unsigned bmax = k / r;
        for (unsigned b = 1; b <= bmax; b++) {
            /* FP: area under P(s) = 1 - (1 - s^r)^b on [0, t]; FN: area
             * above it, i.e. under (1 - s^r)^b, on [t, 1]. */
            double fp = 0.0, fn = 0.0;
            for (int i = 0; i <= N; i++) {
                double w = simpson_w(i);
                fp += w * (1.0 - exp(b * lo[i]));
                fn += w * exp(b * hi[i]);
            }
            double err = fp_weight * fp * hlo / 3.0 + fn_weight * fn * hhi / 3.0;
            if (err < best - 1e-12) {
                best = err;
                bb = b;
                br = r;
            }
        }
    }
    *bands = bb;
    *rows = br;
    return DEDUP_OK;
}

double dedup__lsh_jaccard_floor(dedup_measure m, double threshold, unsigned max_ratio)
{
    if (m == DEDUP_MEASURE_JACCARD)
        return threshold;
    double r = max_ratio ? (double)max_ratio : 1.0;
    return threshold / (r + 1.0 - threshold);
}

void dedup__params_lsh(const dedup_params *p, unsigned *bands, unsigned *rows)
{
    unsigned k = (unsigned)p->ival[DEDUP_P_NUM_HASHES];
    unsigned b = (unsigned)p->ival[DEDUP_P_BANDS], r = (unsigned)p->ival[DEDUP_P_ROWS];
    if (b && r) {
        *bands = b;
        *rows = r;
        return;
    }
    double floor = dedup__lsh_jaccard_floor((dedup_measure)p->ival[DEDUP_P_MEASURE],
                                            p->threshold,
                                            (unsigned)p->ival[DEDUP_P_MAX_SIZE_RATIO]);
    unsigned cb, cr;
    dedup_lsh_choose(floor, k, 0.5, 0.5, &cb, &cr);
    if (b) { /* bands fixed, rows derived */
        cr = DEDUP_MAX(1u, k / b);
        cb = b;
    } else if (r) {
        cb = DEDUP_MAX(1u, k / r);
        cr = r;
    }
    *bands = cb;
    *rows = cr;
}

int dedup__params_prepare(const dedup_params **p, dedup_params *storage, unsigned *bands,
                          unsigned *rows)
{
    if (!*p) {
        dedup__params_defaults(storage);
        *p = storage;
    }
    int rc = dedup__params_validate(*p);
    if (rc)
        return rc;
    dedup__params_lsh(*p, bands, rows);
    uint64_t k = (uint64_t)(*p)->ival[DEDUP_P_NUM_HASHES];
    if (*bands == 0 || *rows == 0 || (uint64_t)*bands * *rows > k)
        return DEDUP_E_RANGE;
    return DEDUP_OK;
}

int dedup_params_lsh(const dedup_params *p, unsigned *bands, unsigned *rows)
{
    if (!p || !bands || !rows)
        return DEDUP_E_INVAL;
    return dedup__params_prepare(&p, NULL, bands, rows);
}
