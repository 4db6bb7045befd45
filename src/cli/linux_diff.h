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

/*
 * The documented differences between the layer and Linux, each with its
 * reason in one list (linux_diff.c; doc/mmap.md explains them): an
 * intended one is counted and the comparison goes on, a stopping one ends
 * the comparison of the trace there.
 */
typedef enum {
	LD_AREA_FULL,              /* intended */
	LD_AREA_END,               /* intended */
	LD_MREMAP_FIXED_ORDER,     /* intended */
	LD_MREMAP_DUPLICATE,       /* intended */
	LD_MREMAP_DUPLICATE_FIXED, /* stops */
	LD_MREMAP_FIXED_SEVERAL,   /* stops */
	LD_MERGE_HISTORY,          /* stops */
	LD_MERGE_APART,            /* stops */
	LD_BEYOND_AREA,            /* stops */
	LD_LOCK_LIMIT,             /* stops */
	LD_MAP_COUNT_NEAR,         /* stops, before the operation */
	LD_MAP_COUNT_SETUP,        /* stops before the first operation */
	LD_DOCUMENTED_COUNT
} linux_documented_t;

/* The name of a documented difference ("area-full"), its reason, and whether it stops. */
const char *linux_documented_name(linux_documented_t d);
const char *linux_documented_reason(linux_documented_t d);
int linux_documented_stops(linux_documented_t d);

struct linux_diff {
	int ready;                 /* set up for the current trace */
	int disabled;              /* the trace cannot be compared (any more) */
	int relaxed_mremap;        /* the kernel has Linux 6.17's MREMAP_FIXED rules */
	char why_disabled[200];
	int has_stop;              /* disabled at a documented difference: */
	linux_documented_t stop;   /* which one */
	size_t stop_line;          /* at which line (0: before the first operation) */
	int stop_before;           /* the operation at stop_line did not run on Linux */
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
	size_t compared;           /* operations run on both and compared */
	size_t differences;        /* operations where the two differ */
	size_t intended;           /* documented differences that did not stop the comparison */
	size_t documented[LD_DOCUMENTED_COUNT]; /* each documented difference met */
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

/* Whether an operation is one that Linux runs too (libc-level, or an access). */
int linux_diff_comparable(rme_trace_op_kind_t kind);

/* After each trace: unmap Linux's side and reset everything of the trace. */
void linux_diff_finish(struct linux_diff *ld);

#endif
