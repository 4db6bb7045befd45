/*
 * mmap_libc_pool.c: Libc::Mem_alloc_impl (mmap_libc_pool.h), as its code
 * does it. Paths are repos/libports/src/lib/libc/ of genodelabs/genode;
 * "26.02" is tag 26.02 (the same file at ffb059da4d8c), "patch" is
 * tor-m6/genode@78fc751bea8a (20.05's libc_mem_alloc.cc plus alloc_at and
 * expand_at, and Lock -> Mutex only; its alloc, expand and free are 20.05's).
 *
 * Sizes are size_t arithmetic on a 64-bit target, wrap-around included.
 */
#include <string.h>

#include "mmap_internal.h"
#include "mmap_libc_pool.h"

enum {
	/* internal/mem_alloc.h:48-51 (26.02), 45-48 (20.05): chunk sizes in machine words */
	MIN_CHUNK_WORDS = 4 * 1024,
	MAX_CHUNK_WORDS = 1024 * 1024,
	WORD = 8,
	PAGE_LOG2 = 12
};

static uint64_t
align_up(uint64_t x, unsigned log2)
{
	uint64_t mask = ((uint64_t)1 << log2) - 1;
	return (x + mask) & ~mask;
}

/* ---- Host memory: the libc's own heap, the primitives' ------------------------ */

static void *
host_alloc(void *ctx, size_t size)
{
	const rme_genode_prims_t *prims = ctx;
	return prims->heap_alloc(prims->ctx, size);
}

static void
host_free(void *ctx, void *p, size_t size)
{
	const rme_genode_prims_t *prims = ctx;
	if (p)
		prims->heap_free(prims->ctx, p, size);
}

void
libc_pool_init(libc_pool_t *pool, const rme_genode_prims_t *prims,
               plc_hosted_release_t release, bool executable)
{
	memset(pool, 0, sizeof(*pool));
	pool->prims = prims;
	pool->release = release;
	pool->executable = executable;
	pool->chunk_words = MIN_CHUNK_WORDS;
	/*
	 * sizeof(Dataspace): {List::Element, Ram_dataspace_capability, Range}
	 * at 26.02 (internal/mem_alloc.h:55-62), {List::Element,
	 * Ram_dataspace_capability, void *local_addr} at 20.05 (50-64).
	 */
	pool->record_size = release == PLC_HOSTED_GENODE_20_05 ? 0x18 : 0x20;
	pool->host = (rme_allocator_t){ host_alloc, host_free, (void *)prims };
	plc_init(&pool->alloc, &pool->host, UINT64_MAX, NULL);
	plc_hosted_init(&pool->slab, &pool->alloc, release, &pool->host);
}

rme_err_t
libc_pool_reserve(libc_pool_t *pool)
{
	rme_err_t err = plc_reserve(&pool->alloc, PLC_HOSTED_NODES_PER_CALL);

	for (int i = 0; err == RME_OK && i < 2; i++) {
		if (!pool->spare_ds[i]) {
			pool->spare_ds[i] = pool->prims->heap_alloc(pool->prims->ctx, sizeof(libc_ds_t));
			if (!pool->spare_ds[i])
				err = RME_ERR_HOST_NO_MEMORY;
		}
	}
	return err;
}

static libc_ds_t *
take_ds_record(libc_pool_t *pool)
{
	for (int i = 0; i < 2; i++) {
		libc_ds_t *d = pool->spare_ds[i];
		if (d) {
			pool->spare_ds[i] = NULL;
			memset(d, 0, sizeof(*d));
			return d;
		}
	}
	return NULL;   /* libc_pool_reserve was not called: never happens */
}

static void
give_ds_record(libc_pool_t *pool, libc_ds_t *d)
{
	pool->spare_ds[pool->spare_ds[0] ? 1 : 0] = d;
}

void
libc_pool_destroy(libc_pool_t *pool)
{
	const rme_genode_prims_t *p = pool->prims;
	libc_ds_t *d, *next;

	/* ~Dataspace_pool (26.02: libc_mem_alloc.cc:27-47): detach and free every dataspace */
	for (d = pool->ds; d; d = next) {
		next = d->next;
		if (d->attached)
			p->detach(p->ctx, RME_PRIM_LOCAL_RM, d->at);
		p->ram_free(p->ctx, d->cap);
		p->heap_free(p->ctx, d, sizeof(*d));
	}
	pool->ds = NULL;
	for (int i = 0; i < 2; i++)
		if (pool->spare_ds[i])
			p->heap_free(p->ctx, pool->spare_ds[i], sizeof(libc_ds_t));
	plc_fini(&pool->alloc);
	plc_hosted_fini(&pool->slab);
	memset(pool, 0, sizeof(*pool));
}

