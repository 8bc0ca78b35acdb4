/*
 * gen.c - command-line driver of the corpus generator: writes a JSONL
 * corpus of news articles and a ground-truth TSV saying which documents
 * are copies of one story and which stories are about one event.
 *
 *   gen [--docs N] [--seed S] [--lang en|ko|ja|zh|mixed]
 *       [--kind standard|boilerplate|briefs|cuts] [--base FILE.jsonl]
 *       [--out FILE] [--truth FILE] [--stats]
 *
 * Design:
 *   - Everything follows from --seed: events, stories and copies each take
 *     their own random stream (gen_fork), so output is byte-identical from
 *     run to run and across platforms.
 *   - Events hold one story (most of them) or several: independent reports
 *     and follow-ups, the hard negatives. Each story is published once and
 *     republished 0 to 10 times with a skewed count (many singletons).
 *   - Documents pass through a shuffle pool of a few thousand entries
 *     before being written, so copies of one story are spread over the
 *     file as in a crawl rather than lying next to each other; memory
 *     stays bounded whatever --docs is.
 *   - Output goes through large stdio buffers; the renderers append to
 *     reused growable buffers, with no allocation per word.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen.h"

#define POOL 2048

typedef struct {
    gen_buf json, truth;
} pool_entry;

typedef struct {
    uint64_t docs_max, docs, stories, events, bytes;
    uint64_t base_merged; /* base articles made one story with another */
    uint64_t seed;
    int kind;
    const gen_lang *lang; /* NULL: mixed (or detected, with --base) */
    FILE *out, *truth;
    gen_world *w;
    pool_entry pool[POOL];
    int pool_n;
    gen_rng pool_rng;
    gen_buf title, text;
} gen_run;

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2), noreturn))
#endif
static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "gen: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

/* ------------------------------------------------------------------ JSON */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_valid(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && s[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && s[1] >= 0xA0)
            return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

/* Append s as a JSON string; invalid UTF-8 becomes U+FFFD so that the
 * output is always valid whatever a base corpus holds. */
static void json_str(gen_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, run = 0;
    gen_buf_reserve(b, n + 16);
    gen_buf_putc(b, '"');
    while (i < n) {
        unsigned char c = u[i];
        size_t k;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (c >= 0x80 && (k = utf8_valid(u + i, n - i)) != 0) {
            i += k;
            continue;
        }
        gen_buf_put(b, s + run, i - run);
        if (c == '"' || c == '\\') {
            gen_buf_putc(b, '\\');
            gen_buf_putc(b, (char)c);
        } else if (c == '\n') {
            gen_buf_put(b, "\\n", 2);
        } else if (c == '\t') {
            gen_buf_put(b, "\\t", 2);
        } else if (c == '\r') {
            gen_buf_put(b, "\\r", 2);
        } else if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            gen_buf_put(b, e, 6);
        } else {
            gen_buf_puts(b, "\xef\xbf\xbd");
        }
        run = ++i;
    }
    gen_buf_put(b, s + run, n - run);
    gen_buf_putc(b, '"');
}

typedef struct {
    const char *p, *end;
} jcur;

static void j_ws(jcur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' ||
                             *c->p == '\n'))
        c->p++;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch |= 0x20;
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static int j_hex4(jcur *c, unsigned *v)
{
    int i;
    *v = 0;
    if (c->end - c->p < 4)
        return -1;
    for (i = 0; i < 4; i++) {
        int h = hexval((unsigned char)c->p[i]);
        if (h < 0)
            return -1;
        *v = *v << 4 | (unsigned)h;
    }
    c->p += 4;
    return 0;
}

