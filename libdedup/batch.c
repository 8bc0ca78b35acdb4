/*
 * batch.c - batch clustering of a whole corpus: the dedup_batch container,
 * the pair stage (candidates verified as they are found), the assignment
 * stage and the dedup_clusters result.
 *
 * Storage. Each document is one fixed-size record, all records back to
 * back:
 *
 *     uint64_t set_size            0 for an empty document
 *     uint32_t key[bands]          band keys: top 32 bits of each band hash
 *     value[k]                     value_bits bits per MinHash value
 *
 * padded to a multiple of 8 bytes. Band keys are computed once, when the
 * document is stored (by the caller's threads, in dedup_batch_set), so
 * clustering never rehashes; the values themselves are only needed to
 * compare documents, and b = 8 bits of each are enough for that (below).
 * With the default 37 bands and k = 128 a record takes 288 bytes, against
 * 536 for a whole signature.
 *
 * b-bit values. A stored value is the top b bits of v * C for a fixed odd
 * 64-bit C (multiply-shift hashing): every bit of the MinHash value v
 * counts, which matters because the minima of large sets are small
 * numbers whose high bits are zero. Two different values then look equal
 * with probability 2^-b, so the share P of equal stored values estimates
 * J + (1 - J) 2^-b rather than the Jaccard similarity J, and
 *     J = (P - 2^-b) / (1 - 2^-b)
 * removes that bias (clamped at 0). The cost is variance: P(1 - P) /
 * (k (1 - 2^-b)^2) instead of J(1 - J) / k. With b = 8 and k = 128 the
 * estimate's standard deviation grows by 0.4% at J = 0.5 (0.0444 instead
 * of 0.0442), 1% at J = 0.2 and 2% at J = 0.1; the estimate of one pair
 * differs from the full-value estimate by the chance collisions among its
 * k (1 - J) unequal values, a standard deviation of 0.004 at J = 0.5 and
 * 0.005 at J = 0.2, a tenth of the estimate's own. So only pairs within a
 * hundredth or so of the threshold, which the full values decide by chance
 * anyway, can change side. bench-cluster measures the differences. b = 16
 * (deviation 0.0003) and b = 32 (the values themselves, and the exact
 * estimates of dedup_signature_jaccard) are kept for tests and
 * measurements: see dedup__batch_create_bits.
 *
 * Pairs. Per band, every non-empty document's sort key (band key and
 * position) is radix-sorted, and the runs of equal keys propose their
 * pairs (bandsort.h: all pairs of a short run, leaders and predecessors in
 * a long one). A proposed pair is compared on the spot, while both records
 * are in cache, and kept only if it reaches the threshold: the candidates
 * (79 million on a million generated news articles, 16 bytes each with
 * their similarity) are never stored, only the verified pairs, a few per
 * document.
 *
 * Once per pair. Two documents that agree on several bands are proposed by
 * each. Band j compares a pair only if no earlier band i < j is certain to
 * have proposed it: that is, unless the two documents agree on band i
 * (equal key and equal stored values in the band's rows; both records are
 * at hand) and band i did not mark the smaller one unsure (only members of
 * long runs other than their leaders are: dedup__band_scan). So each
 * candidate is compared once, with no set of pairs seen. The one exception
 * is a predecessor pair of a long run, whose earlier long bands cannot say
 * whether they proposed it too: it may be compared in each; the verified
 * pairs are deduplicated when merged, so the result is the same. Band-key
 * collisions (equal keys, different values in the band) are not
 * candidates.
 *
 * Speed. Comparing is the inner loop (a hundred million proposals on a
 * million news articles), so it is written for it: the stored values of
 * 8 bits are compared 16 at a time, and with bands of two rows the same
 * pass tells whether the two documents agree on any earlier band, so that
 * the band keys are read only for pairs that may; the threshold test
 * avoids divisions for the pairs far below it.
 *
 * Threads. The skip rule reads the bits of every earlier band, so a band's
 * bits must be written before a later band is walked. Threads take bands
 * in increasing order from a shared counter; a thread sorts its band,
 * publishes the band's bits, then waits until every earlier band has
 * published (those are sorted at the same time by the other threads, so
 * the wait is short), and walks its runs. Each thread keeps its own
 * verified pairs; they are merged and sorted at the end. What is compared
 * and what is kept depend only on the batch, so the output never depends
 * on the number of threads or on scheduling. The calling thread does the
 * work of thread 0 itself, and of any thread that could not be started,
 * so a failure to create threads only costs time.
 *
 * Modes. Transitive: the connected components of the verified pairs. The
 * similarity reported for a document other than the first of its cluster
 * is the best similarity among its verified pairs. Representative: in
 * input order, a document joins the first earlier representative with
 * which it forms a verified pair, and its similarity is that pair's; a
 * document with no such pair is a representative. Bridges (A~B, B~C, A!~C)
 * thus stop at B instead of chaining A and C together.
 *
 * Empty documents (set_size 0) get no sort keys, so they never become
 * candidates and each stays alone.
 */
#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "batch.h"
#include "lsh.h"

/* More threads than this would only add merge work. */
#define MAX_THREADS 64

#if defined(__GNUC__)
#  define DEDUP_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#  define DEDUP_ALWAYS_INLINE inline
#endif

/* The multiplier of the b-bit fold (2^64 / golden ratio, odd). */
#define FOLD_MUL 0x9e3779b97f4a7c15ULL

/* ---------------------------------------------------------------- batch */

