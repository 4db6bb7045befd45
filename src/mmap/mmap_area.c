/*
 * mmap_area.c: the "rmemu" policy: Linux's mmap, munmap, mprotect, mremap,
 * madvise and msync inside a managed area, the design proposed on Genode's
 * mailing list in August 2020.
 *
 * Set-up reserves the area as a region map attached at the area's base.
 * Every mapping lives inside it: its pages are pieces in the registry
 * (mmap_registry.h), each accessible piece one attachment of a RAM chunk.
 *
 * Every call that changes mappings is one transaction (txn_t):
 *   1. check the arguments and Linux's limits, changing nothing;
 *   2. build the new pieces ("edits"), taking all heap memory and every
 *      new RAM chunk that the call needs;
 *   3. detach the regions that go away and attach the new ones; if an
 *      attach fails, undo the region changes and give the new RAM back;
 *   4. only then update the registry, which cannot fail, and release the
 *      chunks no piece uses any more.
 * So a failure at any step leaves the mappings, the RAM and the regions as
 * they were (doc/mmap.md says where Genode's metadata slab is the exception).
 */
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
	uint64_t lost_attachments;   /* regions an undo could not restore (never expected) */
} area_t;

/* Linux's MAX_LFS_FILESIZE on 64-bit: the end of any file that can be mapped. */
#define FILE_SIZE_MAX ((uint64_t)INT64_MAX)

/* Objects of file mappings: the descriptor, marked so it never meets a shared object's number. */
#define FILE_OBJ_BIT ((uint64_t)1 << 63)

/* Linux's LEGACY_MAP_MASK: what MAP_SHARED_VALIDATE accepts for a file without extra support. */
#define LEGACY_MAP_MASK (RME_MAP_SHARED | RME_MAP_PRIVATE | RME_MAP_FIXED | RME_MAP_ANONYMOUS | \
	RME_MAP_DENYWRITE | RME_MAP_EXECUTABLE | RME_MAP_UNINITIALIZED | RME_MAP_GROWSDOWN | \
	RME_MAP_LOCKED | RME_MAP_NORESERVE | RME_MAP_POPULATE | RME_MAP_NONBLOCK | \
	RME_MAP_STACK | RME_MAP_HUGETLB | RME_MAP_32BIT | \
	((unsigned)RME_MAP_HUGE_MASK << RME_MAP_HUGE_SHIFT))

#define PROT_RWX (RME_PROT_READ | RME_PROT_WRITE | RME_PROT_EXEC)

static area_t *
area_of(rme_mmap_t *mm)
{
	return (area_t *)(void *)mm;
}

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* ---- The primitives ------------------------------------------------------------ */

static void *
heap_alloc(area_t *a, size_t size)
{
	void *p = a->head.prims.heap_alloc(a->head.prims.ctx, size);

	if (p)
		memset(p, 0, size);
	return p;
}

static void
heap_free(area_t *a, void *p, size_t size)
{
	a->head.prims.heap_free(a->head.prims.ctx, p, size);
}

static rme_err_t
attach_piece(area_t *a, const mm_piece_t *s)
{
	rme_prim_attr_t attr = {
		.size = s->end - s->start,
		.offset = s->chunk_off,
		.use_at = 1,
		.at = s->start - a->base,
		.executable = (s->prot & RME_PROT_EXEC) != 0,
		.writeable = (s->prot & RME_PROT_WRITE) != 0,
	};
	uint64_t at;

	return a->head.prims.attach(a->head.prims.ctx, a->rm, s->chunk->ds, &attr, &at);
}

static void
detach_piece(area_t *a, const mm_piece_t *s)
{
	a->head.prims.detach(a->head.prims.ctx, a->rm, s->start - a->base);
}

/* The chunk is used by no piece any more: give its RAM back. */
static void
chunk_release(area_t *a, mm_chunk_t *c)
{
	mm_reg_chunk_unlink(&a->reg, c);
	a->head.prims.ram_free(a->head.prims.ctx, c->ds);
	heap_free(a, c, sizeof(*c));
}

/* ---- Pieces and their attributes ----------------------------------------------- */

/* What a piece is, apart from where it lies and what backs it. */
typedef struct piece_attrs {
	unsigned prot, vmflags;
	uint64_t obj;
	uint64_t pgoff;   /* at the piece's start */
} piece_attrs_t;

static piece_attrs_t
attrs_of(const mm_piece_t *s, uint64_t at)
{
	piece_attrs_t pa = { s->prot, s->vmflags, s->obj, s->pgoff + (at - s->start) / MM_PAGE };
	return pa;
}

/* The VMA flags of a new mapping (Linux's calc_vm_flag_bits and accountable_mapping). */
static unsigned
vmflags_of_mmap(int flags, unsigned prot, bool shared, bool file)
{
	unsigned f = 0;

	if (shared)
		f |= MM_VM_SHARED;
	if (file)
		f |= MM_VM_FILE;
	if (flags & RME_MAP_NORESERVE)
		f |= MM_VM_NORESERVE;
	if (flags & RME_MAP_LOCKED)
		f |= MM_VM_LOCKED;
	if (flags & RME_MAP_GROWSDOWN)
		f |= MM_VM_GROWSDOWN;
	if (flags & RME_MAP_STACK)
		f |= MM_VM_NOHUGEPAGE;
	if (!shared && (prot & RME_PROT_WRITE) && !(f & MM_VM_NORESERVE))
		f |= MM_VM_ACCOUNT;
	return f;
}

/* mprotect charges private memory that becomes writable (mprotect_fixup); it never uncharges. */
static unsigned
vmflags_after_mprotect(const mm_piece_t *s, unsigned prot)
{
	if ((prot & RME_PROT_WRITE) && !(s->prot & RME_PROT_WRITE) &&
	    !(s->vmflags & (MM_VM_ACCOUNT | MM_VM_SHARED | MM_VM_NORESERVE)))
		return s->vmflags | MM_VM_ACCOUNT;
	return s->vmflags;
}

/* ---- VMAs: runs of pieces that Linux would merge --------------------------------- */

/* Whether a VMA boundary lies at addr, i.e. addr is not inside one VMA. */
static bool
vma_boundary_at(const area_t *a, uint64_t addr)
{
	mm_piece_t *s = mm_reg_lower_bound(&a->reg, addr);

	if (!s || s->start > addr)
		return true;
	if (s->start < addr)
		return false;
	return !mm_piece_joins(mm_reg_prev(s), s);
}

/*
 * Whether [start, end) is mapped throughout and lies in one VMA; *last (if
 * given) receives the piece that contains end - 1. Walks the range's pieces.
 */
static bool
within_one_vma(const area_t *a, uint64_t start, uint64_t end, mm_piece_t **last)
{
	mm_piece_t *s = mm_reg_find(&a->reg, start);

	if (!s)
		return false;
	while (s->end < end) {
		mm_piece_t *n = mm_reg_next(s);
		if (!mm_piece_joins(s, n))
			return false;
		s = n;
	}
	if (last)
		*last = s;
	return true;
}

/* Whether unmapping [start, end) would split one VMA into two (munmap's map-count rule). */
static bool
splits_one_vma(const area_t *a, uint64_t start, uint64_t end)
{
	return !vma_boundary_at(a, start) && !vma_boundary_at(a, end) &&
	       within_one_vma(a, start, end, NULL);
}

