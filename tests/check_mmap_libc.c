/*
 * check_mmap_libc.c: the genode-libc and libc-alloc-at policies hold to
 * what their code does (src/mmap/mmap_genode_libc.c, mmap_libc_alloc_at.c
 * cite it): flags, errors and their causes, placement, zero-fill, munmap,
 * the dummies. One test per behaviour of issue 16's list.
 */
#include <check.h>
#include <string.h>

#include "mmap_libc.h"
#include "mmap_testutil.h"

#define ANON ANON_PRIVATE
#define AREA MT_BASE

typedef struct lt {
	mt_t mt;
	rme_mmap_t *mm;
	libc_t *l;
} lt_t;

static void
lt_setup(lt_t *t, const char *policy)
{
	mt_cfg_t c = { .ram = 1ull << 32, .caps = 10000, .policy = policy };

	mt_setup_cfg(&t->mt, &c);
	t->mm = t->mt.mm;
	ck_assert_str_eq(rme_mmap_policy(t->mm), policy);
	t->l = libc_of(t->mm);
}

static void
lt_teardown(lt_t *t)
{
	char msg[256];

	ck_assert_msg(rme_mmap_check(t->mm, msg, sizeof(msg)) == RME_OK, "%s", msg);
	mt_teardown(&t->mt);
}

static uint64_t
ram(const lt_t *t)
{
	rme_quota_t q;
	tu_quota_held(t->mt.model, &q);
	return q.ram_used;
}

static int
map(lt_t *t, uint64_t addr, uint64_t len, int prot, int flags, uint64_t *out)
{
	uint64_t ignored;
	return rme_mmap(t->mm, addr, len, prot, flags, -1, 0, out ? out : &ignored);
}

static uint8_t
peek(lt_t *t, uint64_t addr)
{
	return mt_byte(&t->mt, addr);
}

static void
poke(lt_t *t, uint64_t addr, uint8_t b)
{
	mt_poke(&t->mt, addr, b);
}

struct region_find {
	uint64_t at;
	rme_region_info_t r;
	int found;
};

static int
find_region(void *ctx, const rme_region_info_t *r)
{
	struct region_find *f = ctx;

	if (f->at >= r->base && f->at - r->base < r->size) {
		f->r = *r;
		f->found = 1;
	}
	return 0;
}

/* The region of the address space that holds addr. */
static rme_region_info_t
region_at(lt_t *t, uint64_t addr)
{
	struct region_find f = { addr, { 0 }, 0 };

	ck_assert_ok(rme_rm_regions(t->mt.model, rme_env(t->mt.model), find_region, &f));
	ck_assert_msg(f.found, "nothing attached at 0x%llx", (unsigned long long)addr);
	return f.r;
}

/* ---- genode-libc (Genode 26.02) -------------------------------------------------------- */

START_TEST(genode_libc_fixed_is_einval_and_changes_nothing)
{
	lt_t t;
	uint64_t r0;

	lt_setup(&t, "genode-libc");
	r0 = ram(&t);
	ck_assert_int_eq(map(&t, AREA, PG, RW, ANON | RME_MAP_FIXED, NULL), RME_EINVAL);
	ck_assert_int_eq(rme_mmap_last_cause(t.mm), RME_MMAP_CAUSE_UNSUPPORTED);
	ck_assert_int_eq(map(&t, 0, PG, RW, ANON | RME_MAP_FIXED, NULL), RME_EINVAL);
	ck_assert_uint_eq(ram(&t), r0);
	ck_assert_uint_eq(t.l->pool[0].ds_count + t.l->pool[1].ds_count, 0);
	/* MAP_FIXED_NOREPLACE is not FreeBSD's: taken for a hint, and the hint is ignored */
	ck_assert_int_eq(map(&t, AREA, PG, RW, ANON | RME_MAP_FIXED_NOREPLACE, &r0), 0);
	ck_assert_uint_ne(r0, AREA);
	lt_teardown(&t);
}
END_TEST

