/*
 * util.c - small pieces the subcommands of the dedup tool share: messages and
 * exit codes, signal flags, a growable buffer with JSON string escaping, the
 * packed table of document ids, and parsers for numbers, durations, ISO 8601
 * times and the similarity parameters.
 *
 * The id table stores every id once in a single arena with one 64-bit word
 * per document (offset and kind), because cluster keeps the ids of millions
 * of documents while it drops their texts.
 */
#include "cli.h"
#include "input.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

const char *cli_progname = "dedup";
volatile sig_atomic_t cli_stop = 0;

void cli_msg(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cli_progname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_exit_code(int status)
{
    switch (status) {
    case CLI_OK:
        return EXIT_OK;
    case CLI_EDATA:
    case CLI_ECORRUPT:
        return EXIT_DATA;
    case CLI_EIO:
    case DEDUP_E_IO:
        return EXIT_IO;
    case DEDUP_E_FORMAT:
    case DEDUP_E_VERSION:
    case DEDUP_E_TRUNCATED:
    case DEDUP_E_CHECKSUM:
        return EXIT_DATA;
    default:
        return EXIT_INTERNAL;
    }
}

static void on_signal(int sig)
{
    cli_stop = sig; /* nonzero: SIGINT or SIGTERM */
}

void cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocked read must return EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

unsigned cli_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
#ifdef __linux__
    /* The processors this process may run on (taskset, a cgroup's cpuset,
     * an MPI launcher's binding of ranks to cores), when fewer. */
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0 &&
        CPU_COUNT(&set) < n)
        n = CPU_COUNT(&set);
#endif
    return n < 1 ? 1u : n > 1024 ? 1024u : (unsigned)n;
}

uint64_t cli_peak_rss(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (uint64_t)ru.ru_maxrss * 1024u; /* Linux reports kilobytes */
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ============================================================ buffers */

int cli_buf_reserve(cli_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return CLI_ENOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return CLI_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return CLI_ENOMEM;
    b->data = p;
    b->cap = cap;
    return CLI_OK;
}

int cli_buf_add(cli_buf *b, const void *p, size_t n)
{
    if (cli_buf_reserve(b, n))
        return CLI_ENOMEM;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return CLI_OK;
}

int cli_buf_addc(cli_buf *b, char c)
{
    return cli_buf_add(b, &c, 1);
}

int cli_buf_printf(cli_buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[128];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return CLI_ENOMEM;
    if ((size_t)n < sizeof small)
        return cli_buf_add(b, small, (size_t)n);
    if (cli_buf_reserve(b, (size_t)n))
        return CLI_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return CLI_OK;
}

void cli_buf_free(cli_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Length of the well-formed UTF-8 sequence at s (n bytes left, s[0] >=
 * 0x80), or 0 if it is ill-formed (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (!len || n < len)
        return 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

/*
 * Escape a string for JSON. Text from the JSON reader is valid UTF-8;
 * plain-text input may not be, and each ill-formed byte becomes U+FFFD so
 * that the output always parses.
 */
int cli_buf_json_string(cli_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (cli_buf_reserve(b, n + 2))
        return CLI_ENOMEM;
    b->data[b->len++] = '"';
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            size_t l = utf8_seq((const unsigned char *)s + i, n - i);
            if (l) {
                i += l - 1;
                continue;
            }
            if (cli_buf_add(b, s + run, i - run) || cli_buf_add(b, "\xEF\xBF\xBD", 3))
                return CLI_ENOMEM;
            run = i + 1;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (cli_buf_add(b, s + run, i - run))
            return CLI_ENOMEM;
        run = i + 1;
        char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
        size_t len = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            len = 6;
        }
        if (cli_buf_add(b, esc, len))
            return CLI_ENOMEM;
    }
    if (cli_buf_add(b, s + run, n - run) || cli_buf_addc(b, '"'))
        return CLI_ENOMEM;
    return CLI_OK;
}

/* Write text (n bytes) so that it can neither break a line of tab-separated
 * output nor drive a terminal: control characters (C0, DEL and the C1
 * range U+0080-U+009F) become \xHH and \u00HH, a backslash becomes two,
 * and ill-formed UTF-8 bytes become \xHH too. */
void cli_put_safe(FILE *f, const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '\\') {
            fputs("\\\\", f);
        } else if (c < 0x20 || c == 0x7F) {
            fprintf(f, "\\x%02x", c);
        } else if (c < 0x80) {
            putc(c, f);
        } else {
            size_t l = utf8_seq(s + i, n - i);
            if (!l) {
                fprintf(f, "\\x%02x", c);
            } else if (l == 2 && c == 0xC2 && s[i + 1] < 0xA0) {
                fprintf(f, "\\u%04x", s[i + 1]);
                i++;
            } else {
                fwrite(s + i, 1, l, f);
                i += l - 1;
            }
        }
    }
}

