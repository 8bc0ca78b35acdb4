/*
 * input.h - the reading layer of the dedup tool: byte sources (files, stdin,
 * gzip and zstd recognised by their magic bytes) and the document reader
 * that turns them into documents (JSONL records, plain lines, or the .txt
 * files of directory trees).
 */
#ifndef DEDUP_CLI_INPUT_H
#define DEDUP_CLI_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

/* ------------------------------------------------------------ sources */

typedef struct cli_source cli_source;

/*
 * Open path ("-" for stdin) as a stream of decompressed bytes. If fd >= 0 it
 * is read instead of opening path (path then only names it in messages) and
 * is not closed. If spool_fd >= 0, every raw byte read is also written to it
 * (used to read stdin twice). Returns CLI_OK, CLI_ENOMEM or CLI_EIO (with a
 * message in err, a buffer of errcap bytes).
 */
int cli_source_open(cli_source **out, const char *path, int fd, int spool_fd, char *err,
                    size_t errcap);

/* The raw bytes [start, start + len) of the file path: with start 0 as
 * cli_source_open (a compressed file is recognised), else read as they
 * are (a range of a plain file). */
int cli_source_open_range(cli_source **out, const char *path, uint64_t start, uint64_t len,
                          char *err, size_t errcap);

/* Read up to cap decompressed bytes. Returns the count, 0 at the end, or
 * CLI_EIO (corrupt or truncated compressed data, read error; message from
 * cli_source_error) or CLI_EINTR when cli_stop is set during a read. */
long cli_source_read(cli_source *s, char *buf, size_t cap);
const char *cli_source_error(const cli_source *s);
/* Raw (compressed) bytes read so far. */
uint64_t cli_source_raw_bytes(const cli_source *s);
void cli_source_close(cli_source *s);

/* ------------------------------------------------------------ reader */

typedef struct cli_doc {
    const char *id;     /* the document's id, borrowed */
    size_t id_len;
    int id_kind;        /* CLI_ID_STRING or CLI_ID_NUMBER */
    const char *text;   /* the text to compare, borrowed */
    size_t text_len;
    const char *raw;    /* the line as read (no newline), or the file */
    size_t raw_len;
    const char *title;  /* the title field if asked for and present */
    size_t title_len;
    const char *site;   /* the page's site (a URL's host), borrowed; */
    size_t site_len;    /* 0 when there is none */
    int64_t time;       /* the time field in Unix seconds, if asked for */
    const char *file;   /* for messages */
    uint64_t line;      /* line in file, 1-based; 0 for whole files */
    size_t replaced;    /* invalid UTF-8 sequences replaced in JSON text */
} cli_doc;

typedef struct cli_reader cli_reader;

/*
 * A reader over paths[0, npaths) (none: stdin) with the options o (copied
 * pointers: o's strings must outlive the reader). With rewindable set, stdin
 * is kept (spooled to a temporary file unless it is a regular file) so that
 * cli_reader_rewind can read everything again. For the files format the
 * directory trees are walked here. Returns CLI_OK, CLI_ENOMEM, or CLI_EIO
 * with the message in cli_reader_error.
 */
int cli_reader_open(cli_reader **out, const cli_input_opts *o, char **paths, size_t npaths,
                    int rewindable);

/*
 * The next document. Returns 1 (d filled, valid until the next call), 0 at
 * the end, CLI_EDATA for a bad document (message "file:line: what" in
 * cli_reader_error; the reader can go on with the next one), CLI_EIO (the
 * reader cannot go on), CLI_EINTR or CLI_ENOMEM.
 */
int cli_reader_next(cli_reader *r, cli_doc *d);
const char *cli_reader_error(const cli_reader *r);

/* Start again from the first input, for a second pass. */
int cli_reader_rewind(cli_reader *r);

/* Raw bytes read so far (all inputs), and the total raw size of the inputs
 * when it is known (all regular files), else 0. */
uint64_t cli_reader_raw_bytes(const cli_reader *r);
uint64_t cli_reader_total_bytes(const cli_reader *r);
/* Decompressed bytes read so far. */
uint64_t cli_reader_bytes(const cli_reader *r);
/* Call fn(arg), on the reading thread, before each read of more input and
 * before opening the next input: the points where reading may wait (a
 * pipe, a terminal). A pipeline that hands documents on in batches hands
 * on what it holds there, so that no document waits for input that has
 * not come. NULL fn: none. */
void cli_reader_on_wait(cli_reader *r, void (*fn)(void *), void *arg);

/* CSV input: the header row of the first file, as read (NULL before it
 * was read). Set once, so another thread may read it once a document of
 * that file has reached it. */
const char *cli_reader_csv_header(const cli_reader *r, size_t *len);
/* The inputs (for the files format, the .txt files found): their number
 * and each one's path ("-" for stdin). */
size_t cli_reader_inputs(const cli_reader *r);
const char *cli_reader_input(const cli_reader *r, size_t i);

/*
 * A part of the inputs: the raw bytes [start, end) of input path (an index
 * of cli_reader_input), where start is 0 or the first byte of a line of a
 * plain file, and end is the input's size (UINT64_MAX: up to its end) or
 * the first byte of a line. line0 and gline0 are the lines before start, in
 * the input and over all inputs, from which the lines read are numbered
 * (messages, ids of records without one).
 */
typedef struct cli_piece {
    size_t path;
    uint64_t start, end;
    uint64_t line0, gline0;
} cli_piece;

/* Read the n pieces p (copied), in order, in place of the whole inputs,
 * from now on and after each rewind. CLI_OK or CLI_ENOMEM. */
int cli_reader_set_pieces(cli_reader *r, const cli_piece *p, size_t n);

void cli_reader_free(cli_reader *r);

#endif
