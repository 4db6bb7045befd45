/*
 * check_trace.c: Check suite of the trace parser and canonical printer:
 * every construct, every error with its place and message, a round-trip
 * property over random traces, random junk, and allocation failures.
 *
 * Run with --bench [LINES] to measure the parser's throughput instead.
 */
#define _POSIX_C_SOURCE 200809L

#include <check.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rmemu/rmemu.h>

#include "testutil.h"

/* Every test allocates through this; the fixture checks that nothing leaks. */
static rme_counting_allocator_t ca;

static void
setup(void)
{
	rme_counting_init(&ca, NULL);
}

static void
teardown(void)
{
	ck_assert_uint_eq(ca.live_bytes, 0);
	ck_assert_uint_eq(ca.live_blocks, 0);
}

/* ---- Helpers ------------------------------------------------------------- */

typedef struct text {
	char *data;
	size_t len, cap;
} text_t;

/* Keep room for len more bytes and a NUL. The benchmark uses this outside
 * of Check's tests, so there are no ck_asserts here. */
static void
text_reserve(text_t *t, size_t len)
{
	if (t->len + len + 1 <= t->cap)
		return;
	t->cap = (t->len + len + 1) * 2;
	t->data = realloc(t->data, t->cap);
	if (!t->data)
		abort();
}

static void
text_put(text_t *t, const char *s, size_t len)
{
	text_reserve(t, len);
	memcpy(t->data + t->len, s, len);
	t->len += len;
	t->data[t->len] = '\0';
}

static void
text_write(void *ctx, const char *buf, size_t len)
{
	text_put(ctx, buf, len);
}

static void
text_printf(text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
text_printf(text_t *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	text_reserve(t, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(t->data + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

/* The canonical text of a trace; the caller frees it. */
static char *
print_trace(const rme_trace_t *t, int use_actual)
{
	text_t out = { 0 };

	text_put(&out, "", 0);
	rme_trace_print(t, use_actual, text_write, &out);
	return out.data;
}

static rme_trace_t *
parse_len_ok(const char *text, size_t len)
{
	rme_trace_t *t = NULL;
	rme_trace_error_t err;
	rme_err_t rc = rme_trace_parse("trace.txt", text, len, &ca.iface, &t, &err);

	ck_assert_msg(rc == RME_OK, "parse failed: %s\n--- trace:\n%s", err.msg, text);
	ck_assert_ptr_nonnull(t);
	return t;
}

static rme_trace_t *
parse_ok(const char *text)
{
	return parse_len_ok(text, strlen(text));
}

/* Parse a header and one more line; return that line's single operation. */
static const rme_trace_op_t *
one_op(rme_trace_t **t, const char *lines)
{
	text_t text = { 0 };

	text_printf(&text, "rmemu-trace 1\n%s", lines);
	*t = parse_ok(text.data);
	free(text.data);
	ck_assert_uint_ge(rme_trace_op_count(*t), 1);
	return rme_trace_op(*t, rme_trace_op_count(*t) - 1);
}

static void
assert_parse_error(const char *text, size_t len, size_t line, size_t col,
                       const char *message)
{
	rme_trace_t *t = (rme_trace_t *)&t;   /* must be set to NULL */
	rme_trace_error_t err;
	char want[512];
	rme_err_t rc = rme_trace_parse("trace.txt", text, len, &ca.iface, &t, &err);

	snprintf(want, sizeof want, "trace.txt:%zu:%zu: %s", line, col, message);
	ck_assert_msg(rc == RME_ERR_INVALID_ARGUMENT, "parsed, expected: %s", want);
	ck_assert_ptr_null(t);
	ck_assert_str_eq(err.msg, want);
	ck_assert_uint_eq(err.line, line);
	ck_assert_uint_eq(err.col, col);
}

#define ck_assert_addr(A, SLOT, NEG, OFFSET) do { \
	const rme_trace_addr_t *_a = (A); \
	ck_assert_int_eq(_a->slot, (SLOT)); \
	ck_assert_int_eq(_a->negative, (NEG)); \
	ck_assert_uint_eq(_a->offset, (OFFSET)); \
} while (0)

static void assert_round_trip(const rme_trace_t *t1);

/* ---- The example of the format description ------------------------------ */

static const char example[] =
	"rmemu-trace 1\n"
	"kernel hw\n"
	"quota ram=4M caps=100\n"
	"# Genode's sub_rm test, first steps\n"
	"sub = rm-create 1M                        -> ok\n"
	"ds = ram-alloc 16K                        -> ok\n"
	"attach sub ds at=0x1000                   -> 0x1000\n"
	"sub_ds = rm-dataspace sub                 -> ok\n"
	"base = attach env sub_ds at=0x70000000 rw- -> 0x70000000\n"
	"attach sub ds at=0xff000                  -> error REGION_CONFLICT\n"
	"attach sub ds at=0x2000                   -> error REGION_CONFLICT\n"
	"attach sub ds at=0x80000 offset=4K        -> 0x80000\n"
	"read base+0x1000                          -> 0x00\n"
	"detach sub 0x1000                         -> ok\n"
	"read base+0x1000                          -> unhandled sub READ 0x1000\n";

static const char example_canonical[] =
	"rmemu-trace 1\n"
	"kernel hw\n"
	"quota ram=0x400000 caps=100\n"
	"sub = rm-create 0x100000 -> ok\n"
	"ds = ram-alloc 0x4000 -> ok\n"
	"attach sub ds at=0x1000 -> 0x1000\n"
	"sub_ds = rm-dataspace sub -> ok\n"
	"base = attach env sub_ds at=0x70000000 rw- -> 0x70000000\n"
	"attach sub ds at=0xff000 -> error REGION_CONFLICT\n"
	"attach sub ds at=0x2000 -> error REGION_CONFLICT\n"
	"attach sub ds offset=0x1000 at=0x80000 -> 0x80000\n"
	"read base+0x1000 -> 0x00\n"
	"detach sub 0x1000 -> ok\n"
	"read base+0x1000 -> unhandled sub READ 0x1000\n";

START_TEST(test_example)
{
	rme_trace_t *t = parse_ok(example);
	const rme_trace_directives_t *d = rme_trace_directives(t);
	const rme_trace_op_t *op;
	char *printed;

	ck_assert(d->has_kernel && d->kernel == RME_KERNEL_HW);
	ck_assert(d->has_ram_quota && d->ram_quota == 4u << 20);
	ck_assert(d->has_cap_quota && d->cap_quota == 100);
	ck_assert(!d->has_genode && !d->has_arch && !d->has_mmap_area &&
	          !d->has_map_count_max && !d->has_policy);
	ck_assert_uint_eq(rme_trace_op_count(t), 11);

	/* Slots: env, then sub, ds, sub_ds, base in order of binding. */
	ck_assert_uint_eq(rme_trace_slot_count(t), 5);
	ck_assert_str_eq(rme_trace_slot_name(t, 0), "env");
	ck_assert_str_eq(rme_trace_slot_name(t, 1), "sub");
	ck_assert_str_eq(rme_trace_slot_name(t, 2), "ds");
	ck_assert_str_eq(rme_trace_slot_name(t, 3), "sub_ds");
	ck_assert_str_eq(rme_trace_slot_name(t, 4), "base");
	ck_assert_int_eq(rme_trace_slot_kind(t, 0), RME_TRACE_SLOT_REGION_MAP);
	ck_assert_int_eq(rme_trace_slot_kind(t, 1), RME_TRACE_SLOT_REGION_MAP);
	ck_assert_int_eq(rme_trace_slot_kind(t, 2), RME_TRACE_SLOT_DATASPACE);
	ck_assert_int_eq(rme_trace_slot_kind(t, 3), RME_TRACE_SLOT_DATASPACE);
	ck_assert_int_eq(rme_trace_slot_kind(t, 4), RME_TRACE_SLOT_ADDRESS);
	ck_assert_int_eq(rme_trace_slot_find(t, "base", 4), 4);
	ck_assert_int_eq(rme_trace_slot_find(t, "nope", 4), -1);

	op = rme_trace_op(t, 0);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_RM_CREATE);
	ck_assert_uint_eq(op->line, 5);
	ck_assert_int_eq(op->bind_slot, 1);
	ck_assert_uint_eq(op->u.size, 1u << 20);
	ck_assert_int_eq(op->expected.kind, RME_TRACE_RESULT_OK);
	ck_assert_int_eq(op->actual.kind, RME_TRACE_RESULT_NONE);

	op = rme_trace_op(t, 1);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_RAM_ALLOC);
	ck_assert_int_eq(op->bind_slot, 2);
	ck_assert_uint_eq(op->u.size, 16384);

	op = rme_trace_op(t, 2);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_ATTACH);
	ck_assert_int_eq(op->bind_slot, -1);
	ck_assert_int_eq(op->u.attach.rm, 1);
	ck_assert_int_eq(op->u.attach.ds, 2);
	ck_assert(op->u.attach.has_at && !op->u.attach.has_size && !op->u.attach.has_offset);
	ck_assert_addr(&op->u.attach.at, -1, 0, 0x1000);
	ck_assert_uint_eq(op->u.attach.rights, RME_TRACE_RIGHT_R);
	ck_assert_int_eq(op->expected.kind, RME_TRACE_RESULT_VALUE);
	ck_assert_uint_eq(op->expected.value, 0x1000);

	op = rme_trace_op(t, 3);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_RM_DATASPACE);
	ck_assert_int_eq(op->u.slot, 1);
	ck_assert_int_eq(op->bind_slot, 3);

	op = rme_trace_op(t, 4);
	ck_assert_int_eq(op->u.attach.rm, RME_TRACE_SLOT_ENV);
	ck_assert_int_eq(op->u.attach.ds, 3);
	ck_assert_uint_eq(op->u.attach.rights, RME_TRACE_RIGHT_R | RME_TRACE_RIGHT_W);
	ck_assert_int_eq(op->bind_slot, 4);
	ck_assert_uint_eq(op->expected.value, 0x70000000);

	op = rme_trace_op(t, 5);
	ck_assert_int_eq(op->expected.kind, RME_TRACE_RESULT_ERROR);
	ck_assert_int_eq(op->expected.error, RME_ERR_REGION_CONFLICT);

	op = rme_trace_op(t, 7);
	ck_assert(op->u.attach.has_offset && op->u.attach.offset == 4096);
	ck_assert_addr(&op->u.attach.at, -1, 0, 0x80000);

	op = rme_trace_op(t, 8);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_READ);
	ck_assert_addr(&op->u.access.addr, 4, 0, 0x1000);
	ck_assert_int_eq(op->expected.kind, RME_TRACE_RESULT_VALUE);
	ck_assert_uint_eq(op->expected.value, 0);

	op = rme_trace_op(t, 9);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_DETACH);
	ck_assert_int_eq(op->u.detach.rm, 1);
	ck_assert_addr(&op->u.detach.addr, -1, 0, 0x1000);

	op = rme_trace_op(t, 10);
	ck_assert_uint_eq(op->line, 15);
	ck_assert_int_eq(op->expected.kind, RME_TRACE_RESULT_UNHANDLED);
	ck_assert_int_eq(op->expected.rm_slot, 1);
	ck_assert_int_eq(op->expected.fault_type, RME_FAULT_READ);
	ck_assert_uint_eq(op->expected.addr, 0x1000);

	ck_assert_ptr_null(rme_trace_op(t, 11));
	ck_assert_ptr_null(rme_trace_actual(t, 11));

	printed = print_trace(t, 0);
	ck_assert_str_eq(printed, example_canonical);
	free(printed);
	rme_trace_free(t);
}
END_TEST

/* ---- Constructs ---------------------------------------------------------- */

START_TEST(test_directives)
{
	/* Every directive, out of the printer's order, with odd spacing. */
	rme_trace_t *t = parse_ok(
		"# leading comment\n"
		"\n"
		"\trmemu-trace\t1   # the header\n"
		"policy rmemu\n"
		"map-count-max 65530\n"
		"mmap-area 0x100000000 1G\n"
		"quota caps=0x3e8\n"
		"arch arm_v7a\n"
		"kernel sel4\n"
		"genode 26.02\n"
		"ds = ram-alloc 4K\n"
		"attach mmap_area ds\n");
	const rme_trace_directives_t *d = rme_trace_directives(t);
	char *printed;

	ck_assert(d->has_genode && d->genode_release == 2602);
	ck_assert(d->has_kernel && d->kernel == RME_KERNEL_SEL4);
	ck_assert(d->has_arch && d->arch == RME_ARCH_ARM_V7A);
	ck_assert(!d->has_ram_quota);
	ck_assert(d->has_cap_quota && d->cap_quota == 1000);
	ck_assert(d->has_mmap_area);
	ck_assert_uint_eq(d->mmap_area_base, 0x100000000u);
	ck_assert_uint_eq(d->mmap_area_size, 1u << 30);
	ck_assert(d->has_map_count_max && d->map_count_max == 65530);
	ck_assert(d->has_policy);
	ck_assert_str_eq(d->policy, "rmemu");
	ck_assert_str_eq(rme_trace_slot_name(t, RME_TRACE_SLOT_MMAP_AREA), "mmap_area");
	ck_assert_int_eq(rme_trace_slot_kind(t, RME_TRACE_SLOT_MMAP_AREA),
	                 RME_TRACE_SLOT_REGION_MAP);
	ck_assert_int_eq(rme_trace_op(t, 0)->bind_slot, 2);
	ck_assert_int_eq(rme_trace_op(t, 1)->u.attach.rm, RME_TRACE_SLOT_MMAP_AREA);
	ck_assert_uint_eq(rme_trace_op(t, 1)->line, 12);

	printed = print_trace(t, 0);
	ck_assert_str_eq(printed,
		"rmemu-trace 1\n"
		"genode 26.02\n"
		"kernel sel4\n"
		"arch arm_v7a\n"
		"quota caps=1000\n"
		"mmap-area 0x100000000 0x40000000\n"
		"map-count-max 65530\n"
		"policy rmemu\n"
		"ds = ram-alloc 0x1000\n"
		"attach mmap_area ds\n");
	free(printed);
	rme_trace_free(t);
}
END_TEST

START_TEST(test_directive_values)
{
	static const char *const kernels[] = { "hw", "nova", "sel4", "foc", "okl4", "linux" };
	static const char *const arches[] = { "x86_64", "x86_32", "arm_v8a", "arm_v7a" };
	rme_trace_t *t;
	char line[128];
	char *printed;

	for (unsigned i = 0; i < 6; i++) {
		snprintf(line, sizeof line, "rmemu-trace 1\nkernel %s\n", kernels[i]);
		t = parse_ok(line);
		ck_assert_int_eq(rme_trace_directives(t)->kernel, (rme_kernel_t)i);
		rme_trace_free(t);
	}
	for (unsigned i = 0; i < 4; i++) {
		snprintf(line, sizeof line, "rmemu-trace 1\narch %s\n", arches[i]);
		t = parse_ok(line);
		ck_assert_int_eq(rme_trace_directives(t)->arch, (rme_arch_t)i);
		rme_trace_free(t);
	}
	/* The oldest release the model knows, and a quota of RAM only. */
	t = parse_ok("rmemu-trace 1\ngenode 20.05\nquota ram=64M\n");
	ck_assert_uint_eq(rme_trace_directives(t)->genode_release, 2005);
	ck_assert(!rme_trace_directives(t)->has_cap_quota);
	printed = print_trace(t, 0);
	ck_assert_str_eq(printed, "rmemu-trace 1\ngenode 20.05\nquota ram=0x4000000\n");
	free(printed);
	rme_trace_free(t);
}
END_TEST

