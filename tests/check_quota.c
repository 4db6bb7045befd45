/*
 * check_quota.c: RAM and capability quota (R7 and §3.2): what RAM
 * dataspaces, region maps and their metadata cost, what comes back, and
 * that every failure, of quota or of host memory, leaves the model as it was.
 */
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#include "costs.h"
#include "model_internal.h"

static void
quota_is(const rme_model_t *m, uint64_t ram, uint64_t caps)
{
	rme_quota_t q;

	rme_quota(m, &q);
	ck_assert_uint_eq(q.ram_used, ram);
	ck_assert_uint_eq(q.cap_used, caps);
}

/* The same, less what sits in the RM session. */
static void
held_is(const rme_model_t *m, uint64_t ram, uint64_t caps)
{
	rme_quota_t q;

	tu_quota_held(m, &q);
	ck_assert_uint_eq(q.ram_used, ram);
	ck_assert_uint_eq(q.cap_used, caps);
}

/*
 * What opening the RM session for a first region map costs the PD: the
 * donation, and 2 caps more, because core keeps both donated caps.
 */
#define OPEN_RAM  COST_RM_SESSION_RAM
#define OPEN_CAPS (COST_RM_SESSION_CAPS + COST_RM_SESSION_UPGRADE_CAPS)

START_TEST(r7_ram_alloc_costs_rounded_size_and_a_cap)
{
	rme_model_t *m = tu_model(1 << 20, 10);
	rme_cap_t ds;

	ck_assert_ok(rme_ram_alloc(m, 1, &ds));
	ck_assert_uint_eq(rme_ds_size(m, ds), 4096);
	quota_is(m, 4096, 1);
	ck_assert_ok(rme_ram_alloc(m, 8193, &ds));
	ck_assert_uint_eq(rme_ds_size(m, ds), 12288);
	quota_is(m, 16384, 2);
	tu_check(m);
	rme_model_destroy(m);
}
END_TEST

START_TEST(r7_ram_alloc_needs_a_page_of_headroom)
{
	rme_model_t *m = tu_model(65536, 10);
	rme_cap_t ds;

	/* 60 KiB + 4 KiB headroom = exactly the quota */
	ck_assert_err(rme_ram_alloc(m, 61441, &ds), RME_ERR_OUT_OF_RAM);
	ck_assert_uint_eq(ds, 0);
	quota_is(m, 0, 0);
	ck_assert_ok(rme_ram_alloc(m, 61440, &ds));
	quota_is(m, 61440, 1);
	/* 4 KiB are left, but a page needs 8 KiB */
	ck_assert_err(rme_ram_alloc(m, 1, &ds), RME_ERR_OUT_OF_RAM);
	quota_is(m, 61440, 1);
	/* a size whose rounding overflows */
	ck_assert_err(rme_ram_alloc(m, UINT64_MAX, &ds), RME_ERR_OUT_OF_RAM);
	rme_model_destroy(m);
}
END_TEST

START_TEST(r7_ram_alloc_of_zero_is_denied)
{
	rme_model_t *m = tu_model(1 << 20, 10);
	rme_cap_t ds;

	ck_assert_err(rme_ram_alloc(m, 0, &ds), RME_ERR_DENIED);
	quota_is(m, 0, 0);
	rme_model_destroy(m);
}
END_TEST

START_TEST(r7_caps_run_out_ram_is_checked_first)
{
	rme_model_t *m = tu_model(65536, 2);
	rme_cap_t ds;

	ck_assert_ok(rme_ram_alloc(m, 4096, &ds));
	ck_assert_ok(rme_ram_alloc(m, 4096, &ds));
	ck_assert_err(rme_ram_alloc(m, 4096, &ds), RME_ERR_OUT_OF_CAPS);
	/* with both exhausted, core reports the RAM */
	ck_assert_err(rme_ram_alloc(m, 60000, &ds), RME_ERR_OUT_OF_RAM);
	quota_is(m, 8192, 2);
	rme_model_destroy(m);
}
END_TEST

