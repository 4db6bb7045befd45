/*
 * linux_diff.c: rmemu replay --linux, the differential check of the mmap
 * layer against the real Linux kernel.
 *
 * While a trace replays on the model, every libc-level operation also runs
 * on Linux, in a range of this process that mirrors the trace's mmap-area
 * (an address x of the area is host + (x - area_base) here). After each one
 * the two are compared: the result or errno, which pages are mapped with
 * which rights, and the byte of every read. The range is not reserved, so
 * that MAP_FIXED_NOREPLACE, hints and merging are the kernel's own; glibc's
 * malloc is kept off mmap while the check runs, so nothing else lands there.
 *
 * Where the model decides what Linux would decide differently by design,
 * the model's choice is imposed on Linux so that the states stay
 * comparable: an address the layer picked (no hint, or a hint it could not
 * use) is mapped there on Linux with MAP_FIXED_NOREPLACE, which also proves
 * the place was free; a mapping Linux moved elsewhere is moved to where the
 * model put it. The differences that are documented (the area is full,
 * Linux 6.17's MREMAP_FIXED, merges by history Linux keeps ...) are in one
 * list, each with its reason; they are counted apart from real ones, and
 * those after which the two sides cannot be compared any more stop the
 * comparison of the trace. The caller holds the count of compared
 * operations against the operations the trace has up to such a stop.
 *
 * What an operation asks for comes from the executor's decoding
 * (rme_executor_decode), the same that fed the model, so the trace is read
 * in one place only; here it is only translated to this host's constants.
 *
 * A file mapping is made from a memfd of its own, sized to cover it, so
 * that Linux judges its flags as for a file (MAP_SHARED_VALIDATE's
 * EOPNOTSUPP, no mapping type's EINVAL) while its content is zeros that
 * nothing else shares, as on the model. The memory locks run on Linux as
 * the trace says, mlockall on the whole process (munlockall when the
 * trace is done); RLIMIT_MEMLOCK is raised to its hard limit first.
 *
 * Each comparison covers what the operation touched (linux_maps.c reads
 * just that range where the kernel has PROCMAP_QUERY), and the whole area
 * is compared every so many operations and after the last, so that the
 * comparison costs what the replay does and still misses nothing for long.
 *
 * A trace with map-count-max is compared with Linux's own limit brought to
 * it: this process gets as many mappings outside the area as make Linux
 * refuse where the trace's limit does. Where it already has more than
 * that, the comparison stops before the count gets close to the limit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <rmemu/rmemu.h>

#include "linux_diff.h"

/* The documented differences (linux_diff.h), each with its reason; doc/mmap.md explains them. */
static const struct {
	const char *name;
	int stops;
	const char *reason;
} documented[LD_DOCUMENTED_COUNT] = {
	[LD_AREA_FULL] = { "area-full", 0,
		"the area is full: the layer gives ENOMEM where Linux, with the whole address space, "
		"maps or moves the mapping elsewhere (it is put back)" },
	[LD_AREA_END] = { "area-end", 0,
		"the area ends where the layer refuses to grow a mapping in place (ENOMEM); Linux grew "
		"it beyond (it is shrunk back)" },
	[LD_MREMAP_FIXED_ORDER] = { "mremap-fixed-order", 0,
		"Linux >= 6.17 checks MREMAP_FIXED's target before the old range (EINVAL), the layer "
		"keeps the older EFAULT" },
	[LD_MREMAP_DUPLICATE] = { "mremap-duplicate", 0,
		"an old length of 0 duplicates a shared mapping on Linux, which the layer refuses "
		"(EINVAL); Linux's copy is undone" },
	[LD_MREMAP_DUPLICATE_FIXED] = { "mremap-duplicate-fixed", 1,
		"Linux duplicated a shared mapping (old length 0) over the fixed target, which the "
		"layer refuses; what the copy replaced cannot be restored" },
	[LD_MREMAP_FIXED_SEVERAL] = { "mremap-fixed-several", 1,
		"Linux >= 6.17 moved several mappings at once (MREMAP_FIXED), the model keeps the older "
		"EFAULT" },
	[LD_MERGE_HISTORY] = { "merge-history", 1,
		"Linux has one VMA where the model has a boundary (merging by anon_vma and VM_ACCOUNT "
		"history)" },
	[LD_MERGE_APART] = { "merge-apart", 1,
		"Linux keeps mappings apart that the model joins (merging by anon_vma history)" },
	[LD_BEYOND_AREA] = { "beyond-area", 1,
		"the operation reaches beyond the area's end, where Linux has this process's own "
		"memory" },
	[LD_LOCK_LIMIT] = { "lock-limit", 1,
		"Linux refused a lock for this process's RLIMIT_MEMLOCK, which the model does not "
		"have" },
	[LD_MAP_COUNT_NEAR] = { "map-count-near", 1,
		"Linux's map-count limit leaves this process fewer mappings than the trace's "
		"map-count-max, and the count gets close to it" },
	[LD_MAP_COUNT_SETUP] = { "map-count-setup", 1,
		"Linux's map-count limit cannot be brought to the trace's map-count-max here" },
};

const char *
linux_documented_name(linux_documented_t d)
{
	return documented[d].name;
}

const char *
linux_documented_reason(linux_documented_t d)
{
	return documented[d].reason;
}

int
linux_documented_stops(linux_documented_t d)
{
	return documented[d].stops;
}

int
linux_diff_comparable(rme_trace_op_kind_t kind)
{
	return rme_executor_is_libc(kind) || kind == RME_TRACE_OP_READ ||
	       kind == RME_TRACE_OP_WRITE || kind == RME_TRACE_OP_EXEC;
}

