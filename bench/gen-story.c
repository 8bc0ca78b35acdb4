/*
 * gen-story.c - the story and copy model of the corpus generator.
 *
 * An event is a set of entities (people, organisations, a town, a topic,
 * numbers, a quotation). Each story about an event is a list of
 * paragraphs of template sentences; every sentence keeps the seed of its
 * choices, so a republished copy can render it again word for word, or
 * reword it as a copy editor would, drawing a few of its choices again.
 * Independent reports of one event share the entities and the quotation but take their sentences
 * from different parts of a per-event shuffle of the templates, so they
 * share names, numbers and a phrase, not their text. A follow-up (the next
 * meeting of the same group) keeps the people and the topic and gets new
 * numbers, a new date and a new quotation.
 *
 * A copy is the story as a news site shows it: the site's fixed furniture
 * (navigation, weather widget, byline, "ALSO READ" lines with other
 * headlines, related headlines, subscription and cookie notices, footer),
 * a new headline, a dateline or agency credit, paragraphs trimmed from
 * the end, an inserted paragraph, reworded sentences, typos, the site's
 * quote style, HTML entities left in, and whitespace changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

/* ---------------------------------------------------------------- buffer */

void gen_buf_reserve(gen_buf *b, size_t n)
{
    size_t need = b->len + n + 1, cap;
    char *p;
    if (need <= b->cap)
        return;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    p = realloc(b->p, cap);
    if (!p) {
        fputs("gen: out of memory\n", stderr);
        exit(2);
    }
    b->p = p;
    b->cap = cap;
}

