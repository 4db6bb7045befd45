/*
 * rmemu/alloc.h: the allocator interface through which all of rmemu's own
 * metadata is allocated.
 *
 * Callers may pass their own allocator (a Genode heap, a counting or
 * failure-injecting wrapper for tests). The free function receives the size
 * that was allocated, as Genode's Allocator::free does, so an implementation
 * needs no headers of its own. An alloc that returns NULL is a normal,
 * recoverable event: the operation that needed the memory fails with
 * RME_ERR_HOST_NO_MEMORY and leaves all state as it was.
 */
#ifndef RMEMU_ALLOC_H
#define RMEMU_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include <rmemu/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rme_allocator {
	/* void *alloc(void *ctx, size_t size): NULL on failure, never aborts. */
	void *(*alloc)(void *ctx, size_t size);
	/* void free(void *ctx, void *ptr, size_t size): ptr may be NULL. */
	void (*free)(void *ctx, void *ptr, size_t size);
	void *ctx;
} rme_allocator_t;

/* The default allocator: malloc and free. */
RME_EXPORT const rme_allocator_t *rme_allocator_default(void);

/*
 * A counting allocator that wraps another one, for tests and benchmarks:
 * it tracks the bytes and blocks that are live and can be told to fail.
 * fail_at counts allocations from 1: the fail_at-th allocation after
 * rme_counting_reset() fails; if fail_persist is set, every one after it
 * fails too. fail_at = 0 never fails.
 */
typedef struct rme_counting_allocator {
	rme_allocator_t iface;          /* pass &iface to the library */
	const rme_allocator_t *backing; /* where the memory really comes from */
	size_t live_bytes;
	size_t live_blocks;
	size_t peak_bytes;
	uint64_t allocs;                /* allocation calls since reset */
	uint64_t failures;              /* allocations refused since reset */
	uint64_t fail_at;
	int fail_persist;
} rme_counting_allocator_t;

/* Set up a counting allocator over backing (NULL means the default). */
RME_EXPORT void rme_counting_init(rme_counting_allocator_t *ca,
                                  const rme_allocator_t *backing);

/* Arm (or with fail_at = 0, disarm) failure injection; clears the counters. */
RME_EXPORT void rme_counting_fail(rme_counting_allocator_t *ca,
                                  uint64_t fail_at, int persist);

#ifdef __cplusplus
}
#endif
#endif
