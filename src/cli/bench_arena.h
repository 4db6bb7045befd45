/*
 * bench_arena.h: the benchmark's allocator for the model's and the mmap
 * layer's metadata, on transparent huge pages (bench_arena.c says why).
 */
#ifndef RMEMU_BENCH_ARENA_H
#define RMEMU_BENCH_ARENA_H

#include <stddef.h>

#include <rmemu/alloc.h>

/* Blocks up to BENCH_ARENA_MAX bytes come from the arena, in steps of 8; larger ones from malloc. */
enum { BENCH_ARENA_STEP = 8, BENCH_ARENA_MAX = 512 };

typedef struct bench_arena {
	rme_allocator_t iface;
	char *cur, *end;                /* what is left of the newest region */
	struct arena_region *regions;   /* every region, newest first */
	void *free_list[BENCH_ARENA_MAX / BENCH_ARENA_STEP + 1];
	int used;                       /* 0: RMEMU_BENCH_MALLOC asked for malloc */
} bench_arena_t;

/*
 * Set up an empty arena and return the allocator to give the model: the
 * arena's, or the default (malloc) under RMEMU_BENCH_MALLOC.
 */
const rme_allocator_t *bench_arena_init(bench_arena_t *a);

/* "arena" or "malloc": which one bench_arena_init gave. */
const char *bench_arena_name(const bench_arena_t *a);

/* Give every region back; everything allocated from the arena must be freed already. */
void bench_arena_fini(bench_arena_t *a);

#endif
