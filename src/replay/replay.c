/*
 * replay.c: replays a parsed trace against a fresh model: sets the model
 * (and the mmap layer) up as the directives say, runs every operation
 * through the executor (rmemu/executor.h) on the model's Genode-level
 * operations, judges the checks, compares each actual result with what
 * the trace expects, judges what the trace left and lost, and tears
 * down.
 */
#include <stdio.h>
#include <string.h>

#include <rmemu/executor.h>
#include <rmemu/mmap.h>
#include <rmemu/prims_model.h>
#include <rmemu/replay.h>

#include "replay_mmap.h"

struct replay {
	rme_trace_t *trace;
	const rme_replay_options_t *opt;
	rme_model_t *model;
	struct replay_mmap *mm;         /* the mmap layer, if the trace uses one */
	uint64_t *slots;                /* each slot's value: a capability or an address */
	size_t nslots;
	rme_executor_genode_t genode;   /* the model's Genode-level operations */
	rme_executor_t exec;
	rme_quota_t start_quota;        /* in use when the first operation ran */
	rme_model_stats_t start_stats;
	rme_replay_report_t *report;
	rme_replay_diag_fn diag;
	void *diag_ctx;
	size_t lost_said;               /* lost dataspaces reported so far */
};

static void
say(struct replay *r, size_t line, const char *msg)
{
	if (r->diag)
		r->diag(r->diag_ctx, line, msg);
}

/* Everything the trace took since it started is back. */
static int
leak_free(struct replay *r, const rme_quota_t *q0, const rme_model_stats_t *s0,
          char *msg, size_t msglen)
{
	rme_quota_t q;
	rme_model_stats_t s;
	uint64_t cached_ram, cached_caps;

	rme_quota(r->model, &q);
	rme_model_stats(r->model, &s);
	/*
	 * Slab blocks that env's (or a layout map's) metadata grew by stay
	 * cached in core after the trace detached everything: core's, not a
	 * leak of the trace, and a trace cannot destroy env to get them back.
	 * Likewise, what the PD donated to the RM session stays there until
	 * the session closes, and no trace operation closes it, and so do the
	 * blocks of core's slab of dataspace metadata (at most two when every
	 * dataspace is freed).
	 */
	cached_ram = s.layout_md_ram - s0->layout_md_ram + s.rm_session_ram - s0->rm_session_ram +
	             s.ds_md_ram - s0->ds_md_ram;
	cached_caps = s.layout_md_caps - s0->layout_md_caps + s.rm_session_caps - s0->rm_session_caps +
	              s.ds_md_caps - s0->ds_md_caps;
	if (q.ram_used - cached_ram != q0->ram_used || q.cap_used - cached_caps != q0->cap_used) {
		long long caps = (long long)(q.cap_used - cached_caps - q0->cap_used);
		snprintf(msg, msglen, "%lld bytes of RAM and %lld %s still in use",
		         (long long)(q.ram_used - cached_ram - q0->ram_used), caps,
		         caps == 1 ? "capability is" : "capabilities are");
		return 0;
	}
	if (s.dataspaces != s0->dataspaces || s.region_maps != s0->region_maps ||
	    s.regions != s0->regions) {
		snprintf(msg, msglen, "%lld dataspaces, %lld region maps and %lld regions are left",
		         (long long)(s.dataspaces - s0->dataspaces),
		         (long long)(s.region_maps - s0->region_maps),
		         (long long)(s.regions - s0->regions));
		return 0;
	}
	if (r->mm && !replay_mmap_leak_free(r->mm, msg, msglen))
		return 0;
	return 1;
}

static int
expect_quota_holds(const struct replay *r, const rme_trace_quota_t *e, char *msg, size_t msglen)
{
	rme_quota_t q;
	uint64_t ram, caps;

	rme_quota(r->model, &q);
	ram = q.ram_used - r->start_quota.ram_used;
	caps = q.cap_used - r->start_quota.cap_used;
	if ((e->has_ram && (e->ram_at_most ? ram > e->ram : ram != e->ram)) ||
	    (e->has_caps && (e->caps_at_most ? caps > e->caps : caps != e->caps))) {
		snprintf(msg, msglen, "expected quota ram%s0x%llx caps%s%llu, got ram=0x%llx caps=%llu",
		         e->ram_at_most ? "<=" : "=", (unsigned long long)e->ram,
		         e->caps_at_most ? "<=" : "=", (unsigned long long)e->caps,
		         (unsigned long long)ram, (unsigned long long)caps);
		return 0;
	}
	return 1;
}

