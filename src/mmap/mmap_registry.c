/*
 * mmap_registry.c: the mmap layer's registry: an AVL tree of mapping
 * pieces keyed by address, augmented with the free gaps between them, and
 * the list of RAM chunks behind them.
 *
 * Every node knows the gap that precedes it; every subtree knows its
 * largest gap. Inserting or removing a node changes the gap of its
 * successor, so both re-augment the successor's path to the root as well
 * as the rebalanced path: O(log n) each.
 */
#include "mmap_registry.h"

static int
height(const mm_piece_t *s)
{
	return s ? s->height : 0;
}

static uint64_t
max_gap(const mm_piece_t *s)
{
	return s ? s->max_gap : 0;
}

/* Recompute a node's height and largest gap from its children. */
static void
update(mm_piece_t *s)
{
	int hl = height(s->child[0]), hr = height(s->child[1]);
	uint64_t m = s->gap;

	s->height = (uint8_t)(1 + (hl > hr ? hl : hr));
	if (max_gap(s->child[0]) > m)
		m = max_gap(s->child[0]);
	if (max_gap(s->child[1]) > m)
		m = max_gap(s->child[1]);
	s->max_gap = m;
}

/*
 * After s's gap changed: recompute s and its ancestors, up to the first
 * whose height and largest gap stay as they were (the ones above it cannot
 * change then).
 */
static void
augment_to_root(mm_piece_t *s)
{
	for (; s; s = s->parent) {
		uint8_t h = s->height;
		uint64_t m = s->max_gap;

		update(s);
		if (s->height == h && s->max_gap == m)
			break;
	}
}

static void
replace_child(mm_registry_t *r, mm_piece_t *parent, mm_piece_t *old, mm_piece_t *new_child)
{
	if (!parent)
		r->root = new_child;
	else
		parent->child[parent->child[1] == old] = new_child;
	if (new_child)
		new_child->parent = parent;
}

/* Rotate x down towards side dir (0: left rotation); returns the new subtree root. */
static mm_piece_t *
rotate(mm_registry_t *r, mm_piece_t *x, int dir)
{
	mm_piece_t *y = x->child[!dir];

	x->child[!dir] = y->child[dir];
	if (y->child[dir])
		y->child[dir]->parent = x;
	replace_child(r, x->parent, x, y);
	y->child[dir] = x;
	x->parent = y;
	update(x);
	update(y);
	return y;
}

/*
 * Restore the AVL balance and the augmentation from s upward. It stops at
 * the first subtree whose height and largest gap come out as they were
 * (rotated or not): nothing above it changes then. s itself always counts
 * as changed (it may be new, or have lost a child).
 */
static void
rebalance_to_root(mm_registry_t *r, mm_piece_t *s)
{
	bool first = true;

	while (s) {
		uint8_t old_h = s->height;
		uint64_t old_m = s->max_gap;
		int balance;

		update(s);
		balance = height(s->child[1]) - height(s->child[0]);
		if (balance > 1) {
			mm_piece_t *c = s->child[1];
			if (height(c->child[0]) > height(c->child[1]))
				rotate(r, c, 1);
			s = rotate(r, s, 0);
		} else if (balance < -1) {
			mm_piece_t *c = s->child[0];
			if (height(c->child[1]) > height(c->child[0]))
				rotate(r, c, 0);
			s = rotate(r, s, 1);
		}
		if (!first && s->height == old_h && s->max_gap == old_m)
			break;
		first = false;
		s = s->parent;
	}
}

void
mm_reg_init(mm_registry_t *r, uint64_t base, uint64_t end)
{
	r->root = NULL;
	r->hint = NULL;
	r->base = base;
	r->end = end;
	r->npieces = 0;
	r->chunks = NULL;
	r->nchunks = 0;
	r->chunk_bytes = 0;
}

mm_piece_t *
mm_reg_first(const mm_registry_t *r)
{
	mm_piece_t *s = r->root;

	while (s && s->child[0])
		s = s->child[0];
	return s;
}

static mm_piece_t *
last(const mm_registry_t *r)
{
	mm_piece_t *s = r->root;

	while (s && s->child[1])
		s = s->child[1];
	return s;
}

/* The in-order neighbour on side dir (1: next, 0: previous). */
static mm_piece_t *
neighbour(const mm_piece_t *s, int dir)
{
	if (s->child[dir]) {
		mm_piece_t *n = s->child[dir];
		while (n->child[!dir])
			n = n->child[!dir];
		return n;
	}
	while (s->parent && s->parent->child[dir] == s)
		s = s->parent;
	return s->parent;
}

mm_piece_t *
mm_reg_next(const mm_piece_t *s)
{
	return neighbour(s, 1);
}

mm_piece_t *
mm_reg_prev(const mm_piece_t *s)
{
	return neighbour(s, 0);
}

/*
 * Link s in just before succ (NULL: as the last piece), where it belongs:
 * between succ's predecessor, which ends at prev_end, and succ. No search
 * from the root: the place is next to succ.
 */
