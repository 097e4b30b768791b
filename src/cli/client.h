/* The CLI's HTTP client for a running node: --url / ATALAYA_URL, and the
 * token from --token-file, ATALAYA_TOKEN_FILE or ATALAYA_TOKEN. Main thread. */
#ifndef ATALAYA_CLIENT_H
#define ATALAYA_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/buf.h"

struct client {
	char *url;    /* base, without trailing slash */
	char *token;  /* never printed */
	char *cacert; /* for https with a private CA */
	long timeout; /* seconds for a whole call; 0: none; -1: not given */
};

/* Takes --url, --token-file, --cacert and --timeout SECONDS out of argv (argc
 * updated) and falls back to the environment (ATALAYA_URL, ATALAYA_TOKEN_FILE,
 * ATALAYA_TOKEN, ATALAYA_CACERT, ATALAYA_TIMEOUT). Prints the reason and returns false when no
 * token can be found and `need_token`. Release with client_release. */
bool client_init(struct client *c, int *argc, char **argv, bool need_token);
void client_release(struct client *c);

/* Sends `body` (may be NULL) with `content_type` and returns the HTTP status
 * (0 when the node cannot be reached, with the reason printed); the response
 * body is appended to `out`. */
long client_call(struct client *c, const char *method, const char *path, const char *body,
		 size_t body_len, const char *content_type, struct buf *out);

/* Like client_call, but streams the body from `f` (`size` bytes) without
 * loading it: for reports of any size. */
long client_upload(struct client *c, const char *path, FILE *f, uint64_t size,
		   const char *content_type, struct buf *out);

/* Prints an API error answer ({"error":{...}}) to stderr. */
void client_print_error(long status, const struct buf *body);

/* client_call with a JSON body (may be NULL); on a 2xx returns the decoded
 * response (new reference; json null for an empty body); otherwise prints
 * the error to stderr and returns NULL. */
json_t *client_json(struct client *c, const char *method, const char *path, json_t *body);
/* client_json, its answer printed (indented JSON) to stdout; the exit code:
 * 0, or 1 after the error was printed. `body` stays the caller's. */
int client_print(struct client *c, const char *method, const char *path, json_t *body);

#endif
