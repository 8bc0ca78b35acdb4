/*
 * minhash.c - the MinHash kernel: k 32-bit values from a set of 64-bit
 * shingle hashes.
 *
 * Algorithm: fast similarity sketching (Dahlgaard, Knudsen and Thorup,
 * 2017). Think of a process of 2k rounds. In round r < k every element of
 * the set is thrown into one pseudo-random bin with a pseudo-random value
 * drawn from a range that lies wholly above the ranges of all earlier
 * rounds; in round k + j every element competes for bin j alone, so every
 * bin is filled by the end. Each bin keeps the smallest value it received.
 *
 * Why this is MinHash: for two sets A and B, bin j of A and bin j of B
 * hold the same value exactly when the element that reached bin j with the
 * smallest value over A u B belongs to A n B (barring equal values from
 * different elements, see "Encoding"). Every element of A u B is equally
 * likely to be that element, so each bin matches with probability
 * J = |A n B| / |A u B|, as in classic MinHash, and matches/k is an unbiased
 * estimate of J. The bins are not independent, but their dependence works
 * in our favour: within one round an element lands in one bin only, so the
 * winners of different bins tend to be different elements. Measured, the
 * estimate's standard deviation is about 0.7 times that of k independent
 * permutations, sqrt(J(1-J)/k), for sets smaller than k and about the same
 * for large sets (tests/test-minhash.c checks it on 50 000 pairs).
 *
 * Why it is fast: the process can stop as soon as every bin holds a value,
 * since no later round can lower any of them. A set of n elements needs
 * about 1 + k ln(k) / n rounds of n hash evaluations each: one round for
 * n >= k ln(k) (a 500-shingle article at k = 128 needs one or two), instead
 * of the n * k evaluations of k independent permutations. Rounds from k on
 * are computed only for the bins still empty, in one pass each.
 *
 * Hashing: each element x is first mixed once, y = mix64(x ^ s) with s
 * drawn from the seed; round 0 takes its bin and value straight from y.
 * Round r >= 1 hashes y as fold(y ^ a_r, m_r), the xor of the two halves of
 * the 128-bit product, with round keys a_r and odd m_r drawn from s and r.
 * The strong mix comes first because a single multiply is not enough on
 * structured input: with fold alone, sets of consecutive integers gave
 * estimates with twice the classic standard deviation; after mix64 the
 * elements look random and one multiply per round suffices (both cases are
 * tested). The bin is the top bits of the hash scaled to k with a multiply
 * instead of a division; for a power of two k that equals a shift, used
 * then.
 *
 * Speed: mix64 is computed for a chunk of elements at a time into a stack
 * buffer, with AVX-512 (8 lanes) or AVX2 (4 lanes, 64-bit products built
 * from 32-bit ones) when the CPU has them, checked at run time; the portable
 * path computes it inline in round 0. All paths compute the same integers,
 * so signatures do not depend on the CPU (tested). Bin updates stay scalar:
 * they scatter to random bins.
 *
 * Encoding of values (part of the signature format; changing anything here
 * changes every signature and needs a new format version):
 *   round 0:        value = low 31 bits of the hash,        [0, 2^31)
 *   round r >= 1:   value = 2^31 + (r - 1) * 2^20 + low 20 bits of the hash
 * Round 0 gets 31 bits because it fills nearly every bin of a large set,
 * where many elements compete and equal values from different elements
 * would add false matches; later rounds see few elements per bin. Rounds are
 * below 2k <= 2048, so values stay below 0xFFF00000 and UINT32_MAX, the
 * value of an empty slot, never occurs.
 *
 * Only integer arithmetic with defined results is used, so every platform
 * and compiler gives bit-identical values (golden tests check this).
 */
#include "signature.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#  define DEDUP_MINHASH_X86 1
#else
#  define DEDUP_MINHASH_X86 0
#endif

#define EMPTY_SLOT UINT32_MAX
#define ROUND0_MASK 0x7fffffffu
#define LATER_BITS 20
#define LATER_MASK ((1u << LATER_BITS) - 1)
#define LATER_BASE 0x80000000u

/* ------------------------------------------------------------- hashing */

#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 u128;

/* The xor of the high and low halves of the 128-bit product a * b. */
static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
    u128 p = (u128)a * b;
    return (uint64_t)p ^ (uint64_t)(p >> 64);
}
#else
/* The same from 32-bit halves, for compilers without a 128-bit type. */
static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
    uint64_t lo = (mid << 32) | (uint32_t)ll;
    uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    return lo ^ hi;
}
#endif

