/*
 * test-linestats.c - document frequencies of lines and boilerplate
 * filtering: exact counts on small inputs, once per document, trimming,
 * merging, and the effect that matters: two different stories from one
 * site stop looking alike once the site's repeated lines are left out,
 * while copies of one story on two sites stay alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hasher.h"
#include "tap.h"

static void counts(void)
{
    dedup_linestats *ls = NULL;
    ok(dedup_linestats_create(&ls, 1 << 12) == DEDUP_OK, "create");
    const char *d1 = "Home | World | Sports\nfirst story line\n  Home | World | Sports  \n\n";
    const char *d2 = "Home | World | Sports\r\nsecond story line\n";
    const char *d3 = "third story line";
    dedup_linestats_add(ls, d1, strlen(d1));
    dedup_linestats_add(ls, d2, strlen(d2));
    dedup_linestats_add(ls, d3, strlen(d3));
    is_int(dedup_linestats_count(ls, "Home | World | Sports", 21), 2,
           "a line in two documents counts 2 (once per document, spaces and CR trimmed)");
    is_int(dedup_linestats_count(ls, "first story line", 16), 1, "a line in one document");
    is_int(dedup_linestats_count(ls, "never seen", 10), 0, "an unseen line");
    is_int(dedup_linestats_count(ls, "", 0), 0, "blank lines are not counted");
    is_int(dedup_linestats_documents(ls), 3, "three documents");

    dedup_linestats *other = NULL, *narrow = NULL;
    dedup_linestats_create(&other, 1 << 12);
    dedup_linestats_create(&narrow, 1 << 8);
    dedup_linestats_add(other, d2, strlen(d2));
    ok(dedup_linestats_merge(ls, other) == DEDUP_OK &&
           dedup_linestats_count(ls, "Home | World | Sports", 21) == 3 &&
           dedup_linestats_documents(ls) == 4,
       "merging adds counts");
    ok(dedup_linestats_merge(ls, narrow) == DEDUP_E_MISMATCH, "different widths do not merge");
    dedup_linestats_free(other);
    dedup_linestats_free(narrow);
    dedup_linestats_free(ls);
    dedup_linestats_free(NULL);

    /* Long lines are never boilerplate, so they are not counted. */
    static char longdoc[1024];
    memset(longdoc, 'x', 400);
    dedup_linestats_create(&ls, 1 << 12);
    dedup_linestats_add(ls, longdoc, 400);
    dedup_linestats_add(ls, longdoc, 400);
    is_int(dedup_linestats_count(ls, longdoc, 400), 0, "a 400-byte line is not counted");
    is_int(dedup_linestats_count(ls, longdoc, 300), 0, "a 300-byte line was never added");
    dedup_linestats_add(ls, longdoc, 300);
    is_int(dedup_linestats_count(ls, longdoc, 300), 1, "a 300-byte line is counted");
    dedup_linestats_free(ls);
}

/* Sized at two counters per distinct line, a sketch over 100k documents of
 * 20 lines each (2M distinct lines, plus 50 lines in every document) must
 * keep the over-counting of single lines far below a boilerplate count:
 * no single line may read 20 or more, and the shared lines read exactly. */
static void accuracy(void)
{
    dedup_linestats *ls;
    dedup_linestats_create(&ls, 4u << 20);
    static char doc[4096];
    for (int d = 0; d < 100000; d++) {
        size_t n = 0;
        for (int l = 0; l < 20; l++)
            n += (size_t)snprintf(doc + n, sizeof doc - n, "doc %d line %d\n", d, l);
        if (d % 2000 == 0) /* 50 documents share a few lines */
            n += (size_t)snprintf(doc + n, sizeof doc - n, "shared footer\n");
        dedup_linestats_add(ls, doc, n);
    }
    uint32_t worst = 0;
    char line[64];
    for (int d = 0; d < 100000; d += 7) {
        int len = snprintf(line, sizeof line, "doc %d line %d", d, d % 20);
        uint32_t c = dedup_linestats_count(ls, line, (size_t)len);
        if (c > worst)
            worst = c;
    }
    ok(worst >= 1 && worst < 20, "single lines read below a boilerplate count (worst %u)", worst);
    is_int(dedup_linestats_count(ls, "shared footer", 13), 50, "a shared line reads its count");
    dedup_linestats_free(ls);
}

