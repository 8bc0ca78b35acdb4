/*
 * store.c - index files of the dedup tool: the library's index, which
 * keeps the documents' ids as its keys, the line statistics and the tool's
 * own settings (store.h gives the layout), and its journal (journal.c).
 *
 * The library identifies documents by 64-bit numbers; it numbers named
 * documents 1, 2, 3... in the order they are added and keeps the number
 * to give next with the names, so numbers survive restarts. Each save
 * gives the index a fresh random tag and records the one it replaced,
 * which tells a journal already saved in from one of another index.
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

static const char app_magic[8] = {'D', 'E', 'D', 'U', 'P', 'C', 'L', 'I'};

#define APP_SIZE 24
#define APP_VERSION 1

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

/* ================================================================ names */

int cli_store_key(cli_buf *b, const char *id, size_t len, int kind)
{
    b->len = 0;
    if ((kind == CLI_ID_NUMBER || (len && id[0] == 0)) && cli_buf_addc(b, 0))
        return CLI_ENOMEM;
    if (cli_buf_add(b, id, len) || cli_buf_reserve(b, 1))
        return CLI_ENOMEM;
    return CLI_OK;
}

const char *cli_store_unkey(const char *key, size_t klen, size_t *len, int *kind)
{
    *kind = CLI_ID_STRING;
    if (klen && key[0] == 0) {
        key++;
        klen--;
        if (klen && key[0] != 0)
            *kind = CLI_ID_NUMBER;
    }
    *len = klen;
    return key;
}

/* The library's status for an id that cannot be a key, before it is made
 * one: DEDUP_E_RANGE when it is too long. */
static int id_fits(size_t len)
{
    return len > CLI_ID_MAX ? DEDUP_E_RANGE : DEDUP_OK;
}

int cli_store_add(cli_store *s, const char *id, size_t len, int kind, int64_t stamp,
                  const dedup_signature *sig, uint64_t *number)
{
    int rc = id_fits(len);
    if (!rc && cli_store_key(&s->key, id, len, kind))
        rc = DEDUP_E_NOMEM;
    return rc ? rc : dedup_index_add_named(s->idx, s->key.data, s->key.len, stamp, sig, number);
}

int cli_store_add_unique(cli_store *s, const char *id, size_t len, int kind, int64_t stamp,
                         const dedup_signature *sig, int *is_dup, dedup_match *best,
                         uint64_t *number)
{
    int rc = id_fits(len);
    if (!rc && cli_store_key(&s->key, id, len, kind))
        rc = DEDUP_E_NOMEM;
    return rc ? rc
              : dedup_index_add_unique_named(s->idx, s->key.data, s->key.len, stamp, sig,
                                             is_dup, best, number);
}

uint64_t cli_store_next_number(const cli_store *s)
{
    return dedup_index_next_named(s->idx);
}

uint64_t cli_store_find_name(cli_store *s, const char *name, size_t len, int kind)
{
    uint64_t id = 0;
    if (id_fits(len) || cli_store_key(&s->key, name, len, kind))
        return 0;
    dedup_index_lookup(s->idx, s->key.data, s->key.len, &id);
    return id;
}

const char *cli_store_name(const cli_store *s, uint64_t id, size_t *len, int *kind)
{
    size_t klen = 0;
    const char *key = dedup_index_name(s->idx, id, &klen);
    return key ? cli_store_unkey(key, klen, len, kind) : NULL;
}

int cli_store_name_json(cli_buf *b, const cli_store *s, uint64_t id)
{
    int kind;
    size_t len;
    const char *name = cli_store_name(s, id, &len, &kind);
    if (!name)
        return cli_buf_printf(b, "\"#%llu\"", (unsigned long long)id);
    if (kind == CLI_ID_NUMBER)
        return cli_buf_add(b, name, len);
    return cli_buf_json_string(b, name, len);
}

/* ====================================================== line statistics */

