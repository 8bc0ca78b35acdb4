/*
 * normalize.c - Unicode normalization of article text.
 *
 * The rules (NFKC, case folding, default-ignorables and control characters
 * removed, typographic variants lumped, optional mark stripping, optional
 * traditional-to-simplified folding, runs of spaces collapsed) are those of
 * utf8proc with the options and custom mappings in normalize_rules.h,
 * followed by the folding table and the space collapsing done here.
 * Running utf8proc over a whole article is slow (tens of MB/s), so:
 *
 *   - ASCII runs take a tight loop driven by a 128-byte table;
 *   - other BMP code points are looked up in build-time tables
 *     (gen-tables.c) that say whether the code point is stable (maps to
 *     itself in every context), maps to a fixed string whatever its
 *     neighbours, or is "slow";
 *   - only slow code points go through utf8proc, in a span that starts at
 *     the code point before them (the starter a combining mark may compose
 *     with) and runs until the next code point that is not slow.
 *
 * Every fast character looks one code point ahead, so that the character
 * before a slow one is never emitted on its own. Context-free characters
 * are never composition partners from the left and start their images with
 * such characters, so splitting the text at them cannot change the result
 * of composition or canonical reordering: the fast path gives byte-identical
 * output to utf8proc over the whole text (dedup__normalize_reference), which
 * the property tests check on random and mixed inputs.
 *
 * Ill-formed UTF-8 is replaced by U+FFFD before anything else (utf8.h).
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>

#include "normalize.h"
#include "normalize_rules.h"
#include "utf8.h"

#include "hant_table.h"
#include "normtab.h"

enum { NT_STABLE = 0, NT_SLOW = 1 };

/* Byte order of the eight-byte loop: the arithmetic assumes the first
 * byte in the lowest bits. */
static inline uint64_t le64(uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap64(w);
#else
    return w;
#endif
}

void dedup__normalizer_init(dedup_normalizer *nz, int flags)
{
    memset(nz, 0, sizeof *nz);
    nz->flags = flags;
    int casefold = (flags & DEDUP_NORM_CASEFOLD) != 0;
    int strip = (flags & DEDUP_NORM_STRIP_MARKS) != 0;
    nz->mode = casefold | strip << 1;
    nz->opt = dedup__norm_options(casefold, strip);
    /* Printable ASCII and the whitespace characters are context-free: they
     * map to themselves (letters possibly lowercased) or to a space. Other
     * control characters vanish, and a vanishing character lets its
     * neighbours compose, so they take the general path. */
    for (int c = 0; c < 128; c++) {
        unsigned char m = 0;
        if (c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == ' ')
            m = ' ';
        else if (c > 0x20 && c < 0x7F)
            m = (unsigned char)((casefold && c >= 'A' && c <= 'Z') ? c + 32 : c);
        nz->amap[c] = m;
    }
}

void dedup__normalizer_release(dedup_normalizer *nz)
{
    dedup__free(nz->out);
    dedup__free(nz->span);
    dedup__free(nz->cps);
    nz->out = nz->span = NULL;
    nz->cps = NULL;
    nz->out_cap = nz->span_cap = nz->cps_cap = 0;
}

/* ------------------------------------------------------------- helpers */

static inline int32_t hant_fold(int32_t cp)
{
    if (cp < 0x3400 || cp >= DEDUP_HANT_LIMIT)
        return cp;
    uint32_t t = dedup_hant_blocks[dedup_hant_stage1[cp >> 8]][cp & 0xFF];
    return t ? (int32_t)t : cp;
}

/* Class of a BMP code point >= 0x80 in the current mode. */
static inline unsigned nt_class(const dedup_normalizer *nz, int32_t cp)
{
    return dedup_nt_blocks[dedup_nt_stage1[nz->mode][cp >> 8]][cp & 0xFF];
}

/* For each mode and folding setting, a bit per BMP code point: set when
 * the code point is stable and not folded, so that it is copied as it is.
 * One load from 8 KB where the tables take two dependent loads each; most
 * of a Chinese or Japanese text is such characters. Built once per
 * process from the tables themselves. */
static uint8_t plain_bits[2 * 4][0x10000 / 8];
static pthread_once_t plain_once = PTHREAD_ONCE_INIT;

