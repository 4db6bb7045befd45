/*
 * region_map.c: region maps: creating and destroying them, their managed
 * dataspaces, and attach and detach with core's rules (Genode's placement,
 * placement.c) or, on base-linux, Region_map_mmap's. A region keeps a
 * link to its dataspace, so that a dataspace that goes away can reserve or
 * detach its regions.
 */
#include <string.h>

#include "costs.h"
#include "model_internal.h"
#include "util.h"

/* base-linux's Region_registry holds at most this many regions per map. */
enum { LINUX_MAX_REGIONS = 4096 };

static const rme_attr_t default_attr;  /* Region_map::Attr{}: whole dataspace, read-only */

/* ---- Regions and their dataspaces ------------------------------------------- */

/* The region map a block belongs to: the one whose tree holds it (plc_of_block walks up). */
static struct rm *
rm_of_block(const plc_block_t *b)
{
	plc_t *map = plc_of_block(b);

	return (struct rm *)(void *)((char *)map - offsetof(struct rm, map));
}

static void
region_link(struct ds *ds, plc_block_t *b)
{
	b->region.ds = ds;
	b->region.ds_prev = NULL;
	b->region.ds_next = ds->regions;
	if (ds->regions)
		ds->regions->region.ds_prev = b;
	ds->regions = b;
}

void
region_unlink(rme_model_t *m, plc_block_t *b)
{
	struct ds *ds = b->region.ds;

	if (!ds)
		return;
	if (b->region.ds_prev)
		b->region.ds_prev->region.ds_next = b->region.ds_next;
	else
		ds->regions = b->region.ds_next;
	if (b->region.ds_next)
		b->region.ds_next->region.ds_prev = b->region.ds_prev;
	b->region.ds = NULL;
	b->region.ds_prev = b->region.ds_next = NULL;
	/* for the leak verdict: where a RAM dataspace lost its last region */
	if (!ds->regions && ds->kind == DS_RAM)
		ds->detach_site = m->site;
}

/* Before 24.02, a dataspace that went away took its regions with it. */
static bool
detaches_implicitly(const rme_model_t *m)
{
	return m->cfg.genode_release < 2402;
}

/*
 * The dataspace is going away. Since 24.02 its regions stay allocated but
 * reserved, faulting until they are detached; before, they were detached
 * (which needs no host memory, see plc_free).
 */
void
release_regions_of(rme_model_t *m, struct ds *ds, bool tearing_down)
{
	while (ds->regions) {
		plc_block_t *b = ds->regions;
		struct rm *owner = rm_of_block(b);
		uint64_t addr = b->addr;

		region_unlink(m, b);
		if (detaches_implicitly(m) && !tearing_down) {
			plc_free(&owner->map, addr);
			plc_trim(&owner->map);
		}
	}
}

/* ---- Region maps ------------------------------------------------------------ */

rme_cap_t
rme_env(const rme_model_t *m)
{
	return m ? m->env->cap : 0;
}

rme_err_t
rm_new(rme_model_t *m, uint64_t base, uint64_t size, struct rm **out)
{
	plc_slab_hooks_t hooks = { slab_grow, slab_shrink, NULL };
	struct rm *rm;
	rme_err_t err;

	/* two capabilities: the region map and its dataspace */
	if ((err = cap_reserve(&m->caps)) != RME_OK)
		return err;
	rm = host_alloc(m, sizeof(*rm));
	if (!rm)
		return RME_ERR_HOST_NO_MEMORY;
	hooks.ctx = rm;
	rm->model = m;
	rm->base = base;
	rm->size = size;
	plc_init(&rm->map, m->alloc, m->layout.word_mask, &hooks);
	if ((err = plc_reserve(&rm->map, PLC_NODES_PER_OP)) != RME_OK) {
		plc_fini(&rm->map);
		host_free(m, rm, sizeof(*rm));
		return err;
	}
	rm->cap = cap_new(&m->caps, CAP_RM, rm);
	if ((err = cap_reserve(&m->caps)) != RME_OK) {
		cap_drop(&m->caps, rm->cap);
		plc_fini(&rm->map);
		host_free(m, rm, sizeof(*rm));
		return err;
	}
	rm->ds.kind = DS_MANAGED;
	rm->ds.size = size;
	rm->ds.rm = rm;
	rm->ds.src_align_log2 = 64;   /* backing address 0: any alignment */
	rm->ds.cap = cap_new(&m->caps, CAP_DS, &rm->ds);

	/*
	 * A map of size 0 cannot get its range; core warns and every attach
	 * then conflicts. The first metadata block is embedded, so this cannot
	 * run out of quota.
	 */
	if (size)
		(void)plc_add_range(&rm->map, base, size);

	rm->next = m->rms;
	if (m->rms)
		m->rms->prev = rm;
	m->rms = rm;
	*out = rm;
	return RME_OK;
}

