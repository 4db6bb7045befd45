/*
 * strace_calls.c: import-strace's memory calls as trace operations: mmap,
 * munmap, mprotect, madvise, msync and mremap, each written where its
 * memory lies in the model, with the results Linux gave; calls the format
 * has no form for stay comments (strace_importer.h, doc/recording.md).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmemu/mmap.h>
#include <rmemu/trace.h>

#include "strace_importer.h"
#include "xalloc.h"

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

/* The highest end a range can have here: the last page is never mapped (its end would be 0). */
#define RANGE_END_MAX (UINT64_MAX & ~(PM_PAGE - 1))

/*
 * What is wrong with a mapping Linux is said to have made at at, len
 * bytes long, or NULL if nothing is. Linux maps only whole pages, never
 * nothing, and never in the last page of the address space (the kernel's
 * on every architecture); a result that breaks these comes from a log
 * that was cut off mid-line or edited, and would leave a range the
 * address-space copy cannot hold.
 */
static const char *
odd_mapping(uint64_t at, uint64_t len)
{
	if (at & (PM_PAGE - 1))
		return "a result that is no page address, which Linux never gives (a line cut short?)";
	if (len == 0)
		return "a mapping of length 0 that succeeded, which Linux never makes";
	if (pm_round_up(len) > RANGE_END_MAX - at)
		return "a mapping that reaches the end of the address space, which no process has";
	return NULL;
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

/* mmap's arguments as strace printed them. */
typedef struct mmap_args {
	uint64_t addr, len, prot, flags, off;
	int fd;
	strace_span_t path;         /* strace -y: the file's name */
	int deleted;                /* strace -y: "(deleted)", a file removed (or a memfd) */
} mmap_args_t;

/* Read mmap's arguments (mmap2's offset is in pages); -1 when the call stays a comment. */
static int
read_mmap_args(space_t *s, const strace_call_t *c, int pages_offset, mmap_args_t *a)
{
	char unknown[64];

	a->off = 0;
	if (c->nargs != 6 || arg_u64(c, 0, &a->addr) || arg_u64(c, 1, &a->len) ||
	    strace_fd(c->arg[4], &a->fd, &a->path) || arg_u64(c, 5, &a->off)) {
		emit_kept(s, c, "arguments that cannot be read", KEPT_UNREADABLE);
		return -1;
	}
	a->deleted = c->arg[4].len > 9 &&
	             memcmp(c->arg[4].p + c->arg[4].len - 9, "(deleted)", 9) == 0;
	if (arg_flags(c, 2, prot_syms, 0, &a->prot, unknown, sizeof(unknown)) ||
	    arg_flags(c, 3, map_syms, RME_MAP_HUGE_SHIFT, &a->flags, unknown, sizeof(unknown)) ||
	    a->flags > UINT32_MAX) {
		char why_buf[128];

		snprintf(why_buf, sizeof(why_buf), "%s%s", unknown[0] ? "a flag this importer does not know: "
		         : "flags that cannot be read", unknown);
		emit_kept(s, c, why_buf, KEPT_UNREADABLE);
		return -1;
	}
	if (pages_offset)
		a->off *= PM_PAGE;
	return 0;
}

size_t
named_vmas(const space_t *s)
{
	size_t n = 0;

	for (const pm_piece_t *prev = NULL, *p = pm_first_after(&s->map, 0); p;
	     prev = p, p = pm_next(p)) {
		if (p->attr.tag >= 0 && !(prev && prev->attr.tag >= 0 && pm_continues(prev, p)))
			n++;
	}
	return n;
}

/* The most mappings a process plausibly holds outside the recorded calls (program, libraries, stack). */
#define OUTSIDE_MAX 4096
/* Without vm.max_map_count, fewer recorded mappings than this make an ENOMEM someone else's. */
#define LIMIT_COUNT_MIN 1000
/* Failures that bound the limit and are looked at (each costs a walk over the mappings). */
#define LIMIT_EVENTS_MAX 16

/*
 * A failure that only the map-count limit explains bounds it: the trace's
 * limit is at most bound (an mmap refused at a count c: c - 1; a munmap
 * that would split a VMA, refused at c: c). The remark says so in the
 * trace, why it failed, and how the limit was inferred.
 */
static void
bound_map_count(space_t *s, uint64_t bound, size_t count, sbuf_t *remark, int is_mmap)
{
	uint64_t sys = s->imp->opt->system_map_count_max;

	if (s->map_count_max == 0 || bound < s->map_count_max)
		s->map_count_max = bound;
	if (!s->map_count_line)
		s->map_count_line = s->imp->line;
	s->map_count_events++;
	sb_printf(remark, "refused by the map-count limit: the trace's mappings form %zu VMAs here", count);
	if (is_mmap && sys && sys + 1 >= count)
		sb_printf(remark, ", with the %" PRIu64 " the process held outside them one more than "
		          "vm.max_map_count (%" PRIu64 ")", sys + 1 - count, sys);
	else if (sys)
		sb_printf(remark, " (vm.max_map_count %" PRIu64 ")", sys);
	sb_printf(remark, "; so the limit is at most %" PRIu64, bound);
}

/*
 * Whether an mmap's ENOMEM is the map-count limit's: the recorded mappings
 * must be many, and with vm.max_map_count known, close enough to it that
 * what the process holds outside them makes up the rest. *count gets the
 * VMAs the trace's mappings form.
 */
static int
limit_refused_mmap(space_t *s, const strace_call_t *c, size_t *count)
{
	uint64_t sys = s->imp->opt->system_map_count_max;

	if (strcmp(c->errno_name, "ENOMEM") != 0 || s->map_count_events >= LIMIT_EVENTS_MAX)
		return 0;
	*count = named_vmas(s);
	if (*count < LIMIT_COUNT_MIN && !(sys && sys < LIMIT_COUNT_MIN))
		return 0;
	return !sys || (sys + 1 >= *count && sys + 1 - *count <= OUTSIDE_MAX);
}

/*
 * A failed mmap that a trace can expect, written where its address lay:
 * relative to the named memory there, as the model's choice for a hint,
 * or as a number where only its form matters. NULL: it stays a comment.
 */
static emitted_t *
mmap_failed(space_t *s, const strace_call_t *c, const mmap_args_t *a, int fixed)
{
	const pm_piece_t *p = pm_find(&s->map, a->addr);
	const anchor_t *n = piece_anchor(s, p);
	const char *why;
	sbuf_t remark = { 0 };
	size_t count;
	xaddr_t where;
	emitted_t *e;

	if (!failure_expressible(c, &why)) {
		emit_comment(s, c, why);
		return NULL;
	}
	if (limit_refused_mmap(s, c, &count)) {
		/*
		 * The count decides before the address does: a fixed mapping at
		 * a place the trace has no name for goes into the block, where
		 * it keeps its distance to its neighbours.
		 */
		bound_map_count(s, count - 1, count, &remark, 1);
		if (n)
			where = xa_relative(n, a->addr);
		else if (fixed && !odd_mapping(a->addr, a->len)) {
			where = xa_block(a->addr);
			add_absolute(s, a->addr, end_of(a->addr, a->len));
		} else
			where = xa_number(0);
	} else if (n)
		where = xa_relative(n, a->addr);
	else if (!fixed)
		where = xa_number(0);   /* a hint nothing was at: the model chooses, as Linux did */
	else if (strcmp(c->errno_name, "EINVAL") == 0)
		where = xa_number(a->addr); /* bad arguments: the address only matters by its form */
	else {
		emit_comment(s, c, unnamed_reason(p ? p->attr.tag : 0));
		return NULL;
	}
	e = emit(s, RME_TRACE_OP_MMAP);
	set_errno_result(e, c);
	e->addr = where;
	e->comment = remark.p;
	return e;
}

/*
 * A mapping Linux made at c->value: where it goes in the model (over the
 * named memory it replaces, into the block, or wherever the layer places
 * it), the name it binds, and Linux's address space after it. A hint that
 * was not granted is noted in remark.
 */
static emitted_t *
mmap_placed(space_t *s, const strace_call_t *c, const mmap_args_t *a, int rights,
            unsigned tflags, int fixed, sbuf_t *remark)
{
	const anchor_t *n = piece_anchor(s, pm_find(&s->map, a->addr));
	uint64_t r = c->value, end = end_of(r, a->len);
	int tag, group;
	pm_attr_t attr;
	xaddr_t where;
	emitted_t *e;

	if (fixed) {
		const anchor_t *home = fixed_home(s, r, end);

		if (home) {
			group = home->group;
			where = xa_relative(home, a->addr);
		} else {
			/* into the block, which keeps distances between such mappings */
			unmap_replaced(s, r, end);
			group = GROUP_BLOCK;
			where = xa_block(a->addr);
			add_absolute(s, r, end);
		}
	} else if (a->addr && r == a->addr && pm_is_free(&s->map, r, end)) {
		/*
		 * A hint Linux granted at a free place: that place goes into the
		 * block, so that the layer can grant it too, next to the fixed
		 * mappings the program may put around it. A group of its own,
		 * since the layer may still put it elsewhere.
		 */
		group = ++s->groups;
		where = xa_block(a->addr);
		add_absolute(s, r, end);
	} else {
		group = ++s->groups;
		if (n)
			where = xa_relative(n, a->addr);   /* a hint where something was: taken there too */
		else {
			where = xa_number(0);
			if (a->addr)
				sb_printf(remark, "hint 0x%" PRIx64 " not granted", a->addr);
		}
		s->placed_bytes += end - r;
	}
	tag = anchor_new(s, r, group);
	attr.prot = (unsigned)rights;
	attr.flags = pm_mapping_flags(tflags, (unsigned)rights) | s->def_lock;
	attr.obj = (a->flags & RME_MAP_ANONYMOUS) ? 0 : PM_OBJ_FILE | (uint32_t)a->fd;
	attr.off = (a->flags & RME_MAP_ANONYMOUS) ? r : a->off;
	attr.tag = tag;
	pm_map(&s->map, r, end, &attr);
	if (s->map.totals.mappings > s->peak_count)
		s->peak_count = s->map.totals.mappings;

	e = emit(s, RME_TRACE_OP_MMAP);
	e->bind = s->anchor[tag].name;
	if (where.kind == XA_BLOCK && fixed) {
		e->result = RES_ADDR;
		e->result_addr = where;
	} else {
		e->result = RES_OK;
	}
	e->addr = where;
	return e;
}

static void
do_mmap(space_t *s, const strace_call_t *c, int pages_offset)
{
	mmap_args_t a;
	int rights, fixed;
	unsigned tflags;
	uint32_t other;
	sbuf_t dropped = { 0 };
	sbuf_t remark = { 0 };
	emitted_t *e;

	if (read_mmap_args(s, c, pages_offset, &a) != 0)
		return;
	rights = trace_rights(a.prot);
	if (rights < 0) {
		emit_kept(s, c, "protection bits the trace cannot express",
		          c->result == SR_VALUE ? KEPT_DROPPED : KEPT_NOTE);
		return;
	}
	if (c->result == SR_UNKNOWN) {
		emit_comment(s, c, "no result: the process ended during the call");
		return;
	}
	tflags = trace_map_flags(a.flags, &other, &dropped);
	if (!(a.flags & RME_MAP_ANONYMOUS) && a.fd < 0) {
		/* a file mapping without a file: EBADF on Linux, and fd=-1 has no form in a trace */
		free(dropped.p);
		emit_comment(s, c, "a file mapping without a descriptor");
		return;
	}
	fixed = (a.flags & (RME_MAP_FIXED | RME_MAP_FIXED_NOREPLACE)) != 0;
	if (c->result == SR_VALUE) {
		const char *odd = odd_mapping(c->value, a.len);

		if (!odd && fixed && c->value != a.addr)
			odd = "a fixed mapping at another address than it asked for, which Linux never "
			      "makes (a line cut short?)";
		if (odd) {
			free(dropped.p);
			emit_kept(s, c, odd, KEPT_UNREADABLE);
			return;
		}
	}
	e = c->result == SR_ERROR ? mmap_failed(s, c, &a, fixed)
	                          : mmap_placed(s, c, &a, rights, tflags, fixed, &remark);
	if (!e) {
		free(dropped.p);
		return;
	}
	if (e->comment) {
		/* a failure's remark: it comes first */
		sb_puts(&remark, e->comment);
		free(e->comment);
		e->comment = NULL;
	}
	e->len = a.len;
	e->prot = (unsigned)rights;
	e->flags = tflags;
	e->other = other;
	if (!(a.flags & RME_MAP_ANONYMOUS)) {
		e->fd = a.fd;
		e->off = a.off;
		if (a.path.len)   /* strace -y: which file, for the reader */
			sb_printf(&remark, "%s%.*s%s", remark.len ? "; " : "", (int)a.path.len, a.path.p,
			          a.deleted ? " (deleted)" : "");
	}
	if (dropped.len)
		sb_printf(&remark, "%swithout %s", remark.len ? "; " : "", dropped.p);
	e->comment = remark.p;
	free(dropped.p);
}

typedef enum {
	RANGE_MUNMAP, RANGE_MPROTECT, RANGE_MADVISE, RANGE_MSYNC, RANGE_MLOCK, RANGE_MUNLOCK
} range_op_t;

static const int range_trace_op[] = {
	[RANGE_MUNMAP] = RME_TRACE_OP_MUNMAP, [RANGE_MPROTECT] = RME_TRACE_OP_MPROTECT,
	[RANGE_MADVISE] = RME_TRACE_OP_MADVISE, [RANGE_MSYNC] = RME_TRACE_OP_MSYNC,
	[RANGE_MLOCK] = RME_TRACE_OP_MLOCK, [RANGE_MUNLOCK] = RME_TRACE_OP_MUNLOCK,
};

/* What a call on a range asks besides the range. */
typedef struct range_args {
	range_op_t kind;
	unsigned prot;              /* mprotect */
	rme_trace_advice_t advice;  /* madvise */
	uint32_t flags;             /* msync's MS_*, mlock's MLOCK_* */
} range_args_t;

static emitted_t *
emit_range(space_t *s, const range_args_t *r, xaddr_t addr, uint64_t len)
{
	emitted_t *e = emit(s, range_trace_op[r->kind]);

	e->addr = addr;
	e->len = len;
	e->prot = r->prot;
	e->advice = r->advice;
	e->call_flags = r->flags;
	return e;
}

/* The lock flags mlock (with its MLOCK_* flags) or munlock gives memory. */
static unsigned
lock_of(const range_args_t *r)
{
	if (r->kind == RANGE_MUNLOCK)
		return 0;
	return PM_LOCKED | ((r->flags & RME_MLOCK_ONFAULT) ? PM_LOCKONFAULT : 0);
}

/* Whether [start, end) holds PROT_NONE memory. */
static int
has_prot_none(const space_t *s, uint64_t start, uint64_t end)
{
	for (const pm_piece_t *p = pm_first_after(&s->map, start); p && p->start < end; p = pm_next(p))
		if (p->attr.prot == 0)
			return 1;
	return 0;
}

/* Where the first hole in [start, end) begins, or end. */
static uint64_t
first_hole(const space_t *s, uint64_t start, uint64_t end)
{
	uint64_t pos = start;

	for (const pm_piece_t *p = pm_first_after(&s->map, start); p && p->start < end; p = pm_next(p)) {
		if (p->start > pos)
			return pos;
		pos = p->end;
	}
	return pos < end ? pos : end;
}

/*
 * A failed mlock or munlock: what Linux changed before it failed, in the
 * pagemap, and whether the trace can expect the failure (why, if not).
 * ENOMEM is a hole (what lies before it changed), or, for mlock,
 * PROT_NONE memory that could not be populated (all of it locked); with
 * neither, it is the lock limit (RLIMIT_MEMLOCK), which is not modelled.
 */
static int
lock_failed(space_t *s, const strace_call_t *c, const range_args_t *r, uint64_t start, uint64_t end,
            const char **why)
{
	uint64_t hole;

	if (strcmp(c->errno_name, "ENOMEM") != 0)
		return 1;
	hole = first_hole(s, start, end);
	if (hole < end) {
		pm_lock(&s->map, start, hole, lock_of(r));
		return 1;
	}
	if (r->kind == RANGE_MLOCK && !(r->flags & RME_MLOCK_ONFAULT) && has_prot_none(s, start, end)) {
		pm_lock(&s->map, start, end, lock_of(r));
		return 1;
	}
	*why = "the lock limit (RLIMIT_MEMLOCK) refused it, which the trace does not model";
	return 0;
}

/* A failed call on a range: an errno expectation where its address lies, or a comment. */
static void
range_failed(space_t *s, const strace_call_t *c, const range_args_t *r, uint64_t addr, uint64_t len,
             uint64_t start, uint64_t end)
{
	const pm_piece_t *p = pm_find(&s->map, start);
	const anchor_t *n = piece_anchor(s, p);
	sbuf_t remark = { 0 };
	const char *why;
	emitted_t *e;

	if (!failure_expressible(c, &why)) {
		emit_comment(s, c, why);
		return;
	}
	if (!n && strcmp(c->errno_name, "EINVAL") != 0) {
		emit_comment(s, c, unnamed_reason(p ? p->attr.tag : 0));
		return;
	}
	if ((r->kind == RANGE_MLOCK || r->kind == RANGE_MUNLOCK) &&
	    !lock_failed(s, c, r, start, end, &why)) {
		emit_comment(s, c, why);
		return;
	}
	if (r->kind == RANGE_MUNMAP && strcmp(c->errno_name, "ENOMEM") == 0 &&
	    s->map_count_events < LIMIT_EVENTS_MAX) {
		/* munmap fails only where it would split a VMA at the limit */
		size_t count = named_vmas(s);

		bound_map_count(s, count, count, &remark, 0);
	}
	e = emit_range(s, r, n ? xa_relative(n, addr) : xa_number(addr), len);
	set_errno_result(e, c);
	e->comment = remark.p;
}

/*
 * munmap, mprotect, madvise, msync, mlock, munlock: one operation per
 * place the range lies in the model. Parts of the range that the trace
 * has no name for are left out and said so; an unaligned length stays as
 * it was on the last part, for the layer to round as Linux does, and so
 * does mlock's and munlock's unaligned start on the first, which they
 * round down.
 */
static void
do_range(space_t *s, const strace_call_t *c, const range_args_t *r)
{
	uint64_t addr, len, start, end;
	int locks = r->kind == RANGE_MLOCK || r->kind == RANGE_MUNLOCK;
	segments_t sg = { 0 };

	if (arg_u64(c, 0, &addr) || arg_u64(c, 1, &len)) {
		emit_kept(s, c, "arguments that cannot be read", KEPT_UNREADABLE);
		return;
	}
	if (c->result == SR_UNKNOWN) {
		emit_comment(s, c, "no result: the process ended during the call");
		return;
	}
	start = locks ? addr & ~(PM_PAGE - 1) : addr;
	end = end_of(addr, len);
	if (c->result == SR_ERROR) {
		range_failed(s, c, r, addr, len, start, end);
		return;
	}

	if (len == 0) {
		/* Linux does nothing for an empty range; neither does the layer, at any address */
		const anchor_t *n = piece_anchor(s, pm_find(&s->map, addr));
		emitted_t *e = emit_range(s, r, n ? xa_relative(n, addr) : xa_number(addr), 0);

		e->result = RES_ZERO;
		return;
	}
	segments_of(s, start, end, &sg);
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
			emit_call_note(s, c, why_buf);
		}
		for (size_t i = 0; i < sg.n; i++) {
			const segment_t *g = &sg.seg[i];
			uint64_t from = g->start == start ? addr : g->start;
			emitted_t *e;

			if (!g->anchor)
				continue;
			/* the call's own length on the part that ends the range: Linux rounds it */
			e = emit_range(s, r, xa_relative(g->anchor, from),
			               g->end == end ? addr + len - from : g->end - from);
			e->result = RES_ZERO;
		}
	}
	free(sg.seg);
	if (r->kind == RANGE_MUNMAP)
		pm_unmap(&s->map, start, end);
	else if (r->kind == RANGE_MPROTECT)
		pm_protect(&s->map, start, end, r->prot);
	else if (locks)
		pm_lock(&s->map, start, end, lock_of(r));
}

