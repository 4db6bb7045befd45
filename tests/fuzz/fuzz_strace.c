/*
 * fuzz_strace.c: libFuzzer target for import-strace, the importer of
 * strace logs (src/cli/strace_*.c).
 *
 * Any input is a log: the importer must neither crash nor abort on it
 * (an odd line or call becomes a comment or a message with its line), and
 * every trace it writes must pass its own checks: it parses (the importer
 * parses each before writing it) and every relocated address has its place
 * (no "internal error"). Each trace written is replayed on the model with
 * --teardown's checks, which must not crash and must leave nothing behind.
 * Traces go to a callback, not to files, and messages to /dev/null.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmemu/rmemu.h>

#include "cli/strace_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Replay what the importer wrote: no crash, and the teardown leaves nothing. */
static int
replay_written(void *ctx, const char *path, const char *text, size_t len)
{
	rme_trace_t *trace = NULL;
	rme_trace_error_t err;
	rme_replay_options_t opt = { .keep_going = 1, .teardown = 1 };
	rme_replay_report_t rep;

	(void)ctx;
	if (rme_trace_parse(path, text, len, NULL, &trace, &err) != RME_OK)
		abort();        /* the importer parses what it writes: this cannot be */
	/* a replay that cannot run (no memory for a huge area) is no finding; a leak is */
	if (rme_replay(trace, &opt, &rep, NULL, NULL) == RME_OK && rep.torn_down && !rep.leak_free)
		abort();
	rme_trace_free(trace);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	size_t internal_errors = 0;
	import_options_t opt;

	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	memset(&opt, 0, sizeof(opt));
	opt.quiet = 1;
	opt.messages = devnull;
	opt.sink = replay_written;
	opt.internal_errors = &internal_errors;
	/* half the inputs as if rmemu record had read vm.max_map_count, as it does */
	if (size && (data[0] & 1))
		opt.system_map_count_max = 65530;
	(void)strace_import("fuzz.log", (const char *)data, size, "fuzz", &opt);
	if (internal_errors)
		abort();        /* a trace failed the importer's own checks */
	return 0;
}
