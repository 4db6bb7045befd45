/*
 * show_html.c: the page 'rmemu show -o FILE.html' writes: the template
 * show_page.html (built into the command as show_page[]) with the
 * history as JSON in place of its DATA line.
 *
 * The history is kept small so that a trace of 10^5 mappings gives a page
 * of a few megabytes: addresses and sizes in pages, each item's start
 * as the distance from the one before it in its track, its birth as the
 * distance from the one before, its death as its age (0: alive at the
 * end), the quota as changes. Items are stored once, however many steps
 * they live; the page finds the state at a step by keeping the living.
 * Numbers go into strings five bits a character (enc_int), so that the
 * small ones, which most are, take one character and no comma.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "show.h"
#include "show_layout.h"

extern const char *const show_page[];

static void
json_string(FILE *out, const char *s, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c >= 0x7f)
			fprintf(out, "\\u%04x", c < 0x7f ? c : '?');   /* '<': never "</script>" in the page */
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void
json_cstr(FILE *out, const char *s)
{
	json_string(out, s, strlen(s));
}

/*
 * A signed integer as text: zigzagged, then five bits a character, low
 * bits first; the last character from final[], the others from more[].
 * The page's dec() reads it back.
 */
static void
enc_int(FILE *out, int64_t v)
{
	static const char final[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
	static const char more[] = "ghijklmnopqrstuvwxyz0123456789-_";
	uint64_t z = v < 0 ? ((uint64_t)(-(v + 1)) << 1) | 1 : (uint64_t)v << 1;

	while (z >= 32) {
		fputc(more[z & 31], out);
		z >>= 5;
	}
	fputc(final[z], out);
}

static const char ds_kinds[] = "romcl";   /* ram, rom, managed, chunk, layout */

static void
write_track(FILE *out, const sh_history_t *h, uint32_t t)
{
	const sh_track_t *tr = &h->tracks[t];
	int64_t prev_start = 0, prev_born = 0, prev_ds = 0;

	fputs("{\"name\":", out);
	json_cstr(out, tr->name);
	fprintf(out, ",\"kind\":\"%s\",\"base\":%" PRIu64 ",\"size\":%" PRIu64 ",\"born\":%" PRIu32
	        ",\"died\":%" PRId64 ",\"r\":\"", tr->kind == SH_TRACK_PIECES ? "pieces" : "rm",
	        tr->base / SH_PAGE, tr->size / SH_PAGE, tr->born,
	        tr->died == SH_ALIVE ? (int64_t)-1 : (int64_t)tr->died);
	/*
	 * regions: start, size, offset, dataspace, rights | reserved << 3, born, age;
	 * pieces: start, size, file offset - start, chunk, chunk offset,
	 * prot | vma_start << 3 | flags << 4, born, age
	 */
	for (uint32_t j = h->track_first[t]; j < h->track_first[t + 1]; j++) {
		const sh_item_t *it = &h->items[h->by_track[j]];
		int64_t start = (int64_t)(it->start / SH_PAGE), ds = it->ds == SH_NONE ? -1 : (int64_t)it->ds;

		if (it->kind == SH_FAULTER)
			continue;
		enc_int(out, start - prev_start);
		enc_int(out, (int64_t)(it->size / SH_PAGE));
		if (it->kind == SH_PIECE) {
			enc_int(out, (int64_t)(it->offset / SH_PAGE) - start);
			enc_int(out, ds - prev_ds);
			enc_int(out, (int64_t)(it->chunk_offset / SH_PAGE));
			enc_int(out, it->rights | it->vma_start << 3 | (it->flags & 0xfff) << 4);
		} else {
			enc_int(out, (int64_t)(it->offset / SH_PAGE));
			enc_int(out, ds - prev_ds);
			enc_int(out, it->rights | it->reserved << 3);
		}
		enc_int(out, (int64_t)it->born - prev_born);
		enc_int(out, it->died == SH_ALIVE ? 0 : (int64_t)(it->died - it->born));
		prev_start = start;
		prev_born = it->born;
		prev_ds = ds;
	}
	/* faulters: address, type, born, age */
	fputs("\",\"f\":\"", out);
	prev_born = 0;
	for (uint32_t j = h->track_first[t]; j < h->track_first[t + 1]; j++) {
		const sh_item_t *it = &h->items[h->by_track[j]];

		if (it->kind != SH_FAULTER)
			continue;
		enc_int(out, (int64_t)it->start);
		enc_int(out, it->rights);
		enc_int(out, (int64_t)it->born - prev_born);
		enc_int(out, it->died == SH_ALIVE ? 0 : (int64_t)(it->died - it->born));
		prev_born = it->born;
	}
	fputs("\"}", out);
}

/* Pages, if every RAM figure is a whole number of them (they are, but nothing promises it). */
static uint64_t
ram_unit(const sh_history_t *h)
{
	for (size_t i = 0; i < h->steps; i++)
		if ((h->quota[i].ram | h->quota[i].rm_ram) % SH_PAGE)
			return 1;
	return SH_PAGE;
}

/* A series of the quota as changes from step to step, in units. */
static void
write_series(FILE *out, const char *name, const sh_history_t *h, size_t field, uint64_t unit)
{
	uint64_t prev = 0;

	fprintf(out, "\"%s\":\"", name);
	for (size_t s = 0; s < h->steps; s++) {
		const sh_quota_t *q = &h->quota[s];
		uint64_t v = (field == 0 ? q->ram : field == 1 ? q->caps : field == 2 ? q->rm_ram : q->rm_caps) / unit;
		enc_int(out, (int64_t)(v - prev));
		prev = v;
	}
	fputs("\"", out);
}

/* The dataspaces, a column each; names only where they are not "chunk CAP" or "ds CAP". */
static void
write_ds(FILE *out, const sh_history_t *h)
{
	uint64_t prev = 0;
	uint32_t prev_born = 0;
	const char *sep = "";

	fprintf(out, "\"ds\":{\"n\":%zu,\"kind\":\"", h->nds);
	for (size_t i = 0; i < h->nds; i++)
		fputc(ds_kinds[h->ds[i].kind], out);
	fputs("\",\"size\":\"", out);
	for (size_t i = 0; i < h->nds; i++)
		enc_int(out, (int64_t)(h->ds[i].size / SH_PAGE));
	fputs("\",\"cap\":\"", out);
	for (size_t i = 0; i < h->nds; i++) {
		enc_int(out, (int64_t)(h->ds[i].cap - prev));
		prev = h->ds[i].cap;
	}
	fputs("\",\"born\":\"", out);
	for (size_t i = 0; i < h->nds; i++) {
		enc_int(out, (int64_t)h->ds[i].born - prev_born);
		prev_born = h->ds[i].born;
	}
	fputs("\",\"track\":\"", out);
	for (size_t i = 0; i < h->nds; i++)
		enc_int(out, h->ds[i].track == SH_NONE ? 0 : (int64_t)h->ds[i].track + 1);
	fputs("\",\"names\":{", out);
	for (size_t i = 0; i < h->nds; i++) {
		char plain[48];

		snprintf(plain, sizeof(plain), "%s %" PRIu64, h->ds[i].kind == SH_DS_CHUNK ? "chunk" : "ds",
		         h->ds[i].cap);
		if (strcmp(plain, h->ds[i].name) == 0)
			continue;
		fprintf(out, "%s\"%zu\":", sep, i);
		json_cstr(out, h->ds[i].name);
		sep = ",";
	}
	fputs("}}", out);
}

/* Each operation's line of the trace as written, if that keeps the page small. */
static void
write_source(FILE *out, const sh_history_t *h, const char *src, size_t len)
{
	const char **start = NULL;
	size_t nlines = 1, total = 0, line = 1;

	for (size_t i = 0; i < len; i++)
		nlines += src[i] == '\n';
	start = calloc(nlines + 1, sizeof(*start));
	if (!start) {
		fputs("null", out);
		return;
	}
	start[1] = src;
	for (size_t i = 0; i < len; i++)
		if (src[i] == '\n' && ++line <= nlines)
			start[line] = src + i + 1;
	for (size_t s = 1; s < h->steps; s++) {
		uint32_t l = h->line[s];
		const char *b = start[l], *e = l < nlines ? start[l + 1] : src + len;
		total += (size_t)(e - b) + 4;
	}
	if (total > ((size_t)2 << 20)) {
		fputs("null", out);
		free(start);
		return;
	}
	fputc('[', out);
	for (size_t s = 1; s < h->steps; s++) {
		uint32_t l = h->line[s];
		const char *b = start[l], *e = l < nlines ? start[l + 1] - 1 : src + len;
		while (e > b && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '))
			e--;
		fputs(s > 1 ? "," : "", out);
		json_string(out, b, (size_t)(e - b));
	}
	fputc(']', out);
	free(start);
}


static void
write_data(FILE *out, const sh_history_t *h, const sh_scale_t *s, uint32_t step, const char *src,
           size_t len)
{
	unsigned rows = s->depth + (h->pieces != SH_NONE);
	double rows_bottom = SHOW_TOP + SHOW_ENV_H + (rows - 1) * (SHOW_ROW_H + SHOW_ROW_GAP);
	uint64_t prev = 0, unit = ram_unit(h);

	fputs("{\"title\":", out);
	json_cstr(out, h->path);
	fprintf(out, ",\"kernel\":\"%s\",\"arch\":\"%s\",\"at\":%" PRIu32 ",\"depth\":%u,\"divergences\":%zu,",
	        h->kernel, h->arch, step, s->depth, h->divergences);
	fprintf(out, "\"layout\":{\"WIDTH\":%d,\"LEFT\":%d,\"PLOT\":%d,\"TOP\":%d,\"ENV_H\":%d,\"ROW_H\":%d,"
	        "\"ROW_GAP\":%d,\"CHART_H\":%d,\"LEGEND_H\":%d,\"LABEL_GAP\":%d,\"MIN_MARK\":%g,"
	        "\"AGG_SPAN\":%g,\"MAX_DEPTH\":%d},\n", SHOW_WIDTH, SHOW_LEFT, SHOW_PLOT, SHOW_TOP,
	        SHOW_ENV_H, SHOW_ROW_H, SHOW_ROW_GAP, SHOW_CHART_H, SHOW_LEGEND_H, SHOW_LABEL_GAP,
	        SHOW_MIN_MARK, SHOW_AGG_SPAN, SH_MAX_DEPTH);
	fputs("\"defs\":", out);
	json_cstr(out, show_svg_defs);
	fputs(",\"legend\":", out);
	json_cstr(out, show_svg_legend(rows_bottom + 30 + 2 * (SHOW_CHART_H + 12) + 14));
	fputs(",\n\"lines\":\"", out);
	for (size_t i = 0; i < h->steps; i++) {
		enc_int(out, (int64_t)(h->line[i] - prev));
		prev = h->line[i];
	}
	fputs("\",\n\"src\":", out);
	write_source(out, h, src, len);
	fputs(",\n\"axis\":{\"a\":\"", out);
	prev = 0;
	for (size_t i = 0; i < s->n; i++) {
		enc_int(out, (int64_t)(s->addr[i] / SH_PAGE - prev));
		prev = s->addr[i] / SH_PAGE;
	}
	fputs("\",\"x\":\"", out);
	for (size_t i = 0; i < s->n; i++)
		enc_int(out, (int64_t)(s->x[i] * 100 + 0.5) - (i ? (int64_t)(s->x[i - 1] * 100 + 0.5) : 0));
	fputs("\",\"broken\":\"", out);
	for (size_t i = 0; i < s->n; i++)
		fputc('0' + s->broken[i], out);
	fputs("\"},\n", out);
	write_ds(out, h);
	fputs(",\n\"tracks\":[", out);
	for (uint32_t t = 0; t < h->ntracks; t++) {
		fputs(t ? ",\n" : "", out);
		write_track(out, h, t);
	}
	fprintf(out, "],\n\"quota\":{\"ram_quota\":%" PRIu64 ",\"cap_quota\":%" PRIu64 ",\"ram_unit\":%" PRIu64 ",",
	        h->ram_quota, h->cap_quota, unit);
	write_series(out, "ram", h, 0, unit);
	fputc(',', out);
	write_series(out, "caps", h, 1, 1);
	fputc(',', out);
	write_series(out, "rm_ram", h, 2, unit);
	fputc(',', out);
	write_series(out, "rm_caps", h, 3, 1);
	fputs("}}\n", out);
}

int
sh_write_html(FILE *out, const sh_history_t *h, const sh_scale_t *s, uint32_t step,
              const char *source, size_t source_len)
{
	int replaced = 0;

	for (size_t i = 0; show_page[i]; i++) {
		if (strcmp(show_page[i], "/*DATA*/\n") == 0) {
			write_data(out, h, s, step, source, source_len);
			replaced = 1;
		} else {
			fputs(show_page[i], out);
		}
	}
	if (!replaced) {
		fputs("rmemu show: the page template has no DATA line\n", stderr);
		return -1;
	}
	return 0;
}
