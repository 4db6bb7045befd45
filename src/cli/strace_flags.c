/*
 * strace_flags.c: Linux's flags as strace names them, and what the trace
 * format makes of them: mmap's MAP_* flags and PROT_* rights, madvise's
 * advice, and which failures a trace can expect (strace_importer.h).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <string.h>

#include <rmemu/mmap.h>
#include <rmemu/trace.h>

#include "strace_importer.h"

const strace_sym_t prot_syms[] = {
	{ "PROT_NONE", RME_PROT_NONE }, { "PROT_READ", RME_PROT_READ },
	{ "PROT_WRITE", RME_PROT_WRITE }, { "PROT_EXEC", RME_PROT_EXEC },
	{ "PROT_SEM", RME_PROT_SEM }, { "PROT_GROWSDOWN", RME_PROT_GROWSDOWN },
	{ "PROT_GROWSUP", RME_PROT_GROWSUP }, { NULL, 0 },
};

const strace_sym_t map_syms[] = {
	{ "MAP_SHARED", RME_MAP_SHARED }, { "MAP_PRIVATE", RME_MAP_PRIVATE },
	{ "MAP_SHARED_VALIDATE", RME_MAP_SHARED_VALIDATE }, { "MAP_FIXED", RME_MAP_FIXED },
	{ "MAP_ANONYMOUS", RME_MAP_ANONYMOUS }, { "MAP_ANON", RME_MAP_ANONYMOUS },
	{ "MAP_32BIT", RME_MAP_32BIT }, { "MAP_GROWSDOWN", RME_MAP_GROWSDOWN },
	{ "MAP_DENYWRITE", RME_MAP_DENYWRITE }, { "MAP_EXECUTABLE", RME_MAP_EXECUTABLE },
	{ "MAP_LOCKED", RME_MAP_LOCKED }, { "MAP_NORESERVE", RME_MAP_NORESERVE },
	{ "MAP_POPULATE", RME_MAP_POPULATE }, { "MAP_NONBLOCK", RME_MAP_NONBLOCK },
	{ "MAP_STACK", RME_MAP_STACK }, { "MAP_HUGETLB", RME_MAP_HUGETLB },
	{ "MAP_SYNC", RME_MAP_SYNC }, { "MAP_FIXED_NOREPLACE", RME_MAP_FIXED_NOREPLACE },
	{ "MAP_UNINITIALIZED", RME_MAP_UNINITIALIZED }, { "MAP_FILE", 0 },
	{ "MAP_DROPPABLE", 0x08 }, { NULL, 0 },
};

const strace_sym_t ms_syms[] = {
	{ "MS_ASYNC", RME_MS_ASYNC }, { "MS_INVALIDATE", RME_MS_INVALIDATE },
	{ "MS_SYNC", RME_MS_SYNC }, { NULL, 0 },
};

const strace_sym_t mlock_syms[] = { { "MLOCK_ONFAULT", RME_MLOCK_ONFAULT }, { NULL, 0 } };

const strace_sym_t mcl_syms[] = {
	{ "MCL_CURRENT", RME_MCL_CURRENT }, { "MCL_FUTURE", RME_MCL_FUTURE },
	{ "MCL_ONFAULT", RME_MCL_ONFAULT }, { NULL, 0 },
};

const strace_sym_t mremap_syms[] = {
	{ "MREMAP_MAYMOVE", RME_MREMAP_MAYMOVE }, { "MREMAP_FIXED", RME_MREMAP_FIXED },
	{ "MREMAP_DONTUNMAP", RME_MREMAP_DONTUNMAP }, { NULL, 0 },
};

/* Linux's advice values beyond rmemu/mmap.h's: memory-failure testing, guard regions (6.13). */
enum {
	MADV_HWPOISON = 100, MADV_SOFT_OFFLINE = 101, MADV_GUARD_INSTALL = 102, MADV_GUARD_REMOVE = 103
};