/* ---- Dataspaces ---------------------------------------------------------------- */

static void
add_ds(libc_pool_t *pool, libc_ds_t *d)
{
	d->next = pool->ds;
	pool->ds = d;
	pool->ds_count++;
	pool->ds_bytes += d->size;
}

/* The Dataspace record: best fit over the whole pool, 4-aligned. */
static int
place_record(libc_pool_t *pool, libc_ds_t *d)
{
	plc_block_t *b;

	if (plc_alloc_aligned(&pool->alloc, pool->record_size, 2, &b) != RME_OK)
		return LIBC_EXPAND_NO_RECORD;
	d->record = b->addr;
	return LIBC_EXPAND_OK;
}

/*
 * What both expansions do once the dataspace is attached at 'at': its
 * range joins the pool's allocator (a failure is only warned about), and
 * its Dataspace record is placed in the pool.
 */
static int
join_pool(libc_pool_t *pool, libc_ds_t *d, uint64_t at)
{
	d->at = at;
	d->attached = true;
	add_ds(pool, d);
	(void)plc_add_range(&pool->alloc, at, d->size);
	return place_record(pool, d);
}

/*
 * Dataspace_pool::expand(size, alloc): a RAM dataspace attached anywhere
 * (core places it), its range added to the pool, its record placed in the
 * pool. 26.02: libc_mem_alloc.cc:50-115; 20.05 and the patch: 50-84.
 */
static int
expand(libc_pool_t *pool, uint64_t size, libc_ds_kind_t kind)
{
	const rme_genode_prims_t *p = pool->prims;
	rme_prim_attr_t attr = { .executable = pool->executable, .writeable = 1 };
	bool v2005 = pool->release == PLC_HOSTED_GENODE_20_05;
	libc_ds_t *d;
	rme_prim_cap_t cap;
	uint64_t at = 0;
	rme_err_t err;

	if (!(d = take_ds_record(pool))) {
		pool->last_err = RME_ERR_HOST_NO_MEMORY;   /* libc_pool_reserve was not called */
		return LIBC_EXPAND_OUT_OF_RAM;
	}
	err = p->ram_alloc(p->ctx, size, &cap);
	if (err != RME_OK) {
		give_ds_record(pool, d);
		pool->last_err = err;
		/* 26.02 (57-66): every case ends in 'result = -5' */
		if (!v2005)
			return LIBC_EXPAND_RAM_FAILED;
		return err == RME_ERR_OUT_OF_CAPS ? LIBC_EXPAND_OUT_OF_CAPS : LIBC_EXPAND_OUT_OF_RAM;
	}
	err = p->attach(p->ctx, RME_PRIM_LOCAL_RM, cap, &attr, &at);
	d->cap = cap;
	d->size = size;
	d->kind = kind;
	if (err != RME_OK) {
		pool->last_err = err;
		if (!v2005 || err == RME_ERR_REGION_CONFLICT) {
			/* 26.02 (93-96), 20.05 (65-68): the RAM goes back */
			p->ram_free(p->ctx, cap);
			give_ds_record(pool, d);
			return v2005 ? LIBC_EXPAND_CONFLICT : LIBC_EXPAND_ATTACH_FAILED;
		}
		/* 20.05 (63-64): Out_of_ram / Out_of_caps from attach: the dataspace stays allocated */
		add_ds(pool, d);
		if (err == RME_ERR_OUT_OF_RAM || err == RME_ERR_OUT_OF_CAPS)
			return err == RME_ERR_OUT_OF_CAPS ? LIBC_EXPAND_OUT_OF_CAPS : LIBC_EXPAND_OUT_OF_RAM;
		return LIBC_EXPAND_ABORT;   /* Invalid_dataspace is not caught at 20.05 */
	}
	/* 26.02 (98-100) warns if add_range fails, 20.05 (71) ignores it */
	return join_pool(pool, d, at);
}

/*
 * The patch's Dataspace_pool::expand_at(size, ptr, alloc) (78fc751:
 * libc_mem_alloc.cc:86-122): as expand, but attached exactly at ptr with
 * Region_map::attach_at (region_map.h@20.05:96-98), so never executable.
 */
