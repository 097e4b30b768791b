/* The node's own routes, beside the route list: liveness, Prometheus
 * metrics and the OpenAPI document; no token needed. */
#include "http/answer.h"
#include "node.h"
#include "routes.h"

#include "federation/federation.h"
#include "http/metrics.h"
#include "spam/service.h"

extern const char openapi_json[];
extern const size_t openapi_json_len;

/* Liveness only: no work, so that it measures the server itself (a store
 * that fails shows in the answers of every other route and in /metrics). */
static void get_health(struct request *r)
{
	r->status = 200;
	r->content_type = "application/json";
	buf_adds(&r->out, "{\"status\":\"ok\",\"version\":\"0.1.0\",\"node\":");
	buf_add_json_str(&r->out, r->node->node_name, strlen(r->node->node_name));
	buf_adds(&r->out, "}");
}

static void get_metrics(struct request *r)
{
	size_t n;
	const struct route *routes = routes_all(&n);
	const char **names = arena_alloc(&r->arena, (n + 1) * sizeof(*names));
	char *label;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(routes[i].method) + strlen(routes[i].pattern) + 2;
		label = arena_alloc(&r->arena, len);
		snprintf(label, len, "%s %s", routes[i].method, routes[i].pattern);
		names[i] = label;
	}
	r->status = 200;
	r->content_type = "text/plain; version=0.0.4";
	metrics_render(r->node->metrics, names, store_size_bytes(r->node->st), &r->out);
	spam_dns_metrics(r->node->spam, &r->out);
	federation_metrics(r->node, &r->out);
}

static void get_openapi(struct request *r)
{
	r->status = 200;
	r->content_type = "application/json";
	r->response = MHD_create_response_from_buffer(openapi_json_len, (void *)openapi_json,
						      MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r->response, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
}

const struct route health_routes[] = {
    {"GET", "/api/v1/health", get_health, ROUTE_PUBLIC, NULL, "is the node up"},
    {"GET", "/metrics", get_metrics, ROUTE_PUBLIC, NULL, "Prometheus metrics"},
    {"GET", "/api/v1/openapi.json", get_openapi, ROUTE_PUBLIC, NULL, "this API, OpenAPI 3.1"},
    {0},
};
