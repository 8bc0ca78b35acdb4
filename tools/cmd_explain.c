/*
 * cmd_explain.c - `dedup explain`: why two documents are, or are not,
 * near-duplicates. Shows their similarity as clustering computes it, the
 * passages they share, and what the comparison left out of each (lists of
 * links, boilerplate lines, quotations).
 *
 * The input is read once: line statistics are counted over all of it, as
 * `dedup cluster` does, while the two documents are kept; then both are
 * compared with those statistics. Shared passages are maximal runs of
 * tokens of one document covered by shingles that the other also holds,
 * shown in normalized form (case folded, NFKC).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "input.h"

static const char help_text[] =
    "Usage: dedup explain [OPTIONS] ID-A ID-B [FILE...]\n"
    "\n"
    "Explain why documents ID-A and ID-B of the input are, or are not,\n"
    "near-duplicates: their similarity under the threshold, the passages they\n"
    "share (in normalized form, longest first), and what the comparison left\n"
    "out of each (lists of links, boilerplate lines, quotations).\n"
    "\n"
    "  --boilerplate N       leave out lines found in N or more documents of\n"
    "                        the input, as 'dedup cluster' does (default 20),\n"
    "                        or off\n"
    "  --passages N          show at most N shared passages (default 10)\n"
    "  --output FORMAT       text (default) or json: one JSON object\n"
    "  -h, --help            show this help\n"
    "\n"
    "Input and similarity options as for 'dedup cluster'.\n"
    "Exit status: 0 if both documents were found, 1 if one is missing or the\n"
    "input is bad, 2 usage, 3 I/O, 4 out of memory.\n";

enum { OPT_PASSAGES = 3000 };

static void print_left(void *ctx, const char *kind, const char *text, size_t len)
{
    const char *name = ctx;
    int blank = 1;
    for (size_t i = 0; i < len; i++)
        blank &= text[i] == ' ' || text[i] == '\t' || text[i] == '\r';
    if (blank)
        return;
    printf("left out of %s, %s: ", name, kind);
    cli_put_safe(stdout, text, len > 300 ? 300 : len);
    fputs(len > 300 ? "...\n" : "\n", stdout);
}

/* What `dedup explain` is asked to do: its command line. */
typedef struct explain_opts {
    cli_input_opts io;
    cli_param_opts po;
    int json;              /* --output json */
    int64_t max_passages;  /* --passages */
    uint32_t boilerplate;  /* lines in this many documents are left out; 0: off */
    const char *want[2];   /* the ids ID-A and ID-B */
    char **paths;          /* the FILE operands */
    size_t npaths;
} explain_opts;

/* Returned by the option parsing when the command is to run: exit
 * statuses are not negative. */
#define EXPLAIN_GO_ON (-1)

/* One option of the command line (not a common one): EXPLAIN_GO_ON, or
 * the exit status after --help or a message. */
static int explain_option(explain_opts *o, int opt, const char *arg)
{
    switch (opt) {
    case 'h':
        fputs(help_text, stdout);
        return EXIT_OK;
    case OPT_BOILERPLATE:
        if (cli_parse_boilerplate(arg, &o->boilerplate))
            return cli_usage_error("explain");
        break;
    case OPT_PASSAGES:
        if (cli_parse_int(arg, 0, 1000000, &o->max_passages)) {
            cli_msg("invalid --passages '%s' (0 to 1000000)", arg);
            return cli_usage_error("explain");
        }
        break;
    case OPT_OUTPUT:
        if (!strcmp(arg, "json") || !strcmp(arg, "jsonl")) {
            o->json = 1;
        } else if (strcmp(arg, "text")) {
            cli_msg("invalid --output '%s' (text or json)", arg);
            return cli_usage_error("explain");
        }
        break;
    default:
        return cli_usage_error("explain");
    }
    return EXPLAIN_GO_ON;
}

/* Read the command line into o: EXPLAIN_GO_ON, or the exit status after
 * --help or a message. */
