/*
 * test-adversarial.c - hostile and degenerate input through the public
 * pipeline and batch clustering: documents made only of punctuation, emoji,
 * combining marks or one repeated word; deeply invalid UTF-8; NUL bytes;
 * CRLF line ends, a missing final newline, a byte order mark; one huge
 * line; very many empty or identical documents.
 *
 * Each case checks what the result must be (not only that a call
 * returned), and that the hasher's buffers stay within a fixed multiple of
 * the input size (memory_bound below explains the multiple). Speed is
 * measured by bench/bench-adversarial, never here.
 *
 * Usage: test-adversarial [--slow]. Without an argument the inputs are a
 * few MiB and the batches tens of thousands of documents (a few seconds
 * under the sanitizers); --slow runs the full-size cases (a 100 MiB line,
 * a million empty and a million identical documents), registered in the
 * 'slow' suite.
 */
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "hasher.h"
#include "tap.h"
#include "utf8.h"

static int slow;

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    /* xorshift64*, fixed seed: every run sees the same input. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

/* ------------------------------------------------------------ helpers */

/* Bytes held by the hasher's reusable buffers. */
static size_t hasher_bytes(const dedup_hasher *h)
{
    return h->nz.out_cap + h->nz.span_cap + h->nz.cps_cap * sizeof(utf8proc_int32_t) +
           h->tk.tokens_cap * sizeof(dedup_token) + h->sh.set_cap * sizeof(uint64_t) +
           h->sh.table_cap * sizeof(uint64_t) + h->mh_scratch_cap + h->kept_cap;
}

/*
 * The most a document of len bytes, normalized to norm bytes, may make the
 * hasher hold. Every buffer grows by doubling, so holds up to twice its
 * need; per byte of input (L) or normalized text (N):
 *   normalized text: N, plus room for the input still to come: 2 (N + L);
 *   the span re-encoded for utf8proc: 3 bytes per input byte: 6 L;
 *   code points from utf8proc: 4 bytes each, fewer than L + N: 8 (L + N);
 *   tokens: 24 bytes, at most one per 2 bytes of normalized text (a letter
 *     and a separator), and the tokenizer reserves N / 4: 24 N;
 *   shingles: 8 bytes per token, the table 2 to 4 slots per shingle: 24 N;
 *   the text without boilerplate lines: 2 L.
 * That is under 64 (L + N); 64 KiB more covers the starting sizes. N is at
 * most 11 L (U+FDFA, 3 bytes, becomes 18 letters and spaces, 33 bytes) and
 * about L for real text, where the measured use is 14 to 26 bytes per
 * input byte (bench-adversarial prints it).
 */
static size_t memory_bound(size_t len, size_t norm)
{
    return 64 * (len + norm) + 65536;
}

static dedup_params *params_k(int64_t k)
{
    dedup_params *p = NULL;
    if (dedup_params_create(&p) != DEDUP_OK)
        abort();
    dedup_params_set(p, DEDUP_P_NUM_HASHES, k);
    return p;
}

/* Sign text with a fresh hasher; returns the signature (caller frees),
 * and in the optional outputs the hasher's buffer bytes, the number of
 * invalid sequences replaced and the normalized length. NULL on failure. */
static dedup_signature *sign_fresh(const dedup_params *p, const char *text, size_t len,
                                   size_t *bytes, size_t *replaced, size_t *norm)
{
    dedup_hasher *h = NULL;
    dedup_signature *sig = NULL;
    if (dedup_hasher_create(&h, p) != DEDUP_OK || dedup_signature_create(&sig, p) != DEDUP_OK ||
        dedup_hasher_sign(h, text, len, sig) != DEDUP_OK) {
        dedup_signature_free(sig);
        dedup_hasher_free(h);
        return NULL;
    }
    if (bytes)
        *bytes = hasher_bytes(h);
    if (replaced)
        *replaced = dedup_hasher_replaced(h);
    if (norm)
        *norm = h->nz.out_len;
    dedup_hasher_free(h);
    return sig;
}

