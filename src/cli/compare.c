/*
 * compare.c: rmemu compare, the mmap designs side by side. Each trace is
 * replayed once per policy (genode-libc, libc-alloc-at, rmemu: doc/
 * designs.md) on the same model, and what each leaves behind is measured:
 * failures by errno and cause, results that differ from Linux's, memory
 * still reachable after munmap, RAM and capabilities against live bytes,
 * the libc's metadata inside ranges the application sees.
 *
 * The trace's own expected results are not judged. An operation that
 * depends on one that failed (it names a slot that operation bound) is
 * left out and counted as orphaned, so that a policy is not rewarded for
 * skipping work. The reference for "differs from Linux" is Linux itself
 * (the --linux differential, run beside the rmemu policy) where it can
 * run the operation, else the rmemu policy's result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmemu/rmemu.h>

#include "cli.h"
#include "compare.h"
#include "linux_diff.h"
#include "pageset.h"
#include "progress.h"

static const char *const all_policies[] = { "genode-libc", "libc-alloc-at", "rmemu" };
/* The reference result of each operation. */
struct reference {
	rme_trace_result_t *result;        /* NONE: the reference did not run it */
	unsigned char *from_linux;
};

/* One replay: the policy's run over one trace. */
struct run {
	const rme_trace_t *trace;
	const char *policy;
	struct figures *f;
	const struct reference *ref;       /* NULL while the reference itself is made */
	struct reference *make_ref;        /* the run that makes it */
	struct linux_diff *ld;             /* Linux beside it, or NULL */
	unsigned char *dead;               /* per slot: bound by an operation that failed */
	struct pageset live, unmapped;     /* the application's mappings; what it unmapped */
	int out_of_memory;
};

/*
 * The progress line counts trace lines over every replay the command makes
 * (each trace once per policy, and once more for the reference when the
 * rmemu policy is not among them).
 */
struct compare_progress {
	cli_progress_t line;
	const rme_trace_t *trace;          /* the one being replayed */
	uint64_t before;                   /* lines of the replays already done */
};

/* ---- Small helpers ----------------------------------------------------------- */

static uint64_t
page_up(uint64_t n)
{
	return (n + RME_MMAP_PAGE_SIZE - 1) & ~(uint64_t)(RME_MMAP_PAGE_SIZE - 1);
}

static int
failed(const rme_trace_result_t *r)
{
	return r->kind == RME_TRACE_RESULT_ERRNO || r->kind == RME_TRACE_RESULT_ERROR;
}

static void
count_errno(struct figures *f, const char *name, uint64_t n)
{
	for (int i = 0; i < MAX_ERRNOS; i++) {
		if (!f->errno_name[i][0])
			snprintf(f->errno_name[i], sizeof(f->errno_name[i]), "%s", name);
		if (strcmp(f->errno_name[i], name) == 0) {
			f->errno_count[i] += n;
			return;
		}
	}
}

static void
push_series(struct run *r, uint64_t v)
{
	struct figures *f = r->f;

	if (f->munmaps == f->munmaps_cap) {
		size_t cap = f->munmaps_cap ? f->munmaps_cap * 2 : 256;
		uint64_t *p = realloc(f->ram_after_munmap, cap * sizeof(*p));
		if (!p) {
			r->out_of_memory = 1;
			return;
		}
		f->ram_after_munmap = p;
		f->munmaps_cap = cap;
	}
	f->ram_after_munmap[f->munmaps++] = v;
}

