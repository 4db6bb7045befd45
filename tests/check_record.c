/*
 * check_record.c: the parts of import-strace and stats that stand on their
 * own: the page bookkeeping (src/cli/pagemap.c) and the reading of strace's
 * lines (src/cli/strace_parse.c). The commands as a whole are tested on
 * strace logs by tests/import_strace.test and tests/stats.test.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <rmemu/trace.h>

#include "cli/pagemap.h"
#include "cli/strace_parse.h"

#define K 0x1000u

/* Private anonymous memory mapped at start: its offset is its address. */
static pm_attr_t
anon_at(unsigned prot, int tag, uint64_t start)
{
	pm_attr_t a = { prot, RME_TRACE_MAP_PRIVATE | RME_TRACE_MAP_ANON, 0, start, tag };

	return a;
}

static pm_attr_t
anon(unsigned prot, int tag)
{
	return anon_at(prot, tag, 0);
}

static pm_attr_t
file(unsigned prot, int fd, uint64_t off)
{
	pm_attr_t a = { prot, RME_TRACE_MAP_PRIVATE, PM_OBJ_FILE | (uint64_t)fd, off, 0 };

	return a;
}

/* Assert that piece i is [start, end) with tag. */
static void
assert_piece(const pagemap_t *pm, size_t i, uint64_t start, uint64_t end, int tag)
{
	ck_assert_uint_lt(i, pm->n);
	ck_assert_uint_eq(pm_at(pm, i)->start, start);
	ck_assert_uint_eq(pm_at(pm, i)->end, end);
	ck_assert_int_eq(pm_at(pm, i)->attr.tag, tag);
}

/* ---- pagemap -------------------------------------------------------------- */

START_TEST(test_round_up)
{
	ck_assert_uint_eq(pm_round_up(0), 0);
	ck_assert_uint_eq(pm_round_up(1), K);
	ck_assert_uint_eq(pm_round_up(41667), 11 * K);
	ck_assert_uint_eq(pm_round_up(UINT64_MAX), UINT64_MAX & ~(uint64_t)(K - 1));
}
END_TEST

START_TEST(test_map_replaces)
{
	pagemap_t pm;
	pm_attr_t a = anon(3, 1), b = anon(1, 2);

	pm_init(&pm);
	pm_map(&pm, 0x10 * K, 0x20 * K, &a);
	pm_map(&pm, 0x18 * K, 0x28 * K, &b);      /* over the tail and beyond */
	ck_assert_uint_eq(pm.n, 2);
	assert_piece(&pm, 0, 0x10 * K, 0x18 * K, 1);
	assert_piece(&pm, 1, 0x18 * K, 0x28 * K, 2);
	pm_map(&pm, 0x12 * K, 0x14 * K, &b);      /* into the middle: three pieces */
	ck_assert_uint_eq(pm.n, 4);
	assert_piece(&pm, 0, 0x10 * K, 0x12 * K, 1);
	assert_piece(&pm, 1, 0x12 * K, 0x14 * K, 2);
	assert_piece(&pm, 2, 0x14 * K, 0x18 * K, 1);
	ck_assert_ptr_eq(pm_find(&pm, 0x13 * K), pm_at(&pm, 1));
	ck_assert_ptr_null(pm_find(&pm, 0x28 * K));
	ck_assert_ptr_null(pm_find(&pm, 0xf * K));
	ck_assert_int_eq(pm_is_free(&pm, 0x28 * K, 0x30 * K), 1);
	ck_assert_int_eq(pm_is_free(&pm, 0x8 * K, 0x11 * K), 0);
	pm_fini(&pm);
}
END_TEST

