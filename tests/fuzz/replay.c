/*
 * replay.c - runs a fuzz target over files, without libFuzzer.
 *
 * Usage: replay FILE|DIR...  Each file, and each regular file directly in
 * a directory (in name order, so runs are reproducible), is read whole and
 * given to LLVMFuzzerTestOneInput once. Output is TAP, one line per file;
 * a target that finds a property broken aborts, which fails the test with
 * the file's name as the last line printed. This is how the seed corpora
 * and every regression input run in the ordinary test suite, under any
 * compiler and under the sanitizers.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int tests, failures;

/* Read path whole into a new buffer (*data, freed by the caller; never
 * NULL on success, even for an empty file). 0 on success, -1 on error. */
static int read_file(const char *path, unsigned char **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        unsigned char *nb = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) {
        free(buf);
        return -1;
    }
    *data = buf;
    *size = n;
    return 0;
}

static void run_file(const char *path)
{
    unsigned char *data;
    size_t size;
    tests++;
    if (read_file(path, &data, &size) != 0) {
        failures++;
        printf("not ok %d - %s: cannot read: %s\n", tests, path, strerror(errno));
        return;
    }
    /* Announce first: if the target aborts, the log names the input. */
    printf("# %s (%zu bytes)\n", path, size);
    fflush(stdout);
    /* An exact-size copy, so that reading past the end is caught by
     * AddressSanitizer as it would be under libFuzzer. */
    unsigned char *exact = malloc(size ? size : 1);
    if (!exact) {
        free(data);
        failures++;
        printf("not ok %d - %s: out of memory\n", tests, path);
        return;
    }
    memcpy(exact, data, size);
    free(data);
    LLVMFuzzerTestOneInput(exact, size);
    free(exact);
    printf("ok %d - %s\n", tests, path);
    fflush(stdout);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        tests++;
        failures++;
        printf("not ok %d - %s: cannot open: %s\n", tests, dir, strerror(errno));
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* ., .., and hidden files such as .gitkeep */
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        if (!(names[n] = malloc(len)))
            break;
        snprintf(names[n], len, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            run_file(names[i]);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
            run_dir(argv[i]);
        else
            run_file(argv[i]);
    }
    if (tests == 0) {
        printf("not ok 1 - no input files given\n");
        tests = failures = 1;
    }
    printf("1..%d\n", tests);
    return failures ? 1 : 0;
}
