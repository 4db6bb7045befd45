/*
 * mmap_area.h: what the "rmemu" policy's files share: the instance (an
 * area with its registry), how the area uses the Genode primitives, what a
 * piece is apart from where it lies, the transaction engine (mmap_txn.c)
 * through which every call of mmap_area.c that changes mappings does so,
 * and the inspection of an area (mmap_inspect.c).
 */
#ifndef RMEMU_MMAP_AREA_H
#define RMEMU_MMAP_AREA_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mmap_registry.h"

typedef struct area {
	struct rme_mmap head;        /* must come first: the front end's view */
	mm_registry_t reg;
	rme_prim_cap_t rm;           /* the area's region map */
	uint64_t base, size, end;
	uint64_t chunk_size;
	uint64_t map_count_max;
	uint64_t vma_count;          /* Linux's map_count for the area */
	uint64_t attachments;        /* attached pieces */
	uint64_t mapped_bytes;
	uint64_t next_shared_obj;    /* identities of MAP_SHARED|MAP_ANONYMOUS objects */
	unsigned def_lock;           /* MM_VM_LOCK_MASK bits every new mapping gets (mlockall MCL_FUTURE) */
	uint64_t lost_attachments;   /* regions an undo could not restore (never expected) */
	/*
	 * Spare piece and chunk records, linked through their first word: a
	 * call frees about as many as the next one allocates, and taking them
	 * from the heap and giving them back every time was 6% of the mmap
	 * workload (heap_alloc, heap_free). A failed call gives back what it
	 * added to them (mm_spares_trim), so the heap holds what it held.
	 */
	void *spare[2];
	unsigned nspare[2];
} area_t;

/* Spare records kept of each kind; kind 0 pieces, 1 chunks. */
enum { MM_SPARES_KEEP = 16 };

static inline area_t *
area_of(rme_mmap_t *mm)
{
	return (area_t *)(void *)mm;
}

#define PROT_RWX (RME_PROT_READ | RME_PROT_WRITE | RME_PROT_EXEC)

static inline uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* ---- The primitives ----------------------------------------------------------------- */

/* Which spares a record of this size goes to: 0 pieces, 1 chunks, -1 none. */
static inline int
spare_kind(size_t size)
{
	return size == sizeof(mm_piece_t) ? 0 : size == sizeof(mm_chunk_t) ? 1 : -1;
}

static inline void *
heap_alloc(area_t *a, size_t size)
{
	int k = spare_kind(size);
	void *p;

	if (k >= 0 && a->spare[k]) {
		p = a->spare[k];
		memcpy(&a->spare[k], p, sizeof(void *));
		a->nspare[k]--;
	} else {
		p = a->head.prims.heap_alloc(a->head.prims.ctx, size);
	}
	if (p)
		memset(p, 0, size);
	return p;
}

static inline void
heap_free(area_t *a, void *p, size_t size)
{
	int k = spare_kind(size);

	if (k >= 0 && a->nspare[k] < MM_SPARES_KEEP) {
		memcpy(p, &a->spare[k], sizeof(void *));
		a->spare[k] = p;
		a->nspare[k]++;
		return;
	}
	a->head.prims.heap_free(a->head.prims.ctx, p, size);
}

/* Give spares back to the heap until at most keep[k] of kind k are left. */
static inline void
mm_spares_trim(area_t *a, const unsigned keep[2])
{
	static const size_t sizes[2] = { sizeof(mm_piece_t), sizeof(mm_chunk_t) };

	for (int k = 0; k < 2; k++) {
		while (a->nspare[k] > keep[k]) {
			void *p = a->spare[k];

			memcpy(&a->spare[k], p, sizeof(void *));
			a->nspare[k]--;
			a->head.prims.heap_free(a->head.prims.ctx, p, sizes[k]);
		}
	}
}

static inline rme_err_t
attach_piece(area_t *a, const mm_piece_t *s)
{
	rme_prim_attr_t attr = {
		.size = s->end - s->start,
		.offset = mm_piece_chunk_off(s),
		.use_at = 1,
		.at = s->start - a->base,
		.executable = (s->prot & RME_PROT_EXEC) != 0,
		.writeable = (s->prot & RME_PROT_WRITE) != 0,
	};
	uint64_t at;

	return a->head.prims.attach(a->head.prims.ctx, a->rm, s->chunk->ds, &attr, &at);
}

static inline void
detach_piece(area_t *a, const mm_piece_t *s)
{
	a->head.prims.detach(a->head.prims.ctx, a->rm, s->start - a->base);
}

/* The chunk is used by no piece any more: give its RAM back. */
static inline void
chunk_release(area_t *a, mm_chunk_t *c)
{
	mm_reg_chunk_unlink(&a->reg, c);
	a->head.prims.ram_free(a->head.prims.ctx, c->ds);
	heap_free(a, c, sizeof(*c));
}

/* ---- Pieces and their attributes ---------------------------------------------------- */

