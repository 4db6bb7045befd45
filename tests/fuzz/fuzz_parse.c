/*
 * fuzz_parse.c: libFuzzer target for the trace parser and printer.
 *
 * Any input either fails to parse with a positioned message, or parses;
 * then its canonical form must parse again and print to the same text
 * (the printer's fixed point), and every parsed trace must replay without
 * a crash. Memory comes from a counting allocator that must end at zero.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rmemu/rmemu.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct text {
	char *buf;
	size_t len, cap;
	int failed;
};

static void
append(void *ctx, const char *buf, size_t len)
{
	struct text *t = ctx;

	if (t->failed)
		return;
	if (t->len + len > t->cap) {
		size_t cap = (t->len + len) * 2 + 64;
		char *grown = realloc(t->buf, cap);
		if (!grown) {
			t->failed = 1;
			return;
		}
		t->buf = grown;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, buf, len);
	t->len += len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rme_counting_allocator_t ca;
	rme_trace_t *trace = NULL, *again = NULL;
	rme_trace_error_t err;
	struct text first = { 0 }, second = { 0 };
	rme_replay_options_t opt = { .keep_going = 1, .teardown = 1, .check = 1 };
	rme_replay_report_t rep;

	rme_counting_init(&ca, NULL);
	if (rme_trace_parse("fuzz", (const char *)data, size, &ca.iface, &trace, &err) != RME_OK) {
		/* a failure names a place (or is an allocation failure) and leaks nothing */
		if (trace || ca.live_bytes || strncmp(err.msg, "fuzz", 4) != 0)
			abort();
		return 0;
	}
	rme_trace_print(trace, 0, append, &first);
	if (first.failed)
		abort();
	if (rme_trace_parse("canonical", first.buf, first.len, &ca.iface, &again, &err) != RME_OK)
		abort();   /* the canonical form must parse */
	rme_trace_print(again, 0, append, &second);
	if (second.len != first.len || memcmp(first.buf, second.buf, first.len) != 0)
		abort();   /* and print to itself */
	rme_trace_free(again);

	/* replaying whatever parses must not crash, and the teardown must leave nothing */
	if (rme_replay(trace, &opt, &rep, NULL, NULL) == RME_OK && rep.torn_down && !rep.leak_free)
		abort();
	rme_trace_free(trace);
	if (ca.live_bytes)
		abort();
	free(first.buf);
	free(second.buf);
	return 0;
}
