/*
 * batch.c - batch clustering of a whole corpus: the dedup_batch container,
 * the three stages (candidates, verification, assignment) and the
 * dedup_clusters result.
 *
 * Storage. Signatures live back to back in one array of fixed-size slots,
 * each slot a complete dedup_signature, so that the candidate stage reads
 * them as one forward stream and verification can hand slots straight to
 * dedup__signature_similarity.
 *
 * Threads. Stage 1 gives each of T threads a contiguous range of bands,
 * whose keys it computes BAND_GROUP bands per pass over the signatures;
 * each thread keeps its own sorted set of pairs and the sets are merged at
 * the end. Stage 2 cuts
 * the candidate array into T contiguous ranges. Both results are sets or
 * per-position values, so they are the same for any T: the output never
 * depends on the number of threads or on scheduling. The calling thread
 * does the work of thread 0 itself, and of any thread that could not be
 * started, so a failure to create threads only costs time.
 *
 * Modes. Transitive: the connected components of the verified pairs. The
 * similarity reported for a document other than the first of its cluster
 * is the best similarity among its verified pairs. Representative: in
 * input order, a document joins the first earlier representative with
 * which it forms a verified pair, and its similarity is that pair's; a
 * document with no such pair is a representative. Bridges (A~B, B~C, A!~C)
 * thus stop at B instead of chaining A and C together.
 *
 * Empty documents (set_size 0) get no band keys, so they never become
 * candidates and each stays alone.
 */
#include <pthread.h>
#include <stddef.h>

#include "batch.h"

/* More threads than this would only add merge work. */
#define MAX_THREADS 64

/* ---------------------------------------------------------------- batch */

int dedup_batch_create(dedup_batch **out, const dedup_params *p)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    dedup_params defaults;
    if (!p) {
        dedup__params_defaults(&defaults);
        p = &defaults;
    }
    int rc = dedup__params_validate(p);
    if (rc)
        return rc;
    unsigned bands, rows;
    dedup__params_lsh(p, &bands, &rows);
    uint32_t k = (uint32_t)p->ival[DEDUP_P_NUM_HASHES];
    if (bands == 0 || rows == 0 || (uint64_t)bands * rows > k)
        return DEDUP_E_RANGE;
    dedup_batch *b = dedup__calloc(1, sizeof *b);
    if (!b)
        return DEDUP_E_NOMEM;
    b->params = *p;
    b->fingerprint = dedup__params_fingerprint(p);
    b->k = k;
    b->bands = bands;
    b->rows = rows;
    b->measure = (dedup_measure)p->ival[DEDUP_P_MEASURE];
    b->mode = (dedup_cluster_mode)p->ival[DEDUP_P_CLUSTER_MODE];
    b->threshold = p->threshold;
    /* A slot is a whole signature, rounded up so the next one is aligned. */
    size_t bytes = offsetof(dedup_signature, values) + (size_t)k * sizeof(uint32_t);
    size_t align = _Alignof(dedup_signature);
    b->slot = (bytes + align - 1) / align * align;
    *out = b;
    return DEDUP_OK;
}

void dedup_batch_free(dedup_batch *b)
{
    if (!b)
        return;
    dedup__free(b->slots);
    dedup__free(b);
}

static dedup_signature *slot_at(const dedup_batch *b, size_t i)
{
    return (dedup_signature *)(void *)(b->slots + i * b->slot);
}

int dedup_batch_resize(dedup_batch *b, size_t n)
{
    if (!b)
        return DEDUP_E_INVAL;
    if (n > UINT32_MAX)
        return DEDUP_E_TOOBIG;
    if (n > b->cap) {
        /* Exact size for a resize, so that one call for a known corpus
         * does not reserve up to twice the memory. */
        if (n > SIZE_MAX / b->slot)
            return DEDUP_E_TOOBIG;
        unsigned char *s = dedup__realloc(b->slots, n * b->slot);
        if (!s)
            return DEDUP_E_NOMEM;
        b->slots = s;
        b->cap = n;
    }
    for (size_t i = b->count; i < n; i++) {
        dedup_signature *s = slot_at(b, i);
        s->fingerprint = b->fingerprint;
        s->k = b->k;
        dedup__signature_clear(s);
    }
    b->count = n;
    return DEDUP_OK;
}

