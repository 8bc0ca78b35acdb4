/*
 * test-api.c - the public API as an application sees it, linked against the
 * shared library only: versions, status codes and messages, parameters
 * (defaults, bounds, types, names), argument checking, and the one-shot
 * similarity call.
 */
#include <math.h>
#include <string.h>

#define DEDUP_EXPERIMENTAL /* every call is tested, the experimental ones too */
#include "dedup.h"
#include "tap.h"

static void versions(void)
{
    ok(dedup_version_number() == DEDUP_VERSION_NUMBER, "runtime version number matches header");
    ok(strcmp(dedup_version_string(), DEDUP_VERSION_STRING) == 0,
       "runtime version string matches header");
}

static void statuses(void)
{
    int good = 1;
    for (int s = 0; s > DEDUP__STATUS_LAST; s--) {
        if (s == -14) /* never used */
            continue;
        good &= dedup_strerror(s) != NULL && strcmp(dedup_strerror(s), "unknown error") != 0 &&
                strncmp(dedup_status_name(s), "DEDUP_", 6) == 0;
    }
    ok(good, "every status code has a message and a name");
    ok(strcmp(dedup_strerror(-14), "unknown error") == 0, "-14 is no code");
    ok(strcmp(dedup_strerror(-9999), "unknown error") == 0 && dedup_strerror(12345) != NULL,
       "unknown codes give a message, never NULL");
    ok(strcmp(dedup_status_name(DEDUP_E_NOMEM), "DEDUP_E_NOMEM") == 0, "status names");
    ok(DEDUP_OK == 0 && DEDUP_E_NOMEM < 0 && DEDUP_E_TOOBIG < 0, "failures are negative");
}

static void params(void)
{
    dedup_params *p = NULL;
    ok(dedup_params_create(&p) == DEDUP_OK && p, "params create");
    int64_t v = 0;
    double d = 0;
    ok(dedup_params_get(p, DEDUP_P_NUM_HASHES, &v) == DEDUP_OK && v == 128, "default k is 128");
    ok(dedup_params_get(p, DEDUP_P_SHINGLE_SIZE, &v) == DEDUP_OK && v == 4,
       "default word shingle size is 4");
    ok(dedup_params_get_real(p, DEDUP_P_THRESHOLD, &d) == DEDUP_OK && d == 0.40,
       "default threshold is 0.40");
    ok(dedup_params_set(p, DEDUP_P_NUM_HASHES, 15) == DEDUP_E_RANGE &&
           dedup_params_set(p, DEDUP_P_NUM_HASHES, 1025) == DEDUP_E_RANGE,
       "k outside [16, 1024] is out of range");
    ok(dedup_params_get(p, DEDUP_P_NUM_HASHES, &v) == DEDUP_OK && v == 128,
       "a rejected value leaves the params unchanged");
    ok(dedup_params_set(p, DEDUP_P_NUM_HASHES, 256) == DEDUP_OK &&
           dedup_params_get(p, DEDUP_P_NUM_HASHES, &v) == DEDUP_OK && v == 256,
       "set and get k");
    ok(dedup_params_set_real(p, DEDUP_P_THRESHOLD, 0.0) == DEDUP_E_RANGE &&
           dedup_params_set_real(p, DEDUP_P_THRESHOLD, 1.5) == DEDUP_E_RANGE &&
           dedup_params_set_real(p, DEDUP_P_THRESHOLD, NAN) == DEDUP_E_RANGE,
       "threshold 0, above 1 and NaN are out of range");
    ok(dedup_params_set(p, DEDUP_P_THRESHOLD, 1) == DEDUP_E_INVAL &&
           dedup_params_set_real(p, DEDUP_P_SEED, 1.0) == DEDUP_E_INVAL,
       "wrong key type is an invalid argument");
    ok(dedup_params_set(p, (dedup_param)999, 1) == DEDUP_E_INVAL, "unknown key");
    ok(dedup_params_set(p, DEDUP_P_NORMALIZE, 1 << 10) == DEDUP_E_RANGE, "unknown flag bits");
    ok(dedup_params_set(p, DEDUP_P_SEED, INT64_MIN) == DEDUP_OK, "any 64-bit seed");
    int64_t lo, hi;
    double rlo, rhi;
    ok(dedup_param_bounds(DEDUP_P_SHINGLE_SIZE, &lo, &hi) == DEDUP_OK && lo == 1 && hi == 16,
       "bounds of shingle size");
    ok(dedup_param_bounds_real(DEDUP_P_THRESHOLD, &rlo, &rhi) == DEDUP_OK && rlo > 0 &&
           rhi == 1.0,
       "bounds of threshold");
    ok(dedup_param_type_of(DEDUP_P_THRESHOLD) == DEDUP_PARAM_REAL &&
           dedup_param_type_of(DEDUP_P_SEED) == DEDUP_PARAM_INT &&
           dedup_param_type_of((dedup_param)0) == DEDUP_PARAM_INVALID,
       "key types");
    dedup_param key;
    ok(dedup_param_from_name("num_hashes", &key) == DEDUP_OK && key == DEDUP_P_NUM_HASHES &&
           strcmp(dedup_param_name(DEDUP_P_NUM_HASHES), "num_hashes") == 0,
       "names round trip");
    ok(dedup_param_from_name("nope", &key) == DEDUP_E_INVAL && !dedup_param_name((dedup_param)77),
       "unknown names");
    dedup_params *c = NULL;
    ok(dedup_params_copy(&c, p) == DEDUP_OK && dedup_params_get(c, DEDUP_P_NUM_HASHES, &v) == 0 &&
           v == 256,
       "copy keeps values");
    dedup_params_free(c);
    dedup_params_free(p);
    dedup_params_free(NULL);
    ok(dedup_params_create(NULL) == DEDUP_E_INVAL, "NULL out pointer");
}

