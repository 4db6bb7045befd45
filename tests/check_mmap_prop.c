/*
 * check_mmap_prop.c: a seeded, reproducible property test of the mmap
 * layer. Random mmap (anywhere, with a hint, MAP_FIXED, MAP_FIXED_NOREPLACE),
 * munmap, mprotect, mremap, madvise, msync, reads and writes run on the
 * layer and on a simple reference that keeps every page of a small area
 * in an array: mapped or not, its rights and VMA attributes, one byte of
 * content. After every operation the results, the addresses, every page's
 * accessibility and byte, the VMA list and all invariants (the layer's,
 * the model's, the regions against the mappings) must agree.
 *
 * RMEMU_PROP_SEED and RMEMU_PROP_OPS override the seed and the number of
 * operations (10^5: about a second natively, 20 s under Valgrind),
 * RMEMU_PROP_CHUNK the chunk size in pages (3); RMEMU_PROP_VERBOSE=1 prints
 * every operation.
 */
#include <stdio.h>

#include "mmap_testutil.h"

#include "costs.h"

enum {
	NPAGES = 64,          /* the area */
	MARGIN = 2,           /* pages below and above it that are never mapped */
	CHUNK_PAGES = 3,      /* small chunks, so that cuts fall inside them often */
	MAX_LEN = 12          /* pages per mapping at most */
};

#define BASE MT_BASE
#define END (MT_BASE + NPAGES * PG)

/* VMA flags, as the layer's merge rule sees them (see mmap_registry.h). */
enum { F_SHARED = 1, F_ACCOUNT = 2, F_NORESERVE = 4, F_LOCKED = 8, F_STACK = 16 };

typedef struct ref_page {
	bool mapped;
	int prot;
	unsigned flags;
	uint64_t obj, pgoff;
	uint8_t byte;
	uint16_t woff;    /* where in the page the watched byte is: it moves with the content */
} ref_page_t;

typedef struct ref {
	ref_page_t p[NPAGES];
	uint64_t next_obj;
} ref_t;

static uint64_t
page_of(uint64_t addr)
{
	return (addr - BASE) / PG;
}

static bool
in_area(uint64_t addr)
{
	return addr >= BASE && addr < END;
}

/* Where fresh memory at a page gets its watched byte: a different offset in each page. */
static uint16_t
fresh_woff(uint64_t page_addr)
{
	return (uint16_t)(((page_addr / PG) * 37 + 11) % PG);
}

static const ref_page_t *
at(const ref_t *r, uint64_t addr)
{
	static const ref_page_t unmapped = { .woff = 0x123 };
	return in_area(addr) ? &r->p[page_of(addr)] : &unmapped;
}

/* The byte of a page the test watches. */
static uint64_t
watch_addr(const ref_t *r, uint64_t page_addr)
{
	return page_addr + at(r, page_addr)->woff;
}

static bool
joins(const ref_page_t *a, const ref_page_t *b)
{
	return a->mapped && b->mapped && a->prot == b->prot && a->flags == b->flags &&
	       a->obj == b->obj && a->pgoff + 1 == b->pgoff;
}

static bool
range_free(const ref_t *r, uint64_t start, uint64_t end)
{
	for (uint64_t a = start; a < end; a += PG)
		if (at(r, a)->mapped)
			return false;
	return true;
}

/* The highest free place for len bytes in the area (the layer places top-down). */
static bool
top_down(const ref_t *r, uint64_t len, uint64_t *out)
{
	if (len > NPAGES * PG)
		return false;
	for (uint64_t a = END - len;; a -= PG) {
		if (range_free(r, a, a + len)) {
			*out = a;
			return true;
		}
		if (a == BASE)
			return false;
	}
}

static bool
round_up(uint64_t n, uint64_t *out)
{
	if (n > UINT64_MAX - (PG - 1))
		return false;
	*out = (n + PG - 1) & ~(PG - 1);
	return true;
}