/* The number of VMAs starting in [wstart, wend], counting the first at or after wend too. */
static uint64_t
count_vmas_from(const area_t *a, uint64_t wstart, uint64_t wend)
{
	mm_piece_t *s = mm_reg_lower_bound(&a->reg, wstart);
	mm_piece_t *prev = s ? mm_reg_prev(s) : NULL;
	uint64_t n = 0;

	for (; s; prev = s, s = mm_reg_next(s)) {
		if (!mm_piece_joins(prev, s))
			n++;
		if (s->start >= wend)
			break;
	}
	return n;
}

/* ---- Transactions ---------------------------------------------------------------- */

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
} txn_t;

static void
txn_init(txn_t *t, area_t *a)
{
	memset(t, 0, sizeof(*t));
	t->a = a;
}

static edit_t *
txn_edit(txn_t *t, uint64_t start, uint64_t end)
{
	edit_t *e = &t->edits[t->nedits++];

	/* Pieces only ever lie in the area; what lies outside it is unmapped already. */
	e->start = start < t->a->base ? t->a->base : start;
	e->end = end > t->a->end ? t->a->end : end;
	if (e->end < e->start)
		e->end = e->start;
	e->pieces = NULL;
	e->tail = &e->pieces;
	return e;
}

static void
list_append(mm_piece_t ***tail, mm_piece_t *s)
{
	s->link = NULL;
	**tail = s;
	*tail = &s->link;
}

static mm_piece_t *
piece_new(txn_t *t, uint64_t start, uint64_t end, const piece_attrs_t *pa,
          mm_chunk_t *chunk, uint64_t chunk_off)
{
	mm_piece_t *s;

	if (t->err)
		return NULL;
	s = heap_alloc(t->a, sizeof(*s));
	if (!s) {
		t->err = RME_ERR_HOST_NO_MEMORY;
		return NULL;
	}
	s->start = start;
	s->end = end;
	s->prot = pa->prot;
	s->vmflags = pa->vmflags;
	s->obj = pa->obj;
	s->pgoff = pa->pgoff;
	s->chunk = chunk;
	s->chunk_off = chunk_off;
	return s;
}

/* A new RAM chunk of size bytes, zero-filled; it belongs to the transaction until commit. */
static mm_chunk_t *
chunk_new(txn_t *t, uint64_t size)
{
	area_t *a = t->a;
	mm_chunk_t *c;
	rme_err_t err;

	if (t->err)
		return NULL;
	c = heap_alloc(a, sizeof(*c));
	if (!c) {
		t->err = RME_ERR_HOST_NO_MEMORY;
		return NULL;
	}
	err = a->head.prims.ram_alloc(a->head.prims.ctx, size, &c->ds);
	if (err != RME_OK) {
		heap_free(a, c, sizeof(*c));
		t->err = err;
		return NULL;
	}
	c->size = size;
	c->fresh_next = t->fresh;
	t->fresh = c;
	return c;
}

/*
 * New memory in [start, end): one reservation piece without RAM for
 * PROT_NONE, else one piece per chunk of at most chunk_size bytes.
 */
static bool
edit_add_new(txn_t *t, edit_t *e, uint64_t start, uint64_t end, piece_attrs_t pa)
{
	if (pa.prot == RME_PROT_NONE) {
		mm_piece_t *s = piece_new(t, start, end, &pa, NULL, 0);
		if (s)
			list_append(&e->tail, s);
		return s != NULL;
	}
	for (uint64_t pos = start; pos < end;) {
		uint64_t len = min_u64(t->a->chunk_size, end - pos);
		piece_attrs_t here = pa;
		mm_chunk_t *c;
		mm_piece_t *s;

		here.pgoff = pa.pgoff + (pos - start) / MM_PAGE;
		c = chunk_new(t, len);
		s = piece_new(t, pos, pos + len, &here, c, 0);
		if (!s)
			return false;
		list_append(&e->tail, s);
		pos += len;
	}
	return true;
}

/* The pieces of [src, src_end), moved to dst with their RAM: mremap re-attaches, never copies. */
static bool
edit_add_moved(txn_t *t, edit_t *e, uint64_t src, uint64_t src_end, uint64_t dst)
{
	for (mm_piece_t *s = mm_reg_lower_bound(&t->a->reg, src); s && s->start < src_end;
	     s = mm_reg_next(s)) {
		uint64_t from = s->start > src ? s->start : src;
		uint64_t to = min_u64(s->end, src_end);
		piece_attrs_t pa = attrs_of(s, from);
		mm_piece_t *n = piece_new(t, dst + (from - src), dst + (to - src), &pa, s->chunk,
		                        s->chunk_off + (from - s->start));
		if (!n)
			return false;
		list_append(&e->tail, n);
	}
	return true;
}

/*
 * The pieces of [start, end) with protection prot: the RAM stays (a piece
 * that becomes PROT_NONE is detached but keeps its content, as on Linux);
 * a reservation without RAM gets fresh zeroed chunks when it becomes
 * accessible; an unchanged whole piece is kept as it is.
 */
static bool
edit_add_reprotected(txn_t *t, edit_t *e, uint64_t start, uint64_t end, unsigned prot)
{
	for (mm_piece_t *s = mm_reg_lower_bound(&t->a->reg, start); s && s->start < end;
	     s = mm_reg_next(s)) {
		uint64_t from = s->start > start ? s->start : start;
		uint64_t to = min_u64(s->end, end);
		piece_attrs_t pa = attrs_of(s, from);
		mm_piece_t *n;

		pa.prot = prot;
		pa.vmflags = vmflags_after_mprotect(s, prot);
		if (from == s->start && to == s->end && pa.prot == s->prot &&
		    pa.vmflags == s->vmflags) {
			s->keep = true;
			list_append(&e->tail, s);
			continue;
		}
		if (!s->chunk && prot != RME_PROT_NONE) {
			if (!edit_add_new(t, e, from, to, pa))
				return false;
			continue;
		}
		n = piece_new(t, from, to, &pa, s->chunk, s->chunk_off + (from - s->start));
		if (!n)
			return false;
		list_append(&e->tail, n);
	}
	return true;
}

/* [start, end) as it is, but with fresh zeroed memory (what MREMAP_DONTUNMAP leaves behind). */
static bool
edit_add_emptied(txn_t *t, edit_t *e, uint64_t start, uint64_t end)
{
	for (mm_piece_t *s = mm_reg_lower_bound(&t->a->reg, start); s && s->start < end;
	     s = mm_reg_next(s)) {
		uint64_t from = s->start > start ? s->start : start;
		piece_attrs_t pa = attrs_of(s, from);

		pa.vmflags &= ~(unsigned)(MM_VM_ACCOUNT | MM_VM_LOCKED);
		if (!edit_add_new(t, e, from, min_u64(s->end, end), pa))
			return false;
	}
	return true;
}

