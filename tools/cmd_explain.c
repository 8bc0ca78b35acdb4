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

#include "cli.h"
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

/* One document of the two. */
typedef struct side {
    const char *want;       /* the id asked for */
    int found;
    char *text;             /* a copy of its text */
    size_t text_len;
    char *file;             /* where it was read */
    uint64_t line;
    char *compared;         /* what the comparison kept of it */
    size_t compared_len;
    char *norm;             /* the normalized compared text */
    size_t norm_len;
    dedup_token *tok;       /* its tokens */
    size_t ntok;
    unsigned n;             /* shingle size */
    uint64_t *sh;           /* its shingle set, sorted */
    size_t nsh;
    unsigned char *shared;  /* per token: covered by a shingle the other holds */
    size_t shared_tokens;
} side;

static void side_free(side *s)
{
    free(s->text);
    free(s->file);
    free(s->compared);
    free(s->norm);
    free(s->tok);
    free(s->sh);
    free(s->shared);
}

static char *dup_bytes(const char *p, size_t n)
{
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, p, n);
        c[n] = 0;
    }
    return c;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The hash of the n tokens from t: any fixed combination will do, as it
 * is only compared with the other document's. */
static uint64_t gram(const dedup_token *t, unsigned n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (unsigned i = 0; i < n; i++) {
        h ^= t[i].hash + 0x632be59bd9b4e019ULL + (h << 6) + (h >> 2);
        h *= 0xff51afd7ed558ccdULL;
    }
    return h;
}

/* Run the pipeline on s's text with h and keep what it compared. */
static int analyse(dedup_hasher *h, side *s)
{
    const char *norm, *kept;
    size_t norm_len, ntok, kept_len;
    const dedup_token *tok;
    int rc = dedup_hasher_tokenize(h, s->text, s->text_len, &norm, &norm_len, &tok, &ntok);
    if (rc)
        return rc;
    unsigned n;
    dedup_hasher_compared(h, &kept, &kept_len, &n);
    s->n = n;
    s->compared = dup_bytes(kept, kept_len);
    s->compared_len = kept_len;
    s->norm = dup_bytes(norm, norm_len);
    s->norm_len = norm_len;
    s->tok = malloc((ntok ? ntok : 1) * sizeof *s->tok);
    s->shared = calloc(ntok ? ntok : 1, 1);
    if (!s->compared || !s->norm || !s->tok || !s->shared)
        return DEDUP_E_NOMEM;
    memcpy(s->tok, tok, ntok * sizeof *tok);
    s->ntok = ntok;
    const uint64_t *sh;
    size_t nsh;
    if ((rc = dedup_hasher_shingles(h, s->text, s->text_len, &sh, &nsh)))
        return rc;
    s->sh = malloc((nsh ? nsh : 1) * sizeof *sh);
    if (!s->sh)
        return DEDUP_E_NOMEM;
    memcpy(s->sh, sh, nsh * sizeof *sh);
    s->nsh = nsh;
    qsort(s->sh, nsh, sizeof *sh, cmp_u64);
    return DEDUP_OK;
}

/* Mark the tokens of a covered by an n-gram (a's shingle size) that b also
 * holds. Returns 0, or -1 when memory ran out. */
static int mark_shared(side *a, const side *b)
{
    unsigned n = a->n;
    if (a->ntok < n || b->ntok < n || n == 0)
        return 0;
    size_t m = b->ntok - n + 1, cap = 16;
    while (cap < 2 * m)
        cap <<= 1;
    uint64_t *tab = calloc(cap, sizeof *tab); /* 0 = empty */
    if (!tab)
        return -1;
    for (size_t j = 0; j < m; j++) {
        uint64_t g = gram(b->tok + j, n) | 1;
        size_t k = (size_t)(g >> 7) & (cap - 1);
        while (tab[k] && tab[k] != g)
            k = (k + 1) & (cap - 1);
        tab[k] = g;
    }
    for (size_t i = 0; i + n <= a->ntok; i++) {
        uint64_t g = gram(a->tok + i, n) | 1;
        size_t k = (size_t)(g >> 7) & (cap - 1);
        while (tab[k] && tab[k] != g)
            k = (k + 1) & (cap - 1);
        if (tab[k] == g)
            memset(a->shared + i, 1, n);
    }
    free(tab);
    for (size_t i = 0; i < a->ntok; i++)
        a->shared_tokens += a->shared[i];
    return 0;
}

