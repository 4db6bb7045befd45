/*
 * placement.c: Genode's region-map address allocator, reproduced so that
 * rmemu places every region where core would.
 *
 * Two parts: an AVL tree whose rebalancing follows the order of core's
 * avl_tree.cc, and the allocator on top of it (find_best_fit, cutting a
 * block, coalescing on free) following allocator_avl.cc. Several details
 * look like they could be "improved" and must not be, because each changes
 * which address is chosen:
 *
 *  - Depth changes propagate to the parent *before* a node recomputes its
 *    own max_avail, so an ancestor can hold a stale max_avail until a later
 *    insert passes through it. find_best_fit trusts those fields.
 *  - Removal swaps in the right-most node of the left subtree and rebalances
 *    only from that node's old parent upward.
 *  - find_best_fit prefers the current node over a candidate from below
 *    unless the candidate is an exact fit, whatever their sizes.
 *
 * Arithmetic is done in the target's word width (word_mask), because core's
 * overflow checks are done in addr_t.
 *
 * Two things here are not core's and change no result, only the time it
 * takes: find_best_fit skips subtrees in which no block fits (the fit
 * fields, see "Pruning"), and freeing a block takes its neighbours from the
 * tree instead of three more searches from the root (plc_free_block).
 * tests/check_placement.c compares both with Genode's own code, and the
 * fit fields with the truth in plc_check().
 */
#include <string.h>

#include "costs.h"
#include "placement.h"
#include "placement_hosted.h"

#if __STDC_HOSTED__
#include <stdio.h>
#else
/*
 * Built freestanding (src/portable.mk: the libc policies of the mmap layer
 * place with this allocator, also inside Genode): no stdio. plc_check still
 * checks everything; its messages only say that something failed.
 */
static int
check_message(char *msg, size_t msglen)
{
	static const char text[] = "the placement tree is inconsistent";
	size_t i = 0;

	for (; msglen && i + 1 < msglen && text[i]; i++)
		msg[i] = text[i];
	if (msglen)
		msg[i] = '\0';
	return 0;
}
#define snprintf(msg, msglen, ...) check_message(msg, msglen)
#endif

enum { LEFT = 0, RIGHT = 1 };

static uint64_t
max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t
avail(const plc_block_t *b)
{
	return b->used ? 0 : b->size;
}

static uint64_t
child_max_avail(const plc_block_t *b, int side)
{
	return b->child[side] ? b->child[side]->max_avail : 0;
}

static int
child_depth(const plc_block_t *b, int side)
{
	return b->child[side] ? b->child[side]->depth : 0;
}

/* The side with the deeper subtree; ties count as LEFT. */
static int
bias(const plc_block_t *b)
{
	return child_depth(b, RIGHT) > child_depth(b, LEFT);
}

/* ---- The metadata slab ------------------------------------------------------ */

/*
 * Host memory for nodes. A used block needs a big node (with the region);
 * a free block takes a small one if there is one, else a big one. Nodes
 * are not core's business: the slab figures below count entries, whatever
 * their host size.
 */
static size_t
node_size(bool big, bool roomy)
{
	return big ? sizeof(plc_block_t) :
	       offsetof(plc_block_t, region) + (roomy ? sizeof(uint64_t) : 0);
}

_Static_assert(offsetof(plc_block_t, fit) == 2 + offsetof(plc_block_t, head_word),
               "depth and the flags take the head word's two low bytes");

/*
 * Take one entry of core's metadata slab. The slab grows when few entries
 * are left, which costs quota; the host node comes from the spares, which
 * plc_reserve() filled beforehand.
 */
static rme_err_t
md_alloc(plc_t *p, plc_block_t **out, bool for_used)
{
	plc_block_t *b;
	bool big, roomy;
	struct plc_hosted_block *sb = NULL;

	if (p->hosted) {
		/* may grow the slab: an allocation in this very tree (placement_hosted.c) */
		rme_err_t err = plc_hosted_entry_alloc(p, &sb);
		if (err != RME_OK)
			return err;
	} else if (p->slab_blocks == 0) {
		/* The first slab block is embedded in the region map: free of charge. */
		p->slab_blocks = 1;
		p->slab_entries_avail = COST_MD_BLOCKS_PER_SLAB;
	}
	if (!p->hosted && p->slab_entries_avail <= COST_MD_SLAB_GROW_AT) {
		rme_err_t err = p->hooks.grow ? p->hooks.grow(p->hooks.ctx) : RME_OK;
		if (err != RME_OK)
			return err;
		p->slab_blocks++;
		p->slab_entries_avail += COST_MD_BLOCKS_PER_SLAB;
	}
	if (!p->hosted)
		p->slab_entries_avail--;

	big = for_used || !p->spare_small;
	if (big) {
		b = p->spare;
		p->spare = b->parent;
		p->spare_count--;
	} else {
		b = p->spare_small;
		p->spare_small = b->parent;
		p->spare_small_count--;
	}
	roomy = b->roomy;
	/*
	 * Cleared field by field: a memset of the node's size took rep stos,
	 * slow to start for 56 to 88 bytes, in every allocation.
	 */
	b->child[LEFT] = b->child[RIGHT] = b->parent = NULL;
	b->addr = b->size = b->max_avail = 0;
	b->head_word = 0;
	if (big)
		b->region = (struct plc_region){ 0 };
	else if (roomy)
		b->own_fit = 0;
	b->big = big;
	b->roomy = roomy;
	if (p->hosted)
		b->hosted.slab_block = sb;
	*out = b;
	return RME_OK;
}

/* Put a node back among the spares of its size. */
static void
spare_push(plc_t *p, plc_block_t *b)
{
	if (b->big) {
		b->parent = p->spare;
		p->spare = b;
		p->spare_count++;
	} else {
		b->parent = p->spare_small;
		p->spare_small = b;
		p->spare_small_count++;
	}
}

