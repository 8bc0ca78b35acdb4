/*
 * test-stages.c - the stages of batch clustering run as an engine would
 * run them: the corpus cut into shards, band records spread over
 * partitions, pairs found per partition, components merged in a tree,
 * clusters assigned per group of components. Every way of splitting the
 * work must give, document for document, the cluster and the similarity
 * dedup_batch_cluster gives on one machine, under both cluster modes and
 * both measures. Also: the partition function is fixed, and bad records
 * are refused.
 *
 * The corpus is text signed with the public hasher: stories of random
 * words and their copies (lightly edited, cut short, edited again and
 * again so that chains and bridges form), forty identical copies (a run
 * longer than the pair stage pairs in full), 45 copies with two edits
 * each (long runs in some bands, short ones in others), and empty
 * documents.
 */
#define DEDUP_EXPERIMENTAL
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "tap.h"

/* dedup_band_partition of three fixed records into 1000 partitions. */
#define PART0 42u
#define PART1 466u
#define PART2 565u

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ------------------------------------------------------------ corpus */

enum { STORIES = 220, WORDS = 160, VOCAB = 3000 };

typedef struct {
    char **text;
    size_t n, cap;
} corpus;

static void push(corpus *c, const char *words[], size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(words[i]) + 1;
    char *t = malloc(len), *o = t;
    for (size_t i = 0; i < n; i++)
        o += sprintf(o, "%s%s", i ? " " : "", words[i]);
    *o = 0;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 256;
        c->text = realloc(c->text, c->cap * sizeof *c->text);
    }
    c->text[c->n++] = t;
}

static void make_corpus(corpus *c, char vocab[][12])
{
    const char *w[WORDS];
    for (size_t s = 0; s < STORIES; s++) {
        for (size_t i = 0; i < WORDS; i++)
            w[i] = vocab[rnd() % VOCAB];
        push(c, w, WORDS);
        unsigned kind = (unsigned)(rnd() % 5), copies = (unsigned)(rnd() % 4);
        for (unsigned k = 0; k < copies; k++) {
            /* Edits pile up: each copy is edited from the previous one, so
             * the first and the last may fall apart (bridges). */
            unsigned edits = kind == 0 ? 4 + (unsigned)(rnd() % 14) : 1 + (unsigned)(rnd() % 6);
            for (unsigned e = 0; e < edits; e++)
                w[rnd() % WORDS] = vocab[rnd() % VOCAB];
            size_t keep = WORDS;
            if (kind == 1) /* cut short: a third to all of the story */
                keep = WORDS / 3 + rnd() % (WORDS - WORDS / 3);
            push(c, w + (kind == 2 ? WORDS - keep : 0), keep);
        }
        if (s == STORIES / 2)
            for (int k = 0; k < 40; k++)
                push(c, w, WORDS);
        if (s == STORIES / 3) {
            /* 45 copies of one story, each with two words of its own:
             * some bands hold all of them (a run too long to pair in
             * full), others a few (pairs the long runs leave out). */
            const char *base[WORDS];
            memcpy(base, w, sizeof base);
            for (int k = 0; k < 45; k++) {
                memcpy(w, base, sizeof base);
                w[rnd() % WORDS] = vocab[rnd() % VOCAB];
                w[rnd() % WORDS] = vocab[rnd() % VOCAB];
                push(c, w, WORDS);
            }
        }
        if (s % 50 == 7)
            push(c, w, 0);
    }
    /* Shuffle, so that copies come before and after their originals. */
    for (size_t i = c->n - 1; i > 0; i--) {
        size_t r = rnd() % (i + 1);
        char *t = c->text[i];
        c->text[i] = c->text[r];
        c->text[r] = t;
    }
}

static dedup_signature **sign_all(const dedup_params *p, const corpus *c)
{
    dedup_hasher *h;
    dedup_hasher_create(&h, p);
    dedup_signature **s = calloc(c->n, sizeof *s);
    for (size_t i = 0; i < c->n; i++) {
        dedup_signature_create(&s[i], p);
        dedup_hasher_sign(h, c->text[i], strlen(c->text[i]), s[i]);
    }
    dedup_hasher_free(h);
    return s;
}