START_TEST(genode_libc_first_mapping_and_chunks)
{
	/* 32 KiB, 64 KiB, ... for pages; and the doubling stops at 1 M words (8 MiB) */
	static const uint64_t chunk[] = { 0x8000, 0x10000, 0x20000, 0x40000, 0x80000, 0x100000,
	                                  0x200000, 0x400000, 0x800000, 0x800000 };
	uint64_t a, b;
	lt_t t;

	lt_setup(&t, "genode-libc");
	/* genode-semantics.md 4.1: 32 KiB at B, the record at B, the mapping at B + 0x1000 */
	ck_assert_int_eq(map(&t, 0, PG, RW, ANON, &a), 0);
	b = t.l->pool[0].ds->at;
	ck_assert_uint_eq(t.l->pool[0].ds->size, 0x8000);
	ck_assert_uint_eq(t.l->pool[0].ds->record, b);
	ck_assert_uint_eq(a, b + PG);
	lt_teardown(&t);

	lt_setup(&t, "genode-libc");
	for (size_t i = 0; i < sizeof(chunk) / sizeof(*chunk); i++) {
		uint64_t n = t.l->pool[0].ds_count;
		/* a mapping larger than what is left forces the next chunk */
		while (t.l->pool[0].ds_count == n)
			ck_assert_int_eq(map(&t, 0, 0x2000, RW, ANON, NULL), 0);
		ck_assert_uint_eq(t.l->pool[0].ds->size, chunk[i]);
	}
	lt_teardown(&t);

	/* a request at least as large as the chunk: size + 4 KiB + slab block + record, page-aligned */
	lt_setup(&t, "genode-libc");
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(map(&t, 0, 0x100000, RW, ANON, NULL), 0);
		ck_assert_uint_eq(t.l->pool[0].ds->size, 0x103000);
	}
	ck_assert_uint_eq(t.l->pool[0].ds_count, 8);
	lt_teardown(&t);
}
END_TEST

START_TEST(genode_libc_hint_ignored_exec_picks_pool_prot_none_costs)
{
	uint64_t a, x, r0;
	lt_t t;

	lt_setup(&t, "genode-libc");
	ck_assert_int_eq(map(&t, AREA, PG, RW, ANON, &a), 0);
	ck_assert_uint_ne(a, AREA);
	/* only PROT_EXEC matters: r-x goes to the rwx pool, attached executable and writeable */
	ck_assert_int_eq(map(&t, 0, PG, RME_PROT_READ | RME_PROT_EXEC, ANON, &x), 0);
	ck_assert_uint_eq(t.l->pool[1].ds_count, 1);
	ck_assert_int_eq(region_at(&t, x).executable, 1);
	ck_assert_int_eq(region_at(&t, x).writeable, 1);
	ck_assert_int_eq(region_at(&t, a).executable, 0);
	poke(&t, x, 0xc3);
	/* PROT_NONE is RAM like any other, and readable and writable */
	r0 = ram(&t);
	ck_assert_int_eq(map(&t, 0, 0x400000, RME_PROT_NONE, ANON | RME_MAP_NORESERVE, &a), 0);
	ck_assert_uint_ge(ram(&t) - r0, 0x400000);
	poke(&t, a + 0x3ff000, 1);
	lt_teardown(&t);
}
END_TEST

START_TEST(genode_libc_zero_fill_and_munmap)
{
	uint64_t a, b, c, r;
	lt_t t;

	lt_setup(&t, "genode-libc");
	ck_assert_int_eq(map(&t, 0, 3 * PG, RW, ANON, &a), 0);
	poke(&t, a, 0x11);
	poke(&t, a + 2 * PG + 5, 0x22);
	r = ram(&t);
	/* exact start only: inside, twice, NULL are EINVAL */
	ck_assert_int_eq(rme_munmap(t.mm, a + PG, PG), RME_EINVAL);
	ck_assert_int_eq(rme_mmap_last_cause(t.mm), RME_MMAP_CAUSE_NOT_A_START);
	ck_assert_int_eq(rme_munmap(t.mm, 0, PG), RME_EINVAL);
	/* the length is ignored: the whole block goes back to the pool */
	ck_assert_int_eq(rme_munmap(t.mm, a, PG), 0);
	ck_assert_int_eq(rme_munmap(t.mm, a, 3 * PG), RME_EINVAL);
	/* the RAM stays, the bytes stay readable and writable */
	ck_assert_uint_eq(ram(&t), r);
	ck_assert_uint_eq(peek(&t, a + 2 * PG + 5), 0x22);
	poke(&t, a + PG, 0x33);
	/* the same block again: zero-filled, also the rest of its last page */
	ck_assert_int_eq(map(&t, 0, 3 * PG - 100, RW, ANON, &b), 0);
	ck_assert_uint_eq(b, a);
	ck_assert_uint_eq(peek(&t, a), 0);
	ck_assert_uint_eq(peek(&t, a + 2 * PG + 5), 0);
	ck_assert_uint_eq(peek(&t, a + 3 * PG - 1), 0);
	ck_assert_uint_eq(ram(&t), r);
	/* length 0: ENOMEM, after the pool grew by a chunk */
	c = t.l->pool[0].ds_count;
	ck_assert_int_eq(map(&t, 0, 0, RW, ANON, NULL), RME_ENOMEM);
	ck_assert_int_eq(rme_mmap_last_cause(t.mm), RME_MMAP_CAUSE_ZERO_LENGTH);
	ck_assert_uint_eq(t.l->pool[0].ds_count, c + 1);
	lt_teardown(&t);
}
END_TEST

