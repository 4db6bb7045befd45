/*
 * show_svg.c: the picture of the state at one step, as SVG (rmemu show -o
 * FILE.svg). The HTML page (show_page.html) draws the same picture in the
 * browser from the history; the two follow one plan:
 *
 *   - a row for env, with the kernel's reserved ranges hatched;
 *   - a row per depth of nesting, each nested region map drawn inside the
 *     region of its parent that attaches it (its free space pale), with
 *     its regions and its blocked faulters (red marks);
 *   - a row of the mmap layer's pieces coloured by protection, PROT_NONE
 *     hatched, a dark edge where a VMA begins; the chunks behind them are
 *     the regions of the mmap area's row above;
 *   - the quota over the whole trace (RAM, capabilities, and what the RM
 *     session was given), with the current line marked.
 *
 * Whatever is narrower than a pixel and a half is drawn together with its
 * neighbours as one mark that says how many it stands for (data-n), so
 * that 10^5 mappings make a picture of a few thousand elements.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "show.h"
#include "show_layout.h"
#include "xml_text.h"
#include "xalloc.h"

/* ---- Shared by both outputs ----------------------------------------------------------- */

const char *
sh_region_fill(const sh_history_t *h, const sh_item_t *it)
{
	const sh_ds_t *ds;

	if (it->reserved || it->ds == SH_NONE)
		return "url(#hatch-red)";
	ds = &h->ds[it->ds];
	switch (ds->kind) {
	case SH_DS_LAYOUT: return "#c9c3bd";
	case SH_DS_MANAGED: return ds->name[0] && strcmp(ds->name, "stack area") && strcmp(ds->name, "linker area")
	                           ? "#f6c58f" : "#c9c3bd";
	case SH_DS_ROM: return "#b07aa1";
	case SH_DS_CHUNK: return it->ds & 1 ? "#59a14f" : "#8cd17d";
	case SH_DS_RAM: break;
	}
	return it->rights & SH_W ? "#4e79a7" : "#8fb0d6";
}

const char *
sh_piece_fill(const sh_item_t *it)
{
	switch (it->rights & 7) {
	case 0: return "url(#hatch-grey)";
	case SH_R: return "#8cd17d";
	case SH_R | SH_W: return "#4e79a7";
	case SH_R | SH_X: return "#f28e2b";
	case SH_R | SH_W | SH_X: return "#e15759";
	default: return "#9c755f";
	}
}

void
sh_rights_text(unsigned rights, char out[4])
{
	out[0] = rights & SH_R ? 'r' : '-';
	out[1] = rights & SH_W ? 'w' : '-';
	out[2] = rights & SH_X ? 'x' : '-';
	out[3] = 0;
}

/* ---- Writing ------------------------------------------------------------------------------ */

/* A mark waiting to be drawn: one item, or several narrow ones together. */
struct mark {
	double x0, x1;
	const sh_item_t *first;
	size_t n, vmas;
	uint64_t lo, hi, bytes;         /* in env */
	uint64_t shift;
};

struct row {
	FILE *out;
	const sh_history_t *h;
	double y, height;
	size_t drawn;
	struct mark agg;
};

static const char *
kind_class(const sh_item_t *it)
{
	return it->kind == SH_PIECE ? "piece" : it->kind == SH_FAULTER ? "faulter" : "region";
}

static void
title_of(FILE *out, const sh_history_t *h, const struct mark *m)
{
	const sh_item_t *it = m->first;
	char size[32], rights[4];

	fputs("<title>", out);
	if (m->n > 1) {
		cli_size_text(m->bytes, size, sizeof(size));
		fprintf(out, "%zu %ss at 0x%" PRIx64 "-0x%" PRIx64 ", %s in all", m->n, kind_class(it),
		        m->lo, m->hi, size);
	} else if (it->kind == SH_FAULTER) {
		fprintf(out, "a faulter blocked at 0x%" PRIx64 " of ", it->start);
		cli_xml_escaped(out, h->tracks[it->track].name);
		fprintf(out, " (%s), since line %" PRIu32, it->rights == RME_FAULT_WRITE ? "write"
		        : it->rights == RME_FAULT_EXEC ? "exec" : "read", h->line[it->born]);
	} else {
		cli_size_text(it->size, size, sizeof(size));
		sh_rights_text(it->rights, rights);
		cli_xml_escaped(out, h->tracks[it->track].name);
		fprintf(out, ": 0x%" PRIx64 "-0x%" PRIx64 " (%s), %s", it->start, it->start + it->size,
		        size, rights);
		if (it->kind == SH_REGION && m->shift)
			fprintf(out, ", at 0x%" PRIx64 " in env", m->lo);
		if (it->kind == SH_REGION)
			fprintf(out, ", offset 0x%" PRIx64, it->offset);
		if (it->reserved) {
			fputs(", reserved: its dataspace is gone", out);
		} else if (it->ds != SH_NONE) {
			fputs(it->kind == SH_PIECE ? ", chunk " : ", dataspace ", out);
			cli_xml_escaped(out, h->ds[it->ds].name);
			if (it->kind == SH_PIECE)
				fprintf(out, " at 0x%" PRIx64, it->chunk_offset);
		}
		if (it->born)
			fprintf(out, ", made by line %" PRIu32, h->line[it->born]);
		else
			fputs(", there from the start", out);
	}
	fputs("</title>", out);
}

