/*
 * params.c - keyed parameters with defaults and bounds.
 *
 * Each key has a fixed number, a type, a name, bounds and a default, all in
 * one table so that they stay together. Integer values are stored as int64;
 * the one real key (the threshold) has its own field.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"

typedef struct {
    dedup_param key;
    dedup_param_type type;
    const char *name;
    int64_t min, max, def;
} param_info;

static const param_info params_table[] = {
    {DEDUP_P_NUM_HASHES, DEDUP_PARAM_INT, "num_hashes", 16, 1024, 128},
    {DEDUP_P_SEED, DEDUP_PARAM_INT, "seed", INT64_MIN, INT64_MAX, 0},
    {DEDUP_P_SHINGLE_SIZE, DEDUP_PARAM_INT, "shingle_size", 1, 16, 4},
    {DEDUP_P_CHAR_SHINGLE_SIZE, DEDUP_PARAM_INT, "char_shingle_size", 1, 16, 8},
    {DEDUP_P_NORMALIZE, DEDUP_PARAM_INT, "normalize", 0, DEDUP_NORM_ALL, DEDUP_NORM_DEFAULT},
    {DEDUP_P_MEASURE, DEDUP_PARAM_INT, "measure", 0, 1, DEDUP_MEASURE_CONTAINMENT},
    {DEDUP_P_THRESHOLD, DEDUP_PARAM_REAL, "threshold", 0, 0, 0},
    {DEDUP_P_BANDS, DEDUP_PARAM_INT, "bands", 0, 1024, 0},
    {DEDUP_P_ROWS, DEDUP_PARAM_INT, "rows", 0, 64, 0},
    {DEDUP_P_CLUSTER_MODE, DEDUP_PARAM_INT, "cluster_mode", 0, 1, DEDUP_CLUSTER_REPRESENTATIVE},
    {DEDUP_P_MAX_SIZE_RATIO, DEDUP_PARAM_INT, "max_size_ratio", 1, 64, 2},
    {DEDUP_P_HANGUL_CHARS, DEDUP_PARAM_INT, "hangul_chars", 0, 1, 1},
    {DEDUP_P_LINK_LISTS, DEDUP_PARAM_INT, "link_lists", 0, 1, 1},
    {DEDUP_P_QUOTES, DEDUP_PARAM_INT, "quotes", 0, 2, DEDUP__QUOTES_DEFAULT},
    {DEDUP_P_MIN_SHARED, DEDUP_PARAM_INT, "min_shared", 0, 1000000, 30},
    {DEDUP_P_HANGUL_SHINGLE_SIZE, DEDUP_PARAM_INT, "hangul_shingle_size", 1, 16, 5},
    {DEDUP_P_LEAD_BANDS, DEDUP_PARAM_INT, "lead_bands", 0, 32, 8},
};

#define THRESHOLD_DEFAULT 0.40
#define NPARAMS (sizeof params_table / sizeof params_table[0])

static const param_info *lookup(dedup_param key)
{
    for (size_t i = 0; i < NPARAMS; i++)
        if (params_table[i].key == key)
            return &params_table[i];
    return NULL;
}

void dedup__params_defaults(dedup_params *p)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < NPARAMS; i++)
        if (params_table[i].type == DEDUP_PARAM_INT)
            p->ival[params_table[i].key] = params_table[i].def;
    p->threshold = THRESHOLD_DEFAULT;
}

int dedup_params_create(dedup_params **out)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    dedup_params *p = dedup__malloc(sizeof *p);
    if (!p)
        return DEDUP_E_NOMEM;
    dedup__params_defaults(p);
    *out = p;
    return DEDUP_OK;
}

int dedup_params_copy(dedup_params **out, const dedup_params *src)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    if (!src)
        return DEDUP_E_INVAL;
    dedup_params *p = dedup__malloc(sizeof *p);
    if (!p)
        return DEDUP_E_NOMEM;
    *p = *src;
    *out = p;
    return DEDUP_OK;
}

void dedup_params_free(dedup_params *p)
{
    dedup__free(p);
}

int dedup_params_set(dedup_params *p, dedup_param key, int64_t value)
{
    const param_info *pi = lookup(key);
    if (!p || !pi || pi->type != DEDUP_PARAM_INT)
        return DEDUP_E_INVAL;
    if (value < pi->min || value > pi->max)
        return DEDUP_E_RANGE;
    if (key == DEDUP_P_NORMALIZE && (value & ~(int64_t)DEDUP_NORM_ALL))
        return DEDUP_E_RANGE;
    p->ival[key] = value;
    return DEDUP_OK;
}

int dedup_params_get(const dedup_params *p, dedup_param key, int64_t *out)
{
    const param_info *pi = lookup(key);
    if (!p || !out || !pi || pi->type != DEDUP_PARAM_INT)
        return DEDUP_E_INVAL;
    *out = p->ival[key];
    return DEDUP_OK;
}

int dedup_params_set_real(dedup_params *p, dedup_param key, double value)
{
    const param_info *pi = lookup(key);
    if (!p || !pi || pi->type != DEDUP_PARAM_REAL)
        return DEDUP_E_INVAL;
    /* The comparison is false for NaN, which is therefore out of range. */
    if (!(value > 0.0 && value <= 1.0))
        return DEDUP_E_RANGE;
    p->threshold = value;
    return DEDUP_OK;
}

