/*
 * check_genode.c: Genode's own tests, ported step by step to the model
 * (genode-semantics.md §6): sub_rm (core and base-linux), rm_nested,
 * rm_fault, rm_stress, ds_ownership, fault_detection and base-linux's
 * lx_rmap; then the model's options: older releases, cycles, the layout
 * regions and the base-linux flavour.
 */
#include <string.h>

#include "testutil.h"

static rme_model_t *
model_for(rme_kernel_t kernel, unsigned release)
{
	rme_model_config_t cfg;
	rme_model_t *m = NULL;

	rme_model_config_init(&cfg);
	cfg.kernel = kernel;
	cfg.genode_release = release;
	cfg.ram_quota = 10 << 20;
	cfg.cap_quota = 110;
	ck_assert_ok(rme_model_create(&cfg, &m));
	return m;
}

static rme_access_t
acc_read(rme_model_t *m, rme_addr_t a)
{
	rme_access_t r;
	ck_assert_ok(rme_read(m, a, &r));
	return r;
}

static rme_access_t
acc_write(rme_model_t *m, rme_addr_t a, uint8_t byte)
{
	rme_access_t r;
	ck_assert_ok(rme_write(m, a, byte, &r));
	return r;
}

static void
read_string(rme_model_t *m, rme_addr_t a, char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		rme_access_t r = acc_read(m, a + i);
		ck_assert_int_eq(r.outcome, RME_ACCESS_DONE);
		buf[i] = (char)r.byte;
	}
}

/* ---- sub_rm -------------------------------------------------------------------- */

static const char pattern1[] = "Pattern to verify dataspace content";
static const char pattern2[] = "A second pattern to verify dataspace content";

static void
sub_rm_test(rme_kernel_t kernel)
{
	rme_model_t *m = model_for(kernel, 2602);
	int linux = kernel == RME_KERNEL_LINUX;
	rme_cap_t tmp, sub, ds;
	rme_addr_t at, base;
	rme_range_t r;
	char buf[64];

	/* 1: create and destroy a map, create sub_rm, fill a 16 KiB dataspace */
	ck_assert_ok(rme_rm_create(m, 1 << 20, &tmp));
	ck_assert_ok(rme_rm_destroy(m, tmp));
	sub = tu_rm(m, 1 << 20);
	ds = tu_ram(m, 16 << 10);
	ck_assert_ok(rme_ds_write(m, ds, 0, pattern1, sizeof(pattern1)));
	ck_assert_ok(rme_ds_write(m, ds, 4096, pattern2, sizeof(pattern2)));

	/* 2: base-linux wants an address for attaches into a sub map */
	ck_assert_err(rme_attach(m, sub, ds, NULL, &r),
	              linux ? RME_ERR_REGION_CONFLICT : RME_OK);
	if (!linux)
		ck_assert_ok(rme_detach(m, sub, r.start));

	/* 3: attach at 0x1000, read-only */
	ck_assert_ok(tu_attach_at(m, sub, ds, 0x1000, 0, 0, 0, &at));
	ck_assert_uint_eq(at, 0x1000);

	/* 4: the sub map into env at 0x70000000 */
	ck_assert_ok(tu_attach_at(m, rme_env(m), rme_rm_dataspace(m, sub), 0x70000000, 0, 0, 1, &base));
	ck_assert_uint_eq(base, 0x70000000);
	read_string(m, base + 0x1000, buf, sizeof(pattern1));
	ck_assert_str_eq(buf, pattern1);

	/* 5: populate the already attached sub map */
	ck_assert_ok(tu_attach_at(m, sub, ds, 0x40000, 0, 0, 0, &at));
	ck_assert_uint_eq(at, 0x40000);
	read_string(m, base + 0x40000, buf, sizeof(pattern1));
	ck_assert_str_eq(buf, pattern1);

	/* 6: beyond the sub map's boundary */
	ck_assert_err(tu_attach_at(m, sub, ds, 0xff000, 0, 0, 0, &at), RME_ERR_REGION_CONFLICT);
	/* 7: overlapping [0x1000, 0x5000) */
	ck_assert_err(tu_attach_at(m, sub, ds, 0x2000, 0, 0, 0, &at), RME_ERR_REGION_CONFLICT);

	/* 9: at 0x80000 with offset 4 KiB: the rest, 12 KiB, shows pattern 2 */
	ck_assert_ok(tu_attach_at(m, sub, ds, 0x80000, 0, 4096, 0, &at));
	read_string(m, base + 0x80000, buf, sizeof(pattern2));
	ck_assert_str_eq(buf, pattern2);

	/* 10: at 0xc0000, size 8 KiB, offset 4 KiB */
	ck_assert_ok(tu_attach_at(m, sub, ds, 0xc0000, 8192, 4096, 0, &at));
	read_string(m, base + 0xc0000, buf, sizeof(pattern2));
	ck_assert_str_eq(buf, pattern2);

	/* 11: detach 0x1000 */
	ck_assert_ok(rme_detach(m, sub, 0x1000));
	ck_assert_int_eq(acc_read(m, base + 0x1000).outcome, RME_ACCESS_UNHANDLED);
	tu_check(m);
	rme_model_destroy(m);
}

