/*
 * pagemap.c: page ranges and their mapping attributes (pagemap.h).
 */
#include <string.h>

#include <rmemu/trace.h>

#include "pagemap.h"
#include "xalloc.h"

unsigned
pm_mapping_flags(unsigned trace_flags, unsigned prot)
{
	unsigned f = trace_flags & (RME_TRACE_MAP_PRIVATE | RME_TRACE_MAP_SHARED | RME_TRACE_MAP_ANON |
	                            RME_TRACE_MAP_NORESERVE | RME_TRACE_MAP_STACK |
	                            RME_TRACE_MAP_GROWSDOWN | RME_TRACE_MAP_LOCKED);

	/* a mapping MAP_SHARED_VALIDATE made is as shared as any */
	if (trace_flags & RME_TRACE_MAP_SHARED_VALIDATE)
		f |= RME_TRACE_MAP_SHARED;

	/* Linux's accountable_mapping() */
	if ((f & RME_TRACE_MAP_PRIVATE) && (prot & RME_TRACE_RIGHT_W) && !(f & RME_TRACE_MAP_NORESERVE))
		f |= PM_ACCOUNT;
	return f;
}

uint64_t
pm_round_up(uint64_t n)
{
	if (n > UINT64_MAX - (PM_PAGE - 1))
		return UINT64_MAX & ~(PM_PAGE - 1);
	return (n + PM_PAGE - 1) & ~(PM_PAGE - 1);
}

void
pm_init(pagemap_t *pm)
{
	memset(pm, 0, sizeof(*pm));
}

void
pm_fini(pagemap_t *pm)
{
	free(pm->piece);
	pm_init(pm);
}

void
pm_copy(pagemap_t *dst, const pagemap_t *src)
{
	pm_init(dst);
	XGROW(dst->piece, dst->cap, src->n);
	if (src->n)
		memcpy(dst->piece, src->piece, src->n * sizeof(*src->piece));
	dst->n = src->n;
	dst->totals = src->totals;
}

