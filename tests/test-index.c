/*
 * test-index.c - the LSH index: adding, querying, verification, forgetting,
 * the candidate stage's S-curve and containment catch rate, the compact
 * signatures' packing, comparison and accuracy, memory in a sliding window, allocation failures
 * and concurrent queries.
 *
 * Statistical checks use fixed seeds; their tolerances are four binomial
 * standard errors of the rate they measure (or stated bounds from theory),
 * so a correct index fails them with probability below 1e-4 per check.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "index-sets.h"
#include "lsh.h"
#include "tap.h"

/* ============================================================= helpers */

static dedup_params *params_with(int64_t k, int64_t bands, int64_t rows, int measure,
                                 double threshold)
{
    dedup_params *p;
    if (dedup_params_create(&p))
        abort();
    dedup_params_set(p, DEDUP_P_NUM_HASHES, k);
    dedup_params_set(p, DEDUP_P_BANDS, bands);
    dedup_params_set(p, DEDUP_P_ROWS, rows);
    dedup_params_set(p, DEDUP_P_MEASURE, measure);
    dedup_params_set_real(p, DEDUP_P_THRESHOLD, threshold);
    /* The main bands alone: test_lead checks the lead bands. */
    dedup_params_set(p, DEDUP_P_LEAD_BANDS, 0);
    return p;
}

/* A random document of n shingles. */
static dedup_signature *random_doc(const dedup_params *p, rng64 *r, size_t n)
{
    uint64_t *set = malloc((n ? n : 1) * sizeof *set);
    rng_fill(r, set, n);
    dedup_signature *s = sig_of(p, set, n);
    free(set);
    return s;
}

/* Signatures of a pair of documents with na and nb shingles, common shared. */
static void random_pair(const dedup_params *p, rng64 *r, size_t na, size_t nb, size_t common,
                        dedup_signature **a, dedup_signature **b)
{
    uint64_t *sa = malloc(na * sizeof *sa), *sb = malloc(nb * sizeof *sb);
    rng_pair(r, sa, na, sb, nb, common);
    *a = sig_of(p, sa, na);
    *b = sig_of(p, sb, nb);
    free(sa);
    free(sb);
}

