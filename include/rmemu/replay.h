/*
 * rmemu/replay.h: replaying a parsed trace against a fresh model.
 *
 * The replay executes every operation, writes its actual result into the
 * trace (so rme_trace_print(trace, 1, ...) gives the canonical trace with
 * results), compares it with the expected result, and reports each
 * divergence through a callback.
 */
#ifndef RMEMU_REPLAY_H
#define RMEMU_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include <rmemu/model.h>
#include <rmemu/trace.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rme_mmap;

/* What an observer sees after each operation (see rme_replay_options_t). */
typedef struct rme_replay_step {
	const rme_trace_t *trace;
	const rme_trace_op_t *op;
	const rme_trace_result_t *actual;
	const uint64_t *slots;       /* every slot's value after the operation */
	rme_model_t *model;
	struct rme_mmap *mmap;       /* the mmap layer, NULL without an mmap-area */
	size_t index;                /* the operation's index in the trace */
	const rme_quota_t *start_quota; /* in use when the first operation ran */
} rme_replay_step_t;

typedef struct rme_replay_options {
	int keep_going;     /* go on after a divergence (default: stop at the first) */
	/*
	 * At the end, remove everything the trace left and check that it is
	 * all back. Lost RAM (see rme_replay_report_t) is a leak with or
	 * without it.
	 */
	int teardown;
	int check;          /* run the model's invariant checker after every operation */
	int memcheck_blocks; /* under Valgrind: RAM nobody frees is a leak (rme_model_config_t) */
	const rme_allocator_t *allocator; /* the model's metadata; NULL: malloc */
	/* called with the number of operations done so far, every 1024 operations */
	void (*progress)(void *ctx, size_t done, size_t total);
	void *progress_ctx;
	/*
	 * Called after every operation; a non-zero return counts as a
	 * divergence, described in msg (e.g. a comparison with another
	 * implementation). NULL: none.
	 */
	int (*observe)(void *ctx, const rme_replay_step_t *step, char *msg, size_t msglen);
	void *observe_ctx;
	/*
	 * Called once with observe_ctx when the model (and the mmap layer) are
	 * set up, before the first operation: step->op and step->actual are
	 * NULL. NULL: none.
	 */
	void (*start)(void *ctx, const rme_replay_step_t *step);
	/* Override the trace's quota directive with a quota that never limits. */
	int unlimited_quota;
	/* Run the mmap layer with this policy instead of the trace's (NULL: the trace's). */
	const char *policy;
	/*
	 * Called before every operation (step->actual is NULL); a non-zero
	 * return leaves the operation out: it does not run, has no result,
	 * binds nothing and is not judged (rmemu compare leaves out what
	 * depends on an operation that failed). NULL: none.
	 */
	int (*skip)(void *ctx, const rme_replay_step_t *step);
	void *skip_ctx;
	/*
	 * Called once after the last operation, before any teardown, with the
	 * model and the mmap layer as the trace left them (step->op and
	 * step->actual are NULL), with observe_ctx. NULL: none.
	 */
	void (*finish)(void *ctx, const rme_replay_step_t *step);
} rme_replay_options_t;

typedef struct rme_replay_report {
	size_t operations;          /* operations executed */
	size_t skipped;             /* operations left out (rme_replay_options_t.skip) */
	size_t divergences;         /* results or checks that differ from the trace */
	size_t stopped_at_line;     /* the line of the divergence that stopped the replay, or 0 */
	rme_quota_t quota;          /* at the end; ram_used and cap_used relative to the start */
	/*
	 * The leak verdict at the end, before any teardown: the RAM
	 * dataspaces the trace left (a name, a region or the mmap layer still
	 * refers to them; the teardown reclaims them) and those it lost
	 * (nothing refers to them any more: leaks, each reported through the
	 * diag callback at the line that allocated it).
	 */
	rme_leak_verdict_t leaks;
	int torn_down;              /* the teardown ran */
	int leak_free;              /* after teardown: every resource is back */
	char leak_msg[256];         /* if not leak-free: what is left */
} rme_replay_report_t;

/*
 * A divergence: line in the trace, and a message like "expected 0x1000,
 * got error REGION_CONFLICT". Also used for the invariant checker's reports.
 */
typedef void (*rme_replay_diag_fn)(void *ctx, size_t line, const char *msg);

/*
 * Replay trace. Returns RME_OK when the replay ran (divergences or not: see
 * the report), RME_ERR_UNSUPPORTED when the trace uses something this build
 * cannot replay (diag says what and where), or an error when the model
 * could not be set up (INVALID_ARGUMENT for an impossible configuration,
 * HOST_NO_MEMORY).
 */
RME_EXPORT RME_NODISCARD rme_err_t
rme_replay(rme_trace_t *trace, const rme_replay_options_t *options,
           rme_replay_report_t *report, rme_replay_diag_fn diag, void *diag_ctx);

/*
 * The model's configuration for trace's directives (Genode release,
 * kernel, architecture, quota), as rme_replay sets it up; with
 * unlimited_quota, quota never limits. For tools that run a trace's
 * operations themselves and must start from the same model.
 */
RME_EXPORT void rme_replay_model_config(const rme_trace_t *trace, int unlimited_quota,
                                        rme_model_config_t *cfg);

#ifdef __cplusplus
}
#endif
#endif