/*
 * Return an entry to the slab. Core releases a slab block once more than two
 * blocks' worth of entries are free and the block is empty; we do not track
 * which entry lives in which block, so we release as soon as the count
 * allows (an estimate, like the slab figures themselves).
 */
static void
md_free(plc_t *p, plc_block_t *b)
{
	if (p->hosted) {
		struct plc_hosted_block *sb = b->hosted.slab_block;

		spare_push(p, b);
		/* may release a slab block: a free in this very tree (placement_hosted.c) */
		plc_hosted_entry_free(p, sb);
		return;
	}
	spare_push(p, b);

	p->slab_entries_avail++;
	if (p->slab_entries_avail > 2 * (uint64_t)COST_MD_BLOCKS_PER_SLAB &&
	    p->slab_blocks > 1) {
		p->slab_blocks--;
		p->slab_entries_avail -= COST_MD_BLOCKS_PER_SLAB;
		if (p->hooks.shrink)
			p->hooks.shrink(p->hooks.ctx);
	}
}

/*
 * n nodes, one of them big: an allocation takes two free blocks (small,
 * or big when the small ones run out) and then the used one, after the cut
 * gave one back, so one big node among three always suffices.
 */
static rme_err_t
spare_add(plc_t *p, bool big)
{
	/* small nodes get room for own_fit where it is kept */
	bool roomy = !big && p->fit_valid;
	plc_block_t *b = p->alloc->alloc(p->alloc->ctx, node_size(big, roomy));

	if (!b)
		return RME_ERR_HOST_NO_MEMORY;
	b->big = big;
	b->roomy = roomy;
	spare_push(p, b);
	return RME_OK;
}

rme_err_t
plc_reserve(plc_t *p, unsigned n)
{
	rme_err_t err = RME_OK;

	if (p->hosted) {
		/* every node big: it keeps the slab block of its entry (plc_block_t.hosted) */
		while (err == RME_OK && p->spare_count < n)
			err = spare_add(p, true);
		return err == RME_OK ? plc_hosted_reserve(p) : err;
	}

	while (err == RME_OK && p->spare_count < 1)
		err = spare_add(p, true);
	while (err == RME_OK && p->spare_count + p->spare_small_count < n)
		err = spare_add(p, false);
	return err;
}

static void
spare_free(plc_t *p, plc_block_t **list, unsigned *count, unsigned keep)
{
	while (*count > keep) {
		plc_block_t *b = *list;
		*list = b->parent;
		(*count)--;
		p->alloc->free(p->alloc->ctx, b, node_size(b->big, b->roomy));
	}
}

/*
 * Spares kept beyond an operation's need: an attach takes about two nodes
 * and a detach gives about two back, so keeping only what one operation
 * needs made every attach and detach call the host allocator (6% of the
 * mmap workload in malloc and free). A few dozen nodes per map at most.
 */
enum { SPARE_KEEP_BIG = 8, SPARE_KEEP_SMALL = 16 };

void
plc_trim(plc_t *p)
{
	spare_free(p, &p->spare, &p->spare_count, SPARE_KEEP_BIG);
	spare_free(p, &p->spare_small, &p->spare_small_count, SPARE_KEEP_SMALL);
}

/* ---- Pruning ------------------------------------------------------------------ */

/*
 * find_best_fit visits every subtree whose max_avail admits the size, and
 * with an alignment many large-enough free blocks still fail (the aligned
 * start leaves too little), so core's search is linear in the number of
 * such blocks: 84% of the region-map workload at 10^5 regions. Skipping a
 * subtree in which no block fits cannot change the result, because the
 * search only ever returns a block that fits.
 *
 * For fit class c (alignment A = 2^(12+c)), a free block's usable size is
 * what remains after its start is aligned up to A. The fit field keeps,
 * for each class, the largest usable size in the subtree in units of A/8,
 * rounded down and saturated at 127. A request of n bytes aligned to
 * A' >= A fits a block only if the block's usable size at A is at least n
 * (aligning further only loses more), so a subtree whose field is below
 * n / (A/8), rounded down, and not saturated holds no block that fits.
 * Alignments above the last class use the last class.
 *
 * The fields are exact subtree maxima, unlike core's lazy max_avail: every
 * node whose children change recomputes its own (fit_local), bottom-up.
 * They are kept only on 64-bit maps (32-bit wrap-around in fits() is left
 * to core's code) and only from the first aligned allocation on.
 */
/* A free block's own fit classes, one byte each (0 to 127), in a word. */
static uint64_t
fit_of_block(uint64_t addr, uint64_t size)
{
	uint64_t q = 0;

	for (int c = 0; c < PLC_FIT_CLASSES; c++) {
		unsigned a_log2 = PLC_FIT_ALIGN_MIN + (unsigned)c;
		uint64_t mask = ((uint64_t)1 << a_log2) - 1;
		uint64_t start = (addr + mask) & ~mask, usable;

		if (start < addr || start - addr >= size)
			break;   /* and larger alignments leave nothing either */
		usable = (size - (start - addr)) >> (a_log2 - 3);
		q |= (usable > 127 ? 127 : usable) << (8 * c);
	}
	return q;
}

/*
 * Kept in the node where it has room (big nodes, and the roomy small ones
 * of maps that keep fit fields), else computed: the small nodes of a map
 * that started keeping fit fields late.
 */
static uint64_t
fit_own(const plc_block_t *b)
{
	if (b->used)
		return 0;
	return (b->big || b->roomy) ? b->own_fit : fit_of_block(b->addr, b->size);
}

/* Compute and, where the node has room, keep a free block's own fit classes. */
static uint64_t
fit_own_set(plc_block_t *b)
{
	uint64_t q;

	if (b->used)
		return 0;
	q = fit_of_block(b->addr, b->size);
	if (b->big || b->roomy)
		b->own_fit = q;
	return q;
}

