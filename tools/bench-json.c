/*
 * bench-json.c - measures how fast each candidate JSON library extracts the
 * "id" and "text" fields of news-like JSON lines, to choose the parser of the
 * dedup tool. Records of about 3 KB are generated from a fixed seed: English
 * words with some accented and Korean words, paragraph breaks written as
 * \n, escaped quotes, a title, a date and a URL, like the articles of a
 * news crawl. Prints one line per library: MB/s of JSON parsed, the best of
 * several rounds.
 *
 * Candidates: jansson and cJSON (each built in when found) and simdjson
 * through the tool's own wrapper (json.cpp).
 *
 * Usage: bench-json [MEGABYTES]   (default 32)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"

#ifdef HAVE_JANSSON
#include <jansson.h>
#endif
#ifdef HAVE_CJSON
#include <cjson/cJSON.h>
#endif

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *words[] = {
    "the", "minister", "said", "on", "Tuesday", "that", "government", "would",
    "announce", "new", "measures", "to", "support", "exports", "after", "a",
    "sharp", "fall", "in", "demand", "from", "China", "officials", "told",
    "reporters", "in", "Seoul", "café", "résumé", "서울", "정부는", "발표했다",
    "percent", "of", "economy", "growth", "quarter", "analysts", "expect",
    "the", "central", "bank", "to", "keep", "interest", "rates", "unchanged",
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Append one record of about 3 KB, ending with a newline. */
static size_t make_record(char *out, unsigned n)
{
    size_t o = (size_t)sprintf(out,
                               "{\"id\": \"yna-%06u\", \"title\": \"Government to announce "
                               "export measures\", \"date\": \"2024-05-%02uT09:%02u:00+09:00\", "
                               "\"url\": \"https://example.com/news/%u\", \"text\": \"",
                               n, n % 28 + 1, n % 60, n);
    size_t start = o;
    while (o - start < 2900) {
        const char *w = words[next() % (sizeof words / sizeof *words)];
        size_t len = strlen(w);
        memcpy(out + o, w, len);
        o += len;
        uint64_t r = next() % 100;
        if (r < 3) {
            memcpy(out + o, ".\\n\\n", 5);
            o += 5;
        } else if (r < 5) {
            memcpy(out + o, " \\\"quoted\\\" ", 12);
            o += 12;
        } else {
            out[o++] = ' ';
        }
    }
    memcpy(out + o, "\", \"category\": \"business\"}\n", 28);
    return o + 28 - 1;
}

typedef size_t (*parse_fn)(const char *line, size_t len);

static cli_json *sj;
static size_t run_simdjson(const char *line, size_t len)
{
    cli_json_field f[2] = {{"id", 0, 0, 0, 0}, {"text", 0, 0, 0, 0}};
    size_t replaced = 0;
    const char *what;
    if (cli_json_extract(sj, line, len, f, 2, &replaced, &what))
        return 0;
    return f[1].len + (f[0].type != CLI_JSON_MISSING);
}

#ifdef HAVE_JANSSON
static size_t run_jansson(const char *line, size_t len)
{
    json_error_t e;
    json_t *root = json_loadb(line, len, 0, &e);
    size_t n = 0;
    if (root) {
        json_t *t = json_object_get(root, "text");
        json_t *id = json_object_get(root, "id");
        n = t ? json_string_length(t) : 0;
        n += id != NULL;
        json_decref(root);
    }
    return n;
}
#endif

#ifdef HAVE_CJSON
static size_t run_cjson(const char *line, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(line, len);
    size_t n = 0;
    if (root) {
        cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "text");
        cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
        n = cJSON_IsString(t) ? strlen(t->valuestring) : 0;
        n += id != NULL;
        cJSON_Delete(root);
    }
    return n;
}
#endif

static void bench(const char *name, parse_fn fn, const char *buf, const size_t *offs,
                  size_t nrec, size_t total)
{
    double best = 1e30;
    size_t check = 0;
    for (int round = 0; round < 3; round++) {
        double t0 = now();
        check = 0;
        for (size_t i = 0; i < nrec; i++)
            check += fn(buf + offs[i], offs[i + 1] - offs[i] - 1);
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    printf("%-10s %8.1f MB/s  (%zu records, %.1f MB, %zu text bytes)\n", name,
           (double)total / best / 1e6, nrec, (double)total / 1e6, check);
}

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 32;
    if (mb < 1 || mb > 1024) {
        fprintf(stderr, "usage: bench-json [MEGABYTES 1..1024]\n");
        return 2;
    }
    size_t cap = mb << 20, total = 0, nrec = 0;
    char *buf = malloc(cap + 8192 + CLI_JSON_PADDING);
    size_t *offs = malloc((cap / 2000 + 2) * sizeof *offs);
    if (!buf || !offs)
        return 4;
    offs[0] = 0;
    while (total + 4096 < cap) {
        total += make_record(buf + total, (unsigned)nrec) + 1;
        offs[++nrec] = total;
    }
    memset(buf + total, 0, CLI_JSON_PADDING);
    sj = cli_json_create();
    if (!sj)
        return 4;
    printf("bench-json: %zu records of %.0f bytes on average\n", nrec,
           (double)total / (double)nrec);
    bench("simdjson", run_simdjson, buf, offs, nrec, total);
#ifdef HAVE_JANSSON
    bench("jansson", run_jansson, buf, offs, nrec, total);
#endif
#ifdef HAVE_CJSON
    bench("cJSON", run_cjson, buf, offs, nrec, total);
#endif
    cli_json_free(sj);
    free(buf);
    free(offs);
    return 0;
}