/* Fill buf[0..len) by repeating piece. */
static void repeat(char *buf, size_t len, const char *piece)
{
    size_t pl = strlen(piece);
    for (size_t i = 0; i < len; i++)
        buf[i] = piece[i % pl];
}

static int same_values(const dedup_signature *a, const dedup_signature *b)
{
    return a && b && dedup_signature_set_size(a) == dedup_signature_set_size(b) &&
           memcmp(dedup_signature_values(a), dedup_signature_values(b),
                  dedup_signature_length(a) * sizeof(uint32_t)) == 0;
}

/* ----------------------------------------------------- odd documents */

/* Documents with no letters at all: the empty signature, similar to
 * nothing (themselves included), and small memory. */
static void test_no_letters(void)
{
    static const struct {
        const char *name, *piece;
    } cases[] = {
        {"punctuation", ".,;:!?-()[]{}\"'*&^%$#@/\\|~` \xe2\x80\x94\xe2\x80\x9c\xc2\xbb "},
        {"emoji", "\xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd\xe2\x80\x8d\xe2\x9d\xa4"
                  "\xef\xb8\x8f \xf0\x9f\x87\xb0\xf0\x9f\x87\xb7"},
        {"spaces and line breaks", " \t\r\n\v\f\xc2\xa0\xe3\x80\x80\xe2\x80\xa8"},
        {"control characters", "\x01\x02\x03\x1b\x7f\x00"},
        {"zero-width and BOM", "\xe2\x80\x8b\xef\xbb\xbf\xe2\x80\x8d\xc2\xad"},
    };
    dedup_params *p = params_k(128);
    size_t len = (size_t)1 << 20;
    char *buf = malloc(len);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        if (strcmp(cases[c].name, "control characters") == 0) {
            for (size_t i = 0; i < len; i++)
                buf[i] = cases[c].piece[i % 6];
        } else {
            repeat(buf, len, cases[c].piece);
        }
        size_t bytes = 0, norm = 0;
        dedup_signature *sig = sign_fresh(p, buf, len, &bytes, NULL, &norm);
        double j = 1.0;
        ok(sig && dedup_signature_set_size(sig) == 0 &&
               dedup_signature_jaccard(sig, sig, &j) == DEDUP_OK && j == 0.0,
           "only %s (1 MiB): the empty signature, similar to nothing", cases[c].name);
        ok(bytes <= memory_bound(len, norm), "only %s: hasher holds %zu bytes for %zu",
           cases[c].name,
           bytes, len);
        dedup_signature_free(sig);
    }
    free(buf);
    dedup_params_free(p);
}

/* Combining marks with nothing to attach to: utf8proc sees the whole
 * megabyte as one slow span. The result must equal the reference and stay
 * bounded; marks are word characters, so there are shingles. */
static void test_combining_marks(void)
{
    size_t len = (size_t)1 << 20;
    char *buf = malloc(len);
    /* Six marks of different combining classes, so canonical reordering
     * has work to do; 2 bytes each. */
    repeat(buf, len, "\xcc\x81\xcc\xa3\xcc\x88\xcd\x85\xcc\x94\xd6\xb7");
    dedup_normalizer fast, ref;
    dedup__normalizer_init(&fast, DEDUP_NORM_DEFAULT);
    dedup__normalizer_init(&ref, DEDUP_NORM_DEFAULT);
    int rc1 = dedup__normalize(&fast, (const unsigned char *)buf, len);
    int rc2 = dedup__normalize_reference(&ref, (const unsigned char *)buf, len);
    ok(rc1 == DEDUP_OK && rc2 == DEDUP_OK && fast.out_len == ref.out_len &&
           memcmp(fast.out, ref.out, fast.out_len) == 0,
       "1 MiB of combining marks: fast path equals the reference (%zu bytes out)",
       fast.out_len);
    dedup__normalizer_release(&fast);
    dedup__normalizer_release(&ref);

    dedup_params *p = params_k(128);
    size_t bytes = 0, norm = 0;
    dedup_signature *sig = sign_fresh(p, buf, len, &bytes, NULL, &norm);
    ok(sig && dedup_signature_set_size(sig) > 0, "combining marks sign (%llu shingles)",
       sig ? (unsigned long long)dedup_signature_set_size(sig) : 0ULL);
    ok(bytes <= memory_bound(len, norm), "combining marks: hasher holds %zu bytes for %zu", bytes,
       len);
    /* With marks stripped, nothing is left. */
    dedup_params_set(p, DEDUP_P_NORMALIZE, DEDUP_NORM_ALL);
    dedup_signature *stripped = sign_fresh(p, buf, len, NULL, NULL, NULL);
    ok(stripped && dedup_signature_set_size(stripped) == 0,
       "combining marks with STRIP_MARKS: the empty signature");
    dedup_signature_free(sig);
    dedup_signature_free(stripped);
    dedup_params_free(p);
    free(buf);
}

