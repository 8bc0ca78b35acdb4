/*
 * linestats.c - how many documents contain each line: the statistics behind
 * boilerplate filtering.
 *
 * A count-min sketch with conservative update, laid out in blocks: a
 * line's hash picks one 64-byte block of 32 saturating 16-bit counters and
 * DEDUP_LS_DEPTH counters within it, so that counting or looking up a line
 * costs one cache miss instead of one per row. A line's count is the
 * minimum of its counters, which over-estimates only through collisions;
 * sized at about 4 bytes per distinct line (dedup_linestats_create's
 * width), a counter is shared by about two lines, and a line seen once
 * reads as a boilerplate count only if all its counters share lines that
 * are boilerplate themselves. Counts saturate at 65535: the decision only
 * compares them with small thresholds. Each block also keeps its highest
 * counter (capped at 255) in a byte array 32 times smaller than the
 * counters: a line whose block tops below a threshold is below it, which
 * settles most questions "is this line boilerplate?" from an array that
 * stays in cache, where the counters of a large sketch cost a miss each.
 * Each document adds each of its
 * distinct lines once, so counts are document frequencies. Sketches of the
 * same size add up counter by counter, so statistics gathered by threads
 * or machines merge (the merged sketch is still an upper bound).
 *
 * Lines longer than DEDUP_BOILERPLATE_MAX_LINE are not counted: they are
 * never taken for boilerplate.
 *
 * Lines are what lies between '\n' bytes, with a byte order mark, ASCII
 * spaces, tabs and carriage returns trimmed; blank lines are not counted. The
 * bytes are hashed as they are: boilerplate is byte-identical across a
 * site's pages, and hashing raw bytes costs next to nothing.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "linestats.h"

int dedup_linestats_create(dedup_linestats **out, size_t width)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    if (width == 0)
        width = (size_t)1 << 22;
    if (width > ((size_t)1 << 32))
        return DEDUP_E_RANGE;
    /* width counters (2 bytes each) in blocks of DEDUP_LS_BLOCK. */
    size_t blocks = 1;
    while (blocks * DEDUP_LS_BLOCK < width)
        blocks *= 2;
    dedup_linestats *ls = dedup__calloc(1, sizeof *ls);
    if (!ls)
        return DEDUP_E_NOMEM;
    ls->blocks = blocks;
    ls->counts = dedup__calloc(blocks * DEDUP_LS_BLOCK, sizeof(uint16_t));
    ls->top = dedup__calloc(blocks, 1);
    if (!ls->counts || !ls->top) {
        dedup__free(ls->counts);
        dedup__free(ls->top);
        dedup__free(ls);
        return DEDUP_E_NOMEM;
    }
    /* Every line reads a block at a random place: huge pages save a TLB
     * miss per line. */
    dedup__advise_random(ls->counts, blocks * DEDUP_LS_BLOCK * sizeof(uint16_t));
    dedup__advise_random(ls->top, blocks);
    *out = ls;
    return DEDUP_OK;
}

void dedup_linestats_free(dedup_linestats *ls)
{
    if (!ls)
        return;
    dedup__free(ls->counts);
    dedup__free(ls->top);
    dedup__free(ls->scratch);
    dedup__free(ls);
}

uint64_t dedup__line_hash(const char *line, size_t len)
{
    /* A byte order mark is not part of the first line's text. */
    if (len >= 3 && (unsigned char)line[0] == 0xEF && (unsigned char)line[1] == 0xBB &&
        (unsigned char)line[2] == 0xBF) {
        line += 3;
        len -= 3;
    }
    while (len && (line[0] == ' ' || line[0] == '\t' || line[0] == '\r')) {
        line++;
        len--;
    }
    while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
        len--;
    if (len == 0)
        return 0;
    uint64_t h = XXH3_64bits(line, len);
    return h ? h : 1;
}

/* The DEDUP_LS_DEPTH counters of hash h: a block from the low bits of a
 * remixed hash, positions within it from 5-bit slices of the high bits. */