/* [addr, addr + len) mapped and one VMA. */
static bool
within_one_vma(const ref_t *r, uint64_t addr, uint64_t len)
{
	if (len > END - addr || !at(r, addr)->mapped)
		return false;
	for (uint64_t a = addr + PG; a < addr + len; a += PG)
		if (!joins(at(r, a - PG), at(r, a)))
			return false;
	return true;
}

static void
unmap_pages(ref_t *r, uint64_t start, uint64_t end)
{
	for (uint64_t a = start; a < end; a += PG)
		if (in_area(a))
			r->p[page_of(a)].mapped = false;
}

/* ---- The reference's calls ------------------------------------------------- */

static int
ref_mmap(ref_t *r, uint64_t addr, uint64_t len, int prot, int flags, uint64_t off,
         uint64_t *out)
{
	bool noreplace = flags & RME_MAP_FIXED_NOREPLACE;
	bool fixed = (flags & RME_MAP_FIXED) || noreplace;
	int type = flags & RME_MAP_TYPE;
	uint64_t start, h;
	ref_page_t np = { .mapped = true };

	if (off % PG)
		return RME_EINVAL;
	if (len == 0)
		return RME_EINVAL;
	if (!round_up(len, &len))
		return RME_ENOMEM;
	if (len > NPAGES * PG)
		return RME_ENOMEM;
	if (fixed) {
		if (addr < BASE || addr > END - len)
			return RME_ENOMEM;
		if (addr % PG)
			return RME_EINVAL;
		start = addr;
	} else if (addr && round_up(addr, &h) && h >= BASE && h <= END - len &&
	           range_free(r, h, h + len)) {
		start = h;
	} else if (!top_down(r, len, &start)) {
		return RME_ENOMEM;
	}
	if (noreplace && !range_free(r, start, start + len))
		return RME_EEXIST;
	if (type != RME_MAP_SHARED && type != RME_MAP_PRIVATE)
		return RME_EINVAL;

	np.prot = prot & 7;
	if (type == RME_MAP_SHARED) {
		np.flags |= F_SHARED;
		np.obj = ++r->next_obj;
	}
	if (flags & RME_MAP_NORESERVE)
		np.flags |= F_NORESERVE;
	if (flags & RME_MAP_LOCKED)
		np.flags |= F_LOCKED;
	if (flags & RME_MAP_STACK)
		np.flags |= F_STACK;
	if (type == RME_MAP_PRIVATE && (np.prot & RME_PROT_WRITE) && !(flags & RME_MAP_NORESERVE))
		np.flags |= F_ACCOUNT;
	for (uint64_t i = 0; i < len / PG; i++) {
		np.pgoff = type == RME_MAP_SHARED ? i : page_of(start) + i + BASE / PG;
		np.woff = fresh_woff(start + i * PG);
		r->p[page_of(start) + i] = np;
	}
	*out = start;
	return 0;
}

static int
ref_unmap_args(uint64_t start, uint64_t len, uint64_t *end)
{
	uint64_t rounded;

	if (start % PG || start > END || len > END - start)
		return RME_EINVAL;
	if (!round_up(len, &rounded) || rounded == 0)
		return RME_EINVAL;
	*end = start + rounded;
	return 0;
}

static int
ref_munmap(ref_t *r, uint64_t start, uint64_t len)
{
	uint64_t end;
	int rc = ref_unmap_args(start, len, &end);

	if (rc == 0)
		unmap_pages(r, start, end);
	return rc;
}

static int
ref_mprotect(ref_t *r, uint64_t start, uint64_t len, int prot)
{
	uint64_t end;

	if (start % PG)
		return RME_EINVAL;
	if (len == 0)
		return 0;
	if (!round_up(len, &len) || start + len <= start)
		return RME_ENOMEM;
	end = start + len;
	if (prot & ~15)
		return RME_EINVAL;
	if (!at(r, start)->mapped)
		return RME_ENOMEM;
	for (uint64_t a = start; a < end; a += PG) {
		ref_page_t *p;

		if (!at(r, a)->mapped)
			return RME_ENOMEM;
		p = &r->p[page_of(a)];
		/* Linux charges private memory that becomes writable, once. */
		if ((prot & RME_PROT_WRITE) && !(p->prot & RME_PROT_WRITE) &&
		    !(p->flags & (F_ACCOUNT | F_SHARED | F_NORESERVE)))
			p->flags |= F_ACCOUNT;
		p->prot = prot & 7;
	}
	return 0;
}