/* Compatibility characters that NFKC expands into many letters: U+FDFA
 * (18 letters and spaces, four words) and U+3316 (six katakana, six
 * tokens). Memory follows the normalized text, up to 11 times the input;
 * the result must still equal the reference and be a handful of shingles. */
static void test_expansion(void)
{
    static const char *const pieces[] = {"\xef\xb7\xba ", "\xe3\x8c\x96"};
    static const uint64_t distinct[] = {4, 6};
    size_t len = (size_t)1 << 20;
    char *buf = malloc(len);
    for (size_t c = 0; c < 2; c++) {
        size_t pl = strlen(pieces[c]), n = len / pl * pl;
        repeat(buf, n, pieces[c]);
        size_t bytes = 0, norm = 0;
        dedup_signature *sig = sign_fresh(NULL, buf, n, &bytes, NULL, &norm);
        ok(sig && dedup_signature_set_size(sig) == distinct[c] && norm > 4 * n,
           "expanding character %zu: %llu shingles, %zu bytes normalized from %zu", c,
           sig ? (unsigned long long)dedup_signature_set_size(sig) : 0ULL, norm, n);
        ok(bytes <= memory_bound(n, norm), "expanding character %zu: hasher holds %zu bytes",
           c, bytes);
        dedup_signature_free(sig);
        dedup_normalizer fast, ref;
        dedup__normalizer_init(&fast, DEDUP_NORM_DEFAULT);
        dedup__normalizer_init(&ref, DEDUP_NORM_DEFAULT);
        int rc1 = dedup__normalize(&fast, (const unsigned char *)buf, 4096 * pl);
        int rc2 = dedup__normalize_reference(&ref, (const unsigned char *)buf, 4096 * pl);
        ok(rc1 == DEDUP_OK && rc2 == DEDUP_OK && fast.out_len == ref.out_len &&
               memcmp(fast.out, ref.out, fast.out_len) == 0,
           "expanding character %zu: fast path equals the reference", c);
        dedup__normalizer_release(&fast);
        dedup__normalizer_release(&ref);
    }
    free(buf);
}

/* One word repeated: a fixed number of distinct shingles whatever the
 * length (one, or two for a two-syllable Korean word, whose syllables are
 * tokens: the 4-grams alternate between two orders), and two such
 * documents of different lengths are identical. */
