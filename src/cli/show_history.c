/*
 * show_history.c: the history 'rmemu show' draws (show.h): the trace
 * replayed on the model, and after every operation whatever it changed
 * noted as items born and items dead.
 *
 * Why not look at everything after every operation: a trace of 10^5
 * mappings would then cost 10^10 steps. Each operation touches a known
 * part of the state: an attach or detach one range of one region map, an
 * mmap call one or two address ranges of the area, an access the queues
 * of faulters; only freeing a dataspace or destroying a region map can
 * reach anywhere, and those look everywhere. So the history keeps its own
 * copy of what lives (a treap per region map, ordered by address) and
 * compares only the ranges an operation touched. A range grows until no
 * item crosses its edge, so that a region or piece that changed is always
 * compared whole. --verify (the tests use it) compares everything after
 * every operation as well and reports anything the ranges missed.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "show.h"
#include "xalloc.h"

/* ---- Capabilities to indices ---------------------------------------------------- */

static uint32_t
capmap_get(const sh_capmap_t *m, uint64_t key)
{
	if (!m->cap)
		return SH_NONE;
	for (size_t i = (key * 0x9e3779b97f4a7c15ULL) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key)
			return m->vals[i];
		if (!m->keys[i])
			return SH_NONE;
	}
}

static void
capmap_put(sh_capmap_t *m, uint64_t key, uint32_t val)
{
	if (2 * (m->n + 1) > m->cap) {
		sh_capmap_t bigger = { xcalloc(m->cap ? 2 * m->cap : 64, sizeof(uint64_t)),
		                       xcalloc(m->cap ? 2 * m->cap : 64, sizeof(uint32_t)),
		                       m->cap ? 2 * m->cap : 64, 0 };
		for (size_t i = 0; i < m->cap; i++)
			if (m->keys[i])
				capmap_put(&bigger, m->keys[i], m->vals[i]);
		free(m->keys);
		free(m->vals);
		*m = bigger;
	}
	for (size_t i = (key * 0x9e3779b97f4a7c15ULL) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key || !m->keys[i]) {
			m->n += !m->keys[i];
			m->keys[i] = key;
			m->vals[i] = val;
			return;
		}
	}
}

/* ---- The treap of a track's live items, ordered by start ------------------------------ */

static uint32_t
random32(sh_history_t *h)
{
	h->rng ^= h->rng << 13;
	h->rng ^= h->rng >> 7;
	h->rng ^= h->rng << 17;
	return (uint32_t)(h->rng >> 16);
}

static void
treap_split(sh_item_t *v, uint32_t t, uint64_t key, uint32_t *l, uint32_t *r)
{
	/* l: starts below key, r: the rest */
	if (t == SH_NONE) {
		*l = *r = SH_NONE;
	} else if (v[t].start < key) {
		treap_split(v, v[t].right, key, &v[t].right, r);
		*l = t;
	} else {
		treap_split(v, v[t].left, key, l, &v[t].left);
		*r = t;
	}
}

static uint32_t
treap_merge(sh_item_t *v, uint32_t l, uint32_t r)
{
	if (l == SH_NONE)
		return r;
	if (r == SH_NONE)
		return l;
	if (v[l].prio > v[r].prio) {
		v[l].right = treap_merge(v, v[l].right, r);
		return l;
	}
	v[r].left = treap_merge(v, l, v[r].left);
	return r;
}

static void
treap_insert(sh_item_t *v, uint32_t *root, uint32_t n)
{
	uint32_t l, r;

	v[n].left = v[n].right = SH_NONE;
	treap_split(v, *root, v[n].start, &l, &r);
	*root = treap_merge(v, treap_merge(v, l, n), r);
}

static void
treap_remove(sh_item_t *v, uint32_t *root, uint32_t n)
{
	uint32_t *at = root;

	while (*at != SH_NONE && *at != n)
		at = v[n].start < v[*at].start ? &v[*at].left : &v[*at].right;
	if (*at == n)
		*at = treap_merge(v, v[n].left, v[n].right);
}

static uint64_t
end_of(const sh_item_t *it)
{
	return it->start + it->size < it->start ? UINT64_MAX : it->start + it->size;
}

