/*
 * stats.c: the stats command: what a trace asks of Genode, for configuring
 * a component that runs the workload it records.
 *
 * The figures come from following the trace's mappings with the same
 * page bookkeeping the importer uses (pagemap.h), not from a replay: they
 * are the workload's. Where the trace does not say where a mapping went
 * (-> ok), it goes where the mmap layer puts it, and Linux too: a free hint
 * in the area, else the highest gap. So adjacent mappings merge into one
 * as they do there, and the area needed is the most of it that mappings at
 * given addresses (from its base) and placed ones (from its top) use at
 * once. What the layer itself needs (RAM and capabilities, with its
 * chunking and metadata) comes from a replay, watched after every
 * operation.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmemu/rmemu.h>

#include "cli.h"
#include "progress.h"
#include "pagemap.h"
#include "xalloc.h"

/*
 * Where a mapping is, as the tag of its pieces: at an address the trace
 * gives (fixed, or a hint the layer grants), at the place the layer chooses
 * (top-down in the area, as Linux does in its mmap area), or, where the
 * trace has no area or it is full, in a slot of its own far above any real
 * address, with a slot's width of space to the next.
 */
enum { AT_GIVEN = 0, BY_LAYER = 1, OUTSIDE = 2 };
#define OUTSIDE_BASE ((uint64_t)1 << 60)
#define OUTSIDE_SLOT ((uint64_t)1 << 36)

typedef struct trace_stats {
	size_t ops[RME_TRACE_OP_COUNT_];
	size_t operations;
	size_t failing;                 /* operations expected to fail */
	size_t peak_mappings;
	uint64_t peak_mapped, peak_committed;
	uint64_t largest_reservation;   /* the longest PROT_NONE mmap */
	uint64_t largest_mapping;
	int has_area;
	uint64_t area_base, area_size;
	/* the most of the area in use at once: from its base up, from its top down */
	uint64_t area_needed, given_extent, placed_extent;
	size_t outside;                 /* placements that did not fit the area */
} trace_stats_t;

typedef struct follower {
	pagemap_t map;
	uint64_t *slot;
	uint64_t next_outside;
	uint64_t shared_objects;        /* shared anonymous objects so far: each is one of its own */
	unsigned def_lock;              /* PM_LOCK_MASK bits every new mapping gets (mlockall future) */
	trace_stats_t *st;
} follower_t;

static int
expected_failure(const rme_trace_op_t *op)
{
	return op->expected.kind == RME_TRACE_RESULT_ERRNO || op->expected.kind == RME_TRACE_RESULT_ERROR;
}

static int
in_area(const trace_stats_t *st, uint64_t start, uint64_t end)
{
	return st->has_area && start >= st->area_base && end <= st->area_base + st->area_size &&
	       start < end;
}

/* A place the layer would choose for len bytes: the highest gap, else outside. */
static uint64_t
layer_place(follower_t *f, uint64_t len, int *tag)
{
	trace_stats_t *st = f->st;
	uint64_t at;

	if (st->has_area &&
	    pm_highest_gap(&f->map, st->area_base, st->area_base + st->area_size, len, &at) == 0) {
		*tag = BY_LAYER;
		return at;
	}
	if (st->has_area)
		st->outside++;
	*tag = OUTSIDE;
	at = f->next_outside;
	f->next_outside += (len / OUTSIDE_SLOT + 2) * OUTSIDE_SLOT;
	return at;
}

/* The tag of what is at addr: a fixed mapping inside another goes with it. */
static int
tag_at(const follower_t *f, uint64_t addr)
{
	const pm_piece_t *p = pm_find(&f->map, addr);

	return p ? p->attr.tag : AT_GIVEN;
}

/* Where an mmap goes: its fixed address, its expected result, a free hint, or the layer's choice. */
static uint64_t
mmap_place(follower_t *f, const rme_trace_op_t *op, uint64_t len, int *tag)
{
	uint64_t addr = rme_trace_addr_eval(&op->u.mmap.addr, f->slot);

	if (op->u.mmap.flags & (RME_TRACE_MAP_FIXED | RME_TRACE_MAP_NOREPLACE)) {
		*tag = tag_at(f, addr);
		return addr;
	}
	if (op->expected.kind == RME_TRACE_RESULT_VALUE) {
		*tag = addr ? AT_GIVEN : BY_LAYER;
		return rme_trace_result_value(&op->expected, f->slot);
	}
	/* the layer grants a hint inside its area when the place is free */
	if (addr && in_area(f->st, addr, addr + len) && pm_is_free(&f->map, addr, addr + len)) {
		*tag = AT_GIVEN;
		return addr;
	}
	return layer_place(f, len, tag);
}