static void
draw_mark(struct row *r, const struct mark *m)
{
	FILE *out = r->out;
	const sh_item_t *it = m->first;
	double w = m->x1 - m->x0 < 1 ? 1 : m->x1 - m->x0;

	if (!m->n)
		return;
	if (it->kind == SH_FAULTER) {
		double x = SHOW_LEFT + m->x0, y = r->y + r->height;
		fprintf(out, "<path class=\"faulter\" data-n=\"%zu\" d=\"M%.1f %.1fl-5 8h10z\" "
		        "fill=\"#d62728\" stroke=\"#fff\" stroke-width=\"0.5\">", m->n, x, y - 8);
	} else {
		fprintf(out, "<rect class=\"%s%s\" data-n=\"%zu\"", kind_class(it), m->n > 1 ? " agg" : "", m->n);
		if (it->kind == SH_PIECE)
			fprintf(out, " data-vmas=\"%zu\"", m->vmas);
		fprintf(out, " x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\" "
		        "stroke=\"#333\" stroke-width=\"0.4\">", SHOW_LEFT + m->x0, r->y + 2, w, r->height - 4,
		        it->kind == SH_PIECE ? sh_piece_fill(it) : sh_region_fill(r->h, it));
	}
	title_of(out, r->h, m);
	fputs(it->kind == SH_FAULTER ? "</path>\n" : "</rect>\n", out);
	if (it->kind == SH_PIECE && m->vmas && m->n == 1 && it->vma_start)
		fprintf(out, "<line class=\"vma-edge\" x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" "
		        "stroke=\"#000\" stroke-width=\"1.2\"/>\n", SHOW_LEFT + m->x0, r->y, SHOW_LEFT + m->x0,
		        r->y + r->height);
	/* a label where it fits */
	if (m->n == 1 && w > 46 && it->kind == SH_REGION && it->ds != SH_NONE) {
		const sh_ds_t *ds = &r->h->ds[it->ds];
		const char *name = ds->track != SH_NONE ? r->h->tracks[ds->track].name : ds->name;
		size_t room = (size_t)(w / 6.2);
		char buf[64];

		snprintf(buf, sizeof(buf), "%.*s", (int)(room < sizeof(buf) - 1 ? room : sizeof(buf) - 1), name);
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"label\">", SHOW_LEFT + m->x0 + 3,
		        r->y + r->height / 2 + 4);
		cli_xml_escaped(out, buf);
		fputs("</text>\n", out);
	}
	r->drawn += m->n;
}

/* Add one item's mark to the row, drawing it at once when it is wide enough. */
static void
row_add(struct row *r, const sh_item_t *it, double x0, double x1, uint64_t lo, uint64_t hi, uint64_t shift)
{
	struct mark *a = &r->agg;
	int narrow = x1 - x0 < SHOW_MIN_MARK;

	if (a->n && (!narrow || x0 - a->x1 > 1.0 || a->x1 - a->x0 > SHOW_AGG_SPAN ||
	             a->first->kind != it->kind)) {
		draw_mark(r, a);
		a->n = 0;
	}
	if (!narrow) {
		struct mark m = { x0, x1, it, 1, it->vma_start, lo, hi, hi - lo, shift };
		draw_mark(r, &m);
		return;
	}
	if (!a->n) {
		*a = (struct mark){ x0, x1, it, 0, 0, lo, hi, 0, shift };
	}
	a->n++;
	a->vmas += it->vma_start;
	a->x1 = x1 > a->x1 ? x1 : a->x1;
	a->hi = hi;
	a->bytes += it->size;
}

