#
# portable.mk: rmemu's portable parts, the sources that build inside Genode
# without a libc: the trace parser and printer, the executor, the mmap
# layer (with the libc policies and the placement allocator their pools
# use), and the error and kernel names they use. They allocate only
# through the allocator or primitives they are given, print only through
# callbacks, and call nothing outside this list but a few string functions
# (genode/src/lib/rmemu/include/string.h) and rme_allocator_default.
#
# This list is the one place that says which sources those are. It is
# included by Makefile.am (make check compiles exactly these, freestanding,
# and checks the symbols they need: tests/portable.test), by Genode's
# library description genode/lib/mk/rmemu.mk and by the depot recipe
# genode/recipes/src/rmemu_replay/content.mk. Paths are relative to src/.
#
RMEMU_PORTABLE_C = \
	error.c \
	model/layout.c \
	trace/trace_parse.c trace/trace_print.c \
	replay/executor.c \
	mmap/mmap.c mmap/mmap_area.c mmap/mmap_txn.c mmap/mmap_inspect.c \
	mmap/mmap_registry.c \
	mmap/mmap_libc.c mmap/mmap_libc_pool.c mmap/mmap_genode_libc.c mmap/mmap_libc_alloc_at.c \
	model/placement.c model/placement_hosted.c

# the private headers they include
RMEMU_PORTABLE_H = \
	model/layout.h \
	trace/trace_internal.h \
	mmap/mmap_internal.h mmap/mmap_area.h mmap/mmap_registry.h \
	mmap/mmap_libc.h mmap/mmap_libc_pool.h \
	model/placement.h model/placement_hosted.h model/costs.h
