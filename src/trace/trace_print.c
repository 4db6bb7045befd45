/*
 * trace_print.c: writes a parsed trace back in the one canonical form of
 * rmemu-trace(5), formats and compares results, and holds the keyword
 * tables that the parser shares. Output goes through a callback only, and
 * numbers are formatted here, so no stdio is needed (nor available in
 * Genode).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rmemu/mmap.h>
#include <rmemu/trace.h>

#include "trace_internal.h"

/* ---- Keyword tables ------------------------------------------------------ */

const trace_keyword_t rme__trace_op_keywords[RME_TRACE_OP_COUNT_] = {
#define OP_KEYWORD(name, keyword) TRACE_KEYWORD(keyword),
	RME_TRACE_OPS(OP_KEYWORD)
#undef OP_KEYWORD
};

const trace_keyword_t rme__trace_directive_keywords[TRACE_DIRECTIVE_COUNT] = {
#define DIRECTIVE_KEYWORD(name, keyword) TRACE_KEYWORD(keyword),
	TRACE_DIRECTIVES(DIRECTIVE_KEYWORD)
#undef DIRECTIVE_KEYWORD
};

/* Bit i of RME_TRACE_MAP_* is named by entry i. */
const trace_keyword_t rme__trace_map_flag_names[TRACE_MAP_FLAG_COUNT] = {
	TRACE_KEYWORD("private"), TRACE_KEYWORD("shared"), TRACE_KEYWORD("anon"),
	TRACE_KEYWORD("fixed"), TRACE_KEYWORD("noreplace"), TRACE_KEYWORD("noreserve"),
	TRACE_KEYWORD("populate"), TRACE_KEYWORD("stack"), TRACE_KEYWORD("growsdown"),
	TRACE_KEYWORD("shared_validate"), TRACE_KEYWORD("locked")
};

/* The mapping type first, then the rest in the order they were added to the format. */
const unsigned char rme__trace_map_flag_order[TRACE_MAP_FLAG_COUNT] = {
	0, 1, 9, 2, 3, 4, 5, 6, 7, 8, 10
};

static const trace_keyword_t msync_flag_names[] = {
	TRACE_KEYWORD("async"), TRACE_KEYWORD("invalidate"), TRACE_KEYWORD("sync")
};
static const trace_keyword_t mlock_flag_names[] = { TRACE_KEYWORD("onfault") };
static const trace_keyword_t mlockall_flag_names[] = {
	TRACE_KEYWORD("current"), TRACE_KEYWORD("future"), TRACE_KEYWORD("onfault")
};

const trace_bit_names_t rme__trace_msync_flags = {
	msync_flag_names, 3, "msync flags like sync"
};
const trace_bit_names_t rme__trace_mlock_flags = {
	mlock_flag_names, 1, "mlock flags like onfault"
};
const trace_bit_names_t rme__trace_mlockall_flags = {
	mlockall_flag_names, 3, "mlockall flags like current"
};

const trace_keyword_t rme__trace_advice_names[TRACE_ADVICE_COUNT] = {
	[RME_TRACE_ADVICE_NORMAL]   = TRACE_KEYWORD("normal"),
	[RME_TRACE_ADVICE_DONTNEED] = TRACE_KEYWORD("dontneed"),
	[RME_TRACE_ADVICE_FREE]     = TRACE_KEYWORD("free"),
	[RME_TRACE_ADVICE_WILLNEED] = TRACE_KEYWORD("willneed")
};

const trace_keyword_t rme__trace_fault_type_names[4] = {
	[RME_FAULT_NONE]  = TRACE_KEYWORD("NONE"),
	[RME_FAULT_READ]  = TRACE_KEYWORD("READ"),
	[RME_FAULT_WRITE] = TRACE_KEYWORD("WRITE"),
	[RME_FAULT_EXEC]  = TRACE_KEYWORD("EXEC")
};

const char *
rme_trace_op_name(rme_trace_op_kind_t kind)
{
	if ((unsigned)kind >= RME_TRACE_OP_COUNT_)
		return "?";
	return rme__trace_op_keywords[kind].text;
}

/* ---- The text sink ------------------------------------------------------- */