/* A check (expect-...): whether it holds, else 0 with a message in msg. */
static int
check_holds(struct replay *r, const rme_trace_op_t *op, char *msg, size_t msglen)
{
	uint64_t n;

	switch (op->kind) {
	case RME_TRACE_OP_EXPECT_QUOTA:
		return expect_quota_holds(r, &op->u.expect_quota, msg, msglen);
	case RME_TRACE_OP_EXPECT_LEAK_FREE:
		return leak_free(r, &r->start_quota, &r->start_stats, msg, msglen);
	default:
		n = r->mm ? replay_mmap_mappings(r->mm) : 0;
		if (n == op->u.count)
			return 1;
		snprintf(msg, msglen, "expected %llu mappings, got %llu",
		         (unsigned long long)op->u.count, (unsigned long long)n);
		return 0;
	}
}

/*
 * Execute one operation. Returns RME_OK, or UNSUPPORTED / HOST_NO_MEMORY
 * when the replay cannot go on; a check that fails sets *check_failed with
 * a message in msg.
 */
static rme_err_t
execute(struct replay *r, const rme_trace_op_t *op, rme_trace_result_t *res,
        int *check_failed, char *msg, size_t msglen)
{
	rme_executor_status_t status;
	rme_err_t err = rme_executor_run(&r->exec, op, res, &status, msg, msglen);

	if (err == RME_OK && status == RME_EXECUTOR_CHECK)
		*check_failed = !check_holds(r, op, msg, msglen);
	return err;
}

void
rme_replay_model_config(const rme_trace_t *trace, int unlimited_quota, rme_model_config_t *cfg)
{
	const rme_trace_directives_t *d = rme_trace_directives(trace);

	rme_model_config_init(cfg);
	if (d->has_genode)
		cfg->genode_release = d->genode_release;
	if (d->has_kernel)
		cfg->kernel = d->kernel;
	if (d->has_arch)
		cfg->arch = d->arch;
	if (d->has_ram_quota)
		cfg->ram_quota = d->ram_quota;
	if (d->has_cap_quota)
		cfg->cap_quota = d->cap_quota;
	if (unlimited_quota) {
		cfg->ram_quota = UINT64_MAX / 2;
		cfg->cap_quota = UINT64_MAX / 2;
	}
}

/* Set up the model (and the mmap layer) as the trace's directives say. */
static rme_err_t
set_up(struct replay *r, char *msg, size_t msglen)
{
	const rme_trace_directives_t *d = rme_trace_directives(r->trace);
	rme_model_config_t cfg;
	rme_err_t err;

	rme_replay_model_config(r->trace, r->opt->unlimited_quota, &cfg);
	cfg.allocator = r->opt->allocator;
	cfg.memcheck_blocks = r->opt->memcheck_blocks;
	err = rme_model_create(&cfg, &r->model);
	if (err == RME_ERR_INVALID_ARGUMENT) {
		snprintf(msg, msglen, "the model cannot be set up for Genode %u.%02u, kernel %s, arch %s",
		         cfg.genode_release / 100, cfg.genode_release % 100,
		         rme_kernel_name(cfg.kernel), rme_arch_name(cfg.arch));
		return err;
	}
	if (err != RME_OK)
		return err;
	r->slots[RME_TRACE_SLOT_ENV] = rme_env(r->model);
	if (d->has_mmap_area) {
		err = replay_mmap_create(r->model, d, r->opt->policy, r->opt->allocator, &r->mm,
		                         &r->slots[RME_TRACE_SLOT_MMAP_AREA], msg, msglen);
		if (err != RME_OK)
			return err;
	} else if (d->has_policy || d->has_map_count_max || r->opt->policy) {
		snprintf(msg, msglen, "%s needs an mmap-area directive",
		         d->has_policy || r->opt->policy ? "policy" : "map-count-max");
		return RME_ERR_INVALID_ARGUMENT;
	}
	rme_executor_genode_model(&r->genode, r->model);
	rme_executor_init(&r->exec, r->trace, r->slots, &r->genode,
	                  r->mm ? replay_mmap_instance(r->mm) : NULL);
	return RME_OK;
}

/* The lost dataspaces said one by one; the rest are counted in the report. */
enum { LOST_SAID_MAX = 10 };

/* A lost dataspace, said at the line that allocated it. */
static void
say_lost(void *ctx, const rme_lost_ds_t *lost)
{
	struct replay *r = ctx;
	char msg[256], where[64];

	if (r->lost_said++ == LOST_SAID_MAX)
		say(r, 0, "leak: more RAM dataspaces are lost (the summary counts them)");
	if (r->lost_said > LOST_SAID_MAX)
		return;

	if (lost->detach_site)
		snprintf(where, sizeof(where), "its last region was detached at line %lu",
		         (unsigned long)lost->detach_site);
	else
		snprintf(where, sizeof(where), "it was never attached");
	snprintf(msg, sizeof(msg), "leak: the RAM dataspace of 0x%llx bytes allocated here is lost: "
	         "no name, region or mapping refers to it any more (%s)",
	         (unsigned long long)lost->size, where);
	say(r, lost->alloc_site, msg);
}

