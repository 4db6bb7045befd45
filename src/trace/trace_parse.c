/*
 * trace_parse.c: the parser of the trace format (rmemu-trace(5)) and the
 * trace's data structure: operations in chunks, names resolved into slots
 * through a hash table, name strings in an arena. One pass over the
 * text, line by line; every failure frees all that was built and leaves a
 * message "file:line:col: expected ..., found ...". Memory comes only from
 * the caller's allocator and there is no stdio, so this builds in Genode.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rmemu/mmap.h>
#include <rmemu/trace.h>

#include "trace_internal.h"

/* ---- Lines and tokens ---------------------------------------------------- */

typedef struct token {
	const char *text;
	size_t len;                    /* 0: the end of the line */
	size_t col;                    /* 1-based */
} token_t;

typedef struct parser {
	rme_trace_t *trace;
	const char *filename;
	rme_trace_error_t *err;
	const char *line_start;
	const char *cur;               /* the next byte to scan */
	int terminated;                /* the line ends with an LF (all but maybe the last) */
	const char *end;               /* unless terminated: where its content ends, '#' or the end */
	size_t line;
	int header_seen;
	size_t first_op_line;          /* 0 until the first operation */
	size_t directive_line[TRACE_DIRECTIVE_COUNT]; /* 0: not given yet */
} parser_t;

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The bytes that end a token: blanks, and the '#' or LF that ends a line's
 * content. On a line that ends with an LF (every line but an unterminated
 * last one) the scans stop at these bytes without comparing against an
 * end, and nobody needs to find the end first: these loops touch every
 * byte of a trace. The content of an unterminated last line is found
 * first, and its scans are bounded.
 */
static const unsigned char ends_token[256] = {
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['#'] = 1
};

static inline token_t
next_token(parser_t *p)
{
	const char *c = p->cur, *end = p->end;
	token_t tok;

	if (p->terminated) {
		while (is_blank(*c))
			c++;
		tok.text = c;
		while (!ends_token[(unsigned char)*c])
			c++;
	} else {
		while (c < end && is_blank(*c))
			c++;
		tok.text = c;
		while (c < end && !is_blank(*c))
			c++;
	}
	tok.col = (size_t)(tok.text - p->line_start) + 1;
	tok.len = (size_t)(c - tok.text);
	p->cur = c;
	return tok;
}

static token_t
peek_token(parser_t *p)
{
	const char *saved = p->cur;
	token_t tok = next_token(p);

	p->cur = saved;
	return tok;
}

static int
token_is(const token_t *tok, const char *text)
{
	size_t len = strlen(text);

	return tok->len == len && memcmp(tok->text, text, len) == 0;
}

/* The first bytes compared before memcmp: most keywords of a length differ there. */
static int
token_is_keyword(const token_t *tok, const trace_keyword_t *kw)
{
	return tok->len == kw->len && (!tok->len || tok->text[0] == kw->text[0]) &&
	       memcmp(tok->text, kw->text, kw->len) == 0;
}

static int
contains_byte(const char *text, size_t len, char c)
{
	for (size_t i = 0; i < len; i++)
		if (text[i] == c)
			return 1;
	return 0;
}

/*
 * The first byte in [s, end) that is a or b, or end. It passes over the
 * comments, which may be long, so it tests eight bytes at a time (memchr
 * is not among the few libc functions that Genode offers).
 */
static const char *
find_either(const char *s, const char *end, char a, char b)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	const uint64_t all_a = ones * (unsigned char)a, all_b = ones * (unsigned char)b;

	while (end - s >= 8) {
		uint64_t word, xa, xb;

		memcpy(&word, s, sizeof word);
		xa = word ^ all_a;      /* a zero byte where word has an a */
		xb = word ^ all_b;
		if (((xa - ones) & ~xa & highs) | ((xb - ones) & ~xb & highs))
			break;              /* one of these eight; the loop below finds it */
		s += 8;
	}
	while (s < end && *s != a && *s != b)
		s++;
	return s;
}

/* The end of the line or the result arrow: where optional arguments stop. */
static int
ends_arguments(const token_t *tok)
{
	return tok->len == 0 || token_is(tok, "->");
}

/* If tok starts with prefix (like "size="), the rest as a token of its own. */
static int
split_prefix(const token_t *tok, const char *prefix, token_t *rest)
{
	size_t len = strlen(prefix);

	if (tok->len < len || memcmp(tok->text, prefix, len) != 0)
		return 0;
	rest->text = tok->text + len;
	rest->len = tok->len - len;
	rest->col = tok->col + len;
	return 1;
}

/* The index of the keyword that tok is, or -1. */
static int
find_keyword(const trace_keyword_t *table, int count, const token_t *tok)
{
	for (int i = 0; i < count; i++)
		if (token_is_keyword(tok, &table[i]))
			return i;
	return -1;
}

/* ---- Errors -------------------------------------------------------------- */

static void
error_begin(parser_t *p, trace_sink_t *msg, size_t line, size_t col)
{
	p->err->line = line;
	p->err->col = col;
	rme__sink_init_buffer(msg, p->err->msg, sizeof p->err->msg);
	rme__sink_str(msg, p->filename);
	if (line) {
		rme__sink_str(msg, ":");
		rme__sink_dec(msg, line);
		rme__sink_str(msg, ":");
		rme__sink_dec(msg, col);
	}
	rme__sink_str(msg, ": ");
}

/* Start a message about tok (or, if empty, the end of the line) on this line. */
static void
error_at(parser_t *p, trace_sink_t *msg, const token_t *tok)
{
	error_begin(p, msg, p->line, tok->col);
}

static rme_err_t
error_end(trace_sink_t *msg)
{
	rme__sink_finish(msg);
	return RME_ERR_INVALID_ARGUMENT;
}

static void
sink_found(trace_sink_t *msg, const token_t *tok)
{
	rme__sink_str(msg, "found ");
	if (tok->len)
		rme__sink_quoted(msg, tok->text, tok->len);
	else
		rme__sink_str(msg, "end of line");
}

/* "expected WHAT, found TOK (NOTE)", the form of most errors. */
static rme_err_t
error_expected_note(parser_t *p, const token_t *tok, const char *what,
                    const char *note)
{
	trace_sink_t msg;

	error_at(p, &msg, tok);
	rme__sink_str(&msg, "expected ");
	rme__sink_str(&msg, what);
	rme__sink_str(&msg, ", ");
	sink_found(&msg, tok);
	if (note) {
		rme__sink_str(&msg, " (");
		rme__sink_str(&msg, note);
		rme__sink_str(&msg, ")");
	}
	return error_end(&msg);
}

static rme_err_t
error_expected(parser_t *p, const token_t *tok, const char *what)
{
	return error_expected_note(p, tok, what, NULL);
}

/*
 * "BEFORE "TOK" AFTER", for errors about a token as a whole; with a
 * line_note, " (LINE_NOTE N)" follows to point at the line involved.
 */
static rme_err_t
error_about_line(parser_t *p, const token_t *tok, const char *before,
                 const char *after, const char *line_note, size_t line)
{
	trace_sink_t msg;

	error_at(p, &msg, tok);
	rme__sink_str(&msg, before);
	rme__sink_quoted(&msg, tok->text, tok->len);
	rme__sink_str(&msg, after);
	if (line_note) {
		rme__sink_str(&msg, " (");
		rme__sink_str(&msg, line_note);
		rme__sink_str(&msg, " ");
		rme__sink_dec(&msg, line);
		rme__sink_str(&msg, ")");
	}
	return error_end(&msg);
}

static rme_err_t
error_about(parser_t *p, const token_t *tok, const char *before, const char *after)
{
	return error_about_line(p, tok, before, after, NULL, 0);
}

/* An option given twice; tok starts with key, the part that names it ("size="). */
static rme_err_t
error_twice(parser_t *p, const token_t *tok, const char *key_text)
{
	token_t key = { tok->text, strlen(key_text), tok->col };

	return error_about(p, &key, "", " given twice");
}

static rme_err_t
error_no_memory(parser_t *p)
{
	trace_sink_t msg;

	error_begin(p, &msg, 0, 0);
	rme__sink_str(&msg, "out of memory");
	rme__sink_finish(&msg);
	return RME_ERR_HOST_NO_MEMORY;
}

static rme_err_t
expect_end_of_line(parser_t *p)
{
	token_t tok = next_token(p);

	return tok.len ? error_expected(p, &tok, "end of line") : RME_OK;
}

/* ---- Memory -------------------------------------------------------------- */

static void *
trace_alloc(rme_trace_t *t, size_t size)
{
	return t->alloc.alloc(t->alloc.ctx, size);
}

static void
trace_release(rme_trace_t *t, void *ptr, size_t size)
{
	t->alloc.free(t->alloc.ctx, ptr, size);
}

/*
 * Make room for one more element in an array that doubles when full, so
 * that filling it costs O(n) in all. Returns the array, moved or not, or
 * NULL if there is no memory (the old array is then still in place).
 */
static void *
grow_array(rme_trace_t *t, void *array, size_t *capacity, size_t count,
           size_t elem_size)
{
	size_t new_capacity;
	void *grown;

	if (count < *capacity)
		return array;
	new_capacity = *capacity ? *capacity * 2 : 64;
	if (new_capacity < *capacity || new_capacity > SIZE_MAX / elem_size)
		return NULL;
	grown = trace_alloc(t, new_capacity * elem_size);
	if (!grown)
		return NULL;
	if (count)
		memcpy(grown, array, count * elem_size);
	trace_release(t, array, *capacity * elem_size);
	*capacity = new_capacity;
	return grown;
}

