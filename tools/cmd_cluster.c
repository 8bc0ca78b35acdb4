/*
 * cmd_cluster.c - `dedup cluster`: group every document of a corpus into
 * clusters of near-duplicates and print each document's cluster.
 *
 * Pipeline: the main thread reads and parses documents into a chunk (their
 * texts and a little metadata), while worker threads sign the previous chunk
 * with one dedup_hasher each and store the signatures with dedup_batch_set
 * at the documents' positions. The batch grows (dedup_batch_resize) only
 * between chunks, when no worker is running, as the library requires. Texts
 * are dropped once signed, so memory is the signatures plus the ids, not
 * the corpus. Positions are fixed by input order and clustering is
 * deterministic, so the output does not depend on -j.
 *
 * Nothing is written to stdout before every document has been read, so a
 * bad document stops the run with no partial output. --output jsonl and
 * report need the records again: the inputs are read a second time (stdin
 * from a temporary copy), instead of keeping records in memory.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cluster.h"
#include "explain.h"
#include "input.h"
#include "progress.h"

static const char help_text[] =
    "Usage: dedup cluster [OPTIONS] [FILE...]\n"
    "\n"
    "Group the documents of FILEs (or stdin; '-' is stdin) into clusters of\n"
    "near-duplicates. gzip and zstd input is recognised and read transparently.\n"
    "\n"
    "Input:\n"
    "  --input-format FMT    jsonl (default): one JSON object a line;\n"
    "                        lines: one document a line, id = line number;\n"
    "                        files: directory trees of .txt files, id = path;\n"
    "                        csv: comma-separated with a header row naming\n"
    "                        the columns (RFC 4180 quoting)\n"
    "  --id-field NAME       JSONL id field (default id; string or number; when\n"
    "                        missing, the line number counted over all inputs)\n"
    "  --text-field LIST     JSONL text fields, comma-separated, joined with a\n"
    "                        newline (default title,text: the headline is\n"
    "                        compared too; missing fields are left out)\n"
    "  --site-field NAME     JSONL field naming the page's site, or a URL whose\n"
    "                        host does (default url; '' for none): short lines\n"
    "                        on 2-3 pages of one site are its furniture\n"
    "  --max-doc-bytes N     longest document accepted (default 64M)\n"
    "  --on-error ACTION     fail (default): stop at a bad document, exit 1;\n"
    "                        skip: skip it and count it in --stats\n"
    "Similarity:\n"
    "  --threshold T         similarity at or above which documents are\n"
    "                        duplicates, in (0, 1] (default 0.40)\n"
    "  --measure M           containment (default) or jaccard\n"
    "  --mode M              representative (default): join the first earlier\n"
    "                        representative; transitive: all chains of pairs\n"
    "  --shingle-size N      words per shingle (default 4)\n"
    "  --char-shingle-size N characters per shingle for Chinese, Japanese...\n"
    "                        (default 8; Korean: --param hangul_shingle_size,\n"
    "                        default 5)\n"
    "  --num-hashes N        MinHash signature length (default 128)\n"
    "  --boilerplate N       leave out lines found in N or more documents (site\n"
    "                        navigation, notices, headline lists): a first pass\n"
    "                        counts them (default 20; 'off' for one pass)\n"
    "  --seed N              hash seed (default 0)\n"
    "  --param NAME=VALUE    any library parameter by name (bands, rows,\n"
    "                        max_size_ratio, hangul_chars, normalize...)\n"
    "Output:\n"
    "  --output FMT          tsv (default): id<TAB>cluster for every document,\n"
    "                        cluster = id of the cluster's first document;\n"
    "                        jsonl: each record with \"cluster\", \"duplicate_of\"\n"
    "                        and \"similarity\" added; report: clusters largest\n"
    "                        first, for reading\n"
    "  --explain             jsonl: add \"explain\" to each record: what the\n"
    "                        comparison left out of it and, for a duplicate,\n"
    "                        the passages it shares with its cluster's first\n"
    "                        document (see 'dedup explain')\n"
    "  --min-size N          report: smallest cluster shown (default 2)\n"
    "  -j, --threads N       signing threads (default: all cores); the output\n"
    "                        is the same for every N\n"
    "  --stats[=FORMAT]      print a summary on stderr: text (default) or json\n"
    "  -q, --quiet           no progress line\n"
    "  -h, --help            show this help\n";

enum { OPT_EXPLAIN = 3000 };


/* One worker: its own hasher and signature; signs documents of the current
 * job in small blocks taken from a shared counter. */
/* The site of document i of c (NULL and 0 when it has none). */
static const char *chunk_site(const chunk *c, size_t i, size_t *len)
{
    *len = c->soff[i + 1] - c->soff[i];
    return *len ? c->site.data + c->soff[i] : NULL;
}

