/*
 * model.c: the Genode core model: the PD's quota, RAM and ROM dataspaces,
 * region maps with core's attach and detach rules, and accesses that walk
 * nested region maps and fault the way core reflects faults.
 *
 * Each public function first checks its arguments and gets every piece of
 * host memory it might need, and only then changes anything, so a failure
 * leaves the model as it was.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "costs.h"
#include "model_internal.h"
#include "util.h"

/* Core follows at most this many region maps, the address space included. */
enum { RECURSION_LIMIT = 5 };

/* base-linux's Region_registry holds at most this many regions per map. */
enum { LINUX_MAX_REGIONS = 4096 };

/* Each model's capabilities carry their own badge (see captable.h). */
static atomic_uint next_badge = 1;

static const rme_attr_t default_attr;  /* Region_map::Attr{}: whole dataspace, read-only */

/* ---- Quota ------------------------------------------------------------------ */

static uint64_t
ram_avail(const rme_model_t *m)
{
	return m->quota.ram_quota - m->quota.ram_used;
}

static uint64_t
caps_avail(const rme_model_t *m)
{
	return m->quota.cap_quota - m->quota.cap_used;
}

/* Take ram bytes and caps capabilities from the PD, or neither. */
static rme_err_t
quota_charge(rme_model_t *m, uint64_t ram, uint64_t caps)
{
	if (ram_avail(m) < ram)
		return RME_ERR_OUT_OF_RAM;
	if (caps_avail(m) < caps)
		return RME_ERR_OUT_OF_CAPS;
	m->quota.ram_used += ram;
	m->quota.cap_used += caps;
	return RME_OK;
}

static void
quota_refund(rme_model_t *m, uint64_t ram, uint64_t caps)
{
	m->quota.ram_used -= ram;
	m->quota.cap_used -= caps;
}

static uint64_t
donations(uint64_t short_by, uint64_t step)
{
	return (short_by + step - 1) / step * step;
}

/*
 * Take ram bytes and caps capabilities from the RM session (core kernels),
 * opening it first if need be. Core allocates region maps and their
 * metadata from the session's quota; when that is short, the client
 * donates COST_RM_SESSION_UPGRADE_* steps of its PD's quota until it is
 * not (Rm_connection::create does so, and so does rmemu_replay for
 * attaches). The PD sees only the donations. All or nothing: when the PD
 * cannot fund every donation needed, nothing is donated. (A real client
 * would have donated the steps its PD could fund before it failed.)
 */
static rme_err_t
session_take(rme_model_t *m, uint64_t ram, uint64_t caps)
{
	uint64_t have_ram = m->rm_session.avail_ram, have_caps = m->rm_session.avail_caps;
	uint64_t open_ram = 0, open_caps = 0, up_ram = 0, up_caps = 0;

	if (!m->rm_session.open) {
		open_ram = COST_RM_SESSION_RAM;
		open_caps = COST_RM_SESSION_CAPS;
		have_ram = COST_RM_SESSION_RAM - COST_RM_SESSION_OWN_RAM;
		have_caps = COST_RM_SESSION_CAPS - COST_RM_SESSION_OWN_CAPS;
	}
	if (have_ram < ram)
		up_ram = donations(ram - have_ram, COST_RM_SESSION_UPGRADE_RAM);
	if (have_caps < caps)
		up_caps = donations(caps - have_caps, COST_RM_SESSION_UPGRADE_CAPS);
	if (ram_avail(m) < open_ram + up_ram)
		return RME_ERR_OUT_OF_RAM;
	if (caps_avail(m) < open_caps + up_caps)
		return RME_ERR_OUT_OF_CAPS;
	(void)quota_charge(m, open_ram + up_ram, open_caps + up_caps);
	m->rm_session.open = true;
	m->rm_session.donated_ram += open_ram + up_ram;
	m->rm_session.donated_caps += open_caps + up_caps;
	m->rm_session.avail_ram = have_ram + up_ram - ram;
	m->rm_session.avail_caps = have_caps + up_caps - caps;
	return RME_OK;
}

/* Core freed ram bytes and caps of the RM session: they stay with the session. */
static void
session_give_back(rme_model_t *m, uint64_t ram, uint64_t caps)
{
	m->rm_session.avail_ram += ram;
	m->rm_session.avail_caps += caps;
}

/* Close the RM session: the PD gets back everything it donated. */
static void
session_close(rme_model_t *m)
{
	if (!m->rm_session.open)
		return;
	quota_refund(m, m->rm_session.donated_ram, m->rm_session.donated_caps);
	memset(&m->rm_session, 0, sizeof(m->rm_session));
}

