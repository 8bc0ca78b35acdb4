/*
 * score.c - scores a clustering of a corpus against its ground truth.
 *
 *   score [--json] --truth TRUTH.tsv CLUSTERS.tsv
 *
 * TRUTH.tsv has `id<TAB>story<TAB>event` lines (as bench/gen writes);
 * CLUSTERS.tsv has `id<TAB>cluster` lines (as `dedup cluster` prints).
 * Labels are arbitrary strings. Printed: pairwise precision, recall and
 * F1 over copy pairs (a true pair is two documents of one story; a
 * predicted pair is two documents in one cluster), the adjusted Rand
 * index, and how many pairs of documents about one event but different
 * stories (the hard negatives) were merged.
 *
 * Design:
 *   - Pair counts come from contingency tables, never from pairs: the
 *     number of pairs inside a group of n is C(n,2), so true positives
 *     are the sum of C(n,2) over (story, cluster) cells. Cells are found
 *     by sorting one 64-bit key per document, so memory and time are
 *     O(n log n) for millions of lines.
 *   - Stories nest in events, so merged same-event pairs are the pairs
 *     of (event, cluster) cells minus those of (story, cluster) cells.
 *   - Files are read whole; labels are interned in open-addressing hash
 *     tables that point into the file buffers (no copy per line).
 *   - Malformed input stops with `file:line: what` and exit status 2;
 *     documents present in one file only are listed (up to a few) and
 *     give exit status 1.
 *   - With no predicted pairs precision is reported as 1 (no false
 *     merges), and with no true pairs recall is 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2), noreturn))
#endif
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        fail("score: out of memory");
    return p;
}

/* Read a whole file (or pipe) into memory; *n gets its length. */
static char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 1 << 20, len = 0;
    char *buf;
    if (!f)
        fail("%s: cannot open: %s", path, strerror(errno));
    buf = xrealloc(NULL, cap);
    for (;;) {
        size_t k;
        if (len == cap) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        k = fread(buf + len, 1, cap - len, f);
        len += k;
        if (k == 0)
            break;
    }
    if (ferror(f))
        fail("%s: read error", path);
    fclose(f);
    *n = len;
    return buf;
}

/* ------------------------------------------------------------ interning */

typedef struct {
    const char *p;
    uint32_t len, val;
} slot;

typedef struct {
    slot *s;
    size_t cap, n;
} strmap;

static size_t strmap_find(const strmap *m, const char *p, uint32_t len)
{
    size_t mask = m->cap - 1, i = (size_t)XXH3_64bits(p, len) & mask;
    while (m->s[i].p && (m->s[i].len != len || memcmp(m->s[i].p, p, len)))
        i = (i + 1) & mask;
    return i;
}

static void strmap_grow(strmap *m)
{
    strmap old = *m;
    size_t i;
    m->cap = old.cap ? old.cap * 2 : 1024;
    m->s = calloc(m->cap, sizeof *m->s);
    if (!m->s)
        fail("score: out of memory");
    for (i = 0; i < old.cap; i++)
        if (old.s[i].p)
            m->s[strmap_find(m, old.s[i].p, old.s[i].len)] = old.s[i];
    free(old.s);
}

/* Index of string (p, len), adding it with the next index if new; *added
 * (if not NULL) says which. */
static uint32_t intern(strmap *m, const char *p, uint32_t len, int *added)
{
    size_t i;
    if (2 * (m->n + 1) > m->cap)
        strmap_grow(m);
    i = strmap_find(m, p, len);
    if (added)
        *added = !m->s[i].p;
    if (!m->s[i].p) {
        m->s[i].p = p;
        m->s[i].len = len;
        m->s[i].val = (uint32_t)m->n++;
    }
    return m->s[i].val;
}

/* Index of (p, len) or -1 when absent. */
static long lookup(const strmap *m, const char *p, uint32_t len)
{
    size_t i;
    if (!m->cap)
        return -1;
    i = strmap_find(m, p, len);
    return m->s[i].p ? (long)m->s[i].val : -1;
}

/* -------------------------------------------------------------- parsing */

/* Split the line [p, end) at tabs into at most `max` fields; returns the
 * count, or max + 1 when there are more fields. */
static int split(const char *p, const char *end, const char **f, uint32_t *fl, int max)
{
    int n = 0;
    for (;;) {
        const char *t = memchr(p, '\t', (size_t)(end - p));
        const char *fe = t ? t : end;
        if (n == max)
            return max + 1;
        f[n] = p;
        fl[n] = (uint32_t)(fe - p);
        n++;
        if (!t)
            return n;
        p = t + 1;
    }
}

typedef struct {
    uint32_t *story, *event, *cluster; /* per document */
    size_t *line;                      /* truth line of each document */
    size_t ndocs;
    strmap ids, stories, events, clusters;
    uint32_t *story_event;             /* per story */
    size_t story_event_cap;
    char *truth_buf, *clusters_buf;    /* the files; the tables point into them */
} corpus;