void
rm_delete(rme_model_t *m, struct rm *rm, bool tearing_down)
{
	/* Where this map's dataspace is attached, the regions stay reserved. */
	release_regions_of(m, &rm->ds, tearing_down);
	for (plc_block_t *b = plc_first(&rm->map); b; b = plc_next(b))
		if (b->used)
			region_unlink(m, b);
	plc_fini(&rm->map);
	if (rm->faulters)
		host_free(m, rm->faulters, rm->faulters_cap * sizeof(*rm->faulters));
	if (rm->prev)
		rm->prev->next = rm->next;
	else
		m->rms = rm->next;
	if (rm->next)
		rm->next->prev = rm->prev;
	cap_drop(&m->caps, rm->ds.cap);
	cap_drop(&m->caps, rm->cap);
	host_free(m, rm, sizeof(*rm));
}

rme_err_t
rme_rm_create(rme_model_t *m, uint64_t size, rme_cap_t *out)
{
	uint64_t rounded;
	struct rm *rm;
	rme_err_t err;

	if (!m || !out)
		return RME_ERR_INVALID_ARGUMENT;
	*out = 0;
	/*
	 * The size must fit the target's size_t; 0 is allowed (core creates a
	 * map that refuses every attach).
	 */
	if (!page_round_up(size, &rounded) || rounded > m->layout.word_mask)
		return RME_ERR_DENIED;
	/* base-linux's sub region maps keep the size they were given */
	if (model_is_linux(m))
		rounded = size;
	if (model_is_linux(m)) {
		/* the first region map also opens the RM session */
		bool opens = !m->rm_session.open;
		uint64_t ram = COST_LINUX_RM_CREATE_RAM + (opens ? COST_LINUX_RM_SESSION_RAM : 0);
		uint64_t caps = COST_LINUX_RM_CREATE_CAPS + (opens ? COST_LINUX_RM_SESSION_CAPS : 0);

		if (ram_avail(m) < ram)
			return RME_ERR_OUT_OF_RAM;
		if (caps_avail(m) < caps)
			return RME_ERR_OUT_OF_CAPS;
		err = rm_new(m, 0, rounded, &rm);
		if (err != RME_OK)
			return err;
		(void)quota_charge(m, ram, caps);
		if (opens) {
			m->rm_session.open = true;
			m->rm_session.donated_ram = COST_LINUX_RM_SESSION_RAM;
			m->rm_session.donated_caps = COST_LINUX_RM_SESSION_CAPS;
		}
	} else {
		/* taken from the RM session; undone if the host has no memory for it */
		rme_quota_t quota = m->quota;
		struct rm_session session = m->rm_session;

		err = session_take(m, COST_RM_CREATE_RAM, COST_RM_CREATE_CAPS);
		if (err != RME_OK)
			return err;
		err = rm_new(m, 0, rounded, &rm);
		if (err != RME_OK) {
			m->quota = quota;
			m->rm_session = session;
			return err;
		}
	}
	*out = rm->cap;
	return RME_OK;
}

rme_err_t
rme_rm_destroy(rme_model_t *m, rme_cap_t cap)
{
	struct rm *rm;

	if (!m)
		return RME_ERR_INVALID_ARGUMENT;
	rm = rm_of(m, cap);
	if (!rm)
		return RME_ERR_INVALID_ARGUMENT;
	if (rm->internal)
		return RME_ERR_DENIED;
	rm_uncharge(m);
	rm_delete(m, rm, false);
	return RME_OK;
}

rme_cap_t
rme_rm_dataspace(const rme_model_t *m, rme_cap_t cap)
{
	struct rm *rm = m ? rm_of(m, cap) : NULL;
	return rm ? rm->ds.cap : 0;
}

