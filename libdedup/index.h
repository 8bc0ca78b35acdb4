/*
 * index.h - the in-memory layout of dedup_index, shared by index.c (the
 * operations) and index_io.c (save and load). Internal.
 *
 * See index.c for the design; in short, every document lives in a slot.
 * Slot numbers are 32-bit; the per-slot arrays sit in one block, the slab,
 * whose capacity is a power of two, 1 << slot_bits. The last slot number of
 * the capacity is never used, so that an all-ones slot field can mean "end
 * of chain" in a band link.
 */
#ifndef DEDUP_INDEX_H
#define DEDUP_INDEX_H

#include "common.h"
#include "names.h"
#include "params.h"
#include "signature.h"

/* Markers in the order array's prev field, and the null slot. Slot numbers
 * are below 1 << DEDUP__INDEX_MAX_BITS, so they never collide. */
#define DEDUP__NIL 0xFFFFFFFFu
#define DEDUP__SLOT_FREE 0xFFFFFFFEu
#define DEDUP__SLOT_DEAD 0xFFFFFFFDu

/* Smallest and largest slot_bits. A band link keeps 32 - slot_bits bits of
 * the band hash next to the slot number; at least two are needed to keep
 * doubling the table (see index.c), hence the upper bound. */
#define DEDUP__INDEX_MIN_BITS 6
#define DEDUP__INDEX_MAX_BITS 30

/* Band buckets per band: the capacity divided by 1 << this. */
#define DEDUP__INDEX_CHAIN_SHIFT 2

/* Most live documents one band value links into its chain, and most
 * candidates a query takes from one band (see index.c, "Common values"). */
/* Most bands: bands * rows <= k <= 1024. */
#define DEDUP__INDEX_MAX_BANDS 1024

#ifndef DEDUP__INDEX_RUN_CAP
#define DEDUP__INDEX_RUN_CAP 16
#endif

struct dedup_index {
    dedup_params params;   /* copied at creation, returned borrowed */
    uint64_t fingerprint;  /* of the params: signatures must match it */
    uint64_t band_seed;    /* seed of the band hashes */
    double threshold;
    double min_shared;     /* DEDUP_P_MIN_SHARED */
    dedup_measure measure;
    /* bands: every band; main_bands of rows values from the k values,
     * then DEDUP_P_LEAD_BANDS lead bands (lsh.h's layout) */
    uint32_t k, bands, main_bands, rows;

    unsigned slot_bits;    /* capacity = 1 << slot_bits slot numbers */
    uint32_t count;        /* live documents */
    uint32_t dead;         /* removed, still linked in band chains */
    uint32_t nfree;        /* on the free list */
    uint32_t first, last;  /* add-order list of live slots */
    uint32_t free_head;    /* free list, through the order array's next */
    int monotone;          /* stamps never decrease along the add order */
    uint64_t tag;          /* the application's, saved with the index */

    /* Documents by name and by text (index_text.c); NULL until used. */
    dedup__names *names;   /* the keys of named documents */
    uint64_t next_named;   /* the id the next named document may take */
    dedup_linestats *lines; /* line statistics counted by add_text */
    uint32_t min_docs;     /* their boilerplate threshold; 0: not kept */
    dedup_hasher *hasher;  /* signs for add_text */
    unsigned char *appdata; /* the application's bytes (index_io.c), or NULL */
    size_t appdata_len;

    /* The slab: per-slot arrays in one allocation (see slab_layout). */
    unsigned char *slab;
    size_t slab_bytes;
    uint64_t *ids;         /* caller's id */
    int64_t *stamps;       /* caller's stamp */
    uint64_t *deadmap;     /* bit per slot: removed but still linked */
    uint32_t *sizes;       /* set size, saturated to 32 bits; 0 = empty */
    uint32_t *order;       /* 2 per slot: prev (or a marker), next */
    uint32_t *links;       /* bands per slot: band hash bits | next slot */
    uint8_t *sigs;         /* stride per slot: compact signature */
    uint32_t cbits;        /* bits per compact value: 8, or 4 in an index
                            * loaded from format version 7 */

    uint32_t *heads;       /* bands << (slot_bits - CHAIN_SHIFT) chain heads */
    uint32_t *idtab;       /* 2 << slot_bits entries: open addressing by id */
};

