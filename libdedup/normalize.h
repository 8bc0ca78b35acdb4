/*
 * normalize.h - text normalization (see dedup_hasher_normalize for the
 * rules). Internal.
 */
#ifndef DEDUP_NORMALIZE_H
#define DEDUP_NORMALIZE_H

#include <utf8proc.h>

#include "common.h"

typedef struct dedup_normalizer {
    int flags;             /* DEDUP_NORM_* */
    int mode;              /* table index: casefold | strip_marks << 1 */
    utf8proc_option_t opt; /* utf8proc options for the general path */
    unsigned char amap[128]; /* ASCII image: 0 = not on the fast path */
    unsigned char *out;    /* normalized text (not NUL-terminated) */
    size_t out_len, out_cap;
    unsigned char *span;   /* a span, re-encoded with invalid bytes replaced */
    size_t span_cap;
    utf8proc_int32_t *cps; /* code points of a span after utf8proc */
    size_t cps_cap;
    size_t replaced;       /* ill-formed sequences replaced by the last call */
} dedup_normalizer;

/* Set up nz for DEDUP_NORM_* flags; no allocation. */
DEDUP_INTERNAL void dedup__normalizer_init(dedup_normalizer *nz, int flags);
/* Free nz's buffers. */
DEDUP_INTERNAL void dedup__normalizer_release(dedup_normalizer *nz);

/* Normalize in[0..len) into nz->out / nz->out_len. DEDUP_OK, DEDUP_E_NOMEM
 * or DEDUP_E_TOOBIG (input beyond what utf8proc can index). */
DEDUP_INTERNAL int dedup__normalize(dedup_normalizer *nz, const unsigned char *in, size_t len);

/* The same result computed the slow way, utf8proc over the whole text: the
 * reference the fast path is tested against. */
DEDUP_INTERNAL int dedup__normalize_reference(dedup_normalizer *nz, const unsigned char *in,
                                              size_t len);

#endif
