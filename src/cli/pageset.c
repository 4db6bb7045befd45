/*
 * pageset.c: counted address ranges as sorted, disjoint segments
 * (pageset.h). Changes split the segments at the range's edges and then
 * work on whole segments; neighbours with equal counts are merged again.
 */
#include <stdlib.h>
#include <string.h>

#include "pageset.h"

void
pageset_free(struct pageset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* The first segment that ends after x. */
static size_t
first_after(const struct pageset *s, uint64_t x)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->v[mid].end <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
insert_at(struct pageset *s, size_t i, struct pageset_seg seg)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct pageset_seg *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	memmove(s->v + i + 1, s->v + i, (s->n - i) * sizeof(*s->v));
	s->v[i] = seg;
	s->n++;
	return 0;
}

static void
remove_range(struct pageset *s, size_t i, size_t k)
{
	if (!k)
		return;   /* also when there are no segments at all (v is NULL) */
	memmove(s->v + i, s->v + i + k, (s->n - i - k) * sizeof(*s->v));
	s->n -= k;
}

/* Make x a segment boundary. */
static int
split(struct pageset *s, uint64_t x)
{
	size_t i = first_after(s, x);
	struct pageset_seg right;

	if (i == s->n || s->v[i].start >= x)
		return 0;
	right = s->v[i];
	right.start = x;
	s->v[i].end = x;
	return insert_at(s, i + 1, right);
}

/* Merge equal neighbours around [i, j). */
static void
merge(struct pageset *s, size_t i, size_t j)
{
	size_t k = i ? i - 1 : 0;

	if (j > s->n)
		j = s->n;
	while (k + 1 < s->n && k <= j) {
		if (s->v[k].end == s->v[k + 1].start && s->v[k].count == s->v[k + 1].count) {
			s->v[k].end = s->v[k + 1].end;
			remove_range(s, k + 1, 1);
			if (j)
				j--;
		} else {
			k++;
		}
	}
}

int
pageset_set(struct pageset *s, uint64_t start, uint64_t end, uint64_t c)
{
	size_t i, j;

	if (start >= end)
		return 0;
	if (split(s, start) || split(s, end))
		return -1;
	i = first_after(s, start);
	for (j = i; j < s->n && s->v[j].start < end; j++)
		;
	remove_range(s, i, j - i);
	if (c && insert_at(s, i, (struct pageset_seg){ start, end, c }))
		return -1;
	merge(s, i, i + 1);
	return 0;
}

int
pageset_add(struct pageset *s, uint64_t start, uint64_t end, int *overlapped)
{
	size_t i;
	uint64_t at = start;

	*overlapped = 0;
	if (start >= end)
		return 0;
	if (split(s, start) || split(s, end))
		return -1;
	i = first_after(s, start);
	while (at < end) {
		if (i < s->n && s->v[i].start == at) {
			s->v[i].count++;
			*overlapped = 1;
			at = s->v[i].end;
			i++;
		} else {
			uint64_t hole_end = i < s->n && s->v[i].start < end ? s->v[i].start : end;
			if (insert_at(s, i, (struct pageset_seg){ at, hole_end, 1 }))
				return -1;
			at = hole_end;
			i++;
		}
	}
	merge(s, first_after(s, start), i + 1);
	return 0;
}

uint64_t
pageset_overlap(const struct pageset *s, uint64_t start, uint64_t end)
{
	uint64_t bytes = 0;

	for (size_t i = first_after(s, start); i < s->n && s->v[i].start < end; i++) {
		uint64_t a = s->v[i].start > start ? s->v[i].start : start;
		uint64_t b = s->v[i].end < end ? s->v[i].end : end;
		bytes += b - a;
	}
	return bytes;
}

uint64_t
pageset_bytes(const struct pageset *s, uint64_t min)
{
	uint64_t bytes = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].count >= min)
			bytes += s->v[i].end - s->v[i].start;
	return bytes;
}
