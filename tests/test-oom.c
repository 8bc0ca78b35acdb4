/*
 * test-oom.c - allocation failure at every point of the public API paths.
 *
 * Each scenario is a sequence of public calls. The test runs it again and
 * again with dedup__alloc_fail_at(n) for n = 0, 1, 2, ... so that the n-th
 * allocation fails (and every later one), until a run makes no failing
 * allocation. For every run it checks that:
 *   - each call returns DEDUP_OK or DEDUP_E_NOMEM, nothing else;
 *   - a failed _create or _copy leaves its output NULL;
 *   - a failed call leaves its object usable: the scenario then retries the
 *     same call on the same object with allocation working again, and the
 *     result must equal the reference computed without any failure;
 *   - nothing leaks: every run frees all it made (LeakSanitizer checks this
 *     when the suite runs under tests/sanitize.sh asan).
 * Scenarios: params, hasher (create, normalize, tokenize, shingles, sign,
 * sign_shingles, with and without boilerplate statistics), signatures
 * (create, copy), line statistics (create, add, merge), the one-shot
 * similarity, and batches (create, add, resize, cluster with one thread in
 * both cluster modes), and the stages of batch clustering for engines.
 */
#include <stdlib.h>
#include <string.h>

#define DEDUP_EXPERIMENTAL
#include "common.h"
#include "tap.h"

/* Text that takes every allocating path: ASCII, a slow span for utf8proc
 * (a combining mark), invalid bytes, Han characters (character tokens) and
 * repeated lines for the boilerplate filter. */
static const char text[] =
    "Seoul council approves bus plan\n"
    "The plan adds twelve routes, cafe\xcc\x81 owners said \xff\xfe.\n"
    "\xe5\x8c\x97\xe4\xba\xac\xe5\xb8\x82\xe6\x94\xbf\xe5\xba\x9c\xe5\x9c\x8b\n"
    "ALSO READ: weather\n";
static const char other[] = "A different story on a different day\nALSO READ: weather\n";

/* Set when any call returns something other than DEDUP_OK or
 * DEDUP_E_NOMEM, or breaks a rule of the list above. */
static int broken;
static const char *broken_what;

/* Allocations made before alloc_on() turned failures off during the
 * current run, and whether it did. dedup__alloc_fail_at restarts its count
 * at every call, so the count is carried here. */
static long allocs_before_on;
static int turned_on;

/* Let allocations succeed again (for the retry of a failed call). */
static void alloc_on(void)
{
    allocs_before_on += dedup__alloc_fail_at(-1);
    turned_on = 1;
}

/* Record the status of one call: returns 1 if it succeeded. */
static int step(int rc, const char *what)
{
    if (rc != DEDUP_OK && rc != DEDUP_E_NOMEM && !broken) {
        broken = 1;
        broken_what = what;
        tap_diag("%s returned %d (%s)", what, rc, dedup_status_name(rc));
    }
    return rc == DEDUP_OK;
}

static void rule(int cond, const char *what)
{
    if (!cond && !broken) {
        broken = 1;
        broken_what = what;
        tap_diag("rule broken: %s", what);
    }
}

/* Run fn(ctx, 1) with the n-th allocation failing for n = 0, 1, ... until
 * one run completes without a failure; fn returns 1 when its result
 * equals the reference. Returns the number of allocation points. */
static long sweep(int (*fn)(void *ctx), void *ctx, const char *name)
{
    long n;
    int all_same = 1;
    broken = 0;
    for (n = 0; n < 100000; n++) {
        allocs_before_on = 0;
        turned_on = 0;
        dedup__alloc_fail_at(n);
        int same = fn(ctx);
        long made = allocs_before_on + dedup__alloc_fail_at(-1);
        if (!same && all_same) {
            all_same = 0;
            tap_diag("%s: wrong result when allocation %ld fails", name, n);
        }
        /* No more than n allocations and no retry: allocation n was never
         * reached, so every point has been tried. */
        if (!turned_on && made <= n)
            break;
    }
    ok(!broken, "%s: every call gives OK or E_NOMEM and keeps its objects usable%s%s", name,
       broken ? ": " : "", broken ? broken_what : "");
    ok(all_same && n > 0, "%s: after each of %ld failure points, a retry gives the reference",
       name, n);
    return n;
}

/* ------------------------------------------------------------ params */

