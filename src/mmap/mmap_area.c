/*
 * mmap_area.c: the "rmemu" policy: Linux's mmap, munmap, mprotect, mremap,
 * madvise, msync and the memory locks inside a managed area, the design
 * proposed on Genode's mailing list in August 2020.
 *
 * Set-up reserves the area as a region map attached at the area's base.
 * Every mapping lives inside it: its pages are pieces in the registry
 * (mmap_registry.h), each accessible piece one attachment of a RAM chunk.
 *
 * Every call that changes mappings first checks its arguments and Linux's
 * limits, changing nothing, and then describes the result as one
 * transaction of the engine in mmap_txn.c, which either carries it out
 * completely or leaves everything as it was.
 */
#include <string.h>

#include "mmap_area.h"

/* Linux's MAX_LFS_FILESIZE on 64-bit: the end of any file that can be mapped. */
#define FILE_SIZE_MAX ((uint64_t)INT64_MAX)

/* Objects of file mappings: the descriptor, marked so it never meets a shared object's number. */
#define FILE_OBJ_BIT ((uint64_t)1 << 63)

/*
 * Linux's LEGACY_MAP_MASK (include/linux/mman.h): what MAP_SHARED_VALIDATE
 * accepts for a file without extra support. Of the huge page sizes only
 * 2 MiB and 1 GiB are in it (their bits with MAP_UNINITIALIZED's cover bits
 * 26 to 30); MAP_SYNC is not (only DAX files take it).
 */
#define MAP_HUGE_2MB ((unsigned)21 << RME_MAP_HUGE_SHIFT)
#define MAP_HUGE_1GB ((unsigned)30 << RME_MAP_HUGE_SHIFT)
#define LEGACY_MAP_MASK (RME_MAP_SHARED | RME_MAP_PRIVATE | RME_MAP_FIXED | RME_MAP_ANONYMOUS | \
	RME_MAP_DENYWRITE | RME_MAP_EXECUTABLE | RME_MAP_UNINITIALIZED | RME_MAP_GROWSDOWN | \
	RME_MAP_LOCKED | RME_MAP_NORESERVE | RME_MAP_POPULATE | RME_MAP_NONBLOCK | \
	RME_MAP_STACK | RME_MAP_HUGETLB | RME_MAP_32BIT | MAP_HUGE_2MB | MAP_HUGE_1GB)

/* ---- Pieces and their attributes ----------------------------------------------- */

/* The VMA flags of a new mapping (Linux's calc_vm_flag_bits and accountable_mapping). */
static unsigned
vmflags_of_mmap(int flags, unsigned prot, bool shared, bool file)
{
	unsigned f = 0;

	if (shared)
		f |= MM_VM_SHARED;
	if (file)
		f |= MM_VM_FILE;
	if (flags & RME_MAP_NORESERVE)
		f |= MM_VM_NORESERVE;
	if (flags & RME_MAP_LOCKED)
		f |= MM_VM_LOCKED;
	if (flags & RME_MAP_GROWSDOWN)
		f |= MM_VM_GROWSDOWN;
	if (flags & RME_MAP_STACK)
		f |= MM_VM_NOHUGEPAGE;
	if (!shared && (prot & RME_PROT_WRITE) && !(f & MM_VM_NORESERVE))
		f |= MM_VM_ACCOUNT;
	return f;
}

/* ---- VMAs: runs of pieces that Linux would merge --------------------------------- */

/* Whether a VMA boundary lies at addr, i.e. addr is not inside one VMA. */
static bool
vma_boundary_at(const area_t *a, uint64_t addr)
{
	mm_piece_t *s = mm_reg_lower_bound(&a->reg, addr);

	if (!s || s->start > addr)
		return true;
	if (s->start < addr)
		return false;
	return !mm_piece_joins(mm_reg_prev(s), s);
}

/*
 * Whether [start, end) is mapped throughout and lies in one VMA; *last (if
 * given) receives the piece that contains end - 1. Walks the range's pieces.
 */
static bool
within_one_vma(const area_t *a, uint64_t start, uint64_t end, mm_piece_t **last)
{
	mm_piece_t *s = mm_reg_find(&a->reg, start);

	if (!s)
		return false;
	while (s->end < end) {
		mm_piece_t *n = mm_reg_next(s);
		if (!mm_piece_joins(s, n))
			return false;
		s = n;
	}
	if (last)
		*last = s;
	return true;
}

/* Whether unmapping [start, end) would split one VMA into two (munmap's map-count rule). */
static bool
splits_one_vma(const area_t *a, uint64_t start, uint64_t end)
{
	return !vma_boundary_at(a, start) && !vma_boundary_at(a, end) &&
	       within_one_vma(a, start, end, NULL);
}

/* ---- Checks shared by the calls -------------------------------------------------- */

/* munmap's argument rules; the area's end plays TASK_SIZE. Yields the page-rounded end. */
static int
unmap_args(const area_t *a, uint64_t start, uint64_t len, uint64_t *end)
{
	uint64_t rounded;

	if (!mm_page_aligned(start) || start > a->end || len > a->end - start)
		return RME_EINVAL;
	if (!mm_page_round_up(len, &rounded) || rounded == 0)
		return RME_EINVAL;
	*end = start + rounded;
	return 0;
}