/* Whether a mapping can grow where it is: free after it, and inside the area if it was. */
static int
grows_in_place(const follower_t *f, uint64_t old, uint64_t old_len, uint64_t new_len)
{
	const trace_stats_t *st = f->st;

	if (!pm_is_free(&f->map, old + old_len, old + new_len))
		return 0;
	return !in_area(st, old, old + old_len) || in_area(st, old, old + new_len);
}

static void
follow(follower_t *f, const rme_trace_op_t *op)
{
	trace_stats_t *st = f->st;
	uint64_t *bind = op->bind_slot >= 0 ? &f->slot[op->bind_slot] : NULL;

	if (bind)
		*bind = op->expected.kind == RME_TRACE_RESULT_VALUE ?
		        rme_trace_result_value(&op->expected, f->slot) : 0;
	if (expected_failure(op))
		return;
	switch (op->kind) {
	case RME_TRACE_OP_MMAP: {
		uint64_t len = pm_round_up(op->u.mmap.len), start;
		pm_attr_t a = {
			op->u.mmap.prot, pm_mapping_flags(op->u.mmap.flags, op->u.mmap.prot) | f->def_lock,
			0, op->u.mmap.off, AT_GIVEN,
		};

		if (len == 0)
			return;
		if (op->u.mmap.has_fd)
			a.obj = PM_OBJ_FILE | (uint32_t)op->u.mmap.fd;
		else if (op->u.mmap.flags & (RME_TRACE_MAP_SHARED | RME_TRACE_MAP_SHARED_VALIDATE))
			a.obj = ++f->shared_objects;
		start = mmap_place(f, op, len, &a.tag);
		if (!op->u.mmap.has_fd && !(op->u.mmap.flags & (RME_TRACE_MAP_SHARED |
		                                                 RME_TRACE_MAP_SHARED_VALIDATE)))
			a.off = start;   /* private anonymous memory: its address, as Linux's vm_pgoff */
		pm_map(&f->map, start, start + len, &a);
		if (bind)
			*bind = start;
		if (op->u.mmap.prot == 0 && len > st->largest_reservation)
			st->largest_reservation = len;
		if (len > st->largest_mapping)
			st->largest_mapping = len;
		return;
	}
	case RME_TRACE_OP_MUNMAP: {
		uint64_t a = rme_trace_addr_eval(&op->u.range.addr, f->slot);

		pm_unmap(&f->map, a, a + pm_round_up(op->u.range.len));
		return;
	}
	case RME_TRACE_OP_MPROTECT: {
		uint64_t a = rme_trace_addr_eval(&op->u.range.addr, f->slot);

		pm_protect(&f->map, a, a + pm_round_up(op->u.range.len), op->u.range.prot);
		return;
	}
	case RME_TRACE_OP_MREMAP: {
		uint64_t old = rme_trace_addr_eval(&op->u.mremap.addr, f->slot);
		uint64_t old_len = pm_round_up(op->u.mremap.old_len);
		uint64_t new_len = pm_round_up(op->u.mremap.new_len), to;
		int tag = -1;    /* -1: the pieces keep theirs */

		if (op->u.mremap.has_fixed) {
			to = rme_trace_addr_eval(&op->u.mremap.fixed, f->slot);
			tag = tag_at(f, to);
		} else if (op->expected.kind == RME_TRACE_RESULT_VALUE) {
			to = rme_trace_result_value(&op->expected, f->slot);
		} else if (new_len <= old_len || grows_in_place(f, old, old_len, new_len)) {
			to = old;
		} else {
			to = layer_place(f, new_len, &tag);   /* chosen while the old place is taken */
		}
		pm_remap(&f->map, old, old + old_len, to, to + new_len);
		if (tag >= 0)
			pm_retag(&f->map, to, to + new_len, tag);
		if (bind)
			*bind = to;
		return;
	}
	case RME_TRACE_OP_MLOCK:
	case RME_TRACE_OP_MUNLOCK: {
		/* the locks split and join VMAs as mprotect does; the start rounds down */
		uint64_t a = rme_trace_addr_eval(&op->u.range.addr, f->slot);
		uint64_t start = a & ~(PM_PAGE - 1), end = pm_round_up(a + op->u.range.len);
		unsigned lock = op->kind == RME_TRACE_OP_MUNLOCK ? 0 : PM_LOCKED |
		                ((op->u.range.flags & RME_MLOCK_ONFAULT) ? PM_LOCKONFAULT : 0);

		pm_lock(&f->map, start, end, lock);
		return;
	}
	case RME_TRACE_OP_MLOCKALL:
	case RME_TRACE_OP_MUNLOCKALL: {
		uint32_t fl = op->kind == RME_TRACE_OP_MLOCKALL ? op->u.range.flags : 0;
		unsigned lock = PM_LOCKED | ((fl & RME_MCL_ONFAULT) ? PM_LOCKONFAULT : 0);

		f->def_lock = (fl & RME_MCL_FUTURE) ? lock : 0;
		if (op->kind == RME_TRACE_OP_MUNLOCKALL || (fl & RME_MCL_CURRENT))
			pm_lock(&f->map, 0, UINT64_MAX, op->kind == RME_TRACE_OP_MUNLOCKALL ? 0 : lock);
		return;
	}
	default:
		return;
	}
}