/* Move [addr, addr+move_len) to dst, growing to new_len; the old range goes (or is emptied). */
static void
ref_move(ref_t *r, uint64_t addr, uint64_t old_len, uint64_t move_len, uint64_t dst,
         uint64_t new_len, bool dontunmap)
{
	ref_page_t moved[NPAGES];
	uint64_t n = move_len / PG;

	for (uint64_t i = 0; i < n; i++)
		moved[i] = r->p[page_of(addr) + i];
	if (dontunmap) {
		for (uint64_t a = addr; a < addr + old_len; a += PG) {
			r->p[page_of(a)].byte = 0;
			r->p[page_of(a)].flags &= ~(unsigned)(F_ACCOUNT | F_LOCKED);
		}
		/* the moved pages keep their offsets; the emptied ones keep theirs too */
	} else {
		unmap_pages(r, addr, addr + old_len);
	}
	unmap_pages(r, dst, dst + new_len);
	for (uint64_t i = 0; i < new_len / PG; i++) {
		ref_page_t p = moved[i < n ? i : n - 1];
		if (i >= n) {
			p.pgoff += i - n + 1;
			p.byte = 0;
			p.woff = fresh_woff(dst + i * PG);
		}
		r->p[page_of(dst) + i] = p;
	}
}

static int
ref_mremap(ref_t *r, uint64_t addr, uint64_t old_len, uint64_t new_len, int flags,
           uint64_t new_addr, uint64_t *out)
{
	bool to_new = flags & (RME_MREMAP_FIXED | RME_MREMAP_DONTUNMAP);
	uint64_t nl, ol, end, dst;

	if (flags & ~7)
		return RME_EINVAL;
	if (addr % PG)
		return RME_EINVAL;
	if (!round_up(new_len, &nl) || nl == 0)
		return RME_EINVAL;
	if (to_new) {
		if (new_addr % PG)
			return RME_EINVAL;
		if (!(flags & RME_MREMAP_MAYMOVE))
			return RME_EINVAL;
		if ((flags & RME_MREMAP_DONTUNMAP) && old_len != new_len)
			return RME_EINVAL;
	}
	if (!round_up(old_len, &ol))
		ol = 0;
	if (!at(r, addr)->mapped)
		return RME_EFAULT;
	if (to_new) {
		uint64_t move_len = ol < nl ? ol : nl;

		if (nl > END || new_addr > END - nl)
			return RME_EINVAL;
		if (addr + ol > new_addr && new_addr + nl > addr)
			return RME_EINVAL;
		if (ol > nl && ref_unmap_args(addr + nl, ol - nl, &end))
			return RME_EINVAL;
		if (move_len == 0)
			return RME_EINVAL;
		if (!within_one_vma(r, addr, move_len))
			return RME_EFAULT;
		if (flags & RME_MREMAP_FIXED) {
			if (new_addr < BASE)
				return RME_ENOMEM;
			dst = new_addr;
		} else if (!(new_addr && new_addr >= BASE && new_addr <= END - nl &&
		             range_free(r, new_addr, new_addr + nl) && (dst = new_addr, true)) &&
		           !top_down(r, nl, &dst)) {
			return RME_ENOMEM;
		}
		ref_move(r, addr, ol, move_len, dst, nl, flags & RME_MREMAP_DONTUNMAP);
		*out = dst;
		return 0;
	}
	if (ol == nl) {
		*out = addr;
		return 0;
	}
	if (ol > nl) {
		int rc = ref_unmap_args(addr + nl, ol - nl, &end);
		if (rc)
			return rc;
		unmap_pages(r, addr + nl, end);
		*out = addr;
		return 0;
	}
	if (ol == 0)
		return RME_EINVAL;
	if (!within_one_vma(r, addr, ol))
		return RME_EFAULT;
	end = addr + ol;
	if (!joins(at(r, end - PG), at(r, end)) && nl - ol <= END - end &&
	    range_free(r, end, addr + nl)) {
		ref_move(r, addr, ol, ol, addr, nl, false);   /* in place: a move onto itself */
		*out = addr;
		return 0;
	}
	if (!(flags & RME_MREMAP_MAYMOVE))
		return RME_ENOMEM;
	if (!top_down(r, nl, &dst))
		return RME_ENOMEM;
	ref_move(r, addr, ol, ol, dst, nl, false);
	*out = dst;
	return 0;
}

