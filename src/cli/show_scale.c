/*
 * show_scale.c: where nested region maps appear in the address space, and
 * the address axis 'rmemu show' draws them on.
 *
 * A 47-bit space holds 4 KiB pages and terabytes of nothing; drawn to
 * scale, a page would be a millionth of a pixel. So the axis is a
 * fisheye: every stretch between two boundaries of anything that was ever
 * there (a region of any map, seen where it appears in env, a piece of a
 * mapping, a faulter's page, the kernel's reserved ranges) gets a width
 * that grows with the logarithm of its length, so that a page and a
 * gigabyte are both visible and the bigger is still wider. A stretch
 * where nothing ever lay and that is longer than BREAK_MIN is broken: drawn
 * narrow and marked, as a broken axis would. The labels give the real
 * addresses at the boundaries. Boundaries closer together than half a
 * pixel are thinned out, so the axis stays small in the page.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "show.h"
#include "xalloc.h"

#define BREAK_MIN ((uint64_t)64 << 20)

/* ---- Windows ----------------------------------------------------------------------- */

static int
same_window(const sh_window_t *a, const sh_window_t *b)
{
	return a->lo == b->lo && a->hi == b->hi && a->shift == b->shift && a->track == b->track;
}

size_t
sh_windows(const sh_history_t *h, uint32_t step, sh_window_t **out)
{
	sh_window_t *w = NULL;
	size_t n = 0, cap = 0, limit = step == SH_ALIVE ? 4096 : 65536;

	XGROW(w, cap, 1);
	w[n++] = (sh_window_t){ 0, UINT64_MAX, 0, 0, 0 };   /* env is the first track */
	for (size_t k = 0; k < n; k++) {
		sh_window_t parent = w[k];

		if (parent.depth + 1 >= SH_MAX_DEPTH)
			continue;
		for (uint32_t j = h->track_first[parent.track]; j < h->track_first[parent.track + 1]; j++) {
			const sh_item_t *it = &h->items[h->by_track[j]];
			const sh_ds_t *ds;
			uint64_t lo, hi;
			sh_window_t child;
			int dup = 0;

			if (it->kind != SH_REGION || it->ds == SH_NONE)
				continue;
			ds = &h->ds[it->ds];
			if (ds->track == SH_NONE || (step != SH_ALIVE && !sh_alive(it, step)))
				continue;
			lo = it->start + parent.shift;
			hi = lo + it->size;
			if (hi < lo)
				hi = UINT64_MAX;
			lo = lo < parent.lo ? parent.lo : lo;
			hi = hi > parent.hi ? parent.hi : hi;
			if (lo >= hi)
				continue;
			child = (sh_window_t){ lo, hi, it->start + parent.shift - it->offset, ds->track,
			                       parent.depth + 1 };
			for (size_t i = 0; i < n && !dup; i++)
				dup = same_window(&w[i], &child);
			if (dup || n >= limit)
				continue;
			XGROW(w, cap, n + 1);
			w[n++] = child;
		}
	}
	*out = w;
	return n;
}

/* ---- The axis ------------------------------------------------------------------------ */

struct points {
	uint64_t *v;
	size_t n, cap;
};

