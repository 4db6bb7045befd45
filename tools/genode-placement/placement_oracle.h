/*
 * placement_oracle.h: a region map's placement as Genode's core does it,
 * run on Genode's own Allocator_avl.
 *
 * The three operations follow Region_map_component (repos/base/src/core/
 * region_map_component.cc at the Genode commit the goldens name): attach
 * without an address tries natural alignment first and then smaller ones
 * down to 4 KiB; attach at an address asks alloc_addr; detach frees the used
 * block containing the address and ignores any other address. The dump
 * prints the AVL tree exactly as tests/check_placement.c prints rmemu's.
 * Nothing here can fail on the host except memory, which aborts.
 */
#ifndef GENODE_PLACEMENT_ORACLE_H
#define GENODE_PLACEMENT_ORACLE_H

#include <cstdint>
#include <string>
#include <vector>

class Placement_oracle
{
	public:

		/* the address range of the region map; false if Genode rejects it */
		Placement_oracle();
		~Placement_oracle();

		bool add_range(uint64_t base, uint64_t size);

		/* address of the new region, or false for REGION_CONFLICT */
		bool attach(uint64_t size, uint64_t *at);
		bool attach_at(uint64_t size, uint64_t addr);
		void detach(uint64_t addr);

		/* pre-order: addr:size:U|F:depth:max_avail separated by spaces */
		std::string dump() const;

		/* the free blocks in the dump's order (pre-order of the AVL tree) */
		struct Free_block { uint64_t addr, size; };
		std::vector<Free_block> free_blocks() const;

	private:

		struct Impl;
		Impl *_impl;

		Placement_oracle(Placement_oracle const &) = delete;
		Placement_oracle &operator = (Placement_oracle const &) = delete;
};

#endif