static void
insert_before(mm_registry_t *r, mm_piece_t *s, mm_piece_t *succ, uint64_t prev_end)
{
	mm_piece_t *p;
	int dir = 1;

	s->child[0] = s->child[1] = NULL;
	s->height = 1;
	if (!succ) {
		p = last(r);
	} else if (succ->child[0]) {
		for (p = succ->child[0]; p->child[1];)
			p = p->child[1];
	} else {
		p = succ;
		dir = 0;
	}
	s->parent = p;
	if (p)
		p->child[dir] = s;
	else
		r->root = s;
	r->npieces++;

	s->gap = s->start - prev_end;
	if (succ)
		succ->gap = succ->start - s->end;
	rebalance_to_root(r, s);
	if (succ)
		augment_to_root(succ);
}

/* s takes old's node: its links, height and subtree maximum; the gaps are the caller's. */
static void
take_place(mm_registry_t *r, mm_piece_t *old, mm_piece_t *s)
{
	s->child[0] = old->child[0];
	s->child[1] = old->child[1];
	s->height = old->height;
	s->max_gap = old->max_gap;
	replace_child(r, old->parent, old, s);
	if (s->child[0])
		s->child[0]->parent = s;
	if (s->child[1])
		s->child[1]->parent = s;
	if (r->hint == old)
		r->hint = s;
	old->parent = old->child[0] = old->child[1] = NULL;
}

/* Take s out of the tree (only mm_reg_replace_run does, for the olds it has no news for). */
static void
reg_remove(mm_registry_t *r, mm_piece_t *s)
{
	mm_piece_t *succ = mm_reg_next(s), *fix;

	if (s->child[0] && s->child[1]) {
		/* Put the successor, which has no left child, in s's place. */
		mm_piece_t *n = succ, *np = succ->parent;

		if (np != s) {
			np->child[0] = n->child[1];
			if (n->child[1])
				n->child[1]->parent = np;
			n->child[1] = s->child[1];
			s->child[1]->parent = n;
			fix = np;
		} else {
			fix = n;
		}
		n->child[0] = s->child[0];
		s->child[0]->parent = n;
		replace_child(r, s->parent, s, n);
	} else {
		mm_piece_t *c = s->child[0] ? s->child[0] : s->child[1];
		replace_child(r, s->parent, s, c);
		fix = s->parent;
	}
	r->npieces--;
	if (r->hint == s)
		r->hint = NULL;

	/* The successor's gap now reaches back over s and the gap before it. */
	if (succ)
		succ->gap += s->gap + (s->end - s->start);
	rebalance_to_root(r, fix);
	if (succ)
		augment_to_root(succ);
	s->parent = s->child[0] = s->child[1] = NULL;
}

void
mm_reg_replace_run(mm_registry_t *r, mm_piece_t *olds, mm_piece_t *news, mm_piece_t *succ)
{
	mm_piece_t *o = olds, *n = news, *last_new = NULL;
	uint64_t prev_end = 0;

	/* The olds beyond the news' count leave first, while the tree is as it was. */
	while (o && n) {
		o = o->link;
		n = n->link;
	}
	for (; o; o = o->link)
		reg_remove(r, o);
	if (olds && news)
		prev_end = olds->start - olds->gap;
	/* Node for node: the tree keeps its shape, only the gaps change. */
	for (o = olds, n = news; o && n; o = o->link, n = n->link) {
		take_place(r, o, n);
		n->gap = n->start - prev_end;
		prev_end = n->end;
		augment_to_root(n);
		last_new = n;
	}
	if (!n) {
		if (last_new && succ && succ->gap != succ->start - last_new->end) {
			succ->gap = succ->start - last_new->end;
			augment_to_root(succ);
		}
		return;
	}
	/* The news beyond the olds' count go in next to succ, each before it. */
	if (!last_new) {
		mm_piece_t *top = succ ? NULL : last(r);

		prev_end = succ ? succ->start - succ->gap : top ? top->end : r->base;
	}
	for (; n; n = n->link) {
		insert_before(r, n, succ, prev_end);
		prev_end = n->end;
	}
}

/*
 * The answer from the hint h, if it or a neighbour gives it: the first
 * piece that ends after addr. *found is false when the tree must be asked.
 */
static mm_piece_t *
lower_bound_near(mm_piece_t *h, uint64_t addr, bool *found)
{
	mm_piece_t *n;

	*found = true;
	if (addr >= h->end) {
		/* h ends at or before addr: the answer is h's successor if that ends after addr */
		n = neighbour(h, 1);
		if (!n || n->end > addr)
			return n;
	} else {
		/* h ends after addr: the answer is h unless its predecessor does too */
		n = neighbour(h, 0);
		if (!n || n->end <= addr)
			return h;
	}
	*found = false;
	return NULL;
}

