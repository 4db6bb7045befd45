/*
 * model.c: the Genode core model as a whole: its configuration, creating
 * it with the regions Genode's layout puts into every component, tearing
 * it down and destroying it; the model's objects by capability; and RAM
 * and ROM dataspaces with their content.
 *
 * The model's other concepts have files of their own, behind
 * model_internal.h: quota.c (the PD's quota and the RM session),
 * region_map.c (region maps, attach and detach per kernel), fault.c
 * (accesses and faults) and inspect.c (info, digest, stats and the
 * invariant checker).
 *
 * Each public function first checks its arguments and gets every piece of
 * host memory it might need, and only then changes anything, so a failure
 * leaves the model as it was.
 */
#include <stdatomic.h>
#include <string.h>

#include "costs.h"
#include "model_internal.h"
#include "util.h"

/* Each model's capabilities carry their own badge (see captable.h). */
static atomic_uint next_badge = 1;

/* ---- Objects ---------------------------------------------------------------- */

struct ds *
ds_of(const rme_model_t *m, rme_cap_t cap)
{
	return cap_lookup(&m->caps, cap, CAP_DS);
}

struct rm *
rm_of(const rme_model_t *m, rme_cap_t cap)
{
	return cap_lookup(&m->caps, cap, CAP_RM);
}

void *
host_alloc(rme_model_t *m, size_t size)
{
	void *p = m->alloc->alloc(m->alloc->ctx, size);

	if (p)
		memset(p, 0, size);
	return p;
}

void
host_free(rme_model_t *m, void *p, size_t size)
{
	m->alloc->free(m->alloc->ctx, p, size);
}

/* ---- Model ------------------------------------------------------------------ */

void
rme_model_config_init(rme_model_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ram_quota = RME_DEFAULT_RAM_QUOTA;
	cfg->cap_quota = RME_DEFAULT_CAP_QUOTA;
	cfg->kernel = RME_KERNEL_HW;
	cfg->arch = RME_ARCH_X86_64;
	cfg->genode_release = RME_GENODE_DEFAULT;
	cfg->layout_regions = 1;
}

/*
 * Attach what Genode puts into a dynamically linked component before it
 * runs: the stack area and the linker area (managed dataspaces of region
 * maps of their own) and ld.lib.so. The parent and core pay for them, so
 * they cost the PD no quota.
 */
static rme_err_t
attach_layout_regions(rme_model_t *m)
{
	const struct {
		uint64_t base, size;
		bool exec;
	} areas[] = {
		{ LAYOUT_STACK_AREA_BASE, LAYOUT_STACK_AREA_SIZE, false },
		{ LAYOUT_LINKER_AREA_BASE, layout_linker_area_size(m->cfg.genode_release), true },
	};
	unsigned nareas = model_is_linux(m) ? 1 : 2;   /* base-linux reserves only the stack area */
	struct ds *ldso, *binary;
	rme_err_t err;

	for (unsigned i = 0; i < nareas; i++) {
		struct rm *area;
		rme_attr_t attr = { .use_at = 1, .at = areas[i].base, .writeable = 1,
		                    .executable = areas[i].exec };

		if ((err = rm_new(m, 0, areas[i].size, &area)) != RME_OK)
			return err;
		area->internal = true;
		area->ds.internal = true;
		if ((err = rme_attach(m, m->env->cap, area->ds.cap, &attr, NULL)) != RME_OK)
			return err;
	}
	if (model_is_linux(m)) {
		/* on base-linux the binary itself is mapped at its link address */
		rme_attr_t text = { .use_at = 1, .at = LAYOUT_LINKER_AREA_BASE, .executable = 1 };
		if ((err = ds_new(m, DS_ROM, LAYOUT_LINUX_BINARY_SIZE, &binary)) != RME_OK)
			return err;
		binary->internal = true;
		return rme_attach(m, m->env->cap, binary->cap, &text, NULL);
	}
	if ((err = ds_new(m, DS_ROM, LAYOUT_LDSO_SIZE, &ldso)) != RME_OK)
		return err;
	ldso->internal = true;
	rme_attr_t text = { .use_at = 1, .at = LAYOUT_LDSO_BASE, .executable = 1 };
	return rme_attach(m, m->env->cap, ldso->cap, &text, NULL);
}