static bool
ref_advice_known(int advice)
{
	return (advice >= 0 && advice <= 4) || (advice >= 8 && advice <= 25);
}

static int
ref_madvise(ref_t *r, uint64_t start, uint64_t len, int advice)
{
	int unmapped = 0;
	uint64_t end;

	if (!ref_advice_known(advice))
		return RME_EINVAL;
	if (start % PG)
		return RME_EINVAL;
	if (!round_up(len, &len))
		return RME_EINVAL;
	if (len == 0)
		return 0;
	end = start + len;
	for (uint64_t a = start; a < end; a += PG) {
		ref_page_t *p;
		bool shared, locked;

		if (!at(r, a)->mapped) {
			unmapped = RME_ENOMEM;
			continue;
		}
		p = &r->p[page_of(a)];
		shared = p->flags & F_SHARED;
		locked = p->flags & F_LOCKED;
		switch (advice) {
		case RME_MADV_DONTNEED:
			if (locked)
				return RME_EINVAL;
			/* fall through */
		case RME_MADV_DONTNEED_LOCKED:
			if (!shared)
				p->byte = 0;
			break;
		case RME_MADV_FREE:
			if (locked || shared)
				return RME_EINVAL;
			break;
		case RME_MADV_REMOVE:
			if (locked || !shared)
				return RME_EINVAL;
			p->byte = 0;
			break;
		default:
			break;
		}
	}
	return unmapped;
}

static int
ref_msync(const ref_t *r, uint64_t start, uint64_t len, int flags)
{
	int unmapped = 0;

	if (flags & ~7 || start % PG)
		return RME_EINVAL;
	if ((flags & RME_MS_ASYNC) && (flags & RME_MS_SYNC))
		return RME_EINVAL;
	if (!round_up(len, &len))
		len = 0;
	for (uint64_t a = start; a < start + len; a += PG) {
		if (!at(r, a)->mapped)
			unmapped = RME_ENOMEM;
		else if ((flags & RME_MS_INVALIDATE) && (at(r, a)->flags & F_LOCKED))
			return RME_EBUSY;
	}
	return unmapped;
}

/* ---- Comparing -------------------------------------------------------------- */

typedef struct prop {
	mt_t t;
	ref_t ref;
	uint64_t rng;
	uint64_t op;          /* the operation number, for messages */
	char what[160];       /* the operation, for messages */
	bool verbose;         /* RMEMU_PROP_VERBOSE: print every operation */
	int kind;             /* the current operation's kind */
	uint64_t outcomes[6][5]; /* per kind: 0, EINVAL, ENOMEM, EFAULT/EEXIST, others */
} prop_t;

enum { K_MMAP, K_MUNMAP, K_MPROTECT, K_MREMAP, K_MADVISE, K_MSYNC };
static const char *const kind_names[] = {
	"mmap", "munmap", "mprotect", "mremap", "madvise", "msync"
};

#define prop_assert(P, C, ...) do { \
	if (!(C)) { \
		char _m[256]; \
		snprintf(_m, sizeof(_m), __VA_ARGS__); \
		ck_abort_msg("op %llu (%s): %s", (unsigned long long)(P)->op, (P)->what, _m); \
	} \
} while (0)