/* ------------------------------------------------------ a "machine" run */

/* Growable arrays of records. */
typedef struct {
    void *v;
    size_t n, cap, size;
} vec;

static void *vec_push(vec *a, const void *x)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 64;
        a->v = realloc(a->v, a->cap * a->size);
    }
    void *at = (char *)a->v + a->n++ * a->size;
    memcpy(at, x, a->size);
    return at;
}

static void vec_free(vec *a)
{
    free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

typedef struct {
    size_t shards, parts, groups;
    int unsure; /* give stage_pairs every partition's unsure records */
} split;

typedef struct {
    dedup_assignment *a; /* by document: cluster, sim (doc = itself if alone) */
    size_t edges;        /* distinct verified pairs */
    size_t unsure;       /* unsure records of every partition */
    int status;
} staged;

/* Steps 1-2: each shard's batch exports records; every band record goes
 * to its partition with its document's record. */
static void shard_records(const dedup_params *p, dedup_signature **sigs, size_t n,
                          split sp, vec *bands, vec *docs, size_t rsize)
{
    size_t lo = 0;
    unsigned char *rec = malloc(rsize);
    dedup_band_record br[256];
    for (size_t s = 0; s < sp.shards; s++) {
        /* Uneven shards: cut points at random. */
        size_t hi = s + 1 == sp.shards ? n : lo + rnd() % (n - lo + 1);
        dedup_batch *b;
        dedup_batch_create(&b, p);
        for (size_t i = lo; i < hi; i++)
            dedup_batch_add(b, sigs[i], NULL);
        for (size_t i = lo; i < hi; i++) {
            dedup_batch_record(b, i - lo, i, rec);
            size_t nb = dedup_batch_band_records(b, rec, br);
            for (size_t j = 0; j < nb; j++) {
                uint32_t part = dedup_band_partition(&br[j], (uint32_t)sp.parts);
                vec_push(&bands[part], &br[j]);
                vec_push(&docs[part], rec);
            }
        }
        dedup_batch_free(b);
        lo = hi;
    }
    free(rec);
}

/* Shuffle n records of size bytes in place. */
static void shuffle(void *v, size_t n, size_t size)
{
    unsigned char *a = v, tmp[512];
    for (size_t i = n; i > 1; i--) {
        size_t r = rnd() % i;
        memcpy(tmp, a + (i - 1) * size, size);
        memcpy(a + (i - 1) * size, a + r * size, size);
        memcpy(a + r * size, tmp, size);
    }
}

/* Step 4: components of the partitions' links, merged two at a time in a
 * random order (a tree reduction). */
static int merge_components(vec *links, size_t parts, dedup_link **out, size_t *nout)
{
    size_t live = parts;
    int rc = DEDUP_OK;
    for (size_t i = 0; i < parts && rc == DEDUP_OK; i++) {
        dedup_link *l;
        size_t nl;
        rc = dedup_components(links[i].v, links[i].n, &l, &nl);
        vec_free(&links[i]);
        for (size_t j = 0; j < nl; j++)
            vec_push(&links[i], &l[j]);
        dedup_free(l);
    }
    while (live > 1 && rc == DEDUP_OK) {
        size_t x = rnd() % live, y = rnd() % (live - 1);
        y += y >= x;
        for (size_t j = 0; j < links[y].n; j++)
            vec_push(&links[x], (dedup_link *)links[y].v + j);
        dedup_link *l;
        size_t nl;
        rc = dedup_components(links[x].v, links[x].n, &l, &nl);
        vec_free(&links[x]);
        for (size_t j = 0; j < nl; j++)
            vec_push(&links[x], &l[j]);
        dedup_free(l);
        vec_free(&links[y]);
        links[y] = links[live - 1];
        links[live - 1] = (vec){.size = sizeof(dedup_link)};
        live--;
    }
    *out = links[0].v;
    *nout = links[0].n;
    links[0] = (vec){.size = sizeof(dedup_link)};
    return rc;
}

static uint64_t root_of(const dedup_link *l, size_t n, uint64_t doc)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (l[m].doc < doc)
            lo = m + 1;
        else
            hi = m;
    }
    return lo < n && l[lo].doc == doc ? l[lo].root : doc;
}