/* Names go into blocks of this size; a longer name gets a block of its own. */
enum { ARENA_BLOCK_SIZE = 16384, ARENA_OWN_BLOCK = ARENA_BLOCK_SIZE / 4 };

/* A NUL-terminated copy of text in the trace's arena, or NULL. */
static char *
arena_copy(rme_trace_t *t, const char *text, size_t len)
{
	trace_arena_block_t *block = t->arena;
	size_t need = len + 1;
	char *copy;

	if (len >= SIZE_MAX - sizeof *block - 1)
		return NULL;
	if (!block || block->size - t->arena_used < need) {
		int own = need > ARENA_OWN_BLOCK;
		size_t size = own ? sizeof *block + need : ARENA_BLOCK_SIZE;
		trace_arena_block_t *fresh = trace_alloc(t, size);

		if (!fresh)
			return NULL;
		fresh->size = size;
		if (own && block) {
			/* Keep filling the current block after this. */
			fresh->next = block->next;
			block->next = fresh;
			copy = (char *)(fresh + 1);
			memcpy(copy, text, len);
			copy[len] = '\0';
			return copy;
		}
		fresh->next = block;
		t->arena = block = fresh;
		t->arena_used = sizeof *block;
	}
	copy = (char *)block + t->arena_used;
	t->arena_used += need;
	memcpy(copy, text, len);
	copy[len] = '\0';
	return copy;
}

/* ---- Names and slots ----------------------------------------------------- */

/* A byte of a name: a-z and _ start one, digits follow (a table: names are scanned often). */
enum { NAME_START = 1, NAME_DIGIT = 2 };
static const unsigned char name_bytes[256] = {
	['a'] = NAME_START, ['b'] = NAME_START, ['c'] = NAME_START, ['d'] = NAME_START,
	['e'] = NAME_START, ['f'] = NAME_START, ['g'] = NAME_START, ['h'] = NAME_START,
	['i'] = NAME_START, ['j'] = NAME_START, ['k'] = NAME_START, ['l'] = NAME_START,
	['m'] = NAME_START, ['n'] = NAME_START, ['o'] = NAME_START, ['p'] = NAME_START,
	['q'] = NAME_START, ['r'] = NAME_START, ['s'] = NAME_START, ['t'] = NAME_START,
	['u'] = NAME_START, ['v'] = NAME_START, ['w'] = NAME_START, ['x'] = NAME_START,
	['y'] = NAME_START, ['z'] = NAME_START, ['_'] = NAME_START, ['0'] = NAME_DIGIT,
	['1'] = NAME_DIGIT, ['2'] = NAME_DIGIT, ['3'] = NAME_DIGIT, ['4'] = NAME_DIGIT,
	['5'] = NAME_DIGIT, ['6'] = NAME_DIGIT, ['7'] = NAME_DIGIT, ['8'] = NAME_DIGIT,
	['9'] = NAME_DIGIT
};

static int
is_name_start(char c)
{
	return name_bytes[(unsigned char)c] == NAME_START;
}

static int
is_name_char(char c)
{
	return name_bytes[(unsigned char)c] != 0;
}

/* FNV-1a: names are short, and this is fast and spreads them well. */
enum { FNV_BASIS = 2166136261u, FNV_PRIME = 16777619u };

/*
 * The length of the name that text starts with (0 if none), and its hash:
 * one pass over the bytes for both, as every name in a trace is checked
 * and then looked up.
 */
static size_t
name_scan(const char *text, size_t len, uint32_t *hash)
{
	uint32_t h = FNV_BASIS;
	size_t i = 0;

	if (!len || !is_name_start(text[0]))
		return 0;
	while (i < len && is_name_char(text[i]))
		h = (h ^ (unsigned char)text[i++]) * FNV_PRIME;
	*hash = h;
	return i;
}

static uint32_t
hash_name(const char *name, size_t len)
{
	uint32_t h = FNV_BASIS;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * FNV_PRIME;
	return h;
}

/* The name's hash and its slot + 1 as an index entry; 0 is empty. */
static uint64_t
index_entry(uint32_t hash, size_t slot)
{
	return (uint64_t)hash << 32 | (uint64_t)(slot + 1);
}