static void corpus_free(corpus *c)
{
    free(c->story);
    free(c->event);
    free(c->cluster);
    free(c->line);
    free(c->ids.s);
    free(c->stories.s);
    free(c->events.s);
    free(c->clusters.s);
    free(c->story_event);
    free(c->truth_buf);
    free(c->clusters_buf);
}

/* Loop over the lines of buf: p is a line's start, e its end (the
 * newline, or the end of a last line without one). */
#define FOR_LINES(buf, n, p, e)                                        \
    for (const char *p = (buf), *end_ = (buf) + (n), *e = NULL;                \
         p < end_ && ((e = memchr(p, '\n', (size_t)(end_ - p))) ? 1            \
                                                                : (e = end_, 1)); \
         p = e + 1)

static void read_truth(corpus *c, const char *path)
{
    size_t n, lineno = 0;
    char *buf = read_all(path, &n);
    FOR_LINES(buf, n, p, e) {
        const char *f[3], *le = e;
        uint32_t fl[3], d, s, ev;
        int k, added;
        lineno++;
        if (le > p && le[-1] == '\r')
            le--;
        if (le == p)
            continue;
        k = split(p, le, f, fl, 3);
        if (k != 3)
            fail("%s:%zu: expected 3 tab-separated fields (id, story, event), got %s",
                 path, lineno, k > 3 ? "more" : k == 2 ? "2" : "1");
        if (!fl[0] || !fl[1] || !fl[2])
            fail("%s:%zu: empty field", path, lineno);
        d = intern(&c->ids, f[0], fl[0], &added);
        if (!added)
            fail("%s:%zu: duplicate id '%.*s'", path, lineno, (int)fl[0], f[0]);
        s = intern(&c->stories, f[1], fl[1], &added);
        ev = intern(&c->events, f[2], fl[2], NULL);
        if (d >= c->ndocs) {
            size_t cap = c->ndocs ? c->ndocs * 2 : 4096;
            c->story = xrealloc(c->story, cap * sizeof *c->story);
            c->event = xrealloc(c->event, cap * sizeof *c->event);
            c->cluster = xrealloc(c->cluster, cap * sizeof *c->cluster);
            c->line = xrealloc(c->line, cap * sizeof *c->line);
            c->ndocs = cap;
        }
        c->story[d] = s;
        c->event[d] = ev;
        c->cluster[d] = UINT32_MAX;
        c->line[d] = lineno;
        if (s >= c->story_event_cap) {
            size_t cap = c->story_event_cap ? c->story_event_cap * 2 : 4096;
            c->story_event = xrealloc(c->story_event, cap * sizeof *c->story_event);
            c->story_event_cap = cap;
        }
        if (added)
            c->story_event[s] = ev;
        else if (c->story_event[s] != ev)
            fail("%s:%zu: story '%.*s' is in two events", path, lineno, (int)fl[1], f[1]);
    }
    c->ndocs = c->ids.n;
    c->truth_buf = buf; /* stays alive: the tables point into it */
}

/* Reads the clusters; returns the number of ids that are not in the
 * truth (after printing the first few). */
static size_t read_clusters(corpus *c, const char *path)
{
    size_t n, lineno = 0, unknown = 0;
    char *buf = read_all(path, &n);
    c->clusters_buf = buf;
    FOR_LINES(buf, n, p, e) {
        const char *f[2], *le = e;
        uint32_t fl[2];
        long d;
        int k;
        lineno++;
        if (le > p && le[-1] == '\r')
            le--;
        if (le == p)
            continue;
        k = split(p, le, f, fl, 2);
        if (k != 2)
            fail("%s:%zu: expected 2 tab-separated fields (id, cluster), got %s", path,
                 lineno, k > 2 ? "more" : "1");
        if (!fl[0] || !fl[1])
            fail("%s:%zu: empty field", path, lineno);
        d = lookup(&c->ids, f[0], fl[0]);
        if (d < 0) {
            if (unknown++ < 5)
                fprintf(stderr, "%s:%zu: id '%.*s' is not in the truth file\n", path,
                        lineno, (int)fl[0], f[0]);
            continue;
        }
        if (c->cluster[d] != UINT32_MAX)
            fail("%s:%zu: duplicate id '%.*s'", path, lineno, (int)fl[0], f[0]);
        c->cluster[d] = intern(&c->clusters, f[1], fl[1], NULL);
    }
    return unknown;
}

/* ------------------------------------------------------------- counting */

static uint64_t c2(uint64_t n)
{
    return n * (n - (n > 0)) / 2;
}