/* Group the edits into windows of whole old pieces, merging windows that overlap. */
static void
plan_windows(txn_t *t)
{
	edit_t *order[2];
	unsigned n = 0;

	for (unsigned i = 0; i < t->nedits; i++)
		if (t->edits[i].start < t->edits[i].end)
			order[n++] = &t->edits[i];
	if (n == 2 && order[1]->start < order[0]->start) {
		edit_t *tmp = order[0];
		order[0] = order[1];
		order[1] = tmp;
	}
	for (unsigned i = 0; i < n; i++) {
		edit_t *e = order[i];
		mm_piece_t *first = mm_reg_find(&t->a->reg, e->start);
		mm_piece_t *last = mm_reg_find(&t->a->reg, e->end - 1);
		uint64_t ws = first ? first->start : e->start;
		uint64_t we = last ? last->end : e->end;
		window_t *w = t->nwindows ? &t->windows[t->nwindows - 1] : NULL;

		if (w && ws < w->end) {
			if (we > w->end)
				w->end = we;
		} else {
			w = &t->windows[t->nwindows++];
			w->start = ws;
			w->end = we;
		}
		w->edits[w->nedits++] = e;
	}
	for (unsigned i = 0; i < t->nwindows; i++)
		t->windows[i].first_old = mm_reg_lower_bound(&t->a->reg, t->windows[i].start);
}

/* Append what stays of the old pieces in [from, to): whole pieces as they are, cut ones as copies. */
static bool
add_remainders(txn_t *t, uint64_t from, uint64_t to, mm_piece_t ***tail)
{
	if (from >= to)
		return true;
	for (mm_piece_t *s = mm_reg_lower_bound(&t->a->reg, from); s && s->start < to;
	     s = mm_reg_next(s)) {
		uint64_t ps = s->start > from ? s->start : from;
		uint64_t pe = min_u64(s->end, to);
		piece_attrs_t pa;
		mm_piece_t *n;

		if (ps == s->start && pe == s->end) {
			s->keep = true;
			list_append(tail, s);
			continue;
		}
		pa = attrs_of(s, ps);
		n = piece_new(t, ps, pe, &pa, s->chunk, s->chunk ? s->chunk_off + (ps - s->start) : 0);
		if (!n)
			return false;
		list_append(tail, n);
	}
	return true;
}

/* The window's pieces after the call, in order: remainders, edits, remainders... */
static bool
build_window(txn_t *t, window_t *w)
{
	mm_piece_t *head = NULL, **tail = &head;
	uint64_t pos = w->start;
	bool ok = true;

	for (unsigned i = 0; ok && i < w->nedits; i++) {
		edit_t *e = w->edits[i];

		ok = add_remainders(t, pos, e->start, &tail);
		if (!ok)
			break;
		/* the window owns the edit's pieces now */
		if (e->pieces) {
			*tail = e->pieces;
			tail = e->tail;
		}
		e->pieces = NULL;
		e->tail = &e->pieces;
		pos = e->end;
	}
	if (ok)
		ok = add_remainders(t, pos, w->end, &tail);
	*tail = NULL;
	w->after = head;
	return ok;
}

/* Free a list of pieces that did not make it; old pieces in it are only unmarked. */
static void
free_unused_pieces(area_t *a, mm_piece_t *s)
{
	while (s) {
		mm_piece_t *next = s->link;

		if (s->keep) {
			s->keep = false;
			s->link = NULL;
		} else {
			heap_free(a, s, sizeof(*s));
		}
		s = next;
	}
}

static void
release_fresh_chunks(txn_t *t)
{
	while (t->fresh) {
		mm_chunk_t *c = t->fresh;

		t->fresh = c->fresh_next;
		t->a->head.prims.ram_free(t->a->head.prims.ctx, c->ds);
		heap_free(t->a, c, sizeof(*c));
	}
}

/* Give back everything the transaction took; the registry is untouched. */
static void
txn_abort(txn_t *t)
{
	for (unsigned i = 0; i < t->nwindows; i++)
		free_unused_pieces(t->a, t->windows[i].after);
	for (unsigned i = 0; i < t->nedits; i++)
		free_unused_pieces(t->a, t->edits[i].pieces);
	release_fresh_chunks(t);
}

/* Visit the old pieces of a window that the call removes (all but the kept ones). */
#define FOR_EACH_DOOMED(a, w, s) \
	for (mm_piece_t *s = (w)->first_old; s && s->start < (w)->end; s = mm_reg_next(s)) \
		if (!s->keep)

/*
 * Detach the regions that go away and attach the new ones. On failure,
 * detach what was attached, give the new RAM back (so that core can refill
 * its metadata with that quota) and restore the old regions.
 */
static rme_err_t
apply_regions(txn_t *t)
{
	area_t *a = t->a;
	rme_err_t err = RME_OK;
	mm_piece_t *failed = NULL;

	for (unsigned i = 0; i < t->nwindows; i++)
		FOR_EACH_DOOMED(a, &t->windows[i], s)
			if (mm_piece_attached(s))
				detach_piece(a, s);

	for (unsigned i = 0; i < t->nwindows && !failed; i++) {
		for (mm_piece_t *s = t->windows[i].after; s; s = s->link) {
			if (s->keep || !mm_piece_attached(s))
				continue;
			err = attach_piece(a, s);
			if (err != RME_OK) {
				failed = s;
				break;
			}
		}
	}
	if (!failed)
		return RME_OK;

	for (unsigned i = 0; i < t->nwindows; i++) {
		mm_piece_t *s;

		for (s = t->windows[i].after; s && s != failed; s = s->link)
			if (!s->keep && mm_piece_attached(s))
				detach_piece(a, s);
		if (s == failed)
			break;
	}
	release_fresh_chunks(t);
	for (unsigned i = 0; i < t->nwindows; i++)
		FOR_EACH_DOOMED(a, &t->windows[i], s)
			if (mm_piece_attached(s) && attach_piece(a, s) != RME_OK)
				a->lost_attachments++;
	return err;
}

/* Make the new pieces the registry's; cannot fail. Releases chunks nothing uses any more. */
static void
commit_registry(txn_t *t)
{
	area_t *a = t->a;
	mm_piece_t *doomed = NULL;

	/* New references first, so that a chunk moving to new pieces never drops to zero. */
	for (unsigned i = 0; i < t->nwindows; i++)
		for (mm_piece_t *s = t->windows[i].after; s; s = s->link)
			if (!s->keep && s->chunk)
				s->chunk->refs++;
	while (t->fresh) {
		mm_chunk_t *c = t->fresh;

		t->fresh = c->fresh_next;
		mm_reg_chunk_link(&a->reg, c);
	}

	/* Window by window, so that each recount sees a consistent registry. */
	for (unsigned i = 0; i < t->nwindows; i++) {
		window_t *w = &t->windows[i];
		uint64_t before = count_vmas_from(a, w->start, w->end);
		mm_piece_t *gone = NULL;

		FOR_EACH_DOOMED(a, w, s) {
			s->link = gone;
			gone = s;
		}
		while (gone) {
			mm_piece_t *s = gone;

			gone = s->link;
			mm_reg_remove(&a->reg, s);
			a->mapped_bytes -= s->end - s->start;
			a->attachments -= mm_piece_attached(s);
			s->link = doomed;
			doomed = s;
		}
		for (mm_piece_t *s = w->after, *next; s; s = next) {
			next = s->link;
			s->link = NULL;
			if (s->keep) {
				s->keep = false;
				continue;
			}
			mm_reg_insert(&a->reg, s);
			a->mapped_bytes += s->end - s->start;
			a->attachments += mm_piece_attached(s);
		}
		a->vma_count = a->vma_count + count_vmas_from(a, w->start, w->end) - before;
		w->after = NULL;
	}

	while (doomed) {
		mm_piece_t *s = doomed;

		doomed = s->link;
		if (s->chunk && --s->chunk->refs == 0)
			chunk_release(a, s->chunk);
		heap_free(a, s, sizeof(*s));
	}
}

