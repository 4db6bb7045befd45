/*
 * gen_rm_trace.c: writes a random Genode-level trace (seeded, so it is
 * reproducible) of attaches and detaches in sub region maps, for running on
 * real Genode with the rmemu_replay component: core's own placement then
 * decides every address, and the golden trace it prints is what the model
 * must reproduce (tests/traces/genode/hw_random_*.trace). Sizes, offsets,
 * rights and fixed addresses vary; some fixed addresses conflict, some
 * sizes do not fit, some detaches hit no region. Without expectations:
 * the results come from Genode.
 *
 * usage: gen_rm_trace SEED OPERATIONS
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

enum { MAPS = 3, DATASPACES = 6, PAGE = 4096 };

static const uint64_t map_size[MAPS] = { 1 << 20, 4 << 20, 16 << 20 };
static const uint64_t ds_pages[DATASPACES] = { 1, 2, 3, 8, 16, 64 };

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

int
main(int argc, char **argv)
{
	uint64_t seed, n, live[MAPS][512];
	unsigned nlive[MAPS] = { 0 };
	unsigned long names = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: gen_rm_trace SEED OPERATIONS\n");
		return 2;
	}
	seed = strtoull(argv[1], NULL, 0) | 1;
	n = strtoull(argv[2], NULL, 0);

	printf("rmemu-trace 1\n");
	printf("# random attaches and detaches in three sub region maps, seed %s\n", argv[1]);
	printf("kernel hw\nquota ram=12M caps=250\n");
	for (unsigned i = 0; i < MAPS; i++)
		printf("m%u = rm-create 0x%" PRIx64 "\n", i, map_size[i]);
	for (unsigned i = 0; i < DATASPACES; i++)
		printf("d%u = ram-alloc 0x%" PRIx64 "\n", i, ds_pages[i] * PAGE);

	for (uint64_t k = 0; k < n; k++) {
		unsigned m = (unsigned)(rnd(&seed) % MAPS);
		uint64_t r = rnd(&seed) % 100;

		if (r < 55 && nlive[m] < 512) {
			unsigned d = (unsigned)(rnd(&seed) % DATASPACES);
			uint64_t pages = ds_pages[d], offset = 0, size = 0;

			printf("a%lu = attach m%u d%u", names, m, d);
			/* an offset and a size within the dataspace, or (rarely) beyond it */
			if (pages > 1 && rnd(&seed) % 3 == 0) {
				offset = rnd(&seed) % pages;
				printf(" offset=0x%" PRIx64, offset * PAGE);
			}
			if (rnd(&seed) % 3 == 0) {
				size = 1 + rnd(&seed) % (pages - offset + (rnd(&seed) % 8 == 0));
				printf(" size=0x%" PRIx64, size * PAGE);
			}
			/* a fixed address: anywhere in the map, sometimes right at its end */
			if (rnd(&seed) % 5 < 2) {
				uint64_t pages_in_map = map_size[m] / PAGE;
				uint64_t at = rnd(&seed) % 16 == 0 ? pages_in_map - 1 : rnd(&seed) % pages_in_map;
				printf(" at=0x%" PRIx64, at * PAGE);
			}
			printf(rnd(&seed) % 2 ? " rw-\n" : "\n");
			live[m][nlive[m]++] = names++;
		} else if (r < 95 && nlive[m] > 0) {
			unsigned i = (unsigned)(rnd(&seed) % nlive[m]);

			/* by the name the attach bound (0 if it failed: then whatever is at 0 goes) */
			printf("detach m%u a%" PRIu64 "\n", m, live[m][i]);
			live[m][i] = live[m][--nlive[m]];
		} else {
			/* an address that may or may not hold a region */
			printf("detach m%u 0x%" PRIx64 "\n", m, (rnd(&seed) % (map_size[m] / PAGE)) * PAGE);
		}
		if (k % 250 == 249)
			printf("expect-quota ram<=12M\n");
	}
	printf("expect-quota ram<=12M\n");
	return 0;
}