/* msync(ADDR, LEN, FLAGS) */
static void
do_msync(space_t *s, const strace_call_t *c)
{
	range_args_t r = { .kind = RANGE_MSYNC };
	uint64_t flags = 0;
	char unknown[64];

	if (c->nargs != 3 || arg_flags(c, 2, ms_syms, 0, &flags, unknown, sizeof(unknown)) ||
	    flags > UINT32_MAX) {
		emit_kept(s, c, "flags that cannot be read", KEPT_UNREADABLE);
		return;
	}
	r.flags = (uint32_t)flags;
	do_range(s, c, &r);
}

/* mlock(ADDR, LEN), mlock2(ADDR, LEN, FLAGS), munlock(ADDR, LEN) */
static void
do_mlock(space_t *s, const strace_call_t *c, range_op_t kind)
{
	range_args_t r = { .kind = kind };
	uint64_t flags = 0;
	char unknown[64];

	if (strcmp(c->name, "mlock2") == 0 &&
	    (c->nargs != 3 || arg_flags(c, 2, mlock_syms, 0, &flags, unknown, sizeof(unknown)) ||
	     flags > UINT32_MAX)) {
		emit_kept(s, c, "flags that cannot be read", KEPT_UNREADABLE);
		return;
	}
	r.flags = (uint32_t)flags;
	do_range(s, c, &r);
}