/* Carry the transaction out, or nothing of it; returns 0 or an errno. */
static int
txn_commit(txn_t *t)
{
	rme_err_t err = t->err;

	if (err == RME_OK) {
		plan_windows(t);
		for (unsigned i = 0; i < t->nwindows; i++)
			if (!build_window(t, &t->windows[i]))
				break;
		err = t->err;
	}
	if (err == RME_OK)
		err = apply_regions(t);
	if (err != RME_OK) {
		txn_abort(t);
		return rme_errno_from_err(err);
	}
	commit_registry(t);
	return 0;
}

/* ---- Checks shared by the calls -------------------------------------------------- */

/* munmap's argument rules; the area's end plays TASK_SIZE. Yields the page-rounded end. */
static int
unmap_args(const area_t *a, uint64_t start, uint64_t len, uint64_t *end)
{
	uint64_t rounded;

	if (!mm_page_aligned(start) || start > a->end || len > a->end - start)
		return RME_EINVAL;
	if (!mm_page_round_up(len, &rounded) || rounded == 0)
		return RME_EINVAL;
	*end = start + rounded;
	return 0;
}

/* A free place for len bytes: the hint if that range is free in the area, else the highest gap. */
static bool
place(const area_t *a, uint64_t hint, uint64_t len, uint64_t *out)
{
	uint64_t h;

	if (hint && mm_page_round_up(hint, &h) && h >= a->base && h <= a->end - len &&
	    mm_reg_range_free(&a->reg, h, h + len)) {
		*out = h;
		return true;
	}
	return mm_reg_find_gap_topdown(&a->reg, len, out);
}

/* ---- mmap ----------------------------------------------------------------------- */

static int
area_mmap(rme_mmap_t *mm, uint64_t addr, uint64_t len, int prot, int flags, int fd,
          uint64_t offset, uint64_t *out_addr)
{
	area_t *a = area_of(mm);
	bool anon = (flags & RME_MAP_ANONYMOUS) != 0;
	bool noreplace = (flags & RME_MAP_FIXED_NOREPLACE) != 0;
	bool fixed = (flags & RME_MAP_FIXED) || noreplace;
	bool shared;
	uint64_t pgoff, start;
	piece_attrs_t pa;
	txn_t t;

	/* The order of the checks is Linux's (sys_mmap, ksys_mmap_pgoff, do_mmap). */
	if (!mm_page_aligned(offset))
		return RME_EINVAL;
	if (!anon && fd < 0)
		return RME_EBADF;
	if (len == 0)
		return RME_EINVAL;
	if (!mm_page_round_up(len, &len))
		return RME_ENOMEM;
	pgoff = offset / MM_PAGE;
	if (pgoff + len / MM_PAGE < pgoff)
		return RME_EOVERFLOW;
	/* A new mapping may take the count one above the limit. */
	if (a->vma_count > a->map_count_max)
		return RME_ENOMEM;

	if (len > a->size)
		return RME_ENOMEM;
	if (fixed) {
		if (addr < a->base || addr > a->end - len)
			return RME_ENOMEM;
		if (!mm_page_aligned(addr))
			return RME_EINVAL;
		start = addr;
	} else if (!place(a, addr, len, &start)) {
		return RME_ENOMEM;
	}
	if (noreplace && !mm_reg_range_free(&a->reg, start, start + len))
		return RME_EEXIST;

	if (!anon) {
		/* file_mmap_ok: a regular file ends at MAX_LFS_FILESIZE */
		if (len > FILE_SIZE_MAX || pgoff > (FILE_SIZE_MAX - len) / MM_PAGE)
			return RME_EOVERFLOW;
		switch (flags & RME_MAP_TYPE) {
		case RME_MAP_SHARED:
			flags = (int)((unsigned)flags & LEGACY_MAP_MASK);
			/* fall through */
		case RME_MAP_SHARED_VALIDATE:
			if ((unsigned)flags & ~LEGACY_MAP_MASK)
				return RME_EOPNOTSUPP;
			shared = true;
			break;
		case RME_MAP_PRIVATE:
			shared = false;
			break;
		default:
			return RME_EINVAL;
		}
	} else {
		switch (flags & RME_MAP_TYPE) {
		case RME_MAP_SHARED:
			if (flags & RME_MAP_GROWSDOWN)
				return RME_EINVAL;
			shared = true;
			break;
		case RME_MAP_PRIVATE:
			shared = false;
			break;
		default:
			return RME_EINVAL;
		}
	}

	/* Replacing the middle of one VMA splits it: not at the limit. */
	if (fixed && !noreplace && a->vma_count >= a->map_count_max &&
	    splits_one_vma(a, start, start + len))
		return RME_ENOMEM;

	pa.prot = (unsigned)prot & PROT_RWX;
	pa.vmflags = vmflags_of_mmap(flags, pa.prot, shared, !anon);
	if (!anon) {
		pa.obj = FILE_OBJ_BIT | (uint32_t)fd;
		pa.pgoff = pgoff;
	} else if (shared) {
		pa.obj = ++a->next_shared_obj;
		pa.pgoff = 0;
	} else {
		pa.obj = 0;
		pa.pgoff = start / MM_PAGE;   /* Linux's vm_pgoff of anonymous memory */
	}

	txn_init(&t, a);
	edit_add_new(&t, txn_edit(&t, start, start + len), start, start + len, pa);
	{
		int rc = txn_commit(&t);
		if (rc == 0)
			*out_addr = start;
		return rc;
	}
}

/* ---- munmap --------------------------------------------------------------------- */

/* Unmap [start, end) whose arguments were checked. */
static int
unmap_range(area_t *a, uint64_t start, uint64_t end)
{
	txn_t t;

	if (mm_reg_range_free(&a->reg, start, end))
		return 0;
	/* The count may go above its limit by removing, but not by a split. */
	if (a->vma_count >= a->map_count_max && splits_one_vma(a, start, end))
		return RME_ENOMEM;
	txn_init(&t, a);
	txn_edit(&t, start, end);
	return txn_commit(&t);
}

static int
area_munmap(rme_mmap_t *mm, uint64_t addr, uint64_t len)
{
	area_t *a = area_of(mm);
	uint64_t end;
	int rc = unmap_args(a, addr, len, &end);

	return rc ? rc : unmap_range(a, addr, end);
}

/* ---- mprotect ------------------------------------------------------------------- */

/* What a stretch just before the current position will look like, for merges. */
typedef struct stretch {
	bool valid;
	uint64_t end;
	unsigned prot, vmflags;
	uint64_t obj, pgoff_end;
} stretch_t;

/*
 * How far mprotect gets: Linux walks the VMAs of [start, end) in order,
 * changing each, and stops with ENOMEM at the first hole, or where a VMA
 * would have to be split while the map count is at its limit (a change
 * that merges into a neighbour needs no split). *stop receives where it
 * stops; what lies before stays changed.
 */