/*
 * Region metadata lives in core's slab; on base-linux the region maps are
 * the process's own (Region_map_mmap) and their metadata costs core nothing.
 * Core takes the slab blocks of env and the layout's maps from the PD's
 * quota, those of the RM session's maps from the session's.
 */
static bool
slab_charged(const rme_model_t *m)
{
	return !model_is_linux(m);
}

static rme_err_t
slab_grow(void *ctx)
{
	struct rm *rm = ctx;

	if (!slab_charged(rm->model))
		return RME_OK;
	if (!rm->internal)
		return session_take(rm->model, COST_MD_SLAB_RAM, COST_MD_SLAB_CAPS);
	return quota_charge(rm->model, COST_MD_SLAB_RAM, COST_MD_SLAB_CAPS);
}

static void
slab_shrink(void *ctx)
{
	struct rm *rm = ctx;

	if (!slab_charged(rm->model))
		return;
	if (!rm->internal)
		session_give_back(rm->model, COST_MD_SLAB_RAM, COST_MD_SLAB_CAPS);
	else
		quota_refund(rm->model, COST_MD_SLAB_RAM, COST_MD_SLAB_CAPS);
}

/* A created region map is gone: what it cost goes back to the PD (base-linux) or the session. */
static void
rm_uncharge(rme_model_t *m)
{
	if (model_is_linux(m))
		quota_refund(m, COST_LINUX_RM_CREATE_RAM, COST_LINUX_RM_CREATE_CAPS);
	else
		session_give_back(m, COST_RM_CREATE_RAM, COST_RM_CREATE_CAPS);
}

void
rme_quota(const rme_model_t *m, rme_quota_t *out)
{
	*out = m->quota;
}

/* ---- Object helpers --------------------------------------------------------- */

static struct ds *
ds_of(const rme_model_t *m, rme_cap_t cap)
{
	return cap_lookup(&m->caps, cap, CAP_DS);
}

static struct rm *
rm_of(const rme_model_t *m, rme_cap_t cap)
{
	return cap_lookup(&m->caps, cap, CAP_RM);
}

static void *
host_alloc(rme_model_t *m, size_t size)
{
	void *p = m->alloc->alloc(m->alloc->ctx, size);

	if (p)
		memset(p, 0, size);
	return p;
}

static void
host_free(rme_model_t *m, void *p, size_t size)
{
	m->alloc->free(m->alloc->ctx, p, size);
}

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

static void
region_unlink(plc_block_t *b)
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
static void
release_regions_of(rme_model_t *m, struct ds *ds, bool tearing_down)
{
	while (ds->regions) {
		plc_block_t *b = ds->regions;
		struct rm *owner = rm_of_block(b);
		uint64_t addr = b->addr;

		region_unlink(b);
		if (detaches_implicitly(m) && !tearing_down) {
			plc_free(&owner->map, addr);
			plc_trim(&owner->map);
		}
	}
}

/* ---- Model ------------------------------------------------------------------ */

void
rme_model_config_init(rme_model_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ram_quota = (uint64_t)64 << 20;
	cfg->cap_quota = 1000;
	cfg->kernel = RME_KERNEL_HW;
	cfg->arch = RME_ARCH_X86_64;
	cfg->genode_release = RME_GENODE_DEFAULT;
	cfg->layout_regions = 1;
}

static rme_err_t rm_new(rme_model_t *m, uint64_t base, uint64_t size, struct rm **out);
static void rm_delete(rme_model_t *m, struct rm *rm, bool tearing_down);
static rme_err_t ds_new(rme_model_t *m, ds_kind_t kind, uint64_t size, struct ds **out);

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

static void
ds_delete(rme_model_t *m, struct ds *ds, bool tearing_down)
{
	release_regions_of(m, ds, tearing_down);
	ps_fini(&ds->pages);
	if (ds->prev)
		ds->prev->next = ds->next;
	else
		m->dss = ds->next;
	if (ds->next)
		ds->next->prev = ds->prev;
	cap_drop(&m->caps, ds->cap);
	host_free(m, ds, sizeof(*ds));
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
	mc_fini(&m->memcheck);   /* blocks nobody freed stay behind: leaks */
	cap_fini(&m->caps);
	alloc = m->alloc;
	alloc->free(alloc->ctx, m, sizeof(*m));
}

/* ---- Dataspaces ------------------------------------------------------------- */