static void put_cp(gen_buf *b, unsigned cp)
{
    char u[4];
    if (cp < 0x80) {
        gen_buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        gen_buf_put(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        gen_buf_put(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        gen_buf_put(b, u, 4);
    }
}

/* Parse a JSON string at c->p, appending its value to out (if not NULL).
 * Returns 0, or -1 on malformed input. */
static int j_string(jcur *c, gen_buf *out)
{
    if (c->p >= c->end || *c->p != '"')
        return -1;
    c->p++;
    while (c->p < c->end) {
        const char *s = c->p;
        while (c->p < c->end && *c->p != '"' && *c->p != '\\')
            c->p++;
        if (out)
            gen_buf_put(out, s, (size_t)(c->p - s));
        if (c->p >= c->end)
            return -1;
        if (*c->p == '"') {
            c->p++;
            return 0;
        }
        c->p++; /* backslash */
        if (c->p >= c->end)
            return -1;
        {
            char e = *c->p++;
            unsigned cp, lo;
            const char *m = strchr("\"\\/bfnrt", e);
            if (e && m) {
                static const char rep[] = "\"\\/\b\f\n\r\t";
                if (out)
                    gen_buf_putc(out, rep[m - "\"\\/bfnrt"]);
                continue;
            }
            if (e != 'u' || j_hex4(c, &cp))
                return -1;
            if (cp >= 0xD800 && cp < 0xDC00) {
                if (c->end - c->p >= 6 && c->p[0] == '\\' && c->p[1] == 'u') {
                    jcur save = *c;
                    c->p += 2;
                    if (!j_hex4(c, &lo) && lo >= 0xDC00 && lo < 0xE000)
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    else {
                        *c = save;
                        cp = 0xFFFD;
                    }
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                cp = 0xFFFD;
            }
            if (out)
                put_cp(out, cp);
        }
    }
    return -1;
}

static int j_value(jcur *c, int depth);

static int j_container(jcur *c, int depth, char close, int keyed)
{
    c->p++;
    j_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return 0;
    }
    for (;;) {
        if (keyed) {
            if (j_string(c, NULL))
                return -1;
            j_ws(c);
            if (c->p >= c->end || *c->p != ':')
                return -1;
            c->p++;
        }
        if (j_value(c, depth + 1))
            return -1;
        j_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            j_ws(c);
            continue;
        }
        if (c->p < c->end && *c->p == close) {
            c->p++;
            return 0;
        }
        return -1;
    }
}

static int j_value(jcur *c, int depth)
{
    j_ws(c);
    if (c->p >= c->end || depth > 64)
        return -1;
    if (*c->p == '"')
        return j_string(c, NULL);
    if (*c->p == '{')
        return j_container(c, depth, '}', 1);
    if (*c->p == '[')
        return j_container(c, depth, ']', 0);
    {
        const char *s = c->p;
        while (c->p < c->end && strchr(",}] \t\r\n", *c->p) == NULL)
            c->p++;
        return c->p > s ? 0 : -1;
    }
}

/* Read the top-level string fields "title" and "text" of one JSON object
 * into arena; offsets and lengths come back through the arrays (index 0
 * title, 1 text; length -1 when absent). Returns an error message or
 * NULL. */
static const char *parse_base_line(const char *line, size_t n, gen_buf *arena,
                                   size_t off[2], long len[2])
{
    jcur c = {line, line + n};
    len[0] = len[1] = -1;
    j_ws(&c);
    if (c.p >= c.end || *c.p != '{')
        return "expected a JSON object";
    c.p++;
    j_ws(&c);
    if (c.p < c.end && *c.p == '}')
        return "missing \"text\"";
    for (;;) {
        gen_buf key = {0, 0, 0};
        int which;
        if (j_string(&c, &key)) {
            gen_buf_free(&key);
            return "malformed key";
        }
        which = key.p && !strcmp(key.p, "title") ? 0
              : key.p && !strcmp(key.p, "text")  ? 1
                                                 : -1;
        gen_buf_free(&key);
        j_ws(&c);
        if (c.p >= c.end || *c.p != ':')
            return "expected ':'";
        c.p++;
        j_ws(&c);
        if (which >= 0 && c.p < c.end && *c.p == '"') {
            off[which] = arena->len;
            if (j_string(&c, arena))
                return "malformed string";
            len[which] = (long)(arena->len - off[which]);
        } else if (j_value(&c, 1)) {
            return "malformed value";
        }
        j_ws(&c);
        if (c.p < c.end && *c.p == ',') {
            c.p++;
            j_ws(&c);
            continue;
        }
        if (c.p < c.end && *c.p == '}')
            break;
        return "expected ',' or '}'";
    }
    if (len[1] < 0)
        return "missing \"text\" string";
    return NULL;
}

/* ------------------------------------------------------------ base corpus */

typedef struct {
    gen_buf arena;
    size_t *off;   /* per article: title off, text off */
    long *len;     /* per article: title len (-1 none), text len */
    size_t n, cap;
} base_corpus;

static void base_load(base_corpus *bc, const char *path)
{
    FILE *f = fopen(path, "rb");
    gen_buf line = {0, 0, 0};
    char chunk[65536];
    size_t lineno = 0;
    int ch;
    if (!f)
        die("cannot open base corpus %s", path);
    memset(bc, 0, sizeof *bc);
    for (;;) {
        size_t off[2];
        long len[2];
        const char *err;
        line.len = 0;
        ch = 0;
        while (fgets(chunk, sizeof chunk, f)) {
            size_t k = strlen(chunk);
            gen_buf_put(&line, chunk, k);
            if (k && chunk[k - 1] == '\n')
                break;
        }
        if (!line.len)
            break;
        lineno++;
        while (line.len && (line.p[line.len - 1] == '\n' || line.p[line.len - 1] == '\r'))
            line.len--;
        if (!line.len)
            continue;
        err = parse_base_line(line.p, line.len, &bc->arena, off, len);
        if (err) {
            fprintf(stderr, "%s:%zu: %s\n", path, lineno, err);
            exit(2);
        }
        if (bc->n == bc->cap) {
            bc->cap = bc->cap ? bc->cap * 2 : 1024;
            bc->off = realloc(bc->off, bc->cap * 2 * sizeof *bc->off);
            bc->len = realloc(bc->len, bc->cap * 2 * sizeof *bc->len);
            if (!bc->off || !bc->len)
                die("%s", "out of memory");
        }
        bc->off[2 * bc->n] = off[0];
        bc->off[2 * bc->n + 1] = off[1];
        bc->len[2 * bc->n] = len[0];
        bc->len[2 * bc->n + 1] = len[1];
        bc->n++;
        (void)ch;
    }
    if (ferror(f))
        die("error reading %s", path);
    fclose(f);
    gen_buf_free(&line);
}

/*
 * Natural duplicates of a base corpus. Real wire archives hold the same
 * story more than once (re-sent, corrected, updated: Reuters-21578 has a
 * few hundred exact groups and more near pairs). Counting such articles as
 * different stories would score every deduplicator's correct merges as
 * errors, so articles whose texts are near-duplicates by an exact measure,
 * independent of the library's own method, are made one story: the
 * Jaccard similarity of their sets of 5-token shingles at least
 * NAT_JACCARD, or the smaller set at least NAT_CONTAINED inside the
 * larger (a version cut short or extended: Reuters-21578 holds more than
 * a hundred such pairs, most with the same headline), where a token is a
 * run of ASCII letters and digits
 * (lowercased) or a single non-ASCII code point (so that Chinese and
 * Japanese text splits into characters). Pairs are found through shared
 * shingles held by at most NAT_POSTING articles; shingles common to more
 * are not counted as shared, which can only lower a pair's figure.
 */
#define NAT_SHINGLE 5
#define NAT_JACCARD 0.5
#define NAT_CONTAINED 0.8
#define NAT_POSTING 64

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The distinct shingle hashes of text into *out (sorted); their count. */
static size_t nat_shingles(const char *t, size_t n, uint64_t **out, size_t *cap)
{
    uint64_t win[NAT_SHINGLE];
    size_t ntok = 0, m = 0, i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)t[i];
        uint64_t h;
        if (c < 0x80 && !((c | 32) >= 'a' && (c | 32) <= 'z') && !(c >= '0' && c <= '9')) {
            i++;
            continue;
        }
        if (c < 0x80) {
            h = 0x9e3779b97f4a7c15ULL;
            while (i < n && (unsigned char)t[i] < 0x80 &&
                   ((((unsigned char)t[i] | 32) >= 'a' && ((unsigned char)t[i] | 32) <= 'z') ||
                    (t[i] >= '0' && t[i] <= '9'))) {
                h = gen_mix(h ^ (unsigned char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] | 32 : t[i]));
                i++;
            }
        } else {
            h = 0x243f6a8885a308d3ULL;
            do
                h = gen_mix(h ^ (unsigned char)t[i++]);
            while (i < n && ((unsigned char)t[i] & 0xC0) == 0x80);
        }
        win[ntok++ % NAT_SHINGLE] = h;
        if (ntok >= NAT_SHINGLE) {
            uint64_t s = 0;
            for (size_t k = 0; k < NAT_SHINGLE; k++)
                s = gen_mix(s ^ win[(ntok + k) % NAT_SHINGLE]);
            if (m == *cap) {
                *cap = *cap ? *cap * 2 : 256;
                *out = realloc(*out, *cap * sizeof **out);
                if (!*out)
                    die("%s", "out of memory");
            }
            (*out)[m++] = s;
        }
    }
    qsort(*out, m, sizeof **out, cmp_u64);
    size_t u = 0;
    for (size_t k = 0; k < m; k++)
        if (!u || (*out)[k] != (*out)[u - 1])
            (*out)[u++] = (*out)[k];
    return u;
}