static void
row_flush(struct row *r)
{
	draw_mark(r, &r->agg);
	r->agg.n = 0;
}

static int
cmp_item_start(const void *a, const void *b)
{
	const sh_item_t *x = *(const sh_item_t *const *)a, *y = *(const sh_item_t *const *)b;
	return (x->start > y->start) - (x->start < y->start);
}

/* The live items of track t at step, in address order. */
static size_t
live_items(const sh_history_t *h, uint32_t t, uint32_t step, int kind, const sh_item_t ***out)
{
	const sh_item_t **v = NULL;
	size_t n = 0, cap = 0;

	for (uint32_t j = h->track_first[t]; j < h->track_first[t + 1]; j++) {
		const sh_item_t *it = &h->items[h->by_track[j]];
		if ((int)it->kind == kind && sh_alive(it, step)) {
			XGROW(v, cap, n + 1);
			v[n++] = it;
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_item_start);
	*out = v;
	return n;
}

/* One window: the map's free space, its regions, its faulters. */
static void
draw_window(struct row *r, const sh_scale_t *s, const sh_window_t *w, uint32_t step)
{
	const sh_history_t *h = r->h;
	const sh_item_t **v;
	size_t n;
	double wx0 = sh_scale_x(s, w->lo), wx1 = sh_scale_x(s, w->hi);

	if (w->depth) {
		fprintf(r->out, "<rect class=\"window\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
		        "fill=\"#fdf6e3\" stroke=\"#b58900\" stroke-width=\"0.6\"><title>",
		        SHOW_LEFT + wx0, r->y + 1, wx1 - wx0 < 1 ? 1 : wx1 - wx0, r->height - 2);
		cli_xml_escaped(r->out, h->tracks[w->track].name);
		fprintf(r->out, ": a region map of 0x%" PRIx64 " bytes, shown at 0x%" PRIx64 "-0x%" PRIx64
		        " of env</title></rect>\n", h->tracks[w->track].size, w->lo, w->hi);
	}
	n = live_items(h, w->track, step, SH_REGION, &v);
	/* an empty map's name, where its regions would not cover it */
	if (w->depth && !n && wx1 - wx0 > 60) {
		fprintf(r->out, "<text x=\"%.1f\" y=\"%.1f\" class=\"wlabel\">", SHOW_LEFT + wx0 + 3,
		        r->y + r->height / 2 + 3);
		cli_xml_escaped(r->out, h->tracks[w->track].name);
		fputs("</text>\n", r->out);
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t lo = v[i]->start + w->shift, hi = lo + v[i]->size;
		if (hi < lo)
			hi = UINT64_MAX;
		lo = lo < w->lo ? w->lo : lo;
		hi = hi > w->hi ? w->hi : hi;
		if (lo < hi)
			row_add(r, v[i], sh_scale_x(s, lo), sh_scale_x(s, hi), lo, hi, w->shift);
	}
	row_flush(r);
	free(v);
	n = live_items(h, w->track, step, SH_FAULTER, &v);
	for (size_t i = 0; i < n; i++) {
		uint64_t a = v[i]->start + w->shift;
		if (a >= w->lo && a < w->hi)
			row_add(r, v[i], sh_scale_x(s, a), sh_scale_x(s, a), a, a + 1, w->shift);
	}
	row_flush(r);
	free(v);
}

static void
draw_axis(FILE *out, const sh_scale_t *s, double y, double bottom)
{
	double last[2] = { -1000, -1000 };
	int line = 0;

	fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>\n",
	        SHOW_LEFT, y, SHOW_LEFT + s->width, y);
	for (size_t i = 0; i < s->n; i++) {
		double x = s->x[i];
		if (i + 1 < s->n && s->broken[i]) {
			double x1 = s->x[i + 1], m = (x + x1) / 2;
			fprintf(out, "<rect class=\"break\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			        "fill=\"url(#hatch-break)\"><title>0x%" PRIx64 "-0x%" PRIx64 ": nothing ever there, "
			        "drawn narrow</title></rect>\n", SHOW_LEFT + x, y + 1, x1 - x, bottom - y - 1,
			        s->addr[i], s->addr[i + 1]);
			fprintf(out, "<path d=\"M%.1f %.1fl3 -4l3 8l3 -4\" stroke=\"#555\" fill=\"#fff\"/>\n",
			        SHOW_LEFT + m - 4.5, y);
		}
		/* labels on two alternating lines, where there is room */
		int at_end = x > s->width - SHOW_LABEL_GAP;   /* ends at its mark, inside the picture */
		if (x - last[line] >= (at_end ? 2 : 1) * SHOW_LABEL_GAP) {
			fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>\n"
			        "<text class=\"addr\" x=\"%.1f\" y=\"%.1f\"%s>0x%" PRIx64 "</text>\n",
			        SHOW_LEFT + x, y - 3 - line * 11, SHOW_LEFT + x, y, SHOW_LEFT + x + (at_end ? -1 : 1),
			        y - 5 - line * 11, at_end ? " text-anchor=\"end\"" : "", s->addr[i]);
			last[line] = x;
			line ^= 1;
		}
	}
}

