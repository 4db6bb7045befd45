/*
 * compare_draw.c: the picture of what 'rmemu compare -o FILE.svg|.html'
 * measured (compare.h). For every trace and for all of them together, each
 * policy gets a bar of its failures split by cause, and, where the trace
 * unmaps, a line of the RAM the policy held after each munmap: the leak
 * over cycles that the thread argued about is then a line that climbs.
 *
 * Every mark carries its figures as data attributes and a <title>, so that
 * a test can read back exactly what was drawn (tests/compare_picture.py
 * holds each against the JSON of the same run), a browser shows them on
 * hover, and the page needs no data of its own.
 */
#include <inttypes.h>
#include <string.h>

#include "compare.h"
#include "xml_text.h"

enum {
	WIDTH = 980,
	LABEL_X = 10,          /* the policy's name */
	BAR_X = 120,           /* its failures by cause */
	BAR_W = 360,
	COUNT_X = BAR_X + BAR_W + 8,
	CHART_X = 640,         /* the RAM after each munmap */
	CHART_W = 320,
	ROW_H = 18,
	BAR_H = 12,
	HEAD_H = 24,
	SECTION_GAP = 14,
	CHART_MIN_H = 54,
	TOP_H = 30 + 2 * ROW_H + 6,   /* the title and the legend's two rows */
	MAX_POINTS = 600,      /* a longer series is drawn as the maximum of each bucket */
};

static const char *const cause_fill[RME_MMAP_CAUSE_COUNT_] = {
	"#9e9e9e", "#e41a1c", "#ff7f00", "#984ea3", "#a65628", "#377eb8",
	"#f781bf", "#4daf4a", "#e6c229", "#66c2a5", "#222222",
};

static const char *
policy_stroke(const char *policy)
{
	if (strcmp(policy, "genode-libc") == 0)
		return "#d95f02";
	if (strcmp(policy, "libc-alloc-at") == 0)
		return "#7570b3";
	return "#1b9e77";
}

/* Lines that lie on each other stay apart by their dashes. */
static const char *
policy_dash(const char *policy)
{
	if (strcmp(policy, "libc-alloc-at") == 0)
		return "6,3";
	if (strcmp(policy, "rmemu") == 0)
		return "2,2";
	return "none";
}

static const char *
cause_label(int c)
{
	return c == RME_MMAP_CAUSE_NONE ? "errno only" : rme_mmap_cause_name((rme_mmap_cause_t)c);
}

struct pen {
	FILE *out;
	double y;
	long marks;
};

/* The causes any policy failed with anywhere: the legend lists only those. */
static void
causes_seen(const struct figures total[], int np, int seen[RME_MMAP_CAUSE_COUNT_])
{
	for (int c = 0; c < RME_MMAP_CAUSE_COUNT_; c++) {
		seen[c] = 0;
		for (int p = 0; p < np; p++)
			seen[c] |= total[p].cause_count[c] != 0;
	}
}

static void
draw_legend(struct pen *pen, const struct figures total[], const char *const pol[], int np)
{
	int seen[RME_MMAP_CAUSE_COUNT_];
	double x = LABEL_X;

	causes_seen(total, np, seen);
	fprintf(pen->out, "<g class=\"legend\">\n");
	fprintf(pen->out, "<text x=\"%d\" y=\"%.0f\">failures by cause:</text>\n", LABEL_X, pen->y + 11);
	x += 112;
	for (int c = 0; c < RME_MMAP_CAUSE_COUNT_; c++) {
		if (!seen[c])
			continue;
		fprintf(pen->out, "<rect x=\"%.0f\" y=\"%.0f\" width=\"10\" height=\"10\" fill=\"%s\"><title>",
		        x, pen->y + 2, cause_fill[c]);
		cli_xml_escaped(pen->out, rme_mmap_cause_desc((rme_mmap_cause_t)c));
		fprintf(pen->out, "</title></rect><text x=\"%.0f\" y=\"%.0f\">%s</text>\n", x + 13, pen->y + 11,
		        cause_label(c));
		x += 26 + 7 * (double)strlen(cause_label(c));
	}
	pen->y += ROW_H;
	fprintf(pen->out, "<text x=\"%d\" y=\"%.0f\">RAM after each munmap:</text>\n", LABEL_X, pen->y + 11);
	x = LABEL_X + 150;
	for (int p = 0; p < np; p++) {
		fprintf(pen->out, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" "
		        "stroke-width=\"2\" stroke-dasharray=\"%s\"/><text x=\"%.0f\" y=\"%.0f\">%s</text>\n",
		        x, pen->y + 7, x + 22, pen->y + 7, policy_stroke(pol[p]), policy_dash(pol[p]), x + 26,
		        pen->y + 11, pol[p]);
		x += 40 + 7 * (double)strlen(pol[p]);
	}
	fprintf(pen->out, "</g>\n");
	pen->y += ROW_H + 6;
}

