/*
 * store.c - index files of the dedup tool: the library's index plus the
 * side file of document names.
 *
 * The library identifies documents by 64-bit numbers; the tool numbers them
 * 1, 2, 3... in the order they are added (next_id survives restarts through
 * the side file) and keeps each number's name (the document's id as given)
 * in a hash table whose strings live in one arena.
 *
 * Side file layout (little-endian):
 *   "DEDUPIDS"  magic, 8 bytes
 *   u32 2       format version
 *   u32         flags: bit 0 = the index's stamps are Unix times, not
 *               numbers in order of arrival; bit 1 = line statistics
 *               (path.lines) were saved with the index; the other bits 0
 *   u64         next_id
 *   u64         count
 *   u64         tag_old: the tag (dedup_index_tag) of the index file the
 *               save replaced
 *   u64         tag_new: the tag of the index file it saved
 *   count x {u64 number, u8 kind, u32 length, length bytes}
 *   u32         CRC-32 (zlib) of everything before it
 *
 * Each save gives the index a fresh random tag. Crash safety: the two
 * files cannot be renamed at once, so the side file is saved first and
 * holds the names of every document in either the index file still on
 * disk (remembered in saved) or the one about to replace it, and both
 * tags. Whichever index file a kill leaves, its names are there; the
 * extra names are dropped at the next save. An index file whose tag is
 * neither is not the one the side file was saved with: refused.
 *
 * The changes made after a save go to the journal (journal.c).
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/random.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static const char magic[8] = {'D', 'E', 'D', 'U', 'P', 'I', 'D', 'S'};

#define IDS_HEADER 48

uint32_t cli_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t cli_le64(const unsigned char *p)
{
    return (uint64_t)cli_le32(p) | (uint64_t)cli_le32(p + 4) << 32;
}

void cli_put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

void cli_put64(unsigned char *p, uint64_t v)
{
    cli_put32(p, (uint32_t)v);
    cli_put32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t slot_of(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return key & (cap - 1);
}

static int table_put(cli_store *s, uint64_t key, uint64_t val)
{
    if ((s->count + 1) * 4 > s->cap * 3) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *k = calloc(cap, sizeof *k), *v = malloc(cap * sizeof *v);
        if (!k || !v) {
            free(k);
            free(v);
            return CLI_ENOMEM;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->keys[i])
                continue;
            size_t j = slot_of(s->keys[i], cap);
            while (k[j])
                j = (j + 1) & (cap - 1);
            k[j] = s->keys[i];
            v[j] = s->vals[i];
        }
        free(s->keys);
        free(s->vals);
        s->keys = k;
        s->vals = v;
        s->cap = cap;
    }
    size_t j = slot_of(key, s->cap);
    while (s->keys[j] && s->keys[j] != key)
        j = (j + 1) & (s->cap - 1);
    if (!s->keys[j])
        s->count++;
    s->keys[j] = key;
    s->vals[j] = val;
    return CLI_OK;
}

/* The reverse table packs a number and 20 bits of its name's hash (a tag
 * that spares most name comparisons) in one word: 8 bytes an entry. */
#define RTAG_BITS 20
#define RTAG_MASK ((1u << RTAG_BITS) - 1)

static uint64_t rentry(uint64_t id, uint64_t h)
{
    return id << RTAG_BITS | (h >> (64 - RTAG_BITS));
}

/* Put entry e for hash h into table t of cap entries (room known). */
static void rinsert(uint64_t *t, size_t cap, uint64_t h, uint64_t e)
{
    size_t j = slot_of(h, cap);
    while (t[j])
        j = (j + 1) & (cap - 1);
    t[j] = e;
}

