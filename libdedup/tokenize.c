/*
 * tokenize.c - tokenization of normalized text.
 *
 * Letters, digits and marks form tokens; everything else separates them.
 * Scripts written without spaces between words (Han, Hiragana, Katakana,
 * Thai, Lao, Khmer, Myanmar) give one token per character, so that shingles
 * over them are character n-grams; combining marks stay with the character
 * before them. Hangul is written with spaces, but particles attach to the
 * words before them; whether a Hangul syllable is a letter of a word or a
 * token by itself is a parameter (DEDUP_P_HANGUL_CHARS). Numbers are kept:
 * in news they tell stories apart.
 *
 * Each token is hashed exactly once, with the seed; shingles
 * combine token hashes (shingle.c) and never rehash text.
 *
 * Typing errors. A token made of ASCII letters only is hashed by the set
 * of letters it contains rather than by its spelling (token_key below).
 * The usual typing errors, two neighbouring letters swapped, a letter
 * doubled, a letter that occurs twice typed once, leave that set as it
 * was, so a copy with a typo keeps every shingle around the word instead
 * of losing n of them. That matters most for short texts: on the
 * generated corpus of briefs (under 60 words, copies with up to three
 * typos), a typo cost about a tenth of a brief's 4-shingles; with this
 * key the pairwise recall of `dedup cluster` there went from 0.851 to
 * 0.907 (precision from 0.985 to 0.978-0.983 over seeds 0-3: copies
 * with typos no longer fall short of the threshold, and neither do some
 * briefs written from the same template), on the standard English pages
 * from 0.988 to 0.992, on boilerplate-heavy pages from 0.994 to 0.997
 * (precision 1.000 to 0.9996), on the Reuters-based corpus from 0.801 to
 * 0.833 (precision 0.854 to 0.852); the multilingual corpus, mostly not
 * ASCII, barely moves. Words that differ only in the order of their
 * letters (on/no, dog/god) share a key; a shingle needs all n of its
 * words to collide, which in running text almost never happens. Tokens
 * with digits keep their exact hash: numbers tell stories apart. So do
 * tokens with non-ASCII bytes, whose letters have no cheap canonical set.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "normalize_rules.h"
#include "tokenize.h"
#include "utf8.h"

#include "normtab.h"

void dedup__tokenizer_init(dedup_tokenizer *tk, uint64_t seed, int casefold, int hangul_chars)
{
    memset(tk, 0, sizeof *tk);
    tk->seed = seed;
    tk->hangul_chars = hangul_chars;
    for (int c = 0; c < 128; c++)
        tk->aclass[c] = (unsigned char)((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                        (c >= 'A' && c <= 'Z'));
    for (int c = 0; c < 256; c++)
        tk->lbit[c] = c >= 'a' && c <= 'z'   ? (uint64_t)1 << (c - 'a')
                      : c >= 'A' && c <= 'Z' ? (uint64_t)1 << (c - 'A' + 32)
                      : c >= '0' && c <= '9' ? DEDUP__KEY_DIGIT
                                             : DEDUP__KEY_OTHER;
    tk->lbit[0] = 0; /* never inside a token; clears the bytes past one */
    tk->lkey = dedup__mix64(seed ^ 0x6c65747465727365ULL); /* "letterse" */
    (void)casefold; /* upper case letters only appear without folding */
}

void dedup__tokenizer_release(dedup_tokenizer *tk)
{
    dedup__free(tk->tokens);
    dedup__free(tk->numbers);
    tk->tokens = NULL;
    tk->numbers = NULL;
    tk->tokens_cap = tk->numbers_cap = 0;
}

/* XXH3-64 of a token with the seed. Most tokens are at most 16 bytes, for
 * which XXH3_64bits_withSeed runs XXH3_len_0to16_64b with the default
 * secret; calling that path directly lets the compiler inline it. The
 * result is the same by construction (and checked by the tests). */
