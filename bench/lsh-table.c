/*
 * lsh-table.c - prints the bands and rows the library derives for a range
 * of thresholds and signature lengths, under both measures, with the
 * probability that pairs at a few similarities become candidates. The
 * README's table of choices comes from this program.
 *
 * Usage: lsh-table [--max-size-ratio R]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"

static double prob(double s, unsigned b, unsigned r)
{
    return 1.0 - pow(1.0 - pow(s, r), b);
}

int main(int argc, char **argv)
{
    int ratio = 2;
    if (argc == 3 && !strcmp(argv[1], "--max-size-ratio"))
        ratio = atoi(argv[2]);
    else if (argc != 1) {
        fprintf(stderr, "usage: lsh-table [--max-size-ratio R]\n");
        return 2;
    }
    static const double ts[] = {0.3, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9};
    static const unsigned ks[] = {64, 128, 256};
    printf("| measure | threshold | k | Jaccard used | bands x rows | P at it | P(J=0.1) | "
           "P(J=0.2) | P(J=0.3) | P(J=0.5) |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (int m = 0; m < 2; m++)
        for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
            for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++) {
                dedup_params *p;
                if (dedup_params_create(&p) != DEDUP_OK)
                    return 1;
                dedup_params_set(p, DEDUP_P_MEASURE, m);
                dedup_params_set(p, DEDUP_P_NUM_HASHES, ks[j]);
                dedup_params_set(p, DEDUP_P_MAX_SIZE_RATIO, ratio);
                dedup_params_set_real(p, DEDUP_P_THRESHOLD, ts[i]);
                double t = ts[i];
                double jt = m == DEDUP_MEASURE_JACCARD ? t : t / (ratio + 1 - t);
                unsigned bands, rows;
                dedup_params_lsh(p, &bands, &rows);
                printf("| %s | %.2f | %u | %.3f | %u x %u | %.3f | %.3f | %.3f | %.3f | %.3f |\n",
                       m ? "containment" : "jaccard", t, ks[j], jt, bands, rows,
                       prob(jt, bands, rows),
                       prob(0.1, bands, rows), prob(0.2, bands, rows), prob(0.3, bands, rows),
                       prob(0.5, bands, rows));
                dedup_params_free(p);
            }
    return 0;
}
