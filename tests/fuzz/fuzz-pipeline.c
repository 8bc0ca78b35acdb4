/*
 * fuzz-pipeline.c - fuzz target for the text pipeline: normalize,
 * tokenize, shingle and sign, under several parameter sets, with and
 * without boilerplate-line statistics.
 *
 * Input layout: byte 0 picks a parameter set (below), byte 1 holds option
 * bits (normalization flags in bits 0-2, Hangul syllables as tokens in bit
 * 3, line statistics in bit 4, lists of links kept in bit 5, the
 * quotation rule DEDUP_P_QUOTES plus one in bits 6-7, 0 meaning the
 * default); the rest is the text. Shorter inputs are text under the
 * defaults.
 *
 * Besides "no crash, no out-of-bounds access, no leak", every call checks
 * properties that hold for any text:
 *   - the fast normalization path gives the bytes and the replacement count
 *     of utf8proc over the whole text (dedup__normalize_reference);
 *   - normalized text is well-formed UTF-8 with no control characters, no
 *     leading, trailing or doubled spaces;
 *   - tokens are non-empty, in order, inside the normalized text, contain
 *     no space, and carry the hash of their set of letters when they are
 *     ASCII letters only, else the XXH3 hash of their bytes;
 *   - the quotations found under the rule lie in order inside the text,
 *     and under rule 2 every one holds at least one letter or digit;
 *   - the shingle set has no repeats and no more members than windows;
 *   - a signature equals the signature of the shingle set, is complete
 *     when the set is not empty, matches itself, and does not depend on
 *     what the hasher processed before.
 */
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "fuzz.h"
#include "hasher.h"
#include "utf8.h"

struct param_set {
    int64_t k, seed, word_n, char_n, hangul_n, lead, measure;
};

/* Smallest and largest shingle sizes, a few values of k (16 is the
 * minimum), seeds with high bits set, no lead bands and the most. */
static const struct param_set sets[] = {
    {128, 0, 5, 4, 3, 8, DEDUP_MEASURE_CONTAINMENT},
    {16, 1, 1, 1, 1, 0, DEDUP_MEASURE_JACCARD},
    {256, -1, 16, 16, 16, 32, DEDUP_MEASURE_CONTAINMENT},
    {64, 0x123456789abcdefLL, 3, 2, 6, 1, DEDUP_MEASURE_JACCARD},
};
#define NSETS (sizeof sets / sizeof sets[0])

static dedup_params *make_params(const struct param_set *s, int flags, int hangul,
                                 int lists, int quotes)
{
    dedup_params *p = NULL;
    FUZZ_OK(dedup_params_create(&p));
    FUZZ_OK(dedup_params_set(p, DEDUP_P_NUM_HASHES, s->k));
    FUZZ_OK(dedup_params_set(p, DEDUP_P_SEED, s->seed));
    FUZZ_OK(dedup_params_set(p, DEDUP_P_SHINGLE_SIZE, s->word_n));
    FUZZ_OK(dedup_params_set(p, DEDUP_P_CHAR_SHINGLE_SIZE, s->char_n));
    FUZZ_OK(dedup_params_set(p, DEDUP_P_HANGUL_SHINGLE_SIZE, s->hangul_n));
    FUZZ_OK(dedup_params_set(p, DEDUP_P_LEAD_BANDS, s->lead));
    FUZZ_OK(dedup_params_set(p, DEDUP_P_MEASURE, s->measure));
    FUZZ_OK(dedup_params_set(p, DEDUP_P_NORMALIZE, flags));
    FUZZ_OK(dedup_params_set(p, DEDUP_P_HANGUL_CHARS, hangul));
    FUZZ_OK(dedup_params_set(p, DEDUP_P_LINK_LISTS, lists));
    FUZZ_OK(dedup_params_set(p, DEDUP_P_QUOTES, quotes));
    return p;
}

