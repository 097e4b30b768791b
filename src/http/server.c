#include "http/server.h"

#include "http/metrics.h"
#include "http/router.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <sys/socket.h>

/* TLS 1.2 and 1.3 only. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define TLS_CHAIN_MAX 16
#define TLS_FILE_MAX ((size_t)1 << 20) /* a PEM certificate chain or key */
#define HTTP_PAGE_CSP                                                                              \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "                \
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/* A certificate chain with its key, as gnutls hands them to a handshake. */
struct server_tls {
	gnutls_pcert_st pcert[TLS_CHAIN_MAX];
	unsigned n;
	gnutls_privkey_t key;
	struct server_tls *older; /* pairs replaced by a reload: a session may still
				   * point at them, so they live as long as the server */
};

/* The pair new handshakes get; swapped by server_reload_tls. One server per
 * process: gnutls's retrieve callback has no closure of its own. */
static _Atomic(struct server_tls *) tls_current;

/* One per TCP connection (MHD's socket context), on the server's list from
 * MHD's "started" notification to its "closed" one, which MHD gives before it
 * closes the socket: under `lock`, `fd` is that connection's socket. */
enum conn_phase {
	CONN_WAITING, /* for the headers of its next request (or TLS handshake) */
	CONN_BUSY,    /* a request is being handled or answered */
	CONN_CUT,     /* shut down by the server: it takes no more requests */
};
struct conn {
	struct conn *prev, *next;
	int fd;
	_Atomic int phase;	    /* enum conn_phase; moved by compare-and-swap */
	_Atomic int64_t waiting_ns; /* since when it is CONN_WAITING */
};

struct server {
	struct MHD_Daemon *mhd;
	struct server_options o;
	int listen_fd;
	struct server_tls *tls; /* current and older pairs (NULL without TLS) */
	pthread_mutex_t lock;	/* the connection list and the reaper's wait */
	pthread_cond_t wake;
	struct conn *conns;
	bool stopping;	      /* the reaper ends */
	atomic_bool draining; /* answers close their connection */
	pthread_t reaper;
	bool reaper_started;
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

int server_bind(const struct server_options *o, int *fd, struct err_detail *err)
{
	char host[256], port[16];
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai = NULL;
	int s = -1, one = 1, rc;

	if (parse_hostport(o->listen, host, sizeof(host), port, sizeof(port)))
		return err_set(err, ERR_INVALID, "listen", "listen: '%s' is not host:port",
			       o->listen);
	rc = getaddrinfo(*host ? host : NULL, port, &hints, &ai);
	if (rc)
		return err_set(err, ERR_INVALID, "listen", "listen: %s: %s", o->listen,
			       gai_strerror(rc));
	if (!is_loopback(ai->ai_addr) && !*o->tls_cert && !o->insecure_listen) {
		freeaddrinfo(ai);
		return err_set(err, ERR_INVALID, "listen",
			       "listen: %s is not a loopback address; serve it with --tls-cert and "
			       "--tls-key, or accept plain HTTP with --insecure-listen",
			       o->listen);
	}
	s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, ai->ai_addr, ai->ai_addrlen) || listen(s, 1024)) {
		rc = err_set(err, ERR_IO, "listen", "listen: cannot bind %s: %s", o->listen,
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

static struct request *request_new(struct server *s, struct MHD_Connection *conn,
				   const char *method, const char *url)
{
	struct request *r = xcalloc(1, sizeof(*r));
	r->node = s->o.node;
	r->limits = &s->o.limits;
	r->conn = conn;
	r->method = method;
	r->url = url;
	r->started_ns = time_mono_ns();
	r->route_index = (size_t)-1;
	arena_init(&r->arena);
	buf_init(&r->body, (size_t)s->o.limits.body_max);
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

struct framing {
	const char *length; /* the first Content-Length */
	bool lengths_differ, chunked;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	struct framing *f = cls;
	if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
		if (!f->length)
			f->length = value ? value : "";
		else if (strcmp(f->length, value ? value : ""))
			f->lengths_differ = true;
	} else if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		f->chunked = true;
	}
	return MHD_YES;
}

/* A body's length said twice, differently (two Content-Length headers, or one
 * with a Transfer-Encoding): MHD believes one, a proxy in front may believe
 * the other (request smuggling, RFC 9112 6.3). Only requests that have one of
 * the headers pay for the walk over the headers. */
static bool framing_conflicts(struct request *r)
{
	struct framing f = {0};
	if (!http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH))
		return false;
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_framing, &f);
	if (f.lengths_differ) {
		http_error(r, 400, "bad_request", "Content-Length",
			   "Content-Length: the request gives two different lengths");
		r->abort_upload = true; /* the connection closes after the answer */
		return true;
	}
	if (f.chunked) {
		http_error(r, 400, "bad_request", "Content-Length",
			   "Content-Length: not allowed with Transfer-Encoding (send one of them)");
		r->abort_upload = true;
		return true;
	}
	return false;
}

