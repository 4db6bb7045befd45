/*
 * \brief  Genode's own libc pool (Libc::Mem_alloc_impl) on real Genode
 *
 * rmemu's "genode-libc" policy models the pool behind Genode's libc mmap.
 * This component runs the real one, libc_mem_alloc.cc built from the Genode
 * checkout with only base (target.mk), on real core: the same operations as
 * the worked examples of rmemu's host oracle (tests/oracle/), printed in
 * the oracle's golden format, with every dataspace where core attached it
 * and the pool's block tree, and the PD's quota after each operation as a
 * comment (of the pool's own PD). Turned into a golden ("rmemu-pool" lines without the prefix),
 * tests/check_libc_pool replays it against rmemu's model of the pool with
 * core's real places.
 *
 * tests/oracle/genode-libc-pool-hw builds and runs it on base-hw and writes
 * tests/data/libc-pool-2602-hw.golden: see genode/README.md.
 */

/* Genode includes */
#include <base/component.h>
#include <base/log.h>
#include <pd_session/connection.h>

/* see the pool's tree and slab (their layout is unaffected) */
#define private public
#define protected public
#include <internal/mem_alloc.h>
#undef private
#undef protected

namespace Rmemu_libc_pool {
	using namespace Genode;
	struct Logging_rm;
	struct Main;
}


/**
 * The component's address space, telling where core attached each dataspace
 */
struct Rmemu_libc_pool::Logging_rm : Env::Local_rm
{
	Env::Local_rm &_rm;

	Logging_rm(Env::Local_rm &rm) : _rm(rm) { }

	Result attach(Capability<Dataspace> ds, Attach_attr const &attr) override
	{
		return _rm.attach(ds, attr).convert<Result>(
			[&] (Attachment &a) -> Result {
				a.deallocate = false;
				log("[rmemu-pool] attach ", Hex(a.num_bytes), " ", Hex(addr_t(a.ptr)));
				return { *this, { a.ptr, a.num_bytes } }; },
			[&] (Error e) -> Result {
				log("[rmemu-pool] # attach failed");
				return e; });
	}

	void _free(Attachment &a) override { _rm.detach(addr_t(a.ptr)); }
};


struct Rmemu_libc_pool::Main
{
	enum { POOL_RAM = 32*1024*1024, POOL_CAPS = 100 };

	Env &_env;

	Logging_rm _rm { _env.rm() };

	/*
	 * The pool's RAM comes from a PD of its own, so that core's slab of
	 * dataspace metadata counts the pool's dataspaces only, as it does in
	 * rmemu's model of a fresh PD (doc/model.md).
	 */
	Pd_connection _pd { _env, "pool" };

	bool const _funded = [&] {
		if (_pd.ref_account(_env.pd_session_cap()) != Pd_session::Ref_account_result::OK)
			return false;
		return _env.pd().transfer_quota(_pd.cap(), Ram_quota { POOL_RAM }) == Pd_session::Transfer_result::OK
		    && _env.pd().transfer_quota(_pd.cap(), Cap_quota { POOL_CAPS }) == Pd_session::Transfer_result::OK;
	} ();

	Pd_ram_allocator _ram { _pd };

	Libc::Mem_alloc_impl _pool { _rm, _ram, false };

	size_t const _ram_start  = _pd.avail_ram().value;
	size_t const _caps_start = _pd.avail_caps().value;

	addr_t _live[128] { };
	unsigned _nlive = 0;

	void _measured()
	{
		log("[rmemu-pool] # measured: ram=", Hex(_ram_start - _pd.avail_ram().value),
		    " caps=", _caps_start - _pd.avail_caps().value);
	}

	void _alloc(size_t size, unsigned align)
	{
		log("[rmemu-pool] alloc ", Hex(size), " ", align);
		void *p = _pool.alloc(size, Align { .log2 = uint8_t(align) });
		log("[rmemu-pool] = ", Hex(addr_t(p)));
		if (p && _nlive < 128)
			_live[_nlive++] = addr_t(p);
		_measured();
	}

	void _free(addr_t addr)
	{
		log("[rmemu-pool] free ", Hex(addr));
		_pool.free((void *)addr);
		_measured();
	}

	void _dump_tree(Allocator_avl_base::Block *b)
	{
		if (!b) return;
		_dump_tree(b->child(0));
		log("[rmemu-pool] block ", Hex(b->addr()), " ", Hex(b->size()), " ", b->used() ? "U" : "F");
		_dump_tree(b->child(1));
	}

	void _dump()
	{
		log("[rmemu-pool] dump chunk=", Hex(_pool._chunk_size), " slab=",
		    _pool._alloc._metadata._total_avail, "/", _pool._alloc._metadata._num_blocks);
		_dump_tree(_pool._alloc._addr_tree.first());
		log("[rmemu-pool] end");
	}

	Main(Env &env) : _env(env)
	{
		if (!_funded) {
			log("[rmemu-pool] # the pool's PD could not be funded");
			return;
		}
		log("[rmemu-pool] release 2602");

		/* designs-spec A.3: a new chunk's record in an older chunk's hole */
		_alloc(0x1000, 12); _alloc(0x1000, 12); _alloc(0x1388, 12);
		_alloc(0x10000, 12); _free(_live[0]); _alloc(0, 12);
		_dump();

		/* the first pool-hosted slab block, and A.6: one in a live mapping's last page */
		for (unsigned i = 0; i < 99; i++) _alloc(0x1000, 12);
		_alloc(5000, 12);
		addr_t const p = _live[_nlive - 1];
		_alloc(0x1000, 12); _free(p); _alloc(5000, 12);
		_dump();

		/* requests larger than the chunk */
		for (unsigned i = 0; i < 8; i++) _alloc(0x100000, 12);
		_dump();

		log("[rmemu-pool-done]");
	}
};


void Component::construct(Genode::Env &env)
{
	static Rmemu_libc_pool::Main main(env);
}