void
rme__sink_init_buffer(trace_sink_t *s, char *buf, size_t size)
{
	*s = (trace_sink_t){ 0 };
	if (buf && size) {
		s->buf = buf;
		s->capacity = size - 1;
	}
}

static void
sink_init_stream(trace_sink_t *s, char *buf, size_t size,
                 rme_trace_write_fn write, void *ctx)
{
	*s = (trace_sink_t){ .buf = buf, .capacity = size, .write = write, .ctx = ctx };
}

static void
sink_flush(trace_sink_t *s)
{
	if (s->write && s->used)
		s->write(s->ctx, s->buf, s->used);
	s->used = 0;
}

void
rme__sink_finish(trace_sink_t *s)
{
	if (s->write)
		sink_flush(s);
	else if (s->buf)
		s->buf[s->used] = '\0';
}

void
rme__sink_put(trace_sink_t *s, const char *text, size_t len)
{
	s->total += len;
	while (len) {
		size_t room;

		if (s->used == s->capacity) {
			if (!s->write)
				return;        /* a full bounded buffer: cut short */
			sink_flush(s);
		}
		room = s->capacity - s->used;
		if (room > len)
			room = len;
		memcpy(s->buf + s->used, text, room);
		s->used += room;
		text += room;
		len -= room;
	}
}

void
rme__sink_str(trace_sink_t *s, const char *text)
{
	rme__sink_put(s, text, strlen(text));
}

void
rme__sink_keyword(trace_sink_t *s, const trace_keyword_t *kw)
{
	rme__sink_put(s, kw->text, kw->len);
}

static void
sink_char(trace_sink_t *s, char c)
{
	rme__sink_put(s, &c, 1);
}

static const char hex_digits[] = "0123456789abcdef";

void
rme__sink_dec(trace_sink_t *s, uint64_t value)
{
	char digits[20];                /* UINT64_MAX has 20 digits */
	size_t n = sizeof digits;

	do {
		digits[--n] = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	rme__sink_put(s, digits + n, sizeof digits - n);
}

void
rme__sink_hex(trace_sink_t *s, uint64_t value, unsigned min_digits)
{
	char digits[2 + 16];
	size_t n = sizeof digits;
	unsigned count = 0;

	do {
		digits[--n] = hex_digits[value & 0xf];
		value >>= 4;
		count++;
	} while (value || (count < min_digits && count < 16));
	digits[--n] = 'x';
	digits[--n] = '0';
	rme__sink_put(s, digits + n, sizeof digits - n);
}

/* Enough of a token to recognise it; a megabyte of junk helps nobody. */
enum { QUOTE_MAX = 40 };

void
rme__sink_quoted(trace_sink_t *s, const char *text, size_t len)
{
	size_t shown = len < QUOTE_MAX ? len : QUOTE_MAX;

	sink_char(s, '"');
	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '"' || c == '\\') {
			sink_char(s, '\\');
			sink_char(s, (char)c);
		} else if (c == '\t') {
			rme__sink_put(s, "\\t", 2);
		} else if (c == '\r') {
			rme__sink_put(s, "\\r", 2);
		} else if (c < 0x20 || c > 0x7e) {
			char esc[4] = { '\\', 'x', hex_digits[c >> 4], hex_digits[c & 0xf] };

			rme__sink_put(s, esc, sizeof esc);
		} else {
			sink_char(s, (char)c);
		}
	}
	if (shown < len)
		rme__sink_put(s, "...", 3);
	sink_char(s, '"');
}

/* ---- Pieces of a line ---------------------------------------------------- */

static void
print_slot(trace_sink_t *s, const rme_trace_t *t, int slot)
{
	const char *name = t ? rme_trace_slot_name(t, slot) : NULL;

	/* Only a replay that reports a slot the trace does not have (or a
	 * caller that formats a result without its trace) gets here without a
	 * name; "?" keeps the line readable. */
	rme__sink_str(s, name ? name : "?");
}

static void
print_addr(trace_sink_t *s, const rme_trace_t *t, const rme_trace_addr_t *addr)
{
	if (addr->slot < 0) {
		rme__sink_hex(s, addr->offset, 1);
		return;
	}
	print_slot(s, t, addr->slot);
	if (addr->offset) {
		sink_char(s, addr->negative ? '-' : '+');
		rme__sink_hex(s, addr->offset, 1);
	}
}

