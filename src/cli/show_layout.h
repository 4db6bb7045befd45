/*
 * show_layout.h: the measures of the picture 'rmemu show' draws, shared
 * by the SVG writer and (through the data it embeds) the HTML page, so
 * that both draw the same picture.
 */
#ifndef RMEMU_CLI_SHOW_LAYOUT_H
#define RMEMU_CLI_SHOW_LAYOUT_H

enum {
	SHOW_WIDTH = 1440,      /* the whole picture */
	SHOW_LEFT = 130,        /* the row labels' column */
	SHOW_PLOT = 1290,       /* the address axis */
	SHOW_TOP = 72,          /* where the rows begin, below the axis labels */
	SHOW_ENV_H = 34,
	SHOW_ROW_H = 26,
	SHOW_ROW_GAP = 6,
	SHOW_CHART_H = 70,
	SHOW_LEGEND_H = 40,
	SHOW_LABEL_GAP = 92     /* the least room between two address labels on one line */
};

/* Narrower than this (pixels) is drawn together with its neighbours. */
#define SHOW_MIN_MARK 1.5
/* ... in marks at most this wide. */
#define SHOW_AGG_SPAN 3.0

/* The SVG's patterns and styles. */
extern const char show_svg_defs[];

/* The legend, at y; a static buffer. */
const char *show_svg_legend(double y);

#endif