/* The fit field as a word, class c in byte c (bits 8c and up), whatever the byte order. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    PLC_FIT_CLASSES == 6
/* depth and used are the word's two low bytes, the fit bytes the six above */
static uint64_t
fit_get(const plc_block_t *b)
{
	return b->head_word >> 16;
}

static void
fit_set(plc_block_t *b, uint64_t v)
{
	b->head_word = (b->head_word & 0xffff) | (v << 16);
}
#else
static uint64_t
fit_get(const plc_block_t *b)
{
	uint64_t v = 0;

	for (int c = 0; c < PLC_FIT_CLASSES; c++)
		v |= (uint64_t)b->fit[c] << (8 * c);
	return v;
}

static void
fit_set(plc_block_t *b, uint64_t v)
{
	for (int c = 0; c < PLC_FIT_CLASSES; c++)
		b->fit[c] = (uint8_t)(v >> (8 * c));
}
#endif

/* The bytewise maximum of two words of bytes below 128 (no byte borrows from the next). */
static uint64_t
bytes_max(uint64_t a, uint64_t b)
{
	const uint64_t high = 0x8080808080808080ull;
	uint64_t a_ge_b = ((((a | high) - b) & high) >> 7) * 0xff;

	return (a & a_ge_b) | (b & ~a_ge_b);
}

/* Recompute b's fit field from its own block and its children's; true if it changed. */
static bool
fit_local(plc_block_t *b)
{
	uint64_t q = fit_own(b), old = fit_get(b);

	if (b->child[LEFT])
		q = bytes_max(q, fit_get(b->child[LEFT]));
	if (b->child[RIGHT])
		q = bytes_max(q, fit_get(b->child[RIGHT]));
	if (q == old)
		return false;
	fit_set(b, q);
	return true;
}

/* Compute the fit fields of a whole subtree (when they start being kept). */
static void
fit_build(plc_block_t *b)
{
	if (!b)
		return;
	fit_build(b->child[LEFT]);
	fit_build(b->child[RIGHT]);
	(void)fit_own_set(b);
	(void)fit_local(b);
}

/* ---- The AVL tree (core's avl_tree.cc order) -------------------------------- */

/* Block::recompute: the largest free block of this subtree. */
static void
recompute_max_avail(plc_block_t *b)
{
	b->max_avail = max_u64(avail(b),
	                       max_u64(child_max_avail(b, LEFT), child_max_avail(b, RIGHT)));
}

/*
 * Update the depth; if it changed, the parent first (with this node's old
 * max_avail), then this node's max_avail. The sentinel root has no parent
 * and keeps no max_avail. These cascades are core's, whole: they are what
 * leaves max_avail stale (tree_remove). tree_insert needs none of them: its
 * way back recomputes every ancestor from its children after everything
 * below is done, and rotate_for_insert refreshes what it moves.
 */
static void
recompute_depth(plc_block_t *n)
{
	unsigned char old = n->depth;
	int l = child_depth(n, LEFT), r = child_depth(n, RIGHT);

	n->depth = (unsigned char)((l > r ? l : r) + 1);
	if (n->depth != old && n->parent)
		recompute_depth(n->parent);
	if (n->parent)
		recompute_max_avail(n);
}

static void
adopt(plc_t *p, plc_block_t *n, plc_block_t *child, int side)
{
	n->child[side] = child;
	if (child)
		child->parent = n;
	recompute_depth(n);
	if (p->fit_valid && !p->fit_deferred && n->parent)
		(void)fit_local(n);
}

/* Rotate the subtree 'node' (a child of n) towards 'side'. */
static void
rotate_subtree(plc_t *p, plc_block_t *n, plc_block_t *node, int side)
{
	int i = (node == n->child[LEFT]) ? LEFT : RIGHT;
	plc_block_t *node_r = node->child[!side];
	plc_block_t *node_r_l = node_r->child[side];

	if (bias(node_r) == !side) {
		/* simple rotation */
		adopt(p, node, node_r_l, !side);
		adopt(p, node_r, node, side);
		adopt(p, n, node_r, i);
	} else if (node_r_l) {
		/* double rotation */
		plc_block_t *node_r_l_l = node_r_l->child[side];
		plc_block_t *node_r_l_r = node_r_l->child[!side];

		adopt(p, node, node_r_l_l, !side);
		adopt(p, node_r, node_r_l_r, side);
		adopt(p, node_r_l, node, side);
		adopt(p, node_r_l, node_r, !side);
		adopt(p, n, node_r_l, i);
	}
}

/* true if it rotated (and so recomputed n's fields in adopt) */
static bool
rebalance_subtree(plc_t *p, plc_block_t *n, plc_block_t *node)
{
	int v = child_depth(node, RIGHT) - child_depth(node, LEFT);

	if (v > -2 && v < 2)
		return false;
	rotate_subtree(p, n, node, v < 0);
	return true;
}

/* A node's depth, max_avail and (where kept) fit field, from its children. */
static void
refresh(const plc_t *p, plc_block_t *n)
{
	plc_block_t *l = n->child[LEFT], *r = n->child[RIGHT];
	int dl = l ? l->depth : 0, dr = r ? r->depth : 0;

	n->depth = (unsigned char)((dl > dr ? dl : dr) + 1);
	n->max_avail = max_u64(avail(n), max_u64(l ? l->max_avail : 0, r ? r->max_avail : 0));
	if (p->fit_valid)
		(void)fit_local(n);
}

static void
link_child(plc_block_t *n, plc_block_t *child, int side)
{
	n->child[side] = child;
	if (child)
		child->parent = n;
}

