/*
 * names.c - the keys of an index's documents: byte strings (URLs, a
 * crawler's own ids) kept next to the 64-bit ids the index works with.
 *
 * The names live back to back in one arena. Two tables of open addressing
 * with linear probing, at a load of at most three quarters, find them:
 *   - by id: 16 bytes an entry, the id and the name's place in the arena
 *     (offset << 16 | length);
 *   - by name: 8 bytes an entry, the position of the name's entry in the
 *     table by id (plus one) in the low 32 bits and the high 32 bits of
 *     the name's hash in the high ones, a tag that spares most name
 *     comparisons. The entry's home is the hash's low bits.
 * So a name costs 24 bytes of tables at full load, 32 to 64 as the tables
 * grow by doubling, plus its bytes.
 *
 * A name dropped (its document removed or expired) leaves a tombstone in
 * both tables and dead bytes in the arena. When the entries, tombstones
 * included, would pass three quarters of the tables, both are rebuilt for
 * the live names (the table by name from the new table by id, hashing each
 * name again); the arena is compacted only when its dead bytes outnumber
 * the live ones, so that growing copies no name.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "names.h"

#define TOMB UINT64_MAX        /* a dropped entry of the table by id */
#define BTOMB 0xFFFFFFFFull    /* a dropped entry of the table by name */
#define POS_MASK 0xFFFFFFFFull /* the position part of a by-name entry */
#define MAX_SLOTS ((size_t)1 << 31) /* positions + 1 must stay below BTOMB */

typedef struct {
    uint64_t id;    /* 0 empty, TOMB dropped */
    uint64_t place; /* offset << 16 | length */
} entry;

struct dedup__names {
    char *arena;
    size_t used, cap, dead; /* bytes: in use (live and dead), allocated, dead */
    entry *byid;
    uint64_t *byname;       /* 0 empty, BTOMB dropped, else tag << 32 | pos + 1 */
    size_t nslots, live;
    size_t iocc, bocc;      /* non-empty entries (tombstones too) of each table */
};

static inline size_t id_home(uint64_t id, size_t mask)
{
    return (size_t)dedup__mix64(id) & mask;
}

static uint64_t name_hash(const char *s, size_t n)
{
    return XXH3_64bits(s, n);
}

static inline uint64_t tag_of(uint64_t h)
{
    return h >> 32;
}

/* The by-id position of id, or SIZE_MAX. */
static size_t find_id(const dedup__names *t, uint64_t id)
{
    if (!t->nslots || id == 0 || id == TOMB)
        return SIZE_MAX;
    size_t mask = t->nslots - 1;
    for (size_t i = id_home(id, mask);; i = (i + 1) & mask) {
        if (t->byid[i].id == id)
            return i;
        if (t->byid[i].id == 0)
            return SIZE_MAX;
    }
}

/* The by-id position holding name (hash h), or SIZE_MAX. */
static size_t find_name(const dedup__names *t, const char *s, size_t n, uint64_t h)
{
    if (!t->nslots)
        return SIZE_MAX;
    size_t mask = t->nslots - 1;
    uint64_t tag = tag_of(h);
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        uint64_t v = t->byname[i];
        if (v == 0)
            return SIZE_MAX;
        if (v == BTOMB || v >> 32 != tag)
            continue;
        size_t at = (size_t)(v & POS_MASK) - 1;
        uint64_t pl = t->byid[at].place;
        if ((pl & 0xFFFF) == n && memcmp(t->arena + (pl >> 16), s, n) == 0)
            return at;
    }
}

/* Put the entry of id (place, name hash h) into both tables, reusing a
 * tombstone where the probe meets one first; room is known to be there. */
static void insert(dedup__names *t, uint64_t id, uint64_t place, uint64_t h)
{
    size_t mask = t->nslots - 1, i = id_home(id, mask);
    while (t->byid[i].id != 0 && t->byid[i].id != TOMB)
        i = (i + 1) & mask;
    t->iocc += t->byid[i].id == 0;
    t->byid[i].id = id;
    t->byid[i].place = place;
    size_t j = (size_t)h & mask;
    while (t->byname[j] != 0 && t->byname[j] != BTOMB)
        j = (j + 1) & mask;
    t->bocc += t->byname[j] == 0;
    t->byname[j] = tag_of(h) << 32 | ((uint64_t)i + 1);
    t->live++;
}

/* Copy the live names into a new arena of just their size, rewriting
 * their places. DEDUP_OK or DEDUP_E_NOMEM (nothing changed). */
static int compact_arena(dedup__names *t)
{
    size_t bytes = t->used - t->dead, cap = bytes ? bytes : 64, at = 0;
    char *a = dedup__malloc(cap);
    if (!a)
        return DEDUP_E_NOMEM;
    for (size_t i = 0; i < t->nslots; i++) {
        if (t->byid[i].id == 0 || t->byid[i].id == TOMB)
            continue;
        uint64_t pl = t->byid[i].place;
        size_t len = (size_t)(pl & 0xFFFF);
        memcpy(a + at, t->arena + (pl >> 16), len);
        t->byid[i].place = (uint64_t)at << 16 | len;
        at += len;
    }
    dedup__free(t->arena);
    t->arena = a;
    t->cap = cap;
    t->used = at;
    t->dead = 0;
    return DEDUP_OK;
}