static int explain_parse(explain_opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_INPUT_OPTIONS,
        CLI_PARAM_OPTIONS,
        {"boilerplate", 1, 0, OPT_BOILERPLATE},
        {"passages", 1, 0, OPT_PASSAGES},
        {"output", 1, 0, OPT_OUTPUT},
        {"help", 0, 0, 'h'},
        {0, 0, 0, 0},
    };
    int opt, status;
    memset(o, 0, sizeof *o);
    o->max_passages = 10;
    o->boilerplate = CLI_BOILERPLATE_DEFAULT;
    cli_input_defaults(&o->io);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int hd = cli_common_option(opt, optarg, &o->io, &o->po);
        if (hd < 0)
            return cli_usage_error("explain");
        if (hd)
            continue;
        if ((status = explain_option(o, opt, optarg)) != EXPLAIN_GO_ON)
            return status;
    }
    if (argc - optind < 2) {
        cli_msg("explain needs two document ids");
        return cli_usage_error("explain");
    }
    o->want[0] = argv[optind];
    o->want[1] = argv[optind + 1];
    o->paths = argv + optind + 2;
    o->npaths = (size_t)(argc - optind - 2);
    return EXPLAIN_GO_ON;
}

/* The state of a run: the two documents and what the comparison found. */
typedef struct explain_run {
    const dedup_params *p;
    dedup_hasher *h;
    dedup_linestats *ls;     /* line statistics of the input, or NULL */
    cli_reader *r;
    cli_side s[2];           /* documents A and B */
    double sim, threshold;
    const char *mname;       /* the measure's name */
    size_t shared;           /* shingles both hold */
    const cli_side *shorter; /* the document whose passages are shown */
    size_t np;               /* how many of its passages are shown */
    cli_buf out;             /* the JSON output */
} explain_run;

/* An empty run, which explain_free can free whatever happens next. */
static void explain_init(explain_run *x, const explain_opts *o, const dedup_params *p)
{
    memset(x, 0, sizeof *x);
    x->p = p;
    x->s[0].want = o->want[0];
    x->s[1].want = o->want[1];
}

/* Open the hasher, the line statistics and the input. EXIT_OK, or the
 * exit status after a message. */
static int explain_open(explain_run *x, const explain_opts *o)
{
    int rc = dedup_hasher_create(&x->h, x->p);
    if (!rc && o->boilerplate)
        rc = dedup_linestats_create(&x->ls, 0);
    if (rc) {
        cli_msg("%s", dedup_strerror(rc));
        return EXIT_INTERNAL;
    }
    return cli_open_reader(&x->r, &o->io, o->paths, o->npaths, 0);
}

/* Keep a copy of d in s, if it is the document s asks for and the first
 * one with its id. 0, or -1 when out of memory. */
static int explain_keep(cli_side *s, const cli_doc *d)
{
    if (s->found || strlen(s->want) != d->id_len || memcmp(s->want, d->id, d->id_len) != 0)
        return 0;
    s->found = 1;
    s->text = cli_strndup(d->text, d->text_len);
    s->text_len = d->text_len;
    s->site = d->site_len ? cli_strndup(d->site, d->site_len) : NULL;
    s->site_len = d->site_len;
    s->file = cli_strndup(d->file, strlen(d->file));
    s->line = d->line;
    return s->text && s->file && (s->site || !d->site_len) ? 0 : -1;
}

/* Read the whole input: count its lines, keep the two documents. EXIT_OK
 * when both were found, or the exit status after a message. */
static int explain_read(explain_run *x, const explain_opts *o)
{
    cli_doc d;
    uint64_t skipped = 0;
    int rc, status = EXIT_OK;
    while ((rc = cli_next_doc(x->r, &d, &o->io, &skipped, &status)) == 1) {
        if (x->ls &&
            (rc = dedup_linestats_add_site(x->ls, d.site, d.site_len, d.text, d.text_len))) {
            cli_msg("cannot count lines: %s", dedup_strerror(rc));
            return EXIT_INTERNAL;
        }
        for (int k = 0; k < 2; k++)
            if (explain_keep(&x->s[k], &d)) {
                cli_msg("out of memory");
                return EXIT_INTERNAL;
            }
    }
    if (rc < 0)
        return status == EXIT_OK ? EXIT_INTERNAL : status;
    for (int k = 0; k < 2; k++)
        if (!x->s[k].found) {
            cli_msg("no document with id '%s' in the input", x->s[k].want);
            status = EXIT_DATA;
        }
    return status;
}