static void
print_rights(trace_sink_t *s, unsigned rights)
{
	char text[3] = {
		rights & RME_TRACE_RIGHT_R ? 'r' : '-',
		rights & RME_TRACE_RIGHT_W ? 'w' : '-',
		rights & RME_TRACE_RIGHT_X ? 'x' : '-'
	};

	rme__sink_put(s, text, sizeof text);
}

/*
 * mmap's flags: the mapping type (notype where there is none, not even
 * among the bits without a name), the other names, and those bits.
 */
static void
print_map_flags(trace_sink_t *s, unsigned flags, uint32_t other)
{
	int first = 1;

	if (!(flags & TRACE_MAP_TYPES) && !(other & RME_MAP_TYPE)) {
		rme__sink_str(s, TRACE_MAP_NOTYPE);
		first = 0;
	}
	for (unsigned i = 0; i < TRACE_MAP_FLAG_COUNT; i++) {
		unsigned bit = rme__trace_map_flag_order[i];

		if (!(flags & (1u << bit)))
			continue;
		if (!first)
			sink_char(s, '|');
		rme__sink_keyword(s, &rme__trace_map_flag_names[bit]);
		first = 0;
	}
	if (other) {
		if (!first)
			sink_char(s, '|');
		rme__sink_hex(s, other, 1);
	}
}

/* Bits with their names, then the rest as a number; "0" for none. */
static void
print_bit_flags(trace_sink_t *s, const trace_bit_names_t *names, uint32_t flags)
{
	uint32_t named = (1u << names->count) - 1;
	int first = 1;

	for (unsigned bit = 0; bit < names->count; bit++) {
		if (!(flags & (1u << bit)))
			continue;
		if (!first)
			sink_char(s, '|');
		rme__sink_keyword(s, &names->names[bit]);
		first = 0;
	}
	if (flags & ~named) {
		if (!first)
			sink_char(s, '|');
		rme__sink_hex(s, flags & ~named, 1);
	} else if (first) {
		sink_char(s, '0');
	}
}

static void
print_fault_type(trace_sink_t *s, rme_fault_type_t type)
{
	if ((unsigned)type > RME_FAULT_EXEC)
		rme__sink_str(s, "?");
	else
		rme__sink_keyword(s, &rme__trace_fault_type_names[type]);
}

/* An errno name written straight into a result may lack its NUL. */
static size_t
errno_name_len(const rme_trace_result_t *r)
{
	size_t len = 0;

	while (len < sizeof r->errno_name && r->errno_name[len])
		len++;
	return len;
}

/* The operations whose successful result is the number 0, as in C. */
static int
returns_zero(rme_trace_op_kind_t op)
{
	return op == RME_TRACE_OP_MUNMAP || op == RME_TRACE_OP_MPROTECT ||
	       op == RME_TRACE_OP_MADVISE || op == RME_TRACE_OP_MSYNC ||
	       op == RME_TRACE_OP_MLOCK || op == RME_TRACE_OP_MUNLOCK ||
	       op == RME_TRACE_OP_MLOCKALL || op == RME_TRACE_OP_MUNLOCKALL;
}

static void
print_value(trace_sink_t *s, rme_trace_op_kind_t op, uint64_t value)
{
	if (op == RME_TRACE_OP_READ)
		rme__sink_hex(s, value, 2);    /* a byte: 0x00 */
	else if (returns_zero(op))
		rme__sink_dec(s, value);
	else
		rme__sink_hex(s, value, 1);    /* an address */
}

