#include <math.h>
/*
 * batch.c - batch clustering of a whole corpus: the dedup_batch container
 * and its document records, the assignment stage and the dedup_clusters
 * result.
 *
 * Storage. Each document is one fixed-size record, all records back to
 * back:
 *
 *     uint64_t set_size            0 for an empty document; bit 63 set
 *                                  when the shingles are of characters
 *     uint32_t key[bands]          band keys: top 32 bits of each band hash,
 *                                  lead bands last
 *     value[k + nlead]             value_bits bits per MinHash value, then
 *                                  per lead value
 *
 * padded to a multiple of 8 bytes. Band keys are computed once, when the
 * document is stored (by the caller's threads, in dedup_batch_set), so
 * clustering never rehashes; the values themselves are only needed to
 * compare documents, and b = 8 bits of each are enough for that (below).
 * With the default 49 bands, 8 lead bands (whose 16 lead values follow the
 * k values, see lsh.h) and k = 128 a record takes 384 bytes, against 608
 * for a whole signature.
 *
 * b-bit values. A stored value is the top b bits of v * C for a fixed odd
 * 64-bit C (multiply-shift hashing): every bit of the MinHash value v
 * counts, which matters because the minima of large sets are small
 * numbers whose high bits are zero. Two different values then look equal
 * with probability 2^-b, so the share P of equal stored values estimates
 * J + (1 - J) 2^-b rather than the Jaccard similarity J, and
 *     J = (P - 2^-b) / (1 - 2^-b)
 * removes that bias (clamped at 0). The cost is variance: P(1 - P) /
 * (k (1 - 2^-b)^2) instead of J(1 - J) / k. With b = 8 and k = 128 the
 * estimate's standard deviation grows by 0.4% at J = 0.5 (0.0444 instead
 * of 0.0442), 1% at J = 0.2 and 2% at J = 0.1; the estimate of one pair
 * differs from the full-value estimate by the chance collisions among its
 * k (1 - J) unequal values, a standard deviation of 0.004 at J = 0.5 and
 * 0.005 at J = 0.2, a tenth of the estimate's own. So only pairs within a
 * hundredth or so of the threshold, which the full values decide by chance
 * anyway, can change side. bench-cluster measures the differences. b = 16
 * (deviation 0.0003) and b = 32 (the values themselves, and the exact
 * estimates of dedup_signature_jaccard) are kept for tests and
 * measurements: see dedup__batch_create_bits.
 *
 * Stages. The pair stage (bandsort.c) walks the sorted runs of every
 * band and verifies the pairs they propose on the spot; the assignment
 * stage here turns the verified pairs into clusters.
 *
 * Modes. Transitive: the connected components of the verified pairs. The
 * similarity reported for a document other than the first of its cluster
 * is the best similarity among its verified pairs. Representative: in
 * input order, a document joins the first earlier representative with
 * which it forms a verified pair, and its similarity is that pair's; a
 * document with no such pair is a representative. Bridges (A~B, B~C, A!~C)
 * thus stop at B instead of chaining A and C together.
 *
 * Empty documents (set_size 0) get no sort keys, so they never become
 * candidates and each stays alone.
 */
#include <stddef.h>

#include "batch.h"
#include "lsh.h"

/* The multiplier of the b-bit fold (2^64 / golden ratio, odd). */
#define FOLD_MUL 0x9e3779b97f4a7c15ULL

/* ---------------------------------------------------------------- batch */

