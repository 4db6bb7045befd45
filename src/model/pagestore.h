/*
 * pagestore.h: the content of a dataspace, stored sparsely.
 *
 * Only pages that were written hold host memory; every other page reads as
 * zeros. So a model of gigabytes of dataspaces stays small. Pages are found
 * through an open-addressing hash table keyed by page index.
 */
#ifndef RMEMU_PAGESTORE_H
#define RMEMU_PAGESTORE_H

#include <stdint.h>

#include <rmemu/alloc.h>
#include <rmemu/error.h>

/*
 * 16 bytes, in every dataspace: the allocator is the model's and passed in
 * (it was 8 bytes here, and the counts 64-bit: 32 bytes), and no table
 * grows past 2^31 slots, 2^30 pages (ps_write fails with HOST_NO_MEMORY).
 */
typedef struct pagestore {
	struct ps_slot *slots;  /* capacity slots, a power of two, or NULL */
	uint32_t capacity;
	uint32_t count;         /* pages held */
} pagestore_t;

void ps_init(pagestore_t *ps);
/* Free every page and the table, to alloc (the one every write used). */
void ps_fini(pagestore_t *ps, const rme_allocator_t *alloc);

/* Copy len bytes at byte offset off into buf; absent pages read as zeros. */
void ps_read(const pagestore_t *ps, uint64_t off, void *buf, uint64_t len);

/* Write len bytes at off. Either all of it is written or, on HOST_NO_MEMORY, none. */
rme_err_t ps_write(pagestore_t *ps, const rme_allocator_t *alloc, uint64_t off, const void *buf,
                   uint64_t len);

/* Make [off, off+len) read as zeros again, giving back whole pages. */
void ps_zero(pagestore_t *ps, const rme_allocator_t *alloc, uint64_t off, uint64_t len);

/*
 * A digest of the content that does not depend on the table's history:
 * the same pages with the same bytes give the same value.
 */
uint64_t ps_digest(const pagestore_t *ps);

/* Pages that hold host memory. */
static inline uint64_t
ps_pages(const pagestore_t *ps)
{
	return ps->count;
}

#endif
