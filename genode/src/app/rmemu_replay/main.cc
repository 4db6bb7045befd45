/*
 * rmemu_replay: replays an rmemu trace against real Genode and prints the
 * canonical trace with the actual results to the log.
 *
 * The trace comes from the ROM module that the config names
 * (<config trace="sub_rm.trace"/>). Every Genode-level operation goes to the
 * real services: RAM from the PD, region maps from an RM session, attach
 * and detach, fault handlers with a signal handler each. Accesses are real
 * loads, stores and jumps, done by a helper thread so that a fault blocks
 * the helper, not the component: the component learns of a fault from the
 * region map's fault signal (handled) or from a watchdog timeout, after
 * which it asks the region maps for their fault state (unhandled). A
 * helper that faulted stays blocked, as a faulter does in the model, and
 * the next access gets a new helper. libc-level operations go through
 * rmemu's own mmap layer, which runs on the primitives implemented here.
 *
 * Which call an operation becomes, and what result its outcome is, is not
 * decided here: rmemu's portable executor (rmemu/executor.h) does that,
 * the same code that replays traces on the model. The component gives it
 * the trace's Genode-level operations on the real API (_genode) and the
 * mmap layer; an access answers "pending" to the executor, and when the
 * helper's signal or the watchdog ends it, the component hands the
 * outcome back (rme_executor_access_result). What stays here is Genode's:
 * the primitives, the helper threads, and measuring the quota.
 *
 * Where faults cannot be reflected (base-linux: a segfault ends the whole
 * process), config attribute reflect_faults="no" makes the component check
 * every access against what it attached itself; an access it cannot prove
 * to succeed is skipped and marked "# skipped: ..." in the output.
 *
 * Quota: the trace runs on a PD session of its own, funded with exactly
 * the trace's quota. Its RAM dataspaces come from there, and what the
 * trace costs the component's own PD (the RM session's donations, env's
 * metadata, base-linux's region maps) is moved from it to the component's
 * PD, so that running out is the trace's PD's, as in the model, and the
 * measurements are that PD's alone: not the component's heap, helper
 * threads or ROM modules. A trace whose quota the component cannot give
 * ends at once with "[rmemu-error]" and the figures, as does a heap that
 * cannot grow; nothing waits for the parent to hand out more.
 *
 * Output: every line of the canonical trace, prefixed with "[rmemu] ";
 * "rmemu genode-log LOG" extracts them again.
 */

#include <base/component.h>
#include <pd_session/connection.h>
#include <base/attached_rom_dataspace.h>
#include <base/heap.h>
#include <base/log.h>
#include <base/thread.h>
#include <base/mutex.h>
#include <base/blockade.h>
#include <rm_session/connection.h>
#include <region_map/client.h>
#include <timer_session/connection.h>
#include <util/reconstructible.h>
#include <util/string.h>

#include <rmemu/trace.h>
#include <rmemu/mmap.h>
#include <rmemu/executor.h>

namespace Rmemu_replay {
	using namespace Genode;
	struct Main;
	struct Accessor;
	struct Cap_entry;
	struct Fault_sigh;
	struct Region_record;
}


/* The heap behind rme_allocator_default(), which the parser may ask for. */
static Genode::Heap *default_heap;

/* the size of the last request the heap could not meet, 0 if none */
static size_t heap_refused;

static void *heap_alloc_cb(void *ctx, size_t size)
{
	Genode::Heap *heap = ctx ? (Genode::Heap *)ctx : default_heap;
	if (!heap) return nullptr;
	return heap->try_alloc(size ? size : 1).convert<void *>(
		[&] (Genode::Memory::Allocation &a) { a.deallocate = false; return a.ptr; },
		[&] (Genode::Alloc_error) -> void * { heap_refused = size; return nullptr; });
}

static void heap_free_cb(void *ctx, void *ptr, size_t size)
{
	Genode::Heap *heap = ctx ? (Genode::Heap *)ctx : default_heap;
	if (heap && ptr) heap->free(ptr, size ? size : 1);
}

extern "C" const rme_allocator_t *rme_allocator_default(void)
{
	static rme_allocator_t a = { heap_alloc_cb, heap_free_cb, nullptr };
	return &a;
}


/*
 * A helper thread that performs one access at a time. It blocks in a fault
 * that nobody resolves; then it is retired and never reused.
 */
struct Rmemu_replay::Accessor : Thread
{
	enum class Kind { READ, WRITE, EXEC };

	Blockade                  _go { };
	Signal_context_capability _done;

	Kind             kind  = Kind::READ;
	addr_t           addr  = 0;
	uint8_t          byte  = 0;
	uint8_t          value = 0;
	bool volatile    finished = false;
	bool volatile    retired  = false;
	unsigned         fault_map = 0;   /* retired: the map its fault was reflected to */
	bool             awaited = false; /* an attach made its access possible: it will finish */

	Accessor(Env &env, Signal_context_capability done, unsigned id)
	:
		Thread(env, Name("rmemu_access_", id), Stack_size { 16*1024 }),
		_done(done)
	{ }

	void issue(Kind k, addr_t a, uint8_t b)
	{
		kind = k; addr = a; byte = b; finished = false;
		_go.wakeup();
	}

	void entry() override
	{
		for (;;) {
			_go.block();
			switch (kind) {
			case Kind::READ:  value = *(uint8_t volatile *)addr; break;
			case Kind::WRITE: *(uint8_t volatile *)addr = byte;  break;
			case Kind::EXEC:  ((void (*)())addr)();              break;
			}
			finished = true;
			Signal_transmitter(_done).submit();
			if (retired)
				return;  /* resumed long after its fault: done for good */
		}
	}
};


struct Rmemu_replay::Fault_sigh
{
	Main &main;
	unsigned const index;
	Signal_handler<Fault_sigh> handler;

	void handle();

	Fault_sigh(Env &env, Main &main, unsigned index)
	: main(main), index(index), handler(env.ep(), *this, &Fault_sigh::handle) { }
};


/* A capability the component holds: a dataspace or a region map. */
struct Rmemu_replay::Cap_entry
{
	enum class Kind { FREE, RAM, ROM, MANAGED, REGION_MAP, ENV };

	Kind                     kind = Kind::FREE;
	Dataspace_capability     ds { };
	Capability<Region_map>   rm { };
	Constructible<Region_map_client> client { };
	unsigned                 managed_by = 0;   /* MANAGED: the region map's entry */
	uint64_t                 size = 0;
	Constructible<Fault_sigh> sigh { };
	unsigned                 known_faulters = 0;
	unsigned                 attachments = 0;  /* live regions showing it (attach_limit) */
};


/*
 * What the component itself attached, for judging accesses where faults
 * cannot be reflected: rm 0 is the address space (env).
 */
struct Rmemu_replay::Region_record
{
	bool     used = false;
	unsigned rm = 0;          /* cap-table entry of the region map; 0: env */
	unsigned ds = 0;          /* cap-table entry of the dataspace */
	uint64_t start = 0, size = 0, offset = 0;
	bool     writeable = false, executable = false;
};


struct Rmemu_replay::Main : Noncopyable
{
	using Trace_op = rme_trace_op_t;

	enum { MAX_CAPS = 8192, MAX_REGIONS = 8192, LINE_MAX = 512 };
	enum class Skip { NONE, NO_REFLECTION, UNKNOWN_TARGET, EXEC_NOT_RET, LIBC_NO_AREA, STOPPED,
	                  AFTER_STOP };

	/*
	 * What the component keeps of its own quota when it funds the trace's
	 * PD: for helper threads, the timer, signal handlers and the heap's
	 * growth (the mmap layer's metadata). A new helper thread needs at least
	 * the smaller figures.
	 */
	enum { OWN_RESERVE_RAM = 2*1024*1024, OWN_RESERVE_CAPS = 100,
	       HELPER_RAM = 256*1024, HELPER_CAPS = 20 };

	Env &_env;

	/*
	 * The component's own PD, without the resource requests that Env::pd()
	 * and Env::ram() make when its quota runs short: they ask the parent
	 * for more and block until it answers, which init and sequence never
	 * do. Through this client a quota transfer or the heap's growth fails
	 * instead, and the replay ends with "[rmemu-error]" and the figure.
	 */
	Pd_session_client _own_pd { _env.pd_session_cap() };
	Pd_ram_allocator  _own_ram { _own_pd };

	Heap _heap { _own_ram, _env.rm() };

