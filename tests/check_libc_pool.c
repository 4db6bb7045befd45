/*
 * check_libc_pool.c: the libc policies' pool (src/mmap/mmap_libc_pool.c,
 * with placement.c's tree and placement_hosted.c's slab) against Genode's
 * own Libc::Mem_alloc_impl, operation for operation: the golden files
 * tests/data/libc-pool-*.golden were written by Genode's libc_mem_alloc.cc,
 * allocator_avl.cc, slab.cc and avl_tree.cc built on the host
 * (tests/oracle/genode-libc-oracle, which says how). Each golden gives the
 * operations, every dataspace the pool attached and where, every result,
 * and dumps of the whole block tree with the slab's counts; the model must
 * ask for the same dataspaces and give the same results and dumps.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmemu/prims_model.h>

#include "mmap_libc_pool.h"
#include "testutil.h"

struct golden {
	FILE *f;
	const char *name;
	unsigned line;
	char buf[4096];
	/* the fake primitives' state */
	uint64_t next_cap, sizes[1 << 16];
	/* counts */
	unsigned ops, results, dumps, blocks, attaches;
};

static const char *
next_line(struct golden *g)
{
	for (;;) {
		if (!fgets(g->buf, sizeof(g->buf), g->f))
			return NULL;
		g->line++;
		g->buf[strcspn(g->buf, "\n")] = 0;
		if (g->buf[0] != '#' && g->buf[0])
			return g->buf;
	}
}

/* ---- Fake primitives: RAM always there, attachments where the golden says ---- */

static rme_err_t
g_ram_alloc(void *ctx, uint64_t size, rme_prim_cap_t *ds)
{
	struct golden *g = ctx;

	ck_assert_uint_lt(g->next_cap + 1, sizeof(g->sizes) / sizeof(g->sizes[0]));
	*ds = ++g->next_cap;
	g->sizes[*ds] = size;
	return RME_OK;
}

static void g_ram_free(void *ctx, rme_prim_cap_t ds) { (void)ctx; (void)ds; }

static rme_err_t
g_attach(void *ctx, rme_prim_cap_t rm, rme_prim_cap_t ds, const rme_prim_attr_t *attr,
         uint64_t *at)
{
	struct golden *g = ctx;
	const char *l = next_line(g);
	unsigned long long size, addr;
	char verdict[16] = "";

	ck_assert_uint_eq(rm, RME_PRIM_LOCAL_RM);
	ck_assert_msg(l != NULL, "%s: the model attaches more than Genode", g->name);
	g->attaches++;
	if (!attr->use_at) {
		ck_assert_msg(sscanf(l, "attach %llx %llx", &size, &addr) == 2,
		              "%s:%u: the model attaches anywhere, Genode: %s", g->name, g->line, l);
		ck_assert_msg(size == g->sizes[ds], "%s:%u: the model attaches 0x%llx bytes, Genode 0x%llx",
		              g->name, g->line, (unsigned long long)g->sizes[ds], size);
		*at = addr;
		return RME_OK;
	}
	ck_assert_msg(sscanf(l, "attach-at %llx %llx %15s", &size, &addr, verdict) == 3,
	              "%s:%u: the model attaches at 0x%llx, Genode: %s", g->name, g->line,
	              (unsigned long long)attr->at, l);
	ck_assert_msg(size == g->sizes[ds] && addr == attr->at,
	              "%s:%u: the model attaches 0x%llx at 0x%llx", g->name, g->line,
	              (unsigned long long)g->sizes[ds], (unsigned long long)attr->at);
	ck_assert(!attr->executable);
	*at = addr;
	return strcmp(verdict, "ok") == 0 ? RME_OK : RME_ERR_REGION_CONFLICT;
}

static void g_detach(void *ctx, rme_prim_cap_t rm, uint64_t at) { (void)ctx; (void)rm; (void)at; }

static void *
g_heap_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

static void
g_heap_free(void *ctx, void *p, size_t size)
{
	(void)ctx; (void)size;
	free(p);
}

static void g_lock(void *ctx) { (void)ctx; }

/* ---- The replay -------------------------------------------------------------------- */

static void
expect_result(struct golden *g, uint64_t got)
{
	unsigned long long want;
	const char *l = next_line(g);

	ck_assert_msg(l && sscanf(l, "= %llx", &want) == 1,
	              "%s:%u: expected a result line, got %s", g->name, g->line, l ? l : "the end");
	ck_assert_msg(want == got, "%s:%u: Genode gives 0x%llx, the model 0x%llx",
	              g->name, g->line, want, (unsigned long long)got);
	g->results++;
}