static void test_repeated_word(void)
{
    static const char *const words[] = {"news ", "\xeb\x89\xb4\xec\x8a\xa4 ",
                                        "\xe6\x96\xb0", "a "};
    static const uint64_t distinct[] = {1, 2, 1, 1};
    dedup_params *p = params_k(128);
    size_t len = (size_t)2 << 20;
    char *buf = malloc(len);
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        /* Cut at a whole number of repetitions. */
        size_t wl = strlen(words[w]), n = len / wl * wl;
        repeat(buf, n, words[w]);
        size_t bytes = 0, norm = 0;
        dedup_signature *big = sign_fresh(p, buf, n, &bytes, NULL, &norm);
        dedup_signature *small = sign_fresh(p, buf, wl * 40, NULL, NULL, NULL);
        double j = 0.0;
        ok(big && dedup_signature_set_size(big) == distinct[w] && same_values(big, small) &&
               dedup_signature_jaccard(big, small, &j) == DEDUP_OK && j == 1.0,
           "word %zu repeated over %zu bytes: %d shingle(s), same as 40 repetitions", w, n,
           (int)distinct[w]);
        ok(bytes <= memory_bound(n, norm), "word %zu repeated: hasher holds %zu bytes for %zu", w,
           bytes, n);
        dedup_signature_free(big);
        dedup_signature_free(small);
    }
    free(buf);
    dedup_params_free(p);
}

/* Deeply invalid UTF-8: random bytes, mostly in 0x80-0xFF. Every call
 * succeeds, output is well-formed, the replacement count matches a count
 * made here with the decoder, and the fast path equals the reference. */
static void test_invalid_utf8(void)
{
    size_t len = (size_t)1 << 20;
    unsigned char *buf = malloc(len);
    for (size_t i = 0; i < len; i++) {
        uint64_t r = rng();
        buf[i] = (unsigned char)((r & 7) ? 0x80 | (r >> 8) : r >> 16);
    }
    size_t bad_count = 0;
    for (const unsigned char *q = buf, *end = buf + len; q < end;) {
        size_t used;
        int bad;
        dedup__utf8_decode(q, end, &used, &bad);
        bad_count += bad;
        q += used;
    }
    dedup_hasher *h = NULL;
    dedup_hasher_create(&h, NULL);
    const char *norm = NULL;
    size_t norm_len = 0;
    int rc = dedup_hasher_normalize(h, (const char *)buf, len, &norm, &norm_len);
    int well_formed = rc == DEDUP_OK;
    for (const unsigned char *q = (const unsigned char *)norm, *end = q + norm_len;
         well_formed && q < end;) {
        size_t used;
        int bad;
        dedup__utf8_decode(q, end, &used, &bad);
        well_formed = !bad;
        q += used;
    }
    ok(well_formed, "1 MiB of invalid UTF-8 normalizes to well-formed text (%zu bytes)",
       norm_len);
    is_int(dedup_hasher_replaced(h), bad_count, "every ill-formed sequence counted once");
    ok(hasher_bytes(h) <= memory_bound(len, norm_len),
       "invalid UTF-8: hasher holds %zu bytes for %zu",
       hasher_bytes(h), len);
    dedup_normalizer ref;
    dedup__normalizer_init(&ref, DEDUP_NORM_DEFAULT);
    rc = dedup__normalize_reference(&ref, buf, len);
    ok(rc == DEDUP_OK && ref.out_len == norm_len && memcmp(ref.out, norm, norm_len) == 0 &&
           ref.replaced == bad_count,
       "invalid UTF-8: fast path equals the reference");
    dedup__normalizer_release(&ref);
    dedup_hasher_free(h);

    /* Truncated sequences at the very end of the buffer: the decoder must
     * not read past it (AddressSanitizer checks the exact-size copies). */
    static const char *const tails[] = {"\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xf4\x8f\xbf",
                                        "\xed\xa0"};
    for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
        size_t tl = strlen(tails[t]);
        char *exact = malloc(5 + tl);
        memcpy(exact, "text ", 5);
        memcpy(exact + 5, tails[t], tl);
        size_t replaced = 0;
        dedup_signature *sig = sign_fresh(NULL, exact, 5 + tl, NULL, &replaced, NULL);
        ok(sig && replaced >= 1, "truncated sequence %zu at the end: %zu replaced", t,
           replaced);
        dedup_signature_free(sig);
        free(exact);
    }
    free(buf);
}

