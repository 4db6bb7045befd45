/*
 * check_designs.c: the claims made on the Genode list in August 2020 about
 * the three mmap designs, each as a figure the model gives (doc/designs.md
 * quotes them): the patch keeps its gap, its fixed dataspaces and its
 * metadata after the last munmap; its metadata lands in the requested
 * range and makes a fixed request fail (with the smallest sequences that
 * show it); Genode's munmap keeps the RAM and the pages stay accessible;
 * the managed area returns to its baseline after every cycle; PROT_NONE
 * costs RAM in both libcs; whether a fixed request works depends on the
 * address-space layout for the patch, while the managed area fails early.
 *
 * The pool's part of each sequence is also in the goldens written by
 * Genode's own code (tests/data/libc-pool-2005-core-fixed.golden,
 * libc-pool-2602-core-zerofill.golden: tests/check_libc_pool.c); here the
 * same places come out of the model of core.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "mmap_libc.h"
#include "mmap_testutil.h"

#define FIXED (ANON_PRIVATE | RME_MAP_FIXED)
#define AREA MT_BASE

static void
dt_setup_on(mt_t *t, const char *policy, rme_kernel_t kernel, uint64_t area_base)
{
	mt_cfg_t c = { .ram = 1ull << 34, .caps = 100000, .base = area_base, .size = 4ull << 30,
	               .kernel = kernel, .policy = policy };
	mt_setup_cfg(t, &c);
}

static void
dt_setup(mt_t *t, const char *policy)
{
	dt_setup_on(t, policy, RME_KERNEL_HW, AREA);
}

/* RAM and capabilities in use since set-up. */
static uint64_t
ram_used(const mt_t *t)
{
	rme_quota_t q;
	tu_quota_held(t->model, &q);
	return q.ram_used - t->after_setup.ram_used;
}

static uint64_t
caps_used(const mt_t *t)
{
	rme_quota_t q;
	tu_quota_held(t->model, &q);
	return q.cap_used - t->after_setup.cap_used;
}

static int
map(mt_t *t, uint64_t addr, uint64_t len, int flags, uint64_t *out)
{
	uint64_t ignored;
	return rme_mmap(t->mm, addr, len, RW, flags, -1, 0, out ? out : &ignored);
}

struct md_in {
	uint64_t start, end, bytes;
};

static int
md_in(void *ctx, uint64_t addr, uint64_t len)
{
	struct md_in *m = ctx;
	uint64_t s = addr > m->start ? addr : m->start, e = addr + len < m->end ? addr + len : m->end;

	if (s < e)
		m->bytes += e - s;
	return 0;
}

/* Bytes of the policy's own metadata in [start, end). */
static uint64_t
metadata_in(mt_t *t, uint64_t start, uint64_t end)
{
	struct md_in m = { start, end, 0 };
	(void)rme_mmap_foreach_metadata(t->mm, md_in, &m);
	return m.bytes;
}

/* ---- D4, D6-D9: the patch keeps the gap, the fixed dataspace and the metadata ---------- */