int dedup_params_get_real(const dedup_params *p, dedup_param key, double *out)
{
    const param_info *pi = lookup(key);
    if (!p || !out || !pi || pi->type != DEDUP_PARAM_REAL)
        return DEDUP_E_INVAL;
    *out = p->threshold;
    return DEDUP_OK;
}

/* ============================================================ records */

#define RECORD_REAL 1u
#define RECORD_IGNORABLE 2u
/* The last key when parameters became records (index format 7). */
#define RECORDS_BEGAN_WITH DEDUP_P_MIN_SHARED

/* 1 if key, added after records began, holds the value that files without
 * its record mean (dedup__params_from_records sets that value when the
 * record is missing): an older reader may then ignore the record. Hangul
 * text took DEDUP_P_CHAR_SHINGLE_SIZE before it had a size of its own, and
 * there were no lead bands. */
static int keeps_old_meaning(const dedup_params *p, dedup_param key)
{
    if (key == DEDUP_P_LEAD_BANDS)
        return p->ival[key] == 0;
    return key == DEDUP_P_HANGUL_SHINGLE_SIZE &&
           p->ival[key] == p->ival[DEDUP_P_CHAR_SHINGLE_SIZE];
}

uint32_t dedup__params_to_records(const dedup_params *p, unsigned char *out)
{
    uint32_t n = 0;
    for (size_t i = 0; i < NPARAMS; i++, n++) {
        const param_info *pi = &params_table[i];
        unsigned char *r = out + (size_t)n * DEDUP__PARAM_RECORD;
        uint64_t v;
        if (pi->type == DEDUP_PARAM_REAL)
            memcpy(&v, &p->threshold, 8);
        else
            v = (uint64_t)p->ival[pi->key];
        dedup__store_le32(r, (uint32_t)pi->key);
        uint32_t flags = pi->type == DEDUP_PARAM_REAL ? RECORD_REAL : 0;
        if (keeps_old_meaning(p, pi->key))
            flags |= RECORD_IGNORABLE;
        dedup__store_le32(r + 4, flags);
        dedup__store_le64(r + 8, v);
    }
    return n;
}

int dedup__params_from_records(const unsigned char *in, uint32_t n, dedup_params *p)
{
    dedup__params_defaults(p);
    uint32_t seen = 0; /* bit per key; keys are below 32 */
    for (uint32_t i = 0; i < n; i++) {
        const unsigned char *r = in + (size_t)i * DEDUP__PARAM_RECORD;
        uint32_t key = dedup__load_le32(r), flags = dedup__load_le32(r + 4);
        uint64_t v = dedup__load_le64(r + 8);
        if (flags & ~(RECORD_REAL | RECORD_IGNORABLE))
            return DEDUP_E_FORMAT;
        const param_info *pi = key < 32 ? lookup((dedup_param)key) : NULL;
        if (!pi) {
            if (flags & RECORD_IGNORABLE)
                continue;
            return DEDUP_E_VERSION;
        }
        if (seen >> key & 1 || !(flags & RECORD_REAL) != (pi->type == DEDUP_PARAM_INT))
            return DEDUP_E_FORMAT;
        seen |= 1u << key;
        int rc;
        if (pi->type == DEDUP_PARAM_REAL) {
            double d;
            memcpy(&d, &v, 8);
            rc = dedup_params_set_real(p, pi->key, d);
        } else {
            rc = dedup_params_set(p, pi->key, (int64_t)v);
        }
        if (rc)
            return DEDUP_E_FORMAT;
    }
    /* Every key known when records began is in every file. A key added
     * later must come with the value that files without it mean, set
     * here when its record is missing. */
    for (size_t i = 0; i < NPARAMS; i++)
        if (params_table[i].key <= RECORDS_BEGAN_WITH && !(seen >> params_table[i].key & 1))
            return DEDUP_E_FORMAT;
    if (!(seen >> DEDUP_P_HANGUL_SHINGLE_SIZE & 1))
        p->ival[DEDUP_P_HANGUL_SHINGLE_SIZE] = p->ival[DEDUP_P_CHAR_SHINGLE_SIZE];
    if (!(seen >> DEDUP_P_LEAD_BANDS & 1))
        p->ival[DEDUP_P_LEAD_BANDS] = 0;
    return dedup__params_validate(p) == DEDUP_OK ? DEDUP_OK : DEDUP_E_FORMAT;
}

