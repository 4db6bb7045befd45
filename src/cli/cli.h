/*
 * cli.h: what the rmemu command's files share.
 */
#ifndef RMEMU_CLI_H
#define RMEMU_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { EXIT_OK = 0, EXIT_DIVERGED = 1, EXIT_USAGE = 2 };

/*
 * A usage error of command cmd (NULL: rmemu itself): "rmemu CMD: msg" (if
 * msg), then where to find the help, not the whole of it.
 */
void cli_usage_error(const char *cmd, const char *msg);

int cmd_replay(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_fmt(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* How messages name an input: "<stdin>" for "-". */
const char *cli_name(const char *path);

/*
 * The most bytes any input may have: 1 GiB, or RMEMU_MAX_INPUT, or what
 * 'rmemu --max-input SIZE' set (cli_set_input_limit; what names the
 * setting in a message). io.c says why inputs are bounded.
 */
uint64_t cli_input_limit(void);
int cli_set_input_limit(const char *spec, const char *what);

/*
 * Read a whole file ("-" is standard input) into a buffer the caller frees,
 * no more than the input limit. On failure prints a message naming the
 * file and returns -1.
 */
int cli_read_file(const char *path, char **text, size_t *len);

/*
 * The same for a trace, refused as soon as it cannot be one: no header in
 * its first 64 KiB, or a line longer than 1 MiB.
 */
int cli_read_trace(const char *path, char **text, size_t *len);

/*
 * Read and parse a trace; NULL after a message if it cannot be. With
 * text, the caller gets (and frees) the text as well.
 */
struct rme_trace;
struct rme_trace *cli_load_trace(const char *path, char **text, size_t *len);

/* A log read a line at a time, within the input limit; lines longer than 1 MiB are cut. */
typedef struct cli_lines {
	const char *path;
	FILE *f;
	char *buf;
	size_t cap;
	size_t line;                /* of the line last returned, from 1 */
	uint64_t bytes;             /* read so far */
	uint64_t size;              /* the file's size if it is a regular file, else 0 */
	int cut;                    /* the line last returned was longer than 1 MiB: cut */
	int failed;                 /* a read failed or the limit was passed (said) */
} cli_lines_t;

int cli_lines_open(cli_lines_t *r, const char *path);
/* The next line without its LF (NUL-terminated, until the next call): 1, 0 at the end, -1 (said). */
int cli_lines_next(cli_lines_t *r, const char **line, size_t *len);
void cli_lines_close(cli_lines_t *r);

/* Whether s ends in tail (an output's kind by its name: .svg, .html). */
int cli_ends_with(const char *s, const char *tail);

/* The last line of the trace that holds an operation: what progress counts to. */
size_t cli_trace_lines(const struct rme_trace *trace);

/* Whether two paths name one file (an output that would overwrite an input). */
int cli_same_file(const char *a, const char *b);

/* Make a directory and its parents as needed (mkdir -p); 0, or -1 after a message. */
int cli_make_dir(const char *dir);

/* The canonical trace printer's write callback for a FILE *. */
void cli_write_file(void *ctx, const char *buf, size_t len);

/* import-strace, record, stats: recording real programs (doc/recording.md). */
int cmd_import_strace(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_stats(int argc, char **argv);

/* show: the address space drawn (show.h). */
int cmd_show(int argc, char **argv);

/* genode-log, diff: closing the loop with real Genode (genode/README.md). */
int cmd_genode_log(int argc, char **argv);
int cmd_diff(int argc, char **argv);

/* compare: the mmap designs side by side on the same traces (doc/designs.md). */
int cmd_compare(int argc, char **argv);

#endif