static int
mprotect_extent(const area_t *a, uint64_t start, uint64_t end, unsigned prot, uint64_t *stop)
{
	uint64_t count = a->vma_count, pos = start;
	mm_piece_t *s = mm_reg_find(&a->reg, start);
	stretch_t prev = { 0 };
	bool first = true;

	if (s && s->start == start) {
		mm_piece_t *p = mm_reg_prev(s);
		if (p && p->end == start)
			prev = (stretch_t){ true, p->end, p->prot, p->vmflags, p->obj,
			                    p->pgoff + (p->end - p->start) / MM_PAGE };
	}
	while (pos < end) {
		mm_piece_t *last = s, *next;
		bool left_side, right_side;
		unsigned vmflags;
		uint64_t e;

		if (!s || s->start > pos) {
			*stop = pos;
			return RME_ENOMEM;
		}
		left_side = !(first && (s->start < pos || mm_piece_joins(mm_reg_prev(s), s)));
		while (last->end < end && mm_piece_joins(last, mm_reg_next(last)))
			last = mm_reg_next(last);
		next = mm_reg_next(last);
		e = min_u64(last->end, end);
		right_side = last->end <= end && !mm_piece_joins(last, next);
		vmflags = vmflags_after_mprotect(s, prot);

		if (prot != s->prot || vmflags != s->vmflags) {
			uint64_t pg_pos = s->pgoff + (pos - s->start) / MM_PAGE;
			uint64_t pg_e = last->pgoff + (e - last->start) / MM_PAGE;
			bool merge_left = left_side && prev.valid && prev.end == pos &&
			                  prev.prot == prot && prev.vmflags == vmflags &&
			                  prev.obj == s->obj && prev.pgoff_end == pg_pos;
			bool merge_right = right_side && next && next->start == e &&
			                   next->prot == prot && next->vmflags == vmflags &&
			                   next->obj == s->obj && next->pgoff == pg_e;

			if (merge_left || merge_right) {
				if (left_side && right_side)
					count -= (uint64_t)merge_left + merge_right;
			} else {
				unsigned splits = !left_side + !right_side;
				for (unsigned i = 0; i < splits; i++, count++) {
					if (count >= a->map_count_max) {
						*stop = pos;
						return RME_ENOMEM;
					}
				}
			}
			prev = (stretch_t){ true, e, prot, vmflags, s->obj, pg_e };
		} else {
			prev = (stretch_t){ true, e, s->prot, s->vmflags, s->obj,
			                    last->pgoff + (e - last->start) / MM_PAGE };
		}
		pos = e;
		s = next;
		first = false;
	}
	*stop = end;
	return 0;
}

/* Whether mprotect to prot leaves the piece as it is. */
static bool
unchanged_by(const mm_piece_t *s, int prot)
{
	unsigned p = (unsigned)prot & PROT_RWX;

	return p == s->prot && vmflags_after_mprotect(s, p) == s->vmflags;
}

static int
area_mprotect(rme_mmap_t *mm, uint64_t start, uint64_t len, int prot)
{
	area_t *a = area_of(mm);
	int grows = prot & (RME_PROT_GROWSDOWN | RME_PROT_GROWSUP);
	uint64_t end, stop;
	mm_piece_t *s;
	txn_t t;
	int rc;

	prot &= ~grows;
	if (grows == (RME_PROT_GROWSDOWN | RME_PROT_GROWSUP))
		return RME_EINVAL;
	if (!mm_page_aligned(start))
		return RME_EINVAL;
	if (len == 0)
		return 0;
	if (!mm_page_round_up(len, &len) || start + len <= start)
		return RME_ENOMEM;
	end = start + len;
	if (prot & ~(PROT_RWX | RME_PROT_SEM))
		return RME_EINVAL;

	s = mm_reg_lower_bound(&a->reg, start);
	if (!s || s->start >= end)
		return RME_ENOMEM;
	if (grows & RME_PROT_GROWSDOWN) {
		/* From the start of the (grows-down) VMA on. */
		mm_piece_t *p;
		while ((p = mm_reg_prev(s)) && mm_piece_joins(p, s))
			s = p;
		start = s->start;
		if (!(s->vmflags & MM_VM_GROWSDOWN))
			return RME_EINVAL;
	} else {
		if (s->start > start)
			return RME_ENOMEM;
		if (grows & RME_PROT_GROWSUP)
			return RME_EINVAL;   /* no VMA grows up on the architectures modelled */
	}

	rc = mprotect_extent(a, start, end, (unsigned)prot & PROT_RWX, &stop);
	/* Like Linux, leave what does not change alone: no cut where nothing changes. */
	for (s = mm_reg_find(&a->reg, start); start < stop && unchanged_by(s, prot); s = mm_reg_next(s))
		start = min_u64(s->end, stop);
	for (s = mm_reg_find(&a->reg, stop - 1); start < stop && unchanged_by(s, prot);
	     s = mm_reg_prev(s))
		stop = s->start > start ? s->start : start;
	if (stop > start) {
		int err;

		txn_init(&t, a);
		edit_add_reprotected(&t, txn_edit(&t, start, stop), start, stop,
		                     (unsigned)prot & PROT_RWX);
		err = txn_commit(&t);
		if (err)
			return err;
	}
	return rc;
}

/* ---- mremap --------------------------------------------------------------------- */

/*
 * What growing a mapping adds at [from, to): fresh memory like the piece
 * last, continuing its object where the grown range ended, at src_end.
 */
static bool
edit_add_growth(txn_t *t, edit_t *e, const mm_piece_t *last, uint64_t src_end, uint64_t from,
                uint64_t to)
{
	return edit_add_new(t, e, from, to, attrs_of(last, src_end));
}

/*
 * Move [addr, addr+move_len) to dst, where it becomes new_len long, and
 * leave [addr, addr+old_len) unmapped (or emptied, for MREMAP_DONTUNMAP).
 */
static int
move_mapping(area_t *a, uint64_t addr, uint64_t old_len, uint64_t move_len,
             const mm_piece_t *last, uint64_t dst, uint64_t new_len, bool dontunmap)
{
	edit_t *src_edit, *dst_edit;
	txn_t t;

	txn_init(&t, a);
	src_edit = txn_edit(&t, addr, addr + old_len);
	dst_edit = txn_edit(&t, dst, dst + new_len);
	if (dontunmap)
		edit_add_emptied(&t, src_edit, addr, addr + old_len);
	edit_add_moved(&t, dst_edit, addr, addr + move_len, dst);
	if (new_len > move_len)
		edit_add_growth(&t, dst_edit, last, addr + move_len, dst + move_len, dst + new_len);
	return txn_commit(&t);
}

/*
 * Linux's remap_is_valid for [addr, addr+len): not empty (we do not
 * duplicate shared mappings), inside one VMA, no page-offset overflow.
 */
static int
remap_valid(const area_t *a, uint64_t addr, uint64_t len, uint64_t new_len, mm_piece_t **last)
{
	mm_piece_t *s = mm_reg_find(&a->reg, addr);
	uint64_t pgoff;

	if (len == 0)
		return RME_EINVAL;
	if (len > a->end - addr || !within_one_vma(a, addr, addr + len, last))
		return RME_EFAULT;
	pgoff = s->pgoff + (addr - s->start) / MM_PAGE;
	if (pgoff + new_len / MM_PAGE < pgoff)
		return RME_EINVAL;
	return 0;
}

