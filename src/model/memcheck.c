/*
 * memcheck.c: RAM dataspaces as memcheck heap blocks (see memcheck.h).
 */
/* mmap's MAP_ANONYMOUS and MAP_NORESERVE are not in strict C11 */
#define _DEFAULT_SOURCE
#include "config.h"

#include <stddef.h>
#include <sys/mman.h>

#include "memcheck.h"

#ifdef HAVE_VALGRIND_MEMCHECK_H
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
#endif

void
mc_init(mc_arena_t *a)
{
	a->base = NULL;
	a->size = a->next = 0;
#ifdef HAVE_VALGRIND_MEMCHECK_H
	if (!RUNNING_ON_VALGRIND)
		return;
	/*
	 * Tokens only need addresses, never memory: reserve as much address
	 * space as Valgrind grants, inaccessible and uncommitted.
	 */
	for (uint64_t size = (uint64_t)1 << 40; size >= ((uint64_t)1 << 28); size >>= 1) {
		void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		               -1, 0);
		if (p != MAP_FAILED) {
			a->base = p;
			a->size = size;
			return;
		}
	}
#endif
}

void
mc_fini(mc_arena_t *a)
{
	if (a->base)
		munmap(a->base, a->size);
	a->base = NULL;
}

uint8_t *
mc_alloc(mc_arena_t *a, uint64_t size)
{
	uint8_t *token;

	if (!a->base || size > a->size - a->next)
		return NULL;   /* not under Valgrind, or the reservation is used up */
	token = a->base + a->next;
	a->next += (size + 4095) & ~(uint64_t)4095;
#ifdef HAVE_VALGRIND_MEMCHECK_H
	/* a zero-filled block, like the dataspace */
	VALGRIND_MALLOCLIKE_BLOCK(token, size, 0, 1);
#endif
	return token;
}

void
mc_free(uint8_t *token)
{
#ifdef HAVE_VALGRIND_MEMCHECK_H
	if (token)
		VALGRIND_FREELIKE_BLOCK(token, 0);
#else
	(void)token;
#endif
}

void
mc_touch(const uint8_t *token, uint64_t off)
{
#ifdef HAVE_VALGRIND_MEMCHECK_H
	if (token)
		(void)VALGRIND_CHECK_MEM_IS_ADDRESSABLE(token + off, 1);
#else
	(void)token;
	(void)off;
#endif
}
