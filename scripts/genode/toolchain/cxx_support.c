/*
 * cxx_support.c: what Debian's libsupc++ and libgcc_eh (gcc 12, built for
 * glibc) expect of their C library, for Genode's cxx runtime. Genode's own
 * tool chain builds them for a bare target; with the host's, these few
 * functions stand in for glibc's. scripts/genode-setup compiles this file
 * and puts it first into its copy of libsupc++.a.
 *
 * Freestanding C: no headers beyond the compiler's, nothing of glibc.
 * Every symbol is hidden, so that it stays inside the binary that Genode's
 * cxx library goes into (ld.lib.so, core) and does not clash with a libc.
 */
#include <stddef.h>
#include <stdint.h>

#define HIDDEN __attribute__((visibility("hidden")))

/*
 * Exception globals (the caught-exceptions stack and the count of uncaught
 * exceptions). libsupc++'s eh_globals.o keeps them in native thread-local
 * storage, which Genode does not set up (core-linux dies at once);
 * genode-setup leaves that member out and these keep them on static
 * storage instead, as a libsupc++ built without thread support (Genode's
 * own tool chain: --disable-threads) does. That is one set for all threads: an
 * exception in flight on one thread is visible to another's
 * std::uncaught_exceptions().
 */
struct cxa_eh_globals {
	void *caught_exceptions;
	unsigned int uncaught_exceptions;
};

static struct cxa_eh_globals eh_globals;

HIDDEN struct cxa_eh_globals *__cxa_get_globals(void) { return &eh_globals; }
HIDDEN struct cxa_eh_globals *__cxa_get_globals_fast(void) { return &eh_globals; }

/*
 * POSIX threads. With glibc 2.34 or later, libstdc++ takes threads to be
 * always there and locks its emergency exception pool with
 * pthread_mutex_lock (eh_alloc.o does not link without). Genode's own tool
 * chain builds libsupc++ without threads, which leaves the pool unlocked;
 * so do these. The pool is only used when malloc fails for an exception.
 * pthread_once runs the routine once; __pthread_key_create, whose presence
 * tells libstdc++ that threads are there, never hands out a key.
 */
HIDDEN int pthread_mutex_lock(void *mutex) { (void)mutex; return 0; }
HIDDEN int pthread_mutex_unlock(void *mutex) { (void)mutex; return 0; }

HIDDEN int
pthread_once(int *once, void (*routine)(void))
{
	if (*once == 0) {
		*once = 1;
		routine();
	}
	return 0;
}

HIDDEN int
__pthread_key_create(unsigned int *key, void (*destructor)(void *))
{
	(void)key;
	(void)destructor;
	return 11; /* EAGAIN: no keys */
}

/*
 * _dl_find_object (glibc 2.35): libgcc_eh 12 finds the unwind tables of the
 * code an exception passes through only this way, and gives up when it
 * fails: with a stub that fails, no exception in a dynamically linked
 * component is caught (Genode's test-new_delete ends in "Uncaught exception
 * of type 'int'"). Genode's dynamic linker offers dl_iterate_phdr, which walks the
 * loaded objects; this finds the one holding pc and its PT_GNU_EH_FRAME.
 * Core, which is linked statically, registers its frames with
 * __register_frame, which libgcc_eh consults first; there dl_iterate_phdr
 * is the cxx library's stub, which fails, and so does this.
 */
enum { PT_LOAD = 1, PT_GNU_EH_FRAME = 0x6474e550 };

struct elf64_phdr {
	uint32_t p_type, p_flags;
	uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

/* the part of glibc's struct dl_phdr_info that Genode's linker fills in */
struct phdr_info {
	uint64_t addr;
	const char *name;
	const struct elf64_phdr *phdr;
	uint16_t phnum;
};

/* glibc's struct dl_find_object on x86_64 */
struct dl_find_object {
	unsigned long long dlfo_flags;
	void *dlfo_map_start;
	void *dlfo_map_end;
	void *dlfo_link_map;
	void *dlfo_eh_frame;
	unsigned long long dlfo_reserved[7];
};

int dl_iterate_phdr(int (*callback)(struct phdr_info *, size_t, void *), void *data);

struct find_request {
	uintptr_t pc;
	struct dl_find_object *result;
};

static int
find_in_object(struct phdr_info *info, size_t size, void *data)
{
	struct find_request *req = data;
	uintptr_t lowest = UINTPTR_MAX, highest = 0, eh_frame = 0;
	int holds_pc = 0;

	(void)size;
	for (uint16_t i = 0; i < info->phnum; i++) {
		const struct elf64_phdr *ph = &info->phdr[i];
		uintptr_t start = (uintptr_t)(info->addr + ph->p_vaddr);

		if (ph->p_type == PT_GNU_EH_FRAME)
			eh_frame = start;
		if (ph->p_type != PT_LOAD)
			continue;
		if (start < lowest)
			lowest = start;
		if (start + ph->p_memsz > highest)
			highest = start + ph->p_memsz;
		if (req->pc >= start && req->pc - start < ph->p_memsz)
			holds_pc = 1;
	}
	if (!holds_pc)
		return 0;
	req->result->dlfo_flags = 0;
	req->result->dlfo_map_start = (void *)lowest;
	req->result->dlfo_map_end = (void *)highest;
	req->result->dlfo_link_map = NULL;
	req->result->dlfo_eh_frame = (void *)eh_frame;
	return 1;
}

HIDDEN int
_dl_find_object(void *pc, struct dl_find_object *result)
{
	struct find_request req = { (uintptr_t)pc, result };

	return dl_iterate_phdr(find_in_object, &req) > 0 ? 0 : -1;
}
