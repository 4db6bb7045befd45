/*
 * pagemap.h: page ranges of an address space and the mapping attributes
 * each one has, kept the way Linux keeps its VMAs: mapping over a range
 * replaces what was there, unmapping and mprotect split pieces at their
 * edges, mremap moves them.
 *
 * Two users share it so that they count alike: import-strace follows a
 * recorded process's address space with it (in Linux addresses), and
 * stats follows a trace's (in the trace's addresses). Each piece carries
 * a tag that only its user interprets.
 *
 * A balanced tree (a treap with parent links, deterministic priorities)
 * whose every subtree knows its lowest start, highest end, largest gap
 * between its pieces and the tags it holds: finding, changing, the highest
 * gap and the extreme piece of a tag are O(log n), so that following a
 * trace of n operations costs O(n log n), as its replay does (issue 19:
 * stats was quadratic with a sorted array at 10^5 live pieces).
 * Ranges are page-aligned, [start, end) with start < end; callers round.
 */
#ifndef RMEMU_CLI_PAGEMAP_H
#define RMEMU_CLI_PAGEMAP_H

#include <stddef.h>
#include <stdint.h>

#include <rmemu/trace.h>

#define PM_PAGE ((uint64_t)4096)

/* A flag beyond the RME_TRACE_MAP_* ones: charged as private writable memory (VM_ACCOUNT). */
#define PM_ACCOUNT (1u << 16)
/* Locked (RME_TRACE_MAP_LOCKED, Linux's VM_LOCKED), and only on fault (VM_LOCKONFAULT). */
#define PM_LOCKED RME_TRACE_MAP_LOCKED
#define PM_LOCKONFAULT (1u << 17)
#define PM_LOCK_MASK (PM_LOCKED | PM_LOCKONFAULT)
/* The object of a file mapping is PM_OBJ_FILE | its descriptor. */
#define PM_OBJ_FILE ((uint64_t)1 << 32)

typedef struct pm_attr {
	unsigned prot;      /* RME_TRACE_RIGHT_* */
	unsigned flags;     /* pm_mapping_flags(): what tells VMAs apart besides prot */
	/*
	 * What is mapped: 0 for private anonymous memory, PM_OBJ_FILE | fd for
	 * a file, any other value for one shared anonymous object.
	 */
	uint64_t obj;
	/*
	 * The offset in obj at the piece's start; for private anonymous memory
	 * the address it was mapped at, as Linux's vm_pgoff, which mremap
	 * keeps: moved memory does not merge with its new neighbours.
	 */
	uint64_t off;
	int tag;            /* the user's label, never looked at here */
} pm_attr_t;

typedef struct pm_piece {
	uint64_t start, end;
	pm_attr_t attr;
} pm_piece_t;

/* Figures of the whole map at one moment. */
typedef struct pm_totals {
	uint64_t mapped;    /* bytes in mappings, reservations included */
	uint64_t committed; /* bytes in mappings that are not PROT_NONE */
	size_t mappings;    /* mappings as Linux counts VMAs: compatible neighbours are one */
} pm_totals_t;

struct pm_node;

typedef struct pagemap {
	struct pm_node *root; /* n pieces in address order, never overlapping */
	size_t n;
	pm_totals_t totals; /* kept up to date by every change */
	uint64_t rng;       /* the next node's priority comes from here */
} pagemap_t;

/* Nodes the searches have visited, in all maps: for tests of their cost. */
extern uint64_t pm_search_steps;

/*
 * The flags a new mapping's pieces keep, from the trace's RME_TRACE_MAP_*
 * and rights: those Linux tells VMAs apart by, and PM_ACCOUNT where Linux
 * charges the mapping (private, writable, not noreserve).
 */
unsigned pm_mapping_flags(unsigned trace_flags, unsigned prot);

/* Round up to whole pages; saturates at the last page instead of wrapping. */
uint64_t pm_round_up(uint64_t n);

void pm_init(pagemap_t *pm);
void pm_fini(pagemap_t *pm);
/* dst (initialised or not) becomes a copy of src. */
void pm_copy(pagemap_t *dst, const pagemap_t *src);

/* The first piece that ends after addr, or NULL. */
const pm_piece_t *pm_first_after(const pagemap_t *pm, uint64_t addr);
/* The piece after p, or before it, in address order; NULL at the end. */
const pm_piece_t *pm_next(const pm_piece_t *p);
const pm_piece_t *pm_prev(const pm_piece_t *p);
/* The i-th piece (O(i); for tests), or NULL. */
const pm_piece_t *pm_at(const pagemap_t *pm, size_t i);
/*
 * The highest, or the lowest, piece that lies wholly in [lo, hi) and has
 * the tag (0 to 31), or NULL.
 */
const pm_piece_t *pm_last_tagged(const pagemap_t *pm, uint64_t lo, uint64_t hi, int tag);
const pm_piece_t *pm_first_tagged(const pagemap_t *pm, uint64_t lo, uint64_t hi, int tag);
/* The piece that contains addr, or NULL. */
const pm_piece_t *pm_find(const pagemap_t *pm, uint64_t addr);
/* Whether no piece overlaps [start, end). */
int pm_is_free(const pagemap_t *pm, uint64_t start, uint64_t end);

/*
 * The highest free range of len bytes in [lo, hi), as the mmap layer and
 * Linux place a mapping without a usable hint (top-down, first fit).
 * Returns 0 with its start in *out, or -1 if there is none.
 */
int pm_highest_gap(const pagemap_t *pm, uint64_t lo, uint64_t hi, uint64_t len, uint64_t *out);

/* Map [start, end) with attr, replacing whatever was there (MAP_FIXED). */
void pm_map(pagemap_t *pm, uint64_t start, uint64_t end, const pm_attr_t *attr);
/* Remove whatever is in [start, end). */
void pm_unmap(pagemap_t *pm, uint64_t start, uint64_t end);
/*
 * Give the mapped parts of [start, end) the protection prot; private
 * memory that becomes writable is charged (PM_ACCOUNT), and stays so.
 */
void pm_protect(pagemap_t *pm, uint64_t start, uint64_t end, unsigned prot);
/*
 * Give the mapped parts of [start, end) the lock flags lock (PM_LOCKED,
 * with PM_LOCKONFAULT, or 0 to unlock), as mlock, munlock and mlockall do;
 * start = 0, end = UINT64_MAX for every mapping.
 */
void pm_lock(pagemap_t *pm, uint64_t start, uint64_t end, unsigned lock);
/* Give the mapped parts of [start, end) the tag. */
void pm_retag(pagemap_t *pm, uint64_t start, uint64_t end, int tag);
/*
 * mremap: the pieces of [old_start, old_end) move to new_start, keeping
 * their attributes; a shrink drops the tail, a growth extends the last
 * piece (as Linux extends the last VMA). The old range is unmapped, and
 * so is whatever was in the new one.
 */
void pm_remap(pagemap_t *pm, uint64_t old_start, uint64_t old_end,
              uint64_t new_start, uint64_t new_end);

/* Whether b continues a as one VMA: adjacent, and nothing tells them apart. */
int pm_continues(const pm_piece_t *a, const pm_piece_t *b);

/* The figures now; constant time (stats asks after every operation). */
void pm_totals(const pagemap_t *pm, pm_totals_t *out);

#endif
