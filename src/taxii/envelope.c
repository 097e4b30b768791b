/* A TAXII envelope in, the text of a STIX bundle out: POSTed envelopes and
 * pulled pages both enter the node through the ordinary intake. Pure; any thread. */
#include "http/reqjson.h"
#include "report/ingest.h"
#include "taxii/taxii.h"
#include "util/buf.h"

int taxii_envelope_to_bundle(const char *data, size_t n, size_t depth_max, char **bundle_out,
			     size_t *len_out, json_t **objects_out, struct err_detail *err)
{
	json_error_t je;
	json_t *env = NULL, *objs;
	struct buf b;
	char uuid[37];
	int rc = ERR_OK;

	*bundle_out = NULL;
	*len_out = 0;
	if (reqjson_depth(data, n, depth_max) > depth_max)
		return err_set(err, ERR_INVALID, "", "the envelope nests deeper than %zu levels",
			       depth_max);
	env = json_loadb(data, n, JSON_REJECT_DUPLICATES, &je);
	if (!env)
		return err_set(err, ERR_SYNTAX, "", "not JSON: line %d: %s", je.line, je.text);
	objs = json_is_array(env) ? env : json_object_get(env, "objects");
	if (!json_is_object(env) && !json_is_array(env)) {
		rc = err_set(err, ERR_INVALID, "", "the body must be a TAXII envelope (an object)");
		goto out;
	}
	if (!json_is_array(objs)) {
		rc = err_set(err, ERR_INVALID, "objects",
			     "objects: required, an array of STIX objects");
		goto out;
	}
	if (!json_array_size(objs)) {
		rc = err_set(err, ERR_INVALID, "objects", "objects: the envelope holds no object");
		goto out;
	}
	buf_init(&b, SIZE_MAX / 2);
	report_new_uuid(uuid);
	buf_addf(&b, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[", uuid);
	for (size_t i = 0; i < json_array_size(objs); i++) {
		json_t *o = json_array_get(objs, i);
		if (!json_is_object(o)) {
			buf_release(&b);
			rc = err_set(err, ERR_INVALID, "objects", "objects[%zu]: not a JSON object",
				     i);
			goto out;
		}
		char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (i)
			buf_addc(&b, ',');
		buf_adds(&b, text);
		free(text);
	}
	buf_adds(&b, "]}");
	*bundle_out = buf_detach(&b, len_out);
	if (objects_out)
		*objects_out = json_incref(objs);
out:
	json_decref(env);
	return rc;
}
