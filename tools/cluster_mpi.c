/*
 * cluster_mpi.c - `dedup cluster` over the ranks of an MPI job
 * (mpirun -np N dedup cluster ... or srun), with the same output as on
 * one machine, byte for byte, for every N.
 *
 * The stages are the library's (dedup.h, section 6); MPI moves their
 * records:
 *
 *   split     Every rank computes the same split of the inputs: plain
 *             JSONL and lines files are cut into byte ranges at line
 *             starts, compressed, CSV and .txt inputs go whole, so that
 *             rank r reads a contiguous stretch of the inputs in input
 *             order. Each rank counts the lines of its stretch and an
 *             all-reduce gives each piece the line numbers before it, for
 *             messages and the ids of records without one.
 *   lines     (boilerplate on) Each rank reads its documents' line hashes;
 *             the line statistics then pass from rank 0 to rank N-1, each
 *             adding its documents in input order, which counts exactly
 *             what one machine counts; the last rank broadcasts them.
 *   sign      Each rank signs its documents into a batch of its own.
 *   bands     Band records go to the rank dedup_band_partition names (one
 *             all-to-all); each rank keeps the band values held by two or
 *             more documents and fetches those documents' records from the
 *             ranks that read them (a second all-to-all each way).
 *   pairs     dedup_batch_stage_pairs on what each rank holds.
 *   merge     dedup_components on each rank's pairs, then merged up a
 *             binary tree of ranks (links, never all the pairs, meet on
 *             rank 0); each rank gets back the links of its documents.
 *   assign    Pairs go to the rank that read their first document, which
 *             knows their component, then with the records of the
 *             components' documents to the rank that owns the component;
 *             dedup_batch_stage_assign there; each assignment goes back to
 *             the rank that read the document, with the id of its cluster's
 *             first document fetched from the rank that read that one.
 *   output    Each rank formats its documents' lines; rank 0 writes its
 *             own, then every other rank's in rank order. For the report,
 *             rank 0 gathers the documents in pairs with their ids and
 *             titles, and prints the clusters as one machine does. For
 *             --explain, each rank fetches the texts of the clusters'
 *             first documents read elsewhere.
 *
 * A bad document stops the run as on one machine: the ranks meet after
 * each reading pass, and every rank exits with the status of the first
 * rank (in input order) that failed, which printed its message.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEDUP_EXPERIMENTAL
#include "cluster.h"
#include "explain.h"

static int rank_, nranks_ = 1, active_;

/* Stage figures of this rank, for --stats. */
static struct {
    double t_split, t_lines, t_sign, t_bands, t_pairs, t_merge, t_assign, t_out;
    uint64_t bytes_sent, edges, band_recs, fetched;
} fig;

static double mark(double *acc, double since)
{
    double t = cli_now();
    *acc += t - since;
    return t;
}

int cli_mpi_init(int *argc, char ***argv)
{
    /* Launched by mpirun, srun or another process manager of MPI. */
    if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMI_SIZE") && !getenv("PMIX_RANK"))
        return 0;
    if (MPI_Init(argc, argv) != MPI_SUCCESS)
        return -1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks_);
    active_ = 1;
    return 1;
}

int cli_mpi_active(void)
{
    return active_;
}

int cli_mpi_rank(void)
{
    return rank_;
}

void cli_mpi_finalize(void)
{
    if (active_)
        MPI_Finalize();
    active_ = 0;
}

