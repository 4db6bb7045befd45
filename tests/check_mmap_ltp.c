/*
 * check_mmap_ltp.c: the Linux Test Project cases that apply to anonymous
 * memory, and the kernel's map_fixed_noreplace self-test, ported to the
 * mmap layer. Each test keeps its original's setup and expectations; an
 * access that raises SIGSEGV on Linux must fault in the model here. Files
 * are descriptor numbers the layer serves as anonymous memory, so the
 * cases about file permissions (EACCES) have no port.
 */
#include "mmap_testutil.h"

enum { FD1 = 3, FD2 = 4 };

/* mmap06: EINVAL for a length of 0 and for flags without MAP_PRIVATE or MAP_SHARED. */
START_TEST(ltp_mmap06)
{
	mt_t t;
	uint64_t at;

	mt_setup(&t, 0, 0);
	ck_assert_errno(rme_mmap(t.mm, 0, 0, RME_PROT_READ, RME_MAP_SHARED, FD1, 0, &at),
	                RME_EINVAL);
	ck_assert_errno(rme_mmap(t.mm, 0, PG, RME_PROT_READ, 0, FD1, 0, &at), RME_EINVAL);
	ck_assert_errno(rme_mmap(t.mm, 0, PG, RME_PROT_READ, RME_MAP_ANONYMOUS, -1, 0, &at),
	                RME_EINVAL);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 0);
	mt_teardown(&t);
}
END_TEST

/* mmap15: a page cannot be mapped at 1 << 53 (above the address space): ENOMEM. */
START_TEST(ltp_mmap15)
{
	mt_t t;
	uint64_t at;

	mt_setup(&t, 0, 0);
	ck_assert_errno(rme_mmap(t.mm, (uint64_t)1 << 53, PG, RME_PROT_READ,
	                         RME_MAP_SHARED | RME_MAP_FIXED, FD1, 0, &at), RME_ENOMEM);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 0);
	mt_teardown(&t);
}
END_TEST

/* mmap17: MAP_FIXED_NOREPLACE over an existing mapping gives EEXIST. */
START_TEST(ltp_mmap17)
{
	static const char str[] = "Writing to mapped file";
	mt_t t;
	uint64_t mapped, at;

	mt_setup(&t, 0, 0);
	ck_assert_errno(rme_mmap(t.mm, 0, sizeof(str) - 1, RME_PROT_WRITE, RME_MAP_PRIVATE, FD1,
	                         0, &mapped), 0);
	ck_assert_errno(rme_mmap(t.mm, mapped, sizeof(str) - 1, RME_PROT_WRITE,
	                         RME_MAP_PRIVATE | RME_MAP_FIXED_NOREPLACE, FD2, 0, &at),
	                RME_EEXIST);
	ck_assert_errno(rme_munmap(t.mm, mapped, sizeof(str) - 1), 0);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

/* mmap20: MAP_SHARED_VALIDATE with an invalid flag (1 << 7) gives EOPNOTSUPP. */
START_TEST(ltp_mmap20)
{
	mt_t t;
	uint64_t at;

	mt_setup(&t, 0, 0);
	ck_assert_errno(rme_mmap(t.mm, 0, 1024, RW, (1 << 7) | RME_MAP_SHARED_VALIDATE, FD1, 0,
	                         &at), RME_EOPNOTSUPP);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 0);
	mt_teardown(&t);
}
END_TEST

