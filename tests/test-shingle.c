/*
 * test-shingle.c - tokenization and shingling: the token rules of each
 * script, golden vectors (tokens and shingle hashes that must never change
 * within a format version, on any platform), the set rules (no repeats,
 * short and empty texts), traditional/simplified Chinese giving the same
 * shingles, large inputs (a 1 MiB token, 16 MiB of text) and lists of
 * links left out.
 *
 * Run with DEDUP_GOLDEN_PRINT=1 to print the current golden values.
 */
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "hasher.h"
#include "tokenize.h"
#include "tap.h"

static int print_golden;

static dedup_hasher *make_hasher(void)
{
    dedup_hasher *h = NULL;
    if (dedup_hasher_create(&h, NULL) != DEDUP_OK)
        abort();
    return h;
}

/* Tokens of text joined with '|'. */
static char *token_string(dedup_hasher *h, const char *text)
{
    const char *norm;
    size_t nlen, n;
    const dedup_token *t;
    if (dedup_hasher_tokenize(h, text, strlen(text), &norm, &nlen, &t, &n) != DEDUP_OK)
        return NULL;
    size_t cap = nlen + n + 1;
    char *s = malloc(cap);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            s[k++] = '|';
        memcpy(s + k, norm + t[i].offset, t[i].length);
        k += t[i].length;
    }
    s[k] = 0;
    return s;
}

static void check_tokens(dedup_hasher *h, const char *text, const char *want, const char *what)
{
    char *got = token_string(h, text);
    if (!ok(got && strcmp(got, want) == 0, "tokens: %s", what))
        printf("#   got %s\n#   want %s\n", got ? got : "(error)", want);
    free(got);
}

static void token_rules(void)
{
    dedup_hasher *h = make_hasher();
    check_tokens(h, "The U.S. economy grew 2.5% in Q3, officials said.",
                 "the|u|s|economy|grew|2|5|in|q3|officials|said", "English, numbers kept");
    check_tokens(h, "Café “Olé” — naïve résumé", "café|olé|naïve|résumé",
                 "accented Latin words stay whole, quotation marks separate");
    check_tokens(h, "東京都は7日、新型の発表をした。", "东|京|都|は|7|日|新|型|の|発|表|を|し|た",
                 "Japanese: one token per character (traditional forms folded)");
    check_tokens(h, "国务院总理在北京会见外宾。", "国|务|院|总|理|在|北|京|会|见|外|宾",
                 "Chinese: one token per character");
    check_tokens(h, "서울시는 7일 발표했다", "서|울|시|는|7|일|발|표|했|다",
                 "Korean: one token per syllable by default");
    check_tokens(h, "ภาษาไทย", "ภ|า|ษ|า|ไ|ท|ย", "Thai: one token per character");
    check_tokens(h, "ｶﾞｷﾞ", "ガ|ギ", "half-width katakana with sound marks composes");
    check_tokens(h, "Москва сообщила", "москва|сообщила", "Cyrillic words");
    check_tokens(h, "...!!! --- ???", "", "punctuation only: no tokens");
    dedup_hasher_free(h);

    dedup_params *p;
    dedup_params_create(&p);
    dedup_params_set(p, DEDUP_P_HANGUL_CHARS, 0);
    dedup_hasher_create(&h, p);
    check_tokens(h, "서울시는 7일 발표했다", "서울시는|7일|발표했다",
                 "Korean as words with DEDUP_P_HANGUL_CHARS 0");
    dedup_hasher_free(h);
    dedup_params_free(p);
}

static void token_hashes(void)
{
    dedup_hasher *h = make_hasher();
    const char *text = "Seoul, Dec 7 (Yonhap) -- 국회는 本日 votes";
    const char *norm;
    size_t nlen, n;
    const dedup_token *t;
    dedup_hasher_tokenize(h, text, strlen(text), &norm, &nlen, &t, &n);
    int good = n > 0, words = 0;
    for (size_t i = 0; i < n; i++) {
        int letters = 1;
        for (size_t j = 0; j < t[i].length; j++) {
            unsigned char c = (unsigned char)norm[t[i].offset + j];
            letters &= c >= 'a' && c <= 'z';
        }
        words += letters;
        if (!letters)
            good &= t[i].hash == XXH3_64bits_withSeed(norm + t[i].offset, t[i].length, 0);
    }
    ok(good && words == 4, "tokens other than ASCII words: XXH3 of the bytes with the seed");

    /* ASCII words are hashed by their sets of letters. */
    static const char *const same[][2] = {
        {"receive", "recieve"},   /* neighbours swapped */
        {"receive", "receeive"},  /* a letter doubled */
        {"receive", "recive"},    /* a repeated letter dropped */
        {"Seoul", "SEOUL"},       /* case folded first */
        {"listen", "silent"},     /* same letters: the price of the key */
    };
    static const char *const differ[][2] = {
        {"votes", "notes"}, {"vote", "votes"}, {"2024", "2042"}, {"a320", "a302"},
        {"café", "cafe"}, {"café", "caéf"},
    };
    uint64_t x, y;
    int same_ok = 1, differ_ok = 1;
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        dedup_hasher_tokenize(h, same[i][0], strlen(same[i][0]), NULL, NULL, &t, &n);
        x = n == 1 ? t[0].hash : 0;
        dedup_hasher_tokenize(h, same[i][1], strlen(same[i][1]), NULL, NULL, &t, &n);
        y = n == 1 ? t[0].hash : 1;
        same_ok &= x == y;
    }
    ok(same_ok, "a typo that keeps a word's set of letters keeps its hash");
    for (size_t i = 0; i < sizeof differ / sizeof differ[0]; i++) {
        dedup_hasher_tokenize(h, differ[i][0], strlen(differ[i][0]), NULL, NULL, &t, &n);
        x = n == 1 ? t[0].hash : 0;
        dedup_hasher_tokenize(h, differ[i][1], strlen(differ[i][1]), NULL, NULL, &t, &n);
        y = n == 1 ? t[0].hash : 0;
        differ_ok &= x != y;
    }
    ok(differ_ok, "other letters, digits in any order, non-ASCII letters: other hashes");
    dedup_hasher_free(h);
}