/* Step 5: edges and records grouped by component, assigned per group. */
static int assign_groups(const dedup_params *p, staged *st, const dedup_edge *e, size_t ne,
                         const dedup_link *l, size_t nl, size_t groups,
                         dedup_signature **sigs, size_t rsize)
{
    dedup_batch *all;
    dedup_batch_create(&all, p);
    vec *ge = calloc(groups, sizeof *ge), *gd = calloc(groups, sizeof *gd);
    unsigned char *rec = malloc(rsize);
    for (size_t g = 0; g < groups; g++) {
        ge[g].size = sizeof(dedup_edge);
        gd[g].size = rsize;
    }
    for (size_t i = 0; i < ne; i++) {
        size_t g = root_of(l, nl, e[i].a) % groups;
        vec_push(&ge[g], &e[i]);
        /* Each end's record, from a batch of its own signature. */
        for (int end = 0; end < 2; end++) {
            uint64_t d = end ? e[i].b : e[i].a;
            dedup_batch_resize(all, 0);
            dedup_batch_add(all, sigs[d], NULL);
            dedup_batch_record(all, 0, d, rec);
            vec_push(&gd[g], rec);
        }
    }
    int rc = DEDUP_OK;
    for (size_t g = 0; g < groups && rc == DEDUP_OK; g++) {
        dedup_assignment *a;
        size_t na;
        shuffle(ge[g].v, ge[g].n, sizeof(dedup_edge));
        rc = dedup_batch_stage_assign(all, gd[g].v, gd[g].n, ge[g].v, ge[g].n, &a, &na);
        for (size_t j = 0; rc == DEDUP_OK && j < na; j++)
            st->a[a[j].doc] = a[j];
        dedup_free(a);
        vec_free(&ge[g]);
        vec_free(&gd[g]);
    }
    free(ge);
    free(gd);
    free(rec);
    dedup_batch_free(all);
    return rc;
}

static int cmp_link(const void *x, const void *y)
{
    const dedup_link *a = x, *b = y;
    if (a->doc != b->doc)
        return (a->doc > b->doc) - (a->doc < b->doc);
    return (a->root > b->root) - (a->root < b->root);
}

/* The whole staged run of n signatures under split sp. */
static staged run_staged(const dedup_params *p, dedup_signature **sigs, size_t n, split sp)
{
    staged st = {.a = calloc(n, sizeof *st.a)};
    for (size_t i = 0; i < n; i++)
        st.a[i] = (dedup_assignment){i, i, 1.0};
    dedup_batch *b;
    dedup_batch_create(&b, p);
    size_t rsize = dedup_batch_record_size(b);
    vec *bands = calloc(sp.parts, sizeof *bands), *docs = calloc(sp.parts, sizeof *docs);
    vec *links = calloc(sp.parts, sizeof *links);
    vec edges = {.size = sizeof(dedup_edge)};
    for (size_t i = 0; i < sp.parts; i++) {
        bands[i].size = sizeof(dedup_band_record);
        docs[i].size = rsize;
        links[i].size = sizeof(dedup_link);
    }
    shard_records(p, sigs, n, sp, bands, docs, rsize);
    /* The unsure records of every partition, put together. */
    vec unsure = {.size = sizeof(dedup_band_record)};
    for (size_t i = 0; sp.unsure && i < sp.parts && !st.status; i++) {
        dedup_band_record *u;
        size_t nu;
        st.status = dedup_batch_stage_unsure(b, bands[i].v, bands[i].n, &u, &nu);
        for (size_t j = 0; !st.status && j < nu; j++)
            vec_push(&unsure, &u[j]);
        dedup_free(u);
    }
    st.unsure = unsure.n;
    /* Step 3, partitions in turn, their records in any order. */
    for (size_t i = 0; i < sp.parts && !st.status; i++) {
        dedup_edge *e;
        size_t ne;
        shuffle(bands[i].v, bands[i].n, sizeof(dedup_band_record));
        st.status = dedup_batch_stage_pairs(b, bands[i].v, bands[i].n, docs[i].v, docs[i].n,
                                            sp.unsure ? unsure.v : NULL, unsure.n, &e, &ne);
        for (size_t j = 0; !st.status && j < ne; j++) {
            vec_push(&edges, &e[j]);
            dedup_link lk = {e[j].a, e[j].b};
            vec_push(&links[i], &lk);
        }
        dedup_free(e);
        vec_free(&bands[i]);
        vec_free(&docs[i]);
    }
    dedup_link *l = NULL;
    size_t nl = 0;
    if (!st.status)
        st.status = merge_components(links, sp.parts, &l, &nl);
    /* The same pair met in several partitions counts once. */
    dedup_link *pairs = malloc((edges.n ? edges.n : 1) * sizeof *pairs);
    for (size_t i = 0; i < edges.n; i++)
        pairs[i] = (dedup_link){((dedup_edge *)edges.v)[i].a, ((dedup_edge *)edges.v)[i].b};
    qsort(pairs, edges.n, sizeof *pairs, cmp_link);
    for (size_t i = 0; i < edges.n; i++)
        st.edges += i == 0 || cmp_link(&pairs[i], &pairs[i - 1]) != 0;
    free(pairs);
    if (!st.status)
        st.status = assign_groups(p, &st, edges.v, edges.n, l, nl, sp.groups, sigs, rsize);
    free(l);
    vec_free(&unsure);
    vec_free(&edges);
    for (size_t i = 0; i < sp.parts; i++)
        vec_free(&links[i]);
    free(bands);
    free(docs);
    free(links);
    dedup_batch_free(b);
    return st;
}