/* Record number id under the hash h of its name. */
static int rtable_put(cli_store *s, uint64_t h, uint64_t id)
{
    if (id >> (64 - RTAG_BITS))
        return CLI_ENOMEM; /* numbers stay far below 2^44 */
    if ((s->rcount + 1) * 4 > s->rcap * 3) {
        size_t cap = s->rcap ? s->rcap * 2 : 1024, kept = 0;
        uint64_t *t = calloc(cap, sizeof *t);
        if (!t)
            return CLI_ENOMEM;
        for (size_t i = 0; i < s->rcap; i++) {
            /* entries of names no longer recorded are dropped here */
            int kind;
            uint64_t n = s->rent[i] >> RTAG_BITS;
            const char *name = s->rent[i] ? cli_store_name(s, n, &kind) : NULL;
            if (!name)
                continue;
            uint64_t nh = cli_name_hash(name, strlen(name), kind);
            rinsert(t, cap, nh, rentry(n, nh));
            kept++;
        }
        free(s->rent);
        s->rent = t;
        s->rcap = cap;
        s->rcount = kept;
    }
    rinsert(s->rent, s->rcap, h, rentry(id, h));
    s->rcount++;
    return CLI_OK;
}

int cli_store_set_name(cli_store *s, uint64_t id, const char *name, size_t len, int kind)
{
    uint64_t off = s->arena.len;
    if (!id || cli_buf_add(&s->arena, name, len) || cli_buf_addc(&s->arena, 0))
        return CLI_ENOMEM;
    int rc = table_put(s, id, off << 1 | (uint64_t)(kind & 1));
    return rc ? rc : rtable_put(s, cli_name_hash(name, len, kind & 1), id);
}

uint64_t cli_store_find_name(const cli_store *s, const char *name, size_t len, int kind)
{
    if (!s->rcap)
        return 0;
    uint64_t h = cli_name_hash(name, len, kind & 1), tag = h >> (64 - RTAG_BITS);
    for (size_t j = slot_of(h, s->rcap); s->rent[j]; j = (j + 1) & (s->rcap - 1)) {
        if ((s->rent[j] & RTAG_MASK) != tag)
            continue;
        uint64_t id = s->rent[j] >> RTAG_BITS;
        int k;
        const char *n = cli_store_name(s, id, &k);
        if (n && k == (kind & 1) && strlen(n) == len && !memcmp(n, name, len) &&
            dedup_index_contains(s->idx, id))
            return id;
    }
    return 0;
}

const char *cli_store_name(const cli_store *s, uint64_t id, int *kind)
{
    if (!s->cap || !id)
        return NULL;
    size_t j = slot_of(id, s->cap);
    while (s->keys[j]) {
        if (s->keys[j] == id) {
            if (kind)
                *kind = (int)(s->vals[j] & 1);
            return s->arena.data + (s->vals[j] >> 1);
        }
        j = (j + 1) & (s->cap - 1);
    }
    return NULL;
}

int cli_store_name_json(cli_buf *b, const cli_store *s, uint64_t id)
{
    int kind;
    const char *name = cli_store_name(s, id, &kind);
    if (!name)
        return cli_buf_printf(b, "\"#%llu\"", (unsigned long long)id);
    if (kind == CLI_ID_NUMBER)
        return cli_buf_add(b, name, strlen(name));
    return cli_buf_json_string(b, name, strlen(name));
}

typedef struct scan {
    uint64_t max_id;
    int64_t max_stamp;
    int any;
    uint64_t *ids;
    size_t n, cap;
} scan;

