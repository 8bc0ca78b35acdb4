/*
 * cmd_filter.c - `dedup filter`: a streaming deduplicator. Each document is
 * checked against the documents kept so far (dedup_index_add_unique); kept
 * ones are written to stdout byte for byte and flushed at once, so the
 * command works inside a pipe that never ends.
 *
 * Expiry: --window N keeps the N most recently kept documents (stamps are
 * the kept documents' sequence numbers); --window-time D keeps those whose
 * time is within D of the feed's watermark (stamps are Unix times).
 * Either way dedup_index_expire runs before each query.
 *
 * The watermark is the latest time of the feed, but a record dated more
 * than a day after this machine's clock (a bogus date, a year typed as
 * 9999) cannot move it: it is reported, then compared and stored as if it
 * had the watermark's time, so that it neither expires the whole index
 * nor stays in it for years. Feeds that pause and resume move it as they
 * go. A record dated more than D before the watermark (late in the feed)
 * is a duplicate only of stored documents within D of its own time.
 *
 * Restarts: with --index FILE the state is loaded at start and saved at the
 * end, and on SIGINT or SIGTERM. The handler only sets a flag; the main loop
 * sees it after the current document (a blocked read returns EINTR) and
 * saves there, never from inside the handler. Saving is atomic (store.c),
 * so a kill at any moment leaves the previous state or the new one.
 *
 * Boilerplate. As `dedup cluster` does in its first pass, lines found in
 * many documents (a site's navigation, notices, lists of headlines) are
 * left out of the shingles; a stream cannot be read twice, so the counts
 * are those of the documents read so far, each document's own lines
 * included. The counts are saved in the index, so that a restarted run
 * signs as an uninterrupted one would.
 *
 * Two threads. Reading, parsing and signing a document cost about as much
 * as the index work, and signing does not depend on the index, so by
 * default a second thread, the feeder, reads and signs documents into a
 * ring of RING entries while the main thread takes them in input order,
 * queries and updates the index and writes. A side that waits for the
 * other is woken once FEED_BATCH documents are ready (or entries free), not
 * at each one, which cost a context switch a document when one side was
 * faster; and whatever is ready is handed over before the feeder waits for
 * input, so a line read from a pipe still goes out at once.
 * The output is the same as with one thread (-j 1), where the main thread
 * does everything. SIGINT and SIGTERM are blocked in the main thread, so
 * they reach the feeder, whose blocked read returns EINTR; it stops, and
 * the main thread finishes the documents already signed, then saves.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "input.h"
#include "progress.h"
#include "store.h"

static const char help_text[] =
    "Usage: dedup filter [OPTIONS] [FILE...]\n"
    "\n"
    "Write to stdout only the documents (lines) of FILEs or stdin that are not\n"
    "near-duplicates of a document already kept. Each kept line is passed\n"
    "through unchanged and flushed at once.\n"
    "\n"
    "  --window N            compare only with the N documents kept last\n"
    "  --window-time D       compare only with documents whose time is within D\n"
    "                        of the current one (e.g. 90s, 30m, 48h, 7d)\n"
    "  --time-field NAME     JSONL field holding the time (default date): ISO\n"
    "                        8601, RFC 2822 as in RSS (Mon, 01 Jan 2024\n"
    "                        00:00:00 GMT), DD-MON-YYYY HH:MM:SS, or Unix\n"
    "                        seconds as a number or a string\n"
    "  --time-format FMT     read the time field with strptime(3) format FMT\n"
    "                        instead (taken as UTC), e.g. '%d/%m/%Y %H:%M'\n"
    "  --dups FILE           write the dropped documents to FILE as JSON lines,\n"
    "                        with \"duplicate_of\" and \"similarity\" added\n"
    "  --index FILE          load the state from FILE (and the journal\n"
    "                        FILE.journal) if it exists; record each\n"
    "                        kept document in the journal before its line is\n"
    "                        written; save the whole state at the end and on\n"
    "                        SIGINT/SIGTERM\n"
    "  --sync MODE           when the journal reaches the disk: every (before\n"
    "                        each kept line: survives a power cut), N (once\n"
    "                        N records wait, lines held until then), or off\n"
    "                        (default: written at once, which survives a kill\n"
    "                        of the process, and synced at saves)\n"
    "  --save-every N        also save the whole state every N documents\n"
    "                        read (the journal is saved in, and starts anew,\n"
    "                        anyway once it outgrows 64 MiB plus the index)\n"
    "  --wait                with --index, wait for another writer of FILE to\n"
    "                        finish instead of failing at once\n"
    "  --boilerplate N       leave out lines seen in N or more of the documents\n"
    "                        read so far (site furniture; default 20), or off;\n"
    "                        with --index the counts are saved in FILE\n"
    "  -j, --threads N       1: one thread does everything; 2 or more (the\n"
    "                        default): a second thread reads and signs\n"
    "  --stats[=FORMAT]      print a summary on stderr: text (default) or json\n"
    "  -q, --quiet           no progress line\n"
    "  -h, --help            show this help\n"
    "\n"
    "Input and similarity options as for 'dedup cluster' (--input-format,\n"
    "--id-field, --text-field, --site-field, --max-doc-bytes, --on-error,\n"
    "--threshold, --measure, --mode, --shingle-size, --char-shingle-size,\n"
    "--num-hashes, --seed, --param).\n"
    "When --index loads a saved state, its similarity parameters are used.\n";

/* ------------------------------------------------------------- feeder */

/* Documents read and signed ahead of the index work. */
#define RING 256
/* A side that waits for the other is woken once this many documents are
 * ready, or this many entries free: one wake-up a batch rather than one a
 * document when one side is the faster. Documents ready also go at once
 * when the feeder is about to wait for input (feed_wake), so a line read
 * from a pipe is not held back. */