/*
 * mlockall(FLAGS), munlockall(): on the whole address space, so on every
 * mapping of the trace too. Linux answers 0 but for bad flags (EINVAL),
 * a lock limit or no permission (not modelled).
 */
static void
do_mlockall(space_t *s, const strace_call_t *c)
{
	int all = strcmp(c->name, "mlockall") == 0;
	uint64_t flags = 0;
	char unknown[64];
	const char *why;
	emitted_t *e;

	if (all && (c->nargs != 1 || arg_flags(c, 0, mcl_syms, 0, &flags, unknown, sizeof(unknown)) ||
	            flags > UINT32_MAX)) {
		emit_kept(s, c, "flags that cannot be read", KEPT_UNREADABLE);
		return;
	}
	if (c->result == SR_UNKNOWN) {
		emit_comment(s, c, "no result: the process ended during the call");
		return;
	}
	if (c->result == SR_ERROR && (!failure_expressible(c, &why) ||
	                              (strcmp(c->errno_name, "EINVAL") != 0 &&
	                               (why = "the lock limit (RLIMIT_MEMLOCK) refused it, which the "
	                                      "trace does not model")))) {
		emit_comment(s, c, why);
		return;
	}
	e = emit(s, all ? RME_TRACE_OP_MLOCKALL : RME_TRACE_OP_MUNLOCKALL);
	e->call_flags = (uint32_t)flags;
	if (c->result == SR_ERROR) {
		set_errno_result(e, c);
		return;
	}
	e->result = RES_ZERO;
	if (!all) {
		s->def_lock = 0;
		pm_lock(&s->map, 0, UINT64_MAX, 0);
		return;
	}
	s->def_lock = (flags & RME_MCL_FUTURE)
	              ? PM_LOCKED | ((flags & RME_MCL_ONFAULT) ? PM_LOCKONFAULT : 0) : 0;
	if (flags & RME_MCL_CURRENT)
		pm_lock(&s->map, 0, UINT64_MAX,
		        PM_LOCKED | ((flags & RME_MCL_ONFAULT) ? PM_LOCKONFAULT : 0));
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
		emit_kept(s, c, "a protection key has no form in a trace",
		          c->result == SR_VALUE ? KEPT_DROPPED : KEPT_NOTE);
		return;
	}
	range_args_t r = { .kind = RANGE_MPROTECT };

	if (arg_flags(c, 2, prot_syms, 0, &prot, unknown, sizeof(unknown))) {
		emit_kept(s, c, "protection bits that cannot be read", KEPT_UNREADABLE);
		return;
	}
	rights = trace_rights(prot);
	if (rights < 0) {
		emit_kept(s, c, "protection bits the trace cannot express",
		          c->result == SR_VALUE ? KEPT_DROPPED : KEPT_NOTE);
		return;
	}
	r.prot = (unsigned)rights;
	do_range(s, c, &r);
}

