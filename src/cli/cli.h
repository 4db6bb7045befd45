/*
 * cli.h: what the rmemu command's files share.
 */
#ifndef RMEMU_CLI_H
#define RMEMU_CLI_H

#include <stddef.h>

enum { EXIT_OK = 0, EXIT_DIVERGED = 1, EXIT_USAGE = 2 };

int cmd_replay(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_fmt(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/*
 * Read a whole file ("-" is standard input) into a buffer the caller frees.
 * On failure prints a message naming the file and returns -1.
 */
int cli_read_file(const char *path, char **text, size_t *len);

/* The last line of the trace that holds an operation: what progress counts to. */
struct rme_trace;
size_t cli_trace_lines(const struct rme_trace *trace);

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
