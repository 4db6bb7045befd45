/*
 * bench.h: rmemu bench's region-map workload on Genode's own allocator
 * (bench.cc); one JSON line on stdout per run.
 */
#ifndef GENODE_PLACEMENT_BENCH_H
#define GENODE_PLACEMENT_BENCH_H

#include <cstdint>

/* 0 on success; a message on stderr and 1 otherwise */
int run_region_map_bench(uint64_t live, uint64_t ops);

#endif
