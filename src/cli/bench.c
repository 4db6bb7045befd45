/*
 * bench.c: rmemu bench, a benchmark (never a test): time per operation and
 * metadata per live mapping for each workload at a chosen number of live
 * mappings n, printed as text or JSON.
 *
 * Each workload first builds up n live mappings, then runs a steady state
 * in which n stays (about) constant while it is measured: region-map
 * detaches one region and attaches one; mmap cuts, merges, replaces and
 * moves mappings through the mmap layer and then makes the same calls on
 * the Linux kernel; replay parses and replays a trace of such a churn.
 * Every operation is timed on its own (CLOCK_MONOTONIC, whose cost is part
 * of the figure), which gives the median and the 99th percentile. Metadata
 * bytes come from the counting allocators the model and the layer allocate
 * through, not from estimates. doc/benchmarks.md has the results.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include <rmemu/rmemu.h>

#include "bench.h"
#include "bench_arena.h"
#include "cli.h"
#include "progress.h"

uint64_t
bench_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

uint64_t
bench_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

void
bench_placement_mix(uint64_t *digest, uint64_t addr)
{
	for (int i = 0; i < 8; i++) {
		*digest ^= (addr >> (8 * i)) & 0xff;
		*digest *= 0x100000001b3ULL;
	}
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

void
bench_summarize(uint64_t *samples, size_t n, struct bench_result *res)
{
	if (!n)
		return;
	qsort(samples, n, sizeof(*samples), cmp_u64);
	res->ns_median = (double)samples[n / 2];
	res->ns_p99 = (double)samples[(size_t)((double)(n - 1) * 0.99)];
}

void
bench_rss(struct bench_result *res)
{
	struct rusage ru;
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long long size, resident;

	if (f) {
		if (fscanf(f, "%llu %llu", &size, &resident) == 2)
			res->rss_mib = (double)resident * 4096.0 / (1024.0 * 1024.0);
		fclose(f);
	}
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		res->max_rss_mib = (double)ru.ru_maxrss / 1024.0;
}

/* ---- Workload: region-map attach and detach --------------------------------------- */

/*
 * A sub region map with room for n regions of 4 to 64 KiB; the steady state
 * detaches a random region and attaches one, anywhere (core's placement)
 * three times out of four and at a random free-looking address otherwise.
 */
static int
bench_region_map(uint64_t live, uint64_t ops, struct bench_result *res)
{
	rme_counting_allocator_t ca;
	bench_arena_t arena;
	rme_model_config_t cfg;
	rme_model_t *m = NULL;
	rme_cap_t rm, ds;
	rme_addr_t *addrs = malloc(live * sizeof(*addrs));
	uint64_t *samples = malloc(ops * sizeof(*samples));
	uint64_t seed = 0x1234, map_size = live * 0x40000, md_empty, done = 0;
	int rc = -1;

	rme_counting_init(&ca, bench_arena_init(&arena));
	res->host_memory = bench_arena_name(&arena);
	res->placement_digest = BENCH_DIGEST_INIT;
	if (!addrs || !samples)
		goto out;
	rme_model_config_init(&cfg);
	cfg.ram_quota = UINT64_MAX / 2;
	cfg.cap_quota = UINT64_MAX / 2;
	cfg.allocator = &ca.iface;
	if (rme_model_create(&cfg, &m) != RME_OK || rme_rm_create(m, map_size, &rm) != RME_OK ||
	    rme_ram_alloc(m, 0x10000, &ds) != RME_OK)
		goto out;
	md_empty = ca.live_bytes;

	for (uint64_t i = 0; i < live; i++) {
		rme_attr_t a = { .size = 4096 * (1 + bench_rand(&seed) % 16) };
		rme_range_t r;
		if (rme_attach(m, rm, ds, &a, &r) != RME_OK)
			goto out;
		addrs[i] = r.start;
		bench_placement_mix(&res->placement_digest, r.start);
		res->placements++;
	}
	res->bytes_per_mapping = (double)(ca.live_bytes - md_empty) / (double)live;
	bench_rss(res);

	while (done < ops) {
		uint64_t k = bench_rand(&seed) % live, r = bench_rand(&seed);
		rme_attr_t a = { .size = 4096 * (1 + r % 16) };
		rme_range_t range;
		uint64_t t0, t1, t2;
		rme_err_t err;

		if (r % 4 == 0) {
			a.use_at = 1;
			a.at = (bench_rand(&seed) % (map_size / 4096)) * 4096;
		}
		t0 = bench_now_ns();
		(void)rme_detach(m, rm, addrs[k]);
		t1 = bench_now_ns();
		err = rme_attach(m, rm, ds, &a, &range);
		t2 = bench_now_ns();
		if (err == RME_ERR_REGION_CONFLICT && a.use_at) {
			/* the address was taken: place it anywhere instead, as a user would */
			a.use_at = 0;
			t1 = t2 - (t1 - t0);
			err = rme_attach(m, rm, ds, &a, &range);
			t2 = bench_now_ns();
		}
		if (err != RME_OK)
			goto out;
		addrs[k] = range.start;
		bench_placement_mix(&res->placement_digest, range.start);
		res->placements++;
		samples[done++] = t1 - t0;
		if (done < ops)
			samples[done++] = t2 - t1;
	}
	bench_summarize(samples, ops, res);
	res->ops = ops;
	rc = 0;
out:
	rme_model_destroy(m);
	bench_arena_fini(&arena);
	free(addrs);
	free(samples);
	return rc;
}

