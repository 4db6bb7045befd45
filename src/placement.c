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
 */
#include <stdio.h>
#include <string.h>

#include "costs.h"
#include "placement.h"

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
 * Take one entry of core's metadata slab. The slab grows when few entries
 * are left, which costs quota; the host node comes from the spares, which
 * plc_reserve() filled beforehand.
 */
static rme_err_t
md_alloc(plc_t *p, plc_block_t **out)
{
	plc_block_t *b;

	if (p->slab_blocks == 0) {
		/* The first slab block is embedded in the region map: free of charge. */
		p->slab_blocks = 1;
		p->slab_entries_avail = COST_MD_BLOCKS_PER_SLAB;
	}
	if (p->slab_entries_avail <= COST_MD_SLAB_GROW_AT) {
		rme_err_t err = p->hooks.grow ? p->hooks.grow(p->hooks.ctx) : RME_OK;
		if (err != RME_OK)
			return err;
		p->slab_blocks++;
		p->slab_entries_avail += COST_MD_BLOCKS_PER_SLAB;
	}
	p->slab_entries_avail--;

	b = p->spare;
	p->spare = b->parent;
	p->spare_count--;
	memset(b, 0, sizeof(*b));
	*out = b;
	return RME_OK;
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
	b->parent = p->spare;
	p->spare = b;
	p->spare_count++;

	p->slab_entries_avail++;
	if (p->slab_entries_avail > 2 * (uint64_t)COST_MD_BLOCKS_PER_SLAB &&
	    p->slab_blocks > 1) {
		p->slab_blocks--;
		p->slab_entries_avail -= COST_MD_BLOCKS_PER_SLAB;
		if (p->hooks.shrink)
			p->hooks.shrink(p->hooks.ctx);
	}
}

rme_err_t
plc_reserve(plc_t *p, unsigned n)
{
	while (p->spare_count < n) {
		plc_block_t *b = p->alloc->alloc(p->alloc->ctx, sizeof(*b));
		if (!b)
			return RME_ERR_HOST_NO_MEMORY;
		b->parent = p->spare;
		p->spare = b;
		p->spare_count++;
	}
	return RME_OK;
}

