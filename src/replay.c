/*
 * replay.c: executes a parsed trace against a fresh model, fills in every
 * operation's actual result and compares it with what the trace expects.
 */
#include <stdio.h>
#include <string.h>

#include <rmemu/replay.h>

#include "replay_libc.h"

struct replay {
	rme_trace_t *trace;
	const rme_replay_options_t *opt;
	rme_model_t *model;
	struct replay_libc *libc;       /* the mmap layer, if the trace uses one */
	uint64_t *slots;                /* each slot's value: a capability or an address */
	size_t nslots;
	rme_quota_t start_quota;        /* in use when the first operation ran */
	rme_model_stats_t start_stats;
	rme_replay_report_t *report;
	rme_replay_diag_fn diag;
	void *diag_ctx;
};

static void
say(struct replay *r, size_t line, const char *msg)
{
	if (r->diag)
		r->diag(r->diag_ctx, line, msg);
}

static uint64_t
addr_of(const struct replay *r, const rme_trace_addr_t *a)
{
	return rme_trace_addr_eval(a, r->slots);
}

/* The slot that names a region map, so that a fault can say where it went; -1 if none. */
static int
slot_of_rm(const struct replay *r, rme_cap_t rm)
{
	for (size_t i = 0; i < r->nslots; i++)
		if (r->slots[i] == rm &&
		    rme_trace_slot_kind(r->trace, (int)i) == RME_TRACE_SLOT_REGION_MAP)
			return (int)i;
	return -1;
}

static void
set_error(rme_trace_result_t *res, rme_err_t err)
{
	res->kind = RME_TRACE_RESULT_ERROR;
	res->error = err;
}