/* The reference's VMAs, compared with what the layer lists. */
typedef struct vma_cursor {
	prop_t *p;
	uint64_t page;   /* where to look for the next reference VMA */
	uint64_t n;
} vma_cursor_t;

static int
compare_vma(void *ctx, const rme_mmap_vma_t *v)
{
	vma_cursor_t *c = ctx;
	const ref_t *r = &c->p->ref;
	uint64_t s, e;
	int flags;
	const ref_page_t *first;

	while (c->page < NPAGES && !r->p[c->page].mapped)
		c->page++;
	prop_assert(c->p, c->page < NPAGES, "the layer has a VMA at %#llx, the reference none",
	            (unsigned long long)v->start);
	s = c->page;
	for (e = s + 1; e < NPAGES && joins(&r->p[e - 1], &r->p[e]); e++)
		;
	first = &r->p[s];
	flags = (first->flags & F_SHARED) ? ANON_SHARED : ANON_PRIVATE;
	if (first->flags & F_NORESERVE)
		flags |= RME_MAP_NORESERVE;
	if (first->flags & F_LOCKED)
		flags |= RME_MAP_LOCKED;
	if (first->flags & F_STACK)
		flags |= RME_MAP_STACK;
	prop_assert(c->p, v->start == BASE + s * PG && v->len == (e - s) * PG,
	            "VMA [%#llx, +%#llx), expected [%#llx, +%#llx)",
	            (unsigned long long)v->start, (unsigned long long)v->len,
	            (unsigned long long)(BASE + s * PG), (unsigned long long)((e - s) * PG));
	prop_assert(c->p, v->prot == first->prot && v->flags == flags &&
	            v->offset == first->pgoff * PG,
	            "VMA at %#llx: prot %d flags %#x offset %#llx, expected %d %#x %#llx",
	            (unsigned long long)v->start, v->prot, v->flags,
	            (unsigned long long)v->offset, first->prot, flags,
	            (unsigned long long)(first->pgoff * PG));
	c->page = e;
	c->n++;
	return 0;
}

static void
compare_all(prop_t *p)
{
	vma_cursor_t c = { p, 0, 0 };

	for (uint64_t a = BASE - MARGIN * PG; a < END + MARGIN * PG; a += PG) {
		const ref_page_t *rp = at(&p->ref, a);
		uint64_t w = watch_addr(&p->ref, a);
		rme_access_t acc;

		mt_require_ok(rme_read(p->t.model, w, &acc));
		prop_assert(p, (acc.outcome == RME_ACCESS_DONE) == (rp->mapped && rp->prot != 0),
		            "page %#llx: read %s", (unsigned long long)a,
		            acc.outcome == RME_ACCESS_DONE ? "works" : "faults");
		if (acc.outcome == RME_ACCESS_DONE)
			prop_assert(p, acc.byte == rp->byte, "page %#llx holds %#x, expected %#x",
			            (unsigned long long)a, acc.byte, rp->byte);
		/* writing the byte it holds changes nothing, but shows the right */
		mt_require_ok(rme_write(p->t.model, w, rp->byte, &acc));
		prop_assert(p, (acc.outcome == RME_ACCESS_DONE) ==
		            (rp->mapped && (rp->prot & RME_PROT_WRITE)),
		            "page %#llx: write %s", (unsigned long long)a,
		            acc.outcome == RME_ACCESS_DONE ? "works" : "faults");
		mt_require_ok(rme_exec(p->t.model, w, &acc));
		prop_assert(p, (acc.outcome == RME_ACCESS_DONE) ==
		            (rp->mapped && (rp->prot & RME_PROT_EXEC)),
		            "page %#llx: exec %s", (unsigned long long)a,
		            acc.outcome == RME_ACCESS_DONE ? "works" : "faults");
	}
	(void)rme_mmap_foreach(p->t.mm, compare_vma, &c);
	while (c.page < NPAGES && !p->ref.p[c.page].mapped)
		c.page++;
	prop_assert(p, c.page == NPAGES, "the reference has a VMA at page %llu the layer lacks",
	            (unsigned long long)c.page);
	prop_assert(p, rme_mmap_count(p->t.mm) == c.n, "count %llu, %llu VMAs listed",
	            (unsigned long long)rme_mmap_count(p->t.mm), (unsigned long long)c.n);
	mt_check(&p->t);
}

