/*
 * rmemu/mmap.h: POSIX memory mapping (mmap, munmap, mprotect, mremap,
 * madvise, msync, and the memory locks mlock, munlock, mlockall,
 * munlockall) on top of Genode primitives, with Linux's semantics.
 *
 * An instance manages one configured address range, the area: it reserves
 * the range as a region map attached into the address space, and places
 * every mapping inside it with attach-at, backed by RAM dataspaces. See
 * doc/mmap.md for the design, the settings and the deviations from Linux.
 *
 * The calls return 0 or an errno value (RME_E*, with Linux's numbers) and
 * never set a global errno. Constants carry Linux's x86-64 values so that
 * traces and logs read the same on every host; the header needs no libc.
 */
#ifndef RMEMU_MMAP_H
#define RMEMU_MMAP_H

#include <stddef.h>
#include <stdint.h>

#include <rmemu/error.h>
#include <rmemu/genode_prims.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RME_MMAP_PAGE_SIZE 4096u

/* ---- errno values (Linux's numbers) --------------------------------------- */

/* X(name, number, description) */
#define RME_ERRNOS(X) \
	X(EPERM,       1, "operation not permitted") \
	X(EIO,         5, "input/output error (a primitive failed in a way the layer does not know)") \
	X(EBADF,       9, "bad file descriptor") \
	X(EAGAIN,     11, "resource temporarily unavailable") \
	X(ENOMEM,     12, "cannot allocate memory") \
	X(EACCES,     13, "permission denied") \
	X(EFAULT,     14, "bad address") \
	X(EBUSY,      16, "device or resource busy") \
	X(EEXIST,     17, "file exists") \
	X(ENODEV,     19, "no such device") \
	X(EINVAL,     22, "invalid argument") \
	X(ENOSYS,     38, "function not implemented") \
	X(EOVERFLOW,  75, "value too large for defined data type") \
	X(EOPNOTSUPP, 95, "operation not supported")

enum {
#define RME__ERRNO_ENUM(name, num, desc) RME_##name = num,
	RME_ERRNOS(RME__ERRNO_ENUM)
#undef RME__ERRNO_ENUM
};

/* "EINVAL" for RME_EINVAL, "0" for 0, "UNKNOWN" for anything else. */
RME_EXPORT const char *rme_errno_name(int err);
RME_EXPORT const char *rme_errno_str(int err);
/* Parse a name ("EINVAL", or "0") back; returns 0 on success, -1 if unknown. */
RME_EXPORT int rme_errno_from_name(const char *name, int *out);

/*
 * The errno a failing Genode primitive becomes (table in doc/mmap.md). A
 * value that is no rme_err_t becomes EIO, which no call of the layer gives
 * otherwise: a primitive has a bug, and says so instead of passing for a
 * bad argument.
 */
RME_EXPORT int rme_errno_from_err(rme_err_t err);

/* ---- Constants ----------------------------------------------------------- */

#define RME_PROT_NONE      0x0
#define RME_PROT_READ      0x1
#define RME_PROT_WRITE     0x2
#define RME_PROT_EXEC      0x4
#define RME_PROT_SEM       0x8
#define RME_PROT_GROWSDOWN 0x01000000
#define RME_PROT_GROWSUP   0x02000000

#define RME_MAP_SHARED          0x01
#define RME_MAP_PRIVATE         0x02
#define RME_MAP_SHARED_VALIDATE 0x03
#define RME_MAP_TYPE            0x0f
#define RME_MAP_FIXED           0x10
#define RME_MAP_ANONYMOUS       0x20
#define RME_MAP_32BIT           0x40
#define RME_MAP_GROWSDOWN       0x0100
#define RME_MAP_DENYWRITE       0x0800
#define RME_MAP_EXECUTABLE      0x1000
#define RME_MAP_LOCKED          0x2000
#define RME_MAP_NORESERVE       0x4000
#define RME_MAP_POPULATE        0x8000
#define RME_MAP_NONBLOCK        0x10000
#define RME_MAP_STACK           0x20000
#define RME_MAP_HUGETLB         0x40000
#define RME_MAP_SYNC            0x80000
#define RME_MAP_FIXED_NOREPLACE 0x100000
#define RME_MAP_UNINITIALIZED   0x4000000
#define RME_MAP_HUGE_SHIFT      26
#define RME_MAP_HUGE_MASK       0x3f