typedef struct {
    const char *name;
    const char *text;
    size_t count;        /* distinct shingles */
    uint64_t first;      /* first shingle */
    uint64_t sum;        /* sum of all shingle hashes, mod 2^64 */
} golden;

static const golden goldens[] = {
    {"English", "Prime Minister Kishida told reporters on Tuesday that the government "
                "would raise the minimum wage by 3.5 percent next year.", 0, 0, 0},
    {"Korean", "정부는 내년 최저임금을 3.5% 인상하겠다고 화요일 밝혔다.", 0, 0, 0},
    {"Japanese", "岸田首相は火曜日、来年の最低賃金を3.5%引き上げると記者団に語った。", 0, 0, 0},
    {"Chinese", "岸田首相周二对记者表示，政府明年将把最低工资提高3.5%。", 0, 0, 0},
    {"mixed", "Samsung 삼성전자 shares rose 2% in Tokyo 東京 trading on Friday.", 0, 0, 0},
};

/* Expected values; see the file comment for how they were produced. */
static const uint64_t golden_values[][3] = {
#include "data/golden-shingles.inc"
};

static void golden_vectors(void)
{
    dedup_hasher *h = make_hasher();
    for (size_t g = 0; g < sizeof goldens / sizeof goldens[0]; g++) {
        const uint64_t *s;
        size_t n;
        int rc = dedup_hasher_shingles(h, goldens[g].text, strlen(goldens[g].text), &s, &n);
        uint64_t sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += s[i];
        if (print_golden) {
            printf("{%zuu, 0x%016llxULL, 0x%016llxULL}, /* %s */\n", n,
                   (unsigned long long)(n ? s[0] : 0), (unsigned long long)sum,
                   goldens[g].name);
            continue;
        }
        ok(rc == DEDUP_OK && n == golden_values[g][0] && n && s[0] == golden_values[g][1] &&
               sum == golden_values[g][2],
           "golden shingles: %s", goldens[g].name);
    }
    dedup_hasher_free(h);
}

static int has_repeats(const uint64_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (s[i] == s[j])
                return 1;
    return 0;
}

static void set_rules(void)
{
    dedup_hasher *h = make_hasher();
    const uint64_t *s;
    size_t n;
    const char *rep = "the cat sat on the mat the cat sat on the mat the cat sat on the mat";
    dedup_hasher_shingles(h, rep, strlen(rep), &s, &n);
    ok(n == 6 && !has_repeats(s, n), "repeated text gives each shingle once (%zu)", n);

    dedup_hasher_shingles(h, "breaking news", 13, &s, &n);
    uint64_t short_one = n == 1 ? s[0] : 0;
    ok(n == 1, "fewer tokens than the shingle size give one shingle");
    const dedup_token *t;
    size_t nt;
    const char *norm;
    size_t nlen;
    dedup_hasher_tokenize(h, "breaking news", 13, &norm, &nlen, &t, &nt);
    ok(nt == 2 && short_one == dedup__shingle_hash(t, 2),
       "that shingle combines all the tokens");

    /* The rolling combination gives each shingle's direct hash. */
    const char *roll = "one two three four five six seven eight nine ten eleven twelve";
    dedup_hasher_tokenize(h, roll, strlen(roll), &norm, &nlen, &t, &nt);
    uint64_t direct[16];
    size_t w = h->word_n;
    for (size_t i = 0; i + w <= nt; i++)
        direct[i] = dedup__shingle_hash(t + i, w);
    dedup_hasher_shingles(h, roll, strlen(roll), &s, &n);
    ok(nt == 12 && n == 12 - w + 1 && memcmp(s, direct, n * 8) == 0,
       "rolling shingle hashes equal the direct combination");

    dedup_hasher_shingles(h, "word", 4, &s, &n);
    ok(n == 1, "a single token gives one shingle");
    dedup_hasher_shingles(h, "", 0, &s, &n);
    ok(n == 0, "empty text gives the empty set");
    dedup_hasher_shingles(h, " \t\n...!?", 8, &s, &n);
    ok(n == 0, "punctuation and spaces give the empty set");
    dedup_hasher_shingles(h, "\0\0\0", 3, &s, &n);
    ok(n == 0, "NUL bytes alone give the empty set");

    /* Order matters within a shingle. */
    uint64_t a1, a2;
    dedup_hasher_shingles(h, "alpha beta gamma delta epsilon", 30, &s, &n);
    a1 = s[0];
    dedup_hasher_shingles(h, "beta alpha gamma delta epsilon", 30, &s, &n);
    a2 = s[0];
    ok(n == 5 - h->word_n + 1 && a1 != a2, "swapping two tokens changes the shingle");

    /* Case, quotes, spaces and widths do not matter. */
    uint64_t x[64], y[64];
    size_t nx, ny;
    const char *v1 = "The  “Bank of Korea” said   it would HOLD rates at 3.5%.";
    const char *v2 = "the \"bank of korea\" said it would hold rates at ３.５%";
    dedup_hasher_shingles(h, v1, strlen(v1), &s, &nx);
    memcpy(x, s, nx * 8);
    dedup_hasher_shingles(h, v2, strlen(v2), &s, &ny);
    memcpy(y, s, ny * 8);
    ok(nx == ny && memcmp(x, y, nx * 8) == 0,
       "case, quote style, spacing and full-width digits do not change shingles");
    dedup_hasher_free(h);
}