	Attached_rom_dataspace _config { _env, "config" };

	bool const     _reflect_faults = _config.node().attribute_value("reflect_faults", true);
	uint64_t const _timeout_us     = 1000*_config.node().attribute_value("timeout_ms", 1000UL);

	/*
	 * base-linux counts the references to a capability in 8 bits, and
	 * every region of Region_map_mmap holds one to its dataspace: at about
	 * 250 live attachments of one dataspace the component dies (see
	 * genode/README.md). With attach_limit="N", the replay stops before
	 * the attach that would make an N+1st.
	 */
	unsigned const _attach_limit = _config.node().attribute_value("attach_limit", 0U);

	/*
	 * The trace's PD: a PD session of its own, funded with exactly the
	 * trace's quota (its quota directive, else the model's default). Every
	 * RAM dataspace of the trace and of the mmap layer comes from it, and
	 * what else the trace costs, which Genode takes from the component's
	 * own PD (the RM session's donations, the metadata of env's regions),
	 * is moved from it to the component's PD (_charge). Its quota is what
	 * the trace has, and what the measurements show.
	 */
	Constructible<Pd_connection> _trace_pd { };

	/*
	 * Opened by the first rm-create, so that what the session costs (its
	 * initial donation) shows in the trace, as it does in the model.
	 */
	Constructible<Rm_connection> _rm_conn { };

	Constructible<Timer::Connection> _timer { };

	Signal_handler<Main> _done_handler    { _env.ep(), *this, &Main::_handle_done };
	Signal_handler<Main> _timeout_handler { _env.ep(), *this, &Main::_handle_timeout };

	Region_map_client _env_as { _env.pd().address_space() };

	Mutex _mm_mutex { };

	rme_allocator_t _alloc { heap_alloc_cb, heap_free_cb, &_heap };

	Cap_entry     *_caps    = nullptr;
	Region_record *_regions = nullptr;

	rme_trace_t *_trace  = nullptr;
	size_t       _nops   = 0;
	size_t       _nslots = 0;
	/* each slot's value: an address, or the cap-table entry of a dataspace or region map */
	uint64_t    *_slots  = nullptr;
	Skip        *_skipped = nullptr;
	char       **_notes   = nullptr;  /* measurement comments per operation */

	rme_mmap_t  *_mm = nullptr;

	rme_executor_t _executor { };   /* set up with the trace (_set_up) */

	Accessor    *_accessor = nullptr;
	unsigned     _accessor_id = 0;

	/*
	 * Helpers blocked in a fault that a handler received: an attach into
	 * their map may wake them, and they retry on their own time.
	 */
	enum { MAX_BLOCKED = 256, SETTLE_US = 200*1000, SETTLE_POLL_US = 2*1000 };
	Accessor    *_blocked[MAX_BLOCKED] { };
	unsigned     _nblocked = 0;
	bool         _settle_needed = false;   /* the last attach may have woken some */
	bool         _settle_refault = false;  /* ... and some of them will fault again */
	bool         _settling = false;        /* waiting for them before the next operation */
	uint64_t     _settle_start_us = 0;
	size_t       _next = 0;
	bool         _waiting = false;
	uint64_t     _deadline_us = 0;

	size_t       _ram_start = 0, _caps_start = 0;          /* the trace's PD's at the start */
	size_t       _own_ram_start = 0, _own_caps_start = 0;  /* the component's own PD's */
	size_t       _rm_session_ram = 0, _rm_session_caps = 0;   /* donated to the RM session */
	unsigned     _warm_ups_left = 0;     /* the helper's first accesses are under way */
	uint8_t volatile _warm_up_byte = 0;  /* what they read */

	/* why the replay stops before its end (attach_limit, the heap), or nullptr */
	char const  *_stop_reason = nullptr;
	String<200>  _stop_text { };
	String<64>   _after_stop_text { };

	/* line output */
	char   _line[LINE_MAX];
	size_t _line_len = 0;
	size_t _lines_out = 0;
	size_t _ndirectives = 0;

	/* ---- the capability table ------------------------------------------ */

	unsigned _new_entry(Cap_entry::Kind kind)
	{
		for (unsigned i = 1; i < MAX_CAPS; i++)
			if (_caps[i].kind == Cap_entry::Kind::FREE) {
				_caps[i].kind = kind;
				_caps[i].known_faulters = 0;
				return i;
			}
		return 0;
	}

	void _free_entry(unsigned i)
	{
		if (i == 0 || i >= MAX_CAPS) return;
		Cap_entry &e = _caps[i];
		if (e.sigh.constructed()) e.sigh.destruct();
		if (e.client.constructed()) e.client.destruct();
		e.kind = Cap_entry::Kind::FREE;
		e.ds = Dataspace_capability();
		e.rm = Capability<Region_map>();
		e.managed_by = 0;
		e.size = 0;
	}

	Cap_entry *_entry(unsigned i)
	{
		return (i > 0 && i < MAX_CAPS && _caps[i].kind != Cap_entry::Kind::FREE)
		       ? &_caps[i] : nullptr;
	}

	/* the region map of an entry; 1 (the env entry) is the address space */
	bool _is_env(unsigned i) const { return i == 1; }

	/* ---- region records ------------------------------------------------ */

	void _record(unsigned rm, unsigned ds, uint64_t start, uint64_t size,
	             uint64_t offset, bool w, bool x)
	{
		Cap_entry *e = _entry(ds);
		if (e) e->attachments++;
		/* a ROM module is sealed: core attaches it read-only whatever was asked */
		if (e && e->kind == Cap_entry::Kind::ROM) w = false;
		for (unsigned i = 0; i < MAX_REGIONS; i++)
			if (!_regions[i].used) {
				_regions[i] = { true, rm, ds, start, size, offset, w, x };
				return;
			}
	}

	void _unrecord(Region_record &r)
	{
		r.used = false;
		Cap_entry *e = _entry(r.ds);
		if (e && e->attachments) e->attachments--;
	}

	/* forget the region of rm that starts at (linux: exactly) or holds at */
	void _forget(unsigned rm, uint64_t at)
	{
		for (unsigned i = 0; i < MAX_REGIONS; i++) {
			Region_record &r = _regions[i];
			if (!r.used || r.rm != rm) continue;
			bool const hit = _reflect_faults ? (at >= r.start && at - r.start < r.size)
			                                 : (at == r.start);
			if (hit) { _unrecord(r); return; }
		}
	}

	/* forget every region that shows or lies in entry e */
	void _forget_entry(unsigned e)
	{
		for (unsigned i = 0; i < MAX_REGIONS; i++)
			if (_regions[i].used && (_regions[i].ds == e || _regions[i].rm == e))
				_unrecord(_regions[i]);
	}

	/*
	 * Whether an access at addr in region map rm surely succeeds, judged
	 * by what was attached (for kernels that cannot reflect faults).
	 */
	bool _surely_accessible(unsigned rm, uint64_t addr, Accessor::Kind kind, unsigned depth)
	{
		if (depth > 4) return false;
		for (unsigned i = 0; i < MAX_REGIONS; i++) {
			Region_record const &r = _regions[i];
			if (!r.used || r.rm != rm || addr < r.start || addr - r.start >= r.size)
				continue;
			if (kind == Accessor::Kind::WRITE && !r.writeable) return false;
			if (kind == Accessor::Kind::EXEC  && !r.executable) return false;
			Cap_entry const *e = _entry(r.ds);
			if (!e) return false;
			if (e->kind == Cap_entry::Kind::RAM || e->kind == Cap_entry::Kind::ROM)
				return addr - r.start + r.offset < e->size;
			if (e->kind == Cap_entry::Kind::MANAGED)
				return _surely_accessible(e->managed_by, addr - r.start + r.offset,
				                          kind, depth + 1);
			return false;
		}
		return false;
	}

	/* the RAM or ROM entry and offset behind addr of region map rm, as far as the records say */
	bool _backing(unsigned rm, uint64_t addr, unsigned depth, unsigned &ds, uint64_t &off)
	{
		if (depth > 4) return false;
		for (unsigned i = 0; i < MAX_REGIONS; i++) {
			Region_record const &r = _regions[i];
			if (!r.used || r.rm != rm || addr < r.start || addr - r.start >= r.size)
				continue;
			Cap_entry const *e = _entry(r.ds);
			if (!e) return false;
			uint64_t const o = addr - r.start + r.offset;
			if (e->kind == Cap_entry::Kind::MANAGED)
				return _backing(e->managed_by, o, depth + 1, ds, off);
			if (o >= e->size) return false;
			ds = r.ds; off = o;
			return e->kind == Cap_entry::Kind::RAM || e->kind == Cap_entry::Kind::ROM;
		}
		return false;
	}