/* A free place for len bytes: the hint if that range is free in the area, else the highest gap. */
static bool
place(const area_t *a, uint64_t hint, uint64_t len, uint64_t *out)
{
	uint64_t h;

	if (hint && mm_page_round_up(hint, &h) && h >= a->base && h <= a->end - len &&
	    mm_reg_range_free(&a->reg, h, h + len)) {
		*out = h;
		return true;
	}
	return mm_reg_find_gap_topdown(&a->reg, len, out);
}

/* ---- mmap ----------------------------------------------------------------------- */

/*
 * Shared or private, as do_mmap decides from MAP_TYPE: for a file,
 * MAP_SHARED drops the flags it does not know and MAP_SHARED_VALIDATE
 * refuses them (*flags: what remains); anonymous shared memory cannot grow
 * down. Returns 0 or an errno.
 */
static int
mapping_type(int *flags, bool anon, bool *shared)
{
	switch (*flags & RME_MAP_TYPE) {
	case RME_MAP_SHARED:
		if (!anon) {
			*flags = (int)((unsigned)*flags & LEGACY_MAP_MASK);
			break;   /* and validated like MAP_SHARED_VALIDATE, which it now passes */
		}
		if (*flags & RME_MAP_GROWSDOWN)
			return RME_EINVAL;
		*shared = true;
		return 0;
	case RME_MAP_SHARED_VALIDATE:
		if (anon)
			return RME_EINVAL;
		break;
	case RME_MAP_PRIVATE:
		*shared = false;
		return 0;
	default:
		return RME_EINVAL;
	}
	if ((unsigned)*flags & ~LEGACY_MAP_MASK)
		return RME_EOPNOTSUPP;
	*shared = true;
	return 0;
}

static int
area_mmap(rme_mmap_t *mm, uint64_t addr, uint64_t len, int prot, int flags, int fd,
          uint64_t offset, uint64_t *out_addr)
{
	area_t *a = area_of(mm);
	bool anon = (flags & RME_MAP_ANONYMOUS) != 0;
	bool noreplace = (flags & RME_MAP_FIXED_NOREPLACE) != 0;
	bool fixed = (flags & RME_MAP_FIXED) || noreplace;
	bool shared;
	uint64_t pgoff, start;
	piece_attrs_t pa;
	txn_t t;
	int rc;

	/* The order of the checks is Linux's (sys_mmap, ksys_mmap_pgoff, do_mmap). */
	if (!mm_page_aligned(offset))
		return RME_EINVAL;
	if (!anon && fd < 0)
		return RME_EBADF;
	if (len == 0)
		return RME_EINVAL;
	if (!mm_page_round_up(len, &len))
		return RME_ENOMEM;
	pgoff = offset / MM_PAGE;
	if (pgoff + len / MM_PAGE < pgoff)
		return RME_EOVERFLOW;
	/* A new mapping may take the count one above the limit. */
	if (a->vma_count > a->map_count_max)
		return RME_ENOMEM;

	if (len > a->size)
		return RME_ENOMEM;
	if (fixed) {
		if (addr < a->base || addr > a->end - len) {
			a->head.cause = RME_MMAP_CAUSE_OUTSIDE_AREA;
			return RME_ENOMEM;
		}
		if (!mm_page_aligned(addr))
			return RME_EINVAL;
		start = addr;
	} else if (!place(a, addr, len, &start)) {
		return RME_ENOMEM;
	}
	if (noreplace && !mm_reg_range_free(&a->reg, start, start + len)) {
		a->head.cause = RME_MMAP_CAUSE_TARGET_IN_USE;
		return RME_EEXIST;
	}

	/* file_mmap_ok: a regular file ends at MAX_LFS_FILESIZE */
	if (!anon && (len > FILE_SIZE_MAX || pgoff > (FILE_SIZE_MAX - len) / MM_PAGE))
		return RME_EOVERFLOW;
	if ((rc = mapping_type(&flags, anon, &shared)) != 0)
		return rc;

	/* Replacing the middle of one VMA splits it: not at the limit. */
	if (fixed && !noreplace && a->vma_count >= a->map_count_max &&
	    splits_one_vma(a, start, start + len))
		return RME_ENOMEM;

	pa.prot = (unsigned)prot & PROT_RWX;
	pa.vmflags = vmflags_of_mmap(flags, pa.prot, shared, !anon) | a->def_lock;
	if (!anon) {
		pa.obj = FILE_OBJ_BIT | (uint32_t)fd;
		pa.pgoff = pgoff;
	} else if (shared) {
		pa.obj = ++a->next_shared_obj;
		pa.pgoff = 0;
	} else {
		pa.obj = 0;
		pa.pgoff = start / MM_PAGE;   /* Linux's vm_pgoff of anonymous memory */
	}

	mm_txn_init(&t, a);
	mm_edit_add_new(&t, mm_txn_edit(&t, start, start + len), start, start + len, pa);
	rc = mm_txn_commit(&t);
	if (rc == 0)
		*out_addr = start;
	return rc;
}

/* ---- munmap --------------------------------------------------------------------- */

