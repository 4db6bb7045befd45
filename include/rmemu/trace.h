/*
 * rmemu/trace.h: the trace format (version 1) as data: a parser that turns
 * trace text into an array of operations with resolved names, and a printer
 * that writes a trace back in one canonical form. rmemu-trace(5) describes
 * the format.
 *
 * Names are resolved while parsing: every name refers to a numbered slot.
 * Slot 0 is the region map env, slot 1 is mmap_area if the trace declares
 * an mmap-area, and every "NAME = ..." adds the next slot, in the order of
 * the lines. A replay keeps one value per slot (a capability or an address)
 * in an array of rme_trace_slot_count() entries and fills in each
 * operation's actual result; the printer then writes the trace with those
 * results, and rme_trace_result_matches() compares them with the results
 * the trace expected.
 *
 * The parser and printer allocate only through the rme_allocator_t they are
 * given and write only through a callback, so that they also run inside
 * Genode. A trace is plain data after parsing: it is safe to read from
 * several threads, but filling in actual results needs one writer.
 */
#ifndef RMEMU_TRACE_H
#define RMEMU_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include <rmemu/alloc.h>
#include <rmemu/error.h>
#include <rmemu/model.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rme_trace rme_trace_t;

/* ---- Names --------------------------------------------------------------- */

enum {
	RME_TRACE_SLOT_ENV       = 0,  /* the predefined region map env */
	RME_TRACE_SLOT_MMAP_AREA = 1   /* mmap_area, if the trace has mmap-area */
};

typedef enum {
	RME_TRACE_SLOT_NONE,           /* returned for a slot that does not exist */
	RME_TRACE_SLOT_DATASPACE,      /* bound by ram-alloc, rom, rm-dataspace */
	RME_TRACE_SLOT_REGION_MAP,     /* env, mmap_area, bound by rm-create */
	RME_TRACE_SLOT_ADDRESS         /* bound by attach, mmap, mremap */
} rme_trace_slot_kind_t;

/*
 * An address expression: NUMBER (slot -1, the number in offset), NAME
 * (offset 0), NAME+NUMBER or NAME-NUMBER (negative set). A zero offset is
 * never negative, so equal expressions have equal fields.
 */
typedef struct rme_trace_addr {
	int slot;
	int negative;
	uint64_t offset;
} rme_trace_addr_t;

/* The value of an address expression, given the values of the slots. */
RME_EXPORT uint64_t rme_trace_addr_eval(const rme_trace_addr_t *addr,
                                        const uint64_t *slot_values);

/* ---- Results ------------------------------------------------------------- */

typedef enum {
	RME_TRACE_RESULT_NONE,         /* no result given (must stay 0) */
	RME_TRACE_RESULT_OK,           /* ok */
	RME_TRACE_RESULT_VALUE,        /* an address, a byte or 0: value */
	RME_TRACE_RESULT_ERROR,        /* error NAME: error */
	RME_TRACE_RESULT_ERRNO,        /* errno ENAME: errno_name */
	RME_TRACE_RESULT_FAULT,        /* fault RM TYPE ADDR: rm_slot, fault_type, addr */
	RME_TRACE_RESULT_FAULT_ANY,    /* a bare fault */
	RME_TRACE_RESULT_UNHANDLED,    /* unhandled RM TYPE ADDR: rm_slot, fault_type, addr */
	RME_TRACE_RESULT_UNHANDLED_ANY,/* a bare unhandled */
	RME_TRACE_RESULT_FAULT_STATE   /* of the fault op: NONE, or fault_type and addr */
} rme_trace_result_kind_t;

/* Long enough for every errno name Linux and the BSDs have (ENOTRECOVERABLE). */
enum { RME_TRACE_ERRNO_NAME_MAX = 15 };

/*
 * A result. A zeroed result is RME_TRACE_RESULT_NONE. Fields that the kind
 * does not use stay zero in parsed traces.
 *
 * The address an attach, mmap or mremap gives may be written as an address
 * expression with a name (NAME, NAME+NUMBER, NAME-NUMBER): a VALUE with
 * relative set and the expression in expr. In a parsed trace its value is
 * 0 (rme_trace_result_value evaluates it); the executor evaluates it when
 * the operation runs, and when the address it gets is that value, the
 * actual result keeps the expression (and has the number in value), so
 * that the printer writes it relative again.
 */
typedef struct rme_trace_result {
	rme_trace_result_kind_t kind;
	rme_err_t error;
	int rm_slot;                   /* the region map of a fault; a slot */
	rme_fault_type_t fault_type;
	uint64_t value;
	uint64_t addr;                 /* the fault address, relative to rm_slot */
	char errno_name[RME_TRACE_ERRNO_NAME_MAX + 1]; /* "ENOMEM", NUL-terminated */
	int relative;                  /* a VALUE written as expr */
	rme_trace_addr_t expr;         /* zeroed unless relative */
} rme_trace_result_t;

