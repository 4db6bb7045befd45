/*
 * mmap_genode_libc.c: the "genode-libc" policy, Genode 26.02's libc mmap
 * and munmap exactly as its code does it, on the mmap layer's primitives,
 * for comparison with the rmemu policy (doc/designs.md).
 *
 * Source: genodelabs/genode tag 26.02 (24a30a049ae0; the same files at
 * ffb059da4d8c), repos/libports/src/lib/libc/: file_operations.cc
 * (mmap 478-516, munmap 519-551, msync 554-574), libc_mem_alloc.cc and
 * internal/mem_alloc.h (the pools: mmap_libc_pool.c), internal/
 * mmap_registry.h (the registry), dummies.cc (mprotect 126, madvise
 * 211-221), vfs_plugin.cc (file mappings: Vfs_plugin::mmap 2306-2417 and
 * munmap 2420-2460 at ffb059da4d8c, 16 lines less at the tag).
 *
 * In short: anonymous MAP_FIXED is EINVAL; a hint is ignored; only
 * PROT_EXEC of the rights matters (it picks the rwx pool), so PROT_NONE
 * costs RAM; memory is zero-filled, page-rounded (which can overwrite the
 * pool's own metadata); munmap finds a mapping by its exact start only,
 * ignores the length and gives the block back to the pool, whose RAM stays
 * allocated and attached, so the pages stay readable and writable.
 *
 * Flags are Linux's values as rmemu/mmap.h has them; a Genode program
 * passes FreeBSD's, with the same meaning for every flag used here.
 * MAP_FIXED_NOREPLACE does not exist in FreeBSD; it is taken for a hint.
 */
#include "mmap_libc.h"

enum { AT_PAGE_LOG2 = 12 };   /* _mmap_align_log2 default (file_operations.cc:69), <libc><mmap align_log2> unset */

static rme_err_t
genode_libc_create(const rme_genode_prims_t *prims, const rme_mmap_config_t *cfg,
                   rme_mmap_t **out, rme_mmap_setup_error_t *why)
{
	(void)cfg;
	return libc_create(prims, &mmap_genode_libc_ops, PLC_HOSTED_GENODE_26_02, out, why);
}

static uint64_t
page_up(uint64_t n)
{
	return (n + MM_PAGE_MASK) & ~MM_PAGE_MASK;
}

/* Zero-fill and count the pool metadata it overwrites (the bug of doc/designs.md). */
static void
zero_fill(libc_t *l, libc_pool_t *pool, uint64_t start, uint64_t len)
{
	uint64_t end = start + page_up(len);

	l->metadata_zeroed += libc_pool_metadata_in(&l->pool[0], start, end) +
	                      libc_pool_metadata_in(&l->pool[1], start, end);
	/* the model's ds_zero cannot fail on memory that exists */
	(void)libc_pool_zero(pool, start, end);
}

/*
 * Vfs_plugin::mmap (vfs_plugin.cc:2306-2417 at ffb059da4d8c). Rights other
 * than PROT_READ or PROT_READ|PROT_WRITE are EACCES, MAP_FIXED EINVAL;
 * MAP_PRIVATE copies the file into a block of the rw pool (no zero-fill:
 * pread writes the file's bytes; rmemu has none); MAP_SHARED attaches the
 * file system's dataspace anywhere. rmemu has no file systems: that
 * dataspace is RAM of the component here, the file system's on Genode.
 */
static int
file_mmap(libc_t *l, uint64_t len, int prot, int flags, int fd, uint64_t *out_addr)
{
	const rme_genode_prims_t *p = &l->head.prims;
	int rights = prot & (RME_PROT_READ | RME_PROT_WRITE | RME_PROT_EXEC);
	uint64_t start;

	/* libc_fd_to_fd fails for a descriptor that is not open: EBADF (503-508) */
	if (fd < 0)
		return libc_fail(l, RME_EBADF, RME_MMAP_CAUSE_NONE);
	if (rights != RME_PROT_READ && rights != (RME_PROT_READ | RME_PROT_WRITE))
		return libc_fail(l, RME_EACCES, RME_MMAP_CAUSE_UNSUPPORTED);
	if (flags & RME_MAP_FIXED)
		return libc_fail(l, RME_EINVAL, RME_MMAP_CAUSE_UNSUPPORTED);
	if (flags & RME_MAP_PRIVATE) {
		start = libc_pool_alloc(libc_mem_alloc(l, false), len, AT_PAGE_LOG2);
		/*
		 * The check compares with (void *)-1, but alloc returns nullptr:
		 * pread then writes to address 0 and the program faults.
		 */
		if (!start)
			return libc_fail(l, RME_EFAULT, RME_MMAP_CAUSE_ABORT);
		libc_registry_insert(l, start, len, prot, flags, LIBC_PLUGIN_VFS_PRIVATE, 0);
	} else if (flags & RME_MAP_SHARED) {
		rme_prim_attr_t attr = { .size = page_up(len), .writeable = 1 };
		rme_prim_cap_t ds;

		if (len == 0 || p->ram_alloc(p->ctx, page_up(len), &ds) != RME_OK)
			return libc_fail(l, RME_ENOMEM, RME_MMAP_CAUSE_QUOTA);
		if (p->attach(p->ctx, RME_PRIM_LOCAL_RM, ds, &attr, &start) != RME_OK) {
			p->ram_free(p->ctx, ds);
			return libc_fail(l, RME_ENOMEM, RME_MMAP_CAUSE_QUOTA);
		}
		libc_registry_insert(l, start, len, prot, flags, LIBC_PLUGIN_VFS_SHARED, ds);
	} else {
		/* neither: Vfs_plugin::mmap returns nullptr, which is registered and returned */
		start = 0;
		libc_registry_insert(l, start, len, prot, flags, LIBC_PLUGIN_VFS_PRIVATE, 0);
	}
	*out_addr = start;
	return 0;
}