static int
same_bytes(const char *a, const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/*
 * An entry whose hash differs is passed over without touching its slot:
 * in a big trace every slot and name is a cache miss of its own.
 */
static int
find_slot(const rme_trace_t *t, const char *name, size_t len, uint32_t hash)
{
	const uint64_t want = (uint64_t)hash << 32, hash_bits = ~(uint64_t)UINT32_MAX;
	size_t mask = t->index_capacity - 1;
	uint64_t entry;

	for (size_t i = hash & mask; (entry = t->index[i]) != 0; i = (i + 1) & mask) {
		const trace_slot_t *slot;

		if ((entry & hash_bits) != want)
			continue;
		slot = &t->slots[(uint32_t)entry - 1];
		if (slot->len == len && same_bytes(slot->name, name, len))
			return (int)((uint32_t)entry - 1);
	}
	return -1;
}

static void
index_insert(uint64_t *index, size_t capacity, uint64_t entry)
{
	size_t mask = capacity - 1;
	size_t i = (uint32_t)(entry >> 32) & mask;

	while (index[i])
		i = (i + 1) & mask;
	index[i] = entry;
}

/* Keep the index at most half full, so that probe sequences stay short. */
static int
grow_index(rme_trace_t *t)
{
	size_t capacity = t->index_capacity ? t->index_capacity * 2 : 64;
	uint64_t *index;

	if ((t->slot_count + 1) * 2 <= t->index_capacity)
		return 1;
	if (capacity > SIZE_MAX / sizeof *index)
		return 0;
	index = trace_alloc(t, capacity * sizeof *index);
	if (!index)
		return 0;
	memset(index, 0, capacity * sizeof *index);
	for (size_t i = 0; i < t->index_capacity; i++)
		if (t->index[i])
			index_insert(index, capacity, t->index[i]);
	trace_release(t, t->index, t->index_capacity * sizeof *index);
	t->index = index;
	t->index_capacity = capacity;
	return 1;
}

/* Slots are ints in the API and index entries hold slot + 1 in 32 bits. */
enum { SLOT_MAX = 0x7ffffffe };

/*
 * Add a slot for a name whose hash is given; name must stay valid for the
 * trace's life. -1 if out of memory.
 */
static int
add_slot(rme_trace_t *t, const char *name, size_t len, uint32_t hash,
         rme_trace_slot_kind_t kind)
{
	trace_slot_t *slots;

	if (t->slot_count >= SLOT_MAX || !grow_index(t))
		return -1;
	slots = grow_array(t, t->slots, &t->slot_capacity, t->slot_count, sizeof *slots);
	if (!slots)
		return -1;
	t->slots = slots;
	slots[t->slot_count] = (trace_slot_t){ .name = name, .len = len, .kind = kind };
	index_insert(t->index, t->index_capacity, index_entry(hash, t->slot_count));
	return (int)t->slot_count++;
}

/* A predefined name (env, mmap_area). */
static int
add_fixed_slot(rme_trace_t *t, const char *name, size_t len, rme_trace_slot_kind_t kind)
{
	return add_slot(t, name, len, hash_name(name, len), kind);
}

static const char *const slot_kind_nouns[] = {
	[RME_TRACE_SLOT_NONE]       = "nothing",
	[RME_TRACE_SLOT_DATASPACE]  = "a dataspace",
	[RME_TRACE_SLOT_REGION_MAP] = "a region map",
	[RME_TRACE_SLOT_ADDRESS]    = "an address"
};

static const char *const slot_kind_expected[] = {
	[RME_TRACE_SLOT_NONE]       = "a name",
	[RME_TRACE_SLOT_DATASPACE]  = "a dataspace name",
	[RME_TRACE_SLOT_REGION_MAP] = "a region map name",
	[RME_TRACE_SLOT_ADDRESS]    = "an address name"
};

static const char env_name[] = "env";
static const char mmap_area_name[] = "mmap_area";

static int
is_reserved_name(const token_t *tok)
{
	return token_is(tok, env_name) || token_is(tok, mmap_area_name);
}

/* The slot of a bound name of the given kind, for tok, a name with this hash. */
static rme_err_t
resolve_hashed(parser_t *p, const token_t *tok, uint32_t hash, rme_trace_slot_kind_t kind,
               int *slot)
{
	const rme_trace_t *t = p->trace;
	int found = find_slot(t, tok->text, tok->len, hash);

	if (found < 0) {
		if (token_is(tok, mmap_area_name))
			return error_about(p, tok, "unbound name ",
			                   " (it needs an mmap-area directive)");
		return error_about(p, tok, "unbound name ", "");
	}
	if (t->slots[found].kind != kind)
		return error_expected_note(p, tok, slot_kind_expected[kind],
		                           slot_kind_nouns[t->slots[found].kind]);
	*slot = found;
	return RME_OK;
}

/* The slot of a bound name of the given kind, for a name in tok. */
static rme_err_t
resolve_name(parser_t *p, const token_t *tok, rme_trace_slot_kind_t kind, int *slot)
{
	uint32_t hash;

	if (!tok->len || name_scan(tok->text, tok->len, &hash) != tok->len)
		return error_expected(p, tok, slot_kind_expected[kind]);
	return resolve_hashed(p, tok, hash, kind, slot);
}

/*
 * Before "NAME = ...": the name must be free. It is bound once the line
 * has parsed (bind_name), with the hash kept here.
 */
static rme_err_t
check_new_name(parser_t *p, const token_t *tok, uint32_t *hash)
{
	int found;

	if (!tok->len || name_scan(tok->text, tok->len, hash) != tok->len)
		return error_expected(p, tok, "a name");
	if (is_reserved_name(tok))
		return error_about(p, tok, "name ", " is reserved");
	found = find_slot(p->trace, tok->text, tok->len, *hash);
	if (found >= 0)
		return error_about_line(p, tok, "name ", " is already bound", "on line",
		                        p->trace->slots[found].line);
	return RME_OK;
}

static rme_err_t
bind_name(parser_t *p, const token_t *tok, uint32_t hash, rme_trace_slot_kind_t kind,
          int *slot)
{
	rme_trace_t *t = p->trace;
	char *name = arena_copy(t, tok->text, tok->len);

	if (!name || (*slot = add_slot(t, name, tok->len, hash, kind)) < 0)
		return error_no_memory(p);
	t->slots[*slot].line = p->line;
	return RME_OK;
}

/* ---- Values -------------------------------------------------------------- */

typedef enum {
	NUMBER_OK, NUMBER_BAD, NUMBER_TOO_LARGE, NUMBER_HEX_SUFFIX
} number_status_t;

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A hex digit's value + 1, 0 for other bytes. */
static const unsigned char hex_digits[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
	['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
	['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14,
	['E'] = 15, ['F'] = 16
};

static int
hex_digit_value(char c)
{
	return hex_digits[(unsigned char)c] - 1;
}

/* The shift of a binary size suffix, 0 if c is none. */
static unsigned
suffix_shift(char c)
{
	switch (c) {
	case 'K': return 10;
	case 'M': return 20;
	case 'G': return 30;
	case 'T': return 40;
	default:  return 0;
	}
}

/* Decimal or 0x hex, 64 bits; with allow_suffix a decimal may end in K, M, G or T. */
static number_status_t
scan_number(const char *s, size_t len, int allow_suffix, uint64_t *out)
{
	uint64_t value = 0;
	size_t digits_end = len;
	unsigned shift = 0;
	int may_overflow;

	if (len > 2 && s[0] == '0' && s[1] == 'x') {
		/* Up to 16 digits cannot overflow: only longer numbers are checked per digit. */
		may_overflow = len - 2 > 16;
		for (size_t i = 2; i < len; i++) {
			int digit = hex_digit_value(s[i]);

			if (digit < 0)
				return allow_suffix && i > 2 && i == len - 1 && suffix_shift(s[i])
				       ? NUMBER_HEX_SUFFIX : NUMBER_BAD;
			if (may_overflow && value >> 60)
				return NUMBER_TOO_LARGE;
			value = value << 4 | (unsigned)digit;
		}
		*out = value;
		return NUMBER_OK;
	}
	if (allow_suffix && len > 1 && suffix_shift(s[len - 1])) {
		shift = suffix_shift(s[len - 1]);
		digits_end = len - 1;
	}
	if (digits_end == 0)
		return NUMBER_BAD;
	/* Up to 19 digits cannot overflow (10^19 - 1 < 2^64), nor need a division per digit. */
	may_overflow = digits_end > 19;
	for (size_t i = 0; i < digits_end; i++) {
		unsigned digit;

		if (!is_digit(s[i]))
			return NUMBER_BAD;
		digit = (unsigned)(s[i] - '0');
		if (may_overflow && value > (UINT64_MAX - digit) / 10)
			return NUMBER_TOO_LARGE;
		value = value * 10 + digit;
	}
	if (value > UINT64_MAX >> shift)
		return NUMBER_TOO_LARGE;
	*out = value << shift;
	return NUMBER_OK;
}

static rme_err_t
number_value(parser_t *p, const token_t *tok, int allow_suffix, const char *what,
             uint64_t *out)
{
	switch (scan_number(tok->text, tok->len, allow_suffix, out)) {
	case NUMBER_OK:
		return RME_OK;
	case NUMBER_TOO_LARGE:
		return error_expected_note(p, tok, what, "more than 64 bits");
	case NUMBER_HEX_SUFFIX:
		return error_expected_note(p, tok, what,
		                           "only a decimal number takes a K, M, G or T suffix");
	case NUMBER_BAD:
		break;
	}
	return error_expected(p, tok, what);
}

static rme_err_t
size_value(parser_t *p, const token_t *tok, uint64_t *out)
{
	return number_value(p, tok, 1, "a size", out);
}

static rme_err_t
count_value(parser_t *p, const token_t *tok, uint64_t *out)
{
	return number_value(p, tok, 0, "a count", out);
}

/* A number no larger than max, e.g. a byte. */
static rme_err_t
bounded_value(parser_t *p, const token_t *tok, const char *what, uint64_t max,
              uint64_t *out)
{
	rme_err_t rc = number_value(p, tok, 0, what, out);

	if (!rc && *out > max)
		return error_expected_note(p, tok, what, "too large");
	return rc;
}

/* NUMBER, NAME, NAME+NUMBER or NAME-NUMBER, NAME bound to an address. */
static rme_err_t
address_value(parser_t *p, const token_t *tok, rme_trace_addr_t *out)
{
	uint32_t hash = 0;
	size_t name_len = name_scan(tok->text, tok->len, &hash);
	token_t name, offset;
	rme_err_t rc;

	*out = (rme_trace_addr_t){ .slot = -1 };
	if (tok->len && is_digit(tok->text[0]))
		return number_value(p, tok, 0, "an address", &out->offset);
	/* A name, then nothing or a sign and at least one more byte. */
	if (!name_len || (name_len < tok->len &&
	                  ((tok->text[name_len] != '+' && tok->text[name_len] != '-') ||
	                   name_len + 1 == tok->len)))
		return error_expected(p, tok, "an address");
	name = (token_t){ tok->text, name_len, tok->col };
	rc = resolve_hashed(p, &name, hash, RME_TRACE_SLOT_ADDRESS, &out->slot);
	if (rc || name_len == tok->len)
		return rc;
	offset = (token_t){ tok->text + name_len + 1, tok->len - name_len - 1,
	                    tok->col + name_len + 1 };
	rc = number_value(p, &offset, 0, "an offset", &out->offset);
	/* name-0 is name+0, so that equal expressions have equal fields. */
	out->negative = tok->text[name_len] == '-' && out->offset;
	return rc;
}

static int
scan_rights(const token_t *tok, unsigned *out)
{
	static const char letters[3] = { 'r', 'w', 'x' };
	unsigned rights = 0;

	if (tok->len != 3)
		return 0;
	for (unsigned i = 0; i < 3; i++) {
		if (tok->text[i] == letters[i])
			rights |= 1u << i;      /* RME_TRACE_RIGHT_R, _W, _X */
		else if (tok->text[i] != '-')
			return 0;
	}
	*out = rights;
	return 1;
}

static rme_err_t
rights_value(parser_t *p, const token_t *tok, unsigned *out)
{
	return scan_rights(tok, out) ? RME_OK
	                             : error_expected(p, tok, "rights like \"rw-\"");
}

/* The parts of a flags token, separated by '|': the next one from *start on. */
static int
next_flag_part(const token_t *tok, size_t *start, token_t *part)
{
	size_t end = *start;

	if (*start > tok->len)
		return 0;
	while (end < tok->len && tok->text[end] != '|')
		end++;
	*part = (token_t){ tok->text + *start, end - *start, tok->col + *start };
	*start = end + 1;
	return 1;
}

/* A part that is a number: the bits that have no name. */
static rme_err_t
flag_number_part(parser_t *p, const token_t *part, int *seen, uint32_t named, const char *what,
                 uint32_t *out)
{
	uint64_t value;
	rme_err_t rc;

	if (*seen)
		return error_about(p, part, "a second number ", " (write the bits without a name as one)");
	*seen = 1;
	if ((rc = number_value(p, part, 0, what, &value)))
		return rc;
	if (value > UINT32_MAX)
		return error_expected_note(p, part, what, "more than 32 bits");
	if (value & named)
		return error_expected_note(p, part, what, "a bit that has a name goes by its name");
	*out = (uint32_t)value;
	return RME_OK;
}

/* Linux's MAP_* bits that the names of RME_TRACE_MAP_* stand for, with the type field. */
#define MAP_NAMED_BITS ((uint32_t)(RME_MAP_TYPE | RME_MAP_ANONYMOUS | RME_MAP_FIXED | \
	RME_MAP_FIXED_NOREPLACE | RME_MAP_NORESERVE | RME_MAP_POPULATE | RME_MAP_STACK | \
	RME_MAP_GROWSDOWN | RME_MAP_LOCKED))

/*
 * mmap's flags, names joined by '|' like private|anon|fixed: at most one
 * mapping type (private, shared, shared_validate or notype), and at most
 * one number, Linux's bits that have no name (a type value of its own if
 * no name gives one).
 */
static rme_err_t
map_flags_value(parser_t *p, const token_t *tok, unsigned *out, uint32_t *other)
{
	const char *what = "a map flag like private or anon";
	size_t start = 0;
	token_t part;
	int seen_number = 0, has_type = 0;
	rme_err_t rc;

	*out = 0;
	*other = 0;
	while (next_flag_part(tok, &start, &part)) {
		int bit, is_type;

		if (part.len && is_digit(part.text[0])) {
			if ((rc = flag_number_part(p, &part, &seen_number,
			                           MAP_NAMED_BITS & ~(uint32_t)RME_MAP_TYPE, what, other)))
				return rc;
			continue;
		}
		if (token_is(&part, TRACE_MAP_NOTYPE)) {
			bit = -1;
			is_type = 1;
		} else {
			bit = find_keyword(rme__trace_map_flag_names, TRACE_MAP_FLAG_COUNT, &part);
			if (bit < 0)
				return error_expected(p, part.len ? &part : tok, what);
			is_type = ((1u << bit) & TRACE_MAP_TYPES) != 0;
		}
		if (is_type && has_type)
			return error_about(p, &part, "a second mapping type ", "");
		has_type |= is_type;
		if (bit >= 0)
			*out |= 1u << bit;
	}
	/* The type field holds one value: a name's, or the number's, whose 1 to 3 have names. */
	if ((*other & RME_MAP_TYPE) && (has_type || (*other & RME_MAP_TYPE) <= RME_MAP_SHARED_VALIDATE))
		return error_expected_note(p, tok, what, has_type
		                           ? "the number gives a mapping type too"
		                           : "a mapping type 1 to 3 goes by its name");
	return RME_OK;
}

/* Flags of msync, mlock or mlockall: names of their bits and a number for the rest. */
static rme_err_t
bit_flags_value(parser_t *p, const token_t *tok, const trace_bit_names_t *names, uint32_t *out)
{
	uint32_t named = (1u << names->count) - 1;
	size_t start = 0;
	token_t part;
	int seen_number = 0;
	uint32_t number = 0;
	rme_err_t rc;

	*out = 0;
	while (next_flag_part(tok, &start, &part)) {
		int bit;

		if (part.len && is_digit(part.text[0])) {
			if ((rc = flag_number_part(p, &part, &seen_number, named, names->what, &number)))
				return rc;
			continue;
		}
		bit = find_keyword(names->names, (int)names->count, &part);
		if (bit < 0)
			return error_expected(p, part.len ? &part : tok, names->what);
		*out |= 1u << bit;
	}
	*out |= number;
	return RME_OK;
}

/* tok as a C string in buf, for the name lookups of error.c and model.c. */
static int
token_to_cstr(const token_t *tok, char *buf, size_t size)
{
	if (tok->len >= size || contains_byte(tok->text, tok->len, '\0'))
		return 0;
	memcpy(buf, tok->text, tok->len);
	buf[tok->len] = '\0';
	return 1;
}

enum { ENUM_NAME_MAX = 32 };   /* longer than any name of an enum value */

static rme_err_t
error_name_value(parser_t *p, const token_t *tok, rme_err_t *out)
{
	char name[ENUM_NAME_MAX];

	if (token_to_cstr(tok, name, sizeof name) && rme_err_from_name(name, out) == 0 &&
	    *out != RME_OK)
		return RME_OK;
	return error_expected(p, tok, "an error name like OUT_OF_RAM");
}

static int
is_errno_name(const char *name, size_t len)
{
	if (len < 2 || len > RME_TRACE_ERRNO_NAME_MAX || name[0] != 'E')
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!((name[i] >= 'A' && name[i] <= 'Z') || is_digit(name[i])))
			return 0;
	return 1;
}

