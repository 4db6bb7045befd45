/*
 * util.h: small arithmetic helpers shared by the model's files.
 */
#ifndef RMEMU_UTIL_H
#define RMEMU_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#define RME_PAGE_MASK ((uint64_t)4095)

/* Round up to whole pages; false if that overflows 64 bits. */
static inline bool
page_round_up(uint64_t n, uint64_t *out)
{
	if (n > UINT64_MAX - RME_PAGE_MASK)
		return false;
	*out = (n + RME_PAGE_MASK) & ~RME_PAGE_MASK;
	return true;
}

static inline bool
page_aligned(uint64_t n)
{
	return (n & RME_PAGE_MASK) == 0;
}

/* Genode's log2(value, 0): the index of the highest set bit. */
static inline unsigned
log2_floor(uint64_t v)
{
	unsigned r = 0;

	while (v >>= 1)
		r++;
	return r;
}

#endif
