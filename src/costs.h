/*
 * costs.h: what core charges for RAM dataspaces, region maps and their
 * metadata, in one place.
 *
 * The RAM-dataspace figures are read from core's code (pd_session_component,
 * ram_dataspace_factory). The region-map figures for core (hw and the other
 * kernels) are ESTIMATES from the sizes of core's objects on 64-bit (see
 * genode-semantics.md §3.2), to be replaced by measurements on base-hw; the
 * base-linux figures at the end were measured.
 */
#ifndef RMEMU_COSTS_H
#define RMEMU_COSTS_H

enum {
	/* A RAM allocation of n bytes needs this much quota beyond up4K(n), unconsumed. */
	COST_RAM_ALLOC_HEADROOM = 4096,
	/* Each RAM dataspace holds one capability. */
	COST_RAM_ALLOC_CAPS = 1,

	/* Rm_session::create: one Sliced_heap block for the Region_map_component (estimate). */
	COST_RM_CREATE_RAM = 12288,
	COST_RM_CREATE_CAPS = 1,

	/* The allocator blocks of a region map live in a slab; the first slab block is embedded. */
	COST_MD_BLOCKS_PER_SLAB = 59,  /* estimate: 8128-byte slab block / ~136-byte entry */
	COST_MD_SLAB_RAM = 8192,       /* estimate: one extra slab block through the Sliced_heap */
	COST_MD_SLAB_CAPS = 1,
	/* Core's Slab grows when no more than this many entries are free (slab.cc). */
	COST_MD_SLAB_GROW_AT = 3,

	/*
	 * base-linux, MEASURED on Genode 26.02 (ffb059da4d8c) with the
	 * rmemu_replay component (tests/traces/genode/linux_quota.trace): a
	 * region map costs 0x21000 bytes and a capability (its Region_map_mmap
	 * and region table live in the component); the first one also opens
	 * the RM session, one more page and capability that stay until the
	 * session closes. Regions cost nothing there.
	 */
	COST_LINUX_RM_CREATE_RAM = 0x21000,
	COST_LINUX_RM_CREATE_CAPS = 1,
	COST_LINUX_RM_SESSION_RAM = 0x1000,
	COST_LINUX_RM_SESSION_CAPS = 1
};

#endif