static int run_params(void *ctx)
{
    (void)ctx;
    dedup_params *p = NULL, *q = NULL;
    int same = 1;
    int rc = dedup_params_create(&p);
    rule(rc == DEDUP_OK || p == NULL, "failed params_create leaves NULL");
    if (!step(rc, "params_create")) {
        alloc_on();
        rc = dedup_params_create(&p);
    }
    dedup_params_set(p, DEDUP_P_NUM_HASHES, 64);
    rc = dedup_params_copy(&q, p);
    rule(rc == DEDUP_OK || q == NULL, "failed params_copy leaves NULL");
    if (!step(rc, "params_copy")) {
        alloc_on();
        rc = dedup_params_copy(&q, p);
    }
    int64_t k = 0;
    same = rc == DEDUP_OK && dedup_params_get(q, DEDUP_P_NUM_HASHES, &k) == DEDUP_OK && k == 64;
    dedup_params_free(p);
    dedup_params_free(q);
    return same;
}

/* ------------------------------------------------------------ hasher */

struct hasher_ref {
    int with_stats;
    char norm[512];
    size_t norm_len, ntokens, nshingles;
    uint32_t values[64];
};

static dedup_params *params64(void)
{
    dedup_params *p = NULL;
    if (dedup_params_create(&p) != DEDUP_OK)
        abort();
    dedup_params_set(p, DEDUP_P_NUM_HASHES, 64);
    return p;
}

/* Every hasher call; a failed call is retried on the same hasher with
 * allocation working (and working from then on), and the results are
 * compared with *ref, or stored in it when fill is set. Returns 1 when
 * they match. */
static int hasher_calls(struct hasher_ref *ref, int fill, const dedup_params *p,
                        const dedup_linestats *ls)
{
    int same = 1;
    dedup_hasher *h = NULL;
    dedup_signature *sig = NULL, *sig2 = NULL;
    int rc = dedup_hasher_create(&h, p);
    rule(rc == DEDUP_OK || h == NULL, "failed hasher_create leaves NULL");
    if (!step(rc, "hasher_create")) {
        alloc_on();
        if (dedup_hasher_create(&h, p) != DEDUP_OK)
            return 0;
    }
    if (ls && dedup_hasher_set_linestats(h, ls, 2) != DEDUP_OK)
        same = 0;

    const char *norm = NULL;
    size_t norm_len = 0;
    /* Other text first, so that the failures below hit buffers that hold
     * stale content, which must not show in the results. */
    if (!step(dedup_hasher_normalize(h, other, sizeof other - 1, &norm, &norm_len),
              "hasher_normalize (other)"))
        alloc_on();
    if (!step(dedup_hasher_normalize(h, text, sizeof text - 1, &norm, &norm_len),
              "hasher_normalize")) {
        alloc_on();
        if (dedup_hasher_normalize(h, text, sizeof text - 1, &norm, &norm_len) != DEDUP_OK)
            same = 0;
    }
    if (fill) {
        memcpy(ref->norm, norm, norm_len);
        ref->norm_len = norm_len;
    } else {
        same &= norm_len == ref->norm_len && memcmp(norm, ref->norm, norm_len) == 0;
    }

    const dedup_token *tok = NULL;
    size_t ntok = 0;
    if (!step(dedup_hasher_tokenize(h, text, sizeof text - 1, NULL, NULL, &tok, &ntok),
              "hasher_tokenize")) {
        alloc_on();
        if (dedup_hasher_tokenize(h, text, sizeof text - 1, NULL, NULL, &tok, &ntok) !=
            DEDUP_OK)
            same = 0;
    }
    if (fill)
        ref->ntokens = ntok;
    else
        same &= ntok == ref->ntokens;

    const uint64_t *sh = NULL;
    size_t nsh = 0;
    if (!step(dedup_hasher_shingles(h, text, sizeof text - 1, &sh, &nsh), "hasher_shingles")) {
        alloc_on();
        if (dedup_hasher_shingles(h, text, sizeof text - 1, &sh, &nsh) != DEDUP_OK)
            same = 0;
    }
    if (fill)
        ref->nshingles = nsh;
    else
        same &= nsh == ref->nshingles;

    rc = dedup_signature_create(&sig, p);
    rule(rc == DEDUP_OK || sig == NULL, "failed signature_create leaves NULL");
    if (!step(rc, "signature_create")) {
        alloc_on();
        if (dedup_signature_create(&sig, p) != DEDUP_OK) {
            dedup_hasher_free(h);
            return 0;
        }
    }
    if (!step(dedup_hasher_sign(h, text, sizeof text - 1, sig), "hasher_sign")) {
        alloc_on();
        if (dedup_hasher_sign(h, text, sizeof text - 1, sig) != DEDUP_OK)
            same = 0;
    }
    const uint32_t *v = dedup_signature_values(sig);
    if (fill)
        memcpy(ref->values, v, sizeof ref->values);
    else
        same &= memcmp(v, ref->values, sizeof ref->values) == 0;

    /* sign_shingles on the set just computed (copied: the hasher's own
     * buffer is reused by the call). */
    uint64_t set[256];
    if (!step(dedup_hasher_shingles(h, text, sizeof text - 1, &sh, &nsh), "hasher_shingles")) {
        alloc_on();
        if (dedup_hasher_shingles(h, text, sizeof text - 1, &sh, &nsh) != DEDUP_OK)
            nsh = 0;
    }
    size_t n = nsh < 256 ? nsh : 256;
    memcpy(set, sh, n * sizeof *set);
    if (!step(dedup_hasher_sign_shingles(h, set, n, sig), "hasher_sign_shingles")) {
        alloc_on();
        if (dedup_hasher_sign_shingles(h, set, n, sig) != DEDUP_OK)
            same = 0;
    }
    if (!fill && n == ref->nshingles)
        same &= memcmp(dedup_signature_values(sig), ref->values, sizeof ref->values) == 0;

    rc = dedup_signature_copy(&sig2, sig);
    rule(rc == DEDUP_OK || sig2 == NULL, "failed signature_copy leaves NULL");
    if (!step(rc, "signature_copy")) {
        alloc_on();
        if (dedup_signature_copy(&sig2, sig) != DEDUP_OK)
            same = 0;
    }
    same &= sig2 && memcmp(dedup_signature_values(sig2), dedup_signature_values(sig),
                           sizeof ref->values) == 0;
    dedup_signature_free(sig2);
    dedup_signature_free(sig);
    dedup_hasher_free(h);
    return same;
}

