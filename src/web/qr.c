#include "web/qr.h"

#include "util/err.h"
#include "web/html.h"

#include <errno.h>
#include <qrencode.h>

int qr_svg(struct buf *out, const char *text, const char *label, int *modules)
{
	errno = 0;
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!q)
		return errno == ENOMEM ? ERR_INTERNAL : ERR_INVALID;
	int w = q->width, side = w + 2 * QR_QUIET;
	*modules = w;
	buf_addf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\" role=\"img\" "
		      "aria-label=\"");
	html_esc(out, label);
	buf_addf(out,
		 "\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
		 "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
		 "<path fill=\"#000\" d=\"",
		 side, side, side * 4, side * 4, side, side);
	/* each run of dark modules in a row is one rectangle */
	for (int y = 0; y < w; y++) {
		for (int x = 0; x < w;) {
			if (!(q->data[y * w + x] & 1)) {
				x++;
				continue;
			}
			int run = 1;
			while (x + run < w && (q->data[y * w + x + run] & 1))
				run++;
			buf_addf(out, "M%d %dh%dv1h-%dz", x + QR_QUIET, y + QR_QUIET, run, run);
			x += run;
		}
	}
	buf_adds(out, "\"/></svg>");
	QRcode_free(q);
	return ERR_OK;
}
