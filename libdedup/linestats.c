/*
 * linestats.c - how many documents contain each line: the statistics behind
 * boilerplate filtering.
 *
 * A count-min sketch with conservative update: DEDUP_LS_DEPTH rows of
 * 32-bit counters indexed by independent slices of a line's 64-bit hash.
 * A line's count is the minimum over the rows, which over-estimates only
 * through collisions. Each document adds each of its distinct lines once,
 * so counts are document frequencies. Sketches of the same width add up
 * counter by counter, so statistics gathered by threads or machines merge
 * (the merged sketch is still an upper bound).
 *
 * Lines are what lies between '\n' bytes, with ASCII spaces, tabs and
 * carriage returns trimmed at both ends; blank lines are not counted. The
 * bytes are hashed as they are: boilerplate is byte-identical across a
 * site's pages, and hashing raw bytes costs next to nothing.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "linestats.h"

int dedup_linestats_create(dedup_linestats **out, size_t width)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    if (width == 0)
        width = (size_t)1 << 20;
    if (width > ((size_t)1 << 30))
        return DEDUP_E_RANGE;
    size_t w = 64;
    while (w < width)
        w *= 2;
    dedup_linestats *ls = dedup__calloc(1, sizeof *ls);
    if (!ls)
        return DEDUP_E_NOMEM;
    ls->width = w;
    ls->counts = dedup__calloc(w * DEDUP_LS_DEPTH, sizeof(uint32_t));
    if (!ls->counts) {
        dedup__free(ls);
        return DEDUP_E_NOMEM;
    }
    *out = ls;
    return DEDUP_OK;
}

void dedup_linestats_free(dedup_linestats *ls)
{
    if (!ls)
        return;
    dedup__free(ls->counts);
    dedup__free(ls->scratch);
    dedup__free(ls);
}

uint64_t dedup__line_hash(const char *line, size_t len)
{
    while (len && (line[0] == ' ' || line[0] == '\t' || line[0] == '\r')) {
        line++;
        len--;
    }
    while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
        len--;
    if (len == 0)
        return 0;
    uint64_t h = XXH3_64bits(line, len);
    return h ? h : 1;
}

/* Row r's counter index for hash h: 16-bit slices of a remixed hash. */
static inline size_t slot(const dedup_linestats *ls, uint64_t h, int r)
{
    uint64_t m = dedup__mix64(h + 0x9e3779b97f4a7c15ULL * (uint64_t)(r + 1));
    return (size_t)r * ls->width + (size_t)(m & (ls->width - 1));
}

uint32_t dedup__linestats_lookup(const dedup_linestats *ls, uint64_t h)
{
    uint32_t best = UINT32_MAX;
    for (int r = 0; r < DEDUP_LS_DEPTH; r++) {
        uint32_t c = ls->counts[slot(ls, h, r)];
        if (c < best)
            best = c;
    }
    return best;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int dedup_linestats_add(dedup_linestats *ls, const char *text, size_t len)
{
    if (!ls || (!text && len))
        return DEDUP_E_INVAL;
    size_t n = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        uint64_t h = dedup__line_hash(p, (size_t)(e - p));
        if (h) {
            if (n == ls->scratch_cap) {
                void *b = ls->scratch;
                if (dedup__grow(&b, &ls->scratch_cap, n + 1, sizeof(uint64_t)) != DEDUP_OK)
                    return DEDUP_E_NOMEM;
                ls->scratch = b;
            }
            ls->scratch[n++] = h;
        }
        p = nl ? nl + 1 : end;
    }
    qsort(ls->scratch, n, sizeof(uint64_t), cmp_u64);
    for (size_t i = 0; i < n; i++) {
        if (i && ls->scratch[i] == ls->scratch[i - 1])
            continue;
        uint64_t h = ls->scratch[i];
        /* Conservative update: raise only the counters at the minimum. */
        uint32_t m = dedup__linestats_lookup(ls, h);
        if (m == UINT32_MAX)
            continue;
        for (int r = 0; r < DEDUP_LS_DEPTH; r++) {
            uint32_t *c = &ls->counts[slot(ls, h, r)];
            if (*c == m)
                *c = m + 1;
        }
    }
    ls->docs++;
    return DEDUP_OK;
}

uint32_t dedup_linestats_count(const dedup_linestats *ls, const char *line, size_t len)
{
    if (!ls || (!line && len))
        return 0;
    uint64_t h = dedup__line_hash(line, len);
    return h ? dedup__linestats_lookup(ls, h) : 0;
}

uint64_t dedup_linestats_documents(const dedup_linestats *ls)
{
    return ls ? ls->docs : 0;
}

int dedup_linestats_merge(dedup_linestats *dst, const dedup_linestats *src)
{
    if (!dst || !src)
        return DEDUP_E_INVAL;
    if (dst->width != src->width)
        return DEDUP_E_MISMATCH;
    size_t n = dst->width * DEDUP_LS_DEPTH;
    for (size_t i = 0; i < n; i++) {
        uint64_t s = (uint64_t)dst->counts[i] + src->counts[i];
        dst->counts[i] = s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
    }
    dst->docs += src->docs;
    return DEDUP_OK;
}
