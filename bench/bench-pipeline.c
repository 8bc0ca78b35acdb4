/*
 * bench-pipeline.c - throughput of the text pipeline, one thread.
 *
 * Prints one line per figure:
 *   - normalization of generated ASCII English and of generated "mixed"
 *     English (curly quotes, dashes, accented names every few sentences);
 *   - for each corpus file found (reuters21578.jsonl, bbc.jsonl,
 *     livedoor-ja.jsonl, cnews-zh.jsonl in the folder given by --corpora,
 *     default ../shared/corpora): normalization, the whole pipeline to a
 *     shingle set, and signatures (pipeline plus MinHash), in MB/s and
 *     documents/s. Missing corpora are reported as skipped.
 *
 * Usage: bench-pipeline [--corpora DIR] [--mb N] [--repeat N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dedup.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng_state = 42;
static uint64_t rng(void)
{
    rng_state += 0x9e3779b97f4a7c15ULL;
    uint64_t z = rng_state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static const char *const words[] = {
    "the", "minister", "said", "on", "Tuesday", "that", "government", "would", "review",
    "plans", "for", "new", "railway", "line", "between", "two", "cities", "after", "talks",
    "with", "officials", "in", "Seoul", "and", "Tokyo", "shares", "rose", "percent", "to",
    "record", "high", "while", "analysts", "expect", "growth", "of", "about", "1.5", "next",
    "year", "according", "a", "statement", "issued", "by", "central", "bank", "its", "policy",
    "meeting", "was", "held", "2023", "market", "prices", "fell", "sharply", "as", "investors",
};
#define NWORDS (sizeof words / sizeof words[0])

/* Generated English: sentences of random words, paragraphs of sentences.
 * mixed adds typographic quotes, dashes and accented names. */
static char *make_text(size_t size, int mixed, size_t *len)
{
    char *b = malloc(size + 64);
    size_t n = 0;
    int in_sentence = 0;
    while (n < size) {
        const char *w = words[rng() % NWORDS];
        size_t l = strlen(w);
        if (!in_sentence) {
            b[n++] = (char)(w[0] >= 'a' && w[0] <= 'z' ? w[0] - 32 : w[0]);
            memcpy(b + n, w + 1, l - 1);
            n += l - 1;
            in_sentence = 1;
        } else {
            memcpy(b + n, w, l);
            n += l;
        }
        uint64_t r = rng() % 100;
        if (mixed && r < 3) {
            const char *extra = r == 0 ? " \xe2\x80\x9cJos\xc3\xa9\xe2\x80\x9d"
                                : r == 1 ? " \xe2\x80\x94 M\xc3\xbcller\xe2\x80\x99s"
                                         : " Fran\xc3\xa7ois";
            memcpy(b + n, extra, strlen(extra));
            n += strlen(extra);
        }
        if (r < 8) {
            memcpy(b + n, ". ", 2);
            n += 2;
            in_sentence = 0;
            if (r < 2)
                b[n - 1] = '\n';
        } else if (r < 12) {
            memcpy(b + n, ", ", 2);
            n += 2;
        } else {
            b[n++] = ' ';
        }
    }
    *len = n;
    return b;
}

typedef struct {
    char **text;
    size_t *len;
    size_t n, cap, bytes;
} corpus;

/* Minimal extraction of the "text" string of a JSON line: enough for the
 * corpora used here (a benchmark input reader, not the CLI's parser). */
static int extract_text(const char *line, char **out, size_t *outlen)
{
    const char *p = strstr(line, "\"text\"");
    if (!p)
        return 0;
    p += 6;
    while (*p == ' ' || *p == ':')
        p++;
    if (*p != '"')
        return 0;
    p++;
    char *o = malloc(strlen(p) + 1);
    size_t n = 0;
    while (*p && *p != '"') {
        if (*p == '\\' && p[1]) {
            p++;
            switch (*p) {
            case 'n': o[n++] = '\n'; break;
            case 't': o[n++] = '\t'; break;
            case 'r': o[n++] = '\r'; break;
            case 'u': {
                unsigned v = 0;
                for (int i = 1; i <= 4 && p[i]; i++) {
                    char c = p[i];
                    v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
                }
                p += 4;
                if (v >= 0xD800 && v <= 0xDBFF && p[1] == '\\' && p[2] == 'u') {
                    unsigned lo = 0;
                    for (int i = 3; i <= 6 && p[i]; i++) {
                        char c = p[i];
                        lo = lo * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
                    }
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
                if (v < 0x80) {
                    o[n++] = (char)v;
                } else if (v < 0x800) {
                    o[n++] = (char)(0xC0 | v >> 6);
                    o[n++] = (char)(0x80 | (v & 63));
                } else if (v < 0x10000) {
                    o[n++] = (char)(0xE0 | v >> 12);
                    o[n++] = (char)(0x80 | ((v >> 6) & 63));
                    o[n++] = (char)(0x80 | (v & 63));
                } else {
                    o[n++] = (char)(0xF0 | v >> 18);
                    o[n++] = (char)(0x80 | ((v >> 12) & 63));
                    o[n++] = (char)(0x80 | ((v >> 6) & 63));
                    o[n++] = (char)(0x80 | (v & 63));
                }
                break;
            }
            default: o[n++] = *p; break;
            }
            p++;
        } else {
            o[n++] = *p++;
        }
    }
    *out = o;
    *outlen = n;
    return 1;
}

static int load_corpus(const char *path, corpus *c)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    memset(c, 0, sizeof *c);
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    while ((got = getline(&line, &cap, f)) > 0) {
        char *t;
        size_t l;
        if (!extract_text(line, &t, &l))
            continue;
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 1024;
            c->text = realloc(c->text, c->cap * sizeof *c->text);
            c->len = realloc(c->len, c->cap * sizeof *c->len);
        }
        c->text[c->n] = t;
        c->len[c->n++] = l;
        c->bytes += l;
    }
    free(line);
    fclose(f);
    return 1;
}

