/*
 * dedup.c - the dedup command: subcommand dispatch, --help and --version,
 * and the option handling every subcommand shares (input format and fields,
 * error policy, similarity parameters).
 *
 * Each subcommand lives in its own file (cmd_*.c) and parses its own options
 * with getopt_long; the shared options are handled here so that they are
 * spelled and checked the same way everywhere. Exit codes: 0 success, 1 bad
 * input data, 2 usage error, 3 I/O error, 4 out of memory or internal error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cluster.h"
#include "input.h"

static const char usage_text[] =
    "Usage: dedup COMMAND [OPTIONS] [FILE...]\n"
    "\n"
    "Find near-duplicate documents (news articles republished with small edits)\n"
    "and group them.\n"
    "\n"
    "Commands:\n"
    "  cluster     group the documents of a corpus into clusters of near-duplicates\n"
    "  filter      pass through only the documents that duplicate no earlier one\n"
    "  index       build, extend, query or describe a saved index\n"
    "  shingles    print the tokens and shingle hashes of each document\n"
    "  explain     show why two documents are, or are not, near-duplicates\n"
    "\n"
    "Run 'dedup COMMAND --help' for the options of a command.\n"
    "  -h, --help      show this help\n"
    "  -V, --version   show the version of the tool and of the library\n"
    "\n"
    "Exit status: 0 success, 1 bad input data, 2 usage error, 3 I/O error,\n"
    "4 out of memory or internal error.\n";

void cli_input_defaults(cli_input_opts *o)
{
    memset(o, 0, sizeof *o);
    o->format = CLI_FMT_JSONL;
    o->id_field = "id";
    o->text_field = "title,text";
    o->site_field = "url";
    o->max_doc_bytes = (size_t)64 << 20;
}

/* A non-empty comma-separated list of non-empty names. */
static int valid_field_list(const char *s, int allow_many)
{
    if (!*s || *s == ',' || s[strlen(s) - 1] == ',' || strstr(s, ",,"))
        return 0;
    return allow_many || !strchr(s, ',');
}

