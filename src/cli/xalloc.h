/*
 * xalloc.h: allocation for the host-only parts of the rmemu command
 * (import-strace, record, stats). These run as a short-lived command on
 * a Linux host, where the only sensible answer to running out of memory
 * is to say so and stop; the portable library never uses these.
 */
#ifndef RMEMU_CLI_XALLOC_H
#define RMEMU_CLI_XALLOC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q) {
		fputs("rmemu: out of memory\n", stderr);
		exit(2);
	}
	return q;
}

static inline void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fputs("rmemu: out of memory\n", stderr);
		exit(2);
	}
	return p;
}

static inline char *
xstrndup(const char *s, size_t n)
{
	char *d = xrealloc(NULL, n + 1);

	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

/* Grow the array arr of cap elements so that it holds at least need. */
#define XGROW(arr, cap, need) \
	do { \
		if ((need) > (cap)) { \
			size_t xgrow_n_ = (cap) ? (cap) : 8; \
			while (xgrow_n_ < (need)) \
				xgrow_n_ *= 2; \
			(arr) = xrealloc((arr), xgrow_n_ * sizeof(*(arr))); \
			(cap) = xgrow_n_; \
		} \
	} while (0)

#endif