static void hasher_args(void)
{
    dedup_hasher *h = NULL;
    ok(dedup_hasher_create(&h, NULL) == DEDUP_OK, "hasher with default params");
    const char *out;
    size_t n;
    ok(dedup_hasher_normalize(h, NULL, 5, &out, &n) == DEDUP_E_INVAL,
       "NULL text with a length is refused");
    ok(dedup_hasher_normalize(h, NULL, 0, &out, &n) == DEDUP_OK && n == 0,
       "NULL text of length 0 is the empty text");
    dedup_params *p;
    dedup_params_create(&p);
    dedup_params_set(p, DEDUP_P_NUM_HASHES, 64);
    dedup_signature *sig;
    dedup_signature_create(&sig, p);
    ok(dedup_hasher_sign(h, "text", 4, sig) == DEDUP_E_MISMATCH,
       "signing into a signature of other params is a mismatch");
    dedup_signature_free(sig);
    dedup_params_free(p);
    dedup_hasher_free(h);
    dedup_hasher_free(NULL);
}

static void one_shot(void)
{
    const char *a = "The central bank kept its benchmark interest rate unchanged at 3.5 percent "
                    "on Thursday, citing slowing inflation and weak exports.";
    const char *b = "SEOUL, Dec 7 (Yonhap) -- The central bank kept its benchmark interest rate "
                    "unchanged at 3.5 percent on Thursday, citing slowing inflation and weak "
                    "exports. ALSO READ: Weather";
    const char *c = "Heavy snow is expected across the mountains this weekend, forecasters "
                    "warned, with temperatures dropping well below freezing.";
    double s = -1;
    ok(dedup_similarity(NULL, a, strlen(a), a, strlen(a), &s) == DEDUP_OK && s == 1.0,
       "a text is identical to itself (%.3f)", s);
    ok(dedup_similarity(NULL, a, strlen(a), b, strlen(b), &s) == DEDUP_OK && s >= 0.5,
       "a syndicated copy with credit and boilerplate is a duplicate (%.3f)", s);
    ok(dedup_similarity(NULL, a, strlen(a), c, strlen(c), &s) == DEDUP_OK && s < 0.1,
       "an unrelated text is not (%.3f)", s);
    ok(dedup_similarity(NULL, "", 0, "", 0, &s) == DEDUP_OK && s == 0.0,
       "two empty texts are not similar");
    ok(dedup_similarity(NULL, "...", 3, "!!!", 3, &s) == DEDUP_OK && s == 0.0,
       "two punctuation-only texts are not similar");
}

