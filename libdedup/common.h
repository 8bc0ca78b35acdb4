/*
 * common.h - helpers shared by every file of the library: allocation (with a
 * fault-injection hook for tests), little-endian loads and stores, and small
 * macros. Nothing here is part of the public API.
 *
 * All library memory goes through dedup__malloc/calloc/realloc/free so that
 * a test can make the n-th allocation fail and check that every caller
 * returns DEDUP_E_NOMEM without leaking (see dedup__alloc_fail_at).
 */
#ifndef DEDUP_COMMON_H
#define DEDUP_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define DEDUP_EXPERIMENTAL /* the library defines every call */
#include "dedup.h"

#if defined(__GNUC__)
#  define DEDUP_LIKELY(x) __builtin_expect(!!(x), 1)
#  define DEDUP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#  define DEDUP_INTERNAL __attribute__((visibility("hidden")))
#else
#  define DEDUP_LIKELY(x) (x)
#  define DEDUP_UNLIKELY(x) (x)
#  define DEDUP_INTERNAL
#endif

#if defined(__GNUC__)
#  define DEDUP_PREFETCH(p) __builtin_prefetch((p), 0, 1)
#else
#  define DEDUP_PREFETCH(p) ((void)(p))
#endif
/* Inlined even where the compiler would not: hot loops split into
 * functions for reading. */
#if defined(__GNUC__)
#  define DEDUP_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#  define DEDUP_ALWAYS_INLINE inline
#endif

#define DEDUP_MIN(a, b) ((a) < (b) ? (a) : (b))
#define DEDUP_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---------------------------------------------------------------- memory */

DEDUP_INTERNAL void *dedup__malloc(size_t n);
DEDUP_INTERNAL void *dedup__calloc(size_t count, size_t size);
DEDUP_INTERNAL void *dedup__realloc(void *p, size_t n);
DEDUP_INTERNAL void dedup__free(void *p);

/* Mark p[0..n), a long-lived array read at random places, for transparent
 * huge pages where the system offers them; a hint that changes nothing
 * else. See alloc.c. */
DEDUP_INTERNAL void dedup__advise_random(void *p, size_t n);

/* Fault injection for tests, per thread: after n more successful
 * allocations, every allocation fails (n < 0 turns failures off). Returns
 * the number of allocations made since the last call. */
DEDUP_INTERNAL long dedup__alloc_fail_at(long n);

/* Grow *buf (holding *cap elements of size elem) to at least need elements,
 * at least doubling. DEDUP_OK or DEDUP_E_NOMEM (*buf untouched then). */
DEDUP_INTERNAL int dedup__grow(void **buf, size_t *cap, size_t need, size_t elem);

/* --------------------------------------------------- little-endian access */

static inline void dedup__store_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static inline void dedup__store_le64(unsigned char *p, uint64_t v)
{
    dedup__store_le32(p, (uint32_t)v);
    dedup__store_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t dedup__load_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t dedup__load_le64(const unsigned char *p)
{
    return (uint64_t)dedup__load_le32(p) | (uint64_t)dedup__load_le32(p + 4) << 32;
}

/* A 64-bit finalizer with full avalanche (the murmur3 fmix64 constants are
 * a well-studied choice). */
static inline uint64_t dedup__mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

#endif /* DEDUP_COMMON_H */
