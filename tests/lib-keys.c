/*
 * lib-keys.c - an index saved by the dedup tool, read with the library
 * alone. `lib-keys FILE` prints its counts (documents, the next number,
 * the boilerplate threshold and the documents its line statistics
 * counted), then each document's number and key in the order they were
 * added, 0x00 bytes written as \0. `lib-keys FILE KEY...` looks keys up,
 * written s:ID for a string id (the key is the id's bytes) and n:ID for a
 * number (a 0x00 byte, then its text), and prints each one's number or
 * "absent". The cli-library test runs it on indexes the tool built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEDUP_EXPERIMENTAL
#include "dedup.h"

static int print_key(uint64_t id, int64_t stamp, void *p)
{
    size_t len = 0;
    const char *key = dedup_index_name(p, id, &len);
    printf("%llu\t%lld\t", (unsigned long long)id, (long long)stamp);
    for (size_t i = 0; key && i < len; i++) {
        if (key[i])
            putchar(key[i]);
        else
            fputs("\\0", stdout);
    }
    putchar('\n');
    return 0;
}

int main(int argc, char **argv)
{
    dedup_index *idx;
    int rc;
    if (argc < 2) {
        fprintf(stderr, "usage: lib-keys FILE [s:ID|n:ID]...\n");
        return 2;
    }
    if ((rc = dedup_index_load(&idx, argv[1]))) {
        fprintf(stderr, "lib-keys: %s: %s\n", argv[1], dedup_strerror(rc));
        return 1;
    }
    if (argc == 2) {
        const dedup_linestats *ls = dedup_index_linestats(idx);
        printf("documents %zu\nnext %llu\nboilerplate %u\nline documents %llu\n",
               dedup_index_count(idx), (unsigned long long)dedup_index_next_named(idx),
               dedup_index_boilerplate(idx),
               (unsigned long long)(ls ? dedup_linestats_documents(ls) : 0));
        dedup_index_foreach(idx, print_key, idx);
    }
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        char key[4096];
        size_t n = strlen(a) > 2 ? strlen(a) - 2 : 0, len = 0;
        if (n + 1 > sizeof key || (strncmp(a, "s:", 2) && strncmp(a, "n:", 2))) {
            fprintf(stderr, "lib-keys: %s: not s:ID or n:ID\n", a);
            return 2;
        }
        if (a[0] == 'n')
            key[len++] = 0;
        memcpy(key + len, a + 2, n);
        len += n;
        uint64_t id = 0;
        if (dedup_index_lookup(idx, key, len, &id) == DEDUP_OK)
            printf("%s\t%llu\n", a, (unsigned long long)id);
        else
            printf("%s\tabsent\n", a);
    }
    dedup_index_free(idx);
    return 0;
}
