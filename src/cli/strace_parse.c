/*
 * strace_parse.c: reading strace's output (strace_parse.h).
 */
#include <ctype.h>
#include <string.h>

#include "strace_parse.h"

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static strace_span_t
trim(const char *p, size_t len)
{
	strace_span_t s;

	while (len && (is_blank(*p) || *p == '\r')) {
		p++;
		len--;
	}
	while (len && (is_blank(p[len - 1]) || p[len - 1] == '\r'))
		len--;
	s.p = p;
	s.len = len;
	return s;
}

static int
starts_with(const char *p, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(p, prefix, n) == 0;
}

static int
ends_with(const char *p, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(p + len - n, suffix, n) == 0;
}

/* A decimal number at p (at most len bytes); returns its length, 0 if none. */
static size_t
scan_decimal(const char *p, size_t len, long *out)
{
	size_t i = 0;
	long v = 0;

	while (i < len && isdigit((unsigned char)p[i]) && v < 100000000L)
		v = v * 10 + (p[i++] - '0');
	*out = v;
	return i;
}

/* Drop a duration " <0.000054>" (-T) from the end. */
static size_t
strip_duration(const char *p, size_t len)
{
	size_t i;

	if (!len || p[len - 1] != '>')
		return len;
	for (i = len - 1; i > 0 && (isdigit((unsigned char)p[i - 1]) || p[i - 1] == '.'); i--)
		;
	if (i == len - 1 || i == 0 || p[i - 1] != '<')
		return len;
	i--;
	while (i > 0 && is_blank(p[i - 1]))
		i--;
	return i;
}

/* The length of a system call's name at p: [a-z0-9_]+, starting with a letter or _. */
static size_t
scan_name(const char *p, size_t len)
{
	size_t i = 0;

	if (!len || !(islower((unsigned char)p[0]) || p[0] == '_'))
		return 0;
	while (i < len && (islower((unsigned char)p[i]) || isdigit((unsigned char)p[i]) || p[i] == '_'))
		i++;
	return i;
}

/* The pid a line starts with, "[pid  N] " or "N ", taken off *s; -1 for a malformed one. */
static int
take_pid(strace_span_t *s, strace_line_t *out)
{
	const char *p = s->p;
	size_t n = s->len, k;
	long v;

	if (starts_with(p, n, "[pid")) {
		size_t i = 4;

		while (i < n && is_blank(p[i]))
			i++;
		k = scan_decimal(p + i, n - i, &v);
		if (!k || i + k >= n || p[i + k] != ']') {
			out->kind = SL_BAD;
			out->why = "a malformed [pid N] prefix";
			return -1;
		}
		out->pid = v;
		p += i + k + 1;
		n -= i + k + 1;
	} else if ((k = scan_decimal(p, n, &v)) > 0 && k < n && is_blank(p[k])) {
		out->pid = v;
		p += k;
		n -= k;
	}
	*s = trim(p, n);
	return 0;
}

/* Take a time stamp (-t, -tt, -ttt, -r) and an instruction pointer (-i) off *s. */
static void
skip_stamps(strace_span_t *s)
{
	const char *p = s->p;
	size_t n = s->len;

	/* a time stamp: 12:34:56, 12:34:56.123456, 1795985810.748572, or -r's 0.000123 */
	if (n && isdigit((unsigned char)p[0])) {
		size_t i = 0;

		while (i < n && (isdigit((unsigned char)p[i]) || p[i] == '.' || p[i] == ':'))
			i++;
		if (i < n && is_blank(p[i])) {
			*s = trim(p + i, n - i);
			p = s->p;
			n = s->len;
		}
	}
	/* an instruction pointer (-i): [00007f2be0117000], or [????????????????] where there is none */
	if (n > 2 && p[0] == '[' && (isxdigit((unsigned char)p[1]) || p[1] == '?')) {
		size_t i = 1;

		while (i < n && (isxdigit((unsigned char)p[i]) || p[i] == '?'))
			i++;
		if (i < n && p[i] == ']')
			*s = trim(p + i + 1, n - i - 1);
	}
}

/* "+++ exited with N +++", "+++ killed by SIG +++" or "+++ superseded by execve in pid N +++". */
static void
split_exit(const char *p, size_t n, strace_line_t *out)
{
	const char *sup = "+++ superseded by execve in pid ";
	long v;

	out->kind = SL_EXIT;
	if (starts_with(p, n, sup)) {
		size_t off = strlen(sup);

		if (scan_decimal(p + off, n - off, &v) == 0) {
			out->kind = SL_BAD;
			out->why = "a superseded line without a pid";
			return;
		}
		out->kind = SL_SUPERSEDED;
		out->new_pid = v;
	}
}