static void plain_build(void)
{
    for (int mode = 0; mode < 4; mode++)
        for (int fold = 0; fold < 2; fold++) {
            uint8_t *b = plain_bits[mode * 2 + fold];
            for (int32_t cp = 0x80; cp < 0x10000; cp++) {
                if (cp >= 0xD800 && cp < 0xE000)
                    continue;
                if (dedup_nt_blocks[dedup_nt_stage1[mode][cp >> 8]][cp & 0xFF] != NT_STABLE)
                    continue;
                if (fold && cp >= 0x3400 && hant_fold(cp) != cp)
                    continue;
                b[cp >> 3] |= (uint8_t)(1u << (cp & 7));
            }
        }
}

static inline int plain(const uint8_t *bits, int32_t cp)
{
    return (bits[(uint32_t)cp >> 3] >> (cp & 7)) & 1;
}

static inline int ensure_out(dedup_normalizer *nz, size_t extra)
{
    if (DEDUP_LIKELY(nz->out_len + extra <= nz->out_cap))
        return DEDUP_OK;
    void *b = nz->out;
    int rc = dedup__grow(&b, &nz->out_cap, nz->out_len + extra, 1);
    nz->out = b;
    return rc;
}

/* Emit one code point (already normalized) with folding and space
 * collapsing. Capacity for 4 bytes must be ensured by the caller. */
static inline void emit_cp(dedup_normalizer *nz, int32_t cp, int *prev_space)
{
    if (cp == ' ') {
        if (!*prev_space)
            nz->out[nz->out_len++] = ' ';
        *prev_space = 1;
        return;
    }
    if (nz->flags & DEDUP_NORM_HANT_TO_HANS)
        cp = hant_fold(cp);
    nz->out_len += dedup__utf8_encode(nz->out + nz->out_len, cp);
    *prev_space = 0;
}

/* Emit a UTF-8 string known to be well-formed (a table entry). */
static int emit_str(dedup_normalizer *nz, const unsigned char *s, size_t len, int *prev_space)
{
    if (ensure_out(nz, len * 2 + 4) != DEDUP_OK)
        return DEDUP_E_NOMEM;
    const unsigned char *end = s + len;
    while (s < end) {
        size_t used;
        int bad;
        int32_t cp = dedup__utf8_decode(s, end, &used, &bad);
        s += used;
        emit_cp(nz, cp, prev_space);
    }
    return DEDUP_OK;
}

/* Re-encode in[0..len) into nz->span with ill-formed sequences replaced,
 * counting replacements; returns the encoded length or (size_t)-1. */
static size_t sanitize(dedup_normalizer *nz, const unsigned char *in, size_t len)
{
    /* Each input byte yields at most 3 output bytes (one U+FFFD). */
    if (len > (SIZE_MAX - 4) / 3)
        return (size_t)-1;
    void *b = nz->span;
    if (dedup__grow(&b, &nz->span_cap, len * 3 + 4, 1) != DEDUP_OK)
        return (size_t)-1;
    nz->span = b;
    const unsigned char *p = in, *end = in + len;
    size_t n = 0;
    while (p < end) {
        if (*p < 0x80) {
            nz->span[n++] = *p++;
            continue;
        }
        size_t used;
        int bad;
        int32_t cp = dedup__utf8_decode(p, end, &used, &bad);
        if (bad) {
            nz->replaced++;
            n += dedup__utf8_encode(nz->span + n, cp);
        } else {
            memcpy(nz->span + n, p, used);
            n += used;
        }
        p += used;
    }
    return n;
}