static uint32_t nat_find(uint32_t *up, uint32_t x)
{
    while (up[x] != x)
        x = up[x] = up[up[x]];
    return x;
}

/* group[i] receives the smallest article number of article i's group of
 * natural duplicates; returns the number of articles merged into
 * another's story. */
static size_t base_groups(const base_corpus *bc, uint32_t *group)
{
    uint64_t *pairs = NULL, *sh = NULL; /* (shingle, article) and scratch */
    size_t np = 0, pcap = 0, shcap = 0, *size = calloc(bc->n ? bc->n : 1, sizeof *size);
    if (!size)
        die("%s", "out of memory");
    for (size_t i = 0; i < bc->n; i++) {
        size_t m = nat_shingles(bc->arena.p + bc->off[2 * i + 1], (size_t)bc->len[2 * i + 1],
                                &sh, &shcap);
        size[i] = m;
        if (np + m > pcap) {
            while (np + m > pcap)
                pcap = pcap ? pcap * 2 : 1 << 16;
            pairs = realloc(pairs, pcap * 2 * sizeof *pairs);
            if (!pairs)
                die("%s", "out of memory");
        }
        for (size_t k = 0; k < m; k++) {
            pairs[2 * np] = sh[k];
            pairs[2 * np + 1] = i;
            np++;
        }
    }
    /* Sort (shingle, article) records by shingle, then list the article
     * pairs of each short posting list. */
    if (np)
        qsort(pairs, np, 2 * sizeof *pairs, cmp_u64);
    uint64_t *shared = NULL;
    size_t ns = 0, scap = 0;
    for (size_t a = 0; a < np;) {
        size_t b = a + 1;
        while (b < np && pairs[2 * b] == pairs[2 * a])
            b++;
        if (b - a >= 2 && b - a <= NAT_POSTING)
            for (size_t x = a; x < b; x++)
                for (size_t y = x + 1; y < b; y++) {
                    uint64_t lo = pairs[2 * x + 1], hi = pairs[2 * y + 1];
                    if (lo == hi)
                        continue;
                    if (ns == scap) {
                        scap = scap ? scap * 2 : 1 << 16;
                        shared = realloc(shared, scap * sizeof *shared);
                        if (!shared)
                            die("%s", "out of memory");
                    }
                    shared[ns++] = lo < hi ? lo << 32 | hi : hi << 32 | lo;
                }
        a = b;
    }
    if (ns)
        qsort(shared, ns, sizeof *shared, cmp_u64);
    for (size_t i = 0; i < bc->n; i++)
        group[i] = (uint32_t)i;
    size_t merged = 0;
    for (size_t a = 0; a < ns;) {
        size_t b = a + 1;
        while (b < ns && shared[b] == shared[a])
            b++;
        uint32_t x = (uint32_t)(shared[a] >> 32), y = (uint32_t)shared[a];
        double common = (double)(b - a);
        double smaller = (double)(size[x] < size[y] ? size[x] : size[y]);
        if (common / ((double)size[x] + (double)size[y] - common) >= NAT_JACCARD ||
            common / smaller >= NAT_CONTAINED) {
            uint32_t rx = nat_find(group, x), ry = nat_find(group, y);
            if (rx != ry) {
                group[rx > ry ? rx : ry] = rx < ry ? rx : ry;
                merged++;
            }
        }
        a = b;
    }
    for (size_t i = 0; i < bc->n; i++)
        group[i] = nat_find(group, (uint32_t)i);
    free(shared);
    free(pairs);
    free(sh);
    free(size);
    return merged;
}

