/* Bar charts as inline SVG (chart.h). */
#include "web/chart.h"

#define CHART_W 720	/* viewBox units */
#define CHART_LABEL 300 /* the labels' side */
#define CHART_VALUE 70	/* room for the value after the longest bar */
#define CHART_ROW 24
#define CHART_BAR 16

void chart_figure(struct page *p, int64_t v, bool tenths)
{
	if (tenths)
		page_tenths(p, v);
	else
		i18n_number(&p->r->out, p->h.lang, v);
}

/* The SVG's direction is fixed to ltr so that text-anchor means the same on
 * both sides; the mirroring is in the coordinates. */
void chart_bars(struct page *p, const char *id, const char *caption_key, const struct chart_bar *b,
		size_t n, int64_t max, bool tenths)
{
	struct buf *o = &p->r->out;
	bool rtl = p->h.lang == LANG_AR;
	int64_t h = (int64_t)n * CHART_ROW + 8, area = CHART_W - CHART_LABEL - CHART_VALUE;
	buf_addf(o, "<figure><figcaption id=\"fc-%s\">", id);
	page_text(p, caption_key);
	buf_addf(o,
		 "</figcaption><svg class=\"chart\" role=\"img\" aria-labelledby=\"fc-%s\" "
		 "viewBox=\"0 0 %d %" PRId64 "\" direction=\"ltr\">",
		 id, CHART_W, h);
	int64_t axis = rtl ? CHART_W - CHART_LABEL : CHART_LABEL;
	buf_addf(o,
		 "<line class=\"axis\" x1=\"%" PRId64 "\" y1=\"0\" x2=\"%" PRId64 "\" y2=\"%" PRId64
		 "\"/>",
		 axis, axis, h);
	for (size_t i = 0; i < n; i++) {
		int64_t y = (int64_t)i * CHART_ROW + 4;
		int64_t w = max > 0 ? b[i].value * area / max : 0;
		if (w < 0)
			w = 0;
		int64_t bx = rtl ? axis - w : axis;
		buf_addf(o,
			 "<text class=\"label\" x=\"%" PRId64 "\" y=\"%" PRId64
			 "\" text-anchor=\"%s\">",
			 rtl ? axis + 6 : axis - 6, y + 13, rtl ? "start" : "end");
		html_esc(o, b[i].label);
		buf_addf(o,
			 "</text><rect class=\"bar\" x=\"%" PRId64 "\" y=\"%" PRId64
			 "\" width=\"%" PRId64 "\" height=\"%d\"/>",
			 bx, y, w, CHART_BAR);
		buf_addf(o,
			 "<text class=\"value\" x=\"%" PRId64 "\" y=\"%" PRId64
			 "\" text-anchor=\"%s\">",
			 rtl ? bx - 4 : bx + w + 4, y + 13, rtl ? "end" : "start");
		chart_figure(p, b[i].value, tenths);
		buf_adds(o, "</text>");
	}
	buf_adds(o, "</svg></figure>");
}
