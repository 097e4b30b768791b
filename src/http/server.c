#include "http/server.h"

#include "http/metrics.h"
#include "http/router.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct server {
	struct MHD_Daemon *mhd;
	struct node *node;
	char *cert, *key;
};

static int parse_hostport(const char *s, char *host, size_t hsize, char *port, size_t psize)
{
	const char *colon;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return ERR_INVALID;
		snprintf(host, hsize, "%.*s", (int)(close - s - 1), s + 1);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return ERR_INVALID;
		snprintf(host, hsize, "%.*s", (int)(colon - s), s);
	}
	snprintf(port, psize, "%s", colon + 1);
	return *port ? ERR_OK : ERR_INVALID;
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

int server_bind(const struct config *cfg, int *fd, struct err_detail *err)
{
	char host[256], port[16];
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai = NULL;
	int s = -1, one = 1, rc;

	if (parse_hostport(cfg->listen, host, sizeof(host), port, sizeof(port)))
		return err_set(err, ERR_INVALID, "listen", "listen: '%s' is not host:port",
			       cfg->listen);
	rc = getaddrinfo(*host ? host : NULL, port, &hints, &ai);
	if (rc)
		return err_set(err, ERR_INVALID, "listen", "listen: %s: %s", cfg->listen,
			       gai_strerror(rc));
	if (!is_loopback(ai->ai_addr) && !*cfg->tls_cert && !cfg->insecure_listen) {
		freeaddrinfo(ai);
		return err_set(err, ERR_INVALID, "listen",
			       "listen: %s is not a loopback address; serve it with --tls-cert and "
			       "--tls-key, or accept plain HTTP with --insecure-listen",
			       cfg->listen);
	}
	s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, ai->ai_addr, ai->ai_addrlen) || listen(s, 1024)) {
		rc = err_set(err, ERR_IO, "listen", "listen: cannot bind %s: %s", cfg->listen,
			     strerror(errno));
		if (s >= 0)
			close(s);
		freeaddrinfo(ai);
		return rc;
	}
	freeaddrinfo(ai);
	*fd = s;
	return ERR_OK;
}

int server_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static struct request *request_new(struct server *s, struct MHD_Connection *conn,
				   const char *method, const char *url)
{
	struct request *r = xcalloc(1, sizeof(*r));
	r->node = s->node;
	r->conn = conn;
	r->method = method;
	r->url = url;
	r->started_ns = time_mono_ns();
	r->route_index = (size_t)-1;
	arena_init(&r->arena);
	buf_init(&r->body, (size_t)s->node->cfg->body_max);
	buf_init(&r->out, SIZE_MAX / 2);
	return r;
}

static void request_free(struct request *r)
{
	if (r->route_cleanup)
		r->route_cleanup(r);
	if (r->response)
		MHD_destroy_response(r->response);
	buf_release(&r->body);
	buf_release(&r->out);
	arena_release(&r->arena);
	free(r);
}

/* Route, authentication, role and size checks: everything that can be
 * decided from the request line and headers, before any body is read. */
static void prepare(struct request *r)
{
	char allow[64];
	const char *path = r->url;

	switch (router_find(r, r->method, path, allow, sizeof(allow))) {
	case ROUTER_NO_PATH:
		http_error(r, 404, "not_found", NULL, "no route %s %s", r->method, path);
		return;
	case ROUTER_BAD_METHOD:
		http_error(r, 405, "method_not_allowed", NULL, "%s is not allowed on %s (allowed: %s)",
			   r->method, path, allow);
		snprintf(r->allow, sizeof(r->allow), "%s", allow);
		return;
	case ROUTER_FOUND: break;
	}
	if (!(r->route->flags & ROUTE_PUBLIC)) {
		const char *auth = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
		if (!auth || strncmp(auth, "Bearer ", 7)) {
			http_error(r, 401, "unauthorized", NULL,
				   "missing 'Authorization: Bearer <token>' header");
			return;
		}
		if (directory_authenticate(r->node->dir, auth + 7, strlen(auth + 7), &r->who)) {
			http_error(r, 401, "unauthorized", NULL, "unknown or revoked token");
			return;
		}
		r->authenticated = true;
		if ((r->route->flags & ROUTE_ADMIN) && r->who.role != ROLE_ADMIN) {
			http_error(r, 403, "forbidden", NULL, "this needs the admin role");
			return;
		}
		if ((r->route->flags & ROUTE_WRITE) && r->who.role == ROLE_READER) {
			http_error(r, 403, "forbidden", NULL, "this needs the analyst or admin role");
			return;
		}
	}
	const char *cl = http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		uint64_t max = (r->route->flags & ROUTE_STREAM) ? (uint64_t)r->node->cfg->report_body_max
								 : (uint64_t)r->node->cfg->body_max;
		char *end;
		unsigned long long n = strtoull(cl, &end, 10);
		if (*end || n > max)
			http_error(r, 413, "too_large", NULL,
				   "request body of %s bytes is over the limit of %" PRIu64 " bytes", cl,
				   max);
	}
}

