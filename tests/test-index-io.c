/*
 * test-index-io.c - saving and loading indexes: round trips, every
 * truncation and every flipped byte of a small file, the distinct statuses
 * of bad files, and atomic saves under injected write errors, a file-size
 * limit and allocation failures; the application's bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <xxhash.h>

#include "index.h"
#include "index-sets.h"
#include "tap.h"

static char dir[256];

static void path_in_dir(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

/* ============================================================ helpers */

/* An index with some history: random documents, near-copies, empty
 * documents, removals (dead slots) and an expiry (free slots). */
static dedup_index *make_index(const dedup_params *p, rng64 *r, int docs)
{
    dedup_index *idx;
    if (dedup_index_create(&idx, p))
        abort();
    uint64_t set[150];
    for (int i = 0; i < docs; i++) {
        if (i % 5 != 3)
            rng_fill(r, set, 150);
        else
            set[rng_below(r, 150)] = rng_next(r); /* a near-copy of the previous */
        dedup_signature *s = sig_of(p, set, i % 11 == 10 ? 0 : 150);
        dedup_index_add(idx, 1000 + (uint64_t)i * 7, i, s);
        dedup_signature_free(s);
    }
    for (int i = 1; i < docs; i += 6)
        dedup_index_remove(idx, 1000 + (uint64_t)i * 7);
    dedup_index_expire(idx, 2, NULL);
    return idx;
}

typedef struct {
    uint64_t id[4096];
    int64_t stamp[4096];
    size_t n;
} walk;

static int visit(uint64_t id, int64_t stamp, void *payload)
{
    walk *w = payload;
    if (w->n < 4096) {
        w->id[w->n] = id;
        w->stamp[w->n] = stamp;
    }
    w->n++;
    return 0;
}

/* Do a and b hold the same documents, in the same order, with the same
 * parameters, memory and answers to the probe queries? */
static int same_index(const dedup_index *a, const dedup_index *b, dedup_signature **probes,
                      int nprobes)
{
    static walk wa, wb;
    wa.n = wb.n = 0;
    dedup_index_foreach(a, visit, &wa);
    dedup_index_foreach(b, visit, &wb);
    if (wa.n != wb.n || memcmp(wa.id, wb.id, DEDUP_MIN(wa.n, 4096) * 8) ||
        memcmp(wa.stamp, wb.stamp, DEDUP_MIN(wa.n, 4096) * 8))
        return 0;
    if (dedup_index_count(a) != dedup_index_count(b) ||
        dedup_index_memory(a) != dedup_index_memory(b))
        return 0;
    const dedup_params *pa = dedup_index_params(a), *pb = dedup_index_params(b);
    if (dedup_index_tag(a) != dedup_index_tag(b))
        return 0;
    for (int key = 1; key <= DEDUP_P_MIN_SHARED; key++) {
        int64_t va = 0, vb = 1;
        double ra = 0, rb = 1;
        if (dedup_param_type_of((dedup_param)key) == DEDUP_PARAM_REAL) {
            dedup_params_get_real(pa, (dedup_param)key, &ra);
            dedup_params_get_real(pb, (dedup_param)key, &rb);
            if (ra != rb)
                return 0;
        } else {
            dedup_params_get(pa, (dedup_param)key, &va);
            dedup_params_get(pb, (dedup_param)key, &vb);
            if (va != vb)
                return 0;
        }
    }
    for (int i = 0; i < nprobes; i++) {
        dedup_match ma[32], mb[32];
        size_t na, nb;
        uint64_t ca[256], cb[256];
        size_t nca, ncb;
        if (dedup_index_query(a, probes[i], ma, 32, &na) ||
            dedup_index_query(b, probes[i], mb, 32, &nb) || na != nb ||
            memcmp(ma, mb, DEDUP_MIN(na, 32) * sizeof *ma))
            return 0;
        if (dedup__index_candidates(a, probes[i], ca, 256, &nca) ||
            dedup__index_candidates(b, probes[i], cb, 256, &ncb) || nca != ncb ||
            memcmp(ca, cb, DEDUP_MIN(nca, 256) * 8))
            return 0;
    }
    return 1;
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

static void write_file(const char *path, const unsigned char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len)
        abort();
    fclose(f);
}