/* Whether the kernel has Linux 6.17's relaxed MREMAP_FIXED (moves of several mappings). */
static int
kernel_at_least_6_17(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (uname(&u) != 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return 0;
	return major > 6 || (major == 6 && minor >= 17);
}

void
linux_diff_init(struct linux_diff *ld)
{
	struct rlimit rl;

	memset(ld, 0, sizeof(*ld));
	ld->maps.fd = -1;
	ld->relaxed_mremap = kernel_at_least_6_17();
	/* keep glibc's allocations out of the mirrored range, and its heap from shrinking */
	mallopt(M_MMAP_MAX, 0);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	/* locks as the trace makes them, as far as this process may */
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_MEMLOCK, &rl);
	}
}

/* Wipe Linux's side after a trace, and everything the report said of it. */
void
linux_diff_finish(struct linux_diff *ld)
{
	int relaxed = ld->relaxed_mremap;

	if (ld->host)
		munmap(ld->host, ld->area_size);
	if (ld->pad)
		munmap(ld->pad, ld->pad_len);
	if (ld->locked_all)
		munlockall();   /* mlockall locked this whole process, for every trace after it */
	linux_maps_close(&ld->maps);
	memset(ld, 0, sizeof(*ld));
	ld->maps.fd = -1;
	ld->relaxed_mremap = relaxed;
}

/* No comparison for this trace: why (not a difference: nothing to compare, or an error). */
static void
disable(struct linux_diff *ld, const char *why)
{
	ld->disabled = 1;
	snprintf(ld->why_disabled, sizeof(ld->why_disabled), "%s", why);
}

/*
 * A documented difference at line: counted; one that stops ends the
 * comparison of the trace (before the operation at line, with before set).
 */
static void
met_documented(struct linux_diff *ld, linux_documented_t d, size_t line, int before)
{
	ld->documented[d]++;
	if (!documented[d].stops) {
		ld->intended++;
		return;
	}
	ld->disabled = 1;
	ld->has_stop = 1;
	ld->stop = d;
	ld->stop_line = line;
	ld->stop_before = before;
	snprintf(ld->why_disabled, sizeof(ld->why_disabled), "%s: %s", documented[d].name,
	         documented[d].reason);
}

/* ---- The map-count limit -------------------------------------------------------- */

/*
 * Linux counts this process's mappings against vm.max_map_count, the
 * layer only the area's against the trace's map-count-max. With exactly
 * vm.max_map_count - map-count-max mappings outside the area, Linux
 * refuses where the layer does (a new mapping above the limit, a split at
 * it, a move within three of it). Pad this process up to that with single
 * pages of alternating rights, which cannot merge; the heap gets room
 * first, since at the limit brk cannot grow it. Where the process has
 * more mappings than that already, compare only while the count stays
 * clear of Linux's limit.
 */
static void
bring_limit(struct linux_diff *ld, uint64_t trace_max)
{
	uint64_t sys = linux_max_map_count();
	long have = linux_map_count(&ld->maps);
	uint64_t want, pages;
	char *pad;

	if (!sys || have < 0) {
		met_documented(ld, LD_MAP_COUNT_SETUP, 0, 1);   /* vm.max_map_count or the maps unreadable */
		return;
	}
	if (sys < trace_max + (uint64_t)have) {
		/* the count that keeps Linux's limit (and its moves' headroom of 3) out of reach */
		ld->count_stop = sys > (uint64_t)have + 8 ? sys - (uint64_t)have - 8 : 1;
		return;
	}
	free(malloc((size_t)64 << 20));   /* room in the heap, kept (no trim) */
	have = linux_map_count(&ld->maps);
	want = sys - trace_max;
	pages = want - (uint64_t)have;
	if (pages) {
		pad = mmap(NULL, pages * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		           -1, 0);
		if (pad == MAP_FAILED) {
			met_documented(ld, LD_MAP_COUNT_SETUP, 0, 1);   /* no room for the padding */
			return;
		}
		ld->pad = pad;
		ld->pad_len = pages * 4096;
		for (uint64_t i = 1; i < pages; i += 2)
			(void)mprotect(pad + i * 4096, 4096, PROT_READ);
	}
	have = linux_map_count(&ld->maps);
	if (have < 0 || (uint64_t)have != want) {
		met_documented(ld, LD_MAP_COUNT_SETUP, 0, 1);   /* not exactly */
		return;
	}
	ld->outside = (uint64_t)have;
	ld->count_check = 1;
}

/*
 * Near the limit, where it decides, this process's own mappings must not
 * have changed: Linux's count is the area's and exactly those outside it.
 */
static int
check_outside(struct linux_diff *ld, const rme_replay_step_t *step, char *msg, size_t msglen)
{
	uint64_t model = rme_mmap_count(step->mmap), max = ld->map_count_max;
	long have;

	if (!ld->count_check || model + 4 < max)
		return 0;
	have = linux_map_count(&ld->maps);
	if (have >= 0 && (uint64_t)have == model + ld->outside)
		return 0;
	snprintf(msg, msglen, "linux: Linux counts %ld mappings, %llu of the area's and %llu outside "
	         "it expected", have, (unsigned long long)model, (unsigned long long)ld->outside);
	return 1;
}

/* ---- Setting up ----------------------------------------------------------------- */

