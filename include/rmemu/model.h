/*
 * rmemu/model.h: a deterministic model of what a Genode component sees of
 * core: a PD with RAM and capability quota, RAM and ROM dataspaces with real
 * content, region maps with Genode's own placement, and accesses that
 * resolve through nested region maps or fault.
 *
 * Objects are named by capabilities (rme_cap_t), as in Genode: a capability
 * of an object that was destroyed stays invalid forever, so a stale one
 * gives the same INVALID_DATASPACE that core gives. Every function returns
 * an rme_err_t; on any error the model is exactly as it was before the call.
 * A model is single-threaded; several models can live in one process.
 */
#ifndef RMEMU_MODEL_H
#define RMEMU_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <rmemu/alloc.h>
#include <rmemu/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t rme_addr_t;   /* an address in the modelled address space */
typedef uint64_t rme_cap_t;    /* a capability; 0 is never valid */
typedef struct rme_model rme_model_t;

enum { RME_PAGE_SIZE = 4096 };

typedef enum {
	RME_KERNEL_HW, RME_KERNEL_NOVA, RME_KERNEL_SEL4, RME_KERNEL_FOC,
	RME_KERNEL_OKL4, RME_KERNEL_LINUX
} rme_kernel_t;

typedef enum {
	RME_ARCH_X86_64, RME_ARCH_X86_32, RME_ARCH_ARM_V8A, RME_ARCH_ARM_V7A
} rme_arch_t;

/* Genode releases are numbered YYMM: 2602 is 26.02. */
#define RME_GENODE_DEFAULT 2602u

/* The oldest and newest release whose semantics the model knows. */
#define RME_GENODE_OLDEST 2005u
#define RME_GENODE_NEWEST 2602u

/*
 * The PD's quota when a configuration (or a trace's quota directive) does
 * not say: the model's default, and what the rmemu_replay component funds
 * the PD of a trace without a quota directive with.
 */
#define RME_DEFAULT_RAM_QUOTA ((uint64_t)64 << 20)
#define RME_DEFAULT_CAP_QUOTA 1000u

typedef struct rme_model_config {
	uint64_t ram_quota;              /* bytes of RAM quota of the PD */
	uint64_t cap_quota;              /* capability quota of the PD */
	rme_kernel_t kernel;             /* RME_KERNEL_LINUX selects base-linux's semantics */
	rme_arch_t arch;
	/*
	 * Semantics of this release (YYMM, RME_GENODE_OLDEST..NEWEST). Where
	 * users meet a difference it is modelled: before 24.02 freeing an
	 * attached dataspace detaches its regions instead of reserving them;
	 * before 23.08 only the leaf region's rights count.
	 */
	unsigned genode_release;
	/*
	 * Attach the stack area, the linker area and ld.lib.so into env where
	 * Genode puts them in a dynamically linked component (not on linux,
	 * where the process's own layout applies). Default 1.
	 */
	int layout_regions;
	/*
	 * Under Valgrind, announce every RAM dataspace to memcheck as a heap
	 * block, freed by rme_ram_free() and, for a dataspace still allocated,
	 * by the teardown or destruction of the model, unless the leak verdict
	 * (rme_model_leak_verdict) found it lost: its block stays behind and
	 * memcheck reports it "definitely lost" with the stack that allocated
	 * it. Default 0.
	 */
	int memcheck_blocks;
	const rme_allocator_t *allocator; /* the model's metadata; NULL: malloc */
} rme_model_config_t;

/* Fill a configuration with defaults: hw, x86_64, 26.02, 64 MiB, 1000 caps,
 * layout regions attached. */
RME_EXPORT void rme_model_config_init(rme_model_config_t *cfg);

RME_EXPORT RME_NODISCARD rme_err_t
rme_model_create(const rme_model_config_t *cfg, rme_model_t **out);

/* Destroys the model and everything in it; NULL is fine. */
RME_EXPORT void rme_model_destroy(rme_model_t *model);