typedef struct passage {
    size_t first, count; /* tokens */
} passage;

static int by_length(const void *x, const void *y)
{
    const passage *a = x, *b = y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return a->first < b->first ? -1 : a->first > b->first;
}

/* The runs of shared tokens of s, longest first; *np receives their count. */
static passage *passages(const side *s, size_t *np)
{
    passage *p = malloc((s->ntok / 2 + 1) * sizeof *p);
    size_t n = 0;
    if (!p)
        return NULL;
    for (size_t i = 0; i < s->ntok;) {
        if (!s->shared[i]) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < s->ntok && s->shared[j])
            j++;
        p[n].first = i;
        p[n].count = j - i;
        n++;
        i = j;
    }
    qsort(p, n, sizeof *p, by_length);
    *np = n;
    return p;
}

/* The normalized text of tokens [first, first + count) of s. */
static void passage_text(const side *s, const passage *p, const char **text, size_t *len)
{
    const dedup_token *a = &s->tok[p->first], *z = &s->tok[p->first + p->count - 1];
    *text = s->norm + a->offset;
    *len = z->offset + z->length - a->offset;
}

/* Print text (n bytes) for a terminal or a TSV reader: control characters
 * (tabs, newlines, escapes) become spaces. */
static void put_clean(const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        putchar(c < 0x20 || c == 0x7f ? ' ' : c);
    }
}

/* What the comparison left out of s, as pieces of its text: lines that
 * are not in the compared text, and the parts of kept lines that became a
 * space (quotations). Calls fn for each with the kind ("line" or
 * "quotation"). */
typedef void (*left_fn)(void *ctx, const char *kind, const char *text, size_t len);

/* Whether kept line k (kl bytes) is line t (tl bytes) with pieces made
 * single spaces; reports the pieces through fn unless fn is NULL. Where
 * the two first differ, k holds the space; the piece of t runs to the
 * next place where t goes on as k does after the space (the next 8 bytes,
 * or the end). */
static int pieces(const char *t, size_t tl, const char *k, size_t kl, left_fn fn, void *ctx)
{
    size_t i = 0, j = 0;
    int any = 0;
    while (i < tl || j < kl) {
        if (i < tl && j < kl && t[i] == k[j]) {
            i++;
            j++;
            continue;
        }
        if (j >= kl || k[j] != ' ' || i >= tl)
            return 0;
        size_t rest = kl - j - 1, want = rest < 8 ? rest : 8, q;
        if (rest == 0) {
            q = tl;
        } else {
            q = i + 1;
            while (q + want <= tl && memcmp(t + q, k + j + 1, want) != 0)
                q++;
            if (q + want > tl)
                return 0;
        }
        if (fn)
            fn(ctx, "quotation", t + i, q - i);
        any = 1;
        i = q;
        j++;
    }
    return any;
}

static void left_out(const side *s, left_fn fn, void *ctx)
{
    const char *t = s->text, *tend = s->text + s->text_len;
    const char *k = s->compared, *kend = s->compared + s->compared_len;
    if (s->compared_len == s->text_len && memcmp(t, k, s->text_len) == 0)
        return;
    while (t < tend) {
        const char *tnl = memchr(t, '\n', (size_t)(tend - t));
        const char *te = tnl ? tnl : tend;
        const char *knl = k < kend ? memchr(k, '\n', (size_t)(kend - k)) : NULL;
        const char *ke = k < kend ? (knl ? knl : kend) : k;
        size_t tl = (size_t)(te - t), kl = (size_t)(ke - k);
        if (k < kend && tl == kl && memcmp(t, k, tl) == 0) {
            k = knl ? knl + 1 : kend; /* kept whole */
        } else if (k < kend && pieces(t, tl, k, kl, NULL, NULL)) {
            pieces(t, tl, k, kl, fn, ctx); /* kept, quotations made spaces */
            k = knl ? knl + 1 : kend;
        } else if (tl > 0) {
            fn(ctx, "line", t, tl);
        }
        t = tnl ? tnl + 1 : tend;
    }
}