static void *worker(void *arg)
{
    pool *p = arg;
    dedup_hasher *h = NULL;
    dedup_signature *sig = NULL;
    int err = dedup_hasher_create(&h, p->params);
    if (!err && p->lines)
        err = dedup_hasher_set_linestats(h, p->lines, p->lines_min);
    if (!err)
        err = dedup_signature_create(&sig, p->params);
    unsigned seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->gen == seen)
            pthread_cond_wait(&p->work_cv, &p->mu);
        if (p->quit)
            break;
        seen = p->gen;
        chunk *c = p->job;
        pthread_mutex_unlock(&p->mu);
        uint64_t replaced = 0;
        size_t first_bad = SIZE_MAX;
        for (;;) {
            size_t i = atomic_fetch_add(&p->next, 16);
            if (i >= c->n || err)
                break;
            size_t end = i + 16 < c->n ? i + 16 : c->n;
            for (; i < end && !err; i++) {
                size_t sl;
                const char *site = chunk_site(c, i, &sl);
                err = dedup_hasher_set_site(h, site, sl);
                if (!err)
                    err = dedup_hasher_sign(h, c->text.data + c->off[i],
                                            c->off[i + 1] - c->off[i], sig);
                if (!err)
                    err = dedup_batch_set(p->batch, c->base + i, sig);
                size_t r = h ? dedup_hasher_replaced(h) : 0;
                if (r) {
                    replaced += r;
                    if (i < first_bad)
                        first_bad = i;
                }
            }
        }
        pthread_mutex_lock(&p->mu);
        p->replaced += replaced;
        if (first_bad < p->first_bad)
            p->first_bad = first_bad;
        if (err && !p->err)
            p->err = err;
        if (--p->running == 0)
            pthread_cond_signal(&p->done_cv);
    }
    pthread_mutex_unlock(&p->mu);
    dedup_signature_free(sig);
    dedup_hasher_free(h);
    return NULL;
}

static int pool_start(pool *p, unsigned n, const dedup_params *params,
                      const dedup_linestats *lines, uint32_t lines_min, dedup_batch *b)
{
    memset(p, 0, sizeof *p);
    p->params = params;
    p->lines = lines;
    p->lines_min = lines_min;
    p->batch = b;
    p->first_bad = SIZE_MAX;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    p->threads = calloc(n, sizeof *p->threads);
    if (!p->threads)
        return CLI_ENOMEM;
    p->nthreads = n;
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p))
            return CLI_ENOMEM;
        p->started++;
    }
    return CLI_OK;
}

/* Wait until the current job (if any) is done. */
static void pool_wait(pool *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->running)
        pthread_cond_wait(&p->done_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

/* Hand c to the workers; the pool must be idle. */
static void pool_run(pool *p, chunk *c)
{
    pthread_mutex_lock(&p->mu);
    p->job = c;
    p->first_bad = SIZE_MAX;
    atomic_store(&p->next, 0);
    p->running = p->started;
    p->gen++;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
}

static void pool_stop(pool *p)
{
    pool_wait(p);
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->started; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work_cv);
    pthread_cond_destroy(&p->done_cv);
}

static int chunk_init(chunk *c)
{
    memset(c, 0, sizeof *c);
    c->off = malloc((CHUNK_DOCS + 1) * sizeof *c->off);
    c->soff = malloc((CHUNK_DOCS + 1) * sizeof *c->soff);
    c->file = malloc(CHUNK_DOCS * sizeof *c->file);
    c->line = malloc(CHUNK_DOCS * sizeof *c->line);
    return c->off && c->soff && c->file && c->line ? CLI_OK : CLI_ENOMEM;
}

static void chunk_free(chunk *c)
{
    cli_buf_free(&c->text);
    cli_buf_free(&c->site);
    free(c->off);
    free(c->soff);
    free(c->file);
    free(c->line);
    memset(c, 0, sizeof *c); /* may be freed again */
}

/* Start filling c. */
static void chunk_clear(chunk *c)
{
    c->n = 0;
    c->text.len = 0;
    c->site.len = 0;
    c->off[0] = 0;
    c->soff[0] = 0;
}

/* Append d's text and site to c; CLI_OK or CLI_ENOMEM. */
static int chunk_push(chunk *c, const cli_doc *d)
{
    if (cli_buf_add(&c->text, d->text, d->text_len) ||
        (d->site_len && cli_buf_add(&c->site, d->site, d->site_len)))
        return CLI_ENOMEM;
    c->n++;
    c->off[c->n] = c->text.len;
    c->soff[c->n] = c->site.len;
    return CLI_OK;
}

/* After a job: report the first invalid UTF-8 and library errors. */
static int pool_check(pool *p, chunk *c)
{
    if (p->first_bad != SIZE_MAX && c)
        cli_warn_utf8(c->file[p->first_bad], c->line[p->first_bad]);
    if (p->err) {
        cli_msg("signing failed: %s", dedup_strerror(p->err));
        return EXIT_INTERNAL;
    }
    return 0;
}

/* ------------------------------------------------------------ output */

/* Append the first line of s (at most max bytes, cut on a UTF-8 character
 * boundary) to b. */
int cluster_first_line(cli_buf *b, const char *s, size_t n, size_t max)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
        i++;
    size_t start = i;
    while (i < n && s[i] != '\n' && s[i] != '\r' && i - start < max)
        i++;
    if (i - start >= max)
        while (i > start && ((unsigned char)s[i] & 0xC0) == 0x80)
            i--;
    for (size_t k = start; k < i; k++) {
        char ch = s[k] == '\t' ? ' ' : s[k];
        if (cli_buf_addc(b, ch))
            return CLI_ENOMEM;
    }
    return cli_buf_addc(b, 0);
}

size_t cluster_size(const cluster_run *run, size_t rep)
{
    if (!run->rep)
        return dedup_clusters_size_of(run->clusters, rep);
    /* Over ranks, members may be elsewhere: a first document that is in a
     * pair is kept as if its cluster had more to come. */
    return rep < run->ids.count && run->paired && run->paired[rep] ? SIZE_MAX : 1;
}

size_t cluster_rep(const cluster_run *run, size_t i)
{
    return run->rep ? run->rep[i] : dedup_clusters_of(run->clusters, i);
}

double cluster_sim(const cluster_run *run, size_t i)
{
    return run->sim ? run->sim[i] : dedup_clusters_similarity(run->clusters, i);
}

/* The id of document x of cluster_rep's numbering, and its JSON. */
static const char *rep_id(const cluster_run *run, size_t x)
{
    size_t n = run->ids.count;
    return x < n ? cli_ids_get(&run->ids, x, NULL) : cli_ids_get(&run->foreign, x - n, NULL);
}

