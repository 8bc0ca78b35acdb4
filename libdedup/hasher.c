/*
 * hasher.c - the text pipeline's public face: a context that owns every
 * buffer the stages need (normalized text, tokens, shingle set, MinHash
 * scratch), so that after warming up no call allocates. One per thread.
 */
#include "hasher.h"

int dedup_hasher_create(dedup_hasher **out, const dedup_params *p)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    dedup_hasher *h = dedup__calloc(1, sizeof *h);
    if (!h)
        return DEDUP_E_NOMEM;
    if (p)
        h->params = *p;
    else
        dedup__params_defaults(&h->params);
    const int64_t *iv = h->params.ival;
    h->fingerprint = dedup__params_fingerprint(&h->params);
    h->seed = (uint64_t)iv[DEDUP_P_SEED];
    h->word_n = (unsigned)iv[DEDUP_P_SHINGLE_SIZE];
    h->char_n = (unsigned)iv[DEDUP_P_CHAR_SHINGLE_SIZE];
    h->hangul_n = (unsigned)iv[DEDUP_P_HANGUL_SHINGLE_SIZE];
    h->k = (uint32_t)iv[DEDUP_P_NUM_HASHES];
    h->link_lists = iv[DEDUP_P_LINK_LISTS] != 0;
    h->quotes = (int)iv[DEDUP_P_QUOTES];
    int flags = (int)iv[DEDUP_P_NORMALIZE];
    dedup__normalizer_init(&h->nz, flags);
    dedup__tokenizer_init(&h->tk, h->seed, (flags & DEDUP_NORM_CASEFOLD) != 0,
                          (int)iv[DEDUP_P_HANGUL_CHARS]);
    *out = h;
    return DEDUP_OK;
}

void dedup_hasher_free(dedup_hasher *h)
{
    if (!h)
        return;
    dedup__normalizer_release(&h->nz);
    dedup__tokenizer_release(&h->tk);
    dedup__shingler_release(&h->sh);
    dedup__free(h->mh_scratch);
    dedup__free(h->kept);
    dedup__free(h->lhash);
    dedup__free(h->unquoted);
    dedup__free(h);
}

int dedup_hasher_normalize(dedup_hasher *h, const char *text, size_t len, const char **out,
                           size_t *out_len)
{
    if (!h || !out || !out_len || (!text && len))
        return DEDUP_E_INVAL;
    int rc = dedup__normalize(&h->nz, (const unsigned char *)text, len);
    if (rc != DEDUP_OK)
        return rc;
    *out = (const char *)h->nz.out;
    *out_len = h->nz.out_len;
    return DEDUP_OK;
}

static int filter_lines(dedup_hasher *h, const char *text, size_t len, const char **out,
                        size_t *out_len);
static int strip_quotes(dedup_hasher *h, const char *text, size_t len, const char **out,
                        size_t *out_len);
static int prepare_tokens(dedup_hasher *h, const char *text, size_t len);

int dedup_hasher_tokenize(dedup_hasher *h, const char *text, size_t len, const char **norm,
                          size_t *norm_len, const dedup_token **tokens, size_t *ntokens)
{
    if (!h || !tokens || !ntokens || (!text && len))
        return DEDUP_E_INVAL;
    int rc = prepare_tokens(h, text, len);
    if (rc != DEDUP_OK)
        return rc;
    if (norm)
        *norm = (const char *)h->nz.out;
    if (norm_len)
        *norm_len = h->nz.out_len;
    *tokens = h->tk.tokens;
    *ntokens = h->tk.ntokens;
    return DEDUP_OK;
}

int dedup_hasher_set_linestats(dedup_hasher *h, const dedup_linestats *ls, uint32_t min_docs)
{
    if (!h || (ls && min_docs < 2))
        return DEDUP_E_INVAL;
    h->ls = ls;
    h->ls_min_docs = min_docs;
    return DEDUP_OK;
}

int dedup_hasher_set_site(dedup_hasher *h, const char *site, size_t len)
{
    if (!h || (!site && len))
        return DEDUP_E_INVAL;
    h->site = dedup__site_hash(site, len);
    return DEDUP_OK;
}

/* Length of the list bullet that starts line (after a byte order mark and
 * indentation), or 0. ASCII '-', '*' and '+' count when a space or a tab
 * follows; so do the dashes U+2013 and U+2014. The bullet U+2022 and U+2023, the middle dots U+00B7
 * and U+30FB and the geometric shapes U+25A0..U+25FF (■, ▶, ○, ●, △...)
 * count on their own: Korean, Japanese and Chinese sites set them without
 * a space. */
