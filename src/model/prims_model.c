/*
 * prims_model.c: the Genode primitives of rmemu/genode_prims.h on rmemu's
 * model (rmemu/prims_model.h), through the model's public API only.
 * Capabilities pass through unchanged; RME_PRIM_LOCAL_RM becomes the
 * model's address space, env.
 */
#include <string.h>

#include <rmemu/prims_model.h>

static rme_prims_model_t *
pm_of(void *ctx)
{
	return ctx;
}

static rme_cap_t
rm_cap(rme_prims_model_t *pm, rme_prim_cap_t rm)
{
	return rm == RME_PRIM_LOCAL_RM ? rme_env(pm->model) : rm;
}

static rme_err_t
pm_ram_alloc(void *ctx, uint64_t size, rme_prim_cap_t *ds)
{
	return rme_ram_alloc(pm_of(ctx)->model, size, ds);
}

static void
pm_ram_free(void *ctx, rme_prim_cap_t ds)
{
	(void)rme_ram_free(pm_of(ctx)->model, ds);
}

/*
 * Zero a range of a dataspace. The model stores only pages that were
 * written and reads absent ones as zeros, so a page that reads as zeros
 * already is left alone and only the others are overwritten: writing over
 * a stored page needs no memory, so this cannot fail half-way.
 */
static rme_err_t
pm_ds_zero(void *ctx, rme_prim_cap_t ds, uint64_t offset, uint64_t len)
{
	static const uint8_t zeros[RME_PAGE_SIZE];
	rme_model_t *m = pm_of(ctx)->model;
	uint8_t page[RME_PAGE_SIZE];

	while (len) {
		uint64_t n = RME_PAGE_SIZE - offset % RME_PAGE_SIZE;
		rme_err_t err;

		if (n > len)
			n = len;
		err = rme_ds_read(m, ds, offset, page, n);
		if (err == RME_OK && memcmp(page, zeros, n) != 0)
			err = rme_ds_write(m, ds, offset, zeros, n);
		if (err != RME_OK)
			return err;
		offset += n;
		len -= n;
	}
	return RME_OK;
}

static rme_err_t
pm_rm_create(void *ctx, uint64_t size, rme_prim_cap_t *rm)
{
	return rme_rm_create(pm_of(ctx)->model, size, rm);
}

static void
pm_rm_destroy(void *ctx, rme_prim_cap_t rm)
{
	(void)rme_rm_destroy(pm_of(ctx)->model, rm);
}

static rme_prim_cap_t
pm_rm_dataspace(void *ctx, rme_prim_cap_t rm)
{
	return rme_rm_dataspace(pm_of(ctx)->model, rm);
}

/* Region_map::attach on the model, for both interfaces; *at receives the start. */
static rme_err_t
model_attach(rme_model_t *m, rme_cap_t rm, rme_cap_t ds, const rme_prim_attr_t *attr,
             uint64_t *at)
{
	rme_attr_t a = {
		.size = attr->size,
		.offset = attr->offset,
		.use_at = attr->use_at,
		.at = attr->at,
		.executable = attr->executable,
		.writeable = attr->writeable,
	};
	rme_range_t range;
	rme_err_t err = rme_attach(m, rm, ds, &a, &range);

	*at = range.start;
	return err;
}

static rme_err_t
pm_attach(void *ctx, rme_prim_cap_t rm, rme_prim_cap_t ds, const rme_prim_attr_t *attr,
          uint64_t *at)
{
	rme_prims_model_t *pm = pm_of(ctx);

	return model_attach(pm->model, rm_cap(pm, rm), ds, attr, at);
}

static void
pm_detach(void *ctx, rme_prim_cap_t rm, uint64_t at)
{
	rme_prims_model_t *pm = pm_of(ctx);

	(void)rme_detach(pm->model, rm_cap(pm, rm), at);
}

static void *
pm_heap_alloc(void *ctx, size_t size)
{
	const rme_allocator_t *h = pm_of(ctx)->heap;

	return h->alloc(h->ctx, size);
}

static void
pm_heap_free(void *ctx, void *ptr, size_t size)
{
	const rme_allocator_t *h = pm_of(ctx)->heap;

	h->free(h->ctx, ptr, size);
}

