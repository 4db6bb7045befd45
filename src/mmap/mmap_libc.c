/*
 * mmap_libc.c: what Genode's libc at 26.02 and at 20.05 with the alloc_at
 * patch do alike (mmap_libc.h): the instance, its Mmap_registry, mprotect,
 * madvise, mremap and msync, and the inspection rmemu adds.
 */
#include <string.h>

#include "mmap_libc.h"

/* ---- The instance ----------------------------------------------------------- */

rme_err_t
libc_create(const rme_genode_prims_t *prims, const mmap_ops_t *ops,
            plc_hosted_release_t release, rme_mmap_t **out, rme_mmap_setup_error_t *why)
{
	libc_t *l = prims->heap_alloc(prims->ctx, sizeof(*l));

	if (!l) {
		if (why) {
			mm_text_t t;
			why->err = RME_ERR_HOST_NO_MEMORY;
			mm_text_init(&t, why->message, sizeof(why->message));
			mm_text_str(&t, "no heap for the libc's instance");
		}
		return RME_ERR_HOST_NO_MEMORY;
	}
	memset(l, 0, sizeof(*l));
	l->head.ops = ops;
	l->head.prims = *prims;
	l->release = release;
	/*
	 * _init_mem_alloc (26.02: libc_mem_alloc.cc:189-198; patch: 238-247):
	 * two pools, rw and rwx, empty until the first allocation. Nothing is
	 * reserved and nothing attached at start-up.
	 */
	libc_pool_init(&l->pool[0], &l->head.prims, release, false);
	libc_pool_init(&l->pool[1], &l->head.prims, release, true);
	*out = &l->head;
	return RME_OK;
}

void
libc_destroy(rme_mmap_t *mm)
{
	libc_t *l = libc_of(mm);
	const rme_genode_prims_t *p = &l->head.prims;
	libc_entry_t *e, *next;

	for (e = l->entries; e; e = next) {
		next = e->next;
		if (e->plugin == LIBC_PLUGIN_VFS_SHARED) {
			p->detach(p->ctx, RME_PRIM_LOCAL_RM, e->start);
			p->ram_free(p->ctx, e->ds);
		}
		p->heap_free(p->ctx, e, sizeof(*e));
	}
	if (l->spare_entry)
		p->heap_free(p->ctx, l->spare_entry, sizeof(*l->spare_entry));
	libc_pool_destroy(&l->pool[0]);
	libc_pool_destroy(&l->pool[1]);
	p->heap_free(p->ctx, l, sizeof(*l));
}

rme_err_t
libc_reserve(libc_t *l)
{
	rme_err_t err;

	if ((err = libc_pool_reserve(&l->pool[0])) != RME_OK ||
	    (err = libc_pool_reserve(&l->pool[1])) != RME_OK)
		return err;
	if (!l->spare_entry) {
		l->spare_entry = l->head.prims.heap_alloc(l->head.prims.ctx, sizeof(libc_entry_t));
		if (!l->spare_entry)
			return RME_ERR_HOST_NO_MEMORY;
	}
	return RME_OK;
}

/* ---- Mmap_registry (internal/mmap_registry.h:41-130, the same at both releases) ---- */

/* _lookup_by_addr_unsynchronized (66-83): a linear scan for the exact start */
libc_entry_t *
libc_registry_lookup(libc_t *l, uint64_t start)
{
	for (libc_entry_t *e = l->entries; e; e = e->next)
		if (e->start == start)
			return e;
	return NULL;
}

/*
 * insert (87-98): a start that is registered already is not added again
 * ("insert: mmap region at ... is already registered"); the entry comes
 * from the libc's malloc heap, never from a pool.
 */
void
libc_registry_insert(libc_t *l, uint64_t start, uint64_t len, int prot, int flags,
                     libc_plugin_t plugin, rme_prim_cap_t ds)
{
	libc_entry_t *e = l->spare_entry;

	if (libc_registry_lookup(l, start) || !e)
		return;
	l->spare_entry = NULL;
	memset(e, 0, sizeof(*e));
	e->start = start;
	e->len = len;
	e->prot = prot;
	e->flags = flags;
	e->plugin = plugin;
	e->ds = ds;
	e->next = l->entries;
	l->entries = e;
	l->entry_count++;
}

/* remove (115-129) */
void
libc_registry_remove(libc_t *l, uint64_t start)
{
	for (libc_entry_t **pe = &l->entries; *pe; pe = &(*pe)->next) {
		if ((*pe)->start == start) {
			libc_entry_t *e = *pe;
			*pe = e->next;
			l->entry_count--;
			l->head.prims.heap_free(l->head.prims.ctx, e, sizeof(*e));
			return;
		}
	}
}