/* Sum of C(n,2) over groups of equal labels. */
static uint64_t pairs_by_label(const uint32_t *lab, size_t n, size_t nlab)
{
    uint64_t *cnt = calloc(nlab ? nlab : 1, sizeof *cnt), sum = 0;
    size_t i;
    if (!cnt)
        fail("score: out of memory");
    for (i = 0; i < n; i++)
        cnt[lab[i]]++;
    for (i = 0; i < nlab; i++)
        sum += c2(cnt[i]);
    free(cnt);
    return sum;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sum of C(n,2) over the cells of the contingency table of a and b. */
static uint64_t pairs_by_cell(const uint32_t *a, const uint32_t *b, size_t n)
{
    uint64_t *k = xrealloc(NULL, n * sizeof *k), sum = 0;
    size_t i, run = 1;
    for (i = 0; i < n; i++)
        k[i] = (uint64_t)a[i] << 32 | b[i];
    qsort(k, n, sizeof *k, cmp_u64);
    for (i = 1; i <= n; i++) {
        if (i < n && k[i] == k[i - 1]) {
            run++;
        } else {
            sum += c2(run);
            run = 1;
        }
    }
    free(k);
    return sum;
}

int main(int argc, char **argv)
{
    const char *truth = NULL, *clusters = NULL;
    int json = 0, i;
    corpus c;
    size_t unknown, missing = 0, d;

    uint64_t n, true_pairs, pred_pairs, tp, ev_pairs, ev_merged_cells, same_ev,
        same_ev_merged, all_pairs;
    double prec, rec, f1, ari, frac, expected, maxidx;
    memset(&c, 0, sizeof c);
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--truth") && i + 1 < argc)
            truth = argv[++i];
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            puts("usage: score [--json] --truth TRUTH.tsv CLUSTERS.tsv");
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1])
            fail("score: unknown option %s\nusage: score [--json] --truth TRUTH.tsv CLUSTERS.tsv",
                 argv[i]);
        else if (!clusters)
            clusters = argv[i];
        else
            fail("score: more than one clusters file");
    }
    if (!truth || !clusters)
        fail("usage: score [--json] --truth TRUTH.tsv CLUSTERS.tsv");

    read_truth(&c, truth);
    unknown = read_clusters(&c, clusters);
    for (d = 0; d < c.ids.cap; d++) {
        const slot *sl = &c.ids.s[d];
        if (sl->p && c.cluster[sl->val] == UINT32_MAX && missing++ < 5)
            fprintf(stderr, "%s:%zu: id '%.*s' has no cluster in %s\n", truth,
                    c.line[sl->val], (int)sl->len, sl->p, clusters);
    }
    if (unknown || missing) {
        fprintf(stderr,
                "score: the files do not cover the same documents: %zu id(s) of %s "
                "missing from %s, %zu id(s) of %s not in %s\n",
                missing, truth, clusters, unknown, clusters, truth);
        corpus_free(&c);
        return 1;
    }

    n = c.ndocs;
    true_pairs = pairs_by_label(c.story, n, c.stories.n);
    pred_pairs = pairs_by_label(c.cluster, n, c.clusters.n);
    ev_pairs = pairs_by_label(c.event, n, c.events.n);
    tp = pairs_by_cell(c.story, c.cluster, n);
    ev_merged_cells = pairs_by_cell(c.event, c.cluster, n);
    same_ev = ev_pairs - true_pairs;
    same_ev_merged = ev_merged_cells - tp;
    all_pairs = c2(n);

    prec = pred_pairs ? (double)tp / (double)pred_pairs : 1.0;
    rec = true_pairs ? (double)tp / (double)true_pairs : 1.0;
    f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0.0;
    expected = all_pairs ? (double)true_pairs * (double)pred_pairs / (double)all_pairs : 0;
    maxidx = ((double)true_pairs + (double)pred_pairs) / 2;
    ari = maxidx - expected != 0 ? ((double)tp - expected) / (maxidx - expected) : 1.0;
    frac = same_ev ? (double)same_ev_merged / (double)same_ev : 0.0;

    if (json) {
        printf("{\"docs\": %llu, \"stories\": %zu, \"events\": %zu, \"clusters\": %zu, "
               "\"true_pairs\": %llu, \"predicted_pairs\": %llu, "
               "\"true_positive_pairs\": %llu, \"precision\": %.12g, \"recall\": %.12g, "
               "\"f1\": %.12g, \"ari\": %.12g, \"same_event_pairs\": %llu, "
               "\"same_event_merged\": %llu, \"same_event_merged_fraction\": %.12g}\n",
               (unsigned long long)n, c.stories.n, c.events.n, c.clusters.n,
               (unsigned long long)true_pairs, (unsigned long long)pred_pairs,
               (unsigned long long)tp, prec, rec, f1, ari,
               (unsigned long long)same_ev, (unsigned long long)same_ev_merged, frac);
    } else {
        printf("docs %llu\nstories %zu\nevents %zu\nclusters %zu\n", (unsigned long long)n,
               c.stories.n, c.events.n, c.clusters.n);
        printf("true_pairs %llu\npredicted_pairs %llu\ntrue_positive_pairs %llu\n",
               (unsigned long long)true_pairs, (unsigned long long)pred_pairs,
               (unsigned long long)tp);
        printf("precision %.6f\nrecall %.6f\nf1 %.6f\nari %.6f\n", prec, rec, f1, ari);
        printf("same_event_pairs %llu\nsame_event_merged %llu\n"
               "same_event_merged_fraction %.6f\n",
               (unsigned long long)same_ev, (unsigned long long)same_ev_merged, frac);
    }
    corpus_free(&c);
    return 0;
}
