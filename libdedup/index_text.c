/*
 * index_text.c - documents by name and by text: what a crawler needs on top
 * of the index of signatures, done as the dedup tool does it.
 *
 * Names. A named document gets the id next_named (skipping ids taken by
 * documents added by number), and its name is kept in a dedup__names
 * table; removing or expiring the document drops the name (index.c calls
 * dedup__names_drop). Names are saved with the index.
 *
 * Text. dedup_index_add_text counts the document's lines into the index's
 * own line statistics (when boilerplate is on), signs it with the index's
 * hasher, which leaves out lines found in min_docs documents so far, and
 * adds it unless it duplicates a stored one: the order of `dedup filter -j1`,
 * so that the library and the tool give the same answers. The statistics
 * are saved with the index.
 */
#include "index.h"
#include "linestats.h"

int dedup_hasher_sign_fields(dedup_hasher *h, const dedup_field *fields, size_t n,
                             dedup_signature *sig)
{
    if (!h || !sig || (!fields && n))
        return DEDUP_E_INVAL;
    size_t present = 0, total = 0, only = 0;
    for (size_t i = 0; i < n; i++)
        if (fields[i].text) {
            if (total > SIZE_MAX - fields[i].len - 1)
                return DEDUP_E_RANGE;
            total += fields[i].len + (present ? 1 : 0);
            only = i;
            present++;
        }
    if (present <= 1)
        return dedup_hasher_sign(h, present ? fields[only].text : "",
                                 present ? fields[only].len : 0, sig);
    char *joined = dedup__malloc(total);
    if (!joined)
        return DEDUP_E_NOMEM;
    size_t at = 0;
    for (size_t i = 0; i < n; i++)
        if (fields[i].text) {
            if (at)
                joined[at++] = '\n';
            memcpy(joined + at, fields[i].text, fields[i].len);
            at += fields[i].len;
        }
    int rc = dedup_hasher_sign(h, joined, total, sig);
    dedup__free(joined);
    return rc;
}

/* ================================================================ names */

static int check_key(const dedup_index *idx, const char *key, size_t len)
{
    if (!idx || (!key && len))
        return DEDUP_E_INVAL;
    return len > DEDUP__NAME_MAX ? DEDUP_E_RANGE : DEDUP_OK;
}

/* Reserve a name of len bytes and pick the id for it (not yet used). */
static int prepare_named(dedup_index *idx, size_t len, uint64_t *id)
{
    if (!idx->names && !(idx->names = dedup__names_new()))
        return DEDUP_E_NOMEM;
    int rc = dedup__names_reserve(idx->names, len);
    if (rc)
        return rc;
    uint64_t next = idx->next_named ? idx->next_named : 1;
    while (dedup_index_contains(idx, next))
        next++;
    *id = next;
    return DEDUP_OK;
}

/* After the document was added as id: its name, and the next id. */
static void name_added(dedup_index *idx, uint64_t id, const char *key, size_t len)
{
    dedup__names_put(idx->names, id, key ? key : "", len);
    idx->next_named = id + 1;
}

int dedup_index_add_named(dedup_index *idx, const char *key, size_t len, int64_t stamp,
                          const dedup_signature *sig, uint64_t *id)
{
    uint64_t got = 0;
    if (id)
        *id = 0;
    int rc = check_key(idx, key, len);
    if (rc)
        return rc;
    if (dedup__names_find(idx->names, key ? key : "", len))
        return DEDUP_E_EXISTS;
    if ((rc = prepare_named(idx, len, &got)) || (rc = dedup_index_add(idx, got, stamp, sig)))
        return rc;
    name_added(idx, got, key, len);
    if (id)
        *id = got;
    return DEDUP_OK;
}

int dedup_index_add_unique_named(dedup_index *idx, const char *key, size_t len, int64_t stamp,
                                 const dedup_signature *sig, int *is_dup, dedup_match *best,
                                 uint64_t *id)
{
    uint64_t got = 0;
    if (id)
        *id = 0;
    if (!is_dup)
        return DEDUP_E_INVAL;
    *is_dup = 0;
    int rc = check_key(idx, key, len);
    if (rc)
        return rc;
    if (dedup__names_find(idx->names, key ? key : "", len))
        return DEDUP_E_EXISTS;
    if ((rc = prepare_named(idx, len, &got)) ||
        (rc = dedup_index_add_unique(idx, got, stamp, sig, is_dup, best)))
        return rc;
    if (!*is_dup) {
        name_added(idx, got, key, len);
        if (id)
            *id = got;
    }
    return DEDUP_OK;
}