static void
do_madvise(space_t *s, const strace_call_t *c)
{
	range_args_t r = { .kind = RANGE_MADVISE };
	uint64_t adv;
	strace_span_t unknown;

	if (c->nargs != 3 || strace_flags(c->arg[2], madv_syms, 0, &adv, &unknown) != 0 || unknown.len) {
		emit_kept(s, c, "advice that cannot be read", KEPT_UNREADABLE);
		return;
	}
	if (trace_advice(adv, &r.advice) != 0) {
		emit_kept(s, c, "advice that has no form in a trace",
		          c->result == SR_VALUE && advice_changes_memory(adv) ? KEPT_DROPPED : KEPT_NOTE);
		return;
	}
	do_range(s, c, &r);
}

/* mremap's arguments as strace printed them. */
typedef struct mremap_args {
	uint64_t addr, old_len, new_len, flags, new_addr;
	uint64_t old_end;           /* of the old range, page-rounded */
	int fixed;                  /* MREMAP_FIXED: to new_addr */
	int fixed_unknown;          /* MREMAP_FIXED without MREMAP_MAYMOVE: strace prints no new_addr */
} mremap_args_t;

/*
 * MREMAP_DONTUNMAP has no form in a trace: Linux keeps the old range and
 * maps the new one; follow it, without a name for the new one.
 */