static int rep_json(cli_buf *out, const cluster_run *run, size_t x)
{
    size_t n = run->ids.count;
    return x < n ? cli_ids_json(out, &run->ids, x) : cli_ids_json(out, &run->foreign, x - n);
}

/* Write one JSONL output record for document i into out. */
static int jsonl_record(cli_buf *out, const cli_doc *d, int format, const cluster_run *run,
                        size_t i)
{
    const cli_ids *ids = &run->ids;
    size_t rep = cluster_rep(run, i);
    out->len = 0;
    if (format == CLI_FMT_JSONL) {
        /* The record unchanged, with our fields before its closing brace. */
        if (cli_record_open(out, d->raw, d->raw_len))
            return CLI_ENOMEM;
    } else {
        if (cli_buf_add(out, "{\"id\":", 6) || cli_ids_json(out, ids, i) ||
            cli_buf_add(out, ",\"text\":", 8) ||
            cli_buf_json_string(out, d->text, d->text_len) || cli_buf_addc(out, ','))
            return CLI_ENOMEM;
    }
    if (cli_buf_add(out, "\"cluster\":", 10) || rep_json(out, run, rep) ||
        cli_buf_add(out, ",\"duplicate_of\":", 16))
        return CLI_ENOMEM;
    if (rep == i ? cli_buf_add(out, "null", 4) : rep_json(out, run, rep))
        return CLI_ENOMEM;
    return cli_buf_printf(out, ",\"similarity\":%.4f}\n", cluster_sim(run, i));
}


/* Counting one chunk's documents, on a thread of its own. */
typedef struct count_job {
    dedup_linestats *lines;
    const chunk *c;
    int rc;
} count_job;

static void *count_chunk(void *arg)
{
    count_job *j = arg;
    const chunk *c = j->c;
    j->rc = DEDUP_OK;
    for (size_t i = 0; i < c->n && j->rc == DEDUP_OK; i++) {
        size_t sl;
        const char *site = chunk_site(c, i, &sl);
        j->rc = dedup_linestats_add_site(j->lines, site, sl, c->text.data + c->off[i],
                                         c->off[i + 1] - c->off[i]);
    }
    return NULL;
}

/* Read the next documents' texts into c, up to a chunk's worth: 1 when c
 * is full, 0 when the reader ran out, -1 with *status set after a
 * message. */
static int count_fill(cluster_run *run, const cluster_opts *o, chunk *c, cli_progress *prog,
                      uint64_t *n, int *status)
{
    cli_doc d;
    int rc = 0;
    chunk_clear(c);
    while (c->n < CHUNK_DOCS && c->text.len < CHUNK_BYTES &&
           (rc = cli_next_doc(run->reader, &d, &o->io, &run->skipped, status)) == 1) {
        if (chunk_push(c, &d)) {
            cli_msg("out of memory");
            *status = EXIT_INTERNAL;
            return -1;
        }
        cli_progress_update(prog, ++*n, cli_reader_raw_bytes(run->reader));
    }
    if (rc < 0)
        return -1;
    return c->n == CHUNK_DOCS || c->text.len >= CHUNK_BYTES;
}

/* Wait for the counting thread, if one runs; its status. */
static int count_join(pthread_t *th, int *running, const count_job *job)
{
    if (!*running)
        return DEDUP_OK;
    pthread_join(*th, NULL);
    *running = 0;
    return job->rc;
}

/*
 * First pass for boilerplate filtering: count in how many documents each
 * line appears, then rewind the reader. A bad document is reported here,
 * before anything is signed; with --on-error=skip the second pass counts
 * the skipped documents again, so the counters are reset.
 *
 * With two threads or more, reading (parsing the JSON) and counting
 * overlap: the main thread fills one chunk with texts while another
 * thread counts the chunk before. The chunks are counted one after the
 * other in input order, so the counts are those of one thread (the
 * sketch's conservative update depends on the order of the documents).
 * Reading and parsing the JSON, on the main thread, bound the pass.
 */
static int count_lines(cluster_run *run, const cluster_opts *o)
{
    int status = EXIT_OK, rc;
    cli_doc d;
    /* About two counters per distinct line: news lines average well over
     * 64 bytes, and compressed input is counted at its compressed size,
     * so bytes / 32 is generous. Unknown sizes (stdin) get 2^24. */
    uint64_t total = cli_reader_total_bytes(run->reader);
    size_t width = total ? (size_t)(total / 32) : (size_t)1 << 24;
    if (width < ((size_t)1 << 16))
        width = (size_t)1 << 16;
    if (width > ((size_t)1 << 26))
        width = (size_t)1 << 26;
    if ((rc = dedup_linestats_create(&run->lines, width))) {
        cli_msg("cannot create line statistics: %s", dedup_strerror(rc));
        return EXIT_INTERNAL;
    }
    cli_progress prog;
    cli_progress_start(&prog, o->quiet, "counting lines", cli_reader_total_bytes(run->reader));
    uint64_t n = 0;
    if (o->nthreads >= 2) {
        pthread_t th;
        count_job job = {run->lines, NULL, DEDUP_OK};
        int running = 0, cur = 0, more;
        do {
            chunk *c = &run->ch[cur];
            more = count_fill(run, o, c, &prog, &n, &status);
            rc = count_join(&th, &running, &job);
            if (more < 0)
                return status == EXIT_OK ? EXIT_INTERNAL : status;
            if (rc == DEDUP_OK && c->n) {
                job.c = c;
                if (pthread_create(&th, NULL, count_chunk, &job) == 0) {
                    running = 1;
                } else { /* no thread: count here */
                    count_chunk(&job);
                    rc = job.rc;
                }
                cur ^= 1;
            }
            if (rc) {
                cli_msg("cannot count lines: %s", dedup_strerror(rc));
                return EXIT_INTERNAL;
            }
        } while (more);
        if ((rc = count_join(&th, &running, &job))) {
            cli_msg("cannot count lines: %s", dedup_strerror(rc));
            return EXIT_INTERNAL;
        }
    } else {
        while ((rc = cli_next_doc(run->reader, &d, &o->io, &run->skipped, &status)) == 1) {
            if ((rc = dedup_linestats_add_site(run->lines, d.site, d.site_len, d.text,
                                               d.text_len))) {
                cli_msg("cannot count lines: %s", dedup_strerror(rc));
                return EXIT_INTERNAL;
            }
            cli_progress_update(&prog, ++n, cli_reader_raw_bytes(run->reader));
        }
        if (rc < 0)
            return status == EXIT_OK ? EXIT_INTERNAL : status;
    }
    cli_progress_end(&prog);
    if (cli_reader_rewind(run->reader)) {
        cli_msg("%s", cli_reader_error(run->reader));
        return EXIT_IO;
    }
    run->skipped = 0;
    return EXIT_OK;
}

