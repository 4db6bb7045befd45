/*
 * costs.h: what core charges for RAM dataspaces, region maps and their
 * metadata, in one place.
 *
 * The RAM-dataspace figures are read from core's code (pd_session_component,
 * ram_dataspace_factory). The region-map and metadata figures were measured
 * on real Genode 26.02 with the rmemu_replay component: on base-hw for core
 * (the RM-session accounting is core's generic code, so the other kernels
 * share it), on base-linux for its own flavour. Only the number of
 * allocator blocks per slab block is still derived from object sizes.
 */
#ifndef RMEMU_COSTS_H
#define RMEMU_COSTS_H

enum {
	/* A RAM allocation of n bytes needs this much quota beyond up4K(n), unconsumed. */
	COST_RAM_ALLOC_HEADROOM = 4096,
	/* Each RAM dataspace holds one capability. */
	COST_RAM_ALLOC_CAPS = 1,

	/*
	 * Core's slab of a PD's dataspace metadata (ds_slab.c): 4 KiB blocks
	 * (Ram_dataspace_factory::SLAB_BLOCK_SIZE), the first embedded in the
	 * PD session, every other one a page and a capability of the PD's
	 * quota (Accounted_core_ram). Entries per block MEASURED on Genode
	 * 26.02 (ffb059da4d8c, x86_64) with the rmemu_replay component in a
	 * fresh PD (tests/traces/genode/hw_ds_slab.trace, linux_ds_slab.trace):
	 * the first block is taken at the 14th dataspace on base-hw and the
	 * 13th on base-linux, and one more every 16th / 15th, which is
	 * (4096 - 40) / (sizeof(Dataspace_component) + 9) entries per block
	 * with a slab that grows when no more than 3 entries are free.
	 * base-linux's Dataspace_component holds a file name and is larger.
	 * The 32-bit architectures are not measured: their smaller objects
	 * would give more entries per block (the model uses the same figures).
	 */
	COST_DS_SLAB_ENTRIES = 16,
	COST_DS_SLAB_ENTRIES_LINUX = 15,
	COST_DS_SLAB_RAM = 4096,
	COST_DS_SLAB_CAPS = 1,
	COST_DS_SLAB_GROW_AT = 3,

	/*
	 * Region maps of the RM session (core kernels), MEASURED on base-hw
	 * (Genode 26.02, ffb059da4d8c) with the rmemu_replay component
	 * (tests/traces/genode/hw_quota.trace). Core takes them from the
	 * session's quota, never from the PD's: Rm_connection donates 64 KiB and
	 * 2 caps when it opens the session; core keeps both caps and (at most)
	 * 8 KiB for the session object (the measurement bounds the session's
	 * remainder to [56, 60) KiB, and with page-sized allocations 56 behaves
	 * the same); each region map takes 12 KiB and a cap (one
	 * Sliced_heap block, its Region_map_component), each grown metadata
	 * slab block 8 KiB and a cap. When the session runs short, the client
	 * donates 8 KiB or 2 caps more (Rm_connection::create's upgrades), and
	 * that is all the PD sees. What core frees goes back to the session.
	 */
	COST_RM_SESSION_RAM = 0x10000,
	COST_RM_SESSION_CAPS = 2,
	COST_RM_SESSION_OWN_RAM = 0x2000,
	COST_RM_SESSION_OWN_CAPS = 2,
	COST_RM_SESSION_UPGRADE_RAM = 0x2000,
	COST_RM_SESSION_UPGRADE_CAPS = 2,
	COST_RM_CREATE_RAM = 0x3000,
	COST_RM_CREATE_CAPS = 1,

	/* The allocator blocks of a region map live in a slab; the first slab block is embedded. */
	/* from object sizes (8128-byte block / ~136-byte entry); base-hw grows at the same points */
	COST_MD_BLOCKS_PER_SLAB = 59,
	COST_MD_SLAB_RAM = 8192,       /* one extra slab block through the Sliced_heap */
	COST_MD_SLAB_CAPS = 1,
	/* Core's Slab grows when no more than this many entries are free (slab.cc). */
	COST_MD_SLAB_GROW_AT = 3,

	/*
	 * base-linux, MEASURED on Genode 26.02 (ffb059da4d8c) with the
	 * rmemu_replay component (tests/traces/genode/linux_quota.trace): a
	 * region map costs the PD 0x21000 bytes and a capability (its
	 * Region_map_mmap and region table live in the component, a dataspace
	 * of its heap); the first one also opens the RM session, 0x8000 bytes
	 * and a capability (the heap's growth for the Local_rm_session) that
	 * stay until the session closes. Regions cost nothing there. (The
	 * figures measured before the component kept its own slab of dataspace
	 * metadata from growing, 0x9000 and 2 caps, held a block of it.)
	 */
	COST_LINUX_RM_CREATE_RAM = 0x21000,
	COST_LINUX_RM_CREATE_CAPS = 1,
	COST_LINUX_RM_SESSION_RAM = 0x8000,
	COST_LINUX_RM_SESSION_CAPS = 1
};

#endif