START_TEST(test_unmap_splits_files)
{
	pagemap_t pm;
	pm_attr_t f = file(1, 3, 0x100 * K);

	pm_init(&pm);
	pm_map(&pm, 0x10 * K, 0x20 * K, &f);
	pm_unmap(&pm, 0x14 * K, 0x16 * K);
	ck_assert_uint_eq(pm.n, 2);
	ck_assert_uint_eq(pm_at(&pm, 0)->attr.off, 0x100 * K);
	ck_assert_uint_eq(pm_at(&pm, 1)->start, 0x16 * K);
	/* the tail keeps its place in the file */
	ck_assert_uint_eq(pm_at(&pm, 1)->attr.off, 0x106 * K);
	pm_unmap(&pm, 0, 0x100 * K);
	ck_assert_uint_eq(pm.n, 0);
	pm_unmap(&pm, 0, 0x100 * K);               /* nothing there: nothing happens */
	ck_assert_uint_eq(pm.n, 0);
	pm_fini(&pm);
}
END_TEST

START_TEST(test_protect_and_count)
{
	pagemap_t pm;
	pm_attr_t a = anon_at(0, 1, 0x10 * K), b = anon_at(0, 2, 0x20 * K);
	pm_totals_t t;

	pm_init(&pm);
	pm_map(&pm, 0x10 * K, 0x20 * K, &a);
	pm_protect(&pm, 0x12 * K, 0x14 * K, 1);
	pm_totals(&pm, &t);
	ck_assert_uint_eq(t.mappings, 3);
	ck_assert_uint_eq(t.mapped, 0x10 * K);
	ck_assert_uint_eq(t.committed, 0x2 * K);
	/* protecting it back makes the pieces one VMA again, as Linux merges them */
	pm_protect(&pm, 0x12 * K, 0x14 * K, 0);
	pm_totals(&pm, &t);
	ck_assert_uint_eq(t.mappings, 1);
	ck_assert_uint_eq(t.committed, 0);
	/* a mapping of its own right after it merges too, being at the next address */
	pm_map(&pm, 0x20 * K, 0x28 * K, &b);
	pm_totals(&pm, &t);
	ck_assert_uint_eq(t.mappings, 1);
	/* but memory that was writable is charged, and stays apart once read-only again */
	pm_protect(&pm, 0x20 * K, 0x28 * K, 3);
	pm_protect(&pm, 0x20 * K, 0x28 * K, 0);
	ck_assert_uint_ne(pm_at(&pm, pm.n - 1)->attr.flags & PM_ACCOUNT, 0);
	pm_totals(&pm, &t);
	ck_assert_uint_eq(t.mappings, 2);
	pm_unmap(&pm, 0x20 * K, 0x28 * K);
	/* a gap, or a file that does not continue, keeps VMAs apart */
	pm_unmap(&pm, 0x15 * K, 0x16 * K);
	pm_totals(&pm, &t);
	ck_assert_uint_eq(t.mappings, 2);
	{
		pm_attr_t f1 = file(1, 3, 0), f2 = file(1, 3, 0x1 * K), f3 = file(1, 3, 0x9 * K);

		pm_map(&pm, 0x30 * K, 0x31 * K, &f1);
		pm_map(&pm, 0x31 * K, 0x32 * K, &f2);
		pm_map(&pm, 0x32 * K, 0x33 * K, &f3);
		pm_totals(&pm, &t);
		ck_assert_uint_eq(t.mappings, 4);
	}
	/* protecting a range with holes touches only what is mapped */
	pm_protect(&pm, 0, 0x100 * K, 1);
	pm_totals(&pm, &t);
	ck_assert_uint_eq(t.mapped, 0x10 * K - K + 3 * K);
	pm_fini(&pm);
}
END_TEST

