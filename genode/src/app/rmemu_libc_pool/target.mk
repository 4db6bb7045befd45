#
# Genode's own libc pool (libc_mem_alloc.cc from the Genode checkout, which
# needs only base) with a logging address space: see main.cc. The libc's
# source directory comes from a repository with libports in REPOSITORIES,
# else from the Genode tree's repos/libports (beside BASE_DIR); shim/ stands in
# for its internal/init.h and must come first.
#
TARGET = rmemu_libc_pool
SRC_CC = main.cc libc_mem_alloc.cc
LIBS   = base

LIBC_SRC_DIR := $(call select_from_repositories,src/lib/libc)
ifeq ($(LIBC_SRC_DIR),)
LIBC_SRC_DIR := $(wildcard $(BASE_DIR)/../libports/src/lib/libc)
endif
ifeq ($(LIBC_SRC_DIR),)
REQUIRES += libports_libc_source
endif

vpath libc_mem_alloc.cc $(LIBC_SRC_DIR)

INC_DIR += $(PRG_DIR)/shim $(LIBC_SRC_DIR)

# the libc's own sources are not built with Genode's strict C++ warnings
CC_CXX_WARN_STRICT =