static int
set_up(struct linux_diff *ld, const rme_replay_step_t *step, char *msg, size_t msglen)
{
	const rme_trace_directives_t *d = rme_trace_directives(step->trace);
	void *p;

	ld->ready = 1;
	if (!d->has_mmap_area) {
		disable(ld, "no mmap-area: nothing to compare");
		return 0;
	}
	if (linux_maps_open(&ld->maps) != 0) {
		snprintf(msg, msglen, "linux: cannot open /proc/self/maps");
		ld->disabled = 1;
		return 1;
	}
	ld->area_base = d->mmap_area_base;
	ld->area_size = d->mmap_area_size;
	/* first, so that the padding does not land where the area goes */
	if (d->has_map_count_max) {
		ld->map_count_max = d->map_count_max;
		bring_limit(ld, d->map_count_max);
	}
	/* find a free range of the area's size; it stays unmapped */
	p = mmap(NULL, ld->area_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(msg, msglen, "linux: no room for a %#llx-byte area in this process",
		         (unsigned long long)ld->area_size);
		ld->disabled = 1;
		return 1;
	}
	munmap(p, ld->area_size);
	ld->host = p;
	return 0;
}

static int
in_area(const struct linux_diff *ld, uint64_t x, uint64_t len)
{
	return x >= ld->area_base && x - ld->area_base <= ld->area_size &&
	       len <= ld->area_size - (x - ld->area_base);
}

static void *
to_host(const struct linux_diff *ld, uint64_t x)
{
	return ld->host + (x - ld->area_base);
}

/* ---- Comparing what is mapped --------------------------------------------------- */

/* The model's mappings clipped to [lo, hi), with their lock state if asked. */
struct model_range {
	struct spans *out;
	uint64_t lo, hi;
	int locks;
};

static int
collect_vma(void *ctx, const rme_mmap_vma_t *vma)
{
	struct model_range *r = ctx;
	uint64_t s = vma->start < r->lo ? r->lo : vma->start;
	uint64_t e = vma->start + vma->len > r->hi ? r->hi : vma->start + vma->len;
	int lock = !r->locks ? -1 : (vma->flags & RME_MAP_LOCKED) ? 1 + vma->onfault : 0;

	return spans_add(r->out, s, e, vma->prot, lock);
}

/* "rw-", with " locked" where the lock state is compared; buf holds 24 bytes. */
static const char *
prot_str(int prot, int lock, char *buf)
{
	static const char *const locks[] = { "", " unlocked", " locked", " locked on fault" };

	buf[0] = prot & RME_PROT_READ ? 'r' : '-';
	buf[1] = prot & RME_PROT_WRITE ? 'w' : '-';
	buf[2] = prot & RME_PROT_EXEC ? 'x' : '-';
	buf[3] = 0;
	strcat(buf, locks[lock < 0 ? 0 : lock > 2 ? 3 : lock + 1]);
	return buf;
}

/*
 * Compare which pages of [lo, hi) (the area's addresses) are mapped with
 * which rights, and with locks their lock state; 1 with a message if the
 * two differ.
 */
static int
compare_range(struct linux_diff *ld, const rme_replay_step_t *step, uint64_t lo, uint64_t hi,
              int locks, char *msg, size_t msglen)
{
	struct spans model = { 0 }, lnx = { 0 };
	struct model_range r = { &model, lo, hi, locks };
	uint64_t bias = (uint64_t)(uintptr_t)ld->host - ld->area_base;
	int differ = 0;

	if (lo >= hi)
		return 0;
	ld->compared_ranges++;
	if (rme_mmap_foreach_range(step->mmap, lo, hi, collect_vma, &r) != 0 ||
	    linux_maps_range(&ld->maps, lo + bias, hi + bias, bias, locks, &lnx) != 0) {
		snprintf(msg, msglen, "linux: cannot read the mappings");
		differ = 1;
		goto out;
	}
	for (size_t i = 0; i < model.n || i < lnx.n; i++) {
		char a[24], b[24];

		if (i < model.n && i < lnx.n && model.v[i].start == lnx.v[i].start &&
		    model.v[i].end == lnx.v[i].end && model.v[i].prot == lnx.v[i].prot &&
		    model.v[i].lock == lnx.v[i].lock)
			continue;
		if (i >= lnx.n)
			snprintf(msg, msglen, "linux: the model maps [%#llx, %#llx) %s, Linux does not",
			         (unsigned long long)model.v[i].start, (unsigned long long)model.v[i].end,
			         prot_str(model.v[i].prot, model.v[i].lock, a));
		else if (i >= model.n)
			snprintf(msg, msglen, "linux: Linux maps [%#llx, %#llx) %s, the model does not",
			         (unsigned long long)lnx.v[i].start, (unsigned long long)lnx.v[i].end,
			         prot_str(lnx.v[i].prot, lnx.v[i].lock, b));
		else
			snprintf(msg, msglen, "linux: the model maps [%#llx, %#llx) %s where Linux maps "
			         "[%#llx, %#llx) %s",
			         (unsigned long long)model.v[i].start, (unsigned long long)model.v[i].end,
			         prot_str(model.v[i].prot, model.v[i].lock, a),
			         (unsigned long long)lnx.v[i].start, (unsigned long long)lnx.v[i].end,
			         prot_str(lnx.v[i].prot, lnx.v[i].lock, b));
		differ = 1;
		break;
	}
out:
	free(model.v);
	free(lnx.v);
	return differ;
}

/* What an operation touched, in the area's addresses: at most two ranges. */
struct touched {
	uint64_t lo[2], hi[2];
	int n;
};

static void
touch(struct touched *t, const struct linux_diff *ld, uint64_t addr, uint64_t len)
{
	uint64_t lo = addr & ~(uint64_t)4095, hi = addr + len;
	uint64_t area_end = ld->area_base + ld->area_size;

	if (hi < addr || hi > area_end - 4095)
		hi = area_end;                       /* wraps, or reaches the end */
	hi = (hi + 4095) & ~(uint64_t)4095;
	if (lo < ld->area_base)
		lo = ld->area_base;
	if (hi > area_end)
		hi = area_end;
	if (lo < hi && t->n < 2) {
		t->lo[t->n] = lo;
		t->hi[t->n] = hi;
		t->n++;
	}
}