/* The live items overlapping [lo, hi), in address order, into h->was. */
static void
treap_collect(sh_history_t *h, uint32_t t, uint64_t lo, uint64_t hi)
{
	const sh_item_t *it;

	if (t == SH_NONE)
		return;
	it = &h->items[t];
	if (end_of(it) > lo)
		treap_collect(h, it->left, lo, hi);
	if (it->start < hi && end_of(it) > lo) {
		XGROW(h->was, h->was_cap, h->nwas + 1);
		h->was[h->nwas++] = t;
	}
	if (it->start < hi)
		treap_collect(h, h->items[t].right, lo, hi);
}

/* ---- Tracks and dataspaces -------------------------------------------------------- */

static uint32_t track_intern(sh_history_t *h, rme_cap_t rm, const char *name);

static uint32_t
ds_intern(sh_history_t *h, rme_cap_t cap, int chunk)
{
	uint32_t i = capmap_get(&h->ds_of, cap);
	rme_ds_info_t info;
	sh_ds_t *d;

	if (i != SH_NONE)
		return i;
	XGROW(h->ds, h->ds_cap, h->nds + 1);
	i = (uint32_t)h->nds++;
	d = &h->ds[i];
	memset(d, 0, sizeof(*d));
	d->cap = cap;
	d->track = SH_NONE;
	d->born = h->step;
	capmap_put(&h->ds_of, cap, i);
	if (rme_ds_info(h->model, cap, &info) != RME_OK) {
		snprintf(d->name, sizeof(d->name), "ds %" PRIu64, cap);
		return i;
	}
	d->size = info.size;
	d->kind = info.kind == RME_DS_ROM ? SH_DS_ROM : info.kind == RME_DS_MANAGED ? SH_DS_MANAGED
	          : chunk ? SH_DS_CHUNK : SH_DS_RAM;
	if (info.layout_name) {
		snprintf(d->name, sizeof(d->name), "%s", info.layout_name);
		if (d->kind != SH_DS_MANAGED)
			d->kind = SH_DS_LAYOUT;
	} else if (chunk) {
		snprintf(d->name, sizeof(d->name), "chunk %" PRIu64, cap);
	} else {
		snprintf(d->name, sizeof(d->name), "ds %" PRIu64, cap);
	}
	if (info.kind == RME_DS_MANAGED) {
		uint32_t t = track_intern(h, info.rm, info.layout_name);
		h->ds[i].track = t;
		if (!info.layout_name)   /* named after its region map */
			snprintf(h->ds[i].name, sizeof(h->ds[i].name), "%s", h->tracks[t].name);
	}
	return i;
}

static uint32_t
track_intern(sh_history_t *h, rme_cap_t rm, const char *name)
{
	uint32_t i = capmap_get(&h->track_of, rm);
	rme_rm_info_t info;
	sh_track_t *t;

	if (i != SH_NONE)
		return i;
	XGROW(h->tracks, h->tracks_cap, h->ntracks + 1);
	i = (uint32_t)h->ntracks++;
	t = &h->tracks[i];
	memset(t, 0, sizeof(*t));
	t->kind = SH_TRACK_RM;
	t->cap = rm;
	t->born = h->step;
	t->died = SH_ALIVE;
	t->root = SH_NONE;
	if (rme_rm_info(h->model, rm, &info) == RME_OK) {
		t->base = info.base;
		t->size = info.size;
	}
	snprintf(t->name, sizeof(t->name), "%s", name ? name : "region map");
	capmap_put(&h->track_of, rm, i);
	XGROW(h->pending, h->pending_cap, h->npending + 1);
	h->pending[h->npending++] = i;
	return i;
}

/* ---- Looking at the model ---------------------------------------------------------- */

struct collect {
	sh_history_t *h;
	uint32_t track;
};

static sh_item_t *
now_next(sh_history_t *h)
{
	sh_item_t *it;

	XGROW(h->now, h->now_cap, h->nnow + 1);
	it = &h->now[h->nnow++];
	memset(it, 0, sizeof(*it));
	return it;
}

