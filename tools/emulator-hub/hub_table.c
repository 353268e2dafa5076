/*
 * meta.k8s.io/v1 Table output (what kubectl get asks for with
 * Accept: application/json;as=Table;v=v1;g=meta.k8s.io): the Name column,
 * then the CRD's additionalPrinterColumns (JSONPath subset: dotted fields
 * with \. escapes, [N] and [?(@.key=="value")] filters), or the built-in
 * kinds' usual columns; dates rendered as ages like the apiserver does.
 */
#include "hub_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sw_xalloc.h"

/* Evaluates |path| on |obj|; returns a borrowed value or NULL. */
static json_t *jsonpath(json_t *obj, const char *path)
{
	json_t *cur = obj;
	const char *p = path;
	if (*p == '{')
		p++;
	while (*p && *p != '}' && cur) {
		if (*p == '.') {
			p++;
			char key[256];
			size_t n = 0;
			while (*p && *p != '.' && *p != '[' && *p != '}' && n + 1 < sizeof(key)) {
				if (*p == '\\' && p[1])
					p++;
				key[n++] = *p++;
			}
			key[n] = '\0';
			cur = json_object_get(cur, key);
		} else if (*p == '[') {
			const char *end = strchr(p, ']');
			if (!end)
				return NULL;
			if (p[1] == '?') {
				/* [?(@.key=="value")] or with single quotes */
				char key[128], val[256];
				const char *k = strstr(p, "@.");
				const char *eq = strstr(p, "==");
				if (!k || !eq || eq > end)
					return NULL;
				size_t kl = (size_t)(eq - (k + 2));
				if (kl >= sizeof(key))
					return NULL;
				memcpy(key, k + 2, kl);
				key[kl] = '\0';
				const char *v = eq + 2;
				char q = *v;
				if (q != '"' && q != '\'')
					return NULL;
				const char *ve = strchr(v + 1, q);
				if (!ve || (size_t)(ve - v - 1) >= sizeof(val))
					return NULL;
				memcpy(val, v + 1, (size_t)(ve - v - 1));
				val[ve - v - 1] = '\0';
				size_t i;
				json_t *e, *found = NULL;
				json_array_foreach(cur, i, e) {
					const char *s = json_string_value(json_object_get(e, key));
					if (s && strcmp(s, val) == 0) {
						found = e;
						break;
					}
				}
				cur = found;
			} else {
				cur = json_array_get(cur, (size_t)atoi(p + 1));
			}
			p = end + 1;
		} else {
			return NULL;
		}
	}
	return cur;
}

/* The apiserver's HumanDuration of the time since |ts| (RFC 3339). */
static void age(const char *ts, char *out, size_t len)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!ts || !strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(out, len, "<unknown>");
		return;
	}
	long long d = (long long)(time(NULL) - timegm(&tm));
	if (d < 0)
		d = 0;
	if (d < 120)
		snprintf(out, len, "%llds", d);
	else if (d < 600)
		snprintf(out, len, "%lldm%llds", d / 60, d % 60);
	else if (d < 3 * 3600)
		snprintf(out, len, "%lldm", d / 60);
	else if (d < 8 * 3600)
		snprintf(out, len, "%lldh%lldm", d / 3600, d % 3600 / 60);
	else if (d < 48 * 3600)
		snprintf(out, len, "%lldh", d / 3600);
	else if (d < 8 * 86400)
		snprintf(out, len, "%lldd%lldh", d / 86400, d % 86400 / 3600);
	else if (d < 2 * 365 * 86400)
		snprintf(out, len, "%lldd", d / 86400);
	else
		snprintf(out, len, "%lldy", d / (365 * 86400));
}

static json_t *cell(json_t *v, const char *type)
{
	char buf[64];
	if (!v || json_is_null(v))
		return json_null();
	if (type && strcmp(type, "date") == 0 && json_is_string(v)) {
		age(json_string_value(v), buf, sizeof(buf));
		return json_string(buf);
	}
	if (json_is_string(v) || json_is_number(v) || json_is_boolean(v))
		return json_incref(v);
	char *s = hub_dump(v);
	json_t *r = json_string(s);
	free(s);
	return r;
}

static json_t *coldef(const char *name, const char *type, const char *format, int priority)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", name, "type", type, "format", format ? format : "",
	                 "description", "", "priority", priority);
}