/* ------------------------------------------------------------- tests */

static dedup_params *params_of(dedup_measure m, dedup_cluster_mode mode)
{
    dedup_params *p;
    dedup_params_create(&p);
    dedup_params_set(p, DEDUP_P_MEASURE, m);
    dedup_params_set(p, DEDUP_P_CLUSTER_MODE, mode);
    /* Jaccard at 0.5 rather than containment's default: the copies of the
     * corpus then spread on both sides of the threshold too. */
    if (m == DEDUP_MEASURE_JACCARD)
        dedup_params_set_real(p, DEDUP_P_THRESHOLD, 0.5);
    return p;
}

static void same_as_one_machine(const corpus *c, dedup_measure m, dedup_cluster_mode mode)
{
    const char *name = mode == DEDUP_CLUSTER_TRANSITIVE ? "transitive" : "representative";
    const char *mname = m == DEDUP_MEASURE_JACCARD ? "jaccard" : "containment";
    dedup_params *p = params_of(m, mode);
    dedup_signature **sigs = sign_all(p, c);
    dedup_batch *b;
    dedup_batch_create(&b, p);
    for (size_t i = 0; i < c->n; i++)
        dedup_batch_add(b, sigs[i], NULL);
    dedup_clusters *one;
    dedup_batch_cluster(&one, b, 2);
    size_t verified = 0, multi = 0;
    dedup_clusters_candidates(one, &verified);
    for (size_t i = 0; i < c->n; i++)
        multi += dedup_clusters_of(one, i) != i;
    ok(verified > 100 && multi > 100, "%s/%s: the corpus has pairs (%zu) and clusters (%zu "
       "documents joined)", mname, name, verified, multi);
    static const split splits[] = {{1, 1, 1, 0}, {1, 1, 1, 1}, {3, 2, 2, 1}, {7, 5, 3, 0},
                                   {2, 13, 1, 1}, {5, 3, 7, 1}};
    for (size_t s = 0; s < sizeof splits / sizeof *splits; s++) {
        split sp = splits[s];
        staged st = run_staged(p, sigs, c->n, sp);
        size_t bad = 0, first = SIZE_MAX;
        for (size_t i = 0; i < c->n; i++)
            if (st.a[i].doc != i || st.a[i].cluster != dedup_clusters_of(one, i) ||
                st.a[i].sim != dedup_clusters_similarity(one, i)) {
                bad++;
                if (first == SIZE_MAX)
                    first = i;
            }
        is_int(st.status, DEDUP_OK, "%s/%s, %zu shards, %zu partitions, %zu groups%s: runs",
               mname, name, sp.shards, sp.parts, sp.groups,
               sp.unsure ? ", unsure records" : "");
        if (sp.unsure)
            ok(st.unsure > 0, "the run of 40 copies has unsure documents (%zu records)",
               st.unsure);
        ok(bad == 0, "%s/%s, %zu shards, %zu partitions, %zu groups: every cluster and "
           "similarity as on one machine (%zu differ)", mname, name, sp.shards, sp.parts,
           sp.groups, bad);
        if (bad)
            tap_diag("first: %zu in %llu (%.6f), one machine %zu (%.6f)", first,
                     (unsigned long long)st.a[first].cluster, st.a[first].sim,
                     dedup_clusters_of(one, first), dedup_clusters_similarity(one, first));
        is_int(st.edges, verified, "%s/%s: the partitions' pairs are the verified pairs",
               mname, name);
        free(st.a);
    }
    dedup_clusters_free(one);
    dedup_batch_free(b);
    for (size_t i = 0; i < c->n; i++)
        dedup_signature_free(sigs[i]);
    free(sigs);
    dedup_params_free(p);
}