/*
 * rotate_subtree inside tree_insert, where its outcome is simple: of its
 * adopts and their cascades (which go on up through n and its ancestors,
 * all of which the insert's way back recomputes from their children
 * afterwards), what lasts is that each node it moves ends with the depth,
 * max_avail and fit field of its new children, computed bottom-up; n's fit
 * field is left as it was, for the way back's merge. So the links are set
 * and the moved nodes refreshed, without the general adopts (a rotation
 * took about 580 instructions, in a third of the inserts). The same steps
 * and tests as rotate_subtree decide what moves.
 */
static void
rotate_for_insert(plc_t *p, plc_block_t *n, plc_block_t *node, int side)
{
	int i = (node == n->child[LEFT]) ? LEFT : RIGHT;
	plc_block_t *node_r = node->child[!side];
	plc_block_t *node_r_l = node_r->child[side];

	if (bias(node_r) == !side) {
		/* simple rotation */
		link_child(node, node_r_l, !side);
		link_child(node_r, node, side);
		link_child(n, node_r, i);
		refresh(p, node);
		refresh(p, node_r);
	} else if (node_r_l) {
		/* double rotation */
		link_child(node, node_r_l->child[side], !side);
		link_child(node_r, node_r_l->child[!side], side);
		link_child(node_r_l, node, side);
		link_child(node_r_l, node_r, !side);
		link_child(n, node_r_l, i);
		refresh(p, node);
		refresh(p, node_r);
		refresh(p, node_r_l);
	}
}

/*
 * Core's recursive insert, as a loop: down to the new leaf's place, then
 * back up along the same nodes, each recomputing its depth and max_avail
 * and rebalancing its subtree, exactly as core's recursion does on its way
 * back. The path cannot be longer than the array: an AVL tree 128 high
 * would hold more than 2^88 nodes.
 */
static void
tree_insert(plc_t *p, plc_block_t *root, plc_block_t *node)
{
	plc_block_t *path[128], *n = root->child[LEFT];
	const uint64_t addr = node->addr;
	/* whether n's fit field may still lack node's: see the way back below */
	bool fit_merge = p->fit_valid;
	const uint64_t node_fit = fit_merge ? fit_own(node) : 0;
	unsigned d = 0;

	/* The sentinel takes the first block as its left child. */
	if (!n) {
		adopt(p, root, node, LEFT);
		return;
	}
	for (;;) {
		/* Below the sentinel, equal addresses go right, as in core. */
		int side = addr >= n->addr;
		plc_block_t *c = n->child[side];

		path[d++] = n;
		if (!c) {
			/*
			 * adopt(n, node): its recomputation of n is the first step of
			 * the way back, which makes it again from the same children.
			 */
			link_child(n, node, side);
			break;
		}
		n = c;
	}
	while (d) {
		plc_block_t *l, *r;
		int dl, dr;

		n = path[--d];
		l = n->child[LEFT];
		r = n->child[RIGHT];
		dl = l ? l->depth : 0;
		dr = r ? r->depth : 0;
		/* recompute_depth(n), without the cascade (see there) */
		n->depth = (unsigned char)((dl > dr ? dl : dr) + 1);
		n->max_avail = max_u64(avail(n), max_u64(l ? l->max_avail : 0,
		                                         r ? r->max_avail : 0));
		/*
		 * n's subtree gained node, and rotations below moved nodes but kept
		 * the subtree's set: its fit field, untouched so far in this insert
		 * (rotate_for_insert leaves the rotation's parent as it was), takes
		 * node's in, before any rotation here (which refreshes what it
		 * moves). Once it already holds node's, every ancestor's does too:
		 * fit fields are exact subtree maxima, and each ancestor's set held
		 * n's; so the merge stops there (most inserts are of blocks smaller
		 * than those around them).
		 */
		if (fit_merge) {
			uint64_t f = fit_get(n), m = bytes_max(f, node_fit);
			if (m != f)
				fit_set(n, m);
			else
				fit_merge = false;
		}
		/* rebalance_subtree(n->parent, n) */
		if ((unsigned)(dr - dl + 1) > 2u)
			rotate_for_insert(p, n->parent, n, dr - dl < 0);
	}
	/* the sentinel: its depth only (it keeps no max_avail) */
	n = root->child[LEFT];
	root->depth = (unsigned char)(n->depth + 1);
}

static void
tree_remove(plc_t *p, plc_block_t *n)
{
	plc_block_t *lp = NULL;
	plc_block_t *l = n->child[LEFT];
	plc_block_t *np = n->parent;
	bool fit_pending = true, fit_fresh = false;

	/*
	 * The relinking below recomputed fit fields at every adopt, each from
	 * children that later adopts or the walk to the root change again (two
	 * thirds of removal's fit_local calls in the region-map workload). The
	 * fit fields are not core's and nothing reads them before the walks
	 * below, which recompute every node whose subtree changed, bottom-up:
	 * so they are left to those walks.
	 */
	p->fit_deferred = true;
	if (l) {
		while (l->child[RIGHT])
			l = l->child[RIGHT];

		/* isolate the right-most node of the left subtree */
		if (l == n->child[LEFT])
			adopt(p, n, l->child[LEFT], LEFT);
		else
			adopt(p, l->parent, l->child[LEFT], RIGHT);

		if (l->parent != n)
			lp = l->parent;

		/* put l where n was */
		for (int i = 0; i < 2; i++)
			if (n->parent->child[i] == n)
				adopt(p, n->parent, l, i);
		adopt(p, l, n->child[LEFT], LEFT);
		adopt(p, l, n->child[RIGHT], RIGHT);
	} else {
		for (int i = 0; i < 2; i++)
			if (n->parent->child[i] == n)
				adopt(p, n->parent, n->child[RIGHT], i);
	}
	p->fit_deferred = false;

	if (p->fit_valid && !lp) {
		/*
		 * Without the rebalancing walk below, the fit fields of l, which
		 * took n's place and n's right subtree, and from n's old parent up:
		 * that parent always, the ones above until one stays as it was.
		 */
		if (l)
			(void)fit_local(l);
		if (np->parent) {
			(void)fit_local(np);
			for (plc_block_t *a = np->parent; a && a->parent; a = a->parent)
				if (!fit_local(a))
					break;
		}
	}
	/*
	 * Core's walk to the root. The fit fields on it: from lp up to l, the
	 * subtrees lost l; l's field is from its old place; from n's old
	 * parent up, the subtrees lost n. In each stretch, once a field comes
	 * out as it was, the ones above it in the stretch are as they were too
	 * (exact subtree maxima, of which only the one child changed), so the
	 * recomputation rests until the next stretch begins. Not where a
	 * rotation just recomputed the node from its new children: its field
	 * may have changed then, and its parent's not yet. The walk goes on to
	 * the root for core's rebalancing either way.
	 */
	while (lp && lp->parent) {
		plc_block_t *lpp = lp->parent;

		if (p->fit_valid) {
			if (lp == l) {
				(void)fit_local(lp);
				fit_pending = true;
			} else if (fit_pending && !fit_local(lp) && !fit_fresh) {
				fit_pending = false;
			}
		}
		fit_fresh = rebalance_subtree(p, lpp, lp);
		lp = lpp;
	}
	n->child[LEFT] = n->child[RIGHT] = NULL;
	n->parent = NULL;
}