/* A page of site s carrying story text. */
static void page(char *buf, size_t cap, int site, const char *story)
{
    snprintf(buf, cap,
             "Site %d News | Home | World | Business | Sports | Technology | Opinion\n"
             "Subscribe to the Site %d newsletter and never miss the stories that matter to you\n"
             "We use cookies on site %d to improve your experience and to show relevant ads\n"
             "%s\n"
             "ALSO READ: Site %d editors pick the best photographs of the week from around "
             "the world\n"
             "Copyright Site %d Media Group. All rights reserved. Terms of use and privacy\n",
             site, site, site, story, site, site);
}

static double containment(dedup_hasher *h, const char *a, const char *b)
{
    dedup_signature *sa, *sb;
    dedup_signature_create(&sa, NULL);
    dedup_signature_create(&sb, NULL);
    dedup_hasher_sign(h, a, strlen(a), sa);
    dedup_hasher_sign(h, b, strlen(b), sb);
    double c = -1;
    dedup_signature_containment(sa, sb, &c);
    dedup_signature_free(sa);
    dedup_signature_free(sb);
    return c;
}

static void filtering(void)
{
    const char *story1 = "The finance ministry said on Monday it would cut the fuel tax by "
                         "ten percent from next month to ease pressure on households.";
    const char *story2 = "Heavy rain flooded dozens of homes in the northern valley overnight "
                         "and rescue teams evacuated more than two hundred residents.";
    static char a[4096], b[4096], c[4096];
    page(a, sizeof a, 1, story1);
    page(b, sizeof b, 1, story2);
    page(c, sizeof c, 2, story1);

    dedup_hasher *h;
    dedup_hasher_create(&h, NULL);
    double before_diff = containment(h, a, b), before_copy = containment(h, a, c);
    ok(before_diff >= 0.5,
       "without statistics, two stories of one site look like duplicates (%.2f)", before_diff);

    dedup_linestats *ls;
    dedup_linestats_create(&ls, 1 << 14);
    static char other[4096];
    for (int i = 0; i < 30; i++) { /* the rest of each site's pages */
        char story[128];
        snprintf(story, sizeof story, "Unrelated story number %d about local matters", i);
        page(other, sizeof other, 1 + i % 2, story);
        dedup_linestats_add(ls, other, strlen(other));
    }
    ok(dedup_hasher_set_linestats(h, ls, 1) == DEDUP_E_INVAL, "min_docs below 2 is refused");
    ok(dedup_hasher_set_linestats(h, ls, 5) == DEDUP_OK, "set statistics");
    double after_diff = containment(h, a, b), after_copy = containment(h, a, c);
    ok(after_diff < 0.1, "with them, the two stories are told apart (%.2f)", after_diff);
    ok(after_copy >= 0.9 && after_copy >= before_copy,
       "copies of one story on two sites stay alike (%.2f, was %.2f)", after_copy, before_copy);
    is_int(h->lines_dropped, 5, "the five boilerplate lines of the page were left out");

    /* A page made only of boilerplate keeps all its text. */
    static char only[4096];
    page(only, sizeof only, 1, "");
    const uint64_t *s;
    size_t n1, n2;
    dedup_hasher_shingles(h, only, strlen(only), &s, &n1);
    dedup_hasher_set_linestats(h, NULL, 0);
    dedup_hasher_shingles(h, only, strlen(only), &s, &n2);
    ok(n1 == n2 && n1 > 0, "a page with nothing but boilerplate keeps its text (%zu)", n1);
    dedup_linestats_free(ls);
    dedup_hasher_free(h);
}

static void out_of_memory(void)
{
    int all = 1;
    for (long n = 0; n < 10; n++) {
        dedup_linestats *ls = NULL;
        dedup__alloc_fail_at(n);
        int rc = dedup_linestats_create(&ls, 64);
        if (rc == DEDUP_OK)
            rc = dedup_linestats_add(ls, "a\nb\nc\n", 6);
        dedup__alloc_fail_at(-1);
        all &= rc == DEDUP_OK || rc == DEDUP_E_NOMEM;
        dedup_linestats_free(ls);
    }
    ok(all, "allocation failures give DEDUP_E_NOMEM");
}