static int out_check(void)
{
    if (fflush(stdout) || ferror(stdout)) {
        cli_msg("cannot write the output");
        return EXIT_IO;
    }
    return 0;
}

static int write_tsv(cluster_run *run)
{
    size_t n = run->ids.count;
    for (size_t i = 0; i < n; i++) {
        const char *a = cli_ids_get(&run->ids, i, NULL), *b = rep_id(run, cluster_rep(run, i));
        cli_put_safe(stdout, a, strlen(a));
        putchar('\t');
        cli_put_safe(stdout, b, strlen(b));
        putchar('\n');
    }
    return out_check();
}

/*
 * --explain: the "explain" object of document i (text d), appended to out
 * in place of the record's closing brace. open[r] holds the analysed first
 * document r of each cluster whose other documents are still to come, so
 * that the texts kept are those of the clusters not yet complete; left[r]
 * counts those documents.
 */
typedef struct explainer {
    dedup_hasher *h;
    cli_side **open;
    size_t *left;
} explainer;

#define EXPLAIN_OPEN ",\"explain\":{\"left_out\":"

static int explain_record(explainer *x, cli_buf *out, const cli_doc *d,
                          const cluster_run *run, size_t i)
{
    size_t rep = cluster_rep(run, i), size = cluster_size(run, rep);
    cli_side me;
    memset(&me, 0, sizeof me);
    if (!(me.text = malloc(d->text_len + 1)))
        return CLI_ENOMEM;
    memcpy(me.text, d->text, d->text_len);
    me.text_len = d->text_len;
    if (d->site_len && !(me.site = cli_strndup(d->site, d->site_len))) {
        cli_side_free(&me);
        return CLI_ENOMEM;
    }
    me.site_len = d->site_len;
    int rc = cli_side_analyse(x->h, &me) ? CLI_ENOMEM : CLI_OK;
    out->len -= 2; /* the closing brace and the newline */
    if (!rc)
        rc = cli_buf_add(out, EXPLAIN_OPEN, sizeof EXPLAIN_OPEN - 1) ||
             cli_side_json_left_out(out, &me);
    if (!rc && rep != i && x->open[rep]) {
        cli_side *r = x->open[rep];
        if (cli_side_mark_shared(&me, r))
            rc = CLI_ENOMEM;
        if (!rc)
            rc = cli_buf_printf(out, ",\"tokens\":%zu,\"shared_tokens\":%zu,\"passages\":",
                                me.ntok, me.shared_tokens) ||
                 cli_side_json_passages(out, &me, 3, 300);
        if (--x->left[rep] == 0) {
            cli_side_free(r);
            free(r);
            x->open[rep] = NULL;
        }
    }
    if (!rc)
        rc = cli_buf_add(out, "}}\n", 3);
    if (!rc && rep == i && size > 1) {
        /* Keep this first document for the rest of its cluster. */
        x->open[i] = malloc(sizeof me);
        if (!x->open[i])
            rc = CLI_ENOMEM;
        else {
            *x->open[i] = me;
            x->left[i] = size - 1;
            return CLI_OK;
        }
    }
    cli_side_free(&me);
    return rc ? CLI_ENOMEM : CLI_OK;
}

static int write_jsonl(cluster_run *run, const cluster_opts *o)
{
    cli_buf out = {0};
    cli_doc d;
    int status = 0;
    uint64_t skipped = 0;
    size_t i = 0;
    explainer x = {0};
    if (cli_reader_rewind(run->reader)) {
        cli_msg("%s", cli_reader_error(run->reader));
        return EXIT_IO;
    }
    size_t nopen = run->ids.count + run->foreign.count;
    if (o->explain) {
        size_t n = nopen ? nopen : 1;
        x.open = calloc(n, sizeof *x.open);
        x.left = calloc(n, sizeof *x.left);
        if (!x.open || !x.left || dedup_hasher_create(&x.h, run->params) ||
            (run->lines && dedup_hasher_set_linestats(x.h, run->lines, o->boilerplate))) {
            cli_msg("out of memory");
            status = EXIT_INTERNAL;
            goto done;
        }
    }
#ifdef HAVE_MPI
    /* Over ranks: the first documents of clusters read elsewhere. */
    if (o->explain && run->mpi && cluster_mpi_far_sides(run, o, x.h, x.open)) {
        status = EXIT_INTERNAL;
        goto done;
    }
#endif
    int rc;
    while ((rc = cli_next_doc(run->reader, &d, &o->io, &skipped, &status)) == 1) {
        if (i >= run->ids.count) {
            cli_msg("the input changed while it was read twice");
            status = EXIT_IO;
            goto done;
        }
        if (jsonl_record(&out, &d, o->io.format, run, i) ||
            (o->explain && explain_record(&x, &out, &d, run, i))) {
            cli_msg("out of memory");
            status = EXIT_INTERNAL;
            goto done;
        }
        fwrite(out.data, 1, out.len, stdout);
        i++;
    }
    if (rc < 0)
        goto done;
    if (i != run->ids.count) {
        cli_msg("the input changed while it was read twice");
        status = EXIT_IO;
        goto done;
    }
    status = out_check();
done:
    if (x.open)
        for (size_t k = 0; k < nopen; k++)
            if (x.open[k]) {
                cli_side_free(x.open[k]);
                free(x.open[k]);
            }
    free(x.open);
    free(x.left);
    dedup_hasher_free(x.h);
    cli_buf_free(&out);
    return status;
}

