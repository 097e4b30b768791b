/* A text (the TOTP otpauth:// URI) as a QR code drawn in inline SVG: no
 * script, no image file, one <path> of the dark modules with the standard
 * quiet zone of 4 modules, role="img" with an accessible name. The matrix
 * comes from libqrencode (error correction M, byte mode). Any thread. */
#ifndef ATALAYA_WEB_QR_H
#define ATALAYA_WEB_QR_H

#include "util/buf.h"

#define QR_QUIET 4 /* modules of white border (ISO/IEC 18004) */

/* Appends the SVG of `text` to out, its accessible name `label` (escaped).
 * *modules gets the symbol's side without the quiet zone. ERR_INVALID when
 * the text does not fit a QR code, ERR_NOMEM. */
int qr_svg(struct buf *out, const char *text, const char *label, int *modules);

#endif
