/*
 * mmap_libc.h: what the two libc policies share (mmap_genode_libc.c is
 * Genode 26.02's libc, mmap_libc_alloc_at.c 20.05's with the 2020 alloc_at
 * patch): the instance with its two pools (rw and rwx) and its
 * Mmap_registry, and the calls both libcs implement alike (mprotect,
 * madvise, msync, mremap) and the inspection.
 *
 * Paths are repos/libports/src/lib/libc/ of genodelabs/genode at the
 * release named, "patch" is tor-m6/genode@78fc751bea8a.
 */
#ifndef RMEMU_MMAP_LIBC_H
#define RMEMU_MMAP_LIBC_H

#include "mmap_internal.h"
#include "mmap_libc_pool.h"

/* Which plugin a registered mapping belongs to (the registry's Plugin *). */
typedef enum {
	LIBC_PLUGIN_ANON,          /* plugin 0: anonymous memory from a pool */
	LIBC_PLUGIN_VFS_PRIVATE,   /* Vfs_plugin: a private copy of a file in the rw pool */
	LIBC_PLUGIN_VFS_SHARED     /* Vfs_plugin (26.02): the file's dataspace attached */
} libc_plugin_t;

/*
 * An entry of the Mmap_registry (internal/mmap_registry.h:45-52: start and
 * plugin; the length is not kept there), and what rmemu reports of it.
 */
typedef struct libc_entry {
	struct libc_entry *next;
	uint64_t start;
	libc_plugin_t plugin;
	/* not the libc's, for inspection and the shared file mapping */
	uint64_t len;
	int prot, flags;
	rme_prim_cap_t ds;         /* LIBC_PLUGIN_VFS_SHARED: the attached dataspace */
} libc_entry_t;

typedef struct libc {
	struct rme_mmap head;      /* must come first: the front end's view */
	plc_hosted_release_t release;
	libc_pool_t pool[2];       /* mem_alloc(false), mem_alloc(true) */
	libc_entry_t *entries;     /* the registry, newest first (its List inserts at the head) */
	uint64_t entry_count;
	libc_entry_t *spare_entry;
	uint64_t metadata_zeroed;
} libc_t;

static inline libc_t *
libc_of(rme_mmap_t *mm)
{
	return (libc_t *)(void *)mm;
}

/* mem_alloc(executable) (libc_mem_alloc.cc:207-213 at 26.02) */
static inline libc_pool_t *
libc_mem_alloc(libc_t *l, bool executable)
{
	return &l->pool[executable ? 1 : 0];
}

/* Create an instance of the release; the area settings are not used. */
rme_err_t libc_create(const rme_genode_prims_t *prims, const mmap_ops_t *ops,
                      plc_hosted_release_t release, rme_mmap_t **out,
                      rme_mmap_setup_error_t *why);
void libc_destroy(rme_mmap_t *mm);

/* Host memory for one call: both pools and a registry entry. */
rme_err_t libc_reserve(libc_t *l);

/* Mmap_registry: lookup by exact start, insert unless registered, remove. */
libc_entry_t *libc_registry_lookup(libc_t *l, uint64_t start);
void libc_registry_insert(libc_t *l, uint64_t start, uint64_t len, int prot, int flags,
                          libc_plugin_t plugin, rme_prim_cap_t ds);
void libc_registry_remove(libc_t *l, uint64_t start);

/* Set the cause of the current call's failure; returns err. */
static inline int
libc_fail(libc_t *l, int err, rme_mmap_cause_t cause)
{
	l->head.cause = cause;
	return err;
}

/* The calls both libcs implement alike (or not at all). */
int libc_mprotect(rme_mmap_t *mm, uint64_t addr, uint64_t len, int prot);
int libc_mremap(rme_mmap_t *mm, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
                int flags, uint64_t new_addr, uint64_t *out_addr);
int libc_madvise(rme_mmap_t *mm, uint64_t addr, uint64_t len, int advice);
int libc_msync(rme_mmap_t *mm, uint64_t addr, uint64_t len, int flags);

int libc_mlock(rme_mmap_t *mm, uint64_t addr, uint64_t len, int flags);
int libc_munlock(rme_mmap_t *mm, uint64_t addr, uint64_t len);
int libc_mlockall(rme_mmap_t *mm, int flags);
int libc_munlockall(rme_mmap_t *mm);

/* The table entries both libc policies share (mmap_genode_libc.c, mmap_libc_alloc_at.c). */
#define LIBC_SHARED_OPS \
	.destroy = libc_destroy, \
	.mprotect = libc_mprotect, \
	.mremap = libc_mremap, \
	.madvise = libc_madvise, \
	.msync = libc_msync, \
	.mlock = libc_mlock, \
	.munlock = libc_munlock, \
	.mlockall = libc_mlockall, \
	.munlockall = libc_munlockall, \
	.foreach = libc_foreach, \
	.foreach_ram = libc_foreach_ram, \
	.stats = libc_stats, \
	.check = libc_check, \
	.foreach_metadata = libc_foreach_metadata

/* Inspection */
int libc_foreach(rme_mmap_t *mm, uint64_t start, uint64_t end,
                 int (*fn)(void *ctx, const rme_mmap_vma_t *vma), void *ctx);
/*
 * The RAM the libc still refers to: its pools' dataspaces that are
 * attached and the dataspaces of shared file mappings (a dataspace 20.05
 * leaked when its attach failed is not among them: nothing refers to it).
 */
int libc_foreach_ram(rme_mmap_t *mm, int (*fn)(void *ctx, rme_prim_cap_t ds, uint64_t size),
                     void *ctx);
void libc_stats(rme_mmap_t *mm, rme_mmap_stats_t *out);
rme_err_t libc_check(rme_mmap_t *mm, char *msg, size_t msglen);
int libc_foreach_metadata(rme_mmap_t *mm, int (*fn)(void *ctx, uint64_t addr, uint64_t len),
                          void *ctx);

#endif