/* ---- The operations on Linux ---------------------------------------------------- */

/*
 * The executor decodes an operation into rmemu/mmap.h's constants, which
 * carry Linux's x86-64 values; this host's own may differ elsewhere.
 */
static int
host_prot(int prot)
{
	return ((prot & RME_PROT_READ) ? PROT_READ : 0) |
	       ((prot & RME_PROT_WRITE) ? PROT_WRITE : 0) |
	       ((prot & RME_PROT_EXEC) ? PROT_EXEC : 0);
}

/* Linux's mmap flags; the bits without a name in a trace go as they are. */
static int
host_map_flags(int f)
{
	static const struct { int rme, host; } named[] = {
		{ RME_MAP_SHARED, MAP_SHARED }, { RME_MAP_PRIVATE, MAP_PRIVATE },
		{ RME_MAP_ANONYMOUS, MAP_ANONYMOUS }, { RME_MAP_FIXED, MAP_FIXED },
		{ RME_MAP_FIXED_NOREPLACE, MAP_FIXED_NOREPLACE }, { RME_MAP_NORESERVE, MAP_NORESERVE },
		{ RME_MAP_POPULATE, MAP_POPULATE }, { RME_MAP_STACK, MAP_STACK },
		{ RME_MAP_GROWSDOWN, MAP_GROWSDOWN }, { RME_MAP_LOCKED, MAP_LOCKED },
	};
	int host = 0;

	for (size_t i = 0; i < sizeof(named) / sizeof(*named); i++)
		if (f & named[i].rme) {
			host |= named[i].host;
			f &= ~named[i].rme;
		}
	return host | f;
}

/*
 * mmap on Linux; a file mapping from a memfd of its own that covers it
 * (zeros nothing else shares, as on the model), so that Linux judges the
 * call as for a file.
 */
static void *
host_mmap(void *addr, uint64_t len, int prot, int flags, const rme_executor_call_t *c)
{
	int fd = -1;
	void *p;

	if (c->fd >= 0) {
		fd = memfd_create("rmemu-file", MFD_CLOEXEC);
		if (fd < 0)
			return MAP_FAILED;
		if (c->offset + len >= c->offset && c->offset + len <= (uint64_t)INT64_MAX)
			(void)ftruncate(fd, (off_t)(c->offset + len));
	}
	p = mmap(addr, len, prot, flags, fd, fd >= 0 ? (off_t)c->offset : 0);
	if (fd >= 0) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return p;
}

static int
host_mremap_flags(int f)
{
	return ((f & RME_MREMAP_MAYMOVE) ? MREMAP_MAYMOVE : 0) |
	       ((f & RME_MREMAP_FIXED) ? MREMAP_FIXED : 0);
}

static int
host_advice(int advice)
{
	switch (advice) {
	case RME_MADV_DONTNEED: return MADV_DONTNEED;
	case RME_MADV_FREE: return MADV_FREE;
	case RME_MADV_WILLNEED: return MADV_WILLNEED;
	default: return MADV_NORMAL;
	}
}

/* Note Linux's outcome of the operation: failed with errno e, or succeeded. */
static void
noted(struct linux_diff *ld, int failed, int e)
{
	ld->ran = 1;
	ld->linux_errno = failed ? e : 0;
}

/* The model's result as errno 0 (success) or an errno name. */
static const char *
model_errno(const rme_trace_result_t *r)
{
	return r->kind == RME_TRACE_RESULT_ERRNO ? r->errno_name : NULL;
}

/* Compare an outcome: Linux's rc (0 or -1 with errno e) with the model's. */
static int
compare_outcome(const rme_trace_result_t *actual, int failed, int e, char *msg, size_t msglen)
{
	const char *m = model_errno(actual);
	const char *l = failed ? strerrorname_np(e) : NULL;

	if (!m && !l)
		return 0;
	if (m && l && strcmp(m, l) == 0)
		return 0;
	snprintf(msg, msglen, "linux: the model gives %s%s, Linux %s%s",
	         m ? "errno " : "success", m ? m : "", l ? "errno " : "success", l ? l : "");
	return 1;
}

/*
 * Linux refused a lock the model made (MAP_LOCKED, mlock, mlockall): the
 * lock limit of this process, which the model does not have. Intended; and
 * since the two now lock differently, the comparison stops.
 */
static int
lock_limited(struct linux_diff *ld, const rme_replay_step_t *step, int failed, int e)
{
	if (!failed || model_errno(step->actual) || (e != ENOMEM && e != EAGAIN && e != EPERM))
		return 0;
	met_documented(ld, LD_LOCK_LIMIT, step->op->line, 0);
	return 1;
}

static int
diff_mmap(struct linux_diff *ld, const rme_replay_step_t *step, const rme_executor_call_t *c,
          struct touched *t, char *msg, size_t msglen)
{
	uint64_t addr = c->addr, len = c->len;
	int fixed = (c->flags & (RME_MAP_FIXED | RME_MAP_FIXED_NOREPLACE)) != 0;
	int prot = host_prot(c->prot), flags = host_map_flags(c->flags);
	int model_ok = step->actual->kind == RME_TRACE_RESULT_VALUE;
	uint64_t placed = step->actual->value;
	void *p;