static void lsh_choice(void)
{
    unsigned b = 0, r = 0;
    ok(dedup_lsh_choose(0.5, 128, 0.5, 0.5, &b, &r) == DEDUP_OK && b * r <= 128 && b > 1 && r > 1,
       "bands and rows for t=0.5, k=128: %u x %u", b, r);
    double t = pow(1.0 / b, 1.0 / r);
    ok(fabs(t - 0.5) < 0.15, "their S-curve midpoint (1/b)^(1/r) = %.3f is near 0.5", t);
    unsigned b2, r2;
    dedup_lsh_choose(0.8, 128, 0.5, 0.5, &b2, &r2);
    ok(r2 > r, "a higher threshold takes more rows per band (%u > %u)", r2, r);
    ok(dedup_lsh_choose(0.0, 128, 0.5, 0.5, &b, &r) == DEDUP_E_INVAL, "threshold 0 is refused");
    dedup_params *p;
    dedup_params_create(&p);
    int lsh_rc = dedup_params_lsh(p, &b, &r);
    ok(lsh_rc == DEDUP_OK && b == 49 && r == 2, "defaults derive 49 bands of 2 rows (%u x %u)",
       b, r);
    dedup_params_set(p, DEDUP_P_MEASURE, DEDUP_MEASURE_JACCARD);
    dedup_params_set_real(p, DEDUP_P_THRESHOLD, 0.5);
    dedup_lsh_choose(0.5, 128, 0.5, 0.5, &b2, &r2);
    ok(dedup_params_lsh(p, &b, &r) == DEDUP_OK && b == b2 && r == r2,
       "under Jaccard the threshold itself is used");
    dedup_params_set(p, DEDUP_P_BANDS, 16);
    dedup_params_set(p, DEDUP_P_ROWS, 8);
    ok(dedup_params_lsh(p, &b, &r) == DEDUP_OK && b == 16 && r == 8, "explicit bands and rows");
    dedup_params_free(p);
}

/* DEDUP_P_MIN_SHARED: containment counts only once the shared part is
 * about a sentence or more; below that the documents must match whole. */
