/*
 * model_internal.h: the model's objects, shared by model.c and the parts of
 * rmemu that look inside the model (the invariant checker, tests).
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

/* 88 bytes (a 96-byte heap block): the small fields share a word, rm and mc_token a place. */
struct ds {
	uint64_t size;              /* page-rounded */
	uint64_t cap;
	uint8_t kind;               /* ds_kind_t */
	/*
	 * The alignment (log2) of the backing store's address, which caps the
	 * alignment core tries when placing a region. RAM is allocated
	 * naturally aligned; a managed dataspace's backing address is 0.
	 */
	uint8_t src_align_log2;
	bool writeable;
	bool internal;              /* part of the initial layout (ld.lib.so, the layout maps' dataspaces) */
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
	mc_arena_t memcheck;        /* RAM dataspaces as memcheck blocks, if asked for */
};

/* The base-linux flavour: Region_map_mmap's rules instead of core's. */
static inline bool
model_is_linux(const struct rme_model *m)
{
	return m->cfg.kernel == RME_KERNEL_LINUX;
}

#endif
