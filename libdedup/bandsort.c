/*
 * bandsort.c - the pair stage of batch clustering: band keys sorted per
 * band, runs walked, and the pairs they propose verified on the spot.
 *
 * For one band at a time, every document's band key is packed with its
 * position into a 64-bit sort key (bandsort.h), the keys are radix-sorted
 * and runs of equal key are walked. Sorting touches memory in long
 * sequential streams, where a hash table of a million buckets pays a cache
 * miss per insertion; it also keeps memory at two key arrays per band in
 * flight instead of one table per band.
 *
 * Long runs. A run of m equal band keys is a set of documents that agree
 * on every value of the band: usually copies of one story, but also, for
 * bands of one or two rows, documents that share a common value by chance
 * or through boilerplate. Pairing all of them costs m^2 / 2 comparisons,
 * which a million identical documents turn into 5 * 10^11. So runs of up to
 * DEDUP__RUN_FULL members give every pair, and longer runs give each member
 * a pair with each of the first DEDUP__RUN_LEADERS members and with its
 * predecessor: at most 5 pairs per member, linear work. The price: a pair
 * that only this band could reveal, and that is neither leader-member nor
 * neighbours, is not proposed. For copies of one story the leader pairs
 * already join everything (and other bands give other runs); for a mixed
 * run, the predecessor chain still offers every member a partner. In
 * representative mode a member whose only duplicate is a representative in
 * the middle of a long run, in every band they share, goes unmatched.
 *
 * The pair stage. The runs of equal keys propose their pairs, and each
 * proposed pair is compared on the spot, while both documents' records
 * (batch.c) are in cache, and kept only if it reaches the threshold: the
 * candidates (79 million on a million generated news articles, 16 bytes
 * each with their similarity) are never stored, only the verified pairs,
 * a few per document.
 *
 * Once per pair. Two documents that agree on several bands are proposed by
 * each. Band j compares a pair only if no earlier band i < j is certain to
 * have proposed it: that is, unless the two documents agree on band i
 * (equal key and equal stored values in the band's rows; both records are
 * at hand) and band i did not mark the smaller one unsure.
 * dedup__band_scan marks, per band, the documents that are not certain to
 * have all their pairs in their run proposed: the members of long runs
 * after the leaders, rare outside collections of copies. So each
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
 * Threads. The skip rule reads the marks of every earlier band, so a
 * band's marks must be written before a later band is walked. Threads
 * take groups of BAND_GROUP bands in increasing order from a shared
 * counter; a thread sorts its bands, publishing each band's marks as soon
 * as they are written, then walks each band once every earlier band has
 * published (those are sorted at the same time by the other threads, so
 * the wait is short). Each thread keeps its own verified pairs; they are
 * merged and sorted at the end. What is compared and what is kept depend
 * only on the batch, so the output never depends on the number of threads
 * or on scheduling. The calling thread does the work of thread 0 itself,
 * and of any thread that could not be started, so a failure to create
 * threads only costs time.
 */
#include <pthread.h>
#include <time.h>

#include "bandsort.h"
#include "lsh.h"
#include "signature.h"
#include "uf.h"

/* More threads than this would only add merge work. */
#define MAX_THREADS 64