START_TEST(sub_rm_core)
{
	sub_rm_test(RME_KERNEL_HW);
}
END_TEST

START_TEST(sub_rm_base_linux)
{
	sub_rm_test(RME_KERNEL_LINUX);
}
END_TEST

/* ---- rm_nested ----------------------------------------------------------------- */

START_TEST(rm_nested_part1_faults_populate_the_map)
{
	rme_model_t *m = model_for(RME_KERNEL_HW, 2602);
	rme_cap_t sub = tu_rm(m, 0x10000), tmp;
	rme_addr_t base = tu_attach_any(m, rme_env(m), rme_rm_dataspace(m, sub), 0, 1);
	unsigned faults = 0;

	ck_assert_uint_eq(rme_ds_size(m, rme_rm_dataspace(m, sub)), 65536);
	ck_assert_ok(rme_fault_handler(m, sub));
	for (uint64_t off = 0; off < 0x10000; off += 256) {
		rme_access_t a = acc_write(m, base + off, 1);
		if (a.outcome == RME_ACCESS_FAULT) {
			rme_fault_t f;
			/* one WRITE fault per page, at the page's first byte written */
			ck_assert_uint_eq(a.rm, sub);
			ck_assert_ok(rme_rm_fault(m, sub, &f));
			ck_assert_int_eq(f.type, RME_FAULT_WRITE);
			ck_assert_uint_eq(f.addr, faults * 0x1000);
			faults++;
			ck_assert_ok(tu_attach_at(m, sub, tu_ram(m, 4096), f.addr & ~0xfffULL, 0, 0, 1, NULL));
			ck_assert_ok(rme_rm_fault(m, sub, &f));
			ck_assert_int_eq(f.type, RME_FAULT_NONE);
			a = acc_write(m, base + off, 1);
		}
		ck_assert_int_eq(a.outcome, RME_ACCESS_DONE);
	}
	ck_assert_uint_eq(faults, 16);
	/* "test destruction of region_map" */
	ck_assert_ok(rme_rm_create(m, 4096, &tmp));
	ck_assert_ok(rme_rm_destroy(m, tmp));
	tu_check(m);
	rme_model_destroy(m);
}
END_TEST