/* One chart of the quota panel: values over the steps, the step marked. */
static void
draw_chart(FILE *out, const sh_history_t *h, double y, const char *what, int caps, uint32_t step,
           double width)
{
	uint64_t max = 1, limit = caps ? h->cap_quota : h->ram_quota;
	const sh_quota_t *q = h->quota;
	double x = width * (double)step / (double)(h->steps > 1 ? h->steps - 1 : 1);
	char a[32], b[32], c[32];

	for (size_t i = 0; i < h->steps; i++) {
		uint64_t u = caps ? q[i].caps : q[i].ram, d = caps ? q[i].rm_caps : q[i].rm_ram;
		max = u > max ? u : max;
		max = d > max ? d : max;
	}
	fprintf(out, "<g class=\"chart\"><rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"#fafafa\" "
	        "stroke=\"#ccc\"/>\n<text class=\"rowlabel\" x=\"6\" y=\"%.1f\">%s</text>\n", SHOW_LEFT, y, width,
	        SHOW_CHART_H, y + 14, what);
	for (int series = 0; series < 2; series++) {
		double lastx = -1;
		fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.3\" points=\"",
		        series ? "#f28e2b" : "#4e79a7");
		for (size_t i = 0; i < h->steps; i++) {
			uint64_t v = series ? (caps ? q[i].rm_caps : q[i].rm_ram) : (caps ? q[i].caps : q[i].ram);
			double px = width * (double)i / (double)(h->steps > 1 ? h->steps - 1 : 1);
			/* a point per half pixel is all a line can show */
			if (px - lastx < 0.5 && i + 1 < h->steps)
				continue;
			lastx = px;
			fprintf(out, "%.1f,%.1f ", SHOW_LEFT + px,
			        y + SHOW_CHART_H - 4 - (SHOW_CHART_H - 8) * (double)v / (double)max);
		}
		fputs("\"/>\n", out);
	}
	if (caps) {
		snprintf(a, sizeof(a), "%" PRIu64, q[step].caps);
		snprintf(b, sizeof(b), "%" PRIu64, q[step].rm_caps);
		snprintf(c, sizeof(c), "%" PRIu64, limit);
	} else {
		cli_size_text(q[step].ram, a, sizeof(a));
		cli_size_text(q[step].rm_ram, b, sizeof(b));
		cli_size_text(limit, c, sizeof(c));
	}
	fprintf(out, "<line class=\"now\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\" "
	        "stroke-width=\"1.5\"/>\n<text class=\"small\" x=\"6\" y=\"%.1f\">in use %s</text>\n"
	        "<text class=\"small\" x=\"6\" y=\"%.1f\" fill=\"#b85f00\">RM session %s</text>\n"
	        "<text class=\"small\" x=\"6\" y=\"%.1f\" fill=\"#777\">quota %s</text></g>\n",
	        SHOW_LEFT + x, y, SHOW_LEFT + x, y + SHOW_CHART_H, y + 30, a, y + 43, b, y + 56, c);
}