/* munmap01 (and munmap02): after munmap, the unmapped region faults; the rest does not. */
START_TEST(ltp_munmap01)
{
	mt_t t;
	uint64_t addr, at;

	mt_setup(&t, 0, 0);
	ck_assert_errno(rme_mmap(t.mm, 0, 3 * PG, RW, RME_MAP_SHARED, FD1, 0, &addr), 0);
	mt_poke(&t, addr, 'a');
	ck_assert_errno(rme_munmap(t.mm, addr, 3 * PG), 0);
	ck_assert(!mt_writable(&t, addr, 50));
	ck_assert(!mt_readable(&t, addr + 2 * PG));
	/* a part only */
	ck_assert_errno(rme_mmap(t.mm, 0, 3 * PG, RW, RME_MAP_SHARED, FD1, 0, &at), 0);
	ck_assert_errno(rme_munmap(t.mm, at + PG, PG), 0);
	ck_assert(mt_writable(&t, at, 50));
	ck_assert(!mt_writable(&t, at + PG, 50));
	ck_assert(mt_writable(&t, at + 2 * PG, 50));
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

/* munmap03: EINVAL outside the address space, for a length of 0, for an unaligned address. */
START_TEST(ltp_munmap03)
{
	mt_t t;
	uint64_t global;

	mt_setup(&t, 0, 0);
	global = mt_map(&t, 0, 2 * PG, RW, ANON_PRIVATE);
	/* RLIM_INFINITY as an address, and a page-aligned one beyond the area ("TASK_SIZE") */
	ck_assert_errno(rme_munmap(t.mm, UINT64_MAX, 2 * PG), RME_EINVAL);
	ck_assert_errno(rme_munmap(t.mm, MT_BASE + MT_SIZE + PG, 2 * PG), RME_EINVAL);
	ck_assert_errno(rme_munmap(t.mm, global, 0), RME_EINVAL);
	ck_assert_errno(rme_munmap(t.mm, global + 1, PG), RME_EINVAL);
	ck_assert(mt_readable(&t, global));
	ck_assert_errno(rme_munmap(t.mm, global, 2 * PG), 0);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

/*
 * munmap04: fill the map count with 3-page PROT_NONE mappings two apart
 * (MAP_FIXED_NOREPLACE from 4 GiB) until mmap fails, then unmapping the
 * middle page of one, which would split it, gives ENOMEM.
 */
START_TEST(ltp_munmap04)
{
	const uint64_t vma_size = 3 * PG, pad = 2, base = 0x100000000;
	mt_cfg_t c = { .base = base, .size = (uint64_t)2 << 30 };
	mt_t t;
	uint64_t map_count = 0, third = 0, at;

	mt_setup_cfg(&t, &c);
	for (;;) {
		int rc = rme_mmap(t.mm, base + pad * vma_size * map_count, vma_size, RME_PROT_NONE,
		                  ANON_PRIVATE | RME_MAP_FIXED_NOREPLACE, -1, 0, &at);
		if (rc) {
			ck_assert_errno(rc, RME_ENOMEM);
			break;
		}
		if (map_count == 2)
			third = at;
		map_count++;
	}
	/* A process on Linux has other mappings; here the area is all there is, so the
	 * count goes exactly one above the limit. */
	ck_assert_uint_eq(map_count, RME_MMAP_MAP_COUNT_DEFAULT + 1);
	ck_assert_uint_eq(rme_mmap_count(t.mm), RME_MMAP_MAP_COUNT_DEFAULT + 1);
	ck_assert_errno(rme_munmap(t.mm, third + PG, PG), RME_ENOMEM);
	mt_quota_is(&t, &t.after_setup);   /* reservations take no RAM */
	{
		char msg[256];
		rme_err_t err = rme_mmap_check(t.mm, msg, sizeof(msg));
		ck_assert_msg(err == RME_OK, "mmap check: %s", msg);
	}
	for (uint64_t i = 0; i < map_count; i++)
		ck_assert_errno(rme_munmap(t.mm, base + pad * vma_size * i, vma_size), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 0);
	mt_teardown(&t);
}
END_TEST

/* mprotect01: ENOMEM at address 0 (unmapped), EINVAL for an unaligned address. */
START_TEST(ltp_mprotect01)
{
	mt_t t;
	uint64_t a;

	mt_setup(&t, 0, 0);
	ck_assert_errno(rme_mprotect(t.mm, 0, 1024, RME_PROT_READ), RME_ENOMEM);
	a = mt_map(&t, 0, PG, RW, ANON_PRIVATE);
	ck_assert_errno(rme_mprotect(t.mm, a + 1, 1024, RME_PROT_READ), RME_EINVAL);
	mt_teardown(&t);
}
END_TEST

/*
 * mprotect05 (kernel bug 217061): on a 5-page shared mapping, EXEC on page
 * 1, WRITE on page 3, then READ on pages 1-4 all succeed, and the split
 * VMAs merge back.
 */
START_TEST(ltp_mprotect05)
{
	mt_t t;
	uint64_t addr;

	mt_setup(&t, 0, 0);
	ck_assert_errno(rme_mmap(t.mm, 0, 5 * PG, RME_PROT_READ, RME_MAP_SHARED, FD1, 0, &addr), 0);
	ck_assert_errno(rme_mprotect(t.mm, addr + PG, PG, RME_PROT_EXEC), 0);
	ck_assert_errno(rme_mprotect(t.mm, addr + 3 * PG, PG, RME_PROT_WRITE), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 5);
	ck_assert_errno(rme_mprotect(t.mm, addr + PG, 4 * PG, RME_PROT_READ), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 1);
	ck_assert(!mt_writable(&t, addr + 3 * PG, 1));
	ck_assert(mt_readable(&t, addr + 4 * PG));
	mt_check(&t);
	ck_assert_errno(rme_munmap(t.mm, addr, 5 * PG), 0);
	mt_teardown(&t);
}
END_TEST

/* mremap02: EINVAL for an old address that is not page-aligned. */
START_TEST(ltp_mremap02)
{
	mt_t t;
	uint64_t a, at;

	mt_setup(&t, 0, 0);
	a = mt_map(&t, 0, PG, RW, ANON_PRIVATE);
	ck_assert_errno(rme_mremap(t.mm, a + PG - 1, PG, 2 * PG, RME_MREMAP_MAYMOVE, 0, &at),
	                RME_EINVAL);
	mt_teardown(&t);
}
END_TEST

/* mremap03: EFAULT when the old address (a high one) is not mapped. */
START_TEST(ltp_mremap03)
{
	mt_t t;
	uint64_t at, memsize = 1000 * PG;

	mt_setup(&t, 0, 0);
	ck_assert_errno(rme_mremap(t.mm, MT_BASE + MT_SIZE - memsize, memsize, 2 * memsize,
	                           RME_MREMAP_MAYMOVE, 0, &at), RME_EFAULT);
	ck_assert_errno(rme_mremap(t.mm, (uint64_t)1 << 46, memsize, 2 * memsize,
	                           RME_MREMAP_MAYMOVE, 0, &at), RME_EFAULT);
	mt_teardown(&t);
}
END_TEST

/*
 * mremap04: a 2-page shared segment (shmat) cannot grow from its first
 * page in place without MREMAP_MAYMOVE: ENOMEM.
 */
START_TEST(ltp_mremap04)
{
	mt_t t;
	uint64_t shm, at;

	mt_setup(&t, 0, 0);
	shm = mt_map(&t, 0, 2 * PG, RW, ANON_SHARED);
	ck_assert_errno(rme_mremap(t.mm, shm, PG, 2 * PG, 0, 0, &at), RME_ENOMEM);
	ck_assert(mt_writable(&t, shm + PG, 1));
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

/* mremap05's get_test_area: map, and unmap again if only the address is wanted. */
static uint64_t
test_area(mt_t *t, uint64_t pages, bool free_area)
{
	uint64_t p = mt_map(t, 0, pages * PG, RW, ANON_PRIVATE);

	if (free_area)
		ck_assert_errno(rme_munmap(t->mm, p, pages * PG), 0);
	return p;
}

/*
 * mremap05: MREMAP_FIXED needs MREMAP_MAYMOVE; the new address must be
 * page-aligned; old and new may not overlap; a move works and keeps the
 * content; a move unmaps what was at the new address first.
 */
START_TEST(ltp_mremap05)
{
	const int fixed_move = RME_MREMAP_FIXED | RME_MREMAP_MAYMOVE;
	mt_t t;
	uint64_t old, new_addr, at;

	mt_setup(&t, 0, 0);
	/* "MREMAP_FIXED requires MREMAP_MAYMOVE" */
	old = test_area(&t, 1, false);
	new_addr = test_area(&t, 1, true);
	ck_assert_errno(rme_mremap(t.mm, old, PG, PG, RME_MREMAP_FIXED, new_addr, &at), RME_EINVAL);
	ck_assert_errno(rme_munmap(t.mm, old, PG), 0);
	/* "new_addr has to be page aligned" */
	old = test_area(&t, 1, false);
	new_addr = test_area(&t, 2, true) + 1;
	ck_assert_errno(rme_mremap(t.mm, old, PG, PG, fixed_move, new_addr, &at), RME_EINVAL);
	ck_assert_errno(rme_munmap(t.mm, old, PG), 0);
	/* "old/new area must not overlap" */
	old = test_area(&t, 2, false);
	ck_assert_errno(rme_mremap(t.mm, old, 2 * PG, PG, fixed_move, old, &at), RME_EINVAL);
	ck_assert_errno(rme_munmap(t.mm, old, 2 * PG), 0);
	/* "mremap #1": to a free address */
	old = test_area(&t, 1, false);
	new_addr = test_area(&t, 1, true);
	mt_poke(&t, old, 0x1);
	ck_assert_errno(rme_mremap(t.mm, old, PG, PG, fixed_move, new_addr, &at), 0);
	ck_assert_uint_eq(at, new_addr);
	ck_assert_uint_eq(mt_byte(&t, at), 0x1);
	ck_assert_errno(rme_munmap(t.mm, at, PG), 0);
	/* "mremap #2": over an existing mapping, which is unmapped first */
	old = test_area(&t, 1, false);
	new_addr = test_area(&t, 1, false);
	mt_poke(&t, old, 0x1);
	mt_poke(&t, new_addr, 0x2);
	ck_assert_errno(rme_mremap(t.mm, old, PG, PG, fixed_move, new_addr, &at), 0);
	ck_assert_uint_eq(at, new_addr);
	ck_assert_uint_eq(mt_byte(&t, at), 0x1);
	ck_assert(!mt_readable(&t, old));
	ck_assert_errno(rme_munmap(t.mm, at, PG), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 0);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

/*
 * tools/testing/selftests/mm/map_fixed_noreplace.c: its nine checks on a
 * 5-page base and a 3-page mapping at base + 1 page.
 */
START_TEST(selftest_map_fixed_noreplace)
{
	const int flags = ANON_PRIVATE | RME_MAP_FIXED_NOREPLACE;
	mt_t t;
	uint64_t base, at;

	mt_setup(&t, 0, 0);
	/* find_base_addr: map 5 pages anywhere and unmap them again */
	base = mt_map(&t, 0, 5 * PG, RME_PROT_NONE, ANON_PRIVATE);
	ck_assert_errno(rme_munmap(t.mm, base, 5 * PG), 0);

	/* 1: 5 pages at base */
	ck_assert_errno(rme_mmap(t.mm, base, 5 * PG, RME_PROT_NONE, flags, -1, 0, &at), 0);
	ck_assert_uint_eq(at, base);
	ck_assert_errno(rme_munmap(t.mm, base, 5 * PG), 0);
	/* 2: 3 pages at base + 1 page */
	ck_assert_errno(rme_mmap(t.mm, base + PG, 3 * PG, RME_PROT_NONE, flags, -1, 0, &at), 0);
	ck_assert_uint_eq(at, base + PG);
	/* 3: exactly over it and beyond: EEXIST */
	ck_assert_errno(rme_mmap(t.mm, base, 5 * PG, RME_PROT_NONE, flags, -1, 0, &at),
	                RME_EEXIST);
	/* 4: contained in it */
	ck_assert_errno(rme_mmap(t.mm, base + 2 * PG, PG, RME_PROT_NONE, flags, -1, 0, &at),
	                RME_EEXIST);
	/* 5: overlapping its end */
	ck_assert_errno(rme_mmap(t.mm, base + 3 * PG, 2 * PG, RME_PROT_NONE, flags, -1, 0, &at),
	                RME_EEXIST);
	/* 6: overlapping its start */
	ck_assert_errno(rme_mmap(t.mm, base, 2 * PG, RME_PROT_NONE, flags, -1, 0, &at),
	                RME_EEXIST);
	/* 7: adjacent to its start */
	ck_assert_errno(rme_mmap(t.mm, base, PG, RME_PROT_NONE, flags, -1, 0, &at), 0);
	ck_assert_uint_eq(at, base);
	/* 8: adjacent to its end */
	ck_assert_errno(rme_mmap(t.mm, base + 4 * PG, PG, RME_PROT_NONE, flags, -1, 0, &at), 0);
	ck_assert_uint_eq(at, base + 4 * PG);
	/* 9: the whole base unmaps */
	ck_assert_errno(rme_munmap(t.mm, base, 5 * PG), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 0);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

static Suite *
ltp_suite(void)
{
	Suite *s = suite_create("mmap-ltp");
	TCase *tc = tcase_create("ltp");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ltp_mmap06);
	tcase_add_test(tc, ltp_mmap15);
	tcase_add_test(tc, ltp_mmap17);
	tcase_add_test(tc, ltp_mmap20);
	tcase_add_test(tc, ltp_munmap01);
	tcase_add_test(tc, ltp_munmap03);
	tcase_add_test(tc, ltp_munmap04);
	tcase_add_test(tc, ltp_mprotect01);
	tcase_add_test(tc, ltp_mprotect05);
	tcase_add_test(tc, ltp_mremap02);
	tcase_add_test(tc, ltp_mremap03);
	tcase_add_test(tc, ltp_mremap04);
	tcase_add_test(tc, ltp_mremap05);
	tcase_add_test(tc, selftest_map_fixed_noreplace);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(ltp_suite());
}