typedef struct rep_size {
    size_t rep, size;
} rep_size;

static int by_size(const void *a, const void *b)
{
    const rep_size *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return x->rep < y->rep ? -1 : x->rep > y->rep;
}

/* What --output report shows: the clusters of --min-size documents or
 * more, largest first, with their members and the members' titles. */
typedef struct report {
    size_t n;         /* documents */
    rep_size *sel;    /* the clusters shown, largest first */
    size_t nsel;
    size_t *slot;     /* rep -> selected slot */
    size_t *start;    /* slot -> first of its members; start[nsel]: all shown */
    size_t *members;  /* the documents shown, by slot */
    uint64_t *title;  /* doc -> title offset */
    cli_buf titles;
} report;

/* Choose the clusters shown and sort them, largest first. CLI_OK or
 * CLI_ENOMEM. */
static int report_select(report *rp, const dedup_clusters *c, size_t min_size)
{
    size_t n = rp->n;
    rp->slot = malloc((n ? n : 1) * sizeof *rp->slot);
    rp->title = malloc((n ? n : 1) * sizeof *rp->title);
    if (!rp->slot || !rp->title)
        return CLI_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        rp->slot[i] = SIZE_MAX;
        rp->title[i] = UINT64_MAX;
    }
    size_t nsel = 0;
    for (size_t i = 0; i < n; i++)
        if (dedup_clusters_of(c, i) == i && dedup_clusters_size_of(c, i) >= min_size)
            nsel++;
    rp->sel = malloc((nsel ? nsel : 1) * sizeof *rp->sel);
    rp->start = calloc(nsel + 1, sizeof *rp->start);
    if (!rp->sel || !rp->start)
        return CLI_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (dedup_clusters_of(c, i) == i && dedup_clusters_size_of(c, i) >= min_size)
            rp->sel[rp->nsel++] = (rep_size){i, dedup_clusters_size_of(c, i)};
    qsort(rp->sel, rp->nsel, sizeof *rp->sel, by_size);
    for (size_t k = 0; k < rp->nsel; k++) {
        rp->slot[rp->sel[k].rep] = k;
        rp->start[k + 1] = rp->start[k] + rp->sel[k].size;
    }
    return CLI_OK;
}

/* The members of the clusters shown. CLI_OK or CLI_ENOMEM. */
static int report_members(report *rp, const dedup_clusters *c)
{
    size_t shown_docs = rp->start[rp->nsel];
    rp->members = malloc((shown_docs ? shown_docs : 1) * sizeof *rp->members);
    if (!rp->members)
        return CLI_ENOMEM;
    /* Members in input order, grouped by slot (a counting sort). */
    size_t *fill = calloc(rp->nsel + 1, sizeof *fill);
    if (!fill)
        return CLI_ENOMEM;
    for (size_t i = 0; i < rp->n; i++) {
        size_t s = rp->slot[dedup_clusters_of(c, i)];
        if (s != SIZE_MAX)
            rp->members[rp->start[s] + fill[s]++] = i;
    }
    free(fill);
    return CLI_OK;
}

/* Returned by report_titles when the report is to be printed: exit
 * statuses are not negative. */
#define REPORT_GO_ON (-1)

/* Second pass over the input for the titles of the members shown.
 * REPORT_GO_ON, or the exit status after a message. */
static int report_titles(report *rp, cluster_run *run, const cluster_opts *o)
{
    const dedup_clusters *c = run->clusters;
    cli_doc d;
    uint64_t skipped = 0;
    int rc, st = 0;
    size_t i = 0;
    if (!rp->start[rp->nsel])
        return REPORT_GO_ON; /* no document shown */
    if (cli_reader_rewind(run->reader)) {
        cli_msg("%s", cli_reader_error(run->reader));
        return EXIT_IO;
    }
    while ((rc = cli_next_doc(run->reader, &d, &o->io, &skipped, &st)) == 1 && i < rp->n) {
        if (rp->slot[dedup_clusters_of(c, i)] != SIZE_MAX) {
            rp->title[i] = rp->titles.len;
            int e = d.title ? cluster_first_line(&rp->titles, d.title, d.title_len, 100)
                            : cluster_first_line(&rp->titles, d.text, d.text_len, 100);
            if (e) {
                cli_msg("out of memory");
                return EXIT_INTERNAL;
            }
        }
        i++;
    }
    return rc < 0 ? st : REPORT_GO_ON;
}

