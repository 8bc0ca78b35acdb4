/*
 * gen.h - pieces shared by the files of the corpus generator (bench/gen):
 * the pseudo-random generator, a growable byte buffer, and the description
 * of a language pack (vocabularies and sentence templates).
 *
 * Everything the generator writes is decided by one 64-bit seed. Each story
 * and each republished copy derives its own generator from the seed and its
 * number, so a change in how one copy is edited does not shift the random
 * stream of every later document.
 */
#ifndef DEDUP_BENCH_GEN_H
#define DEDUP_BENCH_GEN_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ rng */

/* A counter-based generator: the state advances by an odd constant and the
 * output is the state pushed through a 64-bit avalanche finalizer. It is
 * fast, has period 2^64, and any seed (even 0) is fine. */
typedef struct {
    uint64_t s;
} gen_rng;

static inline uint64_t gen_mix(uint64_t z)
{
    z ^= z >> 31;
    z *= 0x7fb5d329728ea185ULL;
    z ^= z >> 27;
    z *= 0x81dadef4bc2dd44dULL;
    z ^= z >> 33;
    return z;
}

static inline uint64_t gen_next(gen_rng *r)
{
    r->s += 0x9e3779b97f4a7c15ULL;
    return gen_mix(r->s);
}

/* A generator for sub-stream `k` of `seed`: independent of the others. */
static inline gen_rng gen_fork(uint64_t seed, uint64_t k)
{
    gen_rng r;
    r.s = gen_mix(seed ^ gen_mix(k + 0x632be59bd9b4e019ULL));
    return r;
}