static void free_corpus(corpus *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->text[i]);
    free(c->text);
    free(c->len);
}

enum { STAGE_NORMALIZE, STAGE_SHINGLE, STAGE_SIGN };

static double run_stage(dedup_hasher *h, dedup_signature *sig, const corpus *c, int stage,
                        int repeat)
{
    double t0 = now();
    size_t sink = 0;
    for (int r = 0; r < repeat; r++)
        for (size_t i = 0; i < c->n; i++) {
            const char *o;
            size_t n;
            const uint64_t *s;
            if (stage == STAGE_NORMALIZE) {
                dedup_hasher_normalize(h, c->text[i], c->len[i], &o, &n);
                sink += n;
            } else if (stage == STAGE_SHINGLE) {
                dedup_hasher_shingles(h, c->text[i], c->len[i], &s, &n);
                sink += n;
            } else {
                dedup_hasher_sign(h, c->text[i], c->len[i], sig);
                sink += dedup_signature_values(sig)[0];
            }
        }
    double t = now() - t0;
    if (sink == 1)
        printf("#\n");
    return t;
}

static void report(const char *name, dedup_hasher *h, dedup_signature *sig, const corpus *c,
                   int repeat)
{
    static const char *const stage_names[] = {"normalize", "shingles", "signatures"};
    for (int st = STAGE_NORMALIZE; st <= STAGE_SIGN; st++) {
        run_stage(h, sig, c, st, 1); /* warm up buffers and caches */
        double t = run_stage(h, sig, c, st, repeat);
        double mb = (double)c->bytes * repeat / 1e6;
        printf("%-24s %-11s %8.1f MB/s %10.0f docs/s  (%zu docs, %.1f MB)\n", name,
               stage_names[st], mb / t, (double)c->n * repeat / t, c->n, c->bytes / 1e6);
    }
}

int main(int argc, char **argv)
{
    const char *dir = "../shared/corpora";
    int mb = 64, repeat = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--corpora") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--mb") && i + 1 < argc)
            mb = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench-pipeline [--corpora DIR] [--mb N] [--repeat N]\n");
            return 2;
        }
    }
    dedup_hasher *h;
    dedup_signature *sig;
    if (dedup_hasher_create(&h, NULL) != DEDUP_OK || dedup_signature_create(&sig, NULL) != DEDUP_OK)
        return 1;

    /* Generated text, in ~3 KB documents. */
    for (int mixed = 0; mixed <= 1; mixed++) {
        size_t len;
        char *t = make_text((size_t)mb << 20, mixed, &len);
        corpus c = {0};
        size_t docs = len / 3000;
        c.text = malloc(docs * sizeof *c.text);
        c.len = malloc(docs * sizeof *c.len);
        for (size_t i = 0; i < docs; i++) {
            c.text[i] = t + i * 3000;
            c.len[i] = 3000;
        }
        c.n = docs;
        c.bytes = docs * 3000;
        report(mixed ? "generated-mixed-en" : "generated-ascii-en", h, sig, &c, repeat);
        free(c.text);
        free(c.len);
        free(t);
    }

    static const char *const files[] = {"reuters21578.jsonl", "bbc.jsonl", "livedoor-ja.jsonl",
                                        "cnews-zh.jsonl"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, files[f]);
        corpus c;
        if (!load_corpus(path, &c)) {
            printf("%-24s skipped: %s not present\n", files[f], path);
            continue;
        }
        report(files[f], h, sig, &c, repeat);
        free_corpus(&c);
    }
    dedup_signature_free(sig);
    dedup_hasher_free(h);
    return 0;
}
