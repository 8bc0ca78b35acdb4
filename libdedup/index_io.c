/*
 * index_io.c - saving and loading a dedup_index.
 *
 * The file is an image of the index's arrays, so loading is a few bulk
 * reads straight into freshly allocated arrays plus linear checks; nothing
 * is rebuilt record by record. All integers are little-endian.
 *
 * Format version 8, and version 7, which differs only in holding 4-bit
 * compact values (the sigs array below): an index loaded from version 7
 * keeps them, answers as it did and saves as version 7 again; a new index
 * holds 8-bit values. (Version 1 held 8-bit values of another mix,
 * version 2 a quarter as many chain heads, version 3 signatures of words
 * hashed by their spelling rather than their letter sets, version 4
 * signatures with lists of links left in, version 5 with quotations left
 * in, version 6 a fixed block of parameters; their files are refused with
 * DEDUP_E_VERSION.)
 *
 *   offset size  field
 *        0    8  magic "DEDUPIDX"
 *        8    4  format version (8; 7 for 4-bit values)
 *       12    4  header size H in bytes: 104 + 16 P
 *       16    4  P, the number of parameter records
 *       20    4  k, values per signature
 *       24    4  bands          (the LSH shape the tables were built
 *       28    4  rows            with; see index_from_header), not
 *                                counting the DEDUP_P_LEAD_BANDS lead
 *                                bands, whose tables follow the others
 *       32    4  slot_bits: the arrays have C = 1 << slot_bits slots
 *       36    4  live documents
 *       40    4  dead slots (removed, still in band chains)
 *       44    4  free slots
 *       48    4  first live slot in add order (0xFFFFFFFF: none)
 *       52    4  last live slot in add order
 *       56    4  first free slot
 *       60    4  flags: bit 0 = stamps non-decreasing in add order
 *       64    8  the application's tag (dedup_index_set_tag)
 *       72    8  body size in bytes
 *       80    8  XXH3-64 (seed 0) of the body
 *       88    8  size in bytes of the sections after the body
 *       96  16P  parameters, one tagged record per key (params.h): a key
 *                added later needs no new format version
 *     H - 8   8  XXH3-64 (seed 0) of header bytes 0..H-9
 *        H       body: these arrays, back to back:
 *                  ids     C x uint64
 *                  stamps  C x int64
 *                  sizes   C x uint32   set sizes (bits 0-30, saturated)
 *                                       and bit 31 set for shingles of
 *                                       characters; 0 = empty document
 *                  order   C x 2 uint32 prev (or 0xFFFFFFFE free,
 *                                       0xFFFFFFFD dead), next
 *                  links   C x B uint32, B = bands + lead bands
 *                  sigs    C x S bytes  compact signatures. Version 8:
 *                                       S = k, 8 bits per value, value i
 *                                       in byte i. Version 7: S = (k + 1)
 *                                       / 2, 4 bits per value, value 2i
 *                                       in the low nibble of byte i, 2i + 1
 *                                       in the high one; for odd k the
 *                                       last high nibble is 0
 *                  heads   B x (C >> 2) uint32
 *                  idtab   2C x uint32
 *
 * See index.c for what the arrays mean. Then sections, each
 *   u32 kind, u32 flags (bit 0: a reader that does not know the kind may
 *   skip it; the other bits 0), u64 length L, L bytes, u64 XXH3-64 of them:
 *   kind 1, names (index_text.c): u64 the next id for a named document,
 *     u64 count, count x {u64 id, u32 length, the name's bytes}, each id a
 *     stored document's, each name once;
 *   kind 2, line statistics: u32 boilerplate threshold (at least 2), u32 0,
 *     the serialized dedup_linestats;
 *   kind 3, the application's bytes (dedup_index_set_appdata), as given,
 *     flagged skippable (bit 0), so that a library that does not know the
 *     kind loads the index without them (and so does this one when the
 *     kind's own bytes are damaged: the checksum covers the payload).
 * They are written in the order of their kinds; each may appear once. An index
 * with no names and no next id for named documents set (next id 1), no
 * statistics or no application bytes has no such section. The file must
 * be exactly H + body size + sections size bytes long. The same bytes are
 * what dedup_index_serialize writes.
 *
 * Loading checks, in order: the magic (DEDUP_E_FORMAT), the version
 * (DEDUP_E_VERSION), the header's length (DEDUP_E_TRUNCATED) and checksum
 * (DEDUP_E_CHECKSUM), its fields (DEDUP_E_FORMAT), the file's length
 * (DEDUP_E_TRUNCATED if short, DEDUP_E_FORMAT if long), the body checksum,
 * and then the structure: every reference in range, chains strictly
 * decreasing and made of linked (live or removed) slots only, lists
 * acyclic and consistent with the counts, signature
 * padding zero (DEDUP_E_FORMAT). A file that passes can therefore never make a later
 * operation read out of bounds or loop, even if it was crafted.
 *
 * Saving writes to a new file next to the target, flushes it, renames it
 * over the target and flushes the folder, so the target is at every moment
 * either the old file or the complete new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "index.h"

#define MAGIC "DEDUPIDX"
#define FORMAT_VERSION 8u
#define FORMAT_VERSION_4BIT 7u /* still read and written: 4-bit values */
#define HEADER_FIXED 96u /* up to the parameter records */
#define HEADER_MIN (HEADER_FIXED + 8u)
#define HEADER_MAX (HEADER_MIN + DEDUP__PARAM_RECORDS_MAX * DEDUP__PARAM_RECORD)
#define FLAG_MONOTONE 1u

