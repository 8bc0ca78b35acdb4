/*
 * test-uf.c - union-find: the root is the smallest member whatever the edge
 * order, edge lists merge, bad edges are ignored, allocation failure.
 */
#include <stdlib.h>

#include "tap.h"
#include "uf.h"

static uint64_t rng_state = 0x1234567;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Reference components: propagate the minimum label until nothing changes. */
static void reference(uint32_t *label, size_t n, const uint64_t *e, size_t m)
{
    for (size_t i = 0; i < n; i++)
        label[i] = (uint32_t)i;
    int changed = 1;
    while (changed) {
        changed = 0;
        for (size_t j = 0; j < m; j++) {
            uint32_t a = dedup__pair_a(e[j]), b = dedup__pair_b(e[j]);
            uint32_t l = label[a] < label[b] ? label[a] : label[b];
            if (label[a] != l || label[b] != l) {
                label[a] = label[b] = l;
                changed = 1;
            }
        }
    }
}

static void test_basic(void)
{
    dedup__uf uf;
    is_int(dedup__uf_init(&uf, 10), DEDUP_OK, "init 10");
    is_int(dedup__uf_union(&uf, 7, 3), 1, "7-3 joins");
    is_int(dedup__uf_union(&uf, 3, 7), 0, "3-7 already joined");
    dedup__uf_union(&uf, 9, 8);
    dedup__uf_union(&uf, 8, 7);
    is_int(dedup__uf_find(&uf, 9), 3, "root of {3,7,8,9} is 3");
    dedup__uf_union(&uf, 5, 9);
    is_int(dedup__uf_find(&uf, 8), 3, "5 joins under 3");
    is_int(dedup__uf_find(&uf, 0), 0, "0 alone");
    dedup__uf_union(&uf, 9, 1);
    is_int(dedup__uf_find(&uf, 3), 1, "1 becomes the root");
    dedup__uf_flatten(&uf);
    int flat = 1;
    for (uint32_t i = 0; i < 10; i++)
        flat &= uf.parent[i] == dedup__uf_find(&uf, i) && uf.parent[i] <= i;
    ok(flat, "flatten points every element at its root");
    dedup__uf_release(&uf);
    dedup__uf_release(&uf);
    ok(uf.parent == NULL, "release twice is harmless");
}

/* Random edge lists, absorbed whole, shuffled, or split in two forests
 * whose edges are merged: always the reference components. */
static void test_random(void)
{
    enum { N = 3000, M = 2500 };
    uint64_t *e = malloc(M * sizeof *e);
    uint32_t *want = malloc(N * sizeof *want);
    for (size_t j = 0; j < M; j++) {
        uint32_t a = (uint32_t)(rnd() % N), b = (uint32_t)(rnd() % N);
        e[j] = dedup__pair(a, b); /* either order: add_edges accepts both */
    }
    reference(want, N, e, M);

    dedup__uf u1, u2;
    dedup__uf_init(&u1, N);
    is_int(dedup__uf_add_edges(&u1, e, M), 0, "no bad edges");
    dedup__uf_flatten(&u1);
    int same = 1;
    for (size_t i = 0; i < N; i++)
        same &= u1.parent[i] == want[i];
    ok(same, "components match the reference, roots smallest");

    for (size_t j = M - 1; j > 0; j--) { /* shuffle */
        size_t r = rnd() % (j + 1);
        uint64_t t = e[j];
        e[j] = e[r];
        e[r] = t;
    }
    dedup__uf_init(&u2, N);
    /* Absorb in two halves, as from two machines. */
    dedup__uf_add_edges(&u2, e + M / 2, M - M / 2);
    dedup__uf_add_edges(&u2, e, M / 2);
    dedup__uf_flatten(&u2);
    same = 1;
    for (size_t i = 0; i < N; i++)
        same &= u2.parent[i] == u1.parent[i];
    ok(same, "edge order and splitting do not change the result");
    dedup__uf_release(&u1);
    dedup__uf_release(&u2);
    free(e);
    free(want);
}

static void test_bad(void)
{
    dedup__uf uf;
    dedup__uf_init(&uf, 5);
    uint64_t e[] = {dedup__pair(1, 4), dedup__pair(2, 5), dedup__pair(UINT32_MAX, 0),
                    dedup__pair(3, 2)};
    is_int(dedup__uf_add_edges(&uf, e, 4), 2, "two out-of-range edges reported");
    is_int(dedup__uf_find(&uf, 4), 1, "valid edges absorbed");
    is_int(dedup__uf_find(&uf, 3), 2, "valid edges absorbed (2)");
    dedup__uf_release(&uf);

    if (sizeof(size_t) > 4)
        is_int(dedup__uf_init(&uf, (size_t)UINT32_MAX + 1), DEDUP_E_TOOBIG,
               "more than 2^32 - 1 elements refused");
    else
        ok(1, "# SKIP 32-bit size_t");
    dedup__alloc_fail_at(0);
    int rc = dedup__uf_init(&uf, 100);
    dedup__alloc_fail_at(-1);
    is_int(rc, DEDUP_E_NOMEM, "allocation failure reported");
    ok(uf.parent == NULL, "nothing held after failure");
    dedup__uf_release(&uf);
}

int main(void)
{
    test_basic();
    test_random();
    test_bad();
    return tap_done();
}