static void
print_result(trace_sink_t *s, const rme_trace_t *t, rme_trace_op_kind_t op,
             const rme_trace_result_t *r)
{
	switch (r->kind) {
	case RME_TRACE_RESULT_NONE:
		rme__sink_str(s, "no result");
		break;
	case RME_TRACE_RESULT_OK:
		rme__sink_str(s, "ok");
		break;
	case RME_TRACE_RESULT_VALUE:
		if (r->relative)
			print_addr(s, t, &r->expr);
		else
			print_value(s, op, r->value);
		break;
	case RME_TRACE_RESULT_ERROR:
		rme__sink_str(s, "error ");
		rme__sink_str(s, rme_err_name(r->error));
		break;
	case RME_TRACE_RESULT_ERRNO:
		rme__sink_str(s, "errno ");
		rme__sink_put(s, r->errno_name, errno_name_len(r));
		break;
	case RME_TRACE_RESULT_FAULT:
	case RME_TRACE_RESULT_UNHANDLED:
		rme__sink_str(s, r->kind == RME_TRACE_RESULT_FAULT ? "fault " : "unhandled ");
		print_slot(s, t, r->rm_slot);
		sink_char(s, ' ');
		print_fault_type(s, r->fault_type);
		sink_char(s, ' ');
		rme__sink_hex(s, r->addr, 1);
		break;
	case RME_TRACE_RESULT_FAULT_ANY:
		rme__sink_str(s, "fault");
		break;
	case RME_TRACE_RESULT_UNHANDLED_ANY:
		rme__sink_str(s, "unhandled");
		break;
	case RME_TRACE_RESULT_FAULT_STATE:
		print_fault_type(s, r->fault_type);
		if (r->fault_type != RME_FAULT_NONE) {
			sink_char(s, ' ');
			rme__sink_hex(s, r->addr, 1);
		}
		break;
	default:
		rme__sink_str(s, "?");
	}
}

/* ---- Operations and directives ------------------------------------------- */

static void
print_attach_args(trace_sink_t *s, const rme_trace_t *t, const rme_trace_op_t *op)
{
	sink_char(s, ' ');
	print_slot(s, t, op->u.attach.rm);
	sink_char(s, ' ');
	print_slot(s, t, op->u.attach.ds);
	if (op->u.attach.has_size) {
		rme__sink_str(s, " size=");
		rme__sink_hex(s, op->u.attach.size, 1);
	}
	if (op->u.attach.has_offset) {
		rme__sink_str(s, " offset=");
		rme__sink_hex(s, op->u.attach.offset, 1);
	}
	if (op->u.attach.has_at) {
		rme__sink_str(s, " at=");
		print_addr(s, t, &op->u.attach.at);
	}
	/* Read-only is what an attach without rights means. */
	if (op->u.attach.rights != RME_TRACE_RIGHT_R) {
		sink_char(s, ' ');
		print_rights(s, op->u.attach.rights);
	}
}

static void
print_mmap_args(trace_sink_t *s, const rme_trace_t *t, const rme_trace_op_t *op)
{
	sink_char(s, ' ');
	print_addr(s, t, &op->u.mmap.addr);
	sink_char(s, ' ');
	rme__sink_hex(s, op->u.mmap.len, 1);
	sink_char(s, ' ');
	print_rights(s, op->u.mmap.prot);
	sink_char(s, ' ');
	print_map_flags(s, op->u.mmap.flags, op->u.mmap.other);
	if (op->u.mmap.has_fd) {
		rme__sink_str(s, " fd=");
		rme__sink_dec(s, (uint64_t)op->u.mmap.fd);
		rme__sink_str(s, " off=");
		rme__sink_hex(s, op->u.mmap.off, 1);
	}
}

/*
 * munmap, mprotect (with rights), madvise (with advice), msync and mlock
 * (with flags, left out when there are none), munlock; mlockall's flags.
 */
static void
print_range_args(trace_sink_t *s, const rme_trace_t *t, const rme_trace_op_t *op)
{
	if (op->kind == RME_TRACE_OP_MLOCKALL) {
		sink_char(s, ' ');
		print_bit_flags(s, &rme__trace_mlockall_flags, op->u.range.flags);
		return;
	}
	sink_char(s, ' ');
	print_addr(s, t, &op->u.range.addr);
	sink_char(s, ' ');
	rme__sink_hex(s, op->u.range.len, 1);
	if (op->kind == RME_TRACE_OP_MPROTECT) {
		sink_char(s, ' ');
		print_rights(s, op->u.range.prot);
	} else if (op->kind == RME_TRACE_OP_MADVISE &&
	           (unsigned)op->u.range.advice < TRACE_ADVICE_COUNT) {
		sink_char(s, ' ');
		rme__sink_keyword(s, &rme__trace_advice_names[op->u.range.advice]);
	} else if ((op->kind == RME_TRACE_OP_MSYNC || op->kind == RME_TRACE_OP_MLOCK) &&
	           op->u.range.flags) {
		sink_char(s, ' ');
		print_bit_flags(s, op->kind == RME_TRACE_OP_MSYNC ? &rme__trace_msync_flags
		                                                  : &rme__trace_mlock_flags,
		                op->u.range.flags);
	}
}

