/*
 * check_model.c: the region-map rules of Genode's core (genode-semantics.md
 * §7, R1-R6), one test per rule, plus dataspace content and capabilities.
 */
#include "testutil.h"

#include "model_internal.h"

static rme_model_t *m;

static void
setup(void)
{
	m = tu_model(64 << 20, 1000);
}

static void
teardown(void)
{
	tu_check(m);
	rme_model_destroy(m);
	m = NULL;
}

static rme_access_t
rd(rme_addr_t addr)
{
	rme_access_t a;
	ck_assert_ok(rme_read(m, addr, &a));
	return a;
}

static rme_access_t
wr(rme_addr_t addr, uint8_t byte)
{
	rme_access_t a;
	ck_assert_ok(rme_write(m, addr, byte, &a));
	return a;
}

static rme_access_t
ex(rme_addr_t addr)
{
	rme_access_t a;
	ck_assert_ok(rme_exec(m, addr, &a));
	return a;
}

/* ---- R1: attach, in core's order --------------------------------------------- */

START_TEST(r1_unaligned_offset_is_conflict_before_ds_check)
{
	rme_attr_t a = { .offset = 0x800 };
	rme_range_t r;
	rme_cap_t ds = tu_ram(m, 16384);

	ck_assert_err(rme_attach(m, rme_env(m), ds, &a, &r), RME_ERR_REGION_CONFLICT);
	/* even with an invalid dataspace the offset is checked first */
	ck_assert_err(rme_attach(m, rme_env(m), 0, &a, &r), RME_ERR_REGION_CONFLICT);
}
END_TEST

START_TEST(r1_invalid_dataspace)
{
	rme_range_t r;
	rme_cap_t ds = tu_ram(m, 4096);

	ck_assert_err(rme_attach(m, rme_env(m), 0, NULL, &r), RME_ERR_INVALID_DATASPACE);
	ck_assert_err(rme_attach(m, rme_env(m), 0x123456789ULL, NULL, &r),
	              RME_ERR_INVALID_DATASPACE);
	/* a region map's capability is not a dataspace */
	ck_assert_err(rme_attach(m, rme_env(m), rme_env(m), NULL, &r), RME_ERR_INVALID_DATASPACE);
	/* a freed dataspace's capability stays invalid */
	ck_assert_ok(rme_ram_free(m, ds));
	ck_assert_err(rme_attach(m, rme_env(m), ds, NULL, &r), RME_ERR_INVALID_DATASPACE);
	/* even when its slot is reused */
	(void)tu_ram(m, 4096);
	ck_assert_err(rme_attach(m, rme_env(m), ds, NULL, &r), RME_ERR_INVALID_DATASPACE);
}
END_TEST

START_TEST(r1_offset_at_or_beyond_size_is_conflict)
{
	rme_attr_t a = { .offset = 16384 };
	rme_range_t r;
	rme_cap_t ds = tu_ram(m, 16384);

	ck_assert_err(rme_attach(m, rme_env(m), ds, &a, &r), RME_ERR_REGION_CONFLICT);
	a.offset = 12288;
	ck_assert_ok(rme_attach(m, rme_env(m), ds, &a, &r));
	ck_assert_uint_eq(r.num_bytes, 4096);
}
END_TEST

START_TEST(r1_size_zero_is_rest_of_dataspace)
{
	rme_attr_t a = { .offset = 4096 };
	rme_range_t r;
	rme_cap_t ds = tu_ram(m, 16384);

	ck_assert_ok(rme_attach(m, rme_env(m), ds, &a, &r));
	ck_assert_uint_eq(r.num_bytes, 12288);
}
END_TEST

START_TEST(r1_size_rounded_up_to_pages)
{
	rme_attr_t a = { .size = 1 };
	rme_range_t r;
	rme_cap_t ds = tu_ram(m, 8192);

	ck_assert_ok(rme_attach(m, rme_env(m), ds, &a, &r));
	ck_assert_uint_eq(r.num_bytes, 4096);
	a.size = 4097;
	ck_assert_ok(rme_attach(m, rme_env(m), ds, &a, &r));
	ck_assert_uint_eq(r.num_bytes, 8192);
}
END_TEST

START_TEST(r1_size_beyond_dataspace_is_conflict_not_clamped)
{
	rme_attr_t a = { .size = 8192, .offset = 12288 };
	rme_range_t r;
	rme_cap_t ds = tu_ram(m, 16384);

	ck_assert_err(rme_attach(m, rme_env(m), ds, &a, &r), RME_ERR_REGION_CONFLICT);
	a.size = 20480;
	a.offset = 0;
	ck_assert_err(rme_attach(m, rme_env(m), ds, &a, &r), RME_ERR_REGION_CONFLICT);
	/* a size whose page rounding wraps around is refused too */
	a.size = UINT64_MAX - 10;
	ck_assert_err(rme_attach(m, rme_env(m), ds, &a, &r), RME_ERR_REGION_CONFLICT);
}
END_TEST

