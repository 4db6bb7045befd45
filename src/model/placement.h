/*
 * placement.h: the address allocator behind every region map, built to
 * choose exactly the addresses that Genode's core chooses.
 *
 * Core places regions with Allocator_avl: an AVL tree of free and used
 * blocks in which every node knows the largest free block below it. Its
 * "best fit" search is not a global best fit: the answer depends on the
 * shape of the tree, which depends on the exact history of inserts and
 * removes, and on node fields that core updates lazily. To return the same
 * addresses, this module keeps the same tree shape and the same update
 * order, step for step; the comments in placement.c say where that matters.
 *
 * It also keeps count of core's metadata slab (the Tslab the blocks live
 * in), so that the quota effect of growing it comes out as core's does.
 * An allocator that keeps its metadata in its own free ranges (the libc's
 * Mem_alloc_impl) has that slab exactly instead: placement_hosted.h.
 */
#ifndef RMEMU_PLACEMENT_H
#define RMEMU_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rmemu/alloc.h>
#include <rmemu/error.h>

struct ds;
struct rm;
struct plc_hosted;
struct plc_hosted_block;

/*
 * What a used block records about its region (core's Rm_region). Its rights
 * are the block's write and exec bits; the region map it is in is the one
 * whose tree holds the block (plc_of_block).
 */
struct plc_region {
	struct ds *ds;                 /* NULL: reserved (its dataspace is gone) */
	uint64_t offset;
	struct plc_block *ds_prev;     /* the dataspace's list of its regions */
	struct plc_block *ds_next;
};

/*
 * Fit classes: an exact summary of which aligned requests a subtree can
 * satisfy, so that find_best_fit skips subtrees where no block fits
 * (see placement.c, "Pruning"). Class c stands for alignment 2^(12+c).
 */
#define PLC_FIT_CLASSES 6
#define PLC_FIT_ALIGN_MIN 12u

/*
 * A block. Used blocks need the region and live in big nodes (88 bytes).
 * Free blocks live in small ones that end before the region (56 bytes),
 * or, in a map that keeps fit fields, 8 bytes longer for own_fit ("roomy");
 * a free block may sit in a big node when no small one is at hand.
 */
typedef struct plc_block {
	/* what a search reads first, in 32 bytes: mostly one cache line a step */
	struct plc_block *child[2];
	uint64_t addr, size;
	uint64_t max_avail;            /* largest free block in this subtree, as core keeps it */
	struct plc_block *parent;
	union {
		struct {
			unsigned char depth;
			bool used : 1;
			bool big : 1;          /* the node has room for the region */
			bool roomy : 1;        /* a small node with room for own_fit */
			bool write : 1;        /* a used block's region rights */
			bool exec : 1;
			/*
			 * Per fit class, the subtree's largest usable size in eighths
			 * of the alignment (127: or more). Valid only while
			 * plc_t.fit_valid; it fills what was padding.
			 */
			uint8_t fit[PLC_FIT_CLASSES];
		};
		uint64_t head_word;        /* the fields above as one word (placement.c's fit_get) */
	};
	union {
		struct plc_region region;  /* a used block's (big nodes only) */
		uint64_t own_fit;          /* a free block's own fit classes (big or roomy nodes) */
		/* in a map with hosted metadata (plc_t.hosted), whose nodes are all big */
		struct {
			uint64_t own_fit_kept;  /* own_fit stays where it is */
			struct plc_hosted_block *slab_block;  /* the slab block holding this entry */
		} hosted;
	};
} plc_block_t;

/*
 * The metadata slab's quota hooks: grow charges one slab block to the PD
 * (returning OUT_OF_RAM or OUT_OF_CAPS when it cannot), shrink returns one.
 */
typedef struct plc_slab_hooks {
	rme_err_t (*grow)(void *ctx);
	void (*shrink)(void *ctx);
	void *ctx;
} plc_slab_hooks_t;