#define RME_MREMAP_MAYMOVE   1
#define RME_MREMAP_FIXED     2
#define RME_MREMAP_DONTUNMAP 4

#define RME_MADV_NORMAL          0
#define RME_MADV_RANDOM          1
#define RME_MADV_SEQUENTIAL      2
#define RME_MADV_WILLNEED        3
#define RME_MADV_DONTNEED        4
#define RME_MADV_FREE            8
#define RME_MADV_REMOVE          9
#define RME_MADV_DONTFORK        10
#define RME_MADV_DOFORK          11
#define RME_MADV_MERGEABLE       12
#define RME_MADV_UNMERGEABLE     13
#define RME_MADV_HUGEPAGE        14
#define RME_MADV_NOHUGEPAGE      15
#define RME_MADV_DONTDUMP        16
#define RME_MADV_DODUMP          17
#define RME_MADV_WIPEONFORK      18
#define RME_MADV_KEEPONFORK      19
#define RME_MADV_COLD            20
#define RME_MADV_PAGEOUT         21
#define RME_MADV_POPULATE_READ   22
#define RME_MADV_POPULATE_WRITE  23
#define RME_MADV_DONTNEED_LOCKED 24
#define RME_MADV_COLLAPSE        25

#define RME_MS_ASYNC      1
#define RME_MS_INVALIDATE 2
#define RME_MS_SYNC       4

#define RME_MLOCK_ONFAULT 1     /* mlock2 */

#define RME_MCL_CURRENT   1     /* mlockall */
#define RME_MCL_FUTURE    2
#define RME_MCL_ONFAULT   4

/* ---- Instances ----------------------------------------------------------- */

typedef struct rme_mmap rme_mmap_t;

/* Linux's default vm.max_map_count. */
#define RME_MMAP_MAP_COUNT_DEFAULT 65530u
/* The default backing chunk: 1 MiB (doc/mmap.md, "Chunk size"). */
#define RME_MMAP_CHUNK_DEFAULT ((uint64_t)1 << 20)

typedef struct rme_mmap_config {
	/*
	 * The implementation, by name; NULL means "rmemu", the managed-area
	 * layer with Linux semantics. For comparison, "genode-libc" is Genode
	 * 26.02's libc mmap and "libc-alloc-at" 20.05's with the 2020 alloc_at
	 * patch, each exactly as its code does it; see doc/mmap.md,
	 * "Policies", and doc/designs.md.
	 */
	const char *policy;
	/* The area and the chunk size are the rmemu policy's; the libc policies have none. */
	uint64_t area_base;      /* page-aligned start of the managed range */
	uint64_t area_size;      /* its size, a page multiple, not 0 */
	uint64_t chunk_size;     /* bytes per backing RAM dataspace, a page multiple, at most 2^32 pages */
	uint64_t map_count_max;  /* like vm.max_map_count */
} rme_mmap_config_t;

/* Defaults: policy "rmemu", no area (it must be set), 1 MiB chunks, 65530 maps. */
RME_EXPORT void rme_mmap_config_init(rme_mmap_config_t *cfg);

/* Why rme_mmap_create failed, for a human: names the conflict or the setting. */
typedef struct rme_mmap_setup_error {
	rme_err_t err;
	char message[192];
} rme_mmap_setup_error_t;

/*
 * Set an instance up: create the area's region map and attach it at
 * area_base into the address space. Fails at once, naming the reason in
 * *why (may be NULL), if the configuration is invalid (INVALID_ARGUMENT),
 * the policy unknown (UNSUPPORTED), the range cannot be reserved
 * (REGION_CONFLICT: it overlaps the kernel's layout or what is attached
 * there, or lies outside the address space) or the quota or heap is short.
 * prims is copied; its ctx must outlive the instance.
 */
RME_EXPORT RME_NODISCARD rme_err_t
rme_mmap_create(const rme_genode_prims_t *prims, const rme_mmap_config_t *cfg,
                rme_mmap_t **out, rme_mmap_setup_error_t *why);

/* Unmap everything, give back all RAM, detach and destroy the area; NULL is fine. */
RME_EXPORT void rme_mmap_destroy(rme_mmap_t *mm);

