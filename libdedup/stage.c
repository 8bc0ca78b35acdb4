/*
 * stage.c - the stages of batch clustering as calls on flat records, for
 * engines that run them on many machines (see the header, section 6).
 *
 * Each call gathers the documents it is given into a local table, sorted
 * by their numbers in the corpus, so that local positions keep the
 * corpus's order. Everything batch clustering decides by position (which
 * members of a long run are paired, which document of a component comes
 * first) then comes out the same as on one machine holding the whole
 * corpus, and the pair stage's and the assignment's own code does the
 * deciding: dedup__pair_check for each proposed pair, dedup__batch_assign
 * over a batch whose records are the local table.
 *
 * A document record is the document's number (uint64_t) followed by its
 * batch record (batch.c), host byte order.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "uf.h"

void dedup_free(void *p)
{
    dedup__free(p);
}

size_t dedup_batch_record_size(const dedup_batch *b)
{
    return b ? sizeof(uint64_t) + b->rec_size : 0;
}

int dedup_batch_record(const dedup_batch *b, size_t i, uint64_t doc, void *out)
{
    if (!b || !out)
        return DEDUP_E_INVAL;
    if (i >= b->count)
        return DEDUP_E_RANGE;
    memcpy(out, &doc, sizeof doc);
    memcpy((unsigned char *)out + sizeof doc, b->recs + i * b->rec_size, b->rec_size);
    return DEDUP_OK;
}

static uint64_t record_doc(const unsigned char *r)
{
    uint64_t d;
    memcpy(&d, r, sizeof d);
    return d;
}

unsigned dedup_batch_bands(const dedup_batch *b)
{
    return b ? b->bands : 0;
}

size_t dedup_batch_band_records(const dedup_batch *b, const void *record,
                                dedup_band_record *out)
{
    if (!b || !record || !out)
        return 0;
    const unsigned char *r = record;
    uint64_t doc = record_doc(r), size;
    memcpy(&size, r + sizeof doc, sizeof size);
    if ((size & DEDUP__REC_SIZE_MASK) == 0)
        return 0;
    for (unsigned j = 0; j < b->bands; j++) {
        uint32_t key;
        memcpy(&key, r + 2 * sizeof(uint64_t) + j * sizeof key, sizeof key);
        out[j] = (dedup_band_record){.band = j, .key = key, .doc = doc};
    }
    return b->bands;
}

uint32_t dedup_band_partition(const dedup_band_record *r, uint32_t nparts)
{
    if (!r || nparts == 0)
        return 0;
    uint64_t h = dedup__mix64((uint64_t)r->band << 32 | r->key);
    return (uint32_t)(((h >> 32) * nparts) >> 32);
}

/* ---------------------------------------------------- the local table */

/* Documents sorted by number: doc[i], and (when records were given) their
 * batch records back to back at recs + i * rec_size. */
typedef struct {
    uint64_t *doc;
    unsigned char *recs;
    size_t n;
} doc_table;

static void table_release(doc_table *t)
{
    dedup__free(t->doc);
    dedup__free(t->recs);
    memset(t, 0, sizeof *t);
}

/* Record positions ordered by their documents' numbers. */
typedef struct {
    uint64_t doc;
    size_t at;
} doc_at;

/* Sort n doc_at entries by document, stably. */
static int sort_doc_at(doc_at *v, size_t n)
{
    doc_at *tmp = dedup__malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp)
        return DEDUP_E_NOMEM;
    dedup__radix_sort_records(v, tmp, n, sizeof *v, offsetof(doc_at, doc));
    dedup__free(tmp);
    return DEDUP_OK;
}

/* The table of ndocs records of rec_size + 8 bytes each, repeats of a
 * document kept once. */