/* Is id among the candidates of sig? */
static int is_candidate(const dedup_index *idx, const dedup_signature *sig, uint64_t id)
{
    uint64_t ids[512];
    size_t n;
    if (dedup__index_candidates(idx, sig, ids, 512, &n))
        return -1;
    for (size_t i = 0; i < n && i < 512; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* The walk of an index by foreach: ids and stamps in order. */
typedef struct {
    uint64_t *ids;
    int64_t *stamps;
    size_t n, cap;
} walk;

static int walk_visit(uint64_t id, int64_t stamp, void *payload)
{
    walk *w = payload;
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 64;
        w->ids = realloc(w->ids, w->cap * sizeof *w->ids);
        w->stamps = realloc(w->stamps, w->cap * sizeof *w->stamps);
    }
    w->ids[w->n] = id;
    w->stamps[w->n++] = stamp;
    return 0;
}

static walk walk_of(const dedup_index *idx)
{
    walk w = {NULL, NULL, 0, 0};
    dedup_index_foreach(idx, walk_visit, &w);
    return w;
}

static void walk_free(walk *w)
{
    free(w->ids);
    free(w->stamps);
}

static int walk_equal(const walk *a, const walk *b)
{
    return a->n == b->n && (a->n == 0 || (memcmp(a->ids, b->ids, a->n * 8) == 0 &&
                                          memcmp(a->stamps, b->stamps, a->n * 8) == 0));
}

/* Query results as a comparable list. */
typedef struct {
    dedup_match m[64];
    size_t n;
    int rc;
} result;

static result query(const dedup_index *idx, const dedup_signature *sig)
{
    result r;
    memset(&r, 0, sizeof r);
    r.rc = dedup_index_query(idx, sig, r.m, 64, &r.n);
    return r;
}

static int result_equal(const result *a, const result *b)
{
    if (a->rc != b->rc || a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n && i < 64; i++)
        if (a->m[i].id != b->m[i].id || a->m[i].similarity != b->m[i].similarity)
            return 0;
    return 1;
}

/* Binomial probability mass function of Bin(n, p) into pmf[0..n]. */
static void binom_pmf(unsigned n, double p, double *pmf)
{
    for (unsigned x = 0; x <= n; x++)
        pmf[x] = exp(lgamma(n + 1.0) - lgamma(x + 1.0) - lgamma(n - x + 1.0) +
                     (x ? x * log(p) : 0.0) + (n - x ? (n - x) * log1p(-p) : 0.0));
}

/* pmf of the sum of two independent counts. */
static void convolve(const double *a, unsigned na, const double *b, unsigned nb, double *out)
{
    for (unsigned i = 0; i <= na + nb; i++)
        out[i] = 0.0;
    for (unsigned i = 0; i <= na; i++)
        for (unsigned j = 0; j <= nb; j++)
            out[i + j] += a[i] * b[j];
}

/* Four binomial standard errors for rate p over n trials, with a floor of
 * one trial's worth for rates at 0 or 1. */
static double tolerance(double p, unsigned n)
{
    return 4.0 * sqrt(p * (1.0 - p) / n) + 1.0 / n;
}

/* ============================================================ basics */

static void test_basics(void)
{
    rng64 r = {1};
    dedup_index *idx = NULL;
    is_int(dedup_index_create(NULL, NULL), DEDUP_E_INVAL, "create needs out");
    is_int(dedup_index_create(&idx, NULL), DEDUP_OK, "create with defaults");
    dedup_index_free(NULL);
    dedup_params *def;
    dedup_params_create(&def);
    is_int(dedup_index_count(idx), 0, "empty index");
    ok(dedup_index_memory(idx) > 0, "memory of an empty index is counted");
    ok(dedup_index_params(idx) != NULL, "params are borrowed");

    dedup_signature *a = random_doc(def, &r, 300), *b = random_doc(def, &r, 300);
    is_int(dedup_index_add(idx, 7, 100, a), DEDUP_OK, "add");
    is_int(dedup_index_add(idx, 7, 101, b), DEDUP_E_EXISTS, "same id again");
    is_int(dedup_index_add(idx, 8, 101, b), DEDUP_OK, "second document");
    is_int(dedup_index_add(NULL, 9, 0, b), DEDUP_E_INVAL, "NULL index");
    is_int(dedup_index_add(idx, 9, 0, NULL), DEDUP_E_INVAL, "NULL signature");
    is_int(dedup_index_count(idx), 2, "count");
    ok(dedup_index_contains(idx, 7) && dedup_index_contains(idx, 8) &&
           !dedup_index_contains(idx, 9),
       "contains");

    dedup_params *other = params_with(64, 0, 0, DEDUP_MEASURE_CONTAINMENT, 0.5);
    dedup_signature *o = random_doc(other, &r, 300);
    size_t n = 99;
    dedup_match m[4];
    is_int(dedup_index_add(idx, 9, 0, o), DEDUP_E_MISMATCH, "signature of other params");
    is_int(dedup_index_query(idx, o, m, 4, &n), DEDUP_E_MISMATCH, "query of other params");
    is_int(n, 0, "no results on error");
    is_int(dedup_index_query(idx, a, NULL, 4, &n), DEDUP_E_INVAL, "out NULL with cap");
    is_int(dedup_index_query(idx, a, NULL, 0, &n), DEDUP_OK, "count only");
    is_int(n, 1, "the document itself");

    is_int(dedup_index_query(idx, a, m, 4, &n), DEDUP_OK, "query");
    ok(n == 1 && m[0].id == 7 && m[0].similarity == 1.0, "finds itself with similarity 1");

    /* Empty documents are stored but match nothing, themselves included. */
    dedup_signature *empty = random_doc(def, &r, 0);
    is_int(dedup_index_add(idx, 10, 102, empty), DEDUP_OK, "add an empty document");
    is_int(dedup_index_query(idx, empty, m, 4, &n), DEDUP_OK, "query an empty document");
    is_int(n, 0, "empty matches nothing");

    walk w = walk_of(idx);
    ok(w.n == 3 && w.ids[0] == 7 && w.ids[1] == 8 && w.ids[2] == 10 && w.stamps[0] == 100 &&
           w.stamps[2] == 102,
       "foreach in add order with stamps");
    walk_free(&w);
    is_int(dedup_index_foreach(idx, NULL, NULL), DEDUP_E_INVAL, "foreach needs fn");

    is_int(dedup_index_remove(idx, 7), DEDUP_OK, "remove");
    is_int(dedup_index_remove(idx, 7), DEDUP_E_NOTFOUND, "remove twice");
    is_int(dedup_index_remove(idx, 10), DEDUP_OK, "remove the empty document");
    ok(!dedup_index_contains(idx, 7), "removed id is gone");
    is_int(dedup_index_query(idx, a, m, 4, &n), DEDUP_OK, "query a removed document");
    is_int(n, 0, "removed documents are never reported");
    is_int(dedup_index_add(idx, 7, 103, a), DEDUP_OK, "an id can come back");
    is_int(dedup_index_query(idx, a, m, 4, &n), DEDUP_OK, "query again");
    ok(n == 1 && m[0].id == 7, "found again");

    size_t removed = 99;
    is_int(dedup_index_expire(idx, 102, &removed), DEDUP_OK, "expire");
    is_int(removed, 1, "expire removes stamps below the bound only");
    ok(!dedup_index_contains(idx, 8) && dedup_index_contains(idx, 7), "the right one");
    is_int(dedup_index_expire(NULL, 0, &removed), DEDUP_E_INVAL, "expire NULL");
    is_int(removed, 0, "removed cleared on error");

    /* add_unique: a copy is reported, not added. */
    int dup = -1;
    dedup_match best;
    is_int(dedup_index_add_unique(idx, 20, 104, a, &dup, &best), DEDUP_OK, "add_unique copy");
    ok(dup == 1 && best.id == 7 && best.similarity == 1.0, "reported as duplicate of 7");
    ok(!dedup_index_contains(idx, 20), "copy not added");
    is_int(dedup_index_add_unique(idx, 21, 104, b, &dup, NULL), DEDUP_OK, "add_unique new");
    ok(dup == 0 && dedup_index_contains(idx, 21), "new document added");
    is_int(dedup_index_add_unique(idx, 21, 104, b, &dup, NULL), DEDUP_E_EXISTS,
           "add_unique with a present id");

    dedup_signature_free(a);
    dedup_signature_free(b);
    dedup_signature_free(o);
    dedup_signature_free(empty);
    dedup_params_free(other);
    dedup_params_free(def);
    dedup_index_free(idx);
}

/* Results are sorted best first, ties by smaller id, and *n counts all. */
static void test_ordering(void)
{
    rng64 r = {2};
    dedup_params *p;
    dedup_params_create(&p);
    dedup_index *idx;
    dedup_index_create(&idx, p);
    uint64_t set[400];
    rng_fill(&r, set, 400);
    dedup_signature *base = sig_of(p, set, 400);
    /* Five exact copies with scrambled ids, and versions with 10%, 20%,
     * 30% of the shingles replaced. */
    uint64_t copy_ids[5] = {50, 3, 41, 12, 7};
    for (int i = 0; i < 5; i++)
        dedup_index_add(idx, copy_ids[i], i, base);
    for (int v = 1; v <= 3; v++) {
        uint64_t s2[400];
        memcpy(s2, set, sizeof s2);
        for (int i = 0; i < 40 * v; i++)
            s2[i] = rng_next(&r);
        dedup_signature *sv = sig_of(p, s2, 400);
        dedup_index_add(idx, 100 + (uint64_t)v, 10 + v, sv);
        dedup_signature_free(sv);
    }
    for (int i = 0; i < 200; i++) { /* unrelated documents */
        dedup_signature *u = random_doc(p, &r, 400);
        dedup_index_add(idx, 1000 + (uint64_t)i, 20 + i, u);
        dedup_signature_free(u);
    }
    dedup_match m[16];
    size_t n;
    is_int(dedup_index_query(idx, base, m, 16, &n), DEDUP_OK, "query");
    is_int(n, 8, "five copies and three versions");
    ok(m[0].id == 3 && m[1].id == 7 && m[2].id == 12 && m[3].id == 41 && m[4].id == 50,
       "equal similarities ordered by id");
    ok(m[5].id == 101 && m[6].id == 102 && m[7].id == 103, "then by decreasing similarity");
    int sorted = 1;
    for (size_t i = 1; i < n; i++)
        sorted &= m[i].similarity <= m[i - 1].similarity;
    ok(sorted && m[4].similarity == 1.0 && m[5].similarity < 1.0, "similarities sorted");
    dedup_match few[3];
    is_int(dedup_index_query(idx, base, few, 3, &n), DEDUP_OK, "query with small cap");
    ok(n == 8 && memcmp(few, m, sizeof few) == 0, "cap limits output, not the count");
    dedup_signature_free(base);
    dedup_params_free(p);
    dedup_index_free(idx);
}

/*
 * Verification: every result is at or above the threshold with the
 * similarity the index computes, and every candidate at or above it is a
 * result. Near-threshold pairs make both sides of the line common.
 */
static void test_verification(void)
{
    rng64 r = {3};
    dedup_params *p = params_with(128, 0, 0, DEDUP_MEASURE_CONTAINMENT, 0.5);
    dedup_index *idx;
    dedup_index_create(&idx, p);
    enum { N = 300 };
    dedup_signature *q[N];
    for (int i = 0; i < N; i++) {
        dedup_signature *a;
        size_t na = 100 + rng_below(&r, 400), nb = 100 + rng_below(&r, 400);
        size_t common = rng_below(&r, DEDUP_MIN(na, nb) + 1);
        random_pair(p, &r, na, nb, common, &a, &q[i]);
        dedup_index_add(idx, (uint64_t)i, i, a);
        dedup_signature_free(a);
    }
    int below = 0, wrong = 0, missing = 0, results = 0;
    for (int i = 0; i < N; i++) {
        dedup_match m[64];
        size_t n;
        uint64_t cands[512];
        size_t nc;
        dedup_index_query(idx, q[i], m, 64, &n);
        dedup__index_candidates(idx, q[i], cands, 512, &nc);
        results += (int)n;
        for (size_t j = 0; j < n; j++) {
            double s;
            dedup__index_similarity(idx, q[i], m[j].id, &s);
            below += m[j].similarity < 0.5;
            wrong += s != m[j].similarity;
        }
        for (size_t j = 0; j < nc; j++) {
            double s;
            dedup__index_similarity(idx, q[i], cands[j], &s);
            if (s < 0.5)
                continue;
            int seen = 0;
            for (size_t t = 0; t < n; t++)
                seen |= m[t].id == cands[j];
            missing += !seen;
        }
    }
    tap_diag("%d results over %d queries", results, N);
    ok(results > N / 4, "near-threshold pairs give results");
    is_int(below, 0, "no result below the threshold");
    is_int(wrong, 0, "reported similarity is the verified one");
    is_int(missing, 0, "every candidate at or above the threshold is reported");
    for (int i = 0; i < N; i++)
        dedup_signature_free(q[i]);
    dedup_params_free(p);
    dedup_index_free(idx);
}

/* ================================================ statistical checks */

/*
 * The candidate stage against the S-curve 1 - (1 - s^r)^b: pairs of known
 * Jaccard similarity s, one stored, the other queried.
 */
static void test_s_curve(void)
{
    const unsigned bands = 20, rows = 5, trials = 400;
    const double sims[] = {0.3, 0.4, 0.5, 0.6, 0.7};
    rng64 r = {4};
    dedup_params *p = params_with(128, bands, rows, DEDUP_MEASURE_JACCARD, 0.5);
    for (size_t si = 0; si < sizeof sims / sizeof sims[0]; si++) {
        const size_t n = 300;
        size_t common = (size_t)lround(2.0 * n * sims[si] / (1.0 + sims[si]));
        double s = (double)common / (double)(2 * n - common);
        dedup_index *idx;
        dedup_index_create(&idx, p);
        dedup_signature **q = malloc(trials * sizeof *q);
        for (unsigned t = 0; t < trials; t++) {
            dedup_signature *a;
            random_pair(p, &r, n, n, common, &a, &q[t]);
            dedup_index_add(idx, t, t, a);
            dedup_signature_free(a);
        }
        unsigned hits = 0;
        for (unsigned t = 0; t < trials; t++) {
            hits += is_candidate(idx, q[t], t) == 1;
            dedup_signature_free(q[t]);
        }
        free(q);
        double rate = (double)hits / trials;
        double want = dedup__lsh_probability(s, bands, rows);
        ok(fabs(rate - want) <= tolerance(want, trials),
           "S-curve at s = %.3f: candidate rate %.3f, expected %.3f +- %.3f", s, rate, want,
           tolerance(want, trials));
        dedup_index_free(idx);
    }
    dedup_params_free(p);
}

/*
 * Lead bands: a copy cut short to its first `keep` shingles of a page eight
 * times as long, with `edits` of its first DEDUP__LEAD_WINDOW shingles
 * replaced. The two leads then have Jaccard similarity
 * (W - e) / (W + e); the lead bands make the pair a candidate at the rate
 * 1 - (1 - J^2)^L their L bands of two rows give (whole-text bands add
 * nearly nothing at this ratio: their Jaccard is about 1/8, and the test
 * counts only what the lead bands propose, with the main bands' share of
 * the rate measured alone and bounded). With default parameters.
 */
static void test_lead(void)
{
    const unsigned trials = 400, keep = 120, page = 960;
    const size_t W = DEDUP__LEAD_WINDOW;
    const unsigned edits[] = {10, 24, 40};
    rng64 r = {6};
    dedup_params *p, *p0;
    dedup_params_create(&p);
    dedup_params_create(&p0);
    dedup_params_set(p0, DEDUP_P_LEAD_BANDS, 0);
    int64_t lead = 0;
    dedup_params_get(p, DEDUP_P_LEAD_BANDS, &lead);
    uint64_t *sa = malloc(page * sizeof *sa), *sb = malloc(keep * sizeof *sb);
    for (size_t ei = 0; ei < sizeof edits / sizeof edits[0]; ei++) {
        dedup_index *idx, *idx0;
        dedup_index_create(&idx, p);
        dedup_index_create(&idx0, p0);
        dedup_signature **q = malloc(trials * sizeof *q), **q0 = malloc(trials * sizeof *q0);
        for (unsigned t = 0; t < trials; t++) {
            rng_fill(&r, sa, page);
            memcpy(sb, sa, keep * sizeof *sb);
            for (unsigned e = 0; e < edits[ei]; e++) /* spread over the lead */
                sb[e * W / edits[ei]] = rng_next(&r);
            dedup_signature *a = sig_of(p, sa, page), *a0 = sig_of(p0, sa, page);
            dedup_index_add(idx, t, t, a);
            dedup_index_add(idx0, t, t, a0);
            dedup_signature_free(a);
            dedup_signature_free(a0);
            q[t] = sig_of(p, sb, keep);
            q0[t] = sig_of(p0, sb, keep);
        }
        unsigned hits = 0, hits0 = 0;
        for (unsigned t = 0; t < trials; t++) {
            hits += is_candidate(idx, q[t], t) == 1;
            hits0 += is_candidate(idx0, q0[t], t) == 1;
            dedup_signature_free(q[t]);
            dedup_signature_free(q0[t]);
        }
        free(q);
        free(q0);
        double e = edits[ei], jl = (W - e) / (W + e);
        double want = dedup__lsh_probability(jl, (unsigned)lead, DEDUP__LEAD_ROWS);
        double rate = (double)hits / trials, rate0 = (double)hits0 / trials;
        /* Either kind of band proposes: 1 - (1 - lead)(1 - main). */
        double both = 1.0 - (1.0 - want) * (1.0 - rate0);
        ok(fabs(rate - both) <= tolerance(both, trials) + tolerance(rate0, trials),
           "lead bands, %u of %zu lead shingles edited (lead J = %.3f): candidate rate %.3f, "
           "expected %.3f (main bands alone %.3f)", edits[ei], W, jl, rate, both, rate0);
        dedup_index_free(idx);
        dedup_index_free(idx0);
    }
    free(sa);
    free(sb);
    dedup_params_free(p);
    dedup_params_free(p0);
}

/*
 * Exact probability that a pair whose MinHash positions agree independently
 * with probability j is a candidate (some band agrees in all its rows) and
 * passes verification at threshold t: the compact values agree where the
 * full ones do, and elsewhere with probability 1/256 (8-bit compact
 * values). The sets have sizes na and nb (for the containment estimate).
 */
static double found_probability(double j, unsigned bands, unsigned rows, unsigned k,
                                uint64_t na, uint64_t nb, double t)
{
    const double c = 1.0 / 256.0;
    unsigned br = bands * rows;
    double dist[2][129], next[2][129], band[65], coll[129], rest[129], tot[260];
    memset(dist, 0, sizeof dist);
    dist[0][0] = 1.0;
    binom_pmf(rows, j, band);
    /* Full agreements among the banded positions, and whether some band
     * agrees entirely. */
    for (unsigned b = 0; b < bands; b++) {
        memset(next, 0, sizeof next);
        for (unsigned f = 0; f < 2; f++)
            for (unsigned x = 0; x <= b * rows; x++)
                for (unsigned y = 0; y <= rows; y++)
                    next[f | (y == rows)][x + y] += dist[f][x] * band[y];
        memcpy(dist, next, sizeof dist);
    }
    binom_pmf(k - br, j + (1.0 - j) * c, rest);
    double found = 0.0;
    for (unsigned x = 0; x <= br; x++) {
        if (dist[1][x] == 0.0)
            continue;
        binom_pmf(br - x, c, coll);
        convolve(coll, br - x, rest, k - br, tot);
        for (unsigned m = 0; m <= k - x; m++) {
            double jh = ((double)(m + x) / k - c) / (1.0 - c);
            if (dedup__containment_from_jaccard(jh < 0 ? 0 : jh, na, nb) >= t)
                found += dist[1][x] * tot[m];
        }
    }
    return found;
}

/*
 * Containment: a short copy (n shingles) of a long page (ratio * n) with
 * containment c. The candidate stage must catch it at the rate its bands
 * give for the pair's Jaccard c / (ratio + 1 - c), and the query (candidate,
 * then verified at the threshold) must find it at the exactly computed
 * rate. With the default parameters, at the default size ratio; and with
 * DEDUP_P_MAX_SIZE_RATIO 4, a copy at 1:3 at containment 0.5. The main
 * bands alone (the sets here are in no order, so lead bands would see
 * unrelated leads anyway).
 */
static void test_containment(void)
{
    rng64 r = {5};
    const struct {
        int64_t ratio_param;
        unsigned sizes;
        double c;
    } cases[] = {{0, 2, 0.5}, {0, 2, 0.7}, {4, 3, 0.5}, {4, 3, 0.7}};
    const unsigned trials = 400, n = 200, k = 128;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        dedup_params *p;
        dedup_params_create(&p);
        dedup_params_set(p, DEDUP_P_LEAD_BANDS, 0);
        if (cases[ci].ratio_param)
            dedup_params_set(p, DEDUP_P_MAX_SIZE_RATIO, cases[ci].ratio_param);
        unsigned bands, rows, sizes = cases[ci].sizes;
        dedup__params_lsh(p, &bands, &rows);
        size_t common = (size_t)lround(cases[ci].c * n);
        double j = (double)common / (double)((sizes + 1) * n - common);
        dedup_index *idx;
        dedup_index_create(&idx, p);
        dedup_signature **q = malloc(trials * sizeof *q);
        for (unsigned t = 0; t < trials; t++) {
            dedup_signature *page;
            random_pair(p, &r, sizes * n, n, common, &page, &q[t]);
            dedup_index_add(idx, t, t, page);
            dedup_signature_free(page);
        }
        unsigned cand = 0, found = 0;
        for (unsigned t = 0; t < trials; t++) {
            cand += is_candidate(idx, q[t], t) == 1;
            dedup_match m[8];
            size_t nm;
            dedup_index_query(idx, q[t], m, 8, &nm);
            for (size_t i = 0; i < nm && i < 8; i++)
                found += m[i].id == t;
            dedup_signature_free(q[t]);
        }
        free(q);
        double want = dedup__lsh_probability(j, bands, rows);
        double rate = (double)cand / trials;
        ok(fabs(rate - want) <= tolerance(want, trials),
           "containment %.1f at 1:%u, %u x %u bands (J = %.3f): candidate rate %.3f, "
           "expected %.3f",
           cases[ci].c, sizes, bands, rows, j, rate, want);
        double want_found =
            found_probability(j, bands, rows, k, sizes * n, n, p->threshold);
        double frate = (double)found / trials;
        ok(fabs(frate - want_found) <= tolerance(want_found, trials),
           "containment %.1f at 1:%u: found rate %.3f, expected %.3f", cases[ci].c, sizes,
           frate, want_found);
        dedup_index_free(idx);
        dedup_params_free(p);
    }
}