static void min_shared(void)
{
    static const char sentence[] =
        "The regional council approved the new harbour budget of 40 million dollars on Monday.";
    static const char two[] =
        "The regional council approved the new harbour budget of 40 million dollars on Monday. "
        "Construction of the northern pier will begin next spring and take three years, "
        "according to the plan presented by the port authority to the members of the council.";
    static const char report[] =
        "Fishermen and ferry operators had waited years for the decision. "
        "The regional council approved the new harbour budget of 40 million dollars on Monday. "
        "Construction of the northern pier will begin next spring and take three years, "
        "according to the plan presented by the port authority to the members of the council. "
        "Opposition members said the cost had doubled since the first estimate and asked for an "
        "independent review of the contracts before any work starts on the waterfront. "
        "The mayor said the harbour would bring jobs and visitors back to the old town.";
    double s0, s1, s2, s3;
    dedup_params *p;
    dedup_params_create(&p);
    dedup_similarity(p, sentence, strlen(sentence), report, strlen(report), &s1);
    ok(s1 < 0.45, "one shared sentence is not a copy (%.3f)", s1);
    dedup_similarity(p, two, strlen(two), report, strlen(report), &s2);
    ok(s2 >= 0.9, "two shared sentences make the shorter text a copy (%.3f)", s2);
    dedup_similarity(p, sentence, strlen(sentence), sentence, strlen(sentence), &s3);
    ok(s3 == 1.0, "a sentence still matches itself whole");
    static const char brief[] =
        "Harbour budget approved. "
        "The regional council approved the new harbour budget of 40 million dollars on Monday.";
    dedup_similarity(p, sentence, strlen(sentence), brief, strlen(brief), &s3);
    ok(s3 >= 0.9, "a sentence inside a text under twice its size is a copy (%.3f)", s3);
    /* The index and batch clustering decide the same way. One band per
     * value, so that the pair is a candidate whatever the size ratio. */
    dedup_params_set(p, DEDUP_P_BANDS, 128);
    dedup_params_set(p, DEDUP_P_ROWS, 1);
    for (int ms = 30; ms >= 0; ms -= 30) {
        dedup_params_set(p, DEDUP_P_MIN_SHARED, ms);
        dedup_hasher *h;
        dedup_signature *a, *b;
        dedup_hasher_create(&h, p);
        dedup_signature_create(&a, p);
        dedup_signature_create(&b, p);
        dedup_hasher_sign(h, report, strlen(report), a);
        dedup_hasher_sign(h, sentence, strlen(sentence), b);
        dedup_index *idx;
        dedup_index_create(&idx, p);
        dedup_index_add(idx, 1, 1714521600 + ms, a);
        int64_t st = 0;
        ok(dedup_index_stamp(idx, 1, &st) == DEDUP_OK && st == 1714521600 + ms,
           "dedup_index_stamp gives the stamp a document was added with");
        ok(dedup_index_stamp(idx, 2, &st) == DEDUP_E_NOTFOUND &&
               dedup_index_stamp(NULL, 1, &st) == DEDUP_E_INVAL,
           "dedup_index_stamp: NOTFOUND and INVAL");
        dedup_match m;
        size_t nm = 0;
        dedup_index_query(idx, b, &m, 1, &nm);
        ok(ms ? nm == 0 : nm == 1, "min_shared %d: the index %s the sentence", ms,
           ms ? "does not match" : "matches");
        dedup_batch *bt;
        dedup_batch_create(&bt, p);
        dedup_batch_add(bt, a, NULL);
        dedup_batch_add(bt, b, NULL);
        dedup_clusters *c = NULL;
        dedup_batch_cluster(&c, bt, 1);
        ok(c && dedup_clusters_of(c, 1) == (ms ? 1u : 0u), "min_shared %d: batch clustering %s",
           ms, ms ? "keeps them apart" : "joins them");
        dedup_clusters_free(c);
        dedup_batch_free(bt);
        dedup_index_free(idx);
        dedup_signature_free(a);
        dedup_signature_free(b);
        dedup_hasher_free(h);
    }
    /* dedup_signature_similarity decides as they do. */
    {
        dedup_params *d;
        dedup_params_create(&d);
        dedup_hasher *h;
        dedup_signature *a, *b;
        dedup_hasher_create(&h, d);
        dedup_signature_create(&a, d);
        dedup_signature_create(&b, d);
        dedup_hasher_sign(h, report, strlen(report), a);
        dedup_hasher_sign(h, sentence, strlen(sentence), b);
        double sd = -1, sz = -1, c = -1, s9 = -1;
        int rc = dedup_signature_similarity(NULL, a, b, &sd);
        ok(rc == DEDUP_OK && sd < 0.45,
           "signature similarity: one shared sentence is not a copy (%.3f)", sd);
        dedup_signature_containment(a, b, &c);
        dedup_params_set(d, DEDUP_P_MIN_SHARED, 0);
        dedup_signature_similarity(d, a, b, &sz);
        ok(sz == c, "with min_shared 0 it is the containment estimate (%.3f)", sz);
        dedup_params_set(d, DEDUP_P_MEASURE, DEDUP_MEASURE_JACCARD);
        dedup_signature_similarity(d, a, b, &s9);
        dedup_signature_jaccard(a, b, &c);
        ok(s9 == c, "under the Jaccard measure it is the Jaccard estimate");
        ok(dedup_signature_similarity(d, a, NULL, &s9) == DEDUP_E_INVAL,
           "signature similarity: NULL signature is INVAL");

        /* What the hasher compared: the text without quotations and lists. */
        const char *t;
        size_t tl;
        unsigned n;
        static const char quoted[] = "He said \"no more taxes this year\" on Monday.\n"
                                     "Most read\n"
                                     "- Storm closes the coast road\n- Rail fares to rise";
        dedup_hasher_sign(h, quoted, strlen(quoted), b);
        ok(dedup_hasher_compared(h, &t, &tl, &n) == DEDUP_OK && tl == 21 &&
               memcmp(t, "He said   on Monday.\n", 21) == 0 && n == 4,
           "compared: the text without the quotation and the list, shingle size 4");
        dedup_hasher_sign(h, "北京今天下雨了", strlen("北京今天下雨了"), b);
        dedup_hasher_compared(h, &t, &tl, &n);
        ok(n == 8 && tl == strlen("北京今天下雨了"), "compared: Chinese, shingle size 8");
        dedup_hasher_sign(h, "서울에 비가 온다", strlen("서울에 비가 온다"), b);
        dedup_hasher_compared(h, &t, &tl, &n);
        ok(n == 5, "compared: Korean, shingle size 5 (%u)", n);
        dedup_hasher_sign(h, "서울에 비가 온다 北京今天下雨了", strlen("서울에 비가 온다 北京今天下雨了"), b);
        dedup_hasher_compared(h, &t, &tl, &n);
        ok(n == 8, "compared: more Han than Hangul, the character size (%u)", n);
        ok(dedup_hasher_compared(h, NULL, &tl, &n) == DEDUP_E_INVAL, "compared: NULL is INVAL");
        dedup_signature_free(a);
        dedup_signature_free(b);
        dedup_hasher_free(h);
        dedup_params_free(d);
    }
    dedup_params_set(p, DEDUP_P_MIN_SHARED, 0);
    dedup_similarity(p, sentence, strlen(sentence), report, strlen(report), &s0);
    ok(s0 >= 0.9, "with min_shared 0 the contained sentence counts (%.3f)", s0);

    /* Text shingled by characters: a shingle counts half. A sentence of
     * 44 characters shares 40 shingles with the report, 20 words' worth;
     * 89 characters share 85, 42 words' worth. */
    static const char zh1[] = "东方航空使用全球首架交付的大型客机执行航班从上海虹桥机场飞往北京首都机场开启商业载客飞行";
    static const char zh2[] = "东方航空使用全球首架交付的大型客机执行航班从上海虹桥机场飞往北京首都机场开启商业载客飞行"
                              "这标志着国产大飞机正式进入民航市场中国民航商业运营国产大飞机正式起步空中体验走进广大消费者";
    static const char zhr[] = "记者从现场获悉今天上午天气晴好旅客们早早来到候机楼"
                              "东方航空使用全球首架交付的大型客机执行航班从上海虹桥机场飞往北京首都机场开启商业载客飞行"
                              "这标志着国产大飞机正式进入民航市场中国民航商业运营国产大飞机正式起步空中体验走进广大消费者"
                              "据介绍该机型后续还将陆续投入更多航线运营满足旅客多样化出行需求各方对此充满期待";
    dedup_params_set(p, DEDUP_P_MIN_SHARED, 30);
    dedup_similarity(p, zh1, strlen(zh1), zhr, strlen(zhr), &s1);
    ok(s1 < 0.45, "characters: one shared sentence is not a copy (%.3f)", s1);
    dedup_similarity(p, zh2, strlen(zh2), zhr, strlen(zhr), &s2);
    ok(s2 >= 0.9, "characters: two shared sentences make a copy (%.3f)", s2);
    dedup_params_free(p);
}