int dedup_batch_set(dedup_batch *b, size_t i, const dedup_signature *sig)
{
    if (!b || !sig)
        return DEDUP_E_INVAL;
    if (i >= b->count)
        return DEDUP_E_RANGE;
    if (sig->fingerprint != b->fingerprint || sig->k != b->k)
        return DEDUP_E_MISMATCH;
    memcpy(slot_at(b, i), sig, offsetof(dedup_signature, values) +
                                   (size_t)b->k * sizeof(uint32_t));
    return DEDUP_OK;
}

int dedup_batch_add(dedup_batch *b, const dedup_signature *sig, size_t *index)
{
    if (!b || !sig)
        return DEDUP_E_INVAL;
    if (sig->fingerprint != b->fingerprint || sig->k != b->k)
        return DEDUP_E_MISMATCH;
    if (b->count >= UINT32_MAX)
        return DEDUP_E_TOOBIG;
    if (dedup__grow((void **)&b->slots, &b->cap, b->count + 1, b->slot))
        return DEDUP_E_NOMEM;
    size_t i = b->count++;
    memcpy(slot_at(b, i), sig, offsetof(dedup_signature, values) +
                                   (size_t)b->k * sizeof(uint32_t));
    if (index)
        *index = i;
    return DEDUP_OK;
}

size_t dedup_batch_count(const dedup_batch *b)
{
    return b ? b->count : 0;
}

dedup__sigtab dedup__batch_table(const dedup_batch *b)
{
    dedup__sigtab t = {b->slots, b->slot, b->count};
    return t;
}

/* -------------------------------------------------------------- threads */

/* Run fn on args[0..n) (each elem bytes apart), args[0] and any that
 * cannot get a thread of its own on the calling thread. */
