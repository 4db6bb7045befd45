/*
 * strace_importer.h: what the parts of import-strace share (the command's
 * entry points are in strace_import.h).
 *
 * The log is read once, call by call (strace_import.c), while a copy of
 * every address space is kept in Linux addresses, a pagemap per space
 * (strace_space.c). Each memory call is translated into trace operations
 * right away (strace_calls.c, with the flag translation of
 * strace_flags.c), with addresses in a symbolic form; only the block of
 * relocated fixed mappings gets its final place once the whole log is
 * known, and then the traces are written (strace_emit.c).
 * doc/recording.md explains the rules; the comments say why the code
 * follows them.
 *
 * Portable addresses. Every successful mmap and mremap binds a name
 * (m1, m2, ...), whose value on replay is wherever the model put it.
 * Mappings whose addresses differ from each other by what they differed
 * on Linux form a group: an unhinted mmap starts one; a MAP_FIXED mmap
 * whose whole range is named memory of one group joins it (ld.so's
 * segments inside the reservation of their library, the JVM's heap inside
 * its reservation). An address inside a known mapping is written relative
 * to that mapping's name, so it means the same memory on the model. Other
 * fixed mappings, and hints Linux granted at free places, go into one
 * block at the bottom of the trace's mmap-area, where nothing else is
 * placed: the mmap layer places top-down and the area is sized so that it
 * never reaches down to the block.
 */
#ifndef RMEMU_CLI_STRACE_IMPORTER_H
#define RMEMU_CLI_STRACE_IMPORTER_H

#include <stddef.h>
#include <stdint.h>

#include <rmemu/trace.h>

#include "pagemap.h"
#include "progress.h"
#include "strace_import.h"
#include "strace_parse.h"

typedef struct sbuf {
	char *p;
	size_t len, cap;
} sbuf_t;

/* Piece tags that are no name: memory a trace cannot refer to. */
enum {
	TAG_INHERITED = -2,    /* inherited from the parent at fork */
	TAG_UNEXPRESSED = -3   /* made by a call the trace keeps only as a comment */
};

/* The block of relocated fixed mappings is group 0; groups from 1 on are placements. */
enum { GROUP_BLOCK = 0 };

/* A name the trace binds: m<name> is at Linux address base. */
typedef struct anchor {
	uint64_t base;
	unsigned name;
	int group;
} anchor_t;

/* An address of the trace, before the block has its place. */
typedef enum {
	XA_NUMBER,     /* value, as it is */
	XA_NAME,       /* m<name> + value (mod 2^64) */
	XA_BLOCK       /* Linux address value, relocated into the block */
} xaddr_kind_t;

typedef struct xaddr {
	xaddr_kind_t kind;
	unsigned name;
	uint64_t value;
} xaddr_t;

typedef enum { RES_NONE, RES_OK, RES_ZERO, RES_ADDR, RES_ERRNO } result_kind_t;

/* One line of a trace to be: an operation, or a comment when op is -1. */
typedef struct emitted {
	int op;                     /* RME_TRACE_OP_*, or -1 */
	unsigned bind;              /* m<bind> = ...; 0 for none */
	xaddr_t addr;
	uint64_t len, new_len;      /* new_len: mremap */
	unsigned prot, flags;       /* RME_TRACE_RIGHT_*, RME_TRACE_MAP_* */
	uint32_t other;             /* mmap: Linux's MAP_* bits without a name */
	uint32_t call_flags;        /* msync's MS_*, mlock's MLOCK_*, mlockall's MCL_* */
	int fd;                     /* -1: anonymous */
	uint64_t off;
	rme_trace_advice_t advice;
	int maymove, has_fixed;
	int fixed_unknown;          /* mremap: MREMAP_FIXED without the address strace left out */
	xaddr_t fixed;
	result_kind_t result;
	xaddr_t result_addr;
	char errno_name[STRACE_ERRNO_MAX + 1];
	char *comment;              /* the comment line, or the remark after an operation */
} emitted_t;

typedef struct range {
	uint64_t start, end;
} range_t;

/* A run of the relocated block: Linux [start, end) lies at area_off in the area. */
typedef struct cluster {
	uint64_t start, end, area_off;
} cluster_t;

struct importer;