START_TEST(rm_nested_part2_nested_regions)
{
	rme_model_t *m = model_for(RME_KERNEL_HW, 2602);
	rme_cap_t top = tu_rm(m, 40 << 10), shim1 = tu_rm(m, 24 << 10);
	rme_cap_t shim2 = tu_rm(m, 16 << 10), bottom = tu_rm(m, 40 << 10);
	rme_cap_t ram8 = tu_ram(m, 8 << 10), ram40 = tu_ram(m, 40 << 10);
	rme_attr_t ro24 = { .size = 24 << 10 };
	rme_range_t r;
	rme_addr_t t, tmp, at;
	rme_access_t a;
	rme_fault_t f;

	t = tu_attach_any(m, rme_env(m), rme_rm_dataspace(m, top), 0, 1);
	ck_assert_uint_eq(tu_attach_any(m, top, rme_rm_dataspace(m, shim1), 0, 1), 0x0);
	ck_assert_uint_eq(tu_attach_any(m, top, rme_rm_dataspace(m, shim2), 0, 1), 0x6000);
	ck_assert_ok(tu_attach_at(m, shim2, ram8, 0x1000, 0, 0, 0, &at));
	ck_assert_ok(rme_attach(m, shim1, rme_rm_dataspace(m, bottom), &ro24, &r));
	ck_assert_uint_eq(r.start, 0x0);

	/* fill 40 KiB with 0xff through a temporary attach, then put it into bottom */
	tmp = tu_attach_any(m, rme_env(m), ram40, 0, 1);
	for (uint64_t i = 0; i < (40 << 10); i += 4096)
		ck_assert_int_eq(acc_write(m, tmp + i, 0xff).outcome, RME_ACCESS_DONE);
	ck_assert_ok(rme_detach(m, rme_env(m), tmp));
	ck_assert_ok(tu_attach_at(m, bottom, ram40, 0, 0, 0, 1, &at));
	ck_assert_uint_eq(acc_read(m, t).byte, 0xff);   /* write_bottom == T */

	/* read_shim2 = T + 0x7000 reads fresh RAM */
	a = acc_read(m, t + 0x7000);
	ck_assert_int_eq(a.outcome, RME_ACCESS_DONE);
	ck_assert_uint_eq(a.byte, 0);
	ck_assert_uint_eq(acc_read(m, t + 0x8000).byte, 0);

	/* exactly one READ fault at offset 0 of shim2 */
	ck_assert_ok(rme_fault_handler(m, shim2));
	a = acc_read(m, t + 0x6000);
	ck_assert_int_eq(a.outcome, RME_ACCESS_FAULT);
	ck_assert_uint_eq(a.rm, shim2);
	ck_assert_ok(rme_rm_fault(m, shim2, &f));
	ck_assert_int_eq(f.type, RME_FAULT_READ);
	ck_assert_uint_eq(f.addr, 0);
	ck_assert_ok(tu_attach_at(m, shim2, tu_ram(m, 4096), 0, 0, 0, 1, &at));
	ck_assert_ok(rme_rm_fault(m, shim2, &f));
	ck_assert_int_eq(f.type, RME_FAULT_NONE);
	ck_assert_int_eq(acc_read(m, t + 0x6000).outcome, RME_ACCESS_DONE);
	tu_check(m);
	rme_model_destroy(m);
}
END_TEST

/* ---- rm_fault ------------------------------------------------------------------ */

enum { MANAGED_ADDR = 0x18000000 };

