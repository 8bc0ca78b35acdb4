/*
 * store.h - a saved index as the dedup tool keeps it: the library's index
 * file (dedup_index_save) plus a side file FILE.ids that maps the index's
 * 64-bit document numbers back to the documents' own ids (strings or
 * numbers), which the library does not store.
 */
#ifndef DEDUP_CLI_STORE_H
#define DEDUP_CLI_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

typedef struct cli_store {
    dedup_index *idx;
    uint64_t next_id;   /* the number the next document gets (from 1) */
    int64_t next_stamp; /* one past the largest stamp in the index */
    /* number -> name: open addressing, key 0 free */
    uint64_t *keys, *vals; /* vals: arena offset << 1 | kind */
    size_t cap, count;
    cli_buf arena;
    /* name -> number: open addressing over words packing the number and
     * a tag of the name's hash, 0 free; stale entries (a name pruned or
     * replaced) are skipped */
    uint64_t *rent;
    size_t rcap, rcount;
    uint64_t *saved;    /* numbers in the index file on disk, sorted */
    size_t nsaved;
    int time_stamps;    /* stamps are Unix times (index build or add with
                         * --time-field, filter --window-time), not
                         * numbers in order of arrival */
    /* The side file's tags: that of the index file before its last save
     * and that of the one saved (dedup_index_tag). */
    uint64_t tag_old, tag_new;
    int has_lines;      /* path.lines belongs to the saved index */
    uint32_t lines_min; /* the boilerplate threshold the counts go with
                         * (dedup filter --boilerplate); 0: not known */
    /* The journal (journal.c). */
    int jstate;         /* at load: CLI_JOURNAL_* */
    uint64_t jvalid;    /* at load: bytes of whole records replayed */
    int jfd;            /* open for appending, or -1: no journal kept */
    int jsync;          /* CLI_SYNC_OFF, or sync every jsync records */
    int jtime_stamps;   /* the stamp kind its header gives */
    char *jpath;
    cli_buf jbuf;       /* records not yet written */
    uint64_t jbytes;    /* size of the journal file */
    uint64_t junsynced; /* records not yet synced */
    /* Line hashes of the documents read since the save, from the journal:
     * for each document its count, then its hashes; counted into the
     * line statistics when they are loaded (cli_store_load_lines). */
    uint64_t *jlines;
    size_t jlines_n, jlines_cap;
} cli_store;

enum { CLI_JOURNAL_NONE, CLI_JOURNAL_REPLAYED, CLI_JOURNAL_STALE };
enum { CLI_SYNC_OFF = 0, CLI_SYNC_EVERY = 1 };

/* A store with an empty index for params p. CLI_OK or a dedup status. */
int cli_store_create(cli_store *s, const dedup_params *p);

/* Load path and path.ids, and replay path.journal if there is one.
 * Returns CLI_OK, a dedup status from dedup_index_load (DEDUP_E_IO for a
 * missing file...), CLI_EDATA for a bad or foreign side file or journal,
 * CLI_EIO or CLI_ENOMEM; the message goes in err. */
int cli_store_load(cli_store *s, const char *path, char *err, size_t errcap);

/* cli_store_load for a reader, which takes no lock, and then, if lines is
 * not NULL, cli_store_load_lines: files found not to fit together while a
 * writer holds the lock (caught in the middle of its save) are read again,
 * for up to 2 s. */
int cli_store_load_reader(cli_store *s, const char *path, dedup_linestats **lines, char *err,
                          size_t errcap);

/* Save atomically: first, if lines is not NULL, path.lines with its bytes
 * (a serialized dedup_linestats), then path.ids (written to a temporary file, synced,
 * renamed), then the index with dedup_index_save, under a fresh tag. The
 * side file always covers both the index on disk before the save and the
 * new one, and holds both tags, so a kill between the two renames leaves a
 * consistent pair. Then the journal starts anew (when one is kept) or is
 * removed: its changes are in the index. */
int cli_store_save(cli_store *s, const char *path, const cli_buf *lines, char *err,
                   size_t errcap);