rme_err_t
rme_model_create(const rme_model_config_t *cfg, rme_model_t **out)
{
	rme_model_config_t defaults;
	const rme_allocator_t *alloc;
	rme_model_t *m;
	rme_err_t err;

	if (!out)
		return RME_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if (!cfg) {
		rme_model_config_init(&defaults);
		cfg = &defaults;
	}
	alloc = cfg->allocator ? cfg->allocator : rme_allocator_default();
	m = alloc->alloc(alloc->ctx, sizeof(*m));
	if (!m)
		return RME_ERR_HOST_NO_MEMORY;
	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->alloc = alloc;
	m->cfg.allocator = alloc;
	if (!m->cfg.genode_release)
		m->cfg.genode_release = RME_GENODE_DEFAULT;
	if (m->cfg.genode_release < RME_GENODE_OLDEST || m->cfg.genode_release > RME_GENODE_NEWEST ||
	    layout_get(cfg->kernel, cfg->arch, &m->layout) != 0) {
		alloc->free(alloc->ctx, m, sizeof(*m));
		return RME_ERR_INVALID_ARGUMENT;
	}
	m->quota.ram_quota = cfg->ram_quota;
	m->quota.cap_quota = cfg->cap_quota;
	ds_slab_init(m);
	cap_init(&m->caps, alloc, (uint16_t)atomic_fetch_add(&next_badge, 1));
	if (cfg->memcheck_blocks)
		mc_init(&m->memcheck);

	err = rm_new(m, m->layout.vm_start, m->layout.vm_end - m->layout.vm_start, &m->env);
	if (err == RME_OK) {
		m->env->is_env = true;
		m->env->internal = true;
		if (cfg->layout_regions)
			err = attach_layout_regions(m);
	}
	if (err != RME_OK) {
		rme_model_destroy(m);
		return err;
	}
	*out = m;
	return RME_OK;
}

void
rme_model_destroy(rme_model_t *m)
{
	const rme_allocator_t *alloc;

	if (!m)
		return;
	while (m->rms)
		rm_delete(m, m->rms, true);
	while (m->dss)
		ds_delete(m, m->dss, true);
	ds_slab_fini(m);
	mc_fini(&m->memcheck);   /* the blocks of lost dataspaces stay behind: leaks */
	cap_fini(&m->caps);
	alloc = m->alloc;
	alloc->free(alloc->ctx, m, sizeof(*m));
}

void
rme_model_teardown(rme_model_t *m)
{
	struct rm *rm, *next_rm;
	struct ds *ds, *next_ds;

	if (!m)
		return;
	/*
	 * Detach first, so that no region is left reserved; a detach takes no
	 * host memory (the block it frees feeds the merge). The layout maps keep
	 * their own regions.
	 */
	for (rm = m->rms; rm; rm = rm->next) {
		plc_block_t *b = plc_first(&rm->map);
		while (b) {
			plc_block_t *next = plc_next(b);
			if (b->used && !layout_region(b)) {
				uint64_t addr = b->addr;
				region_unlink(m, b);
				plc_free(&rm->map, addr);
				/* the free block now covering addr is followed by the next one */
				next = plc_next(plc_block_at(&rm->map, addr));
			}
			b = next;
		}
		plc_trim(&rm->map);
	}
	for (rm = m->rms; rm; rm = next_rm) {
		next_rm = rm->next;
		if (!rm->internal) {
			rm_uncharge(m);
			rm_delete(m, rm, true);
		}
	}
	session_close(m);
	for (ds = m->dss; ds; ds = next_ds) {
		next_ds = ds->next;
		if (ds->internal)
			continue;
		if (ds->kind == DS_RAM)
			quota_refund(m, ds->size, COST_RAM_ALLOC_CAPS);
		ds_delete(m, ds, true);
	}
	/* the PD's slab of dataspace metadata goes with its session */
	ds_slab_close(m);
}

/* ---- Dataspaces ------------------------------------------------------------- */

rme_err_t
ds_new(rme_model_t *m, ds_kind_t kind, uint64_t size, struct ds **out)
{
	struct ds *ds;
	rme_err_t err = cap_reserve(&m->caps);

	if (err != RME_OK)
		return err;
	ds = host_alloc(m, sizeof(*ds));
	if (!ds)
		return RME_ERR_HOST_NO_MEMORY;
	ds->kind = kind;
	ds->size = size;
	ds->src_align_log2 = log2_floor(size);
	ds->writeable = (kind == DS_RAM);
	ps_init(&ds->pages);
	ds->cap = cap_new(&m->caps, CAP_DS, ds);
	ds->next = m->dss;
	if (m->dss)
		m->dss->prev = ds;
	m->dss = ds;
	*out = ds;
	return RME_OK;
}