/* Parse a size such as 65536, 64K, 64M or 1G. */
static int parse_size(const char *s, size_t *out)
{
    char *end;
    if (!*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (*end == 'k' || *end == 'K')
        shift = 10;
    else if (*end == 'm' || *end == 'M')
        shift = 20;
    else if (*end == 'g' || *end == 'G')
        shift = 30;
    if (shift)
        end++;
    if (*end == 'i' && shift)
        end++;
    if (*end == 'B' && shift)
        end++;
    if (*end || v == 0 || v > (SIZE_MAX >> 1 >> shift))
        return -1;
    *out = (size_t)v << shift;
    return 0;
}

int cli_common_option(int c, const char *arg, cli_input_opts *io, cli_param_opts *po)
{
    if (io) {
        switch (c) {
        case OPT_ID_FIELD:
            if (!valid_field_list(arg, 0)) {
                cli_msg("invalid --id-field '%s'", arg);
                return -1;
            }
            io->id_field = arg;
            return 1;
        case OPT_SITE_FIELD:
            if (*arg && !valid_field_list(arg, 0)) {
                cli_msg("invalid --site-field '%s'", arg);
                return -1;
            }
            io->site_field = *arg ? arg : NULL;
            return 1;
        case OPT_TEXT_FIELD:
            if (!valid_field_list(arg, 1)) {
                cli_msg("invalid --text-field '%s' (names separated by commas)", arg);
                return -1;
            }
            io->text_field = arg;
            return 1;
        case OPT_INPUT_FORMAT:
            if (!strcmp(arg, "jsonl"))
                io->format = CLI_FMT_JSONL;
            else if (!strcmp(arg, "lines"))
                io->format = CLI_FMT_LINES;
            else if (!strcmp(arg, "files"))
                io->format = CLI_FMT_FILES;
            else if (!strcmp(arg, "csv"))
                io->format = CLI_FMT_CSV;
            else {
                cli_msg("invalid --input-format '%s' (jsonl, csv, lines or files)", arg);
                return -1;
            }
            return 1;
        case OPT_MAX_DOC_BYTES:
            if (parse_size(arg, &io->max_doc_bytes)) {
                cli_msg("invalid --max-doc-bytes '%s'", arg);
                return -1;
            }
            return 1;
        case OPT_ON_ERROR:
            if (!strcmp(arg, "skip"))
                io->skip_errors = 1;
            else if (!strcmp(arg, "fail"))
                io->skip_errors = 0;
            else {
                cli_msg("invalid --on-error '%s' (fail or skip)", arg);
                return -1;
            }
            return 1;
        default:
            break;
        }
    }
    if (po) {
        switch (c) {
        case OPT_THRESHOLD: po->threshold = arg; return 1;
        case OPT_SHINGLE_SIZE: po->shingle_size = arg; return 1;
        case OPT_CHAR_SHINGLE_SIZE: po->char_shingle_size = arg; return 1;
        case OPT_NUM_HASHES: po->num_hashes = arg; return 1;
        case OPT_SEED: po->seed = arg; return 1;
        case OPT_MEASURE: po->measure = arg; return 1;
        case OPT_MODE: po->mode = arg; return 1;
        case OPT_PARAM:
            if (po->nextra == CLI_MAX_PARAMS) {
                cli_msg("too many --param options (at most %d)", CLI_MAX_PARAMS);
                return -1;
            }
            po->extra[po->nextra++] = arg;
            return 1;
        default: break;
        }
    }
    return 0;
}

int cli_parse_boilerplate(const char *arg, uint32_t *out)
{
    int64_t v;
    if (!strcmp(arg, "off")) {
        *out = 0;
        return 0;
    }
    if (cli_parse_int(arg, 2, UINT32_MAX, &v)) {
        cli_msg("invalid --boilerplate '%s' (a count of at least 2, or off)", arg);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

int cli_parse_stats(const char *arg)
{
    if (!arg || !strcmp(arg, "text"))
        return 1;
    if (!strcmp(arg, "json"))
        return 2;
    cli_msg("invalid --stats '%s' (text or json)", arg);
    return -1;
}

int cli_usage_error(const char *cmd)
{
    fprintf(stderr, "Try 'dedup %s --help' for more information.\n", cmd);
    return EXIT_USAGE;
}

static int utf8_warned;

void cli_warn_utf8(const char *file, uint64_t line)
{
    if (utf8_warned)
        return;
    utf8_warned = 1;
    if (line)
        cli_msg("warning: %s:%llu: invalid UTF-8 replaced by U+FFFD (further cases are "
                "only counted)", file, (unsigned long long)line);
    else
        cli_msg("warning: %s: invalid UTF-8 replaced by U+FFFD (further cases are only "
                "counted)", file);
}

int cli_next_doc(cli_reader *r, cli_doc *d, const cli_input_opts *o, uint64_t *skipped,
                 int *status)
{
    for (;;) {
        int rc = cli_reader_next(r, d);
        if (rc >= 0) {
            if (rc == 1 && d->replaced)
                cli_warn_utf8(d->file, d->line);
            return rc;
        }
        if (rc == CLI_EDATA && o->skip_errors) {
            (*skipped)++;
            continue;
        }
        if (rc == CLI_EINTR) {
            *status = EXIT_OK;
            return -1;
        }
        cli_msg("%s", cli_reader_error(r));
        *status = rc == CLI_EDATA || rc == CLI_ECORRUPT ? EXIT_DATA
                  : rc == CLI_EIO                       ? EXIT_IO
                                                        : EXIT_INTERNAL;
        return -1;
    }
}

static int run(int argc, char **argv);

int main(int argc, char **argv)
{
#ifdef HAVE_MPI
    /* Under mpirun or srun: only the cluster command runs over ranks. */
    int mpi = cli_mpi_init(&argc, &argv);
    if (mpi < 0) {
        cli_msg("cannot start MPI");
        return EXIT_INTERNAL;
    }
    if (mpi && (argc < 2 || strcmp(argv[1], "cluster"))) {
        if (cli_mpi_rank() == 0)
            cli_msg("only 'dedup cluster' runs over MPI ranks");
        cli_mpi_finalize();
        return EXIT_USAGE;
    }
    int status = run(argc, argv);
    cli_mpi_finalize();
    return status;
#else
    return run(argc, argv);
#endif
}

static int run(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage_text, stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("dedup %s (libdedup %s)\n", DEDUP_VERSION_STRING, dedup_version_string());
        return EXIT_OK;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"cluster", cmd_cluster},
        {"filter", cmd_filter},
        {"index", cmd_index},
        {"shingles", cmd_shingles},
        {"explain", cmd_explain},
        {"debug-shingles", cmd_shingles},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        if (!strcmp(cmd, cmds[i].name)) {
            static char name[64];
            snprintf(name, sizeof name, "dedup %s", cmds[i].name);
            cli_progname = name;
            argv[1] = name; /* getopt's own messages name the subcommand */
            return cmds[i].fn(argc - 1, argv + 1);
        }
    }
    cli_msg("unknown command '%s'", cmd);
    fputs("Try 'dedup --help' for more information.\n", stderr);
    return EXIT_USAGE;
}
