/*
 * cli.h - definitions shared by the files of the dedup command-line tool:
 * exit codes, messages, option-parsing helpers, a growable byte buffer and
 * the table of document ids.
 */
#ifndef DEDUP_CLI_H
#define DEDUP_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DEDUP_EXPERIMENTAL /* explain, the journal and the store use them */
#include "dedup.h"

typedef struct cli_reader cli_reader;
typedef struct cli_doc cli_doc;

/* Exit statuses, documented in dedup.1 and --help. */
enum {
    EXIT_OK = 0,
    EXIT_DATA = 1,     /* bad input data */
    EXIT_USAGE = 2,    /* bad command line */
    EXIT_IO = 3,       /* a file could not be read or written */
    EXIT_INTERNAL = 4  /* out of memory, or a library failure */
};

/* Internal status codes of the tool's own layers (negative, like the
 * library's, but in a range of their own so the two never collide). */
enum {
    CLI_OK = 0,
    CLI_ENOMEM = -101,
    CLI_EIO = -102,
    CLI_EDATA = -103, /* a malformed document; the reader can go on */
    CLI_EINTR = -104, /* interrupted by SIGINT/SIGTERM */
    CLI_ECORRUPT = -105 /* damaged compressed input; the reader cannot go on */
};

#if defined(__GNUC__)
#  define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#  define CLI_NORETURN __attribute__((noreturn))
#else
#  define CLI_PRINTF(a, b)
#  define CLI_NORETURN
#endif

/* Program name for messages ("dedup" or "dedup cluster"). */
extern const char *cli_progname;
/* Set by the SIGINT/SIGTERM handler that cli_catch_signals installs: the
 * signal's number, so that the run can end with status 128 + it. */
extern volatile sig_atomic_t cli_stop;

/* "dedup: message" on stderr. */
void cli_msg(const char *fmt, ...) CLI_PRINTF(1, 2);
/* Map a tool or library status to an exit code. */
int cli_exit_code(int status);
/* Install handlers that set cli_stop, without SA_RESTART so that a read
 * blocked on a pipe returns EINTR and the main loop can react. */
void cli_catch_signals(void);

/* ----------------------------------------------------------- buffers */

/* A growable byte buffer. Always NUL-terminated when len > 0 or after
 * cli_buf_nul. */
typedef struct cli_buf {
    char *data;
    size_t len, cap;
} cli_buf;

int cli_buf_reserve(cli_buf *b, size_t extra);
int cli_buf_add(cli_buf *b, const void *p, size_t n);
int cli_buf_addc(cli_buf *b, char c);
int cli_buf_printf(cli_buf *b, const char *fmt, ...) CLI_PRINTF(2, 3);
void cli_buf_free(cli_buf *b);

/* Append s as a JSON string literal, with quotes and escapes. */
int cli_buf_json_string(cli_buf *b, const char *s, size_t n);

/* -------------------------------------------------------- id table */

/* Kinds of document id: a JSON string, or a number (a JSON number or a line
 * number), written without quotes in JSON output. */
enum { CLI_ID_STRING = 0, CLI_ID_NUMBER = 1 };

/* The ids of every document of a run, in input order, packed in one arena
 * so that a million ids cost a few tens of megabytes. */
typedef struct cli_ids {
    uint64_t *off; /* per document: arena offset << 1 | kind */
    size_t count, cap;
    cli_buf arena;  /* id bytes, each followed by a NUL */
} cli_ids;

int cli_ids_push(cli_ids *t, const char *id, size_t len, int kind);
const char *cli_ids_get(const cli_ids *t, size_t i, int *kind);
void cli_ids_free(cli_ids *t);
/* Count the documents whose id an earlier document already has, into
 * *count, and warn (on stderr) about the first few such ids. CLI_OK or
 * CLI_ENOMEM. */
int cli_ids_duplicates(const cli_ids *t, uint64_t *count);
/* A 64-bit hash of an id (its bytes and kind), for tables of names. */
uint64_t cli_name_hash(const char *s, size_t n, int kind);
/* Append id i as JSON (a string literal or a bare number). */
int cli_ids_json(cli_buf *b, const cli_ids *t, size_t i);

/* ------------------------------------------------- option parsing */

