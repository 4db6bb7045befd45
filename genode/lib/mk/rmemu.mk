#
# rmemu's portable C parts for Genode: the trace parser and printer, the
# trace executor, the error names and the mmap layer, as src/portable.mk
# lists them. They need no libc: the few string functions they call come
# from src/lib/rmemu/genode_string.c. The default allocator
# (rme_allocator_default, normally malloc in src/alloc.c) is left out; the
# component that links this library provides it.
#
# Sources are taken from the rmemu source tree this repository sits in
# (../src, one folder per subsystem) or, inside a depot archive, from
# src/lib/rmemu, where they lie side by side.
#
RMEMU_SRC_DIR := $(firstword $(patsubst %/portable.mk,%,$(wildcard \
                    $(REP_DIR)/../src/portable.mk \
                    $(REP_DIR)/src/lib/rmemu/portable.mk)))

ifeq ($(RMEMU_SRC_DIR),)
$(error rmemu: the library's C sources are neither beside this Genode repository \
        ($(REP_DIR)/../src) nor in it (src/lib/rmemu): put the genode/ directory of a \
        whole rmemu source tree into REPOSITORIES, not a copy of genode/ alone, or use \
        the depot archive src/rmemu_replay, which carries them (genode/README.md))
endif

include $(RMEMU_SRC_DIR)/portable.mk

RMEMU_SRC_DIRS := $(RMEMU_SRC_DIR) $(wildcard \
                  $(patsubst %/,%,$(addprefix $(RMEMU_SRC_DIR)/,$(sort $(dir $(RMEMU_PORTABLE_C))))))

SRC_C  = $(notdir $(RMEMU_PORTABLE_C))
SRC_C += genode_string.c

vpath genode_string.c $(REP_DIR)/src/lib/rmemu
vpath %.c             $(RMEMU_SRC_DIRS)

# string.h for the sources, then rmemu's private headers
INC_DIR += $(REP_DIR)/src/lib/rmemu/include $(RMEMU_SRC_DIRS)
INC_DIR += $(wildcard $(REP_DIR)/../include $(REP_DIR)/include)

CC_C_OPT += -std=gnu11

LIBS += base