static int
count_ram(void *ctx, rme_prim_cap_t ds, uint64_t size)
{
	(void)ds;
	(void)size;
	++*(size_t *)ctx;
	return 0;
}

static int
hold_ram(void *ctx, rme_prim_cap_t ds, uint64_t size)
{
	rme_cap_t **next = ctx;

	(void)size;
	*(*next)++ = ds;
	return 0;
}

/*
 * The leak verdict before any teardown: what the trace still holds (its
 * dataspace names, the mmap layer's RAM) and what the model sees attached
 * is left; every other RAM dataspace is lost, a leak.
 */
static rme_err_t
judge_leaks(struct replay *r, const rme_allocator_t *alloc)
{
	rme_cap_t *held, *next;
	size_t n = r->nslots;

	/* counted first: the policy knows best what it holds */
	if (r->mm)
		(void)rme_mmap_foreach_ram(replay_mmap_instance(r->mm), count_ram, &n);
	held = alloc->alloc(alloc->ctx, (n ? n : 1) * sizeof(*held));
	if (!held)
		return RME_ERR_HOST_NO_MEMORY;
	next = held;
	for (size_t i = 0; i < r->nslots; i++)
		if (rme_trace_slot_kind(r->trace, (int)i) == RME_TRACE_SLOT_DATASPACE)
			*next++ = r->slots[i];
	if (r->mm)
		(void)rme_mmap_foreach_ram(replay_mmap_instance(r->mm), hold_ram, &next);
	rme_model_leak_verdict(r->model, held, (size_t)(next - held), say_lost, r,
	                       &r->report->leaks);
	alloc->free(alloc->ctx, held, (n ? n : 1) * sizeof(*held));
	return RME_OK;
}

static void
tear_down(struct replay *r)
{
	static const rme_quota_t zero_quota;
	static const rme_model_stats_t zero_stats;
	rme_replay_report_t *rep = r->report;

	/* the mmap layer first: it gives back its area, which the model then no longer holds */
	if (r->mm) {
		replay_mmap_destroy(r->mm);
		r->mm = NULL;
		r->exec.mmap = NULL;
	}
	rme_model_teardown(r->model);
	rep->torn_down = 1;
	rep->leak_free = leak_free(r, &zero_quota, &zero_stats, rep->leak_msg, sizeof(rep->leak_msg));
}

/*
 * After operation i ran: its result against the one expected (or the
 * check's verdict), the observer, the invariant checker, each divergence
 * said. Whether it diverged.
 */
static int
judge(struct replay *r, size_t i, const rme_trace_op_t *op, const rme_trace_result_t *actual,
      int check_failed, char *msg, size_t msglen)
{
	int diverged = 0;

	if (check_failed) {
		diverged = 1;
		say(r, op->line, msg);
	} else if (!rme_trace_result_matches(&op->expected, actual)) {
		char want[128], got[128];

		diverged = 1;
		rme_trace_result_format(r->trace, op->kind, &op->expected, want, sizeof(want));
		rme_trace_result_format(r->trace, op->kind, actual, got, sizeof(got));
		if (op->expected.kind == RME_TRACE_RESULT_VALUE && op->expected.relative)
			snprintf(msg, msglen, "expected %s (0x%llx), got %s", want,
			         (unsigned long long)rme_trace_result_value(&op->expected, r->slots), got);
		else
			snprintf(msg, msglen, "expected %s, got %s", want, got);
		say(r, op->line, msg);
	}
	if (r->opt->observe) {
		rme_replay_step_t step = {
			.trace = r->trace, .op = op, .actual = actual, .slots = r->slots,
			.model = r->model, .mmap = r->mm ? replay_mmap_instance(r->mm) : NULL,
			.index = i, .start_quota = &r->start_quota,
		};
		msg[0] = 0;
		if (r->opt->observe(r->opt->observe_ctx, &step, msg, msglen)) {
			say(r, op->line, msg);
			diverged = 1;
		}
	}
	if (r->opt->check) {
		char why[256];
		if (rme_model_check(r->model, why, sizeof(why)) != RME_OK ||
		    (r->mm && !replay_mmap_check(r->mm, why, sizeof(why)))) {
			snprintf(msg, msglen, "invariant violated: %s", why);
			say(r, op->line, msg);
			diverged = 1;
		}
	}
	return diverged;
}