void dedup__edgevec_release(dedup__edgevec *a)
{
    if (!a)
        return;
    dedup__free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

/* ------------------------------------------------------------ band keys */

size_t dedup__band_keys_group(uint64_t *const *keys, const dedup__rectab *t,
                              uint32_t first_doc, unsigned band0, unsigned nb)
{
    size_t m = 0;
    for (size_t i = 0; i < t->n; i++) {
        const unsigned char *r = dedup__rec(t, i);
        if (dedup__rec_set_size(r) == 0)
            continue;
        const uint32_t *key = dedup__rec_keys(r) + band0;
        uint32_t doc = (uint32_t)(first_doc + i);
        for (unsigned j = 0; j < nb; j++)
            keys[j][m] = (uint64_t)key[j] << 32 | doc;
        m++;
    }
    return m;
}

/* ---------------------------------------------------------- radix sort */

void dedup__radix_sort(uint64_t *keys, uint64_t *tmp, size_t n, unsigned lo_bit)
{
    size_t hist[8][256];
    unsigned first = lo_bit / 8;
    if (n < 2 || first >= 8)
        return;
    memset(hist, 0, sizeof hist);
    /* One counting pass for every digit at once. */
    for (size_t i = 0; i < n; i++) {
        uint64_t k = keys[i];
        for (unsigned d = first; d < 8; d++)
            hist[d][(k >> (8 * d)) & 0xff]++;
    }
    uint64_t *src = keys, *dst = tmp;
    for (unsigned d = first; d < 8; d++) {
        size_t *h = hist[d];
        unsigned shift = 8 * d;
        /* Every key has the same digit: the pass would not move anything. */
        if (h[(src[0] >> shift) & 0xff] == n)
            continue;
        size_t sum = 0;
        for (unsigned j = 0; j < 256; j++) {
            size_t c = h[j];
            h[j] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t k = src[i];
            dst[h[(k >> shift) & 0xff]++] = k;
        }
        uint64_t *x = src;
        src = dst;
        dst = x;
    }
    if (src != keys)
        memcpy(keys, src, n * sizeof *keys);
}

/* One pass of dedup__radix_sort_records with a constant record size, so
 * that the copies are plain loads and stores. */
static DEDUP_ALWAYS_INLINE int radix_pass(const unsigned char *a, unsigned char *b, size_t n,
                                          size_t size, size_t key_off, unsigned shift)
{
    size_t count[257] = {0};
    for (size_t i = 0; i < n; i++) {
        uint64_t k;
        memcpy(&k, a + i * size + key_off, 8);
        count[(k >> shift & 0xff) + 1]++;
    }
    for (int d = 1; d <= 256; d++)
        if (count[d] == n)
            return 0; /* one digit: nothing to do */
    for (int d = 0; d < 256; d++)
        count[d + 1] += count[d];
    for (size_t i = 0; i < n; i++) {
        uint64_t k;
        memcpy(&k, a + i * size + key_off, 8);
        memcpy(b + count[k >> shift & 0xff]++ * size, a + i * size, size);
    }
    return 1;
}

void dedup__radix_sort_records(void *v, void *tmp, size_t n, size_t size, size_t key_off)
{
    unsigned char *a = v, *b = tmp;
    for (unsigned shift = 0; shift < 64; shift += 8) {
        int moved = size == 16   ? radix_pass(a, b, n, 16, key_off, shift)
                    : size == 24 ? radix_pass(a, b, n, 24, key_off, shift)
                                 : radix_pass(a, b, n, size, key_off, shift);
        if (moved) {
            unsigned char *t = a;
            a = b;
            b = t;
        }
    }
    if (a != (unsigned char *)v)
        memcpy(v, a, n * size);
}

size_t dedup__band_scan(_Atomic uint64_t *unsure, size_t words_per_doc, unsigned band,
                        uint64_t *multi, const uint64_t *keys, size_t n)
{
    size_t i = 0, c = 0;
    uint64_t bit = (uint64_t)1 << (band % 64);
    while (i < n) {
        uint64_t h = keys[i] >> 32;
        size_t j = i + 1;
        while (j < n && keys[j] >> 32 == h)
            j++;
        size_t m = j - i;
        if (m > 1) {
            for (size_t x = DEDUP__RUN_LEADERS; m > DEDUP__RUN_FULL && x < m; x++) {
                uint32_t d = (uint32_t)keys[i + x];
                atomic_fetch_or_explicit(&unsure[d * words_per_doc + band / 64], bit,
                                         memory_order_relaxed);
            }
            memmove(multi + c, keys + i, m * sizeof *keys);
            c += m;
        }
        i = j;
    }
    return c;
}

/* LSD radix sort of edges on their pair, 8 bits per pass, skipping passes
 * whose digit is the same for every edge. The result is in v. */
static void edge_radix_sort(dedup__edge *v, dedup__edge *tmp, size_t n)
{
    size_t hist[8][256];
    memset(hist, 0, sizeof hist);
    for (size_t i = 0; i < n; i++)
        for (unsigned d = 0; d < 8; d++)
            hist[d][(v[i].pair >> (8 * d)) & 0xff]++;
    dedup__edge *src = v, *dst = tmp;
    for (unsigned d = 0; d < 8; d++) {
        size_t *h = hist[d];
        unsigned shift = 8 * d;
        if (h[(src[0].pair >> shift) & 0xff] == n)
            continue;
        size_t sum = 0;
        for (unsigned j = 0; j < 256; j++) {
            size_t c = h[j];
            h[j] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[h[(src[i].pair >> shift) & 0xff]++] = src[i];
        dedup__edge *x = src;
        src = dst;
        dst = x;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
}

int dedup__edges_sort_unique(dedup__edgevec *a, dedup__edge **tmp, size_t *tmp_cap)
{
    if (a->n < 2)
        return DEDUP_OK;
    if (dedup__grow((void **)tmp, tmp_cap, a->n, sizeof **tmp))
        return DEDUP_E_NOMEM;
    edge_radix_sort(a->v, *tmp, a->n);
    size_t w = 1;
    for (size_t i = 1; i < a->n; i++)
        if (a->v[i].pair != a->v[w - 1].pair)
            a->v[w++] = a->v[i];
    a->n = w;
    return DEDUP_OK;
}

/* ====================================================== the pair stage */

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

static inline const unsigned char *rec_at(const dedup__pair_view *b, size_t i)
{
    return b->recs + i * b->rec_size;
}

static inline uint32_t rec_matches(const dedup__pair_view *b, const unsigned char *x,
                                   const unsigned char *y)
{
    return equal_lanes(x + b->val_off, y + b->val_off, (size_t)b->k * b->value_bytes,
                       b->value_bytes);
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
static inline int verdict(const dedup__pair_view *b, uint32_t m, const unsigned char *x,
                          const unsigned char *y, double *sim)
{
    uint64_t na = dedup__rec_set_size(x), nb = dedup__rec_set_size(y);
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
    *sim = dedup__measure_similarity_k(b->measure, j, na, nb, dedup__rec_chars(x),
                                       dedup__rec_chars(y), b->min_shared, b->k, b->c_noise);
    return *sim >= b->threshold;
}

/* 1 if records x and y hold the same stored values in band `band`. */
static inline int band_values_equal(const dedup__pair_view *b, const unsigned char *x,
                                    const unsigned char *y, unsigned band)
{
    size_t w = dedup__band_rows(band, b->main_bands, b->rows) * b->value_bytes,
           at = b->val_off + dedup__band_first(band, b->main_bands, b->rows, b->k) * b->value_bytes;
    return bytes_equal(x + at, y + at, w);
}

int dedup__pair_repeat(const dedup__pair_view *b, const unsigned char *x,
                       const unsigned char *y, unsigned band, const uint64_t *unsure_x)
{
    const uint32_t *kx = dedup__rec_keys(x), *ky = dedup__rec_keys(y);
    if (!any_equal_key(kx, ky, band))
        return 0;
    for (unsigned i = 0; i < band; i++)
        if (kx[i] == ky[i] && band_values_equal(b, x, y, i) && !(unsure_x[i / 64] >> (i % 64) & 1))
            return 1;
    return 0;
}

int dedup__pair_check(const dedup__pair_view *b, const unsigned char *x,
                      const unsigned char *y, unsigned band, double *sim)
{
    if (!band_values_equal(b, x, y, band))
        return -1;
    return verdict(b, rec_matches(b, x, y), x, y, sim);
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
    const dedup__pair_view *b;
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
    const dedup__pair_view *b;
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
    const dedup__pair_view *b = bw->b;
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
    if (DEDUP_LIKELY(!verdict(b, m, rx, ry, &s)))
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
    const dedup__pair_view *b = w->sh->b;
    band_walk bw = {.w = w, .b = b, .recs = b->recs, .rec_size = b->rec_size, .j = j};
    bw.band_len = dedup__band_rows(j, b->main_bands, b->rows) * b->value_bytes;
    bw.band_off = b->val_off + dedup__band_first(j, b->main_bands, b->rows, b->k) * b->value_bytes;
#ifdef HAVE_VECTORS
    /* Lead bands lie past the k values the fused comparison reads. */
    bw.fused = b->value_bytes == 1 && b->k % 16 == 0 && bw.band_len == 2 && j < b->main_bands;
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
    const dedup__pair_view *b = sh->b;
    dedup__rectab tab = {b->recs, b->rec_size, b->count};
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

int dedup__pair_stage(const dedup__pair_view *b, unsigned nthreads, dedup__edgevec *out,
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