static void
print_mremap_args(trace_sink_t *s, const rme_trace_t *t, const rme_trace_op_t *op)
{
	sink_char(s, ' ');
	print_addr(s, t, &op->u.mremap.addr);
	sink_char(s, ' ');
	rme__sink_hex(s, op->u.mremap.old_len, 1);
	sink_char(s, ' ');
	rme__sink_hex(s, op->u.mremap.new_len, 1);
	if (op->u.mremap.maymove)
		rme__sink_str(s, " maymove");
	if (op->u.mremap.has_fixed && op->u.mremap.fixed_unknown) {
		rme__sink_str(s, " fixed");
	} else if (op->u.mremap.has_fixed) {
		rme__sink_str(s, " fixed=");
		print_addr(s, t, &op->u.mremap.fixed);
	}
}

static void
print_quota_args(trace_sink_t *s, const rme_trace_quota_t *q)
{
	if (q->has_ram) {
		rme__sink_str(s, q->ram_at_most ? " ram<=" : " ram=");
		rme__sink_hex(s, q->ram, 1);
	}
	if (q->has_caps) {
		rme__sink_str(s, q->caps_at_most ? " caps<=" : " caps=");
		rme__sink_dec(s, q->caps);
	}
}

static void
print_args(trace_sink_t *s, const rme_trace_t *t, const rme_trace_op_t *op)
{
	switch (op->kind) {
	case RME_TRACE_OP_RAM_ALLOC:
	case RME_TRACE_OP_ROM:
	case RME_TRACE_OP_RM_CREATE:
		sink_char(s, ' ');
		rme__sink_hex(s, op->u.size, 1);
		break;
	case RME_TRACE_OP_RAM_FREE:
	case RME_TRACE_OP_RM_DESTROY:
	case RME_TRACE_OP_RM_DATASPACE:
	case RME_TRACE_OP_FAULT_HANDLER:
	case RME_TRACE_OP_FAULT:
		sink_char(s, ' ');
		print_slot(s, t, op->u.slot);
		break;
	case RME_TRACE_OP_ATTACH:
		print_attach_args(s, t, op);
		break;
	case RME_TRACE_OP_DETACH:
		sink_char(s, ' ');
		print_slot(s, t, op->u.detach.rm);
		sink_char(s, ' ');
		print_addr(s, t, &op->u.detach.addr);
		break;
	case RME_TRACE_OP_READ:
	case RME_TRACE_OP_EXEC:
		sink_char(s, ' ');
		print_addr(s, t, &op->u.access.addr);
		break;
	case RME_TRACE_OP_WRITE:
		sink_char(s, ' ');
		print_addr(s, t, &op->u.access.addr);
		sink_char(s, ' ');
		rme__sink_hex(s, op->u.access.byte, 2);
		break;
	case RME_TRACE_OP_MMAP:
		print_mmap_args(s, t, op);
		break;
	case RME_TRACE_OP_MUNMAP:
	case RME_TRACE_OP_MPROTECT:
	case RME_TRACE_OP_MADVISE:
	case RME_TRACE_OP_MSYNC:
	case RME_TRACE_OP_MLOCK:
	case RME_TRACE_OP_MUNLOCK:
	case RME_TRACE_OP_MLOCKALL:
		print_range_args(s, t, op);
		break;
	case RME_TRACE_OP_MREMAP:
		print_mremap_args(s, t, op);
		break;
	case RME_TRACE_OP_EXPECT_QUOTA:
		print_quota_args(s, &op->u.expect_quota);
		break;
	case RME_TRACE_OP_EXPECT_MAPPINGS:
		sink_char(s, ' ');
		rme__sink_dec(s, op->u.count);
		break;
	case RME_TRACE_OP_EXPECT_LEAK_FREE:
	case RME_TRACE_OP_MUNLOCKALL:
	case RME_TRACE_OP_COUNT_:
		break;
	}
}

