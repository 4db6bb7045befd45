/*
 * replay_libc.c: the libc-level operations of a trace (mmap, munmap,
 * mprotect, mremap, madvise, msync), run through rmemu's mmap layer on the
 * model's Genode primitives.
 */
#include <stdio.h>
#include <string.h>

#include <rmemu/mmap.h>
#include <rmemu/prims_model.h>

#include "replay_libc.h"

struct replay_libc {
	rme_prims_model_t prims;   /* the layer's Genode primitives, on the model */
	rme_mmap_t *mm;
	const rme_allocator_t *alloc;
};

rme_err_t
replay_libc_create(rme_model_t *model, const rme_trace_directives_t *d,
                   const rme_allocator_t *alloc, struct replay_libc **out,
                   uint64_t *area_rm, char *msg, size_t msglen)
{
	struct replay_libc *libc;
	rme_mmap_config_t cfg;
	rme_mmap_setup_error_t why;
	rme_mmap_stats_t stats;
	rme_err_t err;

	*out = NULL;
	if (!alloc)
		alloc = rme_allocator_default();
	libc = alloc->alloc(alloc->ctx, sizeof(*libc));
	if (!libc)
		return RME_ERR_HOST_NO_MEMORY;
	memset(libc, 0, sizeof(*libc));
	libc->alloc = alloc;
	rme_prims_model_init(&libc->prims, model, alloc);

	rme_mmap_config_init(&cfg);
	cfg.area_base = d->mmap_area_base;
	cfg.area_size = d->mmap_area_size;
	if (d->has_policy)
		cfg.policy = d->policy;
	if (d->has_map_count_max)
		cfg.map_count_max = d->map_count_max;
	err = rme_mmap_create(&libc->prims.prims, &cfg, &libc->mm, &why);
	if (err != RME_OK) {
		snprintf(msg, msglen, "mmap-area: %s", why.message);
		alloc->free(alloc->ctx, libc, sizeof(*libc));
		return err == RME_ERR_HOST_NO_MEMORY ? err
		     : err == RME_ERR_UNSUPPORTED ? err : RME_ERR_INVALID_ARGUMENT;
	}
	rme_mmap_stats(libc->mm, &stats);
	*area_rm = stats.area_rm;
	*out = libc;
	return RME_OK;
}

void
replay_libc_destroy(struct replay_libc *libc)
{
	if (!libc)
		return;
	rme_mmap_destroy(libc->mm);
	libc->alloc->free(libc->alloc->ctx, libc, sizeof(*libc));
}

static int
prot_of(unsigned rights)
{
	return ((rights & RME_TRACE_RIGHT_R) ? RME_PROT_READ : 0) |
	       ((rights & RME_TRACE_RIGHT_W) ? RME_PROT_WRITE : 0) |
	       ((rights & RME_TRACE_RIGHT_X) ? RME_PROT_EXEC : 0);
}

static int
flags_of(unsigned f)
{
	static const struct { unsigned trace; int map; } table[] = {
		{ RME_TRACE_MAP_PRIVATE, RME_MAP_PRIVATE },
		{ RME_TRACE_MAP_SHARED, RME_MAP_SHARED },
		{ RME_TRACE_MAP_ANON, RME_MAP_ANONYMOUS },
		{ RME_TRACE_MAP_FIXED, RME_MAP_FIXED },
		{ RME_TRACE_MAP_NOREPLACE, RME_MAP_FIXED_NOREPLACE },
		{ RME_TRACE_MAP_NORESERVE, RME_MAP_NORESERVE },
		{ RME_TRACE_MAP_POPULATE, RME_MAP_POPULATE },
		{ RME_TRACE_MAP_STACK, RME_MAP_STACK },
		{ RME_TRACE_MAP_GROWSDOWN, RME_MAP_GROWSDOWN },
	};
	int map = 0;

	for (size_t i = 0; i < sizeof(table) / sizeof(*table); i++)
		if (f & table[i].trace)
			map |= table[i].map;
	return map;
}

static int
advice_of(rme_trace_advice_t a)
{
	switch (a) {
	case RME_TRACE_ADVICE_DONTNEED: return RME_MADV_DONTNEED;
	case RME_TRACE_ADVICE_FREE: return RME_MADV_FREE;
	case RME_TRACE_ADVICE_WILLNEED: return RME_MADV_WILLNEED;
	case RME_TRACE_ADVICE_NORMAL: break;
	}
	return RME_MADV_NORMAL;
}