struct hasher_ctx {
    const dedup_params *p;
    const dedup_linestats *ls;
    struct hasher_ref ref;
};

static int run_hasher(void *arg)
{
    struct hasher_ctx *c = arg;
    return hasher_calls(&c->ref, 0, c->p, c->ls);
}

/* ------------------------------------------------------- line stats */

static int run_linestats(void *ctx)
{
    (void)ctx;
    dedup_linestats *a = NULL, *b = NULL;
    int rc = dedup_linestats_create(&a, 256);
    rule(rc == DEDUP_OK || a == NULL, "failed linestats_create leaves NULL");
    if (!step(rc, "linestats_create")) {
        alloc_on();
        if (dedup_linestats_create(&a, 256) != DEDUP_OK)
            return 0;
    }
    rc = dedup_linestats_create(&b, 256);
    if (!step(rc, "linestats_create")) {
        alloc_on();
        if (dedup_linestats_create(&b, 256) != DEDUP_OK) {
            dedup_linestats_free(a);
            return 0;
        }
    }
    /* A failed add must not count the document. */
    if (!step(dedup_linestats_add(a, text, sizeof text - 1), "linestats_add")) {
        rule(dedup_linestats_documents(a) == 0, "failed linestats_add counts nothing");
        alloc_on();
        dedup_linestats_add(a, text, sizeof text - 1);
    }
    if (!step(dedup_linestats_add(b, other, sizeof other - 1), "linestats_add")) {
        alloc_on();
        dedup_linestats_add(b, other, sizeof other - 1);
    }
    step(dedup_linestats_merge(a, b), "linestats_merge");
    int same = dedup_linestats_documents(a) == 2 &&
               dedup_linestats_count(a, "ALSO READ: weather", 18) == 2 &&
               dedup_linestats_count(a, "Seoul council approves bus plan", 31) == 1;
    dedup_linestats_free(a);
    dedup_linestats_free(b);
    return same;
}

/* ------------------------------------------------------- similarity */

static double similarity_ref;

static int run_similarity(void *ctx)
{
    const dedup_params *p = ctx;
    double s = -1.0;
    int rc = dedup_similarity(p, text, sizeof text - 1, other, sizeof other - 1, &s);
    if (!step(rc, "similarity")) {
        alloc_on();
        rc = dedup_similarity(p, text, sizeof text - 1, other, sizeof other - 1, &s);
    }
    return rc == DEDUP_OK && s == similarity_ref;
}

/* ------------------------------------------------------------ batch */

#define NDOCS 40

struct batch_ctx {
    const dedup_params *p;
    dedup_signature *sig[NDOCS];
    size_t ref_of[NDOCS + 1];
    size_t ref_count;
};

