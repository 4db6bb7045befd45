/*
 * check_linux_diff.c: the Linux differential (src/cli/linux_diff.c) finds
 * what it is there to find. tests/linux_diff.test shows that the layer and
 * Linux agree; that cannot show that a difference would be noticed, since
 * there is none. Here the steps of small traces run on the model as a
 * replay runs them, and before the differential sees a step, the model's
 * side is made wrong on purpose: another errno, another byte read, other
 * rights behind the layer's back. Each must be reported, and a step left
 * alone must not be; the counts of compared, skipped and documented steps
 * must be right.
 *
 * Skipped under Valgrind (it places mappings itself, so Linux's side
 * cannot follow the model's addresses) and in sanitizer builds (their
 * allocators may map into the range that mirrors the area), as
 * tests/linux_diff.test is.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "linux_diff.h"
#include "rigutil.h"

#ifdef HAVE_VALGRIND_MEMCHECK_H
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

/* A trace on the model, step by step, with the differential watching. */
struct rig {
	rme_trace_t *trace;
	tu_rig_t on;                  /* the model, the layer, the executor */
	rme_quota_t start;
	struct linux_diff ld;
	size_t next;                  /* the next operation */
	char msg[256];                /* what the differential said of the last step */
};

static struct linux_diff *the_ld;   /* one per process: linux_diff_init keeps malloc off mmap */

static void
rig_up(struct rig *r, const char *text)
{
	rme_trace_error_t err;

	memset(r, 0, sizeof(*r));
	ck_assert_msg(rme_trace_parse("t", text, strlen(text), NULL, &r->trace, &err) == RME_OK,
	              "%s", err.msg);
	tu_rig_up(&r->on, r->trace, 1);   /* as replay --linux: quota never limits */
	ck_assert_ptr_nonnull(r->on.mm);
	rme_quota(r->on.model, &r->start);
	if (!the_ld) {
		the_ld = calloc(1, sizeof(*the_ld));
		ck_assert_ptr_nonnull(the_ld);
		linux_diff_init(the_ld);
	}
	r->ld = *the_ld;
}

static void
rig_down(struct rig *r)
{
	linux_diff_finish(&r->ld);
	tu_rig_down(&r->on);
	rme_trace_free(r->trace);
}

/*
 * Run the next operation on the model, let tamper change its outcome (if
 * not NULL), and show the step to the differential: whether it differs.
 */
static int
step(struct rig *r, void (*tamper)(struct rig *r, rme_trace_result_t *actual))
{
	size_t i = r->next++;
	const rme_trace_op_t *op = rme_trace_op(r->trace, i);
	rme_trace_result_t *actual = rme_trace_actual(r->trace, i);
	rme_executor_status_t status;
	rme_replay_step_t s;
	char msg[128];

	ck_assert_ptr_nonnull(op);
	ck_assert_ok(rme_executor_run(&r->on.x, op, actual, &status, msg, sizeof(msg)));
	if (tamper)
		tamper(r, actual);
	s = (rme_replay_step_t){
		.trace = r->trace, .op = op, .actual = actual, .slots = r->on.slots,
		.model = r->on.model, .mmap = r->on.mm, .index = i, .start_quota = &r->start,
	};
	r->msg[0] = 0;
	return linux_diff_observe(&r->ld, &s, r->msg, sizeof(r->msg));
}


static const char layer_trace[] =
	"rmemu-trace 1\n"
	"mmap-area 0x100000000 16M\n"
	"a = mmap 0 16K rw- private|anon\n"
	"write a+0x10 0x5a\n"
	"read a+0x10\n"
	"mprotect a 4K r--\n"
	"munmap a+1 4K\n"
	"msync a 4K\n"
	"madvise a+0x1000 4K dontneed\n"
	"read a+0x1000\n"
	"munmap 0x200000000 4K\n";

START_TEST(steps_left_alone_agree)
{
	struct rig r;

	rig_up(&r, layer_trace);
	for (size_t i = 0; i < rme_trace_op_count(r.trace); i++)
		ck_assert_msg(step(&r, NULL) == 0, "line %zu: %s", rme_trace_op(r.trace, i)->line, r.msg);
	/* eight steps compared, the munmap outside the area not run */
	ck_assert_uint_eq(rme_trace_op_count(r.trace), 9);
	ck_assert_uint_eq(r.ld.compared, 8);
	ck_assert_uint_eq(r.ld.skipped, 1);
	ck_assert_uint_eq(r.ld.differences, 0);
	rig_down(&r);
}
END_TEST

static void
errno_enomem(struct rig *r, rme_trace_result_t *actual)
{
	(void)r;
	ck_assert_ok(rme_trace_result_set_errno(actual, "ENOMEM"));
}