/* Each number adds DEDUP__NUMBER_WEIGHT members, the same for the same
 * digits whatever separates their groups; other numbers, other members. */
static int has(const uint64_t *s, size_t n, uint64_t v)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == v)
            return 1;
    return 0;
}

static void numbers(void)
{
    dedup_hasher *h = make_hasher();
    const uint64_t *s;
    size_t n, shared = 0;
    uint64_t a[32];
    const char *one = "the plan could affect 3,772 people in the region";
    dedup_hasher_shingles(h, one, strlen(one), &s, &n);
    ok(n == 7 + DEDUP__NUMBER_WEIGHT, "a number adds %d members (%zu)", DEDUP__NUMBER_WEIGHT,
       n);
    size_t na = n;
    memcpy(a, s, n * sizeof *s);
    const char *other = "figures: 3.772 and 14,348";
    dedup_hasher_shingles(h, other, strlen(other), &s, &n);
    for (size_t i = 0; i < na; i++)
        shared += has(s, n, a[i]);
    ok(n == 3 + 2 * DEDUP__NUMBER_WEIGHT && shared == DEDUP__NUMBER_WEIGHT,
       "the same number is the same members, another number other ones");
    dedup_params *p;
    dedup_params_create(&p);
    dedup_hasher *hz = NULL;
    dedup_hasher_create(&hz, p);
    const char *zh = "政府明年将把最低工资提高3.5%";
    int64_t cn = 0;
    dedup_params_get(p, DEDUP_P_CHAR_SHINGLE_SIZE, &cn);
    dedup_hasher_shingles(hz, zh, strlen(zh), &s, &n);
    ok(n == (size_t)(14 - cn + 1), "text shingled by characters: numbers add nothing (%zu)", n);
    dedup_hasher_free(hz);
    dedup_params_free(p);
    dedup_hasher_free(h);
}

static void sign_given_shingles(void)
{
    dedup_hasher *h = make_hasher();
    dedup_signature *a, *b, *c;
    dedup_signature_create(&a, NULL);
    dedup_signature_create(&b, NULL);
    dedup_signature_create(&c, NULL);
    uint64_t set[5] = {11, 22, 33, 44, 0};
    uint64_t rep[9] = {33, 11, 22, 11, 33, 44, 0, 0, 22};
    dedup_hasher_sign_shingles(h, set, 5, a);
    dedup_hasher_sign_shingles(h, rep, 9, b);
    ok(dedup_signature_set_size(b) == 5 &&
           memcmp(dedup_signature_values(a), dedup_signature_values(b), 128 * 4) == 0,
       "repeated shingles count once, in the values and the set size");
    const char *text = "one two three four five six seven eight";
    const uint64_t *s;
    size_t n;
    dedup_hasher_shingles(h, text, strlen(text), &s, &n);
    ok(dedup_hasher_sign_shingles(h, s, n, c) == DEDUP_OK && dedup_signature_set_size(c) == n,
       "the hasher's own shingle set can be signed directly");
    dedup_hasher_sign(h, text, strlen(text), a);
    ok(memcmp(dedup_signature_values(a), dedup_signature_values(c), 128 * 4) == 0,
       "and gives the signature of the text");
    dedup_signature_free(a);
    dedup_signature_free(b);
    dedup_signature_free(c);
    dedup_hasher_free(h);
}