static int
collect_region(void *ctx, const rme_region_info_t *r)
{
	struct collect *c = ctx;
	sh_history_t *h = c->h;
	uint32_t ds = r->ds ? ds_intern(h, r->ds, c->track == h->area) : SH_NONE;
	sh_item_t *it = now_next(h);

	it->kind = SH_REGION;
	it->track = c->track;
	it->start = r->base;
	it->size = r->size;
	it->offset = r->offset;
	it->ds = ds;
	it->rights = (uint8_t)(SH_R | (r->writeable ? SH_W : 0) | (r->executable ? SH_X : 0));
	it->reserved = (uint8_t)r->reserved;
	return 0;
}

static int
collect_piece(void *ctx, const rme_mmap_piece_t *p)
{
	struct collect *c = ctx;
	sh_history_t *h = c->h;
	uint32_t ds = p->chunk ? ds_intern(h, p->chunk, 1) : SH_NONE;
	sh_item_t *it = now_next(h);

	it->kind = SH_PIECE;
	it->track = c->track;
	it->start = p->start;
	it->size = p->len;
	it->offset = p->offset;
	it->chunk_offset = p->chunk_offset;
	it->ds = ds;
	it->rights = (uint8_t)(p->prot & 7);
	it->flags = (uint16_t)p->flags;
	it->vma_start = (uint8_t)p->vma_start;
	return 0;
}

/* What the model has now in [lo, hi) of track t, into h->now; whether the map still exists. */
static int
look(sh_history_t *h, uint32_t t, uint64_t lo, uint64_t hi)
{
	struct collect c = { h, t };
	sh_track_t *tr = &h->tracks[t];

	h->nnow = 0;
	if (tr->kind == SH_TRACK_PIECES)
		return rme_mmap_pieces_in(h->mmap, lo, hi, collect_piece, &c) == 0;
	return rme_rm_regions_in(h->model, tr->cap, lo, hi, collect_region, &c) == RME_OK;
}

static int
same_item(const sh_item_t *a, const sh_item_t *b)
{
	return a->start == b->start && a->size == b->size && a->offset == b->offset &&
	       a->chunk_offset == b->chunk_offset && a->ds == b->ds && a->rights == b->rights &&
	       a->reserved == b->reserved && a->flags == b->flags && a->vma_start == b->vma_start;
}

static void
kill_item(sh_history_t *h, uint32_t i)
{
	sh_item_t *it = &h->items[i];

	it->died = h->step;
	if (it->kind != SH_FAULTER)
		treap_remove(h->items, &h->tracks[it->track].root, i);
	h->changes++;
}

static uint32_t
birth(sh_history_t *h, const sh_item_t *proto)
{
	uint32_t i;

	XGROW(h->items, h->items_cap, h->nitems + 1);
	if (h->nitems >= SH_NONE - 1) {
		fputs("rmemu show: too many items\n", stderr);
		exit(EXIT_USAGE);
	}
	i = (uint32_t)h->nitems++;
	h->items[i] = *proto;
	h->items[i].born = h->step;
	h->items[i].died = SH_ALIVE;
	h->items[i].prio = random32(h);
	if (proto->kind != SH_FAULTER)
		treap_insert(h->items, &h->tracks[proto->track].root, i);
	h->changes++;
	return i;
}

/*
 * Compare [lo, hi) of track t with the model, grown until no item on
 * either side crosses its edges, and note what was born and what died.
 */
