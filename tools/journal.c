/*
 * journal.c - the journal of a saved index: the changes made since the
 * index file was last saved, appended as they happen, so that a writer
 * keeps its state durable without rewriting the whole index for each
 * document.
 *
 * File FILE.journal, little-endian:
 *   header, 32 bytes:
 *     "DEDUPJNL"   magic, 8 bytes
 *     u32 1        format version
 *     u32          flags: bit 0 = the index's stamps are Unix times; the
 *                  other bits 0
 *     u64          base: the tag of the index file the journal extends
 *                  (dedup_index_tag; the tool writes a fresh random tag
 *                  at every save)
 *     u32          CRC-32 (zlib) of the 24 bytes before it
 *     u32          0
 *   then records, each:
 *     u32          payload length n (1 to 1 MiB)
 *     u32          CRC-32 of the payload
 *     n bytes      payload: a type byte and its fields
 *       1 add      u64 number, i64 stamp, u8 id kind (0 string, 1
 *                  number), u32 id length, the id, then the signature
 *                  (dedup_signature_serialize)
 *       2 remove   u64 number
 *       3 expire   i64 before (dedup_index_expire)
 *       4 lines    u32 n, then n u64: the line hashes of a document read
 *                  (dedup_linestats_hashes), for the line statistics
 *
 * Loading (cli_store_load) replays the records onto the index file whose
 * tag is the journal's base: the operations and their order are those of
 * the run that wrote them, so the index comes out the same, slot for slot.
 * An add record gives the document the number it had: the library numbers
 * named documents itself (dedup_index_add_named), and is told to give the
 * recorded one (dedup_index_set_next_named), which it does unless a stored
 * document has it; then the record does not fit the index. So the format
 * is the one the tool wrote when it numbered documents itself, and those
 * journals replay alike. A journal whose base is the tag the index file
 * had before its last save (the index records it, store.h) is already in
 * the index: a writer was stopped after saving and before starting a new
 * journal; it is ignored and replaced. Any other base is another index's
 * journal: refused.
 *
 * A record cut short at the end, or followed only by zero bytes (a crash
 * in the middle of an append), ends the journal; the writer cuts it off
 * before appending. A damaged record with whole records after it is
 * refused: records after it were acknowledged.
 *
 * A new journal is written whole to a temporary file and renamed into
 * place, so it is never seen half made; appends go through write(2), so
 * they survive the process being killed, and with a sync policy through
 * fdatasync(2), so they survive the machine stopping.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const char jmagic[8] = {'D', 'E', 'D', 'U', 'P', 'J', 'N', 'L'};

#define HEADER 32
#define MAX_PAYLOAD ((uint32_t)1 << 20)

enum { REC_ADD = 1, REC_REMOVE = 2, REC_EXPIRE = 3, REC_LINES = 4 };

static uint32_t crc(const unsigned char *p, size_t n)
{
    return (uint32_t)crc32(0, p, (uInt)n);
}

static void make_header(unsigned char *h, uint64_t base, int time_stamps)
{
    memset(h, 0, HEADER);
    memcpy(h, jmagic, 8);
    cli_put32(h + 8, 1);
    cli_put32(h + 12, time_stamps ? 1 : 0);
    cli_put64(h + 16, base);
    cli_put32(h + 24, crc(h, 24));
}

/* Does the rest of the file, from p for n bytes, hold only zeros? */
static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* Add the document of an add record (q, n bytes, checked) under its
 * number. A dedup status; DEDUP_E_EXISTS when the number or the id is
 * taken. */
