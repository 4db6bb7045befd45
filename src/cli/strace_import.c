/*
 * strace_import.c: the import-strace command, turning an strace log of
 * memory calls into traces (strace_import.h).
 *
 * The log is read once, call by call, while a copy of every address
 * space is kept in Linux addresses (a pagemap per space). Each call is
 * translated into trace operations right away, with addresses in a
 * symbolic form; only the block of relocated fixed mappings gets its
 * final place once the whole log is known, and then the traces are
 * printed. doc/recording.md explains the rules; the comments here say
 * why the code follows them.
 *
 * Portable addresses. Every successful mmap and mremap binds a name
 * (m1, m2, ...), whose value on replay is wherever the model put it.
 * Mappings whose addresses differ from each other by what they differed
 * on Linux form a group: an unhinted mmap starts one; a MAP_FIXED mmap
 * whose whole range is named memory of one group joins it (ld.so's
 * segments inside the reservation of their library, the JVM's heap inside
 * its reservation). An address inside a known mapping is written relative
 * to that mapping's name, so it means the same memory on the model. Other
 * fixed mappings, and hints Linux granted at free places, go into one
 * block at the bottom of the trace's mmap-area, where nothing else is
 * placed: the mmap layer places top-down and the area is sized so that it
 * never reaches down to the block.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmemu/mmap.h>
#include <rmemu/trace.h>

#include "cli.h"
#include "pagemap.h"
#include "strace_import.h"
#include "strace_parse.h"
#include "xalloc.h"

/* ---- Text ----------------------------------------------------------------- */

typedef struct sbuf {
	char *p;
	size_t len, cap;
} sbuf_t;

