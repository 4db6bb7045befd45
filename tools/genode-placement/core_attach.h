/*
 * core_attach.h: Region_map_component's placement of a region (repos/base/
 * src/core/region_map_component.cc at the Genode commit the goldens name),
 * on any of Genode's Allocator_avl allocators: the oracle's (placement_
 * oracle.cc) and the benchmark's with core's region metadata (bench.cc).
 */
#ifndef GENODE_PLACEMENT_CORE_ATTACH_H
#define GENODE_PLACEMENT_CORE_ATTACH_H

#include <base/allocator_avl.h>
#include <util/misc_math.h>

/*
 * _attach for a dataspace at offset 0 without an address: natural alignment
 * first, then smaller ones down to 4 KiB. False: REGION_CONFLICT.
 */
template <typename MAP>
bool core_attach(MAP &map, Genode::size_t size, Genode::addr_t *at)
{
	using namespace Genode;

	Align const page { .log2 = 12 };
	Align align { .log2 = log2(size, page.log2) };
	if (align.log2 >= sizeof(void *) * 8)
		align = page;

	bool found = false;
	for (; !found && align.log2 >= page.log2; align.log2--) {
		map.alloc_aligned(size, align).with_result(
			[&] (Range_allocator::Allocation &a) {
				a.deallocate = false;
				*at = addr_t(a.ptr);
				found = true; },
			[&] (Alloc_error) { });
	}
	return found;
}

/* _attach at an address: alloc_addr. False: REGION_CONFLICT. */
template <typename MAP>
bool core_attach_at(MAP &map, Genode::size_t size, Genode::addr_t addr)
{
	using namespace Genode;

	bool found = false;
	map.alloc_addr(size, addr).with_result(
		[&] (Range_allocator::Allocation &a) {
			a.deallocate = false;
			found = true; },
		[&] (Alloc_error) { });
	return found;
}

#endif