/* The policy's name, with what it held at the end on hover. */
static void
draw_policy_label(struct pen *pen, const char *policy, const struct figures *f, double y)
{
	char ram[32], acc[32], pn[32];

	cli_size_text(f->ram_end, ram, sizeof(ram));
	cli_size_text(f->accessible_after_munmap, acc, sizeof(acc));
	cli_size_text(f->prot_none_ram, pn, sizeof(pn));
	fprintf(pen->out, "<text class=\"policy\" x=\"%d\" y=\"%.0f\">%s<title>%s: RAM at the end %s, "
	        "%" PRIu64 " capabilities; still accessible after munmap %s; RAM for PROT_NONE %s; "
	        "%" PRIu64 " bytes of libc metadata in mapped ranges at the peak</title></text>\n",
	        LABEL_X, y + 10, policy, policy, ram, f->caps_end, acc, pn, f->metadata_in_app_ranges_peak);
}

/* One policy's failures as a bar split by cause, scaled to the most any policy failed here. */
static void
draw_failures(struct pen *pen, const char *trace, const char *policy, const struct figures *f,
              uint64_t most, double y)
{
	double x = BAR_X;

	for (int c = 0; c < RME_MMAP_CAUSE_COUNT_ && most; c++) {
		uint64_t n = f->cause_count[c];
		double w;

		if (!n)
			continue;
		w = (double)n / (double)most * BAR_W;
		if (w < 1)
			w = 1;
		fprintf(pen->out, "<rect class=\"fail\" x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" "
		        "fill=\"%s\" data-trace=\"", x, y + 2, w, BAR_H, cause_fill[c]);
		cli_xml_escaped(pen->out, trace);
		fprintf(pen->out, "\" data-policy=\"%s\" data-cause=\"%s\" data-count=\"%" PRIu64 "\"><title>",
		        policy, rme_mmap_cause_name((rme_mmap_cause_t)c), n);
		cli_xml_escaped(pen->out, trace);
		fprintf(pen->out, ", %s: %" PRIu64 " of %" PRIu64 " failures with cause %s (", policy, n,
		        f->failed, cause_label(c));
		cli_xml_escaped(pen->out, rme_mmap_cause_desc((rme_mmap_cause_t)c));
		fprintf(pen->out, ")</title></rect>\n");
		x += w;
		pen->marks++;
	}
	fprintf(pen->out, "<text class=\"count\" x=\"%d\" y=\"%.0f\">%" PRIu64 " of %" PRIu64
	        " failed</text>\n", COUNT_X, y + 11, f->failed, f->ops);
}

static uint64_t
series_max(const struct figures *f)
{
	uint64_t m = 0;

	for (size_t i = 0; i < f->munmaps; i++)
		if (f->ram_after_munmap[i] > m)
			m = f->ram_after_munmap[i];
	return m;
}

/* One policy's RAM after each munmap, as a line in the chart [y0, y0 + h]. */
static void
draw_series(struct pen *pen, const char *trace, const char *policy, const struct figures *f,
            uint64_t top, double y0, double h)
{
	size_t n = f->munmaps, per = (n + MAX_POINTS - 1) / MAX_POINTS;
	char most[32], last[32];

	if (!n)
		return;
	cli_size_text(series_max(f), most, sizeof(most));
	cli_size_text(f->ram_after_munmap[n - 1], last, sizeof(last));
	fprintf(pen->out, "<polyline class=\"ram\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
	        "stroke-dasharray=\"%s\" data-trace=\"", policy_stroke(policy), policy_dash(policy));
	cli_xml_escaped(pen->out, trace);
	fprintf(pen->out, "\" data-policy=\"%s\" data-munmaps=\"%zu\" data-max=\"%" PRIu64 "\" "
	        "data-last=\"%" PRIu64 "\" points=\"", policy, n, series_max(f), f->ram_after_munmap[n - 1]);
	if (n == 1) {
		double y = y0 + h - (top ? (double)f->ram_after_munmap[0] / (double)top * h : 0);
		fprintf(pen->out, "%.1f,%.1f %.1f,%.1f", CHART_X + 4.0, y, CHART_X + CHART_W - 4.0, y);
	}
	for (size_t i = 0; i < n && n > 1; i += per) {
		uint64_t v = 0;
		size_t end = i + per < n ? i + per : n;
		double x = CHART_X + (double)(i + end - 1) / 2.0 / (double)(n - 1) * CHART_W;

		for (size_t k = i; k < end; k++)
			if (f->ram_after_munmap[k] > v)
				v = f->ram_after_munmap[k];
		fprintf(pen->out, "%s%.1f,%.1f", i ? " " : "", x,
		        y0 + h - (top ? (double)v / (double)top * h : 0));
	}
	fprintf(pen->out, "\"><title>");
	cli_xml_escaped(pen->out, trace);
	fprintf(pen->out, ", %s: RAM held after each of %zu munmaps: at most %s, after the last %s</title>"
	        "</polyline>\n", policy, n, most, last);
	pen->marks++;
}

