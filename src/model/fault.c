/*
 * fault.c: accesses and faults: a read, write or exec walks the nested
 * region maps the way core's page-fault handler does, and where it cannot
 * complete the fault is reflected to the region map's handler (the
 * faulter waits in its FIFO) or is unhandled. An attach wakes the faulters
 * it resolves, which retry.
 */
#include <string.h>

#include "model_internal.h"

/* Core follows at most this many region maps, the address space included. */
enum { RECURSION_LIMIT = 5 };

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
			return ps_write(&ds->pages, m->alloc, off, &wbyte, 1);
		return RME_OK;
	}
}

/*
 * Wake every faulter whose address the new region [at, at+size) covers.
 * Core resumes their threads, which retry the access that faulted: a write
 * now stores its byte, and an access that still cannot complete (rights, a
 * nested map without a region there) faults again and queues anew, at the
 * end of the FIFO. A retry that finds no host memory leaves its faulter
 * queued where it was, as if its thread had not run yet.
 */
void
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