/* Largest single read or write: Linux moves at most about 2 GiB at once. */
#define IO_CHUNK ((size_t)1 << 30)

static _Thread_local long write_fail_countdown = -1;

void dedup__index_io_fail_write_at(long n)
{
    write_fail_countdown = n;
}

static int host_is_le(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Reverse the bytes of n elements of elem bytes, in place. */
static void swap_bytes(void *data, size_t n, size_t elem)
{
    unsigned char *p = data;
    for (size_t i = 0; i < n; i++, p += elem)
        for (size_t a = 0, b = elem - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

/* =============================================================== saving */

/* Where a save goes: a file descriptor, or a caller's buffer (mem, cap;
 * at bytes written so far). */
typedef struct {
    int fd;
    unsigned char *mem;
    size_t cap, at;
    XXH3_state_t hash;
} writer;

/* write() all of buf, retrying on EINTR and short writes. 0 or -1. */
static int write_all(int fd, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    while (n > 0) {
        if (write_fail_countdown >= 0 && write_fail_countdown-- == 0) {
            errno = EIO;
            return -1;
        }
        ssize_t w = write(fd, p, DEDUP_MIN(n, IO_CHUNK));
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Write n bytes to w's file or buffer. 0 or -1. */
static int sink(writer *w, const void *data, size_t n)
{
    if (!w->mem)
        return write_all(w->fd, data, n);
    if (w->cap - w->at < n)
        return -1;
    memcpy(w->mem + w->at, data, n);
    w->at += n;
    return 0;
}

/* Write n elements of elem bytes in little-endian order and hash them. */
static int emit(writer *w, const void *data, size_t n, size_t elem)
{
    if (elem == 1 || host_is_le()) {
        XXH3_64bits_update(&w->hash, data, n * elem);
        return sink(w, data, n * elem);
    }
    unsigned char buf[1 << 14];
    const unsigned char *p = data;
    size_t per = sizeof buf / elem;
    while (n > 0) {
        size_t m = DEDUP_MIN(n, per);
        memcpy(buf, p, m * elem);
        swap_bytes(buf, m, elem);
        XXH3_64bits_update(&w->hash, buf, m * elem);
        if (sink(w, buf, m * elem))
            return -1;
        p += m * elem;
        n -= m;
    }
    return 0;
}

/* Size of the body for the given shape; 0 on overflow. */
static uint64_t body_size(unsigned bits, uint32_t bands, uint32_t k, uint32_t cbits)
{
    uint64_t c = (uint64_t)1 << bits;
    uint64_t per_slot = 8 + 8 + 4 + 8 + (uint64_t)bands * 4 + dedup__compact_stride(k, cbits);
    uint64_t heads = (uint64_t)bands * (c >> DEDUP__INDEX_CHAIN_SHIFT) * 4;
    return c * per_slot + heads + 2 * c * 4;
}

/* Write the header to h (HEADER_MAX bytes of room); returns its size. */
static uint32_t make_header(const dedup_index *idx, uint64_t body_bytes, uint64_t body_hash,
                            uint64_t sections_bytes, unsigned char *h)
{
    memset(h, 0, HEADER_MAX);
    uint32_t np = dedup__params_to_records(&idx->params, h + HEADER_FIXED);
    uint32_t size = HEADER_MIN + np * DEDUP__PARAM_RECORD;
    memcpy(h, MAGIC, 8);
    dedup__store_le32(h + 8, idx->cbits == 4 ? FORMAT_VERSION_4BIT : FORMAT_VERSION);
    dedup__store_le32(h + 12, size);
    dedup__store_le32(h + 16, np);
    dedup__store_le32(h + 20, idx->k);
    dedup__store_le32(h + 24, idx->main_bands);
    dedup__store_le32(h + 28, idx->rows);
    dedup__store_le32(h + 32, idx->slot_bits);
    dedup__store_le32(h + 36, idx->count);
    dedup__store_le32(h + 40, idx->dead);
    dedup__store_le32(h + 44, idx->nfree);
    dedup__store_le32(h + 48, idx->first);
    dedup__store_le32(h + 52, idx->last);
    dedup__store_le32(h + 56, idx->free_head);
    dedup__store_le32(h + 60, idx->monotone ? FLAG_MONOTONE : 0);
    dedup__store_le64(h + 64, idx->tag);
    dedup__store_le64(h + 72, body_bytes);
    dedup__store_le64(h + 80, body_hash);
    dedup__store_le64(h + 88, sections_bytes);
    dedup__store_le64(h + size - 8, XXH3_64bits(h, size - 8));
    return size;
}

/* The folder part of path ("." if none), allocated. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (slash && n == 0)
        n = 1; /* the root */
    char *d = dedup__malloc(n ? n + 1 : 2);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, path, n);
    else
        d[n++] = '.';
    d[n] = '\0';
    return d;
}

/* Open a new temporary file next to path; *tmp receives its name
 * (allocated). The name is unique by process id and a counter; O_EXCL
 * guarantees no other file is reused. -1 with errno set on failure, with
 * *tmp NULL. */
static int open_temp(const char *path, char **tmp)
{
    static _Atomic unsigned long counter;
    size_t n = strlen(path) + 64;
    char *name = dedup__malloc(n);
    *tmp = NULL;
    if (!name) {
        errno = ENOMEM;
        return -1;
    }
    for (int attempt = 0; attempt < 100; attempt++) {
        snprintf(name, n, "%s.%ld.%lu.tmp", path, (long)getpid(), counter++);
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            *tmp = name;
            return fd;
        }
        if (errno != EEXIST)
            break;
    }
    dedup__free(name);
    return -1;
}

/* Write the whole file to fd. 0 or -1. */
/* ============================================================ sections */

enum { SECTION_NAMES = 1, SECTION_LINES = 2, SECTION_APPDATA = 3 };
#define SECTION_SKIP 1u

static int add_name_bytes(uint64_t id, const char *name, size_t len, void *p)
{
    (void)id;
    (void)name;
    *(uint64_t *)p += 12 + len;
    return 0;
}

/* Payload bytes of each section (0: none). The names section also keeps
 * the next id of an index whose named documents are all gone. */
static void section_sizes(const dedup_index *idx, uint64_t *names, uint64_t *lines,
                          uint64_t *app)
{
    *names = *lines = 0;
    if (dedup__names_count(idx->names) || idx->next_named > 1) {
        *names = 16;
        dedup__names_foreach(idx->names, add_name_bytes, names);
    }
    if (idx->min_docs && idx->lines)
        *lines = 8 + dedup_linestats_serialized_size(idx->lines);
    *app = idx->appdata_len;
}

static uint64_t sections_size(const dedup_index *idx)
{
    uint64_t n, l, a;
    section_sizes(idx, &n, &l, &a);
    return (n ? 24 + n : 0) + (l ? 24 + l : 0) + (a ? 24 + a : 0);
}

typedef struct {
    writer *w;
    XXH3_state_t *h;
} name_sink;

static int put_hashed(writer *w, XXH3_state_t *h, const void *p, size_t n)
{
    XXH3_64bits_update(h, p, n);
    return sink(w, p, n);
}

static int emit_name(uint64_t id, const char *name, size_t len, void *p)
{
    name_sink *ns = p;
    unsigned char r[12];
    dedup__store_le64(r, id);
    dedup__store_le32(r + 8, (uint32_t)len);
    return put_hashed(ns->w, ns->h, r, 12) || put_hashed(ns->w, ns->h, name, len);
}

static int section_head(writer *w, uint32_t kind, uint64_t len)
{
    unsigned char h[16];
    dedup__store_le32(h, kind);
    dedup__store_le32(h + 4, kind == SECTION_APPDATA ? SECTION_SKIP : 0);
    dedup__store_le64(h + 8, len);
    return sink(w, h, 16);
}

static int section_tail(writer *w, XXH3_state_t *h)
{
    unsigned char t[8];
    dedup__store_le64(t, XXH3_64bits_digest(h));
    return sink(w, t, 8);
}

static int write_sections(const dedup_index *idx, writer *w)
{
    uint64_t nbytes, lbytes, abytes;
    section_sizes(idx, &nbytes, &lbytes, &abytes);
    XXH3_state_t h;
    XXH3_INITSTATE(&h);
    if (nbytes) {
        unsigned char head[16];
        dedup__store_le64(head, idx->next_named);
        dedup__store_le64(head + 8, dedup__names_count(idx->names));
        name_sink ns = {w, &h};
        XXH3_64bits_reset(&h);
        if (section_head(w, SECTION_NAMES, nbytes) || put_hashed(w, &h, head, 16) ||
            dedup__names_foreach(idx->names, emit_name, &ns) || section_tail(w, &h))
            return -1;
    }
    if (lbytes) {
        size_t n = (size_t)lbytes - 8, got = 0;
        unsigned char *buf = dedup__malloc(n), head[8];
        if (!buf)
            return -1;
        dedup_linestats_serialize(idx->lines, buf, n, &got);
        dedup__store_le32(head, idx->min_docs);
        dedup__store_le32(head + 4, 0);
        XXH3_64bits_reset(&h);
        int bad = section_head(w, SECTION_LINES, lbytes) || put_hashed(w, &h, head, 8) ||
                  put_hashed(w, &h, buf, n) || section_tail(w, &h);
        dedup__free(buf);
        if (bad)
            return -1;
    }
    if (abytes) {
        XXH3_64bits_reset(&h);
        if (section_head(w, SECTION_APPDATA, abytes) ||
            put_hashed(w, &h, idx->appdata, idx->appdata_len) || section_tail(w, &h))
            return -1;
    }
    return 0;
}

/* Write the whole index to w. 0 or -1. */
static int write_index(const dedup_index *idx, writer *w)
{
    size_t c = (size_t)1 << idx->slot_bits;
    XXH3_INITSTATE(&w->hash);
    XXH3_64bits_reset(&w->hash);
    unsigned char header[HEADER_MAX];
    uint64_t sbytes = sections_size(idx);
    /* The header goes first as a placeholder and is rewritten once the body
     * checksum is known, so the body is read from memory only once. */
    uint32_t hsize = make_header(idx, 0, 0, sbytes, header);
    if (sink(w, header, hsize) || emit(w, idx->ids, c, 8) || emit(w, idx->stamps, c, 8) ||
        emit(w, idx->sizes, c, 4) || emit(w, idx->order, 2 * c, 4) ||
        emit(w, idx->links, c * idx->bands, 4) ||
        emit(w, idx->sigs, c * dedup__compact_stride(idx->k, idx->cbits), 1) ||
        emit(w, idx->heads, dedup__index_nheads(idx->slot_bits, idx->bands), 4) ||
        emit(w, idx->idtab, dedup__index_ntab(idx->slot_bits), 4) || write_sections(idx, w))
        return -1;
    make_header(idx, body_size(idx->slot_bits, idx->bands, idx->k, idx->cbits),
                XXH3_64bits_digest(&w->hash), sbytes, header);
    if (w->mem) {
        memcpy(w->mem, header, hsize);
        return 0;
    }
    if (lseek(w->fd, 0, SEEK_SET) != 0 || write_all(w->fd, header, hsize))
        return -1;
    return fsync(w->fd);
}

size_t dedup_index_serialized_size(const dedup_index *idx)
{
    if (!idx)
        return 0;
    unsigned char header[HEADER_MAX];
    uint64_t n = make_header(idx, 0, 0, 0, header) +
                 body_size(idx->slot_bits, idx->bands, idx->k, idx->cbits) + sections_size(idx);
    return n > SIZE_MAX ? 0 : (size_t)n;
}

int dedup_index_serialize(const dedup_index *idx, void *buf, size_t cap, size_t *written)
{
    if (written)
        *written = 0;
    if (!idx || (!buf && cap))
        return DEDUP_E_INVAL;
    size_t need = dedup_index_serialized_size(idx);
    if (cap < need)
        return DEDUP_E_RANGE;
    writer w;
    w.fd = -1;
    w.mem = buf;
    w.cap = cap;
    w.at = 0;
    if (write_index(idx, &w))
        return DEDUP_E_NOMEM; /* only the line statistics' copy can fail */
    if (written)
        *written = w.at;
    return DEDUP_OK;
}

static int save_to(const dedup_index *idx, const char *path);

/* The file a save of path replaces: the target of a symbolic link (so
 * that the link stays a link), else path itself. Allocated, or NULL. */
static char *save_target(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        char *real = realpath(path, NULL);
        if (real) {
            size_t n = strlen(real) + 1;
            char *copy = dedup__malloc(n);
            if (copy)
                memcpy(copy, real, n);
            free(real);
            return copy;
        }
    }
    size_t n = strlen(path) + 1;
    char *copy = dedup__malloc(n);
    if (copy)
        memcpy(copy, path, n);
    return copy;
}

int dedup_index_save(const dedup_index *idx, const char *given)
{
    if (!idx || !given || !*given)
        return DEDUP_E_INVAL;
    char *path = save_target(given);
    if (!path)
        return DEDUP_E_NOMEM;
    int rc = save_to(idx, path);
    dedup__free(path);
    return rc;
}

static int save_to(const dedup_index *idx, const char *path)
{
    char *dir = dir_of(path);
    if (!dir)
        return DEDUP_E_NOMEM;
    char *tmp;
    int fd = open_temp(path, &tmp);
    if (fd < 0) {
        dedup__free(dir);
        return errno == ENOMEM ? DEDUP_E_NOMEM : DEDUP_E_IO;
    }
    /* A file replaced keeps its permissions; a new one gets 0666 less the
     * umask, which open gave it. */
    struct stat old;
    if (stat(path, &old) == 0)
        (void)fchmod(fd, old.st_mode & 07777);
    writer w;
    w.fd = fd;
    w.mem = NULL;
    w.cap = w.at = 0;
    int failed = write_index(idx, &w);
    if (close(fd) != 0)
        failed = 1;
    if (!failed && rename(tmp, path) != 0)
        failed = 1;
    if (failed) {
        unlink(tmp);
        dedup__free(tmp);
        dedup__free(dir);
        return DEDUP_E_IO;
    }
    dedup__free(tmp);
    /* Make the rename itself durable. Some file systems cannot sync a
     * folder (EINVAL); the data is then as safe as they allow. */
    int rc = DEDUP_OK;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || (fsync(dfd) != 0 && errno != EINVAL))
        rc = DEDUP_E_IO;
    if (dfd >= 0)
        close(dfd);
    dedup__free(dir);
    return rc;
}

