/*
 * bandsort-ref.c - the reference forms of bandsort-ref.h.
 */
#include <string.h>

#include "bandsort-ref.h"
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

size_t dedup__band_keys(uint64_t *keys, const dedup__rectab *t, uint32_t first_doc,
                        unsigned band)
{
    return dedup__band_keys_group(&keys, t, first_doc, band, 1);
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
