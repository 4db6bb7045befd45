/*
 * trace_cmds.c: the subcommands that work on traces: replay, check, fmt.
 */
/* getopt_long is GNU, not C11 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmemu/rmemu.h>

#include "cli.h"
#include "linux_diff.h"
#include "progress.h"

/* A parsed trace with the text it came from, for one file on the command line. */
struct loaded {
	const char *path;
	rme_trace_t *trace;
};

/* Read and parse one file; on failure prints why and returns -1. */
static int
load(const char *path, struct loaded *out)
{
	out->path = cli_name(path);
	out->trace = cli_load_trace(path, NULL, NULL);
	return out->trace ? 0 : -1;
}

/* ---- replay ---------------------------------------------------------------------- */

struct replay_ui {
	const char *path;
	const rme_trace_t *trace;
	cli_progress_t progress;
};

static void
print_divergence(void *ctx, size_t line, const char *msg)
{
	struct replay_ui *ui = ctx;

	cli_progress_clear(&ui->progress);
	if (line)
		fprintf(stderr, "%s:%zu: %s\n", ui->path, line, msg);
	else
		fprintf(stderr, "rmemu: %s: %s\n", ui->path, msg);
}

/* The replay counts operations; a person reads the trace's lines. */
static void
print_progress(void *ctx, size_t done, size_t total)
{
	struct replay_ui *ui = ctx;

	(void)total;
	if (done)
		cli_progress_update(&ui->progress, rme_trace_op(ui->trace, done - 1)->line);
}

/*
 * What the model's quota changed by since the first operation, noted at
 * every expect-quota and expect-leak-free as the rmemu_replay component
 * notes what it measured on Genode, so that 'rmemu diff' compares both.
 * Chains to the Linux comparison when that is on.
 */
struct quota_note {
	size_t index;                   /* of the operation */
	long long ram, caps;
};

struct quota_notes {
	struct quota_note *v;           /* in operation order */
	size_t n, cap, cursor;
	char text[64];
	struct linux_diff *linux_diff;  /* or NULL */
};

static int
noted(rme_trace_op_kind_t kind)
{
	return kind == RME_TRACE_OP_EXPECT_QUOTA || kind == RME_TRACE_OP_EXPECT_LEAK_FREE;
}

/*
 * Room for a note at every check of the trace, taken before the replay, so
 * that no note can go missing for lack of memory on the way (rmemu diff
 * would find the missing ones; the command stops before that). 0 or -1.
 */
static int
quota_notes_prepare(struct quota_notes *qn, const rme_trace_t *trace)
{
	size_t n = 0;

	for (size_t i = 0; i < rme_trace_op_count(trace); i++)
		n += noted(rme_trace_op(trace, i)->kind);
	qn->v = malloc((n ? n : 1) * sizeof(*qn->v));
	qn->cap = n;
	return qn->v ? 0 : -1;
}

static int
quota_notes_observe(void *ctx, const rme_replay_step_t *step, char *msg, size_t msglen)
{
	struct quota_notes *qn = ctx;

	if (noted(step->op->kind)) {
		rme_quota_t q;

		if (qn->n == qn->cap) {
			snprintf(msg, msglen, "internal error: more checks than quota notes");
			return 1;
		}
		rme_quota(step->model, &q);
		qn->v[qn->n++] = (struct quota_note){
			step->index,
			(long long)(q.ram_used - step->start_quota->ram_used),
			(long long)(q.cap_used - step->start_quota->cap_used),
		};
	}
	return qn->linux_diff ? linux_diff_observe(qn->linux_diff, step, msg, msglen) : 0;
}

/* The printer asks in operation order, so a cursor finds each note. */
static const char *
quota_note(void *ctx, size_t index)
{
	struct quota_notes *qn = ctx;
	const struct quota_note *e;

	while (qn->cursor < qn->n && qn->v[qn->cursor].index < index)
		qn->cursor++;
	if (qn->cursor == qn->n || qn->v[qn->cursor].index != index)
		return NULL;
	e = &qn->v[qn->cursor];
	snprintf(qn->text, sizeof(qn->text), "measured: ram=%s0x%llx caps=%lld",
	         e->ram < 0 ? "-" : "", (unsigned long long)(e->ram < 0 ? -e->ram : e->ram), e->caps);
	return qn->text;
}

