/*
 * linux_diff.h: rmemu replay --linux, the mmap layer checked against the
 * Linux kernel operation by operation (see linux_diff.c).
 */
#ifndef RMEMU_LINUX_DIFF_H
#define RMEMU_LINUX_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include <rmemu/replay.h>

#include "linux_maps.h"

struct linux_diff {
	int ready;                 /* set up for the current trace */
	int disabled;              /* the trace cannot be compared (any more) */
	int relaxed_mremap;        /* the kernel has Linux 6.17's MREMAP_FIXED rules */
	char why_disabled[160];
	uint64_t area_base, area_size;
	uint8_t *host;             /* where the area is mirrored in this process */
	struct linux_maps maps;    /* how Linux's mappings are read */
	int locks_seen;            /* the trace has locked memory: compare the lock state too */
	int locked_all;            /* mlockall or munlockall ran: munlockall when done */
	/* map-count-max */
	uint64_t map_count_max;
	char *pad;                 /* the mappings that bring Linux's limit to the trace's */
	uint64_t pad_len;
	uint64_t outside;          /* this process's mappings outside the area, padding included */
	int count_check;           /* Linux's limit is the trace's: check the count near it */
	uint64_t count_stop;       /* else: the area's count at which the comparison stops; 0 none */
	uint64_t last_count;       /* the model's count after the last operation */
	size_t since_full;         /* operations since the whole area was compared */
	/*
	 * What reading a whole mappings file (smaps for the locks, maps where
	 * the kernel has no PROCMAP_QUERY) may still cost, in mappings listed:
	 * it grows with every operation, so that the reading stays linear.
	 */
	uint64_t file_budget;
	size_t deferred;           /* touched ranges left to the next whole-area comparison */
	/* what it did, for the report */
	size_t compared;           /* operations run on both */
	size_t differences;        /* operations where the two differ */
	size_t intended;           /* differences by design (the area is full) */
	size_t skipped;            /* operations outside the area, not run on Linux */
	size_t compared_ranges;    /* ranges compared (what operations touched) */
	size_t full_compares;      /* of them, the whole area */
	/* the last libc-level operation on Linux (rmemu compare takes it as the reference) */
	int ran;                   /* it ran there */
	int linux_errno;           /* 0: it succeeded there; else the host's errno */
};

/* Once per process, before the first trace: keeps malloc off mmap. */
void linux_diff_init(struct linux_diff *ld);

/* The observer to put into rme_replay_options_t (ctx: the struct linux_diff). */
int linux_diff_observe(void *ctx, const rme_replay_step_t *step, char *msg, size_t msglen);

/* After each trace: unmap Linux's side and reset the counters' trace state. */
void linux_diff_finish(struct linux_diff *ld);

#endif