int dedup_index_lookup(const dedup_index *idx, const char *key, size_t len, uint64_t *id)
{
    if (!id)
        return DEDUP_E_INVAL;
    *id = 0;
    int rc = check_key(idx, key, len);
    if (rc)
        return rc == DEDUP_E_RANGE ? DEDUP_E_NOTFOUND : rc;
    *id = dedup__names_find(idx->names, key ? key : "", len);
    return *id ? DEDUP_OK : DEDUP_E_NOTFOUND;
}

const char *dedup_index_name(const dedup_index *idx, uint64_t id, size_t *len)
{
    if (len)
        *len = 0;
    return idx ? dedup__names_get(idx->names, id, len) : NULL;
}

int dedup_index_set_name(dedup_index *idx, uint64_t id, const char *key, size_t len)
{
    int rc = check_key(idx, key, len);
    if (rc)
        return rc;
    if (!dedup_index_contains(idx, id))
        return DEDUP_E_NOTFOUND;
    uint64_t other = dedup__names_find(idx->names, key ? key : "", len);
    if (other == id)
        return DEDUP_OK;
    if (other)
        return DEDUP_E_EXISTS;
    if (!idx->names && !(idx->names = dedup__names_new()))
        return DEDUP_E_NOMEM;
    if ((rc = dedup__names_reserve(idx->names, len)))
        return rc;
    dedup__names_drop(idx->names, id);
    dedup__names_put(idx->names, id, key ? key : "", len);
    return DEDUP_OK;
}

uint64_t dedup_index_next_named(const dedup_index *idx)
{
    return idx && idx->next_named ? idx->next_named : 1;
}

int dedup_index_set_next_named(dedup_index *idx, uint64_t next)
{
    if (!idx || next == 0)
        return DEDUP_E_INVAL;
    idx->next_named = next;
    return DEDUP_OK;
}

int dedup_index_remove_named(dedup_index *idx, const char *key, size_t len)
{
    uint64_t id;
    int rc = dedup_index_lookup(idx, key, len, &id);
    return rc ? rc : dedup_index_remove(idx, id);
}

/* ================================================================= text */

int dedup_index_set_boilerplate(dedup_index *idx, uint32_t min_docs)
{
    if (!idx || min_docs == 1)
        return DEDUP_E_INVAL;
    if (min_docs && !idx->lines) {
        int rc = dedup_linestats_create(&idx->lines, 0);
        if (rc)
            return rc;
    }
    idx->min_docs = min_docs;
    if (idx->hasher)
        return dedup_hasher_set_linestats(idx->hasher, min_docs ? idx->lines : NULL,
                                          min_docs ? min_docs : 2);
    return DEDUP_OK;
}

int dedup_index_adopt_linestats(dedup_index *idx, dedup_linestats *ls)
{
    if (!idx || !ls)
        return DEDUP_E_INVAL;
    if (idx->hasher && idx->min_docs) {
        int rc = dedup_hasher_set_linestats(idx->hasher, ls, idx->min_docs);
        if (rc)
            return rc;
    }
    dedup_linestats_free(idx->lines);
    idx->lines = ls;
    return DEDUP_OK;
}

uint32_t dedup_index_boilerplate(const dedup_index *idx)
{
    return idx ? idx->min_docs : 0;
}

const dedup_linestats *dedup_index_linestats(const dedup_index *idx)
{
    return idx && idx->min_docs ? idx->lines : NULL;
}

int dedup_index_hasher(const dedup_index *idx, dedup_hasher **out)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    if (!idx)
        return DEDUP_E_INVAL;
    dedup_hasher *h;
    int rc = dedup_hasher_create(&h, &idx->params);
    if (!rc && idx->min_docs)
        rc = dedup_hasher_set_linestats(h, idx->lines, idx->min_docs);
    if (rc) {
        dedup_hasher_free(h);
        return rc;
    }
    *out = h;
    return DEDUP_OK;
}

