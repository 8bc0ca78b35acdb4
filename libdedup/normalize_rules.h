/*
 * normalize_rules.h - the normalization rules, shared by the library and by
 * the build-time generator of its lookup tables (gen-tables.c), so that the
 * tables and the general path cannot disagree. Internal.
 */
#ifndef DEDUP_NORMALIZE_RULES_H
#define DEDUP_NORMALIZE_RULES_H

#include <utf8proc.h>

/* utf8proc options for a combination of DEDUP_NORM_CASEFOLD (bit 0) and
 * DEDUP_NORM_STRIP_MARKS (bit 1): NFKC, default-ignorables removed, control
 * characters removed (line breaks and tabs become spaces), typographic
 * variants lumped together (spaces, dashes, single quotes...). */
static inline utf8proc_option_t dedup__norm_options(int casefold, int strip_marks)
{
    utf8proc_option_t o = (utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                              UTF8PROC_COMPAT | UTF8PROC_IGNORE |
                                              UTF8PROC_STRIPCC | UTF8PROC_LUMP);
    if (casefold)
        o = (utf8proc_option_t)(o | UTF8PROC_CASEFOLD);
    if (strip_marks)
        o = (utf8proc_option_t)(o | UTF8PROC_STRIPMARK);
    return o;
}

/* Mappings applied to each code point before decomposition, for what the
 * lumping rules leave out: double quotation marks of every style become ",
 * low and reversed single quotes and single angle quotes become ', and the
 * line and paragraph separators become spaces. */
static inline utf8proc_int32_t dedup__norm_custom(utf8proc_int32_t cp, void *data)
{
    (void)data;
    switch (cp) {
    case 0x00AB: case 0x00BB: case 0x201C: case 0x201D: case 0x201E:
    case 0x201F: case 0x2033: case 0x2036: case 0x301D: case 0x301E:
    case 0x301F: case 0x275D: case 0x275E:
        return '"';
    case 0x201A: case 0x201B: case 0x2039: case 0x203A: case 0x2035:
    case 0x275B: case 0x275C:
        return '\'';
    case 0x2028: case 0x2029:
        return ' ';
    default:
        return cp;
    }
}

/* Token classes of code points, used by the tokenizer. */
enum {
    DEDUP_TC_SEP = 0,    /* separates tokens: spaces, punctuation, symbols */
    DEDUP_TC_WORD = 1,   /* letter or digit of a word */
    DEDUP_TC_CHAR = 2,   /* a token by itself: Han, kana, Thai... */
    DEDUP_TC_HANGUL = 3, /* Hangul: word letter, or a token by itself */
    DEDUP_TC_MARK = 4    /* combining mark: continues the current token */
};

/* Token class of a code point, from its general category and script. */
static inline int dedup__token_class(utf8proc_int32_t cp)
{
    if ((cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
        (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3FFFF) ||
        (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x31F0 && cp <= 0x31FF) ||
        (cp >= 0xFF66 && cp <= 0xFF9F) || cp == 0x3005 || cp == 0x3006 ||
        (cp >= 0x0E00 && cp <= 0x0EFF) || /* Thai, Lao */
        (cp >= 0x1000 && cp <= 0x109F) || /* Myanmar */
        (cp >= 0x1780 && cp <= 0x17FF)) { /* Khmer */
        utf8proc_category_t c = utf8proc_category(cp);
        if (c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC ||
            c == UTF8PROC_CATEGORY_ME)
            return DEDUP_TC_MARK;
        if (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO)
            return DEDUP_TC_CHAR;
        if (c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL ||
            c == UTF8PROC_CATEGORY_NO)
            return DEDUP_TC_CHAR;
        return DEDUP_TC_SEP;
    }
    if ((cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0x1100 && cp <= 0x11FF) ||
        (cp >= 0x3130 && cp <= 0x318F) || (cp >= 0xA960 && cp <= 0xA97F) ||
        (cp >= 0xD7B0 && cp <= 0xD7FF))
        return DEDUP_TC_HANGUL;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return DEDUP_TC_WORD;
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        return DEDUP_TC_MARK;
    default:
        return DEDUP_TC_SEP;
    }
}

#endif
