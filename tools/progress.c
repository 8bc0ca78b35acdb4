/*
 * progress.c - a one-line progress display on stderr: documents, MB/s and,
 * when the input size is known, the percentage and the time left.
 *
 * It draws only when stderr is a terminal, so logs and pipes never receive
 * carriage returns, and redraws at most every 200 ms so that calling it per
 * document costs one clock read.
 */
#include "progress.h"

#include <stdio.h>
#include <unistd.h>

#include "cli.h"

void cli_progress_start(cli_progress *p, int quiet, const char *what, uint64_t total)
{
    p->enabled = !quiet && isatty(2);
    p->start = p->last = cli_now();
    p->total = total;
    p->what = what;
}

void cli_progress_update(cli_progress *p, uint64_t docs, uint64_t bytes)
{
    if (!p->enabled)
        return;
    double t = cli_now();
    if (t - p->last < 0.2)
        return;
    p->last = t;
    double el = t - p->start;
    double rate = el > 0 ? (double)bytes / el : 0;
    fprintf(stderr, "\r%s: %llu documents, %.1f MB/s", p->what, (unsigned long long)docs,
            rate / 1e6);
    if (p->total && bytes <= p->total) {
        double left = rate > 0 ? (double)(p->total - bytes) / rate : 0;
        unsigned s = (unsigned)(left + 0.5);
        fprintf(stderr, ", %.0f%%, ETA %u:%02u:%02u", 100.0 * (double)bytes / (double)p->total,
                s / 3600, s / 60 % 60, s % 60);
    }
    fputs("\033[K", stderr); /* clear the rest of the line */
    fflush(stderr);
}

void cli_progress_end(cli_progress *p)
{
    if (p->enabled) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}
