/*
 * store.h - a saved index as the dedup tool keeps it: one file, the
 * library's index (dedup_index_save), which holds the documents' ids as
 * its keys (dedup_index_add_named), the boilerplate line statistics (its
 * line statistics section, with their threshold) and the tool's own few
 * settings (its application bytes, dedup_index_set_appdata); plus the
 * journal FILE.journal of the changes made since the last save.
 *
 * Ids as keys. The tool's ids are JSON strings or JSON numbers, printed
 * back as they came. A string id is its key as it is, byte for byte, so
 * that a program using the library finds a document by its URL or its
 * own id (dedup_index_lookup). A number id is the byte 0x00 followed by
 * its text as the input wrote it ("\0" "42"). A string that itself begins
 * with 0x00 gets one more 0x00 in front (the tool's readers refuse ids
 * with NUL characters, but keys made by other programs may hold them).
 * Reading a key: one that does not begin with 0x00 is a string; one that
 * does loses that byte, and is then a string if it is empty or begins
 * with 0x00 again, and a number otherwise.
 *
 * The tool's application bytes, little-endian:
 *   "DEDUPCLI"  magic, 8 bytes
 *   u32 1       version
 *   u32         flags: bit 0 = the index's stamps are Unix times (index
 *               build or add with --time-field, filter --window-time),
 *               not numbers in order of arrival; the other bits 0
 *   u64         the tag (dedup_index_tag) of the index file the save
 *               replaced, 0 for the first: a journal extending it is
 *               already saved in (see journal.c)
 * Document numbers are the library's (dedup_index_next_named), saved with
 * the names. Each save gives the index a fresh random tag, which the
 * journal names as its base.
 *
 * Indexes saved before the tool kept everything in one file came with the
 * side files FILE.ids (the names) and FILE.lines (the line statistics);
 * such an index is read with them (legacy.c), and the next save writes
 * everything into the index and removes them.
 */
#ifndef DEDUP_CLI_STORE_H
#define DEDUP_CLI_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

typedef struct cli_store {
    dedup_index *idx;   /* with the names and the line statistics */
    int64_t next_stamp; /* one past the largest stamp in the index */
    int time_stamps;    /* stamps are Unix times, not numbers in order of
                         * arrival */
    /* The tags of the index file before its last save and of the one
     * saved (dedup_index_tag): a journal of the former is saved in. */
    uint64_t tag_old, tag_new;
    dedup_linestats *lines; /* the index's line statistics once the tool
                             * counts into them (cli_store_lines), or NULL */
    cli_buf key;        /* an id made a key */
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
} cli_store;

enum { CLI_JOURNAL_NONE, CLI_JOURNAL_REPLAYED, CLI_JOURNAL_STALE };
enum { CLI_SYNC_OFF = 0, CLI_SYNC_EVERY = 1 };

/* Longest id an index keeps, in bytes (the library's keys are at most
 * 65535 bytes; a number's takes one more). */
#define CLI_ID_MAX 65534u

/* A store with an empty index for params p. CLI_OK or a dedup status. */
int cli_store_create(cli_store *s, const dedup_params *p);

/* Load path (and the side files of an index saved before everything went
 * into one file), and replay path.journal if there is one, its line
 * hashes counted into the line statistics. Returns CLI_OK, a dedup status
 * from dedup_index_load (DEDUP_E_IO for a missing file...), CLI_EDATA for
 * an index of another program, bad or foreign side files or journal,
 * CLI_EIO or CLI_ENOMEM; the message goes in err. */
int cli_store_load(cli_store *s, const char *path, char *err, size_t errcap);

/* cli_store_load for a reader, which takes no lock: an index and journal
 * found not to fit together while a writer holds the lock (caught in the
 * middle of its save) are read again, for up to 2 s. */
int cli_store_load_reader(cli_store *s, const char *path, char *err, size_t errcap);

/* Save atomically under a fresh tag: the index with its names, line
 * statistics and the tool's bytes (dedup_index_save), then remove the side
 * files of the older format if any are left. Then the journal starts anew
 * (when one is kept) or is removed: its changes are in the index. The line
 * statistics must not change meanwhile (the caller's lock). */
int cli_store_save(cli_store *s, const char *path, char *err, size_t errcap);