#define FEED_BATCH 32

/* A document read and signed, with what the main thread needs of it. */
typedef struct {
    cli_buf raw, id;
    int id_kind;
    int64_t time;
    const char *file;   /* owned by the reader */
    uint64_t line;
    uint64_t replaced;  /* invalid UTF-8 sequences replaced */
    uint64_t raw_bytes; /* input bytes read up to this document */
    dedup_signature *sig;
    uint64_t *lh;       /* its line hashes, counted into the statistics */
    size_t nlh, lh_cap;
} fentry;

typedef struct {
    cli_reader *reader;
    const cli_input_opts *io;
    dedup_hasher *h;
    dedup_linestats *lines; /* boilerplate counts, or NULL */
    int keep_hashes;          /* keep each document's line hashes (journal) */
    pthread_mutex_t lines_mu; /* the feeder adds, the main thread saves */
    fentry ring[RING];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int threaded;
    uint64_t head, tail; /* taken by the main thread, filled by the feeder */
    int done;            /* the feeder has stopped */
    int quit;            /* the main thread wants no more */
    int waiting;         /* a side sleeps on cv */
    /* Written by the feeder, read after it has stopped. */
    uint64_t skipped;
    int status;
} feed;

/* Read and sign the next document into e: 1, or 0 at the end or when
 * stopped (f->status then tells which). */
static int produce_one(feed *f, fentry *e)
{
    cli_doc d;
    int rc = cli_next_doc(f->reader, &d, f->io, &f->skipped, &f->status);
    if (rc != 1)
        return 0;
    e->nlh = 0;
    if (f->lines && !f->keep_hashes) {
        pthread_mutex_lock(&f->lines_mu);
        rc = dedup_linestats_add_site(f->lines, d.site, d.site_len, d.text, d.text_len);
        pthread_mutex_unlock(&f->lines_mu);
        if (rc) {
            cli_msg("%s", dedup_strerror(rc));
            f->status = EXIT_INTERNAL;
            return 0;
        }
    } else if (f->lines) {
        /* The hashes go to the journal too, to count them again after a
         * crash. */
        while ((rc = dedup_linestats_hashes(d.text, d.text_len, e->lh, e->lh_cap, &e->nlh)) ==
               DEDUP_E_RANGE) {
            void *v = e->lh;
            if (cli_grow(&v, &e->lh_cap, e->nlh, sizeof *e->lh)) {
                rc = DEDUP_E_NOMEM;
                break;
            }
            e->lh = v;
        }
        /* The lines' keys under the page's site follow them. */
        if (!rc && d.site_len && e->nlh) {
            void *v = e->lh;
            if (cli_grow(&v, &e->lh_cap, 2 * e->nlh, sizeof *e->lh))
                rc = DEDUP_E_NOMEM;
            else
                e->lh = v;
            if (!rc)
                rc = dedup_linestats_site_keys(d.site, d.site_len, e->lh, e->nlh, e->lh + e->nlh);
            if (!rc)
                e->nlh *= 2;
        }
        if (!rc) {
            pthread_mutex_lock(&f->lines_mu);
            rc = dedup_linestats_add_hashes(f->lines, e->lh, e->nlh);
            pthread_mutex_unlock(&f->lines_mu);
        }
        if (rc) {
            cli_msg("%s", dedup_strerror(rc));
            f->status = EXIT_INTERNAL;
            return 0;
        }
    }
    e->raw.len = e->id.len = 0;
    if (cli_buf_add(&e->raw, d.raw, d.raw_len) || cli_buf_add(&e->id, d.id, d.id_len)) {
        cli_msg("out of memory");
        f->status = EXIT_INTERNAL;
        return 0;
    }
    if ((rc = dedup_hasher_set_site(f->h, d.site, d.site_len)) ||
        (rc = dedup_hasher_sign(f->h, d.text, d.text_len, e->sig))) {
        cli_msg("%s:%llu: %s", d.file, (unsigned long long)d.line, dedup_strerror(rc));
        f->status = EXIT_INTERNAL;
        return 0;
    }
    e->id_kind = d.id_kind;
    e->time = d.time;
    e->file = d.file;
    e->line = d.line;
    e->replaced = d.replaced + dedup_hasher_replaced(f->h);
    if (dedup_hasher_replaced(f->h))
        cli_warn_utf8(d.file, d.line);
    e->raw_bytes = cli_reader_raw_bytes(f->reader);
    return 1;
}

