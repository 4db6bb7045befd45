/*
 * mmap_libc_pool.h: the pool behind Genode's libc mmap, Libc::Mem_alloc_impl
 * (repos/libports/src/lib/libc/libc_mem_alloc.cc and internal/mem_alloc.h),
 * as Genode 26.02 has it and as 20.05 has it with the 2020 alloc_at patch
 * (tor-m6/genode@78fc751bea8a), step for step, on the mmap layer's Genode
 * primitives.
 *
 * A pool is an Allocator_avl over RAM dataspaces attached anywhere in the
 * address space, whose own metadata (its AVL blocks' slab, the dataspaces'
 * records) lives in the pool's free ranges: placement.c's tree with
 * placement_hosted.c's slab. Nothing is ever detached or freed before the
 * pool is destroyed.
 */
#ifndef RMEMU_MMAP_LIBC_POOL_H
#define RMEMU_MMAP_LIBC_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include <rmemu/genode_prims.h>
#include <rmemu/mmap.h>

#include "placement.h"
#include "placement_hosted.h"

/* Why a dataspace joined the pool. */
typedef enum {
	LIBC_DS_CHUNK,   /* expand() for alloc(): a chunk */
	LIBC_DS_GAP,     /* expand() for the patch's alloc_at(): the "gap" */
	LIBC_DS_FIXED    /* the patch's expand_at(): exactly at the requested address */
} libc_ds_kind_t;

/* A dataspace of the pool (Mem_alloc_impl::Dataspace, and what the model needs to know). */
typedef struct libc_ds {
	struct libc_ds *next;       /* newest first, as Dataspace_pool inserts */
	rme_prim_cap_t cap;
	uint64_t at, size;          /* where it is attached, and its size */
	bool attached;              /* false: 20.05 leaked it when attach threw Out_of_ram/caps */
	uint64_t record;            /* its Dataspace record in the pool; 0: none could be placed */
	libc_ds_kind_t kind;
} libc_ds_t;

/* What a failing expand() says (its return values), and the model's own two. */
enum {
	LIBC_EXPAND_OK = 0,
	LIBC_EXPAND_NO_RECORD = -1,   /* "could not allocate meta data" */
	LIBC_EXPAND_OUT_OF_RAM = -2,
	LIBC_EXPAND_CONFLICT = -3,    /* 20.05: Region_conflict */
	LIBC_EXPAND_OUT_OF_CAPS = -4,
	LIBC_EXPAND_RAM_FAILED = -5,  /* 26.02: any RAM error ends as -5 (libc_mem_alloc.cc:65) */
	LIBC_EXPAND_ATTACH_FAILED = -7, /* 26.02: any attach error */
	LIBC_EXPAND_ABORT = -100      /* 20.05: an exception nobody catches: the program dies */
};

typedef struct libc_pool {
	const rme_genode_prims_t *prims;
	plc_hosted_release_t release;
	bool executable;            /* the rwx pool */
	rme_allocator_t host;       /* host memory for the model's records: the primitives' heap */
	plc_t alloc;                /* _alloc: Allocator_avl_tpl<Empty>(0) */
	plc_hosted_t slab;          /* its Tslab, hosted in the pool */
	uint64_t chunk_words;       /* _chunk_size, in machine words */
	uint64_t record_size;       /* sizeof(Dataspace): 0x20 at 26.02, 0x18 at 20.05 */
	libc_ds_t *ds;              /* _ds_pool's list (and the leaked ones) */
	libc_ds_t *spare_ds[2];     /* host records at hand for the next expansions */
	uint64_t ds_count, ds_bytes;   /* dataspaces held (attached or leaked), their RAM */
	rme_err_t last_err;         /* the primitive's error behind the last failed expansion */
} libc_pool_t;

/* The pool must not move afterwards (its tree points into it). */
void libc_pool_init(libc_pool_t *pool, const rme_genode_prims_t *prims,
                    plc_hosted_release_t release, bool executable);

/* ~Dataspace_pool: detach and free every dataspace; free all host memory. */
void libc_pool_destroy(libc_pool_t *pool);

/*
 * Host memory for the next call (tree nodes, a slab record, dataspace
 * records), so that the call itself cannot fail for lack of it.
 */
rme_err_t libc_pool_reserve(libc_pool_t *pool);

/* Mem_alloc_impl::alloc(size, align): the address, or 0. */
uint64_t libc_pool_alloc(libc_pool_t *pool, uint64_t size, unsigned align_log2);

/*
 * The patch's Mem_alloc_impl::alloc_at(X, size): X, or 0 with the cause
 * in *cause (metadata of the other pool in the target counts as well).
 */
uint64_t libc_pool_alloc_at(libc_pool_t *pool, const libc_pool_t *other, uint64_t x,
                            uint64_t size, rme_mmap_cause_t *cause);

/* Mem_alloc_impl::free(addr): the used block that contains addr goes back. */
void libc_pool_free(libc_pool_t *pool, uint64_t addr);

/* Allocator_avl_base::size_at: the size, 0 if unknown, UINT64_MAX if addr is inside a block. */
uint64_t libc_pool_size_at(const libc_pool_t *pool, uint64_t addr);

/* The bytes of the pool's metadata (records, slab blocks) inside [start, end). */
uint64_t libc_pool_metadata_in(const libc_pool_t *pool, uint64_t start, uint64_t end);

/* Call fn for every record and slab block in the pool's memory. */
void libc_pool_foreach_metadata(const libc_pool_t *pool,
                                void (*fn)(void *ctx, uint64_t addr, uint64_t size), void *ctx);

/* Zero [start, end) of pool memory through the primitives (bzero of file_operations.cc). */
rme_err_t libc_pool_zero(libc_pool_t *pool, uint64_t start, uint64_t end);

/* Whether [start, end) overlaps a dataspace of the pool that is attached. */
bool libc_pool_overlaps(const libc_pool_t *pool, uint64_t start, uint64_t end);

#endif
