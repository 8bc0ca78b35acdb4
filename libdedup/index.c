/*
 * index.c - the LSH index: documents added one at a time, queried, removed
 * and expired, in flat arrays sized for millions of documents.
 *
 * Slots. Each document occupies a slot, a 32-bit number. The per-slot arrays
 * (id, stamp, set size, add-order links, band links, compact signature, a
 * "dead" bit) live in one allocation, the slab, whose capacity is a power of
 * two, 1 << slot_bits; the last slot number is reserved as "none". Freed
 * slots go on a free list and are reused before the slab grows.
 *
 * Band tables. Per band there is a power-of-two table of chain heads (a
 * quarter as many as slots, so chains hold about 4 documents when the slab
 * is full) and each slot holds one 32-bit link per band. A link packs two
 * things: the low slot_bits bits are the next slot of the chain, the high
 * 32 - slot_bits bits are bits [slot_bits - 2, 30) of the slot's own band
 * hash, the bits just above those that chose the bucket. They serve twice:
 *   - as a tag, so a query skips most chain entries of another band value
 *     without touching their signature;
 *   - to double the table when the slab doubles: the lowest stored bit
 *     tells which half a document moves to, and the rest shift down by one.
 *     The slot field grows by one bit at the same time, so the stored window
 *     always ends at bit 29, and the full band hashes are never needed.
 * Chains are kept in strictly decreasing slot order. That costs a short walk
 * on insert, but a link can then only point to a smaller slot, so no chain
 * can loop, even in a corrupted file (index_io.c checks just that, with one
 * linear pass).
 *
 * Forgetting. Without the full band hash a document's bucket is unknown, so
 * it cannot be unlinked at once. A removed document is marked dead (a bit
 * per slot) and skipped by queries; when the free list runs dry, a
 * compaction pass over the links array drops dead entries from every chain
 * in one sequential sweep and frees their slots. The slab grows only when
 * fewer than an eighth of its slots are dead, so a sliding window settles
 * at a fixed size. Expiring by stamp walks the add-order list from the
 * oldest document while stamps are non-decreasing in add order (the usual
 * case: a time or a counter), else it scans every document.
 *
 * Common values. A band value that many stored documents share (a common
 * phrase or site furniture whose shingles happen to hold the minimum of
 * both rows of a band, or many stored copies of one text) would make its
 * chain, and every query that hashes to it, as long as the number of such
 * documents. So a chain links at most DEDUP__INDEX_RUN_CAP (16) live
 * documents per value, the first ones stored: a later document with that
 * value stays out of that band's chain (its link for the band then has no
 * successor and no hash bits, and nothing points to it), and a query takes
 * at most 16 candidates from one band. A document is found through any of
 * its other bands, so copies sharing many bands are hardly affected; of
 * more than 16 stored near-identical documents a query finds 16. Keeping
 * the first rather than the newest makes what a query finds stable: a
 * document keeps its places until it is removed, so a query that found it
 * finds it again for as long as it is stored. When the newest took the
 * place of the oldest, a crawler's stream of 1,000 Reuters articles
 * (dedup_index_add_unique) found 80 duplicates of which 4 were not found
 * again by a query of the same text at the end; bench-index --sites 50
 * (site furniture in every document) lost 520 of 17,187 matches at
 * 100k documents. Keeping the first, none. Measured with `dedup filter
 * --window 1000000` on 100k generated English articles (43k kept):
 * without the bound a query walked 373 chain entries and took 252
 * distinct candidates, with it 175 and 69; pairwise recall 0.9447 before,
 * 0.9448 after, precision 0.9995 and 0.9997.
 *
 * Verification. Only 8 bits of each MinHash value are kept, one per byte
 * (b-bit MinHash with b = 8: the top bits of a full-avalanche mix of the
 * 32-bit value). Two different values share their compact form with
 * probability c = 1/256, so the fraction P of equal compact values
 * overestimates the Jaccard similarity; the estimate is corrected as
 * J = (P - c) / (1 - c). Accuracy cost: if the full signatures agree in a
 * fraction F of their k places, the other k (1 - F) places collide
 * Binomial(k (1 - F), c) times, so the corrected estimate has mean F and
 * standard deviation sqrt((1 - F) c / (k (1 - c))) = sqrt((1 - F) / (255 k))
 * around it: with k = 128, 0.0055 at F = 0 and 0.0039 at 0.5, against
 * MinHash's own error sqrt(J (1 - J) / k), 0.0442 at J = 0.5 (they combine
 * to 0.0444). Measured against full signatures (bench-index: 20000 pairs
 * of 300-shingle sets, J spread over [0, 1], k = 128): rms 0.00435 for a
 * theoretical 0.00434; a verdict at the default threshold differs from the
 * full signature's on 168 pairs (0.8%), all near the threshold. Queries
 * report this verified figure, so no match is ever below the threshold.
 * Indexes of format version 7 hold 4 bits a value, two per byte (c = 1/16,
 * standard deviation sqrt((1 - F) / (15 k)), 0.0161 at F = 0.5; rms 0.0175
 * and 404 flips on the same pairs); they are loaded and kept as they are.
 * The 4-bit values were given up because their noise decided real pairs:
 * copies that batch clustering (8-bit values) joined at 0.43-0.54 fell
 * under the threshold of 0.40 in the index, so dedup filter missed them.
 *
 * Memory. Per slot 8 (id) + 8 (stamp) + 4 (size) + 8 (order) + 4 per band
 * (links) + k (signature; k / 2 at 4 bits) + 1/8 (dead bit) bytes; per
 * band, 4 bytes per four slots of chain heads; an id table of 4 bytes per
 * two slots. With k = 128 at 1M documents (slab of 2^20 slots): 471 bytes
 * per document with the default 49 bands and 8 lead bands (bench-index;
 * 404 with 4-bit values). Lead bands are bands like the others here: the
 * index keeps no band values, only hash bits. Chains of about 4 rather
 * than 8 cost 19 bytes per document and, walking a chain being a cache
 * miss per entry, nearly doubled bench-index: 98.6k add_unique/s and 79k
 * queries/s at 1M documents, against 57.5k and 38.8k with chains of 8.
 * The bands dominate: 57 links take 228 bytes per slot, the signature 128.
 *
 * Threads. Queries read the index and use only the stack or memory they
 * allocate and free themselves, so any number may run at once on an index
 * nobody modifies.
 */
#include <stdlib.h>

#include "bandsort.h"
#include "index.h"
#include "lsh.h"

/* Stack room for per-query buffers before falling back to the heap. */
#define LOCAL_SLOTS 256
#define LOCAL_MATCHES 8

/* Candidates whose signatures are prefetched ahead of verification. */
#define VERIFY_AHEAD 8

/* ============================================================= helpers */

