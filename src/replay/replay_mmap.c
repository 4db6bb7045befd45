/*
 * replay_mmap.c: the mmap layer of a replay on the model, on the model's
 * Genode primitives (rmemu/prims_model.h), and the checks a replay asks
 * of it (replay_mmap.h).
 */
#include <stdio.h>
#include <string.h>

#include <rmemu/executor.h>
#include <rmemu/mmap.h>
#include <rmemu/prims_model.h>

#include "replay_mmap.h"

struct replay_mmap {
	rme_prims_model_t prims;   /* the layer's Genode primitives, on the model */
	rme_mmap_t *mm;
	const rme_allocator_t *alloc;
};

rme_err_t
replay_mmap_create(rme_model_t *model, const rme_trace_directives_t *d, const char *policy,
                   const rme_allocator_t *alloc, struct replay_mmap **out,
                   uint64_t *area_rm, char *msg, size_t msglen)
{
	struct replay_mmap *rm;
	rme_mmap_config_t cfg;
	rme_mmap_setup_error_t why;
	rme_mmap_stats_t stats;
	rme_err_t err;

	*out = NULL;
	if (!alloc)
		alloc = rme_allocator_default();
	rm = alloc->alloc(alloc->ctx, sizeof(*rm));
	if (!rm)
		return RME_ERR_HOST_NO_MEMORY;
	memset(rm, 0, sizeof(*rm));
	rm->alloc = alloc;
	rme_prims_model_init(&rm->prims, model, alloc);

	rme_executor_mmap_config(d, &cfg);
	if (policy)
		cfg.policy = policy;
	err = rme_mmap_create(&rm->prims.prims, &cfg, &rm->mm, &why);
	if (err != RME_OK) {
		snprintf(msg, msglen, "mmap-area: %s", why.message);
		alloc->free(alloc->ctx, rm, sizeof(*rm));
		return err == RME_ERR_HOST_NO_MEMORY ? err
		     : err == RME_ERR_UNSUPPORTED ? err : RME_ERR_INVALID_ARGUMENT;
	}
	rme_mmap_stats(rm->mm, &stats);
	*area_rm = stats.area_rm;
	*out = rm;
	return RME_OK;
}

void
replay_mmap_destroy(struct replay_mmap *rm)
{
	if (!rm)
		return;
	rme_mmap_destroy(rm->mm);
	rm->alloc->free(rm->alloc->ctx, rm, sizeof(*rm));
}

struct rme_mmap *
replay_mmap_instance(const struct replay_mmap *rm)
{
	return rm->mm;
}

uint64_t
replay_mmap_mappings(const struct replay_mmap *rm)
{
	return rme_mmap_count(rm->mm);
}

int
replay_mmap_leak_free(const struct replay_mmap *rm, char *msg, size_t msglen)
{
	rme_mmap_stats_t s;

	rme_mmap_stats(rm->mm, &s);
	if (s.pieces == 0 && s.chunks == 0)
		return 1;
	snprintf(msg, msglen, "%llu mappings of 0x%llx bytes and %llu RAM chunks are still held",
	         (unsigned long long)s.vmas, (unsigned long long)s.mapped_bytes,
	         (unsigned long long)s.chunks);
	return 0;
}

int
replay_mmap_check(const struct replay_mmap *rm, char *msg, size_t msglen)
{
	return rme_mmap_check(rm->mm, msg, msglen) == RME_OK;
}