/* ---- Generating operations ----------------------------------------------------- */

static uint64_t
rnd(prop_t *p, uint64_t n)
{
	return tu_rand(&p->rng) % n;
}

/* An address: mostly a page of the area, sometimes just outside, sometimes unaligned. */
static uint64_t
rnd_addr(prop_t *p)
{
	uint64_t a = BASE + (rnd(p, NPAGES + 2 * MARGIN) - MARGIN) * PG;

	if (rnd(p, 40) == 0)
		a += 1 + rnd(p, PG - 1);
	return a;
}

/* A length: mostly whole pages, sometimes not, rarely 0. */
static uint64_t
rnd_len(prop_t *p)
{
	uint64_t len = (1 + rnd(p, MAX_LEN)) * PG;

	if (rnd(p, 10) == 0)
		len -= rnd(p, PG);
	if (rnd(p, 100) == 0)
		len = 0;
	return len;
}

static int
rnd_prot(prop_t *p)
{
	static const int prots[] = {
		RME_PROT_NONE, RME_PROT_READ, RW, RW, RW, RME_PROT_READ | RME_PROT_EXEC,
		RME_PROT_WRITE, RW | RME_PROT_EXEC
	};
	return prots[rnd(p, sizeof(prots) / sizeof(prots[0]))];
}

/* An address in a mapping, if there is one, else anywhere. */
static uint64_t
rnd_mapped(prop_t *p)
{
	for (int tries = 0; tries < 8; tries++) {
		uint64_t a = BASE + rnd(p, NPAGES) * PG;
		if (p->ref.p[page_of(a)].mapped)
			return a;
	}
	return rnd_addr(p);
}

static void
check_rc(prop_t *p, int got, int want)
{
	if (p->verbose)
		printf("%llu: %s = %s\n", (unsigned long long)p->op, p->what, rme_errno_name(got));
	p->outcomes[p->kind][got == 0 ? 0 : got == RME_EINVAL ? 1 : got == RME_ENOMEM ? 2 :
	                     got == RME_EFAULT || got == RME_EEXIST ? 3 : 4]++;
	prop_assert(p, got == want, "returned %s, expected %s", rme_errno_name(got),
	            rme_errno_name(want));
}