static void
diff_range(sh_history_t *h, uint32_t t, uint64_t lo, uint64_t hi)
{
	size_t i = 0, j = 0, nkill = 0;
	int exists;

	if (lo >= hi)
		return;
	for (;;) {
		uint64_t nlo = lo, nhi = hi;

		exists = look(h, t, lo, hi);
		h->nwas = 0;
		treap_collect(h, h->tracks[t].root, lo, hi);
		for (size_t k = 0; k < h->nnow; k++) {
			nlo = h->now[k].start < nlo ? h->now[k].start : nlo;
			nhi = end_of(&h->now[k]) > nhi ? end_of(&h->now[k]) : nhi;
		}
		for (size_t k = 0; k < h->nwas; k++) {
			const sh_item_t *it = &h->items[h->was[k]];
			nlo = it->start < nlo ? it->start : nlo;
			nhi = end_of(it) > nhi ? end_of(it) : nhi;
		}
		if (nlo == lo && nhi == hi)
			break;
		lo = nlo;
		hi = nhi;
	}
	if (!exists && h->tracks[t].died == SH_ALIVE && h->tracks[t].kind == SH_TRACK_RM)
		h->tracks[t].died = h->step;
	/* h->was keeps the items to kill at its front; the ones that stay drop out */
	while (i < h->nnow || j < h->nwas) {
		const sh_item_t *w = j < h->nwas ? &h->items[h->was[j]] : NULL;
		const sh_item_t *n = i < h->nnow ? &h->now[i] : NULL;

		if (!n || (w && w->start < n->start)) {
			h->was[nkill++] = h->was[j++];
		} else if (!w || n->start < w->start) {
			h->now[i++].born = 0;
		} else if (same_item(w, n)) {
			h->now[i++].born = SH_ALIVE;   /* stays: no birth */
			j++;
		} else {
			h->was[nkill++] = h->was[j++];
			h->now[i++].born = 0;
		}
	}
	for (size_t k = 0; k < nkill; k++)
		kill_item(h, h->was[k]);
	for (size_t k = 0; k < h->nnow; k++)
		if (h->now[k].born != SH_ALIVE)
			birth(h, &h->now[k]);
}

static void
diff_all(sh_history_t *h, uint32_t t)
{
	diff_range(h, t, 0, UINT64_MAX);
}

/* The queue of faulters of track t against the model's, in order. */
static int
collect_faulter(void *ctx, const rme_fault_t *f)
{
	struct collect *c = ctx;
	sh_item_t *it = now_next(c->h);

	it->kind = SH_FAULTER;
	it->track = c->track;
	it->start = f->addr;
	it->rights = (uint8_t)f->type;
	it->ds = SH_NONE;
	return 0;
}

static void
diff_faulters(sh_history_t *h, uint32_t t)
{
	struct collect c = { h, t };
	sh_track_t *tr = &h->tracks[t];
	size_t i = 0, kept = 0;

	h->nnow = 0;
	if (tr->kind != SH_TRACK_RM)
		return;
	(void)rme_rm_faulters(h->model, tr->cap, collect_faulter, &c);
	/* the oldest that are still queued stay; the rest left, or came */
	for (size_t j = 0; j < tr->nfaulters; j++) {
		sh_item_t *old = &h->items[tr->faulters[j]];

		if (i < h->nnow && old->start == h->now[i].start && old->rights == h->now[i].rights) {
			tr->faulters[kept++] = tr->faulters[j];
			i++;
		} else {
			kill_item(h, tr->faulters[j]);
		}
	}
	tr->nfaulters = kept;
	for (; i < h->nnow; i++) {
		uint32_t n = birth(h, &h->now[i]);
		tr = &h->tracks[t];
		XGROW(tr->faulters, tr->faulters_cap, tr->nfaulters + 1);
		tr->faulters[tr->nfaulters++] = n;
	}
}

static void
look_at_pending(sh_history_t *h)
{
	while (h->npending) {
		uint32_t t = h->pending[--h->npending];
		diff_all(h, t);
	}
}

static void
look_everywhere(sh_history_t *h, int faulters_too)
{
	for (uint32_t t = 0; t < h->ntracks; t++) {
		if (h->tracks[t].died != SH_ALIVE)
			continue;
		diff_all(h, t);
		if (faulters_too)
			diff_faulters(h, t);
	}
	look_at_pending(h);
}

static void
look_at_faulters(sh_history_t *h)
{
	for (uint32_t t = 0; t < h->ntracks; t++)
		if (h->tracks[t].handler && h->tracks[t].died == SH_ALIVE)
			diff_faulters(h, t);
}

/* ---- Following the replay ------------------------------------------------------------ */

static void
note_quota(sh_history_t *h)
{
	rme_quota_t q;
	sh_quota_t *out = &h->quota[h->step];

	rme_quota(h->model, &q);
	out->ram = q.ram_used;
	out->caps = q.cap_used;
	rme_rm_session_donation(h->model, &out->rm_ram, &out->rm_caps);
	h->ram_quota = q.ram_quota;
	h->cap_quota = q.cap_quota;
}