static void *feeder(void *arg)
{
    feed *f = arg;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (!f->quit && f->tail - f->head == RING) {
            f->waiting = 1;
            pthread_cond_wait(&f->cv, &f->mu);
        }
        if (f->quit)
            break;
        fentry *e = &f->ring[f->tail % RING];
        pthread_mutex_unlock(&f->mu);
        int got = !cli_stop && produce_one(f, e);
        pthread_mutex_lock(&f->mu);
        if (!got)
            break;
        f->tail++;
        if (f->waiting && f->tail - f->head >= FEED_BATCH) {
            f->waiting = 0;
            pthread_cond_signal(&f->cv);
        }
    }
    f->done = 1;
    if (f->waiting) {
        f->waiting = 0;
        pthread_cond_signal(&f->cv);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

/* The reader is about to wait for input (cli_reader_on_wait): hand on
 * the documents ready to a main thread waiting for them. */
static void feed_wake(void *arg)
{
    feed *f = arg;
    pthread_mutex_lock(&f->mu);
    if (f->waiting && f->tail != f->head) {
        f->waiting = 0;
        pthread_cond_signal(&f->cv);
    }
    pthread_mutex_unlock(&f->mu);
}

static int feed_init(feed *f, cli_reader *reader, const cli_input_opts *io, dedup_hasher *h,
                     dedup_linestats *lines, const dedup_params *p)
{
    f->reader = reader;
    f->io = io;
    f->h = h;
    f->lines = lines;
    f->status = EXIT_OK;
    for (size_t i = 0; i < RING; i++) {
        int rc = dedup_signature_create(&f->ring[i].sig, p);
        if (rc)
            return rc;
    }
    return DEDUP_OK;
}

/* Start the feeder thread; on failure the main thread reads for itself. */
static void feed_start(feed *f)
{
    if (pthread_mutex_init(&f->mu, NULL))
        return;
    if (pthread_cond_init(&f->cv, NULL)) {
        pthread_mutex_destroy(&f->mu);
        return;
    }
    cli_reader_on_wait(f->reader, feed_wake, f);
    f->threaded = pthread_create(&f->thread, NULL, feeder, f) == 0;
    if (!f->threaded)
        cli_reader_on_wait(f->reader, NULL, NULL);
    if (!f->threaded) {
        pthread_cond_destroy(&f->cv);
        pthread_mutex_destroy(&f->mu);
        return;
    }
    /* Signals go to the feeder from now on (see the top of the file). */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* The next document in input order, or NULL at the end; release it with
 * feed_release before asking for the next. */
static fentry *feed_next(feed *f)
{
    if (!f->threaded) {
        fentry *e = &f->ring[0];
        return !cli_stop && produce_one(f, e) ? e : NULL;
    }
    pthread_mutex_lock(&f->mu);
    while (f->head == f->tail && !f->done) {
        f->waiting = 1;
        pthread_cond_wait(&f->cv, &f->mu);
    }
    fentry *e = f->head == f->tail ? NULL : &f->ring[f->head % RING];
    pthread_mutex_unlock(&f->mu);
    return e;
}

/* Hand the current document's entry back to the feeder. Returns whether
 * another document is ready, so that the main thread will not wait for
 * it: always 0 with one thread, which cannot know. */
static int feed_release(feed *f)
{
    if (!f->threaded)
        return 0;
    pthread_mutex_lock(&f->mu);
    f->head++;
    int ready = f->tail != f->head;
    if (f->waiting && RING - (f->tail - f->head) >= FEED_BATCH) {
        f->waiting = 0;
        pthread_cond_signal(&f->cv);
    }
    pthread_mutex_unlock(&f->mu);
    return ready;
}

/* Stop the feeder (if it still runs) and wait for it. A feeder blocked on
 * a read is woken by a signal, which sets cli_stop: the main thread only
 * stops early when it is ending the run anyway. */
static void feed_stop(feed *f)
{
    if (!f->threaded)
        return;
    pthread_mutex_lock(&f->mu);
    int running = !f->done;
    f->quit = 1;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
    if (running)
        pthread_kill(f->thread, SIGTERM);
    pthread_join(f->thread, NULL);
    cli_reader_on_wait(f->reader, NULL, NULL);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    f->threaded = 0;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

static void feed_free(feed *f)
{
    for (size_t i = 0; i < RING; i++) {
        cli_buf_free(&f->ring[i].raw);
        cli_buf_free(&f->ring[i].id);
        dedup_signature_free(f->ring[i].sig);
        free(f->ring[i].lh);
    }
}

/* The record of a dropped document for --dups. */
static int dup_record(cli_buf *out, const fentry *d, int format, const cli_store *st,
                      const dedup_match *best, int same_id)
{
    out->len = 0;
    if (format == CLI_FMT_JSONL) {
        if (cli_record_open(out, d->raw.data, d->raw.len))
            return CLI_ENOMEM;
    } else {
        if (cli_buf_add(out, "{\"id\":", 6))
            return CLI_ENOMEM;
        if (d->id_kind == CLI_ID_NUMBER ? cli_buf_add(out, d->id.data, d->id.len)
                                        : cli_buf_json_string(out, d->id.data, d->id.len))
            return CLI_ENOMEM;
        if (cli_buf_add(out, ",\"text\":", 8) ||
            cli_buf_json_string(out, d->raw.data, d->raw.len) || cli_buf_addc(out, ','))
            return CLI_ENOMEM;
    }
    if (cli_buf_add(out, "\"duplicate_of\":", 15) || cli_store_name_json(out, st, best->id))
        return CLI_ENOMEM;
    /* A document whose id a kept one has is that document sent again,
     * whatever its text: no similarity was computed. */
    if (same_id)
        return cli_buf_printf(out, ",\"same_id\":true}\n");
    return cli_buf_printf(out, ",\"similarity\":%.4f}\n", best->similarity);
}

/* Document numbers, growable. */
typedef struct idvec {
    uint64_t *v;
    size_t n, cap;
} idvec;

static int idvec_push(idvec *p, uint64_t id)
{
    void *v = p->v;
    if (cli_grow(&v, &p->cap, p->n + 1, sizeof *p->v))
        return -1;
    p->v = v;
    p->v[p->n++] = id;
    return 0;
}

/* The output failed (a closed pipe, a full disk): the documents kept
 * since the last successful flush may not have reached it, so they are
 * taken out of the index again, to be kept by a later run. A line may
 * thus be written twice, never lost. Returns how many were taken out. */
static uint64_t undeliver(cli_store *st, idvec *p)
{
    uint64_t n = 0;
    char err[512];
    for (size_t i = 0; i < p->n; i++)
        if (dedup_index_remove(st->idx, p->v[i]) == DEDUP_OK) {
            n++;
            cli_journal_remove(st, p->v[i]);
        }
    p->n = 0;
    if (cli_journal_commit(st, err, sizeof err))
        cli_msg("%s", err);
    return n;
}

/* Journal size past which (plus the index's size in memory) a checkpoint
 * rewrites the index: replaying the journal at the next start then costs
 * about as much as loading the index. */
#define JOURNAL_CHECKPOINT ((uint64_t)64 << 20)

/* Deliver the kept lines held in out: first their journal records are
 * written (and synced, under --sync), then the lines, so that a line on
 * the output is a document in the saved state. When either fails, the
 * documents are taken out of the index again (undeliver). EXIT_OK, or the
 * exit status after a message. */
static int deliver(cli_store *st, cli_buf *out, idvec *pend, uint64_t *kept)
{
    char err[512];
    int rc = cli_journal_commit(st, err, sizeof err);
    if (rc) {
        cli_msg("%s", err);
        *kept -= undeliver(st, pend);
        out->len = 0;
        return EXIT_IO;
    }
    if ((out->len && fwrite(out->data, 1, out->len, stdout) != out->len) || fflush(stdout) != 0) {
        cli_msg("cannot write the output: %s", strerror(errno));
        *kept -= undeliver(st, pend);
        out->len = 0;
        return EXIT_IO;
    }
    out->len = 0;
    pend->n = 0;
    return EXIT_OK;
}

static int params_given(const cli_param_opts *po)
{
    return po->threshold || po->shingle_size || po->char_shingle_size || po->num_hashes ||
           po->seed || po->measure || po->mode || po->nextra;
}

/* What `dedup filter` is asked to do: its command line. */
typedef struct filter_opts {
    cli_input_opts io;
    cli_param_opts po;
    int64_t window, window_time, save_every, nthreads, sync;
    int wait_lock;
    uint32_t boilerplate;
    int boilerplate_given; /* --boilerplate on the command line */
    const char *time_field, *dups_path, *index_path;
    int stats, quiet;
    char **files; /* the FILE operands */
    size_t nfiles;
} filter_opts;

/* Returned by the option parsing when the command is to run: exit
 * statuses are not negative. */
#define FILTER_GO_ON (-1)

/* One option of the command line (not a common one): FILTER_GO_ON, or
 * the exit status after --help or a message. */
static int filter_option(filter_opts *o, int opt, const char *arg)
{
    switch (opt) {
    case 'h':
        fputs(help_text, stdout);
        return EXIT_OK;
    case 'q':
        o->quiet = 1;
        break;
    case 'j':
        if (cli_parse_threads(arg, &o->nthreads))
            return cli_usage_error("filter");
        break;
    case OPT_STATS:
        if ((o->stats = cli_parse_stats(arg)) < 0)
            return cli_usage_error("filter");
        break;
    case OPT_BOILERPLATE:
        if (cli_parse_boilerplate(arg, &o->boilerplate))
            return cli_usage_error("filter");
        o->boilerplate_given = 1;
        break;
    case OPT_WINDOW:
        if (cli_parse_int(arg, 1, INT64_MAX / 2, &o->window)) {
            cli_msg("invalid --window '%s' (a positive number of documents)", arg);
            return cli_usage_error("filter");
        }
        break;
    case OPT_WINDOW_TIME:
        if (cli_parse_duration(arg, &o->window_time)) {
            cli_msg("invalid --window-time '%s' (e.g. 30m, 48h, 7d)", arg);
            return cli_usage_error("filter");
        }
        break;
    case OPT_TIME_FIELD:
        o->time_field = arg;
        break;
    case OPT_WAIT:
        o->wait_lock = 1;
        break;
    case OPT_TIME_FORMAT:
        if (!*arg || strlen(arg) > 200) {
            cli_msg("invalid --time-format '%s'", arg);
            return cli_usage_error("filter");
        }
        o->io.time_format = arg;
        break;
    case OPT_DUPS:
        o->dups_path = arg;
        break;
    case OPT_INDEX:
        o->index_path = arg;
        break;
    case OPT_SAVE_EVERY:
        if (cli_parse_int(arg, 1, INT64_MAX, &o->save_every)) {
            cli_msg("invalid --save-every '%s' (a positive number of documents)", arg);
            return cli_usage_error("filter");
        }
        break;
    case OPT_SYNC:
        if (!strcmp(arg, "every")) {
            o->sync = CLI_SYNC_EVERY;
        } else if (!strcmp(arg, "off")) {
            o->sync = CLI_SYNC_OFF;
        } else if (cli_parse_int(arg, 1, 1 << 20, &o->sync)) {
            cli_msg("invalid --sync '%s' (every, a number of records, or off)", arg);
            return cli_usage_error("filter");
        }
        break;
    default:
        return cli_usage_error("filter");
    }
    return FILTER_GO_ON;
}

/* The options that depend on others: FILTER_GO_ON, or the exit status
 * after a message. */
static int filter_check(filter_opts *o)
{
    if (o->wait_lock && !o->index_path) {
        cli_msg("--wait goes with --index");
        return cli_usage_error("filter");
    }
    if (o->save_every && !o->index_path) {
        cli_msg("--save-every needs --index");
        return cli_usage_error("filter");
    }
    if (o->sync >= 0 && !o->index_path) {
        cli_msg("--sync needs --index");
        return cli_usage_error("filter");
    }
    if (o->window && o->window_time >= 0) {
        cli_msg("--window and --window-time cannot be used together");
        return cli_usage_error("filter");
    }
    if (o->window_time >= 0) {
        if (o->io.format != CLI_FMT_JSONL && o->io.format != CLI_FMT_CSV) {
            cli_msg("--window-time needs JSONL or CSV input with a time field");
            return cli_usage_error("filter");
        }
        o->io.time_field = o->time_field;
    } else if (o->io.time_format) {
        cli_msg("--time-format goes with --window-time");
        return cli_usage_error("filter");
    }
    return FILTER_GO_ON;
}

/* Read the command line into o: FILTER_GO_ON, or the exit status after
 * --help or a message. */
static int filter_parse(filter_opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_INPUT_OPTIONS,
        CLI_PARAM_OPTIONS,
        {"window", 1, 0, OPT_WINDOW},
        {"window-time", 1, 0, OPT_WINDOW_TIME},
        {"time-field", 1, 0, OPT_TIME_FIELD},
        {"time-format", 1, 0, OPT_TIME_FORMAT},
        {"wait", 0, 0, OPT_WAIT},
        {"dups", 1, 0, OPT_DUPS},
        {"index", 1, 0, OPT_INDEX},
        {"save-every", 1, 0, OPT_SAVE_EVERY},
        {"sync", 1, 0, OPT_SYNC},
        {"stats", 2, 0, OPT_STATS},
        {"threads", 1, 0, 'j'},
        {"boilerplate", 1, 0, OPT_BOILERPLATE},
        {"quiet", 0, 0, 'q'},
        {"help", 0, 0, 'h'},
        {0, 0, 0, 0},
    };
    int opt, status;
    memset(o, 0, sizeof *o);
    o->window_time = -1;
    o->nthreads = 2;
    o->sync = -1;
    o->boilerplate = CLI_BOILERPLATE_DEFAULT;
    o->time_field = "date";
    cli_input_defaults(&o->io);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "j:qh", longopts, NULL)) != -1) {
        int h = cli_common_option(opt, optarg, &o->io, &o->po);
        if (h < 0)
            return cli_usage_error("filter");
        if (h)
            continue;
        if ((status = filter_option(o, opt, optarg)) != FILTER_GO_ON)
            return status;
    }
    o->files = argv + optind;
    o->nfiles = (size_t)(argc - optind);
    return filter_check(o);
}