/* MREMAP_FIXED and MREMAP_DONTUNMAP: move to (or, without FIXED, near) new_addr. */
static int
remap_to(area_t *a, uint64_t addr, uint64_t old_len, uint64_t new_len, int flags,
         uint64_t new_addr, uint64_t *out_addr)
{
	uint64_t move_len = min_u64(old_len, new_len), dst, tail_end;
	mm_piece_t *last = NULL;
	int rc;

	if (new_len > a->end || new_addr > a->end - new_len)
		return RME_EINVAL;
	if (addr + old_len > new_addr && new_addr + new_len > addr)
		return RME_EINVAL;
	/* A shrink unmaps the tail first, with munmap's argument rules. */
	if (old_len > new_len && (rc = unmap_args(a, addr + new_len, old_len - new_len, &tail_end)))
		return rc;
	if ((rc = remap_valid(a, addr, move_len, new_len, &last)))
		return rc;
	if (flags & RME_MREMAP_FIXED) {
		if (new_addr < a->base)
			return RME_ENOMEM;   /* the layer can place nothing below its area */
		dst = new_addr;
	} else if (!place(a, new_addr, new_len, &dst)) {
		return RME_ENOMEM;
	}
	if (a->vma_count + 3 >= a->map_count_max)
		return RME_ENOMEM;
	/* FIXED: the target's old mappings go in the same transaction (its edit replaces them). */
	rc = move_mapping(a, addr, old_len, move_len, last, dst, new_len,
	                  (flags & RME_MREMAP_DONTUNMAP) != 0);
	if (rc == 0)
		*out_addr = dst;
	return rc;
}

static int
area_mremap(rme_mmap_t *mm, uint64_t addr, uint64_t old_len, uint64_t new_len, int flags,
            uint64_t new_addr, uint64_t *out_addr)
{
	area_t *a = area_of(mm);
	bool to_new_addr = (flags & (RME_MREMAP_FIXED | RME_MREMAP_DONTUNMAP)) != 0;
	uint64_t aligned_new, aligned_old, end;
	mm_piece_t *last = NULL;
	int rc;

	/* check_mremap_params, in Linux's order */
	if (flags & ~(RME_MREMAP_MAYMOVE | RME_MREMAP_FIXED | RME_MREMAP_DONTUNMAP))
		return RME_EINVAL;
	if (!mm_page_aligned(addr))
		return RME_EINVAL;
	if (!mm_page_round_up(new_len, &aligned_new) || aligned_new == 0)
		return RME_EINVAL;
	if (to_new_addr) {
		if (!mm_page_aligned(new_addr))
			return RME_EINVAL;
		if (!(flags & RME_MREMAP_MAYMOVE))
			return RME_EINVAL;
		if ((flags & RME_MREMAP_DONTUNMAP) && old_len != new_len)
			return RME_EINVAL;
		/* the move must stay 4 below the limit even after two splits */
		if (a->vma_count + 2 + 3 >= a->map_count_max)
			return RME_ENOMEM;
	}
	if (!mm_page_round_up(old_len, &aligned_old))
		aligned_old = 0;   /* PAGE_ALIGN wraps */
	old_len = aligned_old;
	new_len = aligned_new;

	if (!mm_reg_find(&a->reg, addr))
		return RME_EFAULT;
	if (to_new_addr)
		return remap_to(a, addr, old_len, new_len, flags, new_addr, out_addr);

	if (old_len == new_len) {
		*out_addr = addr;
		return 0;
	}
	if (old_len > new_len) {
		rc = unmap_args(a, addr + new_len, old_len - new_len, &end);
		if (rc == 0)
			rc = unmap_range(a, addr + new_len, end);
		if (rc == 0)
			*out_addr = addr;
		return rc;
	}

	if ((rc = remap_valid(a, addr, old_len, new_len, &last)))
		return rc;
	end = addr + old_len;
	/* Grow in place if the VMA ends where the old range does and the space after it is free. */
	if (last->end == end && !mm_piece_joins(last, mm_reg_next(last)) &&
	    new_len - old_len <= a->end - end &&
	    mm_reg_range_free(&a->reg, end, addr + new_len)) {
		txn_t t;

		txn_init(&t, a);
		edit_add_growth(&t, txn_edit(&t, end, addr + new_len), last, end, end,
		                addr + new_len);
		rc = txn_commit(&t);
		if (rc == 0)
			*out_addr = addr;
		return rc;
	}
	if (!(flags & RME_MREMAP_MAYMOVE))
		return RME_ENOMEM;
	{
		uint64_t dst;

		if (new_len > a->size || !place(a, 0, new_len, &dst))
			return RME_ENOMEM;
		if (a->vma_count + 3 >= a->map_count_max)
			return RME_ENOMEM;
		rc = move_mapping(a, addr, old_len, old_len, last, dst, new_len, false);
		if (rc == 0)
			*out_addr = dst;
		return rc;
	}
}

/* ---- madvise and msync ---------------------------------------------------------- */

typedef int (*visit_fn)(area_t *a, const mm_piece_t *s, uint64_t from, uint64_t to, int arg);

/*
 * Linux's madvise_walk_vmas: visit the mapped parts of [start, end) in
 * order. An error from visit ends the walk at once; unmapped parts make
 * the result ENOMEM once everything mapped was visited.
 */
static int
walk_range(area_t *a, uint64_t start, uint64_t end, visit_fn visit, int arg)
{
	int unmapped = 0;
	uint64_t pos = start;

	for (mm_piece_t *s = mm_reg_lower_bound(&a->reg, start); pos < end; s = mm_reg_next(s)) {
		uint64_t to;
		int rc;

		if (!s || s->start >= end)
			return RME_ENOMEM;
		if (pos < s->start) {
			unmapped = RME_ENOMEM;
			pos = s->start;
		}
		to = min_u64(end, s->end);
		rc = visit(a, s, pos, to, arg);
		if (rc)
			return rc;
		pos = to;
	}
	return unmapped;
}

static int
zero_range(area_t *a, const mm_piece_t *s, uint64_t from, uint64_t to)
{
	rme_err_t err;

	if (!s->chunk)
		return 0;   /* no RAM: reads as zero once it is backed */
	err = a->head.prims.ds_zero(a->head.prims.ctx, s->chunk->ds,
	                            s->chunk_off + (from - s->start), to - from);
	return rme_errno_from_err(err);
}

static int
madvise_visit(area_t *a, const mm_piece_t *s, uint64_t from, uint64_t to, int advice)
{
	bool locked = s->vmflags & MM_VM_LOCKED;
	bool shared = s->vmflags & MM_VM_SHARED;
	bool file = s->vmflags & MM_VM_FILE;

	switch (advice) {
	case RME_MADV_DONTNEED:
	case RME_MADV_DONTNEED_LOCKED:
		if (advice == RME_MADV_DONTNEED && locked)
			return RME_EINVAL;
		/* Private pages read back as zero (the file's content is modelled as zeros);
		 * shared ones come back from their object unchanged. */
		return shared ? 0 : zero_range(a, s, from, to);
	case RME_MADV_FREE:
		return locked || shared || file ? RME_EINVAL : 0;
	case RME_MADV_REMOVE:
		if (locked)
			return RME_EINVAL;
		if (!shared)
			return file ? RME_EACCES : RME_EINVAL;
		return zero_range(a, s, from, to);
	case RME_MADV_WIPEONFORK:
		return shared || file ? RME_EINVAL : 0;
	case RME_MADV_POPULATE_READ:
		return s->prot == RME_PROT_NONE ? RME_EFAULT : 0;
	case RME_MADV_POPULATE_WRITE:
		return !(s->prot & RME_PROT_WRITE) ? RME_EFAULT : 0;
	default:
		return 0;   /* advice about performance or fork/dump: no effect here */
	}
}