void
plc_trim(plc_t *p)
{
	while (p->spare_count > PLC_NODES_PER_OP) {
		plc_block_t *b = p->spare;
		p->spare = b->parent;
		p->spare_count--;
		p->alloc->free(p->alloc->ctx, b, sizeof(*b));
	}
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
 * and keeps no max_avail.
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
adopt(plc_block_t *n, plc_block_t *child, int side)
{
	n->child[side] = child;
	if (child)
		child->parent = n;
	recompute_depth(n);
}

/* Rotate the subtree 'node' (a child of n) towards 'side'. */
static void
rotate_subtree(plc_block_t *n, plc_block_t *node, int side)
{
	int i = (node == n->child[LEFT]) ? LEFT : RIGHT;
	plc_block_t *node_r = node->child[!side];
	plc_block_t *node_r_l = node_r->child[side];

	if (bias(node_r) == !side) {
		/* simple rotation */
		adopt(node, node_r_l, !side);
		adopt(node_r, node, side);
		adopt(n, node_r, i);
	} else if (node_r_l) {
		/* double rotation */
		plc_block_t *node_r_l_l = node_r_l->child[side];
		plc_block_t *node_r_l_r = node_r_l->child[!side];

		adopt(node, node_r_l_l, !side);
		adopt(node_r, node_r_l_r, side);
		adopt(node_r_l, node, side);
		adopt(node_r_l, node_r, !side);
		adopt(n, node_r_l, i);
	}
}

static void
rebalance_subtree(plc_block_t *n, plc_block_t *node)
{
	int v = child_depth(node, RIGHT) - child_depth(node, LEFT);

	if (v > -2 && v < 2)
		return;
	rotate_subtree(n, node, v < 0);
}

static void
tree_insert(plc_block_t *n, plc_block_t *node)
{
	/* Below the sentinel, equal addresses go right, as in core. */
	int side = n->parent ? (node->addr >= n->addr) : LEFT;

	if (n->child[side])
		tree_insert(n->child[side], node);
	else
		adopt(n, node, side);

	recompute_depth(n);
	if (n->parent)
		rebalance_subtree(n->parent, n);
}

static void
tree_remove(plc_block_t *n)
{
	plc_block_t *lp = NULL;
	plc_block_t *l = n->child[LEFT];

	if (l) {
		while (l->child[RIGHT])
			l = l->child[RIGHT];

		/* isolate the right-most node of the left subtree */
		if (l == n->child[LEFT])
			adopt(n, l->child[LEFT], LEFT);
		else
			adopt(l->parent, l->child[LEFT], RIGHT);

		if (l->parent != n)
			lp = l->parent;

		/* put l where n was */
		for (int i = 0; i < 2; i++)
			if (n->parent->child[i] == n)
				adopt(n->parent, l, i);
		adopt(l, n->child[LEFT], LEFT);
		adopt(l, n->child[RIGHT], RIGHT);
	} else {
		for (int i = 0; i < 2; i++)
			if (n->parent->child[i] == n)
				adopt(n->parent, n->child[RIGHT], i);
	}

	while (lp && lp->parent) {
		plc_block_t *lpp = lp->parent;
		rebalance_subtree(lpp, lp);
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

/* Block::_fits */
static bool
fits(const plc_t *p, const plc_block_t *b, uint64_t n, unsigned align,
     uint64_t from, uint64_t to)
{
	uint64_t a = align_up(p, max_u64(b->addr, from), align);

	return a >= b->addr && sum_in_range(p, a, n) &&
	       ((a - b->addr + n) & p->word_mask) <= avail(b) &&
	       last_byte(p, a, n) <= to;
}

/* Block::find_best_fit */
static plc_block_t *
find_best_fit(const plc_t *p, plc_block_t *b, uint64_t size, unsigned align,
              uint64_t from, uint64_t to)
{
	/* visit the child with the smaller max_avail first; a tie goes left */
	int side = child_max_avail(b, RIGHT) < child_max_avail(b, LEFT);

	for (int i = 0; i < 2; i++, side = !side) {
		plc_block_t *res;

		if (child_max_avail(b, side) < size)
			continue;
		res = b->child[side] ? find_best_fit(p, b->child[side], size, align, from, to) : NULL;
		if (res)
			return (fits(p, b, size, align, from, to) && size < res->size) ? b : res;
	}
	return fits(p, b, size, align, from, to) ? b : NULL;
}

/* Block::find_by_address: the block containing (or, with overlap, touching) the range. */
static plc_block_t *
find_by_address(const plc_t *p, uint64_t addr, uint64_t size, bool check_overlap)
{
	plc_block_t *b = p->root.child[LEFT];

	if (size == 0)
		size = 1;
	while (b) {
		uint64_t b_last = last_byte(p, b->addr, b->size);
		uint64_t last = last_byte(p, addr, size);

		if (check_overlap && last >= b->addr && b_last >= addr)
			return b;
		if (addr >= b->addr && last <= b_last)
			return b;
		b = b->child[addr >= b->addr];
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
	tree_insert(&p->root, b);
	p->blocks++;
}

static void
destroy_block(plc_t *p, plc_block_t *b)
{
	tree_remove(b);
	p->blocks--;
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
	rme_err_t err = md_alloc(p, b1);

	if (err != RME_OK)
		return err;
	err = md_alloc(p, b2);
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
	if (b)
		b = by_address ? find_by_address(p, from, size, false)
		               : find_best_fit(p, b, size, align, from, to);
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
	err = md_alloc(p, &nb);
	if (err != RME_OK)
		return err;
	add_block(p, nb, new_addr, size, true);
	*out = nb;
	return RME_OK;
}

rme_err_t
plc_alloc_aligned(plc_t *p, uint64_t size, unsigned align_log2, plc_block_t **out)
{
	return allocate(p, size, align_log2, 0, p->word_mask, false, out);
}

rme_err_t
plc_alloc_addr(plc_t *p, uint64_t size, uint64_t addr, plc_block_t **out)
{
	if (!sum_in_range(p, addr, size))
		return RME_ERR_DENIED;
	return allocate(p, size, 0, addr, last_byte(p, addr, size), true, out);
}

rme_err_t
plc_add_range(plc_t *p, uint64_t addr, uint64_t size)
{
	plc_block_t *nb, *b;
	rme_err_t err;

	if (!size)
		return RME_ERR_DENIED;
	if (find_by_address(p, addr, size, true))
		return RME_ERR_DENIED;
	err = md_alloc(p, &nb);
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

void
plc_free(plc_t *p, uint64_t addr)
{
	plc_block_t *b = find_by_address(p, addr, 0, false);
	uint64_t base, size;

	if (!b || !b->used)
		return;
	base = b->addr;
	size = b->size;
	destroy_block(p, b);
	/*
	 * Cannot fail, and needs no host memory: destroy_block just put its node
	 * among the spares, where add_range takes its one node from, and the
	 * slab has more than three entries free (see allocate).
	 */
	(void)plc_add_range(p, base, size);
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
		p->alloc->free(p->alloc->ctx, b, sizeof(*b));
		b = right;
	}
}

void
plc_fini(plc_t *p)
{
	free_subtree(p, p->root.child[LEFT]);
	p->root.child[LEFT] = NULL;
	p->blocks = 0;
	while (p->spare) {
		plc_block_t *b = p->spare;
		p->spare = b->parent;
		p->alloc->free(p->alloc->ctx, b, sizeof(*b));
	}
	p->spare_count = 0;
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

int
plc_check(const plc_t *p, char *msg, size_t msglen, uint64_t *stale_out)
{
	struct check_state cs = { p, msg, msglen, 0, 0 };
	const plc_block_t *b, *prev = NULL;
	int depth;

	if (p->root.child[LEFT] && p->root.child[LEFT]->parent != &p->root) {
		snprintf(msg, msglen, "the first block is not linked to the root");
		return -1;
	}
	if (check_subtree(&cs, p->root.child[LEFT], &depth) == UINT64_MAX)
		return -1;
	if (stale_out)
		*stale_out = cs.stale;
	if (cs.count != p->blocks) {
		snprintf(msg, msglen, "%llu blocks in the tree, %llu counted",
		        (unsigned long long)cs.count, (unsigned long long)p->blocks);
		return -1;
	}
	for (b = plc_first(p); b; prev = b, b = plc_next(b)) {
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
		if (!prev->used && !b->used && prev->addr + prev->size == b->addr) {
			snprintf(msg, msglen, "free blocks 0x%llx and 0x%llx are not coalesced",
			        (unsigned long long)prev->addr, (unsigned long long)b->addr);
			return -1;
		}
	}
	return 0;
}