static void
add_point(struct points *p, uint64_t a)
{
	XGROW(p->v, p->cap, p->n + 1);
	p->v[p->n++] = a;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static size_t
index_of(const uint64_t *v, size_t n, uint64_t a)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Mark the stretches [a, b) covers (cover[i] is the stretch from point i on). */
static void
cover_range(const struct points *p, int *diff, uint64_t a, uint64_t b)
{
	if (a >= b)
		return;
	diff[index_of(p->v, p->n, a)]++;
	diff[index_of(p->v, p->n, b)]--;
}

/* A stretch's width grows with the logarithm of its length: a page 1, a GiB about 7.3. */
static double
stretch_weight(uint64_t len)
{
	return 1.0 + 0.35 * log2((double)(len / SH_PAGE) + 1.0);
}

void
sh_scale_make(const sh_history_t *h, double width, sh_scale_t *s)
{
	const sh_track_t *env = &h->tracks[0];
	uint64_t top = h->wide ? (uint64_t)1 << 47 : (uint64_t)1 << 32;
	uint64_t env_end = env->base + env->size;
	struct points p = { 0 };
	sh_window_t *w;
	size_t nw = sh_windows(h, SH_ALIVE, &w);
	int *diff, *kernel;
	unsigned char *coarse;
	double *weight, total = 0, x = 0, last_x = -1;

	if (env_end > top)
		top = env_end;
	memset(s, 0, sizeof(*s));
	s->top = top;
	s->width = width;
	add_point(&p, 0);
	add_point(&p, top);
	add_point(&p, env->base);
	add_point(&p, env_end);
	for (size_t k = 0; k < nw; k++) {
		if (w[k].depth + 1 > s->depth)
			s->depth = w[k].depth + 1;
		for (uint32_t j = h->track_first[w[k].track]; j < h->track_first[w[k].track + 1]; j++) {
			const sh_item_t *it = &h->items[h->by_track[j]];
			uint64_t lo = it->start + w[k].shift, hi = lo + (it->size ? it->size : SH_PAGE);

			if (it->kind == SH_FAULTER)
				lo &= ~(uint64_t)(SH_PAGE - 1);
			if (hi < lo)
				hi = UINT64_MAX;
			lo = lo < w[k].lo ? w[k].lo : lo;
			hi = hi > w[k].hi ? w[k].hi : hi;
			if (lo < hi && hi <= top) {
				add_point(&p, lo);
				add_point(&p, hi);
			}
		}
	}
	if (h->pieces != SH_NONE)
		for (uint32_t j = h->track_first[h->pieces]; j < h->track_first[h->pieces + 1]; j++) {
			const sh_item_t *it = &h->items[h->by_track[j]];
			add_point(&p, it->start);
			add_point(&p, it->start + it->size);
		}
	qsort(p.v, p.n, sizeof(*p.v), cmp_u64);
	{
		size_t u = 0;
		for (size_t i = 0; i < p.n; i++)
			if ((i == 0 || p.v[i] != p.v[u - 1]) && p.v[i] <= top)
				p.v[u++] = p.v[i];
		p.n = u;
	}
	/* what was ever there: env's regions (nested ones lie inside them), pieces, the kernel's */
	diff = xcalloc(p.n + 1, sizeof(int));
	kernel = xcalloc(p.n + 1, sizeof(int));
	coarse = xcalloc(p.n + 1, 1);
	coarse[0] = coarse[p.n - 1] = 1;
	coarse[index_of(p.v, p.n, env->base)] = coarse[index_of(p.v, p.n, env_end)] = 1;
	for (uint32_t j = h->track_first[0]; j < h->track_first[1]; j++) {
		const sh_item_t *it = &h->items[h->by_track[j]];
		if (it->kind == SH_REGION) {
			cover_range(&p, diff, it->start, it->start + it->size);
			coarse[index_of(p.v, p.n, it->start)] = 1;
			if (it->start + it->size <= top)
				coarse[index_of(p.v, p.n, it->start + it->size)] = 1;
		}
	}
	if (h->pieces != SH_NONE)
		for (uint32_t j = h->track_first[h->pieces]; j < h->track_first[h->pieces + 1]; j++) {
			const sh_item_t *it = &h->items[h->by_track[j]];
			cover_range(&p, diff, it->start, it->start + it->size);
		}
	cover_range(&p, kernel, 0, env->base);
	cover_range(&p, kernel, env_end, top);
	/*
	 * Two levels, so that ten thousand pieces inside one region of env do
	 * not squeeze env's other regions to nothing: env's stretches (between
	 * the boundaries of its own regions and the kernel's ranges) share the
	 * width by their own weights, and each shares its part among the finer
	 * stretches inside it by theirs.
	 */
	weight = xcalloc(p.n, sizeof(double));
	s->broken = xcalloc(p.n, 1);
	for (size_t i = 0, c = 0, k = 0; i + 1 < p.n; i++) {
		uint64_t len = p.v[i + 1] - p.v[i];

		c += (size_t)diff[i];
		k += (size_t)kernel[i];
		weight[i] = stretch_weight(len);
		if ((k || !c) && len >= BREAK_MIN) {
			/* nothing ever there (or only the kernel's reservation): narrow, and marked */
			weight[i] = k ? 3.0 : 2.0;
			s->broken[i] = 1;
		}
	}
	for (size_t i = 0; i + 1 < p.n;) {
		size_t j = i + 1;
		double sum = weight[i];

		while (j + 1 < p.n && !coarse[j]) {
			sum += weight[j];
			j++;
		}
		/* [p.v[i], p.v[j]) is one of env's stretches, made of the finer ones i .. j-1 */
		{
			/* and a stretch with more inside it gets more room to show it */
			double part = s->broken[i] && j == i + 1 ? weight[i]
			              : stretch_weight(p.v[j] - p.v[i]) * (1.0 + 0.5 * log2((double)(j - i)));
			for (size_t m = i; m < j; m++)
				weight[m] = part * weight[m] / sum;
			total += part;
		}
		i = j;
	}
	s->addr = xcalloc(p.n, sizeof(uint64_t));
	s->x = xcalloc(p.n, sizeof(double));
	for (size_t i = 0; i < p.n; i++) {
		int keep = i == 0 || i + 1 == p.n || s->broken[i] || (i && s->broken[i - 1]) ||
		           x - last_x >= 0.5;

		if (keep) {
			s->addr[s->n] = p.v[i];
			s->x[s->n] = x;
			s->broken[s->n] = s->broken[i];
			s->n++;
			last_x = x;
		}
		if (i + 1 < p.n)
			x += weight[i] * width / total;
	}
	s->x[s->n - 1] = width;
	free(weight);
	free(coarse);
	free(diff);
	free(kernel);
	free(p.v);
	free(w);
}

void
sh_scale_free(sh_scale_t *s)
{
	free(s->addr);
	free(s->x);
	free(s->broken);
	memset(s, 0, sizeof(*s));
}

double
sh_scale_x(const sh_scale_t *s, uint64_t a)
{
	size_t i;

	if (a <= s->addr[0])
		return 0;
	if (a >= s->addr[s->n - 1])
		return s->width;
	i = index_of(s->addr, s->n, a);   /* addr[i-1] < a <= addr[i] */
	return s->x[i - 1] + (s->x[i] - s->x[i - 1]) * ((double)(a - s->addr[i - 1]) /
	                                               (double)(s->addr[i] - s->addr[i - 1]));
}