static void
print_op(trace_sink_t *s, const rme_trace_t *t, const rme_trace_op_t *op,
         int use_actual, const char *note)
{
	const rme_trace_result_t *result = &op->expected;

	if (use_actual && op->actual.kind != RME_TRACE_RESULT_NONE)
		result = &op->actual;
	if (op->bind_slot >= 0) {
		print_slot(s, t, op->bind_slot);
		rme__sink_str(s, " = ");
	}
	rme__sink_str(s, rme_trace_op_name(op->kind));
	print_args(s, t, op);
	if (result->kind != RME_TRACE_RESULT_NONE) {
		rme__sink_str(s, " -> ");
		print_result(s, t, op->kind, result);
	}
	if (note) {
		rme__sink_str(s, "  # ");
		rme__sink_str(s, note);
	}
	sink_char(s, '\n');
}

static void
print_directive_keyword(trace_sink_t *s, trace_directive_t directive)
{
	rme__sink_keyword(s, &rme__trace_directive_keywords[directive]);
	sink_char(s, ' ');
}

static void
print_two_digits(trace_sink_t *s, unsigned value)
{
	sink_char(s, (char)('0' + value / 10 % 10));
	sink_char(s, (char)('0' + value % 10));
}

static void
print_directives(trace_sink_t *s, const rme_trace_directives_t *d)
{
	if (d->has_genode) {
		print_directive_keyword(s, TRACE_DIRECTIVE_GENODE);
		print_two_digits(s, d->genode_release / 100);
		sink_char(s, '.');
		print_two_digits(s, d->genode_release % 100);
		sink_char(s, '\n');
	}
	if (d->has_kernel) {
		print_directive_keyword(s, TRACE_DIRECTIVE_KERNEL);
		rme__sink_str(s, rme_kernel_name(d->kernel));
		sink_char(s, '\n');
	}
	if (d->has_arch) {
		print_directive_keyword(s, TRACE_DIRECTIVE_ARCH);
		rme__sink_str(s, rme_arch_name(d->arch));
		sink_char(s, '\n');
	}
	if (d->has_ram_quota || d->has_cap_quota) {
		rme__sink_keyword(s, &rme__trace_directive_keywords[TRACE_DIRECTIVE_QUOTA]);
		if (d->has_ram_quota) {
			rme__sink_str(s, " ram=");
			rme__sink_hex(s, d->ram_quota, 1);
		}
		if (d->has_cap_quota) {
			rme__sink_str(s, " caps=");
			rme__sink_dec(s, d->cap_quota);
		}
		sink_char(s, '\n');
	}
	if (d->has_mmap_area) {
		print_directive_keyword(s, TRACE_DIRECTIVE_MMAP_AREA);
		rme__sink_hex(s, d->mmap_area_base, 1);
		sink_char(s, ' ');
		rme__sink_hex(s, d->mmap_area_size, 1);
		sink_char(s, '\n');
	}
	if (d->has_map_count_max) {
		print_directive_keyword(s, TRACE_DIRECTIVE_MAP_COUNT_MAX);
		rme__sink_dec(s, d->map_count_max);
		sink_char(s, '\n');
	}
	if (d->has_policy) {
		print_directive_keyword(s, TRACE_DIRECTIVE_POLICY);
		rme__sink_str(s, d->policy);
		sink_char(s, '\n');
	}
}

/* ---- The API ------------------------------------------------------------- */

void
rme_trace_print_annotated(const rme_trace_t *t, int use_actual, rme_trace_note_fn note,
                          void *note_ctx, rme_trace_write_fn write, void *ctx)
{
	char buf[4096];
	trace_sink_t s;

	if (!t || !write)
		return;
	sink_init_stream(&s, buf, sizeof buf, write, ctx);
	rme__sink_str(&s, "rmemu-trace 1\n");
	print_directives(&s, &t->directives);
	for (size_t i = 0; i < t->op_count; i++)
		print_op(&s, t, trace_op_at(t, i), use_actual, note ? note(note_ctx, i) : NULL);
	rme__sink_finish(&s);
}

