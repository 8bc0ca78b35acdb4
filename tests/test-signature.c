/*
 * test-signature.c - signature objects: creation, copies, comparison rules,
 * the serialized form and its validation, and allocation failures.
 *
 * Serialized buffers under test are always copied into a heap block of
 * exactly the length being tested, so that a read past the end shows up
 * under AddressSanitizer or valgrind.
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "signature.h"
#include "tap.h"

static uint64_t rng_state = 11;

static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A signature of n random elements for params p. */
static dedup_signature *make(const dedup_params *p, size_t n)
{
    dedup_signature *s = NULL;
    if (dedup_signature_create(&s, p) != DEDUP_OK)
        return NULL;
    uint64_t *set = malloc((n ? n : 1) * sizeof *set);
    for (size_t i = 0; i < n; i++)
        set[i] = rng();
    dedup__signature_fill(s, set, n, (uint64_t)p->ival[DEDUP_P_SEED]);
    free(set);
    return s;
}

static int same_signature(const dedup_signature *a, const dedup_signature *b)
{
    return a && b && a->k == b->k && a->nlead == b->nlead &&
           a->fingerprint == b->fingerprint && a->set_size == b->set_size &&
           memcmp(a->values, b->values, (a->k + a->nlead) * sizeof(uint32_t)) == 0;
}

/* Deserialize len bytes copied into a block of exactly that size. */
static int deserialize_exact(dedup_signature **out, const unsigned char *buf, size_t len)
{
    unsigned char *copy = malloc(len ? len : 1);
    memcpy(copy, buf, len);
    int rc = dedup_signature_deserialize(out, len ? copy : NULL, len);
    free(copy);
    return rc;
}

/* --------------------------------------------------------------- basics */

static void basics(void)
{
    dedup_signature *s = NULL;
    is_int(dedup_signature_create(&s, NULL), DEDUP_OK, "create with default params");
    is_int(dedup_signature_length(s), 128, "default k is 128");
    is_int(dedup_signature_set_size(s), 0, "a new signature is empty");
    int all_max = 1;
    for (size_t i = 0; i < 128; i++)
        all_max &= dedup_signature_values(s)[i] == UINT32_MAX;
    ok(all_max, "an empty signature holds UINT32_MAX everywhere");

    double j = -1;
    is_int(dedup_signature_jaccard(s, s, &j), DEDUP_OK, "compare empty with itself");
    ok(j == 0.0, "an empty signature is similar to nothing, not even itself");
    dedup_signature *t = NULL;
    dedup_signature_create(&t, NULL);
    dedup_signature_containment(s, t, &j);
    ok(j == 0.0, "two empty signatures: containment 0");

    is_int(dedup_signature_create(NULL, NULL), DEDUP_E_INVAL, "create: NULL out");
    is_int(dedup_signature_jaccard(s, NULL, &j), DEDUP_E_INVAL, "jaccard: NULL argument");
    is_int(dedup_signature_jaccard(s, t, NULL), DEDUP_E_INVAL, "jaccard: NULL out");
    ok(dedup_signature_length(NULL) == 0 && dedup_signature_values(NULL) == NULL &&
           dedup_signature_set_size(NULL) == 0,
       "accessors accept NULL");
    dedup_signature_free(NULL);
    dedup_signature_free(s);
    dedup_signature_free(t);

    /* Filled signatures. */
    dedup_params p;
    dedup__params_defaults(&p);
    dedup_signature *a = make(&p, 300), *e = make(&p, 0), *c = NULL;
    is_int(dedup_signature_set_size(a), 300, "set size recorded");
    is_int(dedup_signature_copy(&c, a), DEDUP_OK, "copy");
    ok(same_signature(a, c), "a copy is identical");
    dedup_signature_jaccard(a, c, &j);
    ok(j == 1.0, "a signature is identical to its copy (J = 1)");
    dedup_signature_containment(a, c, &j);
    ok(j == 1.0, "containment of a copy is 1");
    dedup_signature_jaccard(a, e, &j);
    ok(j == 0.0, "nothing is similar to an empty document");
    dedup_signature_free(c);
    is_int(dedup_signature_copy(&c, NULL), DEDUP_E_INVAL, "copy of NULL");
    ok(c == NULL, "failed copy leaves out NULL");
    dedup_signature_free(a);
    dedup_signature_free(e);
}

