/*
 * explain.c - the passages two documents share and what the comparison
 * left out of each (explain.h), shown from the library's analysis.
 */
#include <stdlib.h>
#include <string.h>

#include "explain.h"

void cli_side_free(cli_side *s)
{
    free(s->text);
    free(s->site);
    free(s->file);
    dedup_analysis_free(s->an);
    free(s->pa);
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

int cli_side_analyse(dedup_hasher *h, cli_side *s)
{
    int rc = dedup_hasher_set_site(h, s->site, s->site_len);
    if (!rc)
        rc = dedup_analyse(&s->an, h, s->text, s->text_len);
    if (!rc) {
        s->ntok = dedup_analysis_tokens(s->an);
        s->nsh = dedup_analysis_shingles(s->an);
    }
    return rc;
}

int cli_side_mark_shared(cli_side *a, const cli_side *b)
{
    size_t n = 0;
    free(a->pa);
    a->pa = NULL;
    a->np = a->shared_tokens = 0;
    if (dedup_analysis_passages(a->an, b->an, NULL, 0, &n, NULL))
        return -1;
    a->pa = malloc((n ? n : 1) * sizeof *a->pa);
    if (!a->pa || dedup_analysis_passages(a->an, b->an, a->pa, n, &a->np, &a->shared_tokens))
        return -1;
    return 0;
}

void cli_passage_text(const cli_side *s, const dedup_passage *p, const char **text,
                      size_t *len)
{
    *text = dedup_analysis_normalized(s->an, NULL) + p->offset;
    *len = p->length;
}

void cli_side_left_out(const cli_side *s, cli_left_fn fn, void *ctx)
{
    dedup_left local[64], *l = local;
    size_t n = 0;
    if (dedup_analysis_left_out(s->an, local, 64, &n))
        return;
    if (n > 64) {
        l = malloc(n * sizeof *l);
        if (!l || dedup_analysis_left_out(s->an, l, n, &n)) {
            free(l);
            return;
        }
    }
    for (size_t i = 0; i < n; i++)
        fn(ctx, l[i].kind == DEDUP_LEFT_QUOTATION ? "quotation" : "line",
           s->text + l[i].offset, l[i].length);
    if (l != local)
        free(l);
}

size_t cli_side_shared_shingles(const cli_side *a, const cli_side *b)
{
    return dedup_analysis_shared_shingles(a->an, b->an);
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
    int e = cli_buf_addc(b, '[');
    for (size_t i = 0; i < s->np && i < max && !e; i++) {
        const char *t;
        size_t len;
        cli_passage_text(s, &s->pa[i], &t, &len);
        if (len > max_bytes) {
            len = max_bytes;
            while (len > 0 && ((unsigned char)t[len] & 0xC0) == 0x80)
                len--;
        }
        e |= cli_buf_printf(b, "%s{\"tokens\":%zu,\"text\":", i ? "," : "", s->pa[i].tokens);
        e |= cli_buf_json_string(b, t, len);
        e |= cli_buf_addc(b, '}');
    }
    e |= cli_buf_addc(b, ']');
    return e ? CLI_ENOMEM : CLI_OK;
}