static void
quota_notes_reset(struct quota_notes *qn)
{
	free(qn->v);
	qn->v = NULL;
	qn->n = qn->cap = qn->cursor = 0;
}

static void
replay_usage(FILE *out)
{
	fputs("usage: rmemu replay [OPTIONS] TRACE...   (- reads standard input)\n"
	      "\n"
	      "Replay each trace against a fresh model and compare every result with the\n"
	      "trace's expectation; report each divergence as FILE:LINE: expected X, got Y.\n"
	      "\n"
	      "  -o, --out FILE   write the canonical trace with the actual results (one TRACE)\n"
	      "  -k, --keep-going go on after a divergence (default: stop at the first)\n"
	      "  -t, --teardown   remove everything the trace left, then check that every\n"
	      "                   resource is back\n"
	      "  -c, --check      check the model's invariants after every operation\n"
	      "  -l, --linux      also run the libc-level operations on the Linux kernel and\n"
	      "                   compare results, errno, mapped pages and rights, and bytes\n"
	      "                   read after every operation (quota does not limit then)\n"
	      "  -q, --quiet      no summary, no progress line\n"
	      "  -h, --help       show this help\n"
	      "\n"
	      "RAM the trace left (a name, a region or a mapping still refers to it) is\n"
	      "reclaimed by --teardown; RAM it lost (nothing refers to it any more) is a\n"
	      "leak, reported as FILE:LINE where it was allocated, with or without it.\n"
	      "\n"
	      "Exit status: 0 if every expectation holds, 1 on a divergence or a leak,\n"
	      "2 on bad usage or input.\n", out);
}

/* What one 'rmemu replay' does to every trace it is given. */
struct replay_cmd {
	rme_replay_options_t opt;
	const char *out_path;
	int quiet, against_linux;
	struct linux_diff ld;
	struct quota_notes qn;
};

/* The options into rc; -1 to go on, else the exit status. */
static int
replay_options(int argc, char **argv, struct replay_cmd *rc)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "teardown", no_argument, NULL, 't' },
		{ "check", no_argument, NULL, 'c' },
		{ "linux", no_argument, NULL, 'l' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:ktclqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': rc->out_path = optarg; break;
		case 'k': rc->opt.keep_going = 1; break;
		case 't': rc->opt.teardown = 1; break;
		case 'c': rc->opt.check = 1; break;
		case 'l': rc->against_linux = 1; break;
		case 'q': rc->quiet = 1; break;
		case 'h': replay_usage(stdout); return EXIT_OK;
		default: cli_usage_error("replay", NULL); return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		cli_usage_error("replay", "no TRACE given");
		return EXIT_USAGE;
	}
	if (rc->against_linux) {
		linux_diff_init(&rc->ld);
		rc->opt.observe = linux_diff_observe;
		rc->opt.observe_ctx = &rc->ld;
		rc->opt.unlimited_quota = 1;   /* only Genode has quota: it would differ by design */
	}
	if (rc->out_path && argc - optind > 1) {
		fprintf(stderr, "rmemu replay: --out takes one trace, %d were given\n", argc - optind);
		return EXIT_USAGE;
	}
	if (rc->out_path && cli_same_file(rc->out_path, argv[optind])) {
		fprintf(stderr, "rmemu replay: --out %s is the trace being replayed; write the result "
		        "elsewhere\n", rc->out_path);
		return EXIT_USAGE;
	}
	return -1;
}

/*
 * What the Linux comparison of one trace found; then it is ready for the
 * next. The comparison must have taken every operation Linux can run among
 * the first ran of the trace, up to a documented stop: returns 0 if it
 * did, else -1 (also when it compared nothing at all) with the reason said.
 */