/* Run utf8proc over in[0..len) and emit the result. */
static int process_general(dedup_normalizer *nz, const unsigned char *in, size_t len,
                           int *prev_space)
{
    size_t n = sanitize(nz, in, len);
    if (n == (size_t)-1)
        return DEDUP_E_NOMEM;
    if (n > (size_t)PTRDIFF_MAX / 64)
        return DEDUP_E_TOOBIG;
    utf8proc_ssize_t got;
    for (;;) {
        got = utf8proc_decompose_custom(nz->span, (utf8proc_ssize_t)n, nz->cps,
                                        (utf8proc_ssize_t)nz->cps_cap, nz->opt,
                                        dedup__norm_custom, NULL);
        if (got < 0)
            return got == UTF8PROC_ERROR_NOMEM ? DEDUP_E_NOMEM : DEDUP_E_UTF8;
        if ((size_t)got <= nz->cps_cap)
            break;
        void *b = nz->cps;
        if (dedup__grow(&b, &nz->cps_cap, (size_t)got, sizeof(utf8proc_int32_t)) != DEDUP_OK)
            return DEDUP_E_NOMEM;
        nz->cps = b;
    }
    got = utf8proc_normalize_utf32(nz->cps, got, nz->opt);
    if (got < 0)
        return DEDUP_E_UTF8;
    if (ensure_out(nz, (size_t)got * 4) != DEDUP_OK)
        return DEDUP_E_NOMEM;
    for (utf8proc_ssize_t i = 0; i < got; i++)
        emit_cp(nz, nz->cps[i], prev_space);
    return DEDUP_OK;
}

/* Classification of the code point at p: NT_STABLE, NT_SLOW, or an entry
 * index + 2; ASCII gives NT_STABLE when on the fast path. */
static inline unsigned classify(const dedup_normalizer *nz, const unsigned char *p,
                                const unsigned char *end, int32_t *cp, size_t *used)
{
    if (*p < 0x80) {
        *cp = *p;
        *used = 1;
        return nz->amap[*p] ? NT_STABLE : NT_SLOW;
    }
    int bad;
    *cp = dedup__utf8_decode(p, end, used, &bad);
    if (bad || *cp >= 0x10000)
        return NT_SLOW;
    return nt_class(nz, *cp);
}

static void trim_trailing_space(dedup_normalizer *nz)
{
    if (nz->out_len && nz->out[nz->out_len - 1] == ' ')
        nz->out_len--;
}

/* ---------------------------------------------------------------- API */

/* Eight bytes at a time while they are printable ASCII with no two
 * spaces in a row (nor a leading one) and the byte after them is fast
 * ASCII: only letters change (case folding). Returns how many bytes it
 * took (a multiple of 8), written to o; *prev_space follows. */
static DEDUP_ALWAYS_INLINE size_t ascii_words(const unsigned char *p, const unsigned char *end,
                                              unsigned char *o, const unsigned char *amap,
                                              int fold, int *prev_space)
{
    const unsigned char *start = p;
    while (end - p > 8 && p[8] < 0x80 && amap[p[8]]) {
        uint64_t w;
        memcpy(&w, p, 8);
        w = le64(w);
        const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
        const uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
        /* One test for the common case, every byte printable (0x20-0x7E):
         * high bits mark bytes below 0x20 (first term), at or above 0x7F
         * (second: adding 1 carries into the high bit, and no carry
         * crosses bytes below 0x7F), or non-ASCII (third). */
        uint64_t odd = (~((w | high) - ones * 0x20) | (w + ones) | w) & high;
        if (odd) {
            if (w & high) /* a non-ASCII byte */
                break;
            /* Exact per-byte tests (no borrow crosses a byte): bytes below
             * 0x20, among them the whitespace 0x09-0x0D, which become
             * spaces; DEL leaves. */
            uint64_t below20 = ~((w | high) - ones * 0x20) & high;
            uint64_t ge09 = ((w | high) - ones * 0x09) & high;
            uint64_t le0d = ~((w | high) - ones * 0x0E) & high;
            uint64_t ws = below20 & ge09 & le0d;
            if (ws != below20) /* another control character */
                break;
            uint64_t xdel = w ^ (ones * 0x7F);
            if (~(((xdel & low7) + low7) | xdel) & high) /* DEL */
                break;
            uint64_t bytes = (ws >> 7) * 0xFF;
            w = (w & ~bytes) | (ones * 0x20 & bytes);
        }
        uint64_t xsp = w ^ (ones * 0x20);
        uint64_t sp = ~(((xsp & low7) + low7) | xsp) & high; /* 0x80 per space */
        if ((sp & (sp << 8)) || (*prev_space && (sp & 0x80)))
            break;
        if (fold) {
            /* 0x80 in bytes from 'A' to 'Z'; adding 0x20 lowercases. */
            uint64_t ge_a = (w + ones * (0x80 - 'A')) & high;
            uint64_t gt_z = (w + ones * (0x80 - 'Z' - 1)) & high;
            w += (ge_a & ~gt_z) >> 2;
        }
        w = le64(w);
        memcpy(o, &w, 8);
        o += 8;
        p += 8;
        *prev_space = (sp >> 63) != 0;
    }
    return (size_t)(p - start);
}