/* ============================================================== loading */

/* read() exactly n bytes. 0, or -1 (errno set; EIO-like for early EOF,
 * which the size check makes unexpected). */
static int read_all(int fd, void *buf, size_t n)
{
    if (n == 0)
        return 0;
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, DEDUP_MIN(n, IO_CHUNK));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Where a load comes from: a file descriptor, or a caller's buffer (mem,
 * len; at bytes read so far). */
typedef struct {
    int fd;
    const unsigned char *mem;
    size_t len, at;
} reader;

/* Read exactly n bytes. 0, or -1 (errno set for a file). */
static int source(reader *r, void *dst, size_t n)
{
    if (!r->mem)
        return read_all(r->fd, dst, n);
    if (r->len - r->at < n)
        return -1;
    memcpy(dst, r->mem + r->at, n);
    r->at += n;
    return 0;
}

/* Read n elements of elem bytes into dst, hash them as stored, and bring
 * them to host order. DEDUP_OK or DEDUP_E_IO. */
static int take(reader *r, XXH3_state_t *hash, void *dst, size_t n, size_t elem)
{
    if (source(r, dst, n * elem))
        return DEDUP_E_IO;
    XXH3_64bits_update(hash, dst, n * elem);
    if (elem > 1 && !host_is_le())
        swap_bytes(dst, n, elem);
    return DEDUP_OK;
}

