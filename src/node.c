/* The few helpers that join a request, or a report, to the node it runs on. */
#include "node.h"

#include "http/request.h"
#include "util/xalloc.h"

struct store_conn *node_reader(struct request *r)
{
	struct store_conn *c = store_reader(r->node->st);
	if (!c)
		http_error(r, 500, "internal", NULL,
			   "the store cannot be read; see the node's log");
	return c;
}

char *node_report_file(const struct node *node, const char *report_id, const char *ext)
{
	size_t n = strlen(node->cfg->data_dir) + strlen(report_id) + 32;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/reports/%s.%s", node->cfg->data_dir, report_id, ext);
	return p;
}