/* The similarity exactly as clustering computes it: from signatures. A
 * library status. */
static int explain_similarity(explain_run *x)
{
    dedup_signature *a = NULL, *b = NULL;
    int rc = dedup_signature_create(&a, x->p);
    if (!rc)
        rc = dedup_signature_create(&b, x->p);
    for (int k = 0; k < 2 && !rc; k++) {
        rc = dedup_hasher_set_site(x->h, x->s[k].site, x->s[k].site_len);
        if (!rc)
            rc = dedup_hasher_sign(x->h, x->s[k].text, x->s[k].text_len, k ? b : a);
    }
    if (!rc)
        rc = dedup_signature_similarity(x->p, a, b, &x->sim);
    dedup_signature_free(a);
    dedup_signature_free(b);
    return rc;
}

/* Compare the two documents, with the line statistics of the input: their
 * similarity, the shingles and passages they share. A library status. */
static int explain_compare(explain_run *x, const explain_opts *o)
{
    int rc;
    int64_t measure = 0;
    if (x->ls && (rc = dedup_hasher_set_linestats(x->h, x->ls, o->boilerplate)))
        return rc;
    for (int k = 0; k < 2; k++)
        if ((rc = cli_side_analyse(x->h, &x->s[k])))
            return rc;
    if (cli_side_mark_shared(&x->s[0], &x->s[1]) || cli_side_mark_shared(&x->s[1], &x->s[0]))
        return DEDUP_E_NOMEM;
    if ((rc = explain_similarity(x)))
        return rc;
    dedup_params_get_real(x->p, DEDUP_P_THRESHOLD, &x->threshold);
    dedup_params_get(x->p, DEDUP_P_MEASURE, &measure);
    x->mname = measure == DEDUP_MEASURE_JACCARD ? "jaccard" : "containment";
    x->shared = cli_side_shared_shingles(&x->s[0], &x->s[1]);
    x->shorter = x->s[0].ntok <= x->s[1].ntok ? &x->s[0] : &x->s[1];
    x->np = x->shorter->np;
    if ((size_t)o->max_passages < x->np)
        x->np = (size_t)o->max_passages;
    return DEDUP_OK;
}

/* The comparison as text on stdout. */
static void explain_text(const explain_run *x)
{
    const cli_side *s = x->s;
    for (int k = 0; k < 2; k++) {
        printf("%c: %s (%s:%llu), %zu bytes, %zu tokens, %zu shingles, %zu tokens shared\n",
               'A' + k, s[k].want, s[k].file, (unsigned long long)s[k].line, s[k].text_len,
               s[k].ntok, s[k].nsh, s[k].shared_tokens);
    }
    printf("similarity %.4f (%s, estimated from signatures; threshold %.2f): %s\n", x->sim,
           x->mname, x->threshold,
           x->sim >= x->threshold ? "near-duplicates" : "not near-duplicates");
    printf("shingles shared: %zu (%.4f of A, %.4f of B)\n", x->shared,
           s[0].nsh ? (double)x->shared / (double)s[0].nsh : 0.0,
           s[1].nsh ? (double)x->shared / (double)s[1].nsh : 0.0);
    printf("shared passages of %c, longest first (tokens, normalized text):\n",
           x->shorter == &s[0] ? 'A' : 'B');
    for (size_t i = 0; i < x->np; i++) {
        const char *t;
        size_t len;
        cli_passage_text(x->shorter, &x->shorter->pa[i], &t, &len);
        printf("%6zu  ", x->shorter->pa[i].tokens);
        cli_put_safe(stdout, t, len > 400 ? 400 : len);
        fputs(len > 400 ? "...\n" : "\n", stdout);
    }
    cli_side_left_out(&s[0], print_left, "A");
    cli_side_left_out(&s[1], print_left, "B");
}