START_TEST(claim_patch_keeps_gap_fixed_dataspace_and_metadata)
{
	/* the gap of the i-th first request at a new address: the chunk less the page (spec B.4) */
	static const uint64_t gap[4] = { 0x7000, 0xf000, 0x1f000, 0x3f000 };
	uint64_t held = 0;
	rme_mmap_stats_t st;
	libc_t *l;
	mt_t t;

	dt_setup(&t, "libc-alloc-at");
	l = libc_of(t.mm);
	for (int i = 0; i < 4; i++) {
		uint64_t x = AREA + (uint64_t)i * 0x100000, before = l->pool[0].ds_count, at;
		const libc_ds_t *fixed, *g;

		ck_assert_int_eq(map(&t, x, PG, FIXED, &at), 0);
		ck_assert_uint_eq(at, x);
		/* D4: exactly two dataspaces: the gap anywhere, the page exactly at X */
		ck_assert_uint_eq(l->pool[0].ds_count, before + 2);
		fixed = l->pool[0].ds;
		g = fixed->next;
		ck_assert_int_eq(fixed->kind, LIBC_DS_FIXED);
		ck_assert_uint_eq(fixed->at, x);
		ck_assert_uint_eq(fixed->size, PG);
		ck_assert_int_eq(g->kind, LIBC_DS_GAP);
		ck_assert_uint_eq(g->size, gap[i]);
		held += gap[i] + PG;
		ck_assert_int_eq(rme_munmap(t.mm, x, PG), 0);
		/* D6, D9: munmap gives nothing back */
		ck_assert_uint_eq(ram_used(&t), held);
		ck_assert_uint_eq(l->pool[0].ds_count, before + 2);
		if (i > 0) {
			/* D7: with an older hole for its record, the gap is one used block nobody frees */
			plc_block_t *b = plc_used_at(&l->pool[0].alloc, g->at);
			ck_assert_ptr_nonnull(b);
			ck_assert_uint_eq(b->addr, g->at);
			ck_assert_uint_eq(b->size, g->size);
		}
	}
	rme_mmap_stats(t.mm, &st);
	/* all held for nothing mapped: 0x78000 bytes and 8 capabilities (spec B.4, "Cycles") */
	ck_assert_uint_eq(st.vmas, 0);
	ck_assert_uint_eq(st.chunks, 8);
	ck_assert_uint_eq(st.chunk_bytes, 0x78000);
	ck_assert_uint_eq(ram_used(&t), 0x78000);
	ck_assert_uint_eq(caps_used(&t), 8);
	/* D8: the eight records (0x18 bytes each at 20.05) stay */
	ck_assert_uint_ge(st.metadata_bytes, 8 * 0x18);
	printf("patch, 4 cycles at new addresses: %llu dataspaces, 0x%llx bytes of RAM, %llu caps "
	       "and 0x%llx bytes of metadata held for 0 bytes mapped\n",
	       (unsigned long long)st.chunks, (unsigned long long)ram_used(&t),
	       (unsigned long long)caps_used(&t), (unsigned long long)st.metadata_bytes);
	/*
	 * Back to the first address: later records went into its munmapped
	 * page, so it is not wholly free (S1), and it is still attached (S5):
	 * the request fails, and another gap is held (as Genode's code does
	 * it: tests/data/libc-pool-2005-worked9.golden).
	 */
	ck_assert_uint_gt(metadata_in(&t, AREA, AREA + PG), 0);
	ck_assert_int_eq(map(&t, AREA, PG, FIXED, NULL), RME_ENOMEM);
	ck_assert_int_eq(rme_mmap_last_cause(t.mm), RME_MMAP_CAUSE_METADATA_IN_TARGET);
	ck_assert_uint_gt(ram_used(&t), 0x78000);
	mt_teardown(&t);
}
END_TEST

/* ---- D10: the smallest sequences that put metadata into the requested range ------------ */

/*
 * Run 'ordinary' mmaps of a page, then fixed requests of 'size' at
 * x, x + stride, ... until one fails or 'fixed' were made. Returns the
 * number of calls up to and including the failing one, or 0.
 */
static int
patch_sequence(int ordinary, uint64_t x, uint64_t stride, int fixed, uint64_t size,
               rme_mmap_cause_t *cause, uint64_t *md_at_target)
{
	mt_t t;
	int n = 0;

	dt_setup(&t, "libc-alloc-at");
	for (int i = 0; i < ordinary; i++)
		ck_assert_int_eq(map(&t, 0, PG, ANON_PRIVATE, NULL), 0);
	n = ordinary;
	for (int i = 0; i < fixed; i++) {
		uint64_t target = x + (uint64_t)i * stride;
		n++;
		if (map(&t, target, size, FIXED, NULL) != 0) {
			*cause = rme_mmap_last_cause(t.mm);
			*md_at_target = metadata_in(&t, target, target + size);
			mt_teardown(&t);
			return n;
		}
	}
	mt_teardown(&t);
	return 0;
}

