/*
 * pagestore.c: sparse dataspace content (see pagestore.h).
 *
 * Linear probing with backward-shift deletion keeps lookups short without
 * tombstones, so a store that is written and zeroed over and over does not
 * degrade.
 */
#include <string.h>

#include "pagestore.h"

enum { PS_PAGE = 4096 };

/* The largest table: its capacity and the count below it fit the header's 32 bits. */
#define PS_CAPACITY_MAX ((uint64_t)1 << 31)

struct ps_slot {
	uint64_t index;     /* page index + 1; 0 marks an empty slot */
	uint8_t *page;
};

static uint64_t
hash_index(uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return key;
}

void
ps_init(pagestore_t *ps)
{
	memset(ps, 0, sizeof(*ps));
}

void
ps_fini(pagestore_t *ps, const rme_allocator_t *alloc)
{
	for (uint64_t i = 0; i < ps->capacity; i++)
		if (ps->slots[i].index)
			alloc->free(alloc->ctx, ps->slots[i].page, PS_PAGE);
	if (ps->slots)
		alloc->free(alloc->ctx, ps->slots, ps->capacity * sizeof(*ps->slots));
	ps->slots = NULL;
	ps->capacity = ps->count = 0;
}

static struct ps_slot *
find_slot(const pagestore_t *ps, uint64_t page_index)
{
	uint64_t mask = ps->capacity - 1;

	if (!ps->capacity)
		return NULL;
	for (uint64_t i = hash_index(page_index) & mask;; i = (i + 1) & mask) {
		if (ps->slots[i].index == 0)
			return NULL;
		if (ps->slots[i].index == page_index + 1)
			return &ps->slots[i];
	}
}

/* Put a slot into a table known to have room. */
static void
place_slot(struct ps_slot *slots, uint64_t capacity, struct ps_slot s)
{
	uint64_t mask = capacity - 1;
	uint64_t i = hash_index(s.index - 1) & mask;

	while (slots[i].index)
		i = (i + 1) & mask;
	slots[i] = s;
}

/* Make room for 'extra' more pages, keeping the load at most one half. */
static rme_err_t
reserve(pagestore_t *ps, const rme_allocator_t *alloc, uint64_t extra)
{
	uint64_t need = ps->count + extra, cap = ps->capacity ? ps->capacity : 8;
	struct ps_slot *slots;

	while (need > cap / 2 && cap <= PS_CAPACITY_MAX)
		cap *= 2;
	if (cap > PS_CAPACITY_MAX)
		return RME_ERR_HOST_NO_MEMORY;   /* 2^30 pages, 4 TiB of host memory */
	if (cap == ps->capacity)
		return RME_OK;
	slots = alloc->alloc(alloc->ctx, cap * sizeof(*slots));
	if (!slots)
		return RME_ERR_HOST_NO_MEMORY;
	memset(slots, 0, cap * sizeof(*slots));
	for (uint64_t i = 0; i < ps->capacity; i++)
		if (ps->slots[i].index)
			place_slot(slots, cap, ps->slots[i]);
	if (ps->slots)
		alloc->free(alloc->ctx, ps->slots, ps->capacity * sizeof(*ps->slots));
	ps->slots = slots;
	ps->capacity = (uint32_t)cap;
	return RME_OK;
}

void
ps_read(const pagestore_t *ps, uint64_t off, void *buf, uint64_t len)
{
	uint8_t *out = buf;

	while (len) {
		uint64_t in_page = off % PS_PAGE;
		uint64_t n = PS_PAGE - in_page < len ? PS_PAGE - in_page : len;
		struct ps_slot *s = find_slot(ps, off / PS_PAGE);

		if (s)
			memcpy(out, s->page + in_page, n);
		else
			memset(out, 0, n);
		out += n;
		off += n;
		len -= n;
	}
}