static void
set_errno_name(rme_trace_result_t *r, const char *name, size_t len)
{
	r->kind = RME_TRACE_RESULT_ERRNO;
	memset(r->errno_name, 0, sizeof r->errno_name);
	memcpy(r->errno_name, name, len);
}

static rme_err_t
errno_value(parser_t *p, const token_t *tok, rme_trace_result_t *r)
{
	if (!is_errno_name(tok->text, tok->len))
		return error_expected(p, tok, "an errno name like ENOMEM");
	set_errno_name(r, tok->text, tok->len);
	return RME_OK;
}

static rme_err_t
fault_type_value(parser_t *p, const token_t *tok, rme_fault_type_t *out)
{
	int type = find_keyword(rme__trace_fault_type_names, 4, tok);

	if (type <= RME_FAULT_NONE)
		return error_expected(p, tok, "READ, WRITE or EXEC");
	*out = (rme_fault_type_t)type;
	return RME_OK;
}

/* The argument forms, read from the next token. */

static rme_err_t
size_arg(parser_t *p, uint64_t *out)
{
	token_t tok = next_token(p);

	return size_value(p, &tok, out);
}

static rme_err_t
address_arg(parser_t *p, rme_trace_addr_t *out)
{
	token_t tok = next_token(p);

	return address_value(p, &tok, out);
}

static rme_err_t
slot_arg(parser_t *p, rme_trace_slot_kind_t kind, int *out)
{
	token_t tok = next_token(p);

	return resolve_name(p, &tok, kind, out);
}

static rme_err_t
rights_arg(parser_t *p, unsigned *out)
{
	token_t tok = next_token(p);

	return rights_value(p, &tok, out);
}

/*
 * The next optional argument, or 0 at the end of the arguments. Options
 * come in any order; each parser below checks that none comes twice.
 */
static int
next_option(parser_t *p, token_t *tok)
{
	const char *saved = p->cur;

	*tok = next_token(p);
	if (!ends_arguments(tok))
		return 1;
	p->cur = saved;      /* the arrow is the result's */
	return 0;
}

/* ram=SIZE and caps=N, of quota; with allow_bounds also ram<= and caps<=. */
static rme_err_t
quota_parts(parser_t *p, int allow_bounds, rme_trace_quota_t *q)
{
	const char *expected = allow_bounds ? "ram=, ram<=, caps= or caps<="
	                                    : "ram= or caps=";
	token_t tok, rest, value;

	while (next_option(p, &tok)) {
		int ram = split_prefix(&tok, "ram", &rest);
		int at_most = 0;
		rme_err_t rc;

		if (!ram && !split_prefix(&tok, "caps", &rest))
			return error_expected(p, &tok, expected);
		if (allow_bounds && split_prefix(&rest, "<=", &value))
			at_most = 1;
		else if (!split_prefix(&rest, "=", &value))
			return error_expected(p, &tok, expected);
		if (ram ? q->has_ram : q->has_caps)
			return error_twice(p, &tok, ram ? "ram" : "caps");
		if (ram) {
			q->has_ram = 1;
			q->ram_at_most = at_most;
			rc = size_value(p, &value, &q->ram);
		} else {
			q->has_caps = 1;
			q->caps_at_most = at_most;
			rc = count_value(p, &value, &q->caps);
		}
		if (rc)
			return rc;
	}
	if (!q->has_ram && !q->has_caps)
		return error_expected(p, &tok, expected);
	return RME_OK;
}

/* ---- Operations ---------------------------------------------------------- */

static rme_err_t
parse_size_op(parser_t *p, rme_trace_op_t *op)
{
	return size_arg(p, &op->u.size);
}

static rme_err_t
parse_dataspace_op(parser_t *p, rme_trace_op_t *op)
{
	return slot_arg(p, RME_TRACE_SLOT_DATASPACE, &op->u.slot);
}

static rme_err_t
parse_region_map_op(parser_t *p, rme_trace_op_t *op)
{
	return slot_arg(p, RME_TRACE_SLOT_REGION_MAP, &op->u.slot);
}

static rme_err_t
parse_attach(parser_t *p, rme_trace_op_t *op)
{
	int has_rights = 0;
	token_t tok, value;
	rme_err_t rc;

	if ((rc = slot_arg(p, RME_TRACE_SLOT_REGION_MAP, &op->u.attach.rm)) ||
	    (rc = slot_arg(p, RME_TRACE_SLOT_DATASPACE, &op->u.attach.ds)))
		return rc;
	op->u.attach.rights = RME_TRACE_RIGHT_R;
	while (next_option(p, &tok)) {
		if (split_prefix(&tok, "size=", &value)) {
			if (op->u.attach.has_size)
				return error_twice(p, &tok, "size=");
			op->u.attach.has_size = 1;
			rc = size_value(p, &value, &op->u.attach.size);
		} else if (split_prefix(&tok, "offset=", &value)) {
			if (op->u.attach.has_offset)
				return error_twice(p, &tok, "offset=");
			op->u.attach.has_offset = 1;
			rc = size_value(p, &value, &op->u.attach.offset);
		} else if (split_prefix(&tok, "at=", &value)) {
			if (op->u.attach.has_at)
				return error_twice(p, &tok, "at=");
			op->u.attach.has_at = 1;
			rc = address_value(p, &value, &op->u.attach.at);
		} else if (tok.len == 3 && !contains_byte(tok.text, tok.len, '=')) {
			/* Three letters without '=' can only mean rights. */
			if (has_rights)
				return error_about(p, &tok, "second rights string ", "");
			has_rights = 1;
			rc = rights_value(p, &tok, &op->u.attach.rights);
		} else {
			return error_expected(p, &tok, "size=, offset=, at=, rights or \"->\"");
		}
		if (rc)
			return rc;
	}
	return RME_OK;
}

static rme_err_t
parse_detach(parser_t *p, rme_trace_op_t *op)
{
	rme_err_t rc = slot_arg(p, RME_TRACE_SLOT_REGION_MAP, &op->u.detach.rm);

	return rc ? rc : address_arg(p, &op->u.detach.addr);
}

