/*
 * placement_hosted.c: Genode's Slab for an Allocator_avl that is its own
 * metadata allocator (placement_hosted.h), step for step. Line numbers are
 * base/src/lib/base/slab.cc at 26.02 unless marked @20.05.
 *
 * What matters for where metadata lands and when it leaves: how many
 * entries each block has free, which block is current (allocations take
 * from it after skipping full ones; a free makes the freed entry's block
 * current), where a new block goes in the ring (after the current one),
 * and the conditions of growth and release. Which slot inside a block an
 * entry takes does not change any address in the pool, so it is not kept.
 */
#include <string.h>

#include "placement_hosted.h"

void
plc_hosted_init(plc_hosted_t *h, plc_t *map, plc_hosted_release_t release,
                const rme_allocator_t *alloc)
{
	memset(h, 0, sizeof(*h));
	h->map = map;
	h->release = release;
	h->alloc = alloc;
	h->backing = true;
	map->hosted = h;
}

static void
free_record(plc_hosted_t *h, plc_hosted_block_t *b)
{
	h->alloc->free(h->alloc->ctx, b, sizeof(*b));
}

void
plc_hosted_fini(plc_hosted_t *h)
{
	plc_hosted_block_t *b, *next;

	if (h->curr) {
		/* the ring, wherever the embedded block is (it may have left the ring) */
		b = h->curr;
		do {
			next = b->next;
			if (b != &h->initial)
				free_record(h, b);
			b = next;
		} while (b != h->curr);
	}
	for (b = h->lost; b; b = next) {
		next = b->next;
		free_record(h, b);
	}
	if (h->spare)
		free_record(h, h->spare);
	h->curr = h->lost = h->spare = NULL;
	h->map->hosted = NULL;
}

void
plc_hosted_foreach_block(const plc_hosted_t *h,
                         void (*fn)(void *ctx, uint64_t addr, uint64_t size), void *ctx)
{
	const plc_hosted_block_t *b;

	if (h->curr) {
		b = h->curr;
		do {
			if (b != &h->initial)
				fn(ctx, b->addr, PLC_HOSTED_BLOCK_SIZE);
			b = b->next;
		} while (b != h->curr);
	}
	for (b = h->lost; b; b = b->next)
		fn(ctx, b->addr, PLC_HOSTED_BLOCK_SIZE);
}

rme_err_t
plc_hosted_reserve(plc_t *p)
{
	plc_hosted_t *h = p->hosted;

	if (!h->spare) {
		h->spare = h->alloc->alloc(h->alloc->ctx, sizeof(*h->spare));
		if (!h->spare)
			return RME_ERR_HOST_NO_MEMORY;
	}
	return RME_OK;
}

bool
plc_hosted_backing(plc_t *p, bool on)
{
	bool old = p->hosted->backing;

	p->hosted->backing = on;
	return old;
}

bool
plc_hosted_is_20_05(const plc_t *p)
{
	return p->hosted->release == PLC_HOSTED_GENODE_20_05;
}

/* _insert_sb (305-315): after the current block. */
static void
insert_block(plc_hosted_t *h, plc_hosted_block_t *sb)
{
	sb->prev = h->curr;
	sb->next = h->curr->next;
	h->curr->next->prev = sb;
	h->curr->next = sb;
	h->total_avail += PLC_HOSTED_ENTRIES;
	h->num_blocks++;
}

/*
 * _expand (318-347) with _new_slab_block (248-262): the backing store is
 * the allocator itself, so this is Allocator_avl_base::try_alloc(8128),
 * i.e. alloc_aligned(8128, AT_MWORD) (allocator_avl.h:287-291; 20.05:
 * alloc(), allocator_avl.h@20.05:277-281), a best fit over the whole
 * tree, whose own entries come from the three left (nested: no growth).
 */
