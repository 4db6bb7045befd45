/*
 * mmap_libc_alloc_at.c: the "libc-alloc-at" policy, Genode 20.05's libc
 * with the patch argued about on the Genode list in August 2020, which
 * places anonymous mappings at a requested address through
 * Libc::Mem_alloc with an extra "gap" allocation; exactly as its code does
 * it, on the mmap layer's primitives, for comparison (doc/designs.md).
 *
 * Source: tor-m6/genode@78fc751bea8a ("implement genode support for ANON
 * mmap with desired address", 2020-08-11), repos/libports/src/lib/libc/:
 * file_operations.cc (mmap 398-435, munmap 438-465, msync 468-488),
 * libc_mem_alloc.cc (expand_at 86-122, alloc_at 124-173: the pools,
 * mmap_libc_pool.c), vfs_plugin.cc (Vfs_plugin::mmap 1554-1601, munmap
 * 1603-1607). Everything else is 20.05's: the patch's parent differs from
 * tag 20.05 in these files by Lock -> Mutex and a stat fix only.
 *
 * In short: anonymous means fd == -1, no flag is looked at; an address of
 * 0 allocates from the pool, any other goes to alloc_at, MAP_FIXED or not;
 * nothing is zero-filled; munmap is 20.05's, so the gap and the fixed
 * dataspaces, their records and attachments all stay.
 */
#include "mmap_libc.h"

enum { PAGE_SHIFT = 12 };

static rme_err_t
alloc_at_create(const rme_genode_prims_t *prims, const rme_mmap_config_t *cfg,
                rme_mmap_t **out, rme_mmap_setup_error_t *why)
{
	(void)cfg;
	return libc_create(prims, &mmap_libc_alloc_at_ops, PLC_HOSTED_GENODE_20_05, out, why);
}

/*
 * Vfs_plugin::mmap at 20.05 (vfs_plugin.cc:1554-1601 at 78fc751): rights
 * other than PROT_READ, or PROT_READ|PROT_WRITE with flags exactly
 * MAP_PRIVATE, are EACCES; an address is EINVAL; else a private copy in the
 * rw pool, shared or not. Its failures return (void *)-1, which mmap
 * registers all the same (file_operations.cc:432-434).
 */
static int
file_mmap(libc_t *l, uint64_t addr, uint64_t len, int prot, int flags, int fd,
          uint64_t *out_addr)
{
	int rights = prot & (RME_PROT_READ | RME_PROT_WRITE | RME_PROT_EXEC);
	uint64_t start;

	if (fd < 0)   /* libc_fd_to_fd: "no plugin found", EBADF (425-430) */
		return libc_fail(l, RME_EBADF, RME_MMAP_CAUSE_NONE);
	if (rights != RME_PROT_READ &&
	    !(rights == (RME_PROT_READ | RME_PROT_WRITE) && flags == RME_MAP_PRIVATE)) {
		libc_registry_insert(l, UINT64_MAX, len, prot, flags, LIBC_PLUGIN_VFS_PRIVATE, 0);
		return libc_fail(l, RME_EACCES, RME_MMAP_CAUSE_UNSUPPORTED);
	}
	if (addr != 0) {
		libc_registry_insert(l, UINT64_MAX, len, prot, flags, LIBC_PLUGIN_VFS_PRIVATE, 0);
		return libc_fail(l, RME_EINVAL, RME_MMAP_CAUSE_UNSUPPORTED);
	}
	start = libc_pool_alloc(libc_mem_alloc(l, false), len, PAGE_SHIFT);
	if (!start)   /* compared with (void *)-1 only: pread writes to address 0 */
		return libc_fail(l, RME_EFAULT, RME_MMAP_CAUSE_ABORT);
	libc_registry_insert(l, start, len, prot, flags, LIBC_PLUGIN_VFS_PRIVATE, 0);
	*out_addr = start;
	return 0;
}

/* mmap (file_operations.cc:398-435 at 78fc751) */
static int
alloc_at_mmap(rme_mmap_t *mm, uint64_t addr, uint64_t len, int prot, int flags, int fd,
              uint64_t offset, uint64_t *out_addr)
{
	libc_t *l = libc_of(mm);
	rme_mmap_cause_t cause = RME_MMAP_CAUSE_NONE;
	libc_pool_t *pool;
	uint64_t start;
	rme_err_t err;

	(void)offset;
	if ((err = libc_reserve(l)) != RME_OK)
		return rme_errno_from_err(err);
	if (fd != -1)   /* 404: anonymous iff fd is -1, whatever the flags */
		return file_mmap(l, addr, len, prot, flags, fd, out_addr);
	pool = libc_mem_alloc(l, (prot & RME_PROT_EXEC) != 0);   /* 406 */
	if (!addr) {
		start = libc_pool_alloc(pool, len, PAGE_SHIFT);   /* 408-411 */
		if (!start)
			cause = len == 0 ? RME_MMAP_CAUSE_ZERO_LENGTH : RME_MMAP_CAUSE_QUOTA;
	} else {
		/* 412-414: any address, MAP_FIXED or not */
		start = libc_pool_alloc_at(pool, libc_mem_alloc(l, (prot & RME_PROT_EXEC) == 0),
		                           addr, len, &cause);
		if (!start && cause != RME_MMAP_CAUSE_ABORT &&
		    !(flags & (RME_MAP_FIXED | RME_MAP_FIXED_NOREPLACE)))
			cause = RME_MMAP_CAUSE_HINT_AS_FIXED;
	}
	if (!start)   /* 416-419 */
		return libc_fail(l, cause == RME_MMAP_CAUSE_ABORT ? RME_EFAULT : RME_ENOMEM, cause);
	/* 420-421: no zero-fill */
	libc_registry_insert(l, start, len, prot, flags, LIBC_PLUGIN_ANON, 0);
	*out_addr = start;
	return 0;
}

/* munmap (file_operations.cc:438-465 at 78fc751) */
static int
alloc_at_munmap(rme_mmap_t *mm, uint64_t addr, uint64_t len)
{
	libc_t *l = libc_of(mm);
	libc_entry_t *e = libc_registry_lookup(l, addr);
	rme_err_t err;

	(void)len;
	if (!e)   /* 440-444 */
		return libc_fail(l, RME_EINVAL, RME_MMAP_CAUSE_NOT_A_START);
	if ((err = libc_reserve(l)) != RME_OK)
		return rme_errno_from_err(err);
	if (e->plugin != LIBC_PLUGIN_ANON) {
		/* Vfs_plugin::munmap at 20.05 (vfs_plugin.cc:1603-1607): the rw pool frees it */
		libc_pool_free(libc_mem_alloc(l, false), addr);
	} else {
		/* 456-461 */
		libc_pool_free(libc_mem_alloc(l, false), addr);
		libc_pool_free(libc_mem_alloc(l, true), addr);
	}
	libc_registry_remove(l, addr);   /* 463: after the free, at 20.05 */
	return 0;
}

const mmap_ops_t mmap_libc_alloc_at_ops = {
	.name = "libc-alloc-at",
	.create = alloc_at_create,
	.mmap = alloc_at_mmap,
	.munmap = alloc_at_munmap,
	LIBC_SHARED_OPS,
};