START_TEST(claim_metadata_lands_in_the_target_smallest_sequences)
{
	static const uint64_t sizes[] = { PG, 2 * PG, 3 * PG, 4 * PG, 16 * PG, 64 * PG };
	rme_mmap_cause_t cause;
	uint64_t md, best_size = 0;
	int best = 0;

	/*
	 * One fixed page below where core puts the gap (hw places the first
	 * 0x7000 bytes at 0x4000, so 0x2000): its record lands at X at once.
	 */
	ck_assert_int_eq(patch_sequence(0, 0x2000, 0, 1, PG, &cause, &md), 1);
	ck_assert_int_eq(cause, RME_MMAP_CAUSE_METADATA_IN_TARGET);
	ck_assert_uint_eq(md, 0x18);
	ck_assert_int_eq(patch_sequence(0, 0x2000, 0, 1, 2 * PG, &cause, &md), 1);
	ck_assert_int_eq(cause, RME_MMAP_CAUSE_METADATA_IN_TARGET);
	/* three pages reach the gap at 0x4000 instead */
	ck_assert_int_eq(patch_sequence(0, 0x2000, 0, 1, 3 * PG, &cause, &md), 1);
	ck_assert_int_eq(cause, RME_MMAP_CAUSE_GAP_IN_TARGET);

	/*
	 * Above every dataspace of the pool (in the area the traces use):
	 * fixed requests at new addresses 1 MiB apart, after n ordinary pages;
	 * the shortest that fails, over n and the size.
	 */
	for (int n = 0; n <= 120; n++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++) {
			int k = patch_sequence(n, AREA, 0x100000, best ? best - n : 200, sizes[s], &cause, &md);
			if (k && (!best || k < best) && cause == RME_MMAP_CAUSE_METADATA_IN_TARGET) {
				best = k;
				best_size = sizes[s];
			}
		}
		if (best && best <= n + 1)
			break;
	}
	/* the third fixed page at a new address: its record lands in it (Genode's code agrees:
	 * tests/data/libc-pool-2005-core-fixed.golden, with the places asserted below) */
	ck_assert_int_eq(best, 3);
	ck_assert_uint_eq(best_size, PG);
	ck_assert_int_eq(patch_sequence(0, AREA, 0x100000, 3, PG, &cause, &md), 3);
	ck_assert_uint_eq(md, 0x18);
	printf("smallest sequences with the patch's metadata in the requested range: "
	       "mmap(0x2000, 0x1000, MAP_FIXED) in a fresh pool (1 call); above the pool: "
	       "mmap(X + i MiB, 0x%llx, MAP_FIXED) for i = 0, 1, 2 (%d calls)\n",
	       (unsigned long long)best_size, best);
	{
		/* the places of the golden: the gaps at 0x4000, 0x10000, 0x100000 */
		mt_t t;
		const libc_ds_t *d;
		uint64_t want[3] = { 0x100000, 0x10000, 0x4000 }, i = 0;

		dt_setup(&t, "libc-alloc-at");
		for (int k = 0; k < 3; k++)
			(void)map(&t, AREA + (uint64_t)k * 0x100000, PG, FIXED, NULL);
		for (d = libc_of(t.mm)->pool[0].ds; d; d = d->next)
			if (d->kind == LIBC_DS_GAP)
				ck_assert_uint_eq(d->at, want[i++]);
		ck_assert_uint_eq(i, 3);
		mt_teardown(&t);
	}
}
END_TEST

/* ---- D11: Genode's munmap keeps the RAM, and the pages stay accessible ----------------- */