static size_t bullet_len(const unsigned char *p, size_t len)
{
    size_t i = len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF ? 3 : 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i + 1 < len && (p[i] == '-' || p[i] == '*' || p[i] == '+') &&
        (p[i + 1] == ' ' || p[i + 1] == '\t'))
        return i + 2;
    if (i + 1 < len && p[i] == 0xC2 && p[i + 1] == 0xB7)
        return i + 2;
    if (i + 2 < len && p[i] == 0xE2 && p[i + 1] == 0x80) {
        if (p[i + 2] == 0xA2 || p[i + 2] == 0xA3)
            return i + 3;
        if ((p[i + 2] == 0x93 || p[i + 2] == 0x94) && i + 3 < len &&
            (p[i + 3] == ' ' || p[i + 3] == '\t'))
            return i + 4;
        return 0;
    }
    if (i + 2 < len && p[i] == 0xE2 && (p[i + 1] == 0x96 || p[i + 1] == 0x97) &&
        !(p[i + 1] == 0x96 && p[i + 2] < 0xA0))
        return i + 3;
    if (i + 2 < len && p[i] == 0xE3 && p[i + 1] == 0x83 && p[i + 2] == 0xBB)
        return i + 3;
    return 0;
}

/* Whether the line ends like a sentence or a clause: . , ; : or their
 * full-width forms and 。 、, before any closing quotes, brackets and
 * spaces. ? and ! do not count: headlines end with them. */
static int ends_clause(const unsigned char *p, size_t len)
{
    /* Spaces, then closing quotes and brackets: a sentence may end in
     * ." or .) or 。」 */
    for (;;) {
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
            len--;
        if (len && (p[len - 1] == '"' || p[len - 1] == '\'' || p[len - 1] == ')'))
            len--;
        else if (len >= 3 && p[len - 3] == 0xE2 && p[len - 2] == 0x80 &&
                 (p[len - 1] == 0x99 || p[len - 1] == 0x9D))
            len -= 3; /* ’ ” */
        else if (len >= 3 && p[len - 3] == 0xE3 && p[len - 2] == 0x80 &&
                 (p[len - 1] == 0x8D || p[len - 1] == 0x8F))
            len -= 3; /* 」 』 */
        else if (len >= 3 && p[len - 3] == 0xEF && p[len - 2] == 0xBC && p[len - 1] == 0x89)
            len -= 3; /* ） */
        else
            break;
    }
    if (!len)
        return 0;
    unsigned char c = p[len - 1];
    if (c == '.' || c == ',' || c == ';' || c == ':')
        return 1;
    if (len >= 3 && p[len - 3] == 0xE3 && p[len - 2] == 0x80 && (c == 0x81 || c == 0x82))
        return 1; /* 、 。 */
    if (len >= 3 && p[len - 3] == 0xEF && p[len - 2] == 0xBC &&
        (c == 0x8C || c == 0x8E || c == 0x9A || c == 0x9B))
        return 1; /* ， ． ： ； */
    return 0;
}

/* Blank as dedup__line_hash sees it: nothing but a byte order mark,
 * spaces, tabs and carriage returns. */
static int is_blank(const unsigned char *p, size_t len)
{
    size_t i0 = len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF ? 3 : 0;
    for (size_t i = i0; i < len; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return 0;
    return 1;
}

/* An item of a list of links: a bulleted line of at most
 * DEDUP_BOILERPLATE_MAX_LINE bytes with text after the bullet that does
 * not end like a sentence (a headline, a link title). */
static int is_link_item(const unsigned char *p, size_t len)
{
    size_t b = bullet_len(p, len);
    return b && len <= DEDUP_BOILERPLATE_MAX_LINE && !is_blank(p + b, len - b) &&
           !ends_clause(p + b, len - b);
}

/* The line above a list that can be its heading ("Most read", "関連記事"):
 * short and not the end of a sentence. */
#define LIST_HEADING_MAX 100

/* The hash of each line of text (0 for a line too long to count) into
 * h->lhash, what the line statistics will read of each requested from
 * memory on the way: the lookups that follow then find it in cache,
 * instead of waiting for one line's miss after another. */
static int line_hashes(dedup_hasher *h, const char *text, size_t len)
{
    size_t n = 0;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t line_len = (size_t)((nl ? nl : end) - p);
        if (n == h->lhash_cap) {
            void *b = h->lhash;
            if (dedup__grow(&b, &h->lhash_cap, n + 1, sizeof *h->lhash) != DEDUP_OK)
                return DEDUP_E_NOMEM;
            h->lhash = b;
        }
        uint64_t lh = line_len <= DEDUP_BOILERPLATE_MAX_LINE ? dedup__line_hash(p, line_len) : 0;
        if (lh) {
            dedup__linestats_prefetch_top(h->ls, lh);
            if (h->site)
                dedup__linestats_prefetch_top(h->ls, dedup__site_key(lh, h->site));
        }
        h->lhash[n++] = lh;
        p = nl ? nl + 1 : end;
    }
    return DEDUP_OK;
}