/* Byte offsets of the per-slot arrays inside a slab for 1 << bits slots,
 * and the slab's total size (0 if it would overflow size_t). */
typedef struct {
    size_t ids, stamps, deadmap, sizes, order, links, sigs, total;
} dedup__slab_layout;

DEDUP_INTERNAL dedup__slab_layout dedup__index_layout(unsigned bits, uint32_t bands,
                                                      uint32_t k, uint32_t cbits);

/* Point the per-slot array pointers of idx into its slab. */
DEDUP_INTERNAL void dedup__index_bind(dedup_index *idx);

/* Create an empty index with the given params (already validated) and LSH
 * shape, with nothing allocated beyond the struct: slab, heads and idtab
 * NULL. For dedup_index_load, which takes bands and rows from the file. */
DEDUP_INTERNAL int dedup__index_new(dedup_index **out, const dedup_params *p,
                                    unsigned bands, unsigned rows);

/* Number of chain heads and of id-table entries for 1 << bits slots. */
static inline size_t dedup__index_nheads(unsigned bits, uint32_t bands)
{
    return (size_t)bands << (bits - DEDUP__INDEX_CHAIN_SHIFT);
}

static inline size_t dedup__index_ntab(unsigned bits)
{
    return (size_t)2 << bits;
}

/*
 * The candidates of sig before verification: the ids of the live stored
 * documents sharing at least one band with sig (up to cap of them written
 * to out, in slot order; *n receives the total). For tests that measure the
 * candidate stage on its own. DEDUP_E_NOMEM, DEDUP_E_MISMATCH.
 */
DEDUP_INTERNAL int dedup__index_candidates(const dedup_index *idx,
                                           const dedup_signature *sig, uint64_t *out,
                                           size_t cap, size_t *n);

/* The similarity the index reports between sig and the stored document
 * id, from the compact signatures, whether or not it is a candidate.
 * DEDUP_E_NOTFOUND if id is absent. */
DEDUP_INTERNAL int dedup__index_similarity(const dedup_index *idx,
                                           const dedup_signature *sig, uint64_t id,
                                           double *out);

/* Bytes of a compact signature of k values of cbits bits. 8 bits: value i
 * in byte i. 4 bits (indexes of format version 7): two values per byte,
 * value 2i in the low nibble of byte i, 2i + 1 in the high one; for odd k
 * the last byte's high nibble is padding, always 0. */
static inline size_t dedup__compact_stride(uint32_t k, uint32_t cbits)
{
    return cbits == 4 ? ((size_t)k + 1) / 2 : (size_t)k;
}

/* Largest compact signature: k is at most 1024 (params bounds, checked on
 * load). */
#define DEDUP__COMPACT_MAX_BYTES 1024

/* Estimated Jaccard similarity of two compact signatures of k values of
 * cbits bits (8 or 4), corrected for the 2^-cbits chance that two
 * different values share their compact form; clamped to [0, 1]. */
DEDUP_INTERNAL double dedup__compact_jaccard(const uint8_t *a, const uint8_t *b, uint32_t k,
                                             uint32_t cbits);

/* Number of the k values on which two compact signatures differ (padding
 * ignored). */
DEDUP_INTERNAL uint32_t dedup__compact_mismatches(const uint8_t *a, const uint8_t *b,
                                                  uint32_t k, uint32_t cbits);

/* The compact form of a signature's k values, written to out
 * (dedup__compact_stride(k, cbits) bytes, padding included). */
DEDUP_INTERNAL void dedup__compact_signature(const uint32_t *values, uint32_t k,
                                             uint32_t cbits, uint8_t *out);

/* Fault injection for index_io.c, per thread: the n-th write from now (0:
 * the next one) fails with EIO; n < 0 turns it off. */
DEDUP_INTERNAL void dedup__index_io_fail_write_at(long n);

/* Read the names and line statistics sections of a saved index into idx
 * (index_text.c). DEDUP_OK, DEDUP_E_FORMAT, DEDUP_E_NOMEM. */
DEDUP_INTERNAL int dedup__index_read_names(dedup_index *idx, const unsigned char *p, size_t len);
DEDUP_INTERNAL int dedup__index_read_lines(dedup_index *idx, const unsigned char *p, size_t len);

#endif