static int table_of_records(doc_table *t, const unsigned char *records, size_t ndocs,
                            size_t rec_size)
{
    memset(t, 0, sizeof *t);
    size_t stride = sizeof(uint64_t) + rec_size;
    doc_at *order = dedup__malloc((ndocs ? ndocs : 1) * sizeof *order);
    t->doc = dedup__malloc((ndocs ? ndocs : 1) * sizeof *t->doc);
    t->recs = dedup__malloc((ndocs ? ndocs : 1) * rec_size);
    if (!order || !t->doc || !t->recs) {
        dedup__free(order);
        table_release(t);
        return DEDUP_E_NOMEM;
    }
    for (size_t i = 0; i < ndocs; i++)
        order[i] = (doc_at){record_doc(records + i * stride), i};
    if (sort_doc_at(order, ndocs)) {
        dedup__free(order);
        table_release(t);
        return DEDUP_E_NOMEM;
    }
    for (size_t i = 0; i < ndocs; i++) {
        if (t->n && t->doc[t->n - 1] == order[i].doc)
            continue;
        t->doc[t->n] = order[i].doc;
        memcpy(t->recs + t->n * rec_size, records + order[i].at * stride + sizeof(uint64_t),
               rec_size);
        t->n++;
    }
    dedup__free(order);
    return DEDUP_OK;
}

/* The position of document d in t, or SIZE_MAX. */
static size_t table_find(const doc_table *t, uint64_t d)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->doc[mid] < d)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->n && t->doc[lo] == d ? lo : SIZE_MAX;
}

/* A hash table from document numbers to positions in a doc_table: a
 * lookup per band record costs one probe where a binary search over the
 * table costs a cache miss per step. Slots hold doc + 1 (0: empty) and the
 * position, linear probing at a load of at most one half. */
typedef struct {
    uint64_t (*slot)[2];
    size_t mask;
} doc_index;

static int index_of_table(doc_index *ix, const doc_table *t)
{
    size_t cap = 16;
    while (cap < 2 * t->n)
        cap *= 2;
    ix->mask = cap - 1;
    if (!(ix->slot = dedup__calloc(cap, sizeof *ix->slot)))
        return DEDUP_E_NOMEM;
    for (size_t i = 0; i < t->n; i++) {
        size_t h = (size_t)dedup__mix64(t->doc[i]) & ix->mask;
        while (ix->slot[h][0])
            h = (h + 1) & ix->mask;
        ix->slot[h][0] = t->doc[i] + 1;
        ix->slot[h][1] = i;
    }
    return DEDUP_OK;
}

static size_t index_find(const doc_index *ix, uint64_t d)
{
    for (size_t h = (size_t)dedup__mix64(d) & ix->mask;; h = (h + 1) & ix->mask) {
        if (ix->slot[h][0] == d + 1)
            return (size_t)ix->slot[h][1];
        if (ix->slot[h][0] == 0)
            return SIZE_MAX;
    }
}

/* ---------------------------------------------------------- 3. pairs */

/* Band records' sort keys, grouped by band: key << 32 | local position. */
typedef struct {
    uint64_t *keys;
    size_t *start; /* band j's keys: keys[start[j] .. start[j + 1]) */
} band_keys;

static int keys_of(band_keys *bk, const dedup_batch *b, const doc_table *t,
                   const dedup_band_record *recs, size_t n)
{
    bk->keys = dedup__malloc((n ? n : 1) * sizeof *bk->keys);
    bk->start = dedup__calloc((size_t)b->bands + 1, sizeof *bk->start);
    uint64_t *tmp = dedup__malloc((n ? n : 1) * sizeof *tmp);
    if (!bk->keys || !bk->start || !tmp) {
        dedup__free(tmp);
        return DEDUP_E_NOMEM;
    }
    int rc = DEDUP_OK;
    for (size_t i = 0; i < n && rc == DEDUP_OK; i++) {
        if (recs[i].band >= b->bands)
            rc = DEDUP_E_RANGE;
        else
            bk->start[recs[i].band + 1]++;
    }
    for (unsigned j = 0; j < b->bands; j++)
        bk->start[j + 1] += bk->start[j];
    doc_index ix = {0};
    if (rc == DEDUP_OK)
        rc = index_of_table(&ix, t);
    for (size_t i = 0; i < n && rc == DEDUP_OK; i++) {
        size_t at = index_find(&ix, recs[i].doc);
        if (at == SIZE_MAX) {
            rc = DEDUP_E_NOTFOUND;
            break;
        }
        tmp[bk->start[recs[i].band]++] = (uint64_t)recs[i].key << 32 | at;
    }
    dedup__free(ix.slot);
    if (rc == DEDUP_OK) {
        for (unsigned j = b->bands; j > 0; j--)
            bk->start[j] = bk->start[j - 1];
        bk->start[0] = 0;
        memcpy(bk->keys, tmp, n * sizeof *tmp);
        for (unsigned j = 0; j < b->bands; j++)
            dedup__radix_sort(bk->keys + bk->start[j], tmp, bk->start[j + 1] - bk->start[j], 0);
    }
    dedup__free(tmp);
    return rc;
}

