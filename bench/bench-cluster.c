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
 * Parameters are the library's defaults (containment 0.45, bands and rows
 * derived, representative mode) unless --measure, --threshold or --mode
 * say otherwise.
 *
 * Prints one line per figure: seconds per stage, pairs, clusters, the
 * share of planted copies found in their original's cluster, the bytes the
 * batch holds per document and peak resident memory (getrusage
 * ru_maxrss).
 *
 * Usage: bench-cluster [--docs N] [--threads T] [--dup-frac F]
 *                      [--topic-docs G] [--topic-layers L] [--topic-share T]
 *                      [--measure jaccard|containment] [--threshold X]
 *                      [--mode transitive|representative] [--seed S]
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
    unsigned threads = 2;
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
                    "                     [--mode transitive|representative] [--seed S]\n");
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
    int rc = dedup_batch_create(&b, p);
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
        if (m.origin[i] != i)
            found += dedup_clusters_of(c, i) == dedup_clusters_of(c, m.origin[i]);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);

    printf("documents            %zu (k=%u, bands=%u, rows=%u, %s %.2f, %s, %u threads)\n",
           docs, b->k, b->bands, b->rows,
           b->measure == DEDUP_MEASURE_JACCARD ? "jaccard" : "containment", b->threshold,
           b->mode == DEDUP_CLUSTER_TRANSITIVE ? "transitive" : "representative", threads);
    printf("planted copies       %zu\n", copies);
    printf("topics               %u layers of %zu documents, share %.2f\n", m.layers,
           m.topic_docs, topic_share);
    printf("generate_s           %.3f\n", t1 - t0);
    printf("candidates_s         %.3f\n", t2 - t1);
    printf("verify_s             %.3f\n", t3 - t2);
    printf("assign_s             %.3f\n", t4 - t3);
    printf("cluster_total_s      %.3f\n", t4 - t1);
    printf("candidate_pairs      %zu\n", ncand);
    printf("verified_pairs       %zu\n", pairs.n);
    printf("clusters             %zu\n", dedup_clusters_count(c));
    printf("copies_recovered     %.5f\n", copies ? (double)found / (double)copies : 1.0);
    printf("batch_bytes_per_doc  %.1f\n", (double)b->slot);
    printf("peak_rss_mb          %.1f\n", ru.ru_maxrss / 1024.0);

    dedup_clusters_free(c);
    dedup__u64vec_release(&pairs);
    dedup__free(sims);
    free(m.origin);
    free(m.copy_cut);
    dedup_signature_free(sig);
    dedup_batch_free(b);
    dedup_params_free(p);
    return 0;
}