int cli_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need) {
        if (c > SIZE_MAX / 2 / elem)
            return -1;
        c *= 2;
    }
    void *q = realloc(*p, c * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

int64_t cli_future_limit(void)
{
    return (int64_t)time(NULL) + 86400;
}

/* ============================================================ id table */

int cli_ids_push(cli_ids *t, const char *id, size_t len, int kind)
{
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        uint64_t *p = realloc(t->off, cap * sizeof *p);
        if (!p)
            return CLI_ENOMEM;
        t->off = p;
        t->cap = cap;
    }
    uint64_t off = t->arena.len;
    if (cli_buf_add(&t->arena, id, len) || cli_buf_addc(&t->arena, 0))
        return CLI_ENOMEM;
    t->off[t->count++] = off << 1 | (uint64_t)(kind & 1);
    return CLI_OK;
}

const char *cli_ids_get(const cli_ids *t, size_t i, int *kind)
{
    if (kind)
        *kind = (int)(t->off[i] & 1);
    return t->arena.data + (t->off[i] >> 1);
}

static uint64_t name_hash(const char *s, size_t n, int kind)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)kind;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return h ^ h >> 29;
}

uint64_t cli_name_hash(const char *s, size_t n, int kind)
{
    return name_hash(s, n, kind);
}

static int cmp_key(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int cli_ids_duplicates(const cli_ids *t, uint64_t *count)
{
    *count = 0;
    if (t->count < 2)
        return CLI_OK;
    if (t->count > UINT32_MAX)
        return CLI_OK; /* beyond what the batch takes anyway */
    /* 8 bytes a document: 32 bits of the id's hash above its position, so
     * that sorting groups equal hashes in input order; equal hashes are
     * then compared by their text. */
    uint64_t *v = malloc(t->count * sizeof *v);
    unsigned char *seen = calloc(t->count / 8 + 1, 1); /* already in a group */
    if (!v || !seen) {
        free(v);
        free(seen);
        return CLI_ENOMEM;
    }
    for (size_t i = 0; i < t->count; i++) {
        int kind;
        const char *s = cli_ids_get(t, i, &kind);
        v[i] = (name_hash(s, strlen(s), kind) >> 32) << 32 | (uint64_t)i;
    }
    qsort(v, t->count, sizeof *v, cmp_key);
    unsigned reported = 0;
    for (size_t a = 0; a < t->count;) {
        size_t b = a + 1;
        while (b < t->count && v[b] >> 32 == v[a] >> 32)
            b++;
        /* Within a run of equal hashes, each entry not yet matched opens
         * a group of equal ids (in input order, as sorted). */
        for (size_t x = a; x + 1 < b; x++) {
            size_t ix = (uint32_t)v[x];
            if (seen[ix / 8] >> (ix % 8) & 1)
                continue;
            int kx;
            const char *sx = cli_ids_get(t, ix, &kx);
            size_t n = 1, second = 0;
            for (size_t y = x + 1; y < b; y++) {
                size_t iy = (uint32_t)v[y];
                int ky;
                if (!(seen[iy / 8] >> (iy % 8) & 1) && !strcmp(sx, cli_ids_get(t, iy, &ky)) &&
                    kx == ky) {
                    if (n++ == 1)
                        second = iy;
                    seen[iy / 8] |= (unsigned char)(1u << (iy % 8));
                }
            }
            if (n > 1) {
                *count += n - 1;
                if (reported++ < 5) {
                    char shown[64];
                    size_t sl = strlen(sx);
                    snprintf(shown, sizeof shown, "%.*s%s", (int)(sl > 40 ? 40 : sl), sx,
                             sl > 40 ? "..." : "");
                    for (char *c = shown; *c; c++)
                        if ((unsigned char)*c < 0x20 || *c == 0x7f)
                            *c = '?';
                    cli_msg("warning: id '%s' is given to %zu documents (numbers %zu and %zu "
                            "of the input%s)",
                            shown, n, ix + 1, second + 1, n > 2 ? ", and more" : "");
                }
            }
        }
        a = b;
    }
    if (reported > 5)
        cli_msg("warning: %u more ids are given to several documents (--stats counts them)",
                reported - 5);
    free(v);
    free(seen);
    return CLI_OK;
}

void cli_ids_free(cli_ids *t)
{
    free(t->off);
    cli_buf_free(&t->arena);
    memset(t, 0, sizeof *t);
}

int cli_ids_json(cli_buf *b, const cli_ids *t, size_t i)
{
    int kind;
    const char *s = cli_ids_get(t, i, &kind);
    if (kind == CLI_ID_NUMBER)
        return cli_buf_add(b, s, strlen(s));
    return cli_buf_json_string(b, s, strlen(s));
}

/* ===================================================== option parsing */

int cli_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int cli_parse_threads(const char *arg, int64_t *out)
{
    if (cli_parse_int(arg, 1, 1024, out)) {
        cli_msg("invalid -j '%s' (1 to 1024)", arg);
        return -1;
    }
    return 0;
}

int cli_parse_real(const char *s, double *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || isnan(v))
        return -1;
    *out = v;
    return 0;
}