/* Built-in kinds: (name, type, jsonpath or a computed marker). */
struct bcol {
	const char *name, *type, *path;
};
static const struct bcol ns_cols[] = {{"Status", "string", ".status.phase"},
                                      {"Age", "date", ".metadata.creationTimestamp"}, {NULL, NULL, NULL}};
static const struct bcol secret_cols[] = {{"Type", "string", ".type"}, {"Data", "integer", "#data"},
                                          {"Age", "date", ".metadata.creationTimestamp"}, {NULL, NULL, NULL}};
static const struct bcol cm_cols[] = {{"Data", "integer", "#data"},
                                      {"Age", "date", ".metadata.creationTimestamp"}, {NULL, NULL, NULL}};
static const struct bcol ev_cols[] = {{"Last Seen", "date", ".lastTimestamp"}, {"Type", "string", ".type"},
                                      {"Reason", "string", ".reason"},
                                      {"Object", "string", ".involvedObject.name"},
                                      {"Message", "string", ".message"}, {NULL, NULL, NULL}};
static const struct bcol default_cols[] = {{"Age", "date", ".metadata.creationTimestamp"},
                                           {NULL, NULL, NULL}};

json_t *hub_table(struct hub *h, enum kube_res_id res, const struct hub_blob *const *objs, size_t n,
                  uint64_t list_rv, const char *cont)
{
	const struct kube_res *r = kube_res_get(res);
	json_t *pcols = h->defs.r[res].columns;
	const struct bcol *bc = res == KUBE_RES_NAMESPACE ? ns_cols : res == KUBE_RES_SECRET ? secret_cols
	                      : res == KUBE_RES_CONFIGMAP ? cm_cols : res == KUBE_RES_EVENT ? ev_cols
	                      : default_cols;
	int use_crd = r->is_crd && json_array_size(pcols) > 0;
	char rv[32];
	snprintf(rv, sizeof(rv), "%llu", (unsigned long long)list_rv);
	json_t *t = json_pack("{s:s,s:s,s:{s:s},s:[],s:[]}", "kind", "Table", "apiVersion", "meta.k8s.io/v1",
	                      "metadata", "resourceVersion", rv, "columnDefinitions", "rows");
	if (cont)
		json_object_set_new(json_object_get(t, "metadata"), "continue", json_string(cont));
	json_t *defs = json_object_get(t, "columnDefinitions");
	json_array_append_new(defs, coldef("Name", "string", "name", 0));
	size_t i;
	json_t *pc;
	if (use_crd) {
		json_array_foreach(pcols, i, pc)
			json_array_append_new(defs, coldef(json_string_value(json_object_get(pc, "name")),
			                                   json_string_value(json_object_get(pc, "type")) ?: "string",
			                                   json_string_value(json_object_get(pc, "format")),
			                                   (int)json_integer_value(json_object_get(pc, "priority"))));
	} else {
		for (const struct bcol *c = bc; c->name; c++)
			json_array_append_new(defs, coldef(c->name, c->type, NULL, 0));
	}
	json_t *rows = json_object_get(t, "rows");
	for (size_t k = 0; k < n; k++) {
		json_t *obj = hub_blob_parse(objs[k]);
		json_t *cells = json_array();
		json_array_append_new(cells, json_string(objs[k]->name));
		if (use_crd) {
			json_array_foreach(pcols, i, pc)
				json_array_append_new(cells, cell(jsonpath(obj, json_string_value(json_object_get(pc, "jsonPath")) ?: ""),
				                                  json_string_value(json_object_get(pc, "type"))));
		} else {
			for (const struct bcol *c = bc; c->name; c++) {
				if (c->path[0] == '#')
					json_array_append_new(cells, json_integer((json_int_t)json_object_size(
					                                 json_object_get(obj, c->path + 1))));
				else
					json_array_append_new(cells, cell(jsonpath(obj, c->path), c->type));
			}
		}
		json_t *md = json_deep_copy(json_object_get(obj, "metadata"));
		json_t *row = json_pack("{s:o,s:{s:s,s:s,s:o}}", "cells", cells, "object", "kind",
		                        "PartialObjectMetadata", "apiVersion", "meta.k8s.io/v1", "metadata",
		                        md ? md : json_object());
		json_array_append_new(rows, row);
		json_decref(obj);
	}
	return t;
}