/*
 * What a memory call that becomes no operation is, for what the import
 * says about it on standard error (a summary by kind, and each call that
 * cannot be read at once) and for --strict.
 */
typedef enum {
	KEPT_NOTE,          /* a comment by design: nothing the trace follows is lost */
	KEPT_DROPPED,       /* what it did to the mappings is lost: --strict fails */
	KEPT_UNREADABLE     /* it could not be read: said at once; --strict fails */
} kept_t;

/* The calls of one kind kept as comments: the summary's lines. */
typedef struct kept_kind {
	char name[STRACE_NAME_MAX + 1];
	char *why;
	kept_t kind;
	size_t count, first_line;
} kept_kind_t;

/* One address space: one process between its start (or an execve) and its end. */
typedef struct space {
	struct importer *imp;       /* for what the calls report */
	long pid;                   /* the process, -1 if strace printed no pids */
	size_t first_line, last_line;
	pagemap_t map;              /* its mappings, in Linux addresses */
	anchor_t *anchor;           /* anchor[i] is the name of pieces tagged i */
	size_t nanchors, anchors_cap;
	int groups;                 /* groups handed out so far */
	emitted_t *out;
	size_t nout, out_cap;
	range_t *absolute;          /* what goes into the block, in Linux addresses */
	size_t nabsolute, absolute_cap;
	cluster_t *cluster;         /* the block's layout, once the log is read */
	size_t nclusters;
	uint64_t unplaced;          /* an address the block's layout lacks (a bug): not written */
	uint64_t placed_bytes;      /* all the layer ever places: the area it may need below the block */
	int has_brk;
	uint64_t brk_start, brk_peak;
	size_t memory_calls, operations, comments;
	unsigned def_lock;          /* PM_LOCK_MASK bits new mappings get (mlockall MCL_FUTURE) */
	/*
	 * The map-count limit (vm.max_map_count less what the process held
	 * outside the trace's mappings), as the failures that only it explains
	 * bound it: map_count_max is the largest value they allow, 0 while
	 * none was seen; peak_count the most VMAs the trace's mappings formed.
	 */
	uint64_t map_count_max;
	size_t map_count_line;      /* the first failure that bounded it */
	unsigned map_count_events;
	size_t peak_count;
	const struct space *forked_from; /* the parent's space, for a process that fork made */
	sbuf_t head;                /* comment lines for the head of the trace */
} space_t;

typedef struct task {
	long pid;
	space_t *space;
	char *pending;              /* an unfinished call's text so far, or NULL */
	unsigned long pending_seq;  /* when the unfinished call began */
} task_t;

typedef struct importer {
	const char *log_name;
	const import_options_t *opt;
	task_t *task;
	size_t ntasks, tasks_cap;
	space_t **space;
	size_t nspaces, spaces_cap;
	unsigned long seq;
	size_t line;                /* the line being read */
	size_t bad_lines;
	long first_pid;             /* the pid of the first process once known, for lines without one */
	int saw_clone;              /* the log has process calls: threads can be told from processes */
	int guessed_processes;      /* a pid appeared that no clone line explained */
	kept_kind_t *kept;          /* the kinds of calls kept as comments, for the summary */
	size_t nkept, kept_cap;
	int strict_stop;            /* --strict: a call was dropped or could not be read */
	size_t said;                /* lines and calls said to be unreadable, one by one */
	cli_progress_t progress;    /* over the log's lines */
} importer_t;

/*
 * The parts of a Linux range, cut where they lie in different places in
 * the model: a segment is a run of pieces of one group without a gap.
 */
typedef struct segment {
	uint64_t start, end;
	const anchor_t *anchor;     /* NULL: memory the trace has no name for */
	int tag;                    /* the first piece's tag */
} segment_t;

typedef struct segments {
	segment_t *seg;
	size_t n, cap;
	size_t named;               /* segments with a name */
	int gap;                    /* a part of the range is not mapped at all */
	int unnamed_tag;            /* the tag of the first part without a name, or 0 */
} segments_t;

/* ---- strace_emit.c: text, trace lines, writing the traces ------------------- */

void sb_add(sbuf_t *b, const char *s, size_t n);
void sb_puts(sbuf_t *b, const char *s);
void sb_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Comment text: control bytes (but tabs) as \xNN, so that it stays one line of a trace. */
void sb_comment(sbuf_t *b, const char *s);
/* A size as the trace format writes it, with a binary suffix where it is exact. */
void sb_size(sbuf_t *b, uint64_t n);