/* "<... NAME resumed>REST", or strace's "<detached ...>". */
static void
split_resumed(const char *p, size_t n, strace_line_t *out)
{
	size_t i = 4, k;
	const char *r;

	while (i < n && is_blank(p[i]))
		i++;
	k = scan_name(p + i, n - i);
	r = k ? memchr(p + i + k, '>', n - i - k) : NULL;
	if (!k || !r || !starts_with(p + i + k, n - i - k, " resumed>")) {
		if (ends_with(p, n, "<detached ...>")) {
			out->kind = SL_NOTE;
			return;
		}
		out->kind = SL_BAD;
		out->why = "expected \"<... NAME resumed>\"";
		return;
	}
	out->kind = SL_RESUMED;
	out->name = p + i;
	out->name_len = k;
	out->text = r + 1;
	out->len = strip_duration(r + 1, (size_t)(p + n - (r + 1)));
}

/* "NAME(ARGS) = RESULT", or its first part "NAME(ARGS <unfinished ...>". */
static void
split_call(const char *p, size_t n, strace_line_t *out)
{
	size_t k = scan_name(p, n);
	strace_span_t s;

	if (!k || k >= n || p[k] != '(') {
		out->kind = SL_BAD;
		out->why = "expected a system call, NAME(...)";
		return;
	}
	out->name = p;
	out->name_len = k;
	if (ends_with(p, n, "<unfinished ...>")) {
		s = trim(p, n - strlen("<unfinished ...>"));
		out->kind = SL_UNFINISHED;
		out->text = s.p;
		out->len = s.len;
		return;
	}
	if (ends_with(p, n, "<detached ...>")) {
		out->kind = SL_NOTE;
		return;
	}
	out->kind = SL_CALL;
	out->text = p;
	out->len = strip_duration(p, n);
}

void
strace_line_split(const char *line, size_t len, strace_line_t *out)
{
	strace_span_t s = trim(line, len);

	memset(out, 0, sizeof(*out));
	out->pid = -1;
	out->new_pid = -1;
	if (s.len == 0) {
		out->kind = SL_BLANK;
		return;
	}
	if (starts_with(s.p, s.len, "strace: ") || starts_with(s.p, s.len, " > ") || s.p[0] == '>' ||
	    starts_with(s.p, s.len, "?\?\?\?(")) {
		out->kind = SL_NOTE;
		return;
	}
	if (take_pid(&s, out) != 0)
		return;
	skip_stamps(&s);
	if (s.len == 0) {
		out->kind = SL_BAD;
		out->why = "a prefix without a call";
		return;
	}
	if (starts_with(s.p, s.len, "---"))
		out->kind = SL_SIGNAL;
	else if (starts_with(s.p, s.len, "+++"))
		split_exit(s.p, s.len, out);
	else if (starts_with(s.p, s.len, "<..."))
		split_resumed(s.p, s.len, out);
	else
		split_call(s.p, s.len, out);
}

size_t
strace_note_inside(const char *line, size_t len)
{
	static const char note[] = "strace: Process ";
	size_t n = sizeof(note) - 1;
	strace_span_t s = trim(line, len);

	for (size_t i = 1; i + n <= s.len; i++) {
		size_t j = i + n;

		if (memcmp(s.p + i, note, n) != 0)
			continue;
		while (j < s.len && isdigit((unsigned char)s.p[j]))
			j++;
		if (j > i + n && (ends_with(s.p + j, s.len - j, " attached") ||
		                  ends_with(s.p + j, s.len - j, " detached")))
			return (size_t)(s.p - line) + i;
	}
	return 0;
}

/* ---- Calls --------------------------------------------------------------- */

/*
 * Skip one argument from p: up to a "," or ")" outside of brackets, strings
 * and comments. Returns the index of that character, or len if there is none.
 */
static size_t
skip_argument(const char *p, size_t len, size_t i)
{
	int depth = 0;

	while (i < len) {
		char c = p[i];

		if (c == '"') {
			for (i++; i < len && p[i] != '"'; i++)
				if (p[i] == '\\')
					i++;
			i++;
		} else if (c == '/' && i + 1 < len && p[i + 1] == '*') {
			const char *end = NULL;

			for (size_t j = i + 2; j + 1 < len; j++)
				if (p[j] == '*' && p[j + 1] == '/') {
					end = p + j;
					break;
				}
			i = end ? (size_t)(end - p) + 2 : len;
		} else if (c == '<' && i > 0 && isdigit((unsigned char)p[i - 1])) {
			/* a descriptor's path (-y): 3</usr/lib/libc.so.6> */
			const char *gt = memchr(p + i, '>', len - i);
			i = gt ? (size_t)(gt - p) + 1 : len;
		} else if (c == '(' || c == '[' || c == '{') {
			depth++;
			i++;
		} else if (c == ')' || c == ']' || c == '}') {
			if (depth == 0)
				return i;
			depth--;
			i++;
		} else if (c == ',' && depth == 0) {
			return i;
		} else {
			i++;
		}
	}
	return len;
}