/* Names for kernels and architectures, as used in traces ("hw", "x86_64"). */
RME_EXPORT const char *rme_kernel_name(rme_kernel_t kernel);
RME_EXPORT const char *rme_arch_name(rme_arch_t arch);
RME_EXPORT int rme_kernel_from_name(const char *name, rme_kernel_t *out);
RME_EXPORT int rme_arch_from_name(const char *name, rme_arch_t *out);

/* ---- Quota --------------------------------------------------------------- */

typedef struct rme_quota {
	uint64_t ram_quota, ram_used;
	uint64_t cap_quota, cap_used;
} rme_quota_t;

RME_EXPORT void rme_quota(const rme_model_t *model, rme_quota_t *out);

/* ---- Dataspaces ---------------------------------------------------------- */

/*
 * Allocate a RAM dataspace of size bytes, rounded up to whole pages and
 * zero-filled. Costs its rounded size and one capability; needs one more
 * page of RAM quota as headroom, as core does. size 0 is DENIED.
 */
RME_EXPORT RME_NODISCARD rme_err_t
rme_ram_alloc(rme_model_t *model, uint64_t size, rme_cap_t *ds);

/*
 * Free a RAM dataspace and return its quota. Regions that still attach it
 * stay reserved until they are detached. A capability that is not a RAM
 * dataspace of this PD is ignored, as core ignores it: the result is RME_OK.
 */
RME_EXPORT rme_err_t rme_ram_free(rme_model_t *model, rme_cap_t ds);

/*
 * Create a read-only dataspace (like a ROM module) of size bytes, filled
 * from data (size bytes) or with zeros if data is NULL. ROM modules come
 * from the parent, so they cost no quota of the PD.
 */
RME_EXPORT RME_NODISCARD rme_err_t
rme_rom_create(rme_model_t *model, const void *data, uint64_t size, rme_cap_t *ds);

/* Release a ROM dataspace; its regions become reserved like freed RAM's. */
RME_EXPORT rme_err_t rme_rom_free(rme_model_t *model, rme_cap_t ds);

/* The page-rounded size of a dataspace, 0 for an invalid capability. */
RME_EXPORT uint64_t rme_ds_size(const rme_model_t *model, rme_cap_t ds);

/* Read or write a RAM or ROM dataspace's bytes directly (writes: RAM only). */
RME_EXPORT RME_NODISCARD rme_err_t
rme_ds_read(const rme_model_t *model, rme_cap_t ds, uint64_t offset,
            void *buf, uint64_t len);
RME_EXPORT RME_NODISCARD rme_err_t
rme_ds_write(rme_model_t *model, rme_cap_t ds, uint64_t offset,
             const void *buf, uint64_t len);

/* ---- Region maps --------------------------------------------------------- */

/* The component's own address space, which exists from the start. */
RME_EXPORT rme_cap_t rme_env(const rme_model_t *model);

/* Create a region map covering [0, size rounded up to pages). */
RME_EXPORT RME_NODISCARD rme_err_t
rme_rm_create(rme_model_t *model, uint64_t size, rme_cap_t *rm);

/*
 * Destroy a region map: its regions are dropped, the quota it held comes
 * back, and wherever its dataspace is attached the region stays reserved.
 * The address space env cannot be destroyed (DENIED).
 */
RME_EXPORT rme_err_t rme_rm_destroy(rme_model_t *model, rme_cap_t rm);

/* The managed dataspace of a region map, 0 for an invalid capability. */
RME_EXPORT rme_cap_t rme_rm_dataspace(const rme_model_t *model, rme_cap_t rm);

/* Genode's Region_map::Attr. A zeroed Attr attaches the whole dataspace read-only. */
typedef struct rme_attr {
	uint64_t size;       /* 0: the rest of the dataspace after offset */
	uint64_t offset;     /* must be page-aligned */
	int use_at;          /* place at 'at' instead of letting core choose */
	rme_addr_t at;
	int executable;
	int writeable;
} rme_attr_t;

typedef struct rme_range {
	rme_addr_t start;
	uint64_t num_bytes;
} rme_range_t;