/* The comparison as one JSON object on stdout. CLI_OK or CLI_ENOMEM. */
static int explain_json(explain_run *x)
{
    const cli_side *s = x->s;
    cli_buf *out = &x->out;
    int e = cli_buf_printf(out, "{\"similarity\":%.4f,\"measure\":\"%s\",\"threshold\":%.4f,"
                                "\"duplicates\":%s,\"shared_shingles\":%zu,\"documents\":[",
                           x->sim, x->mname, x->threshold,
                           x->sim >= x->threshold ? "true" : "false", x->shared);
    for (int k = 0; k < 2 && !e; k++) {
        e |= cli_buf_printf(out, "%s{\"id\":", k ? "," : "");
        e |= cli_buf_json_string(out, s[k].want, strlen(s[k].want));
        e |= cli_buf_add(out, ",\"file\":", 8);
        e |= cli_buf_json_string(out, s[k].file, strlen(s[k].file));
        e |= cli_buf_printf(out, ",\"line\":%llu,\"bytes\":%zu,\"tokens\":%zu,"
                                 "\"shingles\":%zu,\"shared_tokens\":%zu,\"left_out\":",
                            (unsigned long long)s[k].line, s[k].text_len, s[k].ntok, s[k].nsh,
                            s[k].shared_tokens);
        e |= cli_side_json_left_out(out, &s[k]);
        e |= cli_buf_addc(out, '}');
    }
    e |= cli_buf_add(out, "],\"passages\":[", 14);
    for (size_t i = 0; i < x->np && !e; i++) {
        const char *t;
        size_t len;
        cli_passage_text(x->shorter, &x->shorter->pa[i], &t, &len);
        e |= cli_buf_printf(out, "%s{\"tokens\":%zu,\"text\":", i ? "," : "",
                            x->shorter->pa[i].tokens);
        e |= cli_buf_json_string(out, t, len);
        e |= cli_buf_addc(out, '}');
    }
    e |= cli_buf_add(out, "]}\n", 3);
    if (e)
        return CLI_ENOMEM;
    fwrite(out->data, 1, out->len, stdout);
    return CLI_OK;
}

/* Compare the two documents read and show what was found. EXIT_OK, or
 * the exit status after a message. */
static int explain_show(explain_run *x, const explain_opts *o)
{
    int rc = explain_compare(x, o);
    if (!rc && !o->json)
        explain_text(x);
    else if (!rc && explain_json(x))
        rc = DEDUP_E_NOMEM;
    if (rc) {
        cli_msg("%s", dedup_strerror(rc));
        return EXIT_INTERNAL;
    }
    if (fflush(stdout) || ferror(stdout)) {
        cli_msg("cannot write the output");
        return EXIT_IO;
    }
    return EXIT_OK;
}

static void explain_free(explain_run *x)
{
    cli_buf_free(&x->out);
    cli_side_free(&x->s[0]);
    cli_side_free(&x->s[1]);
    cli_reader_free(x->r);
    dedup_linestats_free(x->ls);
    dedup_hasher_free(x->h);
}

int cmd_explain(int argc, char **argv)
{
    explain_opts o;
    int status = explain_parse(&o, argc, argv);
    if (status != EXPLAIN_GO_ON)
        return status;

    dedup_params *p;
    status = cli_make_params(&o.po, &p);
    if (status)
        return status == EXIT_USAGE ? cli_usage_error("explain") : status;

    explain_run x;
    explain_init(&x, &o, p);
    status = explain_open(&x, &o);
    if (status == EXIT_OK)
        status = explain_read(&x, &o);
    if (status == EXIT_OK)
        status = explain_show(&x, &o);
    explain_free(&x);
    dedup_params_free(p);
    return status;
}
