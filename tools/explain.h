/*
 * explain.h - what `dedup explain` and `dedup cluster --explain` show of a
 * pair of documents: the passages they share and what the comparison left
 * out of each.
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
    char *file;             /* where it was read */
    uint64_t line;
    char *compared;         /* what the comparison kept of it */
    size_t compared_len;
    char *norm;             /* the normalized compared text */
    size_t norm_len;
    dedup_token *tok;       /* its tokens */
    size_t ntok;
    unsigned n;             /* shingle size */
    uint64_t *sh;           /* its shingle set, sorted */
    size_t nsh;
    unsigned char *shared;  /* per token: covered by a shingle the other holds */
    size_t shared_tokens;
} cli_side;


/* A run of tokens of a document covered by shingles the other holds. */
typedef struct cli_passage {
    size_t first, count; /* tokens */
} cli_passage;

/* Called with each piece the comparison left out of a document: kind is
 * "line" (a list of links, a boilerplate line) or "quotation". */
typedef void (*cli_left_fn)(void *ctx, const char *kind, const char *text, size_t len);

/* A NUL-terminated malloc'd copy of p[0..n), or NULL. */
char *cli_strndup(const char *p, size_t n);

/* Release what s holds (not s itself) and zero it. */
void cli_side_free(cli_side *s);
/* Run the pipeline of h on s->text: keep what it compared, the normalized
 * text, the tokens and the sorted shingle set. A library status. */
int cli_side_analyse(dedup_hasher *h, cli_side *s);
/* Mark the tokens of a covered by an n-gram (a's shingle size) that b also
 * holds, counting them in a->shared_tokens. 0, or -1 when out of memory. */
int cli_side_mark_shared(cli_side *a, const cli_side *b);
/* The shared runs of s, longest first (malloc'd; *np their count), or
 * NULL when out of memory. */
cli_passage *cli_side_passages(const cli_side *s, size_t *np);
/* The normalized text of passage p of s. */
void cli_passage_text(const cli_side *s, const cli_passage *p, const char **text, size_t *len);
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
