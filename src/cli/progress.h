/*
 * progress.h: the one progress line every long command shows on standard
 * error (replay, show, stats, import-strace, bench, compare): how much is done, how
 * fast, and about how long is left. It appears only on a terminal, only
 * once the work has taken a second, and never with --quiet, so that logs
 * and pipes never see it.
 */
#ifndef RMEMU_CLI_PROGRESS_H
#define RMEMU_CLI_PROGRESS_H

#include <stdint.h>

typedef struct cli_progress {
	const char *label;          /* what is being worked on: a file name */
	const char *unit;           /* what is counted: "lines", "runs" */
	uint64_t total;             /* 0: unknown */
	uint64_t done;
	int enabled;                /* standard error is a terminal and not --quiet */
	int shown;                  /* a line is on the screen now */
	double start, last;         /* seconds on the monotonic clock */
	double after;               /* show nothing before this many seconds (1; RMEMU_PROGRESS_AFTER) */
} cli_progress_t;

/* Start counting; quiet (or standard error not being a terminal) keeps it silent. */
void cli_progress_begin(cli_progress_t *p, const char *label, const char *unit,
                        uint64_t total, int quiet);

/* done units of total are done; redraws the line at most a few times a second. */
void cli_progress_update(cli_progress_t *p, uint64_t done);

/* Erase the line, so that another message can go to standard error; it comes back on the next update. */
void cli_progress_clear(cli_progress_t *p);

/* The work is over: erase the line for good. */
void cli_progress_end(cli_progress_t *p);

#endif
