/*
 * memcheck.h: making the model's RAM dataspaces visible to Valgrind's
 * memcheck, so that a dataspace nobody frees is reported as a leak with the
 * stack of the call that allocated it.
 *
 * Each RAM dataspace gets a token range in a reserved, never-touched part
 * of the address space and is announced there as a heap block. Only
 * rme_ram_free() frees the block: when a model is torn down or destroyed
 * with dataspaces still allocated, their blocks stay behind without a
 * pointer to them, which memcheck reports as "definitely lost". Outside
 * Valgrind, or when the model was not asked for it, all of this is a no-op.
 */
#ifndef RMEMU_MEMCHECK_H
#define RMEMU_MEMCHECK_H

#include <stdint.h>

typedef struct mc_arena {
	uint8_t *base;       /* the reservation, NULL when not in use */
	uint64_t size;
	uint64_t next;       /* bump pointer: tokens are never reused */
} mc_arena_t;

/* Start annotating if running under Valgrind; otherwise stay inactive. */
void mc_init(mc_arena_t *a);
void mc_fini(mc_arena_t *a);

/* Announce a dataspace of size bytes; returns its token or NULL. */
uint8_t *mc_alloc(mc_arena_t *a, uint64_t size);

/* The dataspace was freed properly. */
void mc_free(uint8_t *token);

/* An access to byte off of a dataspace: memcheck complains if it is not live. */
void mc_touch(const uint8_t *token, uint64_t off);

#endif
