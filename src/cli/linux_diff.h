/*
 * linux_diff.h: rmemu replay --linux, the mmap layer checked against the
 * Linux kernel operation by operation (see linux_diff.c).
 */
#ifndef RMEMU_LINUX_DIFF_H
#define RMEMU_LINUX_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include <rmemu/replay.h>

struct linux_diff {
	int ready;                 /* set up for the current trace */
	int disabled;              /* the trace cannot be compared */
	int relaxed_mremap;        /* the kernel has Linux 6.17's MREMAP_FIXED rules */
	char why_disabled[128];
	uint64_t area_base, area_size;
	uint8_t *host;             /* where the area is mirrored in this process */
	size_t compared;           /* operations run on both */
	size_t differences;        /* operations where the two differ */
	size_t intended;           /* differences by design (the area is full) */
	size_t skipped;            /* operations outside the area, not run on Linux */
};

/* Once per process, before the first trace: keeps malloc off mmap. */
void linux_diff_init(struct linux_diff *ld);

/* The observer to put into rme_replay_options_t (ctx: the struct linux_diff). */
int linux_diff_observe(void *ctx, const rme_replay_step_t *step, char *msg, size_t msglen);

/* After each trace: unmap Linux's side and reset the counters' trace state. */
void linux_diff_finish(struct linux_diff *ld);

#endif