/* Signatures made with different parameters cannot be compared. */
static void mismatch(void)
{
    dedup_params *p1 = NULL, *p2 = NULL, *p3 = NULL;
    dedup_params_create(&p1);
    dedup_params_create(&p2);
    dedup_params_create(&p3);
    dedup_params_set(p2, DEDUP_P_SEED, 1);
    dedup_params_set(p3, DEDUP_P_NUM_HASHES, 64);
    dedup_signature *a = NULL, *b = NULL, *c = NULL;
    dedup_signature_create(&a, p1);
    dedup_signature_create(&b, p2);
    dedup_signature_create(&c, p3);
    double j = 0.5;
    is_int(dedup_signature_jaccard(a, b, &j), DEDUP_E_MISMATCH, "different seeds: mismatch");
    ok(j == 0.0, "a mismatch writes 0");
    is_int(dedup_signature_containment(a, b, &j), DEDUP_E_MISMATCH,
           "different seeds: containment mismatch");
    is_int(dedup_signature_jaccard(a, c, &j), DEDUP_E_MISMATCH, "different k: mismatch");
    is_int(dedup_signature_length(c), 64, "k taken from params");
    dedup_signature_free(a);
    dedup_signature_free(b);
    dedup_signature_free(c);
    dedup_params_free(p1);
    dedup_params_free(p2);
    dedup_params_free(p3);
}

/* --------------------------------------------------------- serialization */

static void round_trip(void)
{
    static const int64_t ks[] = {16, 100, 128, 1024};
    static const size_t ns[] = {0, 1, 3, 500};
    static const int64_t leads[] = {0, 8, 32};
    int all = 1;
    for (size_t ki = 0; ki < 4; ki++)
        for (size_t ni = 0; ni < 4; ni++) {
            dedup_params p;
            dedup__params_defaults(&p);
            p.ival[DEDUP_P_NUM_HASHES] = ks[ki];
            p.ival[DEDUP_P_SEED] = (int64_t)ni - 2;
            p.ival[DEDUP_P_LEAD_BANDS] = leads[(ki + ni) % 3];
            dedup_signature *s = make(&p, ns[ni]), *r = NULL;
            size_t size = dedup_signature_serialized_size(s), written = 0;
            unsigned char *buf = malloc(size);
            all &= size == 40 + 4 * (size_t)ks[ki] + 8 * (size_t)leads[(ki + ni) % 3];
            all &= dedup_signature_serialize(s, buf, size, &written) == DEDUP_OK;
            all &= written == size;
            all &= deserialize_exact(&r, buf, size) == DEDUP_OK;
            all &= same_signature(s, r);
            free(buf);
            dedup_signature_free(s);
            dedup_signature_free(r);
        }
    ok(all, "round trip for k in {16, 100, 128, 1024}, 0 to 500 shingles, 0 to 32 lead bands");
}

/* The documented layout, byte by byte: version 2 without lead values, as
 * signatures were before them, and version 3 with them. */
