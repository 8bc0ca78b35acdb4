/*
 * floor.c - the speed floor for deduplication: reads a file and hashes
 * every byte with XXH3 (streaming, 1 MiB reads), printing one line per
 * figure. No deduplicator can process a corpus faster than it can read
 * and touch every byte once, so bench/run-speed.sh shows `dedup cluster`
 * throughput as a ratio to this number.
 *
 *   floor FILE
 *
 * Output: bytes, seconds, MB/s (10^6 bytes per second) and the hash (so
 * the work cannot be optimised away and runs can be compared).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#define CHUNK (1 << 20)

int main(int argc, char **argv)
{
    FILE *f;
    XXH3_state_t *st;
    unsigned char *buf;
    unsigned long long total = 0;
    struct timespec t0, t1;
    double secs;
    size_t k;
    if (argc != 2 || argv[1][0] == '-') {
        fputs("usage: floor FILE\n", argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
        return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
    }
    f = fopen(argv[1], "rb");
    if (!f) {
        fprintf(stderr, "floor: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    buf = malloc(CHUNK);
    st = XXH3_createState();
    if (!buf || !st || XXH3_64bits_reset(st) == XXH_ERROR) {
        fputs("floor: out of memory\n", stderr);
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while ((k = fread(buf, 1, CHUNK, f)) > 0) {
        XXH3_64bits_update(st, buf, k);
        total += k;
    }
    if (ferror(f)) {
        fprintf(stderr, "floor: %s: read error\n", argv[1]);
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    printf("bytes %llu\nseconds %.4f\nMB/s %.1f\nhash %016llx\n", total, secs,
           secs > 0 ? (double)total / 1e6 / secs : 0.0,
           (unsigned long long)XXH3_64bits_digest(st));
    XXH3_freeState(st);
    free(buf);
    fclose(f);
    return 0;
}