static int
expand_at(libc_pool_t *pool, uint64_t size, uint64_t x)
{
	const rme_genode_prims_t *p = pool->prims;
	rme_prim_attr_t attr = { .use_at = 1, .at = x, .writeable = 1 };
	libc_ds_t *d;
	rme_prim_cap_t cap;
	uint64_t at = 0;
	rme_err_t err;

	/*
	 * Pd_session::alloc(0) gives an invalid capability without an error
	 * (pd_session_component.cc@20.05:26-27); attach_at then throws
	 * Invalid_dataspace, which expand_at does not catch.
	 */
	if (size == 0)
		return LIBC_EXPAND_ABORT;
	if (!(d = take_ds_record(pool))) {
		pool->last_err = RME_ERR_HOST_NO_MEMORY;
		return LIBC_EXPAND_OUT_OF_RAM;
	}
	err = p->ram_alloc(p->ctx, size, &cap);
	if (err != RME_OK) {
		give_ds_record(pool, d);
		pool->last_err = err;
		return err == RME_ERR_OUT_OF_CAPS ? LIBC_EXPAND_OUT_OF_CAPS : LIBC_EXPAND_OUT_OF_RAM;
	}
	err = p->attach(p->ctx, RME_PRIM_LOCAL_RM, cap, &attr, &at);
	d->cap = cap;
	d->size = size;
	d->kind = LIBC_DS_FIXED;
	if (err != RME_OK) {
		pool->last_err = err;
		if (err == RME_ERR_REGION_CONFLICT) {
			p->ram_free(p->ctx, cap);   /* 103-106 */
			give_ds_record(pool, d);
			return LIBC_EXPAND_CONFLICT;
		}
		add_ds(pool, d);            /* 97-102: Out_of_ram / Out_of_caps keep the RAM */
		if (err == RME_ERR_OUT_OF_RAM || err == RME_ERR_OUT_OF_CAPS)
			return err == RME_ERR_OUT_OF_CAPS ? LIBC_EXPAND_OUT_OF_CAPS : LIBC_EXPAND_OUT_OF_RAM;
		return LIBC_EXPAND_ABORT;   /* Invalid_dataspace is not caught */
	}
	return join_pool(pool, d, at);   /* 109-121 */
}

/* ---- Allocation --------------------------------------------------------------- */

static uint64_t
alloc_aligned(libc_pool_t *pool, uint64_t size, unsigned align_log2)
{
	plc_block_t *b;

	return plc_alloc_aligned(&pool->alloc, size, align_log2, &b) == RME_OK ? b->addr : 0;
}

static bool
alloc_addr(libc_pool_t *pool, uint64_t size, uint64_t x)
{
	plc_block_t *b;

	return plc_alloc_addr(&pool->alloc, size, x, &b) == RME_OK;
}

/*
 * The backing store a failed allocation asks for (26.02: 142-153; 20.05:
 * 191-202): size, the alignment (at least 1 KiB; the patch's alloc_at puts
 * 4096), a slab block and a record, or a whole chunk if that is more, in
 * which case the chunk doubles up to its maximum (before the expansion, and
 * also if it fails).
 */
static uint64_t
backing_request(libc_pool_t *pool, uint64_t size, uint64_t align_bytes)
{
	uint64_t request = size + align_bytes + PLC_HOSTED_BLOCK_SIZE + pool->record_size;

	if (request < pool->chunk_words * WORD) {
		request = pool->chunk_words * WORD;
		pool->chunk_words = pool->chunk_words * 2 < MAX_CHUNK_WORDS ?
		                    pool->chunk_words * 2 : MAX_CHUNK_WORDS;
	}
	return request;
}

/* Mem_alloc_impl::alloc: 26.02 libc_mem_alloc.cc:118-162; 20.05 and the patch 175-211. */
uint64_t
libc_pool_alloc(libc_pool_t *pool, uint64_t size, unsigned align_log2)
{
	uint64_t a = alloc_aligned(pool, size, align_log2), request;
	uint64_t align_bytes = (uint64_t)1 << align_log2;

	if (a)
		return a;
	request = backing_request(pool, size, align_bytes > 1024 ? align_bytes : 1024);
	if (expand(pool, align_up(request, PAGE_LOG2), LIBC_DS_CHUNK) < 0)
		return 0;   /* "libc: could not expand dataspace pool" */
	return alloc_aligned(pool, size, align_log2);
}

/*
 * The patch's Mem_alloc_impl::alloc_at (78fc751: libc_mem_alloc.cc:124-173):
 *   S1 the range if it is free pool memory (130-131);
 *   S2 the backing store as alloc's, with 4096 for the alignment (139-150);
 *   S3 a "gap" dataspace of that size less the requested one, anywhere (153-156);
 *   S4 the gap allocated whole from the pool, the result ignored (158-161);
 *   S5 a dataspace of the requested size exactly at X (165-168);
 *   S6 the range from the pool (171).
 * The cause of a failure is the first that holds: the gap lies in the
 * target; metadata of this pool or of 'other' lies in the target; the
 * target is attached already; else quota (or an abort).
 */
