/*
 * io.c: reading the rmemu command's inputs and writing its output.
 *
 * Every input is read with bounded memory before it is judged: a trace
 * must show its header within its first 64 KiB, no line of it may pass
 * 1 MiB, and no input may pass the input limit (1 GiB unless
 * RMEMU_MAX_INPUT or --max-input says otherwise). So a wrong file, a
 * device like /dev/zero or a runaway pipe is refused at once, or at the
 * limit, with a message that says where and why, instead of being read
 * into memory whole. Logs (strace's, Genode's) are read a line at a time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rmemu/trace.h>

#include "cli.h"

/* What a trace's first content line may take to show up, and any line's length. */
#define HEADER_WINDOW ((size_t)64 << 10)
#define LINE_MAX_BYTES ((size_t)1 << 20)
#define INPUT_LIMIT_DEFAULT ((uint64_t)1 << 30)

static uint64_t input_limit;    /* 0: not set yet */

const char *
cli_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

/* "64M", "1G", "4096": a size with an optional binary suffix; 0 or -1. */
static int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'T': case 't': shift = 40; end++; break;
	default: break;
	}
	if (*end || v == 0 || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int
cli_set_input_limit(const char *spec, const char *what)
{
	uint64_t v;

	if (parse_size(spec, &v) != 0) {
		fprintf(stderr, "rmemu: %s '%s': expected a size such as 64M or 2G\n", what, spec);
		return -1;
	}
	input_limit = v;
	return 0;
}

uint64_t
cli_input_limit(void)
{
	const char *env;

	if (!input_limit) {
		input_limit = INPUT_LIMIT_DEFAULT;
		env = getenv("RMEMU_MAX_INPUT");
		if (env && *env && cli_set_input_limit(env, "RMEMU_MAX_INPUT") != 0)
			input_limit = INPUT_LIMIT_DEFAULT;
	}
	return input_limit;
}

/* "1 GiB", "64 MiB", "12345 bytes" */
static void
format_size(char *buf, size_t size, uint64_t n)
{
	static const char *const units[] = { "TiB", "GiB", "MiB", "KiB" };

	for (int i = 0; i < 4; i++) {
		unsigned shift = 40 - 10 * (unsigned)i;

		if (n >= ((uint64_t)1 << shift) && n % ((uint64_t)1 << shift) == 0) {
			snprintf(buf, size, "%" PRIu64 " %s", n >> shift, units[i]);
			return;
		}
	}
	snprintf(buf, size, "%" PRIu64 " bytes", n);
}

static void
say_over_limit(const char *path)
{
	char limit[32];

	format_size(limit, sizeof(limit), cli_input_limit());
	fprintf(stderr, "rmemu: %s: larger than the input limit of %s (RMEMU_MAX_INPUT or "
	        "'rmemu --max-input SIZE' raise it)\n", cli_name(path), limit);
}

static FILE *
open_input(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	struct stat st;

	if (!f) {
		fprintf(stderr, "rmemu: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "rmemu: %s: is a directory\n", path);
		fclose(f);
		return NULL;
	}
	return f;
}

/*
 * Whether the trace read so far, text[0, n), can still be one: its first
 * line with content (past blank and comment lines) must be the header.
 * 1: it is, 0: not known yet (read on), -1: it is not (said).
 */
static int
header_check(const char *path, const char *text, size_t n, int at_end)
{
	const char *p = text, *end = text + n;
	size_t line = 1;

	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *q = p;

		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		if (q < eol && *q != '#') {
			/* the first line with content: enough of it to judge? */
			rme_trace_t *t = NULL;
			rme_trace_error_t err;

			if (!nl && !at_end && (size_t)(eol - q) < 64 && n < HEADER_WINDOW)
				return 0;
			if (rme_trace_parse(cli_name(path), text, (size_t)((nl ? nl + 1 : eol) - text), NULL, &t, &err) ==
			    RME_OK) {
				rme_trace_free(t);
				return 1;
			}
			fprintf(stderr, "%s\n", err.msg);
			return -1;
		}
		if (!nl)
			break;
		p = nl + 1;
		line++;
	}
	if (at_end)
		return 1;       /* the parser says what is missing */
	if (n < HEADER_WINDOW)
		return 0;
	fprintf(stderr, "%s:%zu: not an rmemu trace: no header \"rmemu-trace 1\" in its first 64 KiB\n",
	        cli_name(path), line);
	return -1;
}

/* Read a whole input, judging it as it comes (traces: header, line length); 0 or -1. */
static int
read_input(const char *path, int trace, char **text, size_t *len)
{
	FILE *f = open_input(path);
	size_t cap = 0, n = 0, line = 1, line_start = 0;
	int header = trace ? 0 : 1;
	uint64_t limit = cli_input_limit();
	char *buf = NULL;
	const char *why = NULL;

	if (!f)
		return -1;
	for (;;) {
		size_t got, want;

		if (n == cap) {
			size_t bigger = cap ? cap * 2 : HEADER_WINDOW;
			char *grown = bigger > cap ? realloc(buf, bigger) : NULL;

			if (!grown) {
				why = "out of memory";
				break;
			}
			buf = grown;
			cap = bigger;
		}
		/* the first read is the header's window, so that a wrong file costs no more */
		want = cap - n;
		if ((uint64_t)n + want > limit + 1)
			want = (size_t)(limit + 1 - n);
		got = fread(buf + n, 1, want, f);
		if (got == 0 && ferror(f)) {
			why = strerror(errno);
			break;
		}
		if (trace) {
			for (const char *p = buf + n, *e = buf + n + got;
			     (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++) {
				line++;
				line_start = (size_t)(p + 1 - buf);
			}
		}
		n += got;
		if (n > limit) {
			say_over_limit(path);
			goto fail;
		}
		if (!header && (header = header_check(path, buf, n, got == 0)) < 0)
			goto fail;
		if (trace && n - line_start > LINE_MAX_BYTES) {
			fprintf(stderr, "%s:%zu: a line longer than 1 MiB: not an rmemu trace\n",
			        cli_name(path), line);
			goto fail;
		}
		if (got == 0)
			break;
	}
	if (why) {
		fprintf(stderr, "rmemu: %s: %s\n", cli_name(path), why);
		goto fail;
	}
	if (f != stdin)
		fclose(f);
	*text = buf;
	*len = n;
	return 0;
fail:
	if (f != stdin)
		fclose(f);
	free(buf);
	return -1;
}

int
cli_read_file(const char *path, char **text, size_t *len)
{
	return read_input(path, 0, text, len);
}

int
cli_read_trace(const char *path, char **text, size_t *len)
{
	return read_input(path, 1, text, len);
}

rme_trace_t *
cli_load_trace(const char *path, char **text, size_t *len)
{
	rme_trace_error_t err;
	rme_trace_t *trace = NULL;
	char *buf;
	size_t n;
	rme_err_t rc;

	if (cli_read_trace(path, &buf, &n) != 0)
		return NULL;
	rc = rme_trace_parse(cli_name(path), buf, n, NULL, &trace, &err);
	if (rc != RME_OK) {
		fprintf(stderr, "%s\n", err.msg[0] ? err.msg : rme_err_str(rc));
		free(buf);
		return NULL;
	}
	if (text) {
		*text = buf;
		*len = n;
	} else {
		free(buf);
	}
	return trace;
}

/* ---- Lines ------------------------------------------------------------------------ */

int
cli_lines_open(cli_lines_t *r, const char *path)
{
	struct stat st;

	memset(r, 0, sizeof(*r));
	r->path = path;
	r->f = open_input(path);
	if (!r->f)
		return -1;
	if (fstat(fileno(r->f), &st) == 0 && S_ISREG(st.st_mode))
		r->size = (uint64_t)st.st_size;
	return 0;
}

int
cli_lines_next(cli_lines_t *r, const char **line, size_t *len)
{
	size_t n = 0;
	int c;

	r->cut = 0;
	if (!r->f || r->failed)
		return -1;
	for (;;) {
		c = getc_unlocked(r->f);
		if (c == EOF)
			break;
		if (++r->bytes > cli_input_limit()) {
			say_over_limit(r->path);
			r->failed = 1;
			return -1;
		}
		if (c == '\n')
			break;
		if (n >= LINE_MAX_BYTES) {
			r->cut = 1;    /* the rest of the line is dropped */
			continue;
		}
		if (n + 1 >= r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 256;
			char *grown = realloc(r->buf, cap);

			if (!grown) {
				fprintf(stderr, "rmemu: %s: out of memory\n", cli_name(r->path));
				r->failed = 1;
				return -1;
			}
			r->buf = grown;
			r->cap = cap;
		}
		r->buf[n++] = (char)c;
	}
	if (c == EOF && ferror(r->f)) {
		fprintf(stderr, "rmemu: %s: %s\n", cli_name(r->path), strerror(errno));
		r->failed = 1;
		return -1;
	}
	if (c == EOF && n == 0 && !r->cut)
		return 0;
	r->line++;
	if (!r->buf) {
		r->buf = malloc(1);
		if (!r->buf) {
			r->failed = 1;
			return -1;
		}
	}
	r->buf[n] = 0;
	*line = r->buf;
	*len = n;
	return 1;
}

void
cli_lines_close(cli_lines_t *r)
{
	if (r->f && r->f != stdin)
		fclose(r->f);
	free(r->buf);
	r->f = NULL;
	r->buf = NULL;
}

/* ---- Output ----------------------------------------------------------------------- */

int
cli_same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (strcmp(a, "-") == 0 || strcmp(b, "-") == 0)
		return 0;
	if (strcmp(a, b) == 0)
		return 1;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int
cli_make_dir(const char *dir)
{
	size_t n = strlen(dir);
	char *path = malloc(n + 1);
	struct stat st;

	if (!path) {
		fprintf(stderr, "rmemu: out of memory\n");
		return -1;
	}
	memcpy(path, dir, n + 1);
	/* each parent in turn, then the directory itself, as mkdir -p */
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != 0)
			continue;
		path[i] = 0;
		if (mkdir(path, 0777) != 0 && errno != EEXIST) {
			fprintf(stderr, "rmemu: cannot make the directory %s: %s\n", path, strerror(errno));
			free(path);
			return -1;
		}
		path[i] = i < n ? '/' : 0;
	}
	free(path);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "rmemu: %s: not a directory\n", dir);
		return -1;
	}
	return 0;
}

void
cli_write_file(void *ctx, const char *buf, size_t len)
{
	fwrite(buf, 1, len, (FILE *)ctx);
}

int
cli_ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);
	return n >= m && strcmp(s + n - m, tail) == 0;
}

size_t
cli_trace_lines(const rme_trace_t *trace)
{
	size_t n = rme_trace_op_count(trace);

	return n ? rme_trace_op(trace, n - 1)->line : 0;
}
