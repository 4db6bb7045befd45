/*
 * strace_space.c: import-strace's address spaces: one per process, from
 * its start or an execve to its end, with its mappings in Linux addresses
 * (a pagemap), the names the trace binds to them and the block of
 * relocated fixed mappings; and the tasks that use them, as clone, fork,
 * vfork and execve make them (strace_importer.h).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strace_importer.h"
#include "xalloc.h"

space_t *
space_new(importer_t *imp, long pid)
{
	space_t *s = xcalloc(1, sizeof(*s));

	s->imp = imp;
	s->pid = pid;
	s->first_line = imp->line;
	pm_init(&s->map);
	XGROW(imp->space, imp->spaces_cap, imp->nspaces + 1);
	imp->space[imp->nspaces++] = s;
	return s;
}

void
space_free(space_t *s)
{
	for (size_t i = 0; i < s->nout; i++)
		free(s->out[i].comment);
	free(s->out);
	free(s->anchor);
	free(s->absolute);
	free(s->cluster);
	free(s->head.p);
	pm_fini(&s->map);
	free(s);
}

const char *
space_label(const space_t *s, char *buf, size_t size)
{
	if (s->pid < 0)
		snprintf(buf, size, "the process");
	else
		snprintf(buf, size, "pid %ld", s->pid);
	return buf;
}

task_t *
task_find(importer_t *imp, long pid)
{
	for (size_t i = 0; i < imp->ntasks; i++)
		if (imp->task[i].pid == pid)
			return &imp->task[i];
	return NULL;
}

task_t *
task_add(importer_t *imp, long pid, space_t *space)
{
	task_t *t;

	XGROW(imp->task, imp->tasks_cap, imp->ntasks + 1);
	t = &imp->task[imp->ntasks++];
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->space = space;
	return t;
}

void
task_remove(importer_t *imp, task_t *t)
{
	free(t->pending);
	*t = imp->task[--imp->ntasks];
}

/* ---- Names and where memory lies -------------------------------------------- */

/* The anchor of a piece, or NULL if the trace has no name for its memory. */
const anchor_t *
piece_anchor(const space_t *s, const pm_piece_t *p)
{
	return p && p->attr.tag >= 0 ? &s->anchor[p->attr.tag] : NULL;
}

int
anchor_new(space_t *s, uint64_t base, int group)
{
	anchor_t *n;

	XGROW(s->anchor, s->anchors_cap, s->nanchors + 1);
	n = &s->anchor[s->nanchors];
	n->base = base;
	n->name = (unsigned)s->nanchors + 1;
	n->group = group;
	return (int)s->nanchors++;
}

void
add_absolute(space_t *s, uint64_t start, uint64_t end)
{
	XGROW(s->absolute, s->absolute_cap, s->nabsolute + 1);
	s->absolute[s->nabsolute].start = start;
	s->absolute[s->nabsolute].end = end;
	s->nabsolute++;
}

/* Why a range with no name in the trace is no operation, from the tag of its memory. */
const char *
unnamed_reason(int tag)
{
	switch (tag) {
	case TAG_INHERITED: return "on memory inherited at fork, which this trace does not have";
	case TAG_UNEXPRESSED: return "on a mapping this trace could not express";
	default: return "outside every recorded mapping (the kernel's, from execve, or older than the log)";
	}
}

void
segments_of(const space_t *s, uint64_t start, uint64_t end, segments_t *out)
{
	uint64_t pos = start;

	out->n = out->named = 0;
	out->gap = 0;
	out->unnamed_tag = 0;
	for (const pm_piece_t *p = pm_first_after(&s->map, start); p && p->start < end; p = pm_next(p)) {
		uint64_t a = p->start > start ? p->start : start;
		uint64_t b = p->end < end ? p->end : end;
		const anchor_t *n = piece_anchor(s, p);
		segment_t *last = out->n ? &out->seg[out->n - 1] : NULL;

		if (a > pos)
			out->gap = 1;
		pos = b;
		if (!n && !out->unnamed_tag)
			out->unnamed_tag = p->attr.tag;
		if (last && last->end == a &&
		    (n ? last->anchor && last->anchor->group == n->group : !last->anchor)) {
			last->end = b;
			continue;
		}
		XGROW(out->seg, out->cap, out->n + 1);
		out->seg[out->n].start = a;
		out->seg[out->n].end = b;
		out->seg[out->n].anchor = n;
		out->seg[out->n].tag = p->attr.tag;
		out->n++;
		if (n)
			out->named++;
	}
	if (pos < end)
		out->gap = 1;
}

/*
 * Where a fixed mapping over Linux [start, end) goes in the model: if the
 * whole range is named memory of one group, it replaces that memory there
 * too, and the anchor returned is the name to write it relative to. Else
 * NULL: it goes into the block, since beyond what a group covers on Linux
 * the model may hold other mappings (the layer packs its placements
 * closely), which the fixed mapping must not replace.
 */