START_TEST(r7_free_returns_both_and_ignores_foreign)
{
	rme_model_t *m = tu_model(1 << 20, 10);
	rme_cap_t ds = tu_ram(m, 10000), rm = tu_rm(m, 4096), rom;

	ck_assert_ok(rme_rom_create(m, NULL, 4096, &rom));
	quota_is(m, 12288 + OPEN_RAM, 1 + OPEN_CAPS);
	/* a managed dataspace, a ROM, a bogus capability: not RAM of this PD */
	ck_assert_ok(rme_ram_free(m, rme_rm_dataspace(m, rm)));
	ck_assert_ok(rme_ram_free(m, rom));
	ck_assert_ok(rme_ram_free(m, 0xdeadbeef));
	quota_is(m, 12288 + OPEN_RAM, 1 + OPEN_CAPS);
	ck_assert_ok(rme_ram_free(m, ds));
	quota_is(m, OPEN_RAM, OPEN_CAPS);
	/* freeing twice is like freeing a foreign one */
	ck_assert_ok(rme_ram_free(m, ds));
	quota_is(m, OPEN_RAM, OPEN_CAPS);
	ck_assert_uint_ne(rme_ds_size(m, rom), 0);
	tu_check(m);
	rme_model_destroy(m);
}
END_TEST

/* A model with the given quota on a kernel (hw or linux). */
static rme_model_t *
model_on(rme_kernel_t kernel, uint64_t ram, uint64_t caps)
{
	rme_model_config_t cfg;
	rme_model_t *m = NULL;

	rme_model_config_init(&cfg);
	cfg.kernel = kernel;
	cfg.ram_quota = ram;
	cfg.cap_quota = caps;
	ck_assert_ok(rme_model_create(&cfg, &m));
	return m;
}

/*
 * Core's slab of dataspace metadata, as measured on a fresh PD
 * (tests/traces/genode/hw_ds_slab.trace, linux_ds_slab.trace): its first
 * block is embedded; a page and a cap more at the 14th dataspace on
 * base-hw (16 entries a block, grown when 3 are free), the 13th on
 * base-linux (15), and every 16th / 15th after.
 */
START_TEST(ds_slab_grows_at_measured_points)
{
	static const struct { rme_kernel_t kernel; unsigned first, every; } k[] = {
		{ RME_KERNEL_HW, 14, 16 }, { RME_KERNEL_LINUX, 13, 15 },
	};

	for (unsigned i = 0; i < 2; i++) {
		rme_model_t *m = model_on(k[i].kernel, 16 << 20, 1000);
		rme_cap_t ds;
		uint64_t blocks = 0;

		for (unsigned n = 1; n <= 60; n++) {
			ck_assert_ok(rme_ram_alloc(m, 4096, &ds));
			if (n >= k[i].first && (n - k[i].first) % k[i].every == 0)
				blocks++;
			quota_is(m, (n + blocks) * 4096, n + blocks);
		}
		tu_check(m);
		rme_model_destroy(m);
	}
}
END_TEST

/*
 * Freed entries give blocks back only when a block is empty and more than
 * two blocks' worth are free: at most two blocks stay when everything is
 * freed, and map/unmap cycles cost nothing more, however many.
 */
START_TEST(ds_slab_is_bounded_by_two_blocks)
{
	rme_model_t *m = tu_model(16 << 20, 1000);
	rme_model_stats_t st;
	rme_cap_t ds[100];

	for (unsigned cycle = 0; cycle < 1000; cycle++) {
		unsigned n = 1 + cycle % 100;

		for (unsigned i = 0; i < n; i++)
			ck_assert_ok(rme_ram_alloc(m, 4096, &ds[i]));
		/* in order, in reverse, or odd ones first */
		for (unsigned i = 0; i < n; i++) {
			unsigned j = cycle % 3 == 0 ? i : cycle % 3 == 1 ? n - 1 - i
			           : (2 * i + 1 < n ? 2 * i + 1 : 2 * (i - n / 2));
			ck_assert_ok(rme_ram_free(m, ds[j]));
		}
		rme_model_stats(m, &st);
		ck_assert_uint_le(st.ds_md_ram, 2 * 4096);
		quota_is(m, st.ds_md_ram, st.ds_md_caps);
		tu_check(m);
	}
	/* 100 live dataspaces took 6 blocks; all freed, two stay */
	rme_model_stats(m, &st);
	ck_assert_uint_eq(st.ds_md_ram, 2 * 4096);
	ck_assert_uint_eq(st.ds_md_caps, 2);
	rme_model_teardown(m);
	quota_is(m, 0, 0);
	rme_model_destroy(m);
}
END_TEST

