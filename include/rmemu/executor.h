/*
 * rmemu/executor.h: one trace operation executed against an interface,
 * the same code whether it runs on rmemu's model, on real Genode (the
 * rmemu_replay component) or beside the Linux kernel (rmemu replay
 * --linux).
 *
 * The executor is the one place that knows how a parsed operation
 * (rmemu/trace.h) becomes calls, and how their outcome becomes the
 * operation's actual result:
 *
 *   - Genode-level operations (ram-alloc ... fault, read, write, exec) go
 *     through rme_executor_genode_t, a table of functions in Genode's
 *     terms. The model implements it (rme_executor_genode_model in
 *     rmemu/prims_model.h); the rmemu_replay component implements it with
 *     the real API (Pd_session, Rm_connection, Region_map, helper threads).
 *   - libc-level operations (mmap ... munlockall) go to an rme_mmap_t, the mmap
 *     layer, which runs on whichever Genode primitives it was created with:
 *     the model's or the component's. The Linux differential decodes them
 *     with rme_executor_decode and runs them on Linux itself, since it must
 *     steer Linux to the choices the model made.
 *   - checks (expect-quota, expect-leak-free, expect-mappings) are left to
 *     the caller, who knows what to hold them against: the model's quota,
 *     or what the component measured on Genode.
 *
 * Accesses. On the model an access completes at once. On Genode it is a
 * real load, store or jump on a helper thread, and the component learns
 * of its end from a signal (done, or a fault reflected to a region map) or
 * a watchdog, while its entrypoint keeps running. So the access function
 * may answer RME_EXECUTOR_PENDING: rme_executor_run returns at once, the
 * caller goes back to its entrypoint, and when the access ends it hands
 * the outcome to rme_executor_access_result, which fills in the result
 * exactly as for an access that completed at once. The executor keeps no
 * state between the two calls. An access function may also answer
 * RME_EXECUTOR_SKIPPED (the target cannot run it safely): no result.
 *
 * Slots. A replay keeps one uint64_t per slot of the trace
 * (rme_trace_slot_count): for a dataspace or region map a capability of
 * the target (whatever its table hands out; 0 is never a valid one, so an
 * allocation that failed leaves an invalid capability, never the address
 * space), for an address the address. The caller sets the env slot, and
 * mmap_area's if the trace has an mmap-area, before the first operation;
 * the executor binds the others.
 *
 * Portable like the parser and the mmap layer: no libc allocation and no
 * stdio, so that it builds inside Genode without a libc.
 */
#ifndef RMEMU_EXECUTOR_H
#define RMEMU_EXECUTOR_H

#include <stddef.h>
#include <stdint.h>

#include <rmemu/error.h>
#include <rmemu/genode_prims.h>
#include <rmemu/mmap.h>
#include <rmemu/model.h>
#include <rmemu/trace.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rme_executor_status {
	RME_EXECUTOR_DONE,     /* the operation ran; its result is filled in */
	RME_EXECUTOR_PENDING,  /* an access started; rme_executor_access_result ends it */
	RME_EXECUTOR_SKIPPED,  /* the target could not run it: no result */
	RME_EXECUTOR_CHECK     /* a check: nothing ran, no result; the caller judges it */
} rme_executor_status_t;

/*
 * The Genode-level operations of a trace, on a PD with its address space
 * (the model's env, a component's Env::rm()) and an RM session. Every
 * function gets ctx first. Capabilities are the slot values (see above).
 *
 * What a function returns becomes the operation's result: an error of a
 * ram_alloc, rom, rm_create or attach is the result "error NAME". The
 * other functions cannot fail in a way a trace shows (core ignores what it
 * cannot free or detach): only RME_ERR_HOST_NO_MEMORY counts, from any of
 * them, and rme_executor_run passes it on, since the target has run out of
 * memory for its own bookkeeping and cannot be trusted to go on.
 *
 * It stands beside the mmap layer's rme_genode_prims_t, with the same
 * capability and attribute types, rather than being that table: a trace
 * needs more (rom, fault handlers, fault state, accesses); capability 0
 * must stay an invalid one here, where for the primitives it is the
 * address space; and freeing and detaching report what the model's replay
 * must stop on, where the layer's primitives deliberately cannot fail.
 */
typedef struct rme_executor_genode {
	void *ctx;

	/* Pd_session::alloc_ram / free_ram */
	rme_err_t (*ram_alloc)(void *ctx, uint64_t size, rme_prim_cap_t *ds);
	rme_err_t (*ram_free)(void *ctx, rme_prim_cap_t ds);
	/* a read-only dataspace of size bytes, like a ROM module */
	rme_err_t (*rom)(void *ctx, uint64_t size, rme_prim_cap_t *ds);
	/* Rm_session::create / destroy, Region_map::dataspace (0 for none) */
	rme_err_t (*rm_create)(void *ctx, uint64_t size, rme_prim_cap_t *rm);
	rme_err_t (*rm_destroy)(void *ctx, rme_prim_cap_t rm);
	rme_prim_cap_t (*rm_dataspace)(void *ctx, rme_prim_cap_t rm);
	/* Region_map::attach (*at: the start) and detach; rm may be the env slot's */
	rme_err_t (*attach)(void *ctx, rme_prim_cap_t rm, rme_prim_cap_t ds,
	                    const rme_prim_attr_t *attr, uint64_t *at);
	rme_err_t (*detach)(void *ctx, rme_prim_cap_t rm, uint64_t at);
	/* Region_map::fault_handler, and Region_map::fault() into *out (preset to NONE) */
	rme_err_t (*fault_handler)(void *ctx, rme_prim_cap_t rm);
	rme_err_t (*fault)(void *ctx, rme_prim_cap_t rm, rme_fault_t *out);
	/*
	 * Read, write (byte) or execute at addr of the address space: fill in
	 * *out and leave *status at RME_EXECUTOR_DONE, or set *status to
	 * RME_EXECUTOR_PENDING (started; the outcome comes later) or
	 * RME_EXECUTOR_SKIPPED. An error ends the replay like HOST_NO_MEMORY.
	 */
	rme_err_t (*access)(void *ctx, rme_fault_type_t type, uint64_t addr, uint8_t byte,
	                    rme_access_t *out, rme_executor_status_t *status);
} rme_executor_genode_t;

