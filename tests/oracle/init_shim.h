/*
 * tests/oracle/init_shim.h: stands in for the libc's internal/init.h when
 * the oracle builds Genode's libc_mem_alloc.cc on the host. That header
 * pulls in the FreeBSD libc (setjmp.h) and the VFS; libc_mem_alloc.cc
 * needs only this one declaration from it. Installed as internal/init.h
 * in a directory searched before the libc's own (see genode-libc-oracle).
 */
#ifndef _LIBC__INTERNAL__INIT_H_
#define _LIBC__INTERNAL__INIT_H_

#include <base/env.h>

namespace Libc { void init_mem_alloc(Genode::Env &); }

#endif
