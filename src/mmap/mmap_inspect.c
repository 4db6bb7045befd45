/*
 * mmap_inspect.c: looking into the "rmemu" policy's area from outside: its
 * mappings as Linux counts VMAs (rme_mmap_foreach), the RAM it holds
 * (rme_mmap_foreach_ram), its figures
 * (rme_mmap_stats), and the invariant checker (rme_mmap_check), which
 * holds the registry, the chunks and the totals against each other.
 */
#include <string.h>

#include "mmap_area.h"

static void
vma_begin(rme_mmap_vma_t *v, const mm_piece_t *s)
{
	memset(v, 0, sizeof(*v));   /* padding too: callers may compare VMAs bytewise */
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
	v->onfault = (s->vmflags & MM_VM_LOCKONFAULT) != 0;
	v->offset = s->pgoff * MM_PAGE;
	v->ram = s->chunk ? v->len : 0;
}

/*
 * The VMAs that overlap [start, end), each whole: from the VMA that holds
 * the first piece there (its pieces before start are walked back to), up
 * to the one that holds the last.
 */
int
mm_area_foreach(rme_mmap_t *mm, uint64_t start, uint64_t end,
                int (*fn)(void *ctx, const rme_mmap_vma_t *vma), void *ctx)
{
	area_t *a = area_of(mm);
	rme_mmap_vma_t v;
	const mm_piece_t *prev = NULL, *s = mm_reg_lower_bound(&a->reg, start), *p;

	while (s && (p = mm_reg_prev(s)) && mm_piece_joins(p, s))
		s = p;
	for (; s; prev = s, s = mm_reg_next(s)) {
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
		if (s->start >= end) {
			prev = NULL;   /* a VMA of its own beyond the range: not reported */
			break;
		}
		vma_begin(&v, s);
	}
	return prev ? fn(ctx, &v) : 0;
}

int
mm_area_pieces_in(rme_mmap_t *mm, uint64_t lo, uint64_t hi,
                  int (*fn)(void *ctx, const rme_mmap_piece_t *p), void *ctx)
{
	area_t *a = area_of(mm);

	for (const mm_piece_t *s = mm_reg_lower_bound(&a->reg, lo); s && s->start < hi;
	     s = mm_reg_next(s)) {
		rme_mmap_vma_t v;
		rme_mmap_piece_t p;
		int rc;

		vma_begin(&v, s);
		p.start = v.start;
		p.len = v.len;
		p.prot = v.prot;
		p.flags = v.flags;
		p.offset = v.offset;
		p.chunk = s->chunk ? s->chunk->ds : 0;
		p.chunk_offset = s->chunk ? mm_piece_chunk_off(s) : 0;
		p.vma_start = !mm_piece_joins(mm_reg_prev(s), s);
		if ((rc = fn(ctx, &p)) != 0)
			return rc;
	}
	return 0;
}

int
mm_area_foreach_ram(rme_mmap_t *mm, int (*fn)(void *ctx, rme_prim_cap_t ds, uint64_t size),
                    void *ctx)
{
	for (const mm_chunk_t *c = area_of(mm)->reg.chunks; c; c = c->next) {
		int rc = fn(ctx, c->ds, mm_chunk_size(c));
		if (rc)
			return rc;
	}
	return 0;
}

void
mm_area_stats(rme_mmap_t *mm, rme_mmap_stats_t *out)
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

/*
 * Whether every chunk has as many pieces as its reference count says and
 * they use no more than it has; NULL, or what is wrong. A chunk keeps no
 * field for this (16 bytes a mapping): while it counts, the chunk's back
 * link holds the bytes its pieces use and its reference count is counted
 * down to zero; afterwards the counts are counted back up and the back
 * links rebuilt from the forward ones, so the registry is as it was,
 * whatever the answer.
 */
static const char *
check_chunk_uses(area_t *a)
{
	const char *why = NULL;
	mm_chunk_t *c, *back;
	mm_piece_t *s;

	for (c = a->reg.chunks; c; c = c->next)
		if (c->refs == 0)
			return "a chunk's reference count is wrong";
	for (c = a->reg.chunks; c; c = c->next)
		c->check_bytes = 0;
	for (s = mm_reg_first(&a->reg); s; s = mm_reg_next(s)) {
		if (s->chunk) {
			s->chunk->refs--;
			s->chunk->check_bytes += s->end - s->start;
		}
	}
	for (c = a->reg.chunks; c && !why; c = c->next) {
		if (c->refs != 0)
			why = "a chunk's reference count is wrong";
		else if (c->check_bytes > mm_chunk_size(c))
			why = "pieces use more of a chunk than it has";
	}
	for (s = mm_reg_first(&a->reg); s; s = mm_reg_next(s))
		if (s->chunk)
			s->chunk->refs++;
	for (back = NULL, c = a->reg.chunks; c; back = c, c = c->next)
		c->prev = back;
	return why;
}

rme_err_t
mm_area_check(rme_mmap_t *mm, char *msg, size_t msglen)
{
	area_t *a = area_of(mm);
	uint64_t vmas = 0, attached = 0, mapped = 0, nchunks = 0, chunk_bytes = 0;
	const mm_piece_t *prev = NULL;
	const char *why;
	mm_text_t t;

	mm_text_init(&t, msg, msglen);
	if (a->lost_attachments) {
		mm_text_dec(&t, a->lost_attachments);
		return check_failed(&t, " regions could not be restored after a failed call", NULL);
	}
	if (!mm_reg_check(&a->reg, &t))
		return RME_ERR_INVALID_ARGUMENT;
	for (const mm_piece_t *s = mm_reg_first(&a->reg); s; prev = s, s = mm_reg_next(s)) {
		uint64_t len = s->end - s->start;

		if (s->keep || s->link)
			return check_failed(&t, "a transaction left a mark", s);
		if (s->prot & ~(unsigned)PROT_RWX)
			return check_failed(&t, "a protection has unknown bits", s);
		if (!s->chunk && s->prot != RME_PROT_NONE)
			return check_failed(&t, "an accessible piece has no RAM", s);
		if (s->chunk) {
			if (mm_piece_chunk_off(s) > mm_chunk_size(s->chunk) ||
			    len > mm_chunk_size(s->chunk) - mm_piece_chunk_off(s))
				return check_failed(&t, "a piece reaches beyond its chunk", s);
		}
		if (!mm_piece_joins(prev, s))
			vmas++;
		attached += mm_piece_attached(s);
		mapped += len;
	}
	if ((why = check_chunk_uses(a)) != NULL)
		return check_failed(&t, why, NULL);
	for (mm_chunk_t *c = a->reg.chunks; c; c = c->next) {
		nchunks++;
		chunk_bytes += mm_chunk_size(c);
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