static int visit(uint64_t id, int64_t stamp, void *payload)
{
    scan *sc = payload;
    if (id > sc->max_id)
        sc->max_id = id;
    if (!sc->any || stamp > sc->max_stamp)
        sc->max_stamp = stamp;
    sc->any = 1;
    if (sc->n == sc->cap) {
        size_t cap = sc->cap ? sc->cap * 2 : 1024;
        uint64_t *p = realloc(sc->ids, cap * sizeof *p);
        if (!p)
            return 1;
        sc->ids = p;
        sc->cap = cap;
    }
    sc->ids[sc->n++] = id;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Scan the index: its numbers (sorted, into s->saved), the largest number
 * and stamp. */
static int scan_index(cli_store *s)
{
    scan sc = {0};
    if (dedup_index_foreach(s->idx, visit, &sc)) {
        free(sc.ids);
        return CLI_ENOMEM;
    }
    if (sc.n)
        qsort(sc.ids, sc.n, sizeof *sc.ids, cmp_u64);
    free(s->saved);
    s->saved = sc.ids;
    s->nsaved = sc.n;
    if (sc.max_id + 1 > s->next_id)
        s->next_id = sc.max_id + 1;
    /* One past the largest stamp, saturated: a library user may have
     * stamped a document INT64_MAX. */
    int64_t past = sc.max_stamp == INT64_MAX ? INT64_MAX : sc.max_stamp + 1;
    if (sc.any && past > s->next_stamp)
        s->next_stamp = past;
    return CLI_OK;
}

int cli_store_create(cli_store *s, const dedup_params *p)
{
    memset(s, 0, sizeof *s);
    s->next_id = 1;
    s->jfd = -1;
    return dedup_index_create(&s->idx, p);
}

char *cli_side_path(const char *path, const char *suffix)
{
    size_t n = strlen(path), m = strlen(suffix);
    char *p = malloc(n + m + 1);
    if (p) {
        memcpy(p, path, n);
        memcpy(p + n, suffix, m + 1);
    }
    return p;
}

static char *ids_path(const char *path)
{
    return cli_side_path(path, ".ids");
}

int cli_read_whole(const char *path, cli_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return CLI_EIO;
    char tmp[65536];
    size_t n;
    int rc = CLI_OK;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        if (cli_buf_add(b, tmp, n)) {
            rc = CLI_ENOMEM;
            break;
        }
    if (rc == CLI_OK && ferror(f)) {
        errno = EIO;
        rc = CLI_EIO;
    }
    fclose(f);
    return rc;
}

/* A temporary file in the same folder, written, synced and renamed over
 * path. */
int cli_write_atomic(const char *path, const void *data, size_t len, char *err,
                     size_t errcap)
{
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 12);
    if (!tmp)
        return CLI_ENOMEM;
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp.XXXXXX", 12); /* is_temp_of knows this form */
    int rc = CLI_OK;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        rc = CLI_EIO;
    } else {
        /* mkstemp makes 0600: take the replaced file's permissions, or
         * 0666 less the umask for a new one, as the index file does. */
        struct stat old;
        mode_t mode;
        if (stat(path, &old) == 0) {
            mode = old.st_mode & 07777;
        } else {
            mode_t mask = umask(0);
            umask(mask);
            mode = 0666 & ~mask;
        }
        (void)fchmod(fd, mode);
        const char *p = data;
        size_t off = 0;
        errno = 0;
        while (off < len) {
            ssize_t w = write(fd, p + off, len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        /* rename only a complete, synced file over the old one */
        if (off != len || fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
            snprintf(err, errcap, "%s: %s", path, strerror(errno ? errno : EIO));
            if (off != len)
                close(fd);
            unlink(tmp);
            rc = CLI_EIO;
        }
    }
    free(tmp);
    return rc;
}

/* Read the side file; CLI_OK (also when it does not exist: *missing is
 * then set), CLI_EDATA, CLI_EIO or CLI_ENOMEM. */
static int load_names(cli_store *s, const char *path, int *missing, char *err, size_t errcap)
{
    cli_buf data = {0};
    *missing = 0;
    int rc = cli_read_whole(path, &data);
    if (rc == CLI_EIO && errno == ENOENT) {
        cli_buf_free(&data);
        *missing = 1;
        return CLI_OK;
    }
    if (rc == CLI_EIO)
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
    const unsigned char *p = (const unsigned char *)data.data;
    size_t len = data.len, pos = IDS_HEADER;
    if (rc == CLI_OK) {
        if (len < IDS_HEADER + 4 || memcmp(p, magic, 8) || cli_le32(p + 8) != 2 ||
            cli_le32(p + 12) > 3 ||
            cli_le32(p + len - 4) != (uint32_t)crc32(0, p, (uInt)(len - 4))) {
            snprintf(err, errcap, "%s: not a valid id file (damaged or another format)", path);
            rc = CLI_EDATA;
        }
    }
    if (rc == CLI_OK) {
        uint64_t next = cli_le64(p + 16), count = cli_le64(p + 24);
        s->tag_old = cli_le64(p + 32);
        s->tag_new = cli_le64(p + 40);
        s->time_stamps = (int)(cli_le32(p + 12) & 1);
        s->has_lines = (int)(cli_le32(p + 12) >> 1 & 1);
        if (next > s->next_id)
            s->next_id = next;
        for (uint64_t i = 0; i < count && rc == CLI_OK; i++) {
            if (len - 4 - pos < 13) {
                rc = CLI_EDATA;
                break;
            }
            uint64_t id = cli_le64(p + pos);
            int kind = p[pos + 8];
            uint32_t nl = cli_le32(p + pos + 9);
            pos += 13;
            if (len - 4 - pos < nl) {
                rc = CLI_EDATA;
                break;
            }
            rc = cli_store_set_name(s, id, (const char *)p + pos, nl, kind);
            pos += nl;
        }
        if (rc == CLI_EDATA)
            snprintf(err, errcap, "%s: truncated id file", path);
    }
    cli_buf_free(&data);
    return rc;
}

int cli_store_load(cli_store *s, const char *path, char *err, size_t errcap)
{
    memset(s, 0, sizeof *s);
    s->next_id = 1;
    s->jfd = -1;
    errno = 0;
    int rc = dedup_index_load(&s->idx, path);
    if (rc) {
        /* An I/O failure keeps its cause (no such file, permission...). */
        snprintf(err, errcap, "%s: %s", path,
                 rc == DEDUP_E_IO && errno ? strerror(errno) : dedup_strerror(rc));
        return rc;
    }
    char *ip = ids_path(path);
    if (!ip)
        return CLI_ENOMEM;
    int missing;
    rc = load_names(s, ip, &missing, err, errcap);
    if (rc == CLI_OK && scan_index(s))
        rc = CLI_ENOMEM;
    /* The side file is saved before the index and names every document of
     * both the old and the new index file, so each stored number must have
     * a name: a missing or foreign side file would give wrong names. */
    if (rc == CLI_OK && missing && s->nsaved) {
        snprintf(err, errcap,
                 "%s is missing: the names of the %zu documents of %s are lost "
                 "(restore it, or build the index again)",
                 ip, s->nsaved, path);
        rc = CLI_EDATA;
    }
    uint64_t tag = dedup_index_tag(s->idx);
    if (rc == CLI_OK && !missing && tag != s->tag_new && tag != s->tag_old) {
        snprintf(err, errcap,
                 "%s does not belong to %s: it was saved with another index (or another "
                 "save of it)",
                 ip, path);
        rc = CLI_EDATA;
    }
    for (size_t i = 0; rc == CLI_OK && !missing && i < s->nsaved; i++)
        if (!cli_store_name(s, s->saved[i], NULL)) {
            snprintf(err, errcap,
                     "%s does not belong to %s: document number %llu has no name there",
                     ip, path, (unsigned long long)s->saved[i]);
            rc = CLI_EDATA;
        }
    free(ip);
    if (rc == CLI_OK)
        rc = cli_journal_replay(s, path, err, errcap);
    if (rc == CLI_OK && s->jstate == CLI_JOURNAL_REPLAYED && scan_index(s))
        rc = CLI_ENOMEM;
    return rc;
}

static int in_saved(const cli_store *s, uint64_t id)
{
    return s->nsaved && bsearch(&id, s->saved, s->nsaved, sizeof id, cmp_u64) != NULL;
}

/* Write the side file atomically. */
static int save_names(cli_store *s, const char *path, uint64_t tag_old, uint64_t tag_new,
                      char *err, size_t errcap)
{
    cli_buf b = {0};
    unsigned char h[IDS_HEADER];
    memcpy(h, magic, 8);
    cli_put32(h + 8, 2);
    cli_put32(h + 12, (s->time_stamps ? 1u : 0u) | (s->has_lines ? 2u : 0u));
    cli_put64(h + 16, s->next_id);
    cli_put64(h + 24, 0); /* count, patched below */
    cli_put64(h + 32, tag_old);
    cli_put64(h + 40, tag_new);
    if (cli_buf_add(&b, h, IDS_HEADER))
        return CLI_ENOMEM;
    uint64_t count = 0;
    for (size_t i = 0; i < s->cap; i++) {
        uint64_t id = s->keys[i];
        if (!id || !(dedup_index_contains(s->idx, id) || in_saved(s, id)))
            continue;
        const char *name = s->arena.data + (s->vals[i] >> 1);
        size_t nl = strlen(name);
        unsigned char r[13];
        cli_put64(r, id);
        r[8] = (unsigned char)(s->vals[i] & 1);
        cli_put32(r + 9, (uint32_t)nl);
        if (cli_buf_add(&b, r, 13) || cli_buf_add(&b, name, nl)) {
            cli_buf_free(&b);
            return CLI_ENOMEM;
        }
        count++;
    }
    cli_put64((unsigned char *)b.data + 24, count);
    unsigned char c[4];
    cli_put32(c, (uint32_t)crc32(0, (const unsigned char *)b.data, (uInt)b.len));
    if (cli_buf_add(&b, c, 4)) {
        cli_buf_free(&b);
        return CLI_ENOMEM;
    }
    int rc = cli_write_atomic(path, b.data, b.len, err, errcap);
    cli_buf_free(&b);
    return rc;
}

/* Keep only the names of documents in the index: the others were expired
 * or removed and are no longer in any file. */
static int prune(cli_store *s)
{
    cli_store t;
    memset(&t, 0, sizeof t);
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->keys[i] || !dedup_index_contains(s->idx, s->keys[i]))
            continue;
        const char *name = s->arena.data + (s->vals[i] >> 1);
        if (cli_store_set_name(&t, s->keys[i], name, strlen(name), (int)(s->vals[i] & 1))) {
            free(t.keys);
            free(t.vals);
            free(t.rent);
            cli_buf_free(&t.arena);
            return CLI_ENOMEM;
        }
    }
    free(s->keys);
    free(s->vals);
    free(s->rent);
    cli_buf_free(&s->arena);
    s->keys = t.keys;
    s->vals = t.vals;
    s->cap = t.cap;
    s->count = t.count;
    s->arena = t.arena;
    s->rent = t.rent;
    s->rcap = t.rcap;
    s->rcount = t.rcount;
    return CLI_OK;
}

