/*
 * names.h - the keys (names) of an index's documents. Internal; see
 * names.c.
 */
#ifndef DEDUP_NAMES_H
#define DEDUP_NAMES_H

#include "common.h"

/* Longest name in bytes. */
#define DEDUP__NAME_MAX 65535u

typedef struct dedup__names dedup__names;

DEDUP_INTERNAL dedup__names *dedup__names_new(void);
DEDUP_INTERNAL void dedup__names_free(dedup__names *t);
/* Make room for one more name of len bytes, so that dedup__names_put
 * cannot fail. DEDUP_OK, DEDUP_E_RANGE (len over DEDUP__NAME_MAX) or
 * DEDUP_E_NOMEM (nothing changed). */
DEDUP_INTERNAL int dedup__names_reserve(dedup__names *t, size_t len);
/* Record name for id (neither present; room reserved). */
DEDUP_INTERNAL void dedup__names_put(dedup__names *t, uint64_t id, const char *name,
                                     size_t len);
/* The id named name, or 0. */
DEDUP_INTERNAL uint64_t dedup__names_find(const dedup__names *t, const char *name, size_t len);
/* The name of id (not NUL-terminated), or NULL; *len its length. */
DEDUP_INTERNAL const char *dedup__names_get(const dedup__names *t, uint64_t id, size_t *len);
/* Forget id's name, if it has one. */
DEDUP_INTERNAL void dedup__names_drop(dedup__names *t, uint64_t id);
DEDUP_INTERNAL size_t dedup__names_count(const dedup__names *t);
DEDUP_INTERNAL size_t dedup__names_memory(const dedup__names *t);
/* Call fn for every name, in no particular order; a non-zero return stops
 * the walk and is returned. */
DEDUP_INTERNAL int dedup__names_foreach(const dedup__names *t,
                                        int (*fn)(uint64_t id, const char *name, size_t len,
                                                  void *p),
                                        void *payload);

#endif