/* Serialized statistics: a round trip keeps every count, and every kind of
 * damage gets its own status without reading outside the buffer. */
static void serialization(void)
{
    dedup_linestats *ls = NULL, *back = NULL;
    dedup_linestats_create(&ls, 64); /* two blocks: a 168-byte image */
    char doc[64];
    for (int d = 0; d < 300; d++) {
        snprintf(doc, sizeof doc, "nav bar\nline %d\nfooter %d\n", d, d % 7);
        dedup_linestats_add(ls, doc, strlen(doc));
    }
    size_t size = dedup_linestats_serialized_size(ls), w = 1;
    is_int(size, 32 + 64 * 2 + 8, "serialized size: header, 2 bytes a counter, checksum");
    unsigned char buf[512], again[512];
    is_int(dedup_linestats_serialize(ls, buf, size - 1, &w), DEDUP_E_RANGE, "small buffer: RANGE");
    is_int(w, 0, "nothing written");
    is_int(dedup_linestats_serialize(ls, buf, sizeof buf, &w), DEDUP_OK, "serialize");
    is_int(w, size, "all of it written");
    ok(!memcmp(buf, "DDLS", 4) && buf[4] == 1 && buf[5] == 0, "magic and version 1");
    is_int(dedup_linestats_deserialize(&back, buf, size), DEDUP_OK, "deserialize");
    int same = back && dedup_linestats_documents(back) == 300;
    for (int d = 0; back && d < 300; d++) {
        snprintf(doc, sizeof doc, "line %d", d);
        same &= dedup_linestats_count(back, doc, strlen(doc)) ==
                dedup_linestats_count(ls, doc, strlen(doc));
    }
    same &= back && dedup_linestats_count(back, "nav bar", 7) == 300 &&
            dedup_linestats_count(back, "footer 3", 8) == dedup_linestats_count(ls, "footer 3", 8);
    ok(same, "every count and the document count come back");
    dedup_linestats_serialize(back, again, sizeof again, &w);
    ok(w == size && !memcmp(buf, again, size), "the copy serializes to the same bytes");
    dedup_linestats_free(back);

    int trunc = 1;
    for (size_t n = 4; n < size; n++) {
        back = NULL;
        trunc &= dedup_linestats_deserialize(&back, buf, n) == DEDUP_E_TRUNCATED && !back;
    }
    ok(trunc, "every truncation: TRUNCATED");
    unsigned char big[600];
    memcpy(big, buf, size);
    big[size] = 0;
    is_int(dedup_linestats_deserialize(&back, big, size + 1), DEDUP_E_FORMAT,
           "a trailing byte: FORMAT");
    int flips = 1;
    for (size_t i = 0; i < size; i++) {
        memcpy(again, buf, size);
        again[i] ^= 0x40;
        int rc = dedup_linestats_deserialize(&back, again, size);
        int want = i < 4 ? DEDUP_E_FORMAT : i < 6 ? DEDUP_E_VERSION : i < 24 && i >= 6 ? -1 : 0;
        if (want == -1) /* reserved, shape, blocks: refused, perhaps as truncated */
            flips &= rc == DEDUP_E_FORMAT || rc == DEDUP_E_TRUNCATED;
        else if (want)
            flips &= rc == want;
        else
            flips &= rc == DEDUP_E_CHECKSUM;
        flips &= back == NULL;
    }
    ok(flips, "every flipped byte is refused with its status");
    is_int(dedup_linestats_deserialize(&back, "DDL", 3), DEDUP_E_TRUNCATED, "a short prefix: TRUNCATED");
    is_int(dedup_linestats_deserialize(&back, "XXXX", 4), DEDUP_E_FORMAT, "another magic: FORMAT");
    is_int(dedup_linestats_deserialize(NULL, buf, size), DEDUP_E_INVAL, "out NULL: INVAL");
    is_int(dedup_linestats_serialize(NULL, buf, size, &w), DEDUP_E_INVAL, "NULL sketch: INVAL");
    is_int(dedup_linestats_serialized_size(NULL), 0, "size of NULL: 0");
    dedup_linestats_free(ls);
}

/* A document's line hashes count exactly what its text does, wherever
 * they are added. */
