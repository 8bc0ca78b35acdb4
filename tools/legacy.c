/*
 * legacy.c - the side files of indexes saved before the tool kept
 * everything in the index file: FILE.ids, the documents' ids, and
 * FILE.lines, the boilerplate line statistics. An index with them is read
 * once more: the ids become the index's keys (store.h), the statistics its
 * own, and the next save writes everything into the index and removes the
 * side files.
 *
 * FILE.ids, little-endian:
 *   "DEDUPIDS"  magic, 8 bytes
 *   u32 2       format version
 *   u32         flags: bit 0 = the index's stamps are Unix times; bit 1 =
 *               FILE.lines was saved with the index; the other bits 0
 *   u64         next_id: the number the next document gets
 *   u64         count
 *   u64         tag_old: the tag of the index file the save replaced
 *   u64         tag_new: the tag of the index file it saved
 *   count x {u64 number, u8 kind (0 string, 1 number), u32 length, bytes}
 *   u32         CRC-32 (zlib) of everything before it
 * It was saved before the index and names the documents of both the index
 * file it replaced and the one saved, so it belongs to an index file
 * tagged either tag; names of documents not in that file are left out.
 *
 * FILE.lines:
 *   "DEDUPLNS"  magic, 8 bytes
 *   u32 1       format version
 *   u32         the boilerplate threshold the counts were used with; 0:
 *               not known (the default then)
 *   u64         tag_old, u64 tag_new: as in FILE.ids
 *   u32         CRC-32 of the 32 bytes before it
 *   u32 0
 *   then the serialized dedup_linestats.
 */
#include "store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static const char magic[8] = {'D', 'E', 'D', 'U', 'P', 'I', 'D', 'S'};
static const char lmagic[8] = {'D', 'E', 'D', 'U', 'P', 'L', 'N', 'S'};

#define IDS_HEADER 48
#define LINES_HEADER 40

/* Name the documents of the index from the records of an ids file (p,
 * len bytes, checked); those of documents not in it are left out.
 * CLI_OK, CLI_EDATA (cut short, or a name twice) or CLI_ENOMEM. */
static int import_names(cli_store *s, const unsigned char *p, size_t len)
{
    uint64_t count = cli_le64(p + 24);
    size_t pos = IDS_HEADER;
    for (uint64_t i = 0; i < count; i++) {
        if (len - 4 - pos < 13)
            return CLI_EDATA;
        uint64_t id = cli_le64(p + pos);
        int kind = p[pos + 8] & 1;
        uint32_t nl = cli_le32(p + pos + 9);
        pos += 13;
        if (len - 4 - pos < nl)
            return CLI_EDATA;
        if (dedup_index_contains(s->idx, id)) {
            if (cli_store_key(&s->key, (const char *)p + pos, nl, kind))
                return CLI_ENOMEM;
            int rc = dedup_index_set_name(s->idx, id, s->key.data, s->key.len);
            if (rc == DEDUP_E_NOMEM)
                return CLI_ENOMEM;
            if (rc)
                return CLI_EDATA;
        }
        pos += nl;
    }
    return CLI_OK;
}

/* Read the ids file ip; *missing is set when there is none. CLI_OK,
 * CLI_EDATA, CLI_EIO or CLI_ENOMEM (message in err). */
static int load_ids(cli_store *s, const char *path, const char *ip, int *missing,
                    int *has_lines, char *err, size_t errcap)
{
    cli_buf data = {0};
    *missing = *has_lines = 0;
    int rc = cli_read_whole(ip, &data);
    if (rc == CLI_EIO && errno == ENOENT) {
        cli_buf_free(&data);
        *missing = 1;
        return CLI_OK;
    }
    if (rc == CLI_EIO)
        snprintf(err, errcap, "%s: %s", ip, strerror(errno));
    const unsigned char *p = (const unsigned char *)data.data;
    size_t len = data.len;
    if (rc == CLI_OK &&
        (len < IDS_HEADER + 4 || memcmp(p, magic, 8) || cli_le32(p + 8) != 2 ||
         cli_le32(p + 12) > 3 || cli_le32(p + len - 4) != (uint32_t)crc32(0, p, (uInt)(len - 4)))) {
        snprintf(err, errcap, "%s: not a valid id file (damaged or another format)", ip);
        rc = CLI_EDATA;
    }
    if (rc == CLI_OK) {
        s->tag_old = cli_le64(p + 32);
        s->tag_new = cli_le64(p + 40);
        s->time_stamps = (int)(cli_le32(p + 12) & 1);
        *has_lines = (int)(cli_le32(p + 12) >> 1 & 1);
        uint64_t next = cli_le64(p + 16);
        if (next > dedup_index_next_named(s->idx))
            dedup_index_set_next_named(s->idx, next);
        uint64_t tag = dedup_index_tag(s->idx);
        if (tag != s->tag_new && tag != s->tag_old) {
            snprintf(err, errcap,
                     "%s does not belong to %s: it was saved with another index (or another "
                     "save of it)",
                     ip, path);
            rc = CLI_EDATA;
        }
    }
    if (rc == CLI_OK && (rc = import_names(s, p, len)) == CLI_EDATA)
        snprintf(err, errcap, "%s: truncated id file", ip);
    cli_buf_free(&data);
    return rc;
}