static void layout(void)
{
    dedup_params p;
    dedup__params_defaults(&p);
    p.ival[DEDUP_P_LEAD_BANDS] = 0;
    dedup_signature *s = make(&p, 10);
    unsigned char buf[552];
    size_t w = 0;
    dedup_signature_serialize(s, buf, sizeof buf, &w);
    is_int(w, 552, "k = 128 serializes to 552 bytes");
    ok(memcmp(buf, "DDSG", 4) == 0, "magic DDSG");
    ok(buf[4] == 2 && buf[5] == 0 && buf[6] == 0 && buf[7] == 0, "version 2, reserved 0");
    ok(dedup__load_le32(buf + 8) == 128 && dedup__load_le32(buf + 12) == 0, "k at 8");
    ok(dedup__load_le64(buf + 16) == s->fingerprint, "fingerprint at 16");
    ok(dedup__load_le64(buf + 24) == 10, "set size at 24");
    ok(dedup__load_le32(buf + 32) == s->values[0] &&
           dedup__load_le32(buf + 32 + 4 * 127) == s->values[127],
       "values from 32, little-endian");
    ok(dedup__load_le64(buf + 544) == XXH3_64bits(buf, 544), "XXH3 of the rest at 544");

    is_int(dedup_signature_serialize(s, buf, 551, &w), DEDUP_E_RANGE, "capacity too small");
    is_int(w, 0, "nothing written on failure");
    is_int(dedup_signature_serialize(NULL, buf, 552, &w), DEDUP_E_INVAL, "serialize NULL");
    is_int(dedup_signature_serialized_size(NULL), 0, "size of NULL");
    dedup_signature_free(s);

    dedup__params_defaults(&p); /* 8 lead bands: 16 lead values */
    s = make(&p, 10);
    unsigned char b3[616];
    dedup_signature_serialize(s, b3, sizeof b3, &w);
    is_int(w, 616, "with lead values: 40 + 4 (128 + 16) bytes");
    ok(b3[4] == 3 && b3[5] == 0 && b3[6] == 16 && b3[7] == 0,
       "version 3, the number of lead values at 6");
    ok(dedup__load_le32(b3 + 32 + 4 * 127) == s->values[127] &&
           dedup__load_le32(b3 + 32 + 4 * 128) == s->values[128] &&
           dedup__load_le32(b3 + 32 + 4 * 143) == s->values[143] && s->values[128] != s->values[0],
       "lead values after the k values");
    ok(dedup__load_le64(b3 + 608) == XXH3_64bits(b3, 608), "XXH3 of the rest at 608");
    dedup_signature_free(s);
}

/* Rewrite the checksum after editing buf, to reach the checks behind it. */
static void reseal(unsigned char *buf, size_t len)
{
    dedup__store_le64(buf + len - 8, XXH3_64bits(buf, len - 8));
}