START_TEST(claim_upstream_munmap_keeps_ram_and_pages)
{
	const char *policy = _i ? "libc-alloc-at" : "genode-libc";
	uint64_t a, first, peak;
	mt_t t;

	dt_setup(&t, policy);
	ck_assert_int_eq(map(&t, 0, 0x100000, ANON_PRIVATE, &first), 0);
	mt_poke(&t, first + 0x800, 0x5a);
	peak = ram_used(&t);
	ck_assert_int_eq(rme_munmap(t.mm, first, 0x100000), 0);
	ck_assert_uint_eq(ram_used(&t), peak);
	/* where Linux would fault, the bytes are still there, readable and writable */
	ck_assert_uint_eq(mt_byte(&t, first + 0x800), 0x5a);
	mt_poke(&t, first + 0xfff00, 0x77);
	/* cycles: the block is reused, the RAM never comes back */
	for (int i = 0; i < 16; i++) {
		ck_assert_int_eq(map(&t, 0, 0x100000, ANON_PRIVATE, &a), 0);
		ck_assert_int_eq(rme_munmap(t.mm, a, 0x100000), 0);
		ck_assert_uint_eq(ram_used(&t), peak);
	}
	printf("%s: 16 cycles of 1 MiB: 0x%llx bytes of RAM held after the last munmap, "
	       "the unmapped pages readable\n", policy, (unsigned long long)ram_used(&t));
	ck_assert_uint_gt(peak, 0x100000);
	mt_teardown(&t);
}
END_TEST

/* ---- The managed area returns to its baseline after every cycle --------------------- */

START_TEST(claim_managed_area_returns_to_baseline)
{
	uint64_t a;
	mt_t t;

	dt_setup(&t, "rmemu");
	for (int kind = 0; kind < 3; kind++) {
		for (int i = 0; i < 64; i++) {
			uint64_t x = kind == 0 ? AREA + (uint64_t)i * 0x100000 : kind == 1 ? AREA : 0;
			ck_assert_int_eq(map(&t, x, 0x10000, x ? FIXED : ANON_PRIVATE, &a), 0);
			mt_poke(&t, a, 0x5a);
			ck_assert_uint_gt(ram_used(&t), 0);
			ck_assert_int_eq(rme_munmap(t.mm, a, 0x10000), 0);
			ck_assert_uint_eq(ram_used(&t), 0);
			ck_assert_uint_eq(caps_used(&t), 0);
			ck_assert(!mt_readable(&t, a));
		}
	}
	ck_assert_uint_eq(metadata_in(&t, 0, UINT64_MAX), 0);
	mt_teardown(&t);
}
END_TEST

/* ---- D12: PROT_NONE costs RAM in both libcs ---------------------------------------------- */

START_TEST(claim_prot_none_costs_ram)
{
	static const char *const pol[] = { "genode-libc", "libc-alloc-at", "rmemu" };
	/* 64 MiB + max(4 KiB, 1 KiB) + a slab block + a record, page-aligned (libc_mem_alloc.cc:142-155) */
	static const uint64_t want[] = { 0x4003000, 0x4003000, 0 };
	uint64_t r;
	mt_t t;

	for (int p = 0; p < 3; p++) {
		dt_setup(&t, pol[p]);
		ck_assert_int_eq(rme_mmap(t.mm, 0, 64ull << 20, RME_PROT_NONE,
		                          ANON_PRIVATE | RME_MAP_NORESERVE, -1, 0, &r), 0);
		ck_assert_uint_eq(ram_used(&t), want[p]);
		/* and the reservation is no reservation: it can be written */
		ck_assert_int_eq(mt_readable(&t, r), p < 2);
		mt_teardown(&t);
	}
}
END_TEST

/* ---- D5: the metadata is not separate from the payload ---------------------------------- */

