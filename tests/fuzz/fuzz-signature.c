/*
 * fuzz-signature.c - fuzz target for the deserialization of signatures
 * and of line statistics.
 *
 * The low two bits of byte 0 pick the mode. 0: the rest is handed to
 * dedup_signature_deserialize as it is. 1: the rest becomes a signature
 * body with a valid header (magic, version 2, k from the input) and a
 * correct checksum, so that the checks after the checksum (reserved
 * fields, length, the values themselves) see fuzzed data too: random
 * bytes would almost never get past the checksum. 2 and 3: the same for
 * dedup_linestats_deserialize, mode 3 building a sketch of 1 to 8 blocks
 * whose counters come from the input.
 *
 * Properties: a rejected buffer gives one of the documented codes and a
 * NULL output; an accepted one serializes back to exactly the same bytes;
 * a signature compares with itself and copies, a sketch answers lookups.
 */
#include <string.h>

#include <xxhash.h>

#include "fuzz.h"
#include "signature.h"

static void check(const unsigned char *buf, size_t len)
{
    dedup_signature *sig = (dedup_signature *)buf; /* any non-NULL value */
    int rc = dedup_signature_deserialize(&sig, buf, len);
    if (rc != DEDUP_OK) {
        FUZZ_CHECK(rc == DEDUP_E_FORMAT || rc == DEDUP_E_VERSION || rc == DEDUP_E_TRUNCATED ||
                   rc == DEDUP_E_CHECKSUM);
        FUZZ_CHECK(sig == NULL);
        return;
    }
    FUZZ_CHECK(sig != NULL);
    size_t size = dedup_signature_serialized_size(sig);
    FUZZ_CHECK(size == len);
    unsigned char *again = malloc(size);
    FUZZ_CHECK(again != NULL);
    size_t written = 0;
    FUZZ_OK(dedup_signature_serialize(sig, again, size, &written));
    FUZZ_CHECK(written == len && memcmp(again, buf, len) == 0);
    if (size > 0)
        FUZZ_CHECK(dedup_signature_serialize(sig, again, size - 1, &written) ==
                   DEDUP_E_RANGE);
    free(again);
    double j = -1.0;
    FUZZ_OK(dedup_signature_jaccard(sig, sig, &j));
    FUZZ_CHECK(j == (dedup_signature_set_size(sig) ? 1.0 : 0.0));
    dedup_signature *copy = NULL;
    FUZZ_OK(dedup_signature_copy(&copy, sig));
    FUZZ_OK(dedup_signature_containment(sig, copy, &j));
    dedup_signature_free(copy);
    dedup_signature_free(sig);
}

static void check_lines(const unsigned char *buf, size_t len)
{
    dedup_linestats *ls = (dedup_linestats *)buf; /* any non-NULL value */
    int rc = dedup_linestats_deserialize(&ls, buf, len);
    if (rc != DEDUP_OK) {
        FUZZ_CHECK(rc == DEDUP_E_FORMAT || rc == DEDUP_E_VERSION || rc == DEDUP_E_TRUNCATED ||
                   rc == DEDUP_E_CHECKSUM || rc == DEDUP_E_NOMEM);
        FUZZ_CHECK(rc == DEDUP_E_NOMEM || ls == NULL);
        return;
    }
    FUZZ_CHECK(ls != NULL);
    size_t size = dedup_linestats_serialized_size(ls);
    FUZZ_CHECK(size == len);
    unsigned char *again = malloc(size);
    FUZZ_CHECK(again != NULL);
    size_t written = 0;
    FUZZ_OK(dedup_linestats_serialize(ls, again, size, &written));
    FUZZ_CHECK(written == len && memcmp(again, buf, len) == 0);
    free(again);
    (void)dedup_linestats_count(ls, "Home | World", 12);
    FUZZ_OK(dedup_linestats_add(ls, "Home | World\nnews", 17));
    dedup_linestats_free(ls);
}

/* Mode 3: a sketch of 1 << (data[0] & 7) blocks, its counters and document
 * count from the rest of the input (zero-padded), sealed. */
static void lines_sealed(const uint8_t *data, size_t size)
{
    size_t blocks = (size_t)1 << (size ? data[0] & 7 : 0);
    size_t n = 32 + blocks * 64, body = n;
    unsigned char *buf = calloc(1, body + 8);
    FUZZ_CHECK(buf != NULL);
    memcpy(buf, "DDLS\x01\x00\x00\x00", 8);
    dedup__store_le32(buf + 8, 4);
    dedup__store_le32(buf + 12, 32);
    dedup__store_le64(buf + 16, blocks);
    if (size > 1)
        memcpy(buf + 24, data + 1, DEDUP_MIN(size - 1, body - 24));
    dedup__store_le64(buf + body, XXH3_64bits(buf, body));
    check_lines(buf, body + 8);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        check(data, 0);
        check_lines(data, 0);
        return 0;
    }
    switch (data[0] & 3) {
    case 0:
        check(data + 1, size - 1);
        return 0;
    case 2:
        check_lines(data + 1, size - 1);
        return 0;
    case 3:
        lines_sealed(data + 1, size - 1);
        return 0;
    }
    /* Header: "DDSG", version 2, then the input from byte 6 of the
     * signature on (reserved, k, reserved, fingerprint, set size, values);
     * k is taken modulo 1024 so that it is often near a valid size. */
    data++;
    size--;
    size_t body = 6 + size;
    unsigned char *buf = malloc(body + 8);
    FUZZ_CHECK(buf != NULL);
    memcpy(buf, "DDSG\x02\x00", 6);
    memcpy(buf + 6, data, size);
    if (body >= 12)
        dedup__store_le32(buf + 8, dedup__load_le32(buf + 8) % 1025);
    dedup__store_le64(buf + body, XXH3_64bits(buf, body));
    check(buf, body + 8);
    free(buf);
    return 0;
}