/* ---- The allocator (core's allocator_avl.cc) -------------------------------- */

static uint64_t
align_up(const plc_t *p, uint64_t addr, unsigned log2)
{
	uint64_t off = log2 >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << log2) - 1);
	return ((addr + off) & ~off) & p->word_mask;
}

/* Core's _sum_in_range: addr + n - 1 does not wrap around. */
static bool
sum_in_range(const plc_t *p, uint64_t addr, uint64_t n)
{
	return ((addr + n - 1) & p->word_mask) >= addr;
}

static uint64_t
last_byte(const plc_t *p, uint64_t addr, uint64_t size)
{
	return (addr + size - 1) & p->word_mask;
}

/*
 * One search of Block::find_best_fit: its arguments, and what prunes it,
 * worked out once instead of at every node it visits (find_best_fit was
 * 12% of the region-map workload's instructions, about 100 a node).
 */
struct fit_query {
	uint64_t size;
	uint64_t from, to;
	uint64_t word_mask;
	uint64_t align_mask;     /* 2^align - 1, in the word (align_up) */
	uint64_t need;           /* the fit class's quantized size (see "Pruning") */
	unsigned fit_class;      /* PLC_FIT_CLASSES: no pruning */
};

static void
fit_query_init(struct fit_query *q, const plc_t *p, uint64_t size, unsigned align,
               uint64_t from, uint64_t to)
{
	q->size = size;
	q->from = from;
	q->to = to;
	q->word_mask = p->word_mask;
	q->align_mask = align >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << align) - 1);
	q->fit_class = PLC_FIT_CLASSES;
	q->need = 0;
	/* pruning needs the whole range and an alignment of a page or more */
	if (p->fit_valid && from == 0 && to == p->word_mask && align >= PLC_FIT_ALIGN_MIN) {
		unsigned c = align - PLC_FIT_ALIGN_MIN;

		if (c >= PLC_FIT_CLASSES)
			c = PLC_FIT_CLASSES - 1;
		q->fit_class = c;
		q->need = size >> (PLC_FIT_ALIGN_MIN + c - 3);
	}
}

/* Whether no block in subtree sub fits (see "Pruning"). */
static bool
fit_excludes(const struct fit_query *q, const plc_block_t *sub)
{
	return q->fit_class < PLC_FIT_CLASSES && sub->fit[q->fit_class] < 127 &&
	       sub->fit[q->fit_class] < q->need;
}

/* Block::_fits, with align_up, _sum_in_range and the last byte in the word */
static inline bool
fits(const struct fit_query *q, const plc_block_t *b)
{
	uint64_t m = q->word_mask, n = q->size;
	uint64_t a = ((max_u64(b->addr, q->from) + q->align_mask) & ~q->align_mask) & m;

	return a >= b->addr && ((a + n - 1) & m) >= a &&
	       ((a - b->addr + n) & m) <= avail(b) && ((a + n - 1) & m) <= q->to;
}

/* Block::find_best_fit */
static plc_block_t *
find_best_fit(const struct fit_query *q, plc_block_t *b)
{
	plc_block_t *child[2] = { b->child[LEFT], b->child[RIGHT] };
	uint64_t max[2] = { child[LEFT] ? child[LEFT]->max_avail : 0,
	                    child[RIGHT] ? child[RIGHT]->max_avail : 0 };
	/* visit the child with the smaller max_avail first; a tie goes left */
	int side = max[RIGHT] < max[LEFT];

	for (int i = 0; i < 2; i++, side = !side) {
		plc_block_t *res;

		/* a missing child has max_avail 0 and no result */
		if (max[side] < q->size || !child[side])
			continue;
		if (fit_excludes(q, child[side]))
			continue;   /* not core's: the search below would come back empty */
		res = find_best_fit(q, child[side]);
		if (res)
			return (fits(q, b) && q->size < res->size) ? b : res;
	}
	return fits(q, b) ? b : NULL;
}

/* Block::find_by_address: the block containing (or, with overlap, touching) the range. */
static plc_block_t *
find_by_address(const plc_t *p, uint64_t addr, uint64_t size, bool check_overlap)
{
	plc_block_t *b = p->root.child[LEFT];
	const uint64_t mask = p->word_mask;
	const uint64_t last = last_byte(p, addr, size ? size : 1);

	if (check_overlap) {
		for (; b; b = b->child[addr >= b->addr]) {
			uint64_t b_last = (b->addr + b->size - 1) & mask;

			if ((last >= b->addr && b_last >= addr) || (addr >= b->addr && last <= b_last))
				return b;
		}
		return NULL;
	}
	/* the exact lookups (detach, plc_alloc_addr): the range's block, or none */
	while (b) {
		int right = addr >= b->addr;

		if (right && last <= ((b->addr + b->size - 1) & mask))
			return b;
		b = b->child[right];
	}
	return NULL;
}