/*
 * Core's slab walked as slab.cc walks it (Slab::try_alloc, _insert_sb,
 * _free_curr_sb, _release_backing_store): a ring of blocks, each its count
 * of free entries. The model finds the same block without the walk
 * (ds_slab.c's index); this is the walk, to compare with.
 */
enum { REF_MAX = 4096, REF_NONE = -1 };
struct ref_slab {
	int next[REF_MAX], prev[REF_MAX], avail[REF_MAX];
	int curr, blocks, total, entries, slots;
};

static void
ref_insert(struct ref_slab *r, int i)
{
	r->avail[i] = r->entries;
	if (r->curr == REF_NONE) {
		r->next[i] = r->prev[i] = i;
		r->curr = i;
	} else {
		r->prev[i] = r->curr;
		r->next[i] = r->next[r->curr];
		r->prev[r->next[r->curr]] = i;
		r->next[r->curr] = i;
	}
	r->total += r->entries;
	r->blocks++;
}

/* The block the allocation takes; *grew: a block was added for it (its slot). */
static int
ref_alloc(struct ref_slab *r, int *grew)
{
	int orig;

	*grew = REF_NONE;
	if (r->curr == REF_NONE)
		ref_insert(r, r->slots++);
	if (r->total <= COST_DS_SLAB_GROW_AT) {
		*grew = r->slots++;
		ck_assert_int_lt(*grew, REF_MAX);
		ref_insert(r, *grew);
	}
	for (orig = r->curr; r->avail[r->curr] == 0 && r->next[r->curr] != orig;)
		r->curr = r->next[r->curr];
	r->avail[r->curr]--;
	r->total--;
	return r->curr;
}

/* Free an entry of block b; returns the number of blocks released. */
static int
ref_free(struct ref_slab *r, int b)
{
	int released = 0;

	r->avail[b]++;
	r->total++;
	r->curr = b;
	while (r->total > 2 * r->entries && r->blocks > 1 && r->avail[r->curr] == r->entries) {
		int i = r->curr;
		r->curr = r->next[i];
		r->next[r->prev[i]] = r->next[i];
		r->prev[r->next[i]] = r->prev[i];
		r->total -= r->avail[i];
		r->blocks--;
		released++;
	}
	return released;
}

START_TEST(ds_slab_takes_the_block_core_walks_to)
{
	enum { LIVE_MAX = 3000, STEPS = 60000 };
	static struct ref_slab r;
	static rme_cap_t caps[LIVE_MAX];
	static int ref_block[LIVE_MAX];
	static uint32_t model_of_ref[REF_MAX];
	rme_model_t *m = tu_model(1ULL << 40, 1ULL << 30);
	uint64_t seed = 77, compared = 0;
	unsigned live = 0;

	memset(&r, 0, sizeof(r));
	r.curr = REF_NONE;
	r.entries = COST_DS_SLAB_ENTRIES;
	for (unsigned step = 0; step < STEPS; step++) {
		uint64_t x = tu_rand(&seed);
		/* phases that fill and phases that drain, so that runs of full blocks form */
		bool fill = (step / 5000) % 2 == 0 ? x % 8 < 6 : x % 8 < 2;

		if (live < LIVE_MAX && (fill || live == 0)) {
			int grew, b;
			const struct ds *ds;

			ck_assert_ok(rme_ram_alloc(m, 4096, &caps[live]));
			ds = ds_of(m, caps[live]);
			b = ref_alloc(&r, &grew);
			if (step == 0)
				model_of_ref[0] = ds->slab_block;   /* the embedded block */
			if (grew != REF_NONE) {
				/* the new block: the model's is the one the allocation took, if that */
				if (b == grew)
					model_of_ref[grew] = ds->slab_block;
				else
					model_of_ref[grew] = m->ds_slab.blocks[m->ds_slab.curr].next;
			}
			ck_assert_msg(ds->slab_block == model_of_ref[b],
			              "step %u: the model took block %u, core's walk block %d (model %u)",
			              step, ds->slab_block, b, model_of_ref[b]);
			ref_block[live++] = b;
			compared++;
		} else {
			unsigned k = (unsigned)(tu_rand(&seed) % live);

			ck_assert_ok(rme_ram_free(m, caps[k]));
			ref_free(&r, ref_block[k]);
			caps[k] = caps[live - 1];
			ref_block[k] = ref_block[live - 1];
			live--;
		}
		ck_assert_uint_eq(m->ds_slab.num_blocks, (uint64_t)r.blocks);
		ck_assert_uint_eq(m->ds_slab.total_avail, (uint64_t)r.total);
		if (step % 997 == 0)
			tu_check(m);
	}
	printf("core's slab: %llu allocations, each in the block core's walk takes\n",
	       (unsigned long long)compared);
	ck_assert_uint_gt(compared, 10000);
	tu_check(m);
	rme_model_destroy(m);
}
END_TEST