START_TEST(rm_fault_read_write_exec)
{
	rme_model_t *m = model_for(RME_KERNEL_HW, 2602);
	rme_cap_t env = rme_env(m), ds = tu_ram(m, 4096), rom;
	static const char elf[] = "\177ELF";
	rme_access_t a;
	rme_fault_t f;
	rme_addr_t at;

	ck_assert_ok(rme_rom_create(m, elf, sizeof(elf), &rom));
	ck_assert_ok(rme_fault_handler(m, env));

	/* faults 0-3: read, attach, read the value, modify it, revoke */
	for (int round = 0; round < 4; round++) {
		a = acc_read(m, MANAGED_ADDR);
		ck_assert_int_eq(a.outcome, RME_ACCESS_FAULT);
		ck_assert_ok(rme_rm_fault(m, env, &f));
		ck_assert_int_eq(f.type, RME_FAULT_READ);
		ck_assert_uint_eq(f.addr, MANAGED_ADDR);
		ck_assert_ok(rme_ds_write(m, ds, 0, "\x45", 1));
		ck_assert_ok(tu_attach_at(m, env, ds, f.addr & ~0xfffULL, 0, 0, 1, &at));
		ck_assert_ok(rme_rm_fault(m, env, &f));
		ck_assert_int_eq(f.type, RME_FAULT_NONE);
		ck_assert_uint_eq(acc_read(m, MANAGED_ADDR).byte, 0x45);
		ck_assert_int_eq(acc_write(m, MANAGED_ADDR, 0x46).outcome, RME_ACCESS_DONE);
		ck_assert_ok(rme_detach(m, env, MANAGED_ADDR));
	}

	/* fault 4: the ROM attached writeable reads, but a write faults */
	ck_assert_ok(tu_attach_at(m, env, rom, MANAGED_ADDR, 0, 0, 1, &at));
	ck_assert_uint_eq(acc_read(m, MANAGED_ADDR + 1).byte, 'E');
	a = acc_write(m, MANAGED_ADDR, 0);
	ck_assert_int_eq(a.outcome, RME_ACCESS_FAULT);
	ck_assert_ok(rme_rm_fault(m, env, &f));
	ck_assert_int_eq(f.type, RME_FAULT_WRITE);
	ck_assert_uint_eq(f.addr, MANAGED_ADDR);

	/* fault 5: RAM attached read-only: the retried write faults again */
	ck_assert_ok(rme_detach(m, env, MANAGED_ADDR));
	ck_assert_ok(tu_attach_at(m, env, ds, MANAGED_ADDR, 4096, 0, 0, &at));
	ck_assert_int_eq(acc_write(m, MANAGED_ADDR, 0).outcome, RME_ACCESS_FAULT);

	/* fault 6: attached writeable, the write goes through */
	ck_assert_ok(rme_detach(m, env, MANAGED_ADDR));
	ck_assert_ok(tu_attach_at(m, env, ds, MANAGED_ADDR, 0, 0, 1, &at));
	ck_assert_int_eq(acc_write(m, MANAGED_ADDR + 4, 0xad).outcome, RME_ACCESS_DONE);

	/* the exec test: writing code and jumping there faults EXEC */
	ck_assert_int_eq(acc_write(m, MANAGED_ADDR, 0x90).outcome, RME_ACCESS_DONE);
	{
		rme_access_t e;
		rme_rm_info_t info;

		/* each write faulter was woken by the next attach covering its address */
		ck_assert_ok(rme_rm_info(m, env, &info));
		ck_assert_uint_eq(info.faulters, 0);
		ck_assert_ok(rme_exec(m, MANAGED_ADDR, &e));
		ck_assert_int_eq(e.outcome, RME_ACCESS_FAULT);
		ck_assert_int_eq(e.fault.type, RME_FAULT_EXEC);
		ck_assert_uint_eq(e.fault.addr, MANAGED_ADDR);
	}
	ck_assert_ok(rme_rom_free(m, rom));
	tu_check(m);
	rme_model_destroy(m);
}
END_TEST

START_TEST(rm_fault_detach_does_not_wake)
{
	rme_model_t *m = model_for(RME_KERNEL_HW, 2602);
	rme_cap_t env = rme_env(m), ds = tu_ram(m, 4096);
	rme_fault_t f;
	rme_addr_t at;

	ck_assert_ok(rme_fault_handler(m, env));
	ck_assert_int_eq(acc_read(m, MANAGED_ADDR + 0x10).outcome, RME_ACCESS_FAULT);
	ck_assert_ok(tu_attach_at(m, env, ds, MANAGED_ADDR + 0x1000, 0, 0, 1, &at));
	ck_assert_ok(rme_detach(m, env, MANAGED_ADDR + 0x1000));
	ck_assert_ok(rme_rm_fault(m, env, &f));
	ck_assert_int_eq(f.type, RME_FAULT_READ);
	ck_assert_uint_eq(f.addr, MANAGED_ADDR + 0x10);
	rme_model_destroy(m);
}
END_TEST