	/* a ret instruction put in for an exec, the byte it replaced, the view it was written through */
	uint8_t volatile *_ret_at = nullptr;
	uint8_t           _ret_saved = 0;
	addr_t            _ret_view = 0;

	/*
	 * Put a ret instruction at addr for an exec that surely succeeds, in
	 * RAM the component attached (its own view of the dataspace, writable,
	 * in env); _restore_ret puts the trace's byte back when the access has
	 * ended. False if that cannot be done (the exec is then skipped).
	 */
	bool _arrange_ret(uint64_t addr)
	{
		unsigned ds = 0;
		uint64_t off = 0;
		if (!_surely_accessible(1, addr, Accessor::Kind::EXEC, 0) ||
		    !_backing(1, addr, 0, ds, off) || _caps[ds].kind != Cap_entry::Kind::RAM)
			return false;
		_env.rm().attach(_caps[ds].ds, { .size = { }, .offset = { }, .use_at = { },
		                                 .at = { }, .executable = { }, .writeable = true })
			.with_result(
				[&] (Env::Local_rm::Attachment &a) {
					a.deallocate = false;
					_ret_at = (uint8_t volatile *)a.ptr + off; },
				[&] (Env::Local_rm::Error) { });
		if (!_ret_at) return false;
		_ret_saved = *_ret_at;
		*_ret_at = 0xc3;
		_ret_view = (addr_t)_ret_at - (addr_t)off;
		return true;
	}

	void _restore_ret()
	{
		if (!_ret_at) return;
		*_ret_at = _ret_saved;
		_env.rm().detach(_ret_view);
		_ret_at = nullptr;
	}

	/* ---- attach and detach, for the trace and the mmap layer ------------ */

	rme_err_t _attach(unsigned rm, unsigned ds, Region_map::Attr const &attr, uint64_t &at)
	{
		Cap_entry *r = _entry(rm), *d = _entry(ds);
		if (!r || !d || !d->ds.valid()) return RME_ERR_INVALID_DATASPACE;

		if (_attach_limit && d->attachments >= _attach_limit) {
			_stop(String<200>("attachment ", d->attachments + 1, " of one dataspace is beyond ",
			                  "attach_limit=", _attach_limit, " (base-linux counts a "
			                  "capability's references in 8 bits)"));
			return RME_ERR_HOST_NO_MEMORY;
		}

		rme_err_t err = RME_OK;
		auto error_of = [] (Region_map::Attach_error e) {
			switch (e) {
			case Region_map::Attach_error::OUT_OF_RAM:        return RME_ERR_OUT_OF_RAM;
			case Region_map::Attach_error::OUT_OF_CAPS:       return RME_ERR_OUT_OF_CAPS;
			case Region_map::Attach_error::REGION_CONFLICT:   return RME_ERR_REGION_CONFLICT;
			case Region_map::Attach_error::INVALID_DATASPACE: return RME_ERR_INVALID_DATASPACE;
			}
			return RME_ERR_INVALID_ARGUMENT;
		};

		if (_is_env(rm)) {
			/*
			 * env is the component's own address space: what its metadata
			 * grows by here, Genode takes from the component's PD; the model
			 * charges it to the trace's PD, and so does the component.
			 */
			rme_err_t const paid = _settle(0, 0, [&] {
				_env.rm().attach(d->ds, attr).with_result(
					[&] (Env::Local_rm::Attachment &a) {
						a.deallocate = false;
						at = (uint64_t)(addr_t)a.ptr; },
					[&] (Env::Local_rm::Error e) { err = error_of(e); }); });
			if (err == RME_OK && paid != RME_OK) {
				_settle(0, 0, [&] { _env.rm().detach((addr_t)at); });
				err = paid;
			}
		} else {
			/*
			 * A region map from the RM session keeps its metadata on the
			 * session's quota: when that runs short, donate more and retry,
			 * as Rm_connection::create does for creation.
			 */
			rme_err_t const paid = _settle(0, 0, [&] {
				for (bool retry = true; retry; ) {
					retry = false;
					r->client->attach(d->ds, attr).with_result(
						[&] (Region_map::Range range) { at = range.start; err = RME_OK; },
						[&] (Region_map::Attach_error e) {
							err = error_of(e);
							retry = _upgrade_rm_session(err); });
				} });
			if (err == RME_OK && paid != RME_OK) {
				r->client->detach((addr_t)at);
				err = paid;
			}
		}
		if (err == RME_OK) {
			uint64_t size = attr.size ? attr.size : (d->size > attr.offset ? d->size - attr.offset : 0);
			/* a sealed ROM is attached read-only, whatever the attach asks */
			_record(rm, ds, at, size, attr.offset,
			        attr.writeable && d->kind != Cap_entry::Kind::ROM, attr.executable);
		}
		return err;
	}

	void _detach(unsigned rm, uint64_t at)
	{
		Cap_entry *r = _entry(rm);
		if (!r) return;
		if (_is_env(rm)) _settle(0, 0, [&] { _env.rm().detach((addr_t)at); });
		else _settle(0, 0, [&] { r->client->detach((addr_t)at); });
		_forget(rm, at);
	}

	rme_err_t _ram_alloc(uint64_t size, unsigned &entry)
	{
		entry = 0;
		unsigned const i = _new_entry(Cap_entry::Kind::RAM);
		if (!i) return RME_ERR_HOST_NO_MEMORY;
		rme_err_t err = RME_OK;
		_trace_pd->alloc_ram((size_t)size).with_result(
			[&] (Ram_dataspace_capability ds) { _caps[i].ds = ds; },
			[&] (Alloc_error e) {
				err = e == Alloc_error::OUT_OF_RAM  ? RME_ERR_OUT_OF_RAM
				    : e == Alloc_error::OUT_OF_CAPS ? RME_ERR_OUT_OF_CAPS
				    :                                 RME_ERR_DENIED; });
		if (err != RME_OK) { _free_entry(i); return err; }
		_caps[i].size = (size + 0xfff) & ~0xfffULL;
		entry = i;
		return RME_OK;
	}

	void _ram_free(unsigned i)
	{
		Cap_entry *e = _entry(i);
		if (!e || e->kind != Cap_entry::Kind::RAM) return;
		_trace_pd->free_ram(static_cap_cast<Ram_dataspace>(e->ds));
		if (!_reflect_faults) _forget_entry(i);
		_free_entry(i);
	}

	/*
	 * A ROM module: a RAM dataspace sealed (Pd_session::seal_ram, 26.02),
	 * so that core attaches it read-only whatever an attach asks, as it
	 * does a real ROM module. It is the component's own, not the trace's
	 * PD's: a ROM module is paid by whoever provides it, and the model
	 * charges the trace nothing for it.
	 */
	rme_err_t _rom(uint64_t size, unsigned &entry)
	{
		entry = 0;
		if (!size) return RME_ERR_DENIED;
		unsigned const i = _new_entry(Cap_entry::Kind::ROM);
		if (!i) return RME_ERR_HOST_NO_MEMORY;
		rme_err_t err = RME_OK;
		_own_pd.alloc_ram((size_t)size).with_result(
			[&] (Ram_dataspace_capability ds) {
				_own_pd.seal_ram(ds);
				_caps[i].ds = ds; },
			[&] (Alloc_error) {
				_stop(String<200>("no quota left for a ROM module of ", Hex(size),
				                  " bytes: the component has ram=", Hex(_own_pd.avail_ram().value),
				                  " caps=", _own_pd.avail_caps().value));
				err = RME_ERR_HOST_NO_MEMORY; });
		if (err != RME_OK) { _free_entry(i); return err; }
		_caps[i].size = (size + 0xfff) & ~0xfffULL;
		entry = i;
		return RME_OK;
	}

