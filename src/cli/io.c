/*
 * io.c: reading trace files and writing output for the rmemu command.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmemu/trace.h>

#include "cli.h"

int
cli_read_file(const char *path, char **text, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 0, n = 0;
	char *buf = NULL;
	const char *why = NULL;

	if (!f) {
		fprintf(stderr, "rmemu: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			size_t bigger = cap ? cap * 2 : 1 << 16;
			char *grown = bigger > cap ? realloc(buf, bigger) : NULL;
			if (!grown) {
				why = "out of memory";
				break;
			}
			buf = grown;
			cap = bigger;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				why = strerror(errno);
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	if (why) {
		fprintf(stderr, "rmemu: %s: %s\n", path, why);
		free(buf);
		return -1;
	}
	*text = buf;
	*len = n;
	return 0;
}

void
cli_write_file(void *ctx, const char *buf, size_t len)
{
	fwrite(buf, 1, len, (FILE *)ctx);
}

size_t
cli_trace_lines(const rme_trace_t *trace)
{
	size_t n = rme_trace_op_count(trace);

	return n ? rme_trace_op(trace, n - 1)->line : 0;
}