/* Whether the line u[0..len) (hash lh, not 0) is furniture of the site
 * set: a short line counted under it on DEDUP_SITE_FURNITURE_DOCS pages,
 * or on DEDUP_SITE_FURNITURE_SHORT when it does not end like a sentence.
 * Menus, headlines, bylines and credit lines are short, and only the
 * first are sentences. A story a site runs twice (a correction, a second
 * section) shares its sentences on two pages and keeps them, and a site
 * that runs several versions of one story keeps its paragraphs, even one
 * that ends in an agency's credit instead of a full stop. */
static int site_furniture(const dedup_hasher *h, const unsigned char *u, size_t len, uint64_t lh)
{
    if (len > DEDUP_SITE_SHORT_LINE)
        return 0;
    uint64_t k = dedup__site_key(lh, h->site);
    if (!dedup__linestats_at_least(h->ls, k, DEDUP_SITE_FURNITURE_SHORT))
        return 0;
    return !ends_clause(u, len) || dedup__linestats_at_least(h->ls, k, DEDUP_SITE_FURNITURE_DOCS);
}

/*
 * Copy into h->kept the lines of text to shingle, leaving out
 *   - boilerplate: lines of at most DEDUP_BOILERPLATE_MAX_LINE bytes found
 *     in at least ls_min_docs documents, when line statistics are set, and
 *     the furniture of the site set (site_furniture);
 *   - lists of links, when DEDUP_P_LINK_LISTS is on: runs of two or more
 *     link items (blank and boilerplate lines between them allowed), with
 *     the line heading the run when it is short and does not end like a
 *     sentence.
 * Sets *out to the text to shingle: the kept lines, or the whole text when
 * nothing or everything was dropped.
 */
static int filter_lines(dedup_hasher *h, const char *text, size_t len, const char **out,
                        size_t *out_len)
{
    *out = text;
    *out_len = len;
    h->lines_dropped = 0;
    if ((!h->ls && !h->link_lists) || len == 0)
        return DEDUP_OK;
    if (!h->ls) {
        /* Most texts have fewer than two bulleted lines, so no list: keep
         * them as they are without copying. */
        const char *q = text, *qend = text + len;
        int bulleted = 0;
        while (q < qend && bulleted < 2) {
            const char *nl = memchr(q, '\n', (size_t)(qend - q));
            size_t ll = (size_t)((nl ? nl : qend) - q);
            bulleted += bullet_len((const unsigned char *)q, ll) != 0;
            q = nl ? nl + 1 : qend;
        }
        if (bulleted < 2)
            return DEDUP_OK;
    }
    void *b = h->kept;
    if (dedup__grow(&b, &h->kept_cap, len, 1) != DEDUP_OK)
        return DEDUP_E_NOMEM;
    h->kept = b;
    size_t n = 0, kept_lines = 0, dropped = 0;
    /* The list being read: items so far, and where the output and the
     * count of kept lines go back to if it turns out to be a list. */
    size_t items = 0, cut = 0, cut_kept = 0;
    /* The last non-blank line kept, as a possible list heading. */
    int head_ok = 0;
    size_t head_at = 0, head_kept = 0;
    const char *p = text, *end = text + len;
    if (h->ls && line_hashes(h, text, len) != DEDUP_OK)
        return DEDUP_E_NOMEM;
    size_t li = 0; /* the line's place in h->lhash */
    for (;;) {
        const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        const char *e = nl ? nl + 1 : end;
        size_t line_len = (size_t)((nl ? nl : end) - p);
        const unsigned char *u = (const unsigned char *)p;
        int blank = p >= end || is_blank(u, line_len);
        int item = p < end && h->link_lists && !blank && is_link_item(u, line_len);
        uint64_t lh = h->ls && p < end ? h->lhash[li++] : 0;
        int boiler = !blank && lh &&
                     (dedup__linestats_at_least(h->ls, lh, h->ls_min_docs) ||
                      (h->site && site_furniture(h, u, line_len, lh)));
        /* Blank and boilerplate lines ("Advertisement") between items do
         * not end a list. */
        if (items && ((!item && !blank && !boiler) || p >= end)) {
            if (items >= 2) {
                dropped += kept_lines - cut_kept;
                kept_lines = cut_kept;
                n = cut;
                head_ok = 0;
            }
            items = 0;
        }
        if (p >= end)
            break;
        if (item && !items) {
            cut = head_ok ? head_at : n;
            cut_kept = head_ok ? head_kept : kept_lines;
        }
        items += item;
        if (boiler) {
            dropped++;
            head_ok = 0;
        } else {
            if (!blank) {
                head_ok = h->link_lists && line_len <= LIST_HEADING_MAX &&
                          !ends_clause(u, line_len);
                head_at = n;
                head_kept = kept_lines;
                kept_lines++;
            }
            memcpy(h->kept + n, p, (size_t)(e - p));
            n += (size_t)(e - p);
        }
        p = e;
    }
    h->lines_dropped = dropped;
    if (dropped && kept_lines) {
        *out = h->kept;
        *out_len = n;
    }
    return DEDUP_OK;
}