	/*
	 * Region maps of the RM session, and their regions, cost the
	 * component's own PD: on core kernels the donations to the session
	 * (charged to the trace as they are made), on base-linux the
	 * Region_map_mmap objects in the component's own memory. Whatever they
	 * cost it beyond what was charged, the trace pays too (_settle).
	 */
	rme_err_t _rm_create(uint64_t size, unsigned &entry)
	{
		rme_err_t err = RME_OK;
		rme_err_t const paid = _settle(0, 0, [&] { err = _rm_create_unsettled(size, entry); });
		if (err == RME_OK && paid != RME_OK) {
			_rm_destroy(entry);
			entry = 0;
			return paid;
		}
		return err;
	}

	rme_err_t _rm_create_unsettled(uint64_t size, unsigned &entry)
	{
		entry = 0;
		unsigned const i = _new_entry(Cap_entry::Kind::REGION_MAP);
		if (!i) return RME_ERR_HOST_NO_MEMORY;

		rme_err_t err = _open_rm_session();
		if (err != RME_OK) { _free_entry(i); return err; }

		Rm_session_client client(_rm_conn->cap());
		Capability<Region_map> cap { };
		for (bool retry = true; retry; ) {
			retry = false;
			client.create((size_t)size).with_result(
				[&] (Capability<Region_map> c) { cap = c; err = RME_OK; },
				[&] (Alloc_error e) {
					err = e == Alloc_error::OUT_OF_RAM  ? RME_ERR_OUT_OF_RAM
					    : e == Alloc_error::OUT_OF_CAPS ? RME_ERR_OUT_OF_CAPS
					    :                                 RME_ERR_DENIED;
					retry = _upgrade_rm_session(err); });
		}
		if (!cap.valid()) {
			_free_entry(i);
			return err == RME_OK ? RME_ERR_DENIED : err;
		}
		_caps[i].rm = cap;
		_caps[i].client.construct(cap);
		_caps[i].size = size;
		entry = i;
		return RME_OK;
	}

	void _rm_destroy(unsigned i)
	{
		Cap_entry *e = _entry(i);
		if (!e || e->kind != Cap_entry::Kind::REGION_MAP) return;
		(void)_settle(0, 0, [&] { _rm_conn->destroy(e->rm); });
		_forget_entry(i);
		/* the managed dataspaces that showed it are gone with it */
		for (unsigned j = 1; j < MAX_CAPS; j++)
			if (_caps[j].kind == Cap_entry::Kind::MANAGED && _caps[j].managed_by == i) {
				_forget_entry(j);
				_caps[j].kind = Cap_entry::Kind::MANAGED;
				_caps[j].managed_by = 0;
			}
		_free_entry(i);
	}

	unsigned _rm_dataspace(unsigned i)
	{
		Cap_entry *e = _entry(i);
		if (!e) return 0;
		/* one entry per region map's dataspace */
		for (unsigned j = 1; j < MAX_CAPS; j++)
			if (_caps[j].kind == Cap_entry::Kind::MANAGED && _caps[j].managed_by == i)
				return j;
		unsigned const j = _new_entry(Cap_entry::Kind::MANAGED);
		if (!j) return 0;
		_caps[j].ds = _is_env(i) ? Dataspace_capability() : e->client->dataspace();
		_caps[j].managed_by = i;
		_caps[j].size = e->size;
		return j;
	}

	/* ---- the mmap layer's primitives ----------------------------------- */

	static Main &_main(void *ctx) { return *(Main *)ctx; }

	static unsigned _entry_of(rme_prim_cap_t cap) { return (unsigned)cap; }

	static rme_err_t _p_ram_alloc(void *ctx, uint64_t size, rme_prim_cap_t *ds)
	{
		unsigned e = 0;
		rme_err_t err = _main(ctx)._ram_alloc(size, e);
		*ds = e;
		return err;
	}

	static void _p_ram_free(void *ctx, rme_prim_cap_t ds) { _main(ctx)._ram_free(_entry_of(ds)); }

	static rme_err_t _p_ds_zero(void *ctx, rme_prim_cap_t ds, uint64_t offset, uint64_t len)
	{
		Main &m = _main(ctx);
		Cap_entry *e = m._entry(_entry_of(ds));
		if (!e || !e->ds.valid()) return RME_ERR_INVALID_DATASPACE;
		rme_err_t err = RME_OK;
		m._env.rm().attach(e->ds, { .size = { }, .offset = { }, .use_at = { },
		                            .at = { }, .executable = { }, .writeable = true })
			.with_result(
				[&] (Env::Local_rm::Attachment &a) {
					Genode::bzero((char *)a.ptr + offset, (size_t)len); },
				[&] (Env::Local_rm::Error) { err = RME_ERR_OUT_OF_RAM; });
		return err;
	}

	static rme_err_t _p_rm_create(void *ctx, uint64_t size, rme_prim_cap_t *rm)
	{
		unsigned e = 0;
		rme_err_t err = _main(ctx)._rm_create(size, e);
		*rm = e;
		return err;
	}

	static void _p_rm_destroy(void *ctx, rme_prim_cap_t rm) { _main(ctx)._rm_destroy(_entry_of(rm)); }

	static rme_prim_cap_t _p_rm_dataspace(void *ctx, rme_prim_cap_t rm)
	{
		return _main(ctx)._rm_dataspace(_entry_of(rm));
	}

	static Region_map::Attr _attr_of(rme_prim_attr_t const &a)
	{
		return { .size = (size_t)a.size, .offset = (addr_t)a.offset,
		         .use_at = a.use_at != 0, .at = (addr_t)a.at,
		         .executable = a.executable != 0, .writeable = a.writeable != 0 };
	}

	static rme_err_t _p_attach(void *ctx, rme_prim_cap_t rm, rme_prim_cap_t ds,
	                           const rme_prim_attr_t *a, uint64_t *at)
	{
		Main &m = _main(ctx);
		unsigned const rm_entry = rm == RME_PRIM_LOCAL_RM ? 1 : _entry_of(rm);
		uint64_t where = 0;
		rme_err_t err = m._attach(rm_entry, _entry_of(ds), _attr_of(*a), where);
		if (err == RME_OK) *at = where;
		return err;
	}

	static void _p_detach(void *ctx, rme_prim_cap_t rm, uint64_t at)
	{
		_main(ctx)._detach(rm == RME_PRIM_LOCAL_RM ? 1 : _entry_of(rm), at);
	}

	/*
	 * The layer's metadata comes from the component's heap, on the
	 * component's own PD: the model keeps it outside of Genode's quota, and
	 * so it stays outside of the trace's PD. When the heap cannot grow,
	 * the replay ends (the layer would answer ENOMEM, which the model
	 * never does).
	 */
	static void *_p_heap_alloc(void *ctx, size_t size)
	{
		Main &m = _main(ctx);
		void *p = heap_alloc_cb(&m._heap, size);
		if (!p)
			m._stop(String<200>("the heap cannot grow for the mmap layer's ", size,
			                    " bytes: the component has ram=", Hex(m._own_pd.avail_ram().value),
			                    " caps=", m._own_pd.avail_caps().value, " of its own left"));
		return p;
	}

	static void _p_heap_free(void *ctx, void *p, size_t size)
	{
		heap_free_cb(&_main(ctx)._heap, p, size);
	}
	static void _p_lock(void *ctx)   { _main(ctx)._mm_mutex.acquire(); }
	static void _p_unlock(void *ctx) { _main(ctx)._mm_mutex.release(); }

	rme_genode_prims_t _prims {
		this, _p_ram_alloc, _p_ram_free, _p_ds_zero, _p_rm_create, _p_rm_destroy,
		_p_rm_dataspace, _p_attach, _p_detach, _p_heap_alloc, _p_heap_free,
		_p_lock, _p_unlock };

	/* ---- the trace's Genode-level operations, for the executor ---------- */

	/*
	 * Capabilities are cap-table entries, as for the primitives, but 0 is
	 * an invalid one here (a failed allocation), not the address space:
	 * env is entry 1, in the env slot. A ROM module is a dataspace like RAM
	 * to everything the trace does.
	 */

	static rme_err_t _x_rom(void *ctx, uint64_t size, rme_prim_cap_t *ds)
	{
		unsigned e = 0;
		rme_err_t err = _main(ctx)._rom(size, e);
		*ds = e;
		return err;
	}

	static rme_err_t _x_ram_free(void *ctx, rme_prim_cap_t ds)
	{
		_main(ctx)._ram_free(_entry_of(ds));
		return RME_OK;
	}

	static rme_err_t _x_rm_destroy(void *ctx, rme_prim_cap_t rm)
	{
		_main(ctx)._rm_destroy(_entry_of(rm));
		return RME_OK;
	}