static void damage(void)
{
    dedup_params p;
    dedup__params_defaults(&p);
    p.ival[DEDUP_P_NUM_HASHES] = 16;
    p.ival[DEDUP_P_LEAD_BANDS] = 0;
    dedup_signature *s = make(&p, 50), *r = NULL;
    enum { LEN = 40 + 4 * 16 };
    unsigned char buf[LEN], bad[LEN + 1];
    dedup_signature_serialize(s, buf, LEN, NULL);

    /* Every truncation fails cleanly. */
    int all = 1;
    for (size_t len = 0; len < LEN; len++) {
        int rc = deserialize_exact(&r, buf, len);
        all &= (rc == DEDUP_E_TRUNCATED) && r == NULL;
    }
    ok(all, "every truncated length gives DEDUP_E_TRUNCATED");
    memcpy(bad, buf, LEN);
    bad[LEN] = 0;
    is_int(deserialize_exact(&r, bad, LEN + 1), DEDUP_E_FORMAT, "a trailing byte");

    /* Every flipped byte (three patterns) fails, or would give back the
     * same signature. */
    int fails = 1;
    static const unsigned char flips[] = {0x01, 0x80, 0xff};
    for (size_t i = 0; i < LEN; i++)
        for (size_t f = 0; f < 3; f++) {
            memcpy(bad, buf, LEN);
            bad[i] ^= flips[f];
            int rc = deserialize_exact(&r, bad, LEN);
            if (rc == DEDUP_OK)
                fails &= same_signature(s, r);
            else
                fails &= r == NULL;
            dedup_signature_free(r);
            r = NULL;
        }
    ok(fails, "every flipped byte is rejected");
    memcpy(bad, buf, LEN);
    bad[40] ^= 1;
    is_int(deserialize_exact(&r, bad, LEN), DEDUP_E_CHECKSUM, "damaged value: checksum");
    memcpy(bad, buf, LEN);
    bad[LEN - 1] ^= 1;
    is_int(deserialize_exact(&r, bad, LEN), DEDUP_E_CHECKSUM, "damaged checksum");

    /* Field checks, with a valid checksum so that they are reached. */
    memcpy(bad, buf, LEN);
    bad[0] = 'X';
    is_int(deserialize_exact(&r, bad, LEN), DEDUP_E_FORMAT, "bad magic");
    is_int(deserialize_exact(&r, bad, 3), DEDUP_E_FORMAT, "bad magic, short buffer");
    memcpy(bad, buf, LEN);
    bad[4] = 4;
    reseal(bad, LEN);
    is_int(deserialize_exact(&r, bad, LEN), DEDUP_E_VERSION, "version 4");
    memcpy(bad, buf, LEN);
    bad[4] = 3;
    reseal(bad, LEN);
    is_int(deserialize_exact(&r, bad, LEN), DEDUP_E_FORMAT, "version 3 without lead values");
    memcpy(bad, buf, LEN);
    bad[4] = 1;
    reseal(bad, LEN);
    is_int(deserialize_exact(&r, bad, LEN), DEDUP_E_VERSION,
           "version 1 (quotations left in, no flags)");
    memcpy(bad, buf, LEN);
    dedup__store_le32(bad + 12, 2);
    reseal(bad, LEN);
    is_int(deserialize_exact(&r, bad, LEN), DEDUP_E_FORMAT, "unknown flag");
    memcpy(bad, buf, LEN);
    dedup__store_le32(bad + 12, 1);
    reseal(bad, LEN);
    is_int(deserialize_exact(&r, bad, LEN), DEDUP_OK, "character flag on a signature");
    ok(r && r->chars == 1, "the character flag comes back");
    dedup_signature_free(r);
    r = NULL;
    memcpy(bad, buf, LEN);
    bad[6] = 1;
    reseal(bad, LEN);
    is_int(deserialize_exact(&r, bad, LEN), DEDUP_E_FORMAT, "version 2 with lead values");
    {
        /* Version 3: the number of lead values is even and at most 64. */
        dedup_params q3;
        dedup__params_defaults(&q3);
        q3.ival[DEDUP_P_NUM_HASHES] = 16;
        dedup_signature *s3 = make(&q3, 50);
        size_t l3 = dedup_signature_serialized_size(s3);
        unsigned char *b3 = malloc(l3);
        dedup_signature_serialize(s3, b3, l3, NULL);
        is_int(deserialize_exact(&r, b3, l3), DEDUP_OK, "version 3 reads back");
        ok(same_signature(s3, r), "... the same signature, lead values included");
        dedup_signature_free(r);
        r = NULL;
        is_int(deserialize_exact(&r, b3, l3 - 4), DEDUP_E_TRUNCATED, "version 3 cut short");
        b3[6] = 15;
        reseal(b3, l3);
        is_int(deserialize_exact(&r, b3, l3), DEDUP_E_FORMAT, "an odd number of lead values");
        b3[6] = 66;
        reseal(b3, l3);
        is_int(deserialize_exact(&r, b3, l3), DEDUP_E_FORMAT, "more than 64 lead values");
        free(b3);
        dedup_signature_free(s3);
    }
    memcpy(bad, buf, LEN);
    dedup__store_le32(bad + 8, 15);
    is_int(deserialize_exact(&r, bad, LEN), DEDUP_E_FORMAT, "k below 16");
    dedup__store_le32(bad + 8, 0xffffffffu);
    is_int(deserialize_exact(&r, bad, LEN), DEDUP_E_FORMAT, "k huge");
    dedup__store_le32(bad + 8, 17);
    is_int(deserialize_exact(&r, bad, LEN), DEDUP_E_TRUNCATED, "k larger than the data");
    memcpy(bad, buf, LEN);
    dedup__store_le32(bad + 32, 0xfff00000u);
    reseal(bad, LEN);
    is_int(deserialize_exact(&r, bad, LEN), DEDUP_E_FORMAT, "impossible value");
    memcpy(bad, buf, LEN);
    dedup__store_le64(bad + 24, 0);
    reseal(bad, LEN);
    is_int(deserialize_exact(&r, bad, LEN), DEDUP_E_FORMAT, "empty document with values");
    is_int(dedup_signature_deserialize(&r, NULL, 5), DEDUP_E_INVAL, "NULL buffer");
    is_int(dedup_signature_deserialize(NULL, buf, LEN), DEDUP_E_INVAL, "NULL out");
    ok(r == NULL, "out stays NULL after every failure");

    /* A deserialized signature keeps its parameters' fingerprint. */
    dedup_params *q = NULL;
    dedup_params_create(&q);
    dedup_params_set(q, DEDUP_P_NUM_HASHES, 16);
    dedup_params_set(q, DEDUP_P_SHINGLE_SIZE, 3);
    dedup_signature *other = NULL;
    dedup_signature_create(&other, q);
    deserialize_exact(&r, buf, LEN);
    double j;
    is_int(dedup_signature_jaccard(r, other, &j), DEDUP_E_MISMATCH,
           "deserialized signature vs other params: mismatch");
    is_int(dedup_signature_jaccard(r, s, &j), DEDUP_OK, "vs its original: comparable");
    dedup_signature_free(other);
    dedup_signature_free(r);
    dedup_signature_free(s);
    dedup_params_free(q);
}

