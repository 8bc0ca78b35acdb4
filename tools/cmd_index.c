/*
 * cmd_index.c - `dedup index`: build a saved index from a corpus, add to it,
 * query it with other documents, and describe it.
 *
 * The index is the library's (dedup_index_save / dedup_index_load), which
 * keeps the documents' ids as its keys (store.h). Documents are numbered
 * in the order they are added; the number doubles as the stamp, so that
 * dedup_index_expire could later drop the oldest ones.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "input.h"
#include "progress.h"
#include "store.h"

static const char help_text[] =
    "Usage: dedup index build [OPTIONS] CORPUS... -o FILE\n"
    "       dedup index add [OPTIONS] FILE CORPUS...\n"
    "       dedup index query [OPTIONS] FILE CORPUS...\n"
    "       dedup index stats FILE\n"
    "\n"
    "build   index the documents of CORPUS files ('-': stdin) into FILE, with\n"
    "        their ids and line statistics\n"
    "add     add the documents of CORPUS files to the saved index FILE\n"
    "query   print, for each document of the CORPUS files, the indexed\n"
    "        documents similar to it: query_id<TAB>match_id<TAB>similarity,\n"
    "        best first\n"
    "stats   print the number of documents, the bits kept of each value, the\n"
    "        parameters and the memory\n"
    "\n"
    "  -o, --output FILE     build: the index file to write\n"
    "  -q, --quiet           no progress line\n"
    "  --wait                build, add: wait for another writer of FILE to\n"
    "                        finish instead of failing at once\n"
    "  --time-field NAME     build, add: stamp documents with the time in\n"
    "                        field NAME (formats as for 'dedup filter'), so\n"
    "                        that 'dedup filter --window-time' can use the\n"
    "                        index; add reads field date of an index built so\n"
    "                        unless told otherwise\n"
    "  --time-format FMT     read the time field with strptime(3) format FMT\n"
    "  -h, --help            show this help\n"
    "\n"
    "build and add hold FILE.lock while they run: a second writer of the same\n"
    "index fails at once with the first one's process id.\n"
    "\n"
    "Input options as for 'dedup cluster' (--input-format, --id-field,\n"
    "--text-field, --site-field, --max-doc-bytes, --on-error); build also\n"
    "takes the similarity options (--threshold, --measure, --mode,\n"
    "--shingle-size, --char-shingle-size, --num-hashes, --seed, --param).\n";

enum { ACT_BUILD, ACT_ADD, ACT_QUERY, ACT_STATS };

/* Returned by add_doc for a document skipped under --on-error=skip: exit
 * statuses are not negative. */
#define DOC_SKIPPED (-1)

/* The stamp of document d, to be numbered id: its number, or its time in
 * an index stamped with times. */
static int64_t doc_stamp(const cli_store *st, const cli_doc *d, uint64_t id)
{
    int64_t stamp = st->time_stamps ? d->time : (int64_t)id;
    int64_t future = cli_future_limit();
    if (st->time_stamps && stamp > future) {
        /* A bogus date must not become the index's latest time,
         * which dedup filter --window-time expires from. */
        int64_t latest = dedup_index_count(st->idx) && st->next_stamp - 1 <= future
                             ? st->next_stamp - 1
                             : future - 86400;
        cli_msg("%s:%llu: warning: time %lld lies in the future; stamped %lld", d->file,
                (unsigned long long)d->line, (long long)stamp, (long long)latest);
        stamp = latest;
    }
    return stamp;
}

/* Add document d, signed as sig, to the index under the next number.
 * EXIT_OK, DOC_SKIPPED when its id is in the index already or too long for
 * one and --on-error=skip skips it (counted in *skipped), or the exit
 * status after a message. */
