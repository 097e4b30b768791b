/* Charts of the web pages: horizontal bars drawn server-side as inline SVG
 * (no script, no style attribute: presentation attributes and classes of
 * style.css), each named by its caption (role="img", aria-labelledby). The
 * page puts the same figures in a table: that is the text alternative. In a
 * right-to-left language the chart is mirrored (labels on the right, bars
 * growing to the left). Any HTTP worker. */
#ifndef ATALAYA_WEB_CHART_H
#define ATALAYA_WEB_CHART_H

#include <stdbool.h>
#include <stdint.h>

#include "web/page.h"

/* One bar: its label, already in the person's language, and its value (in
 * tenths when the chart says so). */
struct chart_bar {
	char label[200];
	int64_t value;
};

/* A <figure> with the caption `caption_key` (its id "fc-ID") and n bars
 * scaled to `max`. */
void chart_bars(struct page *p, const char *id, const char *caption_key, const struct chart_bar *b,
		size_t n, int64_t max, bool tenths);
/* A figure as the chart writes it: per locale, in tenths ("12.3") or whole. */
void chart_figure(struct page *p, int64_t v, bool tenths);

#endif