/* dedup_index_add_text_site; site_len 0: no site. */
static int add_text(dedup_index *idx, const char *site, size_t site_len, const char *key,
                    size_t len, int64_t stamp, const dedup_field *fields, size_t n,
                    int *is_dup, dedup_match *best, uint64_t *id)
{
    if (id)
        *id = 0;
    if (!is_dup)
        return DEDUP_E_INVAL;
    *is_dup = 0;
    int rc = check_key(idx, key, len);
    if (rc)
        return rc;
    if ((!fields && n) || (!site && site_len))
        return DEDUP_E_INVAL;
    if (dedup__names_find(idx->names, key ? key : "", len))
        return DEDUP_E_EXISTS;
    if (!idx->hasher && (rc = dedup_index_hasher(idx, &idx->hasher)))
        return rc;
    dedup_signature *sig;
    if ((rc = dedup_signature_create(&sig, &idx->params)))
        return rc;
    /* The lines are counted first, as dedup filter does: a document's own
     * lines count towards what is boilerplate when it is signed. */
    uint64_t sh = dedup__site_hash(site, site_len);
    if (idx->min_docs)
        rc = dedup__linestats_add_fields(idx->lines, sh, fields, n);
    if (!rc)
        rc = dedup_hasher_set_site(idx->hasher, site, site_len);
    if (!rc)
        rc = dedup_hasher_sign_fields(idx->hasher, fields, n, sig);
    if (!rc)
        rc = dedup_index_add_unique_named(idx, key, len, stamp, sig, is_dup, best, id);
    dedup_signature_free(sig);
    return rc;
}

int dedup_index_add_text(dedup_index *idx, const char *key, size_t len, int64_t stamp,
                         const dedup_field *fields, size_t n, int *is_dup, dedup_match *best,
                         uint64_t *id)
{
    return add_text(idx, NULL, 0, key, len, stamp, fields, n, is_dup, best, id);
}

int dedup_index_add_text_site(dedup_index *idx, const char *site, size_t site_len,
                              const char *key, size_t len, int64_t stamp,
                              const dedup_field *fields, size_t n, int *is_dup,
                              dedup_match *best, uint64_t *id)
{
    return add_text(idx, site, site_len, key, len, stamp, fields, n, is_dup, best, id);
}

/* ================================================================ loading */

int dedup__index_read_names(dedup_index *idx, const unsigned char *p, size_t len)
{
    if (len < 16)
        return DEDUP_E_FORMAT;
    uint64_t next = dedup__load_le64(p), count = dedup__load_le64(p + 8);
    if (count > dedup_index_count(idx) || !(idx->names = dedup__names_new()))
        return count > dedup_index_count(idx) ? DEDUP_E_FORMAT : DEDUP_E_NOMEM;
    size_t at = 16;
    for (uint64_t i = 0; i < count; i++) {
        if (len - at < 12)
            return DEDUP_E_FORMAT;
        uint64_t id = dedup__load_le64(p + at);
        uint32_t n = dedup__load_le32(p + at + 8);
        at += 12;
        if (n > len - at || n > DEDUP__NAME_MAX || !dedup_index_contains(idx, id) ||
            dedup__names_get(idx->names, id, NULL) ||
            dedup__names_find(idx->names, (const char *)p + at, n))
            return DEDUP_E_FORMAT;
        int rc = dedup__names_reserve(idx->names, n);
        if (rc)
            return rc;
        dedup__names_put(idx->names, id, (const char *)p + at, n);
        at += n;
    }
    if (at != len)
        return DEDUP_E_FORMAT;
    idx->next_named = next;
    return DEDUP_OK;
}

int dedup__index_read_lines(dedup_index *idx, const unsigned char *p, size_t len)
{
    if (len < 8 || dedup__load_le32(p) < 2 || dedup__load_le32(p + 4) != 0)
        return DEDUP_E_FORMAT;
    int rc = dedup_linestats_deserialize(&idx->lines, p + 8, len - 8);
    if (rc)
        return rc == DEDUP_E_NOMEM ? rc : DEDUP_E_FORMAT;
    idx->min_docs = dedup__load_le32(p);
    return DEDUP_OK;
}
