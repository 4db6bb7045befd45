/*
 * placement_hosted.h: an allocator whose metadata lives in its own free
 * ranges, exactly as Genode's Allocator_avl keeps it when it is its own
 * metadata allocator: `Allocator_avl _alloc(0)` in the libc's
 * Mem_alloc_impl (repos/libports/src/lib/libc/internal/mem_alloc.h:110,129
 * at 26.02; 109,128 at 20.05), whose Tslab then takes its slab blocks from
 * the very allocator (base/include/base/allocator_avl.h:353-356 at 26.02).
 *
 * placement.c's tree is Allocator_avl; what this module adds is its Slab,
 * exact (base/src/lib/base/slab.cc): 110 entries in each 8128-byte slab
 * block, the first block embedded in the allocator (no pool memory), a
 * ring of blocks with a current one, growth by an allocation in the same
 * tree when three entries or fewer are left, release of an empty block by
 * a free in the same tree once more than two blocks' worth of entries are
 * free, and the 20.05/26.02 differences. Growth and release re-enter
 * placement.c's operations from within them, exactly where Genode's do.
 *
 * Used by the mmap layer's libc policies (src/mmap/mmap_libc_pool.c);
 * core's region maps keep the counting slab of placement.c.
 */
#ifndef RMEMU_PLACEMENT_HOSTED_H
#define RMEMU_PLACEMENT_HOSTED_H

#include <stdbool.h>
#include <stdint.h>

#include <rmemu/alloc.h>
#include <rmemu/error.h>

#include "placement.h"

/* Genode's figures for Allocator_avl on 64-bit targets (both releases) */
enum {
	/* SLAB_BLOCK_SIZE = (1024 - 8) * sizeof(addr_t): allocator_avl.h:35 */
	PLC_HOSTED_BLOCK_SIZE = 8128,
	/*
	 * (8128 - sizeof(Slab::Block) 32 - sizeof(umword_t)) /
	 * (sizeof(Allocator_avl_tpl<Empty>::Block) 64 + sizeof(Slab::Entry) 8 + 1):
	 * slab.cc:219-220
	 */
	PLC_HOSTED_ENTRIES = 110,
	/* slab blocks are allocated at machine-word alignment: allocator_avl.h:287-291 */
	PLC_HOSTED_BLOCK_ALIGN_LOG2 = 3,
	/* grow when no more than this many entries are free: slab.cc:391 */
	PLC_HOSTED_GROW_AT = 3,
	/*
	 * Nodes to reserve before one operation of a policy that may run many
	 * allocations in a row (each can grow the slab, which is three more).
	 */
	PLC_HOSTED_NODES_PER_CALL = 48
};

/* The Genode releases whose code this module follows. */
typedef enum {
	PLC_HOSTED_GENODE_20_05,   /* slab.cc and allocator_avl.cc at tag 20.05 */
	PLC_HOSTED_GENODE_26_02    /* at tag 26.02 (= ffb059da4d8c for these files) */
} plc_hosted_release_t;

/* A slab block (Slab::Block): its free entries and its place. */
typedef struct plc_hosted_block {
	struct plc_hosted_block *next, *prev;   /* the ring */
	uint64_t avail;
	uint64_t addr;      /* its 8128 bytes in the map's range; 0: the embedded block */
	bool lost;          /* 20.05: taken out of the ring inside add_range, never freed */
} plc_hosted_block_t;

typedef struct plc_hosted {
	plc_t *map;
	plc_hosted_release_t release;
	const rme_allocator_t *alloc;  /* host memory for the block records */
	plc_hosted_block_t initial;    /* _initial_md_block, inside the allocator object */
	plc_hosted_block_t *curr;      /* _curr_sb; NULL before the first allocation */
	plc_hosted_block_t *spare;     /* a record at hand for the next growth */
	plc_hosted_block_t *lost;      /* 20.05's lost blocks, linked by next */
	uint64_t total_avail;          /* _total_avail */
	uint64_t num_blocks;           /* _num_blocks */
	bool nested;                   /* _nested: growing, so no growth */
	bool backing;                  /* the backing store is set (not inside add_range) */
} plc_hosted_t;

/*
 * Make map's metadata hosted in its own ranges (map just initialised with
 * plc_init, still empty). h must outlive the map's use; alloc gives host
 * memory for the records of slab blocks.
 */
void plc_hosted_init(plc_hosted_t *h, plc_t *map, plc_hosted_release_t release,
                     const rme_allocator_t *alloc);
/* Free the records (after plc_fini of the map). */
void plc_hosted_fini(plc_hosted_t *h);

/* Call fn for each slab block that lies in the map's range, lost ones included. */
void plc_hosted_foreach_block(const plc_hosted_t *h,
                              void (*fn)(void *ctx, uint64_t addr, uint64_t size), void *ctx);

/* ---- What placement.c calls ---------------------------------------------- */

/* A record for the next growth, so that growth never needs host memory. */
rme_err_t plc_hosted_reserve(plc_t *p);
/* Slab::try_alloc: an entry, from the block *out; may grow the slab. */
rme_err_t plc_hosted_entry_alloc(plc_t *p, plc_hosted_block_t **out);
/* Slab::_free of an entry of block sb; may release blocks. */
void plc_hosted_entry_free(plc_t *p, plc_hosted_block_t *sb);
/* Set whether the slab has its backing store (add_range unsets it); returns the old value. */
bool plc_hosted_backing(plc_t *p, bool on);
bool plc_hosted_is_20_05(const plc_t *p);

#endif
