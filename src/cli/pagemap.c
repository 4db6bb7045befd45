/*
 * pagemap.c: page ranges and their mapping attributes (pagemap.h), in a
 * treap: a binary search tree by start whose nodes also have a priority
 * (pseudo-random, from a fixed seed, so that runs are alike) and are kept
 * in heap order by it, which keeps the tree's depth O(log n) expected.
 * Every node holds what its subtree needs to be searched without being
 * walked: the lowest start, the highest end, the largest gap between two
 * of its pieces, and a bit for each tag (0 to 31) one of its pieces has.
 */
#include <string.h>

#include <rmemu/trace.h>

#include "pagemap.h"
#include "xalloc.h"

typedef struct pm_node {
	pm_piece_t piece;               /* first: a piece's address is its node's */
	struct pm_node *left, *right, *parent;
	uint64_t prio;
	uint64_t min_start, max_end, max_gap;
	uint32_t tags;
} pm_node_t;

uint64_t pm_search_steps;

static pm_node_t *
node_of(const pm_piece_t *p)
{
	return (pm_node_t *)(uintptr_t)p;
}

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
	pm->rng = 0x9e3779b97f4a7c15ULL;
}

static void
free_tree(pm_node_t *n)
{
	while (n) {
		pm_node_t *right = n->right;

		free_tree(n->left);     /* depth O(log n): the recursion stays short */
		free(n);
		n = right;
	}
}

void
pm_fini(pagemap_t *pm)
{
	free_tree(pm->root);
	pm_init(pm);
}

/* ---- The tree ------------------------------------------------------------------ */

static uint32_t
tag_bit(int tag)
{
	return tag >= 0 && tag < 32 ? (uint32_t)1 << tag : 0;
}

/* A node's summary from its piece and its children's. */
static void
pull(pm_node_t *n)
{
	uint64_t gap = 0;

	n->min_start = n->left ? n->left->min_start : n->piece.start;
	n->max_end = n->right ? n->right->max_end : n->piece.end;
	n->tags = tag_bit(n->piece.attr.tag);
	if (n->left) {
		gap = n->left->max_gap;
		if (n->piece.start - n->left->max_end > gap)
			gap = n->piece.start - n->left->max_end;
		n->tags |= n->left->tags;
	}
	if (n->right) {
		if (n->right->max_gap > gap)
			gap = n->right->max_gap;
		if (n->right->min_start - n->piece.end > gap)
			gap = n->right->min_start - n->piece.end;
		n->tags |= n->right->tags;
	}
	n->max_gap = gap;
}

/* After n's piece or children changed: every summary from n up to the root. */
static void
pull_up(pm_node_t *n)
{
	for (; n; n = n->parent)
		pull(n);
}

/* Rotate x above its parent. */
static void
rotate_up(pagemap_t *pm, pm_node_t *x)
{
	pm_node_t *p = x->parent, *g = p->parent;

	if (p->left == x) {
		p->left = x->right;
		if (x->right)
			x->right->parent = p;
		x->right = p;
	} else {
		p->right = x->left;
		if (x->left)
			x->left->parent = p;
		x->left = p;
	}
	p->parent = x;
	x->parent = g;
	if (!g)
		pm->root = x;
	else if (g->left == p)
		g->left = x;
	else
		g->right = x;
	pull(p);
	pull(x);
}

static uint64_t
next_prio(pagemap_t *pm)
{
	/* xorshift64*: deterministic, so that two runs build the same tree */
	pm->rng ^= pm->rng >> 12;
	pm->rng ^= pm->rng << 25;
	pm->rng ^= pm->rng >> 27;
	return pm->rng * 0x2545f4914f6cdd1dULL;
}

/* Insert a piece that overlaps none; returns its node. */
static pm_node_t *
tree_insert(pagemap_t *pm, const pm_piece_t *p)
{
	pm_node_t *n = xcalloc(1, sizeof(*n)), *parent = NULL, **link = &pm->root;

	n->piece = *p;
	n->prio = next_prio(pm);
	while (*link) {
		parent = *link;
		link = p->start < parent->piece.start ? &parent->left : &parent->right;
	}
	*link = n;
	n->parent = parent;
	pull_up(n);
	while (n->parent && n->parent->prio < n->prio)
		rotate_up(pm, n);
	pm->n++;
	return n;
}