/* Parse a whole decimal integer in [min, max]; 0 or -1. */
int cli_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);
/* Parse the argument of -j/--threads, 1 to 1024 (cluster and filter).
 * Prints a message and returns -1 on a bad value, else 0. */
int cli_parse_threads(const char *arg, int64_t *out);
/* Write text (n bytes) to f with control characters, backslashes and
 * ill-formed UTF-8 escaped (\xHH, \u00HH, a doubled backslash), for tab-separated output and
 * terminals. */
void cli_put_safe(FILE *f, const char *text, size_t n);
/* Parse a real number; 0 or -1. */
int cli_parse_real(const char *s, double *out);
/* Parse a duration such as 48h, 30m, 7d, 90s or 3600 (seconds); 0 or -1. */
int cli_parse_duration(const char *s, int64_t *seconds);
/* Parse an ISO 8601 date-time ("2024-05-01", "2024-05-01T12:30:00Z",
 * "+09:00" offsets, fractions ignored) into Unix seconds; 0 or -1. */
int cli_parse_iso8601(const char *s, size_t n, int64_t *out);
/* Parse a document's time into Unix seconds: with format, by strptime(3)
 * (the time taken as UTC); else ISO 8601 (the date must exist, offsets
 * within 14 hours), RFC 2822 as RSS feeds give it ("Mon, 01 Jan 2024
 * 00:00:00 GMT"), DD-MON-YYYY HH:MM:SS (wire archives) or Unix seconds
 * written as a string. 0 or -1. */
int cli_parse_time(const char *s, size_t n, const char *format, int64_t *out);

/* Options every subcommand that reads documents shares. */
typedef struct cli_input_opts {
    int skip_errors;        /* --on-error=skip */
    int format;             /* CLI_FMT_* */
    const char *id_field;   /* JSONL */
    const char *text_field; /* JSONL, comma-separated */
    const char *time_field; /* JSONL, for filter --window-time; NULL if unused */
    const char *time_format; /* --time-format (strptime), or NULL */
    const char *title_field; /* JSONL, optional, for the report */
    const char *site_field;  /* JSONL: the page's site, or a URL whose host
                                is; NULL: none */
    size_t max_doc_bytes;
} cli_input_opts;

enum { CLI_FMT_JSONL = 0, CLI_FMT_LINES = 1, CLI_FMT_FILES = 2, CLI_FMT_CSV = 3 };

/* The parameters options of cluster, filter and index build. */
#define CLI_MAX_PARAMS 32

typedef struct cli_param_opts {
    const char *threshold, *shingle_size, *char_shingle_size, *num_hashes, *seed,
        *measure, *mode;
    const char *extra[CLI_MAX_PARAMS]; /* --param NAME=VALUE, in order */
    size_t nextra;
} cli_param_opts;

/* Append to out the JSON object raw[0..len) without its closing brace,
 * followed by a comma unless the object is empty, so that fields can be
 * added and the brace closed. CLI_OK or CLI_ENOMEM. */
int cli_record_open(cli_buf *out, const char *raw, size_t len);

/* Build a params object from the options; prints a message and returns
 * EXIT_USAGE on a bad value, EXIT_INTERNAL on failure, 0 on success. */
int cli_make_params(const cli_param_opts *o, dedup_params **out);

/* Long-option codes shared by the subcommands (see dedup.c). */
enum {
    OPT_HELP = 'h',
    OPT_ID_FIELD = 1000,
    OPT_TEXT_FIELD,
    OPT_INPUT_FORMAT,
    OPT_MAX_DOC_BYTES,
    OPT_ON_ERROR,
    OPT_THRESHOLD,
    OPT_SHINGLE_SIZE,
    OPT_CHAR_SHINGLE_SIZE,
    OPT_NUM_HASHES,
    OPT_SEED,
    OPT_MEASURE,
    OPT_MODE,
    OPT_QUIET,
    OPT_STATS,
    OPT_OUTPUT,
    OPT_WINDOW,
    OPT_WINDOW_TIME,
    OPT_TIME_FIELD,
    OPT_TIME_FORMAT,
    OPT_WAIT,
    OPT_DUPS,
    OPT_INDEX,
    OPT_MIN_SIZE,
    OPT_BOILERPLATE,
    OPT_PARAM,
    OPT_SAVE_EVERY,
    OPT_SYNC,
    OPT_SITE_FIELD
};