/* The line statistics file: a header binding it to a save of the index,
 * then the serialized sketch (dedup_linestats_serialize):
 *   "DEDUPLNS"  magic, 8 bytes
 *   u32 1       format version
 *   u32         the boilerplate threshold the counts were used with
 *               (filter --boilerplate N), for later queries; 0: not known
 *   u64         tag_old, u64 tag_new: as in the side file
 *   u32         CRC-32 of the 32 bytes before it
 *   u32 0
 */
static const char lmagic[8] = {'D', 'E', 'D', 'U', 'P', 'L', 'N', 'S'};
#define LINES_HEADER 40

static void lines_header(unsigned char *h, uint64_t tag_old, uint64_t tag_new, uint32_t min)
{
    memset(h, 0, LINES_HEADER);
    memcpy(h, lmagic, 8);
    cli_put32(h + 8, 1);
    cli_put32(h + 12, min);
    cli_put64(h + 16, tag_old);
    cli_put64(h + 24, tag_new);
    cli_put32(h + 32, (uint32_t)crc32(0, h, 32));
}

/* Check the header of a lines file of len bytes; 1 if valid. */
static int lines_header_ok(const unsigned char *p, size_t len)
{
    return len >= LINES_HEADER && !memcmp(p, lmagic, 8) && cli_le32(p + 8) == 1 &&
           cli_le32(p + 32) == (uint32_t)crc32(0, p, 32);
}

