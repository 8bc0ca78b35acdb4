/*
 * explain.c - the passages two documents share and what the comparison
 * left out of each (explain.h). Shared passages are maximal runs of tokens
 * of one document covered by shingles that the other also holds, shown in
 * normalized form (case folded, NFKC).
 */
#include <stdlib.h>
#include <string.h>

#include "explain.h"

void cli_side_free(cli_side *s)
{
    free(s->text);
    free(s->file);
    free(s->compared);
    free(s->norm);
    free(s->tok);
    free(s->sh);
    free(s->shared);
    memset(s, 0, sizeof *s);
}

char *cli_strndup(const char *p, size_t n)
{
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, p, n);
        c[n] = 0;
    }
    return c;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The hash of the n tokens from t: any fixed combination will do, as it
 * is only compared with the other document's. */
static uint64_t gram(const dedup_token *t, unsigned n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (unsigned i = 0; i < n; i++) {
        h ^= t[i].hash + 0x632be59bd9b4e019ULL + (h << 6) + (h >> 2);
        h *= 0xff51afd7ed558ccdULL;
    }
    return h;
}

/* Run the pipeline on s's text with h and keep what it compared. */
int cli_side_analyse(dedup_hasher *h, cli_side *s)
{
    const char *norm, *kept;
    size_t norm_len, ntok, kept_len;
    const dedup_token *tok;
    int rc = dedup_hasher_tokenize(h, s->text, s->text_len, &norm, &norm_len, &tok, &ntok);
    if (rc)
        return rc;
    unsigned n;
    dedup_hasher_compared(h, &kept, &kept_len, &n);
    s->n = n;
    s->compared = cli_strndup(kept, kept_len);
    s->compared_len = kept_len;
    s->norm = cli_strndup(norm, norm_len);
    s->norm_len = norm_len;
    s->tok = malloc((ntok ? ntok : 1) * sizeof *s->tok);
    s->shared = calloc(ntok ? ntok : 1, 1);
    if (!s->compared || !s->norm || !s->tok || !s->shared)
        return DEDUP_E_NOMEM;
    memcpy(s->tok, tok, ntok * sizeof *tok);
    s->ntok = ntok;
    const uint64_t *sh;
    size_t nsh;
    if ((rc = dedup_hasher_shingles(h, s->text, s->text_len, &sh, &nsh)))
        return rc;
    s->sh = malloc((nsh ? nsh : 1) * sizeof *sh);
    if (!s->sh)
        return DEDUP_E_NOMEM;
    memcpy(s->sh, sh, nsh * sizeof *sh);
    s->nsh = nsh;
    qsort(s->sh, nsh, sizeof *sh, cmp_u64);
    return DEDUP_OK;
}

/* Mark the tokens of a covered by an n-gram (a's shingle size) that b also
 * holds. Returns 0, or -1 when memory ran out. */
int cli_side_mark_shared(cli_side *a, const cli_side *b)
{
    unsigned n = a->n;
    if (a->ntok < n || b->ntok < n || n == 0)
        return 0;
    size_t m = b->ntok - n + 1, cap = 16;
    while (cap < 2 * m)
        cap <<= 1;
    uint64_t *tab = calloc(cap, sizeof *tab); /* 0 = empty */
    if (!tab)
        return -1;
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
            memset(a->shared + i, 1, n);
    }
    free(tab);
    for (size_t i = 0; i < a->ntok; i++)
        a->shared_tokens += a->shared[i];
    return 0;
}

static int by_length(const void *x, const void *y)
{
    const cli_passage *a = x, *b = y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return a->first < b->first ? -1 : a->first > b->first;
}

/* The runs of shared tokens of s, longest first; *np receives their count. */
cli_passage *cli_side_passages(const cli_side *s, size_t *np)
{
    cli_passage *p = malloc((s->ntok / 2 + 1) * sizeof *p);
    size_t n = 0;
    if (!p)
        return NULL;
    for (size_t i = 0; i < s->ntok;) {
        if (!s->shared[i]) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < s->ntok && s->shared[j])
            j++;
        p[n].first = i;
        p[n].count = j - i;
        n++;
        i = j;
    }
    qsort(p, n, sizeof *p, by_length);
    *np = n;
    return p;
}

/* The normalized text of tokens [first, first + count) of s. */
void cli_passage_text(const cli_side *s, const cli_passage *p, const char **text, size_t *len)
{
    const dedup_token *a = &s->tok[p->first], *z = &s->tok[p->first + p->count - 1];
    *text = s->norm + a->offset;
    *len = z->offset + z->length - a->offset;
}

/* What the comparison left out of s, as pieces of its text: lines that
 * are not in the compared text, and the parts of kept lines that became a
 * space (quotations). Calls fn for each with the kind ("line" or
 * "quotation"). */