static void
follow_dontunmap(space_t *s, const strace_call_t *c, const mremap_args_t *a)
{
	emit_kept(s, c, "MREMAP_DONTUNMAP has no form in a trace",
	          c->result == SR_VALUE ? KEPT_DROPPED : KEPT_NOTE);
	if (c->result == SR_VALUE) {
		uint64_t new_end = end_of(c->value, a->new_len);
		pagemap_t moved;

		pm_copy(&moved, &s->map);
		pm_remap(&moved, a->addr, a->old_end, c->value, new_end);
		for (const pm_piece_t *p = pm_first_after(&moved, c->value); p && p->start < new_end;
		     p = pm_next(p)) {
			pm_attr_t attr = p->attr;

			attr.tag = TAG_UNEXPRESSED;
			pm_map(&s->map, p->start, p->end, &attr);
		}
		pm_fini(&moved);
	}
}

/* A failed mremap, where its addresses lay (n: the old range's name), or a comment. */
static void
mremap_failed(space_t *s, const strace_call_t *c, const mremap_args_t *a, const pm_piece_t *p,
              const anchor_t *n)
{
	int bad_args = strcmp(c->errno_name, "EINVAL") == 0;
	const anchor_t *target = a->fixed && !a->fixed_unknown
	                         ? piece_anchor(s, pm_find(&s->map, a->new_addr)) : NULL;
	const char *why;
	emitted_t *e;

	if (!failure_expressible(c, &why)) {
		emit_comment(s, c, why);
		return;
	}
	if ((!n || (a->fixed && !target)) && !bad_args) {
		emit_comment(s, c, unnamed_reason(p ? p->attr.tag : 0));
		return;
	}
	if (a->fixed_unknown && !bad_args) {
		/* Linux refuses MREMAP_FIXED without MREMAP_MAYMOVE before anything else can fail */
		emit_comment(s, c, "a failure other than EINVAL without the new address");
		return;
	}
	e = emit(s, RME_TRACE_OP_MREMAP);
	e->addr = n ? xa_relative(n, a->addr) : xa_number(a->addr);
	e->len = a->old_len;
	e->new_len = a->new_len;
	e->maymove = (a->flags & RME_MREMAP_MAYMOVE) != 0;
	if (a->fixed) {
		e->has_fixed = 1;
		e->fixed_unknown = a->fixed_unknown;
		e->fixed = target ? xa_relative(target, a->new_addr) : xa_number(a->new_addr);
	}
	set_errno_result(e, c);
}

