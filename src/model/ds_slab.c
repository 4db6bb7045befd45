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
 *
 * Core finds a block with free entries by walking the ring from the
 * current block past the full ones, as many as there are: at 10^6
 * dataspaces that walk was a fifth of the mmap workload's time. The model
 * takes the same block from an index of the ring: a treap whose in-order
 * sequence is the ring's order (from some block on, around), with each
 * node counting the blocks with free entries below it. The first block
 * with free entries at or after the current one, around the ring, is a
 * walk of the treap's height. Slots not in the ring are kept on a list.
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
	m->ds_slab.root = NO_BLOCK;
	m->ds_slab.free_slots = NO_BLOCK;
	m->ds_slab.prio_state = 0x9e3779b9u;
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

/* ---- The index: the ring as a treap ------------------------------------------ */

static uint32_t
nonfull_of(const struct ds_slab *s, uint32_t i)
{
	return i == NO_BLOCK ? 0 : s->blocks[i].nonfull;
}

static void
recount(struct ds_slab *s, uint32_t i)
{
	struct ds_slab_block *b = &s->blocks[i];

	b->nonfull = (b->avail > 0) + nonfull_of(s, b->left) + nonfull_of(s, b->right);
}

/* Replace child old of parent p (or the root) by c. */
static void
relink(struct ds_slab *s, uint32_t p, uint32_t old, uint32_t c)
{
	if (p == NO_BLOCK)
		s->root = c;
	else if (s->blocks[p].left == old)
		s->blocks[p].left = c;
	else
		s->blocks[p].right = c;
	if (c != NO_BLOCK)
		s->blocks[c].up = p;
}

/* Turn i's parent into i's child, keeping the in-order sequence. */
static void
rotate_up(struct ds_slab *s, uint32_t i)
{
	struct ds_slab_block *b = &s->blocks[i];
	uint32_t p = b->up, g = s->blocks[p].up;

	if (s->blocks[p].left == i) {
		s->blocks[p].left = b->right;
		if (b->right != NO_BLOCK)
			s->blocks[b->right].up = p;
		b->right = p;
	} else {
		s->blocks[p].right = b->left;
		if (b->left != NO_BLOCK)
			s->blocks[b->left].up = p;
		b->left = p;
	}
	s->blocks[p].up = i;
	relink(s, g, p, i);
	recount(s, p);
	recount(s, i);
}

/* Add delta to the counts from i up to the root (i's own state changed). */
static void
count_up(struct ds_slab *s, uint32_t i, int delta)
{
	for (; i != NO_BLOCK; i = s->blocks[i].up)
		s->blocks[i].nonfull = (uint32_t)((int64_t)s->blocks[i].nonfull + delta);
}

/* Set a block's free entries, keeping the counts. */
static void
set_avail(struct ds_slab *s, uint32_t i, uint32_t avail)
{
	bool was = s->blocks[i].avail > 0;

	s->blocks[i].avail = avail;
	if (was != (avail > 0))
		count_up(s, i, avail > 0 ? 1 : -1);
}

/* Put block i into the sequence right after block at (or alone). */
static void
index_insert_after(struct ds_slab *s, uint32_t at, uint32_t i)
{
	struct ds_slab_block *b = &s->blocks[i];

	/* a deterministic priority: the model repeats itself exactly */
	s->prio_state ^= s->prio_state << 13;
	s->prio_state ^= s->prio_state >> 17;
	s->prio_state ^= s->prio_state << 5;
	b->prio = s->prio_state;
	b->left = b->right = NO_BLOCK;
	b->nonfull = b->avail > 0;
	if (at == NO_BLOCK) {
		b->up = NO_BLOCK;
		s->root = i;
		return;
	}
	if (s->blocks[at].right == NO_BLOCK) {
		s->blocks[at].right = i;
	} else {
		at = s->blocks[at].right;
		while (s->blocks[at].left != NO_BLOCK)
			at = s->blocks[at].left;
		s->blocks[at].left = i;
	}
	b->up = at;
	count_up(s, at, (int)b->nonfull);
	while (b->up != NO_BLOCK && b->prio < s->blocks[b->up].prio)
		rotate_up(s, i);
}

static void
index_remove(struct ds_slab *s, uint32_t i)
{
	struct ds_slab_block *b = &s->blocks[i];

	/* down to where it has a child at most, the child of smaller priority up */
	while (b->left != NO_BLOCK && b->right != NO_BLOCK)
		rotate_up(s, s->blocks[b->left].prio < s->blocks[b->right].prio ? b->left : b->right);
	if (b->avail > 0)
		count_up(s, b->up, -1);
	relink(s, b->up, i, b->left != NO_BLOCK ? b->left : b->right);
	b->left = b->right = b->up = NO_BLOCK;
}

/* The first block with free entries in subtree t, in order (it has one). */
static uint32_t
first_nonfull(const struct ds_slab *s, uint32_t t)
{
	for (;;) {
		const struct ds_slab_block *b = &s->blocks[t];

		if (nonfull_of(s, b->left))
			t = b->left;
		else if (b->avail > 0)
			return t;
		else
			t = b->right;
	}
}

/*
 * Core's walk: from block i along the ring to the first block with free
 * entries. There always is one (a block is added while more than three
 * entries are free).
 */