/*
 * The address a VALUE result stands for, given the values of the slots:
 * its expression's value if it is relative, else its number.
 */
RME_EXPORT uint64_t rme_trace_result_value(const rme_trace_result_t *r,
                                           const uint64_t *slot_values);

/*
 * Make r an "errno ENAME" result. name must be E followed by capitals or
 * digits, at most RME_TRACE_ERRNO_NAME_MAX characters in all; otherwise the
 * result is left as it was and the return is RME_ERR_INVALID_ARGUMENT.
 */
RME_EXPORT RME_NODISCARD rme_err_t
rme_trace_result_set_errno(rme_trace_result_t *r, const char *name);

/*
 * Whether an actual result satisfies an expected one: 1 or 0. No expected
 * result matches anything; ok matches ok and any value (address, byte, 0);
 * a bare fault matches any fault, handled or not; a bare unhandled matches
 * any unhandled fault; an expected address relative to a name matches an
 * actual result that the executor found equal to it (relative, with the
 * same expression); all other forms match only the same form with the same
 * values (the same number, slot, type, address, error or errno name).
 */
RME_EXPORT int rme_trace_result_matches(const rme_trace_result_t *expected,
                                        const rme_trace_result_t *actual);

/* ---- Operations ---------------------------------------------------------- */

/* X(enum suffix, keyword): the operations in the order of rmemu-trace(5). */
#define RME_TRACE_OPS(X) \
	X(RAM_ALLOC,        "ram-alloc") \
	X(RAM_FREE,         "ram-free") \
	X(ROM,              "rom") \
	X(RM_CREATE,        "rm-create") \
	X(RM_DESTROY,       "rm-destroy") \
	X(RM_DATASPACE,     "rm-dataspace") \
	X(ATTACH,           "attach") \
	X(DETACH,           "detach") \
	X(FAULT_HANDLER,    "fault-handler") \
	X(FAULT,            "fault") \
	X(READ,             "read") \
	X(WRITE,            "write") \
	X(EXEC,             "exec") \
	X(MMAP,             "mmap") \
	X(MUNMAP,           "munmap") \
	X(MPROTECT,         "mprotect") \
	X(MREMAP,           "mremap") \
	X(MADVISE,          "madvise") \
	X(MSYNC,            "msync") \
	X(MLOCK,            "mlock") \
	X(MUNLOCK,          "munlock") \
	X(MLOCKALL,         "mlockall") \
	X(MUNLOCKALL,       "munlockall") \
	X(EXPECT_QUOTA,     "expect-quota") \
	X(EXPECT_LEAK_FREE, "expect-leak-free") \
	X(EXPECT_MAPPINGS,  "expect-mappings")

typedef enum {
#define RME__TRACE_OP_ENUM(name, keyword) RME_TRACE_OP_##name,
	RME_TRACE_OPS(RME__TRACE_OP_ENUM)
#undef RME__TRACE_OP_ENUM
	RME_TRACE_OP_COUNT_
} rme_trace_op_kind_t;

/* The keyword of an operation ("ram-alloc"), or "?" for a value out of range. */
RME_EXPORT const char *rme_trace_op_name(rme_trace_op_kind_t kind);

/* Rights strings ("rw-"), of attach, mmap and mprotect, as bits. */
enum {
	RME_TRACE_RIGHT_R = 1,
	RME_TRACE_RIGHT_W = 2,
	RME_TRACE_RIGHT_X = 4
};

/*
 * The MAP_* flags of mmap that have names in a trace. At most one of the
 * mapping types (private, shared, shared_validate) is set; with none, the
 * mapping has no type ("notype", Linux's MAP_FILE alone: EINVAL), unless
 * the bits without a name (rme_trace_op_t's mmap.other) hold another type
 * value. The printer writes the type first, then the others in the order
 * of rmemu-trace(5)'s grammar.
 */
enum {
	RME_TRACE_MAP_PRIVATE   = 1 << 0,
	RME_TRACE_MAP_SHARED    = 1 << 1,
	RME_TRACE_MAP_ANON      = 1 << 2,
	RME_TRACE_MAP_FIXED     = 1 << 3,
	RME_TRACE_MAP_NOREPLACE = 1 << 4,
	RME_TRACE_MAP_NORESERVE = 1 << 5,
	RME_TRACE_MAP_POPULATE  = 1 << 6,
	RME_TRACE_MAP_STACK     = 1 << 7,
	RME_TRACE_MAP_GROWSDOWN = 1 << 8,
	RME_TRACE_MAP_SHARED_VALIDATE = 1 << 9,
	RME_TRACE_MAP_LOCKED    = 1 << 10
};

