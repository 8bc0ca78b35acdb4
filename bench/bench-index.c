/*
 * bench-index.c - the index under a crawler's stream: each document is
 * queried and added unless it duplicates a stored one (dedup_index_add_unique),
 * up to --docs stored documents (default 1M) with the default parameters
 * (k = 128) or those given with --param name=value. Then queries alone
 * (checking that every reported match is at or above the threshold with
 * the similarity the index verifies), bytes per document, save and load
 * times, and the accuracy of the 4-bit compact signatures against the full
 * ones, with its theoretical value.
 *
 * Documents are synthetic: random sets of 100 to 600 shingle hashes from a
 * fixed seed. One in ten is a near-copy of an earlier document (10% of its
 * shingles replaced) and one in twenty an excerpt (a third of an earlier
 * document plus a few new shingles: containment about 0.9 at sizes 1:3);
 * the rest are unrelated. Signing is not timed.
 *
 * With --sites N every document also carries the furniture of one of N
 * sites (30 shingles fixed per site, like a site's navigation and
 * copyright lines), so band values that many documents share are common,
 * and chains fill up. After the stream, every planted copy is queried
 * again: a copy whose original (if stored) is not found then is a miss, and a copy
 * whose match at add time is not found again was lost; both are printed
 * (planted_missed, found_then_lost).
 *
 * Output: one "name value unit" line per figure.
 *
 * Usage: bench-index [--docs N] [--sites N] [--file PATH] [--param name=value]...
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "index.h"
#include "index-sets.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Resident memory of the process in bytes, from /proc (0 if unavailable). */
static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %zu kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb * 1024;
}

/* The shingles of document i of an original: regenerated from its seed
 * instead of kept, so a million documents cost no memory here. */
static size_t original_set(uint64_t seed, uint64_t *set)
{
    rng64 r = {seed};
    size_t n = 100 + (size_t)rng_below(&r, 501);
    rng_fill(&r, set, n);
    return n;
}

typedef struct {
    size_t n;
    int planted; /* 0 original, 1 near-copy, 2 excerpt */
    size_t src;  /* for a copy, the original's number in seeds[] */
} doc;

/* Shingles of site furniture per document under --sites. */
#define FURNITURE 30

/* Append site s's furniture to set[n...]; returns the new size. */
static size_t add_furniture(size_t sites, rng64 *r, uint64_t *set, size_t n)
{
    if (!sites)
        return n;
    rng64 fr = {0x5173e5ULL + rng_below(r, sites)};
    rng_fill(&fr, set + n, FURNITURE);
    return n + FURNITURE;
}

/* Make document i's shingles into set. Originals are remembered by seed
 * in seeds[] (norig of them so far). */
static doc make_doc(rng64 *r, uint64_t *seeds, size_t *norig, uint64_t *set, size_t sites)
{
    doc d = {0, 0, 0};
    unsigned roll = (unsigned)rng_below(r, 20);
    if (*norig > 0 && roll < 3) {
        d.src = (size_t)rng_below(r, *norig);
        uint64_t src = seeds[d.src];
        size_t n = original_set(src, set);
        if (roll < 2) {
            for (size_t i = 0; i < n / 10; i++)
                set[rng_below(r, n)] = rng_next(r);
            d.n = add_furniture(sites, r, set, n);
            d.planted = 1;
        } else {
            size_t part = n / 3, extra = part / 10;
            size_t from = (size_t)rng_below(r, n - part + 1);
            memmove(set, set + from, part * sizeof *set);
            rng_fill(r, set + part, extra);
            d.n = add_furniture(sites, r, set, part + extra);
            d.planted = 2;
        }
        return d;
    }
    uint64_t seed = rng_next(r);
    seeds[(*norig)++] = seed;
    d.n = add_furniture(sites, r, set, original_set(seed, set));
    return d;
}