static int
report_linux(struct replay_cmd *rc, const char *path, const rme_trace_t *trace, size_t ran)
{
	struct linux_diff *ld = &rc->ld;
	size_t holds = 0, last = 0;
	char documented[512] = "";
	int ok = 1;

	/* what the trace holds for Linux, counted from the trace, not by the comparison */
	for (size_t i = 0; rme_trace_directives(trace)->has_mmap_area && i < ran; i++) {
		const rme_trace_op_t *op = rme_trace_op(trace, i);

		if (ld->has_stop && (op->line > ld->stop_line ||
		                     (ld->stop_before && op->line == ld->stop_line)))
			break;
		if (linux_diff_comparable(op->kind)) {
			holds++;
			last = op->line;
		}
	}
	for (int d = 0; d < LD_DOCUMENTED_COUNT; d++) {
		size_t len = strlen(documented);

		if (ld->documented[d])
			snprintf(documented + len, sizeof(documented) - len, "%s%s %zu", len ? ", " : "",
			         linux_documented_name((linux_documented_t)d), ld->documented[d]);
	}
	if (ld->compared == 0) {
		fprintf(stderr, "%s: linux: nothing compared: %s\n", path,
		        ld->why_disabled[0] ? ld->why_disabled : "no operation that Linux can run");
		ok = 0;
	} else if (ld->compared + ld->skipped != holds) {
		fprintf(stderr, "%s: linux: only %zu of the %zu operations up to line %zu were compared "
		        "(%zu outside the area)\n", path, ld->compared, holds, last, ld->skipped);
		ok = 0;
	} else if (!rc->quiet || ld->has_stop) {
		fprintf(stderr, "%s: linux: %zu operations compared of %zu, %zu differences, "
		        "%zu outside the area not run; %zu ranges compared, %zu of them the whole area, "
		        "%zu deferred to it; %zu whole mappings files read; documented differences: %s",
		        path, ld->compared, holds, ld->differences, ld->skipped, ld->compared_ranges,
		        ld->full_compares, ld->deferred, ld->maps.reads,
		        documented[0] ? documented : "none");
		if (ld->has_stop)
			fprintf(stderr, "; stopped at line %zu at a documented difference, %s",
			        ld->stop_line, ld->why_disabled);
		fputc('\n', stderr);
	}
	linux_diff_finish(ld);
	return ok ? 0 : -1;
}

/* --out: the canonical trace with the actual results and the quota notes; 0 or -1. */
static int
write_replayed(struct replay_cmd *rc, const struct loaded *t)
{
	FILE *f = strcmp(rc->out_path, "-") == 0 ? stdout : fopen(rc->out_path, "w");

	if (!f) {
		fprintf(stderr, "rmemu replay: %s: %s\n", rc->out_path, strerror(errno));
		return -1;
	}
	rme_trace_print_annotated(t->trace, 1, quota_note, &rc->qn, cli_write_file, f);
	if (f != stdout && fclose(f) != 0) {
		fprintf(stderr, "rmemu replay: %s: %s\n", rc->out_path, strerror(errno));
		return -1;
	}
	return 0;
}

static void
print_replay_summary(const char *path, const rme_replay_report_t *rep)
{
	fprintf(stderr, "%s: %zu operations, %zu divergence%s; in use at the end: "
	        "RAM 0x%" PRIx64 ", %" PRIu64 " caps",
	        path, rep->operations, rep->divergences, rep->divergences == 1 ? "" : "s",
	        rep->quota.ram_used, rep->quota.cap_used);
	if (rep->leaks.left)
		fprintf(stderr, "; left %" PRIu64 " RAM dataspace%s of 0x%" PRIx64 " bytes%s",
		        rep->leaks.left, rep->leaks.left == 1 ? "" : "s", rep->leaks.left_ram,
		        rep->torn_down ? ", reclaimed by the teardown" : "");
	if (rep->leaks.lost)
		fprintf(stderr, "; LOST %" PRIu64 " RAM dataspace%s of 0x%" PRIx64 " bytes that "
		        "nothing refers to any more", rep->leaks.lost, rep->leaks.lost == 1 ? "" : "s",
		        rep->leaks.lost_ram);
	if (rep->torn_down)
		fprintf(stderr, "; after teardown %s%s", rep->leak_free ? "leak-free" : "NOT leak-free: ",
		        rep->leak_free ? "" : rep->leak_msg);
	fputc('\n', stderr);
}