/* mmap (file_operations.cc:478-516) */
static int
genode_libc_mmap(rme_mmap_t *mm, uint64_t addr, uint64_t len, int prot, int flags, int fd,
                 uint64_t offset, uint64_t *out_addr)
{
	libc_t *l = libc_of(mm);
	libc_pool_t *pool;
	uint64_t start;
	rme_err_t err;

	(void)addr;     /* the hint is never used */
	(void)offset;   /* nor, for anonymous memory, fd and offset */
	if ((err = libc_reserve(l)) != RME_OK)
		return rme_errno_from_err(err);
	/* anonymous iff MAP_ANONYMOUS (483); no other flag is looked at */
	if (!(flags & RME_MAP_ANONYMOUS))
		return file_mmap(l, len, prot, flags, fd, out_addr);
	if (flags & RME_MAP_FIXED)   /* 485-489: before anything is allocated */
		return libc_fail(l, RME_EINVAL, RME_MMAP_CAUSE_UNSUPPORTED);
	/* 491-492: only PROT_EXEC counts; the length unrounded */
	pool = libc_mem_alloc(l, (prot & RME_PROT_EXEC) != 0);
	start = libc_pool_alloc(pool, len, AT_PAGE_LOG2);
	if (!start)   /* 493-496; length 0 ends here too, after the pool grew */
		return libc_fail(l, RME_ENOMEM,
		                 len == 0 ? RME_MMAP_CAUSE_ZERO_LENGTH : RME_MMAP_CAUSE_QUOTA);
	zero_fill(l, pool, start, len);                                    /* 497 */
	libc_registry_insert(l, start, len, prot, flags, LIBC_PLUGIN_ANON, 0);   /* 498 */
	*out_addr = start;
	return 0;
}

/*
 * Vfs_plugin::munmap (vfs_plugin.cc:2420-2460 at ffb059da4d8c): a block of
 * the rw pool goes back (size_at finds it); an address inside one is
 * EINVAL; else the shared mapping is detached.
 */
static int
file_munmap(libc_t *l, const libc_entry_t *e)
{
	const rme_genode_prims_t *p = &l->head.prims;
	libc_pool_t *rw = libc_mem_alloc(l, false);
	uint64_t size = libc_pool_size_at(rw, e->start);

	if (size != 0 && size != UINT64_MAX) {
		libc_pool_free(rw, e->start);
		return 0;
	}
	if (size == 0 && e->plugin == LIBC_PLUGIN_VFS_SHARED) {
		p->detach(p->ctx, RME_PRIM_LOCAL_RM, e->start);
		p->ram_free(p->ctx, e->ds);
		return 0;
	}
	return libc_fail(l, RME_EINVAL, RME_MMAP_CAUSE_NOT_A_START);
}

/* munmap (file_operations.cc:519-551) */
static int
genode_libc_munmap(rme_mmap_t *mm, uint64_t addr, uint64_t len)
{
	libc_t *l = libc_of(mm);
	libc_entry_t *e = libc_registry_lookup(l, addr), entry;
	rme_err_t err;

	(void)len;   /* ignored: the whole block goes */
	if (!e)      /* 521-525: the exact start of a registered mapping */
		return libc_fail(l, RME_EINVAL, RME_MMAP_CAUSE_NOT_A_START);
	if ((err = libc_reserve(l)) != RME_OK)
		return rme_errno_from_err(err);
	entry = *e;
	libc_registry_remove(l, addr);   /* 538: before the memory goes */
	if (entry.plugin != LIBC_PLUGIN_ANON)
		return file_munmap(l, &entry);
	/* 544-547: freed in both pools; the one without the block ignores it */
	libc_pool_free(libc_mem_alloc(l, false), addr);
	libc_pool_free(libc_mem_alloc(l, true), addr);
	return 0;
}

const mmap_ops_t mmap_genode_libc_ops = {
	.name = "genode-libc",
	.create = genode_libc_create,
	.mmap = genode_libc_mmap,
	.munmap = genode_libc_munmap,
	LIBC_SHARED_OPS,
};
