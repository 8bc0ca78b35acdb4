/*
 * signature_io.c - the serialized form of a signature.
 *
 * Byte layout, format version 2 (version 1 had no flags and came from
 * signatures with quotations left in; it is refused with DEDUP_E_VERSION).
 * Every integer is little-endian, whatever the host; offsets in bytes, k
 * the number of values:
 *
 *   offset   size  field
 *   0        4     magic "DDSG" (0x44 0x44 0x53 0x47)
 *   4        2     format version, 2
 *   6        2     reserved, 0
 *   8        4     k, in [16, 1024]
 *   12       4     flags: bit 0 = shingles of characters (the text was
 *                  mostly in scripts written without spaces); the other
 *                  bits 0, and bit 0 only on a non-empty signature
 *   16       8     parameters fingerprint (dedup__params_fingerprint)
 *   24       8     set size: distinct shingles, 0 for an empty document
 *   32       4k    the k values
 *   32 + 4k  8     XXH3_64bits of bytes [0, 32 + 4k)
 *
 * Total 40 + 4k bytes (552 for k = 128). The buffer given to deserialize
 * must hold exactly one signature: trailing bytes are a format error, so
 * that a length mix-up is caught rather than silently ignored.
 *
 * Validation order, so that each kind of damage gets its own code: too
 * short for the header -> DEDUP_E_TRUNCATED (DEDUP_E_FORMAT if the bytes
 * present already contradict the magic); wrong magic -> DEDUP_E_FORMAT;
 * other version -> DEDUP_E_VERSION; reserved fields, flags, k ->
 * DEDUP_E_FORMAT;
 * shorter than 40 + 4k -> DEDUP_E_TRUNCATED; longer -> DEDUP_E_FORMAT;
 * checksum -> DEDUP_E_CHECKSUM; then the values must be ones the kernel can
 * produce (all UINT32_MAX for an empty document, below 0xFFF00000
 * otherwise; see minhash.c) -> DEDUP_E_FORMAT. Nothing is read outside
 * [buf, buf + len).
 */
#include <xxhash.h>

#include "signature.h"

#define MAGIC "DDSG"
#define FORMAT_VERSION 2
#define HEADER_SIZE 32
#define TRAILER_SIZE 8
#define K_MIN 16
#define K_MAX 1024
/* Every value of a non-empty signature is below this (minhash.c). */
#define VALUE_LIMIT 0xfff00000u

static size_t size_for_k(uint32_t k)
{
    return HEADER_SIZE + (size_t)k * 4 + TRAILER_SIZE;
}

size_t dedup_signature_serialized_size(const dedup_signature *sig)
{
    return sig ? size_for_k(sig->k) : 0;
}

/*
 * Write the layout above into buf (cap bytes). *written (may be NULL)
 * receives the number of bytes written, 0 on failure. DEDUP_E_INVAL for a
 * NULL sig or buf, DEDUP_E_RANGE if cap is too small (buf untouched).
 */
int dedup_signature_serialize(const dedup_signature *sig, void *buf, size_t cap,
                              size_t *written)
{
    if (written)
        *written = 0;
    if (!sig || !buf)
        return DEDUP_E_INVAL;
    size_t size = size_for_k(sig->k);
    if (cap < size)
        return DEDUP_E_RANGE;
    unsigned char *p = buf;
    memcpy(p, MAGIC, 4);
    p[4] = FORMAT_VERSION & 0xff;
    p[5] = FORMAT_VERSION >> 8;
    p[6] = p[7] = 0;
    dedup__store_le32(p + 8, sig->k);
    dedup__store_le32(p + 12, sig->set_size ? sig->chars & 1u : 0);
    dedup__store_le64(p + 16, sig->fingerprint);
    dedup__store_le64(p + 24, sig->set_size);
    for (uint32_t i = 0; i < sig->k; i++)
        dedup__store_le32(p + HEADER_SIZE + (size_t)i * 4, sig->values[i]);
    size_t body = size - TRAILER_SIZE;
    dedup__store_le64(p + body, (uint64_t)XXH3_64bits(p, body));
    if (written)
        *written = size;
    return DEDUP_OK;
}

/* The header checks, in the order documented above. On success *k holds
 * the number of values. */
static int check_header(const unsigned char *p, size_t len, uint32_t *k)
{
    if (len < HEADER_SIZE) {
        size_t have = len < 4 ? len : 4;
        return memcmp(p, MAGIC, have) ? DEDUP_E_FORMAT : DEDUP_E_TRUNCATED;
    }
    if (memcmp(p, MAGIC, 4) != 0)
        return DEDUP_E_FORMAT;
    if ((p[4] | p[5] << 8) != FORMAT_VERSION)
        return DEDUP_E_VERSION;
    if (p[6] || p[7] || dedup__load_le32(p + 12) > 1)
        return DEDUP_E_FORMAT;
    *k = dedup__load_le32(p + 8);
    if (*k < K_MIN || *k > K_MAX)
        return DEDUP_E_FORMAT;
    size_t size = size_for_k(*k);
    if (len < size)
        return DEDUP_E_TRUNCATED;
    if (len > size)
        return DEDUP_E_FORMAT;
    return DEDUP_OK;
}

/*
 * Rebuild a signature from len bytes at buf. On success *out is a new
 * signature owned by the caller; on failure *out is NULL and the status
 * says why (see the top of this file). DEDUP_E_INVAL for NULL out, or NULL
 * buf with len > 0.
 */
int dedup_signature_deserialize(dedup_signature **out, const void *buf, size_t len)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    if (!buf)
        return len ? DEDUP_E_INVAL : DEDUP_E_TRUNCATED;
    const unsigned char *p = buf;
    uint32_t k = 0;
    int rc = check_header(p, len, &k);
    if (rc != DEDUP_OK)
        return rc;
    size_t body = len - TRAILER_SIZE;
    if ((uint64_t)XXH3_64bits(p, body) != dedup__load_le64(p + body))
        return DEDUP_E_CHECKSUM;

    uint64_t set_size = dedup__load_le64(p + 24);
    uint32_t flags = dedup__load_le32(p + 12);
    if (set_size == 0 && flags)
        return DEDUP_E_FORMAT;
    for (uint32_t i = 0; i < k; i++) {
        uint32_t v = dedup__load_le32(p + HEADER_SIZE + (size_t)i * 4);
        if (set_size == 0 ? v != UINT32_MAX : v >= VALUE_LIMIT)
            return DEDUP_E_FORMAT;
    }

    dedup_signature *s = dedup__signature_alloc(k, dedup__load_le64(p + 16));
    if (!s)
        return DEDUP_E_NOMEM;
    s->set_size = set_size;
    s->chars = flags & 1u;
    for (uint32_t i = 0; i < k; i++)
        s->values[i] = dedup__load_le32(p + HEADER_SIZE + (size_t)i * 4);
    *out = s;
    return DEDUP_OK;
}