/* ---- Workload: trace replay from text ---------------------------------------------- */

struct text {
	char *buf;
	size_t len, cap;
};

static int
text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return 0;
		}
		size_t cap = t->cap * 2 + (size_t)n + 4096;
		char *grown = realloc(t->buf, cap);
		if (!grown)
			return -1;
		t->buf = grown;
		t->cap = cap;
	}
}

/*
 * A trace that builds up n attachments in a sub region map and then churns
 * (detach one, attach one) for ops lines; lines per second include parsing.
 * Attachment k always goes to its own 256 KiB cell (at=), so the figure
 * measures the replay and not core's search for a free place, whose cost
 * the region-map workload shows.
 */
static int
bench_replay(uint64_t live, uint64_t ops, struct bench_result *res)
{
	struct text t = { 0 };
	rme_trace_t *trace = NULL;
	rme_trace_error_t perr;
	rme_replay_report_t rep;
	rme_replay_options_t opt = { 0 };
	bench_arena_t arena;
	const rme_allocator_t *alloc = bench_arena_init(&arena);
	uint64_t seed = 99, lines = 0, t0, t1, *names = NULL;
	int rc = -1;

	res->host_memory = bench_arena_name(&arena);

	if (text_printf(&t, "rmemu-trace 1\nquota ram=0x7fffffffffff caps=1000000000\n"
	                "rm = rm-create 0x%" PRIx64 "\nds = ram-alloc 64K\n", live * 0x40000) != 0)
		goto out;
	for (uint64_t i = 0; i < live; i++, lines++)
		if (text_printf(&t, "a%" PRIu64 " = attach rm ds size=%" PRIu64 "K at=0x%" PRIx64 "\n",
		                i, 4 * (1 + bench_rand(&seed) % 16), i * 0x40000) != 0)
			goto out;
	/* name[k]: the number of the name now bound to attachment k ("a" + number) */
	names = malloc(live * sizeof(*names));
	if (!names)
		goto out;
	for (uint64_t k = 0; k < live; k++)
		names[k] = k;
	for (uint64_t i = 0; i < ops / 2; i++, lines += 2) {
		uint64_t k = bench_rand(&seed) % live, fresh = live + i;

		if (text_printf(&t, "detach rm a%" PRIu64 "\na%" PRIu64 " = attach rm ds size=%" PRIu64
		                "K at=0x%" PRIx64 "\n", names[k], fresh,
		                4 * (1 + bench_rand(&seed) % 16), k * 0x40000) != 0)
			goto out;
		names[k] = fresh;
	}
	t0 = bench_now_ns();
	if (rme_trace_parse("bench", t.buf, t.len, alloc, &trace, &perr) != RME_OK) {
		fprintf(stderr, "rmemu bench: %s\n", perr.msg);
		goto out;
	}
	opt.allocator = alloc;
	if (rme_replay(trace, &opt, &rep, NULL, NULL) != RME_OK)
		goto out;
	t1 = bench_now_ns();
	res->ops = lines + 4;
	res->lines_per_sec = (double)res->ops / ((double)(t1 - t0) / 1e9);
	res->ns_median = res->ns_p99 = (double)(t1 - t0) / (double)res->ops;
	rc = 0;
out:
	rme_trace_free(trace);
	bench_arena_fini(&arena);
	free(t.buf);
	free(names);
	return rc;
}

/* ---- Workload: the mmap layer, and the same sequence on Linux ---------------------- */

/*
 * The address space of the mmap workload: n cells of 256 KiB, one per live
 * mapping, below a zone of as many cells where unhinted mappings land (the
 * layer places top-down, into the highest gap). A mapping in a cell lives in
 * one of its two halves and never outgrows it (at most 32 pages), so fixed
 * mappings, growth in place and moves between the halves never meet another
 * mapping. Everything is anonymous and private; one in eight mappings is a
 * PROT_NONE reservation (MAP_NORESERVE, as Go and the JDK reserve), one in
 * eight read-only.
 */
#define MB_CELL ((uint64_t)256 << 10)
#define MB_HALF (MB_CELL / 2)
#define MB_PG ((uint64_t)4096)
#define MB_MAX_PAGES 32u

enum { MB_NORMAL, MB_PROT_SPLIT, MB_HOLE };         /* what the last operation left */
enum { OPK_MMAP, OPK_MUNMAP, OPK_MPROTECT, OPK_MREMAP, OPK_N };
static const char *const opk_names[OPK_N] = { "mmap", "munmap", "mprotect", "mremap" };

enum { MB_F_FIXED = 1, MB_F_NORESERVE = 2 };        /* mb_op.flags of an mmap */