	static rme_err_t _x_attach(void *ctx, rme_prim_cap_t rm, rme_prim_cap_t ds,
	                           const rme_prim_attr_t *a, uint64_t *at)
	{
		Main &m = _main(ctx);
		unsigned const map = _entry_of(rm);
		rme_err_t const err = m._attach(map, _entry_of(ds), _attr_of(*a), *at);
		/*
		 * Core wakes the faulters of the map that the new region covers
		 * (the model: at once); their threads retry when they are
		 * scheduled, and an access that still cannot complete faults and
		 * queues again. So that the next operation sees what the retries
		 * did, the replay waits before it: for every helper whose access
		 * the regions now allow, until it finished (a handshake, however
		 * slow the machine); for one whose address is now covered but
		 * whose access still is not allowed (a write into a read-only
		 * region), a while, for its new fault to queue.
		 */
		for (unsigned i = 0; err == RME_OK && i < m._nblocked; i++) {
			Accessor &h = *m._blocked[i];
			if (h.fault_map != map || h.finished) continue;
			if (m._surely_accessible(1, h.addr, h.kind, 0)) {
				h.awaited = true;
				m._settle_needed = true;
			} else if (m._surely_accessible(1, h.addr, Accessor::Kind::READ, 0)) {
				m._settle_needed = m._settle_refault = true;
			}
		}
		return err;
	}

	static rme_err_t _x_detach(void *ctx, rme_prim_cap_t rm, uint64_t at)
	{
		_main(ctx)._detach(_entry_of(rm), at);
		return RME_OK;
	}

	static rme_err_t _x_fault_handler(void *ctx, rme_prim_cap_t rm)
	{
		Main &m = _main(ctx);
		unsigned const e = _entry_of(rm);
		Cap_entry *c = m._entry(e);
		if (!c) return RME_OK;
		if (!c->sigh.constructed()) c->sigh.construct(m._env, m, e);
		if (m._is_env(e)) m._env_as.fault_handler(c->sigh->handler);
		else c->client->fault_handler(c->sigh->handler);
		return RME_OK;
	}

	static rme_err_t _x_fault(void *ctx, rme_prim_cap_t rm, rme_fault_t *out)
	{
		Region_map::Fault const f = _main(ctx)._fault_of(_entry_of(rm));
		out->type = _fault_type(f.type);
		out->addr = f.type == Region_map::Fault::Type::NONE ? 0 : f.addr;
		return RME_OK;
	}

	/* an access runs on a helper thread: pending, or skipped */
	static rme_err_t _x_access(void *ctx, rme_fault_type_t type, uint64_t addr, uint8_t byte,
	                           rme_access_t *, rme_executor_status_t *status)
	{
		*status = _main(ctx)._start_access(type, addr, byte);
		return RME_OK;
	}

	rme_executor_genode_t const _genode {
		this, _p_ram_alloc, _x_ram_free, _x_rom, _p_rm_create, _x_rm_destroy,
		_p_rm_dataspace, _x_attach, _x_detach, _x_fault_handler, _x_fault, _x_access };

	/* ---- output -------------------------------------------------------- */

	void _emit_line()
	{
		_line[_line_len] = 0;
		/* op lines: the header and the directives come first */
		if (_lines_out >= 1 + _ndirectives) {
			size_t const op = _lines_out - 1 - _ndirectives;
			if (op < _nops) {
				char const *why = nullptr;
				switch (_skipped[op]) {
				case Skip::NONE:            break;
				case Skip::NO_REFLECTION:   why = "the access may fault and this kernel cannot reflect faults"; break;
				case Skip::UNKNOWN_TARGET:  why = "the address is not known to be mapped"; break;
				case Skip::EXEC_NOT_RET:    why = "exec needs a ret instruction (0xc3) at the address"; break;
				case Skip::LIBC_NO_AREA:    why = "the mmap layer could not be set up"; break;
				case Skip::STOPPED:         why = _stop_text.string(); break;
				case Skip::AFTER_STOP:      why = _after_stop_text.string(); break;
				}
				if (why) {
					/* no result: cut the printer's fallback to the expected one */
					for (size_t k = 0; k + 4 <= _line_len; k++)
						if (_line[k] == ' ' && _line[k+1] == '-' && _line[k+2] == '>' && _line[k+3] == ' ') {
							_line[k] = 0;
							break;
						}
					log("[rmemu] ", Cstring(_line), "  # skipped: ", why);
				}
				else if (_notes[op])
					log("[rmemu] ", Cstring(_line), "  # ", Cstring(_notes[op]));
				else
					log("[rmemu] ", Cstring(_line));
				_lines_out++;
				_line_len = 0;
				return;
			}
		}
		log("[rmemu] ", Cstring(_line));
		_lines_out++;
		_line_len = 0;
	}

	static void _write_cb(void *ctx, const char *buf, size_t len)
	{
		Main &m = *(Main *)ctx;
		for (size_t i = 0; i < len; i++) {
			if (buf[i] == '\n') { m._emit_line(); continue; }
			if (m._line_len < LINE_MAX - 1) m._line[m._line_len++] = buf[i];
		}
	}

	enum { NOTE_MAX = 160 };

	/*
	 * The buffers of measurement notes are allocated before the replay
	 * starts, so that writing one does not grow the heap that a following
	 * measurement sees.
	 */
	void _note(size_t op, char const *text)
	{
		if (_notes[op]) copy_cstring(_notes[op], text, NOTE_MAX);
	}

	/* ---- replay -------------------------------------------------------- */

	Region_map::Fault _fault_of(unsigned e)
	{
		Cap_entry *c = _entry(e);
		if (!c) return { };
		if (_is_env(e)) return _env_as.fault();
		return c->client->fault();
	}

	static rme_fault_type_t _fault_type(Region_map::Fault::Type t)
	{
		switch (t) {
		case Region_map::Fault::Type::READ:  return RME_FAULT_READ;
		case Region_map::Fault::Type::WRITE: return RME_FAULT_WRITE;
		case Region_map::Fault::Type::EXEC:  return RME_FAULT_EXEC;
		case Region_map::Fault::Type::NONE:  break;
		}
		return RME_FAULT_NONE;
	}

	/*
	 * How much of the trace's PD's quota is consumed, as numbers that grow:
	 * less avail means more consumed. Not used_ram/used_caps, which miss
	 * what was moved to the component's PD (_charge).
	 */
	void _quota_now(size_t &ram, size_t &caps)
	{
		ram  = ~(size_t)0 - _trace_pd->avail_ram().value;
		caps = ~(size_t)0 - _trace_pd->avail_caps().value;
	}

	/* the same of the component's own PD */
	void _own_quota_now(size_t &ram, size_t &caps)
	{
		ram  = ~(size_t)0 - _own_pd.avail_ram().value;
		caps = ~(size_t)0 - _own_pd.avail_caps().value;
	}

	using Transfer = Pd_session::Transfer_result;

	/*
	 * The trace pays for what Genode takes from the component's PD on its
	 * behalf: move ram bytes and caps from the trace's PD to the
	 * component's, both or neither. OUT_OF_RAM or OUT_OF_CAPS if the
	 * trace's PD does not have them (RAM is asked first, as in the model).
	 */
	rme_err_t _charge(size_t ram, size_t caps)
	{
		if (ram && _trace_pd->transfer_quota(_env.pd_session_cap(), Ram_quota { ram }) != Transfer::OK)
			return RME_ERR_OUT_OF_RAM;
		if (caps && _trace_pd->transfer_quota(_env.pd_session_cap(), Cap_quota { caps }) != Transfer::OK) {
			if (ram) (void)_own_pd.transfer_quota(_trace_pd->cap(), Ram_quota { ram });
			return RME_ERR_OUT_OF_CAPS;
		}
		return RME_OK;
	}

	/* give the trace's PD back what the component's PD got back on its behalf */
	void _refund(size_t ram, size_t caps)
	{
		if (ram)  (void)_own_pd.transfer_quota(_trace_pd->cap(), Ram_quota { ram });
		if (caps) (void)_own_pd.transfer_quota(_trace_pd->cap(), Cap_quota { caps });
	}