static void
step(prop_t *p)
{
	uint64_t kind = rnd(p, 100), got_at = 0, want_at = 0;
	int got, want;

	if (kind < 30) {
		uint64_t addr = 0, len = rnd_len(p);
		int prot = rnd_prot(p), flags = rnd(p, 4) ? ANON_PRIVATE : ANON_SHARED;
		uint64_t mode = rnd(p, 4), off = rnd(p, 50) ? 0 : 1 + rnd(p, PG - 1);

		if (mode == 1)
			addr = rnd_addr(p);
		else if (mode == 2)
			flags |= RME_MAP_FIXED, addr = rnd_addr(p);
		else if (mode == 3)
			flags |= RME_MAP_FIXED_NOREPLACE, addr = rnd_addr(p);
		if (rnd(p, 4) == 0)
			flags |= RME_MAP_NORESERVE;
		if (rnd(p, 8) == 0)
			flags |= RME_MAP_STACK;
		if (rnd(p, 20) == 0)
			flags |= RME_MAP_LOCKED;
		if (rnd(p, 100) == 0)
			flags &= ~RME_MAP_TYPE;
		p->kind = K_MMAP;
		snprintf(p->what, sizeof(p->what), "mmap(%#llx, %#llx, %d, %#x, off %#llx)",
		         (unsigned long long)addr, (unsigned long long)len, prot, flags,
		         (unsigned long long)off);
		got = rme_mmap(p->t.mm, addr, len, prot, flags, -1, off, &got_at);
		want = ref_mmap(&p->ref, addr, len, prot, flags, off, &want_at);
		check_rc(p, got, want);
		if (!want)
			prop_assert(p, got_at == want_at, "placed at %#llx, expected %#llx",
			            (unsigned long long)got_at, (unsigned long long)want_at);
	} else if (kind < 45) {
		uint64_t addr = rnd(p, 2) ? rnd_mapped(p) : rnd_addr(p), len = rnd_len(p);

		p->kind = K_MUNMAP;
		snprintf(p->what, sizeof(p->what), "munmap(%#llx, %#llx)",
		         (unsigned long long)addr, (unsigned long long)len);
		check_rc(p, rme_munmap(p->t.mm, addr, len), ref_munmap(&p->ref, addr, len));
	} else if (kind < 60) {
		uint64_t addr = rnd(p, 4) ? rnd_mapped(p) : rnd_addr(p), len = rnd_len(p);
		int prot = rnd(p, 50) ? rnd_prot(p) : 0x40;

		p->kind = K_MPROTECT;
		snprintf(p->what, sizeof(p->what), "mprotect(%#llx, %#llx, %d)",
		         (unsigned long long)addr, (unsigned long long)len, prot);
		check_rc(p, rme_mprotect(p->t.mm, addr, len, prot),
		         ref_mprotect(&p->ref, addr, len, prot));
	} else if (kind < 72) {
		static const int mflags[] = {
			0, RME_MREMAP_MAYMOVE, RME_MREMAP_MAYMOVE,
			RME_MREMAP_MAYMOVE | RME_MREMAP_FIXED,
			RME_MREMAP_MAYMOVE | RME_MREMAP_DONTUNMAP, RME_MREMAP_FIXED
		};
		uint64_t addr = rnd(p, 8) ? rnd_mapped(p) : rnd_addr(p);
		uint64_t old_len = rnd_len(p), new_len = rnd_len(p);
		int flags = mflags[rnd(p, sizeof(mflags) / sizeof(mflags[0]))];
		uint64_t new_addr = rnd(p, 4) ? rnd_addr(p) : 0;

		if ((flags & RME_MREMAP_DONTUNMAP) && rnd(p, 2))
			new_len = old_len;
		p->kind = K_MREMAP;
		snprintf(p->what, sizeof(p->what), "mremap(%#llx, %#llx, %#llx, %d, %#llx)",
		         (unsigned long long)addr, (unsigned long long)old_len,
		         (unsigned long long)new_len, flags, (unsigned long long)new_addr);
		got = rme_mremap(p->t.mm, addr, old_len, new_len, flags, new_addr, &got_at);
		want = ref_mremap(&p->ref, addr, old_len, new_len, flags, new_addr, &want_at);
		if (p->verbose && got == 0)
			printf("   -> %#llx\n", (unsigned long long)got_at);
		check_rc(p, got, want);
		if (!want)
			prop_assert(p, got_at == want_at, "moved to %#llx, expected %#llx",
			            (unsigned long long)got_at, (unsigned long long)want_at);
	} else if (kind < 80) {
		static const int advices[] = {
			RME_MADV_DONTNEED, RME_MADV_DONTNEED, RME_MADV_DONTNEED, RME_MADV_FREE,
			RME_MADV_REMOVE, RME_MADV_WILLNEED, RME_MADV_DONTNEED_LOCKED, 7
		};
		uint64_t addr = rnd(p, 4) ? rnd_mapped(p) : rnd_addr(p), len = rnd_len(p);
		int advice = advices[rnd(p, sizeof(advices) / sizeof(advices[0]))];

		p->kind = K_MADVISE;
		snprintf(p->what, sizeof(p->what), "madvise(%#llx, %#llx, %d)",
		         (unsigned long long)addr, (unsigned long long)len, advice);
		check_rc(p, rme_madvise(p->t.mm, addr, len, advice),
		         ref_madvise(&p->ref, addr, len, advice));
	} else if (kind < 82) {
		uint64_t addr = rnd_mapped(p), len = rnd_len(p);
		int flags = (int)rnd(p, 8);

		p->kind = K_MSYNC;
		snprintf(p->what, sizeof(p->what), "msync(%#llx, %#llx, %d)",
		         (unsigned long long)addr, (unsigned long long)len, flags);
		check_rc(p, rme_msync(p->t.mm, addr, len, flags),
		         ref_msync(&p->ref, addr, len, flags));
	} else {
		/* a write where it is allowed; compare_all then reads everything back */
		uint64_t a = rnd_mapped(p) & ~(PG - 1);
		uint8_t byte = (uint8_t)(1 + rnd(p, 255));
		const ref_page_t *rp = at(&p->ref, a);
		rme_access_t acc;

		snprintf(p->what, sizeof(p->what), "write %#x at %#llx", byte,
		         (unsigned long long)watch_addr(&p->ref, a));
		mt_require_ok(rme_write(p->t.model, watch_addr(&p->ref, a), byte, &acc));
		if (rp->mapped && (rp->prot & RME_PROT_WRITE)) {
			prop_assert(p, acc.outcome == RME_ACCESS_DONE, "the write faults");
			p->ref.p[page_of(a)].byte = byte;
		} else {
			prop_assert(p, acc.outcome != RME_ACCESS_DONE, "the write works");
		}
	}
	compare_all(p);
}

