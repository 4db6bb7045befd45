/*
 * rmemu/prims_model.h: rmemu's model behind the Genode-level interfaces,
 * so that code written against them runs on the model exactly as it runs
 * on real Genode: the mmap layer's primitives (rmemu/genode_prims.h) and
 * the Genode-level operations of the trace executor (rmemu/executor.h).
 *
 * The interfaces themselves stay free of the model; a Genode component
 * implements them with the real API instead (genode/src/app/rmemu_replay).
 */
#ifndef RMEMU_PRIMS_MODEL_H
#define RMEMU_PRIMS_MODEL_H

#include <rmemu/alloc.h>
#include <rmemu/executor.h>
#include <rmemu/genode_prims.h>
#include <rmemu/model.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The mmap layer's primitives on the model: pass &pm->prims to the layer.
 * heap is the layer's metadata heap (NULL: malloc), e.g. a counting
 * allocator to watch or fail it. pm must outlive every user of pm->prims.
 * Capabilities pass through unchanged; RME_PRIM_LOCAL_RM is the model's
 * address space, env.
 */
typedef struct rme_prims_model {
	rme_genode_prims_t prims;
	rme_model_t *model;
	const rme_allocator_t *heap;
} rme_prims_model_t;

RME_EXPORT void rme_prims_model_init(rme_prims_model_t *pm, rme_model_t *model,
                                     const rme_allocator_t *heap);

/*
 * The executor's Genode-level operations on the model: *g calls the
 * model's API (rme_ram_alloc, rme_rom_create, rme_attach, rme_read, ...)
 * with the slot values as capabilities, and completes every access at
 * once. The model must outlive every user of *g.
 */
RME_EXPORT void rme_executor_genode_model(rme_executor_genode_t *g, rme_model_t *model);

#ifdef __cplusplus
}
#endif
#endif
