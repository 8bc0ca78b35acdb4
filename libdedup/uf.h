/*
 * uf.h - union-find over document positions, the last stage of transitive
 * clustering. Internal.
 *
 * The root of every set is always its smallest member, so the result of
 * absorbing a set of edges does not depend on the order the edges arrive in:
 * edge lists computed elsewhere (other threads, other machines holding other
 * bands) can be added in any order and give the same forest roots.
 */
#ifndef DEDUP_UF_H
#define DEDUP_UF_H

#include "common.h"

typedef struct dedup__uf {
    uint32_t *parent; /* parent[i] <= i; parent[r] == r for a root */
    size_t n;
} dedup__uf;

/* A pair of documents a < b packed as a << 32 | b; sorting packed pairs
 * orders them by a, then b. */
static inline uint64_t dedup__pair(uint32_t a, uint32_t b)
{
    return (uint64_t)a << 32 | b;
}
static inline uint32_t dedup__pair_a(uint64_t p)
{
    return (uint32_t)(p >> 32);
}
static inline uint32_t dedup__pair_b(uint64_t p)
{
    return (uint32_t)p;
}

/* Make n singleton sets (n < 2^32). DEDUP_OK, DEDUP_E_TOOBIG or
 * DEDUP_E_NOMEM (uf then holds nothing to free). */
DEDUP_INTERNAL int dedup__uf_init(dedup__uf *uf, size_t n);

/* Release the forest; uf may be zeroed or already released. */
DEDUP_INTERNAL void dedup__uf_release(dedup__uf *uf);

/* The root (smallest member) of x's set. Compresses the path it walks. */
DEDUP_INTERNAL uint32_t dedup__uf_find(dedup__uf *uf, uint32_t x);

/* Join the sets of a and b; returns 1 if they were separate, else 0. */
DEDUP_INTERNAL int dedup__uf_union(dedup__uf *uf, uint32_t a, uint32_t b);

/* Absorb n edges given as packed pairs (either order inside a pair). Edges
 * naming a position >= uf->n are ignored and counted in the return value,
 * so that a bad edge list from elsewhere cannot write out of bounds. */
DEDUP_INTERNAL size_t dedup__uf_add_edges(dedup__uf *uf, const uint64_t *pairs, size_t n);

/* Point every element straight at its root, so that later reads are
 * parent[i] alone. */
DEDUP_INTERNAL void dedup__uf_flatten(dedup__uf *uf);

#endif