START_TEST(another_errno_is_a_difference)
{
	struct rig r;

	rig_up(&r, layer_trace);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(step(&r, NULL), 0);
	/* munmap a+1: EINVAL on both; the model made to say ENOMEM */
	ck_assert_int_eq(step(&r, errno_enomem), 1);
	ck_assert_str_eq(r.msg, "linux: the model gives errno ENOMEM, Linux errno EINVAL");
	ck_assert_uint_eq(r.ld.differences, 1);
	rig_down(&r);
}
END_TEST

static void
success(struct rig *r, rme_trace_result_t *actual)
{
	(void)r;
	memset(actual, 0, sizeof(*actual));
	actual->kind = RME_TRACE_RESULT_VALUE;
}

START_TEST(success_against_an_errno_is_a_difference)
{
	struct rig r;

	rig_up(&r, layer_trace);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(step(&r, NULL), 0);
	ck_assert_int_eq(step(&r, success), 1);
	ck_assert_str_eq(r.msg, "linux: the model gives success, Linux errno EINVAL");
	rig_down(&r);
}
END_TEST

static void
another_byte(struct rig *r, rme_trace_result_t *actual)
{
	(void)r;
	ck_assert_int_eq(actual->kind, RME_TRACE_RESULT_VALUE);
	ck_assert_uint_eq(actual->value, 0x5a);
	actual->value = 0x5b;
}

START_TEST(another_byte_read_is_a_difference)
{
	struct rig r;

	rig_up(&r, layer_trace);
	ck_assert_int_eq(step(&r, NULL), 0);
	ck_assert_int_eq(step(&r, NULL), 0);
	ck_assert_int_eq(step(&r, another_byte), 1);
	ck_assert_str_eq(r.msg, "linux: read 0x5b on the model, 0x5a on Linux");
	rig_down(&r);
}
END_TEST

/* Rights changed on the model behind the differential's back. */
static void
rights_behind_its_back(struct rig *r, rme_trace_result_t *actual)
{
	(void)actual;
	ck_assert_int_eq(rme_mprotect(r->on.mm, r->on.slots[rme_trace_slot_find(r->trace, "a", 1)],
	                              0x1000, RME_PROT_NONE), 0);
}

START_TEST(other_pages_are_a_difference)
{
	struct rig r;

	rig_up(&r, layer_trace);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(step(&r, NULL), 0);
	/* msync a 4K: the same outcome on both, but the pages it touched differ now */
	ck_assert_int_eq(step(&r, rights_behind_its_back), 1);
	ck_assert_msg(strstr(r.msg, "linux: the model maps [") != NULL &&
	              strstr(r.msg, "where Linux maps") != NULL, "%s", r.msg);
	rig_down(&r);
}
END_TEST

/* The area is full: the layer refuses with ENOMEM where Linux maps elsewhere. */
START_TEST(a_full_area_is_documented)
{
	struct rig r;

	rig_up(&r,
	       "rmemu-trace 1\n"
	       "mmap-area 0x100000000 64K\n"
	       "a = mmap 0 64K rw- private|anon\n"
	       "mmap 0 4K rw- private|anon\n");
	ck_assert_int_eq(step(&r, NULL), 0);
	ck_assert_int_eq(step(&r, NULL), 0);
	ck_assert_uint_eq(r.ld.documented[LD_AREA_FULL], 1);
	ck_assert_uint_eq(r.ld.intended, 1);
	ck_assert_uint_eq(r.ld.compared, 2);
	ck_assert(!r.ld.has_stop);
	ck_assert_str_eq(linux_documented_name(LD_AREA_FULL), "area-full");
	ck_assert(!linux_documented_stops(LD_AREA_FULL));
	ck_assert(linux_documented_stops(LD_MERGE_HISTORY));
	for (int d = 0; d < LD_DOCUMENTED_COUNT; d++)
		ck_assert_msg(strlen(linux_documented_reason((linux_documented_t)d)) > 20,
		              "%s has no reason", linux_documented_name((linux_documented_t)d));
	rig_down(&r);
}
END_TEST

static Suite *
linux_diff_suite(void)
{
	Suite *s = suite_create("linux_diff");
	TCase *tc = tcase_create("finds_differences");

	tcase_add_test(tc, steps_left_alone_agree);
	tcase_add_test(tc, another_errno_is_a_difference);
	tcase_add_test(tc, success_against_an_errno_is_a_difference);
	tcase_add_test(tc, another_byte_read_is_a_difference);
	tcase_add_test(tc, other_pages_are_a_difference);
	tcase_add_test(tc, a_full_area_is_documented);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	const char *san = getenv("sanitizers");

	if (RUNNING_ON_VALGRIND || (san && san[0])) {
		printf("SKIP: under valgrind or in a sanitizer build\n");
		return 77;
	}
	return tu_run(linux_diff_suite());
}