/* -------------------------------------------------- allocation failures */

static void allocation_failures(void)
{
    dedup_params p;
    dedup__params_defaults(&p);
    dedup_signature *s = make(&p, 20);
    unsigned char buf[616];
    dedup_signature_serialize(s, buf, sizeof buf, NULL);

    for (int which = 0; which < 3; which++) {
        static const char *const names[] = {"create", "copy", "deserialize"};
        int good = 1;
        long i;
        for (i = 0; i < 10; i++) {
            dedup_signature *r = (dedup_signature *)&p; /* must become NULL */
            dedup__alloc_fail_at(i);
            int rc = which == 0   ? dedup_signature_create(&r, &p)
                     : which == 1 ? dedup_signature_copy(&r, s)
                                  : dedup_signature_deserialize(&r, buf, sizeof buf);
            dedup__alloc_fail_at(-1);
            if (rc == DEDUP_OK) {
                good &= r != NULL;
                dedup_signature_free(r);
                break;
            }
            good &= rc == DEDUP_E_NOMEM && r == NULL;
        }
        ok(good && i < 10, "%s: DEDUP_E_NOMEM for each failing allocation (%ld), then OK",
           names[which], i);
    }
    dedup_signature_free(s);
}

/*
 * The signatures of fixed texts, through the whole pipeline with fixed
 * parameters, pinned to the format versions: a change of the
 * values (normalization, tokens, shingles, MinHash) must come with a new
 * serialized-signature version and a new index format (the index stores
 * their compact form), or saved signatures and indexes would be compared
 * wrongly. When this test fails after such a change, raise both versions
 * and add a line for them; when it fails with the versions unchanged, the
 * values changed by mistake. The parameters are spelled out (the defaults
 * of signature version 2) rather than taken from the defaults: a saved
 * signature or index carries its parameters, so a new default never
 * misreads it; what must not change silently is the function from text
 * and parameters to values.
 */
static const struct {
    unsigned signature_version, index_version;
    uint64_t digest;
} pinned[] = {
    {2, 7, 0x6a2b957fafeabc73ULL},
    {3, 7, 0x08dc093a1361a5c1ULL}, /* lead values (DEDUP_P_LEAD_BANDS 8) */
    /* Index format 8: the same values, their compact form 8 bits wide. */
    {2, 8, 0x6a2b957fafeabc73ULL},
    {3, 8, 0x08dc093a1361a5c1ULL},
};

/* The digest of the signatures of texts (values, lead values included, and
 * set sizes) under p, and the signature version they serialize to. */
static uint64_t values_digest(const dedup_params *p, const char *const *texts, size_t n,
                              unsigned *version)
{
    dedup_hasher *h;
    dedup_signature *sig;
    dedup_hasher_create(&h, p);
    dedup_signature_create(&sig, p);
    XXH64_state_t *st = XXH64_createState();
    XXH64_reset(st, 0);
    for (size_t i = 0; i < n; i++) {
        dedup_hasher_sign(h, texts[i], strlen(texts[i]), sig);
        unsigned char le[4];
        const uint32_t *v = dedup_signature_values(sig);
        for (size_t j = 0; j < dedup_signature_length(sig) + sig->nlead; j++) {
            for (int b = 0; b < 4; b++)
                le[b] = (unsigned char)(v[j] >> (8 * b));
            XXH64_update(st, le, 4);
        }
        uint64_t sz = dedup_signature_set_size(sig);
        unsigned char nle[8];
        for (int b = 0; b < 8; b++)
            nle[b] = (unsigned char)(sz >> (8 * b));
        XXH64_update(st, nle, 8);
    }
    uint64_t digest = XXH64_digest(st);
    XXH64_freeState(st);
    unsigned char buf[1024];
    size_t w = 0;
    dedup_signature_serialize(sig, buf, sizeof buf, &w);
    *version = (unsigned)(buf[4] | buf[5] << 8);
    dedup_signature_free(sig);
    dedup_hasher_free(h);
    return digest;
}

