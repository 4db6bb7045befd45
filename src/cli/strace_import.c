/*
 * strace_import.c: import-strace's reading of the log: line by line,
 * putting calls that strace split (unfinished, resumed) back together,
 * finding the task of each line, and handing memory calls and process
 * calls on; then writing the traces (strace_import.h; the parts are
 * described in strace_importer.h).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rmemu/trace.h>

#include "cli.h"
#include "strace_importer.h"
#include "xalloc.h"

/* A memory call of t that never returned (the process ended): kept as a comment. */
static void
abandon_pending(task_t *t)
{
	size_t name_len;
	char name[STRACE_NAME_MAX + 1];
	sbuf_t b = { 0 };
	emitted_t *e;

	if (!t->pending)
		return;
	name_len = strcspn(t->pending, "(");
	snprintf(name, sizeof(name), "%.*s", (int)name_len, t->pending);
	if (is_memory_call(name)) {
		e = emit(t->space, -1);
		sb_printf(&b, "%s <unfinished ...> -- no result: the process ended during the call", t->pending);
		e->comment = b.p;
		t->space->comments++;
		t->space->memory_calls++;
		count_kept(t->space->imp, name, "no result: the process ended during the call", KEPT_NOTE);
	}
	free(t->pending);
	t->pending = NULL;
}

static void
bad_line(importer_t *imp, const char *why, const char *line, size_t len)
{
	imp->bad_lines++;
	say_unreadable(imp, "cannot read this line", why, line, len);
}

/* A whole call of task t. */
static void
on_call(importer_t *imp, task_t *t, const char *text, size_t len, const char *line, size_t line_len)
{
	strace_call_t c;
	const char *why;

	if (strace_call_parse(text, len, &c, &why) != 0) {
		bad_line(imp, why, line, line_len);
		return;
	}
	t->space->last_line = imp->line;
	if (!memory_call(t->space, &c))
		process_call(imp, t, &c);
}

/* Returns 0, or -1 if --strict stops the import. */
static int
on_line(importer_t *imp, const char *line, size_t len)
{
	strace_line_t l;
	task_t *t;
	size_t before = imp->bad_lines;

	strace_line_split(line, len, &l);
	switch (l.kind) {
	case SL_BLANK:
	case SL_NOTE:
		return 0;
	case SL_BAD:
		bad_line(imp, l.why, line, len);
		break;
	case SL_SIGNAL:
		(void)task_of(imp, l.pid, &l);
		return 0;
	case SL_EXIT:
	case SL_SUPERSEDED:
		t = task_of(imp, l.pid, &l);
		if (l.kind == SL_SUPERSEDED && t->pending) {
			/* the thread that called execve goes on as the leader, new_pid */
			task_t *leader = task_find(imp, l.new_pid);

			if (leader && leader != t && !leader->pending) {
				leader->pending = t->pending;
				leader->pending_seq = t->pending_seq;
				t->pending = NULL;
			}
		}
		abandon_pending(t);
		task_remove(imp, t);
		return 0;
	case SL_CALL:
		t = task_of(imp, l.pid, &l);
		if (t->pending) {
			bad_line(imp, "a call while another one of this pid is unfinished", line, len);
			free(t->pending);
			t->pending = NULL;
		}
		on_call(imp, t, l.text, l.len, line, len);
		break;
	case SL_UNFINISHED:
		t = task_of(imp, l.pid, &l);
		free(t->pending);
		t->pending = xstrndup(l.text, l.len);
		t->pending_seq = ++imp->seq;
		if (is_process_creation(l.name, l.name_len))
			imp->saw_clone = 1;
		return 0;
	case SL_RESUMED:
		t = task_of(imp, l.pid, &l);
		if (!t->pending || strncmp(t->pending, l.name, l.name_len) != 0 ||
		    t->pending[l.name_len] != '(') {
			if (l.name_len == 6 && memcmp(l.name, "execve", 6) == 0) {
				/* the execve of a thread that became the leader: only its result matters */
				sbuf_t b = { 0 };

				sb_puts(&b, "execve(");
				sb_add(&b, l.text, l.len);
				on_call(imp, t, b.p, b.len, line, len);
				free(b.p);
				break;
			}
			bad_line(imp, "a resumed call that did not start", line, len);
			break;
		} else {
			sbuf_t b = { 0 };

			sb_puts(&b, t->pending);
			sb_add(&b, l.text, l.len);
			free(t->pending);
			t->pending = NULL;
			on_call(imp, t, b.p, b.len, line, len);
			free(b.p);
		}
		break;
	}
	return imp->opt->strict && (imp->bad_lines > before || imp->strict_stop) ? -1 : 0;
}

/* One line of the log as read (without its LF); 0, or -1 if --strict stops the import. */
static int
feed_line(importer_t *imp, sbuf_t *carry, const char *line, size_t n)
{
	size_t note;
	int stop;

	imp->line++;
	if ((imp->line & 0x3ff) == 0)
		cli_progress_update(&imp->progress, imp->line);
	if (n && line[n - 1] == '\r')
		n--;    /* a log that went through Windows: its lines end in CR LF */
	/*
	 * On standard error, strace's own "strace: Process N attached" can
	 * cut a line in two; put it back together without the note.
	 */
	note = strace_note_inside(line, n);
	if (note) {
		sb_add(carry, line, note);
		return 0;
	}
	if (carry->len) {
		sb_add(carry, line, n);
		stop = on_line(imp, carry->p, carry->len);
		carry->len = 0;
	} else {
		stop = on_line(imp, line, n);
	}
	if (stop)
		fprintf(imp_messages(imp), "%s: stopped at line %zu (--strict); no traces written\n",
		        imp->log_name, imp->line);
	return stop;
}