static void
on_start(void *ctx, const rme_replay_step_t *step)
{
	sh_history_t *h = ctx;
	uint32_t env;

	h->model = step->model;
	h->mmap = step->mmap;
	h->step = 0;
	env = track_intern(h, rme_env(step->model), "env");
	h->tracks[env].is_env = 1;
	if (step->mmap) {
		rme_mmap_stats_t st;
		uint32_t p;

		rme_mmap_stats(step->mmap, &st);
		h->area_base = st.area_base;
		h->area = track_intern(h, st.area_rm, "mmap area");
		h->tracks[h->area].is_area = 1;
		XGROW(h->tracks, h->tracks_cap, h->ntracks + 1);
		p = (uint32_t)h->ntracks++;
		memset(&h->tracks[p], 0, sizeof(h->tracks[p]));
		h->tracks[p].kind = SH_TRACK_PIECES;
		h->tracks[p].base = st.area_base;
		h->tracks[p].size = st.area_size;
		h->tracks[p].died = SH_ALIVE;
		h->tracks[p].root = SH_NONE;
		snprintf(h->tracks[p].name, sizeof(h->tracks[p].name), "mmap mappings");
		if (rme_mmap_pieces_in(step->mmap, 0, 1, collect_piece, &(struct collect){ h, p }) == 0) {
			h->pieces = p;
			XGROW(h->pending, h->pending_cap, h->npending + 1);
			h->pending[h->npending++] = p;
		} else {
			h->ntracks--;
			fprintf(stderr, "%s: the mmap policy '%s' cannot show its pieces; its mappings are left out\n",
			        h->path, rme_mmap_policy(step->mmap));
		}
	}
	look_at_pending(h);
	note_quota(h);
}

/* A range of the address space that an mmap call touched: the pieces there and the area's regions. */
static void
touched(sh_history_t *h, uint64_t addr, uint64_t len)
{
	uint64_t lo, hi;

	if (!len)
		return;
	lo = addr & ~(uint64_t)(SH_PAGE - 1);
	hi = addr + len < addr ? UINT64_MAX : addr + len;
	/* a page more on either side: a neighbour's VMA may begin or end there now */
	lo = lo >= SH_PAGE ? lo - SH_PAGE : 0;
	hi = hi <= UINT64_MAX - 2 * SH_PAGE ? hi + 2 * SH_PAGE : UINT64_MAX;
	if (h->pieces != SH_NONE)
		diff_range(h, h->pieces, lo, hi);
	if (h->area != SH_NONE)
		diff_range(h, h->area, lo > h->area_base ? lo - h->area_base : 0,
		           hi > h->area_base ? hi - h->area_base : 0);
}

static uint32_t
track_of_slot(sh_history_t *h, const uint64_t *slots, int slot)
{
	return track_intern(h, slots[slot], rme_trace_slot_name(h->trace, slot));
}

