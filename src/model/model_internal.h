/*
 * model_internal.h: the model's objects and the functions its files share
 * (model.c, quota.c, region_map.c, fault.c, inspect.c), also for the parts
 * of rmemu that look inside the model (tests).
 */
#ifndef RMEMU_MODEL_INTERNAL_H
#define RMEMU_MODEL_INTERNAL_H

#include <stdbool.h>

#include <rmemu/model.h>

#include "captable.h"
#include "layout.h"
#include "memcheck.h"
#include "pagestore.h"
#include "placement.h"

typedef enum { DS_RAM, DS_ROM, DS_MANAGED } ds_kind_t;

struct rm;

/*
 * 96 bytes (a 96-byte heap block): the small fields and the slab block
 * share a word, the two sites another, rm and mc_token a place.
 */
struct ds {
	uint64_t size;              /* page-rounded */
	uint64_t cap;
	uint8_t kind : 2;           /* ds_kind_t */
	bool lost : 1;              /* RAM: the leak verdict found that nothing refers to it */
	bool held : 1;              /* RAM: scratch of the leak verdict */
	/*
	 * The alignment (log2) of the backing store's address, which caps the
	 * alignment core tries when placing a region. RAM is allocated
	 * naturally aligned; a managed dataspace's backing address is 0.
	 */
	uint8_t src_align_log2;
	bool writeable;
	bool internal;              /* part of the initial layout (ld.lib.so, the layout maps' dataspaces) */
	uint32_t slab_block;        /* RAM: the block of core's slab that holds its metadata (ds_slab.c) */
	uint32_t alloc_site;        /* RAM: the site of its allocation (rme_model_set_site) */
	uint32_t detach_site;       /* RAM: the site at which its last region went away */
	pagestore_t pages;          /* RAM and ROM content */
	union {
		uint8_t *mc_token;      /* RAM: the dataspace's memcheck block, if announced */
		struct rm *rm;          /* DS_MANAGED: its region map */
	};
	plc_block_t *regions;       /* the regions that attach this dataspace */
	struct ds *prev, *next;     /* the model's list of RAM and ROM dataspaces */
};

struct faulter {
	rme_fault_type_t type;
	uint64_t addr;              /* in the region map that queued it */
	uint64_t origin;            /* the access's address in env, to retry it when woken */
	uint8_t byte;               /* what a write stores once it can */
};

struct rm {
	uint64_t cap;
	struct ds ds;               /* the managed dataspace (kind DS_MANAGED) */
	plc_t map;
	uint64_t base, size;        /* the range the map covers */
	bool has_handler;
	bool is_env;
	bool internal;              /* part of the layout (stack area, linker area): uncharged */
	uint64_t visit;             /* stamp of the last cycle search that reached this map */
	struct faulter *faulters;   /* FIFO of blocked faulters, oldest first */
	uint64_t nfaulters, faulters_cap;
	struct rme_model *model;
	struct rm *prev, *next;     /* the model's list of region maps */
};

/*
 * The RM session that the first rm_create opens, as Rm_connection does:
 * the PD quota donated to it so far, and (core kernels) what is left of
 * that in core for region maps and their metadata.
 */
struct rm_session {
	bool open;
	uint64_t donated_ram, donated_caps;
	uint64_t avail_ram, avail_caps;
};

/*
 * Core's slab of the PD's dataspace metadata (ds_slab.c): a ring of blocks,
 * each a count of free entries, by index; block 0 is the one embedded in
 * the PD session, which costs the PD nothing.
 */
struct ds_slab_block {
	uint32_t next, prev;        /* the ring; a free slot: next is the next free slot */
	uint32_t avail;             /* free entries */
	bool in_ring;               /* false: a free slot of blocks[] */
	/*
	 * The ring as a treap, in order from the block at its root's far left
	 * on: where the next block with free entries is, without core's walk
	 * along the ring (ds_slab.c).
	 */
	uint32_t left, right, up;
	uint32_t prio;
	uint32_t nonfull;           /* blocks with free entries in this subtree */
};

struct ds_slab {
	struct ds_slab_block *blocks;
	uint32_t nslots;            /* the size of blocks[] */
	uint32_t curr;              /* the block the next allocation tries first; none before the first */
	uint32_t root;              /* the treap's */
	uint32_t free_slots;        /* the first slot not in the ring (slot 0 never is one) */
	uint32_t prio_state;        /* the treap's priorities, drawn in turn */
	uint64_t total_avail, num_blocks;
	uint64_t charged;           /* blocks taken from the PD's quota now */
	uint64_t lost_ram, lost_caps; /* what failed allocations kept (ds_slab_lose) */
};