/* The analysis behind explanations: tokens, shingles, the passages two
 * texts share, and what the comparison left out. */
static void analysis(void)
{
    static const char a[] =
        "Top stories\n- Storm closes rail line\n- Markets today\n"
        "The harbour authority approved a new container terminal on Tuesday after two "
        "years of hearings. \"We waited long enough,\" the mayor said.";
    static const char b[] =
        "The harbour authority approved a new container terminal on Tuesday, officials "
        "said, and work starts in spring.";
    dedup_hasher *h;
    dedup_hasher_create(&h, NULL);
    dedup_analysis *x = NULL, *y = NULL;
    ok(dedup_analyse(&x, h, a, strlen(a)) == DEDUP_OK &&
           dedup_analyse(&y, h, b, strlen(b)) == DEDUP_OK,
       "analyse two texts");
    size_t nlen = 0;
    const char *norm = dedup_analysis_normalized(x, &nlen);
    ok(norm && nlen > 0 && !strstr(norm, "markets today") && !strstr(norm, "waited"),
       "the normalized text is what was compared: no list of links, no quotation");
    dedup_passage p[4];
    size_t np = 0, covered = 0;
    ok(dedup_analysis_passages(y, x, p, 4, &np, &covered) == DEDUP_OK && np == 1 &&
           p[0].tokens == 10 && covered == 10,
       "one passage of 10 tokens shared (%zu, %zu)", np, np ? p[0].tokens : 0);
    const char *yn = dedup_analysis_normalized(y, NULL);
    ok(np == 1 && !memcmp(yn + p[0].offset, "the harbour authority approved a new container "
                                             "terminal on tuesday", p[0].length),
       "its text, normalized");
    ok(dedup_analysis_shared_shingles(x, y) == dedup_analysis_shared_shingles(y, x) &&
           dedup_analysis_shared_shingles(x, y) > 0 &&
           dedup_analysis_shingles(y) > dedup_analysis_shared_shingles(x, y) &&
           dedup_analysis_tokens(y) == 17,
       "shared shingles, symmetric");
    dedup_left l[8];
    size_t nl = 0;
    ok(dedup_analysis_left_out(x, l, 8, &nl) == DEDUP_OK && nl == 4 &&
           l[0].kind == DEDUP_LEFT_LINE && !memcmp(a + l[0].offset, "Top stories", 11) &&
           l[3].kind == DEDUP_LEFT_QUOTATION && a[l[3].offset] == '"',
       "left out: the list (three lines) and the quotation (%zu)", nl);
    ok(dedup_analysis_left_out(y, l, 8, &nl) == DEDUP_OK && nl == 0, "nothing left out of b");
    {
        /* A line of 70 quotations, then a line of text: each quotation is
         * listed, not the line. */
        char many[70 * 64 + 200];
        size_t m = 0;
        for (int q = 0; q < 70; q++)
            m += (size_t)sprintf(many + m, "\"we will not give up number %d\" and then he said ",
                                 q);
        m += (size_t)sprintf(many + m, "so on.\nThe council approved the harbour budget on Monday "
                                       "after a long debate about its costs.");
        dedup_analysis *z = NULL;
        dedup_left lz[80];
        size_t nz = 0, quoted = 0;
        ok(dedup_analyse(&z, h, many, m) == DEDUP_OK &&
               dedup_analysis_left_out(z, lz, 80, &nz) == DEDUP_OK,
           "analyse a line of 70 quotations");
        for (size_t i = 0; i < nz && i < 80; i++)
            quoted += lz[i].kind == DEDUP_LEFT_QUOTATION && many[lz[i].offset] == '"';
        ok(nz == 70 && quoted == 70, "left out: its 70 quotations (%zu of %zu)", quoted, nz);
        dedup_analysis_free(z);
    }
    ok(dedup_analysis_passages(x, y, NULL, 1, &np, NULL) == DEDUP_E_INVAL &&
           dedup_analyse(NULL, h, a, 1) == DEDUP_E_INVAL,
       "NULL arguments: INVAL");
    dedup_analysis_free(x);
    dedup_analysis_free(y);
    dedup_analysis_free(NULL);
    dedup_hasher_free(h);
}