/* Normalized text: well-formed, no controls, spaces single and inside. */
static void check_normalized(const unsigned char *s, size_t n)
{
    if (n == 0)
        return;
    FUZZ_CHECK(s != NULL);
    FUZZ_CHECK(s[0] != ' ' && s[n - 1] != ' ');
    const unsigned char *p = s, *end = s + n;
    while (p < end) {
        size_t used;
        int bad;
        int32_t cp = dedup__utf8_decode(p, end, &used, &bad);
        FUZZ_CHECK(!bad);
        FUZZ_CHECK(cp >= 0x20 && cp != 0x7F);
        FUZZ_CHECK(!(cp == ' ' && p + 1 < end && p[1] == ' '));
        p += used;
    }
}

/* The fast path against utf8proc over the whole text. */
static void check_reference(int flags, const unsigned char *text, size_t len)
{
    dedup_normalizer fast, ref;
    dedup__normalizer_init(&fast, flags);
    dedup__normalizer_init(&ref, flags);
    FUZZ_OK(dedup__normalize(&fast, text, len));
    FUZZ_OK(dedup__normalize_reference(&ref, text, len));
    FUZZ_CHECK(fast.out_len == ref.out_len);
    FUZZ_CHECK(fast.out_len == 0 || memcmp(fast.out, ref.out, fast.out_len) == 0);
    FUZZ_CHECK(fast.replaced == ref.replaced);
    check_normalized(fast.out, fast.out_len);
    dedup__normalizer_release(&fast);
    dedup__normalizer_release(&ref);
}

/* The token hash as dedup_token documents it, written out plainly. */
static uint64_t ref_token_hash(const char *p, size_t len, uint64_t seed)
{
    uint64_t lower = 0, upper = 0;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (c >= 'a' && c <= 'z')
            lower |= (uint64_t)1 << (c - 'a');
        else if (c >= 'A' && c <= 'Z')
            upper |= (uint64_t)1 << (c - 'A');
        else
            return XXH3_64bits_withSeed(p, len, seed);
    }
    return dedup__mix64((lower | upper << 32) ^ dedup__mix64(seed ^ 0x6c65747465727365ULL));
}

static void check_tokens(const dedup_hasher *h, const char *norm, size_t norm_len,
                         const dedup_token *tok, size_t ntok)
{
    size_t prev_end = 0;
    for (size_t i = 0; i < ntok; i++) {
        FUZZ_CHECK(tok[i].length > 0);
        FUZZ_CHECK(tok[i].offset >= prev_end);
        FUZZ_CHECK(tok[i].offset <= norm_len && tok[i].length <= norm_len - tok[i].offset);
        FUZZ_CHECK(memchr(norm + tok[i].offset, ' ', tok[i].length) == NULL);
        FUZZ_CHECK(tok[i].hash == ref_token_hash(norm + tok[i].offset, tok[i].length, h->seed));
        prev_end = tok[i].offset + tok[i].length;
    }
}

/* The quotations of text under rule: in order, not overlapping, inside
 * the text, at least two bytes (two marks); a statement (rule 2) holds a
 * letter or digit. */