static rme_err_t
parse_access(parser_t *p, rme_trace_op_t *op)
{
	rme_err_t rc = address_arg(p, &op->u.access.addr);
	uint64_t byte;
	token_t tok;

	if (rc || op->kind != RME_TRACE_OP_WRITE)
		return rc;
	tok = next_token(p);
	rc = bounded_value(p, &tok, "a byte", 0xff, &byte);
	op->u.access.byte = (unsigned)byte;
	return rc;
}

/*
 * The ranges of munmap, munlock, mprotect (with PROT), madvise (with
 * ADVICE), msync and mlock (with optional FLAGS).
 */
static rme_err_t
parse_range(parser_t *p, rme_trace_op_t *op)
{
	rme_err_t rc;
	token_t tok;
	int advice;

	if ((rc = address_arg(p, &op->u.range.addr)) || (rc = size_arg(p, &op->u.range.len)))
		return rc;
	if (op->kind == RME_TRACE_OP_MPROTECT)
		return rights_arg(p, &op->u.range.prot);
	if (op->kind == RME_TRACE_OP_MSYNC || op->kind == RME_TRACE_OP_MLOCK) {
		if (!next_option(p, &tok))
			return RME_OK;
		return bit_flags_value(p, &tok, op->kind == RME_TRACE_OP_MSYNC ? &rme__trace_msync_flags
		                                                               : &rme__trace_mlock_flags,
		                       &op->u.range.flags);
	}
	if (op->kind != RME_TRACE_OP_MADVISE)
		return RME_OK;
	tok = next_token(p);
	advice = find_keyword(rme__trace_advice_names, TRACE_ADVICE_COUNT, &tok);
	if (advice < 0)
		return error_expected(p, &tok, "normal, dontneed, free or willneed");
	op->u.range.advice = (rme_trace_advice_t)advice;
	return RME_OK;
}

/* The largest fd= value, so that it fits in an int everywhere. */
#define FD_MAX 0x7fffffffu

static rme_err_t
parse_mmap(parser_t *p, rme_trace_op_t *op)
{
	token_t tok, value, off_tok = { 0 };
	uint64_t fd;
	rme_err_t rc;

	if ((rc = address_arg(p, &op->u.mmap.addr)) || (rc = size_arg(p, &op->u.mmap.len)) ||
	    (rc = rights_arg(p, &op->u.mmap.prot)))
		return rc;
	tok = next_token(p);
	if ((rc = map_flags_value(p, &tok, &op->u.mmap.flags, &op->u.mmap.other)))
		return rc;
	while (next_option(p, &tok)) {
		if (split_prefix(&tok, "fd=", &value)) {
			if (op->u.mmap.has_fd)
				return error_twice(p, &tok, "fd=");
			op->u.mmap.has_fd = 1;
			rc = bounded_value(p, &value, "a file descriptor", FD_MAX, &fd);
			op->u.mmap.fd = (int)fd;
		} else if (split_prefix(&tok, "off=", &value)) {
			if (off_tok.len)
				return error_twice(p, &tok, "off=");
			off_tok = tok;
			rc = size_value(p, &value, &op->u.mmap.off);
		} else {
			return error_expected(p, &tok, "fd=, off= or \"->\"");
		}
		if (rc)
			return rc;
	}
	if (off_tok.len && !op->u.mmap.has_fd) {
		off_tok.len = 4;        /* just "off=" */
		return error_about(p, &off_tok, "", " needs \"fd=\"");
	}
	return RME_OK;
}

static rme_err_t
parse_mremap(parser_t *p, rme_trace_op_t *op)
{
	token_t tok, value, fixed_tok = { 0 };
	rme_err_t rc;

	if ((rc = address_arg(p, &op->u.mremap.addr)) ||
	    (rc = size_arg(p, &op->u.mremap.old_len)) ||
	    (rc = size_arg(p, &op->u.mremap.new_len)))
		return rc;
	while (next_option(p, &tok)) {
		if (token_is(&tok, "maymove")) {
			if (op->u.mremap.maymove)
				return error_twice(p, &tok, "maymove");
			op->u.mremap.maymove = 1;
		} else if (split_prefix(&tok, "fixed=", &value) || token_is(&tok, "fixed")) {
			if (op->u.mremap.has_fixed)
				return error_twice(p, &tok, "fixed");
			op->u.mremap.has_fixed = 1;
			if (tok.len == 5) {
				/* MREMAP_FIXED without its address, which strace leaves out without MREMAP_MAYMOVE */
				op->u.mremap.fixed_unknown = 1;
				fixed_tok = tok;
			} else if ((rc = address_value(p, &value, &op->u.mremap.fixed))) {
				return rc;
			}
		} else {
			return error_expected(p, &tok, "maymove, fixed, fixed= or \"->\"");
		}
	}
	if (op->u.mremap.fixed_unknown && op->u.mremap.maymove)
		return error_about(p, &fixed_tok, "", " without an address cannot go with maymove "
		                   "(a move needs its target)");
	return RME_OK;
}

/* mlockall FLAGS: current, future, onfault, or a number ("0" for none). */
static rme_err_t
parse_mlockall(parser_t *p, rme_trace_op_t *op)
{
	token_t tok = next_token(p);

	if (ends_arguments(&tok))
		return error_expected(p, &tok, rme__trace_mlockall_flags.what);
	return bit_flags_value(p, &tok, &rme__trace_mlockall_flags, &op->u.range.flags);
}

static rme_err_t
parse_expect_quota(parser_t *p, rme_trace_op_t *op)
{
	return quota_parts(p, 1, &op->u.expect_quota);
}

static rme_err_t
parse_no_args(parser_t *p, rme_trace_op_t *op)
{
	(void)p;
	(void)op;
	return RME_OK;
}

static rme_err_t
parse_count_op(parser_t *p, rme_trace_op_t *op)
{
	token_t tok = next_token(p);

	return count_value(p, &tok, &op->u.count);
}

/* ---- What each operation takes and gives -------------------------------- */

typedef enum { BIND_NEVER, BIND_OPTIONAL, BIND_REQUIRED } bind_rule_t;

typedef struct op_spec {
	rme_err_t (*parse_args)(parser_t *p, rme_trace_op_t *op);
	bind_rule_t bind;
	rme_trace_slot_kind_t binds;   /* the kind of a name it binds */
	unsigned results;              /* a bit (1 << kind) per result form that fits */
	uint64_t value_max;            /* the largest number result that fits */
	const char *results_text;      /* the same for humans */
} op_spec_t;

#define RESULT(kind) (1u << RME_TRACE_RESULT_##kind)
#define GENODE_RESULTS (RESULT(OK) | RESULT(ERROR))
#define ACCESS_RESULTS (RESULT(OK) | RESULT(ERROR) | RESULT(FAULT) | \
                        RESULT(FAULT_ANY) | RESULT(UNHANDLED) | RESULT(UNHANDLED_ANY))
#define LIBC_RESULTS   (RESULT(VALUE) | RESULT(OK) | RESULT(ERRNO))

