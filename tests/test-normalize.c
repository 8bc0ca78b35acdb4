/*
 * test-normalize.c - normalization: the fast path against utf8proc over the
 * whole text (property tests on random and mixed inputs, under every flag
 * combination), ill-formed UTF-8, NUL bytes, the documented rules, and
 * traditional-to-simplified folding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "normalize.h"
#include "tap.h"

static uint64_t rng_state = 0x1234567887654321ULL;

static uint64_t rng(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

/* Pieces that exercise every path: ASCII words and whitespace, control
 * characters, combining marks (alone and after letters), Hangul jamo and
 * syllables, kana with combining and half-width sound marks, ignorables,
 * quotes, dashes, spaces, compatibility characters, traditional and
 * simplified Han, compatibility ideographs, supplementary characters, and
 * ill-formed sequences of every kind. */
static const char *const pieces[] = {
    "a", "Z", "e", "word", "News ", " ", "  ", "\t", "\n", "\r\n", "\v", "\f", ".", ",", "'",
    "\"", "-", "0", "42", "\x01", "\x7f", "\x00", "\x1b",
    "\xcc\x81", "\xcc\xa3", "\xcc\x88", "\xcd\x85", "\xe2\x83\x97",        /* combining marks */
    "\xc3\xa9", "\xc3\x85", "\xc5\x93", "\xc3\x9f", "\xc4\xb0", "\xce\xa3", "\xcf\x82",
    "\xe1\x84\x80", "\xe1\x85\xa1", "\xe1\x86\xa8", "\xea\xb0\x80", "\xed\x95\x9c", /* Hangul */
    "\xe3\x81\x8b", "\xe3\x82\x99", "\xe3\x82\x9a", "\xef\xbd\xb6", "\xef\xbe\x9e", /* kana */
    "\xc2\xad", "\xe2\x80\x8b", "\xef\xbb\xbf", "\xe2\x80\x8d", "\xcd\x8f", /* ignorables */
    "\xe2\x80\x9c", "\xe2\x80\x9d", "\xe2\x80\x98", "\xe2\x80\x99", "\xc2\xab", "\xc2\xbb",
    "\xe2\x80\x94", "\xe2\x80\x93", "\xe2\x88\x92", "\xc2\xa0", "\xe3\x80\x80", "\xe2\x80\xa8",
    "\xc2\x85", "\xef\xac\x81", "\xef\xbc\xa1", "\xe2\x91\xa0", "\xc2\xbd", "\xe2\x84\xab",
    "\xe5\x9c\x8b", "\xe5\x9b\xbd", "\xe9\x9b\xbb", "\xe7\x94\xb5", "\xef\xa4\x80", "\xe8\xaa\xaa",
    "\xf0\x9f\x98\x80", "\xf0\xa0\x80\x80", "\xf0\x9d\x90\x80", "\xef\xbf\xbd",
    "\xe0\xb8\x81", "\xe0\xb8\xb4", "\xd8\xa7", "\xd9\x8e",                 /* Thai, Arabic */
    "\xff", "\xfe", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", /* invalid */
    "\xe2\x82", "\xf0\x9f\x98", "\x80", "\xbf", "\xc3", "\xf5\x80",
};
#define NPIECES (sizeof pieces / sizeof pieces[0])

static size_t piece_len(const char *p)
{
    return p[0] ? strlen(p) : 1; /* the NUL piece is one byte long */
}

static size_t random_text(unsigned char *buf, size_t cap, int mixed)
{
    size_t n = 0, want = rng() % (cap / 8);
    while (n < want) {
        if (mixed == 2) { /* mostly ASCII: the eight-byte loop's edges */
            static const char ascii[] = "aB !.,\n\t\r  Zz09'\x7f\x01";
            uint64_t r = rng();
            if (r % 64 == 0) {
                const char *p = pieces[(r >> 8) % NPIECES];
                size_t l = piece_len(p);
                if (n + l > cap)
                    break;
                memcpy(buf + n, p, l);
                n += l;
            } else {
                buf[n++] = (unsigned char)ascii[(r >> 8) % (sizeof ascii - 1)];
            }
            continue;
        }
        if (!mixed) { /* raw random bytes, biased towards UTF-8 lead bytes */
            uint64_t r = rng();
            buf[n++] = (unsigned char)((r & 3) ? r >> 8 : 0xC0 | (r >> 16));
            continue;
        }
        const char *p = pieces[rng() % NPIECES];
        size_t l = piece_len(p);
        if (n + l > cap)
            break;
        memcpy(buf + n, p, l);
        n += l;
    }
    return n;
}