/* The policy name the instance runs ("rmemu", "genode-libc", "libc-alloc-at"). */
RME_EXPORT const char *rme_mmap_policy(const rme_mmap_t *mm);

/* The name of the i-th policy there is, from 0; NULL past the last. */
RME_EXPORT const char *rme_mmap_policy_name(size_t i);

/* ---- The calls (0 or an RME_E* value) ------------------------------------ */

RME_EXPORT int rme_mmap(rme_mmap_t *mm, uint64_t addr, uint64_t len, int prot,
                        int flags, int fd, uint64_t offset, uint64_t *out_addr);
RME_EXPORT int rme_munmap(rme_mmap_t *mm, uint64_t addr, uint64_t len);
RME_EXPORT int rme_mprotect(rme_mmap_t *mm, uint64_t addr, uint64_t len, int prot);
RME_EXPORT int rme_mremap(rme_mmap_t *mm, uint64_t old_addr, uint64_t old_len,
                          uint64_t new_len, int flags, uint64_t new_addr,
                          uint64_t *out_addr);
RME_EXPORT int rme_madvise(rme_mmap_t *mm, uint64_t addr, uint64_t len, int advice);
RME_EXPORT int rme_msync(rme_mmap_t *mm, uint64_t addr, uint64_t len, int flags);

/*
 * Memory locks. Every mapping of the layer is backed by RAM when it is
 * made, so a lock keeps nothing in memory that would not stay anyway: it
 * is the state Linux keeps (VM_LOCKED, VM_LOCKONFAULT) and what Linux
 * refuses because of it (MADV_DONTNEED, MADV_FREE, MADV_COLD, MADV_PAGEOUT,
 * MADV_REMOVE: EINVAL; msync MS_INVALIDATE: EBUSY), with Linux's splits
 * and merges of VMAs and the map-count limit. rme_mlock is mlock2 (flags
 * 0 is mlock); RLIMIT_MEMLOCK is not modelled (as with CAP_IPC_LOCK).
 */
RME_EXPORT int rme_mlock(rme_mmap_t *mm, uint64_t addr, uint64_t len, int flags);
RME_EXPORT int rme_munlock(rme_mmap_t *mm, uint64_t addr, uint64_t len);
RME_EXPORT int rme_mlockall(rme_mmap_t *mm, int flags);
RME_EXPORT int rme_munlockall(rme_mmap_t *mm);

/* ---- Why a call failed ---------------------------------------------------- */

/*
 * Besides its errno, a failed call names its cause, so that designs can be
 * compared by why they fail (rmemu compare, doc/designs.md). X(enum
 * suffix, name, description).
 */
#define RME_MMAP_CAUSES(X) \
	X(NONE, "-", "no cause beyond the errno (Linux's own rules)") \
	X(UNSUPPORTED, "unsupported", "the implementation does not support the call, flag or rights") \
	X(NOT_A_START, "not-a-start", "not the exact start of a mapping the libc registered") \
	X(GAP_IN_TARGET, "gap-in-target", "the gap dataspace landed in the requested range") \
	X(METADATA_IN_TARGET, "metadata-in-target", "libc metadata landed in the requested range") \
	X(TARGET_IN_USE, "target-in-use", "the requested range is in use (or not in the address space)") \
	X(HINT_AS_FIXED, "hint-as-fixed", "a hint was treated as a fixed address") \
	X(OUTSIDE_AREA, "outside-area", "the requested range lies outside the managed area") \
	X(QUOTA, "quota", "RAM or capability quota ran out (real Genode: a resource request)") \
	X(ZERO_LENGTH, "zero-length", "nothing to allocate") \
	X(ABORT, "abort", "the libc would crash or throw here: the program ends")

typedef enum {
#define RME__MMAP_CAUSE_ENUM(name, str, desc) RME_MMAP_CAUSE_##name,
	RME_MMAP_CAUSES(RME__MMAP_CAUSE_ENUM)
#undef RME__MMAP_CAUSE_ENUM
	RME_MMAP_CAUSE_COUNT_
} rme_mmap_cause_t;