static const op_spec_t op_specs[RME_TRACE_OP_COUNT_] = {
	[RME_TRACE_OP_RAM_ALLOC] = { parse_size_op, BIND_REQUIRED, RME_TRACE_SLOT_DATASPACE,
		GENODE_RESULTS, 0, "ok or error NAME" },
	[RME_TRACE_OP_RAM_FREE] = { parse_dataspace_op, BIND_NEVER, RME_TRACE_SLOT_NONE,
		GENODE_RESULTS, 0, "ok or error NAME" },
	[RME_TRACE_OP_ROM] = { parse_size_op, BIND_REQUIRED, RME_TRACE_SLOT_DATASPACE,
		GENODE_RESULTS, 0, "ok or error NAME" },
	[RME_TRACE_OP_RM_CREATE] = { parse_size_op, BIND_REQUIRED, RME_TRACE_SLOT_REGION_MAP,
		GENODE_RESULTS, 0, "ok or error NAME" },
	[RME_TRACE_OP_RM_DESTROY] = { parse_region_map_op, BIND_NEVER, RME_TRACE_SLOT_NONE,
		GENODE_RESULTS, 0, "ok or error NAME" },
	[RME_TRACE_OP_RM_DATASPACE] = { parse_region_map_op, BIND_REQUIRED, RME_TRACE_SLOT_DATASPACE,
		GENODE_RESULTS, 0, "ok or error NAME" },
	[RME_TRACE_OP_ATTACH] = { parse_attach, BIND_OPTIONAL, RME_TRACE_SLOT_ADDRESS,
		GENODE_RESULTS | RESULT(VALUE), UINT64_MAX,
		"an address (NUMBER, NAME, NAME+NUMBER or NAME-NUMBER), ok or error NAME" },
	[RME_TRACE_OP_DETACH] = { parse_detach, BIND_NEVER, RME_TRACE_SLOT_NONE,
		GENODE_RESULTS, 0, "ok or error NAME" },
	[RME_TRACE_OP_FAULT_HANDLER] = { parse_region_map_op, BIND_NEVER, RME_TRACE_SLOT_NONE,
		GENODE_RESULTS, 0, "ok or error NAME" },
	[RME_TRACE_OP_FAULT] = { parse_region_map_op, BIND_NEVER, RME_TRACE_SLOT_NONE,
		RESULT(FAULT_STATE) | RESULT(ERROR), 0, "NONE, READ ADDR, WRITE ADDR, EXEC ADDR or error NAME" },
	[RME_TRACE_OP_READ] = { parse_access, BIND_NEVER, RME_TRACE_SLOT_NONE,
		ACCESS_RESULTS | RESULT(VALUE), 0xff, "a byte, ok, fault, unhandled or error NAME" },
	[RME_TRACE_OP_WRITE] = { parse_access, BIND_NEVER, RME_TRACE_SLOT_NONE,
		ACCESS_RESULTS, 0, "ok, fault, unhandled or error NAME" },
	[RME_TRACE_OP_EXEC] = { parse_access, BIND_NEVER, RME_TRACE_SLOT_NONE,
		ACCESS_RESULTS, 0, "ok, fault, unhandled or error NAME" },
	[RME_TRACE_OP_MMAP] = { parse_mmap, BIND_OPTIONAL, RME_TRACE_SLOT_ADDRESS,
		LIBC_RESULTS, UINT64_MAX,
		"an address (NUMBER, NAME, NAME+NUMBER or NAME-NUMBER), ok or errno ENAME" },
	[RME_TRACE_OP_MUNMAP] = { parse_range, BIND_NEVER, RME_TRACE_SLOT_NONE,
		LIBC_RESULTS, 0, "0, ok or errno ENAME" },
	[RME_TRACE_OP_MPROTECT] = { parse_range, BIND_NEVER, RME_TRACE_SLOT_NONE,
		LIBC_RESULTS, 0, "0, ok or errno ENAME" },
	[RME_TRACE_OP_MREMAP] = { parse_mremap, BIND_OPTIONAL, RME_TRACE_SLOT_ADDRESS,
		LIBC_RESULTS, UINT64_MAX,
		"an address (NUMBER, NAME, NAME+NUMBER or NAME-NUMBER), ok or errno ENAME" },
	[RME_TRACE_OP_MADVISE] = { parse_range, BIND_NEVER, RME_TRACE_SLOT_NONE,
		LIBC_RESULTS, 0, "0, ok or errno ENAME" },
	[RME_TRACE_OP_MSYNC] = { parse_range, BIND_NEVER, RME_TRACE_SLOT_NONE,
		LIBC_RESULTS, 0, "0, ok or errno ENAME" },
	[RME_TRACE_OP_MLOCK] = { parse_range, BIND_NEVER, RME_TRACE_SLOT_NONE,
		LIBC_RESULTS, 0, "0, ok or errno ENAME" },
	[RME_TRACE_OP_MUNLOCK] = { parse_range, BIND_NEVER, RME_TRACE_SLOT_NONE,
		LIBC_RESULTS, 0, "0, ok or errno ENAME" },
	[RME_TRACE_OP_MLOCKALL] = { parse_mlockall, BIND_NEVER, RME_TRACE_SLOT_NONE,
		LIBC_RESULTS, 0, "0, ok or errno ENAME" },
	[RME_TRACE_OP_MUNLOCKALL] = { parse_no_args, BIND_NEVER, RME_TRACE_SLOT_NONE,
		LIBC_RESULTS, 0, "0, ok or errno ENAME" },
	/* Checks take no "->": a zero result set. */
	[RME_TRACE_OP_EXPECT_QUOTA] = { parse_expect_quota, BIND_NEVER, RME_TRACE_SLOT_NONE,
		0, 0, "" },
	[RME_TRACE_OP_EXPECT_LEAK_FREE] = { parse_no_args, BIND_NEVER, RME_TRACE_SLOT_NONE,
		0, 0, "" },
	[RME_TRACE_OP_EXPECT_MAPPINGS] = { parse_count_op, BIND_NEVER, RME_TRACE_SLOT_NONE,
		0, 0, "" },
};

/* ---- Results ------------------------------------------------------------- */

/* The result form that tok starts; FAULT and UNHANDLED include the bare ones. */
static int
classify_result(const token_t *tok, rme_trace_result_kind_t *kind)
{
	if (token_is(tok, "ok"))
		*kind = RME_TRACE_RESULT_OK;
	else if (tok->len && is_digit(tok->text[0]))
		*kind = RME_TRACE_RESULT_VALUE;
	else if (token_is(tok, "error"))
		*kind = RME_TRACE_RESULT_ERROR;
	else if (token_is(tok, "errno"))
		*kind = RME_TRACE_RESULT_ERRNO;
	else if (token_is(tok, "fault"))
		*kind = RME_TRACE_RESULT_FAULT;
	else if (token_is(tok, "unhandled"))
		*kind = RME_TRACE_RESULT_UNHANDLED;
	else if (find_keyword(rme__trace_fault_type_names, 4, tok) >= 0)
		*kind = RME_TRACE_RESULT_FAULT_STATE;
	else
		return 0;
	return 1;
}

static rme_err_t
error_unfit_result(parser_t *p, const rme_trace_op_t *op, const token_t *tok)
{
	trace_sink_t msg;

	error_at(p, &msg, tok);
	rme__sink_str(&msg, "expected a result of ");
	rme__sink_str(&msg, rme_trace_op_name(op->kind));
	rme__sink_str(&msg, " (");
	rme__sink_str(&msg, op_specs[op->kind].results_text);
	rme__sink_str(&msg, "), ");
	sink_found(&msg, tok);
	return error_end(&msg);
}

/* RM TYPE ADDR of a fault or unhandled result; without them, the bare form. */
static rme_err_t
fault_result(parser_t *p, rme_trace_result_t *r, rme_trace_result_kind_t bare)
{
	token_t tok;
	rme_err_t rc;

	if (!peek_token(p).len) {
		r->kind = bare;
		return RME_OK;
	}
	if ((rc = slot_arg(p, RME_TRACE_SLOT_REGION_MAP, &r->rm_slot)))
		return rc;
	tok = next_token(p);
	if ((rc = fault_type_value(p, &tok, &r->fault_type)))
		return rc;
	tok = next_token(p);
	return number_value(p, &tok, 0, "an address", &r->addr);
}

/*
 * An address result written relative to a bound name (NAME, NAME+NUMBER,
 * NAME-NUMBER), where the operation gives an address; 0 if tok is none,
 * so that a misspelt keyword still gets the list of the results that fit.
 */
static int
relative_result(const parser_t *p, const op_spec_t *spec, const token_t *tok)
{
	uint32_t hash;
	size_t len = name_scan(tok->text, tok->len, &hash);

	return (spec->results & RESULT(VALUE)) && spec->value_max == UINT64_MAX && len &&
	       find_slot(p->trace, tok->text, len, hash) >= 0;
}

/* The optional "-> RESULT" at the end of an operation. */
static rme_err_t
parse_result(parser_t *p, rme_trace_op_t *op)
{
	const op_spec_t *spec = &op_specs[op->kind];
	rme_trace_result_t *r = &op->expected;
	token_t arrow = next_token(p), first, tok;
	rme_err_t rc = RME_OK;

	if (!arrow.len)
		return RME_OK;
	if (!spec->results || !token_is(&arrow, "->"))
		return error_expected(p, &arrow, spec->results ? "\"->\" or end of line"
		                                               : "end of line");
	first = next_token(p);
	if (!first.len)
		return error_expected(p, &first, "a result after \"->\"");
	if (!classify_result(&first, &r->kind) && relative_result(p, spec, &first)) {
		r->kind = RME_TRACE_RESULT_VALUE;
		r->relative = 1;
		if ((rc = address_value(p, &first, &r->expr)))
			return rc;
		return expect_end_of_line(p);
	}
	if (!classify_result(&first, &r->kind) || !(spec->results & (1u << r->kind)))
		return error_unfit_result(p, op, &first);
	switch (r->kind) {
	case RME_TRACE_RESULT_VALUE:
		if (scan_number(first.text, first.len, 0, &r->value) != NUMBER_OK ||
		    r->value > spec->value_max)
			return error_unfit_result(p, op, &first);
		break;
	case RME_TRACE_RESULT_ERROR:
		tok = next_token(p);
		rc = error_name_value(p, &tok, &r->error);
		break;
	case RME_TRACE_RESULT_ERRNO:
		tok = next_token(p);
		rc = errno_value(p, &tok, r);
		break;
	case RME_TRACE_RESULT_FAULT:
		rc = fault_result(p, r, RME_TRACE_RESULT_FAULT_ANY);
		break;
	case RME_TRACE_RESULT_UNHANDLED:
		rc = fault_result(p, r, RME_TRACE_RESULT_UNHANDLED_ANY);
		break;
	case RME_TRACE_RESULT_FAULT_STATE:
		r->fault_type = (rme_fault_type_t)find_keyword(rme__trace_fault_type_names, 4, &first);
		if (r->fault_type != RME_FAULT_NONE) {
			tok = next_token(p);
			rc = number_value(p, &tok, 0, "an address", &r->addr);
		}
		break;
	default:
		break;
	}
	return rc ? rc : expect_end_of_line(p);
}

static rme_trace_op_t *
new_op(parser_t *p)
{
	rme_trace_t *t = p->trace;
	size_t chunks = t->op_count / TRACE_OPS_PER_CHUNK;
	rme_trace_op_t *op;

	if (t->op_count % TRACE_OPS_PER_CHUNK == 0) {
		rme_trace_op_t **table = grow_array(t, t->op_chunks, &t->op_chunk_capacity,
		                                    chunks, sizeof *table);

		if (!table)
			return NULL;
		t->op_chunks = table;
		table[chunks] = trace_alloc(t, TRACE_OPS_PER_CHUNK * sizeof *op);
		if (!table[chunks])
			return NULL;
	}
	op = trace_op_at(t, t->op_count++);
	/* Zeroed first, padding included, so that parsed ops compare with memcmp. */
	memset(op, 0, sizeof *op);
	op->bind_slot = -1;
	op->line = p->line;
	return op;
}