/* The slots an operation's arguments name (a capability or an address's base). */
static int
uses_dead_slot(const struct run *r, const rme_trace_op_t *op)
{
	int s[3] = { -1, -1, -1 };

	switch (op->kind) {
	case RME_TRACE_OP_RAM_FREE:
	case RME_TRACE_OP_RM_DESTROY:
	case RME_TRACE_OP_RM_DATASPACE:
	case RME_TRACE_OP_FAULT_HANDLER:
	case RME_TRACE_OP_FAULT:
		s[0] = op->u.slot;
		break;
	case RME_TRACE_OP_ATTACH:
		s[0] = op->u.attach.rm;
		s[1] = op->u.attach.ds;
		s[2] = op->u.attach.has_at ? op->u.attach.at.slot : -1;
		break;
	case RME_TRACE_OP_DETACH:
		s[0] = op->u.detach.rm;
		s[1] = op->u.detach.addr.slot;
		break;
	case RME_TRACE_OP_READ:
	case RME_TRACE_OP_WRITE:
	case RME_TRACE_OP_EXEC:
		s[0] = op->u.access.addr.slot;
		break;
	case RME_TRACE_OP_MMAP:
		s[0] = op->u.mmap.addr.slot;
		break;
	case RME_TRACE_OP_MREMAP:
		s[0] = op->u.mremap.addr.slot;
		s[1] = op->u.mremap.has_fixed ? op->u.mremap.fixed.slot : -1;
		break;
	case RME_TRACE_OP_MUNMAP:
	case RME_TRACE_OP_MPROTECT:
	case RME_TRACE_OP_MADVISE:
	case RME_TRACE_OP_MSYNC:
	case RME_TRACE_OP_MLOCK:
	case RME_TRACE_OP_MUNLOCK:
		s[0] = op->u.range.addr.slot;
		break;
	default:
		break;
	}
	for (int i = 0; i < 3; i++)
		if (s[i] >= 0 && r->dead[s[i]])
			return 1;
	return 0;
}

/* ---- Measuring ----------------------------------------------------------------- */

struct nonzero {
	rme_model_t *model;
	uint64_t start, end, count;
	rme_cap_t area_ds, area_rm;
	uint64_t base;                     /* of the map being walked, in env's addresses */
	int depth;
};

static int nonzero_region(void *ctx, const rme_region_info_t *reg);

/* Non-zero bytes of [start, end) as the address space shows them (mapped RAM only). */
static void
nonzero_in(struct nonzero *nz, rme_cap_t rm)
{
	(void)rme_rm_regions(nz->model, rm, nonzero_region, nz);
}

static int
nonzero_region(void *ctx, const rme_region_info_t *reg)
{
	struct nonzero *nz = ctx;
	uint64_t a = nz->base + reg->base, b = a + reg->size;
	uint64_t s = a > nz->start ? a : nz->start, e = b < nz->end ? b : nz->end;
	static uint8_t buf[1 << 16];
	static const uint8_t zeros[1 << 16];

	if (s >= e || !reg->ds || reg->reserved)
		return 0;
	if (reg->ds == nz->area_ds && nz->depth == 0) {
		struct nonzero inner = *nz;
		inner.base = a - reg->offset;
		inner.depth = 1;
		nonzero_in(&inner, nz->area_rm);
		nz->count += inner.count;
		return 0;
	}
	while (s < e) {
		uint64_t n = e - s < sizeof(buf) ? e - s : sizeof(buf);
		if (rme_ds_read(nz->model, reg->ds, reg->offset + (s - a), buf, n) != RME_OK)
			return 0;
		/* fresh memory is mostly zeros: a quick look first (GiB-sized reservations) */
		if (memcmp(buf, zeros, n) != 0)
			for (uint64_t i = 0; i < n; i++)
				nz->count += buf[i] != 0;
		s += n;
	}
	return 0;
}

static uint64_t
count_nonzero(const rme_replay_step_t *st, uint64_t start, uint64_t len)
{
	struct nonzero nz = { st->model, start, start + len, 0, 0, 0, 0, 0 };
	rme_mmap_stats_t stats;

	rme_mmap_stats(st->mmap, &stats);
	nz.area_rm = stats.area_rm;
	nz.area_ds = stats.area_rm ? rme_rm_dataspace(st->model, stats.area_rm) : 0;
	nonzero_in(&nz, rme_env(st->model));
	return nz.count;
}

struct ram_in {
	uint64_t start, end, ram;
};

static int
ram_in_range(void *ctx, const rme_mmap_vma_t *v)
{
	struct ram_in *ri = ctx;

	if (v->start < ri->end && ri->start < v->start + v->len)
		ri->ram += v->ram;
	return 0;
}

struct md_overlap {
	const struct pageset *live;
	uint64_t bytes;
};

static int
md_overlap(void *ctx, uint64_t addr, uint64_t len)
{
	struct md_overlap *o = ctx;

	o->bytes += pageset_overlap(o->live, addr, addr + len);
	return 0;
}

/* ---- The replay's callbacks ---------------------------------------------------------- */

static int
skip_orphan(void *ctx, const rme_replay_step_t *st)
{
	struct run *r = ctx;

	if (!uses_dead_slot(r, st->op))
		return 0;
	if (st->op->bind_slot >= 0)
		r->dead[st->op->bind_slot] = 1;
	if (rme_executor_is_libc(st->op->kind))
		r->f->orphaned++;
	return 1;
}