static int add_doc(cli_store *st, const cli_input_opts *io, const cli_doc *d,
                   const dedup_signature *sig, uint64_t *skipped)
{
    int taken = d->id_len <= CLI_ID_MAX && cli_store_find_name(st, d->id, d->id_len, d->id_kind);
    if (taken || d->id_len > CLI_ID_MAX) {
        /* An id names one document in an index. */
        if (taken)
            cli_msg("%s:%llu: id %.*s%s is already in the index%s", d->file,
                    (unsigned long long)d->line, (int)(d->id_len > 60 ? 60 : d->id_len), d->id,
                    d->id_len > 60 ? "..." : "", io->skip_errors ? ": skipped" : "");
        else
            cli_msg("%s:%llu: id of %zu bytes is too long for an index (at most %u)%s",
                    d->file, (unsigned long long)d->line, d->id_len, CLI_ID_MAX,
                    io->skip_errors ? ": skipped" : "");
        if (io->skip_errors) {
            (*skipped)++;
            return DOC_SKIPPED;
        }
        return EXIT_DATA;
    }
    uint64_t id = cli_store_next_number(st);
    int64_t stamp = doc_stamp(st, d, id);
    int rc = cli_store_add(st, d->id, d->id_len, d->id_kind, stamp, sig, &id);
    if (!rc && stamp >= st->next_stamp)
        st->next_stamp = stamp == INT64_MAX ? INT64_MAX : stamp + 1;
    if (rc) {
        cli_msg("%s", dedup_strerror(rc));
        return EXIT_INTERNAL;
    }
    return EXIT_OK;
}

/* Print the indexed documents similar to document d, signed as sig, best
 * first: query_id<TAB>match_id<TAB>similarity. *m (*mcap matches) is
 * grown as needed. EXIT_OK, or the exit status after a message. */
static int query_doc(const cli_store *st, const cli_doc *d, const dedup_signature *sig,
                     dedup_match **m, size_t *mcap)
{
    size_t n = 0;
    int rc;
    for (;;) {
        rc = dedup_index_query(st->idx, sig, *m, *mcap, &n);
        if (rc || n <= *mcap)
            break;
        dedup_match *nm = realloc(*m, n * sizeof **m);
        if (!nm) {
            rc = DEDUP_E_NOMEM;
            break;
        }
        *m = nm;
        *mcap = n;
    }
    if (rc) {
        cli_msg("%s", dedup_strerror(rc));
        return EXIT_INTERNAL;
    }
    for (size_t i = 0; i < n; i++) {
        int kind;
        size_t len;
        const char *name = cli_store_name(st, (*m)[i].id, &len, &kind);
        cli_put_safe(stdout, d->id, d->id_len);
        putchar('\t');
        if (name)
            cli_put_safe(stdout, name, len);
        else
            printf("#%llu", (unsigned long long)(*m)[i].id);
        printf("\t%.4f\n", (*m)[i].similarity);
    }
    return EXIT_OK;
}

/* Add (or, for ACT_QUERY, look up) every document of the corpus. The
 * index's boilerplate counts, which build and add extend with each
 * document's lines before signing it, as dedup filter does, sign the
 * documents, so that all three sign alike. An index without saved counts
 * (made before they were kept, or by the library alone) starts counting
 * when documents are added; queries then sign without them. */
static int run_docs(int act, cli_store *st, const cli_input_opts *io, char **paths,
                    size_t npaths, int quiet)
{
    const dedup_params *p = dedup_index_params(st->idx);
    const dedup_linestats *lines = cli_store_saved_lines(st);
    dedup_linestats *counts = NULL; /* the same, counted into (build, add) */
    dedup_hasher *h = NULL;
    dedup_signature *sig = NULL;
    cli_reader *r = NULL;
    dedup_match *m = NULL;
    size_t mcap = 0;
    uint64_t skipped = 0, ndocs = 0;
    int status = EXIT_OK, rc = DEDUP_OK;
    if (act != ACT_QUERY && cli_store_lines(st, 0, &counts))
        rc = DEDUP_E_NOMEM;
    if (counts)
        lines = counts;
    if (rc || (rc = dedup_hasher_create(&h, p)) || (rc = dedup_signature_create(&sig, p)) ||
        (lines && (rc = dedup_hasher_set_linestats(h, lines, cli_store_lines_min(st) >= 2
                                                                  ? cli_store_lines_min(st)
                                                                  : CLI_BOILERPLATE_DEFAULT)))) {
        cli_msg("%s", dedup_strerror(rc));
        status = EXIT_INTERNAL;
        goto done;
    }
    if ((status = cli_open_reader(&r, io, paths, npaths, 0)))
        goto done;
    cli_progress prog;
    cli_progress_start(&prog, quiet, act == ACT_QUERY ? "querying" : "indexing",
                       cli_reader_total_bytes(r));
    cli_doc d;
    while ((rc = cli_next_doc(r, &d, io, &skipped, &status)) == 1) {
        ndocs++;
        if (counts &&
            (rc = dedup_linestats_add_site(counts, d.site, d.site_len, d.text, d.text_len))) {
            cli_msg("cannot count lines: %s", dedup_strerror(rc));
            status = EXIT_INTERNAL;
            break;
        }
        if ((rc = dedup_hasher_set_site(h, d.site, d.site_len)) ||
            (rc = dedup_hasher_sign(h, d.text, d.text_len, sig))) {
            cli_msg("%s:%llu: %s", d.file, (unsigned long long)d.line, dedup_strerror(rc));
            status = EXIT_INTERNAL;
            break;
        }
        if (dedup_hasher_replaced(h))
            cli_warn_utf8(d.file, d.line);
        status = act == ACT_QUERY ? query_doc(st, &d, sig, &m, &mcap)
                                  : add_doc(st, io, &d, sig, &skipped);
        if (status == DOC_SKIPPED) {
            status = EXIT_OK;
            continue;
        }
        if (status != EXIT_OK)
            break;
        cli_progress_update(&prog, ndocs, cli_reader_raw_bytes(r));
    }
    cli_progress_end(&prog);
    if (rc < 0 && status == EXIT_OK)
        status = EXIT_INTERNAL;
    if (act == ACT_QUERY && (fflush(stdout) || ferror(stdout)) && !status) {
        cli_msg("cannot write the output");
        status = EXIT_IO;
    }
done:
    free(m);
    cli_reader_free(r);
    dedup_signature_free(sig);
    dedup_hasher_free(h);
    return status;
}