/*
 * A mapping Linux resized or moved from the named memory n to c->value:
 * where it goes in the model (like a fixed mmap with MREMAP_FIXED,
 * wherever the layer places it if it may move, else in place) and the
 * name it binds.
 */
static void
mremap_done(space_t *s, const strace_call_t *c, const mremap_args_t *a, const anchor_t *n)
{
	uint64_t new_end = end_of(c->value, a->new_len);
	const anchor_t *target = NULL;
	emitted_t *e;
	int group, tag;

	if (a->fixed) {
		/* like a fixed mmap: where the target is, or into the block */
		target = fixed_home(s, a->new_addr, new_end);
		if (!target)
			unmap_replaced(s, a->new_addr, new_end);
	}

	e = emit(s, RME_TRACE_OP_MREMAP);
	e->addr = xa_relative(n, a->addr);
	e->len = a->old_len;
	e->new_len = a->new_len;
	e->maymove = (a->flags & RME_MREMAP_MAYMOVE) != 0;
	e->result = RES_OK;
	if (a->fixed) {
		e->has_fixed = 1;
		if (target) {
			group = target->group;
			e->fixed = xa_relative(target, a->new_addr);
		} else {
			group = GROUP_BLOCK;
			e->fixed = xa_block(a->new_addr);
			e->result = RES_ADDR;
			e->result_addr = e->fixed;
			add_absolute(s, a->new_addr, new_end);
		}
	} else if (a->flags & RME_MREMAP_MAYMOVE) {
		/* it may move on the model even where Linux grew it in place */
		group = ++s->groups;
		s->placed_bytes += new_end - c->value;
	} else {
		group = n->group;   /* in place, or it fails */
	}
	tag = anchor_new(s, c->value, group);
	e->bind = s->anchor[tag].name;
	pm_remap(&s->map, a->addr, a->old_end, c->value, new_end);
	pm_retag(&s->map, c->value, new_end, tag);
}