static rme_err_t
parse_op(parser_t *p, rme_trace_op_kind_t kind, const token_t *name, uint32_t name_hash,
         const token_t *keyword)
{
	const op_spec_t *spec = &op_specs[kind];
	rme_trace_op_t *op;
	rme_err_t rc;

	if (name && spec->bind == BIND_NEVER)
		return error_expected(p, keyword, "an operation that yields a value after \"=\"");
	if (!name && spec->bind == BIND_REQUIRED)
		return error_about(p, keyword, "expected \"NAME =\" before ", "");
	op = new_op(p);
	if (!op)
		return error_no_memory(p);
	op->kind = kind;
	if (!p->first_op_line)
		p->first_op_line = p->line;
	if ((rc = spec->parse_args(p, op)) || (rc = parse_result(p, op)))
		return rc;
	return name ? bind_name(p, name, name_hash, spec->binds, &op->bind_slot) : RME_OK;
}

/* ---- Directives ---------------------------------------------------------- */

/* NN.NN, stored as YYMM like rme_model_config_t's genode_release. */
/* The releases the model knows (RME_GENODE_OLDEST to _NEWEST, rmemu/model.h), in words. */
#define RELEASES_EXPECTED "a Genode release from 20.05 to 26.02 (YY.02, YY.05, YY.08 or YY.11)"

static rme_err_t
genode_release_value(parser_t *p, const token_t *tok, unsigned *out)
{
	const char *s = tok->text;

	unsigned release;

	if (tok->len != 5 || !is_digit(s[0]) || !is_digit(s[1]) || s[2] != '.' ||
	    !is_digit(s[3]) || !is_digit(s[4]))
		return error_expected(p, tok, RELEASES_EXPECTED);
	release = (unsigned)((s[0] - '0') * 1000 + (s[1] - '0') * 100 +
	                     (s[3] - '0') * 10 + (s[4] - '0'));
	/* Genode is released every February, May, August and November */
	if (release < RME_GENODE_OLDEST || release > RME_GENODE_NEWEST ||
	    (release % 100 != 2 && release % 100 != 5 && release % 100 != 8 && release % 100 != 11))
		return error_expected(p, tok, RELEASES_EXPECTED);
	*out = release;
	return RME_OK;
}

static rme_err_t
kernel_value(parser_t *p, const token_t *tok, rme_kernel_t *out)
{
	char name[ENUM_NAME_MAX];

	if (token_to_cstr(tok, name, sizeof name) && rme_kernel_from_name(name, out) == 0)
		return RME_OK;
	return error_expected(p, tok, "a kernel (hw, nova, sel4, foc, okl4 or linux)");
}

static rme_err_t
arch_value(parser_t *p, const token_t *tok, rme_arch_t *out)
{
	char name[ENUM_NAME_MAX];

	if (token_to_cstr(tok, name, sizeof name) && rme_arch_from_name(name, out) == 0)
		return RME_OK;
	return error_expected(p, tok, "an architecture (x86_64, x86_32, arm_v8a or arm_v7a)");
}

static rme_err_t
parse_mmap_area(parser_t *p, rme_trace_directives_t *d)
{
	token_t tok = next_token(p), size;
	rme_err_t rc = number_value(p, &tok, 0, "an address", &d->mmap_area_base);

	if (rc)
		return rc;
	size = next_token(p);
	if ((rc = size_value(p, &size, &d->mmap_area_size)))
		return rc;
	if (d->mmap_area_size > UINT64_MAX - d->mmap_area_base) {
		trace_sink_t msg;

		error_at(p, &msg, &size);
		rme__sink_str(&msg, "the mmap-area [");
		rme__sink_hex(&msg, d->mmap_area_base, 1);
		rme__sink_str(&msg, ", +");
		rme__sink_hex(&msg, d->mmap_area_size, 1);
		rme__sink_str(&msg, ") wraps around the end of the address space");
		return error_end(&msg);
	}
	/* Directives precede all bindings, so this is slot 1. */
	if (add_fixed_slot(p->trace, mmap_area_name, sizeof mmap_area_name - 1,
	             RME_TRACE_SLOT_REGION_MAP) != RME_TRACE_SLOT_MMAP_AREA)
		return error_no_memory(p);
	d->has_mmap_area = 1;
	return RME_OK;
}

/* A policy name: a name that may also have hyphens inside ("genode-libc"). */
static int
is_policy_name(const token_t *tok)
{
	if (!tok->len || !is_name_start(tok->text[0]) || tok->text[tok->len - 1] == '-')
		return 0;
	for (size_t i = 1; i < tok->len; i++)
		if (!is_name_char(tok->text[i]) && tok->text[i] != '-')
			return 0;
	return 1;
}

static rme_err_t
parse_policy(parser_t *p, rme_trace_directives_t *d)
{
	token_t tok = next_token(p);
	char expected[200];
	trace_sink_t list;
	const char *name;
	int known = 0;

	for (size_t i = 0; (name = rme_mmap_policy_name(i)) != NULL; i++)
		known |= strlen(name) == tok.len && memcmp(name, tok.text, tok.len) == 0;
	if (!known || !is_policy_name(&tok)) {
		/* "an mmap policy (rmemu, ...)": the names there are */
		rme__sink_init_buffer(&list, expected, sizeof expected);
		rme__sink_str(&list, "an mmap policy (");
		for (size_t i = 0; (name = rme_mmap_policy_name(i)) != NULL; i++) {
			rme__sink_str(&list, i ? ", " : "");
			rme__sink_str(&list, name);
		}
		rme__sink_str(&list, ")");
		rme__sink_finish(&list);
		return error_expected(p, &tok, expected);
	}
	d->policy = arena_copy(p->trace, tok.text, tok.len);
	if (!d->policy)
		return error_no_memory(p);
	d->has_policy = 1;
	return RME_OK;
}

static rme_err_t
parse_directive(parser_t *p, trace_directive_t directive, const token_t *keyword)
{
	rme_trace_directives_t *d = &p->trace->directives;
	rme_trace_quota_t quota = { 0 };
	rme_err_t rc = RME_OK;
	token_t tok;

	if (p->first_op_line)
		return error_about_line(p, keyword, "directive ",
		                        " must come before the first operation",
		                        "line", p->first_op_line);
	if (p->directive_line[directive])
		return error_about_line(p, keyword, "duplicate directive ", "",
		                        "first on line", p->directive_line[directive]);
	p->directive_line[directive] = p->line;
	switch (directive) {
	case TRACE_DIRECTIVE_GENODE:
		tok = next_token(p);
		rc = genode_release_value(p, &tok, &d->genode_release);
		d->has_genode = 1;
		break;
	case TRACE_DIRECTIVE_KERNEL:
		tok = next_token(p);
		rc = kernel_value(p, &tok, &d->kernel);
		d->has_kernel = 1;
		break;
	case TRACE_DIRECTIVE_ARCH:
		tok = next_token(p);
		rc = arch_value(p, &tok, &d->arch);
		d->has_arch = 1;
		break;
	case TRACE_DIRECTIVE_QUOTA:
		rc = quota_parts(p, 0, &quota);
		d->has_ram_quota = quota.has_ram;
		d->ram_quota = quota.ram;
		d->has_cap_quota = quota.has_caps;
		d->cap_quota = quota.caps;
		break;
	case TRACE_DIRECTIVE_MMAP_AREA:
		rc = parse_mmap_area(p, d);
		break;
	case TRACE_DIRECTIVE_MAP_COUNT_MAX:
		tok = next_token(p);
		rc = count_value(p, &tok, &d->map_count_max);
		d->has_map_count_max = 1;
		break;
	case TRACE_DIRECTIVE_POLICY:
		rc = parse_policy(p, d);
		break;
	case TRACE_DIRECTIVE_COUNT:
		break;
	}
	return rc ? rc : expect_end_of_line(p);
}

/* ---- Lines --------------------------------------------------------------- */

static rme_err_t
parse_header(parser_t *p, const token_t *first)
{
	token_t version;

	if (!token_is(first, "rmemu-trace"))
		return error_expected(p, first, "the header \"rmemu-trace 1\"");
	version = next_token(p);
	if (!token_is(&version, "1"))
		return error_expected(p, &version, "trace format version 1");
	p->header_seen = 1;
	return expect_end_of_line(p);
}

/*
 * Whether the next token is "=" alone; if so it is taken. (The second
 * token of a line without a name is its first argument, scanned only once
 * this way.)
 */
static int
next_is_equals(parser_t *p)
{
	const char *c = p->cur;

	if (p->terminated) {
		while (is_blank(*c))
			c++;
		/* an '=' comes before the LF, so c[1] is there to read */
		if (*c != '=' || !ends_token[(unsigned char)c[1]])
			return 0;
		p->cur = c + 1;
		return 1;
	}
	while (c < p->end && is_blank(*c))
		c++;
	if (c == p->end || *c != '=' || (c + 1 < p->end && !is_blank(c[1])))
		return 0;
	p->cur = c + 1;
	return 1;
}