/* Number of entries in the test folder, "." and ".." excluded. */
static int files_in_dir(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* Recompute both checksums of a file image after a deliberate edit. */
/* Header fields of formats 7 and 8 (index_io.c). */
enum {
    H_SIZE = 12, H_NPARAMS = 16, H_K = 20, H_BANDS = 24, H_BITS = 32, H_LIVE = 36,
    H_FREE = 44, H_FIRST = 48, H_TAG = 64, H_BODY_SIZE = 72, H_BODY_HASH = 80,
    H_SECTIONS = 88, H_RECORDS = 96
};

static size_t header_size(const unsigned char *buf)
{
    return dedup__load_le32(buf + H_SIZE);
}

static void reseal(unsigned char *buf, size_t len)
{
    size_t h = header_size(buf);
    dedup__store_le64(buf + H_BODY_HASH, XXH3_64bits(buf + h, len - h));
    dedup__store_le64(buf + h - 8, XXH3_64bits(buf, h - 8));
}

/* The parameter record of key in a file image, or NULL. */
static unsigned char *param_record(unsigned char *buf, uint32_t key)
{
    uint32_t n = dedup__load_le32(buf + H_NPARAMS);
    for (uint32_t i = 0; i < n; i++) {
        unsigned char *r = buf + H_RECORDS + 16 * (size_t)i;
        if (dedup__load_le32(r) == key)
            return r;
    }
    return NULL;
}

/* A copy of the file image with one more parameter record (key, flags,
 * value) at the end of the header, resealed; *len grows by 16. */
static unsigned char *with_record(const unsigned char *buf, size_t *len, uint32_t key,
                                  uint32_t flags, uint64_t value)
{
    size_t h = header_size(buf);
    unsigned char *out = malloc(*len + 16);
    memcpy(out, buf, h - 8);
    dedup__store_le32(out + h - 8, key);
    dedup__store_le32(out + h - 4, flags);
    dedup__store_le64(out + h, value);
    memcpy(out + h + 16, buf + h, *len - h);
    dedup__store_le32(out + H_SIZE, (uint32_t)h + 16);
    dedup__store_le32(out + H_NPARAMS, dedup__load_le32(buf + H_NPARAMS) + 1);
    *len += 16;
    reseal(out, *len);
    return out;
}

static int load_status(const char *path, const unsigned char *buf, size_t len)
{
    write_file(path, buf, len);
    dedup_index *idx = NULL;
    int rc = dedup_index_load(&idx, path);
    dedup_index_free(idx);
    return rc;
}

/* ============================================================== tests */

static void test_round_trip(const dedup_params *p, dedup_signature **probes, int np)
{
    rng64 r = {11};
    char path[300];
    path_in_dir(path, sizeof path, "round.idx");
    dedup_index *a = make_index(p, &r, 700), *b = NULL;
    is_int(dedup_index_save(a, path), DEDUP_OK, "save");
    is_int(files_in_dir(), 1, "no temporary file left");
    is_int(dedup_index_load(&b, path), DEDUP_OK, "load");
    ok(b && same_index(a, b, probes, np), "loaded index is identical");

    /* Both must go on identically: free list, dead slots, growth. */
    rng64 r1 = {12}, r2 = {12};
    int same_ops = 1;
    for (int i = 0; i < 800; i++) {
        uint64_t set1[100], set2[100];
        rng_fill(&r1, set1, 100);
        rng_fill(&r2, set2, 100);
        dedup_signature *s1 = sig_of(p, set1, 100), *s2 = sig_of(p, set2, 100);
        int d1 = -1, d2 = -2;
        same_ops &= dedup_index_add_unique(a, 90000 + (uint64_t)i, 1000 + i, s1, &d1, NULL) ==
                    dedup_index_add_unique(b, 90000 + (uint64_t)i, 1000 + i, s2, &d2, NULL);
        same_ops &= d1 == d2;
        if (i % 3 == 0)
            same_ops &= dedup_index_remove(a, 1000 + (uint64_t)i * 7) ==
                        dedup_index_remove(b, 1000 + (uint64_t)i * 7);
        dedup_signature_free(s1);
        dedup_signature_free(s2);
    }
    size_t ra, rb;
    dedup_index_expire(a, 1400, &ra);
    dedup_index_expire(b, 1400, &rb);
    ok(same_ops && ra == rb && same_index(a, b, probes, np),
       "original and loaded index evolve identically");
    dedup_index_free(a);
    dedup_index_free(b);

    /* An empty index, and a relative path (folder "."). */
    dedup_index *e, *e2 = NULL;
    dedup_index_create(&e, p);
    char cwd[512];
    if (!getcwd(cwd, sizeof cwd) || chdir(dir) != 0)
        abort();
    is_int(dedup_index_save(e, "empty.idx"), DEDUP_OK, "save to a relative path");
    is_int(dedup_index_load(&e2, "empty.idx"), DEDUP_OK, "load it");
    ok(e2 && same_index(e, e2, probes, np), "empty index round trip");
    unlink("empty.idx");
    if (chdir(cwd) != 0)
        abort();
    dedup_index_free(e);
    dedup_index_free(e2);
    unlink(path);
}

/* Chains capped by a common value (index.c): slots out of a chain save,
 * load and go on like the rest. */
static void test_common_values(const dedup_params *p)
{
    rng64 r = {23};
    char path[300];
    path_in_dir(path, sizeof path, "common.idx");
    uint64_t set[200];
    rng_fill(&r, set, 200);
    dedup_signature *copy = sig_of(p, set, 200);
    dedup_signature *probes[2] = {copy, NULL};
    rng_fill(&r, set, 200);
    probes[1] = sig_of(p, set, 200);
    dedup_index *a, *b = NULL;
    dedup_index_create(&a, p);
    for (uint64_t i = 0; i < 40; i++) {
        dedup_index_add(a, i, (int64_t)i, copy);
        rng_fill(&r, set, 200);
        dedup_signature *u = sig_of(p, set, 200);
        dedup_index_add(a, 1000 + i, (int64_t)i, u);
        dedup_signature_free(u);
    }
    dedup_index_save(a, path);
    is_int(dedup_index_load(&b, path), DEDUP_OK, "capped chains: load");
    ok(b && same_index(a, b, probes, 2), "capped chains: loaded index is identical");
    size_t ra = 0, rb = 0;
    dedup_index_expire(a, 30, &ra);
    dedup_index_expire(b, 30, &rb);
    for (uint64_t i = 40; i < 50; i++) {
        dedup_index_add(a, i, (int64_t)i, copy);
        dedup_index_add(b, i, (int64_t)i, copy);
    }
    dedup_match ma[32];
    size_t na = 0;
    dedup_index_query(a, copy, ma, 32, &na);
    ok(ra == rb && ra == 60 && same_index(a, b, probes, 2), "capped chains: evolve identically");
    /* Copies 30 to 49 are stored. The first 16 copies held the chains'
     * places until they expired; copies 16 to 39 came when the chains
     * were full and stay out of them, and 40 to 49 took the freed places. */
    ok(na == 10 && ma[0].id == 40 && ma[9].id == 49, "capped chains: the copies linked found");
    dedup_index_free(a);
    dedup_index_free(b);
    dedup_signature_free(probes[0]);
    dedup_signature_free(probes[1]);
    unlink(path);
}

/* Every truncation gives DEDUP_E_TRUNCATED; every flipped byte is caught. */
static void test_damage(const dedup_params *p, dedup_signature **probes, int np)
{
    rng64 r = {13};
    char path[300], bad[300];
    path_in_dir(path, sizeof path, "small.idx");
    path_in_dir(bad, sizeof bad, "bad.idx");
    dedup_index *a = make_index(p, &r, 40);
    dedup_index_save(a, path);
    size_t len;
    unsigned char *buf = read_file(path, &len);
    tap_diag("small index file: %zu bytes", len);

    int not_truncated = 0;
    for (size_t n = 0; n < len; n++)
        not_truncated += load_status(bad, buf, n) != DEDUP_E_TRUNCATED;
    is_int(not_truncated, 0, "each of %zu truncations gives DEDUP_E_TRUNCATED", len);

    int counts[3] = {0, 0, 0}, other = 0, wrong_ok = 0;
    for (size_t i = 0; i < len; i++) {
        buf[i] ^= 0xFF;
        write_file(bad, buf, len);
        dedup_index *b = NULL;
        int rc = dedup_index_load(&b, bad);
        if (rc == DEDUP_OK)
            wrong_ok += !same_index(a, b, probes, np);
        else if (rc == DEDUP_E_FORMAT)
            counts[0]++;
        else if (rc == DEDUP_E_VERSION)
            counts[1]++;
        else if (rc == DEDUP_E_CHECKSUM)
            counts[2]++;
        else
            other++;
        dedup_index_free(b);
        buf[i] ^= 0xFF;
    }
    tap_diag("flipped bytes: %d format, %d version, %d checksum", counts[0], counts[1],
             counts[2]);
    ok(wrong_ok == 0 && other == 0, "each flipped byte fails cleanly or loads identically");
    is_int(counts[0] + counts[1] + counts[2], len, "every flip is detected");
    ok(counts[0] == 16 && counts[1] == 4,
       "magic, header size and record count give FORMAT, version gives VERSION");
    free(buf);
    dedup_index_free(a);
    unlink(bad);
    unlink(path);
}

/* Specific bad files give their own status. */
static void test_statuses(const dedup_params *p)
{
    rng64 r = {14};
    char path[300], bad[300];
    path_in_dir(path, sizeof path, "s.idx");
    path_in_dir(bad, sizeof bad, "bad.idx");
    dedup_index *a = make_index(p, &r, 40), *b = NULL;
    dedup_index_save(a, path);
    size_t len;
    unsigned char *buf = read_file(path, &len), *copy = malloc(len + 1);

    is_int(dedup_index_load(&b, dir), DEDUP_E_IO, "a folder: IO");
    char missing[300];
    path_in_dir(missing, sizeof missing, "missing.idx");
    is_int(dedup_index_load(&b, missing), DEDUP_E_IO, "a missing file: IO");
    ok(b == NULL, "out NULL on failure");
    is_int(dedup_index_load(NULL, path), DEDUP_E_INVAL, "out NULL: INVAL");
    is_int(load_status(bad, buf, 0), DEDUP_E_TRUNCATED, "empty file: TRUNCATED");

    memcpy(copy, buf, len);
    copy[len] = 0;
    is_int(load_status(bad, copy, len + 1), DEDUP_E_FORMAT, "trailing byte: FORMAT");

    rng64 g = {15};
    for (size_t i = 0; i < len; i++)
        copy[i] = (unsigned char)rng_next(&g);
    is_int(load_status(bad, copy, len), DEDUP_E_FORMAT, "random bytes: FORMAT");

    is_int(dedup__load_le32(buf + 8), 8, "files are written in format version 8");
    memcpy(copy, buf, len);
    dedup__store_le32(copy + 8, 9);
    is_int(load_status(bad, copy, len), DEDUP_E_VERSION, "format version 9: VERSION");
    /* Version 7 is read, but its body holds half a byte per value: a
     * version 8 body under a version 7 header has the wrong size. */
    memcpy(copy, buf, len);
    dedup__store_le32(copy + 8, 7);
    reseal(copy, len);
    is_int(load_status(bad, copy, len), DEDUP_E_FORMAT,
           "format version 7 with an 8-bit body: FORMAT");
    /* Earlier versions, resealed so that only the version is wrong. Their
     * bodies are well formed or nearly, but hold what new code cannot use:
     * 6 a fixed block of parameters, 5 signatures with quotations left in,
     * 4 signatures with lists of links left in, 3 signatures of words
     * hashed by their spelling, 2 a quarter as many chain heads per band,
     * 1 8-bit signatures. */
    for (uint32_t v = 1; v <= 6; v++) {
        memcpy(copy, buf, len);
        dedup__store_le32(copy + 8, v);
        reseal(copy, len);
        is_int(load_status(bad, copy, len), DEDUP_E_VERSION, "format version %u: VERSION",
               (unsigned)v);
    }

    /* Parameter records. */
    is_int(dedup__load_le32(buf + H_NPARAMS), 17, "a record for each of the 17 keys");
    memcpy(copy, buf, len);
    dedup__store_le32(param_record(copy, DEDUP_P_QUOTES) + 4, 4);
    reseal(copy, len);
    is_int(load_status(bad, copy, len), DEDUP_E_FORMAT, "unknown record flag: FORMAT");
    memcpy(copy, buf, len);
    dedup__store_le32(param_record(copy, DEDUP_P_QUOTES) + 4, 1);
    reseal(copy, len);
    is_int(load_status(bad, copy, len), DEDUP_E_FORMAT, "an integer key as a real: FORMAT");
    memcpy(copy, buf, len);
    dedup__store_le32(param_record(copy, DEDUP_P_QUOTES), DEDUP_P_LINK_LISTS);
    reseal(copy, len);
    is_int(load_status(bad, copy, len), DEDUP_E_FORMAT,
           "a key twice (and one missing): FORMAT");
    {
        size_t l2 = len;
        unsigned char *more = with_record(buf, &l2, 29, 0, 5);
        is_int(load_status(bad, more, l2), DEDUP_E_VERSION,
               "an unknown key that must be understood: VERSION");
        free(more);
        l2 = len;
        more = with_record(buf, &l2, 29, 2, 5);
        dedup_index *c = NULL;
        write_file(bad, more, l2);
        is_int(dedup_index_load(&c, bad), DEDUP_OK, "an unknown key marked ignorable: loads");
        ok(c && same_index(a, c, NULL, 0), "... and is the same index");
        dedup_index_free(c);
        free(more);
        l2 = len;
        more = with_record(buf, &l2, 1u << 31, 2, 5);
        is_int(load_status(bad, more, l2), DEDUP_OK, "an ignorable key beyond every key: loads");
        free(more);
    }
    /* The application's tag travels with the file. */
    {
        dedup_index *c = NULL;
        dedup_index_set_tag(a, 0x1234567890abcdefULL);
        dedup_index_save(a, bad);
        dedup_index_load(&c, bad);
        ok(dedup_index_tag(a) == 0x1234567890abcdefULL && c &&
               dedup_index_tag(c) == 0x1234567890abcdefULL,
           "the tag is saved and loaded");
        dedup_index_free(c);
        dedup_index_set_tag(a, 0);
    }

    memcpy(copy, buf, len);
    copy[header_size(buf) + 8] ^= 1;
    is_int(load_status(bad, copy, len), DEDUP_E_CHECKSUM, "body byte: CHECKSUM");
    memcpy(copy, buf, len);
    copy[H_LIVE] ^= 1;
    is_int(load_status(bad, copy, len), DEDUP_E_CHECKSUM, "header byte: CHECKSUM");

    /* Deliberate edits with valid checksums: the structure checks. */
    memcpy(copy, buf, len);
    dedup__store_le32(copy + H_BANDS, dedup__load_le32(copy + H_BANDS) + 1);
    reseal(copy, len);
    is_int(load_status(bad, copy, len), DEDUP_E_FORMAT, "bands not matching the body: FORMAT");

    memcpy(copy, buf, len);
    dedup__store_le64(param_record(copy, DEDUP_P_BANDS) + 8, 7);
    reseal(copy, len);
    is_int(load_status(bad, copy, len), DEDUP_E_FORMAT,
           "bands contradicting the BANDS parameter: FORMAT");

    memcpy(copy, buf, len);
    dedup__store_le64(param_record(copy, DEDUP_P_NUM_HASHES) + 8, 5000); /* out of bounds */
    reseal(copy, len);
    is_int(load_status(bad, copy, len), DEDUP_E_FORMAT, "parameter out of bounds: FORMAT");

    /* The header gives the main bands; the lead bands' links follow. */
    uint32_t bits = dedup__load_le32(buf + H_BITS),
             bands = dedup__load_le32(buf + H_BANDS) +
                     (uint32_t)dedup__load_le64(param_record(buf, DEDUP_P_LEAD_BANDS) + 8);
    size_t c = (size_t)1 << bits;
    size_t order_at = header_size(buf) + c * (8 + 8 + 4), links_at = order_at + c * 8;
    /* Slot 0's band-0 link pointing up to slot 5: could loop. */
    memcpy(copy, buf, len);
    uint32_t l0 = dedup__load_le32(copy + links_at);
    dedup__store_le32(copy + links_at, (l0 & ~(uint32_t)(c - 1)) | 5u);
    reseal(copy, len);
    is_int(load_status(bad, copy, len), DEDUP_E_FORMAT, "chain link upwards: FORMAT");
    /* The first live slot's next pointing to itself. */
    memcpy(copy, buf, len);
    uint32_t first = dedup__load_le32(copy + H_FIRST);
    dedup__store_le32(copy + order_at + 8 * (size_t)first + 4, first);
    reseal(copy, len);
    is_int(load_status(bad, copy, len), DEDUP_E_FORMAT, "add-order loop: FORMAT");
    /* A slot number beyond the capacity in a chain head. */
    memcpy(copy, buf, len);
    size_t heads_at = links_at + c * bands * 4 + c * dedup__compact_stride(128, 8);
    dedup__store_le32(copy + heads_at, (uint32_t)c + 3);
    reseal(copy, len);
    is_int(load_status(bad, copy, len), DEDUP_E_FORMAT, "head out of range: FORMAT");
    /* A live count that disagrees with the slots. */
    memcpy(copy, buf, len);
    dedup__store_le32(copy + H_LIVE, dedup__load_le32(copy + H_LIVE) - 1);
    dedup__store_le32(copy + H_FREE, dedup__load_le32(copy + H_FREE) + 1);
    reseal(copy, len);
    is_int(load_status(bad, copy, len), DEDUP_E_FORMAT, "wrong live count: FORMAT");

    free(buf);
    free(copy);
    dedup_index_free(a);
    unlink(bad);
    unlink(path);
}

/*
 * The image of a version 8 file (no sections after the body) as version 7
 * would hold the same index: each compact value's top 4 bits, two a byte,
 * value 2i in the low nibble. (A 4-bit value is the top nibble of the
 * 8-bit one: both are the top bits of one mix.) *len receives its size.
 */
static unsigned char *as_version7(const unsigned char *buf, size_t *len)
{
    size_t h = header_size(buf), n = *len;
    uint32_t k = dedup__load_le32(buf + H_K), bits = dedup__load_le32(buf + H_BITS),
             bands = dedup__load_le32(buf + H_BANDS) +
                     (uint32_t)dedup__load_le64(param_record((unsigned char *)buf,
                                                             DEDUP_P_LEAD_BANDS) + 8);
    size_t c = (size_t)1 << bits, s8 = k, s4 = ((size_t)k + 1) / 2;
    size_t sigs_at = h + c * (8 + 8 + 4 + 8 + 4 * (size_t)bands);
    size_t out_len = n - c * (s8 - s4);
    unsigned char *out = calloc(1, out_len);
    if (!out || dedup__load_le64(buf + H_SECTIONS) != 0)
        abort();
    memcpy(out, buf, sigs_at);
    for (size_t e = 0; e < c; e++)
        for (uint32_t i = 0; i < k; i++)
            out[sigs_at + e * s4 + i / 2] |=
                (unsigned char)((buf[sigs_at + e * s8 + i] >> 4) << (4 * (i & 1)));
    memcpy(out + sigs_at + c * s4, buf + sigs_at + c * s8, n - sigs_at - c * s8);
    dedup__store_le32(out + 8, 7);
    dedup__store_le64(out + H_BODY_SIZE, out_len - h);
    reseal(out, out_len);
    *len = out_len;
    return out;
}

/*
 * An odd k. The round trip keeps the index and the file holds k signature
 * bytes per slot. The same index as format version 7 holds (k + 1) / 2
 * bytes, the last one's high nibble padding: it loads as 4-bit values,
 * answers from them, saves to the same bytes and stays version 7 after an
 * add; a non-zero padding nibble is refused.
 */
static void test_odd_k(void)
{
    rng64 r = {18};
    char path[300], bad[300];
    path_in_dir(path, sizeof path, "odd.idx");
    path_in_dir(bad, sizeof bad, "bad.idx");
    dedup_params *p;
    dedup_params_create(&p);
    dedup_params_set(p, DEDUP_P_NUM_HASHES, 101);
    dedup_params_set(p, DEDUP_P_LINK_LISTS, 0); /* not the default: kept too */
    dedup_signature *probes[4];
    rng64 again = {18};
    for (int i = 0; i < 4; i++) {
        uint64_t set[150];
        rng_fill(&again, set, 150); /* the first documents of make_index */
        probes[i] = sig_of(p, set, 150);
    }
    dedup_index *a = make_index(p, &r, 200), *b = NULL;
    is_int(dedup_index_save(a, path), DEDUP_OK, "k = 101: save");
    is_int(dedup_index_load(&b, path), DEDUP_OK, "k = 101: load");
    ok(b && same_index(a, b, probes, 4), "k = 101: loaded index is identical");
    {
        int64_t lists = -1, quotes = -1;
        if (b) {
            dedup_params_get(dedup_index_params(b), DEDUP_P_LINK_LISTS, &lists);
            dedup_params_get(dedup_index_params(b), DEDUP_P_QUOTES, &quotes);
        }
        ok(lists == 0 && quotes == DEDUP__QUOTES_DEFAULT,
           "link_lists 0 and quotes %d come back from the file", DEDUP__QUOTES_DEFAULT);
        dedup_index *c = NULL, *d = NULL;
        dedup_params *q;
        dedup_params_copy(&q, p);
        dedup_params_set(q, DEDUP_P_LINK_LISTS, 1);
        dedup_params_set(q, DEDUP_P_QUOTES, 0);
        dedup_index_create(&c, q);
        is_int(dedup_index_save(c, bad), DEDUP_OK, "quotes 0: save");
        unsigned char *sw = read_file(bad, &(size_t){0});
        ok(sw && dedup__load_le64(param_record(sw, DEDUP_P_QUOTES) + 8) == 0 &&
               dedup__load_le64(param_record(sw, DEDUP_P_LINK_LISTS) + 8) == 1 &&
               dedup__load_le64(param_record(sw, DEDUP_P_MIN_SHARED) + 8) == 30,
           "quotes 0, link_lists 1, min_shared 30: their records");
        free(sw);
        lists = quotes = -1;
        if (dedup_index_load(&d, bad) == DEDUP_OK) {
            dedup_params_get(dedup_index_params(d), DEDUP_P_LINK_LISTS, &lists);
            dedup_params_get(dedup_index_params(d), DEDUP_P_QUOTES, &quotes);
        }
        ok(lists == 1 && quotes == 0, "link_lists 1 and quotes 0 come back from the file");
        remove(bad);
        dedup_index_free(c);
        dedup_index_free(d);
        dedup_params_free(q);
    }
    dedup_match m[4];
    size_t nm = 0;
    dedup_index_query(b, probes[2], m, 4, &nm); /* document 2, id 1014 */
    ok(nm >= 1 && m[0].id == 1014 && m[0].similarity == 1.0,
       "k = 101: a stored document finds itself with similarity 1");

    size_t len;
    unsigned char *buf = read_file(path, &len);
    /* The header gives the main bands; the lead bands' links follow. */
    uint32_t bits = dedup__load_le32(buf + H_BITS),
             bands = dedup__load_le32(buf + H_BANDS) +
                     (uint32_t)dedup__load_le64(param_record(buf, DEDUP_P_LEAD_BANDS) + 8);
    size_t c = (size_t)1 << bits, stride = dedup__compact_stride(101, 8), hsz = header_size(buf);
    is_int(hsz, 104 + 16 * 17, "the header: 104 bytes and 17 parameter records");
    is_int(len, hsz + c * (8 + 8 + 4 + 8 + 4 * (size_t)bands + stride) +
                    4 * (size_t)bands * (c >> 2) + 8 * c,
           "file size follows the documented layout");
    size_t sigs_at = hsz + c * (8 + 8 + 4 + 8 + 4 * (size_t)bands);
    uint32_t first = dedup__load_le32(buf + H_FIRST);

    /* The same index in format version 7. */
    size_t len7 = len;
    unsigned char *v7 = as_version7(buf, &len7);
    size_t s4 = dedup__compact_stride(101, 4);
    is_int(s4, 51, "4-bit values of k = 101: 51 bytes a slot");
    is_int(len7, len - c * (stride - s4), "version 7 holds half a byte a value");
    dedup_index *o = NULL;
    write_file(bad, v7, len7);
    is_int(dedup_index_load(&o, bad), DEDUP_OK, "format version 7: loads");
    is_int(dedup_index_value_bits(o), 4, "with 4-bit values");
    is_int(dedup_index_value_bits(a), 8, "a new index keeps 8 bits");
    is_int(dedup_index_value_bits(NULL), 0, "NULL: 0");
    nm = 0;
    if (o)
        dedup_index_query(o, probes[2], m, 4, &nm);
    ok(nm >= 1 && m[0].id == 1014 && m[0].similarity == 1.0,
       "version 7: a stored document finds itself with similarity 1");
    /* Its similarities are those of the 4-bit values: probes 1 and 2 are
     * documents 1013 and 1014; the estimate of their stored values equals
     * that of the probes' own compact values. */
    {
        uint8_t c1[51], c2[51];
        dedup__compact_signature(probes[1]->values, 101, 4, c1);
        dedup__compact_signature(probes[2]->values, 101, 4, c2);
        double j4 = dedup__compact_jaccard(c1, c2, 101, 4), s8v = -1, s4v = -1;
        if (o)
            dedup__index_similarity(o, probes[1], 1014, &s4v);
        dedup__index_similarity(a, probes[1], 1014, &s8v);
        double want = dedup__measure_similarity_k(
            o ? o->measure : DEDUP_MEASURE_JACCARD, j4, probes[1]->set_size,
            probes[2]->set_size, probes[1]->chars, probes[2]->chars, o ? o->min_shared : 0,
            101, 1.0 / 16.0);
        ok(s4v == want, "version 7: similarity %.4f from the 4-bit values (%.4f); 8-bit %.4f",
           s4v, want, s8v);
    }
    char again_path[300];
    path_in_dir(again_path, sizeof again_path, "again.idx");
    is_int(o ? dedup_index_save(o, again_path) : -1, DEDUP_OK, "version 7: save");
    {
        size_t l2 = 0;
        unsigned char *b2 = read_file(again_path, &l2);
        ok(b2 && l2 == len7 && memcmp(b2, v7, len7) == 0,
           "version 7: saves to the same bytes");
        free(b2);
    }
    if (o) {
        uint64_t set[150];
        rng64 g = {77};
        rng_fill(&g, set, 150);
        dedup_signature *extra = sig_of(p, set, 150);
        is_int(dedup_index_add(o, 5000, 0, extra), DEDUP_OK, "version 7: add");
        nm = 0;
        dedup_index_query(o, extra, m, 4, &nm);
        ok(nm >= 1 && m[0].id == 5000 && m[0].similarity == 1.0,
           "version 7: an added document finds itself");
        dedup_index_save(o, again_path);
        size_t l2 = 0;
        unsigned char *b2 = read_file(again_path, &l2);
        ok(b2 && l2 >= 12 && dedup__load_le32(b2 + 8) == 7, "and saves as version 7 still");
        free(b2);
        dedup_signature_free(extra);
    }
    dedup_index_free(o);
    remove(again_path);
    int pad_zero = 1;
    for (size_t e = 0; e + 1 < c; e++)
        pad_zero &= v7[sigs_at + e * s4 + s4 - 1] >> 4 == 0;
    ok(pad_zero, "version 7: padding nibbles are 0");
    v7[sigs_at + first * s4 + s4 - 1] |= 0x50;
    reseal(v7, len7);
    is_int(load_status(bad, v7, len7), DEDUP_E_FORMAT,
           "version 7: a non-zero padding nibble: FORMAT");
    free(v7);

    free(buf);
    for (int i = 0; i < 4; i++)
        dedup_signature_free(probes[i]);
    dedup_index_free(a);
    dedup_index_free(b);
    dedup_params_free(p);
    unlink(bad);
    unlink(path);
}

/* A save that fails leaves the previous file intact and no temporary. */
static void test_atomic_save(const dedup_params *p, dedup_signature **probes, int np)
{
    rng64 r = {16};
    char path[300];
    path_in_dir(path, sizeof path, "atomic.idx");
    dedup_index *old = make_index(p, &r, 40), *neu = make_index(p, &r, 300), *l = NULL;
    dedup_index_save(old, path);

    int rc = DEDUP_E_IO, bad = 0;
    long n;
    for (n = 0; rc == DEDUP_E_IO && n < 100; n++) {
        dedup__index_io_fail_write_at(n);
        rc = dedup_index_save(neu, path);
        dedup__index_io_fail_write_at(-1);
        if (rc != DEDUP_E_IO)
            break;
        l = NULL;
        bad += dedup_index_load(&l, path) != DEDUP_OK || !same_index(old, l, probes, np) ||
               files_in_dir() != 1;
        dedup_index_free(l);
    }
    ok(rc == DEDUP_OK && bad == 0, "failed writes keep the old file (%ld failures)", n);
    l = NULL;
    ok(dedup_index_load(&l, path) == DEDUP_OK && same_index(neu, l, probes, np),
       "the successful save replaced it");
    dedup_index_free(l);

    dedup_index_save(old, path);
    rc = DEDUP_E_NOMEM;
    bad = 0;
    for (n = 0; rc == DEDUP_E_NOMEM && n < 100; n++) {
        dedup__alloc_fail_at(n);
        rc = dedup_index_save(neu, path);
        dedup__alloc_fail_at(-1);
        if (rc != DEDUP_E_NOMEM)
            break;
        l = NULL;
        bad += dedup_index_load(&l, path) != DEDUP_OK || !same_index(old, l, probes, np);
        dedup_index_free(l);
    }
    ok(rc == DEDUP_OK && bad == 0, "save: NOMEM keeps the old file (%ld failures)", n);

    /* A file-size limit makes write() fail with EFBIG. */
    dedup_index_save(old, path);
    size_t old_len;
    free(read_file(path, &old_len));
    struct rlimit saved;
    if (getrlimit(RLIMIT_FSIZE, &saved) == 0) {
        struct rlimit lim = saved;
        lim.rlim_cur = old_len + 1000;
        void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
            rc = dedup_index_save(neu, path);
            setrlimit(RLIMIT_FSIZE, &saved);
            l = NULL;
            ok(rc == DEDUP_E_IO && dedup_index_load(&l, path) == DEDUP_OK &&
                   same_index(old, l, probes, np) && files_in_dir() == 1,
               "EFBIG from a file-size limit keeps the old file");
            dedup_index_free(l);
        } else {
            tap_diag("setrlimit failed (%s): file-size limit not tested", strerror(errno));
        }
        signal(SIGXFSZ, prev);
    }

    char nodir[300];
    path_in_dir(nodir, sizeof nodir, "no/such/folder.idx");
    is_int(dedup_index_save(old, nodir), DEDUP_E_IO, "save into a missing folder: IO");
    is_int(dedup_index_save(NULL, path), DEDUP_E_INVAL, "save NULL: INVAL");

    /* Load under allocation failures. */
    dedup_index_save(neu, path);
    rc = DEDUP_E_NOMEM;
    bad = 0;
    for (n = 0; rc == DEDUP_E_NOMEM && n < 100; n++) {
        l = NULL;
        dedup__alloc_fail_at(n);
        rc = dedup_index_load(&l, path);
        dedup__alloc_fail_at(-1);
        bad += rc == DEDUP_E_NOMEM && l != NULL;
    }
    ok(rc == DEDUP_OK && bad == 0 && same_index(neu, l, probes, np),
       "load: NOMEM until it succeeds (%ld failures)", n);
    dedup_index_free(l);

    dedup_index_free(old);
    dedup_index_free(neu);
    unlink(path);
}


