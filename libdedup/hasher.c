/*
 * hasher.c - the text pipeline's public face: a context that owns every
 * buffer the stages need (normalized text, tokens, shingle set, MinHash
 * scratch), so that after warming up no call allocates. One per thread.
 */
#include "hasher.h"

int dedup_hasher_create(dedup_hasher **out, const dedup_params *p)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = NULL;
    dedup_hasher *h = dedup__calloc(1, sizeof *h);
    if (!h)
        return DEDUP_E_NOMEM;
    if (p)
        h->params = *p;
    else
        dedup__params_defaults(&h->params);
    const int64_t *iv = h->params.ival;
    h->fingerprint = dedup__params_fingerprint(&h->params);
    h->seed = (uint64_t)iv[DEDUP_P_SEED];
    h->word_n = (unsigned)iv[DEDUP_P_SHINGLE_SIZE];
    h->char_n = (unsigned)iv[DEDUP_P_CHAR_SHINGLE_SIZE];
    h->k = (uint32_t)iv[DEDUP_P_NUM_HASHES];
    int flags = (int)iv[DEDUP_P_NORMALIZE];
    dedup__normalizer_init(&h->nz, flags);
    dedup__tokenizer_init(&h->tk, h->seed, (flags & DEDUP_NORM_CASEFOLD) != 0,
                          (int)iv[DEDUP_P_HANGUL_CHARS]);
    *out = h;
    return DEDUP_OK;
}

void dedup_hasher_free(dedup_hasher *h)
{
    if (!h)
        return;
    dedup__normalizer_release(&h->nz);
    dedup__tokenizer_release(&h->tk);
    dedup__shingler_release(&h->sh);
    dedup__free(h->mh_scratch);
    dedup__free(h->kept);
    dedup__free(h);
}

int dedup_hasher_normalize(dedup_hasher *h, const char *text, size_t len, const char **out,
                           size_t *out_len)
{
    if (!h || !out || !out_len || (!text && len))
        return DEDUP_E_INVAL;
    int rc = dedup__normalize(&h->nz, (const unsigned char *)text, len);
    if (rc != DEDUP_OK)
        return rc;
    *out = (const char *)h->nz.out;
    *out_len = h->nz.out_len;
    return DEDUP_OK;
}

int dedup_hasher_tokenize(dedup_hasher *h, const char *text, size_t len, const char **norm,
                          size_t *norm_len, const dedup_token **tokens, size_t *ntokens)
{
    if (!h || !tokens || !ntokens || (!text && len))
        return DEDUP_E_INVAL;
    int rc = dedup__normalize(&h->nz, (const unsigned char *)text, len);
    if (rc == DEDUP_OK)
        rc = dedup__tokenize(&h->tk, h->nz.out, h->nz.out_len);
    if (rc != DEDUP_OK)
        return rc;
    if (norm)
        *norm = (const char *)h->nz.out;
    if (norm_len)
        *norm_len = h->nz.out_len;
    *tokens = h->tk.tokens;
    *ntokens = h->tk.ntokens;
    return DEDUP_OK;
}

int dedup_hasher_set_linestats(dedup_hasher *h, const dedup_linestats *ls, uint32_t min_docs)
{
    if (!h || (ls && min_docs < 2))
        return DEDUP_E_INVAL;
    h->ls = ls;
    h->ls_min_docs = min_docs;
    return DEDUP_OK;
}

/* Copy into h->kept the lines of text that are not boilerplate (found in
 * at least ls_min_docs documents, and at most DEDUP_BOILERPLATE_MAX_LINE
 * bytes long). Sets *out to the text to shingle: the
 * kept lines, or the whole text when nothing or everything was dropped. */
static int drop_boilerplate(dedup_hasher *h, const char *text, size_t len, const char **out,
                            size_t *out_len)
{
    *out = text;
    *out_len = len;
    h->lines_dropped = 0;
    if (!h->ls || len == 0)
        return DEDUP_OK;
    void *b = h->kept;
    if (dedup__grow(&b, &h->kept_cap, len, 1) != DEDUP_OK)
        return DEDUP_E_NOMEM;
    h->kept = b;
    size_t n = 0, kept_lines = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl + 1 : end;
        size_t line_len = (size_t)((nl ? nl : end) - p);
        uint64_t lh = dedup__line_hash(p, line_len);
        if (lh && line_len <= DEDUP_BOILERPLATE_MAX_LINE &&
            dedup__linestats_lookup(h->ls, lh) >= h->ls_min_docs) {
            h->lines_dropped++;
        } else {
            memcpy(h->kept + n, p, (size_t)(e - p));
            n += (size_t)(e - p);
            kept_lines += lh != 0;
        }
        p = e;
    }
    if (h->lines_dropped && kept_lines) {
        *out = h->kept;
        *out_len = n;
    }
    return DEDUP_OK;
}

