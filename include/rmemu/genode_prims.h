/*
 * rmemu/genode_prims.h: the small set of Genode primitives the mmap layer
 * runs on, as a table of C function pointers.
 *
 * The layer (rmemu/mmap.h) never calls Genode or the model directly; it
 * calls these. rmemu implements them on its model (rmemu/prims_model.h);
 * a Genode component implements them with the real API:
 *
 *   ram_alloc / ram_free      Pd_session::alloc_ram / free_ram
 *   ds_zero                   memset through a temporary Env::rm() attachment
 *   rm_create / rm_destroy    Rm_connection::create / destroy
 *   rm_dataspace              Region_map::dataspace()
 *   attach / detach           Region_map::attach(ds, Attr) / detach(at),
 *                             or Env::rm() for RME_PRIM_LOCAL_RM
 *   heap_alloc / heap_free    a Genode::Heap (never memory inside the area)
 *   lock / unlock             a Genode::Mutex
 *
 * Errors are rme_err_t, whose values are Genode's Alloc_error and
 * Attach_error plus HOST_NO_MEMORY for a heap that is out of memory. No
 * function may throw or abort. Every function that can fail must leave
 * things as they were when it fails.
 *
 * There is deliberately no fault-handler primitive: the layer backs every
 * accessible page when it is mapped, so it never needs to resolve a fault.
 */
#ifndef RMEMU_GENODE_PRIMS_H
#define RMEMU_GENODE_PRIMS_H

#include <stddef.h>
#include <stdint.h>

#include <rmemu/alloc.h>
#include <rmemu/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A capability (a dataspace or a region map); 0 is never a valid one. */
typedef uint64_t rme_prim_cap_t;

/* As the rm argument of attach and detach: the component's own address space. */
#define RME_PRIM_LOCAL_RM ((rme_prim_cap_t)0)

/* Genode's Region_map::Attr. */
typedef struct rme_prim_attr {
	uint64_t size;      /* 0: the rest of the dataspace after offset */
	uint64_t offset;    /* page-aligned offset into the dataspace */
	int use_at;         /* place at 'at' (relative to the region map) */
	uint64_t at;
	int executable;
	int writeable;
} rme_prim_attr_t;

typedef struct rme_genode_prims {
	void *ctx;  /* passed as the first argument of every function */

	/* A zero-filled RAM dataspace of size bytes (a page multiple). */
	rme_err_t (*ram_alloc)(void *ctx, uint64_t size, rme_prim_cap_t *ds);
	void (*ram_free)(void *ctx, rme_prim_cap_t ds);

	/*
	 * Make [offset, offset+len) of a RAM dataspace read as zeros, whether
	 * or not the dataspace is attached anywhere (MADV_DONTNEED). The only
	 * content operation the layer needs: mappings move by re-attaching
	 * their dataspaces, never by copying.
	 */
	rme_err_t (*ds_zero)(void *ctx, rme_prim_cap_t ds, uint64_t offset, uint64_t len);

	/* A region map covering [0, size), and the managed dataspace that shows it. */
	rme_err_t (*rm_create)(void *ctx, uint64_t size, rme_prim_cap_t *rm);
	void (*rm_destroy)(void *ctx, rme_prim_cap_t rm);
	rme_prim_cap_t (*rm_dataspace)(void *ctx, rme_prim_cap_t rm);

	/*
	 * Attach ds into rm (RME_PRIM_LOCAL_RM: the own address space); *at
	 * receives the start. Errors as Region_map::attach: REGION_CONFLICT,
	 * INVALID_DATASPACE, OUT_OF_RAM, OUT_OF_CAPS. detach(at) removes the
	 * region that starts at at.
	 */
	rme_err_t (*attach)(void *ctx, rme_prim_cap_t rm, rme_prim_cap_t ds,
	                    const rme_prim_attr_t *attr, uint64_t *at);
	void (*detach)(void *ctx, rme_prim_cap_t rm, uint64_t at);

	/* The metadata heap: NULL when exhausted; free gets the allocated size. */
	void *(*heap_alloc)(void *ctx, size_t size);
	void (*heap_free)(void *ctx, void *ptr, size_t size);

	/* Serialises the layer's calls; the model, being single-threaded, needs none. */
	void (*lock)(void *ctx);
	void (*unlock)(void *ctx);
} rme_genode_prims_t;

#ifdef __cplusplus
}
#endif
#endif