typedef struct {
    uint64_t a; /* xor key */
    uint64_t m; /* odd multiplier */
} round_key;

/* Keys of round r for the mixed seed s. Every (s, r) gives its own keys:
 * mix64 is a bijection and its inputs differ. */
static inline round_key key_of(uint64_t s, uint32_t r)
{
    round_key key;
    key.a = dedup__mix64(s + (uint64_t)(r + 1) * 0x9e3779b97f4a7c15ULL);
    key.m = (key.a * 0xd6e8feb86659fd93ULL) | 1;
    return key;
}

static inline uint64_t hash_of(uint64_t x, round_key key)
{
    return fold_mul(x ^ key.a, key.m);
}

/* Bin of a hash: floor(top32 * k / 2^32). For k = 2^t the same as the top
 * t bits, which the callers use through shift (0 when k is not a power of
 * two). */
static inline uint32_t bin_of(uint64_t z, uint32_t k, unsigned shift)
{
    if (shift)
        return (uint32_t)(z >> shift);
    return (uint32_t)(((z >> 32) * k) >> 32);
}

/* --------------------------------------------------------------- rounds */

/* Elements are pre-mixed in chunks of this many into a stack buffer
 * (8 KiB): a set that fits is mixed once for all rounds; a larger one,
 * which rarely needs a second round, is mixed again in the rare later
 * rounds. */
#define CHUNK 1024

/* y[e] = mix64(x[e] ^ s): the per-element strong hash every round starts
 * from. The portable version; the vector versions below compute exactly
 * the same 64-bit values. */
static void premix_scalar(const uint64_t *x, size_t n, uint64_t s, uint64_t *y)
{
    for (size_t e = 0; e < n; e++)
        y[e] = dedup__mix64(x[e] ^ s);
}

#if DEDUP_MINHASH_X86
#include <immintrin.h>

#define MIX_C1 0xff51afd7ed558ccdULL
#define MIX_C2 0xc4ceb9fe1a85ec53ULL

/* 64-bit products a * c mod 2^64 from 32 x 32 -> 64-bit multiplies, since
 * AVX2 has no 64-bit multiply: a * c = al * cl + ((ah * cl + al * ch) << 32)
 * modulo 2^64. */
__attribute__((target("avx2"))) static inline __m256i mul64_avx2(__m256i a, __m256i cl,
                                                                  __m256i ch)
{
    __m256i lo = _mm256_mul_epu32(a, cl);
    __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), cl),
                                     _mm256_mul_epu32(a, ch));
    return _mm256_add_epi64(lo, _mm256_slli_epi64(cross, 32));
}

__attribute__((target("avx2"))) static void premix_avx2(const uint64_t *x, size_t n,
                                                        uint64_t s, uint64_t *y)
{
    const __m256i sv = _mm256_set1_epi64x((long long)s);
    const __m256i c1l = _mm256_set1_epi64x((long long)(MIX_C1 & 0xffffffffu));
    const __m256i c1h = _mm256_set1_epi64x((long long)(MIX_C1 >> 32));
    const __m256i c2l = _mm256_set1_epi64x((long long)(MIX_C2 & 0xffffffffu));
    const __m256i c2h = _mm256_set1_epi64x((long long)(MIX_C2 >> 32));
    size_t e = 0;
    for (; e + 4 <= n; e += 4) {
        __m256i v = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(x + e)), sv);
        v = _mm256_xor_si256(v, _mm256_srli_epi64(v, 33));
        v = mul64_avx2(v, c1l, c1h);
        v = _mm256_xor_si256(v, _mm256_srli_epi64(v, 33));
        v = mul64_avx2(v, c2l, c2h);
        v = _mm256_xor_si256(v, _mm256_srli_epi64(v, 33));
        _mm256_storeu_si256((__m256i *)(y + e), v);
    }
    premix_scalar(x + e, n - e, s, y + e);
}

__attribute__((target("avx512f,avx512dq"))) static void premix_avx512(const uint64_t *x,
                                                                      size_t n, uint64_t s,
                                                                      uint64_t *y)
{
    const __m512i sv = _mm512_set1_epi64((long long)s);
    const __m512i c1 = _mm512_set1_epi64((long long)MIX_C1);
    const __m512i c2 = _mm512_set1_epi64((long long)MIX_C2);
    size_t e = 0;
    for (; e + 8 <= n; e += 8) {
        __m512i v = _mm512_xor_si512(_mm512_loadu_si512(x + e), sv);
        v = _mm512_xor_si512(v, _mm512_srli_epi64(v, 33));
        v = _mm512_mullo_epi64(v, c1);
        v = _mm512_xor_si512(v, _mm512_srli_epi64(v, 33));
        v = _mm512_mullo_epi64(v, c2);
        v = _mm512_xor_si512(v, _mm512_srli_epi64(v, 33));
        _mm512_storeu_si512(y + e, v);
    }
    premix_scalar(x + e, n - e, s, y + e);
}
#endif