START_TEST(test_remap)
{
	pagemap_t pm;
	pm_attr_t f = file(1, 4, 0x10 * K), a = anon(3, 7);
	pm_totals_t t;

	pm_init(&pm);
	pm_map(&pm, 0x10 * K, 0x14 * K, &f);
	pm_map(&pm, 0x40 * K, 0x41 * K, &a);
	/* move and grow: the growth continues the file */
	pm_remap(&pm, 0x10 * K, 0x14 * K, 0x80 * K, 0x86 * K);
	ck_assert_uint_eq(pm.n, 3);
	assert_piece(&pm, 0, 0x40 * K, 0x41 * K, 7);
	ck_assert_uint_eq(pm_at(&pm, 1)->start, 0x80 * K);
	ck_assert_uint_eq(pm_at(&pm, 1)->end, 0x84 * K);
	ck_assert_uint_eq(pm_at(&pm, 1)->attr.off, 0x10 * K);
	ck_assert_uint_eq(pm_at(&pm, 2)->end, 0x86 * K);
	ck_assert_uint_eq(pm_at(&pm, 2)->attr.off, 0x14 * K);
	pm_totals(&pm, &t);
	ck_assert_uint_eq(t.mappings, 2);          /* the growth is one VMA with the rest */
	ck_assert_int_eq(pm_is_free(&pm, 0x10 * K, 0x14 * K), 1);
	/* shrink in place from the middle of a piece */
	pm_remap(&pm, 0x82 * K, 0x86 * K, 0x82 * K, 0x83 * K);
	ck_assert_uint_eq(pm.n, 3);
	ck_assert_uint_eq(pm_at(&pm, 2)->start, 0x82 * K);
	ck_assert_uint_eq(pm_at(&pm, 2)->end, 0x83 * K);
	ck_assert_uint_eq(pm_at(&pm, 2)->attr.off, 0x12 * K);
	/* onto another mapping: it is replaced */
	pm_remap(&pm, 0x80 * K, 0x82 * K, 0x40 * K, 0x42 * K);
	ck_assert_uint_eq(pm_at(&pm, 0)->start, 0x40 * K);
	ck_assert_uint_eq(pm_at(&pm, 0)->attr.obj, PM_OBJ_FILE | 4);
	pm_retag(&pm, 0x41 * K, 0x42 * K, 9);
	ck_assert_int_eq(pm_at(&pm, 0)->attr.tag, 0);
	ck_assert_int_eq(pm_at(&pm, 1)->attr.tag, 9);
	pm_fini(&pm);
}
END_TEST

START_TEST(test_highest_gap)
{
	pagemap_t pm;
	pm_attr_t a = anon(3, 1);
	uint64_t at = 0;

	pm_init(&pm);
	ck_assert_int_eq(pm_highest_gap(&pm, 0x10 * K, 0x20 * K, 0x4 * K, &at), 0);
	ck_assert_uint_eq(at, 0x1c * K);             /* an empty range: at its top */
	pm_map(&pm, 0x1e * K, 0x24 * K, &a);          /* straddles the top */
	pm_map(&pm, 0x18 * K, 0x1b * K, &a);
	ck_assert_int_eq(pm_highest_gap(&pm, 0x10 * K, 0x20 * K, 0x3 * K, &at), 0);
	ck_assert_uint_eq(at, 0x1b * K);             /* just fits between the two */
	ck_assert_int_eq(pm_highest_gap(&pm, 0x10 * K, 0x20 * K, 0x4 * K, &at), 0);
	ck_assert_uint_eq(at, 0x14 * K);             /* below them */
	ck_assert_int_eq(pm_highest_gap(&pm, 0x10 * K, 0x20 * K, 0x9 * K, &at), -1);
	pm_map(&pm, 0x8 * K, 0x11 * K, &a);           /* straddles the bottom */
	ck_assert_int_eq(pm_highest_gap(&pm, 0x10 * K, 0x20 * K, 0x7 * K, &at), 0);
	ck_assert_uint_eq(at, 0x11 * K);
	ck_assert_int_eq(pm_highest_gap(&pm, 0x10 * K, 0x20 * K, 0x8 * K, &at), -1);
	ck_assert_int_eq(pm_highest_gap(&pm, 0x10 * K, 0x20 * K, 0, &at), -1);
	pm_fini(&pm);
}
END_TEST

START_TEST(test_copy)
{
	pagemap_t a, b;
	pm_attr_t x = anon(3, 1);

	pm_init(&a);
	pm_map(&a, K, 2 * K, &x);
	pm_copy(&b, &a);
	pm_unmap(&a, 0, 4 * K);
	ck_assert_uint_eq(a.n, 0);
	ck_assert_uint_eq(b.n, 1);
	pm_fini(&a);
	pm_fini(&b);
}
END_TEST

/*
 * The totals the map keeps as it changes agree with counting afresh, over a
 * long run of random changes of every kind.
 */