static void
do_mremap(space_t *s, const strace_call_t *c)
{
	mremap_args_t a = { 0 };
	const pm_piece_t *p;
	const anchor_t *n;
	segments_t sg = { 0 };
	char unknown[64];
	int one_place;

	if (arg_u64(c, 0, &a.addr) || arg_u64(c, 1, &a.old_len) || arg_u64(c, 2, &a.new_len) ||
	    arg_flags(c, 3, mremap_syms, 0, &a.flags, unknown, sizeof(unknown))) {
		emit_kept(s, c, "arguments that cannot be read", KEPT_UNREADABLE);
		return;
	}
	/* strace prints the new address only with both MREMAP_MAYMOVE and MREMAP_FIXED */
	a.fixed_unknown = (a.flags & RME_MREMAP_FIXED) && !(a.flags & RME_MREMAP_MAYMOVE) &&
	                  c->nargs == 4;
	if ((a.flags & RME_MREMAP_FIXED) && !a.fixed_unknown && arg_u64(c, 4, &a.new_addr)) {
		emit_kept(s, c, "arguments that cannot be read", KEPT_UNREADABLE);
		return;
	}
	if (c->result == SR_UNKNOWN) {
		emit_comment(s, c, "no result: the process ended during the call");
		return;
	}
	if (a.fixed_unknown && c->result == SR_VALUE) {
		emit_kept(s, c, "MREMAP_FIXED without MREMAP_MAYMOVE succeeded, which Linux never lets it",
		          KEPT_UNREADABLE);
		return;
	}
	a.fixed = (a.flags & RME_MREMAP_FIXED) != 0;
	if (c->result == SR_VALUE) {
		const char *odd = odd_mapping(c->value, a.new_len);

		if (!odd && a.fixed && c->value != a.new_addr)
			odd = "a move to another address than MREMAP_FIXED asked for, which Linux never "
			      "makes (a line cut short?)";
		if (!odd && (a.addr & (PM_PAGE - 1)))
			odd = "an old address that is no page address, which Linux refuses";
		if (odd) {
			emit_kept(s, c, odd, KEPT_UNREADABLE);
			return;
		}
	}
	a.old_end = end_of(a.addr, a.old_len);
	if (a.flags & RME_MREMAP_DONTUNMAP) {
		follow_dontunmap(s, c, &a);
		return;
	}
	p = pm_find(&s->map, a.addr);
	n = piece_anchor(s, p);
	if (c->result == SR_ERROR) {
		mremap_failed(s, c, &a, p, n);
		return;
	}

	segments_of(s, a.addr, a.old_end, &sg);
	one_place = n && sg.n == 1 && !sg.gap;
	free(sg.seg);
	if (!one_place) {
		/* follow Linux all the same, so that later calls find the memory where it went */
		uint64_t new_end = end_of(c->value, a.new_len);

		if (!n)
			emit_comment(s, c, unnamed_reason(p ? p->attr.tag : 0));
		else
			emit_kept(s, c, "its range lies in several places in the model", KEPT_DROPPED);
		pm_remap(&s->map, a.addr, a.old_end, c->value, new_end);
		pm_retag(&s->map, c->value, new_end, TAG_UNEXPRESSED);
		return;
	}
	mremap_done(s, c, &a, n);
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
	"shmat", "shmdt", "mincore",
	"mbind", "get_mempolicy", "set_mempolicy", "set_mempolicy_home_node", "migrate_pages",
	"move_pages", "remap_file_pages", "io_setup", "io_destroy", "process_madvise",
	"process_mrelease", "map_shadow_stack", "mseal", "memfd_secret", "pkey_alloc", "pkey_free",
};