static void
add_block(plc_t *p, plc_block_t *b, uint64_t addr, uint64_t size, bool used)
{
	b->addr = addr;
	b->size = size;
	b->used = used;
	b->max_avail = used ? 0 : size;
	b->depth = 1;
	if (p->fit_valid)
		fit_set(b, fit_own_set(b));
	tree_insert(p, &p->root, b);
	p->blocks++;
	p->used_blocks += used;
}

static void
destroy_block(plc_t *p, plc_block_t *b)
{
	tree_remove(p, b);
	p->blocks--;
	p->used_blocks -= b->used;
	md_free(p, b);
}

/* Take [addr, addr+size) out of free block b, keeping what is left on each side. */
static void
cut_from_block(plc_t *p, plc_block_t *b, uint64_t addr, uint64_t size,
               plc_block_t *dst1, plc_block_t *dst2)
{
	uint64_t padding = addr > b->addr ? addr - b->addr : 0;
	uint64_t b_size = b->size > padding ? b->size - padding : 0;
	uint64_t remaining = b_size > size ? b_size - size : 0;
	uint64_t orig_addr = b->addr;

	/* a block that spans the whole address range has size 0 */
	if (!b->addr && !b->size)
		remaining = (b->size - size - padding) & p->word_mask;

	destroy_block(p, b);

	if (padding > 0)
		add_block(p, dst1, orig_addr, padding, false);
	else
		md_free(p, dst1);

	if (remaining > 0)
		add_block(p, dst2, (addr + size) & p->word_mask, remaining, false);
	else
		md_free(p, dst2);
}

static rme_err_t
md_alloc_two(plc_t *p, plc_block_t **b1, plc_block_t **b2)
{
	rme_err_t err = md_alloc(p, b1, false);

	if (err != RME_OK)
		return err;
	err = md_alloc(p, b2, false);
	if (err != RME_OK) {
		md_free(p, *b1);
		return err;
	}
	return RME_OK;
}

/*
 * Allocator_avl_base::_allocate. With found set, the search already chose
 * block b (find_by_address); otherwise find_best_fit chooses.
 */
static rme_err_t
allocate(plc_t *p, uint64_t size, unsigned align, uint64_t from, uint64_t to,
         bool by_address, plc_block_t **out)
{
	plc_block_t *b1, *b2, *b, *nb;
	uint64_t new_addr;
	rme_err_t err = md_alloc_two(p, &b1, &b2);

	if (err != RME_OK)
		return err;

	b = p->root.child[LEFT];
	if (b && by_address) {
		b = find_by_address(p, from, size, false);
	} else if (b) {
		struct fit_query q;

		fit_query_init(&q, p, size, align, from, to);
		b = find_best_fit(&q, b);
	}
	if (!b || b->used) {
		md_free(p, b1);
		md_free(p, b2);
		return RME_ERR_DENIED;
	}

	new_addr = align_up(p, max_u64(b->addr, from), align);
	cut_from_block(p, b, new_addr, size, b1, b2);

	/*
	 * Core allocates the used block only now. The slab cannot need to grow
	 * here: it keeps at least three entries free after every allocation and
	 * the cut just freed one.
	 */
	err = md_alloc(p, &nb, true);
	if (err != RME_OK)
		return err;
	add_block(p, nb, new_addr, size, true);
	*out = nb;
	return RME_OK;
}

rme_err_t
plc_alloc_aligned(plc_t *p, uint64_t size, unsigned align_log2, plc_block_t **out)
{
	if (!p->fit_valid && p->word_mask == UINT64_MAX) {
		fit_build(p->root.child[LEFT]);
		p->fit_valid = true;
	}
	return allocate(p, size, align_log2, 0, p->word_mask, false, out);
}

rme_err_t
plc_alloc_addr(plc_t *p, uint64_t size, uint64_t addr, plc_block_t **out)
{
	if (!sum_in_range(p, addr, size))
		return RME_ERR_DENIED;
	return allocate(p, size, 0, addr, last_byte(p, addr, size), true, out);
}

static rme_err_t
add_range(plc_t *p, uint64_t addr, uint64_t size)
{
	plc_block_t *nb, *b;
	rme_err_t err;

	if (!size)
		return RME_ERR_DENIED;
	if (find_by_address(p, addr, size, true))
		return RME_ERR_DENIED;
	err = md_alloc(p, &nb, false);
	if (err != RME_OK)
		return err;

	/* merge with the free block before and after */
	if (addr != 0 && (b = find_by_address(p, addr - 1, 0, false)) && !b->used) {
		size += b->size;
		addr = b->addr;
		destroy_block(p, b);
	}
	if ((b = find_by_address(p, (addr + size) & p->word_mask, 0, false)) && !b->used) {
		size += b->size;
		destroy_block(p, b);
	}
	add_block(p, nb, addr, size, false);
	return RME_OK;
}

rme_err_t
plc_add_range(plc_t *p, uint64_t addr, uint64_t size)
{
	bool backing;
	rme_err_t err;

	if (!p->hosted)
		return add_range(p, addr, size);
	/* Allocator_avl_tpl::add_range: the slab may not grow meanwhile */
	backing = plc_hosted_backing(p, false);
	err = add_range(p, addr, size);
	(void)plc_hosted_backing(p, backing);
	return err;
}