/* Unmap [start, end) whose arguments were checked. */
static int
unmap_range(area_t *a, uint64_t start, uint64_t end)
{
	txn_t t;

	if (mm_reg_range_free(&a->reg, start, end))
		return 0;
	/* The count may go above its limit by removing, but not by a split. */
	if (a->vma_count >= a->map_count_max && splits_one_vma(a, start, end))
		return RME_ENOMEM;
	mm_txn_init(&t, a);
	mm_txn_edit(&t, start, end);
	return mm_txn_commit(&t);
}

static int
area_munmap(rme_mmap_t *mm, uint64_t addr, uint64_t len)
{
	area_t *a = area_of(mm);
	uint64_t end;
	int rc = unmap_args(a, addr, len, &end);

	return rc ? rc : unmap_range(a, addr, end);
}

/* ---- mprotect ------------------------------------------------------------------- */

/* What a stretch just before the current position will look like, for merges. */
typedef struct stretch {
	bool valid;
	uint64_t end;
	unsigned prot, vmflags;
	uint64_t obj, pgoff_end;
} stretch_t;

/*
 * How far a change gets (mprotect's, or mlock's and munlock's, which Linux
 * walks the same way, mprotect_fixup and mlock_fixup both ending in
 * vma_modify_flags): Linux walks the VMAs of [start, end) in order,
 * changing each, and stops with ENOMEM at the first hole, or where a VMA
 * would have to be split while the map count is at its limit (a change
 * that merges into a neighbour needs no split). *stop receives where it
 * stops; what lies before stays changed.
 */
static int
change_extent(const area_t *a, uint64_t start, uint64_t end, const piece_change_t *c,
              uint64_t *stop)
{
	uint64_t count = a->vma_count, pos = start;
	mm_piece_t *s = mm_reg_find(&a->reg, start);
	stretch_t prev = { 0 };
	bool first = true;

	if (s && s->start == start) {
		mm_piece_t *p = mm_reg_prev(s);
		if (p && p->end == start)
			prev = (stretch_t){ true, p->end, p->prot, p->vmflags, p->obj,
			                    p->pgoff + (p->end - p->start) / MM_PAGE };
	}
	while (pos < end) {
		mm_piece_t *last = s, *next;
		bool left_side, right_side;
		piece_attrs_t after;
		uint64_t e;

		if (!s || s->start > pos) {
			*stop = pos;
			return RME_ENOMEM;
		}
		left_side = !(first && (s->start < pos || mm_piece_joins(mm_reg_prev(s), s)));
		while (last->end < end && mm_piece_joins(last, mm_reg_next(last)))
			last = mm_reg_next(last);
		next = mm_reg_next(last);
		e = min_u64(last->end, end);
		right_side = last->end <= end && !mm_piece_joins(last, next);
		after = changed_attrs(s, s->start, c);

		if (after.prot != s->prot || after.vmflags != s->vmflags) {
			uint64_t pg_pos = s->pgoff + (pos - s->start) / MM_PAGE;
			uint64_t pg_e = last->pgoff + (e - last->start) / MM_PAGE;
			bool merge_left = left_side && prev.valid && prev.end == pos &&
			                  prev.prot == after.prot && prev.vmflags == after.vmflags &&
			                  prev.obj == s->obj && prev.pgoff_end == pg_pos;
			bool merge_right = right_side && next && next->start == e &&
			                   next->prot == after.prot && next->vmflags == after.vmflags &&
			                   next->obj == s->obj && next->pgoff == pg_e;

			if (merge_left || merge_right) {
				if (left_side && right_side)
					count -= (uint64_t)merge_left + merge_right;
			} else {
				unsigned splits = !left_side + !right_side;
				for (unsigned i = 0; i < splits; i++, count++) {
					if (count >= a->map_count_max) {
						*stop = pos;
						return RME_ENOMEM;
					}
				}
			}
			prev = (stretch_t){ true, e, after.prot, after.vmflags, s->obj, pg_e };
		} else {
			prev = (stretch_t){ true, e, s->prot, s->vmflags, s->obj,
			                    last->pgoff + (e - last->start) / MM_PAGE };
		}
		pos = e;
		s = next;
		first = false;
	}
	*stop = end;
	return 0;
}

/* Whether the change leaves the piece as it is. */
static bool
unchanged_by(const mm_piece_t *s, const piece_change_t *c)
{
	piece_attrs_t pa = changed_attrs(s, s->start, c);

	return pa.prot == s->prot && pa.vmflags == s->vmflags;
}

/*
 * Carry out a change over [start, end) as far as change_extent lets it
 * go, Linux's way: what it does not change is left alone (no cut where
 * nothing changes). Returns the transaction's error, else extent's.
 */
static int
change_range(area_t *a, uint64_t start, uint64_t end, const piece_change_t *c)
{
	uint64_t stop;
	int rc = change_extent(a, start, end, c, &stop);
	mm_piece_t *s;

	for (s = mm_reg_find(&a->reg, start); start < stop && unchanged_by(s, c); s = mm_reg_next(s))
		start = min_u64(s->end, stop);
	for (s = mm_reg_find(&a->reg, stop - 1); start < stop && unchanged_by(s, c);
	     s = mm_reg_prev(s))
		stop = s->start > start ? s->start : start;
	if (stop > start) {
		txn_t t;
		int err;

		mm_txn_init(&t, a);
		mm_edit_add_changed(&t, mm_txn_edit(&t, start, stop), start, stop, c);
		err = mm_txn_commit(&t);
		if (err)
			return err;
	}
	return rc;
}

