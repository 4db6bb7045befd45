/*
 * bench.h: what the benchmark's workloads share.
 */
#ifndef RMEMU_BENCH_H
#define RMEMU_BENCH_H

#include <stddef.h>
#include <stdint.h>

struct bench_result {
	uint64_t ops;               /* operations measured */
	double ns_median, ns_p99;   /* time per operation */
	double bytes_per_mapping;   /* metadata per live mapping, from the allocator */
	double lines_per_sec;       /* for the replay workload */
	double linux_ns_median;     /* the same sequence on the Linux kernel, if measured */
};

struct bench_workload {
	const char *name;
	const char *what;
	/* Build up live mappings, then measure ops operations; 0 on success. */
	int (*run)(uint64_t live, uint64_t ops, struct bench_result *res);
};

uint64_t bench_now_ns(void);
uint64_t bench_rand(uint64_t *state);

/* Sort the samples and fill in the median and the 99th percentile. */
void bench_summarize(uint64_t *samples, size_t n, struct bench_result *res);

#endif
