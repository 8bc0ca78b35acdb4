/*
 * bench-cluster.c - batch clustering of synthetic signatures, stage by
 * stage.
 *
 * Signatures are generated directly rather than from text, so that a
 * million of them take a few seconds. Every value is a hash of (document,
 * slot), recomputed when needed instead of stored, so the benchmark's own
 * memory stays small next to the batch it measures. Three kinds of
 * relation are planted:
 *
 *   - Topics: each original belongs to one topic of about --topic-docs
 *     documents (default 300) in each of --topic-layers independent
 *     groupings (default 3: think of a subject, a news desk and a site). In
 *     each slot a document takes the template value of its topic of layer l
 *     with probability --topic-share t (default 0.3) each, else a value of
 *     its own; two documents sharing a topic thus agree in a slot with
 *     probability t^2, a Jaccard similarity of about 0.09. This is the
 *     background of template-written news: far below any threshold, yet
 *     with bands of two rows a document shares a band with dozens of
 *     topic neighbours, which is where most candidate pairs of real
 *     corpora come from (79 per document on a million generated English
 *     articles; these defaults give 85).
 *     --topic-share 0 turns it off.
 *   - Copies: a fraction --dup-frac (default 0.2) of the documents copies
 *     an earlier original, taking each of its values with probability f
 *     drawn uniformly from [0.35, 1] and a fresh value otherwise, which
 *     makes f its expected Jaccard similarity to the original.
 *   - Sizes: originals claim 800 to 1600 shingles, copies 0.8 to 1.2 times
 *     their original's, so the containment measure has unequal sets to
 *     work on. (A wider spread would make the topic background
 *     inconsistent: a Jaccard similarity of 0.09 is impossible between sets
 *     more than 11 times apart, and the containment estimate would call
 *     such pairs duplicates.)
 *
 * Parameters are the library's defaults (containment 0.40, bands and rows
 * derived, representative mode) unless --measure, --threshold or --mode
 * say otherwise.
 *
 * Prints one line per figure: seconds per stage (and the thread-seconds
 * spent sorting band keys, walking runs and waiting inside the pair
 * stage), pairs proposed, compared and verified, clusters, the share of
 * planted copies found in their original's cluster, how far the stored
 * values' estimates fall from the full values' (on pairs of a copy and its
 * original and of neighbouring originals), the bytes the batch holds per
 * document and peak resident memory (getrusage ru_maxrss).
 *
 * Usage: bench-cluster [--docs N] [--threads T] [--dup-frac F]
 *                      [--topic-docs G] [--topic-layers L] [--topic-share T]
 *                      [--measure jaccard|containment] [--threshold X]
 *                      [--mode transitive|representative] [--bits 8|16|32]
 *                      [--seed S]
 *
 * --bits sets the bits the batch keeps per MinHash value (batch.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "batch.h"

typedef struct {
    uint64_t seed;
    size_t topic_docs, topics;
    unsigned layers;
    uint64_t topic_cut; /* topic_share as a threshold on 32 bits */
    uint32_t *origin;   /* origin[i]: the original i copies, or i */
    uint64_t *copy_cut; /* per copy: share f as a threshold on 32 bits */
} model;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* User and system CPU seconds of the process so far. */
static double cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static int fail(const char *what, int rc)
{
    fprintf(stderr, "bench-cluster: %s: %s\n", what, dedup_strerror(rc));
    return 1;
}

/* A hash of three numbers and the seed: every random choice of the model. */
static uint64_t h3(const model *m, uint64_t a, uint64_t b, uint64_t c)
{
    return dedup__mix64(m->seed ^ dedup__mix64(a * 0x9e3779b97f4a7c15ULL ^
                                                dedup__mix64(b + (c << 40))));
}

static double unit(uint64_t h)
{
    return (double)(h >> 11) * 0x1p-53;
}

/* Value j of original o: one of its topics' templates or its own. Layer
 * 0 groups consecutive originals, the others hashed ones. */
static uint32_t original_value(const model *m, uint32_t o, uint32_t j)
{
    uint64_t u = h3(m, o, j, 1) >> 32;
    for (unsigned l = 0; l < m->layers; l++)
        if (u >= l * m->topic_cut && u < (l + 1) * m->topic_cut) {
            uint64_t topic = l == 0 ? o / m->topic_docs : h3(m, o, l, 11) % m->topics;
            return (uint32_t)h3(m, topic, j, 2 + ((uint64_t)l << 8));
        }
    return (uint32_t)h3(m, o, j, 3);
}

