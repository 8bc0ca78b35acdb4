/*
 * names.c - the keys of an index's documents: byte strings (URLs, a
 * crawler's own ids) kept next to the 64-bit ids the index works with.
 *
 * The names live back to back in one arena; a table by id gives each one's
 * place and length, a second table finds the id of a name. Both are open
 * addressing with linear probing at a load of at most one half. A name
 * dropped (its document removed or expired) leaves a tombstone in both
 * tables and dead bytes in the arena; when tombstones or dead bytes
 * outnumber the live ones, everything is rebuilt, so the memory stays
 * within about twice what the live names need.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "names.h"

#define TOMB UINT64_MAX /* an id entry that was dropped */

struct dedup__names {
    char *arena;
    size_t used, cap, dead; /* bytes: in use (live and dead), allocated, dead */
    /* by id: ids[i] (0 empty, TOMB dropped), place[i] = offset << 16 | len */
    uint64_t *ids, *place;
    /* by name: slot in the id table + 1 (0 empty), and the name's hash */
    uint64_t *byname, *hash;
    size_t nslots, live;
    size_t iocc, bocc; /* non-empty entries (tombstones too) of each table */
};

static inline size_t home(uint64_t x, size_t mask)
{
    return (size_t)dedup__mix64(x) & mask;
}

static uint64_t name_hash(const char *s, size_t n)
{
    return XXH3_64bits(s, n);
}

/* The id-table position of id, or SIZE_MAX. */
static size_t find_id(const dedup__names *t, uint64_t id)
{
    if (!t->nslots || id == 0 || id == TOMB)
        return SIZE_MAX;
    size_t mask = t->nslots - 1;
    for (size_t i = home(id, mask);; i = (i + 1) & mask) {
        if (t->ids[i] == id)
            return i;
        if (t->ids[i] == 0)
            return SIZE_MAX;
    }
}

/* The id-table position holding name, or SIZE_MAX. */
static size_t find_name(const dedup__names *t, const char *s, size_t n, uint64_t h)
{
    if (!t->nslots)
        return SIZE_MAX;
    size_t mask = t->nslots - 1;
    for (size_t i = home(h, mask);; i = (i + 1) & mask) {
        uint64_t v = t->byname[i];
        if (v == 0)
            return SIZE_MAX;
        if (v == TOMB || t->hash[i] != h)
            continue;
        size_t at = (size_t)(v - 1);
        uint64_t pl = t->place[at];
        if ((pl & 0xFFFF) == n && memcmp(t->arena + (pl >> 16), s, n) == 0)
            return at;
    }
}

/* Put an entry into freshly cleared tables of t (no tombstones, room
 * known to be there). */
static void insert(dedup__names *t, uint64_t id, uint64_t place, uint64_t h)
{
    size_t mask = t->nslots - 1, i = home(id, mask);
    while (t->ids[i] != 0 && t->ids[i] != TOMB)
        i = (i + 1) & mask;
    t->ids[i] = id;
    t->place[i] = place;
    size_t j = home(h, mask);
    while (t->byname[j] != 0 && t->byname[j] != TOMB)
        j = (j + 1) & mask;
    t->byname[j] = (uint64_t)i + 1;
    t->hash[j] = h;
    t->live++;
    t->iocc++;
    t->bocc++;
}

/* Rebuild with room for at least need live names: fresh tables, the arena
 * compacted. */
static int rebuild(dedup__names *t, size_t need)
{
    size_t nslots = 16;
    while (nslots < 2 * need + 2)
        nslots *= 2;
    size_t bytes = t->used - t->dead;
    dedup__names n = {0};
    n.nslots = nslots;
    n.ids = dedup__calloc(nslots, sizeof *n.ids);
    n.place = dedup__malloc(nslots * sizeof *n.place);
    n.byname = dedup__calloc(nslots, sizeof *n.byname);
    n.hash = dedup__malloc(nslots * sizeof *n.hash);
    n.cap = bytes ? bytes : 64;
    n.arena = dedup__malloc(n.cap);
    if (!n.ids || !n.place || !n.byname || !n.hash || !n.arena) {
        dedup__free(n.ids);
        dedup__free(n.place);
        dedup__free(n.byname);
        dedup__free(n.hash);
        dedup__free(n.arena);
        return DEDUP_E_NOMEM;
    }
    for (size_t i = 0; i < t->nslots; i++) {
        uint64_t id = t->ids[i];
        if (id == 0 || id == TOMB)
            continue;
        uint64_t pl = t->place[i];
        size_t len = (size_t)(pl & 0xFFFF);
        const char *s = t->arena + (pl >> 16);
        memcpy(n.arena + n.used, s, len);
        insert(&n, id, (uint64_t)n.used << 16 | len, name_hash(s, len));
        n.used += len;
    }
    dedup__free(t->ids);
    dedup__free(t->place);
    dedup__free(t->byname);
    dedup__free(t->hash);
    dedup__free(t->arena);
    *t = n;
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
    dedup__free(t->ids);
    dedup__free(t->place);
    dedup__free(t->byname);
    dedup__free(t->hash);
    dedup__free(t->arena);
    dedup__free(t);
}