static int print_stats(const char *path, const cli_store *st)
{
    const dedup_params *p = dedup_index_params(st->idx);
    struct stat sb;
    printf("file             %s\n", path);
    if (stat(path, &sb) == 0)
        printf("file size        %lld\n", (long long)sb.st_size);
    /* An index of format version 7 keeps 4 bits of each value: only
     * building it again gives the finer estimate. */
    unsigned bits = dedup_index_value_bits(st->idx);
    printf("value bits       %u%s\n", bits,
           bits < 8 ? " (format version 7: build the index again for 8)" : "");
    printf("documents        %zu\n", dedup_index_count(st->idx));
    printf("memory           %zu\n", dedup_index_memory(st->idx));
    printf("next number      %llu\n", (unsigned long long)cli_store_next_number(st));
    for (int key = 1; key < 64; key++) {
        const char *name = dedup_param_name((dedup_param)key);
        if (!name)
            continue;
        if (dedup_param_type_of((dedup_param)key) == DEDUP_PARAM_REAL) {
            double v;
            if (!dedup_params_get_real(p, (dedup_param)key, &v))
                printf("%-16s %g\n", name, v);
        } else {
            int64_t v;
            if (!dedup_params_get(p, (dedup_param)key, &v))
                printf("%-16s %lld\n", name, (long long)v);
        }
    }
    unsigned bands, rows;
    if (!dedup_params_lsh(p, &bands, &rows))
        printf("lsh in effect    %u bands x %u rows\n", bands, rows);
    if (fflush(stdout) || ferror(stdout)) {
        cli_msg("cannot write the output");
        return EXIT_IO;
    }
    return EXIT_OK;
}

/* What `dedup index` is asked to do: its command line. */
typedef struct index_opts {
    int act;          /* ACT_* */
    cli_input_opts io;
    cli_param_opts po;
    const char *out;  /* -o: the index build writes */
    int quiet, wait_lock;
    char **rest;      /* the operands: FILE (but for build), then CORPUS files */
    size_t nrest;
} index_opts;

/* Returned by the option parsing when the command is to run: exit
 * statuses are not negative. */
#define INDEX_GO_ON (-1)

/* The action, argv[1], into o->act: INDEX_GO_ON, or the exit status after
 * --help or a message. */
static int index_action(index_opts *o, int argc, char **argv)
{
    if (argc < 2) {
        cli_msg("missing action: build, add, query or stats");
        return cli_usage_error("index");
    }
    const char *an = argv[1];
    if (!strcmp(an, "-h") || !strcmp(an, "--help")) {
        fputs(help_text, stdout);
        return EXIT_OK;
    }
    o->act = !strcmp(an, "build")   ? ACT_BUILD
             : !strcmp(an, "add")   ? ACT_ADD
             : !strcmp(an, "query") ? ACT_QUERY
             : !strcmp(an, "stats") ? ACT_STATS
                                    : -1;
    if (o->act < 0) {
        cli_msg("unknown action '%s' (build, add, query or stats)", an);
        return cli_usage_error("index");
    }
    return INDEX_GO_ON;
}

