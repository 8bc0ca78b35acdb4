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

int cmd_explain(int argc, char **argv)
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
    cli_input_opts io;
    cli_param_opts po = {0};
    int opt, json = 0;
    int64_t max_passages = 10;
    uint32_t boilerplate = CLI_BOILERPLATE_DEFAULT;
    cli_input_defaults(&io);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int hd = cli_common_option(opt, optarg, &io, &po);
        if (hd < 0)
            return cli_usage_error("explain");
        if (hd)
            continue;
        switch (opt) {
        case 'h':
            fputs(help_text, stdout);
            return EXIT_OK;
        case OPT_BOILERPLATE:
            if (cli_parse_boilerplate(optarg, &boilerplate))
                return cli_usage_error("explain");
            break;
        case OPT_PASSAGES:
            if (cli_parse_int(optarg, 0, 1000000, &max_passages)) {
                cli_msg("invalid --passages '%s' (0 to 1000000)", optarg);
                return cli_usage_error("explain");
            }
            break;
        case OPT_OUTPUT:
            if (!strcmp(optarg, "json") || !strcmp(optarg, "jsonl")) {
                json = 1;
            } else if (strcmp(optarg, "text")) {
                cli_msg("invalid --output '%s' (text or json)", optarg);
                return cli_usage_error("explain");
            }
            break;
        default:
            return cli_usage_error("explain");
        }
    }
    if (argc - optind < 2) {
        cli_msg("explain needs two document ids");
        return cli_usage_error("explain");
    }
    cli_side s[2];
    memset(s, 0, sizeof s);
    s[0].want = argv[optind];
    s[1].want = argv[optind + 1];
    char **paths = argv + optind + 2;
    size_t npaths = (size_t)(argc - optind - 2);

    dedup_params *p;
    int status = cli_make_params(&po, &p);
    if (status)
        return status == EXIT_USAGE ? cli_usage_error("explain") : status;
    dedup_hasher *h = NULL;
    dedup_linestats *ls = NULL;
    cli_reader *r = NULL;
    cli_buf out = {0};
    cli_passage *pa = NULL;
    int rc = dedup_hasher_create(&h, p);
    if (!rc && boilerplate)
        rc = dedup_linestats_create(&ls, 0);
    if (rc) {
        cli_msg("%s", dedup_strerror(rc));
        status = EXIT_INTERNAL;
        goto done;
    }
    if ((rc = cli_reader_open(&r, &io, paths, npaths, 0))) {
        cli_msg("%s", r ? cli_reader_error(r) : "out of memory");
        status = rc == CLI_ENOMEM ? EXIT_INTERNAL : EXIT_IO;
        goto done;
    }
    cli_doc d;
    uint64_t skipped = 0;
    while ((rc = cli_next_doc(r, &d, &io, &skipped, &status)) == 1) {
        if (ls && (rc = dedup_linestats_add(ls, d.text, d.text_len))) {
            cli_msg("cannot count lines: %s", dedup_strerror(rc));
            status = EXIT_INTERNAL;
            goto done;
        }
        for (int x = 0; x < 2; x++) {
            if (s[x].found || strlen(s[x].want) != d.id_len ||
                memcmp(s[x].want, d.id, d.id_len) != 0)
                continue;
            s[x].found = 1;
            s[x].text = cli_strndup(d.text, d.text_len);
            s[x].text_len = d.text_len;
            s[x].file = cli_strndup(d.file, strlen(d.file));
            s[x].line = d.line;
            if (!s[x].text || !s[x].file) {
                cli_msg("out of memory");
                status = EXIT_INTERNAL;
                goto done;
            }
        }
    }
    if (rc < 0) {
        if (status == EXIT_OK)
            status = EXIT_INTERNAL;
        goto done;
    }
    for (int x = 0; x < 2; x++)
        if (!s[x].found) {
            cli_msg("no document with id '%s' in the input", s[x].want);
            status = EXIT_DATA;
        }
    if (status)
        goto done;
    if (ls && (rc = dedup_hasher_set_linestats(h, ls, boilerplate)))
        goto lib_error;
    for (int x = 0; x < 2; x++)
        if ((rc = cli_side_analyse(h, &s[x])))
            goto lib_error;
    if (cli_side_mark_shared(&s[0], &s[1]) || cli_side_mark_shared(&s[1], &s[0])) {
        rc = DEDUP_E_NOMEM;
        goto lib_error;
    }

    /* The similarity exactly as clustering computes it: from signatures. */
    double sim = 0.0, threshold = 0.0;
    int64_t measure = 0;
    {
        dedup_signature *a = NULL, *b = NULL;
        rc = dedup_signature_create(&a, p);
        if (!rc)
            rc = dedup_signature_create(&b, p);
        if (!rc)
            rc = dedup_hasher_sign(h, s[0].text, s[0].text_len, a);
        if (!rc)
            rc = dedup_hasher_sign(h, s[1].text, s[1].text_len, b);
        if (!rc)
            rc = dedup_signature_similarity(p, a, b, &sim);
        dedup_signature_free(a);
        dedup_signature_free(b);
        if (rc)
            goto lib_error;
        dedup_params_get_real(p, DEDUP_P_THRESHOLD, &threshold);
        dedup_params_get(p, DEDUP_P_MEASURE, &measure);
    }
    size_t shared = cli_side_shared_shingles(&s[0], &s[1]);
    size_t np = 0;
    const cli_side *shorter = s[0].ntok <= s[1].ntok ? &s[0] : &s[1];
    if (!(pa = cli_side_passages(shorter, &np))) {
        rc = DEDUP_E_NOMEM;
        goto lib_error;
    }
    if ((size_t)max_passages < np)
        np = (size_t)max_passages;
    const char *mname = measure == DEDUP_MEASURE_JACCARD ? "jaccard" : "containment";
    int dup = sim >= threshold;

    if (!json) {
        for (int x = 0; x < 2; x++) {
            printf("%c: %s (%s:%llu), %zu bytes, %zu tokens, %zu shingles, %zu tokens shared\n",
                   'A' + x, s[x].want, s[x].file, (unsigned long long)s[x].line, s[x].text_len,
                   s[x].ntok, s[x].nsh, s[x].shared_tokens);
        }
        printf("similarity %.4f (%s, estimated from signatures; threshold %.2f): %s\n", sim,
               mname, threshold, dup ? "near-duplicates" : "not near-duplicates");
        printf("shingles shared: %zu (%.4f of A, %.4f of B)\n", shared,
               s[0].nsh ? (double)shared / (double)s[0].nsh : 0.0,
               s[1].nsh ? (double)shared / (double)s[1].nsh : 0.0);
        printf("shared passages of %c, longest first (tokens, normalized text):\n",
               shorter == &s[0] ? 'A' : 'B');
        for (size_t i = 0; i < np; i++) {
            const char *t;
            size_t len;
            cli_passage_text(shorter, &pa[i], &t, &len);
            printf("%6zu  ", pa[i].count);
            cli_put_safe(stdout, t, len > 400 ? 400 : len);
            fputs(len > 400 ? "...\n" : "\n", stdout);
        }
        cli_side_left_out(&s[0], print_left, "A");
        cli_side_left_out(&s[1], print_left, "B");
    } else {
        int e = cli_buf_printf(&out, "{\"similarity\":%.4f,\"measure\":\"%s\",\"threshold\":%.4f,"
                                     "\"duplicates\":%s,\"shared_shingles\":%zu,\"documents\":[",
                               sim, mname, threshold, dup ? "true" : "false", shared);
        for (int x = 0; x < 2 && !e; x++) {
            e |= cli_buf_printf(&out, "%s{\"id\":", x ? "," : "");
            e |= cli_buf_json_string(&out, s[x].want, strlen(s[x].want));
            e |= cli_buf_add(&out, ",\"file\":", 8);
            e |= cli_buf_json_string(&out, s[x].file, strlen(s[x].file));
            e |= cli_buf_printf(&out, ",\"line\":%llu,\"bytes\":%zu,\"tokens\":%zu,"
                                      "\"shingles\":%zu,\"shared_tokens\":%zu,\"left_out\":",
                                (unsigned long long)s[x].line, s[x].text_len, s[x].ntok,
                                s[x].nsh, s[x].shared_tokens);
            e |= cli_side_json_left_out(&out, &s[x]);
            e |= cli_buf_addc(&out, '}');
        }
        e |= cli_buf_add(&out, "],\"passages\":[", 14);
        for (size_t i = 0; i < np && !e; i++) {
            const char *t;
            size_t len;
            cli_passage_text(shorter, &pa[i], &t, &len);
            e |= cli_buf_printf(&out, "%s{\"tokens\":%zu,\"text\":", i ? "," : "", pa[i].count);
            e |= cli_buf_json_string(&out, t, len);
            e |= cli_buf_addc(&out, '}');
        }
        e |= cli_buf_add(&out, "]}\n", 3);
        if (e) {
            rc = DEDUP_E_NOMEM;
            goto lib_error;
        }
        fwrite(out.data, 1, out.len, stdout);
    }
    if ((fflush(stdout) || ferror(stdout)) && !status) {
        cli_msg("cannot write the output");
        status = EXIT_IO;
    }
    goto done;
lib_error:
    cli_msg("%s", dedup_strerror(rc));
    status = EXIT_INTERNAL;
done:
    free(pa);
    cli_buf_free(&out);
    cli_side_free(&s[0]);
    cli_side_free(&s[1]);
    cli_reader_free(r);
    dedup_linestats_free(ls);
    dedup_hasher_free(h);
    dedup_params_free(p);
    return status;
}