START_TEST(genode_libc_dummies_and_msync)
{
	uint64_t a;
	uint64_t new_addr;
	lt_t t;

	lt_setup(&t, "genode-libc");
	ck_assert_int_eq(map(&t, 0, 2 * PG, RW, ANON, &a), 0);
	poke(&t, a, 0x44);
	ck_assert_int_eq(rme_mprotect(t.mm, a, PG, RME_PROT_READ), RME_ENOSYS);
	ck_assert_int_eq(rme_mmap_last_cause(t.mm), RME_MMAP_CAUSE_UNSUPPORTED);
	ck_assert_int_eq(rme_mremap(t.mm, a, 2 * PG, 4 * PG, RME_MREMAP_MAYMOVE, 0, &new_addr),
	                 RME_ENOSYS);
	/* MADV_DONTNEED: 0, without zeroing, anywhere; other advice ENOSYS */
	ck_assert_int_eq(rme_madvise(t.mm, a, 2 * PG, RME_MADV_DONTNEED), 0);
	ck_assert_uint_eq(peek(&t, a), 0x44);
	ck_assert_int_eq(rme_madvise(t.mm, 0x7000000000ull, PG, RME_MADV_DONTNEED), 0);
	ck_assert_int_eq(rme_madvise(t.mm, a, PG, RME_MADV_WILLNEED), RME_ENOSYS);
	/* mlock and friends: not in the libc (lib/symbols/libc): such a program does not link */
	ck_assert_int_eq(rme_mlock(t.mm, a, PG, 0), RME_ENOSYS);
	ck_assert_int_eq(rme_mmap_last_cause(t.mm), RME_MMAP_CAUSE_UNSUPPORTED);
	ck_assert_int_eq(rme_munlock(t.mm, a, PG), RME_ENOSYS);
	ck_assert_int_eq(rme_mlockall(t.mm, 1), RME_ENOSYS);
	ck_assert_int_eq(rme_munlockall(t.mm), RME_ENOSYS);
	/* msync: the exact start, length and flags not looked at */
	ck_assert_int_eq(rme_msync(t.mm, a, 123, RME_MS_ASYNC | RME_MS_SYNC), 0);
	ck_assert_int_eq(rme_msync(t.mm, a + PG, PG, RME_MS_SYNC), RME_EINVAL);
	lt_teardown(&t);
}
END_TEST

START_TEST(genode_libc_files)
{
	uint64_t a, r;
	lt_t t;

	lt_setup(&t, "genode-libc");
	/* not anonymous and no descriptor: EBADF */
	ck_assert_int_eq(map(&t, 0, PG, RW, RME_MAP_PRIVATE, NULL), RME_EBADF);
	/* Vfs_plugin: r-x is EACCES, MAP_FIXED EINVAL, private a block of the rw pool */
	ck_assert_int_eq(rme_mmap(t.mm, 0, PG, RME_PROT_READ | RME_PROT_EXEC, RME_MAP_PRIVATE, 3, 0, &a),
	                 RME_EACCES);
	ck_assert_int_eq(rme_mmap(t.mm, AREA, PG, RME_PROT_READ, RME_MAP_PRIVATE | RME_MAP_FIXED, 3, 0, &a),
	                 RME_EINVAL);
	ck_assert_int_eq(rme_mmap(t.mm, 0, 5000, RME_PROT_READ, RME_MAP_PRIVATE, 3, 0, &a), 0);
	ck_assert_uint_eq(libc_pool_size_at(&t.l->pool[0], a), 5000);
	ck_assert_int_eq(rme_munmap(t.mm, a, 5000), 0);
	ck_assert_ptr_null(plc_used_at(&t.l->pool[0].alloc, a));   /* back in the pool */
	/* shared: an attachment of its own, detached by munmap */
	r = ram(&t);
	ck_assert_int_eq(rme_mmap(t.mm, 0, 2 * PG, RW, RME_MAP_SHARED, 3, 0, &a), 0);
	ck_assert_int_eq(region_at(&t, a).size, 2 * PG);
	ck_assert_int_eq(rme_munmap(t.mm, a, 2 * PG), 0);
	ck_assert_uint_eq(ram(&t), r);
	lt_teardown(&t);
}
END_TEST