/* HTTP Basic (RFC 7617) for clients that know no other scheme (TAXII
 * clients): the password is the token, the user name is not checked.
 * Returns the token inside `out`, or NULL when the credentials do not decode. */
static const char *basic_token(const char *b64, char *out, size_t size, size_t *n)
{
	size_t len = 0;
	if (sodium_base642bin((unsigned char *)out, size - 1, b64, strlen(b64), NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL))
		return NULL;
	out[len] = '\0';
	char *colon = memchr(out, ':', len);
	if (!colon)
		return NULL;
	*n = len - (size_t)(colon + 1 - out);
	return colon + 1;
}

/* Route, authentication, role and size checks: everything that can be
 * decided from the request line and headers, before any body is read. */
static void prepare(struct server *s, struct request *r)
{
	char allow[64];
	const char *path = r->url;

	if (framing_conflicts(r))
		return;
	switch (router_find(s->o.routes, s->o.nroutes, r, r->method, path, allow, sizeof(allow))) {
	case ROUTER_NO_PATH:
		http_error(r, 404, "not_found", NULL, "no route %s %s", r->method, path);
		return;
	case ROUTER_BAD_METHOD:
		http_error(r, 405, "method_not_allowed", NULL,
			   "%s is not allowed on %s (allowed: %s)", r->method, path, allow);
		snprintf(r->allow, sizeof(r->allow), "%s", allow);
		return;
	case ROUTER_FOUND: break;
	}
	if (!(r->route->flags & ROUTE_PUBLIC)) {
		const char *auth = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
		char basic[512];
		size_t n = 0;
		const char *token = NULL;
		if (auth && !strncmp(auth, "Bearer ", 7)) {
			token = auth + 7;
			n = strlen(token);
		} else if (auth && !strncmp(auth, "Basic ", 6)) {
			token = basic_token(auth + 6, basic, sizeof(basic), &n);
		}
		if (!token) {
			http_error(r, 401, "unauthorized", NULL,
				   "missing 'Authorization: Bearer <token>' header (or Basic, "
				   "with the token as the password)");
			return;
		}
		int bad = s->o.authenticate(s->o.node, token, n, &r->who);
		sodium_memzero(basic, sizeof(basic));
		if (bad) {
			http_error(r, 401, "unauthorized", NULL, "unknown or revoked token");
			return;
		}
		r->authenticated = true;
		if (!http_role_allowed(r))
			return;
	}
	const char *cl = http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		uint64_t max = (r->route->flags & ROUTE_STREAM)
				   ? (uint64_t)r->limits->report_body_max
				   : (uint64_t)r->limits->body_max;
		char *end;
		unsigned long long n = strtoull(cl, &end, 10);
		if (*end || n > max)
			http_error(r, 413, "too_large", NULL,
				   "request body of %s bytes is over the limit of %" PRIu64
				   " bytes",
				   cl, max);
	}
}

static void take_body(struct request *r, const char *data, size_t n)
{
	r->body_bytes += n;
	if (r->route->flags & ROUTE_STREAM) {
		if (r->body_bytes > (uint64_t)r->limits->report_body_max) {
			http_error(r, 413, "too_large", NULL,
				   "request body over the limit of %" PRId64 " bytes",
				   r->limits->report_body_max);
			r->abort_upload = true;
		} else if (r->route->body(r, data, n) && !r->status)
			http_error(r, 500, "internal", NULL, "the body could not be taken");
		return;
	}
	if (buf_add(&r->body, data, n)) {
		http_error(r, 413, "too_large", NULL,
			   "request body over the limit of %" PRId64 " bytes", r->limits->body_max);
		r->abort_upload = true;
	}
}