mm_piece_t *
mm_reg_lower_bound(const mm_registry_t *r, uint64_t addr)
{
	mm_piece_t *s = r->root, *best = NULL;
	bool found;

	if (r->hint) {
		if (r->hint->start <= addr && addr < r->hint->end)
			return r->hint;
		best = lower_bound_near(r->hint, addr, &found);
		if (found)
			return best;
	}
	while (s) {
		if (s->end > addr) {
			best = s;
			s = s->child[0];
		} else {
			s = s->child[1];
		}
	}
	/* the hint is a cache, not the registry's state: const callers may set it */
	if (best)
		((mm_registry_t *)(uintptr_t)r)->hint = best;
	return best;
}

mm_piece_t *
mm_reg_find(const mm_registry_t *r, uint64_t addr)
{
	mm_piece_t *s = mm_reg_lower_bound(r, addr);

	return s && s->start <= addr ? s : NULL;
}

bool
mm_reg_range_free(const mm_registry_t *r, uint64_t start, uint64_t end)
{
	mm_piece_t *s = mm_reg_lower_bound(r, start);

	return !s || s->start >= end;
}

bool
mm_reg_find_gap_topdown(const mm_registry_t *r, uint64_t len, uint64_t *out)
{
	const mm_piece_t *top = last(r), *s = r->root;
	uint64_t top_gap = r->end - (top ? top->end : r->base);

	if (len == 0)
		return false;
	if (top_gap >= len) {
		*out = r->end - len;
		return true;
	}
	/* The rightmost node whose preceding gap fits: right subtree first, then itself. */
	while (s) {
		if (max_gap(s->child[1]) >= len)
			s = s->child[1];
		else if (s->gap >= len) {
			*out = s->start - len;
			return true;
		} else if (max_gap(s->child[0]) >= len)
			s = s->child[0];
		else
			return false;
	}
	return false;
}

void
mm_reg_chunk_link(mm_registry_t *r, mm_chunk_t *c)
{
	c->prev = NULL;
	c->next = r->chunks;
	if (r->chunks)
		r->chunks->prev = c;
	r->chunks = c;
	r->nchunks++;
	r->chunk_bytes += mm_chunk_size(c);
}

void
mm_reg_chunk_unlink(mm_registry_t *r, mm_chunk_t *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		r->chunks = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	r->nchunks--;
	r->chunk_bytes -= mm_chunk_size(c);
}

/* ---- Checking ---------------------------------------------------------------- */

void
mm_describe(mm_text_t *t, const char *what, const mm_piece_t *s)
{
	mm_text_str(t, what);
	if (s) {
		mm_text_str(t, " (piece [");
		mm_text_hex(t, s->start);
		mm_text_str(t, ", ");
		mm_text_hex(t, s->end);
		mm_text_str(t, "))");
	}
}

static bool
fail_at(mm_text_t *t, const char *what, const mm_piece_t *s)
{
	mm_describe(t, what, s);
	return false;
}

/* Check one subtree's links, heights and augmentation (recursion depth is the tree height). */
static bool
check_subtree(const mm_piece_t *s, const mm_piece_t *parent, mm_text_t *t)
{
	int hl, hr;
	uint64_t m;

	if (!s)
		return true;
	if (s->parent != parent)
		return fail_at(t, "a parent link is wrong", s);
	if (!check_subtree(s->child[0], s, t) || !check_subtree(s->child[1], s, t))
		return false;
	hl = height(s->child[0]);
	hr = height(s->child[1]);
	if (s->height != 1 + (hl > hr ? hl : hr))
		return fail_at(t, "a height is wrong", s);
	if (hl - hr > 1 || hr - hl > 1)
		return fail_at(t, "the tree is out of balance", s);
	m = s->gap;
	if (max_gap(s->child[0]) > m)
		m = max_gap(s->child[0]);
	if (max_gap(s->child[1]) > m)
		m = max_gap(s->child[1]);
	if (s->max_gap != m)
		return fail_at(t, "a subtree's largest gap is wrong", s);
	return true;
}

bool
mm_reg_check(const mm_registry_t *r, mm_text_t *t)
{
	const mm_piece_t *prev = NULL;
	uint64_t n = 0;

	if (!check_subtree(r->root, NULL, t))
		return false;
	for (const mm_piece_t *s = mm_reg_first(r); s; s = mm_reg_next(s)) {
		uint64_t prev_end = prev ? prev->end : r->base;

		if (s->start >= s->end || !mm_page_aligned(s->start) || !mm_page_aligned(s->end))
			return fail_at(t, "a piece is empty or not page-aligned", s);
		if (s->start < r->base || s->end > r->end)
			return fail_at(t, "a piece lies outside the area", s);
		if (s->start < prev_end)
			return fail_at(t, "pieces overlap or are out of order", s);
		if (s->gap != s->start - prev_end)
			return fail_at(t, "a gap is wrong", s);
		prev = s;
		n++;
	}
	if (n != r->npieces)
		return fail_at(t, "the piece count is wrong", NULL);
	return true;
}