START_TEST(r1_use_at_takes_unaligned_address_as_is)
{
	rme_cap_t rm = tu_rm(m, 1 << 20);
	rme_cap_t ds = tu_ram(m, 4096);
	rme_addr_t at;

	ck_assert_ok(tu_attach_at(m, rm, ds, 0x1234, 0, 0, 0, &at));
	ck_assert_uint_eq(at, 0x1234);
	/* the region is [0x1234, 0x2234): 0x2000 conflicts, 0x2234 does not */
	ck_assert_err(tu_attach_at(m, rm, ds, 0x2000, 0, 0, 0, &at), RME_ERR_REGION_CONFLICT);
	ck_assert_ok(tu_attach_at(m, rm, ds, 0x2234, 0, 0, 0, &at));
}
END_TEST

START_TEST(r1_use_at_conflicts)
{
	rme_cap_t rm = tu_rm(m, 1 << 20);
	rme_cap_t ds = tu_ram(m, 16384);
	rme_addr_t at;

	ck_assert_ok(tu_attach_at(m, rm, ds, 0x10000, 0, 0, 0, &at));
	/* overlapping the start, the end, inside, around */
	ck_assert_err(tu_attach_at(m, rm, ds, 0xe000, 0, 0, 0, &at), RME_ERR_REGION_CONFLICT);
	ck_assert_err(tu_attach_at(m, rm, ds, 0x13000, 0, 0, 0, &at), RME_ERR_REGION_CONFLICT);
	ck_assert_err(tu_attach_at(m, rm, ds, 0x11000, 4096, 0, 0, &at), RME_ERR_REGION_CONFLICT);
	/* beyond the end of the map, and straddling it */
	ck_assert_err(tu_attach_at(m, rm, ds, 0x100000, 0, 0, 0, &at), RME_ERR_REGION_CONFLICT);
	ck_assert_err(tu_attach_at(m, rm, ds, 0xfe000, 0, 0, 0, &at), RME_ERR_REGION_CONFLICT);
	/* wrapping around the address space */
	ck_assert_err(tu_attach_at(m, rm, ds, UINT64_MAX - 4095, 0, 0, 0, &at),
	              RME_ERR_REGION_CONFLICT);
	/* adjacent on both sides is fine */
	ck_assert_ok(tu_attach_at(m, rm, ds, 0xc000, 0, 0, 0, &at));
	ck_assert_ok(tu_attach_at(m, rm, ds, 0x14000, 0, 0, 0, &at));
}
END_TEST

START_TEST(r1_default_attr_is_read_only)
{
	rme_range_t r;
	rme_cap_t ds = tu_ram(m, 4096);

	ck_assert_ok(rme_attach(m, rme_env(m), ds, NULL, &r));
	ck_assert_int_eq(rd(r.start).outcome, RME_ACCESS_DONE);
	ck_assert_int_eq(wr(r.start, 1).outcome, RME_ACCESS_UNHANDLED);
	ck_assert_int_eq(wr(r.start, 1).fault.type, RME_FAULT_WRITE);
}
END_TEST

START_TEST(r1_natural_alignment_first)
{
	rme_cap_t rm = tu_rm(m, 1 << 20);
	rme_cap_t small = tu_ram(m, 4096), big = tu_ram(m, 65536);

	ck_assert_uint_eq(tu_attach_any(m, rm, small, 0, 0), 0x0);
	/* 64 KiB is placed 64 KiB aligned, not right after the page */
	ck_assert_uint_eq(tu_attach_any(m, rm, big, 0, 0), 0x10000);
}
END_TEST

START_TEST(r1_alignment_capped_by_offset)
{
	rme_cap_t rm = tu_rm(m, 1 << 20);
	rme_cap_t small = tu_ram(m, 4096), big = tu_ram(m, 0x12000);
	rme_attr_t a = { .size = 0x10000, .offset = 0x1000 };
	rme_range_t r;

	ck_assert_uint_eq(tu_attach_any(m, rm, small, 0, 0), 0x0);
	/* backing store at offset 4K is only page aligned: no 64K alignment */
	ck_assert_ok(rme_attach(m, rm, big, &a, &r));
	ck_assert_uint_eq(r.start, 0x1000);
}
END_TEST

START_TEST(r1_no_room_is_conflict)
{
	rme_cap_t rm = tu_rm(m, 0x4000);
	rme_cap_t ds = tu_ram(m, 0x8000);
	rme_range_t r;

	ck_assert_err(rme_attach(m, rm, ds, NULL, &r), RME_ERR_REGION_CONFLICT);
	ck_assert_err(rme_attach(m, rme_env(m) + 1000, ds, NULL, &r), RME_ERR_INVALID_ARGUMENT);
}
END_TEST

/* ---- R2: region-map ranges ----------------------------------------------------- */