	/*
	 * Run fn, which changes the component's PD's quota on the trace's
	 * behalf, after prepaid_ram and prepaid_caps were charged to the trace
	 * for it: charge the trace the rest of what fn cost, or refund what it
	 * cost less (or gave back). The charge's error if the trace's PD cannot
	 * pay the rest.
	 */
	rme_err_t _settle(size_t prepaid_ram, size_t prepaid_caps, auto const &fn)
	{
		size_t r0, c0, r1, c1;
		_own_quota_now(r0, c0);
		fn();
		_own_quota_now(r1, c1);
		long long const ram  = (long long)(r1 - r0) - (long long)prepaid_ram;
		long long const caps = (long long)(c1 - c0) - (long long)prepaid_caps;
		_refund(ram  < 0 ? (size_t)-ram  : 0, caps < 0 ? (size_t)-caps : 0);
		return _charge(ram > 0 ? (size_t)ram : 0, caps > 0 ? (size_t)caps : 0);
	}

	/*
	 * Opened by the first rm-create with the component's PD, as a session
	 * is; the trace pays the donation, 64 KiB and 2 caps (Rm_connection).
	 */
	rme_err_t _open_rm_session()
	{
		if (_rm_conn.constructed()) return RME_OK;
		size_t const ram = 64*1024, caps = Rm_session::CAP_QUOTA;
		rme_err_t err = _charge(ram, caps);
		if (err != RME_OK) return err;
		err = RME_ERR_DENIED;
		(void)_settle(ram, caps, [&] {
			try { _rm_conn.construct(_env); err = RME_OK; }
			catch (Out_of_ram)  { err = RME_ERR_OUT_OF_RAM; }
			catch (Out_of_caps) { err = RME_ERR_OUT_OF_CAPS; }
			catch (...)         { } });
		if (err != RME_OK) return err;
		_rm_session_ram += ram;
		_rm_session_caps += caps;
		return RME_OK;
	}

	/*
	 * The RM session's own quota ran short (err): donate 8 KiB or 2 caps more,
	 * as Rm_connection::create does, while the trace's PD has them. Whether
	 * to retry.
	 */
	bool _upgrade_rm_session(rme_err_t err)
	{
		if (err == RME_ERR_OUT_OF_RAM && _charge(8*1024, 0) == RME_OK) {
			_rm_conn->upgrade_ram(8*1024);
			_rm_session_ram += 8*1024;
			return true;
		}
		if (err == RME_ERR_OUT_OF_CAPS && _charge(0, 2) == RME_OK) {
			_rm_conn->upgrade_caps(2);
			_rm_session_caps += 2;
			return true;
		}
		return false;
	}

	/* end the replay before its end: every operation from the current one on is skipped */
	void _stop(String<200> const &why)
	{
		if (_stop_reason) return;
		_stop_text = String<200>("the replay stopped here: ", why);
		_after_stop_text = String<64>("the replay stopped at line ",
		                              _next < _nops ? rme_trace_op(_trace, _next)->line : 0);
		_stop_reason = _stop_text.string();
		warning("rmemu: ", why);
	}

	/* start the current operation's access on a helper thread: pending, or skipped */
	rme_executor_status_t _start_access(rme_fault_type_t type, uint64_t a, uint8_t byte)
	{
		Accessor::Kind const kind = type == RME_FAULT_WRITE ? Accessor::Kind::WRITE
		                          : type == RME_FAULT_EXEC  ? Accessor::Kind::EXEC
		                          :                           Accessor::Kind::READ;

		if (!_reflect_faults && !_surely_accessible(1, a, kind, 0)) {
			_skipped[_next] = Skip::NO_REFLECTION;
			return RME_EXECUTOR_SKIPPED;
		}
		if (kind == Accessor::Kind::EXEC) {
			/*
			 * A real jump, which must come back: only to a ret instruction
			 * (0xc3). Where the trace wrote none and the jump surely
			 * succeeds (the address is executable through RAM the
			 * component attached), the component puts one there for the
			 * jump and the byte back after it (_arrange_ret).
			 */
			bool const readable = _surely_accessible(1, a, Accessor::Kind::READ, 0);
			if (!readable || (*(uint8_t volatile *)(addr_t)a != 0xc3 && !_arrange_ret(a))) {
				_skipped[_next] = Skip::EXEC_NOT_RET;
				return RME_EXECUTOR_SKIPPED;
			}
		}

		if (!_accessor) {
			/* a helper that blocked in a fault is replaced, on the component's own quota */
			if (_own_pd.avail_ram().value < HELPER_RAM || _own_pd.avail_caps().value < HELPER_CAPS) {
				_stop(String<200>("no quota left for another helper thread: the component has ram=",
				                  Hex(_own_pd.avail_ram().value), " caps=", _own_pd.avail_caps().value,
				                  " and needs ram=", Hex((size_t)HELPER_RAM), " caps=", (unsigned)HELPER_CAPS));
				return RME_EXECUTOR_SKIPPED;
			}
			_accessor = new (_heap) Accessor(_env, _done_handler, _accessor_id++);
			_accessor->start();
		}
		_accessor->issue(kind, (addr_t)a, byte);
		_waiting = true;
		if (_reflect_faults) {
			if (!_timer.constructed()) {
				_timer.construct(_env);
				_timer->sigh(_timeout_handler);
			}
			_deadline_us = _timer->elapsed_us() + _timeout_us;
			_timer->trigger_once(_timeout_us);
		}
		return RME_EXECUTOR_PENDING;
	}

	void _finish_access_ok()
	{
		_restore_ret();
		rme_access_t acc { };
		acc.outcome = RME_ACCESS_DONE;
		acc.byte    = _accessor->value;
		rme_executor_access_result(&_executor, rme_trace_op(_trace, _next), &acc,
		                           rme_trace_actual(_trace, _next));
		_waiting = false;
		_next++;
		_run();
	}

	/* the current access faulted into entry e (handled) or timed out (e == 0) */
	void _finish_access_fault(unsigned e, bool handled)
	{
		_restore_ret();
		unsigned where = e;
		Region_map::Fault f { };
		if (where) {
			f = _fault_of(where);
		} else {
			/* no signal came: ask every region map whose faulters are new */
			for (unsigned j = 1; j < MAX_CAPS && !where; j++) {
				if (_caps[j].kind != Cap_entry::Kind::REGION_MAP &&
				    _caps[j].kind != Cap_entry::Kind::ENV) continue;
				if (_caps[j].known_faulters) continue;
				Region_map::Fault const g = _fault_of(j);
				if (g.type != Region_map::Fault::Type::NONE) { where = j; f = g; }
			}
		}
		/* where it went, if the region map knows; else a bare fault or unhandled */
		rme_access_t acc { };
		acc.outcome = handled ? RME_ACCESS_FAULT : RME_ACCESS_UNHANDLED;
		if (where && f.type != Region_map::Fault::Type::NONE) {
			acc.rm    = where;
			acc.fault = rme_fault_t { _fault_type(f.type), f.addr };
		}
		rme_executor_access_result(&_executor, rme_trace_op(_trace, _next), &acc,
		                           rme_trace_actual(_trace, _next));
		if (where) _caps[where].known_faulters++;

		/* the helper stays blocked in its fault, as a faulter does */
		_accessor->retired = true;
		if (handled && where && _nblocked < MAX_BLOCKED) {
			_accessor->fault_map = where;
			_blocked[_nblocked++] = _accessor;
		}
		_accessor = nullptr;
		_waiting = false;
		_next++;
		_run();
	}

	void _handle_done()
	{
		if (_warm_ups_left && _accessor && _accessor->finished) {
			/*
			 * A second read makes sure the helper went through its wait for
			 * work once (on base-linux, that first wait costs a page and a
			 * cap, after the first completion signal).
			 */
			if (--_warm_ups_left) {
				_accessor->issue(Accessor::Kind::READ, (addr_t)&_warm_up_byte, 0);
				return;
			}
			_take_baseline();
			_run();
			return;
		}
		if (_waiting && _accessor && _accessor->finished)
			_finish_access_ok();
	}

	void _handle_timeout()
	{
		if (_settling) {
			if (!_settled()) { _timer->trigger_once(SETTLE_POLL_US); return; }
			_settling = _settle_refault = false;
			for (unsigned i = 0; i < _nblocked; i++) _blocked[i]->awaited = false;
			_next++;
			_run();
			return;
		}
		if (!_waiting || !_timer.constructed()) return;
		if (_accessor && _accessor->finished) { _finish_access_ok(); return; }
		uint64_t const now = _timer->elapsed_us();
		if (now < _deadline_us) { _timer->trigger_once(_deadline_us - now); return; }
		_finish_access_fault(0, false);
	}

