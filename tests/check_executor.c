/*
 * check_executor.c: the trace executor (rmemu/executor.h) as the Genode
 * component uses it: accesses that answer "pending" and are completed
 * later must give exactly the results rme_replay gets from accesses that
 * complete at once; skipped accesses, a missing mmap layer, bare faults,
 * a target out of memory, and the decoding of arguments.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rigutil.h"

/* ---- A target that completes accesses later, as rmemu_replay does ------------- */

/* The access the executor started; the test completes it on the model. */
static struct {
	int started;
	rme_fault_type_t type;
	uint64_t addr;
	uint8_t byte;
	rme_executor_status_t answer;   /* what the access function answers */
} pending;

static rme_err_t
deferred_access(void *ctx, rme_fault_type_t type, uint64_t addr, uint8_t byte,
                rme_access_t *out, rme_executor_status_t *status)
{
	(void)ctx;
	(void)out;
	pending.started = 1;
	pending.type = type;
	pending.addr = addr;
	pending.byte = byte;
	*status = pending.answer;
	return RME_OK;
}

/* The access that was left pending, done now on the model. */
static void
complete(rme_model_t *m, rme_access_t *acc)
{
	ck_assert(pending.started);
	pending.started = 0;
	if (pending.type == RME_FAULT_WRITE)
		ck_assert_ok(rme_write(m, pending.addr, pending.byte, acc));
	else if (pending.type == RME_FAULT_EXEC)
		ck_assert_ok(rme_exec(m, pending.addr, acc));
	else
		ck_assert_ok(rme_read(m, pending.addr, acc));
}

static rme_trace_t *
parse_file(const char *path)
{
	rme_trace_t *t = NULL;
	rme_trace_error_t err;
	FILE *f = fopen(path, "rb");
	char *text;
	long len;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	ck_assert_int_ge(len, 0);
	rewind(f);
	text = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	ck_assert_msg(rme_trace_parse(path, text, (size_t)len, NULL, &t, &err) == RME_OK, "%s", err.msg);
	free(text);
	return t;
}

static rme_trace_t *
parse_text(const char *text)
{
	rme_trace_t *t = NULL;
	rme_trace_error_t err;

	ck_assert_msg(rme_trace_parse("test", text, strlen(text), NULL, &t, &err) == RME_OK,
	              "%s", err.msg);
	return t;
}

/* The rig of rigutil.h, with an executor whose accesses answer pending. */
static void
rig_up(tu_rig_t *r, const rme_trace_t *t)
{
	tu_rig_up(r, t, 0);
	r->genode.access = deferred_access;
	memset(&pending, 0, sizeof(pending));
	pending.answer = RME_EXECUTOR_PENDING;
}

/*
 * Replay path with rme_replay (accesses complete at once) and again with
 * pending accesses completed afterwards; every result must be the same.
 * Returns the number of results compared.
 */
static size_t
compare_pending_with_replay(const char *path, size_t *accesses)
{
	rme_trace_t *t = parse_file(path);
	rme_replay_options_t opt = { .keep_going = 1 };
	rme_replay_report_t rep;
	size_t n = rme_trace_op_count(t), compared = 0;
	rme_trace_result_t *want = calloc(n + 1, sizeof(*want));
	tu_rig_t r;

	ck_assert_ptr_nonnull(want);
	ck_assert_ok(rme_replay(t, &opt, &rep, NULL, NULL));
	for (size_t i = 0; i < n; i++)
		want[i] = *rme_trace_actual(t, i);

	rig_up(&r, t);
	for (size_t i = 0; i < n; i++) {
		const rme_trace_op_t *op = rme_trace_op(t, i);
		rme_trace_result_t *res = rme_trace_actual(t, i);
		rme_executor_status_t status;
		char msg[128];

		ck_assert_msg(rme_executor_run(&r.x, op, res, &status, msg, sizeof(msg)) == RME_OK,
		              "%s:%zu: %s", path, op->line, msg);
		if (status == RME_EXECUTOR_PENDING) {
			rme_access_t acc;

			ck_assert_int_eq(res->kind, RME_TRACE_RESULT_NONE);
			complete(r.model, &acc);
			rme_executor_access_result(&r.x, op, &acc, res);
			(*accesses)++;
		} else if (status == RME_EXECUTOR_CHECK) {
			ck_assert_int_eq(res->kind, RME_TRACE_RESULT_NONE);
		} else {
			ck_assert_int_eq(status, RME_EXECUTOR_DONE);
		}
		ck_assert_msg(memcmp(res, &want[i], sizeof(*res)) == 0,
		              "%s:%zu: the pending access gave another result", path, op->line);
		compared++;
	}
	tu_rig_down(&r);
	free(want);
	rme_trace_free(t);
	return compared;
}