/* A model is single-threaded: there is nothing to serialise. */
static void
pm_lock(void *ctx)
{
	(void)ctx;
}

void
rme_prims_model_init(rme_prims_model_t *pm, rme_model_t *model, const rme_allocator_t *heap)
{
	memset(pm, 0, sizeof(*pm));
	pm->model = model;
	pm->heap = heap ? heap : rme_allocator_default();
	pm->prims = (rme_genode_prims_t){
		.ctx = pm,
		.ram_alloc = pm_ram_alloc,
		.ram_free = pm_ram_free,
		.ds_zero = pm_ds_zero,
		.rm_create = pm_rm_create,
		.rm_destroy = pm_rm_destroy,
		.rm_dataspace = pm_rm_dataspace,
		.attach = pm_attach,
		.detach = pm_detach,
		.heap_alloc = pm_heap_alloc,
		.heap_free = pm_heap_free,
		.lock = pm_lock,
		.unlock = pm_lock,
	};
}

/* ---- The executor's Genode-level operations on the model -------------------- */

/*
 * Here ctx is the model itself, and capabilities are the trace's slot
 * values unchanged: 0 is an invalid capability (a failed allocation), not
 * env as it is for the primitives above.
 */

static rme_err_t
ex_ram_alloc(void *ctx, uint64_t size, rme_prim_cap_t *ds)
{
	return rme_ram_alloc(ctx, size, ds);
}

static rme_err_t
ex_ram_free(void *ctx, rme_prim_cap_t ds)
{
	return rme_ram_free(ctx, ds);
}

static rme_err_t
ex_rom(void *ctx, uint64_t size, rme_prim_cap_t *ds)
{
	return rme_rom_create(ctx, NULL, size, ds);
}

static rme_err_t
ex_rm_create(void *ctx, uint64_t size, rme_prim_cap_t *rm)
{
	return rme_rm_create(ctx, size, rm);
}

static rme_err_t
ex_rm_destroy(void *ctx, rme_prim_cap_t rm)
{
	return rme_rm_destroy(ctx, rm);
}

static rme_prim_cap_t
ex_rm_dataspace(void *ctx, rme_prim_cap_t rm)
{
	return rme_rm_dataspace(ctx, rm);
}

static rme_err_t
ex_attach(void *ctx, rme_prim_cap_t rm, rme_prim_cap_t ds, const rme_prim_attr_t *attr,
          uint64_t *at)
{
	return model_attach(ctx, rm, ds, attr, at);
}

static rme_err_t
ex_detach(void *ctx, rme_prim_cap_t rm, uint64_t at)
{
	return rme_detach(ctx, rm, at);
}

static rme_err_t
ex_fault_handler(void *ctx, rme_prim_cap_t rm)
{
	return rme_fault_handler(ctx, rm);
}

static rme_err_t
ex_fault(void *ctx, rme_prim_cap_t rm, rme_fault_t *out)
{
	return rme_rm_fault(ctx, rm, out);
}

/* The model completes every access at once: *status stays DONE. */
static rme_err_t
ex_access(void *ctx, rme_fault_type_t type, uint64_t addr, uint8_t byte, rme_access_t *out,
          rme_executor_status_t *status)
{
	(void)status;
	switch (type) {
	case RME_FAULT_WRITE:
		return rme_write(ctx, addr, byte, out);
	case RME_FAULT_EXEC:
		return rme_exec(ctx, addr, out);
	default:
		return rme_read(ctx, addr, out);
	}
}

void
rme_executor_genode_model(rme_executor_genode_t *g, rme_model_t *model)
{
	*g = (rme_executor_genode_t){
		.ctx = model,
		.ram_alloc = ex_ram_alloc,
		.ram_free = ex_ram_free,
		.rom = ex_rom,
		.rm_create = ex_rm_create,
		.rm_destroy = ex_rm_destroy,
		.rm_dataspace = ex_rm_dataspace,
		.attach = ex_attach,
		.detach = ex_detach,
		.fault_handler = ex_fault_handler,
		.fault = ex_fault,
		.access = ex_access,
	};
}