	void handle_fault(unsigned e)
	{
		if (!_waiting) return;
		if (_accessor && _accessor->finished) { _finish_access_ok(); return; }
		Region_map::Fault const f = _fault_of(e);
		if (f.type == Region_map::Fault::Type::NONE) return;
		_finish_access_fault(e, true);
	}

	/* what a check (expect-...) is noted with: what was measured */
	void _measure(size_t i, Trace_op const &op)
	{
		if (op.kind == RME_TRACE_OP_EXPECT_MAPPINGS) {
			String<64> const text("measured: mappings=", _mm ? rme_mmap_count(_mm) : 0);
			_note(i, text.string());
			return;
		}
		size_t ram, caps, own_ram, own_caps;
		_quota_now(ram, caps);
		_own_quota_now(own_ram, own_caps);
		long long const dram  = (long long)ram  - (long long)_ram_start;
		long long const dcaps = (long long)caps - (long long)_caps_start;
		String<160> const text("measured: ram=", dram < 0 ? "-" : "",
		                       Hex((unsigned long long)(dram < 0 ? -dram : dram)),
		                       " caps=", dcaps, " rm-session=", Hex(_rm_session_ram), "/", _rm_session_caps);
		_note(i, text.string());
		/*
		 * The component's own PD, for the log only (not part of the trace):
		 * what its heap, helper threads and timer took since the start
		 */
		long long const oram  = (long long)own_ram  - (long long)_own_ram_start;
		long long const ocaps = (long long)own_caps - (long long)_own_caps_start;
		log("[rmemu-own] line ", op.line, ": the component's own PD: ram=", oram < 0 ? "-" : "",
		    Hex((unsigned long long)(oram < 0 ? -oram : oram)), " caps=", ocaps,
		    " (heap ", Hex(_heap.consumed()), ")");
	}

	/*
	 * Whether the faulters an attach woke are done: every one whose access
	 * is now allowed finished (or the access timeout passed: then the
	 * result shows the difference), and a faulter that faults again had
	 * SETTLE_US to queue its new fault.
	 */
	bool _settled()
	{
		uint64_t const waited = _timer->elapsed_us() - _settle_start_us;
		if (waited >= _timeout_us) return true;
		for (unsigned i = 0; i < _nblocked; i++)
			if (_blocked[i]->awaited && !_blocked[i]->finished) return false;
		return !_settle_refault || waited >= SETTLE_US;
	}

	/* execute one operation; false if it started an access that is pending */
	bool _execute(size_t i)
	{
		Trace_op const &op = *rme_trace_op(_trace, i);
		rme_executor_status_t status = RME_EXECUTOR_DONE;
		char why[96];

		rme_err_t const err = rme_executor_run(&_executor, &op, rme_trace_actual(_trace, i),
		                                       &status, why, sizeof(why));
		if (err == RME_ERR_UNSUPPORTED && rme_executor_is_libc(op.kind))
			_skipped[i] = Skip::LIBC_NO_AREA;   /* no result */
		if (_stop_reason) return true;
		/*
		 * Any other error is the component's own (HOST_NO_MEMORY: its
		 * table of capabilities is full); the result says so and the
		 * replay goes on.
		 */
		if (err != RME_OK) return true;
		if (status == RME_EXECUTOR_PENDING) return false;
		if (_settle_needed && _timer.constructed()) {
			/* let woken faulters retry (_x_attach); the timeout goes on */
			_settle_needed = false;
			_settling = true;
			_settle_start_us = _timer->elapsed_us();
			_timer->trigger_once(SETTLE_POLL_US);
			return false;
		}
		_settle_needed = false;
		if (status == RME_EXECUTOR_CHECK) _measure(i, op);
		return true;
	}

	void _run()
	{
		while (_next < _nops && !_waiting && !_settling && !_stop_reason) {
			if (!_execute(_next)) return;   /* an access is pending */
			if (_stop_reason) break;
			_next++;
		}
		if (_stop_reason) {
			/* this operation and the rest have no result */
			for (size_t i = _next; i < _nops; i++) {
				_skipped[i] = i == _next ? Skip::STOPPED : Skip::AFTER_STOP;
				*rme_trace_actual(_trace, i) = rme_trace_result_t { };
			}
			_next = _nops;
		}
		if (_next == _nops && !_waiting && !_settling)
			_finish();
	}

	void _finish()
	{
		rme_trace_print(_trace, 1, _write_cb, this);
		if (_line_len) _emit_line();
		log("[rmemu-done] ", _nops, " operations");
		_env.parent().exit(0);   /* so that a sequence starts the next trace */
	}

	/* the trace from the ROM module the config names; false if it does not parse */
	bool _parse_trace()
	{
		String<128> const rom_name = _config.node().attribute_value("trace", String<128>("trace"));
		rme_trace_error_t perr { };
		rme_err_t parsed = RME_OK;
		{
			/* closed before the quota baseline is taken, with its ROM session */
			Attached_rom_dataspace rom(_env, rom_name.string());
			parsed = rme_trace_parse(rom_name.string(), rom.local_addr<char const>(),
			                         strlen(rom.local_addr<char const>()) < rom.size()
			                         ? strlen(rom.local_addr<char const>()) : rom.size(),
			                         &_alloc, &_trace, &perr);
		}
		if (parsed == RME_ERR_HOST_NO_MEMORY) {
			String<240> const text(rom_name, ": the heap cannot grow for the trace's ", heap_refused,
			                       " bytes: the component has ram=", Hex(_own_pd.avail_ram().value),
			                       " caps=", _own_pd.avail_caps().value, " left (raise RMEMU_RAM)");
			error("rmemu: ", text);
			log("[rmemu-error] ", text);
			return false;
		}
		if (parsed != RME_OK) {
			error("rmemu: ", Cstring(perr.msg));
			log("[rmemu-error] ", Cstring(perr.msg));
			return false;
		}
		_nops   = rme_trace_op_count(_trace);
		_nslots = rme_trace_slot_count(_trace);
		return true;
	}

	/* the capability table, region records, slots, skip marks and note buffers */
	bool _allocate_tables()
	{
		auto zalloc = [&] (size_t bytes) {
			void *p = heap_alloc_cb(&_heap, bytes);
			if (p) Genode::bzero(p, bytes);
			return p;
		};
		_caps     = (Cap_entry *)zalloc(sizeof(Cap_entry)*MAX_CAPS);
		_regions  = (Region_record *)zalloc(sizeof(Region_record)*MAX_REGIONS);
		_slots    = (uint64_t *)zalloc(sizeof(uint64_t)*(_nslots + 1));
		_skipped  = (Skip *)zalloc(sizeof(Skip)*(_nops + 1));
		_notes    = (char **)zalloc(sizeof(char *)*(_nops + 1));
		if (!_caps || !_regions || !_slots || !_skipped || !_notes) {
			log("[rmemu-error] the heap cannot grow for the replay's tables (", heap_refused,
			    " bytes): the component has ram=", Hex(_own_pd.avail_ram().value),
			    " caps=", _own_pd.avail_caps().value, " left (raise RMEMU_RAM)");
			return false;
		}
		for (unsigned i = 0; i < MAX_CAPS; i++) construct_at<Cap_entry>(&_caps[i]);

		for (size_t i = 0; i < _nops; i++) {
			rme_trace_op_kind_t const k = rme_trace_op(_trace, i)->kind;
			if (k == RME_TRACE_OP_EXPECT_QUOTA || k == RME_TRACE_OP_EXPECT_LEAK_FREE ||
			    k == RME_TRACE_OP_EXPECT_MAPPINGS)
				_notes[i] = (char *)zalloc(NOTE_MAX);
		}

		/* entry 1: the address space (env) */
		_caps[1].kind = Cap_entry::Kind::ENV;
		_caps[1].size = ~0ULL;
		_slots[RME_TRACE_SLOT_ENV] = 1;
		return true;
	}

