/*
 * bandsort.c - candidate pairs by sorting band keys.
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
 * dedup__band_scan records, per band, the documents that are not certain
 * to have all their pairs in their run proposed: the members of long runs
 * other than the leaders, rare outside collections of copies. Batch
 * clustering reads those bits to verify each pair in the first band that
 * proposes it, without keeping a set of the pairs seen.
 */
#include "bandsort.h"
#include "uf.h"

/* The pair of the documents of two band keys, the first one smaller. */
static inline uint64_t pair_of(uint64_t ka, uint64_t kb)
{
    return dedup__pair((uint32_t)ka, (uint32_t)kb);
}

void dedup__u64vec_release(dedup__u64vec *a)
{
    if (!a)
        return;
    dedup__free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

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

size_t dedup__band_keys(uint64_t *keys, const dedup__rectab *t, uint32_t first_doc,
                        unsigned band)
{
    return dedup__band_keys_group(&keys, t, first_doc, band, 1);
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

void dedup__band_merge(uint64_t *out, const uint64_t *a, size_t na, const uint64_t *b,
                       size_t nb)
{
    size_t i = 0, j = 0, o = 0;
    while (i < na && j < nb)
        out[o++] = b[j] < a[i] ? b[j++] : a[i++];
    while (i < na)
        out[o++] = a[i++];
    while (j < nb)
        out[o++] = b[j++];
}

/* ------------------------------------------------------------ band runs */

static int push(dedup__u64vec *out, uint64_t v)
{
    if (out->n == out->cap &&
        dedup__grow((void **)&out->v, &out->cap, out->n + 1, sizeof *out->v))
        return DEDUP_E_NOMEM;
    out->v[out->n++] = v;
    return DEDUP_OK;
}

int dedup__band_pairs(dedup__u64vec *out, const uint64_t *keys, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint64_t h = keys[i] >> 32;
        size_t j = i + 1;
        while (j < n && keys[j] >> 32 == h)
            j++;
        size_t m = j - i;
        const uint64_t *run = keys + i;
        if (m <= DEDUP__RUN_FULL) {
            for (size_t x = 0; x < m; x++)
                for (size_t y = x + 1; y < m; y++)
                    if (push(out, pair_of(run[x], run[y])))
                        return DEDUP_E_NOMEM;
        } else {
            for (size_t y = 1; y < m; y++) {
                size_t lead = y < DEDUP__RUN_LEADERS ? y : DEDUP__RUN_LEADERS;
                for (size_t x = 0; x < lead; x++)
                    if (push(out, pair_of(run[x], run[y])))
                        return DEDUP_E_NOMEM;
                if (y - 1 >= DEDUP__RUN_LEADERS &&
                    push(out, pair_of(run[y - 1], run[y])))
                    return DEDUP_E_NOMEM;
            }
        }
        i = j;
    }
    return DEDUP_OK;
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

/* -------------------------------------------------------- pair sets */

int dedup__pairs_sort_unique(dedup__u64vec *a, uint64_t **tmp, size_t *tmp_cap)
{
    if (a->n < 2)
        return DEDUP_OK;
    if (dedup__grow((void **)tmp, tmp_cap, a->n, sizeof **tmp))
        return DEDUP_E_NOMEM;
    dedup__radix_sort(a->v, *tmp, a->n, 0);
    size_t w = 1;
    for (size_t i = 1; i < a->n; i++)
        if (a->v[i] != a->v[w - 1])
            a->v[w++] = a->v[i];
    a->n = w;
    return DEDUP_OK;
}

int dedup__pairs_merge_unique(dedup__u64vec *acc, const uint64_t *b, size_t nb)
{
    if (nb == 0)
        return DEDUP_OK;
    size_t na = acc->n;
    if (na > SIZE_MAX - nb ||
        dedup__grow((void **)&acc->v, &acc->cap, na + nb, sizeof *acc->v))
        return DEDUP_E_NOMEM;
    /* Merge from the back into acc's own buffer: the write position never
     * falls below the next unread element of acc. Equal values are written
     * once, which leaves a gap at the front, closed by one move. */
    uint64_t *v = acc->v;
    size_t i = na, j = nb, w = na + nb;
    uint64_t last = 0;
    int have_last = 0;
    while (i > 0 || j > 0) {
        uint64_t x;
        if (j == 0 || (i > 0 && v[i - 1] > b[j - 1]))
            x = v[--i];
        else
            x = b[--j];
        if (have_last && x == last)
            continue;
        v[--w] = x;
        last = x;
        have_last = 1;
    }
    size_t m = na + nb - w;
    if (w)
        memmove(v, v + w, m * sizeof *v);
    acc->n = m;
    return DEDUP_OK;
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
