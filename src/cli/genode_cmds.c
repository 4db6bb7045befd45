/*
 * genode_cmds.c: the subcommands that close the loop with real Genode:
 * genode-log (extract the canonical trace that the rmemu_replay component
 * printed to a Genode log) and diff (compare two canonical traces
 * operation by operation).
 */
/* getopt_long is GNU */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rmemu/rmemu.h>

#include "cli.h"

/* The mark the component puts before every line of its trace. */
#define GENODE_LOG_MARK "[rmemu] "
/*
 * The mark of the lines that say where a run came from (Genode's version,
 * kernel, emulator, the component's version, the input), printed by
 * genode/run/rmemu_replay.run before the boot as "KEY: VALUE".
 */
#define GENODE_PROVENANCE_MARK "[rmemu-provenance] "

/* ---- genode-log ----------------------------------------------------------- */

/* Copy one marked line's text, without terminal escape sequences and CRs. */
static void
put_clean(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\033') {
			/* CSI: ESC [ parameters final-byte */
			i++;
			if (i < len && s[i] == '[') {
				i++;
				while (i < len && !(s[i] >= 0x40 && s[i] <= 0x7e))
					i++;
			}
			continue;
		}
		if (s[i] == '\r')
			continue;
		fputc(s[i], out);
	}
	fputc('\n', out);
}

static void
genode_log_usage(FILE *out)
{
	fputs("usage: rmemu genode-log [-o FILE] LOG\n"
	      "\n"
	      "Extract the canonical trace that the rmemu_replay component printed to a\n"
	      "Genode log: the text after \"" GENODE_LOG_MARK "\" on every line that has it, in\n"
	      "order. If the log holds several runs, the last one is taken. The lines\n"
	      "marked \"" GENODE_PROVENANCE_MARK "\" before it (since the run before) come\n"
	      "first, as comments: where the trace came from.\n"
	      "\n"
	      "Exit status: 0 for a run that finished ([rmemu-done]), 1 if the component\n"
	      "reported an error, 2 for a run that did not finish (the trace is still\n"
	      "written), bad usage or a log without a trace.\n"
	      "\n"
	      "  -o, --out FILE  write the trace to FILE instead of standard output\n"
	      "  -h, --help      show this help\n", out);
}

/*
 * The log is read twice, a line at a time: first to find where the last
 * run starts, then to copy it out. Standard input or a pipe is copied to a
 * temporary file on the first pass, so that memory stays bounded.
 */
static int
genode_log_pass(const char *path, FILE *copy, size_t *run_start, size_t *provenance_start)
{
	cli_lines_t in;
	const char *line;
	size_t n;
	int got;

	if (cli_lines_open(&in, path) != 0)
		return -1;
	*run_start = 0;
	*provenance_start = 1;
	while ((got = cli_lines_next(&in, &line, &n)) > 0) {
		const char *m = memmem(line, n, GENODE_LOG_MARK, strlen(GENODE_LOG_MARK));

		if (copy) {
			fwrite(line, 1, n, copy);
			fputc('\n', copy);
		}
		if (m) {
			const char *rest = m + strlen(GENODE_LOG_MARK);

			if ((size_t)(line + n - rest) >= 13 && strncmp(rest, "rmemu-trace 1", 13) == 0) {
				if (*run_start)
					*provenance_start = *run_start;
				*run_start = in.line;
			}
		}
	}
	cli_lines_close(&in);
	return got < 0 ? -1 : 0;
}

