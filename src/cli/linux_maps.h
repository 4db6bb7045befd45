/*
 * linux_maps.h: what the Linux kernel has mapped in a range of this
 * process, for rmemu replay --linux (linux_diff.c): rights page by page,
 * lock state, and this process's map count.
 *
 * A range is read with the PROCMAP_QUERY ioctl of /proc/self/maps where
 * the kernel has it (Linux 6.11), one query per mapping in the range, so
 * that a comparison costs what the operation touched; older kernels print
 * all of /proc/self/maps, read in one piece and parsed by hand. The lock
 * state is only in /proc/self/smaps ("VmFlags: lo lf"), read whole.
 */
#ifndef RMEMU_LINUX_MAPS_H
#define RMEMU_LINUX_MAPS_H

#include <stddef.h>
#include <stdint.h>

/* A range with uniform rights (and lock state), in the caller's addresses. */
struct span {
	uint64_t start, end;
	int prot;                  /* RME_PROT_* */
	int lock;                  /* 0, 1 locked, 2 locked on fault; -1 where not asked */
};

struct spans {
	struct span *v;
	size_t n, cap;
};

/* Append a span, joining it to the last one where they continue (pages, not VMAs, count). */
int spans_add(struct spans *s, uint64_t start, uint64_t end, int prot, int lock);

struct linux_maps {
	int fd;                    /* /proc/self/maps, for PROCMAP_QUERY; -1 */
	int have_query;            /* the kernel answers PROCMAP_QUERY */
	size_t reads;              /* how often a whole file had to be read */
};

/* Open /proc/self/maps and find out whether PROCMAP_QUERY works; 0 or -1. */
int linux_maps_open(struct linux_maps *lm);
void linux_maps_close(struct linux_maps *lm);

/*
 * The mapped parts of host [lo, hi) with their rights, appended to out in
 * the caller's addresses (host address minus bias), clipped to the range.
 * With locks, also each part's lock state (from /proc/self/smaps). 0 or -1.
 */
int linux_maps_range(struct linux_maps *lm, uint64_t lo, uint64_t hi, uint64_t bias, int locks,
                     struct spans *out);

/* This process's map count as Linux counts it (every mapping but [vsyscall]); -1 if unknown. */
long linux_map_count(struct linux_maps *lm);

/* vm.max_map_count; 0 if it cannot be read. */
uint64_t linux_max_map_count(void);

#endif