/*
 * Parameters from the header into p, and the LSH shape into *bands and
 * *rows. DEDUP_E_VERSION for a parameter this library does not know and
 * may not ignore; DEDUP_E_FORMAT for a value out of bounds or a shape that
 * does not fit k or contradicts explicit BANDS / ROWS parameters.
 *
 * Derived bands and rows (BANDS and ROWS 0) are taken from the file rather
 * than derived again: the tables were built with them, a later version of
 * the library might derive others, and deriving costs milliseconds.
 */
static int header_params(const unsigned char *h, dedup_params *p, unsigned *bands,
                         unsigned *rows)
{
    int rc = dedup__params_from_records(h + HEADER_FIXED, dedup__load_le32(h + 16), p);
    if (rc)
        return rc;
    uint32_t k = (uint32_t)p->ival[DEDUP_P_NUM_HASHES];
    uint32_t b = dedup__load_le32(h + 24), r = dedup__load_le32(h + 28);
    uint32_t pb = (uint32_t)p->ival[DEDUP_P_BANDS], pr = (uint32_t)p->ival[DEDUP_P_ROWS];
    if (dedup__load_le32(h + 20) != k || b < 1 || r < 1 || r > 64 || b > k / r)
        return DEDUP_E_FORMAT;
    /* With one or both given, the other follows (see dedup__params_lsh). */
    if ((pb && b != pb) || (pr && r != pr) || (pb && !pr && r != DEDUP_MAX(1u, k / pb)) ||
        (pr && !pb && b != DEDUP_MAX(1u, k / pr)))
        return DEDUP_E_FORMAT;
    *bands = b;
    *rows = r;
    return DEDUP_OK;
}