static inline size_t capacity_of(unsigned bits)
{
    return (size_t)1 << bits;
}

static inline uint32_t slot_mask(unsigned bits)
{
    return (uint32_t)((1u << bits) - 1);
}

static inline size_t nbuckets(unsigned bits)
{
    return (size_t)1 << (bits - DEDUP__INDEX_CHAIN_SHIFT);
}

/* The band-hash bits stored in a link for a given slot_bits. */
static inline uint32_t window_of(uint64_t h, unsigned bits)
{
    return (uint32_t)(h >> (bits - DEDUP__INDEX_CHAIN_SHIFT)) &
           (uint32_t)((1u << (32 - bits)) - 1);
}

static inline uint32_t link_next(uint32_t link, uint32_t smask)
{
    uint32_t n = link & smask;
    return n == smask ? DEDUP__NIL : n;
}

static inline int is_dead(const dedup_index *idx, uint32_t e)
{
    return (int)(idx->deadmap[e >> 6] >> (e & 63)) & 1;
}

/* The stored size word of a signature: its set size in the low 31 bits
 * (saturated), bit 31 set when its shingles are of characters. 0 for an
 * empty document. */
#define SIZE_MASK 0x7fffffffu

static inline uint32_t size_word(const dedup_signature *sig)
{
    if (sig->set_size == 0)
        return 0;
    uint32_t n = sig->set_size > SIZE_MASK ? SIZE_MASK : (uint32_t)sig->set_size;
    return n | (sig->chars ? 0x80000000u : 0);
}

/* Add an array of n * per elements of elem bytes at *off; 0 on overflow. */
static int layout_add(size_t *off, size_t *at, size_t n, size_t per, size_t elem)
{
    if (per && n > SIZE_MAX / per)
        return 0;
    size_t cnt = n * per;
    if (elem && cnt > SIZE_MAX / elem)
        return 0;
    size_t bytes = cnt * elem;
    if (bytes > SIZE_MAX - *off)
        return 0;
    *at = *off;
    *off += bytes;
    return 1;
}

dedup__slab_layout dedup__index_layout(unsigned bits, uint32_t bands, uint32_t k,
                                       uint32_t cbits)
{
    dedup__slab_layout L;
    memset(&L, 0, sizeof L);
    size_t n = capacity_of(bits), off = 0;
    /* Widest elements first, so that every array stays aligned. */
    if (!layout_add(&off, &L.ids, n, 1, 8) || !layout_add(&off, &L.stamps, n, 1, 8) ||
        !layout_add(&off, &L.deadmap, n / 64, 1, 8) ||
        !layout_add(&off, &L.sizes, n, 1, 4) || !layout_add(&off, &L.order, n, 2, 4) ||
        !layout_add(&off, &L.links, n, bands, 4) ||
        !layout_add(&off, &L.sigs, n, dedup__compact_stride(k, cbits), 1))
        return L; /* total 0 */
    L.total = off;
    return L;
}

void dedup__index_bind(dedup_index *idx)
{
    dedup__slab_layout L = dedup__index_layout(idx->slot_bits, idx->bands, idx->k, idx->cbits);
    unsigned char *s = idx->slab;
    idx->ids = (uint64_t *)(void *)(s + L.ids);
    idx->stamps = (int64_t *)(void *)(s + L.stamps);
    idx->deadmap = (uint64_t *)(void *)(s + L.deadmap);
    idx->sizes = (uint32_t *)(void *)(s + L.sizes);
    idx->order = (uint32_t *)(void *)(s + L.order);
    idx->links = (uint32_t *)(void *)(s + L.links);
    idx->sigs = (uint8_t *)(s + L.sigs);
}

/* The chance, 2^-cbits, that two different values share their compact
 * form: the b-bit correction. */
static inline double compact_collision(uint32_t cbits)
{
    return cbits == 4 ? 1.0 / 16.0 : 1.0 / 256.0;
}

void dedup__compact_signature(const uint32_t *values, uint32_t k, uint32_t cbits,
                              uint8_t *out)
{
    /* The top bits of a full-avalanche mix: any two different 32-bit
     * values agree on them with probability 2^-cbits, whatever their bit
     * patterns, which is what the b-bit correction assumes. */
    uint32_t i = 0;
    if (cbits == 4) {
        for (; i + 1 < k; i += 2)
            out[i / 2] = (uint8_t)((dedup__mix64(values[i]) >> 60) |
                                   (dedup__mix64(values[i + 1]) >> 60) << 4);
        if (i < k)
            out[i / 2] = (uint8_t)(dedup__mix64(values[i]) >> 60); /* padding 0 */
        return;
    }
    for (; i < k; i++)
        out[i] = (uint8_t)(dedup__mix64(values[i]) >> 56);
}

/* The nibble counters of acc (each at most 15) summed. */
static inline uint32_t nibble_sum(uint64_t acc)
{
    const uint64_t m = 0x0F0F0F0F0F0F0F0FULL;
    uint64_t bytes = (acc & m) + (acc >> 4 & m); /* each byte at most 30 */
    return (uint32_t)((bytes * 0x0101010101010101ULL) >> 56);
}

/* One bit per nibble of x, at the nibble's lowest bit, set if the nibble
 * is not zero. */
static inline uint64_t nibble_nonzero(uint64_t x)
{
    x |= x >> 1;
    x |= x >> 2;
    return x & 0x1111111111111111ULL;
}

/* The 4-bit form of format version 7: two values a byte. */
static uint32_t mismatches4(const uint8_t *a, const uint8_t *b, uint32_t k)
{
    /* SWAR: XOR 8 bytes (16 values) at a time, fold each nibble to one
     * bit and add the bits up in the nibbles of an accumulator. A nibble
     * counter holds 15, so the accumulator is summed every 15 words. No
     * popcount instruction is needed, so the same code is fast on every
     * target; byte order within a word does not change a count. */
    size_t full = k / 2, i = 0;
    uint32_t total = 0;
    while (i + 8 <= full) {
        uint64_t acc = 0;
        for (unsigned w = 0; w < 15 && i + 8 <= full; w++, i += 8) {
            uint64_t x, y;
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            acc += nibble_nonzero(x ^ y);
        }
        total += nibble_sum(acc);
    }
    if (i < full) {
        uint64_t x = 0, y = 0;
        memcpy(&x, a + i, full - i);
        memcpy(&y, b + i, full - i);
        total += nibble_sum(nibble_nonzero(x ^ y));
    }
    if (k & 1) /* the low nibble only: the high one is padding */
        total += ((a[full] ^ b[full]) & 0x0F) != 0;
    return total;
}

/* The 8-bit form: a value a byte, compared as batch clustering compares
 * its 8-bit values (bandsort.c: 16 at a time where the target has vectors,
 * the same count everywhere). */