START_TEST(r2_sub_rm_covers_zero_to_size)
{
	rme_cap_t rm = tu_rm(m, 0x10001);   /* rounded to 0x11000 */
	rme_cap_t ds = tu_ram(m, 4096);
	rme_rm_info_t info;
	rme_addr_t at;

	ck_assert_ok(rme_rm_info(m, rm, &info));
	ck_assert_uint_eq(info.base, 0);
	ck_assert_uint_eq(info.size, 0x11000);
	ck_assert_ok(tu_attach_at(m, rm, ds, 0, 0, 0, 0, &at));       /* page 0 is usable */
	ck_assert_ok(tu_attach_at(m, rm, ds, 0x10000, 0, 0, 0, &at));
	ck_assert_err(tu_attach_at(m, rm, ds, 0x11000, 0, 0, 0, &at), RME_ERR_REGION_CONFLICT);
	ck_assert_uint_eq(rme_ds_size(m, rme_rm_dataspace(m, rm)), 0x11000);
}
END_TEST

START_TEST(r2_empty_rm_refuses_every_attach)
{
	rme_cap_t rm = tu_rm(m, 0);
	rme_cap_t ds = tu_ram(m, 4096);
	rme_range_t r;
	rme_addr_t at;

	ck_assert_err(rme_attach(m, rm, ds, NULL, &r), RME_ERR_REGION_CONFLICT);
	ck_assert_err(tu_attach_at(m, rm, ds, 0, 0, 0, 0, &at), RME_ERR_REGION_CONFLICT);

	/* the same on a 32-bit target, where the size arithmetic is narrower */
	{
		rme_model_config_t cfg;
		rme_model_t *narrow;
		rme_cap_t empty, big;

		rme_model_config_init(&cfg);
		cfg.arch = RME_ARCH_ARM_V7A;
		ck_assert_ok(rme_model_create(&cfg, &narrow));
		ck_assert_ok(rme_rm_create(narrow, 0, &empty));
		ck_assert_err(rme_rm_create(narrow, 0x100000000ULL, &big), RME_ERR_DENIED);
		rme_model_destroy(narrow);
	}
}
END_TEST

START_TEST(r2_env_range_per_kernel)
{
	static const struct {
		rme_kernel_t kernel;
		rme_arch_t arch;
		uint64_t start, end;
	} cases[] = {
		{ RME_KERNEL_HW, RME_ARCH_X86_64, 0x2000, 1ULL << 38 },
		{ RME_KERNEL_HW, RME_ARCH_ARM_V7A, 0x2000, 0x80000000 },
		{ RME_KERNEL_NOVA, RME_ARCH_X86_64, 0x1000, 0x7fffc0000000ULL },
		{ RME_KERNEL_NOVA, RME_ARCH_X86_32, 0x1000, 0xc0000000 },
		{ RME_KERNEL_SEL4, RME_ARCH_X86_64, 0x2000, 64ULL << 30 },
		{ RME_KERNEL_SEL4, RME_ARCH_ARM_V7A, 0x2000, 3ULL << 30 },
		{ RME_KERNEL_OKL4, RME_ARCH_X86_32, 0x1000, 0xc0000000 },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		rme_model_config_t cfg;
		rme_model_t *k;
		rme_rm_info_t info;
		rme_cap_t ds;
		rme_addr_t at;

		rme_model_config_init(&cfg);
		cfg.kernel = cases[i].kernel;
		cfg.arch = cases[i].arch;
		ck_assert_ok(rme_model_create(&cfg, &k));
		ck_assert_ok(rme_rm_info(k, rme_env(k), &info));
		ck_assert_uint_eq(info.base, cases[i].start);
		ck_assert_uint_eq(info.base + info.size, cases[i].end);
		ck_assert_ok(rme_ram_alloc(k, 4096, &ds));
		ck_assert_err(tu_attach_at(k, rme_env(k), ds, cases[i].start - 0x1000, 0, 0, 0, &at),
		              RME_ERR_REGION_CONFLICT);
		ck_assert_ok(tu_attach_at(k, rme_env(k), ds, cases[i].start, 0, 0, 0, &at));
		ck_assert_ok(tu_attach_at(k, rme_env(k), ds, cases[i].end - 0x1000, 0, 0, 0, &at));
		ck_assert_err(tu_attach_at(k, rme_env(k), ds, cases[i].end, 0, 0, 0, &at),
		              RME_ERR_REGION_CONFLICT);
		rme_model_destroy(k);
	}
}
END_TEST

START_TEST(r2_no_such_kernel_and_arch)
{
	rme_model_config_t cfg;
	rme_model_t *k = (rme_model_t *)1;

	rme_model_config_init(&cfg);
	cfg.kernel = RME_KERNEL_NOVA;
	cfg.arch = RME_ARCH_ARM_V8A;
	ck_assert_err(rme_model_create(&cfg, &k), RME_ERR_INVALID_ARGUMENT);
	ck_assert_ptr_null(k);
}
END_TEST

/* ---- R3: detach ------------------------------------------------------------------ */

START_TEST(r3_detach_inside_region_removes_it)
{
	rme_cap_t rm = tu_rm(m, 1 << 20);
	rme_cap_t ds = tu_ram(m, 16384);
	rme_rm_info_t info;
	rme_addr_t at;

	ck_assert_ok(tu_attach_at(m, rm, ds, 0x4000, 0, 0, 0, &at));
	ck_assert_ok(rme_detach(m, rm, 0x6abc));
	ck_assert_ok(rme_rm_info(m, rm, &info));
	ck_assert_uint_eq(info.regions, 0);
	/* the whole range is free again, and coalesced: one block */
	ck_assert_uint_eq(info.md_blocks, 1);
	ck_assert_ok(tu_attach_at(m, rm, ds, 0x4000, 0, 0, 0, &at));
}
END_TEST