int dedup__batch_create_bits(dedup_batch **out, const dedup_params *p, unsigned value_bits)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    if (value_bits != 8 && value_bits != 16 && value_bits != 32)
        return DEDUP_E_RANGE;
    dedup_params defaults;
    unsigned bands, rows;
    int rc = dedup__params_prepare(&p, &defaults, &bands, &rows);
    if (rc)
        return rc;
    uint32_t k = (uint32_t)p->ival[DEDUP_P_NUM_HASHES];
    dedup_batch *b = dedup__calloc(1, sizeof *b);
    if (!b)
        return DEDUP_E_NOMEM;
    b->params = *p;
    b->fingerprint = dedup__params_fingerprint(p);
    b->seed = (uint64_t)p->ival[DEDUP_P_SEED];
    b->k = k;
    b->nlead = dedup__params_nlead(p);
    b->main_bands = bands;
    b->bands = bands + b->nlead / DEDUP__LEAD_ROWS;
    b->rows = rows;
    b->measure = (dedup_measure)p->ival[DEDUP_P_MEASURE];
    b->mode = (dedup_cluster_mode)p->ival[DEDUP_P_CLUSTER_MODE];
    b->threshold = p->threshold;
    b->min_shared = (double)p->ival[DEDUP_P_MIN_SHARED];
    b->value_bits = value_bits;
    b->value_bytes = value_bits / 8;
    b->jtab = dedup__malloc(((size_t)k + 1) * sizeof *b->jtab);
    if (!b->jtab) {
        dedup__free(b);
        return DEDUP_E_NOMEM;
    }
    /* Random equalities of b-bit values: see the file comment. */
    double e = value_bits < 32 ? 1.0 / (double)(1u << value_bits) : 0.0;
    b->m_min = k + 1;
    for (uint32_t m = k + 1; m-- > 0;) {
        double j = (double)m / k;
        if (e > 0.0)
            j = j > e ? (j - e) / (1.0 - e) : 0.0;
        b->jtab[m] = j;
        if (j >= b->threshold)
            b->m_min = m;
    }
    b->val_off = sizeof(uint64_t) + (size_t)b->bands * sizeof(uint32_t);
    size_t bytes = b->val_off + ((size_t)k + b->nlead) * b->value_bytes;
    b->rec_size = (bytes + 7) / 8 * 8;
    *out = b;
    return DEDUP_OK;
}

int dedup_batch_create(dedup_batch **out, const dedup_params *p)
{
    return dedup__batch_create_bits(out, p, DEDUP__BATCH_VALUE_BITS);
}

void dedup_batch_free(dedup_batch *b)
{
    if (!b)
        return;
    dedup__free(b->recs);
    dedup__free(b->jtab);
    dedup__free(b);
}

static inline unsigned char *rec_at(const dedup_batch *b, size_t i)
{
    return b->recs + i * b->rec_size;
}

static inline uint32_t *rec_keys_w(unsigned char *r)
{
    return (uint32_t *)(void *)(r + sizeof(uint64_t));
}

/* Make record r the empty document. */
static void rec_clear(const dedup_batch *b, unsigned char *r)
{
    memset(r, 0, b->rec_size);
}

/* Fill record r from sig (same parameters): band keys from the full
 * values, then the values folded to value_bits bits. */
static void rec_fill(const dedup_batch *b, unsigned char *r, const dedup_signature *sig)
{
    if (sig->set_size == 0) {
        rec_clear(b, r);
        return;
    }
    uint64_t n = DEDUP_MIN(sig->set_size, DEDUP__REC_SIZE_MASK) |
                 (uint64_t)(sig->chars != 0) << 63;
    memcpy(r, &n, sizeof n);
    uint32_t *key = rec_keys_w(r);
    for (unsigned j = 0; j < b->bands; j++) {
        /* The hash has 63 bits; keep its top 32. */
        key[j] = (uint32_t)(dedup__band_hash_at(sig->values, j, b->main_bands, b->rows, b->k,
                                                b->seed) >>
                            31);
    }
    unsigned char *v = r + b->val_off;
    const uint32_t *x = sig->values;
    uint32_t nv = b->k + b->nlead;
    switch (b->value_bits) {
    case 8:
        for (uint32_t i = 0; i < nv; i++)
            v[i] = (unsigned char)((x[i] * FOLD_MUL) >> 56);
        break;
    case 16:
        for (uint32_t i = 0; i < nv; i++) {
            uint16_t h = (uint16_t)((x[i] * FOLD_MUL) >> 48);
            memcpy(v + 2 * (size_t)i, &h, 2);
        }
        break;
    default:
        memcpy(v, x, (size_t)nv * 4);
        break;
    }
    size_t used = b->val_off + (size_t)nv * b->value_bytes;
    memset(r + used, 0, b->rec_size - used);
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
        if (n > SIZE_MAX / b->rec_size)
            return DEDUP_E_TOOBIG;
        unsigned char *s = dedup__realloc(b->recs, n * b->rec_size);
        if (!s)
            return DEDUP_E_NOMEM;
        b->recs = s;
        b->cap = n;
    }
    for (size_t i = b->count; i < n; i++)
        rec_clear(b, rec_at(b, i));
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
    rec_fill(b, rec_at(b, i), sig);
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
    if (dedup__grow((void **)&b->recs, &b->cap, b->count + 1, b->rec_size))
        return DEDUP_E_NOMEM;
    size_t i = b->count++;
    rec_fill(b, rec_at(b, i), sig);
    if (index)
        *index = i;
    return DEDUP_OK;
}