static int replay_add(cli_store *s, const unsigned char *q, uint32_t n)
{
    uint64_t id = cli_le64(q + 1), got = 0, next = dedup_index_next_named(s->idx);
    uint32_t nl = cli_le32(q + 18);
    dedup_signature *sig = NULL;
    int rc = dedup_signature_deserialize(&sig, q + 22 + nl, n - 22 - nl);
    if (rc == DEDUP_OK && id == 0)
        rc = DEDUP_E_FORMAT;
    if (rc == DEDUP_OK)
        rc = dedup_index_set_next_named(s->idx, id);
    if (rc == DEDUP_OK)
        rc = cli_store_add(s, (const char *)q + 22, nl, q[17] & 1, (int64_t)cli_le64(q + 9), sig,
                           &got);
    dedup_signature_free(sig);
    if (rc == DEDUP_OK && got != id) {
        dedup_index_remove(s->idx, got);
        rc = DEDUP_E_EXISTS;
    }
    if (next > id + 1)
        dedup_index_set_next_named(s->idx, next);
    return rc;
}

/* Apply one record's payload to the store. CLI_OK, CLI_EDATA (a record
 * that does not fit the index; message in err), CLI_ENOMEM. */
static int apply(cli_store *s, const unsigned char *q, uint32_t n, const char *jp, uint64_t at,
                 char *err, size_t errcap)
{
    int rc = DEDUP_OK;
    uint64_t id = n >= 9 ? cli_le64(q + 1) : 0;
    if (q[0] == REC_ADD && n >= 22 && n - 22 >= cli_le32(q + 18)) {
        rc = replay_add(s, q, n);
    } else if (q[0] == REC_REMOVE && n == 9) {
        rc = dedup_index_remove(s->idx, id);
    } else if (q[0] == REC_EXPIRE && n == 9) {
        rc = dedup_index_expire(s->idx, (int64_t)id, NULL);
    } else if (q[0] == REC_LINES && n >= 5 && (n - 5) / 8 == cli_le32(q + 1) &&
               (n - 5) % 8 == 0) {
        /* Counted into the index's line statistics, made if it had none. */
        uint32_t m = cli_le32(q + 1);
        dedup_linestats *ls;
        uint64_t *h = malloc((m ? m : 1) * sizeof *h);
        if (!h || cli_store_lines(s, 0, &ls)) {
            free(h);
            return CLI_ENOMEM;
        }
        for (uint32_t i = 0; i < m; i++)
            h[i] = cli_le64(q + 5 + 8 * (size_t)i);
        rc = dedup_linestats_add_hashes(ls, h, m);
        free(h);
    } else {
        rc = DEDUP_E_FORMAT;
    }
    if (rc == DEDUP_E_NOMEM)
        return CLI_ENOMEM;
    if (rc) {
        snprintf(err, errcap, "%s: the record at byte %llu does not fit the index (%s)", jp,
                 (unsigned long long)at, dedup_strerror(rc));
        return CLI_EDATA;
    }
    return CLI_OK;
}

int cli_journal_replay(cli_store *s, const char *path, char *err, size_t errcap)
{
    s->jstate = CLI_JOURNAL_NONE;
    s->jvalid = 0;
    char *jp = cli_side_path(path, ".journal");
    if (!jp)
        return CLI_ENOMEM;
    cli_buf b = {0};
    int rc = cli_read_whole(jp, &b);
    if (rc == CLI_EIO && errno == ENOENT) {
        rc = CLI_OK;
        goto done;
    }
    if (rc == CLI_EIO)
        snprintf(err, errcap, "%s: %s", jp, strerror(errno));
    if (rc)
        goto done;
    const unsigned char *p = (const unsigned char *)b.data;
    size_t len = b.len;
    if (len < HEADER || memcmp(p, jmagic, 8) || cli_le32(p + 8) != 1 ||
        cli_le32(p + 12) > 1 || cli_le32(p + 24) != crc(p, 24)) {
        snprintf(err, errcap, "%s: not a valid journal (damaged or another format)", jp);
        rc = CLI_EDATA;
        goto done;
    }
    uint64_t base = cli_le64(p + 16), tag = dedup_index_tag(s->idx);
    if (base != tag) {
        if (s->tag_old == base && s->tag_new == tag) {
            s->jstate = CLI_JOURNAL_STALE; /* saved into the index already */
            goto done;
        }
        snprintf(err, errcap,
                 "%s does not belong to %s: it extends another save of an index "
                 "(remove it only if %s was replaced on purpose)",
                 jp, path, path);
        rc = CLI_EDATA;
        goto done;
    }
    if (cli_le32(p + 12) & 1)
        s->time_stamps = 1;
    size_t off = HEADER;
    while (rc == CLI_OK && off < len) {
        size_t left = len - off;
        uint32_t n = left >= 8 ? cli_le32(p + off) : 0;
        int whole = left >= 8 && n >= 1 && n <= MAX_PAYLOAD && left - 8 >= n &&
                    cli_le32(p + off + 4) == crc(p + off + 8, n);
        if (!whole) {
            /* Cut short by a crash: the end of the journal. Anything else
             * lost records that were acknowledged. */
            int torn = left < 8 || (n >= 1 && n <= MAX_PAYLOAD && left - 8 < n) ||
                       all_zero(p + off, left) ||
                       (n >= 1 && n <= MAX_PAYLOAD && left - 8 == n);
            if (!torn) {
                snprintf(err, errcap, "%s: damaged at byte %llu, with records after it", jp,
                         (unsigned long long)off);
                rc = CLI_EDATA;
            }
            break;
        }
        rc = apply(s, p + off + 8, n, jp, off, err, errcap);
        off += 8 + (size_t)n;
    }
    if (rc == CLI_OK) {
        s->jstate = CLI_JOURNAL_REPLAYED;
        s->jvalid = off;
    }
done:
    cli_buf_free(&b);
    free(jp);
    return rc;
}

