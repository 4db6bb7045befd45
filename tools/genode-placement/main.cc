/*
 * main.cc: genode-placement, the command that writes one placement golden.
 *
 *   genode-placement --list
 *   genode-placement --genode COMMIT NAME    > tests/data/placement-NAME.golden
 *   genode-placement --bench LIVE OPS        (rmemu bench's region-map workload, bench.cc)
 *
 * COMMIT names the Genode source the oracle was built from; it goes into
 * the golden's provenance header. scripts/genode-placement-golden builds
 * this program from a Genode checkout and runs it for every workload.
 */
#include "bench.h"
#include "workloads.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

static int usage()
{
	std::fputs("usage: genode-placement --list\n"
	           "       genode-placement --genode COMMIT NAME\n"
	           "       genode-placement --bench LIVE OPS\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
		for (Workload const &w : workloads())
			std::printf("%s\n", w.name);
		return 0;
	}
	if (argc == 4 && std::strcmp(argv[1], "--bench") == 0) {
		char *end1, *end2;
		unsigned long long live = std::strtoull(argv[2], &end1, 10);
		unsigned long long ops = std::strtoull(argv[3], &end2, 10);

		if (*end1 || *end2 || live == 0 || ops < 2 || live > (1ULL << 24)) {
			std::fputs("genode-placement: --bench needs LIVE (1 to 2^24) and OPS (at least 2)\n",
			           stderr);
			return 2;
		}
		return run_region_map_bench(live, ops);
	}
	if (argc != 4 || std::strcmp(argv[1], "--genode") != 0)
		return usage();

	for (Workload const &w : workloads()) {
		if (std::strcmp(w.name, argv[3]) != 0)
			continue;
		std::printf("# placement golden data: Genode's allocator_avl.cc/avl_tree.cc at "
		            "genodelabs/genode %s, built on the host; %s\n", argv[2], w.description);
		std::printf("# made by scripts/genode-placement-golden from tools/genode-placement/ "
		            "(workload '%s'); regenerate it with that command, never edit it\n", w.name);
		w.run(stdout);
		if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
			std::perror("genode-placement: writing the golden");
			return 1;
		}
		return 0;
	}
	std::fprintf(stderr, "genode-placement: no workload '%s' (see --list)\n", argv[3]);
	return 2;
}
