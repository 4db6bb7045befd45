/*
 * mmap_internal.h: what the mmap front end (mmap.c) shares with the
 * implementations behind it: the instance's common head, the table of
 * operations an implementation ("policy") provides, and a tiny text
 * builder, because this code must build where there is no stdio.
 */
#ifndef RMEMU_MMAP_INTERNAL_H
#define RMEMU_MMAP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rmemu/mmap.h>
#include <rmemu/view.h>

#define MM_PAGE ((uint64_t)RME_MMAP_PAGE_SIZE)
#define MM_PAGE_MASK (MM_PAGE - 1)

/* Round up to whole pages; false if that overflows (Linux's PAGE_ALIGN gives 0). */
static inline bool
mm_page_round_up(uint64_t n, uint64_t *out)
{
	if (n > UINT64_MAX - MM_PAGE_MASK)
		return false;
	*out = (n + MM_PAGE_MASK) & ~MM_PAGE_MASK;
	return true;
}

static inline bool
mm_page_aligned(uint64_t n)
{
	return (n & MM_PAGE_MASK) == 0;
}

/*
 * The operations of one implementation. The front end checks nothing but
 * the instance pointer and holds the prims' lock around each call, so an
 * implementation is called serialised and never re-entered.
 */
typedef struct mmap_ops {
	const char *name;
	rme_err_t (*create)(const rme_genode_prims_t *prims, const rme_mmap_config_t *cfg,
	                    rme_mmap_t **out, rme_mmap_setup_error_t *why);
	void (*destroy)(rme_mmap_t *mm);
	int (*mmap)(rme_mmap_t *mm, uint64_t addr, uint64_t len, int prot, int flags,
	            int fd, uint64_t offset, uint64_t *out_addr);
	int (*munmap)(rme_mmap_t *mm, uint64_t addr, uint64_t len);
	int (*mprotect)(rme_mmap_t *mm, uint64_t addr, uint64_t len, int prot);
	int (*mremap)(rme_mmap_t *mm, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
	              int flags, uint64_t new_addr, uint64_t *out_addr);
	int (*madvise)(rme_mmap_t *mm, uint64_t addr, uint64_t len, int advice);
	int (*msync)(rme_mmap_t *mm, uint64_t addr, uint64_t len, int flags);
	int (*mlock)(rme_mmap_t *mm, uint64_t addr, uint64_t len, int flags);
	int (*munlock)(rme_mmap_t *mm, uint64_t addr, uint64_t len);
	int (*mlockall)(rme_mmap_t *mm, int flags);
	int (*munlockall)(rme_mmap_t *mm);
	/* the mappings (VMAs) that overlap [start, end), in address order */
	int (*foreach)(rme_mmap_t *mm, uint64_t start, uint64_t end,
	               int (*fn)(void *ctx, const rme_mmap_vma_t *vma), void *ctx);
	int (*foreach_ram)(rme_mmap_t *mm, int (*fn)(void *ctx, rme_prim_cap_t ds, uint64_t size),
	                   void *ctx);
	void (*stats)(rme_mmap_t *mm, rme_mmap_stats_t *out);
	rme_err_t (*check)(rme_mmap_t *mm, char *msg, size_t msglen);
	/* optional (rmemu/view.h): the pieces overlapping [lo, hi); NULL if it cannot tell */
	int (*pieces_in)(rme_mmap_t *mm, uint64_t lo, uint64_t hi,
	                 int (*fn)(void *ctx, const rme_mmap_piece_t *p), void *ctx);
	/* optional (NULL: the implementation keeps no metadata in the address space) */
	int (*foreach_metadata)(rme_mmap_t *mm, int (*fn)(void *ctx, uint64_t addr, uint64_t len),
	                        void *ctx);
} mmap_ops_t;

/* The head every implementation's instance starts with. */
struct rme_mmap {
	const mmap_ops_t *ops;
	rme_genode_prims_t prims;
	/* why the current call failed: the front end resets it, a failing call may set it */
	rme_mmap_cause_t cause;
};

/* The managed-area implementation (mmap_area.c). */
extern const mmap_ops_t mmap_area_ops;
/* Genode 26.02's libc (mmap_genode_libc.c) and 20.05's with the alloc_at patch (mmap_libc_alloc_at.c). */
extern const mmap_ops_t mmap_genode_libc_ops;
extern const mmap_ops_t mmap_libc_alloc_at_ops;

/* ---- Text without stdio -------------------------------------------------- */

/* Appends to a fixed buffer, truncating; the buffer is always terminated. */
typedef struct mm_text {
	char *buf;
	size_t len, cap;
} mm_text_t;

void mm_text_init(mm_text_t *t, char *buf, size_t cap);
void mm_text_str(mm_text_t *t, const char *s);
void mm_text_hex(mm_text_t *t, uint64_t v);   /* 0x1f */
void mm_text_dec(mm_text_t *t, uint64_t v);

#endif
