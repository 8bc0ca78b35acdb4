/*
 * explain.h - what `dedup explain` and `dedup cluster --explain` show of a
 * pair of documents: the passages they share and what the comparison left
 * out of each, from the library's analysis (dedup_analyse).
 */
#ifndef DEDUP_CLI_EXPLAIN_H
#define DEDUP_CLI_EXPLAIN_H

#include "cli.h"

/* One document of a pair: its text and what the pipeline made of it.
 * Zero it, set text (malloc'd, owned) and text_len, then analyse. */
typedef struct cli_side {
    const char *want;       /* the id asked for (dedup explain) */
    int found;
    char *text;             /* a copy of its text */
    size_t text_len;
    char *site;             /* its site (cli_doc.site), or NULL */
    size_t site_len;
    char *file;             /* where it was read */
    uint64_t line;
    dedup_analysis *an;     /* what the comparison made of it */
    size_t ntok, nsh;       /* its tokens and shingles */
    dedup_passage *pa;      /* after cli_side_mark_shared: the passages */
    size_t np;              /* it shares with the other, longest first */
    size_t shared_tokens;   /* and the tokens they cover */
} cli_side;

/* Called with each piece the comparison left out of a document: kind is
 * "line" (a list of links, a boilerplate line) or "quotation". */
typedef void (*cli_left_fn)(void *ctx, const char *kind, const char *text, size_t len);

/* A NUL-terminated malloc'd copy of p[0..n), or NULL. */
char *cli_strndup(const char *p, size_t n);

/* Release what s holds (not s itself) and zero it. */
void cli_side_free(cli_side *s);
/* Run the pipeline of h on s->text, as a page of s->site. A library
 * status. */
int cli_side_analyse(dedup_hasher *h, cli_side *s);
/* The passages of a that b shares, into a->pa / a->np / a->shared_tokens
 * (replacing earlier ones). 0, or -1 when out of memory. */
int cli_side_mark_shared(cli_side *a, const cli_side *b);
/* The normalized text of passage p of s. */
void cli_passage_text(const cli_side *s, const dedup_passage *p, const char **text,
                      size_t *len);
/* Report what the comparison left out of s through fn. */
void cli_side_left_out(const cli_side *s, cli_left_fn fn, void *ctx);
/* Shingles a and b share (both analysed). */
size_t cli_side_shared_shingles(const cli_side *a, const cli_side *b);
/* Append to b the JSON array of what was left out of s: objects with
 * "kind" and "text". CLI_OK or CLI_ENOMEM. */
int cli_side_json_left_out(cli_buf *b, const cli_side *s);
/* Append to b the JSON array of at most max passages of s, longest first:
 * objects with "tokens" and "text" (at most max_bytes of it, cut at a
 * character boundary). CLI_OK or CLI_ENOMEM. */
int cli_side_json_passages(cli_buf *b, const cli_side *s, size_t max, size_t max_bytes);

#endif