int dedup__batch_create_bits(dedup_batch **out, const dedup_params *p, unsigned value_bits)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    if (value_bits != 8 && value_bits != 16 && value_bits != 32)
        return DEDUP_E_RANGE;
    dedup_params defaults;
    if (!p) {
        dedup__params_defaults(&defaults);
        p = &defaults;
    }
    int rc = dedup__params_validate(p);
    if (rc)
        return rc;
    unsigned bands, rows;
    dedup__params_lsh(p, &bands, &rows);
    uint32_t k = (uint32_t)p->ival[DEDUP_P_NUM_HASHES];
    if (bands == 0 || rows == 0 || (uint64_t)bands * rows > k)
        return DEDUP_E_RANGE;
    dedup_batch *b = dedup__calloc(1, sizeof *b);
    if (!b)
        return DEDUP_E_NOMEM;
    b->params = *p;
    b->fingerprint = dedup__params_fingerprint(p);
    b->seed = (uint64_t)p->ival[DEDUP_P_SEED];
    b->k = k;
    b->bands = bands;
    b->rows = rows;
    b->measure = (dedup_measure)p->ival[DEDUP_P_MEASURE];
    b->mode = (dedup_cluster_mode)p->ival[DEDUP_P_CLUSTER_MODE];
    b->threshold = p->threshold;
    b->value_bits = value_bits;
    b->value_bytes = value_bits / 8;
    b->jtab = dedup__malloc(((size_t)k + 1) * sizeof *b->jtab);
    if (!b->jtab) {
        dedup__free(b);
        return DEDUP_E_NOMEM;
    }
    /* Random equalities of b-bit values: see the file comment. */
    double e = value_bits < 32 ? 1.0 / (double)(1u << value_bits) : 0.0;
    b->m_min = k + 1;
    for (uint32_t m = k + 1; m-- > 0;) {
        double j = (double)m / k;
        if (e > 0.0)
            j = j > e ? (j - e) / (1.0 - e) : 0.0;
        b->jtab[m] = j;
        if (j >= b->threshold)
            b->m_min = m;
    }
    b->val_off = sizeof(uint64_t) + (size_t)bands * sizeof(uint32_t);
    size_t bytes = b->val_off + (size_t)k * b->value_bytes;
    b->rec_size = (bytes + 7) / 8 * 8;
    *out = b;
    return DEDUP_OK;
}

int dedup_batch_create(dedup_batch **out, const dedup_params *p)
{
    return dedup__batch_create_bits(out, p, DEDUP__BATCH_VALUE_BITS);
}

void dedup_batch_free(dedup_batch *b)
{
    if (!b)
        return;
    dedup__free(b->recs);
    dedup__free(b->jtab);
    dedup__free(b);
}

static inline unsigned char *rec_at(const dedup_batch *b, size_t i)
{
    return b->recs + i * b->rec_size;
}

static inline uint32_t *rec_keys_w(unsigned char *r)
{
    return (uint32_t *)(void *)(r + sizeof(uint64_t));
}

/* Make record r the empty document. */
static void rec_clear(const dedup_batch *b, unsigned char *r)
{
    memset(r, 0, b->rec_size);
}

/* Fill record r from sig (same parameters): band keys from the full
 * values, then the values folded to value_bits bits. */
static void rec_fill(const dedup_batch *b, unsigned char *r, const dedup_signature *sig)
{
    if (sig->set_size == 0) {
        rec_clear(b, r);
        return;
    }
    uint64_t n = sig->set_size;
    memcpy(r, &n, sizeof n);
    uint32_t *key = rec_keys_w(r);
    for (unsigned j = 0; j < b->bands; j++) {
        /* The hash has 63 bits; keep its top 32. */
        key[j] = (uint32_t)(dedup__band_hash(sig->values, j, b->rows, b->seed) >> 31);
    }
    unsigned char *v = r + b->val_off;
    const uint32_t *x = sig->values;
    switch (b->value_bits) {
    case 8:
        for (uint32_t i = 0; i < b->k; i++)
            v[i] = (unsigned char)((x[i] * FOLD_MUL) >> 56);
        break;
    case 16:
        for (uint32_t i = 0; i < b->k; i++) {
            uint16_t h = (uint16_t)((x[i] * FOLD_MUL) >> 48);
            memcpy(v + 2 * (size_t)i, &h, 2);
        }
        break;
    default:
        memcpy(v, x, (size_t)b->k * 4);
        break;
    }
    size_t used = b->val_off + (size_t)b->k * b->value_bytes;
    memset(r + used, 0, b->rec_size - used);
}

int dedup_batch_resize(dedup_batch *b, size_t n)
{
    if (!b)
        return DEDUP_E_INVAL;
    if (n > UINT32_MAX)
        return DEDUP_E_TOOBIG;
    if (n > b->cap) {
        /* Exact size for a resize, so that one call for a known corpus
         * does not reserve up to twice the memory. */
        if (n > SIZE_MAX / b->rec_size)
            return DEDUP_E_TOOBIG;
        unsigned char *s = dedup__realloc(b->recs, n * b->rec_size);
        if (!s)
            return DEDUP_E_NOMEM;
        b->recs = s;
        b->cap = n;
    }
    for (size_t i = b->count; i < n; i++)
        rec_clear(b, rec_at(b, i));
    b->count = n;
    return DEDUP_OK;
}

int dedup_batch_set(dedup_batch *b, size_t i, const dedup_signature *sig)
{
    if (!b || !sig)
        return DEDUP_E_INVAL;
    if (i >= b->count)
        return DEDUP_E_RANGE;
    if (sig->fingerprint != b->fingerprint || sig->k != b->k)
        return DEDUP_E_MISMATCH;
    rec_fill(b, rec_at(b, i), sig);
    return DEDUP_OK;
}

int dedup_batch_add(dedup_batch *b, const dedup_signature *sig, size_t *index)
{
    if (!b || !sig)
        return DEDUP_E_INVAL;
    if (sig->fingerprint != b->fingerprint || sig->k != b->k)
        return DEDUP_E_MISMATCH;
    if (b->count >= UINT32_MAX)
        return DEDUP_E_TOOBIG;
    if (dedup__grow((void **)&b->recs, &b->cap, b->count + 1, b->rec_size))
        return DEDUP_E_NOMEM;
    size_t i = b->count++;
    rec_fill(b, rec_at(b, i), sig);
    if (index)
        *index = i;
    return DEDUP_OK;
}

size_t dedup_batch_count(const dedup_batch *b)
{
    return b ? b->count : 0;
}