static void traditional_simplified(void)
{
    /* The same sentence in traditional (Hong Kong / Taiwan sites) and
     * simplified characters (mainland sites). */
    const char *hant = "新華社北京電：國務院總理會見了來訪的歐洲議會代表團，雙方就經濟與貿易問題交換意見。";
    const char *hans = "新华社北京电：国务院总理会见了来访的欧洲议会代表团，双方就经济与贸易问题交换意见。";
    dedup_hasher *h = make_hasher();
    const uint64_t *s;
    size_t na, nb;
    uint64_t a[128];
    dedup_hasher_shingles(h, hant, strlen(hant), &s, &na);
    memcpy(a, s, na * 8);
    dedup_hasher_shingles(h, hans, strlen(hans), &s, &nb);
    ok(na > 20 && na == nb && memcmp(a, s, na * 8) == 0,
       "traditional and simplified copies give the same shingles (%zu)", na);
    dedup_hasher_free(h);

    dedup_params *p;
    dedup_params_create(&p);
    dedup_params_set(p, DEDUP_P_NORMALIZE, DEDUP_NORM_CASEFOLD);
    dedup_hasher_create(&h, p);
    dedup_hasher_shingles(h, hant, strlen(hant), &s, &na);
    memcpy(a, s, na * 8);
    dedup_hasher_shingles(h, hans, strlen(hans), &s, &nb);
    ok(na == nb && memcmp(a, s, na * 8) != 0, "without the flag they differ");
    dedup_hasher_free(h);
    dedup_params_free(p);
}

static void large_inputs(void)
{
    dedup_hasher *h = make_hasher();
    size_t len = 1u << 20;
    char *buf = malloc(16u << 20);
    memset(buf, 'x', len);
    const dedup_token *t;
    size_t nt;
    const char *norm;
    size_t nlen;
    int rc = dedup_hasher_tokenize(h, buf, len, &norm, &nlen, &t, &nt);
    ok(rc == DEDUP_OK && nt == 1 && t[0].length == len, "a 1 MiB token is one token");
    const uint64_t *s;
    size_t n;
    rc = dedup_hasher_shingles(h, buf, len, &s, &n);
    ok(rc == DEDUP_OK && n == 1, "and one shingle");

    /* 16 MiB of text: words from a small vocabulary, so the set is much
     * smaller than the shingle count. */
    static const char *const words[] = {"alpha", "beta", "gamma", "delta", "news", "wire"};
    size_t k = 0;
    uint64_t r = 7;
    while (k < (16u << 20) - 16) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        const char *w = words[(r >> 33) % 6];
        size_t l = strlen(w);
        memcpy(buf + k, w, l);
        k += l;
        buf[k++] = ' ';
    }
    rc = dedup_hasher_shingles(h, buf, k, &s, &n);
    ok(rc == DEDUP_OK && n > 1000 && n <= 6 * 6 * 6 * 6 * 6, "16 MiB of text: %zu shingles", n);
    free(buf);
    dedup_hasher_free(h);
}

/* The shingles of text, sorted, in a malloc'ed array. */
static uint64_t *sorted_shingles(dedup_hasher *h, const char *text, size_t *n)
{
    const uint64_t *s;
    if (dedup_hasher_shingles(h, text, strlen(text), &s, n) != DEDUP_OK)
        abort();
    uint64_t *c = malloc((*n ? *n : 1) * sizeof *c);
    memcpy(c, s, *n * sizeof *c);
    for (size_t i = 1; i < *n; i++)
        for (size_t j = i; j > 0 && c[j - 1] > c[j]; j--) {
            uint64_t t = c[j];
            c[j] = c[j - 1];
            c[j - 1] = t;
        }
    return c;
}

static int same_shingles(dedup_hasher *h, const char *a, const char *b)
{
    size_t na, nb;
    uint64_t *sa = sorted_shingles(h, a, &na), *sb = sorted_shingles(h, b, &nb);
    int same = na == nb && memcmp(sa, sb, na * sizeof *sa) == 0;
    free(sa);
    free(sb);
    return same;
}

/* Lists of links (DEDUP_P_LINK_LISTS): bulleted lines that are not
 * sentences go, with their heading; everything else stays. */
