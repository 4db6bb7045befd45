/*
 * show_layout.c: the SVG's patterns, styles and legend (show_layout.h).
 * The HTML page has the same in its own template (show_page.html).
 */
#include <stdio.h>
#include <string.h>

#include "show_layout.h"

const char show_svg_defs[] =
	"<defs>\n"
	"<pattern id=\"hatch-grey\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
	"patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#eee\"/>"
	"<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#999\" stroke-width=\"2\"/></pattern>\n"
	"<pattern id=\"hatch-red\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
	"patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fbe3e3\"/>"
	"<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#d62728\" stroke-width=\"2\"/></pattern>\n"
	"<pattern id=\"hatch-break\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" "
	"patternTransform=\"rotate(-45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#ddd\" "
	"stroke-width=\"1\"/></pattern>\n"
	"<style>.label{font-size:10px;fill:#fff;pointer-events:none}"
	".wlabel{font-size:9px;fill:#8a6d00;pointer-events:none}"
	".addr{font-size:9px;fill:#444;font-family:DejaVu Sans Mono,monospace}"
	".rowlabel{font-size:11px;font-weight:bold;fill:#333}.small{font-size:10px;fill:#333}</style>\n"
	"</defs>\n";

const char *
show_svg_legend(double y)
{
	static char buf[2048];
	static const struct {
		const char *fill, *what;
	} keys[] = {
		{ "#4e79a7", "RAM rw- / mapping rw-" }, { "#8fb0d6", "RAM r--" }, { "#b07aa1", "ROM" },
		{ "#f6c58f", "nested region map" }, { "#c9c3bd", "Genode's layout" },
		{ "#59a14f", "mmap chunk" }, { "url(#hatch-red)", "reserved (dataspace gone)" },
		{ "#8cd17d", "mapping r--" }, { "#f28e2b", "mapping r-x" }, { "#e15759", "mapping rwx" },
		{ "url(#hatch-grey)", "PROT_NONE / kernel" },
	};
	int n = snprintf(buf, sizeof(buf), "<g class=\"legend\">");
	double x = SHOW_LEFT;

	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys) && n < (int)sizeof(buf); i++) {
		n += snprintf(buf + n, sizeof(buf) - (size_t)n,
		              "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"10\" fill=\"%s\" stroke=\"#333\" "
		              "stroke-width=\"0.4\"/><text class=\"small\" x=\"%.0f\" y=\"%.0f\">%s</text>",
		              x, y - 9, keys[i].fill, x + 15, y, keys[i].what);
		x += 40 + 5.6 * (double)strlen(keys[i].what);
		if (x > SHOW_LEFT + SHOW_PLOT - 150 && i + 1 < sizeof(keys) / sizeof(*keys)) {
			x = SHOW_LEFT;
			y += 16;
		}
	}
	if (n < (int)sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, "</g>\n");
	return buf;
}
