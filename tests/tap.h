/*
 * tap.h - a small TAP (Test Anything Protocol) helper for the test programs.
 * meson reads the output (protocol: 'tap'). Each check prints "ok N - what"
 * or "not ok N - what" with the file and line of a failure; tap_done()
 * prints the plan and returns the exit status.
 */
#ifndef DEDUP_TAP_H
#define DEDUP_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_count_ = 0, tap_failed_ = 0;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5), unused))
#endif
static int tap_check_(int ok, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    tap_count_++;
    printf("%sok %d - ", ok ? "" : "not ", tap_count_);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!ok) {
        tap_failed_++;
        printf("# failed at %s:%d\n", file, line);
    }
    fflush(stdout);
    return ok;
}

/* ok(condition, "printf-style description", ...) */
#define ok(cond, ...) tap_check_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
/* is_int(got, expected, description) */
#define is_int(got, want, ...)                                                 \
    do {                                                                       \
        long long g_ = (long long)(got), w_ = (long long)(want);               \
        if (!ok(g_ == w_, __VA_ARGS__))                                        \
            printf("#   got %lld, expected %lld\n", g_, w_);                   \
    } while (0)

#define tap_diag(...)            \
    do {                         \
        printf("# ");            \
        printf(__VA_ARGS__);     \
        printf("\n");            \
    } while (0)

static int tap_done(void)
{
    printf("1..%d\n", tap_count_);
    return tap_failed_ ? 1 : 0;
}

#endif