typedef struct plc {
	plc_block_t root;              /* sentinel: the tree hangs off root.child[0] */
	uint64_t word_mask;            /* 0xffffffff on 32-bit targets, else ~0 */
	const rme_allocator_t *alloc;
	/* host memory for nodes, taken before any change: big and small ones */
	plc_block_t *spare, *spare_small;
	unsigned spare_count, spare_small_count;
	uint64_t blocks;               /* blocks in the tree */
	uint64_t used_blocks;          /* of them, used ones: the regions */
	/*
	 * Whether the blocks' fit fields are kept: from the first aligned
	 * allocation on (a map that only ever attaches at addresses, like the
	 * mmap layer's area, never pays for them).
	 */
	bool fit_valid;
	/* inside tree_remove's relinking: adopt leaves the fit fields to the walk after it */
	bool fit_deferred;
	/* core's Slab bookkeeping */
	plc_slab_hooks_t hooks;
	uint64_t slab_entries_avail;
	uint64_t slab_blocks;
	/*
	 * NULL in core's maps. Otherwise the map keeps its metadata in its own
	 * free ranges, exactly, as Allocator_avl does when it is its own
	 * metadata allocator (placement_hosted.h); the counting slab above is
	 * then unused.
	 */
	struct plc_hosted *hosted;
} plc_t;

void plc_init(plc_t *p, const rme_allocator_t *alloc, uint64_t word_mask,
              const plc_slab_hooks_t *hooks);

/* Free every node; the slab's extra blocks are given back through shrink. */
void plc_fini(plc_t *p);

/*
 * Make sure n nodes of host memory are at hand, one of them big, so the
 * next step cannot fail for lack of it. (A map with hosted metadata: n big
 * ones, and what its slab needs to grow: placement_hosted.h.)
 */
rme_err_t plc_reserve(plc_t *p, unsigned n);

/* Give back spare nodes beyond what the next operation could need. */
void plc_trim(plc_t *p);

/*
 * The allocator's operations, as core's Allocator_avl has them. Each needs
 * plc_reserve(p, PLC_NODES_PER_OP) first. Errors: DENIED (no room, or a
 * conflict), OUT_OF_RAM / OUT_OF_CAPS (the metadata slab could not grow).
 */
enum { PLC_NODES_PER_OP = 3 };
rme_err_t plc_add_range(plc_t *p, uint64_t addr, uint64_t size);
rme_err_t plc_alloc_aligned(plc_t *p, uint64_t size, unsigned align_log2,
                            plc_block_t **out);
rme_err_t plc_alloc_addr(plc_t *p, uint64_t size, uint64_t addr, plc_block_t **out);
/* Free the used block containing addr, coalescing; never fails, needs no plc_reserve. */
void plc_free(plc_t *p, uint64_t addr);
/* The same for a used block in hand (from plc_used_at): saves looking it up again. */
void plc_free_block(plc_t *p, plc_block_t *b);

/* The used block that contains addr, or NULL (core's Allocator_avl_tpl::metadata). */
plc_block_t *plc_used_at(const plc_t *p, uint64_t addr);

/* The block, free or used, that contains addr, or NULL. */
plc_block_t *plc_block_at(const plc_t *p, uint64_t addr);

/* The map whose tree holds block b (walks up to the root). */
plc_t *plc_of_block(const plc_block_t *b);

/* The first block in address order, and the next one. */
plc_block_t *plc_first(const plc_t *p);
plc_block_t *plc_next(const plc_block_t *b);

/*
 * Check the tree: order, parent links, depths, no overlap, free blocks
 * coalesced, and the max_avail fields within what core guarantees.
 * Returns 0, or -1 with a description in msg. If stale_out is given, it
 * receives the number of blocks whose max_avail core has let go stale.
 */
int plc_check(const plc_t *p, char *msg, size_t msglen, uint64_t *stale_out);

/* The tree's height, for tests and statistics. */
unsigned plc_height(const plc_t *p);

#endif