static size_t
most_munmaps(const struct figures f[], int np)
{
	size_t n = 0;

	for (int p = 0; p < np; p++)
		if (f[p].munmaps > n)
			n = f[p].munmaps;
	return n;
}

static double
chart_height(int np)
{
	double rows = (double)np * ROW_H;
	return rows < CHART_MIN_H ? CHART_MIN_H : rows;
}

/* What draw_section takes of the height: with a chart where the trace unmaps. */
static double
section_height(const struct figures f[], int np)
{
	return HEAD_H + (most_munmaps(f, np) ? chart_height(np) : (double)np * ROW_H) + SECTION_GAP;
}

/* One trace (or the total): a heading, a row per policy, the RAM chart beside them. */
static void
draw_section(struct pen *pen, const char *trace, const char *heading, const struct figures f[],
             const char *const pol[], int np)
{
	uint64_t most = 0, top = 0;
	size_t munmaps = most_munmaps(f, np);
	double chart_h = chart_height(np), end = pen->y + section_height(f, np), y;
	char topt[32];

	for (int p = 0; p < np; p++) {
		if (f[p].failed > most)
			most = f[p].failed;
		if (series_max(&f[p]) > top)
			top = series_max(&f[p]);
	}
	fprintf(pen->out, "<g class=\"trace\" data-trace=\"");
	cli_xml_escaped(pen->out, trace);
	fprintf(pen->out, "\">\n<text class=\"heading\" x=\"%d\" y=\"%.0f\">", LABEL_X, pen->y + 15);
	cli_xml_escaped(pen->out, heading);
	fprintf(pen->out, "</text>\n");
	if (munmaps) {
		cli_size_text(top, topt, sizeof(topt));
		fprintf(pen->out, "<text x=\"%d\" y=\"%.0f\">RAM after each of %zu munmaps (top: %s)</text>\n",
		        CHART_X, pen->y + 15, munmaps, topt);
	}
	pen->y += HEAD_H;
	y = pen->y;
	for (int p = 0; p < np; p++, y += ROW_H) {
		draw_policy_label(pen, pol[p], &f[p], y);
		draw_failures(pen, trace, pol[p], &f[p], most, y);
	}
	if (munmaps) {
		fprintf(pen->out, "<rect class=\"frame\" x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"%.0f\" "
		        "fill=\"none\" stroke=\"#bbb\"/>\n", CHART_X, pen->y, CHART_W, chart_h);
		for (int p = 0; p < np; p++)
			draw_series(pen, trace, pol[p], &f[p], top, pen->y + 2, chart_h - 4);
	}
	fprintf(pen->out, "</g>\n");
	pen->y = end;
}

static double
picture_height(const struct figures (*figs)[MAX_POLICIES], int ntraces, const struct figures total[],
               int np)
{
	double h = 10 + TOP_H + section_height(total, np) + 10;

	for (int t = 0; t < ntraces; t++)
		h += section_height(figs[t], np);
	return h;
}