static void report_print(const report *rp, const cluster_run *run, const cluster_opts *o)
{
    const dedup_clusters *c = run->clusters;
    printf("%zu documents in %zu clusters; shown: the %zu clusters of %zu or more "
           "documents, largest first\n",
           rp->n, dedup_clusters_count(c), rp->nsel, o->min_size);
    for (size_t k = 0; k < rp->nsel; k++) {
        printf("\ncluster %zu: %zu documents\n", k + 1, rp->sel[k].size);
        for (size_t m = rp->start[k]; m < rp->start[k + 1]; m++) {
            size_t i = rp->members[m];
            const char *id = cli_ids_get(&run->ids, i, NULL),
                       *t = rp->title[i] != UINT64_MAX ? rp->titles.data + rp->title[i] : "";
            printf("  %.3f  ", dedup_clusters_similarity(c, i));
            cli_put_safe(stdout, id, strlen(id));
            fputs("  ", stdout);
            cli_put_safe(stdout, t, strlen(t));
            putchar('\n');
        }
    }
}

static void report_free(report *rp)
{
    free(rp->slot);
    free(rp->title);
    free(rp->sel);
    free(rp->start);
    free(rp->members);
    cli_buf_free(&rp->titles);
}

static int write_report(cluster_run *run, const cluster_opts *o)
{
    report rp;
    int status;
    memset(&rp, 0, sizeof rp);
    rp.n = run->ids.count;
    if (report_select(&rp, run->clusters, o->min_size) ||
        report_members(&rp, run->clusters)) {
        cli_msg("out of memory");
        status = EXIT_INTERNAL;
    } else if ((status = report_titles(&rp, run, o)) == REPORT_GO_ON) {
        report_print(&rp, run, o);
        status = out_check();
    }
    report_free(&rp);
    return status;
}

/* ------------------------------------------------------------ main */

static void print_stats(const cluster_run *run, uint64_t replaced, double t_read,
                        double t_cluster, double t_out, int json)
{
    const dedup_clusters *c = run->clusters;
    size_t n = run->ids.count, largest = 0, reps = 0;
    /* Cluster sizes in classes 1, 2, 3-5, 6-10, 11-100, 101-1000, more. */
    static const size_t upper[] = {1, 2, 5, 10, 100, 1000, SIZE_MAX};
    static const char *const label[] = {"1", "2", "3-5", "6-10", "11-100", "101-1000", ">1000"};
    size_t hist[7] = {0};
    for (size_t i = 0; i < n; i++) {
        size_t s = dedup_clusters_size_of(c, i);
        if (s > largest)
            largest = s;
        if (dedup_clusters_of(c, i) == i) {
            reps++;
            size_t k = 0;
            while (s > upper[k])
                k++;
            hist[k]++;
        }
    }
    size_t verified, candidates = dedup_clusters_candidates(c, &verified);
    if (json) {
        fprintf(stderr,
                "{\"documents\":%zu,\"skipped\":%llu,\"duplicate_ids\":%llu,\"clusters\":%zu,"
                "\"duplicates\":%zu,\"largest_cluster\":%zu,\"cluster_sizes\":{",
                n, (unsigned long long)run->skipped, (unsigned long long)run->dup_ids,
                dedup_clusters_count(c), n - reps, largest);
        for (int k = 0, first = 1; k < 7; k++)
            if (hist[k]) {
                fprintf(stderr, "%s\"%s\":%zu", first ? "" : ",", label[k], hist[k]);
                first = 0;
            }
        fprintf(stderr,
                "},\"candidate_pairs\":%zu,\"verified_pairs\":%zu,\"invalid_utf8\":%llu,"
                "\"bytes_read\":%llu,\"bytes_decompressed\":%llu,\"seconds_read_sign\":%.3f,"
                "\"seconds_cluster\":%.3f,\"seconds_output\":%.3f,\"peak_memory_bytes\":%llu}\n",
                candidates, verified, (unsigned long long)replaced,
                (unsigned long long)cli_reader_raw_bytes(run->reader),
                (unsigned long long)cli_reader_bytes(run->reader), t_read, t_cluster, t_out,
                (unsigned long long)cli_peak_rss());
        return;
    }
    fprintf(stderr,
            "documents        %zu\n"
            "skipped          %llu\n"
            "duplicate ids    %llu\n"
            "clusters         %zu\n"
            "duplicates       %zu\n"
            "largest cluster  %zu\n"
            "cluster sizes   ",
            n, (unsigned long long)run->skipped, (unsigned long long)run->dup_ids,
            dedup_clusters_count(c), n - reps, largest);
    for (int k = 0; k < 7; k++)
        if (hist[k])
            fprintf(stderr, " %s:%zu", label[k], hist[k]);
    fprintf(stderr,
            "\n"
            "candidate pairs  %zu (%zu duplicates)\n"
            "invalid utf-8    %llu\n"
            "bytes read       %llu (%llu decompressed)\n"
            "time read+sign   %.3f s\n"
            "time cluster     %.3f s\n"
            "time output      %.3f s\n"
            "peak memory      %.1f MB\n",
            candidates, verified, (unsigned long long)replaced,
            (unsigned long long)cli_reader_raw_bytes(run->reader),
            (unsigned long long)cli_reader_bytes(run->reader), t_read, t_cluster, t_out,
            (double)cli_peak_rss() / 1e6);
}

/* Returned by the option parsing when the command is to run: exit
 * statuses are not negative. */
#define CLUSTER_GO_ON (-1)

/* One option of the command line (not a common one): CLUSTER_GO_ON, or
 * the exit status after --help or a message. */