/* Read the line statistics file lp into the index. required: the ids file
 * says it was saved. CLI_OK, CLI_EDATA, CLI_EIO or CLI_ENOMEM. */
static int load_lines(cli_store *s, const char *path, const char *lp, int required, char *err,
                      size_t errcap)
{
    cli_buf data = {0};
    int rc = cli_read_whole(lp, &data);
    const unsigned char *p = (const unsigned char *)data.data;
    dedup_linestats *ls = NULL;
    if (rc == CLI_EIO && errno == ENOENT && required) {
        snprintf(err, errcap, "%s is missing: the line statistics of %s are lost (restore it, "
                 "or go on without them with --boilerplate off)", lp, path);
        rc = CLI_EDATA;
    } else if (rc == CLI_EIO && errno == ENOENT) {
        rc = CLI_OK; /* none saved: counting starts afresh */
    } else if (rc == CLI_EIO) {
        snprintf(err, errcap, "%s: %s", lp, strerror(errno));
    } else if (rc == CLI_OK && (data.len < LINES_HEADER || memcmp(p, lmagic, 8) ||
                                cli_le32(p + 8) != 1 ||
                                cli_le32(p + 32) != (uint32_t)crc32(0, p, 32))) {
        snprintf(err, errcap, "%s: not a valid line statistics file (damaged or another format)",
                 lp);
        rc = CLI_EDATA;
    } else if (rc == CLI_OK && cli_le64(p + 16) != dedup_index_tag(s->idx) &&
               cli_le64(p + 24) != dedup_index_tag(s->idx)) {
        snprintf(err, errcap, "%s does not belong to %s: it was saved with another index (or "
                 "another save of it)", lp, path);
        rc = CLI_EDATA;
    } else if (rc == CLI_OK) {
        uint32_t min = cli_le32(p + 12);
        int st = dedup_linestats_deserialize(&ls, p + LINES_HEADER, data.len - LINES_HEADER);
        if (st == DEDUP_E_NOMEM) {
            rc = CLI_ENOMEM;
        } else if (st) {
            snprintf(err, errcap, "%s: %s", lp, dedup_strerror(st));
            rc = CLI_EDATA;
        } else if (dedup_index_adopt_linestats(s->idx, ls) ||
                   dedup_index_set_boilerplate(s->idx, min >= 2 ? min
                                                                : CLI_BOILERPLATE_DEFAULT)) {
            rc = CLI_ENOMEM;
        } else {
            s->lines = ls; /* the index's now */
        }
    }
    cli_buf_free(&data);
    return rc;
}

typedef struct {
    const dedup_index *idx;
    uint64_t first; /* the smallest number without a name, 0 if none */
} unnamed_scan;

static int visit_unnamed(uint64_t id, int64_t stamp, void *p)
{
    unnamed_scan *u = p;
    (void)stamp;
    if (!dedup_index_name(u->idx, id, NULL) && (!u->first || id < u->first))
        u->first = id;
    return 0;
}

int cli_legacy_load(cli_store *s, const char *path, size_t unnamed, char *err, size_t errcap)
{
    char *ip = cli_side_path(path, ".ids"), *lp = cli_side_path(path, ".lines");
    int missing = 1, has_lines = 0, rc = ip && lp ? CLI_OK : CLI_ENOMEM;
    if (rc == CLI_OK)
        rc = load_ids(s, path, ip, &missing, &has_lines, err, errcap);
    /* The side file named every stored document: without it they would
     * have no names. */
    if (rc == CLI_OK && missing && unnamed) {
        snprintf(err, errcap,
                 "%s is missing: the names of the %zu documents of %s are lost "
                 "(restore it, or build the index again)",
                 ip, unnamed, path);
        rc = CLI_EDATA;
    }
    unnamed_scan u = {s->idx, 0};
    if (rc == CLI_OK && !missing)
        dedup_index_foreach(s->idx, visit_unnamed, &u);
    if (u.first) {
        snprintf(err, errcap, "%s does not belong to %s: document number %llu has no name there",
                 ip, path, (unsigned long long)u.first);
        rc = CLI_EDATA;
    }
    if (rc == CLI_OK && !missing)
        rc = load_lines(s, path, lp, has_lines, err, errcap);
    free(ip);
    free(lp);
    return rc;
}

int cli_legacy_remove(const char *path, char *err, size_t errcap)
{
    static const char *const suffix[] = {".ids", ".lines"};
    for (int i = 0; i < 2; i++) {
        char *sp = cli_side_path(path, suffix[i]);
        if (!sp)
            return CLI_ENOMEM;
        if (unlink(sp) != 0 && errno != ENOENT) {
            snprintf(err, errcap, "%s: %s", sp, strerror(errno));
            free(sp);
            return CLI_EIO;
        }
        free(sp);
    }
    return CLI_OK;
}