/* The application's bytes: saved and loaded through a file and through
 * memory, none in a new index or one saved without them, in a section of
 * their own that a library without it skips; a cut or a flipped byte is
 * refused. */
static void test_appdata(const dedup_params *p)
{
    char path[512];
    path_in_dir(path, sizeof path, "app.idx");
    rng64 r = {23};
    dedup_index *idx = make_index(p, &r, 40), *back = NULL;
    size_t len = 7;
    ok(dedup_index_appdata(idx, &len) == NULL && len == 0, "a new index has no application bytes");
    is_int(dedup_index_set_appdata(idx, NULL, 3), DEDUP_E_INVAL, "NULL data with a length: INVAL");
    is_int(dedup_index_set_appdata(NULL, "x", 1), DEDUP_E_INVAL, "NULL index: INVAL");
    size_t plain = dedup_index_serialized_size(idx);
    dedup_index_save(idx, path);
    dedup_index_load(&back, path);
    ok(back && dedup_index_appdata(back, &len) == NULL && len == 0,
       "an index saved without them loads without them");
    dedup_index_free(back);
    back = NULL;

    unsigned char app[300];
    for (size_t i = 0; i < sizeof app; i++)
        app[i] = (unsigned char)(i * 7 + 1);
    app[5] = 0;
    is_int(dedup_index_set_appdata(idx, app, sizeof app), DEDUP_OK, "set 300 bytes");
    app[0] ^= 0xFF; /* copied: the caller's buffer is not kept */
    const unsigned char *got = dedup_index_appdata(idx, &len);
    app[0] ^= 0xFF;
    ok(got && len == sizeof app && !memcmp(got, app, len), "they come back, copied");
    ok(dedup_index_serialized_size(idx) == plain + 24 + sizeof app,
       "a section of 24 + 300 bytes");
    is_int(dedup_index_save(idx, path), DEDUP_OK, "save");
    is_int(dedup_index_load(&back, path), DEDUP_OK, "load");
    got = dedup_index_appdata(back, &len);
    ok(got && len == sizeof app && !memcmp(got, app, len), "through a file");
    dedup_index_free(back);
    back = NULL;
    size_t flen = 0;
    unsigned char *file = read_file(path, &flen), *mem = malloc(flen);
    size_t w = 0;
    dedup_index_serialize(idx, mem, flen, &w);
    ok(w == flen && !memcmp(mem, file, flen), "in memory, the file's bytes");
    is_int(dedup_index_deserialize(&back, mem, w), DEDUP_OK, "deserialize");
    got = dedup_index_appdata(back, &len);
    ok(got && len == sizeof app && !memcmp(got, app, len), "through memory");
    dedup_index_free(back);
    back = NULL;

    /* The section: kind 3, flagged skippable, right after the body. */
    unsigned char *sec = file + flen - 24 - sizeof app;
    ok(dedup__load_le32(sec) == 3 && dedup__load_le32(sec + 4) == 1 &&
           dedup__load_le64(sec + 8) == sizeof app,
       "stored as section 3, which may be skipped");
    /* A library that does not know kind 3 skips it: as one of a kind
     * unknown to this one. */
    dedup__store_le32(sec, 77);
    ok(load_status(path, file, flen) == DEDUP_OK, "an unknown kind flagged so is skipped");
    dedup__store_le32(sec + 4, 0);
    is_int(load_status(path, file, flen), DEDUP_E_VERSION, "one not flagged: VERSION");
    dedup__store_le32(sec, 3);
    dedup__store_le32(sec + 4, 1);
    int cut_ok = 1, flip_ok = 1;
    for (size_t n = flen - 24 - sizeof app; n < flen; n++)
        if (dedup_index_deserialize(&back, file, n) == DEDUP_OK) {
            cut_ok = 0;
            dedup_index_free(back);
        }
    ok(cut_ok, "cut anywhere in the section: refused");
    /* (Not the kind: a section of a kind this library does not know and
     * flagged skippable is skipped, as a library without the
     * application's bytes skips them.) */
    for (size_t at = flen - 20 - sizeof app; at < flen; at += 13) {
        file[at] ^= 0x10;
        if (dedup_index_deserialize(&back, file, flen) == DEDUP_OK) {
            flip_ok = 0;
            dedup_index_free(back);
        }
        file[at] ^= 0x10;
    }
    ok(flip_ok, "a flipped byte in the section: refused");
    is_int(dedup_index_deserialize(&back, file, flen), DEDUP_OK, "the intact file loads");
    dedup_index_free(back);

    is_int(dedup_index_set_appdata(idx, NULL, 0), DEDUP_OK, "remove them");
    ok(dedup_index_appdata(idx, &len) == NULL && len == 0 &&
           dedup_index_serialized_size(idx) == plain,
       "gone, and from the saved size");
    free(file);
    free(mem);
    unlink(path);
    dedup_index_free(idx);
}