static void
follow(sh_history_t *h, const rme_replay_step_t *step)
{
	const rme_trace_op_t *op = step->op;
	const rme_trace_result_t *res = step->actual;
	const uint64_t *slots = step->slots;
	uint64_t a;

	/* names first: what the operation made is drawn with the name the trace gave it */
	if (op->bind_slot >= 0 && slots[op->bind_slot]) {
		rme_trace_slot_kind_t k = rme_trace_slot_kind(h->trace, op->bind_slot);
		const char *name = rme_trace_slot_name(h->trace, op->bind_slot);

		if (k == RME_TRACE_SLOT_REGION_MAP) {
			uint32_t t = track_intern(h, slots[op->bind_slot], name);
			snprintf(h->tracks[t].name, sizeof(h->tracks[t].name), "%s", name);
		} else if (k == RME_TRACE_SLOT_DATASPACE) {
			uint32_t d = ds_intern(h, slots[op->bind_slot], 0);
			if (op->kind != RME_TRACE_OP_RM_DATASPACE)
				snprintf(h->ds[d].name, sizeof(h->ds[d].name), "%s", name);
			else if (h->ds[d].track != SH_NONE)
				snprintf(h->ds[d].name, sizeof(h->ds[d].name), "%s", name);
		}
	}
	switch (op->kind) {
	case RME_TRACE_OP_ATTACH:
		if (res->kind == RME_TRACE_RESULT_VALUE)
			diff_range(h, track_of_slot(h, slots, op->u.attach.rm), res->value, res->value + 1);
		look_at_pending(h);
		look_at_faulters(h);
		break;
	case RME_TRACE_OP_DETACH:
		a = rme_trace_addr_eval(&op->u.detach.addr, slots);
		diff_range(h, track_of_slot(h, slots, op->u.detach.rm), a, a + 1);
		break;
	case RME_TRACE_OP_RAM_FREE:
	case RME_TRACE_OP_RM_DESTROY:
		/* a dataspace's regions, wherever they are, become reserved */
		look_everywhere(h, 1);
		break;
	case RME_TRACE_OP_READ:
	case RME_TRACE_OP_WRITE:
	case RME_TRACE_OP_EXEC:
		look_at_faulters(h);
		break;
	case RME_TRACE_OP_FAULT_HANDLER:
		if (res->kind == RME_TRACE_RESULT_OK)
			h->tracks[track_of_slot(h, slots, op->u.slot)].handler = 1;
		break;
	case RME_TRACE_OP_MMAP:
		if (res->kind == RME_TRACE_RESULT_VALUE)
			touched(h, res->value, op->u.mmap.len);
		a = rme_trace_addr_eval(&op->u.mmap.addr, slots);
		if (a)
			touched(h, a, op->u.mmap.len);
		break;
	case RME_TRACE_OP_MUNMAP:
	case RME_TRACE_OP_MPROTECT:
	case RME_TRACE_OP_MADVISE:
	case RME_TRACE_OP_MSYNC:
	case RME_TRACE_OP_MLOCK:
	case RME_TRACE_OP_MUNLOCK:
		touched(h, rme_trace_addr_eval(&op->u.range.addr, slots), op->u.range.len);
		break;
	case RME_TRACE_OP_MLOCKALL:
	case RME_TRACE_OP_MUNLOCKALL:
		/* every mapping's lock changes */
		touched(h, 0, UINT64_MAX);
		break;
	case RME_TRACE_OP_MREMAP:
		touched(h, rme_trace_addr_eval(&op->u.mremap.addr, slots), op->u.mremap.old_len);
		if (res->kind == RME_TRACE_RESULT_VALUE)
			touched(h, res->value, op->u.mremap.new_len);
		if (op->u.mremap.has_fixed)
			touched(h, rme_trace_addr_eval(&op->u.mremap.fixed, slots), op->u.mremap.new_len);
		break;
	case RME_TRACE_OP_RAM_ALLOC:
	case RME_TRACE_OP_ROM:
	case RME_TRACE_OP_RM_CREATE:
	case RME_TRACE_OP_RM_DATASPACE:
	case RME_TRACE_OP_FAULT:
	case RME_TRACE_OP_EXPECT_QUOTA:
	case RME_TRACE_OP_EXPECT_LEAK_FREE:
	case RME_TRACE_OP_EXPECT_MAPPINGS:
		break;   /* nothing drawn changes */
	default:
		/* an operation this file does not know yet: drawn right, if slowly */
		look_everywhere(h, 1);
		touched(h, 0, UINT64_MAX);
		break;
	}
	look_at_pending(h);
}

static int
on_step(void *ctx, const rme_replay_step_t *step, char *msg, size_t msglen)
{
	sh_history_t *h = ctx;

	(void)msg;
	(void)msglen;
	h->step = (uint32_t)step->index + 1;
	follow(h, step);
	if (h->verify) {
		size_t before = h->changes;

		look_everywhere(h, 1);
		if (h->changes != before) {
			cli_progress_clear(&h->progress);
			fprintf(stderr, "%s:%zu: rmemu show: %zu changes outside what the operation touched\n",
			        h->path, step->op->line, h->changes - before);
			h->verify_misses += h->changes - before;
		}
	}
	note_quota(h);
	return 0;
}