static void hashes(void)
{
    const char *docs[] = {
        "Home | World\nA story line\n  Home | World \nA story line\n",
        "Home | World\r\nanother story\n\n",
        "",
        "one line, no break",
    };
    dedup_linestats *a = NULL, *b = NULL;
    dedup_linestats_create(&a, 1 << 12);
    dedup_linestats_create(&b, 1 << 12);
    uint64_t h[16];
    size_t n = 99;
    int fine = 1;
    for (int i = 0; i < 4; i++) {
        dedup_linestats_add(a, docs[i], strlen(docs[i]));
        fine &= dedup_linestats_hashes(docs[i], strlen(docs[i]), h, 16, &n) == DEDUP_OK;
        for (size_t j = 1; j < n; j++)
            fine &= h[j - 1] < h[j] && h[j - 1] != 0;
        fine &= dedup_linestats_add_hashes(b, h, n) == DEDUP_OK;
        if (i == 0)
            is_int((long)n, 2, "two distinct lines in the first document");
    }
    size_t sa = dedup_linestats_serialized_size(a), wa = 0, wb = 0;
    char *ba = malloc(sa), *bb = malloc(sa);
    dedup_linestats_serialize(a, ba, sa, &wa);
    dedup_linestats_serialize(b, bb, sa, &wb);
    ok(fine && wa == wb && memcmp(ba, bb, wa) == 0,
       "the hashes of each text count exactly what the texts do");
    free(ba);
    free(bb);
    is_int(dedup_linestats_hashes(docs[0], strlen(docs[0]), h, 1, &n), DEDUP_E_RANGE,
           "too little room: RANGE");
    is_int((long)n, 2, "... with the room needed");
    uint64_t twice[] = {h[0], 0, h[0]};
    dedup_linestats_add_hashes(b, twice, 3);
    dedup_linestats_add_hashes(b, NULL, 0);
    is_int(dedup_linestats_documents(b), 6, "repeats and zeros ignored, an empty document counts");
    is_int(dedup_linestats_add_hashes(NULL, h, 1), DEDUP_E_INVAL, "NULL sketch: INVAL");
    is_int(dedup_linestats_hashes("x", 1, NULL, 0, NULL), DEDUP_E_INVAL, "NULL count: INVAL");
    dedup_linestats_free(a);
    dedup_linestats_free(b);
}

/* Whether every line's "count >= t" read through its block's top agrees
 * with its counters, for thresholds around the top's cap of 255. */
static int tops_agree(const dedup_linestats *ls, const uint64_t *h, size_t n)
{
    static const uint32_t t[] = {1, 2, 3, 5, 20, 100, 254, 255, 256, 300, 65535};
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < sizeof t / sizeof t[0]; j++)
            if (dedup__linestats_at_least(ls, h[i], t[j]) !=
                (dedup__linestats_lookup(ls, h[i]) >= t[j]))
                return 0;
    return 1;
}

/* Each block's top (the shortcut of boilerplate lookups) stays what its
 * counters say: counted, merged and read back; and a document of many
 * lines, in any order and with repeats, gives its distinct lines sorted. */