static inline uint64_t token_hash(const unsigned char *p, size_t len, uint64_t seed)
{
#if defined(XXH_VERSION_NUMBER) && XXH_VERSION_NUMBER >= 800 && XXH_VERSION_NUMBER < 900
    if (len <= 16)
        return XXH3_len_0to16_64b(p, len, XXH3_kSecret, seed);
#endif
    return XXH3_64bits_withSeed(p, len, seed);
}

/* End of the run of ASCII word characters starting at i. The eight-byte
 * step recognizes lower case letters and digits (all a case-folded text
 * has); anything else is settled byte by byte. */
static inline size_t ascii_word_end(const unsigned char *text, size_t i, size_t len,
                                    const unsigned char *aclass)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    while (len - i >= 8) {
        uint64_t w;
        memcpy(&w, text + i, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        /* For ASCII bytes: 0x80 where the byte is in 'a'..'z' or '0'..'9'. */
        uint64_t lower = ((w + ones * (0x80 - 'a')) & ~(w + ones * (0x80 - 'z' - 1)));
        uint64_t digit = ((w + ones * (0x80 - '0')) & ~(w + ones * (0x80 - '9' - 1)));
        uint64_t word = (lower | digit) & ~w & high;
        if (word != high) {
            uint64_t non = ~word & high;
            i += (size_t)(__builtin_ctzll(non) >> 3);
            break;
        }
        i += 8;
    }
    while (i < len && text[i] < 0x80 && aclass[text[i]])
        i++;
    return i;
}

/* Bit j of the result set when byte j of the 64 at p is an ASCII letter
 * or digit; 0 with *ascii 0 when a byte is not ASCII (the classification
 * below holds for ASCII bytes only: a byte of 0x80 or more carries into the
 * next). Eight bytes at a time: a byte's 0x80 bit says whether it lies in
 * a range, and a multiply gathers the eight bits. */
static inline uint64_t ascii_word_mask64(const unsigned char *p, int *ascii)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t m = 0, any_high = 0;
    for (unsigned k = 0; k < 8; k++) {
        uint64_t w;
        memcpy(&w, p + 8 * k, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        any_high |= w;
        uint64_t lower = (w + ones * (0x80 - 'a')) & ~(w + ones * (0x80 - 'z' - 1));
        uint64_t upper = (w + ones * (0x80 - 'A')) & ~(w + ones * (0x80 - 'Z' - 1));
        uint64_t digit = (w + ones * (0x80 - '0')) & ~(w + ones * (0x80 - '9' - 1));
        uint64_t word = (lower | upper | digit) & high;
        /* 0x80 of byte j to bit j, bits 56-63 after the multiply. */
        m |= (((word >> 7) * 0x0102040810204080ULL) >> 56) << (8 * k);
    }
    *ascii = (any_high & high) == 0;
    return *ascii ? m : 0;
}

static inline int token_class(int32_t cp)
{
    if (cp < 0x10000)
        return dedup_tc_blocks[dedup_tc_stage1[cp >> 8]][cp & 0xFF];
    return dedup__token_class(cp);
}

/* The hash of the token p[0..len): for ASCII letters only, a hash of the
 * set of letters (a 64-bit mask: bits 0-25 lower case, 32-57 upper case,
 * which only appear when case folding is off); for anything else,
 * token_hash of the bytes. See the file comment. tk->lbit maps each byte
 * to its letter bit, or to KEY_OTHER. */
static DEDUP_ALWAYS_INLINE uint64_t token_key(const dedup_tokenizer *tk, const unsigned char *p,
                                              size_t len, size_t avail, uint64_t *bits)
{
    uint64_t set = 0;
    *bits = DEDUP__KEY_OTHER;
    if (p[0] >= 0x80) /* Han, kana, Hangul... tokens: skip the lookups */
        return token_hash(p, len, tk->seed);
    if (len <= 8 && avail >= 8) {
        /* Most tokens: eight lookups without a branch on the length (a
         * loop's exit, mispredicted for every other token, cost more than
         * the lookups). The bytes past the token are cleared to 0, which
         * selects no bits (a token never holds a 0 byte). */
        const uint64_t *lb = tk->lbit;
        uint64_t w;
        memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        w &= ~(uint64_t)0 >> (8 * (8 - len)); /* len >= 1 */
        for (unsigned i = 0; i < 64; i += 8)
            set |= lb[(w >> i) & 0xFF];
    } else {
        for (size_t i = 0; i < len; i++)
            set |= tk->lbit[p[i]];
    }
    *bits = set;
    if (set & (DEDUP__KEY_OTHER | DEDUP__KEY_DIGIT))
        return token_hash(p, len, tk->seed);
    return dedup__mix64(set ^ tk->lkey);
}

