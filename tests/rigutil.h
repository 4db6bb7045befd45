/*
 * rigutil.h: a trace's model, mmap layer and executor set up as rme_replay
 * sets them up (the directives' model, the layer for an mmap-area), for
 * the suites that run a trace's operations one by one themselves
 * (check_executor, check_linux_diff).
 */
#ifndef RMEMU_RIGUTIL_H
#define RMEMU_RIGUTIL_H

#include <stdlib.h>
#include <string.h>

#include "testutil.h"

typedef struct tu_rig {
	rme_model_t *model;
	rme_prims_model_t prims;
	rme_mmap_t *mm;
	uint64_t *slots;
	rme_executor_genode_t genode;   /* the model's; a suite may replace functions */
	rme_executor_t x;
} tu_rig_t;

/* With unlimited_quota, quota never limits, as in replay --linux. */
static inline void
tu_rig_up(tu_rig_t *r, const rme_trace_t *t, int unlimited_quota)
{
	const rme_trace_directives_t *d = rme_trace_directives(t);
	rme_model_config_t cfg;

	memset(r, 0, sizeof(*r));
	rme_replay_model_config(t, unlimited_quota, &cfg);
	ck_assert_ok(rme_model_create(&cfg, &r->model));
	r->slots = calloc(rme_trace_slot_count(t), sizeof(*r->slots));
	ck_assert_ptr_nonnull(r->slots);
	r->slots[RME_TRACE_SLOT_ENV] = rme_env(r->model);
	if (d->has_mmap_area) {
		rme_mmap_config_t mc;
		rme_mmap_stats_t st;

		rme_prims_model_init(&r->prims, r->model, NULL);
		rme_executor_mmap_config(d, &mc);
		ck_assert_ok(rme_mmap_create(&r->prims.prims, &mc, &r->mm, NULL));
		rme_mmap_stats(r->mm, &st);
		r->slots[RME_TRACE_SLOT_MMAP_AREA] = st.area_rm;
	}
	rme_executor_genode_model(&r->genode, r->model);
	rme_executor_init(&r->x, t, r->slots, &r->genode, r->mm);
}

static inline void
tu_rig_down(tu_rig_t *r)
{
	rme_mmap_destroy(r->mm);
	rme_model_destroy(r->model);
	free(r->slots);
}

#endif