int cli_store_lines(cli_store *s, uint32_t min, dedup_linestats **out)
{
    *out = NULL;
    if (!s->lines) {
        /* The statistics loaded with the index are the index's: the tool
         * counts into a copy of them, which the index takes instead. */
        const dedup_linestats *saved = dedup_index_linestats(s->idx);
        dedup_linestats *ls = NULL;
        int rc;
        if (saved) {
            size_t n = dedup_linestats_serialized_size(saved), got = 0;
            unsigned char *buf = malloc(n);
            rc = buf ? dedup_linestats_serialize(saved, buf, n, &got) : DEDUP_E_NOMEM;
            if (!rc)
                rc = dedup_linestats_deserialize(&ls, buf, got);
            free(buf);
        } else {
            rc = dedup_linestats_create(&ls, 0);
        }
        if (!rc && (rc = dedup_index_adopt_linestats(s->idx, ls)))
            dedup_linestats_free(ls);
        if (rc)
            return CLI_ENOMEM;
        s->lines = ls;
    }
    if (min < 2)
        min = cli_store_lines_min(s) ? cli_store_lines_min(s) : CLI_BOILERPLATE_DEFAULT;
    if (dedup_index_set_boilerplate(s->idx, min))
        return CLI_ENOMEM;
    *out = s->lines;
    return CLI_OK;
}

const dedup_linestats *cli_store_saved_lines(const cli_store *s)
{
    return dedup_index_linestats(s->idx);
}

uint32_t cli_store_lines_min(const cli_store *s)
{
    return dedup_index_linestats(s->idx) ? dedup_index_boilerplate(s->idx) : 0;
}

/* ============================================================ load, save */

typedef struct scan {
    const dedup_index *idx;
    uint64_t max_id;
    int64_t max_stamp;
    int any;
    size_t unnamed; /* documents without a name */
} scan;

static int visit(uint64_t id, int64_t stamp, void *payload)
{
    scan *sc = payload;
    if (id > sc->max_id)
        sc->max_id = id;
    if (!sc->any || stamp > sc->max_stamp)
        sc->max_stamp = stamp;
    sc->any = 1;
    if (!dedup_index_name(sc->idx, id, NULL))
        sc->unnamed++;
    return 0;
}

/* Scan the index: one past its largest stamp (into next_stamp), the next
 * number past its largest one, and how many documents have no name. */
static size_t scan_index(cli_store *s)
{
    scan sc = {s->idx, 0, 0, 0, 0};
    dedup_index_foreach(s->idx, visit, &sc);
    if (sc.max_id + 1 > dedup_index_next_named(s->idx))
        dedup_index_set_next_named(s->idx, sc.max_id + 1);
    /* One past the largest stamp, saturated: a library user may have
     * stamped a document INT64_MAX. */
    int64_t past = sc.max_stamp == INT64_MAX ? INT64_MAX : sc.max_stamp + 1;
    if (sc.any && past > s->next_stamp)
        s->next_stamp = past;
    return sc.unnamed;
}

int cli_store_create(cli_store *s, const dedup_params *p)
{
    memset(s, 0, sizeof *s);
    s->jfd = -1;
    return dedup_index_create(&s->idx, p);
}

/* Read the tool's bytes of the index: CLI_OK (*found set when there are
 * some), or CLI_EDATA for another program's or a later version's. */
static int read_app(cli_store *s, const char *path, int *found, char *err, size_t errcap)
{
    size_t len;
    const unsigned char *p = dedup_index_appdata(s->idx, &len);
    *found = p != NULL;
    if (!p)
        return CLI_OK;
    if (len < 12 || memcmp(p, app_magic, 8)) {
        snprintf(err, errcap, "%s: the index holds another program's data", path);
        return CLI_EDATA;
    }
    if (cli_le32(p + 8) != APP_VERSION || len != APP_SIZE || cli_le32(p + 12) > 1) {
        snprintf(err, errcap, "%s: saved by another version of dedup (its format %u)", path,
                 (unsigned)cli_le32(p + 8));
        return CLI_EDATA;
    }
    s->time_stamps = (int)(cli_le32(p + 12) & 1);
    s->tag_old = cli_le64(p + 16);
    s->tag_new = dedup_index_tag(s->idx);
    return CLI_OK;
}