static uint32_t
next_nonfull(const struct ds_slab *s, uint32_t i)
{
	uint32_t x = i;

	if (s->blocks[i].avail > 0)
		return i;
	if (nonfull_of(s, s->blocks[i].right))
		return first_nonfull(s, s->blocks[i].right);
	for (uint32_t p = s->blocks[x].up; p != NO_BLOCK; x = p, p = s->blocks[p].up) {
		if (s->blocks[p].left != x)
			continue;
		if (s->blocks[p].avail > 0)
			return p;
		if (nonfull_of(s, s->blocks[p].right))
			return first_nonfull(s, s->blocks[p].right);
	}
	/* around the ring: from the start of the sequence */
	return first_nonfull(s, s->root);
}

/* ---- The ring ------------------------------------------------------------------ */

/* A slot of blocks[] for a new block: one not in the ring (slot 0 is the embedded block's). */
static uint32_t
take_free_slot(struct ds_slab *s)
{
	uint32_t i = s->free_slots;

	if (i != NO_BLOCK)
		s->free_slots = s->blocks[i].next;
	return i;
}

static void
give_free_slot(struct ds_slab *s, uint32_t i)
{
	s->blocks[i].next = s->free_slots;
	s->free_slots = i;
}

rme_err_t
ds_slab_reserve(rme_model_t *m)
{
	struct ds_slab *s = &m->ds_slab;
	struct ds_slab_block *bigger;
	uint32_t n;

	if (s->blocks && (!ds_slab_grows(m) || s->free_slots != NO_BLOCK))
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
	/* the new slots, slot 0 aside, on the list of free ones, lowest first */
	for (uint32_t i = n - 1; i >= s->nslots && i > 0; i--) {
		memset(&s->blocks[i], 0, sizeof(s->blocks[i]));
		give_free_slot(s, i);
	}
	if (s->nslots == 0)
		memset(&s->blocks[0], 0, sizeof(s->blocks[0]));
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
	index_insert_after(s, s->curr, i);
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
	uint32_t entries = entries_per_block(m);

	if (s->curr == NO_BLOCK)
		insert(s, 0, entries);
	if (ds_slab_grows(m)) {
		(void)quota_charge(m, COST_DS_SLAB_RAM, COST_DS_SLAB_CAPS);
		insert(s, take_free_slot(s), entries);
		s->charged++;
	}
	/* skip full blocks, starting at the current one (core's walk, by the index) */
	s->curr = next_nonfull(s, s->curr);
	set_avail(s, s->curr, s->blocks[s->curr].avail - 1);
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
	index_remove(s, i);
	b->in_ring = false;
	s->total_avail -= b->avail;
	s->num_blocks--;
	if (i != 0) {
		give_free_slot(s, i);
		quota_refund(m, COST_DS_SLAB_RAM, COST_DS_SLAB_CAPS);
		s->charged--;
	}
}

void
ds_slab_free(rme_model_t *m, uint32_t block)
{
	struct ds_slab *s = &m->ds_slab;
	uint32_t entries = entries_per_block(m);

	set_avail(s, block, s->blocks[block].avail + 1);
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

/*
 * The index against the ring: its in-order sequence goes around the ring
 * once, the links both ways agree, every count is its subtree's, every
 * parent's priority is at most its children's; and the list of free slots
 * holds every slot not in the ring, slot 0 aside, once.
 */
static int
index_check(const struct ds_slab *s, const char **why)
{
	uint32_t t = s->root, prev = NO_BLOCK, first = NO_BLOCK, seen = 0, free_count = 0;

	if (t == NO_BLOCK || s->blocks[t].up != NO_BLOCK) {
		*why = "the index of core's slab has no root";
		return 0;
	}
	while (s->blocks[t].left != NO_BLOCK)
		t = s->blocks[t].left;
	/* in order, by the parent links; checking each node on the way */
	while (t != NO_BLOCK) {
		const struct ds_slab_block *b = &s->blocks[t];
		uint32_t c[2] = { b->left, b->right };

		if (!b->in_ring || seen++ > s->num_blocks ||
		    b->nonfull != (b->avail > 0) + nonfull_of(s, b->left) + nonfull_of(s, b->right)) {
			*why = "the index of core's slab does not count its blocks right";
			return 0;
		}
		for (int k = 0; k < 2; k++)
			if (c[k] != NO_BLOCK && (s->blocks[c[k]].up != t || s->blocks[c[k]].prio < b->prio)) {
				*why = "the index of core's slab is not a treap";
				return 0;
			}
		if (prev == NO_BLOCK)
			first = t;
		else if (s->blocks[prev].next != t) {
			*why = "the index of core's slab is not in the ring's order";
			return 0;
		}
		prev = t;
		if (b->right != NO_BLOCK) {
			t = b->right;
			while (s->blocks[t].left != NO_BLOCK)
				t = s->blocks[t].left;
		} else {
			while (s->blocks[t].up != NO_BLOCK && s->blocks[s->blocks[t].up].right == t)
				t = s->blocks[t].up;
			t = s->blocks[t].up;
		}
	}
	if (seen != s->num_blocks || s->blocks[prev].next != first) {
		*why = "the index of core's slab is not in the ring's order";
		return 0;
	}
	for (uint32_t i = s->free_slots; i != NO_BLOCK; i = s->blocks[i].next)
		if (i == 0 || i >= s->nslots || s->blocks[i].in_ring || free_count++ > s->nslots) {
			*why = "core's slab lists a slot in use as free";
			return 0;
		}
	for (uint32_t i = 1; i < s->nslots; i++)
		free_count -= !s->blocks[i].in_ring;
	if (free_count != 0) {
		*why = "core's slab lists its free slots wrong";
		return 0;
	}
	return 1;
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
	if (!index_check(s, why))
		return 0;
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