/* Line statistics saved next to the index of the loaded store s as
 * path.lines (boilerplate counts), with the documents of its journal
 * counted in: *out receives them, or NULL if there is no such file and the
 * journal had none. CLI_OK, CLI_EIO, CLI_EDATA (damaged, or saved with
 * another index; message in err), CLI_ENOMEM. */
int cli_store_load_lines(cli_store *s, const char *path, dedup_linestats **out, char *err,
                         size_t errcap);

/* Record the name of document number id (copied). */
int cli_store_set_name(cli_store *s, uint64_t id, const char *name, size_t len, int kind);
/* The number of the stored (live) document named name, or 0. */
uint64_t cli_store_find_name(const cli_store *s, const char *name, size_t len, int kind);
/* The name of document id, or NULL if unknown. */
const char *cli_store_name(const cli_store *s, uint64_t id, int *kind);
/* Append the name of id as JSON (a string, a number, or "#id" if unknown). */
int cli_store_name_json(cli_buf *b, const cli_store *s, uint64_t id);

void cli_store_free(cli_store *s);

/* Take the writer's lock of the index at path: an exclusive flock(2) on
 * path.lock, which holds the writer's process id. With wait, block until
 * the lock is free; else fail at once with "path is in use by process N".
 * The lock lasts until cli_store_unlock or the process ends. Then remove
 * the temporary files that a writer killed while saving left next to the
 * index (path.PID.N.tmp of the library when process PID has ended,
 * path.ids.tmp.XXXXXX, path.lines.tmp.XXXXXX and path.journal.tmp.XXXXXX
 * of this tool). *fd
 * receives the lock's descriptor.
 * CLI_OK or CLI_EIO (message in err). */
int cli_store_lock(const char *path, int wait, int *fd, char *err, size_t errcap);
void cli_store_unlock(int fd);

/* The path of the file an index path names: symbolic links followed (a
 * dangling one too), so that the lock, the side files and the saves all
 * sit next to the real index, whichever name a writer used. Allocated
 * (free it), or NULL when memory ran out. */
char *cli_store_resolve(const char *path);

/* ---- the journal (journal.c) ---- */

/* Replay path.journal onto a store just loaded (cli_store_load calls it). */
int cli_journal_replay(cli_store *s, const char *path, char *err, size_t errcap);
/* Keep a journal for the store of path from now on: the replayed one,
 * continued, or a new one. sync: CLI_SYNC_OFF (written, synced only at
 * saves) or N (synced at a commit once N records wait; 1 at every commit).
 * The store's index file must exist (save a new store first). */
int cli_journal_open(cli_store *s, const char *path, int sync, char *err, size_t errcap);
/* Records of a change just made to the index, kept in memory until
 * cli_journal_commit; a no-op when no journal is kept. The add record
 * takes the document's name from the store: set it first. */
int cli_journal_add(cli_store *s, uint64_t id, int64_t stamp, const dedup_signature *sig);
int cli_journal_remove(cli_store *s, uint64_t id);
int cli_journal_expire(cli_store *s, int64_t before);
/* A document read: its line hashes (dedup_linestats_hashes), counted into
 * the line statistics. */
int cli_journal_lines(cli_store *s, const uint64_t *hashes, size_t n);
/* Write the waiting records and, under a sync policy, sync them. */
int cli_journal_commit(cli_store *s, char *err, size_t errcap);
/* Whether the sync policy wants a commit now. */
int cli_journal_due(const cli_store *s);
/* Start a new journal after the store was saved (cli_store_save does). */
int cli_journal_restart(cli_store *s, char *err, size_t errcap);
void cli_journal_close(cli_store *s);

/* ---- shared by store.c and journal.c ---- */
uint32_t cli_le32(const unsigned char *p);
uint64_t cli_le64(const unsigned char *p);
void cli_put32(unsigned char *p, uint32_t v);
void cli_put64(unsigned char *p, uint64_t v);
/* path with suffix appended, malloc'ed. */
char *cli_side_path(const char *path, const char *suffix);
/* Read a whole file into b; CLI_OK, CLI_EIO (errno kept) or CLI_ENOMEM. */
int cli_read_whole(const char *path, cli_buf *b);
/* Replace path by data atomically (temporary file, sync, rename). */
int cli_write_atomic(const char *path, const void *data, size_t len, char *err,
                     size_t errcap);

#endif
