/*
 * cmd_shingles.c - `dedup shingles`: show what the pipeline makes of each
 * document: its normalized text, its tokens with their hashes, and its
 * shingle hashes. A debugging aid for users who wonder why two documents
 * are, or are not, found similar.
 *
 * Output, per document (tab-separated), ending with the counts:
 *   norm      ID  NORMALIZED-TEXT
 *   token     ID  I  TEXT  HASH
 *   shingle   ID  I  HASH
 *   doc       ID  TOKENS  SHINGLES
 * Hashes are 16 hex digits. Tabs and newlines in token text cannot occur
 * (they separate tokens); the normalized text has none either.
 */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "input.h"

static const char help_text[] =
    "Usage: dedup shingles [OPTIONS] [FILE...]\n"
    "\n"
    "Print the normalized text, the tokens and the shingle hashes of each\n"
    "document (lists of links left out, as in the comparison), one item a\n"
    "line, ending with the counts:\n"
    "  norm<TAB>id<TAB>normalized text\n"
    "  token<TAB>id<TAB>i<TAB>text<TAB>hash\n"
    "  shingle<TAB>id<TAB>i<TAB>hash\n"
    "  doc<TAB>id<TAB>tokens<TAB>shingles\n"
    "\n"
    "  --no-tokens           leave out the token lines\n"
    "  -h, --help            show this help\n"
    "\n"
    "Input options as for 'dedup cluster'; --shingle-size, --char-shingle-size\n"
    "and --seed change the shingles.\n";

enum { OPT_NO_TOKENS = 2000 };

int cmd_shingles(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_INPUT_OPTIONS,
        CLI_PARAM_OPTIONS,
        {"no-tokens", 0, 0, OPT_NO_TOKENS},
        {"help", 0, 0, 'h'},
        {0, 0, 0, 0},
    };
    cli_input_opts io;
    cli_param_opts po = {0};
    int opt, tokens = 1;
    cli_input_defaults(&io);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int h = cli_common_option(opt, optarg, &io, &po);
        if (h < 0)
            return cli_usage_error("shingles");
        if (h)
            continue;
        if (opt == 'h') {
            fputs(help_text, stdout);
            return EXIT_OK;
        }
        if (opt == OPT_NO_TOKENS) {
            tokens = 0;
            continue;
        }
        return cli_usage_error("shingles");
    }
    dedup_params *p;
    int status = cli_make_params(&po, &p);
    if (status)
        return status == EXIT_USAGE ? cli_usage_error("shingles") : status;
    dedup_hasher *h = NULL;
    cli_reader *r = NULL;
    int rc = dedup_hasher_create(&h, p);
    if (rc) {
        cli_msg("%s", dedup_strerror(rc));
        status = EXIT_INTERNAL;
        goto done;
    }
    if ((status = cli_open_reader(&r, &io, argv + optind, (size_t)(argc - optind), 0)))
        goto done;
    cli_doc d;
    uint64_t skipped = 0;
    while ((rc = cli_next_doc(r, &d, &io, &skipped, &status)) == 1) {
        const char *norm;
        size_t norm_len, ntok, nsh;
        const dedup_token *tok;
        const uint64_t *sh;
        if ((rc = dedup_hasher_tokenize(h, d.text, d.text_len, &norm, &norm_len, &tok, &ntok))) {
            cli_msg("%s", dedup_strerror(rc));
            status = EXIT_INTERNAL;
            break;
        }
        /* Token lines first: the shingle call reuses the token buffers. */
        int ilen = (int)(d.id_len > 4096 ? 4096 : d.id_len);
        printf("norm\t%.*s\t%.*s\n", ilen, d.id, (int)(norm_len > INT32_MAX ? INT32_MAX : norm_len),
               norm);
        if (tokens)
            for (size_t i = 0; i < ntok; i++)
                printf("token\t%.*s\t%zu\t%.*s\t%016" PRIx64 "\n", ilen, d.id, i,
                       (int)tok[i].length, norm + tok[i].offset, tok[i].hash);
        if ((rc = dedup_hasher_shingles(h, d.text, d.text_len, &sh, &nsh))) {
            cli_msg("%s", dedup_strerror(rc));
            status = EXIT_INTERNAL;
            break;
        }
        for (size_t i = 0; i < nsh; i++)
            printf("shingle\t%.*s\t%zu\t%016" PRIx64 "\n", ilen, d.id, i, sh[i]);
        printf("doc\t%.*s\t%zu\t%zu\n", ilen, d.id, ntok, nsh);
        if (dedup_hasher_replaced(h))
            cli_warn_utf8(d.file, d.line);
    }
    if (rc < 0 && status == EXIT_OK)
        status = EXIT_INTERNAL;
    if ((fflush(stdout) || ferror(stdout)) && !status) {
        cli_msg("cannot write the output");
        status = EXIT_IO;
    }
done:
    cli_reader_free(r);
    dedup_hasher_free(h);
    dedup_params_free(p);
    return status;
}