struct mb_slot {
	uint64_t addr;       /* where the mapping starts */
	uint8_t pages;       /* its length */
	uint8_t state;       /* MB_NORMAL, MB_PROT_SPLIT, MB_HOLE */
	uint8_t prot;        /* RME_PROT_* it was mapped with */
};

/* One call as the layer made it, for the replay on Linux. */
struct mb_op {
	uint8_t kind;        /* OPK_* */
	uint8_t prot;
	uint8_t flags;       /* mmap: MB_F_*; mremap: RME_MREMAP_* */
	uint64_t addr, len, new_len, new_addr;
	uint64_t res;        /* mmap, mremap: where the mapping ended up */
};

struct mb {
	rme_mmap_t *mm;
	uint64_t base, ncells, zone, size;
	struct mb_slot *slots;
	uint64_t seed;
	/* the log of calls (NULL: Linux is not measured at this size) */
	struct mb_op *log;
	size_t nlog, caplog;
	/* timing of the steady state */
	uint64_t *samples;
	uint8_t *kinds;
	size_t nsamples, maxsamples;
	uint64_t vmas_max;
	int timing;
	int failed;
};

static uint64_t
mb_cell(const struct mb *b, uint64_t k)
{
	return b->base + k * MB_CELL;
}

/* Make the call on the layer, timing it in the steady state and logging it for Linux. */
static int
mb_call(struct mb *b, struct mb_op *op)
{
	uint64_t t0, t1, out = 0;
	int rc, flags;

	t0 = bench_now_ns();
	switch (op->kind) {
	case OPK_MMAP:
		flags = RME_MAP_PRIVATE | RME_MAP_ANONYMOUS |
		        ((op->flags & MB_F_FIXED) ? RME_MAP_FIXED : 0) |
		        ((op->flags & MB_F_NORESERVE) ? RME_MAP_NORESERVE : 0);
		rc = rme_mmap(b->mm, op->addr, op->len, op->prot, flags, -1, 0, &out);
		break;
	case OPK_MUNMAP:
		rc = rme_munmap(b->mm, op->addr, op->len);
		break;
	case OPK_MPROTECT:
		rc = rme_mprotect(b->mm, op->addr, op->len, op->prot);
		break;
	default:
		rc = rme_mremap(b->mm, op->addr, op->len, op->new_len, op->flags, op->new_addr, &out);
		break;
	}
	t1 = bench_now_ns();
	if (rc != 0) {
		fprintf(stderr, "rmemu bench: mmap workload: %s(0x%" PRIx64 ", 0x%" PRIx64
		        ") failed: %s\n", opk_names[op->kind], op->addr, op->len,
		        rme_errno_name(rc));
		b->failed = 1;
		return rc;
	}
	op->res = out;
	if (b->timing && b->nsamples < b->maxsamples) {
		b->kinds[b->nsamples] = op->kind;
		b->samples[b->nsamples++] = t1 - t0;
	}
	if (b->log) {
		if (b->nlog == b->caplog) {
			size_t cap = b->caplog ? 2 * b->caplog : 4096;
			struct mb_op *grown = realloc(b->log, cap * sizeof(*grown));
			if (!grown) {
				b->failed = 1;
				return RME_ENOMEM;
			}
			b->log = grown;
			b->caplog = cap;
		}
		b->log[b->nlog++] = *op;
	}
	return 0;
}

/* A new mapping for slot k: in its cell (a random half) if fixed, else wherever the layer puts it. */
static int
mb_map(struct mb *b, uint64_t k, int fixed)
{
	struct mb_slot *s = &b->slots[k];
	uint64_t r = bench_rand(&b->seed);
	struct mb_op op = { .kind = OPK_MMAP };

	s->pages = (uint8_t)(1 + r % 16);
	s->prot = (r >> 8) % 8 == 0 ? RME_PROT_NONE :
	          (r >> 8) % 8 == 1 ? RME_PROT_READ : RME_PROT_READ | RME_PROT_WRITE;
	if (s->prot == RME_PROT_NONE) {
		s->pages = (uint8_t)(s->pages + 16);   /* reservations are larger */
		op.flags |= MB_F_NORESERVE;
	}
	s->state = MB_NORMAL;
	op.prot = s->prot;
	op.len = s->pages * MB_PG;
	if (fixed) {
		op.flags |= MB_F_FIXED;
		op.addr = mb_cell(b, k) + ((r >> 16) & 1) * MB_HALF;
	}
	if (mb_call(b, &op) != 0)
		return -1;
	s->addr = op.res;
	if (!fixed && s->addr < b->zone) {
		/* the zone is as large as all cells together; this cannot happen */
		fprintf(stderr, "rmemu bench: an unhinted mapping left the zone\n");
		b->failed = 1;
		return -1;
	}
	return 0;
}

static int
mb_unmap_whole(struct mb *b, uint64_t k)
{
	struct mb_op op = { .kind = OPK_MUNMAP, .addr = b->slots[k].addr,
	                    .len = b->slots[k].pages * MB_PG };
	return mb_call(b, &op);
}