static void tops(void)
{
    enum { LINES = 600 };
    static uint64_t h[LINES];
    dedup_linestats *a = NULL, *b = NULL, *c = NULL;
    /* 32 blocks for 600 lines: blocks are shared, counts collide. */
    dedup_linestats_create(&a, 1 << 10);
    dedup_linestats_create(&b, 1 << 10);
    for (size_t i = 0; i < LINES; i++)
        h[i] = 0x9e3779b97f4a7c15ULL * (i + 1) | 1;
    uint64_t x = 42;
    for (int d = 0; d < 400; d++) {
        uint64_t doc[64];
        size_t n = 0;
        /* Line i is in a document with probability about 1 / (i + 1):
         * counts from 400 down to 1, across the top's cap. */
        for (size_t i = 0; i < LINES && n < 64; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            if ((x >> 33) % (i + 1) == 0)
                doc[n++] = h[i];
        }
        dedup_linestats_add_hashes(a, doc, n);
        if (d % 2)
            dedup_linestats_add_hashes(b, doc, n);
    }
    ok(dedup__linestats_lookup(a, h[0]) >= 300, "the most frequent line passes the cap of 255");
    ok(tops_agree(a, h, LINES) && tops_agree(b, h, LINES), "tops agree with counts as counted");
    dedup_linestats_merge(a, b);
    ok(tops_agree(a, h, LINES), "... after a merge");
    size_t size = dedup_linestats_serialized_size(a);
    char *buf = malloc(size);
    dedup_linestats_serialize(a, buf, size, NULL);
    ok(dedup_linestats_deserialize(&c, buf, size) == DEDUP_OK && tops_agree(c, h, LINES),
       "... after a round trip");
    free(buf);

    /* 100 lines, each twice, in a scrambled order. */
    char text[100 * 2 * 16];
    size_t len = 0;
    for (int k = 0; k < 200; k++)
        len += (size_t)sprintf(text + len, "line %03d\n", (k * 37) % 100);
    uint64_t out[128];
    size_t n = 0;
    int sorted = dedup_linestats_hashes(text, len, out, 128, &n) == DEDUP_OK;
    for (size_t i = 1; i < n; i++)
        sorted &= out[i - 1] < out[i];
    ok(sorted && n == 100, "100 distinct lines, given twice each: 100 hashes, ascending");
    dedup_linestats_free(a);
    dedup_linestats_free(b);
    dedup_linestats_free(c);
}

/* Whether text[0..len), not NUL-terminated, holds s. */
static int has(const char *text, size_t len, const char *s)
{
    return memmem(text, len, s, strlen(s)) != NULL;
}

/* Lines counted per site: a menu on two pages of one site, a notice on
 * three, are that site's furniture for a hasher told the site; a story the
 * site runs twice keeps its sentences; other sites and pages without a
 * site are not affected. Counting through dedup_linestats_site_keys and
 * dedup_linestats_add_hashes gives the same sketch as
 * dedup_linestats_add_site. */