static int slot_ref_ok(uint32_t v, uint32_t usable)
{
    return v == DEDUP__NIL || v < usable;
}

/*
 * Check that the arrays of a freshly read index are consistent, so that no
 * operation can read out of bounds or loop, and rebuild the dead bitmap.
 * Linear passes, except the two list walks. DEDUP_OK or DEDUP_E_FORMAT.
 */
static int check_structure(dedup_index *idx)
{
    size_t c = (size_t)1 << idx->slot_bits;
    uint32_t usable = (uint32_t)(c - 1), smask = usable, nb = idx->bands;
    uint32_t live = 0, dead = 0, nfree = 0;
    size_t stride = dedup__compact_stride(idx->k, idx->cbits);
    int padded = idx->cbits == 4 && (idx->k & 1);
    memset(idx->deadmap, 0, c / 8);
    for (uint32_t e = 0; e < usable; e++) {
        uint32_t p = idx->order[2 * (size_t)e], n = idx->order[2 * (size_t)e + 1];
        if (p == DEDUP__SLOT_FREE) {
            nfree++;
            if (!slot_ref_ok(n, usable))
                return DEDUP_E_FORMAT;
        } else if (p == DEDUP__SLOT_DEAD) {
            dead++;
            if (idx->sizes[e] == 0) /* empty documents are never linked */
                return DEDUP_E_FORMAT;
            idx->deadmap[e >> 6] |= (uint64_t)1 << (e & 63);
        } else {
            live++;
            if (!slot_ref_ok(p, usable) || !slot_ref_ok(n, usable))
                return DEDUP_E_FORMAT;
        }
        /* The padding nibble of 4-bit values and an odd k is 0, as saving
         * writes it: a loaded index then saves to the same bytes. */
        if (padded && idx->sigs[(size_t)e * stride + stride - 1] >> 4)
            return DEDUP_E_FORMAT;
        /* A link may only point to a smaller slot: chains cannot loop.
         * And chains hold only linked slots: a free slot in a chain would
         * link to itself once reused. (A free slot's own links are
         * rewritten when it is reused, so they are not checked.) */
        if (p != DEDUP__SLOT_FREE) {
            const uint32_t *lk = idx->links + (size_t)e * nb;
            for (uint32_t b = 0; b < nb; b++) {
                uint32_t next = lk[b] & smask;
                if (next != smask &&
                    (next >= e || idx->order[2 * (size_t)next] == DEDUP__SLOT_FREE))
                    return DEDUP_E_FORMAT;
            }
        }
    }
    if (live != idx->count || dead != idx->dead || nfree != idx->nfree)
        return DEDUP_E_FORMAT;
    if (!slot_ref_ok(idx->first, usable) || !slot_ref_ok(idx->last, usable) ||
        !slot_ref_ok(idx->free_head, usable))
        return DEDUP_E_FORMAT;

    /* The add-order list: each node names its predecessor, so the walk
     * cannot revisit a node; bounded by the live count. */
    uint32_t prev = DEDUP__NIL, steps = 0;
    int mono = 1;
    for (uint32_t e = idx->first; e != DEDUP__NIL; e = idx->order[2 * (size_t)e + 1]) {
        uint32_t p = idx->order[2 * (size_t)e];
        if (steps == idx->count || p != prev)
            return DEDUP_E_FORMAT; /* also rejects markers */
        if (prev != DEDUP__NIL && idx->stamps[e] < idx->stamps[prev])
            mono = 0;
        prev = e;
        steps++;
    }
    /* The flag may say "not monotone" of a list that is (it is not reset
     * when the document that broke the order goes), never the reverse,
     * which would make expiry skip documents. */
    if (steps != idx->count || prev != idx->last || (idx->monotone && !mono))
        return DEDUP_E_FORMAT;

    steps = 0;
    for (uint32_t e = idx->free_head; e != DEDUP__NIL; e = idx->order[2 * (size_t)e + 1]) {
        if (steps == idx->nfree || idx->order[2 * (size_t)e] != DEDUP__SLOT_FREE)
            return DEDUP_E_FORMAT;
        steps++;
    }
    if (steps != idx->nfree)
        return DEDUP_E_FORMAT;

    size_t nheads = dedup__index_nheads(idx->slot_bits, nb);
    for (size_t i = 0; i < nheads; i++) {
        uint32_t hd = idx->heads[i];
        if (!slot_ref_ok(hd, usable) ||
            (hd != DEDUP__NIL && idx->order[2 * (size_t)hd] == DEDUP__SLOT_FREE))
            return DEDUP_E_FORMAT;
    }

    size_t ntab = dedup__index_ntab(idx->slot_bits);
    uint32_t used = 0;
    for (size_t i = 0; i < ntab; i++) {
        uint32_t e = idx->idtab[i];
        if (e == DEDUP__NIL)
            continue;
        uint32_t p = e < usable ? idx->order[2 * (size_t)e] : DEDUP__SLOT_FREE;
        if (p == DEDUP__SLOT_FREE || p == DEDUP__SLOT_DEAD)
            return DEDUP_E_FORMAT;
        used++;
    }
    /* Fewer entries than slots leaves empty entries, so probes end. */
    return used == idx->count ? DEDUP_OK : DEDUP_E_FORMAT;
}

