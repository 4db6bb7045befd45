/*
 * tests/oracle/libc_pool_oracle.cc: runs Genode's own Libc::Mem_alloc_impl
 * (libc_mem_alloc.cc, unmodified, with allocator_avl.cc, slab.cc and
 * avl_tree.cc) on the host and writes what it does as golden data for
 * rmemu's model of it (src/mmap/mmap_libc_pool.c; tests/check_libc_pool.c
 * replays the goldens). Built by tests/oracle/genode-libc-oracle against a
 * Genode source tree; this file is rmemu's, none of Genode's code is in
 * the repository.
 *
 * The pool's memory is real host memory (the allocator writes its own
 * metadata into it): an arena mapped at ARENA. The RAM allocator and the
 * region map are fakes: RAM always succeeds; an attach anywhere goes
 * after everything attached so far, 'gap' bytes further; an attach at an
 * address (the 2020 patch's expand_at) conflicts with any overlap. Each
 * attach is written down, so that the model's replay can place exactly
 * as here and check the sizes asked for.
 *
 * Build with -DORACLE_2005 for Genode 20.05 with tor-m6/genode@78fc751bea8a
 * (alloc and alloc_at), without for Genode 26.02 (alloc).
 *
 * usage: libc_pool_oracle SEED OPERATIONS GAP [slab | WORKED-EXAMPLE]
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <sys/mman.h>
#include <unistd.h>

/* see the tree and the slab inside the allocator (layout is unaffected) */
#define private public
#define protected public
#include <base/log.h>
#include <base/mutex.h>
#include <base/capability.h>
#include <internal/mem_alloc.h>
#undef private
#undef protected

using namespace Genode;

static const unsigned long ARENA = 0x200000000000UL;
static const unsigned long ARENA_SIZE = 1UL << 36;
static unsigned long seq_cap = 1;

/* ---- What Genode's base library would provide, for the host ----------------------- */

/* Genode's messages go to stderr with ORACLE_LOG set, else nowhere */
static bool logging() { return getenv("ORACLE_LOG") != nullptr; }

namespace {
	struct Stderr_output : Output
	{
		void out_char(char c) override { if (logging()) fputc(c, stderr); }
	};
}

Log &Log::log()
{
	static Stderr_output out;
	static Log log(out);
	return log;
}
void Log::_acquire(Type) { if (logging()) fputs("[genode] ", stderr); }
void Log::_release() { if (logging()) fputc('\n', stderr); }
static void out(Output &o, char const *s) { o.out_string(s, ::strlen(s)); }
void Genode::print(Output &o, char const *s) { if (s) out(o, s); }
void Genode::print(Output &o, void const *p) { char b[32]; snprintf(b, sizeof b, "%p", p); out(o, b); }
void Genode::print(Output &o, unsigned long v) { char b[32]; snprintf(b, sizeof b, "%lu", v); out(o, b); }
void Genode::print(Output &o, long v) { char b[32]; snprintf(b, sizeof b, "%ld", v); out(o, b); }
void Genode::Hex::print(Output &o) const { char b[32]; snprintf(b, sizeof b, "0x%lx", (unsigned long)_value); out(o, b); }
void Output::out_string(char const *s, size_t n) { for (size_t i = 0; i < n && s[i]; i++) out_char(s[i]); }
#ifndef ORACLE_2005
Lock::Lock(Lock::State) : _owner(nullptr) { }
void Genode::print(Output &o, Alloc_error e) { out(o, e == Alloc_error::DENIED ? "DENIED" : "OUT_OF_RAM/CAPS"); }
void Genode::raise(Unexpected_error) { fprintf(stderr, "unexpected error\n"); abort(); }
#else
Cancelable_lock::Cancelable_lock(Cancelable_lock::State) : _owner(nullptr) { }
void Console::_out_string(char const *s) { while (s && *s) _out_char(*s++); }
void Console::vprintf(char const *, va_list) { }
#endif
void Mutex::acquire() { }
void Mutex::release() { }
Native_capability::Native_capability() { }
void Native_capability::_inc() { }
void Native_capability::_dec() { }

static Ram_dataspace_capability new_cap()
{
	Native_capability n((Native_capability::Data *)(seq_cap++ << 4));
	return reinterpret_cap_cast<Ram_dataspace>(n);
}

/* ---- The address space: attachments, placed as the golden says -------------------- */

struct Attachment { unsigned long at, size; };
static std::vector<Attachment> attachments;
static unsigned long gap_bytes = 0x100000;

/*
 * ORACLE_PLACE="A,B,...": the anywhere attachments go to ORIGIN + A, B, ...
 * in turn (where rmemu's model of core put them), else after the others.
 */
