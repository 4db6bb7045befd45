/*
 * internal/init.h: stands in for the libc's internal/init.h when Genode's
 * libc_mem_alloc.cc is built without the libc: by the host oracle
 * (tests/oracle/genode-libc-oracle) and by the rmemu_libc_pool component.
 * The real header pulls in the FreeBSD libc (setjmp.h) and the VFS;
 * libc_mem_alloc.cc needs only this one declaration from it. Its directory
 * must be searched before the libc's own (the include uses angle brackets).
 */
#ifndef _LIBC__INTERNAL__INIT_H_
#define _LIBC__INTERNAL__INIT_H_

#include <base/env.h>

namespace Libc { void init_mem_alloc(Genode::Env &); }

#endif