/* Compact value i of c, a signature of cbits-bit values. */
static unsigned compact_value(const uint8_t *c, uint32_t i, uint32_t cbits)
{
    return cbits == 4 ? (unsigned)(c[i / 2] >> (4 * (i & 1)) & 15) : c[i];
}

/*
 * The compact signature's packing and its SWAR comparison against a plain
 * count, for both widths (8 bits; 4 bits, as indexes of format version 7
 * hold), even and odd k up to the largest (where the accumulators hold
 * most), at several rates of differing values; the padding nibble of an
 * odd k in the 4-bit form never counts.
 */
static void test_compact_count(void)
{
    rng64 r = {11};
    const uint32_t ks[] = {1, 7, 8, 9, 16, 17, 31, 32, 33, 101, 128, 239, 240, 241, 255, 1023, 1024};
    const double rates[] = {0.0, 0.1, 0.5, 1.0};
    uint32_t va[1024], vb[1024];
    uint8_t ca[DEDUP__COMPACT_MAX_BYTES + 1], cb[DEDUP__COMPACT_MAX_BYTES + 1];
    for (uint32_t cbits = 4; cbits <= 8; cbits += 4) {
        int layout_bad = 0, count_bad = 0, pad_bad = 0, jac_bad = 0;
        const double coll = 1.0 / (double)(1u << cbits);
        for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
            uint32_t k = ks[ki];
            size_t stride = dedup__compact_stride(k, cbits);
            layout_bad += stride != (cbits == 4 ? (k + 1) / 2 : k);
            for (size_t ri = 0; ri < sizeof rates / sizeof rates[0]; ri++) {
                for (uint32_t i = 0; i < k; i++) {
                    va[i] = (uint32_t)rng_next(&r);
                    vb[i] = rng_unit(&r) < rates[ri] ? (uint32_t)rng_next(&r) : va[i];
                }
                memset(ca, 0xAA, sizeof ca);
                memset(cb, 0xAA, sizeof cb);
                dedup__compact_signature(va, k, cbits, ca);
                dedup__compact_signature(vb, k, cbits, cb);
                uint32_t want = 0;
                for (uint32_t i = 0; i < k; i++) {
                    unsigned na = compact_value(ca, i, cbits), nb = compact_value(cb, i, cbits);
                    layout_bad += na != (unsigned)(dedup__mix64(va[i]) >> (64 - cbits));
                    want += na != nb;
                }
                layout_bad += cbits == 4 && (k & 1) && (ca[stride - 1] >> 4) != 0;
                layout_bad += ca[stride] != 0xAA; /* nothing written past the end */
                count_bad += dedup__compact_mismatches(ca, cb, k, cbits) != want;
                double j = ((double)(k - want) / k - coll) / (1.0 - coll);
                jac_bad += dedup__compact_jaccard(ca, cb, k, cbits) != (j < 0 ? 0.0 : j);
                if (cbits == 4 && (k & 1)) {
                    ca[stride - 1] |= 0xF0;
                    pad_bad += dedup__compact_mismatches(ca, cb, k, cbits) != want;
                }
            }
            /* Every value differs: the largest counts the accumulators see. */
            memset(ca, 0x00, stride);
            memset(cb, 0xFF, stride);
            if (cbits == 4 && (k & 1))
                cb[stride - 1] = 0x0F;
            count_bad += dedup__compact_mismatches(ca, cb, k, cbits) != k;
            count_bad += dedup__compact_jaccard(ca, cb, k, cbits) != 0.0;
            /* Values differing in one bit each, the lowest or the highest:
             * each counts once. */
            for (unsigned bit = 0; bit < 8; bit += 7) {
                memset(cb, 1 << bit, stride);
                if (cbits == 4 && (k & 1))
                    cb[stride - 1] &= 0x0F;
                uint32_t w = 0;
                for (uint32_t i = 0; i < k; i++)
                    w += compact_value(ca, i, cbits) != compact_value(cb, i, cbits);
                count_bad += dedup__compact_mismatches(ca, cb, k, cbits) != w;
            }
        }
        if (cbits == 4)
            is_int(layout_bad, 0, "4 bits: value 2i in the low nibble, 2i + 1 in the high one, "
                                  "padding 0");
        else
            is_int(layout_bad, 0, "8 bits: value i in byte i, the top 8 bits of its mix");
        is_int(count_bad, 0, "%u bits: SWAR mismatch count equals a plain count", cbits);
        is_int(jac_bad, 0, "%u bits: estimate is the corrected fraction of equal values", cbits);
        if (cbits == 4)
            is_int(pad_bad, 0, "4 bits: padding nibble ignored");
    }
}

