/*
 * bandsort.h - the pieces of the pair stage of batch clustering: per-band
 * sorted runs of (band key, document) pairs, the structure of runs, and
 * sets of pairs. Internal.
 *
 * A document's band key for band j is the top 32 bits of its band hash
 * (lsh.h), computed once when the document is stored. A sort key packs it
 * above the document's 32-bit position: key = band_key << 32 | doc.
 * Sorting sort keys as plain 64-bit integers groups equal band keys into
 * runs with their documents in increasing order, so a sorted key array
 * from another machine (same band, other documents) merges with
 * a merge (tests/bandsort-ref.c keeps the plain one) and walks the same way. Truncating the hash to 32 bits
 * adds chance collisions (about n^2 / 2^33 pairs per band: ~120 at a
 * million documents); the callers compare the band's values to tell them
 * from real agreement.
 *
 * Which pairs of a run are candidates is fixed here (the pair stage,
 * dedup__pair_stage, walks them without listing them; the tests'
 * dedup__band_pairs lists them): every pair of a run of up to
 * DEDUP__RUN_FULL members, and in a longer run each member with the first
 * DEDUP__RUN_LEADERS members and with its predecessor.
 *
 * Pairs are packed a << 32 | b with a < b (see uf.h), kept as sorted
 * arrays without duplicates so that the sets found for different bands,
 * threads or machines merge by a linear merge; verified pairs travel with
 * their similarity as dedup__edge records.
 *
 * The pair stage reads the records through a dedup__pair_view that batch.c
 * fills in, and knows nothing else of the batch: batch.c calls into this
 * file, never the reverse.
 */
#ifndef DEDUP_BANDSORT_H
#define DEDUP_BANDSORT_H

#include <stdatomic.h>

#include "common.h"

/* Runs of equal band key up to this length give every pair inside them. */
#define DEDUP__RUN_FULL 32
/* Longer runs: each member is paired with the first DEDUP__RUN_LEADERS
 * members and with its predecessor (see bandsort.c for the trade-off). */
#define DEDUP__RUN_LEADERS 4

/*
 * A read-only view of n document records stored stride bytes apart. Each
 * record starts with the document's set size (uint64_t; 0 = empty
 * document) followed by its band keys, one uint32_t per band; batch.c
 * owns the rest of the layout.
 */
typedef struct dedup__rectab {
    const unsigned char *base;
    size_t stride;
    size_t n;
} dedup__rectab;

static inline const unsigned char *dedup__rec(const dedup__rectab *t, size_t i)
{
    return t->base + i * t->stride;
}

/* The set size of a record (its low 63 bits) and whether its shingles are
 * of characters (bit 63). */
#define DEDUP__REC_SIZE_MASK (~(uint64_t)0 >> 1)

static inline uint64_t dedup__rec_set_size(const unsigned char *rec)
{
    return *(const uint64_t *)(const void *)rec & DEDUP__REC_SIZE_MASK;
}

static inline int dedup__rec_chars(const unsigned char *rec)
{
    return (int)(*(const uint64_t *)(const void *)rec >> 63);
}

static inline const uint32_t *dedup__rec_keys(const unsigned char *rec)
{
    return (const uint32_t *)(const void *)(rec + sizeof(uint64_t));
}

/* A growable array of 64-bit values (sort keys or packed pairs). */
typedef struct dedup__edge {
    uint64_t pair;
    double sim;
} dedup__edge;

typedef struct dedup__edgevec {
    dedup__edge *v;
    size_t n, cap;
} dedup__edgevec;

DEDUP_INTERNAL void dedup__edgevec_release(dedup__edgevec *a);

/* The same for nb consecutive bands band0 .. band0 + nb - 1 in one pass
 * over the records, band band0 + j into keys[j]. Reading the records is
 * most of the cost (a cache line per document and pass), and neighbouring
 * bands' keys share a line. */
DEDUP_INTERNAL size_t dedup__band_keys_group(uint64_t *const *keys, const dedup__rectab *t,
                                             uint32_t first_doc, unsigned band0,
                                             unsigned nb);

/* Stable LSD radix sort of n keys on bits [lo_bit, 64), 8 bits per pass,
 * skipping passes in which every key has the same digit. tmp holds n keys.
 * The result is in keys. Keys made by dedup__band_keys are produced in
 * document order, so sorting them from bit 32 sorts them completely. */
DEDUP_INTERNAL void dedup__radix_sort(uint64_t *keys, uint64_t *tmp, size_t n,
                                      unsigned lo_bit);

/* Stable LSD radix sort of n records of size bytes (8 to 32, a multiple
 * of 8) by the 64-bit value at key_off in each, 8 bits a pass, skipping
 * passes in which every key has the same digit. tmp holds n records. The
 * result is in v. */
DEDUP_INTERNAL void dedup__radix_sort_records(void *v, void *tmp, size_t n, size_t size,
                                              size_t key_off);