int
cmd_genode_log(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *out_path = NULL, *path, *line;
	size_t run_start, provenance_start, provenance = 0, n;
	int done = 0, failed = 0, c, got;
	FILE *out, *copy = NULL;
	char copy_path[] = "/tmp/rmemu-genode-log-XXXXXX";
	cli_lines_t in;
	struct stat st;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out_path = optarg; break;
		case 'h': genode_log_usage(stdout); return EXIT_OK;
		default: cli_usage_error("genode-log", NULL); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_usage_error("genode-log", "expected one LOG");
		return EXIT_USAGE;
	}
	path = argv[optind];
	if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		int fd = mkstemp(copy_path);

		if (fd < 0 || !(copy = fdopen(fd, "w+"))) {
			fprintf(stderr, "rmemu genode-log: a temporary file: %s\n", strerror(errno));
			return EXIT_USAGE;
		}
		unlink(copy_path);
	}
	if (genode_log_pass(path, copy, &run_start, &provenance_start) != 0)
		goto fail;
	if (!run_start) {
		fprintf(stderr, "rmemu genode-log: %s: no line marked \"%s\" with a trace header\n",
		        cli_name(path), GENODE_LOG_MARK);
		goto fail;
	}
	if (copy) {
		/* the second pass reads the copy */
		if (fflush(copy) != 0 || fseek(copy, 0, SEEK_SET) != 0) {
			fprintf(stderr, "rmemu genode-log: a temporary file: %s\n", strerror(errno));
			goto fail;
		}
		memset(&in, 0, sizeof(in));
		in.path = path;
		in.f = copy;
		copy = NULL;
	} else if (cli_lines_open(&in, path) != 0) {
		goto fail;
	}
	out = out_path ? fopen(out_path, "w") : stdout;
	if (!out) {
		fprintf(stderr, "rmemu genode-log: %s: %s\n", out_path, strerror(errno));
		cli_lines_close(&in);
		return EXIT_USAGE;
	}
	while ((got = cli_lines_next(&in, &line, &n)) > 0) {
		const char *m;

		if (in.line < provenance_start)
			continue;
		if (in.line < run_start) {
			/* the provenance header: "# KEY: VALUE" for each provenance line */
			m = memmem(line, n, GENODE_PROVENANCE_MARK, strlen(GENODE_PROVENANCE_MARK));
			if (m) {
				const char *rest = m + strlen(GENODE_PROVENANCE_MARK);

				fputs("# ", out);
				put_clean(out, rest, (size_t)(line + n - rest));
				provenance++;
			}
			continue;
		}
		m = memmem(line, n, GENODE_LOG_MARK, strlen(GENODE_LOG_MARK));
		if (m) {
			const char *rest = m + strlen(GENODE_LOG_MARK);

			put_clean(out, rest, (size_t)(line + n - rest));
		}
		if (memmem(line, n, "[rmemu-done]", 12))
			done = 1;
		if (memmem(line, n, "[rmemu-error]", 13))
			failed = 1;
	}
	cli_lines_close(&in);
	if ((out != stdout ? fclose(out) : fflush(out)) != 0 || got < 0) {
		if (got >= 0)
			fprintf(stderr, "rmemu genode-log: %s: %s\n", out_path ? out_path : "standard output",
			        strerror(errno));
		return EXIT_USAGE;
	}
	if (failed) {
		fprintf(stderr, "rmemu genode-log: %s: the component reported an error\n", cli_name(path));
		return EXIT_DIVERGED;
	}
	if (!done) {
		/* the component crashed, hung or the log was cut: what it printed is no whole run */
		fprintf(stderr, "rmemu genode-log: %s: no [rmemu-done] line after the last run's trace: "
		        "the run did not finish (it crashed, or the log is cut short)\n", cli_name(path));
		return EXIT_USAGE;
	}
	if (!provenance)
		fprintf(stderr, "rmemu genode-log: %s: warning: no \"%s\" lines: the trace does not say where it came from\n",
		        cli_name(path), GENODE_PROVENANCE_MARK);
	return EXIT_OK;
fail:
	if (copy)
		fclose(copy);
	return EXIT_USAGE;
}

/* ---- diff ----------------------------------------------------------------- */

struct side {
	const char *path;
	char *text;
	size_t len;
	rme_trace_t *trace;
	const char **line_start;   /* each source line's start, 1-based */
	size_t nlines;
	uint64_t *values;          /* address slots' values, from the results */
	unsigned char *placed;     /* 1: the slot's value was placed by env */
};

static void
side_free(struct side *s)
{
	rme_trace_free(s->trace);
	free(s->text);
	free(s->line_start);
	free(s->values);
	free(s->placed);
}

static int
side_load(const char *path, struct side *s)
{
	size_t n = 0;

	memset(s, 0, sizeof(*s));
	s->path = path;
	s->trace = cli_load_trace(path, &s->text, &s->len);
	if (!s->trace)
		return -1;
	for (size_t i = 0; i < s->len; i++)
		if (s->text[i] == '\n')
			n++;
	s->line_start = calloc(n + 2, sizeof(*s->line_start));
	s->values = calloc(rme_trace_slot_count(s->trace) + 1, sizeof(*s->values));
	s->placed = calloc(rme_trace_slot_count(s->trace) + 1, 1);
	if (!s->line_start || !s->values || !s->placed) {
		fprintf(stderr, "rmemu diff: out of memory\n");
		return -1;
	}
	s->line_start[1] = s->text;
	s->nlines = 1;
	for (size_t i = 0; i < s->len; i++)
		if (s->text[i] == '\n' && s->nlines <= n)
			s->line_start[++s->nlines] = s->text + i + 1;
	return 0;
}

