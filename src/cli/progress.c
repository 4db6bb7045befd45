/*
 * progress.c: the progress line of long commands (progress.h).
 *
 * Why these thresholds: a command that is done within a second should
 * print nothing at all, and a line redrawn more often than four times a
 * second only flickers. The clock is read on every update, which costs
 * some tens of nanoseconds; callers update every thousand steps or so.
 * RMEMU_PROGRESS_AFTER (seconds) moves the first threshold, so that a
 * test (tests/progress.test) need not run for a second to see the line.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

static double
now_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void
cli_progress_begin(cli_progress_t *p, const char *label, const char *unit, uint64_t total,
                   int quiet)
{
	p->label = label;
	p->unit = unit;
	p->total = total;
	p->done = 0;
	p->enabled = !quiet && isatty(2);
	p->shown = 0;
	p->start = now_seconds();
	p->last = 0;
	p->after = 1.0;
	if (getenv("RMEMU_PROGRESS_AFTER"))
		p->after = strtod(getenv("RMEMU_PROGRESS_AFTER"), NULL);
}

/* "12 s", "3 min 5 s", "2 h 10 min" */
static void
format_duration(char *buf, size_t size, double s)
{
	unsigned long t = (unsigned long)(s + 0.5);

	if (t < 60)
		snprintf(buf, size, "%lu s", t);
	else if (t < 3600)
		snprintf(buf, size, "%lu min %lu s", t / 60, t % 60);
	else
		snprintf(buf, size, "%lu h %lu min", t / 3600, t / 60 % 60);
}

void
cli_progress_update(cli_progress_t *p, uint64_t done)
{
	double now, elapsed, rate;
	char eta[32];

	p->done = done;
	if (!p->enabled)
		return;
	now = now_seconds();
	elapsed = now - p->start;
	if (elapsed < p->after || (p->shown && now - p->last < 0.25))
		return;
	p->last = now;
	rate = elapsed > 0 ? (double)done / elapsed : 0;
	fprintf(stderr, "\r\033[K%s: %llu", p->label, (unsigned long long)done);
	if (p->total)
		fprintf(stderr, " of %llu", (unsigned long long)p->total);
	fprintf(stderr, " %s", p->unit);
	if (p->total)
		fprintf(stderr, " (%d%%)", (int)(done * 100 / p->total));
	fprintf(stderr, ", %.0f %s/s", rate, p->unit);
	if (p->total && rate > 0 && done <= p->total) {
		format_duration(eta, sizeof(eta), (double)(p->total - done) / rate);
		fprintf(stderr, ", about %s left", eta);
	}
	fflush(stderr);
	p->shown = 1;
}

void
cli_progress_clear(cli_progress_t *p)
{
	if (p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		p->shown = 0;
	}
}

void
cli_progress_end(cli_progress_t *p)
{
	cli_progress_clear(p);
	p->enabled = 0;
}
