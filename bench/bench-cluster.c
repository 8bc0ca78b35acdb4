/*
 * bench-cluster.c - batch clustering of synthetic signatures, stage by
 * stage.
 *
 * Signatures are generated directly rather than from text, so that a
 * million of them take well under a second: an original document gets k
 * random 32-bit values, and a planted copy takes each value from an
 * earlier original with probability f (drawn uniformly from [0.7, 1]) and
 * a fresh random value otherwise, which makes f its expected Jaccard
 * similarity to the original, as for MinHash values of real sets. Every
 * document claims 1000 shingles. The default measure is Jaccard with
 * threshold 0.5, LSH bands and rows derived from it.
 *
 * Prints one line per figure: seconds per stage, pairs, clusters, the
 * share of planted copies found in their original's cluster, and peak
 * resident memory (getrusage ru_maxrss).
 *
 * Usage: bench-cluster [--docs N] [--threads T] [--dup-frac F]
 *                      [--mode transitive|representative] [--seed S]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "batch.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int fail(const char *what, int rc)
{
    fprintf(stderr, "bench-cluster: %s: %s\n", what, dedup_strerror(rc));
    return 1;
}

int main(int argc, char **argv)
{
    size_t docs = 1000000;
    unsigned threads = 2;
    double dup_frac = 0.2;
    int mode = DEDUP_CLUSTER_REPRESENTATIVE;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "bench-cluster: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--docs"))
            docs = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--threads"))
            threads = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--dup-frac"))
            dup_frac = strtod(v, NULL);
        else if (!strcmp(a, "--seed"))
            seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--mode") && !strcmp(v, "transitive"))
            mode = DEDUP_CLUSTER_TRANSITIVE;
        else if (!strcmp(a, "--mode") && !strcmp(v, "representative"))
            mode = DEDUP_CLUSTER_REPRESENTATIVE;
        else {
            fprintf(stderr, "usage: bench-cluster [--docs N] [--threads T] [--dup-frac F] "
                            "[--mode transitive|representative] [--seed S]\n");
            return 2;
        }
    }

    dedup_params *p;
    dedup_params_create(&p);
    dedup_params_set(p, DEDUP_P_MEASURE, DEDUP_MEASURE_JACCARD);
    dedup_params_set_real(p, DEDUP_P_THRESHOLD, 0.5);
    dedup_params_set(p, DEDUP_P_CLUSTER_MODE, mode);
    dedup_batch *b;
    dedup_signature *sig;
    int rc = dedup_batch_create(&b, p);
    if (rc)
        return fail("batch", rc);
    if ((rc = dedup_signature_create(&sig, p)) || (rc = dedup_batch_resize(b, docs)))
        return fail("allocation", rc);

    /* origin[i]: the original a copy was made from, or i itself. */
    uint32_t *origin = malloc((docs ? docs : 1) * sizeof *origin);
    if (!origin)
        return fail("allocation", DEDUP_E_NOMEM);
    rng_state = seed;
    double t0 = now();
    size_t copies = 0;
    dedup__sigtab tab = dedup__batch_table(b);
    for (size_t i = 0; i < docs; i++) {
        uint32_t k = sig->k;
        sig->set_size = 1000;
        origin[i] = (uint32_t)i;
        if (i > 0 && (double)(rnd() >> 11) * 0x1p-53 < dup_frac) {
            uint32_t o = origin[rnd() % i];
            const dedup_signature *src = dedup__sigtab_get(&tab, o);
            /* Share each slot with probability f: a threshold on 32 bits. */
            double f = 0.7 + 0.3 * (double)(rnd() >> 11) * 0x1p-53;
            uint64_t cut = (uint64_t)(f * 4294967296.0);
            for (uint32_t j = 0; j < k; j++) {
                uint64_t r = rnd();
                sig->values[j] = (r >> 32) < cut ? src->values[j] : (uint32_t)r;
            }
            origin[i] = o;
            copies++;
        } else {
            for (uint32_t j = 0; j < k; j += 2) {
                uint64_t r = rnd();
                sig->values[j] = (uint32_t)r;
                if (j + 1 < k)
                    sig->values[j + 1] = (uint32_t)(r >> 32);
            }
        }
        dedup_batch_set(b, i, sig);
    }
    double t1 = now();

    dedup__u64vec pairs;
    double *sims = NULL;
    dedup_clusters *c = NULL;
    if ((rc = dedup__batch_candidates(b, threads, &pairs)))
        return fail("candidates", rc);
    double t2 = now();
    size_t ncand = pairs.n;
    if ((rc = dedup__batch_verify(b, threads, &pairs, &sims)))
        return fail("verification", rc);
    double t3 = now();
    if ((rc = dedup__batch_assign(b, pairs.v, sims, pairs.n, &c)))
        return fail("assignment", rc);
    double t4 = now();

    size_t found = 0;
    for (size_t i = 0; i < docs; i++)
        if (origin[i] != i)
            found += dedup_clusters_of(c, i) == dedup_clusters_of(c, origin[i]);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);

    printf("documents            %zu (k=%u, bands=%u, rows=%u, %s, %u threads)\n", docs,
           b->k, b->bands, b->rows,
           mode == DEDUP_CLUSTER_TRANSITIVE ? "transitive" : "representative", threads);
    printf("planted copies       %zu\n", copies);
    printf("generate_s           %.3f\n", t1 - t0);
    printf("candidates_s         %.3f\n", t2 - t1);
    printf("verify_s             %.3f\n", t3 - t2);
    printf("assign_s             %.3f\n", t4 - t3);
    printf("cluster_total_s      %.3f\n", t4 - t1);
    printf("candidate_pairs      %zu\n", ncand);
    printf("verified_pairs       %zu\n", pairs.n);
    printf("clusters             %zu\n", dedup_clusters_count(c));
    printf("copies_recovered     %.5f\n", copies ? (double)found / (double)copies : 1.0);
    printf("peak_rss_mb          %.1f\n", ru.ru_maxrss / 1024.0);

    dedup_clusters_free(c);
    dedup__u64vec_release(&pairs);
    dedup__free(sims);
    free(origin);
    dedup_signature_free(sig);
    dedup_batch_free(b);
    dedup_params_free(p);
    return 0;
}
