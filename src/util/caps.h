/* Caps named once (curl's DYN_* block in lib/curlx/dynbuf.h): the limits that
 * more than one file checks, and the maximum a growable buffer (util/buf.h) is
 * initialised with where more than one file uses the same one. Caps an
 * operator tunes (request bodies, JSON depth...) are settings
 * (config/settings.c), not here; a cap only one file uses is named in that
 * file. Constants only: any thread. */
#ifndef ATALAYA_CAPS_H
#define ATALAYA_CAPS_H

#include <stddef.h>

/* ---- names and addresses (the canonicaliser, dns/, spam/, formats/) */
#define CAP_DOMAIN_MAX 253 /* a domain name as text, without the trailing dot (RFC 1035) */
#define CAP_LABEL_MAX 63   /* one label of a domain name (RFC 1035) */
#define CAP_IP_TEXT_MAX 64 /* an address or a CIDR as text, with its NUL */
#define CAP_OBSERVABLE_INPUT_MAX 8192 /* raw text of one value handed to a normaliser */

/* ---- buffers */
/* A body the CLI holds whole: a file to import, an export, a report bundle,
 * the answer of `atalaya api` (16 GiB: in practice, what memory allows). */
#define CAP_CLI_BODY ((size_t)1 << 34)
/* A short JSON answer the CLI reads after an upload (submit, import,
 * ingest-mail): 1 MiB. */
#define CAP_CLI_REPLY ((size_t)1 << 20)
/* One row, or a contact's audience, written as JSON text by the directory's
 * routes: 64 KiB. */
#define CAP_ROW_JSON ((size_t)1 << 16)

#endif