/* The partition of a band record is a fixed function: engines on
 * different machines and versions must agree. */
static void partition_fixed(void)
{
    dedup_band_record r[3] = {{1, 1, 1}, {5, 0xdeadbeef, 2}, {36, 123456789, 3}};
    uint32_t got[3], spread[7] = {0};
    for (int i = 0; i < 3; i++)
        got[i] = dedup_band_partition(&r[i], 1000);
    tap_diag("partitions %u %u %u", got[0], got[1], got[2]);
    ok(got[0] == PART0 && got[1] == PART1 && got[2] == PART2,
       "the partition function is the documented one");
    ok(dedup_band_partition(&r[1], 0) == 0 && dedup_band_partition(NULL, 7) == 0,
       "no partitions or no record: 0");
    /* The document does not matter, the band value spreads evenly. */
    dedup_band_record x = {3, 77, 1}, y = {3, 77, 99};
    ok(dedup_band_partition(&x, 7) == dedup_band_partition(&y, 7),
       "one band value, one partition, whatever the document");
    rng_state = 9;
    for (int i = 0; i < 70000; i++) {
        dedup_band_record z = {(uint32_t)(rnd() % 40), (uint32_t)rnd(), 0};
        spread[dedup_band_partition(&z, 7)]++;
    }
    /* 10000 expected each; binomial deviation 93; 6 deviations allowed. */
    int even = 1;
    for (int i = 0; i < 7; i++)
        even &= spread[i] > 10000 - 560 && spread[i] < 10000 + 560;
    ok(even, "band values spread evenly over 7 partitions");
}