/* NUL bytes are control characters: removed, never a terminator. */
static void test_nul_bytes(void)
{
    static const char with_nul[] = "the council\0 approved\0 the new bus plan on tuesday";
    static const char without[] = "the council approved the new bus plan on tuesday";
    dedup_signature *a = sign_fresh(NULL, with_nul, sizeof with_nul - 1, NULL, NULL, NULL);
    dedup_signature *b = sign_fresh(NULL, without, sizeof without - 1, NULL, NULL, NULL);
    dedup_signature *cut = sign_fresh(NULL, with_nul, strlen(with_nul), NULL, NULL, NULL);
    ok(same_values(a, b), "NUL bytes between words change nothing");
    ok(!same_values(a, cut), "text after a NUL byte counts");
    dedup_signature_free(a);
    dedup_signature_free(b);
    dedup_signature_free(cut);

    /* A document of NUL bytes only is empty. */
    size_t len = (size_t)1 << 20;
    char *zeros = calloc(len, 1);
    size_t bytes = 0, norm = 0;
    dedup_signature *z = sign_fresh(NULL, zeros, len, &bytes, NULL, &norm);
    ok(z && dedup_signature_set_size(z) == 0, "1 MiB of NUL bytes: the empty signature");
    ok(bytes <= memory_bound(len, norm), "NUL bytes: hasher holds %zu bytes for %zu", bytes, len);
    dedup_signature_free(z);
    free(zeros);
}

/* Line ends and a byte order mark: the same article, with LF, CRLF, CR, no
 * final newline, or a leading BOM, gives the same signature, with and
 * without boilerplate statistics. */
static void test_line_ends(void)
{
    static const char *const forms[] = {
        "Seoul council approves bus plan\nThe plan adds twelve routes.\n"
        "Fares drop for students.\nALSO READ: weather\n",
        "Seoul council approves bus plan\r\nThe plan adds twelve routes.\r\n"
        "Fares drop for students.\r\nALSO READ: weather\r\n",
        "Seoul council approves bus plan\rThe plan adds twelve routes.\r"
        "Fares drop for students.\rALSO READ: weather\r",
        "Seoul council approves bus plan\nThe plan adds twelve routes.\n"
        "Fares drop for students.\nALSO READ: weather",
        "\xef\xbb\xbfSeoul council approves bus plan\nThe plan adds twelve routes.\n"
        "Fares drop for students.\nALSO READ: weather\n",
        "\xef\xbb\xbf\xef\xbb\xbfSeoul council approves bus plan\r\nThe plan adds twelve "
        "routes.\r\nFares drop for students.\r\nALSO READ: weather",
    };
    static const char *const names[] = {"LF", "CRLF", "CR", "no final newline", "BOM",
                                        "two BOMs, CRLF, no final newline"};
    dedup_signature *ref = sign_fresh(NULL, forms[0], strlen(forms[0]), NULL, NULL, NULL);
    for (size_t f = 1; f < sizeof forms / sizeof forms[0]; f++) {
        dedup_signature *s = sign_fresh(NULL, forms[f], strlen(forms[f]), NULL, NULL, NULL);
        ok(same_values(ref, s), "%s: same signature as LF", names[f]);
        dedup_signature_free(s);
    }
    dedup_signature_free(ref);

    /* Boilerplate statistics see CRLF lines and LF lines as the same lines,
     * and a last line without a newline as a line. */
    dedup_linestats *ls = NULL;
    dedup_linestats_create(&ls, 1024);
    dedup_linestats_add(ls, forms[0], strlen(forms[0]));
    dedup_linestats_add(ls, forms[1], strlen(forms[1]));
    dedup_linestats_add(ls, forms[3], strlen(forms[3]));
    is_int(dedup_linestats_count(ls, "ALSO READ: weather", 18), 3,
           "a line counts the same with LF, CRLF and no final newline");
    dedup_linestats_free(ls);
}

/* One huge line, no line break at all: a single line for the boilerplate
 * filter, words for the tokenizer. */
