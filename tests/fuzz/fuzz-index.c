/*
 * fuzz-index.c - fuzz target for the index loader.
 *
 * The input becomes the content of an index file, loaded with
 * dedup_index_load. Byte 0 picks the mode. Even: the rest is the file as
 * it is. Odd: the rest is the file with its length and checksum fields
 * recomputed (the header size H at offset 12 from the record count at 16,
 * the body size at 72 from the sections' size at 88, the body's XXH3 at 80,
 * the header's at H - 8 and each section's), so that the checks behind the
 * checksums
 * see fuzzed data too: random bytes would almost never get past them.
 *
 * Properties: a rejected file gives one of the documented codes and a
 * NULL index; an accepted one is usable: its walk visits exactly
 * dedup_index_count documents, each named one found by its name, its
 * application bytes can be read, queries with the stored parameters
 * succeed, adding, expiring and removing work, and it saves and loads
 * back with the same count, application bytes and next id for names.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#define DEDUP_EXPERIMENTAL
#include "dedup.h"
#include "fuzz.h"

#define HEADER_MIN 104 /* and 16 bytes per parameter record */

static char path_in[128], path_out[128];

static void make_paths(void)
{
    if (path_in[0])
        return;
    const char *dir = getenv("TMPDIR");
    snprintf(path_in, sizeof path_in, "%.40s/dedup-fuzz-%ld.idx", dir ? dir : "/tmp",
             (long)getpid());
    snprintf(path_out, sizeof path_out, "%.40s/dedup-fuzz-%ld.out", dir ? dir : "/tmp",
             (long)getpid());
}

static void store_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void store_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

typedef struct {
    const dedup_index *idx;
    size_t seen, at_max; /* documents, and those stamped INT64_MAX */
} walk;

static int visit(uint64_t id, int64_t stamp, void *payload)
{
    walk *w = payload;
    w->seen++;
    w->at_max += stamp == INT64_MAX;
    /* A named document is found by its name. */
    size_t len = 0;
    const char *name = dedup_index_name(w->idx, id, &len);
    uint64_t got = 0;
    FUZZ_CHECK(!name || (dedup_index_lookup(w->idx, name, len, &got) == DEDUP_OK && got == id));
    return 0;
}

static void write_file(const unsigned char *data, size_t len)
{
    FILE *f = fopen(path_in, "wb");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(len == 0 || fwrite(data, 1, len, f) == len);
    FUZZ_CHECK(fclose(f) == 0);
}