/* Whether the caller leaves operation i out (rme_replay_options_t.skip). */
static int
left_out(struct replay *r, size_t i, const rme_trace_op_t *op)
{
	rme_replay_step_t step;

	if (!r->opt->skip)
		return 0;       /* the usual case: no step to make up for every operation */
	step = (rme_replay_step_t){
		.trace = r->trace, .op = op, .actual = NULL, .slots = r->slots,
		.model = r->model, .mmap = r->mm ? replay_mmap_instance(r->mm) : NULL,
		.index = i, .start_quota = &r->start_quota,
	};
	return r->opt->skip(r->opt->skip_ctx, &step);
}

/*
 * Run the operations in order, each executed and judged, until the end or
 * the first divergence (without keep_going). An error stops the replay.
 */
static rme_err_t
run(struct replay *r)
{
	rme_replay_report_t *report = r->report;
	size_t nops = rme_trace_op_count(r->trace);
	char msg[512];

	for (size_t i = 0; i < nops; i++) {
		const rme_trace_op_t *op = rme_trace_op(r->trace, i);
		rme_trace_result_t *actual = rme_trace_actual(r->trace, i);
		int check_failed = 0;
		rme_err_t err;

		if (left_out(r, i, op)) {
			memset(actual, 0, sizeof(*actual));
			report->skipped++;
			continue;
		}
		msg[0] = 0;
		rme_model_set_site(r->model, op->line > UINT32_MAX ? UINT32_MAX : (uint32_t)op->line);
		err = execute(r, op, actual, &check_failed, msg, sizeof(msg));
		if (err != RME_OK) {
			if (err == RME_ERR_UNSUPPORTED)
				say(r, op->line, msg);
			memset(actual, 0, sizeof(*actual));
			return err;
		}
		report->operations++;
		if (judge(r, i, op, actual, check_failed, msg, sizeof(msg))) {
			report->divergences++;
			if (!r->opt->keep_going) {
				report->stopped_at_line = op->line;
				break;
			}
		}
		if (r->opt->progress && ((i + 1) & 0x3ff) == 0)
			r->opt->progress(r->opt->progress_ctx, i + 1, nops);
	}
	return RME_OK;
}

rme_err_t
rme_replay(rme_trace_t *trace, const rme_replay_options_t *options,
           rme_replay_report_t *report, rme_replay_diag_fn diag, void *diag_ctx)
{
	static const rme_replay_options_t defaults;
	struct replay r;
	const rme_allocator_t *alloc;
	char msg[512];
	rme_err_t err;

	if (!trace || !report)
		return RME_ERR_INVALID_ARGUMENT;
	memset(report, 0, sizeof(*report));
	memset(&r, 0, sizeof(r));
	r.trace = trace;
	r.opt = options ? options : &defaults;
	r.report = report;
	r.diag = diag;
	r.diag_ctx = diag_ctx;
	alloc = r.opt->allocator ? r.opt->allocator : rme_allocator_default();

	r.nslots = rme_trace_slot_count(trace);
	r.slots = alloc->alloc(alloc->ctx, r.nslots * sizeof(*r.slots));
	if (!r.slots)
		return RME_ERR_HOST_NO_MEMORY;
	memset(r.slots, 0, r.nslots * sizeof(*r.slots));

	msg[0] = 0;
	err = set_up(&r, msg, sizeof(msg));
	if (err != RME_OK) {
		if (msg[0])
			say(&r, 0, msg);
		goto out;
	}
	rme_quota(r.model, &r.start_quota);
	rme_model_stats(r.model, &r.start_stats);
	if (r.opt->start) {
		rme_replay_step_t step = {
			.trace = trace, .slots = r.slots, .model = r.model,
			.mmap = r.mm ? replay_mmap_instance(r.mm) : NULL, .start_quota = &r.start_quota,
		};
		r.opt->start(r.opt->observe_ctx, &step);
	}
	err = run(&r);
	if (err != RME_OK)
		goto out;

	if (r.opt->finish) {
		rme_replay_step_t step = {
			.trace = trace, .slots = r.slots, .model = r.model,
			.mmap = r.mm ? replay_mmap_instance(r.mm) : NULL,
			.index = rme_trace_op_count(trace), .start_quota = &r.start_quota,
		};
		r.opt->finish(r.opt->observe_ctx, &step);
	}
	rme_quota(r.model, &report->quota);
	report->quota.ram_used -= r.start_quota.ram_used;
	report->quota.cap_used -= r.start_quota.cap_used;
	if ((err = judge_leaks(&r, alloc)) != RME_OK)
		goto out;
	if (r.opt->teardown)
		tear_down(&r);
out:
	if (r.mm)
		replay_mmap_destroy(r.mm);
	rme_model_destroy(r.model);
	alloc->free(alloc->ctx, r.slots, r.nslots * sizeof(*r.slots));
	return err;
}