static void run_parallel(void *(*fn)(void *), void *args, size_t elem, unsigned n)
{
    pthread_t tid[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    unsigned char *a = args;
    for (unsigned t = 1; t < n; t++)
        started[t] = pthread_create(&tid[t], NULL, fn, a + t * elem) == 0;
    fn(a);
    for (unsigned t = 1; t < n; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            fn(a + t * elem);
    }
}

static unsigned clamp_threads(unsigned nthreads, size_t units)
{
    unsigned t = nthreads ? nthreads : 1;
    if (t > MAX_THREADS)
        t = MAX_THREADS;
    if (units < t)
        t = units ? (unsigned)units : 1;
    return t;
}

/* ------------------------------------------------- stage 1: candidates */

/* Bands whose keys a thread computes in one pass over the signatures. */
#define BAND_GROUP 8

typedef struct {
    const dedup_batch *b;
    unsigned first, end;              /* bands [first, end) */
    uint64_t *keys[BAND_GROUP], *tmp; /* a group's keys, the sort's buffer */
    dedup__u64vec band;   /* one band's pairs */
    dedup__u64vec acc;    /* pairs of every band done so far */
    uint64_t *stmp;
    size_t stmp_cap;
    int status;
} cand_worker;

static void *cand_run(void *arg)
{
    cand_worker *w = arg;
    const dedup_batch *b = w->b;
    dedup__sigtab tab = dedup__batch_table(b);
    uint64_t seed = (uint64_t)b->params.ival[DEDUP_P_SEED];
    for (unsigned band0 = w->first; band0 < w->end; band0 += BAND_GROUP) {
        unsigned nb = DEDUP_MIN((unsigned)BAND_GROUP, w->end - band0);
        size_t m = dedup__band_keys_group(w->keys, &tab, 0, band0, nb, b->rows, seed);
        for (unsigned j = 0; j < nb; j++) {
            dedup__radix_sort(w->keys[j], w->tmp, m, 32);
            w->band.n = 0;
            if (dedup__band_pairs(&w->band, w->keys[j], m) ||
                dedup__pairs_sort_unique(&w->band, &w->stmp, &w->stmp_cap) ||
                dedup__pairs_merge_unique(&w->acc, w->band.v, w->band.n)) {
                w->status = DEDUP_E_NOMEM;
                return NULL;
            }
        }
    }
    return NULL;
}

static void cand_release(cand_worker *w)
{
    for (unsigned j = 0; j < BAND_GROUP; j++)
        dedup__free(w->keys[j]);
    dedup__free(w->tmp);
    dedup__free(w->stmp);
    dedup__u64vec_release(&w->band);
    dedup__u64vec_release(&w->acc);
}

int dedup__batch_candidates(const dedup_batch *b, unsigned nthreads, dedup__u64vec *out)
{
    out->v = NULL;
    out->n = out->cap = 0;
    if (b->count > UINT32_MAX)
        return DEDUP_E_TOOBIG;
    unsigned T = clamp_threads(nthreads, b->bands);
    cand_worker w[MAX_THREADS];
    memset(w, 0, sizeof w);
    int rc = DEDUP_OK;
    size_t n = b->count ? b->count : 1;
    for (unsigned t = 0; t < T; t++) {
        w[t].b = b;
        /* Contiguous ranges of bands, so that groups share cache lines. */
        w[t].first = (unsigned)((uint64_t)b->bands * t / T);
        w[t].end = (unsigned)((uint64_t)b->bands * (t + 1) / T);
        unsigned groups = DEDUP_MIN((unsigned)BAND_GROUP, w[t].end - w[t].first);
        int bad = !(w[t].tmp = dedup__malloc(n * sizeof(uint64_t)));
        for (unsigned j = 0; j < groups && !bad; j++)
            bad = !(w[t].keys[j] = dedup__malloc(n * sizeof(uint64_t)));
        if (bad) {
            rc = DEDUP_E_NOMEM;
            T = t + 1;
            goto done;
        }
    }
    run_parallel(cand_run, w, sizeof w[0], T);
    for (unsigned t = 0; t < T; t++)
        if (w[t].status)
            rc = w[t].status;
    /* The union of the per-thread sets, into thread 0's. */
    for (unsigned t = 1; t < T && rc == DEDUP_OK; t++)
        rc = dedup__pairs_merge_unique(&w[0].acc, w[t].acc.v, w[t].acc.n);
    if (rc == DEDUP_OK) {
        *out = w[0].acc;
        w[0].acc.v = NULL;
        w[0].acc.n = w[0].acc.cap = 0;
    }
done:
    for (unsigned t = 0; t < T; t++)
        cand_release(&w[t]);
    return rc;
}

/* ----------------------------------------------- stage 2: verification */

typedef struct {
    const dedup_batch *b;
    const uint64_t *pairs;
    double *sims;
    size_t lo, hi;
} verify_worker;

static void *verify_run(void *arg)
{
    verify_worker *w = arg;
    const dedup_batch *b = w->b;
    /* Pairs come sorted by their first document, so the second one is a
     * random access into the table: fetch it a few pairs ahead, so that
     * several misses overlap instead of each stalling in turn. */
    enum { AHEAD = 12 };
    size_t lines = (offsetof(dedup_signature, values) + (size_t)b->k * 4 + 63) / 64;
    for (size_t i = w->lo; i < w->hi; i++) {
        if (i + AHEAD < w->hi) {
            const char *q = (const char *)slot_at(b, dedup__pair_b(w->pairs[i + AHEAD]));
            for (size_t l = 0; l < lines; l++)
                DEDUP_PREFETCH(q + 64 * l);
        }
        uint64_t p = w->pairs[i];
        w->sims[i] = dedup__signature_similarity(slot_at(b, dedup__pair_a(p)),
                                                 slot_at(b, dedup__pair_b(p)), b->measure);
    }
    return NULL;
}

int dedup__batch_verify(const dedup_batch *b, unsigned nthreads, dedup__u64vec *pairs,
                        double **sims)
{
    *sims = NULL;
    size_t n = pairs->n;
    if (n > SIZE_MAX / sizeof(double))
        return DEDUP_E_NOMEM;
    double *s = dedup__malloc(n * sizeof *s);
    if (!s)
        return DEDUP_E_NOMEM;
    /* Ranges of at least 4096 pairs: below that a thread costs more than
     * it saves. */
    unsigned T = clamp_threads(nthreads, n / 4096);
    verify_worker w[MAX_THREADS];
    for (unsigned t = 0; t < T; t++) {
        w[t].b = b;
        w[t].pairs = pairs->v;
        w[t].sims = s;
        w[t].lo = n / T * t;
        w[t].hi = t + 1 == T ? n : n / T * (t + 1);
    }
    run_parallel(verify_run, w, sizeof w[0], T);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] >= b->threshold) {
            pairs->v[m] = pairs->v[i];
            s[m++] = s[i];
        }
    pairs->n = m;
    *sims = s;
    return DEDUP_OK;
}