dedup__rectab dedup__batch_table(const dedup_batch *b)
{
    dedup__rectab t = {b->recs, b->rec_size, b->count};
    return t;
}

/* ---------------------------------------------------------- comparisons */

/*
 * Counting equal values is the inner loop of clustering: it runs for
 * every candidate pair (79 million on a million news articles). Two
 * versions give the same counts. The portable one works on 64-bit words:
 * in x = a ^ b a lane is zero exactly when the lanes are equal, and
 * ~(((x & M) + M) | x | M), M the lanes' low bits, has a lane's top bit set
 * exactly for the zero lanes (the addition cannot carry out of a lane).
 * With GCC and Clang, 16-byte generic vectors (vector_size) compare 16
 * lanes at once in the target's baseline instruction set (SSE2 on x86-64,
 * NEON on ARM64, plain integer code elsewhere), which no CPU lacks, so no
 * runtime detection is involved. Both add up per-lane counts and sum them
 * at the end, and both are integer arithmetic: the counts are the same on
 * every machine (tests compare them).
 */

/* Sum of the eight bytes of x. */
static inline uint32_t sum_bytes(uint64_t x)
{
    x = (x & 0x00ff00ff00ff00ffULL) + (x >> 8 & 0x00ff00ff00ff00ffULL);
    x = (x & 0x0000ffff0000ffffULL) + (x >> 16 & 0x0000ffff0000ffffULL);
    return (uint32_t)(x & 0xffffffffu) + (uint32_t)(x >> 32);
}

/* Number of equal lanes of `lane` bytes (1, 2 or 4) between a and b, each
 * `len` bytes (a multiple of lane, at most 255 * 8 bytes for lane 1 and
 * 65535 * 8 for the others, which keeps every per-lane count from
 * overflowing). The portable version. */
static inline uint32_t equal_lanes_words(const unsigned char *a, const unsigned char *b,
                                         size_t len, unsigned lane)
{
    uint64_t low;
    unsigned top;
    if (lane == 1) {
        low = 0x7f7f7f7f7f7f7f7fULL, top = 7;
    } else if (lane == 2) {
        low = 0x7fff7fff7fff7fffULL, top = 15;
    } else {
        low = 0x7fffffff7fffffffULL, top = 31;
    }
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        x ^= y;
        acc += ~(((x & low) + low) | x | low) >> top;
    }
    uint32_t m;
    if (lane == 1)
        m = sum_bytes(acc);
    else if (lane == 2)
        m = (uint32_t)((acc & 0xffff) + (acc >> 16 & 0xffff) + (acc >> 32 & 0xffff) +
                       (acc >> 48));
    else
        m = (uint32_t)(acc & 0xffffffffu) + (uint32_t)(acc >> 32);
    for (; i < len; i += lane)
        m += memcmp(a + i, b + i, lane) == 0;
    return m;
}

#if defined(__GNUC__)
#  define HAVE_VECTORS 1
typedef unsigned char v16u8 __attribute__((vector_size(16)));
typedef uint16_t v8u16 __attribute__((vector_size(16)));
typedef uint32_t v4u32 __attribute__((vector_size(16)));

/* equal_lanes_words with 16-byte vectors (len at most 127 * 16 bytes for
 * lane 1: with two accumulators added at the end, and their two halves
 * added, no byte overflows). A vector comparison gives -1 in equal lanes: subtracting it
 * counts. */
static inline uint32_t equal_lanes_vec(const unsigned char *a, const unsigned char *b,
                                       size_t len, unsigned lane)
{
    size_t i = 0;
    uint32_t m = 0;
    if (lane == 1) {
        /* Four blocks a step (the default k = 128 is two steps), into two
         * accumulators. */
        v16u8 acc = {0}, acc2 = {0}, x, y, x2, y2;
        for (; i + 64 <= len; i += 64) {
            memcpy(&x, a + i, 16);
            memcpy(&y, b + i, 16);
            memcpy(&x2, a + i + 16, 16);
            memcpy(&y2, b + i + 16, 16);
            acc -= (v16u8)(x == y);
            acc2 -= (v16u8)(x2 == y2);
            memcpy(&x, a + i + 32, 16);
            memcpy(&y, b + i + 32, 16);
            memcpy(&x2, a + i + 48, 16);
            memcpy(&y2, b + i + 48, 16);
            acc -= (v16u8)(x == y);
            acc2 -= (v16u8)(x2 == y2);
        }
        for (; i + 16 <= len; i += 16) {
            memcpy(&x, a + i, 16);
            memcpy(&y, b + i, 16);
            acc -= (v16u8)(x == y);
        }
        acc += acc2;
        /* Each byte counts at most 255 / 2 (the length limit): the two
         * halves add without carrying; below 256 in all, one multiply
         * sums the bytes into the top one. */
        uint64_t h[2];
        memcpy(h, &acc, 16);
        uint64_t t = h[0] + h[1];
        m = len < 256 ? (uint32_t)((t * 0x0101010101010101ULL) >> 56) : sum_bytes(t);
    } else if (lane == 2) {
        v8u16 acc = {0};
        for (; i + 16 <= len; i += 16) {
            v8u16 x, y;
            memcpy(&x, a + i, 16);
            memcpy(&y, b + i, 16);
            acc -= (v8u16)(x == y);
        }
        for (unsigned l = 0; l < 8; l++)
            m += acc[l];
    } else {
        v4u32 acc = {0};
        for (; i + 16 <= len; i += 16) {
            v4u32 x, y;
            memcpy(&x, a + i, 16);
            memcpy(&y, b + i, 16);
            acc -= (v4u32)(x == y);
        }
        m = acc[0] + acc[1] + acc[2] + acc[3];
    }
    if (i < len)
        m += equal_lanes_words(a + i, b + i, len - i, lane);
    return m;
}