/*
 * When the slab must grow and the PD has no capability for its block,
 * Genode 26.02 fails the allocation with OUT_OF_CAPS and keeps the page
 * and the capability it had reserved for the dataspace: they come back
 * only when the PD closes (teardown).
 */
START_TEST(ds_slab_growth_without_a_cap_keeps_the_reservation)
{
	rme_model_t *m = tu_model(1 << 20, 14);
	rme_cap_t ds;

	for (unsigned n = 1; n <= 13; n++)
		ck_assert_ok(rme_ram_alloc(m, 4096, &ds));
	quota_is(m, 13 * 4096, 13);
	/* the 14th needs a cap for itself and one for the slab's block: one is left */
	ck_assert_err(rme_ram_alloc(m, 4096, &ds), RME_ERR_OUT_OF_CAPS);
	ck_assert_uint_eq(ds, 0);
	quota_is(m, 14 * 4096, 14);
	tu_check(m);
	/* nothing left at all now */
	ck_assert_err(rme_ram_alloc(m, 4096, &ds), RME_ERR_OUT_OF_CAPS);
	quota_is(m, 14 * 4096, 14);
	rme_model_teardown(m);
	quota_is(m, 0, 0);
	rme_model_destroy(m);
}
END_TEST

START_TEST(rm_create_costs_and_destroy_returns)
{
	rme_model_t *m = tu_model(1 << 20, 20);
	rme_model_stats_t st;
	rme_cap_t rms[10], c;

	/*
	 * The pattern measured on base-hw (tests/traces/genode/hw_quota.trace):
	 * the first map opens the session and needs 2 caps more; the session's
	 * 56 KiB hold four maps of 12 KiB; from then on, 8 KiB steps and a
	 * 2-cap step every other map.
	 */
	ck_assert_ok(rme_rm_create(m, 1 << 20, &rms[0]));
	quota_is(m, 0x10000, 4);
	ck_assert_ok(rme_rm_create(m, 1 << 20, &rms[1]));
	quota_is(m, 0x10000, 4);
	ck_assert_ok(rme_rm_create(m, 1 << 20, &rms[2]));
	quota_is(m, 0x10000, 6);
	ck_assert_ok(rme_rm_create(m, 1 << 20, &rms[3]));
	quota_is(m, 0x10000, 6);
	ck_assert_ok(rme_rm_create(m, 1 << 20, &rms[4]));
	quota_is(m, 0x12000, 8);
	ck_assert_ok(rme_rm_create(m, 1 << 20, &rms[5]));
	quota_is(m, 0x14000, 8);
	ck_assert_ok(rme_rm_create(m, 1 << 20, &rms[6]));
	quota_is(m, 0x18000, 10);
	/* destroying gives back to the session, not to the PD */
	for (int i = 0; i < 7; i++)
		ck_assert_ok(rme_rm_destroy(m, rms[i]));
	quota_is(m, 0x18000, 10);
	held_is(m, 0, 0);
	rme_model_stats(m, &st);
	ck_assert_uint_eq(st.rm_session_ram, 0x18000);
	ck_assert_uint_eq(st.rm_session_caps, 10);
	/* ... where the next maps find room */
	for (int i = 0; i < 7; i++)
		ck_assert_ok(rme_rm_create(m, 1 << 20, &rms[i]));
	quota_is(m, 0x18000, 10);
	/* a destroyed map's capabilities are dead */
	ck_assert_ok(rme_rm_destroy(m, rms[0]));
	ck_assert_err(rme_rm_destroy(m, rms[0]), RME_ERR_INVALID_ARGUMENT);
	ck_assert_uint_eq(rme_rm_dataspace(m, rms[0]), 0);
	tu_check(m);
	/* closing the session (tear-down) gives the PD everything back */
	rme_model_teardown(m);
	quota_is(m, 0, 0);
	rme_model_destroy(m);

	/* a PD that cannot fund the session (or an upgrade) gets nothing done */
	m = tu_model(0x10000 - 1, 20);
	ck_assert_err(rme_rm_create(m, 4096, &c), RME_ERR_OUT_OF_RAM);
	ck_assert_uint_eq(c, 0);
	quota_is(m, 0, 0);
	rme_model_stats(m, &st);
	ck_assert_uint_eq(st.rm_session_ram, 0);
	rme_model_destroy(m);
	m = tu_model(1 << 20, 3);
	ck_assert_err(rme_rm_create(m, 4096, &c), RME_ERR_OUT_OF_CAPS);
	quota_is(m, 0, 0);
	rme_model_destroy(m);
	m = tu_model(0x10000, 20);
	for (int i = 0; i < 4; i++)
		ck_assert_ok(rme_rm_create(m, 4096, &rms[i]));
	{
		uint64_t digest = rme_model_digest(m);
		ck_assert_err(rme_rm_create(m, 4096, &c), RME_ERR_OUT_OF_RAM);
		ck_assert_uint_eq(rme_model_digest(m), digest);
	}
	tu_check(m);
	rme_model_destroy(m);
}
END_TEST