typedef enum {
	RME_TRACE_ADVICE_NORMAL,
	RME_TRACE_ADVICE_DONTNEED,
	RME_TRACE_ADVICE_FREE,
	RME_TRACE_ADVICE_WILLNEED
} rme_trace_advice_t;

/* The parts of expect-quota: each exact (ram=) or an upper bound (ram<=). */
typedef struct rme_trace_quota {
	int has_ram, ram_at_most;
	int has_caps, caps_at_most;
	uint64_t ram, caps;
} rme_trace_quota_t;

/*
 * One line of the trace that is an operation or a check. Slots of region
 * maps and dataspaces are plain ints; their kinds were checked by the parser.
 * Parsed operations are zeroed before they are filled in, so two of them can
 * be compared with memcmp.
 */
typedef struct rme_trace_op {
	rme_trace_op_kind_t kind;
	int bind_slot;                 /* the slot "NAME =" binds, or -1 */
	size_t line;                   /* 1-based line in the source text */
	union {
		/* RAM_ALLOC, ROM, RM_CREATE: the size. */
		uint64_t size;
		/* RAM_FREE: a dataspace; RM_DESTROY, RM_DATASPACE,
		 * FAULT_HANDLER, FAULT: a region map. */
		int slot;
		struct {
			int rm, ds;
			int has_size, has_offset, has_at;
			unsigned rights;       /* RME_TRACE_RIGHT_*; r-- if not given */
			uint64_t size, offset;
			rme_trace_addr_t at;
		} attach;
		struct {
			int rm;
			rme_trace_addr_t addr;
		} detach;
		/* READ, WRITE (with byte), EXEC */
		struct {
			rme_trace_addr_t addr;
			unsigned byte;
		} access;
		struct {
			rme_trace_addr_t addr;
			uint64_t len;
			unsigned prot;          /* RME_TRACE_RIGHT_* */
			unsigned flags;         /* RME_TRACE_MAP_*; 0 for notype alone */
			/*
			 * Linux's MAP_* bits that have no name in a trace (x86-64
			 * values, the number in FLAGS: unknown bits, MAP_SYNC, a
			 * mapping type other than the named ones); never a bit a
			 * name stands for.
			 */
			uint32_t other;
			int has_fd;             /* a file mapping: fd and off */
			int fd;
			uint64_t off;
		} mmap;
		/*
		 * MUNMAP; MPROTECT (with prot); MADVISE (with advice); MSYNC,
		 * MLOCK (with flags); MUNLOCK; MLOCKALL (flags only).
		 */
		struct {
			rme_trace_addr_t addr;
			uint64_t len;
			unsigned prot;
			rme_trace_advice_t advice;
			/* Linux's values: MS_* of msync, MLOCK_* of mlock (mlock2), MCL_* of mlockall */
			uint32_t flags;
		} range;
		struct {
			rme_trace_addr_t addr;
			uint64_t old_len, new_len;
			int maymove, has_fixed;
			/*
			 * With has_fixed: "fixed" without an address, MREMAP_FIXED
			 * whose target is not known (strace prints none without
			 * MREMAP_MAYMOVE); fixed is then unused.
			 */
			int fixed_unknown;
			rme_trace_addr_t fixed;
		} mremap;
		rme_trace_quota_t expect_quota;
		/* EXPECT_MAPPINGS */
		uint64_t count;
	} u;
	rme_trace_result_t expected;   /* from "-> ..."; kind NONE if absent */
	rme_trace_result_t actual;     /* filled in by a replay; NONE after parsing */
} rme_trace_op_t;

/* ---- Directives ---------------------------------------------------------- */

/* The directives before the first operation; has_* says which were given. */
typedef struct rme_trace_directives {
	int has_genode;
	unsigned genode_release;       /* YYMM as in rme_model_config_t: 2602 */
	int has_kernel;
	rme_kernel_t kernel;
	int has_arch;
	rme_arch_t arch;
	int has_ram_quota, has_cap_quota; /* the two parts of quota */
	uint64_t ram_quota, cap_quota;
	int has_mmap_area;
	uint64_t mmap_area_base, mmap_area_size;
	int has_map_count_max;
	uint64_t map_count_max;
	int has_policy;
	const char *policy;            /* NUL-terminated, owned by the trace */
} rme_trace_directives_t;

/* ---- Parsing ------------------------------------------------------------- */

/*
 * Where and why parsing failed. msg is the whole message for humans,
 * "trace.txt:12:19: expected a size, found \"16Q\"", cut short if it does
 * not fit. line and col are 1-based; col counts bytes (a tab is one column)
 * and points at the offending token. Both are 0 when the failure has no
 * place in the text (no memory, bad arguments).
 */
typedef struct rme_trace_error {
	size_t line, col;
	char msg[256];
} rme_trace_error_t;