START_TEST(test_genode_ops)
{
	rme_trace_t *t = parse_ok(
		"rmemu-trace 1\n"
		"r = rom 0x2000 -> ok\n"                                   /* 0 */
		"ds = ram-alloc 8K -> error OUT_OF_CAPS\n"
		"rm = rm-create 64K -> error DENIED\n"
		"ram-free ds -> ok\n"
		"rm-destroy rm -> error INVALID_ARGUMENT\n"
		"fault-handler rm -> ok\n"                                 /* 5 */
		"fault rm -> NONE\n"
		"fault rm -> READ 0x10\n"
		"fault rm -> WRITE 32\n"
		"fault rm -> EXEC 0x30\n"
		"fault rm -> error OUT_OF_RAM\n"                           /* 10 */
		"fault rm\n"
		"a = attach rm r rwx offset=0x1000 at=16 size=4K -> ok\n"
		"attach env r --- -> error INVALID_DATASPACE\n"
		"attach env r r-x\n"
		"attach env r size=0 -w-\n"                                /* 15 */
		"detach rm a+8\n"
		"x = attach env ds at=a-0x10\n");
	const rme_trace_op_t *op;
	char *printed;

	ck_assert_uint_eq(rme_trace_op_count(t), 18);
	op = rme_trace_op(t, 0);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_ROM);
	ck_assert_uint_eq(op->u.size, 0x2000);
	ck_assert_int_eq(rme_trace_slot_kind(t, op->bind_slot), RME_TRACE_SLOT_DATASPACE);
	op = rme_trace_op(t, 1);
	ck_assert_int_eq(op->expected.error, RME_ERR_OUT_OF_CAPS);
	op = rme_trace_op(t, 2);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_RM_CREATE);
	ck_assert_int_eq(rme_trace_slot_kind(t, op->bind_slot), RME_TRACE_SLOT_REGION_MAP);
	ck_assert_int_eq(op->expected.error, RME_ERR_DENIED);
	op = rme_trace_op(t, 3);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_RAM_FREE);
	ck_assert_int_eq(op->u.slot, 2);
	op = rme_trace_op(t, 4);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_RM_DESTROY);
	ck_assert_int_eq(op->u.slot, 3);
	ck_assert_int_eq(op->expected.error, RME_ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(rme_trace_op(t, 5)->kind, RME_TRACE_OP_FAULT_HANDLER);

	op = rme_trace_op(t, 6);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_FAULT);
	ck_assert_int_eq(op->u.slot, 3);
	ck_assert_int_eq(op->expected.kind, RME_TRACE_RESULT_FAULT_STATE);
	ck_assert_int_eq(op->expected.fault_type, RME_FAULT_NONE);
	op = rme_trace_op(t, 7);
	ck_assert_int_eq(op->expected.fault_type, RME_FAULT_READ);
	ck_assert_uint_eq(op->expected.addr, 0x10);
	op = rme_trace_op(t, 8);
	ck_assert_int_eq(op->expected.fault_type, RME_FAULT_WRITE);
	ck_assert_uint_eq(op->expected.addr, 32);
	op = rme_trace_op(t, 9);
	ck_assert_int_eq(op->expected.fault_type, RME_FAULT_EXEC);
	op = rme_trace_op(t, 10);
	ck_assert_int_eq(op->expected.kind, RME_TRACE_RESULT_ERROR);
	ck_assert_int_eq(rme_trace_op(t, 11)->expected.kind, RME_TRACE_RESULT_NONE);

	op = rme_trace_op(t, 12);
	ck_assert_int_eq(op->u.attach.rm, 3);
	ck_assert_int_eq(op->u.attach.ds, 1);
	ck_assert_uint_eq(op->u.attach.rights,
	                  RME_TRACE_RIGHT_R | RME_TRACE_RIGHT_W | RME_TRACE_RIGHT_X);
	ck_assert(op->u.attach.has_offset && op->u.attach.offset == 0x1000);
	ck_assert(op->u.attach.has_size && op->u.attach.size == 4096);
	ck_assert(op->u.attach.has_at);
	ck_assert_addr(&op->u.attach.at, -1, 0, 16);
	ck_assert_int_eq(rme_trace_slot_kind(t, op->bind_slot), RME_TRACE_SLOT_ADDRESS);
	ck_assert_uint_eq(rme_trace_op(t, 13)->u.attach.rights, 0);
	ck_assert_uint_eq(rme_trace_op(t, 14)->u.attach.rights,
	                  RME_TRACE_RIGHT_R | RME_TRACE_RIGHT_X);
	op = rme_trace_op(t, 15);
	ck_assert_uint_eq(op->u.attach.rights, RME_TRACE_RIGHT_W);
	ck_assert(op->u.attach.has_size && op->u.attach.size == 0);
	op = rme_trace_op(t, 16);
	ck_assert_int_eq(op->u.detach.rm, 3);
	ck_assert_addr(&op->u.detach.addr, 4, 0, 8);
	op = rme_trace_op(t, 17);
	ck_assert_addr(&op->u.attach.at, 4, 1, 0x10);

	printed = print_trace(t, 0);
	ck_assert_str_eq(printed,
		"rmemu-trace 1\n"
		"r = rom 0x2000 -> ok\n"
		"ds = ram-alloc 0x2000 -> error OUT_OF_CAPS\n"
		"rm = rm-create 0x10000 -> error DENIED\n"
		"ram-free ds -> ok\n"
		"rm-destroy rm -> error INVALID_ARGUMENT\n"
		"fault-handler rm -> ok\n"
		"fault rm -> NONE\n"
		"fault rm -> READ 0x10\n"
		"fault rm -> WRITE 0x20\n"
		"fault rm -> EXEC 0x30\n"
		"fault rm -> error OUT_OF_RAM\n"
		"fault rm\n"
		"a = attach rm r size=0x1000 offset=0x1000 at=0x10 rwx -> ok\n"
		"attach env r --- -> error INVALID_DATASPACE\n"
		"attach env r r-x\n"
		"attach env r size=0x0 -w-\n"
		"detach rm a+0x8\n"
		"x = attach env ds at=a-0x10\n");
	free(printed);
	rme_trace_free(t);
}
END_TEST

START_TEST(test_accesses)
{
	rme_trace_t *t = parse_ok(
		"rmemu-trace 1\n"
		"rm = rm-create 1M\n"
		"ds = ram-alloc 4K\n"
		"a = attach env ds -> 0x10000\n"
		"read a -> 0xff\n"                                 /* 3 */
		"read 0x10 -> 255\n"
		"read a+1 -> ok\n"
		"write a 0x7f -> ok\n"
		"write a-0x10 200 -> fault env WRITE 0x1000\n"
		"exec a -> fault\n"                                /* 8 */
		"read a -> unhandled\n"
		"exec 0x5000 -> unhandled rm EXEC 0x5000\n"
		"write 0 0 -> error HOST_NO_MEMORY\n"
		"read a -> fault rm READ 0\n");
	const rme_trace_op_t *op;
	char *printed;

	op = rme_trace_op(t, 3);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_READ);
	ck_assert_addr(&op->u.access.addr, 3, 0, 0);
	ck_assert_int_eq(op->expected.kind, RME_TRACE_RESULT_VALUE);
	ck_assert_uint_eq(op->expected.value, 0xff);
	op = rme_trace_op(t, 4);
	ck_assert_addr(&op->u.access.addr, -1, 0, 0x10);
	ck_assert_uint_eq(op->expected.value, 255);
	ck_assert_int_eq(rme_trace_op(t, 5)->expected.kind, RME_TRACE_RESULT_OK);
	op = rme_trace_op(t, 6);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_WRITE);
	ck_assert_uint_eq(op->u.access.byte, 0x7f);
	op = rme_trace_op(t, 7);
	ck_assert_addr(&op->u.access.addr, 3, 1, 0x10);
	ck_assert_uint_eq(op->u.access.byte, 200);
	ck_assert_int_eq(op->expected.kind, RME_TRACE_RESULT_FAULT);
	ck_assert_int_eq(op->expected.rm_slot, RME_TRACE_SLOT_ENV);
	ck_assert_int_eq(op->expected.fault_type, RME_FAULT_WRITE);
	ck_assert_uint_eq(op->expected.addr, 0x1000);
	op = rme_trace_op(t, 8);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_EXEC);
	ck_assert_int_eq(op->expected.kind, RME_TRACE_RESULT_FAULT_ANY);
	ck_assert_int_eq(rme_trace_op(t, 9)->expected.kind, RME_TRACE_RESULT_UNHANDLED_ANY);
	op = rme_trace_op(t, 10);
	ck_assert_int_eq(op->expected.kind, RME_TRACE_RESULT_UNHANDLED);
	ck_assert_int_eq(op->expected.rm_slot, 1);
	ck_assert_int_eq(op->expected.fault_type, RME_FAULT_EXEC);
	ck_assert_int_eq(rme_trace_op(t, 11)->expected.error, RME_ERR_HOST_NO_MEMORY);

	printed = print_trace(t, 0);
	ck_assert_str_eq(printed,
		"rmemu-trace 1\n"
		"rm = rm-create 0x100000\n"
		"ds = ram-alloc 0x1000\n"
		"a = attach env ds -> 0x10000\n"
		"read a -> 0xff\n"
		"read 0x10 -> 0xff\n"
		"read a+0x1 -> ok\n"
		"write a 0x7f -> ok\n"
		"write a-0x10 0xc8 -> fault env WRITE 0x1000\n"
		"exec a -> fault\n"
		"read a -> unhandled\n"
		"exec 0x5000 -> unhandled rm EXEC 0x5000\n"
		"write 0x0 0x00 -> error HOST_NO_MEMORY\n"
		"read a -> fault rm READ 0x0\n");
	free(printed);
	rme_trace_free(t);
}
END_TEST

START_TEST(test_libc_ops)
{
	rme_trace_t *t = parse_ok(
		"rmemu-trace 1\n"
		"mmap-area 0x100000000 1G\n"
		"p = mmap 0 4K rw- private|anon -> 0x100000000\n"
		"q = mmap p+0x2000 8K r-x fixed|shared|noreplace fd=3 off=16K -> ok\n"
		"mmap 0 1M --- growsdown|locked|stack|populate|noreserve|noreplace|fixed|anon|shared_validate"
		" -> errno ENOMEM\n"
		"mmap 0 4K rw- private off=0 fd=7\n"                          /* 3 */
		"munmap p 4K -> 0\n"
		"mprotect q 8K rwx -> errno EACCES\n"
		"madvise p 4K normal -> 0\n"
		"madvise p 4K dontneed\n"
		"madvise p 4K free -> ok\n"                                   /* 8 */
		"madvise p 4K willneed -> errno EINVAL\n"
		"msync q 4K -> 0x0\n"
		"r = mremap p 4K 8K maymove fixed=q -> 0x100004000\n"
		"mremap q 8K 4K -> ok\n"
		"mremap q 8K 16K fixed=0x200000000 maymove -> errno ENOTRECOVERABLE\n");
	const rme_trace_op_t *op;
	char *printed;

	ck_assert_uint_eq(rme_trace_op_count(t), 14);
	op = rme_trace_op(t, 0);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_MMAP);
	ck_assert_addr(&op->u.mmap.addr, -1, 0, 0);
	ck_assert_uint_eq(op->u.mmap.len, 4096);
	ck_assert_uint_eq(op->u.mmap.prot, RME_TRACE_RIGHT_R | RME_TRACE_RIGHT_W);
	ck_assert_uint_eq(op->u.mmap.flags, RME_TRACE_MAP_PRIVATE | RME_TRACE_MAP_ANON);
	ck_assert(!op->u.mmap.has_fd);
	ck_assert_int_eq(op->bind_slot, 2);
	ck_assert_uint_eq(op->expected.value, 0x100000000u);
	op = rme_trace_op(t, 1);
	ck_assert_addr(&op->u.mmap.addr, 2, 0, 0x2000);
	ck_assert_uint_eq(op->u.mmap.prot, RME_TRACE_RIGHT_R | RME_TRACE_RIGHT_X);
	ck_assert_uint_eq(op->u.mmap.flags, RME_TRACE_MAP_FIXED | RME_TRACE_MAP_SHARED |
	                                    RME_TRACE_MAP_NOREPLACE);
	ck_assert(op->u.mmap.has_fd && op->u.mmap.fd == 3 && op->u.mmap.off == 16384);
	op = rme_trace_op(t, 2);
	ck_assert_uint_eq(op->u.mmap.prot, 0);
	ck_assert_uint_eq(op->u.mmap.flags, 0x7fc);
	ck_assert_int_eq(op->expected.kind, RME_TRACE_RESULT_ERRNO);
	ck_assert_str_eq(op->expected.errno_name, "ENOMEM");
	op = rme_trace_op(t, 3);
	ck_assert(op->u.mmap.has_fd && op->u.mmap.fd == 7 && op->u.mmap.off == 0);
	op = rme_trace_op(t, 4);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_MUNMAP);
	ck_assert_addr(&op->u.range.addr, 2, 0, 0);
	ck_assert_uint_eq(op->u.range.len, 4096);
	ck_assert_int_eq(op->expected.kind, RME_TRACE_RESULT_VALUE);
	ck_assert_uint_eq(op->expected.value, 0);
	op = rme_trace_op(t, 5);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_MPROTECT);
	ck_assert_uint_eq(op->u.range.prot, 7);
	ck_assert_str_eq(op->expected.errno_name, "EACCES");
	ck_assert_int_eq(rme_trace_op(t, 6)->u.range.advice, RME_TRACE_ADVICE_NORMAL);
	ck_assert_int_eq(rme_trace_op(t, 7)->u.range.advice, RME_TRACE_ADVICE_DONTNEED);
	ck_assert_int_eq(rme_trace_op(t, 8)->u.range.advice, RME_TRACE_ADVICE_FREE);
	ck_assert_int_eq(rme_trace_op(t, 9)->u.range.advice, RME_TRACE_ADVICE_WILLNEED);
	op = rme_trace_op(t, 10);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_MSYNC);
	ck_assert_int_eq(op->expected.kind, RME_TRACE_RESULT_VALUE);
	op = rme_trace_op(t, 11);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_MREMAP);
	ck_assert_addr(&op->u.mremap.addr, 2, 0, 0);
	ck_assert_uint_eq(op->u.mremap.old_len, 4096);
	ck_assert_uint_eq(op->u.mremap.new_len, 8192);
	ck_assert(op->u.mremap.maymove && op->u.mremap.has_fixed);
	ck_assert_addr(&op->u.mremap.fixed, 3, 0, 0);
	ck_assert_int_eq(op->bind_slot, 4);
	op = rme_trace_op(t, 12);
	ck_assert(!op->u.mremap.maymove && !op->u.mremap.has_fixed);
	op = rme_trace_op(t, 13);
	ck_assert_addr(&op->u.mremap.fixed, -1, 0, 0x200000000u);
	ck_assert_str_eq(op->expected.errno_name, "ENOTRECOVERABLE");

	printed = print_trace(t, 0);
	ck_assert_str_eq(printed,
		"rmemu-trace 1\n"
		"mmap-area 0x100000000 0x40000000\n"
		"p = mmap 0x0 0x1000 rw- private|anon -> 0x100000000\n"
		"q = mmap p+0x2000 0x2000 r-x shared|fixed|noreplace fd=3 off=0x4000 -> ok\n"
		"mmap 0x0 0x100000 --- shared_validate|anon|fixed|noreplace|noreserve|populate|"
		"stack|growsdown|locked -> errno ENOMEM\n"
		"mmap 0x0 0x1000 rw- private fd=7 off=0x0\n"
		"munmap p 0x1000 -> 0\n"
		"mprotect q 0x2000 rwx -> errno EACCES\n"
		"madvise p 0x1000 normal -> 0\n"
		"madvise p 0x1000 dontneed\n"
		"madvise p 0x1000 free -> ok\n"
		"madvise p 0x1000 willneed -> errno EINVAL\n"
		"msync q 0x1000 -> 0\n"
		"r = mremap p 0x1000 0x2000 maymove fixed=q -> 0x100004000\n"
		"mremap q 0x2000 0x1000 -> ok\n"
		"mremap q 0x2000 0x4000 maymove fixed=0x200000000 -> errno ENOTRECOVERABLE\n");
	free(printed);
	rme_trace_free(t);
}
END_TEST

/*
 * What a recorded program can say that the first forms could not: no
 * mapping type, MAP_SHARED_VALIDATE, MAP_LOCKED and bits without a name;
 * msync's flags; the memory locks; MREMAP_FIXED without its address.
 */
