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
	fputs("usage: rmemu [--help] [--version] [--max-input SIZE] COMMAND [ARGS...]\n"
	      "\n"
	      "A userspace model of Genode's RAM dataspaces, region maps and libc mmap.\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help          show this help and exit\n"
	      "  -V, --version       show the version and exit\n"
	      "  --max-input SIZE    refuse inputs larger than SIZE (default 1G; also\n"
	      "                      RMEMU_MAX_INPUT)\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'rmemu help COMMAND' or 'rmemu COMMAND --help' describes a command; rmemu(1) and\n"
	      "rmemu-trace(5) have more.\n"
	      "Exit status: 0 on success, 1 when a result or check differs, 2 on bad usage or input\n"
	      "(record passes its program's status through and fails with 125).\n", out);
}

void
cli_usage_error(const char *cmd, const char *msg)
{
	if (msg)
		fprintf(stderr, "rmemu%s%s: %s\n", cmd ? " " : "", cmd ? cmd : "", msg);
	fprintf(stderr, "Try 'rmemu %s%s--help' for more information.\n", cmd ? cmd : "", cmd ? " " : "");
}

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* Run a command with "rmemu COMMAND" as its argv[0], which getopt's messages begin with. */
static int
run_command(const struct command *c, int argc, char **argv)
{
	char name[32];

	snprintf(name, sizeof(name), "rmemu %s", c->name);
	argv[0] = name;
	return c->run(argc, argv);
}

int
main(int argc, char **argv)
{
	const struct command *c;
	int first = 1;

	/* rmemu's own options, before the command */
	while (first < argc && argv[first][0] == '-') {
		const char *o = argv[first];

		if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(o, "-V") == 0 || strcmp(o, "--version") == 0) {
			printf("rmemu %s\n", RMEMU_VERSION_STRING);
			return 0;
		}
		if (strcmp(o, "--max-input") == 0 && first + 1 < argc) {
			if (cli_set_input_limit(argv[first + 1], "--max-input") != 0)
				return EXIT_USAGE;
			first += 2;
			continue;
		}
		if (strncmp(o, "--max-input=", 12) == 0) {
			if (cli_set_input_limit(o + 12, "--max-input") != 0)
				return EXIT_USAGE;
			first++;
			continue;
		}
		if (strcmp(o, "--max-input") == 0)
			fprintf(stderr, "rmemu: option '--max-input' requires an argument\n");
		else if (o[1] == '-')
			fprintf(stderr, "rmemu: unrecognized option '%s'\n", o);
		else
			fprintf(stderr, "rmemu: invalid option -- '%s'\n", o + 1);
		cli_usage_error(NULL, NULL);
		return EXIT_USAGE;
	}
	if (first == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[first], "help") == 0) {
		/* rmemu help [COMMAND]: the command's own --help */
		static char help[] = "--help";
		char *args[3];

		if (first + 1 == argc) {
			usage(stdout);
			return 0;
		}
		c = find_command(argv[first + 1]);
		if (!c) {
			fprintf(stderr, "rmemu help: unknown command '%s'\n", argv[first + 1]);
			cli_usage_error(NULL, NULL);
			return EXIT_USAGE;
		}
		args[0] = argv[first + 1];
		args[1] = help;
		args[2] = NULL;
		return run_command(c, 2, args);
	}
	c = find_command(argv[first]);
	if (c)
		return run_command(c, argc - first, argv + first);
	fprintf(stderr, "rmemu: unknown command '%s'\n", argv[first]);
	cli_usage_error(NULL, NULL);
	return EXIT_USAGE;
}