/* One line: blank, the header, a directive, or "[NAME =] OP ARGS [-> RESULT]". */
static rme_err_t
parse_line(parser_t *p)
{
	token_t first = next_token(p), name = first, keyword = first;
	int has_name = 0, kind, directive;
	uint32_t name_hash = 0;
	rme_err_t rc;

	if (!first.len)
		return RME_OK;
	if (!p->header_seen)
		return parse_header(p, &first);
	if (next_is_equals(p)) {
		has_name = 1;
		if ((rc = check_new_name(p, &name, &name_hash)))
			return rc;
		keyword = next_token(p);
	}
	kind = find_keyword(rme__trace_op_keywords, RME_TRACE_OP_COUNT_, &keyword);
	if (kind >= 0)
		return parse_op(p, (rme_trace_op_kind_t)kind, has_name ? &name : NULL, name_hash,
		                &keyword);
	directive = find_keyword(rme__trace_directive_keywords, TRACE_DIRECTIVE_COUNT, &keyword);
	if (has_name)
		return error_expected(p, &keyword, directive >= 0
		                      ? "an operation that yields a value after \"=\""
		                      : "an operation after \"=\"");
	if (directive >= 0)
		return parse_directive(p, (trace_directive_t)directive, &keyword);
	return error_expected(p, &keyword, "an operation or directive");
}

/* A line that ends in CR LF: say so, rather than what the CR does to its last token. */
static rme_err_t
error_crlf(parser_t *p, size_t col)
{
	trace_sink_t msg;

	error_begin(p, &msg, p->line, col);
	rme__sink_str(&msg, "a Windows line ending (CR LF); rmemu traces end their lines with LF alone");
	return error_end(&msg);
}

/*
 * A name index larger than this (in entries of 8 bytes: 4 MiB, twice the
 * L2 of the machine it was measured on) no longer stays in the caches,
 * and a new name's lookup waits for memory. Below it, looking ahead only
 * costs instructions (about 90 a line): at 2^18 entries, 110,000 names,
 * it made no difference in the time of rmemu check.
 */
enum { PREFETCH_INDEX_MIN = 1u << 19 };

#if defined(__GNUC__) || defined(__clang__)
#define TRACE_PREFETCH(addr) __builtin_prefetch(addr)
#else
#define TRACE_PREFETCH(addr) ((void)(addr))
#endif

/*
 * If the line at s (which ends with an LF) starts with "NAME =", ask for
 * the name's index entry now: the lookup, a line later, then finds it in
 * the cache instead of waiting for memory (most lines of a big trace bind
 * a new name, each in a random place of the index). Only a hint: nothing
 * is read from the index here.
 */
static void
prefetch_binding(const rme_trace_t *t, const char *s)
{
	uint32_t h = FNV_BASIS;

	while (is_blank(*s))
		s++;
	if (!is_name_start(*s))
		return;
	while (is_name_char(*s))
		h = (h ^ (unsigned char)*s++) * FNV_PRIME;
	while (is_blank(*s))
		s++;
	if (*s == '=')
		TRACE_PREFETCH(&t->index[h & (t->index_capacity - 1)]);
}

static rme_err_t
parse_text(parser_t *p, const char *text, size_t len)
{
	const char *pos = text, *text_end = text + len, *last_line = text_end;
	trace_sink_t msg;
	rme_err_t rc;

	/* Where the text's last LF is followed by bytes, they are an unterminated line. */
	while (last_line > text && last_line[-1] != '\n')
		last_line--;
	while (pos < text_end) {
		const char *line_end;

		if (p->trace->index_capacity >= PREFETCH_INDEX_MIN && pos < last_line) {
			/* the line after this one, for the name it may bind */
			const char *next = find_either(pos, last_line, '\n', '\n') + 1;

			if (next < last_line)
				prefetch_binding(p->trace, next);
		}
		p->line++;
		p->line_start = p->cur = pos;
		p->terminated = pos < last_line;
		if (!p->terminated)
			p->end = find_either(pos, text_end, '\n', '#');
		rc = parse_line(p);
		/*
		 * The line ends at the first LF after where its parse stopped
		 * (its content holds none). A line that ends in CR LF is said
		 * to, whatever its parse found.
		 */
		line_end = p->terminated ? find_either(p->cur, text_end, '\n', '\n') : text_end;
		if (line_end < text_end && line_end > pos && line_end[-1] == '\r')
			return error_crlf(p, (size_t)(line_end - 1 - pos) + 1);
		if (rc)
			return rc;
		pos = line_end < text_end ? line_end + 1 : text_end;
	}
	if (p->header_seen)
		return RME_OK;
	/* Point at the end of the text: after the last LF, or after the last byte. */
	if (!len || text[len - 1] == '\n')
		error_begin(p, &msg, p->line + 1, 1);
	else
		error_begin(p, &msg, p->line, (size_t)(text_end - p->line_start) + 1);
	rme__sink_str(&msg, "expected the header \"rmemu-trace 1\", found end of file");
	return error_end(&msg);
}

/* ---- The API ------------------------------------------------------------- */

rme_err_t
rme_trace_parse(const char *filename, const char *text, size_t len,
                const rme_allocator_t *alloc, rme_trace_t **out,
                rme_trace_error_t *err)
{
	rme_trace_error_t unused;
	parser_t p = {
		.filename = filename ? filename : "<trace>",
		.err = err ? err : &unused
	};
	trace_sink_t msg;
	rme_trace_t *t;
	rme_err_t rc;

	memset(p.err, 0, sizeof *p.err);
	if (out)
		*out = NULL;
	if (!alloc)
		alloc = rme_allocator_default();
	if (!out || (!text && len) || !alloc->alloc || !alloc->free) {
		error_begin(&p, &msg, 0, 0);
		rme__sink_str(&msg, "invalid arguments to rme_trace_parse");
		return error_end(&msg);
	}
	t = alloc->alloc(alloc->ctx, sizeof *t);
	if (!t)
		return error_no_memory(&p);
	memset(t, 0, sizeof *t);
	t->alloc = *alloc;
	p.trace = t;
	if (add_fixed_slot(t, env_name, sizeof env_name - 1, RME_TRACE_SLOT_REGION_MAP) !=
	    RME_TRACE_SLOT_ENV)
		rc = error_no_memory(&p);
	else
		rc = parse_text(&p, text ? text : "", len);
	if (rc) {
		rme_trace_free(t);
		return rc;
	}
	*out = t;
	return RME_OK;
}

void
rme_trace_free(rme_trace_t *t)
{
	trace_arena_block_t *block, *next;

	if (!t)
		return;
	for (size_t i = 0; i * TRACE_OPS_PER_CHUNK < t->op_count; i++)
		trace_release(t, t->op_chunks[i], TRACE_OPS_PER_CHUNK * sizeof **t->op_chunks);
	trace_release(t, t->op_chunks, t->op_chunk_capacity * sizeof *t->op_chunks);
	trace_release(t, t->slots, t->slot_capacity * sizeof *t->slots);
	trace_release(t, t->index, t->index_capacity * sizeof *t->index);
	for (block = t->arena; block; block = next) {
		next = block->next;
		trace_release(t, block, block->size);
	}
	/* The allocator lives in t: copy it out before t goes. */
	rme_allocator_t alloc = t->alloc;
	alloc.free(alloc.ctx, t, sizeof *t);
}

const rme_trace_directives_t *
rme_trace_directives(const rme_trace_t *t)
{
	return &t->directives;
}

size_t
rme_trace_op_count(const rme_trace_t *t)
{
	return t->op_count;
}

const rme_trace_op_t *
rme_trace_op(const rme_trace_t *t, size_t index)
{
	return index < t->op_count ? trace_op_at(t, index) : NULL;
}

rme_trace_result_t *
rme_trace_actual(rme_trace_t *t, size_t index)
{
	return index < t->op_count ? &trace_op_at(t, index)->actual : NULL;
}

size_t
rme_trace_slot_count(const rme_trace_t *t)
{
	return t->slot_count;
}

static const trace_slot_t *
slot_at(const rme_trace_t *t, int slot)
{
	return slot >= 0 && (size_t)slot < t->slot_count ? &t->slots[slot] : NULL;
}

rme_trace_slot_kind_t
rme_trace_slot_kind(const rme_trace_t *t, int slot)
{
	const trace_slot_t *s = slot_at(t, slot);

	return s ? s->kind : RME_TRACE_SLOT_NONE;
}

const char *
rme_trace_slot_name(const rme_trace_t *t, int slot)
{
	const trace_slot_t *s = slot_at(t, slot);

	return s ? s->name : NULL;
}

int
rme_trace_slot_find(const rme_trace_t *t, const char *name, size_t len)
{
	return name ? find_slot(t, name, len, hash_name(name, len)) : -1;
}

uint64_t
rme_trace_result_value(const rme_trace_result_t *r, const uint64_t *slot_values)
{
	return r->relative ? rme_trace_addr_eval(&r->expr, slot_values) : r->value;
}

uint64_t
rme_trace_addr_eval(const rme_trace_addr_t *addr, const uint64_t *slot_values)
{
	uint64_t base;

	if (addr->slot < 0)
		return addr->offset;
	base = slot_values[addr->slot];
	return addr->negative ? base - addr->offset : base + addr->offset;
}

rme_err_t
rme_trace_result_set_errno(rme_trace_result_t *r, const char *name)
{
	size_t len = 0;

	/* Bounded, so that a long string is not walked to its end. */
	while (len <= RME_TRACE_ERRNO_NAME_MAX && name[len])
		len++;
	if (!is_errno_name(name, len))
		return RME_ERR_INVALID_ARGUMENT;
	set_errno_name(r, name, len);
	return RME_OK;
}