START_TEST(test_libc_flags_and_locks)
{
	rme_trace_t *t = parse_ok(
		"rmemu-trace 1\n"
		"mmap-area 0x100000000 1G\n"
		"mmap 0 1K rw- notype fd=3 off=0 -> errno EINVAL\n"
		"mmap 0 1K rw- anon|notype\n"
		"mmap 0 1K rw- 0x400|shared_validate fd=3 -> errno EOPNOTSUPP\n"
		"p = mmap 0 4K rw- locked|shared fd=3\n"                      /* 3 */
		"mmap 0 4K rw- anon|0x8\n"
		"msync p 4K invalidate -> errno EBUSY\n"
		"msync p 4K async|sync -> errno EINVAL\n"
		"msync p 4K 0x8|async\n"                                        /* 7 */
		"msync p 4K 0\n"
		"mlock p 4K -> 0\n"
		"mlock p+1 10 onfault -> 0\n"
		"mlock p 4K onfault|0x2 -> errno EINVAL\n"                     /* 11 */
		"munlock p 4K -> 0\n"
		"mlockall current|future\n"
		"mlockall 0 -> errno EINVAL\n"
		"mlockall onfault|0x10\n"                                      /* 15 */
		"munlockall -> 0\n"
		"mremap p 1 1 fixed -> errno EINVAL\n");
	const rme_trace_op_t *op;
	char *printed;

	ck_assert_uint_eq(rme_trace_op_count(t), 18);
	op = rme_trace_op(t, 0);
	ck_assert_uint_eq(op->u.mmap.flags, 0);
	ck_assert_uint_eq(op->u.mmap.other, 0);
	ck_assert_uint_eq(rme_trace_op(t, 1)->u.mmap.flags, RME_TRACE_MAP_ANON);
	op = rme_trace_op(t, 2);
	ck_assert_uint_eq(op->u.mmap.flags, RME_TRACE_MAP_SHARED_VALIDATE);
	ck_assert_uint_eq(op->u.mmap.other, 0x400);
	ck_assert_uint_eq(rme_trace_op(t, 3)->u.mmap.flags, RME_TRACE_MAP_SHARED | RME_TRACE_MAP_LOCKED);
	ck_assert_uint_eq(rme_trace_op(t, 4)->u.mmap.other, 8);
	ck_assert_uint_eq(rme_trace_op(t, 5)->u.range.flags, RME_MS_INVALIDATE);
	ck_assert_uint_eq(rme_trace_op(t, 6)->u.range.flags, RME_MS_ASYNC | RME_MS_SYNC);
	ck_assert_uint_eq(rme_trace_op(t, 7)->u.range.flags, 8 | RME_MS_ASYNC);
	ck_assert_uint_eq(rme_trace_op(t, 8)->u.range.flags, 0);
	op = rme_trace_op(t, 9);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_MLOCK);
	ck_assert_uint_eq(op->u.range.flags, 0);
	op = rme_trace_op(t, 10);
	ck_assert_addr(&op->u.range.addr, 2, 0, 1);
	ck_assert_uint_eq(op->u.range.len, 10);
	ck_assert_uint_eq(op->u.range.flags, RME_MLOCK_ONFAULT);
	ck_assert_uint_eq(rme_trace_op(t, 11)->u.range.flags, RME_MLOCK_ONFAULT | 2);
	ck_assert_int_eq(rme_trace_op(t, 12)->kind, RME_TRACE_OP_MUNLOCK);
	op = rme_trace_op(t, 13);
	ck_assert_int_eq(op->kind, RME_TRACE_OP_MLOCKALL);
	ck_assert_uint_eq(op->u.range.flags, RME_MCL_CURRENT | RME_MCL_FUTURE);
	ck_assert_uint_eq(rme_trace_op(t, 14)->u.range.flags, 0);
	ck_assert_uint_eq(rme_trace_op(t, 15)->u.range.flags, RME_MCL_ONFAULT | 0x10);
	ck_assert_int_eq(rme_trace_op(t, 16)->kind, RME_TRACE_OP_MUNLOCKALL);
	op = rme_trace_op(t, 17);
	ck_assert(op->u.mremap.has_fixed && op->u.mremap.fixed_unknown && !op->u.mremap.maymove);

	printed = print_trace(t, 0);
	ck_assert_str_eq(printed,
		"rmemu-trace 1\n"
		"mmap-area 0x100000000 0x40000000\n"
		"mmap 0x0 0x400 rw- notype fd=3 off=0x0 -> errno EINVAL\n"
		"mmap 0x0 0x400 rw- notype|anon\n"
		"mmap 0x0 0x400 rw- shared_validate|0x400 fd=3 off=0x0 -> errno EOPNOTSUPP\n"
		"p = mmap 0x0 0x1000 rw- shared|locked fd=3 off=0x0\n"
		"mmap 0x0 0x1000 rw- anon|0x8\n"
		"msync p 0x1000 invalidate -> errno EBUSY\n"
		"msync p 0x1000 async|sync -> errno EINVAL\n"
		"msync p 0x1000 async|0x8\n"
		"msync p 0x1000\n"
		"mlock p 0x1000 -> 0\n"
		"mlock p+0x1 0xa onfault -> 0\n"
		"mlock p 0x1000 onfault|0x2 -> errno EINVAL\n"
		"munlock p 0x1000 -> 0\n"
		"mlockall current|future\n"
		"mlockall 0 -> errno EINVAL\n"
		"mlockall onfault|0x10\n"
		"munlockall -> 0\n"
		"mremap p 0x1 0x1 fixed -> errno EINVAL\n");
	assert_round_trip(t);
	free(printed);
	rme_trace_free(t);
}
END_TEST

/* The libc example of rmemu-trace(5). */
START_TEST(test_man_page_libc_example)
{
	rme_trace_t *t = parse_ok(
		"rmemu-trace 1\n"
		"mmap-area 0x100000000 1G\n"
		"map-count-max 65530\n"
		"policy rmemu\n"
		"p = mmap 0 64K rw- private|anon           -> 0x100000000\n"
		"write p+0x10 0x5a                         -> ok\n"
		"mprotect p 4K r--                         -> 0\n"
		"write p 1                                 -> fault mmap_area WRITE 0x0\n"
		"q = mremap p 64K 128K maymove             -> ok\n"
		"mmap q 4K rw- private|fixed|noreplace     -> errno EEXIST\n"
		"munmap q 128K                             -> 0\n"
		"expect-mappings 0\n"
		"expect-leak-free\n");
	const rme_trace_op_t *op = rme_trace_op(t, 3);

	ck_assert_uint_eq(rme_trace_op_count(t), 9);
	ck_assert_int_eq(op->expected.kind, RME_TRACE_RESULT_FAULT);
	ck_assert_int_eq(op->expected.rm_slot, RME_TRACE_SLOT_MMAP_AREA);
	ck_assert_int_eq(rme_trace_op(t, 4)->bind_slot, 3);
	ck_assert_str_eq(rme_trace_op(t, 5)->expected.errno_name, "EEXIST");
	assert_round_trip(t);
	rme_trace_free(t);
}
END_TEST

START_TEST(test_address_expressions)
{
	rme_trace_t *t = parse_ok(
		"rmemu-trace 1\n"
		"ds = ram-alloc 4K\n"
		"a = attach env ds -> 0x1000\n"
		"read a\n"
		"read a+0x10\n"
		"read a-16\n"
		"read a-0\n"
		"read a+0\n"
		"read 0xABCdef\n"
		"read 18446744073709551615\n"
		"read a-0x2000\n");
	uint64_t slots[3] = { 0, 0, 0x1000 };
	static const char *const canonical[] = {
		"read a", "read a+0x10", "read a-0x10", "read a", "read a",
		"read 0xabcdef", "read 0xffffffffffffffff", "read a-0x2000"
	};
	char *printed, *line;

	ck_assert_addr(&rme_trace_op(t, 2)->u.access.addr, 2, 0, 0);
	ck_assert_addr(&rme_trace_op(t, 3)->u.access.addr, 2, 0, 0x10);
	ck_assert_addr(&rme_trace_op(t, 4)->u.access.addr, 2, 1, 16);
	/* a-0 and a+0 are a: a zero offset is never negative. */
	ck_assert_addr(&rme_trace_op(t, 5)->u.access.addr, 2, 0, 0);
	ck_assert_addr(&rme_trace_op(t, 6)->u.access.addr, 2, 0, 0);
	ck_assert_addr(&rme_trace_op(t, 7)->u.access.addr, -1, 0, 0xabcdef);
	ck_assert_addr(&rme_trace_op(t, 8)->u.access.addr, -1, 0, UINT64_MAX);

	ck_assert_uint_eq(rme_trace_addr_eval(&rme_trace_op(t, 3)->u.access.addr, slots), 0x1010);
	ck_assert_uint_eq(rme_trace_addr_eval(&rme_trace_op(t, 4)->u.access.addr, slots), 0xff0);
	ck_assert_uint_eq(rme_trace_addr_eval(&rme_trace_op(t, 7)->u.access.addr, slots), 0xabcdef);
	/* Below zero wraps, as addresses do. */
	ck_assert_uint_eq(rme_trace_addr_eval(&rme_trace_op(t, 9)->u.access.addr, slots),
	                  UINT64_MAX - 0xfff);

	printed = print_trace(t, 0);
	line = strstr(printed, "read");
	for (unsigned i = 0; i < sizeof canonical / sizeof *canonical; i++) {
		ck_assert_ptr_nonnull(line);
		ck_assert_msg(strncmp(line, canonical[i], strlen(canonical[i])) == 0 &&
		              line[strlen(canonical[i])] == '\n',
		              "line %u: got %.30s, expected %s", i, line, canonical[i]);
		line = strchr(line, '\n') + 1;
	}
	ck_assert_str_eq(line, "");
	free(printed);
	rme_trace_free(t);
}
END_TEST

START_TEST(test_relative_results)
{
	rme_trace_t *t = parse_ok(
		"rmemu-trace 1\n"
		"mmap-area 0x100000000 1G\n"
		"base = mmap 0 64K rw- private|anon -> ok\n"
		"left = mmap base-0x1000 4K rw- private|anon|noreplace -> base-0x1000\n"
		"mid = mmap base+0x2000 4K r-- private|anon|fixed -> base+0x2000\n"
		"same = mremap mid 4K 4K -> mid\n"
		"zero = mremap mid 4K 4K -> mid-0\n"
		"number = mmap 0 4K rw- private|anon -> 0x13fff0000\n");
	uint64_t slots[16] = { 0 };
	int base = rme_trace_slot_find(t, "base", 4), mid = rme_trace_slot_find(t, "mid", 3);
	char *printed;

	ck_assert(!rme_trace_op(t, 0)->expected.relative);
	ck_assert_int_eq(rme_trace_op(t, 1)->expected.kind, RME_TRACE_RESULT_VALUE);
	ck_assert(rme_trace_op(t, 1)->expected.relative);
	ck_assert_uint_eq(rme_trace_op(t, 1)->expected.value, 0);   /* known only when it runs */
	ck_assert_addr(&rme_trace_op(t, 1)->expected.expr, base, 1, 0x1000);
	ck_assert_addr(&rme_trace_op(t, 2)->expected.expr, base, 0, 0x2000);
	ck_assert_addr(&rme_trace_op(t, 3)->expected.expr, mid, 0, 0);
	/* mid-0 is mid, as in other address expressions */
	ck_assert_mem_eq(&rme_trace_op(t, 4)->expected, &rme_trace_op(t, 3)->expected,
	                 sizeof(rme_trace_result_t));
	/* a number stays a number, and its expression stays zero */
	ck_assert(!rme_trace_op(t, 5)->expected.relative);
	ck_assert_uint_eq(rme_trace_op(t, 5)->expected.value, 0x13fff0000);
	ck_assert_addr(&rme_trace_op(t, 5)->expected.expr, 0, 0, 0);

	slots[base] = 0x13fff0000;
	slots[mid] = 0x13fff2000;
	ck_assert_uint_eq(rme_trace_result_value(&rme_trace_op(t, 1)->expected, slots), 0x13ffef000);
	ck_assert_uint_eq(rme_trace_result_value(&rme_trace_op(t, 3)->expected, slots), 0x13fff2000);
	ck_assert_uint_eq(rme_trace_result_value(&rme_trace_op(t, 5)->expected, slots), 0x13fff0000);

	/* the canonical printer keeps the relative form */
	printed = print_trace(t, 0);
	ck_assert_ptr_nonnull(strstr(printed, "noreplace -> base-0x1000\n"));
	ck_assert_ptr_nonnull(strstr(printed, "fixed -> base+0x2000\n"));
	ck_assert_ptr_nonnull(strstr(printed, "same = mremap mid 0x1000 0x1000 -> mid\n"));
	ck_assert_ptr_nonnull(strstr(printed, "zero = mremap mid 0x1000 0x1000 -> mid\n"));
	free(printed);
	assert_round_trip(t);
	rme_trace_free(t);
}
END_TEST

START_TEST(test_numbers)
{
	static const struct {
		const char *text;
		uint64_t value;
	} sizes[] = {
		{ "0", 0 }, { "4096", 4096 }, { "00017", 17 }, { "0x1000", 4096 },
		{ "0xABCDEF", 0xabcdef }, { "0xaBcD", 0xabcd }, { "1K", 1024 },
		{ "3M", 3u << 20 }, { "2G", 2ull << 30 }, { "5T", 5ull << 40 },
		{ "0K", 0 }, { "16777215T", 16777215ull << 40 },
		{ "18446744073709551615", UINT64_MAX },
		{ "0xffffffffffffffff", UINT64_MAX },
		{ "0x00000000000000000000001", 1 },   /* leading zeros are no overflow */
	};
	char line[128];

	for (unsigned i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		rme_trace_t *t;
		const rme_trace_op_t *op;

		snprintf(line, sizeof line, "x = ram-alloc %s\n", sizes[i].text);
		op = one_op(&t, line);
		ck_assert_msg(op->u.size == sizes[i].value, "%s", sizes[i].text);
		rme_trace_free(t);
	}
}
END_TEST

START_TEST(test_checks)
{
	rme_trace_t *t = parse_ok(
		"rmemu-trace 1\n"
		"expect-quota ram=4M caps=10\n"
		"expect-quota ram<=0x1000\n"
		"expect-quota caps<=5\n"
		"expect-quota caps=3 ram<=1K\n"
		"expect-leak-free\n"
		"expect-mappings 65530\n");
	const rme_trace_quota_t *q;
	char *printed;

	q = &rme_trace_op(t, 0)->u.expect_quota;
	ck_assert_int_eq(rme_trace_op(t, 0)->kind, RME_TRACE_OP_EXPECT_QUOTA);
	ck_assert(q->has_ram && !q->ram_at_most && q->ram == 4u << 20);
	ck_assert(q->has_caps && !q->caps_at_most && q->caps == 10);
	q = &rme_trace_op(t, 1)->u.expect_quota;
	ck_assert(q->has_ram && q->ram_at_most && q->ram == 0x1000 && !q->has_caps);
	q = &rme_trace_op(t, 2)->u.expect_quota;
	ck_assert(!q->has_ram && q->has_caps && q->caps_at_most && q->caps == 5);
	q = &rme_trace_op(t, 3)->u.expect_quota;
	ck_assert(q->has_ram && q->ram_at_most && q->ram == 1024);
	ck_assert(q->has_caps && !q->caps_at_most && q->caps == 3);
	ck_assert_int_eq(rme_trace_op(t, 4)->kind, RME_TRACE_OP_EXPECT_LEAK_FREE);
	ck_assert_int_eq(rme_trace_op(t, 5)->kind, RME_TRACE_OP_EXPECT_MAPPINGS);
	ck_assert_uint_eq(rme_trace_op(t, 5)->u.count, 65530);

	printed = print_trace(t, 0);
	ck_assert_str_eq(printed,
		"rmemu-trace 1\n"
		"expect-quota ram=0x400000 caps=10\n"
		"expect-quota ram<=0x1000\n"
		"expect-quota caps<=5\n"
		"expect-quota ram<=0x400 caps=3\n"
		"expect-leak-free\n"
		"expect-mappings 65530\n");
	free(printed);
	rme_trace_free(t);
}
END_TEST

START_TEST(test_layout)
{
	/* Tabs, comments glued to tokens, keywords as names, no final LF. */
	rme_trace_t *t = parse_ok(
		"\n\n# one\n   # two\n"
		"rmemu-trace 1#header\n"
		"\t\n"
		"read\t=\tram-alloc\t4K#four\n"
		"ok = rm-create 4K\n"
		"attach  ok   read ->   ok   # spaces\n"
		"ram-free read");
	char *printed;

	ck_assert_uint_eq(rme_trace_op_count(t), 4);
	ck_assert_uint_eq(rme_trace_op(t, 0)->line, 7);
	ck_assert_int_eq(rme_trace_op(t, 0)->kind, RME_TRACE_OP_RAM_ALLOC);
	ck_assert_str_eq(rme_trace_slot_name(t, 1), "read");
	ck_assert_int_eq(rme_trace_op(t, 2)->u.attach.rm, 2);
	ck_assert_int_eq(rme_trace_op(t, 2)->u.attach.ds, 1);
	ck_assert_uint_eq(rme_trace_op(t, 3)->line, 10);
	printed = print_trace(t, 0);
	ck_assert_str_eq(printed,
		"rmemu-trace 1\n"
		"read = ram-alloc 0x1000\n"
		"ok = rm-create 0x1000\n"
		"attach ok read -> ok\n"
		"ram-free read\n");
	free(printed);
	rme_trace_free(t);
}
END_TEST

/* ---- Errors -------------------------------------------------------------- */

typedef struct error_case {
	const char *text;              /* after the header unless it starts with "!" */
	size_t line, col;
	const char *message;
} error_case_t;

#define H "rmemu-trace 1\n"
#define DS "ds = ram-alloc 4K\n"
#define RM "rm = rm-create 1M\n"

