/*
 * test-index-text.c - documents by name and by text: keys kept in the
 * index and given back, ids that do not collide, keys forgotten with their
 * documents; fields joined as the tool joins them; line statistics counted
 * by dedup_index_add_text and leaving site furniture out; names given to
 * stored documents, the next id of named documents, many names added and
 * dropped; names and statistics saved to a file or to memory and loaded
 * back, after which the index goes on exactly as one never saved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEDUP_EXPERIMENTAL
#include "dedup.h"
#include "tap.h"

static dedup_signature *sign(const char *text)
{
    dedup_hasher *h;
    dedup_signature *s;
    dedup_hasher_create(&h, NULL);
    dedup_signature_create(&s, NULL);
    dedup_hasher_sign(h, text, strlen(text), s);
    dedup_hasher_free(h);
    return s;
}

static const char *story_a =
    "The harbour authority approved a new container terminal on Tuesday after "
    "two years of hearings, and construction is due to begin next spring with "
    "the first ships expected to dock there in the autumn of the following year.";
static const char *story_b =
    "Heavy rain closed three mountain passes overnight and the regional council "
    "asked drivers to avoid the northern valley roads until the weekend, when "
    "crews expect to have cleared the landslides that blocked them.";

static void names(void)
{
    dedup_index *idx;
    dedup_index_create(&idx, NULL);
    dedup_signature *a = sign(story_a), *b = sign(story_b);
    uint64_t ida = 0, idb = 0, got = 0;
    /* A document added by number takes id 1: named ones go around it. */
    dedup_index_add(idx, 1, 0, b);
    is_int(dedup_index_add_named(idx, "https://example.org/a", 21, 5, a, &ida), DEDUP_OK,
           "add by key");
    ok(ida == 2, "the id given skips the number in use (%llu)", (unsigned long long)ida);
    is_int(dedup_index_add_named(idx, "https://example.org/a", 21, 6, b, NULL), DEDUP_E_EXISTS,
           "the same key again: EXISTS");
    is_int(dedup_index_add_named(idx, "", 0, 6, b, &idb), DEDUP_OK, "an empty key is a key");
    size_t len = 0;
    const char *n = dedup_index_name(idx, ida, &len);
    ok(n && len == 21 && !memcmp(n, "https://example.org/a", 21), "the key comes back");
    ok(dedup_index_name(idx, 1, &len) == NULL && len == 0, "a document added by number has none");
    is_int(dedup_index_lookup(idx, "https://example.org/a", 21, &got), DEDUP_OK, "lookup");
    ok(got == ida, "finds its id");
    is_int(dedup_index_lookup(idx, "https://example.org/b", 21, &got), DEDUP_E_NOTFOUND,
           "an unknown key: NOTFOUND");
    char big[70000];
    memset(big, 'k', sizeof big);
    is_int(dedup_index_add_named(idx, big, 65536, 0, a, NULL), DEDUP_E_RANGE,
           "a key over 65535 bytes: RANGE");
    is_int(dedup_index_add_named(idx, big, 65535, 0, a, NULL), DEDUP_OK, "65535 bytes: fine");

    /* add_unique by key: a copy is reported and not stored, nor its key. */
    int dup = 0;
    dedup_match best;
    is_int(dedup_index_add_unique_named(idx, "copy", 4, 7, a, &dup, &best, &got), DEDUP_OK,
           "add_unique by key");
    ok(dup == 1 && (best.id == ida || best.id == 3) && got == 0,
       "a copy of a stored document is reported");
    ok(dedup_index_lookup(idx, "copy", 4, &got) == DEDUP_E_NOTFOUND, "and its key not kept");

    /* Removing or expiring forgets the key; many adds and removes keep
     * every remaining key findable. */
    is_int(dedup_index_remove_named(idx, "https://example.org/a", 21), DEDUP_OK,
           "remove by key");
    ok(dedup_index_lookup(idx, "https://example.org/a", 21, &got) == DEDUP_E_NOTFOUND &&
           dedup_index_name(idx, ida, NULL) == NULL,
       "the key is gone with the document");
    int lost = 0;
    char key[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        dedup_index_add_named(idx, key, strlen(key), 100 + i, b, NULL);
        if (i >= 10 && i % 3 == 0) {
            snprintf(key, sizeof key, "k%d", i - 10);
            dedup_index_remove_named(idx, key, strlen(key));
        }
    }
    for (int i = 0; i < 3000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        int gone = i + 10 < 3000 && (i + 10) % 3 == 0;
        lost += (dedup_index_lookup(idx, key, strlen(key), &got) == DEDUP_OK) == gone;
    }
    ok(lost == 0, "3000 keys, a third removed: each found or not as it should (%d wrong)",
       lost);
    size_t before = dedup_index_count(idx), removed = 0;
    dedup_index_expire(idx, 1100, &removed);
    ok(removed > 0 && dedup_index_lookup(idx, "k0", 2, &got) == DEDUP_E_NOTFOUND &&
           dedup_index_lookup(idx, "k2999", 5, &got) == DEDUP_OK,
       "expiry forgets the keys of the expired (%zu of %zu)", removed, before);
    dedup_signature_free(a);
    dedup_signature_free(b);
    dedup_index_free(idx);
}

