/*
 * ds_slab.c: core's slab of dataspace metadata, one per PD. Core keeps
 * the Dataspace_component of every RAM dataspace of a PD in a
 * Tslab<Dataspace_component, 4096> (Ram_dataspace_factory): its first
 * block is embedded in the PD session, every further one core takes from
 * the PD's own quota, a page and a capability (Accounted_core_ram). The
 * slab grows and gives blocks back exactly as Genode's slab.cc does, block
 * by block, so that the model pays at the same allocations as Genode: a
 * block more when no more than three entries are free before an
 * allocation, and a block released when the freed entry's block is empty
 * and more than two blocks' worth of entries are free.
 *
 * Only which block holds an entry matters (a block is released when it is
 * empty), not where in the block, so a block is its count of free entries
 * and a dataspace remembers its block's index (struct ds, slab_block).
 */
#include <string.h>

#include "costs.h"
#include "model_internal.h"

enum { NO_BLOCK = UINT32_MAX };

/* Entries per block: 4056 bytes over the entry of a Dataspace_component (slab.cc). */
static uint32_t
entries_per_block(const rme_model_t *m)
{
	return model_is_linux(m) ? COST_DS_SLAB_ENTRIES_LINUX : COST_DS_SLAB_ENTRIES;
}

void
ds_slab_init(rme_model_t *m)
{
	memset(&m->ds_slab, 0, sizeof(m->ds_slab));
	m->ds_slab.curr = NO_BLOCK;
}

void
ds_slab_fini(rme_model_t *m)
{
	struct ds_slab *s = &m->ds_slab;

	if (s->blocks)
		host_free(m, s->blocks, s->nslots * sizeof(*s->blocks));
	ds_slab_init(m);
}

bool
ds_slab_grows(const rme_model_t *m)
{
	const struct ds_slab *s = &m->ds_slab;

	/* the embedded block comes first, and holds more than three entries */
	return s->curr != NO_BLOCK && s->total_avail <= COST_DS_SLAB_GROW_AT;
}

/* A slot of blocks[] for a new block: one not in the ring (slot 0 is the embedded block's). */
static uint32_t
free_slot(const struct ds_slab *s)
{
	for (uint32_t i = 1; i < s->nslots; i++)
		if (!s->blocks[i].in_ring)
			return i;
	return NO_BLOCK;
}

rme_err_t
ds_slab_reserve(rme_model_t *m)
{
	struct ds_slab *s = &m->ds_slab;
	struct ds_slab_block *bigger;
	uint32_t n;

	if (s->blocks && (!ds_slab_grows(m) || free_slot(s) != NO_BLOCK))
		return RME_OK;
	n = s->nslots ? 2 * s->nslots : 4;
	if (n <= s->nslots)
		return RME_ERR_HOST_NO_MEMORY;
	bigger = host_alloc(m, n * sizeof(*bigger));
	if (!bigger)
		return RME_ERR_HOST_NO_MEMORY;
	if (s->blocks) {
		memcpy(bigger, s->blocks, s->nslots * sizeof(*bigger));
		host_free(m, s->blocks, s->nslots * sizeof(*bigger));
	}
	s->blocks = bigger;
	s->nslots = n;
	return RME_OK;
}

/* Put block i into the ring after the current block, as Slab::_insert_sb does. */
static void
insert(struct ds_slab *s, uint32_t i, uint32_t entries)
{
	struct ds_slab_block *b = &s->blocks[i];

	b->in_ring = true;
	b->avail = entries;
	if (s->curr == NO_BLOCK) {
		b->next = b->prev = i;
		s->curr = i;
	} else {
		struct ds_slab_block *c = &s->blocks[s->curr];
		b->prev = s->curr;
		b->next = c->next;
		s->blocks[c->next].prev = i;
		c->next = i;
	}
	s->total_avail += entries;
	s->num_blocks++;
}