/* Replace slot k's mapping: munmap the whole of it (with any hole), map anew. */
static int
mb_replace(struct mb *b, uint64_t k, int fixed)
{
	if (mb_unmap_whole(b, k) != 0)
		return -1;
	return mb_map(b, k, fixed);
}

/*
 * One step of the steady state on a random slot, one or two calls:
 *   25%  mprotect of a middle part (splits one VMA into three); the next
 *        step on the slot mprotects the whole back (they merge again);
 *   15%  munmap of a middle part (a hole: two VMAs); the next step on the
 *        slot munmaps the whole and maps anew (in the zone: an mprotect);
 *   15%  munmap, then mmap with MAP_FIXED in the slot's cell;
 *   15%  munmap, then mmap without an address (the layer chooses);
 *   15%  mremap to a new size, growing in place or shrinking (a mapping in
 *        the zone may have to move: MREMAP_MAYMOVE);
 *   15%  mremap with MREMAP_FIXED to the other half of the cell.
 */
static int
mb_step(struct mb *b)
{
	uint64_t k = bench_rand(&b->seed) % b->ncells, r = bench_rand(&b->seed);
	struct mb_slot *s = &b->slots[k];
	int in_cell = s->addr < b->zone;
	unsigned choice = (unsigned)(r % 100), pages = s->pages;
	struct mb_op op = { 0 };

	r >>= 8;
	if (s->state == MB_PROT_SPLIT) {
		s->state = MB_NORMAL;
		op = (struct mb_op){ .kind = OPK_MPROTECT, .addr = s->addr, .len = pages * MB_PG,
		                     .prot = s->prot };
		return mb_call(b, &op);
	}
	if (s->state == MB_HOLE)
		return mb_replace(b, k, (int)(r & 1));
	if (choice < 40 && pages < 3)
		choice = 40;   /* too small to cut in the middle */
	/*
	 * Holes only in cells: one in the zone would be the highest gap, where
	 * the next unhinted mapping lands, and munmapping the whole slot would
	 * take that one with it.
	 */
	if (choice >= 25 && choice < 40 && !in_cell)
		choice = 0;
	if (choice < 40) {
		uint64_t first = 1 + r % (pages - 2), n = 1 + (r >> 8) % (pages - 1 - first);

		op.addr = s->addr + first * MB_PG;
		op.len = n * MB_PG;
		if (choice < 25) {
			op.kind = OPK_MPROTECT;
			/*
			 * RW to R, a reservation to RW (committing it), R to none: no
			 * change that sets VM_ACCOUNT for good, so mprotecting the whole
			 * back merges the three VMAs into one again.
			 */
			op.prot = s->prot == (RME_PROT_READ | RME_PROT_WRITE) ? RME_PROT_READ
			          : s->prot == RME_PROT_NONE ? RME_PROT_READ | RME_PROT_WRITE
			          : RME_PROT_NONE;
			s->state = MB_PROT_SPLIT;
		} else {
			op.kind = OPK_MUNMAP;
			s->state = MB_HOLE;
		}
		return mb_call(b, &op);
	}
	if (choice < 70)
		return mb_replace(b, k, choice < 55);

	op.kind = OPK_MREMAP;
	op.addr = s->addr;
	op.len = pages * MB_PG;
	if (choice >= 85 && in_cell) {
		uint64_t cell = mb_cell(b, k);

		op.flags = RME_MREMAP_MAYMOVE | RME_MREMAP_FIXED;
		op.new_len = op.len;
		op.new_addr = s->addr == cell ? cell + MB_HALF : cell;
	} else {
		unsigned np;

		if (pages == 1 || (pages < MB_MAX_PAGES && (r & 1)))
			np = pages + 1 + (unsigned)((r >> 1) % 4);
		else
			np = 1 + (unsigned)((r >> 1) % (pages - 1));
		if (np > MB_MAX_PAGES)
			np = MB_MAX_PAGES;
		op.new_len = np * MB_PG;
		/* a cell's half has room to grow in place; in the zone it may have to move */
		op.flags = in_cell ? 0 : RME_MREMAP_MAYMOVE;
		s->pages = (uint8_t)np;
	}
	if (mb_call(b, &op) != 0)
		return -1;
	s->addr = op.res;
	if (!in_cell && s->addr < b->zone) {
		fprintf(stderr, "rmemu bench: a moved mapping left the zone\n");
		b->failed = 1;
		return -1;
	}
	return 0;
}

#ifdef __linux__
#include <sys/mman.h>