static uint64_t
env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : dflt;
}

START_TEST(random_operations_match_the_reference)
{
	uint64_t seed = env_u64("RMEMU_PROP_SEED", 0x6d6d6170);   /* "mmap" */
	uint64_t nops = env_u64("RMEMU_PROP_OPS", 100000);
	mt_cfg_t c = { .base = BASE, .size = NPAGES * PG,
	               .chunk = env_u64("RMEMU_PROP_CHUNK", CHUNK_PAGES) * PG };
	prop_t *p = calloc(1, sizeof(*p));
	rme_quota_t want;
	uint64_t extra;

	ck_assert_ptr_nonnull(p);
	printf("mmap property test: seed %#llx, %llu operations, chunks of %llu pages\n",
	       (unsigned long long)seed, (unsigned long long)nops,
	       (unsigned long long)(c.chunk / PG));
	mt_setup_cfg(&p->t, &c);
	p->rng = seed ? seed : 1;
	p->verbose = env_u64("RMEMU_PROP_VERBOSE", 0) != 0;
	for (p->op = 0; p->op < nops; p->op++)
		step(p);
	for (int k = 0; k < 6; k++) {
		const uint64_t *o = p->outcomes[k];
		printf("  %-8s ok %6llu  EINVAL %5llu  ENOMEM %5llu  EFAULT/EEXIST %5llu  other %4llu\n",
		       kind_names[k], (unsigned long long)o[0], (unsigned long long)o[1],
		       (unsigned long long)o[2], (unsigned long long)o[3], (unsigned long long)o[4]);
		/* every kind must have succeeded and failed, or the test tests little */
		ck_assert_uint_gt(o[0], 0);
		ck_assert_uint_gt(o[1] + o[2] + o[3] + o[4], 0);
	}

	/* unmap everything: the quota is back but for the slab core keeps */
	ck_assert_errno(rme_munmap(p->t.mm, BASE, NPAGES * PG), 0);
	extra = mt_extra_slab_blocks(&p->t);
	ck_assert_uint_le(extra, 1);
	want = p->t.after_setup;
	want.ram_used += extra * COST_MD_SLAB_RAM;
	want.cap_used += extra * COST_MD_SLAB_CAPS;
	mt_quota_is(&p->t, &want);
	mt_check(&p->t);
	mt_teardown(&p->t);
	free(p);
}
END_TEST

static Suite *
prop_suite(void)
{
	Suite *s = suite_create("mmap-property");
	TCase *tc = tcase_create("random");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, random_operations_match_the_reference);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(prop_suite());
}