START_TEST(r3_detach_unknown_address_is_ignored)
{
	rme_cap_t rm = tu_rm(m, 1 << 20);
	rme_cap_t ds = tu_ram(m, 4096);
	rme_rm_info_t info;
	rme_quota_t before, after;
	rme_addr_t at;

	ck_assert_ok(tu_attach_at(m, rm, ds, 0x4000, 0, 0, 0, &at));
	rme_quota(m, &before);
	ck_assert_ok(rme_detach(m, rm, 0x3fff));
	ck_assert_ok(rme_detach(m, rm, 0x5000));
	ck_assert_ok(rme_detach(m, rm, 0x7fffffff));
	rme_quota(m, &after);
	ck_assert_ok(rme_rm_info(m, rm, &info));
	ck_assert_uint_eq(info.regions, 1);
	ck_assert_mem_eq(&before, &after, sizeof(before));
	ck_assert_err(rme_detach(m, 0, 0x4000), RME_ERR_INVALID_ARGUMENT);
}
END_TEST

/* ---- R4: reserved regions ------------------------------------------------------ */

START_TEST(r4_freed_dataspace_leaves_region_reserved)
{
	rme_cap_t ds = tu_ram(m, 8192), other = tu_ram(m, 8192);
	rme_addr_t at;
	rme_access_t a;

	ck_assert_ok(tu_attach_at(m, rme_env(m), ds, 0x70000000, 0, 0, 1, &at));
	ck_assert_int_eq(wr(0x70001000, 7).outcome, RME_ACCESS_DONE);
	ck_assert_ok(rme_ram_free(m, ds));
	/* the range stays occupied ... */
	ck_assert_err(tu_attach_at(m, rme_env(m), other, 0x70000000, 0, 0, 1, &at),
	              RME_ERR_REGION_CONFLICT);
	/* ... and faults like an unattached address */
	a = rd(0x70001000);
	ck_assert_int_eq(a.outcome, RME_ACCESS_UNHANDLED);
	ck_assert_uint_eq(a.fault.addr, 0x70001000);
	/* until it is detached explicitly */
	ck_assert_ok(rme_detach(m, rme_env(m), 0x70000000));
	ck_assert_ok(tu_attach_at(m, rme_env(m), other, 0x70000000, 0, 0, 1, &at));
}
END_TEST

START_TEST(r4_destroyed_region_map_leaves_region_reserved)
{
	rme_cap_t rm = tu_rm(m, 1 << 20);
	rme_cap_t ds = tu_ram(m, 4096);
	rme_addr_t at;

	ck_assert_ok(tu_attach_at(m, rme_env(m), rme_rm_dataspace(m, rm), 0x70000000, 0, 0, 1, &at));
	ck_assert_ok(tu_attach_at(m, rm, ds, 0, 0, 0, 1, &at));
	ck_assert_int_eq(rd(0x70000000).outcome, RME_ACCESS_DONE);
	ck_assert_ok(rme_rm_destroy(m, rm));
	ck_assert_int_eq(rd(0x70000000).outcome, RME_ACCESS_UNHANDLED);
	ck_assert_err(tu_attach_at(m, rme_env(m), ds, 0x70000000, 0, 0, 1, &at),
	              RME_ERR_REGION_CONFLICT);
	ck_assert_ok(rme_detach(m, rme_env(m), 0x70080000));
	ck_assert_ok(tu_attach_at(m, rme_env(m), ds, 0x70000000, 0, 0, 1, &at));
	/* the dataspace survived the map it was attached to */
	ck_assert_int_eq(wr(0x70000000, 1).outcome, RME_ACCESS_DONE);
}
END_TEST

START_TEST(r4_env_cannot_be_destroyed)
{
	ck_assert_err(rme_rm_destroy(m, rme_env(m)), RME_ERR_DENIED);
	ck_assert_err(rme_rm_destroy(m, 0), RME_ERR_INVALID_ARGUMENT);
}
END_TEST

/* ---- R5: faults ------------------------------------------------------------------ */

START_TEST(r5_fault_goes_to_innermost_map_in_its_coordinates)
{
	rme_cap_t outer = tu_rm(m, 1 << 20), inner = tu_rm(m, 1 << 16);
	rme_access_t a;
	rme_addr_t at;

	ck_assert_ok(tu_attach_at(m, rme_env(m), rme_rm_dataspace(m, outer), 0x70000000, 0, 0, 1, &at));
	ck_assert_ok(tu_attach_at(m, outer, rme_rm_dataspace(m, inner), 0x20000, 0, 0, 1, &at));
	ck_assert_ok(rme_fault_handler(m, outer));   /* outer handlers are not consulted */

	a = rd(0x70020123);
	ck_assert_int_eq(a.outcome, RME_ACCESS_UNHANDLED);
	ck_assert_uint_eq(a.rm, inner);
	ck_assert_int_eq(a.fault.type, RME_FAULT_READ);
	ck_assert_uint_eq(a.fault.addr, 0x123);

	a = rd(0x70010000);   /* a hole in outer itself */
	ck_assert_int_eq(a.outcome, RME_ACCESS_FAULT);
	ck_assert_uint_eq(a.rm, outer);
	ck_assert_uint_eq(a.fault.addr, 0x10000);
}
END_TEST

