/*
 * host_genode.cc: the little of Genode's base runtime that allocator_avl.cc,
 * avl_tree.cc, slab.cc and output.cc need when they run as a host program.
 *
 * Genode's sources are compiled unchanged from a Genode checkout; only their
 * environment is replaced: the log singleton writes to the host's stderr,
 * and allocation errors, which the allocator reports as values, never reach
 * raise() here (the harness never calls the throwing interface).
 */
#include <base/log.h>
#include <base/error.h>
#include <base/lock.h>

#include <cstdio>
#include <cstdlib>

namespace {

	/* Messages of Genode's code (e.g. "free: not a block start") go to stderr. */
	struct Stderr_output : Genode::Output
	{
		void out_char(char c) override { std::fputc(c, stderr); }
	};
}

Genode::Log &Genode::Log::log()
{
	static Stderr_output output;
	static Log log { output };
	return log;
}

void Genode::Log::_acquire(Type type)
{
	/* one thread only: the mutex stays untouched */
	_type = type;
	if (type == ERROR)   std::fputs("Error: ", stderr);
	if (type == WARNING) std::fputs("Warning: ", stderr);
}

void Genode::Log::_release()
{
	std::fputc('\n', stderr);
}

/* The log's mutex is constructed but never taken: the harness has one thread. */
Genode::Lock::Lock(State) : _owner(nullptr) { }

void Genode::raise(Genode::Alloc_error)
{
	std::fputs("genode-placement: allocation error raised as exception\n", stderr);
	std::abort();
}
