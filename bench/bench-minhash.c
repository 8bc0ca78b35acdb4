/*
 * bench-minhash.c - speed of the MinHash kernel and of signature
 * comparison.
 *
 * Input is generated from a fixed seed (random 64-bit values, as the
 * shingle stage produces), so nothing is read from disk. Each figure is the
 * best of several timed repetitions: the machine is shared, and the minimum
 * is the figure least disturbed by other work. For reference the program
 * also times classic MinHash with k independent hash functions (n * k
 * evaluations) on the same sets, the baseline the kernel replaces.
 *
 * Output: one line per metric, "name value unit".
 * Usage: bench-minhash [quick]   ("quick" shortens every measurement)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "signature.h"

#define MAX_N 5000
#define NSETS 32 /* distinct sets cycled through, so caches see varied input */

static double budget = 0.02; /* seconds per repetition */
static int reps = 9;

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static volatile uint32_t sink;

/* Classic MinHash for reference: value j is the minimum over the set of
 * the j-th hash function. */
static void classic_minhash(const uint64_t *x, size_t n, uint32_t k, uint64_t seed,
                            uint32_t *out)
{
    for (uint32_t j = 0; j < k; j++) {
        uint64_t key = dedup__mix64(seed + j);
        uint32_t best = UINT32_MAX;
        for (size_t e = 0; e < n; e++) {
            uint32_t v = (uint32_t)(dedup__mix64(x[e] ^ key) >> 32);
            best = v < best ? v : best;
        }
        out[j] = best;
    }
}

/* Best time in ns of one kernel call on sets of n elements; classic: the
 * reference kernel; isa: the instruction set of the library's kernel. */
static double time_kernel(const uint64_t *data, size_t n, uint32_t k, int classic, int isa)
{
    uint32_t out[1024];
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        long iters = 0;
        double t0 = now(), t;
        do {
            for (int i = 0; i < 16; i++, iters++) {
                const uint64_t *set = data + (size_t)(iters % NSETS) * MAX_N;
                if (classic)
                    classic_minhash(set, n, k, 42, out);
                else
                    dedup__minhash_isa(set, n, k, 42, out, isa);
                sink += out[iters % k];
            }
            t = now() - t0;
        } while (t < budget);
        double per = t / (double)iters * 1e9;
        if (per < best)
            best = per;
    }
    return best;
}

/* Best time in ns of one Jaccard estimate between signatures of k values. */
static double time_compare(uint32_t k)
{
    enum { NSIG = 256 };
    dedup_params p;
    dedup__params_defaults(&p);
    p.ival[DEDUP_P_NUM_HASHES] = k;
    dedup_signature *sigs[NSIG];
    uint64_t set[200];
    for (int i = 0; i < NSIG; i++) {
        if (dedup_signature_create(&sigs[i], &p) != DEDUP_OK) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
        /* Pairs share about half their elements, so values half match. */
        for (int e = 0; e < 200; e++)
            set[e] = (e < 100) ? (uint64_t)e * 0x9e3779b97f4a7c15ULL : rng();
        dedup__minhash(set, 200, k, 7, sigs[i]->values, NULL, NULL);
        sigs[i]->set_size = 200;
    }
    double best = 1e30, acc = 0;
    for (int r = 0; r < reps; r++) {
        long iters = 0;
        double t0 = now(), t;
        do {
            for (int i = 0; i < 1024; i++, iters++) {
                double j;
                dedup_signature_jaccard(sigs[iters % NSIG], sigs[(iters * 7 + 1) % NSIG], &j);
                acc += j;
            }
            t = now() - t0;
        } while (t < budget);
        double per = t / (double)iters * 1e9;
        if (per < best)
            best = per;
    }
    sink += (uint32_t)acc;
    for (int i = 0; i < NSIG; i++)
        dedup_signature_free(sigs[i]);
    return best;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "quick") == 0) {
        budget = 0.005;
        reps = 3;
    }
    uint64_t *data = malloc(sizeof *data * MAX_N * NSETS);
    if (!data) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < (size_t)MAX_N * NSETS; i++)
        data[i] = rng();

    static const size_t sizes[] = {10, 100, 500, 5000};
    static const uint32_t ks[] = {128, 256};
    for (size_t ki = 0; ki < 2; ki++)
        for (size_t si = 0; si < 4; si++) {
            uint32_t k = ks[ki];
            size_t n = sizes[si];
            double ns = time_kernel(data, n, k, 0, DEDUP__ISA_AUTO);
            printf("minhash_k%u_n%zu_per_set %.0f ns\n", k, n, ns);
            printf("minhash_k%u_n%zu_per_shingle %.2f ns\n", k, n, ns / (double)n);
        }
    static const char *const isa_names[] = {"auto", "scalar", "avx2", "avx512"};
    for (int isa = DEDUP__ISA_SCALAR; isa <= DEDUP__ISA_AVX512; isa++) {
        if (!dedup__minhash_isa_supported(isa)) {
            printf("# minhash path %s: not supported on this CPU\n", isa_names[isa]);
            continue;
        }
        for (size_t si = 2; si < 4; si++)
            printf("minhash_%s_k128_n%zu_per_set %.0f ns\n", isa_names[isa], sizes[si],
                   time_kernel(data, sizes[si], 128, 0, isa));
    }
    for (size_t ki = 0; ki < 2; ki++) {
        double ns = time_kernel(data, 500, ks[ki], 1, DEDUP__ISA_SCALAR);
        printf("classic_minhash_k%u_n500_per_set %.0f ns\n", ks[ki], ns);
    }
    for (size_t ki = 0; ki < 2; ki++)
        printf("compare_jaccard_k%u %.1f ns\n", ks[ki], time_compare(ks[ki]));
    free(data);
    return 0;
}
