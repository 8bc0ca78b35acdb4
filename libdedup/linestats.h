/*
 * linestats.h - document frequencies of lines. Internal.
 */
#ifndef DEDUP_LINESTATS_H
#define DEDUP_LINESTATS_H

#include "common.h"

#define DEDUP_LS_DEPTH 4

struct dedup_linestats {
    size_t width;      /* counters per row, a power of two */
    uint64_t docs;     /* documents added */
    uint32_t *counts;  /* DEDUP_LS_DEPTH rows of width counters */
    uint64_t *scratch; /* line hashes of the document being added */
    size_t scratch_cap;
};

/* Hash of a line with surrounding ASCII spaces trimmed; 0 for a blank
 * line (blank lines are never counted). */
DEDUP_INTERNAL uint64_t dedup__line_hash(const char *line, size_t len);

/* Estimated count for a line hash. */
DEDUP_INTERNAL uint32_t dedup__linestats_lookup(const dedup_linestats *ls, uint64_t h);

#endif