/*
 * The walk of the runs. A pair that agrees in several bands is proposed by
 * each; the comparison does not depend on the band, so a pair compared
 * once need not be compared again. With every partition's unsure records
 * (unsure bits per document), a pair is left to the first band that
 * surely proposes it, the pair stage's own rule. Without them, seen
 * remembers compared pairs in a table of mask + 1 slots, one pair per
 * slot (pair + 1; a later pair may take the slot): a pair found there is
 * skipped, a pair lost from it is only compared again; a pair that merely
 * collides on a band's key is not remembered, as another band may propose
 * it for real. The kept pairs are deduplicated whenever their list
 * doubles, as the pair stage does.
 */
typedef struct {
    const dedup__pair_view *v;
    const doc_table *t;
    unsigned band;
    dedup__edgevec out;
    size_t out_unique;
    dedup__edge *etmp;
    size_t etmp_cap;
    uint64_t *seen;
    size_t mask;
    uint64_t *unsure; /* words per document, or NULL: repeats unknown */
    size_t words;
} pair_walk;

static int propose(pair_walk *w, uint64_t kx, uint64_t ky)
{
    size_t x = (uint32_t)kx, y = (uint32_t)ky;
    uint64_t pair = dedup__pair((uint32_t)x, (uint32_t)y);
    uint64_t *slot = w->unsure ? NULL : &w->seen[dedup__mix64(pair) & w->mask];
    if (slot && *slot == pair + 1)
        return DEDUP_OK;
    const unsigned char *rx = w->t->recs + x * w->v->rec_size;
    const unsigned char *ry = w->t->recs + y * w->v->rec_size;
    if (w->unsure && dedup__pair_repeat(w->v, rx, ry, w->band, w->unsure + x * w->words))
        return DEDUP_OK;
    double sim;
    int r = dedup__pair_check(w->v, rx, ry, w->band, &sim);
    if (r < 0)
        return DEDUP_OK;
    if (slot)
        *slot = pair + 1;
    if (r == 0)
        return DEDUP_OK;
    dedup__edgevec *o = &w->out;
    if (o->n >= 2 * w->out_unique + 4096) {
        if (dedup__edges_sort_unique(o, &w->etmp, &w->etmp_cap))
            return DEDUP_E_NOMEM;
        w->out_unique = o->n;
    }
    if (o->n == o->cap && dedup__grow((void **)&o->v, &o->cap, o->n + 1, sizeof *o->v))
        return DEDUP_E_NOMEM;
    o->v[o->n++] = (dedup__edge){pair, sim};
    return DEDUP_OK;
}

/* The pairs a run proposes: bandsort.h's rule (tests/bandsort-ref.c). */
static int walk_run(pair_walk *w, const uint64_t *run, size_t m)
{
    int rc = DEDUP_OK;
    if (m <= DEDUP__RUN_FULL) {
        for (size_t x = 0; x < m && rc == DEDUP_OK; x++)
            for (size_t y = x + 1; y < m && rc == DEDUP_OK; y++)
                rc = propose(w, run[x], run[y]);
        return rc;
    }
    for (size_t y = 1; y < m && rc == DEDUP_OK; y++) {
        size_t lead = y < DEDUP__RUN_LEADERS ? y : DEDUP__RUN_LEADERS;
        for (size_t x = 0; x < lead && rc == DEDUP_OK; x++)
            rc = propose(w, run[x], run[y]);
        if (y - 1 >= DEDUP__RUN_LEADERS && rc == DEDUP_OK)
            rc = propose(w, run[y - 1], run[y]);
    }
    return rc;
}

static int edges_out(const pair_walk *w, dedup_edge **out, size_t *nout)
{
    dedup_edge *e = dedup__malloc((w->out.n ? w->out.n : 1) * sizeof *e);
    if (!e)
        return DEDUP_E_NOMEM;
    for (size_t i = 0; i < w->out.n; i++)
        e[i] = (dedup_edge){w->t->doc[dedup__pair_a(w->out.v[i].pair)],
                            w->t->doc[dedup__pair_b(w->out.v[i].pair)], w->out.v[i].sim};
    *out = e;
    *nout = w->out.n;
    return DEDUP_OK;
}