/* Attach 4 KiB regions one after the other from address 0 until the slab grows. */
static unsigned
attach_until_slab_grows(rme_model_t *m, rme_cap_t rm, rme_cap_t ds, rme_err_t *last)
{
	rme_rm_info_t info;
	unsigned n = 0;

	for (;;) {
		*last = tu_attach_at(m, rm, ds, (uint64_t)n * 4096, 0, 0, 1, NULL);
		if (*last != RME_OK)
			return n;
		n++;
		ck_assert_ok(rme_rm_info(m, rm, &info));
		if (info.slab_blocks > 1)
			return n;
	}
}

START_TEST(metadata_slab_grows_at_core_threshold)
{
	rme_model_t *m = tu_model(1 << 20, 100);
	rme_cap_t rm = tu_rm(m, 1 << 20), ds = tu_ram(m, 4096);
	rme_err_t last;
	unsigned n = attach_until_slab_grows(m, rm, ds, &last);

	/*
	 * The map's free range takes one entry of 59; each attach at the end of
	 * the used part needs two entries up front and leaves one more in use.
	 * The slab grows when an allocation finds no more than three free: the
	 * 55th attach finds four for its first entry and three for its second.
	 */
	ck_assert_err(last, RME_OK);
	ck_assert_uint_eq(n, 55);
	/* the block comes from the RM session, which had room for it: the PD sees nothing */
	quota_is(m, OPEN_RAM + 4096, OPEN_CAPS + 1);
	held_is(m, 4096, 1);
	tu_check(m);

	/* detaching everything keeps the slab block (core keeps up to two spare) */
	for (unsigned i = 0; i < n; i++)
		ck_assert_ok(rme_detach(m, rm, (uint64_t)i * 4096));
	{
		rme_rm_info_t info;
		ck_assert_ok(rme_rm_info(m, rm, &info));
		ck_assert_uint_eq(info.slab_blocks, 2);
	}
	/* destroying the map returns all of it to the session */
	ck_assert_ok(rme_rm_destroy(m, rm));
	quota_is(m, OPEN_RAM + 4096, OPEN_CAPS + 1);
	held_is(m, 4096, 1);
	tu_check(m);
	rme_model_destroy(m);
}
END_TEST

/*
 * Region maps of the RM session take their metadata from the session;
 * once it ran short, every 59 entries cost the PD an 8 KiB step and every
 * other block a 2-cap step (measured on base-hw: 400 attaches with gaps,
 * two entries each, in tests/traces/genode/hw_quota.trace).
 */
