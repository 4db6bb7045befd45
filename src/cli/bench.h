/*
 * bench.h: what the benchmark's workloads share.
 */
#ifndef RMEMU_BENCH_H
#define RMEMU_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* The kinds of call the mmap workload times separately. */
enum { BENCH_KINDS = 4 };

struct bench_result {
	uint64_t ops;               /* operations measured */
	double ns_median, ns_p99;   /* time per operation */
	double bytes_per_mapping;   /* metadata per live mapping, from the allocator */
	double lines_per_sec;       /* for the replay workload */
	double linux_ns_median;     /* the same sequence on the Linux kernel, if measured */
	/* the mmap workload: */
	uint64_t vmas;              /* VMAs after the build-up */
	double layer_bytes_per_mapping, model_bytes_per_mapping;   /* the two heaps' shares */
	double kind_median[BENCH_KINDS], kind_p99[BENCH_KINDS];    /* mmap, munmap, mprotect, mremap */
	double linux_kind_median[BENCH_KINDS];
	char linux_note[160];       /* why Linux was not measured, if it was not */
	/* memory of the whole process after the build-up (0: unknown) */
	double rss_mib, max_rss_mib;
	/* where the model's and the layer's metadata lie: "arena" (huge pages) or "malloc" */
	const char *host_memory;
	/*
	 * The region-map workload: the addresses it placed, and their digest
	 * (bench_placement_mix), which Genode's own allocator must match on
	 * the same operations (scripts/genode-placement-bench).
	 */
	uint64_t placements, placement_digest;
};

struct bench_workload {
	const char *name;
	const char *what;
	/* Build up live mappings, then measure ops operations; 0 on success. */
	int (*run)(uint64_t live, uint64_t ops, struct bench_result *res);
};

uint64_t bench_now_ns(void);
uint64_t bench_rand(uint64_t *state);

/* Fold an address into a digest (FNV-1a over its eight bytes; start at BENCH_DIGEST_INIT). */
#define BENCH_DIGEST_INIT 0xcbf29ce484222325ULL
void bench_placement_mix(uint64_t *digest, uint64_t addr);

/* Fill in rss_mib and max_rss_mib: the process's resident memory now and at its peak. */
void bench_rss(struct bench_result *res);

/* Sort the samples and fill in the median and the 99th percentile. */
void bench_summarize(uint64_t *samples, size_t n, struct bench_result *res);

#endif