/* The state of a run, from its start to its end. */
typedef struct filter_run {
    cli_store st;
    char *resolved;         /* the index's path, links followed */
    const char *index_path; /* resolved, or NULL without --index */
    int lock_fd;
    FILE *dups;
    cli_reader *reader;
    dedup_hasher *h;
    dedup_linestats *lines; /* the index's boilerplate counts, or NULL */
    feed fd;
    cli_progress prog;
    cli_buf rec, obuf;
    idvec pend; /* kept documents whose lines are not yet known written */
    int csv_header_out;
    int unflushed;
    int64_t wm; /* the watermark: the latest time of the feed (see the top) */
    int have_wm;
    uint64_t read, kept, dropped, skipped, expired, replaced, same_ids;
    uint64_t long_ids; /* documents whose ids an index cannot keep */
} filter_run;

/* An empty run, which filter_free can free whatever happens next. */
static void filter_init(filter_run *r)
{
    memset(r, 0, sizeof *r);
    r->st.jfd = -1;
    r->lock_fd = -1;
    pthread_mutex_init(&r->fd.lines_mu, NULL);
}

/* Lock the --index file and load its state, or create the state, then
 * open the journal. EXIT_OK, or the exit status after a message. */
static int filter_open_store(filter_run *r, const filter_opts *o, const dedup_params *params)
{
    char err[512];
    int rc;
    r->index_path = o->index_path;
    if (r->index_path && !(r->index_path = r->resolved = cli_store_resolve(r->index_path))) {
        cli_msg("out of memory");
        return EXIT_INTERNAL;
    }
    if (r->index_path &&
        (rc = cli_store_lock(r->index_path, o->wait_lock, &r->lock_fd, err, sizeof err))) {
        cli_msg("%s", err);
        return cli_exit_code(rc);
    }
    int fresh = 0; /* no saved state yet */
    if (r->index_path) {
        rc = cli_store_load(&r->st, r->index_path, err, sizeof err);
        if (rc == DEDUP_E_IO && access(r->index_path, F_OK) != 0) {
            cli_store_free(&r->st);
            rc = cli_store_create(&r->st, params); /* first run: no state yet */
            fresh = 1;
        } else if (rc) {
            cli_msg("%s", err);
            return cli_exit_code(rc);
        } else if (params_given(&o->po)) {
            cli_msg("warning: %s: using the parameters saved in the index", r->index_path);
        }
        if (!rc && dedup_index_count(r->st.idx) > 0 && o->window_time >= 0 &&
            !r->st.time_stamps) {
            cli_msg("%s stamps its documents in order of arrival (built without "
                    "--time-field or filtered with --window); --window-time needs times",
                    r->index_path);
            return EXIT_USAGE;
        }
        if (!rc && dedup_index_count(r->st.idx) > 0 && o->window && r->st.time_stamps) {
            cli_msg("%s stamps its documents with times; --window counts documents in "
                    "order of arrival (use --window-time)",
                    r->index_path);
            return EXIT_USAGE;
        }
    } else {
        rc = cli_store_create(&r->st, params);
    }
    if (!rc && o->window_time >= 0)
        r->st.time_stamps = 1;
    if (rc) {
        cli_msg("cannot create the index: %s", dedup_strerror(rc));
        return EXIT_INTERNAL;
    }
    /* Changes go to the journal as they happen; a first run saves its
     * empty index first, which the journal then extends. */
    if (r->index_path &&
        ((fresh && (rc = cli_store_save(&r->st, r->index_path, err, sizeof err))) ||
         (rc = cli_journal_open(&r->st, r->index_path, o->sync < 0 ? CLI_SYNC_OFF : (int)o->sync,
                                err, sizeof err)))) {
        cli_msg("%s", rc == CLI_ENOMEM ? "out of memory" : err);
        return cli_exit_code(rc);
    }
    return EXIT_OK;
}

