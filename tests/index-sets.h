/*
 * index-sets.h - synthetic documents for the index tests and benchmark:
 * random sets of 64-bit shingle hashes from a fixed-seed generator, pairs
 * with a chosen overlap, and their MinHash signatures through the internal
 * kernel. Header-only; include once per program.
 */
#ifndef DEDUP_INDEX_SETS_H
#define DEDUP_INDEX_SETS_H

#include <stdint.h>
#include <stdlib.h>

#include "params.h"
#include "signature.h"

/* splitmix64: a small generator with a fixed seed, so runs repeat. */
typedef struct {
    uint64_t s;
} rng64;

static inline uint64_t rng_next(rng64 *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static inline uint64_t rng_below(rng64 *r, uint64_t n)
{
    return n ? rng_next(r) % n : 0;
}

static inline double rng_unit(rng64 *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Fill set with n random shingle hashes (distinct with overwhelming
 * probability: 64-bit values). */
static inline void rng_fill(rng64 *r, uint64_t *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        set[i] = rng_next(r);
}

/* The signature of the set (n distinct hashes) for params p, or NULL when
 * out of memory. */
static inline dedup_signature *sig_of(const dedup_params *p, const uint64_t *set, size_t n)
{
    uint32_t k = (uint32_t)p->ival[DEDUP_P_NUM_HASHES];
    dedup_signature *s =
        dedup__signature_alloc(k, dedup__params_nlead(p), dedup__params_fingerprint(p));
    if (!s || n == 0)
        return s;
    void *scratch = NULL;
    size_t cap = 0;
    uint64_t seed = (uint64_t)p->ival[DEDUP_P_SEED];
    if (dedup__minhash(set, n, k, seed, s->values, &scratch, &cap) != DEDUP_OK ||
        dedup__signature_fill_lead(s, set, n, seed, &scratch, &cap) != DEDUP_OK) {
        dedup__free(scratch);
        dedup__free(s);
        return NULL;
    }
    dedup__free(scratch);
    s->set_size = n;
    return s;
}

/*
 * Two sets sharing `common` hashes, a with na and b with nb elements in all
 * (common <= na, nb). Written to a and b, which must hold na and nb.
 * Jaccard = common / (na + nb - common); containment = common / min.
 */
static inline void rng_pair(rng64 *r, uint64_t *a, size_t na, uint64_t *b, size_t nb,
                            size_t common)
{
    rng_fill(r, a, na);
    for (size_t i = 0; i < common; i++)
        b[i] = a[i];
    rng_fill(r, b + common, nb - common);
}

#endif