static enum MHD_Result respond(struct server *s, struct request *r)
{
	struct MHD_Response *resp = r->response;
	if (!resp) {
		size_t len;
		char *data = buf_detach(&r->out, &len);
		resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
		if (r->content_type)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
						r->content_type);
	}
	r->response = NULL;
	if (r->status == 405)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	else if ((r->status == 201 || r->status == 303) && r->location[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->cookie);
	if (r->content_type && !strncmp(r->content_type, "text/", 5)) {
		/* Pages (src/web/): no script or style but the node's own files, no
		 * framing, no referrer leaking report ids to other sites. */
		MHD_add_response_header(resp, "Content-Security-Policy", HTTP_PAGE_CSP);
		MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
		MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	}
	if (r->next[0])
		MHD_add_response_header(resp, "X-Next-Cursor", r->next);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (r->abort_upload || atomic_load_explicit(&s->draining, memory_order_relaxed))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	r->queued = true;
	return ret;
}

static struct conn *conn_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct server *s = cls;
	struct request *r = *con_cls;

	if (!r) {
		/* The connection is BUSY from here to on_completed; one that the
		 * server has cut (header deadline, shutdown) takes no request, so
		 * nothing is done that its client could not be told about. */
		struct conn *c = conn_of(conn);
		int phase = CONN_WAITING;
		if (c && !atomic_compare_exchange_strong(&c->phase, &phase, CONN_BUSY))
			return MHD_NO;
		r = request_new(s, conn, method, url);
		*con_cls = r;
		prepare(s, r);
		/* Errors known from the headers are answered at once (the body is
		 * not read; MHD closes the connection). Everything else waits for
		 * the next call: queueing on the first call would lose keep-alive. */
		return r->status ? respond(s, r) : MHD_YES;
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
		return respond(s, r); /* an error found while the body arrived */
	r->route->handler(r);
	if (!r->status)
		http_error(r, 500, "internal", NULL, "the route gave no answer");
	return respond(s, r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;
	struct request *r = *con_cls;
	if (!r)
		return;
	int64_t now = time_mono_ns(), dur = now - r->started_ns;
	struct conn *c = conn_of(conn);
	if (c) { /* waiting for the next request's headers, from now */
		int phase = CONN_BUSY;
		atomic_store_explicit(&c->waiting_ns, now, memory_order_relaxed);
		atomic_compare_exchange_strong(&c->phase, &phase, CONN_WAITING);
	}
	metrics_observe(s->o.metrics, r->route_index, r->status, dur);
	if (s->o.access_log)
		log_info(
		    "event=http method=%s route=\"%s\" status=%d duration_ms=%.3f member=%" PRId64
		    "%s",
		    r->method, r->route ? r->route->pattern : r->url, r->status, (double)dur / 1e6,
		    r->authenticated ? r->who.member_id : 0,
		    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=true");
	request_free(r);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct server *s = cls;
	struct conn *c = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		c = xcalloc(1, sizeof(*c));
		c->fd = ci ? ci->connect_fd : -1;
		atomic_init(&c->phase, CONN_WAITING);
		atomic_init(&c->waiting_ns, time_mono_ns());
		pthread_mutex_lock(&s->lock);
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		pthread_mutex_unlock(&s->lock);
		*socket_context = c;
		return;
	}
	if (!c)
		return;
	pthread_mutex_lock(&s->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&s->lock);
	free(c);
	*socket_context = NULL;
}

/* Shuts down (under s->lock) a connection that waits for a request: MHD sees
 * the end of the stream and closes it. */
static bool cut_if_waiting(struct conn *c)
{
	int phase = CONN_WAITING;
	if (c->fd < 0 || !atomic_compare_exchange_strong(&c->phase, &phase, CONN_CUT))
		return false;
	shutdown(c->fd, SHUT_RDWR);
	return true;
}

/* The header deadline: MHD's own timeout restarts at every byte, so a client
 * that sends one byte of its headers every few seconds would hold its
 * connection forever. Once a second, connections that have waited longer
 * than http_header_timeout_seconds for a request's headers are cut. */
static void *reaper_main(void *arg)
{
	struct server *s = arg;
	const int64_t limit = s->o.header_timeout_seconds * 1000000000LL;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&s->wake, &s->lock, &until);
		if (s->stopping)
			break;
		int64_t now = time_mono_ns();
		unsigned cut = 0;
		/* The phase first: seen WAITING, the time it was set at is visible. */
		for (struct conn *c = s->conns; c; c = c->next)
			if (atomic_load(&c->phase) == CONN_WAITING &&
			    now - atomic_load_explicit(&c->waiting_ns, memory_order_relaxed) >
				limit &&
			    cut_if_waiting(c))
				cut++;
		if (cut)
			log_info("event=http_header_timeout connections=%u seconds=%" PRId64, cut,
				 s->o.header_timeout_seconds);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static char *read_file(const char *path, struct err_detail *err, const char *field, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct buf b;
	char chunk[4096];
	ssize_t n;
	if (fd < 0) {
		err_set(err, ERR_IO, field, "%s: cannot read %s: %s", field, path, strerror(errno));
		return NULL;
	}
	buf_init(&b, TLS_FILE_MAX);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_add(&b, chunk, (size_t)n))
			break;
	close(fd);
	char *text = buf_detach(&b, len);
	sodium_memzero(chunk, sizeof(chunk));
	return text;
}