static void link_lists(void)
{
    dedup_hasher *h = make_hasher();
    const char *story = "The council approved the harbour plan on Monday after a long debate.\n"
                        "Work is due to start in the spring and last three years.";
    char buf[2048];

    snprintf(buf, sizeof buf,
             "%s\nMost read\n- Storm closes the coast road\n- Rail fares to rise in May\n"
             "- Mayor opens the new library",
             story);
    ok(same_shingles(h, buf, story), "a headed list of headlines after the story goes");
    {
        const char *norm;
        size_t nlen, nt, ns;
        const dedup_token *t;
        dedup_hasher_tokenize(h, story, strlen(story), &norm, &nlen, &t, &ns);
        dedup_hasher_tokenize(h, buf, strlen(buf), &norm, &nlen, &t, &nt);
        ok(nt == ns, "tokenize leaves the list out too (%zu tokens, %zu without it)", nt, ns);
    }
    snprintf(buf, sizeof buf,
             "Top stories\n\n* Storm closes the coast road\n\n* Rail fares to rise in May\n\n%s",
             story);
    ok(same_shingles(h, buf, story), "a list before the story goes, blank lines between items");
    snprintf(buf, sizeof buf,
             "%s\n\xE2\x96\xA0\xE9\x96\xA2\xE9\x80\xA3\xE8\xA8\x98\xE4\xBA\x8B\n"
             "\xE3\x83\xBB\xE6\x96\xB0\xE5\x9E\x8B\xE8\xBB\x8A\xE3\x82\x92\xE7\x99\xBA\xE8\xA1\xA8\n"
             "\xE3\x83\xBB\xE6\xA0\xAA\xE4\xBE\xA1\xE3\x81\x8C\xE4\xB8\x8A\xE6\x98\x87",
             story);
    ok(same_shingles(h, buf, story), "a list set with U+25A0 and U+30FB goes");
    /* Each text is the story between before and after, with a list that
     * must go. The story's last line ends with a full stop, so it cannot be
     * taken as a heading: each pair of items goes only if its bullets
     * count. */
    static const struct {
        const char *before, *after, *what;
    } goes[] = {
        {"", "\n\xC2\xB7\xEC\x84\x9C\xEC\x9A\xB8\xEC\x8B\x9C \xEC\x98\x88\xEC\x82\xB0\n"
             "\xC2\xB7\xEB\xB6\x80\xEC\x82\xB0 \xED\x95\xAD\xEA\xB5\xAC",
         "items with U+00B7 go"},
        {"", "\n\xE2\x80\xA2 Rail fares to rise\n\xE2\x96\xB6 Storm closes the road",
         "items with U+2022 and U+25B6 go"},
        {"", "\n\xE2\x80\x93 Rail fares to rise\n-\tStorm closes the road",
         "items with U+2013 and a space, - and a tab go"},
        {"", "\r\nMost read\r\n- Storm closes the coast road\r\n- Rail fares to rise\r\n",
         "a list in CR LF lines goes"},
        {"\xEF\xBB\xBF- Storm closes the coast road\n- Rail fares rise\n", "",
         "a list after a byte order mark goes"},
    };
    for (size_t i = 0; i < sizeof goes / sizeof goes[0]; i++) {
        snprintf(buf, sizeof buf, "%s%s%s", goes[i].before, story, goes[i].after);
        ok(same_shingles(h, buf, story), "%s", goes[i].what);
    }

    snprintf(buf, sizeof buf,
             "%s\n- The plan costs $40 million.\n- Work starts in the spring.", story);
    ok(!same_shingles(h, buf, story), "bulleted sentences stay");
    snprintf(buf, sizeof buf, "%s\nMost read\n- Storm closes the coast road", story);
    ok(!same_shingles(h, buf, story), "a single bulleted line stays");
    snprintf(buf, sizeof buf, "%s\n-5 degrees tonight\n-3 degrees tomorrow", story);
    ok(!same_shingles(h, buf, story), "a minus sign is not a bullet");
    snprintf(buf, sizeof buf,
             "%s\n- The mayor said: \"We will rebuild the road.\"\n"
             "- Fares, she said, stay \"as they are.\"",
             story);
    ok(!same_shingles(h, buf, story), "bulleted sentences ending in a quotation stay");
    char longitem[400];
    memset(longitem, 'a', sizeof longitem);
    for (size_t i = 7; i < 330; i += 8)
        longitem[i] = ' ';
    longitem[330] = 0;
    snprintf(buf, sizeof buf, "%s\n- %s\n- %s", story, longitem, longitem);
    ok(!same_shingles(h, buf, story), "items over 300 bytes stay");
    char longhead[200];
    memset(longhead, 'b', sizeof longhead);
    for (size_t i = 9; i < 120; i += 10)
        longhead[i] = ' ';
    longhead[120] = 0;
    char with_long[2048];
    snprintf(buf, sizeof buf, "%s\n%s\n- Storm closes the road\n- Rail fares rise", story,
             longhead);
    snprintf(with_long, sizeof with_long, "%s\n%s", story, longhead);
    ok(same_shingles(h, buf, with_long), "a line over 100 bytes above a list is not its heading");
    char with_heading[2048];
    snprintf(buf, sizeof buf,
             "%s\nThey listed these concerns.\n- Storm closes the road\n- Rail fares rise",
             story);
    snprintf(with_heading, sizeof with_heading, "%s\nThey listed these concerns.", story);
    ok(same_shingles(h, buf, with_heading),
       "a line ending like a sentence above a list stays, the list goes");

    dedup_params *p;
    dedup_params_create(&p);
    dedup_params_set(p, DEDUP_P_LINK_LISTS, 0);
    dedup_hasher *keep;
    dedup_hasher_create(&keep, p);

    const char *only = "Most read\n- Storm closes the coast road\n- Rail fares to rise in May";
    size_t n, nk;
    uint64_t *so = sorted_shingles(h, only, &n), *sk = sorted_shingles(keep, only, &nk);
    ok(n > 0 && n == nk && memcmp(so, sk, n * sizeof *so) == 0,
       "a text of nothing but a list keeps all of it");
    free(so);
    free(sk);

    /* With line statistics: boilerplate lines and lists both go, and a
     * line of nothing but a byte order mark is blank, so a text of it and
     * boilerplate keeps everything rather than nothing. */
    dedup_linestats *ls;
    dedup_linestats_create(&ls, 1024);
    const char *notice = "Subscribe to our newsletter for daily market updates";
    dedup_linestats_add(ls, notice, strlen(notice));
    dedup_linestats_add(ls, notice, strlen(notice));
    dedup_hasher_set_linestats(h, ls, 2);
    snprintf(buf, sizeof buf, "%s\n%s\nMost read\n- Storm closes the road\n- Rail fares rise",
             story, notice);
    ok(same_shingles(h, buf, story), "with line statistics: boilerplate and list both go");
    snprintf(buf, sizeof buf, "%s\nMost read\n- Storm closes the road\n%s\n- Rail fares rise",
             story, notice);
    ok(same_shingles(h, buf, story), "a boilerplate line between two items does not end the list");
    snprintf(buf, sizeof buf, "\xEF\xBB\xBF\n%s\n", notice);
    free(sorted_shingles(h, buf, &n));
    ok(n > 0, "a byte order mark line and boilerplate: nothing is left out");
    dedup_hasher_set_linestats(h, NULL, 0);
    dedup_linestats_free(ls);

    snprintf(buf, sizeof buf,
             "%s\nMost read\n- Storm closes the coast road\n- Rail fares to rise in May", story);
    ok(!same_shingles(keep, buf, story), "with link_lists 0 the list stays");
    dedup_params *d;
    dedup_params_create(&d);
    dedup_signature *a, *b;
    dedup_signature_create(&a, p);
    dedup_signature_create(&b, d);
    double j;
    ok(dedup_signature_jaccard(a, b, &j) == DEDUP_E_MISMATCH,
       "signatures with and without lists of links do not compare");
    dedup_signature_free(a);
    dedup_signature_free(b);
    dedup_params_free(d);
    dedup_params_free(p);
    dedup_hasher_free(keep);
    dedup_hasher_free(h);
}