/* Record token i (hash h), all digits, in tk->numbers: a new number, or
 * the continuation of the one token i-1 ended. */
static int add_number(dedup_tokenizer *tk, size_t i, uint64_t h)
{
    if (tk->nnumbers && tk->number_end == i) {
        tk->numbers[tk->nnumbers - 1] = dedup__mix64(tk->numbers[tk->nnumbers - 1] ^ h);
    } else {
        void *b = tk->numbers;
        if (dedup__grow(&b, &tk->numbers_cap, tk->nnumbers + 1, sizeof(uint64_t)) != DEDUP_OK)
            return DEDUP_E_NOMEM;
        tk->numbers = b;
        tk->numbers[tk->nnumbers++] = dedup__mix64(0x6e756d6265727321ULL ^ h); /* "numbers!" */
    }
    tk->number_end = i + 1;
    return DEDUP_OK;
}

#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int push(dedup_tokenizer *tk, const unsigned char *base, size_t start, size_t end)
{
    if (DEDUP_UNLIKELY(tk->ntokens == tk->tokens_cap)) {
        void *b = tk->tokens;
        if (dedup__grow(&b, &tk->tokens_cap, tk->ntokens + 1, sizeof(dedup_token)) != DEDUP_OK)
            return DEDUP_E_NOMEM;
        tk->tokens = b;
    }
    dedup_token *t = &tk->tokens[tk->ntokens++];
    t->offset = start;
    t->length = end - start;
    uint64_t bits;
    t->hash = token_key(tk, base + start, end - start, tk->text_len - start, &bits);
    if (DEDUP_UNLIKELY(bits == DEDUP__KEY_DIGIT))
        return add_number(tk, tk->ntokens - 1, t->hash);
    return DEDUP_OK;
}

