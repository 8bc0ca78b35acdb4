/*
 * utf8.h - UTF-8 decoding and encoding. Internal.
 *
 * The decoder follows the Unicode standard's recommendation for ill-formed
 * input ("substitution of maximal subparts", Unicode 15, section 3.9): a
 * lead byte followed by fewer continuation bytes than it needs, or by one
 * outside the range allowed after it (which rules out overlong forms,
 * surrogates and values above U+10FFFF), is replaced by one U+FFFD that
 * covers the lead byte and the valid continuation bytes seen so far; the
 * offending byte starts the next sequence. Bytes that can never start a
 * sequence (0x80-0xC1, 0xF5-0xFF) become one U+FFFD each. The decoder never
 * reads at or past end.
 */
#ifndef DEDUP_UTF8_H
#define DEDUP_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define DEDUP_REPLACEMENT 0xFFFD

/* The code point of the well-formed three-byte sequence at p (U+0800 to
 * U+FFFF, surrogates excepted), or -1 when p < end does not start one: the
 * bulk of Chinese, Japanese and Korean text, decoded in the loops that run
 * over it; anything else takes dedup__utf8_decode. Reads nothing at or
 * past end. */
static inline int32_t dedup__utf8_decode3(const unsigned char *p, const unsigned char *end)
{
    if (end - p < 3 || (p[0] & 0xF0) != 0xE0 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
        return -1;
    int32_t cp = (int32_t)((p[0] & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu));
    return cp < 0x800 || (cp >= 0xD800 && cp < 0xE000) ? -1 : cp;
}

/* Decode one code point from p (p < end). Stores the number of bytes
 * consumed (>= 1) in *used and returns the code point, DEDUP_REPLACEMENT
 * for an ill-formed subsequence (and sets *bad to 1). */
static inline int32_t dedup__utf8_decode(const unsigned char *p, const unsigned char *end,
                                         size_t *used, int *bad)
{
    unsigned c = p[0];
    *bad = 0;
    if (c < 0x80) {
        *used = 1;
        return (int32_t)c;
    }
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    int32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        cp = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        cp = c & 0x07;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        *used = 1;
        *bad = 1;
        return DEDUP_REPLACEMENT;
    }
    size_t i = 1;
    for (; i <= need; i++) {
        if (p + i >= end) {
            *used = i;
            *bad = 1;
            return DEDUP_REPLACEMENT;
        }
        unsigned b = p[i];
        if (b < lo || b > hi) {
            *used = i;
            *bad = 1;
            return DEDUP_REPLACEMENT;
        }
        lo = 0x80;
        hi = 0xBF;
        cp = (cp << 6) | (int32_t)(b & 0x3F);
    }
    *used = need + 1;
    return cp;
}

/* Encode cp (a valid scalar value) at out; returns the byte count (1-4). */
static inline size_t dedup__utf8_encode(unsigned char *out, int32_t cp)
{
    uint32_t c = (uint32_t)cp;
    if (c < 0x80) {
        out[0] = (unsigned char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (unsigned char)(0xC0 | (c >> 6));
        out[1] = (unsigned char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (c >> 12));
        out[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (c >> 18));
    out[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (c & 0x3F));
    return 4;
}

#endif