/* Byte masks keeping the first r bytes of a block, r = 0 .. 15. */
static const unsigned char prefix_bytes[16][16] = {
    {0},
    {255},
    {255, 255},
    {255, 255, 255},
    {255, 255, 255, 255},
    {255, 255, 255, 255, 255},
    {255, 255, 255, 255, 255, 255},
    {255, 255, 255, 255, 255, 255, 255},
    {255, 255, 255, 255, 255, 255, 255, 255},
    {255, 255, 255, 255, 255, 255, 255, 255, 255},
    {255, 255, 255, 255, 255, 255, 255, 255, 255, 255},
    {255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255},
    {255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255},
    {255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255},
    {255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255},
    {255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255},
};

/* 0xff in the bytes of eq (0 or 0xff each) that begin an all-0xff pair of
 * bytes at an even offset. */
static inline v16u8 full_pairs(v16u8 eq)
{
    v8u16 e = (v8u16)eq;
    return (v16u8)(e & (e >> 8));
}

/*
 * The number of equal bytes of a and b (len bytes, a multiple of 16, at
 * most 127 * 16), as equal_lanes_vec with lane 1, and in the same pass
 * whether some pair of bytes at an even offset below pre (even) is equal
 * in full: with bands of two rows of one byte, whether the two documents
 * may agree on a band before the current one. Most candidates agree on
 * none, which this settles for two instructions per block instead of a
 * pass over the band keys.
 */
static DEDUP_ALWAYS_INLINE uint32_t equal_bytes_pairs(const unsigned char *a,
                                                      const unsigned char *b, size_t len,
                                                      size_t pre, int *agree)
{
    v16u8 acc = {0}, acc2 = {0}, any = {0}, x, y, eq;
    size_t i = 0;
    for (; i + 16 <= pre; i += 16) {
        memcpy(&x, a + i, 16);
        memcpy(&y, b + i, 16);
        eq = (v16u8)(x == y);
        acc -= eq;
        any |= full_pairs(eq);
    }
    if (i < pre) {
        v16u8 keep;
        memcpy(&keep, prefix_bytes[pre - i], 16);
        memcpy(&x, a + i, 16);
        memcpy(&y, b + i, 16);
        eq = (v16u8)(x == y);
        acc -= eq;
        any |= full_pairs(eq) & keep;
        i += 16;
    }
    for (; i + 32 <= len; i += 32) {
        memcpy(&x, a + i, 16);
        memcpy(&y, b + i, 16);
        acc -= (v16u8)(x == y);
        memcpy(&x, a + i + 16, 16);
        memcpy(&y, b + i + 16, 16);
        acc2 -= (v16u8)(x == y);
    }
    if (i < len) {
        memcpy(&x, a + i, 16);
        memcpy(&y, b + i, 16);
        acc -= (v16u8)(x == y);
    }
    acc += acc2;
    uint64_t h[2];
    memcpy(h, &any, 16);
    *agree = (h[0] | h[1]) != 0;
    memcpy(h, &acc, 16);
    uint64_t t = h[0] + h[1];
    return len < 256 ? (uint32_t)((t * 0x0101010101010101ULL) >> 56) : sum_bytes(t);
}
#endif

static inline uint32_t equal_lanes(const unsigned char *a, const unsigned char *b, size_t len,
                                   unsigned lane)
{
#ifdef HAVE_VECTORS
    return equal_lanes_vec(a, b, len, lane);
#else
    return equal_lanes_words(a, b, len, lane);
#endif
}

uint32_t dedup__equal_lanes(const unsigned char *a, const unsigned char *b, size_t len,
                            unsigned lane, int portable)
{
    return portable ? equal_lanes_words(a, b, len, lane) : equal_lanes(a, b, len, lane);
}

/* 1 if kx[i] == ky[i] for some i < n. Most candidates agree on no earlier
 * band, so this runs in full for nearly every one: four keys a step, no
 * branch per key. The last step may read up to three keys past n (the
 * callers' keys are followed by the record's values) and masks them. */
static inline int any_equal_key(const uint32_t *kx, const uint32_t *ky, unsigned n)
{
#ifdef HAVE_VECTORS
    static const v4u32 keep[4] = {{0, 0, 0, 0},
                                  {0xffffffffu, 0, 0, 0},
                                  {0xffffffffu, 0xffffffffu, 0, 0},
                                  {0xffffffffu, 0xffffffffu, 0xffffffffu, 0}};
    v4u32 hit = {0}, x, y;
    unsigned i = 0;
    for (; i + 4 <= n; i += 4) {
        memcpy(&x, kx + i, 16);
        memcpy(&y, ky + i, 16);
        hit |= (v4u32)(x == y);
    }
    if (i < n) {
        memcpy(&x, kx + i, 16);
        memcpy(&y, ky + i, 16);
        hit |= (v4u32)(x == y) & keep[n - i];
    }
    uint64_t h[2];
    memcpy(h, &hit, 16);
    return (h[0] | h[1]) != 0;
#else
    for (unsigned i = 0; i < n; i++)
        if (kx[i] == ky[i])
            return 1;
    return 0;
#endif
}

/* 1 if the w bytes at p and q are equal. */
static inline int bytes_equal(const unsigned char *p, const unsigned char *q, size_t w)
{
    switch (w) {
    case 1:
        return *p == *q;
    case 2: {
        uint16_t x, y;
        memcpy(&x, p, 2);
        memcpy(&y, q, 2);
        return x == y;
    }
    case 4: {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, q, 4);
        return x == y;
    }
    default:
        return memcmp(p, q, w) == 0;
    }
}

static inline uint32_t rec_matches(const dedup_batch *b, const unsigned char *x,
                                   const unsigned char *y)
{
    return equal_lanes(x + b->val_off, y + b->val_off, (size_t)b->k * b->value_bytes,
                       b->value_bytes);
}

/* Similarity of two records under b's measure (0 if either is empty). */
static double rec_similarity(const dedup_batch *b, const unsigned char *x,
                             const unsigned char *y)
{
    uint64_t na = dedup__rec_set_size(x), nb = dedup__rec_set_size(y);
    if (na == 0 || nb == 0)
        return 0.0;
    double j = b->jtab[rec_matches(b, x, y)];
    if (b->measure == DEDUP_MEASURE_CONTAINMENT)
        return dedup__containment_from_jaccard(j, na, nb);
    return j;
}