static const unsigned long ORIGIN = ARENA - 0x100000000UL;

static unsigned long scripted_place()
{
	static char const *next = getenv("ORACLE_PLACE");
	if (!next || !*next) return 0;
	char *end;
	unsigned long at = strtoul(next, &end, 0);
	next = *end == ',' ? end + 1 : end;
	return ORIGIN + at;
}

static unsigned long place_anywhere(unsigned long size)
{
	unsigned long end = ARENA;
	for (auto &a : attachments)
		if (a.at + a.size > end) end = a.at + a.size;
	unsigned long at = (end == ARENA ? ARENA : end + gap_bytes);
	if (unsigned long scripted = scripted_place())
		at = scripted;
	attachments.push_back({ at, size });
	printf("attach 0x%lx 0x%lx\n", size, at);
	return at;
}

static bool attach_fixed(unsigned long at, unsigned long size)
{
	for (auto &a : attachments)
		if (a.at < at + size && at < a.at + a.size) {
			printf("attach-at 0x%lx 0x%lx conflict\n", size, at);
			return false;
		}
	attachments.push_back({ at, size });
	printf("attach-at 0x%lx 0x%lx ok\n", size, at);
	return true;
}

#ifndef ORACLE_2005

/* ---- Genode 26.02's interfaces -------------------------------------------------- */

size_t Ram_allocator::_legacy_dataspace_size(Capability<Dataspace>) { return 0; }

struct Fake_ram : Ram_allocator
{
	Result try_alloc(size_t size, Cache) override
	{
		return { *this, { new_cap(), size } };
	}
	void _free(Allocation &a) override { a.deallocate = false; }
	void seal(Ram::Capability) override { }
};

struct Fake_rm : Env::Local_rm
{
	Result attach(Capability<Dataspace>, Attach_attr const &attr) override
	{
		/* the pool attaches whole dataspaces anywhere; the size is what RAM gave */
		unsigned long at = place_anywhere(last_size);
		(void)attr;
		return { *this, { (void *)at, last_size } };
	}
	void _free(Attachment &a) override { a.deallocate = false; }
	size_t last_size = 0;
};

static Fake_ram ram;

struct Sizing_ram : Ram_allocator
{
	Fake_rm *rm;
	Result try_alloc(size_t size, Cache) override
	{
		rm->last_size = size;
		return { *this, { new_cap(), size } };
	}
	void _free(Allocation &a) override { a.deallocate = false; }
	void seal(Ram::Capability) override { }
};

#define RELEASE 2602

#else

/* ---- Genode 20.05's interfaces (exceptions) --------------------------------------- */

struct Sizing_ram : Ram_allocator
{
	unsigned long last_size = 0;
	Ram_dataspace_capability alloc(size_t size, Cache_attribute) override
	{
		last_size = size;
		return new_cap();
	}
	void free(Ram_dataspace_capability) override { }
	size_t dataspace_size(Ram_dataspace_capability) const override { return last_size; }
};

struct Fake_rm : Region_map
{
	Sizing_ram *ram;
	Local_addr attach(Dataspace_capability, size_t, off_t, bool use_local_addr,
	                  Local_addr local_addr, bool, bool) override
	{
		unsigned long size = ram->last_size;
		if (use_local_addr) {
			if (!attach_fixed((unsigned long)(addr_t)local_addr, size))
				throw Region_conflict();
			return local_addr;
		}
		return (void *)place_anywhere(size);
	}
	void detach(Local_addr) override { }
	void fault_handler(Signal_context_capability) override { }
	State state() override { return State(); }
	Dataspace_capability dataspace() override { return Dataspace_capability(); }
};

#define RELEASE 2005

#endif

/* ---- Dumps ----------------------------------------------------------------------- */

static void dump_tree(Allocator_avl_base::Block *b)
{
	if (!b) return;
	dump_tree(b->child(0));
	printf("block 0x%lx 0x%lx %c\n", b->addr(), b->size(), b->used() ? 'U' : 'F');
	dump_tree(b->child(1));
}

static void dump(Libc::Mem_alloc_impl &pool)
{
	printf("dump chunk=0x%lx slab=%lu/%lu\n", (unsigned long)pool._chunk_size,
	       (unsigned long)pool._alloc._metadata._total_avail,
	       (unsigned long)pool._alloc._metadata._num_blocks);
	dump_tree(pool._alloc._addr_tree.first());
	printf("end\n");
}

/* ---- Operations -------------------------------------------------------------------- */

static unsigned long rng_state;
static unsigned long rnd()
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dUL;
}