int dedup__minhash_isa_supported(int isa)
{
    switch (isa) {
    case DEDUP__ISA_AUTO:
    case DEDUP__ISA_SCALAR:
        return 1;
#if DEDUP_MINHASH_X86
    case DEDUP__ISA_AVX2:
        return __builtin_cpu_supports("avx2");
    case DEDUP__ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
#endif
    default:
        return 0;
    }
}

/* The best supported instruction set for isa = DEDUP__ISA_AUTO. The check
 * reads the CPU description the runtime filled at start-up: a few loads,
 * cheap next to one signature, and no cached state of our own. */
static int resolve_isa(int isa)
{
    if (isa != DEDUP__ISA_AUTO)
        return isa;
    if (dedup__minhash_isa_supported(DEDUP__ISA_AVX512))
        return DEDUP__ISA_AVX512;
    if (dedup__minhash_isa_supported(DEDUP__ISA_AVX2))
        return DEDUP__ISA_AVX2;
    return DEDUP__ISA_SCALAR;
}

static void premix(const uint64_t *x, size_t n, uint64_t s, uint64_t *y, int isa)
{
#if DEDUP_MINHASH_X86
    if (isa == DEDUP__ISA_AVX512) {
        premix_avx512(x, n, s, y);
        return;
    }
    if (isa == DEDUP__ISA_AVX2) {
        premix_avx2(x, n, s, y);
        return;
    }
#endif
    (void)isa;
    premix_scalar(x, n, s, y);
}

/* Round 0: every bin takes the minimum of the values thrown into it. The
 * update is branch-free because for small bins whether a value is a new
 * minimum is a coin toss that a branch predictor cannot learn. */
static inline void round0(const uint64_t *y, size_t n, uint32_t k, unsigned shift,
                          uint32_t *out)
{
    for (size_t e = 0; e < n; e++) {
        uint32_t b = bin_of(y[e], k, shift);
        uint32_t v = (uint32_t)y[e] & ROUND0_MASK;
        uint32_t cur = out[b];
        out[b] = v < cur ? v : cur;
    }
}

/* Round r in [1, k): only empty bins can change, and after round 0 they are
 * few for any set of more than about k elements, so the update branch is
 * rarely taken and predicted well. Returns the number of bins still
 * empty. */
static inline uint32_t round_later(const uint64_t *y, size_t n, uint32_t k, unsigned shift,
                                   round_key key, uint32_t base, uint32_t *out,
                                   uint32_t empty)
{
    for (size_t e = 0; e < n; e++) {
        uint64_t z = hash_of(y[e], key);
        uint32_t b = bin_of(z, k, shift);
        uint32_t v = base | ((uint32_t)z & LATER_MASK);
        if (DEDUP_UNLIKELY(v < out[b])) {
            empty -= out[b] == EMPTY_SLOT;
            out[b] = v;
        }
    }
    return empty;
}

/* Smallest low-20-bit hash of the elements for the keys of one round. */
static inline uint32_t forced_min(const uint64_t *y, size_t n, round_key key, uint32_t best)
{
    for (size_t e = 0; e < n; e++) {
        uint32_t v = (uint32_t)hash_of(y[e], key) & LATER_MASK;
        best = v < best ? v : best;
    }
    return best;
}

/* Round 0 for the scalar path, fused with premix so that each element is
 * loaded once; y (may be NULL) receives the pre-mixed elements. The same
 * values as premix followed by round0. */
static inline void round0_fused(const uint64_t *x, size_t n, uint64_t s, uint32_t k,
                                unsigned shift, uint64_t *y, uint32_t *out)
{
    for (size_t e = 0; e < n; e++) {
        uint64_t h = dedup__mix64(x[e] ^ s);
        if (y)
            y[e] = h;
        uint32_t b = bin_of(h, k, shift);
        uint32_t v = (uint32_t)h & ROUND0_MASK;
        uint32_t cur = out[b];
        out[b] = v < cur ? v : cur;
    }
}

static uint32_t count_empty(const uint32_t *out, uint32_t k)
{
    uint32_t empty = 0;
    for (uint32_t j = 0; j < k; j++)
        empty += out[j] == EMPTY_SLOT;
    return empty;
}

