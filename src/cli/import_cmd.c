/*
 * import_cmd.c: the import-strace command: its options, the names of the
 * traces it writes, and reading the log (strace_import.h does the rest).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "strace_importer.h"

static void
import_usage(FILE *out)
{
	fputs("usage: rmemu import-strace [-o DIR] [--strict] [--quota SPEC] [--max-map-count N] [-q] LOG\n"
	      "       (- reads standard input)\n"
	      "\n"
	      "Turn a log of 'strace -f -e trace=%memory,clone,clone3,fork,vfork,execve -o LOG CMD'\n"
	      "into traces, one per address space: DIR/NAME.PID.trace, and DIR/NAME.PID.N.trace for\n"
	      "the N-th after an execve, where NAME is the log's file name without .log or .strace.\n"
	      "Prints the names written. Calls a trace cannot express stay as comments, and\n"
	      "standard error says which (each one that cannot be read, a summary of the rest).\n"
	      "\n"
	      "  -o, --dir DIR     where to write the traces (default: the current directory;\n"
	      "                    made if it does not exist)\n"
	      "  -s, --strict      stop at the first line or call that cannot be read, or call\n"
	      "                    whose effect on the mappings a trace cannot carry (exit 2)\n"
	      "  -Q, --quota SPEC  the quota to write, as 'ram=64M caps=500' (default: one that\n"
	      "                    never limits the mmap area)\n"
	      "  -m, --max-map-count N  vm.max_map_count where the log was made (rmemu record\n"
	      "                    gives it), to tell its refusals from others'\n"
	      "  -q, --quiet       no progress line\n"
	      "  -h, --help        show this help\n"
	      "\n"
	      "Exit status: 0 when the traces were written, 2 on bad usage or input.\n", out);
}

/* DIR/NAME: the log's file name without its directory and a .log or .strace ending. */
static char *
output_prefix(const char *dir, const char *log_path)
{
	const char *base = strcmp(log_path, "-") == 0 ? "stdin" : log_path;
	const char *slash = strrchr(base, '/');
	size_t n;
	sbuf_t b = { 0 };

	if (slash)
		base = slash + 1;
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".log") == 0)
		n -= 4;
	else if (n > 7 && strcmp(base + n - 7, ".strace") == 0)
		n -= 7;
	if (dir) {
		sb_puts(&b, dir);
		if (b.len && b.p[b.len - 1] != '/')
			sb_puts(&b, "/");
	}
	sb_add(&b, base, n);
	return b.p;
}

int
cmd_import_strace(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'o' },
		{ "strict", no_argument, NULL, 's' },
		{ "quota", required_argument, NULL, 'Q' },
		{ "max-map-count", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	import_options_t opt;
	const char *dir = NULL;
	char *prefix;
	cli_lines_t log;
	int c, status;

	memset(&opt, 0, sizeof(opt));
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:sQ:m:qh", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'o': dir = optarg; break;
		case 's': opt.strict = 1; break;
		case 'm':
			opt.system_map_count_max = strtoull(optarg, &end, 10);
			if (!*optarg || *end || opt.system_map_count_max == 0 || optarg[0] == '-') {
				fprintf(stderr, "rmemu: --max-map-count '%s': expected a positive number\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q': opt.quiet = 1; break;
		case 'Q':
			if (import_parse_quota(optarg, &opt) != 0)
				return EXIT_USAGE;
			break;
		case 'h': import_usage(stdout); return EXIT_OK;
		default: cli_usage_error("import-strace", NULL); return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		cli_usage_error("import-strace", "expected one LOG");
		return EXIT_USAGE;
	}
	if (dir && cli_make_dir(dir) != 0)
		return EXIT_USAGE;
	if (cli_lines_open(&log, argv[optind]) != 0)
		return EXIT_USAGE;
	opt.names = stdout;
	prefix = output_prefix(dir, argv[optind]);
	status = strace_import_file(&log, prefix, &opt);
	cli_lines_close(&log);
	free(prefix);
	return status;
}