rme_err_t
ps_write(pagestore_t *ps, const rme_allocator_t *alloc, uint64_t off, const void *buf,
         uint64_t len)
{
	const uint8_t *in = buf;
	uint64_t first = off / PS_PAGE, last, missing = 0;
	uint8_t **fresh;
	uint64_t nfresh = 0;
	rme_err_t err;

	if (!len)
		return RME_OK;
	last = (off + len - 1) / PS_PAGE;
	for (uint64_t i = first; i <= last; i++)
		if (!find_slot(ps, i))
			missing++;

	/* Get every page and the table's room first, so that a failure changes nothing. */
	err = reserve(ps, alloc, missing);
	if (err != RME_OK)
		return err;
	fresh = missing ? alloc->alloc(alloc->ctx, missing * sizeof(*fresh)) : NULL;
	if (missing && !fresh)
		return RME_ERR_HOST_NO_MEMORY;
	for (; nfresh < missing; nfresh++) {
		fresh[nfresh] = alloc->alloc(alloc->ctx, PS_PAGE);
		if (!fresh[nfresh]) {
			while (nfresh--)
				alloc->free(alloc->ctx, fresh[nfresh], PS_PAGE);
			alloc->free(alloc->ctx, fresh, missing * sizeof(*fresh));
			return RME_ERR_HOST_NO_MEMORY;
		}
	}

	nfresh = 0;
	while (len) {
		uint64_t idx = off / PS_PAGE, in_page = off % PS_PAGE;
		uint64_t n = PS_PAGE - in_page < len ? PS_PAGE - in_page : len;
		struct ps_slot *s = find_slot(ps, idx);

		if (!s) {
			struct ps_slot ns = { idx + 1, fresh[nfresh++] };
			memset(ns.page, 0, PS_PAGE);
			place_slot(ps->slots, ps->capacity, ns);
			ps->count++;
			s = find_slot(ps, idx);
		}
		memcpy(s->page + in_page, in, n);
		in += n;
		off += n;
		len -= n;
	}
	if (fresh)
		alloc->free(alloc->ctx, fresh, missing * sizeof(*fresh));
	return RME_OK;
}

/* Remove the slot at position i, shifting later entries of its cluster back. */
static void
remove_slot(pagestore_t *ps, const rme_allocator_t *alloc, uint64_t i)
{
	uint64_t mask = ps->capacity - 1, j = i;

	alloc->free(alloc->ctx, ps->slots[i].page, PS_PAGE);
	ps->slots[i].index = 0;
	ps->count--;
	for (;;) {
		uint64_t home;

		j = (j + 1) & mask;
		if (!ps->slots[j].index)
			return;
		home = hash_index(ps->slots[j].index - 1) & mask;
		/* move j back to i if its home is not in (i, j] cyclically */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			ps->slots[i] = ps->slots[j];
			ps->slots[j].index = 0;
			i = j;
		}
	}
}

void
ps_zero(pagestore_t *ps, const rme_allocator_t *alloc, uint64_t off, uint64_t len)
{
	/*
	 * Over a range with more pages than the table has slots, scanning the
	 * table is cheaper; whole pages inside the range go, partly covered
	 * edge pages are left for the walk below.
	 */
	if (len / PS_PAGE > ps->capacity) {
		uint64_t first = (off + PS_PAGE - 1) / PS_PAGE;
		uint64_t end = (off + len) / PS_PAGE;   /* first page not wholly inside */

		for (uint64_t i = 0; i < ps->capacity; ) {
			uint64_t idx = ps->slots[i].index - 1;
			if (ps->slots[i].index && idx >= first && idx < end)
				remove_slot(ps, alloc, i);   /* a later entry may have moved to i */
			else
				i++;
		}
		ps_zero(ps, alloc, off, first * PS_PAGE - off);
		ps_zero(ps, alloc, end * PS_PAGE, off + len - end * PS_PAGE);
		return;
	}
	while (len && ps->count) {
		uint64_t idx = off / PS_PAGE, in_page = off % PS_PAGE;
		uint64_t n = PS_PAGE - in_page < len ? PS_PAGE - in_page : len;
		struct ps_slot *s = find_slot(ps, idx);

		if (s) {
			if (n == PS_PAGE)
				remove_slot(ps, alloc, (uint64_t)(s - ps->slots));
			else
				memset(s->page + in_page, 0, n);
		}
		off += n;
		len -= n;
	}
}

uint64_t
ps_digest(const pagestore_t *ps)
{
	uint64_t sum = 0;

	/*
	 * FNV-1a over each page, a word at a time (a byte at a time took most
	 * of the model fuzzer's time, which digests after every failed call);
	 * the pages' hashes are added, so order does not matter.
	 */
	for (uint64_t i = 0; i < ps->capacity; i++) {
		uint64_t h = 0xcbf29ce484222325ULL ^ ps->slots[i].index;

		if (!ps->slots[i].index)
			continue;
		for (unsigned b = 0; b < PS_PAGE; b += sizeof(uint64_t)) {
			uint64_t w;

			memcpy(&w, ps->slots[i].page + b, sizeof(w));
			h = (h ^ w) * 0x100000001b3ULL;
		}
		sum += hash_index(h);
	}
	return sum;
}