/* Language of a text from the scripts of its first few hundred code
 * points: Hangul means Korean, kana Japanese, other Han Chinese. */
static const gen_lang *detect_lang(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, seen = 0;
    unsigned hangul = 0, kana = 0, han = 0;
    while (i < n && seen < 400) {
        unsigned cp = u[i];
        size_t k = cp >= 0x80 ? utf8_valid(u + i, n - i) : 1;
        if (!k) {
            i++;
            continue;
        }
        if (k == 3)
            cp = (cp & 0x0F) << 12 | (u[i + 1] & 0x3Fu) << 6 | (u[i + 2] & 0x3Fu);
        if (cp >= 0xAC00 && cp <= 0xD7A3)
            hangul++;
        else if (cp >= 0x3040 && cp <= 0x30FF)
            kana++;
        else if (cp >= 0x4E00 && cp <= 0x9FFF)
            han++;
        i += k;
        seen++;
    }
    if (hangul > 10)
        return &gen_lang_ko;
    if (kana > 5)
        return &gen_lang_ja;
    if (han > 10)
        return &gen_lang_zh;
    return &gen_lang_en;
}

/* --------------------------------------------------------------- output */

static void write_entry(gen_run *g, pool_entry *e)
{
    if (fwrite(e->json.p, 1, e->json.len, g->out) != e->json.len)
        die("write failed: %s", strerror(errno));
    if (g->truth && fwrite(e->truth.p, 1, e->truth.len, g->truth) != e->truth.len)
        die("write failed: %s", strerror(errno));
    g->bytes += e->json.len;
}