/* Write a new, empty journal extending the index file's present tag and
 * open it for appending. */
static int start_new(cli_store *s, const char *jp, char *err, size_t errcap)
{
    unsigned char h[HEADER];
    make_header(h, dedup_index_tag(s->idx), s->time_stamps);
    int rc = cli_write_atomic(jp, h, HEADER, err, errcap);
    if (rc)
        return rc;
    if (s->jfd >= 0)
        close(s->jfd);
    s->jfd = open(jp, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (s->jfd < 0) {
        snprintf(err, errcap, "%s: %s", jp, strerror(errno));
        return CLI_EIO;
    }
    s->jbytes = HEADER;
    s->jtime_stamps = s->time_stamps;
    return CLI_OK;
}

int cli_journal_open(cli_store *s, const char *path, int sync, char *err, size_t errcap)
{
    s->jsync = sync;
    s->junsynced = 0;
    s->jbuf.len = 0;
    free(s->jpath);
    s->jpath = cli_side_path(path, ".journal");
    if (!s->jpath)
        return CLI_ENOMEM;
    if (s->jstate != CLI_JOURNAL_REPLAYED)
        return start_new(s, s->jpath, err, errcap);
    /* A replayed journal is appended to, after its torn end (if any) is
     * cut off; its header's stamp kind is brought up to the store's. */
    int fd = open(s->jpath, O_WRONLY | O_CLOEXEC);
    unsigned char h[HEADER];
    make_header(h, dedup_index_tag(s->idx), s->time_stamps);
    int bad = fd < 0 || ftruncate(fd, (off_t)s->jvalid) != 0 ||
              pwrite(fd, h, HEADER, 0) != HEADER || fdatasync(fd) != 0;
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (!bad) {
        s->jfd = open(s->jpath, O_WRONLY | O_APPEND | O_CLOEXEC);
        bad = s->jfd < 0;
        e = errno;
    }
    if (bad) {
        snprintf(err, errcap, "%s: %s", s->jpath, strerror(e));
        return CLI_EIO;
    }
    s->jbytes = s->jvalid;
    s->jtime_stamps = s->time_stamps;
    return CLI_OK;
}

/* Append a record with payload q (n bytes) to the pending buffer. */
static int put_record(cli_store *s, const unsigned char *q, size_t n)
{
    unsigned char h[8];
    cli_put32(h, (uint32_t)n);
    cli_put32(h + 4, crc(q, n));
    if (cli_buf_add(&s->jbuf, h, 8) || cli_buf_add(&s->jbuf, q, n))
        return CLI_ENOMEM;
    s->junsynced++;
    return CLI_OK;
}

int cli_journal_add(cli_store *s, uint64_t id, int64_t stamp, const dedup_signature *sig)
{
    if (s->jfd < 0)
        return CLI_OK;
    int kind = 0;
    size_t nl = 0, ns = dedup_signature_serialized_size(sig);
    const char *name = cli_store_name(s, id, &nl, &kind);
    if (22 + nl + ns > MAX_PAYLOAD)
        return CLI_EDATA; /* not with ids of at most CLI_ID_MAX bytes */
    unsigned char *q = malloc(22 + nl + ns);
    if (!q)
        return CLI_ENOMEM;
    q[0] = REC_ADD;
    cli_put64(q + 1, id);
    cli_put64(q + 9, (uint64_t)stamp);
    q[17] = (unsigned char)kind;
    cli_put32(q + 18, (uint32_t)nl);
    if (nl)
        memcpy(q + 22, name, nl);
    size_t written = 0;
    int rc = dedup_signature_serialize(sig, q + 22 + nl, ns, &written);
    rc = rc ? (rc == DEDUP_E_NOMEM ? CLI_ENOMEM : CLI_EDATA) : put_record(s, q, 22 + nl + written);
    free(q);
    return rc;
}

static int put_word(cli_store *s, int type, uint64_t v)
{
    if (s->jfd < 0)
        return CLI_OK;
    unsigned char q[9];
    q[0] = (unsigned char)type;
    cli_put64(q + 1, v);
    return put_record(s, q, 9);
}

int cli_journal_lines(cli_store *s, const uint64_t *hashes, size_t n)
{
    if (s->jfd < 0)
        return CLI_OK;
    if (n > (MAX_PAYLOAD - 5) / 8)
        n = (MAX_PAYLOAD - 5) / 8; /* a document of 130k short lines */
    unsigned char *q = malloc(5 + 8 * n);
    if (!q)
        return CLI_ENOMEM;
    q[0] = REC_LINES;
    cli_put32(q + 1, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        cli_put64(q + 5 + 8 * i, hashes[i]);
    int rc = put_record(s, q, 5 + 8 * n);
    free(q);
    return rc;
}

int cli_journal_remove(cli_store *s, uint64_t id)
{
    return put_word(s, REC_REMOVE, id);
}

int cli_journal_expire(cli_store *s, int64_t before)
{
    return put_word(s, REC_EXPIRE, (uint64_t)before);
}

int cli_journal_commit(cli_store *s, char *err, size_t errcap)
{
    if (s->jfd < 0 || (s->jbuf.len == 0 && s->junsynced == 0))
        return CLI_OK;
    const char *p = s->jbuf.data;
    size_t left = s->jbuf.len;
    while (left > 0) {
        ssize_t w = write(s->jfd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(err, errcap, "%s: %s", s->jpath, strerror(w < 0 ? errno : ENOSPC));
            return CLI_EIO;
        }
        p += w;
        left -= (size_t)w;
        s->jbytes += (uint64_t)w;
    }
    s->jbuf.len = 0;
    if (s->jsync != CLI_SYNC_OFF && s->junsynced > 0) {
        if (fdatasync(s->jfd) != 0) {
            snprintf(err, errcap, "%s: %s", s->jpath, strerror(errno));
            return CLI_EIO;
        }
    }
    s->junsynced = 0;
    return CLI_OK;
}

int cli_journal_due(const cli_store *s)
{
    return s->jfd >= 0 && s->jsync != CLI_SYNC_OFF && s->junsynced >= (uint64_t)s->jsync;
}

int cli_journal_restart(cli_store *s, char *err, size_t errcap)
{
    s->jbuf.len = 0; /* in the saved index now */
    s->junsynced = 0;
    if (!s->jpath)
        return CLI_OK;
    return start_new(s, s->jpath, err, errcap);
}

void cli_journal_close(cli_store *s)
{
    if (s->jfd >= 0)
        close(s->jfd);
    s->jfd = -1;
    cli_buf_free(&s->jbuf);
    free(s->jpath);
    s->jpath = NULL;
}