struct rme_model {
	rme_model_config_t cfg;
	const rme_allocator_t *alloc;
	layout_t layout;
	captable_t caps;
	rme_quota_t quota;
	struct rm *env;
	struct rm *rms;
	struct ds *dss;
	uint64_t visit_stamp;       /* for cycle searches */
	struct rm_session rm_session;
	struct ds_slab ds_slab;     /* core's metadata of the PD's RAM dataspaces */
	mc_arena_t memcheck;        /* RAM dataspaces as memcheck blocks, if asked for */
	uint32_t site;              /* where the user is (rme_model_set_site) */
};

/* The base-linux flavour: Region_map_mmap's rules instead of core's. */
static inline bool
model_is_linux(const struct rme_model *m)
{
	return m->cfg.kernel == RME_KERNEL_LINUX;
}

/* A region the initial layout put there (a reserved one never is). */
static inline bool
layout_region(const plc_block_t *b)
{
	return b->region.ds && b->region.ds->internal;
}

/* ---- quota.c: the PD's quota, the RM session, metadata slabs -------------- */

uint64_t ram_avail(const struct rme_model *m);
uint64_t caps_avail(const struct rme_model *m);
/* Take ram bytes and caps capabilities from the PD, or neither. */
rme_err_t quota_charge(struct rme_model *m, uint64_t ram, uint64_t caps);
void quota_refund(struct rme_model *m, uint64_t ram, uint64_t caps);
/* Take from the RM session, opening it and donating to it as needed; all or nothing. */
rme_err_t session_take(struct rme_model *m, uint64_t ram, uint64_t caps);
/* Close the RM session: the PD gets back everything it donated. */
void session_close(struct rme_model *m);
/* Whether core charges for region metadata (not on base-linux). */
bool slab_charged(const struct rme_model *m);
/* The placement's slab hooks (ctx: the struct rm). */
rme_err_t slab_grow(void *ctx);
void slab_shrink(void *ctx);
/* A created region map is gone: what it cost goes back. */
void rm_uncharge(struct rme_model *m);

/* ---- ds_slab.c: core's slab of the PD's dataspace metadata ---------------- */

void ds_slab_init(struct rme_model *m);
/* Free the host memory of the slab (the model is destroyed). */
void ds_slab_fini(struct rme_model *m);
/* Whether the next allocation takes a block from the PD's quota. */
bool ds_slab_grows(const struct rme_model *m);
/* Get the host memory the next allocation may need; nothing else changes. */
rme_err_t ds_slab_reserve(struct rme_model *m);
/* An entry for a new dataspace (after ds_slab_reserve, with the quota checked): its block. */
uint32_t ds_slab_alloc(struct rme_model *m);
/* A dataspace's entry is freed: blocks may go back to the PD. */
void ds_slab_free(struct rme_model *m, uint32_t block);
/* An allocation failed while the slab grew: core keeps what it had reserved (ram, caps). */
void ds_slab_lose(struct rme_model *m, uint64_t ram, uint64_t caps);
/* The PD session closes: its blocks and what failed allocations kept come back. */
void ds_slab_close(struct rme_model *m);
/* The PD quota its blocks hold now. */
void ds_slab_stats(const struct rme_model *m, uint64_t *ram, uint64_t *caps);
/* The invariant checker's part: 1 if the slab adds up with the RAM dataspaces, else 0 and why. */
int ds_slab_check(const struct rme_model *m, const char **why);

/* ---- model.c: objects and dataspaces ------------------------------------ */

struct ds *ds_of(const struct rme_model *m, rme_cap_t cap);
struct rm *rm_of(const struct rme_model *m, rme_cap_t cap);
/* Host memory for the model's metadata, zeroed; NULL when there is none. */
void *host_alloc(struct rme_model *m, size_t size);
void host_free(struct rme_model *m, void *p, size_t size);
rme_err_t ds_new(struct rme_model *m, ds_kind_t kind, uint64_t size, struct ds **out);
void ds_delete(struct rme_model *m, struct ds *ds, bool tearing_down);

/* ---- region_map.c: region maps, attach and detach ----------------------- */

rme_err_t rm_new(struct rme_model *m, uint64_t base, uint64_t size, struct rm **out);
void rm_delete(struct rme_model *m, struct rm *rm, bool tearing_down);
/* Unlink a region from its dataspace's list (noting the site when it was the last one). */
void region_unlink(struct rme_model *m, plc_block_t *b);
/* A dataspace is going away: reserve its regions (since 24.02) or detach them. */
void release_regions_of(struct rme_model *m, struct ds *ds, bool tearing_down);

/* ---- fault.c: accesses and faults --------------------------------------- */

/* A new region [at, at+size) of rm: its faulters there retry their accesses. */
void wake_faulters(struct rme_model *m, struct rm *rm, uint64_t at, uint64_t size);

#endif