/*
 * The band filter compares the query's nibbles of a band's rows with the
 * stored ones. With k odd and 5 rows, bands start on both nibbles of a
 * byte: a query sharing exactly one band with a stored document is its
 * candidate for every band, and one differing in every band is not.
 */
static void test_band_nibbles(void)
{
    rng64 r = {12};
    dedup_params *p = params_with(101, 20, 5, DEDUP_MEASURE_JACCARD, 0.5);
    dedup_index *idx;
    dedup_index_create(&idx, p);
    dedup_signature *a = random_doc(p, &r, 300);
    dedup_index_add(idx, 1, 0, a);
    for (int i = 0; i < 50; i++) { /* chains with other entries */
        dedup_signature *u = random_doc(p, &r, 300);
        dedup_index_add(idx, 100 + (uint64_t)i, 0, u);
        dedup_signature_free(u);
    }
    dedup_signature *q = dedup__signature_alloc(101, a->nlead, a->fingerprint);
    q->set_size = a->set_size;
    int missed = 0;
    for (uint32_t t = 0; t < 20; t++) {
        for (uint32_t i = 0; i < 101; i++)
            q->values[i] = i / 5 == t ? a->values[i] : a->values[i] ^ 0x5bd1e995u;
        missed += is_candidate(idx, q, 1) != 1;
    }
    is_int(missed, 0, "a query sharing one band is a candidate, for each of the 20 bands");
    for (uint32_t i = 0; i < 101; i++)
        q->values[i] = i % 5 == 2 ? a->values[i] + 1 : a->values[i];
    is_int(is_candidate(idx, q, 1), 0, "a query differing in every band is not");
    dedup_signature_free(q);
    dedup_signature_free(a);
    dedup_params_free(p);
    dedup_index_free(idx);
}