int cli_store_load(cli_store *s, const char *path, char *err, size_t errcap)
{
    memset(s, 0, sizeof *s);
    s->jfd = -1;
    errno = 0;
    int rc = dedup_index_load(&s->idx, path);
    if (rc) {
        /* An I/O failure keeps its cause (no such file, permission...). */
        snprintf(err, errcap, "%s: %s", path,
                 rc == DEDUP_E_IO && errno ? strerror(errno) : dedup_strerror(rc));
        return rc;
    }
    int found;
    size_t unnamed = scan_index(s);
    rc = read_app(s, path, &found, err, errcap);
    /* No tool's bytes: an index saved with side files, or one made by a
     * program of its own with the library. */
    if (rc == CLI_OK && !found) {
        s->tag_new = dedup_index_tag(s->idx);
        rc = cli_legacy_load(s, path, unnamed, err, errcap);
        if (rc == CLI_OK)
            scan_index(s);
    }
    if (rc == CLI_OK)
        rc = cli_journal_replay(s, path, err, errcap);
    if (rc == CLI_OK && s->jstate == CLI_JOURNAL_REPLAYED)
        scan_index(s);
    return rc;
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
/* Set the tool's bytes of the index for a save replacing the file tagged
 * old. CLI_OK or CLI_ENOMEM. */
static int write_app(cli_store *s, uint64_t old)
{
    unsigned char p[APP_SIZE];
    memcpy(p, app_magic, 8);
    cli_put32(p + 8, APP_VERSION);
    cli_put32(p + 12, s->time_stamps ? 1u : 0u);
    cli_put64(p + 16, old);
    return dedup_index_set_appdata(s->idx, p, sizeof p) ? CLI_ENOMEM : CLI_OK;
}

/*
 * A save replaces the index file, then starts the journal again: a reader
 * that loads the new index and a journal two saves older cannot tell what
 * the journal adds. So a save holds a write lock, and a reader's load a
 * read lock, on one byte of the lock file (a POSIX record lock, apart from
 * the writers' flock of the whole file): a reader never sees a save half
 * done, however often the writer saves and however slowly the reader
 * loads. The lock is taken on a file descriptor of its own and released by
 * closing it. Without a lock file (no writer ever ran), or where locking
 * fails, the reader's checks and retries remain.
 */
#define SAVE_LOCK_BYTE ((off_t)1 << 30)

static int save_lock(const char *path, int write)
{
    char *lp = cli_side_path(path, ".lock");
    int fd = lp ? open(lp, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC) : -1;
    free(lp);
    if (fd < 0)
        return -1;
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = write ? F_WRLCK : F_RDLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = SAVE_LOCK_BYTE;
    fl.l_len = 1;
    int rc;
    while ((rc = fcntl(fd, F_SETLKW, &fl)) != 0 && errno == EINTR)
        ;
    if (rc != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void save_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* closing releases the record lock */
}

static int save_locked(cli_store *s, const char *path, char *err, size_t errcap)
{
    uint64_t old = dedup_index_tag(s->idx), tag = fresh_tag(old);
    *err = 0;
    int rc = write_app(s, old);
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
    /* The index holds all the side files held: they go (also those a
     * writer killed after such a save left). */
    if ((rc = cli_legacy_remove(path, err, errcap)))
        return rc;
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

int cli_store_save(cli_store *s, const char *path, char *err, size_t errcap)
{
    int lk = save_lock(path, 1);
    int rc = save_locked(s, path, err, errcap);
    save_unlock(lk);
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


int cli_store_load_reader(cli_store *s, const char *path, char *err, size_t errcap)
{
    int rc = CLI_OK;
    for (int attempt = 0; attempt < 40; attempt++) {
        if (attempt) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        struct stat before, after;
        int known = stat(path, &before) == 0;
        int lk = save_lock(path, 0); /* no save runs while this holds */
        rc = cli_store_load(s, path, err, errcap);
        save_unlock(lk);
        /* An index and a journal that do not fit together while a writer
         * runs, or after the index file was replaced meanwhile: caught in
         * the middle of a save; read them again once it is through. */
        int replaced = known && stat(path, &after) == 0 &&
                       (after.st_ino != before.st_ino || after.st_dev != before.st_dev);
        if (rc != CLI_EDATA || !(replaced || writer_running(path)))
            break;
        cli_store_free(s);
    }
    return rc;
}

void cli_store_free(cli_store *s)
{
    cli_journal_close(s);
    dedup_index_free(s->idx);
    cli_buf_free(&s->key);
    memset(s, 0, sizeof *s);
}

/* ============================================================= locking */

/* Whether name (in the index's folder) is a temporary file that a killed
 * save of the index whose file name is base left: base.journal.tmp.XXXXXX
 * of this tool, base.ids.tmp.XXXXXX or base.lines.tmp.XXXXXX of its
 * versions that kept side files, or base.PID.N.tmp of the library when
 * process PID no longer runs. */
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