static void fields(void)
{
    dedup_hasher *h;
    dedup_hasher_create(&h, NULL);
    dedup_signature *s1, *s2;
    dedup_signature_create(&s1, NULL);
    dedup_signature_create(&s2, NULL);
    char joined[1024];
    snprintf(joined, sizeof joined, "%s\n%s", "Terminal approved", story_a);
    dedup_field f[3] = {{"Terminal approved", 17}, {NULL, 0}, {story_a, strlen(story_a)}};
    dedup_hasher_sign(h, joined, strlen(joined), s1);
    dedup_hasher_sign_fields(h, f, 3, s2);
    double sim = 0;
    dedup_signature_jaccard(s1, s2, &sim);
    ok(sim == 1.0 && dedup_signature_set_size(s1) == dedup_signature_set_size(s2),
       "fields are the present ones joined with a line break");
    dedup_hasher_sign(h, "", 0, s1);
    is_int(dedup_hasher_sign_fields(h, f + 1, 1, s2), DEDUP_OK, "no field present");
    ok(dedup_signature_set_size(s2) == 0, "signs the empty text");
    is_int(dedup_hasher_sign_fields(h, NULL, 1, s2), DEDUP_E_INVAL, "NULL fields: INVAL");
    dedup_signature_free(s1);
    dedup_signature_free(s2);
    dedup_hasher_free(h);
}

/* A site page: 30 lines of furniture around a story of 40 words. */
static char *page(unsigned seed)
{
    char *p = malloc(8192);
    size_t at = 0;
    for (int i = 0; i < 30; i++)
        at += (size_t)snprintf(p + at, 8192 - at, "Site menu %d | Weather | Markets\n", i);
    unsigned x = seed * 2654435761u + 1;
    for (int w = 0; w < 40; w++) {
        x = x * 1103515245u + 12345u;
        at += (size_t)snprintf(p + at, 8192 - at, "w%u ", (x >> 8) % 5000);
    }
    return p;
}

/* Feed n pages through add_text; the number reported as duplicates. With
 * copies, every third page is page i - 50 again, under its own key. */
static int feed(dedup_index *idx, unsigned from, unsigned n, int copies)
{
    int dups = 0;
    for (unsigned i = from; i < from + n; i++) {
        char *p = page(copies && i % 3 == 0 ? i - 50 : i), key[16];
        snprintf(key, sizeof key, "p%u", i);
        dedup_field f[2] = {{key, strlen(key)}, {p, strlen(p)}};
        int dup = 0;
        dedup_index_add_text(idx, key, strlen(key), (int64_t)i, f, 2, &dup, NULL, NULL);
        dups += dup;
        free(p);
    }
    return dups;
}