/* An executor: what one replay runs its operations against. Plain data. */
typedef struct rme_executor {
	const rme_trace_t *trace;            /* for the kinds of its slots */
	uint64_t *slots;                     /* rme_trace_slot_count(trace) values */
	const rme_executor_genode_t *genode;
	struct rme_mmap *mmap;               /* NULL: libc-level operations are UNSUPPORTED */
} rme_executor_t;

RME_EXPORT void rme_executor_init(rme_executor_t *x, const rme_trace_t *trace,
                                  uint64_t *slots, const rme_executor_genode_t *genode,
                                  struct rme_mmap *mmap);

/*
 * Execute op and fill in *res (zeroed first) and *status, binding op's
 * slot where it has one. An expected address written relative to a name
 * is evaluated before the operation runs; an actual address equal to it
 * keeps that form (rme_trace_result_t), so that it matches and prints so. Returns RME_OK, also when the operation failed
 * in a way the trace records ("error NAME", "errno ENAME"); otherwise
 * the replay cannot go on: RME_ERR_HOST_NO_MEMORY or another error from
 * the target (for an allocation or attach, *res says so too), or
 * RME_ERR_UNSUPPORTED with the reason in msg (a libc-level operation
 * without an mmap layer) and no result.
 */
RME_EXPORT RME_NODISCARD rme_err_t
rme_executor_run(rme_executor_t *x, const rme_trace_op_t *op, rme_trace_result_t *res,
                 rme_executor_status_t *status, char *msg, size_t msglen);

/*
 * The result of an access op from its outcome: a byte for a read that
 * completed, ok for a write or exec, or the fault with the slot of the
 * region map it went to (acc->rm; 0 or a map without a slot gives a bare
 * "fault" or "unhandled"). A handled fault (RME_ACCESS_FAULT) gets the
 * map's fault state from the genode table's fault(): the oldest fault
 * queued there, the access's own only when no earlier faulter waits (its
 * own type and address in acc->fault are used when the map reports none).
 * An unhandled one keeps acc->fault. TOO_DEEP is unhandled: core gives up
 * without reflecting. rme_executor_run uses it for accesses that complete at once;
 * a target that answered PENDING calls it when the access has ended.
 */
RME_EXPORT void rme_executor_access_result(const rme_executor_t *x, const rme_trace_op_t *op,
                                           const rme_access_t *acc, rme_trace_result_t *res);

/*
 * An operation's arguments as the calls take them: addresses evaluated
 * with the slot values, capabilities looked up, rights, flags and advice
 * as rmemu/mmap.h's constants (Linux's values). Fields the kind does not
 * use are 0, fd is -1 where there is no file.
 */
typedef struct rme_executor_call {
	rme_trace_op_kind_t kind;
	uint64_t size;              /* ram-alloc, rom, rm-create */
	rme_prim_cap_t rm;          /* attach, detach, rm-destroy, rm-dataspace, fault-handler, fault */
	rme_prim_cap_t ds;          /* attach, ram-free */
	rme_prim_attr_t attr;       /* attach */
	rme_fault_type_t access;    /* read, write, exec: RME_FAULT_READ, _WRITE, _EXEC */
	uint8_t byte;               /* write */
	uint64_t addr;              /* detach, accesses and the libc-level calls (mremap: the old address) */
	uint64_t len;               /* libc-level calls (mremap: the old length) */
	int prot;                   /* mmap, mprotect: RME_PROT_* */
	int flags;                  /* mmap: RME_MAP_*; mremap: RME_MREMAP_*; msync: RME_MS_*;
	                               mlock: RME_MLOCK_*; mlockall: RME_MCL_* */
	int fd;                     /* mmap: the file descriptor, or -1 */
	uint64_t offset;            /* mmap with a file */
	uint64_t new_len, new_addr; /* mremap; new_addr with RME_MREMAP_FIXED */
	int advice;                 /* madvise: RME_MADV_* */
} rme_executor_call_t;

RME_EXPORT void rme_executor_decode(const rme_trace_op_t *op, const uint64_t *slots,
                                    rme_executor_call_t *out);

/*
 * Whether an operation is libc-level (mmap, munmap, mprotect, mremap,
 * madvise, msync, mlock, munlock, mlockall, munlockall).
 */
RME_EXPORT int rme_executor_is_libc(rme_trace_op_kind_t kind);

/* The mmap layer's configuration as a trace's directives give it (mmap-area, map-count-max, policy). */
RME_EXPORT void rme_executor_mmap_config(const rme_trace_directives_t *d, rme_mmap_config_t *cfg);

#ifdef __cplusplus
}
#endif
#endif
