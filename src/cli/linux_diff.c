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
 * model put it. Differences that are intended (the area is full, a file
 * mapping is anonymous memory) are counted apart from real ones.
 *
 * What an operation asks for comes from the executor's decoding
 * (rme_executor_decode), the same that fed the model, so the trace is read
 * in one place only; here it is only translated to this host's constants.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include <rmemu/rmemu.h>

#include "linux_diff.h"

/* A mapped range with its rights, in the area's addresses. */
struct span {
	uint64_t start, end;
	int prot;
};

struct spans {
	struct span *v;
	size_t n, cap;
};

static int
spans_add(struct spans *s, uint64_t start, uint64_t end, int prot)
{
	/* coalesce: the comparison is of pages, not of how VMAs are split */
	if (s->n && s->v[s->n - 1].end == start && s->v[s->n - 1].prot == prot) {
		s->v[s->n - 1].end = end;
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct span *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = (struct span){ start, end, prot };
	return 0;
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
	memset(ld, 0, sizeof(*ld));
	ld->relaxed_mremap = kernel_at_least_6_17();
	/* keep glibc's allocations out of the mirrored range */
	mallopt(M_MMAP_MAX, 0);
}

/* Wipe Linux's side after a trace. */
void
linux_diff_finish(struct linux_diff *ld)
{
	if (ld->host)
		munmap(ld->host, ld->area_size);
	ld->host = NULL;
	ld->ready = 0;
	ld->disabled = 0;
	ld->why_disabled[0] = 0;
}

static int
set_up(struct linux_diff *ld, const rme_replay_step_t *step, char *msg, size_t msglen)
{
	const rme_trace_directives_t *d = rme_trace_directives(step->trace);
	void *p;

	ld->ready = 1;
	if (!d->has_mmap_area) {
		ld->disabled = 1;
		snprintf(ld->why_disabled, sizeof(ld->why_disabled), "no mmap-area: nothing to compare");
		return 0;
	}
	if (d->has_map_count_max) {
		/* Linux's limit is process-wide and fixed: not comparable */
		ld->disabled = 1;
		snprintf(ld->why_disabled, sizeof(ld->why_disabled),
		         "map-count-max cannot be compared with Linux's process-wide limit");
		return 0;
	}
	ld->area_base = d->mmap_area_base;
	ld->area_size = d->mmap_area_size;
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

/* Linux's mappings inside the mirrored range, from /proc/self/maps. */
static int
linux_spans(struct linux_diff *ld, struct spans *out)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	uint64_t lo = (uint64_t)(uintptr_t)ld->host, hi = lo + ld->area_size;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		char perms[5];

		if (sscanf(line, "%llx-%llx %4s", &s, &e, perms) != 3 || e <= lo || s >= hi)
			continue;
		if (s < lo)
			s = lo;
		if (e > hi)
			e = hi;
		if (spans_add(out, s - lo + ld->area_base, e - lo + ld->area_base,
		              (perms[0] == 'r' ? RME_PROT_READ : 0) |
		              (perms[1] == 'w' ? RME_PROT_WRITE : 0) |
		              (perms[2] == 'x' ? RME_PROT_EXEC : 0)) != 0) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static int
collect_vma(void *ctx, const rme_mmap_vma_t *vma)
{
	return spans_add(ctx, vma->start, vma->start + vma->len, vma->prot);
}

static const char *
prot_str(int prot, char *buf)
{
	buf[0] = prot & RME_PROT_READ ? 'r' : '-';
	buf[1] = prot & RME_PROT_WRITE ? 'w' : '-';
	buf[2] = prot & RME_PROT_EXEC ? 'x' : '-';
	buf[3] = 0;
	return buf;
}

/* Compare which pages are mapped with which rights; 1 with a message if they differ. */
static int
compare_pages(struct linux_diff *ld, const rme_replay_step_t *step, char *msg, size_t msglen)
{
	struct spans model = { 0 }, lnx = { 0 };
	int differ = 0;

	if (rme_mmap_foreach(step->mmap, collect_vma, &model) != 0 || linux_spans(ld, &lnx) != 0) {
		snprintf(msg, msglen, "linux: cannot read the mappings");
		differ = 1;
		goto out;
	}
	for (size_t i = 0; i < model.n || i < lnx.n; i++) {
		char a[4], b[4];

		if (i < model.n && i < lnx.n && model.v[i].start == lnx.v[i].start &&
		    model.v[i].end == lnx.v[i].end && model.v[i].prot == lnx.v[i].prot)
			continue;
		if (i >= lnx.n)
			snprintf(msg, msglen, "linux: the model maps [%#llx, %#llx) %s, Linux does not",
			         (unsigned long long)model.v[i].start, (unsigned long long)model.v[i].end,
			         prot_str(model.v[i].prot, a));
		else if (i >= model.n)
			snprintf(msg, msglen, "linux: Linux maps [%#llx, %#llx) %s, the model does not",
			         (unsigned long long)lnx.v[i].start, (unsigned long long)lnx.v[i].end,
			         prot_str(lnx.v[i].prot, b));
		else
			snprintf(msg, msglen, "linux: the model maps [%#llx, %#llx) %s where Linux maps "
			         "[%#llx, %#llx) %s",
			         (unsigned long long)model.v[i].start, (unsigned long long)model.v[i].end,
			         prot_str(model.v[i].prot, a), (unsigned long long)lnx.v[i].start,
			         (unsigned long long)lnx.v[i].end, prot_str(lnx.v[i].prot, b));
		differ = 1;
		break;
	}
out:
	free(model.v);
	free(lnx.v);
	return differ;
}

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

/* Linux's mmap flags; a file mapping becomes anonymous memory, as the layer serves it. */
static int
host_map_flags(int f, int file)
{
	return ((f & RME_MAP_PRIVATE) ? MAP_PRIVATE : 0) |
	       ((f & RME_MAP_SHARED) ? MAP_SHARED : 0) |
	       ((f & RME_MAP_ANONYMOUS) || file ? MAP_ANONYMOUS : 0) |
	       ((f & RME_MAP_FIXED) ? MAP_FIXED : 0) |
	       ((f & RME_MAP_FIXED_NOREPLACE) ? MAP_FIXED_NOREPLACE : 0) |
	       ((f & RME_MAP_NORESERVE) ? MAP_NORESERVE : 0) |
	       ((f & RME_MAP_POPULATE) ? MAP_POPULATE : 0) |
	       ((f & RME_MAP_STACK) ? MAP_STACK : 0) |
	       ((f & RME_MAP_GROWSDOWN) ? MAP_GROWSDOWN : 0);
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

static int
diff_mmap(struct linux_diff *ld, const rme_replay_step_t *step, const rme_executor_call_t *c,
          char *msg, size_t msglen)
{
	uint64_t addr = c->addr, len = c->len;
	int fixed = (c->flags & (RME_MAP_FIXED | RME_MAP_FIXED_NOREPLACE)) != 0;
	int prot = host_prot(c->prot), flags = host_map_flags(c->flags, c->fd >= 0);
	int model_ok = step->actual->kind == RME_TRACE_RESULT_VALUE;
	uint64_t placed = step->actual->value;
	void *p;

	if (fixed) {
		if (!in_area(ld, addr, len)) {
			ld->skipped++;
			return 0;
		}
		p = mmap(to_host(ld, addr), len, prot, flags, -1, 0);
		if (compare_outcome(step->actual, p == MAP_FAILED, errno, msg, msglen))
			return 1;
		return model_ok && p != to_host(ld, placed) ?
		       (snprintf(msg, msglen, "linux: mapped at another address"), 1) : 0;
	}
	if (addr && in_area(ld, addr, len) && len) {
		/* a hint inside the area: both must take it exactly when it is free */
		p = mmap(to_host(ld, addr), len, prot, flags, -1, 0);
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
		} else if (compare_outcome(step->actual, 1, errno, msg, msglen)) {
			return 1;
		} else {
			return 0;
		}
	}
	if (!model_ok) {
		/* the model refused; Linux, with the whole address space, may not */
		p = mmap(NULL, len, prot, flags & ~(MAP_FIXED | MAP_FIXED_NOREPLACE), -1, 0);
		if (p != MAP_FAILED) {
			munmap(p, len);
			if (strcmp(step->actual->errno_name, "ENOMEM") == 0) {
				ld->intended++;   /* the area is full; Linux maps elsewhere */
				return 0;
			}
		}
		return compare_outcome(step->actual, p == MAP_FAILED, errno, msg, msglen);
	}
	/* map where the model put it; the place must be free on Linux too */
	p = mmap(to_host(ld, placed), len, prot, flags | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED) {
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

	(void)rme_mmap_foreach(step->mmap, cover, &c);
	return c.next >= c.end;
}

static int
diff_mremap(struct linux_diff *ld, const rme_replay_step_t *step, const rme_executor_call_t *c,
            char *msg, size_t msglen)
{
	const rme_trace_op_t *op = step->op;
	uint64_t old = c->addr, old_len = c->len, new_len = c->new_len, fixed_at = c->new_addr;
	int has_fixed = (c->flags & RME_MREMAP_FIXED) != 0;
	int flags = host_mremap_flags(c->flags);
	int model_ok = step->actual->kind == RME_TRACE_RESULT_VALUE;
	uint64_t placed = step->actual->value;
	void *p;

	if (!in_area(ld, old, old_len) || (has_fixed && !in_area(ld, fixed_at, new_len))) {
		ld->skipped++;
		return 0;
	}
	p = mremap(to_host(ld, old), old_len, new_len, flags, to_host(ld, fixed_at));
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
			ld->intended++;   /* refused either way, nothing changed */
			return 0;
		}
		if (p != MAP_FAILED && new_len <= old_len) {
			/* Linux has unmapped the target as well: no comparing after this */
			ld->intended++;
			ld->disabled = 1;
			snprintf(ld->why_disabled, sizeof(ld->why_disabled),
			         "stopped at line %zu: Linux >= 6.17 moved several mappings at once "
			         "(MREMAP_FIXED), the model keeps the older EFAULT", op->line);
			return 0;
		}
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
		ld->intended++;
		ld->disabled = 1;
		snprintf(ld->why_disabled, sizeof(ld->why_disabled),
		         "stopped at line %zu: Linux has one VMA where the model has a boundary "
		         "(merging by anon_vma and VM_ACCOUNT history)", op->line);
		return 0;
	}
	if (!model_ok && p != MAP_FAILED && strcmp(step->actual->errno_name, "ENOMEM") == 0 &&
	    !in_area(ld, (uint64_t)(uintptr_t)p - (uint64_t)(uintptr_t)ld->host + ld->area_base, new_len)) {
		/* the area is full: Linux moved it out of the area; put it back */
		ld->intended++;
		if (mremap(p, new_len, old_len, MREMAP_MAYMOVE | MREMAP_FIXED,
		           to_host(ld, old)) == MAP_FAILED) {
			snprintf(msg, msglen, "linux: cannot move the mapping back to %#llx",
			         (unsigned long long)old);
			return 1;
		}
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

static int
diff_range(struct linux_diff *ld, const rme_replay_step_t *step, const rme_executor_call_t *c,
           char *msg, size_t msglen)
{
	uint64_t addr = c->addr, len = c->len;
	void *h;
	int rc;

	/* an address outside the area would touch this process's own memory */
	if (!in_area(ld, addr, len)) {
		ld->skipped++;
		return 0;
	}
	h = to_host(ld, addr);
	switch (c->kind) {
	case RME_TRACE_OP_MUNMAP: rc = munmap(h, len); break;
	case RME_TRACE_OP_MPROTECT: rc = mprotect(h, len, host_prot(c->prot)); break;
	case RME_TRACE_OP_MSYNC: rc = msync(h, len, MS_SYNC); break;   /* c->flags: RME_MS_SYNC */
	default: rc = madvise(h, len, host_advice(c->advice)); break;
	}
	return compare_outcome(step->actual, rc != 0, errno, msg, msglen);
}

/* The rights Linux gives the page at x, -1 if it is not mapped. */
static int
linux_rights(struct linux_diff *ld, uint64_t x)
{
	struct spans s = { 0 };
	int prot = -1;

	if (linux_spans(ld, &s) == 0)
		for (size_t i = 0; i < s.n; i++)
			if (x >= s.v[i].start && x < s.v[i].end)
				prot = s.v[i].prot;
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

int
linux_diff_observe(void *ctx, const rme_replay_step_t *step, char *msg, size_t msglen)
{
	struct linux_diff *ld = ctx;
	rme_executor_call_t c;
	int differ;

	if (!ld->ready && set_up(ld, step, msg, msglen))
		return 1;
	if (ld->disabled || !step->mmap)
		return 0;
	/* the operation's arguments exactly as the executor gave them to the model */
	rme_executor_decode(step->op, step->slots, &c);
	switch (step->op->kind) {
	case RME_TRACE_OP_MMAP: differ = diff_mmap(ld, step, &c, msg, msglen); break;
	case RME_TRACE_OP_MREMAP: differ = diff_mremap(ld, step, &c, msg, msglen); break;
	case RME_TRACE_OP_MUNMAP:
	case RME_TRACE_OP_MPROTECT:
	case RME_TRACE_OP_MADVISE:
	case RME_TRACE_OP_MSYNC: differ = diff_range(ld, step, &c, msg, msglen); break;
	case RME_TRACE_OP_READ:
	case RME_TRACE_OP_WRITE:
	case RME_TRACE_OP_EXEC: differ = diff_access(ld, step, &c, msg, msglen); break;
	default: return 0;   /* Genode-level operations have no Linux counterpart */
	}
	ld->compared++;
	if (ld->disabled)
		return differ;   /* the comparison stopped at this operation */
	if (!differ && step->op->kind != RME_TRACE_OP_READ && step->op->kind != RME_TRACE_OP_EXEC)
		differ = compare_pages(ld, step, msg, msglen);
	ld->differences += differ != 0;
	return differ;
}