static uint32_t mismatches8(const uint8_t *a, const uint8_t *b, uint32_t k)
{
    return k - dedup__equal_lanes(a, b, k, 1, 0);
}

uint32_t dedup__compact_mismatches(const uint8_t *a, const uint8_t *b, uint32_t k,
                                   uint32_t cbits)
{
    return cbits == 4 ? mismatches4(a, b, k) : mismatches8(a, b, k);
}

double dedup__compact_jaccard(const uint8_t *a, const uint8_t *b, uint32_t k, uint32_t cbits)
{
    uint32_t m = k - dedup__compact_mismatches(a, b, k, cbits);
    double c = compact_collision(cbits), p = (double)m / (double)k;
    double j = (p - c) / (1.0 - c);
    return j < 0.0 ? 0.0 : (j > 1.0 ? 1.0 : j);
}

/* Every cache line of a compact signature of stride bytes (k bytes: two
 * or three lines at the default k = 128, as the slab is not line-aligned):
 * points at most a line apart, and the last byte. */
static inline void prefetch_sig(const uint8_t *p, size_t stride)
{
    for (size_t o = 0; o < stride; o += 64)
        DEDUP_PREFETCH(p + o);
    DEDUP_PREFETCH(p + stride - 1);
}

/* Similarity between a query (compact values q, set size qsize) and slot e,
 * under the index's measure. */
static double slot_similarity(const dedup_index *idx, const uint8_t *q, uint32_t qword,
                              uint32_t e)
{
    uint32_t eword = idx->sizes[e];
    if (qword == 0 || eword == 0)
        return 0.0;
    double j =
        dedup__compact_jaccard(q, idx->sigs + (size_t)e * dedup__compact_stride(idx->k, idx->cbits),
                               idx->k, idx->cbits);
    return dedup__measure_similarity_k(idx->measure, j, qword & SIZE_MASK, eword & SIZE_MASK,
                                       (int)(qword >> 31), (int)(eword >> 31), idx->min_shared,
                                       idx->k, compact_collision(idx->cbits));
}

static int check_sig(const dedup_index *idx, const dedup_signature *sig)
{
    if (!idx || !sig)
        return DEDUP_E_INVAL;
    if (sig->fingerprint != idx->fingerprint || sig->k != idx->k)
        return DEDUP_E_MISMATCH;
    return DEDUP_OK;
}

/* ============================================================ id table */

/* Open addressing with linear probing over 2 << slot_bits entries holding
 * slot numbers, so the load stays at or below one half. */

static inline size_t tab_home(uint64_t id, size_t mask)
{
    return (size_t)dedup__mix64(id ^ 0x1d8e4e27c47d124fULL) & mask;
}

/* The slot holding id, or DEDUP__NIL; *pos receives the entry's position
 * (or the empty position where id would go). */
static uint32_t tab_find(const dedup_index *idx, uint64_t id, size_t *pos)
{
    size_t mask = dedup__index_ntab(idx->slot_bits) - 1, i = tab_home(id, mask);
    for (;;) {
        uint32_t e = idx->idtab[i];
        if (e == DEDUP__NIL || idx->ids[e] == id) {
            *pos = i;
            return e;
        }
        i = (i + 1) & mask;
    }
}

static void tab_put(uint32_t *tab, size_t ntab, uint64_t id, uint32_t slot)
{
    size_t mask = ntab - 1, i = tab_home(id, mask);
    while (tab[i] != DEDUP__NIL)
        i = (i + 1) & mask;
    tab[i] = slot;
}

/* Delete the entry at pos, shifting later entries of the probe run back so
 * that no tombstones are needed. */
static void tab_delete(dedup_index *idx, size_t pos)
{
    size_t mask = dedup__index_ntab(idx->slot_bits) - 1, i = pos, j = pos;
    for (;;) {
        j = (j + 1) & mask;
        uint32_t e = idx->idtab[j];
        if (e == DEDUP__NIL)
            break;
        size_t home = tab_home(idx->ids[e], mask);
        /* e may fill the hole at i unless its home lies cyclically in
         * (i, j]: then it would become unreachable. */
        int in_between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!in_between) {
            idx->idtab[i] = e;
            i = j;
        }
    }
    idx->idtab[i] = DEDUP__NIL;
}

/* ============================================== add order and free list */

static void order_append(dedup_index *idx, uint32_t e)
{
    idx->order[2 * (size_t)e] = idx->last;
    idx->order[2 * (size_t)e + 1] = DEDUP__NIL;
    if (idx->last != DEDUP__NIL)
        idx->order[2 * (size_t)idx->last + 1] = e;
    else
        idx->first = e;
    idx->last = e;
}

static void order_unlink(dedup_index *idx, uint32_t e)
{
    uint32_t p = idx->order[2 * (size_t)e], n = idx->order[2 * (size_t)e + 1];
    if (p != DEDUP__NIL)
        idx->order[2 * (size_t)p + 1] = n;
    else
        idx->first = n;
    if (n != DEDUP__NIL)
        idx->order[2 * (size_t)n] = p;
    else
        idx->last = p;
}

/* Put slot e on the free list. Its links are reset to "end of chain" (all
 * ones, whatever the slot width), so that every slot's links satisfy the
 * chain invariant, linked or not, and a saved file can be checked with one
 * uniform pass. */
static void free_push(dedup_index *idx, uint32_t e)
{
    memset(idx->links + (size_t)e * idx->bands, 0xFF, idx->bands * sizeof(uint32_t));
    idx->order[2 * (size_t)e] = DEDUP__SLOT_FREE;
    idx->order[2 * (size_t)e + 1] = idx->free_head;
    idx->free_head = e;
    idx->nfree++;
}

/* Free every dead slot (they must be unlinked from all chains already),
 * and then the never-used slots [from, capacity - 1). Pushed from the top
 * down, so that the smallest slots are reused first and the slab's low
 * part stays dense. */
static void free_dead_and_new(dedup_index *idx, size_t from)
{
    size_t cap = capacity_of(idx->slot_bits);
    for (size_t e = cap - 1; e-- > from;)
        free_push(idx, (uint32_t)e);
    for (size_t w = (from + 63) / 64; w-- > 0;) {
        uint64_t bits = idx->deadmap[w];
        for (unsigned t = 64; bits && t-- > 0;)
            if (bits >> t & 1) {
                free_push(idx, (uint32_t)(w * 64 + t));
                bits &= ~((uint64_t)1 << t);
            }
        idx->deadmap[w] = 0;
    }
    idx->dead = 0;
}

/* ============================================================== chains */

static inline uint64_t band_hash(const dedup_index *idx, const uint32_t *values, uint32_t b)
{
    return dedup__band_hash_at(values, b, idx->main_bands, idx->rows, idx->k, idx->band_seed);
}