	if (fixed) {
		if (!in_area(ld, addr, len)) {
			ld->skipped++;
			return 0;
		}
		touch(t, ld, addr, len);
		p = host_mmap(to_host(ld, addr), len, prot, flags, c);
		noted(ld, p == MAP_FAILED, errno);
		if (lock_limited(ld, step, p == MAP_FAILED, errno))
			return 0;
		if (compare_outcome(step->actual, p == MAP_FAILED, errno, msg, msglen))
			return 1;
		return model_ok && p != to_host(ld, placed) ?
		       (snprintf(msg, msglen, "linux: mapped at another address"), 1) : 0;
	}
	if (model_ok)
		touch(t, ld, placed, len);
	if (addr && in_area(ld, addr, len) && len) {
		/* a hint inside the area: both must take it exactly when it is free */
		p = host_mmap(to_host(ld, addr), len, prot, flags, c);
		noted(ld, p == MAP_FAILED, errno);
		if (p == to_host(ld, addr)) {
			if (model_ok && placed == addr)
				return 0;
			munmap(p, len);
			snprintf(msg, msglen, "linux: Linux took the hint %#llx, the model did not",
			         (unsigned long long)addr);
			return 1;
		}
		if (p != MAP_FAILED) {
			/* Linux placed it elsewhere; the model must not have taken the hint */
			munmap(p, len);
			if (model_ok && placed == addr) {
				snprintf(msg, msglen, "linux: the model took the hint %#llx, Linux did not",
				         (unsigned long long)addr);
				return 1;
			}
		} else if (lock_limited(ld, step, 1, errno)) {
			return 0;
		} else if (compare_outcome(step->actual, 1, errno, msg, msglen)) {
			return 1;
		} else {
			return 0;
		}
	}
	if (!model_ok) {
		/* the model refused; Linux, with the whole address space, may not */
		p = host_mmap(NULL, len, prot, flags & ~(MAP_FIXED | MAP_FIXED_NOREPLACE), c);
		noted(ld, p == MAP_FAILED, errno);
		if (p != MAP_FAILED) {
			munmap(p, len);
			if (strcmp(step->actual->errno_name, "ENOMEM") == 0) {
				met_documented(ld, LD_AREA_FULL, step->op->line, 0);
				return 0;
			}
		}
		return compare_outcome(step->actual, p == MAP_FAILED, errno, msg, msglen);
	}
	/*
	 * Map where the model put it; the place must be free on Linux too.
	 * MAP_SHARED_VALIDATE refuses MAP_FIXED_NOREPLACE (EOPNOTSUPP: it is not
	 * in LEGACY_MAP_MASK), so there the place is looked at first.
	 */
	if ((flags & MAP_SHARED_VALIDATE) == MAP_SHARED_VALIDATE) {
		struct spans there = { 0 };
		uint64_t bias = (uint64_t)(uintptr_t)ld->host - ld->area_base;
		int taken = linux_maps_range(&ld->maps, placed + bias, placed + bias + len, bias, 0,
		                             &there) != 0 || there.n;

		free(there.v);
		p = taken ? MAP_FAILED : host_mmap(to_host(ld, placed), len, prot, flags | MAP_FIXED, c);
		if (taken)
			errno = EEXIST;
	} else {
		p = host_mmap(to_host(ld, placed), len, prot, flags | MAP_FIXED_NOREPLACE, c);
	}
	noted(ld, p == MAP_FAILED, errno);
	if (p == MAP_FAILED) {
		if (lock_limited(ld, step, 1, errno))
			return 0;
		snprintf(msg, msglen, "linux: the model placed it at %#llx, where Linux cannot (errno %s)",
		         (unsigned long long)placed, strerrorname_np(errno));
		return 1;
	}
	return 0;
}

struct coverage {
	uint64_t next, end;   /* covered up to next, of [.., end) */
};

static int
cover(void *ctx, const rme_mmap_vma_t *vma)
{
	struct coverage *c = ctx;

	if (vma->start <= c->next && vma->start + vma->len > c->next)
		c->next = vma->start + vma->len;
	return c->next >= c->end;
}

/* Whether the model maps every page of [start, start+len). */
static int
mapped_throughout(const rme_replay_step_t *step, uint64_t start, uint64_t len)
{
	struct coverage c = { start, start + ((len + 4095) & ~(uint64_t)4095) };

	(void)rme_mmap_foreach_range(step->mmap, c.next, c.end, cover, &c);
	return c.next >= c.end;
}

/* Whether Linux maps every page of [start, start+len) (the area's addresses). */
static int
linux_throughout(struct linux_diff *ld, uint64_t start, uint64_t len)
{
	struct spans s = { 0 };
	uint64_t bias = (uint64_t)(uintptr_t)ld->host - ld->area_base;
	uint64_t end = start + ((len + 4095) & ~(uint64_t)4095), pos = start;

	if (linux_maps_range(&ld->maps, start + bias, end + bias, bias, 0, &s) == 0)
		for (size_t i = 0; i < s.n && s.v[i].start == pos; i++)
			pos = s.v[i].end;
	free(s.v);
	return pos >= end;
}

static int
diff_mremap(struct linux_diff *ld, const rme_replay_step_t *step, const rme_executor_call_t *c,
            struct touched *t, char *msg, size_t msglen)
{
	const rme_trace_op_t *op = step->op;
	uint64_t old = c->addr, old_len = c->len, new_len = c->new_len, fixed_at = c->new_addr;
	int has_fixed = (c->flags & RME_MREMAP_FIXED) != 0;
	int flags = host_mremap_flags(c->flags);
	int model_ok = step->actual->kind == RME_TRACE_RESULT_VALUE;
	uint64_t placed = step->actual->value;
	void *p;