/* After the last line (status: EXIT_OK, or EXIT_USAGE if the import stopped): the traces. */
static int
finish(importer_t *imp, const char *prefix, int status)
{
	FILE *msg = imp_messages(imp);
	int written = 0;

	cli_progress_end(&imp->progress);
	if (status == EXIT_OK) {
		/* calls still unfinished at the end of the log never returned */
		for (size_t i = 0; i < imp->ntasks; i++)
			abandon_pending(&imp->task[i]);
		if (imp->guessed_processes && !imp->saw_clone)
			fprintf(msg, "%s: the log has no clone, fork or execve lines, so every pid is taken for a "
			        "process of its own; threads need them (strace -e trace=%%memory,clone,clone3,fork,"
			        "vfork,execve, as rmemu record does)\n", imp->log_name);
		if (write_traces(imp, prefix) != 0)
			status = EXIT_USAGE;
		for (size_t i = 0; i < imp->nspaces; i++)
			written += imp->space[i]->memory_calls > 0;
		if (written == 0 && status == EXIT_OK) {
			fprintf(msg, "%s: no memory calls in the log; no traces written\n", imp->log_name);
			status = EXIT_USAGE;
		}
		report_kept(imp);
		if (imp->bad_lines)
			fprintf(msg, "%s: %zu line%s could not be read\n", imp->log_name, imp->bad_lines,
			        imp->bad_lines == 1 ? "" : "s");
	}
	for (size_t i = 0; i < imp->nkept; i++)
		free(imp->kept[i].why);
	free(imp->kept);
	for (size_t i = 0; i < imp->ntasks; i++)
		free(imp->task[i].pending);
	free(imp->task);
	for (size_t i = 0; i < imp->nspaces; i++)
		space_free(imp->space[i]);
	free(imp->space);
	return status;
}

static void
begin(importer_t *imp, const char *log_name, const import_options_t *opt, uint64_t lines)
{
	memset(imp, 0, sizeof(*imp));
	imp->log_name = log_name;
	imp->opt = opt;
	imp->first_pid = -1;
	cli_progress_begin(&imp->progress, log_name, "lines", lines, opt->quiet);
}

int
strace_import(const char *log_name, const char *text, size_t len, const char *prefix,
              const import_options_t *opt)
{
	importer_t imp;
	size_t pos = 0, lines = 0;
	int status = EXIT_OK;
	sbuf_t carry = { 0 };

	for (const char *p = text, *end = text + len; p < end; lines++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	begin(&imp, log_name, opt, lines);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		const char *line = text + pos;

		pos += n + 1;
		if (feed_line(&imp, &carry, line, n) != 0) {
			status = EXIT_USAGE;
			break;
		}
	}
	free(carry.p);
	return finish(&imp, prefix, status);
}

int
strace_import_file(cli_lines_t *log, const char *prefix, const import_options_t *opt)
{
	importer_t imp;
	int status = EXIT_OK, got;
	sbuf_t carry = { 0 };
	const char *line;
	size_t n;

	begin(&imp, cli_name(log->path), opt, 0);
	while ((got = cli_lines_next(log, &line, &n)) > 0) {
		/* the lines to come, as many as the bytes to come hold at this rate */
		if (log->size && log->bytes)
			imp.progress.total = (uint64_t)((double)log->line * (double)log->size /
			                                (double)log->bytes);
		if (log->cut) {
			imp.line++;
			bad_line(&imp, "longer than 1 MiB, cut", line, n);
			if (opt->strict) {
				fprintf(imp_messages(&imp), "%s: stopped at line %zu (--strict); no traces "
				        "written\n", imp.log_name, imp.line);
				status = EXIT_USAGE;
				break;
			}
			continue;
		}
		if (feed_line(&imp, &carry, line, n) != 0) {
			status = EXIT_USAGE;
			break;
		}
	}
	if (got < 0)
		status = EXIT_USAGE;
	free(carry.p);
	return finish(&imp, prefix, status);
}

int
import_parse_quota(const char *spec, import_options_t *opt)
{
	sbuf_t text = { 0 };
	rme_trace_t *t = NULL;
	rme_trace_error_t err;
	const rme_trace_directives_t *d;

	/* the trace parser knows what a quota directive may say: let it judge */
	sb_puts(&text, "rmemu-trace 1\nquota ");
	for (const char *p = spec; *p; p++)
		sb_add(&text, *p == ',' ? " " : p, 1);
	sb_puts(&text, "\n");
	if (rme_trace_parse("--quota", text.p, text.len, NULL, &t, &err) != RME_OK) {
		fprintf(stderr, "rmemu: --quota '%s': expected ram=SIZE and/or caps=N (%s)\n", spec,
		        strstr(err.msg, ": ") ? strstr(err.msg, ": ") + 2 : err.msg);
		free(text.p);
		return -1;
	}
	d = rme_trace_directives(t);
	opt->has_ram_quota = d->has_ram_quota;
	opt->ram_quota = d->ram_quota;
	opt->has_cap_quota = d->has_cap_quota;
	opt->cap_quota = d->cap_quota;
	rme_trace_free(t);
	free(text.p);
	return 0;
}