void server_tls_free(struct server_tls *t)
{
	while (t) {
		struct server_tls *older = t->older;
		for (unsigned i = 0; i < t->n; i++)
			gnutls_pcert_deinit(&t->pcert[i]);
		if (t->key)
			gnutls_privkey_deinit(t->key);
		free(t);
		t = older;
	}
}

/* True when `key` is the private half of the first certificate's key. */
static bool key_matches(struct server_tls *t)
{
	unsigned char a[64], b[64];
	size_t an = sizeof(a), bn = sizeof(b);
	gnutls_pubkey_t pub;
	bool same = false;
	if (gnutls_pubkey_init(&pub) < 0)
		return false;
	if (gnutls_pubkey_import_privkey(pub, t->key, 0, 0) >= 0 &&
	    gnutls_pubkey_get_key_id(pub, 0, a, &an) >= 0 &&
	    gnutls_pubkey_get_key_id(t->pcert[0].pubkey, 0, b, &bn) >= 0)
		same = an == bn && !memcmp(a, b, an);
	gnutls_pubkey_deinit(pub);
	return same;
}

int server_tls_load(const struct server_options *o, struct server_tls **out, struct err_detail *err)
{
	struct server_tls *t = NULL;
	size_t cn = 0, kn = 0;
	char *cert = NULL, *key = NULL;
	int rc = ERR_OK, g;

	*out = NULL;
	if (!*o->tls_cert)
		return ERR_OK;
	cert = read_file(o->tls_cert, err, "tls_cert", &cn);
	key = cert ? read_file(o->tls_key, err, "tls_key", &kn) : NULL;
	if (!key) {
		rc = ERR_IO;
		goto out;
	}
	t = xcalloc(1, sizeof(*t));
	gnutls_datum_t cd = {(unsigned char *)cert, (unsigned)cn};
	gnutls_datum_t kd = {(unsigned char *)key, (unsigned)kn};
	t->n = TLS_CHAIN_MAX;
	g = gnutls_pcert_list_import_x509_raw(t->pcert, &t->n, &cd, GNUTLS_X509_FMT_PEM, 0);
	if (g < 0 || !t->n) {
		t->n = 0;
		rc = err_set(err, ERR_INVALID, "tls_cert",
			     "tls_cert: %s: not a PEM certificate chain of at most %d (%s)",
			     o->tls_cert, TLS_CHAIN_MAX, gnutls_strerror(g));
		goto out;
	}
	if ((g = gnutls_privkey_init(&t->key)) < 0 ||
	    (g = gnutls_privkey_import_x509_raw(t->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		rc = err_set(err, ERR_INVALID, "tls_key",
			     "tls_key: %s: not a PEM private key without passphrase (%s)",
			     o->tls_key, gnutls_strerror(g));
		goto out;
	}
	if (!key_matches(t))
		rc = err_set(err, ERR_INVALID, "tls_key",
			     "tls_key: %s is not the key of the certificate in %s", o->tls_key,
			     o->tls_cert);
out:
	free(cert);
	if (key) {
		sodium_memzero(key, kn);
		free(key);
	}
	if (rc)
		server_tls_free(t);
	else
		*out = t;
	return rc;
}

static int tls_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
			const gnutls_pk_algorithm_t *algos, int nalgos, gnutls_pcert_st **pcert,
			unsigned int *pcert_length, gnutls_privkey_t *key)
{
	struct server_tls *t = atomic_load_explicit(&tls_current, memory_order_acquire);
	if (!t)
		return -1;
	*pcert = t->pcert;
	*pcert_length = t->n;
	*key = t->key;
	return 0;
}

int server_reload_tls(struct server *s, bool *reloaded, struct err_detail *err)
{
	struct server_tls *t;
	*reloaded = false;
	if (!s->tls)
		return ERR_OK;
	int rc = server_tls_load(&s->o, &t, err);
	if (rc)
		return rc;
	/* Only the main thread reloads; handshakes read tls_current. */
	t->older = s->tls;
	s->tls = t;
	atomic_store_explicit(&tls_current, t, memory_order_release);
	*reloaded = true;
	return ERR_OK;
}

/* At most a few lines a second from libmicrohttpd: a client that makes it
 * complain (bad requests, connections over a limit) must not flood the log. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	static _Atomic int64_t window;
	static atomic_uint lines, dropped;
	int64_t now = time_mono_ns() / 1000000000LL, w = atomic_load(&window);
	if (now != w && atomic_compare_exchange_strong(&window, &w, now)) {
		unsigned d = atomic_exchange(&dropped, 0);
		atomic_store(&lines, 0);
		if (d)
			log_warn("event=http_server suppressed=%u", d);
	}
	if (atomic_fetch_add(&lines, 1) >= 5) {
		atomic_fetch_add(&dropped, 1);
		return;
	}
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_warn("event=http_server message=\"%s\"", msg);
}

int server_start(const struct server_options *o, int fd, struct server_tls *tls,
		 struct server **out, struct err_detail *err)
{
	struct server *s = xcalloc(1, sizeof(*s));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME | /* idle alert streams sleep in MHD */
			 MHD_USE_ITC;		    /* for MHD_quiesce_daemon */
	pthread_condattr_t ca;

	s->o = *o;
	s->listen_fd = fd;
	s->tls = tls;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&s->draining, false);
	if (tls) {
		atomic_store(&tls_current, tls);
		flags |= MHD_USE_TLS;
	}
	struct MHD_OptionItem tls_opts[] = {
	    {MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)tls_retrieve},
	    {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES},
	    {MHD_OPTION_END, 0, NULL},
	};
	/* The reaper only walks the connection list: it may start first. */
	if (pthread_create(&s->reaper, NULL, reaper_main, s)) {
		server_tls_free(tls);
		free(s);
		return err_set(err, ERR_IO, "", "cannot start the HTTP reaper thread");
	}
	s->reaper_started = true;
	s->mhd = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE, o->threads,
	    MHD_OPTION_CONNECTION_LIMIT, o->connections_max, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    o->connections_per_ip, MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_seconds,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION,
	    on_connection, s, MHD_OPTION_ARRAY, tls ? tls_opts : tls_opts + 2, MHD_OPTION_END);
	if (!s->mhd) {
		s->listen_fd = -1; /* the caller still owns it */
		server_stop(s);
		return err_set(err, ERR_IO, "listen", "the HTTP server could not start%s",
			       tls ? " (check the TLS certificate and key)" : "");
	}
	*out = s;
	return ERR_OK;
}