/* Validate the header h (hsize bytes, checksum already checked) against
 * the file's size, then make an index with its shape and counters and
 * allocated, unfilled arrays. Nothing is allocated for a file too short
 * for what its header announces. */
static int index_from_header(const unsigned char *h, uint32_t hsize, uint64_t size,
                             dedup_index **out)
/* (size: the whole file's; the sections' size is checked here too) */
{
    *out = NULL;
    if ((dedup__load_le32(h + 60) & ~FLAG_MONOTONE) != 0)
        return DEDUP_E_FORMAT;
    dedup_params p;
    unsigned bands, rows;
    int rc = header_params(h, &p, &bands, &rows);
    if (rc)
        return rc;
    uint32_t bits = dedup__load_le32(h + 32);
    if (bits < DEDUP__INDEX_MIN_BITS || bits > DEDUP__INDEX_MAX_BITS)
        return DEDUP_E_FORMAT;
    uint32_t k = dedup__load_le32(h + 20);
    /* The header gives the main bands; the lead bands follow them. */
    unsigned all = bands + dedup__params_nlead(&p) / DEDUP__LEAD_ROWS;
    uint32_t cbits = dedup__load_le32(h + 8) == FORMAT_VERSION_4BIT ? 4 : 8;
    if (dedup__load_le64(h + 72) != body_size(bits, all, k, cbits))
        return DEDUP_E_FORMAT;
    uint64_t c = (uint64_t)1 << bits;
    uint64_t count = dedup__load_le32(h + 36), dead = dedup__load_le32(h + 40),
             nfree = dedup__load_le32(h + 44);
    if (count + dead + nfree != c - 1)
        return DEDUP_E_FORMAT;
    uint64_t sections = dedup__load_le64(h + 88);
    if (sections > ((uint64_t)1 << 62))
        return DEDUP_E_FORMAT;
    uint64_t want = hsize + dedup__load_le64(h + 72) + sections;
    if (size != want)
        return size < want ? DEDUP_E_TRUNCATED : DEDUP_E_FORMAT;

    dedup__slab_layout L = dedup__index_layout(bits, all, k, cbits);
    if (!L.total)
        return DEDUP_E_TOOBIG;
    dedup_index *idx;
    rc = dedup__index_new(&idx, &p, bands, rows);
    if (rc)
        return rc;
    idx->slot_bits = bits;
    idx->cbits = cbits;
    idx->count = (uint32_t)count;
    idx->dead = (uint32_t)dead;
    idx->nfree = (uint32_t)nfree;
    idx->first = dedup__load_le32(h + 48);
    idx->last = dedup__load_le32(h + 52);
    idx->free_head = dedup__load_le32(h + 56);
    idx->monotone = (dedup__load_le32(h + 60) & FLAG_MONOTONE) != 0;
    idx->tag = dedup__load_le64(h + 64);
    idx->slab = dedup__malloc(L.total);
    idx->slab_bytes = L.total;
    size_t nheads = dedup__index_nheads(bits, all), ntab = dedup__index_ntab(bits);
    idx->heads = dedup__malloc(nheads * sizeof(uint32_t));
    idx->idtab = dedup__malloc(ntab * sizeof(uint32_t));
    if (!idx->slab || !idx->heads || !idx->idtab) {
        dedup_index_free(idx);
        return DEDUP_E_NOMEM;
    }
    dedup__index_bind(idx);
    *out = idx;
    return DEDUP_OK;
}