/* The figures after an operation, into the peaks. */
static void
measure(follower_t *f, int adds_memory)
{
	trace_stats_t *st = f->st;
	uint64_t area_end = st->area_base + st->area_size, given = 0, placed = 0;
	pm_totals_t t;

	pm_totals(&f->map, &t);
	if (t.mappings > st->peak_mappings)
		st->peak_mappings = t.mappings;
	if (t.mapped > st->peak_mapped)
		st->peak_mapped = t.mapped;
	if (t.committed > st->peak_committed)
		st->peak_committed = t.committed;
	/* only what maps memory can take more of the area: look only then */
	if (!st->has_area || !adds_memory)
		return;
	/* the lowest placed piece and the highest given one in the area: O(log n) */
	{
		const pm_piece_t *low = pm_first_tagged(&f->map, st->area_base, area_end, BY_LAYER);
		const pm_piece_t *high = pm_last_tagged(&f->map, st->area_base, area_end, AT_GIVEN);

		if (low)
			placed = area_end - low->start;
		if (high)
			given = high->end - st->area_base;
	}
	if (given + placed > st->area_needed) {
		st->area_needed = given + placed;
		st->given_extent = given;
		st->placed_extent = placed;
	}
}

static void
compute(rme_trace_t *trace, trace_stats_t *st)
{
	const rme_trace_directives_t *d = rme_trace_directives(trace);
	follower_t f;
	size_t n = rme_trace_op_count(trace);

	memset(st, 0, sizeof(*st));
	st->has_area = d->has_mmap_area;
	st->area_base = d->mmap_area_base;
	st->area_size = d->mmap_area_size;
	pm_init(&f.map);
	f.slot = xcalloc(rme_trace_slot_count(trace), sizeof(*f.slot));
	f.next_outside = OUTSIDE_BASE;
	f.shared_objects = 0;
	f.def_lock = 0;
	f.st = st;
	for (size_t i = 0; i < n; i++) {
		const rme_trace_op_t *op = rme_trace_op(trace, i);

		st->ops[op->kind]++;
		st->operations++;
		if (expected_failure(op))
			st->failing++;
		follow(&f, op);
		if (rme_executor_is_libc(op->kind))
			measure(&f, op->kind == RME_TRACE_OP_MMAP || op->kind == RME_TRACE_OP_MREMAP);
	}
	free(f.slot);
	pm_fini(&f.map);
}

/* ---- What the mmap layer needed ----------------------------------------------------- */

/*
 * The RAM and capabilities in use at the peak, from a replay: the model's
 * PD holds nothing but what the trace's operations take (a fresh model
 * uses none), so for a trace of libc-level operations this is what the
 * mmap layer took, its area, chunks and metadata, and for one of
 * Genode-level operations (no mmap-area) what they took. The replay runs with a
 * quota that never limits, so the figures are the need, not the trace's
 * quota directive. The quota that suffices is that, and a page of RAM more:
 * like core, the model wants a page of headroom for an allocation.
 */
typedef struct layer_figures {
	int known;
	const char *why_not;            /* why they are not known */
	uint64_t peak_ram, peak_caps;
	size_t divergences;             /* of the replay they come from */
	uint64_t chunk_size;
} layer_figures_t;

static int
watch_quota(void *ctx, const rme_replay_step_t *step, char *msg, size_t msglen)
{
	layer_figures_t *lf = ctx;
	rme_quota_t q;

	(void)msg;
	(void)msglen;
	rme_quota(step->model, &q);
	if (q.ram_used > lf->peak_ram)
		lf->peak_ram = q.ram_used;
	if (q.cap_used > lf->peak_caps)
		lf->peak_caps = q.cap_used;
	return 0;
}

static void
ignore_diag(void *ctx, size_t line, const char *msg)
{
	(void)ctx;
	(void)line;
	(void)msg;
}

/* The replay counts operations; the progress line counts the trace's lines. */
struct stats_progress {
	const rme_trace_t *trace;
	cli_progress_t line;
};