/* The line statistics the index keeps, to count documents into: *out
 * receives them (owned by the index), made empty if it had none. min (at
 * least 2) becomes the boilerplate threshold saved with them; 0 keeps the
 * saved one, or the default for new ones. CLI_OK or CLI_ENOMEM. */
int cli_store_lines(cli_store *s, uint32_t min, dedup_linestats **out);
/* The line statistics saved with the index (and its journal), to sign
 * with, or NULL; and their threshold (0 when there are none). */
const dedup_linestats *cli_store_saved_lines(const cli_store *s);
uint32_t cli_store_lines_min(const cli_store *s);

/* Add the document with the id given (len bytes of kind CLI_ID_*) under
 * the next number (dedup_index_add_named), *number receiving it, or, for
 * cli_store_add_unique, unless it duplicates a stored one
 * (dedup_index_add_unique_named: *is_dup, *best). A dedup status:
 * DEDUP_E_EXISTS when a stored document has the id, DEDUP_E_RANGE for an
 * id over CLI_ID_MAX bytes. */
int cli_store_add(cli_store *s, const char *id, size_t len, int kind, int64_t stamp,
                  const dedup_signature *sig, uint64_t *number);
int cli_store_add_unique(cli_store *s, const char *id, size_t len, int kind, int64_t stamp,
                         const dedup_signature *sig, int *is_dup, dedup_match *best,
                         uint64_t *number);
/* The number the next document added gets. */
uint64_t cli_store_next_number(const cli_store *s);
/* The number of the stored document with the id given, or 0. */
uint64_t cli_store_find_name(cli_store *s, const char *name, size_t len, int kind);
/* The id of document number id (not NUL-terminated, its length in *len,
 * its kind in *kind), or NULL if it has none. Valid until the index
 * changes. */
const char *cli_store_name(const cli_store *s, uint64_t id, size_t *len, int *kind);
/* Append the id of number id as JSON (a string, a number, or "#id" if it
 * has none). */
int cli_store_name_json(cli_buf *b, const cli_store *s, uint64_t id);
/* An id as a key (see the top) into b. CLI_OK or CLI_ENOMEM. */
int cli_store_key(cli_buf *b, const char *id, size_t len, int kind);
/* A key read back as an id: its bytes (*len of them) and kind. */
const char *cli_store_unkey(const char *key, size_t klen, size_t *len, int *kind);

void cli_store_free(cli_store *s);

/* Take the writer's lock of the index at path: an exclusive flock(2) on
 * path.lock, which holds the writer's process id. With wait, block until
 * the lock is free; else fail at once with "path is in use by process N".
 * The lock lasts until cli_store_unlock or the process ends. Then remove
 * the temporary files that a writer killed while saving left next to the
 * index (path.PID.N.tmp of the library when process PID has ended,
 * path.journal.tmp.XXXXXX of this tool, and path.ids.tmp.XXXXXX and
 * path.lines.tmp.XXXXXX of its versions that kept side files). *fd
 * receives the lock's descriptor.
 * CLI_OK or CLI_EIO (message in err). */
int cli_store_lock(const char *path, int wait, int *fd, char *err, size_t errcap);
void cli_store_unlock(int fd);

/* The path of the file an index path names: symbolic links followed (a
 * dangling one too), so that the lock, the journal and the saves all sit
 * next to the real index, whichever name a writer used. Allocated (free
 * it), or NULL when memory ran out. */
char *cli_store_resolve(const char *path);

/* ---- the side files of the older format (legacy.c) ---- */

/* Read path.ids and path.lines into the store just loaded from an index
 * that has no tool's bytes: names, document numbers, stamp kind, tags and
 * line statistics. unnamed: its stored documents without a name. Without
 * path.ids the index must be one whose documents all have names (made by
 * the library). CLI_OK, CLI_EDATA (missing, damaged or foreign files),
 * CLI_EIO, CLI_ENOMEM; message in err. */
int cli_legacy_load(cli_store *s, const char *path, size_t unnamed, char *err, size_t errcap);
/* Remove the side files next to path, if any. CLI_OK or CLI_EIO. */
int cli_legacy_remove(const char *path, char *err, size_t errcap);

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
 * takes the document's id from the store. */
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

/* ---- shared by store.c, legacy.c and journal.c ---- */
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
