#include <math.h>
/*
 * signature.c - MinHash signatures: allocation, accessors and similarity
 * estimates.
 *
 * A signature holds k 32-bit MinHash values, the number of distinct
 * shingles it was made from (so that containment can be estimated as well
 * as Jaccard similarity) and a fingerprint of the parameters that produced
 * it, so that signatures made with different settings are never compared.
 * The empty document has set_size 0; it is similar to nothing, itself
 * included, so that empty and punctuation-only documents never cluster.
 */

#include "signature.h"

/* Value stored in every slot of an empty signature. */
#define EMPTY_VALUE UINT32_MAX

dedup_signature *dedup__signature_alloc(uint32_t k, uint32_t nlead, uint64_t fingerprint)
{
    dedup_signature *s = dedup__malloc(sizeof *s + ((size_t)k + nlead) * sizeof(uint32_t));
    if (!s)
        return NULL;
    s->fingerprint = fingerprint;
    s->k = k;
    s->nlead = nlead;
    s->pad_ = 0;
    dedup__signature_clear(s);
    return s;
}

void dedup__signature_clear(dedup_signature *sig)
{
    sig->set_size = 0;
    sig->chars = 0;
    for (uint32_t i = 0; i < sig->k + sig->nlead; i++)
        sig->values[i] = EMPTY_VALUE;
}

int dedup__signature_fill(dedup_signature *sig, const uint64_t *set, size_t n,
                          uint64_t seed)
{
    if (n == 0) {
        dedup__signature_clear(sig);
        return DEDUP_OK;
    }
    sig->set_size = n;
    int rc = dedup__minhash(set, n, sig->k, seed, sig->values, NULL, NULL);
    if (rc == DEDUP_OK)
        rc = dedup__signature_fill_lead(sig, set, n, seed, NULL, NULL);
    return rc;
}

int dedup__signature_fill_lead(dedup_signature *sig, const uint64_t *set, size_t n,
                               uint64_t seed, void **scratch, size_t *scratch_cap)
{
    if (!sig->nlead)
        return DEDUP_OK;
    size_t w = n < DEDUP__LEAD_WINDOW ? n : DEDUP__LEAD_WINDOW;
    return dedup__minhash(set, w, sig->nlead, dedup__mix64(seed ^ 0x6c65616476616c73ULL),
                          sig->values + sig->k, scratch, scratch_cap);
}

int dedup_signature_create(dedup_signature **out, const dedup_params *p)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    dedup_params defaults;
    if (!p) {
        dedup__params_defaults(&defaults);
        p = &defaults;
    }
    dedup_signature *s = dedup__signature_alloc((uint32_t)p->ival[DEDUP_P_NUM_HASHES],
                                                dedup__params_nlead(p),
                                                dedup__params_fingerprint(p));
    if (!s)
        return DEDUP_E_NOMEM;
    *out = s;
    return DEDUP_OK;
}

int dedup_signature_copy(dedup_signature **out, const dedup_signature *sig)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    if (!sig)
        return DEDUP_E_INVAL;
    size_t bytes = sizeof *sig + ((size_t)sig->k + sig->nlead) * sizeof(uint32_t);
    dedup_signature *s = dedup__malloc(bytes);
    if (!s)
        return DEDUP_E_NOMEM;
    memcpy(s, sig, bytes);
    *out = s;
    return DEDUP_OK;
}

void dedup_signature_free(dedup_signature *sig)
{
    dedup__free(sig);
}

size_t dedup_signature_length(const dedup_signature *sig)
{
    return sig ? sig->k : 0;
}

const uint32_t *dedup_signature_values(const dedup_signature *sig)
{
    return sig ? sig->values : NULL;
}

uint64_t dedup_signature_set_size(const dedup_signature *sig)
{
    return sig ? sig->set_size : 0;
}

uint32_t dedup__signature_matches(const uint32_t *a, const uint32_t *b, uint32_t k)
{
    /* Written so that compilers vectorize it with the baseline instruction
     * set of each target (SSE2, NEON). */
    uint32_t m = 0;
    for (uint32_t i = 0; i < k; i++)
        m += a[i] == b[i];
    return m;
}