int dedup__tokenize(dedup_tokenizer *tk, const unsigned char *text, size_t len)
{
    tk->ntokens = 0;
    tk->nchar_tokens = 0;
    tk->nhangul_tokens = 0;
    tk->text_len = len;
    tk->nnumbers = 0;
    /* Reserve for the common case, about one token per six bytes, exactly
     * (no doubling): big documents would otherwise reserve far more than
     * they use. push() grows the array when a text has more tokens. */
    size_t want = len / 4 + 16;
    if (want > SIZE_MAX / sizeof(dedup_token))
        return DEDUP_E_NOMEM;
    if (tk->tokens_cap < want) {
        dedup_token *b = dedup__realloc(tk->tokens, want * sizeof(dedup_token));
        if (!b)
            return DEDUP_E_NOMEM;
        tk->tokens = b;
        tk->tokens_cap = want;
    }
    const unsigned char *aclass = tk->aclass;
    size_t i = 0;
    /* start: offset of the open token, or SIZE_MAX; open_char: the open
     * token is a single character that must close before the next letter. */
    size_t start = SIZE_MAX;
    int open_char = 0;
    /* ASCII text goes 64 bytes at a time: from a mask of its word bytes,
     * tokens start where a word byte follows another byte and end where a
     * word byte is followed by another; a block with a byte that is not
     * ASCII is left to the loop below, byte by byte up to the block's end.
     * The two give the same tokens (tests compare them). */
    size_t bytewise_to = tk->bytewise ? len : 0;
    while (i < len) {
        if (i >= bytewise_to && len - i >= 64) {
            int ascii;
            uint64_t m = ascii_word_mask64(text + i, &ascii);
            if (!ascii) {
                bytewise_to = i + 64;
            } else {
                /* An ASCII byte closes a character token (Han, kana...). */
                if (start != SIZE_MAX && open_char) {
                    if (push(tk, text, start, i) != DEDUP_OK)
                        return DEDUP_E_NOMEM;
                    start = SIZE_MAX;
                }
                uint64_t before = m << 1 | (start != SIZE_MAX);
                uint64_t starts = m & ~before, ends = ~m & before;
                for (;;) {
                    if (start != SIZE_MAX) {
                        if (!ends)
                            break;
                        size_t e = i + (size_t)__builtin_ctzll(ends);
                        ends &= ends - 1;
                        if (push(tk, text, start, e) != DEDUP_OK)
                            return DEDUP_E_NOMEM;
                        start = SIZE_MAX;
                    } else {
                        if (!starts)
                            break;
                        start = i + (size_t)__builtin_ctzll(starts);
                        starts &= starts - 1;
                    }
                }
                open_char = 0;
                i += 64;
                continue;
            }
        }
        unsigned c = text[i];
        if (c < 0x80) {
            if (aclass[c]) {
                if (start != SIZE_MAX && open_char) {
                    if (push(tk, text, start, i) != DEDUP_OK)
                        return DEDUP_E_NOMEM;
                    start = SIZE_MAX;
                }
                if (start == SIZE_MAX) {
                    start = i;
                    open_char = 0;
                }
                /* The rest of an ASCII word, eight bytes at a time. */
                i++;
                i = ascii_word_end(text, i, len, aclass);
                continue;
            }
            if (start != SIZE_MAX) {
                if (push(tk, text, start, i) != DEDUP_OK)
                    return DEDUP_E_NOMEM;
                start = SIZE_MAX;
            }
            i++;
            continue;
        }
        size_t used;
        int bad;
        int32_t cp = dedup__utf8_decode(text + i, text + len, &used, &bad);
        int cls = token_class(cp);
        if (cls == DEDUP_TC_HANGUL) {
            cls = tk->hangul_chars ? DEDUP_TC_CHAR : DEDUP_TC_WORD;
            tk->nhangul_tokens += cls == DEDUP_TC_CHAR;
        }
        switch (cls) {
        case DEDUP_TC_MARK:
            if (start == SIZE_MAX) {
                start = i;
                open_char = 0;
            }
            break;
        case DEDUP_TC_WORD:
            if (start != SIZE_MAX && open_char) {
                if (push(tk, text, start, i) != DEDUP_OK)
                    return DEDUP_E_NOMEM;
                start = SIZE_MAX;
            }
            if (start == SIZE_MAX) {
                start = i;
                open_char = 0;
            }
            break;
        case DEDUP_TC_CHAR:
            if (start != SIZE_MAX) {
                if (push(tk, text, start, i) != DEDUP_OK)
                    return DEDUP_E_NOMEM;
            }
            tk->nchar_tokens++;
            /* The run of three-byte characters of the same kind that
             * follows, most of a Chinese or Japanese text: each closes
             * the one before, without the general decoder. */
            if (used == 3) {
                for (;;) {
                    size_t j = i + 3;
                    int32_t c2 = dedup__utf8_decode3(text + j, text + len);
                    if (c2 < 0)
                        break;
                    int k = token_class(c2);
                    int hangul = k == DEDUP_TC_HANGUL && tk->hangul_chars;
                    if (k != DEDUP_TC_CHAR && !hangul)
                        break;
                    if (push(tk, text, i, j) != DEDUP_OK)
                        return DEDUP_E_NOMEM;
                    tk->nhangul_tokens += hangul;
                    tk->nchar_tokens++;
                    i = j;
                }
            }
            start = i;
            open_char = 1;
            break;
        default:
            if (start != SIZE_MAX) {
                if (push(tk, text, start, i) != DEDUP_OK)
                    return DEDUP_E_NOMEM;
                start = SIZE_MAX;
            }
            break;
        }
        i += used;
    }
    if (start != SIZE_MAX && push(tk, text, start, len) != DEDUP_OK)
        return DEDUP_E_NOMEM;
    return DEDUP_OK;
}
