#include "cli/client.h"
#include "cli/args.h"

#include "util/xalloc.h"

#include <curl/curl.h>

static char *take_flag(int *argc, char **argv, const char *name)
{
	size_t n = strlen(name);
	for (int i = 1; i < *argc; i++) {
		char *value = NULL;
		int used = 0;
		if (!strcmp(argv[i], name) && i + 1 < *argc) {
			value = argv[i + 1];
			used = 2;
		} else if (!strncmp(argv[i], name, n) && argv[i][n] == '=') {
			value = argv[i] + n + 1;
			used = 1;
		}
		if (used) {
			memmove(&argv[i], &argv[i + used],
				(size_t)(*argc - i - used + 1) * sizeof(*argv));
			*argc -= used;
			return value;
		}
	}
	return NULL;
}

static char *read_token(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	if (!f) {
		fprintf(stderr, "atalaya: cannot read token file %s: %s\n", path, strerror(errno));
		return NULL;
	}
	char *ok = fgets(line, sizeof(line), f);
	fclose(f);
	if (!ok)
		return NULL;
	line[strcspn(line, "\r\n ")] = '\0';
	return xstrdup(line);
}

bool client_init(struct client *c, int *argc, char **argv, bool need_token)
{
	const char *url = take_flag(argc, argv, "--url");
	const char *tf = take_flag(argc, argv, "--token-file");
	const char *ca = take_flag(argc, argv, "--cacert");
	const char *to = take_flag(argc, argv, "--timeout");
	memset(c, 0, sizeof(*c));
	c->timeout = -1;
	if (!to)
		to = getenv("ATALAYA_TIMEOUT");
	if (to) {
		char *end;
		errno = 0;
		c->timeout = strtol(to, &end, 10);
		if (errno || end == to || *end || c->timeout < 0 || c->timeout > 86400) {
			fprintf(stderr,
				"atalaya: --timeout: '%s' is not a number of seconds "
				"(0 to 86400)\n",
				to);
			c->timeout = -1;
			return false;
		}
	}
	if (!url)
		url = getenv("ATALAYA_URL");
	c->url = xstrdup(url ? url : "http://127.0.0.1:8440");
	size_t n = strlen(c->url);
	while (n && c->url[n - 1] == '/')
		c->url[--n] = '\0';
	if (!tf)
		tf = getenv("ATALAYA_TOKEN_FILE");
	if (tf)
		c->token = read_token(tf);
	else if (getenv("ATALAYA_TOKEN"))
		c->token = xstrdup(getenv("ATALAYA_TOKEN"));
	if (!ca)
		ca = getenv("ATALAYA_CACERT");
	if (ca)
		c->cacert = xstrdup(ca);
	if (need_token && !c->token) {
		fprintf(stderr,
			"atalaya: no token: give --token-file FILE, or set ATALAYA_TOKEN_FILE "
			"or ATALAYA_TOKEN\n");
		return false;
	}
	return true;
}

void client_release(struct client *c)
{
	free(c->url);
	if (c->token) {
		memset(c->token, 0, strlen(c->token));
		free(c->token);
	}
	free(c->cacert);
}

static size_t on_data(char *p, size_t size, size_t n, void *out)
{
	return buf_add(out, p, size * n) ? 0 : size * n;
}

static long perform(struct client *c, const char *method, const char *path, const char *body,
		    size_t body_len, FILE *upload, uint64_t upload_size, const char *content_type,
		    struct buf *out)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	char line[512];
	long status = 0;
	size_t n = strlen(c->url) + strlen(path) + 1;
	char *url = xmalloc(n);

	snprintf(url, n, "%s%s", c->url, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (c->timeout > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout);
	if (c->cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	if (c->token) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", c->token);
		hdr = curl_slist_append(hdr, line);
	}
	if (body || upload) {
		snprintf(line, sizeof(line), "Content-Type: %s", content_type);
		hdr = curl_slist_append(hdr, line);
		hdr = curl_slist_append(hdr, "Expect:");
	}
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	} else if (upload) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_READDATA, upload);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)upload_size);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	CURLcode rc = curl_easy_perform(h);
	if (rc != CURLE_OK)
		fprintf(stderr, "atalaya: cannot reach %s: %s\n", c->url, curl_easy_strerror(rc));
	else
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	memset(line, 0, sizeof(line));
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	free(url);
	return status;
}

long client_call(struct client *c, const char *method, const char *path, const char *body,
		 size_t body_len, const char *content_type, struct buf *out)
{
	return perform(c, method, path, body, body_len, NULL, 0, content_type, out);
}

long client_upload(struct client *c, const char *path, FILE *f, uint64_t size,
		   const char *content_type, struct buf *out)
{
	return perform(c, "POST", path, NULL, 0, f, size, content_type, out);
}

void client_print_error(long status, const struct buf *body)
{
	json_t *e = body->len ? json_loadb(body->data, body->len, 0, NULL) : NULL;
	json_t *err = json_object_get(e, "error");
	if (err)
		fprintf(stderr, "atalaya: %ld %s: %s\n", status,
			json_string_value(json_object_get(err, "code")),
			json_string_value(json_object_get(err, "message")));
	else if (status)
		fprintf(stderr, "atalaya: the node answered %ld\n", status);
	json_decref(e);
}

#define JSON_ANSWER_MAX ((size_t)1 << 32) /* a JSON answer decoded whole (4 GiB) */

json_t *client_json(struct client *c, const char *method, const char *path, json_t *body)
{
	struct buf out;
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_t *res = NULL;

	buf_init(&out, JSON_ANSWER_MAX);
	long status =
	    client_call(c, method, path, text, text ? strlen(text) : 0, "application/json", &out);
	free(text);
	if (status >= 200 && status < 300) {
		res = out.len ? json_loadb(out.data, out.len, 0, NULL) : json_null();
		if (!res)
			fprintf(stderr,
				"atalaya: the node answered %ld with a body that is not JSON\n",
				status);
	} else {
		client_print_error(status, &out);
	}
	buf_release(&out);
	return res;
}

int client_print(struct client *c, const char *method, const char *path, json_t *body)
{
	json_t *res = client_json(c, method, path, body);
	if (!res)
		return 1;
	print_json(res);
	json_decref(res);
	return 0;
}
