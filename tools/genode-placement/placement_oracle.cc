/*
 * placement_oracle.cc: core's attach/detach placement over Genode's own
 * Allocator_avl (compiled from a Genode checkout, see Makefile).
 */
#include "placement_oracle.h"
#include "core_attach.h"

#include <base/allocator_avl.h>
#include <util/misc_math.h>

#include <cstdio>
#include <cstdlib>

namespace {

	using namespace Genode;

	/* Backing store for the allocator's metadata slab: the host's heap. */
	struct Host_heap : Allocator
	{
		Alloc_result try_alloc(size_t size) override
		{
			void *p = std::malloc(size);
			if (!p)
				return Alloc_error::OUT_OF_RAM;
			return { *this, { .ptr = p, .num_bytes = size } };
		}

		void _free(Allocation &a) override { std::free(a.ptr); }
		void free(void *p, size_t) override { std::free(p); }
		bool need_size_for_free() const override { return false; }
		size_t overhead(size_t) const override { return 0; }
	};

	/*
	 * The depth of an AVL node is protected in Avl_node_base; a member
	 * pointer named through a derived class reads it without touching
	 * Genode's headers.
	 */
	struct Depth_of : Avl_node_base
	{
		static constexpr unsigned char Avl_node_base::*field = &Depth_of::_depth;
	};

	/* The region map's allocator, opened up for reading its tree. */
	struct Region_allocator : Allocator_avl
	{
		Region_allocator(Allocator &md) : Allocator_avl(&md) { }

		using Allocator_avl_base::Block;

		Block const *first() const { return _block_tree().first(); }

		Block const *used_block_at(addr_t addr) const
		{
			Block const *b = _find_by_address(addr);
			return (b && b->used()) ? b : nullptr;
		}
	};

	void collect_free(Region_allocator::Block const *b,
	                  std::vector<Placement_oracle::Free_block> &out)
	{
		if (!b)
			return;
		if (!b->used())
			out.push_back({ b->addr(), b->size() });
		collect_free(b->child(Avl_node_base::LEFT), out);
		collect_free(b->child(Avl_node_base::RIGHT), out);
	}

	void dump_subtree(Region_allocator::Block const *b, std::string &out)
	{
		if (!b)
			return;
		char text[128];
		std::snprintf(text, sizeof(text), "%s0x%lx:0x%lx:%c:%u:0x%lx",
		              out.empty() ? "" : " ", (unsigned long)b->addr(),
		              (unsigned long)b->size(), b->used() ? 'U' : 'F',
		              (unsigned)(b->*Depth_of::field), (unsigned long)b->max_avail());
		out += text;
		dump_subtree(b->child(Avl_node_base::LEFT), out);
		dump_subtree(b->child(Avl_node_base::RIGHT), out);
	}
}

struct Placement_oracle::Impl
{
	Host_heap        heap { };
	Region_allocator map  { heap };
};

Placement_oracle::Placement_oracle() : _impl(new Impl) { }

Placement_oracle::~Placement_oracle()
{
	/* release what is still attached, so that Genode sees no dangling allocation */
	addr_t addr = 0;
	while (_impl->map.any_block_addr(&addr))
		_impl->map.free(reinterpret_cast<void *>(addr));
	delete _impl;
}

bool Placement_oracle::add_range(uint64_t base, uint64_t size)
{
	return _impl->map.add_range(base, size).ok();
}

bool Placement_oracle::attach(uint64_t size, uint64_t *at)
{
	addr_t addr = 0;
	bool found = core_attach(_impl->map, size, &addr);
	if (found)
		*at = addr;
	return found;
}

bool Placement_oracle::attach_at(uint64_t size, uint64_t addr)
{
	return core_attach_at(_impl->map, size, addr);
}

void Placement_oracle::detach(uint64_t addr)
{
	/* Region_map_component::detach_at: only a used block, freed at its start */
	if (auto const *b = _impl->map.used_block_at(addr))
		_impl->map.free(reinterpret_cast<void *>(b->addr()));
}

std::string Placement_oracle::dump() const
{
	std::string out;
	dump_subtree(_impl->map.first(), out);
	return out.empty() ? "(empty)" : out;
}

std::vector<Placement_oracle::Free_block> Placement_oracle::free_blocks() const
{
	std::vector<Free_block> out;
	collect_free(_impl->map.first(), out);
	return out;
}