/*
 * Link slot e into band b's chain for band hash h, keeping the chain in
 * decreasing slot order. If the chain already holds DEDUP__INDEX_RUN_CAP
 * live documents with the same stored hash bits (a common band value), e
 * stays out of it: the documents linked first keep their places until they
 * are removed, so a query that found a document through this band finds it
 * again while it is stored. A slot out of a chain keeps, for that band, a
 * link with no successor and zero hash bits, and no chain points to it.
 * maybe_full 0 says a query has just counted fewer live documents of the
 * value than the cap, which spares the counting walk.
 */
static void chain_insert(dedup_index *idx, uint32_t b, uint64_t h, uint32_t e, int maybe_full)
{
    unsigned bits = idx->slot_bits;
    uint32_t smask = slot_mask(bits), nb = idx->bands, tag = window_of(h, bits);
    size_t nbk = nbuckets(bits);
    uint32_t *headp = &idx->heads[(size_t)b * nbk + (size_t)(h & (nbk - 1))];
    uint32_t same = 0;
    for (uint32_t c = maybe_full ? *headp : DEDUP__NIL; c != DEDUP__NIL;) {
        uint32_t link = idx->links[(size_t)c * nb + b];
        if (link >> bits == tag && !is_dead(idx, c) && ++same >= DEDUP__INDEX_RUN_CAP) {
            idx->links[(size_t)e * nb + b] = smask;
            return;
        }
        c = link_next(link, smask);
    }
    uint32_t prev = DEDUP__NIL, cur = *headp;
    while (cur != DEDUP__NIL && cur > e) {
        prev = cur;
        cur = link_next(idx->links[(size_t)cur * nb + b], smask);
    }
    idx->links[(size_t)e * nb + b] =
        window_of(h, bits) << bits | (cur == DEDUP__NIL ? smask : cur);
    if (prev == DEDUP__NIL) {
        *headp = e;
    } else {
        uint32_t *pl = &idx->links[(size_t)prev * nb + b];
        *pl = (*pl & ~smask) | e;
    }
}

/* Does slot e hold a linked document (live or dead) whose links are in
 * use? Free slots and empty documents are never linked. */
static inline int is_linked(const dedup_index *idx, uint32_t e)
{
    return idx->order[2 * (size_t)e] != DEDUP__SLOT_FREE && idx->sizes[e] != 0;
}

/*
 * Drop every dead slot from every chain, in place, and free the dead slots.
 * One sequential pass over the heads and the links of the linked slots: a
 * link to a dead slot is replaced by that slot's own successor, followed
 * until a live slot or the chain's end. Dead slots keep their links intact
 * during the pass, so the skipping sees consistent chains. No allocation.
 */
static void compact(dedup_index *idx)
{
    unsigned bits = idx->slot_bits;
    uint32_t smask = slot_mask(bits), nb = idx->bands;
    size_t nheads = dedup__index_nheads(bits, nb), nbk = nbuckets(bits);
    for (size_t i = 0; i < nheads; i++) {
        uint32_t h = idx->heads[i], b = (uint32_t)(i / nbk);
        while (h != DEDUP__NIL && is_dead(idx, h))
            h = link_next(idx->links[(size_t)h * nb + b], smask);
        idx->heads[i] = h;
    }
    size_t cap = capacity_of(bits);
    for (size_t e = 0; e + 1 < cap; e++) {
        if (!is_linked(idx, (uint32_t)e) || is_dead(idx, (uint32_t)e))
            continue;
        uint32_t *lk = &idx->links[e * nb];
        for (uint32_t b = 0; b < nb; b++) {
            uint32_t n = link_next(lk[b], smask), n0 = n;
            while (n != DEDUP__NIL && is_dead(idx, n))
                n = link_next(idx->links[(size_t)n * nb + b], smask);
            if (n != n0)
                lk[b] = (lk[b] & ~smask) | (n == DEDUP__NIL ? smask : n);
        }
    }
    free_dead_and_new(idx, cap - 1);
}

/*
 * Move every live chain entry from the tables of slot_bits = bits - 1 (old
 * heads oh) to those of bits (new heads nh): each chain i splits into
 * chains i and i + old bucket count by the lowest stored hash bit, keeping
 * its (decreasing) order; dead entries are dropped.
 *
 * Walking the chains would touch the links at random, which costs seconds
 * at a million documents. Instead, per band, one ascending pass over the
 * slots: since a chain's successors of e are all smaller than e, they are
 * done when e is reached, and first[2 * x + side] holds the first live
 * entry at or after x in x's old chain whose split bit is side. The new
 * successor of e is then first[next(e)] for e's side, read from a scratch
 * array of 2 entries per slot (the caller's) that stays in cache far
 * better than the links.
 */
static void split_chains(dedup_index *idx, const uint32_t *oh, uint32_t *nh, unsigned bits,
                         uint32_t *first)
{
    unsigned ob = bits - 1;
    uint32_t osmask = slot_mask(ob), nsmask = slot_mask(bits), nb = idx->bands;
    size_t onbk = nbuckets(ob), nnbk = nbuckets(bits), ocap = capacity_of(ob);
    for (uint32_t b = 0; b < nb; b++) {
        for (size_t e = 0; e + 1 < ocap; e++) {
            uint32_t *f = first + 2 * e;
            if (!is_linked(idx, (uint32_t)e)) {
                f[0] = f[1] = DEDUP__NIL; /* in no chain */
                continue;
            }
            uint32_t *lk = &idx->links[e * nb + b];
            uint32_t n = link_next(*lk, osmask);
            uint32_t f0 = n == DEDUP__NIL ? DEDUP__NIL : first[2 * (size_t)n];
            uint32_t f1 = n == DEDUP__NIL ? DEDUP__NIL : first[2 * (size_t)n + 1];
            f[0] = f0;
            f[1] = f1;
            if (is_dead(idx, (uint32_t)e))
                continue; /* skipped: its successors stand for it */
            uint32_t w = *lk >> ob, side = w & 1, nn = side ? f1 : f0;
            *lk = (w >> 1) << bits | (nn == DEDUP__NIL ? nsmask : nn);
            f[side] = (uint32_t)e;
        }
        for (size_t i = 0; i < onbk; i++) {
            uint32_t h = oh[(size_t)b * onbk + i];
            nh[(size_t)b * nnbk + i] = h == DEDUP__NIL ? DEDUP__NIL : first[2 * (size_t)h];
            nh[(size_t)b * nnbk + i + onbk] =
                h == DEDUP__NIL ? DEDUP__NIL : first[2 * (size_t)h + 1];
        }
    }
}

/* ========================================================= allocation */

static uint32_t *alloc_nil(size_t n)
{
    if (n > SIZE_MAX / sizeof(uint32_t))
        return NULL;
    uint32_t *a = dedup__malloc(n * sizeof *a);
    if (a) {
        dedup__advise_random(a, n * sizeof *a);
        memset(a, 0xFF, n * sizeof *a);
    }
    return a;
}