/*
 * The same calls on the Linux kernel, at the same offsets in a range of its
 * own: reserved by the kernel (an unhinted PROT_NONE mmap) and released
 * again, so that what is free in the layer's area is free here too (growth
 * in place needs free space, not a reservation). Nothing else in this
 * process maps memory while the calls run: all buffers exist beforehand,
 * and new mappings use MAP_FIXED_NOREPLACE where the layer chose the place,
 * so a stranger in the range would be an error, not a clobbered mapping.
 * Returns 0 if every call did what it did on the layer.
 */
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
static int
mb_linux(const struct mb *b, size_t nbuild, uint64_t *samples, uint8_t *kinds, size_t *nout,
         char *why, size_t whylen)
{
	char *lin = mmap(NULL, b->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
	                 -1, 0);
	size_t n = 0;
	int rc = 0;

	if (lin == MAP_FAILED) {
		snprintf(why, whylen, "cannot reserve %" PRIu64 " bytes", b->size);
		return -1;
	}
	munmap(lin, b->size);
#define LIN(x) ((void *)(lin + ((x) - b->base)))
	for (size_t i = 0; i < b->nlog && rc == 0; i++) {
		const struct mb_op *op = &b->log[i];
		uint64_t t0 = bench_now_ns(), t1;
		void *p;
		int flags;

		switch (op->kind) {
		case OPK_MMAP:
			flags = MAP_PRIVATE | MAP_ANONYMOUS |
			        ((op->flags & MB_F_FIXED) ? MAP_FIXED : MAP_FIXED_NOREPLACE) |
			        ((op->flags & MB_F_NORESERVE) ? MAP_NORESERVE : 0);
			p = mmap(LIN(op->res), op->len, op->prot, flags, -1, 0);
			rc = p == LIN(op->res) ? 0 : -1;
			break;
		case OPK_MUNMAP:
			rc = munmap(LIN(op->addr), op->len);
			break;
		case OPK_MPROTECT:
			rc = mprotect(LIN(op->addr), op->len, op->prot);
			break;
		default:
			if (op->res == op->addr && !(op->flags & RME_MREMAP_FIXED))
				p = mremap(LIN(op->addr), op->len, op->new_len, 0);
			else
				p = mremap(LIN(op->addr), op->len, op->new_len,
				           MREMAP_MAYMOVE | MREMAP_FIXED, LIN(op->res));
			rc = p == LIN(op->res) ? 0 : -1;
			break;
		}
		t1 = bench_now_ns();
		if (rc != 0) {
			snprintf(why, whylen, "call %zu (%s at +0x%" PRIx64 ") failed on Linux: %s", i,
			         opk_names[op->kind], op->addr - b->base, strerror(errno));
			break;
		}
		if (i >= nbuild) {
			kinds[n] = op->kind;
			samples[n++] = t1 - t0;
		}
	}
#undef LIN
	munmap(lin, b->size);
	*nout = n;
	return rc;
}

/* The kernel's limit on mappings per process, and how many this process has. */
static uint64_t
linux_map_headroom(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	unsigned long long max = 65530;
	uint64_t have = 0;
	int c;

	if (f) {
		if (fscanf(f, "%llu", &max) != 1)
			max = 65530;
		fclose(f);
	}
	if ((f = fopen("/proc/self/maps", "r"))) {
		while ((c = getc(f)) != EOF)
			have += c == '\n';
		fclose(f);
	}
	return max > have + 256 ? max - have - 256 : 0;
}
#endif

/* Median and p99 of the samples of one kind (OPK_N: all). */
static void
mb_summarize(const uint64_t *samples, const uint8_t *kinds, size_t n, int kind,
             uint64_t *scratch, double *median, double *p99)
{
	size_t m = 0;
	struct bench_result r = { 0 };

	for (size_t i = 0; i < n; i++)
		if (kind == OPK_N || kinds[i] == kind)
			scratch[m++] = samples[i];
	bench_summarize(scratch, m, &r);
	*median = r.ns_median;
	*p99 = r.ns_p99;
}

/* Whether Linux may take live mappings (then the calls are logged for it); else why not, in res. */
static int
mb_plan_linux(uint64_t live, struct bench_result *res)
{
#ifdef __linux__
	/*
	 * Log the calls if Linux may take this many mappings; whether it takes
	 * the VMAs the cuts add is checked once the layer has run.
	 */
	if (!getenv("RMEMU_BENCH_NO_LINUX") && live <= linux_map_headroom())
		return 1;
	snprintf(res->linux_note, sizeof(res->linux_note),
	         getenv("RMEMU_BENCH_NO_LINUX") ? "not measured (RMEMU_BENCH_NO_LINUX)"
	         : "not measured: beyond vm.max_map_count");
#else
	(void)live;
	snprintf(res->linux_note, sizeof(res->linux_note), "not measured: not Linux");
#endif
	return 0;
}