/* ---- The calls both releases implement alike ------------------------------------- */

/*
 * mprotect: DUMMY(int, -1, mprotect, ...) (dummies.cc:126 at 26.02, 121 at
 * 20.05): "not implemented", ENOSYS, whatever the arguments.
 */
int
libc_mprotect(rme_mmap_t *mm, uint64_t addr, uint64_t len, int prot)
{
	(void)addr; (void)len; (void)prot;
	return libc_fail(libc_of(mm), RME_ENOSYS, RME_MMAP_CAUSE_UNSUPPORTED);
}

/*
 * mremap: neither libc defines it (nor lists it in lib/symbols/libc): a
 * program calling it does not link. ENOSYS stands for that.
 */
int
libc_mremap(rme_mmap_t *mm, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
            int flags, uint64_t new_addr, uint64_t *out_addr)
{
	(void)old_addr; (void)old_len; (void)new_len; (void)flags; (void)new_addr; (void)out_addr;
	return libc_fail(libc_of(mm), RME_ENOSYS, RME_MMAP_CAUSE_UNSUPPORTED);
}

/*
 * madvise (dummies.cc:211-221 at 26.02, 210-220 at 20.05): MADV_DONTNEED
 * (4 in FreeBSD as in Linux) is ignored and succeeds, at any address and
 * without zeroing; any other advice is ENOSYS.
 */
int
libc_madvise(rme_mmap_t *mm, uint64_t addr, uint64_t len, int advice)
{
	(void)addr; (void)len;
	if (advice == RME_MADV_DONTNEED)
		return 0;
	return libc_fail(libc_of(mm), RME_ENOSYS, RME_MMAP_CAUSE_UNSUPPORTED);
}

/*
 * msync (26.02: file_operations.cc:554-574; patch: 468-488): an exact
 * registered start, else EINVAL; anonymous memory 0 whatever the length
 * and flags; a file mapping goes to the plugin, whose msync is
 * Plugin's dummy (plugin.cc:208): -1 with errno as it was, ENOSYS here.
 */
int
libc_msync(rme_mmap_t *mm, uint64_t addr, uint64_t len, int flags)
{
	libc_t *l = libc_of(mm);
	libc_entry_t *e = libc_registry_lookup(l, addr);

	(void)len; (void)flags;
	if (!e)
		return libc_fail(l, RME_EINVAL, RME_MMAP_CAUSE_NOT_A_START);
	if (e->plugin != LIBC_PLUGIN_ANON)
		return libc_fail(l, RME_ENOSYS, RME_MMAP_CAUSE_UNSUPPORTED);
	return 0;
}

/*
 * mlock, munlock, mlockall, munlockall: neither libc defines them (nor
 * lists them in lib/symbols/libc): a program calling them does not link.
 * ENOSYS stands for that, as for mremap.
 */
int
libc_mlock(rme_mmap_t *mm, uint64_t addr, uint64_t len, int flags)
{
	(void)addr; (void)len; (void)flags;
	return libc_fail(libc_of(mm), RME_ENOSYS, RME_MMAP_CAUSE_UNSUPPORTED);
}

int
libc_munlock(rme_mmap_t *mm, uint64_t addr, uint64_t len)
{
	(void)addr; (void)len;
	return libc_fail(libc_of(mm), RME_ENOSYS, RME_MMAP_CAUSE_UNSUPPORTED);
}

int
libc_mlockall(rme_mmap_t *mm, int flags)
{
	(void)flags;
	return libc_fail(libc_of(mm), RME_ENOSYS, RME_MMAP_CAUSE_UNSUPPORTED);
}

int
libc_munlockall(rme_mmap_t *mm)
{
	return libc_fail(libc_of(mm), RME_ENOSYS, RME_MMAP_CAUSE_UNSUPPORTED);
}

/* ---- Inspection (rmemu's, not the libc's) ------------------------------------------ */

