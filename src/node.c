/* The few helpers that join a request to the node it runs on. */
#include "node.h"

#include "http/request.h"

struct store_conn *node_reader(struct request *r)
{
	struct store_conn *c = store_reader(r->node->st);
	if (!c)
		http_error(r, 500, "internal", NULL,
			   "the store cannot be read; see the node's log");
	return c;
}