/* Take a pool entry to fill: a free one while the pool fills up, then a
 * random one, written out first. */
static pool_entry *pool_take(gen_run *g)
{
    pool_entry *e;
    if (g->pool_n < POOL) {
        e = &g->pool[g->pool_n++];
    } else {
        e = &g->pool[gen_below(&g->pool_rng, POOL)];
        write_entry(g, e);
    }
    e->json.len = e->truth.len = 0;
    return e;
}

static void pool_flush(gen_run *g)
{
    while (g->pool_n > 0) {
        int k = (int)gen_below(&g->pool_rng, (uint32_t)g->pool_n);
        pool_entry t;
        write_entry(g, &g->pool[k]);
        t = g->pool[k];
        g->pool[k] = g->pool[g->pool_n - 1];
        g->pool[g->pool_n - 1] = t;
        g->pool_n--;
    }
}

static void put_label(gen_buf *b, char prefix, uint64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%c%07llu", prefix, (unsigned long long)v);
    gen_buf_put(b, tmp, (size_t)n);
}

static void emit_doc(gen_run *g, const gen_story *st, int site, int copy,
                     gen_rng *r, int delay)
{
    pool_entry *e = pool_take(g);
    gen_buf *j = &e->json;
    char date[32];
    const char *name = gen_world_site_name(g->w, st->L, site);
    uint64_t id = ++g->docs;
    gen_doc_render(g->w, st, site, copy, r, &g->title, &g->text);
    gen_iso_date(date, st->day, st->minute + delay);
    gen_buf_puts(j, "{\"id\": \"");
    put_label(j, 'd', id);
    gen_buf_puts(j, "\", \"title\": ");
    json_str(j, g->title.p, g->title.len);
    gen_buf_puts(j, ", \"text\": ");
    json_str(j, g->text.p, g->text.len);
    gen_buf_puts(j, ", \"date\": \"");
    gen_buf_puts(j, date);
    gen_buf_puts(j, "\", \"site\": ");
    json_str(j, name, strlen(name));
    gen_buf_puts(j, "}\n");
    put_label(&e->truth, 'd', id);
    gen_buf_putc(&e->truth, '\t');
    put_label(&e->truth, 's', st->truth_story ? st->truth_story : st->story_no);
    gen_buf_putc(&e->truth, '\t');
    put_label(&e->truth, 'e', st->event_no);
    gen_buf_putc(&e->truth, '\n');
}

/* How many times a story is republished: none for almost half of them,
 * then a geometric-like tail up to 10. */
static int republish_count(gen_rng *r)
{
    double u;
    int k;
    if (gen_chance(r, 0.45))
        return 0;
    u = gen_unit(r);
    k = 1;
    while (k < 10 && u < 0.62) {
        k++;
        u = gen_unit(r);
    }
    return k;
}