START_TEST(r5_faulter_waits_until_attach_covers_it)
{
	rme_cap_t rm = tu_rm(m, 1 << 20);
	rme_cap_t ds = tu_ram(m, 4096);
	rme_fault_t f;
	rme_rm_info_t info;
	rme_addr_t at;

	ck_assert_ok(tu_attach_at(m, rme_env(m), rme_rm_dataspace(m, rm), 0x70000000, 0, 0, 1, &at));
	ck_assert_ok(rme_fault_handler(m, rm));
	ck_assert_ok(rme_rm_fault(m, rm, &f));
	ck_assert_int_eq(f.type, RME_FAULT_NONE);

	ck_assert_int_eq(wr(0x70005008, 1).outcome, RME_ACCESS_FAULT);
	ck_assert_int_eq(rd(0x70007000).outcome, RME_ACCESS_FAULT);
	ck_assert_ok(rme_rm_fault(m, rm, &f));
	ck_assert_int_eq(f.type, RME_FAULT_WRITE);
	ck_assert_uint_eq(f.addr, 0x5008);

	/* an attach elsewhere wakes nobody */
	ck_assert_ok(tu_attach_at(m, rm, ds, 0x6000, 0, 0, 1, &at));
	ck_assert_ok(rme_rm_info(m, rm, &info));
	ck_assert_uint_eq(info.faulters, 2);
	/* a detach wakes nobody */
	ck_assert_ok(rme_detach(m, rm, 0x6000));
	ck_assert_ok(rme_rm_info(m, rm, &info));
	ck_assert_uint_eq(info.faulters, 2);
	/* the attach covering 0x5008 wakes the first, the second is now the head */
	ck_assert_ok(tu_attach_at(m, rm, ds, 0x5000, 0, 0, 1, &at));
	ck_assert_ok(rme_rm_fault(m, rm, &f));
	ck_assert_int_eq(f.type, RME_FAULT_READ);
	ck_assert_uint_eq(f.addr, 0x7000);
	/* the woken thread retried its write, which landed (base-hw does the same) */
	ck_assert_int_eq(rd(0x70005008).byte, 1);
	ck_assert_int_eq(wr(0x70005008, 2).outcome, RME_ACCESS_DONE);
}
END_TEST

START_TEST(r5_woken_faulter_that_still_cannot_access_queues_again)
{
	rme_cap_t rm = tu_rm(m, 1 << 20);
	rme_cap_t ds = tu_ram(m, 4096);
	rme_fault_t f;
	rme_rm_info_t info;
	rme_addr_t at;

	ck_assert_ok(tu_attach_at(m, rme_env(m), rme_rm_dataspace(m, rm), 0x70000000, 0, 0, 1, &at));
	ck_assert_ok(rme_fault_handler(m, rm));
	ck_assert_int_eq(wr(0x70001000, 7).outcome, RME_ACCESS_FAULT);
	ck_assert_int_eq(rd(0x70002000).outcome, RME_ACCESS_FAULT);
	/* read-only RAM under the write: its thread retries and faults again, now behind the read */
	ck_assert_ok(tu_attach_at(m, rm, ds, 0x1000, 0, 0, 0, &at));
	ck_assert_ok(rme_rm_info(m, rm, &info));
	ck_assert_uint_eq(info.faulters, 2);
	ck_assert_ok(rme_rm_fault(m, rm, &f));
	ck_assert_int_eq(f.type, RME_FAULT_READ);
	ck_assert_uint_eq(f.addr, 0x2000);
	ck_assert_int_eq(rd(0x70001000).byte, 0);
	/* writable RAM at last: the write lands, only the read is left */
	ck_assert_ok(rme_detach(m, rm, 0x1000));
	ck_assert_ok(tu_attach_at(m, rm, ds, 0x1000, 0, 0, 1, &at));
	ck_assert_ok(rme_rm_info(m, rm, &info));
	ck_assert_uint_eq(info.faulters, 1);
	ck_assert_int_eq(rd(0x70001000).byte, 7);
	tu_check(m);
}
END_TEST