static const error_case_t error_cases[] = {
	/* The header. */
	{ "!rmemu-trace 2\n", 1, 13, "expected trace format version 1, found \"2\"" },
	{ "!rmemu-trace\n", 1, 12, "expected trace format version 1, found end of line" },
	{ "!rmemu-trac 1\n", 1, 1, "expected the header \"rmemu-trace 1\", found \"rmemu-trac\"" },
	{ "!rmemu-trace 1 1\n", 1, 15, "expected end of line, found \"1\"" },
	{ "!# comment\nkernel hw\n", 2, 1,
	  "expected the header \"rmemu-trace 1\", found \"kernel\"" },
	{ "!", 1, 1, "expected the header \"rmemu-trace 1\", found end of file" },
	{ "!\n# only a comment\n", 3, 1, "expected the header \"rmemu-trace 1\", found end of file" },
	{ "!# no LF", 1, 8, "expected the header \"rmemu-trace 1\", found end of file" },
	{ "!rmemu-trace 1\r\n", 1, 14,
	  "a Windows line ending (CR LF); rmemu traces end their lines with LF alone" },
	{ "!rmemu-trace 1\nkernel hw  # a comment\r\n", 2, 23,
	  "a Windows line ending (CR LF); rmemu traces end their lines with LF alone" },
	{ "!\x7f" "ELF\x02\x01\x01", 1, 1,
	  "expected the header \"rmemu-trace 1\", found \"\\x7fELF\\x02\\x01\\x01\"" },
	/* Directives. */
	{ DS "kernel hw\n", 3, 1,
	  "directive \"kernel\" must come before the first operation (line 2)" },
	{ "kernel hw\narch x86_64\nkernel nova\n", 4, 1,
	  "duplicate directive \"kernel\" (first on line 2)" },
	{ "kernel plan9\n", 2, 8,
	  "expected a kernel (hw, nova, sel4, foc, okl4 or linux), found \"plan9\"" },
	{ "arch mips\n", 2, 6,
	  "expected an architecture (x86_64, x86_32, arm_v8a or arm_v7a), found \"mips\"" },
	{ "genode 26.2\n", 2, 8, "expected a Genode release from 20.05 to 26.02 (YY.02, YY.05, "
	  "YY.08 or YY.11), found \"26.2\"" },
	{ "genode 99.99\n", 2, 8, "expected a Genode release from 20.05 to 26.02 (YY.02, YY.05, "
	  "YY.08 or YY.11), found \"99.99\"" },
	{ "genode 23.07\n", 2, 8, "expected a Genode release from 20.05 to 26.02 (YY.02, YY.05, "
	  "YY.08 or YY.11), found \"23.07\"" },
	{ "genode 20.02\n", 2, 8, "expected a Genode release from 20.05 to 26.02 (YY.02, YY.05, "
	  "YY.08 or YY.11), found \"20.02\"" },
	{ "mmap-area 0xfffffffffff00000 1M\n", 2, 30,
	  "the mmap-area [0xfffffffffff00000, +0x100000) wraps around the end of the address space" },
	{ "quota\n", 2, 6, "expected ram= or caps=, found end of line" },
	{ "quota ram<=4M\n", 2, 7, "expected ram= or caps=, found \"ram<=4M\"" },
	{ "quota ram=1M caps=1 ram=2M\n", 2, 21, "\"ram\" given twice" },
	{ "mmap-area 0x1000\n", 2, 17, "expected a size, found end of line" },
	{ "map-count-max many\n", 2, 15, "expected a count, found \"many\"" },
	{ "policy Rmemu\n", 2, 8, "expected an mmap policy (rmemu, genode-libc, libc-alloc-at), found \"Rmemu\"" },
	{ "policy genode-\n", 2, 8, "expected an mmap policy (rmemu, genode-libc, libc-alloc-at), found \"genode-\"" },
	{ "policy -libc\n", 2, 8, "expected an mmap policy (rmemu, genode-libc, libc-alloc-at), found \"-libc\"" },
	{ "policy nonsense\n", 2, 8, "expected an mmap policy (rmemu, genode-libc, libc-alloc-at), found \"nonsense\"" },
	{ "kernel hw -> ok\n", 2, 11, "expected end of line, found \"->\"" },
	{ "x = kernel hw\n", 2, 5,
	  "expected an operation that yields a value after \"=\", found \"kernel\"" },
	/* Keywords and names. */
	{ "  frobnicate 1\n", 2, 3, "expected an operation or directive, found \"frobnicate\"" },
	{ "Read 0\n", 2, 1, "expected an operation or directive, found \"Read\"" },
	{ "x = frob\n", 2, 5, "expected an operation after \"=\", found \"frob\"" },
	{ "x =\n", 2, 4, "expected an operation after \"=\", found end of line" },
	{ "read nothing+0x10\n", 2, 6, "unbound name \"nothing\"" },
	{ "read mmap_area\n", 2, 6,
	  "unbound name \"mmap_area\" (it needs an mmap-area directive)" },
	{ DS DS, 3, 1, "name \"ds\" is already bound (on line 2)" },
	{ "env = rm-create 4K\n", 2, 1, "name \"env\" is reserved" },
	{ "mmap-area 0 4K\nmmap_area = rm-create 4K\n", 3, 1, "name \"mmap_area\" is reserved" },
	{ "Ds = ram-alloc 4K\n", 2, 1, "expected a name, found \"Ds\"" },
	{ "ram-alloc 4K\n", 2, 1, "expected \"NAME =\" before \"ram-alloc\"" },
	{ "x = detach env 0\n", 2, 5,
	  "expected an operation that yields a value after \"=\", found \"detach\"" },
	/* Names of the wrong kind. */
	{ DS "attach ds ds\n", 3, 8, "expected a region map name, found \"ds\" (a dataspace)" },
	{ "attach env env\n", 2, 12, "expected a dataspace name, found \"env\" (a region map)" },
	{ "ram-free env\n", 2, 10, "expected a dataspace name, found \"env\" (a region map)" },
	{ RM "read rm+4\n", 3, 6, "expected an address name, found \"rm\" (a region map)" },
	{ DS "fault ds\n", 3, 7, "expected a region map name, found \"ds\" (a dataspace)" },
	{ DS "attach env 0x1000\n", 3, 12, "expected a dataspace name, found \"0x1000\"" },
	/* Numbers. */
	{ "ds = ram-alloc 16Q\n", 2, 16, "expected a size, found \"16Q\"" },
	{ "ds = ram-alloc 99999999999999999999\n", 2, 16,
	  "expected a size, found \"99999999999999999999\" (more than 64 bits)" },
	{ "ds = ram-alloc 0xffffffffffffffffff\n", 2, 16,
	  "expected a size, found \"0xffffffffffffffffff\" (more than 64 bits)" },
	/* 17 hex digits whose first is 1: one bit too many, however small the rest */
	{ "read 0x10000000000000000\n", 2, 6,
	  "expected an address, found \"0x10000000000000000\" (more than 64 bits)" },
	{ "ds = ram-alloc 16777216T\n", 2, 16,
	  "expected a size, found \"16777216T\" (more than 64 bits)" },
	{ "ds = ram-alloc 0x10K\n", 2, 16, "expected a size, found \"0x10K\" "
	  "(only a decimal number takes a K, M, G or T suffix)" },
	{ "ds = ram-alloc 0X10\n", 2, 16, "expected a size, found \"0X10\"" },
	{ "ds = ram-alloc 0x\n", 2, 16, "expected a size, found \"0x\"" },
	{ "ds = ram-alloc K\n", 2, 16, "expected a size, found \"K\"" },
	{ "ds = ram-alloc -1\n", 2, 16, "expected a size, found \"-1\"" },
	{ "ds = ram-alloc 4k\n", 2, 16, "expected a size, found \"4k\"" },
	{ "ds = ram-alloc\n", 2, 15, "expected a size, found end of line" },
	{ DS "attach env ds size=16777216T\n", 3, 20,
	  "expected a size, found \"16777216T\" (more than 64 bits)" },
	{ "read 4K\n", 2, 6, "expected an address, found \"4K\"" },
	{ "read 0x1000+4\n", 2, 6, "expected an address, found \"0x1000+4\"" },
	{ DS "a = attach env ds\nread a+0x1Q\n", 4, 8, "expected an offset, found \"0x1Q\"" },
	{ DS "a = attach env ds\nread a+\n", 4, 6, "expected an address, found \"a+\"" },
	{ DS "a = attach env ds\nread a*2\n", 4, 6, "expected an address, found \"a*2\"" },
	{ "write 0x1000 0x100\n", 2, 14, "expected a byte, found \"0x100\" (too large)" },
	{ "expect-mappings 1K\n", 2, 17, "expected a count, found \"1K\"" },
	/* Rights and flags. */
	{ DS "attach env ds rwz\n", 3, 15, "expected rights like \"rw-\", found \"rwz\"" },
	{ DS "attach env ds wr-\n", 3, 15, "expected rights like \"rw-\", found \"wr-\"" },
	{ "mprotect 0 4K rwxx\n", 2, 15, "expected rights like \"rw-\", found \"rwxx\"" },
	{ "mmap 0 4K rw- privte|anon\n", 2, 15,
	  "expected a map flag like private or anon, found \"privte\"" },
	{ "mmap 0 4K rw- private|Anon\n", 2, 23,
	  "expected a map flag like private or anon, found \"Anon\"" },
	{ "mmap 0 4K rw- private||anon\n", 2, 15,
	  "expected a map flag like private or anon, found \"private||anon\"" },
	{ "mmap 0 4K rw-\n", 2, 14, "expected a map flag like private or anon, found end of line" },
	{ "madvise 0 4K sometimes\n", 2, 14,
	  "expected normal, dontneed, free or willneed, found \"sometimes\"" },
	/* Options. */
	{ DS "attach env ds at=0x1000 at=0x2000\n", 3, 25, "\"at=\" given twice" },
	{ DS "attach env ds rw- r--\n", 3, 19, "second rights string \"r--\"" },
	{ DS "attach env ds where=0\n", 3, 15,
	  "expected size=, offset=, at=, rights or \"->\", found \"where=0\"" },
	{ "mmap 0 4K rw- private off=4K\n", 2, 23, "\"off=\" needs \"fd=\"" },
	{ "mmap 0 4K rw- private fd=2147483648 off=0\n", 2, 26,
	  "expected a file descriptor, found \"2147483648\" (too large)" },
	{ "mremap 0 4K 8K maymove maymove\n", 2, 24, "\"maymove\" given twice" },
	{ "mremap 0 4K 8K movable\n", 2, 16,
	  "expected maymove, fixed, fixed= or \"->\", found \"movable\"" },
	{ "mremap 0 4K 8K fixed fixed=0\n", 2, 22, "\"fixed\" given twice" },
	{ "mremap 0 4K 8K fixed maymove\n", 2, 16,
	  "\"fixed\" without an address cannot go with maymove (a move needs its target)" },
	/* The mapping type, the bits without a name, the flags of msync and the locks. */
	{ "mmap 0 4K rw- private|shared\n", 2, 23, "a second mapping type \"shared\"" },
	{ "mmap 0 4K rw- notype|shared_validate fd=3\n", 2, 22,
	  "a second mapping type \"shared_validate\"" },
	{ "mmap 0 4K rw- private|0x20\n", 2, 23, "expected a map flag like private or anon, "
	  "found \"0x20\" (a bit that has a name goes by its name)" },
	{ "mmap 0 4K rw- anon|0x3\n", 2, 15, "expected a map flag like private or anon, "
	  "found \"anon|0x3\" (a mapping type 1 to 3 goes by its name)" },
	{ "mmap 0 4K rw- shared|0x8 fd=3\n", 2, 15, "expected a map flag like private or anon, "
	  "found \"shared|0x8\" (the number gives a mapping type too)" },
	{ "mmap 0 4K rw- shared|0x400|0x40 fd=3\n", 2, 28,
	  "a second number \"0x40\" (write the bits without a name as one)" },
	{ "mmap 0 4K rw- shared|0x100000000 fd=3\n", 2, 22, "expected a map flag like private or "
	  "anon, found \"0x100000000\" (more than 32 bits)" },
	{ "msync 0 4K sync|flush\n", 2, 17, "expected msync flags like sync, found \"flush\"" },
	{ "msync 0 4K sync|0x4\n", 2, 17,
	  "expected msync flags like sync, found \"0x4\" (a bit that has a name goes by its name)" },
	{ "mlock 0 4K current\n", 2, 12, "expected mlock flags like onfault, found \"current\"" },
	{ "munlock 0 4K onfault\n", 2, 14, "expected \"->\" or end of line, found \"onfault\"" },
	{ "mlockall\n", 2, 9, "expected mlockall flags like current, found end of line" },
	{ "mlockall -> 0\n", 2, 10, "expected mlockall flags like current, found \"->\"" },
	{ "munlockall 0\n", 2, 12, "expected \"->\" or end of line, found \"0\"" },
	{ "expect-quota ram<=4K ram=3\n", 2, 22, "\"ram\" given twice" },
	{ "expect-quota rams=3\n", 2, 14,
	  "expected ram=, ram<=, caps= or caps<=, found \"rams=3\"" },
	{ "expect-quota\n", 2, 13, "expected ram=, ram<=, caps= or caps<=, found end of line" },
	/* Trailing junk and results. */
	{ "detach env 0x1000 junk\n", 2, 19, "expected \"->\" or end of line, found \"junk\"" },
	{ "detach env 0x1000 ->\n", 2, 21, "expected a result after \"->\", found end of line" },
	{ "detach env 0x1000 -> ok ok\n", 2, 25, "expected end of line, found \"ok\"" },
	{ "detach env 0x1000 => ok\n", 2, 19, "expected \"->\" or end of line, found \"=>\"" },
	{ "expect-leak-free -> ok\n", 2, 18, "expected end of line, found \"->\"" },
	{ "expect-leak-free now\n", 2, 18, "expected end of line, found \"now\"" },
	{ "mmap 0 4K rw- private|anon -> error OUT_OF_RAM\n", 2, 31,
	  "expected a result of mmap (an address (NUMBER, NAME, NAME+NUMBER or NAME-NUMBER), "
	  "ok or errno ENAME), found \"error\"" },
	{ "x = ram-alloc 4K -> errno ENOMEM\n", 2, 21,
	  "expected a result of ram-alloc (ok or error NAME), found \"errno\"" },
	{ "x = ram-alloc 4K -> 0x1000\n", 2, 21,
	  "expected a result of ram-alloc (ok or error NAME), found \"0x1000\"" },
	{ "read 0 -> 0x100\n", 2, 11,
	  "expected a result of read (a byte, ok, fault, unhandled or error NAME), found \"0x100\"" },
	{ "write 0 1 -> 0x1\n", 2, 14,
	  "expected a result of write (ok, fault, unhandled or error NAME), found \"0x1\"" },
	{ "munmap 0 4K -> 5\n", 2, 16,
	  "expected a result of munmap (0, ok or errno ENAME), found \"5\"" },
	{ "mmap 0 4K rw- private -> 99999999999999999999\n", 2, 26,
	  "expected a result of mmap (an address (NUMBER, NAME, NAME+NUMBER or NAME-NUMBER), "
	  "ok or errno ENAME), found \"99999999999999999999\"" },
	/* Address results relative to a name: only where an address is the result. */
	{ "mmap 0 4K rw- private -> nothere\n", 2, 26,
	  "expected a result of mmap (an address (NUMBER, NAME, NAME+NUMBER or NAME-NUMBER), "
	  "ok or errno ENAME), found \"nothere\"" },
	{ "m = mmap 0 4K rw- private -> m+0x1000\n", 2, 30,
	  "expected a result of mmap (an address (NUMBER, NAME, NAME+NUMBER or NAME-NUMBER), "
	  "ok or errno ENAME), found \"m+0x1000\"" },
	{ "m = mmap 0 4K rw- private\nmremap m 4K 8K -> m+\n", 3, 19, "expected an address, found \"m+\"" },
	{ "m = mmap 0 4K rw- private\nmremap m 4K 8K -> m+4K\n", 3, 21,
	  "expected an offset, found \"4K\"" },
	{ "m = mmap 0 4K rw- private\nmunmap m 4K -> m\n", 3, 16,
	  "expected a result of munmap (0, ok or errno ENAME), found \"m\"" },
	{ "m = mmap 0 4K rw- private\nread m -> m\n", 3, 11,
	  "expected a result of read (a byte, ok, fault, unhandled or error NAME), found \"m\"" },
	{ DS "attach env ds -> ds\n", 3, 18, "expected an address name, found \"ds\" (a dataspace)" },
	{ "mmap-area 0x100000000 1G\n" DS "attach mmap_area ds -> mmap_area\n", 4, 24,
	  "expected an address name, found \"mmap_area\" (a region map)" },
	{ "m = mmap 0 4K rw- private\nmmap m 4K rw- private -> m ok\n", 3, 28,
	  "expected end of line, found \"ok\"" },
	{ "fault env -> ok\n", 2, 14, "expected a result of fault "
	  "(NONE, READ ADDR, WRITE ADDR, EXEC ADDR or error NAME), found \"ok\"" },
	{ "fault env -> READ\n", 2, 18, "expected an address, found end of line" },
	{ "read 0 -> fault env\n", 2, 20, "expected READ, WRITE or EXEC, found end of line" },
	{ "read 0 -> fault env FOO 0x1\n", 2, 21, "expected READ, WRITE or EXEC, found \"FOO\"" },
	{ "read 0 -> unhandled env NONE 0x1\n", 2, 25, "expected READ, WRITE or EXEC, found \"NONE\"" },
	{ "read 0 -> fault nothing READ 0x1\n", 2, 17, "unbound name \"nothing\"" },
	{ "read 0 -> unhandled env READ here\n", 2, 30, "expected an address, found \"here\"" },
	{ "read 0 -> error NOPE\n", 2, 17, "expected an error name like OUT_OF_RAM, found \"NOPE\"" },
	{ "read 0 -> error OK\n", 2, 17, "expected an error name like OUT_OF_RAM, found \"OK\"" },
	{ "read 0 -> error\n", 2, 16, "expected an error name like OUT_OF_RAM, found end of line" },
	{ "munmap 0 4K -> errno enomem\n", 2, 22, "expected an errno name like ENOMEM, found \"enomem\"" },
	{ "munmap 0 4K -> errno E\n", 2, 22, "expected an errno name like ENOMEM, found \"E\"" },
	/* One longer than ENOTRECOVERABLE, the longest errno name there is. */
	{ "munmap 0 4K -> errno ENOTRECOVERABLEX\n", 2, 22,
	  "expected an errno name like ENOMEM, found \"ENOTRECOVERABLEX\"" },
	{ "read 0 -> maybe\n", 2, 11, "expected a result of read "
	  "(a byte, ok, fault, unhandled or error NAME), found \"maybe\"" },
};