int cli_parse_duration(const char *s, int64_t *seconds)
{
    char *end;
    if (!s || !*s || *s == '-')
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !(v >= 0))
        return -1;
    double unit = 1;
    if (*end) {
        switch (*end) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'w': unit = 7 * 86400; break;
        default: return -1;
        }
        if (end[1])
            return -1;
    }
    v *= unit;
    if (v > 9.2e18)
        return -1;
    *seconds = (int64_t)v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. Years are counted
 * from March so that the leap day ends a year, and grouped in 400-year eras
 * of 146097 days, which keeps the arithmetic exact for any year. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t n, size_t *pos, size_t count, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < count; i++) {
        if (*pos >= n || s[*pos] < '0' || s[*pos] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[(*pos)++] - '0');
    }
    *out = v;
    return 0;
}

static int leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Whether day d exists in month mo (1-12) of year y. */
static int valid_day(unsigned y, unsigned mo, unsigned d)
{
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return mo >= 1 && mo <= 12 && d >= 1 &&
           d <= (unsigned)(mdays[mo - 1] + (mo == 2 && leap(y)));
}

int cli_parse_iso8601(const char *s, size_t n, int64_t *out)
{
    size_t p = 0;
    unsigned y, mo, d, h = 0, mi = 0, sec = 0;
    if (digits(s, n, &p, 4, &y) || p >= n || s[p++] != '-' || digits(s, n, &p, 2, &mo) ||
        p >= n || s[p++] != '-' || digits(s, n, &p, 2, &d))
        return -1;
    if (!valid_day(y, mo, d))
        return -1;
    int64_t offset = 0;
    if (p < n && (s[p] == 'T' || s[p] == 't' || s[p] == ' ')) {
        p++;
        if (digits(s, n, &p, 2, &h) || p >= n || s[p++] != ':' || digits(s, n, &p, 2, &mi))
            return -1;
        if (p < n && s[p] == ':') {
            p++;
            if (digits(s, n, &p, 2, &sec))
                return -1;
            if (p < n && (s[p] == '.' || s[p] == ',')) {
                p++;
                size_t start = p;
                while (p < n && s[p] >= '0' && s[p] <= '9')
                    p++;
                if (p == start)
                    return -1;
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            return -1;
        if (p < n && (s[p] == 'Z' || s[p] == 'z')) {
            p++;
        } else if (p < n && (s[p] == '+' || s[p] == '-')) {
            int sign = s[p++] == '-' ? -1 : 1;
            unsigned oh, om = 0;
            if (digits(s, n, &p, 2, &oh))
                return -1;
            if (p < n && s[p] == ':')
                p++;
            if (p < n && digits(s, n, &p, 2, &om))
                return -1;
            if (oh > 14 || om > 59) /* real offsets lie within -12:00..+14:00 */
                return -1;
            offset = sign * (int64_t)(oh * 3600 + om * 60);
        }
    }
    if (p != n)
        return -1;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    return 0;
}

/* Month of a three-letter English name, any case: 1-12, or 0. */
static unsigned month_of(const char *s)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    char m[3];
    for (int i = 0; i < 3; i++)
        m[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    for (unsigned i = 0; i < 12; i++)
        if (memcmp(names + 3 * i, m, 3) == 0)
            return i + 1;
    return 0;
}

static void skip_spaces(const char *s, size_t n, size_t *p)
{
    while (*p < n && (s[*p] == ' ' || s[*p] == '\t'))
        (*p)++;
}

/* Up to max digits (at least one) at *p. */
static int some_digits(const char *s, size_t n, size_t *p, size_t max, unsigned *out)
{
    unsigned v = 0;
    size_t start = *p;
    while (*p < n && *p - start < max && s[*p] >= '0' && s[*p] <= '9')
        v = v * 10 + (unsigned)(s[(*p)++] - '0');
    *out = v;
    return *p == start ? -1 : 0;
}

/* HH:MM[:SS[.fraction]] at *p. */
static int clock_time(const char *s, size_t n, size_t *p, unsigned *h, unsigned *mi,
                      unsigned *sec)
{
    *sec = 0;
    if (some_digits(s, n, p, 2, h) || *p >= n || s[(*p)++] != ':' || digits(s, n, p, 2, mi))
        return -1;
    if (*p < n && s[*p] == ':') {
        (*p)++;
        if (digits(s, n, p, 2, sec))
            return -1;
        if (*p < n && s[*p] == '.') {
            (*p)++;
            unsigned frac;
            if (some_digits(s, n, p, 9, &frac))
                return -1;
        }
    }
    return *h > 23 || *mi > 59 || *sec > 60 ? -1 : 0;
}

/* An RFC 2822 date as RSS feeds give it: "[Mon, ]01 Jan 2024 00:00[:00]
 * ZONE", ZONE being +hhmm, -hhmm, GMT, UT, UTC, Z or a US zone (EST, EDT,
 * CST, CDT, MST, MDT, PST, PDT); two-digit years are 19xx from 50 on and
 * 20xx below. */
static int parse_rfc2822(const char *s, size_t n, int64_t *out)
{
    size_t p = 0;
    skip_spaces(s, n, &p);
    if (p + 4 <= n && s[p + 3] == ',' && ((s[p] | 32) >= 'a' && (s[p] | 32) <= 'z')) {
        p += 4; /* the day of the week is not checked against the date */
        skip_spaces(s, n, &p);
    }
    unsigned d, y, mo, h, mi, sec;
    if (some_digits(s, n, &p, 2, &d))
        return -1;
    skip_spaces(s, n, &p);
    if (p + 3 > n || !(mo = month_of(s + p)))
        return -1;
    p += 3;
    skip_spaces(s, n, &p);
    size_t ys = p;
    if (some_digits(s, n, &p, 4, &y))
        return -1;
    if (p - ys == 2)
        y += y < 50 ? 2000 : 1900;
    else if (p - ys != 4)
        return -1;
    skip_spaces(s, n, &p);
    if (clock_time(s, n, &p, &h, &mi, &sec) || !valid_day(y, mo, d))
        return -1;
    skip_spaces(s, n, &p);
    int64_t offset = 0;
    if (p < n && (s[p] == '+' || s[p] == '-')) {
        int sign = s[p++] == '-' ? -1 : 1;
        unsigned oh, om;
        if (digits(s, n, &p, 2, &oh) || digits(s, n, &p, 2, &om) || oh > 14 || om > 59)
            return -1;
        offset = sign * (int64_t)(oh * 3600 + om * 60);
    } else if (p < n) {
        static const struct {
            const char *name;
            int hours;
        } zones[] = {{"GMT", 0}, {"UTC", 0}, {"UT", 0},   {"Z", 0},    {"EST", -5},
                     {"EDT", -4}, {"CST", -6}, {"CDT", -5}, {"MST", -7}, {"MDT", -6},
                     {"PST", -8}, {"PDT", -7}};
        size_t i, zl = n - p;
        for (i = 0; i < sizeof zones / sizeof zones[0]; i++)
            if (strlen(zones[i].name) == zl && strncasecmp(zones[i].name, s + p, zl) == 0)
                break;
        if (i == sizeof zones / sizeof zones[0])
            return -1;
        offset = (int64_t)zones[i].hours * 3600;
        p = n;
    }
    if (p != n)
        return -1;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    return 0;
}

/* DD-MON-YYYY HH:MM:SS[.ff], as in Reuters-21578 and other wire archives. */
static int parse_day_month_year(const char *s, size_t n, int64_t *out)
{
    size_t p = 0;
    unsigned d, mo, y, h = 0, mi = 0, sec = 0;
    if (some_digits(s, n, &p, 2, &d) || p >= n || s[p++] != '-' || p + 3 > n ||
        !(mo = month_of(s + p)))
        return -1;
    p += 3;
    if (p >= n || s[p++] != '-' || digits(s, n, &p, 4, &y) || !valid_day(y, mo, d))
        return -1;
    skip_spaces(s, n, &p);
    if (p < n && clock_time(s, n, &p, &h, &mi, &sec))
        return -1;
    skip_spaces(s, n, &p);
    if (p != n)
        return -1;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    return 0;
}

/* Unix seconds written as a string: an optional minus sign, digits and an
 * optional fraction. */
static int parse_unix_string(const char *s, size_t n, int64_t *out)
{
    size_t p = 0;
    int neg = p < n && s[p] == '-';
    p += (size_t)neg;
    int64_t v = 0;
    size_t start = p;
    /* Within the range JSON number times take (±9.2e15 s, 290 million
     * years), so that time arithmetic with any window cannot overflow. */
    while (p < n && s[p] >= '0' && s[p] <= '9') {
        v = v * 10 + (s[p++] - '0');
        if (v > 9200000000000000LL)
            return -1;
    }
    if (p == start)
        return -1;
    if (p < n && s[p] == '.') {
        size_t f = ++p;
        while (p < n && s[p] >= '0' && s[p] <= '9')
            p++;
        if (p == f)
            return -1;
    }
    if (p != n)
        return -1;
    *out = neg ? -v : v;
    return 0;
}

int cli_parse_time(const char *s, size_t n, const char *format, int64_t *out)
{
    if (format) {
        char buf[256];
        if (n >= sizeof buf)
            return -1;
        memcpy(buf, s, n);
        buf[n] = 0;
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        tm.tm_mday = 1;
        const char *end = strptime(buf, format, &tm);
        if (!end || *end)
            return -1;
        if (!valid_day((unsigned)tm.tm_year + 1900u, (unsigned)tm.tm_mon + 1u,
                       (unsigned)tm.tm_mday) ||
            tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
            return -1;
        /* A %z offset read by strptime is in tm_gmtoff (0 without one). */
        *out = days_from_civil((int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
                               (unsigned)tm.tm_mday) * 86400 +
               tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec - tm.tm_gmtoff;
        return 0;
    }
    return cli_parse_iso8601(s, n, out) == 0 || parse_rfc2822(s, n, out) == 0 ||
                   parse_day_month_year(s, n, out) == 0 || parse_unix_string(s, n, out) == 0
               ? 0
               : -1;
}

/* ============================================================ params */

static int set_int(dedup_params *p, dedup_param key, const char *opt, const char *val)
{
    int64_t v, lo, hi;
    dedup_param_bounds(key, &lo, &hi);
    if (cli_parse_int(val, INT64_MIN, INT64_MAX, &v) || dedup_params_set(p, key, v)) {
        cli_msg("invalid %s '%s' (an integer in [%lld, %lld])", opt, val, (long long)lo,
                (long long)hi);
        return EXIT_USAGE;
    }
    return 0;
}

/* --param NAME=VALUE: any library parameter by its name. 0, or -1 after
 * a message. */
static int set_named(dedup_params *p, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char name[64];
    dedup_param key;
    size_t nlen = eq ? (size_t)(eq - arg) : 0;
    if (!eq || nlen == 0 || nlen >= sizeof name) {
        cli_msg("invalid --param '%s' (NAME=VALUE)", arg);
        return -1;
    }
    memcpy(name, arg, nlen);
    name[nlen] = 0;
    if (dedup_param_from_name(name, &key)) {
        cli_msg("unknown parameter '%s' in --param", name);
        return -1;
    }
    if (dedup_param_type_of(key) == DEDUP_PARAM_REAL) {
        double d;
        if (cli_parse_real(eq + 1, &d) || dedup_params_set_real(p, key, d)) {
            cli_msg("invalid value in --param '%s'", arg);
            return -1;
        }
        return 0;
    }
    char label[80];
    snprintf(label, sizeof label, "--param %s", name);
    return set_int(p, key, label, eq + 1) ? -1 : 0;
}

/* --measure and --mode: a name among two. 0, or -1 after a message. */
static int set_choice(dedup_params *p, dedup_param key, const char *opt, const char *arg,
                      const char *a, int va, const char *b, int vb)
{
    int v = !strcmp(arg, a) ? va : !strcmp(arg, b) ? vb : -1;
    if (v < 0 || dedup_params_set(p, key, v)) {
        cli_msg("invalid %s '%s' (%s or %s)", opt, arg, a, b);
        return -1;
    }
    return 0;
}

/* --seed: any unsigned 64-bit number (the seed uses all 64 bits). */
static int set_seed(dedup_params *p, const char *arg)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 0);
    if (!*arg || *arg == '-' || errno || *end ||
        dedup_params_set(p, DEDUP_P_SEED, (int64_t)v)) {
        cli_msg("invalid --seed '%s'", arg);
        return -1;
    }
    return 0;
}

/* Values fine alone may not go together: bands x rows over k. 0, or -1
 * after a message. */
static int check_lsh(const dedup_params *p)
{
    unsigned bands = 0, rows = 0;
    if (dedup_params_lsh(p, &bands, &rows) == DEDUP_OK)
        return 0;
    int64_t b = bands, r = rows, k = 0;
    if (!bands || !rows) {
        dedup_params_get(p, DEDUP_P_BANDS, &b);
        dedup_params_get(p, DEDUP_P_ROWS, &r);
    }
    dedup_params_get(p, DEDUP_P_NUM_HASHES, &k);
    cli_msg("bands x rows (%lld x %lld) take more values than num_hashes (%lld)", (long long)b,
            (long long)r, (long long)k);
    return -1;
}

/* Every option of o into p. 0, or -1 after a message. */
static int set_params(dedup_params *p, const cli_param_opts *o)
{
    if (o->threshold) {
        double t;
        if (cli_parse_real(o->threshold, &t) ||
            dedup_params_set_real(p, DEDUP_P_THRESHOLD, t)) {
            cli_msg("invalid --threshold '%s' (a number in (0, 1])", o->threshold);
            return -1;
        }
    }
    if ((o->shingle_size && set_int(p, DEDUP_P_SHINGLE_SIZE, "--shingle-size", o->shingle_size)) ||
        (o->char_shingle_size && set_int(p, DEDUP_P_CHAR_SHINGLE_SIZE, "--char-shingle-size",
                                         o->char_shingle_size)) ||
        (o->num_hashes && set_int(p, DEDUP_P_NUM_HASHES, "--num-hashes", o->num_hashes)) ||
        (o->seed && set_seed(p, o->seed)) ||
        (o->measure && set_choice(p, DEDUP_P_MEASURE, "--measure", o->measure, "jaccard",
                                  DEDUP_MEASURE_JACCARD, "containment",
                                  DEDUP_MEASURE_CONTAINMENT)) ||
        (o->mode && set_choice(p, DEDUP_P_CLUSTER_MODE, "--mode", o->mode, "transitive",
                               DEDUP_CLUSTER_TRANSITIVE, "representative",
                               DEDUP_CLUSTER_REPRESENTATIVE)))
        return -1;
    for (size_t i = 0; i < o->nextra; i++)
        if (set_named(p, o->extra[i]))
            return -1;
    return check_lsh(p);
}

int cli_make_params(const cli_param_opts *o, dedup_params **out)
{
    dedup_params *p;
    *out = NULL;
    if (dedup_params_create(&p)) {
        cli_msg("out of memory");
        return EXIT_INTERNAL;
    }
    if (set_params(p, o)) {
        dedup_params_free(p);
        return EXIT_USAGE;
    }
    *out = p;
    return 0;
}

int cli_record_open(cli_buf *out, const char *raw, size_t len)
{
    size_t end = len;
    while (end > 0 && raw[end - 1] != '}')
        end--;
    size_t k = end ? end - 1 : 0;
    while (k > 0 && (raw[k - 1] == ' ' || raw[k - 1] == '\t' || raw[k - 1] == '\n' ||
                     raw[k - 1] == '\r'))
        k--;
    int empty = k > 0 && raw[k - 1] == '{';
    if (cli_buf_add(out, raw, end ? end - 1 : 0) || (!empty && cli_buf_addc(out, ',')))
        return CLI_ENOMEM;
    return CLI_OK;
}

int cli_open_reader(cli_reader **r, const cli_input_opts *io, char **paths, size_t npaths,
                    int rewindable)
{
    int rc = cli_reader_open(r, io, paths, npaths, rewindable);
    if (rc == CLI_OK)
        return EXIT_OK;
    cli_msg("%s", *r ? cli_reader_error(*r) : "out of memory");
    return rc == CLI_ENOMEM ? EXIT_INTERNAL : EXIT_IO;
}