static int
area_mprotect(rme_mmap_t *mm, uint64_t start, uint64_t len, int prot)
{
	area_t *a = area_of(mm);
	int grows = prot & (RME_PROT_GROWSDOWN | RME_PROT_GROWSUP);
	piece_change_t change = { .reprotect = true };
	uint64_t end;
	mm_piece_t *s;

	prot &= ~grows;
	if (grows == (RME_PROT_GROWSDOWN | RME_PROT_GROWSUP))
		return RME_EINVAL;
	if (!mm_page_aligned(start))
		return RME_EINVAL;
	if (len == 0)
		return 0;
	if (!mm_page_round_up(len, &len) || start + len <= start)
		return RME_ENOMEM;
	end = start + len;
	if (prot & ~(PROT_RWX | RME_PROT_SEM))
		return RME_EINVAL;

	s = mm_reg_lower_bound(&a->reg, start);
	if (!s || s->start >= end)
		return RME_ENOMEM;
	if (grows & RME_PROT_GROWSDOWN) {
		/* From the start of the (grows-down) VMA on. */
		mm_piece_t *p;
		while ((p = mm_reg_prev(s)) && mm_piece_joins(p, s))
			s = p;
		start = s->start;
		if (!(s->vmflags & MM_VM_GROWSDOWN))
			return RME_EINVAL;
	} else {
		if (s->start > start)
			return RME_ENOMEM;
		if (grows & RME_PROT_GROWSUP)
			return RME_EINVAL;   /* no VMA grows up on the architectures modelled */
	}
	change.prot = (unsigned)prot & PROT_RWX;
	return change_range(a, start, end, &change);
}

/* ---- mlock, munlock, mlockall, munlockall ---------------------------------------- */

/*
 * mlock2 (and mlock, flags 0) and munlock (lock 0): Linux's do_mlock and
 * apply_vma_lock_flags. The start is rounded down and the length up over
 * it, wrapping as Linux's size_t does; an empty range is 0, a range that
 * wraps EINVAL, an unmapped start or a hole ENOMEM (what lies before the
 * hole stays changed), a split at the limit ENOMEM. Then mlock populates
 * the range, which fails for PROT_NONE memory (EFAULT, which mlock
 * reports as ENOMEM) unless it is locked only on fault; the lock stays.
 */
static int
lock_range(area_t *a, uint64_t start, uint64_t len, unsigned lock)
{
	uint64_t off = start & MM_PAGE_MASK, end;
	piece_change_t change = { .relock = true, .lock = lock };
	int rc;

	start -= off;
	len = (len + off + MM_PAGE_MASK) & ~MM_PAGE_MASK;
	end = start + len;
	if (end < start)
		return RME_EINVAL;
	if (end == start)
		return 0;
	if (!mm_reg_find(&a->reg, start))
		return RME_ENOMEM;
	rc = change_range(a, start, end, &change);
	if (rc || !(lock & MM_VM_LOCKED) || (lock & MM_VM_LOCKONFAULT))
		return rc;
	for (mm_piece_t *s = mm_reg_find(&a->reg, start); s && s->start < end; s = mm_reg_next(s))
		if (s->prot == RME_PROT_NONE)
			return RME_ENOMEM;
	return 0;
}

static int
area_mlock(rme_mmap_t *mm, uint64_t start, uint64_t len, int flags)
{
	if (flags & ~RME_MLOCK_ONFAULT)
		return RME_EINVAL;
	return lock_range(area_of(mm), start, len,
	                  MM_VM_LOCKED | ((flags & RME_MLOCK_ONFAULT) ? MM_VM_LOCKONFAULT : 0));
}

static int
area_munlock(rme_mmap_t *mm, uint64_t start, uint64_t len)
{
	return lock_range(area_of(mm), start, len, 0);
}

/*
 * Linux's apply_mlockall_flags: MCL_FUTURE locks every mapping made from
 * now on, MCL_CURRENT (and munlockall, with lock 0) every mapping there
 * is, whole VMAs, so no split is needed; Linux ignores what fails per VMA
 * and populates ignoring errors, so it answers 0. Here the change is one
 * transaction, which can fail only if the metadata heap is exhausted.
 */
static int
lock_all(area_t *a, unsigned future, bool current, unsigned lock)
{
	piece_change_t change = { .relock = true, .lock = lock };
	txn_t t;

	if (current && !mm_reg_range_free(&a->reg, a->base, a->end)) {
		int rc;

		mm_txn_init(&t, a);
		mm_edit_add_changed(&t, mm_txn_edit(&t, a->base, a->end), a->base, a->end, &change);
		rc = mm_txn_commit(&t);
		if (rc)
			return rc;
	}
	a->def_lock = future;
	return 0;
}