static inline void counters(const dedup_linestats *ls, uint64_t h, size_t idx[DEDUP_LS_DEPTH])
{
    uint64_t m = dedup__mix64(h ^ 0x9e3779b97f4a7c15ULL);
    size_t base = (size_t)(m & (ls->blocks - 1)) * DEDUP_LS_BLOCK;
    for (int r = 0; r < DEDUP_LS_DEPTH; r++)
        idx[r] = base + (size_t)((m >> (40 + 5 * r)) & (DEDUP_LS_BLOCK - 1));
}

void dedup__linestats_prefetch(const dedup_linestats *ls, uint64_t h)
{
    uint64_t m = dedup__mix64(h ^ 0x9e3779b97f4a7c15ULL);
    DEDUP_PREFETCH(&ls->counts[(size_t)(m & (ls->blocks - 1)) * DEDUP_LS_BLOCK]);
}

static inline size_t block_of(const dedup_linestats *ls, uint64_t h)
{
    return (size_t)(dedup__mix64(h ^ 0x9e3779b97f4a7c15ULL) & (ls->blocks - 1));
}

void dedup__linestats_prefetch_top(const dedup_linestats *ls, uint64_t h)
{
    DEDUP_PREFETCH(&ls->top[block_of(ls, h)]);
}

int dedup__linestats_at_least(const dedup_linestats *ls, uint64_t h, uint32_t min)
{
    uint32_t t = ls->top[block_of(ls, h)];
    if (t < min && t < UINT8_MAX)
        return 0;
    return dedup__linestats_lookup(ls, h) >= min;
}

/* Set the top byte of every block from its counters. */
static void set_tops(dedup_linestats *ls)
{
    for (size_t b = 0; b < ls->blocks; b++) {
        const uint16_t *c = ls->counts + b * DEDUP_LS_BLOCK;
        uint16_t t = 0;
        for (int i = 0; i < DEDUP_LS_BLOCK; i++)
            if (c[i] > t)
                t = c[i];
        ls->top[b] = (uint8_t)(t < UINT8_MAX ? t : UINT8_MAX);
    }
}

uint32_t dedup__linestats_lookup(const dedup_linestats *ls, uint64_t h)
{
    size_t idx[DEDUP_LS_DEPTH];
    counters(ls, h, idx);
    uint32_t best = UINT16_MAX;
    for (int r = 0; r < DEDUP_LS_DEPTH; r++)
        if (ls->counts[idx[r]] < best)
            best = ls->counts[idx[r]];
    return best;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Append the hash of every countable line of text to *buf (growable,
 * *cap entries) and return their number in *n (repeats included). */
static int line_hashes(const char *text, size_t len, uint64_t **buf, size_t *cap, size_t *n)
{
    *n = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        size_t line_len = (size_t)(e - p);
        uint64_t h = line_len <= DEDUP_BOILERPLATE_MAX_LINE ? dedup__line_hash(p, line_len) : 0;
        if (h) {
            if (*n == *cap) {
                void *b = *buf;
                if (dedup__grow(&b, cap, *n + 1, sizeof(uint64_t)) != DEDUP_OK)
                    return DEDUP_E_NOMEM;
                *buf = b;
            }
            (*buf)[(*n)++] = h;
        }
        p = nl ? nl + 1 : end;
    }
    return DEDUP_OK;
}

/* Sort h[0..n) and drop repeats; returns the distinct count. A document
 * has a few dozen lines at most, mostly: insertion sort, without qsort's
 * calls through a pointer, up to 64. */
static size_t sort_unique(uint64_t *h, size_t n)
{
    if (n > 64) {
        qsort(h, n, sizeof *h, cmp_u64);
    } else {
        for (size_t i = 1; i < n; i++) {
            uint64_t v = h[i];
            size_t j = i;
            for (; j > 0 && h[j - 1] > v; j--)
                h[j] = h[j - 1];
            h[j] = v;
        }
    }
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (!w || h[i] != h[w - 1])
            h[w++] = h[i];
    return w;
}

/* Count one document whose distinct, sorted, non-zero line hashes are
 * h[0..n). */
