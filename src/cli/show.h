/*
 * show.h: what the parts of 'rmemu show' share.
 *
 * show_history.c replays the trace and keeps everything that was ever in
 * the address space as an item with a lifetime: a region of a region map,
 * a piece of an mmap mapping, a queued faulter, each born at one step and
 * dead from a later one (step s is the state after s operations, step 0
 * the state before the first). The state at any step is then the items
 * alive at it, which is how the SVG is drawn and how the HTML page
 * rebuilds any line. show_scale.c makes the address axis, show_svg.c and
 * show_html.c the two outputs; show_cmd.c is the command.
 */
#ifndef RMEMU_CLI_SHOW_H
#define RMEMU_CLI_SHOW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rmemu/rmemu.h>

#include "progress.h"

#define SH_ALIVE UINT32_MAX
#define SH_NONE UINT32_MAX
enum { SH_PAGE = 4096, SH_MAX_DEPTH = 6 };

typedef enum { SH_REGION, SH_PIECE, SH_FAULTER } sh_kind_t;

/* Rights and protections as bits. */
enum { SH_R = 1, SH_W = 2, SH_X = 4 };

typedef struct sh_item {
	uint64_t start, size;       /* region: in its map; piece: in env; faulter: address, size 0 */
	uint64_t offset;            /* region: into its dataspace; piece: the file offset */
	uint64_t chunk_offset;      /* piece: into its chunk */
	uint32_t ds;                /* region: its dataspace, piece: its chunk (index in ds[]), or SH_NONE */
	uint32_t track;
	uint32_t born, died;        /* steps; died is SH_ALIVE while it lives */
	uint32_t left, right, prio; /* the track's treap of live items (regions and pieces) */
	uint16_t flags;             /* piece: RME_MAP_SHARED, _ANONYMOUS, _NORESERVE ... (low 16 bits) */
	uint8_t kind;               /* sh_kind_t */
	uint8_t rights;             /* SH_R|W|X; faulter: rme_fault_type_t */
	uint8_t reserved;           /* region: its dataspace is gone */
	uint8_t vma_start;          /* piece: a VMA begins here */
} sh_item_t;

typedef enum { SH_TRACK_RM, SH_TRACK_PIECES } sh_track_kind_t;

typedef struct sh_track {
	sh_track_kind_t kind;
	rme_cap_t cap;              /* the region map (0 for the pieces) */
	uint64_t base, size;        /* the range it covers */
	char name[48];
	uint32_t born, died;
	uint32_t root;              /* treap of live regions or pieces */
	uint32_t *faulters;         /* live faulters, oldest first (item indices) */
	size_t nfaulters, faulters_cap;
	int handler;                /* a fault handler was installed: faulters can queue */
	int is_env, is_area;
} sh_track_t;

typedef enum { SH_DS_RAM, SH_DS_ROM, SH_DS_MANAGED, SH_DS_CHUNK, SH_DS_LAYOUT } sh_ds_kind_t;

typedef struct sh_ds {
	rme_cap_t cap;
	sh_ds_kind_t kind;
	uint64_t size;
	uint32_t track;             /* a managed dataspace's region map, else SH_NONE */
	uint32_t born;              /* the step it was first seen at */
	char name[48];
} sh_ds_t;

typedef struct sh_quota {
	uint64_t ram, caps;         /* in use */
	uint64_t rm_ram, rm_caps;   /* donated to the RM session */
} sh_quota_t;

/* One small hash map from capabilities to indices. */
typedef struct sh_capmap {
	uint64_t *keys;
	uint32_t *vals;
	size_t cap, n;
} sh_capmap_t;