/* ---- Attach and detach ------------------------------------------------------ */

/* Core's alignment search: natural alignment first, then less, down to a page. */
static rme_err_t
place_anywhere(struct rm *rm, const struct ds *ds, uint64_t size, uint64_t offset,
               plc_block_t **out)
{
	unsigned align = log2_floor(size);

	if (align >= (rm->map.word_mask == UINT64_MAX ? 64u : 32u))
		align = 12;
	for (; align >= 12; align--) {
		uint64_t mask = ((uint64_t)1 << align) - 1;
		rme_err_t err;

		/* no use aligning beyond the backing store's own alignment */
		if (align > ds->src_align_log2 || (offset & mask))
			continue;
		err = plc_alloc_aligned(&rm->map, size, align, out);
		if (err == RME_OK || err == RME_ERR_OUT_OF_RAM || err == RME_ERR_OUT_OF_CAPS)
			return err;
	}
	return RME_ERR_REGION_CONFLICT;
}

/*
 * Would attaching the managed dataspace of inner into outer close a cycle,
 * i.e. is outer inner itself or nested somewhere inside it? Core does not
 * check this: the first fault through such a cycle deadlocks its pager
 * (genode-semantics.md §2.5). The model refuses the attach instead.
 * Walks upward from outer through the maps its dataspace is attached to.
 */
static rme_err_t
closes_cycle(rme_model_t *m, struct rm *outer, struct rm *inner, bool *out)
{
	struct rm **stack, **grown;
	uint64_t depth = 0, cap = 16, stamp = ++m->visit_stamp;

	*out = false;
	stack = host_alloc(m, cap * sizeof(*stack));
	if (!stack)
		return RME_ERR_HOST_NO_MEMORY;
	stack[depth++] = outer;
	outer->visit = stamp;
	while (depth) {
		struct rm *rm = stack[--depth];

		if (rm == inner) {
			*out = true;
			break;
		}
		for (plc_block_t *b = rm->ds.regions; b; b = b->region.ds_next) {
			struct rm *parent = rm_of_block(b);

			if (parent->visit == stamp)
				continue;
			parent->visit = stamp;
			if (depth == cap) {
				grown = host_alloc(m, 2 * cap * sizeof(*stack));
				if (!grown) {
					host_free(m, stack, cap * sizeof(*stack));
					return RME_ERR_HOST_NO_MEMORY;
				}
				memcpy(grown, stack, cap * sizeof(*stack));
				host_free(m, stack, cap * sizeof(*stack));
				stack = grown;
				cap *= 2;
			}
			stack[depth++] = parent;
		}
	}
	host_free(m, stack, cap * sizeof(*stack));
	return RME_OK;
}

/* Core's placement, once the size is known (Region_map_component::_attach). */
static rme_err_t
attach_core(struct rm *rm, const struct ds *ds, const rme_attr_t *attr, uint64_t size,
            plc_block_t **out)
{
	rme_err_t err = plc_reserve(&rm->map, PLC_NODES_PER_OP);

	if (err != RME_OK)
		return err;
	if (!attr->use_at)
		return place_anywhere(rm, ds, size, attr->offset, out);
	err = plc_alloc_addr(&rm->map, size, attr->at, out);
	return err == RME_ERR_DENIED ? RME_ERR_REGION_CONFLICT : err;
}

/*
 * base-linux's Region_map_mmap::attach: a sub region map takes regions only
 * at a given address, holds at most 4096, never nests another one, and
 * keeps the size it was given (not page-rounded); the managed dataspace of
 * a sub region map can be attached only once.
 */