/* Uniform in [0, n) for n >= 1 (multiply-shift, bias below 2^-32). */
static inline uint32_t gen_below(gen_rng *r, uint32_t n)
{
    return (uint32_t)(((gen_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [0, 1). */
static inline double gen_unit(gen_rng *r)
{
    return (double)(gen_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* True with probability p. */
static inline int gen_chance(gen_rng *r, double p)
{
    return gen_unit(r) < p;
}

/* --------------------------------------------------------------- buffer */

typedef struct {
    char *p;
    size_t len, cap;
} gen_buf;

/* Make room for n more bytes; exits the program when memory runs out (the
 * generator is a tool, and a partial corpus would be worse than none). */
void gen_buf_reserve(gen_buf *b, size_t n);
void gen_buf_put(gen_buf *b, const char *s, size_t n);
void gen_buf_puts(gen_buf *b, const char *s);
void gen_buf_putc(gen_buf *b, char c);
void gen_buf_putu(gen_buf *b, uint64_t v);
void gen_buf_free(gen_buf *b);

/* ------------------------------------------------------- language packs */

typedef struct {
    const char *const *v;
    uint32_t n;
} gen_list;

#define GEN_LIST(a) {(a), (uint32_t)(sizeof(a) / sizeof((a)[0]))}

/*
 * One language: word lists from which names, places and organisations are
 * put together, and sentence templates.
 *
 * Template syntax: literal UTF-8 text, with
 *   {a|b|c}  one of the alternatives (no nesting; slots allowed inside);
 *   $X       a slot filled from the story's entities (see gen-story.c):
 *            P Q R people (full names), S surname of P, J job of P,
 *            H job of Q, O U organisations, C city, K region, T topic,
 *            N count, M money, F percent, D weekday, X Y quotes, A agency,
 *            Z a month-and-day date.
 * A double quote in a template is the neutral quote mark; the copy model
 * turns it into the site's quote style.
 */
typedef struct {
    const char *code;   /* "en", "ko", ... */
    const char *sep;    /* between words of a name: " " or "" */
    int spaced;         /* 1 when words are separated by spaces */
    /* names */
    gen_list given, given2, family, place_a, place_b, place_kind, region;
    gen_list org_a, org_b, org_kind, jobs, topic_a, topic_b, topic_kind;
    const char *name_fmt;     /* "GF" given-then-family or "FG" */
    /* text templates */
    gen_list headline, lead, body, quote, closer, insert, editor_note;
    gen_list quote_intro;     /* attributes the event quote $X */
    /* numbers: "%s" receives the digits */
    const char *count_fmt, *money_fmt_small, *money_fmt_large, *pct_fmt;
    gen_list weekdays, months;
    const char *date_fmt;     /* with %M month name and %D day */
    const char *day_fmt;      /* $D as a day of month ("%s日"), or NULL
                                 to use the weekday names */
    /* site boilerplate */
    gen_list site_a, site_b, sections, also_read, related_label, cookie,
        subscribe, weather, byline, footer, agencies;
    const char *dateline_fmt; /* %C city, %Z date, %A agency */
    const char *open_q, *close_q; /* curly quotes of the language */
} gen_lang;

extern const gen_lang gen_lang_en, gen_lang_ko, gen_lang_ja, gen_lang_zh;

/* ------------------------------------------------------------ rendering */

#define GEN_NSLOTS 26
#define GEN_SLOT_MAX 480

/* Slot values, indexed by letter ('A' -> 0). */
typedef struct {
    char s[GEN_NSLOTS][GEN_SLOT_MAX];
} gen_slots;

/* Append template `tpl` to `out`, choosing alternatives with `r` and
 * filling slots from `sl` (unset slots are empty). */
void gen_render(gen_buf *out, const char *tpl, const gen_slots *sl, gen_rng *r);
/* gen_render as a copy editor would reword it: some of the choices r
 * makes are drawn again from edit. */
void gen_render_edited(gen_buf *out, const char *tpl, const gen_slots *sl, gen_rng *r,
                       gen_rng *edit);

/* --------------------------------------------------------- story model */

/* CUTS: standard pages, but most copies keep only the story's first
 * paragraphs, an eighth to a half of it, as sites that run the top of a
 * wire story do. */
enum { GEN_KIND_STANDARD, GEN_KIND_BOILERPLATE, GEN_KIND_BRIEFS, GEN_KIND_CUTS };

/* One sentence of a story: a template and the seed of its choices, so a
 * copy can re-render it identically or reword it with another seed. */
typedef struct {
    const char *tpl;
    uint64_t choice;
} gen_sent;

#define GEN_MAX_SENT 48
#define GEN_MAX_PARA 32

typedef struct {
    const gen_lang *L;
    gen_slots sl;
    uint32_t story_no, event_no;
    uint32_t truth_story;   /* story label in the truth if not story_no (0) */
    long day;               /* days since 1970-01-01 of first publication */
    int minute;             /* minute of that day */
    /* generated stories */
    const char *headline_tpl;
    uint64_t headline_choice;
    gen_sent sent[GEN_MAX_SENT];
    int nsent;
    int para_start[GEN_MAX_PARA + 1]; /* sentence index; [npara] = nsent */
    int npara;
    /* stories taken from a base corpus (NULL otherwise) */
    const char *base_title, *base_text;
    size_t base_title_len, base_text_len;
} gen_story;

/* A news site: fixed name, quoting habits and boilerplate. */
typedef struct {
    const gen_lang *L;
    char name[96], city[96], staff[3][96];
    gen_buf nav, cookie, subscribe, footer;
    const char *also_label, *related_tpl, *weather_tpl, *byline_tpl;
    uint8_t curly, entities, blank_lines, title_in_text, has_nav,
        has_weather, has_byline, has_cookie, has_subscribe, has_footer,
        also_n, related_n, credit_style;
} gen_site;

typedef struct gen_world gen_world;

/* The state shared by all stories of one run: options, sites per
 * language and recent headlines (for "ALSO READ" and related lists). */
gen_world *gen_world_new(uint64_t seed, int kind);
void gen_world_free(gen_world *w);

/* Pick a site for language L, different from the `nexclude` site indices
 * in `exclude`; returns its index. */
int gen_world_pick_site(gen_world *w, const gen_lang *L, gen_rng *r,
                        const int *exclude, int nexclude);

/* Event `e`: fill `ev` with the entities of a new event in language L.
 * Stories of the event are then made with gen_story_make. */
void gen_event_make(gen_story *ev, const gen_lang *L, uint64_t seed, uint32_t e);

/* Story `j` of event `ev`: j = 0 is the first report; j > 0 is either an
 * independent report of the same event or a follow-up, as `followup`
 * says. `perm_seed` fixes the template order shared by the event. */
void gen_story_make(gen_story *st, const gen_story *ev, int j, int followup,
                    uint64_t perm_seed, gen_rng *r, int kind);

/* Render one document of story `st` on site `site` of `w`: title and text.
 * `copy` is 0 for the first publication (clean text) and 1 for a
 * republished copy (edited). Also remembers the headline for later
 * related-headline lists. */
void gen_doc_render(gen_world *w, const gen_story *st, int site, int copy,
                    gen_rng *r, gen_buf *title, gen_buf *text);

/* Name of site `i` of language L. */
const char *gen_world_site_name(const gen_world *w, const gen_lang *L, int i);

/* ISO 8601 date-time of day/minute into out (20 bytes + NUL). */
void gen_iso_date(char out[32], long day, int minute);

#endif
