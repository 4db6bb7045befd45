/*
 * layout.h: the address space a component gets on each kernel and
 * architecture (genode-semantics.md §5; doc/layouts.md has the table).
 */
#ifndef RMEMU_LAYOUT_H
#define RMEMU_LAYOUT_H

#include <stdint.h>

#include <rmemu/model.h>

typedef struct layout {
	uint64_t vm_start;      /* the address space env covers [vm_start, vm_end) */
	uint64_t vm_end;
	uint64_t word_mask;     /* the width of addr_t on the target */
} layout_t;

/* The layout of kernel on arch; -1 if Genode has no such combination. */
int layout_get(rme_kernel_t kernel, rme_arch_t arch, layout_t *out);

/*
 * What Genode attaches into every dynamically linked component's address
 * space before main() runs (genode-semantics.md §5.1).
 */
enum {
	LAYOUT_STACK_AREA_BASE = 0x40000000,  /* NON_CORE_STACK_AREA_ADDR */
	LAYOUT_STACK_AREA_SIZE = 0x10000000,  /* 256 slots of 1 MiB */
	LAYOUT_LINKER_AREA_BASE = 0x01000000, /* LD_TEXT_ADDR, the binary's link address */
	LAYOUT_LDSO_BASE = 0x30000,           /* ld.lib.so's link address */
	/*
	 * ld.lib.so's segments: an inference (the text and data of ld.lib.so on
	 * x86_64 take a little under 1 MiB); the free space after it up to the
	 * linker area is what matters for conflicts.
	 */
	LAYOUT_LDSO_SIZE = 0xd0000,
	/* base-linux: the component binary's segments at the link address (an inference) */
	LAYOUT_LINUX_BINARY_SIZE = 0x100000
};

/* Pd_session::LINKER_AREA_SIZE of a Genode release (YYMM). */
uint64_t layout_linker_area_size(unsigned release);

#endif