/* The block before (dir LEFT) or after (RIGHT) b in address order, or NULL. */
static plc_block_t *
neighbour(const plc_block_t *b, int dir)
{
	if (b->child[dir]) {
		b = b->child[dir];
		while (b->child[!dir])
			b = b->child[!dir];
		return (plc_block_t *)b;
	}
	/* climb until we come from the other side; the sentinel ends the walk */
	while (b->parent && b->parent->child[dir] == b)
		b = b->parent;
	b = b->parent;
	return (b && b->parent) ? (plc_block_t *)b : NULL;
}

/* Whether the block holds the byte at addr (find_by_address's test for one byte). */
static bool
holds(const plc_t *p, const plc_block_t *b, uint64_t addr)
{
	return addr >= b->addr && addr <= last_byte(p, b->addr, b->size);
}

void
plc_free_block(plc_t *p, plc_block_t *b)
{
	uint64_t addr = b->addr, size = b->size;
	plc_block_t *nb, *pred, *succ;

	if (p->hosted) {
		/*
		 * Allocator_avl_base::free as it is: destroying the block may release
		 * a slab block, which is a free in this tree that can take the
		 * neighbours away; so add_range searches afresh.
		 */
		destroy_block(p, b);
		(void)plc_add_range(p, addr, size);
		return;
	}

	/*
	 * What plc_add_range(addr, size) does after the block is gone, step for
	 * step, without its three searches from the root: the range overlaps
	 * nothing (the block was just there), and the blocks holding addr - 1
	 * and addr + size can only be the block's neighbours in the tree, which
	 * stay in it while it changes shape.
	 */
	pred = neighbour(b, LEFT);
	succ = neighbour(b, RIGHT);
	destroy_block(p, b);
	/*
	 * Cannot fail, and needs no host memory: destroy_block just put its node
	 * among the spares, where this takes its one node from, and the slab has
	 * more than three entries free (see allocate).
	 */
	(void)md_alloc(p, &nb, false);
	if (addr != 0 && pred && holds(p, pred, addr - 1) && !pred->used) {
		size += pred->size;
		addr = pred->addr;
		destroy_block(p, pred);
	}
	if (succ && holds(p, succ, (addr + size) & p->word_mask) && !succ->used) {
		size += succ->size;
		destroy_block(p, succ);
	}
	add_block(p, nb, addr, size, false);
}

void
plc_free(plc_t *p, uint64_t addr)
{
	plc_block_t *b = find_by_address(p, addr, 0, false);

	if (b && b->used)
		plc_free_block(p, b);
}

plc_block_t *
plc_used_at(const plc_t *p, uint64_t addr)
{
	plc_block_t *b = find_by_address(p, addr, 0, false);
	return (b && b->used) ? b : NULL;
}

plc_block_t *
plc_block_at(const plc_t *p, uint64_t addr)
{
	return find_by_address(p, addr, 0, false);
}

plc_t *
plc_of_block(const plc_block_t *b)
{
	while (b->parent)
		b = b->parent;
	return (plc_t *)(void *)((char *)b - offsetof(plc_t, root));
}

plc_block_t *
plc_first(const plc_t *p)
{
	plc_block_t *b = p->root.child[LEFT];

	while (b && b->child[LEFT])
		b = b->child[LEFT];
	return b;
}

plc_block_t *
plc_next(const plc_block_t *b)
{
	if (b->child[RIGHT]) {
		b = b->child[RIGHT];
		while (b->child[LEFT])
			b = b->child[LEFT];
		return (plc_block_t *)b;
	}
	/* climb until we come from a left child; the sentinel ends the walk */
	while (b->parent && b->parent->child[RIGHT] == b)
		b = b->parent;
	b = b->parent;
	return (b && b->parent) ? (plc_block_t *)b : NULL;
}

void
plc_init(plc_t *p, const rme_allocator_t *alloc, uint64_t word_mask,
         const plc_slab_hooks_t *hooks)
{
	memset(p, 0, sizeof(*p));
	p->root.depth = 1;
	p->word_mask = word_mask;
	p->alloc = alloc;
	if (hooks)
		p->hooks = *hooks;
}

/* Free a subtree without touching the tree links on the way (teardown only). */
static void
free_subtree(plc_t *p, plc_block_t *b)
{
	while (b) {
		plc_block_t *right = b->child[RIGHT];
		free_subtree(p, b->child[LEFT]);
		p->alloc->free(p->alloc->ctx, b, node_size(b->big, b->roomy));
		b = right;
	}
}

void
plc_fini(plc_t *p)
{
	free_subtree(p, p->root.child[LEFT]);
	p->root.child[LEFT] = NULL;
	p->blocks = 0;
	p->used_blocks = 0;
	spare_free(p, &p->spare, &p->spare_count, 0);
	spare_free(p, &p->spare_small, &p->spare_small_count, 0);
	p->fit_valid = false;
	while (p->slab_blocks > 1) {
		p->slab_blocks--;
		if (p->hooks.shrink)
			p->hooks.shrink(p->hooks.ctx);
	}
	p->slab_blocks = 0;
	p->slab_entries_avail = 0;
}

/* ---- Checking ---------------------------------------------------------------- */

static unsigned
height_of(const plc_block_t *b)
{
	unsigned l, r;

	if (!b)
		return 0;
	l = height_of(b->child[LEFT]);
	r = height_of(b->child[RIGHT]);
	return (l > r ? l : r) + 1;
}

unsigned
plc_height(const plc_t *p)
{
	return height_of(p->root.child[LEFT]);
}

struct check_state {
	const plc_t *p;
	char *msg;
	size_t msglen;
	uint64_t count;
	uint64_t stale;   /* blocks whose max_avail differs from the truth */
};

/*
 * Check one subtree; returns the true largest free block in it, or
 * UINT64_MAX after reporting an error.
 */