/* Value j of any document. */
static uint32_t value(const model *m, uint32_t i, uint32_t j)
{
    uint32_t o = m->origin[i];
    if (o == i)
        return original_value(m, o, j);
    if ((h3(m, i, j, 4) >> 32) < m->copy_cut[i])
        return original_value(m, o, j);
    return (uint32_t)h3(m, i, j, 5);
}

static uint64_t set_size(const model *m, uint32_t i)
{
    uint32_t o = m->origin[i];
    uint64_t base = 800 + h3(m, o, 0, 6) % 801;
    if (o == i)
        return base;
    return (uint64_t)((double)base * (0.8 + 0.4 * unit(h3(m, i, 0, 7))));
}

int main(int argc, char **argv)
{
    size_t docs = 1000000;
    unsigned threads = 2, bits = DEDUP__BATCH_VALUE_BITS;
    double dup_frac = 0.2, topic_share = 0.3, threshold = -1.0;
    int mode = -1, measure = -1;
    model m = {.seed = 1, .topic_docs = 300, .layers = 3};
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
        else if (!strcmp(a, "--topic-docs"))
            m.topic_docs = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--topic-layers"))
            m.layers = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--topic-share"))
            topic_share = strtod(v, NULL);
        else if (!strcmp(a, "--threshold"))
            threshold = strtod(v, NULL);
        else if (!strcmp(a, "--bits"))
            bits = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--seed"))
            m.seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--mode") && !strcmp(v, "transitive"))
            mode = DEDUP_CLUSTER_TRANSITIVE;
        else if (!strcmp(a, "--mode") && !strcmp(v, "representative"))
            mode = DEDUP_CLUSTER_REPRESENTATIVE;
        else if (!strcmp(a, "--measure") && !strcmp(v, "jaccard"))
            measure = DEDUP_MEASURE_JACCARD;
        else if (!strcmp(a, "--measure") && !strcmp(v, "containment"))
            measure = DEDUP_MEASURE_CONTAINMENT;
        else {
            fprintf(stderr,
                    "usage: bench-cluster [--docs N] [--threads T] [--dup-frac F]\n"
                    "                     [--topic-docs G] [--topic-layers L] [--topic-share T]\n"
                    "                     [--measure jaccard|containment] [--threshold X]\n"
                    "                     [--mode transitive|representative] [--bits 8|16|32]\n"
                    "                     [--seed S]\n");
            return 2;
        }
    }
    if (m.topic_docs == 0)
        m.topic_docs = 1;
    if (m.layers * topic_share > 1.0)
        topic_share = 1.0 / m.layers;
    m.topic_cut = (uint64_t)(topic_share * 4294967296.0);
    m.topics = docs / m.topic_docs + 1;

    dedup_params *p;
    dedup_params_create(&p);
    if (measure >= 0)
        dedup_params_set(p, DEDUP_P_MEASURE, measure);
    if (threshold > 0)
        dedup_params_set_real(p, DEDUP_P_THRESHOLD, threshold);
    if (mode >= 0)
        dedup_params_set(p, DEDUP_P_CLUSTER_MODE, mode);
    dedup_batch *b;
    dedup_signature *sig;
    int rc = dedup__batch_create_bits(&b, p, bits);
    if (rc)
        return fail("batch", rc);
    if ((rc = dedup_signature_create(&sig, p)) || (rc = dedup_batch_resize(b, docs)))
        return fail("allocation", rc);

    size_t n1 = docs ? docs : 1;
    m.origin = malloc(n1 * sizeof *m.origin);
    m.copy_cut = malloc(n1 * sizeof *m.copy_cut);
    if (!m.origin || !m.copy_cut)
        return fail("allocation", DEDUP_E_NOMEM);
    double t0 = now();
    size_t copies = 0;
    for (size_t i = 0; i < docs; i++) {
        uint32_t d = (uint32_t)i;
        m.origin[i] = d;
        m.copy_cut[i] = 0;
        if (i > 0 && unit(h3(&m, d, 0, 8)) < dup_frac) {
            m.origin[i] = m.origin[h3(&m, d, 0, 9) % i];
            double f = 0.35 + 0.65 * unit(h3(&m, d, 0, 10));
            m.copy_cut[i] = (uint64_t)(f * 4294967296.0);
            copies++;
        }
        for (uint32_t j = 0; j < sig->k; j++)
            sig->values[j] = value(&m, d, j);
        sig->set_size = set_size(&m, d);
        dedup_batch_set(b, i, sig);
    }
    double t1 = now();

    dedup__edgevec edges;
    dedup__pair_stats st;
    dedup_clusters *c = NULL;
    double c1 = cpu();
    if ((rc = dedup__batch_pairs(b, threads, &edges, &st)))
        return fail("pairs", rc);
    double t2 = now(), c2 = cpu();
    if ((rc = dedup__batch_assign(b, edges.v, edges.n, &c)))
        return fail("assignment", rc);
    double t3 = now();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);

    size_t found = 0;
    for (size_t i = 0; i < docs; i++)
        if (m.origin[i] != i)
            found += dedup_clusters_of(c, i) == dedup_clusters_of(c, m.origin[i]);

    /* The stored values against the full ones: for pairs of a copy and
     * its original and of neighbouring originals (mostly topic
     * neighbours), the estimate verification uses minus the estimate from
     * the full values, and how many pairs it moves across the threshold. */
    double sum_diff = 0.0, sum_abs = 0.0, max_abs = 0.0;
    size_t npairs = 0, flips = 0;
    for (size_t i = 1; i < docs && npairs < 200000; i++) {
        uint32_t x = m.origin[i] != i ? m.origin[i] : (uint32_t)i - 1, y = (uint32_t)i;
        uint32_t eq = 0;
        for (uint32_t j = 0; j < sig->k; j++)
            eq += value(&m, x, j) == value(&m, y, j);
        double full = (double)eq / sig->k;
        if (b->measure == DEDUP_MEASURE_CONTAINMENT)
            full = dedup__containment_from_jaccard(full, set_size(&m, x), set_size(&m, y));
        double est = dedup__batch_similarity(b, x, y), d = est - full;
        sum_diff += d;
        sum_abs += d < 0 ? -d : d;
        if ((d < 0 ? -d : d) > max_abs)
            max_abs = d < 0 ? -d : d;
        flips += (est >= b->threshold) != (full >= b->threshold);
        npairs++;
    }

    printf("documents            %zu (k=%u, bands=%u, rows=%u, %s %.2f, %s, %u threads)\n",
           docs, b->k, b->bands, b->rows,
           b->measure == DEDUP_MEASURE_JACCARD ? "jaccard" : "containment", b->threshold,
           b->mode == DEDUP_CLUSTER_TRANSITIVE ? "transitive" : "representative", threads);
    printf("planted copies       %zu\n", copies);
    printf("topics               %u layers of %zu documents, share %.2f\n", m.layers,
           m.topic_docs, topic_share);
    printf("generate_s           %.3f\n", t1 - t0);
    printf("pairs_s              %.3f (cpu %.3f)\n", t2 - t1, c2 - c1);
    printf("  sort_thread_s      %.3f\n", st.sort_s);
    printf("  walk_thread_s      %.3f\n", st.walk_s);
    printf("  wait_thread_s      %.3f\n", st.wait_s);
    printf("assign_s             %.3f\n", t3 - t2);
    printf("cluster_total_s      %.3f\n", t3 - t1);
    printf("proposed_pairs       %llu\n", (unsigned long long)st.proposed);
    printf("key_collisions       %llu\n", (unsigned long long)st.collisions);
    printf("repeated_pairs       %llu\n", (unsigned long long)st.repeats);
    printf("candidate_pairs      %llu\n", (unsigned long long)st.compared);
    printf("verified_pairs       %zu\n", edges.n);
    printf("clusters             %zu\n", dedup_clusters_count(c));
    printf("copies_recovered     %.5f\n", copies ? (double)found / (double)copies : 1.0);
    printf("value_bits           %u\n", b->value_bits);
    printf("estimate_error       mean %+.5f, mean abs %.5f, max abs %.4f over %zu pairs\n",
           npairs ? sum_diff / (double)npairs : 0.0, npairs ? sum_abs / (double)npairs : 0.0,
           max_abs, npairs);
    printf("threshold_flips      %zu\n", flips);
    printf("batch_bytes_per_doc  %zu\n", b->rec_size);
    printf("peak_rss_mb          %.1f\n", ru.ru_maxrss / 1024.0);

    dedup_clusters_free(c);
    dedup__edgevec_release(&edges);
    free(m.origin);
    free(m.copy_cut);
    dedup_signature_free(sig);
    dedup_batch_free(b);
    dedup_params_free(p);
    return 0;
}