/* Whether needle occurs in the len bytes at p (which need not be terminated). */
static int
contains(const char *p, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(p + i, needle, n) == 0)
			return 1;
	return 0;
}

static int
is_errno_name(const char *p, size_t len)
{
	if (len < 2 || len > STRACE_ERRNO_MAX || p[0] != 'E')
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!isupper((unsigned char)p[i]) && !isdigit((unsigned char)p[i]))
			return 0;
	return 1;
}

int
strace_call_parse(const char *text, size_t len, strace_call_t *out, const char **why)
{
	size_t k = scan_name(text, len), i;
	strace_span_t r;
	int64_t v;

	memset(out, 0, sizeof(*out));
	if (!k || k > STRACE_NAME_MAX || k >= len || text[k] != '(') {
		*why = "expected a system call, NAME(...)";
		return -1;
	}
	memcpy(out->name, text, k);
	out->name[k] = 0;

	i = k + 1;
	while (i < len && is_blank(text[i]))
		i++;
	if (i < len && text[i] == ')') {
		/* no arguments */
	} else {
		for (;;) {
			size_t end = skip_argument(text, len, i);

			if (end >= len) {
				*why = "the arguments do not end with \")\"";
				return -1;
			}
			if (out->nargs < STRACE_MAX_ARGS)
				out->arg[out->nargs] = trim(text + i, end - i);
			out->nargs++;
			if (text[end] == ')') {
				i = end;
				break;
			}
			i = end + 1;
		}
	}
	out->call.p = text;
	out->call.len = i + 1;

	r = trim(text + i + 1, len - i - 1);
	if (!r.len || r.p[0] != '=') {
		*why = "expected \"= RESULT\" after the arguments";
		return -1;
	}
	r = trim(r.p + 1, r.len - 1);
	out->result_text = r;
	if (!r.len) {
		*why = "expected a result after \"=\"";
		return -1;
	}
	out->injected = contains(r.p, r.len, "(INJECTED)");
	if (r.p[0] == '?') {
		out->result = SR_UNKNOWN;
		return 0;
	}
	{
		size_t n = 0;
		strace_span_t num;

		while (n < r.len && !is_blank(r.p[n]))
			n++;
		num.p = r.p;
		num.len = n;
		if (strace_value(num, &v) != 0) {
			*why = "the result is not a number";
			return -1;
		}
		if (v == -1 && n < r.len) {
			strace_span_t e = trim(r.p + n, r.len - n);
			size_t en = 0;

			while (en < e.len && !is_blank(e.p[en]))
				en++;
			out->result = SR_ERROR;
			if (is_errno_name(e.p, en)) {
				memcpy(out->errno_name, e.p, en);
				out->errno_name[en] = 0;
			}
			return 0;
		}
	}
	out->result = SR_VALUE;
	out->value = (uint64_t)v;
	return 0;
}

/* ---- Values -------------------------------------------------------------- */

/* v without a trailing comment "/\* ... *\/" and blanks. */
static strace_span_t
strip_comment(strace_span_t v)
{
	for (size_t i = 0; i + 1 < v.len; i++)
		if (v.p[i] == '/' && v.p[i + 1] == '*')
			return trim(v.p, i);
	return trim(v.p, v.len);
}

static int
parse_unsigned(const char *p, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	int hex = len > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X');

	if (!len)
		return -1;
	if (hex)
		i = 2;
	for (; i < len; i++) {
		unsigned d;
		char c = p[i];

		if (isdigit((unsigned char)c))
			d = (unsigned)(c - '0');
		else if (hex && isxdigit((unsigned char)c))
			d = (unsigned)(tolower((unsigned char)c) - 'a' + 10);
		else
			return -1;
		if (v > (UINT64_MAX - d) / (hex ? 16u : 10u))
			return -1;
		v = v * (hex ? 16u : 10u) + d;
	}
	*out = v;
	return 0;
}

int
strace_uvalue(strace_span_t v, uint64_t *out)
{
	v = strip_comment(v);
	if (v.len == 4 && memcmp(v.p, "NULL", 4) == 0) {
		*out = 0;
		return 0;
	}
	return parse_unsigned(v.p, v.len, out);
}

