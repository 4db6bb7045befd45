#
# Users of the rmemu library see rmemu's public headers (<rmemu/trace.h>,
# <rmemu/mmap.h>, ...). In the rmemu source tree they live beside this
# Genode repository (../include); in a depot archive under include/.
#
RMEMU_GENODE_DIR := $(patsubst %/lib/import/import-rmemu.mk,%,$(lastword $(MAKEFILE_LIST)))
RMEMU_INC_DIR    := $(firstword $(wildcard $(RMEMU_GENODE_DIR)/../include/rmemu/trace.h \
                                           $(RMEMU_GENODE_DIR)/include/rmemu/trace.h))
INC_DIR += $(patsubst %/rmemu/trace.h,%,$(RMEMU_INC_DIR))