/* The unsure bits of the table's documents from the unsure records u. */
static int unsure_bits(pair_walk *w, const doc_table *t, unsigned bands,
                       const dedup_band_record *u, size_t nu)
{
    w->words = (bands + 63) / 64;
    w->unsure = dedup__calloc(t->n ? t->n * w->words : 1, sizeof *w->unsure);
    if (!w->unsure)
        return DEDUP_E_NOMEM;
    for (size_t i = 0; i < nu; i++) {
        size_t at = table_find(t, u[i].doc);
        if (u[i].band >= bands)
            return DEDUP_E_RANGE;
        if (at != SIZE_MAX)
            w->unsure[at * w->words + u[i].band / 64] |= (uint64_t)1 << (u[i].band % 64);
    }
    return DEDUP_OK;
}

int dedup_batch_stage_pairs(const dedup_batch *b, const dedup_band_record *recs, size_t n,
                            const void *records, size_t ndocs,
                            const dedup_band_record *unsure, size_t nunsure,
                            dedup_edge **out, size_t *nout)
{
    if (!b || !out || !nout || (n && !recs) || (ndocs && !records) || (nunsure && !unsure))
        return DEDUP_E_INVAL;
    *out = NULL;
    *nout = 0;
    if (ndocs > UINT32_MAX)
        return DEDUP_E_TOOBIG;
    doc_table t;
    int rc = table_of_records(&t, records, ndocs, b->rec_size);
    if (rc)
        return rc;
    band_keys bk = {0};
    rc = keys_of(&bk, b, &t, recs, n);
    dedup__pair_view v = dedup__batch_view(b);
    v.recs = t.recs;
    v.count = t.n;
    pair_walk w = {.v = &v, .t = &t};
    /* About a slot per four band records, 4096 to 4M slots. */
    size_t slots = 4096;
    while (slots < n / 4 && slots < ((size_t)1 << 22))
        slots *= 2;
    w.mask = slots - 1;
    if (rc == DEDUP_OK && unsure)
        rc = unsure_bits(&w, &t, b->bands, unsure, nunsure);
    else if (rc == DEDUP_OK && !(w.seen = dedup__calloc(slots, sizeof *w.seen)))
        rc = DEDUP_E_NOMEM;
    for (unsigned j = 0; j < b->bands && rc == DEDUP_OK; j++) {
        const uint64_t *c = bk.keys + bk.start[j];
        size_t m = bk.start[j + 1] - bk.start[j];
        w.band = j;
        for (size_t i = 0, e; i < m && rc == DEDUP_OK; i = e) {
            for (e = i + 1; e < m && c[e] >> 32 == c[i] >> 32; e++)
                ;
            rc = walk_run(&w, c + i, e - i);
        }
    }
    if (rc == DEDUP_OK)
        rc = dedup__edges_sort_unique(&w.out, &w.etmp, &w.etmp_cap);
    if (rc == DEDUP_OK)
        rc = edges_out(&w, out, nout);
    dedup__free(w.etmp);
    dedup__free(w.seen);
    dedup__free(w.unsure);
    dedup__edgevec_release(&w.out);
    dedup__free(bk.keys);
    dedup__free(bk.start);
    table_release(&t);
    return rc;
}

/* Band records grouped by band and value, each group's documents in
 * order: sorted by document, then stably by the bytes of band and value
 * read as one 64-bit number (whose order does not matter, only that equal
 * pairs come together). */
static int sort_band_records(dedup_band_record *v, size_t n)
{
    dedup_band_record *tmp = dedup__malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp)
        return DEDUP_E_NOMEM;
    dedup__radix_sort_records(v, tmp, n, sizeof *v, offsetof(dedup_band_record, doc));
    dedup__radix_sort_records(v, tmp, n, sizeof *v, offsetof(dedup_band_record, band));
    dedup__free(tmp);
    return DEDUP_OK;
}