	/* MREMAP_FIXED without MREMAP_MAYMOVE and no address known: any target is refused alike */
	if (op->u.mremap.fixed_unknown)
		fixed_at = old;
	if (!in_area(ld, old, old_len) || (has_fixed && !in_area(ld, fixed_at, new_len))) {
		ld->skipped++;
		return 0;
	}
	/* the old range as far as it shrinks or grows in place, and where it went */
	touch(t, ld, old, old_len > new_len ? old_len : new_len);
	if (has_fixed)
		touch(t, ld, fixed_at, new_len);
	else if (model_ok && placed != old)
		touch(t, ld, placed, new_len);
	p = mremap(to_host(ld, old), old_len, new_len, flags, to_host(ld, fixed_at));
	noted(ld, p == MAP_FAILED, errno);
	if (ld->relaxed_mremap && !model_ok && has_fixed &&
	    strcmp(step->actual->errno_name, "EFAULT") == 0) {
		/*
		 * Linux 6.17 reworked MREMAP_FIXED: it checks the target (EINVAL for
		 * an overlap) before it looks up the old range, and moves a range
		 * of several mappings and gaps that older kernels refuse with
		 * EFAULT. The layer keeps the older rules, which LTP's mremap03 and
		 * the reference describe.
		 */
		if (p == MAP_FAILED && errno == EINVAL) {
			/* refused either way, nothing changed */
			met_documented(ld, LD_MREMAP_FIXED_ORDER, op->line, 0);
			return 0;
		}
		if (p != MAP_FAILED && new_len <= old_len) {
			/* Linux has unmapped the target as well: no comparing after this */
			met_documented(ld, LD_MREMAP_FIXED_SEVERAL, op->line, 0);
			return 0;
		}
	}
	if (!model_ok && old_len == 0 && p != MAP_FAILED &&
	    strcmp(step->actual->errno_name, "EINVAL") == 0) {
		/*
		 * An old length of 0 duplicates a shared mapping on Linux; the
		 * layer refuses it (doc/mmap.md, deviations). Undo the copy, so
		 * that both sides stay comparable; a copy made over a fixed
		 * target has replaced what was there, which cannot be undone.
		 */
		if (has_fixed) {
			met_documented(ld, LD_MREMAP_DUPLICATE_FIXED, op->line, 0);
			return 0;
		}
		met_documented(ld, LD_MREMAP_DUPLICATE, op->line, 0);
		if (munmap(p, new_len) != 0) {
			snprintf(msg, msglen, "linux: cannot unmap the copy Linux made of a shared mapping");
			return 1;
		}
		return 0;
	}
	if (!model_ok && p != MAP_FAILED && strcmp(step->actual->errno_name, "EFAULT") == 0 &&
	    mapped_throughout(step, old, old_len)) {
		/*
		 * The model sees a VMA boundary in the old range where Linux has
		 * one VMA: Linux merges on history the layer cannot see (it drops
		 * VM_ACCOUNT when a never-written private mapping turns read-only,
		 * and keeps apart mappings with different anon_vmas). The mappings
		 * have diverged; stop comparing (doc/mmap.md, deviations).
		 */
		met_documented(ld, LD_MERGE_HISTORY, op->line, 0);
		return 0;
	}
	if (!model_ok && p == to_host(ld, old) && !in_area(ld, old, new_len) &&
	    strcmp(step->actual->errno_name, "ENOMEM") == 0) {
		/* the area ends there for the layer; Linux grew it in place beyond: shrink it back */
		met_documented(ld, LD_AREA_END, op->line, 0);
		if (mremap(p, new_len, old_len, 0) == MAP_FAILED) {
			snprintf(msg, msglen, "linux: cannot shrink the mapping back to the area");
			return 1;
		}
		return 0;
	}
	if (!model_ok && p != MAP_FAILED && strcmp(step->actual->errno_name, "ENOMEM") == 0 &&
	    !in_area(ld, (uint64_t)(uintptr_t)p - (uint64_t)(uintptr_t)ld->host + ld->area_base, new_len)) {
		/* the area is full: Linux moved it out of the area; put it back */
		met_documented(ld, LD_AREA_FULL, op->line, 0);
		if (mremap(p, new_len, old_len, MREMAP_MAYMOVE | MREMAP_FIXED,
		           to_host(ld, old)) == MAP_FAILED) {
			snprintf(msg, msglen, "linux: cannot move the mapping back to %#llx",
			         (unsigned long long)old);
			return 1;
		}
		return 0;
	}
	if (model_ok && p == MAP_FAILED && errno == EFAULT && linux_throughout(ld, old, old_len)) {
		/*
		 * The other way round: Linux keeps two mappings apart that the
		 * model joins, since they were touched apart (their anon_vmas
		 * differ), and refuses to move a range over both (doc/mmap.md,
		 * deviations); likewise where mlockall made their flags equal.
		 */
		met_documented(ld, LD_MERGE_APART, op->line, 0);
		return 0;
	}
	if (compare_outcome(step->actual, p == MAP_FAILED, errno, msg, msglen))
		return 1;
	if (!model_ok || p == to_host(ld, placed))
		return 0;
	if (p == to_host(ld, old) || placed == old) {
		snprintf(msg, msglen, "linux: %s in place, the other moved it",
		         p == to_host(ld, old) ? "Linux resized it" : "the model resized it");
		return 1;
	}
	/* both moved, to different places: follow the model */
	if (mremap(p, new_len, new_len, MREMAP_MAYMOVE | MREMAP_FIXED, to_host(ld, placed)) == MAP_FAILED) {
		snprintf(msg, msglen, "linux: cannot move the mapping to %#llx where the model put it",
		         (unsigned long long)placed);
		return 1;
	}
	return 0;
}

/* munmap, mprotect, madvise, msync, mlock, munlock: on a range. */
static int
diff_range(struct linux_diff *ld, const rme_replay_step_t *step, const rme_executor_call_t *c,
           struct touched *t, char *msg, size_t msglen)
{
	uint64_t addr = c->addr, len = c->len;
	void *h;
	int rc;