/* Does a lines file with these tags belong to an index file tagged tag? */
static int lines_fit(const unsigned char *p, uint64_t tag)
{
    return cli_le64(p + 16) == tag || cli_le64(p + 24) == tag;
}

int cli_store_load_lines(cli_store *s, const char *path, dedup_linestats **out, char *err,
                         size_t errcap)
{
    *out = NULL;
    char *lp = cli_side_path(path, ".lines");
    if (!lp)
        return CLI_ENOMEM;
    cli_buf data = {0};
    int rc = cli_read_whole(lp, &data);
    const unsigned char *p = (const unsigned char *)data.data;
    if (rc == CLI_EIO && errno == ENOENT && s->has_lines) {
        snprintf(err, errcap, "%s is missing: the line statistics of %s are lost (restore it, "
                 "or go on without them with --boilerplate off)", lp, path);
        rc = CLI_EDATA;
    } else if (rc == CLI_EIO && errno == ENOENT) {
        rc = CLI_OK; /* none saved: counting starts afresh */
    } else if (rc == CLI_EIO) {
        snprintf(err, errcap, "%s: %s", lp, strerror(errno));
    } else if (rc == CLI_OK && !lines_header_ok(p, data.len)) {
        snprintf(err, errcap, "%s: not a valid line statistics file (damaged or another format)",
                 lp);
        rc = CLI_EDATA;
    } else if (rc == CLI_OK && !lines_fit(p, dedup_index_tag(s->idx))) {
        snprintf(err, errcap, "%s does not belong to %s: it was saved with another index (or "
                 "another save of it)", lp, path);
        rc = CLI_EDATA;
    } else if (rc == CLI_OK) {
        s->lines_min = cli_le32(p + 12);
        int st = dedup_linestats_deserialize(out, p + LINES_HEADER, data.len - LINES_HEADER);
        if (st == DEDUP_E_NOMEM) {
            rc = CLI_ENOMEM;
        } else if (st) {
            snprintf(err, errcap, "%s: %s", lp, dedup_strerror(st));
            rc = CLI_EDATA;
        }
    }
    /* The documents read since the save, from the journal. */
    if (rc == CLI_OK && s->jlines_n && !*out) {
        int st = dedup_linestats_create(out, 0);
        if (st)
            rc = st == DEDUP_E_NOMEM ? CLI_ENOMEM : st;
    }
    for (size_t i = 0; rc == CLI_OK && i < s->jlines_n; i += 1 + s->jlines[i])
        if (dedup_linestats_add_hashes(*out, s->jlines + i + 1, (size_t)s->jlines[i]))
            rc = CLI_ENOMEM;
    free(s->jlines);
    s->jlines = NULL;
    s->jlines_n = s->jlines_cap = 0;
    if (rc) {
        dedup_linestats_free(*out);
        *out = NULL;
    }
    cli_buf_free(&data);
    free(lp);
    return rc;
}