/*
 * The compact signature against the full one, for both widths. For a pair
 * whose full signatures agree in M of k places, the compact ones agree in
 * M + X, X ~ Binomial(k - M, c), c = 2^-cbits, and the estimate is the
 * corrected fraction,
 * clamped at 0. From that distribution each pair's error d has exact
 * moments E d, E d^2 and E d^4: the measured sum of d and sum of d^2 over
 * the pairs must lie within four standard deviations of their expected
 * values. Without clamping E d = 0 and E d^2 = (k - M) c / (k^2 (1 - c));
 * clamping adds a small positive bias when M is near 0.
 */
static void test_compact_accuracy(uint32_t cbits)
{
    rng64 r = {6};
    dedup_params *p;
    dedup_params_create(&p);
    const unsigned pairs = 2000, k = 128;
    const double c = 1.0 / (double)(1u << cbits);
    double sum = 0, sq = 0, maxabs = 0;
    double e1 = 0, var1 = 0, e2 = 0, var2 = 0;
    double pmf[129];
    uint8_t ca[128], cb[128];
    for (unsigned i = 0; i < pairs; i++) {
        dedup_signature *a, *b;
        size_t common = rng_below(&r, 201);
        random_pair(p, &r, 200, 200, common, &a, &b);
        double full;
        dedup_signature_jaccard(a, b, &full);
        dedup__compact_signature(a->values, k, cbits, ca);
        dedup__compact_signature(b->values, k, cbits, cb);
        double d = dedup__compact_jaccard(ca, cb, k, cbits) - full;
        sum += d;
        sq += d * d;
        maxabs = fmax(maxabs, fabs(d));
        unsigned m = (unsigned)lround(full * k);
        binom_pmf(k - m, c, pmf);
        double m1 = 0, m2 = 0, m4 = 0;
        for (unsigned x = 0; x <= k - m; x++) {
            double j = ((double)(m + x) / k - c) / (1.0 - c);
            double dx = (j < 0 ? 0 : j) - full, d2 = dx * dx;
            m1 += pmf[x] * dx;
            m2 += pmf[x] * d2;
            m4 += pmf[x] * d2 * d2;
        }
        e1 += m1;
        var1 += m2 - m1 * m1;
        e2 += m2;
        var2 += m4 - m2 * m2;
        dedup_signature_free(a);
        dedup_signature_free(b);
    }
    double rms = sqrt(sq / pairs), rms_theory = sqrt(e2 / pairs);
    tap_diag("%u-bit compact vs full Jaccard over %u pairs: mean %.5f (theory %.5f), rms %.5f "
             "(theory %.5f), max %.4f",
             cbits, pairs, sum / pairs, e1 / pairs, rms, rms_theory, maxabs);
    ok(fabs(sum - e1) <= 4.0 * sqrt(var1), "%u bits: mean error matches theory: %.5f +- %.5f",
       cbits, e1 / pairs, 4.0 * sqrt(var1) / pairs);
    ok(fabs(sq - e2) <= 4.0 * sqrt(var2), "%u bits: mean squared error matches theory: %.3g +- %.3g",
       cbits, e2 / pairs, 4.0 * sqrt(var2) / pairs);
    /* The standard deviation is largest at J = 0: sqrt(c / (k (1 - c))). */
    double worst = sqrt(c / (k * (1.0 - c)));
    ok(rms < worst, "%u bits: rms error %.4f below its value at J = 0, %.4f, at k = 128", cbits,
       rms, worst);
    dedup_params_free(p);
}