static unsigned long pick_size()
{
	unsigned long r = rnd() % 100;
	if (r < 55) return 1 + rnd() % 0x4000;
	if (r < 80) return 0x1000 * (1 + rnd() % 16);
	if (r < 93) return 0x10000 + rnd() % 0xf0000;
	if (r < 98) return 0x100000 + rnd() % 0x300000;
	return (rnd() % 2) ? 0x1388 : 0x5f00 + rnd() % 0x200;   /* the worked examples' sizes */
}

static std::vector<unsigned long> live, freed;

static void op_alloc(Libc::Mem_alloc_impl &pool, unsigned long size, unsigned align)
{
	printf("alloc 0x%lx %u\n", size, align);
#ifndef ORACLE_2005
	void *p = pool.alloc(size, Align { .log2 = (uint8_t)align });
#else
	void *p = pool.alloc(size, align);
#endif
	printf("= 0x%lx\n", (unsigned long)p);
	if (p) live.push_back((unsigned long)p);
}

static void op_free(Libc::Mem_alloc_impl &pool, unsigned long addr)
{
	printf("free 0x%lx\n", addr);
	pool.free((void *)addr);
	for (size_t i = 0; i < live.size(); i++)
		if (live[i] == addr) { live.erase(live.begin() + i); break; }
	freed.push_back(addr);
}

#ifdef ORACLE_2005
static void op_alloc_at(Libc::Mem_alloc_impl &pool, unsigned long x, unsigned long size)
{
	printf("alloc-at 0x%lx 0x%lx\n", x, size);
	void *p = pool.alloc_at((void *)x, size);
	printf("= 0x%lx\n", (unsigned long)p);
	if (p) live.push_back((unsigned long)p);
}
#endif

/* The fixed requests' window: below the pool (the gap lands above) and far above it. */
static const unsigned long LOW = ARENA - 0x100000000UL + 0x10000000UL;

static void random_ops(Libc::Mem_alloc_impl &pool, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		unsigned long r = rnd() % 100;
#ifdef ORACLE_2005
		if (r < 20) {
			unsigned long size = (rnd() % 4) ? 0x1000 * (1 + rnd() % 8) : 1 + rnd() % 0x12000;
			unsigned long x, w = rnd() % 4;
			if (w == 0 && !freed.empty())
				x = freed[rnd() % freed.size()];            /* back where something was */
			else if (w == 1 && !live.empty())
				x = live[rnd() % live.size()] + 0x1000 * (rnd() % 4);   /* in use */
			else if (w == 2)
				x = LOW + 0x10000 * (rnd() % 4096);          /* below the pool */
			else
				x = ARENA + (1UL << 34) + 0x10000 * (rnd() % 4096);   /* far above it */
			op_alloc_at(pool, x, size);
		} else
#endif
		/*
		 * Frees only of what was allocated: munmap reaches the pool only
		 * with the exact start of a registered mapping.
		 */
		if (r < (live.size() < 120 ? 60u : 40u) || live.empty()) {
			unsigned align = (rnd() % 8) ? 12 : (unsigned)(2 + rnd() % 15);
			op_alloc(pool, (rnd() % 200) ? pick_size() : 0, align);
		} else {
			op_free(pool, live[rnd() % live.size()]);
		}
		if (i % 100 == 99)
			dump(pool);
	}
	dump(pool);
}

/*
 * Many small blocks and some larger ones, hundreds live and down again,
 * freed newest first, oldest first or at random: tens of slab blocks
 * hosted in the pool, grown and released (at 20.05 also lost inside
 * add_range) while the blocks around them come and go.
 */
static void slab_ops(Libc::Mem_alloc_impl &pool, unsigned long n)
{
	unsigned long target = 400 + rnd() % 800;
	for (unsigned long i = 0; i < n; i++) {
		if (live.size() >= target)
			target = (rnd() % 2) ? 0 : 20 + rnd() % 200;
		else if (target < 400 && rnd() % 100 == 0)
			target = 300 + rnd() % 900;
		bool grow = live.size() < target ? rnd() % 10 < 8 : rnd() % 10 < 2;
		if (grow || live.empty()) {
#ifdef ORACLE_2005
			if (rnd() % 50 == 0) {
				op_alloc_at(pool, ARENA + (1UL << 34) + 0x10000 * (rnd() % 64), 1 + rnd() % 0x3000);
				continue;
			}
#endif
			unsigned long size = 1 + rnd() % ((rnd() % 4) ? 512 : 20000);
			op_alloc(pool, size, (unsigned)(2 + rnd() % 11));
		} else {
			size_t k = (rnd() % 3 == 0) ? live.size() - 1 : (rnd() % 3 == 0) ? 0 : rnd() % live.size();
			op_free(pool, live[k]);
		}
		if (i % 2000 == 1999)
			dump(pool);
	}
	dump(pool);
}