static int
area_mlockall(rme_mmap_t *mm, int flags)
{
	unsigned onfault = (flags & RME_MCL_ONFAULT) ? MM_VM_LOCKONFAULT : 0;

	if (!flags || (flags & ~(RME_MCL_CURRENT | RME_MCL_FUTURE | RME_MCL_ONFAULT)) ||
	    flags == RME_MCL_ONFAULT)
		return RME_EINVAL;
	return lock_all(area_of(mm), (flags & RME_MCL_FUTURE) ? MM_VM_LOCKED | onfault : 0,
	                (flags & RME_MCL_CURRENT) != 0, MM_VM_LOCKED | onfault);
}

static int
area_munlockall(rme_mmap_t *mm)
{
	return lock_all(area_of(mm), 0, true, 0);
}

/* ---- mremap --------------------------------------------------------------------- */

/*
 * What growing a mapping adds at [from, to): fresh memory like the piece
 * last, continuing its object where the grown range ended, at src_end.
 */
static bool
edit_add_growth(txn_t *t, edit_t *e, const mm_piece_t *last, uint64_t src_end, uint64_t from,
                uint64_t to)
{
	return mm_edit_add_new(t, e, from, to, attrs_of(last, src_end));
}

/*
 * Move [addr, addr+move_len) to dst, where it becomes new_len long, and
 * leave [addr, addr+old_len) unmapped (or emptied, for MREMAP_DONTUNMAP).
 */
static int
move_mapping(area_t *a, uint64_t addr, uint64_t old_len, uint64_t move_len,
             const mm_piece_t *last, uint64_t dst, uint64_t new_len, bool dontunmap)
{
	edit_t *src_edit, *dst_edit;
	txn_t t;

	mm_txn_init(&t, a);
	src_edit = mm_txn_edit(&t, addr, addr + old_len);
	dst_edit = mm_txn_edit(&t, dst, dst + new_len);
	if (dontunmap)
		mm_edit_add_emptied(&t, src_edit, addr, addr + old_len);
	mm_edit_add_moved(&t, dst_edit, addr, addr + move_len, dst);
	if (new_len > move_len)
		edit_add_growth(&t, dst_edit, last, addr + move_len, dst + move_len, dst + new_len);
	return mm_txn_commit(&t);
}

/*
 * Linux's remap_is_valid for [addr, addr+len): not empty (we do not
 * duplicate shared mappings), inside one VMA, no page-offset overflow.
 */
static int
remap_valid(const area_t *a, uint64_t addr, uint64_t len, uint64_t new_len, mm_piece_t **last)
{
	mm_piece_t *s = mm_reg_find(&a->reg, addr);
	uint64_t pgoff;

	if (len == 0)
		return RME_EINVAL;
	if (len > a->end - addr || !within_one_vma(a, addr, addr + len, last))
		return RME_EFAULT;
	pgoff = s->pgoff + (addr - s->start) / MM_PAGE;
	if (pgoff + new_len / MM_PAGE < pgoff)
		return RME_EINVAL;
	return 0;
}

/* MREMAP_FIXED and MREMAP_DONTUNMAP: move to (or, without FIXED, near) new_addr. */
static int
remap_to(area_t *a, uint64_t addr, uint64_t old_len, uint64_t new_len, int flags,
         uint64_t new_addr, uint64_t *out_addr)
{
	uint64_t move_len = min_u64(old_len, new_len), dst, tail_end;
	mm_piece_t *last = NULL;
	int rc;

	if (new_len > a->end || new_addr > a->end - new_len)
		return RME_EINVAL;
	if (addr + old_len > new_addr && new_addr + new_len > addr)
		return RME_EINVAL;
	/* A shrink unmaps the tail first, with munmap's argument rules. */
	if (old_len > new_len && (rc = unmap_args(a, addr + new_len, old_len - new_len, &tail_end)))
		return rc;
	if ((rc = remap_valid(a, addr, move_len, new_len, &last)))
		return rc;
	if (flags & RME_MREMAP_FIXED) {
		if (new_addr < a->base) {
			a->head.cause = RME_MMAP_CAUSE_OUTSIDE_AREA;
			return RME_ENOMEM;   /* the layer can place nothing below its area */
		}
		dst = new_addr;
	} else if (!place(a, new_addr, new_len, &dst)) {
		return RME_ENOMEM;
	}
	if (a->vma_count + 3 >= a->map_count_max)
		return RME_ENOMEM;
	/* FIXED: the target's old mappings go in the same transaction (its edit replaces them). */
	rc = move_mapping(a, addr, old_len, move_len, last, dst, new_len,
	                  (flags & RME_MREMAP_DONTUNMAP) != 0);
	if (rc == 0)
		*out_addr = dst;
	return rc;
}