/* Open what a run needs: the state (filter_open_store), the hasher, the
 * boilerplate counts, the --dups file, the input and the feed. EXIT_OK,
 * or the exit status after a message. */
static int filter_open(filter_run *r, const filter_opts *o, const dedup_params *params)
{
    int rc, status;
    if ((status = filter_open_store(r, o, params)) != EXIT_OK)
        return status;
    const dedup_params *ip = dedup_index_params(r->st.idx);
    if ((rc = dedup_hasher_create(&r->h, ip))) {
        cli_msg("%s", dedup_strerror(rc));
        return EXIT_INTERNAL;
    }
    uint32_t min = o->boilerplate;
    if (o->boilerplate) {
        /* The threshold saved with the counts, unless one is given. */
        if (!o->boilerplate_given && cli_store_lines_min(&r->st) >= 2)
            min = cli_store_lines_min(&r->st);
        if (cli_store_lines(&r->st, min, &r->lines)) {
            cli_msg("out of memory");
            return EXIT_INTERNAL;
        }
        dedup_hasher_set_linestats(r->h, r->lines, min);
    }
    if (o->dups_path && !(r->dups = fopen(o->dups_path, "w"))) {
        cli_msg("%s: %s", o->dups_path, strerror(errno));
        return EXIT_IO;
    }
    if ((rc = cli_open_reader(&r->reader, &o->io, o->files, o->nfiles, 0)))
        return rc;
    /* Save on SIGINT/SIGTERM; write errors (a closed pipe) come back as
     * EPIPE instead of killing us before the state is saved. */
    cli_catch_signals();
    signal(SIGPIPE, SIG_IGN);

    if ((rc = feed_init(&r->fd, r->reader, &o->io, r->h, r->lines, ip))) {
        cli_msg("%s", dedup_strerror(rc));
        return EXIT_INTERNAL;
    }
    r->fd.keep_hashes = r->st.jfd >= 0; /* a journal is kept */
    return EXIT_OK;
}