START_TEST(test_totals_kept)
{
	pagemap_t pm;
	unsigned seed = 12345;

	pm_init(&pm);
	for (int step = 0; step < 4000; step++) {
		uint64_t a, b, mapped = 0, committed = 0;
		size_t mappings = 0;
		unsigned what;
		pm_totals_t t;

		seed = seed * 1103515245u + 12345u;
		what = (seed >> 16) % 6;
		a = ((seed >> 4) % 256) * K;
		seed = seed * 1103515245u + 12345u;
		b = a + (1 + (seed >> 8) % 16) * K;
		if (what == 0) {
			pm_attr_t x = anon_at((seed >> 20) % 2 ? 3 : 0, 1, a);
			pm_map(&pm, a, b, &x);
		} else if (what == 1) {
			pm_attr_t x = file(1, 3, a);
			pm_map(&pm, a, b, &x);
		} else if (what == 2) {
			pm_unmap(&pm, a, b);
		} else if (what == 3) {
			pm_protect(&pm, a, b, (seed >> 20) % 4);
		} else if (what == 4) {
			pm_remap(&pm, a, b, b + 64 * K, b + 64 * K + (b - a) * 2);
		} else {
			pm_retag(&pm, a, b, 5);
		}
		size_t count = 0;
		uint64_t lo = ((seed >> 3) % 256) * K, hi = lo + (1 + (seed >> 11) % 64) * K;
		uint64_t len = (1 + (seed >> 17) % 8) * K, want_gap = 0, at = 0;
		const pm_piece_t *want_first = NULL, *want_last = NULL;
		int has_gap = 0;

		for (const pm_piece_t *q = NULL, *p = pm_first_after(&pm, 0); p; q = p, p = pm_next(p)) {
			count++;
			ck_assert_ptr_eq(pm_prev(p), q);
			ck_assert_uint_lt(p->start, p->end);
			if (q)
				ck_assert_uint_le(q->end, p->start);
			mapped += p->end - p->start;
			committed += p->attr.prot ? p->end - p->start : 0;
			mappings += !q || q->end != p->start || q->attr.prot != p->attr.prot ||
			            q->attr.flags != p->attr.flags || q->attr.obj != p->attr.obj ||
			            q->attr.off + (q->end - q->start) != p->attr.off;
			/* what the tree's searches must find, by looking at every piece */
			if (p->attr.tag == 5 && p->start >= lo && p->end <= hi) {
				want_first = want_first ? want_first : p;
				want_last = p;
			}
		}
		ck_assert_uint_eq(count, pm.n);
		/* the highest gap of len in [lo, hi), page by page from the top */
		for (uint64_t top = hi; top >= lo + len && !has_gap; top -= K)
			if (pm_is_free(&pm, top - len, top)) {
				has_gap = 1;
				want_gap = top - len;
			}
		ck_assert_int_eq(pm_highest_gap(&pm, lo, hi, len, &at), has_gap ? 0 : -1);
		if (has_gap)
			ck_assert_uint_eq(at, want_gap);
		ck_assert_ptr_eq(pm_first_tagged(&pm, lo, hi, 5), want_first);
		ck_assert_ptr_eq(pm_last_tagged(&pm, lo, hi, 5), want_last);
		pm_totals(&pm, &t);
		ck_assert_uint_eq(t.mapped, mapped);
		ck_assert_uint_eq(t.committed, committed);
		ck_assert_uint_eq(t.mappings, mappings);
	}
	pm_fini(&pm);
}
END_TEST

/*
 * stats follows a trace with these searches after every operation: each
 * must visit O(log n) nodes, not the map (issue 19: stats was quadratic).
 * 20000 pages placed top-down as the layer places them, each found by
 * pm_highest_gap, with the lowest placed piece looked up after each.
 */