/* ---- rm_stress ----------------------------------------------------------------- */

START_TEST(rm_stress_no_stale_mapping)
{
	rme_model_t *m = model_for(RME_KERNEL_HW, 2602);
	rme_cap_t page[2];
	const uint8_t colour[2] = { 0xaa, 0x55 };
	rme_addr_t last[2] = { 0, 0 };
	unsigned reused = 0;

	for (int i = 0; i < 2; i++) {
		page[i] = tu_ram(m, 4096);
		ck_assert_ok(rme_ds_write(m, page[i], 0, &colour[i], 1));
		(void)tu_attach_any(m, rme_env(m), page[i], 0, 1);   /* kept attached once */
	}
	for (int round = 0; round < 10000; round++) {
		for (int i = 0; i < 2; i++) {
			rme_addr_t at = tu_attach_any(m, rme_env(m), page[i], 4096, 1);
			rme_access_t a = acc_read(m, at);

			ck_assert_int_eq(a.outcome, RME_ACCESS_DONE);
			ck_assert_msg(a.byte == colour[i], "value @ 0x%llx != 0x%x in round %d",
			              (unsigned long long)at, colour[i], round);
			reused += at == last[i];
			last[i] = at;
			ck_assert_ok(rme_detach(m, rme_env(m), at));
		}
	}
	/* typically the same address comes back */
	ck_assert_uint_gt(reused, 19000);
	tu_check(m);
	rme_model_destroy(m);
}
END_TEST

/* ---- ds_ownership, fault_detection ------------------------------------------------ */

START_TEST(ds_ownership_foreign_free_is_ignored)
{
	rme_model_t *pd1 = model_for(RME_KERNEL_HW, 2602), *pd2 = model_for(RME_KERNEL_HW, 2602);
	rme_cap_t ds;
	rme_quota_t before, after;
	rme_range_t r;

	ck_assert_ok(rme_ram_alloc(pd1, sizeof(unsigned), &ds));
	ck_assert_uint_eq(rme_ds_size(pd1, ds), 4096);
	ck_assert_ok(rme_ram_free(pd2, ds));          /* silently ignored */
	ck_assert_uint_eq(rme_ds_size(pd1, ds), 4096);
	ck_assert_ok(rme_attach(pd1, rme_env(pd1), ds, NULL, &r));   /* Attr{}: read-only */
	rme_quota(pd1, &before);
	ck_assert_ok(rme_ram_free(pd1, ds));
	rme_quota(pd1, &after);
	ck_assert_uint_gt(before.ram_used, after.ram_used);   /* avail_ram went up */
	rme_model_destroy(pd1);
	rme_model_destroy(pd2);
}
END_TEST

START_TEST(fault_detection_page_zero_is_unmapped)
{
	rme_model_t *m = model_for(RME_KERNEL_HW, 2602);
	rme_access_t a = acc_write(m, 0x44, 0x55);

	ck_assert_int_eq(a.outcome, RME_ACCESS_UNHANDLED);
	ck_assert_ok(rme_fault_handler(m, rme_env(m)));
	for (int i = 0; i < 5; i++) {
		a = acc_write(m, 0x44, 0x55);
		ck_assert_int_eq(a.outcome, RME_ACCESS_FAULT);
		ck_assert_uint_eq(a.rm, rme_env(m));
		ck_assert_int_eq(a.fault.type, RME_FAULT_WRITE);
		ck_assert_uint_eq(a.fault.addr, 0x44);
	}
	rme_model_destroy(m);
}
END_TEST

/* ---- base-linux's lx_rmap --------------------------------------------------------- */