static int
area_mremap(rme_mmap_t *mm, uint64_t addr, uint64_t old_len, uint64_t new_len, int flags,
            uint64_t new_addr, uint64_t *out_addr)
{
	area_t *a = area_of(mm);
	bool to_new_addr = (flags & (RME_MREMAP_FIXED | RME_MREMAP_DONTUNMAP)) != 0;
	uint64_t aligned_new, aligned_old, end;
	mm_piece_t *last = NULL;
	int rc;

	/* check_mremap_params, in Linux's order */
	if (flags & ~(RME_MREMAP_MAYMOVE | RME_MREMAP_FIXED | RME_MREMAP_DONTUNMAP))
		return RME_EINVAL;
	if (!mm_page_aligned(addr))
		return RME_EINVAL;
	if (!mm_page_round_up(new_len, &aligned_new) || aligned_new == 0)
		return RME_EINVAL;
	if (to_new_addr) {
		if (!mm_page_aligned(new_addr))
			return RME_EINVAL;
		if (!(flags & RME_MREMAP_MAYMOVE))
			return RME_EINVAL;
		if ((flags & RME_MREMAP_DONTUNMAP) && old_len != new_len)
			return RME_EINVAL;
		/* the move must stay 4 below the limit even after two splits */
		if (a->vma_count + 2 + 3 >= a->map_count_max)
			return RME_ENOMEM;
	}
	if (!mm_page_round_up(old_len, &aligned_old))
		aligned_old = 0;   /* PAGE_ALIGN wraps */
	old_len = aligned_old;
	new_len = aligned_new;

	if (!mm_reg_find(&a->reg, addr))
		return RME_EFAULT;
	if (to_new_addr)
		return remap_to(a, addr, old_len, new_len, flags, new_addr, out_addr);

	if (old_len == new_len) {
		*out_addr = addr;
		return 0;
	}
	if (old_len > new_len) {
		rc = unmap_args(a, addr + new_len, old_len - new_len, &end);
		if (rc == 0)
			rc = unmap_range(a, addr + new_len, end);
		if (rc == 0)
			*out_addr = addr;
		return rc;
	}

	if ((rc = remap_valid(a, addr, old_len, new_len, &last)))
		return rc;
	end = addr + old_len;
	/* Grow in place if the VMA ends where the old range does and the space after it is free. */
	if (last->end == end && !mm_piece_joins(last, mm_reg_next(last)) &&
	    new_len - old_len <= a->end - end &&
	    mm_reg_range_free(&a->reg, end, addr + new_len)) {
		txn_t t;

		mm_txn_init(&t, a);
		edit_add_growth(&t, mm_txn_edit(&t, end, addr + new_len), last, end, end,
		                addr + new_len);
		rc = mm_txn_commit(&t);
		if (rc == 0)
			*out_addr = addr;
		return rc;
	}
	if (!(flags & RME_MREMAP_MAYMOVE))
		return RME_ENOMEM;
	{
		uint64_t dst;

		if (new_len > a->size || !place(a, 0, new_len, &dst))
			return RME_ENOMEM;
		if (a->vma_count + 3 >= a->map_count_max)
			return RME_ENOMEM;
		rc = move_mapping(a, addr, old_len, old_len, last, dst, new_len, false);
		if (rc == 0)
			*out_addr = dst;
		return rc;
	}
}

/* ---- madvise and msync ---------------------------------------------------------- */

typedef int (*visit_fn)(area_t *a, const mm_piece_t *s, uint64_t from, uint64_t to, int arg);

/*
 * Linux's madvise_walk_vmas: visit the mapped parts of [start, end) in
 * order. An error from visit ends the walk at once; unmapped parts make
 * the result ENOMEM once everything mapped was visited.
 */
static int
walk_range(area_t *a, uint64_t start, uint64_t end, visit_fn visit, int arg)
{
	int unmapped = 0;
	uint64_t pos = start;

	for (mm_piece_t *s = mm_reg_lower_bound(&a->reg, start); pos < end; s = mm_reg_next(s)) {
		uint64_t to;
		int rc;

		if (!s || s->start >= end)
			return RME_ENOMEM;
		if (pos < s->start) {
			unmapped = RME_ENOMEM;
			pos = s->start;
		}
		to = min_u64(end, s->end);
		rc = visit(a, s, pos, to, arg);
		if (rc)
			return rc;
		pos = to;
	}
	return unmapped;
}

static int
zero_range(area_t *a, const mm_piece_t *s, uint64_t from, uint64_t to)
{
	rme_err_t err;

	if (!s->chunk)
		return 0;   /* no RAM: reads as zero once it is backed */
	err = a->head.prims.ds_zero(a->head.prims.ctx, s->chunk->ds,
	                            mm_piece_chunk_off(s) + (from - s->start), to - from);
	return rme_errno_from_err(err);
}

static int
madvise_visit(area_t *a, const mm_piece_t *s, uint64_t from, uint64_t to, int advice)
{
	bool locked = s->vmflags & MM_VM_LOCKED;
	bool shared = s->vmflags & MM_VM_SHARED;
	bool file = s->vmflags & MM_VM_FILE;

	switch (advice) {
	case RME_MADV_DONTNEED:
	case RME_MADV_DONTNEED_LOCKED:
		if (advice == RME_MADV_DONTNEED && locked)
			return RME_EINVAL;
		/* Private pages read back as zero (the file's content is modelled as zeros);
		 * shared ones come back from their object unchanged. */
		return shared ? 0 : zero_range(a, s, from, to);
	case RME_MADV_FREE:
		return locked || shared || file ? RME_EINVAL : 0;
	case RME_MADV_REMOVE:
		if (locked)
			return RME_EINVAL;
		if (!shared)
			return file ? RME_EACCES : RME_EINVAL;
		return zero_range(a, s, from, to);
	case RME_MADV_WIPEONFORK:
		return shared || file ? RME_EINVAL : 0;
	case RME_MADV_COLD:
	case RME_MADV_PAGEOUT:
		return locked ? RME_EINVAL : 0;   /* can_madv_lru_vma */
	case RME_MADV_POPULATE_READ:
		return s->prot == RME_PROT_NONE ? RME_EFAULT : 0;
	case RME_MADV_POPULATE_WRITE:
		return !(s->prot & RME_PROT_WRITE) ? RME_EFAULT : 0;
	default:
		return 0;   /* advice about performance or fork/dump: no effect here */
	}
}