	/* an address outside the area would touch this process's own memory */
	if (!in_area(ld, addr, len)) {
		ld->skipped++;
		/*
		 * A range that starts in the area and reaches beyond its end may
		 * have changed what lies in the area on the model (mprotect up to
		 * the end, then ENOMEM), which is not done on Linux: from here on
		 * the two cannot be compared. A refusal that changes nothing
		 * (EINVAL) is no matter.
		 */
		if (in_area(ld, addr, 0) && addr < ld->area_base + ld->area_size &&
		    !(model_errno(step->actual) && strcmp(model_errno(step->actual), "EINVAL") == 0)) {
			met_documented(ld, LD_BEYOND_AREA, step->op->line, 0);
		}
		return 0;
	}
	touch(t, ld, addr, len);
	h = to_host(ld, addr);
	switch (c->kind) {
	case RME_TRACE_OP_MUNMAP: rc = munmap(h, len); break;
	case RME_TRACE_OP_MPROTECT: rc = mprotect(h, len, host_prot(c->prot)); break;
	case RME_TRACE_OP_MSYNC: rc = msync(h, len, c->flags); break;   /* MS_*: Linux's values */
	case RME_TRACE_OP_MLOCK: rc = (int)syscall(SYS_mlock2, h, len, c->flags); break;
	case RME_TRACE_OP_MUNLOCK: rc = munlock(h, len); break;
	default: rc = madvise(h, len, host_advice(c->advice)); break;
	}
	noted(ld, rc != 0, errno);
	if (c->kind == RME_TRACE_OP_MLOCK && lock_limited(ld, step, rc != 0, errno))
		return 0;
	return compare_outcome(step->actual, rc != 0, errno, msg, msglen);
}

/* mlockall, munlockall: on this whole process, the area with it. */
static int
diff_lock_all(struct linux_diff *ld, const rme_replay_step_t *step, const rme_executor_call_t *c,
              struct touched *t, char *msg, size_t msglen)
{
	int rc = c->kind == RME_TRACE_OP_MLOCKALL ? mlockall(c->flags) : munlockall();

	noted(ld, rc != 0, errno);
	ld->locked_all = 1;
	touch(t, ld, ld->area_base, ld->area_size);
	if (c->kind == RME_TRACE_OP_MLOCKALL && lock_limited(ld, step, rc != 0, errno))
		return 0;
	return compare_outcome(step->actual, rc != 0, errno, msg, msglen);
}

/* The rights Linux gives the page at x, -1 if it is not mapped. */
static int
linux_rights(struct linux_diff *ld, uint64_t x)
{
	struct spans s = { 0 };
	uint64_t bias = (uint64_t)(uintptr_t)ld->host - ld->area_base, page = x & ~(uint64_t)4095;
	int prot = -1;

	if (linux_maps_range(&ld->maps, page + bias, page + bias + 4096, bias, 0, &s) == 0 && s.n)
		prot = s.v[0].prot;
	free(s.v);
	return prot;
}

static int
diff_access(struct linux_diff *ld, const rme_replay_step_t *step, const rme_executor_call_t *c,
            char *msg, size_t msglen)
{
	uint64_t a = c->addr;
	int done = step->actual->kind == RME_TRACE_RESULT_VALUE || step->actual->kind == RME_TRACE_RESULT_OK;
	int need = c->access == RME_FAULT_READ ? PROT_READ
	         : c->access == RME_FAULT_WRITE ? PROT_WRITE : PROT_EXEC;
	int prot;

	if (!in_area(ld, a, 1)) {
		ld->skipped++;
		return 0;
	}
	prot = linux_rights(ld, a);
	/*
	 * Page tables cannot express write-only (x86-64, arm64): Linux maps a
	 * PROT_WRITE mapping readable, though it reports only the w.
	 */
	if (prot >= 0 && (prot & PROT_WRITE))
		prot |= PROT_READ;
	if ((prot >= 0 && (prot & need)) != done) {
		snprintf(msg, msglen, "linux: the access %s on the model but %s on Linux",
		         done ? "completes" : "faults", done ? "would fault" : "would complete");
		return 1;
	}
	if (!done || c->access == RME_FAULT_EXEC)
		return 0;   /* code is not run on Linux; the rights were compared */
	if (c->access == RME_FAULT_WRITE) {
		*(volatile uint8_t *)to_host(ld, a) = c->byte;
		return 0;
	}
	if (*(volatile uint8_t *)to_host(ld, a) != step->actual->value) {
		snprintf(msg, msglen, "linux: read %#x on the model, %#x on Linux",
		         (unsigned)step->actual->value, *(volatile uint8_t *)to_host(ld, a));
		return 1;
	}
	return 0;
}

/* ---- One operation -------------------------------------------------------------- */

/* Compare the whole area at least this often, and as often as it has mappings. */
enum { FULL_COMPARE_EVERY = 1024 };

/*
 * Reading a whole mappings file costs as much as the process has mappings
 * (the trace's, its padding and rmemu's own, some hundred) and, for smaps,
 * which walks the page tables, as it has resident pages (the model and the
 * parsed trace grow with the trace): a cost unit is a mapping or
 * PAGES_PER_UNIT resident pages. The file is read only while the budget
 * allows: it starts at 2^18 units (a trace of some thousands of operations
 * never runs out) and grows by FILE_BUDGET_PER_OP with each operation.
 * Beyond it, a range's rights are still compared through PROCMAP_QUERY and
 * its locks at a later whole-area comparison (always after the last
 * operation), or, without PROCMAP_QUERY, the whole range then; so the
 * comparison's cost stays linear in the operations, as the replay's.
 */
