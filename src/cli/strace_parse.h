/*
 * strace_parse.h: reading strace's output, one line and one call at a
 * time, with no idea of what the calls mean (strace_import.c has that).
 *
 * What strace prints, as far as it matters here:
 *
 *   12345 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f...
 *   [pid 12345] 1795985810.748572 munmap(0x7f..., 41667) = 0 <0.000054>
 *   12345 mmap(NULL, 4096, PROT_READ <unfinished ...>
 *   12345 <... mmap resumed>, MAP_PRIVATE, 3</usr/lib/libc.so.6>, 0) = 0x7f...
 *   12345 mmap(0x7f..., 4096, 0x1 /\* PROT_READ *\/, ...) = -1 EEXIST (File exists) (INJECTED)
 *   12345 --- SIGCHLD {si_signo=SIGCHLD, ...} ---
 *   12345 +++ exited with 0 +++
 *   12345 +++ superseded by execve in pid 12340 +++
 *
 * A pid comes first: "N " when strace writes to a file (-o with -f), "[pid N] "
 * on standard error, none without -f. Then optionally a time stamp (-t,
 * -tt, -ttt, -r) and an instruction pointer (-i); a call may end in its
 * duration (-T). Numbers may be printed raw or with their meaning in a
 * comment (-X raw, -X verbose), and descriptors with their path (-y).
 */
#ifndef RMEMU_CLI_STRACE_PARSE_H
#define RMEMU_CLI_STRACE_PARSE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
	SL_BLANK,        /* nothing but blanks */
	SL_CALL,         /* a whole call: NAME(ARGS) = RESULT */
	SL_UNFINISHED,   /* NAME(ARGS... <unfinished ...>: the rest comes later */
	SL_RESUMED,      /* <... NAME resumed>REST: the rest of an unfinished call */
	SL_SIGNAL,       /* --- SIGNAL {...} --- */
	SL_EXIT,         /* +++ exited with N +++, +++ killed by SIG +++ */
	SL_SUPERSEDED,   /* +++ superseded by execve in pid N +++: a thread became the leader */
	SL_NOTE,         /* strace's own messages, stack traces (-k), detach markers */
	SL_BAD           /* none of these; why says what is wrong */
} sl_kind_t;

typedef struct strace_line {
	sl_kind_t kind;
	long pid;            /* the "[pid N]" or "N " prefix; -1 without one */
	/*
	 * SL_CALL: the call from its name on, without the duration;
	 * SL_UNFINISHED: the call up to " <unfinished ...>";
	 * SL_RESUMED: what follows "resumed>", without the duration.
	 */
	const char *text;
	size_t len;
	const char *name;    /* the system call of SL_CALL, SL_UNFINISHED, SL_RESUMED */
	size_t name_len;
	long new_pid;        /* SL_SUPERSEDED: the pid the thread has now */
	const char *why;     /* SL_BAD */
} strace_line_t;

/* Take one line (without its line end) apart. Pointers point into line. */
void strace_line_split(const char *line, size_t len, strace_line_t *out);

/*
 * Where strace's "strace: Process N attached" (or detached) ends a line that
 * began as something else, as it does on standard error when a process
 * attaches in the middle of another's line: the length of the part before
 * the note (the line continues on the next one), or 0 if there is none.
 */
size_t strace_note_inside(const char *line, size_t len);

enum { STRACE_MAX_ARGS = 8, STRACE_NAME_MAX = 31, STRACE_ERRNO_MAX = 15 };

typedef struct strace_span {
	const char *p;
	size_t len;
} strace_span_t;

typedef enum {
	SR_VALUE,            /* a return value: value */
	SR_ERROR,            /* -1 and an errno: errno_name ("" if strace had no name) */
	SR_UNKNOWN           /* "?": the call did not return (the process ended, a restart) */
} strace_result_kind_t;

/* A whole call, taken apart into its arguments and its result. */
typedef struct strace_call {
	char name[STRACE_NAME_MAX + 1];
	size_t nargs;                  /* all arguments; only the first STRACE_MAX_ARGS are in arg */
	strace_span_t arg[STRACE_MAX_ARGS]; /* each trimmed, into the text */
	strace_result_kind_t result;
	uint64_t value;
	char errno_name[STRACE_ERRNO_MAX + 1];
	int injected;                  /* strace's fault injection made the result (INJECTED) */
	strace_span_t call;            /* NAME(ARGS), for comments */
	strace_span_t result_text;     /* what follows "= ", trimmed */
} strace_call_t;

/*
 * Parse "NAME(ARGS) = RESULT" (no prefix, no duration). Returns 0, or -1
 * with *why saying what is wrong.
 */
int strace_call_parse(const char *text, size_t len, strace_call_t *out, const char **why);

/* ---- Argument values ----------------------------------------------------- */

/*
 * A number as strace prints it: decimal, 0x hex, negative, NULL, or with a
 * -X verbose comment ("0x1 /\* PROT_READ *\/"). Returns 0 or -1.
 */
int strace_value(strace_span_t v, int64_t *out);
int strace_uvalue(strace_span_t v, uint64_t *out);

/*
 * A file descriptor: "3", "-1", "3</path>" (-y), or "4</path>(deleted)" for
 * a file that was removed (a memfd's too); *path (may be NULL) gets the
 * path without the brackets.
 */
int strace_fd(strace_span_t v, int *fd, strace_span_t *path);

/* One name of a flags table and its value. Tables end with a NULL name. */
typedef struct strace_sym {
	const char *name;
	uint64_t value;
} strace_sym_t;

/*
 * Flags: names of syms and numbers joined with "|", or a number with the
 * names in a comment (-X verbose, where the number counts). MAP_HUGE_2MB
 * and its kind are understood wherever MAP_HUGE_SHIFT applies (huge_shift
 * not 0). Returns 0 with the value, or -1; a name that is not in syms is
 * no error, but the first one is returned in *unknown (len 0 if none).
 */
int strace_flags(strace_span_t v, const strace_sym_t *syms, unsigned huge_shift,
                 uint64_t *out, strace_span_t *unknown);

/* The value of "name=VALUE" in an argument or in a structure ("{flags=...}"). */
int strace_field(const char *text, size_t len, const char *name, strace_span_t *out);

#endif