/* Save path.lines: lines (a serialized sketch), or without it the file on
 * disk, bound to the new save when it belonged to the old one (statistics
 * not used by this run are kept) and removed otherwise (another index's). */
static int save_lines(const char *path, const cli_buf *lines, uint32_t min, uint64_t old,
                      uint64_t tag, int *exists, char *err, size_t errcap)
{
    *exists = 0;
    char *lp = cli_side_path(path, ".lines");
    if (!lp)
        return CLI_ENOMEM;
    cli_buf b = {0};
    int rc = CLI_OK;
    if (!lines) {
        rc = cli_read_whole(lp, &b);
        if (rc == CLI_EIO && errno == ENOENT) {
            rc = CLI_OK;
            goto done;
        }
        if (rc)
            goto done;
        if (old == 0 || !lines_header_ok((const unsigned char *)b.data, b.len) ||
            !lines_fit((const unsigned char *)b.data, old)) {
            if (unlink(lp) != 0 && errno != ENOENT) {
                snprintf(err, errcap, "%s: %s", lp, strerror(errno));
                rc = CLI_EIO;
            }
            goto done;
        }
        lines_header((unsigned char *)b.data, old, tag, cli_le32((unsigned char *)b.data + 12));
        *exists = 1;
    } else {
        *exists = 1;
        unsigned char h[LINES_HEADER];
        lines_header(h, old, tag, min);
        if (cli_buf_add(&b, h, LINES_HEADER) || cli_buf_add(&b, lines->data, lines->len)) {
            rc = CLI_ENOMEM;
            goto done;
        }
    }
    rc = cli_write_atomic(lp, b.data, b.len, err, errcap);
done:
    if (rc == CLI_EIO && !*err)
        snprintf(err, errcap, "%s: %s", lp, strerror(errno));
    cli_buf_free(&b);
    free(lp);
    return rc;
}

/* A random tag for the next save, never 0 (a new index's) nor old. */
static uint64_t fresh_tag(uint64_t old)
{
    static uint64_t counter;
    uint64_t t = 0;
    if (getrandom(&t, sizeof t, GRND_NONBLOCK) != (ssize_t)sizeof t) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        t = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^ (uint64_t)getpid() << 48;
    }
    t ^= ++counter * 0x9e3779b97f4a7c15ULL;
    while (t == 0 || t == old)
        t = t * 6364136223846793005ULL + 1442695040888963407ULL;
    return t;
}