START_TEST(pending_accesses_give_the_replays_results)
{
	static const char *const dirs[] = { "tests/traces/good", "tests/traces/genode", "examples" };
	const char *srcdir = getenv("top_srcdir");
	size_t traces = 0, results = 0, accesses = 0;

	for (size_t d = 0; d < sizeof(dirs) / sizeof(*dirs); d++) {
		char dir[512];
		DIR *dp;
		struct dirent *e;

		snprintf(dir, sizeof(dir), "%s/%s", srcdir ? srcdir : "..", dirs[d]);
		dp = opendir(dir);
		ck_assert_msg(dp != NULL, "cannot open %s", dir);
		while ((e = readdir(dp)) != NULL) {
			char path[1024];
			size_t len = strlen(e->d_name);

			if (len < 7 || strcmp(e->d_name + len - 6, ".trace") != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			results += compare_pending_with_replay(path, &accesses);
			traces++;
		}
		closedir(dp);
	}
	printf("executor: %zu traces, %zu results compared, %zu of them pending accesses\n",
	       traces, results, accesses);
	ck_assert_uint_gt(traces, 30);
	ck_assert_uint_gt(accesses, 100);
}
END_TEST

/* ---- The other answers ------------------------------------------------------------ */

static const char small_trace[] =
	"rmemu-trace 1\n"
	"mmap-area 0x100000000 16M\n"
	"sub = rm-create 1M\n"
	"ds = ram-alloc 16K\n"
	"a = attach sub ds at=0x1000 rw-\n"
	"read 0x1000\n"
	"m = mmap 0 0x2000 rw- private|anon\n"
	"mremap m 0x2000 0x4000 maymove fixed=m+0x100000\n"
	"madvise m 0x1000 dontneed\n"
	"msync m 0x1000 sync\n"
	"mlock m+1 0x1000 onfault\n"
	"munlock m 0x1000\n"
	"mlockall current|future\n"
	"munlockall\n"
	"expect-leak-free\n";

/* The index of the first operation of a kind. */
static size_t
first(const rme_trace_t *t, rme_trace_op_kind_t kind)
{
	for (size_t i = 0; i < rme_trace_op_count(t); i++)
		if (rme_trace_op(t, i)->kind == kind)
			return i;
	ck_abort_msg("no %s in the trace", rme_trace_op_name(kind));
	return 0;
}

static void
run_to(tu_rig_t *r, const rme_trace_t *t, size_t end)
{
	for (size_t i = 0; i < end; i++) {
		rme_executor_status_t status;
		char msg[128];

		ck_assert_ok(rme_executor_run(&r->x, rme_trace_op(t, i), rme_trace_actual((rme_trace_t *)t, i),
		                              &status, msg, sizeof(msg)));
	}
}

START_TEST(skipped_access_has_no_result)
{
	rme_trace_t *t = parse_text(small_trace);
	size_t i = first(t, RME_TRACE_OP_READ);
	rme_executor_status_t status;
	rme_trace_result_t *res = rme_trace_actual(t, i);
	tu_rig_t r;
	char msg[64];

	rig_up(&r, t);
	run_to(&r, t, i);
	pending.answer = RME_EXECUTOR_SKIPPED;
	ck_assert_ok(rme_executor_run(&r.x, rme_trace_op(t, i), res, &status, msg, sizeof(msg)));
	ck_assert_int_eq(status, RME_EXECUTOR_SKIPPED);
	ck_assert(pending.started);
	ck_assert_int_eq(res->kind, RME_TRACE_RESULT_NONE);
	tu_rig_down(&r);
	rme_trace_free(t);
}
END_TEST

START_TEST(libc_without_layer_is_unsupported)
{
	rme_trace_t *t = parse_text(small_trace);
	size_t i = first(t, RME_TRACE_OP_MMAP);
	rme_executor_status_t status;
	rme_trace_result_t *res = rme_trace_actual(t, i);
	tu_rig_t r;
	char msg[64];

	rig_up(&r, t);
	run_to(&r, t, i);
	r.x.mmap = NULL;
	ck_assert_err(rme_executor_run(&r.x, rme_trace_op(t, i), res, &status, msg, sizeof(msg)),
	              RME_ERR_UNSUPPORTED);
	ck_assert_str_eq(msg, "mmap needs an mmap-area directive");
	ck_assert_int_eq(res->kind, RME_TRACE_RESULT_NONE);
	ck_assert(rme_executor_is_libc(RME_TRACE_OP_MMAP) && !rme_executor_is_libc(RME_TRACE_OP_ATTACH));
	tu_rig_down(&r);
	rme_trace_free(t);
}
END_TEST

START_TEST(fault_names_its_region_map_if_known)
{
	rme_trace_t *t = parse_text(small_trace);
	size_t i = first(t, RME_TRACE_OP_READ);
	const rme_trace_op_t *op = rme_trace_op(t, i);
	int sub = rme_trace_slot_find(t, "sub", 3);
	rme_access_t acc = { .outcome = RME_ACCESS_FAULT, .fault = { RME_FAULT_READ, 0x1000 } };
	rme_trace_result_t res;
	tu_rig_t r;

	rig_up(&r, t);
	run_to(&r, t, i);
	/* a region map the component could not name: a bare fault, even where a slot holds 0 */
	r.slots[sub] = 0;
	rme_executor_access_result(&r.x, op, &acc, &res);
	ck_assert_int_eq(res.kind, RME_TRACE_RESULT_FAULT_ANY);
	acc.outcome = RME_ACCESS_UNHANDLED;
	rme_executor_access_result(&r.x, op, &acc, &res);
	ck_assert_int_eq(res.kind, RME_TRACE_RESULT_UNHANDLED_ANY);
	/* a named one */
	r.slots[sub] = acc.rm = 0x4711;
	rme_executor_access_result(&r.x, op, &acc, &res);
	ck_assert_int_eq(res.kind, RME_TRACE_RESULT_UNHANDLED);
	ck_assert_int_eq(res.rm_slot, sub);
	ck_assert_int_eq(res.fault_type, RME_FAULT_READ);
	ck_assert_uint_eq(res.addr, 0x1000);
	/* a completed read is its byte */
	acc = (rme_access_t){ .outcome = RME_ACCESS_DONE, .byte = 0x5a };
	rme_executor_access_result(&r.x, op, &acc, &res);
	ck_assert_int_eq(res.kind, RME_TRACE_RESULT_VALUE);
	ck_assert_uint_eq(res.value, 0x5a);
	tu_rig_down(&r);
	rme_trace_free(t);
}
END_TEST

/* An expected address relative to a name: evaluated when the operation runs, kept when equal. */
START_TEST(relative_results_are_compared_by_value)
{
	rme_trace_t *t = parse_text(
		"rmemu-trace 1\n"
		"mmap-area 0x100000000 16M\n"
		"base = mmap 0 64K rw- private|anon -> ok\n"
		"left = mmap base-0x1000 4K rw- private|anon|noreplace -> base-0x1000\n"
		"wrong = mmap base-0x3000 4K rw- private|anon|noreplace -> base-0x2000\n"
		"shrunk = mremap base 64K 32K -> base\n"
		"sub = rm-create 1M\n"
		"ds = ram-alloc 16K\n"
		"a = attach sub ds at=0x1000 -> 0x1000\n"
		"b = attach sub ds at=a+0x8000 -> a+0x8000\n");
	int base = rme_trace_slot_find(t, "base", 4), a = rme_trace_slot_find(t, "a", 1);
	size_t n = rme_trace_op_count(t);
	tu_rig_t r;

	rig_up(&r, t);
	run_to(&r, t, n);
	for (size_t i = 0; i < n; i++) {
		const rme_trace_op_t *op = rme_trace_op(t, i);
		int match = rme_trace_result_matches(&op->expected, &op->actual);

		ck_assert_msg(match == (i != 2), "line %zu: match %d", op->line, match);
	}
	/* kept relative, with the address it stood for */
	ck_assert(rme_trace_op(t, 1)->actual.relative);
	ck_assert_int_eq(rme_trace_op(t, 1)->actual.expr.slot, base);
	ck_assert_int_eq(rme_trace_op(t, 1)->actual.expr.negative, 1);
	ck_assert_uint_eq(rme_trace_op(t, 1)->actual.expr.offset, 0x1000);
	ck_assert_uint_eq(rme_trace_op(t, 1)->actual.value, r.slots[base] - 0x1000);
	ck_assert_uint_eq(rme_trace_result_value(&rme_trace_op(t, 1)->expected, r.slots),
	                  r.slots[base] - 0x1000);
	/* one that landed elsewhere is a plain number */
	ck_assert(!rme_trace_op(t, 2)->actual.relative);
	ck_assert_uint_eq(rme_trace_op(t, 2)->actual.value, r.slots[base] - 0x3000);
	ck_assert(rme_trace_op(t, 3)->actual.relative);
	ck_assert_uint_eq(rme_trace_op(t, 3)->actual.value, r.slots[base]);
	ck_assert(rme_trace_op(t, 7)->actual.relative);
	ck_assert_int_eq(rme_trace_op(t, 7)->actual.expr.slot, a);
	ck_assert_uint_eq(rme_trace_op(t, 7)->actual.value, 0x9000);
	tu_rig_down(&r);
	rme_trace_free(t);
}
END_TEST

static rme_err_t
no_host_memory(void *ctx, uint64_t size, rme_prim_cap_t *ds)
{
	(void)ctx;
	(void)size;
	*ds = 77;   /* garbage the executor must not bind */
	return RME_ERR_HOST_NO_MEMORY;
}

START_TEST(target_out_of_memory_stops_with_the_error_as_result)
{
	rme_trace_t *t = parse_text(small_trace);
	size_t i = first(t, RME_TRACE_OP_RAM_ALLOC);
	const rme_trace_op_t *op = rme_trace_op(t, i);
	rme_executor_status_t status;
	rme_trace_result_t *res = rme_trace_actual(t, i);
	tu_rig_t r;
	char msg[64];

	rig_up(&r, t);
	run_to(&r, t, i);
	r.genode.ram_alloc = no_host_memory;
	ck_assert_err(rme_executor_run(&r.x, op, res, &status, msg, sizeof(msg)),
	              RME_ERR_HOST_NO_MEMORY);
	ck_assert_int_eq(res->kind, RME_TRACE_RESULT_ERROR);
	ck_assert_err(res->error, RME_ERR_HOST_NO_MEMORY);
	ck_assert_uint_eq(r.slots[op->bind_slot], 0);
	tu_rig_down(&r);
	rme_trace_free(t);
}
END_TEST

START_TEST(decode_gives_the_layers_constants)
{
	rme_trace_t *t = parse_text(small_trace);
	uint64_t slots[16] = { 0 };
	rme_executor_call_t c;
	int m = rme_trace_slot_find(t, "m", 1);

	ck_assert_int_ge(m, 0);
	slots[m] = 0x10f000000;
	rme_executor_decode(rme_trace_op(t, first(t, RME_TRACE_OP_ATTACH)), slots, &c);
	ck_assert(c.attr.use_at && c.attr.at == 0x1000 && c.attr.writeable && !c.attr.executable);
	ck_assert_uint_eq(c.attr.size, 0);
	rme_executor_decode(rme_trace_op(t, first(t, RME_TRACE_OP_MMAP)), slots, &c);
	ck_assert_int_eq(c.prot, RME_PROT_READ | RME_PROT_WRITE);
	ck_assert_int_eq(c.flags, RME_MAP_PRIVATE | RME_MAP_ANONYMOUS);
	ck_assert_int_eq(c.fd, -1);
	ck_assert_uint_eq(c.len, 0x2000);
	rme_executor_decode(rme_trace_op(t, first(t, RME_TRACE_OP_MREMAP)), slots, &c);
	ck_assert_int_eq(c.flags, RME_MREMAP_MAYMOVE | RME_MREMAP_FIXED);
	ck_assert_uint_eq(c.addr, 0x10f000000);
	ck_assert_uint_eq(c.new_addr, 0x10f100000);
	ck_assert(c.len == 0x2000 && c.new_len == 0x4000);
	rme_executor_decode(rme_trace_op(t, first(t, RME_TRACE_OP_MADVISE)), slots, &c);
	ck_assert_int_eq(c.advice, RME_MADV_DONTNEED);
	rme_executor_decode(rme_trace_op(t, first(t, RME_TRACE_OP_MSYNC)), slots, &c);
	ck_assert_int_eq(c.flags, RME_MS_SYNC);
	rme_executor_decode(rme_trace_op(t, first(t, RME_TRACE_OP_MLOCK)), slots, &c);
	ck_assert_int_eq(c.flags, RME_MLOCK_ONFAULT);
	ck_assert_uint_eq(c.addr, 0x10f000001);
	rme_executor_decode(rme_trace_op(t, first(t, RME_TRACE_OP_MLOCKALL)), slots, &c);
	ck_assert_int_eq(c.flags, RME_MCL_CURRENT | RME_MCL_FUTURE);
	rme_trace_free(t);
}
END_TEST

static Suite *
executor_suite(void)
{
	Suite *s = suite_create("executor");
	TCase *tc = tcase_create("executor");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, pending_accesses_give_the_replays_results);
	tcase_add_test(tc, skipped_access_has_no_result);
	tcase_add_test(tc, libc_without_layer_is_unsupported);
	tcase_add_test(tc, fault_names_its_region_map_if_known);
	tcase_add_test(tc, relative_results_are_compared_by_value);
	tcase_add_test(tc, target_out_of_memory_stops_with_the_error_as_result);
	tcase_add_test(tc, decode_gives_the_layers_constants);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(executor_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