/*
 * The ASCII fast path from *pp: a byte is handled here only if the byte
 * after it is fast ASCII too, so the character before a combining mark is
 * left for the general path. Output never outgrows input here (the caller
 * made room). Advances *pp to where the general path takes over.
 */
static DEDUP_ALWAYS_INLINE void ascii_run(dedup_normalizer *nz, const unsigned char **pp,
                                          const unsigned char *end, int *prev_space)
{
    const unsigned char *p = *pp, *last = end - 1;
    unsigned char *o = nz->out + nz->out_len;
    const unsigned char *amap = nz->amap;
    const int fold = (nz->flags & DEDUP_NORM_CASEFOLD) != 0;
    for (;;) {
        size_t took = ascii_words(p, end, o, amap, fold, prev_space);
        p += took;
        o += took;
        /* A byte at a time over what stopped the wide loop, then back to
         * it. */
        const unsigned char *stop = p + 8 < last ? p + 8 : last;
        while (p < stop) {
            unsigned c = p[0], d = p[1];
            if ((c | d) >= 0x80 || !amap[c] || !amap[d])
                break;
            unsigned m = amap[c];
            int sp = m == ' ';
            *o = (unsigned char)m;
            o += !(sp & *prev_space);
            *prev_space = sp;
            p++;
        }
        if (!(p == stop && p < last))
            break;
    }
    nz->out_len = (size_t)(o - nz->out);
    *pp = p;
}

/* Emit the stable or table-mapped code point cp (class cls, used bytes at
 * p). DEDUP_OK or DEDUP_E_NOMEM. */
static inline int emit_class(dedup_normalizer *nz, const unsigned char *p, int32_t cp,
                             size_t used, unsigned cls, int *prev_space)
{
    if (ensure_out(nz, 8) != DEDUP_OK)
        return DEDUP_E_NOMEM;
    if (cp < 0x80) {
        emit_cp(nz, nz->amap[cp], prev_space);
    } else if (cls == NT_STABLE) {
        int32_t f = cp;
        if ((nz->flags & DEDUP_NORM_HANT_TO_HANS) && cp >= 0x3400)
            f = hant_fold(cp);
        if (f == cp) {
            memcpy(nz->out + nz->out_len, p, used);
            nz->out_len += used;
        } else {
            nz->out_len += dedup__utf8_encode(nz->out + nz->out_len, f);
        }
        *prev_space = 0;
    } else {
        unsigned e = cls - 2;
        return emit_str(nz, dedup_nt_str + dedup_nt_off[e], dedup_nt_len[e], prev_space);
    }
    return DEDUP_OK;
}

/*
 * From p, a stable three-byte character: emit it and the stable
 * three-byte characters after it, each once the character after it is
 * known not to be slow (fast ASCII or another of them), as emit_class
 * would. Returns where it stopped: the end, ASCII, or a character left to
 * the general path. DEDUP_OK or DEDUP_E_NOMEM in *rc.
 */
static const unsigned char *stable_run(dedup_normalizer *nz, const unsigned char *p,
                                       const unsigned char *end, int *prev_space, int *rc)
{
    *rc = ensure_out(nz, (size_t)(end - p));
    if (*rc != DEDUP_OK)
        return p;
    const int fold = (nz->flags & DEDUP_NORM_HANT_TO_HANS) != 0;
    pthread_once(&plain_once, plain_build);
    const uint8_t *bits = plain_bits[nz->mode * 2 + fold];
    unsigned char *o = nz->out + nz->out_len;
    const unsigned char *from = p;
    int32_t cp = dedup__utf8_decode3(p, end);
    for (;;) {
        const unsigned char *q = p + 3;
        int32_t ncp = -1;
        if (q < end && *q < 0x80) {
            if (!nz->amap[*q])
                break; /* a control character: the general path's */
        } else if (q < end) {
            ncp = dedup__utf8_decode3(q, end);
            if (ncp < 0 || (!plain(bits, ncp) && nt_class(nz, ncp) != NT_STABLE))
                break;
        }
        int32_t f = plain(bits, cp) ? cp : fold && cp >= 0x3400 ? hant_fold(cp) : cp;
        if (f == cp) {
            memcpy(o, p, 3);
            o += 3;
        } else if (f >= 0x800 && f < 0x10000) { /* three bytes again: room */
            o += dedup__utf8_encode(o, f);
        } else {
            break;
        }
        p = q;
        if (ncp < 0)
            break;
        cp = ncp;
    }
    if (p != from) {
        nz->out_len = (size_t)(o - nz->out);
        *prev_space = 0;
    }
    return p;
}