const anchor_t *
fixed_home(const space_t *s, uint64_t start, uint64_t end)
{
	segments_t sg = { 0 };
	const anchor_t *home = NULL;

	segments_of(s, start, end, &sg);
	if (sg.n == 1 && sg.seg[0].anchor && !sg.gap)
		home = piece_anchor(s, pm_find(&s->map, start));
	free(sg.seg);
	return home;
}

/* ---- Processes -------------------------------------------------------------- */

/* CLONE_VM and CLONE_VFORK: Linux's values (the only clone flags that matter here). */
enum { LINUX_CLONE_VM = 0x100, LINUX_CLONE_VFORK = 0x4000 };

static const strace_sym_t clone_syms[] = {
	{ "CLONE_VM", LINUX_CLONE_VM }, { "CLONE_VFORK", LINUX_CLONE_VFORK }, { NULL, 0 },
};

int
is_process_creation(const char *name, size_t len)
{
	static const char *const names[] = { "clone", "clone3", "fork", "vfork" };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return 1;
	return 0;
}

/* Whether a clone, clone3, fork or vfork (its text from the name on) shares the address space. */
static int
shares_memory(const char *text, size_t len)
{
	strace_span_t v, unknown;
	uint64_t flags;

	if (len >= 6 && memcmp(text, "vfork(", 6) == 0)
		return 1;
	if (len >= 5 && memcmp(text, "fork(", 5) == 0)
		return 0;
	if (strace_field(text, len, "flags", &v) != 0 ||
	    strace_flags(v, clone_syms, 0, &flags, &unknown) != 0)
		return 0;
	return (flags & LINUX_CLONE_VM) != 0;
}

/* A new task of parent, as its clone (text) says: sharing its space, or with a copy of it. */
static task_t *
child_of(importer_t *imp, task_t *parent, long pid, const char *text, size_t len)
{
	space_t *ps = parent->space, *s;

	if (shares_memory(text, len))
		return task_add(imp, pid, ps);
	s = space_new(imp, pid);
	pm_copy(&s->map, &ps->map);
	pm_retag(&s->map, 0, UINT64_MAX, TAG_INHERITED);
	s->forked_from = ps;
	return task_add(imp, pid, s);
}

/*
 * The task of a pid; a pid seen for the first time is the first process
 * if strace printed its first lines without a pid, else a child of the
 * task whose clone is under way, else a process of its own.
 */
task_t *
task_of(importer_t *imp, long pid, const strace_line_t *l)
{
	task_t *t, *nameless, *creator = NULL;

	/* strace drops the pids again when the first process is the only one left */
	if (pid < 0 && imp->first_pid >= 0)
		pid = imp->first_pid;
	t = task_find(imp, pid);
	if (t)
		return t;
	if (pid < 0)
		return task_add(imp, pid, space_new(imp, pid));
	nameless = task_find(imp, -1);
	for (size_t i = 0; i < imp->ntasks; i++) {
		task_t *c = &imp->task[i];

		if (c->pending && is_process_creation(c->pending, strcspn(c->pending, "(")) &&
		    (!creator || c->pending_seq > creator->pending_seq))
			creator = c;
	}
	/* on standard error, strace names the first process only once there is a second */
	if (nameless && l->kind == SL_RESUMED && nameless->pending &&
	    strlen(nameless->pending) > l->name_len && memcmp(nameless->pending, l->name, l->name_len) == 0 &&
	    nameless->pending[l->name_len] == '(')
		creator = NULL;         /* the first process, resuming its own call */
	if (creator)
		return child_of(imp, creator, pid, creator->pending, strlen(creator->pending));
	if (nameless) {
		nameless->pid = pid;
		imp->first_pid = pid;
		if (nameless->space->pid < 0)
			nameless->space->pid = pid;
		return nameless;
	}
	if (imp->ntasks > 0 || imp->nspaces > 0)
		imp->guessed_processes = 1;
	return task_add(imp, pid, space_new(imp, pid));
}

void
process_call(importer_t *imp, task_t *t, const strace_call_t *c)
{
	if (is_process_creation(c->name, strlen(c->name))) {
		imp->saw_clone = 1;
		if (c->result == SR_VALUE && c->value > 0 && !task_find(imp, (long)c->value))
			child_of(imp, t, (long)c->value, c->call.p, c->call.len);
	} else if (strcmp(c->name, "execve") == 0 || strcmp(c->name, "execveat") == 0) {
		imp->saw_clone = 1;
		if (c->result == SR_VALUE && c->value == 0) {
			char *text = call_text(c);

			t->space = space_new(imp, t->pid);
			sb_puts(&t->space->head, "# ");
			sb_comment(&t->space->head, text);
			sb_puts(&t->space->head, "\n");
			free(text);
		}
	}
	/* any other call is no business of a trace's */
}
