/*
 * signature_io.c - the serialized form of a signature.
 *
 * Byte layout, format versions 2 (no lead values) and 3 (lead values,
 * DEDUP_P_LEAD_BANDS); version 1 had no flags and came from signatures with
 * quotations left in; it is refused with DEDUP_E_VERSION. A signature
 * without lead values is written as version 2, byte for byte as before
 * lead values existed. Every integer is little-endian, whatever the host;
 * offsets in bytes, k the number of values, L that of lead values:
 *
 *   offset   size  field
 *   0        4     magic "DDSG" (0x44 0x44 0x53 0x47)
 *   4        2     format version, 2 or 3
 *   6        2     L: 0 in version 2; even, 2 to 64, in version 3
 *   8        4     k, in [16, 1024]
 *   12       4     flags: bit 0 = shingles of characters (the text was
 *                  mostly in scripts written without spaces); the other
 *                  bits 0, and bit 0 only on a non-empty signature
 *   16       8     parameters fingerprint (dedup__params_fingerprint)
 *   24       8     set size: distinct shingles, 0 for an empty document
 *   32       4k    the k values
 *   32 + 4k  4L    the lead values
 *   32 + 4(k + L)  8  XXH3_64bits of the bytes before it
 *
 * Total 40 + 4(k + L) bytes (552 for k = 128 without lead values, 616 with
 * the default 16). The buffer given to deserialize
 * must hold exactly one signature: trailing bytes are a format error, so
 * that a length mix-up is caught rather than silently ignored.
 *
 * Validation order, so that each kind of damage gets its own code: too
 * short for the header -> DEDUP_E_TRUNCATED (DEDUP_E_FORMAT if the bytes
 * present already contradict the magic); wrong magic -> DEDUP_E_FORMAT;
 * other version -> DEDUP_E_VERSION; L not matching the version, reserved
 * fields, flags, k -> DEDUP_E_FORMAT;
 * shorter than 40 + 4(k + L) -> DEDUP_E_TRUNCATED; longer -> DEDUP_E_FORMAT;
 * checksum -> DEDUP_E_CHECKSUM; then the values must be ones the kernel can
 * produce (all UINT32_MAX for an empty document, below 0xFFF00000
 * otherwise; see minhash.c) -> DEDUP_E_FORMAT. Nothing is read outside
 * [buf, buf + len).
 */
#include <xxhash.h>

#include "signature.h"

#define MAGIC "DDSG"
#define FORMAT_VERSION 2      /* without lead values */
#define FORMAT_VERSION_LEAD 3 /* with them */
#define LEAD_MAX 64           /* DEDUP_P_LEAD_BANDS' largest value, in values */
#define HEADER_SIZE 32
#define TRAILER_SIZE 8
#define K_MIN 16
#define K_MAX 1024
/* Every value of a non-empty signature is below this (minhash.c). */
#define VALUE_LIMIT 0xfff00000u

static size_t size_for_k(uint32_t k, uint32_t nlead)
{
    return HEADER_SIZE + ((size_t)k + nlead) * 4 + TRAILER_SIZE;
}

size_t dedup_signature_serialized_size(const dedup_signature *sig)
{
    return sig ? size_for_k(sig->k, sig->nlead) : 0;
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
    size_t size = size_for_k(sig->k, sig->nlead);
    if (cap < size)
        return DEDUP_E_RANGE;
    unsigned char *p = buf;
    unsigned version = sig->nlead ? FORMAT_VERSION_LEAD : FORMAT_VERSION;
    memcpy(p, MAGIC, 4);
    p[4] = version & 0xff;
    p[5] = version >> 8;
    p[6] = sig->nlead & 0xff;
    p[7] = (unsigned char)(sig->nlead >> 8);
    dedup__store_le32(p + 8, sig->k);
    dedup__store_le32(p + 12, sig->set_size ? sig->chars & 1u : 0);
    dedup__store_le64(p + 16, sig->fingerprint);
    dedup__store_le64(p + 24, sig->set_size);
    for (uint32_t i = 0; i < sig->k + sig->nlead; i++)
        dedup__store_le32(p + HEADER_SIZE + (size_t)i * 4, sig->values[i]);
    size_t body = size - TRAILER_SIZE;
    dedup__store_le64(p + body, (uint64_t)XXH3_64bits(p, body));
    if (written)
        *written = size;
    return DEDUP_OK;
}

/* The header checks, in the order documented above. On success *k holds
 * the number of values and *nlead that of lead values. */
static int check_header(const unsigned char *p, size_t len, uint32_t *k, uint32_t *nlead)
{
    if (len < HEADER_SIZE) {
        size_t have = len < 4 ? len : 4;
        return memcmp(p, MAGIC, have) ? DEDUP_E_FORMAT : DEDUP_E_TRUNCATED;
    }
    if (memcmp(p, MAGIC, 4) != 0)
        return DEDUP_E_FORMAT;
    unsigned version = (unsigned)(p[4] | p[5] << 8);
    if (version != FORMAT_VERSION && version != FORMAT_VERSION_LEAD)
        return DEDUP_E_VERSION;
    *nlead = (uint32_t)(p[6] | p[7] << 8);
    if ((version == FORMAT_VERSION) != (*nlead == 0) || *nlead > LEAD_MAX || *nlead % 2 ||
        dedup__load_le32(p + 12) > 1)
        return DEDUP_E_FORMAT;
    *k = dedup__load_le32(p + 8);
    if (*k < K_MIN || *k > K_MAX)
        return DEDUP_E_FORMAT;
    size_t size = size_for_k(*k, *nlead);
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
    uint32_t k = 0, nlead = 0;
    int rc = check_header(p, len, &k, &nlead);
    if (rc != DEDUP_OK)
        return rc;
    size_t body = len - TRAILER_SIZE;
    if ((uint64_t)XXH3_64bits(p, body) != dedup__load_le64(p + body))
        return DEDUP_E_CHECKSUM;

    uint64_t set_size = dedup__load_le64(p + 24);
    uint32_t flags = dedup__load_le32(p + 12);
    if (set_size == 0 && flags)
        return DEDUP_E_FORMAT;
    for (uint32_t i = 0; i < k + nlead; i++) {
        uint32_t v = dedup__load_le32(p + HEADER_SIZE + (size_t)i * 4);
        if (set_size == 0 ? v != UINT32_MAX : v >= VALUE_LIMIT)
            return DEDUP_E_FORMAT;
    }

    dedup_signature *s = dedup__signature_alloc(k, nlead, dedup__load_le64(p + 16));
    if (!s)
        return DEDUP_E_NOMEM;
    s->set_size = set_size;
    s->chars = flags & 1u;
    for (uint32_t i = 0; i < k + nlead; i++)
        s->values[i] = dedup__load_le32(p + HEADER_SIZE + (size_t)i * 4);
    *out = s;
    return DEDUP_OK;
}