void gen_buf_put(gen_buf *b, const char *s, size_t n)
{
    gen_buf_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void gen_buf_puts(gen_buf *b, const char *s)
{
    gen_buf_put(b, s, strlen(s));
}

void gen_buf_putc(gen_buf *b, char c)
{
    gen_buf_reserve(b, 1);
    b->p[b->len++] = c;
    b->p[b->len] = 0;
}

void gen_buf_putu(gen_buf *b, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    gen_buf_reserve(b, (size_t)n);
    while (n)
        b->p[b->len++] = tmp[--n];
    b->p[b->len] = 0;
}

void gen_buf_free(gen_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static void buf_reset(gen_buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = 0;
}

/* ------------------------------------------------------------- templates */

/* Code point that ends `b`, or -1. */
static long last_codepoint(const gen_buf *b)
{
    size_t i = b->len;
    long cp;
    int k = 0;
    if (!i)
        return -1;
    while (i > 0 && k < 4 && ((unsigned char)b->p[i - 1] & 0xC0) == 0x80) {
        i--;
        k++;
    }
    if (!i)
        return -1;
    i--;
    cp = (unsigned char)b->p[i];
    if (cp >= 0xF0)
        cp &= 0x07;
    else if (cp >= 0xE0)
        cp &= 0x0F;
    else if (cp >= 0xC0)
        cp &= 0x1F;
    while (++i < b->len)
        cp = (cp << 6) | ((unsigned char)b->p[i] & 0x3F);
    return cp;
}

/* Korean particles: the form after a final consonant, and the one after
 * a vowel. 으로 comes first so that it is matched before 은/을. */
static const struct {
    const char *after_consonant, *after_vowel;
} particles[] = {
    {"으로", "로"}, {"은", "는"}, {"이", "가"}, {"을", "를"}, {"과", "와"},
};

static const char *render_particle(gen_buf *out, const char *t, const char *end)
{
    long cp = last_codepoint(out);
    int fin = (cp >= 0xAC00 && cp <= 0xD7A3) ? (int)((cp - 0xAC00) % 28) : 0;
    size_t i;
    for (i = 0; i < sizeof particles / sizeof particles[0]; i++) {
        size_t n = strlen(particles[i].after_consonant);
        if ((size_t)(end - t) >= n && !memcmp(t, particles[i].after_consonant, n)) {
            /* A final ㄹ (index 8) takes 로, like a vowel. */
            int vowel = !fin || (i == 0 && fin == 8);
            gen_buf_puts(out, vowel ? particles[i].after_vowel
                                    : particles[i].after_consonant);
            return t + n;
        }
    }
    gen_buf_putc(out, '~');
    return t;
}

/* Each {a|b|c} takes the alternative that r draws. With an edit
 * generator, an alternative is drawn again from it with probability
 * REWORD_P (and may come out the same): the copy editor's change of a word
 * or a phrase. r advances as without edits, so the choices after a changed
 * one stay as they were. */
#define REWORD_P 0.25
static void render_span(gen_buf *out, const char *t, const char *end,
                        const gen_slots *sl, gen_rng *r, gen_rng *edit)
{
    while (t < end) {
        const char *s = t;
        while (t < end && *t != '{' && *t != '$' && *t != '~')
            t++;
        if (t > s)
            gen_buf_put(out, s, (size_t)(t - s));
        if (t >= end)
            break;
        if (*t == '{') {
            const char *alt[16], *q = t + 1, *ae;
            uint32_t na = 0, k;
            alt[na++] = q;
            while (q < end && *q != '}') {
                if (*q == '|' && na < 16)
                    alt[na++] = q + 1;
                q++;
            }
            k = gen_below(r, na);
            if (edit && gen_chance(edit, REWORD_P))
                k = gen_below(edit, na);
            ae = k + 1 < na ? alt[k + 1] - 1 : q;
            render_span(out, alt[k], ae, sl, r, edit);
            t = q < end ? q + 1 : q;
        } else if (*t == '$') {
            if (t + 1 < end && t[1] >= 'A' && t[1] <= 'Z') {
                gen_buf_puts(out, sl->s[t[1] - 'A']);
                t += 2;
            } else {
                gen_buf_putc(out, '$');
                t++;
            }
        } else {
            t = render_particle(out, t + 1, end);
        }
    }
}

void gen_render(gen_buf *out, const char *tpl, const gen_slots *sl, gen_rng *r)
{
    render_span(out, tpl, tpl + strlen(tpl), sl, r, NULL);
}

void gen_render_edited(gen_buf *out, const char *tpl, const gen_slots *sl, gen_rng *r,
                       gen_rng *edit)
{
    render_span(out, tpl, tpl + strlen(tpl), sl, r, edit);
}

/* --------------------------------------------------------------- helpers */

static const char *pick(gen_rng *r, gen_list l)
{
    return l.v[gen_below(r, l.n)];
}

#define SLOT(sl, c) ((sl)->s[(c) - 'A'])

/* Copy `fmt` into dst with its first "%s" replaced by `arg`. */
static void fmt_sub(char *dst, size_t cap, const char *fmt, const char *arg)
{
    const char *p = strstr(fmt, "%s");
    if (!p)
        snprintf(dst, cap, "%s", fmt);
    else
        snprintf(dst, cap, "%.*s%s%s", (int)(p - fmt), fmt, arg, p + 2);
}

/* Civil date from days since 1970-01-01 (proleptic Gregorian). */
static void civil(long z, int *y, int *m, int *d)
{
    long era, doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

void gen_iso_date(char out[32], long day, int minute)
{
    int y, m, d;
    civil(day + minute / 1440, &y, &m, &d);
    minute %= 1440;
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:00Z", y, m, d, minute / 60,
             minute % 60);
}

/* Month and day in the language's style ("December 7", "12월 7일"). */
static void fmt_date(char *dst, size_t cap, const gen_lang *L, long day)
{
    int y, m, d;
    const char *f = L->date_fmt;
    size_t n = 0;
    civil(day, &y, &m, &d);
    while (*f && n + 32 < cap) {
        if (f[0] == '%' && f[1] == 'M') {
            n += (size_t)snprintf(dst + n, cap - n, "%s", L->months.v[m - 1]);
            f += 2;
        } else if (f[0] == '%' && f[1] == 'D') {
            n += (size_t)snprintf(dst + n, cap - n, "%d", d);
            f += 2;
        } else {
            dst[n++] = *f++;
        }
    }
    dst[n] = 0;
}

static void fmt_day(char *dst, size_t cap, const gen_lang *L, long day)
{
    int y, m, d;
    char num[8];
    if (!L->day_fmt) {
        snprintf(dst, cap, "%s", L->weekdays.v[(day % 7 + 11) % 7]);
        return;
    }
    civil(day, &y, &m, &d);
    snprintf(num, sizeof num, "%d", d);
    fmt_sub(dst, cap, L->day_fmt, num);
}

static void make_name(char *full, char *fam, const gen_lang *L, gen_rng *r)
{
    const char *g = pick(r, L->given);
    const char *g2 = L->given2.n ? pick(r, L->given2) : "";
    const char *f = pick(r, L->family);
    if (L->name_fmt[0] == 'G')
        snprintf(full, GEN_SLOT_MAX, "%s%s%s%s", g, g2, L->sep, f);
    else
        snprintf(full, GEN_SLOT_MAX, "%s%s%s%s", f, L->sep, g, g2);
    if (fam)
        snprintf(fam, GEN_SLOT_MAX, "%s", f);
}

static void make_place(char *dst, const gen_lang *L, gen_rng *r)
{
    const char *a = pick(r, L->place_a), *b = pick(r, L->place_b);
    snprintf(dst, GEN_SLOT_MAX, "%s%s%s", a, b, pick(r, L->place_kind));
}

static void make_org(char *dst, const gen_lang *L, gen_rng *r)
{
    const char *a = pick(r, L->org_a), *b = pick(r, L->org_b);
    snprintf(dst, GEN_SLOT_MAX, "%s%s%s%s%s", a, L->sep, b, L->sep,
             pick(r, L->org_kind));
}

/* Digits of v with thousands separators. */
static void digits(char *dst, size_t cap, unsigned long v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lu", v), i, o = 0;
    for (i = 0; i < n && (size_t)o + 2 < cap; i++) {
        if (i && (n - i) % 3 == 0)
            dst[o++] = ',';
        dst[o++] = tmp[i];
    }
    dst[o] = 0;
}

/* New numbers for a story: a count, an amount of money and a percentage. */
static void make_numbers(gen_slots *sl, const gen_lang *L, gen_rng *r)
{
    char num[32];
    /* Log-uniform between about 120 and 100,000. Every draw is a statement
     * of its own: the order in which a compiler evaluates the operands of
     * one expression is unspecified, and the corpus must not depend on it. */
    double frac = gen_unit(r);
    uint32_t octave = gen_below(r, 10);
    unsigned long n = (unsigned long)(120.0 * (1.0 + frac * 3.0) * (double)(1UL << octave));
    digits(num, sizeof num, n);
    fmt_sub(SLOT(sl, 'N'), GEN_SLOT_MAX, L->count_fmt, num);
    if (gen_chance(r, 0.5)) {
        snprintf(num, sizeof num, "%u", 12 + gen_below(r, 968));
        fmt_sub(SLOT(sl, 'M'), GEN_SLOT_MAX, L->money_fmt_small, num);
    } else {
        uint32_t tenths = gen_below(r, 10), units = 1 + gen_below(r, 9);
        snprintf(num, sizeof num, "%u.%u", units, tenths);
        fmt_sub(SLOT(sl, 'M'), GEN_SLOT_MAX, L->money_fmt_large, num);
    }
    uint32_t tenths = 1 + gen_below(r, 9), units = gen_below(r, 45);
    snprintf(num, sizeof num, "%u.%u", units, tenths);
    fmt_sub(SLOT(sl, 'F'), GEN_SLOT_MAX, L->pct_fmt, num);
}

static void render_slot(gen_slots *sl, char c, const char *tpl, gen_rng *r)
{
    gen_buf b = {0, 0, 0};
    gen_render(&b, tpl, sl, r);
    snprintf(SLOT(sl, c), GEN_SLOT_MAX, "%s", b.p ? b.p : "");
    gen_buf_free(&b);
}

/* Dates of a story: $D the day it happened, $Z the next meeting. */
static void make_dates(gen_slots *sl, const gen_lang *L, long day, gen_rng *r)
{
    fmt_day(SLOT(sl, 'D'), GEN_SLOT_MAX, L, day);
    fmt_date(SLOT(sl, 'Z'), GEN_SLOT_MAX, L, day + 3 + gen_below(r, 28));
}

/* ----------------------------------------------------------------- story */

void gen_event_make(gen_story *ev, const gen_lang *L, uint64_t seed, uint32_t e)
{
    gen_rng r = gen_fork(seed, 0x100000000ULL + e);
    gen_slots *sl = &ev->sl;
    memset(ev, 0, sizeof *ev);
    ev->L = L;
    ev->event_no = e;
    /* 2019-01-01 .. 2024-12-31 */
    ev->day = 17897 + (long)gen_below(&r, 2191);
    ev->minute = 360 + (int)gen_below(&r, 900);
    make_name(SLOT(sl, 'P'), SLOT(sl, 'S'), L, &r);
    make_name(SLOT(sl, 'Q'), NULL, L, &r);
    make_name(SLOT(sl, 'R'), NULL, L, &r);
    snprintf(SLOT(sl, 'J'), GEN_SLOT_MAX, "%s", pick(&r, L->jobs));
    snprintf(SLOT(sl, 'H'), GEN_SLOT_MAX, "%s", pick(&r, L->jobs));
    make_org(SLOT(sl, 'O'), L, &r);
    do
        make_org(SLOT(sl, 'U'), L, &r);
    while (!strcmp(SLOT(sl, 'U'), SLOT(sl, 'O')));
    make_place(SLOT(sl, 'C'), L, &r);
    snprintf(SLOT(sl, 'K'), GEN_SLOT_MAX, "%s", pick(&r, L->region));
    const char *tk = pick(&r, L->topic_kind), *tb = pick(&r, L->topic_b),
               *ta = pick(&r, L->topic_a);
    snprintf(SLOT(sl, 'T'), GEN_SLOT_MAX, "%s%s%s%s%s", ta, L->spaced ? " " : "", tb,
             L->spaced ? " " : "", tk);
    snprintf(SLOT(sl, 'A'), GEN_SLOT_MAX, "%s", pick(&r, L->agencies));
    make_numbers(sl, L, &r);
    make_dates(sl, L, ev->day, &r);
    render_slot(sl, 'X', pick(&r, L->quote), &r);
    render_slot(sl, 'Y', pick(&r, L->quote), &r);
}

static void add_sent(gen_story *st, const char *tpl, gen_rng *r)
{
    if (st->nsent >= GEN_MAX_SENT)
        return;
    st->sent[st->nsent].tpl = tpl;
    st->sent[st->nsent].choice = gen_next(r);
    st->nsent++;
}

static void new_para(gen_story *st)
{
    if (st->npara < GEN_MAX_PARA)
        st->para_start[st->npara++] = st->nsent;
}

void gen_story_make(gen_story *st, const gen_story *ev, int j, int followup,
                    uint64_t perm_seed, gen_rng *r, int kind)
{
    const gen_lang *L = ev->L;
    gen_slots *sl;
    uint16_t perm[64];
    uint32_t nb = L->body.n < 64 ? L->body.n : 64, i, k, target, off;
    gen_rng pr = gen_fork(perm_seed, 7);
    *st = *ev;
    sl = &st->sl;
    st->nsent = st->npara = 0;
    if (j > 0) {
        make_name(SLOT(sl, 'R'), NULL, L, r);
        snprintf(SLOT(sl, 'A'), GEN_SLOT_MAX, "%s", pick(r, L->agencies));
        render_slot(sl, 'Y', pick(r, L->quote), r);
        st->minute = 360 + (int)gen_below(r, 900);
        if (followup) {
            st->day += 3 + (long)gen_below(r, 40);
            make_numbers(sl, L, r);
            make_dates(sl, L, st->day, r);
            render_slot(sl, 'X', pick(r, L->quote), r);
            if (gen_chance(r, 0.5))
                make_name(SLOT(sl, 'Q'), NULL, L, r);
        }
    }
    /* One shuffle of the templates per event; story j reads it from its
     * own offset, so reports of one event use different sentences. */
    for (i = 0; i < nb; i++)
        perm[i] = (uint16_t)i;
    for (i = nb; i > 1; i--) {
        k = gen_below(&pr, i);
        uint16_t t = perm[i - 1];
        perm[i - 1] = perm[k];
        perm[k] = t;
    }
    k = gen_below(&pr, L->headline.n);
    st->headline_tpl = L->headline.v[(k + (uint32_t)j) % L->headline.n];
    st->headline_choice = gen_next(r);
    k = gen_below(&pr, L->lead.n);

    new_para(st);
    add_sent(st, L->lead.v[(k + (uint32_t)j) % L->lead.n], r);
    if (kind == GEN_KIND_BRIEFS) {
        if (gen_chance(r, 0.6)) {
            new_para(st);
            /* The last closer quotes $Y at length: too long for a brief. */
            add_sent(st, L->closer.v[gen_below(r, L->closer.n - 1)], r);
        }
        st->para_start[st->npara] = st->nsent;
        return;
    }
    target = 14 + gen_below(r, 9);
    off = (uint32_t)j * target + gen_below(r, 3);
    k = gen_below(&pr, L->quote_intro.n);
    for (i = 0; i < target; i++) {
        if (i == 0 || (i >= 2 && gen_chance(r, 0.45)) || st->npara == 1)
            new_para(st);
        add_sent(st, L->body.v[perm[(off + i) % nb]], r);
        if (i == 1) {
            new_para(st);
            add_sent(st, L->quote_intro.v[(k + (uint32_t)j) % L->quote_intro.n], r);
        }
    }
    new_para(st);
    add_sent(st, pick(r, L->closer), r);
    st->para_start[st->npara] = st->nsent;
}

/* ----------------------------------------------------------------- sites */

#define NSITES 40
#define RING 512
#define RING_W 240
/* Paragraph offsets kept per document; base-corpus articles can have
 * many short lines, and lines past this stay with the last paragraph. */
#define MAX_OFF 1024

struct gen_world {
    uint64_t seed;
    int kind;
    gen_site sites[4][NSITES];
    int nsites[4];
    char ring[4][RING][RING_W];
    uint32_t ring_n[4], ring_pos[4], cursor;
    gen_buf art, tmp;
    size_t para_off[MAX_OFF + 1];
};

static const gen_lang *const langs[4] = {&gen_lang_en, &gen_lang_ko, &gen_lang_ja,
                                         &gen_lang_zh};

static int lang_index(const gen_lang *L)
{
    int i;
    for (i = 0; i < 4; i++)
        if (langs[i] == L)
            return i;
    return 0;
}

static void site_init(gen_world *w, gen_site *s, const gen_lang *L, int li, int i)
{
    gen_rng r = gen_fork(w->seed, 0x300000000ULL + (uint64_t)li * 1000 + (uint64_t)i);
    gen_slots *sl = calloc(1, sizeof *sl);
    uint32_t order[32], n = L->sections.n < 32 ? L->sections.n : 32, k, m;
    int tries, j;
    if (!sl) {
        fputs("gen: out of memory\n", stderr);
        exit(2);
    }
    s->L = L;
    for (tries = 0; tries < 64; tries++) {
        int dup = 0;
        const char *sb = pick(&r, L->site_b), *sa = pick(&r, L->site_a);
        snprintf(s->name, sizeof s->name, "%s%s%s", sa, L->sep, sb);
        for (j = 0; j < i; j++)
            dup |= !strcmp(w->sites[li][j].name, s->name);
        if (!dup)
            break;
    }
    make_place(s->city, L, &r);
    for (j = 0; j < 3; j++)
        make_name(s->staff[j], NULL, L, &r);
    snprintf(SLOT(sl, 'W'), GEN_SLOT_MAX, "%s", s->name);
    snprintf(SLOT(sl, 'E'), GEN_SLOT_MAX, "%s", "2024");
    /* Navigation: a site-specific selection of sections, in its order. */
    for (k = 0; k < n; k++)
        order[k] = k;
    m = 5 + gen_below(&r, n - 5);
    for (k = 0; k < m; k++) {
        uint32_t x = k + gen_below(&r, n - k), t = order[k];
        order[k] = order[x];
        order[x] = t;
        if (k)
            gen_buf_puts(&s->nav, L->spaced ? " | " : "｜");
        gen_buf_puts(&s->nav, L->sections.v[order[k]]);
    }
    gen_render(&s->cookie, pick(&r, L->cookie), sl, &r);
    gen_render(&s->subscribe, pick(&r, L->subscribe), sl, &r);
    gen_render(&s->footer, pick(&r, L->footer), sl, &r);
    s->also_label = pick(&r, L->also_read);
    s->related_tpl = pick(&r, L->related_label);
    s->weather_tpl = pick(&r, L->weather);
    s->byline_tpl = pick(&r, L->byline);
    s->curly = (uint8_t)gen_chance(&r, 0.5);
    s->entities = (uint8_t)gen_chance(&r, 0.15);
    s->blank_lines = (uint8_t)gen_chance(&r, 0.3);
    s->title_in_text = (uint8_t)gen_chance(&r, 0.4);
    s->has_nav = (uint8_t)gen_chance(&r, 0.8);
    s->has_weather = (uint8_t)gen_chance(&r, 0.35);
    s->has_byline = (uint8_t)gen_chance(&r, 0.7);
    s->has_cookie = (uint8_t)gen_chance(&r, 0.5);
    s->has_subscribe = (uint8_t)gen_chance(&r, 0.5);
    s->has_footer = (uint8_t)gen_chance(&r, 0.7);
    s->also_n = (uint8_t)gen_below(&r, 3);
    s->related_n = (uint8_t)(gen_chance(&r, 0.6) ? 3 + gen_below(&r, 5) : 0);
    s->credit_style = (uint8_t)gen_below(&r, 4);
    if (w->kind == GEN_KIND_BOILERPLATE) {
        s->has_nav = s->has_cookie = s->has_subscribe = s->has_footer = 1;
        s->also_n = (uint8_t)(2 + gen_below(&r, 3));
        s->related_n = (uint8_t)(6 + gen_below(&r, 7));
    }
    free(sl);
}

gen_world *gen_world_new(uint64_t seed, int kind)
{
    gen_world *w = calloc(1, sizeof *w);
    int li, i;
    if (!w) {
        fputs("gen: out of memory\n", stderr);
        exit(2);
    }
    w->seed = seed;
    w->kind = kind;
    for (li = 0; li < 4; li++) {
        w->nsites[li] = NSITES;
        for (i = 0; i < NSITES; i++)
            site_init(w, &w->sites[li][i], langs[li], li, i);
    }
    return w;
}

void gen_world_free(gen_world *w)
{
    int li, i;
    if (!w)
        return;
    for (li = 0; li < 4; li++)
        for (i = 0; i < NSITES; i++) {
            gen_buf_free(&w->sites[li][i].nav);
            gen_buf_free(&w->sites[li][i].cookie);
            gen_buf_free(&w->sites[li][i].subscribe);
            gen_buf_free(&w->sites[li][i].footer);
        }
    gen_buf_free(&w->art);
    gen_buf_free(&w->tmp);
    free(w);
}

int gen_world_pick_site(gen_world *w, const gen_lang *L, gen_rng *r,
                        const int *exclude, int nexclude)
{
    int li = lang_index(L), tries, i;
    for (tries = 0; tries < 100; tries++) {
        int s = (int)gen_below(r, (uint32_t)w->nsites[li]), used = 0;
        for (i = 0; i < nexclude; i++)
            used |= exclude[i] == s;
        if (!used)
            return s;
    }
    return (int)gen_below(r, (uint32_t)w->nsites[li]);
}

const char *gen_world_site_name(const gen_world *w, const gen_lang *L, int i)
{
    return w->sites[lang_index(L)][i].name;
}

/* Remember a headline for later "ALSO READ" and related lists, cut at a
 * character boundary. */
static void ring_add(gen_world *w, int li, const char *h, size_t n)
{
    char *dst = w->ring[li][w->ring_pos[li]];
    if (n >= RING_W) {
        n = RING_W - 1;
        while (n && ((unsigned char)h[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, h, n);
    dst[n] = 0;
    w->ring_pos[li] = (w->ring_pos[li] + 1) % RING;
    if (w->ring_n[li] < RING)
        w->ring_n[li]++;
}

/* Headlines for one page come from consecutive ring entries from a
 * random start, so that a page does not list one headline twice. */
static void ring_start(gen_world *w, int li, gen_rng *r)
{
    w->cursor = w->ring_n[li] ? gen_below(r, w->ring_n[li]) : 0;
}

static const char *ring_pick(gen_world *w, int li, gen_rng *r)
{
    (void)r;
    if (!w->ring_n[li])
        return NULL;
    return w->ring[li][w->cursor++ % w->ring_n[li]];
}

/* ----------------------------------------------------------------- edits */

static int is_alpha(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static size_t utf8_len(unsigned char c)
{
    return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* One typo in b->p[from..]: letters swapped, dropped or doubled (ASCII),
 * or a character dropped or doubled (other scripts). */
static void add_typo(gen_buf *b, size_t from, gen_rng *r)
{
    int tries;
    if (b->len < from + 8)
        return;
    for (tries = 0; tries < 16; tries++) {
        size_t i = from + gen_below(r, (uint32_t)(b->len - from - 4)), n;
        unsigned char c;
        while (i > from && ((unsigned char)b->p[i] & 0xC0) == 0x80)
            i--;
        c = (unsigned char)b->p[i];
        if (is_alpha(c) && is_alpha((unsigned char)b->p[i + 1])) {
            uint32_t op = gen_below(r, 3);
            if (op == 0) {
                char t = b->p[i];
                b->p[i] = b->p[i + 1];
                b->p[i + 1] = t;
                return;
            }
            n = 1;
            if (op == 1) {
                memmove(b->p + i, b->p + i + n, b->len - i - n + 1);
                b->len -= n;
                return;
            }
        } else if (c >= 0xE0) {
            n = utf8_len(c);
            if (i + n > b->len)
                continue;
            if (gen_chance(r, 0.5)) {
                memmove(b->p + i, b->p + i + n, b->len - i - n + 1);
                b->len -= n;
                return;
            }
        } else {
            continue;
        }
        /* Double the character at i. */
        gen_buf_reserve(b, n);
        memmove(b->p + i + n, b->p + i, b->len - i + 1);
        b->len += n;
        return;
    }
}

/* Drop one word of the span [from, b->len) (spaced text), or one
 * character (unspaced); used to "reword" base-corpus paragraphs, which
 * have no templates to render again. */
static void drop_word(gen_buf *b, size_t from, gen_rng *r, int spaced)
{
    size_t i, j;
    if (b->len < from + 16)
        return;
    if (!spaced) {
        add_typo(b, from, r);
        return;
    }
    i = from + gen_below(r, (uint32_t)(b->len - from));
    while (i < b->len && b->p[i] != ' ')
        i++;
    if (i >= b->len)
        return;
    j = i + 1;
    while (j < b->len && b->p[j] != ' ')
        j++;
    if (j >= b->len)
        return;
    memmove(b->p + i, b->p + j, b->len - j + 1);
    b->len -= j - i;
}

/* Append `s` to out in the site's quote style: straight quotes become
 * curly ones (opening and closing alternate within a line), and sites
 * that leak HTML entities write &amp; &quot; &#39;. */
static void put_styled(gen_buf *out, const char *s, size_t n, const gen_site *site)
{
    const gen_lang *L = site->L;
    int curly = site->curly && L->open_q[0] == '\xe2';
    int ents = site->entities && !curly;
    int open = 0;
    size_t i, run = 0;
    if (!curly && !ents) {
        gen_buf_put(out, s, n);
        return;
    }
    gen_buf_reserve(out, n + n / 8);
    for (i = 0; i < n; i++) {
        char c = s[i];
        const char *rep = NULL;
        if (c == '\n') {
            open = 0;
        } else if (c == '"') {
            rep = curly ? (open ? L->close_q : L->open_q) : "&quot;";
            open = !open;
        } else if (c == '\'') {
            rep = curly ? "\xe2\x80\x99" : "&#39;";
        } else if (c == '&' && ents) {
            rep = "&amp;";
        }
        if (rep) {
            gen_buf_put(out, s + run, i - run);
            gen_buf_puts(out, rep);
            run = i + 1;
        }
    }
    gen_buf_put(out, s + run, n - run);
}

/* ------------------------------------------------------------- documents */

static void render_headline(gen_buf *out, const gen_story *st)
{
    if (st->base_title) {
        gen_buf_put(out, st->base_title, st->base_title_len);
    } else {
        gen_rng hr = {st->headline_choice};
        gen_render(out, st->headline_tpl, &st->sl, &hr);
    }
}

static void render_title(gen_world *w, const gen_story *st, const gen_site *site,
                         int copy, gen_rng *r, gen_buf *title)
{
    const gen_lang *L = st->L;
    double u = gen_unit(r);
    gen_buf *h = &w->tmp;
    buf_reset(h);
    if (copy && u < 0.55 && !st->base_title) {
        gen_rng hr = {gen_next(r)};
        gen_render(h, pick(r, L->headline), &st->sl, &hr);
    } else {
        render_headline(h, st);
        if (copy && u < 0.85) {
            uint32_t v = gen_below(r, 3);
            if (v == 0 && L == &gen_lang_en) {
                gen_buf *t2 = title;
                gen_buf_puts(t2, gen_chance(r, 0.5) ? "UPDATE 1-" : "UPDATE 2-");
            } else if (v == 1 && L->spaced) {
                /* Drop the last word. */
                char *sp = strrchr(h->p, ' ');
                if (sp && sp > h->p + 10) {
                    h->len = (size_t)(sp - h->p);
                    h->p[h->len] = 0;
                }
            } else {
                gen_buf_puts(h, L->spaced ? " - " : "｜");
                gen_buf_puts(h, site->name);
            }
        }
    }
    put_styled(title, h->p, h->len, site);
}

static void put_dateline(gen_buf *out, const gen_story *st)
{
    const gen_lang *L = st->L;
    const char *f = L->dateline_fmt;
    char date[96];
    fmt_date(date, sizeof date, L, st->day);
    for (; *f; f++) {
        if (f[0] == '%' && f[1] == 'C') {
            const char *c = SLOT(&st->sl, 'C');
            size_t k = out->len;
            gen_buf_puts(out, c);
            if (L == &gen_lang_en)
                for (; k < out->len; k++)
                    if (out->p[k] >= 'a' && out->p[k] <= 'z')
                        out->p[k] = (char)(out->p[k] - 32);
            f++;
        } else if (f[0] == '%' && f[1] == 'Z') {
            gen_buf_puts(out, date);
            f++;
        } else if (f[0] == '%' && f[1] == 'A') {
            gen_buf_puts(out, SLOT(&st->sl, 'A'));
            f++;
        } else {
            gen_buf_putc(out, *f);
        }
    }
}

static size_t count_lines(const char *s, size_t n)
{
    size_t k = 1, i;
    for (i = 0; i < n; i++)
        k += s[i] == '\n';
    return k;
}

/* Render the article body of a document into w->art, one paragraph a
 * line, and record where each paragraph starts in w->para_off. Returns
 * the number of paragraphs. */
static int render_article(gen_world *w, const gen_story *st, const gen_site *site,
                          int copy, gen_rng *r)
{
    const gen_lang *L = st->L;
    gen_buf *a = &w->art;
    int npara = st->base_text ? (int)count_lines(st->base_text, st->base_text_len)
                              : st->npara;
    int keep = npara, insert_at = -1, credit, i, np = 0, minkeep, ntypo = 0, t;
    int typo_para[3];
    const char *bp = st->base_text,
               *bend = st->base_text ? st->base_text + st->base_text_len : NULL;
    buf_reset(a);
    minkeep = w->kind == GEN_KIND_BRIEFS ? 1 : 2;
    if (copy && w->kind == GEN_KIND_CUTS && gen_chance(r, 0.6)) {
        /* The top of the story: 1/2 to 1/8 of its paragraphs. */
        double f = 2.0 + 6.0 * gen_unit(r);
        keep = (int)(npara / f + 0.5);
        if (keep < 1)
            keep = 1;
    } else if (copy && npara > minkeep && gen_chance(r, 0.5)) {
        int cut = 1 + (int)gen_below(r, (uint32_t)(npara / 3 > 1 ? npara / 3 : 1));
        keep = npara - cut < minkeep ? minkeep : npara - cut;
    }
    if (copy && w->kind != GEN_KIND_BRIEFS && gen_chance(r, 0.3))
        insert_at = 1 + (int)gen_below(r, (uint32_t)keep);
    /* Typos go into chosen paragraphs as each is rendered, so that the
     * paragraph offsets recorded so far stay valid. */
    if (copy && gen_chance(r, 0.5)) {
        ntypo = 1 + (int)gen_below(r, 3);
        for (i = 0; i < ntypo; i++)
            typo_para[i] = (int)gen_below(r, (uint32_t)keep);
    }
    credit = site->credit_style == 3 ? (int)gen_below(r, 3) : site->credit_style;
    if (!copy)
        credit = gen_chance(r, 0.5) ? 1 : 0;
    for (i = 0; i < npara; i++) {
        size_t start;
        const char *le = NULL;
        if (st->base_text) {
            le = memchr(bp, '\n', (size_t)(bend - bp));
            if (!le)
                le = bend;
        }
        if (i >= keep)
            break;
        if (i == insert_at) {
            gen_rng ir = {gen_next(r)};
            if (np < MAX_OFF - 2)
                w->para_off[np++] = a->len;
            gen_render(a, st->base_text ? pick(r, L->editor_note) : pick(r, L->insert),
                       &st->sl, &ir);
            gen_buf_putc(a, '\n');
        }
        if (np < MAX_OFF - 2)
            w->para_off[np++] = a->len;
        start = a->len;
        if (i == 0 && credit == 1)
            put_dateline(a, st);
        if (st->base_text) {
            gen_buf_put(a, bp, (size_t)(le - bp));
            if (copy && gen_chance(r, 0.12))
                drop_word(a, start, r, L->spaced);
            bp = le < bend ? le + 1 : bend;
        } else {
            int s;
            for (s = st->para_start[i]; s < st->para_start[i + 1]; s++) {
                gen_rng cr = {st->sent[s].choice}, er = {0};
                int reword = copy && gen_chance(r, 0.1);
                if (reword)
                    er.s = gen_next(r); /* reworded: some words changed */
                if (s > st->para_start[i] && L->spaced)
                    gen_buf_putc(a, ' ');
                gen_render_edited(a, st->sent[s].tpl, &st->sl, &cr, reword ? &er : NULL);
            }
        }
        for (t = 0; t < ntypo; t++)
            if (typo_para[t] == i)
                add_typo(a, start, r);
        gen_buf_putc(a, '\n');
    }
    if (credit == 2) {
        w->para_off[np++] = a->len;
        gen_buf_puts(a, L->spaced ? "(" : "（");
        gen_buf_puts(a, SLOT(&st->sl, 'A'));
        gen_buf_puts(a, L->spaced ? ")\n" : "）\n");
    }
    w->para_off[np] = a->len;
    return np;
}

static size_t count_words(const char *s, size_t n)
{
    size_t i, words = 0;
    int in = 0;
    for (i = 0; i < n; i++) {
        int sp = s[i] == ' ' || s[i] == '\n' || s[i] == '\t';
        words += !sp && !in;
        in = !sp;
    }
    return words;
}

static void put_line(gen_buf *out, const char *s, size_t n, const gen_site *site)
{
    put_styled(out, s, n, site);
    gen_buf_putc(out, '\n');
}

static void put_page_tpl(gen_buf *out, gen_buf *tmp, const char *tpl,
                         const gen_story *st, const gen_site *site, gen_rng *r)
{
    static gen_slots sl; /* the generator is single-threaded */
    char temp[8];
    snprintf(sl.s['W' - 'A'], GEN_SLOT_MAX, "%s", site->name);
    snprintf(sl.s['C' - 'A'], GEN_SLOT_MAX, "%s", site->city);
    snprintf(sl.s['P' - 'A'], GEN_SLOT_MAX, "%s", site->staff[gen_below(r, 3)]);
    snprintf(sl.s['Q' - 'A'], GEN_SLOT_MAX, "%s", site->staff[gen_below(r, 3)]);
    snprintf(temp, sizeof temp, "%d", (int)gen_below(r, 40) - 5);
    snprintf(sl.s['N' - 'A'], GEN_SLOT_MAX, "%s", temp);
    fmt_day(sl.s['D' - 'A'], GEN_SLOT_MAX, site->L, st->day);
    fmt_date(sl.s['Z' - 'A'], GEN_SLOT_MAX, site->L, st->day);
    buf_reset(tmp);
    gen_render(tmp, tpl, &sl, r);
    put_line(out, tmp->p, tmp->len, site);
}

static void put_related(gen_world *w, gen_buf *out, const gen_site *site, int li,
                        gen_rng *r)
{
    const char *h = ring_pick(w, li, r);
    if (!h)
        return;
    gen_buf_puts(out, site->L->spaced ? "- " : site->L == &gen_lang_ja ? "・" : "·");
    put_line(out, h, strlen(h), site);
}

void gen_doc_render(gen_world *w, const gen_story *st, int site_i, int copy,
                    gen_rng *r, gen_buf *title, gen_buf *text)
{
    const gen_lang *L = st->L;
    int li = lang_index(L);
    const gen_site *site = &w->sites[li][site_i];
    int np, i, also_left, brief = w->kind == GEN_KIND_BRIEFS;
    int dbl = L == &gen_lang_en && copy && gen_chance(r, 0.1);
    int trail = copy && gen_chance(r, 0.1);
    size_t art_start, art_len;
    buf_reset(title);
    buf_reset(text);
    render_title(w, st, site, copy, r, title);
    np = render_article(w, st, site, copy, r);
    ring_start(w, li, r);
    /* A brief stays under 60 words whatever a copy added. */
    while (brief && np > 1 && count_words(w->art.p, w->para_off[np]) >= 60)
        np--;

    if (!brief) {
        if (site->has_nav)
            put_line(text, site->nav.p, site->nav.len, site);
        if (site->has_weather)
            put_page_tpl(text, &w->tmp, site->weather_tpl, st, site, r);
        if (site->title_in_text)
            put_line(text, title->p, title->len, site);
        if (site->has_byline)
            put_page_tpl(text, &w->tmp, site->byline_tpl, st, site, r);
    }
    art_start = text->len;
    also_left = brief ? 0 : site->also_n;
    for (i = 0; i < np; i++) {
        const char *p = w->art.p + w->para_off[i];
        size_t n = w->para_off[i + 1] - w->para_off[i] - 1, k, run = 0;
        if (dbl) {
            /* Two spaces after each full stop, as some editors type. */
            for (k = 0; k + 1 < n; k++)
                if (p[k] == '.' && p[k + 1] == ' ') {
                    put_styled(text, p + run, k + 1 - run, site);
                    gen_buf_putc(text, ' ');
                    run = k + 1;
                }
        }
        put_styled(text, p + run, n - run, site);
        if (trail)
            gen_buf_putc(text, ' ');
        gen_buf_putc(text, '\n');
        if (site->blank_lines && i + 1 < np)
            gen_buf_putc(text, '\n');
        if (also_left && i >= 1 && i + 2 < np && i % 3 == 1) {
            const char *h = ring_pick(w, li, r);
            also_left--;
            if (h) {
                gen_buf_puts(text, site->also_label);
                gen_buf_putc(text, ' ');
                put_line(text, h, strlen(h), site);
            }
        }
    }
    art_len = text->len - art_start;
    if (!brief) {
        int n = site->related_n, k;
        if (n) {
            gen_rng lr = {0};
            put_page_tpl(text, &w->tmp, site->related_tpl, st, site, &lr);
            for (k = 0; k < n; k++)
                put_related(w, text, site, li, r);
        }
        if (w->kind == GEN_KIND_BOILERPLATE) {
            /* Keep adding related headlines until the furniture is about
             * as long as the article itself. */
            while (text->len - art_len < art_len && w->ring_n[li])
                put_related(w, text, site, li, r);
        }
        if (site->has_subscribe)
            put_line(text, site->subscribe.p, site->subscribe.len, site);
        if (site->has_cookie)
            put_line(text, site->cookie.p, site->cookie.len, site);
        if (site->has_footer)
            put_line(text, site->footer.p, site->footer.len, site);
    }
    /* No trailing newline: the last paragraph ends the text. */
    while (text->len && text->p[text->len - 1] == '\n')
        text->p[--text->len] = 0;
    /* Only now, so that a page never lists its own story. */
    if (!copy) {
        gen_buf *h = &w->tmp;
        buf_reset(h);
        render_headline(h, st);
        ring_add(w, li, h->p, h->len);
    }
}
