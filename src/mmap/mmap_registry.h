/*
 * mmap_registry.h: the registry of the managed-area mmap layer: the pieces
 * of every mapping in an AVL tree keyed by address, and the RAM chunks
 * that back them.
 *
 * A piece (mm_piece_t) is a page range with uniform attributes that is
 * backed by at most one chunk; it is exactly one attachment in the area's
 * region map when it is accessible. A Linux VMA is a run of adjacent
 * pieces that Linux would merge (mm_piece_joins). Each tree node also keeps
 * the free gap before it and the largest gap in its subtree, so that a
 * free range is found in O(log n) like Linux's augmented VMA tree does.
 *
 * The entries live on the prims' heap; the registry itself allocates
 * nothing, so its tree operations cannot fail.
 */
#ifndef RMEMU_MMAP_REGISTRY_H
#define RMEMU_MMAP_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rmemu/genode_prims.h>

#include "mmap_internal.h"

/*
 * The most pages a chunk has: its size and a piece's offset into it are
 * page counts in 32 bits, which keeps a chunk record at 32 bytes and a
 * piece at 96 (the metadata per mapping). A RAM dataspace of 16 TiB is far
 * beyond what core hands out; rme_mmap_create refuses a larger chunk size.
 */
#define MM_CHUNK_PAGES_MAX ((uint64_t)UINT32_MAX)

/* A RAM dataspace backing one or more pieces (32 bytes). */
typedef struct mm_chunk {
	rme_prim_cap_t ds;
	uint32_t pages;                 /* its size, at most MM_CHUNK_PAGES_MAX */
	uint32_t refs;                  /* pieces that use it (no more than it has pages) */
	union {
		struct mm_chunk *prev;      /* in the registry's list of chunks */
		struct mm_chunk *fresh_next; /* before: in a transaction's list of chunks it allocated */
		uint64_t check_bytes;       /* in the invariant checker, which rebuilds prev after */
	};
	struct mm_chunk *next;
} mm_chunk_t;

/* VMA flags that decide whether Linux merges two adjacent VMAs. */
enum {
	MM_VM_SHARED     = 1 << 0,   /* MAP_SHARED */
	MM_VM_FILE       = 1 << 1,   /* mapped from a file descriptor */
	MM_VM_ACCOUNT    = 1 << 2,   /* charged as private writable memory */
	MM_VM_NORESERVE  = 1 << 3,
	MM_VM_LOCKED     = 1 << 4,
	MM_VM_GROWSDOWN  = 1 << 5,
	MM_VM_NOHUGEPAGE = 1 << 6,   /* MAP_STACK sets it since Linux 6.7 */
	MM_VM_LOCKONFAULT = 1 << 7   /* with MM_VM_LOCKED: MLOCK_ONFAULT, MCL_ONFAULT */
};

/* Linux's VM_LOCKED_MASK: what mlock, munlock and mlockall set and clear. */
#define MM_VM_LOCK_MASK ((unsigned)(MM_VM_LOCKED | MM_VM_LOCKONFAULT))

/*
 * 96 bytes: the small fields share one word with the offset into the chunk
 * (a page count), and what a search reads (the children and the range)
 * comes first, in 32 bytes, so that a step down the tree mostly touches one
 * cache line.
 */
typedef struct mm_piece {
	struct mm_piece *child[2];
	uint64_t start, end;
	uint64_t max_gap;   /* the largest gap in this subtree */
	uint64_t gap;       /* free bytes between the previous piece (or the area base) and start */
	struct mm_piece *parent;
	uint8_t height;     /* of the subtree; an AVL tree of 2^64 pieces is less than 93 high */
	uint8_t prot;       /* RME_PROT_READ | WRITE | EXEC */
	uint8_t vmflags;    /* MM_VM_* */
	bool keep;          /* in a transaction: belongs to the old and the new state */
	uint32_t chunk_pgoff; /* where start lies in chunk, in pages (mm_piece_chunk_off) */

	uint64_t obj;       /* the object mapped: 0 anonymous private, else a shared object or file */
	uint64_t pgoff;     /* page offset of start within obj, as Linux's vm_pgoff */
	mm_chunk_t *chunk;  /* NULL: no RAM behind it, which only PROT_NONE allows */

	struct mm_piece *link; /* a transaction's lists */
} mm_piece_t;

