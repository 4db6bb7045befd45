/*
 * mmap_testutil.h: a fixture for the mmap suites (a model, the layer on
 * it with a counting metadata heap) and helpers that check the layer
 * against the model: accesses, regions, quota.
 */
#ifndef RMEMU_MMAP_TESTUTIL_H
#define RMEMU_MMAP_TESTUTIL_H

#include <stdbool.h>
#include <string.h>

#include "testutil.h"

#define PG ((uint64_t)RME_MMAP_PAGE_SIZE)
#define RW (RME_PROT_READ | RME_PROT_WRITE)
#define ANON_PRIVATE (RME_MAP_PRIVATE | RME_MAP_ANONYMOUS)
#define ANON_SHARED (RME_MAP_SHARED | RME_MAP_ANONYMOUS)

/*
 * An assertion for hot paths. Check records every passing ck_assert with a
 * write to its parent; this one reports only failures.
 */
#define mt_require(C, ...) do { \
	if (!(C)) \
		ck_abort_msg(__VA_ARGS__); \
} while (0)

#define mt_require_ok(X) do { \
	rme_err_t _e = (X); \
	mt_require(_e == RME_OK, "%s is %s", #X, rme_err_name(_e)); \
} while (0)

/* Assert an errno result, naming both values on failure. */
#define ck_assert_errno(X, Y) do { \
	int _x = (X), _y = (Y); \
	ck_assert_msg(_x == _y, "%s is %s, expected %s", #X, rme_errno_name(_x), \
	              rme_errno_name(_y)); \
} while (0)

/*
 * The default test area: 1 GiB at 4 GiB, inside hw/x86_64's [0x2000, 2^38)
 * and above the stack area [0x40000000, 0x50000000).
 */
#define MT_BASE ((uint64_t)0x100000000)
#define MT_SIZE ((uint64_t)1 << 30)

typedef struct mt {
	rme_model_t *model;
	rme_counting_allocator_t heap;
	rme_prims_model_t pm;
	rme_mmap_t *mm;
	rme_quota_t before_setup, after_setup;
} mt_t;

typedef struct mt_cfg {
	uint64_t ram, caps;            /* model quota; 0: 256 MiB, 4000 caps */
	uint64_t base, size;           /* 0: MT_BASE, MT_SIZE */
	uint64_t chunk;                /* 0: the default */
	uint64_t map_count_max;        /* 0: the default */
	rme_kernel_t kernel;
	rme_arch_t arch;
	const char *policy;            /* NULL: rmemu */
} mt_cfg_t;

static inline void
mt_setup_cfg(mt_t *t, const mt_cfg_t *c)
{
	rme_model_config_t mc;
	rme_mmap_config_t cfg;
	rme_mmap_setup_error_t why;
	rme_err_t err;

	memset(t, 0, sizeof(*t));
	rme_model_config_init(&mc);
	mc.ram_quota = c->ram ? c->ram : (uint64_t)256 << 20;
	mc.cap_quota = c->caps ? c->caps : 4000;
	mc.kernel = c->kernel;
	mc.arch = c->arch;
	ck_assert_ok(rme_model_create(&mc, &t->model));
	rme_counting_init(&t->heap, NULL);
	rme_prims_model_init(&t->pm, t->model, &t->heap.iface);
	tu_quota_held(t->model, &t->before_setup);

	rme_mmap_config_init(&cfg);
	cfg.area_base = c->base ? c->base : MT_BASE;
	cfg.area_size = c->size ? c->size : MT_SIZE;
	if (c->chunk)
		cfg.chunk_size = c->chunk;
	if (c->map_count_max)
		cfg.map_count_max = c->map_count_max;
	cfg.policy = c->policy;
	err = rme_mmap_create(&t->pm.prims, &cfg, &t->mm, &why);
	ck_assert_msg(err == RME_OK, "set-up: %s: %s", rme_err_name(err), why.message);
	tu_quota_held(t->model, &t->after_setup);
}

static inline void
mt_setup(mt_t *t, uint64_t chunk, uint64_t map_count_max)
{
	mt_cfg_t c = { .chunk = chunk, .map_count_max = map_count_max };
	mt_setup_cfg(t, &c);
}

static inline void
mt_quota_is(const mt_t *t, const rme_quota_t *want)
{
	rme_quota_t q;

	tu_quota_held(t->model, &q);
	ck_assert_uint_eq(q.ram_used, want->ram_used);
	ck_assert_uint_eq(q.cap_used, want->cap_used);
}

/* Tear down: the quota must be back where it was before set-up, the heap empty. */
static inline void
mt_teardown(mt_t *t)
{
	rme_mmap_destroy(t->mm);
	t->mm = NULL;
	mt_quota_is(t, &t->before_setup);
	ck_assert_uint_eq(t->heap.live_bytes, 0);
	ck_assert_uint_eq(t->heap.live_blocks, 0);
	tu_check(t->model);
	rme_model_destroy(t->model);
}

static inline uint64_t
mt_map(mt_t *t, uint64_t addr, uint64_t len, int prot, int flags)
{
	uint64_t at = 0;
	int rc = rme_mmap(t->mm, addr, len, prot, flags, -1, 0, &at);

	ck_assert_msg(rc == 0, "mmap(%#llx, %#llx, %d, %#x): %s", (unsigned long long)addr,
	              (unsigned long long)len, prot, flags, rme_errno_name(rc));
	return at;
}

/* ---- Accesses through the model ------------------------------------------- */