int main(int argc, char **argv)
{
    size_t docs = 1000000, sites = 0;
    const char *file = NULL;
    char defpath[512];
    dedup_params *p;
    if (dedup_params_create(&p))
        return 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--docs") && i + 1 < argc) {
            docs = (size_t)strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--sites") && i + 1 < argc) {
            sites = (size_t)strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--file") && i + 1 < argc) {
            file = argv[++i];
        } else if (!strcmp(argv[i], "--param") && i + 1 < argc) {
            /* name=value, e.g. threshold=0.5 or max_size_ratio=4 */
            char name[64];
            const char *eq = strchr(argv[++i], '=');
            dedup_param key;
            size_t nl = eq ? (size_t)(eq - argv[i]) : 0;
            if (!eq || nl >= sizeof name) {
                fprintf(stderr, "--param wants name=value\n");
                return 2;
            }
            memcpy(name, argv[i], nl);
            name[nl] = '\0';
            int rc = dedup_param_from_name(name, &key);
            if (!rc)
                rc = dedup_param_type_of(key) == DEDUP_PARAM_REAL
                         ? dedup_params_set_real(p, key, strtod(eq + 1, NULL))
                         : dedup_params_set(p, key, strtoll(eq + 1, NULL, 0));
            if (rc) {
                fprintf(stderr, "--param %s: %s\n", argv[i], dedup_strerror(rc));
                return 2;
            }
        } else {
            fprintf(stderr, "usage: %s [--docs N] [--sites N] [--file PATH] [--param name=value]...\n",
                    argv[0]);
            return 2;
        }
    }
    if (!file) {
        const char *tmp = getenv("TMPDIR");
        snprintf(defpath, sizeof defpath, "%s/bench-index-%ld.idx", tmp && *tmp ? tmp : "/tmp",
                 (long)getpid());
        file = defpath;
    }

    dedup_index *idx;
    if (dedup_index_create(&idx, p))
        return 1;
    unsigned bands, rows;
    dedup__params_lsh(p, &bands, &rows);
    printf("params k=%lld bands=%u rows=%u measure=%s threshold=%.2f max_size_ratio=%lld "
           "sites=%zu\n",
           (long long)p->ival[DEDUP_P_NUM_HASHES], bands, rows,
           p->ival[DEDUP_P_MEASURE] == DEDUP_MEASURE_JACCARD ? "jaccard" : "containment",
           p->threshold, (long long)p->ival[DEDUP_P_MAX_SIZE_RATIO], sites);

    uint64_t *seeds = malloc(docs * 2 * sizeof *seeds), *orig_id = malloc(docs * 2 * sizeof *orig_id);
    /* The planted copies, kept to query them again after the stream. */
    typedef struct {
        dedup_signature *sig;
        uint64_t orig, best; /* the original's id; the match at add time */
        int type, caught;
    } copy;
    copy *copies = NULL;
    size_t ncopies = 0, copies_cap = 0;
    uint64_t set[700 + FURNITURE];
    size_t norig = 0, planted = 0, caught = 0, originals = 0, false_dup = 0;
    size_t rss0 = rss_bytes();
    double t_index = 0, worst = 0;
    rng64 r = {2024};
    uint64_t id = 0;
    dedup_signature *sig = NULL;
    /* Stream until `docs` documents are stored (duplicates are not). */
    while (dedup_index_count(idx) < docs) {
        size_t before = norig;
        doc d = make_doc(&r, seeds, &norig, set, sites);
        if (norig > before)
            orig_id[before] = id;
        dedup_signature_free(sig);
        sig = sig_of(p, set, d.n);
        int dup;
        dedup_match best;
        double t0 = now();
        int rc = dedup_index_add_unique(idx, id, (int64_t)id, sig, &dup, &best);
        double dt = now() - t0;
        t_index += dt;
        worst = dt > worst ? dt : worst;
        if (rc) {
            fprintf(stderr, "add_unique: %s\n", dedup_strerror(rc));
            return 1;
        }
        id++;
        if (d.planted) {
            planted++;
            caught += dup;
            if (ncopies == copies_cap) {
                copies_cap = copies_cap ? 2 * copies_cap : 1024;
                copies = realloc(copies, copies_cap * sizeof *copies);
            }
            copies[ncopies++] = (copy){sig, orig_id[d.src], dup ? best.id : 0, d.planted, dup};
            sig = NULL;
        } else {
            originals++;
            false_dup += dup;
        }
    }
    size_t mem = dedup_index_memory(idx), rss = rss_bytes();
    printf("stream_docs %llu docs\n", (unsigned long long)id);
    printf("stored_docs %zu docs\n", dedup_index_count(idx));
    printf("add_unique_rate %.0f docs/s\n", (double)id / t_index);
    printf("add_unique_mean %.2f us\n", t_index / (double)id * 1e6);
    printf("add_unique_worst %.1f ms\n", worst * 1e3);
    printf("planted_caught %.4f fraction (%zu of %zu)\n", (double)caught / (double)planted,
           caught, planted);
    printf("originals_flagged %.5f fraction (%zu of %zu)\n",
           (double)false_dup / (double)originals, false_dup, originals);
    printf("index_memory %.1f bytes/doc\n", (double)mem / (double)dedup_index_count(idx));
    printf("rss_growth %.1f bytes/doc\n",
           (double)(rss > rss0 ? rss - rss0 : 0) / (double)dedup_index_count(idx));

    /* The planted copies again, once everything is stored: is the
     * original found, and is the match found at add time found again? */
    size_t tried[3] = {0}, missed[3] = {0}, was_caught = 0, lost = 0;
    size_t mcap = 4096;
    dedup_match *all = malloc(mcap * sizeof *all);
    for (size_t i = 0; i < ncopies; i++) {
        copy *c = &copies[i];
        size_t n;
        if (dedup_index_query(idx, c->sig, all, mcap, &n))
            return 1;
        if (!dedup_index_contains(idx, c->orig)) { /* itself taken for a copy */
            dedup_signature_free(c->sig);
            continue;
        }
        int has_orig = 0, has_best = 0;
        for (size_t j = 0; j < n && j < mcap; j++) {
            has_orig |= all[j].id == c->orig;
            has_best |= c->caught && all[j].id == c->best;
        }
        tried[c->type]++;
        missed[c->type] += !has_orig;
        was_caught += c->caught;
        lost += c->caught && !has_best;
        dedup_signature_free(c->sig);
    }
    free(all);
    free(copies);
    free(orig_id);
    printf("planted_missed %.5f fraction near-copies (%zu of %zu), %.5f excerpts (%zu of %zu)\n",
           tried[1] ? (double)missed[1] / (double)tried[1] : 0.0, missed[1], tried[1],
           tried[2] ? (double)missed[2] / (double)tried[2] : 0.0, missed[2], tried[2]);
    printf("found_then_lost %zu of %zu copies caught at add time\n", lost, was_caught);

    /* Queries alone: fresh documents, a third of them copies. */
    size_t nq = DEDUP_MIN((size_t)100000, docs), found = 0, reported = 0, below = 0,
           unverified = 0;
    double t_query = 0;
    dedup_match m[16];
    for (size_t i = 0; i < nq; i++) {
        doc d = make_doc(&r, seeds, &norig, set, sites);
        dedup_signature_free(sig);
        sig = sig_of(p, set, d.n);
        size_t n;
        double t0 = now();
        dedup_index_query(idx, sig, m, 16, &n);
        t_query += now() - t0;
        found += n > 0;
        /* Outside the timing: each reported similarity against the
         * threshold and against the index's own verification. */
        for (size_t j = 0; j < n && j < 16; j++) {
            double v = -1.0;
            dedup__index_similarity(idx, sig, m[j].id, &v);
            reported++;
            below += m[j].similarity < p->threshold;
            unverified += m[j].similarity != v;
        }
    }
    printf("query_rate %.0f queries/s\n", (double)nq / t_query);
    printf("query_mean %.2f us\n", t_query / (double)nq * 1e6);
    printf("query_hit %.3f fraction with a match\n", (double)found / (double)nq);
    printf("query_reported_below_threshold %zu of %zu matches\n", below, reported);
    printf("query_reported_not_verified %zu of %zu matches\n", unverified, reported);

    double t0 = now();
    int rc = dedup_index_save(idx, file);
    double t_save = now() - t0;
    if (rc) {
        fprintf(stderr, "save %s: %s\n", file, dedup_strerror(rc));
        return 1;
    }
    FILE *f = fopen(file, "rb");
    long fsize = 0;
    if (f) {
        fseek(f, 0, SEEK_END);
        fsize = ftell(f);
        fclose(f);
    }
    printf("save_time %.3f s\n", t_save);
    printf("file_size %.1f bytes/doc\n", (double)fsize / (double)dedup_index_count(idx));
    dedup_index *loaded;
    t0 = now();
    rc = dedup_index_load(&loaded, file);
    double t_load = now() - t0;
    if (rc) {
        fprintf(stderr, "load %s: %s\n", file, dedup_strerror(rc));
        return 1;
    }
    printf("load_time %.3f s (page cache warm)\n", t_load);
    printf("load_check %s\n",
           dedup_index_count(loaded) == dedup_index_count(idx) &&
                   dedup_index_memory(loaded) == mem
               ? "same count and memory"
               : "MISMATCH");
    dedup_index_free(loaded);
    unlink(file);

    /* Compact against full-signature Jaccard estimates, for the 8-bit
     * values of new indexes and the 4-bit ones of indexes loaded from
     * format version 7. The theoretical mean square error of a pair whose
     * full signatures agree on a fraction F is (1 - F) c / (k (1 - c)),
     * c = 2^-bits (index.c). A flip is a pair on which the two give
     * different verdicts at the threshold, under the index's measure (the
     * sets have equal sizes). The same pairs for both widths. */
    uint32_t k = (uint32_t)p->ival[DEDUP_P_NUM_HASHES];
    int containment = p->ival[DEDUP_P_MEASURE] == DEDUP_MEASURE_CONTAINMENT;
    const int pairs = 20000;
    rng64 pair_seed = r;
    for (uint32_t cbits = 8; cbits >= 4; cbits -= 4) {
        double sq = 0, maxabs = 0, theory = 0;
        const double c = 1.0 / (double)(1u << cbits);
        size_t flips = 0, near = 0;
        uint8_t ca[DEDUP__COMPACT_MAX_BYTES], cb[DEDUP__COMPACT_MAX_BYTES];
        r = pair_seed;
        for (int i = 0; i < pairs; i++) {
            uint64_t a[300], b[300];
            rng_pair(&r, a, 300, b, 300, (size_t)rng_below(&r, 301));
            dedup_signature *sa = sig_of(p, a, 300), *sb = sig_of(p, b, 300);
            double full;
            dedup_signature_jaccard(sa, sb, &full);
            dedup__compact_signature(sa->values, k, cbits, ca);
            dedup__compact_signature(sb->values, k, cbits, cb);
            double cj = dedup__compact_jaccard(ca, cb, k, cbits), d = cj - full;
            double sf = containment ? dedup__containment_from_jaccard(full, 300, 300) : full;
            double sc = containment ? dedup__containment_from_jaccard(cj, 300, 300) : cj;
            flips += (sf >= p->threshold) != (sc >= p->threshold);
            near += fabs(sf - p->threshold) < 0.1;
            theory += (1.0 - full) * c / (k * (1.0 - c));
            sq += d * d;
            maxabs = d < 0 ? (-d > maxabs ? -d : maxabs) : (d > maxabs ? d : maxabs);
            dedup_signature_free(sa);
            dedup_signature_free(sb);
        }
        printf("compact%u_error_rms %.5f jaccard (J spread over [0,1], k=%u)\n", cbits,
               sqrt(sq / pairs), k);
        printf("compact%u_error_theory %.5f jaccard rms\n", cbits, sqrt(theory / pairs));
        printf("compact%u_error_max %.4f jaccard\n", cbits, maxabs);
        printf("compact%u_verdict_flips %zu of %d pairs (%zu within 0.1 of the threshold)\n",
               cbits, flips, pairs, near);
    }

    dedup_signature_free(sig);
    free(seeds);
    dedup_index_free(idx);
    dedup_params_free(p);
    return 0;
}
