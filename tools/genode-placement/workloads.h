/*
 * workloads.h: the operation sequences behind tests/data/placement-*.golden.
 *
 * Each workload is a fixed list of region-map operations or a seeded random
 * generator; every operation runs on Placement_oracle (Genode's own
 * allocator) and the resulting golden text goes to a stream.
 */
#ifndef GENODE_PLACEMENT_WORKLOADS_H
#define GENODE_PLACEMENT_WORKLOADS_H

#include <cstdio>
#include <string>
#include <vector>

struct Workload
{
	char const *name;        /* tests/data/placement-<name>.golden */
	char const *description; /* the golden's header after "built on the host; " */
	void (*run)(std::FILE *out);
};

std::vector<Workload> const &workloads();

#endif