static bool
advice_known(int advice)
{
	switch (advice) {
	case RME_MADV_NORMAL: case RME_MADV_RANDOM: case RME_MADV_SEQUENTIAL:
	case RME_MADV_WILLNEED: case RME_MADV_DONTNEED: case RME_MADV_FREE:
	case RME_MADV_REMOVE: case RME_MADV_DONTFORK: case RME_MADV_DOFORK:
	case RME_MADV_MERGEABLE: case RME_MADV_UNMERGEABLE: case RME_MADV_HUGEPAGE:
	case RME_MADV_NOHUGEPAGE: case RME_MADV_DONTDUMP: case RME_MADV_DODUMP:
	case RME_MADV_WIPEONFORK: case RME_MADV_KEEPONFORK: case RME_MADV_COLD:
	case RME_MADV_PAGEOUT: case RME_MADV_POPULATE_READ: case RME_MADV_POPULATE_WRITE:
	case RME_MADV_DONTNEED_LOCKED: case RME_MADV_COLLAPSE:
		return true;
	default:
		return false;
	}
}

static int
area_madvise(rme_mmap_t *mm, uint64_t start, uint64_t len, int advice)
{
	area_t *a = area_of(mm);
	uint64_t rounded;

	if (!advice_known(advice))
		return RME_EINVAL;
	if (!mm_page_aligned(start))
		return RME_EINVAL;
	if (!mm_page_round_up(len, &rounded) || (len && !rounded))
		return RME_EINVAL;
	if (start + rounded < start)
		return RME_EINVAL;
	if (rounded == 0)
		return 0;
	return walk_range(a, start, start + rounded, madvise_visit, advice);
}

static int
msync_visit(area_t *a, const mm_piece_t *s, uint64_t from, uint64_t to, int flags)
{
	(void)a;
	(void)from;
	(void)to;
	/* Nothing to write back: file content is not modelled. */
	return (flags & RME_MS_INVALIDATE) && (s->vmflags & MM_VM_LOCKED) ? RME_EBUSY : 0;
}

static int
area_msync(rme_mmap_t *mm, uint64_t start, uint64_t len, int flags)
{
	area_t *a = area_of(mm);
	uint64_t rounded;

	if (flags & ~(RME_MS_ASYNC | RME_MS_INVALIDATE | RME_MS_SYNC))
		return RME_EINVAL;
	if (!mm_page_aligned(start))
		return RME_EINVAL;
	if ((flags & RME_MS_ASYNC) && (flags & RME_MS_SYNC))
		return RME_EINVAL;
	/* Linux rounds with wrap-around: a length that wraps to 0 syncs nothing. */
	if (!mm_page_round_up(len, &rounded))
		rounded = 0;
	if (start + rounded < start)
		return RME_ENOMEM;
	if (rounded == 0)
		return 0;
	return walk_range(a, start, start + rounded, msync_visit, flags);
}

/* ---- Inspection ----------------------------------------------------------------- */

static void
vma_begin(rme_mmap_vma_t *v, const mm_piece_t *s)
{
	v->start = s->start;
	v->len = s->end - s->start;
	v->prot = (int)s->prot;
	v->flags = (s->vmflags & MM_VM_SHARED) ? RME_MAP_SHARED : RME_MAP_PRIVATE;
	if (!(s->vmflags & MM_VM_FILE))
		v->flags |= RME_MAP_ANONYMOUS;
	if (s->vmflags & MM_VM_LOCKED)
		v->flags |= RME_MAP_LOCKED;
	if (s->vmflags & MM_VM_NORESERVE)
		v->flags |= RME_MAP_NORESERVE;
	if (s->vmflags & MM_VM_GROWSDOWN)
		v->flags |= RME_MAP_GROWSDOWN;
	if (s->vmflags & MM_VM_NOHUGEPAGE)
		v->flags |= RME_MAP_STACK;
	v->offset = s->pgoff * MM_PAGE;
	v->ram = s->chunk ? v->len : 0;
}

static int
area_foreach(rme_mmap_t *mm, int (*fn)(void *ctx, const rme_mmap_vma_t *vma), void *ctx)
{
	area_t *a = area_of(mm);
	rme_mmap_vma_t v;
	const mm_piece_t *prev = NULL;

	for (const mm_piece_t *s = mm_reg_first(&a->reg); s; prev = s, s = mm_reg_next(s)) {
		if (prev && mm_piece_joins(prev, s)) {
			v.len += s->end - s->start;
			v.ram += s->chunk ? s->end - s->start : 0;
			continue;
		}
		if (prev) {
			int rc = fn(ctx, &v);
			if (rc)
				return rc;
		}
		vma_begin(&v, s);
	}
	return prev ? fn(ctx, &v) : 0;
}

static void
area_stats(rme_mmap_t *mm, rme_mmap_stats_t *out)
{
	area_t *a = area_of(mm);

	out->area_base = a->base;
	out->area_size = a->size;
	out->area_rm = a->rm;
	out->chunk_size = a->chunk_size;
	out->map_count_max = a->map_count_max;
	out->vmas = a->vma_count;
	out->pieces = a->reg.npieces;
	out->attachments = a->attachments;
	out->chunks = a->reg.nchunks;
	out->chunk_bytes = a->reg.chunk_bytes;
	out->mapped_bytes = a->mapped_bytes;
}

static rme_err_t
check_failed(mm_text_t *t, const char *what, const mm_piece_t *s)
{
	mm_describe(t, what, s);
	return RME_ERR_INVALID_ARGUMENT;
}

static rme_err_t
area_check(rme_mmap_t *mm, char *msg, size_t msglen)
{
	area_t *a = area_of(mm);
	uint64_t vmas = 0, attached = 0, mapped = 0, nchunks = 0, chunk_bytes = 0;
	const mm_piece_t *prev = NULL;
	mm_text_t t;

	mm_text_init(&t, msg, msglen);
	if (a->lost_attachments) {
		mm_text_dec(&t, a->lost_attachments);
		return check_failed(&t, " regions could not be restored after a failed call", NULL);
	}
	if (!mm_reg_check(&a->reg, &t))
		return RME_ERR_INVALID_ARGUMENT;
	for (mm_chunk_t *c = a->reg.chunks; c; c = c->next)
		c->check_refs = c->check_bytes = 0;
	for (const mm_piece_t *s = mm_reg_first(&a->reg); s; prev = s, s = mm_reg_next(s)) {
		uint64_t len = s->end - s->start;

		if (s->keep || s->link)
			return check_failed(&t, "a transaction left a mark", s);
		if (s->prot & ~(unsigned)PROT_RWX)
			return check_failed(&t, "a protection has unknown bits", s);
		if (!s->chunk && s->prot != RME_PROT_NONE)
			return check_failed(&t, "an accessible piece has no RAM", s);
		if (s->chunk) {
			if (!mm_page_aligned(s->chunk_off) || s->chunk_off > s->chunk->size ||
			    len > s->chunk->size - s->chunk_off)
				return check_failed(&t, "a piece reaches beyond its chunk", s);
			s->chunk->check_refs++;
			s->chunk->check_bytes += len;
		}
		if (!mm_piece_joins(prev, s))
			vmas++;
		attached += mm_piece_attached(s);
		mapped += len;
	}
	for (mm_chunk_t *c = a->reg.chunks; c; c = c->next) {
		if (c->refs == 0 || c->check_refs != c->refs)
			return check_failed(&t, "a chunk's reference count is wrong", NULL);
		if (c->check_bytes > c->size)
			return check_failed(&t, "pieces use more of a chunk than it has", NULL);
		nchunks++;
		chunk_bytes += c->size;
	}
	if (nchunks != a->reg.nchunks || chunk_bytes != a->reg.chunk_bytes)
		return check_failed(&t, "the chunk totals are wrong", NULL);
	if (vmas != a->vma_count) {
		mm_text_str(&t, "the VMA count is ");
		mm_text_dec(&t, a->vma_count);
		mm_text_str(&t, ", the registry has ");
		mm_text_dec(&t, vmas);
		return RME_ERR_INVALID_ARGUMENT;
	}
	if (attached != a->attachments || mapped != a->mapped_bytes)
		return check_failed(&t, "the attachment or byte totals are wrong", NULL);
	return RME_OK;
}