static void
replay_progress(void *ctx, size_t done, size_t total)
{
	struct stats_progress *sp = ctx;

	(void)total;
	if (done)
		cli_progress_update(&sp->line, rme_trace_op(sp->trace, done - 1)->line);
}

static void
layer_needs(rme_trace_t *trace, const char *name, int quiet, layer_figures_t *out)
{
	rme_replay_options_t opt;
	rme_replay_report_t rep;
	struct stats_progress sp = { trace, { 0 } };
	rme_err_t err;

	memset(out, 0, sizeof(*out));
	out->chunk_size = RME_MMAP_CHUNK_DEFAULT;
	/* without an mmap-area the figures are the Genode-level operations' own */
	memset(&opt, 0, sizeof(opt));
	opt.keep_going = 1;
	opt.unlimited_quota = 1;
	opt.observe = watch_quota;
	opt.observe_ctx = out;
	opt.progress = replay_progress;
	opt.progress_ctx = &sp;
	cli_progress_begin(&sp.line, name, "lines", cli_trace_lines(trace), quiet);
	err = rme_replay(trace, &opt, &rep, ignore_diag, NULL);
	cli_progress_end(&sp.line);
	if (err == RME_ERR_UNSUPPORTED) {
		out->why_not = "this build's replay cannot run the trace";
		return;
	}
	if (err != RME_OK) {
		out->why_not = "the replay could not run";
		return;
	}
	out->known = 1;
	out->divergences = rep.divergences;
}

/* ---- Output -------------------------------------------------------------------------- */

static const rme_trace_op_kind_t libc_ops[] = {
	RME_TRACE_OP_MMAP, RME_TRACE_OP_MUNMAP, RME_TRACE_OP_MPROTECT, RME_TRACE_OP_MREMAP,
	RME_TRACE_OP_MADVISE, RME_TRACE_OP_MSYNC,
};

static void
print_size(FILE *out, uint64_t n)
{
	if (n >= ((uint64_t)1 << 30))
		fprintf(out, "0x%" PRIx64 " (%.1f GiB)", n, (double)n / (double)((uint64_t)1 << 30));
	else if (n >= ((uint64_t)1 << 20))
		fprintf(out, "0x%" PRIx64 " (%.1f MiB)", n, (double)n / (double)((uint64_t)1 << 20));
	else
		fprintf(out, "0x%" PRIx64 " (%.1f KiB)", n, (double)n / 1024.0);
}

static void
print_text(FILE *out, const char *path, const trace_stats_t *st, const layer_figures_t *lf)
{
	int first = 1;

	fprintf(out, "%s\n", path);
	fprintf(out, "  operations:          %zu", st->operations);
	for (size_t k = 0; k < RME_TRACE_OP_COUNT_; k++)
		if (st->ops[k]) {
			fprintf(out, "%s%s %zu", first ? " (" : ", ", rme_trace_op_name((rme_trace_op_kind_t)k),
			        st->ops[k]);
			first = 0;
		}
	fprintf(out, "%s, %zu expected to fail\n", first ? "" : ")", st->failing);
	fprintf(out, "  peak mappings:       %zu\n", st->peak_mappings);
	fprintf(out, "  peak mapped:         ");
	print_size(out, st->peak_mapped);
	fprintf(out, ", reservations included\n  peak committed:      ");
	print_size(out, st->peak_committed);
	fprintf(out, ", all but PROT_NONE\n  largest reservation: ");
	print_size(out, st->largest_reservation);
	fprintf(out, ", largest mapping ");
	print_size(out, st->largest_mapping);
	fprintf(out, "\n  mmap-area needed:    ");
	if (st->has_area) {
		print_size(out, st->area_needed);
		fprintf(out, ": 0x%" PRIx64 " at given addresses from its base, 0x%" PRIx64
		        " placed from its top\n", st->given_extent, st->placed_extent);
		fprintf(out, "  mmap-area declared:  ");
		print_size(out, st->area_size);
		fprintf(out, " at 0x%" PRIx64 "%s\n", st->area_base,
		        st->outside ? "; too small: some mappings did not fit" : "");
	} else {
		fprintf(out, "n/a (the trace has no mmap-area)\n");
	}
	/* without an mmap-area, what the Genode-level operations took */
	fprintf(out, st->has_area ? "  mmap layer needed:   " : "  Genode needed:       ");
	if (lf->known) {
		fprintf(out, "RAM ");
		print_size(out, lf->peak_ram);
		fprintf(out, ", %" PRIu64 " caps at the peak: quota ram=0x%" PRIx64 " caps=%" PRIu64,
		        lf->peak_caps, lf->peak_ram + RME_PAGE_SIZE, lf->peak_caps);
	} else {
		fprintf(out, "RAM n/a, caps n/a (%s)", lf->why_not);
	}
	if (st->has_area) {
		fprintf(out, ",\n                       with chunks of ");
		print_size(out, lf->chunk_size);
	}
	fputc('\n', out);
	if (lf->known && lf->divergences)
		fprintf(out, "  (the replay diverged from the trace %zu times; see rmemu replay)\n",
		        lf->divergences);
}

