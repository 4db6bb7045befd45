/*
 * rmemu/view.h: what drawing the state needs beyond model.h and mmap.h:
 * what a dataspace is (and, for a managed one, whose region map), the
 * regions of a part of a region map, its queued faulters, and the pieces
 * of the mmap layer's mappings with the RAM chunks behind them.
 *
 * Everything here only looks: nothing changes the model or the layer. The
 * range functions cost the logarithm of the map's size plus what they
 * report, so that a caller that follows a long run can look at what one
 * operation touched without walking everything (rmemu show does).
 */
#ifndef RMEMU_VIEW_H
#define RMEMU_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include <rmemu/mmap.h>
#include <rmemu/model.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { RME_DS_RAM, RME_DS_ROM, RME_DS_MANAGED } rme_ds_kind_t;

typedef struct rme_ds_info {
	rme_ds_kind_t kind;
	uint64_t size;           /* page-rounded */
	rme_cap_t rm;            /* a managed dataspace's region map, else 0 */
	/*
	 * What Genode's layout attached before the component ran ("stack
	 * area", "linker area", "ld.lib.so", "binary" on base-linux), else NULL.
	 */
	const char *layout_name;
} rme_ds_info_t;

/* What ds is; INVALID_ARGUMENT for a capability that is no dataspace. */
RME_EXPORT rme_err_t rme_ds_info(const rme_model_t *model, rme_cap_t ds, rme_ds_info_t *out);

/*
 * Call fn for each region of rm that overlaps [lo, hi), in address order;
 * stops when fn returns non-zero. INVALID_ARGUMENT for an invalid rm.
 */
RME_EXPORT rme_err_t
rme_rm_regions_in(const rme_model_t *model, rme_cap_t rm, rme_addr_t lo, rme_addr_t hi,
                  int (*fn)(void *ctx, const rme_region_info_t *r), void *ctx);

/*
 * Call fn for each faulter queued at rm, oldest first, with its fault
 * (type, address in rm); stops when fn returns non-zero.
 */
RME_EXPORT rme_err_t
rme_rm_faulters(const rme_model_t *model, rme_cap_t rm,
                int (*fn)(void *ctx, const rme_fault_t *f), void *ctx);

/*
 * What the PD has donated to the RM session so far (rme_model_stats's
 * rm_session_ram and _caps), without the walk over every region that
 * rme_model_stats makes.
 */
RME_EXPORT void rme_rm_session_donation(const rme_model_t *model, uint64_t *ram, uint64_t *caps);

/*
 * A piece of a mapping: a page range with one protection, backed by at
 * most one RAM chunk. A VMA (rme_mmap_vma_t) is a run of pieces; vma_start
 * says where one begins.
 */
typedef struct rme_mmap_piece {
	uint64_t start, len;
	int prot;                /* RME_PROT_* */
	int flags;               /* as rme_mmap_vma_t's */
	uint64_t offset;         /* as rme_mmap_vma_t's, for this piece */
	rme_prim_cap_t chunk;    /* the RAM dataspace behind it, 0 for none (PROT_NONE) */
	uint64_t chunk_offset;   /* where start lies in the chunk */
	int vma_start;           /* a VMA begins here: the piece before does not join it */
} rme_mmap_piece_t;

/*
 * Call fn for each piece that overlaps [lo, hi), in address order; stops
 * when fn returns non-zero and returns that value. Returns -1 at once if
 * the instance's policy cannot tell its pieces. fn must not call back into mm.
 */
RME_EXPORT int
rme_mmap_pieces_in(rme_mmap_t *mm, uint64_t lo, uint64_t hi,
                   int (*fn)(void *ctx, const rme_mmap_piece_t *p), void *ctx);

#ifdef __cplusplus
}
#endif
#endif
