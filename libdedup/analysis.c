/*
 * analysis.c - what the comparison made of a text, to explain a result:
 * the text it compared (without the lines and quotations it left out),
 * the normalized text and its tokens, the shingle set; and, for a pair,
 * the shingles both hold and the passages of one covered by shingles the
 * other holds.
 *
 * A passage is a maximal run of tokens of a document each covered by an
 * n-gram of tokens (n its shingle size) that the other document also
 * contains; it is shown in normalized form (case folded, NFKC). N-grams
 * are matched by a hash of their token hashes: any fixed combination will
 * do, as it is only compared with the other document's.
 */
#include <stdlib.h>

#include "common.h"
#include "hasher.h"

struct dedup_analysis {
    char *text; /* a copy of the text */
    size_t text_len;
    char *compared; /* what the comparison kept of it */
    size_t compared_len;
    char *norm; /* the normalized compared text */
    size_t norm_len;
    dedup_token *tok;
    size_t ntok;
    unsigned n; /* shingle size */
    int quotes; /* the hasher's DEDUP_P_QUOTES */
    uint64_t *sh; /* the shingle set, sorted */
    size_t nsh;
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static char *dup_bytes(const char *p, size_t n)
{
    char *c = dedup__malloc(n + 1);
    if (c) {
        if (n)
            memcpy(c, p, n);
        c[n] = 0;
    }
    return c;
}

void dedup_analysis_free(dedup_analysis *a)
{
    if (!a)
        return;
    dedup__free(a->text);
    dedup__free(a->compared);
    dedup__free(a->norm);
    dedup__free(a->tok);
    dedup__free(a->sh);
    dedup__free(a);
}

int dedup_analyse(dedup_analysis **out, dedup_hasher *h, const char *text, size_t len)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    if (!h || (!text && len))
        return DEDUP_E_INVAL;
    dedup_analysis *a = dedup__calloc(1, sizeof *a);
    if (!a)
        return DEDUP_E_NOMEM;
    const char *norm, *kept;
    size_t norm_len, ntok, kept_len, nsh;
    const dedup_token *tok;
    const uint64_t *sh;
    int rc = DEDUP_OK;
    if (!(a->text = dup_bytes(text ? text : "", len)))
        rc = DEDUP_E_NOMEM;
    a->text_len = len;
    a->quotes = h->quotes;
    if (!rc)
        rc = dedup_hasher_tokenize(h, a->text, len, &norm, &norm_len, &tok, &ntok);
    if (!rc) {
        dedup_hasher_compared(h, &kept, &kept_len, &a->n);
        a->compared = dup_bytes(kept, kept_len);
        a->compared_len = kept_len;
        a->norm = dup_bytes(norm, norm_len);
        a->norm_len = norm_len;
        a->tok = dedup__malloc((ntok ? ntok : 1) * sizeof *a->tok);
        if (!a->compared || !a->norm || !a->tok)
            rc = DEDUP_E_NOMEM;
    }
    if (!rc) {
        memcpy(a->tok, tok, ntok * sizeof *tok);
        a->ntok = ntok;
        rc = dedup_hasher_shingles(h, a->text, len, &sh, &nsh);
    }
    if (!rc && !(a->sh = dedup__malloc((nsh ? nsh : 1) * sizeof *sh)))
        rc = DEDUP_E_NOMEM;
    if (rc) {
        dedup_analysis_free(a);
        return rc;
    }
    memcpy(a->sh, sh, nsh * sizeof *sh);
    a->nsh = nsh;
    qsort(a->sh, nsh, sizeof *sh, cmp_u64);
    *out = a;
    return DEDUP_OK;
}

size_t dedup_analysis_tokens(const dedup_analysis *a)
{
    return a ? a->ntok : 0;
}

size_t dedup_analysis_shingles(const dedup_analysis *a)
{
    return a ? a->nsh : 0;
}

const char *dedup_analysis_normalized(const dedup_analysis *a, size_t *len)
{
    if (len)
        *len = a ? a->norm_len : 0;
    return a ? a->norm : NULL;
}

size_t dedup_analysis_shared_shingles(const dedup_analysis *a, const dedup_analysis *b)
{
    if (!a || !b)
        return 0;
    size_t i = 0, j = 0, n = 0;
    while (i < a->nsh && j < b->nsh) {
        if (a->sh[i] < b->sh[j]) {
            i++;
        } else if (a->sh[i] > b->sh[j]) {
            j++;
        } else {
            n++;
            i++;
            j++;
        }
    }
    return n;
}

/* ============================================================ passages */

static uint64_t gram(const dedup_token *t, unsigned n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (unsigned i = 0; i < n; i++) {
        h ^= t[i].hash + 0x632be59bd9b4e019ULL + (h << 6) + (h >> 2);
        h *= 0xff51afd7ed558ccdULL;
    }
    return h;
}

/* Mark (shared[i] = 1) the tokens of a covered by an n-gram (a's shingle
 * size) that b also holds. DEDUP_OK or DEDUP_E_NOMEM. */
static int mark_shared(const dedup_analysis *a, const dedup_analysis *b, unsigned char *shared)
{
    unsigned n = a->n;
    if (a->ntok < n || b->ntok < n || n == 0)
        return DEDUP_OK;
    size_t m = b->ntok - n + 1, cap = 16;
    while (cap < 2 * m)
        cap <<= 1;
    uint64_t *tab = dedup__calloc(cap, sizeof *tab); /* 0 = empty */
    if (!tab)
        return DEDUP_E_NOMEM;
    for (size_t j = 0; j < m; j++) {
        uint64_t g = gram(b->tok + j, n) | 1;
        size_t k = (size_t)(g >> 7) & (cap - 1);
        while (tab[k] && tab[k] != g)
            k = (k + 1) & (cap - 1);
        tab[k] = g;
    }
    for (size_t i = 0; i + n <= a->ntok; i++) {
        uint64_t g = gram(a->tok + i, n) | 1;
        size_t k = (size_t)(g >> 7) & (cap - 1);
        while (tab[k] && tab[k] != g)
            k = (k + 1) & (cap - 1);
        if (tab[k] == g)
            memset(shared + i, 1, n);
    }
    dedup__free(tab);
    return DEDUP_OK;
}