static void test_huge_line(size_t len)
{
    char *buf = malloc(len);
    static const char *const words[] = {"council", "approved", "the", "bus", "plan",
                                        "routes", "fares", "students", "seoul", "tuesday",
                                        "officials", "said", "new", "city", "twelve", "cut"};
    size_t i = 0;
    while (i < len) {
        const char *w = words[rng() % 16];
        size_t wl = strlen(w);
        if (i + wl + 1 > len)
            break;
        memcpy(buf + i, w, wl);
        buf[i + wl] = ' ';
        i += wl + 1;
    }
    memset(buf + i, 'x', len - i);
    dedup_params *p = params_k(128);
    dedup_hasher *h = NULL;
    dedup_signature *sig = NULL;
    dedup_linestats *ls = NULL;
    dedup_hasher_create(&h, p);
    dedup_signature_create(&sig, p);
    dedup_linestats_create(&ls, 1024);
    int rc_ls = dedup_linestats_add(ls, buf, len);
    dedup_linestats_add(ls, buf, len);
    dedup_hasher_set_linestats(h, ls, 2);
    int rc = dedup_hasher_sign(h, buf, len, sig);
    ok(rc == DEDUP_OK && rc_ls == DEDUP_OK && dedup_signature_set_size(sig) > 1000,
       "a %zu MiB single line signs (%llu shingles)", len >> 20,
       (unsigned long long)dedup_signature_set_size(sig));
    /* The line is in both documents, but longer than any boilerplate line
     * can be, so it is not even counted as one. */
    is_int(h->lines_dropped, 0, "a line of %zu bytes is never boilerplate", len);
    ok(hasher_bytes(h) <= memory_bound(len, h->nz.out_len),
       "huge line: hasher holds %zu bytes for %zu",
       hasher_bytes(h), len);

    /* After the huge document, a small one: the buffers are reused, not
     * grown, and the result is that of a fresh hasher. */
    size_t before = hasher_bytes(h);
    dedup_hasher_set_linestats(h, NULL, 0);
    dedup_hasher_sign(h, "a small document after it", 25, sig);
    dedup_signature *fresh = sign_fresh(p, "a small document after it", 25, NULL, NULL, NULL);
    ok(hasher_bytes(h) == before && same_values(sig, fresh),
       "a small document after it: no growth, same signature as a fresh hasher");
    dedup_signature_free(fresh);

    /* One word as long as the whole text: one token, one shingle. */
    memset(buf, 'w', len);
    rc = dedup_hasher_sign(h, buf, len, sig);
    ok(rc == DEDUP_OK && dedup_signature_set_size(sig) == 1,
       "a %zu MiB single word: one shingle", len >> 20);
    ok(hasher_bytes(h) <= memory_bound(len, h->nz.out_len), "single word: hasher holds %zu bytes",
       hasher_bytes(h));
    dedup_linestats_free(ls);
    dedup_signature_free(sig);
    dedup_hasher_free(h);
    dedup_params_free(p);
    free(buf);
}

/* --------------------------------------------------------- batches */

/* n empty documents: no candidates at all, n singleton clusters. */
static void test_many_empty(size_t n)
{
    dedup_params *p = params_k(16);
    dedup_batch *b = NULL;
    dedup_batch_create(&b, p);
    int rc = dedup_batch_resize(b, n);
    dedup__edgevec pairs = {0};
    dedup__pair_stats st;
    int rc2 = dedup__batch_pairs(b, 2, &pairs, &st);
    ok(rc == DEDUP_OK && rc2 == DEDUP_OK && st.proposed == 0 && pairs.n == 0,
       "%zu empty documents: no candidates", n);
    dedup__edgevec_release(&pairs);
    dedup_clusters *c = NULL;
    rc = dedup_batch_cluster(&c, b, 2);
    int alone = rc == DEDUP_OK && dedup_clusters_count(c) == n;
    for (size_t i = 0; alone && i < n; i += 997)
        alone = dedup_clusters_of(c, i) == i && dedup_clusters_size_of(c, i) == 1;
    ok(alone, "%zu empty documents: %zu clusters of one", n, dedup_clusters_count(c));
    dedup_clusters_free(c);
    dedup_batch_free(b);
    dedup_params_free(p);
}

