/*
 * captable.c: capabilities as generation-checked slot indexes (see captable.h).
 */
#include <string.h>

#include "captable.h"

void
cap_init(captable_t *t, const rme_allocator_t *alloc, uint16_t badge)
{
	memset(t, 0, sizeof(*t));
	t->alloc = alloc;
	t->badge = badge;
}

/* A capability's parts: badge (16 bits), generation (16 bits), index + 1 (32 bits). */
static uint64_t
cap_pack(const captable_t *t, uint32_t generation, uint32_t index)
{
	return ((uint64_t)t->badge << 48) | ((uint64_t)(generation & 0xffff) << 32) |
	       ((uint64_t)index + 1);
}

/* The slot a capability names, or NULL if it is not one of this table's. */
static struct cap_slot *
cap_slot(const captable_t *t, uint64_t cap)
{
	uint64_t i = cap & 0xffffffffu;
	struct cap_slot *s;

	if (i == 0 || i > t->used || (cap >> 48) != t->badge)
		return NULL;
	s = &t->slots[i - 1];
	if ((s->generation & 0xffff) != ((cap >> 32) & 0xffff))
		return NULL;
	return s;
}

void
cap_fini(captable_t *t)
{
	if (t->slots)
		t->alloc->free(t->alloc->ctx, t->slots, (size_t)t->capacity * sizeof(*t->slots));
	t->slots = NULL;
	t->capacity = t->used = t->free_head = 0;
}

rme_err_t
cap_reserve(captable_t *t)
{
	struct cap_slot *slots;
	uint32_t cap;

	if (t->free_head || t->used < t->capacity)
		return RME_OK;
	if (t->capacity >= UINT32_MAX / 2)
		return RME_ERR_HOST_NO_MEMORY;
	cap = t->capacity ? t->capacity * 2 : 16;
	slots = t->alloc->alloc(t->alloc->ctx, (size_t)cap * sizeof(*slots));
	if (!slots)
		return RME_ERR_HOST_NO_MEMORY;
	memset(slots, 0, (size_t)cap * sizeof(*slots));
	if (t->slots) {
		memcpy(slots, t->slots, (size_t)t->capacity * sizeof(*slots));
		t->alloc->free(t->alloc->ctx, t->slots, (size_t)t->capacity * sizeof(*slots));
	}
	t->slots = slots;
	t->capacity = cap;
	return RME_OK;
}

uint64_t
cap_new(captable_t *t, cap_kind_t kind, void *obj)
{
	uint32_t i;

	if (t->free_head) {
		i = t->free_head - 1;
		t->free_head = t->slots[i].next_free;
	} else {
		i = t->used++;
	}
	t->slots[i].obj = obj;
	t->slots[i].kind = kind;
	t->slots[i].next_free = 0;
	return cap_pack(t, t->slots[i].generation, i);
}

void *
cap_lookup(const captable_t *t, uint64_t cap, cap_kind_t kind)
{
	const struct cap_slot *s = cap_slot(t, cap);

	return (s && s->kind == kind) ? s->obj : NULL;
}

void
cap_drop(captable_t *t, uint64_t cap)
{
	struct cap_slot *s = cap_slot(t, cap);

	if (!s || s->kind == CAP_NONE)
		return;
	s->obj = NULL;
	s->kind = CAP_NONE;
	s->generation++;
	s->next_free = t->free_head;
	t->free_head = (uint32_t)(s - t->slots) + 1;
}
