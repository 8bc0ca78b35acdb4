/*
 * signature.h - the in-memory MinHash signature and the MinHash kernel.
 * Internal.
 */
#ifndef DEDUP_SIGNATURE_H
#define DEDUP_SIGNATURE_H

#include "common.h"
#include "params.h"

struct dedup_signature {
    uint64_t fingerprint; /* dedup__params_fingerprint of the params */
    uint64_t set_size;    /* distinct shingles; 0 = empty document */
    uint32_t k;           /* number of values */
    uint32_t chars;       /* 1: shingles of characters, not words */
    uint32_t nlead;       /* lead values after them (DEDUP_P_LEAD_BANDS) */
    uint32_t pad_;
    uint32_t values[];    /* k MinHash values, then nlead lead values */
};

/* Allocate a signature for k values and nlead lead values with the given
 * fingerprint, marked empty. NULL on allocation failure. */
DEDUP_INTERNAL dedup_signature *dedup__signature_alloc(uint32_t k, uint32_t nlead,
                                                       uint64_t fingerprint);

/* Reset sig to the signature of the empty document. */
DEDUP_INTERNAL void dedup__signature_clear(dedup_signature *sig);

/*
 * Compute the k MinHash values (k in [1, 1024]) of the set of 64-bit shingle
 * hashes (duplicates allowed; n = 0 gives k slots of UINT32_MAX) with the
 * given seed into out; see minhash.c. scratch, if the kernel needs one, is
 * managed by the caller through *scratch / *scratch_cap (freed by the caller
 * with dedup__free); the current kernel needs none and accepts NULL.
 * Identical results on every platform and code path. Returns DEDUP_OK (or
 * DEDUP_E_NOMEM from a kernel that allocates).
 */
DEDUP_INTERNAL int dedup__minhash(const uint64_t *shingles, size_t n, uint32_t k,
                                  uint64_t seed, uint32_t *out, void **scratch,
                                  size_t *scratch_cap);

/* Instruction sets of the kernel's vector paths. Every path gives the same
 * values; tests run each supported one against the scalar path. */
enum {
    DEDUP__ISA_AUTO = 0,   /* the best the CPU supports */
    DEDUP__ISA_SCALAR = 1, /* portable C */
    DEDUP__ISA_AVX2 = 2,
    DEDUP__ISA_AVX512 = 3  /* AVX-512 F and DQ */
};

/* 1 if this build and CPU can run the kernel with isa, else 0. */
DEDUP_INTERNAL int dedup__minhash_isa_supported(int isa);

/* dedup__minhash on a chosen instruction set (which must be supported). */
DEDUP_INTERNAL int dedup__minhash_isa(const uint64_t *shingles, size_t n, uint32_t k,
                                      uint64_t seed, uint32_t *out, int isa);

/* The lead values of sig (sig->nlead of them; none: nothing to do): the
 * MinHash of the first DEDUP__LEAD_WINDOW shingles of set, in the order of
 * their first appearance in the text, under a seed of their own. */
#define DEDUP__LEAD_WINDOW 64
DEDUP_INTERNAL int dedup__signature_fill_lead(dedup_signature *sig, const uint64_t *set,
                                              size_t n, uint64_t seed, void **scratch,
                                              size_t *scratch_cap);

/* Make sig the signature of the set of n distinct shingle hashes (the
 * caller removes duplicates: set_size counts them) under seed; n = 0 gives
 * the empty signature. Returns DEDUP_OK. */
DEDUP_INTERNAL int dedup__signature_fill(dedup_signature *sig, const uint64_t *set, size_t n,
                                         uint64_t seed);

/*
 * Similarity under measure m of two documents whose Jaccard similarity is
 * estimated as j, with set sizes na and nb (both nonzero) and character
 * flags ca and cb. Under containment: the shared part's estimate
 * j (na + nb) / (1 + j) over the smaller set; but when that shared part,
 * in word shingles (a character shingle of the smaller document counts
 * half), is below min_shared and the larger set is at least twice the
 * smaller, over the larger set (DEDUP_P_MIN_SHARED). Never above the
 * containment estimate, never below j.
 */
DEDUP_INTERNAL double dedup__measure_similarity(dedup_measure m, double j, uint64_t na,
                                                uint64_t nb, int ca, int cb, double min_shared);
/* The same, with the evidence the estimate carries: j from k values of
 * which two different ones agree with probability c_noise (0 for full
 * values, 1/16 for the index's 4-bit ones). Containment of the smaller in
 * a set at least twice its size also needs the estimated overlap to stand
 * three standard errors above zero, j (1 + j) >= 3 se(j); otherwise the
 * shared part is measured against the larger set, as a fragment's is.
 * k 0 skips the test. */
DEDUP_INTERNAL double dedup__measure_similarity_k(dedup_measure m, double j, uint64_t na,
                                                  uint64_t nb, int ca, int cb, double min_shared,
                                                  uint32_t k, double c_noise);

/* Number of positions where a and b hold equal values (same k assumed). */
DEDUP_INTERNAL uint32_t dedup__signature_matches(const uint32_t *a, const uint32_t *b,
                                                 uint32_t k);

/* Similarity of two signatures under measure m with DEDUP_P_MIN_SHARED
 * min_shared (dedup__measure_similarity); 0 if either is empty. The
 * fingerprints must match (checked by the callers). */
DEDUP_INTERNAL double dedup__signature_similarity(const dedup_signature *a,
                                                  const dedup_signature *b,
                                                  dedup_measure m, double min_shared);

/* Containment estimate from a Jaccard estimate and the two set sizes:
 * overlap = J (|A| + |B|) / (1 + J), divided by min(|A|, |B|), capped at 1. */
DEDUP_INTERNAL double dedup__containment_from_jaccard(double j, uint64_t na, uint64_t nb);

#endif
