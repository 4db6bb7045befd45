/*
 * show_count.c: what the model holds at given lines of a trace, counted
 * the plain way, for tests/show.test and tests/show_browser.test to hold
 * what 'rmemu show' draws against. It shares no code with show: it replays
 * the trace itself and, at each line, walks env's regions (rme_rm_regions)
 * and every nested map where a region of its parent attaches it, as deep
 * as show draws (6 maps), counting the regions and queued faulters that
 * fall inside; the mmap layer's pieces and VMAs come from its statistics.
 *
 * usage: show_count TRACE LINE...
 * prints for each LINE: LINE STEP REGIONS PIECES VMAS FAULTERS
 * (STEP: the operations done by then, as the page's slider counts them)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmemu/rmemu.h>

enum { MAX_DEPTH = 6 };

struct counts {
	uint64_t regions, pieces, vmas, faulters;
};

struct walk {
	const rme_model_t *model;
	uint64_t lo, hi, shift;
	unsigned depth;
	struct counts *c;
};

static void walk_map(const rme_model_t *m, rme_cap_t rm, uint64_t lo, uint64_t hi, uint64_t shift,
                     unsigned depth, struct counts *c);

static int
on_region(void *ctx, const rme_region_info_t *r)
{
	struct walk *w = ctx;
	uint64_t lo = r->base + w->shift, hi = lo + r->size;
	rme_ds_info_t info;

	if (hi < lo)
		hi = UINT64_MAX;
	if (hi <= w->lo || lo >= w->hi)
		return 0;
	w->c->regions++;
	if (r->ds && rme_ds_info(w->model, r->ds, &info) == RME_OK && info.kind == RME_DS_MANAGED &&
	    w->depth + 1 < MAX_DEPTH)
		walk_map(w->model, info.rm, lo > w->lo ? lo : w->lo, hi < w->hi ? hi : w->hi,
		         lo - r->offset, w->depth + 1, w->c);
	return 0;
}

static int
on_faulter(void *ctx, const rme_fault_t *f)
{
	struct walk *w = ctx;
	uint64_t a = f->addr + w->shift;

	w->c->faulters += a >= w->lo && a < w->hi;
	return 0;
}

static void
walk_map(const rme_model_t *m, rme_cap_t rm, uint64_t lo, uint64_t hi, uint64_t shift,
         unsigned depth, struct counts *c)
{
	struct walk w = { m, lo, hi, shift, depth, c };

	(void)rme_rm_regions(m, rm, on_region, &w);
	(void)rme_rm_faulters(m, rm, on_faulter, &w);
}

struct job {
	const rme_trace_t *trace;
	size_t *want_steps, nwant;
	uint64_t *lines;
	struct counts *out;
};

static void
count_now(struct job *j, rme_model_t *m, rme_mmap_t *mm, size_t step)
{
	for (size_t k = 0; k < j->nwant; k++) {
		struct counts *c = &j->out[k];

		if (j->want_steps[k] != step)
			continue;
		memset(c, 0, sizeof(*c));
		walk_map(m, rme_env(m), 0, UINT64_MAX, 0, 0, c);
		if (mm) {
			rme_mmap_stats_t st;
			rme_mmap_stats(mm, &st);
			c->pieces = st.pieces;
			c->vmas = rme_mmap_count(mm);
		}
	}
}

static void
on_start(void *ctx, const rme_replay_step_t *step)
{
	count_now(ctx, step->model, step->mmap, 0);
}

static int
on_step(void *ctx, const rme_replay_step_t *step, char *msg, size_t msglen)
{
	(void)msg;
	(void)msglen;
	count_now(ctx, step->model, step->mmap, step->index + 1);
	return 0;
}

static void
quiet(void *ctx, size_t line, const char *msg)
{
	(void)ctx;
	(void)line;
	(void)msg;
}

int
main(int argc, char **argv)
{
	FILE *f;
	char *text = NULL;
	size_t len = 0, cap = 0, got;
	rme_trace_t *trace;
	rme_trace_error_t err;
	rme_replay_options_t opt;
	rme_replay_report_t rep;
	struct job j;

	if (argc < 3 || !(f = fopen(argv[1], "rb"))) {
		fprintf(stderr, "usage: show_count TRACE LINE...\n");
		return 2;
	}
	do {
		if (len == cap && !(text = realloc(text, cap = cap ? 2 * cap : 1 << 16)))
			return 2;
		got = fread(text + len, 1, cap - len, f);
		len += got;
	} while (got);
	fclose(f);
	if (rme_trace_parse(argv[1], text, len, NULL, &trace, &err) != RME_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return 2;
	}
	free(text);
	j.trace = trace;
	j.nwant = (size_t)argc - 2;
	j.want_steps = calloc(j.nwant, sizeof(size_t));
	j.lines = calloc(j.nwant, sizeof(uint64_t));
	j.out = calloc(j.nwant, sizeof(struct counts));
	if (!j.want_steps || !j.lines || !j.out)
		return 2;
	for (size_t k = 0; k < j.nwant; k++) {
		j.lines[k] = strtoull(argv[k + 2], NULL, 0);
		for (size_t i = 0; i < rme_trace_op_count(trace); i++)
			if (rme_trace_op(trace, i)->line <= j.lines[k])
				j.want_steps[k] = i + 1;
	}
	memset(&opt, 0, sizeof(opt));
	opt.keep_going = 1;
	opt.observe = on_step;
	opt.observe_ctx = &j;
	opt.start = on_start;
	if (rme_replay(trace, &opt, &rep, quiet, NULL) != RME_OK) {
		fprintf(stderr, "%s: the replay failed\n", argv[1]);
		return 2;
	}
	for (size_t k = 0; k < j.nwant; k++)
		printf("%" PRIu64 " %zu %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", j.lines[k],
		       j.want_steps[k], j.out[k].regions, j.out[k].pieces, j.out[k].vmas, j.out[k].faulters);
	free(j.want_steps);
	free(j.lines);
	free(j.out);
	rme_trace_free(trace);
	return 0;
}