/* The text of source line n without its result and comment, in buf. */
static const char *
op_text(const struct side *s, size_t n, char *buf, size_t size)
{
	const char *p, *end;
	size_t k = 0;

	if (n < 1 || n > s->nlines) {
		snprintf(buf, size, "?");
		return buf;
	}
	p = s->line_start[n];
	end = s->text + s->len;
	while (p < end && *p != '\n' && *p != '#' && k + 1 < size) {
		if (p + 3 < end && p[0] == ' ' && p[1] == '-' && p[2] == '>' && p[3] == ' ')
			break;
		buf[k++] = *p++;
	}
	while (k > 0 && (buf[k - 1] == ' ' || buf[k - 1] == '\t'))
		k--;
	buf[k] = '\0';
	return buf;
}

/* Where mark starts on source line n (its end in *end), or NULL. */
static const char *
line_find(const struct side *s, size_t n, const char *mark, const char **end)
{
	const char *p;

	if (n < 1 || n > s->nlines)
		return NULL;
	p = s->line_start[n];
	*end = memchr(p, '\n', (size_t)(s->text + s->len - p));
	if (!*end)
		*end = s->text + s->len;
	return memmem(p, (size_t)(*end - p), mark, strlen(mark));
}

/* Whether source line n carries the component's "# skipped" mark. */
static int
line_skipped(const struct side *s, size_t n)
{
	const char *end;

	return line_find(s, n, "# skipped", &end) != NULL;
}

/*
 * The quota change noted on source line n ("# measured: ram=0x... caps=N",
 * by the component on Genode and by 'rmemu replay --out' on the model);
 * 0 if the line has none.
 */
static int
line_measured(const struct side *s, size_t n, long long *ram, long long *caps)
{
	static const char mark[] = "# measured: ram=";
	const char *m, *end;
	char buf[96];
	size_t len;
	int neg;
	unsigned long long r;

	m = line_find(s, n, mark, &end);
	if (!m)
		return 0;
	m += sizeof(mark) - 1;
	len = (size_t)(end - m) < sizeof(buf) - 1 ? (size_t)(end - m) : sizeof(buf) - 1;
	memcpy(buf, m, len);
	buf[len] = '\0';
	neg = buf[0] == '-';
	if (sscanf(buf + neg, "0x%llx caps=%lld", &r, caps) != 2)
		return 0;
	*ram = neg ? -(long long)r : (long long)r;
	return 1;
}

/* An operation with its result and line number cleared, for comparing operands. */
static rme_trace_op_t
operands(const rme_trace_op_t *op)
{
	rme_trace_op_t o = *op;

	o.line = 0;
	memset(&o.expected, 0, sizeof(o.expected));
	memset(&o.actual, 0, sizeof(o.actual));
	return o;
}

static int
same_result(const rme_trace_result_t *a, const rme_trace_result_t *b)
{
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case RME_TRACE_RESULT_NONE:
	case RME_TRACE_RESULT_OK:
	case RME_TRACE_RESULT_FAULT_ANY:
	case RME_TRACE_RESULT_UNHANDLED_ANY:
		return 1;
	case RME_TRACE_RESULT_VALUE:
		return a->value == b->value;
	case RME_TRACE_RESULT_ERROR:
		return a->error == b->error;
	case RME_TRACE_RESULT_ERRNO:
		return strcmp(a->errno_name, b->errno_name) == 0;
	case RME_TRACE_RESULT_FAULT:
	case RME_TRACE_RESULT_UNHANDLED:
		return a->rm_slot == b->rm_slot && a->fault_type == b->fault_type && a->addr == b->addr;
	case RME_TRACE_RESULT_FAULT_STATE:
		return a->fault_type == b->fault_type &&
		       (a->fault_type == RME_FAULT_NONE || a->addr == b->addr);
	}
	return 0;
}

/* One side's result is a bare fault or unhandled that the other's narrows down. */
static int
less_specific(const rme_trace_result_t *a, const rme_trace_result_t *b)
{
	return (a->kind == RME_TRACE_RESULT_FAULT_ANY && b->kind == RME_TRACE_RESULT_FAULT) ||
	       (a->kind == RME_TRACE_RESULT_UNHANDLED_ANY && b->kind == RME_TRACE_RESULT_UNHANDLED) ||
	       (b->kind == RME_TRACE_RESULT_FAULT_ANY && a->kind == RME_TRACE_RESULT_FAULT) ||
	       (b->kind == RME_TRACE_RESULT_UNHANDLED_ANY && a->kind == RME_TRACE_RESULT_UNHANDLED);
}

