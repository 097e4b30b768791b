/* Buffer caps named once (curl's DYN_* block in lib/curlx/dynbuf.h): the
 * maximum a growable buffer (util/buf.h) is initialised with, where more than
 * one file uses the same cap. Caps an operator tunes (request bodies, JSON
 * depth...) are settings (config/settings.c), not here; a cap used by one file
 * is named in that file. */
#ifndef ATALAYA_CAPS_H
#define ATALAYA_CAPS_H

#include <stddef.h>

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
