/*
 * alloc.c: the default allocator and the counting, failure-injecting
 * allocator that tests and benchmarks wrap around it.
 */
#include <stdlib.h>

#include <rmemu/alloc.h>

static void *
default_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size ? size : 1);
}

static void
default_free(void *ctx, void *ptr, size_t size)
{
	(void)ctx;
	(void)size;
	free(ptr);
}

static const rme_allocator_t default_allocator = {
	default_alloc, default_free, NULL
};

const rme_allocator_t *
rme_allocator_default(void)
{
	return &default_allocator;
}

/*
 * A place to set a breakpoint: every injected failure passes through here
 * (the same idea as SQLite's sqlite3Fault()).
 */
static void __attribute__((noinline))
counting_injected_failure(rme_counting_allocator_t *ca)
{
	ca->failures++;
}

static void *
counting_alloc(void *ctx, size_t size)
{
	rme_counting_allocator_t *ca = ctx;
	void *p;

	ca->allocs++;
	if (ca->fail_at && (ca->allocs == ca->fail_at ||
	                    (ca->fail_persist && ca->allocs > ca->fail_at))) {
		counting_injected_failure(ca);
		return NULL;
	}
	p = ca->backing->alloc(ca->backing->ctx, size);
	if (p) {
		ca->live_bytes += size;
		ca->live_blocks++;
		if (ca->live_bytes > ca->peak_bytes)
			ca->peak_bytes = ca->live_bytes;
	}
	return p;
}

static void
counting_free(void *ctx, void *ptr, size_t size)
{
	rme_counting_allocator_t *ca = ctx;

	if (!ptr)
		return;
	ca->live_bytes -= size;
	ca->live_blocks--;
	ca->backing->free(ca->backing->ctx, ptr, size);
}

void
rme_counting_init(rme_counting_allocator_t *ca, const rme_allocator_t *backing)
{
	*ca = (rme_counting_allocator_t){ 0 };
	ca->backing = backing ? backing : rme_allocator_default();
	ca->iface.alloc = counting_alloc;
	ca->iface.free = counting_free;
	ca->iface.ctx = ca;
}

void
rme_counting_fail(rme_counting_allocator_t *ca, uint64_t fail_at, int persist)
{
	ca->allocs = 0;
	ca->failures = 0;
	ca->fail_at = fail_at;
	ca->fail_persist = persist;
}