START_TEST(test_searches_logarithmic)
{
	pagemap_t pm;
	uint64_t lo = 0x100000 * K, hi = lo + 0x10000 * K, steps, worst = 0;
	enum { N = 20000 };

	pm_init(&pm);
	for (int i = 0; i < N; i++) {
		pm_attr_t a = anon_at(i % 2 ? 3 : 1, 1, 0);
		uint64_t at = 0;

		steps = pm_search_steps;
		ck_assert_int_eq(pm_highest_gap(&pm, lo, hi, K, &at), 0);
		ck_assert_uint_eq(at, hi - (uint64_t)(i + 1) * K);
		pm_map(&pm, at, at + K, &a);
		ck_assert_ptr_eq(pm_first_tagged(&pm, lo, hi, 1), pm_first_after(&pm, 0));
		if (pm_search_steps - steps > worst)
			worst = pm_search_steps - steps;
	}
	ck_assert_uint_eq(pm.n, N);
	/* a treap of 20000 nodes is some 30 deep; the searches walk a few paths */
	ck_assert_msg(worst < 400, "a step visited %llu nodes of %d", (unsigned long long)worst, N);
	pm_fini(&pm);
}
END_TEST

/* ---- strace's lines -------------------------------------------------------- */

static strace_line_t
split(const char *s)
{
	strace_line_t l;

	strace_line_split(s, strlen(s), &l);
	return l;
}

static int
text_is(const char *p, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(p, want, len) == 0;
}

START_TEST(test_line_prefixes)
{
	strace_line_t l;

	l = split("1234  munmap(0x7f0000000000, 41667)     = 0");
	ck_assert_int_eq(l.kind, SL_CALL);
	ck_assert_int_eq(l.pid, 1234);
	ck_assert(text_is(l.text, l.len, "munmap(0x7f0000000000, 41667)     = 0"));
	ck_assert(text_is(l.name, l.name_len, "munmap"));

	l = split("[pid  77] 1795985810.748572 mmap(NULL, 1, 0x1 /* PROT_READ */, 0x22, -1, 0) = 0x7f00 <0.000054>");
	ck_assert_int_eq(l.kind, SL_CALL);
	ck_assert_int_eq(l.pid, 77);
	ck_assert(text_is(l.text, l.len, "mmap(NULL, 1, 0x1 /* PROT_READ */, 0x22, -1, 0) = 0x7f00"));

	l = split("12:00:01.000001 [00007f1e5c0e1b2b] brk(NULL) = 0x55d0c0a3e000\r");
	ck_assert_int_eq(l.kind, SL_CALL);
	ck_assert_int_eq(l.pid, -1);
	ck_assert(text_is(l.text, l.len, "brk(NULL) = 0x55d0c0a3e000"));

	l = split("     0.000123 brk(NULL) = 0x1000");        /* -r */
	ck_assert_int_eq(l.kind, SL_CALL);
	ck_assert_int_eq(l.pid, -1);

	l = split("12 12:00:01 brk(NULL) = 0x1000");           /* -t after a pid */
	ck_assert_int_eq(l.kind, SL_CALL);
	ck_assert_int_eq(l.pid, 12);
}
END_TEST

START_TEST(test_line_kinds)
{
	strace_line_t l;

	l = split("5 mmap(NULL, 4096, PROT_READ <unfinished ...>");
	ck_assert_int_eq(l.kind, SL_UNFINISHED);
	ck_assert(text_is(l.text, l.len, "mmap(NULL, 4096, PROT_READ"));

	l = split("5 <... mmap resumed>, MAP_PRIVATE, 3, 0) = 0x7f00 <0.000001>");
	ck_assert_int_eq(l.kind, SL_RESUMED);
	ck_assert(text_is(l.name, l.name_len, "mmap"));
	ck_assert(text_is(l.text, l.len, ", MAP_PRIVATE, 3, 0) = 0x7f00"));

	ck_assert_int_eq(split("5 --- SIGCHLD {si_signo=SIGCHLD} ---").kind, SL_SIGNAL);
	ck_assert_int_eq(split("5 +++ exited with 0 +++").kind, SL_EXIT);
	ck_assert_int_eq(split("5 +++ killed by SIGKILL +++").kind, SL_EXIT);
	l = split("5 +++ superseded by execve in pid 3 +++");
	ck_assert_int_eq(l.kind, SL_SUPERSEDED);
	ck_assert_int_eq(l.new_pid, 3);
	ck_assert_int_eq(split("strace: Process 5 attached").kind, SL_NOTE);
	ck_assert_int_eq(split(" > /usr/lib/libc.so.6(mmap+0x1b) [0x1000]").kind, SL_NOTE);
	ck_assert_int_eq(split("").kind, SL_BLANK);
	ck_assert_int_eq(split("  \t ").kind, SL_BLANK);
	ck_assert_int_eq(split("hello world").kind, SL_BAD);
	ck_assert_int_eq(split("[pid x] mmap() = 0").kind, SL_BAD);
	ck_assert_int_eq(split("5 <... mmap").kind, SL_BAD);
	ck_assert_int_eq(split("5 1.5 [????????????????] +++ exited with 0 +++").kind, SL_EXIT);
}
END_TEST