START_TEST(r5_recursion_limit)
{
	/* env -> rm1 -> rm2 -> rm3 -> rm4 works; one level more is too deep */
	rme_cap_t rms[5];
	rme_cap_t ds = tu_ram(m, 4096);
	rme_addr_t at;
	rme_access_t a;

	for (int i = 0; i < 5; i++)
		rms[i] = tu_rm(m, 1 << 20);
	ck_assert_ok(tu_attach_at(m, rme_env(m), rme_rm_dataspace(m, rms[0]), 0x70000000, 0, 0, 1, &at));
	for (int i = 1; i < 4; i++)
		ck_assert_ok(tu_attach_at(m, rms[i - 1], rme_rm_dataspace(m, rms[i]), 0, 0, 0, 1, &at));
	ck_assert_ok(tu_attach_at(m, rms[3], ds, 0, 0, 0, 1, &at));
	ck_assert_int_eq(wr(0x70000000, 5).outcome, RME_ACCESS_DONE);
	ck_assert_uint_eq(rd(0x70000000).byte, 5);

	ck_assert_ok(rme_detach(m, rms[3], 0));
	ck_assert_ok(tu_attach_at(m, rms[3], rme_rm_dataspace(m, rms[4]), 0, 0, 0, 1, &at));
	ck_assert_ok(tu_attach_at(m, rms[4], ds, 0, 0, 0, 1, &at));
	a = rd(0x70000000);
	ck_assert_int_eq(a.outcome, RME_ACCESS_TOO_DEEP);
	ck_assert_uint_eq(a.rm, rms[4]);
}
END_TEST

/* ---- R6: rights ------------------------------------------------------------------ */

START_TEST(r6_write_needs_every_region_writeable)
{
	rme_cap_t rm = tu_rm(m, 1 << 20);
	rme_cap_t ds = tu_ram(m, 4096);
	rme_addr_t at;
	rme_access_t a;

	/* the managed dataspace attached read-only, the RAM inside writeable */
	ck_assert_ok(tu_attach_at(m, rme_env(m), rme_rm_dataspace(m, rm), 0x70000000, 0, 0, 0, &at));
	ck_assert_ok(tu_attach_at(m, rm, ds, 0x3000, 0, 0, 1, &at));
	a = wr(0x70003010, 1);
	ck_assert_int_eq(a.outcome, RME_ACCESS_UNHANDLED);
	ck_assert_int_eq(a.fault.type, RME_FAULT_WRITE);
	ck_assert_uint_eq(a.rm, rm);
	ck_assert_uint_eq(a.fault.addr, 0x3010);
	ck_assert_int_eq(rd(0x70003010).outcome, RME_ACCESS_DONE);
}
END_TEST

START_TEST(r6_rom_stays_read_only_when_attached_writeable)
{
	static const char elf[] = "\177ELF";
	rme_cap_t rom;
	rme_addr_t at;
	rme_access_t a;

	ck_assert_ok(rme_rom_create(m, elf, sizeof(elf), &rom));
	ck_assert_ok(tu_attach_at(m, rme_env(m), rom, 0x18000000, 0, 0, 1, &at));
	a = rd(0x18000001);
	ck_assert_int_eq(a.outcome, RME_ACCESS_DONE);
	ck_assert_uint_eq(a.byte, 'E');
	a = wr(0x18000001, 'X');
	ck_assert_int_eq(a.outcome, RME_ACCESS_UNHANDLED);
	ck_assert_int_eq(a.fault.type, RME_FAULT_WRITE);
	ck_assert_uint_eq(rd(0x18000001).byte, 'E');
	ck_assert_err(rme_ds_write(m, rom, 0, "x", 1), RME_ERR_DENIED);
	ck_assert_ok(rme_rom_free(m, rom));
}
END_TEST

START_TEST(r6_exec_needs_every_region_executable)
{
	rme_cap_t rm = tu_rm(m, 1 << 20);
	rme_cap_t ds = tu_ram(m, 4096);
	rme_attr_t rx = { .use_at = 1, .at = 0, .executable = 1 };
	rme_attr_t outer = { .use_at = 1, .at = 0x70000000, .executable = 0, .writeable = 1 };
	rme_range_t r;

	ck_assert_ok(rme_attach(m, rm, ds, &rx, &r));
	ck_assert_ok(rme_attach(m, rme_env(m), rme_rm_dataspace(m, rm), &outer, &r));
	ck_assert_int_eq(ex(0x70000000).outcome, RME_ACCESS_UNHANDLED);
	ck_assert_ok(rme_detach(m, rme_env(m), 0x70000000));
	outer.executable = 1;
	ck_assert_ok(rme_attach(m, rme_env(m), rme_rm_dataspace(m, rm), &outer, &r));
	ck_assert_int_eq(ex(0x70000000).outcome, RME_ACCESS_DONE);
	/* execute permission does not imply write permission */
	ck_assert_int_eq(wr(0x70000000, 1).outcome, RME_ACCESS_UNHANDLED);
}
END_TEST

/* ---- Content --------------------------------------------------------------------- */

