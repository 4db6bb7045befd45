/*
 * captable.h: capabilities, the names by which a component refers to
 * dataspaces and region maps.
 *
 * A capability packs the table's badge, a slot's generation and the slot
 * index. Freeing an object bumps the generation, so an old capability never
 * names a new object: it stays invalid, as a revoked capability does in
 * Genode. The badge tells the tables of two models apart, so that one PD's
 * capability is foreign to another, as in Genode. The table grows by
 * doubling and recycles slots through a free list.
 */
#ifndef RMEMU_CAPTABLE_H
#define RMEMU_CAPTABLE_H

#include <stdint.h>

#include <rmemu/alloc.h>
#include <rmemu/error.h>

typedef enum { CAP_NONE = 0, CAP_DS, CAP_RM } cap_kind_t;

/* 16 bytes: the generation is 16 bits in a capability anyway. */
struct cap_slot {
	void *obj;
	uint32_t next_free;     /* index + 1 of the next free slot, when free */
	uint16_t generation;
	uint8_t kind;           /* cap_kind_t */
};

typedef struct captable {
	struct cap_slot *slots;
	uint32_t capacity;
	uint32_t used;
	uint32_t free_head;     /* index + 1, 0 when none */
	uint16_t badge;
	const rme_allocator_t *alloc;
} captable_t;

void cap_init(captable_t *t, const rme_allocator_t *alloc, uint16_t badge);
void cap_fini(captable_t *t);

/* Make sure the next cap_new cannot fail. */
rme_err_t cap_reserve(captable_t *t);

/* A capability for obj; needs cap_reserve() first. Never returns 0. */
uint64_t cap_new(captable_t *t, cap_kind_t kind, void *obj);

/* The object a capability names, if it is valid and of that kind, else NULL. */
void *cap_lookup(const captable_t *t, uint64_t cap, cap_kind_t kind);

/* Invalidate a capability. */
void cap_drop(captable_t *t, uint64_t cap);

#endif
