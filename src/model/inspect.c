/*
 * inspect.c: looking at the model from outside: region-map info and
 * regions, a digest of the whole state (two models are in the same state
 * exactly when their digests are equal), the statistics a replay's leak
 * check uses, and the invariant checker.
 */
#include <stdio.h>
#include <string.h>

#include <rmemu/view.h>

#include "costs.h"
#include "model_internal.h"

rme_err_t
rme_rm_info(const rme_model_t *m, rme_cap_t cap, rme_rm_info_t *out)
{
	struct rm *rm = m ? rm_of(m, cap) : NULL;

	if (!rm || !out)
		return RME_ERR_INVALID_ARGUMENT;
	memset(out, 0, sizeof(*out));
	out->base = rm->base;
	out->size = rm->size;
	out->regions = rm->map.used_blocks;
	out->md_blocks = rm->map.blocks;
	out->slab_blocks = rm->map.slab_blocks;
	out->faulters = rm->nfaulters;
	return RME_OK;
}

rme_err_t
rme_rm_regions(const rme_model_t *m, rme_cap_t cap,
               int (*fn)(void *ctx, const rme_region_info_t *r), void *ctx)
{
	/* all of them: the range form walks the map (view.c) */
	return rme_rm_regions_in(m, cap, 0, UINT64_MAX, fn, ctx);
}

/* ---- Digest ----------------------------------------------------------------- */

static void
mix(uint64_t *h, uint64_t v)
{
	*h ^= v + 0x9e3779b97f4a7c15ULL + (*h << 6) + (*h >> 2);
}

static void
digest_tree(uint64_t *h, const plc_block_t *b)
{
	if (!b) {
		mix(h, 0x5a5a);
		return;
	}
	mix(h, b->addr);
	mix(h, b->size);
	mix(h, b->max_avail);
	mix(h, ((uint64_t)b->depth << 1) | b->used);
	if (b->used) {
		mix(h, b->region.ds ? b->region.ds->cap : 0);
		mix(h, b->region.offset);
		mix(h, ((uint64_t)b->write << 1) | b->exec);
	}
	digest_tree(h, b->child[0]);
	digest_tree(h, b->child[1]);
}

uint64_t
rme_model_digest(const rme_model_t *m)
{
	uint64_t h = 0;

	if (!m)
		return 0;
	mix(&h, m->quota.ram_used);
	mix(&h, m->quota.cap_used);
	mix(&h, m->rm_session.open);
	mix(&h, m->rm_session.donated_ram);
	mix(&h, m->rm_session.donated_caps);
	mix(&h, m->rm_session.avail_ram);
	mix(&h, m->rm_session.avail_caps);
	for (const struct rm *rm = m->rms; rm; rm = rm->next) {
		mix(&h, rm->cap);
		mix(&h, rm->ds.cap);
		mix(&h, rm->base);
		mix(&h, rm->size);
		mix(&h, ((uint64_t)rm->has_handler << 1) | rm->internal);
		mix(&h, rm->map.slab_blocks);
		mix(&h, rm->map.slab_entries_avail);
		mix(&h, rm->map.blocks);
		for (uint64_t i = 0; i < rm->nfaulters; i++) {
			mix(&h, rm->faulters[i].type);
			mix(&h, rm->faulters[i].addr);
			mix(&h, rm->faulters[i].origin);
			mix(&h, rm->faulters[i].byte);
		}
		digest_tree(&h, rm->map.root.child[0]);
	}
	for (const struct ds *ds = m->dss; ds; ds = ds->next) {
		mix(&h, ds->cap);
		mix(&h, ds->kind);
		mix(&h, ds->size);
		mix(&h, ps_digest(&ds->pages));
	}
	return h;
}

/* ---- Statistics ------------------------------------------------------------- */

void
rme_model_stats(const rme_model_t *m, rme_model_stats_t *out)
{
	memset(out, 0, sizeof(*out));
	if (!m)
		return;
	for (const struct rm *rm = m->rms; rm; rm = rm->next) {
		if (!rm->internal)
			out->region_maps++;
		if (rm->internal && rm->map.slab_blocks > 1 && slab_charged(m)) {
			out->layout_md_ram += (rm->map.slab_blocks - 1) * (uint64_t)COST_MD_SLAB_RAM;
			out->layout_md_caps += (rm->map.slab_blocks - 1) * (uint64_t)COST_MD_SLAB_CAPS;
		}
		for (const plc_block_t *b = plc_first(&rm->map); b; b = plc_next(b))
			if (b->used && !layout_region(b))
				out->regions++;
	}
	out->rm_session_ram = m->rm_session.donated_ram;
	out->rm_session_caps = m->rm_session.donated_caps;
	ds_slab_stats(m, &out->ds_md_ram, &out->ds_md_caps);
	for (const struct ds *ds = m->dss; ds; ds = ds->next) {
		if (!ds->internal)
			out->dataspaces++;
		out->content_pages += ps_pages(&ds->pages);
	}
}

/* ---- The invariant checker -------------------------------------------------- */