/* The stamp d is compared and stored with, the watermark moved by its
 * time; *late tells whether d lies more than --window-time before the
 * watermark. */
static int64_t filter_stamp(filter_run *r, const filter_opts *o, const fentry *d, int *late)
{
    int64_t stamp = o->window_time >= 0 ? d->time : r->st.next_stamp;
    *late = 0;
    if (o->window_time >= 0) {
        int64_t t = d->time;
        int64_t future = cli_future_limit(); /* later is bogus */
        if (t > future) {
            if (!r->have_wm) {
                r->wm = future - 86400;
                r->have_wm = 1;
            }
            cli_msg("%s:%llu: warning: time %lld lies in the future; compared and "
                    "stored as of the feed's %lld",
                    d->file, (unsigned long long)d->line, (long long)t, (long long)r->wm);
            stamp = r->wm;
        } else {
            if (!r->have_wm || t > r->wm)
                r->wm = t;
            r->have_wm = 1;
            *late = r->wm - t > o->window_time;
        }
    }
    return stamp;
}

/* Take out of the index the documents the window has left behind: a
 * dedup status. */
static int filter_expire(filter_run *r, const filter_opts *o)
{
    int rc = DEDUP_OK;
    size_t gone = 0;
    int64_t before = INT64_MIN;
    if (o->window)
        before = r->st.next_stamp < INT64_MIN + o->window ? INT64_MIN
                                                           : r->st.next_stamp - o->window;
    else if (o->window_time >= 0)
        before = r->wm - o->window_time;
    if (o->window || o->window_time >= 0)
        rc = dedup_index_expire(r->st.idx, before, &gone);
    if (!rc && gone)
        rc = cli_journal_expire(&r->st, before) ? DEDUP_E_NOMEM : DEDUP_OK;
    r->expired += gone;
    return rc;
}

/* Look d up, by its id and then by its signature, and add it to the
 * index under the next number (*number) unless it is a duplicate (*is_dup,
 * of *best; *same_id when found by its id). A dedup status. */
static int filter_match(filter_run *r, const filter_opts *o, const fentry *d, int64_t stamp,
                        int late, int *is_dup, int *same_id, dedup_match *best,
                        uint64_t *number)
{
    cli_store *st = &r->st;
    int rc = DEDUP_OK;
    /* An id names one document: one sent again under the id of a
     * document kept is dropped as that document. */
    uint64_t same = cli_store_find_name(st, d->id.data, d->id.len, d->id_kind);
    if (same) {
        *is_dup = *same_id = 1;
        best->id = same;
        best->similarity = 0.0;
        if (r->same_ids++ == 0)
            cli_msg("%s:%llu: warning: id %.*s%s was kept before: dropped as that "
                    "document (further cases are only counted)",
                    d->file, (unsigned long long)d->line, (int)(d->id.len > 60 ? 60 : d->id.len),
                    d->id.data, d->id.len > 60 ? "..." : "");
    } else if (late) {
        /* Every stored document is newer than this one's window
         * reaches back; only those within its window count. */
        dedup_match m[64];
        size_t nm = 0;
        rc = dedup_index_query(st->idx, d->sig, m, 64, &nm);
        for (size_t i = 0; !rc && i < nm && i < 64 && !*is_dup; i++) {
            int64_t s;
            if (dedup_index_stamp(st->idx, m[i].id, &s) == DEDUP_OK &&
                s - stamp <= o->window_time) {
                *is_dup = 1;
                *best = m[i];
            }
        }
        if (!rc && !*is_dup)
            rc = cli_store_add(st, d->id.data, d->id.len, d->id_kind, stamp, d->sig, number);
    } else {
        rc = cli_store_add_unique(st, d->id.data, d->id.len, d->id_kind, stamp, d->sig, is_dup,
                                  best, number);
    }
    return rc;
}