/*
 * The general path from *pp: each code point is classified once, and the
 * class of the next one is carried over. It hands back to the ASCII path
 * at the next ASCII character; code points utf8proc must see (a slow
 * span: this one and every slow one after it) go to process_general.
 */
static int general_run(dedup_normalizer *nz, const unsigned char **pp,
                       const unsigned char *end, int *prev_space)
{
    const unsigned char *p = *pp;
    int32_t cp;
    size_t used;
    unsigned cls = classify(nz, p, end, &cp, &used);
    int span = cls == NT_SLOW;
    while (!span) {
        if (cls == NT_STABLE && used == 3) {
            int rc;
            const unsigned char *r = stable_run(nz, p, end, prev_space, &rc);
            if (rc != DEDUP_OK)
                return rc;
            if (r != p) {
                p = r;
                if (p >= end || *p < 0x80) {
                    *pp = p;
                    return DEDUP_OK; /* done, or back to the ASCII path */
                }
                cls = classify(nz, p, end, &cp, &used);
                span = cls == NT_SLOW;
                continue;
            }
        }
        const unsigned char *q = p + used;
        int32_t ncp = 0;
        size_t nused = 0;
        unsigned ncls = NT_STABLE;
        if (q < end && (ncls = classify(nz, q, end, &ncp, &nused)) == NT_SLOW) {
            span = 1; /* this character starts the slow span */
            break;
        }
        int rc = emit_class(nz, p, cp, used, cls, prev_space);
        if (rc != DEDUP_OK)
            return rc;
        p = q;
        if (p >= end || ncp < 0x80) {
            *pp = p;
            return DEDUP_OK; /* done, or back to the ASCII path */
        }
        cp = ncp;
        used = nused;
        cls = ncls;
    }
    const unsigned char *s = p;
    p += used;
    while (p < end) {
        int32_t ncp;
        size_t nused;
        if (classify(nz, p, end, &ncp, &nused) != NT_SLOW)
            break;
        p += nused;
    }
    *pp = p;
    return process_general(nz, s, (size_t)(p - s), prev_space);
}

int dedup__normalize(dedup_normalizer *nz, const unsigned char *in, size_t len)
{
    nz->out_len = 0;
    nz->replaced = 0;
    if (len == 0) /* in may be NULL */
        return ensure_out(nz, 1);
    if (len > SIZE_MAX / 2 - 64)
        return DEDUP_E_TOOBIG;
    const unsigned char *p = in, *end = in + len;
    int prev_space = 1; /* drops leading spaces */
    while (p < end) {
        if (ensure_out(nz, (size_t)(end - p)) != DEDUP_OK)
            return DEDUP_E_NOMEM;
        ascii_run(nz, &p, end, &prev_space);
        if (p >= end)
            break;
        int rc = general_run(nz, &p, end, &prev_space);
        if (rc != DEDUP_OK)
            return rc;
    }
    trim_trailing_space(nz);
    return DEDUP_OK;
}

int dedup__normalize_reference(dedup_normalizer *nz, const unsigned char *in, size_t len)
{
    nz->out_len = 0;
    nz->replaced = 0;
    if (len == 0)
        return ensure_out(nz, 1);
    int prev_space = 1;
    int rc = process_general(nz, in, len, &prev_space);
    if (rc != DEDUP_OK)
        return rc;
    trim_trailing_space(nz);
    return DEDUP_OK;
}