static void versions_follow_values(void)
{
    static const char *const texts[] = {
        "Harbour authority approves terminal\nThe harbour authority approved a new "
        "container terminal on Tuesday, after two years of hearings. \"We waited long "
        "enough,\" the mayor said.\n- Most read: storm closes rail line\n- Markets today",
        "東京都は2日、新しい港のターミナルの建設を承認したと発表した。工事は来年春に始まる。",
        "北京市政府2日宣布，新的集装箱码头将于明年春季开工建设，预计后年投入使用。",
        "서울시는 2일 새 컨테이너 터미널 건설을 승인했다고 밝혔다. 공사는 내년 봄 시작된다.",
        "Figures: 3,772 tonnes in 2024, up 12.5% from 3,353.",
        "",
    };
    dedup_index *idx;
    dedup_index_create(&idx, NULL);
    size_t isz = dedup_index_serialized_size(idx), w = 0;
    unsigned char *ib = malloc(isz);
    dedup_index_serialize(idx, ib, isz, &w);
    unsigned iv = (unsigned)(ib[8] | ib[9] << 8 | ib[10] << 16 | (unsigned)ib[11] << 24);
    free(ib);
    dedup_index_free(idx);
    /* Without lead values (version 2), and with 8 lead bands (version 3). */
    for (int64_t lead = 0; lead <= 8; lead += 8) {
        dedup_params *p;
        dedup_params_create(&p);
        dedup_params_set(p, DEDUP_P_CHAR_SHINGLE_SIZE, 5);
        dedup_params_set(p, DEDUP_P_HANGUL_SHINGLE_SIZE, 5);
        dedup_params_set(p, DEDUP_P_LEAD_BANDS, lead);
        unsigned sv;
        uint64_t digest = values_digest(p, texts, sizeof texts / sizeof *texts, &sv);
        dedup_params_free(p);
        int found = 0, same = 0;
        for (size_t i = 0; i < sizeof pinned / sizeof *pinned; i++)
            if (pinned[i].signature_version == sv && pinned[i].index_version == iv) {
                found = 1;
                same = pinned[i].digest == digest;
            }
        ok(found, "signature version %u and index format %u have pinned values", sv, iv);
        ok(same, "the values are those of these versions (digest 0x%016llx)",
           (unsigned long long)digest);
    }
}

/* Containment needs evidence: a short text "inside" one 14 times its size
 * on the strength of a Jaccard estimate within the noise of 4-bit values
 * is not a copy, while a real one at 1:8 with full values is. */
static void containment_needs_evidence(void)
{
    /* j = 0.067 between 40 and 581 shingles: containment 0.97 on its face */
    double face = dedup__measure_similarity(DEDUP_MEASURE_CONTAINMENT, 0.067, 40, 581, 0, 0, 30);
    double noisy = dedup__measure_similarity_k(DEDUP_MEASURE_CONTAINMENT, 0.067, 40, 581, 0, 0,
                                               30, 128, 1.0 / 16.0);
    ok(face > 0.9 && noisy < 0.1, "4-bit noise at 1:14 is no copy (%.3f, not %.3f)", noisy,
       face);
    /* 45 of 50 shingles inside 400: j = 0.111 */
    double real = dedup__measure_similarity_k(DEDUP_MEASURE_CONTAINMENT, 45.0 / 405.0, 50, 400,
                                              0, 0, 30, 128, 0.0);
    ok(real > 0.85, "a copy at 1:8 from full values stays one (%.3f)", real);
    /* of equal sizes the test does not apply */
    double even = dedup__measure_similarity_k(DEDUP_MEASURE_CONTAINMENT, 0.05, 100, 120, 0, 0,
                                              30, 128, 1.0 / 16.0);
    ok(even == dedup__measure_similarity(DEDUP_MEASURE_CONTAINMENT, 0.05, 100, 120, 0, 0, 30),
       "sizes within a factor of two: no test");
}

int main(void)
{
    versions_follow_values();
    containment_needs_evidence();
    basics();
    mismatch();
    round_trip();
    layout();
    damage();
    allocation_failures();
    return tap_done();
}