/* Quotations (DEDUP_P_QUOTES): text between a pair of quotation marks on
 * one line is left out; everything else stays. */
static void quotations(void)
{
    dedup_hasher *h = make_hasher();
    /* The quotation goes between these two. */
    const char *pre = "The minister spoke to reporters in the capital on Tuesday ",
               *post = " after the cabinet met to discuss the budget for next year.";
    static const struct {
        const char *a, *b, *what;
    } pairs[] = {
        {"\"We will cut taxes for every family this year,\"",
         "\"Nobody will pay more than they did before the crisis,\"", "straight quotes"},
        {"“We will cut taxes for every family this year,”",
         "“Nobody will pay more than they did before the crisis,”", "curly quotes"},
        {"„We will cut taxes for every family this year“",
         "„Nobody will pay more than they did before the crisis“", "low-high quotes"},
        {"«We will cut taxes for every family this year»",
         "«Nobody will pay more than they did before the crisis»", "guillemets"},
        {"»We will cut taxes for every family this year«",
         "»Nobody will pay more than they did before the crisis«", "reversed guillemets"},
        {"»We will cut taxes for every family this year»",
         "»Nobody will pay more than they did before the crisis»", "guillemets » »"},
        {"»We will cut taxes«, he said, »for every family in the land«",
         "»Nobody will pay more«, he said, »than they did before the crisis«",
         "two reversed quotations around the reporter's words"},
        {"「来年から全ての家庭で税金を下げる」", "「危機の前より多く払う人はいない」",
         "corner brackets"},
        {"『来年から全ての家庭で税金を下げる』", "『危機の前より多く払う人はいない』",
         "white corner brackets"},
        {"‘We will cut taxes for every family this year,’",
         "‘Nobody will pay more than they did before the crisis,’", "single curly quotes"},
        {"'We will cut taxes for every family this year,'",
         "'Nobody will pay more than they did before the crisis,'", "single straight quotes"},
        {"‘We won’t raise taxes for any family this year,’",
         "‘Nobody will pay more than they did before the crisis,’",
         "an apostrophe inside single quotes"},
        {"〝We will cut taxes for every family this year〟",
         "〝Nobody will pay more than they did before the crisis〞", "double prime quotes"},
        {"“We will cut \"all\" taxes for every family this year,”",
         "\"Nobody will pay more than they did before the crisis,\"",
         "a straight quote inside curly ones"},
    };
    char a[1024], b[1024];
#define AROUND(buf, mid) snprintf(buf, sizeof buf, "%s%s%s", pre, mid, post)
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        AROUND(a, pairs[i].a);
        AROUND(b, pairs[i].b);
        ok(same_shingles(h, a, b), "a quotation goes: %s", pairs[i].what);
    }
    AROUND(a, "\"We will cut taxes");
    AROUND(b, "\"Nobody will pay more");
    ok(!same_shingles(h, a, b), "a mark left open at the end of the line opens nothing");
    AROUND(a, "“We will cut taxes\nfor every family”");
    AROUND(b, "“Nobody will pay more\nthan before”");
    ok(!same_shingles(h, a, b), "a quotation does not span lines");
    AROUND(a, "it's the family's turn, ‘they’ said");
    AROUND(b, "it's the firm's turn, ‘we’ said");
    ok(!same_shingles(h, a, b), "apostrophes and single quotes stay");
    ok(same_shingles(h, "He said: “We will cut taxes.” Then he left the room.",
                     "He said: “Nobody will pay more.” Then he left the room."),
       "the text around a quotation stays and joins");
    ok(!same_shingles(h, "“We will cut taxes for every family this year and the next,” he said.",
                      "“Nobody will pay more than before the crisis began last spring,” he said."),
       "a text that is mostly quotation keeps it");
    {
        const char *norm;
        size_t nlen, nt;
        const dedup_token *t;
        static const char said[] = "He said “no more taxes this year” today";
        dedup_hasher_tokenize(h, said, strlen(said), &norm, &nlen, &t, &nt);
        ok(nt == 3, "tokenize leaves the quotation out too (%zu tokens)", nt);
    }
    /* A quotation of fewer than four words (a character of Chinese,
     * Japanese or Korean counting half) is a name, a title or a word set
     * apart: it stays, so that a copy may quote it or not. */
    static const struct {
        const char *a, *b, *what;
    } same[] = {
        {"The court said the “comfort women” case against Japan may go on today.",
         "The court said the comfort women case against Japan may go on today.",
         "a quoted term stays as text"},
        {"The court said the 'comfort women' case against Japan may go on today.",
         "The court said the ‘comfort women’ case against Japan may go on today.",
         "a term in single quotes stays as text"},
        {"한국의 첫 달 궤도선 ‘다누리’가 발사됐다고 과학기술정보통신부가 밝혔다",
         "한국의 첫 달 궤도선 다누리가 발사됐다고 과학기술정보통신부가 밝혔다",
         "a Korean name in single quotes, a particle after the mark, stays"},
        {"위원회는 ‘핵무기 없는 세상을 만들기 위한 노력’을 평가했다고 밝혔다",
         "위원회는 ‘핵무기가 다시는 사용돼서는 안 된다는 증언’을 평가했다고 밝혔다",
         "a Korean statement in single quotes goes, a particle after the mark"},
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        ok(same_shingles(h, same[i].a, same[i].b), "%s", same[i].what);
    AROUND(a, "'the players' union' was not consulted, they say");
    AROUND(b, "the players' union was not consulted, they say");
    ok(same_shingles(h, a, b), "a possessive apostrophe closes no statement");
    /* Taken for marks, the two apostrophes would enclose a statement
     * holding the one word that differs. */
    AROUND(a, "the union's members rise to say the plan's costs are too high");
    AROUND(b, "the union’s members fall to say the plan’s costs are too high");
    ok(!same_shingles(h, a, b), "apostrophes inside words open and close nothing");

    dedup_params *p;
    dedup_params_create(&p);
    dedup_params_set(p, DEDUP_P_QUOTES, 0);
    dedup_hasher *keep;
    dedup_hasher_create(&keep, p);
    dedup_params_free(p);
    AROUND(a, pairs[0].a);
    AROUND(b, pairs[0].b);
    ok(!same_shingles(keep, a, b), "with quotes 0 quotations stay");
    dedup_hasher_free(keep);

    /* quotes 1, the rule of files written before 2: every quotation
     * between double marks, however short; single marks are not taken. */
    dedup_params_create(&p);
    dedup_params_set(p, DEDUP_P_QUOTES, 1);
    dedup_hasher_create(&keep, p);
    dedup_params_free(p);
    ok(!same_shingles(keep, "The court said the “comfort women” case against Japan may go on.",
                      "The court said the comfort women case against Japan may go on."),
       "with quotes 1 a quoted term goes");
    AROUND(a, pairs[0].a);
    AROUND(b, pairs[0].b);
    ok(same_shingles(keep, a, b), "with quotes 1 a statement goes");
    AROUND(a, "‘We will cut taxes for every family this year,’");
    AROUND(b, "‘Nobody will pay more than they did before the crisis,’");
    ok(!same_shingles(keep, a, b), "with quotes 1 single quotes stay");
    dedup_hasher_free(keep);
    dedup_hasher_free(h);
#undef AROUND
}