static bool
advice_known(int advice)
{
	switch (advice) {
	case RME_MADV_NORMAL: case RME_MADV_RANDOM: case RME_MADV_SEQUENTIAL:
	case RME_MADV_WILLNEED: case RME_MADV_DONTNEED: case RME_MADV_FREE:
	case RME_MADV_REMOVE: case RME_MADV_DONTFORK: case RME_MADV_DOFORK:
	case RME_MADV_MERGEABLE: case RME_MADV_UNMERGEABLE: case RME_MADV_HUGEPAGE:
	case RME_MADV_NOHUGEPAGE: case RME_MADV_DONTDUMP: case RME_MADV_DODUMP:
	case RME_MADV_WIPEONFORK: case RME_MADV_KEEPONFORK: case RME_MADV_COLD:
	case RME_MADV_PAGEOUT: case RME_MADV_POPULATE_READ: case RME_MADV_POPULATE_WRITE:
	case RME_MADV_DONTNEED_LOCKED: case RME_MADV_COLLAPSE:
		return true;
	default:
		return false;
	}
}

static int
area_madvise(rme_mmap_t *mm, uint64_t start, uint64_t len, int advice)
{
	area_t *a = area_of(mm);
	uint64_t rounded;

	if (!advice_known(advice))
		return RME_EINVAL;
	if (!mm_page_aligned(start))
		return RME_EINVAL;
	if (!mm_page_round_up(len, &rounded) || (len && !rounded))
		return RME_EINVAL;
	if (start + rounded < start)
		return RME_EINVAL;
	if (rounded == 0)
		return 0;
	return walk_range(a, start, start + rounded, madvise_visit, advice);
}

static int
msync_visit(area_t *a, const mm_piece_t *s, uint64_t from, uint64_t to, int flags)
{
	(void)a;
	(void)from;
	(void)to;
	/* Nothing to write back: file content is not modelled. */
	return (flags & RME_MS_INVALIDATE) && (s->vmflags & MM_VM_LOCKED) ? RME_EBUSY : 0;
}

static int
area_msync(rme_mmap_t *mm, uint64_t start, uint64_t len, int flags)
{
	area_t *a = area_of(mm);
	uint64_t rounded;

	if (flags & ~(RME_MS_ASYNC | RME_MS_INVALIDATE | RME_MS_SYNC))
		return RME_EINVAL;
	if (!mm_page_aligned(start))
		return RME_EINVAL;
	if ((flags & RME_MS_ASYNC) && (flags & RME_MS_SYNC))
		return RME_EINVAL;
	/* Linux rounds with wrap-around: a length that wraps to 0 syncs nothing. */
	if (!mm_page_round_up(len, &rounded))
		rounded = 0;
	if (start + rounded < start)
		return RME_ENOMEM;
	if (rounded == 0)
		return 0;
	return walk_range(a, start, start + rounded, msync_visit, flags);
}

/* ---- Set-up and tear-down ------------------------------------------------------- */

static rme_err_t
setup_failed(rme_mmap_setup_error_t *why, rme_err_t err)
{
	if (why)
		why->err = err;
	return err;
}

static void
text_area(mm_text_t *t, uint64_t base, uint64_t size)
{
	mm_text_str(t, "the area [");
	mm_text_hex(t, base);
	mm_text_str(t, ", ");
	mm_text_hex(t, base + size);
	mm_text_str(t, ")");
}

static bool
prims_complete(const rme_genode_prims_t *p)
{
	return p->ram_alloc && p->ram_free && p->ds_zero && p->rm_create && p->rm_destroy &&
	       p->rm_dataspace && p->attach && p->detach && p->heap_alloc && p->heap_free &&
	       p->lock && p->unlock;
}