uint64_t
libc_pool_alloc_at(libc_pool_t *pool, const libc_pool_t *other, uint64_t x, uint64_t size,
                   rme_mmap_cause_t *cause)
{
	uint64_t request, gap, target_end = x + align_up(size, PAGE_LOG2);
	libc_ds_t *gap_ds;
	int rc;

	*cause = RME_MMAP_CAUSE_NONE;
	if (alloc_addr(pool, size, x))
		return x;
	request = backing_request(pool, size, 4096);
	gap = align_up(request - size, PAGE_LOG2);
	rc = expand(pool, gap, LIBC_DS_GAP);
	if (rc < 0) {
		*cause = rc == LIBC_EXPAND_ABORT ? RME_MMAP_CAUSE_ABORT : RME_MMAP_CAUSE_QUOTA;
		return 0;
	}
	gap_ds = pool->ds;
	(void)alloc_aligned(pool, gap, PAGE_LOG2);
	rc = expand_at(pool, align_up(size, PAGE_LOG2), x);
	if (rc == LIBC_EXPAND_OK && alloc_addr(pool, size, x))
		return x;
	if (rc == LIBC_EXPAND_ABORT)
		*cause = RME_MMAP_CAUSE_ABORT;
	else if (gap_ds->attached && gap_ds->at < target_end && x < gap_ds->at + gap_ds->size)
		*cause = RME_MMAP_CAUSE_GAP_IN_TARGET;
	else if (libc_pool_metadata_in(pool, x, x + (size ? size : 1)) ||
	         (other && libc_pool_metadata_in(other, x, x + (size ? size : 1))))
		*cause = RME_MMAP_CAUSE_METADATA_IN_TARGET;
	else if (rc == LIBC_EXPAND_CONFLICT)
		*cause = RME_MMAP_CAUSE_TARGET_IN_USE;
	else
		*cause = RME_MMAP_CAUSE_QUOTA;
	return 0;
}

void
libc_pool_free(libc_pool_t *pool, uint64_t addr)
{
	/* Mem_alloc_impl::free (26.02: 165-172; patch: 214-221) = Allocator_avl_base::free */
	plc_free(&pool->alloc, addr);
}

uint64_t
libc_pool_size_at(const libc_pool_t *pool, uint64_t addr)
{
	/* Allocator_avl_base::size_at (allocator_avl.cc:395-407) */
	const plc_block_t *b = plc_block_at(&pool->alloc, addr);

	if (b && b->addr != addr)
		return UINT64_MAX;
	return b && b->used ? b->size : 0;
}

/* ---- The pool's metadata ---------------------------------------------------------- */

void
libc_pool_foreach_metadata(const libc_pool_t *pool,
                           void (*fn)(void *ctx, uint64_t addr, uint64_t size), void *ctx)
{
	for (const libc_ds_t *d = pool->ds; d; d = d->next)
		if (d->record)
			fn(ctx, d->record, pool->record_size);
	plc_hosted_foreach_block(&pool->slab, fn, ctx);
}

struct overlap {
	uint64_t start, end, bytes;
};

static void
count_overlap(void *ctx, uint64_t addr, uint64_t size)
{
	struct overlap *o = ctx;
	uint64_t s = addr > o->start ? addr : o->start;
	uint64_t e = addr + size < o->end ? addr + size : o->end;

	if (s < e)
		o->bytes += e - s;
}

uint64_t
libc_pool_metadata_in(const libc_pool_t *pool, uint64_t start, uint64_t end)
{
	struct overlap o = { start, end, 0 };

	libc_pool_foreach_metadata(pool, count_overlap, &o);
	return o.bytes;
}

bool
libc_pool_overlaps(const libc_pool_t *pool, uint64_t start, uint64_t end)
{
	for (const libc_ds_t *d = pool->ds; d; d = d->next)
		if (d->attached && d->at < end && start < d->at + d->size)
			return true;
	return false;
}

rme_err_t
libc_pool_zero(libc_pool_t *pool, uint64_t start, uint64_t end)
{
	const rme_genode_prims_t *p = pool->prims;

	/* a block may span dataspaces that core placed side by side */
	for (const libc_ds_t *d = pool->ds; d; d = d->next) {
		uint64_t s = d->at > start ? d->at : start;
		uint64_t e = d->at + d->size < end ? d->at + d->size : end;
		rme_err_t err;

		if (!d->attached || s >= e)
			continue;
		if ((err = p->ds_zero(p->ctx, d->cap, s - d->at, e - s)) != RME_OK)
			return err;
	}
	return RME_OK;
}