	/*
	 * The first helper thread and the watchdog timer are the component's,
	 * not the trace's: set them up before the quota baseline, so that
	 * what they cost (and any of it they give back later) stays out of
	 * the measurements. Only a helper that blocked in a fault and had to
	 * be replaced is measured and subtracted.
	 */
	void _start_first_helper()
	{
		bool accesses = false;
		for (size_t i = 0; i < _nops; i++) {
			rme_trace_op_kind_t const k = rme_trace_op(_trace, i)->kind;
			accesses = accesses || k == RME_TRACE_OP_READ || k == RME_TRACE_OP_WRITE
			                    || k == RME_TRACE_OP_EXEC;
		}
		if (!accesses) return;

		_accessor = new (_heap) Accessor(_env, _done_handler, _accessor_id++);
		_accessor->start();
		if (_reflect_faults) {
			_timer.construct(_env);
			_timer->sigh(_timeout_handler);
			/* its first use, too, before the baseline (a timeout that nobody waits for is ignored) */
			_timer->trigger_once(_timer->elapsed_us() + _timeout_us);
		}
		/*
		 * Warm the helper up with reads of our own memory, so that what a
		 * thread's first access and signal cost the component's PD (on
		 * base-hw 0x1800 bytes and 4 caps more available after them;
		 * base-linux: 0x800 and 3 more, then a page and a cap less) is
		 * behind it when the replay starts (_handle_done), and the
		 * component's own figures in the log ("[rmemu-own]") show only
		 * what came later.
		 */
		_warm_ups_left = 2;
		_accessor->issue(Accessor::Kind::READ, (addr_t)&_warm_up_byte, 0);
	}

	/* where the measurements count from: the quota of the trace's PD (and the component's own) now */
	void _take_baseline()
	{
		_quota_now(_ram_start, _caps_start);
		_own_quota_now(_own_ram_start, _own_caps_start);
	}

	/*
	 * The trace's PD, funded with exactly the trace's quota: a fresh PD
	 * session holds some of its own donation available already, the
	 * component transfers the rest. False, with "[rmemu-error]" and the
	 * figures, if the component cannot give that much and keep its reserve.
	 */
	bool _set_up_trace_pd(rme_trace_directives_t const &d)
	{
		size_t const ram  = d.has_ram_quota ? (size_t)d.ram_quota : (size_t)RME_DEFAULT_RAM_QUOTA;
		size_t const caps = d.has_cap_quota ? (size_t)d.cap_quota : (size_t)RME_DEFAULT_CAP_QUOTA;
		auto fail = [&] (auto &&... args) {
			String<320> const text(args...);
			error("rmemu: ", text);
			log("[rmemu-error] ", text);
			return false;
		};
		auto const own_ram  = _own_pd.avail_ram().value;
		auto const own_caps = _own_pd.avail_caps().value;
		auto const session_ram = Pd_session::RAM_QUOTA;
		auto const session_caps = Pd_session::CAP_QUOTA;
		if (own_ram < session_ram + OWN_RESERVE_RAM || own_caps < session_caps + OWN_RESERVE_CAPS)
			return fail("the trace needs a PD of its own with quota ram=", Hex(ram), " caps=", caps,
			            ", the component has only ram=", Hex(own_ram), " caps=", own_caps,
			            " and keeps ram=", Hex((size_t)OWN_RESERVE_RAM), " caps=", (unsigned)OWN_RESERVE_CAPS,
			            " for itself");
		try { _trace_pd.construct(_env, "trace"); }
		catch (...) { return fail("no PD session for the trace could be opened"); }
		if (_trace_pd->ref_account(_env.pd_session_cap()) != Pd_session::Ref_account_result::OK)
			return fail("the trace's PD does not take the component's as its reference account");

		size_t const has_ram  = _trace_pd->avail_ram().value;
		size_t const has_caps = _trace_pd->avail_caps().value;
		if (ram < has_ram || caps < has_caps)
			return fail("the trace's quota ram=", Hex(ram), " caps=", caps,
			            " is below what a fresh PD session holds of its own donation already: ram=",
			            Hex(has_ram), " caps=", has_caps);
		size_t const give_ram = ram - has_ram, give_caps = caps - has_caps;
		size_t const left_ram = _own_pd.avail_ram().value, left_caps = _own_pd.avail_caps().value;
		if (left_ram < give_ram + OWN_RESERVE_RAM || left_caps < give_caps + OWN_RESERVE_CAPS)
			return fail("the trace's quota ram=", Hex(ram), " caps=", caps,
			            " needs ram=", Hex(give_ram + OWN_RESERVE_RAM), " caps=", give_caps + OWN_RESERVE_CAPS,
			            " of the component (with its own reserve), which has ram=", Hex(left_ram),
			            " caps=", left_caps, " (raise RMEMU_RAM / RMEMU_CAPS)");
		if (_own_pd.transfer_quota(_trace_pd->cap(), Ram_quota { give_ram }) != Transfer::OK ||
		    _own_pd.transfer_quota(_trace_pd->cap(), Cap_quota { give_caps }) != Transfer::OK)
			return fail("the component could not transfer ram=", Hex(give_ram), " caps=", give_caps,
			            " to the trace's PD");
		log("[rmemu-pd] the trace's PD: quota ram=", Hex(ram), " caps=", caps,
		    " (a fresh PD session held ram=", Hex(has_ram), " caps=", has_caps, ")");
		return true;
	}

	/*
	 * Core's slab of the component's own dataspace metadata grows by a page
	 * and a cap of its own PD when no more than 3 entries are free. On
	 * base-linux a region map of the RM session is a dataspace of the
	 * component (Region_map_mmap on the runtime's heap), so the figures
	 * that _settle charges the trace would include such a block whenever
	 * the component's own dataspaces happen to have filled one. Leave
	 * plenty of free entries: allocate dummies and free all but every
	 * eighth, so that no block empties and core keeps them all.
	 */
	enum { PAD_DATASPACES = 96, PAD_KEEP_EVERY = 8 };
	Ram_dataspace_capability _pad[PAD_DATASPACES / PAD_KEEP_EVERY] { };

	void _pad_own_ds_slab()
	{
		Ram_dataspace_capability all[PAD_DATASPACES];
		for (unsigned i = 0; i < PAD_DATASPACES; i++)
			_own_pd.alloc_ram(4096).with_result(
				[&] (Ram_dataspace_capability ds) { all[i] = ds; },
				[&] (Alloc_error) { });
		for (unsigned i = 0; i < PAD_DATASPACES; i++) {
			if (i % PAD_KEEP_EVERY == 0) _pad[i / PAD_KEEP_EVERY] = all[i];
			else if (all[i].valid()) _own_pd.free_ram(all[i]);
		}
	}

	/* the mmap layer, as the trace's directives configure it, on the primitives above */
	void _set_up_mmap_layer(rme_trace_directives_t const &d)
	{
		rme_mmap_config_t cfg;
		rme_executor_mmap_config(&d, &cfg);
		rme_mmap_setup_error_t why { };
		if (rme_mmap_create(&_prims, &cfg, &_mm, &why) != RME_OK) {
			log("[rmemu] # the mmap layer could not be set up: ", Cstring(why.message));
			_mm = nullptr;
			return;
		}
		rme_mmap_stats_t st;
		rme_mmap_stats(_mm, &st);
		_slots[RME_TRACE_SLOT_MMAP_AREA] = st.area_rm;
		/* what the area cost is the trace's quota no longer, as in the model */
		_take_baseline();
	}

	bool _set_up()
	{
		if (!_parse_trace() || !_allocate_tables())
			return false;

		rme_trace_directives_t const &d = *rme_trace_directives(_trace);
		_ndirectives = !!d.has_genode + !!d.has_kernel + !!d.has_arch
		             + !!(d.has_ram_quota || d.has_cap_quota) + !!d.has_mmap_area
		             + !!d.has_map_count_max + !!d.has_policy;

		if (!_set_up_trace_pd(d))
			return false;
		_pad_own_ds_slab();
		_start_first_helper();
		_take_baseline();
		if (d.has_mmap_area)
			_set_up_mmap_layer(d);
		rme_executor_init(&_executor, _trace, _slots, &_genode, _mm);
		return true;
	}

	Main(Main const &) = delete;
	Main &operator = (Main const &) = delete;

	Main(Env &env) : _env(env)
	{
		default_heap = &_heap;
		log("[rmemu-start] reflect_faults=", _reflect_faults ? "yes" : "no");
		/* with a helper to warm up, _handle_done starts the replay */
		if (!_set_up()) { _env.parent().exit(1); return; }
		if (!_warm_ups_left)
			_run();
	}
};


void Rmemu_replay::Fault_sigh::handle() { main.handle_fault(index); }


void Component::construct(Genode::Env &env)
{
	static Rmemu_replay::Main main(env);
}