/* The tokenizer takes ASCII text 64 bytes at a time and everything else
 * byte by byte: on random texts that mix ASCII words, digits, separators
 * and upper case with letters of other scripts, Han and kana, Hangul and
 * combining marks, at every alignment, both ways give the same tokens,
 * hashes and numbers. */
static void block_tokenizer(void)
{
    static const char *const pieces[] = {
        "the", "Reuters", "a", "longerwordthanthirtytwobytesinonepiecexyz", "7", "3,772",
        "2024", "x1", " ", "  ", "\n", ", ", ". ", "-", "'", "\"", "caf\xc3\xa9",
        "\xc3\xbc", "\xe4\xb8\xad\xe5\x9b\xbd", "\xe3\x81\x82", "\xed\x95\x9c\xea\xb5\xad",
        "e\xcc\x81", "\xcc\x81", "\xe2\x80\x94", "\xf0\x9f\x98\x80", "\xff", "ABC", "z",
    };
    const size_t np = sizeof pieces / sizeof *pieces;
    uint64_t state = 12345;
    char buf[2048];
    int same = 1;
    size_t texts = 0, tokens = 0;
    for (int hangul = 0; hangul < 2; hangul++) {
        dedup_tokenizer a, b;
        dedup__tokenizer_init(&a, 7, 1, hangul);
        dedup__tokenizer_init(&b, 7, 1, hangul);
        b.bytewise = 1;
        for (int t = 0; t < 1500 && same; t++) {
            size_t len = 0, want = (size_t)(t % 7) * 150 + (size_t)(t % 64);
            /* Mostly ASCII words, so that most blocks are ASCII. */
            while (len < want) {
                state = state * 6364136223846793005ULL + 1442695040888963407ULL;
                unsigned r = (unsigned)(state >> 33);
                const char *pc = pieces[r % 100 < 96 ? r % 12 : r % np];
                size_t pl = strlen(pc);
                if (len + pl >= sizeof buf)
                    break;
                memcpy(buf + len, pc, pl);
                len += pl;
            }
            for (size_t off = 0; off < 3 && off <= len; off++) {
                const unsigned char *x = (const unsigned char *)buf + off;
                size_t n = len - off;
                if (dedup__tokenize(&a, x, n) != DEDUP_OK || dedup__tokenize(&b, x, n) != DEDUP_OK) {
                    same = 0;
                    break;
                }
                texts++;
                tokens += a.ntokens;
                if (a.ntokens != b.ntokens || a.nnumbers != b.nnumbers ||
                    a.nchar_tokens != b.nchar_tokens || a.nhangul_tokens != b.nhangul_tokens)
                    same = 0;
                for (size_t k = 0; same && k < a.ntokens; k++)
                    same = a.tokens[k].offset == b.tokens[k].offset &&
                           a.tokens[k].length == b.tokens[k].length &&
                           a.tokens[k].hash == b.tokens[k].hash;
                for (size_t k = 0; same && k < a.nnumbers; k++)
                    same = a.numbers[k] == b.numbers[k];
                if (!same)
                    tap_diag("differ on text %zu (%zu bytes, hangul_chars %d)", texts, n, hangul);
            }
        }
        dedup__tokenizer_release(&a);
        dedup__tokenizer_release(&b);
    }
    ok(same && tokens > 100000, "64-byte blocks and bytes give the same tokens (%zu texts, %zu tokens)",
       texts, tokens);
}