static long
draw_svg(FILE *out, const char *const names[], int ntraces, struct figures (*figs)[MAX_POLICIES],
         const struct figures total[], const char *const pol[], int np)
{
	struct pen pen = { out, 10, 0 };
	char heading[320];

	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
	        "font-family=\"sans-serif\" font-size=\"11\">\n", WIDTH,
	        picture_height((const struct figures (*)[MAX_POLICIES])figs, ntraces, total, np));
	fprintf(out, "<text class=\"title\" x=\"%d\" y=\"%.0f\" font-size=\"15\">rmemu compare: "
	        "%d trace%s, %d polic%s</text>\n", LABEL_X, pen.y + 14, ntraces, ntraces == 1 ? "" : "s",
	        np, np == 1 ? "y" : "ies");
	pen.y += 30;
	draw_legend(&pen, total, pol, np);
	for (int t = 0; t < ntraces; t++) {
		snprintf(heading, sizeof(heading), "%s: %" PRIu64 " libc-level operations", names[t],
		         figs[t][0].ops);
		draw_section(&pen, names[t], heading, figs[t], pol, np);
	}
	snprintf(heading, sizeof(heading), "all %d traces: %" PRIu64 " libc-level operations", ntraces,
	         total[0].ops);
	draw_section(&pen, "total", heading, total, pol, np);
	fprintf(out, "</svg>\n");
	return pen.marks;
}

/* The table over all traces, every figure the text output gives. */
static void
html_table(FILE *out, const struct figures total[], const char *const pol[], int np)
{
	fprintf(out, "<table>\n<tr><th>over all traces</th>");
	for (int p = 0; p < np; p++)
		fprintf(out, "<th>%s</th>", pol[p]);
	fprintf(out, "</tr>\n");
#define ROW(name, text) \
	fprintf(out, "<tr><td>%s</td>", text); \
	for (int p = 0; p < np; p++) \
		fprintf(out, "<td>%" PRIu64 "</td>", total[p].name); \
	fprintf(out, "</tr>\n");
	FIGURES(ROW)
#undef ROW
	for (int c = 0; c < RME_MMAP_CAUSE_COUNT_; c++) {
		uint64_t any = 0;
		for (int p = 0; p < np; p++)
			any += total[p].cause_count[c];
		if (!any)
			continue;
		fprintf(out, "<tr><td>failed, cause %s</td>", cause_label(c));
		for (int p = 0; p < np; p++)
			fprintf(out, "<td>%" PRIu64 "</td>", total[p].cause_count[c]);
		fprintf(out, "</tr>\n");
	}
	fprintf(out, "</table>\n");
}

static const char page_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	"<title>rmemu compare</title>\n<style>\n"
	"body { font-family: sans-serif; margin: 16px; color: #222; }\n"
	"table { border-collapse: collapse; margin-top: 16px; font-size: 13px; }\n"
	"td, th { border-bottom: 1px solid #ddd; padding: 2px 10px; text-align: right; }\n"
	"td:first-child, th:first-child { text-align: left; }\n"
	"#tip { position: fixed; display: none; background: #fffbe6; border: 1px solid #aaa; "
	"padding: 4px 8px; font-size: 12px; max-width: 420px; pointer-events: none; }\n"
	"svg .fail:hover, svg .ram:hover { opacity: 0.7; }\n"
	"</style>\n</head>\n<body>\n<h1>rmemu compare</h1>\n"
	"<p>For each trace, each mmap policy's failures split by cause (scaled to the policy that "
	"failed most on that trace) and the RAM it held after each munmap. Hover a bar, a line or a "
	"policy's name for its figures; <code>rmemu compare --json</code> gives every figure, "
	"doc/designs.md explains them.</p>\n";

static const char page_tail[] =
	"<div id=\"tip\"></div>\n<script>\n"
	"(function () {\n"
	"  var tip = document.getElementById('tip');\n"
	"  document.querySelector('svg').addEventListener('mousemove', function (e) {\n"
	"    var mark = e.target.closest('.fail, .ram, .policy');\n"
	"    var title = mark && mark.querySelector('title');\n"
	"    if (!title) { tip.style.display = 'none'; return; }\n"
	"    tip.textContent = title.textContent;\n"
	"    tip.style.left = (e.clientX + 14) + 'px';\n"
	"    tip.style.top = (e.clientY + 14) + 'px';\n"
	"    tip.style.display = 'block';\n"
	"  });\n"
	"  document.querySelector('svg').addEventListener('mouseleave', function () {\n"
	"    tip.style.display = 'none';\n"
	"  });\n"
	"})();\n</script>\n</body>\n</html>\n";

long
compare_draw(FILE *out, int html, const char *const names[], int ntraces,
             struct figures (*figs)[MAX_POLICIES], const struct figures total[],
             const char *const pol[], int np)
{
	long marks;

	if (html)
		fputs(page_head, out);
	else
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	marks = draw_svg(out, names, ntraces, figs, total, pol, np);
	if (html) {
		html_table(out, total, pol, np);
		fputs(page_tail, out);
	}
	return ferror(out) ? -1 : marks;
}