/* ====================================================== forgetting */

/*
 * A feed deduplicator's sliding window: 10 windows' worth of documents,
 * each added after expiring those older than the window. Memory must stop
 * growing once the slab fits the window, and near-copies of documents in
 * the window must be caught while copies of expired ones must not.
 */
/* A stored document that a query found is found by that query again while
 * it is stored, however many documents share its band values later, and
 * whatever their stamps: the first documents of a common value keep their
 * places in the chains. */
static int query_has(const dedup_index *idx, const dedup_signature *sig, uint64_t id)
{
    dedup_match m[64];
    size_t n;
    if (dedup_index_query(idx, sig, m, 64, &n))
        return -1;
    for (size_t i = 0; i < n && i < 64; i++)
        if (m[i].id == id)
            return 1;
    return 0;
}

static void test_found_stays_found(void)
{
    rng64 r = {31};
    dedup_params *p = params_with(128, 0, 0, DEDUP_MEASURE_JACCARD, 0.5);
    dedup_index *idx;
    dedup_index_create(&idx, p);
    dedup_signature *v = random_doc(p, &r, 300);
    dedup_index_add(idx, 7, 1000, v);
    ok(query_has(idx, v, 7), "found when alone");
    int lost = 0;
    for (uint64_t i = 0; i < 100; i++) {
        /* Copies of it, older and newer by stamp. */
        dedup_index_add(idx, 100 + i, (int64_t)(i % 2 ? 2000 + i : i), v);
        lost += !query_has(idx, v, 7);
    }
    ok(lost == 0, "found after each of 100 copies was added (lost %d times)", lost);
    dedup_index_remove(idx, 7);
    ok(!query_has(idx, v, 7) && query_has(idx, v, 100), "gone once removed, the next found");
    dedup_signature_free(v);
    dedup_index_free(idx);
    dedup_params_free(p);
}

static void test_sliding_window(void)
{
    rng64 r = {7};
    dedup_params *p;
    dedup_params_create(&p);
    dedup_index *idx;
    dedup_index_create(&idx, p);
    enum { W = 400, STEPS = 10 * W, NS = 120 };
    uint64_t(*sets)[NS] = malloc(sizeof(uint64_t[NS]) * STEPS);
    /* Copies are made of originals only, and a copy of an expired document
     * only of one never copied before, so no copy of it can be in the
     * window. */
    char *original = calloc(STEPS, 1), *copied = calloc(STEPS, 1);
    size_t mem_2w = 0, mem_max_after = 0;
    int bad_count = 0, dup_missed = 0, dup_false = 0, dup_tests = 0, expired_tests = 0;
    for (int t = 0; t < STEPS; t++) {
        size_t removed;
        dedup_index_expire(idx, t - W + 1, &removed);
        rng_fill(&r, sets[t], NS);
        int kind = t > W && t % 5 == 0 ? 1 : (t > 2 * W && t % 7 == 0 ? 2 : 0), src = -1;
        for (int tries = 0; kind && src < 0 && tries < 50; tries++) {
            /* 1: a document in the window; 2: an expired one. */
            int c = kind == 1 ? t - 1 - (int)rng_below(&r, W - 1)
                              : t - W - 1 - (int)rng_below(&r, W);
            if (original[c] && (kind == 1 || !copied[c]))
                src = c;
        }
        if (src < 0)
            kind = 0;
        original[t] = kind == 0;
        if (kind) {
            copied[src] = 1;
            memcpy(sets[t], sets[src], sizeof sets[t]);
            for (int i = 0; i < NS / 10; i++)
                sets[t][rng_below(&r, NS)] = rng_next(&r);
        }
        dedup_signature *s = sig_of(p, sets[t], NS);
        int dup = 0;
        dedup_index_add_unique(idx, (uint64_t)t, t, s, &dup, NULL);
        if (kind == 1) {
            dup_tests++;
            dup_missed += !dup;
        } else if (kind == 2) {
            expired_tests++;
            dup_false += dup;
        }
        if (dup) /* keep one document per step so that stamps stay a window */
            dedup_index_add(idx, (uint64_t)t, t, s);
        dedup_signature_free(s);
        bad_count += dedup_index_count(idx) > W;
        if (t == 2 * W)
            mem_2w = dedup_index_memory(idx);
        if (t > 2 * W)
            mem_max_after = DEDUP_MAX(mem_max_after, dedup_index_memory(idx));
    }
    is_int(bad_count, 0, "never more than the window stored");
    is_int(dedup_index_count(idx), W, "window full at the end");
    tap_diag("memory after 2 windows %zu, most after %zu", mem_2w, mem_max_after);
    ok(mem_max_after <= mem_2w, "memory stops growing in a sliding window");
    /* The slab settles at the smallest power of two that leaves an eighth
     * of its slots for reuse once the window is full. */
    unsigned bits = DEDUP__INDEX_MIN_BITS;
    while (((size_t)1 << bits) <= W + 1 || ((size_t)1 << bits) - 1 - W < ((size_t)1 << bits) / 8)
        bits++;
    size_t settled = sizeof(dedup_index) +
                     dedup__index_layout(bits, idx->bands, idx->k, idx->cbits).total +
                     4 * dedup__index_nheads(bits, idx->bands) + 4 * dedup__index_ntab(bits);
    ok(mem_max_after <= settled, "memory is that of %zu slots for a window of %d",
       (size_t)1 << bits, W);
    is_int(dup_missed, 0, "near-copies within the window caught (%d)", dup_tests);
    is_int(dup_false, 0, "near-copies of expired documents not reported (%d)", expired_tests);
    free(sets);
    free(original);
    free(copied);
    dedup_params_free(p);
    dedup_index_free(idx);
}