/*
 * Of those, the ones that change this process's mappings, or what later
 * calls on them give: their success is lost to the trace (--strict fails).
 * The others query (mincore, get_mempolicy), place pages on NUMA nodes, act
 * on other processes or make descriptors and keys.
 */
static const char *const memory_calls_that_map[] = {
	"shmat", "shmdt", "remap_file_pages", "io_setup", "io_destroy", "map_shadow_stack", "mseal",
};

/* The calls the trace has an operation for; the others of the class have none. */
static const char *const memory_calls_with_form[] = {
	"mmap", "mmap2", "munmap", "mprotect", "pkey_mprotect", "madvise", "msync", "mremap", "brk",
	"mlock", "mlock2", "munlock", "mlockall", "munlockall",
};

/* A call of the class without an operation: a comment, lost to the trace if it changed mappings. */
static void
do_without_form(space_t *s, const strace_call_t *c)
{
	kept_t kind = KEPT_NOTE;

	for (size_t i = 0; i < sizeof(memory_calls_that_map) / sizeof(*memory_calls_that_map); i++)
		if (strcmp(c->name, memory_calls_that_map[i]) == 0 && c->result == SR_VALUE)
			kind = KEPT_DROPPED;
	emit_kept(s, c, NULL, kind);
}

int
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
int
memory_call(space_t *s, const strace_call_t *c)
{
	const char *name = c->name;

	if (strcmp(name, "mmap") == 0 || strcmp(name, "mmap2") == 0)
		do_mmap(s, c, strcmp(name, "mmap2") == 0);
	else if (strcmp(name, "munmap") == 0)
		do_range(s, c, &(range_args_t){ .kind = RANGE_MUNMAP });
	else if (strcmp(name, "mprotect") == 0 || strcmp(name, "pkey_mprotect") == 0)
		do_mprotect(s, c, strcmp(name, "pkey_mprotect") == 0);
	else if (strcmp(name, "madvise") == 0)
		do_madvise(s, c);
	else if (strcmp(name, "msync") == 0)
		do_msync(s, c);
	else if (strcmp(name, "mlock") == 0 || strcmp(name, "mlock2") == 0)
		do_mlock(s, c, RANGE_MLOCK);
	else if (strcmp(name, "munlock") == 0)
		do_mlock(s, c, RANGE_MUNLOCK);
	else if (strcmp(name, "mlockall") == 0 || strcmp(name, "munlockall") == 0)
		do_mlockall(s, c);
	else if (strcmp(name, "mremap") == 0)
		do_mremap(s, c);
	else if (strcmp(name, "brk") == 0)
		do_brk(s, c);
	else if (is_memory_call(name))
		do_without_form(s, c);      /* shmat, mincore...: no operation of the format */
	else
		return 0;
	s->memory_calls++;
	return 1;
}