/* Whether two results count as the same (addresses of successes aside). */
static int
same_outcome(const rme_trace_result_t *a, const rme_trace_result_t *b, rme_trace_op_kind_t kind)
{
	if (failed(a) || failed(b)) {
		if (a->kind != b->kind)
			return 0;
		return a->kind == RME_TRACE_RESULT_ERRNO ? strcmp(a->errno_name, b->errno_name) == 0
		                                         : a->error == b->error;
	}
	if (kind == RME_TRACE_OP_READ)
		return a->kind == b->kind && a->value == b->value;
	return (a->kind == RME_TRACE_RESULT_FAULT || a->kind == RME_TRACE_RESULT_UNHANDLED ||
	        a->kind == RME_TRACE_RESULT_FAULT_ANY || a->kind == RME_TRACE_RESULT_UNHANDLED_ANY) ==
	       (b->kind == RME_TRACE_RESULT_FAULT || b->kind == RME_TRACE_RESULT_UNHANDLED ||
	        b->kind == RME_TRACE_RESULT_FAULT_ANY || b->kind == RME_TRACE_RESULT_UNHANDLED_ANY);
}

/* The reference for operation i: Linux's outcome where it ran, else the policy's own. */
static void
make_reference(struct run *r, const rme_replay_step_t *st)
{
	rme_trace_result_t *ref = &r->make_ref->result[st->index];

	*ref = *st->actual;
	if (!r->ld || !r->ld->ran || !rme_executor_is_libc(st->op->kind))
		return;
	r->make_ref->from_linux[st->index] = 1;
	if (r->ld->linux_errno == 0) {
		if (failed(ref)) {
			memset(ref, 0, sizeof(*ref));
			ref->kind = RME_TRACE_RESULT_VALUE;
		}
	} else {
		const char *name = strerrorname_np(r->ld->linux_errno);
		memset(ref, 0, sizeof(*ref));
		ref->kind = RME_TRACE_RESULT_ERRNO;
		if ((!name || rme_trace_result_set_errno(ref, name) != RME_OK) &&
		    rme_trace_result_set_errno(ref, "EIO") != RME_OK)
			ref->kind = RME_TRACE_RESULT_NONE;
	}
}

/* The application's view of its mappings after a libc-level operation. */
static void
track_mappings(struct run *r, const rme_replay_step_t *st, const rme_executor_call_t *c,
               int ok, int ref_ok)
{
	uint64_t value = st->actual->value;
	int overlapped = 0, rc = 0;

	switch (c->kind) {
	case RME_TRACE_OP_MMAP:
		if (!ok)
			return;
		if (c->flags & (RME_MAP_FIXED | RME_MAP_FIXED_NOREPLACE))
			rc |= pageset_set(&r->live, value, value + page_up(c->len), 1);
		else
			rc |= pageset_add(&r->live, value, value + page_up(c->len), &overlapped);
		r->f->shared_mappings += overlapped;
		rc |= pageset_set(&r->unmapped, value, value + page_up(c->len), 0);
		break;
	case RME_TRACE_OP_MUNMAP:
		if (ref_ok)
			rc |= pageset_set(&r->unmapped, c->addr, c->addr + page_up(c->len), 1);
		if (ok)
			rc |= pageset_set(&r->live, c->addr, c->addr + page_up(c->len), 0);
		break;
	case RME_TRACE_OP_MREMAP:
		if (!ok)
			return;
		rc |= pageset_set(&r->live, c->addr, c->addr + page_up(c->len), 0);
		rc |= pageset_set(&r->unmapped, c->addr, c->addr + page_up(c->len), 1);
		rc |= pageset_set(&r->live, value, value + page_up(c->new_len), 1);
		rc |= pageset_set(&r->unmapped, value, value + page_up(c->new_len), 0);
		break;
	default:
		break;
	}
	if (rc)
		r->out_of_memory = 1;
}