/* The result of an access: a byte or ok, or a fault where it was reflected. */
static void
access_result(const struct replay *r, const rme_access_t *a, rme_trace_op_kind_t op,
              rme_trace_result_t *res)
{
	int slot;

	switch (a->outcome) {
	case RME_ACCESS_DONE:
		if (op == RME_TRACE_OP_READ) {
			res->kind = RME_TRACE_RESULT_VALUE;
			res->value = a->byte;
		} else {
			res->kind = RME_TRACE_RESULT_OK;
		}
		return;
	case RME_ACCESS_FAULT:
	case RME_ACCESS_UNHANDLED:
	case RME_ACCESS_TOO_DEEP:
		/* core gives up on too deep a nesting without reflecting: unhandled */
		slot = slot_of_rm(r, a->rm);
		if (slot < 0) {
			/* a region map the trace has no name for (a layout area) */
			res->kind = a->outcome == RME_ACCESS_FAULT ? RME_TRACE_RESULT_FAULT_ANY
			                                           : RME_TRACE_RESULT_UNHANDLED_ANY;
			return;
		}
		res->kind = a->outcome == RME_ACCESS_FAULT ? RME_TRACE_RESULT_FAULT
		                                           : RME_TRACE_RESULT_UNHANDLED;
		res->rm_slot = slot;
		res->fault_type = a->fault.type;
		res->addr = a->fault.addr;
		return;
	}
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
	 * the session closes, and no trace operation closes it.
	 */
	cached_ram = s.layout_md_ram - s0->layout_md_ram + s.rm_session_ram - s0->rm_session_ram;
	cached_caps = s.layout_md_caps - s0->layout_md_caps + s.rm_session_caps - s0->rm_session_caps;
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
	if (r->libc && !replay_libc_leak_free(r->libc, msg, msglen))
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

/*
 * Execute one operation. Returns RME_OK, or UNSUPPORTED / HOST_NO_MEMORY
 * when the replay cannot go on; a check that fails sets *check_failed with
 * a message in msg.
 */
static rme_err_t
execute(struct replay *r, const rme_trace_op_t *op, rme_trace_result_t *res,
        int *check_failed, char *msg, size_t msglen)
{
	rme_model_t *m = r->model;
	uint64_t *bind = op->bind_slot >= 0 ? &r->slots[op->bind_slot] : NULL;
	rme_cap_t cap = 0;
	rme_access_t acc;
	rme_err_t err = RME_OK;

	memset(res, 0, sizeof(*res));
	res->kind = RME_TRACE_RESULT_OK;
	switch (op->kind) {
	case RME_TRACE_OP_RAM_ALLOC:
	case RME_TRACE_OP_ROM:
	case RME_TRACE_OP_RM_CREATE:
		if (op->kind == RME_TRACE_OP_RAM_ALLOC)
			err = rme_ram_alloc(m, op->u.size, &cap);
		else if (op->kind == RME_TRACE_OP_ROM)
			err = rme_rom_create(m, NULL, op->u.size, &cap);
		else
			err = rme_rm_create(m, op->u.size, &cap);
		if (err == RME_ERR_HOST_NO_MEMORY)
			return err;
		if (err != RME_OK)
			set_error(res, err);
		if (bind)
			*bind = cap;
		return RME_OK;
	case RME_TRACE_OP_RAM_FREE:
		/* like core, the model ignores what is not RAM of this PD (a ROM too) */
		err = rme_ram_free(m, r->slots[op->u.slot]);
		return err == RME_ERR_HOST_NO_MEMORY ? err : RME_OK;
	case RME_TRACE_OP_RM_DESTROY:
		err = rme_rm_destroy(m, r->slots[op->u.slot]);
		return err == RME_ERR_HOST_NO_MEMORY ? err : RME_OK;
	case RME_TRACE_OP_RM_DATASPACE:
		if (bind)
			*bind = rme_rm_dataspace(m, r->slots[op->u.slot]);
		return RME_OK;
	case RME_TRACE_OP_ATTACH: {
		rme_attr_t attr = {
			.size = op->u.attach.has_size ? op->u.attach.size : 0,
			.offset = op->u.attach.has_offset ? op->u.attach.offset : 0,
			.use_at = op->u.attach.has_at,
			.at = op->u.attach.has_at ? addr_of(r, &op->u.attach.at) : 0,
			.writeable = (op->u.attach.rights & RME_TRACE_RIGHT_W) != 0,
			.executable = (op->u.attach.rights & RME_TRACE_RIGHT_X) != 0,
		};
		rme_range_t range;

		err = rme_attach(m, r->slots[op->u.attach.rm], r->slots[op->u.attach.ds], &attr, &range);
		if (err == RME_ERR_HOST_NO_MEMORY)
			return err;
		if (err != RME_OK) {
			set_error(res, err);
		} else {
			res->kind = RME_TRACE_RESULT_VALUE;
			res->value = range.start;
		}
		if (bind)
			*bind = err == RME_OK ? range.start : 0;
		return RME_OK;
	}
	case RME_TRACE_OP_DETACH:
		err = rme_detach(m, r->slots[op->u.detach.rm], addr_of(r, &op->u.detach.addr));
		return err == RME_ERR_HOST_NO_MEMORY ? err : RME_OK;
	case RME_TRACE_OP_FAULT_HANDLER:
		(void)rme_fault_handler(m, r->slots[op->u.slot]);
		return RME_OK;
	case RME_TRACE_OP_FAULT: {
		rme_fault_t f = { RME_FAULT_NONE, 0 };

		(void)rme_rm_fault(m, r->slots[op->u.slot], &f);
		res->kind = RME_TRACE_RESULT_FAULT_STATE;
		res->fault_type = f.type;
		res->addr = f.addr;
		return RME_OK;
	}
	case RME_TRACE_OP_READ:
	case RME_TRACE_OP_WRITE:
	case RME_TRACE_OP_EXEC: {
		uint64_t a = addr_of(r, &op->u.access.addr);

		if (op->kind == RME_TRACE_OP_READ)
			err = rme_read(m, a, &acc);
		else if (op->kind == RME_TRACE_OP_WRITE)
			err = rme_write(m, a, (uint8_t)op->u.access.byte, &acc);
		else
			err = rme_exec(m, a, &acc);
		if (err != RME_OK)
			return err;
		access_result(r, &acc, op->kind, res);
		return RME_OK;
	}
	case RME_TRACE_OP_MMAP:
	case RME_TRACE_OP_MUNMAP:
	case RME_TRACE_OP_MPROTECT:
	case RME_TRACE_OP_MREMAP:
	case RME_TRACE_OP_MADVISE:
	case RME_TRACE_OP_MSYNC:
		if (!r->libc) {
			snprintf(msg, msglen, "%s needs an mmap-area directive", rme_trace_op_name(op->kind));
			return RME_ERR_UNSUPPORTED;
		}
		return replay_libc_execute(r->libc, op, r->slots, res, msg, msglen);
	case RME_TRACE_OP_EXPECT_QUOTA:
		res->kind = RME_TRACE_RESULT_NONE;
		*check_failed = !expect_quota_holds(r, &op->u.expect_quota, msg, msglen);
		return RME_OK;
	case RME_TRACE_OP_EXPECT_LEAK_FREE:
		res->kind = RME_TRACE_RESULT_NONE;
		*check_failed = !leak_free(r, &r->start_quota, &r->start_stats, msg, msglen);
		return RME_OK;
	case RME_TRACE_OP_EXPECT_MAPPINGS: {
		uint64_t n = r->libc ? replay_libc_mappings(r->libc) : 0;

		res->kind = RME_TRACE_RESULT_NONE;
		if (n != op->u.count) {
			snprintf(msg, msglen, "expected %llu mappings, got %llu",
			         (unsigned long long)op->u.count, (unsigned long long)n);
			*check_failed = 1;
		}
		return RME_OK;
	}
	case RME_TRACE_OP_COUNT_:
		break;
	}
	snprintf(msg, msglen, "unknown operation");
	return RME_ERR_UNSUPPORTED;
}

/* Set up the model (and the mmap layer) as the trace's directives say. */
static rme_err_t
set_up(struct replay *r, char *msg, size_t msglen)
{
	const rme_trace_directives_t *d = rme_trace_directives(r->trace);
	rme_model_config_t cfg;
	rme_err_t err;

	rme_model_config_init(&cfg);
	if (d->has_genode)
		cfg.genode_release = d->genode_release;
	if (d->has_kernel)
		cfg.kernel = d->kernel;
	if (d->has_arch)
		cfg.arch = d->arch;
	if (d->has_ram_quota)
		cfg.ram_quota = d->ram_quota;
	if (d->has_cap_quota)
		cfg.cap_quota = d->cap_quota;
	if (r->opt->unlimited_quota) {
		cfg.ram_quota = UINT64_MAX / 2;
		cfg.cap_quota = UINT64_MAX / 2;
	}
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
		err = replay_libc_create(r->model, d, r->opt->allocator, &r->libc,
		                         &r->slots[RME_TRACE_SLOT_MMAP_AREA], msg, msglen);
		if (err != RME_OK)
			return err;
	} else if (d->has_policy || d->has_map_count_max) {
		snprintf(msg, msglen, "%s needs an mmap-area directive",
		         d->has_policy ? "policy" : "map-count-max");
		return RME_ERR_INVALID_ARGUMENT;
	}
	return RME_OK;
}