static rme_err_t
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
	ps_init(&ds->pages, m->alloc);
	ds->cap = cap_new(&m->caps, CAP_DS, ds);
	ds->next = m->dss;
	if (m->dss)
		m->dss->prev = ds;
	m->dss = ds;
	*out = ds;
	return RME_OK;
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

	err = ds_new(m, DS_RAM, rounded, &ds);
	if (err != RME_OK)
		return err;
	(void)quota_charge(m, rounded, COST_RAM_ALLOC_CAPS);
	ds->mc_token = mc_alloc(&m->memcheck, rounded);
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
			if (i < n && (err = ps_write(&ds->pages, off, bytes + off, n)) != RME_OK) {
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
	return ps_write(&ds->pages, offset, buf, len);
}

/* ---- Region maps ------------------------------------------------------------ */

rme_cap_t
rme_env(const rme_model_t *m)
{
	return m ? m->env->cap : 0;
}

static rme_err_t
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

static void
rm_delete(rme_model_t *m, struct rm *rm, bool tearing_down)
{
	/* Where this map's dataspace is attached, the regions stay reserved. */
	release_regions_of(m, &rm->ds, tearing_down);
	for (plc_block_t *b = plc_first(&rm->map); b; b = plc_next(b))
		if (b->used)
			region_unlink(b);
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

static rme_err_t access(rme_model_t *m, rme_addr_t addr, rme_fault_type_t type, uint8_t wbyte,
                        rme_access_t *out);

/*
 * Wake every faulter whose address the new region [at, at+size) covers.
 * Core resumes their threads, which retry the access that faulted: a write
 * now stores its byte, and an access that still cannot complete (rights, a
 * nested map without a region there) faults again and queues anew, at the
 * end of the FIFO. A retry that finds no host memory leaves its faulter
 * queued where it was, as if its thread had not run yet.
 */
static void
wake_faulters(rme_model_t *m, struct rm *rm, uint64_t at, uint64_t size)
{
	/* the originals, in order; retries that fault here again go behind them */
	uint64_t n = rm->nfaulters, i = 0;

	for (uint64_t k = 0; k < n; k++) {
		struct faulter f = rm->faulters[i];
		rme_access_t out;

		if (f.addr < at || f.addr - at >= size) {
			i++;
			continue;
		}
		memmove(&rm->faulters[i], &rm->faulters[i + 1],
		        (rm->nfaulters - i - 1) * sizeof(*rm->faulters));
		rm->nfaulters--;
		if (access(m, f.origin, f.type, f.byte, &out) != RME_OK) {
			memmove(&rm->faulters[i + 1], &rm->faulters[i],
			        (rm->nfaulters - i) * sizeof(*rm->faulters));
			rm->faulters[i++] = f;
			rm->nfaulters++;
		}
	}
}

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
	region_unlink(b);
	plc_free_block(&rm->map, b);
	plc_trim(&rm->map);
	return RME_OK;
}

/* ---- Accesses and faults ---------------------------------------------------- */

/* Queue a blocked faulter at rm; fails only for lack of host memory. */
static rme_err_t
enqueue_faulter(rme_model_t *m, struct rm *rm, const struct faulter *faulter)
{
	if (rm->nfaulters == rm->faulters_cap) {
		uint64_t cap = rm->faulters_cap ? rm->faulters_cap * 2 : 4;
		struct faulter *f = host_alloc(m, cap * sizeof(*f));
		if (!f)
			return RME_ERR_HOST_NO_MEMORY;
		if (rm->faulters) {
			memcpy(f, rm->faulters, rm->nfaulters * sizeof(*f));
			host_free(m, rm->faulters, rm->faulters_cap * sizeof(*f));
		}
		rm->faulters = f;
		rm->faulters_cap = cap;
	}
	rm->faulters[rm->nfaulters++] = *faulter;
	return RME_OK;
}

/*
 * Reflect a fault to rm: queued if it has a handler, else unhandled. On
 * base-linux no handler is ever signalled: Linux delivers SIGSEGV.
 */
static rme_err_t
reflect(rme_model_t *m, struct rm *rm, const struct faulter *f, rme_access_t *out)
{
	out->rm = rm->cap;
	out->fault = (rme_fault_t){ f->type, f->addr };
	if (!rm->has_handler || model_is_linux(m)) {
		out->outcome = RME_ACCESS_UNHANDLED;
		return RME_OK;
	}
	out->outcome = RME_ACCESS_FAULT;
	return enqueue_faulter(m, rm, f);
}

/*
 * Resolve one access through the nested region maps as core's page-fault
 * handler does: since 23.08 the write right is the AND of every region's on
 * the path and the leaf dataspace's, the exec right the AND of every
 * region's. Before, only the leaf region's rights counted.
 */
