/*
 * memcheck_munmap.c: the mmap layer under Valgrind, for tests/memcheck.test.
 *
 * Maps 4 MiB (four 1 MiB chunks) and 64 KiB, unmaps all of it, and tears
 * everything down. With the argument "forgetful" the layer runs on
 * primitives whose ram_free does nothing, as a munmap that forgets to free
 * its backing would: the model reclaims the RAM at teardown, but memcheck
 * must report the dataspaces as definitely lost. With "real" it must report
 * nothing. Exits 0 when the calls behaved, whatever memcheck says.
 */
#include <stdio.h>
#include <string.h>

#include <rmemu/rmemu.h>

static rme_genode_prims_t real;

/* A ram_free that forgets: the leak this program plants. */
static void
forget_ram_free(void *ctx, rme_prim_cap_t ds)
{
	(void)ctx;
	(void)ds;
}

int
main(int argc, char **argv)
{
	rme_model_config_t cfg;
	rme_model_t *m;
	rme_prims_model_t pm;
	rme_genode_prims_t prims;
	rme_mmap_config_t mc;
	rme_mmap_t *mm;
	uint64_t a, b;
	int forgetful = argc > 1 && strcmp(argv[1], "forgetful") == 0;

	rme_model_config_init(&cfg);
	cfg.memcheck_blocks = 1;
	if (rme_model_create(&cfg, &m) != RME_OK)
		return 2;
	rme_prims_model_init(&pm, m, NULL);
	real = pm.prims;
	prims = real;
	if (forgetful)
		prims.ram_free = forget_ram_free;
	rme_mmap_config_init(&mc);
	mc.area_base = 0x100000000ULL;
	mc.area_size = 1ULL << 30;
	if (rme_mmap_create(&prims, &mc, &mm, NULL) != RME_OK)
		return 2;
	if (rme_mmap(mm, 0, 4 << 20, RME_PROT_READ | RME_PROT_WRITE,
	             RME_MAP_PRIVATE | RME_MAP_ANONYMOUS, -1, 0, &a) != 0 ||
	    rme_mmap(mm, 0, 64 << 10, RME_PROT_READ | RME_PROT_WRITE,
	             RME_MAP_PRIVATE | RME_MAP_ANONYMOUS, -1, 0, &b) != 0 ||
	    rme_munmap(mm, a, 4 << 20) != 0 || rme_munmap(mm, b, 64 << 10) != 0)
		return 2;
	rme_mmap_destroy(mm);
	rme_model_teardown(m);
	rme_model_destroy(m);
	printf("%s munmap: done\n", forgetful ? "forgetful" : "real");
	return 0;
}