static void emit_story(gen_run *g, gen_story *st)
{
    gen_rng r = gen_fork(g->seed, 0x200000000ULL + st->story_no);
    int used[11] = {0}, n = 0, copies = republish_count(&r), c;
    g->stories++;
    used[n++] = gen_world_pick_site(g->w, st->L, &r, used, 0);
    emit_doc(g, st, used[0], 0, &r, 0);
    for (c = 0; c < copies && g->docs < g->docs_max; c++) {
        int s = gen_world_pick_site(g->w, st->L, &r, used, n);
        int delay = 5 + (int)gen_below(&r, gen_chance(&r, 0.7) ? 600 : 4320);
        used[n++] = s;
        emit_doc(g, st, s, 1, &r, delay);
    }
}

static void run_generated(gen_run *g)
{
    static const gen_lang *const mixed[] = {&gen_lang_en, &gen_lang_en, &gen_lang_ko,
                                            &gen_lang_ja, &gen_lang_zh};
    gen_story *ev = malloc(sizeof *ev), *st = malloc(sizeof *st);
    uint32_t e = 0, story_no = 0;
    if (!ev || !st)
        die("%s", "out of memory");
    while (g->docs < g->docs_max) {
        gen_rng er = gen_fork(g->seed, 0x400000000ULL + ++e);
        const gen_lang *L = g->lang ? g->lang : mixed[gen_below(&er, 5)];
        /* About 12% of events have several stories (2 to 4): with the
         * single ones that puts roughly a quarter of all stories in an
         * event with another, independent story. */
        int nst = gen_chance(&er, 0.88) ? 1 : 2 + (int)gen_below(&er, 3), j;
        uint64_t perm_seed = gen_next(&er);
        g->events++;
        gen_event_make(ev, L, g->seed, e);
        for (j = 0; j < nst && g->docs < g->docs_max; j++) {
            int follow = j > 0 && gen_chance(&er, 0.5);
            gen_story_make(st, ev, j, follow, perm_seed, &er, g->kind);
            st->story_no = ++story_no;
            emit_story(g, st);
        }
    }
    free(ev);
    free(st);
}

static void run_base(gen_run *g, const base_corpus *bc)
{
    gen_story *st = calloc(1, sizeof *st);
    uint32_t *group = malloc((bc->n ? bc->n : 1) * sizeof *group);
    size_t i;
    if (!st || !group)
        die("%s", "out of memory");
    g->base_merged = base_groups(bc, group);
    for (i = 0; i < bc->n && g->docs < g->docs_max; i++) {
        const char *text = bc->arena.p + bc->off[2 * i + 1];
        size_t tlen = (size_t)bc->len[2 * i + 1];
        const gen_lang *L = g->lang ? g->lang : detect_lang(text, tlen);
        /* Reuse the entity generator for a town and an agency for the
         * dateline; the text itself is the base article's. */
        gen_event_make(st, L, g->seed, (uint32_t)i + 1);
        st->base_text = text;
        st->base_text_len = tlen;
        if (bc->len[2 * i] > 0) {
            st->base_title = bc->arena.p + bc->off[2 * i];
            st->base_title_len = (size_t)bc->len[2 * i];
        } else {
            /* No title: the first line of the text stands in. */
            const char *nl = memchr(text, '\n', tlen);
            st->base_title = text;
            st->base_title_len = nl ? (size_t)(nl - text) : tlen;
            if (st->base_title_len > 120)
                st->base_title_len = 120;
            while (st->base_title_len &&
                   ((unsigned char)text[st->base_title_len] & 0xC0) == 0x80)
                st->base_title_len--;
        }
        st->story_no = (uint32_t)i + 1;
        st->truth_story = st->event_no = group[i] + 1;
        g->events += group[i] == i;
        emit_story(g, st);
    }
    free(group);
    free(st);
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *f)
{
    fputs("usage: gen [--docs N] [--seed S] [--lang en|ko|ja|zh|mixed]\n"
          "           [--kind standard|boilerplate|briefs|cuts] [--base FILE.jsonl]\n"
          "           [--out FILE] [--truth FILE] [--stats]\n"
          "Writes a synthetic news corpus (JSONL: id, title, text, date, site)\n"
          "and its ground truth (TSV: id, story, event).\n",
          f);
}

static uint64_t parse_u64(const char *opt, const char *s)
{
    char *end;
    unsigned long long v;
    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || end == s || *end || s[0] == '-')
        die("bad number for %s", opt);
    return (uint64_t)v;
}