/* Replay one trace file; *status becomes EXIT_USAGE or (if still OK) EXIT_DIVERGED as it goes. */
static void
replay_one(struct replay_cmd *rc, const char *arg, int *status)
{
	struct loaded t;
	struct replay_ui ui = { 0 };
	rme_replay_report_t rep;
	rme_err_t err;

	if (load(arg, &t) != 0) {
		*status = EXIT_USAGE;
		return;
	}
	ui.path = t.path;
	ui.trace = t.trace;
	cli_progress_begin(&ui.progress, t.path, "lines", cli_trace_lines(t.trace), rc->quiet);
	rc->opt.progress = print_progress;
	rc->opt.progress_ctx = &ui;
	if (rc->out_path) {
		if (quota_notes_prepare(&rc->qn, t.trace) != 0) {
			fprintf(stderr, "%s: out of memory for the quota notes of --out\n", t.path);
			*status = EXIT_USAGE;
			rme_trace_free(t.trace);
			return;
		}
		rc->qn.linux_diff = rc->against_linux ? &rc->ld : NULL;
		rc->opt.observe = quota_notes_observe;
		rc->opt.observe_ctx = &rc->qn;
	}
	err = rme_replay(t.trace, &rc->opt, &rep, print_divergence, &ui);
	cli_progress_end(&ui.progress);
	if (rc->against_linux && err == RME_OK && report_linux(rc, t.path, t.trace, rep.operations) != 0)
		*status = EXIT_DIVERGED;
	else if (rc->against_linux)
		linux_diff_finish(&rc->ld);
	if (err != RME_OK) {
		if (err != RME_ERR_UNSUPPORTED && err != RME_ERR_INVALID_ARGUMENT)
			fprintf(stderr, "rmemu: %s: replay failed: %s\n", t.path, rme_err_str(err));
		*status = EXIT_USAGE;
	} else {
		if (rc->out_path && write_replayed(rc, &t) != 0)
			*status = EXIT_USAGE;
		if (!rc->quiet)
			print_replay_summary(t.path, &rep);
		if ((rep.divergences || rep.leaks.lost || (rep.torn_down && !rep.leak_free)) &&
		    *status == EXIT_OK)
			*status = EXIT_DIVERGED;
	}
	rme_trace_free(t.trace);
	quota_notes_reset(&rc->qn);
}

int
cmd_replay(int argc, char **argv)
{
	/* under Valgrind, RAM that the trace (or an mmap layer) never frees is a leak */
	struct replay_cmd rc = { .opt = { .memcheck_blocks = 1 } };
	int status = EXIT_OK, done;

	if ((done = replay_options(argc, argv, &rc)) >= 0)
		return done;
	for (int i = optind; i < argc; i++)
		replay_one(&rc, argv[i], &status);
	return status;
}

/* ---- check, fmt ------------------------------------------------------------------ */

/* check and fmt take no options but --help; "-" alone is standard input. */
static int
plain_options(const char *cmd, int argc, char **argv, void (*usage)(FILE *))
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		}
		cli_usage_error(cmd, NULL);
		return EXIT_USAGE;
	}
	return -1;
}

static void
check_usage(FILE *out)
{
	fputs("usage: rmemu check TRACE...   (- reads standard input)\n\nParse each trace and report "
	      "errors as FILE:LINE:COLUMN: message.\nExit status: 0 if all parse, 2 otherwise.\n", out);
}

static void
fmt_usage(FILE *out)
{
	fputs("usage: rmemu fmt TRACE   (- reads standard input)\n\nPrint the trace in canonical form "
	      "on standard output.\n", out);
}

int
cmd_check(int argc, char **argv)
{
	int status = EXIT_OK, done;

	if ((done = plain_options("check", argc, argv, check_usage)) >= 0)
		return done;
	if (optind == argc) {
		cli_usage_error("check", "no TRACE given");
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		struct loaded t;

		if (load(argv[i], &t) != 0) {
			status = EXIT_USAGE;
			continue;
		}
		printf("%s: ok, %zu operations\n", t.path, rme_trace_op_count(t.trace));
		rme_trace_free(t.trace);
	}
	return status;
}

int
cmd_fmt(int argc, char **argv)
{
	struct loaded t;
	int done;

	if ((done = plain_options("fmt", argc, argv, fmt_usage)) >= 0)
		return done;
	if (argc - optind != 1) {
		cli_usage_error("fmt", "expected one TRACE");
		return EXIT_USAGE;
	}
	if (load(argv[optind], &t) != 0)
		return EXIT_USAGE;
	rme_trace_print(t.trace, 0, cli_write_file, stdout);
	rme_trace_free(t.trace);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}