START_TEST(metadata_of_session_maps_comes_in_upgrade_steps)
{
	rme_model_t *m = tu_model(8 << 20, 200);
	rme_cap_t rm, ds;
	rme_quota_t q;
	unsigned steps = 0, cap_steps = 0;

	/* use up the session's first 56 KiB and its caps, as in the measurement */
	for (int i = 0; i < 32; i++)
		(void)tu_rm(m, 1 << 20);
	rm = tu_rm(m, 1 << 30);
	ds = tu_ram(m, 4096);
	for (unsigned k = 0; k < 400; k++) {
		rme_quota_t before;
		rme_quota(m, &before);
		ck_assert_ok(tu_attach_at(m, rm, ds, (uint64_t)k * 0x2000, 0, 0, 1, NULL));
		rme_quota(m, &q);
		if (q.ram_used != before.ram_used) {
			ck_assert_uint_eq(q.ram_used - before.ram_used, COST_RM_SESSION_UPGRADE_RAM);
			steps++;
		}
		if (q.cap_used != before.cap_used) {
			ck_assert_uint_eq(q.cap_used - before.cap_used, COST_RM_SESSION_UPGRADE_CAPS);
			cap_steps++;
		}
	}
	/* 801 entries: 13 more blocks of 59; the first takes the cap left in the session */
	ck_assert_uint_eq(steps, 13);
	ck_assert_uint_eq(cap_steps, 6);
	tu_check(m);
	rme_model_destroy(m);
}
END_TEST

/* Everything a test can observe of a region map, to compare before and after. */
struct rm_snapshot {
	uint64_t digest;
	rme_quota_t quota;
	rme_rm_info_t info;
	rme_region_info_t regions[128];
	unsigned n;
};

static int
collect_region(void *ctx, const rme_region_info_t *r)
{
	struct rm_snapshot *s = ctx;
	if (s->n < 128)
		s->regions[s->n++] = *r;
	return 0;
}

static void
snapshot(const rme_model_t *m, rme_cap_t rm, struct rm_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->digest = rme_model_digest(m);
	rme_quota(m, &s->quota);
	ck_assert_ok(rme_rm_info(m, rm, &s->info));
	ck_assert_ok(rme_rm_regions(m, rm, collect_region, s));
}

static void
same_snapshot(const struct rm_snapshot *a, const struct rm_snapshot *b)
{
	ck_assert_uint_eq(a->digest, b->digest);
	ck_assert_mem_eq(&a->quota, &b->quota, sizeof(a->quota));
	ck_assert_mem_eq(&a->info, &b->info, sizeof(a->info));
	ck_assert_uint_eq(a->n, b->n);
	ck_assert_mem_eq(a->regions, b->regions, a->n * sizeof(*a->regions));
}

START_TEST(attach_out_of_metadata_quota_changes_nothing)
{
	/*
	 * The maps before the last use up the session; the PD has exactly
	 * enough for the dataspace (and its headroom) but not for the step
	 * the 55th attach's slab block needs.
	 */
	static const struct { unsigned maps; uint64_t ram, caps; rme_err_t err; } cases[] = {
		/* 5 maps: 4 KiB and a cap left in the session, 8 KiB needed */
		{ 5, 0x12000 + 4096 + 4096, 100, RME_ERR_OUT_OF_RAM },
		/* 4 maps: 8 KiB and no cap left, a 2-cap step needed */
		{ 4, 1 << 20, 6 + 1, RME_ERR_OUT_OF_CAPS },
	};
	for (unsigned i = 0; i < 2; i++) {
		rme_model_t *m = tu_model(cases[i].ram, cases[i].caps);
		rme_cap_t rm = 0, ds;
		struct rm_snapshot before, after;
		rme_err_t last;
		unsigned n;

		for (unsigned k = 0; k < cases[i].maps; k++)
			rm = tu_rm(m, 1 << 20);
		ds = tu_ram(m, 4096);
		n = attach_until_slab_grows(m, rm, ds, &last);
		ck_assert_uint_eq(n, 54);
		ck_assert_err(last, cases[i].err);
		snapshot(m, rm, &before);
		ck_assert_err(tu_attach_at(m, rm, ds, 54 * 4096, 0, 0, 1, NULL), cases[i].err);
		ck_assert_err(rme_attach(m, rm, ds, NULL, NULL), cases[i].err);
		snapshot(m, rm, &after);
		same_snapshot(&before, &after);
		ck_assert_uint_eq(after.info.regions, 54);
		tu_check(m);
		rme_model_destroy(m);
	}
}
END_TEST