static void exercise(dedup_index *idx)
{
    size_t n = dedup_index_count(idx);
    walk w = {idx, 0, 0};
    FUZZ_OK(dedup_index_foreach(idx, visit, &w));
    FUZZ_CHECK(w.seen == n);
    /* The application's bytes, if any, are readable, and saved back. */
    size_t alen = 0, blen = 0;
    const unsigned char *app = dedup_index_appdata(idx, &alen);
    unsigned sum = 0;
    for (size_t i = 0; i < alen; i++)
        sum += app[i];
    (void)sum;
    FUZZ_CHECK(dedup_index_memory(idx) > 0);

    const dedup_params *p = dedup_index_params(idx);
    dedup_hasher *h = NULL;
    dedup_signature *sig = NULL;
    FUZZ_OK(dedup_hasher_create(&h, p));
    FUZZ_OK(dedup_signature_create(&sig, p));
    static const char text[] = "the council approved the new budget for the harbour on monday";
    FUZZ_OK(dedup_hasher_sign(h, text, sizeof text - 1, sig));
    dedup_match m[8];
    size_t found = 0;
    FUZZ_OK(dedup_index_query(idx, sig, m, 8, &found));
    double t = 0;
    FUZZ_OK(dedup_params_get_real(p, DEDUP_P_THRESHOLD, &t));
    for (size_t i = 0; i < found && i < 8; i++)
        FUZZ_CHECK(m[i].similarity >= t && dedup_index_contains(idx, m[i].id));

    /* An id not in the index, then gone again. */
    uint64_t fresh = 0xfeedfacecafef00dULL;
    while (dedup_index_contains(idx, fresh))
        fresh++;
    int rc = dedup_index_add(idx, fresh, 0, sig);
    FUZZ_CHECK(rc == DEDUP_OK || rc == DEDUP_E_TOOBIG);
    if (rc == DEDUP_OK) {
        FUZZ_CHECK(dedup_index_count(idx) == n + 1);
        FUZZ_OK(dedup_index_remove(idx, fresh));
    }
    FUZZ_CHECK(dedup_index_count(idx) == n);

    FUZZ_OK(dedup_index_save(idx, path_out));
    dedup_index *again = NULL;
    FUZZ_OK(dedup_index_load(&again, path_out));
    FUZZ_CHECK(dedup_index_count(again) == n);
    const unsigned char *back = dedup_index_appdata(again, &blen);
    FUZZ_CHECK(blen == alen && (!alen || !memcmp(back, app, alen)));
    FUZZ_CHECK(dedup_index_next_named(again) == dedup_index_next_named(idx));
    /* Everything stamped below INT64_MAX expires; a stamp of INT64_MAX
     * (a file may hold one) is not below it. */
    size_t removed = 0;
    FUZZ_OK(dedup_index_expire(again, INT64_MAX, &removed));
    FUZZ_CHECK(removed == n - w.at_max && dedup_index_count(again) == w.at_max);
    dedup_index_free(again);
    unlink(path_out);
    dedup_signature_free(sig);
    dedup_hasher_free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    make_paths();
    const unsigned char *file = size ? data + 1 : data;
    size_t len = size ? size - 1 : 0;
    unsigned char *fixed = NULL;
    if (size && (data[0] & 1) && len >= 20) {
        uint32_t np = (uint32_t)file[16] | (uint32_t)file[17] << 8;
        size_t h = HEADER_MIN + 16 * (size_t)(np % 65);
        if (len >= h) {
            fixed = malloc(len);
            FUZZ_CHECK(fixed != NULL);
            memcpy(fixed, file, len);
            store_le32(fixed + 12, (uint32_t)h);
            store_le32(fixed + 16, np % 65);
            /* The sections' size as the input has it, if it fits; the
             * rest is the body. Each section's checksum is recomputed as
             * far as their lengths chain. */
            uint64_t sections = 0;
            for (int i = 7; i >= 0; i--)
                sections = sections << 8 | fixed[88 + i];
            if (sections > len - h)
                sections = 0;
            size_t body = len - h - (size_t)sections;
            store_le64(fixed + 72, body);
            store_le64(fixed + 88, sections);
            for (size_t at = h + body; len - at >= 24;) {
                uint64_t l = 0;
                for (int i = 7; i >= 0; i--)
                    l = l << 8 | fixed[at + 8 + i];
                if (l > len - at - 24)
                    break;
                store_le64(fixed + at + 16 + l, XXH3_64bits(fixed + at + 16, (size_t)l));
                at += 24 + (size_t)l;
            }
            store_le64(fixed + 80, XXH3_64bits(fixed + h, body));
            store_le64(fixed + h - 8, XXH3_64bits(fixed, h - 8));
            file = fixed;
        }
    }
    write_file(file, len);
    dedup_index *idx = (dedup_index *)path_in; /* any non-NULL value */
    int rc = dedup_index_load(&idx, path_in);
    /* The same bytes from memory give the same answer. */
    dedup_index *mem = (dedup_index *)path_in;
    int mrc = dedup_index_deserialize(&mem, file, len);
    FUZZ_CHECK(mrc == rc && (mrc != DEDUP_OK) == (mem == NULL));
    if (mem) {
        FUZZ_CHECK(dedup_index_count(mem) == dedup_index_count(idx));
        size_t need = dedup_index_serialized_size(mem), w = 0;
        unsigned char *again = malloc(need ? need : 1);
        FUZZ_CHECK(again && dedup_index_serialize(mem, again, need, &w) == DEDUP_OK &&
                   w == need);
        free(again);
        dedup_index_free(mem);
    }
    if (rc != DEDUP_OK) {
        FUZZ_CHECK(rc == DEDUP_E_FORMAT || rc == DEDUP_E_VERSION || rc == DEDUP_E_TRUNCATED ||
                   rc == DEDUP_E_CHECKSUM);
        FUZZ_CHECK(idx == NULL);
    } else {
        FUZZ_CHECK(idx != NULL);
        exercise(idx);
        dedup_index_free(idx);
    }
    unlink(path_in);
    free(fixed);
    return 0;
}
