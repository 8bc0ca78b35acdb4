/*
 * hasher.h - the per-thread context of the text pipeline. Internal.
 */
#ifndef DEDUP_HASHER_H
#define DEDUP_HASHER_H

#include "normalize.h"
#include "params.h"
#include "signature.h"
#include "linestats.h"
#include "tokenize.h"

struct dedup_hasher {
    dedup_params params;
    uint64_t fingerprint;
    uint64_t seed;
    unsigned word_n, char_n, hangul_n;
    unsigned n; /* shingle size of the text last prepared */
    uint32_t k;
    dedup_normalizer nz;
    dedup_tokenizer tk;
    dedup_shingler sh;
    void *mh_scratch; /* MinHash kernel scratch */
    size_t mh_scratch_cap;
    const dedup_linestats *ls; /* boilerplate statistics, borrowed */
    uint32_t ls_min_docs;
    uint64_t site;     /* site of the texts signed next (dedup__site_hash) */
    int link_lists;    /* leave out lists of links (DEDUP_P_LINK_LISTS) */
    char *kept;        /* text without its boilerplate lines and lists */
    size_t kept_cap;
    uint64_t *lhash;   /* the line hashes of the text being filtered */
    size_t lhash_cap;
    size_t lines_dropped; /* by the last call */
    int quotes;           /* which quotations to leave out (DEDUP_P_QUOTES) */
    int chars;            /* the last text took character shingles */
    const char *compared; /* the text the last call shingled (see */
    size_t compared_len;  /* dedup_hasher_compared), borrowed */
    int quotes_stripped;  /* the last call left quotations out */
    char *unquoted;       /* the text without its quotations */
    size_t unquoted_cap;
};

/* dedup_find_quotations under rule, a value of DEDUP_P_QUOTES (0: none). */
DEDUP_INTERNAL int dedup__find_quotations(const char *text, size_t len, int rule,
                                          dedup_span *spans, size_t cap, size_t *n);
/* The same, byte by byte when bytewise (for tests: the default skips the
 * bytes where no mark can start, 16 at a time). */
DEDUP_INTERNAL int dedup__find_quotations_how(const char *text, size_t len, int rule,
                                              int bytewise, dedup_span *spans, size_t cap,
                                              size_t *n);

/* Shingle text into h->sh (runs the three stages). */
DEDUP_INTERNAL int dedup__hasher_shingle(dedup_hasher *h, const char *text, size_t len);

#endif