static void text_and_saving(void)
{
    dedup_index *on, *off;
    dedup_index_create(&on, NULL);
    dedup_index_create(&off, NULL);
    is_int(dedup_index_set_boilerplate(on, 1), DEDUP_E_INVAL, "a threshold of 1: INVAL");
    is_int(dedup_index_set_boilerplate(on, DEDUP_BOILERPLATE_DEFAULT), DEDUP_OK,
           "boilerplate on");
    ok(dedup_index_linestats(on) && !dedup_index_linestats(off), "statistics only when on");
    int d_on = feed(on, 0, 60, 0), d_off = feed(off, 0, 60, 0);
    /* Without statistics the furniture makes every page a copy of the
     * first; with them, once it is seen in 20 pages it is left out. */
    ok(d_off >= 58, "without line statistics the furniture makes copies (%d of 60)", d_off);
    ok(d_on <= 21, "with them, only pages before it was known (%d of 60)", d_on);
    is_int((long)dedup_linestats_documents(dedup_index_linestats(on)), 60,
           "every page's lines counted, duplicates too");

    /* Saved and loaded, to a file and to memory: the same index, which
     * goes on exactly as the one never saved. */
    char path[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/dedup-text-%ld.idx", tmp && *tmp ? tmp : "/tmp",
             (long)getpid());
    is_int(dedup_index_save(on, path), DEDUP_OK, "save with names and statistics");
    dedup_index *back = NULL, *mem = NULL;
    is_int(dedup_index_load(&back, path), DEDUP_OK, "load");
    size_t need = dedup_index_serialized_size(on), w = 0;
    unsigned char *buf = malloc(need), *file = malloc(need + 1);
    is_int(dedup_index_serialize(on, buf, need - 1, &w), DEDUP_E_RANGE, "too small: RANGE");
    is_int(dedup_index_serialize(on, buf, need, &w), DEDUP_OK, "serialize");
    FILE *f = fopen(path, "rb");
    size_t flen = f ? fread(file, 1, need + 1, f) : 0;
    if (f)
        fclose(f);
    ok(w == need && flen == need && !memcmp(buf, file, need),
       "the bytes in memory are the file's");
    is_int(dedup_index_deserialize(&mem, buf, need), DEDUP_OK, "deserialize");
    dedup_index *short_one = NULL;
    is_int(dedup_index_deserialize(&short_one, buf, need - 1), DEDUP_E_TRUNCATED,
           "one byte short: TRUNCATED");
    uint64_t id = 0;
    ok(back && mem && dedup_index_boilerplate(back) == DEDUP_BOILERPLATE_DEFAULT &&
           dedup_index_lookup(back, "p0", 2, &id) == DEDUP_OK &&
           dedup_index_lookup(mem, "p0", 2, &id) == DEDUP_OK &&
           dedup_index_count(back) == dedup_index_count(on),
       "names, threshold and documents come back");
    int a = feed(on, 60, 40, 1), b = feed(back, 60, 40, 1), c = feed(mem, 60, 40, 1);
    uint64_t i1 = 0, i2 = 0, i3 = 0;
    dedup_index_lookup(on, "p99", 3, &i1);
    dedup_index_lookup(back, "p99", 3, &i2);
    dedup_index_lookup(mem, "p99", 3, &i3);
    ok(a >= 10 && a == b && b == c && i1 == i2 && i2 == i3 &&
           dedup_linestats_documents(dedup_index_linestats(back)) == 100,
       "loaded ones go on exactly as the original (%d %d %d duplicates)", a, b, c);

    /* A damaged name, the last byte of the names section (the line
     * statistics' section follows: 16 + 8 + sketch + 8 bytes): its
     * section's checksum catches it. */
    buf[need - dedup_linestats_serialized_size(dedup_index_linestats(on)) - 41] ^= 1;
    dedup_index *bad = NULL;
    int rc = dedup_index_deserialize(&bad, buf, need);
    ok(rc == DEDUP_E_CHECKSUM && !bad, "a damaged name: CHECKSUM (%d)", rc);
    free(buf);
    free(file);
    unlink(path);
    dedup_index_free(on);
    dedup_index_free(off);
    dedup_index_free(back);
    dedup_index_free(mem);
}


/* Names given after the fact, the next id for named documents, and many
 * names added and dropped: every key and id stays found. */
static void named_later(void)
{
    dedup_index *idx;
    dedup_index_create(&idx, NULL);
    dedup_signature *a = sign(story_a), *b = sign(story_b);
    uint64_t got = 0;
    ok(dedup_index_next_named(idx) == 1, "a new index gives named documents 1 first");
    dedup_index_add(idx, 7, 1, a);
    dedup_index_add(idx, 9, 2, b);
    is_int(dedup_index_set_name(idx, 7, "seven", 5), DEDUP_OK, "name a document added by number");
    is_int(dedup_index_lookup(idx, "seven", 5, &got), DEDUP_OK, "found by that name");
    ok(got == 7, "as itself");
    is_int(dedup_index_set_name(idx, 9, "seven", 5), DEDUP_E_EXISTS,
           "another document's name: EXISTS");
    is_int(dedup_index_set_name(idx, 8, "eight", 5), DEDUP_E_NOTFOUND,
           "a number not stored: NOTFOUND");
    is_int(dedup_index_set_name(idx, 7, "seven", 5), DEDUP_OK, "its own name again: OK");
    is_int(dedup_index_set_name(idx, 7, "\0sept", 5), DEDUP_OK, "renamed, NUL bytes and all");
    ok(dedup_index_lookup(idx, "seven", 5, &got) == DEDUP_E_NOTFOUND,
       "the old name is gone");
    size_t len = 0;
    const char *n = dedup_index_name(idx, 7, &len);
    ok(n && len == 5 && !memcmp(n, "\0sept", 5), "the new one is its name");
    is_int(dedup_index_set_next_named(idx, 0), DEDUP_E_INVAL, "next id 0: INVAL");
    is_int(dedup_index_set_next_named(idx, 100), DEDUP_OK, "set the next id");
    dedup_index_add_named(idx, "hundred", 7, 3, a, &got);
    ok(got == 100 && dedup_index_next_named(idx) == 101, "the next named document takes it");
    /* All named documents gone: the next id is still saved. */
    dedup_index_remove(idx, 100);
    dedup_index_remove(idx, 7);
    size_t need = dedup_index_serialized_size(idx), w = 0;
    unsigned char *buf = malloc(need);
    dedup_index *back = NULL;
    ok(!dedup_index_serialize(idx, buf, need, &w) && !dedup_index_deserialize(&back, buf, w) &&
           dedup_index_next_named(back) == 101,
       "with every named document gone the next id comes back (%llu)",
       (unsigned long long)dedup_index_next_named(back));
    free(buf);
    dedup_index_free(back);

    /* Many names, half of them dropped and others added, twice over. */
    enum { N = 30000 };
    char key[32];
    int bad = 0;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            snprintf(key, sizeof key, "k%d-%d", round, i);
            if (dedup_index_add_named(idx, key, strlen(key), 10, i % 2 ? a : b, NULL))
                bad++;
        }
        for (int i = 0; i < N; i += 2) {
            snprintf(key, sizeof key, "k%d-%d", round, i);
            if (dedup_index_remove_named(idx, key, strlen(key)))
                bad++;
        }
    }
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < N; i++) {
            snprintf(key, sizeof key, "k%d-%d", round, i);
            int found = dedup_index_lookup(idx, key, strlen(key), &got) == DEDUP_OK;
            n = found ? dedup_index_name(idx, got, &len) : NULL;
            if (found != (i % 2) || (found && (len != strlen(key) || memcmp(n, key, len))))
                bad++;
        }
    ok(bad == 0 && dedup_index_count(idx) == N + 1, "%d names of %d misplaced", bad, 4 * N);
    dedup_signature_free(a);
    dedup_signature_free(b);
    dedup_index_free(idx);
}

