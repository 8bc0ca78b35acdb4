/*
 * uf.c - union-find with "smallest index is the root".
 *
 * Linking always hangs the larger root under the smaller one instead of
 * using union by rank. This gives up the textbook inverse-Ackermann bound
 * (path halving alone still gives O(log n) amortized per operation) in
 * exchange for a canonical result: the root of a set is its smallest
 * member whatever order the edges came in, which is both the cluster id the
 * public API promises (the first document in input order) and what makes
 * edge lists from different threads or machines mergeable without any
 * coordination. parent[i] <= i holds at all times, so a flatten pass in
 * increasing order resolves every element with one lookup.
 */
#include "uf.h"

int dedup__uf_init(dedup__uf *uf, size_t n)
{
    uf->parent = NULL;
    uf->n = 0;
    if (n > UINT32_MAX)
        return DEDUP_E_TOOBIG;
    uf->parent = dedup__malloc(n * sizeof *uf->parent);
    if (!uf->parent)
        return DEDUP_E_NOMEM;
    for (size_t i = 0; i < n; i++)
        uf->parent[i] = (uint32_t)i;
    uf->n = n;
    return DEDUP_OK;
}

void dedup__uf_release(dedup__uf *uf)
{
    if (!uf)
        return;
    dedup__free(uf->parent);
    uf->parent = NULL;
    uf->n = 0;
}

uint32_t dedup__uf_find(dedup__uf *uf, uint32_t x)
{
    uint32_t *p = uf->parent;
    /* Path halving: every other node on the path skips to its grandparent. */
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

int dedup__uf_union(dedup__uf *uf, uint32_t a, uint32_t b)
{
    uint32_t ra = dedup__uf_find(uf, a), rb = dedup__uf_find(uf, b);
    if (ra == rb)
        return 0;
    if (ra < rb)
        uf->parent[rb] = ra;
    else
        uf->parent[ra] = rb;
    return 1;
}

size_t dedup__uf_add_edges(dedup__uf *uf, const uint64_t *pairs, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = dedup__pair_a(pairs[i]), b = dedup__pair_b(pairs[i]);
        if (a >= uf->n || b >= uf->n) {
            bad++;
            continue;
        }
        dedup__uf_union(uf, a, b);
    }
    return bad;
}

void dedup__uf_flatten(dedup__uf *uf)
{
    /* parent[i] <= i, and every smaller index is already flat. */
    for (size_t i = 0; i < uf->n; i++)
        uf->parent[i] = uf->parent[uf->parent[i]];
}