/* What a libc-level operation's result says. */
static void
count_libc(struct run *r, const rme_replay_step_t *st, const rme_executor_call_t *c, int ok)
{
	struct figures *f = r->f;
	int fixed = (c->flags & (RME_MAP_FIXED | RME_MAP_FIXED_NOREPLACE)) != 0;

	if (!ok) {
		f->failed++;
		count_errno(f, st->actual->errno_name, 1);
		f->cause_count[rme_mmap_last_cause(st->mmap)]++;
	}
	if (c->kind != RME_TRACE_OP_MMAP)
		return;
	if (!ok && fixed)
		f->fixed_failed++;
	if (!ok && !fixed && c->addr)
		f->hint_failed++;
	if (ok && !fixed && c->addr && st->actual->value != c->addr)
		f->hints_ignored++;
	if (ok && (c->flags & RME_MAP_ANONYMOUS))
		f->fresh_nonzero += count_nonzero(st, st->actual->value, c->len);
	if (ok && c->prot == RME_PROT_NONE) {
		struct ram_in ri = { st->actual->value, st->actual->value + page_up(c->len), 0 };
		(void)rme_mmap_foreach(st->mmap, ram_in_range, &ri);
		f->prot_none_ram += ri.ram;
	}
}

static int
observe(void *ctx, const rme_replay_step_t *st, char *msg, size_t msglen)
{
	struct run *r = ctx;
	const rme_trace_op_t *op = st->op;
	int ok = !failed(st->actual), ref_ok = ok;
	rme_executor_call_t c;
	rme_quota_t q;

	if (r->ld && r->make_ref)
		(void)linux_diff_observe(r->ld, st, msg, msglen);   /* differences are figures here */
	if (r->make_ref)
		make_reference(r, st);
	if (op->bind_slot >= 0)
		r->dead[op->bind_slot] = !ok;

	rme_quota(st->model, &q);
	if (q.ram_used - st->start_quota->ram_used > r->f->ram_peak)
		r->f->ram_peak = q.ram_used - st->start_quota->ram_used;
	if (q.cap_used - st->start_quota->cap_used > r->f->caps_peak)
		r->f->caps_peak = q.cap_used - st->start_quota->cap_used;

	{
		const struct reference *ref = r->ref ? r->ref : r->make_ref;
		const rme_trace_result_t *want = &ref->result[st->index];
		if (want->kind != RME_TRACE_RESULT_NONE && rme_executor_is_libc(op->kind)) {
			ref_ok = !failed(want);
			if (!same_outcome(st->actual, want, op->kind))
				r->f->differ++;
			r->f->reference_linux += ref->from_linux[st->index];
		} else if (want->kind != RME_TRACE_RESULT_NONE && !same_outcome(st->actual, want, op->kind)) {
			r->f->differ++;
		}
	}
	if (!rme_executor_is_libc(op->kind))
		return 0;
	rme_executor_decode(op, st->slots, &c);
	count_libc(r, st, &c, ok);
	track_mappings(r, st, &c, ok, ref_ok);
	if (op->kind == RME_TRACE_OP_MUNMAP)
		push_series(r, q.ram_used - st->start_quota->ram_used);
	{
		struct md_overlap o = { &r->live, 0 };
		(void)rme_mmap_foreach_metadata(st->mmap, md_overlap, &o);
		r->f->metadata_in_app_ranges = o.bytes;
		if (o.bytes > r->f->metadata_in_app_ranges_peak)
			r->f->metadata_in_app_ranges_peak = o.bytes;
	}
	return 0;
}

/* Bytes of the ranges the application unmapped that the address space still lets it read. */
static uint64_t
accessible_after_munmap(struct run *r, rme_model_t *model)
{
	uint64_t bytes = 0;

	for (size_t i = 0; i < r->unmapped.n; i++) {
		const struct pageset_seg *s = &r->unmapped.v[i];
		for (uint64_t a = s->start & ~(uint64_t)(RME_PAGE_SIZE - 1); a < s->end; a += RME_PAGE_SIZE) {
			rme_access_t acc;
			uint64_t from = a > s->start ? a : s->start;
			uint64_t to = a + RME_PAGE_SIZE < s->end ? a + RME_PAGE_SIZE : s->end;
			if (rme_read(model, from, &acc) == RME_OK && acc.outcome == RME_ACCESS_DONE)
				bytes += to - from;
		}
	}
	return bytes;
}

static void
finish(void *ctx, const rme_replay_step_t *st)
{
	struct run *r = ctx;
	struct figures *f = r->f;
	rme_mmap_stats_t stats;
	rme_quota_t q;

	rme_quota(st->model, &q);
	f->ram_end = q.ram_used - st->start_quota->ram_used;
	f->caps_end = q.cap_used - st->start_quota->cap_used;
	f->live_bytes_end = pageset_bytes(&r->live, 1);
	if (st->mmap) {
		rme_mmap_stats(st->mmap, &stats);
		f->metadata_zeroed = stats.metadata_zeroed;
		f->metadata_bytes_end = stats.metadata_bytes;
	}
	f->accessible_after_munmap = accessible_after_munmap(r, st->model);
	f->valid = 1;
}