/* Whether an address expression depends on an address that env placed. */
static int
placed_expr(const struct side *s, const rme_trace_addr_t *a)
{
	return a->slot >= 0 && s->placed[a->slot];
}

/* Record what an operation binds: an address, and whether env placed it. */
static void
bind(struct side *s, const rme_trace_op_t *op)
{
	int placed = 0;

	if (op->bind_slot < 0)
		return;
	if (op->expected.kind == RME_TRACE_RESULT_VALUE)
		s->values[op->bind_slot] = rme_trace_result_value(&op->expected, s->values);
	if (op->kind == RME_TRACE_OP_ATTACH && op->u.attach.rm == RME_TRACE_SLOT_ENV)
		placed = !op->u.attach.has_at || placed_expr(s, &op->u.attach.at);
	s->placed[op->bind_slot] = (unsigned char)placed;
}

struct diff_stats {
	size_t compared, differences, skipped, by_shape, loose, quotas, unmeasured;
	size_t shown, max_shown;
};

static void
report(struct diff_stats *st, const struct side *a, const struct side *b,
       const rme_trace_op_t *oa, const rme_trace_op_t *ob, const char *what)
{
	char text[256];

	st->differences++;
	if (st->shown >= st->max_shown)
		return;
	st->shown++;
	printf("%s:%zu, %s:%zu: %s\n  %s\n", a->path, oa->line, b->path, ob->line,
	       op_text(a, oa->line, text, sizeof(text)), what);
}

static int
directives_differ(const rme_trace_directives_t *x, const rme_trace_directives_t *y, char *why, size_t size)
{
#define DIFFER(cond, name) do { if (cond) { snprintf(why, size, "the %s directives differ", name); return 1; } } while (0)
	DIFFER(x->has_genode != y->has_genode || x->genode_release != y->genode_release, "genode");
	DIFFER(x->has_kernel != y->has_kernel || x->kernel != y->kernel, "kernel");
	DIFFER(x->has_arch != y->has_arch || x->arch != y->arch, "arch");
	DIFFER(x->has_ram_quota != y->has_ram_quota || x->ram_quota != y->ram_quota ||
	       x->has_cap_quota != y->has_cap_quota || x->cap_quota != y->cap_quota, "quota");
	DIFFER(x->has_mmap_area != y->has_mmap_area || x->mmap_area_base != y->mmap_area_base ||
	       x->mmap_area_size != y->mmap_area_size, "mmap-area");
	DIFFER(x->has_map_count_max != y->has_map_count_max || x->map_count_max != y->map_count_max,
	       "map-count-max");
	DIFFER(x->has_policy != y->has_policy ||
	       (x->has_policy && strcmp(x->policy, y->policy) != 0), "policy");
#undef DIFFER
	return 0;
}

static void
diff_usage(FILE *out)
{
	fputs("usage: rmemu diff [-n N] [-q] A B\n"
	      "\n"
	      "Compare two canonical traces (from 'rmemu replay --out' and 'rmemu genode-log')\n"
	      "operation by operation and report the first differences in plain words.\n"
	      "Addresses that env placed (an attach into env without at=, and attaches at\n"
	      "addresses relative to such a one) are compared by shape: both sides must have\n"
	      "an address; everything else must be identical. Operations that the Genode\n"
	      "component marked \"# skipped\" are not compared. Where both lines note\n"
	      "\"# measured: ram=... caps=...\" (the quota changed since the start), the\n"
	      "changes must be equal; where only one does, the other must say why it\n"
	      "has none (\"# unmeasured: ...\"), else that is a difference.\n"
	      "\n"
	      "  -n, --max N  show at most N differences (default 10)\n"
	      "  -q, --quiet  print only the summary\n"
	      "  -h, --help   show this help\n"
	      "\n"
	      "Exit status: 0 if the traces agree, 1 if they differ, 2 on bad usage or input.\n", out);
}