/* Verification: 1 if records x and y (m equal stored values, set sizes na
 * and nb, both non-zero) reach b's threshold, with *sim set to their
 * similarity, else 0. The same decision and value as comparing
 * rec_similarity with the threshold, but most pairs are turned down
 * before any division: for Jaccard by the number of equal values; for
 * containment, whose estimate J (na + nb) / ((1 + J) min(na, nb)) grows
 * with J, by the same inequality multiplied out, with a margin far above
 * rounding error so that a pair near the threshold is left to the exact
 * computation. */
static inline int verdict(const dedup_batch *b, uint32_t m, uint64_t na, uint64_t nb,
                          double *sim)
{
    double j = b->jtab[m];
    if (b->measure != DEDUP_MEASURE_CONTAINMENT) {
        *sim = j;
        return m >= b->m_min;
    }
    /* Set sizes are far below 2^63: the signed conversion is exact and
     * cheaper than the unsigned one. */
    double fa = (double)(int64_t)na, fb = (double)(int64_t)nb;
    if (j * (fa + fb) < b->threshold * (1.0 + j) * DEDUP_MIN(fa, fb) * (1.0 - 1e-9))
        return 0;
    *sim = dedup__containment_from_jaccard(j, na, nb);
    return *sim >= b->threshold;
}

/* 1 if records x and y hold the same stored values in band `band`. */
static inline int band_values_equal(const dedup_batch *b, const unsigned char *x,
                                    const unsigned char *y, unsigned band)
{
    size_t w = (size_t)b->rows * b->value_bytes, at = b->val_off + band * w;
    return bytes_equal(x + at, y + at, w);
}

double dedup__batch_similarity(const dedup_batch *b, size_t i, size_t j)
{
    return rec_similarity(b, rec_at(b, i), rec_at(b, j));
}

int dedup__batch_band_agree(const dedup_batch *b, size_t i, size_t j, unsigned band)
{
    const unsigned char *x = rec_at(b, i), *y = rec_at(b, j);
    return dedup__rec_keys(x)[band] == dedup__rec_keys(y)[band] &&
           band_values_equal(b, x, y, band);
}

/* -------------------------------------------------------------- threads */

/* Run fn on args[0..n) (each elem bytes apart), args[0] and any that
 * cannot get a thread of its own on the calling thread. */