static void
expect_dump(struct golden *g, libc_pool_t *pool, const char *head)
{
	unsigned long long chunk, avail, blocks;
	const plc_block_t *b = plc_first(&pool->alloc);
	const char *l;

	ck_assert(sscanf(head, "dump chunk=%llx slab=%llu/%llu", &chunk, &avail, &blocks) == 3);
	ck_assert_msg(chunk == pool->chunk_words, "%s:%u: chunk 0x%llx, the model's 0x%llx",
	              g->name, g->line, chunk, (unsigned long long)pool->chunk_words);
	ck_assert_msg(avail == pool->slab.total_avail && blocks == pool->slab.num_blocks,
	              "%s:%u: slab %llu/%llu, the model's %llu/%llu", g->name, g->line, avail, blocks,
	              (unsigned long long)pool->slab.total_avail,
	              (unsigned long long)pool->slab.num_blocks);
	while ((l = next_line(g)) && strcmp(l, "end") != 0) {
		unsigned long long addr, size;
		char used;

		ck_assert(sscanf(l, "block %llx %llx %c", &addr, &size, &used) == 3);
		ck_assert_msg(b != NULL, "%s:%u: Genode has block 0x%llx, the model none",
		              g->name, g->line, addr);
		ck_assert_msg(b->addr == addr && b->size == size && b->used == (used == 'U'),
		              "%s:%u: Genode has block 0x%llx+0x%llx %c, the model 0x%llx+0x%llx %c",
		              g->name, g->line, addr, size, used, (unsigned long long)b->addr,
		              (unsigned long long)b->size, b->used ? 'U' : 'F');
		b = plc_next(b);
		g->blocks++;
	}
	ck_assert_msg(b == NULL, "%s:%u: the model has more blocks, from 0x%llx on",
	              g->name, g->line, b ? (unsigned long long)b->addr : 0ULL);
	g->dumps++;
}

static void
replay(const char *name, struct golden *g)
{
	const char *srcdir = getenv("top_srcdir");
	char path[4096];
	rme_genode_prims_t prims = {
		.ctx = g, .ram_alloc = g_ram_alloc, .ram_free = g_ram_free, .attach = g_attach,
		.detach = g_detach, .heap_alloc = g_heap_alloc, .heap_free = g_heap_free,
		.lock = g_lock, .unlock = g_lock,
	};
	libc_pool_t pool;
	unsigned release = 0;
	const char *l;
	char msg[256];

	memset(g, 0, sizeof(*g));
	g->name = name;
	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/tests/data/%s", srcdir ? srcdir : "..", name);
	g->f = fopen(path, "r");
	ck_assert_msg(g->f != NULL, "cannot open %s", path);
	l = next_line(g);
	ck_assert(l && sscanf(l, "release %u", &release) == 1);
	libc_pool_init(&pool, &prims, release == 2005 ? PLC_HOSTED_GENODE_20_05 : PLC_HOSTED_GENODE_26_02,
	               false);
	while ((l = next_line(g))) {
		unsigned long long a, b;
		unsigned align;

		ck_assert_ok(libc_pool_reserve(&pool));
		if (sscanf(l, "alloc %llx %u", &a, &align) == 2) {
			g->ops++;
			expect_result(g, libc_pool_alloc(&pool, a, align));
		} else if (sscanf(l, "alloc-at %llx %llx", &a, &b) == 2) {
			rme_mmap_cause_t cause;
			g->ops++;
			expect_result(g, libc_pool_alloc_at(&pool, NULL, a, b, &cause));
		} else if (sscanf(l, "free %llx", &a) == 1) {
			g->ops++;
			libc_pool_free(&pool, a);
		} else if (strncmp(l, "dump ", 5) == 0) {
			expect_dump(g, &pool, l);
			ck_assert_msg(plc_check(&pool.alloc, msg, sizeof(msg), NULL) == 0, "%s:%u: %s",
			              g->name, g->line, msg);
		} else {
			ck_abort_msg("%s:%u: the model does not take '%s' here", g->name, g->line, l);
		}
	}
	fclose(g->f);
	libc_pool_destroy(&pool);
}

static const char *const goldens[] = {
#include "libc_pool_goldens.inc"
};

START_TEST(pool_matches_genode)
{
	struct golden *g = malloc(sizeof(*g));

	ck_assert(g != NULL);
	replay(goldens[_i], g);
	printf("%s: %u operations, %u results, %u attachments, %u dumps of %u blocks identical "
	       "to Genode's\n", goldens[_i], g->ops, g->results, g->attaches, g->dumps, g->blocks);
	ck_assert_uint_gt(g->ops, 0);
	ck_assert_uint_gt(g->dumps, 0);
	free(g);
}
END_TEST