/* An address result, or errno ENAME. */
static void
set_result(rme_trace_result_t *res, int rc, uint64_t value)
{
	memset(res, 0, sizeof(*res));
	if (rc == 0) {
		res->kind = RME_TRACE_RESULT_VALUE;
		res->value = value;
		return;
	}
	res->kind = RME_TRACE_RESULT_ERRNO;
	/* every name rme_errno_name gives fits; "EIO" guards against one that would not */
	if (rme_trace_result_set_errno(res, rme_errno_name(rc)) != RME_OK &&
	    rme_trace_result_set_errno(res, "EIO") != RME_OK)
		res->kind = RME_TRACE_RESULT_NONE;
}

rme_err_t
replay_libc_execute(struct replay_libc *libc, const rme_trace_op_t *op, uint64_t *slots,
                    rme_trace_result_t *res, char *msg, size_t msglen)
{
	uint64_t out = 0;
	int rc;

	(void)msg;
	(void)msglen;
	switch (op->kind) {
	case RME_TRACE_OP_MMAP:
		rc = rme_mmap(libc->mm, rme_trace_addr_eval(&op->u.mmap.addr, slots), op->u.mmap.len,
		              prot_of(op->u.mmap.prot), flags_of(op->u.mmap.flags),
		              op->u.mmap.has_fd ? op->u.mmap.fd : -1, op->u.mmap.off, &out);
		break;
	case RME_TRACE_OP_MREMAP: {
		int flags = (op->u.mremap.maymove ? RME_MREMAP_MAYMOVE : 0) |
		            (op->u.mremap.has_fixed ? RME_MREMAP_FIXED : 0);
		uint64_t fixed = op->u.mremap.has_fixed ? rme_trace_addr_eval(&op->u.mremap.fixed, slots) : 0;

		rc = rme_mremap(libc->mm, rme_trace_addr_eval(&op->u.mremap.addr, slots),
		                op->u.mremap.old_len, op->u.mremap.new_len, flags, fixed, &out);
		break;
	}
	case RME_TRACE_OP_MUNMAP:
		rc = rme_munmap(libc->mm, rme_trace_addr_eval(&op->u.range.addr, slots), op->u.range.len);
		break;
	case RME_TRACE_OP_MPROTECT:
		rc = rme_mprotect(libc->mm, rme_trace_addr_eval(&op->u.range.addr, slots),
		                  op->u.range.len, prot_of(op->u.range.prot));
		break;
	case RME_TRACE_OP_MADVISE:
		rc = rme_madvise(libc->mm, rme_trace_addr_eval(&op->u.range.addr, slots),
		                 op->u.range.len, advice_of(op->u.range.advice));
		break;
	case RME_TRACE_OP_MSYNC:
		/* the format keeps no msync flags; MS_SYNC is what programs pass */
		rc = rme_msync(libc->mm, rme_trace_addr_eval(&op->u.range.addr, slots),
		               op->u.range.len, RME_MS_SYNC);
		break;
	default:
		return RME_ERR_INVALID_ARGUMENT;
	}
	set_result(res, rc, out);
	if (op->bind_slot >= 0)
		slots[op->bind_slot] = rc == 0 ? out : 0;
	return RME_OK;
}

struct rme_mmap *
replay_libc_instance(const struct replay_libc *libc)
{
	return libc->mm;
}

uint64_t
replay_libc_mappings(const struct replay_libc *libc)
{
	return rme_mmap_count(libc->mm);
}

int
replay_libc_leak_free(const struct replay_libc *libc, char *msg, size_t msglen)
{
	rme_mmap_stats_t s;

	rme_mmap_stats(libc->mm, &s);
	if (s.pieces == 0 && s.chunks == 0)
		return 1;
	snprintf(msg, msglen, "%llu mappings of 0x%llx bytes and %llu RAM chunks are still held",
	         (unsigned long long)s.vmas, (unsigned long long)s.mapped_bytes,
	         (unsigned long long)s.chunks);
	return 0;
}

int
replay_libc_check(const struct replay_libc *libc, char *msg, size_t msglen)
{
	return rme_mmap_check(libc->mm, msg, msglen) == RME_OK;
}