/* n identical documents: one cluster, and a number of candidate pairs
 * linear in n. A run of equal band keys longer than DEDUP__RUN_FULL pairs
 * each member with the first DEDUP__RUN_LEADERS members and its
 * predecessor, and every band gives the same pairs here, so there are at
 * most n * (DEDUP__RUN_LEADERS + 1) distinct pairs instead of n^2 / 2. */
static void test_many_identical(size_t n, int64_t k, dedup_cluster_mode mode)
{
    dedup_params *p = params_k(k);
    dedup_params_set(p, DEDUP_P_CLUSTER_MODE, mode);
    dedup_hasher *h = NULL;
    dedup_signature *sig = NULL;
    dedup_batch *b = NULL;
    dedup_hasher_create(&h, p);
    dedup_signature_create(&sig, p);
    static const char story[] = "the council approved a new bus plan on tuesday, adding "
                                "twelve routes and cutting fares for students";
    dedup_hasher_sign(h, story, sizeof story - 1, sig);
    dedup_batch_create(&b, p);
    int rc = dedup_batch_resize(b, n);
    for (size_t i = 0; i < n && rc == DEDUP_OK; i++)
        rc = dedup_batch_set(b, i, sig);
    dedup__edgevec pairs = {0};
    dedup__pair_stats st = {0};
    if (rc == DEDUP_OK)
        rc = dedup__batch_pairs(b, 2, &pairs, &st);
    ok(rc == DEDUP_OK && pairs.n <= n * (DEDUP__RUN_LEADERS + 1),
       "%zu identical documents (mode %d): %zu verified pairs, at most %zu", n, mode, pairs.n,
       n * (DEDUP__RUN_LEADERS + 1));
    /* Long runs may propose their neighbour pairs again in each band: the
     * comparisons stay linear in n, at most once per band. */
    unsigned bands = 0, rows = 0;
    dedup_params_lsh(p, &bands, &rows);
    ok(st.compared <= (uint64_t)n * (DEDUP__RUN_LEADERS + 1) * bands,
       "%zu identical documents (mode %d): %llu comparisons", n, mode,
       (unsigned long long)st.compared);
    dedup__edgevec_release(&pairs);
    dedup_clusters *c = NULL;
    rc = dedup_batch_cluster(&c, b, 2);
    int one = rc == DEDUP_OK && dedup_clusters_count(c) == 1 &&
              dedup_clusters_size_of(c, n - 1) == n;
    for (size_t i = 0; one && i < n; i += 991)
        one = dedup_clusters_of(c, i) == 0;
    ok(one, "%zu identical documents (mode %d): one cluster", n, mode);
    dedup_clusters_free(c);
    dedup_batch_free(b);
    dedup_signature_free(sig);
    dedup_hasher_free(h);
    dedup_params_free(p);
}

int main(int argc, char **argv)
{
    slow = argc > 1 && strcmp(argv[1], "--slow") == 0;
    if (!slow) {
        test_no_letters();
        test_combining_marks();
        test_repeated_word();
        test_expansion();
        test_invalid_utf8();
        test_nul_bytes();
        test_line_ends();
        test_huge_line((size_t)4 << 20);
        test_many_empty(50000);
        test_many_identical(20000, 128, DEDUP_CLUSTER_REPRESENTATIVE);
        test_many_identical(20000, 128, DEDUP_CLUSTER_TRANSITIVE);
    } else {
        test_huge_line((size_t)100 << 20);
        test_many_empty(1000000);
        test_many_identical(1000000, 16, DEDUP_CLUSTER_REPRESENTATIVE);
        test_many_identical(1000000, 16, DEDUP_CLUSTER_TRANSITIVE);
    }
    return tap_done();
}