/* Quotation marks (DEDUP_P_QUOTES). Each mark belongs to a family; a
 * quotation is an opening mark and the next mark on the same line that
 * closes its family, so that marks of another family inside it ("a word"
 * within “ ”) do not end it. Guillemets go both ways: « » in French,
 * » « in German, » » in Swedish; a quotation opened by « closes with »,
 * one opened by » with « or ». */
enum {
    QF_STRAIGHT = 1,
    QF_CURLY,
    QF_GUILLEMET,
    QF_GUILLEMET_REV,
    QF_CORNER,
    QF_WHITE_CORNER,
    QF_SINGLE /* ‘ ’, and ' ' (rule 2) */
};
enum { Q_NONE = 0, Q_CLOSES = 1, Q_OPENS = 2 };

/* What the quotation mark at p (left bytes) does while family open (0:
 * none) is open: Q_CLOSES it, Q_OPENS family *fam, or Q_NONE (not a
 * mark, or a mark that neither closes the open quotation nor can open one
 * inside it). *mlen receives the mark's length. */
static int quote_mark(const unsigned char *p, size_t left, int open, size_t *mlen, int *fam)
{
    int opens = 0, closes = 0; /* the family it opens; the families it closes */
    *mlen = 0;
    if (p[0] == '"') {
        *mlen = 1;
        opens = QF_STRAIGHT;
        closes = 1 << QF_STRAIGHT;
    } else if (left >= 2 && p[0] == 0xC2 && p[1] == 0xAB) { /* « */
        *mlen = 2;
        opens = QF_GUILLEMET;
        closes = 1 << QF_GUILLEMET_REV;
    } else if (left >= 2 && p[0] == 0xC2 && p[1] == 0xBB) { /* » */
        *mlen = 2;
        opens = QF_GUILLEMET_REV;
        closes = 1 << QF_GUILLEMET | 1 << QF_GUILLEMET_REV;
    } else if (left >= 3 && p[0] == 0xE2 && p[1] == 0x80) {
        *mlen = 3;
        switch (p[2]) {
        case 0x9C: opens = QF_CURLY; closes = 1 << QF_CURLY; break; /* “ (closes „ “) */
        case 0x9D: closes = 1 << QF_CURLY; break;                   /* ” */
        case 0x9E: case 0x9F: opens = QF_CURLY; break;              /* „ ‟ */
        case 0xB3: opens = QF_STRAIGHT; closes = 1 << QF_STRAIGHT; break; /* ″ */
        default: *mlen = 0; return Q_NONE;
        }
    } else if (left >= 3 && p[0] == 0xE3 && p[1] == 0x80) {
        *mlen = 3;
        switch (p[2]) {
        case 0x8C: opens = QF_CORNER; break;               /* 「 */
        case 0x8D: closes = 1 << QF_CORNER; break;         /* 」 */
        case 0x8E: opens = QF_WHITE_CORNER; break;         /* 『 */
        case 0x8F: closes = 1 << QF_WHITE_CORNER; break;   /* 』 */
        case 0x9D: opens = QF_CURLY; break;                /* 〝 */
        case 0x9E: case 0x9F: closes = 1 << QF_CURLY; break; /* 〞 〟 */
        default: *mlen = 0; return Q_NONE;
        }
    } else if (left >= 3 && p[0] == 0xEF && p[1] == 0xBC && p[2] == 0x82) {
        *mlen = 3; /* ＂ */
        opens = QF_STRAIGHT;
        closes = 1 << QF_STRAIGHT;
    } else if (left >= 3 && p[0] == 0xEF && p[1] == 0xBD && (p[2] == 0xA2 || p[2] == 0xA3)) {
        *mlen = 3; /* ｢ ｣ */
        if (p[2] == 0xA2)
            opens = QF_CORNER;
        else
            closes = 1 << QF_CORNER;
    } else {
        return Q_NONE;
    }
    if (open)
        return closes & (1 << open) ? Q_CLOSES : Q_NONE;
    if (!opens)
        return Q_NONE;
    *fam = opens;
    return Q_OPENS;
}

/* Whether byte c can start a quotation mark. */
static inline int quote_lead(unsigned char c)
{
    return c == '"' || c == '\'' || c == 0xC2 || c == 0xE2 || c == 0xE3 || c == 0xEF;
}

/* Whether the eight bytes at p may hold part of a quotation mark or a line
 * break: '\n', '"', 0xC2 and 0xEF (leads of the two- and three-byte marks
 * beginning so), or 0x80 (the second byte of every mark beginning 0xE2 or
 * 0xE3, leads too common in CJK text to stop at). A zero byte of w ^ c
 * marks a byte c. */