uint32_t
ds_slab_alloc(rme_model_t *m)
{
	struct ds_slab *s = &m->ds_slab;
	uint32_t entries = entries_per_block(m), orig;

	if (s->curr == NO_BLOCK)
		insert(s, 0, entries);
	if (ds_slab_grows(m)) {
		(void)quota_charge(m, COST_DS_SLAB_RAM, COST_DS_SLAB_CAPS);
		insert(s, free_slot(s), entries);
		s->charged++;
	}
	/* skip full blocks, starting at the current one */
	orig = s->curr;
	while (s->blocks[s->curr].avail == 0 && s->blocks[s->curr].next != orig)
		s->curr = s->blocks[s->curr].next;
	s->blocks[s->curr].avail--;
	s->total_avail--;
	return s->curr;
}

/* Remove the current block from the ring (Slab::_free_curr_sb); core frees it unless it is the embedded one. */
static void
release_curr(rme_model_t *m)
{
	struct ds_slab *s = &m->ds_slab;
	uint32_t i = s->curr;
	struct ds_slab_block *b = &s->blocks[i];

	s->curr = b->next;
	if (s->num_blocks <= 1)
		return;
	s->blocks[b->prev].next = b->next;
	s->blocks[b->next].prev = b->prev;
	b->in_ring = false;
	s->total_avail -= b->avail;
	s->num_blocks--;
	if (i != 0) {
		quota_refund(m, COST_DS_SLAB_RAM, COST_DS_SLAB_CAPS);
		s->charged--;
	}
}

void
ds_slab_free(rme_model_t *m, uint32_t block)
{
	struct ds_slab *s = &m->ds_slab;
	uint32_t entries = entries_per_block(m);

	s->blocks[block].avail++;
	s->total_avail++;
	s->curr = block;
	while (s->total_avail > 2 * (uint64_t)entries && s->num_blocks > 1 &&
	       s->blocks[s->curr].avail == entries)
		release_curr(m);
}

void
ds_slab_lose(rme_model_t *m, uint64_t ram, uint64_t caps)
{
	(void)quota_charge(m, ram, caps);
	m->ds_slab.lost_ram += ram;
	m->ds_slab.lost_caps += caps;
}

void
ds_slab_close(rme_model_t *m)
{
	struct ds_slab *s = &m->ds_slab;

	quota_refund(m, s->charged * (uint64_t)COST_DS_SLAB_RAM + s->lost_ram,
	             s->charged * (uint64_t)COST_DS_SLAB_CAPS + s->lost_caps);
	ds_slab_fini(m);
}

void
ds_slab_stats(const rme_model_t *m, uint64_t *ram, uint64_t *caps)
{
	*ram = m->ds_slab.charged * (uint64_t)COST_DS_SLAB_RAM;
	*caps = m->ds_slab.charged * (uint64_t)COST_DS_SLAB_CAPS;
}

int
ds_slab_check(const rme_model_t *m, const char **why)
{
	const struct ds_slab *s = &m->ds_slab;
	uint32_t entries = entries_per_block(m);
	uint64_t blocks = 0, avail = 0, charged = 0, used = 0;

	if (s->curr == NO_BLOCK) {
		for (const struct ds *ds = m->dss; ds; ds = ds->next)
			if (ds->kind == DS_RAM) {
				*why = "a RAM dataspace has no entry in core's slab";
				return 0;
			}
		return 1;
	}
	/* the ring from the current block */
	for (uint32_t i = s->curr;;) {
		const struct ds_slab_block *b = &s->blocks[i];
		if (!b->in_ring || b->avail > entries || s->blocks[b->next].prev != i) {
			*why = "core's slab of dataspace metadata is not a ring of blocks";
			return 0;
		}
		blocks++;
		avail += b->avail;
		used += entries - b->avail;
		charged += i != 0;
		i = b->next;
		if (i == s->curr || blocks > s->nslots)
			break;
	}
	if (blocks != s->num_blocks || avail != s->total_avail || charged != s->charged) {
		*why = "core's slab of dataspace metadata does not count its blocks right";
		return 0;
	}
	for (const struct ds *ds = m->dss; ds; ds = ds->next) {
		if (ds->kind != DS_RAM)
			continue;
		if (ds->slab_block >= s->nslots || !s->blocks[ds->slab_block].in_ring) {
			*why = "a RAM dataspace's entry is in no block of core's slab";
			return 0;
		}
		used--;
	}
	if (used != 0) {
		*why = "core's slab of dataspace metadata holds entries of no dataspace";
		return 0;
	}
	return 1;
}