START_TEST(test_note_inside)
{
	const char *cut = "vfork(strace: Process 25904 attached";
	const char *whole = "strace: Process 25904 attached";
	const char *call = "open(\"strace: Process 1 attached\", 0) = 3";

	ck_assert_uint_eq(strace_note_inside(cut, strlen(cut)), strlen("vfork("));
	ck_assert_uint_eq(strace_note_inside(whole, strlen(whole)), 0);   /* a note of its own */
	ck_assert_uint_eq(strace_note_inside(call, strlen(call)), 0);     /* the line goes on */
}
END_TEST

static strace_call_t
call(const char *s, int expect_ok)
{
	strace_call_t c;
	const char *why = NULL;
	int rc = strace_call_parse(s, strlen(s), &c, &why);

	ck_assert_msg((rc == 0) == expect_ok, "parse of '%s': %s", s, why ? why : "ok");
	return c;
}

START_TEST(test_calls)
{
	strace_call_t c;
	int fd;
	strace_span_t path;

	c = call("mmap(NULL, 41667, PROT_READ, MAP_PRIVATE, 3</etc/a,b (x)>, 0) = 0x7f3a1c2e5000", 1);
	ck_assert_str_eq(c.name, "mmap");
	ck_assert_uint_eq(c.nargs, 6);
	ck_assert_int_eq(c.result, SR_VALUE);
	ck_assert_uint_eq(c.value, 0x7f3a1c2e5000);
	ck_assert_int_eq(strace_fd(c.arg[4], &fd, &path), 0);
	ck_assert_int_eq(fd, 3);
	ck_assert(text_is(path.p, path.len, "/etc/a,b (x)"));
	ck_assert(text_is(c.call.p, c.call.len,
	                  "mmap(NULL, 41667, PROT_READ, MAP_PRIVATE, 3</etc/a,b (x)>, 0)"));

	c = call("clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7f, "
	         "stack_size=0x9000} => {parent_tid=[12]}, 88) = 12", 1);
	ck_assert_uint_eq(c.nargs, 2);
	ck_assert_uint_eq(c.value, 12);

	c = call("execve(\"/bin/a\", [\"a\", \"b),\"...], 0x7ffd /* 37 vars */) = 0", 1);
	ck_assert_uint_eq(c.nargs, 3);

	c = call("mmap(0x1000, 4096, PROT_READ, MAP_FIXED_NOREPLACE, -1, 0) = -1 EEXIST (File exists) (INJECTED)", 1);
	ck_assert_int_eq(c.result, SR_ERROR);
	ck_assert_str_eq(c.errno_name, "EEXIST");
	ck_assert_int_eq(c.injected, 1);

	c = call("munmap(0x1000, 4096) = -1 (errno 512)", 1);
	ck_assert_int_eq(c.result, SR_ERROR);
	ck_assert_str_eq(c.errno_name, "");

	c = call("mremap(0x1000, 4096, 8192, MREMAP_MAYMOVE) = ?", 1);
	ck_assert_int_eq(c.result, SR_UNKNOWN);

	c = call("munlockall() = 0", 1);
	ck_assert_uint_eq(c.nargs, 0);

	call("mmap(NULL, 4096", 0);
	call("mmap(NULL, 4096)", 0);
	call("mmap(NULL, 4096) = ", 0);
	call("mmap(NULL) = lots", 0);
	call("(NULL) = 0", 0);
}
END_TEST

