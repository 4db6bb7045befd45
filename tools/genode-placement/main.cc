/*
 * main.cc: genode-placement, the command that writes one placement golden.
 *
 *   genode-placement --list
 *   genode-placement --genode COMMIT NAME    > tests/data/placement-NAME.golden
 *
 * COMMIT names the Genode source the oracle was built from; it goes into
 * the golden's provenance header. scripts/genode-placement-golden builds
 * this program from a Genode checkout and runs it for every workload.
 */
#include "workloads.h"

#include <cstdio>
#include <cstring>

static int usage()
{
	std::fputs("usage: genode-placement --list\n"
	           "       genode-placement --genode COMMIT NAME\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
		for (Workload const &w : workloads())
			std::printf("%s\n", w.name);
		return 0;
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