START_TEST(digest_follows_every_change)
{
	rme_model_t *m = tu_model(1 << 20, 100);
	rme_cap_t rm = tu_rm(m, 1 << 20), ds = tu_ram(m, 8192);
	uint64_t seen[8];
	unsigned n = 0;
	uint8_t byte = 1;

	seen[n++] = rme_model_digest(m);
	ck_assert_ok(tu_attach_at(m, rm, ds, 0x1000, 0, 0, 1, NULL));
	seen[n++] = rme_model_digest(m);
	ck_assert_ok(rme_ds_write(m, ds, 4097, &byte, 1));            /* content */
	seen[n++] = rme_model_digest(m);
	ck_assert_ok(rme_fault_handler(m, rm));                      /* a handler */
	seen[n++] = rme_model_digest(m);
	ck_assert_ok(rme_detach(m, rm, 0x1000));                     /* tree shape */
	seen[n++] = rme_model_digest(m);
	ck_assert_ok(tu_attach_at(m, rm, ds, 0x1000, 0, 0, 0, NULL)); /* rights */
	seen[n++] = rme_model_digest(m);
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++)
			ck_assert_uint_ne(seen[i], seen[j]);
	/* and it is a function of the state: the same again gives the same */
	ck_assert_ok(rme_detach(m, rm, 0x1000));
	ck_assert_uint_eq(rme_model_digest(m), seen[4]);
	rme_model_destroy(m);
}
END_TEST

START_TEST(teardown_returns_every_byte)
{
	rme_model_t *m = tu_model(256 << 20, 1000);
	rme_cap_t rms[4], dss[32];
	uint64_t seed = 42;

	for (int i = 0; i < 4; i++)
		rms[i] = tu_rm(m, 64 << 20);
	for (int i = 0; i < 32; i++)
		dss[i] = tu_ram(m, 4096 * (1 + tu_rand(&seed) % 16));
	for (int i = 1; i < 4; i++)
		(void)tu_attach_any(m, rms[i - 1], rme_rm_dataspace(m, rms[i]), 16 << 20, 1);
	(void)tu_attach_any(m, rme_env(m), rme_rm_dataspace(m, rms[0]), 0, 1);
	for (int i = 0; i < 400; i++)
		(void)tu_attach_any(m, rms[i % 4], dss[i % 32], 0, 1);
	tu_check(m);
	for (int i = 0; i < 4; i++)
		ck_assert_ok(rme_rm_destroy(m, rms[i]));
	for (int i = 0; i < 32; i++)
		ck_assert_ok(rme_ram_free(m, dss[i]));
	/* the reserved region in env is the last thing held; it costs no quota */
	held_is(m, 0, 0);
	tu_check(m);
	/* and closing the RM session returns what it was given */
	rme_model_teardown(m);
	quota_is(m, 0, 0);
	rme_model_destroy(m);
}
END_TEST

/* ---- Host allocation failures ------------------------------------------------------ */

/* One kind of operation against a prepared model; returns its error. */
typedef rme_err_t (*op_fn)(rme_model_t *m, rme_cap_t rm, rme_cap_t ds);

static rme_err_t op_ram_alloc(rme_model_t *m, rme_cap_t rm, rme_cap_t ds)
{ rme_cap_t c; (void)rm; (void)ds; return rme_ram_alloc(m, 4096, &c); }
static rme_err_t op_rm_create(rme_model_t *m, rme_cap_t rm, rme_cap_t ds)
{ rme_cap_t c; (void)rm; (void)ds; return rme_rm_create(m, 1 << 20, &c); }
static rme_err_t op_attach(rme_model_t *m, rme_cap_t rm, rme_cap_t ds)
{ return rme_attach(m, rm, ds, NULL, NULL); }
static rme_err_t op_detach(rme_model_t *m, rme_cap_t rm, rme_cap_t ds)
{ (void)ds; return rme_detach(m, rm, 0x3000); }
static rme_err_t op_write(rme_model_t *m, rme_cap_t rm, rme_cap_t ds)
{ rme_access_t a; (void)rm; (void)ds; return rme_write(m, 0x70003000, 1, &a); }