START_TEST(content_fresh_ram_is_zero_and_shared_between_mappings)
{
	rme_cap_t ds = tu_ram(m, 3 * 4096);
	rme_addr_t a1 = tu_attach_any(m, rme_env(m), ds, 0, 1);
	rme_addr_t a2 = tu_attach_any(m, rme_env(m), ds, 0, 1);
	uint8_t buf[3];

	ck_assert_uint_ne(a1, a2);
	ck_assert_uint_eq(rd(a1 + 8191).byte, 0);
	ck_assert_int_eq(wr(a1 + 8191, 0xab).outcome, RME_ACCESS_DONE);
	ck_assert_uint_eq(rd(a2 + 8191).byte, 0xab);
	ck_assert_ok(rme_ds_read(m, ds, 8190, buf, 3));
	ck_assert_uint_eq(buf[0], 0);
	ck_assert_uint_eq(buf[1], 0xab);
	ck_assert_uint_eq(buf[2], 0);
	ck_assert_err(rme_ds_read(m, ds, 12286, buf, 3), RME_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(content_is_sparse)
{
	rme_model_t *big = tu_model(8ULL << 30, 100);
	rme_cap_t ds;
	struct ds *obj;
	uint8_t byte = 1;

	ck_assert_ok(rme_ram_alloc(big, 4ULL << 30, &ds));
	ck_assert_ok(rme_ds_write(big, ds, (3ULL << 30) + 5, &byte, 1));
	ck_assert_ok(rme_ds_write(big, ds, 7, &byte, 1));
	obj = cap_lookup(&big->caps, ds, CAP_DS);
	ck_assert_ptr_nonnull(obj);
	ck_assert_uint_eq(ps_pages(&obj->pages), 2);
	byte = 0;
	ck_assert_ok(rme_ds_read(big, ds, (3ULL << 30) + 5, &byte, 1));
	ck_assert_uint_eq(byte, 1);
	rme_model_destroy(big);
}
END_TEST

START_TEST(content_offset_attach_sees_the_right_bytes)
{
	rme_cap_t ds = tu_ram(m, 16384);
	rme_attr_t a = { .offset = 8192, .writeable = 1 };
	rme_range_t r;
	uint8_t byte = 0x5a;

	ck_assert_ok(rme_ds_write(m, ds, 8192 + 100, &byte, 1));
	ck_assert_ok(rme_attach(m, rme_env(m), ds, &a, &r));
	ck_assert_uint_eq(rd(r.start + 100).byte, 0x5a);
}
END_TEST

START_TEST(names_of_errors_kernels_arches)
{
	rme_err_t e;
	rme_kernel_t k;
	rme_arch_t a;

	ck_assert_str_eq(rme_err_name(RME_ERR_OUT_OF_RAM), "OUT_OF_RAM");
	ck_assert_str_eq(rme_err_name(RME_ERR_REGION_CONFLICT), "REGION_CONFLICT");
	ck_assert_str_eq(rme_err_name((rme_err_t)999), "UNKNOWN");
	ck_assert_int_eq(rme_err_from_name("INVALID_DATASPACE", &e), 0);
	ck_assert_int_eq(e, RME_ERR_INVALID_DATASPACE);
	ck_assert_int_eq(rme_err_from_name("NOPE", &e), -1);
	ck_assert_int_eq(rme_kernel_from_name("sel4", &k), 0);
	ck_assert_int_eq(k, RME_KERNEL_SEL4);
	ck_assert_int_eq(rme_arch_from_name("arm_v7a", &a), 0);
	ck_assert_str_eq(rme_arch_name(a), "arm_v7a");
	ck_assert_int_eq(rme_kernel_from_name("linuxx", &k), -1);
}
END_TEST

/* ---- The leak verdict: left (something refers to it) or lost ---------------- */

struct lost_seen {
	rme_lost_ds_t v[4];
	unsigned n;
};

static void
note_lost(void *ctx, const rme_lost_ds_t *lost)
{
	struct lost_seen *seen = ctx;

	ck_assert_uint_lt(seen->n, 4);
	seen->v[seen->n++] = *lost;
}

START_TEST(verdict_left_and_lost)
{
	rme_cap_t named, attached, detached, never, rm;
	rme_range_t r1, r2;
	rme_leak_verdict_t v;
	struct lost_seen seen = { .n = 0 };
	rme_cap_t held[3];

	rme_model_set_site(m, 3);
	named = tu_ram(m, 0x3000);
	rme_model_set_site(m, 4);
	attached = tu_ram(m, 0x1000);
	ck_assert_ok(rme_attach(m, rme_env(m), attached, NULL, &r1));
	rme_model_set_site(m, 5);
	detached = tu_ram(m, 0x2000);
	ck_assert_ok(rme_attach(m, rme_env(m), detached, NULL, &r2));
	rme_model_set_site(m, 6);
	never = tu_ram(m, 0x4000);
	rme_model_set_site(m, 9);
	ck_assert_ok(rme_detach(m, rme_env(m), r2.start));
	rm = tu_rm(m, 0x10000);
	held[0] = named;
	held[1] = rm;          /* no RAM dataspace: ignored */
	held[2] = 12345;       /* no capability at all: ignored */

	rme_model_leak_verdict(m, held, 3, note_lost, &seen, &v);
	ck_assert_uint_eq(v.left, 2);          /* named, attached */
	ck_assert_uint_eq(v.left_ram, 0x4000);
	ck_assert_uint_eq(v.lost, 2);          /* detached, never */
	ck_assert_uint_eq(v.lost_ram, 0x6000);
	ck_assert_uint_eq(seen.n, 2);
	/* in the order of their allocation, with what and where */
	ck_assert_uint_eq(seen.v[0].ds, detached);
	ck_assert_uint_eq(seen.v[0].size, 0x2000);
	ck_assert_uint_eq(seen.v[0].alloc_site, 5);
	ck_assert_uint_eq(seen.v[0].detach_site, 9);
	ck_assert_uint_eq(seen.v[1].ds, never);
	ck_assert_uint_eq(seen.v[1].alloc_site, 6);
	ck_assert_uint_eq(seen.v[1].detach_site, 0);

	/* the marks of held dataspaces do not stay: without a holder, named is lost too */
	rme_model_leak_verdict(m, NULL, 0, NULL, NULL, &v);
	ck_assert_uint_eq(v.left, 1);
	ck_assert_uint_eq(v.lost, 3);
	/* a lost dataspace freed after all is simply gone */
	ck_assert_ok(rme_ram_free(m, never));
	rme_model_leak_verdict(m, NULL, 0, NULL, NULL, &v);
	ck_assert_uint_eq(v.lost, 2);
	ck_assert_uint_eq(v.lost_ram, 0x5000);
}
END_TEST

START_TEST(verdict_of_nothing)
{
	rme_leak_verdict_t v = { 1, 1, 1, 1 };

	/* the layout's own dataspaces are neither left nor lost */
	rme_model_leak_verdict(m, NULL, 0, NULL, NULL, &v);
	ck_assert_uint_eq(v.left + v.lost + v.left_ram + v.lost_ram, 0);
	rme_model_leak_verdict(NULL, NULL, 0, NULL, NULL, &v);
	ck_assert_uint_eq(v.left + v.lost, 0);
}
END_TEST

static Suite *
model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *r1 = tcase_create("R1_attach"), *r2 = tcase_create("R2_ranges"),
	      *r3 = tcase_create("R3_detach"), *r4 = tcase_create("R4_reserved"),
	      *r5 = tcase_create("R5_faults"), *r6 = tcase_create("R6_rights"),
	      *content = tcase_create("content"), *verdict = tcase_create("leak_verdict");
	TCase *all[] = { r1, r2, r3, r4, r5, r6, content, verdict };

	for (unsigned i = 0; i < sizeof(all) / sizeof(*all); i++) {
		tcase_add_checked_fixture(all[i], setup, teardown);
		suite_add_tcase(s, all[i]);
	}
	tcase_add_test(r1, r1_unaligned_offset_is_conflict_before_ds_check);
	tcase_add_test(r1, r1_invalid_dataspace);
	tcase_add_test(r1, r1_offset_at_or_beyond_size_is_conflict);
	tcase_add_test(r1, r1_size_zero_is_rest_of_dataspace);
	tcase_add_test(r1, r1_size_rounded_up_to_pages);
	tcase_add_test(r1, r1_size_beyond_dataspace_is_conflict_not_clamped);
	tcase_add_test(r1, r1_use_at_takes_unaligned_address_as_is);
	tcase_add_test(r1, r1_use_at_conflicts);
	tcase_add_test(r1, r1_default_attr_is_read_only);
	tcase_add_test(r1, r1_natural_alignment_first);
	tcase_add_test(r1, r1_alignment_capped_by_offset);
	tcase_add_test(r1, r1_no_room_is_conflict);
	tcase_add_test(r2, r2_sub_rm_covers_zero_to_size);
	tcase_add_test(r2, r2_empty_rm_refuses_every_attach);
	tcase_add_test(r2, r2_env_range_per_kernel);
	tcase_add_test(r2, r2_no_such_kernel_and_arch);
	tcase_add_test(r3, r3_detach_inside_region_removes_it);
	tcase_add_test(r3, r3_detach_unknown_address_is_ignored);
	tcase_add_test(r4, r4_freed_dataspace_leaves_region_reserved);
	tcase_add_test(r4, r4_destroyed_region_map_leaves_region_reserved);
	tcase_add_test(r4, r4_env_cannot_be_destroyed);
	tcase_add_test(r5, r5_fault_goes_to_innermost_map_in_its_coordinates);
	tcase_add_test(r5, r5_faulter_waits_until_attach_covers_it);
	tcase_add_test(r5, r5_woken_faulter_that_still_cannot_access_queues_again);
	tcase_add_test(r5, r5_recursion_limit);
	tcase_add_test(r6, r6_write_needs_every_region_writeable);
	tcase_add_test(r6, r6_rom_stays_read_only_when_attached_writeable);
	tcase_add_test(r6, r6_exec_needs_every_region_executable);
	tcase_add_test(content, content_fresh_ram_is_zero_and_shared_between_mappings);
	tcase_add_test(content, content_is_sparse);
	tcase_add_test(content, content_offset_attach_sees_the_right_bytes);
	tcase_add_test(content, names_of_errors_kernels_arches);
	tcase_add_test(verdict, verdict_left_and_lost);
	tcase_add_test(verdict, verdict_of_nothing);
	return s;
}

int
main(void)
{
	return tu_run(model_suite());
}