static int same_output(dedup_normalizer *fast, dedup_normalizer *ref, const unsigned char *in,
                       size_t len)
{
    if (dedup__normalize(fast, in, len) != DEDUP_OK)
        return 0;
    if (dedup__normalize_reference(ref, in, len) != DEDUP_OK)
        return 0;
    return fast->out_len == ref->out_len && memcmp(fast->out, ref->out, ref->out_len) == 0 &&
           fast->replaced == ref->replaced;
}

static void property_tests(void)
{
    static unsigned char buf[4096];
    for (int flags = 0; flags <= DEDUP_NORM_ALL; flags++) {
        for (int mixed = 0; mixed <= 2; mixed++) {
            dedup_normalizer fast, ref;
            dedup__normalizer_init(&fast, flags);
            dedup__normalizer_init(&ref, flags);
            int failures = 0;
            const int rounds = 3000;
            for (int i = 0; i < rounds; i++) {
                size_t len = random_text(buf, sizeof buf, mixed);
                if (!same_output(&fast, &ref, buf, len)) {
                    if (failures++ == 0) {
                        printf("# first mismatch (flags %d), input bytes:", flags);
                        for (size_t j = 0; j < len && j < 80; j++)
                            printf(" %02x", buf[j]);
                        printf("\n");
                    }
                }
            }
            ok(failures == 0, "fast path == utf8proc on %d %s texts, flags %d", rounds,
               mixed == 2 ? "mostly-ASCII" : mixed ? "mixed" : "random-byte", flags);
            dedup__normalizer_release(&fast);
            dedup__normalizer_release(&ref);
        }
    }
}

/* Normalize with default flags and compare to an expected string. */
static void expect(const char *in, size_t len, const char *want, size_t want_replaced,
                   const char *what)
{
    dedup_normalizer nz;
    dedup__normalizer_init(&nz, DEDUP_NORM_DEFAULT);
    int rc = dedup__normalize(&nz, (const unsigned char *)in, len);
    int good = rc == DEDUP_OK && nz.out_len == strlen(want) &&
               (nz.out_len == 0 || memcmp(nz.out, want, nz.out_len) == 0) &&
               nz.replaced == want_replaced;
    if (!ok(good, "%s", what))
        printf("#   got [%.*s] (%zu replaced)\n", (int)nz.out_len, (const char *)nz.out,
               nz.replaced);
    dedup__normalizer_release(&nz);
}

#define EXPECT(in, want, nrep, what) expect(in, sizeof(in) - 1, want, nrep, what)