/* The model (metadata counted in model_ca) and the mmap layer on it (heap_ca) for b; 0 or -1. */
static int
mb_layer_create(struct mb *b, const rme_allocator_t *host, rme_counting_allocator_t *model_ca,
                rme_counting_allocator_t *heap_ca, rme_prims_model_t *pm, rme_model_t **m)
{
	rme_model_config_t mcfg;
	rme_mmap_config_t cfg;
	rme_mmap_setup_error_t why;

	rme_counting_init(model_ca, host);
	rme_counting_init(heap_ca, host);
	rme_model_config_init(&mcfg);
	mcfg.ram_quota = UINT64_MAX / 4;
	mcfg.cap_quota = UINT64_MAX / 4;
	mcfg.kernel = RME_KERNEL_NOVA;      /* 128 TiB of address space: room for 10^7 cells */
	mcfg.layout_regions = 0;
	mcfg.allocator = &model_ca->iface;
	if (rme_model_create(&mcfg, m) != RME_OK)
		return -1;
	rme_prims_model_init(pm, *m, &heap_ca->iface);
	rme_mmap_config_init(&cfg);
	cfg.area_base = b->base;
	cfg.area_size = b->size;
	cfg.map_count_max = UINT64_MAX / 4;
	if (rme_mmap_create(&pm->prims, &cfg, &b->mm, &why) != RME_OK) {
		fprintf(stderr, "rmemu bench: mmap workload: %s\n", why.message);
		return -1;
	}
	return 0;
}

/* The steady state: ops timed calls, n staying, give or take the cuts; 0 or -1. */
static int
mb_steady(struct mb *b, uint64_t ops, int with_linux, uint64_t *scratch, struct bench_result *res)
{
	b->vmas_max = res->vmas;
	b->timing = 1;
	while (b->nsamples < ops) {
		if (mb_step(b) != 0)
			return -1;
		if (with_linux) {
			uint64_t v = rme_mmap_count(b->mm);
			if (v > b->vmas_max)
				b->vmas_max = v;
		}
	}
	if (b->nsamples > ops)
		b->nsamples = ops;
	mb_summarize(b->samples, b->kinds, b->nsamples, OPK_N, scratch, &res->ns_median, &res->ns_p99);
	for (int k = 0; k < OPK_N; k++)
		mb_summarize(b->samples, b->kinds, b->nsamples, k, scratch, &res->kind_median[k],
		             &res->kind_p99[k]);
	res->ops = b->nsamples;
	return 0;
}

#ifdef __linux__
/* The kernel's turn: the same calls (the first nbuild build up) on Linux, if it can take them. */
static void
mb_linux_turn(struct mb *b, size_t nbuild, int with_linux, uint64_t *scratch,
              struct bench_result *res)
{
	size_t nlin = 0;
	char whyl[140];
	double p99;

	if (with_linux && b->vmas_max > linux_map_headroom()) {
		snprintf(res->linux_note, sizeof(res->linux_note),
		         "not measured: %" PRIu64 " VMAs exceed vm.max_map_count", b->vmas_max);
		return;
	}
	if (!with_linux)
		return;
	/* the layer gives its memory back before the kernel's turn */
	rme_mmap_destroy(b->mm);
	b->mm = NULL;
	if (mb_linux(b, nbuild, b->samples, b->kinds, &nlin, whyl, sizeof(whyl)) != 0) {
		snprintf(res->linux_note, sizeof(res->linux_note), "failed: %s", whyl);
		return;
	}
	mb_summarize(b->samples, b->kinds, nlin, OPK_N, scratch, &res->linux_ns_median, &p99);
	for (int k = 0; k < OPK_N; k++)
		mb_summarize(b->samples, b->kinds, nlin, k, scratch, &res->linux_kind_median[k], &p99);
}
#endif

static int
bench_mmap(uint64_t live, uint64_t ops, struct bench_result *res)
{
	rme_counting_allocator_t model_ca, heap_ca;
	bench_arena_t arena;
	const rme_allocator_t *host = bench_arena_init(&arena);
	rme_prims_model_t pm;
	rme_model_t *m = NULL;
	struct mb b = { 0 };
	uint64_t md_model, md_heap, *scratch = NULL;
	size_t nbuild = 0;
	int rc = -1, with_linux;

	res->host_memory = bench_arena_name(&arena);
	b.ncells = live;
	b.base = (uint64_t)1 << 32;
	b.zone = b.base + live * MB_CELL;
	b.size = 2 * live * MB_CELL;
	b.seed = 0x5eed;
	b.slots = calloc(live, sizeof(*b.slots));
	b.maxsamples = ops + 1;
	b.samples = malloc(b.maxsamples * sizeof(*b.samples));
	b.kinds = malloc(b.maxsamples);
	scratch = malloc(b.maxsamples * sizeof(*scratch));
	if (!b.slots || !b.samples || !b.kinds || !scratch)
		goto out;
	with_linux = mb_plan_linux(live, res);
	if (mb_layer_create(&b, host, &model_ca, &heap_ca, &pm, &m) != 0)
		goto out;
	md_model = model_ca.live_bytes;
	md_heap = heap_ca.live_bytes;

	/* Build up: one mapping per cell, one in four unhinted. */
	if (with_linux) {
		b.caplog = live + 2 * ops + 16;
		b.log = malloc(b.caplog * sizeof(*b.log));
		if (!b.log) {
			with_linux = 0;
			b.caplog = 0;
			snprintf(res->linux_note, sizeof(res->linux_note),
			         "not measured: no memory for the log of calls");
		}
	}
	for (uint64_t k = 0; k < live; k++)
		if (mb_map(&b, k, bench_rand(&b.seed) % 4 != 0) != 0)
			goto out;
	nbuild = b.nlog;
	res->vmas = rme_mmap_count(b.mm);
	res->bytes_per_mapping = (double)(model_ca.live_bytes - md_model +
	                                  heap_ca.live_bytes - md_heap) / (double)live;
	res->layer_bytes_per_mapping = (double)(heap_ca.live_bytes - md_heap) / (double)live;
	res->model_bytes_per_mapping = (double)(model_ca.live_bytes - md_model) / (double)live;
	bench_rss(res);

	if (mb_steady(&b, ops, with_linux, scratch, res) != 0)
		goto out;
#ifdef __linux__
	mb_linux_turn(&b, nbuild, with_linux, scratch, res);
#else
	(void)nbuild;
#endif
	rc = 0;
out:
	rme_mmap_destroy(b.mm);
	rme_model_destroy(m);
	bench_arena_fini(&arena);
	free(b.slots);
	free(b.samples);
	free(b.kinds);
	free(b.log);
	free(scratch);
	return rc;
}