dedup_param_type dedup_param_type_of(dedup_param key)
{
    const param_info *pi = lookup(key);
    return pi ? pi->type : DEDUP_PARAM_INVALID;
}

int dedup_param_bounds(dedup_param key, int64_t *min, int64_t *max)
{
    const param_info *pi = lookup(key);
    if (!pi || pi->type != DEDUP_PARAM_INT || !min || !max)
        return DEDUP_E_INVAL;
    *min = pi->min;
    *max = pi->max;
    return DEDUP_OK;
}

int dedup_param_bounds_real(dedup_param key, double *min, double *max)
{
    const param_info *pi = lookup(key);
    if (!pi || pi->type != DEDUP_PARAM_REAL || !min || !max)
        return DEDUP_E_INVAL;
    /* The threshold must be above 0: 0 would call every pair a duplicate. */
    *min = 1e-6;
    *max = 1.0;
    return DEDUP_OK;
}

const char *dedup_param_name(dedup_param key)
{
    const param_info *pi = lookup(key);
    return pi ? pi->name : NULL;
}

int dedup_param_from_name(const char *name, dedup_param *out)
{
    if (!name || !out)
        return DEDUP_E_INVAL;
    for (size_t i = 0; i < NPARAMS; i++)
        if (strcmp(params_table[i].name, name) == 0) {
            *out = params_table[i].key;
            return DEDUP_OK;
        }
    return DEDUP_E_INVAL;
}

uint64_t dedup__params_fingerprint(const dedup_params *p)
{
    /* Only what changes signature values goes in; threshold, bands and
     * cluster mode are decisions taken on top of signatures. The leading
     * constant is the signature format version, so that a new format never
     * compares equal to an old one: v02 hashes ASCII words by their letter
     * sets (tokenize.c), v03 leaves lists of links out, v04 quotations. */
    static const dedup_param keys[] = {
        DEDUP_P_NUM_HASHES, DEDUP_P_SEED, DEDUP_P_SHINGLE_SIZE,
        DEDUP_P_CHAR_SHINGLE_SIZE, DEDUP_P_NORMALIZE, DEDUP_P_HANGUL_CHARS,
        DEDUP_P_LINK_LISTS, DEDUP_P_QUOTES,
    };
    uint64_t h = dedup__mix64(0x6465647570763034ULL); /* "dedupv04" */
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        h = dedup__mix64(h ^ dedup__mix64((uint64_t)p->ival[keys[i]] + i));
    /* A Hangul size equal to the character size signs as before it had
     * its own key, so such signatures still compare with older ones. */
    int64_t hn = p->ival[DEDUP_P_HANGUL_SHINGLE_SIZE];
    if (hn != p->ival[DEDUP_P_CHAR_SHINGLE_SIZE])
        h = dedup__mix64(h ^ dedup__mix64((uint64_t)hn + 0x68616e67756cULL)); /* "hangul" */
    /* Lead values, when there are any, are part of what a signature holds. */
    int64_t lb = p->ival[DEDUP_P_LEAD_BANDS];
    if (lb)
        h = dedup__mix64(h ^ dedup__mix64((uint64_t)lb + 0x6c656164ULL)); /* "lead" */
    return h;
}

int dedup__params_validate(const dedup_params *p)
{
    int64_t b = p->ival[DEDUP_P_BANDS], r = p->ival[DEDUP_P_ROWS];
    if (b && r && b * r > p->ival[DEDUP_P_NUM_HASHES])
        return DEDUP_E_RANGE;
    return DEDUP_OK;
}