/* The registered mappings overlapping [start, end) as VMAs, in address order. */
int
libc_foreach(rme_mmap_t *mm, uint64_t start, uint64_t end,
             int (*fn)(void *ctx, const rme_mmap_vma_t *vma), void *ctx)
{
	libc_t *l = libc_of(mm);
	uint64_t from = 0;

	for (;;) {
		const libc_entry_t *next = NULL;
		rme_mmap_vma_t v;
		int rc;

		for (const libc_entry_t *e = l->entries; e; e = e->next)
			if (e->start >= from && (!next || e->start < next->start))
				next = e;
		if (!next || next->start >= end)
			return 0;
		if (next->start + (next->len ? next->len : 1) <= start) {
			if (next->start == UINT64_MAX)
				return 0;
			from = next->start + 1;
			continue;
		}
		memset(&v, 0, sizeof(v));
		v.start = next->start;
		v.len = next->len;
		v.prot = next->prot;
		v.flags = next->flags;
		/* every page of a mapping is RAM of a pool or of the file's dataspace */
		v.ram = (next->len + MM_PAGE_MASK) & ~MM_PAGE_MASK;
		if ((rc = fn(ctx, &v)) != 0)
			return rc;
		if (next->start == UINT64_MAX)
			return 0;
		from = next->start + 1;
	}
}

struct md_sum {
	uint64_t bytes;
};

static void
md_add(void *ctx, uint64_t addr, uint64_t size)
{
	(void)addr;
	((struct md_sum *)ctx)->bytes += size;
}

int
libc_foreach_ram(rme_mmap_t *mm, int (*fn)(void *ctx, rme_prim_cap_t ds, uint64_t size),
                 void *ctx)
{
	libc_t *l = libc_of(mm);
	int rc;

	for (int i = 0; i < 2; i++)
		for (const libc_ds_t *d = l->pool[i].ds; d; d = d->next)
			if (d->attached && (rc = fn(ctx, d->cap, d->size)) != 0)
				return rc;
	for (const libc_entry_t *e = l->entries; e; e = e->next)
		if (e->plugin == LIBC_PLUGIN_VFS_SHARED &&
		    (rc = fn(ctx, e->ds, (e->len + MM_PAGE_MASK) & ~MM_PAGE_MASK)) != 0)
			return rc;
	return 0;
}

void
libc_stats(rme_mmap_t *mm, rme_mmap_stats_t *out)
{
	libc_t *l = libc_of(mm);
	struct md_sum md = { 0 };

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 2; i++) {
		const libc_pool_t *p = &l->pool[i];
		out->chunks += p->ds_count;
		out->chunk_bytes += p->ds_bytes;
		for (const libc_ds_t *d = p->ds; d; d = d->next)
			out->attachments += d->attached;
		libc_pool_foreach_metadata(p, md_add, &md);
	}
	for (const libc_entry_t *e = l->entries; e; e = e->next) {
		out->vmas++;
		out->pieces++;
		out->mapped_bytes += e->len;
		if (e->plugin == LIBC_PLUGIN_VFS_SHARED) {
			out->chunks++;
			out->attachments++;
			out->chunk_bytes += (e->len + MM_PAGE_MASK) & ~MM_PAGE_MASK;
		}
	}
	out->map_count_max = UINT64_MAX;
	out->metadata_bytes = md.bytes;
	out->metadata_zeroed = l->metadata_zeroed;
}

rme_err_t
libc_check(rme_mmap_t *mm, char *msg, size_t msglen)
{
	libc_t *l = libc_of(mm);
	uint64_t n = 0;
	mm_text_t t;

	mm_text_init(&t, msg, msglen);
	for (int i = 0; i < 2; i++) {
		if (plc_check(&l->pool[i].alloc, msg, msglen, NULL) != 0)
			return RME_ERR_INVALID_ARGUMENT;
	}
	for (const libc_entry_t *e = l->entries; e; e = e->next)
		n++;
	if (n != l->entry_count) {
		mm_text_str(&t, "the registry counts ");
		mm_text_dec(&t, l->entry_count);
		mm_text_str(&t, " entries and holds ");
		mm_text_dec(&t, n);
		return RME_ERR_INVALID_ARGUMENT;
	}
	return RME_OK;
}

struct md_visit {
	int (*fn)(void *ctx, uint64_t addr, uint64_t len);
	void *ctx;
	int rc;
};

static void
md_visit(void *ctx, uint64_t addr, uint64_t size)
{
	struct md_visit *v = ctx;

	if (!v->rc)
		v->rc = v->fn(v->ctx, addr, size);
}

int
libc_foreach_metadata(rme_mmap_t *mm, int (*fn)(void *ctx, uint64_t addr, uint64_t len),
                      void *ctx)
{
	libc_t *l = libc_of(mm);
	struct md_visit v = { fn, ctx, 0 };

	libc_pool_foreach_metadata(&l->pool[0], md_visit, &v);
	libc_pool_foreach_metadata(&l->pool[1], md_visit, &v);
	return v.rc;
}
