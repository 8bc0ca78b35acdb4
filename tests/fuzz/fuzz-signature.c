/*
 * fuzz-signature.c - fuzz target for signature deserialization.
 *
 * Byte 0 of the input picks the mode. Even: the rest is handed to
 * dedup_signature_deserialize as it is. Odd: the rest becomes a signature
 * body with a valid header (magic, version 1, k from the input) and a
 * correct checksum, so that the checks after the checksum (reserved
 * fields, length, the values themselves) see fuzzed data too: random
 * bytes would almost never get past the checksum.
 *
 * Properties: a rejected buffer gives one of the documented codes and a
 * NULL output; an accepted one serializes back to exactly the same bytes,
 * compares with itself, and copies.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        check(data, 0);
        return 0;
    }
    if (!(data[0] & 1)) {
        check(data + 1, size - 1);
        return 0;
    }
    /* Header: "DDSG", version 1, then the input from byte 6 of the
     * signature on (reserved, k, reserved, fingerprint, set size, values);
     * k is taken modulo 1024 so that it is often near a valid size. */
    data++;
    size--;
    size_t body = 6 + size;
    unsigned char *buf = malloc(body + 8);
    FUZZ_CHECK(buf != NULL);
    memcpy(buf, "DDSG\x01\x00", 6);
    memcpy(buf + 6, data, size);
    if (body >= 12)
        dedup__store_le32(buf + 8, dedup__load_le32(buf + 8) % 1025);
    dedup__store_le64(buf + body, XXH3_64bits(buf, body));
    check(buf, body + 8);
    free(buf);
    return 0;
}