/* ---- The command -------------------------------------------------------------------- */

static const struct bench_workload workloads[] = {
	{ "region-map", "region-map attach (anywhere and at an address) and detach",
	  bench_region_map },
	{ "mmap", "the mmap layer: mmap, munmap, mprotect, mremap; the same calls on Linux",
	  bench_mmap },
	{ "replay", "trace replay from text, parsing included", bench_replay },
};

static void
bench_usage(FILE *out)
{
	fputs("usage: rmemu bench [--json] [--quiet] [--workload NAME] [--live N[,N...]] [--ops N]\n"
	      "\n"
	      "Time per operation at each number of live mappings (default 1000,10000,\n"
	      "30000,100000,1000000); a benchmark, not a test. The mmap workload runs the\n"
	      "same calls on the Linux kernel where vm.max_map_count allows (not with\n"
	      "RMEMU_BENCH_NO_LINUX set); its ratio is Linux's time over rmemu's, so above 1\n"
	      "rmemu is faster, and the output says which side it favours. The model's\n"
	      "metadata lies in an arena on huge pages (RMEMU_BENCH_MALLOC set: in malloc's\n"
	      "heap). See doc/benchmarks.md. Workloads:\n", out);
	for (size_t i = 0; i < sizeof(workloads) / sizeof(*workloads); i++)
		fprintf(out, "  %-12s %s\n", workloads[i].name, workloads[i].what);
}

static int
known_workload(const char *name)
{
	for (size_t w = 0; w < sizeof(workloads) / sizeof(*workloads); w++)
		if (strcmp(name, workloads[w].name) == 0)
			return 1;
	return 0;
}

/* Which side the Linux / rmemu ratio favours, in words: above 1 rmemu is faster. */
static const char *
ratio_favours(double linux_ns, double rmemu_ns)
{
	return linux_ns > rmemu_ns ? "rmemu faster" : linux_ns < rmemu_ns ? "Linux faster" : "even";
}

static const char *const kind_names[BENCH_KINDS] = { "mmap", "munmap", "mprotect", "mremap" };

static void
print_result(int json, int *first, const struct bench_workload *w, uint64_t live,
             const struct bench_result *r)
{
	if (json) {
		printf("%s\n  {\"workload\": \"%s\", \"live\": %" PRIu64 ", \"ops\": %" PRIu64
		       ", \"ns_per_op_median\": %.1f, \"ns_per_op_p99\": %.1f, "
		       "\"bytes_per_mapping\": %.1f",
		       *first ? "" : ",", w->name, live, r->ops, r->ns_median, r->ns_p99,
		       r->bytes_per_mapping);
		if (r->lines_per_sec > 0)
			printf(", \"lines_per_sec\": %.0f", r->lines_per_sec);
		if (r->vmas) {
			printf(", \"vmas\": %" PRIu64 ", \"layer_bytes_per_mapping\": %.1f"
			       ", \"model_bytes_per_mapping\": %.1f", r->vmas,
			       r->layer_bytes_per_mapping, r->model_bytes_per_mapping);
			for (int k = 0; k < BENCH_KINDS; k++)
				printf(", \"%s_ns_median\": %.1f, \"%s_ns_p99\": %.1f", kind_names[k],
				       r->kind_median[k], kind_names[k], r->kind_p99[k]);
		}
		if (r->linux_ns_median > 0) {
			printf(", \"linux_ns_per_op_median\": %.1f, \"linux_ratio\": %.2f"
			       ", \"linux_ratio_favours\": \"%s\"",
			       r->linux_ns_median, r->linux_ns_median / r->ns_median,
			       ratio_favours(r->linux_ns_median, r->ns_median));
			for (int k = 0; k < BENCH_KINDS; k++)
				printf(", \"linux_%s_ns_median\": %.1f", kind_names[k],
				       r->linux_kind_median[k]);
		} else if (r->linux_note[0]) {
			printf(", \"linux\": \"%s\"", r->linux_note);
		}
		if (r->rss_mib > 0)
			printf(", \"rss_mib\": %.1f, \"max_rss_mib\": %.1f", r->rss_mib, r->max_rss_mib);
		if (r->host_memory)
			printf(", \"host_memory\": \"%s\"", r->host_memory);
		if (r->placements)
			printf(", \"placements\": %" PRIu64 ", \"placement_digest\": \"0x%016" PRIx64 "\"",
			       r->placements, r->placement_digest);
		printf("}");
	} else {
		printf("%-12s %10" PRIu64 " %10.0f %10.0f %10.1f", w->name, live, r->ns_median,
		       r->ns_p99, r->bytes_per_mapping);
		if (r->lines_per_sec > 0)
			printf("   %.2fM lines/s", r->lines_per_sec / 1e6);
		if (r->linux_ns_median > 0)
			printf("   linux %.0f ns, linux/rmemu %.2f (%s)", r->linux_ns_median,
			       r->linux_ns_median / r->ns_median,
			       ratio_favours(r->linux_ns_median, r->ns_median));
		else if (r->linux_note[0])
			printf("   linux %s", r->linux_note);
		if (r->rss_mib > 0)
			printf("   rss %.0f MiB", r->rss_mib);
		putchar('\n');
		if (r->vmas) {
			printf("%23s", "");
			for (int k = 0; k < BENCH_KINDS; k++) {
				printf(" %s %.0f/%.0f", kind_names[k], r->kind_median[k], r->kind_p99[k]);
				if (r->linux_kind_median[k] > 0)
					printf(" (linux %.0f)", r->linux_kind_median[k]);
			}
			printf("\n%23s layer %.1f + model %.1f bytes/map, %" PRIu64 " VMAs\n", "",
			       r->layer_bytes_per_mapping, r->model_bytes_per_mapping, r->vmas);
		}
	}
	fflush(stdout);
	*first = 0;
}

