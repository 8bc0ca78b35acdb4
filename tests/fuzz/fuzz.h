/*
 * fuzz.h - what every fuzz target shares: the libFuzzer entry point and a
 * check macro.
 *
 * A target is one LLVMFuzzerTestOneInput function. It is linked either
 * with libFuzzer (clang -fsanitize=fuzzer, meson -Dfuzzing=true, see
 * run.sh) to search for crashing inputs, or with replay.c, which feeds it
 * the files of its seed corpus so that every known input, regression
 * inputs included, runs as an ordinary test with any compiler.
 *
 * A target checks properties with FUZZ_CHECK: a failure prints the
 * condition and aborts, which libFuzzer and the replay driver both report
 * as a crash with the input that caused it.
 */
#ifndef DEDUP_FUZZ_H
#define DEDUP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef __cplusplus
}
#endif

#define FUZZ_CHECK(cond)                                                            \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                \
        }                                                                           \
    } while (0)

/* A call that must return DEDUP_OK (0): inputs are bounded in size, so
 * even running out of memory would be a finding. */
#define FUZZ_OK(expr)                                                              \
    do {                                                                            \
        int fuzz_rc_ = (expr);                                                      \
        if (fuzz_rc_ != 0) {                                                        \
            fprintf(stderr, "%s:%d: %s returned %d\n", __FILE__, __LINE__, #expr,   \
                    fuzz_rc_);                                                      \
            abort();                                                                \
        }                                                                           \
    } while (0)

#endif