/* ---- One trace ------------------------------------------------------------------ */

static void
replay_progress(void *ctx, size_t done, size_t total)
{
	struct compare_progress *cp = ctx;

	(void)total;
	if (done)
		cli_progress_update(&cp->line, cp->before + rme_trace_op(cp->trace, done - 1)->line);
}

static int
run_policy(rme_trace_t *trace, const char *path, const char *policy, struct figures *f,
           struct reference *ref, int make_ref, struct linux_diff *ld, struct compare_progress *cp)
{
	struct run r;
	rme_replay_options_t opt;
	rme_replay_report_t rep;
	size_t nslots = rme_trace_slot_count(trace);
	rme_err_t err;

	memset(&r, 0, sizeof(r));
	memset(&opt, 0, sizeof(opt));
	memset(f, 0, sizeof(*f));
	r.trace = trace;
	r.policy = policy;
	r.f = f;
	r.ref = make_ref ? NULL : ref;
	r.make_ref = make_ref ? ref : NULL;
	r.ld = ld;
	r.dead = calloc(nslots ? nslots : 1, 1);
	if (!r.dead) {
		fprintf(stderr, "rmemu compare: out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < rme_trace_op_count(trace); i++)
		f->ops += rme_executor_is_libc(rme_trace_op(trace, i)->kind);
	opt.keep_going = 1;
	opt.policy = policy;
	opt.skip = skip_orphan;
	opt.skip_ctx = &r;
	opt.observe = observe;
	opt.observe_ctx = &r;
	opt.finish = finish;
	opt.progress = replay_progress;
	opt.progress_ctx = cp;
	cp->trace = trace;
	err = rme_replay(trace, &opt, &rep, NULL, NULL);
	cp->before += cli_trace_lines(trace);
	cli_progress_update(&cp->line, cp->before);
	free(r.dead);
	pageset_free(&r.live);
	pageset_free(&r.unmapped);
	if (ld)
		linux_diff_finish(ld);
	if (err != RME_OK || !f->valid || r.out_of_memory) {
		cli_progress_clear(&cp->line);
		fprintf(stderr, "rmemu compare: %s: policy %s: %s\n", path, policy,
		        err != RME_OK ? rme_err_name(err) : r.out_of_memory ? "out of memory"
		                                                           : "the replay did not finish");
		return -1;
	}
	return 0;
}

/* ---- Output ------------------------------------------------------------------------ */

static void
add_figures(struct figures *t, const struct figures *f)
{
	t->ops += f->ops;
	t->orphaned += f->orphaned;
	t->failed += f->failed;
	t->fixed_failed += f->fixed_failed;
	t->hint_failed += f->hint_failed;
	t->hints_ignored += f->hints_ignored;
	t->differ += f->differ;
	t->reference_linux += f->reference_linux;
	for (int i = 0; i < MAX_ERRNOS && f->errno_name[i][0]; i++)
		count_errno(t, f->errno_name[i], f->errno_count[i]);
	for (int i = 0; i < RME_MMAP_CAUSE_COUNT_; i++)
		t->cause_count[i] += f->cause_count[i];
	t->accessible_after_munmap += f->accessible_after_munmap;
	t->shared_mappings += f->shared_mappings;
	t->fresh_nonzero += f->fresh_nonzero;
	t->ram_end += f->ram_end;
	t->caps_end += f->caps_end;
	t->live_bytes_end += f->live_bytes_end;
	t->ram_peak += f->ram_peak;
	t->caps_peak += f->caps_peak;
	t->prot_none_ram += f->prot_none_ram;
	t->metadata_in_app_ranges += f->metadata_in_app_ranges;
	t->metadata_in_app_ranges_peak += f->metadata_in_app_ranges_peak;
	t->metadata_zeroed += f->metadata_zeroed;
	t->metadata_bytes_end += f->metadata_bytes_end;
	t->valid = 1;
}

static void
print_table(const char *title, struct figures *const f[], const char *const pol[], int np)
{
	printf("%s\n  %-42s", title, "");
	for (int p = 0; p < np; p++)
		printf(" %15s", pol[p]);
	printf("\n");
#define ROW(name, text) \
	printf("  %-42s", text); \
	for (int p = 0; p < np; p++) \
		printf(" %15llu", (unsigned long long)f[p]->name); \
	printf("\n");
	FIGURES(ROW)
#undef ROW
	for (int c = 1; c < RME_MMAP_CAUSE_COUNT_; c++) {
		uint64_t any = 0;
		for (int p = 0; p < np; p++)
			any += f[p]->cause_count[c];
		if (!any)
			continue;
		printf("  failed, cause %-28s", rme_mmap_cause_name(c));
		for (int p = 0; p < np; p++)
			printf(" %15llu", (unsigned long long)f[p]->cause_count[c]);
		printf("\n");
	}
	/* errno names, in the order they first appear across the policies */
	for (int p0 = 0; p0 < np; p0++) {
		for (int e = 0; e < MAX_ERRNOS && f[p0]->errno_name[e][0]; e++) {
			const char *name = f[p0]->errno_name[e];
			int seen = 0;
			for (int q = 0; q < p0 && !seen; q++)
				for (int k = 0; k < MAX_ERRNOS && f[q]->errno_name[k][0]; k++)
					seen |= strcmp(f[q]->errno_name[k], name) == 0;
			if (seen)
				continue;
			printf("  failed, errno %-28s", name);
			for (int p = 0; p < np; p++) {
				uint64_t n = 0;
				for (int k = 0; k < MAX_ERRNOS && f[p]->errno_name[k][0]; k++)
					if (strcmp(f[p]->errno_name[k], name) == 0)
						n = f[p]->errno_count[k];
				printf(" %15llu", (unsigned long long)n);
			}
			printf("\n");
		}
	}
	printf("\n");
}

static void
print_json_figures(const struct figures *f, int series)
{
	int first = 1;

	printf("{");
#define FIELD(name, text) printf("\"%s\": %llu, ", #name, (unsigned long long)f->name);
	FIGURES(FIELD)
#undef FIELD
	printf("\"failed_by_errno\": {");
	for (int e = 0; e < MAX_ERRNOS && f->errno_name[e][0]; e++)
		printf("%s\"%s\": %llu", e ? ", " : "", f->errno_name[e],
		       (unsigned long long)f->errno_count[e]);
	printf("}, \"failed_by_cause\": {");
	for (int c = 1; c < RME_MMAP_CAUSE_COUNT_; c++) {
		if (!f->cause_count[c])
			continue;
		printf("%s\"%s\": %llu", first ? "" : ", ", rme_mmap_cause_name(c),
		       (unsigned long long)f->cause_count[c]);
		first = 0;
	}
	printf("}");
	if (series) {
		printf(", \"ram_after_munmap\": [");
		for (size_t i = 0; i < f->munmaps; i++)
			printf("%s%llu", i ? ", " : "", (unsigned long long)f->ram_after_munmap[i]);
		printf("]");
	}
	printf("}");
}

static void
print_json_member(const char *name, struct figures *const f[], const char *const pol[], int np,
                  int last, int series)
{
	printf("  \"%s\": {\n", name);
	for (int p = 0; p < np; p++) {
		printf("    \"%s\": ", pol[p]);
		print_json_figures(f[p], series);
		printf("%s\n", p + 1 < np ? "," : "");
	}
	printf("  }%s\n", last ? "" : ",");
}

/* ---- The command ------------------------------------------------------------------ */

static void
usage(FILE *out)
{
	fputs("usage: rmemu compare [--json] [-o FILE.svg|FILE.html] [--policies LIST] [--no-linux]\n"
	      "                     [--quiet] TRACE...\n"
	      "\n"
	      "Replay each trace once per mmap policy and compare what each design does:\n"
	      "failures by errno and cause, results that differ from Linux's, memory still\n"
	      "accessible after munmap, RAM and capabilities against live bytes, libc\n"
	      "metadata inside mapped ranges. One table per trace and one over all.\n"
	      "\n"
	      "  --json           one JSON object: a member per trace and 'total'\n"
	      "  --policies LIST  comma-separated, of genode-libc, libc-alloc-at, rmemu (default: all)\n"
	      "  --no-linux       take the rmemu policy's results as the reference, not Linux's\n"
	      "  -o, --out FILE   also draw the figures: each policy's failures by cause and the\n"
	      "                   RAM it held after each munmap, per trace; .svg gives the picture,\n"
	      "                   .html a self-contained page with it, the totals and details on hover\n"
	      "  -q, --quiet      no progress line and no note of what was drawn\n"
	      "\n"
	      "doc/designs.md explains the designs and every figure.\n", out);
}

static int
parse_policies(const char *list, const char *pol[], int *np)
{
	char buf[256];
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	*np = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int found = 0;
		for (int i = 0; i < MAX_POLICIES; i++) {
			if (strcmp(t, all_policies[i]) == 0) {
				for (int k = 0; k < *np; k++)
					if (pol[k] == all_policies[i])
						found = 2;
				if (!found) {
					pol[(*np)++] = all_policies[i];
					found = 1;
				}
			}
		}
		if (!found) {
			fprintf(stderr, "rmemu compare: unknown policy '%s' (genode-libc, libc-alloc-at, rmemu)\n", t);
			return -1;
		}
	}
	return *np ? 0 : -1;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* Compare the policies on one trace; f[p] receives the figures. */
static int
compare_trace(const char *path, const char *const pol[], int np, int use_linux,
              struct linux_diff *ld, struct figures *f[], struct compare_progress *cp)
{
	struct reference ref = { 0 };
	struct figures ref_figures;
	rme_trace_t *trace = NULL;
	rme_trace_error_t perr;
	char *text;
	size_t len, nops;
	int rc = -1, rmemu_at = -1;

	cli_progress_clear(&cp->line);
	if (cli_read_file(path, &text, &len) != 0)
		return -1;
	if (rme_trace_parse(path, text, len, NULL, &trace, &perr) != RME_OK) {
		fprintf(stderr, "%s\n", perr.msg);
		free(text);
		return -1;
	}
	free(text);
	if (!rme_trace_directives(trace)->has_mmap_area) {
		fprintf(stderr, "rmemu compare: %s: no mmap-area directive: there is no libc level to compare\n",
		        path);
		goto out;
	}
	nops = rme_trace_op_count(trace);
	ref.result = calloc(nops ? nops : 1, sizeof(*ref.result));
	ref.from_linux = calloc(nops ? nops : 1, 1);
	if (!ref.result || !ref.from_linux) {
		fprintf(stderr, "rmemu compare: out of memory\n");
		goto out;
	}
	/* the reference: the rmemu policy, with Linux beside it */
	for (int p = 0; p < np; p++)
		if (strcmp(pol[p], "rmemu") == 0)
			rmemu_at = p;
	if (run_policy(trace, path, "rmemu", rmemu_at >= 0 ? f[rmemu_at] : &ref_figures, &ref, 1,
	               use_linux ? ld : NULL, cp) != 0)
		goto out;
	if (rmemu_at < 0)
		free(ref_figures.ram_after_munmap);
	for (int p = 0; p < np; p++)
		if (p != rmemu_at && run_policy(trace, path, pol[p], f[p], &ref, 0, NULL, cp) != 0)
			goto out;
	rc = 0;
out:
	free(ref.result);
	free(ref.from_linux);
	rme_trace_free(trace);
	return rc;
}

/* Lines in the file, for the progress line's estimate; 0 when it cannot be read ahead. */
static uint64_t
count_lines(const char *path)
{
	char buf[65536];
	uint64_t n = 0;
	size_t got;
	FILE *f;

	if (strcmp(path, "-") == 0 || !(f = fopen(path, "r")))
		return 0;
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		for (char *p = buf; (p = memchr(p, '\n', (size_t)(buf + got - p))) != NULL; p++)
			n++;
	fclose(f);
	return n;
}

/* The picture of the figures, to path (.svg or .html); 0, or -1 with a message. */
static int
write_picture(const char *path, char *const traces[], int ntraces,
              struct figures (*figs)[MAX_POLICIES], const struct figures total[],
              const char *const pol[], int np, int quiet)
{
	const char **names = calloc((size_t)ntraces, sizeof(*names));
	int html = cli_ends_with(path, ".html") || cli_ends_with(path, ".htm");
	long marks = -1;
	FILE *out;

	if (!names) {
		fprintf(stderr, "rmemu compare: out of memory\n");
		return -1;
	}
	for (int t = 0; t < ntraces; t++)
		names[t] = base_name(traces[t]);
	out = fopen(path, "w");
	if (!out) {
		fprintf(stderr, "rmemu compare: %s: %s\n", path, strerror(errno));
	} else {
		marks = compare_draw(out, html, names, ntraces, figs, total, pol, np);
		if (fclose(out) != 0 || marks < 0) {
			fprintf(stderr, "rmemu compare: %s: %s\n", path, strerror(errno));
			marks = -1;
		}
	}
	free(names);
	if (marks >= 0 && !quiet)
		fprintf(stderr, "rmemu compare: %s: %ld bars and lines drawn for %d traces\n", path, marks,
		        ntraces);
	return marks < 0 ? -1 : 0;
}

int
cmd_compare(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-linux", no_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "policies", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pol[MAX_POLICIES], *out_path = NULL;
	int np = 0, json = 0, use_linux = 1, quiet = 0, ntraces, rc = EXIT_OK, i, c, has_rmemu = 0;
	struct figures (*figs)[MAX_POLICIES], total[MAX_POLICIES];
	struct figures *row[MAX_POLICIES];
	struct compare_progress cp;
	struct linux_diff ld;
	uint64_t lines = 0;

	for (i = 0; i < MAX_POLICIES; i++)
		pol[i] = all_policies[i];
	np = MAX_POLICIES;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'n': use_linux = 0; break;
		case 'q': quiet = 1; break;
		case 'o':
			out_path = optarg;
			if (!cli_ends_with(out_path, ".svg") && !cli_ends_with(out_path, ".html") &&
			    !cli_ends_with(out_path, ".htm")) {
				fprintf(stderr, "rmemu compare: %s: the picture's name must end in .svg or .html\n",
				        out_path);
				return EXIT_USAGE;
			}
			break;
		case 'p':
			if (parse_policies(optarg, pol, &np) != 0)
				return EXIT_USAGE;
			break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	i = optind;
	ntraces = argc - i;
	if (ntraces <= 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* the tables and the JSON name a trace by its file name */
	for (int a = 0; a < ntraces; a++)
		for (int b = a + 1; b < ntraces; b++)
			if (strcmp(base_name(argv[i + a]), base_name(argv[i + b])) == 0) {
				fprintf(stderr, "rmemu compare: %s and %s have the same file name; "
				        "the results name traces by it\n", argv[i + a], argv[i + b]);
				return EXIT_USAGE;
			}
	figs = calloc((size_t)ntraces, sizeof(*figs));
	if (!figs) {
		fprintf(stderr, "rmemu compare: out of memory\n");
		return EXIT_USAGE;
	}
	memset(total, 0, sizeof(total));
	if (use_linux)
		linux_diff_init(&ld);
	for (int p = 0; p < np; p++)
		has_rmemu |= strcmp(pol[p], "rmemu") == 0;
	for (int t = 0; t < ntraces; t++) {
		uint64_t n = count_lines(argv[i + t]);
		lines = n && (lines || !t) ? lines + n * (uint64_t)(np + !has_rmemu) : 0;
	}
	memset(&cp, 0, sizeof(cp));
	cli_progress_begin(&cp.line, "compare", "lines", lines, quiet);
	if (json)
		printf("{\n");
	for (int t = 0; t < ntraces; t++) {
		for (int p = 0; p < np; p++)
			row[p] = &figs[t][p];
		if (compare_trace(argv[i + t], pol, np, use_linux, &ld, row, &cp) != 0) {
			rc = EXIT_USAGE;
			continue;
		}
		cli_progress_clear(&cp.line);
		for (int p = 0; p < np; p++)
			add_figures(&total[p], row[p]);
		if (json) {
			print_json_member(base_name(argv[i + t]), row, pol, np, 0, 1);
		} else {
			char title[512];
			snprintf(title, sizeof(title), "%s:", base_name(argv[i + t]));
			print_table(title, row, pol, np);
		}
	}
	for (int p = 0; p < np; p++)
		row[p] = &total[p];
	if (json) {
		print_json_member("total", row, pol, np, 1, 0);
		printf("}\n");
	} else {
		char title[64];
		snprintf(title, sizeof(title), "all %d traces:", ntraces);
		print_table(title, row, pol, np);
	}
	cli_progress_end(&cp.line);
	if (out_path && rc == EXIT_OK) {
		if (write_picture(out_path, argv + i, ntraces, figs, total, pol, np, quiet) != 0)
			rc = EXIT_USAGE;
	} else if (out_path) {
		fprintf(stderr, "rmemu compare: %s not written: a trace could not be compared\n", out_path);
	}
	for (int t = 0; t < ntraces; t++)
		for (int p = 0; p < np; p++)
			free(figs[t][p].ram_after_munmap);
	free(figs);
	return rc;
}
