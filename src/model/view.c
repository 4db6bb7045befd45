/*
 * view.c: what drawing the model needs (rmemu/view.h): what a dataspace
 * is, the regions in part of a region map, and its queued faulters. Kept
 * apart from inspect.c so that looking never grows into the model's core.
 */
#include <string.h>

#include <rmemu/view.h>

#include "model_internal.h"

/* The layout's dataspaces are told apart by where Genode attaches them. */
static const char *
layout_name(const struct ds *ds)
{
	const plc_block_t *b = ds->regions;

	if (!ds->internal || !b)
		return NULL;
	switch (b->addr) {
	case LAYOUT_STACK_AREA_BASE: return "stack area";
	case LAYOUT_LINKER_AREA_BASE: return ds->kind == DS_MANAGED ? "linker area" : "binary";
	case LAYOUT_LDSO_BASE: return "ld.lib.so";
	default: return "layout";
	}
}

rme_err_t
rme_ds_info(const rme_model_t *m, rme_cap_t cap, rme_ds_info_t *out)
{
	const struct ds *ds = m ? ds_of(m, cap) : NULL;

	if (!ds || !out)
		return RME_ERR_INVALID_ARGUMENT;
	memset(out, 0, sizeof(*out));
	out->kind = ds->kind == DS_RAM ? RME_DS_RAM : ds->kind == DS_ROM ? RME_DS_ROM : RME_DS_MANAGED;
	out->size = ds->size;
	out->rm = ds->kind == DS_MANAGED ? ds->rm->cap : 0;
	out->layout_name = layout_name(ds);
	return RME_OK;
}

rme_err_t
rme_rm_regions_in(const rme_model_t *m, rme_cap_t cap, rme_addr_t lo, rme_addr_t hi,
                  int (*fn)(void *ctx, const rme_region_info_t *r), void *ctx)
{
	struct rm *rm = m ? rm_of(m, cap) : NULL;
	plc_block_t *b;

	if (!rm || !fn)
		return RME_ERR_INVALID_ARGUMENT;
	/* free and used blocks tile the map's range: start at the one holding lo */
	b = lo <= rm->base ? plc_first(&rm->map) : plc_block_at(&rm->map, lo);
	for (; b && b->addr < hi; b = plc_next(b)) {
		rme_region_info_t r;

		if (!b->used || b->addr + b->size <= lo)
			continue;
		memset(&r, 0, sizeof(r));
		r.base = b->addr;
		r.size = b->size;
		r.offset = b->region.offset;
		r.ds = b->region.ds ? b->region.ds->cap : 0;
		r.writeable = b->write;
		r.executable = b->exec;
		r.reserved = b->region.ds == NULL;
		if (fn(ctx, &r))
			break;
	}
	return RME_OK;
}

rme_err_t
rme_rm_faulters(const rme_model_t *m, rme_cap_t cap,
                int (*fn)(void *ctx, const rme_fault_t *f), void *ctx)
{
	struct rm *rm = m ? rm_of(m, cap) : NULL;

	if (!rm || !fn)
		return RME_ERR_INVALID_ARGUMENT;
	for (uint64_t i = 0; i < rm->nfaulters; i++) {
		rme_fault_t f = { rm->faulters[i].type, rm->faulters[i].addr };
		if (fn(ctx, &f))
			break;
	}
	return RME_OK;
}

void
rme_rm_session_donation(const rme_model_t *m, uint64_t *ram, uint64_t *caps)
{
	*ram = m ? m->rm_session.donated_ram : 0;
	*caps = m ? m->rm_session.donated_caps : 0;
}