START_TEST(claim_metadata_in_payload_and_zero_fill)
{
	uint64_t a, p, again;
	rme_mmap_stats_t st;
	mt_t t;

	/* designs-spec A.6, with core's places (tests/data/libc-pool-2602-core-zerofill.golden) */
	dt_setup(&t, "genode-libc");
	for (int i = 0; i < 99; i++)
		ck_assert_int_eq(map(&t, 0, PG, ANON_PRIVATE, &a), 0);
	ck_assert_int_eq(map(&t, 0, 5000, ANON_PRIVATE, &p), 0);
	ck_assert_uint_eq(metadata_in(&t, p, p + 2 * PG), 0);
	ck_assert_int_eq(map(&t, 0, PG, ANON_PRIVATE, &a), 0);
	/* the 101st mapping grew the slab: its first pool-hosted block in the tail of p's page */
	ck_assert_uint_eq(metadata_in(&t, p, p + 2 * PG), 0xc78);
	ck_assert_uint_eq(p, 0x16c000);
	ck_assert_int_eq(rme_munmap(t.mm, p, 5000), 0);
	ck_assert_int_eq(map(&t, 0, 5000, ANON_PRIVATE, &again), 0);
	ck_assert_uint_eq(again, p);
	rme_mmap_stats(t.mm, &st);
	/* mmap's bzero of the page-rounded length wipes the slab block's start */
	ck_assert_uint_eq(st.metadata_zeroed, 0xc78);
	mt_teardown(&t);

	dt_setup(&t, "rmemu");
	ck_assert_int_eq(map(&t, 0, 5000, ANON_PRIVATE, &p), 0);
	rme_mmap_stats(t.mm, &st);
	ck_assert_uint_eq(st.metadata_bytes, 0);
	ck_assert_uint_eq(metadata_in(&t, 0, UINT64_MAX), 0);
	mt_teardown(&t);
}
END_TEST

/* ---- D1, D2: fixed requests and the address-space layout --------------------------------- */

START_TEST(claim_fixed_requests_depend_on_the_layout)
{
	/* Go's first arena hint, beyond hw's 2^38 but inside nova's address space */
	const uint64_t go_hint = 0xc000000000ull;
	rme_mmap_config_t cfg;
	rme_mmap_setup_error_t why;
	rme_mmap_t *mm;
	mt_t t;

	dt_setup_on(&t, "libc-alloc-at", RME_KERNEL_HW, AREA);
	ck_assert_int_eq(map(&t, go_hint, 0x10000, FIXED, NULL), RME_ENOMEM);
	ck_assert_int_eq(rme_mmap_last_cause(t.mm), RME_MMAP_CAUSE_TARGET_IN_USE);
	mt_teardown(&t);
	dt_setup_on(&t, "libc-alloc-at", RME_KERNEL_NOVA, AREA);
	ck_assert_int_eq(map(&t, go_hint, 0x10000, FIXED, NULL), 0);
	mt_teardown(&t);

	/* the managed area: the same request works on both once the area is there ... */
	dt_setup_on(&t, "rmemu", RME_KERNEL_NOVA, go_hint);
	ck_assert_int_eq(map(&t, go_hint, 0x10000, FIXED, NULL), 0);
	mt_teardown(&t);
	/* ... and where the layout cannot have it, set-up fails, before any call */
	dt_setup_on(&t, "rmemu", RME_KERNEL_HW, AREA);
	rme_mmap_config_init(&cfg);
	cfg.area_base = go_hint;
	cfg.area_size = 4ull << 30;
	ck_assert_int_eq(rme_mmap_create(&t.pm.prims, &cfg, &mm, &why), RME_ERR_REGION_CONFLICT);
	ck_assert_ptr_nonnull(strstr(why.message, "conflicts with the address space's layout"));
	mt_teardown(&t);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("designs");
	TCase *tc = tcase_create("claims");

	tcase_add_test(tc, claim_patch_keeps_gap_fixed_dataspace_and_metadata);
	tcase_add_test(tc, claim_metadata_lands_in_the_target_smallest_sequences);
	tcase_add_loop_test(tc, claim_upstream_munmap_keeps_ram_and_pages, 0, 2);
	tcase_add_test(tc, claim_managed_area_returns_to_baseline);
	tcase_add_test(tc, claim_prot_none_costs_ram);
	tcase_add_test(tc, claim_metadata_in_payload_and_zero_fill);
	tcase_add_test(tc, claim_fixed_requests_depend_on_the_layout);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