static int cluster_option(cluster_opts *o, int opt, const char *arg)
{
    int64_t v;
    switch (opt) {
    case 'h':
        fputs(help_text, stdout);
        return EXIT_OK;
    case 'j':
        if (cli_parse_threads(arg, &v))
            return cli_usage_error("cluster");
        o->nthreads = (unsigned)v;
        break;
    case 'q':
        o->quiet = 1;
        break;
    case OPT_STATS:
        if ((o->stats = cli_parse_stats(arg)) < 0)
            return cli_usage_error("cluster");
        break;
    case OPT_EXPLAIN:
        o->explain = 1;
        break;
    case OPT_BOILERPLATE:
        if (cli_parse_boilerplate(arg, &o->boilerplate))
            return cli_usage_error("cluster");
        break;
    case OPT_MIN_SIZE:
        if (cli_parse_int(arg, 1, INT64_MAX, &v)) {
            cli_msg("invalid --min-size '%s'", arg);
            return cli_usage_error("cluster");
        }
        o->min_size = (size_t)v;
        break;
    case OPT_OUTPUT:
        if (!strcmp(arg, "tsv"))
            o->output = OUT_TSV;
        else if (!strcmp(arg, "jsonl"))
            o->output = OUT_JSONL;
        else if (!strcmp(arg, "report"))
            o->output = OUT_REPORT;
        else {
            cli_msg("invalid --output '%s' (tsv, jsonl or report)", arg);
            return cli_usage_error("cluster");
        }
        break;
    default:
        return cli_usage_error("cluster");
    }
    return CLUSTER_GO_ON;
}

/* Read the command line into o: CLUSTER_GO_ON, or the exit status after
 * --help or a message. */
static int cluster_parse(cluster_opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_INPUT_OPTIONS,
        CLI_PARAM_OPTIONS,
        {"output", 1, 0, OPT_OUTPUT},
        {"min-size", 1, 0, OPT_MIN_SIZE},
        {"explain", 0, 0, OPT_EXPLAIN},
        {"boilerplate", 1, 0, OPT_BOILERPLATE},
        {"threads", 1, 0, 'j'},
        {"stats", 2, 0, OPT_STATS},
        {"quiet", 0, 0, 'q'},
        {"help", 0, 0, 'h'},
        {0, 0, 0, 0},
    };
    int opt, status;
    memset(o, 0, sizeof *o);
    cli_input_defaults(&o->io);
    o->min_size = 2;
    o->boilerplate = CLI_BOILERPLATE_DEFAULT;
    o->nthreads = cli_ncpus();
    optind = 1;
    while ((opt = getopt_long(argc, argv, "j:qh", longopts, NULL)) != -1) {
        int h = cli_common_option(opt, optarg, &o->io, &o->po);
        if (h < 0)
            return cli_usage_error("cluster");
        if (h)
            continue;
        if ((status = cluster_option(o, opt, optarg)) != CLUSTER_GO_ON)
            return status;
    }
    if (o->explain && o->output != OUT_JSONL) {
        cli_msg("--explain goes with --output jsonl");
        return cli_usage_error("cluster");
    }
    o->files = argv + optind;
    o->nfiles = (size_t)(argc - optind);
    return CLUSTER_GO_ON;
}

/* An empty run, which cluster_free can free whatever happens next. */
static void cluster_init(cluster_run *run, const dedup_params *params)
{
    memset(run, 0, sizeof *run);
    run->params = params;
    run->chunks_ok = chunk_init(&run->ch[0]) == CLI_OK && chunk_init(&run->ch[1]) == CLI_OK;
}

/* Open what a run needs: the input, the batch, the boilerplate counts
 * (count_lines) and the signing threads. EXIT_OK, or the exit status
 * after a message. */
int cluster_open(cluster_run *run, const cluster_opts *o)
{
    int rc, status = cli_open_reader(&run->reader, &o->io, o->files, o->nfiles,
                                     o->output != OUT_TSV || o->boilerplate);
    if (status)
        return status;
    if (!run->chunks_ok) {
        cli_msg("out of memory");
        return EXIT_INTERNAL;
    }
    if ((rc = dedup_batch_create(&run->batch, run->params))) {
        cli_msg("cannot create the batch: %s", dedup_strerror(rc));
        return EXIT_INTERNAL;
    }
    run->pool_ok = 1; /* pool_stop copes with a pool that failed to start */
#ifdef HAVE_MPI
    if (run->mpi && (status = cluster_mpi_split(run, o)) != EXIT_OK)
        return status;
    if (run->mpi && o->boilerplate && (status = cluster_mpi_lines(run, o)) != EXIT_OK)
        return status;
    if (!run->mpi && o->boilerplate && (status = count_lines(run, o)) != EXIT_OK)
        return status;
#else
    if (o->boilerplate && (status = count_lines(run, o)) != EXIT_OK)
        return status;
#endif
    if (pool_start(&run->pl, o->nthreads, run->params, run->lines, o->boilerplate,
                   run->batch)) {
        cli_msg("cannot start the signing threads");
        return EXIT_INTERNAL;
    }
    return EXIT_OK;
}

/* Read the next documents into c, up to a chunk's worth: their texts
 * (kept until signed), their ids and where they were read. 1 when c is
 * full, 0 when the reader ran out, -1 with *status set after a message. */
static int chunk_fill(cluster_run *run, const cluster_opts *o, chunk *c, cli_progress *prog,
                      int *status)
{
    cli_doc d;
    int rc = 0;
    chunk_clear(c);
    c->base = run->ids.count;
    while (c->n < CHUNK_DOCS && c->text.len < CHUNK_BYTES &&
           (rc = cli_next_doc(run->reader, &d, &o->io, &run->skipped, status)) == 1) {
        c->file[c->n] = d.file;
        c->line[c->n] = d.line;
        if (chunk_push(c, &d) || cli_ids_push(&run->ids, d.id, d.id_len, d.id_kind)) {
            cli_msg("out of memory");
            *status = EXIT_INTERNAL;
            return -1;
        }
        run->json_replaced += d.replaced;
        cli_progress_update(prog, run->ids.count, cli_reader_raw_bytes(run->reader));
    }
    if (rc < 0) {
        if (*status == EXIT_OK) /* interrupted: cluster never stops half-way */
            *status = EXIT_INTERNAL;
        return -1;
    }
    return c->n == CHUNK_DOCS || c->text.len >= CHUNK_BYTES;
}