static void
tree_remove(pagemap_t *pm, pm_node_t *n)
{
	pm_node_t *child, *parent;

	while (n->left && n->right)
		rotate_up(pm, n->left->prio > n->right->prio ? n->left : n->right);
	child = n->left ? n->left : n->right;
	parent = n->parent;
	if (child)
		child->parent = parent;
	if (!parent)
		pm->root = child;
	else if (parent->left == n)
		parent->left = child;
	else
		parent->right = child;
	pull_up(parent);
	free(n);
	pm->n--;
}

/* ---- Looking ------------------------------------------------------------------- */

const pm_piece_t *
pm_first_after(const pagemap_t *pm, uint64_t addr)
{
	const pm_node_t *n = pm->root, *best = NULL;

	while (n) {
		pm_search_steps++;
		if (n->piece.end > addr) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best ? &best->piece : NULL;
}

const pm_piece_t *
pm_next(const pm_piece_t *p)
{
	const pm_node_t *n = node_of(p);

	if (n->right) {
		for (n = n->right; n->left; n = n->left)
			;
		return &n->piece;
	}
	while (n->parent && n->parent->right == n)
		n = n->parent;
	return n->parent ? &n->parent->piece : NULL;
}

const pm_piece_t *
pm_prev(const pm_piece_t *p)
{
	const pm_node_t *n = node_of(p);

	if (n->left) {
		for (n = n->left; n->right; n = n->right)
			;
		return &n->piece;
	}
	while (n->parent && n->parent->left == n)
		n = n->parent;
	return n->parent ? &n->parent->piece : NULL;
}

const pm_piece_t *
pm_at(const pagemap_t *pm, size_t i)
{
	const pm_piece_t *p = pm_first_after(pm, 0);

	while (p && i--)
		p = pm_next(p);
	return p;
}

const pm_piece_t *
pm_find(const pagemap_t *pm, uint64_t addr)
{
	const pm_piece_t *p = pm_first_after(pm, addr);

	return p && p->start <= addr ? p : NULL;
}

int
pm_is_free(const pagemap_t *pm, uint64_t start, uint64_t end)
{
	const pm_piece_t *p = pm_first_after(pm, start);

	return !p || p->start >= end;
}

void
pm_copy(pagemap_t *dst, const pagemap_t *src)
{
	pm_init(dst);
	for (const pm_piece_t *p = pm_first_after(src, 0); p; p = pm_next(p))
		tree_insert(dst, p);
	dst->totals = src->totals;
}

/* The last piece that starts below addr, or NULL. */
static const pm_node_t *
last_below(const pagemap_t *pm, uint64_t addr)
{
	const pm_node_t *n = pm->root, *best = NULL;

	while (n) {
		pm_search_steps++;
		if (n->piece.start < addr) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

typedef struct gap_query {
	uint64_t lo, hi, len;
} gap_query_t;

/* The free space below a piece at start whose predecessor ends at pred_end, within [lo, ...). */
static uint64_t
gap_under(const gap_query_t *q, uint64_t start, uint64_t pred_end)
{
	uint64_t bottom = pred_end > q->lo ? pred_end : q->lo;

	return start > bottom ? start - bottom : 0;
}

/* Whether the subtree (after a piece ending at pred_end) may hold a gap that fits. */
static int
may_fit(const gap_query_t *q, const pm_node_t *n, uint64_t pred_end)
{
	if (!n || n->max_end <= q->lo || n->min_start >= q->hi)
		return 0;
	return n->max_gap >= q->len || gap_under(q, n->min_start, pred_end) >= q->len;
}

/*
 * The highest piece of the subtree that starts below hi with a free range
 * of len under it (above lo), or NULL; pred_end: where the piece before
 * the subtree ends (0 if none).
 */
static const pm_node_t *
highest_fit(const gap_query_t *q, const pm_node_t *n, uint64_t pred_end)
{
	const pm_node_t *found;

	if (!may_fit(q, n, pred_end))
		return NULL;
	pm_search_steps++;
	if ((found = highest_fit(q, n->right, n->piece.end)) != NULL)
		return found;
	if (n->piece.start < q->hi &&
	    gap_under(q, n->piece.start, n->left ? n->left->max_end : pred_end) >= q->len)
		return n;
	return highest_fit(q, n->left, pred_end);
}

int
pm_highest_gap(const pagemap_t *pm, uint64_t lo, uint64_t hi, uint64_t len, uint64_t *out)
{
	gap_query_t q = { lo, hi, len };
	const pm_node_t *top, *under;

	if (len == 0 || hi < lo || hi - lo < len)
		return -1;
	/* the gap under hi, above the last piece that starts below it */
	top = last_below(pm, hi);
	if (gap_under(&q, hi, top ? top->piece.end : 0) >= len) {
		*out = hi - len;
		return 0;
	}
	/* else the highest gap under a piece */
	under = highest_fit(&q, pm->root, 0);
	if (!under)
		return -1;
	*out = under->piece.start - len;
	return 0;
}

/* The highest piece of the subtree wholly in [lo, hi) with a tag in bit, or NULL. */
static const pm_node_t *
last_tagged(const pm_node_t *n, uint64_t lo, uint64_t hi, uint32_t bit)
{
	const pm_node_t *found;

	if (!n || !(n->tags & bit) || n->min_start >= hi || n->max_end <= lo)
		return NULL;
	pm_search_steps++;
	if ((found = last_tagged(n->right, lo, hi, bit)) != NULL)
		return found;
	if ((tag_bit(n->piece.attr.tag) & bit) && n->piece.start >= lo && n->piece.end <= hi)
		return n;
	return last_tagged(n->left, lo, hi, bit);
}

static const pm_node_t *
first_tagged(const pm_node_t *n, uint64_t lo, uint64_t hi, uint32_t bit)
{
	const pm_node_t *found;

	if (!n || !(n->tags & bit) || n->min_start >= hi || n->max_end <= lo)
		return NULL;
	pm_search_steps++;
	if ((found = first_tagged(n->left, lo, hi, bit)) != NULL)
		return found;
	if ((tag_bit(n->piece.attr.tag) & bit) && n->piece.start >= lo && n->piece.end <= hi)
		return n;
	return first_tagged(n->right, lo, hi, bit);
}

const pm_piece_t *
pm_last_tagged(const pagemap_t *pm, uint64_t lo, uint64_t hi, int tag)
{
	const pm_node_t *n = tag_bit(tag) ? last_tagged(pm->root, lo, hi, tag_bit(tag)) : NULL;

	return n ? &n->piece : NULL;
}

const pm_piece_t *
pm_first_tagged(const pagemap_t *pm, uint64_t lo, uint64_t hi, int tag)
{
	const pm_node_t *n = tag_bit(tag) ? first_tagged(pm->root, lo, hi, tag_bit(tag)) : NULL;

	return n ? &n->piece : NULL;
}

int
pm_continues(const pm_piece_t *a, const pm_piece_t *b)
{
	return a->end == b->start && a->attr.prot == b->attr.prot &&
	       a->attr.flags == b->attr.flags && a->attr.obj == b->attr.obj &&
	       a->attr.off + (a->end - a->start) == b->attr.off;
}

/* ---- Changing ------------------------------------------------------------------ */

/*
 * Add (sign 1) or take back (-1) what piece p contributes to the totals:
 * its bytes, and a VMA if it does not continue the piece before it. Every
 * change takes back the pieces it touches and the one after them (whose
 * predecessor may change), changes them, and adds them again; so the
 * totals stay exact at constant cost per piece touched.
 */
static void
tally(pagemap_t *pm, const pm_piece_t *p, int sign)
{
	const pm_piece_t *prev;
	uint64_t len;
	size_t vma;

	if (!p)
		return;
	prev = pm_prev(p);
	len = p->end - p->start;
	vma = !prev || !pm_continues(prev, p);
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

/* Insert a new piece into a free range, counted. */
static void
insert_counted(pagemap_t *pm, const pm_piece_t *p)
{
	const pm_piece_t *after = pm_first_after(pm, p->start);
	pm_node_t *n;

	tally(pm, after, -1);           /* the piece after it gets a new predecessor */
	n = tree_insert(pm, p);
	tally(pm, &n->piece, 1);
	tally(pm, after, 1);
}

/*
 * Make addr a piece boundary: split the piece that straddles it. The two
 * halves continue each other, so the totals stay as they are.
 */
static void
split_at(pagemap_t *pm, uint64_t addr)
{
	const pm_piece_t *p = pm_first_after(pm, addr);
	pm_node_t *n;
	pm_piece_t tail;

	if (!p || p->start >= addr)
		return;
	n = node_of(p);
	tail = n->piece;
	tail.start = addr;
	tail.attr.off += addr - n->piece.start;
	n->piece.end = addr;
	pull_up(n);
	tree_insert(pm, &tail);
}

void
pm_unmap(pagemap_t *pm, uint64_t start, uint64_t end)
{
	const pm_piece_t *p, *after;

	if (start >= end)
		return;
	split_at(pm, start);
	split_at(pm, end);
	p = pm_first_after(pm, start);
	if (!p || p->start >= end)
		return;     /* nothing there */
	for (after = p; after && after->start < end; after = pm_next(after))
		tally(pm, after, -1);
	tally(pm, after, -1);
	while (p && p->start < end) {
		const pm_piece_t *next = pm_next(p);

		tree_remove(pm, node_of(p));
		p = next;
	}
	tally(pm, after, 1);
}

void
pm_map(pagemap_t *pm, uint64_t start, uint64_t end, const pm_attr_t *attr)
{
	pm_piece_t p = { start, end, *attr };

	if (start >= end)
		return;
	pm_unmap(pm, start, end);
	insert_counted(pm, &p);
}

/*
 * The pieces of [start, end), cut at its edges, their contribution to the
 * totals taken back (and that of the piece after them): the caller changes
 * them and calls end_change. NULL if the range holds none.
 */
static const pm_piece_t *
begin_change(pagemap_t *pm, uint64_t start, uint64_t end)
{
	const pm_piece_t *first, *p;

	if (start >= end)
		return NULL;
	split_at(pm, start);
	split_at(pm, end);
	first = pm_first_after(pm, start);
	for (p = first; p && p->start < end; p = pm_next(p))
		tally(pm, p, -1);
	tally(pm, p, -1);
	return first && first->start < end ? first : NULL;
}

static void
end_change(pagemap_t *pm, uint64_t start, uint64_t end)
{
	const pm_piece_t *p;

	for (p = pm_first_after(pm, start); p && p->start < end; p = pm_next(p))
		tally(pm, p, 1);
	tally(pm, p, 1);
}

void
pm_protect(pagemap_t *pm, uint64_t start, uint64_t end, unsigned prot)
{
	const pm_piece_t *p = begin_change(pm, start, end);

	if (start >= end)
		return;
	for (; p && p->start < end; p = pm_next(p)) {
		pm_attr_t *a = &node_of(p)->piece.attr;

		/* Linux's mprotect_fixup charges private memory that becomes writable */
		if ((prot & RME_TRACE_RIGHT_W) && !(a->prot & RME_TRACE_RIGHT_W) &&
		    (a->flags & RME_TRACE_MAP_PRIVATE) &&
		    !(a->flags & (PM_ACCOUNT | RME_TRACE_MAP_NORESERVE)))
			a->flags |= PM_ACCOUNT;
		a->prot = prot;
	}
	end_change(pm, start, end);
}

void
pm_lock(pagemap_t *pm, uint64_t start, uint64_t end, unsigned lock)
{
	const pm_piece_t *p = begin_change(pm, start, end);

	if (start >= end)
		return;
	for (; p && p->start < end; p = pm_next(p)) {
		pm_attr_t *a = &node_of(p)->piece.attr;

		a->flags = (a->flags & ~PM_LOCK_MASK) | lock;
	}
	end_change(pm, start, end);
}

void
pm_retag(pagemap_t *pm, uint64_t start, uint64_t end, int tag)
{
	if (start >= end)
		return;
	split_at(pm, start);
	split_at(pm, end);
	for (const pm_piece_t *p = pm_first_after(pm, start); p && p->start < end; p = pm_next(p)) {
		pm_node_t *n = node_of(p);

		if (n->piece.attr.tag != tag) {
			n->piece.attr.tag = tag;
			pull_up(n);
		}
	}
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
	for (const pm_piece_t *q = pm_first_after(pm, old_start); q && q->start < old_end; q = pm_next(q)) {
		pm_piece_t p = *q;

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
		insert_counted(pm, &moved[i]);
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
