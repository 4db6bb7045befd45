/*
 * main.c: the rmemu command: option parsing and dispatch to subcommands.
 */
#include <stdio.h>
#include <string.h>

#include <rmemu/rmemu.h>

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
	      "Commands:\n"
	      "  help           show this help\n"
	      "\n"
	      "Exit status: 0 on success, 1 when a check fails, 2 on bad usage or input.\n",
	      out);
}

int
main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return 2;
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
	fprintf(stderr, "rmemu: unknown command '%s' (see 'rmemu --help')\n", cmd);
	return 2;
}