/* One option of the command line (not a common one): INDEX_GO_ON, or the
 * exit status after --help or a message. */
static int index_option(index_opts *o, int opt, const char *arg)
{
    switch (opt) {
    case 'h':
        fputs(help_text, stdout);
        return EXIT_OK;
    case 'o':
        o->out = arg;
        break;
    case 'q':
        o->quiet = 1;
        break;
    case OPT_WAIT:
        o->wait_lock = 1;
        break;
    case OPT_TIME_FIELD:
        o->io.time_field = arg;
        break;
    case OPT_TIME_FORMAT:
        o->io.time_format = arg;
        break;
    default:
        if (o->act != ACT_BUILD && cli_common_option(opt, arg, NULL, &o->po))
            cli_msg("similarity options are fixed when the index is built");
        return cli_usage_error("index");
    }
    return INDEX_GO_ON;
}

/* The options that depend on others and on the action, and the operands:
 * INDEX_GO_ON, or the exit status after a message. */
static int index_check(index_opts *o)
{
    if (o->io.time_format && !o->io.time_field)
        o->io.time_field = "date";
    if (o->io.time_field && o->act != ACT_BUILD && o->act != ACT_ADD) {
        cli_msg("--time-field is for build and add");
        return cli_usage_error("index");
    }
    if (o->io.time_field && o->io.format != CLI_FMT_JSONL && o->io.format != CLI_FMT_CSV) {
        cli_msg("--time-field needs JSONL or CSV input");
        return cli_usage_error("index");
    }
    if (o->act == ACT_BUILD) {
        if (!o->out) {
            cli_msg("index build needs -o FILE");
            return cli_usage_error("index");
        }
        return INDEX_GO_ON;
    }
    if (o->out) {
        cli_msg("-o is only for index build");
        return cli_usage_error("index");
    }
    if (o->nrest < 1 || (o->act == ACT_STATS && o->nrest != 1)) {
        cli_msg(o->act == ACT_STATS ? "index stats takes one FILE" : "missing index FILE");
        return cli_usage_error("index");
    }
    return INDEX_GO_ON;
}

/* Read the command line (the action, then its options) into o:
 * INDEX_GO_ON, or the exit status after --help or a message. */
static int index_parse(index_opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_INPUT_OPTIONS,
        CLI_PARAM_OPTIONS,
        {"output", 1, 0, 'o'},
        {"quiet", 0, 0, 'q'},
        {"wait", 0, 0, OPT_WAIT},
        {"time-field", 1, 0, OPT_TIME_FIELD},
        {"time-format", 1, 0, OPT_TIME_FORMAT},
        {"help", 0, 0, 'h'},
        {0, 0, 0, 0},
    };
    int opt, status;
    memset(o, 0, sizeof *o);
    if ((status = index_action(o, argc, argv)) != INDEX_GO_ON)
        return status;
    cli_input_defaults(&o->io);
    argc--;
    argv++;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        int h = cli_common_option(opt, optarg, &o->io, o->act == ACT_BUILD ? &o->po : NULL);
        if (h < 0)
            return cli_usage_error("index");
        if (h)
            continue;
        if ((status = index_option(o, opt, optarg)) != INDEX_GO_ON)
            return status;
    }
    o->rest = argv + optind;
    o->nrest = (size_t)(argc - optind);
    return index_check(o);
}

/* The state of a run. */
typedef struct index_run {
    cli_store st;
    char *path;             /* the index's path, links followed */
    int lock_fd;            /* build, add: FILE.lock held */
} index_run;

/* An empty run, which index_free can free whatever happens next. */
static void index_init(index_run *r)
{
    memset(r, 0, sizeof *r);
    r->st.jfd = -1;
    r->lock_fd = -1;
}

static void index_free(index_run *r)
{
    cli_store_free(&r->st);
    cli_store_unlock(r->lock_fd);
    free(r->path);
}