size_t dedup_batch_count(const dedup_batch *b)
{
    return b ? b->count : 0;
}

dedup__rectab dedup__batch_table(const dedup_batch *b)
{
    dedup__rectab t = {b->recs, b->rec_size, b->count};
    return t;
}

dedup__pair_view dedup__batch_view(const dedup_batch *b)
{
    dedup__pair_view v = {
        .recs = b->recs,
        .rec_size = b->rec_size,
        .val_off = b->val_off,
        .count = b->count,
        .k = b->k,
        .bands = b->bands,
        .main_bands = b->main_bands,
        .rows = b->rows,
        .value_bytes = b->value_bytes,
        .measure = b->measure,
        .threshold = b->threshold,
        .min_shared = b->min_shared,
        .jtab = b->jtab,
        .m_min = b->m_min,
        .c_noise = ldexp(1.0, -(int)b->value_bits),
    };
    return v;
}

int dedup__batch_pairs(const dedup_batch *b, unsigned nthreads, dedup__edgevec *out,
                       dedup__pair_stats *st)
{
    dedup__pair_view v = dedup__batch_view(b);
    return dedup__pair_stage(&v, nthreads, out, st);
}

/* ---------------------------------------------------------- comparisons */

/* Similarity of two records under b's measure (0 if either is empty). */
static double rec_similarity(const dedup_batch *b, const unsigned char *x,
                             const unsigned char *y)
{
    uint64_t na = dedup__rec_set_size(x), nb = dedup__rec_set_size(y);
    if (na == 0 || nb == 0)
        return 0.0;
    double j = b->jtab[dedup__equal_lanes(x + b->val_off, y + b->val_off,
                                          (size_t)b->k * b->value_bytes, b->value_bytes, 0)];
    return dedup__measure_similarity_k(b->measure, j, na, nb, dedup__rec_chars(x),
                                       dedup__rec_chars(y), b->min_shared, b->k,
                                       ldexp(1.0, -(int)b->value_bits));
}

double dedup__batch_similarity(const dedup_batch *b, size_t i, size_t j)
{
    return rec_similarity(b, rec_at(b, i), rec_at(b, j));
}

int dedup__batch_band_agree(const dedup_batch *b, size_t i, size_t j, unsigned band)
{
    const unsigned char *x = rec_at(b, i), *y = rec_at(b, j);
    size_t w = dedup__band_rows(band, b->main_bands, b->rows) * b->value_bytes,
           at = b->val_off + dedup__band_first(band, b->main_bands, b->rows, b->k) * b->value_bytes;
    return dedup__rec_keys(x)[band] == dedup__rec_keys(y)[band] &&
           memcmp(x + at, y + at, w) == 0;
}

/* ------------------------------------------------- stage 2: assignment */

void dedup_clusters_free(dedup_clusters *c)
{
    if (!c)
        return;
    dedup__free(c->cluster);
    dedup__free(c->size);
    dedup__free(c->first);
    dedup__free(c->members);
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
    c->first = dedup__malloc((n ? n : 1) * sizeof *c->first);
    c->members = dedup__malloc((n ? n : 1) * sizeof *c->members);
    if (!c->cluster || !c->size || !c->sim || !c->first || !c->members) {
        dedup_clusters_free(c);
        return NULL;
    }
    return c;
}