/* ------------------------------------------------- stage 3: assignment */

void dedup_clusters_free(dedup_clusters *c)
{
    if (!c)
        return;
    dedup__free(c->cluster);
    dedup__free(c->size);
    dedup__free(c->sim);
    dedup__free(c);
}

static dedup_clusters *clusters_alloc(size_t n)
{
    dedup_clusters *c = dedup__calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->n = n;
    c->cluster = dedup__malloc(n * sizeof *c->cluster);
    c->size = dedup__calloc(n, sizeof *c->size);
    c->sim = dedup__malloc(n * sizeof *c->sim);
    if (!c->cluster || !c->size || !c->sim) {
        dedup_clusters_free(c);
        return NULL;
    }
    return c;
}

/* Transitive mode: components of the pair graph. */
static int assign_transitive(dedup_clusters *c, const uint64_t *pairs, const double *sims,
                             size_t np)
{
    dedup__uf uf;
    int rc = dedup__uf_init(&uf, c->n);
    if (rc)
        return rc;
    dedup__uf_add_edges(&uf, pairs, np);
    dedup__uf_flatten(&uf);
    memcpy(c->cluster, uf.parent, c->n * sizeof *c->cluster);
    dedup__uf_release(&uf);
    for (size_t i = 0; i < c->n; i++)
        c->sim[i] = 0.0;
    for (size_t e = 0; e < np; e++) {
        uint32_t a = dedup__pair_a(pairs[e]), b = dedup__pair_b(pairs[e]);
        if (sims[e] > c->sim[a])
            c->sim[a] = sims[e];
        if (sims[e] > c->sim[b])
            c->sim[b] = sims[e];
    }
    return DEDUP_OK;
}

/* Representative mode. The verified pairs are sorted by their smaller
 * document a; regrouped by their larger document b (counting sort), the
 * partners of each b come out in increasing order.
 *
 * Document i joins the cluster of the first earlier representative it
 * duplicates. The representatives it is compared with are its verified
 * partners that are representatives, and the representatives of its other
 * verified partners: banding finds a pair only with some probability, so a
 * copy may be found through another copy of the same story rather than
 * through the first one; comparing it with that cluster's representative
 * directly recovers the pair, and keeps the rule that every member
 * duplicates its representative (no chaining). Each such comparison is one
 * signature comparison. */