static rme_err_t
area_create(const rme_genode_prims_t *prims, const rme_mmap_config_t *cfg, rme_mmap_t **out,
            rme_mmap_setup_error_t *why)
{
	rme_prim_attr_t attr = { .use_at = 1, .at = cfg->area_base, .executable = 1, .writeable = 1 };
	rme_prim_cap_t rm, ds;
	uint64_t at;
	area_t *a;
	rme_err_t err;
	mm_text_t t;

	mm_text_init(&t, why ? why->message : NULL, why ? sizeof(why->message) : 0);
	if (!prims_complete(prims)) {
		mm_text_str(&t, "the table of Genode primitives is incomplete");
		return setup_failed(why, RME_ERR_INVALID_ARGUMENT);
	}
	if (cfg->area_size == 0 || !mm_page_aligned(cfg->area_base) ||
	    !mm_page_aligned(cfg->area_size) || cfg->area_base > UINT64_MAX - cfg->area_size) {
		text_area(&t, cfg->area_base, cfg->area_size);
		mm_text_str(&t, " must be page-aligned, not empty, and not wrap around");
		return setup_failed(why, RME_ERR_INVALID_ARGUMENT);
	}
	if (cfg->chunk_size == 0 || !mm_page_aligned(cfg->chunk_size)) {
		mm_text_str(&t, "the chunk size ");
		mm_text_hex(&t, cfg->chunk_size);
		mm_text_str(&t, " is not a positive multiple of the page size");
		return setup_failed(why, RME_ERR_INVALID_ARGUMENT);
	}
	if (cfg->chunk_size / MM_PAGE > MM_CHUNK_PAGES_MAX) {
		mm_text_str(&t, "the chunk size ");
		mm_text_hex(&t, cfg->chunk_size);
		mm_text_str(&t, " is larger than 2^32 pages, the most a chunk record describes");
		return setup_failed(why, RME_ERR_INVALID_ARGUMENT);
	}
	if (cfg->map_count_max == 0) {
		mm_text_str(&t, "the map count limit must be positive");
		return setup_failed(why, RME_ERR_INVALID_ARGUMENT);
	}

	a = prims->heap_alloc(prims->ctx, sizeof(*a));
	if (!a) {
		mm_text_str(&t, "the metadata heap has no room for the instance");
		return setup_failed(why, RME_ERR_HOST_NO_MEMORY);
	}
	memset(a, 0, sizeof(*a));
	a->head.ops = &mmap_area_ops;
	a->head.prims = *prims;

	err = prims->rm_create(prims->ctx, cfg->area_size, &rm);
	if (err != RME_OK) {
		mm_text_str(&t, "cannot create the region map for ");
		text_area(&t, cfg->area_base, cfg->area_size);
		mm_text_str(&t, ": ");
		mm_text_str(&t, rme_err_name(err));
		prims->heap_free(prims->ctx, a, sizeof(*a));
		return setup_failed(why, err);
	}
	ds = prims->rm_dataspace(prims->ctx, rm);
	err = ds ? prims->attach(prims->ctx, RME_PRIM_LOCAL_RM, ds, &attr, &at)
	         : RME_ERR_INVALID_DATASPACE;
	if (err != RME_OK) {
		text_area(&t, cfg->area_base, cfg->area_size);
		if (err == RME_ERR_REGION_CONFLICT)
			mm_text_str(&t, " conflicts with the address space's layout: it overlaps "
			                "a region in use or lies outside the address space "
			                "(REGION_CONFLICT)");
		else {
			mm_text_str(&t, " cannot be attached into the address space: ");
			mm_text_str(&t, rme_err_name(err));
		}
		prims->rm_destroy(prims->ctx, rm);
		prims->heap_free(prims->ctx, a, sizeof(*a));
		return setup_failed(why, err);
	}

	a->rm = rm;
	a->base = cfg->area_base;
	a->size = cfg->area_size;
	a->end = cfg->area_base + cfg->area_size;
	a->chunk_size = cfg->chunk_size;
	a->map_count_max = cfg->map_count_max;
	mm_reg_init(&a->reg, a->base, a->end);
	*out = &a->head;
	return RME_OK;
}

/* Release one piece at tear-down: its region, and its chunk when it was the last user. */
static void
teardown_piece(area_t *a, mm_piece_t *s)
{
	if (mm_piece_attached(s))
		detach_piece(a, s);
	if (s->chunk && --s->chunk->refs == 0)
		chunk_release(a, s->chunk);
	heap_free(a, s, sizeof(*s));
}

static void
area_destroy(rme_mmap_t *mm)
{
	area_t *a = area_of(mm);
	rme_genode_prims_t prims = a->head.prims;
	mm_piece_t *s = a->reg.root;

	/* Post-order walk: a node goes once both subtrees are gone. */
	while (s) {
		mm_piece_t *p;

		if (s->child[0]) {
			s = s->child[0];
			continue;
		}
		if (s->child[1]) {
			s = s->child[1];
			continue;
		}
		p = s->parent;
		if (p)
			p->child[p->child[1] == s] = NULL;
		teardown_piece(a, s);
		s = p;
	}
	mm_spares_trim(a, (const unsigned[2]){ 0, 0 });
	prims.detach(prims.ctx, RME_PRIM_LOCAL_RM, a->base);
	prims.rm_destroy(prims.ctx, a->rm);
	prims.heap_free(prims.ctx, a, sizeof(*a));
}

const mmap_ops_t mmap_area_ops = {
	.name = "rmemu",
	.create = area_create,
	.destroy = area_destroy,
	.mmap = area_mmap,
	.munmap = area_munmap,
	.mprotect = area_mprotect,
	.mremap = area_mremap,
	.madvise = area_madvise,
	.msync = area_msync,
	.mlock = area_mlock,
	.munlock = area_munlock,
	.mlockall = area_mlockall,
	.munlockall = area_munlockall,
	.foreach = mm_area_foreach,
	.foreach_ram = mm_area_foreach_ram,
	.stats = mm_area_stats,
	.check = mm_area_check,
	.pieces_in = mm_area_pieces_in,
};