static void
on_progress(void *ctx, size_t done, size_t total)
{
	sh_history_t *h = ctx;

	(void)total;
	if (done)
		cli_progress_update(&h->progress, rme_trace_op(h->trace, done - 1)->line);
}

static void
on_divergence(void *ctx, size_t line, const char *msg)
{
	sh_history_t *h = ctx;

	(void)line;
	(void)msg;
	h->divergences++;
}

/* Each track's items, in order of birth, for drawing one track at a time. */
static void
index_by_track(sh_history_t *h)
{
	uint32_t *fill = xcalloc(h->ntracks + 1, sizeof(uint32_t));

	h->track_first = xcalloc(h->ntracks + 1, sizeof(uint32_t));
	h->by_track = xcalloc(h->nitems, sizeof(uint32_t));
	for (size_t i = 0; i < h->nitems; i++)
		h->track_first[h->items[i].track + 1]++;
	for (size_t t = 0; t < h->ntracks; t++)
		h->track_first[t + 1] += h->track_first[t];
	for (size_t i = 0; i < h->nitems; i++) {
		uint32_t t = h->items[i].track;
		h->by_track[h->track_first[t] + fill[t]++] = (uint32_t)i;
	}
	free(fill);
}

int
sh_record(sh_history_t *h, rme_trace_t *trace, const char *path, int verify, int quiet)
{
	const rme_trace_directives_t *d = rme_trace_directives(trace);
	rme_replay_options_t opt;
	rme_replay_report_t rep;
	rme_err_t err;

	memset(h, 0, sizeof(*h));
	h->trace = trace;
	h->path = path;
	h->steps = rme_trace_op_count(trace) + 1;
	h->line = xcalloc(h->steps, sizeof(*h->line));
	h->quota = xcalloc(h->steps, sizeof(*h->quota));
	for (size_t s = 1; s < h->steps; s++)
		h->line[s] = (uint32_t)rme_trace_op(trace, s - 1)->line;
	h->pieces = h->area = SH_NONE;
	h->rng = 0x2545f4914f6cdd1dULL;
	h->verify = verify;
	h->kernel = rme_kernel_name(d->has_kernel ? d->kernel : RME_KERNEL_HW);
	h->arch = rme_arch_name(d->has_arch ? d->arch : RME_ARCH_X86_64);
	h->wide = !d->has_arch || d->arch == RME_ARCH_X86_64 || d->arch == RME_ARCH_ARM_V8A;

	memset(&opt, 0, sizeof(opt));
	opt.keep_going = 1;
	opt.observe = on_step;
	opt.observe_ctx = h;
	opt.start = on_start;
	opt.progress = on_progress;
	opt.progress_ctx = h;
	cli_progress_begin(&h->progress, path, "lines", cli_trace_lines(trace), quiet);
	err = rme_replay(trace, &opt, &rep, on_divergence, h);
	cli_progress_end(&h->progress);
	h->model = NULL;
	h->mmap = NULL;
	free(h->pending);
	h->pending = NULL;
	h->npending = h->pending_cap = 0;
	if (err != RME_OK) {
		fprintf(stderr, "%s: the trace cannot be replayed: %s\n", path, rme_err_str(err));
		return -1;
	}
	if (rep.operations + 1 < h->steps)
		h->steps = rep.operations + 1;
	index_by_track(h);
	return 0;
}

void
sh_history_free(sh_history_t *h)
{
	for (size_t t = 0; t < h->ntracks; t++)
		free(h->tracks[t].faulters);
	free(h->line);
	free(h->quota);
	free(h->items);
	free(h->tracks);
	free(h->ds);
	free(h->track_of.keys);
	free(h->track_of.vals);
	free(h->ds_of.keys);
	free(h->ds_of.vals);
	free(h->now);
	free(h->was);
	free(h->by_track);
	free(h->track_first);
	memset(h, 0, sizeof(*h));
}

uint32_t
sh_step_at_line(const sh_history_t *h, uint64_t line)
{
	size_t lo = 0, hi = h->steps;   /* the answer is the last step whose line <= line */

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (h->line[mid] <= line)
			lo = mid;
		else
			hi = mid;
	}
	return (uint32_t)lo;
}