int main(int argc, char **argv)
{
    gen_run *g = calloc(1, sizeof *g);
    const char *out_path = NULL, *truth_path = NULL, *base_path = NULL;
    int lang_given = 0, stats = 0, i, docs_given = 0;
    base_corpus bc;
    struct timespec t0, t1;
    double secs;
    if (!g)
        die("%s", "out of memory");
    g->docs_max = 1000;
    g->seed = 1;
    g->lang = &gen_lang_en;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--stats")) {
            stats = 1;
            continue;
        }
        if (!v) {
            usage(stderr);
            die("option %s needs a value (or is unknown)", a);
        }
        i++;
        if (!strcmp(a, "--docs")) {
            g->docs_max = parse_u64(a, v);
            docs_given = 1;
        } else if (!strcmp(a, "--seed")) {
            g->seed = parse_u64(a, v);
        } else if (!strcmp(a, "--lang")) {
            lang_given = 1;
            if (!strcmp(v, "en"))
                g->lang = &gen_lang_en;
            else if (!strcmp(v, "ko"))
                g->lang = &gen_lang_ko;
            else if (!strcmp(v, "ja"))
                g->lang = &gen_lang_ja;
            else if (!strcmp(v, "zh"))
                g->lang = &gen_lang_zh;
            else if (!strcmp(v, "mixed"))
                g->lang = NULL;
            else
                die("unknown language %s (en, ko, ja, zh or mixed)", v);
        } else if (!strcmp(a, "--kind")) {
            if (!strcmp(v, "standard"))
                g->kind = GEN_KIND_STANDARD;
            else if (!strcmp(v, "boilerplate"))
                g->kind = GEN_KIND_BOILERPLATE;
            else if (!strcmp(v, "briefs"))
                g->kind = GEN_KIND_BRIEFS;
            else if (!strcmp(v, "cuts"))
                g->kind = GEN_KIND_CUTS;
            else
                die("unknown kind %s (standard, boilerplate, briefs or cuts)", v);
        } else if (!strcmp(a, "--base")) {
            base_path = v;
        } else if (!strcmp(a, "--out")) {
            out_path = v;
        } else if (!strcmp(a, "--truth")) {
            truth_path = v;
        } else {
            usage(stderr);
            die("unknown option %s", a);
        }
    }
    if (base_path) {
        base_load(&bc, base_path);
        if (!lang_given)
            g->lang = NULL; /* detect each article's language */
        if (!docs_given)
            g->docs_max = UINT64_MAX;
    }
    g->out = out_path ? fopen(out_path, "wb") : stdout;
    if (!g->out)
        die("cannot create %s", out_path);
    if (truth_path && !(g->truth = fopen(truth_path, "wb")))
        die("cannot create %s", truth_path);
    setvbuf(g->out, NULL, _IOFBF, 1 << 20);
    if (g->truth)
        setvbuf(g->truth, NULL, _IOFBF, 1 << 18);
    g->w = gen_world_new(g->seed, g->kind);
    g->pool_rng = gen_fork(g->seed, 0x500000000ULL);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (base_path)
        run_base(g, &bc);
    else
        run_generated(g);
    pool_flush(g);
    if (base_path)
        g->stories = g->events; /* natural duplicates are one story */
    if (fflush(g->out) || (out_path && fclose(g->out)))
        die("write failed: %s", strerror(errno));
    if (g->truth && fclose(g->truth))
        die("write failed: %s", strerror(errno));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    if (stats) {
        fprintf(stderr, "docs %llu\nstories %llu\nevents %llu\nbytes %llu\n"
                        "seconds %.3f\ndocs/s %.0f\nMB/s %.1f\n",
                (unsigned long long)g->docs, (unsigned long long)g->stories,
                (unsigned long long)g->events, (unsigned long long)g->bytes, secs,
                secs > 0 ? (double)g->docs / secs : 0.0,
                secs > 0 ? (double)g->bytes / 1e6 / secs : 0.0);
        if (base_path)
            fprintf(stderr, "base_duplicates %llu\n", (unsigned long long)g->base_merged);
    }
    for (i = 0; i < POOL; i++) {
        gen_buf_free(&g->pool[i].json);
        gen_buf_free(&g->pool[i].truth);
    }
    gen_buf_free(&g->title);
    gen_buf_free(&g->text);
    gen_world_free(g->w);
    if (base_path) {
        gen_buf_free(&bc.arena);
        free(bc.off);
        free(bc.len);
    }
    free(g);
    return 0;
}
