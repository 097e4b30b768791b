#include "web/call.h"

#include "http/router.h"
#include "routes.h"
#include "util/xalloc.h"

static void run(struct request *sub, const char *body, size_t n)
{
	const struct route *rt = sub->route;
	if (!http_role_allowed(sub))
		return;
	if (rt->flags & ROUTE_STREAM) {
		if (n > (uint64_t)sub->limits->report_body_max) {
			http_error(sub, 413, "too_large", NULL, "request body over the limit");
			return;
		}
		sub->body_bytes = n;
		if (n && rt->body(sub, body, n) && !sub->status)
			http_error(sub, 500, "internal", NULL, "the body could not be taken");
		if (sub->status)
			return;
	} else if (n && buf_add(&sub->body, body, n)) {
		http_error(sub, 413, "too_large", NULL, "request body over the limit");
		return;
	}
	rt->handler(sub);
	if (!sub->status)
		http_error(sub, 500, "internal", NULL, "the route gave no answer");
}

/* The sub-request of METHOD PATH as the page's user, run; free with
 * sub_free. */
static struct request *sub_run(struct request *page, const char *method, const char *path,
			       const char *query, const char *content_type, const char *body,
			       size_t n)
{
	size_t nroutes;
	const struct route *routes = routes_all(&nroutes);
	struct request *sub = xcalloc(1, sizeof(*sub));
	char allow[64];

	sub->node = page->node;
	sub->limits = page->limits;
	sub->conn = page->conn;
	sub->method = method;
	sub->url = path;
	sub->who = page->who;
	sub->authenticated = true;
	sub->internal = true;
	sub->internal_query = query;
	sub->internal_content_type = content_type;
	sub->route_index = (size_t)-1;
	arena_init(&sub->arena);
	buf_init(&sub->body, (size_t)page->limits->body_max);
	buf_init(&sub->out, SIZE_MAX / 2);
	if (router_find(routes, nroutes, sub, method, path, allow, sizeof(allow)) != ROUTER_FOUND)
		http_error(sub, 404, "not_found", NULL, "no route %s %s", method, path);
	else
		run(sub, body, n);
	return sub;
}

static void sub_free(struct request *sub)
{
	json_decref(sub->internal_json);
	if (sub->route_cleanup)
		sub->route_cleanup(sub);
	if (sub->response)
		MHD_destroy_response(sub->response);
	buf_release(&sub->body);
	buf_release(&sub->out);
	arena_release(&sub->arena);
	free(sub);
}

void web_call(struct request *page, const char *method, const char *path, const char *query,
	      const char *content_type, const char *body, size_t n, struct web_call *out)
{
	struct request *sub = sub_run(page, method, path, query, content_type, body, n);
	out->status = sub->status;
	/* text when the route wrote it (an error, CSV), else http_json's value */
	out->json = sub->out.len ? json_loadb(sub->out.data, sub->out.len, 0, NULL)
				 : json_incref(sub->internal_json);
	sub_free(sub);
}

void web_call_pass(struct request *page, const char *path, const char *query)
{
	struct request *sub = sub_run(page, "GET", path, query, NULL, NULL, 0);
	page->status = sub->status;
	page->content_type = sub->content_type; /* the routes' types are static strings */
	buf_reset(&page->out);
	if (!sub->out.len && sub->internal_json) {
		char *text = json_dumps(sub->internal_json, JSON_COMPACT);
		buf_adds(&page->out, text ? text : "");
		free(text);
	} else
		buf_add(&page->out, sub->out.data, sub->out.len);
	sub_free(sub);
}

void web_call_release(struct web_call *c)
{
	json_decref(c->json);
	c->json = NULL;
}

json_t *web_call_error(const struct web_call *c)
{
	return json_object_get(c->json, "error");
}