static void check_quotations(const char *text, size_t len, int rule)
{
    dedup_span sp[32];
    size_t n = 0;
    FUZZ_OK(dedup__find_quotations(text, len, rule, sp, 32, &n));
    FUZZ_CHECK(rule != 0 || n == 0);
    size_t prev_end = 0;
    for (size_t i = 0; i < n && i < 32; i++) {
        FUZZ_CHECK(sp[i].offset >= prev_end && sp[i].length >= 2);
        FUZZ_CHECK(sp[i].offset <= len && sp[i].length <= len - sp[i].offset);
        FUZZ_CHECK(memchr(text + sp[i].offset, '\n', sp[i].length) == NULL);
        if (rule == 2) {
            int alnum = 0;
            for (size_t j = 0; j < sp[i].length; j++) {
                unsigned char c = (unsigned char)text[sp[i].offset + j];
                alnum |= (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
                         c >= 0xC0;
            }
            FUZZ_CHECK(alnum);
        }
        prev_end = sp[i].offset + sp[i].length;
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* A set of n shingles from ntok tokens, nnum of them numbers: no repeats,
 * no zero, at most one per window and DEDUP__NUMBER_WEIGHT per number,
 * empty exactly when there are no tokens. */
static void check_shingles(const uint64_t *set, size_t n, size_t ntok, size_t nnum,
                           unsigned width)
{
    size_t windows = ntok == 0 ? 0 : ntok >= width ? ntok - width + 1 : 1;
    FUZZ_CHECK(n <= windows + nnum * DEDUP__NUMBER_WEIGHT && (n == 0) == (ntok == 0));
    if (n == 0)
        return;
    uint64_t *copy = malloc(n * sizeof *copy);
    FUZZ_CHECK(copy != NULL);
    memcpy(copy, set, n * sizeof *copy);
    qsort(copy, n, sizeof *copy, cmp_u64);
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(copy[i] != 0);
        FUZZ_CHECK(i == 0 || copy[i] != copy[i - 1]);
    }
    free(copy);
}

static void check_signature(dedup_hasher *h, const dedup_params *p, const char *text,
                            size_t len, const dedup_signature *fresh)
{
    const uint64_t *set;
    size_t n;
    FUZZ_OK(dedup_hasher_shingles(h, text, len, &set, &n));
    dedup_signature *sig = NULL, *again = NULL;
    FUZZ_OK(dedup_signature_create(&sig, p));
    FUZZ_OK(dedup_signature_create(&again, p));
    FUZZ_OK(dedup_hasher_sign_shingles(h, set, n, sig));
    FUZZ_OK(dedup_hasher_sign(h, text, len, again));
    size_t k = dedup_signature_length(sig);
    const uint32_t *v = dedup_signature_values(sig);
    FUZZ_CHECK(dedup_signature_set_size(sig) == n);
    FUZZ_CHECK(memcmp(v, dedup_signature_values(again), k * sizeof *v) == 0);
    FUZZ_CHECK(dedup_signature_set_size(again) == n);
    if (fresh) {
        FUZZ_CHECK(dedup_signature_set_size(fresh) == n);
        FUZZ_CHECK(memcmp(v, dedup_signature_values(fresh), k * sizeof *v) == 0);
    }
    double j = -1.0;
    FUZZ_OK(dedup_signature_jaccard(sig, again, &j));
    if (n) {
        for (size_t i = 0; i < k; i++)
            FUZZ_CHECK(v[i] != UINT32_MAX);
        FUZZ_CHECK(j == 1.0);
    } else {
        FUZZ_CHECK(j == 0.0);
    }
    dedup_signature_free(sig);
    dedup_signature_free(again);
}

/* dedup_site_of: a span of the text; of an address, a host without the
 * characters that end it or come before it. */
static void check_site(const char *text, size_t size)
{
    const char *site = NULL;
    size_t n = 0;
    FUZZ_OK(dedup_site_of(text, size, &site, &n));
    FUZZ_CHECK(site >= text && n <= size && (size_t)(site - text) <= size - n);
    if (site == text && n == size)
        return; /* a name of its own: whole */
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(site[i] != '/' && site[i] != '?' && site[i] != '#' && site[i] != '@' &&
                   site[i] != '\\');
}

/* Line statistics from the text itself, split into documents at form
 * feeds, so that lines repeated across those parts count as boilerplate. */
static dedup_linestats *stats_of(const char *text, size_t len)
{
    dedup_linestats *ls = NULL;
    FUZZ_OK(dedup_linestats_create(&ls, 64));
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *ff = memchr(p, '\f', (size_t)(end - p));
        const char *e = ff ? ff : end;
        FUZZ_OK(dedup_linestats_add(ls, p, (size_t)(e - p)));
        p = ff ? ff + 1 : end;
    }
    return ls;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct param_set *set = &sets[0];
    int flags = DEDUP_NORM_DEFAULT, hangul = 1, use_stats = 0, lists = 1;
    int quotes = DEDUP__QUOTES_DEFAULT;
    if (size >= 2) {
        set = &sets[data[0] % NSETS];
        flags = data[1] & DEDUP_NORM_ALL;
        hangul = (data[1] >> 3) & 1;
        use_stats = (data[1] >> 4) & 1;
        lists = !((data[1] >> 5) & 1);
        quotes = data[1] >> 6 ? (data[1] >> 6) - 1 : DEDUP__QUOTES_DEFAULT;
        data += 2;
        size -= 2;
    }
    const char *text = (const char *)data;

    check_reference(flags, data, size);
    check_quotations(text, size, quotes);
    check_site(text, size);

    dedup_params *p = make_params(set, flags, hangul, lists, quotes);
    dedup_hasher *h = NULL, *fresh_h = NULL;
    FUZZ_OK(dedup_hasher_create(&h, p));
    FUZZ_OK(dedup_hasher_create(&fresh_h, p));
    dedup_linestats *ls = NULL;
    if (use_stats) {
        ls = stats_of(text, size);
        FUZZ_OK(dedup_hasher_set_linestats(h, ls, 2));
        FUZZ_OK(dedup_hasher_set_linestats(fresh_h, ls, 2));
    }

    /* A fresh hasher's signature: the reference for the reused one. */
    dedup_signature *fresh = NULL;
    FUZZ_OK(dedup_signature_create(&fresh, p));
    FUZZ_OK(dedup_hasher_sign(fresh_h, text, size, fresh));

    /* Warm h up on other text first (a suffix, then a prefix), so that its
     * buffers hold stale content of another size. */
    size_t half = size / 2;
    dedup_signature *scratch = NULL;
    FUZZ_OK(dedup_signature_create(&scratch, p));
    FUZZ_OK(dedup_hasher_sign(h, text + half, size - half, scratch));
    dedup_signature_free(scratch);

    const char *norm;
    size_t norm_len;
    FUZZ_OK(dedup_hasher_normalize(h, text, half, &norm, &norm_len));
    check_normalized((const unsigned char *)norm, norm_len);
    FUZZ_OK(dedup_hasher_normalize(h, text, size, &norm, &norm_len));
    check_normalized((const unsigned char *)norm, norm_len);

    const dedup_token *tok;
    size_t ntok;
    const char *norm2;
    size_t norm2_len;
    FUZZ_OK(dedup_hasher_tokenize(h, text, size, &norm2, &norm2_len, &tok, &ntok));
    /* Tokenizing leaves out the lines and quotations shingling does; with
     * none left out it sees the normalized text itself. */
    if (h->lines_dropped == 0 && !h->quotes_stripped)
        FUZZ_CHECK(norm2_len == norm_len);
    check_tokens(h, norm2, norm2_len, tok, ntok);

    const uint64_t *sh;
    size_t nsh;
    FUZZ_OK(dedup_hasher_shingles(h, text, size, &sh, &nsh));
    FUZZ_CHECK(h->tk.ntokens == ntok);
    /* h->tk now holds the tokens of the text that was shingled: with line
     * statistics, the text without its boilerplate lines. */
    int chars = h->tk.nchar_tokens * 2 > h->tk.ntokens;
    size_t nnum = 0;
    for (size_t i = 0; !chars && i < h->tk.ntokens; i++) {
        const char *t = (const char *)h->nz.out + h->tk.tokens[i].offset;
        size_t d = 0;
        while (d < h->tk.tokens[i].length && t[d] >= '0' && t[d] <= '9')
            d++;
        nnum += d == h->tk.tokens[i].length;
    }
    /* Text shingled by characters takes the Hangul size when most of its
     * character tokens are Hangul syllables. */
    unsigned width = !chars                                         ? h->word_n
                     : h->tk.nhangul_tokens * 2 > h->tk.nchar_tokens ? h->hangul_n
                                                                     : h->char_n;
    FUZZ_CHECK(h->tk.nhangul_tokens <= h->tk.nchar_tokens && width == h->n);
    check_shingles(sh, nsh, h->tk.ntokens, nnum, width);
    if (h->lines_dropped == 0)
        FUZZ_CHECK(h->tk.ntokens == ntok);

    check_signature(h, p, text, size, fresh);

    dedup_signature_free(fresh);
    dedup_hasher_free(h);
    dedup_hasher_free(fresh_h);
    dedup_linestats_free(ls);
    dedup_params_free(p);
    return 0;
}