/* The state of one run of the kernel, so that the rounds can walk the set
 * chunk by chunk. */
typedef struct {
    const uint64_t *x;
    size_t n;
    uint64_t s;
    uint64_t *y; /* CHUNK pre-mixed elements */
    int whole;   /* the whole set is in y */
    int isa;     /* DEDUP__ISA_* of premix */
} elements;

/* Pointer to the pre-mixed elements [off, off + len) of the set. */
static const uint64_t *chunk_at(const elements *el, size_t off, size_t len)
{
    if (el->whole)
        return el->y + off;
    premix(el->x + off, len, el->s, el->y, el->isa);
    return el->y;
}

/*
 * The kernel. Contract in signature.h: shingles holds n 64-bit hashes
 * (duplicates allowed, they change nothing), out receives k values, k in
 * [1, 1024]. An empty set (n = 0) gives k empty slots. scratch and
 * scratch_cap are not used by this kernel (it needs no memory beyond out)
 * and may be NULL; they stay in the interface so that callers keep working
 * should a future kernel need a buffer. Always returns DEDUP_OK.
 */
int dedup__minhash(const uint64_t *shingles, size_t n, uint32_t k, uint64_t seed,
                   uint32_t *out, void **scratch, size_t *scratch_cap)
{
    (void)scratch;
    (void)scratch_cap;
    return dedup__minhash_isa(shingles, n, k, seed, out, DEDUP__ISA_AUTO);
}

int dedup__minhash_isa(const uint64_t *shingles, size_t n, uint32_t k, uint64_t seed,
                       uint32_t *out, int isa)
{
    for (uint32_t j = 0; j < k; j++)
        out[j] = EMPTY_SLOT;
    if (n == 0)
        return DEDUP_OK;

    unsigned shift = 0;
    if ((k & (k - 1)) == 0 && k > 1) {
        shift = 64;
        for (uint32_t t = k; t > 1; t >>= 1)
            shift--;
    }
    uint64_t ybuf[CHUNK];
    /* Mixing the seed first makes nearby seeds (0, 1, 2...) unrelated. */
    elements el = {shingles, n, dedup__mix64(seed ^ 0x6d696e6861736821ULL), ybuf,
                   n <= CHUNK, resolve_isa(isa)};
    /* Two copies of each loop, so that the compiler specializes the bin
     * computation for the common power-of-two k. */
    if (el.isa == DEDUP__ISA_SCALAR) {
        uint64_t *y = el.whole ? ybuf : NULL;
        if (shift)
            round0_fused(shingles, n, el.s, k, shift, y, out);
        else
            round0_fused(shingles, n, el.s, k, 0, y, out);
    } else if (el.whole) {
        premix(shingles, n, el.s, ybuf, el.isa);
    }
    for (size_t off = 0; off < n && el.isa != DEDUP__ISA_SCALAR; off += CHUNK) {
        size_t len = DEDUP_MIN(CHUNK, n - off);
        const uint64_t *y = chunk_at(&el, off, len);
        if (shift)
            round0(y, len, k, shift, out);
        else
            round0(y, len, k, 0, out);
    }
    uint32_t empty = count_empty(out, k);

    for (uint32_t r = 1; r < k && empty; r++) {
        round_key key = key_of(el.s, r);
        uint32_t base = LATER_BASE + ((r - 1) << LATER_BITS);
        for (size_t off = 0; off < n; off += CHUNK) {
            size_t len = DEDUP_MIN(CHUNK, n - off);
            const uint64_t *y = chunk_at(&el, off, len);
            if (shift)
                empty = round_later(y, len, k, shift, key, base, out, empty);
            else
                empty = round_later(y, len, k, 0, key, base, out, empty);
        }
    }

    /* Rounds k + j: bin j takes the smallest value of all elements, if it
     * is still empty; a filled bin holds a value from an earlier round,
     * below anything round k + j can give. */
    for (uint32_t j = 0; j < k && empty; j++) {
        if (out[j] != EMPTY_SLOT)
            continue;
        round_key key = key_of(el.s, k + j);
        uint32_t best = LATER_MASK;
        for (size_t off = 0; off < n; off += CHUNK) {
            size_t len = DEDUP_MIN(CHUNK, n - off);
            best = forced_min(chunk_at(&el, off, len), len, key, best);
        }
        out[j] = LATER_BASE + ((k + j - 1) << LATER_BITS) + best;
        empty--;
    }
    return DEDUP_OK;
}