static inline bool
mt_readable(mt_t *t, uint64_t addr)
{
	rme_access_t a;

	mt_require_ok(rme_read(t->model, addr, &a));
	return a.outcome == RME_ACCESS_DONE;
}

static inline bool
mt_writable(mt_t *t, uint64_t addr, uint8_t byte)
{
	rme_access_t a;

	mt_require_ok(rme_write(t->model, addr, byte, &a));
	return a.outcome == RME_ACCESS_DONE;
}

static inline uint8_t
mt_byte(mt_t *t, uint64_t addr)
{
	rme_access_t a;

	ck_assert_ok(rme_read(t->model, addr, &a));
	ck_assert_msg(a.outcome == RME_ACCESS_DONE, "read at %#llx faults",
	              (unsigned long long)addr);
	return a.byte;
}

static inline void
mt_poke(mt_t *t, uint64_t addr, uint8_t byte)
{
	ck_assert_msg(mt_writable(t, addr, byte), "write at %#llx faults",
	              (unsigned long long)addr);
}

/* ---- The layer against the model ------------------------------------------ */

typedef struct mt_vmas {
	rme_mmap_vma_t v[64];
	unsigned n;
} mt_vmas_t;

static inline int
mt_collect_vma(void *ctx, const rme_mmap_vma_t *v)
{
	mt_vmas_t *vs = ctx;

	ck_assert_uint_lt(vs->n, 64);
	vs->v[vs->n++] = *v;
	return 0;
}

static inline void
mt_vmas(mt_t *t, mt_vmas_t *vs)
{
	vs->n = 0;
	ck_assert_int_eq(rme_mmap_foreach(t->mm, mt_collect_vma, vs), 0);
}

typedef struct mt_regions {
	rme_region_info_t *r;
	uint64_t n, cap;
} mt_regions_t;

static inline int
mt_collect_region(void *ctx, const rme_region_info_t *r)
{
	mt_regions_t *rs = ctx;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 64;
		rs->r = realloc(rs->r, rs->cap * sizeof(*rs->r));
		mt_require(rs->r, "out of memory");
	}
	rs->r[rs->n++] = *r;
	return 0;
}

static inline void
mt_regions(mt_t *t, mt_regions_t *rs)
{
	rme_mmap_stats_t st;

	memset(rs, 0, sizeof(*rs));
	rme_mmap_stats(t->mm, &st);
	mt_require_ok(rme_rm_regions(t->model, st.area_rm, mt_collect_region, rs));
}

typedef struct mt_cross {
	mt_regions_t rs;
	uint64_t next;           /* the next region to match */
	uint64_t base;
} mt_cross_t;

/* Each VMA must be tiled exactly by regions with its rights, or have none if PROT_NONE. */
static inline int
mt_cross_vma(void *ctx, const rme_mmap_vma_t *v)
{
	mt_cross_t *x = ctx;
	uint64_t pos = v->start;

	if (v->prot == RME_PROT_NONE) {
		mt_require(x->next == x->rs.n ||
		              x->base + x->rs.r[x->next].base >= v->start + v->len,
		              "a region lies in the PROT_NONE mapping at %#llx",
		              (unsigned long long)v->start);
		return 0;
	}
	while (pos < v->start + v->len) {
		const rme_region_info_t *r;

		mt_require(x->next < x->rs.n, "no region at %#llx", (unsigned long long)pos);
		r = &x->rs.r[x->next++];
		mt_require(x->base + r->base == pos, "region at %#llx, mapping piece at %#llx",
		           (unsigned long long)(x->base + r->base), (unsigned long long)pos);
		mt_require(r->writeable == ((v->prot & RME_PROT_WRITE) != 0) &&
		           r->executable == ((v->prot & RME_PROT_EXEC) != 0) && !r->reserved,
		           "the region at %#llx has the wrong rights", (unsigned long long)pos);
		pos += r->size;
	}
	mt_require(pos == v->start + v->len, "regions reach beyond the mapping at %#llx",
	           (unsigned long long)v->start);
	return 0;
}

/*
 * Check everything: the layer's own invariants, the model's, and that the
 * area's region map holds exactly the regions the mappings call for.
 */
static inline void
mt_check(mt_t *t)
{
	char msg[256];
	rme_err_t err = rme_mmap_check(t->mm, msg, sizeof(msg));
	rme_mmap_stats_t st;
	mt_cross_t x;

	mt_require(err == RME_OK, "mmap check: %s", msg);
	err = rme_model_check(t->model, msg, sizeof(msg));
	mt_require(err == RME_OK, "model check: %s", msg);
	rme_mmap_stats(t->mm, &st);
	memset(&x, 0, sizeof(x));
	x.base = st.area_base;
	mt_regions(t, &x.rs);
	mt_require(x.rs.n == st.attachments, "%llu regions for %llu attachments",
	           (unsigned long long)x.rs.n, (unsigned long long)st.attachments);
	(void)rme_mmap_foreach(t->mm, mt_cross_vma, &x);
	mt_require(x.next == x.rs.n, "%llu regions lie outside the mappings",
	           (unsigned long long)(x.rs.n - x.next));
	free(x.rs.r);
}

/* The area region map's metadata slab blocks beyond the embedded first one. */
static inline uint64_t
mt_extra_slab_blocks(mt_t *t)
{
	rme_mmap_stats_t st;
	rme_rm_info_t info;

	rme_mmap_stats(t->mm, &st);
	ck_assert_ok(rme_rm_info(t->model, st.area_rm, &info));
	return info.slab_blocks - 1;
}

#endif