/* The sequences doc/designs.md and tests/check_designs.c quote, from a fresh pool. */
static void worked_ops(Libc::Mem_alloc_impl &pool, int which)
{
	switch (which) {
	case 0:   /* designs-spec A.3: the record of a new chunk goes to an older chunk's hole */
		op_alloc(pool, 0x1000, 12); op_alloc(pool, 0x1000, 12); op_alloc(pool, 0x1388, 12);
		op_alloc(pool, 0x10000, 12); op_free(pool, live[0]); op_alloc(pool, 0, 12);
		break;
	case 1:   /* the first pool-hosted slab block: 101 mappings of a page */
		for (int i = 0; i < 101; i++) op_alloc(pool, 0x1000, 12);
		break;
	case 2: { /* A.6: a slab block in the page tail of a live mapping */
		for (int i = 0; i < 99; i++) op_alloc(pool, 0x1000, 12);
		op_alloc(pool, 5000, 12);
		unsigned long p = live.back();
		op_alloc(pool, 0x1000, 12); op_free(pool, p); op_alloc(pool, 5000, 12);
		break; }
	case 3:   /* eight mappings of 1 MiB */
		for (int i = 0; i < 8; i++) op_alloc(pool, 0x100000, 12);
		break;
#ifdef ORACLE_2005
	case 4:   /* B.4: one fixed page below the gap: the record lands at X */
		op_alloc_at(pool, LOW, 0x1000);
		break;
	case 5:   /* ... and 16 KiB there succeed */
		op_alloc_at(pool, LOW, 0x4000);
		break;
	case 6:   /* a page above the gap succeeds */
		op_alloc_at(pool, ARENA + (1UL << 34), 0x1000);
		break;
	case 7:   /* an ordinary mapping first: the gap is taken whole */
		op_alloc(pool, 0x1000, 12); op_alloc_at(pool, ARENA + (1UL << 34), 0x1000);
		break;
	case 8:   /* 96 ordinary pages, then 64 KiB fixed: a slab block lands at X */
		for (int i = 0; i < 96; i++) op_alloc(pool, 0x1000, 12);
		op_alloc_at(pool, ARENA + (1UL << 34), 0x10000);
		break;
	case 9:   /* four cycles at fresh addresses, one at the first address again */
		for (int i = 0; i < 4; i++) {
			unsigned long x = ARENA + (1UL << 34) + (unsigned long)i * 0x100000;
			op_alloc_at(pool, x, 0x1000); op_free(pool, x);
		}
		op_alloc_at(pool, ARENA + (1UL << 34), 0x1000);
		break;
	case 10:  /* cycles at one address */
		for (int i = 0; i < 4; i++) {
			op_alloc_at(pool, ARENA + (1UL << 34), 0x1000); op_free(pool, ARENA + (1UL << 34));
		}
		break;
	case 11:  /* three fixed pages at fresh addresses, 1 MiB apart: the third one's record lands in it */
		for (unsigned long i = 0; i < 3; i++)
			op_alloc_at(pool, ARENA + i * 0x100000, 0x1000);
		break;
#endif
	}
	dump(pool);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s SEED OPERATIONS GAP [worked N]\n", argv[0]);
		return 2;
	}
	rng_state = strtoul(argv[1], 0, 0) * 0x9e3779b97f4a7c15UL + 1;
	gap_bytes = strtoul(argv[3], 0, 0);
	void *arena = mmap((void *)(ARENA - 0x100000000UL), ARENA_SIZE + 0x100000000UL,
	                   PROT_READ | PROT_WRITE,
	                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (arena == MAP_FAILED) { perror("arena"); return 1; }

	printf("release %d\n", RELEASE);
#ifndef ORACLE_2005
	Fake_rm rm;
	Sizing_ram sram;
	sram.rm = &rm;
	static Libc::Mem_alloc_impl pool(rm, sram, false);
	(void)ram;
#else
	Sizing_ram sram;
	Fake_rm rm;
	rm.ram = &sram;
	static Libc::Mem_alloc_impl pool(rm, sram, false);
#endif
	if (argc > 4 && ::strcmp(argv[4], "slab") == 0)
		slab_ops(pool, strtoul(argv[2], 0, 0));
	else if (argc > 4)
		worked_ops(pool, atoi(argv[4]));
	else
		random_ops(pool, strtoul(argv[2], 0, 0));
	/* the pool is never destroyed, as in a component (its destructor frees pool memory with delete) */
	fflush(stdout);
	_exit(0);
}