/* rmemu diff's options into st; -1 to go on, else the exit status. */
static int
diff_options(int argc, char **argv, struct diff_stats *st)
{
	static const struct option longopts[] = {
		{ "max", required_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			/* strtoul takes "-5" as a huge number: only digits are a count */
			if (*optarg < '0' || *optarg > '9' || *end != '\0') {
				fprintf(stderr, "rmemu diff: -n wants a count (0 or more), not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			st->max_shown = v;
			break;
		}
		case 'q': st->max_shown = 0; break;
		case 'h': diff_usage(stdout); return EXIT_OK;
		default: cli_usage_error("diff", NULL); return EXIT_USAGE;
		}
	}
	if (optind != argc - 2) {
		cli_usage_error("diff", "expected two traces, A and B");
		return EXIT_USAGE;
	}
	return -1;
}

/* Whether two operations are the same but for their results and lines (the same script). */
static int
same_operation(const struct side *a, const struct side *b, const rme_trace_op_t *oa,
               const rme_trace_op_t *ob)
{
	rme_trace_op_t pa = operands(oa), pb = operands(ob);
	const char *na = rme_trace_slot_name(a->trace, oa->bind_slot);
	const char *nb = rme_trace_slot_name(b->trace, ob->bind_slot);

	return memcmp(&pa, &pb, sizeof(pa)) == 0 && strcmp(na ? na : "", nb ? nb : "") == 0;
}

/* An operation's result with an address written relative to a name evaluated (by value). */
static rme_trace_result_t
resolved(const struct side *s, const rme_trace_op_t *op)
{
	rme_trace_result_t r = op->expected;

	if (r.kind == RME_TRACE_RESULT_VALUE && r.relative) {
		r.value = rme_trace_result_value(&r, s->values);
		r.relative = 0;
		memset(&r.expr, 0, sizeof(r.expr));
	}
	return r;
}

/* A result for a message: as the trace writes it, with the value of a relative address. */
static void
format_result(const struct side *s, const rme_trace_op_t *op, char *buf, size_t size)
{
	size_t n = rme_trace_result_format(s->trace, op->kind, &op->expected, buf, size);

	if (op->expected.kind == RME_TRACE_RESULT_VALUE && op->expected.relative && n < size)
		snprintf(buf + n, size - n, " (0x%" PRIx64 ")",
		         rme_trace_result_value(&op->expected, s->values));
}

/*
 * Compare the results of one operation: an address env placed by shape,
 * a bare fault against a named one as agreeing, addresses by value
 * (whether written as numbers or relative to names), everything else
 * exactly.
 */
static void
compare_results(struct diff_stats *st, const struct side *a, const struct side *b,
                const rme_trace_op_t *oa, const rme_trace_op_t *ob)
{
	rme_trace_result_t xa = resolved(a, oa), xb = resolved(b, ob);
	char ra[128], rb[128], msg[400];
	int shape = 0;

	if (same_result(&xa, &xb))
		return;
	if (oa->kind == RME_TRACE_OP_ATTACH && oa->u.attach.rm == RME_TRACE_SLOT_ENV &&
	    xa.kind == RME_TRACE_RESULT_VALUE && xb.kind == RME_TRACE_RESULT_VALUE) {
		if (!oa->u.attach.has_at) {
			shape = 1;
		} else if (placed_expr(a, &oa->u.attach.at) && placed_expr(b, &ob->u.attach.at)) {
			/* the same place relative to the placed address */
			shape = xa.value - rme_trace_addr_eval(&oa->u.attach.at, a->values) ==
			        xb.value - rme_trace_addr_eval(&ob->u.attach.at, b->values);
		}
	}
	if (shape) {
		st->by_shape++;
	} else if (less_specific(&xa, &xb)) {
		st->loose++;
	} else {
		format_result(a, oa, ra, sizeof(ra));
		format_result(b, ob, rb, sizeof(rb));
		snprintf(msg, sizeof(msg), "A has %s, B has %s", ra, rb);
		report(st, a, b, oa, ob, msg);
	}
}

/* Whether source line n notes that the component could not measure there. */
static int
line_unmeasured(const struct side *s, size_t n)
{
	const char *end;

	return line_find(s, n, "# unmeasured:", &end) != NULL;
}

/*
 * Quota measurements: where both lines note one, the changes must be
 * equal; where only one does, the other must say why it has none (the
 * component's "# unmeasured: ..."), else that is a difference, so that a
 * side whose notes went missing cannot make the comparison count nothing.
 */
static void
compare_quotas(struct diff_stats *st, const struct side *a, const struct side *b,
               const rme_trace_op_t *oa, const rme_trace_op_t *ob)
{
	long long ram_a, caps_a, ram_b, caps_b;
	int has_a = line_measured(a, oa->line, &ram_a, &caps_a);
	int has_b = line_measured(b, ob->line, &ram_b, &caps_b);
	char msg[400];

	if (!has_a && !has_b)
		return;
	if (!has_a || !has_b) {
		if (line_unmeasured(has_a ? b : a, has_a ? ob->line : oa->line)) {
			st->unmeasured++;
			return;
		}
		snprintf(msg, sizeof(msg), "%s has a quota measurement, %s has none",
		         has_a ? "A" : "B", has_a ? "B" : "A");
		report(st, a, b, oa, ob, msg);
		return;
	}
	st->quotas++;
	if (ram_a != ram_b || caps_a != caps_b) {
		snprintf(msg, sizeof(msg), "the quota changed differently since the start: "
		         "A by RAM %s0x%llx and %lld caps, B by RAM %s0x%llx and %lld caps",
		         ram_a < 0 ? "-" : "", (unsigned long long)llabs(ram_a), caps_a,
		         ram_b < 0 ? "-" : "", (unsigned long long)llabs(ram_b), caps_b);
		report(st, a, b, oa, ob, msg);
	}
}

/* Compare the traces operation by operation; stops where the scripts differ (then 0, else 1). */
static int
compare_operations(struct diff_stats *st, struct side *a, struct side *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const rme_trace_op_t *oa = rme_trace_op(a->trace, i);
		const rme_trace_op_t *ob = rme_trace_op(b->trace, i);

		if (!same_operation(a, b, oa, ob)) {
			char tb[256], msg[400];

			snprintf(msg, sizeof(msg), "the operations differ: B has '%s'; the traces are not of the same script",
			         op_text(b, ob->line, tb, sizeof(tb)));
			report(st, a, b, oa, ob, msg);
			return 0;
		}
		if (line_skipped(a, oa->line) || line_skipped(b, ob->line)) {
			st->skipped++;
		} else {
			st->compared++;
			compare_results(st, a, b, oa, ob);
			compare_quotas(st, a, b, oa, ob);
		}
		bind(a, oa);
		bind(b, ob);
	}
	return 1;
}