/* What a piece is, apart from where it lies and what backs it. */
typedef struct piece_attrs {
	unsigned prot, vmflags;
	uint64_t obj;
	uint64_t pgoff;   /* at the piece's start */
} piece_attrs_t;

static inline piece_attrs_t
attrs_of(const mm_piece_t *s, uint64_t at)
{
	piece_attrs_t pa = { s->prot, s->vmflags, s->obj, s->pgoff + (at - s->start) / MM_PAGE };
	return pa;
}

/* mprotect charges private memory that becomes writable (mprotect_fixup); it never uncharges. */
static inline unsigned
vmflags_after_mprotect(const mm_piece_t *s, unsigned prot)
{
	if ((prot & RME_PROT_WRITE) && !(s->prot & RME_PROT_WRITE) &&
	    !(s->vmflags & (MM_VM_ACCOUNT | MM_VM_SHARED | MM_VM_NORESERVE)))
		return s->vmflags | MM_VM_ACCOUNT;
	return s->vmflags;
}

/*
 * What mprotect or a lock call (mlock, munlock, mlockall, munlockall)
 * makes of the pieces it covers: another protection, or other lock flags.
 */
typedef struct piece_change {
	bool reprotect;
	unsigned prot;      /* with reprotect: PROT_RWX bits */
	bool relock;
	unsigned lock;      /* with relock: MM_VM_LOCK_MASK bits, 0 to unlock */
} piece_change_t;

/* A piece's attributes at address at after the change. */
static inline piece_attrs_t
changed_attrs(const mm_piece_t *s, uint64_t at, const piece_change_t *c)
{
	piece_attrs_t pa = attrs_of(s, at);

	if (c->reprotect) {
		pa.prot = c->prot;
		pa.vmflags = vmflags_after_mprotect(s, c->prot);
	}
	if (c->relock)
		pa.vmflags = (pa.vmflags & ~MM_VM_LOCK_MASK) | c->lock;
	return pa;
}

/* ---- Transactions (mmap_txn.c) ------------------------------------------------------ */

/* The new content of one address range: the pieces in it after the call. */
typedef struct edit {
	uint64_t start, end;
	mm_piece_t *pieces, **tail;   /* in address order, linked by 'link' */
} edit_t;

/*
 * The old pieces that edits touch, widened to whole pieces: the window.
 * Edits whose windows overlap (one piece reaches into both) share one.
 */
typedef struct window {
	uint64_t start, end;
	mm_piece_t *first_old;      /* the first old piece in it, or one above it */
	mm_piece_t *after;          /* the window's pieces after the call */
	edit_t *edits[2];
	unsigned nedits;
} window_t;

typedef struct txn {
	area_t *a;
	edit_t edits[2];
	unsigned nedits;
	window_t windows[2];
	unsigned nwindows;
	mm_chunk_t *fresh;        /* chunks this call allocated, until they join the registry */
	rme_err_t err;            /* the first failure while building */
	unsigned spares[2];       /* the area's spare records when the call began */
} txn_t;

/* Start a transaction on the area. */
void mm_txn_init(txn_t *t, area_t *a);

/* The range [start, end) (clipped to the area) gets new content: the edit's pieces. */
edit_t *mm_txn_edit(txn_t *t, uint64_t start, uint64_t end);

/*
 * What an edit's range holds after the call, appended in address order:
 * new memory, the pieces of another range moved there, the range's own
 * pieces changed (another protection, other lock flags), or the range
 * emptied to fresh memory. false when the transaction has failed (the
 * first failure is t->err).
 */
bool mm_edit_add_new(txn_t *t, edit_t *e, uint64_t start, uint64_t end, piece_attrs_t pa);
bool mm_edit_add_moved(txn_t *t, edit_t *e, uint64_t src, uint64_t src_end, uint64_t dst);
bool mm_edit_add_changed(txn_t *t, edit_t *e, uint64_t start, uint64_t end,
                         const piece_change_t *c);
bool mm_edit_add_emptied(txn_t *t, edit_t *e, uint64_t start, uint64_t end);

/* Carry the transaction out, or nothing of it; returns 0 or an errno. */
int mm_txn_commit(txn_t *t);

/* ---- Inspection (mmap_inspect.c) ------------------------------------------------- */

int mm_area_foreach(rme_mmap_t *mm, uint64_t start, uint64_t end,
                    int (*fn)(void *ctx, const rme_mmap_vma_t *vma), void *ctx);
int mm_area_pieces_in(rme_mmap_t *mm, uint64_t lo, uint64_t hi,
                      int (*fn)(void *ctx, const rme_mmap_piece_t *p), void *ctx);
int mm_area_foreach_ram(rme_mmap_t *mm, int (*fn)(void *ctx, rme_prim_cap_t ds, uint64_t size),
                        void *ctx);
void mm_area_stats(rme_mmap_t *mm, rme_mmap_stats_t *out);
rme_err_t mm_area_check(rme_mmap_t *mm, char *msg, size_t msglen);

#endif