/* getopt_long table entries for the input and parameter options. */
#define CLI_INPUT_OPTIONS                                                      \
    {"id-field", 1, 0, OPT_ID_FIELD}, {"text-field", 1, 0, OPT_TEXT_FIELD},      \
        {"input-format", 1, 0, OPT_INPUT_FORMAT},                              \
        {"max-doc-bytes", 1, 0, OPT_MAX_DOC_BYTES}, {"on-error", 1, 0, OPT_ON_ERROR}, \
        {"site-field", 1, 0, OPT_SITE_FIELD}
#define CLI_PARAM_OPTIONS                                                      \
    {"threshold", 1, 0, OPT_THRESHOLD}, {"shingle-size", 1, 0, OPT_SHINGLE_SIZE}, \
        {"char-shingle-size", 1, 0, OPT_CHAR_SHINGLE_SIZE},                    \
        {"num-hashes", 1, 0, OPT_NUM_HASHES}, {"seed", 1, 0, OPT_SEED},         \
        {"measure", 1, 0, OPT_MEASURE}, {"mode", 1, 0, OPT_MODE},              \
        {"param", 1, 0, OPT_PARAM}

/* Default input options. */
void cli_input_defaults(cli_input_opts *o);
/* Handle option c if it is an input or parameter option (io or po may be
 * NULL when the subcommand takes none). Returns 1 if handled, 0 if not, -1
 * after printing a message about a bad value. */
int cli_common_option(int c, const char *arg, cli_input_opts *io, cli_param_opts *po);
/* The message for an unknown option or a missing argument, and the hint to
 * use --help; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd);

/* cli_reader_open, with the message and the exit status of a failure:
 * EXIT_OK, EXIT_IO or EXIT_INTERNAL. */
int cli_open_reader(cli_reader **r, const cli_input_opts *io, char **paths, size_t npaths,
                    int rewindable);

/* Read the next document with the --on-error policy: a bad document is
 * reported and stops the run (*status = EXIT_DATA), or is skipped and
 * counted in *skipped. Returns 1 (d filled), 0 at the end, -1 with *status
 * set (message printed). Warns once about invalid UTF-8 (d->replaced). */
int cli_next_doc(cli_reader *r, cli_doc *d, const cli_input_opts *o, uint64_t *skipped,
                 int *status);
/* Warn once per run that invalid UTF-8 was replaced at file:line. */
void cli_warn_utf8(const char *file, uint64_t line);

/* Subcommands. Each takes argv after the subcommand name (argv[0] is the
 * subcommand) and returns an exit status. */
int cmd_cluster(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_shingles(int argc, char **argv);
int cmd_explain(int argc, char **argv);

/* Short lines found in at least this many documents are boilerplate by
 * default (dedup cluster, filter and explain): fewer than the pages of any
 * but the smallest sites. Measured on the generated boilerplate-heavy
 * corpus (40 sites of about 500 pages, 20k documents) at threshold 0.45:
 * precision 0.9998 and recall 0.988 with 20, against 0.971 and 0.969 with
 * 50, where lists of other headlines repeated on fewer pages than that
 * stayed in. */
#define CLI_BOILERPLATE_DEFAULT DEDUP_BOILERPLATE_DEFAULT

/* Parse the argument of --boilerplate: a count of at least 2, or off (0).
 * Prints a message and returns -1 on a bad value, else 0. */
int cli_parse_boilerplate(const char *arg, uint32_t *out);

/* The format of --stats[=FORMAT] (arg NULL when none was given): 1 text,
 * 2 json, or -1 after a message about a bad one. */
int cli_parse_stats(const char *arg);

/* Grow the array *p of *cap elements of elem bytes to hold at least need
 * (doubling, from 64). 0, or -1 when memory ran out (*p unchanged). */
int cli_grow(void **p, size_t *cap, size_t need, size_t elem);

/* Times after this are in the future: a day past this machine's clock,
 * read anew at each call (a long run sees the clock move). */
int64_t cli_future_limit(void);

/* Number of online CPUs, at least 1. */
unsigned cli_ncpus(void);

/* Peak resident memory of this process in bytes (getrusage). */
uint64_t cli_peak_rss(void);
/* Monotonic time in seconds. */
double cli_now(void);

#endif