static void count_lines(dedup_linestats *ls, const uint64_t *h, size_t n)
{
    /* Ask for every line's counters first, so that the cache misses of a
     * document's lines overlap instead of following one another. */
    for (size_t i = 0; i < n; i++)
        dedup__linestats_prefetch(ls, h[i]);
    for (size_t i = 0; i < n; i++) {
        size_t idx[DEDUP_LS_DEPTH];
        counters(ls, h[i], idx);
        /* Conservative update: raise only the counters at the minimum. */
        uint16_t m = UINT16_MAX;
        for (int r = 0; r < DEDUP_LS_DEPTH; r++)
            if (ls->counts[idx[r]] < m)
                m = ls->counts[idx[r]];
        if (m == UINT16_MAX)
            continue;
        for (int r = 0; r < DEDUP_LS_DEPTH; r++)
            if (ls->counts[idx[r]] == m)
                ls->counts[idx[r]] = (uint16_t)(m + 1);
        uint8_t *t = &ls->top[idx[0] / DEDUP_LS_BLOCK];
        unsigned nt = m + 1u < UINT8_MAX ? m + 1u : UINT8_MAX;
        if (*t < nt)
            *t = (uint8_t)nt;
    }
    ls->docs++;
}

int dedup_linestats_add(dedup_linestats *ls, const char *text, size_t len)
{
    return dedup_linestats_add_site(ls, NULL, 0, text, len);
}

/* Count the document whose n line hashes (repeats allowed) are at
 * ls->scratch: each distinct line once, and its key under site hash sh
 * too unless sh is 0. */
static int count_scratch(dedup_linestats *ls, uint64_t sh, size_t n)
{
    n = sort_unique(ls->scratch, n);
    if (sh && n) {
        void *b = ls->scratch;
        if (dedup__grow(&b, &ls->scratch_cap, 2 * n, sizeof(uint64_t)) != DEDUP_OK)
            return DEDUP_E_NOMEM;
        ls->scratch = b;
        for (size_t i = 0; i < n; i++)
            ls->scratch[n + i] = dedup__site_key(ls->scratch[i], sh);
        n = sort_unique(ls->scratch, 2 * n);
    }
    count_lines(ls, ls->scratch, n);
    return DEDUP_OK;
}

int dedup__linestats_add_fields(dedup_linestats *ls, uint64_t site_hash,
                                const dedup_field *fields, size_t n)
{
    /* Fields are joined with line breaks, so the lines of the joined text
     * are those of the fields. */
    size_t total = 0;
    uint64_t *part = NULL;
    size_t part_cap = 0;
    for (size_t i = 0; i < n; i++) {
        if (!fields[i].text || !fields[i].len)
            continue;
        size_t m;
        void *b = ls->scratch;
        if (line_hashes(fields[i].text, fields[i].len, &part, &part_cap, &m) ||
            (total + m > ls->scratch_cap &&
             dedup__grow(&b, &ls->scratch_cap, total + m, sizeof(uint64_t)) != DEDUP_OK)) {
            dedup__free(part);
            return DEDUP_E_NOMEM;
        }
        ls->scratch = b;
        if (m)
            memcpy(ls->scratch + total, part, m * sizeof *part);
        total += m;
    }
    dedup__free(part);
    return count_scratch(ls, site_hash, total);
}

int dedup_linestats_hashes(const char *text, size_t len, uint64_t *out, size_t cap, size_t *n)
{
    if (!n)
        return DEDUP_E_INVAL;
    *n = 0;
    if ((!text && len) || (!out && cap))
        return DEDUP_E_INVAL;
    uint64_t *buf = NULL;
    size_t bcap = 0, m = 0;
    int rc = len ? line_hashes(text, len, &buf, &bcap, &m) : DEDUP_OK;
    if (rc == DEDUP_OK) {
        m = sort_unique(buf, m);
        *n = m;
        if (m > cap)
            rc = DEDUP_E_RANGE;
        else if (m)
            memcpy(out, buf, m * sizeof *buf);
    }
    dedup__free(buf);
    return rc;
}

