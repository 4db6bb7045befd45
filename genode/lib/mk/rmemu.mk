#
# rmemu's portable C parts for Genode: the trace parser and printer, the
# trace executor, the error names and the mmap layer. They need no libc: the few string
# functions they call come from src/lib/rmemu/genode_string.c. The default
# allocator (rme_allocator_default, normally malloc in src/alloc.c) is left
# out; the component that links this library provides it.
#
# Sources are taken from the rmemu source tree this repository sits in
# (../src) or, inside a depot archive, from src/lib/rmemu.
#
RMEMU_SRC_DIR := $(firstword $(patsubst %/trace_parse.c,%,$(wildcard \
                    $(REP_DIR)/../src/trace_parse.c \
                    $(REP_DIR)/src/lib/rmemu/trace_parse.c)))

SRC_C  = error.c layout.c trace_parse.c trace_print.c executor.c mmap.c mmap_area.c mmap_registry.c
SRC_C += genode_string.c

vpath genode_string.c $(REP_DIR)/src/lib/rmemu
vpath %.c             $(RMEMU_SRC_DIR)

# string.h for the sources, then rmemu's private headers (src/*.h)
INC_DIR += $(REP_DIR)/src/lib/rmemu/include $(RMEMU_SRC_DIR)
INC_DIR += $(wildcard $(REP_DIR)/../include $(REP_DIR)/include)

CC_C_OPT += -std=gnu11

LIBS += base
