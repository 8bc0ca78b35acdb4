/*
 * linestats.h - document frequencies of lines. Internal.
 */
#ifndef DEDUP_LINESTATS_H
#define DEDUP_LINESTATS_H

#include "common.h"

#define DEDUP_LS_DEPTH 4       /* counters per line */
#define DEDUP_LS_BLOCK 32      /* 16-bit counters per 64-byte block */

/* Lines longer than this are never taken for boilerplate. Navigation,
 * notices and lists of headlines are short lines (in the generated
 * boilerplate-heavy corpus every repeated site line was under 160 bytes),
 * while the paragraphs of a story that a corpus holds many copies of are
 * long: without this bound they would be counted as often as boilerplate
 * and dropped from every copy. */
#define DEDUP_BOILERPLATE_MAX_LINE 300

/* Site furniture: a short line (at most DEDUP_SITE_SHORT_LINE bytes)
 * counted under one site is furniture of that site on
 * DEDUP_SITE_FURNITURE_DOCS of its pages, or on DEDUP_SITE_FURNITURE_SHORT
 * when it does not end like a sentence. */
#define DEDUP_SITE_FURNITURE_DOCS 3
#define DEDUP_SITE_FURNITURE_SHORT 2
#define DEDUP_SITE_SHORT_LINE 160

struct dedup_linestats {
    size_t blocks;     /* 64-byte blocks, a power of two */
    uint64_t docs;     /* documents added */
    uint16_t *counts;  /* blocks * DEDUP_LS_BLOCK saturating counters */
    uint8_t *top;      /* each block's highest counter, at most 255 */
    uint64_t *scratch; /* line hashes of the document being added */
    size_t scratch_cap;
};

/* Hash of a line with surrounding ASCII spaces trimmed; 0 for a blank
 * line (blank lines are never counted). */
DEDUP_INTERNAL uint64_t dedup__line_hash(const char *line, size_t len);

/* Estimated count for a line hash. */
DEDUP_INTERNAL uint32_t dedup__linestats_lookup(const dedup_linestats *ls, uint64_t h);
/* Ask for the counters of line hash h to be brought to the cache. */
DEDUP_INTERNAL void dedup__linestats_prefetch(const dedup_linestats *ls, uint64_t h);
/* Whether the estimated count of line hash h is at least min, reading
 * the counters only when their block's highest one is that high. */
DEDUP_INTERNAL int dedup__linestats_at_least(const dedup_linestats *ls, uint64_t h, uint32_t min);
/* The same, for a batch of lines: ask for what it will read. */
DEDUP_INTERNAL void dedup__linestats_prefetch_top(const dedup_linestats *ls, uint64_t h);

/* Count one document given as fields joined with line breaks
 * (dedup_hasher_sign_fields), and, when site_hash is not 0
 * (dedup__site_hash), each of its lines also under the site. */
DEDUP_INTERNAL int dedup__linestats_add_fields(dedup_linestats *ls, uint64_t site_hash,
                                               const dedup_field *fields, size_t n);

/* Site furniture: a site's name hashed (0 for none), and the key under
 * which a line (its dedup__line_hash) is counted for that site (0 when
 * either is 0). */
DEDUP_INTERNAL uint64_t dedup__site_hash(const char *site, size_t len);
DEDUP_INTERNAL uint64_t dedup__site_key(uint64_t line_hash, uint64_t site_hash);

#endif
