/*
 * trace_internal.h: what the trace parser and printer share: the layout of
 * rme_trace_t, the tables of keywords, and a text sink that writes either
 * through a callback or into a bounded buffer. Nothing here uses libc
 * beyond <string.h>, so that both files also build inside Genode. The
 * rme__ prefix marks symbols that are not part of the API.
 */
#ifndef RMEMU_TRACE_INTERNAL_H
#define RMEMU_TRACE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <rmemu/trace.h>

/* ---- Keywords ------------------------------------------------------------ */

typedef struct trace_keyword {
	const char *text;
	size_t len;
} trace_keyword_t;

#define TRACE_KEYWORD(text) { text, sizeof(text) - 1 }

/* X(enum suffix, keyword): the directives, in the order the printer writes them. */
#define TRACE_DIRECTIVES(X) \
	X(GENODE,        "genode") \
	X(KERNEL,        "kernel") \
	X(ARCH,          "arch") \
	X(QUOTA,         "quota") \
	X(MMAP_AREA,     "mmap-area") \
	X(MAP_COUNT_MAX, "map-count-max") \
	X(POLICY,        "policy")

typedef enum {
#define TRACE__DIRECTIVE_ENUM(name, keyword) TRACE_DIRECTIVE_##name,
	TRACE_DIRECTIVES(TRACE__DIRECTIVE_ENUM)
#undef TRACE__DIRECTIVE_ENUM
	TRACE_DIRECTIVE_COUNT
} trace_directive_t;

enum {
	TRACE_MAP_FLAG_COUNT = 11,
	TRACE_ADVICE_COUNT = 4
};

/* The mapping types of RME_TRACE_MAP_*: at most one of them, or notype. */
#define TRACE_MAP_TYPES (RME_TRACE_MAP_PRIVATE | RME_TRACE_MAP_SHARED | \
                         RME_TRACE_MAP_SHARED_VALIDATE)
/* The word for a mapping without a type (Linux's MAP_FILE alone, 0). */
#define TRACE_MAP_NOTYPE "notype"

/*
 * Flags that are Linux's bits, named one bit each (bit i by entry i) and
 * the rest written as a number: msync's MS_*, mlock's MLOCK_*, mlockall's
 * MCL_*.
 */
typedef struct trace_bit_names {
	const trace_keyword_t *names;
	unsigned count;
	const char *what;              /* for messages: "msync flags like sync" */
} trace_bit_names_t;

/* Indexed by rme_trace_op_kind_t, trace_directive_t, bit number, advice. */
extern const trace_keyword_t rme__trace_op_keywords[RME_TRACE_OP_COUNT_];
extern const trace_keyword_t rme__trace_directive_keywords[TRACE_DIRECTIVE_COUNT];
extern const trace_keyword_t rme__trace_map_flag_names[TRACE_MAP_FLAG_COUNT];
extern const trace_keyword_t rme__trace_advice_names[TRACE_ADVICE_COUNT];
extern const trace_bit_names_t rme__trace_msync_flags, rme__trace_mlock_flags,
                               rme__trace_mlockall_flags;
/* The order in which the printer writes the bits of RME_TRACE_MAP_* (the grammar's). */
extern const unsigned char rme__trace_map_flag_order[TRACE_MAP_FLAG_COUNT];
/* "NONE", "READ", "WRITE", "EXEC", indexed by rme_fault_type_t. */
extern const trace_keyword_t rme__trace_fault_type_names[4];

/* ---- The trace ----------------------------------------------------------- */

typedef struct trace_slot {
	const char *name;              /* NUL-terminated */
	size_t len;
	rme_trace_slot_kind_t kind;
	size_t line;                   /* where it was bound; 0 if predefined */
} trace_slot_t;

/* A block of the string arena that holds names; the characters follow it. */
typedef struct trace_arena_block {
	struct trace_arena_block *next;
	size_t size;                   /* of the whole block, header included */
} trace_arena_block_t;

struct rme_trace {
	rme_allocator_t alloc;
	rme_trace_directives_t directives;

	/* Operations live in chunks of a fixed size, so that the array never
	 * moves: growing copies nothing (a third of the parse time for big
	 * traces when it did). */
	rme_trace_op_t **op_chunks;
	size_t op_chunk_capacity;
	size_t op_count;

	trace_slot_t *slots;
	size_t slot_count, slot_capacity;

	/* Open addressing over names: an entry is the name's hash in the high
	 * 32 bits and slot + 1 in the low ones, 0 is empty; a probe compares
	 * hashes without touching the slots. */
	uint64_t *index;
	size_t index_capacity;         /* a power of two, at least twice slot_count */

	trace_arena_block_t *arena;    /* the block being filled comes first */
	size_t arena_used;             /* bytes used of the first block */
};

enum { TRACE_OPS_PER_CHUNK = 256 };

static inline rme_trace_op_t *
trace_op_at(const rme_trace_t *t, size_t index)
{
	return &t->op_chunks[index / TRACE_OPS_PER_CHUNK][index % TRACE_OPS_PER_CHUNK];
}

/* ---- Text output --------------------------------------------------------- */

/*
 * Collects text in buf. When buf is full it goes to write if there is one;
 * without one the text is cut short (a bounded buffer, for messages).
 * total counts every byte produced, written or cut.
 */
typedef struct trace_sink {
	char *buf;
	size_t capacity, used;
	size_t total;
	rme_trace_write_fn write;
	void *ctx;
} trace_sink_t;

/* A sink that fills buf[0..size) and keeps room for the NUL of rme__sink_finish(). */
void rme__sink_init_buffer(trace_sink_t *s, char *buf, size_t size);
/* NUL-terminate a buffer sink (if it has room at all); flush a stream sink. */
void rme__sink_finish(trace_sink_t *s);

void rme__sink_put(trace_sink_t *s, const char *text, size_t len);
void rme__sink_str(trace_sink_t *s, const char *text);
void rme__sink_keyword(trace_sink_t *s, const trace_keyword_t *kw);
void rme__sink_dec(trace_sink_t *s, uint64_t value);
/* "0x" and lower-case hex digits, at least min_digits of them. */
void rme__sink_hex(trace_sink_t *s, uint64_t value, unsigned min_digits);
/* Text from a trace, in double quotes, with non-printing bytes escaped, cut after a few dozen bytes. */
void rme__sink_quoted(trace_sink_t *s, const char *text, size_t len);

#endif