/*
 * Parse len bytes of trace text. filename only names the text in messages
 * (NULL: "<trace>"). All memory comes from alloc (NULL: the default
 * allocator); the text need not outlive the call nor be NUL-terminated.
 * Returns RME_OK and the trace in *out, or RME_ERR_INVALID_ARGUMENT for a
 * syntax error or bad arguments, or RME_ERR_HOST_NO_MEMORY; then *out is
 * NULL, nothing stays allocated and err (if not NULL) says what happened.
 * Time and memory are linear in len.
 */
RME_EXPORT RME_NODISCARD rme_err_t
rme_trace_parse(const char *filename, const char *text, size_t len,
                const rme_allocator_t *alloc, rme_trace_t **out,
                rme_trace_error_t *err);

/* Free a trace and everything it holds; NULL is fine. */
RME_EXPORT void rme_trace_free(rme_trace_t *trace);

RME_EXPORT const rme_trace_directives_t *rme_trace_directives(const rme_trace_t *trace);

RME_EXPORT size_t rme_trace_op_count(const rme_trace_t *trace);

/* The index-th operation (0-based); NULL if index is out of range. */
RME_EXPORT const rme_trace_op_t *rme_trace_op(const rme_trace_t *trace, size_t index);

/* Where a replay writes the actual result of the index-th operation; NULL if out of range. */
RME_EXPORT rme_trace_result_t *rme_trace_actual(rme_trace_t *trace, size_t index);

/* The number of slots: env, mmap_area if declared, then the bound names. */
RME_EXPORT size_t rme_trace_slot_count(const rme_trace_t *trace);

/* A slot's kind, RME_TRACE_SLOT_NONE if slot is out of range. */
RME_EXPORT rme_trace_slot_kind_t rme_trace_slot_kind(const rme_trace_t *trace, int slot);

/* A slot's name, NUL-terminated and owned by the trace; NULL if out of range. */
RME_EXPORT const char *rme_trace_slot_name(const rme_trace_t *trace, int slot);

/* The slot a name is bound to, or -1; name need not be NUL-terminated. */
RME_EXPORT int rme_trace_slot_find(const rme_trace_t *trace, const char *name, size_t len);

/* ---- Printing ------------------------------------------------------------ */

typedef void (*rme_trace_write_fn)(void *ctx, const char *buf, size_t len);

/*
 * Write the trace in canonical form through write: the header, the given
 * directives in a fixed order (genode, kernel, arch, quota, mmap-area,
 * map-count-max, policy), one line per operation with single spaces, hex
 * sizes and addresses, no comments and no blank lines. Addresses that the
 * trace wrote relative to a name stay relative. An operation's result is its
 * actual result if use_actual is set and the actual result is not NONE,
 * else its expected result; a NONE result prints no "->". The text parses
 * back into equal operations (only line numbers differ), provided actual
 * results have forms that fit their operations.
 */
RME_EXPORT void rme_trace_print(const rme_trace_t *trace, int use_actual,
                                rme_trace_write_fn write, void *ctx);

/*
 * A comment for operation index (0-based), or NULL for none; it must not
 * contain a newline.
 */
typedef const char *(*rme_trace_note_fn)(void *ctx, size_t index);

/*
 * rme_trace_print, with the comment note returns for an operation after it
 * ("  # " and the text), as the rmemu_replay component annotates what it
 * measured ("# measured: ram=0x... caps=N") and 'rmemu replay --out' does
 * the same for the model.
 */
RME_EXPORT void rme_trace_print_annotated(const rme_trace_t *trace, int use_actual,
                                          rme_trace_note_fn note, void *note_ctx,
                                          rme_trace_write_fn write, void *ctx);

/*
 * Format one result as the printer does ("0x1000", "error OUT_OF_RAM",
 * "unhandled sub READ 0x1000"; "no result" for NONE) into buf, for messages
 * like "expected X, got Y". op is the operation the result belongs to: a
 * read's value is a byte ("0x00"); trace names the slots of faults (NULL
 * prints them as "?"). Like snprintf: returns the length of the
 * whole text and writes at most size bytes, NUL-terminated if size > 0.
 */
RME_EXPORT size_t rme_trace_result_format(const rme_trace_t *trace, rme_trace_op_kind_t op,
                                          const rme_trace_result_t *result,
                                          char *buf, size_t size);

/*
 * The FLAGS word of an operation as the printer writes it, for programs
 * that write traces: mmap's (flags: RME_TRACE_MAP_*, other: the bits
 * without a name, as in rme_trace_op_t), or the flags of msync, mlock and
 * mlockall (Linux's values; other unused); nothing for other operations.
 * Like snprintf.
 */
RME_EXPORT size_t rme_trace_flags_format(rme_trace_op_kind_t op, unsigned flags, uint32_t other,
                                         char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
