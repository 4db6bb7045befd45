/*
 * bench_arena.c: the host memory the benchmark gives the model and the
 * mmap layer: small blocks carved from large regions that the kernel backs
 * with transparent huge pages, and kept on one free list per size.
 *
 * Why: at 10^6 live mappings the model's nodes take some 130 MiB (region
 * map) to 400 MiB (mmap layer) and every walk down core's tree touches a
 * few nodes that are in no cache; with 4 KiB pages each such miss is a TLB
 * miss too, and the page walk misses as well. On 2 MiB pages the same
 * misses cost about a quarter less (doc/benchmarks.md). The blocks are also
 * packed at 8-byte steps with no header, where malloc adds 8 to 16 bytes
 * to each. What the model does is the same either way; only where its
 * metadata lies in host memory differs. RMEMU_BENCH_MALLOC=1 in the
 * environment leaves it out (malloc, as rmemu replay and the library's
 * default allocator use).
 *
 * Not for general use: memory goes back to the system only when the arena
 * is finished, and Valgrind sees no blocks in it.
 */
#define _DEFAULT_SOURCE   /* MAP_ANONYMOUS, MADV_HUGEPAGE */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>

#include "bench_arena.h"

/* Each region: 64 MiB, aligned to 2 MiB so that all of it can be huge pages. */
#define REGION_SIZE ((size_t)64 << 20)
#define HUGE_ALIGN ((size_t)2 << 20)

struct arena_region {
	struct arena_region *next;
	void *map;          /* what mmap returned, for munmap */
	size_t map_len;
};

static size_t
round_up(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}

/* A fresh region to carve from; 0 or -1. */
static int
arena_grow(bench_arena_t *a)
{
	size_t len = REGION_SIZE + HUGE_ALIGN;
	char *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *start;
	struct arena_region *r;

	if (map == MAP_FAILED)
		return -1;
	start = (char *)round_up((size_t)(uintptr_t)map, HUGE_ALIGN);
#ifdef MADV_HUGEPAGE
	/* advice only: without it (or without THP) the arena still works */
	(void)madvise(start, REGION_SIZE, MADV_HUGEPAGE);
#endif
	r = (struct arena_region *)(void *)start;
	r->next = a->regions;
	r->map = map;
	r->map_len = len;
	a->regions = r;
	a->cur = start + round_up(sizeof(*r), BENCH_ARENA_STEP);
	a->end = start + REGION_SIZE;
	return 0;
}

static void *
arena_alloc(void *ctx, size_t size)
{
	bench_arena_t *a = ctx;
	size_t n = round_up(size ? size : 1, BENCH_ARENA_STEP), c = n / BENCH_ARENA_STEP;
	void *p;

	if (n > BENCH_ARENA_MAX)
		return malloc(size);
	if (a->free_list[c]) {
		p = a->free_list[c];
		memcpy(&a->free_list[c], p, sizeof(void *));
		return p;
	}
	if ((size_t)(a->end - a->cur) < n && arena_grow(a) != 0)
		return NULL;
	p = a->cur;
	a->cur += n;
	return p;
}

static void
arena_free(void *ctx, void *ptr, size_t size)
{
	bench_arena_t *a = ctx;
	size_t n = round_up(size ? size : 1, BENCH_ARENA_STEP);

	if (!ptr)
		return;
	if (n > BENCH_ARENA_MAX) {
		free(ptr);
		return;
	}
	memcpy(ptr, &a->free_list[n / BENCH_ARENA_STEP], sizeof(void *));
	a->free_list[n / BENCH_ARENA_STEP] = ptr;
}

const rme_allocator_t *
bench_arena_init(bench_arena_t *a)
{
	memset(a, 0, sizeof(*a));
	a->iface.alloc = arena_alloc;
	a->iface.free = arena_free;
	a->iface.ctx = a;
	a->used = !getenv("RMEMU_BENCH_MALLOC");
	return a->used ? &a->iface : rme_allocator_default();
}

const char *
bench_arena_name(const bench_arena_t *a)
{
	return a->used ? "arena" : "malloc";
}

void
bench_arena_fini(bench_arena_t *a)
{
	while (a->regions) {
		struct arena_region *r = a->regions;

		a->regions = r->next;
		munmap(r->map, r->map_len);
	}
	memset(a, 0, sizeof(*a));
}