void
rme_trace_print(const rme_trace_t *t, int use_actual, rme_trace_write_fn write,
                void *ctx)
{
	rme_trace_print_annotated(t, use_actual, NULL, NULL, write, ctx);
}

size_t
rme_trace_result_format(const rme_trace_t *t, rme_trace_op_kind_t op,
                        const rme_trace_result_t *result, char *buf, size_t size)
{
	trace_sink_t s;

	rme__sink_init_buffer(&s, buf, size);
	if (result)
		print_result(&s, t, op, result);
	rme__sink_finish(&s);
	return s.total;
}

size_t
rme_trace_flags_format(rme_trace_op_kind_t op, unsigned flags, uint32_t other, char *buf,
                       size_t size)
{
	trace_sink_t s;

	rme__sink_init_buffer(&s, buf, size);
	switch (op) {
	case RME_TRACE_OP_MMAP:
		print_map_flags(&s, flags, other);
		break;
	case RME_TRACE_OP_MSYNC:
		print_bit_flags(&s, &rme__trace_msync_flags, flags);
		break;
	case RME_TRACE_OP_MLOCK:
		print_bit_flags(&s, &rme__trace_mlock_flags, flags);
		break;
	case RME_TRACE_OP_MLOCKALL:
		print_bit_flags(&s, &rme__trace_mlockall_flags, flags);
		break;
	default:
		break;
	}
	rme__sink_finish(&s);
	return s.total;
}

static int
same_fault(const rme_trace_result_t *a, const rme_trace_result_t *b)
{
	return a->rm_slot == b->rm_slot && a->fault_type == b->fault_type &&
	       a->addr == b->addr;
}

static int
is_fault(rme_trace_result_kind_t kind)
{
	return kind == RME_TRACE_RESULT_FAULT || kind == RME_TRACE_RESULT_FAULT_ANY ||
	       kind == RME_TRACE_RESULT_UNHANDLED || kind == RME_TRACE_RESULT_UNHANDLED_ANY;
}

int
rme_trace_result_matches(const rme_trace_result_t *expected,
                         const rme_trace_result_t *actual)
{
	rme_trace_result_kind_t kind = actual->kind;

	switch (expected->kind) {
	case RME_TRACE_RESULT_NONE:
		return 1;
	case RME_TRACE_RESULT_OK:
		return kind == RME_TRACE_RESULT_OK || kind == RME_TRACE_RESULT_VALUE;
	case RME_TRACE_RESULT_VALUE:
		if (expected->relative)
			return kind == RME_TRACE_RESULT_VALUE && actual->relative &&
			       actual->expr.slot == expected->expr.slot &&
			       actual->expr.negative == expected->expr.negative &&
			       actual->expr.offset == expected->expr.offset;
		return kind == RME_TRACE_RESULT_VALUE && actual->value == expected->value;
	case RME_TRACE_RESULT_ERROR:
		return kind == RME_TRACE_RESULT_ERROR && actual->error == expected->error;
	case RME_TRACE_RESULT_ERRNO:
		return kind == RME_TRACE_RESULT_ERRNO &&
		       errno_name_len(actual) == errno_name_len(expected) &&
		       memcmp(actual->errno_name, expected->errno_name,
		              errno_name_len(expected)) == 0;
	case RME_TRACE_RESULT_FAULT:
	case RME_TRACE_RESULT_UNHANDLED:
		return kind == expected->kind && same_fault(expected, actual);
	case RME_TRACE_RESULT_FAULT_ANY:
		return is_fault(kind);
	case RME_TRACE_RESULT_UNHANDLED_ANY:
		return kind == RME_TRACE_RESULT_UNHANDLED ||
		       kind == RME_TRACE_RESULT_UNHANDLED_ANY;
	case RME_TRACE_RESULT_FAULT_STATE:
		return kind == RME_TRACE_RESULT_FAULT_STATE &&
		       actual->fault_type == expected->fault_type &&
		       (expected->fault_type == RME_FAULT_NONE ||
		        actual->addr == expected->addr);
	}
	return 0;
}