/*
 * tearing_down: the model reclaims the dataspace (teardown, destruction).
 * Under Valgrind, a RAM dataspace's block goes with it unless the leak
 * verdict found it lost: then memcheck is to report it.
 */
void
ds_delete(rme_model_t *m, struct ds *ds, bool tearing_down)
{
	if (tearing_down && ds->kind == DS_RAM && !ds->lost)
		mc_free(ds->mc_token);
	release_regions_of(m, ds, tearing_down);
	ps_fini(&ds->pages, m->alloc);
	if (ds->prev)
		ds->prev->next = ds->next;
	else
		m->dss = ds->next;
	if (ds->next)
		ds->next->prev = ds->prev;
	cap_drop(&m->caps, ds->cap);
	host_free(m, ds, sizeof(*ds));
}

rme_err_t
rme_ram_alloc(rme_model_t *m, uint64_t size, rme_cap_t *out)
{
	uint64_t rounded;
	struct ds *ds;
	rme_err_t err;

	if (!m || !out)
		return RME_ERR_INVALID_ARGUMENT;
	*out = 0;
	if (size == 0)
		return RME_ERR_DENIED;
	/* The quota must cover the rounded size plus a page of headroom for core's slab. */
	if (!page_round_up(size, &rounded) || ram_avail(m) < rounded ||
	    ram_avail(m) - rounded < COST_RAM_ALLOC_HEADROOM)
		return RME_ERR_OUT_OF_RAM;
	if (caps_avail(m) < COST_RAM_ALLOC_CAPS)
		return RME_ERR_OUT_OF_CAPS;
	/*
	 * Core has reserved the dataspace's RAM and capability when its slab
	 * of dataspace metadata must grow; the headroom covers the block's
	 * page, but nothing its capability. If that is missing, the allocation
	 * fails and Genode 26.02 keeps the reservation (Pd_session_component::
	 * alloc_ram commits it before Ram_dataspace_factory::alloc_ram fails):
	 * the PD has lost that much quota until it closes.
	 */
	if (ds_slab_grows(m) && (ram_avail(m) - rounded < COST_DS_SLAB_RAM ||
	                         caps_avail(m) - COST_RAM_ALLOC_CAPS < COST_DS_SLAB_CAPS)) {
		bool no_ram = ram_avail(m) - rounded < COST_DS_SLAB_RAM;
		ds_slab_lose(m, rounded, COST_RAM_ALLOC_CAPS);
		return no_ram ? RME_ERR_OUT_OF_RAM : RME_ERR_OUT_OF_CAPS;
	}

	if ((err = ds_slab_reserve(m)) != RME_OK)
		return err;
	err = ds_new(m, DS_RAM, rounded, &ds);
	if (err != RME_OK)
		return err;
	(void)quota_charge(m, rounded, COST_RAM_ALLOC_CAPS);
	ds->slab_block = ds_slab_alloc(m);
	ds->mc_token = mc_alloc(&m->memcheck, rounded);
	ds->alloc_site = m->site;
	*out = ds->cap;
	return RME_OK;
}

rme_err_t
rme_ram_free(rme_model_t *m, rme_cap_t cap)
{
	struct ds *ds;

	if (!m)
		return RME_ERR_INVALID_ARGUMENT;
	ds = ds_of(m, cap);
	/* Core ignores a dataspace that is not RAM of this PD. */
	if (!ds || ds->kind != DS_RAM)
		return RME_OK;
	quota_refund(m, ds->size, COST_RAM_ALLOC_CAPS);
	mc_free(ds->mc_token);
	ds_slab_free(m, ds->slab_block);
	ds_delete(m, ds, false);
	return RME_OK;
}