/* A new line of s's trace: operation op, or a comment for -1. */
emitted_t *emit(space_t *s, int op);
/* "NAME(ARGS) = RESULT", the call as strace printed it, for comments. */
char *call_text(const strace_call_t *c);
/* Keep a call as a comment line; why (may be NULL) says why it is no operation. */
void emit_comment(space_t *s, const strace_call_t *c, const char *why);
/* The call as a comment before the operations it became (not counted as kept). */
void emit_call_note(space_t *s, const strace_call_t *c, const char *why);
/* The same, for a call whose effect the trace loses or that cannot be read (kept_t). */
void emit_kept(space_t *s, const strace_call_t *c, const char *why, kept_t kind);
/* Count a call kept as a comment (why NULL: no form in a trace) for the summary. */
void count_kept(importer_t *imp, const char *name, const char *why, kept_t kind);
/* Say what was kept as comments, by kind, on standard error. */
void report_kept(const importer_t *imp);
/* Where messages go (standard error unless the options say). */
FILE *imp_messages(const importer_t *imp);
/*
 * "LOG:LINE: what (why): "TEXT"", the text's raw bytes escaped; only the
 * first 20 of these are said (the summary counts them all).
 */
void say_unreadable(importer_t *imp, const char *what, const char *why, const char *text, size_t len);
void set_errno_result(emitted_t *e, const strace_call_t *c);
xaddr_t xa_number(uint64_t v);
xaddr_t xa_block(uint64_t linux_addr);
/* Linux address a, inside a piece with anchor n, as the trace writes it. */
xaddr_t xa_relative(const anchor_t *n, uint64_t a);
/* Write every space that made memory calls; returns 0 or -1. */
int write_traces(importer_t *imp, const char *prefix);

/* ---- strace_space.c: address spaces, names, processes ----------------------- */

space_t *space_new(importer_t *imp, long pid);
void space_free(space_t *s);
const char *space_label(const space_t *s, char *buf, size_t size);
task_t *task_find(importer_t *imp, long pid);
task_t *task_add(importer_t *imp, long pid, space_t *space);
void task_remove(importer_t *imp, task_t *t);
/* The anchor of a piece, or NULL if the trace has no name for its memory. */
const anchor_t *piece_anchor(const space_t *s, const pm_piece_t *p);
int anchor_new(space_t *s, uint64_t base, int group);
/* [start, end) goes into the block. */
void add_absolute(space_t *s, uint64_t start, uint64_t end);
/* Why a range with no name in the trace is no operation, from the tag of its memory. */
const char *unnamed_reason(int tag);
void segments_of(const space_t *s, uint64_t start, uint64_t end, segments_t *out);
/* Where a fixed mapping over Linux [start, end) goes: the named memory it replaces, or NULL. */
const anchor_t *fixed_home(const space_t *s, uint64_t start, uint64_t end);
int is_process_creation(const char *name, size_t len);
/* The task of a pid, found or made (strace_space.c says how). */
task_t *task_of(importer_t *imp, long pid, const strace_line_t *l);
/* A call that is no memory call: clone, fork and execve change the spaces. */
void process_call(importer_t *imp, task_t *t, const strace_call_t *c);

/* ---- strace_flags.c: Linux's flags as the trace's --------------------------- */

extern const strace_sym_t prot_syms[], map_syms[], mremap_syms[], madv_syms[], ms_syms[],
	mlock_syms[], mcl_syms[];
unsigned trace_map_flags(uint64_t f, uint32_t *other, sbuf_t *dropped);
int trace_rights(uint64_t prot);
int trace_advice(uint64_t linux_advice, rme_trace_advice_t *out);
int advice_changes_memory(uint64_t linux_advice);
int failure_expressible(const strace_call_t *c, const char **why);

/* ---- strace_calls.c: memory calls as trace operations ----------------------- */

/* The VMAs the trace's own mappings form: what the model counts against map-count-max. */
size_t named_vmas(const space_t *s);
int is_memory_call(const char *name);
/* Handle a memory call; returns 0 if the call is none. */
int memory_call(space_t *s, const strace_call_t *c);

#endif