/* DEDUP_P_HANGUL_SHINGLE_SIZE came after parameters became records: files
 * without its record took the character size for Hangul, and a writer
 * marks the record ignorable when the sizes are equal, as older readers
 * would read them. */
static void test_added_key(void)
{
    dedup_params *p, *q;
    dedup_params_create(&p);
    dedup_params_create(&q);
    unsigned char rec[DEDUP__PARAM_RECORDS_MAX * DEDUP__PARAM_RECORD];
    uint32_t n = dedup__params_to_records(p, rec), at = n;
    for (uint32_t i = 0; i < n; i++)
        if (dedup__load_le32(rec + 16 * (size_t)i) == DEDUP_P_HANGUL_SHINGLE_SIZE)
            at = i;
    ok(at < n && dedup__load_le32(rec + 16 * (size_t)at + 4) == 0,
       "Hangul size unlike the character size: a record older readers must not ignore");
    /* Drop it, as a file written before the key. */
    memmove(rec + 16 * (size_t)at, rec + 16 * (size_t)(at + 1), 16 * (size_t)(n - at - 1));
    int64_t hn = 0, cn = 0;
    int rc = dedup__params_from_records(rec, n - 1, q);
    dedup_params_get(q, DEDUP_P_HANGUL_SHINGLE_SIZE, &hn);
    dedup_params_get(q, DEDUP_P_CHAR_SHINGLE_SIZE, &cn);
    ok(rc == DEDUP_OK && hn == cn && cn == 8,
       "a file without it reads the Hangul size as the character size (%lld)", (long long)hn);
    dedup_params_set(p, DEDUP_P_CHAR_SHINGLE_SIZE, 6);
    dedup_params_set(p, DEDUP_P_HANGUL_SHINGLE_SIZE, 6);
    n = dedup__params_to_records(p, rec);
    ok(dedup__load_le32(rec + 16 * (size_t)at + 4) == 2,
       "equal sizes: the record is marked ignorable");
    dedup_params_free(p);
    dedup_params_free(q);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/dedup-index-io-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        printf("1..0 # SKIP cannot create a temporary folder\n");
        return 77;
    }
    dedup_params *p;
    dedup_params_create(&p);
    rng64 r = {17};
    enum { NP = 8 };
    dedup_signature *probes[NP];
    rng64 again = {11}; /* some probes repeat documents of the indexes */
    for (int i = 0; i < NP; i++) {
        uint64_t set[150];
        rng_fill(i < 4 ? &again : &r, set, 150);
        probes[i] = sig_of(p, set, 150);
    }
    test_round_trip(p, probes, NP);
    test_common_values(p);
    test_damage(p, probes, NP);
    test_statuses(p);
    test_odd_k();
    test_atomic_save(p, probes, NP);
    test_appdata(p);
    test_added_key();
    for (int i = 0; i < NP; i++)
        dedup_signature_free(probes[i]);
    dedup_params_free(p);
    rmdir(dir);
    return tap_done();
}