static void sites(void)
{
    const char *menu = "Home | World | Business | Sport";
    const char *notice = "This report may not be republished without the agency's permission.";
    char page[4][512];
    for (int i = 0; i < 4; i++)
        snprintf(page[i], sizeof page[i],
                 "%s\nstory %d opens with its own first sentence, number %d.\n"
                 "and goes on with a second sentence of its own, %d.\n%s\n",
                 menu, i, i * 7, i * 13, notice);
    const char *twice = "A story the site runs twice, word for word, in two sections.\n"
                        "Its second sentence is the same on both pages too.\n"
                        "Its last paragraph, longer than any headline or menu, ends with the "
                        "agency's credit cut short rather than with a full stop, as scraped "
                        "pages often do, and it is no furniture of the site either EFE-EP\n";
    dedup_linestats *ls = NULL, *via = NULL;
    dedup_linestats_create(&ls, 1 << 14);
    dedup_linestats_create(&via, 1 << 14);
    is_int(dedup_linestats_add_site(NULL, "a", 1, "x", 1), DEDUP_E_INVAL, "add_site: NULL stats");
    is_int(dedup_linestats_add_site(ls, NULL, 3, "x", 1), DEDUP_E_INVAL,
           "add_site: NULL site with a length");
    const char *site = "news.example.com";
    size_t sl = strlen(site);
    for (int i = 0; i < 2; i++)
        is_int(dedup_linestats_add_site(ls, site, sl, page[i], strlen(page[i])), DEDUP_OK,
               "page %d of the site counted", i);
    dedup_linestats_add_site(ls, "other.org", 9, page[3], strlen(page[3]));
    dedup_linestats_add_site(ls, site, sl, twice, strlen(twice));
    dedup_linestats_add_site(ls, site, sl, twice, strlen(twice));
    is_int(dedup_linestats_count_site(ls, site, sl, menu, strlen(menu)), 2,
           "the menu counted on two pages of the site");
    is_int(dedup_linestats_count_site(ls, "other.org", 9, menu, strlen(menu)), 1,
           "and on one of the other site");
    is_int(dedup_linestats_count(ls, menu, strlen(menu)), 3, "and on three pages in all");
    is_int(dedup_linestats_count_site(ls, "", 0, menu, strlen(menu)), 0, "no site: 0");
    is_int(dedup_linestats_count_site(ls, "News.EXAMPLE.com", sl, menu, strlen(menu)), 2,
           "a site's name compares without regard to ASCII case");
    {
        /* Longer than the block the name is folded in. */
        char lo[600], up[600];
        for (size_t i = 0; i < sizeof lo; i++)
            lo[i] = (char)('a' + i % 26), up[i] = (char)((i % 3 ? 'a' : 'A') + i % 26);
        uint64_t line = 99, k1 = 0, k2 = 0, k3 = 0;
        dedup_linestats_site_keys(lo, sizeof lo, &line, 1, &k1);
        dedup_linestats_site_keys(up, sizeof up, &line, 1, &k2);
        dedup_linestats_site_keys(lo, sizeof lo - 1, &line, 1, &k3);
        ok(k1 && k1 == k2 && k1 != k3, "a long site name folds to one key, its prefix not");
    }
    is_int(dedup_linestats_documents(ls), 5, "five documents");

    /* The same pages through the line hashes and their site keys. */
    const char *docs[5] = {page[0], page[1], page[3], twice, twice};
    const char *dsite[5] = {site, site, "other.org", site, site};
    for (int d = 0; d < 5; d++) {
        uint64_t h[32];
        size_t n = 0;
        dedup_linestats_hashes(docs[d], strlen(docs[d]), h, 16, &n);
        is_int(dedup_linestats_site_keys(dsite[d], strlen(dsite[d]), h, n, h + n), DEDUP_OK,
               "site keys of page %d", d);
        dedup_linestats_add_hashes(via, h, 2 * n);
    }
    size_t sz = dedup_linestats_serialized_size(ls), w1 = 0, w2 = 0;
    unsigned char *b1 = malloc(sz), *b2 = malloc(sz);
    dedup_linestats_serialize(ls, b1, sz, &w1);
    dedup_linestats_serialize(via, b2, sz, &w2);
    ok(w1 == sz && w2 == sz && !memcmp(b1, b2, sz),
       "hashes and site keys counted together give the same sketch as add_site");
    free(b1);
    free(b2);
    uint64_t one = 42, key = 7;
    dedup_linestats_site_keys("", 0, &one, 1, &key);
    is_int((long)key, 0, "an empty site gives no keys");

    /* What a hasher told the site leaves out. */
    dedup_hasher *h = NULL;
    dedup_hasher_create(&h, NULL);
    dedup_hasher_set_linestats(h, ls, 20);
    const char *t;
    size_t tl;
    dedup_hasher_shingles(h, page[0], strlen(page[0]), &(const uint64_t *){0}, &(size_t){0});
    dedup_hasher_compared(h, &t, &tl, NULL);
    ok(has(t, tl, menu) && has(t, tl, notice), "no site set: everything kept");
    is_int(dedup_hasher_set_site(h, NULL, 2), DEDUP_E_INVAL, "set_site: NULL with a length");
    dedup_hasher_set_site(h, site, sl);
    dedup_hasher_shingles(h, page[0], strlen(page[0]), &(const uint64_t *){0}, &(size_t){0});
    dedup_hasher_compared(h, &t, &tl, NULL);
    ok(!has(t, tl, menu) && has(t, tl, notice) && has(t, tl, "story 0 opens"),
       "two pages: the menu is furniture, the sentence is not");
    dedup_hasher_shingles(h, twice, strlen(twice), &(const uint64_t *){0}, &(size_t){0});
    dedup_hasher_compared(h, &t, &tl, NULL);
    ok(tl == strlen(twice), "a story run twice keeps its sentences and long paragraphs");
    dedup_linestats_add_site(ls, site, sl, page[2], strlen(page[2]));
    dedup_hasher_shingles(h, page[0], strlen(page[0]), &(const uint64_t *){0}, &(size_t){0});
    dedup_hasher_compared(h, &t, &tl, NULL);
    ok(!has(t, tl, menu) && !has(t, tl, notice) && has(t, tl, "story 0 opens"),
       "three pages: the notice is furniture too");
    dedup_linestats_add_site(ls, site, sl, twice, strlen(twice));
    dedup_hasher_shingles(h, twice, strlen(twice), &(const uint64_t *){0}, &(size_t){0});
    dedup_hasher_compared(h, &t, &tl, NULL);
    ok(!has(t, tl, "Its second sentence") && has(t, tl, "Its last paragraph"),
       "a story run three times: its short sentences go, its paragraph stays");
    dedup_hasher_set_site(h, "other.org", 9);
    dedup_hasher_shingles(h, page[3], strlen(page[3]), &(const uint64_t *){0}, &(size_t){0});
    dedup_hasher_compared(h, &t, &tl, NULL);
    ok(has(t, tl, menu) && has(t, tl, notice), "another site's page keeps them");
    dedup_hasher_set_site(h, NULL, 0);
    dedup_hasher_shingles(h, page[0], strlen(page[0]), &(const uint64_t *){0}, &(size_t){0});
    dedup_hasher_compared(h, &t, &tl, NULL);
    ok(has(t, tl, menu) && has(t, tl, notice), "the site unset: kept again");
    dedup_hasher_free(h);
    dedup_linestats_free(ls);
    dedup_linestats_free(via);
}