/* Whether kept line k (kl bytes) is line t (tl bytes) with its quotations
 * made single spaces, as the hasher strips them; if so, and fn is not
 * NULL, report each quotation. */
static int quotes_of(const char *t, size_t tl, const char *k, size_t kl, cli_left_fn fn,
                     void *ctx)
{
    dedup_span sp[64];
    size_t nq = 0;
    if (dedup_find_quotations(t, tl, sp, 64, &nq) || nq == 0 || nq > 64)
        return 0;
    /* Compare k with t, quotations skipped. */
    size_t i = 0, j = 0;
    for (size_t q = 0; q <= nq; q++) {
        size_t stop = q < nq ? sp[q].offset : tl;
        size_t run = stop - i;
        if (kl - j < run || memcmp(t + i, k + j, run))
            return 0;
        j += run;
        if (q == nq)
            break;
        if (j >= kl || k[j] != ' ')
            return 0;
        j++;
        i = sp[q].offset + sp[q].length;
    }
    if (j != kl)
        return 0;
    for (size_t q = 0; fn && q < nq; q++)
        fn(ctx, "quotation", t + sp[q].offset, sp[q].length);
    return 1;
}

void cli_side_left_out(const cli_side *s, cli_left_fn fn, void *ctx)
{
    const char *t = s->text, *tend = s->text + s->text_len;
    const char *k = s->compared, *kend = s->compared + s->compared_len;
    if (s->compared_len == s->text_len && memcmp(t, k, s->text_len) == 0)
        return;
    while (t < tend) {
        const char *tnl = memchr(t, '\n', (size_t)(tend - t));
        const char *te = tnl ? tnl : tend;
        const char *knl = k < kend ? memchr(k, '\n', (size_t)(kend - k)) : NULL;
        const char *ke = k < kend ? (knl ? knl : kend) : k;
        size_t tl = (size_t)(te - t), kl = (size_t)(ke - k);
        if (k < kend && tl == kl && memcmp(t, k, tl) == 0) {
            k = knl ? knl + 1 : kend; /* kept whole */
        } else if (k < kend && quotes_of(t, tl, k, kl, NULL, NULL)) {
            quotes_of(t, tl, k, kl, fn, ctx); /* kept, quotations made spaces */
            k = knl ? knl + 1 : kend;
        } else if (tl > 0) {
            fn(ctx, "line", t, tl);
        }
        t = tnl ? tnl + 1 : tend;
    }
}

typedef struct json_ctx {
    cli_buf *b;
    int first;
    int err;
} json_ctx;

static void json_left(void *ctx, const char *kind, const char *text, size_t len)
{
    json_ctx *j = ctx;
    int blank = 1;
    for (size_t i = 0; i < len; i++)
        blank &= text[i] == ' ' || text[i] == '\t' || text[i] == '\r';
    if (blank)
        return;
    j->err |= cli_buf_printf(j->b, "%s{\"kind\":\"%s\",\"text\":", j->first ? "" : ",", kind);
    j->err |= cli_buf_json_string(j->b, text, len);
    j->err |= cli_buf_addc(j->b, '}');
    j->first = 0;
}

size_t cli_side_shared_shingles(const cli_side *a, const cli_side *b)
{
    size_t i = 0, j = 0, n = 0;
    while (i < a->nsh && j < b->nsh) {
        if (a->sh[i] < b->sh[j])
            i++;
        else if (a->sh[i] > b->sh[j])
            j++;
        else {
            n++;
            i++;
            j++;
        }
    }
    return n;
}


int cli_side_json_left_out(cli_buf *b, const cli_side *s)
{
    json_ctx j = {b, 1, 0};
    j.err |= cli_buf_addc(b, '[');
    cli_side_left_out(s, json_left, &j);
    j.err |= cli_buf_addc(b, ']');
    return j.err ? CLI_ENOMEM : CLI_OK;
}

int cli_side_json_passages(cli_buf *b, const cli_side *s, size_t max, size_t max_bytes)
{
    size_t np = 0;
    cli_passage *p = cli_side_passages(s, &np);
    if (!p)
        return CLI_ENOMEM;
    int e = cli_buf_addc(b, '[');
    for (size_t i = 0; i < np && i < max && !e; i++) {
        const char *t;
        size_t len;
        cli_passage_text(s, &p[i], &t, &len);
        if (len > max_bytes) {
            len = max_bytes;
            while (len > 0 && ((unsigned char)t[len] & 0xC0) == 0x80)
                len--;
        }
        e |= cli_buf_printf(b, "%s{\"tokens\":%zu,\"text\":", i ? "," : "", p[i].count);
        e |= cli_buf_json_string(b, t, len);
        e |= cli_buf_addc(b, '}');
    }
    e |= cli_buf_addc(b, ']');
    free(p);
    return e ? CLI_ENOMEM : CLI_OK;
}