static void bad_records(const corpus *c)
{
    dedup_params *p = params_of(DEDUP_MEASURE_CONTAINMENT, DEDUP_CLUSTER_REPRESENTATIVE);
    dedup_signature **sigs = sign_all(p, c);
    dedup_batch *b;
    dedup_batch_create(&b, p);
    dedup_batch_add(b, sigs[0], NULL);
    dedup_batch_add(b, sigs[1], NULL);
    size_t rs = dedup_batch_record_size(b);
    unsigned char *rec = malloc(2 * rs);
    is_int(dedup_batch_record(b, 2, 0, rec), DEDUP_E_RANGE, "a record past the count: RANGE");
    dedup_batch_record(b, 0, 10, rec);
    dedup_batch_record(b, 1, 11, rec + rs);
    dedup_band_record br[256];
    size_t nb = dedup_batch_band_records(b, rec, br);
    unsigned bands = dedup_batch_bands(b), main_bands, rows;
    int64_t lead = 0;
    dedup_params_lsh(p, &main_bands, &rows);
    dedup_params_get(p, DEDUP_P_LEAD_BANDS, &lead);
    ok(nb == bands && bands == main_bands + lead && lead > 0 && br[0].doc == 10 &&
           br[nb - 1].band == bands - 1,
       "a document has one band record per band, lead bands included (%u)", bands);
    dedup_edge *e = NULL;
    size_t ne = 7;
    dedup_band_record other = {0, 1, 12};
    is_int(dedup_batch_stage_pairs(b, &other, 1, rec, 2, NULL, 0, &e, &ne), DEDUP_E_NOTFOUND,
           "a band record without its document's record: NOTFOUND");
    ok(e == NULL && ne == 0, "and nothing returned");
    other = (dedup_band_record){bands, 1, 10};
    is_int(dedup_batch_stage_pairs(b, &other, 1, rec, 2, NULL, 0, &e, &ne), DEDUP_E_RANGE,
           "a band out of range: RANGE");
    is_int(dedup_batch_stage_pairs(b, br, 1, NULL, 2, NULL, 0, &e, &ne), DEDUP_E_INVAL, "NULL records");
    is_int(dedup_batch_stage_pairs(b, NULL, 0, NULL, 0, NULL, 0, &e, &ne), DEDUP_OK, "nothing: fine");
    ok(ne == 0, "and no pairs");
    dedup_free(e);
    dedup_edge one = {10, 12, 0.9};
    dedup_assignment *a = NULL;
    size_t na = 0;
    is_int(dedup_batch_stage_assign(b, rec, 2, &one, 1, &a, &na), DEDUP_E_NOTFOUND,
           "representative mode without a document's record: NOTFOUND");
    dedup_link l[3] = {{5, 9}, {9, 2}, {7, 7}}, *lo = NULL;
    size_t nl = 0;
    is_int(dedup_components(l, 3, &lo, &nl), DEDUP_OK, "components of links");
    ok(nl == 4 && lo[0].doc == 2 && lo[0].root == 2 && lo[1].doc == 5 && lo[1].root == 2 &&
           lo[2].doc == 7 && lo[2].root == 7 && lo[3].doc == 9 && lo[3].root == 2,
       "each document once, with the smallest of its component, sorted");
    int found = 1;
    for (uint64_t d = 0; d <= 11; d++) {
        size_t at = dedup_links_find(lo, nl, d);
        /* the first link at or after d: 2, 5, 7 and 9 at 0 to 3, then none */
        size_t want = d <= 2 ? 0 : d <= 5 ? 1 : d <= 7 ? 2 : d <= 9 ? 3 : 4;
        found &= at == want && root_of(lo, nl, d) == (at < nl && lo[at].doc == d ? lo[at].root : d);
    }
    ok(found && dedup_links_find(NULL, 0, 3) == 0 && dedup_links_find(lo, 0, 3) == 0,
       "links_find: the first link at or after a document, and none past the last");
    dedup_free(lo);
    is_int(dedup_components(NULL, 1, &lo, &nl), DEDUP_E_INVAL, "NULL links");
    dedup_free(NULL);
    free(rec);
    dedup_batch_free(b);
    for (size_t i = 0; i < c->n; i++)
        dedup_signature_free(sigs[i]);
    free(sigs);
    dedup_params_free(p);
}

int main(void)
{
    static char vocab[VOCAB][12];
    rng_state = 2024;
    for (int i = 0; i < VOCAB; i++) {
        int len = 3 + (int)(rnd() % 7);
        for (int j = 0; j < len; j++)
            vocab[i][j] = (char)('a' + rnd() % 26);
        vocab[i][len] = 0;
    }
    corpus c = {0};
    make_corpus(&c, vocab);
    tap_diag("%zu documents", c.n);
    for (int m = 0; m < 2; m++)
        for (int mode = 0; mode < 2; mode++)
            same_as_one_machine(&c, m ? DEDUP_MEASURE_JACCARD : DEDUP_MEASURE_CONTAINMENT,
                                mode ? DEDUP_CLUSTER_TRANSITIVE : DEDUP_CLUSTER_REPRESENTATIVE);
    partition_fixed();
    bad_records(&c);
    for (size_t i = 0; i < c.n; i++)
        free(c.text[i]);
    free(c.text);
    return tap_done();
}