/* Read and check the header of a file of size bytes from fd into h
 * (HEADER_MAX bytes of room); *hsize receives its size. The magic
 * (DEDUP_E_FORMAT), the version (DEDUP_E_VERSION), the length
 * (DEDUP_E_TRUNCATED), the header size (DEDUP_E_FORMAT) and checksum
 * (DEDUP_E_CHECKSUM); DEDUP_E_IO if reading fails. */
static int read_header(reader *r, uint64_t size, unsigned char *h, uint32_t *hsize)
{
    size_t have = (size_t)DEDUP_MIN(size, (uint64_t)20);
    if (source(r, h, have))
        return DEDUP_E_IO;
    if (memcmp(h, MAGIC, DEDUP_MIN(have, (size_t)8)) != 0)
        return DEDUP_E_FORMAT;
    if (have < 12)
        return DEDUP_E_TRUNCATED;
    uint32_t version = dedup__load_le32(h + 8);
    if (version != FORMAT_VERSION && version != FORMAT_VERSION_4BIT)
        return DEDUP_E_VERSION;
    if (have < 20)
        return DEDUP_E_TRUNCATED;
    uint32_t hs = dedup__load_le32(h + 12), np = dedup__load_le32(h + 16);
    if (np > DEDUP__PARAM_RECORDS_MAX || hs != HEADER_MIN + np * DEDUP__PARAM_RECORD)
        return DEDUP_E_FORMAT;
    if (size < hs)
        return DEDUP_E_TRUNCATED;
    if (source(r, h + 20, hs - 20))
        return DEDUP_E_IO;
    if (XXH3_64bits(h, hs - 8) != dedup__load_le64(h + hs - 8))
        return DEDUP_E_CHECKSUM;
    *hsize = hs;
    return DEDUP_OK;
}

/* Read the sections (after the body) into idx. DEDUP_OK, or
 * DEDUP_E_CHECKSUM, DEDUP_E_FORMAT, DEDUP_E_VERSION (a section that may not
 * be skipped), DEDUP_E_NOMEM, DEDUP_E_IO. */