int dedup__hasher_shingle(dedup_hasher *h, const char *text, size_t len)
{
    int rc = drop_boilerplate(h, text, len, &text, &len);
    if (rc != DEDUP_OK)
        return rc;
    rc = dedup__normalize(&h->nz, (const unsigned char *)text, len);
    if (rc == DEDUP_OK)
        rc = dedup__tokenize(&h->tk, h->nz.out, h->nz.out_len);
    if (rc != DEDUP_OK)
        return rc;
    /* Text mostly in scripts without spaces takes the character n-gram
     * size; everything else the word size and the members of its numbers
     * (shingle.c). Character n-grams go without: on the generated
     * multilingual corpus, numbers there doubled the share of different
     * stories on one event that were merged (0.21% to 0.52%). */
    int chars = h->tk.nchar_tokens * 2 > h->tk.ntokens;
    return dedup__shingle(&h->sh, h->tk.tokens, h->tk.ntokens, chars ? h->char_n : h->word_n,
                          h->tk.numbers, chars ? 0 : h->tk.nnumbers);
}

int dedup_hasher_shingles(dedup_hasher *h, const char *text, size_t len, const uint64_t **out,
                          size_t *n)
{
    if (!h || !out || !n || (!text && len))
        return DEDUP_E_INVAL;
    int rc = dedup__hasher_shingle(h, text, len);
    if (rc != DEDUP_OK)
        return rc;
    *out = h->sh.set;
    *n = h->sh.nset;
    return DEDUP_OK;
}

size_t dedup_hasher_replaced(const dedup_hasher *h)
{
    return h ? h->nz.replaced : 0;
}

/* Sign a set known to hold n distinct shingles. */
static int sign_set(dedup_hasher *h, const uint64_t *set, size_t n, dedup_signature *sig)
{
    if (n == 0) {
        dedup__signature_clear(sig);
        return DEDUP_OK;
    }
    int rc = dedup__minhash(set, n, h->k, h->seed, sig->values, &h->mh_scratch,
                            &h->mh_scratch_cap);
    if (rc != DEDUP_OK) {
        dedup__signature_clear(sig);
        return rc;
    }
    sig->set_size = n;
    return DEDUP_OK;
}

int dedup_hasher_sign_shingles(dedup_hasher *h, const uint64_t *shingles, size_t n,
                               dedup_signature *sig)
{
    if (!h || !sig || (!shingles && n))
        return DEDUP_E_INVAL;
    if (sig->fingerprint != h->fingerprint || sig->k != h->k)
        return DEDUP_E_MISMATCH;
    /* Caller-given arrays may repeat shingles: they count once, both in
     * the values (a minimum is a minimum) and in the set size, which the
     * containment estimate needs exact. */
    if (h->sh.set && shingles >= h->sh.set && shingles < h->sh.set + h->sh.set_cap)
        return sign_set(h, shingles, n, sig); /* our own set: distinct already */
    int rc = dedup__shingle_distinct(&h->sh, shingles, n);
    if (rc != DEDUP_OK) {
        dedup__signature_clear(sig);
        return rc;
    }
    return sign_set(h, h->sh.set, h->sh.nset, sig);
}

int dedup_hasher_sign(dedup_hasher *h, const char *text, size_t len, dedup_signature *sig)
{
    if (!h || !sig || (!text && len))
        return DEDUP_E_INVAL;
    if (sig->fingerprint != h->fingerprint || sig->k != h->k)
        return DEDUP_E_MISMATCH;
    int rc = dedup__hasher_shingle(h, text, len);
    if (rc != DEDUP_OK)
        return rc;
    return sign_set(h, h->sh.set, h->sh.nset, sig);
}

int dedup_similarity(const dedup_params *p, const char *a, size_t alen, const char *b,
                     size_t blen, double *out)
{
    if (!out)
        return DEDUP_E_INVAL;
    *out = 0.0;
    dedup_params defaults;
    if (!p) {
        dedup__params_defaults(&defaults);
        p = &defaults;
    }
    dedup_hasher *h = NULL;
    dedup_signature *sa = NULL, *sb = NULL;
    int rc = dedup_hasher_create(&h, p);
    if (rc == DEDUP_OK)
        rc = dedup_signature_create(&sa, p);
    if (rc == DEDUP_OK)
        rc = dedup_signature_create(&sb, p);
    if (rc == DEDUP_OK)
        rc = dedup_hasher_sign(h, a, alen, sa);
    if (rc == DEDUP_OK)
        rc = dedup_hasher_sign(h, b, blen, sb);
    if (rc == DEDUP_OK)
        *out = dedup__signature_similarity(sa, sb, (dedup_measure)p->ival[DEDUP_P_MEASURE]);
    dedup_signature_free(sa);
    dedup_signature_free(sb);
    dedup_hasher_free(h);
    return rc;
}