START_TEST(test_values)
{
	static const strace_sym_t syms[] = { { "A", 1 }, { "B", 4 }, { NULL, 0 } };
	strace_span_t v, unknown;
	uint64_t u;
	int64_t i;
	int fd;

#define SPAN(s) (v.p = (s), v.len = strlen(s), v)
	ck_assert_int_eq(strace_uvalue(SPAN("NULL"), &u), 0);
	ck_assert_uint_eq(u, 0);
	ck_assert_int_eq(strace_uvalue(SPAN("0x7fAB"), &u), 0);
	ck_assert_uint_eq(u, 0x7fab);
	ck_assert_int_eq(strace_uvalue(SPAN("0x3 /* PROT_READ|PROT_WRITE */"), &u), 0);
	ck_assert_uint_eq(u, 3);
	ck_assert_int_eq(strace_uvalue(SPAN("18446744073709551616"), &u), -1);
	ck_assert_int_eq(strace_uvalue(SPAN("12ab"), &u), -1);
	ck_assert_int_eq(strace_value(SPAN("-1"), &i), 0);
	ck_assert_int_eq(i, -1);
	ck_assert_int_eq(strace_fd(SPAN("-1"), &fd, NULL), 0);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(strace_fd(SPAN("-2"), &fd, NULL), -1);

	ck_assert_int_eq(strace_flags(SPAN("A|B"), syms, 0, &u, &unknown), 0);
	ck_assert_uint_eq(u, 5);
	ck_assert_uint_eq(unknown.len, 0);
	ck_assert_int_eq(strace_flags(SPAN("A|0x10"), syms, 0, &u, &unknown), 0);
	ck_assert_uint_eq(u, 0x11);
	ck_assert_int_eq(strace_flags(SPAN("0x5 /* A|B */"), syms, 0, &u, &unknown), 0);
	ck_assert_uint_eq(u, 5);
	ck_assert_int_eq(strace_flags(SPAN("A|C|D"), syms, 0, &u, &unknown), 0);
	ck_assert(text_is(unknown.p, unknown.len, "C"));
	ck_assert_int_eq(strace_flags(SPAN("A|MAP_HUGE_2MB"), syms, 26, &u, &unknown), 0);
	ck_assert_uint_eq(u, 1 | ((uint64_t)21 << 26));
	ck_assert_int_eq(strace_flags(SPAN("A|MAP_HUGE_2MB"), syms, 0, &u, &unknown), 0);
	ck_assert_uint_eq(unknown.len, strlen("MAP_HUGE_2MB"));
	ck_assert_int_eq(strace_flags(SPAN("A||B"), syms, 0, &u, &unknown), -1);

	ck_assert_int_eq(strace_field("{flags=CLONE_VM|X, exit_signal=0}", 34, "flags", &v), 0);
	ck_assert(text_is(v.p, v.len, "CLONE_VM|X"));
	ck_assert_int_eq(strace_field("child_stack=NULL, xflags=1", 26, "flags", &v), -1);
#undef SPAN
}
END_TEST

static Suite *
record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *pm = tcase_create("pagemap");
	TCase *st = tcase_create("strace");

	tcase_add_test(pm, test_round_up);
	tcase_add_test(pm, test_map_replaces);
	tcase_add_test(pm, test_unmap_splits_files);
	tcase_add_test(pm, test_protect_and_count);
	tcase_add_test(pm, test_remap);
	tcase_add_test(pm, test_highest_gap);
	tcase_add_test(pm, test_copy);
	tcase_add_test(pm, test_totals_kept);
	tcase_add_test(pm, test_searches_logarithmic);
	tcase_set_timeout(pm, 60);      /* the long run, under sanitizers or valgrind */
	suite_add_tcase(s, pm);
	tcase_add_test(st, test_line_prefixes);
	tcase_add_test(st, test_line_kinds);
	tcase_add_test(st, test_note_inside);
	tcase_add_test(st, test_calls);
	tcase_add_test(st, test_values);
	suite_add_tcase(s, st);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(record_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
