/*
 * strace_import.h: turning an strace log of memory calls into traces, one
 * per address space (import-strace, and record after it ran strace).
 * doc/recording.md describes what becomes of each call.
 */
#ifndef RMEMU_CLI_STRACE_IMPORT_H
#define RMEMU_CLI_STRACE_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct import_options {
	int strict;                 /* stop at the first line that cannot be read */
	int has_ram_quota, has_cap_quota; /* --quota: the quota to write instead of one that never limits */
	uint64_t ram_quota, cap_quota;
	const char *note;           /* a comment for the head of every trace (the command line), or NULL */
	uint64_t system_map_count_max; /* vm.max_map_count where the log was made; 0 if not known */
	int quiet;                  /* no progress line */
	FILE *messages;             /* what cannot be read, the summary: NULL for standard error */
	FILE *names;                /* each trace's name once written, a line each: NULL for none */
	const char *names_lead;     /* the text before each name ("" if NULL) */
	/*
	 * Instead of writing the files: called with each trace's name and
	 * text, which parses (the fuzz target's way). Returns 0 or -1.
	 */
	int (*sink)(void *ctx, const char *path, const char *text, size_t len);
	void *sink_ctx;
	size_t *internal_errors;    /* if not NULL: counts traces that failed the importer's own checks */
} import_options_t;

/*
 * Import len bytes of strace output (log_name names it in messages) and
 * write one trace per address space that made memory calls, as
 * PREFIX.<pid>.trace, and PREFIX.<pid>.<n>.trace for the n-th one after
 * it (after an execve); PREFIX.trace if strace printed no pids. Prints
 * the names written to opt->names, and what it could not read to
 * opt->messages. Returns EXIT_OK, or EXIT_USAGE if nothing could be
 * written or --strict met a line it could not read.
 */
int strace_import(const char *log_name, const char *text, size_t len, const char *prefix,
                  const import_options_t *opt);

/* The same, reading the log a line at a time (bounded memory; cli.h's reader). */
struct cli_lines;
int strace_import_file(struct cli_lines *log, const char *prefix, const import_options_t *opt);

/*
 * Parse a --quota argument, the parts of a quota directive separated by
 * blanks or commas: "ram=64M caps=500". Returns 0, or -1 with a message
 * printed.
 */
int import_parse_quota(const char *spec, import_options_t *opt);

#endif