static int read_sections(reader *r, uint64_t total, dedup_index *idx)
{
    int rc = DEDUP_OK;
    unsigned char *buf = NULL;
    int seen = 0;
    while (rc == DEDUP_OK && total > 0) {
        unsigned char head[16], tail[8];
        if (total < 24 || source(r, head, 16))
            return total < 24 ? DEDUP_E_FORMAT : DEDUP_E_IO;
        uint32_t kind = dedup__load_le32(head), flags = dedup__load_le32(head + 4);
        uint64_t len = dedup__load_le64(head + 8);
        if ((flags & ~SECTION_SKIP) || len > total - 24 || len > SIZE_MAX)
            return DEDUP_E_FORMAT;
        total -= 24 + len;
        buf = dedup__malloc(len ? (size_t)len : 1);
        if (!buf)
            return DEDUP_E_NOMEM;
        if (source(r, buf, (size_t)len) || source(r, tail, 8)) {
            rc = DEDUP_E_IO;
        } else if (XXH3_64bits(buf, (size_t)len) != dedup__load_le64(tail)) {
            rc = DEDUP_E_CHECKSUM;
        } else if (kind >= SECTION_NAMES && kind <= SECTION_APPDATA) {
            if (seen & (1 << kind))
                rc = DEDUP_E_FORMAT;
            seen |= 1 << kind;
            if (!rc && kind == SECTION_APPDATA) {
                idx->appdata = len ? buf : NULL; /* taken over */
                idx->appdata_len = (size_t)len;
                if (len)
                    buf = NULL;
            } else if (!rc) {
                rc = kind == SECTION_NAMES ? dedup__index_read_names(idx, buf, (size_t)len)
                                           : dedup__index_read_lines(idx, buf, (size_t)len);
            }
        } else if (!(flags & SECTION_SKIP)) {
            rc = DEDUP_E_VERSION;
        }
        dedup__free(buf);
        buf = NULL;
    }
    return rc;
}

/* Load from r, of size bytes. */
static int load_from(reader *r, uint64_t size, dedup_index **out)
{
    unsigned char h[HEADER_MAX];
    uint32_t hsize = 0;
    dedup_index *idx = NULL;
    int rc = read_header(r, size, h, &hsize);
    if (rc)
        return rc;
    rc = index_from_header(h, hsize, size, &idx);
    if (rc)
        return rc;
    size_t c = (size_t)1 << idx->slot_bits;
    XXH3_state_t hash;
    XXH3_INITSTATE(&hash);
    XXH3_64bits_reset(&hash);
    if ((rc = take(r, &hash, idx->ids, c, 8)) || (rc = take(r, &hash, idx->stamps, c, 8)) ||
        (rc = take(r, &hash, idx->sizes, c, 4)) ||
        (rc = take(r, &hash, idx->order, 2 * c, 4)) ||
        (rc = take(r, &hash, idx->links, c * idx->bands, 4)) ||
        (rc = take(r, &hash, idx->sigs, c * dedup__compact_stride(idx->k, idx->cbits), 1)) ||
        (rc = take(r, &hash, idx->heads, dedup__index_nheads(idx->slot_bits, idx->bands), 4)) ||
        (rc = take(r, &hash, idx->idtab, dedup__index_ntab(idx->slot_bits), 4)))
        goto done;
    if (XXH3_64bits_digest(&hash) != dedup__load_le64(h + 80)) {
        rc = DEDUP_E_CHECKSUM;
        goto done;
    }
    if ((rc = check_structure(idx)))
        goto done;
    rc = read_sections(r, dedup__load_le64(h + 88), idx);
done:
    if (rc) {
        dedup_index_free(idx);
        return rc;
    }
    /* Marked only now, after reading: huge pages faulted in while reading
     * made loading twice as slow; pages already present are merged into
     * huge ones by the system in the background. */
    dedup__advise_random(idx->slab, idx->slab_bytes);
    dedup__advise_random(idx->heads, dedup__index_nheads(idx->slot_bits, idx->bands) * 4);
    dedup__advise_random(idx->idtab, dedup__index_ntab(idx->slot_bits) * 4);
    *out = idx;
    return DEDUP_OK;
}

int dedup_index_load(dedup_index **out, const char *path)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    if (!path)
        return DEDUP_E_INVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return DEDUP_E_IO;
    struct stat st;
    int rc;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = DEDUP_E_IO;
    } else {
        reader r = {fd, NULL, 0, 0};
        rc = load_from(&r, (uint64_t)st.st_size, out);
    }
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int dedup_index_deserialize(dedup_index **out, const void *buf, size_t len)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    if (!buf && len)
        return DEDUP_E_INVAL;
    reader r = {-1, buf, len, 0};
    return load_from(&r, len, out);
}