/*
 * Quota, against real Genode: the golden from base-hw
 * (tests/oracle/genode-libc-pool-hw) says after each call what the pool's
 * own PD had paid ("# measured: ram=... caps=..."). The same calls on a
 * pool over the model's primitives (a fresh model: core's placement, RAM
 * and capability quota, core's slab of dataspace metadata) must come to
 * the same figures. Addresses differ (the component's address space holds
 * more), so a free names the allocation by its place in the sequence.
 */
START_TEST(quota_matches_genode_on_hw)
{
	const char *srcdir = getenv("top_srcdir");
	char path[4096], line[4096];
	rme_model_config_t mc;
	rme_model_t *m;
	rme_prims_model_t pm;
	libc_pool_t pool;
	rme_quota_t q0, q;
	uint64_t golden_addr[512], model_addr[512];
	unsigned n = 0, compared = 0, lineno = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/libc-pool-2602-hw.golden", srcdir ? srcdir : "..");
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	rme_model_config_init(&mc);
	mc.ram_quota = 1ull << 30;
	mc.cap_quota = 1000;
	ck_assert_ok(rme_model_create(&mc, &m));
	rme_prims_model_init(&pm, m, NULL);
	libc_pool_init(&pool, &pm.prims, PLC_HOSTED_GENODE_26_02, false);
	rme_quota(m, &q0);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, ram, caps;
		unsigned align;

		lineno++;
		ck_assert_ok(libc_pool_reserve(&pool));
		if (sscanf(line, "alloc %llx %u", &a, &align) == 2) {
			ck_assert_uint_lt(n, 512);
			model_addr[n] = libc_pool_alloc(&pool, a, align);
			ck_assert(fgets(line, sizeof(line), f));
			lineno++;
			while (strncmp(line, "attach ", 7) == 0 && fgets(line, sizeof(line), f))
				lineno++;
			ck_assert(sscanf(line, "= %llx", &a) == 1);
			golden_addr[n++] = a;
		} else if (sscanf(line, "free %llx", &a) == 1) {
			unsigned i = 0;
			while (i < n && golden_addr[i] != a)
				i++;
			ck_assert_msg(i < n, "line %u: free of 0x%llx, which was not allocated", lineno, a);
			libc_pool_free(&pool, model_addr[i]);
		} else if (sscanf(line, "# measured: ram=%llx caps=%llu", &ram, &caps) == 2) {
			rme_quota(m, &q);
			ck_assert_msg(q.ram_used - q0.ram_used == ram && q.cap_used - q0.cap_used == caps,
			              "line %u: Genode's pool PD paid ram=0x%llx caps=%llu, the model's "
			              "ram=0x%llx caps=%llu", lineno, ram, caps,
			              (unsigned long long)(q.ram_used - q0.ram_used),
			              (unsigned long long)(q.cap_used - q0.cap_used));
			compared++;
		}
	}
	fclose(f);
	libc_pool_destroy(&pool);
	rme_model_destroy(m);
	printf("libc-pool-2602-hw.golden: %u quota measurements of real Genode's pool identical to the "
	       "model's\n", compared);
	ck_assert_uint_gt(compared, 0);
}
END_TEST

/*
 * RMEMU_LIBC_POOL_GOLDEN=/path: one more golden, such as the log of the
 * rmemu_libc_pool component on real Genode (genode/README.md).
 */
START_TEST(pool_matches_an_extra_golden)
{
	const char *path = getenv("RMEMU_LIBC_POOL_GOLDEN");
	struct golden *g = malloc(sizeof(*g));

	ck_assert(g != NULL);
	ck_assert_msg(path && path[0] == '/', "RMEMU_LIBC_POOL_GOLDEN must be an absolute path");
	replay(path, g);
	printf("%s: %u operations, %u results, %u attachments, %u dumps of %u blocks identical\n",
	       path, g->ops, g->results, g->attaches, g->dumps, g->blocks);
	ck_assert_uint_gt(g->ops, 0);
	free(g);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("libc_pool");
	TCase *tc = tcase_create("golden");

	tcase_add_loop_test(tc, pool_matches_genode, 0, sizeof(goldens) / sizeof(goldens[0]));
	tcase_add_test(tc, quota_matches_genode_on_hw);
	if (getenv("RMEMU_LIBC_POOL_GOLDEN"))
		tcase_add_test(tc, pool_matches_an_extra_golden);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