size_t
pm_first_after(const pagemap_t *pm, uint64_t addr)
{
	size_t lo = 0, hi = pm->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pm->piece[mid].end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

const pm_piece_t *
pm_find(const pagemap_t *pm, uint64_t addr)
{
	size_t i = pm_first_after(pm, addr);

	return i < pm->n && pm->piece[i].start <= addr ? &pm->piece[i] : NULL;
}

int
pm_is_free(const pagemap_t *pm, uint64_t start, uint64_t end)
{
	size_t i = pm_first_after(pm, start);

	return i == pm->n || pm->piece[i].start >= end;
}

int
pm_highest_gap(const pagemap_t *pm, uint64_t lo, uint64_t hi, uint64_t len, uint64_t *out)
{
	size_t below = 0, hi_idx = pm->n;

	if (len == 0 || hi < lo || hi - lo < len)
		return -1;
	/* below: the number of pieces that start below hi */
	while (below < hi_idx) {
		size_t mid = below + (hi_idx - below) / 2;

		if (pm->piece[mid].start < hi)
			below = mid + 1;
		else
			hi_idx = mid;
	}
	/* the gaps under hi, from the top down: under piece k, above piece k-1 */
	for (size_t k = below + 1; k-- > 0;) {
		uint64_t top = k == below ? hi : pm->piece[k].start;
		uint64_t bottom = k == 0 || pm->piece[k - 1].end < lo ? lo : pm->piece[k - 1].end;

		if (top > bottom && top - bottom >= len) {
			*out = top - len;
			return 0;
		}
		if (bottom == lo)
			break;
	}
	return -1;
}

int
pm_continues(const pm_piece_t *a, const pm_piece_t *b)
{
	return a->end == b->start && a->attr.prot == b->attr.prot &&
	       a->attr.flags == b->attr.flags && a->attr.obj == b->attr.obj &&
	       a->attr.off + (a->end - a->start) == b->attr.off;
}

/*
 * Add (sign 1) or take back (-1) what pieces [lo, hi) contribute to the
 * totals: their bytes, and a VMA for each that does not continue the one
 * before it. Every change takes back the pieces it touches and the one
 * after them (whose predecessor may change), changes them, and adds them
 * again; so the totals stay exact at constant cost per piece touched.
 */
static void
tally(pagemap_t *pm, size_t lo, size_t hi, int sign)
{
	if (hi > pm->n)
		hi = pm->n;
	for (size_t i = lo; i < hi; i++) {
		const pm_piece_t *p = &pm->piece[i];
		uint64_t len = p->end - p->start;
		size_t vma = i == 0 || !pm_continues(&pm->piece[i - 1], p);

		if (sign > 0) {
			pm->totals.mapped += len;
			pm->totals.committed += p->attr.prot ? len : 0;
			pm->totals.mappings += vma;
		} else {
			pm->totals.mapped -= len;
			pm->totals.committed -= p->attr.prot ? len : 0;
			pm->totals.mappings -= vma;
		}
	}
}

/* Insert a piece without counting it: for splits, which change no totals. */
static void
insert_at(pagemap_t *pm, size_t i, const pm_piece_t *p)
{
	XGROW(pm->piece, pm->cap, pm->n + 1);
	memmove(&pm->piece[i + 1], &pm->piece[i], (pm->n - i) * sizeof(*pm->piece));
	pm->piece[i] = *p;
	pm->n++;
}

/* Insert a new piece, counted. */
static void
insert_counted(pagemap_t *pm, size_t i, const pm_piece_t *p)
{
	tally(pm, i, i + 1, -1);        /* the piece after it gets a new predecessor */
	insert_at(pm, i, p);
	tally(pm, i, i + 2, 1);
}

/*
 * Make addr a piece boundary: split the piece that straddles it. The two
 * halves continue each other, so the totals stay as they are.
 */
static void
split_at(pagemap_t *pm, uint64_t addr)
{
	size_t i = pm_first_after(pm, addr);
	pm_piece_t tail;

	if (i == pm->n || pm->piece[i].start >= addr)
		return;
	tail = pm->piece[i];
	tail.start = addr;
	tail.attr.off += addr - pm->piece[i].start;
	pm->piece[i].end = addr;
	insert_at(pm, i + 1, &tail);
}

void
pm_unmap(pagemap_t *pm, uint64_t start, uint64_t end)
{
	size_t first, last;

	if (start >= end)
		return;
	split_at(pm, start);
	split_at(pm, end);
	first = pm_first_after(pm, start);
	for (last = first; last < pm->n && pm->piece[last].start < end; last++)
		;
	if (last == first)
		return;     /* nothing there (and no array at all, maybe) */
	tally(pm, first, last + 1, -1);
	memmove(&pm->piece[first], &pm->piece[last], (pm->n - last) * sizeof(*pm->piece));
	pm->n -= last - first;
	tally(pm, first, first + 1, 1);
}

void
pm_map(pagemap_t *pm, uint64_t start, uint64_t end, const pm_attr_t *attr)
{
	pm_piece_t p = { start, end, *attr };

	if (start >= end)
		return;
	pm_unmap(pm, start, end);
	insert_counted(pm, pm_first_after(pm, start), &p);
}

/*
 * The pieces of [start, end), cut at its edges, as [*first, *last), their
 * contribution to the totals taken back: the caller changes them and
 * calls tally(pm, first, last + 1, 1). 0 if the range is empty.
 */
static int
begin_change(pagemap_t *pm, uint64_t start, uint64_t end, size_t *first, size_t *last)
{
	if (start >= end)
		return 0;
	split_at(pm, start);
	split_at(pm, end);
	*first = pm_first_after(pm, start);
	for (*last = *first; *last < pm->n && pm->piece[*last].start < end; (*last)++)
		;
	tally(pm, *first, *last + 1, -1);
	return 1;
}

void
pm_protect(pagemap_t *pm, uint64_t start, uint64_t end, unsigned prot)
{
	size_t first, last;

	if (!begin_change(pm, start, end, &first, &last))
		return;
	for (size_t i = first; i < last; i++) {
		pm_attr_t *a = &pm->piece[i].attr;

		/* Linux's mprotect_fixup charges private memory that becomes writable */
		if ((prot & RME_TRACE_RIGHT_W) && !(a->prot & RME_TRACE_RIGHT_W) &&
		    (a->flags & RME_TRACE_MAP_PRIVATE) &&
		    !(a->flags & (PM_ACCOUNT | RME_TRACE_MAP_NORESERVE)))
			a->flags |= PM_ACCOUNT;
		a->prot = prot;
	}
	tally(pm, first, last + 1, 1);
}

void
pm_lock(pagemap_t *pm, uint64_t start, uint64_t end, unsigned lock)
{
	size_t first, last;

	if (!begin_change(pm, start, end, &first, &last))
		return;
	for (size_t i = first; i < last; i++)
		pm->piece[i].attr.flags = (pm->piece[i].attr.flags & ~PM_LOCK_MASK) | lock;
	tally(pm, first, last + 1, 1);
}

void
pm_retag(pagemap_t *pm, uint64_t start, uint64_t end, int tag)
{
	if (start >= end)
		return;
	split_at(pm, start);
	split_at(pm, end);
	for (size_t i = pm_first_after(pm, start); i < pm->n && pm->piece[i].start < end; i++)
		pm->piece[i].attr.tag = tag;
}

void
pm_remap(pagemap_t *pm, uint64_t old_start, uint64_t old_end,
         uint64_t new_start, uint64_t new_end)
{
	uint64_t keep = old_end - old_start, new_len = new_end - new_start;
	pm_piece_t *moved = NULL, last = { 0, 0, { 0, 0, 0, 0, 0 } };
	size_t nmoved = 0, cap = 0;
	int have_last = 0;

	if (new_len < keep)
		keep = new_len;
	/* what survives, shifted to the new place, and the piece a growth extends */
	for (size_t i = pm_first_after(pm, old_start); i < pm->n && pm->piece[i].start < old_end; i++) {
		pm_piece_t p = pm->piece[i];

		last = p;
		have_last = 1;
		if (p.start < old_start) {
			p.attr.off += old_start - p.start;
			p.start = old_start;
		}
		if (p.end > old_start + keep)
			p.end = old_start + keep;
		if (p.start >= p.end)
			continue;
		p.start = p.start - old_start + new_start;
		p.end = p.end - old_start + new_start;
		XGROW(moved, cap, nmoved + 1);
		moved[nmoved++] = p;
	}
	pm_unmap(pm, old_start, old_end);
	pm_unmap(pm, new_start, new_end);
	for (size_t i = 0; i < nmoved; i++)
		insert_counted(pm, pm_first_after(pm, moved[i].start), &moved[i]);
	if (have_last && new_len > old_end - old_start) {
		pm_attr_t grown = last.attr;
		uint64_t from = new_start + (old_end - old_start);

		grown.off += old_end - last.start;
		pm_map(pm, from, new_end, &grown);
	}
	free(moved);
}

void
pm_totals(const pagemap_t *pm, pm_totals_t *out)
{
	*out = pm->totals;
}