/* ---- Set-up and tear-down ------------------------------------------------------- */

static rme_err_t
setup_failed(rme_mmap_setup_error_t *why, rme_err_t err)
{
	if (why)
		why->err = err;
	return err;
}

static void
text_area(mm_text_t *t, uint64_t base, uint64_t size)
{
	mm_text_str(t, "the area [");
	mm_text_hex(t, base);
	mm_text_str(t, ", ");
	mm_text_hex(t, base + size);
	mm_text_str(t, ")");
}

static bool
prims_complete(const rme_genode_prims_t *p)
{
	return p->ram_alloc && p->ram_free && p->ds_zero && p->rm_create && p->rm_destroy &&
	       p->rm_dataspace && p->attach && p->detach && p->heap_alloc && p->heap_free &&
	       p->lock && p->unlock;
}

static rme_err_t
area_create(const rme_genode_prims_t *prims, const rme_mmap_config_t *cfg, rme_mmap_t **out,
            rme_mmap_setup_error_t *why)
{
	rme_prim_attr_t attr = { .use_at = 1, .at = cfg->area_base, .executable = 1, .writeable = 1 };
	rme_prim_cap_t rm, ds;
	uint64_t at;
	area_t *a;
	rme_err_t err;
	mm_text_t t;

	mm_text_init(&t, why ? why->message : NULL, why ? sizeof(why->message) : 0);
	if (!prims_complete(prims)) {
		mm_text_str(&t, "the table of Genode primitives is incomplete");
		return setup_failed(why, RME_ERR_INVALID_ARGUMENT);
	}
	if (cfg->area_size == 0 || !mm_page_aligned(cfg->area_base) ||
	    !mm_page_aligned(cfg->area_size) || cfg->area_base > UINT64_MAX - cfg->area_size) {
		text_area(&t, cfg->area_base, cfg->area_size);
		mm_text_str(&t, " must be page-aligned, not empty, and not wrap around");
		return setup_failed(why, RME_ERR_INVALID_ARGUMENT);
	}
	if (cfg->chunk_size == 0 || !mm_page_aligned(cfg->chunk_size)) {
		mm_text_str(&t, "the chunk size ");
		mm_text_hex(&t, cfg->chunk_size);
		mm_text_str(&t, " is not a positive multiple of the page size");
		return setup_failed(why, RME_ERR_INVALID_ARGUMENT);
	}
	if (cfg->map_count_max == 0) {
		mm_text_str(&t, "the map count limit must be positive");
		return setup_failed(why, RME_ERR_INVALID_ARGUMENT);
	}

	a = prims->heap_alloc(prims->ctx, sizeof(*a));
	if (!a) {
		mm_text_str(&t, "the metadata heap has no room for the instance");
		return setup_failed(why, RME_ERR_HOST_NO_MEMORY);
	}
	memset(a, 0, sizeof(*a));
	a->head.ops = &mmap_area_ops;
	a->head.prims = *prims;

	err = prims->rm_create(prims->ctx, cfg->area_size, &rm);
	if (err != RME_OK) {
		mm_text_str(&t, "cannot create the region map for ");
		text_area(&t, cfg->area_base, cfg->area_size);
		mm_text_str(&t, ": ");
		mm_text_str(&t, rme_err_name(err));
		prims->heap_free(prims->ctx, a, sizeof(*a));
		return setup_failed(why, err);
	}
	ds = prims->rm_dataspace(prims->ctx, rm);
	err = ds ? prims->attach(prims->ctx, RME_PRIM_LOCAL_RM, ds, &attr, &at)
	         : RME_ERR_INVALID_DATASPACE;
	if (err != RME_OK) {
		text_area(&t, cfg->area_base, cfg->area_size);
		if (err == RME_ERR_REGION_CONFLICT)
			mm_text_str(&t, " conflicts with the address space's layout: it overlaps "
			                "a region in use or lies outside the address space "
			                "(REGION_CONFLICT)");
		else {
			mm_text_str(&t, " cannot be attached into the address space: ");
			mm_text_str(&t, rme_err_name(err));
		}
		prims->rm_destroy(prims->ctx, rm);
		prims->heap_free(prims->ctx, a, sizeof(*a));
		return setup_failed(why, err);
	}

	a->rm = rm;
	a->base = cfg->area_base;
	a->size = cfg->area_size;
	a->end = cfg->area_base + cfg->area_size;
	a->chunk_size = cfg->chunk_size;
	a->map_count_max = cfg->map_count_max;
	mm_reg_init(&a->reg, a->base, a->end);
	*out = &a->head;
	return RME_OK;
}

/* Release one piece at tear-down: its region, and its chunk when it was the last user. */
static void
teardown_piece(area_t *a, mm_piece_t *s)
{
	if (mm_piece_attached(s))
		detach_piece(a, s);
	if (s->chunk && --s->chunk->refs == 0)
		chunk_release(a, s->chunk);
	heap_free(a, s, sizeof(*s));
}

static void
area_destroy(rme_mmap_t *mm)
{
	area_t *a = area_of(mm);
	rme_genode_prims_t prims = a->head.prims;
	mm_piece_t *s = a->reg.root;

	/* Post-order walk: a node goes once both subtrees are gone. */
	while (s) {
		mm_piece_t *p;

		if (s->child[0]) {
			s = s->child[0];
			continue;
		}
		if (s->child[1]) {
			s = s->child[1];
			continue;
		}
		p = s->parent;
		if (p)
			p->child[p->child[1] == s] = NULL;
		teardown_piece(a, s);
		s = p;
	}
	prims.detach(prims.ctx, RME_PRIM_LOCAL_RM, a->base);
	prims.rm_destroy(prims.ctx, a->rm);
	prims.heap_free(prims.ctx, a, sizeof(*a));
}

const mmap_ops_t mmap_area_ops = {
	.name = "rmemu",
	.create = area_create,
	.destroy = area_destroy,
	.mmap = area_mmap,
	.munmap = area_munmap,
	.mprotect = area_mprotect,
	.mremap = area_mremap,
	.madvise = area_madvise,
	.msync = area_msync,
	.foreach = area_foreach,
	.stats = area_stats,
	.check = area_check,
};