const strace_sym_t madv_syms[] = {
	{ "MADV_NORMAL", RME_MADV_NORMAL }, { "MADV_RANDOM", RME_MADV_RANDOM },
	{ "MADV_SEQUENTIAL", RME_MADV_SEQUENTIAL }, { "MADV_WILLNEED", RME_MADV_WILLNEED },
	{ "MADV_DONTNEED", RME_MADV_DONTNEED }, { "MADV_FREE", RME_MADV_FREE },
	{ "MADV_REMOVE", RME_MADV_REMOVE }, { "MADV_DONTFORK", RME_MADV_DONTFORK },
	{ "MADV_DOFORK", RME_MADV_DOFORK }, { "MADV_MERGEABLE", RME_MADV_MERGEABLE },
	{ "MADV_UNMERGEABLE", RME_MADV_UNMERGEABLE }, { "MADV_HUGEPAGE", RME_MADV_HUGEPAGE },
	{ "MADV_NOHUGEPAGE", RME_MADV_NOHUGEPAGE }, { "MADV_DONTDUMP", RME_MADV_DONTDUMP },
	{ "MADV_DODUMP", RME_MADV_DODUMP }, { "MADV_WIPEONFORK", RME_MADV_WIPEONFORK },
	{ "MADV_KEEPONFORK", RME_MADV_KEEPONFORK }, { "MADV_COLD", RME_MADV_COLD },
	{ "MADV_PAGEOUT", RME_MADV_PAGEOUT }, { "MADV_POPULATE_READ", RME_MADV_POPULATE_READ },
	{ "MADV_POPULATE_WRITE", RME_MADV_POPULATE_WRITE },
	{ "MADV_DONTNEED_LOCKED", RME_MADV_DONTNEED_LOCKED }, { "MADV_COLLAPSE", RME_MADV_COLLAPSE },
	{ "MADV_HWPOISON", MADV_HWPOISON }, { "MADV_SOFT_OFFLINE", MADV_SOFT_OFFLINE },
	{ "MADV_GUARD_INSTALL", MADV_GUARD_INSTALL }, { "MADV_GUARD_REMOVE", MADV_GUARD_REMOVE },
	{ NULL, 0 },
};

/*
 * Whether advice the trace has no form for changes what a trace would
 * show: content (MADV_REMOVE zeroes, MADV_DONTNEED_LOCKED like DONTNEED),
 * or faults (guard regions, poisoned pages). The rest only tunes Linux's
 * paging, forks and dumps, and the layer accepts it without effect.
 */
int
advice_changes_memory(uint64_t linux_advice)
{
	return linux_advice == RME_MADV_REMOVE || linux_advice == RME_MADV_DONTNEED_LOCKED ||
	       linux_advice == MADV_HWPOISON || linux_advice == MADV_SOFT_OFFLINE ||
	       linux_advice == MADV_GUARD_INSTALL || linux_advice == MADV_GUARD_REMOVE;
}

/* What the trace's flags say of Linux's MAP_* flags, bit for bit. */
static const struct {
	uint64_t linux_flag;
	unsigned trace_flag;
} map_flag_equivalents[] = {
	{ RME_MAP_ANONYMOUS, RME_TRACE_MAP_ANON },
	{ RME_MAP_FIXED, RME_TRACE_MAP_FIXED },
	{ RME_MAP_FIXED_NOREPLACE, RME_TRACE_MAP_NOREPLACE },
	{ RME_MAP_NORESERVE, RME_TRACE_MAP_NORESERVE },
	{ RME_MAP_POPULATE, RME_TRACE_MAP_POPULATE },
	{ RME_MAP_STACK, RME_TRACE_MAP_STACK },
	{ RME_MAP_GROWSDOWN, RME_TRACE_MAP_GROWSDOWN },
	{ RME_MAP_LOCKED, RME_TRACE_MAP_LOCKED },
};

/* Flags Linux itself ignores: leaving them out changes nothing. */
#define MAP_IGNORED_BY_LINUX (RME_MAP_DENYWRITE | RME_MAP_EXECUTABLE | RME_MAP_NONBLOCK)

/* Names of flags the model has no use for, for the remark that says they were left out. */
static const strace_sym_t map_dropped_names[] = {
	{ "MAP_32BIT", RME_MAP_32BIT }, { "MAP_HUGETLB", RME_MAP_HUGETLB },
	{ "MAP_SYNC", RME_MAP_SYNC }, { NULL, 0 },
};

/*
 * Linux's mmap flags as the trace's: the mapping type (none is notype,
 * MAP_FILE alone; one without a name goes into *other), the flags with
 * names, and in *other the bits without one that decide the call: every
 * unknown bit, and with MAP_SHARED_VALIDATE every bit at all, since Linux
 * refuses what it does not know there (EOPNOTSUPP) and the layer does the
 * same. Otherwise MAP_32BIT, MAP_HUGETLB with its page size and MAP_SYNC,
 * which the model has no use for, go into *dropped (a remark); flags
 * Linux ignores go nowhere.
 */