/* Rebuild both tables with room for at least need live names (load at
 * most three quarters), dropping the tombstones; the names stay where
 * they are in the arena. DEDUP_OK or DEDUP_E_NOMEM (nothing changed). */
static int rebuild(dedup__names *t, size_t need)
{
    size_t nslots = 16;
    while (nslots * 3 < need * 4) {
        if (nslots >= MAX_SLOTS)
            return DEDUP_E_NOMEM;
        nslots *= 2;
    }
    entry *byid = dedup__calloc(nslots, sizeof *byid);
    uint64_t *byname = dedup__calloc(nslots, sizeof *byname);
    if (!byid || !byname) {
        dedup__free(byid);
        dedup__free(byname);
        return DEDUP_E_NOMEM;
    }
    entry *old = t->byid;
    size_t oldn = t->nslots;
    dedup__free(t->byname);
    t->byid = byid;
    t->byname = byname;
    t->nslots = nslots;
    t->live = t->iocc = t->bocc = 0;
    for (size_t i = 0; i < oldn; i++) {
        if (old[i].id == 0 || old[i].id == TOMB)
            continue;
        uint64_t pl = old[i].place;
        insert(t, old[i].id, pl, name_hash(t->arena + (pl >> 16), (size_t)(pl & 0xFFFF)));
    }
    dedup__free(old);
    return DEDUP_OK;
}

dedup__names *dedup__names_new(void)
{
    return dedup__calloc(1, sizeof(dedup__names));
}

void dedup__names_free(dedup__names *t)
{
    if (!t)
        return;
    dedup__free(t->byid);
    dedup__free(t->byname);
    dedup__free(t->arena);
    dedup__free(t);
}

int dedup__names_reserve(dedup__names *t, size_t len)
{
    if (len > DEDUP__NAME_MAX)
        return DEDUP_E_RANGE;
    if (2 * t->dead > t->used + 64) {
        int rc = compact_arena(t);
        if (rc)
            return rc;
    }
    size_t occ = t->iocc > t->bocc ? t->iocc : t->bocc;
    if ((occ + 1) * 4 > t->nslots * 3) {
        /* Doubles when the entries are live; stays the size it is when
         * most are tombstones. */
        int rc = rebuild(t, 2 * (t->live + 1));
        if (rc)
            return rc;
    }
    if (!t->arena || t->cap - t->used < len) {
        size_t cap = t->cap ? t->cap : 64; /* an empty name has a place too */
        while (cap - t->used < len) {
            if (cap > SIZE_MAX / 2 || cap > ((size_t)1 << 47))
                return DEDUP_E_NOMEM;
            cap *= 2;
        }
        char *a = dedup__realloc(t->arena, cap);
        if (!a)
            return DEDUP_E_NOMEM;
        t->arena = a;
        t->cap = cap;
    }
    return DEDUP_OK;
}

void dedup__names_put(dedup__names *t, uint64_t id, const char *name, size_t len)
{
    if (len)
        memcpy(t->arena + t->used, name, len);
    insert(t, id, (uint64_t)t->used << 16 | len, name_hash(name, len));
    t->used += len;
}

uint64_t dedup__names_find(const dedup__names *t, const char *name, size_t len)
{
    if (!t || len > DEDUP__NAME_MAX)
        return 0;
    size_t at = find_name(t, name, len, name_hash(name, len));
    return at == SIZE_MAX ? 0 : t->byid[at].id;
}

const char *dedup__names_get(const dedup__names *t, uint64_t id, size_t *len)
{
    size_t at = t ? find_id(t, id) : SIZE_MAX;
    if (at == SIZE_MAX)
        return NULL;
    if (len)
        *len = (size_t)(t->byid[at].place & 0xFFFF);
    return t->arena + (t->byid[at].place >> 16);
}

void dedup__names_drop(dedup__names *t, uint64_t id)
{
    size_t at = t ? find_id(t, id) : SIZE_MAX;
    if (at == SIZE_MAX)
        return;
    uint64_t pl = t->byid[at].place;
    size_t len = (size_t)(pl & 0xFFFF);
    uint64_t h = name_hash(t->arena + (pl >> 16), len);
    uint64_t want = tag_of(h) << 32 | ((uint64_t)at + 1);
    size_t mask = t->nslots - 1;
    for (size_t j = (size_t)h & mask; t->byname[j] != 0; j = (j + 1) & mask)
        if (t->byname[j] == want) {
            t->byname[j] = BTOMB;
            break;
        }
    t->byid[at].id = TOMB;
    t->live--;
    t->dead += len;
}

size_t dedup__names_count(const dedup__names *t)
{
    return t ? t->live : 0;
}

size_t dedup__names_memory(const dedup__names *t)
{
    return t ? sizeof *t + t->cap + t->nslots * (sizeof(entry) + sizeof(uint64_t)) : 0;
}

int dedup__names_foreach(const dedup__names *t,
                         int (*fn)(uint64_t id, const char *name, size_t len, void *p),
                         void *payload)
{
    for (size_t i = 0; t && i < t->nslots; i++) {
        uint64_t id = t->byid[i].id;
        if (id == 0 || id == TOMB)
            continue;
        uint64_t pl = t->byid[i].place;
        int rc = fn(id, t->arena + (pl >> 16), (size_t)(pl & 0xFFFF), payload);
        if (rc)
            return rc;
    }
    return 0;
}
