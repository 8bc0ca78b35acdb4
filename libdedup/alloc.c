/*
 * alloc.c - the library's allocator wrappers.
 *
 * Every allocation goes through here so that tests can inject failures: a
 * thread-local countdown makes the n-th allocation from now return NULL.
 * The countdown is thread-local so that tests running in parallel threads do
 * not disturb each other; it is off (negative) unless a test sets it.
 */
#include <stdint.h>
#include <stdlib.h>
#if defined(__linux__)
#  include <sys/mman.h>
#endif

#include "common.h"

static _Thread_local long fail_countdown = -1;
static _Thread_local long alloc_count = 0;

static int should_fail(void)
{
    alloc_count++;
    if (fail_countdown < 0)
        return 0;
    if (fail_countdown == 0)
        return 1;
    fail_countdown--;
    return 0;
}

long dedup__alloc_fail_at(long n)
{
    long made = alloc_count;
    alloc_count = 0;
    fail_countdown = n;
    return made;
}

void *dedup__malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *dedup__calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    if (count == 0 || size == 0)
        count = size = 1;
    return calloc(count, size);
}

void *dedup__realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void dedup__free(void *p)
{
    free(p);
}

int dedup__grow(void **buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return DEDUP_OK;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return DEDUP_E_NOMEM;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elem)
        return DEDUP_E_NOMEM;
    void *nb = dedup__realloc(*buf, ncap * elem);
    if (!nb)
        return DEDUP_E_NOMEM;
    *buf = nb;
    *cap = ncap;
    return DEDUP_OK;
}

/*
 * Huge pages. An index's chains and signatures, and the counters of line
 * statistics, are read one cache line here and one there, so with 4 KiB
 * pages nearly every such read also misses the TLB. Arrays of HUGE_MIN
 * bytes or more are marked for transparent huge pages where the system
 * has them (Linux, setting "always" or "madvise"); elsewhere, or when the
 * system declines, nothing changes. Only long-lived arrays are marked:
 * blocks allocated, resized and freed again and again pay for splitting
 * and clearing 2 MiB pages each time (a batch's records, grown chunk by
 * chunk, made `dedup cluster` three times slower).
 */
#define HUGE_PAGE ((uintptr_t)2 << 20)
#define HUGE_MIN ((size_t)16 << 20)

void dedup__advise_random(void *p, size_t n)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p && n >= HUGE_MIN) {
        uintptr_t a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
        uintptr_t e = ((uintptr_t)p + n) & ~(HUGE_PAGE - 1);
        if (e > a)
            (void)madvise((void *)a, (size_t)(e - a), MADV_HUGEPAGE);
    }
#else
    (void)p;
    (void)n;
#endif
}