START_TEST(host_allocation_failure_changes_nothing)
{
	static const op_fn ops[] = { op_ram_alloc, op_rm_create, op_attach, op_detach, op_write };
	static const char *const names[] = { "ram_alloc", "rm_create", "attach", "detach", "write" };
	unsigned points = 0;

	for (unsigned o = 0; o < sizeof(ops) / sizeof(*ops); o++) {
		unsigned op_points = 0;

		for (int persist = 0; persist < 2; persist++) {
			for (uint64_t n = 1;; n++) {
				rme_counting_allocator_t ca;
				rme_model_config_t cfg;
				struct rm_snapshot before, after;
				rme_model_t *m;
				rme_cap_t rm, ds;
				rme_err_t err;

				rme_counting_init(&ca, NULL);
				rme_model_config_init(&cfg);
				cfg.allocator = &ca.iface;
				ck_assert_ok(rme_model_create(&cfg, &m));
				rm = tu_rm(m, 1 << 20);
				ds = tu_ram(m, 4096);
				ck_assert_ok(tu_attach_at(m, rme_env(m), rme_rm_dataspace(m, rm),
				                          0x70000000, 0, 0, 1, NULL));
				ck_assert_ok(tu_attach_at(m, rm, ds, 0x3000, 0, 0, 1, NULL));
				snapshot(m, rm, &before);

				rme_counting_fail(&ca, n, persist);
				err = ops[o](m, rm, ds);
				rme_counting_fail(&ca, 0, 0);
				if (err == RME_OK) {
					tu_check(m);
					rme_model_destroy(m);
					ck_assert_uint_eq(ca.live_bytes, 0);
					break;
				}
				points++;
				op_points++;
				ck_assert_err(err, RME_ERR_HOST_NO_MEMORY);
				snapshot(m, rm, &after);
				same_snapshot(&before, &after);
				tu_check(m);
				rme_model_destroy(m);
				ck_assert_uint_eq(ca.live_bytes, 0);
				ck_assert_uint_eq(ca.live_blocks, 0);
			}
		}
		printf("host allocation failures injected into %s: %u (once and persistent), "
		       "state unchanged and nothing leaked after each\n", names[o], op_points);
	}
	/* the loop must have met failures, or it proved nothing */
	ck_assert_uint_gt(points, 5);
}
END_TEST

START_TEST(model_create_survives_allocation_failure)
{
	for (uint64_t n = 1;; n++) {
		rme_counting_allocator_t ca;
		rme_model_config_t cfg;
		rme_model_t *m = NULL;
		rme_err_t err;

		rme_counting_init(&ca, NULL);
		rme_model_config_init(&cfg);
		cfg.allocator = &ca.iface;
		rme_counting_fail(&ca, n, 0);
		err = rme_model_create(&cfg, &m);
		if (err == RME_OK) {
			ck_assert_uint_gt(n, 1);
			rme_model_destroy(m);
			ck_assert_uint_eq(ca.live_bytes, 0);
			break;
		}
		ck_assert_err(err, RME_ERR_HOST_NO_MEMORY);
		ck_assert_ptr_null(m);
		ck_assert_uint_eq(ca.live_bytes, 0);
	}
}
END_TEST

static Suite *
quota_suite(void)
{
	Suite *s = suite_create("quota");
	TCase *r7 = tcase_create("R7_ram"), *rm = tcase_create("region_maps"),
	      *fail = tcase_create("failures");

	tcase_add_test(r7, r7_ram_alloc_costs_rounded_size_and_a_cap);
	tcase_add_test(r7, r7_ram_alloc_needs_a_page_of_headroom);
	tcase_add_test(r7, r7_ram_alloc_of_zero_is_denied);
	tcase_add_test(r7, r7_caps_run_out_ram_is_checked_first);
	tcase_add_test(r7, r7_free_returns_both_and_ignores_foreign);
	tcase_add_test(r7, ds_slab_grows_at_measured_points);
	tcase_add_test(r7, ds_slab_is_bounded_by_two_blocks);
	tcase_add_test(r7, ds_slab_growth_without_a_cap_keeps_the_reservation);
	tcase_add_test(r7, ds_slab_takes_the_block_core_walks_to);
	tcase_add_test(rm, rm_create_costs_and_destroy_returns);
	tcase_add_test(rm, metadata_slab_grows_at_core_threshold);
	tcase_add_test(rm, metadata_of_session_maps_comes_in_upgrade_steps);
	tcase_add_test(rm, attach_out_of_metadata_quota_changes_nothing);
	tcase_add_test(rm, teardown_returns_every_byte);
	tcase_add_test(rm, digest_follows_every_change);
	tcase_add_test(fail, host_allocation_failure_changes_nothing);
	tcase_add_test(fail, model_create_survives_allocation_failure);
	tcase_set_timeout(fail, 60);
	suite_add_tcase(s, r7);
	suite_add_tcase(s, rm);
	suite_add_tcase(s, fail);
	return s;
}

int
main(void)
{
	return tu_run(quota_suite());
}