/*
 * Random operations against a simple model: adds (some with stamps out of
 * order), removes, expires, lookups. Checks contents, order and that every
 * stored document is found by its own signature, across many slab growths
 * and compactions.
 */
static void test_model(void)
{
    rng64 r = {8};
    dedup_params *p;
    dedup_params_create(&p);
    dedup_index *idx;
    dedup_index_create(&idx, p);
    enum { IDS = 3000, OPS = 30000 };
    dedup_signature **sig = calloc(IDS, sizeof *sig);
    int64_t *stamp = calloc(IDS, sizeof *stamp);
    uint64_t *order = malloc(OPS * sizeof *order); /* model add order */
    char *present = calloc(IDS, 1);
    size_t norder = 0, live = 0;
    int errors = 0, lost = 0;
    int64_t now = 0;
    for (uint64_t id = 0; id < IDS; id++)
        sig[id] = random_doc(p, &r, 20 + rng_below(&r, 200));
    for (int op = 0; op < OPS; op++) {
        uint64_t id = rng_below(&r, IDS);
        unsigned what = (unsigned)rng_below(&r, 100);
        if (what < 60) {
            now++;
            /* After a third of the run, one add in ten goes back in time. */
            int64_t st = op > OPS / 3 && rng_below(&r, 10) == 0 ? now - 50 : now;
            int rc = dedup_index_add(idx, id, st, sig[id]);
            errors += rc != (present[id] ? DEDUP_E_EXISTS : DEDUP_OK);
            if (!present[id]) {
                present[id] = 1;
                stamp[id] = st;
                order[norder++] = id;
                live++;
            }
        } else if (what < 85) {
            int rc = dedup_index_remove(idx, id);
            errors += rc != (present[id] ? DEDUP_OK : DEDUP_E_NOTFOUND);
            present[id] = 0;
            live -= rc == DEDUP_OK;
        } else if (what < 88) {
            int64_t before = now - 300 + (int64_t)rng_below(&r, 200);
            size_t removed, want = 0;
            for (uint64_t i = 0; i < IDS; i++)
                if (present[i] && stamp[i] < before) {
                    present[i] = 0;
                    want++;
                }
            dedup_index_expire(idx, before, &removed);
            errors += removed != want;
            live -= want;
        } else {
            dedup_match m[64];
            size_t n;
            dedup_index_query(idx, sig[id], m, 64, &n);
            int seen = 0;
            for (size_t i = 0; i < n && i < 64; i++)
                seen |= m[i].id == id && m[i].similarity == 1.0;
            lost += present[id] && !seen;
            errors += !present[id] && seen;
            errors += (int)(dedup_index_contains(idx, id) != present[id]);
        }
    }
    is_int(errors, 0, "operations agree with the model");
    is_int(lost, 0, "every stored document found by its own signature");
    is_int(dedup_index_count(idx), live, "count");
    walk w = walk_of(idx);
    size_t j = 0, *lastpos = malloc(IDS * sizeof *lastpos);
    int order_ok = 1;
    for (size_t i = 0; i < norder; i++)
        lastpos[order[i]] = i;
    for (size_t i = 0; i < norder; i++) {
        uint64_t id = order[i];
        /* An id re-added later appears at its latest position only. */
        if (!present[id] || lastpos[id] != i)
            continue;
        order_ok &= j < w.n && w.ids[j] == id && w.stamps[j] == stamp[id];
        j++;
    }
    free(lastpos);
    ok(order_ok && j == w.n, "foreach gives add order");
    walk_free(&w);
    for (uint64_t id = 0; id < IDS; id++)
        dedup_signature_free(sig[id]);
    free(sig);
    free(stamp);
    free(order);
    free(present);
    dedup_params_free(p);
    dedup_index_free(idx);
}

/* ============================================== allocation failures */

typedef struct {
    walk w;
    size_t count, memory;
    result q[3];
} snapshot;

static snapshot snap(const dedup_index *idx, dedup_signature *const probes[3])
{
    snapshot s;
    s.w = walk_of(idx);
    s.count = dedup_index_count(idx);
    s.memory = dedup_index_memory(idx);
    for (int i = 0; i < 3; i++)
        s.q[i] = query(idx, probes[i]);
    return s;
}

static int snap_equal(snapshot *a, snapshot *b)
{
    int eq = walk_equal(&a->w, &b->w) && a->count == b->count && a->memory == b->memory;
    for (int i = 0; i < 3; i++)
        eq &= result_equal(&a->q[i], &b->q[i]);
    return eq;
}

static void snap_free(snapshot *s)
{
    walk_free(&s->w);
}

/* Run op with the n-th allocation failing, n = 0, 1, ... until it
 * succeeds; every failure must be DEDUP_E_NOMEM and leave idx as it was. */
#define FAIL_LOOP(name, idx, probes, call)                                                \
    do {                                                                                  \
        snapshot before_ = snap(idx, probes);                                             \
        int rc_ = DEDUP_E_NOMEM, bad_ = 0;                                                \
        long n_;                                                                          \
        for (n_ = 0; rc_ == DEDUP_E_NOMEM && n_ < 1000; n_++) {                           \
            dedup__alloc_fail_at(n_);                                                     \
            rc_ = (call);                                                                 \
            dedup__alloc_fail_at(-1);                                                     \
            if (rc_ == DEDUP_E_NOMEM) {                                                   \
                snapshot after_ = snap(idx, probes);                                      \
                bad_ += !snap_equal(&before_, &after_);                                   \
                snap_free(&after_);                                                       \
            }                                                                             \
        }                                                                                 \
        ok(rc_ == DEDUP_OK && bad_ == 0, "%s: NOMEM leaves the index unchanged (%ld runs)", \
           name, n_);                                                                     \
        snap_free(&before_);                                                              \
    } while (0)