/* d is kept, stored as number: record it in the journal, and hold its
 * line for the output. EXIT_OK, or the exit status after a message. */
static int filter_keep(filter_run *r, const filter_opts *o, const fentry *d, int64_t stamp,
                       uint64_t number)
{
    cli_store *st = &r->st;
    r->kept++;
    if (idvec_push(&r->pend, number)) {
        cli_msg("out of memory");
        return EXIT_INTERNAL;
    }
    int rc = cli_journal_add(st, number, stamp, d->sig);
    if (rc) {
        cli_msg("%s", rc == CLI_ENOMEM ? "out of memory" : "a name too long for the journal");
        dedup_index_remove(st->idx, number);
        r->pend.n--;
        r->kept--;
        return cli_exit_code(rc);
    }
    if (stamp >= st->next_stamp)
        st->next_stamp = stamp == INT64_MAX ? INT64_MAX : stamp + 1;
    if (o->io.format == CLI_FMT_CSV && !r->csv_header_out) {
        /* Kept CSV records go out under their input's header. */
        size_t hl;
        const char *hdr = cli_reader_csv_header(r->reader, &hl);
        if (hdr && (cli_buf_add(&r->obuf, hdr, hl) || cli_buf_addc(&r->obuf, '\n'))) {
            cli_msg("out of memory");
            return EXIT_INTERNAL;
        }
        r->csv_header_out = 1;
    }
    /* Held until the journal has the document, then written. */
    if (cli_buf_add(&r->obuf, d->raw.data, d->raw.len) || cli_buf_addc(&r->obuf, '\n')) {
        cli_msg("out of memory");
        return EXIT_INTERNAL;
    }
    r->unflushed = 1;
    return EXIT_OK;
}

/* d is dropped as a duplicate of best->id: count it, and write its
 * --dups record. EXIT_OK, or the exit status after a message. */
static int filter_drop(filter_run *r, const filter_opts *o, const fentry *d,
                       const dedup_match *best, int same_id)
{
    r->dropped++;
    if (r->dups) {
        if (dup_record(&r->rec, d, o->io.format, &r->st, best, same_id)) {
            cli_msg("out of memory");
            return EXIT_INTERNAL;
        }
        fwrite(r->rec.data, 1, r->rec.len, r->dups);
    }
    return EXIT_OK;
}

/* One document of the feed: its time, the expiry, the lookup, then its
 * line held for the output or its --dups record. EXIT_OK, or the exit
 * status after a message. */
static int filter_doc(filter_run *r, const filter_opts *o, const fentry *d)
{
    r->read++;
    r->replaced += d->replaced;
    if (r->lines && cli_journal_lines(&r->st, d->lh, d->nlh)) {
        cli_msg("out of memory");
        return EXIT_INTERNAL;
    }
    if (d->id.len > CLI_ID_MAX) {
        cli_msg("%s:%llu: id of %zu bytes is too long for an index (at most %u)%s", d->file,
                (unsigned long long)d->line, d->id.len, CLI_ID_MAX,
                o->io.skip_errors ? ": skipped" : "");
        r->long_ids++;
        return o->io.skip_errors ? EXIT_OK : EXIT_DATA;
    }
    int late;
    int64_t stamp = filter_stamp(r, o, d, &late);
    int is_dup = 0, same_id = 0;
    dedup_match best;
    uint64_t number = 0;
    int rc = filter_expire(r, o);
    if (!rc)
        rc = filter_match(r, o, d, stamp, late, &is_dup, &same_id, &best, &number);
    if (rc) {
        cli_msg("%s", dedup_strerror(rc));
        return EXIT_INTERNAL;
    }
    if (!is_dup)
        return filter_keep(r, o, d, stamp, number);
    return filter_drop(r, o, d, &best, same_id);
}

/* Save the whole state, with the boilerplate counts, which the feeder
 * may not change meanwhile: CLI_OK, or the error (described in err unless
 * CLI_ENOMEM). */
static int filter_save(filter_run *r, char *err, size_t errcap)
{
    pthread_mutex_lock(&r->fd.lines_mu);
    int rc = cli_store_save(&r->st, r->index_path, err, errcap);
    pthread_mutex_unlock(&r->fd.lines_mu);
    return rc;
}

/* After each document: deliver the kept lines held when it is time, and
 * save a checkpoint when one is due. ready: another document is ready.
 * EXIT_OK, or the exit status after a message. */
static int filter_flush(filter_run *r, const filter_opts *o, int ready)
{
    char err[512];
    /* Kept lines are written out before any wait for input; while
     * signed documents are waiting, the buffer fills first. Before a
     * checkpoint every kept line must be out (a saved document is a
     * delivered one), and the list of unconfirmed documents stays
     * short. */
    int checkpoint =
        (o->save_every && r->read % (uint64_t)o->save_every == 0) ||
        (r->st.jfd >= 0 && r->st.jbytes > JOURNAL_CHECKPOINT + dedup_index_memory(r->st.idx));
    if (r->unflushed &&
        (!ready || checkpoint || r->pend.n >= 4096 || cli_journal_due(&r->st))) {
        r->unflushed = 0;
        int status = deliver(&r->st, &r->obuf, &r->pend, &r->kept);
        if (status != EXIT_OK)
            return status;
    }
    /* A checkpoint: a kill loses at most the last save_every
     * documents' state, and never the file. */
    if (checkpoint) {
        int rc = filter_save(r, err, sizeof err);
        if (rc) {
            cli_msg("%s", rc == CLI_ENOMEM ? "out of memory" : err);
            return cli_exit_code(rc);
        }
    }
    return EXIT_OK;
}