/* ---- libc-alloc-at (20.05 with the patch) ------------------------------------------------ */

START_TEST(alloc_at_no_zero_fill_and_records_of_24_bytes)
{
	uint64_t a, b;
	rme_mmap_stats_t st;
	lt_t t;

	lt_setup(&t, "libc-alloc-at");
	ck_assert_int_eq(map(&t, 0, 2 * PG, RW, ANON, &a), 0);
	poke(&t, a + 7, 0x99);
	ck_assert_int_eq(rme_munmap(t.mm, a, 2 * PG), 0);
	ck_assert_int_eq(map(&t, 0, 2 * PG, RW, ANON, &b), 0);
	ck_assert_uint_eq(b, a);
	ck_assert_uint_eq(peek(&t, a + 7), 0x99);   /* what the last owner left */
	/* one chunk, one record of 0x18 bytes (no slab block in the pool yet) */
	rme_mmap_stats(t.mm, &st);
	ck_assert_uint_eq(st.metadata_bytes, 0x18);
	ck_assert_uint_eq(t.l->pool[0].ds->record, t.l->pool[0].ds->at);
	lt_teardown(&t);
}
END_TEST

START_TEST(alloc_at_anonymous_means_fd_minus_one)
{
	uint64_t a;
	lt_t t;

	lt_setup(&t, "libc-alloc-at");
	/* no MAP_ANONYMOUS, but fd -1: anonymous all the same */
	ck_assert_int_eq(map(&t, 0, PG, RW, RME_MAP_PRIVATE, &a), 0);
	ck_assert_int_eq(rme_munmap(t.mm, a, PG), 0);
	/* MAP_FIXED with address 0: ignored, placed anywhere */
	ck_assert_int_eq(map(&t, 0, PG, RW, ANON | RME_MAP_FIXED, &a), 0);
	ck_assert_uint_ne(a, 0);
	lt_teardown(&t);
}
END_TEST

START_TEST(alloc_at_places_at_the_address_fixed_or_not)
{
	uint64_t a;
	lt_t t;

	lt_setup(&t, "libc-alloc-at");
	/* a hint is taken as a fixed address */
	ck_assert_int_eq(map(&t, AREA, 2 * PG, RW, ANON, &a), 0);
	ck_assert_uint_eq(a, AREA);
	/* the dataspace at the address is never executable, even in the rwx pool */
	ck_assert_int_eq(map(&t, AREA + 0x100000, PG, RW | RME_PROT_EXEC, ANON | RME_MAP_FIXED, &a), 0);
	ck_assert_int_eq(region_at(&t, a).executable, 0);
	ck_assert_uint_eq(t.l->pool[1].ds->kind, LIBC_DS_FIXED);
	/* a hint over something in use fails where Linux would map elsewhere */
	ck_assert_int_eq(map(&t, AREA, PG, RW, ANON, NULL), RME_ENOMEM);
	ck_assert_int_eq(rme_mmap_last_cause(t.mm), RME_MMAP_CAUSE_HINT_AS_FIXED);
	lt_teardown(&t);
}
END_TEST