/* Give an index created by dedup__index_new its first, smallest storage. */
static int alloc_initial(dedup_index *idx)
{
    unsigned bits = DEDUP__INDEX_MIN_BITS;
    dedup__slab_layout L = dedup__index_layout(bits, idx->bands, idx->k, idx->cbits);
    unsigned char *slab = L.total ? dedup__calloc(1, L.total) : NULL;
    uint32_t *heads = alloc_nil(dedup__index_nheads(bits, idx->bands));
    uint32_t *tab = alloc_nil(dedup__index_ntab(bits));
    if (!slab || !heads || !tab) {
        dedup__free(slab);
        dedup__free(heads);
        dedup__free(tab);
        return DEDUP_E_NOMEM;
    }
    idx->slab = slab;
    idx->slab_bytes = L.total;
    idx->heads = heads;
    idx->idtab = tab;
    idx->slot_bits = bits;
    dedup__index_bind(idx);
    free_dead_and_new(idx, 0);
    return DEDUP_OK;
}

/*
 * Double the slab. Everything that can fail (new heads, new id table, the
 * slab's realloc) happens first; after that the move cannot fail, so on
 * DEDUP_E_NOMEM the index is untouched.
 */
static int grow(dedup_index *idx)
{
    unsigned ob = idx->slot_bits, bits = ob + 1;
    if (bits > DEDUP__INDEX_MAX_BITS)
        return DEDUP_E_TOOBIG;
    dedup__slab_layout OL = dedup__index_layout(ob, idx->bands, idx->k, idx->cbits);
    dedup__slab_layout NL = dedup__index_layout(bits, idx->bands, idx->k, idx->cbits);
    if (!NL.total)
        return DEDUP_E_NOMEM;
    size_t ocap = capacity_of(ob);
    uint32_t *nh = alloc_nil(dedup__index_nheads(bits, idx->bands));
    uint32_t *nt = alloc_nil(dedup__index_ntab(bits));
    uint32_t *scratch = dedup__malloc(2 * ocap * sizeof(uint32_t));
    unsigned char *slab = nh && nt && scratch ? dedup__realloc(idx->slab, NL.total) : NULL;
    if (!slab) {
        dedup__free(nh);
        dedup__free(nt);
        dedup__free(scratch);
        return DEDUP_E_NOMEM;
    }
    dedup__advise_random(slab, NL.total);
    /* Each array's new offset is at or after its old one, so moving them
     * last to first never overwrites data still to be moved. */
    size_t stride = dedup__compact_stride(idx->k, idx->cbits);
    memmove(slab + NL.sigs, slab + OL.sigs, ocap * stride);
    memmove(slab + NL.links, slab + OL.links, ocap * idx->bands * sizeof(uint32_t));
    memmove(slab + NL.order, slab + OL.order, ocap * 2 * sizeof(uint32_t));
    memmove(slab + NL.sizes, slab + OL.sizes, ocap * sizeof(uint32_t));
    memmove(slab + NL.deadmap, slab + OL.deadmap, ocap / 8);
    memmove(slab + NL.stamps, slab + OL.stamps, ocap * sizeof(int64_t));
    /* ids stay at offset 0. The new slots are cleared: no dead bit, an
     * empty size so that nothing reads them as linked, links at "end of
     * chain", and zeros elsewhere, so that a saved file holds no stale heap
     * bytes and is the same for the same history. */
    memset(slab + NL.ids + ocap * 8, 0, ocap * 8);
    memset(slab + NL.stamps + ocap * 8, 0, ocap * 8);
    memset(slab + NL.deadmap + ocap / 8, 0, ocap / 8);
    memset(slab + NL.sizes + ocap * 4, 0, ocap * 4);
    memset(slab + NL.order + ocap * 8, 0, ocap * 8);
    memset(slab + NL.links + ocap * idx->bands * 4, 0xFF, ocap * idx->bands * 4);
    memset(slab + NL.sigs + ocap * stride, 0, ocap * stride);

    uint32_t *oh = idx->heads;
    idx->slab = slab;
    idx->slab_bytes = NL.total;
    idx->slot_bits = bits;
    dedup__index_bind(idx);
    split_chains(idx, oh, nh, bits, scratch);
    dedup__free(scratch);
    dedup__free(oh);
    idx->heads = nh;

    for (uint32_t e = idx->first; e != DEDUP__NIL; e = idx->order[2 * (size_t)e + 1])
        tab_put(nt, dedup__index_ntab(bits), idx->ids[e], e);
    dedup__free(idx->idtab);
    idx->idtab = nt;

    /* The free list is rebuilt from scratch: the old free slots, the dead
     * ones just dropped from the chains, and the new ones. */
    idx->free_head = DEDUP__NIL;
    idx->nfree = 0;
    for (size_t e = 0; e + 1 < ocap; e++)
        if (idx->order[2 * e] == DEDUP__SLOT_FREE)
            idx->order[2 * e] = DEDUP__SLOT_DEAD; /* re-pushed below */
    for (size_t e = 0; e + 1 < ocap; e++)
        if (idx->order[2 * e] == DEDUP__SLOT_DEAD)
            idx->deadmap[e >> 6] |= (uint64_t)1 << (e & 63);
    free_dead_and_new(idx, ocap - 1);
    return DEDUP_OK;
}

/* Make sure a free slot exists: reuse dead slots if enough are waiting,
 * else grow. */
static int reserve(dedup_index *idx)
{
    if (idx->nfree > 0)
        return DEDUP_OK;
    size_t cap = capacity_of(idx->slot_bits);
    if (idx->dead > 0 && (idx->dead >= (cap >> 3) || idx->slot_bits == DEDUP__INDEX_MAX_BITS)) {
        compact(idx);
        return DEDUP_OK;
    }
    return grow(idx);
}

/* ======================================================= construction */

int dedup__index_new(dedup_index **out, const dedup_params *p, unsigned bands,
                     unsigned rows)
{
    dedup_index *idx = dedup__calloc(1, sizeof *idx);
    if (!idx)
        return DEDUP_E_NOMEM;
    idx->params = *p;
    idx->fingerprint = dedup__params_fingerprint(p);
    idx->band_seed = dedup__mix64((uint64_t)p->ival[DEDUP_P_SEED] ^ 0x6c73682d62616e64ULL);
    idx->threshold = p->threshold;
    idx->min_shared = (double)p->ival[DEDUP_P_MIN_SHARED];
    idx->measure = (dedup_measure)p->ival[DEDUP_P_MEASURE];
    idx->k = (uint32_t)p->ival[DEDUP_P_NUM_HASHES];
    idx->cbits = 8;
    idx->main_bands = bands;
    idx->bands = bands + dedup__params_nlead(p) / DEDUP__LEAD_ROWS;
    idx->rows = rows;
    idx->first = idx->last = idx->free_head = DEDUP__NIL;
    idx->monotone = 1;
    *out = idx;
    return DEDUP_OK;
}