static void
json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void
print_json(FILE *out, const char *path, const trace_stats_t *st, const layer_figures_t *lf)
{
	fprintf(out, "{\"trace\": ");
	json_string(out, path);
	fprintf(out, ", \"operations\": {\"total\": %zu, \"expected_to_fail\": %zu", st->operations,
	        st->failing);
	for (size_t k = 0; k < RME_TRACE_OP_COUNT_; k++) {
		int libc = 0;

		for (size_t i = 0; i < sizeof(libc_ops) / sizeof(*libc_ops); i++)
			libc |= libc_ops[i] == (rme_trace_op_kind_t)k;
		if (st->ops[k] || libc)
			fprintf(out, ", \"%s\": %zu", rme_trace_op_name((rme_trace_op_kind_t)k), st->ops[k]);
	}
	fprintf(out, "}, \"peak_mappings\": %zu, \"peak_mapped_bytes\": %" PRIu64
	        ", \"peak_committed_bytes\": %" PRIu64 ", \"largest_reservation_bytes\": %" PRIu64
	        ", \"largest_mapping_bytes\": %" PRIu64 ", ",
	        st->peak_mappings, st->peak_mapped, st->peak_committed, st->largest_reservation,
	        st->largest_mapping);
	if (st->has_area)
		fprintf(out, "\"mmap_area\": {\"base\": %" PRIu64 ", \"size\": %" PRIu64
		        ", \"needed_bytes\": %" PRIu64 ", \"given_extent_bytes\": %" PRIu64
		        ", \"placed_extent_bytes\": %" PRIu64 ", \"did_not_fit\": %zu}, ",
		        st->area_base, st->area_size, st->area_needed, st->given_extent, st->placed_extent,
		        st->outside);
	else
		fprintf(out, "\"mmap_area\": null, ");
	if (st->has_area)
		fprintf(out, "\"mmap_layer\": {\"chunk_size\": %" PRIu64 ", ", lf->chunk_size);
	else
		fprintf(out, "\"genode\": {");
	if (lf->known)
		fprintf(out, "\"peak_ram_bytes\": %" PRIu64 ", \"peak_caps\": %" PRIu64
		        ", \"quota_ram_bytes\": %" PRIu64 ", \"quota_caps\": %" PRIu64
		        ", \"replay_divergences\": %zu}}\n", lf->peak_ram, lf->peak_caps,
		        lf->peak_ram + RME_PAGE_SIZE, lf->peak_caps, lf->divergences);
	else {
		fprintf(out, "\"peak_ram_bytes\": null, \"peak_caps\": null, \"note\": ");
		json_string(out, lf->why_not);
		fprintf(out, "}}\n");
	}
}

static void
stats_usage(FILE *out)
{
	fputs("usage: rmemu stats [--json] [--quiet] TRACE...\n"
	      "\n"
	      "What a trace asks of Genode: operations by kind, the peak number of mappings,\n"
	      "peak mapped and committed bytes, the largest reservation, the mmap-area it\n"
	      "needs, and what the mmap layer needed on the model.\n"
	      "\n"
	      "  -j, --json   one JSON object per trace, one per line\n"
	      "  -q, --quiet  no progress line\n"
	      "  -h, --help   show this help\n"
	      "\n"
	      "Exit status: 0, or 2 on bad usage or a trace that does not parse.\n", out);
}

int
cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, quiet = 0, c, status = EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': stats_usage(stdout); return EXIT_OK;
		default: cli_usage_error("stats", NULL); return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		cli_usage_error("stats", "no TRACE given");
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		const char *name = cli_name(argv[i]);
		rme_trace_t *trace = cli_load_trace(argv[i], NULL, NULL);
		trace_stats_t st;
		layer_figures_t lf;

		if (!trace) {
			status = EXIT_USAGE;
			continue;
		}
		compute(trace, &st);
		layer_needs(trace, name, quiet, &lf);
		if (json)
			print_json(stdout, name, &st, &lf);
		else
			print_text(stdout, name, &st, &lf);
		rme_trace_free(trace);
	}
	return status;
}