static void
print_diff_summary(const struct diff_stats *st)
{
	if (st->differences > st->shown && st->max_shown)
		printf("... and %zu more\n", st->differences - st->shown);
	printf("%zu operations compared, %zu differences, %zu skipped, %zu placed by env (compared by shape)",
	       st->compared, st->differences, st->skipped, st->by_shape);
	printf(", %zu quota measurements compared", st->quotas);
	if (st->unmeasured)
		printf(" (%zu unmeasured on one side)", st->unmeasured);
	if (st->loose)
		printf(", %zu faults named on one side only", st->loose);
	printf("\n");
}

int
cmd_diff(int argc, char **argv)
{
	struct diff_stats st = { .max_shown = 10 };
	struct side a, b;
	size_t na, nb;
	char why[256];
	int rc;

	if ((rc = diff_options(argc, argv, &st)) >= 0)
		return rc;
	if (side_load(argv[optind], &a) != 0) {
		side_free(&a);
		return EXIT_USAGE;
	}
	if (side_load(argv[optind + 1], &b) != 0) {
		side_free(&a);
		side_free(&b);
		return EXIT_USAGE;
	}

	if (directives_differ(rme_trace_directives(a.trace), rme_trace_directives(b.trace),
	                      why, sizeof(why))) {
		st.differences++;
		if (st.max_shown) {
			printf("%s, %s: %s\n", a.path, b.path, why);
			st.shown++;
		}
	}
	na = rme_trace_op_count(a.trace);
	nb = rme_trace_op_count(b.trace);
	if (compare_operations(&st, &a, &b, na < nb ? na : nb) && na != nb) {
		/* one is shorter: said once, with where the other goes on, whatever else differed */
		const struct side *longer = na > nb ? &a : &b, *shorter = na > nb ? &b : &a;
		const rme_trace_op_t *next = rme_trace_op(longer->trace, na < nb ? na : nb);
		char text[256];

		st.differences++;
		st.shown++;
		if (st.max_shown)
			printf("%s ends after %zu operations, %s has %zu: the first it lacks is %s:%zu: %s\n",
			       shorter->path, na < nb ? na : nb, longer->path, na > nb ? na : nb,
			       longer->path, next->line, op_text(longer, next->line, text, sizeof(text)));
	}
	print_diff_summary(&st);
	rc = st.differences ? EXIT_DIVERGED : EXIT_OK;
	side_free(&a);
	side_free(&b);
	return rc;
}
