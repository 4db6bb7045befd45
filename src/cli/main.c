/*
 * main.c: the rmemu command: option parsing and dispatch to subcommands.
 */
#include <stdio.h>
#include <string.h>

#include <rmemu/rmemu.h>

#include "cli.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "replay", cmd_replay, "replay traces against the model and compare the results" },
	{ "check", cmd_check, "parse traces and report errors, without replaying" },
	{ "fmt", cmd_fmt, "print a trace in canonical form" },
	{ "import-strace", cmd_import_strace, "turn an strace log of memory calls into traces" },
	{ "record", cmd_record, "run a program under strace and write its traces" },
	{ "show", cmd_show, "draw the address space as SVG, or HTML with a slider over the trace" },
	{ "stats", cmd_stats, "what a trace asks of Genode: peaks, area and quota" },
	{ "bench", cmd_bench, "measure time per operation and metadata per mapping" },
	{ "genode-log", cmd_genode_log, "extract the canonical trace from a Genode log" },
	{ "diff", cmd_diff, "compare two canonical traces operation by operation" },
	{ "compare", cmd_compare, "replay traces under each mmap design and compare them" },
};

static void
usage(FILE *out)
{
	fputs("usage: rmemu [--help] [--version] COMMAND [ARGS...]\n"
	      "\n"
	      "A userspace model of Genode's RAM dataspaces, region maps and libc mmap.\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help     show this help and exit\n"
	      "  -V, --version  show the version and exit\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'rmemu COMMAND --help' describes a command; rmemu(1) and rmemu-trace(5) have more.\n"
	      "Exit status: 0 on success, 1 when a result or check differs, 2 on bad usage or input.\n",
	      out);
}

int
main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		printf("rmemu %s\n", RMEMU_VERSION_STRING);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "rmemu: unknown command '%s' (see 'rmemu --help')\n", cmd);
	return EXIT_USAGE;
}