START_TEST(test_errors)
{
	const error_case_t *c = &error_cases[_i];
	text_t text = { 0 };

	if (c->text[0] == '!')
		text_put(&text, c->text + 1, strlen(c->text + 1));
	else
		text_printf(&text, H "%s", c->text);
	assert_parse_error(text.data ? text.data : "", text.len, c->line, c->col,
	                       c->message);
	free(text.data);
}
END_TEST

START_TEST(test_nul_bytes)
{
	static const char nul_in_address[] = H "read 0x10\0\n";
	static const char nul_in_kernel[] = H "kernel hw\0\n";
	static const char nul_in_error[] = H "read 0 -> error OUT_OF_RAM\0\n";
	static const char nul_in_comment[] = H "read 0 # a\0b\n";
	rme_trace_t *t;

	/* A NUL is an ordinary byte of a token, not its end. */
	assert_parse_error(nul_in_address, sizeof nul_in_address - 1, 2, 6,
	                       "expected an address, found \"0x10\\x00\"");
	assert_parse_error(nul_in_kernel, sizeof nul_in_kernel - 1, 2, 8,
	                       "expected a kernel (hw, nova, sel4, foc, okl4 or linux), "
	                       "found \"hw\\x00\"");
	assert_parse_error(nul_in_error, sizeof nul_in_error - 1, 2, 17,
	                       "expected an error name like OUT_OF_RAM, found \"OUT_OF_RAM\\x00\"");
	assert_parse_error("\0", 1, 1, 1,
	                       "expected the header \"rmemu-trace 1\", found \"\\x00\"");
	t = parse_len_ok(nul_in_comment, sizeof nul_in_comment - 1);
	ck_assert_uint_eq(rme_trace_op_count(t), 1);
	rme_trace_free(t);
}
END_TEST

enum { BIG = 2 << 20 };                /* a line of 2 MB */

START_TEST(test_long_lines)
{
	text_t text = { 0 };
	char *big = malloc(BIG);
	char want[128];
	rme_trace_t *t;
	char *printed;

	ck_assert_ptr_nonnull(big);

	/* A 2 MB comment is skipped. */
	memset(big, 'c', BIG);
	text_put(&text, H "#", strlen(H "#"));
	text_put(&text, big, BIG);
	text_put(&text, "\nds = ram-alloc 4K\n", 19);
	t = parse_len_ok(text.data, text.len);
	ck_assert_uint_eq(rme_trace_op(t, 0)->line, 3);
	rme_trace_free(t);

	/* 2 MB of blanks put the error 2 MB to the right. */
	text.len = 0;
	memset(big, ' ', BIG);
	text_put(&text, H, strlen(H));
	text_put(&text, big, BIG);
	text_put(&text, "frob\n", 5);
	assert_parse_error(text.data, text.len, 2, BIG + 1,
	                       "expected an operation or directive, found \"frob\"");

	/* A 2 MB token is quoted only in part. */
	text.len = 0;
	memset(big, 'z', BIG);
	text_put(&text, H, strlen(H));
	text_put(&text, big, BIG);
	snprintf(want, sizeof want,
	         "expected an operation or directive, found \"%.40s...\"", big);
	assert_parse_error(text.data, text.len, 2, 1, want);

	/* A 2 MB name is a name like any other. */
	text.len = 0;
	text_put(&text, H, strlen(H));
	text_put(&text, big, BIG);
	text_put(&text, " = ram-alloc 4K\nram-free ", 25);
	text_put(&text, big, BIG);
	text_put(&text, "\n", 1);
	t = parse_len_ok(text.data, text.len);
	ck_assert_uint_eq(strlen(rme_trace_slot_name(t, 1)), BIG);
	ck_assert_int_eq(rme_trace_op(t, 1)->u.slot, 1);
	printed = print_trace(t, 0);
	ck_assert_uint_eq(strlen(printed), strlen(H) + 2 * BIG + strlen(" = ram-alloc 0x1000\nram-free \n"));
	free(printed);
	rme_trace_free(t);

	/* A 2 MB number: leading zeros are fine, nines overflow. */
	text.len = 0;
	memset(big, '0', BIG);
	text_put(&text, H "ds = ram-alloc ", strlen(H "ds = ram-alloc "));
	text_put(&text, big, BIG);
	text_put(&text, "1\n", 2);
	t = parse_len_ok(text.data, text.len);
	ck_assert_uint_eq(rme_trace_op(t, 0)->u.size, 1);
	rme_trace_free(t);
	text.len = 0;
	memset(big, '9', BIG);
	text_put(&text, H "ds = ram-alloc ", strlen(H "ds = ram-alloc "));
	text_put(&text, big, BIG);
	snprintf(want, sizeof want, "expected a size, found \"%.40s...\" (more than 64 bits)", big);
	assert_parse_error(text.data, text.len, 2, 16, want);

	free(big);
	free(text.data);
}
END_TEST

/* ---- Random traces ------------------------------------------------------- */

typedef struct rng {
	uint64_t state;
} rng_t;

/* xorshift64*: small, fast, and the same sequence everywhere. */
static uint64_t
rng_next(rng_t *r)
{
	r->state ^= r->state >> 12;
	r->state ^= r->state << 25;
	r->state ^= r->state >> 27;
	return r->state * 2685821657736338717ull;
}

static unsigned
rng_below(rng_t *r, unsigned n)
{
	return (unsigned)(rng_next(r) % n);
}

static int
rng_one_in(rng_t *r, unsigned n)
{
	return rng_below(r, n) == 0;
}

static void
rng_seed(rng_t *r, uint64_t seed)
{
	r->state = seed * 0x9e3779b97f4a7c15ull + 1;
}

enum { GEN_MAX_NAMES = 512, GEN_NAME_LEN = 24 };

/* A generator of random valid traces; it tracks the names of each kind. */
typedef struct gen {
	rng_t rng;
	text_t out;
	char names[4][GEN_MAX_NAMES][GEN_NAME_LEN];   /* by rme_trace_slot_kind_t */
	unsigned count[4];
	unsigned serial;
	unsigned ops_seen[RME_TRACE_OP_COUNT_];
} gen_t;

static gen_t *
gen_new(uint64_t seed)
{
	gen_t *g = calloc(1, sizeof *g);

	ck_assert_ptr_nonnull(g);
	rng_seed(&g->rng, seed);
	text_put(&g->out, "", 0);
	strcpy(g->names[RME_TRACE_SLOT_REGION_MAP][0], "env");
	g->count[RME_TRACE_SLOT_REGION_MAP] = 1;
	return g;
}

static void
gen_free(gen_t *g)
{
	free(g->out.data);
	free(g);
}

static void
gen_str(gen_t *g, const char *s)
{
	text_put(&g->out, s, strlen(s));
}

static void
gen_blank(gen_t *g)
{
	static const char *const blanks[] = { " ", " ", " ", " ", "\t", "  ", " \t " };

	gen_str(g, blanks[rng_below(&g->rng, 7)]);
}

/* A number in one of its spellings; sizes may get a K, M, G or T suffix. */
static void
gen_number(gen_t *g, uint64_t v, int allow_suffix)
{
	static const char suffixes[] = "KMGT";
	unsigned form = rng_below(&g->rng, 4);

	if (allow_suffix && v && rng_one_in(&g->rng, 2)) {
		for (int s = 3; s >= 0; s--) {
			unsigned shift = 10u * (unsigned)(s + 1);

			if (v % (1ull << shift) == 0) {
				text_printf(&g->out, "%llu%c", (unsigned long long)(v >> shift),
				            suffixes[s]);
				return;
			}
		}
	}
	if (form == 0)
		text_printf(&g->out, "%llu", (unsigned long long)v);
	else if (form == 1)
		text_printf(&g->out, "0x%llx", (unsigned long long)v);
	else if (form == 2)
		text_printf(&g->out, "0x%llX", (unsigned long long)v);
	else
		text_printf(&g->out, "0x000%llx", (unsigned long long)v);
}

static uint64_t
gen_value(gen_t *g)
{
	switch (rng_below(&g->rng, 6)) {
	case 0:  return 0;
	case 1:  return rng_below(&g->rng, 4096);
	case 2:  return (uint64_t)rng_below(&g->rng, 1u << 20) << 12;
	case 3:  return (uint64_t)rng_below(&g->rng, 64) << 30;
	case 4:  return UINT64_MAX;
	default: return rng_next(&g->rng);
	}
}

static void
gen_size(gen_t *g)
{
	gen_number(g, gen_value(g), 1);
}

/* A random bound name of kind, or NULL if there is none. */
static const char *
gen_pick(gen_t *g, rme_trace_slot_kind_t kind)
{
	if (!g->count[kind])
		return NULL;
	return g->names[kind][rng_below(&g->rng, g->count[kind])];
}

/* A fresh name; it becomes usable by gen_bind() once its line is done. */
static const char *
gen_fresh_name(gen_t *g, char *buf)
{
	static const char *const stems[] = { "n", "_", "ds", "rm", "read", "ok", "a_b", "x9_" };

	snprintf(buf, GEN_NAME_LEN, "%s%u", stems[rng_below(&g->rng, 8)], g->serial++);
	return buf;
}

static void
gen_bind(gen_t *g, rme_trace_slot_kind_t kind, const char *name)
{
	if (g->count[kind] < GEN_MAX_NAMES)
		strcpy(g->names[kind][g->count[kind]++], name);
}

static void
gen_addr(gen_t *g)
{
	const char *name = gen_pick(g, RME_TRACE_SLOT_ADDRESS);

	if (!name || rng_one_in(&g->rng, 2)) {
		gen_number(g, gen_value(g), 0);
		return;
	}
	gen_str(g, name);
	if (rng_one_in(&g->rng, 3))
		return;
	gen_str(g, rng_one_in(&g->rng, 2) ? "+" : "-");
	gen_number(g, gen_value(g), 0);
}

static void
gen_rights(gen_t *g)
{
	char rights[4] = {
		rng_one_in(&g->rng, 2) ? 'r' : '-',
		rng_one_in(&g->rng, 2) ? 'w' : '-',
		rng_one_in(&g->rng, 2) ? 'x' : '-', 0
	};

	gen_str(g, rights);
}

static void
gen_map_flags(gen_t *g)
{
	static const char *const types[] = { "private", "shared", "shared_validate", "notype" };
	static const char *const flags[] = {
		"anon", "fixed", "noreplace", "noreserve", "populate", "stack", "growsdown", "locked"
	};
	/* bits without a name: unknown ones, MAP_SYNC, MAP_32BIT, a type value of its own */
	static const char *const numbers[] = { "0x400", "0x80000", "0x40", "0x8", "1024" };
	unsigned n = rng_below(&g->rng, 4), parts = 0;
	unsigned type = rng_below(&g->rng, 5);   /* 4: none */
	int number = rng_one_in(&g->rng, 4);
	unsigned which = rng_below(&g->rng, 5);

	if (type < 4) {
		gen_str(g, types[type]);
		parts++;
	}
	for (unsigned i = 0; i < n; i++) {
		if (parts++)
			gen_str(g, "|");
		gen_str(g, flags[rng_below(&g->rng, 8)]);
	}
	/* a type value in the number only where no name gives one */
	if (number && !(which == 3 && type < 4)) {
		if (parts++)
			gen_str(g, "|");
		gen_str(g, numbers[which]);
	}
	if (!parts)
		gen_str(g, "notype");
}

/* Flags of msync, mlock or mlockall: some of the names, maybe a number; "0" for none. */
static void
gen_bit_flags(gen_t *g, const char *const *names, unsigned count, const char *number)
{
	unsigned parts = 0;

	for (unsigned i = 0; i < count; i++) {
		if (!rng_one_in(&g->rng, 2))
			continue;
		if (parts++)
			gen_str(g, "|");
		gen_str(g, names[i]);
	}
	if (rng_one_in(&g->rng, 4) || !parts) {
		if (parts++)
			gen_str(g, "|");
		gen_str(g, rng_one_in(&g->rng, 3) ? "0" : number);
	}
}

static const char *const errno_names[] = {
	"ENOMEM", "EINVAL", "EEXIST", "EFAULT", "EOVERFLOW", "EACCES", "EBADF",
	"EOPNOTSUPP", "ENOSYS", "EAGAIN", "EPERM", "ENODEV", "ETXTBSY", "E2BIG"
};

static void
gen_fault_result(gen_t *g, const char *form)
{
	static const char *const types[] = { "READ", "WRITE", "EXEC" };

	gen_str(g, form);
	if (rng_one_in(&g->rng, 3))
		return;                         /* the bare form */
	gen_blank(g);
	gen_str(g, gen_pick(g, RME_TRACE_SLOT_REGION_MAP));
	gen_blank(g);
	gen_str(g, types[rng_below(&g->rng, 3)]);
	gen_blank(g);
	gen_number(g, gen_value(g), 0);
}

/* A result that fits the operation, or none at all. */
static void
gen_result(gen_t *g, rme_trace_op_kind_t kind)
{
	unsigned pick = rng_below(&g->rng, 6);

	if (kind >= RME_TRACE_OP_EXPECT_QUOTA || rng_one_in(&g->rng, 4))
		return;
	gen_blank(g);
	gen_str(g, "->");
	gen_blank(g);
	switch (kind) {
	case RME_TRACE_OP_MMAP:
	case RME_TRACE_OP_MREMAP:
	case RME_TRACE_OP_MUNMAP:
	case RME_TRACE_OP_MPROTECT:
	case RME_TRACE_OP_MADVISE:
	case RME_TRACE_OP_MSYNC:
	case RME_TRACE_OP_MLOCK:
	case RME_TRACE_OP_MUNLOCK:
	case RME_TRACE_OP_MLOCKALL:
	case RME_TRACE_OP_MUNLOCKALL:
		if (pick < 2) {
			gen_str(g, "errno ");
			gen_str(g, errno_names[rng_below(&g->rng, 14)]);
		} else if (pick < 4) {
			gen_str(g, "ok");
		} else if (kind == RME_TRACE_OP_MMAP || kind == RME_TRACE_OP_MREMAP) {
			gen_addr(g);   /* a number or relative to a name */
		} else {
			gen_number(g, 0, 0);
		}
		return;
	case RME_TRACE_OP_FAULT:
		if (pick < 2)
			gen_str(g, "NONE");
		else if (pick < 5)
			text_printf(&g->out, "%s %llu", pick == 2 ? "READ" : pick == 3 ? "WRITE" : "EXEC",
			            (unsigned long long)gen_value(g));
		else
			text_printf(&g->out, "error %s", rme_err_name(RME_ERR_INVALID_ARGUMENT));
		return;
	case RME_TRACE_OP_READ:
	case RME_TRACE_OP_WRITE:
	case RME_TRACE_OP_EXEC:
		if (pick == 0 && kind == RME_TRACE_OP_READ)
			gen_number(g, rng_below(&g->rng, 256), 0);
		else if (pick < 2)
			gen_str(g, "ok");
		else if (pick < 4)
			gen_fault_result(g, "fault");
		else if (pick < 5)
			gen_fault_result(g, "unhandled");
		else
			text_printf(&g->out, "error %s", rme_err_name(RME_ERR_HOST_NO_MEMORY));
		return;
	default:
		/* The Genode-level operations. */
		if (pick < 2 && kind == RME_TRACE_OP_ATTACH)
			gen_addr(g);
		else if (pick < 4)
			gen_str(g, "ok");
		else
			text_printf(&g->out, "error %s",
			            rme_err_name((rme_err_t)(1 + rng_below(&g->rng, RME_ERR_COUNT_ - 1))));
		return;
	}
}