static int by_length(const void *x, const void *y)
{
    const dedup_passage *a = x, *b = y;
    if (a->tokens != b->tokens)
        return a->tokens > b->tokens ? -1 : 1;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

int dedup_analysis_passages(const dedup_analysis *a, const dedup_analysis *b, dedup_passage *out,
                            size_t cap, size_t *n, size_t *shared_tokens)
{
    if (!n || !a || !b || (!out && cap))
        return DEDUP_E_INVAL;
    *n = 0;
    if (shared_tokens)
        *shared_tokens = 0;
    unsigned char *shared = dedup__calloc(a->ntok ? a->ntok : 1, 1);
    dedup_passage *p = dedup__malloc((a->ntok / 2 + 1) * sizeof *p);
    int rc = shared && p ? mark_shared(a, b, shared) : DEDUP_E_NOMEM;
    size_t np = 0, covered = 0;
    for (size_t i = 0; !rc && i < a->ntok;) {
        if (!shared[i]) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < a->ntok && shared[j])
            j++;
        const dedup_token *first = &a->tok[i], *last = &a->tok[j - 1];
        p[np].offset = first->offset;
        p[np].length = last->offset + last->length - first->offset;
        p[np].tokens = j - i;
        covered += j - i;
        np++;
        i = j;
    }
    if (!rc) {
        qsort(p, np, sizeof *p, by_length);
        if (np && cap)
            memcpy(out, p, DEDUP_MIN(np, cap) * sizeof *p);
        *n = np;
        if (shared_tokens)
            *shared_tokens = covered;
    }
    dedup__free(shared);
    dedup__free(p);
    return rc;
}

/* ============================================================ left out */

typedef struct {
    dedup_left *out;
    size_t cap, n;
} left_list;

static void add_left(left_list *l, int kind, size_t offset, size_t length)
{
    if (l->n < l->cap)
        l->out[l->n] = (dedup_left){kind, offset, length};
    l->n++;
}

/* Whether kept line k (kl bytes) is line t (tl bytes, at offset at of the
 * text) with its quotations made single spaces, as the hasher strips them;
 * if so, list each quotation in l (nothing is listed otherwise). */
static int quotes_of(int rule, const char *t, size_t tl, size_t at, const char *k, size_t kl,
                     left_list *l)
{
    dedup_span few[64], *sp = few;
    size_t nq = 0;
    if (dedup__find_quotations(t, tl, rule, few, 64, &nq) || nq == 0)
        return 0;
    if (nq > 64) { /* a line of many quotations: all of them */
        if (!(sp = dedup__malloc(nq * sizeof *sp)))
            return 0;
        dedup__find_quotations(t, tl, rule, sp, nq, &nq);
    }
    /* Compare k with t, quotations skipped. */
    size_t i = 0, j = 0;
    int same = 1;
    for (size_t q = 0; q <= nq && same; q++) {
        size_t stop = q < nq ? sp[q].offset : tl;
        size_t run = stop - i;
        if (kl - j < run || memcmp(t + i, k + j, run)) {
            same = 0;
            break;
        }
        j += run;
        if (q == nq)
            break;
        if (j >= kl || k[j] != ' ') {
            same = 0;
            break;
        }
        j++;
        i = sp[q].offset + sp[q].length;
    }
    same = same && j == kl;
    for (size_t q = 0; same && q < nq; q++)
        add_left(l, DEDUP_LEFT_QUOTATION, at + sp[q].offset, sp[q].length);
    if (sp != few)
        dedup__free(sp);
    return same;
}

int dedup_analysis_left_out(const dedup_analysis *a, dedup_left *out, size_t cap, size_t *n)
{
    if (!n || !a || (!out && cap))
        return DEDUP_E_INVAL;
    left_list l = {out, cap, 0};
    const char *t0 = a->text, *t = t0, *tend = t0 + a->text_len;
    const char *k = a->compared, *kend = a->compared + a->compared_len;
    if (a->compared_len == a->text_len && memcmp(t, k, a->text_len) == 0) {
        *n = 0;
        return DEDUP_OK;
    }
    /* Lines of the text that are not in the compared text, and the parts
     * of kept lines that became a space (quotations). */
    while (t < tend) {
        const char *tnl = memchr(t, '\n', (size_t)(tend - t));
        const char *te = tnl ? tnl : tend;
        const char *knl = k < kend ? memchr(k, '\n', (size_t)(kend - k)) : NULL;
        const char *ke = k < kend ? (knl ? knl : kend) : k;
        size_t tl = (size_t)(te - t), kl = (size_t)(ke - k);
        if (k < kend && tl == kl && memcmp(t, k, tl) == 0) {
            k = knl ? knl + 1 : kend; /* kept whole */
        } else if (k < kend && quotes_of(a->quotes, t, tl, (size_t)(t - t0), k, kl, &l)) {
            k = knl ? knl + 1 : kend;
        } else if (tl > 0) {
            add_left(&l, DEDUP_LEFT_LINE, (size_t)(t - t0), tl);
        }
        t = tnl ? tnl + 1 : tend;
    }
    *n = l.n;
    return DEDUP_OK;
}
