/*
 * pageset.h: a set of address ranges, each byte with a count (how many
 * mappings hold it), kept as sorted, disjoint segments. rmemu compare
 * keeps the application's view of its mappings in one and the ranges it
 * unmapped in another.
 */
#ifndef RMEMU_PAGESET_H
#define RMEMU_PAGESET_H

#include <stddef.h>
#include <stdint.h>

struct pageset_seg {
	uint64_t start, end;   /* [start, end), end > start */
	uint64_t count;        /* > 0 */
};

struct pageset {
	struct pageset_seg *v;
	size_t n, cap;
};

void pageset_free(struct pageset *s);

/* Every byte of [start, end) gets count c (0 removes the range). -1 if out of memory. */
int pageset_set(struct pageset *s, uint64_t start, uint64_t end, uint64_t c);

/*
 * Every byte of [start, end) gets one more; *overlapped says whether any
 * already had a count. -1 if out of memory.
 */
int pageset_add(struct pageset *s, uint64_t start, uint64_t end, int *overlapped);

/* Bytes of [start, end) that have a count. */
uint64_t pageset_overlap(const struct pageset *s, uint64_t start, uint64_t end);

/* Bytes with a count of at least min. */
uint64_t pageset_bytes(const struct pageset *s, uint64_t min);

#endif