typedef struct sh_history {
	const rme_trace_t *trace;
	const char *path;
	size_t steps;               /* operations + 1 */
	uint32_t *line;             /* of each step: its operation's line (0 for step 0) */
	sh_quota_t *quota;          /* of each step */
	uint64_t ram_quota, cap_quota;
	int wide;                   /* a 64-bit architecture */
	const char *kernel, *arch;

	sh_item_t *items;
	size_t nitems, items_cap;
	sh_track_t *tracks;
	size_t ntracks, tracks_cap;
	sh_ds_t *ds;
	size_t nds, ds_cap;
	sh_capmap_t track_of, ds_of;
	uint32_t pieces;            /* the track of the mmap pieces, or SH_NONE */
	uint32_t area;              /* the mmap area's region map, or SH_NONE */
	uint64_t area_base;

	/* while replaying */
	rme_model_t *model;
	rme_mmap_t *mmap;
	uint32_t step;
	uint64_t rng;
	int verify;                 /* compare everything after every operation (tests) */
	size_t verify_misses;
	size_t divergences;
	cli_progress_t progress;
	uint32_t *pending;          /* tracks still to be looked at whole */
	size_t npending, pending_cap;
	size_t changes;             /* births and deaths so far: --verify counts misses by them */
	/* after the replay: the items of each track, in order of birth */
	uint32_t *by_track, *track_first;   /* track t's are by_track[track_first[t] .. track_first[t+1]) */
	/* scratch of the diffs */
	sh_item_t *now;
	size_t nnow, now_cap;
	uint32_t *was;
	size_t nwas, was_cap;
} sh_history_t;

/* Replay the trace, recording its history; 0, or -1 with a message printed. */
int sh_record(sh_history_t *h, rme_trace_t *trace, const char *path, int verify, int quiet);
void sh_history_free(sh_history_t *h);

/* The step after the last operation at or before line (0: before the first). */
uint32_t sh_step_at_line(const sh_history_t *h, uint64_t line);

static inline int
sh_alive(const sh_item_t *it, uint32_t step)
{
	return it->born <= step && step < it->died;
}

/* ---- show_scale.c: the address axis ----------------------------------------- */

/* Where a region map's addresses appear in env: rm address a is at a + shift, within [lo, hi). */
typedef struct sh_window {
	uint64_t lo, hi;
	uint64_t shift;             /* added modulo 2^64 */
	uint32_t track;
	unsigned depth;
} sh_window_t;

/*
 * The axis: a piecewise linear map from addresses to x, through points
 * (addr[i], x[i]); a broken stretch is one where nothing ever lay, drawn
 * narrow and marked.
 */
typedef struct sh_scale {
	uint64_t *addr;
	double *x;
	unsigned char *broken;      /* of the stretch from point i to i+1 */
	size_t n;
	uint64_t top;               /* the end of the axis: 2^47 or 2^32 */
	double width;
	unsigned depth;             /* the deepest nesting that ever shows */
} sh_scale_t;

void sh_scale_make(const sh_history_t *h, double width, sh_scale_t *out);
void sh_scale_free(sh_scale_t *s);
double sh_scale_x(const sh_scale_t *s, uint64_t addr);

/*
 * The windows at a step: env's, then each nested map's inside the region
 * of its parent that attaches it, as deep as they go (SH_MAX_DEPTH);
 * step SH_ALIVE gives every window there ever was. Returns how many; the
 * caller frees *out.
 */
size_t sh_windows(const sh_history_t *h, uint32_t step, sh_window_t **out);

/* ---- the scene both outputs draw ---------------------------------------------- */

/* The colour a region or piece is drawn in, and whether it is hatched. */
const char *sh_region_fill(const sh_history_t *h, const sh_item_t *it);
const char *sh_piece_fill(const sh_item_t *it);
void sh_rights_text(unsigned rights, char out[4]);

/* Writes the SVG of the state at step; returns the number of regions, pieces and faulters drawn. */
size_t sh_write_svg(FILE *out, const sh_history_t *h, const sh_scale_t *s, uint32_t step);

/* Writes the self-contained HTML page; 0 or -1. */
int sh_write_html(FILE *out, const sh_history_t *h, const sh_scale_t *s, uint32_t step,
                  const char *source, size_t source_len);

#endif