/* Read and sign every document: the main thread fills one chunk while
 * the workers sign the other. Then count the duplicate ids. EXIT_OK, or
 * the exit status after a message. */
int cluster_read(cluster_run *run, const cluster_opts *o)
{
    cli_progress prog;
    int status = EXIT_OK, more, cur = 0, busy = -1;
    cli_progress_start(&prog, o->quiet, "reading", cli_reader_total_bytes(run->reader));
    run->t0 = cli_now();
    do {
        chunk *c = &run->ch[cur];
        if ((more = chunk_fill(run, o, c, &prog, &status)) < 0)
            return status;
        /* Wait for the previous chunk, then grow the batch while no worker
         * runs, and hand this chunk over. */
        pool_wait(&run->pl);
        if (busy >= 0 && (status = pool_check(&run->pl, &run->ch[busy])))
            return status;
        busy = -1;
        if (c->n) {
            int rc = dedup_batch_resize(run->batch, run->ids.count);
            if (rc) {
                cli_msg("cannot grow the batch: %s", dedup_strerror(rc));
                return EXIT_INTERNAL;
            }
            pool_run(&run->pl, c);
            busy = cur;
            cur ^= 1;
        }
    } while (more); /* else the reader ran out */
    pool_wait(&run->pl);
    if (busy >= 0 && (status = pool_check(&run->pl, &run->ch[busy])))
        return status;
    cli_progress_end(&prog);
    run->t1 = cli_now();
    return EXIT_OK;
}

int cluster_write(cluster_run *run, const cluster_opts *o)
{
    return o->output == OUT_TSV     ? write_tsv(run)
           : o->output == OUT_JSONL ? write_jsonl(run, o)
                                    : write_report(run, o);
}

/* Cluster the signed documents, write the output and the --stats
 * summary. EXIT_OK, or the exit status after a message. */
static int cluster_output(cluster_run *run, const cluster_opts *o)
{
    /* Every document is signed: the line counts are only needed again to
     * explain (the workers, idle, never read them again), and clustering
     * is when memory peaks. */
    if (!o->explain) {
        dedup_linestats_free(run->lines);
        run->lines = NULL;
    }
    int status, rc = dedup_batch_cluster(&run->clusters, run->batch, o->nthreads);
    if (rc) {
        cli_msg("clustering failed: %s", dedup_strerror(rc));
        return EXIT_INTERNAL;
    }
    /* The signatures and text buffers are done with: the check of ids runs
     * in their place, not on top of them. */
    dedup_batch_free(run->batch);
    run->batch = NULL;
    chunk_free(&run->ch[0]);
    chunk_free(&run->ch[1]);
    if (cli_ids_duplicates(&run->ids, &run->dup_ids)) {
        cli_msg("out of memory");
        return EXIT_INTERNAL;
    }
    run->t2 = cli_now();
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    status = cluster_write(run, o);
    if (o->stats)
        print_stats(run, run->pl.replaced + run->json_replaced, run->t1 - run->t0,
                    run->t2 - run->t1, cli_now() - run->t2, o->stats == 2);
    return status;
}

static void cluster_free(cluster_run *run)
{
    if (run->pool_ok)
        pool_stop(&run->pl);
    chunk_free(&run->ch[0]);
    chunk_free(&run->ch[1]);
    dedup_clusters_free(run->clusters);
    dedup_batch_free(run->batch);
    dedup_linestats_free(run->lines);
    cli_reader_free(run->reader);
    cli_ids_free(&run->ids);
    cli_ids_free(&run->foreign);
    free(run->rep);
    free(run->sim);
    free(run->paired);
}

#ifdef HAVE_MPI
/* The run over MPI ranks: each rank reads and signs its share, the
 * stages meet across ranks (cluster_mpi.c), rank 0 writes. */
static int cluster_mpi(cluster_run *run, cluster_opts *o)
{
    run->mpi = 1;
    if (cli_mpi_rank() > 0)
        o->quiet = 1;
    int status = cluster_open(run, o);
    if (status == EXIT_OK)
        status = cluster_read(run, o);
    status = cluster_mpi_sync(status);
    if (status == EXIT_OK && cli_ids_duplicates(&run->ids, &run->dup_ids)) {
        cli_msg("out of memory");
        status = EXIT_INTERNAL;
    }
    if (status == EXIT_OK)
        status = cluster_mpi_cluster(run, o);
    if (status == EXIT_OK)
        status = cluster_mpi_write(run, o, run->pl.replaced + run->json_replaced);
    return status;
}
#endif

int cmd_cluster(int argc, char **argv)
{
    cluster_opts o;
    int status = cluster_parse(&o, argc, argv);
    if (status != CLUSTER_GO_ON)
        return status;

    dedup_params *params;
    status = cli_make_params(&o.po, &params);
    if (status)
        return status == EXIT_USAGE ? cli_usage_error("cluster") : status;
    if (o.output == OUT_REPORT && o.io.format == CLI_FMT_JSONL &&
        !strstr(o.io.text_field, "title"))
        o.io.title_field = "title";

    cluster_run run;
    cluster_init(&run, params);
#ifdef HAVE_MPI
    if (cli_mpi_active()) {
        status = cluster_mpi(&run, &o);
        cluster_free(&run);
        dedup_params_free(params);
        return status;
    }
#endif
    status = cluster_open(&run, &o);
    if (status == EXIT_OK)
        status = cluster_read(&run, &o);
    if (status == EXIT_OK)
        status = cluster_output(&run, &o);
    cluster_free(&run);
    dedup_params_free(params);
    return status;
}