static void
sb_add(sbuf_t *b, const char *s, size_t n)
{
	XGROW(b->p, b->cap, b->len + n + 1);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void
sb_puts(sbuf_t *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
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

/* A size as the trace format writes it, with a binary suffix where it is exact. */
static void
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

/* ---- Where memory lives ------------------------------------------------------- */

/* Piece tags that are no name: memory a trace cannot refer to. */
enum {
	TAG_INHERITED = -2,    /* inherited from the parent at fork */
	TAG_UNEXPRESSED = -3   /* made by a call the trace keeps only as a comment */
};

/* The block of relocated fixed mappings is group 0; groups from 1 on are placements. */
enum { GROUP_BLOCK = 0 };

/* A name the trace binds: m<name> is at Linux address base. */
typedef struct anchor {
	uint64_t base;
	unsigned name;
	int group;
} anchor_t;

/* An address of the trace, before the block has its place. */
typedef enum {
	XA_NUMBER,     /* value, as it is */
	XA_NAME,       /* m<name> + value (mod 2^64) */
	XA_BLOCK       /* Linux address value, relocated into the block */
} xaddr_kind_t;

typedef struct xaddr {
	xaddr_kind_t kind;
	unsigned name;
	uint64_t value;
} xaddr_t;

typedef enum { RES_NONE, RES_OK, RES_ZERO, RES_ADDR, RES_ERRNO } result_kind_t;

/* One line of a trace to be: an operation, or a comment when op is -1. */
typedef struct emitted {
	int op;                     /* RME_TRACE_OP_*, or -1 */
	unsigned bind;              /* m<bind> = ...; 0 for none */
	xaddr_t addr;
	uint64_t len, new_len;      /* new_len: mremap */
	unsigned prot, flags;       /* RME_TRACE_RIGHT_*, RME_TRACE_MAP_* */
	int fd;                     /* -1: anonymous */
	uint64_t off;
	rme_trace_advice_t advice;
	int maymove, has_fixed;
	xaddr_t fixed;
	result_kind_t result;
	xaddr_t result_addr;
	char errno_name[STRACE_ERRNO_MAX + 1];
	char *comment;              /* the comment line, or the remark after an operation */
} emitted_t;

typedef struct range {
	uint64_t start, end;
} range_t;

/* A run of the relocated block: Linux [start, end) lies at area_off in the area. */
typedef struct cluster {
	uint64_t start, end, area_off;
} cluster_t;

/* One address space: one process between its start (or an execve) and its end. */
typedef struct space {
	long pid;                   /* the process, -1 if strace printed no pids */
	size_t first_line, last_line;
	pagemap_t map;              /* its mappings, in Linux addresses */
	anchor_t *anchor;           /* anchor[i] is the name of pieces tagged i */
	size_t nanchors, anchors_cap;
	int groups;                 /* groups handed out so far */
	emitted_t *out;
	size_t nout, out_cap;
	range_t *absolute;          /* what goes into the block, in Linux addresses */
	size_t nabsolute, absolute_cap;
	cluster_t *cluster;         /* the block's layout, once the log is read */
	size_t nclusters;
	uint64_t placed_bytes;      /* all the layer ever places: the area it may need below the block */
	int has_brk;
	uint64_t brk_start, brk_peak;
	size_t memory_calls, operations, comments;
	const struct space *forked_from; /* the parent's space, for a process that fork made */
	sbuf_t head;                /* comment lines for the head of the trace */
} space_t;

typedef struct task {
	long pid;
	space_t *space;
	char *pending;              /* an unfinished call's text so far, or NULL */
	unsigned long pending_seq;  /* when the unfinished call began */
} task_t;

typedef struct importer {
	const char *log_name;
	const import_options_t *opt;
	task_t *task;
	size_t ntasks, tasks_cap;
	space_t **space;
	size_t nspaces, spaces_cap;
	unsigned long seq;
	size_t line;                /* the line being read */
	size_t bad_lines;
	long first_pid;             /* the pid of the first process once known, for lines without one */
	int saw_clone;              /* the log has process calls: threads can be told from processes */
	int guessed_processes;      /* a pid appeared that no clone line explained */
} importer_t;

/* ---- Spaces and tasks ------------------------------------------------------------ */

static space_t *
space_new(importer_t *imp, long pid)
{
	space_t *s = xcalloc(1, sizeof(*s));

	s->pid = pid;
	s->first_line = imp->line;
	pm_init(&s->map);
	XGROW(imp->space, imp->spaces_cap, imp->nspaces + 1);
	imp->space[imp->nspaces++] = s;
	return s;
}

static void
space_free(space_t *s)
{
	for (size_t i = 0; i < s->nout; i++)
		free(s->out[i].comment);
	free(s->out);
	free(s->anchor);
	free(s->absolute);
	free(s->cluster);
	free(s->head.p);
	pm_fini(&s->map);
	free(s);
}

static task_t *
task_find(importer_t *imp, long pid)
{
	for (size_t i = 0; i < imp->ntasks; i++)
		if (imp->task[i].pid == pid)
			return &imp->task[i];
	return NULL;
}

static task_t *
task_add(importer_t *imp, long pid, space_t *space)
{
	task_t *t;

	XGROW(imp->task, imp->tasks_cap, imp->ntasks + 1);
	t = &imp->task[imp->ntasks++];
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->space = space;
	return t;
}

static void
task_remove(importer_t *imp, task_t *t)
{
	free(t->pending);
	*t = imp->task[--imp->ntasks];
}

static const char *
space_label(const space_t *s, char *buf, size_t size)
{
	if (s->pid < 0)
		snprintf(buf, size, "the process");
	else
		snprintf(buf, size, "pid %ld", s->pid);
	return buf;
}

/* ---- Emitting ---------------------------------------------------------------------- */

static emitted_t *
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
static char *
call_text(const strace_call_t *c)
{
	sbuf_t b = { 0 };

	sb_add(&b, c->call.p, c->call.len);
	sb_puts(&b, " = ");
	sb_add(&b, c->result_text.p, c->result_text.len);
	return b.p;
}

/* Keep a call as a comment line; why (may be NULL) says why it is no operation. */
static void
emit_comment(space_t *s, const strace_call_t *c, const char *why)
{
	emitted_t *e = emit(s, -1);
	sbuf_t b = { 0 };
	char *text = call_text(c);

	sb_puts(&b, text);
	if (why)
		sb_printf(&b, " -- %s", why);
	free(text);
	e->comment = b.p;
	s->comments++;
}

static void
set_errno_result(emitted_t *e, const strace_call_t *c)
{
	e->result = RES_ERRNO;
	snprintf(e->errno_name, sizeof(e->errno_name), "%s", c->errno_name);
}

static xaddr_t
xa_number(uint64_t v)
{
	xaddr_t a = { XA_NUMBER, 0, v };

	return a;
}

static xaddr_t
xa_block(uint64_t linux_addr)
{
	xaddr_t a = { XA_BLOCK, 0, linux_addr };

	return a;
}

/* The anchor of a piece, or NULL if the trace has no name for its memory. */
static const anchor_t *
piece_anchor(const space_t *s, const pm_piece_t *p)
{
	return p && p->attr.tag >= 0 ? &s->anchor[p->attr.tag] : NULL;
}

/* Linux address a, inside a piece with anchor n, as the trace writes it. */
static xaddr_t
xa_relative(const anchor_t *n, uint64_t a)
{
	xaddr_t x = { XA_NAME, n->name, a - n->base };

	return x;
}

static int
anchor_new(space_t *s, uint64_t base, int group)
{
	anchor_t *n;

	XGROW(s->anchor, s->anchors_cap, s->nanchors + 1);
	n = &s->anchor[s->nanchors];
	n->base = base;
	n->name = (unsigned)s->nanchors + 1;
	n->group = group;
	return (int)s->nanchors++;
}

static void
add_absolute(space_t *s, uint64_t start, uint64_t end)
{
	XGROW(s->absolute, s->absolute_cap, s->nabsolute + 1);
	s->absolute[s->nabsolute].start = start;
	s->absolute[s->nabsolute].end = end;
	s->nabsolute++;
}

/* Why a range with no name in the trace is no operation, from the tag of its memory. */
static const char *
unnamed_reason(int tag)
{
	switch (tag) {
	case TAG_INHERITED: return "on memory inherited at fork, which this trace does not have";
	case TAG_UNEXPRESSED: return "on a mapping this trace could not express";
	default: return "outside every recorded mapping (the kernel's, from execve, or older than the log)";
	}
}

/*
 * The parts of a Linux range, cut where they lie in different places in
 * the model: a segment is a run of pieces of one group without a gap.
 */
typedef struct segment {
	uint64_t start, end;
	const anchor_t *anchor;     /* NULL: memory the trace has no name for */
	int tag;                    /* the first piece's tag */
} segment_t;

typedef struct segments {
	segment_t *seg;
	size_t n, cap;
	size_t named;               /* segments with a name */
	int gap;                    /* a part of the range is not mapped at all */
	int unnamed_tag;            /* the tag of the first part without a name, or 0 */
} segments_t;

static void
segments_of(const space_t *s, uint64_t start, uint64_t end, segments_t *out)
{
	uint64_t pos = start;

	out->n = out->named = 0;
	out->gap = 0;
	out->unnamed_tag = 0;
	for (size_t i = pm_first_after(&s->map, start); i < s->map.n && s->map.piece[i].start < end; i++) {
		const pm_piece_t *p = &s->map.piece[i];
		uint64_t a = p->start > start ? p->start : start;
		uint64_t b = p->end < end ? p->end : end;
		const anchor_t *n = piece_anchor(s, p);
		segment_t *last = out->n ? &out->seg[out->n - 1] : NULL;

		if (a > pos)
			out->gap = 1;
		pos = b;
		if (!n && !out->unnamed_tag)
			out->unnamed_tag = p->attr.tag;
		if (last && last->end == a &&
		    (n ? last->anchor && last->anchor->group == n->group : !last->anchor)) {
			last->end = b;
			continue;
		}
		XGROW(out->seg, out->cap, out->n + 1);
		out->seg[out->n].start = a;
		out->seg[out->n].end = b;
		out->seg[out->n].anchor = n;
		out->seg[out->n].tag = p->attr.tag;
		out->n++;
		if (n)
			out->named++;
	}
	if (pos < end)
		out->gap = 1;
}

/*
 * Where a fixed mapping over Linux [start, end) goes in the model: if the
 * whole range is named memory of one group, it replaces that memory there
 * too, and the anchor returned is the name to write it relative to. Else
 * NULL: it goes into the block, since beyond what a group covers on Linux
 * the model may hold other mappings (the layer packs its placements
 * closely), which the fixed mapping must not replace.
 */
static const anchor_t *
fixed_home(const space_t *s, uint64_t start, uint64_t end)
{
	segments_t sg = { 0 };
	const anchor_t *home = NULL;

	segments_of(s, start, end, &sg);
	if (sg.n == 1 && sg.seg[0].anchor && !sg.gap)
		home = piece_anchor(s, pm_find(&s->map, start));
	free(sg.seg);
	return home;
}

/*
 * A fixed mapping that goes into the block replaces, on Linux, whatever
 * named memory was in its range; that lies elsewhere in the model, so it
 * is unmapped there first.
 */
static void
unmap_replaced(space_t *s, uint64_t start, uint64_t end)
{
	segments_t sg = { 0 };

	segments_of(s, start, end, &sg);
	for (size_t i = 0; i < sg.n; i++) {
		emitted_t *e;

		if (!sg.seg[i].anchor)
			continue;
		e = emit(s, RME_TRACE_OP_MUNMAP);
		e->addr = xa_relative(sg.seg[i].anchor, sg.seg[i].start);
		e->len = sg.seg[i].end - sg.seg[i].start;
		e->result = RES_ZERO;
		e->comment = xstrndup("the next mapping replaces this on Linux", 39);
	}
	free(sg.seg);
}

/* ---- Flags -------------------------------------------------------------------------- */

static const strace_sym_t prot_syms[] = {
	{ "PROT_NONE", RME_PROT_NONE }, { "PROT_READ", RME_PROT_READ },
	{ "PROT_WRITE", RME_PROT_WRITE }, { "PROT_EXEC", RME_PROT_EXEC },
	{ "PROT_SEM", RME_PROT_SEM }, { "PROT_GROWSDOWN", RME_PROT_GROWSDOWN },
	{ "PROT_GROWSUP", RME_PROT_GROWSUP }, { NULL, 0 },
};

static const strace_sym_t map_syms[] = {
	{ "MAP_SHARED", RME_MAP_SHARED }, { "MAP_PRIVATE", RME_MAP_PRIVATE },
	{ "MAP_SHARED_VALIDATE", RME_MAP_SHARED_VALIDATE }, { "MAP_FIXED", RME_MAP_FIXED },
	{ "MAP_ANONYMOUS", RME_MAP_ANONYMOUS }, { "MAP_ANON", RME_MAP_ANONYMOUS },
	{ "MAP_32BIT", RME_MAP_32BIT }, { "MAP_GROWSDOWN", RME_MAP_GROWSDOWN },
	{ "MAP_DENYWRITE", RME_MAP_DENYWRITE }, { "MAP_EXECUTABLE", RME_MAP_EXECUTABLE },
	{ "MAP_LOCKED", RME_MAP_LOCKED }, { "MAP_NORESERVE", RME_MAP_NORESERVE },
	{ "MAP_POPULATE", RME_MAP_POPULATE }, { "MAP_NONBLOCK", RME_MAP_NONBLOCK },
	{ "MAP_STACK", RME_MAP_STACK }, { "MAP_HUGETLB", RME_MAP_HUGETLB },
	{ "MAP_SYNC", RME_MAP_SYNC }, { "MAP_FIXED_NOREPLACE", RME_MAP_FIXED_NOREPLACE },
	{ "MAP_UNINITIALIZED", RME_MAP_UNINITIALIZED }, { "MAP_FILE", 0 }, { NULL, 0 },
};

static const strace_sym_t mremap_syms[] = {
	{ "MREMAP_MAYMOVE", RME_MREMAP_MAYMOVE }, { "MREMAP_FIXED", RME_MREMAP_FIXED },
	{ "MREMAP_DONTUNMAP", RME_MREMAP_DONTUNMAP }, { NULL, 0 },
};

static const strace_sym_t madv_syms[] = {
	{ "MADV_NORMAL", RME_MADV_NORMAL }, { "MADV_RANDOM", RME_MADV_RANDOM },
	{ "MADV_SEQUENTIAL", RME_MADV_SEQUENTIAL }, { "MADV_WILLNEED", RME_MADV_WILLNEED },
	{ "MADV_DONTNEED", RME_MADV_DONTNEED }, { "MADV_FREE", RME_MADV_FREE },
	{ NULL, 0 },
};

/* What the trace's flags say of Linux's MAP_* flags, bit for bit. */
static const struct {
	uint64_t linux_flag;
	unsigned trace_flag;
} map_flag_equivalents[] = {
	{ RME_MAP_ANONYMOUS, RME_TRACE_MAP_ANON },
	{ RME_MAP_FIXED, RME_TRACE_MAP_FIXED },
	{ RME_MAP_FIXED_NOREPLACE, RME_TRACE_MAP_NOREPLACE },
	{ RME_MAP_NORESERVE, RME_TRACE_MAP_NORESERVE },
	{ RME_MAP_POPULATE, RME_TRACE_MAP_POPULATE },
	{ RME_MAP_STACK, RME_TRACE_MAP_STACK },
	{ RME_MAP_GROWSDOWN, RME_TRACE_MAP_GROWSDOWN },
};

/* Flags Linux itself ignores: leaving them out changes nothing. */
#define MAP_IGNORED_BY_LINUX (RME_MAP_DENYWRITE | RME_MAP_EXECUTABLE | RME_MAP_NONBLOCK)

/* Names for the flags the trace cannot carry, for the remark that says they were left out. */
static const strace_sym_t map_dropped_names[] = {
	{ "MAP_32BIT", RME_MAP_32BIT }, { "MAP_LOCKED", RME_MAP_LOCKED },
	{ "MAP_HUGETLB", RME_MAP_HUGETLB }, { "MAP_SYNC", RME_MAP_SYNC }, { NULL, 0 },
};

/*
 * Linux's mmap flags as the trace's; the flags the trace cannot carry go
 * into *dropped (a remark), except those Linux ignores anyway.
 */
static unsigned
trace_map_flags(uint64_t f, sbuf_t *dropped)
{
	unsigned out = 0;
	uint64_t rest = f & ~(uint64_t)RME_MAP_TYPE & ~(uint64_t)MAP_IGNORED_BY_LINUX;
	uint64_t huge_bits = (uint64_t)RME_MAP_HUGE_MASK << RME_MAP_HUGE_SHIFT;
	unsigned huge_log2 = 0;

	/*
	 * The bits at MAP_HUGE_SHIFT are the huge page size with MAP_HUGETLB;
	 * without it, one of them is MAP_UNINITIALIZED, which Linux ignores
	 * where there is an MMU.
	 */
	if (f & RME_MAP_HUGETLB)
		huge_log2 = (unsigned)((rest & huge_bits) >> RME_MAP_HUGE_SHIFT);
	rest &= (f & RME_MAP_HUGETLB) ? ~huge_bits : ~(uint64_t)RME_MAP_UNINITIALIZED;

	switch (f & RME_MAP_TYPE) {
	case RME_MAP_SHARED:
	case RME_MAP_SHARED_VALIDATE:
		out |= RME_TRACE_MAP_SHARED;
		break;
	case RME_MAP_PRIVATE:
		out |= RME_TRACE_MAP_PRIVATE;
		break;
	default:
		break;          /* Linux refuses it with EINVAL; the layer sees no type either */
	}
	for (size_t i = 0; i < sizeof(map_flag_equivalents) / sizeof(*map_flag_equivalents); i++)
		if (f & map_flag_equivalents[i].linux_flag) {
			out |= map_flag_equivalents[i].trace_flag;
			rest &= ~map_flag_equivalents[i].linux_flag;
		}
	for (const strace_sym_t *s = map_dropped_names; s->name; s++)
		if (rest & s->value) {
			sb_printf(dropped, "%s%s", dropped->len ? "|" : "", s->name);
			rest &= ~s->value;
		}
	if (huge_log2) {
		/* the huge page size, as strace names it: MAP_HUGE_2MB */
		static const char units[] = "KMGTPE";

		if (huge_log2 >= 10 && huge_log2 < 70)
			sb_printf(dropped, "|MAP_HUGE_%u%cB", 1u << ((huge_log2 - 10) % 10),
			          units[(huge_log2 - 10) / 10]);
		else
			sb_printf(dropped, "|%u<<MAP_HUGE_SHIFT", huge_log2);
	}
	if (rest)
		sb_printf(dropped, "%s0x%" PRIx64, dropped->len ? "|" : "", rest);
	return out;
}

/*
 * Linux's PROT_* as the trace's rights. PROT_SEM means nothing on x86 and
 * is left out; PROT_GROWSDOWN/UP and unknown bits make it -1 (the call
 * stays a comment).
 */
static int
trace_rights(uint64_t prot)
{
	if (prot & ~(uint64_t)(RME_PROT_READ | RME_PROT_WRITE | RME_PROT_EXEC | RME_PROT_SEM))
		return -1;
	return (int)(((prot & RME_PROT_READ) ? RME_TRACE_RIGHT_R : 0) |
	             ((prot & RME_PROT_WRITE) ? RME_TRACE_RIGHT_W : 0) |
	             ((prot & RME_PROT_EXEC) ? RME_TRACE_RIGHT_X : 0));
}

/*
 * Whether a failure depends on something the trace does not model: a
 * file (its mode, its kind, its lock) or the process's limits. Those stay
 * comments, since the model would give another answer.
 */
static int
errno_outside_model(const char *name)
{
	static const char *const outside[] = {
		"EACCES", "EBADF", "ENODEV", "ETXTBSY", "EPERM", "EAGAIN", "ENFILE", "EMFILE",
		"EOVERFLOW", "EINTR",
	};

	if (!name[0])
		return 1;
	for (size_t i = 0; i < sizeof(outside) / sizeof(*outside); i++)
		if (strcmp(name, outside[i]) == 0)
			return 1;
	return 0;
}

/*
 * A failed call whose address is written as addr_ok says: whether it can be
 * an errno expectation, else why not (in *why).
 */
static int
failure_expressible(const strace_call_t *c, const char **why)
{
	if (c->injected) {
		*why = "a failure strace injected, which the model would not have";
		return 0;
	}
	if (errno_outside_model(c->errno_name)) {
		*why = "the failure comes from something the trace does not model (a file, a limit)";
		return 0;
	}
	return 1;
}

/* ---- The calls ------------------------------------------------------------------------ */

static int
arg_u64(const strace_call_t *c, size_t i, uint64_t *out)
{
	return i < c->nargs && i < STRACE_MAX_ARGS ? strace_uvalue(c->arg[i], out) : -1;
}

/* Flags of argument i; -1 if unreadable, and a name the table lacks counts as unreadable. */
static int
arg_flags(const strace_call_t *c, size_t i, const strace_sym_t *syms, unsigned huge_shift,
          uint64_t *out, char *unknown, size_t unknown_size)
{
	strace_span_t u;

	unknown[0] = 0;
	if (i >= c->nargs || i >= STRACE_MAX_ARGS ||
	    strace_flags(c->arg[i], syms, huge_shift, out, &u) != 0)
		return -1;
	if (u.len) {
		snprintf(unknown, unknown_size, "%.*s", (int)u.len, u.p);
		return -1;
	}
	return 0;
}

static uint64_t
end_of(uint64_t start, uint64_t len)
{
	uint64_t r = pm_round_up(len);

	return start > UINT64_MAX - r ? UINT64_MAX & ~(PM_PAGE - 1) : start + r;
}

static void
do_mmap(space_t *s, const strace_call_t *c, int pages_offset)
{
	uint64_t addr, len, prot, flags, off = 0, end;
	int fd, rights, fixed, tag, group;
	unsigned tflags;
	char unknown[64];
	sbuf_t dropped = { 0 };
	sbuf_t remark = { 0 };
	const pm_piece_t *p;
	const anchor_t *n;
	const char *why;
	emitted_t *e;
	pm_attr_t attr;
	xaddr_t where;
	strace_span_t path;

	if (c->nargs != 6 || arg_u64(c, 0, &addr) || arg_u64(c, 1, &len) ||
	    strace_fd(c->arg[4], &fd, &path) || arg_u64(c, 5, &off)) {
		emit_comment(s, c, "arguments that cannot be read");
		return;
	}
	if (arg_flags(c, 2, prot_syms, 0, &prot, unknown, sizeof(unknown)) ||
	    arg_flags(c, 3, map_syms, RME_MAP_HUGE_SHIFT, &flags, unknown, sizeof(unknown))) {
		char why_buf[128];

		snprintf(why_buf, sizeof(why_buf), "%s%s", unknown[0] ? "a flag this importer does not know: "
		         : "flags that cannot be read", unknown);
		emit_comment(s, c, why_buf);
		return;
	}
	if (pages_offset)
		off *= PM_PAGE;
	rights = trace_rights(prot);
	if (rights < 0) {
		emit_comment(s, c, "protection bits the trace cannot express");
		return;
	}
	if (c->result == SR_UNKNOWN) {
		emit_comment(s, c, "no result: the process ended during the call");
		return;
	}
	tflags = trace_map_flags(flags, &dropped);
	if (!(flags & RME_MAP_ANONYMOUS) && fd < 0) {
		/* a file mapping without a file: EBADF on Linux, and fd=-1 has no form in a trace */
		free(dropped.p);
		emit_comment(s, c, "a file mapping without a descriptor");
		return;
	}
	fixed = (flags & (RME_MAP_FIXED | RME_MAP_FIXED_NOREPLACE)) != 0;
	p = pm_find(&s->map, addr);
	n = piece_anchor(s, p);

	if (c->result == SR_ERROR) {
		if (!failure_expressible(c, &why)) {
			free(dropped.p);
			emit_comment(s, c, why);
			return;
		}
		if (n)
			where = xa_relative(n, addr);
		else if (!fixed)
			where = xa_number(0);   /* a hint nothing was at: the model chooses, as Linux did */
		else if (strcmp(c->errno_name, "EINVAL") == 0)
			where = xa_number(addr); /* bad arguments: the address only matters by its form */
		else {
			free(dropped.p);
			emit_comment(s, c, unnamed_reason(p ? p->attr.tag : 0));
			return;
		}
		e = emit(s, RME_TRACE_OP_MMAP);
		set_errno_result(e, c);
	} else {
		uint64_t r = c->value;

		end = end_of(r, len);
		if (fixed) {
			const anchor_t *home = fixed_home(s, r, end);

			if (home) {
				group = home->group;
				where = xa_relative(home, addr);
			} else {
				/* into the block, which keeps distances between such mappings */
				unmap_replaced(s, r, end);
				group = GROUP_BLOCK;
				where = xa_block(addr);
				add_absolute(s, r, end);
			}
		} else if (addr && r == addr && pm_is_free(&s->map, r, end)) {
			/*
			 * A hint Linux granted at a free place: that place goes into the
			 * block, so that the layer can grant it too, next to the fixed
			 * mappings the program may put around it. A group of its own,
			 * since the layer may still put it elsewhere.
			 */
			group = ++s->groups;
			where = xa_block(addr);
			add_absolute(s, r, end);
		} else {
			group = ++s->groups;
			if (n)
				where = xa_relative(n, addr);   /* a hint where something was: taken there too */
			else {
				where = xa_number(0);
				if (addr)
					sb_printf(&remark, "hint 0x%" PRIx64 " not granted", addr);
			}
			s->placed_bytes += end - r;
		}
		tag = anchor_new(s, r, group);
		attr.prot = (unsigned)rights;
		attr.flags = pm_mapping_flags(tflags, (unsigned)rights);
		attr.obj = (flags & RME_MAP_ANONYMOUS) ? 0 : PM_OBJ_FILE | (uint32_t)fd;
		attr.off = (flags & RME_MAP_ANONYMOUS) ? r : off;
		attr.tag = tag;
		pm_map(&s->map, r, end, &attr);

		e = emit(s, RME_TRACE_OP_MMAP);
		e->bind = s->anchor[tag].name;
		if (where.kind == XA_BLOCK && fixed) {
			e->result = RES_ADDR;
			e->result_addr = where;
		} else {
			e->result = RES_OK;
		}
	}
	e->addr = where;
	e->len = len;
	e->prot = (unsigned)rights;
	e->flags = tflags;
	if (!(flags & RME_MAP_ANONYMOUS)) {
		e->fd = fd;
		e->off = off;
		if (path.len)   /* strace -y: which file, for the reader */
			sb_printf(&remark, "%s%.*s", remark.len ? "; " : "", (int)path.len, path.p);
	}
	if (dropped.len)
		sb_printf(&remark, "%swithout %s", remark.len ? "; " : "", dropped.p);
	e->comment = remark.p;
	free(dropped.p);
}

typedef enum { RANGE_MUNMAP, RANGE_MPROTECT, RANGE_MADVISE, RANGE_MSYNC } range_op_t;

static const int range_trace_op[] = {
	[RANGE_MUNMAP] = RME_TRACE_OP_MUNMAP, [RANGE_MPROTECT] = RME_TRACE_OP_MPROTECT,
	[RANGE_MADVISE] = RME_TRACE_OP_MADVISE, [RANGE_MSYNC] = RME_TRACE_OP_MSYNC,
};

/*
 * munmap, mprotect, madvise, msync: one operation per place the range lies
 * in the model. Parts of the range that the trace has no name for are
 * left out and said so; an unaligned length stays as it was on the last
 * part, for the layer to round as Linux does.
 */
static void
do_range(space_t *s, const strace_call_t *c, range_op_t kind, unsigned prot,
         rme_trace_advice_t advice)
{
	uint64_t addr, len, end;
	segments_t sg = { 0 };
	const char *why;
	emitted_t *e;

	if (arg_u64(c, 0, &addr) || arg_u64(c, 1, &len)) {
		emit_comment(s, c, "arguments that cannot be read");
		return;
	}
	if (c->result == SR_UNKNOWN) {
		emit_comment(s, c, "no result: the process ended during the call");
		return;
	}
	end = end_of(addr, len);
	if (c->result == SR_ERROR) {
		const anchor_t *n = piece_anchor(s, pm_find(&s->map, addr));
		const pm_piece_t *p = pm_find(&s->map, addr);

		if (!failure_expressible(c, &why)) {
			emit_comment(s, c, why);
			return;
		}
		if (!n && strcmp(c->errno_name, "EINVAL") != 0) {
			emit_comment(s, c, unnamed_reason(p ? p->attr.tag : 0));
			return;
		}
		e = emit(s, range_trace_op[kind]);
		e->addr = n ? xa_relative(n, addr) : xa_number(addr);
		e->len = len;
		e->prot = prot;
		e->advice = advice;
		set_errno_result(e, c);
		return;
	}

	if (len == 0) {
		/* Linux does nothing for an empty range; neither does the layer, at any address */
		const anchor_t *n = piece_anchor(s, pm_find(&s->map, addr));

		e = emit(s, range_trace_op[kind]);
		e->addr = n ? xa_relative(n, addr) : xa_number(addr);
		e->prot = prot;
		e->advice = advice;
		e->result = RES_ZERO;
		return;
	}
	segments_of(s, addr, end, &sg);
	if (sg.named == 0) {
		emit_comment(s, c, unnamed_reason(sg.unnamed_tag));
	} else {
		if (sg.named > 1 || sg.gap || sg.unnamed_tag) {
			char why_buf[160];

			if (sg.gap || sg.unnamed_tag)
				snprintf(why_buf, sizeof(why_buf), "as %zu operation%s: the rest is %s",
				         sg.named, sg.named == 1 ? "" : "s",
				         sg.unnamed_tag ? unnamed_reason(sg.unnamed_tag) : "not mapped");
			else
				snprintf(why_buf, sizeof(why_buf),
				         "as %zu operations: its range lies in %zu places in the model",
				         sg.named, sg.named);
			emit_comment(s, c, why_buf);
		}
		for (size_t i = 0; i < sg.n; i++) {
			const segment_t *g = &sg.seg[i];

			if (!g->anchor)
				continue;
			e = emit(s, range_trace_op[kind]);
			e->addr = xa_relative(g->anchor, g->start);
			/* the call's own length on the part that ends the range: Linux rounds it */
			e->len = g->end == end ? addr + len - g->start : g->end - g->start;
			e->prot = prot;
			e->advice = advice;
			e->result = RES_ZERO;
		}
	}
	free(sg.seg);
	if (kind == RANGE_MUNMAP)
		pm_unmap(&s->map, addr, end);
	else if (kind == RANGE_MPROTECT)
		pm_protect(&s->map, addr, end, prot);
}

static void
do_mprotect(space_t *s, const strace_call_t *c, int with_pkey)
{
	uint64_t prot;
	int64_t pkey;
	int rights;
	char unknown[64];

	if (with_pkey && (c->nargs != 4 || strace_value(c->arg[3], &pkey) != 0 || pkey != -1)) {
		/* pkey -1 is plain mprotect */
		emit_comment(s, c, "a protection key has no form in a trace");
		return;
	}
	if (arg_flags(c, 2, prot_syms, 0, &prot, unknown, sizeof(unknown))) {
		emit_comment(s, c, "protection bits that cannot be read");
		return;
	}
	rights = trace_rights(prot);
	if (rights < 0) {
		emit_comment(s, c, "protection bits the trace cannot express");
		return;
	}
	do_range(s, c, RANGE_MPROTECT, (unsigned)rights, RME_TRACE_ADVICE_NORMAL);
}

static void
do_madvise(space_t *s, const strace_call_t *c)
{
	static const struct { uint64_t linux_advice; rme_trace_advice_t advice; } advices[] = {
		{ RME_MADV_NORMAL, RME_TRACE_ADVICE_NORMAL },
		{ RME_MADV_DONTNEED, RME_TRACE_ADVICE_DONTNEED },
		{ RME_MADV_FREE, RME_TRACE_ADVICE_FREE },
		{ RME_MADV_WILLNEED, RME_TRACE_ADVICE_WILLNEED },
	};
	uint64_t adv;
	strace_span_t unknown;

	if (c->nargs != 3 || strace_flags(c->arg[2], madv_syms, 0, &adv, &unknown) != 0 || unknown.len) {
		emit_comment(s, c, "advice that has no form in a trace");
		return;
	}
	for (size_t i = 0; i < sizeof(advices) / sizeof(*advices); i++)
		if (advices[i].linux_advice == adv) {
			do_range(s, c, RANGE_MADVISE, 0, advices[i].advice);
			return;
		}
	emit_comment(s, c, "advice that has no form in a trace");
}

static void
do_mremap(space_t *s, const strace_call_t *c)
{
	uint64_t addr, old_len, new_len, flags, new_addr = 0, old_end, new_end;
	const pm_piece_t *p;
	const anchor_t *n, *target = NULL;
	segments_t sg = { 0 };
	char unknown[64];
	const char *why;
	emitted_t *e;
	int fixed, group, tag, one_place;

	if (arg_u64(c, 0, &addr) || arg_u64(c, 1, &old_len) || arg_u64(c, 2, &new_len) ||
	    arg_flags(c, 3, mremap_syms, 0, &flags, unknown, sizeof(unknown)) ||
	    ((flags & RME_MREMAP_FIXED) && arg_u64(c, 4, &new_addr))) {
		emit_comment(s, c, "arguments that cannot be read");
		return;
	}
	if (c->result == SR_UNKNOWN) {
		emit_comment(s, c, "no result: the process ended during the call");
		return;
	}
	fixed = (flags & RME_MREMAP_FIXED) != 0;
	old_end = end_of(addr, old_len);
	if (flags & RME_MREMAP_DONTUNMAP) {
		emit_comment(s, c, "MREMAP_DONTUNMAP has no form in a trace");
		if (c->result == SR_VALUE) {
			/* Linux keeps the old range and maps the new one: follow it, unnamed */
			pagemap_t moved;

			new_end = end_of(c->value, new_len);
			pm_copy(&moved, &s->map);
			pm_remap(&moved, addr, old_end, c->value, new_end);
			for (size_t i = pm_first_after(&moved, c->value);
			     i < moved.n && moved.piece[i].start < new_end; i++) {
				pm_attr_t a = moved.piece[i].attr;

				a.tag = TAG_UNEXPRESSED;
				pm_map(&s->map, moved.piece[i].start, moved.piece[i].end, &a);
			}
			pm_fini(&moved);
		}
		return;
	}
	p = pm_find(&s->map, addr);
	n = piece_anchor(s, p);

	if (c->result == SR_ERROR) {
		int bad_args = strcmp(c->errno_name, "EINVAL") == 0;

		if (fixed)
			target = piece_anchor(s, pm_find(&s->map, new_addr));
		if (!failure_expressible(c, &why)) {
			emit_comment(s, c, why);
			return;
		}
		if ((!n || (fixed && !target)) && !bad_args) {
			emit_comment(s, c, unnamed_reason(p ? p->attr.tag : 0));
			return;
		}
		e = emit(s, RME_TRACE_OP_MREMAP);
		e->addr = n ? xa_relative(n, addr) : xa_number(addr);
		e->len = old_len;
		e->new_len = new_len;
		e->maymove = (flags & RME_MREMAP_MAYMOVE) != 0;
		if (fixed) {
			e->has_fixed = 1;
			e->fixed = target ? xa_relative(target, new_addr) : xa_number(new_addr);
		}
		set_errno_result(e, c);
		return;
	}

	new_end = end_of(c->value, new_len);
	segments_of(s, addr, old_end, &sg);
	one_place = n && sg.n == 1 && !sg.gap;
	free(sg.seg);
	if (!one_place) {
		/* follow Linux all the same, so that later calls find the memory where it went */
		emit_comment(s, c, !n ? unnamed_reason(p ? p->attr.tag : 0)
		                   : "its range lies in several places in the model");
		pm_remap(&s->map, addr, old_end, c->value, new_end);
		pm_retag(&s->map, c->value, new_end, TAG_UNEXPRESSED);
		return;
	}
	if (fixed) {
		/* like a fixed mmap: where the target is, or into the block */
		target = fixed_home(s, new_addr, new_end);
		if (!target)
			unmap_replaced(s, new_addr, new_end);
	}

	e = emit(s, RME_TRACE_OP_MREMAP);
	e->addr = xa_relative(n, addr);
	e->len = old_len;
	e->new_len = new_len;
	e->maymove = (flags & RME_MREMAP_MAYMOVE) != 0;
	e->result = RES_OK;
	if (fixed) {
		e->has_fixed = 1;
		if (target) {
			group = target->group;
			e->fixed = xa_relative(target, new_addr);
		} else {
			group = GROUP_BLOCK;
			e->fixed = xa_block(new_addr);
			e->result = RES_ADDR;
			e->result_addr = e->fixed;
			add_absolute(s, new_addr, new_end);
		}
	} else if (flags & RME_MREMAP_MAYMOVE) {
		/* it may move on the model even where Linux grew it in place */
		group = ++s->groups;
		s->placed_bytes += new_end - c->value;
	} else {
		group = n->group;   /* in place, or it fails */
	}
	tag = anchor_new(s, c->value, group);
	e->bind = s->anchor[tag].name;
	pm_remap(&s->map, addr, old_end, c->value, new_end);
	pm_retag(&s->map, c->value, new_end, tag);
}

/* brk has no form in a trace; how far the break went is worth knowing all the same. */
static void
do_brk(space_t *s, const strace_call_t *c)
{
	if (c->result == SR_VALUE) {
		if (!s->has_brk) {
			s->has_brk = 1;
			s->brk_start = c->value;
		}
		if (c->value > s->brk_start && c->value - s->brk_start > s->brk_peak)
			s->brk_peak = c->value - s->brk_start;
	}
	emit_comment(s, c, NULL);
}

/* The memory calls strace's %memory class has (and a few newer ones) that the format lacks. */
static const char *const memory_calls_without_form[] = {
	"shmat", "shmdt", "mlock", "mlock2", "munlock", "mlockall", "munlockall", "mincore",
	"mbind", "get_mempolicy", "set_mempolicy", "set_mempolicy_home_node", "migrate_pages",
	"move_pages", "remap_file_pages", "io_setup", "io_destroy", "process_madvise",
	"process_mrelease", "map_shadow_stack", "mseal", "memfd_secret", "pkey_alloc", "pkey_free",
};

/* The calls the trace has an operation for; the others of the class have none. */
static const char *const memory_calls_with_form[] = {
	"mmap", "mmap2", "munmap", "mprotect", "pkey_mprotect", "madvise", "msync", "mremap", "brk",
};

static int
is_memory_call(const char *name)
{
	for (size_t i = 0; i < sizeof(memory_calls_with_form) / sizeof(*memory_calls_with_form); i++)
		if (strcmp(name, memory_calls_with_form[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof(memory_calls_without_form) / sizeof(*memory_calls_without_form); i++)
		if (strcmp(name, memory_calls_without_form[i]) == 0)
			return 1;
	return 0;
}

/* Handle a memory call; returns 0 if the call is none. */
static int
memory_call(space_t *s, const strace_call_t *c)
{
	const char *name = c->name;

	if (strcmp(name, "mmap") == 0 || strcmp(name, "mmap2") == 0)
		do_mmap(s, c, strcmp(name, "mmap2") == 0);
	else if (strcmp(name, "munmap") == 0)
		do_range(s, c, RANGE_MUNMAP, 0, RME_TRACE_ADVICE_NORMAL);
	else if (strcmp(name, "mprotect") == 0 || strcmp(name, "pkey_mprotect") == 0)
		do_mprotect(s, c, strcmp(name, "pkey_mprotect") == 0);
	else if (strcmp(name, "madvise") == 0)
		do_madvise(s, c);
	else if (strcmp(name, "msync") == 0)
		do_range(s, c, RANGE_MSYNC, 0, RME_TRACE_ADVICE_NORMAL);  /* MS_* flags have no form */
	else if (strcmp(name, "mremap") == 0)
		do_mremap(s, c);
	else if (strcmp(name, "brk") == 0)
		do_brk(s, c);
	else if (is_memory_call(name))
		emit_comment(s, c, NULL);   /* brk, shmat, mlock...: no operation of the format */
	else
		return 0;
	s->memory_calls++;
	return 1;
}

/* ---- Processes ------------------------------------------------------------------------ */

/* CLONE_VM and CLONE_VFORK: Linux's values (the only clone flags that matter here). */
enum { LINUX_CLONE_VM = 0x100, LINUX_CLONE_VFORK = 0x4000 };

static const strace_sym_t clone_syms[] = {
	{ "CLONE_VM", LINUX_CLONE_VM }, { "CLONE_VFORK", LINUX_CLONE_VFORK }, { NULL, 0 },
};

static int
is_process_creation(const char *name, size_t len)
{
	static const char *const names[] = { "clone", "clone3", "fork", "vfork" };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return 1;
	return 0;
}

/* Whether a clone, clone3, fork or vfork (its text from the name on) shares the address space. */
static int
shares_memory(const char *text, size_t len)
{
	strace_span_t v, unknown;
	uint64_t flags;

	if (len >= 6 && memcmp(text, "vfork(", 6) == 0)
		return 1;
	if (len >= 5 && memcmp(text, "fork(", 5) == 0)
		return 0;
	if (strace_field(text, len, "flags", &v) != 0 ||
	    strace_flags(v, clone_syms, 0, &flags, &unknown) != 0)
		return 0;
	return (flags & LINUX_CLONE_VM) != 0;
}

/* A new task of parent, as its clone (text) says: sharing its space, or with a copy of it. */
static task_t *
child_of(importer_t *imp, task_t *parent, long pid, const char *text, size_t len)
{
	space_t *ps = parent->space, *s;

	if (shares_memory(text, len))
		return task_add(imp, pid, ps);
	s = space_new(imp, pid);
	pm_copy(&s->map, &ps->map);
	pm_retag(&s->map, 0, UINT64_MAX, TAG_INHERITED);
	s->forked_from = ps;
	return task_add(imp, pid, s);
}

/*
 * The task of a pid; a pid seen for the first time is the first process
 * if strace printed its first lines without a pid, else a child of the
 * task whose clone is under way, else a process of its own.
 */
static task_t *
task_of(importer_t *imp, long pid, const strace_line_t *l)
{
	task_t *t, *nameless, *creator = NULL;

	/* strace drops the pids again when the first process is the only one left */
	if (pid < 0 && imp->first_pid >= 0)
		pid = imp->first_pid;
	t = task_find(imp, pid);
	if (t)
		return t;
	if (pid < 0)
		return task_add(imp, pid, space_new(imp, pid));
	nameless = task_find(imp, -1);
	for (size_t i = 0; i < imp->ntasks; i++) {
		task_t *c = &imp->task[i];

		if (c->pending && is_process_creation(c->pending, strcspn(c->pending, "(")) &&
		    (!creator || c->pending_seq > creator->pending_seq))
			creator = c;
	}
	/* on standard error, strace names the first process only once there is a second */
	if (nameless && l->kind == SL_RESUMED && nameless->pending &&
	    strlen(nameless->pending) > l->name_len && memcmp(nameless->pending, l->name, l->name_len) == 0 &&
	    nameless->pending[l->name_len] == '(')
		creator = NULL;         /* the first process, resuming its own call */
	if (creator)
		return child_of(imp, creator, pid, creator->pending, strlen(creator->pending));
	if (nameless) {
		nameless->pid = pid;
		imp->first_pid = pid;
		if (nameless->space->pid < 0)
			nameless->space->pid = pid;
		return nameless;
	}
	if (imp->ntasks > 0 || imp->nspaces > 0)
		imp->guessed_processes = 1;
	return task_add(imp, pid, space_new(imp, pid));
}

static void
process_call(importer_t *imp, task_t *t, const strace_call_t *c)
{
	if (is_process_creation(c->name, strlen(c->name))) {
		imp->saw_clone = 1;
		if (c->result == SR_VALUE && c->value > 0 && !task_find(imp, (long)c->value))
			child_of(imp, t, (long)c->value, c->call.p, c->call.len);
	} else if (strcmp(c->name, "execve") == 0 || strcmp(c->name, "execveat") == 0) {
		imp->saw_clone = 1;
		if (c->result == SR_VALUE && c->value == 0) {
			char *text = call_text(c);

			t->space = space_new(imp, t->pid);
			sb_printf(&t->space->head, "# %s\n", text);
			free(text);
		}
	}
	/* any other call is no business of a trace's */
}

/* ---- Lines ------------------------------------------------------------------------------ */

/* A memory call of t that never returned (the process ended): kept as a comment. */
static void
abandon_pending(task_t *t)
{
	size_t name_len;
	char name[STRACE_NAME_MAX + 1];
	sbuf_t b = { 0 };
	emitted_t *e;

	if (!t->pending)
		return;
	name_len = strcspn(t->pending, "(");
	snprintf(name, sizeof(name), "%.*s", (int)name_len, t->pending);
	if (is_memory_call(name)) {
		e = emit(t->space, -1);
		sb_printf(&b, "%s <unfinished ...> -- no result: the process ended during the call", t->pending);
		e->comment = b.p;
		t->space->comments++;
		t->space->memory_calls++;
	}
	free(t->pending);
	t->pending = NULL;
}

static void
bad_line(importer_t *imp, const char *why, const char *line, size_t len)
{
	imp->bad_lines++;
	fprintf(stderr, "%s:%zu: cannot read this line (%s): \"%.*s%s\"\n", imp->log_name, imp->line,
	        why, (int)(len > 60 ? 60 : len), line, len > 60 ? "..." : "");
}

/* A whole call of task t. */
static void
on_call(importer_t *imp, task_t *t, const char *text, size_t len, const char *line, size_t line_len)
{
	strace_call_t c;
	const char *why;

	if (strace_call_parse(text, len, &c, &why) != 0) {
		bad_line(imp, why, line, line_len);
		return;
	}
	t->space->last_line = imp->line;
	if (!memory_call(t->space, &c))
		process_call(imp, t, &c);
}

/* Returns 0, or -1 if --strict stops the import. */
static int
on_line(importer_t *imp, const char *line, size_t len)
{
	strace_line_t l;
	task_t *t;
	size_t before = imp->bad_lines;

	strace_line_split(line, len, &l);
	switch (l.kind) {
	case SL_BLANK:
	case SL_NOTE:
		return 0;
	case SL_BAD:
		bad_line(imp, l.why, line, len);
		break;
	case SL_SIGNAL:
		(void)task_of(imp, l.pid, &l);
		return 0;
	case SL_EXIT:
	case SL_SUPERSEDED:
		t = task_of(imp, l.pid, &l);
		if (l.kind == SL_SUPERSEDED && t->pending) {
			/* the thread that called execve goes on as the leader, new_pid */
			task_t *leader = task_find(imp, l.new_pid);

			if (leader && leader != t && !leader->pending) {
				leader->pending = t->pending;
				leader->pending_seq = t->pending_seq;
				t->pending = NULL;
			}
		}
		abandon_pending(t);
		task_remove(imp, t);
		return 0;
	case SL_CALL:
		t = task_of(imp, l.pid, &l);
		if (t->pending) {
			bad_line(imp, "a call while another one of this pid is unfinished", line, len);
			free(t->pending);
			t->pending = NULL;
		}
		on_call(imp, t, l.text, l.len, line, len);
		break;
	case SL_UNFINISHED:
		t = task_of(imp, l.pid, &l);
		free(t->pending);
		t->pending = xstrndup(l.text, l.len);
		t->pending_seq = ++imp->seq;
		if (is_process_creation(l.name, l.name_len))
			imp->saw_clone = 1;
		return 0;
	case SL_RESUMED:
		t = task_of(imp, l.pid, &l);
		if (!t->pending || strncmp(t->pending, l.name, l.name_len) != 0 ||
		    t->pending[l.name_len] != '(') {
			if (l.name_len == 6 && memcmp(l.name, "execve", 6) == 0) {
				/* the execve of a thread that became the leader: only its result matters */
				sbuf_t b = { 0 };

				sb_puts(&b, "execve(");
				sb_add(&b, l.text, l.len);
				on_call(imp, t, b.p, b.len, line, len);
				free(b.p);
				break;
			}
			bad_line(imp, "a resumed call that did not start", line, len);
			break;
		} else {
			sbuf_t b = { 0 };

			sb_puts(&b, t->pending);
			sb_add(&b, l.text, l.len);
			free(t->pending);
			t->pending = NULL;
			on_call(imp, t, b.p, b.len, line, len);
			free(b.p);
		}
		break;
	}
	return imp->opt->strict && imp->bad_lines > before ? -1 : 0;
}

/* ---- Writing the traces ---------------------------------------------------------------- */

static int
cmp_range(const void *a, const void *b)
{
	const range_t *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

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
block_address(const space_t *s, uint64_t linux_addr)
{
	for (size_t i = 0; i < s->nclusters; i++)
		if (linux_addr >= s->cluster[i].start && linux_addr < s->cluster[i].end)
			return AREA_BASE + s->cluster[i].area_off + (linux_addr - s->cluster[i].start);
	/* every block address was added to the layout; this would be a bug */
	fprintf(stderr, "rmemu: internal error: 0x%" PRIx64 " is not in the block\n", linux_addr);
	abort();
}

static void
print_xaddr(sbuf_t *b, const space_t *s, const xaddr_t *a)
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

static void
print_op(sbuf_t *b, const space_t *s, const emitted_t *e)
{
	static const char *const flag_names[] = {
		"private", "shared", "anon", "fixed", "noreplace", "noreserve", "populate", "stack",
		"growsdown",
	};
	static const char *const advice_names[] = { "normal", "dontneed", "free", "willneed" };

	if (e->op < 0) {
		sb_printf(b, "# %s\n", e->comment);
		return;
	}
	if (e->bind)
		sb_printf(b, "m%u = ", e->bind);
	sb_printf(b, "%s ", rme_trace_op_name((rme_trace_op_kind_t)e->op));
	print_xaddr(b, s, &e->addr);
	switch (e->op) {
	case RME_TRACE_OP_MMAP: {
		int first = 1;

		sb_printf(b, " 0x%" PRIx64 " ", e->len);
		print_rights(b, e->prot);
		sb_puts(b, " ");
		for (size_t i = 0; i < sizeof(flag_names) / sizeof(*flag_names); i++)
			if (e->flags & (1u << i)) {
				sb_printf(b, "%s%s", first ? "" : "|", flag_names[i]);
				first = 0;
			}
		if (e->fd >= 0)
			sb_printf(b, " fd=%d off=0x%" PRIx64, e->fd, e->off);
		break;
	}
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
		if (e->has_fixed) {
			sb_puts(b, " fixed=");
			print_xaddr(b, s, &e->fixed);
		}
		break;
	default:        /* munmap, msync */
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
	if (e->comment)
		sb_printf(b, "  # %s", e->comment);
	sb_puts(b, "\n");
}

/* The whole trace of a space. */
static void
print_trace(sbuf_t *b, space_t *s, const importer_t *imp)
{
	uint64_t block = lay_out_block(s), area, ram, caps;
	char label[32];

	/*
	 * The layer places top-down and never lower than the sum of all it
	 * ever placed, so an area that holds the block, a guard and that sum
	 * never lets a placement reach the block.
	 */
	area = block + AREA_GUARD + pm_round_up(s->placed_bytes) + AREA_GUARD;
	area = (area + ((uint64_t)16 << 20) - 1) & ~(((uint64_t)16 << 20) - 1);
	if (area > AREA_LIMIT - AREA_BASE) {
		fprintf(stderr, "%s: %s: the mmap-area it needs (0x%" PRIx64 " bytes) does not fit "
		        "kernel hw's address space; writing the largest that does\n",
		        imp->log_name, space_label(s, label, sizeof(label)), area);
		area = AREA_LIMIT - AREA_BASE;
	}

	sb_puts(b, "rmemu-trace 1\n");
	sb_printf(b, "# From strace: %s, lines %zu-%zu of %s: %zu operations, %zu calls kept as comments.\n",
	          space_label(s, label, sizeof(label)), s->first_line, s->last_line, imp->log_name,
	          s->operations, s->comments);
	if (imp->opt->note)
		sb_printf(b, "# %s\n", imp->opt->note);
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
	for (size_t i = 0; i < s->nout; i++)
		print_op(b, s, &s->out[i]);
}

/* Write every space that made memory calls; returns 0 or -1. */
static int
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

		/* what is written must parse: a trace that does not is this importer's bug */
		if (rme_trace_parse(path.p, text.p, text.len, NULL, &parsed, &err) != RME_OK) {
			fprintf(stderr, "rmemu: internal error: the trace written to %s does not parse: %s\n",
			        path.p, err.msg);
			status = -1;
		}
		rme_trace_free(parsed);
		f = fopen(path.p, "w");
		if (!f || fwrite(text.p, 1, text.len, f) != text.len || fclose(f) != 0) {
			perror(path.p);
			if (f)
				fclose(f);
			status = -1;
		} else {
			printf("%s\n", path.p);
		}
		free(text.p);
		free(path.p);
	}
	return status;
}

int
strace_import(const char *log_name, const char *text, size_t len, const char *prefix,
              const import_options_t *opt)
{
	importer_t imp;
	size_t pos = 0;
	int status = EXIT_OK, written = 0;
	sbuf_t carry = { 0 };

	memset(&imp, 0, sizeof(imp));
	imp.log_name = log_name;
	imp.opt = opt;
	imp.first_pid = -1;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		const char *line = text + pos;
		size_t note;
		int stop;

		imp.line++;
		pos += n + 1;
		/*
		 * On standard error, strace's own "strace: Process N attached" can
		 * cut a line in two; put it back together without the note.
		 */
		note = strace_note_inside(line, n);
		if (note) {
			sb_add(&carry, line, note);
			continue;
		}
		if (carry.len) {
			sb_add(&carry, line, n);
			stop = on_line(&imp, carry.p, carry.len);
			carry.len = 0;
		} else {
			stop = on_line(&imp, line, n);
		}
		if (stop) {
			fprintf(stderr, "%s: stopped at line %zu (--strict); no traces written\n", log_name, imp.line);
			status = EXIT_USAGE;
			break;
		}
	}
	free(carry.p);
	if (status == EXIT_OK) {
		/* calls still unfinished at the end of the log never returned */
		for (size_t i = 0; i < imp.ntasks; i++)
			abandon_pending(&imp.task[i]);
		if (imp.guessed_processes && !imp.saw_clone)
			fprintf(stderr, "%s: the log has no clone, fork or execve lines, so every pid is taken for a "
			        "process of its own; threads need them (strace -e trace=%%memory,clone,clone3,fork,"
			        "vfork,execve, as rmemu record does)\n", log_name);
		if (write_traces(&imp, prefix) != 0)
			status = EXIT_USAGE;
		for (size_t i = 0; i < imp.nspaces; i++)
			written += imp.space[i]->memory_calls > 0;
		if (written == 0 && status == EXIT_OK) {
			fprintf(stderr, "%s: no memory calls in the log; no traces written\n", log_name);
			status = EXIT_USAGE;
		}
		if (imp.bad_lines)
			fprintf(stderr, "%s: %zu line%s could not be read\n", log_name, imp.bad_lines,
			        imp.bad_lines == 1 ? "" : "s");
	}
	for (size_t i = 0; i < imp.ntasks; i++)
		free(imp.task[i].pending);
	free(imp.task);
	for (size_t i = 0; i < imp.nspaces; i++)
		space_free(imp.space[i]);
	free(imp.space);
	return status;
}

int
import_parse_quota(const char *spec, import_options_t *opt)
{
	sbuf_t text = { 0 };
	rme_trace_t *t = NULL;
	rme_trace_error_t err;
	const rme_trace_directives_t *d;

	/* the trace parser knows what a quota directive may say: let it judge */
	sb_puts(&text, "rmemu-trace 1\nquota ");
	for (const char *p = spec; *p; p++)
		sb_add(&text, *p == ',' ? " " : p, 1);
	sb_puts(&text, "\n");
	if (rme_trace_parse("--quota", text.p, text.len, NULL, &t, &err) != RME_OK) {
		fprintf(stderr, "rmemu: --quota '%s': expected ram=SIZE and/or caps=N (%s)\n", spec,
		        strstr(err.msg, ": ") ? strstr(err.msg, ": ") + 2 : err.msg);
		free(text.p);
		return -1;
	}
	d = rme_trace_directives(t);
	opt->has_ram_quota = d->has_ram_quota;
	opt->ram_quota = d->ram_quota;
	opt->has_cap_quota = d->has_cap_quota;
	opt->cap_quota = d->cap_quota;
	rme_trace_free(t);
	free(text.p);
	return 0;
}

/* ---- The command ------------------------------------------------------------------------ */

static void
import_usage(FILE *out)
{
	fputs("usage: rmemu import-strace [-o DIR] [--strict] [--quota SPEC] LOG   (- reads standard input)\n"
	      "\n"
	      "Turn a log of 'strace -f -e trace=%memory,clone,clone3,fork,vfork,execve -o LOG CMD'\n"
	      "into traces, one per address space: DIR/NAME.PID.trace, and DIR/NAME.PID.N.trace for\n"
	      "the N-th after an execve, where NAME is the log's file name without .log or .strace.\n"
	      "Prints the names written. Calls a trace cannot express stay as comments.\n"
	      "\n"
	      "  -o, --dir DIR     where to write the traces (default: the current directory)\n"
	      "  -s, --strict      stop at the first line that cannot be read (exit 2)\n"
	      "  -q, --quota SPEC  the quota to write, as 'ram=64M caps=500' (default: one that\n"
	      "                    never limits the mmap area)\n"
	      "  -h, --help        show this help\n"
	      "\n"
	      "Exit status: 0 when the traces were written, 2 on bad usage or input.\n", out);
}

/* DIR/NAME: the log's file name without its directory and a .log or .strace ending. */
static char *
output_prefix(const char *dir, const char *log_path)
{
	const char *base = strcmp(log_path, "-") == 0 ? "stdin" : log_path;
	const char *slash = strrchr(base, '/');
	size_t n;
	sbuf_t b = { 0 };

	if (slash)
		base = slash + 1;
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".log") == 0)
		n -= 4;
	else if (n > 7 && strcmp(base + n - 7, ".strace") == 0)
		n -= 7;
	if (dir) {
		sb_puts(&b, dir);
		if (b.len && b.p[b.len - 1] != '/')
			sb_puts(&b, "/");
	}
	sb_add(&b, base, n);
	return b.p;
}

int
cmd_import_strace(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'o' },
		{ "strict", no_argument, NULL, 's' },
		{ "quota", required_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	import_options_t opt;
	const char *dir = NULL;
	char *text, *prefix;
	size_t len;
	int c, status;

	memset(&opt, 0, sizeof(opt));
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:sq:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': dir = optarg; break;
		case 's': opt.strict = 1; break;
		case 'q':
			if (import_parse_quota(optarg, &opt) != 0)
				return EXIT_USAGE;
			break;
		case 'h': import_usage(stdout); return EXIT_OK;
		default: import_usage(stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		import_usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_read_file(argv[optind], &text, &len) != 0)
		return EXIT_USAGE;
	prefix = output_prefix(dir, argv[optind]);
	status = strace_import(strcmp(argv[optind], "-") == 0 ? "<stdin>" : argv[optind], text, len,
	                       prefix, &opt);
	free(prefix);
	free(text);
	return status;
}