int dedup_index_create(dedup_index **out, const dedup_params *p)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    dedup_params defaults;
    unsigned bands, rows;
    int rc = dedup__params_prepare(&p, &defaults, &bands, &rows);
    if (rc)
        return rc;
    dedup_index *idx;
    rc = dedup__index_new(&idx, p, bands, rows);
    if (rc)
        return rc;
    rc = alloc_initial(idx);
    if (rc) {
        dedup_index_free(idx);
        return rc;
    }
    *out = idx;
    return DEDUP_OK;
}

void dedup_index_free(dedup_index *idx)
{
    if (!idx)
        return;
    dedup__free(idx->slab);
    dedup__free(idx->heads);
    dedup__free(idx->idtab);
    dedup__names_free(idx->names);
    dedup_linestats_free(idx->lines);
    dedup_hasher_free(idx->hasher);
    dedup__free(idx->appdata);
    dedup__free(idx);
}

/* ============================================================ adding */

/* Store a document in a reserved free slot. Cannot fail. full, if not NULL,
 * has a flag per band from a query of sig: 0 if that band's value has
 * fewer live documents than the cap. */
static void insert(dedup_index *idx, uint64_t id, int64_t stamp, const dedup_signature *sig,
                   const uint8_t *full)
{
    uint32_t e = idx->free_head;
    idx->free_head = idx->order[2 * (size_t)e + 1];
    idx->nfree--;
    idx->ids[e] = id;
    idx->stamps[e] = stamp;
    idx->sizes[e] = size_word(sig);
    dedup__compact_signature(sig->values, idx->k, idx->cbits,
                             idx->sigs + (size_t)e * dedup__compact_stride(idx->k, idx->cbits));
    if (idx->count > 0 && stamp < idx->stamps[idx->last])
        idx->monotone = 0;
    order_append(idx, e);
    idx->count++;
    tab_put(idx->idtab, dedup__index_ntab(idx->slot_bits), id, e);
    /* An empty document matches nothing, and all of them would pile up in
     * one bucket per band: they are kept out of the band tables. */
    if (idx->sizes[e] == 0)
        return;
    for (uint32_t b = 0; b < idx->bands; b++)
        chain_insert(idx, b, band_hash(idx, sig->values, b), e, full ? full[b] : 1);
}

int dedup_index_add(dedup_index *idx, uint64_t id, int64_t stamp, const dedup_signature *sig)
{
    int rc = check_sig(idx, sig);
    if (rc)
        return rc;
    size_t pos;
    if (tab_find(idx, id, &pos) != DEDUP__NIL)
        return DEDUP_E_EXISTS;
    rc = reserve(idx);
    if (rc)
        return rc;
    insert(idx, id, stamp, sig, NULL);
    return DEDUP_OK;
}

/* ============================================================ queries */

/* A growable array that starts in caller-provided (stack) storage. */
typedef struct {
    void *v;
    size_t n, cap, elem;
    void *local;
} vec;

static void vec_init(vec *a, void *local, size_t cap, size_t elem)
{
    a->v = a->local = local;
    a->n = 0;
    a->cap = cap;
    a->elem = elem;
}

static int vec_reserve1(vec *a)
{
    if (a->n < a->cap)
        return DEDUP_OK;
    if (a->cap > SIZE_MAX / 2 / a->elem)
        return DEDUP_E_NOMEM;
    size_t ncap = a->cap * 2;
    void *nv;
    if (a->v == a->local) {
        nv = dedup__malloc(ncap * a->elem);
        if (nv)
            memcpy(nv, a->v, a->n * a->elem);
    } else {
        nv = dedup__realloc(a->v, ncap * a->elem);
    }
    if (!nv)
        return DEDUP_E_NOMEM;
    a->v = nv;
    a->cap = ncap;
    return DEDUP_OK;
}