/* Stop every rank: a failure that leaves the ranks out of step. */
static void die(const char *what)
{
    cli_msg("rank %d: %s", rank_, what);
    MPI_Abort(MPI_COMM_WORLD, EXIT_INTERNAL);
    exit(EXIT_INTERNAL);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static void buf_add(cli_buf *b, const void *p, size_t n)
{
    if (cli_buf_add(b, p, n))
        die("out of memory");
}

int cluster_mpi_sync(int status)
{
    /* The failing rank first in input order (the lowest) decides. */
    int mine = status == EXIT_OK ? INT_MAX : rank_ * 256 + status, first;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return first == INT_MAX ? EXIT_OK : first % 256;
}

/* ------------------------------------------------------------ exchange */

/* Send out[d] (bytes) to every rank d (out[d] is emptied and its memory
 * released); what each rank sent here arrives in *in, rank 0's first.
 * Rounds of at most 1 GiB, and 2 GiB over all ranks, per rank keep MPI's
 * int counts and offsets in range; a single round is received in place. */
static void exchange_from(cli_buf *out, cli_buf *in, uint64_t *from)
{
    int n = nranks_;
    uint64_t round = (uint64_t)INT_MAX / (uint64_t)n;
    if (round > (uint64_t)1 << 30)
        round = (uint64_t)1 << 30;
    uint64_t *sz = calloc(3 * (size_t)n, sizeof *sz);
    if (!sz)
        die("out of memory");
    uint64_t *rz = sz + n, *rstart = rz + n;
    for (int d = 0; d < n; d++)
        sz[d] = out[d].len;
    MPI_Alltoall(sz, 1, MPI_UINT64_T, rz, 1, MPI_UINT64_T, MPI_COMM_WORLD);
    uint64_t total = 0, most = 0, rounds_to;
    for (int d = 0; d < n; d++) {
        rstart[d] = total;
        total += rz[d];
        most = sz[d] > most ? sz[d] : most;
        most = rz[d] > most ? rz[d] : most;
        if (d != rank_)
            fig.bytes_sent += sz[d];
    }
    MPI_Allreduce(&most, &rounds_to, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    in->len = 0;
    int *sc = xmalloc(4 * (size_t)n * sizeof *sc), *sd = sc + n, *rc = sd + n, *rd = rc + n;
    uint64_t done = 0;
    do {
        /* Bytes [done, done + round) of every message. */
        uint64_t spos = 0, rpos = 0;
        for (int d = 0; d < n; d++) {
            uint64_t a = sz[d] > done ? sz[d] - done : 0, b = rz[d] > done ? rz[d] - done : 0;
            sc[d] = (int)(a < round ? a : round);
            rc[d] = (int)(b < round ? b : round);
            sd[d] = (int)spos;
            rd[d] = (int)rpos;
            spos += (uint64_t)sc[d];
            rpos += (uint64_t)rc[d];
        }
        int last = done + round >= rounds_to, direct = done == 0 && last;
        char *sendp = xmalloc((size_t)spos);
        for (int d = 0; d < n; d++) {
            if (sc[d])
                memcpy(sendp + sd[d], out[d].data + done, (size_t)sc[d]);
            if (last)
                cli_buf_free(&out[d]);
        }
        /* Room for what arrives once what leaves is in one buffer. */
        if (done == 0 && cli_buf_reserve(in, (size_t)total + 1))
            die("out of memory");
        char *recvp = direct ? in->data : xmalloc((size_t)rpos);
        MPI_Alltoallv(sendp, sc, sd, MPI_BYTE, recvp, rc, rd, MPI_BYTE, MPI_COMM_WORLD);
        free(sendp);
        for (int d = 0; !direct && d < n; d++)
            if (rc[d])
                memcpy(in->data + rstart[d] + done, recvp + rd[d], (size_t)rc[d]);
        if (!direct)
            free(recvp);
        done += round;
    } while (done < rounds_to);
    in->len = (size_t)total;
    if (from) {
        memcpy(from, rstart, (size_t)n * sizeof *from);
        from[n] = total;
    }
    free(sc);
    free(sz);
}

static void exchange(cli_buf *out, cli_buf *in)
{
    exchange_from(out, in, NULL);
}

/* --------------------------------------------------------------- split */

static cli_piece *all_;    /* every rank's pieces, in input order */
static int *owner_;        /* the rank that reads each */
static size_t nall_;
static uint64_t total_;    /* raw bytes of every input */

/* Where the first line starting at or after off begins in the plain file
 * fd of size bytes. */
static uint64_t line_start(int fd, uint64_t off, uint64_t size)
{
    char b[65536];
    uint64_t at = off - 1; /* the byte before: a line starts after '\n' */
    while (at < size) {
        ssize_t n = pread(fd, b, sizeof b, (off_t)at);
        if (n <= 0)
            return size;
        char *nl = memchr(b, '\n', (size_t)n);
        if (nl)
            return at + (uint64_t)(nl - b) + 1;
        at += (uint64_t)n;
    }
    return size;
}

static int compressed(int fd)
{
    unsigned char m[4];
    ssize_t n = pread(fd, m, 4, 0);
    return (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) ||
           (n == 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd);
}

/* The rank whose share of the inputs' bytes holds byte pos. */
static int owner_of(uint64_t pos)
{
    int r = 0;
    for (int k = 1; k < nranks_; k++) {
        uint64_t b = total_ / (uint64_t)nranks_ * (uint64_t)k +
                     total_ % (uint64_t)nranks_ * (uint64_t)k / (uint64_t)nranks_;
        if (b <= pos)
            r = k;
    }
    return r;
}

static void add_piece(size_t path, uint64_t start, uint64_t end, uint64_t at)
{
    if (start == end)
        return;
    all_ = xrealloc(all_, (nall_ + 1) * sizeof *all_);
    owner_ = xrealloc(owner_, (nall_ + 1) * sizeof *owner_);
    all_[nall_] = (cli_piece){.path = path, .start = start, .end = end};
    owner_[nall_++] = owner_of(at);
}

/* The pieces of input i (size bytes, from byte g of all inputs). */
static void pieces_of(size_t i, int fd, uint64_t size, uint64_t g, int splittable)
{
    uint64_t from = 0;
    if (splittable)
        for (int k = 1; k < nranks_; k++) {
            uint64_t b = total_ / (uint64_t)nranks_ * (uint64_t)k +
                         total_ % (uint64_t)nranks_ * (uint64_t)k / (uint64_t)nranks_;
            if (b <= g || b >= g + size)
                continue;
            uint64_t cut = line_start(fd, b - g, size);
            if (cut > from) {
                add_piece(i, from, cut, g + from);
                from = cut;
            }
        }
    add_piece(i, from, size, g + from);
}

/* Lines in piece p: its newlines, and a last line without one. -1 after
 * a message. */
static int64_t piece_lines(const cluster_run *run, const cli_piece *p)
{
    char err[512], b[1 << 16];
    cli_source *s;
    const char *path = cli_reader_input(run->reader, p->path);
    if (cli_source_open_range(&s, path, p->start, p->end - p->start, err, sizeof err)) {
        cli_msg("%s", err);
        return -1;
    }
    int64_t lines = 0;
    char last = '\n';
    long n;
    while ((n = cli_source_read(s, b, sizeof b)) > 0) {
        for (const char *q = b, *e = b + n; (q = memchr(q, '\n', (size_t)(e - q))); q++)
            lines++;
        last = b[n - 1];
    }
    if (n < 0)
        cli_msg("%s", cli_source_error(s));
    cli_source_close(s);
    return n < 0 ? -1 : lines + (last != '\n');
}

/* Every rank's pieces, the same on every rank. EXIT_OK or a status after
 * a message (every rank fails alike). */
static int make_pieces(cluster_run *run, const cluster_opts *o)
{
    size_t n = cli_reader_inputs(run->reader);
    uint64_t *size = xmalloc(n * sizeof *size);
    int *split = xmalloc(n * sizeof *split), status = EXIT_OK;
    for (size_t i = 0; i < n && status == EXIT_OK; i++) {
        const char *p = cli_reader_input(run->reader, i);
        struct stat st;
        int fd = strcmp(p, "-") ? open(p, O_RDONLY | O_CLOEXEC) : -1;
        if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
            if (rank_ == 0)
                cli_msg("%s: %s", strcmp(p, "-") ? p : "(stdin)",
                        fd < 0 && strcmp(p, "-") ? strerror(errno)
                                                 : "over MPI ranks, inputs must be files");
            status = EXIT_IO;
        } else {
            size[i] = (uint64_t)st.st_size;
            split[i] = (o->io.format == CLI_FMT_JSONL || o->io.format == CLI_FMT_LINES) &&
                       !compressed(fd);
            total_ += size[i];
        }
        if (fd >= 0)
            close(fd);
    }
    for (size_t i = 0, g = 0; i < n && status == EXIT_OK; g += size[i], i++) {
        int fd = open(cli_reader_input(run->reader, i), O_RDONLY | O_CLOEXEC);
        pieces_of(i, fd, size[i], g, split[i] && fd >= 0);
        if (fd >= 0)
            close(fd);
    }
    free(size);
    free(split);
    return status;
}

int cluster_mpi_split(cluster_run *run, const cluster_opts *o)
{
    double t = cli_now();
    int status = make_pieces(run, o);
    if (status)
        return status;
    /* Lines of every piece: each rank counts its own. */
    uint64_t *mine = calloc(nall_ + 1, sizeof *mine), *lines = xmalloc((nall_ + 1) * 8);
    if (!mine)
        die("out of memory");
    for (size_t i = 0; i < nall_ && status == EXIT_OK; i++)
        if (owner_[i] == rank_ && o->io.format != CLI_FMT_FILES) {
            int64_t l = piece_lines(run, &all_[i]);
            if (l < 0)
                status = EXIT_IO;
            else
                mine[i] = (uint64_t)l;
        }
    if ((status = cluster_mpi_sync(status)) == EXIT_OK) {
        MPI_Allreduce(mine, lines, (int)nall_, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
        cli_piece *own = xmalloc((nall_ + 1) * sizeof *own);
        size_t nown = 0;
        uint64_t g = 0, l = 0;
        for (size_t i = 0; i < nall_; i++) {
            if (i == 0 || all_[i].path != all_[i - 1].path)
                l = 0;
            all_[i].line0 = l;
            all_[i].gline0 = g;
            l += lines[i];
            g += lines[i];
            if (owner_[i] == rank_)
                own[nown++] = all_[i];
        }
        if (cli_reader_set_pieces(run->reader, own, nown))
            die("out of memory");
        free(own);
    }
    free(mine);
    free(lines);
    mark(&fig.t_split, t);
    return status;
}

/* --------------------------------------------------------------- lines */

/* The width of the line statistics, as one machine picks it for the
 * inputs' total size (cmd_cluster.c, count_lines). */
static size_t lines_width(void)
{
    size_t width = total_ ? (size_t)(total_ / 32) : (size_t)1 << 24;
    if (width < ((size_t)1 << 16))
        width = (size_t)1 << 16;
    if (width > ((size_t)1 << 26))
        width = (size_t)1 << 26;
    return width;
}

/* Read this rank's documents' line hashes into h: for each document its
 * count, then its hashes. EXIT_OK or a status after a message. */
static int read_line_hashes(cluster_run *run, const cluster_opts *o, uint64_t **h, size_t *nh)
{
    int status = EXIT_OK, rc;
    size_t cap = 1 << 16, n = 0, got;
    uint64_t *v = xmalloc(cap * sizeof *v), tmp[4096];
    cli_doc d;
    while ((rc = cli_next_doc(run->reader, &d, &o->io, &run->skipped, &status)) == 1) {
        uint64_t *dst = tmp;
        size_t room = sizeof tmp / sizeof *tmp;
        int lr = dedup_linestats_hashes(d.text, d.text_len, dst, room, &got);
        if (lr == DEDUP_E_RANGE) {
            dst = xmalloc(got * sizeof *dst);
            lr = dedup_linestats_hashes(d.text, d.text_len, dst, got, &got);
        }
        if (lr)
            die("cannot count lines");
        if (d.site_len && got) { /* the lines' keys under the page's site follow */
            if (dst == tmp && 2 * got > room)
                dst = memcpy(xmalloc(2 * got * sizeof *dst), tmp, got * sizeof *dst);
            else if (dst != tmp)
                dst = xrealloc(dst, 2 * got * sizeof *dst);
            dedup_linestats_site_keys(d.site, d.site_len, dst, got, dst + got);
            got *= 2;
        }
        if (n + got + 1 > cap) {
            while (n + got + 1 > cap)
                cap *= 2;
            v = xrealloc(v, cap * sizeof *v);
        }
        v[n++] = got;
        memcpy(v + n, dst, got * sizeof *v);
        n += got;
        if (dst != tmp)
            free(dst);
    }
    *h = v;
    *nh = n;
    if (rc < 0 && status == EXIT_OK)
        status = EXIT_INTERNAL;
    return status;
}

static void send_lines(const dedup_linestats *ls, int to)
{
    size_t n = dedup_linestats_serialized_size(ls), w;
    char *b = xmalloc(n);
    if (dedup_linestats_serialize(ls, b, n, &w) || n > INT_MAX)
        die("cannot serialize the line statistics");
    MPI_Send(b, (int)n, MPI_BYTE, to, 1, MPI_COMM_WORLD);
    fig.bytes_sent += n;
    free(b);
}

static dedup_linestats *recv_lines(int from)
{
    MPI_Status st;
    int n;
    MPI_Probe(from, 1, MPI_COMM_WORLD, &st);
    MPI_Get_count(&st, MPI_BYTE, &n);
    char *b = xmalloc((size_t)n);
    MPI_Recv(b, n, MPI_BYTE, from, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    dedup_linestats *ls;
    if (dedup_linestats_deserialize(&ls, b, (size_t)n))
        die("bad line statistics received");
    free(b);
    return ls;
}

int cluster_mpi_lines(cluster_run *run, const cluster_opts *o)
{
    double t = cli_now();
    uint64_t *h = NULL;
    size_t nh = 0;
    int status = cluster_mpi_sync(read_line_hashes(run, o, &h, &nh));
    if (status) {
        free(h);
        return status;
    }
    /* In input order: rank by rank, each adding its documents. */
    if (rank_ == 0) {
        if (dedup_linestats_create(&run->lines, lines_width()))
            die("cannot create line statistics");
    } else {
        run->lines = recv_lines(rank_ - 1);
    }
    for (size_t i = 0; i < nh; i += 1 + h[i])
        if (dedup_linestats_add_hashes(run->lines, h + i + 1, (size_t)h[i]))
            die("cannot count lines");
    free(h);
    if (rank_ + 1 < nranks_)
        send_lines(run->lines, rank_ + 1);
    /* The last rank's statistics are everybody's. */
    int last = nranks_ - 1;
    size_t n = rank_ == last ? dedup_linestats_serialized_size(run->lines) : 0, w;
    uint64_t n64 = n;
    MPI_Bcast(&n64, 1, MPI_UINT64_T, last, MPI_COMM_WORLD);
    char *b = xmalloc((size_t)n64);
    if (rank_ == last && dedup_linestats_serialize(run->lines, b, n, &w))
        die("cannot serialize the line statistics");
    MPI_Bcast(b, (int)n64, MPI_BYTE, last, MPI_COMM_WORLD);
    if (rank_ != last) {
        dedup_linestats_free(run->lines);
        if (dedup_linestats_deserialize(&run->lines, b, (size_t)n64))
            die("bad line statistics received");
    }
    free(b);
    if (cli_reader_rewind(run->reader)) {
        cli_msg("%s", cli_reader_error(run->reader));
        status = EXIT_IO;
    }
    run->skipped = 0;
    mark(&fig.t_lines, t);
    return cluster_mpi_sync(status);
}

/* ------------------------------------------------------------- cluster */

static uint64_t *starts_; /* starts_[r]: rank r's first document; [N]: all */

/* The rank that read document doc. */
static int home_of(uint64_t doc)
{
    int lo = 0, hi = nranks_ - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (starts_[mid] <= doc)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* The rank that assigns the component whose smallest document is root. */
static int comp_owner(uint64_t root)
{
    uint64_t x = root * 0x9e3779b97f4a7c15ULL;
    x ^= x >> 29;
    return (int)(((x >> 32) * (uint64_t)nranks_) >> 32);
}

/* Sort n records of size bytes (8 or 16) stably by the 64-bit value at
 * their start: LSD radix sort, 8 bits a pass, skipping the passes in
 * which every value has the same digit. */
static void sort_records(void *v, size_t n, size_t size)
{
    unsigned char *tmp = xmalloc((n ? n : 1) * size), *a = v, *b = tmp;
    for (unsigned shift = 0; shift < 64; shift += 8) {
        size_t count[257] = {0};
        uint64_t k;
        for (size_t i = 0; i < n; i++) {
            memcpy(&k, a + i * size, 8);
            count[(k >> shift & 0xff) + 1]++;
        }
        int same = 0;
        for (int d = 1; d <= 256; d++)
            same |= count[d] == n;
        if (same)
            continue;
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++) {
            memcpy(&k, a + i * size, 8);
            memcpy(b + count[k >> shift & 0xff]++ * size, a + i * size, size);
        }
        unsigned char *t = a;
        a = b;
        b = t;
    }
    if (a != (unsigned char *)v)
        memcpy(v, a, n * size);
    free(tmp);
}

static void sort_u64(uint64_t *v, size_t n)
{
    sort_records(v, n, sizeof *v);
}

/* Sort v[0..n) and drop repeats; the new count. */
static size_t sort_unique(uint64_t *v, size_t n)
{
    sort_u64(v, n);
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (!w || v[w - 1] != v[i])
            v[w++] = v[i];
    return w;
}

/* Group n band records by band and value (their bytes read as one 64-bit
 * number, the order dedup_batch_stage_unsure takes without sorting
 * again), stably: they arrive in document order (each rank's in order,
 * ranks in order), so each band value's documents stay in order. */
static void sort_bands(dedup_band_record *r, size_t n)
{
    sort_records(r, n, sizeof *r);
}

/* The band records this rank holds (dedup_band_partition), keeping those
 * of band values two or more documents share, and the records of their
 * documents, fetched from the ranks that read them. */
static void bands_and_records(cluster_run *run, cli_buf *out, cli_buf *keep, cli_buf *recs)
{
    dedup_batch *b = run->batch;
    size_t n = run->ids.count, rsize = dedup_batch_record_size(b);
    unsigned char *rec = xmalloc(rsize);
    dedup_band_record *br = xmalloc(dedup_batch_bands(b) * sizeof *br);
    for (size_t i = 0; i < n; i++) {
        dedup_batch_record(b, i, starts_[rank_] + i, rec);
        size_t k = dedup_batch_band_records(b, rec, br);
        for (size_t j = 0; j < k; j++)
            buf_add(&out[dedup_band_partition(&br[j], (uint32_t)nranks_)], &br[j], sizeof *br);
    }
    exchange(out, keep);
    dedup_band_record *r = (dedup_band_record *)(void *)keep->data;
    size_t nr = keep->len / sizeof *r, nk = 0;
    fig.band_recs = nr;
    sort_bands(r, nr);
    for (size_t i = 0, e; i < nr; i = e) {
        for (e = i + 1; e < nr && r[e].band == r[i].band && r[e].key == r[i].key; e++)
            ;
        if (e - i >= 2) {
            memmove(r + nk, r + i, (e - i) * sizeof *r);
            nk += e - i;
        }
    }
    keep->len = nk * sizeof *r;
    /* Most band values are one document's: give their memory back. */
    char *shrunk = realloc(keep->data, keep->len + 1);
    if (shrunk) {
        keep->data = shrunk;
        keep->cap = keep->len + 1;
    }
    uint64_t *need = xmalloc((nk ? nk : 1) * sizeof *need);
    for (size_t i = 0; i < nk; i++)
        need[i] = r[i].doc;
    size_t nn = sort_unique(need, nk);
    fig.fetched = nn;
    for (size_t i = 0; i < nn; i++)
        buf_add(&out[home_of(need[i])], &need[i], sizeof *need);
    free(need);
    /* Answer the requests, each rank's in its order. */
    cli_buf req = {0};
    uint64_t *from = xmalloc(((size_t)nranks_ + 1) * sizeof *from);
    exchange_from(out, &req, from);
    for (int d = 0; d < nranks_; d++)
        for (uint64_t at = from[d]; at < from[d + 1]; at += sizeof(uint64_t)) {
            uint64_t doc;
            memcpy(&doc, req.data + at, sizeof doc);
            dedup_batch_record(b, doc - starts_[rank_], doc, rec);
            buf_add(&out[d], rec, rsize);
        }
    exchange(out, recs);
    cli_buf_free(&req);
    free(from);
    free(br);
    free(rec);
}

/* Every rank's dedup_batch_stage_unsure records (few: documents of band
 * values held by more documents than a run pairs in full), on every rank,
 * so that each pair is compared once, in the first band proposing it. */
static void all_unsure(const dedup_batch *b, const dedup_band_record *kr, size_t nk,
                       cli_buf *all)
{
    dedup_band_record *u;
    size_t nu;
    if (dedup_batch_stage_unsure(b, kr, nk, &u, &nu))
        die("cannot find the unsure documents");
    int mine = nu * sizeof *u > INT_MAX ? -1 : (int)(nu * sizeof *u);
    int *count = xmalloc(2 * (size_t)nranks_ * sizeof *count), *disp = count + nranks_;
    MPI_Allgather(&mine, 1, MPI_INT, count, 1, MPI_INT, MPI_COMM_WORLD);
    uint64_t total = 0;
    for (int r = 0; r < nranks_; r++) {
        if (count[r] < 0 || total + (uint64_t)count[r] > INT_MAX)
            die("too many documents in long runs of equal band values");
        disp[r] = (int)total;
        total += (uint64_t)count[r];
    }
    all->len = 0;
    if (cli_buf_reserve(all, (size_t)total + 1))
        die("out of memory");
    MPI_Allgatherv(u, mine, MPI_BYTE, all->data, count, disp, MPI_BYTE, MPI_COMM_WORLD);
    all->len = (size_t)total;
    fig.bytes_sent += (uint64_t)mine * (uint64_t)(nranks_ - 1);
    dedup_free(u);
    free(count);
}

static void send_links(const dedup_link *l, size_t n, int to)
{
    uint64_t n64 = n;
    MPI_Send(&n64, 1, MPI_UINT64_T, to, 2, MPI_COMM_WORLD);
    const char *p = (const char *)l;
    for (uint64_t left = n64 * sizeof *l; left;) {
        int c = left > (1u << 30) ? 1 << 30 : (int)left;
        MPI_Send(p, c, MPI_BYTE, to, 3, MPI_COMM_WORLD);
        fig.bytes_sent += (uint64_t)c;
        p += c;
        left -= (uint64_t)c;
    }
}

static dedup_link *recv_links(int from, size_t *n)
{
    uint64_t n64;
    MPI_Recv(&n64, 1, MPI_UINT64_T, from, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    dedup_link *l = xmalloc((size_t)n64 * sizeof *l);
    char *p = (char *)l;
    for (uint64_t left = n64 * sizeof *l; left;) {
        int c = left > (1u << 30) ? 1 << 30 : (int)left;
        MPI_Recv(p, c, MPI_BYTE, from, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        p += c;
        left -= (uint64_t)c;
    }
    *n = (size_t)n64;
    return l;
}

/* The components of every rank's pairs: merged up a binary tree of ranks
 * (links, one per document in a pair, meet on rank 0, never the pairs),
 * then each rank gets the links of the documents it read. */
static dedup_link *components(const dedup_edge *e, size_t ne, cli_buf *out, size_t *nl)
{
    dedup_link *l = xmalloc((ne ? ne : 1) * sizeof *l), *c;
    for (size_t i = 0; i < ne; i++)
        l[i] = (dedup_link){e[i].a, e[i].b};
    if (dedup_components(l, ne, &c, nl))
        die("out of memory");
    free(l);
    for (int step = 1; step < nranks_; step *= 2) {
        if (rank_ % (2 * step) == step) {
            send_links(c, *nl, rank_ - step);
            break;
        }
        if (rank_ + step < nranks_) {
            size_t n2;
            dedup_link *l2 = recv_links(rank_ + step, &n2);
            l = xmalloc((*nl + n2 + 1) * sizeof *l);
            memcpy(l, c, *nl * sizeof *l);
            memcpy(l + *nl, l2, n2 * sizeof *l);
            free(l2);
            dedup_free(c);
            if (dedup_components(l, *nl + n2, &c, nl))
                die("out of memory");
            free(l);
        }
    }
    /* Each rank gets the links of the documents it read: rank 0's links
     * are sorted by document, so each rank's are one stretch. */
    if (rank_ == 0)
        for (size_t k = 0; k < *nl; k++)
            buf_add(&out[home_of(c[k].doc)], &c[k], sizeof *c);
    dedup_free(c);
    cli_buf mine = {0};
    exchange(out, &mine);
    *nl = mine.len / sizeof(dedup_link);
    return (dedup_link *)(void *)mine.data;
}

static uint64_t root_of(const dedup_link *l, size_t n, uint64_t d)
{
    size_t at = dedup_links_find(l, n, d);
    return at < n && l[at].doc == d ? l[at].root : d;
}

/* Cluster sizes seen by the ranks that assign: the largest and the count
 * in each size class of print_stats (from 2 up). */
static struct {
    uint64_t largest, hist[7], verified;
} sizes;

static void count_sizes(const dedup_assignment *a, size_t na)
{
    static const uint64_t upper[] = {1, 2, 5, 10, 100, 1000, UINT64_MAX};
    uint64_t *c = xmalloc((na ? na : 1) * sizeof *c);
    for (size_t i = 0; i < na; i++)
        c[i] = a[i].cluster;
    sort_u64(c, na);
    for (size_t i = 0, e; i < na; i = e) {
        for (e = i + 1; e < na && c[e] == c[i]; e++)
            ;
        uint64_t s = e - i, k = 0;
        while (s > upper[k])
            k++;
        sizes.hist[k]++;
        if (s > sizes.largest)
            sizes.largest = s;
    }
    free(c);
}

/* The assignments of the documents of this rank's components, sent back
 * to the ranks that read them; into *in. */
static void assign(cluster_run *run, cli_buf *out, const dedup_edge *e, size_t ne,
                   const dedup_link *l, size_t nl, cli_buf *in)
{
    dedup_batch *b = run->batch;
    size_t n = run->ids.count, rsize = dedup_batch_record_size(b);
    /* Each pair to the rank that read its first document, which knows
     * the component's root, and from there to the component's owner. */
    cli_buf edges = {0}, recs = {0};
    for (size_t i = 0; i < ne; i++)
        buf_add(&out[home_of(e[i].a)], &e[i], sizeof *e);
    exchange(out, &edges);
    const dedup_edge *he = (const dedup_edge *)(void *)edges.data;
    for (size_t i = 0; i < edges.len / sizeof *he; i++)
        buf_add(&out[comp_owner(root_of(l, nl, he[i].a))], &he[i], sizeof *he);
    exchange(out, &edges);
    int64_t mode = DEDUP_CLUSTER_REPRESENTATIVE;
    dedup_params_get(run->params, DEDUP_P_CLUSTER_MODE, &mode);
    if (mode == DEDUP_CLUSTER_REPRESENTATIVE) {
        unsigned char *rec = xmalloc(rsize);
        uint64_t base = starts_[rank_];
        for (size_t k = dedup_links_find(l, nl, base); k < nl && l[k].doc < base + n; k++) {
            dedup_batch_record(b, l[k].doc - base, l[k].doc, rec);
            buf_add(&out[comp_owner(l[k].root)], rec, rsize);
        }
        free(rec);
    }
    exchange(out, &recs);
    dedup_assignment *a;
    size_t na;
    const dedup_edge *ge = (const dedup_edge *)(void *)edges.data;
    size_t nge = edges.len / sizeof *ge;
    if (dedup_batch_stage_assign(b, recs.data, recs.len / rsize, ge, nge, &a, &na))
        die("cannot assign the clusters");
    count_sizes(a, na);
    /* Distinct pairs (the same pair may have met in several bands), for
     * --stats: counted by a 64-bit digest of each pair, whose collisions
     * (about n^2 / 2^65) do not show at any corpus size. */
    uint64_t *pd = xmalloc((nge ? nge : 1) * sizeof *pd);
    for (size_t i = 0; i < nge; i++) {
        uint64_t x = ge[i].a * 0x9e3779b97f4a7c15ULL + ge[i].b;
        x ^= x >> 31;
        x *= 0xbf58476d1ce4e5b9ULL;
        pd[i] = x ^ x >> 29;
    }
    sizes.verified += sort_unique(pd, nge);
    free(pd);
    for (size_t i = 0; i < na; i++)
        buf_add(&out[home_of(a[i].doc)], &a[i], sizeof *a);
    dedup_free(a);
    exchange(out, in);
    cli_buf_free(&edges);
    cli_buf_free(&recs);
}

static uint64_t *far_;       /* numbers of the clusters read by other ranks */

/* Each document's cluster from the assignments a[0..na) of this rank's
 * documents: run->rep and run->sim, with the ids of clusters read by other
 * ranks fetched into run->foreign. */
static void results(cluster_run *run, cli_buf *out, const dedup_assignment *a, size_t na)
{
    size_t n = run->ids.count;
    uint64_t base = starts_[rank_];
    run->rep = xmalloc((n ? n : 1) * sizeof *run->rep);
    run->sim = xmalloc((n ? n : 1) * sizeof *run->sim);
    uint64_t *far = xmalloc((na ? na : 1) * sizeof *far);
    size_t nf = 0;
    for (size_t i = 0; i < n; i++) {
        run->rep[i] = i;
        run->sim[i] = 1.0;
    }
    for (size_t i = 0; i < na; i++) {
        if (a[i].cluster < base || a[i].cluster >= base + n)
            far[nf++] = a[i].cluster;
        run->sim[a[i].doc - base] = a[i].sim;
    }
    nf = sort_unique(far, nf);
    free(far_);
    far_ = far;
    free(run->paired);
    run->paired = calloc(n ? n : 1, 1);
    if (!run->paired)
        die("out of memory");
    for (size_t i = 0; i < na; i++)
        run->paired[a[i].doc - base] = 1;
    /* Requests in increasing order, so the answers, rank by rank, come
     * back in the order of far. */
    for (size_t i = 0; i < nf; i++)
        buf_add(&out[home_of(far[i])], &far[i], sizeof *far);
    cli_buf req = {0}, ans = {0};
    uint64_t *from = xmalloc(((size_t)nranks_ + 1) * sizeof *from);
    exchange_from(out, &req, from);
    for (int d = 0; d < nranks_; d++)
        for (uint64_t at = from[d]; at < from[d + 1]; at += sizeof(uint64_t)) {
            uint64_t doc;
            int kind;
            memcpy(&doc, req.data + at, sizeof doc);
            const char *id = cli_ids_get(&run->ids, doc - base, &kind);
            uint32_t len = (uint32_t)strlen(id);
            unsigned char k = (unsigned char)kind;
            buf_add(&out[d], &k, 1);
            buf_add(&out[d], &len, sizeof len);
            buf_add(&out[d], id, len);
        }
    exchange(out, &ans);
    for (size_t at = 0, i = 0; i < nf; i++) {
        uint32_t len;
        unsigned char k = (unsigned char)ans.data[at];
        memcpy(&len, ans.data + at + 1, sizeof len);
        if (cli_ids_push(&run->foreign, ans.data + at + 5, len, k))
            die("out of memory");
        at += 5 + len;
    }
    for (size_t i = 0; i < na; i++) {
        uint64_t c = a[i].cluster;
        size_t *r = &run->rep[a[i].doc - base];
        if (c >= base && c < base + n) {
            *r = (size_t)(c - base);
        } else {
            size_t lo = 0, hi = nf;
            while (lo < hi) {
                size_t m = lo + (hi - lo) / 2;
                if (far[m] < c)
                    lo = m + 1;
                else
                    hi = m;
            }
            *r = n + lo;
        }
    }
    free(from);
    cli_buf_free(&req);
    cli_buf_free(&ans);
}

int cluster_mpi_cluster(cluster_run *run, const cluster_opts *o)
{
    (void)o;
    double t = cli_now();
    fig.t_sign = t - run->t0;
    uint64_t n = run->ids.count;
    starts_ = xmalloc(((size_t)nranks_ + 1) * sizeof *starts_);
    MPI_Allgather(&n, 1, MPI_UINT64_T, starts_, 1, MPI_UINT64_T, MPI_COMM_WORLD);
    for (uint64_t acc = 0, i = 0; i <= (uint64_t)nranks_; i++) {
        uint64_t c = i < (uint64_t)nranks_ ? starts_[i] : 0;
        starts_[i] = acc;
        acc += c;
    }
    cli_buf *out = calloc((size_t)nranks_, sizeof *out);
    cli_buf keep = {0}, recs = {0}, got = {0};
    if (!out)
        die("out of memory");
    bands_and_records(run, out, &keep, &recs);
    t = mark(&fig.t_bands, t);
    dedup_edge *e;
    size_t ne, nl;
    size_t rsize = dedup_batch_record_size(run->batch);
    const dedup_band_record *kr = (const dedup_band_record *)(void *)keep.data;
    size_t nk = keep.len / sizeof *kr;
    cli_buf unsure = {0};
    all_unsure(run->batch, kr, nk, &unsure);
    if (dedup_batch_stage_pairs(run->batch, kr, nk, recs.data, recs.len / rsize,
                                (const dedup_band_record *)(void *)unsure.data,
                                unsure.len / sizeof(dedup_band_record), &e, &ne))
        die("cannot find the pairs");
    cli_buf_free(&unsure);
    cli_buf_free(&keep);
    cli_buf_free(&recs);
    fig.edges = ne;
    t = mark(&fig.t_pairs, t);
    dedup_link *l = components(e, ne, out, &nl);
    t = mark(&fig.t_merge, t);
    assign(run, out, e, ne, l, nl, &got);
    dedup_free(e);
    free(l);
    results(run, out, (const dedup_assignment *)(void *)got.data,
            got.len / sizeof(dedup_assignment));
    cli_buf_free(&got);
    for (int d = 0; d < nranks_; d++)
        cli_buf_free(&out[d]);
    free(out);
    /* The records are done with. */
    dedup_batch_free(run->batch);
    run->batch = NULL;
    mark(&fig.t_assign, t);
    return EXIT_OK;
}

/* ------------------------------------------------------------- explain */

/* The texts and sites of this rank's documents wanted[i] set, read again
 * (the reader is left at the start). NULL entries elsewhere. EXIT_OK or a
 * status after a message. */
static int read_texts(cluster_run *run, const cluster_opts *o, const unsigned char *wanted,
                      char **text, size_t *len, char **site, size_t *slen)
{
    uint64_t skipped = 0;
    size_t i = 0, n = run->ids.count;
    cli_doc d;
    int rc, st = EXIT_OK;
    if (cli_reader_rewind(run->reader)) {
        cli_msg("%s", cli_reader_error(run->reader));
        return EXIT_IO;
    }
    while (i < n && (rc = cli_next_doc(run->reader, &d, &o->io, &skipped, &st)) == 1) {
        if (wanted[i]) {
            text[i] = xmalloc(d.text_len + 1);
            memcpy(text[i], d.text, d.text_len);
            len[i] = d.text_len;
            site[i] = xmalloc(d.site_len + 1);
            if (d.site_len)
                memcpy(site[i], d.site, d.site_len);
            slen[i] = d.site_len;
        }
        i++;
    }
    /* The caller reads the input from its start next. */
    if (cli_reader_rewind(run->reader)) {
        cli_msg("%s", cli_reader_error(run->reader));
        return EXIT_IO;
    }
    return st;
}

int cluster_mpi_far_sides(cluster_run *run, const cluster_opts *o, dedup_hasher *h,
                          struct cli_side **open)
{
    size_t n = run->ids.count, nf = run->foreign.count;
    uint64_t base = starts_[rank_];
    cli_buf *out = calloc((size_t)nranks_, sizeof *out), req = {0}, ans = {0};
    uint64_t *from = xmalloc(((size_t)nranks_ + 1) * sizeof *from);
    unsigned char *wanted = calloc(n ? n : 1, 1);
    char **text = calloc(n ? n : 1, sizeof *text), **site = calloc(n ? n : 1, sizeof *site);
    size_t *len = calloc(n ? n : 1, sizeof *len), *slen = calloc(n ? n : 1, sizeof *slen);
    if (!out || !wanted || !text || !len || !site || !slen)
        die("out of memory");
    /* far_ is sorted: the answers come back rank by rank in its order. */
    for (size_t j = 0; j < nf; j++)
        buf_add(&out[home_of(far_[j])], &far_[j], sizeof *far_);
    exchange_from(out, &req, from);
    for (size_t at = 0; at < req.len; at += 8) {
        uint64_t doc;
        memcpy(&doc, req.data + at, 8);
        wanted[doc - base] = 1;
    }
    int status = read_texts(run, o, wanted, text, len, site, slen);
    for (int d = 0; d < nranks_; d++)
        for (uint64_t at = from[d]; at < from[d + 1]; at += 8) {
            uint64_t doc;
            memcpy(&doc, req.data + at, 8);
            size_t i = (size_t)(doc - base);
            uint64_t l = text[i] ? len[i] : 0, sl = text[i] ? slen[i] : 0;
            buf_add(&out[d], &l, 8);
            if (l)
                buf_add(&out[d], text[i], (size_t)l);
            buf_add(&out[d], &sl, 8);
            if (sl)
                buf_add(&out[d], site[i], (size_t)sl);
        }
    exchange(out, &ans);
    for (size_t at = 0, j = 0; j < nf && status == EXIT_OK; j++) {
        uint64_t l;
        memcpy(&l, ans.data + at, 8);
        cli_side *side = calloc(1, sizeof *side);
        if (!side || !(side->text = malloc((size_t)l + 1)))
            die("out of memory");
        memcpy(side->text, ans.data + at + 8, (size_t)l);
        side->text_len = (size_t)l;
        at += 8 + (size_t)l;
        uint64_t sl;
        memcpy(&sl, ans.data + at, 8);
        if (sl) {
            side->site = cli_strndup(ans.data + at + 8, (size_t)sl);
            if (!side->site)
                die("out of memory");
            side->site_len = (size_t)sl;
        }
        at += 8 + (size_t)sl;
        if (cli_side_analyse(h, side))
            die("out of memory");
        open[n + j] = side;
    }
    for (size_t i = 0; i < n; i++) {
        free(text[i]);
        free(site[i]);
    }
    for (int d = 0; d < nranks_; d++)
        cli_buf_free(&out[d]);
    free(out);
    free(text);
    free(len);
    free(site);
    free(slen);
    free(wanted);
    free(from);
    cli_buf_free(&req);
    cli_buf_free(&ans);
    return status == EXIT_OK ? 0 : -1;
}

/* -------------------------------------------------------------- report */

/* One document that the report may show, as rank 0 receives it. */
typedef struct {
    uint64_t cluster, doc;
    double sim;
    const char *id, *title;
    uint32_t il, tl;
} shown;

static int by_cluster(const void *a, const void *b)
{
    const shown *x = a, *y = b;
    if (x->cluster != y->cluster)
        return x->cluster < y->cluster ? -1 : 1;
    return (x->doc > y->doc) - (x->doc < y->doc);
}

typedef struct {
    uint64_t rep, size;
    size_t first; /* its first member in the sorted shown documents */
} shown_cluster;

static int by_size(const void *a, const void *b)
{
    const shown_cluster *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return (x->rep > y->rep) - (x->rep < y->rep);
}

/* This rank's documents that the report may show (every one in a pair,
 * every one with --min-size 1), with their ids and titles, to rank 0. */
static int report_entries(cluster_run *run, const cluster_opts *o, cli_buf *out)
{
    size_t n = run->ids.count, i = 0;
    uint64_t base = starts_[rank_], skipped = 0;
    cli_doc d;
    cli_buf t = {0};
    int rc, st = EXIT_OK;
    if (cli_reader_rewind(run->reader)) {
        cli_msg("%s", cli_reader_error(run->reader));
        return EXIT_IO;
    }
    while (i < n && (rc = cli_next_doc(run->reader, &d, &o->io, &skipped, &st)) == 1) {
        if (o->min_size <= 1 || run->paired[i]) {
            size_t r = run->rep[i];
            uint64_t c = r < n ? base + r : far_[r - n], doc = base + i;
            const char *id = cli_ids_get(&run->ids, i, NULL);
            uint32_t il = (uint32_t)strlen(id), tl;
            t.len = 0;
            if (d.title ? cluster_first_line(&t, d.title, d.title_len, 100)
                        : cluster_first_line(&t, d.text, d.text_len, 100))
                die("out of memory");
            tl = (uint32_t)strlen(t.data);
            buf_add(out, &c, 8);
            buf_add(out, &doc, 8);
            buf_add(out, &run->sim[i], 8);
            buf_add(out, &il, 4);
            buf_add(out, id, il);
            buf_add(out, &tl, 4);
            buf_add(out, t.data, tl);
        }
        i++;
    }
    cli_buf_free(&t);
    return st;
}

/* Rank 0: the report of the documents received, as one machine prints it. */
static void report_print(const cli_buf *in, const cluster_opts *o, uint64_t ndocs,
                         uint64_t nclusters)
{
    size_t n = 0, cap = 1024;
    shown *s = xmalloc(cap * sizeof *s);
    for (size_t at = 0; at < in->len; n++) {
        if (n == cap)
            s = xrealloc(s, (cap *= 2) * sizeof *s);
        shown *e = &s[n];
        memcpy(&e->cluster, in->data + at, 8);
        memcpy(&e->doc, in->data + at + 8, 8);
        memcpy(&e->sim, in->data + at + 16, 8);
        memcpy(&e->il, in->data + at + 24, 4);
        e->id = in->data + at + 28;
        memcpy(&e->tl, in->data + at + 28 + e->il, 4);
        e->title = in->data + at + 32 + e->il;
        at += 32 + (size_t)e->il + e->tl;
    }
    qsort(s, n, sizeof *s, by_cluster);
    shown_cluster *c = xmalloc((n ? n : 1) * sizeof *c);
    size_t nc = 0;
    for (size_t i = 0, e; i < n; i = e) {
        for (e = i + 1; e < n && s[e].cluster == s[i].cluster; e++)
            ;
        if (e - i >= o->min_size)
            c[nc++] = (shown_cluster){s[i].cluster, e - i, i};
    }
    qsort(c, nc, sizeof *c, by_size);
    printf("%llu documents in %llu clusters; shown: the %zu clusters of %zu or more "
           "documents, largest first\n",
           (unsigned long long)ndocs, (unsigned long long)nclusters, nc, o->min_size);
    for (size_t k = 0; k < nc; k++) {
        printf("\ncluster %zu: %llu documents\n", k + 1, (unsigned long long)c[k].size);
        for (size_t m = c[k].first; m < c[k].first + c[k].size; m++) {
            printf("  %.3f  ", s[m].sim);
            cli_put_safe(stdout, s[m].id, s[m].il);
            fputs("  ", stdout);
            cli_put_safe(stdout, s[m].title, s[m].tl);
            putchar('\n');
        }
    }
    free(c);
    free(s);
}

/* --output report over ranks: rank 0 gathers what it shows. */
static int mpi_report(cluster_run *run, const cluster_opts *o)
{
    cli_buf *out = calloc((size_t)nranks_, sizeof *out), in = {0};
    if (!out)
        die("out of memory");
    int status = cluster_mpi_sync(report_entries(run, o, &out[0]));
    if (status == EXIT_OK) {
        uint64_t mine[2] = {run->ids.count, 0}, sum[2];
        for (size_t i = 0; i < run->ids.count; i++)
            mine[1] += run->rep[i] == i;
        MPI_Reduce(mine, sum, 2, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
        exchange(out, &in);
        if (rank_ == 0)
            report_print(&in, o, sum[0], sum[1]);
    }
    for (int d = 0; d < nranks_; d++)
        cli_buf_free(&out[d]);
    free(out);
    cli_buf_free(&in);
    return status;
}

/* -------------------------------------------------------------- output */

/* Rank r > 0: this rank's output, written to a temporary file, to rank 0
 * in pieces of up to 4 MiB, then an empty piece. */
static int send_output(cluster_run *run, const cluster_opts *o)
{
    char path[] = "/tmp/dedup-mpi-XXXXXX";
    const char *dir = getenv("TMPDIR");
    char dpath[4096];
    snprintf(dpath, sizeof dpath, "%s/dedup-mpi-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(dir && *dir ? dpath : path);
    if (fd < 0)
        die("cannot create a temporary file for the output");
    unlink(dir && *dir ? dpath : path);
    fflush(stdout);
    int saved = dup(1);
    if (saved < 0 || dup2(fd, 1) < 0)
        die("cannot redirect the output");
    int status = cluster_write(run, o);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    static char b[4 << 20];
    ssize_t n;
    off_t at = 0;
    while ((n = pread(fd, b, sizeof b, at)) > 0) {
        MPI_Send(b, (int)n, MPI_BYTE, 0, 4, MPI_COMM_WORLD);
        at += n;
    }
    MPI_Send(b, 0, MPI_BYTE, 0, 4, MPI_COMM_WORLD);
    close(fd);
    return status;
}

static void recv_output(int from)
{
    static char b[4 << 20];
    for (;;) {
        MPI_Status st;
        int n;
        MPI_Recv(b, (int)sizeof b, MPI_BYTE, from, 4, MPI_COMM_WORLD, &st);
        MPI_Get_count(&st, MPI_BYTE, &n);
        if (n == 0)
            break;
        fwrite(b, 1, (size_t)n, stdout);
    }
}

/* --stats over every rank, on rank 0's stderr. */
static void print_stats(const cluster_run *run, const cluster_opts *o, uint64_t replaced)
{
    enum { NSUM = 14 };
    uint64_t reps = 0, n = run->ids.count;
    for (size_t i = 0; i < n; i++)
        reps += run->rep[i] == i;
    uint64_t mine[NSUM] = {n, run->skipped, run->dup_ids, reps, sizes.verified, replaced,
                           cli_reader_raw_bytes(run->reader), cli_reader_bytes(run->reader)};
    for (int k = 1; k < 7; k++)
        mine[7 + k] = sizes.hist[k];
    uint64_t sum[NSUM], largest;
    MPI_Reduce(mine, sum, NSUM, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Reduce(&sizes.largest, &largest, 1, MPI_UINT64_T, MPI_MAX, 0, MPI_COMM_WORLD);
    /* Per rank: seconds per stage, bytes sent, peak memory. */
    double row[12] = {fig.t_split, fig.t_lines, fig.t_sign, fig.t_bands, fig.t_pairs,
                      fig.t_merge, fig.t_assign, fig.t_out, (double)fig.bytes_sent,
                      (double)cli_peak_rss(), (double)n, (double)fig.band_recs};
    double *rows = rank_ == 0 ? xmalloc((size_t)nranks_ * sizeof row) : NULL;
    MPI_Gather(row, 12, MPI_DOUBLE, rows, 12, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (rank_ != 0)
        return;
    uint64_t multi = 0;
    for (int k = 1; k < 7; k++)
        multi += sum[7 + k];
    if (largest == 0)
        largest = sum[0] ? 1 : 0;
    static const char *const label[] = {"1", "2", "3-5", "6-10", "11-100", "101-1000", ">1000"};
    uint64_t hist[7] = {sum[3] - multi};
    for (int k = 1; k < 7; k++)
        hist[k] = sum[7 + k];
    int json = o->stats == 2;
    fprintf(stderr,
            json ? "{\"documents\":%llu,\"skipped\":%llu,\"duplicate_ids\":%llu,\"clusters\":%llu,"
                   "\"duplicates\":%llu,\"largest_cluster\":%llu,\"cluster_sizes\":{"
                 : "documents        %llu\nskipped          %llu\nduplicate ids    %llu\n"
                   "clusters         %llu\nduplicates       %llu\nlargest cluster  %llu\n"
                   "cluster sizes   ",
            (unsigned long long)sum[0], (unsigned long long)sum[1], (unsigned long long)sum[2],
            (unsigned long long)sum[3], (unsigned long long)(sum[0] - sum[3]),
            (unsigned long long)largest);
    for (int k = 0, first = 1; k < 7; k++)
        if (hist[k]) {
            fprintf(stderr, json ? "%s\"%s\":%llu" : "%s%s:%llu", json && !first ? "," : " ",
                    label[k], (unsigned long long)hist[k]);
            first = 0;
        }
    fprintf(stderr,
            json ? "},\"verified_pairs\":%llu,\"invalid_utf8\":%llu,\"bytes_read\":%llu,"
                   "\"bytes_decompressed\":%llu,\"ranks\":["
                 : "\nverified pairs   %llu\ninvalid utf-8    %llu\n"
                   "bytes read       %llu (%llu decompressed)\n"
                   "rank  docs      split  lines  sign   bands  pairs  merge  assign output"
                   "  sent/doc  peak MB\n",
            (unsigned long long)sum[4], (unsigned long long)sum[5], (unsigned long long)sum[6],
            (unsigned long long)sum[7]);
    for (int r = 0; r < nranks_; r++) {
        const double *x = rows + 12 * r;
        double per = x[10] > 0 ? x[8] / x[10] : 0;
        if (json)
            fprintf(stderr,
                    "%s{\"rank\":%d,\"documents\":%.0f,\"band_records\":%.0f,\"seconds\":{"
                    "\"split\":%.3f,\"lines\":%.3f,\"read_sign\":%.3f,\"bands\":%.3f,"
                    "\"pairs\":%.3f,\"merge\":%.3f,\"assign\":%.3f,\"output\":%.3f},"
                    "\"bytes_sent\":%.0f,\"peak_memory_bytes\":%.0f}",
                    r ? "," : "", r, x[10], x[11], x[0], x[1], x[2], x[3], x[4], x[5], x[6],
                    x[7], x[8], x[9]);
        else
            fprintf(stderr,
                    "%-5d %-9.0f %-6.3f %-6.3f %-6.3f %-6.3f %-6.3f %-6.3f %-6.3f %-6.3f "
                    "%-9.0f %.1f\n",
                    r, x[10], x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], per, x[9] / 1e6);
    }
    if (json)
        fputs("]}\n", stderr);
    free(rows);
}

int cluster_mpi_write(cluster_run *run, const cluster_opts *o, uint64_t replaced)
{
    double t = cli_now();
    int status;
    if (o->output == OUT_REPORT) {
        if (rank_ == 0) {
            static char outbuf[1 << 16];
            setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
        }
        status = mpi_report(run, o);
        if (rank_ == 0 && (fflush(stdout) || ferror(stdout))) {
            cli_msg("cannot write the output");
            status = EXIT_IO;
        }
    } else if (rank_ == 0) {
        static char outbuf[1 << 16];
        setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
        status = cluster_write(run, o);
        for (int r = 1; r < nranks_; r++)
            recv_output(r);
        if (fflush(stdout) || ferror(stdout)) {
            cli_msg("cannot write the output");
            status = EXIT_IO;
        }
    } else {
        status = send_output(run, o);
    }
    mark(&fig.t_out, t);
    status = cluster_mpi_sync(status);
    if (o->stats)
        print_stats(run, o, replaced);
    return status;
}
