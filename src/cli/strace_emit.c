/*
 * strace_emit.c: import-strace's output: a small text builder, the trace
 * lines emitted for each space as its calls are read (operations with
 * symbolic addresses, and comments), and, once the log is read, the
 * layout of the block of relocated fixed mappings and the traces written
 * with it (strace_importer.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmemu/mmap.h>
#include <rmemu/trace.h>

#include "strace_importer.h"
#include "xalloc.h"

/* ---- Text ------------------------------------------------------------------- */

void
sb_add(sbuf_t *b, const char *s, size_t n)
{
	XGROW(b->p, b->cap, b->len + n + 1);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void
sb_puts(sbuf_t *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

void
sb_printf(sbuf_t *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	XGROW(b->p, b->cap, b->len + (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
sb_comment(sbuf_t *b, const char *s)
{
	/*
	 * A comment is the rest of its line, any bytes but LF; a control byte
	 * from a damaged log (a CR before the LF above all, which the parser
	 * takes for a Windows line ending) is written as \xNN instead.
	 */
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			sb_printf(b, "\\x%02x", c);
		else
			sb_add(b, s, 1);
	}
}

/* A size as the trace format writes it, with a binary suffix where it is exact. */
void
sb_size(sbuf_t *b, uint64_t n)
{
	static const struct { char suffix; unsigned shift; } units[] = {
		{ 'T', 40 }, { 'G', 30 }, { 'M', 20 }, { 'K', 10 },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++)
		if (n && n % ((uint64_t)1 << units[i].shift) == 0) {
			sb_printf(b, "%" PRIu64 "%c", n >> units[i].shift, units[i].suffix);
			return;
		}
	sb_printf(b, "%" PRIu64, n);
}

/* ---- Trace lines ------------------------------------------------------------ */

emitted_t *
emit(space_t *s, int op)
{
	emitted_t *e;

	XGROW(s->out, s->out_cap, s->nout + 1);
	e = &s->out[s->nout++];
	memset(e, 0, sizeof(*e));
	e->op = op;
	e->fd = -1;
	if (op >= 0)
		s->operations++;
	return e;
}

/* "NAME(ARGS) = RESULT", the call as strace printed it, for comments. */
char *
call_text(const strace_call_t *c)
{
	sbuf_t b = { 0 };

	sb_add(&b, c->call.p, c->call.len);
	sb_puts(&b, " = ");
	sb_add(&b, c->result_text.p, c->result_text.len);
	return b.p;
}

/* Count a call kept as a comment under its kind, for the summary. */
void
count_kept(importer_t *imp, const char *name, const char *why, kept_t kind)
{
	kept_kind_t *k;

	if (!why)
		why = "no form in a trace";
	for (size_t i = 0; i < imp->nkept; i++) {
		k = &imp->kept[i];
		if (k->kind == kind && strcmp(k->name, name) == 0 && strcmp(k->why, why) == 0) {
			k->count++;
			return;
		}
	}
	XGROW(imp->kept, imp->kept_cap, imp->nkept + 1);
	k = &imp->kept[imp->nkept++];
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->why = xstrndup(why, strlen(why));
	k->kind = kind;
	k->count = 1;
	k->first_line = imp->line;
}

/* The call as a comment line, with why; returns its text for messages. */
static char *
comment_line(space_t *s, const strace_call_t *c, const char *why)
{
	emitted_t *e = emit(s, -1);
	sbuf_t b = { 0 };
	char *text = call_text(c);

	sb_puts(&b, text);
	if (why)
		sb_printf(&b, " -- %s", why);
	e->comment = b.p;
	s->comments++;
	return text;
}

void
emit_call_note(space_t *s, const strace_call_t *c, const char *why)
{
	free(comment_line(s, c, why));
}

FILE *
imp_messages(const importer_t *imp)
{
	return imp->opt->messages ? imp->opt->messages : stderr;
}

/* At most this many lines and calls are shown one by one; the summary counts them all. */
#define SAID_MAX 20
/* And this much of each. */
#define EXCERPT_MAX 60

void
say_unreadable(importer_t *imp, const char *what, const char *why, const char *text, size_t len)
{
	FILE *out = imp_messages(imp);
	size_t shown = len < EXCERPT_MAX ? len : EXCERPT_MAX;

	cli_progress_clear(&imp->progress);
	if (imp->said == SAID_MAX)
		fprintf(out, "%s:%zu: more lines and calls cannot be read; the summary at the end counts "
		        "them\n", imp->log_name, imp->line);
	if (imp->said++ >= SAID_MAX)
		return;
	fprintf(out, "%s:%zu: %s (%s): \"", imp->log_name, imp->line, what, why);
	/* raw bytes escaped as the trace parser quotes them, so that the message stays one line of text */
	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c < 0x20 || c > 0x7e)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fprintf(out, "%s\"\n", shown < len ? "..." : "");
}

void
emit_kept(space_t *s, const strace_call_t *c, const char *why, kept_t kind)
{
	importer_t *imp = s->imp;
	char *text = comment_line(s, c, why);

	count_kept(imp, c->name, why, kind);
	if (kind == KEPT_UNREADABLE || (kind == KEPT_DROPPED && imp->opt->strict))
		say_unreadable(imp, kind == KEPT_UNREADABLE ? "cannot read this call"
		               : "the trace cannot carry this call", why ? why : "no form in a trace",
		               text, strlen(text));
	if (kind != KEPT_NOTE && imp->opt->strict)
		imp->strict_stop = 1;
	free(text);
}

/* Keep a call as a comment line; why (may be NULL) says why it is no operation. */
void
emit_comment(space_t *s, const strace_call_t *c, const char *why)
{
	emit_kept(s, c, why, KEPT_NOTE);
}

void
report_kept(const importer_t *imp)
{
	static const char *const kind_notes[] = {
		[KEPT_NOTE] = "",
		[KEPT_DROPPED] = " [what it did is lost: --strict fails]",
		[KEPT_UNREADABLE] = " [could not be read: --strict fails]",
	};
	size_t total = 0;

	for (size_t i = 0; i < imp->nkept; i++)
		total += imp->kept[i].count;
	if (!total)
		return;
	fprintf(imp_messages(imp), "%s: %zu memory call%s kept only as comments:\n", imp->log_name, total,
	        total == 1 ? "" : "s");
	for (size_t i = 0; i < imp->nkept; i++) {
		const kept_kind_t *k = &imp->kept[i];

		fprintf(imp_messages(imp), "  %zu %s (first at line %zu): %s%s\n", k->count, k->name, k->first_line,
		        k->why, kind_notes[k->kind]);
	}
}

void
set_errno_result(emitted_t *e, const strace_call_t *c)
{
	e->result = RES_ERRNO;
	snprintf(e->errno_name, sizeof(e->errno_name), "%s", c->errno_name);
}

xaddr_t
xa_number(uint64_t v)
{
	xaddr_t a = { XA_NUMBER, 0, v };

	return a;
}

xaddr_t
xa_block(uint64_t linux_addr)
{
	xaddr_t a = { XA_BLOCK, 0, linux_addr };

	return a;
}

/* Linux address a, inside a piece with anchor n, as the trace writes it. */
xaddr_t
xa_relative(const anchor_t *n, uint64_t a)
{
	xaddr_t x = { XA_NAME, n->name, a - n->base };

	return x;
}

/* ---- Writing the traces ----------------------------------------------------- */

/*
 * Ranges of the block closer than this keep their distance (one cluster);
 * clusters farther apart come one after another, this close, so that a
 * program's scattered fixed addresses (V8 hints at random places) do not
 * ask for an area as wide as its address space.
 */
#define BLOCK_KEPT_GAP ((uint64_t)16 << 20)
#define BLOCK_CLUSTER_GAP ((uint64_t)1 << 20)
/*
 * A cluster starts at least as aligned as on Linux, up to huge pages: what
 * the program's arithmetic saw (glibc's arenas want 64 MiB) no longer
 * matters on replay, where every later address is relative to a name.
 */
#define BLOCK_MAX_ALIGN ((uint64_t)2 << 20)
/* Free space between the block and what the layer places above it. */
#define AREA_GUARD ((uint64_t)64 << 20)
/* Where the area goes: above Genode's stack area, below hw's limit of 2^38 on x86_64. */
#define AREA_BASE ((uint64_t)1 << 32)
#define AREA_LIMIT ((uint64_t)1 << 38)

static int
cmp_range(const void *a, const void *b)
{
	const range_t *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Lay out the block; returns its size. */
static uint64_t
lay_out_block(space_t *s)
{
	uint64_t pos = 0;

	if (!s->nabsolute)
		return 0;
	qsort(s->absolute, s->nabsolute, sizeof(*s->absolute), cmp_range);
	s->cluster = xcalloc(s->nabsolute, sizeof(*s->cluster));
	s->nclusters = 0;
	for (size_t i = 0; i < s->nabsolute; i++) {
		cluster_t *last = s->nclusters ? &s->cluster[s->nclusters - 1] : NULL;
		range_t *r = &s->absolute[i];

		if (last && r->start <= last->end + BLOCK_KEPT_GAP) {   /* sorted: start >= last's */
			if (r->end > last->end)
				last->end = r->end;
			continue;
		}
		s->cluster[s->nclusters].start = r->start;
		s->cluster[s->nclusters].end = r->end;
		s->nclusters++;
	}
	for (size_t i = 0; i < s->nclusters; i++) {
		cluster_t *c = &s->cluster[i];
		uint64_t align = c->start & -c->start;   /* the lowest set bit */

		if (align == 0 || align > BLOCK_MAX_ALIGN)
			align = BLOCK_MAX_ALIGN;
		if (i > 0)
			pos += BLOCK_CLUSTER_GAP;
		pos = (pos + align - 1) & ~(align - 1);
		c->area_off = pos;
		pos += c->end - c->start;
	}
	return pos;
}

static uint64_t
block_address(space_t *s, uint64_t linux_addr)
{
	for (size_t i = 0; i < s->nclusters; i++)
		if (linux_addr >= s->cluster[i].start && linux_addr < s->cluster[i].end)
			return AREA_BASE + s->cluster[i].area_off + (linux_addr - s->cluster[i].start);
	/*
	 * Every block address was added to the layout, so this is the
	 * importer's bug; the trace is not written (write_traces says so),
	 * the others are.
	 */
	if (!s->unplaced)
		s->unplaced = linux_addr;
	return 0;
}

static void
print_xaddr(sbuf_t *b, space_t *s, const xaddr_t *a)
{
	switch (a->kind) {
	case XA_NUMBER:
		if (a->value)
			sb_printf(b, "0x%" PRIx64, a->value);
		else
			sb_puts(b, "0");
		break;
	case XA_NAME:
		sb_printf(b, "m%u", a->name);
		if (a->value > (uint64_t)INT64_MAX)
			sb_printf(b, "-0x%" PRIx64, -a->value);
		else if (a->value)
			sb_printf(b, "+0x%" PRIx64, a->value);
		break;
	case XA_BLOCK:
		sb_printf(b, "0x%" PRIx64, block_address(s, a->value));
		break;
	}
}

static void
print_rights(sbuf_t *b, unsigned r)
{
	char t[4] = {
		(r & RME_TRACE_RIGHT_R) ? 'r' : '-', (r & RME_TRACE_RIGHT_W) ? 'w' : '-',
		(r & RME_TRACE_RIGHT_X) ? 'x' : '-', 0,
	};

	sb_puts(b, t);
}

/* The FLAGS word of an operation, as the trace's printer writes it. */
static void
print_flags(sbuf_t *b, int op, unsigned flags, uint32_t other)
{
	char text[160];

	rme_trace_flags_format((rme_trace_op_kind_t)op, flags, other, text, sizeof(text));
	sb_puts(b, text);
}

static void
print_op(sbuf_t *b, space_t *s, const emitted_t *e)
{
	static const char *const advice_names[] = { "normal", "dontneed", "free", "willneed" };

	if (e->op < 0) {
		sb_puts(b, "# ");
		sb_comment(b, e->comment);
		sb_puts(b, "\n");
		return;
	}
	if (e->bind)
		sb_printf(b, "m%u = ", e->bind);
	sb_printf(b, "%s", rme_trace_op_name((rme_trace_op_kind_t)e->op));
	if (e->op != RME_TRACE_OP_MLOCKALL && e->op != RME_TRACE_OP_MUNLOCKALL) {
		sb_puts(b, " ");
		print_xaddr(b, s, &e->addr);
	}
	switch (e->op) {
	case RME_TRACE_OP_MMAP:
		sb_printf(b, " 0x%" PRIx64 " ", e->len);
		print_rights(b, e->prot);
		sb_puts(b, " ");
		print_flags(b, e->op, e->flags, e->other);
		if (e->fd >= 0)
			sb_printf(b, " fd=%d off=0x%" PRIx64, e->fd, e->off);
		break;
	case RME_TRACE_OP_MPROTECT:
		sb_printf(b, " 0x%" PRIx64 " ", e->len);
		print_rights(b, e->prot);
		break;
	case RME_TRACE_OP_MADVISE:
		sb_printf(b, " 0x%" PRIx64 " %s", e->len, advice_names[e->advice]);
		break;
	case RME_TRACE_OP_MREMAP:
		sb_printf(b, " 0x%" PRIx64 " 0x%" PRIx64, e->len, e->new_len);
		if (e->maymove)
			sb_puts(b, " maymove");
		if (e->has_fixed && e->fixed_unknown) {
			sb_puts(b, " fixed");
		} else if (e->has_fixed) {
			sb_puts(b, " fixed=");
			print_xaddr(b, s, &e->fixed);
		}
		break;
	case RME_TRACE_OP_MSYNC:
	case RME_TRACE_OP_MLOCK:
		sb_printf(b, " 0x%" PRIx64, e->len);
		if (e->call_flags) {
			sb_puts(b, " ");
			print_flags(b, e->op, e->call_flags, 0);
		}
		break;
	case RME_TRACE_OP_MLOCKALL:
		sb_puts(b, " ");
		print_flags(b, e->op, e->call_flags, 0);
		break;
	case RME_TRACE_OP_MUNLOCKALL:
		break;
	default:        /* munmap, munlock */
		sb_printf(b, " 0x%" PRIx64, e->len);
		break;
	}
	switch (e->result) {
	case RES_NONE: break;
	case RES_OK: sb_puts(b, " -> ok"); break;
	case RES_ZERO: sb_puts(b, " -> 0"); break;
	case RES_ADDR: sb_puts(b, " -> "); print_xaddr(b, s, &e->result_addr); break;
	case RES_ERRNO: sb_printf(b, " -> errno %s", e->errno_name); break;
	}
	if (e->comment) {
		sb_puts(b, "  # ");
		sb_comment(b, e->comment);
	}
	sb_puts(b, "\n");
}

/*
 * The map-count-max a trace needs, with a comment for its head saying
 * where it comes from; 0 if the layer's default (Linux's, 65530) does.
 * The limit is the largest value the failures that only it explains allow
 * (strace_calls.c); with none, a trace whose mappings formed more VMAs
 * than the default gets vm.max_map_count, where that is known, else what
 * it needed.
 */
static uint64_t
map_count_max(const space_t *s, const importer_t *imp, sbuf_t *b)
{
	uint64_t sys = imp->opt->system_map_count_max;

	if (sys)
		sb_printf(b, "# vm.max_map_count was %" PRIu64 " where it was recorded.\n", sys);
	if (s->map_count_max) {
		sb_printf(b, "# map-count-max: the largest limit that %u failure%s from line %zu on allow, "
		          "which only the map-count limit explains (the remarks say which): the process "
		          "could have %" PRIu64 " mappings besides those it held outside the recorded "
		          "calls.\n", s->map_count_events, s->map_count_events == 1 ? "" : "s",
		          s->map_count_line, s->map_count_max);
		return s->map_count_max;
	}
	if (s->peak_count >= RME_MMAP_MAP_COUNT_DEFAULT) {
		uint64_t m = sys > s->peak_count ? sys : s->peak_count;

		sb_printf(b, "# map-count-max: its mappings formed %zu VMAs, more than the default allows; "
		          "%s.\n", s->peak_count, sys > s->peak_count ? "vm.max_map_count" : "as many");
		return m;
	}
	return 0;
}

/* The whole trace of a space. */
static void
print_trace(sbuf_t *b, space_t *s, const importer_t *imp)
{
	uint64_t block = lay_out_block(s), area, ram, caps, map_count;
	char label[32];

	/*
	 * The layer places top-down and never lower than the sum of all it
	 * ever placed, so an area that holds the block, a guard and that sum
	 * never lets a placement reach the block.
	 */
	area = block + AREA_GUARD + pm_round_up(s->placed_bytes) + AREA_GUARD;
	area = (area + ((uint64_t)16 << 20) - 1) & ~(((uint64_t)16 << 20) - 1);
	if (area > AREA_LIMIT - AREA_BASE) {
		fprintf(imp_messages(imp), "%s: %s: the mmap-area it needs (0x%" PRIx64 " bytes) does not fit "
		        "kernel hw's address space; writing the largest that does\n",
		        imp->log_name, space_label(s, label, sizeof(label)), area);
		area = AREA_LIMIT - AREA_BASE;
	}

	sb_puts(b, "rmemu-trace 1\n");
	sb_printf(b, "# From strace: %s, lines %zu-%zu of %s: %zu operations, %zu calls kept as comments.\n",
	          space_label(s, label, sizeof(label)), s->first_line, s->last_line, imp->log_name,
	          s->operations, s->comments);
	if (imp->opt->note) {
		sb_puts(b, "# ");
		sb_comment(b, imp->opt->note);
		sb_puts(b, "\n");
	}
	if (s->forked_from)
		sb_printf(b, "# Forked from %s: the mappings it inherited are not in this trace.\n",
		          space_label(s->forked_from, label, sizeof(label)));
	sb_add(b, s->head.p ? s->head.p : "", s->head.len);
	for (size_t i = 0; i < s->nclusters; i++)
		sb_printf(b, "# Fixed mappings at Linux 0x%" PRIx64 "-0x%" PRIx64 " are relocated to 0x%" PRIx64 ".\n",
		          s->cluster[i].start, s->cluster[i].end, AREA_BASE + s->cluster[i].area_off);
	if (s->brk_peak)
		sb_printf(b, "# The program break (brk, which has no form here) grew by 0x%" PRIx64 " bytes at most.\n",
		          s->brk_peak);
	map_count = map_count_max(s, imp, b);

	/* a quota that never limits: the area all backed by RAM, with room for metadata, a cap per page */
	ram = area + area / 8 + ((uint64_t)16 << 20);
	caps = area / PM_PAGE + 1000;
	if (imp->opt->has_ram_quota || imp->opt->has_cap_quota) {
		sb_puts(b, "quota");
		if (imp->opt->has_ram_quota) {
			sb_puts(b, " ram=");
			sb_size(b, imp->opt->ram_quota);
		}
		if (imp->opt->has_cap_quota)
			sb_printf(b, " caps=%" PRIu64, imp->opt->cap_quota);
		sb_puts(b, "\n");
	} else {
		sb_puts(b, "quota ram=");
		sb_size(b, ram);
		sb_printf(b, " caps=%" PRIu64 "\n", caps);
	}
	sb_printf(b, "mmap-area 0x%" PRIx64 " ", AREA_BASE);
	sb_size(b, area);
	sb_puts(b, "\n");
	if (map_count)
		sb_printf(b, "map-count-max %" PRIu64 "\n", map_count);
	for (size_t i = 0; i < s->nout; i++)
		print_op(b, s, &s->out[i]);
}

static void
internal_error(const importer_t *imp)
{
	if (imp->opt->internal_errors)
		(*imp->opt->internal_errors)++;
}

/* Write every space that made memory calls; returns 0 or -1. */
int
write_traces(importer_t *imp, const char *prefix)
{
	int status = 0;

	for (size_t i = 0; i < imp->nspaces; i++) {
		space_t *s = imp->space[i];
		sbuf_t text = { 0 }, path = { 0 };
		size_t nth = 0;
		rme_trace_t *parsed = NULL;
		rme_trace_error_t err;
		FILE *f;

		if (!s->memory_calls)
			continue;
		for (size_t j = 0; j < i; j++)
			if (imp->space[j]->pid == s->pid && imp->space[j]->memory_calls)
				nth++;
		sb_puts(&path, prefix);
		if (s->pid >= 0)
			sb_printf(&path, ".%ld", s->pid);
		if (nth)
			sb_printf(&path, ".%zu", nth);
		sb_puts(&path, ".trace");
		print_trace(&text, s, imp);

		/*
		 * What is written must parse: a trace that does not is this
		 * importer's bug, and is not written, so that no replay ever
		 * meets it.
		 */
		if (s->unplaced) {
			fprintf(imp_messages(imp), "rmemu: internal error: the trace for %s is not written: "
			        "0x%" PRIx64 " is not in the block of relocated mappings\n", path.p, s->unplaced);
			internal_error(imp);
			status = -1;
			free(text.p);
			free(path.p);
			continue;
		}
		if (rme_trace_parse(path.p, text.p, text.len, NULL, &parsed, &err) != RME_OK) {
			fprintf(imp_messages(imp), "rmemu: internal error: the trace for %s does not parse, so "
			        "it is not written: %s\n", path.p, err.msg);
			internal_error(imp);
			status = -1;
			free(text.p);
			free(path.p);
			continue;
		}
		rme_trace_free(parsed);
		if (imp->opt->sink) {
			if (imp->opt->sink(imp->opt->sink_ctx, path.p, text.p, text.len) != 0)
				status = -1;
		} else if (!(f = fopen(path.p, "w")) || fwrite(text.p, 1, text.len, f) != text.len ||
		           fclose(f) != 0) {
			fprintf(imp_messages(imp), "rmemu: %s: %s\n", path.p, strerror(errno));
			if (f)
				fclose(f);
			status = -1;
		} else if (imp->opt->names) {
			fprintf(imp->opt->names, "%s%s\n", imp->opt->names_lead ? imp->opt->names_lead : "",
			        path.p);
		}
		free(text.p);
		free(path.p);
	}
	return status;
}
