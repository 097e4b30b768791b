#include "http/request.h"

#include "util/log.h"

void http_json(struct request *r, int status, json_t *body)
{
	r->status = status;
	r->content_type = "application/json";
	buf_reset(&r->out);
	if (r->internal) { /* a web page reads the value itself: no encoding */
		json_decref(r->internal_json);
		r->internal_json = body;
		return;
	}
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text) {
		buf_adds(&r->out,
			 "{\"error\":{\"code\":\"internal\",\"message\":\"cannot encode\"}}");
		r->status = 500;
		return;
	}
	if (buf_adds(&r->out, text))
		http_error(r, 500, "internal", NULL, "response larger than its buffer");
	free(text);
}

void http_error(struct request *r, int status, const char *code, const char *field, const char *fmt,
		...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->status = status;
	r->content_type = "application/json";
	if (r->response) {
		MHD_destroy_response(r->response);
		r->response = NULL;
	}
	buf_reset(&r->out);
	buf_adds(&r->out, "{\"error\":{\"code\":\"");
	buf_adds(&r->out, code);
	buf_adds(&r->out, "\",\"message\":");
	buf_add_json_str(&r->out, msg, strlen(msg));
	if (field && *field) {
		buf_adds(&r->out, ",\"field\":");
		buf_add_json_str(&r->out, field, strlen(field));
	}
	buf_adds(&r->out, "}}");
}

void http_error_detail(struct request *r, int rc, const struct err_detail *err)
{
	const char *msg = err && err->message[0] ? err->message : err_str(rc);
	const char *field = err ? err->field : NULL;
	switch (rc) {
	case ERR_SYNTAX: /* input that does not parse: JSON, a STIX pattern, XML */
		http_error(r, 400, "invalid_json", field, "%s", msg);
		break;
	case ERR_INVALID:
		http_error(r, 422,
			   !strncmp(msg, "unknown field", 13) ? "unknown_field"
			   : strstr(msg, "missing required")  ? "missing_field"
							      : "invalid_field",
			   field, "%s", msg);
		break;
	case ERR_NOT_FOUND: http_error(r, 404, "not_found", field, "%s", msg); break;
	case ERR_CONFLICT: http_error(r, 409, "conflict", field, "%s", msg); break;
	case ERR_TOO_LARGE: http_error(r, 413, "too_large", field, "%s", msg); break;
	case ERR_DENIED: http_error(r, 403, "forbidden", field, "%s", msg); break;
	case ERR_UNAUTH: http_error(r, 401, "unauthorized", field, "%s", msg); break;
	case ERR_UNSUPPORTED: http_error(r, 501, "not_implemented", field, "%s", msg); break;
	default:
		log_err("event=internal_error rc=%d error=\"%s\"", rc, msg);
		http_error(r, 500, "internal", NULL, "internal error; see the node's log");
	}
}

void http_no_content(struct request *r)
{
	r->status = 204;
	buf_reset(&r->out);
	r->content_type = NULL;
}

/* name=value pairs separated by '&', values taken as they are. */
static const char *internal_query(struct request *r, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = r->internal_query; p && *p;) {
		const char *end = strchr(p, '&');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > n && p[n] == '=' && !memcmp(p, name, n))
			return arena_strndup(&r->arena, p + n + 1, len - n - 1);
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

const char *http_query(struct request *r, const char *name)
{
	if (r->internal)
		return internal_query(r, name);
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(struct request *r, const char *name)
{
	if (r->internal)
		return strcasecmp(name, MHD_HTTP_HEADER_CONTENT_TYPE) ? NULL
								      : r->internal_content_type;
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

bool http_parse_id(const char *s, int64_t *out)
{
	int64_t v = 0;
	if (!s || !*s || *s == '0' || strlen(s) > 18)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

bool http_require_self_or_admin(struct request *r, int64_t member)
{
	if (r->who.member_id == member || r->who.role == ROLE_ADMIN)
		return true;
	http_error(r, 403, "forbidden", NULL, "only member %" PRId64 " or an admin may do this",
		   member);
	return false;
}