/*
 * Attach a dataspace. Errors in core's order: unaligned offset
 * REGION_CONFLICT; bad dataspace INVALID_DATASPACE; offset or size beyond
 * the dataspace REGION_CONFLICT; no room REGION_CONFLICT; metadata quota
 * OUT_OF_RAM / OUT_OF_CAPS. An invalid rm is INVALID_ARGUMENT.
 */
RME_EXPORT RME_NODISCARD rme_err_t
rme_attach(rme_model_t *model, rme_cap_t rm, rme_cap_t ds,
           const rme_attr_t *attr, rme_range_t *out);

/*
 * Detach the region that contains addr. An address without a region is
 * silently ignored (RME_OK), as in core. An invalid rm is INVALID_ARGUMENT.
 */
RME_EXPORT rme_err_t rme_detach(rme_model_t *model, rme_cap_t rm, rme_addr_t addr);

/* ---- Accesses and faults ------------------------------------------------- */

typedef enum {
	RME_FAULT_NONE, RME_FAULT_READ, RME_FAULT_WRITE, RME_FAULT_EXEC
} rme_fault_type_t;

typedef struct rme_fault {
	rme_fault_type_t type;
	rme_addr_t addr;
} rme_fault_t;

typedef enum {
	RME_ACCESS_DONE,      /* the access completed */
	RME_ACCESS_FAULT,     /* reflected to a handler; the faulter is queued */
	RME_ACCESS_UNHANDLED, /* no handler: Genode logs an error, the thread stops */
	RME_ACCESS_TOO_DEEP   /* more nesting than core follows: not reflected */
} rme_access_outcome_t;

typedef struct rme_access {
	rme_access_outcome_t outcome;
	uint8_t byte;        /* the byte read, for a completed read */
	rme_cap_t rm;        /* for a fault: the region map it is reflected to */
	rme_fault_t fault;   /* for a fault: its type and the address in rm */
} rme_access_t;

/* Read, write or execute one byte at addr of the address space env. */
RME_EXPORT RME_NODISCARD rme_err_t
rme_read(rme_model_t *model, rme_addr_t addr, rme_access_t *out);
RME_EXPORT RME_NODISCARD rme_err_t
rme_write(rme_model_t *model, rme_addr_t addr, uint8_t byte, rme_access_t *out);
RME_EXPORT RME_NODISCARD rme_err_t
rme_exec(rme_model_t *model, rme_addr_t addr, rme_access_t *out);

/* Install a fault handler on a region map (the signal context is implied). */
RME_EXPORT rme_err_t rme_fault_handler(rme_model_t *model, rme_cap_t rm);

/* Region_map::fault(): the fault of the oldest queued faulter, or NONE. */
RME_EXPORT rme_err_t rme_rm_fault(const rme_model_t *model, rme_cap_t rm,
                                  rme_fault_t *out);

/* ---- Inspection ---------------------------------------------------------- */

typedef struct rme_region_info {
	rme_addr_t base;
	uint64_t size;
	uint64_t offset;
	rme_cap_t ds;        /* 0 for a reserved region */
	int writeable, executable, reserved;
} rme_region_info_t;

typedef struct rme_rm_info {
	rme_addr_t base;     /* the range the map covers */
	uint64_t size;
	uint64_t regions;    /* attached and reserved regions */
	uint64_t md_blocks;  /* allocator blocks (free and used) */
	uint64_t slab_blocks; /* metadata slab blocks, the first one included */
	uint64_t faulters;   /* queued faulters */
} rme_rm_info_t;

RME_EXPORT rme_err_t rme_rm_info(const rme_model_t *model, rme_cap_t rm,
                                 rme_rm_info_t *out);

/* Call fn for each region of rm in address order; stops when fn returns non-zero. */
RME_EXPORT rme_err_t rme_rm_regions(const rme_model_t *model, rme_cap_t rm,
                                    int (*fn)(void *ctx, const rme_region_info_t *r),
                                    void *ctx);