static void
tear_down(struct replay *r)
{
	static const rme_quota_t zero_quota;
	static const rme_model_stats_t zero_stats;
	rme_replay_report_t *rep = r->report;

	/* the mmap layer first: it gives back its area, which the model then no longer holds */
	if (r->libc) {
		replay_libc_destroy(r->libc);
		r->libc = NULL;
	}
	rme_model_teardown(r->model);
	rep->torn_down = 1;
	rep->leak_free = leak_free(r, &zero_quota, &zero_stats, rep->leak_msg, sizeof(rep->leak_msg));
}

rme_err_t
rme_replay(rme_trace_t *trace, const rme_replay_options_t *options,
           rme_replay_report_t *report, rme_replay_diag_fn diag, void *diag_ctx)
{
	static const rme_replay_options_t defaults;
	struct replay r;
	const rme_allocator_t *alloc;
	size_t nops;
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

	nops = rme_trace_op_count(trace);
	for (size_t i = 0; i < nops; i++) {
		const rme_trace_op_t *op = rme_trace_op(trace, i);
		rme_trace_result_t *actual = rme_trace_actual(trace, i);
		int check_failed = 0, diverged = 0;

		msg[0] = 0;
		err = execute(&r, op, actual, &check_failed, msg, sizeof(msg));
		if (err != RME_OK) {
			if (err == RME_ERR_UNSUPPORTED)
				say(&r, op->line, msg);
			memset(actual, 0, sizeof(*actual));
			goto out;
		}
		report->operations++;
		if (check_failed) {
			diverged = 1;
			say(&r, op->line, msg);
		} else if (!rme_trace_result_matches(&op->expected, actual)) {
			char want[128], got[128];

			diverged = 1;
			rme_trace_result_format(trace, op->kind, &op->expected, want, sizeof(want));
			rme_trace_result_format(trace, op->kind, actual, got, sizeof(got));
			snprintf(msg, sizeof(msg), "expected %s, got %s", want, got);
			say(&r, op->line, msg);
		}
		if (r.opt->observe) {
			rme_replay_step_t step = {
				.trace = trace, .op = op, .actual = actual, .slots = r.slots,
				.model = r.model, .mmap = r.libc ? replay_libc_instance(r.libc) : NULL,
				.index = i, .start_quota = &r.start_quota,
			};
			msg[0] = 0;
			if (r.opt->observe(r.opt->observe_ctx, &step, msg, sizeof(msg))) {
				say(&r, op->line, msg);
				diverged = 1;
			}
		}
		if (r.opt->check) {
			char why[256];
			if (rme_model_check(r.model, why, sizeof(why)) != RME_OK ||
			    (r.libc && !replay_libc_check(r.libc, why, sizeof(why)))) {
				snprintf(msg, sizeof(msg), "invariant violated: %s", why);
				say(&r, op->line, msg);
				diverged = 1;
			}
		}
		if (diverged) {
			report->divergences++;
			if (!r.opt->keep_going) {
				report->stopped_at_line = op->line;
				break;
			}
		}
		if (r.opt->progress && ((i + 1) & 0xffff) == 0)
			r.opt->progress(r.opt->progress_ctx, i + 1, nops);
	}

	rme_quota(r.model, &report->quota);
	report->quota.ram_used -= r.start_quota.ram_used;
	report->quota.cap_used -= r.start_quota.cap_used;
	if (r.opt->teardown)
		tear_down(&r);
	err = RME_OK;
out:
	if (r.libc)
		replay_libc_destroy(r.libc);
	rme_model_destroy(r.model);
	alloc->free(alloc->ctx, r.slots, r.nslots * sizeof(*r.slots));
	return err;
}