/* The cause of the instance's last call if it failed, else RME_MMAP_CAUSE_NONE. */
RME_EXPORT rme_mmap_cause_t rme_mmap_last_cause(const rme_mmap_t *mm);
/* "metadata-in-target"; "?" for a value out of range. */
RME_EXPORT const char *rme_mmap_cause_name(rme_mmap_cause_t cause);
RME_EXPORT const char *rme_mmap_cause_desc(rme_mmap_cause_t cause);

/* ---- Inspection ---------------------------------------------------------- */

/* One mapping as Linux counts VMAs: adjacent compatible pieces are one. */
typedef struct rme_mmap_vma {
	uint64_t start, len;
	int prot;            /* RME_PROT_* */
	int flags;           /* RME_MAP_SHARED or _PRIVATE, _ANONYMOUS, _LOCKED, _NORESERVE, _GROWSDOWN, _STACK */
	int onfault;         /* locked (_LOCKED) only on fault: MLOCK_ONFAULT, MCL_ONFAULT */
	uint64_t offset;     /* file offset, or the page offset Linux records, in bytes */
	uint64_t ram;        /* bytes of it backed by RAM (0 for a PROT_NONE reservation) */
} rme_mmap_vma_t;

/* The number of mappings, counted as Linux counts VMAs (what map_count_max limits). */
RME_EXPORT uint64_t rme_mmap_count(rme_mmap_t *mm);

/*
 * Call fn for each mapping in address order; stops when fn returns non-zero
 * and returns that value. fn must not call back into mm.
 */
RME_EXPORT int rme_mmap_foreach(rme_mmap_t *mm,
                                int (*fn)(void *ctx, const rme_mmap_vma_t *vma),
                                void *ctx);

/*
 * rme_mmap_foreach for the mappings that overlap [start, end) only (each
 * whole), in O(log n) plus their pieces: what a caller that compares the
 * range one call touched needs, without walking every mapping.
 */
RME_EXPORT int rme_mmap_foreach_range(rme_mmap_t *mm, uint64_t start, uint64_t end,
                                      int (*fn)(void *ctx, const rme_mmap_vma_t *vma),
                                      void *ctx);

/*
 * Call fn for each RAM dataspace the instance holds (the chunks behind its
 * mappings, attached or not) with its size; stops when fn returns non-zero
 * and returns that value. fn must not call back into mm. What the layer
 * detached without freeing is not among them: nothing refers to it.
 */
RME_EXPORT int rme_mmap_foreach_ram(rme_mmap_t *mm,
                                    int (*fn)(void *ctx, rme_prim_cap_t ds, uint64_t size),
                                    void *ctx);

typedef struct rme_mmap_stats {
	uint64_t area_base, area_size;
	rme_prim_cap_t area_rm;      /* the area's region map */
	uint64_t chunk_size, map_count_max;
	uint64_t vmas;               /* = rme_mmap_count */
	uint64_t pieces;             /* registry entries (a VMA is one or more) */
	uint64_t attachments;        /* regions attached in the area's region map */
	uint64_t chunks;             /* RAM dataspaces held */
	uint64_t chunk_bytes;        /* their RAM */
	uint64_t mapped_bytes;       /* bytes in mappings, reservations included */
	/*
	 * The implementation's own metadata inside the address space the
	 * application sees (the libc policies' pools: records and slab blocks;
	 * the rmemu policy keeps all of it on its heap: 0), and how many bytes
	 * of it the zero-fill of calls has overwritten so far.
	 */
	uint64_t metadata_bytes;
	uint64_t metadata_zeroed;
} rme_mmap_stats_t;

RME_EXPORT void rme_mmap_stats(rme_mmap_t *mm, rme_mmap_stats_t *out);

/*
 * Call fn for each range of the address space in which the implementation
 * keeps metadata of its own (none for "rmemu"), in no particular order;
 * stops when fn returns non-zero and returns that value.
 */
RME_EXPORT int rme_mmap_foreach_metadata(rme_mmap_t *mm,
                                         int (*fn)(void *ctx, uint64_t addr, uint64_t len),
                                         void *ctx);

/*
 * Check every invariant of the instance's registry (tree shape and order,
 * gaps, chunk references, the VMA count). Returns RME_OK, or
 * INVALID_ARGUMENT with a description in msg.
 */
RME_EXPORT rme_err_t rme_mmap_check(rme_mmap_t *mm, char *msg, size_t msglen);

#ifdef __cplusplus
}
#endif
#endif