static rme_err_t
access(rme_model_t *m, rme_addr_t addr, rme_fault_type_t type, uint8_t wbyte,
       rme_access_t *out)
{
	struct rm *rm = m->env;
	uint64_t a = addr;
	bool w = true, x = true;

	memset(out, 0, sizeof(*out));
	for (int level = 0;; level++) {
		plc_block_t *b;
		struct ds *ds;
		uint64_t off;

		if (level == RECURSION_LIMIT) {
			out->outcome = RME_ACCESS_TOO_DEEP;
			out->rm = rm->cap;
			out->fault = (rme_fault_t){ type, a };
			return RME_OK;
		}
		b = plc_used_at(&rm->map, a);
		if (!b || !b->region.ds)
			return reflect(m, rm, &(struct faulter){ type, a, addr, wbyte }, out);
		ds = b->region.ds;
		off = a - b->addr + b->region.offset;
		if (m->cfg.genode_release < 2308 && ds->kind != DS_MANAGED) {
			w = b->write;
			x = b->exec;
		} else {
			w = w && b->write;
			x = x && b->exec;
		}
		if (ds->kind == DS_MANAGED) {
			rm = ds->rm;
			a = off;
			continue;
		}
		if (type == RME_FAULT_WRITE && !(w && ds->writeable))
			return reflect(m, rm, &(struct faulter){ type, a, addr, wbyte }, out);
		if (type == RME_FAULT_EXEC && !x)
			return reflect(m, rm, &(struct faulter){ type, a, addr, wbyte }, out);

		out->outcome = RME_ACCESS_DONE;
		mc_touch(ds->mc_token, off);
		if (type == RME_FAULT_READ)
			ps_read(&ds->pages, off, &out->byte, 1);
		else if (type == RME_FAULT_WRITE)
			return ps_write(&ds->pages, off, &wbyte, 1);
		return RME_OK;
	}
}

rme_err_t
rme_read(rme_model_t *m, rme_addr_t addr, rme_access_t *out)
{
	if (!m || !out)
		return RME_ERR_INVALID_ARGUMENT;
	return access(m, addr, RME_FAULT_READ, 0, out);
}

rme_err_t
rme_write(rme_model_t *m, rme_addr_t addr, uint8_t byte, rme_access_t *out)
{
	if (!m || !out)
		return RME_ERR_INVALID_ARGUMENT;
	return access(m, addr, RME_FAULT_WRITE, byte, out);
}

rme_err_t
rme_exec(rme_model_t *m, rme_addr_t addr, rme_access_t *out)
{
	if (!m || !out)
		return RME_ERR_INVALID_ARGUMENT;
	return access(m, addr, RME_FAULT_EXEC, 0, out);
}

rme_err_t
rme_fault_handler(rme_model_t *m, rme_cap_t cap)
{
	struct rm *rm = m ? rm_of(m, cap) : NULL;

	if (!rm)
		return RME_ERR_INVALID_ARGUMENT;
	rm->has_handler = true;
	return RME_OK;
}

rme_err_t
rme_rm_fault(const rme_model_t *m, rme_cap_t cap, rme_fault_t *out)
{
	struct rm *rm = m ? rm_of(m, cap) : NULL;

	if (!rm || !out)
		return RME_ERR_INVALID_ARGUMENT;
	if (rm->nfaulters) {
		out->type = rm->faulters[0].type;
		out->addr = rm->faulters[0].addr;
	} else {
		*out = (rme_fault_t){ RME_FAULT_NONE, 0 };
	}
	return RME_OK;
}

/* ---- Inspection and checking ------------------------------------------------ */

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
	struct rm *rm = m ? rm_of(m, cap) : NULL;

	if (!rm || !fn)
		return RME_ERR_INVALID_ARGUMENT;
	for (plc_block_t *b = plc_first(&rm->map); b; b = plc_next(b)) {
		rme_region_info_t r;

		if (!b->used)
			continue;
		memset(&r, 0, sizeof(r));   /* callers may compare whole structs */
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

/* ---- Digest ------------------------------------------------------------------ */

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

/* A region the initial layout put there (a reserved one never is). */
static bool
layout_region(const plc_block_t *b)
{
	return b->region.ds && b->region.ds->internal;
}

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
	for (const struct ds *ds = m->dss; ds; ds = ds->next) {
		if (!ds->internal)
			out->dataspaces++;
		out->content_pages += ps_pages(&ds->pages);
	}
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
				region_unlink(b);
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
}

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