static int same_clusters(const struct batch_ctx *c, const dedup_clusters *cl)
{
    if (dedup_clusters_count(cl) != c->ref_count ||
        dedup_clusters_doc_count(cl) != NDOCS + 1)
        return 0;
    for (size_t i = 0; i <= NDOCS; i++)
        if (dedup_clusters_of(cl, i) != c->ref_of[i])
            return 0;
    return 1;
}

static int run_batch(void *arg)
{
    struct batch_ctx *c = arg;
    dedup_batch *b = NULL;
    int rc = dedup_batch_create(&b, c->p);
    rule(rc == DEDUP_OK || b == NULL, "failed batch_create leaves NULL");
    if (!step(rc, "batch_create")) {
        alloc_on();
        if (dedup_batch_create(&b, c->p) != DEDUP_OK)
            return 0;
    }
    for (size_t i = 0; i < NDOCS; i++) {
        size_t pos = SIZE_MAX;
        if (!step(dedup_batch_add(b, c->sig[i], &pos), "batch_add")) {
            rule(dedup_batch_count(b) == i, "failed batch_add adds nothing");
            alloc_on();
            dedup_batch_add(b, c->sig[i], &pos);
        }
        rule(pos == i, "batch_add gives the position");
    }
    /* One more, empty, through resize. */
    if (!step(dedup_batch_resize(b, NDOCS + 1), "batch_resize")) {
        rule(dedup_batch_count(b) == NDOCS, "failed batch_resize changes nothing");
        alloc_on();
        dedup_batch_resize(b, NDOCS + 1);
    }
    dedup_clusters *cl = NULL;
    rc = dedup_batch_cluster(&cl, b, 1);
    rule(rc == DEDUP_OK || cl == NULL, "failed batch_cluster leaves NULL");
    if (!step(rc, "batch_cluster")) {
        alloc_on();
        rc = dedup_batch_cluster(&cl, b, 1);
    }
    int same = rc == DEDUP_OK && same_clusters(c, cl);
    dedup_clusters_free(cl);
    dedup_batch_free(b);
    return same;
}

/* The stages of the same batch, as an engine runs them in one partition:
 * records, pairs, components, assignment; the clusters must be the
 * reference's. */
static struct {
    dedup_batch *b;
    unsigned char *recs;
    dedup_band_record *br;
    size_t nb;
} stage_in;

/* The inputs of run_stages, made without failures. */
static void stage_inputs(const struct batch_ctx *c)
{
    dedup_batch_create(&stage_in.b, c->p);
    for (size_t i = 0; i < NDOCS; i++)
        dedup_batch_add(stage_in.b, c->sig[i], NULL);
    size_t rs = dedup_batch_record_size(stage_in.b);
    stage_in.recs = malloc(NDOCS * rs);
    stage_in.br = malloc(NDOCS * dedup_batch_bands(stage_in.b) * sizeof *stage_in.br);
    stage_in.nb = 0;
    for (size_t i = 0; i < NDOCS; i++) {
        dedup_batch_record(stage_in.b, i, i, stage_in.recs + i * rs);
        stage_in.nb += dedup_batch_band_records(stage_in.b, stage_in.recs + i * rs,
                                                stage_in.br + stage_in.nb);
    }
}

static int run_stages(void *arg)
{
    struct batch_ctx *c = arg;
    dedup_batch *b = stage_in.b;
    unsigned char *recs = stage_in.recs;
    dedup_band_record *br = stage_in.br;
    size_t nb = stage_in.nb;
    dedup_edge *e = NULL;
    size_t ne = 0;
    int rc = dedup_batch_stage_pairs(b, br, nb, recs, NDOCS, NULL, 0, &e, &ne);
    rule(rc == DEDUP_OK || e == NULL, "failed stage_pairs returns nothing");
    if (!step(rc, "stage_pairs")) {
        alloc_on();
        rc = dedup_batch_stage_pairs(b, br, nb, recs, NDOCS, NULL, 0, &e, &ne);
    }
    dedup_link *l = malloc((ne ? ne : 1) * sizeof *l), *comp = NULL;
    for (size_t i = 0; i < ne; i++)
        l[i] = (dedup_link){e[i].a, e[i].b};
    size_t nc = 0;
    rc = dedup_components(l, ne, &comp, &nc);
    if (!step(rc, "components")) {
        alloc_on();
        rc = dedup_components(l, ne, &comp, &nc);
    }
    dedup_assignment *a = NULL;
    size_t na = 0;
    rc = dedup_batch_stage_assign(b, recs, NDOCS, e, ne, &a, &na);
    rule(rc == DEDUP_OK || a == NULL, "failed stage_assign returns nothing");
    if (!step(rc, "stage_assign")) {
        alloc_on();
        rc = dedup_batch_stage_assign(b, recs, NDOCS, e, ne, &a, &na);
    }
    int same = rc == DEDUP_OK && nc > 0;
    for (size_t i = 0, j = 0; same && i < NDOCS; i++) {
        size_t cl = i;
        if (j < na && a[j].doc == i)
            cl = (size_t)a[j++].cluster;
        same = cl == c->ref_of[i];
    }
    dedup_free(a);
    dedup_free(comp);
    dedup_free(e);
    free(l);
    return same;
}