int dedup_batch_stage_unsure(const dedup_batch *b, const dedup_band_record *recs, size_t n,
                             dedup_band_record **out, size_t *nout)
{
    if (!b || !out || !nout || (n && !recs))
        return DEDUP_E_INVAL;
    *out = NULL;
    *nout = 0;
    dedup_band_record *r = dedup__malloc((n ? n : 1) * sizeof *r);
    if (!r)
        return DEDUP_E_NOMEM;
    memcpy(r, recs, n * sizeof *r);
    /* Records in the order sort_band_records gives (as an engine that
     * sorted them so hands them over) need no sort. */
    int sorted = 1;
    for (size_t i = 1; i < n && sorted; i++) {
        uint64_t a, c;
        memcpy(&a, &r[i - 1].band, 8);
        memcpy(&c, &r[i].band, 8);
        sorted = a < c || (a == c && r[i - 1].doc < r[i].doc);
    }
    int rc = sorted ? DEDUP_OK : sort_band_records(r, n);
    size_t w = 0;
    for (size_t i = 0, e; rc == DEDUP_OK && i < n; i = e) {
        if (r[i].band >= b->bands)
            rc = DEDUP_E_RANGE;
        for (e = i + 1; e < n && r[e].band == r[i].band && r[e].key == r[i].key; e++)
            ;
        /* dedup__band_scan's rule: in a run too long to pair in full, the
         * members after the leaders. */
        if (e - i > DEDUP__RUN_FULL)
            for (size_t x = i + DEDUP__RUN_LEADERS; x < e; x++)
                r[w++] = r[x];
    }
    if (rc) {
        dedup__free(r);
        return rc;
    }
    *out = r;
    *nout = w;
    return DEDUP_OK;
}

/* ----------------------------------------------------- 4. components */

/* The distinct documents of n pairs (x[2i], x[2i + 1]), sorted. */
static int docs_of_pairs(const uint64_t *x, size_t n, doc_table *t)
{
    memset(t, 0, sizeof *t);
    if (n > SIZE_MAX / 2 / sizeof *t->doc)
        return DEDUP_E_TOOBIG;
    t->doc = dedup__malloc((n ? 2 * n : 1) * sizeof *t->doc);
    if (!t->doc)
        return DEDUP_E_NOMEM;
    memcpy(t->doc, x, 2 * n * sizeof *t->doc);
    uint64_t *tmp = dedup__malloc(2 * n * sizeof *tmp);
    if (!tmp) {
        table_release(t);
        return DEDUP_E_NOMEM;
    }
    dedup__radix_sort(t->doc, tmp, 2 * n, 0);
    dedup__free(tmp);
    for (size_t i = 0; i < 2 * n; i++)
        if (!t->n || t->doc[t->n - 1] != t->doc[i])
            t->doc[t->n++] = t->doc[i];
    if (t->n > UINT32_MAX) {
        table_release(t);
        return DEDUP_E_TOOBIG;
    }
    return DEDUP_OK;
}