/* Pages that name their site: two different stories on one site, under
 * a menu longer than either, are no copies from the second page on (the
 * menu is that site's furniture once it is on two pages, the page's own
 * included); the same pages
 * without a site are, until the menu is on 20 pages. The per-site counts
 * are saved with the index, and a page of another site keeps the menu. */
static void sites(void)
{
    dedup_index *with, *without;
    dedup_index_create(&with, NULL);
    dedup_index_create(&without, NULL);
    dedup_index_set_boilerplate(with, DEDUP_BOILERPLATE_DEFAULT);
    dedup_index_set_boilerplate(without, DEDUP_BOILERPLATE_DEFAULT);
    const char *site = "news.example.com";
    int dups_with = 0, dups_without = 0, dup = 0;
    for (unsigned i = 0; i < 4; i++) {
        char *p = page(1000 + i), key[16];
        snprintf(key, sizeof key, "s%u", i);
        dedup_field f = {p, strlen(p)};
        is_int(dedup_index_add_text_site(with, site, strlen(site), key, strlen(key), i, &f, 1,
                                         &dup, NULL, NULL),
               DEDUP_OK, "page %u added with its site", i);
        dups_with += dup;
        dedup_index_add_text(without, key, strlen(key), i, &f, 1, &dup, NULL, NULL);
        dups_without += dup;
        free(p);
    }
    is_int(dups_without, 3, "without the site the menu makes copies of every page after the first");
    is_int(dups_with, 0,
           "with it none: a page's own lines count, so the second page already leaves the menu out");
    is_int(dedup_index_add_text_site(with, NULL, 3, "x", 1, 0, NULL, 0, &dup, NULL, NULL),
           DEDUP_E_INVAL, "NULL site with a length: INVAL");

    size_t need = dedup_index_serialized_size(with), w = 0;
    unsigned char *buf = malloc(need);
    dedup_index *back = NULL;
    ok(!dedup_index_serialize(with, buf, need, &w) && !dedup_index_deserialize(&back, buf, w),
       "saved and loaded");
    const char *menu = "Site menu 3 | Weather | Markets";
    is_int(dedup_linestats_count_site(dedup_index_linestats(back), site, strlen(site), menu,
                                      strlen(menu)),
           4, "the site's counts come back with the index");
    char *p = page(2000);
    dedup_field f = {p, strlen(p)};
    dedup_index_add_text_site(back, site, strlen(site), "s9", 2, 9, &f, 1, &dup, NULL, NULL);
    is_int(dup, 0, "a new story of the site after loading is no copy");
    dedup_index_add_text_site(back, "other.org", 9, "o1", 2, 10, &f, 1, &dup, NULL, NULL);
    is_int(dup, 1, "the same page on another site, menu kept, is a copy");
    free(p);
    free(buf);
    dedup_index_free(back);
    dedup_index_free(with);
    dedup_index_free(without);
}

int main(void)
{
    names();
    named_later();
    fields();
    text_and_saving();
    sites();
    return tap_done();
}