static void test_batch(dedup_cluster_mode mode)
{
    struct batch_ctx c;
    dedup_params *p = params64();
    dedup_params_set(p, DEDUP_P_CLUSTER_MODE, mode);
    c.p = p;
    dedup_hasher *h = NULL;
    dedup_hasher_create(&h, p);
    /* Ten stories of 30 words drawn from 500 made-up words, four copies of
     * each with a different last word: copies share 25 of their 26 5-word
     * shingles, stories share next to none. */
    for (size_t i = 0; i < NDOCS; i++) {
        char doc[400];
        size_t n = 0;
        uint64_t x = 0x243f6a8885a308d3ULL * (i / 4 + 1);
        for (int w = 0; w < 30; w++) {
            x = dedup__mix64(x + (uint64_t)w);
            uint64_t word = w == 29 ? 1000 + i % 4 : x % 500;
            n += (size_t)snprintf(doc + n, sizeof doc - n, "w%llu ", (unsigned long long)word);
        }
        dedup_signature_create(&c.sig[i], p);
        dedup_hasher_sign(h, doc, n, c.sig[i]);
    }
    dedup_hasher_free(h);
    /* The reference, without failures. */
    dedup_batch *b = NULL;
    dedup_batch_create(&b, p);
    for (size_t i = 0; i < NDOCS; i++)
        dedup_batch_add(b, c.sig[i], NULL);
    dedup_batch_resize(b, NDOCS + 1);
    dedup_clusters *cl = NULL;
    dedup_batch_cluster(&cl, b, 1);
    c.ref_count = dedup_clusters_count(cl);
    for (size_t i = 0; i <= NDOCS; i++)
        c.ref_of[i] = dedup_clusters_of(cl, i);
    ok(c.ref_count == 11, "mode %d reference: ten stories and one empty document (%zu)", mode,
       c.ref_count);
    dedup_clusters_free(cl);
    dedup_batch_free(b);

    sweep(run_batch, &c,
          mode == DEDUP_CLUSTER_TRANSITIVE ? "batch (transitive)" : "batch (representative)");
    stage_inputs(&c);
    sweep(run_stages, &c,
          mode == DEDUP_CLUSTER_TRANSITIVE ? "stages (transitive)" : "stages (representative)");
    free(stage_in.br);
    free(stage_in.recs);
    dedup_batch_free(stage_in.b);
    for (size_t i = 0; i < NDOCS; i++)
        dedup_signature_free(c.sig[i]);
    dedup_params_free(p);
}

int main(void)
{
    sweep(run_params, NULL, "params");

    dedup_params *p = params64();
    struct hasher_ctx hc = {p, NULL, {0}};
    hasher_calls(&hc.ref, 1, p, NULL);
    ok(hc.ref.ntokens > 10 && hc.ref.nshingles > 5, "hasher reference: %zu tokens",
       hc.ref.ntokens);
    sweep(run_hasher, &hc, "hasher");

    /* With boilerplate statistics: "ALSO READ" is in both documents. */
    dedup_linestats *ls = NULL;
    dedup_linestats_create(&ls, 256);
    dedup_linestats_add(ls, text, sizeof text - 1);
    dedup_linestats_add(ls, other, sizeof other - 1);
    struct hasher_ctx hs = {p, ls, {0}};
    hasher_calls(&hs.ref, 1, p, ls);
    ok(hs.ref.nshingles < hc.ref.nshingles, "boilerplate line dropped: %zu shingles",
       hs.ref.nshingles);
    sweep(run_hasher, &hs, "hasher with line statistics");
    dedup_linestats_free(ls);

    sweep(run_linestats, NULL, "linestats");

    dedup_similarity(p, text, sizeof text - 1, other, sizeof other - 1, &similarity_ref);
    sweep(run_similarity, p, "similarity");
    dedup_params_free(p);

    test_batch(DEDUP_CLUSTER_REPRESENTATIVE);
    test_batch(DEDUP_CLUSTER_TRANSITIVE);
    return tap_done();
}