static void rule_tests(void)
{
    EXPECT("", "", 0, "empty input gives empty output");
    EXPECT("  \t\n ", "", 0, "whitespace only gives empty output");
    EXPECT("Hello   World\r\n", "hello world", 0, "case folded, spaces collapsed, trimmed");
    EXPECT("a\x00" "b", "ab", 0, "NUL bytes are removed like other controls");
    EXPECT("\xe2\x80\x9cQuote\xe2\x80\x9d \xe2\x80\x98it\xe2\x80\x99s\xe2\x80\x99",
           "\"quote\" 'it's'", 0, "curly quotes unified");
    EXPECT("a\xe2\x80\x94" "b\xe2\x80\x93" "c\xe2\x88\x92" "d", "a-b-c-d", 0, "dashes unified");
    EXPECT("soft\xc2\xadhy\xe2\x80\x8bphen\xef\xbb\xbf", "softhyphen", 0,
           "soft hyphen, zero-width space and BOM dropped");
    EXPECT("\xef\xbb\xbfStart", "start", 0, "leading BOM dropped");
    EXPECT("Caf\x65\xcc\x81", "caf\xc3\xa9", 0, "combining acute composes (NFC)");
    EXPECT("\xef\xac\x81" "ne \xef\xbc\xa1\xef\xbc\xa2", "fine ab", 0, "NFKC: ligature, fullwidth");
    EXPECT("Stra\xc3\x9f" "e", "strasse", 0, "full case folding of sharp s");
    EXPECT("a\xc2\xa0" "b\xe3\x80\x80" "c", "a b c", 0, "no-break and ideographic spaces");
    EXPECT("\xe5\x9c\x8b\xe9\x9a\x9b", "\xe5\x9b\xbd\xe9\x99\x85", 0, "traditional folded");
    /* Ill-formed UTF-8: one U+FFFD per maximal subpart. */
    EXPECT("a\xff" "b", "a\xef\xbf\xbd" "b", 1, "0xFF replaced");
    EXPECT("a\xfe\xfe" "b", "a\xef\xbf\xbd\xef\xbf\xbd" "b", 2, "two 0xFE, two replacements");
    EXPECT("a\x80" "b", "a\xef\xbf\xbd" "b", 1, "stray continuation byte");
    EXPECT("a\xc0\xaf" "b", "a\xef\xbf\xbd\xef\xbf\xbd" "b", 2, "overlong 2-byte form");
    EXPECT("a\xe0\x80\xaf" "b", "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "b", 3,
           "overlong 3-byte form");
    EXPECT("a\xed\xa0\x80" "b", "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "b", 3, "surrogate");
    EXPECT("a\xf4\x90\x80\x80" "b",
           "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "b", 4, "above U+10FFFF");
    EXPECT("a\xe2\x82" "b", "a\xef\xbf\xbd" "b", 1, "truncated 3-byte sequence mid-text");
    EXPECT("end\xf0\x9f\x98", "end\xef\xbf\xbd", 1, "truncated sequence at the end");
    EXPECT("\xc3", "\xef\xbf\xbd", 1, "lone lead byte as whole input");

    dedup_normalizer nz;
    dedup__normalizer_init(&nz, DEDUP_NORM_DEFAULT | DEDUP_NORM_STRIP_MARKS);
    const char *in = "Cr\xc3\xa8me Br\xc3\xbbl\xc3\xa9" "e";
    ok(dedup__normalize(&nz, (const unsigned char *)in, strlen(in)) == DEDUP_OK &&
           nz.out_len == 12 && memcmp(nz.out, "creme brulee", 12) == 0,
       "diacritics stripped with DEDUP_NORM_STRIP_MARKS");
    dedup__normalizer_release(&nz);
    dedup__normalizer_init(&nz, DEDUP_NORM_CASEFOLD);
    in = "\xe5\x9c\x8b";
    ok(dedup__normalize(&nz, (const unsigned char *)in, strlen(in)) == DEDUP_OK &&
           nz.out_len == 3 && memcmp(nz.out, in, 3) == 0,
       "traditional kept without DEDUP_NORM_HANT_TO_HANS");
    dedup__normalizer_release(&nz);
}

static void big_inputs(void)
{
    /* 16 MiB of mixed text, and a 1 MiB run of combining marks (one slow
     * span): both must match the reference and stay within bounds. */
    size_t len = 16u << 20;
    unsigned char *buf = malloc(len);
    size_t n = 0;
    while (n + 8 < len) {
        const char *p = pieces[rng() % NPIECES];
        size_t l = piece_len(p);
        memcpy(buf + n, p, l);
        n += l;
    }
    dedup_normalizer a, b;
    dedup__normalizer_init(&a, DEDUP_NORM_DEFAULT);
    dedup__normalizer_init(&b, DEDUP_NORM_DEFAULT);
    ok(same_output(&a, &b, buf, n), "16 MiB of mixed text matches the reference");
    n = 0;
    while (n + 2 <= (1u << 20)) {
        buf[n++] = 0xCC;
        buf[n++] = 0x81;
    }
    ok(same_output(&a, &b, buf, n), "1 MiB of combining marks matches the reference");
    dedup__normalizer_release(&a);
    dedup__normalizer_release(&b);
    free(buf);
}

int main(void)
{
    rule_tests();
    property_tests();
    big_inputs();
    return tap_done();
}