#if !defined(__GNUC__)
static inline int quote_word(const unsigned char *p)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t w, m = 0;
    memcpy(&w, p, 8);
    static const unsigned char probe[] = {'\n', '"', '\'', 0xC2, 0xEF, 0x80};
    for (size_t k = 0; k < sizeof probe; k++) {
        uint64_t x = w ^ (ones * probe[k]);
        m |= (x - ones) & ~x;
    }
    return (m & high) != 0;
}
#endif

#if defined(__GNUC__)
typedef unsigned char q16 __attribute__((vector_size(16)));

/* The first of the 16 bytes at p (18 readable) where a line break or a
 * quotation mark may start, or 16 if none: '\n', '"', 0xC2 (the lead of
 * « and »), or the three bytes of the other marks, E2/E3 80 then 8C-8F,
 * 9C-9F or B3, and EF BC/BD then 82 or A2-A3 (a few more triples than
 * there are marks). Lead
 * bytes alone will not do: 0xE3 begins every kana, E3 80 begins 、 and 。,
 * EF BC a full-width letter, all too common in CJK text to stop at. The
 * vectors are 16 bytes of the compiler's: SSE2 or NEON, or plain code. */
static inline unsigned quote_block(const unsigned char *p)
{
    q16 a, b, c;
    memcpy(&a, p, 16);
    memcpy(&b, p + 1, 16);
    memcpy(&c, p + 2, 16);
    q16 m = (q16)(a == '\n') | (q16)(a == '"') | (q16)(a == '\'') | (q16)(a == 0xC2);
    m |= (q16)((a & 0xFE) == 0xE2) & (q16)(b == 0x80) &
         ((q16)((c & 0xEC) == 0x8C) | (q16)((c & 0xFE) == 0x98) | (q16)(c == 0xB3));
    m |= (q16)(a == 0xEF) & (q16)((b & 0xFE) == 0xBC) &
         ((q16)(c == 0x82) | (q16)((c & 0xFE) == 0xA2));
    uint64_t h[2];
    memcpy(h, &m, 16);
    /* The first byte where one may start, or 16. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    if (h[0])
        return (unsigned)__builtin_clzll(h[0]) >> 3;
    if (h[1])
        return 8 + ((unsigned)__builtin_clzll(h[1]) >> 3);
#else
    if (h[0])
        return (unsigned)__builtin_ctzll(h[0]) >> 3;
    if (h[1])
        return 8 + ((unsigned)__builtin_ctzll(h[1]) >> 3);
#endif
    return 16;
}
#endif

/* Whether c is an ASCII letter or digit. */
static inline int ascii_alnum(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26 || (unsigned char)(c - '0') < 10;
}

/* Whether the character ending just before t[i] is a letter or digit:
 * ASCII, or a letter of an alphabet written with two-byte sequences
 * (Latin, Greek, Cyrillic and the like), or of Chinese, Japanese or
 * Korean. Punctuation before a mark (a dash, a full-width colon) is not. */
static int letter_before(const unsigned char *t, size_t i)
{
    if (i == 0)
        return 0;
    unsigned char c = t[i - 1];
    if (c < 0x80)
        return ascii_alnum(c);
    size_t j = i - 1;
    while (j > 0 && i - j < 4 && (t[j] & 0xC0) == 0x80)
        j--;
    unsigned char lead = t[j];
    if (lead >= 0xC3 && lead < 0xE0)
        return 1;
    if (lead == 0xE2 || lead == 0xEF || lead < 0xC0)
        return 0; /* punctuation, symbols, full-width forms; stray bytes */
    return !(lead == 0xE3 && i - j >= 2 && t[j + 1] == 0x80); /* 、。「 */
}

/* A single quotation mark at t[i] under rule 2: ‘ (E2 80 98), ’ (E2 80
 * 99) or '. An apostrophe looks the same, so a mark opens only where a
 * quotation can begin: after anything but a letter or digit (‘ anywhere),
 * and before a character that is neither a space nor a digit (’90s and
 * '90s are years). It closes where a quotation can end: before anything
 * but a letter or digit of an alphabet; a Korean particle or a Chinese
 * character may follow (‘다누리’가), an elided French or Italian word may
 * not (‘C’était). Q_OPENS, Q_CLOSES (when the single family is open) or
 * Q_NONE; *mlen the mark's length. */
static int single_mark(const unsigned char *t, size_t len, size_t i, int open, size_t *mlen)
{
    int curly_open = 0;
    if (t[i] == '\'') {
        *mlen = 1;
    } else if (len - i >= 3 && t[i] == 0xE2 && t[i + 1] == 0x80 &&
               (t[i + 2] == 0x98 || t[i + 2] == 0x99)) {
        *mlen = 3;
        curly_open = t[i + 2] == 0x98;
    } else {
        *mlen = 0;
        return Q_NONE;
    }
    size_t after = i + *mlen;
    unsigned char next = after < len ? t[after] : ' ';
    if (open == QF_SINGLE)
        return !curly_open && !ascii_alnum(next) && !(next >= 0xC3 && next < 0xE0) ? Q_CLOSES
                                                                                : Q_NONE;
    if (open)
        return Q_NONE;
    if (next == ' ' || next == '\n' || next == '\t' || next == '\r' ||
        (unsigned char)(next - '0') < 10)
        return Q_NONE;
    if (!curly_open && letter_before(t, i))
        return Q_NONE;
    return Q_OPENS;
}

/* Whether the words between quotation marks, t[0..n), make a statement
 * (rule 2): at least four words, a character of Chinese, Japanese or
 * Korean counting half a word. A word is a run between spaces holding a
 * letter or digit, so that "don't", "state-of-the-art" and "1,000,000"
 * are one each, and punctuation (… — 、 。) is none. A shorter quotation
 * holds no shingle of its own: it is a name, a title or a word set apart,
 * which copies quote or leave unquoted as they like, not a statement that
 * independent reports share. */
static int holds_statement(const unsigned char *t, size_t n)
{
    unsigned halves = 0;
    int in_word = 0;
    size_t i = 0;
    while (i < n && halves < 8) {
        unsigned char c = t[i];
        size_t used = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (used > n - i)
            break;
        int space = c == ' ' || c == '\t' || (c == 0xC2 && t[i + 1] == 0xA0) ||
                    (c == 0xE2 && t[i + 1] == 0x80 && (t[i + 2] == 0xAF || t[i + 2] < 0x8C)) ||
                    (c == 0xE3 && t[i + 1] == 0x80 && t[i + 2] == 0x80);
        /* Han, kana (not the CJK punctuation of E3 80) and Hangul
         * syllables: U+3040-U+9FFF and U+AC00-U+D7A3. */
        int wide = used == 3 && ((c == 0xE3 && t[i + 1] >= 0x81) || (c >= 0xE4 && c <= 0xE9) ||
                                 (c == 0xEA && t[i + 1] >= 0xB0) || c == 0xEB || c == 0xEC ||
                                 (c == 0xED && t[i + 1] < 0x9F));
        int letter = c < 0x80 ? ascii_alnum(c)
                              : (used == 2 && c >= 0xC3) || (used == 3 && c != 0xE2 && c != 0xE3 &&
                                                              c != 0xEF) ||
                                    used == 4;
        if (space) {
            in_word = 0;
        } else if (wide) {
            halves++;
            in_word = 0;
        } else if (letter && !in_word) {
            halves += 2;
            in_word = 1;
        }
        i += used;
    }
    return halves >= 8;
}

/* The next quotation of t (len bytes) at or after *pos under rule (the
 * value of DEDUP_P_QUOTES, 1 or 2): its bytes [*start, *end), marks
 * included; *pos moves past it. 0 when there is none left. Rule 1 takes
 * every quotation between double marks; rule 2 takes single marks too
 * (single_mark) and only quotations that hold a statement
 * (holds_statement). Every byte where a line break or a mark may start is
 * looked at; the rest are skipped, by blocks (quote_block, which also
 * says where in the block the next such byte is) or words (quote_word)
 * known to hold none. A word's test cannot see a mark's later
 * bytes, so the byte before the next word is looked at again, as it may be
 * the lead of a mark whose second byte starts that word. */
static int next_quotation(const unsigned char *t, size_t len, int rule, size_t *pos,
                          size_t *start, size_t *end, int bytewise)
{
    int fam = 0;         /* family of the open quotation, or 0 */
    size_t open_at = 0;  /* where it opened */
    size_t open_end = 0; /* past its opening mark */
    size_t i = *pos, stop = bytewise ? len : *pos; /* bytewise: tests */
    while (i < len) {
        if (i >= stop) {
#if defined(__GNUC__)
            /* Straight to the next byte where a mark or a line break may
             * start; the bytes between cannot change the state. */
            unsigned k = 16;
            while (len - i >= 18 && (k = quote_block(t + i)) == 16)
                i += 16;
            if (len - i >= 18) {
                i += k;
                stop = i + 1;
            } else {
                stop = len;
            }
#else
            size_t from = i;
            while (len - i > 8 && !quote_word(t + i))
                i += 8;
            if (i > from)
                i--; /* the last byte skipped, a lead perhaps */
            stop = i + 9 < len ? i + 9 : len;
#endif
        }
        unsigned char c = t[i];
        if (c == '\n') {
            fam = 0; /* a mark left open at the end of a line opened nothing */
            i++;
            continue;
        }
        if (!quote_lead(c)) {
            i++;
            continue;
        }
        size_t ml = 0;
        int f = QF_SINGLE, what = Q_NONE;
        if (rule >= 2)
            what = single_mark(t, len, i, fam, &ml);
        if (!ml && c != '\'') {
            /* Double marks come first: a single mark taken for an opening
             * one (an apostrophe after all) hides no quotation. */
            what = quote_mark(t + i, len - i, fam == QF_SINGLE ? 0 : fam, &ml, &f);
        }
        if (what == Q_CLOSES) {
            if (rule < 2 || holds_statement(t + open_end, i - open_end)) {
                *start = open_at;
                *end = *pos = i + ml;
                return 1;
            }
            fam = 0; /* a name or a term in quotation marks: text */
        } else if (what == Q_OPENS) {
            fam = f;
            open_at = i;
            open_end = i + ml;
        }
        i += ml ? ml : 1;
    }
    *pos = len;
    return 0;
}

int dedup__find_quotations_how(const char *text, size_t len, int rule, int bytewise,
                               dedup_span *spans, size_t cap, size_t *n)
{
    size_t pos = 0, qs, qe, k = 0;
    while (text && rule &&
           next_quotation((const unsigned char *)text, len, rule, &pos, &qs, &qe, bytewise)) {
        if (k < cap) {
            spans[k].offset = qs;
            spans[k].length = qe - qs;
        }
        k++;
    }
    *n = k;
    return DEDUP_OK;
}

int dedup__find_quotations(const char *text, size_t len, int rule, dedup_span *spans,
                           size_t cap, size_t *n)
{
    return dedup__find_quotations_how(text, len, rule, 0, spans, cap, n);
}

int dedup_find_quotations(const char *text, size_t len, dedup_span *spans, size_t cap,
                          size_t *n)
{
    if (!n || (!text && len) || (!spans && cap))
        return DEDUP_E_INVAL;
    return dedup__find_quotations(text, len, DEDUP__QUOTES_DEFAULT, spans, cap, n);
}

/*
 * Copy text into h->unquoted with every quotation (DEDUP_P_QUOTES) made a
 * single space. Sets *out to the copy, or to text itself when it has no
 * quotation or when its quotations make up more than three quarters of
 * it.
 */
static int strip_quotes(dedup_hasher *h, const char *text, size_t len, const char **out,
                        size_t *out_len)
{
    *out = text;
    *out_len = len;
    h->quotes_stripped = 0;
    if (!h->quotes || len == 0)
        return DEDUP_OK;
    const unsigned char *t = (const unsigned char *)text;
    unsigned char *o = NULL; /* the copy, once a quotation is found */
    size_t n = 0, from = 0; /* bytes of text before from are decided */
    size_t pos = 0, qs, qe;
    while (next_quotation(t, len, h->quotes, &pos, &qs, &qe, 0)) {
        if (!o) {
            void *b = h->unquoted;
            if (dedup__grow(&b, &h->unquoted_cap, len, 1) != DEDUP_OK)
                return DEDUP_E_NOMEM;
            h->unquoted = b;
            o = (unsigned char *)h->unquoted;
        }
        memcpy(o + n, t + from, qs - from);
        n += qs - from;
        o[n++] = ' ';
        from = qe;
    }
    if (from == 0)
        return DEDUP_OK;
    memcpy(o + n, t + from, len - from);
    n += len - from;
    if (n * 4 < len)
        return DEDUP_OK; /* mostly quotation: a statement, kept whole */
    *out = h->unquoted;
    *out_len = n;
    h->quotes_stripped = 1;
    return DEDUP_OK;
}

/* The stages up to tokens: lines and quotations left out, normalization,
 * tokenization; then what was compared and which shingle size applies.
 * Text mostly in scripts without spaces takes the character n-gram size;
 * everything else the word size and the members of its numbers
 * (shingle.c). Character n-grams go without: on the generated
 * multilingual corpus, numbers there doubled the share of different
 * stories on one event that were merged (0.21% to 0.52%). */
static int prepare_tokens(dedup_hasher *h, const char *text, size_t len)
{
    h->compared = NULL;
    h->compared_len = 0;
    int rc = filter_lines(h, text, len, &text, &len);
    if (rc == DEDUP_OK)
        rc = strip_quotes(h, text, len, &text, &len);
    if (rc == DEDUP_OK)
        rc = dedup__normalize(&h->nz, (const unsigned char *)text, len);
    if (rc == DEDUP_OK)
        rc = dedup__tokenize(&h->tk, h->nz.out, h->nz.out_len);
    if (rc != DEDUP_OK)
        return rc;
    h->compared = text;
    h->compared_len = len;
    h->chars = h->tk.nchar_tokens * 2 > h->tk.ntokens;
    /* Text shingled by characters is mostly Hangul or mostly Han and Kana;
     * Hangul takes its own size (DEDUP_P_HANGUL_SHINGLE_SIZE). */
    h->n = !h->chars                                    ? h->word_n
           : h->tk.nhangul_tokens * 2 > h->tk.nchar_tokens ? h->hangul_n
                                                           : h->char_n;
    return DEDUP_OK;
}

int dedup__hasher_shingle(dedup_hasher *h, const char *text, size_t len)
{
    int rc = prepare_tokens(h, text, len);
    if (rc != DEDUP_OK)
        return rc;
    return dedup__shingle(&h->sh, h->tk.tokens, h->tk.ntokens, h->n, h->tk.numbers,
                          h->chars ? 0 : h->tk.nnumbers);
}

int dedup_hasher_shingles(dedup_hasher *h, const char *text, size_t len, const uint64_t **out,
                          size_t *n)
{
    if (!h || !out || !n || (!text && len))
        return DEDUP_E_INVAL;
    int rc = dedup__hasher_shingle(h, text, len);
    if (rc != DEDUP_OK)
        return rc;
    *out = h->sh.set;
    *n = h->sh.nset;
    return DEDUP_OK;
}

size_t dedup_hasher_replaced(const dedup_hasher *h)
{
    return h ? h->nz.replaced : 0;
}

int dedup_hasher_compared(const dedup_hasher *h, const char **text, size_t *len,
                          unsigned *shingle_size)
{
    if (!h || !text || !len)
        return DEDUP_E_INVAL;
    *text = h->compared ? h->compared : "";
    *len = h->compared ? h->compared_len : 0;
    if (shingle_size)
        *shingle_size = h->n;
    return DEDUP_OK;
}

/* Sign a set known to hold n distinct shingles; chars: they are shingles
 * of characters. */
static int sign_set(dedup_hasher *h, const uint64_t *set, size_t n, int chars,
                    dedup_signature *sig)
{
    if (n == 0) {
        dedup__signature_clear(sig);
        return DEDUP_OK;
    }
    int rc = dedup__minhash(set, n, h->k, h->seed, sig->values, &h->mh_scratch,
                            &h->mh_scratch_cap);
    if (rc == DEDUP_OK)
        rc = dedup__signature_fill_lead(sig, set, n, h->seed, &h->mh_scratch,
                                        &h->mh_scratch_cap);
    if (rc != DEDUP_OK) {
        dedup__signature_clear(sig);
        return rc;
    }
    sig->set_size = n;
    sig->chars = (uint32_t)chars;
    return DEDUP_OK;
}

int dedup_hasher_sign_shingles(dedup_hasher *h, const uint64_t *shingles, size_t n,
                               dedup_signature *sig)
{
    if (!h || !sig || (!shingles && n))
        return DEDUP_E_INVAL;
    if (sig->fingerprint != h->fingerprint || sig->k != h->k)
        return DEDUP_E_MISMATCH;
    /* Caller-given arrays may repeat shingles: they count once, both in
     * the values (a minimum is a minimum) and in the set size, which the
     * containment estimate needs exact. */
    if (h->sh.set && shingles >= h->sh.set && shingles < h->sh.set + h->sh.set_cap)
        return sign_set(h, shingles, n, h->chars, sig); /* our own set: distinct */
    int rc = dedup__shingle_distinct(&h->sh, shingles, n);
    if (rc != DEDUP_OK) {
        dedup__signature_clear(sig);
        return rc;
    }
    return sign_set(h, h->sh.set, h->sh.nset, 0, sig);
}

int dedup_hasher_sign(dedup_hasher *h, const char *text, size_t len, dedup_signature *sig)
{
    if (!h || !sig || (!text && len))
        return DEDUP_E_INVAL;
    if (sig->fingerprint != h->fingerprint || sig->k != h->k)
        return DEDUP_E_MISMATCH;
    int rc = dedup__hasher_shingle(h, text, len);
    if (rc != DEDUP_OK)
        return rc;
    return sign_set(h, h->sh.set, h->sh.nset, h->chars, sig);
}

int dedup_similarity(const dedup_params *p, const char *a, size_t alen, const char *b,
                     size_t blen, double *out)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = 0.0;
    dedup_params defaults;
    if (!p) {
        dedup__params_defaults(&defaults);
        p = &defaults;
    }
    dedup_hasher *h = NULL;
    dedup_signature *sa = NULL, *sb = NULL;
    int rc = dedup_hasher_create(&h, p);
    if (rc == DEDUP_OK)
        rc = dedup_signature_create(&sa, p);
    if (rc == DEDUP_OK)
        rc = dedup_signature_create(&sb, p);
    if (rc == DEDUP_OK)
        rc = dedup_hasher_sign(h, a, alen, sa);
    if (rc == DEDUP_OK)
        rc = dedup_hasher_sign(h, b, blen, sb);
    if (rc == DEDUP_OK)
        *out = dedup__signature_similarity(sa, sb, (dedup_measure)p->ival[DEDUP_P_MEASURE],
                                           (double)p->ival[DEDUP_P_MIN_SHARED]);
    dedup_signature_free(sa);
    dedup_signature_free(sb);
    dedup_hasher_free(h);
    return rc;
}
