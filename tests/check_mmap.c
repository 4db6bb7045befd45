/*
 * check_mmap.c: the mmap layer's behaviour, call by call: set-up and its
 * failures, placement, MAP_FIXED replacement, reservations, munmap's
 * chunks, mprotect, mremap, madvise, msync, VMA counting and the map-count
 * limit, the Go/JDK reserve-commit-decommit pattern with exact quota,
 * failure injection (heap and quota) and leak checks.
 */
#include <stdio.h>

#include "mmap_testutil.h"

#include "costs.h"

/* ---- Set-up and tear-down ------------------------------------------------- */

START_TEST(setup_costs_one_region_map_and_teardown_returns_it)
{
	mt_t t;
	rme_model_stats_t s;
	rme_quota_t q;

	mt_setup(&t, 0, 0);
	/* the area's region map comes from the RM session, which its first use opened */
	ck_assert_uint_eq(t.after_setup.ram_used, t.before_setup.ram_used);
	ck_assert_uint_eq(t.after_setup.cap_used, t.before_setup.cap_used);
	rme_model_stats(t.model, &s);
	rme_quota(t.model, &q);
	ck_assert_uint_eq(s.rm_session_ram, COST_RM_SESSION_RAM);
	ck_assert_uint_eq(s.rm_session_caps, COST_RM_SESSION_CAPS + COST_RM_SESSION_UPGRADE_CAPS);
	ck_assert_uint_eq(q.ram_used, s.rm_session_ram);
	ck_assert_uint_eq(q.cap_used, s.rm_session_caps);
	ck_assert_str_eq(rme_mmap_policy(t.mm), "rmemu");
	ck_assert_uint_eq(rme_mmap_count(t.mm), 0);
	/* the area is attached read-write-execute at its base, with nothing in it yet */
	ck_assert(!mt_readable(&t, MT_BASE));
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

static rme_err_t
try_setup(rme_kernel_t kernel, rme_arch_t arch, uint64_t base, uint64_t size,
          rme_mmap_setup_error_t *why)
{
	rme_model_config_t mc;
	rme_model_t *m;
	rme_prims_model_t pm;
	rme_mmap_config_t cfg;
	rme_mmap_t *mm = NULL;
	rme_quota_t q0, q1;
	rme_err_t err;

	rme_model_config_init(&mc);
	mc.kernel = kernel;
	mc.arch = arch;
	ck_assert_ok(rme_model_create(&mc, &m));
	rme_prims_model_init(&pm, m, NULL);
	rme_mmap_config_init(&cfg);
	cfg.area_base = base;
	cfg.area_size = size;
	tu_quota_held(m, &q0);
	err = rme_mmap_create(&pm.prims, &cfg, &mm, why);
	ck_assert_err(why->err, err);
	if (err == RME_OK) {
		rme_mmap_destroy(mm);
	} else {
		ck_assert_ptr_null(mm);
		/* a failed set-up takes nothing */
		tu_quota_held(m, &q1);
		ck_assert_uint_eq(q1.ram_used, q0.ram_used);
		ck_assert_uint_eq(q1.cap_used, q0.cap_used);
	}
	tu_check(m);
	rme_model_destroy(m);
	return err;
}

START_TEST(setup_fails_at_once_when_the_area_conflicts_with_the_layout)
{
	rme_mmap_setup_error_t why;

	/* hw/x86_64 ends at 2^38: an area there cannot be reserved */
	ck_assert_err(try_setup(RME_KERNEL_HW, RME_ARCH_X86_64, (uint64_t)1 << 38, 1 << 20, &why),
	              RME_ERR_REGION_CONFLICT);
	ck_assert_msg(strstr(why.message, "[0x4000000000, 0x4000100000)") &&
	              strstr(why.message, "conflicts with the address space's layout"),
	              "message: %s", why.message);
	/* an area reaching across the end conflicts too */
	ck_assert_err(try_setup(RME_KERNEL_HW, RME_ARCH_X86_64, ((uint64_t)1 << 38) - 4096, 8192,
	                        &why), RME_ERR_REGION_CONFLICT);
	/* Genode's stack area and linker area are in the way */
	ck_assert_err(try_setup(RME_KERNEL_HW, RME_ARCH_X86_64, 0x48000000, 1 << 20, &why),
	              RME_ERR_REGION_CONFLICT);
	ck_assert_err(try_setup(RME_KERNEL_HW, RME_ARCH_X86_64, 0x01000000, 1 << 20, &why),
	              RME_ERR_REGION_CONFLICT);
	ck_assert_ok(try_setup(RME_KERNEL_HW, RME_ARCH_X86_64, 0x50000000, 1 << 20, &why));
	/* page 0 and the UTCB page are outside hw's address space */
	ck_assert_err(try_setup(RME_KERNEL_HW, RME_ARCH_X86_64, 0, 1 << 20, &why),
	              RME_ERR_REGION_CONFLICT);
	/* on a 32-bit address space, an area above 4 GiB does not exist */
	ck_assert_err(try_setup(RME_KERNEL_HW, RME_ARCH_X86_32, (uint64_t)1 << 32, 1 << 20, &why),
	              RME_ERR_REGION_CONFLICT);
	ck_assert_ptr_nonnull(strstr(why.message, "[0x100000000, 0x100100000)"));
	/* the same range below 2 GiB works on 32-bit hw */
	ck_assert_ok(try_setup(RME_KERNEL_HW, RME_ARCH_X86_32, 0x60000000, 1 << 20, &why));
	ck_assert_ok(try_setup(RME_KERNEL_HW, RME_ARCH_X86_64, ((uint64_t)1 << 38) - (1 << 20),
	                       1 << 20, &why));
}
END_TEST

START_TEST(setup_rejects_bad_settings_with_a_reason)
{
	mt_t t;
	rme_mmap_config_t cfg;
	rme_mmap_setup_error_t why;
	rme_mmap_t *mm = (rme_mmap_t *)&cfg;   /* must be cleared on failure */

	mt_setup(&t, 0, 0);
	rme_mmap_config_init(&cfg);
	cfg.area_base = 0x20000000;
	cfg.area_size = 0;
	ck_assert_err(rme_mmap_create(&t.pm.prims, &cfg, &mm, &why), RME_ERR_INVALID_ARGUMENT);
	ck_assert_ptr_null(mm);
	ck_assert_ptr_nonnull(strstr(why.message, "page-aligned"));
	cfg.area_size = 4097;
	ck_assert_err(rme_mmap_create(&t.pm.prims, &cfg, &mm, &why), RME_ERR_INVALID_ARGUMENT);
	cfg.area_size = 1 << 20;
	cfg.chunk_size = 1000;
	ck_assert_err(rme_mmap_create(&t.pm.prims, &cfg, &mm, &why), RME_ERR_INVALID_ARGUMENT);
	ck_assert_ptr_nonnull(strstr(why.message, "chunk size 0x3e8"));
	/* a chunk record counts pages in 32 bits */
	cfg.chunk_size = ((uint64_t)UINT32_MAX + 1) * 4096;
	ck_assert_err(rme_mmap_create(&t.pm.prims, &cfg, &mm, &why), RME_ERR_INVALID_ARGUMENT);
	ck_assert_ptr_null(mm);
	ck_assert_ptr_nonnull(strstr(why.message, "larger than 2^32 pages"));
	cfg.chunk_size = 4096;
	cfg.map_count_max = 0;
	ck_assert_err(rme_mmap_create(&t.pm.prims, &cfg, &mm, &why), RME_ERR_INVALID_ARGUMENT);
	cfg.map_count_max = 10;
	cfg.policy = "linux";
	ck_assert_err(rme_mmap_create(&t.pm.prims, &cfg, &mm, NULL), RME_ERR_UNSUPPORTED);
	ck_assert_err(rme_mmap_create(&t.pm.prims, &cfg, &mm, &why), RME_ERR_UNSUPPORTED);
	ck_assert_str_eq(why.message, "unknown mmap policy \"linux\"");
	/* an area overlapping the existing one conflicts */
	cfg.policy = NULL;
	cfg.area_base = MT_BASE + MT_SIZE - 4096;
	ck_assert_err(rme_mmap_create(&t.pm.prims, &cfg, &mm, &why), RME_ERR_REGION_CONFLICT);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

START_TEST(setup_out_of_quota_names_the_step)
{
	mt_cfg_t c = { 0 };
	mt_t t;
	rme_mmap_config_t cfg;
	rme_mmap_setup_error_t why;
	rme_mmap_t *mm;

	mt_setup_cfg(&t, &c);
	rme_mmap_config_init(&cfg);
	cfg.area_base = 0x80000000;
	cfg.area_size = 1 << 20;
	/* fail the heap, then the region map's quota */
	rme_counting_fail(&t.heap, 1, 1);
	ck_assert_err(rme_mmap_create(&t.pm.prims, &cfg, &mm, &why), RME_ERR_HOST_NO_MEMORY);
	rme_counting_fail(&t.heap, 0, 0);
	{
		rme_quota_t q;
		rme_cap_t filler, used_up[3];
		/*
		 * Use up the RM session (the area's map took 12 of its 56 KiB) and
		 * leave the PD 4 KiB, less than the 8 KiB step the session needs.
		 */
		for (int i = 0; i < 3; i++)
			ck_assert_ok(rme_rm_create(t.model, 4096, &used_up[i]));
		rme_quota(t.model, &q);
		ck_assert_ok(rme_ram_alloc(t.model, q.ram_quota - q.ram_used - 4096, &filler));
		ck_assert_err(rme_mmap_create(&t.pm.prims, &cfg, &mm, &why), RME_ERR_OUT_OF_RAM);
		ck_assert_msg(strstr(why.message, "cannot create the region map") &&
		              strstr(why.message, "OUT_OF_RAM"), "message: %s", why.message);
		ck_assert_ok(rme_ram_free(t.model, filler));
		for (int i = 0; i < 3; i++)
			ck_assert_ok(rme_rm_destroy(t.model, used_up[i]));
	}
	mt_teardown(&t);
}
END_TEST

/* ---- Placement ------------------------------------------------------------ */

START_TEST(mmap_places_top_down_zero_filled_and_accessible)
{
	mt_t t;
	uint64_t a, b;

	mt_setup(&t, 0, 0);
	a = mt_map(&t, 0, 3 * PG, RW, ANON_PRIVATE);
	ck_assert_uint_eq(a, MT_BASE + MT_SIZE - 3 * PG);
	b = mt_map(&t, 0, 2 * PG, RW, ANON_PRIVATE);
	ck_assert_uint_eq(b, a - 2 * PG);
	/* adjacent compatible anonymous mappings are one VMA, as on Linux */
	ck_assert_uint_eq(rme_mmap_count(t.mm), 1);
	for (uint64_t p = b; p < a + 3 * PG; p += PG) {
		ck_assert_uint_eq(mt_byte(&t, p), 0);
		ck_assert_uint_eq(mt_byte(&t, p + PG - 1), 0);
		mt_poke(&t, p + 7, 0x5a);
		ck_assert_uint_eq(mt_byte(&t, p + 7), 0x5a);
	}
	/* the length is rounded up to pages */
	ck_assert_uint_eq(mt_map(&t, 0, 1, RW, ANON_PRIVATE), b - PG);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

START_TEST(mmap_uses_a_free_hint_and_otherwise_picks)
{
	mt_t t;
	uint64_t a, hint = MT_BASE + 0x100000;

	mt_setup(&t, 0, 0);
	ck_assert_uint_eq(mt_map(&t, hint, PG, RW, ANON_PRIVATE), hint);
	/* a hint over an existing mapping is not used, and nothing is replaced */
	mt_poke(&t, hint, 1);
	a = mt_map(&t, hint, PG, RW, ANON_PRIVATE);
	ck_assert_uint_ne(a, hint);
	ck_assert_uint_eq(mt_byte(&t, hint), 1);
	/* an unaligned hint is rounded up */
	ck_assert_uint_eq(mt_map(&t, hint + 2 * PG + 1, PG, RW, ANON_PRIVATE), hint + 3 * PG);
	/* a hint outside the area is ignored */
	a = mt_map(&t, 0x1000, PG, RW, ANON_PRIVATE);
	ck_assert_uint_ge(a, MT_BASE);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

START_TEST(mmap_without_room_is_enomem)
{
	mt_cfg_t c = { .size = 16 * PG };
	mt_t t;
	uint64_t at;

	mt_setup_cfg(&t, &c);
	ck_assert_errno(rme_mmap(t.mm, 0, 17 * PG, RW, ANON_PRIVATE, -1, 0, &at), RME_ENOMEM);
	mt_map(&t, MT_BASE + 4 * PG, PG, RW, ANON_PRIVATE | RME_MAP_FIXED);
	mt_map(&t, MT_BASE + 12 * PG, PG, RW, ANON_PRIVATE | RME_MAP_FIXED);
	/* gaps of 4, 7 and 3 pages: 7 fits in the middle, 8 nowhere */
	ck_assert_uint_eq(mt_map(&t, 0, 7 * PG, RW, ANON_PRIVATE), MT_BASE + 5 * PG);
	ck_assert_errno(rme_mmap(t.mm, 0, 5 * PG, RW, ANON_PRIVATE, -1, 0, &at), RME_ENOMEM);
	ck_assert_uint_eq(mt_map(&t, 0, 3 * PG, RW, ANON_PRIVATE), MT_BASE + 13 * PG);
	ck_assert_uint_eq(mt_map(&t, 0, 4 * PG, RW, ANON_PRIVATE), MT_BASE);
	ck_assert_errno(rme_mmap(t.mm, 0, PG, RW, ANON_PRIVATE, -1, 0, &at), RME_ENOMEM);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

START_TEST(mmap_argument_errors_follow_linux)
{
	mt_t t;
	uint64_t at = 0x1234;
	const int fixed = ANON_PRIVATE | RME_MAP_FIXED;

	mt_setup(&t, 0, 0);
	ck_assert_errno(rme_mmap(t.mm, 0, 0, RW, ANON_PRIVATE, -1, 0, &at), RME_EINVAL);
	ck_assert_errno(rme_mmap(t.mm, 0, PG, RW, ANON_PRIVATE, -1, 1, &at), RME_EINVAL);
	ck_assert_errno(rme_mmap(t.mm, 0, PG, RW, RME_MAP_ANONYMOUS, -1, 0, &at), RME_EINVAL);
	/* anonymous memory has no SHARED_VALIDATE (do_mmap's default case) */
	ck_assert_errno(rme_mmap(t.mm, 0, PG, RW, RME_MAP_SHARED_VALIDATE | RME_MAP_ANONYMOUS,
	                         -1, 0, &at), RME_EINVAL);
	ck_assert_errno(rme_mmap(t.mm, 0, PG, RW, RME_MAP_PRIVATE, -1, 0, &at), RME_EBADF);
	ck_assert_errno(rme_mmap(t.mm, 0, UINT64_MAX - 10, RW, ANON_PRIVATE, -1, 0, &at),
	                RME_ENOMEM);
	ck_assert_errno(rme_mmap(t.mm, 0, 2 * PG, RW, RME_MAP_PRIVATE, 3, UINT64_MAX & ~(PG - 1),
	                         &at), RME_EOVERFLOW);
	ck_assert_errno(rme_mmap(t.mm, MT_BASE + 1, PG, RW, fixed, -1, 0, &at), RME_EINVAL);
	/* beyond the area ("TASK_SIZE") comes before the alignment check */
	ck_assert_errno(rme_mmap(t.mm, MT_BASE + MT_SIZE + 1, PG, RW, fixed, -1, 0, &at),
	                RME_ENOMEM);
	ck_assert_errno(rme_mmap(t.mm, MT_BASE + MT_SIZE - PG, 2 * PG, RW, fixed, -1, 0, &at),
	                RME_ENOMEM);
	ck_assert_errno(rme_mmap(t.mm, MT_BASE - PG, PG, RW, fixed, -1, 0, &at), RME_ENOMEM);
	ck_assert_errno(rme_mmap(t.mm, 0, MT_SIZE + PG, RW, ANON_PRIVATE, -1, 0, &at),
	                RME_ENOMEM);
	ck_assert_errno(rme_mmap(t.mm, 0, PG, RW, ANON_SHARED | RME_MAP_GROWSDOWN, -1, 0, &at),
	                RME_EINVAL);
	ck_assert_uint_eq(at, 0x1234);   /* untouched on failure */
	ck_assert_uint_eq(rme_mmap_count(t.mm), 0);
	/* flags Linux accepts and ignores here */
	mt_map(&t, 0, PG, RW, ANON_PRIVATE | RME_MAP_NORESERVE | RME_MAP_POPULATE |
	       RME_MAP_STACK | RME_MAP_UNINITIALIZED | 0x80);
	/* unknown prot bits are ignored by mmap (but not by mprotect) */
	at = mt_map(&t, 0, PG, RME_PROT_READ | 0x100, ANON_PRIVATE);
	ck_assert(!mt_writable(&t, at, 1));
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

START_TEST(file_mappings_are_anonymous_memory_and_shared_validate_checks_flags)
{
	mt_t t;
	uint64_t at, at2;
	mt_vmas_t vs;

	mt_setup(&t, 0, 0);
	/* a private file mapping is served as zeroed anonymous memory of the same size */
	ck_assert_errno(rme_mmap(t.mm, 0, 3 * PG, RW, RME_MAP_PRIVATE, 5, 2 * PG, &at), 0);
	ck_assert_uint_eq(mt_byte(&t, at + 2 * PG + 9), 0);
	mt_poke(&t, at, 3);
	mt_vmas(&t, &vs);
	ck_assert_uint_eq(vs.n, 1);
	ck_assert_int_eq(vs.v[0].flags, RME_MAP_PRIVATE);
	ck_assert_uint_eq(vs.v[0].offset, 2 * PG);
	/* the next part of the same file right below merges: same file, continuing offsets */
	ck_assert_errno(rme_mmap(t.mm, at - PG, PG, RW, RME_MAP_PRIVATE | RME_MAP_FIXED, 5, PG,
	                         &at2), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 1);
	/* another file, or a gap in the offsets, does not merge */
	ck_assert_errno(rme_mmap(t.mm, at - 2 * PG, PG, RW, RME_MAP_PRIVATE | RME_MAP_FIXED, 6, 0,
	                         &at2), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 2);
	/* MAP_SHARED_VALIDATE with an unknown flag (LTP mmap20) */
	ck_assert_errno(rme_mmap(t.mm, 0, PG, RW, RME_MAP_SHARED_VALIDATE | 0x80, 5, 0, &at2),
	                RME_EOPNOTSUPP);
	ck_assert_errno(rme_mmap(t.mm, 0, PG, RW, RME_MAP_SHARED_VALIDATE | RME_MAP_SYNC, 5, 0,
	                         &at2), RME_EOPNOTSUPP);
	/* ... while MAP_SHARED ignores it */
	ck_assert_errno(rme_mmap(t.mm, 0, PG, RW, RME_MAP_SHARED | 0x80, 5, 0, &at2), 0);
	ck_assert_errno(rme_mmap(t.mm, 0, PG, RW, RME_MAP_SHARED_VALIDATE | RME_MAP_POPULATE, 5, 0,
	                         &at2), 0);
	/* of the huge page sizes, LEGACY_MAP_MASK has 2 MiB and 1 GiB (bits 26-30), not bit 31 */
	ck_assert_errno(rme_mmap(t.mm, 0, PG, RW, RME_MAP_SHARED_VALIDATE | RME_MAP_HUGETLB |
	                         (21 << RME_MAP_HUGE_SHIFT), 5, 0, &at2), 0);
	ck_assert_errno(rme_mmap(t.mm, 0, PG, RW, (int)(RME_MAP_SHARED_VALIDATE | 0x80000000u), 5, 0,
	                         &at2), RME_EOPNOTSUPP);
	/* MAP_FIXED_NOREPLACE is no legacy flag either (observed on Linux 6.18) */
	ck_assert_errno(rme_mmap(t.mm, MT_BASE, PG, RW, RME_MAP_SHARED_VALIDATE |
	                         RME_MAP_FIXED_NOREPLACE, 5, 0, &at2), RME_EOPNOTSUPP);
	/* no mapping type (MAP_FILE alone), or MAP_SHARED_VALIDATE for anonymous memory: EINVAL */
	ck_assert_errno(rme_mmap(t.mm, 0, PG, RW, 0, 5, 0, &at2), RME_EINVAL);
	ck_assert_errno(rme_mmap(t.mm, 0, PG, RW, RME_MAP_SHARED_VALIDATE | RME_MAP_ANONYMOUS, -1, 0,
	                         &at2), RME_EINVAL);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

/* ---- MAP_FIXED and MAP_FIXED_NOREPLACE -------------------------------------- */

START_TEST(map_fixed_replaces_and_zero_fills)
{
	mt_t t;
	uint64_t a;

	mt_setup(&t, 4 * PG, 0);
	a = mt_map(&t, MT_BASE + 0x100000, 8 * PG, RW, ANON_PRIVATE | RME_MAP_FIXED);
	for (uint64_t i = 0; i < 8; i++)
		mt_poke(&t, a + i * PG, (uint8_t)(i + 1));
	ck_assert_uint_eq(mt_map(&t, a + 3 * PG, 2 * PG, RME_PROT_READ,
	                         ANON_PRIVATE | RME_MAP_FIXED), a + 3 * PG);
	for (uint64_t i = 0; i < 8; i++) {
		uint8_t want = (i == 3 || i == 4) ? 0 : (uint8_t)(i + 1);
		ck_assert_uint_eq(mt_byte(&t, a + i * PG), want);
	}
	ck_assert(!mt_writable(&t, a + 3 * PG, 9));
	ck_assert_uint_eq(rme_mmap_count(t.mm), 3);
	/* MAP_FIXED_NOREPLACE over any part: EEXIST, and nothing changes */
	{
		uint64_t at;
		ck_assert_errno(rme_mmap(t.mm, a + 7 * PG, 2 * PG, RW,
		                         ANON_PRIVATE | RME_MAP_FIXED_NOREPLACE, -1, 0, &at),
		                RME_EEXIST);
		ck_assert_uint_eq(mt_map(&t, a + 8 * PG, PG, RW,
		                         ANON_PRIVATE | RME_MAP_FIXED_NOREPLACE), a + 8 * PG);
	}
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

START_TEST(map_fixed_that_fails_leaves_the_old_mappings)
{
	mt_cfg_t c = { .chunk = 4 * PG };
	mt_t t;
	uint64_t a, at;
	rme_quota_t q, q2;
	rme_cap_t filler;

	mt_setup_cfg(&t, &c);
	a = mt_map(&t, 0, 8 * PG, RW, ANON_PRIVATE);
	mt_poke(&t, a + 5 * PG, 0x77);
	rme_quota(t.model, &q);
	/* leave too little RAM for the replacement's 8 pages (and the headroom) */
	ck_assert_ok(rme_ram_alloc(t.model, q.ram_quota - q.ram_used - 8 * PG, &filler));
	rme_quota(t.model, &q);
	ck_assert_errno(rme_mmap(t.mm, a, 8 * PG, RW, ANON_PRIVATE | RME_MAP_FIXED, -1, 0, &at),
	                RME_ENOMEM);
	rme_quota(t.model, &q2);
	ck_assert_uint_eq(q2.ram_used, q.ram_used);
	ck_assert_uint_eq(q2.cap_used, q.cap_used);
	ck_assert_uint_eq(mt_byte(&t, a + 5 * PG), 0x77);
	mt_check(&t);
	ck_assert_ok(rme_ram_free(t.model, filler));
	mt_teardown(&t);
}
END_TEST

/* ---- Reservations ------------------------------------------------------------ */

START_TEST(prot_none_reservations_take_no_ram_and_block_placement)
{
	mt_cfg_t c = { .size = 64 * PG };
	mt_t t;
	rme_mmap_stats_t st;
	uint64_t r, at;

	mt_setup_cfg(&t, &c);
	r = mt_map(&t, 0, 60 * PG, RME_PROT_NONE, ANON_PRIVATE);
	mt_quota_is(&t, &t.after_setup);
	rme_mmap_stats(t.mm, &st);
	ck_assert_uint_eq(st.chunks, 0);
	ck_assert_uint_eq(st.attachments, 0);
	ck_assert_uint_eq(st.mapped_bytes, 60 * PG);
	ck_assert(!mt_readable(&t, r));
	ck_assert(!mt_readable(&t, r + 59 * PG));
	/* only the 4 pages below it are free */
	ck_assert_errno(rme_mmap(t.mm, 0, 5 * PG, RW, ANON_PRIVATE, -1, 0, &at), RME_ENOMEM);
	ck_assert_uint_eq(mt_map(&t, 0, 4 * PG, RW, ANON_PRIVATE), MT_BASE);
	ck_assert_errno(rme_mmap(t.mm, r, PG, RW, ANON_PRIVATE | RME_MAP_FIXED_NOREPLACE, -1, 0,
	                         &at), RME_EEXIST);
	/* a reservation made accessible reads zeros and gets RAM */
	ck_assert_errno(rme_mprotect(t.mm, r + PG, 2 * PG, RW), 0);
	ck_assert_uint_eq(mt_byte(&t, r + PG), 0);
	mt_poke(&t, r + 2 * PG, 4);
	ck_assert(!mt_readable(&t, r));
	ck_assert(!mt_readable(&t, r + 3 * PG));
	ck_assert_uint_eq(rme_mmap_count(t.mm), 4);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

/* ---- munmap ---------------------------------------------------------------------- */

START_TEST(munmap_any_range_and_the_chunks_follow)
{
	mt_t t;
	rme_mmap_stats_t st;
	uint64_t a;

	mt_setup(&t, 4 * PG, 0);
	a = mt_map(&t, 0, 16 * PG, RW, ANON_PRIVATE);   /* 4 chunks of 4 pages */
	rme_mmap_stats(t.mm, &st);
	ck_assert_uint_eq(st.chunks, 4);
	ck_assert_uint_eq(st.chunk_bytes, 16 * PG);

	/* pages 3..9: chunk 1 goes; chunks 0 and 2 keep their cut edges */
	ck_assert_errno(rme_munmap(t.mm, a + 3 * PG, 7 * PG), 0);
	rme_mmap_stats(t.mm, &st);
	ck_assert_uint_eq(st.chunks, 3);
	ck_assert_uint_eq(st.chunk_bytes, 12 * PG);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 2);
	for (uint64_t i = 0; i < 16; i++)
		ck_assert_int_eq(mt_readable(&t, a + i * PG), i < 3 || i >= 10);
	/* unmapped ranges are fine, also across gaps and mappings */
	ck_assert_errno(rme_munmap(t.mm, a + 3 * PG, 7 * PG), 0);
	ck_assert_errno(rme_munmap(t.mm, a + 2 * PG, 9 * PG), 0);
	rme_mmap_stats(t.mm, &st);
	ck_assert_uint_eq(st.chunks, 3);   /* chunk 2 still has page 11 */
	ck_assert_errno(rme_munmap(t.mm, a + 11 * PG, PG), 0);
	rme_mmap_stats(t.mm, &st);
	ck_assert_uint_eq(st.chunks, 2);   /* its last page gone, chunk 2 goes */
	ck_assert_uint_eq(st.chunk_bytes, 8 * PG);
	/* a length that is not a page multiple covers the page it ends in */
	ck_assert_errno(rme_munmap(t.mm, a, PG + 1), 0);
	ck_assert(!mt_readable(&t, a + PG));
	ck_assert_errno(rme_munmap(t.mm, MT_BASE, MT_SIZE), 0);
	rme_mmap_stats(t.mm, &st);
	ck_assert_uint_eq(st.chunks, 0);
	ck_assert_uint_eq(st.pieces, 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 0);
	mt_quota_is(&t, &t.after_setup);
	/* argument errors */
	ck_assert_errno(rme_munmap(t.mm, a + 1, PG), RME_EINVAL);
	ck_assert_errno(rme_munmap(t.mm, a, 0), RME_EINVAL);
	ck_assert_errno(rme_munmap(t.mm, MT_BASE + MT_SIZE + PG, PG), RME_EINVAL);
	ck_assert_errno(rme_munmap(t.mm, MT_BASE, MT_SIZE + PG), RME_EINVAL);
	/* below the area there is nothing of ours: fine */
	ck_assert_errno(rme_munmap(t.mm, 0x10000, PG), 0);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

START_TEST(munmap_of_a_hole_in_the_middle_keeps_both_sides)
{
	mt_t t;
	uint64_t a;
	mt_vmas_t vs;

	mt_setup(&t, 0, 0);
	a = mt_map(&t, 0, 5 * PG, RW, ANON_PRIVATE);
	mt_poke(&t, a, 1);
	mt_poke(&t, a + 4 * PG, 5);
	ck_assert_errno(rme_munmap(t.mm, a + PG, 3 * PG), 0);
	mt_vmas(&t, &vs);
	ck_assert_uint_eq(vs.n, 2);
	ck_assert_uint_eq(vs.v[0].start, a);
	ck_assert_uint_eq(vs.v[0].len, PG);
	ck_assert_uint_eq(vs.v[1].start, a + 4 * PG);
	ck_assert_uint_eq(vs.v[1].len, PG);
	ck_assert_uint_eq(vs.v[1].offset, (a + 4 * PG));   /* Linux's pgoff, in bytes */
	ck_assert_uint_eq(mt_byte(&t, a), 1);
	ck_assert_uint_eq(mt_byte(&t, a + 4 * PG), 5);
	/* mapping the hole again joins everything into one VMA */
	mt_map(&t, a + PG, 3 * PG, RW, ANON_PRIVATE | RME_MAP_FIXED);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 1);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

/* ---- mprotect ------------------------------------------------------------------- */

START_TEST(mprotect_changes_rights_and_keeps_content)
{
	mt_t t;
	uint64_t a;
	rme_mmap_stats_t st0, st;

	mt_setup(&t, 0, 0);
	a = mt_map(&t, 0, 4 * PG, RW, ANON_PRIVATE);
	for (uint64_t i = 0; i < 4; i++)
		mt_poke(&t, a + i * PG, (uint8_t)(0x10 + i));
	rme_mmap_stats(t.mm, &st0);

	/* what does not change is left alone: no split, no allocation that could fail */
	rme_counting_fail(&t.heap, 1, 1);
	ck_assert_errno(rme_mprotect(t.mm, a + PG, 2 * PG, RW), 0);
	rme_counting_fail(&t.heap, 0, 0);
	rme_mmap_stats(t.mm, &st);
	ck_assert_uint_eq(st.pieces, st0.pieces);
	ck_assert_uint_eq(st.attachments, st0.attachments);

	ck_assert_errno(rme_mprotect(t.mm, a + PG, PG, RME_PROT_READ), 0);
	ck_assert(!mt_writable(&t, a + PG, 0));
	ck_assert_uint_eq(mt_byte(&t, a + PG), 0x11);
	ck_assert(mt_writable(&t, a + 2 * PG, 0x12));
	ck_assert_uint_eq(rme_mmap_count(t.mm), 3);

	/* PROT_NONE: no access, but the content and the RAM stay */
	ck_assert_errno(rme_mprotect(t.mm, a + 2 * PG, PG, RME_PROT_NONE), 0);
	ck_assert(!mt_readable(&t, a + 2 * PG));
	rme_mmap_stats(t.mm, &st);
	ck_assert_uint_eq(st.chunk_bytes, st0.chunk_bytes);
	ck_assert_errno(rme_mprotect(t.mm, a, 4 * PG, RW), 0);
	for (uint64_t i = 0; i < 4; i++)
		ck_assert_uint_eq(mt_byte(&t, a + i * PG), 0x10 + i);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 1);

	/* PROT_EXEC gives an executable region; PROT_WRITE alone is readable too */
	ck_assert_errno(rme_mprotect(t.mm, a, PG, RME_PROT_READ | RME_PROT_EXEC), 0);
	{
		rme_access_t acc;
		ck_assert_ok(rme_exec(t.model, a, &acc));
		ck_assert_int_eq(acc.outcome, RME_ACCESS_DONE);
		ck_assert_ok(rme_exec(t.model, a + PG, &acc));
		ck_assert_int_ne(acc.outcome, RME_ACCESS_DONE);
	}
	ck_assert_errno(rme_mprotect(t.mm, a + PG, PG, RME_PROT_WRITE), 0);
	ck_assert_uint_eq(mt_byte(&t, a + PG), 0x11);
	/* len 0 is fine; rounding up covers the partial page */
	ck_assert_errno(rme_mprotect(t.mm, a + 3 * PG, 0, RME_PROT_NONE), 0);
	ck_assert_errno(rme_mprotect(t.mm, a + 3 * PG, 1, RME_PROT_NONE), 0);
	ck_assert(!mt_readable(&t, a + 3 * PG));
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

START_TEST(mprotect_errors_and_the_hole_rule)
{
	mt_t t;
	uint64_t a;

	mt_setup(&t, 0, 0);
	a = mt_map(&t, 0, 6 * PG, RW, ANON_PRIVATE);
	ck_assert_errno(rme_munmap(t.mm, a + 2 * PG, PG), 0);
	ck_assert_errno(rme_mprotect(t.mm, a + 1, PG, RME_PROT_READ), RME_EINVAL);
	ck_assert_errno(rme_mprotect(t.mm, a, PG, 0x10), RME_EINVAL);
	ck_assert_errno(rme_mprotect(t.mm, a, PG,
	                             RME_PROT_READ | RME_PROT_GROWSDOWN | RME_PROT_GROWSUP),
	                RME_EINVAL);
	ck_assert_errno(rme_mprotect(t.mm, a, PG, RME_PROT_READ | RME_PROT_GROWSUP), RME_EINVAL);
	ck_assert_errno(rme_mprotect(t.mm, a, PG, RME_PROT_READ | RME_PROT_GROWSDOWN), RME_EINVAL);
	ck_assert_errno(rme_mprotect(t.mm, a, UINT64_MAX - PG, RME_PROT_READ), RME_ENOMEM);
	ck_assert_errno(rme_mprotect(t.mm, a + 2 * PG, PG, RME_PROT_READ), RME_ENOMEM);
	ck_assert_errno(rme_mprotect(t.mm, 0, PG, RME_PROT_READ), RME_ENOMEM);
	ck_assert_errno(rme_mprotect(t.mm, a, PG, RME_PROT_READ | RME_PROT_SEM), 0);
	/* across the hole: what lies before it changes, then ENOMEM */
	ck_assert_errno(rme_mprotect(t.mm, a, 6 * PG, RME_PROT_NONE), RME_ENOMEM);
	ck_assert(!mt_readable(&t, a));
	ck_assert(!mt_readable(&t, a + PG));
	ck_assert(mt_writable(&t, a + 3 * PG, 1));
	/* and past the last mapping likewise */
	ck_assert_errno(rme_mprotect(t.mm, a + 3 * PG, 4 * PG, RME_PROT_READ), RME_ENOMEM);
	ck_assert(!mt_writable(&t, a + 5 * PG, 1));
	ck_assert(mt_readable(&t, a + 5 * PG));
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

START_TEST(mprotect_growsdown_starts_at_the_vma)
{
	mt_t t;
	uint64_t a;

	mt_setup(&t, 0, 0);
	a = mt_map(&t, 0, 4 * PG, RW, ANON_PRIVATE | RME_MAP_GROWSDOWN);
	ck_assert_errno(rme_mprotect(t.mm, a + 2 * PG, PG, RME_PROT_READ | RME_PROT_GROWSDOWN), 0);
	for (uint64_t i = 0; i < 3; i++)
		ck_assert(!mt_writable(&t, a + i * PG, 1));
	ck_assert(mt_writable(&t, a + 3 * PG, 1));
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

/* ---- mremap ---------------------------------------------------------------------- */

START_TEST(mremap_shrinks_grows_in_place_and_moves_with_content)
{
	mt_t t;
	uint64_t a, b, at;
	rme_mmap_stats_t st;

	mt_setup(&t, 4 * PG, 0);
	a = mt_map(&t, MT_BASE + 0x100000, 6 * PG, RW, ANON_PRIVATE | RME_MAP_FIXED);
	for (uint64_t i = 0; i < 6; i++)
		mt_poke(&t, a + i * PG, (uint8_t)(0x20 + i));
	/* shrink */
	ck_assert_errno(rme_mremap(t.mm, a, 6 * PG, 5 * PG, 0, 0, &at), 0);
	ck_assert_uint_eq(at, a);
	ck_assert(!mt_readable(&t, a + 5 * PG));
	/* grow in place: the new page is zero, the old content stays */
	ck_assert_errno(rme_mremap(t.mm, a, 5 * PG, 7 * PG, 0, 0, &at), 0);
	ck_assert_uint_eq(at, a);
	ck_assert_uint_eq(mt_byte(&t, a + 4 * PG), 0x24);
	ck_assert_uint_eq(mt_byte(&t, a + 5 * PG), 0);
	ck_assert_uint_eq(mt_byte(&t, a + 6 * PG), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 1);
	/* blocked above: without MAYMOVE ENOMEM, with it the mapping moves, content and all */
	b = mt_map(&t, a + 7 * PG, PG, RME_PROT_READ, ANON_PRIVATE | RME_MAP_FIXED);
	ck_assert_errno(rme_mremap(t.mm, a, 7 * PG, 8 * PG, 0, 0, &at), RME_ENOMEM);
	rme_mmap_stats(t.mm, &st);
	ck_assert_errno(rme_mremap(t.mm, a, 7 * PG, 8 * PG, RME_MREMAP_MAYMOVE, 0, &at), 0);
	ck_assert_uint_ne(at, a);
	for (uint64_t i = 0; i < 5; i++)
		ck_assert_uint_eq(mt_byte(&t, at + i * PG), 0x20 + i);
	ck_assert_uint_eq(mt_byte(&t, at + 7 * PG), 0);
	ck_assert(!mt_readable(&t, a));
	ck_assert(mt_readable(&t, b));
	{
		/* the RAM moved along: only the one new page's chunk was added */
		rme_mmap_stats_t st2;
		rme_mmap_stats(t.mm, &st2);
		ck_assert_uint_eq(st2.chunk_bytes, st.chunk_bytes + PG);
	}
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

START_TEST(mremap_fixed_and_dontunmap)
{
	mt_t t;
	uint64_t a, b, at;

	mt_setup(&t, 0, 0);
	a = mt_map(&t, 0, 3 * PG, RW, ANON_PRIVATE);
	b = mt_map(&t, 0, 3 * PG, RW, ANON_PRIVATE | RME_MAP_NORESERVE);
	mt_poke(&t, a + PG, 0xa1);
	mt_poke(&t, b, 0xb0);
	/* move the middle page of a onto b's middle: b's page is replaced, a gets a hole */
	ck_assert_errno(rme_mremap(t.mm, a + PG, PG, PG, RME_MREMAP_MAYMOVE | RME_MREMAP_FIXED,
	                           b + PG, &at), 0);
	ck_assert_uint_eq(at, b + PG);
	ck_assert_uint_eq(mt_byte(&t, b + PG), 0xa1);
	ck_assert_uint_eq(mt_byte(&t, b), 0xb0);
	ck_assert(!mt_readable(&t, a + PG));
	/* errors */
	ck_assert_errno(rme_mremap(t.mm, a, PG, PG, RME_MREMAP_FIXED, b, &at), RME_EINVAL);
	ck_assert_errno(rme_mremap(t.mm, a, PG, PG, RME_MREMAP_MAYMOVE | RME_MREMAP_FIXED,
	                           b + 1, &at), RME_EINVAL);
	ck_assert_errno(rme_mremap(t.mm, a, 2 * PG, PG, RME_MREMAP_MAYMOVE | RME_MREMAP_FIXED,
	                           a + PG, &at), RME_EINVAL);
	ck_assert_errno(rme_mremap(t.mm, a, PG, 0, RME_MREMAP_MAYMOVE, 0, &at), RME_EINVAL);
	ck_assert_errno(rme_mremap(t.mm, a, PG, PG, 8, 0, &at), RME_EINVAL);
	ck_assert_errno(rme_mremap(t.mm, a + 1, PG, PG, 0, 0, &at), RME_EINVAL);
	ck_assert_errno(rme_mremap(t.mm, a + PG, PG, 2 * PG, RME_MREMAP_MAYMOVE, 0, &at),
	                RME_EFAULT);
	/* the old range must lie in one VMA to move or grow */
	ck_assert_errno(rme_mremap(t.mm, a, 3 * PG, 4 * PG, RME_MREMAP_MAYMOVE, 0, &at),
	                RME_EFAULT);
	ck_assert_errno(rme_mremap(t.mm, a, 0, PG, RME_MREMAP_MAYMOVE, 0, &at), RME_EINVAL);
	ck_assert_errno(rme_mremap(t.mm, a, PG, 2 * PG, RME_MREMAP_DONTUNMAP | RME_MREMAP_MAYMOVE,
	                           0, &at), RME_EINVAL);
	/* a target outside the area */
	ck_assert_errno(rme_mremap(t.mm, a, PG, PG, RME_MREMAP_MAYMOVE | RME_MREMAP_FIXED,
	                           MT_BASE + MT_SIZE, &at), RME_EINVAL);
	ck_assert_errno(rme_mremap(t.mm, a, PG, PG, RME_MREMAP_MAYMOVE | RME_MREMAP_FIXED,
	                           MT_BASE - PG, &at), RME_ENOMEM);
	/* DONTUNMAP: the content moves, the old range stays mapped and reads zero */
	mt_poke(&t, a, 0xa0);
	ck_assert_errno(rme_mremap(t.mm, a, PG, PG, RME_MREMAP_MAYMOVE | RME_MREMAP_DONTUNMAP,
	                           0, &at), 0);
	ck_assert_uint_ne(at, a);
	ck_assert_uint_eq(mt_byte(&t, at), 0xa0);
	ck_assert_uint_eq(mt_byte(&t, a), 0);
	/* same size without a move is a no-op, even beyond the VMA */
	ck_assert_errno(rme_mremap(t.mm, a, 9 * PG, 9 * PG, 0, 0, &at), 0);
	ck_assert_uint_eq(at, a);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

START_TEST(mremap_within_one_big_piece)
{
	mt_t t;
	uint64_t a, at;

	/* one chunk holds all ten pages: moving a part elsewhere in it shares the chunk */
	mt_setup(&t, 16 * PG, 0);
	a = mt_map(&t, 0, 10 * PG, RW, ANON_PRIVATE);
	for (uint64_t i = 0; i < 10; i++)
		mt_poke(&t, a + i * PG, (uint8_t)i);
	ck_assert_errno(rme_mremap(t.mm, a, 2 * PG, 2 * PG, RME_MREMAP_MAYMOVE | RME_MREMAP_FIXED,
	                           a + 5 * PG, &at), 0);
	ck_assert(!mt_readable(&t, a));
	ck_assert_uint_eq(mt_byte(&t, a + 2 * PG), 2);
	ck_assert_uint_eq(mt_byte(&t, a + 5 * PG), 0);
	ck_assert_uint_eq(mt_byte(&t, a + 6 * PG), 1);
	ck_assert_uint_eq(mt_byte(&t, a + 7 * PG), 7);
	/* [2,5) [5,7) [7,10): the moved part's page offsets do not continue its neighbours' */
	ck_assert_uint_eq(rme_mmap_count(t.mm), 3);
	{
		rme_mmap_stats_t st;
		rme_mmap_stats(t.mm, &st);
		ck_assert_uint_eq(st.chunks, 1);
	}
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

/* ---- madvise and msync --------------------------------------------------------- */

START_TEST(madvise_dontneed_zeroes_private_and_keeps_shared)
{
	mt_t t;
	uint64_t p, s;

	mt_setup(&t, 0, 0);
	p = mt_map(&t, 0, 3 * PG, RW, ANON_PRIVATE);
	s = mt_map(&t, 0, 2 * PG, RW, ANON_SHARED);
	for (uint64_t i = 0; i < 3; i++)
		mt_poke(&t, p + i * PG + 100, 0xee);
	mt_poke(&t, s + 100, 0xdd);
	ck_assert_errno(rme_madvise(t.mm, p + PG, PG, RME_MADV_DONTNEED), 0);
	ck_assert_uint_eq(mt_byte(&t, p + 100), 0xee);
	ck_assert_uint_eq(mt_byte(&t, p + PG + 100), 0);
	ck_assert_uint_eq(mt_byte(&t, p + 2 * PG + 100), 0xee);
	ck_assert_errno(rme_madvise(t.mm, s, 2 * PG, RME_MADV_DONTNEED), 0);
	ck_assert_uint_eq(mt_byte(&t, s + 100), 0xdd);
	/* MADV_REMOVE punches a hole into shared memory, and is wrong for private */
	ck_assert_errno(rme_madvise(t.mm, s, PG, RME_MADV_REMOVE), 0);
	ck_assert_uint_eq(mt_byte(&t, s + 100), 0);
	ck_assert_errno(rme_madvise(t.mm, p, PG, RME_MADV_REMOVE), RME_EINVAL);
	/* MADV_FREE only for private anonymous memory */
	ck_assert_errno(rme_madvise(t.mm, p, PG, RME_MADV_FREE), 0);
	ck_assert_errno(rme_madvise(t.mm, s, PG, RME_MADV_FREE), RME_EINVAL);
	/* DONTNEED on PROT_NONE memory: its RAM is zeroed for when it comes back */
	ck_assert_errno(rme_mprotect(t.mm, p, PG, RME_PROT_NONE), 0);
	ck_assert_errno(rme_madvise(t.mm, p, PG, RME_MADV_DONTNEED), 0);
	ck_assert_errno(rme_mprotect(t.mm, p, PG, RW), 0);
	ck_assert_uint_eq(mt_byte(&t, p + 100), 0);
	/* other advice is accepted; errors as Linux */
	ck_assert_errno(rme_madvise(t.mm, p, 3 * PG, RME_MADV_WILLNEED), 0);
	ck_assert_errno(rme_madvise(t.mm, p, 3 * PG, RME_MADV_HUGEPAGE), 0);
	ck_assert_errno(rme_madvise(t.mm, p, 3 * PG, 77), RME_EINVAL);
	ck_assert_errno(rme_madvise(t.mm, p + 1, PG, RME_MADV_DONTNEED), RME_EINVAL);
	ck_assert_errno(rme_madvise(t.mm, p, UINT64_MAX, RME_MADV_DONTNEED), RME_EINVAL);
	ck_assert_errno(rme_madvise(t.mm, p, 0, RME_MADV_DONTNEED), 0);
	ck_assert_errno(rme_madvise(t.mm, MT_BASE, PG, RME_MADV_NORMAL), RME_ENOMEM);
	/* an unmapped part: the mapped parts get the advice, then ENOMEM */
	mt_poke(&t, p + 2 * PG + 100, 0xee);
	ck_assert_errno(rme_munmap(t.mm, p + PG, PG), 0);
	ck_assert_errno(rme_madvise(t.mm, p, 3 * PG, RME_MADV_DONTNEED), RME_ENOMEM);
	ck_assert_uint_eq(mt_byte(&t, p + 2 * PG + 100), 0);
	ck_assert_errno(rme_madvise(t.mm, p, PG, RME_MADV_POPULATE_WRITE), 0);
	ck_assert_errno(rme_mprotect(t.mm, p, PG, RME_PROT_READ), 0);
	ck_assert_errno(rme_madvise(t.mm, p, PG, RME_MADV_POPULATE_WRITE), RME_EFAULT);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

START_TEST(madvise_and_msync_respect_locked_mappings)
{
	mt_t t;
	uint64_t l;

	mt_setup(&t, 0, 0);
	l = mt_map(&t, 0, PG, RW, ANON_PRIVATE | RME_MAP_LOCKED);
	ck_assert_errno(rme_madvise(t.mm, l, PG, RME_MADV_DONTNEED), RME_EINVAL);
	ck_assert_errno(rme_madvise(t.mm, l, PG, RME_MADV_DONTNEED_LOCKED), 0);
	ck_assert_errno(rme_msync(t.mm, l, PG, RME_MS_SYNC), 0);
	ck_assert_errno(rme_msync(t.mm, l, PG, RME_MS_INVALIDATE), RME_EBUSY);
	mt_teardown(&t);
}
END_TEST

START_TEST(msync_returns_0_for_mapped_memory)
{
	mt_t t;
	uint64_t a;

	mt_setup(&t, 0, 0);
	a = mt_map(&t, 0, 3 * PG, RW, ANON_PRIVATE);
	ck_assert_errno(rme_msync(t.mm, a, 3 * PG, RME_MS_SYNC), 0);
	ck_assert_errno(rme_msync(t.mm, a, 10, RME_MS_ASYNC), 0);
	ck_assert_errno(rme_msync(t.mm, a, 0, RME_MS_ASYNC), 0);
	ck_assert_errno(rme_msync(t.mm, a + 1, PG, RME_MS_SYNC), RME_EINVAL);
	ck_assert_errno(rme_msync(t.mm, a, PG, RME_MS_SYNC | RME_MS_ASYNC), RME_EINVAL);
	ck_assert_errno(rme_msync(t.mm, a, PG, 8), RME_EINVAL);
	ck_assert_errno(rme_msync(t.mm, a, 4 * PG, RME_MS_SYNC), RME_ENOMEM);
	ck_assert_errno(rme_msync(t.mm, a - PG, 2 * PG, RME_MS_SYNC), RME_ENOMEM);
	ck_assert_errno(rme_msync(t.mm, MT_BASE, PG, RME_MS_SYNC), RME_ENOMEM);
	mt_teardown(&t);
}
END_TEST

/* ---- Memory locks ------------------------------------------------------------- */

/* Whether the VMA that holds addr is locked (1), locked on fault (2), or not (0). */
static int
lock_state(mt_t *t, uint64_t addr)
{
	mt_vmas_t vs;
	int state = -1;

	mt_vmas(t, &vs);
	for (size_t i = 0; i < vs.n; i++)
		if (addr >= vs.v[i].start && addr < vs.v[i].start + vs.v[i].len)
			state = (vs.v[i].flags & RME_MAP_LOCKED) ? 1 + vs.v[i].onfault : 0;
	ck_assert_int_ge(state, 0);
	return state;
}

/* What Linux 6.18 answered to the same calls (observed, and the rules of mm/mlock.c). */
START_TEST(mlock_follows_linux)
{
	mt_t t;
	uint64_t p, q, at;

	mt_setup(&t, 0, 0);
	p = mt_map(&t, 0, 16 * PG, RME_PROT_NONE, ANON_PRIVATE);
	/* PROT_NONE memory is locked, but populating it fails: ENOMEM */
	ck_assert_errno(rme_mlock(t.mm, p, PG, 0), RME_ENOMEM);
	ck_assert_int_eq(lock_state(&t, p), 1);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 2);
	/* the start is rounded down, the length up over it */
	ck_assert_errno(rme_mlock(t.mm, p + PG + 1, 10, 0), RME_ENOMEM);
	ck_assert_int_eq(lock_state(&t, p + PG), 1);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 2);
	ck_assert_errno(rme_mprotect(t.mm, p + 4 * PG, 4 * PG, RW), 0);
	ck_assert_errno(rme_mlock(t.mm, p + 4 * PG, 4 * PG, 0), 0);
	/* what Linux refuses on locked memory */
	ck_assert_errno(rme_madvise(t.mm, p + 4 * PG, PG, RME_MADV_DONTNEED), RME_EINVAL);
	ck_assert_errno(rme_madvise(t.mm, p + 4 * PG, PG, RME_MADV_COLD), RME_EINVAL);
	ck_assert_errno(rme_madvise(t.mm, p + 4 * PG, PG, RME_MADV_PAGEOUT), RME_EINVAL);
	ck_assert_errno(rme_madvise(t.mm, p + 4 * PG, PG, RME_MADV_FREE), RME_EINVAL);
	ck_assert_errno(rme_madvise(t.mm, p + 4 * PG, PG, RME_MADV_DONTNEED_LOCKED), 0);
	ck_assert_errno(rme_madvise(t.mm, p + 4 * PG, PG, RME_MADV_WILLNEED), 0);
	ck_assert_errno(rme_msync(t.mm, p + 4 * PG, PG, RME_MS_INVALIDATE), RME_EBUSY);
	ck_assert_errno(rme_munlock(t.mm, p, 16 * PG), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 3);
	ck_assert_errno(rme_madvise(t.mm, p + 4 * PG, PG, RME_MADV_COLD), 0);
	/* past the end of the mapping: what lies before is locked all the same */
	ck_assert_errno(rme_mlock(t.mm, p + 15 * PG, 2 * PG, 0), RME_ENOMEM);
	ck_assert_int_eq(lock_state(&t, p + 15 * PG), 1);
	ck_assert_errno(rme_munlock(t.mm, p + 15 * PG, 2 * PG), RME_ENOMEM);
	ck_assert_int_eq(lock_state(&t, p + 15 * PG), 0);
	/* mlock2: MLOCK_ONFAULT does not populate, so PROT_NONE is fine; other flags EINVAL */
	ck_assert_errno(rme_mlock(t.mm, p + 8 * PG, PG, RME_MLOCK_ONFAULT), 0);
	ck_assert_int_eq(lock_state(&t, p + 8 * PG), 2);
	ck_assert_errno(rme_mlock(t.mm, p + 8 * PG, PG, 2), RME_EINVAL);
	/* empty, wrapping to empty, and wrapping ranges; an unmapped start */
	ck_assert_errno(rme_mlock(t.mm, p, 0, 0), 0);
	ck_assert_errno(rme_mlock(t.mm, p, UINT64_MAX, 0), 0);
	ck_assert_errno(rme_mlock(t.mm, p, (uint64_t)-8192, 0), RME_EINVAL);
	ck_assert_errno(rme_mlock(t.mm, MT_BASE + 0x10, 0, 0), RME_ENOMEM);
	ck_assert_errno(rme_munlock(t.mm, MT_BASE, PG), RME_ENOMEM);
	/* mlockall's flags */
	ck_assert_errno(rme_mlockall(t.mm, 0), RME_EINVAL);
	ck_assert_errno(rme_mlockall(t.mm, RME_MCL_ONFAULT), RME_EINVAL);
	ck_assert_errno(rme_mlockall(t.mm, 8), RME_EINVAL);
	/* MCL_FUTURE: what is mapped from now on is locked, what is there stays as it is */
	ck_assert_errno(rme_mlockall(t.mm, RME_MCL_FUTURE), 0);
	q = mt_map(&t, 0, 2 * PG, RME_PROT_READ, ANON_PRIVATE);
	ck_assert_int_eq(lock_state(&t, q), 1);
	ck_assert_int_eq(lock_state(&t, p), 0);
	ck_assert_errno(rme_munlockall(t.mm), 0);
	ck_assert_int_eq(lock_state(&t, q), 0);
	q = mt_map(&t, 0, 2 * PG, RME_PROT_READ, ANON_PRIVATE);
	ck_assert_int_eq(lock_state(&t, q), 0);
	/* MCL_CURRENT: every VMA, PROT_NONE too (populating ignores errors), no split */
	ck_assert_errno(rme_mlockall(t.mm, RME_MCL_CURRENT | RME_MCL_ONFAULT), 0);
	ck_assert_int_eq(lock_state(&t, p), 2);
	ck_assert_int_eq(lock_state(&t, q), 2);
	ck_assert_int_eq(lock_state(&t, p + 4 * PG), 2);
	q = mt_map(&t, 0, PG, RME_PROT_READ, ANON_PRIVATE);
	ck_assert_int_eq(lock_state(&t, q), 0);   /* MCL_CURRENT alone clears MCL_FUTURE */
	/* a locked mapping keeps its lock when mremap grows or moves it */
	q = mt_map(&t, 0, 2 * PG, RW, ANON_PRIVATE | RME_MAP_LOCKED);
	ck_assert_int_eq(lock_state(&t, q), 1);
	ck_assert_errno(rme_mremap(t.mm, q, 2 * PG, 64 * PG, RME_MREMAP_MAYMOVE, 0, &at), 0);
	ck_assert_int_eq(lock_state(&t, at), 1);
	ck_assert_int_eq(lock_state(&t, at + 63 * PG), 1);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

START_TEST(locks_split_and_merge_vmas_at_the_limit)
{
	mt_t t;
	uint64_t a, base = MT_BASE + 0x100000;

	mt_setup(&t, 2 * PG, 3);
	a = mt_map(&t, base, 8 * PG, RW, ANON_PRIVATE | RME_MAP_FIXED);
	ck_assert_errno(rme_mlock(t.mm, a + 2 * PG, 2 * PG, 0), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 3);
	/* unlocking joins it back, locking a neighbour merges into it */
	ck_assert_errno(rme_munlock(t.mm, a + 2 * PG, 2 * PG), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 1);
	ck_assert_errno(rme_mlock(t.mm, a, 3 * PG, 0), 0);
	ck_assert_errno(rme_mlock(t.mm, a + 3 * PG, PG, 0), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 2);
	mt_map(&t, base + 16 * PG, PG, RW, ANON_PRIVATE | RME_MAP_FIXED);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 3);
	/* at the limit, a lock in the middle needs a split: ENOMEM, nothing changes here */
	ck_assert_errno(rme_mlock(t.mm, a + 6 * PG, PG, 0), RME_ENOMEM);
	ck_assert_int_eq(lock_state(&t, a + 6 * PG), 0);
	/* but one that merges into its neighbour needs none */
	ck_assert_errno(rme_munlock(t.mm, a + 3 * PG, PG), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 3);
	ck_assert_errno(rme_mlockall(t.mm, RME_MCL_CURRENT), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 2);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

/* ---- VMAs and the map-count limit ------------------------------------------------ */

START_TEST(vmas_merge_as_linux_counts_them)
{
	mt_t t;
	uint64_t a;
	mt_vmas_t vs;

	mt_setup(&t, 2 * PG, 0);
	a = mt_map(&t, MT_BASE + 0x100000, 8 * PG, RW, ANON_PRIVATE | RME_MAP_FIXED);
	/* four chunks, one VMA */
	ck_assert_uint_eq(rme_mmap_count(t.mm), 1);
	mt_vmas(&t, &vs);
	ck_assert_uint_eq(vs.n, 1);
	ck_assert_uint_eq(vs.v[0].len, 8 * PG);
	ck_assert_uint_eq(vs.v[0].ram, 8 * PG);
	ck_assert_int_eq(vs.v[0].flags, ANON_PRIVATE);
	ck_assert_int_eq(vs.v[0].prot, RW);
	ck_assert_errno(rme_mprotect(t.mm, a + 3 * PG, 2 * PG, RME_PROT_READ), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 3);
	/* making it writable again joins it back: it was charged (VM_ACCOUNT) all along */
	ck_assert_errno(rme_mprotect(t.mm, a + 3 * PG, 2 * PG, RW), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 1);
	/* a read-only mapping made writable gets VM_ACCOUNT: it does not join a
	 * neighbour that was mapped writable with MAP_NORESERVE (no VM_ACCOUNT) */
	mt_map(&t, a + 8 * PG, PG, RW, ANON_PRIVATE | RME_MAP_FIXED | RME_MAP_NORESERVE);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 2);
	/* different flags or shared memory do not join */
	mt_map(&t, a - PG, PG, RW, ANON_SHARED | RME_MAP_FIXED);
	mt_map(&t, a - 2 * PG, PG, RW, ANON_SHARED | RME_MAP_FIXED);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 4);
	mt_vmas(&t, &vs);
	ck_assert_int_eq(vs.v[0].flags, ANON_SHARED);
	ck_assert_int_eq(vs.v[3].flags, ANON_PRIVATE | RME_MAP_NORESERVE);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

START_TEST(map_count_limit_follows_linux_edges)
{
	mt_t t;
	uint64_t at, base = MT_BASE + 0x100000;
	const int fixed = ANON_PRIVATE | RME_MAP_FIXED;

	mt_setup(&t, 0, 4);
	/* five separate read-only VMAs (pages 0-3, 4-7, ...): the fifth goes one above the limit */
	for (uint64_t i = 0; i < 5; i++)
		mt_map(&t, base + i * 4 * PG, 3 * PG, RME_PROT_READ, fixed);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 5);
	ck_assert_errno(rme_mmap(t.mm, 0, PG, RW, ANON_PRIVATE, -1, 0, &at), RME_ENOMEM);
	/* above the limit: no split in the middle, neither by munmap, mprotect nor MAP_FIXED */
	ck_assert_errno(rme_munmap(t.mm, base + PG, PG), RME_ENOMEM);
	ck_assert_errno(rme_mprotect(t.mm, base + PG, PG, RW), RME_ENOMEM);
	ck_assert_errno(rme_mprotect(t.mm, base, PG, RW), RME_ENOMEM);
	ck_assert_errno(rme_mmap(t.mm, base + PG, PG, RW, fixed, -1, 0, &at), RME_ENOMEM);
	/* but cutting an edge or removing a whole VMA is fine */
	ck_assert_errno(rme_munmap(t.mm, base, PG), 0);
	ck_assert_errno(rme_munmap(t.mm, base + 4 * PG, 3 * PG), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 4);
	/* at the limit: one more mapping is allowed, none above it */
	mt_map(&t, 0, PG, RW, ANON_PRIVATE);
	ck_assert_errno(rme_mmap(t.mm, 0, PG, RW, ANON_PRIVATE, -1, 0, &at), RME_ENOMEM);
	ck_assert_errno(rme_munmap(t.mm, base + 8 * PG, 3 * PG), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 4);
	/* at the limit, a split of [12, 15) is refused ... */
	ck_assert_errno(rme_munmap(t.mm, base + 13 * PG, PG), RME_ENOMEM);
	ck_assert_errno(rme_mmap(t.mm, base + 13 * PG, PG, RW, fixed, -1, 0, &at), RME_ENOMEM);
	ck_assert_errno(rme_mprotect(t.mm, base + 13 * PG, PG, RW), RME_ENOMEM);
	ck_assert_errno(rme_mprotect(t.mm, base + 14 * PG, PG, RW), RME_ENOMEM);
	/* ... but a change that merges into a neighbour needs no split: page 15, mapped
	 * writable (and so charged, like a read-only page made writable), takes page 14 */
	mt_map(&t, base + 15 * PG, PG, RW, fixed);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 5);
	ck_assert_errno(rme_mprotect(t.mm, base + 14 * PG, PG, RW), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 5);
	ck_assert(mt_writable(&t, base + 14 * PG, 1));
	ck_assert(!mt_writable(&t, base + 13 * PG, 1));
	/* a move needs headroom of three below the limit */
	ck_assert_errno(rme_mremap(t.mm, base + 12 * PG, PG, 2 * PG, RME_MREMAP_MAYMOVE, 0, &at),
	                RME_ENOMEM);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

/*
 * At the limit, an mprotect whose first VMA merges into its right
 * neighbour frees a place in the count, which a split further on may take
 * (Linux: vma_merge, then split_vma against the new count).
 */
START_TEST(map_count_mprotect_merge_right_makes_room_for_a_split)
{
	mt_t t;
	uint64_t a = MT_BASE + 0x100000;

	mt_setup(&t, 0, 3);
	/* A (rw-) and B (r--), both charged, and C: shared, so that nothing merges with it */
	mt_map(&t, a, 2 * PG, RW, ANON_PRIVATE | RME_MAP_FIXED);
	ck_assert_errno(rme_mprotect(t.mm, a + PG, PG, RME_PROT_READ), 0);
	mt_map(&t, a + 2 * PG, 2 * PG, RW, ANON_SHARED | RME_MAP_FIXED);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 3);
	/* A becomes r-- and merges into B (2 VMAs), then C is split (3 again) */
	ck_assert_errno(rme_mprotect(t.mm, a, 3 * PG, RME_PROT_READ), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 3);
	ck_assert(!mt_writable(&t, a, 1));
	ck_assert(!mt_writable(&t, a + 2 * PG, 1));
	ck_assert(mt_writable(&t, a + 3 * PG, 1));
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

START_TEST(mremap_move_headroom_is_three)
{
	mt_t t;
	uint64_t at, a = MT_BASE + 0x100000;

	mt_setup(&t, 0, 6);
	mt_map(&t, a, PG, RW, ANON_PRIVATE | RME_MAP_FIXED);
	mt_map(&t, a + PG, PG, RME_PROT_READ, ANON_PRIVATE | RME_MAP_FIXED);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 2);
	/* 2 < 6 - 3: a move works */
	ck_assert_errno(rme_mremap(t.mm, a, PG, 2 * PG, RME_MREMAP_MAYMOVE, 0, &at), 0);
	ck_assert_uint_ne(at, a);
	mt_map(&t, a, PG, RME_PROT_READ, ANON_SHARED | RME_MAP_FIXED);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 3);
	/* 3 >= 6 - 3: no move */
	ck_assert_errno(rme_mremap(t.mm, at, 2 * PG, 3 * PG, RME_MREMAP_MAYMOVE, 0, &at),
	                RME_ENOMEM);
	/* but growing in place needs no headroom */
	ck_assert_errno(rme_mremap(t.mm, at, 2 * PG, 2 * PG, 0, 0, &at), 0);
	/* MREMAP_FIXED needs two more: count + 2 < max - 3 */
	ck_assert_errno(rme_munmap(t.mm, a, PG), 0);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 2);
	ck_assert_errno(rme_mremap(t.mm, at, PG, PG, RME_MREMAP_MAYMOVE | RME_MREMAP_FIXED,
	                           MT_BASE, &at), RME_ENOMEM);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

/* ---- The Go / JDK pattern, with exact quota --------------------------------------- */

START_TEST(reserve_commit_decommit_and_the_quota_follows)
{
	const uint64_t chunk = (uint64_t)1 << 20, reserve = (uint64_t)256 << 20;
	mt_t t;
	uint64_t r, at;
	rme_quota_t want;

	mt_setup(&t, chunk, 0);
	want = t.after_setup;
	/* reserve 256 MiB: no RAM, no capability */
	r = mt_map(&t, 0, reserve, RME_PROT_NONE, ANON_PRIVATE | RME_MAP_NORESERVE);
	mt_quota_is(&t, &want);
	/* commit 4 MiB at +64 MiB: four 1 MiB dataspaces */
	ck_assert_uint_eq(mt_map(&t, r + (64 << 20), 4 << 20, RW, ANON_PRIVATE | RME_MAP_FIXED),
	                  r + (64 << 20));
	want.ram_used += 4 << 20;
	want.cap_used += 4;
	mt_quota_is(&t, &want);
	mt_poke(&t, r + (64 << 20) + 5, 1);
	/* commit 2.5 MiB at +1 MiB: 1 + 1 + 0.5 MiB */
	mt_map(&t, r + (1 << 20), 5 << 19, RW, ANON_PRIVATE | RME_MAP_FIXED);
	want.ram_used += 5 << 19;
	want.cap_used += 3;
	mt_quota_is(&t, &want);
	ck_assert_uint_eq(rme_mmap_count(t.mm), 5);
	/* decommit the middle 2 MiB of the first commit the JDK way (MAP_FIXED PROT_NONE):
	 * both its chunks are covered completely and go */
	ck_assert_errno(rme_mmap(t.mm, r + (65 << 20), 2 << 20, RME_PROT_NONE,
	                         ANON_PRIVATE | RME_MAP_FIXED | RME_MAP_NORESERVE, -1, 0, &at), 0);
	want.ram_used -= 2 << 20;
	want.cap_used -= 2;
	mt_quota_is(&t, &want);
	ck_assert_uint_eq(mt_byte(&t, r + (64 << 20) + 5), 1);
	ck_assert(!mt_readable(&t, r + (66 << 20)));
	/* decommit a range cutting chunks: the chunks at both cut edges stay */
	ck_assert_errno(rme_mmap(t.mm, r + (3 << 19), 1 << 20, RME_PROT_NONE,
	                         ANON_PRIVATE | RME_MAP_FIXED | RME_MAP_NORESERVE, -1, 0, &at), 0);
	mt_quota_is(&t, &want);
	/* ... until the rest of them is decommitted too */
	ck_assert_errno(rme_mmap(t.mm, r + (1 << 20), 5 << 19, RME_PROT_NONE,
	                         ANON_PRIVATE | RME_MAP_FIXED | RME_MAP_NORESERVE, -1, 0, &at), 0);
	want.ram_used -= 5 << 19;
	want.cap_used -= 3;
	mt_quota_is(&t, &want);
	/* mprotect(PROT_NONE) keeps the RAM (Linux keeps the content); munmap gives it back */
	ck_assert_errno(rme_mprotect(t.mm, r + (64 << 20), 4 << 20, RME_PROT_NONE), 0);
	mt_quota_is(&t, &want);
	ck_assert_errno(rme_munmap(t.mm, r, reserve), 0);
	mt_quota_is(&t, &t.after_setup);
	ck_assert_uint_eq(mt_extra_slab_blocks(&t), 0);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

/* ---- Leaks and the region map's metadata slab -------------------------------------- */

START_TEST(unmapping_everything_returns_the_quota_up_to_the_slab_core_keeps)
{
	mt_t t;
	uint64_t extra;

	/* 300 separate one-page mappings: the area map's metadata slab must grow */
	mt_setup(&t, 0, 0);
	for (uint64_t i = 0; i < 300; i++)
		mt_map(&t, MT_BASE + 2 * i * PG, PG, (i & 1) ? RW : RME_PROT_READ,
		       ANON_PRIVATE | RME_MAP_FIXED);
	ck_assert_uint_gt(mt_extra_slab_blocks(&t), 1);
	mt_check(&t);
	ck_assert_errno(rme_munmap(t.mm, MT_BASE, MT_SIZE), 0);
	/*
	 * core keeps slab blocks until few are in use (the model keeps at most
	 * one extra); the area's map is the RM session's, so they are the
	 * session's quota, not the PD's
	 */
	extra = mt_extra_slab_blocks(&t);
	ck_assert_uint_le(extra, 1);
	mt_quota_is(&t, &t.after_setup);
	mt_check(&t);
	mt_teardown(&t);
}
END_TEST

/* ---- Failure injection ------------------------------------------------------------- */

typedef struct snapshot {
	mt_vmas_t vmas;
	mt_regions_t regions;
	rme_quota_t quota;
	size_t heap_bytes;
	uint8_t bytes[64];
} snapshot_t;

static void
snap(mt_t *t, snapshot_t *s, uint64_t probe)
{
	mt_vmas(t, &s->vmas);
	mt_regions(t, &s->regions);
	/* core may keep blocks of its slab of dataspace metadata: not the layer's to undo */
	tu_quota_held(t->model, &s->quota);
	s->heap_bytes = t->heap.live_bytes;
	for (unsigned i = 0; i < 64; i++) {
		rme_access_t a;
		ck_assert_ok(rme_read(t->model, probe + i * PG, &a));
		s->bytes[i] = a.outcome == RME_ACCESS_DONE ? a.byte : 0xff;
	}
}

static void
snap_same(mt_t *t, const snapshot_t *a, uint64_t probe)
{
	snapshot_t b;

	snap(t, &b, probe);
	ck_assert_uint_eq(a->vmas.n, b.vmas.n);
	ck_assert_mem_eq(a->vmas.v, b.vmas.v, a->vmas.n * sizeof(a->vmas.v[0]));
	ck_assert_uint_eq(a->regions.n, b.regions.n);
	if (a->regions.n)
		ck_assert_mem_eq(a->regions.r, b.regions.r, a->regions.n * sizeof(a->regions.r[0]));
	ck_assert_uint_eq(a->quota.ram_used, b.quota.ram_used);
	ck_assert_uint_eq(a->quota.cap_used, b.quota.cap_used);
	ck_assert_uint_eq(a->heap_bytes, b.heap_bytes);
	ck_assert_mem_eq(a->bytes, b.bytes, sizeof(a->bytes));
	free(b.regions.r);
	mt_check(t);
}

/* The operations under test, each applied to the same starting state. */
enum { OP_MMAP, OP_MMAP_FIXED, OP_MUNMAP, OP_MPROTECT, OP_MPROTECT_BACK, OP_MREMAP_GROW,
       OP_MREMAP_MOVE, OP_MREMAP_FIXED, OP_MREMAP_DONTUNMAP, OP_MLOCK, OP_MLOCKALL, OP_COUNT };

static const char *const op_names[] = {
	"mmap", "mmap fixed", "munmap", "mprotect", "mprotect of a reservation",
	"mremap grow", "mremap move", "mremap fixed", "mremap dontunmap", "mlock", "mlockall"
};

/* Whether the operation allocates RAM dataspaces (the others only re-attach). */
static const bool op_allocates_ram[] = {
	true, true, false, false, true, true, true, false, true, false, false
};

/* A state with content: [b, b+12) RW in 4-page chunks, [b+12, b+16) reserved, pokes. */
static uint64_t
fi_state(mt_t *t)
{
	uint64_t b = MT_BASE + 0x40000;

	mt_map(t, b, 12 * PG, RW, ANON_PRIVATE | RME_MAP_FIXED);
	mt_map(t, b + 12 * PG, 4 * PG, RME_PROT_NONE, ANON_PRIVATE | RME_MAP_FIXED);
	mt_map(t, b + 20 * PG, 2 * PG, RME_PROT_READ, ANON_SHARED | RME_MAP_FIXED);
	for (uint64_t i = 0; i < 12; i++)
		mt_poke(t, b + i * PG, (uint8_t)(i + 1));
	return b;
}

static int
fi_op(mt_t *t, int op, uint64_t b)
{
	uint64_t at;

	switch (op) {
	case OP_MMAP:
		return rme_mmap(t->mm, 0, 9 * PG, RW, ANON_PRIVATE, -1, 0, &at);
	case OP_MMAP_FIXED:
		return rme_mmap(t->mm, b + 2 * PG, 7 * PG, RME_PROT_READ, ANON_PRIVATE | RME_MAP_FIXED,
		                -1, 0, &at);
	case OP_MUNMAP:
		return rme_munmap(t->mm, b + 5 * PG, 2 * PG);
	case OP_MPROTECT:
		return rme_mprotect(t->mm, b + 3 * PG, 6 * PG, RME_PROT_READ);
	case OP_MPROTECT_BACK:
		return rme_mprotect(t->mm, b + 10 * PG, 5 * PG, RW);
	case OP_MREMAP_GROW:
		return rme_mremap(t->mm, b + 20 * PG, 2 * PG, 6 * PG, 0, 0, &at);
	case OP_MREMAP_MOVE:
		return rme_mremap(t->mm, b, 12 * PG, 14 * PG, RME_MREMAP_MAYMOVE, 0, &at);
	case OP_MREMAP_FIXED:
		return rme_mremap(t->mm, b + PG, 6 * PG, 6 * PG,
		                  RME_MREMAP_MAYMOVE | RME_MREMAP_FIXED, b + 13 * PG, &at);
	case OP_MREMAP_DONTUNMAP:
		return rme_mremap(t->mm, b, 6 * PG, 6 * PG,
		                  RME_MREMAP_MAYMOVE | RME_MREMAP_DONTUNMAP, 0, &at);
	case OP_MLOCK:
		return rme_mlock(t->mm, b + 3 * PG, 6 * PG, 0);
	case OP_MLOCKALL:
		return rme_mlockall(t->mm, RME_MCL_CURRENT);
	}
	return -1;
}

/* Fail the n-th heap allocation of each operation in turn, until it succeeds. */
START_TEST(every_heap_failure_leaves_the_state_as_it_was)
{
	int op = _i;
	unsigned failures = 0;

	for (uint64_t n = 1;; n++) {
		mt_t t;
		snapshot_t s;
		uint64_t b;
		int rc;

		mt_setup(&t, 4 * PG, 0);
		b = fi_state(&t);
		snap(&t, &s, b);
		rme_counting_fail(&t.heap, n, 0);
		rc = fi_op(&t, op, b);
		rme_counting_fail(&t.heap, 0, 0);
		if (rc == 0) {
			free(s.regions.r);
			mt_check(&t);
			mt_teardown(&t);
			break;
		}
		ck_assert_msg(rc == RME_ENOMEM, "%s with heap failure %llu: %s", op_names[op],
		              (unsigned long long)n, rme_errno_name(rc));
		snap_same(&t, &s, b);
		free(s.regions.r);
		mt_teardown(&t);
		failures++;
	}
	printf("heap failures injected into %s: %u, state unchanged after each\n",
	       op_names[op], failures);
	ck_assert_uint_gt(failures, 0);
}
END_TEST

/* Leave exactly avail_ram bytes and avail_caps capabilities, with filler dataspaces. */
static void
squeeze(mt_t *t, uint64_t avail_ram, uint64_t avail_caps, rme_cap_t *fill, unsigned *nfill)
{
	rme_quota_t q;

	*nfill = 0;
	rme_quota(t->model, &q);
	while (q.cap_quota - q.cap_used > avail_caps + 1) {
		ck_assert_ok(rme_ram_alloc(t->model, PG, &fill[(*nfill)++]));
		rme_quota(t->model, &q);
	}
	if (q.ram_quota - q.ram_used > avail_ram) {
		ck_assert_ok(rme_ram_alloc(t->model, q.ram_quota - q.ram_used - avail_ram,
		                           &fill[(*nfill)++]));
		rme_quota(t->model, &q);
		if (q.ram_quota - q.ram_used < avail_ram) {
			/* core's slab of dataspace metadata took a block: again without it */
			ck_assert_ok(rme_ram_free(t->model, fill[--*nfill]));
			rme_quota(t->model, &q);
			ck_assert_ok(rme_ram_alloc(t->model, q.ram_quota - q.ram_used - avail_ram,
			                           &fill[(*nfill)++]));
		}
	} else
		ck_assert_ok(rme_ram_alloc(t->model, PG, &fill[(*nfill)++]));
	rme_quota(t->model, &q);
	ck_assert_uint_le(q.ram_quota - q.ram_used, avail_ram);
}

/* Give each operation 4 KiB more RAM (or one more capability) until it succeeds. */
static void
quota_sweep(int op, bool caps)
{
	unsigned failures = 0;

	for (uint64_t avail = caps ? 0 : PG;; avail += caps ? 1 : PG) {
		mt_cfg_t c = { .chunk = 4 * PG, .ram = 64 << 20, .caps = 1200 };
		rme_cap_t fill[1200];
		unsigned nfill;
		mt_t t;
		snapshot_t s;
		uint64_t b;
		int rc;

		mt_setup_cfg(&t, &c);
		b = fi_state(&t);
		if (caps)
			squeeze(&t, 1 << 20, avail, fill, &nfill);
		else
			squeeze(&t, avail, 1000, fill, &nfill);
		snap(&t, &s, b);
		rc = fi_op(&t, op, b);
		if (rc == 0) {
			mt_check(&t);
		} else {
			ck_assert_msg(rc == RME_ENOMEM, "%s with %llu %s: %s", op_names[op],
			              (unsigned long long)avail, caps ? "caps" : "bytes",
			              rme_errno_name(rc));
			snap_same(&t, &s, b);
			failures++;
		}
		free(s.regions.r);
		for (unsigned i = 0; i < nfill; i++)
			ck_assert_ok(rme_ram_free(t.model, fill[i]));
		mt_teardown(&t);
		if (rc == 0)
			break;
		ck_assert_uint_lt(avail, caps ? 100 : (uint64_t)1 << 20);
	}
	/* an operation that needs new dataspaces must have failed for want of quota */
	ck_assert_int_eq(failures > 0, op_allocates_ram[op]);
}

START_TEST(every_ram_shortage_leaves_the_state_as_it_was)
{
	quota_sweep(_i, false);
}
END_TEST

START_TEST(every_cap_shortage_leaves_the_state_as_it_was)
{
	quota_sweep(_i, true);
}
END_TEST

/*
 * An attach that fails on core's metadata quota after others succeeded is
 * undone too. 60 one-page chunks need 60 pages plus a page of headroom; the
 * 60 attachments overflow the area map's first metadata slab block, whose
 * successor costs 8 KiB more; and core's slab of dataspace metadata takes
 * a page for every 16 dataspaces (*ds_md: what it took when the call
 * succeeded).
 */
static int
map_60_pages_with(uint64_t avail, uint64_t *ds_md)
{
	rme_model_stats_t before, after;
	mt_cfg_t c = { .chunk = PG, .ram = 64 << 20, .caps = 1200 };
	rme_cap_t fill[1200];
	unsigned nfill;
	mt_t t;
	snapshot_t s;
	int rc;
	uint64_t at;

	rme_cap_t used_up[4];

	mt_setup_cfg(&t, &c);
	/*
	 * The area's map and 4 more leave the RM session 4 KiB: the slab block
	 * the 60 regions need takes an 8 KiB step of the PD's quota.
	 */
	for (int i = 0; i < 4; i++)
		ck_assert_ok(rme_rm_create(t.model, PG, &used_up[i]));
	squeeze(&t, avail, 1000, fill, &nfill);
	snap(&t, &s, MT_BASE);
	rme_model_stats(t.model, &before);
	rc = rme_mmap(t.mm, MT_BASE, 60 * PG, RW, ANON_PRIVATE | RME_MAP_FIXED, -1, 0, &at);
	if (rc) {
		ck_assert_errno(rc, RME_ENOMEM);
		snap_same(&t, &s, MT_BASE);
	} else {
		ck_assert_uint_eq(mt_extra_slab_blocks(&t), 1);
		rme_model_stats(t.model, &after);
		*ds_md = after.ds_md_ram - before.ds_md_ram;
	}
	free(s.regions.r);
	for (unsigned i = 0; i < nfill; i++)
		ck_assert_ok(rme_ram_free(t.model, fill[i]));
	for (int i = 0; i < 4; i++)
		ck_assert_ok(rme_rm_destroy(t.model, used_up[i]));
	mt_teardown(&t);
	return rc;
}

START_TEST(a_failing_attach_is_undone)
{
	uint64_t ds_md = 0, avail;

	ck_assert_errno(map_60_pages_with(60 * PG, &ds_md), RME_ENOMEM);   /* the RAM does not fit */
	ck_assert_errno(map_60_pages_with(61 * PG, &ds_md), RME_ENOMEM);   /* the RAM fits, the slabs' steps not */
	/* the least that suffices: the chunks, the headroom, the area map's step and core's blocks */
	for (avail = 62 * PG; map_60_pages_with(avail, &ds_md) != 0; avail += PG)
		ck_assert_uint_le(avail, 70 * PG);
	ck_assert_uint_eq(avail, 62 * PG + ds_md);
	ck_assert_uint_ge(ds_md, 3 * PG);   /* 60 dataspaces: 3 or 4 blocks of 16 */
	ck_assert_uint_le(ds_md, 4 * PG);
}
END_TEST

/* ---- errno names ------------------------------------------------------------------- */

START_TEST(errno_names_round_trip)
{
	int e;

	ck_assert_str_eq(rme_errno_name(RME_EINVAL), "EINVAL");
	ck_assert_int_eq(RME_EINVAL, 22);
	ck_assert_int_eq(RME_ENOMEM, 12);
	ck_assert_int_eq(RME_EEXIST, 17);
	ck_assert_int_eq(RME_EOPNOTSUPP, 95);
	ck_assert_str_eq(rme_errno_name(0), "0");
	ck_assert_str_eq(rme_errno_name(9999), "UNKNOWN");
	ck_assert_int_eq(rme_errno_from_name("EOVERFLOW", &e), 0);
	ck_assert_int_eq(e, RME_EOVERFLOW);
	ck_assert_int_eq(rme_errno_from_name("0", &e), 0);
	ck_assert_int_eq(e, 0);
	ck_assert_int_eq(rme_errno_from_name("ENOPE", &e), -1);
	ck_assert_str_eq(rme_errno_str(RME_EFAULT), "bad address");
	ck_assert_int_eq(rme_errno_from_err(RME_ERR_OUT_OF_RAM), RME_ENOMEM);
	ck_assert_int_eq(rme_errno_from_err(RME_ERR_OUT_OF_CAPS), RME_ENOMEM);
	ck_assert_int_eq(rme_errno_from_err(RME_ERR_HOST_NO_MEMORY), RME_ENOMEM);
	ck_assert_int_eq(rme_errno_from_err(RME_OK), 0);
	/* every error has its own errno; what is no error at all is EIO, and only that */
	for (int err = 1; err < RME_ERR_COUNT_; err++) {
		int e2 = rme_errno_from_err((rme_err_t)err);
		ck_assert_msg(e2 != 0 && e2 != RME_EIO, "%s becomes %s", rme_err_name((rme_err_t)err),
		              rme_errno_name(e2));
	}
	ck_assert_int_eq(rme_errno_from_err(RME_ERR_COUNT_), RME_EIO);
	ck_assert_int_eq(rme_errno_from_err((rme_err_t)1000), RME_EIO);
	ck_assert_str_eq(rme_errno_name(RME_EIO), "EIO");
	ck_assert_int_eq(rme_errno_from_err(RME_ERR_INVALID_DATASPACE), RME_EFAULT);
	ck_assert_int_eq(rme_errno_from_err(RME_ERR_INVALID_ARGUMENT), RME_EINVAL);
	ck_assert_int_eq(rme_errno_from_err(RME_ERR_UNSUPPORTED), RME_EOPNOTSUPP);
	ck_assert_int_eq(rme_errno_from_err(RME_ERR_REGION_CONFLICT), RME_ENOMEM);
	ck_assert_int_eq(rme_errno_from_err(RME_ERR_DENIED), RME_ENOMEM);
}
END_TEST

START_TEST(calls_without_an_instance_are_einval)
{
	uint64_t at;

	ck_assert_errno(rme_mmap(NULL, 0, PG, RW, ANON_PRIVATE, -1, 0, &at), RME_EINVAL);
	ck_assert_errno(rme_munmap(NULL, 0, PG), RME_EINVAL);
	ck_assert_uint_eq(rme_mmap_count(NULL), 0);
	ck_assert_err(rme_mmap_check(NULL, NULL, 0), RME_ERR_INVALID_ARGUMENT);
	rme_mmap_destroy(NULL);
}
END_TEST

static Suite *
mmap_suite(void)
{
	Suite *s = suite_create("mmap");
	TCase *tc = tcase_create("setup");

	tcase_add_test(tc, setup_costs_one_region_map_and_teardown_returns_it);
	tcase_add_test(tc, setup_fails_at_once_when_the_area_conflicts_with_the_layout);
	tcase_add_test(tc, setup_rejects_bad_settings_with_a_reason);
	tcase_add_test(tc, setup_out_of_quota_names_the_step);
	suite_add_tcase(s, tc);

	tc = tcase_create("calls");
	tcase_add_test(tc, mmap_places_top_down_zero_filled_and_accessible);
	tcase_add_test(tc, mmap_uses_a_free_hint_and_otherwise_picks);
	tcase_add_test(tc, mmap_without_room_is_enomem);
	tcase_add_test(tc, mmap_argument_errors_follow_linux);
	tcase_add_test(tc, file_mappings_are_anonymous_memory_and_shared_validate_checks_flags);
	tcase_add_test(tc, map_fixed_replaces_and_zero_fills);
	tcase_add_test(tc, map_fixed_that_fails_leaves_the_old_mappings);
	tcase_add_test(tc, prot_none_reservations_take_no_ram_and_block_placement);
	tcase_add_test(tc, munmap_any_range_and_the_chunks_follow);
	tcase_add_test(tc, munmap_of_a_hole_in_the_middle_keeps_both_sides);
	tcase_add_test(tc, mprotect_changes_rights_and_keeps_content);
	tcase_add_test(tc, mprotect_errors_and_the_hole_rule);
	tcase_add_test(tc, mprotect_growsdown_starts_at_the_vma);
	tcase_add_test(tc, mremap_shrinks_grows_in_place_and_moves_with_content);
	tcase_add_test(tc, mremap_fixed_and_dontunmap);
	tcase_add_test(tc, mremap_within_one_big_piece);
	tcase_add_test(tc, madvise_dontneed_zeroes_private_and_keeps_shared);
	tcase_add_test(tc, madvise_and_msync_respect_locked_mappings);
	tcase_add_test(tc, msync_returns_0_for_mapped_memory);
	tcase_add_test(tc, errno_names_round_trip);
	tcase_add_test(tc, calls_without_an_instance_are_einval);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, mlock_follows_linux);
	tcase_add_test(tc, locks_split_and_merge_vmas_at_the_limit);
	tcase_add_test(tc, vmas_merge_as_linux_counts_them);
	tcase_add_test(tc, map_count_limit_follows_linux_edges);
	tcase_add_test(tc, map_count_mprotect_merge_right_makes_room_for_a_split);
	tcase_add_test(tc, mremap_move_headroom_is_three);
	suite_add_tcase(s, tc);

	tc = tcase_create("quota");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, reserve_commit_decommit_and_the_quota_follows);
	tcase_add_test(tc, unmapping_everything_returns_the_quota_up_to_the_slab_core_keeps);
	tcase_add_loop_test(tc, every_heap_failure_leaves_the_state_as_it_was, 0, OP_COUNT);
	tcase_add_loop_test(tc, every_ram_shortage_leaves_the_state_as_it_was, 0, OP_COUNT);
	tcase_add_loop_test(tc, every_cap_shortage_leaves_the_state_as_it_was, 0, OP_COUNT);
	tcase_add_test(tc, a_failing_attach_is_undone);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(mmap_suite());
}
