/*
 * rmemu/rmemu.h: the whole public API of librmemu.
 */
#ifndef RMEMU_RMEMU_H
#define RMEMU_RMEMU_H

#include <rmemu/error.h>
#include <rmemu/alloc.h>
#include <rmemu/model.h>
#include <rmemu/replay.h>
#include <rmemu/trace.h>
#include <rmemu/executor.h>
#include <rmemu/mmap.h>
#include <rmemu/genode_prims.h>
#include <rmemu/prims_model.h>
#include <rmemu/view.h>

#define RMEMU_VERSION_STRING "0.1.0"

#endif