int cli_store_save(cli_store *s, const char *path, const cli_buf *lines, char *err,
                   size_t errcap)
{
    uint64_t old = dedup_index_tag(s->idx), tag = fresh_tag(old);
    *err = 0;
    int has = 0;
    int rc = save_lines(path, lines, s->lines_min, old, tag, &has, err, errcap);
    if (rc)
        return rc;
    s->has_lines = has;
    char *ip = ids_path(path);
    if (!ip)
        return CLI_ENOMEM;
    rc = save_names(s, ip, old, tag, err, errcap);
    free(ip);
    if (rc)
        return rc;
    dedup_index_set_tag(s->idx, tag);
    rc = dedup_index_save(s->idx, path);
    if (rc) {
        dedup_index_set_tag(s->idx, old); /* still the file's */
        snprintf(err, errcap, "%s: %s", path, dedup_strerror(rc));
        return rc;
    }
    s->tag_old = old;
    s->tag_new = tag;
    /* The index on disk is now this one. */
    if (scan_index(s) || prune(s))
        return CLI_ENOMEM;
    /* The journal's changes are in it: a kept journal starts again, any
     * other is removed (one left by a kill is recognised as stale). */
    if (s->jfd >= 0)
        return cli_journal_restart(s, err, errcap);
    char *jp = cli_side_path(path, ".journal");
    if (!jp)
        return CLI_ENOMEM;
    if (unlink(jp) != 0 && errno != ENOENT) {
        snprintf(err, errcap, "%s: %s", jp, strerror(errno));
        rc = CLI_EIO;
    }
    free(jp);
    return rc;
}

/* Whether a writer holds the lock of the index at path now. */
static int writer_running(const char *path)
{
    char *lp = cli_side_path(path, ".lock");
    int fd = lp ? open(lp, O_RDONLY | O_CLOEXEC) : -1, busy = 0;
    if (fd >= 0) {
        busy = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
        close(fd); /* releases the shared lock if it was taken */
    }
    free(lp);
    return busy;
}

int cli_store_load_reader(cli_store *s, const char *path, dedup_linestats **lines, char *err,
                          size_t errcap)
{
    if (lines)
        *lines = NULL;
    int rc = CLI_OK;
    for (int attempt = 0; attempt < 40; attempt++) {
        if (attempt) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        rc = cli_store_load(s, path, err, errcap);
        if (rc == CLI_OK && lines)
            rc = cli_store_load_lines(s, path, lines, err, errcap);
        /* Files that do not fit together while a writer runs: caught in
         * the middle of its save; read them again once it is through. */
        if (rc != CLI_EDATA || !writer_running(path))
            break;
        cli_store_free(s);
    }
    return rc;
}

void cli_store_free(cli_store *s)
{
    cli_journal_close(s);
    dedup_index_free(s->idx);
    free(s->keys);
    free(s->vals);
    free(s->rent);
    free(s->saved);
    cli_buf_free(&s->arena);
    memset(s, 0, sizeof *s);
}

/* ============================================================= locking */

/* Whether name (in the index's folder) is a temporary file that a killed
 * save of the index whose file name is base left: base.ids.tmp.XXXXXX or
 * base.lines.tmp.XXXXXX of this tool, or base.PID.N.tmp of the library
 * when process PID no longer runs. */
static int is_temp_of(const char *name, const char *base)
{
    size_t bl = strlen(base);
    if (strncmp(name, base, bl) != 0 || name[bl] != '.')
        return 0;
    const char *r = name + bl + 1;
    size_t rl = strlen(r);
    if (rl > 4 && strcmp(r + rl - 4, ".tmp") == 0) {
        /* PID.N.tmp: digits, one dot, digits. */
        const char *dot = memchr(r, '.', rl - 4);
        if (!dot || dot == r || dot + 1 == r + rl - 4)
            return 0;
        for (const char *c = r; c < r + rl - 4; c++)
            if (c != dot && (*c < '0' || *c > '9'))
                return 0;
        /* Linux numbers processes below 2^22 (PID_MAX_LIMIT). */
        long pid = strtol(r, NULL, 10);
        if (pid <= 0 || pid > (1L << 22) || pid == (long)getpid())
            return 0;
        return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
    }
    const char *x = !strncmp(r, "ids.tmp.", 8)       ? r + 8
                    : !strncmp(r, "lines.tmp.", 10)   ? r + 10
                    : !strncmp(r, "journal.tmp.", 12) ? r + 12
                                                      : NULL;
    if (!x || strlen(x) != 6)
        return 0;
    for (int i = 0; i < 6; i++)
        if (!((x[i] >= 'a' && x[i] <= 'z') || (x[i] >= 'A' && x[i] <= 'Z') ||
              (x[i] >= '0' && x[i] <= '9')))
            return 0;
    return 1;
}

