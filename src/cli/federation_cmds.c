#include "cli/federation_cmds.h"

#include "cli/args.h"

static int show(struct client *c, const char *method, const char *path, json_t *body)
{
	json_t *res = client_json(c, method, path, body);
	json_decref(body);
	if (!res)
		return 1;
	print_json(res);
	json_decref(res);
	return 0;
}

static int node_show(struct client *c, int argc, char **argv)
{
	return show(c, "GET", "/api/v1/node", NULL);
}

/* `peer add URL --key ed25519:HEX --name NAME [--audience LIST] [--tls-pin sha256//B64]` */
static int peer_add(struct client *c, int argc, char **argv)
{
	const char *key = arg_value(argc, argv, "--key"), *name = arg_value(argc, argv, "--name");
	const char *aud = arg_value(argc, argv, "--audience"),
		   *pin = arg_value(argc, argv, "--tls-pin");
	if (!key || !name) {
		fprintf(stderr,
			"atalaya peer add: --key ed25519:HEX and --name NAME are required\n");
		return 2;
	}
	json_t *b = json_pack("{ss ss ss}", "url", arg_positional(argc, argv, 1), "public_key", key,
			      "name", name);
	json_t *items = json_array();
	for (const char *p = aud; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		json_array_append_new(items, json_stringn(p, n));
		p += n + (comma ? 1 : 0);
	}
	json_object_set_new(b, "audience", items);
	if (pin)
		json_object_set_new(b, "tls_pin", json_string(pin));
	return show(c, "POST", "/api/v1/peers", b);
}

static int peer_list(struct client *c, int argc, char **argv)
{
	json_t *r = client_json(c, "GET", "/api/v1/peers", NULL);
	size_t i;
	json_t *p;
	if (!r)
		return 1;
	if (arg_flag(argc, argv, "--json")) {
		print_json(json_object_get(r, "items"));
		json_decref(r);
		return 0;
	}
	json_array_foreach(json_object_get(r, "items"), i, p)
	{
		json_t *err = json_object_get(p, "last_error");
		json_t *contact = json_object_get(p, "last_contact");
		printf("%" JSON_INTEGER_FORMAT
		       "  %s  %s  last contact %s  behind %" JSON_INTEGER_FORMAT
		       " reports / %" JSON_INTEGER_FORMAT " s  in %" JSON_INTEGER_FORMAT
		       " reports, %" JSON_INTEGER_FORMAT " bytes  out %" JSON_INTEGER_FORMAT
		       " bytes  errors %" JSON_INTEGER_FORMAT "%s%s\n",
		       json_integer_value(json_object_get(p, "id")),
		       json_string_value(json_object_get(p, "name")),
		       json_string_value(json_object_get(p, "url")),
		       json_is_string(contact) ? json_string_value(contact) : "never",
		       json_integer_value(json_object_get(p, "lag_reports")),
		       json_integer_value(json_object_get(p, "lag_seconds")),
		       json_integer_value(json_object_get(p, "reports_in")),
		       json_integer_value(json_object_get(p, "bytes_in")),
		       json_integer_value(json_object_get(p, "bytes_out")),
		       json_integer_value(json_object_get(p, "errors")),
		       json_is_string(err) ? "  last error: " : "",
		       json_is_string(err) ? json_string_value(err) : "");
	}
	json_decref(r);
	return 0;
}

static int peer_show(struct client *c, int argc, char **argv)
{
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/peers/%s", arg_positional(argc, argv, 1));
	return show(c, "GET", path, NULL);
}

static int peer_delete(struct client *c, int argc, char **argv)
{
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/peers/%s", arg_positional(argc, argv, 1));
	json_t *r = client_json(c, "DELETE", path, NULL);
	json_decref(r);
	return r ? 0 : 1;
}

static int peer_sync(struct client *c, int argc, char **argv)
{
	char path[128];
	snprintf(path, sizeof(path), "/api/v1/peers/%s/sync", arg_positional(argc, argv, 1));
	return show(c, "POST", path, NULL);
}

const struct cli_subcommand cli_node_subs[] = {
    {"show", "show", "name, country, public key and its fingerprint (to read out)", 0, NULL,
     node_show},
    {0},
};

const struct cli_subcommand cli_peer_subs[] = {
    {"add", "add URL --key ed25519:HEX --name NAME [--audience LIST] [--tls-pin sha256//B64]",
     "add a peer node; LIST: who here sees the reports it sends (all, group:ID, member:ID)", 1,
     NULL, peer_add},
    {"list", "list [--json]", "each peer: last contact, how far behind, bytes, errors", 0, NULL,
     peer_list},
    {"show", "show ID", "one peer", 1, NULL, peer_show},
    {"delete", "delete ID", "stop trusting a peer node: its key opens nothing here any more", 1,
     NULL, peer_delete},
    {"sync", "sync ID", "pull the peer's feed now; prints the peer after it", 1, NULL, peer_sync},
    {0},
};