static void test_alloc_failures(void)
{
    rng64 r = {9};
    dedup_params *p;
    dedup_params_create(&p);

    int rc = DEDUP_E_NOMEM;
    long n;
    dedup_index *idx = NULL;
    for (n = 0; rc == DEDUP_E_NOMEM; n++) {
        dedup__alloc_fail_at(n);
        rc = dedup_index_create(&idx, p);
        dedup__alloc_fail_at(-1);
        if (rc == DEDUP_E_NOMEM && idx)
            break;
    }
    ok(rc == DEDUP_OK && idx, "create: NOMEM until it succeeds, out NULL (%ld runs)", n);

    dedup_signature *copy = random_doc(p, &r, 300);
    dedup_signature *probes[3] = {copy, random_doc(p, &r, 300), random_doc(p, &r, 300)};
    /* 300 copies: the query's candidate and result lists must move to the
     * heap. Adding them also fills the first slabs: the 64th, 128th and
     * 256th adds grow. */
    size_t cap = ((size_t)1 << DEDUP__INDEX_MIN_BITS) - 1;
    for (uint64_t id = 0; id < 300; id++) {
        if (id == cap) {
            FAIL_LOOP("add with growth", idx, probes, dedup_index_add(idx, id, (int64_t)id, copy));
            cap = cap * 2 + 1;
        } else {
            dedup_index_add(idx, id, (int64_t)id, copy);
        }
    }
    dedup_match m[4];
    size_t nm;
    FAIL_LOOP("query with many matches", idx, probes, dedup_index_query(idx, copy, m, 4, &nm));
    /* A band value links the first 16 documents that hold it: of the 300
     * identical copies the query finds those, more than the query's stack
     * room for matches. */
    ok(nm == DEDUP__INDEX_RUN_CAP && m[0].id == 0 && m[0].similarity == 1.0,
       "the first copies found (%zu)", nm);

    /* Documents agreeing with another probe on one band each, as many per
     * band as a chain links: a query of that probe gets 16 candidates from
     * every band, more than its stack room, and none verifies. */
    unsigned bands, rows;
    dedup_params_lsh(p, &bands, &rows);
    for (unsigned b = 0; b < bands; b++)
        for (unsigned j = 0; j < DEDUP__INDEX_RUN_CAP; j++) {
            dedup_signature *u = random_doc(p, &r, 300);
            for (unsigned v = b * rows; v < (b + 1) * rows; v++)
                u->values[v] = probes[1]->values[v];
            dedup_index_add(idx, 10000 + b * DEDUP__INDEX_RUN_CAP + j, 500, u);
            dedup_signature_free(u);
        }
    while (cap < dedup_index_count(idx))
        cap = cap * 2 + 1;
    size_t nc;
    uint64_t cids[1];
    dedup__index_candidates(idx, probes[1], cids, 1, &nc);
    ok(nc == (size_t)bands * DEDUP__INDEX_RUN_CAP, "16 candidates per band (%zu)", nc);
    FAIL_LOOP("query with many candidates", idx, probes,
              dedup_index_query(idx, probes[1], m, 4, &nm));
    ok(nm == 0, "none of them verifies (%zu)", nm);

    int dup;
    dedup_signature *fresh = random_doc(p, &r, 300);
    while (dedup_index_count(idx) < cap - 1) {
        dedup_signature *u = random_doc(p, &r, 50);
        dedup_index_add(idx, 1000 + dedup_index_count(idx), 500, u);
        dedup_signature_free(u);
    }
    dedup_index_add(idx, 999, 500, probes[2]);
    FAIL_LOOP("add_unique with growth", idx, probes,
              dedup_index_add_unique(idx, 5000, 600, fresh, &dup, NULL));
    ok(dup == 0 && dedup_index_contains(idx, 5000), "added");
    FAIL_LOOP("add_unique of a copy", idx, probes,
              dedup_index_add_unique(idx, 5001, 600, fresh, &dup, NULL));
    ok(dup == 1, "copy reported");

    /* Forgetting never allocates. */
    size_t removed;
    dedup__alloc_fail_at(0);
    int r1 = dedup_index_remove(idx, 5000);
    int r2 = dedup_index_expire(idx, 100, &removed);
    int r3 = dedup_index_query(idx, probes[2], m, 4, &nm);
    dedup__alloc_fail_at(-1);
    ok(r1 == DEDUP_OK && r2 == DEDUP_OK && removed == 100 && r3 == DEDUP_OK,
       "remove, expire and a small query need no allocation");

    dedup_signature_free(fresh);
    for (int i = 0; i < 3; i++)
        dedup_signature_free(probes[i]);
    dedup_params_free(p);
    dedup_index_free(idx);
}

/* ============================================================ threads */

typedef struct {
    const dedup_index *idx;
    dedup_signature **q;
    result *want;
    int n, mismatches;
} thread_job;

static void *query_thread(void *arg)
{
    thread_job *j = arg;
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < j->n; i++) {
            result got = query(j->idx, j->q[i]);
            j->mismatches += !result_equal(&got, &j->want[i]);
        }
    return NULL;
}

static void test_threads(void)
{
    rng64 r = {10};
    dedup_params *p;
    dedup_params_create(&p);
    dedup_index *idx;
    dedup_index_create(&idx, p);
    enum { N = 1500, T = 4 };
    dedup_signature **q = malloc(N * sizeof *q);
    result *want = malloc(N * sizeof *want);
    for (int i = 0; i < N; i++) {
        dedup_signature *a;
        random_pair(p, &r, 200, 200, rng_below(&r, 200), &a, &q[i]);
        dedup_index_add(idx, (uint64_t)i, i, a);
        dedup_signature_free(a);
    }
    for (int i = 0; i < N; i++)
        want[i] = query(idx, q[i]);
    pthread_t th[T];
    thread_job jobs[T];
    for (int t = 0; t < T; t++) {
        jobs[t] = (thread_job){idx, q, want, N, 0};
        pthread_create(&th[t], NULL, query_thread, &jobs[t]);
    }
    int mism = 0;
    for (int t = 0; t < T; t++) {
        pthread_join(th[t], NULL);
        mism += jobs[t].mismatches;
    }
    is_int(mism, 0, "concurrent queries give the single-thread results");
    for (int i = 0; i < N; i++)
        dedup_signature_free(q[i]);
    free(q);
    free(want);
    dedup_params_free(p);
    dedup_index_free(idx);
}

int main(void)
{
    test_basics();
    test_ordering();
    test_verification();
    test_s_curve();
    test_containment();
    test_lead();
    test_compact_count();
    test_band_nibbles();
    test_compact_accuracy(8);
    test_compact_accuracy(4);
    test_found_stays_found();
    test_sliding_window();
    test_model();
    test_alloc_failures();
    test_threads();
    return tap_done();
}