START_TEST(alloc_at_failure_causes)
{
	uint64_t r;
	lt_t t;

	/* F1: core puts the gap where the request wants to be (hw: 0x7000 bytes at 0x4000) */
	lt_setup(&t, "libc-alloc-at");
	ck_assert_int_eq(map(&t, 0x4000, PG, RW, ANON | RME_MAP_FIXED, NULL), RME_ENOMEM);
	ck_assert_int_eq(rme_mmap_last_cause(t.mm), RME_MMAP_CAUSE_GAP_IN_TARGET);
	/* the gap and its record stay; the page was given back */
	ck_assert_uint_eq(t.l->pool[0].ds_count, 1);
	ck_assert_int_eq(t.l->pool[0].ds->kind, LIBC_DS_GAP);
	lt_teardown(&t);

	/* F3: a fixed range munmapped is still attached: more than it at the same place fails */
	lt_setup(&t, "libc-alloc-at");
	ck_assert_int_eq(map(&t, AREA, 0x10000, RW, ANON | RME_MAP_FIXED, NULL), 0);
	ck_assert_int_eq(rme_munmap(t.mm, AREA, 0x10000), 0);
	r = ram(&t);
	ck_assert_int_eq(map(&t, AREA, 0x20000, RW, ANON | RME_MAP_FIXED, NULL), RME_ENOMEM);
	ck_assert_int_eq(rme_mmap_last_cause(t.mm), RME_MMAP_CAUSE_TARGET_IN_USE);
	ck_assert_uint_gt(ram(&t), r);   /* a new gap all the same */
	/* the same size fits the free pool memory (S1): nothing new */
	r = ram(&t);
	ck_assert_int_eq(map(&t, AREA, 0x10000, RW, ANON | RME_MAP_FIXED, NULL), 0);
	ck_assert_uint_eq(ram(&t), r);
	/* length 0 at an address: Pd::alloc(0) gives an invalid capability, attach_at throws */
	ck_assert_int_eq(map(&t, AREA + 0x1000000, 0, RW, ANON | RME_MAP_FIXED, NULL), RME_EFAULT);
	ck_assert_int_eq(rme_mmap_last_cause(t.mm), RME_MMAP_CAUSE_ABORT);
	lt_teardown(&t);
}
END_TEST

START_TEST(alloc_at_munmap_keeps_both_dataspaces)
{
	uint64_t r;
	rme_mmap_stats_t st;
	lt_t t;

	lt_setup(&t, "libc-alloc-at");
	ck_assert_int_eq(map(&t, AREA, 0x10000, RW, ANON | RME_MAP_FIXED, NULL), 0);
	r = ram(&t);
	ck_assert_int_eq(rme_munmap(t.mm, AREA, 0x10000), 0);
	ck_assert_uint_eq(ram(&t), r);
	rme_mmap_stats(t.mm, &st);
	ck_assert_uint_eq(st.vmas, 0);
	ck_assert_uint_eq(st.chunks, 2);
	ck_assert_uint_eq(st.attachments, 2);
	/* files: EACCES for r-x, EINVAL at an address, both registered as MAP_FAILED */
	ck_assert_int_eq(rme_mmap(t.mm, 0, PG, RME_PROT_READ | RME_PROT_EXEC, RME_MAP_PRIVATE, 3, 0, &r),
	                 RME_EACCES);
	ck_assert_int_eq(rme_mmap(t.mm, AREA, PG, RME_PROT_READ, RME_MAP_PRIVATE, 3, 0, &r), RME_EINVAL);
	ck_assert_ptr_nonnull(libc_registry_lookup(t.l, UINT64_MAX));
	ck_assert_int_eq(rme_mprotect(t.mm, AREA, PG, RME_PROT_READ), RME_ENOSYS);
	lt_teardown(&t);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("mmap_libc");
	TCase *g = tcase_create("genode_libc"), *p = tcase_create("libc_alloc_at");

	tcase_add_test(g, genode_libc_fixed_is_einval_and_changes_nothing);
	tcase_add_test(g, genode_libc_first_mapping_and_chunks);
	tcase_add_test(g, genode_libc_hint_ignored_exec_picks_pool_prot_none_costs);
	tcase_add_test(g, genode_libc_zero_fill_and_munmap);
	tcase_add_test(g, genode_libc_dummies_and_msync);
	tcase_add_test(g, genode_libc_files);
	tcase_add_test(p, alloc_at_no_zero_fill_and_records_of_24_bytes);
	tcase_add_test(p, alloc_at_anonymous_means_fd_minus_one);
	tcase_add_test(p, alloc_at_places_at_the_address_fixed_or_not);
	tcase_add_test(p, alloc_at_failure_causes);
	tcase_add_test(p, alloc_at_munmap_keeps_both_dataspaces);
	suite_add_tcase(s, g);
	suite_add_tcase(s, p);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