static void vec_free(vec *a)
{
    if (a->v != a->local)
        dedup__free(a->v);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_match(const void *a, const void *b)
{
    const dedup_match *x = a, *y = b;
    if (x->similarity != y->similarity)
        return x->similarity > y->similarity ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/*
 * The candidate slots of a query: live linked slots whose stored band-hash
 * bits (the tag) match the query's in the chain of the query's bucket, for
 * some band, each once, appended to cands (which may have grown to the
 * heap: the caller frees it) in no particular order. At most
 * DEDUP__INDEX_RUN_CAP are taken from one band. A full band hash match
 * implies a tag match; the rare tag match of another band value only costs
 * a verification. DEDUP_OK or DEDUP_E_NOMEM.
 *
 * Walking a chain is a cache miss per entry, each address known only once
 * the previous entry is read. So the chains of all bands are walked in
 * lockstep, a step of each per round, prefetching every chain's next entry
 * one round ahead: the misses of one round overlap instead of queueing
 * behind each other.
 *
 * seen is scratch of seen_cap entries (a power of two, more than twice the
 * most candidates a query can take, nb * DEDUP__INDEX_RUN_CAP): an open
 * addressing set that drops repeats, a slot taken from several bands.
 */
static int collect(const dedup_index *idx, const dedup_signature *sig, vec *cands,
                   uint32_t *seen, size_t seen_cap, uint32_t *walk)
{
    unsigned bits = idx->slot_bits;
    uint32_t smask = slot_mask(bits), nb = idx->bands;
    size_t nbk = nbuckets(bits);
    uint32_t *cur = walk, *tag = walk + nb, *taken = walk + 2 * nb, *active = walk + 3 * nb;
    uint32_t na = 0;
    for (uint32_t b = 0; b < nb; b++) {
        uint64_t h = band_hash(idx, sig->values, b);
        tag[b] = window_of(h, bits);
        cur[b] = (uint32_t)((size_t)b * nbk + (size_t)(h & (nbk - 1)));
        taken[b] = 0;
        DEDUP_PREFETCH(&idx->heads[cur[b]]);
    }
    for (uint32_t b = 0; b < nb; b++) {
        uint32_t e = idx->heads[cur[b]];
        if (e != DEDUP__NIL) {
            DEDUP_PREFETCH(&idx->links[(size_t)e * nb + b]);
            cur[b] = e;
            active[na++] = b;
        }
    }
    memset(seen, 0xFF, seen_cap * sizeof *seen);
    size_t smask_seen = seen_cap - 1;
    while (na) {
        uint32_t left = 0;
        for (uint32_t i = 0; i < na; i++) {
            uint32_t b = active[i], e = cur[b];
            uint32_t link = idx->links[(size_t)e * nb + b];
            if (link >> bits == tag[b] && !is_dead(idx, e)) {
                taken[b]++;
                size_t pos = (size_t)dedup__mix64(e) & smask_seen;
                while (seen[pos] != DEDUP__NIL && seen[pos] != e)
                    pos = (pos + 1) & smask_seen;
                if (seen[pos] == DEDUP__NIL) {
                    seen[pos] = e;
                    if (vec_reserve1(cands))
                        return DEDUP_E_NOMEM;
                    ((uint32_t *)cands->v)[cands->n++] = e;
                }
            }
            uint32_t n = link_next(link, smask);
            if (n != DEDUP__NIL && taken[b] < DEDUP__INDEX_RUN_CAP) {
                DEDUP_PREFETCH(&idx->links[(size_t)n * nb + b]);
                cur[b] = n;
                active[left++] = b;
            }
        }
        na = left;
    }
    return DEDUP_OK;
}

/* Scratch of one query: the seen set and the lockstep walk state, on the
 * stack for the default shape, else on the heap. */
#define LOCAL_SEEN 2048
#define LOCAL_WALK 256

typedef struct {
    uint32_t seen_local[LOCAL_SEEN], walk_local[4 * LOCAL_WALK];
    uint32_t *seen, *walk;
    size_t seen_cap;
} scratch;

static int scratch_init(scratch *s, const dedup_index *idx)
{
    size_t need = (size_t)idx->bands * DEDUP__INDEX_RUN_CAP * 2, cap = 64;
    while (cap < need)
        cap *= 2;
    s->seen_cap = cap;
    s->seen = cap <= LOCAL_SEEN ? s->seen_local : dedup__malloc(cap * sizeof *s->seen);
    s->walk = idx->bands <= LOCAL_WALK ? s->walk_local
                                       : dedup__malloc(4 * (size_t)idx->bands * sizeof *s->walk);
    if (!s->seen || !s->walk) {
        if (s->seen != s->seen_local)
            dedup__free(s->seen);
        if (s->walk != s->walk_local)
            dedup__free(s->walk);
        return DEDUP_E_NOMEM;
    }
    return DEDUP_OK;
}

static void scratch_free(scratch *s)
{
    if (s->seen != s->seen_local)
        dedup__free(s->seen);
    if (s->walk != s->walk_local)
        dedup__free(s->walk);
}

/* dedup_index_query; full, if not NULL, receives a flag per band: 1 if
 * the query's value holds the cap of live documents in that band. */
static int query(const dedup_index *idx, const dedup_signature *sig, dedup_match *out,
                 size_t cap, size_t *n, uint8_t *full)
{
    if (!n)
        return DEDUP_E_INVAL;
    *n = 0;
    if (cap && !out)
        return DEDUP_E_INVAL;
    int rc = check_sig(idx, sig);
    if (rc)
        return rc;
    if (sig->set_size == 0 || idx->count == 0)
        return DEDUP_OK;

    uint8_t q[DEDUP__COMPACT_MAX_BYTES];
    dedup__compact_signature(sig->values, idx->k, idx->cbits, q);
    uint32_t qsize = size_word(sig);

    uint32_t local_c[LOCAL_SLOTS];
    dedup_match local_m[LOCAL_MATCHES];
    vec cands, found;
    scratch sc;
    if ((rc = scratch_init(&sc, idx)))
        return rc;
    vec_init(&cands, local_c, LOCAL_SLOTS, sizeof(uint32_t));
    vec_init(&found, local_m, LOCAL_MATCHES, sizeof(dedup_match));
    rc = collect(idx, sig, &cands, sc.seen, sc.seen_cap, sc.walk);
    if (full)
        for (uint32_t b = 0; b < idx->bands; b++)
            full[b] = sc.walk[2 * idx->bands + b] >= DEDUP__INDEX_RUN_CAP;
    scratch_free(&sc);
    /* Verification reads each candidate's signature, a miss apiece: they
     * are prefetched a few candidates ahead. */
    const uint32_t *c = cands.v;
    size_t stride = dedup__compact_stride(idx->k, idx->cbits);
    for (size_t i = 0; i < cands.n && i < VERIFY_AHEAD; i++) {
        prefetch_sig(idx->sigs + (size_t)c[i] * stride, stride);
        DEDUP_PREFETCH(&idx->sizes[c[i]]);
    }
    for (size_t i = 0; rc == DEDUP_OK && i < cands.n; i++) {
        uint32_t e = c[i];
        if (i + VERIFY_AHEAD < cands.n) {
            prefetch_sig(idx->sigs + (size_t)c[i + VERIFY_AHEAD] * stride, stride);
            DEDUP_PREFETCH(&idx->sizes[c[i + VERIFY_AHEAD]]);
        }
        double s = slot_similarity(idx, q, qsize, e);
        if (s < idx->threshold)
            continue;
        rc = vec_reserve1(&found);
        if (rc == DEDUP_OK) {
            dedup_match *m = &((dedup_match *)found.v)[found.n++];
            m->id = idx->ids[e];
            m->similarity = s;
        }
    }
    if (rc == DEDUP_OK) {
        dedup_match *m = found.v;
        qsort(m, found.n, sizeof *m, cmp_match);
        size_t w = DEDUP_MIN(cap, found.n);
        if (w)
            memcpy(out, m, w * sizeof *m);
        *n = found.n;
    }
    vec_free(&cands);
    vec_free(&found);
    return rc;
}

int dedup_index_query(const dedup_index *idx, const dedup_signature *sig, dedup_match *out,
                      size_t cap, size_t *n)
{
    return query(idx, sig, out, cap, n, NULL);
}

int dedup__index_candidates(const dedup_index *idx, const dedup_signature *sig,
                            uint64_t *out, size_t cap, size_t *n)
{
    if (!n)
        return DEDUP_E_INVAL;
    *n = 0;
    int rc = check_sig(idx, sig);
    if (rc)
        return rc;
    if (sig->set_size == 0 || idx->count == 0)
        return DEDUP_OK;
    uint32_t local_c[LOCAL_SLOTS];
    vec cands;
    scratch sc;
    if ((rc = scratch_init(&sc, idx)))
        return rc;
    vec_init(&cands, local_c, LOCAL_SLOTS, sizeof(uint32_t));
    rc = collect(idx, sig, &cands, sc.seen, sc.seen_cap, sc.walk);
    scratch_free(&sc);
    if (rc == DEDUP_OK) {
        qsort(cands.v, cands.n, sizeof(uint32_t), cmp_u32);
        for (size_t i = 0; i < cands.n && i < cap; i++)
            out[i] = idx->ids[((uint32_t *)cands.v)[i]];
        *n = cands.n;
    }
    vec_free(&cands);
    return rc;
}

int dedup__index_similarity(const dedup_index *idx, const dedup_signature *sig, uint64_t id,
                            double *out)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = 0.0;
    int rc = check_sig(idx, sig);
    if (rc)
        return rc;
    size_t pos;
    uint32_t e = tab_find(idx, id, &pos);
    if (e == DEDUP__NIL)
        return DEDUP_E_NOTFOUND;
    uint8_t q[DEDUP__COMPACT_MAX_BYTES];
    dedup__compact_signature(sig->values, idx->k, idx->cbits, q);
    *out = slot_similarity(idx, q, size_word(sig), e);
    return DEDUP_OK;
}

int dedup_index_add_unique(dedup_index *idx, uint64_t id, int64_t stamp,
                           const dedup_signature *sig, int *is_dup, dedup_match *best)
{
    if (!is_dup)
        return DEDUP_E_INVAL;
    *is_dup = 0;
    int rc = check_sig(idx, sig);
    if (rc)
        return rc;
    size_t pos;
    if (tab_find(idx, id, &pos) != DEDUP__NIL)
        return DEDUP_E_EXISTS;
    dedup_match m;
    size_t n;
    uint8_t full[DEDUP__INDEX_MAX_BANDS];
    rc = query(idx, sig, &m, 1, &n, full);
    if (rc)
        return rc;
    if (n > 0) {
        *is_dup = 1;
        if (best)
            *best = m;
        return DEDUP_OK;
    }
    rc = reserve(idx);
    if (rc)
        return rc;
    insert(idx, id, stamp, sig, sig->set_size && idx->count ? full : NULL);
    return DEDUP_OK;
}

/* ========================================================== forgetting */

/* Remove the live document in slot e, whose id-table entry is at pos. */
static void remove_slot(dedup_index *idx, uint32_t e, size_t pos)
{
    dedup__names_drop(idx->names, idx->ids[e]);
    tab_delete(idx, pos);
    order_unlink(idx, e);
    idx->count--;
    if (idx->sizes[e] != 0) {
        idx->order[2 * (size_t)e] = DEDUP__SLOT_DEAD;
        idx->order[2 * (size_t)e + 1] = DEDUP__NIL;
        idx->deadmap[e >> 6] |= (uint64_t)1 << (e & 63);
        idx->dead++;
    } else {
        free_push(idx, e);
    }
    if (idx->count == 0)
        idx->monotone = 1;
}

int dedup_index_remove(dedup_index *idx, uint64_t id)
{
    if (!idx)
        return DEDUP_E_INVAL;
    size_t pos;
    uint32_t e = tab_find(idx, id, &pos);
    if (e == DEDUP__NIL)
        return DEDUP_E_NOTFOUND;
    remove_slot(idx, e, pos);
    return DEDUP_OK;
}

int dedup_index_expire(dedup_index *idx, int64_t before, size_t *removed)
{
    if (removed)
        *removed = 0;
    if (!idx)
        return DEDUP_E_INVAL;
    size_t r = 0, pos;
    if (idx->monotone) {
        /* Oldest first: the first stamp not below `before` ends the walk. */
        while (idx->first != DEDUP__NIL && idx->stamps[idx->first] < before) {
            uint32_t e = idx->first;
            tab_find(idx, idx->ids[e], &pos);
            remove_slot(idx, e, pos);
            r++;
        }
    } else {
        int mono = 1, seen = 0;
        int64_t prev = 0;
        uint32_t e = idx->first;
        while (e != DEDUP__NIL) {
            uint32_t next = idx->order[2 * (size_t)e + 1];
            if (idx->stamps[e] < before) {
                tab_find(idx, idx->ids[e], &pos);
                remove_slot(idx, e, pos);
                r++;
            } else {
                if (seen && idx->stamps[e] < prev)
                    mono = 0;
                prev = idx->stamps[e];
                seen = 1;
            }
            e = next;
        }
        idx->monotone = mono;
    }
    if (removed)
        *removed = r;
    return DEDUP_OK;
}

/* ============================================================ accessors */

size_t dedup_index_count(const dedup_index *idx)
{
    return idx ? idx->count : 0;
}

int dedup_index_contains(const dedup_index *idx, uint64_t id)
{
    size_t pos;
    return idx && tab_find(idx, id, &pos) != DEDUP__NIL;
}

int dedup_index_stamp(const dedup_index *idx, uint64_t id, int64_t *stamp)
{
    if (!idx || !stamp)
        return DEDUP_E_INVAL;
    size_t pos;
    uint32_t e = tab_find(idx, id, &pos);
    if (e == DEDUP__NIL)
        return DEDUP_E_NOTFOUND;
    *stamp = idx->stamps[e];
    return DEDUP_OK;
}

size_t dedup_index_memory(const dedup_index *idx)
{
    if (!idx)
        return 0;
    return sizeof *idx + idx->slab_bytes +
           dedup__index_nheads(idx->slot_bits, idx->bands) * sizeof(uint32_t) +
           dedup__index_ntab(idx->slot_bits) * sizeof(uint32_t) +
           dedup__names_memory(idx->names) +
           (idx->lines ? dedup_linestats_serialized_size(idx->lines) : 0) + idx->appdata_len;
}

const dedup_params *dedup_index_params(const dedup_index *idx)
{
    return idx ? &idx->params : NULL;
}

void dedup_index_set_tag(dedup_index *idx, uint64_t tag)
{
    if (idx)
        idx->tag = tag;
}

uint64_t dedup_index_tag(const dedup_index *idx)
{
    return idx ? idx->tag : 0;
}

unsigned dedup_index_value_bits(const dedup_index *idx)
{
    return idx ? (unsigned)idx->cbits : 0;
}

int dedup_index_set_appdata(dedup_index *idx, const void *data, size_t len)
{
    if (!idx || (!data && len))
        return DEDUP_E_INVAL;
    unsigned char *copy = NULL;
    if (len && !(copy = dedup__malloc(len)))
        return DEDUP_E_NOMEM;
    if (len)
        memcpy(copy, data, len);
    dedup__free(idx->appdata);
    idx->appdata = copy;
    idx->appdata_len = len;
    return DEDUP_OK;
}

const void *dedup_index_appdata(const dedup_index *idx, size_t *len)
{
    if (len)
        *len = idx ? idx->appdata_len : 0;
    return idx ? idx->appdata : NULL;
}

int dedup_index_foreach(const dedup_index *idx, dedup_index_visit_fn fn, void *payload)
{
    if (!idx || !fn)
        return DEDUP_E_INVAL;
    for (uint32_t e = idx->first; e != DEDUP__NIL; e = idx->order[2 * (size_t)e + 1]) {
        int rc = fn(idx->ids[e], idx->stamps[e], payload);
        if (rc)
            return rc;
    }
    return DEDUP_OK;
}