static uint64_t
check_subtree(struct check_state *cs, const plc_block_t *b, int *depth_out)
{
	int dl = 0, dr = 0;
	uint64_t ml = 0, mr = 0, m;

	if (!b) {
		*depth_out = 0;
		return 0;
	}
	cs->count++;
	for (int s = 0; s < 2; s++) {
		if (b->child[s] && b->child[s]->parent != b) {
			snprintf(cs->msg, cs->msglen, "block 0x%llx: child's parent link is wrong",
			        (unsigned long long)b->addr);
			return UINT64_MAX;
		}
	}
	if (b->child[LEFT] && b->child[LEFT]->addr > b->addr) {
		snprintf(cs->msg, cs->msglen, "block 0x%llx: left child 0x%llx is higher",
		        (unsigned long long)b->addr, (unsigned long long)b->child[LEFT]->addr);
		return UINT64_MAX;
	}
	if (b->child[RIGHT] && b->child[RIGHT]->addr < b->addr) {
		snprintf(cs->msg, cs->msglen, "block 0x%llx: right child 0x%llx is lower",
		        (unsigned long long)b->addr, (unsigned long long)b->child[RIGHT]->addr);
		return UINT64_MAX;
	}
	if ((ml = check_subtree(cs, b->child[LEFT], &dl)) == UINT64_MAX ||
	    (mr = check_subtree(cs, b->child[RIGHT], &dr)) == UINT64_MAX)
		return UINT64_MAX;
	if (b->depth != (dl > dr ? dl : dr) + 1) {
		snprintf(cs->msg, cs->msglen, "block 0x%llx: depth %d, subtrees %d and %d",
		        (unsigned long long)b->addr, b->depth, dl, dr);
		return UINT64_MAX;
	}
	m = max_u64(avail(b), max_u64(ml, mr));
	/*
	 * Core lets max_avail go stale (see the top of this file), so it is not
	 * compared with the truth m; but a block never changes after it is
	 * inserted, so its own free size is always included.
	 */
	if (b->max_avail < avail(b)) {
		snprintf(cs->msg, cs->msglen, "block 0x%llx: max_avail 0x%llx below its own size",
		         (unsigned long long)b->addr, (unsigned long long)b->max_avail);
		return UINT64_MAX;
	}
	if (b->max_avail != m)
		cs->stale++;
	*depth_out = b->depth;
	return m;
}

/* Check the fit fields of a subtree against the truth; the truth goes to q. */
static int
check_fit(const plc_block_t *b, uint8_t q[PLC_FIT_CLASSES], char *msg, size_t msglen)
{
	uint8_t sub[PLC_FIT_CLASSES];
	uint64_t own = b && !b->used ? fit_of_block(b->addr, b->size) : 0;

	for (int c = 0; c < PLC_FIT_CLASSES; c++)
		q[c] = (uint8_t)(own >> (8 * c));
	if (!b)
		return 0;
	if (!b->used && (b->big || b->roomy) && b->own_fit != own) {
		snprintf(msg, msglen, "block 0x%llx: own fit classes are wrong",
		         (unsigned long long)b->addr);
		return -1;
	}
	for (int side = 0; side < 2; side++) {
		if (check_fit(b->child[side], sub, msg, msglen) != 0)
			return -1;
		for (int i = 0; i < PLC_FIT_CLASSES; i++)
			if (sub[i] > q[i])
				q[i] = sub[i];
	}
	if (memcmp(q, b->fit, PLC_FIT_CLASSES) != 0) {
		snprintf(msg, msglen, "block 0x%llx: fit field differs from its subtree",
		         (unsigned long long)b->addr);
		return -1;
	}
	return 0;
}

int
plc_check(const plc_t *p, char *msg, size_t msglen, uint64_t *stale_out)
{
	uint64_t used = 0;
	struct check_state cs = { p, msg, msglen, 0, 0 };
	const plc_block_t *b, *prev = NULL;
	int depth;

	if (p->root.child[LEFT] && p->root.child[LEFT]->parent != &p->root) {
		snprintf(msg, msglen, "the first block is not linked to the root");
		return -1;
	}
	if (check_subtree(&cs, p->root.child[LEFT], &depth) == UINT64_MAX)
		return -1;
	if (p->fit_valid) {
		uint8_t q[PLC_FIT_CLASSES];
		if (check_fit(p->root.child[LEFT], q, msg, msglen) != 0)
			return -1;
	}
	if (stale_out)
		*stale_out = cs.stale;
	if (cs.count != p->blocks) {
		snprintf(msg, msglen, "%llu blocks in the tree, %llu counted",
		        (unsigned long long)cs.count, (unsigned long long)p->blocks);
		return -1;
	}
	for (b = plc_first(p); b; prev = b, b = plc_next(b)) {
		used += b->used;
		if (b->size == 0 && b->addr != 0) {
			snprintf(msg, msglen, "block 0x%llx is empty", (unsigned long long)b->addr);
			return -1;
		}
		if (!prev)
			continue;
		if (prev->addr + prev->size > b->addr) {
			snprintf(msg, msglen, "blocks 0x%llx+0x%llx and 0x%llx overlap",
			        (unsigned long long)prev->addr, (unsigned long long)prev->size,
			        (unsigned long long)b->addr);
			return -1;
		}
		/*
		 * With hosted metadata, Genode itself can leave neighbours apart: a
		 * slab block released while a block is being cut is freed before
		 * the cut's remainders are back in the tree.
		 */
		if (!p->hosted && !prev->used && !b->used && prev->addr + prev->size == b->addr) {
			snprintf(msg, msglen, "free blocks 0x%llx and 0x%llx are not coalesced",
			        (unsigned long long)prev->addr, (unsigned long long)b->addr);
			return -1;
		}
	}
	if (used != p->used_blocks) {
		snprintf(msg, msglen, "%llu used blocks in the tree, %llu counted",
		         (unsigned long long)used, (unsigned long long)p->used_blocks);
		return -1;
	}
	return 0;
}