typedef struct rme_model_stats {
	uint64_t dataspaces;     /* RAM and ROM dataspaces, the layout's own not counted */
	uint64_t region_maps;    /* created region maps (env and the layout's not counted) */
	uint64_t regions;        /* regions in all region maps, the layout's own not counted */
	uint64_t content_pages;  /* pages of dataspace content held in host memory */
	/*
	 * Quota held by the metadata slabs of env and the layout's region maps:
	 * core keeps grown slab blocks cached after their entries are freed, so
	 * this can stay above its start value when everything was given back.
	 */
	uint64_t layout_md_ram, layout_md_caps;
	/*
	 * PD quota donated to the RM session that the first rme_rm_create
	 * opened: it stays there, whatever core frees inside the session, until
	 * the session closes (rme_model_teardown).
	 */
	uint64_t rm_session_ram, rm_session_caps;
	/*
	 * Quota held by core's slab of the PD's dataspace metadata: a page and
	 * a capability for every block beyond the one embedded in the PD
	 * session. Core gives a block back only when it is empty and more than
	 * two blocks' worth of entries are free, so at most two blocks stay
	 * when every dataspace was freed.
	 */
	uint64_t ds_md_ram, ds_md_caps;
} rme_model_stats_t;

RME_EXPORT void rme_model_stats(const rme_model_t *model, rme_model_stats_t *out);

/*
 * A digest of the model's complete state: quota, every region map (its
 * tree with every field core keeps, its regions, its faulters, its
 * metadata slab) and every dataspace with its content. Two models, or one
 * model before and after a failed call, are in the same state exactly when
 * their digests are equal (up to hash collisions).
 */
RME_EXPORT uint64_t rme_model_digest(const rme_model_t *model);

/*
 * Remove everything that is not part of the initial layout: detach every
 * region, destroy every created region map, free every dataspace. Quota
 * comes back as each piece goes. Cannot fail.
 */
RME_EXPORT void rme_model_teardown(rme_model_t *model);

/* ---- The leak verdict ------------------------------------------------------ */

/*
 * Where the model's user is in its script (a replay: the trace line),
 * 0 for nowhere. A RAM dataspace notes the site at which it was
 * allocated and the one at which its last region went away, so that a
 * lost one can be reported with what and where.
 */
RME_EXPORT void rme_model_set_site(rme_model_t *model, uint32_t site);

/* A RAM dataspace that nothing refers to any more. */
typedef struct rme_lost_ds {
	rme_cap_t ds;
	uint64_t size;
	uint32_t alloc_site;     /* the site of its allocation */
	uint32_t detach_site;    /* where its last region went away; 0: never attached */
} rme_lost_ds_t;

typedef struct rme_leak_verdict {
	uint64_t left, left_ram; /* RAM dataspaces still allocated and still reachable */
	uint64_t lost, lost_ram; /* RAM dataspaces still allocated that nothing refers to */
} rme_leak_verdict_t;

/*
 * One verdict on the RAM dataspaces still allocated (the layout's aside).
 * One is "left" while something still refers to it: a region attaches it,
 * or it is among the nheld capabilities in held (what the model cannot
 * see: the names of a trace, an mmap layer's registry); the teardown
 * reclaims it. Otherwise it is "lost": nothing can free it any more, a
 * leak. Each lost dataspace is passed to fn (if not NULL) and marked, so
 * that under Valgrind its memcheck block outlives the teardown and the
 * destruction of the model: memcheck reports it as definitely lost. The
 * blocks of left dataspaces are freed with them. Capabilities in held
 * that are no RAM dataspace are ignored.
 */
RME_EXPORT void rme_model_leak_verdict(rme_model_t *model, const rme_cap_t *held, size_t nheld,
                                       void (*fn)(void *ctx, const rme_lost_ds_t *lost),
                                       void *ctx, rme_leak_verdict_t *out);

/*
 * Check every internal structure of the model: the placement trees, the
 * regions against their dataspaces, the quota against what is held.
 * Returns RME_OK, or INVALID_ARGUMENT with a description in msg.
 */
RME_EXPORT rme_err_t rme_model_check(const rme_model_t *model, char *msg, size_t msglen);

#ifdef __cplusplus
}
#endif
#endif