static void take_body(struct request *r, const char *data, size_t n)
{
	r->body_bytes += n;
	if (r->route->flags & ROUTE_STREAM) {
		if (r->body_bytes > (uint64_t)r->node->cfg->report_body_max) {
			http_error(r, 413, "too_large", NULL, "request body over the limit of %" PRId64
				   " bytes", r->node->cfg->report_body_max);
			r->abort_upload = true;
		}
		else if (r->route->body(r, data, n) && !r->status)
			http_error(r, 500, "internal", NULL, "the body could not be taken");
		return;
	}
	if (buf_add(&r->body, data, n)) {
		http_error(r, 413, "too_large", NULL,
			   "request body over the limit of %" PRId64 " bytes", r->node->cfg->body_max);
		r->abort_upload = true;
	}
}

static enum MHD_Result respond(struct request *r)
{
	struct MHD_Response *resp = r->response;
	if (!resp) {
		size_t len;
		char *data = buf_detach(&r->out, &len);
		resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
		if (r->content_type)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	}
	r->response = NULL;
	if (r->status == 405)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	else if (r->status == 201 && r->location[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->next[0])
		MHD_add_response_header(resp, "X-Next-Cursor", r->next);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	r->queued = true;
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct server *s = cls;
	struct request *r = *con_cls;

	if (!r) {
		r = request_new(s, conn, method, url);
		*con_cls = r;
		prepare(r);
		/* Errors known from the headers are answered at once (the body is
		 * not read; MHD closes the connection). Everything else waits for
		 * the next call: queueing on the first call would lose keep-alive. */
		return r->status ? respond(r) : MHD_YES;
	}
	if (*upload_size) {
		if (!r->status)
			take_body(r, upload, *upload_size);
		*upload_size = 0;
		/* MHD takes no answer while a body is arriving: an error found in
		 * it is answered once the body is in (the rest is discarded). A body
		 * past its cap (sent without a Content-Length, or longer than it
		 * said) ends the connection rather than being read to its end. */
		if (r->abort_upload)
			return MHD_NO;
		return MHD_YES;
	}
	if (r->queued)
		return MHD_YES;
	if (r->status)
		return respond(r); /* an error found while the body arrived */
	r->route->handler(r);
	if (!r->status)
		http_error(r, 500, "internal", NULL, "the route gave no answer");
	return respond(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;
	struct request *r = *con_cls;
	if (!r)
		return;
	int64_t dur = time_mono_ns() - r->started_ns;
	metrics_observe(s->node->metrics, r->route_index, r->status, dur);
	if (s->node->cfg->access_log)
		log_info("event=http method=%s route=\"%s\" status=%d duration_ms=%.3f member=%" PRId64
			 "%s",
			 r->method, r->route ? r->route->pattern : r->url, r->status, (double)dur / 1e6,
			 r->authenticated ? r->who.member_id : 0,
			 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=true");
	request_free(r);
	*con_cls = NULL;
}

static char *read_file(const char *path, struct err_detail *err, const char *field)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[4096];
	size_t n;
	if (!f) {
		err_set(err, ERR_IO, field, "%s: cannot read %s: %s", field, path, strerror(errno));
		return NULL;
	}
	buf_init(&b, 1 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(&b, chunk, n))
			break;
	fclose(f);
	return buf_detach(&b, NULL);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_warn("event=http_server message=\"%s\"", msg);
}

int server_start(struct node *node, int fd, struct server **out, struct err_detail *err)
{
	struct server *s = xcalloc(1, sizeof(*s));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME; /* idle alert streams sleep in MHD */
	const struct config *cfg = node->cfg;

	s->node = node;
	if (*cfg->tls_cert) {
		s->cert = read_file(cfg->tls_cert, err, "tls_cert");
		s->key = s->cert ? read_file(cfg->tls_key, err, "tls_key") : NULL;
		if (!s->key) {
			free(s->cert);
			free(s);
			return ERR_IO;
		}
		flags |= MHD_USE_TLS;
	}
	struct MHD_OptionItem tls[] = {
		{MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, s->key},
		{MHD_OPTION_END, 0, NULL},
	};
	s->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->http_threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->http_connections_max,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->http_timeout_seconds,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_ARRAY, s->cert ? tls : tls + 2, MHD_OPTION_END);
	if (!s->mhd) {
		free(s->cert);
		free(s->key);
		free(s);
		return err_set(err, ERR_IO, "listen", "the HTTP server could not start%s",
			       *cfg->tls_cert ? " (check the TLS certificate and key)" : "");
	}
	*out = s;
	return ERR_OK;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->mhd);
	free(s->cert);
	if (s->key) {
		memset(s->key, 0, strlen(s->key));
		free(s->key);
	}
	free(s);
}