int
strace_value(strace_span_t v, int64_t *out)
{
	uint64_t u;

	v = strip_comment(v);
	if (v.len && v.p[0] == '-') {
		if (parse_unsigned(v.p + 1, v.len - 1, &u) != 0 || u > (uint64_t)INT64_MAX)
			return -1;
		*out = -(int64_t)u;
		return 0;
	}
	if (strace_uvalue(v, &u) != 0)
		return -1;
	*out = (int64_t)u;
	return 0;
}

int
strace_fd(strace_span_t v, int *fd, strace_span_t *path)
{
	static const char deleted[] = "(deleted)";
	const size_t deleted_len = sizeof(deleted) - 1;
	const char *lt = memchr(v.p, '<', v.len);
	strace_span_t num = v, tail = v;
	int64_t n;

	if (path) {
		path->p = NULL;
		path->len = 0;
	}
	/* -y: "3</path>", and "4</memfd:java_heap>(deleted)" for a file that is gone */
	if (lt) {
		if (tail.len > deleted_len &&
		    memcmp(tail.p + tail.len - deleted_len, deleted, deleted_len) == 0)
			tail.len -= deleted_len;
		if (tail.p + tail.len <= lt + 1 || tail.p[tail.len - 1] != '>')
			return -1;
		num.len = (size_t)(lt - v.p);
		if (path) {
			path->p = lt + 1;
			path->len = (size_t)(tail.p + tail.len - 1 - path->p);
		}
	}
	if (strace_value(num, &n) != 0 || n < -1 || n > 2147483647)
		return -1;
	*fd = (int)n;
	return 0;
}

/* MAP_HUGE_2MB and its kind: the log2 of the page size, in the bits at MAP_HUGE_SHIFT. */
static int
huge_size_flag(const char *p, size_t len, unsigned shift, uint64_t *out)
{
	const char *pre = "MAP_HUGE_";
	size_t n = strlen(pre), i;
	uint64_t num = 0, bytes;
	unsigned log2 = 0;

	if (!shift || !starts_with(p, len, pre))
		return -1;
	for (i = n; i < len && isdigit((unsigned char)p[i]); i++)
		num = num * 10 + (uint64_t)(p[i] - '0');
	if (i == n || len - i != 2 || p[i + 1] != 'B')
		return -1;
	switch (p[i]) {
	case 'K': bytes = num << 10; break;
	case 'M': bytes = num << 20; break;
	case 'G': bytes = num << 30; break;
	default: return -1;
	}
	if (bytes == 0 || (bytes & (bytes - 1)) != 0)
		return -1;
	while (((uint64_t)1 << log2) < bytes)
		log2++;
	*out = (uint64_t)log2 << shift;
	return 0;
}

int
strace_flags(strace_span_t v, const strace_sym_t *syms, unsigned huge_shift,
             uint64_t *out, strace_span_t *unknown)
{
	uint64_t acc = 0;
	size_t i = 0;

	unknown->p = NULL;
	unknown->len = 0;
	v = strip_comment(v);
	if (!v.len)
		return -1;
	while (i <= v.len) {
		size_t j = i;
		strace_span_t tok;
		uint64_t x;

		while (j < v.len && v.p[j] != '|')
			j++;
		tok = trim(v.p + i, j - i);
		if (!tok.len)
			return -1;
		if (isdigit((unsigned char)tok.p[0])) {
			if (parse_unsigned(tok.p, tok.len, &x) != 0)
				return -1;
			acc |= x;
		} else if (huge_size_flag(tok.p, tok.len, huge_shift, &x) == 0) {
			acc |= x;
		} else {
			const strace_sym_t *s;

			for (s = syms; s->name; s++)
				if (strlen(s->name) == tok.len && memcmp(s->name, tok.p, tok.len) == 0)
					break;
			if (s->name)
				acc |= s->value;
			else if (!unknown->p)
				*unknown = tok;
		}
		i = j + 1;
	}
	*out = acc;
	return 0;
}

int
strace_field(const char *text, size_t len, const char *name, strace_span_t *out)
{
	size_t n = strlen(name);

	for (size_t i = 0; i + n + 1 <= len; i++) {
		size_t end;

		if (memcmp(text + i, name, n) != 0 || text[i + n] != '=' ||
		    (i > 0 && (isalnum((unsigned char)text[i - 1]) || text[i - 1] == '_')))
			continue;
		i += n + 1;
		for (end = i; end < len && text[end] != ',' && text[end] != '}' && text[end] != ')'; end++)
			;
		*out = trim(text + i, end - i);
		return 0;
	}
	return -1;
}