static void print_left(void *ctx, const char *kind, const char *text, size_t len)
{
    const char *name = ctx;
    int blank = 1;
    for (size_t i = 0; i < len; i++)
        blank &= text[i] == ' ' || text[i] == '\t' || text[i] == '\r';
    if (blank)
        return;
    printf("left out of %s, %s: ", name, kind);
    put_clean(text, len > 300 ? 300 : len);
    fputs(len > 300 ? "...\n" : "\n", stdout);
}

typedef struct json_ctx {
    cli_buf *b;
    int first;
    int err;
} json_ctx;

static void json_left(void *ctx, const char *kind, const char *text, size_t len)
{
    json_ctx *j = ctx;
    int blank = 1;
    for (size_t i = 0; i < len; i++)
        blank &= text[i] == ' ' || text[i] == '\t' || text[i] == '\r';
    if (blank)
        return;
    j->err |= cli_buf_printf(j->b, "%s{\"kind\":\"%s\",\"text\":", j->first ? "" : ",", kind);
    j->err |= cli_buf_json_string(j->b, text, len);
    j->err |= cli_buf_addc(j->b, '}');
    j->first = 0;
}

static size_t shared_count(const side *a, const side *b)
{
    size_t i = 0, j = 0, n = 0;
    while (i < a->nsh && j < b->nsh) {
        if (a->sh[i] < b->sh[j])
            i++;
        else if (a->sh[i] > b->sh[j])
            j++;
        else {
            n++;
            i++;
            j++;
        }
    }
    return n;
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
    int64_t v, max_passages = 10;
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
            if (!strcmp(optarg, "off")) {
                boilerplate = 0;
            } else if (cli_parse_int(optarg, 2, UINT32_MAX, &v)) {
                cli_msg("invalid --boilerplate '%s' (a count of at least 2, or off)", optarg);
                return cli_usage_error("explain");
            } else {
                boilerplate = (uint32_t)v;
            }
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
    side s[2];
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
    passage *pa = NULL;
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
            s[x].text = dup_bytes(d.text, d.text_len);
            s[x].text_len = d.text_len;
            s[x].file = dup_bytes(d.file, strlen(d.file));
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
        if ((rc = analyse(h, &s[x])))
            goto lib_error;
    if (mark_shared(&s[0], &s[1]) || mark_shared(&s[1], &s[0])) {
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
    size_t shared = shared_count(&s[0], &s[1]);
    size_t np = 0;
    const side *shorter = s[0].ntok <= s[1].ntok ? &s[0] : &s[1];
    if (!(pa = passages(shorter, &np))) {
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
            passage_text(shorter, &pa[i], &t, &len);
            printf("%6zu  ", pa[i].count);
            put_clean(t, len > 400 ? 400 : len);
            fputs(len > 400 ? "...\n" : "\n", stdout);
        }
        left_out(&s[0], print_left, "A");
        left_out(&s[1], print_left, "B");
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
                                      "\"shingles\":%zu,\"shared_tokens\":%zu,\"left_out\":[",
                                (unsigned long long)s[x].line, s[x].text_len, s[x].ntok,
                                s[x].nsh, s[x].shared_tokens);
            json_ctx jc = {&out, 1, 0};
            left_out(&s[x], json_left, &jc);
            e |= jc.err;
            e |= cli_buf_add(&out, "]}", 2);
        }
        e |= cli_buf_add(&out, "],\"passages\":[", 14);
        for (size_t i = 0; i < np && !e; i++) {
            const char *t;
            size_t len;
            passage_text(shorter, &pa[i], &t, &len);
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
    side_free(&s[0]);
    side_free(&s[1]);
    cli_reader_free(r);
    dedup_linestats_free(ls);
    dedup_hasher_free(h);
    dedup_params_free(p);
    return status;
}
