/*
 * json.h - extraction of a few top-level fields from one JSON object, the
 * only JSON work the dedup tool does. Implemented in json.cpp on simdjson,
 * chosen by measurement (see bench-json.c and dedup.1); exposed to C.
 */
#ifndef DEDUP_CLI_JSON_H
#define DEDUP_CLI_JSON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes that must be readable (any value) after the end of the text given
 * to cli_json_extract: the parser reads ahead in blocks. */
#define CLI_JSON_PADDING 64

enum {
    CLI_JSON_MISSING = 0, /* no such field */
    CLI_JSON_STRING = 1,  /* value: the unescaped string */
    CLI_JSON_NUMBER = 2,  /* value: the number as text; num: its value */
    CLI_JSON_NULL = 3,
    CLI_JSON_OTHER = 4    /* true, false, an object or an array */
};

typedef struct cli_json_field {
    const char *name; /* in: the field's name (NUL-terminated) */
    int type;         /* out: CLI_JSON_* */
    const char *value; /* out: borrowed until the next call on the parser */
    size_t len;
    double num;
} cli_json_field;

/* Status of cli_json_extract. */
enum {
    CLI_JSON_OK = 0,
    CLI_JSON_ENOMEM = -1,
    CLI_JSON_ESYNTAX = -2, /* not valid JSON */
    CLI_JSON_ENOTOBJ = -3  /* valid JSON, but not an object */
};

typedef struct cli_json cli_json;

/* A parser with its reusable buffers; one per thread. NULL on failure. */
cli_json *cli_json_create(void);
void cli_json_free(cli_json *j);

/*
 * Parse text[0, len) as one JSON object and fill each of the nfields fields
 * (first occurrence wins for repeated keys). text must have
 * CLI_JSON_PADDING readable bytes after len. Invalid UTF-8 inside the object
 * is not an error: each invalid sequence is replaced by U+FFFD and counted in
 * *replaced. On error, *what receives a static description.
 */
int cli_json_extract(cli_json *j, const char *text, size_t len, cli_json_field *fields,
                     size_t nfields, size_t *replaced, const char **what);

/* Replace each maximal invalid UTF-8 subsequence of src by U+FFFD (EF BF BD)
 * into dst, which must hold 3 * n bytes; returns the output length and adds
 * the number of replacements to *count. */
size_t cli_utf8_sanitize(char *dst, const char *src, size_t n, size_t *count);

#ifdef __cplusplus
}
#endif

#endif