double dedup__containment_from_jaccard(double j, uint64_t na, uint64_t nb)
{
    return dedup__measure_similarity(DEDUP_MEASURE_CONTAINMENT, j, na, nb, 0, 0, 0.0);
}

double dedup__measure_similarity(dedup_measure m, double j, uint64_t na, uint64_t nb, int ca,
                                 int cb, double min_shared)
{
    return dedup__measure_similarity_k(m, j, na, nb, ca, cb, min_shared, 0, 0.0);
}

double dedup__measure_similarity_k(dedup_measure m, double j, uint64_t na, uint64_t nb, int ca,
                                   int cb, double min_shared, uint32_t k, double c_noise)
{
    if (m != DEDUP_MEASURE_CONTAINMENT)
        return j;
    if (na == 0 || nb == 0)
        return 0.0;
    double overlap = j * (double)(na + nb) / (1.0 + j);
    /* A character shingle of the smaller document counts half a word's. */
    int chars = na < nb ? ca : na > nb ? cb : (ca && cb);
    uint64_t lo = DEDUP_MIN(na, nb), hi = DEDUP_MAX(na, nb);
    /* A fragment: less shared than min_shared, inside a text at least
     * twice its size. Measured against the larger text. */
    int fragment = (chars ? overlap / 2 : overlap) < min_shared && hi / 2 >= lo;
    /* Evidence: the estimated overlap must stand three standard errors
     * above nothing. The error of the overlap is that of j times
     * (na + nb) / (1 + j)^2, so the test is j (1 + j) >= 3 se(j), whatever
     * the sizes; se(j) is MinHash's sqrt(j (1 - j) / k) plus the chance
     * agreements of shortened values (c_noise, see index.c). */
    if (k && !fragment && hi / 2 >= lo) {
        double se = sqrt((j * (1.0 - j) + (1.0 - j) * c_noise / (1.0 - c_noise)) / (double)k);
        if (j * (1.0 + j) < 3.0 * se)
            fragment = 1;
    }
    double c = overlap / (double)(fragment ? hi : lo);
    return c > 1.0 ? 1.0 : c;
}

double dedup__signature_similarity(const dedup_signature *a, const dedup_signature *b,
                                   dedup_measure m, double min_shared)
{
    if (a->set_size == 0 || b->set_size == 0)
        return 0.0;
    double j = (double)dedup__signature_matches(a->values, b->values, a->k) / a->k;
    return dedup__measure_similarity_k(m, j, a->set_size, b->set_size, (int)a->chars,
                                       (int)b->chars, min_shared, a->k, 0.0);
}

static int compare(const dedup_signature *a, const dedup_signature *b, dedup_measure m,
                   double min_shared, double *out)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = 0.0;
    if (!a || !b)
        return DEDUP_E_INVAL;
    if (a->fingerprint != b->fingerprint || a->k != b->k)
        return DEDUP_E_MISMATCH;
    *out = dedup__signature_similarity(a, b, m, min_shared);
    return DEDUP_OK;
}

int dedup_signature_similarity(const dedup_params *p, const dedup_signature *a,
                               const dedup_signature *b, double *out)
{
    dedup_params defaults;
    if (!p) {
        dedup__params_defaults(&defaults);
        p = &defaults;
    }
    return compare(a, b, (dedup_measure)p->ival[DEDUP_P_MEASURE],
                   (double)p->ival[DEDUP_P_MIN_SHARED], out);
}

int dedup_signature_jaccard(const dedup_signature *a, const dedup_signature *b, double *out)
{
    return compare(a, b, DEDUP_MEASURE_JACCARD, 0.0, out); /* the plain estimate */
}

int dedup_signature_containment(const dedup_signature *a, const dedup_signature *b,
                                double *out)
{
    return compare(a, b, DEDUP_MEASURE_CONTAINMENT, 0.0, out); /* the plain estimate */
}