static void run_parallel(void *(*fn)(void *), void *args, size_t elem, unsigned n)
{
    pthread_t tid[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    unsigned char *a = args;
    for (unsigned t = 1; t < n; t++)
        started[t] = pthread_create(&tid[t], NULL, fn, a + t * elem) == 0;
    fn(a);
    for (unsigned t = 1; t < n; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            fn(a + t * elem);
    }
}

static unsigned clamp_threads(unsigned nthreads, size_t units)
{
    unsigned t = nthreads ? nthreads : 1;
    if (t > MAX_THREADS)
        t = MAX_THREADS;
    if (units < t)
        t = units ? (unsigned)units : 1;
    return t;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* -------------------------------------------------------- stage 1: pairs */

/* Bands a thread takes at once: their keys come from one pass over the
 * records (a cache line per document and pass, the main cost of building
 * keys), for one more key array per band in memory. */
#define BAND_GROUP 4

/* State shared by the pair workers. */
typedef struct {
    const dedup_batch *b;
    pthread_mutex_t *mu;
    pthread_cond_t *cv;
    unsigned next;       /* next band to take */
    unsigned ready;      /* bands [0, ready) have published their bits */
    unsigned char *done; /* done[j]: band j has published */
    int abort;           /* a worker failed: everybody stops */
    _Atomic uint64_t *unsure; /* see dedup__band_scan */
    size_t words;             /* words of unsure per document */
} pair_shared;

typedef struct {
    pair_shared *sh;
    uint64_t *keys[BAND_GROUP]; /* a group of bands' sort keys */
    uint64_t *tmp;              /* the sort's buffer */
    dedup__edgevec out;   /* verified pairs, deduplicated now and then */
    size_t out_unique;    /* out.n after the last deduplication */
    dedup__edge *etmp;
    size_t etmp_cap;
    dedup__pair_stats st;
    int status;
} pair_worker;

/* Records ahead of the walk whose cache lines are requested early: about
 * one run ahead, so that a run's records arrive while the previous run's
 * pairs are compared. */
enum { AHEAD = 32 };

static inline void prefetch_doc(const pair_shared *sh, uint32_t doc)
{
    const char *r = (const char *)rec_at(sh->b, doc);
    for (size_t l = 0; l < sh->b->rec_size; l += 64)
        DEDUP_PREFETCH(r + l);
    DEDUP_PREFETCH((const void *)&sh->unsure[doc * sh->words]);
}

/* One band's walk: what every pair check reads, hoisted out of the pair
 * loops, and the counts, kept in registers rather than in the worker. */
typedef struct {
    pair_worker *w;
    const dedup_batch *b;
    const unsigned char *recs;
    size_t rec_size;
    unsigned j;      /* the band */
    size_t band_off; /* offset of band j's stored values in a record */
    size_t band_len; /* bytes of one band's stored values */
    int fused;       /* equal_bytes_pairs applies (two rows of 8 bits) */
    uint64_t proposed, collisions, repeats, compared;
} band_walk;

/* Handle the pair (x, y), x < y, of records rx and ry, proposed by band
 * j: drop it if the two only collide on the key or an earlier band surely
 * proposed it, else compare it and keep it if it reaches the threshold.
 * DEDUP_OK or DEDUP_E_NOMEM. */
static DEDUP_ALWAYS_INLINE int consider(band_walk *bw, uint32_t x, const unsigned char *rx, uint32_t y,
                           const unsigned char *ry)
{
    const dedup_batch *b = bw->b;
    const uint32_t *kx = dedup__rec_keys(rx), *ky = dedup__rec_keys(ry);
    uint32_t m = 0;
    int earlier;
    bw->proposed++;
#ifdef HAVE_VECTORS
    if (bw->fused)
        m = equal_bytes_pairs(rx + b->val_off, ry + b->val_off, b->k, bw->band_off - b->val_off,
                              &earlier);
#endif
    if (DEDUP_UNLIKELY(!bytes_equal(rx + bw->band_off, ry + bw->band_off, bw->band_len))) {
        bw->collisions++;
        return DEDUP_OK;
    }
    if (!bw->fused)
        earlier = any_equal_key(kx, ky, bw->j);
    if (DEDUP_UNLIKELY(earlier)) {
        pair_shared *sh = bw->w->sh;
        for (unsigned i = 0; i < bw->j; i++)
            if (kx[i] == ky[i] && band_values_equal(b, rx, ry, i) &&
                !dedup__unsure(sh->unsure, sh->words, x, i)) {
                bw->repeats++;
                return DEDUP_OK;
            }
    }
    bw->compared++;
    if (!bw->fused)
        m = rec_matches(b, rx, ry);
    double s;
    if (DEDUP_LIKELY(!verdict(b, m, dedup__rec_set_size(rx), dedup__rec_set_size(ry), &s)))
        return DEDUP_OK;
    dedup__edgevec *o = &bw->w->out;
    if (o->n == o->cap && dedup__grow((void **)&o->v, &o->cap, o->n + 1, sizeof *o->v))
        return DEDUP_E_NOMEM;
    o->v[o->n].pair = dedup__pair(x, y);
    o->v[o->n].sim = s;
    o->n++;
    return DEDUP_OK;
}

/* Walk the runs of band j in c[0..n) (members of runs of two or more, from
 * dedup__band_scan) and consider every pair bandsort.h's rule proposes. */
static int walk_band(pair_worker *w, unsigned j, const uint64_t *c, size_t n)
{
    const dedup_batch *b = w->sh->b;
    band_walk bw = {.w = w, .b = b, .recs = b->recs, .rec_size = b->rec_size, .j = j};
    bw.band_len = (size_t)b->rows * b->value_bytes;
    bw.band_off = b->val_off + j * bw.band_len;
#ifdef HAVE_VECTORS
    bw.fused = b->value_bytes == 1 && b->k % 16 == 0 && bw.band_len == 2;
#endif
    const unsigned char *rp[DEDUP__RUN_FULL];
    int rc = DEDUP_OK;
    size_t pf = 0;
    size_t i = 0;
    while (i < n && rc == DEDUP_OK) {
        uint64_t h = c[i] >> 32;
        size_t e = i + 1;
        while (e < n && c[e] >> 32 == h)
            e++;
        /* Fetch this run's records and the next few documents' before
         * touching them, so that their misses overlap. */
        size_t want = DEDUP_MIN(n, e + AHEAD);
        for (; pf < want; pf++)
            prefetch_doc(w->sh, (uint32_t)c[pf]);
        size_t m = e - i;
        const uint64_t *run = c + i;
        if (m <= DEDUP__RUN_FULL) {
            for (size_t x = 0; x < m; x++)
                rp[x] = bw.recs + (uint32_t)run[x] * bw.rec_size;
            for (size_t x = 0; x < m && rc == DEDUP_OK; x++)
                for (size_t y = x + 1; y < m && rc == DEDUP_OK; y++)
                    rc = consider(&bw, (uint32_t)run[x], rp[x], (uint32_t)run[y], rp[y]);
        } else {
            for (size_t y = 1; y < m && rc == DEDUP_OK; y++) {
                size_t lead = y < DEDUP__RUN_LEADERS ? y : DEDUP__RUN_LEADERS;
                uint32_t dy = (uint32_t)run[y];
                const unsigned char *ry = rec_at(b, dy);
                for (size_t x = 0; x < lead && rc == DEDUP_OK; x++)
                    rc = consider(&bw, (uint32_t)run[x], rec_at(b, (uint32_t)run[x]), dy, ry);
                if (y - 1 >= DEDUP__RUN_LEADERS && rc == DEDUP_OK)
                    rc = consider(&bw, (uint32_t)run[y - 1], rec_at(b, (uint32_t)run[y - 1]),
                                  dy, ry);
            }
        }
        i = e;
    }
    w->st.proposed += bw.proposed;
    w->st.collisions += bw.collisions;
    w->st.repeats += bw.repeats;
    w->st.compared += bw.compared;
    if (rc)
        return rc;
    /* Repeated pairs (see the file comment) are dropped whenever the list
     * has doubled, so it stays within twice its distinct pairs. */
    if (w->out.n >= 2 * w->out_unique + 4096) {
        if (dedup__edges_sort_unique(&w->out, &w->etmp, &w->etmp_cap))
            return DEDUP_E_NOMEM;
        w->out_unique = w->out.n;
    }
    return DEDUP_OK;
}

static void shared_abort(pair_shared *sh)
{
    pthread_mutex_lock(sh->mu);
    sh->abort = 1;
    pthread_cond_broadcast(sh->cv);
    pthread_mutex_unlock(sh->mu);
}

static void *pair_run(void *arg)
{
    pair_worker *w = arg;
    pair_shared *sh = w->sh;
    const dedup_batch *b = sh->b;
    dedup__rectab tab = dedup__batch_table(b);
    size_t mc[BAND_GROUP];
    for (;;) {
        pthread_mutex_lock(sh->mu);
        int stop = sh->abort || sh->next >= b->bands;
        unsigned j0 = sh->next, nb = DEDUP_MIN((unsigned)BAND_GROUP, b->bands - j0);
        if (!stop)
            sh->next += nb;
        pthread_mutex_unlock(sh->mu);
        if (stop)
            break;

        /* Sort every band of the group and publish each one's bits as
         * soon as they are written. */
        double t0 = now();
        size_t m = dedup__band_keys_group(w->keys, &tab, 0, j0, nb);
        for (unsigned g = 0; g < nb; g++) {
            dedup__radix_sort(w->keys[g], w->tmp, m, 32);
            mc[g] = dedup__band_scan(sh->unsure, sh->words, j0 + g, w->keys[g], w->keys[g], m);
            pthread_mutex_lock(sh->mu);
            sh->done[j0 + g] = 1;
            while (sh->ready < b->bands && sh->done[sh->ready])
                sh->ready++;
            pthread_cond_broadcast(sh->cv);
            pthread_mutex_unlock(sh->mu);
        }
        w->st.sort_s += now() - t0;

        for (unsigned g = 0; g < nb && !stop; g++) {
            unsigned j = j0 + g;
            double t1 = now();
            pthread_mutex_lock(sh->mu);
            while (sh->ready < j && !sh->abort)
                pthread_cond_wait(sh->cv, sh->mu);
            stop = sh->abort;
            pthread_mutex_unlock(sh->mu);
            double t2 = now();
            w->st.wait_s += t2 - t1;
            if (stop)
                break;
            int rc = walk_band(w, j, w->keys[g], mc[g]);
            w->st.walk_s += now() - t2;
            if (rc) {
                w->status = rc;
                shared_abort(sh);
                stop = 1;
            }
        }
        if (stop)
            break;
    }
    return NULL;
}

static void pair_release(pair_worker *w)
{
    for (unsigned g = 0; g < BAND_GROUP; g++)
        dedup__free(w->keys[g]);
    dedup__free(w->tmp);
    dedup__free(w->etmp);
    dedup__edgevec_release(&w->out);
}

int dedup__batch_pairs(const dedup_batch *b, unsigned nthreads, dedup__edgevec *out,
                       dedup__pair_stats *st)
{
    out->v = NULL;
    out->n = out->cap = 0;
    if (st)
        memset(st, 0, sizeof *st);
    if (b->count > UINT32_MAX)
        return DEDUP_E_TOOBIG;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    pair_shared sh = {.b = b, .mu = &mu, .cv = &cv};
    pair_worker w[MAX_THREADS];
    memset(w, 0, sizeof w);
    unsigned T = clamp_threads(nthreads, b->bands);
    size_t n = b->count ? b->count : 1;
    int rc = DEDUP_OK;
    sh.words = (b->bands + 63) / 64;
    if (n > SIZE_MAX / sizeof(uint64_t) / sh.words)
        return DEDUP_E_TOOBIG;
    sh.unsure = dedup__calloc(n * sh.words, sizeof(uint64_t));
    sh.done = dedup__calloc(b->bands, 1);
    if (!sh.unsure || !sh.done) {
        rc = DEDUP_E_NOMEM;
        T = 0;
        goto done;
    }
    for (unsigned t = 0; t < T; t++) {
        w[t].sh = &sh;
        unsigned groups = DEDUP_MIN((unsigned)BAND_GROUP, b->bands);
        int bad = !(w[t].tmp = dedup__malloc(n * sizeof(uint64_t)));
        for (unsigned g = 0; g < groups && !bad; g++)
            bad = !(w[t].keys[g] = dedup__malloc(n * sizeof(uint64_t)));
        if (bad) {
            rc = DEDUP_E_NOMEM;
            T = t + 1;
            goto done;
        }
    }
    run_parallel(pair_run, w, sizeof w[0], T);
    for (unsigned t = 0; t < T; t++)
        if (w[t].status)
            rc = w[t].status;
    /* The sorted key buffers are no longer needed: give their memory back
     * before the merge needs its own. */
    for (unsigned t = 0; t < T; t++) {
        for (unsigned g = 0; g < BAND_GROUP; g++) {
            dedup__free(w[t].keys[g]);
            w[t].keys[g] = NULL;
        }
        dedup__free(w[t].tmp);
        w[t].tmp = NULL;
    }
    /* Every thread's verified pairs into thread 0's list, then one sort. */
    for (unsigned t = 1; t < T && rc == DEDUP_OK; t++) {
        dedup__edgevec *a = &w[0].out, *c = &w[t].out;
        if (dedup__grow((void **)&a->v, &a->cap, a->n + c->n, sizeof *a->v)) {
            rc = DEDUP_E_NOMEM;
            break;
        }
        if (c->n)
            memcpy(a->v + a->n, c->v, c->n * sizeof *c->v);
        a->n += c->n;
        dedup__edgevec_release(c);
    }
    if (rc == DEDUP_OK)
        rc = dedup__edges_sort_unique(&w[0].out, &w[0].etmp, &w[0].etmp_cap);
    if (rc == DEDUP_OK) {
        *out = w[0].out;
        w[0].out.v = NULL;
        w[0].out.n = w[0].out.cap = 0;
        if (st) {
            for (unsigned t = 0; t < T; t++) {
                st->proposed += w[t].st.proposed;
                st->collisions += w[t].st.collisions;
                st->repeats += w[t].st.repeats;
                st->compared += w[t].st.compared;
                st->sort_s += w[t].st.sort_s;
                st->walk_s += w[t].st.walk_s;
                st->wait_s += w[t].st.wait_s;
            }
            st->verified = out->n;
        }
    }
done:
    for (unsigned t = 0; t < T; t++)
        pair_release(&w[t]);
    dedup__free((void *)sh.unsure);
    dedup__free(sh.done);
    return rc;
}

/* ------------------------------------------------- stage 2: assignment */

void dedup_clusters_free(dedup_clusters *c)
{
    if (!c)
        return;
    dedup__free(c->cluster);
    dedup__free(c->size);
    dedup__free(c->sim);
    dedup__free(c);
}

static dedup_clusters *clusters_alloc(size_t n)
{
    dedup_clusters *c = dedup__calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->n = n;
    c->cluster = dedup__malloc(n * sizeof *c->cluster);
    c->size = dedup__calloc(n, sizeof *c->size);
    c->sim = dedup__malloc(n * sizeof *c->sim);
    if (!c->cluster || !c->size || !c->sim) {
        dedup_clusters_free(c);
        return NULL;
    }
    return c;
}

/* Transitive mode: components of the pair graph. */
static int assign_transitive(dedup_clusters *c, const dedup__edge *e, size_t np)
{
    dedup__uf uf;
    int rc = dedup__uf_init(&uf, c->n);
    if (rc)
        return rc;
    for (size_t i = 0; i < np; i++)
        dedup__uf_union(&uf, dedup__pair_a(e[i].pair), dedup__pair_b(e[i].pair));
    dedup__uf_flatten(&uf);
    memcpy(c->cluster, uf.parent, c->n * sizeof *c->cluster);
    dedup__uf_release(&uf);
    for (size_t i = 0; i < c->n; i++)
        c->sim[i] = 0.0;
    for (size_t i = 0; i < np; i++) {
        uint32_t a = dedup__pair_a(e[i].pair), b = dedup__pair_b(e[i].pair);
        if (e[i].sim > c->sim[a])
            c->sim[a] = e[i].sim;
        if (e[i].sim > c->sim[b])
            c->sim[b] = e[i].sim;
    }
    return DEDUP_OK;
}

/* Representative mode. The verified pairs are sorted by their smaller
 * document a; regrouped by their larger document b (counting sort), the
 * partners of each b come out in increasing order.
 *
 * Document i joins the cluster of the first earlier representative it
 * duplicates. The representatives it is compared with are its verified
 * partners that are representatives, and the representatives of its other
 * verified partners: banding finds a pair only with some probability, so a
 * copy may be found through another copy of the same story rather than
 * through the first one; comparing it with that cluster's representative
 * directly recovers the pair, and keeps the rule that every member
 * duplicates its representative (no chaining). Each such comparison is one
 * record comparison. */
static int assign_representative(const dedup_batch *b, dedup_clusters *c,
                                 const dedup__edge *ed, size_t np)
{
    size_t n = c->n;
    size_t *start = dedup__calloc(n + 1, sizeof *start);
    size_t *edge = dedup__malloc((np ? np : 1) * sizeof *edge);
    if (!start || !edge) {
        dedup__free(start);
        dedup__free(edge);
        return DEDUP_E_NOMEM;
    }
    for (size_t e = 0; e < np; e++)
        start[dedup__pair_b(ed[e].pair) + 1]++;
    for (size_t i = 0; i < n; i++)
        start[i + 1] += start[i];
    /* start[b] is used as the fill position, then restored. */
    for (size_t e = 0; e < np; e++)
        edge[start[dedup__pair_b(ed[e].pair)]++] = e;
    for (size_t i = n; i > 0; i--)
        start[i] = start[i - 1];
    start[0] = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t best = (uint32_t)i;
        double best_sim = 1.0;
        for (size_t x = start[i]; x < start[i + 1]; x++) {
            size_t e = edge[x];
            uint32_t a = dedup__pair_a(ed[e].pair);
            uint32_t r = c->cluster[a];
            if (r >= best)
                continue;
            double s = ed[e].sim;
            if (r != a) {
                s = rec_similarity(b, rec_at(b, r), rec_at(b, i));
                if (s < b->threshold)
                    continue;
            }
            best = r;
            best_sim = s;
        }
        c->cluster[i] = best;
        c->sim[i] = best_sim;
    }
    dedup__free(start);
    dedup__free(edge);
    return DEDUP_OK;
}

int dedup__batch_assign(const dedup_batch *b, const dedup__edge *edges, size_t npairs,
                        dedup_clusters **out)
{
    *out = NULL;
    if (b->count > UINT32_MAX)
        return DEDUP_E_TOOBIG;
    dedup_clusters *c = clusters_alloc(b->count);
    if (!c)
        return DEDUP_E_NOMEM;
    int rc = b->mode == DEDUP_CLUSTER_TRANSITIVE
                 ? assign_transitive(c, edges, npairs)
                 : assign_representative(b, c, edges, npairs);
    if (rc) {
        dedup_clusters_free(c);
        return rc;
    }
    for (size_t i = 0; i < c->n; i++) {
        uint32_t r = c->cluster[i];
        c->size[r]++;
        if (r == i) {
            c->count++;
            c->sim[i] = 1.0;
        }
    }
    *out = c;
    return DEDUP_OK;
}

/* ------------------------------------------------------- the whole run */

int dedup_batch_cluster(const dedup_batch *b, unsigned nthreads, dedup_clusters **out)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    if (!b)
        return DEDUP_E_INVAL;
    dedup__edgevec edges;
    dedup__pair_stats st;
    int rc = dedup__batch_pairs(b, nthreads, &edges, &st);
    if (rc)
        return rc;
    rc = dedup__batch_assign(b, edges.v, edges.n, out);
    if (rc == DEDUP_OK) {
        (*out)->candidates = (size_t)st.compared;
        (*out)->verified = edges.n;
    }
    dedup__edgevec_release(&edges);
    return rc;
}

/* ------------------------------------------------------------ results */

/* Out-of-range positions give SIZE_MAX, 0.0 and 0: never a valid answer. */

size_t dedup_clusters_candidates(const dedup_clusters *c, size_t *verified)
{
    if (verified)
        *verified = c ? c->verified : 0;
    return c ? c->candidates : 0;
}

size_t dedup_clusters_doc_count(const dedup_clusters *c)
{
    return c ? c->n : 0;
}

size_t dedup_clusters_count(const dedup_clusters *c)
{
    return c ? c->count : 0;
}

size_t dedup_clusters_of(const dedup_clusters *c, size_t i)
{
    return c && i < c->n ? c->cluster[i] : SIZE_MAX;
}

double dedup_clusters_similarity(const dedup_clusters *c, size_t i)
{
    return c && i < c->n ? c->sim[i] : 0.0;
}

size_t dedup_clusters_size_of(const dedup_clusters *c, size_t i)
{
    return c && i < c->n ? c->size[c->cluster[i]] : 0;
}
