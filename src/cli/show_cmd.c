/*
 * show_cmd.c: rmemu show: replay a trace and draw its address space, as
 * SVG at one line or as one self-contained HTML page over every line
 * (show.h says how the parts fit).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "show.h"
#include "show_layout.h"

static void
show_usage(FILE *out)
{
	fputs("usage: rmemu show [--at LINE] [-o FILE.svg|FILE.html] [--quiet] TRACE\n"
	      "\n"
	      "Replay the trace on the model and draw its address space: env with the\n"
	      "kernel's reserved ranges, every region by kind, nested region maps inside the\n"
	      "regions that attach them (their regions, free space and blocked faulters), the\n"
	      "mmap layer's mappings by protection with the chunks behind them, and the quota\n"
	      "over the trace. The axis is a fisheye over 47 bits, labelled with addresses.\n"
	      "\n"
	      "  -a, --at LINE   the state after the last operation at or before LINE\n"
	      "                  (default: the end; 0: before the first operation)\n"
	      "  -o, --out FILE  FILE.svg: the picture at that line; FILE.html: one page\n"
	      "                  with a slider over every line (default: SVG on standard output)\n"
	      "  -q, --quiet     no progress line and no summary\n"
	      "      --verify    compare the whole state after every operation (for tests)\n"
	      "  -h, --help      show this help\n"
	      "\n"
	      "Prints a summary on standard error: what was drawn at that line.\n"
	      "Exit status: 0, or 2 on bad usage, a trace that does not parse or replay,\n"
	      "or (--verify) a change the drawing missed.\n", out);
}

int
cmd_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "at", required_argument, NULL, 'a' },
		{ "out", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verify", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out_path = NULL, *path, *name;
	uint64_t at_line = UINT64_MAX;
	int quiet = 0, verify = 0, html, c, status = EXIT_OK;
	rme_trace_t *trace = NULL;
	sh_history_t h;
	sh_scale_t scale;
	uint32_t step;
	char *text, *end;
	size_t len, drawn = 0;
	FILE *out;

	optind = 1;
	while ((c = getopt_long(argc, argv, "a:o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			at_line = strtoull(optarg, &end, 0);
			if (end == optarg || *end) {
				fprintf(stderr, "rmemu show: --at needs a line number, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o': out_path = optarg; break;
		case 'q': quiet = 1; break;
		case 'V': verify = 1; break;
		case 'h': show_usage(stdout); return EXIT_OK;
		default: cli_usage_error("show", NULL); return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		cli_usage_error("show", "expected one TRACE");
		return EXIT_USAGE;
	}
	html = out_path && (cli_ends_with(out_path, ".html") || cli_ends_with(out_path, ".htm"));
	if (out_path && !html && !cli_ends_with(out_path, ".svg")) {
		fprintf(stderr, "rmemu show: %s: the output's name must end in .svg or .html\n", out_path);
		return EXIT_USAGE;
	}
	path = argv[optind];
	name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	trace = cli_load_trace(path, &text, &len);
	if (!trace)
		return EXIT_USAGE;
	if (sh_record(&h, trace, name, verify, quiet) != 0) {
		rme_trace_free(trace);
		free(text);
		return EXIT_USAGE;
	}
	step = at_line == UINT64_MAX ? (uint32_t)(h.steps - 1) : sh_step_at_line(&h, at_line);
	sh_scale_make(&h, SHOW_PLOT, &scale);
	out = out_path ? fopen(out_path, "w") : stdout;
	if (!out) {
		fprintf(stderr, "rmemu show: %s: %s\n", out_path, strerror(errno));
		status = EXIT_USAGE;
	} else {
		if (html) {
			if (sh_write_html(out, &h, &scale, step, text, len) != 0)
				status = EXIT_USAGE;
		} else {
			drawn = sh_write_svg(out, &h, &scale, step);
		}
		if ((out != stdout ? fclose(out) : fflush(out)) != 0) {
			fprintf(stderr, "rmemu show: %s: %s\n", out_path ? out_path : "standard output",
			        strerror(errno));
			status = EXIT_USAGE;
		}
	}
	if (!quiet && status == EXIT_OK) {
		fprintf(stderr, "%s: %zu operations, %zu items over the trace in %zu region maps; "
		        "line %" PRIu32 " drawn", name, h.steps - 1, h.nitems, h.ntracks - (h.pieces != SH_NONE),
		        h.line[step]);
		if (!html)
			fprintf(stderr, " with %zu regions, pieces and faulters", drawn);
		if (h.divergences)
			fprintf(stderr, "; %zu results differ from the trace's (rmemu replay shows them)",
			        h.divergences);
		fputc('\n', stderr);
	}
	if (h.verify_misses) {
		fprintf(stderr, "%s: --verify: %zu changes were outside what their operations touched\n",
		        name, h.verify_misses);
		status = EXIT_USAGE;
	}
	sh_scale_free(&scale);
	sh_history_free(&h);
	rme_trace_free(trace);
	free(text);
	return status;
}