enum { FILE_BUDGET_START = 1 << 18, FILE_BUDGET_PER_OP = 2, OWN_MAPPINGS = 256,
       PAGES_PER_UNIT = 64 };

/* This process's resident pages, from /proc/self/statm (counters, no walk); 0 if unknown. */
static uint64_t
resident_pages(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long long size = 0, resident = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident;
}

static int
file_affordable(struct linux_diff *ld, const rme_replay_step_t *step, int smaps)
{
	uint64_t cost = rme_mmap_count(step->mmap) + ld->outside + OWN_MAPPINGS;

	if (smaps)
		cost += resident_pages() / PAGES_PER_UNIT;
	if (ld->file_budget < cost)
		return 0;
	ld->file_budget -= cost;
	return 1;
}

static int
is_lock_op(const rme_trace_op_t *op)
{
	return op->kind == RME_TRACE_OP_MLOCK || op->kind == RME_TRACE_OP_MUNLOCK ||
	       op->kind == RME_TRACE_OP_MLOCKALL || op->kind == RME_TRACE_OP_MUNLOCKALL ||
	       (op->kind == RME_TRACE_OP_MMAP && (op->u.mmap.flags & RME_TRACE_MAP_LOCKED));
}

/* After an operation: what it touched, and now and then the whole area. */
static int
compare_after(struct linux_diff *ld, const rme_replay_step_t *step, const struct touched *t,
              char *msg, size_t msglen)
{
	int last = step->index + 1 == rme_trace_op_count(step->trace);
	uint64_t vmas = rme_mmap_count(step->mmap);

	if (last || (++ld->since_full >= FULL_COMPARE_EVERY && ld->since_full >= vmas)) {
		int locks = ld->locks_seen;

		/* the locks (smaps) as the budget allows, and always after the last operation */
		if (locks && !last && !file_affordable(ld, step, 1)) {
			ld->deferred++;
			locks = 0;
		}
		ld->since_full = 0;
		ld->full_compares++;
		return compare_range(ld, step, ld->area_base, ld->area_base + ld->area_size,
		                     locks, msg, msglen);
	}
	for (int i = 0; i < t->n; i++) {
		int locks = ld->locks_seen;

		if ((locks || !ld->maps.have_query) && !file_affordable(ld, step, locks)) {
			ld->deferred++;
			if (!ld->maps.have_query)
				continue;       /* all of it at the next whole-area comparison */
			locks = 0;              /* its locks later */
		}
		if (compare_range(ld, step, t->lo[i], t->hi[i], locks, msg, msglen))
			return 1;
	}
	return 0;
}

int
linux_diff_observe(void *ctx, const rme_replay_step_t *step, char *msg, size_t msglen)
{
	struct linux_diff *ld = ctx;
	struct touched t = { .n = 0 };
	rme_executor_call_t c;
	size_t skipped_before = ld->skipped;
	int differ;

	ld->ran = 0;
	if (!ld->ready) {
		ld->file_budget = FILE_BUDGET_START;
		if (set_up(ld, step, msg, msglen))
			return 1;
	}
	ld->file_budget += FILE_BUDGET_PER_OP;
	if (ld->disabled || !step->mmap)
		return 0;
	if (ld->count_stop && ld->last_count >= ld->count_stop && rme_executor_is_libc(step->op->kind)) {
		met_documented(ld, LD_MAP_COUNT_NEAR, step->op->line, 1);
		return 0;
	}
	ld->locks_seen |= is_lock_op(step->op);
	/* the operation's arguments exactly as the executor gave them to the model */
	rme_executor_decode(step->op, step->slots, &c);
	switch (step->op->kind) {
	case RME_TRACE_OP_MMAP: differ = diff_mmap(ld, step, &c, &t, msg, msglen); break;
	case RME_TRACE_OP_MREMAP: differ = diff_mremap(ld, step, &c, &t, msg, msglen); break;
	case RME_TRACE_OP_MUNMAP:
	case RME_TRACE_OP_MPROTECT:
	case RME_TRACE_OP_MADVISE:
	case RME_TRACE_OP_MSYNC:
	case RME_TRACE_OP_MLOCK:
	case RME_TRACE_OP_MUNLOCK: differ = diff_range(ld, step, &c, &t, msg, msglen); break;
	case RME_TRACE_OP_MLOCKALL:
	case RME_TRACE_OP_MUNLOCKALL: differ = diff_lock_all(ld, step, &c, &t, msg, msglen); break;
	case RME_TRACE_OP_READ:
	case RME_TRACE_OP_WRITE:
	case RME_TRACE_OP_EXEC: differ = diff_access(ld, step, &c, msg, msglen); break;
	default:
		/* Genode-level operations and checks have no Linux counterpart; the last compares all */
		if (step->index + 1 != rme_trace_op_count(step->trace))
			return 0;
		differ = compare_after(ld, step, &t, msg, msglen);
		ld->differences += differ != 0;
		return differ;
	}
	ld->last_count = rme_mmap_count(step->mmap);
	if (ld->skipped != skipped_before)
		return differ;   /* outside the area: not run on Linux */
	ld->compared++;
	if (ld->disabled)
		return differ;   /* the comparison stopped at this operation */
	if (!differ)
		differ = check_outside(ld, step, msg, msglen);
	/* an access changes no mapping, but the last operation compares the whole area */
	if (!differ && ((step->op->kind != RME_TRACE_OP_READ && step->op->kind != RME_TRACE_OP_EXEC) ||
	                step->index + 1 == rme_trace_op_count(step->trace)))
		differ = compare_after(ld, step, &t, msg, msglen);
	ld->differences += differ != 0;
	return differ;
}