typedef struct mm_registry {
	mm_piece_t *root;
	/*
	 * The piece the last lookup found, or NULL: a call looks up the same
	 * few addresses many times (its windows, edits, remainders and VMA
	 * counts), and the next lookup nearly always lands on it or a
	 * neighbour. A cache only: every use checks it against its neighbours.
	 */
	mm_piece_t *hint;
	uint64_t base, end;      /* the area */
	uint64_t npieces;
	mm_chunk_t *chunks;
	uint64_t nchunks, chunk_bytes;
} mm_registry_t;

void mm_reg_init(mm_registry_t *r, uint64_t base, uint64_t end);

/*
 * Put the pieces of news in the place of the pieces of olds (both linked
 * by 'link' in address order, either may be empty): olds is a run of
 * neighbours in the tree, succ the piece after it (NULL: none), and news
 * lie after olds' predecessor and before succ. As many as both lists have
 * take the old pieces' nodes one for one, without a search or a rotation;
 * the rest of olds is removed, the rest of news inserted next to succ.
 * A call mostly replaces pieces by pieces in the same place (a cut piece
 * by its parts, a changed one by its successor), so most of a
 * transaction's changes to the tree need no walk from the root and no
 * rebalancing.
 */
void mm_reg_replace_run(mm_registry_t *r, mm_piece_t *olds, mm_piece_t *news, mm_piece_t *succ);

mm_piece_t *mm_reg_first(const mm_registry_t *r);
mm_piece_t *mm_reg_next(const mm_piece_t *s);
mm_piece_t *mm_reg_prev(const mm_piece_t *s);

/* The first piece that ends after addr (it contains addr or lies above it). */
mm_piece_t *mm_reg_lower_bound(const mm_registry_t *r, uint64_t addr);
/* The piece that contains addr, or NULL. */
mm_piece_t *mm_reg_find(const mm_registry_t *r, uint64_t addr);
/* Whether no piece overlaps [start, end). */
bool mm_reg_range_free(const mm_registry_t *r, uint64_t start, uint64_t end);
/* The highest start of a free range of len bytes in the area, if there is one. */
bool mm_reg_find_gap_topdown(const mm_registry_t *r, uint64_t len, uint64_t *out);

void mm_reg_chunk_link(mm_registry_t *r, mm_chunk_t *c);
void mm_reg_chunk_unlink(mm_registry_t *r, mm_chunk_t *c);

/*
 * Whether Linux would merge a and b into one VMA: b follows a directly,
 * with the same protection and flags, in the same object at the next page.
 */
static inline bool
mm_piece_joins(const mm_piece_t *a, const mm_piece_t *b)
{
	return a && b && a->end == b->start && a->prot == b->prot &&
	       a->vmflags == b->vmflags && a->obj == b->obj &&
	       a->pgoff + (a->end - a->start) / MM_PAGE == b->pgoff;
}

/* The chunk's size in bytes. */
static inline uint64_t
mm_chunk_size(const mm_chunk_t *c)
{
	return (uint64_t)c->pages * MM_PAGE;
}

/* Where the piece's start lies in its chunk, in bytes. */
static inline uint64_t
mm_piece_chunk_off(const mm_piece_t *s)
{
	return (uint64_t)s->chunk_pgoff * MM_PAGE;
}

/* Whether the piece is attached in the area's region map. */
static inline bool
mm_piece_attached(const mm_piece_t *s)
{
	return s->chunk && s->prot != RME_PROT_NONE;
}

/*
 * Check the tree: order, no overlap, inside the area, parent links,
 * heights and balance, gaps and their subtree maxima, the piece count.
 * Returns true, or false with a description appended to t.
 */
bool mm_reg_check(const mm_registry_t *r, mm_text_t *t);

/* Write what went wrong, naming the piece if there is one, for check messages. */
void mm_describe(mm_text_t *t, const char *what, const mm_piece_t *s);

#endif
