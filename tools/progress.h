/*
 * progress.h - the progress line of the dedup tool on stderr.
 */
#ifndef DEDUP_CLI_PROGRESS_H
#define DEDUP_CLI_PROGRESS_H

#include <stdint.h>

typedef struct cli_progress {
    int enabled;
    double start, last;
    uint64_t total; /* raw input size, 0 if unknown */
    const char *what;
} cli_progress;

/* Start a progress line: enabled only when stderr is a terminal and quiet is
 * 0. what names the stage ("reading"). total is the input size in bytes, or
 * 0 if unknown (no percentage and no ETA then). */
void cli_progress_start(cli_progress *p, int quiet, const char *what, uint64_t total);
/* Update with the documents and raw bytes done so far; redraws at most five
 * times a second, so it may be called for every document. */
void cli_progress_update(cli_progress *p, uint64_t docs, uint64_t bytes);
/* Erase the line. */
void cli_progress_end(cli_progress *p);

#endif