void server_quiesce(struct server *s)
{
	if (!s || atomic_exchange(&s->draining, true))
		return;
	/* MHD stops polling the socket; shutting it down makes the kernel refuse
	 * new connections (and reset those not yet accepted) at once. It is
	 * closed after MHD_stop_daemon, as MHD asks. */
	if (MHD_quiesce_daemon(s->mhd) != MHD_INVALID_SOCKET && s->listen_fd >= 0)
		shutdown(s->listen_fd, SHUT_RDWR);
	else
		s->listen_fd = -1;
}

unsigned server_inflight(struct server *s)
{
	unsigned busy = 0;
	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	for (struct conn *c = s->conns; c; c = c->next)
		if (!cut_if_waiting(c) && atomic_load(&c->phase) == CONN_BUSY)
			busy++;
	pthread_mutex_unlock(&s->lock);
	return busy;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	if (s->reaper_started) {
		pthread_mutex_lock(&s->lock);
		s->stopping = true;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->reaper, NULL);
	}
	if (s->mhd)
		MHD_stop_daemon(s->mhd); /* closes what is left; the list empties */
	if (atomic_load(&s->draining) && s->listen_fd >= 0)
		close(s->listen_fd);
	atomic_store(&tls_current, NULL);
	server_tls_free(s->tls);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