/* Filter the feed until its end, a stop or a failure: EXIT_OK, or the
 * exit status after a message. */
static int filter_loop(filter_run *r, const filter_opts *o)
{
    int status = EXIT_OK;
    cli_progress_start(&r->prog, o->quiet, "filtering", cli_reader_total_bytes(r->reader));
    if (o->nthreads > 1)
        feed_start(&r->fd);
    /* The watermark: the latest time of the feed (see the top). */
    r->wm = r->st.next_stamp - 1;
    r->have_wm = o->window_time >= 0 && dedup_index_count(r->st.idx) > 0;
    /* A stored future date (an index built from a bogus record) is no
     * watermark either: the feed's own times set it. */
    if (r->have_wm && r->wm > cli_future_limit())
        r->have_wm = 0;
    fentry *d;
    while ((d = feed_next(&r->fd)) != NULL) {
        if ((status = filter_doc(r, o, d)) != EXIT_OK)
            break;
        cli_progress_update(&r->prog, r->read, d->raw_bytes);
        int ready = feed_release(&r->fd);
        if ((status = filter_flush(r, o, ready)) != EXIT_OK)
            break;
    }
    return status;
}

/* The --stats summary on stderr: as text, or as JSON (format 2). */
static void filter_stats(const filter_run *r, int format)
{
    if (format == 2)
        fprintf(stderr,
                "{\"documents\":%llu,\"kept\":%llu,\"dropped\":%llu,\"same_id\":%llu,"
                "\"skipped\":%llu,\"expired\":%llu,\"in_index\":%zu,\"invalid_utf8\":%llu,"
                "\"index_memory_bytes\":%zu,\"peak_memory_bytes\":%llu}\n",
                (unsigned long long)r->read, (unsigned long long)r->kept,
                (unsigned long long)r->dropped, (unsigned long long)r->same_ids,
                (unsigned long long)r->skipped,
                (unsigned long long)r->expired, dedup_index_count(r->st.idx),
                (unsigned long long)r->replaced, dedup_index_memory(r->st.idx),
                (unsigned long long)cli_peak_rss());
    else
        fprintf(stderr,
                "documents        %llu\n"
                "kept             %llu\n"
                "dropped          %llu\n"
                "same id          %llu\n"
                "skipped          %llu\n"
                "expired          %llu\n"
                "in index         %zu\n"
                "invalid utf-8    %llu\n"
                "index memory     %.1f MB\n"
                "peak memory      %.1f MB\n",
                (unsigned long long)r->read, (unsigned long long)r->kept,
                (unsigned long long)r->dropped, (unsigned long long)r->same_ids,
                (unsigned long long)r->skipped, (unsigned long long)r->expired,
                dedup_index_count(r->st.idx), (unsigned long long)r->replaced,
                (double)dedup_index_memory(r->st.idx) / 1e6,
                (double)cli_peak_rss() / 1e6);
}

/* The end of a run, whatever ended it (status: EXIT_OK, or the failure
 * that did): stop the feeder, deliver the kept lines still held, close
 * the --dups file, save the state and print the --stats summary. Returns
 * the exit status, that of the first failure. */
static int filter_end(filter_run *r, const filter_opts *o, int status)
{
    char err[512];
    feed_stop(&r->fd);
    if (r->unflushed) {
        int ds = deliver(&r->st, &r->obuf, &r->pend, &r->kept);
        if (!status)
            status = ds;
    }
    r->skipped = r->fd.skipped + r->long_ids;
    if (!status)
        status = r->fd.status;
    cli_progress_end(&r->prog);
    if (r->dups && (fflush(r->dups) || ferror(r->dups))) {
        cli_msg("%s: write error", o->dups_path);
        if (!status)
            status = EXIT_IO;
    }
    /* Save whatever happened: the documents kept so far were written out
     * and must not be forgotten. */
    if (r->index_path) {
        int rc = filter_save(r, err, sizeof err);
        if (rc) {
            cli_msg("%s", rc == CLI_ENOMEM ? "out of memory" : err);
            if (!status)
                status = cli_exit_code(rc);
        }
    }
    /* Interrupted: the state is saved; say so in the exit status. */
    if (cli_stop && status == EXIT_OK)
        status = 128 + (int)cli_stop;
    if (o->stats)
        filter_stats(r, o->stats);
    return status;
}

static void filter_free(filter_run *r)
{
    if (r->dups)
        fclose(r->dups);
    cli_buf_free(&r->rec);
    cli_buf_free(&r->obuf);
    feed_free(&r->fd);
    pthread_mutex_destroy(&r->fd.lines_mu);
    cli_reader_free(r->reader);
    dedup_hasher_free(r->h);
    cli_store_free(&r->st); /* also after a failed load */
    free(r->pend.v);
    free(r->resolved);
    cli_store_unlock(r->lock_fd);
}

int cmd_filter(int argc, char **argv)
{
    filter_opts o;
    int status = filter_parse(&o, argc, argv);
    if (status != FILTER_GO_ON)
        return status;

    dedup_params *params = NULL;
    status = cli_make_params(&o.po, &params);
    if (status)
        return status == EXIT_USAGE ? cli_usage_error("filter") : status;

    filter_run r;
    filter_init(&r);
    status = filter_open(&r, &o, params);
    if (status == EXIT_OK)
        status = filter_end(&r, &o, filter_loop(&r, &o));
    filter_free(&r);
    dedup_params_free(params);
    return status;
}