START_TEST(lx_rmap)
{
	rme_model_t *m = model_for(RME_KERNEL_LINUX, 2602);
	rme_cap_t ds = tu_ram(m, 4096), empty = tu_rm(m, 4096), sub = tu_rm(m, 1 << 20);
	rme_addr_t at, base;

	/* 1, 2: over the binary's own text */
	ck_assert_err(tu_attach_at(m, rme_env(m), ds, 0x01000000, 0, 0, 1, &at),
	              RME_ERR_REGION_CONFLICT);
	ck_assert_err(tu_attach_at(m, rme_env(m), rme_rm_dataspace(m, empty), 0x01000000, 0, 0, 1, &at),
	              RME_ERR_REGION_CONFLICT);
	/* 3: a populated sub map attached anywhere */
	ck_assert_ok(tu_attach_at(m, sub, ds, 0x1000, 0, 0, 1, &at));
	base = tu_attach_any(m, rme_env(m), rme_rm_dataspace(m, sub), 0, 1);
	ck_assert_int_eq(acc_read(m, base + 0x1000).outcome, RME_ACCESS_DONE);
	ck_assert_int_eq(acc_write(m, base + 0x1000, 0x55).outcome, RME_ACCESS_DONE);
	ck_assert_uint_eq(acc_read(m, base + 0x1000).byte, 0x55);
	tu_check(m);
	rme_model_destroy(m);
}
END_TEST

/* ---- Options: releases, cycles, layout, base-linux ---------------------------------- */

START_TEST(before_24_02_freeing_detaches)
{
	rme_model_t *m = model_for(RME_KERNEL_HW, 2311);
	rme_cap_t ds = tu_ram(m, 8192), other = tu_ram(m, 8192);
	rme_addr_t at;

	ck_assert_ok(tu_attach_at(m, rme_env(m), ds, 0x70000000, 0, 0, 1, &at));
	ck_assert_ok(rme_ram_free(m, ds));
	/* the range is free at once */
	ck_assert_ok(tu_attach_at(m, rme_env(m), other, 0x70000000, 0, 0, 1, &at));
	tu_check(m);
	rme_model_destroy(m);
}
END_TEST

START_TEST(before_23_08_only_the_leaf_rights_count)
{
	rme_model_t *m = model_for(RME_KERNEL_HW, 2305);
	rme_cap_t rm = tu_rm(m, 1 << 20), ds = tu_ram(m, 4096);
	rme_addr_t at;

	/* the managed dataspace read-only, the RAM inside writeable: the write works */
	ck_assert_ok(tu_attach_at(m, rme_env(m), rme_rm_dataspace(m, rm), 0x70000000, 0, 0, 0, &at));
	ck_assert_ok(tu_attach_at(m, rm, ds, 0, 0, 0, 1, &at));
	ck_assert_int_eq(acc_write(m, 0x70000000, 1).outcome, RME_ACCESS_DONE);
	rme_model_destroy(m);

	m = model_for(RME_KERNEL_HW, 2602);
	rm = tu_rm(m, 1 << 20);
	ds = tu_ram(m, 4096);
	ck_assert_ok(tu_attach_at(m, rme_env(m), rme_rm_dataspace(m, rm), 0x70000000, 0, 0, 0, &at));
	ck_assert_ok(tu_attach_at(m, rm, ds, 0, 0, 0, 1, &at));
	ck_assert_int_eq(acc_write(m, 0x70000000, 1).outcome, RME_ACCESS_UNHANDLED);
	rme_model_destroy(m);
}
END_TEST

