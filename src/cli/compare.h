/*
 * compare.h: what 'rmemu compare' measures of one policy on one trace (or
 * on all of them), shared by the command (compare.c) and its pictures
 * (compare_draw.c).
 */
#ifndef RMEMU_CLI_COMPARE_H
#define RMEMU_CLI_COMPARE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rmemu/rmemu.h>

enum { MAX_POLICIES = 3, MAX_ERRNOS = 16 };

/* What one policy did with one trace (or all of them: the total). */
struct figures {
	uint64_t ops, orphaned, failed, fixed_failed, hint_failed, hints_ignored, differ;
	uint64_t reference_linux;          /* of the compared results, how many Linux gave */
	char errno_name[MAX_ERRNOS][RME_TRACE_ERRNO_NAME_MAX + 1];
	uint64_t errno_count[MAX_ERRNOS];
	uint64_t cause_count[RME_MMAP_CAUSE_COUNT_];
	uint64_t accessible_after_munmap, shared_mappings, fresh_nonzero;
	uint64_t ram_end, caps_end, live_bytes_end, ram_peak, caps_peak, prot_none_ram;
	uint64_t metadata_in_app_ranges, metadata_in_app_ranges_peak, metadata_zeroed;
	uint64_t metadata_bytes_end;
	uint64_t *ram_after_munmap;        /* RAM in use after each munmap */
	size_t munmaps, munmaps_cap;
	int valid;
};

/* The scalar figures, in the order the table, the JSON and the page give them. */
#define FIGURES(X) \
	X(ops, "libc-level operations") \
	X(orphaned, "left out: they depend on a failed one") \
	X(failed, "failed") \
	X(fixed_failed, "  of them mmap at a fixed address") \
	X(hint_failed, "  of them mmap with a hint") \
	X(differ, "results that differ from Linux's") \
	X(reference_linux, "  compared with Linux itself") \
	X(hints_ignored, "hints not honoured (mapped elsewhere)") \
	X(accessible_after_munmap, "bytes still accessible after munmap") \
	X(shared_mappings, "mappings given pages a live one holds") \
	X(fresh_nonzero, "non-zero bytes in fresh anonymous memory") \
	X(ram_end, "RAM in use at the end") \
	X(caps_end, "capabilities in use at the end") \
	X(live_bytes_end, "bytes still mapped at the end") \
	X(ram_peak, "peak RAM") \
	X(caps_peak, "peak capabilities") \
	X(prot_none_ram, "RAM charged for PROT_NONE mappings") \
	X(metadata_in_app_ranges, "libc metadata in mapped ranges, end") \
	X(metadata_in_app_ranges_peak, "libc metadata in mapped ranges, peak") \
	X(metadata_zeroed, "libc metadata overwritten by zero-fill") \
	X(metadata_bytes_end, "libc metadata in the address space, end")

/*
 * The picture of the figures: per trace (names[t], figs[t]) and over all
 * (total), for each policy a bar of its failures by cause and a line of
 * the RAM it held after each munmap. html: a self-contained page with the
 * picture, the table over all traces and details on hover; else one SVG.
 * Returns the number of bars and lines drawn, or -1 when writing failed.
 */
long compare_draw(FILE *out, int html, const char *const names[], int ntraces,
                  struct figures (*figs)[MAX_POLICIES], const struct figures total[],
                  const char *const pol[], int np);

#endif