/* An index's line statistics of another width than the default. */
static void adopted_linestats(void)
{
    dedup_index *idx;
    dedup_linestats *ls;
    dedup_index_create(&idx, NULL);
    dedup_linestats_create(&ls, 1 << 10);
    ok(dedup_index_adopt_linestats(idx, ls) == DEDUP_OK &&
           dedup_index_set_boilerplate(idx, 2) == DEDUP_OK && dedup_index_linestats(idx) == ls,
       "an index adopts a sketch of its own width");
    dedup_field f = {"Menu | News\na story of its own", 31};
    int dup = 0;
    dedup_index_add_text(idx, "k", 1, 0, &f, 1, &dup, NULL, NULL);
    ok(dedup_linestats_documents(ls) == 1 && dedup_index_serialized_size(idx) < 100000,
       "it counts with it, and saves it small");
    ok(dedup_index_adopt_linestats(idx, NULL) == DEDUP_E_INVAL, "NULL: INVAL");
    dedup_index_free(idx);
}

int main(void)
{
    versions();
    analysis();
    adopted_linestats();
    statuses();
    params();
    hasher_args();
    one_shot();
    lsh_choice();
    min_shared();
    {
        static const char q[] = "He said \"Stop. Now. All of you\". Then «go on, go on now», "
                                "he said, »wait«, ‘we must wait for them’.";
        dedup_span sp[4];
        size_t n = 0;
        ok(dedup_find_quotations(q, strlen(q), sp, 4, &n) == DEDUP_OK && n == 3 &&
               sp[0].offset == 8 && sp[0].length == 23 &&
               !memcmp(q + sp[1].offset, "«go on, go on now»", 20) &&
               !memcmp(q + sp[2].offset, "‘we must wait for them’", 27),
           "dedup_find_quotations: the three statements, marks included, not the word");
        ok(dedup_find_quotations(q, strlen(q), sp, 1, &n) == DEDUP_OK && n == 3,
           "dedup_find_quotations: the count even past cap");
        /* Statements, not terms; single marks, not apostrophes. */
        static const struct {
            const char *text;
            size_t n;
            const char *what;
        } rule2[] = {
            {"Fans of '90s rock heard him say \"we will build a new stadium here\" today.", 1,
             "a year's apostrophe opens nothing and hides no quotation"},
            {"Fans of \u201990s rock heard him say \u201cwe will build a stadium here\u201d.", 1,
             "nor does a curly one"},
            {"Il a dit \u2018C\u2019\u00e9tait une belle journ\u00e9e pour nous tous\u2019 hier.",
             1, "an elided French word does not close a single quotation"},
            {"He said\u2014'we will build a new stadium here' on Monday.", 1,
             "a single mark opens after a dash"},
            {"\u4ed6\u8bf4\uff1a'\u6211\u4eec\u660e\u5929\u5c06\u4f1a\u7ee7\u7eed\u52aa\u529b'\u3002",
             1, "and after a full-width colon"},
            {"He said \"Yes\u2026 no\u2026 maybe\u2026\" and left.", 0,
             "punctuation is no word"},
            {"\u300c\u306f\u3044\u3001\u305d\u3046\u3067\u3059\u3002\u300d\u3068\u8a00\u3063\u305f", 0,
             "six kana are three words"},
            {"He said \u201cI don\u2019t know\u201d and left.", 0, "don't is one word"},
            {"It was \"state-of-the-art\" for \"1,000,000 dollars\" then.", 0,
             "hyphens and commas inside a word"},
            {"The \u201c\u091a\u0902\u0926\u094d\u0930\u092f\u093e\u0928\u201d mission.", 0,
             "a Hindi name is one word"},
            {"Il a dit \u00ab\u202fNon, merci bien\u202f\u00bb hier.", 0,
             "narrow no-break spaces separate words"},
        };
        for (size_t i = 0; i < sizeof rule2 / sizeof rule2[0]; i++) {
            size_t got = 99;
            dedup_find_quotations(rule2[i].text, strlen(rule2[i].text), sp, 4, &got);
            ok(got == rule2[i].n, "dedup_find_quotations: %s (%zu found)", rule2[i].what, got);
        }
        ok(dedup_find_quotations(q, strlen(q), sp, 4, NULL) == DEDUP_E_INVAL,
           "dedup_find_quotations: NULL n is INVAL");
    }
    {
        /* Every kind of mark at every place relative to the blocks the
         * search skips, after fillers whose bytes resemble marks' (kana
         * and 、 begin E3 and E3 80, full-width letters EF BC). */
        static const char *const marks[][2] = {
            {"\"", "\""}, {"\u201c", "\u201d"}, {"\u201e", "\u201c"}, {"\u00ab", "\u00bb"},
            {"\u00bb", "\u00ab"}, {"\u300c", "\u300d"}, {"\u300e", "\u300f"},
            {"\u301d", "\u301e"}, {"\u2033", "\u2033"}, {"\uff02", "\uff02"},
            {"\uff62", "\uff63"}, {"\u2018", "\u2019"}};
        static const char *const fill[] = {"x", "\u3042", "\u3001", "\uff21"};
        int bad = 0;
        for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++)
            for (size_t f = 0; f < sizeof fill / sizeof fill[0]; f++)
                for (size_t k = 0; k <= 24; k++) {
                    char t[256];
                    size_t n = 0, at, qlen;
                    for (size_t i = 0; i < k; i++)
                        n += (size_t)sprintf(t + n, "%s", fill[f]);
                    at = n;
                    /* Eight characters: a statement. */
                    n += (size_t)sprintf(t + n,
                                         "%s\u8a9e\u8a9e\u8a9e\u8a9e\u8a9e\u8a9e\u8a9e\u8a9e%s%s",
                                         marks[m][0], fill[f], marks[m][1]);
                    qlen = n - at;
                    t[n++] = ' '; /* a closing single mark is not followed by a letter */
                    for (size_t i = 0; i < 8; i++)
                        n += (size_t)sprintf(t + n, "%s", fill[f]);
                    dedup_span one[2];
                    size_t got = 0;
                    if (dedup_find_quotations(t, n, one, 2, &got) != DEDUP_OK || got != 1 ||
                        one[0].offset != at || one[0].length != qlen)
                        bad++;
                }
        ok(bad == 0, "dedup_find_quotations: each mark found at every offset (%d wrong)", bad);
        /* A cut sequence before a mark does not hide it. */
        static const char cut[] = "ab\xe2\x80\"we said it all\" and \xe3\x80\"this is the end\".";
        dedup_span two[3];
        size_t got = 0;
        ok(dedup_find_quotations(cut, strlen(cut), two, 3, &got) == DEDUP_OK && got == 2 &&
               two[0].offset == 4 && two[0].length == 16 && two[1].offset == 27 &&
               two[1].length == 17,
           "dedup_find_quotations: marks right after cut UTF-8 sequences");
    }
    {
        unsigned b = 0, r = 0;
        ok(dedup_lsh_choose(0.5, 4000000000u, 0.5, 0.5, &b, &r) == DEDUP_E_RANGE,
           "dedup_lsh_choose: k over 1024 is refused at once");
        ok(dedup_lsh_choose(0.5, 1024, 0.5, 0.5, &b, &r) == DEDUP_OK && b * r <= 1024,
           "dedup_lsh_choose: k = 1024 is chosen for");
    }
    return tap_done();
}
