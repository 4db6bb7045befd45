/*
 * mmap_txn.c: the transaction engine of the "rmemu" policy (mmap_area.h).
 * Every call that changes mappings is one transaction (txn_t):
 *   1. the call checks the arguments and Linux's limits, changing nothing
 *      (mmap_area.c);
 *   2. it describes the new content of one or two ranges ("edits"); the
 *      engine builds the new pieces, taking all heap memory and every new
 *      RAM chunk that the call needs;
 *   3. it detaches the regions that go away and attaches the new ones; if
 *      an attach fails, it undoes the region changes and gives the new RAM
 *      back;
 *   4. only then it updates the registry, which cannot fail, and releases
 *      the chunks no piece uses any more.
 * So a failure at any step leaves the mappings, the RAM and the regions as
 * they were (doc/mmap.md says where Genode's metadata slab is the exception).
 */
#include <string.h>

#include "mmap_area.h"

void
mm_txn_init(txn_t *t, area_t *a)
{
	memset(t, 0, sizeof(*t));
	t->a = a;
	t->spares[0] = a->nspare[0];
	t->spares[1] = a->nspare[1];
}

edit_t *
mm_txn_edit(txn_t *t, uint64_t start, uint64_t end)
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
	s->chunk_pgoff = (uint32_t)(chunk_off / MM_PAGE);
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
	c->pages = (uint32_t)(size / MM_PAGE);
	c->fresh_next = t->fresh;
	t->fresh = c;
	return c;
}

/*
 * New memory in [start, end): one reservation piece without RAM for
 * PROT_NONE, else one piece per chunk of at most chunk_size bytes.
 */
bool
mm_edit_add_new(txn_t *t, edit_t *e, uint64_t start, uint64_t end, piece_attrs_t pa)
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
bool
mm_edit_add_moved(txn_t *t, edit_t *e, uint64_t src, uint64_t src_end, uint64_t dst)
{
	for (mm_piece_t *s = mm_reg_lower_bound(&t->a->reg, src); s && s->start < src_end;
	     s = mm_reg_next(s)) {
		uint64_t from = s->start > src ? s->start : src;
		uint64_t to = min_u64(s->end, src_end);
		piece_attrs_t pa = attrs_of(s, from);
		mm_piece_t *n = piece_new(t, dst + (from - src), dst + (to - src), &pa, s->chunk,
		                        mm_piece_chunk_off(s) + (from - s->start));
		if (!n)
			return false;
		list_append(&e->tail, n);
	}
	return true;
}

/*
 * The pieces of [start, end) changed by c. Another protection keeps the
 * RAM (a piece that becomes PROT_NONE is detached but keeps its content,
 * as on Linux); a reservation without RAM gets fresh zeroed chunks when it
 * becomes accessible. Other lock flags change nothing else. An unchanged
 * whole piece is kept as it is.
 */
bool
mm_edit_add_changed(txn_t *t, edit_t *e, uint64_t start, uint64_t end, const piece_change_t *c)
{
	for (mm_piece_t *s = mm_reg_lower_bound(&t->a->reg, start); s && s->start < end;
	     s = mm_reg_next(s)) {
		uint64_t from = s->start > start ? s->start : start;
		uint64_t to = min_u64(s->end, end);
		piece_attrs_t pa = changed_attrs(s, from, c);
		mm_piece_t *n;

		if (from == s->start && to == s->end && pa.prot == s->prot &&
		    pa.vmflags == s->vmflags) {
			s->keep = true;
			list_append(&e->tail, s);
			continue;
		}
		if (!s->chunk && pa.prot != RME_PROT_NONE) {
			if (!mm_edit_add_new(t, e, from, to, pa))
				return false;
			continue;
		}
		n = piece_new(t, from, to, &pa, s->chunk, mm_piece_chunk_off(s) + (from - s->start));
		if (!n)
			return false;
		list_append(&e->tail, n);
	}
	return true;
}

/* [start, end) as it is, but with fresh zeroed memory (what MREMAP_DONTUNMAP leaves behind). */
bool
mm_edit_add_emptied(txn_t *t, edit_t *e, uint64_t start, uint64_t end)
{
	for (mm_piece_t *s = mm_reg_lower_bound(&t->a->reg, start); s && s->start < end;
	     s = mm_reg_next(s)) {
		uint64_t from = s->start > start ? s->start : start;
		piece_attrs_t pa = attrs_of(s, from);

		/* Linux clears VM_LOCKED_MASK on the old range (move_vma) */
		pa.vmflags &= ~(unsigned)MM_VM_ACCOUNT & ~MM_VM_LOCK_MASK;
		if (!mm_edit_add_new(t, e, from, min_u64(s->end, end), pa))
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
		n = piece_new(t, ps, pe, &pa, s->chunk,
		              s->chunk ? mm_piece_chunk_off(s) + (ps - s->start) : 0);
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
	/* what the call took went back to the spares; the heap gets back what it gave */
	mm_spares_trim(t->a, t->spares);
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
		mm_piece_t *s = w->first_old, *n = w->after, *gone = NULL, **gone_tail = &gone;

		/*
		 * Segment by segment: the old pieces between two kept ones (or
		 * the window's ends) give way to the new pieces between the
		 * same two, in the same place in the tree.
		 */
		for (;;) {
			mm_piece_t *olds = NULL, **otail = &olds, *news = NULL, **ntail = &news;
			mm_piece_t *kept;

			for (; s && s->start < w->end && !s->keep; s = mm_reg_next(s)) {
				*otail = s;
				otail = &s->link;
				a->mapped_bytes -= s->end - s->start;
				a->attachments -= mm_piece_attached(s);
			}
			*otail = NULL;
			kept = s && s->start < w->end ? s : NULL;
			for (; n && n != kept; n = n->link) {
				*ntail = n;
				ntail = &n->link;
				a->mapped_bytes += n->end - n->start;
				a->attachments += mm_piece_attached(n);
			}
			*ntail = NULL;
			mm_reg_replace_run(&a->reg, olds, news, s);
			if (olds) {
				*gone_tail = olds;
				gone_tail = otail;
			}
			while (news) {
				mm_piece_t *next = news->link;

				news->link = NULL;
				news = next;
			}
			if (!kept)
				break;
			n = kept->link;
			kept->link = NULL;
			kept->keep = false;
			s = mm_reg_next(kept);
		}
		a->vma_count = a->vma_count + count_vmas_from(a, w->start, w->end) - before;
		w->after = NULL;
		/* released in address order, a later window's pieces before an earlier one's */
		*gone_tail = doomed;
		doomed = gone;
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
int
mm_txn_commit(txn_t *t)
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