size_t dedup_links_find(const dedup_link *links, size_t n, uint64_t doc)
{
    if (!links)
        return n;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (links[mid].doc < doc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int dedup_components(const dedup_link *links, size_t n, dedup_link **out, size_t *nout)
{
    if (!out || !nout || (n && !links))
        return DEDUP_E_INVAL;
    *out = NULL;
    *nout = 0;
    if (n == 0)
        return DEDUP_OK;
    doc_table t;
    int rc = docs_of_pairs(&links->doc, n, &t);
    if (rc)
        return rc;
    dedup__uf uf;
    rc = dedup__uf_init(&uf, t.n);
    if (rc) {
        table_release(&t);
        return rc;
    }
    for (size_t i = 0; i < n; i++)
        dedup__uf_union(&uf, (uint32_t)table_find(&t, links[i].doc),
                        (uint32_t)table_find(&t, links[i].root));
    dedup_link *o = dedup__malloc((t.n ? t.n : 1) * sizeof *o);
    if (!o)
        rc = DEDUP_E_NOMEM;
    for (size_t i = 0; o && i < t.n; i++)
        o[i] = (dedup_link){t.doc[i], t.doc[dedup__uf_find(&uf, (uint32_t)i)]};
    dedup__uf_release(&uf);
    if (o) {
        *out = o;
        *nout = t.n;
    }
    table_release(&t);
    return rc;
}

/* ----------------------------------------------------- 5. assignment */

/* The local pairs of edges into *pairs, sorted, one per pair. */
static int local_edges(const doc_table *t, const dedup_edge *edges, size_t n,
                       dedup__edgevec *pairs)
{
    memset(pairs, 0, sizeof *pairs);
    pairs->v = dedup__malloc((n ? n : 1) * sizeof *pairs->v);
    if (!pairs->v)
        return DEDUP_E_NOMEM;
    pairs->cap = n;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = (uint32_t)table_find(t, edges[i].a);
        uint32_t b = (uint32_t)table_find(t, edges[i].b);
        if (a > b) {
            uint32_t s = a;
            a = b;
            b = s;
        }
        if (a != b)
            pairs->v[pairs->n++] = (dedup__edge){dedup__pair(a, b), edges[i].sim};
    }
    dedup__edge *tmp = NULL;
    size_t tmp_cap = 0;
    int rc = dedup__edges_sort_unique(pairs, &tmp, &tmp_cap);
    dedup__free(tmp);
    return rc;
}

/* The table of the documents of edges, with their records from the given
 * ones when the mode compares documents. */
static int assign_table(const dedup_batch *b, const void *records, size_t ndocs,
                        const dedup_edge *edges, size_t nedges, doc_table *t)
{
    int rc;
    memset(t, 0, sizeof *t);
    if (nedges > SIZE_MAX / 4 / sizeof(uint64_t))
        return DEDUP_E_TOOBIG;
    uint64_t *ends = dedup__malloc(2 * nedges * sizeof *ends);
    if (!ends)
        return DEDUP_E_NOMEM;
    for (size_t i = 0; i < nedges; i++) {
        ends[2 * i] = edges[i].a;
        ends[2 * i + 1] = edges[i].b;
    }
    rc = docs_of_pairs(ends, nedges, t);
    dedup__free(ends);
    if (rc || b->mode != DEDUP_CLUSTER_REPRESENTATIVE)
        return rc;
    doc_table all;
    rc = table_of_records(&all, records, ndocs, b->rec_size);
    if (rc == DEDUP_OK)
        t->recs = dedup__malloc((t->n ? t->n : 1) * b->rec_size);
    if (rc == DEDUP_OK && !t->recs)
        rc = DEDUP_E_NOMEM;
    for (size_t i = 0; rc == DEDUP_OK && i < t->n; i++) {
        size_t at = table_find(&all, t->doc[i]);
        if (at == SIZE_MAX)
            rc = DEDUP_E_NOTFOUND;
        else
            memcpy(t->recs + i * b->rec_size, all.recs + at * b->rec_size, b->rec_size);
    }
    table_release(&all);
    return rc;
}

int dedup_batch_stage_assign(const dedup_batch *b, const void *records, size_t ndocs,
                             const dedup_edge *edges, size_t nedges, dedup_assignment **out,
                             size_t *nout)
{
    if (!b || !out || !nout || (nedges && !edges) || (ndocs && !records))
        return DEDUP_E_INVAL;
    *out = NULL;
    *nout = 0;
    if (nedges == 0)
        return DEDUP_OK;
    doc_table t;
    int rc = assign_table(b, records, ndocs, edges, nedges, &t);
    dedup__edgevec pairs = {0};
    if (rc == DEDUP_OK)
        rc = local_edges(&t, edges, nedges, &pairs);
    /* The batch's own assignment, over a batch whose records are the
     * table's: the same code decides as on one machine. */
    dedup_batch local = *b;
    local.recs = t.recs;
    local.count = local.cap = t.n;
    dedup_clusters *c = NULL;
    if (rc == DEDUP_OK)
        rc = dedup__batch_assign(&local, pairs.v, pairs.n, &c);
    dedup_assignment *o = NULL;
    if (rc == DEDUP_OK && !(o = dedup__malloc(t.n * sizeof *o)))
        rc = DEDUP_E_NOMEM;
    for (size_t i = 0; rc == DEDUP_OK && i < t.n; i++)
        o[i] = (dedup_assignment){t.doc[i], t.doc[c->cluster[i]], c->sim[i]};
    if (rc == DEDUP_OK) {
        *out = o;
        *nout = t.n;
    }
    dedup_clusters_free(c);
    dedup__edgevec_release(&pairs);
    table_release(&t);
    return rc;
}
