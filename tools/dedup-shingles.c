/*
 * dedup-shingles.c - prints the normalized text, tokens and shingle hashes
 * of each file given (or of standard input), to show what the pipeline
 * sees in an article.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"

static char *slurp(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    size_t got;
    while (b && (got = fread(b + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                return NULL;
            }
            b = nb;
        }
    }
    *len = n;
    return b;
}

static int show(dedup_hasher *h, const char *name, FILE *f)
{
    size_t len;
    char *text = slurp(f, &len);
    if (!text) {
        fprintf(stderr, "dedup-shingles: %s: out of memory\n", name);
        return 1;
    }
    const char *norm;
    size_t nlen, ntok, nsh;
    const dedup_token *tok;
    const uint64_t *sh;
    int rc = dedup_hasher_tokenize(h, text, len, &norm, &nlen, &tok, &ntok);
    if (rc == DEDUP_OK) {
        printf("== %s: %zu bytes, %zu invalid UTF-8 sequences replaced\n", name, len,
               dedup_hasher_replaced(h));
        printf("normalized: %.*s\ntokens (%zu):", (int)nlen, norm, ntok);
        for (size_t i = 0; i < ntok; i++)
            printf(" %.*s", (int)tok[i].length, norm + tok[i].offset);
        printf("\n");
        rc = dedup_hasher_shingles(h, text, len, &sh, &nsh);
    }
    if (rc == DEDUP_OK) {
        printf("shingles (%zu):", nsh);
        for (size_t i = 0; i < nsh; i++)
            printf(" %016llx", (unsigned long long)sh[i]);
        printf("\n");
    } else {
        fprintf(stderr, "dedup-shingles: %s: %s\n", name, dedup_strerror(rc));
    }
    free(text);
    return rc == DEDUP_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    dedup_hasher *h;
    if (dedup_hasher_create(&h, NULL) != DEDUP_OK)
        return 1;
    int status = 0;
    if (argc < 2)
        status = show(h, "-", stdin);
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            status = 1;
            continue;
        }
        status |= show(h, argv[i], f);
        fclose(f);
    }
    dedup_hasher_free(h);
    return status;
}