/* Quotation marks are looked for 16 bytes at a time, straight to the
 * next byte where one may start: on random texts of every kind of mark,
 * kana and Han (whose lead bytes marks share), words and line breaks, at
 * three alignments and under both rules, the quotations found are those a
 * byte-by-byte walk finds. */
static void block_quotations(void)
{
    static const char *const pieces[] = {
        "the minister said", " ", " ", "\n", "\"", "'", "it's", "\xe2\x80\x9c", "\xe2\x80\x9d",
        "\xe2\x80\x98", "\xe2\x80\x99", "\xc2\xab", "\xc2\xbb", "\xc2\xa0", "\xe3\x80\x8c",
        "\xe3\x80\x8d", "\xe3\x80\x8e", "\xe3\x80\x8f", "\xe2\x80\xb3", "\xef\xbc\x82",
        "\xef\xbc\x87", "\xef\xbd\xa2", "\xef\xbd\xa3", "\xe3\x81\x82\xe3\x81\x84",
        "\xe4\xb8\xad\xe5\x9b\xbd", "\xe3\x80\x81", "\xe3\x80\x82", "\xe2\x80\x94",
        "we will cut taxes for every family", ", ", ".",
    };
    const size_t np = sizeof pieces / sizeof *pieces;
    uint64_t state = 99;
    char buf[1600];
    dedup_span a[256], b[256];
    int same = 1;
    size_t texts = 0, found = 0;
    for (int t = 0; t < 3000 && same; t++) {
        size_t len = 0, want = (size_t)(t % 9) * 160 + (size_t)(t % 50);
        while (len < want) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            const char *pc = pieces[(state >> 33) % np];
            size_t pl = strlen(pc);
            if (len + pl >= sizeof buf)
                break;
            memcpy(buf + len, pc, pl);
            len += pl;
        }
        for (size_t off = 0; off < 3 && off <= len; off++)
            for (int rule = 1; rule <= 2; rule++) {
                size_t na = 0, nb = 0;
                dedup__find_quotations_how(buf + off, len - off, rule, 0, a, 256, &na);
                dedup__find_quotations_how(buf + off, len - off, rule, 1, b, 256, &nb);
                texts++;
                found += na;
                if (na != nb)
                    same = 0;
                for (size_t k = 0; same && k < na && k < 256; k++)
                    same = a[k].offset == b[k].offset && a[k].length == b[k].length;
                if (!same) {
                    tap_diag("differ on text %zu (%zu bytes, rule %d)", texts, len - off, rule);
                    break;
                }
            }
    }
    ok(same && found > 5000, "16-byte steps and bytes find the same quotations (%zu texts, %zu found)",
       texts, found);
}

int main(void)
{
    print_golden = getenv("DEDUP_GOLDEN_PRINT") != NULL;
    if (print_golden) {
        golden_vectors();
        return 0;
    }
    token_rules();
    token_hashes();
    golden_vectors();
    set_rules();
    sign_given_shingles();
    numbers();
    traditional_simplified();
    large_inputs();
    link_lists();
    quotations();
    block_tokenizer();
    block_quotations();
    return tap_done();
}