static rme_err_t
grow(plc_t *p)
{
	plc_hosted_t *h = p->hosted;
	plc_hosted_block_t *sb = h->spare;
	plc_block_t *b;
	rme_err_t err;

	if (!h->backing || h->nested)
		return RME_OK;
	if (!sb)
		return RME_ERR_HOST_NO_MEMORY;   /* plc_reserve was not called */
	h->nested = true;
	err = plc_alloc_aligned(p, PLC_HOSTED_BLOCK_SIZE, PLC_HOSTED_BLOCK_ALIGN_LOG2, &b);
	h->nested = false;
	if (err != RME_OK)
		return err == RME_ERR_HOST_NO_MEMORY ? err : RME_ERR_DENIED;
	h->spare = NULL;
	memset(sb, 0, sizeof(*sb));
	sb->avail = PLC_HOSTED_ENTRIES;
	sb->addr = b->addr;
	insert_block(h, sb);
	return RME_OK;
}

/*
 * Slab::try_alloc (356-412); Slab::alloc@20.05 (322-377) behaves the same
 * for this allocator: the embedded block first, growth at three or fewer
 * entries (a failed growth fails the allocation), then the first block
 * with a free entry from the current one on.
 */
rme_err_t
plc_hosted_entry_alloc(plc_t *p, plc_hosted_block_t **out)
{
	plc_hosted_t *h = p->hosted;
	const plc_hosted_block_t *orig;

	if (!h->curr) {
		/* init very first block (366-381); at 20.05 the constructor did it */
		h->curr = &h->initial;
		h->initial.next = h->initial.prev = &h->initial;
		h->initial.avail = PLC_HOSTED_ENTRIES;
		h->total_avail = PLC_HOSTED_ENTRIES;
		h->num_blocks = 1;
	}
	if (h->total_avail <= PLC_HOSTED_GROW_AT) {
		rme_err_t err = grow(p);
		if (err != RME_OK)
			return err;
	}
	/* skip completely occupied slab blocks, detect cycles (400-403) */
	orig = h->curr;
	for (; h->curr->avail == 0; h->curr = h->curr->next)
		if (h->curr->next == orig)
			break;
	if (h->curr->avail == 0)
		return RME_ERR_DENIED;   /* Block::alloc found no free slot (405-407) */
	h->curr->avail--;
	h->total_avail--;
	*out = h->curr;
	return RME_OK;
}

/*
 * _release_backing_store (265-282): the block leaves the counts; a block
 * of the pool goes back to the allocator, a re-entrant free. Without a
 * backing store (inside add_range, possible only at 20.05) it stays a used
 * block of the pool for good.
 */
static void
release_block(plc_t *p, plc_hosted_block_t *block)
{
	plc_hosted_t *h = p->hosted;
	uint64_t addr = block->addr;

	h->total_avail -= block->avail;
	h->num_blocks--;
	if (block == &h->initial)
		return;
	if (!h->backing) {
		block->lost = true;
		block->next = h->lost;
		block->prev = NULL;
		h->lost = block;
		return;
	}
	free_record(h, block);
	plc_free(p, addr);
}

/* _free_curr_sb (285-302) */
static void
free_curr_block(plc_t *p)
{
	plc_hosted_t *h = p->hosted;
	plc_hosted_block_t *block = h->curr;

	h->curr = h->curr->next;
	if (h->num_blocks <= 1)
		return;
	block->prev->next = block->next;
	block->next->prev = block->prev;
	release_block(p, block);
}

/*
 * Slab::_free (415-452): the freed entry's block becomes current, and
 * empty blocks go while more than two blocks' worth of entries are free.
 * At 20.05 (slab.cc@20.05:380-416) the loop does not ask for the backing
 * store, so inside add_range an empty block is taken out but not freed.
 */
void
plc_hosted_entry_free(plc_t *p, plc_hosted_block_t *sb)
{
	plc_hosted_t *h = p->hosted;

	sb->avail++;
	h->total_avail++;
	h->curr = sb;
	while (h->total_avail > 2 * (uint64_t)PLC_HOSTED_ENTRIES && h->num_blocks > 1 &&
	       h->curr->avail == PLC_HOSTED_ENTRIES &&
	       (h->backing || h->release == PLC_HOSTED_GENODE_20_05))
		free_curr_block(p);
}
