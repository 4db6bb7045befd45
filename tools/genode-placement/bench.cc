/*
 * bench.cc: rmemu bench's region-map workload on Genode's own allocator.
 *
 * The same operations as src/cli/bench.c's bench_region_map, drawn from the
 * same random sequence, run on Allocator_avl_tpl compiled from Genode's
 * unchanged allocator_avl.cc and avl_tree.cc: what core's region map does
 * for them in its placement tree, timed the same way (each operation on
 * its own, CLOCK_MONOTONIC, median and 99th percentile). It is a lower
 * bound for core: Region_map_component's attach and detach do more (the
 * dataspace's list of regions, the PD's page tables, faulters), none of it
 * in this count.
 *
 * Two more figures: the metadata per region, measured as the host heap
 * bytes that the allocator's slab took for the build-up (its blocks carry
 * a stand-in for core's Rm_region of the same layout), and a digest of
 * every address placed, which must equal rmemu's ("placement_digest" in
 * rmemu bench --json): the same addresses, region for region, at any size.
 */
#include "bench.h"
#include "core_attach.h"

#include <base/allocator_avl.h>
#include <util/misc_math.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

namespace {

	using namespace Genode;

	/* A host heap that counts what it holds, as rmemu's counting allocator does. */
	struct Counting_heap : Allocator
	{
		size_t live = 0;

		Alloc_result try_alloc(size_t size) override
		{
			void *p = std::malloc(size);
			if (!p)
				return Alloc_error::OUT_OF_RAM;
			live += size;
			return { *this, { .ptr = p, .num_bytes = size } };
		}

		void _free(Allocation &a) override { live -= a.num_bytes; std::free(a.ptr); }
		void free(void *p, size_t size) override { live -= size; std::free(p); }
		bool need_size_for_free() const override { return true; }
		size_t overhead(size_t) const override { return 0; }
	};

	/*
	 * Core's Rm_region (repos/base/src/core/include/region_map_component.h):
	 * its list element, the dataspace, the region map and the attributes.
	 * Only its size matters here: core's blocks carry one each, used or not.
	 */
	struct Rm_region_layout
	{
		void *next;
		void *dsc;
		void *rm;
		struct { addr_t base; size_t size; bool write, exec; addr_t off; bool dma; } attr;
	};

	struct Region_map : Allocator_avl_tpl<Rm_region_layout>
	{
		Region_map(Allocator &md) : Allocator_avl_tpl<Rm_region_layout>(&md) { }

		/* the size of core's slab entries for a region map: every block, used or free */
		static constexpr size_t block_bytes() { return sizeof(Block); }

		/* Region_map_component::detach_at: the used block there, freed at its start */
		void detach(addr_t addr)
		{
			Allocator_avl_base::Block *b = _find_by_address(addr);
			if (b && b->used())
				free(reinterpret_cast<void *>(b->addr()));
		}
	};

	/* src/cli/bench.c's bench_rand, so that both draw the same operations */
	uint64_t bench_rand(uint64_t *state)
	{
		uint64_t x = *state;

		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		*state = x;
		return x * 0x2545f4914f6cdd1dULL;
	}

	uint64_t now_ns()
	{
		struct timespec t;

		clock_gettime(CLOCK_MONOTONIC, &t);
		return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
	}

	/* FNV-1a over the address's eight bytes, as src/cli/bench.c's placement_mix */
	void mix(uint64_t *h, uint64_t addr)
	{
		for (int i = 0; i < 8; i++) {
			*h ^= (addr >> (8 * i)) & 0xff;
			*h *= 0x100000001b3ULL;
		}
	}
}

int run_region_map_bench(uint64_t live, uint64_t ops)
{
	Counting_heap heap;
	Region_map *map = new Region_map(heap);
	std::vector<addr_t> addrs(live);
	std::vector<uint64_t> samples(ops);
	uint64_t seed = 0x1234, map_size = live * 0x40000, done = 0;
	uint64_t digest = 0xcbf29ce484222325ULL, placements = 0;
	size_t md_empty;

	if (map->add_range(0, map_size).failed()) {
		std::fprintf(stderr, "genode-placement: add_range of 0x%" PRIx64 " failed\n", map_size);
		return 1;
	}
	md_empty = heap.live;
	for (uint64_t i = 0; i < live; i++) {
		addr_t at = 0;
		if (!core_attach(*map, 4096 * (1 + bench_rand(&seed) % 16), &at)) {
			std::fprintf(stderr, "genode-placement: build-up attach %" PRIu64 " failed\n", i);
			return 1;
		}
		addrs[i] = at;
		mix(&digest, at);
		placements++;
	}
	double bytes_per_region = (double)(heap.live - md_empty) / (double)live;

	while (done < ops) {
		uint64_t k = bench_rand(&seed) % live, r = bench_rand(&seed);
		size_t size = 4096 * (1 + r % 16);
		bool use_at = r % 4 == 0, ok;
		addr_t at = 0;
		uint64_t t0, t1, t2;

		if (use_at)
			at = (bench_rand(&seed) % (map_size / 4096)) * 4096;
		t0 = now_ns();
		map->detach(addrs[k]);
		t1 = now_ns();
		ok = use_at ? core_attach_at(*map, size, at) : core_attach(*map, size, &at);
		t2 = now_ns();
		if (!ok && use_at) {
			/* the address was taken: place it anywhere instead, as rmemu's bench does */
			t1 = t2 - (t1 - t0);
			ok = core_attach(*map, size, &at);
			t2 = now_ns();
		}
		if (!ok) {
			std::fprintf(stderr, "genode-placement: attach failed after %" PRIu64 " operations\n",
			             done);
			return 1;
		}
		addrs[k] = at;
		mix(&digest, at);
		placements++;
		samples[done++] = t1 - t0;
		if (done < ops)
			samples[done++] = t2 - t1;
	}
	std::sort(samples.begin(), samples.end());
	std::printf("{\"workload\": \"region-map\", \"implementation\": \"genode\", "
	            "\"live\": %" PRIu64 ", \"ops\": %" PRIu64 ", \"ns_median\": %" PRIu64 ", "
	            "\"ns_p99\": %" PRIu64 ", \"bytes_per_mapping\": %.1f, \"block_bytes\": %zu, "
	            "\"placements\": %" PRIu64 ", \"placement_digest\": \"0x%016" PRIx64 "\"}\n",
	            live, ops, samples[ops / 2], samples[(size_t)((double)(ops - 1) * 0.99)],
	            bytes_per_region, Region_map::block_bytes(),
	            placements, digest);
	/* as the oracle does: free what is attached, so Genode sees no dangling allocation */
	for (addr_t a : addrs)
		map->detach(a);
	delete map;
	return 0;
}
