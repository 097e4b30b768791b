/* The enrolment page's QR code (web/qr.c): the SVG draws exactly libqrencode's
 * matrix, with the quiet zone, as one path; sizes follow ISO/IEC 18004. The
 * decoding of a real page's code is test_web_admin's (zbarimg). */
#include <setjmp.h>
#include <cmocka.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "web/qr.h"

#define URI                                                                                        \
	"otpauth://totp/atalaya:duty.officer@cert.example.org?secret="                             \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567&issuer=atalaya&algorithm=SHA1&digits=6&period=30"

static int count(const char *s, const char *what)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* Side 17 + 4 * version; level M in byte mode holds 14 bytes in version 1 and
 * 154 in version 8 (ISO/IEC 18004 table 7): the URI (141 bytes) needs at most
 * version 8, a 7-letter word fits version 1. */
static void sizes_follow_the_versions(void **state)
{
	struct buf b;
	int w;
	buf_init(&b, 1 << 20);
	assert_int_equal(qr_svg(&b, "atalaya", "x", &w), ERR_OK);
	assert_int_equal(w, 21);
	buf_reset(&b);
	assert_int_equal(strlen(URI), 141);
	assert_int_equal(qr_svg(&b, URI, "x", &w), ERR_OK);
	assert_true(w > 21 && w <= 17 + 4 * 8 && (w - 17) % 4 == 0);
	assert_non_null(strstr(b.data, "viewBox=\"0 0 "));
	char view[64];
	snprintf(view, sizeof(view), "viewBox=\"0 0 %d %d\"", w + 2 * QR_QUIET, w + 2 * QR_QUIET);
	assert_non_null(strstr(b.data, view));
	buf_release(&b);
}

/* The path's rectangles, drawn back into a matrix, are the encoder's. */
static void the_path_is_the_matrix(void **state)
{
	struct buf b;
	int w;
	buf_init(&b, 1 << 20);
	assert_int_equal(qr_svg(&b, URI, "QR \"code\" <of> the URI", &w), ERR_OK);
	buf_addc(&b, '\0');
	assert_int_equal(strncmp(b.data, "<svg ", 5), 0);
	assert_int_equal(strcmp(b.data + strlen(b.data) - 6, "</svg>"), 0);
	assert_int_equal(count(b.data, "<path"), 1);
	assert_int_equal(count(b.data, "<"), 4); /* svg, rect, path, /svg: nothing else */
	assert_non_null(
	    strstr(b.data, "role=\"img\" aria-label=\"QR &quot;code&quot; &lt;of&gt; the URI\""));
	unsigned char *drawn = calloc((size_t)(w * w), 1);
	const char *p = strstr(b.data, " d=\"") + 4;
	int x, y, run, run2, used;
	while (sscanf(p, "M%d %dh%dv1h-%dz%n", &x, &y, &run, &run2, &used) == 4) {
		assert_int_equal(run, run2);
		assert_true(x >= QR_QUIET && y >= QR_QUIET && x + run <= w + QR_QUIET &&
			    y < w + QR_QUIET);
		for (int k = 0; k < run; k++)
			drawn[(y - QR_QUIET) * w + x - QR_QUIET + k] = 1;
		p += used;
	}
	assert_int_equal(strncmp(p, "\"/></svg>", 9), 0);
	QRcode *q = QRcode_encodeString(URI, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	assert_int_equal(q->width, w);
	for (int i = 0; i < w * w; i++)
		assert_int_equal(drawn[i], q->data[i] & 1);
	/* the finder pattern's corner: a 7-module dark row at the top left */
	assert_non_null(strstr(b.data, "d=\"M4 4h7v1h-7z"));
	QRcode_free(q);
	free(drawn);
	buf_release(&b);
}

static void too_long_for_a_qr_code(void **state)
{
	struct buf b;
	int w;
	char *big = malloc(4000);
	memset(big, 'x', 3999);
	big[3999] = '\0';
	buf_init(&b, 1 << 20);
	assert_int_equal(qr_svg(&b, big, "x", &w), ERR_INVALID);
	assert_int_equal(b.len, 0);
	buf_release(&b);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sizes_follow_the_versions),
	    cmocka_unit_test(the_path_is_the_matrix),
	    cmocka_unit_test(too_long_for_a_qr_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