int dedup_linestats_add_hashes(dedup_linestats *ls, const uint64_t *hashes, size_t n)
{
    if (!ls || (!hashes && n))
        return DEDUP_E_INVAL;
    /* As dedup_linestats_hashes gives them (ascending, distinct, none 0):
     * counted as they are, without a copy and a second sort. */
    size_t ok = 0;
    while (ok < n && hashes[ok] && (ok == 0 || hashes[ok - 1] < hashes[ok]))
        ok++;
    if (ok == n) {
        count_lines(ls, hashes, n);
        return DEDUP_OK;
    }
    if (n > ls->scratch_cap) {
        void *b = ls->scratch;
        if (dedup__grow(&b, &ls->scratch_cap, n, sizeof(uint64_t)) != DEDUP_OK)
            return DEDUP_E_NOMEM;
        ls->scratch = b;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (hashes[i])
            ls->scratch[m++] = hashes[i];
    count_lines(ls, ls->scratch, sort_unique(ls->scratch, m));
    return DEDUP_OK;
}

int dedup_site_of(const char *url, size_t len, const char **site, size_t *site_len)
{
    if ((!url && len) || !site || !site_len)
        return DEDUP_E_INVAL;
    *site = url;
    *site_len = len;
    const char *sep = NULL;
    for (size_t i = 0; i + 3 <= len && !sep; i++)
        if (url[i] == ':' && url[i + 1] == '/' && url[i + 2] == '/')
            sep = url + i;
    if (!sep)
        return DEDUP_OK; /* a name of the application's own */
    /* The authority: up to the path, the query or the fragment. */
    const char *h = sep + 3, *end = url + len, *e = h;
    while (e < end && *e != '/' && *e != '?' && *e != '#' && *e != '\\')
        e++;
    /* Without user information (up to the last '@', as browsers read it). */
    for (const char *q = e; q > h; q--)
        if (q[-1] == '@') {
            h = q;
            break;
        }
    if (h < e && *h == '[') {
        /* An IPv6 address: up to its bracket, the port after it. */
        const char *close = memchr(h, ']', (size_t)(e - h));
        if (close)
            e = close + 1;
    } else {
        const char *colon = memchr(h, ':', (size_t)(e - h));
        if (colon)
            e = colon;
    }
    if (e > h && e[-1] == '.')
        e--; /* "example.com." names example.com */
    if (e - h > 4 && (h[0] | 0x20) == 'w' && (h[1] | 0x20) == 'w' && (h[2] | 0x20) == 'w' &&
        h[3] == '.')
        h += 4;
    *site = h;
    *site_len = (size_t)(e - h);
    return DEDUP_OK;
}

/* A site's hash, its ASCII letters folded to lower case: host names are
 * case-insensitive, and a crawler may keep a URL as it found it. Sites
 * already in lower case hash as their bytes do (so do the keys stored by
 * earlier versions). */
uint64_t dedup__site_hash(const char *site, size_t len)
{
    if (!site || len == 0)
        return 0;
    const uint64_t seed = 0x73697465u; /* "site" */
    size_t upper = 0;
    while (upper < len && !(site[upper] >= 'A' && site[upper] <= 'Z'))
        upper++;
    uint64_t h;
    if (upper == len) {
        h = XXH3_64bits_withSeed(site, len, seed);
    } else {
        /* One-shot and streaming XXH3 agree; fold a block at a time. */
        XXH3_state_t st;
        memset(&st, 0, sizeof st);
        XXH3_64bits_reset_withSeed(&st, seed);
        char buf[256];
        for (size_t i = 0; i < len;) {
            size_t k = len - i < sizeof buf ? len - i : sizeof buf;
            for (size_t j = 0; j < k; j++) {
                char c = site[i + j];
                buf[j] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
            }
            XXH3_64bits_update(&st, buf, k);
            i += k;
        }
        h = XXH3_64bits_digest(&st);
    }
    return h ? h : 1;
}

uint64_t dedup__site_key(uint64_t line_hash, uint64_t site_hash)
{
    if (!line_hash || !site_hash)
        return 0;
    uint64_t k = dedup__mix64(line_hash ^ dedup__mix64(site_hash));
    return k ? k : 1;
}

int dedup_linestats_site_keys(const char *site, size_t site_len, const uint64_t *hashes,
                              size_t n, uint64_t *out)
{
    if ((!site && site_len) || ((!hashes || !out) && n))
        return DEDUP_E_INVAL;
    uint64_t sh = dedup__site_hash(site, site_len);
    for (size_t i = 0; i < n; i++)
        out[i] = dedup__site_key(hashes[i], sh);
    return DEDUP_OK;
}

int dedup_linestats_add_site(dedup_linestats *ls, const char *site, size_t site_len,
                             const char *text, size_t len)
{
    if (!ls || (!text && len) || (!site && site_len))
        return DEDUP_E_INVAL;
    size_t n = 0;
    if (len && line_hashes(text, len, &ls->scratch, &ls->scratch_cap, &n))
        return DEDUP_E_NOMEM;
    return count_scratch(ls, dedup__site_hash(site, site_len), n);
}

uint32_t dedup_linestats_count_site(const dedup_linestats *ls, const char *site,
                                    size_t site_len, const char *line, size_t len)
{
    if (!ls || (!line && len) || (!site && site_len))
        return 0;
    uint64_t h = len <= DEDUP_BOILERPLATE_MAX_LINE ? dedup__line_hash(line, len) : 0;
    uint64_t k = dedup__site_key(h, dedup__site_hash(site, site_len));
    return k ? dedup__linestats_lookup(ls, k) : 0;
}

uint32_t dedup_linestats_count(const dedup_linestats *ls, const char *line, size_t len)
{
    if (!ls || (!line && len))
        return 0;
    uint64_t h = len <= DEDUP_BOILERPLATE_MAX_LINE ? dedup__line_hash(line, len) : 0;
    return h ? dedup__linestats_lookup(ls, h) : 0;
}

uint64_t dedup_linestats_documents(const dedup_linestats *ls)
{
    return ls ? ls->docs : 0;
}

int dedup_linestats_merge(dedup_linestats *dst, const dedup_linestats *src)
{
    if (!dst || !src)
        return DEDUP_E_INVAL;
    if (dst->blocks != src->blocks)
        return DEDUP_E_MISMATCH;
    size_t n = dst->blocks * DEDUP_LS_BLOCK;
    for (size_t i = 0; i < n; i++) {
        uint32_t s = (uint32_t)dst->counts[i] + src->counts[i];
        dst->counts[i] = s > UINT16_MAX ? UINT16_MAX : (uint16_t)s;
    }
    dst->docs += src->docs;
    set_tops(dst);
    return DEDUP_OK;
}

/*
 * Serialized form, format version 1. Every integer is little-endian,
 * whatever the host; offsets in bytes, C = blocks * 32 counters:
 *
 *   offset   size  field
 *   0        4     magic "DDLS" (0x44 0x44 0x4C 0x53)
 *   4        2     format version, 1
 *   6        2     reserved, 0
 *   8        4     counters per line (DEDUP_LS_DEPTH), 4
 *   12       4     counters per block (DEDUP_LS_BLOCK), 32
 *   16       8     blocks, a power of two, at most 2^27
 *   24       8     documents added
 *   32       2C    the counters
 *   32 + 2C  8     XXH3_64bits of bytes [0, 32 + 2C)
 *
 * The layout constants are stored so that a sketch of another shape is
 * refused (DEDUP_E_FORMAT) rather than read with the wrong counters.
 * Validation order as for signatures (signature_io.c): too short for the
 * header -> DEDUP_E_TRUNCATED unless the magic already differs; magic ->
 * DEDUP_E_FORMAT; version -> DEDUP_E_VERSION; reserved, shape, blocks ->
 * DEDUP_E_FORMAT; shorter than announced -> DEDUP_E_TRUNCATED; longer ->
 * DEDUP_E_FORMAT; checksum -> DEDUP_E_CHECKSUM. Any counter values are
 * valid. Nothing is read outside [buf, buf + len).
 */
#define LS_MAGIC "DDLS"
#define LS_VERSION 1
#define LS_HEADER 32
#define LS_TRAILER 8
#define LS_MAX_BLOCKS ((uint64_t)1 << 27) /* 2^32 counters, the create bound */

static inline uint32_t load_le16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

size_t dedup_linestats_serialized_size(const dedup_linestats *ls)
{
    return ls ? LS_HEADER + ls->blocks * DEDUP_LS_BLOCK * 2 + LS_TRAILER : 0;
}

int dedup_linestats_serialize(const dedup_linestats *ls, void *buf, size_t cap,
                              size_t *written)
{
    if (written)
        *written = 0;
    if (!ls || !buf)
        return DEDUP_E_INVAL;
    size_t size = dedup_linestats_serialized_size(ls);
    if (cap < size)
        return DEDUP_E_RANGE;
    unsigned char *b = buf;
    memcpy(b, LS_MAGIC, 4);
    dedup__store_le32(b + 4, LS_VERSION); /* version 1, reserved 0 */
    dedup__store_le32(b + 8, DEDUP_LS_DEPTH);
    dedup__store_le32(b + 12, DEDUP_LS_BLOCK);
    dedup__store_le64(b + 16, (uint64_t)ls->blocks);
    dedup__store_le64(b + 24, ls->docs);
    size_t n = ls->blocks * DEDUP_LS_BLOCK;
    unsigned char *c = b + LS_HEADER;
    for (size_t i = 0; i < n; i++) {
        c[2 * i] = (unsigned char)ls->counts[i];
        c[2 * i + 1] = (unsigned char)(ls->counts[i] >> 8);
    }
    dedup__store_le64(c + 2 * n, XXH3_64bits(b, LS_HEADER + 2 * n));
    if (written)
        *written = size;
    return DEDUP_OK;
}

int dedup_linestats_deserialize(dedup_linestats **out, const void *buf, size_t len)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    if (!buf && len)
        return DEDUP_E_INVAL;
    const unsigned char *b = buf;
    if (len < LS_HEADER)
        return len && memcmp(b, LS_MAGIC, len < 4 ? len : 4) ? DEDUP_E_FORMAT
                                                              : DEDUP_E_TRUNCATED;
    if (memcmp(b, LS_MAGIC, 4))
        return DEDUP_E_FORMAT;
    if (load_le16(b + 4) != LS_VERSION)
        return DEDUP_E_VERSION;
    uint64_t blocks = dedup__load_le64(b + 16);
    if (load_le16(b + 6) != 0 || dedup__load_le32(b + 8) != DEDUP_LS_DEPTH ||
        dedup__load_le32(b + 12) != DEDUP_LS_BLOCK || blocks == 0 || blocks > LS_MAX_BLOCKS ||
        (blocks & (blocks - 1)))
        return DEDUP_E_FORMAT;
    size_t n = (size_t)blocks * DEDUP_LS_BLOCK;
    size_t size = LS_HEADER + 2 * n + LS_TRAILER;
    if (len < size)
        return DEDUP_E_TRUNCATED;
    if (len > size)
        return DEDUP_E_FORMAT;
    if (dedup__load_le64(b + LS_HEADER + 2 * n) != XXH3_64bits(b, LS_HEADER + 2 * n))
        return DEDUP_E_CHECKSUM;
    dedup_linestats *ls;
    int rc = dedup_linestats_create(&ls, n);
    if (rc)
        return rc;
    if (ls->blocks != blocks) { /* cannot happen: n is a power of two */
        dedup_linestats_free(ls);
        return DEDUP_E_FORMAT;
    }
    const unsigned char *c = b + LS_HEADER;
    for (size_t i = 0; i < n; i++)
        ls->counts[i] = (uint16_t)(c[2 * i] | c[2 * i + 1] << 8);
    set_tops(ls);
    ls->docs = dedup__load_le64(b + 24);
    *out = ls;
    return DEDUP_OK;
}