static void remove_stale_temps(const char *path)
{
    char *d = strdup(path), *b = strdup(path);
    if (d && b) {
        const char *dir = dirname(d), *base = basename(b);
        DIR *dp = opendir(dir);
        if (dp) {
            struct dirent *e;
            while ((e = readdir(dp)) != NULL) {
                if (!is_temp_of(e->d_name, base))
                    continue;
                size_t n = strlen(dir) + strlen(e->d_name) + 2;
                char *full = malloc(n);
                if (full) {
                    snprintf(full, n, "%s/%s", dir, e->d_name);
                    unlink(full);
                    free(full);
                }
            }
            closedir(dp);
        }
    }
    free(d);
    free(b);
}

int cli_store_lock(const char *path, int wait, int *fd, char *err, size_t errcap)
{
    *fd = -1;
    char *lp = cli_side_path(path, ".lock");
    if (!lp) {
        snprintf(err, errcap, "out of memory");
        return CLI_ENOMEM;
    }
    /* Taken before any input is read: a folder that cannot be written is
     * found at once, not when the work is done. */
    int f = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0) {
        snprintf(err, errcap, "cannot write next to %s (%s): %s", path, lp, strerror(errno));
        free(lp);
        return CLI_EIO;
    }
    int rc;
    while ((rc = flock(f, LOCK_EX | (wait ? 0 : LOCK_NB))) != 0 && errno == EINTR && wait)
        ;
    if (rc != 0) {
        int e = errno;
        char pid[32] = "";
        /* The holder writes its number just after it took the lock: give
         * it a moment (up to 0.2 s) if the file is still empty. */
        for (int tries = 0; tries < 20; tries++) {
            ssize_t n = pread(f, pid, sizeof pid - 1, 0);
            if (n > 0 && memchr(pid, '\n', (size_t)n)) {
                pid[n] = 0;
                pid[strcspn(pid, "\n")] = 0;
                long p = strtol(pid, NULL, 10);
                /* A number left by an earlier holder that has ended: the
                 * new holder has not written its own yet. */
                if (p > 0 && (kill((pid_t)p, 0) == 0 || errno != ESRCH))
                    break;
            }
            pid[0] = 0;
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (e == EWOULDBLOCK)
            snprintf(err, errcap, "%s is in use by %s%s (or wait with --wait)", path,
                     pid[0] ? "process " : "another process", pid);
        else
            snprintf(err, errcap, "%s: %s", lp, strerror(e));
        close(f);
        free(lp);
        return CLI_EIO;
    }
    char pid[32];
    int pl = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(f, 0) != 0 || pwrite(f, pid, (size_t)pl, 0) != pl) {
        /* the lock holds without the number; only the message would lack it */
    }
    free(lp);
    remove_stale_temps(path);
    *fd = f;
    return CLI_OK;
}

void cli_store_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* closing releases the flock */
}

char *cli_store_resolve(const char *path)
{
    char *cur = strdup(path);
    for (int depth = 0; cur && depth < 40; depth++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
            return cur;
        char target[4096];
        ssize_t n = readlink(cur, target, sizeof target - 1);
        if (n <= 0)
            return cur;
        target[n] = 0;
        char *next;
        if (target[0] == '/') {
            next = strdup(target);
        } else {
            char *d = strdup(cur);
            const char *dir = d ? dirname(d) : NULL;
            size_t len = dir ? strlen(dir) + (size_t)n + 2 : 0;
            next = dir ? malloc(len) : NULL;
            if (next)
                snprintf(next, len, "%s/%s", dir, target);
            free(d);
        }
        free(cur);
        cur = next;
    }
    return cur; /* a loop of links: the last name, whose open will fail */
}