unsigned
trace_map_flags(uint64_t f, uint32_t *other, sbuf_t *dropped)
{
	unsigned out = 0;
	uint64_t type = f & RME_MAP_TYPE;
	uint64_t rest = f & ~(uint64_t)RME_MAP_TYPE & ~(uint64_t)MAP_IGNORED_BY_LINUX;
	uint64_t huge_bits = (uint64_t)RME_MAP_HUGE_MASK << RME_MAP_HUGE_SHIFT;
	unsigned huge_log2 = 0;

	*other = 0;
	/*
	 * The bits at MAP_HUGE_SHIFT are the huge page size with MAP_HUGETLB;
	 * without it, one of them is MAP_UNINITIALIZED, which Linux ignores
	 * where there is an MMU.
	 */
	if (f & RME_MAP_HUGETLB)
		huge_log2 = (unsigned)((rest & huge_bits) >> RME_MAP_HUGE_SHIFT);
	else
		rest &= ~(uint64_t)RME_MAP_UNINITIALIZED;

	switch (type) {
	case RME_MAP_SHARED:
		out |= RME_TRACE_MAP_SHARED;
		break;
	case RME_MAP_SHARED_VALIDATE:
		out |= RME_TRACE_MAP_SHARED_VALIDATE;
		break;
	case RME_MAP_PRIVATE:
		out |= RME_TRACE_MAP_PRIVATE;
		break;
	default:
		*other |= (uint32_t)type;   /* 0 is notype; the others have no name (EINVAL) */
		break;
	}
	for (size_t i = 0; i < sizeof(map_flag_equivalents) / sizeof(*map_flag_equivalents); i++)
		if (f & map_flag_equivalents[i].linux_flag) {
			out |= map_flag_equivalents[i].trace_flag;
			rest &= ~map_flag_equivalents[i].linux_flag;
		}
	if (type == RME_MAP_SHARED_VALIDATE) {
		*other |= (uint32_t)rest;
		return out;
	}
	for (const strace_sym_t *s = map_dropped_names; s->name; s++)
		if (rest & s->value) {
			sb_printf(dropped, "%s%s", dropped->len ? "|" : "", s->name);
			rest &= ~s->value;
		}
	if (f & RME_MAP_HUGETLB) {
		rest &= ~huge_bits;
		if (huge_log2) {
			/* the huge page size, as strace names it: MAP_HUGE_2MB */
			static const char units[] = "KMGTPE";

			if (huge_log2 >= 10 && huge_log2 < 70)
				sb_printf(dropped, "|MAP_HUGE_%u%cB", 1u << ((huge_log2 - 10) % 10),
				          units[(huge_log2 - 10) / 10]);
			else
				sb_printf(dropped, "|%u<<MAP_HUGE_SHIFT", huge_log2);
		}
	}
	*other |= (uint32_t)rest;   /* unknown bits: Linux ignores them here, and so does the layer */
	return out;
}

/*
 * Linux's PROT_* as the trace's rights. PROT_SEM means nothing on x86 and
 * is left out; PROT_GROWSDOWN/UP and unknown bits make it -1 (the call
 * stays a comment).
 */
int
trace_rights(uint64_t prot)
{
	if (prot & ~(uint64_t)(RME_PROT_READ | RME_PROT_WRITE | RME_PROT_EXEC | RME_PROT_SEM))
		return -1;
	return (int)(((prot & RME_PROT_READ) ? RME_TRACE_RIGHT_R : 0) |
	             ((prot & RME_PROT_WRITE) ? RME_TRACE_RIGHT_W : 0) |
	             ((prot & RME_PROT_EXEC) ? RME_TRACE_RIGHT_X : 0));
}

/*
 * Whether a failure depends on something the trace does not model: a
 * file (its mode, its kind, its lock) or the process's limits. Those stay
 * comments, since the model would give another answer.
 */
static int
errno_outside_model(const char *name)
{
	static const char *const outside[] = {
		"EACCES", "EBADF", "ENODEV", "ETXTBSY", "EPERM", "EAGAIN", "ENFILE", "EMFILE",
		"EOVERFLOW", "EINTR",
	};

	if (!name[0])
		return 1;
	for (size_t i = 0; i < sizeof(outside) / sizeof(*outside); i++)
		if (strcmp(name, outside[i]) == 0)
			return 1;
	return 0;
}

/*
 * A failed call whose address is written as addr_ok says: whether it can be
 * an errno expectation, else why not (in *why).
 */
int
failure_expressible(const strace_call_t *c, const char **why)
{
	if (c->injected) {
		*why = "a failure strace injected, which the model would not have";
		return 0;
	}
	if (errno_outside_model(c->errno_name)) {
		*why = "the failure comes from something the trace does not model (a file, a limit)";
		return 0;
	}
	return 1;
}

/* Linux's madvise advice as the trace's; -1 for advice the trace has no form for. */
int
trace_advice(uint64_t linux_advice, rme_trace_advice_t *out)
{
	static const struct { uint64_t linux_advice; rme_trace_advice_t advice; } advices[] = {
		{ RME_MADV_NORMAL, RME_TRACE_ADVICE_NORMAL },
		{ RME_MADV_DONTNEED, RME_TRACE_ADVICE_DONTNEED },
		{ RME_MADV_FREE, RME_TRACE_ADVICE_FREE },
		{ RME_MADV_WILLNEED, RME_TRACE_ADVICE_WILLNEED },
	};

	for (size_t i = 0; i < sizeof(advices) / sizeof(*advices); i++)
		if (advices[i].linux_advice == linux_advice) {
			*out = advices[i].advice;
			return 0;
		}
	return -1;
}