/* Optional arguments in a random order, each at most once. */
static void
gen_attach_options(gen_t *g)
{
	unsigned order[4] = { 0, 1, 2, 3 };

	for (unsigned i = 3; i > 0; i--) {
		unsigned j = rng_below(&g->rng, i + 1), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
	for (unsigned i = 0; i < 4; i++) {
		if (rng_one_in(&g->rng, 2))
			continue;
		gen_blank(g);
		switch (order[i]) {
		case 0: gen_str(g, "size="); gen_size(g); break;
		case 1: gen_str(g, "offset="); gen_size(g); break;
		case 2: gen_str(g, "at="); gen_addr(g); break;
		default: gen_rights(g); break;
		}
	}
}

/* One operation line, or nothing if the chosen one needs a name that is not there. */
static void
gen_op(gen_t *g)
{
	static const rme_trace_slot_kind_t binds[RME_TRACE_OP_COUNT_] = {
		[RME_TRACE_OP_RAM_ALLOC] = RME_TRACE_SLOT_DATASPACE,
		[RME_TRACE_OP_ROM] = RME_TRACE_SLOT_DATASPACE,
		[RME_TRACE_OP_RM_CREATE] = RME_TRACE_SLOT_REGION_MAP,
		[RME_TRACE_OP_RM_DATASPACE] = RME_TRACE_SLOT_DATASPACE,
		[RME_TRACE_OP_ATTACH] = RME_TRACE_SLOT_ADDRESS,
		[RME_TRACE_OP_MMAP] = RME_TRACE_SLOT_ADDRESS,
		[RME_TRACE_OP_MREMAP] = RME_TRACE_SLOT_ADDRESS,
	};
	rme_trace_op_kind_t kind = (rme_trace_op_kind_t)rng_below(&g->rng, RME_TRACE_OP_COUNT_);
	const char *ds = gen_pick(g, RME_TRACE_SLOT_DATASPACE);
	const char *rm = gen_pick(g, RME_TRACE_SLOT_REGION_MAP);
	char name_buf[GEN_NAME_LEN];
	const char *name = NULL;
	int required = kind == RME_TRACE_OP_RAM_ALLOC || kind == RME_TRACE_OP_ROM ||
	               kind == RME_TRACE_OP_RM_CREATE || kind == RME_TRACE_OP_RM_DATASPACE;

	if (!ds && (kind == RME_TRACE_OP_RAM_FREE || kind == RME_TRACE_OP_ATTACH))
		return;
	if (rng_one_in(&g->rng, 4))
		gen_blank(g);
	if (required || (binds[kind] && rng_one_in(&g->rng, 2))) {
		name = gen_fresh_name(g, name_buf);
		gen_str(g, name);
		gen_blank(g);
		gen_str(g, "=");
		gen_blank(g);
	}
	gen_str(g, rme_trace_op_name(kind));
	switch (kind) {
	case RME_TRACE_OP_RAM_ALLOC:
	case RME_TRACE_OP_ROM:
	case RME_TRACE_OP_RM_CREATE:
		gen_blank(g);
		gen_size(g);
		break;
	case RME_TRACE_OP_RAM_FREE:
		gen_blank(g);
		gen_str(g, ds);
		break;
	case RME_TRACE_OP_RM_DESTROY:
	case RME_TRACE_OP_RM_DATASPACE:
	case RME_TRACE_OP_FAULT_HANDLER:
	case RME_TRACE_OP_FAULT:
		gen_blank(g);
		gen_str(g, rm);
		break;
	case RME_TRACE_OP_ATTACH:
		text_printf(&g->out, " %s %s", rm, ds);
		gen_attach_options(g);
		break;
	case RME_TRACE_OP_DETACH:
		text_printf(&g->out, " %s ", rm);
		gen_addr(g);
		break;
	case RME_TRACE_OP_READ:
	case RME_TRACE_OP_EXEC:
		gen_blank(g);
		gen_addr(g);
		break;
	case RME_TRACE_OP_WRITE:
		gen_blank(g);
		gen_addr(g);
		gen_blank(g);
		gen_number(g, rng_below(&g->rng, 256), 0);
		break;
	case RME_TRACE_OP_MMAP:
		gen_blank(g);
		gen_addr(g);
		gen_blank(g);
		gen_size(g);
		gen_blank(g);
		gen_rights(g);
		gen_blank(g);
		gen_map_flags(g);
		if (rng_one_in(&g->rng, 3)) {
			text_printf(&g->out, " fd=%u", rng_below(&g->rng, 1000));
			if (rng_one_in(&g->rng, 2)) {
				gen_str(g, " off=");
				gen_size(g);
			}
		}
		break;
	case RME_TRACE_OP_MUNMAP:
	case RME_TRACE_OP_MSYNC:
	case RME_TRACE_OP_MPROTECT:
	case RME_TRACE_OP_MADVISE:
	case RME_TRACE_OP_MLOCK:
	case RME_TRACE_OP_MUNLOCK:
		gen_blank(g);
		gen_addr(g);
		gen_blank(g);
		gen_size(g);
		if (kind == RME_TRACE_OP_MPROTECT) {
			gen_blank(g);
			gen_rights(g);
		} else if (kind == RME_TRACE_OP_MADVISE) {
			static const char *const advice[] = { " normal", " dontneed", " free", " willneed" };

			gen_str(g, advice[rng_below(&g->rng, 4)]);
		} else if (kind == RME_TRACE_OP_MSYNC && rng_one_in(&g->rng, 2)) {
			static const char *const names[] = { "async", "invalidate", "sync" };

			gen_blank(g);
			gen_bit_flags(g, names, 3, "0x8");
		} else if (kind == RME_TRACE_OP_MLOCK && rng_one_in(&g->rng, 2)) {
			static const char *const names[] = { "onfault" };

			gen_blank(g);
			gen_bit_flags(g, names, 1, "0x2");
		}
		break;
	case RME_TRACE_OP_MLOCKALL: {
		static const char *const names[] = { "current", "future", "onfault" };

		gen_blank(g);
		gen_bit_flags(g, names, 3, "0x10");
		break;
	}
	case RME_TRACE_OP_MUNLOCKALL:
		break;
	case RME_TRACE_OP_MREMAP:
		gen_blank(g);
		gen_addr(g);
		gen_blank(g);
		gen_size(g);
		gen_blank(g);
		gen_size(g);
		if (rng_one_in(&g->rng, 4)) {
			gen_str(g, " fixed");   /* the target not known: never with maymove */
			break;
		}
		if (rng_one_in(&g->rng, 2)) {
			gen_str(g, " fixed=");
			gen_addr(g);
		}
		if (rng_one_in(&g->rng, 2))
			gen_str(g, " maymove");
		break;
	case RME_TRACE_OP_EXPECT_QUOTA: {
		int ram = rng_one_in(&g->rng, 2), caps = !ram || rng_one_in(&g->rng, 2);

		if (ram) {
			gen_str(g, rng_one_in(&g->rng, 2) ? " ram=" : " ram<=");
			gen_size(g);
		}
		if (caps) {
			gen_str(g, rng_one_in(&g->rng, 2) ? " caps=" : " caps<=");
			gen_number(g, gen_value(g), 0);
		}
		break;
	}
	case RME_TRACE_OP_EXPECT_LEAK_FREE:
		break;
	case RME_TRACE_OP_EXPECT_MAPPINGS:
		gen_blank(g);
		gen_number(g, gen_value(g), 0);
		break;
	case RME_TRACE_OP_COUNT_:
		break;
	}
	gen_result(g, kind);
	if (rng_one_in(&g->rng, 5))
		gen_str(g, rng_one_in(&g->rng, 2) ? " # note" : "#-> ok");
	gen_str(g, "\n");
	if (rng_one_in(&g->rng, 10))
		gen_str(g, rng_one_in(&g->rng, 2) ? "\n" : "# a comment line\n");
	if (name)
		gen_bind(g, binds[kind], name);
	g->ops_seen[kind]++;
}

/* The header and a random set of directives in a random order. */
static void
gen_head(gen_t *g)
{
	unsigned order[7] = { 0, 1, 2, 3, 4, 5, 6 };

	if (rng_one_in(&g->rng, 3))
		gen_str(g, "# a trace\n\n");
	gen_str(g, rng_one_in(&g->rng, 4) ? "  rmemu-trace\t1 # v1\n" : "rmemu-trace 1\n");
	for (unsigned i = 6; i > 0; i--) {
		unsigned j = rng_below(&g->rng, i + 1), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
	for (unsigned i = 0; i < 7; i++) {
		if (rng_one_in(&g->rng, 2))
			continue;
		switch (order[i]) {
		case 0:
			/* a release the model knows: 20.05 and every quarter up to 26.02 */
			{
				unsigned q = 1 + rng_below(&g->rng, 24);

				text_printf(&g->out, "genode %02u.%02u\n", 20 + q / 4, 2 + 3 * (q % 4));
			}
			break;
		case 1:
			text_printf(&g->out, "kernel %s\n",
			            rme_kernel_name((rme_kernel_t)rng_below(&g->rng, 6)));
			break;
		case 2:
			text_printf(&g->out, "arch %s\n",
			            rme_arch_name((rme_arch_t)rng_below(&g->rng, 4)));
			break;
		case 3:
			gen_str(g, "quota");
			if (rng_one_in(&g->rng, 2)) {
				gen_str(g, " ram=");
				gen_size(g);
				if (rng_one_in(&g->rng, 2))
					gen_str(g, " caps=1000");
			} else {
				gen_str(g, " caps=");
				gen_number(g, gen_value(g), 0);
			}
			gen_str(g, "\n");
			break;
		case 4:
			/* an area that does not wrap around (the parser refuses one that does) */
			gen_str(g, "mmap-area ");
			gen_number(g, gen_value(g) >> 1, 0);
			gen_blank(g);
			gen_number(g, gen_value(g) >> 1, 1);
			gen_str(g, "\n");
			strcpy(g->names[RME_TRACE_SLOT_REGION_MAP][g->count[RME_TRACE_SLOT_REGION_MAP]++],
			       "mmap_area");
			break;
		case 5:
			gen_str(g, "map-count-max ");
			gen_number(g, gen_value(g), 0);
			gen_str(g, "\n");
			break;
		default:
			/* the policies there are (rme_mmap_policy_name) */
			gen_str(g, rng_one_in(&g->rng, 3) ? "policy rmemu\n" :
			           rng_one_in(&g->rng, 2) ? "policy libc-alloc-at\n" : "policy genode-libc\n");
			break;
		}
	}
}

static gen_t *
gen_trace(uint64_t seed, unsigned max_ops)
{
	gen_t *g = gen_new(seed);
	unsigned ops = rng_below(&g->rng, max_ops + 1);

	gen_head(g);
	for (unsigned i = 0; i < ops; i++)
		gen_op(g);
	return g;
}

/* Whether two traces hold the same directives, names and operations (line numbers aside). */
static void
assert_same_trace(const rme_trace_t *a, const rme_trace_t *b)
{
	const rme_trace_directives_t *da = rme_trace_directives(a), *db = rme_trace_directives(b);

	ck_assert_int_eq(da->has_genode, db->has_genode);
	ck_assert_uint_eq(da->genode_release, db->genode_release);
	ck_assert_int_eq(da->has_kernel, db->has_kernel);
	ck_assert_int_eq(da->kernel, db->kernel);
	ck_assert_int_eq(da->has_arch, db->has_arch);
	ck_assert_int_eq(da->arch, db->arch);
	ck_assert_int_eq(da->has_ram_quota, db->has_ram_quota);
	ck_assert_uint_eq(da->ram_quota, db->ram_quota);
	ck_assert_int_eq(da->has_cap_quota, db->has_cap_quota);
	ck_assert_uint_eq(da->cap_quota, db->cap_quota);
	ck_assert_int_eq(da->has_mmap_area, db->has_mmap_area);
	ck_assert_uint_eq(da->mmap_area_base, db->mmap_area_base);
	ck_assert_uint_eq(da->mmap_area_size, db->mmap_area_size);
	ck_assert_int_eq(da->has_map_count_max, db->has_map_count_max);
	ck_assert_uint_eq(da->map_count_max, db->map_count_max);
	ck_assert_int_eq(da->has_policy, db->has_policy);
	if (da->has_policy)
		ck_assert_str_eq(da->policy, db->policy);

	ck_assert_uint_eq(rme_trace_slot_count(a), rme_trace_slot_count(b));
	for (int i = 0; (size_t)i < rme_trace_slot_count(a); i++) {
		ck_assert_str_eq(rme_trace_slot_name(a, i), rme_trace_slot_name(b, i));
		ck_assert_int_eq(rme_trace_slot_kind(a, i), rme_trace_slot_kind(b, i));
	}

	ck_assert_uint_eq(rme_trace_op_count(a), rme_trace_op_count(b));
	for (size_t i = 0; i < rme_trace_op_count(a); i++) {
		rme_trace_op_t oa, ob;

		memcpy(&oa, rme_trace_op(a, i), sizeof oa);
		memcpy(&ob, rme_trace_op(b, i), sizeof ob);
		oa.line = ob.line = 0;
		ck_assert_msg(memcmp(&oa, &ob, sizeof oa) == 0, "operation %zu (%s) differs",
		              i, rme_trace_op_name(oa.kind));
	}
}

/* parse -> print -> parse -> print: the same text twice and the same operations. */
static void
assert_round_trip(const rme_trace_t *t1)
{
	char *first = print_trace(t1, 0), *second;
	rme_trace_t *t2 = parse_ok(first);

	second = print_trace(t2, 0);
	ck_assert_str_eq(first, second);
	assert_same_trace(t1, t2);
	rme_trace_free(t2);
	free(first);
	free(second);
}

START_TEST(test_round_trip)
{
	unsigned ops_seen[RME_TRACE_OP_COUNT_] = { 0 };
	unsigned results_seen[RME_TRACE_RESULT_FAULT_STATE + 1] = { 0 }, relative_seen = 0;

	for (uint64_t seed = 1; seed <= 3000; seed++) {
		gen_t *g = gen_trace(seed, 40);
		rme_trace_t *t = parse_ok(g->out.data);

		for (size_t i = 0; i < rme_trace_op_count(t); i++) {
			results_seen[rme_trace_op(t, i)->expected.kind]++;
			relative_seen += rme_trace_op(t, i)->expected.relative != 0;
		}
		for (unsigned k = 0; k < RME_TRACE_OP_COUNT_; k++)
			ops_seen[k] += g->ops_seen[k];
		assert_round_trip(t);
		rme_trace_free(t);
		gen_free(g);
	}
	/* The property covered every operation and every result form. */
	for (unsigned k = 0; k < RME_TRACE_OP_COUNT_; k++)
		ck_assert_msg(ops_seen[k] > 0, "no %s generated", rme_trace_op_name(k));
	for (unsigned k = 0; k <= RME_TRACE_RESULT_FAULT_STATE; k++)
		ck_assert_msg(results_seen[k] > 0, "result kind %u never generated", k);
	ck_assert_msg(relative_seen > 0, "no address result relative to a name generated");
}
END_TEST

/* A parse that fails must fail cleanly: the right code, a placed message, no trace. */
static void
assert_clean_failure(rme_err_t rc, const rme_trace_t *t, const rme_trace_error_t *err,
                     const char *prefix, size_t lines)
{
	ck_assert_err(rc, RME_ERR_INVALID_ARGUMENT);
	ck_assert_ptr_null(t);
	ck_assert_uint_ge(err->line, 1);
	ck_assert_uint_le(err->line, lines + 1);
	ck_assert_uint_ge(err->col, 1);
	ck_assert_uint_lt(strlen(err->msg), sizeof err->msg);
	ck_assert_msg(strncmp(err->msg, prefix, strlen(prefix)) == 0, "%s", err->msg);
}

static size_t
count_lines(const char *text, size_t len)
{
	size_t lines = 1;

	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	return lines;
}

START_TEST(test_mutations)
{
	static const char interesting[] = " \t\n#=->0x9Kaz_|+\0\xff";
	unsigned parsed = 0, failed = 0;

	for (uint64_t seed = 1; seed <= 1500; seed++) {
		gen_t *g = gen_trace(seed, 20);
		text_t *text = &g->out;
		unsigned mutations = 1 + rng_below(&g->rng, 4);
		rme_trace_t *t = NULL;
		rme_trace_error_t err;
		rme_err_t rc;

		for (unsigned m = 0; m < mutations && text->len; m++) {
			size_t at = rng_below(&g->rng, (unsigned)text->len);
			char c = interesting[rng_below(&g->rng, sizeof interesting - 1)];

			switch (rng_below(&g->rng, 4)) {
			case 0:                     /* replace */
				text->data[at] = c;
				break;
			case 1:                     /* delete */
				memmove(text->data + at, text->data + at + 1, text->len - at);
				text->len--;
				break;
			case 2:                     /* insert */
				text_put(text, " ", 1);
				memmove(text->data + at + 1, text->data + at, text->len - at - 1);
				text->data[at] = c;
				break;
			default:                    /* truncate */
				text->len = at;
				break;
			}
		}
		rc = rme_trace_parse("mut.txt", text->data, text->len, &ca.iface, &t, &err);
		if (rc == RME_OK) {
			parsed++;
			assert_round_trip(t);
			rme_trace_free(t);
		} else {
			failed++;
			assert_clean_failure(rc, t, &err, "mut.txt:",
			                     count_lines(text->data, text->len));
		}
		gen_free(g);
	}
	ck_assert_uint_gt(parsed, 0);
	ck_assert_uint_gt(failed, 0);
}
END_TEST

START_TEST(test_binary_junk)
{
	rng_t rng;
	char junk[512];

	rng_seed(&rng, 77);
	for (unsigned i = 0; i < 2000; i++) {
		size_t len = rng_below(&rng, sizeof junk);
		size_t start = 0;
		rme_trace_t *t = NULL;
		rme_trace_error_t err;
		rme_err_t rc;

		/* Half of them get past the header. */
		if (i % 2) {
			memcpy(junk, H, strlen(H));
			start = strlen(H);
		}
		for (size_t j = start; j < len; j++)
			junk[j] = (char)rng_next(&rng);
		if (len < start)
			len = start;
		rc = rme_trace_parse("junk.bin", junk, len, &ca.iface, &t, &err);
		if (rc == RME_OK) {
			rme_trace_free(t);       /* junk that happens to be blank */
			continue;
		}
		assert_clean_failure(rc, t, &err, "junk.bin:", count_lines(junk, len));
	}
}
END_TEST

/* ---- Allocation failure -------------------------------------------------- */

/* A trace that makes every kind of allocation: chunks of ops, a slot array
 * and a hash index that grow, arena blocks and a name of its own block. */
static text_t
mid_size_trace(void)
{
	gen_t *g = gen_new(42);
	text_t text;
	char long_name[5000];

	gen_str(g, "rmemu-trace 1\npolicy rmemu\nmmap-area 0x1000 4K\n");
	strcpy(g->names[RME_TRACE_SLOT_REGION_MAP][g->count[RME_TRACE_SLOT_REGION_MAP]++],
	       "mmap_area");
	for (unsigned i = 0; i < 700; i++)
		gen_op(g);
	memset(long_name, 'l', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	text_printf(&g->out, "%.400s = ram-alloc 4K\n", long_name);
	gen_str(g, long_name);
	gen_str(g, " = rm-create 4K\n");
	text = g->out;
	g->out = (text_t){ 0 };
	gen_free(g);
	return text;
}

START_TEST(test_alloc_failure)
{
	text_t text = mid_size_trace();
	rme_counting_allocator_t counter;
	rme_trace_t *t = NULL, *reference = NULL;
	rme_trace_error_t err;
	uint64_t allocations, fail_at;
	rme_err_t rc;

	/* The reference trace lives through the loops: it gets its own allocator. */
	rme_counting_init(&counter, NULL);
	ck_assert_ok(rme_trace_parse("alloc.txt", text.data, text.len, &counter.iface,
	                             &reference, &err));
	allocations = counter.allocs;
	ck_assert_uint_gt(rme_trace_slot_count(reference), 64);   /* the slots grew */
	ck_assert_uint_gt(rme_trace_op_count(reference), 2 * 256); /* three chunks of ops */
	ck_assert_uint_gt(allocations, 10);

	/* Fail the 1st, 2nd, ... allocation until none is left to fail. */
	for (fail_at = 1;; fail_at++) {
		rme_counting_fail(&ca, fail_at, 0);
		rc = rme_trace_parse("alloc.txt", text.data, text.len, &ca.iface, &t, &err);
		if (rc == RME_OK)
			break;
		ck_assert_err(rc, RME_ERR_HOST_NO_MEMORY);
		ck_assert_ptr_null(t);
		ck_assert_uint_eq(ca.failures, 1);
		ck_assert_uint_eq(ca.live_bytes, 0);
		ck_assert_uint_eq(ca.live_blocks, 0);
		ck_assert_str_eq(err.msg, "alloc.txt: out of memory");
		ck_assert_uint_eq(err.line, 0);
	}
	ck_assert_uint_eq(fail_at, allocations + 1);
	assert_same_trace(reference, t);
	rme_trace_free(t);

	/* Once the memory is gone it stays gone. */
	for (fail_at = 1; fail_at <= allocations; fail_at++) {
		rme_counting_fail(&ca, fail_at, 1);
		rc = rme_trace_parse("alloc.txt", text.data, text.len, &ca.iface, &t, &err);
		ck_assert_err(rc, RME_ERR_HOST_NO_MEMORY);
		ck_assert_ptr_null(t);
		ck_assert_uint_eq(ca.live_bytes, 0);
	}
	rme_trace_free(reference);
	ck_assert_uint_eq(counter.live_bytes, 0);
	free(text.data);
}
END_TEST

/* ---- Results ------------------------------------------------------------- */

static rme_trace_result_t
result_of(rme_trace_result_kind_t kind)
{
	return (rme_trace_result_t){ .kind = kind };
}

static rme_trace_result_t
value_result(uint64_t value)
{
	return (rme_trace_result_t){ .kind = RME_TRACE_RESULT_VALUE, .value = value };
}

/* An address written relative to slot (its value as the executor found it, or 0 parsed). */
static rme_trace_result_t
relative_result(int slot, int negative, uint64_t offset, uint64_t value)
{
	return (rme_trace_result_t){ .kind = RME_TRACE_RESULT_VALUE, .value = value, .relative = 1,
	                             .expr = { slot, negative, offset } };
}

static rme_trace_result_t
error_result(rme_err_t error)
{
	return (rme_trace_result_t){ .kind = RME_TRACE_RESULT_ERROR, .error = error };
}

static rme_trace_result_t
errno_result(const char *name)
{
	rme_trace_result_t r = { 0 };

	ck_assert_ok(rme_trace_result_set_errno(&r, name));
	return r;
}

static rme_trace_result_t
fault_result(rme_trace_result_kind_t kind, int rm, rme_fault_type_t type, uint64_t addr)
{
	return (rme_trace_result_t){ .kind = kind, .rm_slot = rm, .fault_type = type,
	                             .addr = addr };
}

static rme_trace_result_t
state_result(rme_fault_type_t type, uint64_t addr)
{
	return fault_result(RME_TRACE_RESULT_FAULT_STATE, 0, type, addr);
}

START_TEST(test_matches)
{
	const rme_trace_result_kind_t FAULT = RME_TRACE_RESULT_FAULT;
	const rme_trace_result_kind_t UNHANDLED = RME_TRACE_RESULT_UNHANDLED;
	rme_trace_result_t enomem_junk = errno_result("ENOMEM");

	/* An errno name written straight into a result, with junk after its NUL. */
	memcpy(enomem_junk.errno_name + 7, "garbage", 7);

	const struct {
		rme_trace_result_t expected, actual;
		int matches;
	} cases[] = {
		/* No expectation matches everything. */
		{ result_of(RME_TRACE_RESULT_NONE), result_of(RME_TRACE_RESULT_OK), 1 },
		{ result_of(RME_TRACE_RESULT_NONE), error_result(RME_ERR_OUT_OF_RAM), 1 },
		{ result_of(RME_TRACE_RESULT_NONE), fault_result(FAULT, 1, RME_FAULT_READ, 0), 1 },
		/* ok matches ok, addresses, bytes and 0, and nothing else. */
		{ result_of(RME_TRACE_RESULT_OK), result_of(RME_TRACE_RESULT_OK), 1 },
		{ result_of(RME_TRACE_RESULT_OK), value_result(0x1000), 1 },
		{ result_of(RME_TRACE_RESULT_OK), value_result(0), 1 },
		{ result_of(RME_TRACE_RESULT_OK), result_of(RME_TRACE_RESULT_NONE), 0 },
		{ result_of(RME_TRACE_RESULT_OK), error_result(RME_ERR_DENIED), 0 },
		{ result_of(RME_TRACE_RESULT_OK), errno_result("ENOMEM"), 0 },
		{ result_of(RME_TRACE_RESULT_OK), fault_result(FAULT, 0, RME_FAULT_READ, 0), 0 },
		{ result_of(RME_TRACE_RESULT_OK), fault_result(UNHANDLED, 0, RME_FAULT_READ, 0), 0 },
		{ result_of(RME_TRACE_RESULT_OK), state_result(RME_FAULT_NONE, 0), 0 },
		/* Values by value. */
		{ value_result(0), value_result(0), 1 },
		{ value_result(0x1000), value_result(0x1000), 1 },
		{ value_result(0), value_result(1), 0 },
		{ value_result(0x1000), result_of(RME_TRACE_RESULT_OK), 0 },
		/* Errors and errnos by name. */
		{ error_result(RME_ERR_OUT_OF_RAM), error_result(RME_ERR_OUT_OF_RAM), 1 },
		{ error_result(RME_ERR_OUT_OF_RAM), error_result(RME_ERR_OUT_OF_CAPS), 0 },
		{ error_result(RME_ERR_OUT_OF_RAM), result_of(RME_TRACE_RESULT_OK), 0 },
		{ errno_result("ENOMEM"), errno_result("ENOMEM"), 1 },
		{ errno_result("ENOMEM"), enomem_junk, 1 },
		{ errno_result("ENOMEM"), errno_result("EINVAL"), 0 },
		{ errno_result("ENOMEM"), errno_result("ENOMEMX"), 0 },
		{ errno_result("ENOMEM"), error_result(RME_ERR_OUT_OF_RAM), 0 },
		/* Faults: all of rm, type and address. */
		{ fault_result(FAULT, 1, RME_FAULT_READ, 0x10), fault_result(FAULT, 1, RME_FAULT_READ, 0x10), 1 },
		{ fault_result(FAULT, 1, RME_FAULT_READ, 0x10), fault_result(FAULT, 2, RME_FAULT_READ, 0x10), 0 },
		{ fault_result(FAULT, 1, RME_FAULT_READ, 0x10), fault_result(FAULT, 1, RME_FAULT_WRITE, 0x10), 0 },
		{ fault_result(FAULT, 1, RME_FAULT_READ, 0x10), fault_result(FAULT, 1, RME_FAULT_READ, 0x11), 0 },
		{ fault_result(FAULT, 1, RME_FAULT_READ, 0x10), fault_result(UNHANDLED, 1, RME_FAULT_READ, 0x10), 0 },
		{ fault_result(UNHANDLED, 1, RME_FAULT_EXEC, 0), fault_result(UNHANDLED, 1, RME_FAULT_EXEC, 0), 1 },
		{ fault_result(UNHANDLED, 1, RME_FAULT_EXEC, 0), fault_result(FAULT, 1, RME_FAULT_EXEC, 0), 0 },
		/* A bare fault matches any fault; a bare unhandled only unhandled ones. */
		{ result_of(RME_TRACE_RESULT_FAULT_ANY), fault_result(FAULT, 3, RME_FAULT_WRITE, 9), 1 },
		{ result_of(RME_TRACE_RESULT_FAULT_ANY), fault_result(UNHANDLED, 3, RME_FAULT_WRITE, 9), 1 },
		{ result_of(RME_TRACE_RESULT_FAULT_ANY), result_of(RME_TRACE_RESULT_OK), 0 },
		{ result_of(RME_TRACE_RESULT_FAULT_ANY), value_result(0), 0 },
		{ result_of(RME_TRACE_RESULT_UNHANDLED_ANY), fault_result(UNHANDLED, 0, RME_FAULT_READ, 1), 1 },
		{ result_of(RME_TRACE_RESULT_UNHANDLED_ANY), fault_result(FAULT, 0, RME_FAULT_READ, 1), 0 },
		{ result_of(RME_TRACE_RESULT_UNHANDLED_ANY), result_of(RME_TRACE_RESULT_OK), 0 },
		/* The state of the fault op; NONE has no address. */
		{ state_result(RME_FAULT_NONE, 0), state_result(RME_FAULT_NONE, 0x77), 1 },
		{ state_result(RME_FAULT_NONE, 0), state_result(RME_FAULT_READ, 0), 0 },
		{ state_result(RME_FAULT_READ, 0x10), state_result(RME_FAULT_READ, 0x10), 1 },
		{ state_result(RME_FAULT_READ, 0x10), state_result(RME_FAULT_READ, 0x20), 0 },
		{ state_result(RME_FAULT_WRITE, 0x10), state_result(RME_FAULT_READ, 0x10), 0 },
		{ state_result(RME_FAULT_READ, 0x10), error_result(RME_ERR_INVALID_ARGUMENT), 0 },
		/* An address relative to a name matches what the executor found equal to it. */
		{ relative_result(2, 1, 0x1000, 0), relative_result(2, 1, 0x1000, 0x7000), 1 },
		{ relative_result(2, 1, 0x1000, 0), relative_result(2, 0, 0x1000, 0x9000), 0 },
		{ relative_result(2, 1, 0x1000, 0), relative_result(3, 1, 0x1000, 0x7000), 0 },
		{ relative_result(2, 1, 0x1000, 0), relative_result(2, 1, 0x2000, 0x6000), 0 },
		{ relative_result(2, 1, 0x1000, 0), value_result(0x7000), 0 },
		{ relative_result(2, 1, 0x1000, 0), result_of(RME_TRACE_RESULT_OK), 0 },
		{ value_result(0x7000), relative_result(2, 1, 0x1000, 0x7000), 1 },
		{ result_of(RME_TRACE_RESULT_OK), relative_result(2, 1, 0x1000, 0x7000), 1 },
	};

	for (unsigned i = 0; i < sizeof cases / sizeof *cases; i++)
		ck_assert_msg(rme_trace_result_matches(&cases[i].expected, &cases[i].actual) ==
		              cases[i].matches, "case %u", i);
	/* Every result matches itself. */
	for (unsigned i = 0; i < sizeof cases / sizeof *cases; i++)
		ck_assert_msg(rme_trace_result_matches(&cases[i].actual, &cases[i].actual),
		              "case %u", i);
}
END_TEST

START_TEST(test_result_format)
{
	rme_trace_t *t = parse_ok(example);
	const struct {
		rme_trace_op_kind_t op;
		rme_trace_result_t result;
		const char *text;
	} cases[] = {
		{ RME_TRACE_OP_ATTACH, result_of(RME_TRACE_RESULT_NONE), "no result" },
		{ RME_TRACE_OP_ATTACH, result_of(RME_TRACE_RESULT_OK), "ok" },
		{ RME_TRACE_OP_ATTACH, value_result(0x70000000), "0x70000000" },
		{ RME_TRACE_OP_READ, value_result(0), "0x00" },
		{ RME_TRACE_OP_READ, value_result(0xab), "0xab" },
		{ RME_TRACE_OP_MUNMAP, value_result(0), "0" },
		{ RME_TRACE_OP_MMAP, value_result(UINT64_MAX), "0xffffffffffffffff" },
		{ RME_TRACE_OP_ATTACH, error_result(RME_ERR_REGION_CONFLICT), "error REGION_CONFLICT" },
		{ RME_TRACE_OP_MMAP, errno_result("EOVERFLOW"), "errno EOVERFLOW" },
		{ RME_TRACE_OP_READ, fault_result(RME_TRACE_RESULT_FAULT, 1, RME_FAULT_READ, 0x1000),
		  "fault sub READ 0x1000" },
		{ RME_TRACE_OP_WRITE, fault_result(RME_TRACE_RESULT_UNHANDLED, 0, RME_FAULT_WRITE, 0),
		  "unhandled env WRITE 0x0" },
		{ RME_TRACE_OP_EXEC, result_of(RME_TRACE_RESULT_FAULT_ANY), "fault" },
		{ RME_TRACE_OP_EXEC, result_of(RME_TRACE_RESULT_UNHANDLED_ANY), "unhandled" },
		{ RME_TRACE_OP_FAULT, state_result(RME_FAULT_NONE, 0x5), "NONE" },
		{ RME_TRACE_OP_FAULT, state_result(RME_FAULT_EXEC, 0x8), "EXEC 0x8" },
		{ RME_TRACE_OP_MMAP, relative_result(4, 1, 0x1000, 0x6f000000), "base-0x1000" },
		{ RME_TRACE_OP_ATTACH, relative_result(4, 0, 0, 0), "base" },
	};
	char buf[64];

	for (unsigned i = 0; i < sizeof cases / sizeof *cases; i++) {
		size_t len = rme_trace_result_format(t, cases[i].op, &cases[i].result, buf, sizeof buf);

		ck_assert_str_eq(buf, cases[i].text);
		ck_assert_uint_eq(len, strlen(cases[i].text));
	}
	/* Like snprintf: cut short, NUL-terminated, the full length returned. */
	memset(buf, 'x', sizeof buf);
	ck_assert_uint_eq(rme_trace_result_format(t, RME_TRACE_OP_ATTACH, &cases[7].result,
	                                          buf, 6), 21);
	ck_assert_str_eq(buf, "error");
	ck_assert_int_eq(buf[6], 'x');
	ck_assert_uint_eq(rme_trace_result_format(t, RME_TRACE_OP_ATTACH, &cases[7].result,
	                                          NULL, 0), 21);
	ck_assert_uint_eq(rme_trace_result_format(t, RME_TRACE_OP_ATTACH, &cases[7].result,
	                                          buf, 1), 21);
	ck_assert_str_eq(buf, "");
	/* Without the trace, slots have no names. */
	rme_trace_result_format(NULL, RME_TRACE_OP_READ, &cases[9].result, buf, sizeof buf);
	ck_assert_str_eq(buf, "fault ? READ 0x1000");
	rme_trace_free(t);
}
END_TEST

START_TEST(test_print_actual)
{
	rme_trace_t *t = parse_ok(example), *replayed;
	char *printed, *again;

	*rme_trace_actual(t, 0) = result_of(RME_TRACE_RESULT_OK);
	*rme_trace_actual(t, 2) = value_result(0x1000);
	*rme_trace_actual(t, 5) = value_result(0xff000);
	*rme_trace_actual(t, 8) = value_result(0x5a);
	*rme_trace_actual(t, 10) = fault_result(RME_TRACE_RESULT_FAULT, 1, RME_FAULT_READ, 0x1000);

	ck_assert(rme_trace_result_matches(&rme_trace_op(t, 2)->expected, &rme_trace_op(t, 2)->actual));
	ck_assert(!rme_trace_result_matches(&rme_trace_op(t, 5)->expected, &rme_trace_op(t, 5)->actual));
	ck_assert(!rme_trace_result_matches(&rme_trace_op(t, 8)->expected, &rme_trace_op(t, 8)->actual));
	ck_assert(!rme_trace_result_matches(&rme_trace_op(t, 10)->expected, &rme_trace_op(t, 10)->actual));

	/* Without use_actual the actual results are ignored. */
	printed = print_trace(t, 0);
	ck_assert_str_eq(printed, example_canonical);
	free(printed);

	printed = print_trace(t, 1);
	ck_assert_str_eq(printed,
		"rmemu-trace 1\n"
		"kernel hw\n"
		"quota ram=0x400000 caps=100\n"
		"sub = rm-create 0x100000 -> ok\n"
		"ds = ram-alloc 0x4000 -> ok\n"
		"attach sub ds at=0x1000 -> 0x1000\n"
		"sub_ds = rm-dataspace sub -> ok\n"
		"base = attach env sub_ds at=0x70000000 rw- -> 0x70000000\n"
		"attach sub ds at=0xff000 -> 0xff000\n"
		"attach sub ds at=0x2000 -> error REGION_CONFLICT\n"
		"attach sub ds offset=0x1000 at=0x80000 -> 0x80000\n"
		"read base+0x1000 -> 0x5a\n"
		"detach sub 0x1000 -> ok\n"
		"read base+0x1000 -> fault sub READ 0x1000\n");

	/* The replayed text parses, and its expectations are what happened. */
	replayed = parse_ok(printed);
	for (size_t i = 0; i < rme_trace_op_count(t); i++) {
		const rme_trace_op_t *op = rme_trace_op(t, i);
		const rme_trace_result_t *want = op->actual.kind ? &op->actual : &op->expected;

		ck_assert_mem_eq(&rme_trace_op(replayed, i)->expected, want, sizeof *want);
	}
	again = print_trace(replayed, 0);
	ck_assert_str_eq(again, printed);
	free(again);
	free(printed);
	rme_trace_free(replayed);
	rme_trace_free(t);
}
END_TEST

START_TEST(test_set_errno)
{
	static const char *const bad[] = {
		"", "E", "enomem", "ENOMEM ", "EN-OMEM", "XNOMEM", "ENOTRECOVERABLEX",
		"EVERYVERYVERYVERYLONGNAME"
	};
	rme_trace_result_t r = result_of(RME_TRACE_RESULT_OK);

	ck_assert_ok(rme_trace_result_set_errno(&r, "E2BIG"));
	ck_assert_int_eq(r.kind, RME_TRACE_RESULT_ERRNO);
	ck_assert_str_eq(r.errno_name, "E2BIG");
	ck_assert_ok(rme_trace_result_set_errno(&r, "ENOTRECOVERABLE"));
	ck_assert_str_eq(r.errno_name, "ENOTRECOVERABLE");
	for (unsigned i = 0; i < sizeof bad / sizeof *bad; i++) {
		r = result_of(RME_TRACE_RESULT_OK);
		ck_assert_err(rme_trace_result_set_errno(&r, bad[i]), RME_ERR_INVALID_ARGUMENT);
		ck_assert_int_eq(r.kind, RME_TRACE_RESULT_OK);
		ck_assert_str_eq(r.errno_name, "");
	}
}
END_TEST

/*
 * Enough names that the index outgrows the caches (past 2^19 entries, where
 * the parser looks a line ahead), and two names whose FNV-1a hashes are
 * equal (0x152de78a, found by a search over random names): the index keeps
 * the hashes, and names with equal ones must still be told apart.
 */
enum { MANY_NAMES = 140000 };

/* assert_parse_error on a copy of the text in a block of exactly its length */
static void
assert_parse_error_exact(const char *text, size_t len, size_t line, size_t col,
                         const char *message)
{
	char *exact = malloc(len);

	ck_assert_ptr_nonnull(exact);
	memcpy(exact, text, len);
	assert_parse_error(exact, len, line, col, message);
	free(exact);
}

static void
many_names_text(text_t *text)
{
	text_printf(text, "rmemu-trace 1\njvqpfqg = ram-alloc 4K\njaczypz = ram-alloc 8K\n");
	for (unsigned i = 0; i < MANY_NAMES; i++)
		text_printf(text, "n%u = ram-alloc 4K\n", i);
	text_printf(text, "ram-free jaczypz\nram-free jvqpfqg\n");
}

START_TEST(test_many_names)
{
	text_t text = { 0 };
	rme_trace_t *t;
	size_t ops, lines = 3 + MANY_NAMES + 2, checked = 0, wrong = 0;
	int first, second;
	char name[32], message[64];
	size_t base;

	many_names_text(&text);
	t = parse_len_ok(text.data, text.len);
	ops = rme_trace_op_count(t);
	ck_assert_uint_eq(ops, 2 + MANY_NAMES + 2);
	first = rme_trace_slot_find(t, "jvqpfqg", 7);
	second = rme_trace_slot_find(t, "jaczypz", 7);
	ck_assert_int_ge(first, 0);
	ck_assert_int_ge(second, 0);
	ck_assert_int_ne(first, second);
	ck_assert_str_eq(rme_trace_slot_name(t, first), "jvqpfqg");
	ck_assert_str_eq(rme_trace_slot_name(t, second), "jaczypz");
	ck_assert_int_eq(rme_trace_op(t, ops - 2)->u.slot, second);
	ck_assert_int_eq(rme_trace_op(t, ops - 1)->u.slot, first);
	/* every name is found in its own slot, the one its line bound (counted: one assert) */
	for (unsigned i = 0; i < MANY_NAMES; i++) {
		int n = snprintf(name, sizeof name, "n%u", i);
		int slot = rme_trace_slot_find(t, name, (size_t)n);

		if (slot < 0 || slot != rme_trace_op(t, 2 + i)->bind_slot ||
		    strcmp(rme_trace_slot_name(t, slot), name) != 0)
			wrong++;
		checked++;
	}
	ck_assert_uint_eq(checked, MANY_NAMES);
	ck_assert_uint_eq(wrong, 0);
	ck_assert_int_eq(rme_trace_slot_find(t, "n140000", 7), -1);
	rme_trace_free(t);

	/*
	 * A name bound again, and a bad size at the very end, on an
	 * unterminated last line in a buffer of exactly its size (a read past
	 * it is an error under memcheck and ASan); then a line that ends in
	 * CR LF.
	 */
	base = text.len;
	text_printf(&text, "n5 = ram-alloc 4K");
	snprintf(message, sizeof message, "name \"n5\" is already bound (on line %u)", 3 + 5 + 1);
	assert_parse_error_exact(text.data, text.len, lines + 1, 1, message);
	text.len = base;
	text_printf(&text, "zz = ram-alloc 4Q");
	assert_parse_error_exact(text.data, text.len, lines + 1, 16, "expected a size, found \"4Q\"");
	text_printf(&text, "\r\n");
	assert_parse_error(text.data, text.len, lines + 1, 18,
	                   "a Windows line ending (CR LF); rmemu traces end their lines with LF alone");
	free(text.data);
}
END_TEST

START_TEST(test_api_edges)
{
	rme_trace_t *t = NULL;
	rme_trace_error_t err;
	char *printed;

	ck_assert_err(rme_trace_parse("a", H, strlen(H), &ca.iface, NULL, &err),
	              RME_ERR_INVALID_ARGUMENT);
	ck_assert_str_eq(err.msg, "a: invalid arguments to rme_trace_parse");
	ck_assert_err(rme_trace_parse("a", NULL, 5, &ca.iface, &t, &err),
	              RME_ERR_INVALID_ARGUMENT);
	ck_assert_ptr_null(t);
	/* No text at all is a trace without its header. */
	ck_assert_err(rme_trace_parse(NULL, NULL, 0, &ca.iface, &t, &err),
	              RME_ERR_INVALID_ARGUMENT);
	ck_assert_str_eq(err.msg,
	                 "<trace>:1:1: expected the header \"rmemu-trace 1\", found end of file");
	ck_assert_err(rme_trace_parse("a", "x", 1, &ca.iface, &t, NULL),
	              RME_ERR_INVALID_ARGUMENT);
	ck_assert_uint_eq(ca.live_bytes, 0);

	/* The default allocator. */
	ck_assert_ok(rme_trace_parse("a", example, strlen(example), NULL, &t, &err));
	ck_assert_int_eq(rme_trace_slot_kind(t, -1), RME_TRACE_SLOT_NONE);
	ck_assert_int_eq(rme_trace_slot_kind(t, 5), RME_TRACE_SLOT_NONE);
	ck_assert_ptr_null(rme_trace_slot_name(t, 5));
	ck_assert_ptr_null(rme_trace_slot_name(t, -1));
	ck_assert_int_eq(rme_trace_slot_find(t, NULL, 0), -1);
	ck_assert_int_eq(rme_trace_slot_find(t, "sub_ds_x", 6), 3);   /* by length */
	rme_trace_print(t, 0, NULL, NULL);                              /* no sink: nothing */
	printed = print_trace(t, 0);
	ck_assert_str_eq(printed, example_canonical);
	free(printed);
	rme_trace_free(t);
	rme_trace_free(NULL);

	ck_assert_str_eq(rme_trace_op_name(RME_TRACE_OP_MMAP), "mmap");
	ck_assert_str_eq(rme_trace_op_name(RME_TRACE_OP_EXPECT_LEAK_FREE), "expect-leak-free");
	ck_assert_str_eq(rme_trace_op_name(RME_TRACE_OP_COUNT_), "?");
}
END_TEST

/* ---- Benchmark ----------------------------------------------------------- */

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
count_bytes(void *ctx, const char *buf, size_t len)
{
	(void)buf;
	*(size_t *)ctx += len;
}

/* A trace of the shape replays produce: mmaps, accesses, attaches, checks. */
static int
run_bench(size_t lines)
{
	text_t text = { 0 };
	double best_parse = 1e9, best_print = 1e9;
	size_t line = 0, printed = 0;

	text_printf(&text, "rmemu-trace 1\nkernel hw\nquota ram=1G caps=100000\n"
	                   "mmap-area 0x100000000 64G\nds = ram-alloc 64K -> ok\n");
	line = 5;
	for (size_t i = 0; line < lines; i++) {
		uint64_t addr = 0x100000000ull + (i << 16);

		text_printf(&text, "m%zu = mmap 0 64K rw- private|anon -> 0x%llx\n", i,
		            (unsigned long long)addr);
		text_printf(&text, "write m%zu+0x10 0x5a -> ok\n", i);
		text_printf(&text, "read m%zu+0x10 -> 0x5a  # the byte written\n", i);
		text_printf(&text, "a%zu = attach env ds at=0x%llx rw- -> 0x%llx\n", i,
		            (unsigned long long)(addr + 0x100000000000ull),
		            (unsigned long long)(addr + 0x100000000000ull));
		text_printf(&text, "mprotect m%zu 4K r-- -> 0\n", i);
		text_printf(&text, "write m%zu 1 -> fault mmap_area WRITE 0x%llx\n", i,
		            (unsigned long long)(i << 16));
		text_printf(&text, "munmap m%zu 64K -> 0\n", i);
		text_printf(&text, "expect-quota ram<=1G\n");
		line += 8;
	}
	for (int run = 0; run < 5; run++) {
		rme_trace_t *t;
		rme_trace_error_t err;
		double start = now_seconds(), took;

		if (rme_trace_parse("bench", text.data, text.len, NULL, &t, &err) != RME_OK) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		took = now_seconds() - start;
		if (took < best_parse)
			best_parse = took;
		printed = 0;
		start = now_seconds();
		rme_trace_print(t, 0, count_bytes, &printed);
		took = now_seconds() - start;
		if (took < best_print)
			best_print = took;
		rme_trace_free(t);
	}
	printf("%zu lines, %.1f MB: parse %.3f s = %.2f M lines/s (%.0f MB/s); "
	       "print %.3f s = %.2f M lines/s\n",
	       line, (double)text.len / 1e6, best_parse, (double)line / best_parse / 1e6,
	       (double)text.len / best_parse / 1e6, best_print, (double)line / best_print / 1e6);
	free(text.data);
	return 0;
}

/* ---- Main ---------------------------------------------------------------- */

static Suite *
trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc;

	tc = tcase_create("constructs");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_example);
	tcase_add_test(tc, test_directives);
	tcase_add_test(tc, test_directive_values);
	tcase_add_test(tc, test_genode_ops);
	tcase_add_test(tc, test_accesses);
	tcase_add_test(tc, test_libc_ops);
	tcase_add_test(tc, test_libc_flags_and_locks);
	tcase_add_test(tc, test_man_page_libc_example);
	tcase_add_test(tc, test_address_expressions);
	tcase_add_test(tc, test_relative_results);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_checks);
	tcase_add_test(tc, test_layout);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_errors, 0, (int)(sizeof error_cases / sizeof *error_cases));
	tcase_add_test(tc, test_nul_bytes);
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_many_names);
	tcase_add_test(tc, test_api_edges);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	tc = tcase_create("properties");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_mutations);
	tcase_add_test(tc, test_binary_junk);
	tcase_add_test(tc, test_alloc_failure);
	tcase_set_timeout(tc, 600);
	suite_add_tcase(s, tc);

	tc = tcase_create("results");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_matches);
	tcase_add_test(tc, test_result_format);
	tcase_add_test(tc, test_print_actual);
	tcase_add_test(tc, test_set_errno);
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char **argv)
{
	SRunner *sr;
	int failed;

	if (argc >= 2 && strcmp(argv[1], "--bench") == 0)
		return run_bench(argc >= 3 ? strtoul(argv[2], NULL, 10) : 1000000);
	sr = srunner_create(trace_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