/*
 * One pass over the n sorted keys of band `band`: for every member of a
 * long run (more than DEDUP__RUN_FULL members) other than its leaders,
 * set bit `band` of its word in unsure (words_per_doc 64-bit words per
 * document position, atomically: threads scanning other bands set other
 * bits of the same words). Those are the documents some of whose pairs in
 * their run this band does not propose (the rule of dedup__band_pairs in tests/bandsort-ref.c); for any
 * other member x of a run, every pair (x, y) with a later member y is
 * proposed. The members of runs of two or more are copied, in order, to
 * multi (room for n keys; multi may be keys itself); singletons, which
 * propose nothing, are left out. Returns the number of keys copied.
 */
DEDUP_INTERNAL size_t dedup__band_scan(_Atomic uint64_t *unsure, size_t words_per_doc,
                                       unsigned band, uint64_t *multi, const uint64_t *keys,
                                       size_t n);

/* Bit `band` of document d's word in unsure (see dedup__band_scan). The
 * caller must make sure the band's scan happened before (a lock). */
static inline int dedup__unsure(_Atomic uint64_t *unsure, size_t words_per_doc, uint32_t d,
                                unsigned band)
{
    uint64_t w = atomic_load_explicit(&unsure[d * words_per_doc + band / 64],
                                      memory_order_relaxed);
    return (int)(w >> (band % 64) & 1);
}

/* Sort the edges of a by pair and keep one edge per pair (the first of
 * equal pairs; callers give equal pairs equal similarities). *tmp /
 * *tmp_cap is a scratch buffer the caller owns and frees. DEDUP_OK or
 * DEDUP_E_NOMEM (a unchanged). */
DEDUP_INTERNAL int dedup__edges_sort_unique(dedup__edgevec *a, dedup__edge **tmp,
                                            size_t *tmp_cap);

/*
 * What the pair stage reads of a batch (batch.c fills it in): the records
 * (count of rec_size bytes: the set size, the band keys, then the k stored
 * values of value_bytes each from val_off) and what decides a pair (the
 * measure, the threshold, min_shared; jtab[m], the Jaccard estimate of m
 * equal stored values, and m_min, the least m reaching the threshold).
 * The pair stage depends on this view only, never on the batch.
 */
typedef struct dedup__pair_view {
    const unsigned char *recs;
    size_t rec_size, val_off, count;
    uint32_t k;
    /* bands in all: main_bands of rows values from the k stored values, the
     * rest of DEDUP__LEAD_ROWS from the lead values after them (lsh.h). */
    unsigned bands, main_bands, rows, value_bytes;
    dedup_measure measure;
    double threshold, min_shared;
    const double *jtab;
    uint32_t m_min;
    double c_noise; /* chance that two different stored values agree */
} dedup__pair_view;

/* What the pair stage did, summed over bands and threads. The counts
 * depend only on the batch, never on the number of threads. */
typedef struct dedup__pair_stats {
    uint64_t proposed;   /* pairs proposed by band runs, every band */
    uint64_t collisions; /* proposed, but agreeing only by a key collision */
    uint64_t repeats;    /* proposed again after an earlier band proposed them */
    uint64_t compared;   /* the rest: candidates compared with the threshold */
    uint64_t verified;   /* distinct pairs at or above the threshold */
    double sort_s;       /* thread-seconds building and sorting band keys */
    double walk_s;       /* thread-seconds walking runs and comparing */
    double wait_s;       /* thread-seconds waiting for earlier bands */
} dedup__pair_stats;

/*
 * The verified pairs of the records of b, found with up to nthreads
 * threads, into *out (empty on entry; sorted by pair, one edge per pair,
 * each with its similarity; released by the caller with
 * dedup__edgevec_release on success, left empty on failure). st (may be
 * NULL) receives the figures. A pair is compared once, in the first band
 * that proposes it; only a pair that long runs propose in several bands
 * may be compared again. DEDUP_OK, DEDUP_E_NOMEM or DEDUP_E_TOOBIG.
 */
DEDUP_INTERNAL int dedup__pair_stage(const dedup__pair_view *b, unsigned nthreads,
                                     dedup__edgevec *out, dedup__pair_stats *st);

/* The check the pair stage makes of a pair (x, y) of records of b that
 * band `band` proposes: -1 if they only collide on the band's key (their
 * values in the band differ), 1 if they reach the threshold (*sim set to
 * their similarity), else 0. The same decision as the pair stage's. */
DEDUP_INTERNAL int dedup__pair_check(const dedup__pair_view *b, const unsigned char *x,
                                     const unsigned char *y, unsigned band, double *sim);

/* 1 if the pair of records x and y that band `band` proposes was proposed
 * by an earlier band: one that agrees on them (equal keys and values) and
 * proposes every pair of x with a later member of its run, which holds
 * unless x is unsure in that band (bit i of unsure_x, words of 64 bits,
 * see dedup__band_scan). The pair stage's own rule for repeats. */
DEDUP_INTERNAL int dedup__pair_repeat(const dedup__pair_view *b, const unsigned char *x,
                                      const unsigned char *y, unsigned band,
                                      const uint64_t *unsure_x);

/* Number of equal lanes of lane bytes (1, 2 or 4) in a and b, len bytes
 * each (a multiple of lane, at most 2040): the fast version, or with
 * portable set the plain-integer one, which must agree. */
DEDUP_INTERNAL uint32_t dedup__equal_lanes(const unsigned char *a, const unsigned char *b,
                                           size_t len, unsigned lane, int portable);

#endif