size_t
sh_write_svg(FILE *out, const sh_history_t *h, const sh_scale_t *s, uint32_t step)
{
	sh_window_t *w;
	size_t nw = sh_windows(h, step, &w), drawn = 0;
	unsigned rows = s->depth + (h->pieces != SH_NONE);
	double y0 = SHOW_TOP, rows_bottom = y0 + SHOW_ENV_H + (rows - 1) * (SHOW_ROW_H + SHOW_ROW_GAP);
	double height = rows_bottom + 30 + 2 * (SHOW_CHART_H + 12) + SHOW_LEGEND_H;
	const sh_track_t *env = &h->tracks[0];

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" "
	        "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"11\">\n%s",
	        SHOW_WIDTH, height, SHOW_WIDTH, height, show_svg_defs);
	fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n<text x=\"6\" y=\"16\" "
	        "font-size=\"13\" font-weight=\"bold\">");
	cli_xml_escaped(out, h->path);
	fprintf(out, "</text>\n<text x=\"6\" y=\"30\" class=\"small\">%s at line %" PRIu32
	        " (after %" PRIu32 " of %zu operations), kernel %s, %s</text>\n",
	        step ? "the state" : "the state before the first operation", h->line[step], step,
	        h->steps - 1, h->kernel, h->arch);
	draw_axis(out, s, y0 - 4, rows_bottom);
	/* row labels and lanes */
	for (unsigned d = 0; d < rows; d++) {
		double y = d == 0 ? y0 : y0 + SHOW_ENV_H + SHOW_ROW_GAP + (d - 1) * (SHOW_ROW_H + SHOW_ROW_GAP);
		double hgt = d == 0 ? SHOW_ENV_H : SHOW_ROW_H;
		const char *label = d == 0 ? "env" : h->pieces != SH_NONE && d == rows - 1 ? "mmap mappings" : NULL;

		fprintf(out, "<rect class=\"lane\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f3f3f3\"/>\n",
		        SHOW_LEFT, y, s->width, hgt);
		fprintf(out, "<text class=\"rowlabel\" x=\"6\" y=\"%.1f\">", y + hgt / 2 + 4);
		if (label)
			fputs(label, out);
		else
			fprintf(out, "nested, depth %u", d);
		fputs("</text>\n", out);
	}
	/* the kernel's reservations, and env's own range */
	{
		double k0 = sh_scale_x(s, env->base), k1 = sh_scale_x(s, env->base + env->size);
		fprintf(out, "<rect class=\"kernel\" x=\"%d\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" "
		        "fill=\"url(#hatch-grey)\"><title>0x0-0x%" PRIx64 ": not in the address space (kernel %s)</title></rect>\n",
		        SHOW_LEFT, y0, k0 < 1 ? 1 : k0, SHOW_ENV_H, env->base, h->kernel);
		fprintf(out, "<rect class=\"kernel\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" "
		        "fill=\"url(#hatch-grey)\"><title>0x%" PRIx64 "-0x%" PRIx64 ": not in the address space "
		        "(kernel %s)</title></rect>\n",
		        SHOW_LEFT + k1, y0, s->width - k1, SHOW_ENV_H, env->base + env->size, s->top, h->kernel);
	}
	for (size_t k = 0; k < nw; k++) {
		struct row r = { .out = out, .h = h };
		unsigned d = w[k].depth;

		r.y = d == 0 ? y0 : y0 + SHOW_ENV_H + SHOW_ROW_GAP + (d - 1) * (SHOW_ROW_H + SHOW_ROW_GAP);
		r.height = d == 0 ? SHOW_ENV_H : SHOW_ROW_H;
		draw_window(&r, s, &w[k], step);
		drawn += r.drawn;
	}
	if (h->pieces != SH_NONE) {
		struct row r = { .out = out, .h = h, .height = SHOW_ROW_H,
		                 .y = y0 + SHOW_ENV_H + SHOW_ROW_GAP + (rows - 2) * (SHOW_ROW_H + SHOW_ROW_GAP) };
		const sh_item_t **v;
		size_t n = live_items(h, h->pieces, step, SH_PIECE, &v);

		for (size_t i = 0; i < n; i++)
			row_add(&r, v[i], sh_scale_x(s, v[i]->start), sh_scale_x(s, v[i]->start + v[i]->size),
			        v[i]->start, v[i]->start + v[i]->size, 0);
		row_flush(&r);
		free(v);
		drawn += r.drawn;
	}
	draw_chart(out, h, rows_bottom + 30, "RAM", 0, step, s->width);
	draw_chart(out, h, rows_bottom + 30 + SHOW_CHART_H + 12, "capabilities", 1, step, s->width);
	fprintf(out, "%s</svg>\n", show_svg_legend(rows_bottom + 30 + 2 * (SHOW_CHART_H + 12) + 14));
	free(w);
	return drawn;
}