static rme_err_t
attach_linux(struct rm *rm, struct ds *ds, const rme_attr_t *attr, uint64_t size,
             plc_block_t **out)
{
	rme_err_t err;

	if (ds->kind == DS_MANAGED) {
		if (!rm->is_env)
			return RME_ERR_INVALID_DATASPACE;   /* no nesting of sub region maps */
		if (ds->regions)
			return RME_ERR_REGION_CONFLICT;     /* attached once already */
	}
	if (!rm->is_env) {
		if (attr->at > rm->size || size > rm->size - attr->at)
			return RME_ERR_REGION_CONFLICT;
		if (rm->map.used_blocks >= LINUX_MAX_REGIONS)
			return RME_ERR_REGION_CONFLICT;
		if ((err = plc_reserve(&rm->map, PLC_NODES_PER_OP)) != RME_OK)
			return err;
		err = plc_alloc_addr(&rm->map, size, attr->at, out);
		return err == RME_ERR_DENIED ? RME_ERR_REGION_CONFLICT : err;
	}
	/*
	 * In the process's own address space Linux maps whole pages. Where Linux
	 * would choose the address, the model places as core does: a trace
	 * compares such addresses with 'ok'.
	 */
	if (!page_round_up(size, &size))
		return RME_ERR_REGION_CONFLICT;
	return attach_core(rm, ds, attr, size, out);
}

rme_err_t
rme_attach(rme_model_t *m, rme_cap_t rm_cap, rme_cap_t ds_cap,
           const rme_attr_t *attr, rme_range_t *out)
{
	struct rm *rm;
	struct ds *ds;
	plc_block_t *b = NULL;
	uint64_t size;
	rme_err_t err;

	if (!m)
		return RME_ERR_INVALID_ARGUMENT;
	if (out)
		*out = (rme_range_t){ 0, 0 };
	rm = rm_of(m, rm_cap);
	if (!rm)
		return RME_ERR_INVALID_ARGUMENT;
	if (!attr)
		attr = &default_attr;

	if (model_is_linux(m)) {
		/* Region_map_mmap's order: sub maps want an address before anything else */
		if (!rm->is_env && !attr->use_at)
			return RME_ERR_REGION_CONFLICT;
		ds = ds_of(m, ds_cap);
		if (!ds)
			return RME_ERR_INVALID_DATASPACE;
		/* mmap refuses an unaligned file offset */
		if (!page_aligned(attr->offset) || attr->offset >= ds->size)
			return RME_ERR_REGION_CONFLICT;
		size = ds->size - attr->offset;
		if (attr->size && attr->size < size)
			size = attr->size;
	} else {
		/* R1, in core's order */
		if (!page_aligned(attr->offset))
			return RME_ERR_REGION_CONFLICT;
		ds = ds_of(m, ds_cap);
		if (!ds)
			return RME_ERR_INVALID_DATASPACE;
		if (attr->offset >= ds->size)
			return RME_ERR_REGION_CONFLICT;
		size = attr->size ? attr->size : ds->size - attr->offset;
		/* A size whose rounding wraps is unspecified in core; we refuse it. */
		if (!page_round_up(size, &size) || size == 0 || size > ds->size - attr->offset)
			return RME_ERR_REGION_CONFLICT;
	}
	if (ds->kind == DS_MANAGED) {
		bool cycle;
		if ((err = closes_cycle(m, rm, ds->rm, &cycle)) != RME_OK)
			return err;
		if (cycle)
			return RME_ERR_REGION_CONFLICT;
	}

	err = model_is_linux(m) ? attach_linux(rm, ds, attr, size, &b)
	                        : attach_core(rm, ds, attr, size, &b);
	if (err != RME_OK)
		return err;

	b->region.offset = attr->offset;
	b->write = attr->writeable != 0;
	b->exec = attr->executable != 0;
	region_link(ds, b);
	wake_faulters(m, rm, b->addr, b->size);
	plc_trim(&rm->map);
	if (out)
		*out = (rme_range_t){ b->addr, size };
	return RME_OK;
}

rme_err_t
rme_detach(rme_model_t *m, rme_cap_t rm_cap, rme_addr_t addr)
{
	struct rm *rm;
	plc_block_t *b;

	if (!m)
		return RME_ERR_INVALID_ARGUMENT;
	rm = rm_of(m, rm_cap);
	if (!rm)
		return RME_ERR_INVALID_ARGUMENT;
	b = plc_used_at(&rm->map, addr);
	/* core ignores an address without a region; base-linux wants the exact start */
	if (!b || (model_is_linux(m) && b->addr != addr))
		return RME_OK;
	/* cannot fail: freeing the block gives the node that the merge takes (plc_free) */
	region_unlink(m, b);
	plc_free_block(&rm->map, b);
	plc_trim(&rm->map);
	return RME_OK;
}