int
cmd_bench(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "workload", required_argument, NULL, 'w' },
		{ "live", required_argument, NULL, 'n' },
		{ "ops", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t lives[32] = { 1000, 10000, 30000, 100000, 1000000 }, ops = 200000;
	size_t nlives = 5;
	const char *only = NULL;
	int json = 0, quiet = 0, first = 1, c, status = EXIT_OK;
	uint64_t runs = 0;
	cli_progress_t progress;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jw:n:o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'w': only = optarg; break;
		case 'n': {
			char *p = optarg, *end;
			nlives = 0;
			while (*p && nlives < 32) {
				lives[nlives++] = strtoull(p, &end, 10);
				if (end == p || lives[nlives - 1] == 0 || (*end && *end != ',')) {
					fprintf(stderr, "rmemu bench: bad --live list '%s'\n", optarg);
					return EXIT_USAGE;
				}
				p = *end ? end + 1 : end;
			}
			break;
		}
		case 'o':
			ops = strtoull(optarg, NULL, 10);
			if (ops < 2) {
				fprintf(stderr, "rmemu bench: --ops needs at least 2\n");
				return EXIT_USAGE;
			}
			break;
		case 'h': bench_usage(stdout); return EXIT_OK;
		default: cli_usage_error("bench", NULL); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_usage_error("bench", "unexpected arguments after the options");
		return EXIT_USAGE;
	}
	if (only && !known_workload(only)) {
		char list[128] = "";

		for (size_t w = 0; w < sizeof(workloads) / sizeof(*workloads); w++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", w ? ", " : "",
			         workloads[w].name);
		fprintf(stderr, "rmemu bench: unknown workload '%s'; the workloads are %s\n", only, list);
		return EXIT_USAGE;
	}
	if (json)
		printf("[");
	else
		printf("%-12s %10s %10s %10s %10s\n", "workload", "live", "median ns", "p99 ns",
		       "bytes/map");
	/* the progress line counts the work: mappings built up and operations measured */
	for (size_t w = 0; w < sizeof(workloads) / sizeof(*workloads); w++)
		for (size_t i = 0; i < nlives && !(only && strcmp(only, workloads[w].name) != 0); i++)
			runs += lives[i] + ops;
	cli_progress_begin(&progress, "rmemu bench", "operations", runs, quiet);
	runs = 0;
	for (size_t w = 0; w < sizeof(workloads) / sizeof(*workloads); w++) {
		if (only && strcmp(only, workloads[w].name) != 0)
			continue;
		for (size_t i = 0; i < nlives; i++) {
			struct bench_result r = { 0 };
			int failed = workloads[w].run(lives[i], ops, &r) != 0;

			cli_progress_clear(&progress);
			if (failed) {
				fprintf(stderr, "rmemu bench: %s at %" PRIu64 " live mappings failed\n",
				        workloads[w].name, lives[i]);
				status = EXIT_DIVERGED;
			} else {
				print_result(json, &first, &workloads[w], lives[i], &r);
			}
			runs += lives[i] + ops;
			cli_progress_update(&progress, runs);
		}
	}
	cli_progress_end(&progress);
	if (json)
		printf("\n]\n");
	return status;
}