int dedup__names_reserve(dedup__names *t, size_t len)
{
    if (len > DEDUP__NAME_MAX)
        return DEDUP_E_RANGE;
    size_t occ = t->iocc > t->bocc ? t->iocc : t->bocc;
    if (2 * (occ + 1) > t->nslots || 2 * t->dead > t->used + 64) {
        int rc = rebuild(t, 2 * (t->live + 1));
        if (rc)
            return rc;
    }
    if (t->cap - t->used < len) {
        size_t cap = t->cap ? t->cap : 64;
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
    memcpy(t->arena + t->used, name, len);
    uint64_t h = name_hash(name, len);
    size_t mask = t->nslots - 1, i = home(id, mask);
    while (t->ids[i] != 0 && t->ids[i] != TOMB)
        i = (i + 1) & mask;
    t->iocc += t->ids[i] == 0;
    t->ids[i] = id;
    t->place[i] = (uint64_t)t->used << 16 | len;
    size_t j = home(h, mask);
    while (t->byname[j] != 0 && t->byname[j] != TOMB)
        j = (j + 1) & mask;
    t->bocc += t->byname[j] == 0;
    t->byname[j] = (uint64_t)i + 1;
    t->hash[j] = h;
    t->used += len;
    t->live++;
}

uint64_t dedup__names_find(const dedup__names *t, const char *name, size_t len)
{
    if (!t || len > DEDUP__NAME_MAX)
        return 0;
    size_t at = find_name(t, name, len, name_hash(name, len));
    return at == SIZE_MAX ? 0 : t->ids[at];
}

const char *dedup__names_get(const dedup__names *t, uint64_t id, size_t *len)
{
    size_t at = t ? find_id(t, id) : SIZE_MAX;
    if (at == SIZE_MAX)
        return NULL;
    if (len)
        *len = (size_t)(t->place[at] & 0xFFFF);
    return t->arena + (t->place[at] >> 16);
}

void dedup__names_drop(dedup__names *t, uint64_t id)
{
    size_t at = t ? find_id(t, id) : SIZE_MAX;
    if (at == SIZE_MAX)
        return;
    uint64_t pl = t->place[at];
    size_t len = (size_t)(pl & 0xFFFF);
    uint64_t h = name_hash(t->arena + (pl >> 16), len);
    size_t mask = t->nslots - 1;
    for (size_t j = home(h, mask); t->byname[j] != 0; j = (j + 1) & mask)
        if (t->byname[j] == (uint64_t)at + 1) {
            t->byname[j] = TOMB;
            break;
        }
    t->ids[at] = TOMB;
    t->live--;
    t->dead += len;
}

size_t dedup__names_count(const dedup__names *t)
{
    return t ? t->live : 0;
}

size_t dedup__names_memory(const dedup__names *t)
{
    return t ? sizeof *t + t->cap + t->nslots * 4 * sizeof(uint64_t) : 0;
}

int dedup__names_foreach(const dedup__names *t,
                         int (*fn)(uint64_t id, const char *name, size_t len, void *p),
                         void *payload)
{
    for (size_t i = 0; t && i < t->nslots; i++) {
        uint64_t id = t->ids[i];
        if (id == 0 || id == TOMB)
            continue;
        int rc = fn(id, t->arena + (t->place[i] >> 16), (size_t)(t->place[i] & 0xFFFF),
                    payload);
        if (rc)
            return rc;
    }
    return 0;
}