START_TEST(unknown_releases_are_refused)
{
	rme_model_config_t cfg;
	rme_model_t *m;

	rme_model_config_init(&cfg);
	cfg.genode_release = 1908;
	ck_assert_err(rme_model_create(&cfg, &m), RME_ERR_INVALID_ARGUMENT);
	cfg.genode_release = 2605;
	ck_assert_err(rme_model_create(&cfg, &m), RME_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(cycles_are_refused)
{
	rme_model_t *m = model_for(RME_KERNEL_HW, 2602);
	rme_cap_t a = tu_rm(m, 1 << 20), b = tu_rm(m, 1 << 20), c = tu_rm(m, 1 << 20);
	rme_range_t r;

	ck_assert_err(rme_attach(m, a, rme_rm_dataspace(m, a), NULL, &r), RME_ERR_REGION_CONFLICT);
	ck_assert_ok(rme_attach(m, a, rme_rm_dataspace(m, b), &(rme_attr_t){ .size = 1 << 16 }, &r));
	ck_assert_ok(rme_attach(m, b, rme_rm_dataspace(m, c), &(rme_attr_t){ .size = 1 << 16 }, &r));
	ck_assert_err(rme_attach(m, c, rme_rm_dataspace(m, a), NULL, &r), RME_ERR_REGION_CONFLICT);
	ck_assert_err(rme_attach(m, b, rme_rm_dataspace(m, a), NULL, &r), RME_ERR_REGION_CONFLICT);
	/* the same map twice into another is no cycle */
	ck_assert_ok(rme_attach(m, a, rme_rm_dataspace(m, c), &(rme_attr_t){ .size = 1 << 16 }, &r));
	tu_check(m);
	rme_model_destroy(m);
}
END_TEST

START_TEST(layout_regions_conflict_where_genode_has_them)
{
	static const struct { uint64_t at; int free; } probes[] = {
		{ 0x2000, 1 }, { 0x30000, 0 }, { 0xff000, 0 }, { 0x100000, 1 },
		{ 0x01000000, 0 }, { 0x14fff000, 0 }, { 0x15000000, 1 }, { 0x18000000, 1 },
		{ 0x3ffff000, 1 }, { 0x40000000, 0 }, { 0x4ffff000, 0 }, { 0x50000000, 1 },
	};
	rme_model_t *m = model_for(RME_KERNEL_HW, 2602);
	rme_cap_t ds = tu_ram(m, 4096);
	rme_addr_t at;

	for (unsigned i = 0; i < sizeof(probes) / sizeof(*probes); i++) {
		rme_err_t err = tu_attach_at(m, rme_env(m), ds, probes[i].at, 0, 0, 1, &at);
		ck_assert_msg((err == RME_OK) == probes[i].free, "attach at 0x%llx: %s",
		              (unsigned long long)probes[i].at, rme_err_name(err));
		if (err == RME_OK)
			ck_assert_ok(rme_detach(m, rme_env(m), at));
	}
	/* the linker area was 256 MiB before 25.02 */
	rme_model_destroy(m);
	m = model_for(RME_KERNEL_HW, 2411);
	ds = tu_ram(m, 4096);
	ck_assert_ok(tu_attach_at(m, rme_env(m), ds, 0x11000000, 0, 0, 1, &at));
	/* layout regions cost no quota and cannot be destroyed */
	{
		rme_quota_t q;
		rme_quota(m, &q);
		ck_assert_uint_eq(q.ram_used, 4096);
	}
	rme_model_destroy(m);
}
END_TEST

START_TEST(linux_flavour_rules)
{
	rme_model_t *m = model_for(RME_KERNEL_LINUX, 2602);
	rme_cap_t sub = tu_rm(m, 0x10800), inner = tu_rm(m, 1 << 16), ds = tu_ram(m, 16384);
	rme_rm_info_t info;
	rme_range_t r;
	rme_addr_t at;

	/* sizes are not page-rounded: the map and a region keep what they were given */
	ck_assert_uint_eq(rme_ds_size(m, rme_rm_dataspace(m, sub)), 0x10800);
	ck_assert_ok(rme_attach(m, sub, ds, &(rme_attr_t){ .use_at = 1, .at = 0x100, .size = 100 }, &r));
	ck_assert_uint_eq(r.start, 0x100);
	ck_assert_uint_eq(r.num_bytes, 100);
	/* an oversize request is clamped to the dataspace */
	ck_assert_ok(rme_attach(m, sub, ds, &(rme_attr_t){ .use_at = 1, .at = 0x4000, .size = 1 << 20 }, &r));
	ck_assert_uint_eq(r.num_bytes, 16384);
	/* no nesting of sub region maps */
	ck_assert_err(tu_attach_at(m, sub, rme_rm_dataspace(m, inner), 0x8000, 0, 0, 1, &at),
	              RME_ERR_INVALID_DATASPACE);
	/* detach only at the exact start */
	ck_assert_ok(rme_detach(m, sub, 0x4001));
	ck_assert_ok(rme_rm_info(m, sub, &info));
	ck_assert_uint_eq(info.regions, 2);
	ck_assert_ok(rme_detach(m, sub, 0x4000));
	ck_assert_ok(rme_rm_info(m, sub, &info));
	ck_assert_uint_eq(info.regions, 1);
	/* a sub region map is attached once only */
	(void)tu_attach_any(m, rme_env(m), rme_rm_dataspace(m, sub), 0, 1);
	ck_assert_err(rme_attach(m, rme_env(m), rme_rm_dataspace(m, sub), NULL, &r),
	              RME_ERR_REGION_CONFLICT);
	/* no fault handler is ever signalled */
	ck_assert_ok(rme_fault_handler(m, rme_env(m)));
	ck_assert_int_eq(acc_read(m, 0x70000000).outcome, RME_ACCESS_UNHANDLED);
	tu_check(m);
	rme_model_destroy(m);
}
END_TEST

START_TEST(linux_region_limit)
{
	rme_model_t *m = model_for(RME_KERNEL_LINUX, 2602);
	rme_cap_t sub = tu_rm(m, 1 << 30), ds = tu_ram(m, 4096);
	rme_addr_t at;

	for (uint64_t i = 0; i < 4096; i++)
		ck_assert_ok(tu_attach_at(m, sub, ds, i * 8192, 0, 0, 1, &at));
	ck_assert_err(tu_attach_at(m, sub, ds, 4096 * 8192, 0, 0, 1, &at), RME_ERR_REGION_CONFLICT);
	ck_assert_ok(rme_detach(m, sub, 0));
	ck_assert_ok(tu_attach_at(m, sub, ds, 4096 * 8192, 0, 0, 1, &at));
	rme_model_destroy(m);
}
END_TEST

static Suite *
genode_suite(void)
{
	Suite *s = suite_create("genode_tests");
	TCase *ported = tcase_create("ported"), *options = tcase_create("options");

	tcase_add_test(ported, sub_rm_core);
	tcase_add_test(ported, sub_rm_base_linux);
	tcase_add_test(ported, rm_nested_part1_faults_populate_the_map);
	tcase_add_test(ported, rm_nested_part2_nested_regions);
	tcase_add_test(ported, rm_fault_read_write_exec);
	tcase_add_test(ported, rm_fault_detach_does_not_wake);
	tcase_add_test(ported, rm_stress_no_stale_mapping);
	tcase_add_test(ported, ds_ownership_foreign_free_is_ignored);
	tcase_add_test(ported, fault_detection_page_zero_is_unmapped);
	tcase_add_test(ported, lx_rmap);
	tcase_add_test(options, before_24_02_freeing_detaches);
	tcase_add_test(options, before_23_08_only_the_leaf_rights_count);
	tcase_add_test(options, unknown_releases_are_refused);
	tcase_add_test(options, cycles_are_refused);
	tcase_add_test(options, layout_regions_conflict_where_genode_has_them);
	tcase_add_test(options, linux_flavour_rules);
	tcase_add_test(options, linux_region_limit);
	tcase_set_timeout(ported, 60);
	tcase_set_timeout(options, 60);
	suite_add_tcase(s, ported);
	suite_add_tcase(s, options);
	return s;
}

int
main(void)
{
	return tu_run(genode_suite());
}
