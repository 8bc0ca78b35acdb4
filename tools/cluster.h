/*
 * cluster.h - what the parts of `dedup cluster` share: the command line,
 * the state of a run, and the steps that the run on one machine
 * (cmd_cluster.c) and the run over MPI ranks (cluster_mpi.c) both take.
 */
#ifndef DEDUP_CLI_CLUSTER_H
#define DEDUP_CLI_CLUSTER_H

#include <pthread.h>
#include <stdatomic.h>

#include "cli.h"
#include "input.h"

/* --output */
enum { OUT_TSV, OUT_JSONL, OUT_REPORT };


#define CHUNK_DOCS 4096
#define CHUNK_BYTES ((size_t)16 << 20)

/* Documents read but not yet signed. */
typedef struct chunk {
    cli_buf text;
    size_t *off;       /* n + 1 offsets into text */
    cli_buf site;      /* the documents' sites (cli_doc.site), */
    size_t *soff;      /* n + 1 offsets into site */
    const char **file; /* for the UTF-8 warning */
    uint64_t *line;
    size_t n;
    size_t base;       /* batch position of the first document */
} chunk;

typedef struct pool {
    pthread_mutex_t mu;
    pthread_cond_t work_cv, done_cv;
    pthread_t *threads;
    unsigned nthreads, started;
    const dedup_params *params;
    const dedup_linestats *lines; /* boilerplate statistics, or NULL */
    uint32_t lines_min;
    dedup_batch *batch;
    chunk *job;
    unsigned gen;       /* bumped for each job */
    unsigned running;   /* workers still on the job */
    atomic_size_t next; /* next document of the job */
    int quit;
    int err;            /* first library error */
    uint64_t replaced;  /* invalid UTF-8 sequences replaced, in total */
    size_t first_bad;   /* job position of the first document with some */
} pool;

/* What `dedup cluster` is asked to do: its command line. */
typedef struct cluster_opts {
    cli_input_opts io;
    cli_param_opts po;
    int output;             /* OUT_* */
    size_t min_size;        /* --min-size */
    uint32_t boilerplate;   /* lines in this many documents are left out; 0: off */
    int explain;            /* --explain */
    unsigned nthreads;      /* -j */
    int stats, quiet;
    char **files;           /* the FILE operands */
    size_t nfiles;
} cluster_opts;

/* The state of a run, from its start to its end. */
typedef struct cluster_run {
    const dedup_params *params;
    cli_reader *reader;
    dedup_linestats *lines; /* boilerplate statistics, or NULL */
    dedup_batch *batch;
    pool pl;
    int pool_ok;            /* pl to be stopped */
    chunk ch[2];            /* one is read while the other is signed */
    int chunks_ok;
    cli_ids ids;
    uint64_t dup_ids; /* documents whose id an earlier one has */
    dedup_clusters *clusters;
    uint64_t skipped;
    uint64_t json_replaced; /* invalid UTF-8 replaced while parsing JSON */
    double t0, t1, t2;      /* when reading, clustering and the output began */
    /* Over MPI ranks (mpi set): the clusters of this rank's documents, as
     * cluster_rep and cluster_sim give them, and the ids of the clusters'
     * first documents read by other ranks. */
    int mpi;
    size_t *rep;
    double *sim;
    cli_ids foreign;
    unsigned char *paired; /* paired[i]: document i is in a pair */
} cluster_run;

/* The steps of a run, each EXIT_OK or the exit status after a message. */
int cluster_open(cluster_run *run, const cluster_opts *o);
int cluster_read(cluster_run *run, const cluster_opts *o);
/* Write the output of the clusters found: for document i of this run its
 * cluster cluster_rep (a document of this run, or ndocs + j for the j-th
 * id of run->foreign) and cluster_sim. */
int cluster_write(cluster_run *run, const cluster_opts *o);
size_t cluster_rep(const cluster_run *run, size_t i);
/* The size of the cluster whose first document is rep (over ranks: 1, or
 * SIZE_MAX when its members may be anywhere). */
size_t cluster_size(const cluster_run *run, size_t rep);
/* Append the first line of s (at most max bytes, cut on a UTF-8 character
 * boundary, tabs as spaces) and a NUL to b: a title in the report. */
int cluster_first_line(cli_buf *b, const char *s, size_t n, size_t max);
double cluster_sim(const cluster_run *run, size_t i);

#ifdef HAVE_MPI
/* The run over MPI ranks (cluster_mpi.c). */
int cluster_mpi_split(cluster_run *run, const cluster_opts *o);
int cluster_mpi_sync(int status);
int cluster_mpi_lines(cluster_run *run, const cluster_opts *o);
int cli_mpi_init(int *argc, char ***argv);
int cli_mpi_active(void);
int cli_mpi_rank(void);
void cli_mpi_finalize(void);
int cluster_mpi_cluster(cluster_run *run, const cluster_opts *o);
int cluster_mpi_write(cluster_run *run, const cluster_opts *o, uint64_t replaced);
/* --explain over ranks: the analysed texts of the clusters' first
 * documents read by other ranks into open[ids.count + j] (j as in
 * run->foreign), fetched from the ranks that read them. 0 or -1. */
struct cli_side;
int cluster_mpi_far_sides(cluster_run *run, const cluster_opts *o, dedup_hasher *h,
                          struct cli_side **open);
#endif

#endif