/* A page's site from its address: the host, without what does not name
 * the site; anything else whole. */
static void site_of(void)
{
    static const struct {
        const char *url, *site;
    } cases[] = {
        {"https://news.example.com/2023/09/story.html", "news.example.com"},
        {"https://www.example.com/a", "example.com"},
        {"HTTP://WWW.Example.COM/A", "Example.COM"},
        {"https://Www.example.com", "example.com"},
        {"https://example.com:8443/x", "example.com"},
        {"https://user:secret@example.com/x", "example.com"},
        {"https://a@b@example.com:1/x", "example.com"},
        {"https://example.com?q=http://other.org/", "example.com"},
        {"https://example.com#top", "example.com"},
        {"https://example.com./x", "example.com"},
        {"https://example.com\\x", "example.com"},
        {"http://[2001:db8::1]:8080/x", "[2001:db8::1]"},
        {"http://[2001:db8::1]/x", "[2001:db8::1]"},
        {"https://www./x", "www"},
        {"file:///tmp/page.html", ""},
        {"example.com", "example.com"},
        {"Reuters", "Reuters"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* Each in a buffer of its exact length, so that a sanitizer sees
         * a read past it. */
        size_t len = strlen(cases[i].url);
        char *buf = malloc(len ? len : 1);
        memcpy(buf, cases[i].url, len);
        const char *site = NULL;
        size_t n = 99;
        int rc = dedup_site_of(buf, len, &site, &n);
        ok(rc == DEDUP_OK && n == strlen(cases[i].site) && !memcmp(site, cases[i].site, n) &&
               site >= buf && site + n <= buf + len,
           "site of \"%s\": \"%s\" (got \"%.*s\")", cases[i].url, cases[i].site, (int)n,
           site ? site : "");
        free(buf);
    }
    /* Every prefix of an address, in a buffer of its length: the span lies
     * inside it. */
    const char *url = "https://u@[2001:db8::1]:8080/p?q#f";
    const char *site;
    size_t n;
    int inside = 1;
    for (size_t len = 0; len <= strlen(url); len++) {
        char *buf = malloc(len ? len : 1);
        memcpy(buf, url, len);
        inside &= dedup_site_of(buf, len, &site, &n) == DEDUP_OK && site >= buf &&
                  site + n <= buf + len;
        free(buf);
    }
    ok(inside, "every prefix of an address: a span inside the bytes given");
    dedup_site_of("https://example.com/path", 14, &site, &n);
    ok(n == 6 && !memcmp(site, "exampl", 6), "only the len bytes given are read");
    is_int(dedup_site_of(NULL, 0, &site, &n), DEDUP_OK, "NULL url with len 0");
    is_int((long)n, 0, "gives an empty site");
    is_int(dedup_site_of(NULL, 3, &site, &n), DEDUP_E_INVAL, "NULL url with a length");
    is_int(dedup_site_of(url, 5, NULL, &n), DEDUP_E_INVAL, "NULL site");
    is_int(dedup_site_of(url, 5, &site, NULL), DEDUP_E_INVAL, "NULL site_len");
}

int main(void)
{
    counts();
    hashes();
    tops();
    accuracy();
    filtering();
    serialization();
    sites();
    site_of();
    out_of_memory();
    return tap_done();
}