/* index build: a new index of the corpus, saved to -o FILE. EXIT_OK, or
 * the exit status after a message. */
static int index_build(index_run *r, const index_opts *o)
{
    char err[512];
    dedup_params *p;
    int status, rc;
    if ((status = cli_make_params(&o->po, &p)))
        return status == EXIT_USAGE ? cli_usage_error("index") : status;
    if (!(r->path = cli_store_resolve(o->out))) {
        cli_msg("out of memory");
        dedup_params_free(p);
        return EXIT_INTERNAL;
    }
    if ((rc = cli_store_lock(r->path, o->wait_lock, &r->lock_fd, err, sizeof err))) {
        cli_msg("%s", err);
        dedup_params_free(p);
        return cli_exit_code(rc);
    }
    rc = cli_store_create(&r->st, p);
    r->st.time_stamps = o->io.time_field != NULL;
    dedup_params_free(p);
    if (rc) {
        cli_msg("%s", dedup_strerror(rc));
        return EXIT_INTERNAL;
    }
    status = run_docs(o->act, &r->st, &o->io, o->rest, o->nrest, o->quiet);
    if (!status && (rc = cli_store_save(&r->st, r->path, err, sizeof err))) {
        cli_msg("%s", rc == CLI_ENOMEM ? "out of memory" : err);
        status = cli_exit_code(rc);
    }
    return status;
}

/* Load the index FILE, the first operand, locked for add. EXIT_OK, or the
 * exit status after a message. */
static int index_load(index_run *r, const index_opts *o)
{
    char err[512];
    int rc;
    if (!(r->path = cli_store_resolve(o->rest[0]))) {
        cli_msg("out of memory");
        return EXIT_INTERNAL;
    }
    if (o->act == ACT_ADD &&
        (rc = cli_store_lock(r->path, o->wait_lock, &r->lock_fd, err, sizeof err))) {
        cli_msg("%s", err);
        return cli_exit_code(rc);
    }
    rc = o->act == ACT_ADD ? cli_store_load(&r->st, r->path, err, sizeof err)
                           : cli_store_load_reader(&r->st, r->path, err, sizeof err);
    if (rc) {
        cli_msg("%s", rc == CLI_ENOMEM ? "out of memory" : err);
        return cli_exit_code(rc);
    }
    return EXIT_OK;
}

/* index add: how the documents are stamped, as the index already does.
 * EXIT_OK, or EXIT_USAGE after a message when --time-field would mix
 * times with numbers. */
static int index_stamps(index_run *r, index_opts *o)
{
    cli_store *st = &r->st;
    if (o->act != ACT_ADD)
        return EXIT_OK;
    if (dedup_index_count(st->idx) > 0 && !st->time_stamps && o->io.time_field) {
        cli_msg("%s stamps its documents in order of arrival (built without --time-field); "
                "--time-field would mix times with those numbers", r->path);
        return EXIT_USAGE;
    } else if (st->time_stamps && !o->io.time_field) {
        o->io.time_field = "date"; /* stamped with times: the same units */
    } else if (dedup_index_count(st->idx) == 0 && o->io.time_field) {
        st->time_stamps = 1;
    }
    return EXIT_OK;
}

/* index add and query, on the index loaded (index_load); add saves it.
 * EXIT_OK, or the exit status after a message. */
static int index_docs(index_run *r, const index_opts *o)
{
    char err[512];
    int rc, status;
    status = run_docs(o->act, &r->st, &o->io, o->rest + 1, o->nrest - 1, o->quiet);
    if (o->act == ACT_ADD && !status && (rc = cli_store_save(&r->st, r->path, err, sizeof err))) {
        cli_msg("%s", rc == CLI_ENOMEM ? "out of memory" : err);
        status = cli_exit_code(rc);
    }
    return status;
}

int cmd_index(int argc, char **argv)
{
    index_opts o;
    int status = index_parse(&o, argc, argv);
    if (status != INDEX_GO_ON)
        return status;

    index_run r;
    index_init(&r);
    if (o.act == ACT_BUILD)
        status = index_build(&r, &o);
    else if ((status = index_load(&r, &o)) == EXIT_OK &&
             (status = index_stamps(&r, &o)) == EXIT_OK)
        status = o.act == ACT_STATS ? print_stats(r.path, &r.st) : index_docs(&r, &o);
    index_free(&r);
    return status;
}