rme_err_t
rme_rom_create(rme_model_t *m, const void *data, uint64_t size, rme_cap_t *out)
{
	uint64_t rounded;
	struct ds *ds;
	rme_err_t err;

	if (!m || !out)
		return RME_ERR_INVALID_ARGUMENT;
	*out = 0;
	if (size == 0)
		return RME_ERR_DENIED;
	if (!page_round_up(size, &rounded))
		return RME_ERR_INVALID_ARGUMENT;
	err = ds_new(m, DS_ROM, rounded, &ds);
	if (err != RME_OK)
		return err;
	if (data) {
		/* Store only the pages that are not all zeros. */
		const uint8_t *bytes = data;
		for (uint64_t off = 0; off < size; off += RME_PAGE_SIZE) {
			uint64_t n = size - off < RME_PAGE_SIZE ? size - off : RME_PAGE_SIZE;
			uint64_t i = 0;
			while (i < n && bytes[off + i] == 0)
				i++;
			if (i < n && (err = ps_write(&ds->pages, m->alloc, off, bytes + off, n)) != RME_OK) {
				ds_delete(m, ds, false);
				return err;
			}
		}
	}
	*out = ds->cap;
	return RME_OK;
}

rme_err_t
rme_rom_free(rme_model_t *m, rme_cap_t cap)
{
	struct ds *ds;

	if (!m)
		return RME_ERR_INVALID_ARGUMENT;
	ds = ds_of(m, cap);
	if (!ds || ds->kind != DS_ROM)
		return RME_ERR_INVALID_DATASPACE;
	ds_delete(m, ds, false);
	return RME_OK;
}

uint64_t
rme_ds_size(const rme_model_t *m, rme_cap_t cap)
{
	struct ds *ds = m ? ds_of(m, cap) : NULL;
	return ds ? ds->size : 0;
}

static rme_err_t
ds_range_check(const struct ds *ds, uint64_t offset, uint64_t len)
{
	if (!ds || ds->kind == DS_MANAGED)
		return RME_ERR_INVALID_DATASPACE;
	if (offset > ds->size || len > ds->size - offset)
		return RME_ERR_INVALID_ARGUMENT;
	return RME_OK;
}

rme_err_t
rme_ds_read(const rme_model_t *m, rme_cap_t cap, uint64_t offset, void *buf, uint64_t len)
{
	struct ds *ds;
	rme_err_t err;

	if (!m || (!buf && len))
		return RME_ERR_INVALID_ARGUMENT;
	ds = ds_of(m, cap);
	if ((err = ds_range_check(ds, offset, len)) != RME_OK)
		return err;
	ps_read(&ds->pages, offset, buf, len);
	return RME_OK;
}

rme_err_t
rme_ds_write(rme_model_t *m, rme_cap_t cap, uint64_t offset, const void *buf, uint64_t len)
{
	struct ds *ds;
	rme_err_t err;

	if (!m || (!buf && len))
		return RME_ERR_INVALID_ARGUMENT;
	ds = ds_of(m, cap);
	if ((err = ds_range_check(ds, offset, len)) != RME_OK)
		return err;
	if (!ds->writeable)
		return RME_ERR_DENIED;
	return ps_write(&ds->pages, m->alloc, offset, buf, len);
}

/* ---- The leak verdict ------------------------------------------------------- */

void
rme_model_set_site(rme_model_t *m, uint32_t site)
{
	if (m)
		m->site = site;
}

void
rme_model_leak_verdict(rme_model_t *m, const rme_cap_t *held, size_t nheld,
                       void (*fn)(void *ctx, const rme_lost_ds_t *lost), void *ctx,
                       rme_leak_verdict_t *out)
{
	rme_leak_verdict_t v = { 0, 0, 0, 0 };

	if (m) {
		for (size_t i = 0; i < nheld; i++) {
			struct ds *ds = ds_of(m, held[i]);
			if (ds && ds->kind == DS_RAM)
				ds->held = true;
		}
		struct ds *oldest = m->dss;

		while (oldest && oldest->next)
			oldest = oldest->next;
		/* oldest first, so that the lost ones come in the order they were allocated */
		for (struct ds *ds = oldest; ds; ds = ds->prev) {
			if (ds->kind != DS_RAM || ds->internal)
				continue;
			if (ds->regions || ds->held) {
				v.left++;
				v.left_ram += ds->size;
			} else {
				rme_lost_ds_t lost = { ds->cap, ds->size, ds->alloc_site, ds->detach_site };

				ds->lost = true;
				v.lost++;
				v.lost_ram += ds->size;
				if (fn)
					fn(ctx, &lost);
			}
			ds->held = false;
		}
	}
	if (out)
		*out = v;
}