static int assign_representative(const dedup_batch *b, dedup_clusters *c,
                                 const uint64_t *pairs, const double *sims, size_t np)
{
    size_t n = c->n;
    size_t *start = dedup__calloc(n + 1, sizeof *start);
    size_t *edge = dedup__malloc(np * sizeof *edge);
    if (!start || !edge) {
        dedup__free(start);
        dedup__free(edge);
        return DEDUP_E_NOMEM;
    }
    for (size_t e = 0; e < np; e++)
        start[dedup__pair_b(pairs[e]) + 1]++;
    for (size_t i = 0; i < n; i++)
        start[i + 1] += start[i];
    /* start[b] is used as the fill position, then restored. */
    for (size_t e = 0; e < np; e++)
        edge[start[dedup__pair_b(pairs[e])]++] = e;
    for (size_t i = n; i > 0; i--)
        start[i] = start[i - 1];
    start[0] = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t best = (uint32_t)i;
        double best_sim = 1.0;
        for (size_t x = start[i]; x < start[i + 1]; x++) {
            size_t e = edge[x];
            uint32_t a = dedup__pair_a(pairs[e]);
            uint32_t r = c->cluster[a];
            if (r >= best)
                continue;
            double s = sims[e];
            if (r != a) {
                s = dedup__signature_similarity(slot_at(b, r), slot_at(b, i), b->measure);
                if (s < b->threshold)
                    continue;
            }
            best = r;
            best_sim = s;
        }
        c->cluster[i] = best;
        c->sim[i] = best_sim;
    }
    dedup__free(start);
    dedup__free(edge);
    return DEDUP_OK;
}

int dedup__batch_assign(const dedup_batch *b, const uint64_t *pairs, const double *sims,
                        size_t npairs, dedup_clusters **out)
{
    *out = NULL;
    if (b->count > UINT32_MAX)
        return DEDUP_E_TOOBIG;
    dedup_clusters *c = clusters_alloc(b->count);
    if (!c)
        return DEDUP_E_NOMEM;
    int rc = b->mode == DEDUP_CLUSTER_TRANSITIVE
                 ? assign_transitive(c, pairs, sims, npairs)
                 : assign_representative(b, c, pairs, sims, npairs);
    if (rc) {
        dedup_clusters_free(c);
        return rc;
    }
    for (size_t i = 0; i < c->n; i++) {
        uint32_t r = c->cluster[i];
        c->size[r]++;
        if (r == i) {
            c->count++;
            c->sim[i] = 1.0;
        }
    }
    *out = c;
    return DEDUP_OK;
}

/* ------------------------------------------------------- the whole run */

int dedup_batch_cluster(const dedup_batch *b, unsigned nthreads, dedup_clusters **out)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    if (!b)
        return DEDUP_E_INVAL;
    dedup__u64vec pairs;
    double *sims = NULL;
    int rc = dedup__batch_candidates(b, nthreads, &pairs);
    if (rc)
        return rc;
    size_t candidates = pairs.n;
    rc = dedup__batch_verify(b, nthreads, &pairs, &sims);
    if (rc == DEDUP_OK)
        rc = dedup__batch_assign(b, pairs.v, sims, pairs.n, out);
    if (rc == DEDUP_OK) {
        (*out)->candidates = candidates;
        (*out)->verified = pairs.n;
    }
    dedup__u64vec_release(&pairs);
    dedup__free(sims);
    return rc;
}

/* ------------------------------------------------------------ results */

/* Out-of-range positions give SIZE_MAX, 0.0 and 0: never a valid answer. */

size_t dedup_clusters_candidates(const dedup_clusters *c, size_t *verified)
{
    if (verified)
        *verified = c ? c->verified : 0;
    return c ? c->candidates : 0;
}

size_t dedup_clusters_doc_count(const dedup_clusters *c)
{
    return c ? c->n : 0;
}

size_t dedup_clusters_count(const dedup_clusters *c)
{
    return c ? c->count : 0;
}

size_t dedup_clusters_of(const dedup_clusters *c, size_t i)
{
    return c && i < c->n ? c->cluster[i] : SIZE_MAX;
}

double dedup_clusters_similarity(const dedup_clusters *c, size_t i)
{
    return c && i < c->n ? c->sim[i] : 0.0;
}

size_t dedup_clusters_size_of(const dedup_clusters *c, size_t i)
{
    return c && i < c->n ? c->size[c->cluster[i]] : 0;
}