/* Transitive mode: components of the pair graph. */
static int assign_transitive(dedup_clusters *c, const dedup__edge *e, size_t np)
{
    dedup__uf uf;
    int rc = dedup__uf_init(&uf, c->n);
    if (rc)
        return rc;
    for (size_t i = 0; i < np; i++)
        dedup__uf_union(&uf, dedup__pair_a(e[i].pair), dedup__pair_b(e[i].pair));
    dedup__uf_flatten(&uf);
    memcpy(c->cluster, uf.parent, c->n * sizeof *c->cluster);
    dedup__uf_release(&uf);
    for (size_t i = 0; i < c->n; i++)
        c->sim[i] = 0.0;
    for (size_t i = 0; i < np; i++) {
        uint32_t a = dedup__pair_a(e[i].pair), b = dedup__pair_b(e[i].pair);
        if (e[i].sim > c->sim[a])
            c->sim[a] = e[i].sim;
        if (e[i].sim > c->sim[b])
            c->sim[b] = e[i].sim;
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
 * record comparison. */
static int assign_representative(const dedup_batch *b, dedup_clusters *c,
                                 const dedup__edge *ed, size_t np)
{
    size_t n = c->n;
    size_t *start = dedup__calloc(n + 1, sizeof *start);
    size_t *edge = dedup__malloc((np ? np : 1) * sizeof *edge);
    if (!start || !edge) {
        dedup__free(start);
        dedup__free(edge);
        return DEDUP_E_NOMEM;
    }
    for (size_t e = 0; e < np; e++)
        start[dedup__pair_b(ed[e].pair) + 1]++;
    for (size_t i = 0; i < n; i++)
        start[i + 1] += start[i];
    /* start[b] is used as the fill position, then restored. */
    for (size_t e = 0; e < np; e++)
        edge[start[dedup__pair_b(ed[e].pair)]++] = e;
    for (size_t i = n; i > 0; i--)
        start[i] = start[i - 1];
    start[0] = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t best = (uint32_t)i;
        double best_sim = 1.0;
        for (size_t x = start[i]; x < start[i + 1]; x++) {
            size_t e = edge[x];
            uint32_t a = dedup__pair_a(ed[e].pair);
            uint32_t r = c->cluster[a];
            if (r >= best)
                continue;
            double s = ed[e].sim;
            if (r != a) {
                s = rec_similarity(b, rec_at(b, r), rec_at(b, i));
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

int dedup__batch_assign(const dedup_batch *b, const dedup__edge *edges, size_t npairs,
                        dedup_clusters **out)
{
    *out = NULL;
    if (b->count > UINT32_MAX)
        return DEDUP_E_TOOBIG;
    dedup_clusters *c = clusters_alloc(b->count);
    if (!c)
        return DEDUP_E_NOMEM;
    int rc = b->mode == DEDUP_CLUSTER_TRANSITIVE
                 ? assign_transitive(c, edges, npairs)
                 : assign_representative(b, c, edges, npairs);
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
    /* Member lists: each cluster's documents, back to back in the order
     * of their first documents, each list in input order. first[r] counts
     * up while the lists fill, then is moved back to each list's start. */
    uint32_t at = 0;
    for (size_t r = 0; r < c->n; r++)
        if (c->cluster[r] == r) {
            c->first[r] = at;
            at += c->size[r];
        }
    for (size_t i = 0; i < c->n; i++)
        c->members[c->first[c->cluster[i]]++] = (uint32_t)i;
    for (size_t r = 0; r < c->n; r++)
        if (c->cluster[r] == r)
            c->first[r] -= c->size[r];
    *out = c;
    return DEDUP_OK;
}

/* ------------------------------------------------------- the whole run */

int dedup_batch_cluster(dedup_clusters **out, const dedup_batch *b, unsigned nthreads)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    if (!b)
        return DEDUP_E_INVAL;
    dedup__edgevec edges;
    dedup__pair_stats st;
    int rc = dedup__batch_pairs(b, nthreads, &edges, &st);
    if (rc)
        return rc;
    rc = dedup__batch_assign(b, edges.v, edges.n, out);
    if (rc == DEDUP_OK) {
        (*out)->candidates = (size_t)st.compared;
        (*out)->verified = edges.n;
    }
    dedup__edgevec_release(&edges);
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

int dedup_clusters_members(const dedup_clusters *c, size_t i, size_t *out, size_t cap,
                           size_t *n)
{
    if (!c || !n || i >= c->n || (!out && cap))
        return DEDUP_E_INVAL;
    uint32_t r = c->cluster[i];
    const uint32_t *m = c->members + c->first[r];
    *n = c->size[r];
    for (size_t j = 0; j < *n && j < cap; j++)
        out[j] = m[j];
    return DEDUP_OK;
}
