#include "hub_crd.h"

#include <stdio.h>
#include <string.h>

#include "sw_err.h"

/*
 * Structural schemas of the built-in kinds, written for the hub from the
 * Kubernetes v1 API types (the real apiserver validates these in Go code;
 * the hub prunes and type-checks them with the same machinery as CRDs).
 * Only the fields the swarm and kubectl use are typed; the rest of each
 * kind's documented fields are listed so that they are kept, not pruned.
 */
#define STR "{\"type\":\"string\"}"
#define MAP_STR "{\"type\":\"object\",\"additionalProperties\":" STR "}"
#define ANY_OBJ "{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}"
#define TOP "\"apiVersion\":" STR ",\"kind\":" STR ",\"metadata\":{\"type\":\"object\"}"

static const char namespace_schema[] =
	"{\"type\":\"object\",\"properties\":{" TOP
	",\"spec\":{\"type\":\"object\",\"properties\":{\"finalizers\":{\"type\":\"array\",\"items\":" STR "}}}"
	",\"status\":{\"type\":\"object\",\"properties\":{\"phase\":{\"type\":\"string\",\"enum\":[\"Active\",\"Terminating\"]},"
	"\"conditions\":{\"type\":\"array\",\"items\":" ANY_OBJ "}}}}}";

static const char secret_schema[] =
	"{\"type\":\"object\",\"properties\":{" TOP
	",\"type\":" STR ",\"immutable\":{\"type\":\"boolean\"}"
	",\"data\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\",\"format\":\"byte\"}}"
	",\"stringData\":" MAP_STR "}}";

static const char configmap_schema[] =
	"{\"type\":\"object\",\"properties\":{" TOP
	",\"immutable\":{\"type\":\"boolean\"},\"data\":" MAP_STR
	",\"binaryData\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\",\"format\":\"byte\"}}}}";

#define OBJREF "{\"type\":\"object\",\"properties\":{\"kind\":" STR ",\"namespace\":" STR ",\"name\":" STR \
	",\"uid\":" STR ",\"apiVersion\":" STR ",\"resourceVersion\":" STR ",\"fieldPath\":" STR "}}"
static const char event_schema[] =
	"{\"type\":\"object\",\"properties\":{" TOP
	",\"involvedObject\":" OBJREF ",\"related\":" OBJREF
	",\"reason\":" STR ",\"message\":" STR ",\"type\":" STR ",\"action\":" STR
	",\"source\":{\"type\":\"object\",\"properties\":{\"component\":" STR ",\"host\":" STR "}}"
	",\"firstTimestamp\":{\"type\":\"string\",\"format\":\"date-time\",\"nullable\":true}"
	",\"lastTimestamp\":{\"type\":\"string\",\"format\":\"date-time\",\"nullable\":true}"
	",\"eventTime\":{\"type\":\"string\",\"nullable\":true}"
	",\"count\":{\"type\":\"integer\",\"format\":\"int32\"}"
	",\"series\":" ANY_OBJ
	",\"reportingComponent\":" STR ",\"reportingInstance\":" STR "}}";

static const char *const builtin[] = {
	[KUBE_RES_NAMESPACE] = namespace_schema,
	[KUBE_RES_SECRET] = secret_schema,
	[KUBE_RES_CONFIGMAP] = configmap_schema,
	[KUBE_RES_EVENT] = event_schema,
};

void hub_defs_free(struct hub_defs *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < KUBE_RES_COUNT; i++) {
		if (d->r[i].crd)
			json_decref(d->r[i].crd);
		else
			json_decref(d->r[i].schema);
		d->r[i].crd = d->r[i].schema = d->r[i].columns = NULL;
	}
}

static int load_crd(struct hub_defs *d, const struct hub_crd_source *src, char *err, size_t errlen)
{
	json_error_t je;
	json_t *crd = json_loads(src->json, 0, &je);
	if (!crd) {
		snprintf(err, errlen, "CRD %s: %s", src->name, je.text);
		return SW_ERR_PARSE;
	}
	const char *group = json_string_value(json_object_get(crd, "group"));
	json_t *names = json_object_get(crd, "names");
	const char *plural = json_string_value(json_object_get(names, "plural"));
	const char *kind = json_string_value(json_object_get(names, "kind"));
	const char *scope = json_string_value(json_object_get(crd, "scope"));
	const struct kube_res *r = NULL;
	size_t i;
	json_t *v = NULL;
	json_array_foreach(json_object_get(crd, "versions"), i, v) {
		const char *vn = json_string_value(json_object_get(v, "name"));
		r = kube_res_find(group ? group : "", vn ? vn : "", plural ? plural : "");
		if (r && json_is_true(json_object_get(v, "served")))
			break;
		r = NULL;
	}
	if (!r || !kind || strcmp(kind, r->kind) != 0 || !scope ||
	    (strcmp(scope, "Namespaced") == 0) != r->namespaced) {
		snprintf(err, errlen, "CRD %s: group/version/plural/kind/scope disagree with the kube_res table",
		         src->name);
		json_decref(crd);
		return SW_ERR_PARSE;
	}
	struct hub_resdef *rd = &d->r[r->id];
	if (rd->crd) {
		snprintf(err, errlen, "CRD %s: defined twice", src->name);
		json_decref(crd);
		return SW_ERR_PARSE;
	}
	rd->res = r;
	rd->crd = crd;
	rd->src = src;
	rd->schema = json_object_get(json_object_get(v, "schema"), "openAPIV3Schema");
	if (!rd->schema)
		rd->schema = json_object_get(v, "schema"); /* gen_crds.py keeps openAPIV3Schema only */
	rd->columns = json_object_get(v, "additionalPrinterColumns");
	rd->status_sub = json_object_get(json_object_get(v, "subresources"), "status") != NULL;
	if (rd->status_sub != r->has_status || !json_is_object(rd->schema)) {
		snprintf(err, errlen, "CRD %s: status subresource or schema disagrees with the kube_res table",
		         src->name);
		return SW_ERR_PARSE;
	}
	return 0;
}

int hub_defs_load(struct hub_defs *d, char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	for (unsigned i = 0; i < hub_crd_nsources; i++) {
		int rv = load_crd(d, &hub_crd_sources[i], err, errlen);
		if (rv)
			return rv;
	}
	for (size_t i = 0; i < KUBE_RES_COUNT; i++) {
		const struct kube_res *r = kube_res_get((enum kube_res_id)i);
		struct hub_resdef *rd = &d->r[i];
		if (r->is_crd) {
			if (!rd->crd) {
				snprintf(err, errlen, "no CRD for %s", r->plural);
				return SW_ERR_PARSE;
			}
			continue;
		}
		json_error_t je;
		rd->res = r;
		rd->schema = json_loads(builtin[i], 0, &je);
		rd->status_sub = r->has_status;
		if (!rd->schema) {
			snprintf(err, errlen, "built-in schema of %s: %s", r->plural, je.text);
			return SW_ERR_PARSE;
		}
	}
	return 0;
}
