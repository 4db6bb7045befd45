/*
 * memcheck_munmap.c: the mmap layer under Valgrind, for tests/memcheck.test.
 *
 * Maps 4 MiB (four 1 MiB chunks) and 64 KiB, unmaps all of it, takes the
 * leak verdict (what the layer's registry holds counts as held) and then
 * tears everything down, or, with "no-teardown", only destroys the model.
 * With the argument "forgetful" the layer runs on primitives whose
 * ram_free does nothing, as a munmap that forgets to free its backing
 * would: the five dataspaces are detached and in no registry any more, so
 * the verdict finds them lost, and memcheck must report them as definitely
 * lost, whether or not the model reclaims them in a teardown. With "real"
 * nothing is lost and memcheck must report nothing. Prints the verdict;
 * exits 0 when the calls behaved, whatever memcheck says.
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

/* The layer's RAM, held. */
static int
hold(void *ctx, rme_prim_cap_t ds, uint64_t size)
{
	rme_cap_t **next = ctx;

	(void)size;
	*(*next)++ = ds;
	return 0;
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
	rme_leak_verdict_t v;
	rme_cap_t held[16], *next = held;
	uint64_t a, b;
	int forgetful = 0, teardown = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "forgetful") == 0)
			forgetful = 1;
		else if (strcmp(argv[i], "no-teardown") == 0)
			teardown = 0;
	}
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
	if (rme_mmap_foreach_ram(mm, hold, &next) != 0)
		return 2;
	rme_model_leak_verdict(m, held, (size_t)(next - held), NULL, NULL, &v);
	rme_mmap_destroy(mm);
	if (teardown)
		rme_model_teardown(m);
	rme_model_destroy(m);
	printf("%s munmap: %llu dataspaces left, %llu lost (0x%llx bytes)%s\n",
	       forgetful ? "forgetful" : "real", (unsigned long long)v.left,
	       (unsigned long long)v.lost, (unsigned long long)v.lost_ram,
	       teardown ? "" : ", no teardown");
	return 0;
}