static rme_err_t
check_fail(char *msg, size_t msglen, const char *what)
{
	if (msg && msglen)
		snprintf(msg, msglen, "%s", what);
	return RME_ERR_INVALID_ARGUMENT;
}

rme_err_t
rme_model_check(const rme_model_t *m, char *msg, size_t msglen)
{
	char buf[256];
	uint64_t ram = 0, caps = 0, session_ram = 0, session_caps = 0;

	if (!m)
		return RME_ERR_INVALID_ARGUMENT;
	for (const struct rm *rm = m->rms; rm; rm = rm->next) {
		uint64_t covered = 0;

		if (plc_check(&rm->map, buf, sizeof(buf), NULL) != 0)
			return check_fail(msg, msglen, buf);
		if (rm_of(m, rm->cap) != rm || ds_of(m, rm->ds.cap) != &rm->ds)
			return check_fail(msg, msglen, "a region map's capability does not name it");
		for (const plc_block_t *b = plc_first(&rm->map); b; b = plc_next(b)) {
			/* only used blocks have a region (free ones live in smaller nodes) */
			const struct ds *ds = b->used ? b->region.ds : NULL;

			if (b->addr < rm->base || b->addr - rm->base + b->size > rm->size)
				return check_fail(msg, msglen, "a block lies outside its region map");
			covered += b->size;
			if (!b->used || !ds)
				continue;
			/* base-linux maps whole pages of a dataspace whose size it keeps unrounded */
			if (b->region.offset + b->size > ds->size &&
			    !(model_is_linux(m) && b->region.offset + b->size - ds->size < RME_PAGE_SIZE))
				return check_fail(msg, msglen, "a region reaches beyond its dataspace");
			/* the region must be on its dataspace's list */
			const plc_block_t *r = ds->regions;
			while (r && r != b)
				r = r->region.ds_next;
			if (!r)
				return check_fail(msg, msglen, "a region is missing from its dataspace's list");
		}
		if (covered != rm->size)
			return check_fail(msg, msglen, "the blocks do not tile the region map");
		if (!rm->internal && model_is_linux(m)) {
			ram += COST_LINUX_RM_CREATE_RAM;
			caps += COST_LINUX_RM_CREATE_CAPS;
		} else if (!rm->internal) {
			session_ram += COST_RM_CREATE_RAM;
			session_caps += COST_RM_CREATE_CAPS;
		}
		if (rm->map.slab_blocks > 1 && slab_charged(m)) {
			uint64_t *r = rm->internal ? &ram : &session_ram, *c = rm->internal ? &caps : &session_caps;
			*r += (rm->map.slab_blocks - 1) * (uint64_t)COST_MD_SLAB_RAM;
			*c += (rm->map.slab_blocks - 1) * (uint64_t)COST_MD_SLAB_CAPS;
		}
		for (const plc_block_t *b = rm->ds.regions; b; b = b->region.ds_next)
			if (b->region.ds != &rm->ds)
				return check_fail(msg, msglen, "a dataspace lists a region of another");
	}
	for (const struct ds *ds = m->dss; ds; ds = ds->next) {
		if (ds_of(m, ds->cap) != ds)
			return check_fail(msg, msglen, "a dataspace's capability does not name it");
		for (const plc_block_t *b = ds->regions; b; b = b->region.ds_next)
			if (b->region.ds != ds || !b->used)
				return check_fail(msg, msglen, "a dataspace lists a region of another");
		if (ds->kind == DS_RAM) {
			ram += ds->size;
			caps += COST_RAM_ALLOC_CAPS;
		}
	}
	ram += m->rm_session.donated_ram;
	caps += m->rm_session.donated_caps;
	{
		const char *why;
		uint64_t md_ram, md_caps;

		if (!ds_slab_check(m, &why))
			return check_fail(msg, msglen, why);
		ds_slab_stats(m, &md_ram, &md_caps);
		ram += md_ram + m->ds_slab.lost_ram;
		caps += md_caps + m->ds_slab.lost_caps;
	}
	/* core's use of the session: its own share, the maps and their slabs, and what is left */
	if (!model_is_linux(m) && m->rm_session.open &&
	    (COST_RM_SESSION_OWN_RAM + session_ram + m->rm_session.avail_ram != m->rm_session.donated_ram ||
	     COST_RM_SESSION_OWN_CAPS + session_caps + m->rm_session.avail_caps != m->rm_session.donated_caps))
		return check_fail(msg, msglen, "the RM session's quota does not add up");
	if (!m->rm_session.open && (session_ram || session_caps || m->rm_session.donated_ram))
		return check_fail(msg, msglen, "region maps exist without an RM session");
	if (ram != m->quota.ram_used || caps != m->quota.cap_used) {
		snprintf(buf, sizeof(buf),
		         "quota in use is %llu bytes, %llu caps; the objects held add up to %llu, %llu",
		         (unsigned long long)m->quota.ram_used, (unsigned long long)m->quota.cap_used,
		         (unsigned long long)ram, (unsigned long long)caps);
		return check_fail(msg, msglen, buf);
	}
	return RME_OK;
}
