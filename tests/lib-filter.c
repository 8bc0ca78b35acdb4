/*
 * lib-filter.c - `dedup filter` written with the library's document calls:
 * reads documents one per line from stdin (the line is the text, its
 * number the key, as `dedup filter --input-format lines` takes them),
 * passes each through dedup_index_add_text with the default boilerplate
 * threshold, and writes the lines kept. The cli-library test compares its
 * output with the tool's on the same input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"

int main(void)
{
    dedup_index *idx;
    if (dedup_index_create(&idx, NULL) ||
        dedup_index_set_boilerplate(idx, DEDUP_BOILERPLATE_DEFAULT))
        return 1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long no = 0;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        no++;
        size_t len = (size_t)n;
        if (line[len - 1] == '\n')
            len--;
        char key[32];
        snprintf(key, sizeof key, "%lu", no);
        dedup_field f = {line, len};
        int dup = 0;
        int rc = dedup_index_add_text(idx, key, strlen(key), (int64_t)no, &f, 1, &dup, NULL,
                                      NULL);
        if (rc) {
            fprintf(stderr, "lib-filter: line %lu: %s\n", no, dedup_strerror(rc));
            return 1;
        }
        if (!dup)
            printf("%.*s\n", (int)len, line);
    }
    free(line);
    dedup_index_free(idx);
    return 0;
}
