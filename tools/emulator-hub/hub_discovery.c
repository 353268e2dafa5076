/*
 * Discovery and the documents clients read before they act: /version,
 * /api, /api/v1, /apis, /apis/GROUP, /apis/GROUP/VERSION (APIVersions,
 * APIGroupList, APIGroup, APIResourceList with verbs and short names),
 * /openapi/v2 (a minimal document: kubectl only needs it to exist; with no
 * definitions its client-side validation is skipped, the server validates),
 * /healthz, /livez, /readyz and /metrics.
 */
#include "hub_int.h"

#include <stdio.h>
#include <string.h>

#include "sw_xalloc.h"

#define HUB_KUBE_VERSION "v1.29.0"

static void reply(struct sw_exchange *x, json_t *j)
{
	char *s = hub_dump(j);
	json_decref(j);
	sw_exchange_reply_mem(x, 200, "application/json", s, strlen(s));
	free(s);
}

static json_t *resource_list(struct hub *h, const char *group, const char *version)
{
	char gv[128];
	if (group[0])
		snprintf(gv, sizeof(gv), "%s/%s", group, version);
	else
		snprintf(gv, sizeof(gv), "%s", version);
	json_t *list = json_pack("{s:s,s:s,s:s,s:[]}", "kind", "APIResourceList", "apiVersion", "v1",
	                         "groupVersion", gv, "resources");
	json_t *arr = json_object_get(list, "resources");
	for (size_t i = 0; i < KUBE_RES_COUNT; i++) {
		const struct kube_res *r = kube_res_get((enum kube_res_id)i);
		if (strcmp(r->group, group) != 0 || strcmp(r->version, version) != 0)
			continue;
		json_t *e = json_pack("{s:s,s:s,s:b,s:s,s:[ssssssss]}", "name", r->plural, "singularName",
		                      r->singular, "namespaced", r->namespaced, "kind", r->kind, "verbs",
		                      "create", "delete", "deletecollection", "get", "list", "patch", "update",
		                      "watch");
		if (r->short_names[0]) {
			json_t *sn = json_array();
			for (size_t k = 0; r->short_names[k]; k++)
				json_array_append_new(sn, json_string(r->short_names[k]));
			json_object_set_new(e, "shortNames", sn);
		}
		json_t *cats = json_object_get(json_object_get(h->defs.r[i].crd, "names"), "categories");
		if (json_is_array(cats))
			json_object_set(e, "categories", cats);
		else if (!r->is_crd && r->id != KUBE_RES_NAMESPACE && r->id != KUBE_RES_EVENT)
			json_object_set_new(e, "categories", json_pack("[s]", "all"));
		json_array_append_new(arr, e);
		if (h->defs.r[i].status_sub) {
			char sub[96];
			snprintf(sub, sizeof(sub), "%s/status", r->plural);
			json_array_append_new(arr, json_pack("{s:s,s:s,s:b,s:s,s:[sss]}", "name", sub, "singularName",
			                                     "", "namespaced", r->namespaced, "kind", r->kind,
			                                     "verbs", "get", "patch", "update"));
		}
		if (r->id == KUBE_RES_NAMESPACE)
			json_array_append_new(arr, json_pack("{s:s,s:s,s:b,s:s,s:[s]}", "name", "namespaces/finalize",
			                                     "singularName", "", "namespaced", 0, "kind",
			                                     "Namespace", "verbs", "update"));
	}
	return list;
}

static json_t *group_of(const char *group)
{
	const char *version = NULL;
	for (size_t i = 0; i < KUBE_RES_COUNT; i++)
		if (strcmp(kube_res_get((enum kube_res_id)i)->group, group) == 0)
			version = kube_res_get((enum kube_res_id)i)->version;
	if (!version)
		return NULL;
	char gv[128];
	snprintf(gv, sizeof(gv), "%s/%s", group, version);
	return json_pack("{s:s,s:s,s:s,s:[{s:s,s:s}],s:{s:s,s:s}}", "kind", "APIGroup", "apiVersion", "v1",
	                 "name", group, "versions", "groupVersion", gv, "version", version,
	                 "preferredVersion", "groupVersion", gv, "version", version);
}

/* A protobuf openapi_v2.Document with swagger "2.0" and info {title, version}:
 * what kubectl 1.20 asks for (it accepts no JSON there). */
static const unsigned char openapi_pb[] = {
	0x0a, 0x03, '2', '.', '0',
	0x12, 0x15,
	0x0a, 0x0a, 'K', 'u', 'b', 'e', 'r', 'n', 'e', 't', 'e', 's',
	0x12, 0x07, 'v', '1', '.', '2', '9', '.', '0',
};

int hub_discovery_serve(struct hub *h, struct sw_exchange *x, const char *path)
{
	struct sw_sreq *req = sw_exchange_request(x);
	if (strcmp(path, "/healthz") == 0 || strcmp(path, "/livez") == 0 || strcmp(path, "/readyz") == 0) {
		sw_exchange_reply_mem(x, 200, "text/plain; charset=utf-8", "ok", 2);
		return 1;
	}
	if (strcmp(path, "/metrics") == 0) {
		struct evbuffer *b = evbuffer_new();
		if (!b) {
			sw_exchange_reset(x);
			return 1;
		}
		hub_metrics_render(h, b);
		sw_exchange_reply(x, 200, NULL, "text/plain; version=0.0.4; charset=utf-8", b);
		evbuffer_free(b);
		return 1;
	}
	if (strcmp(path, "/version") == 0) {
		reply(x, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "major", "1", "minor", "29",
		                   "gitVersion", HUB_KUBE_VERSION, "gitCommit", "swarm-hub", "gitTreeState",
		                   "clean", "buildDate", "2026-01-01T00:00:00Z", "goVersion", "go1.21",
		                   "compiler", "gc", "platform", "linux/amd64"));
		return 1;
	}
	if (strcmp(path, "/api") == 0 || strcmp(path, "/api/") == 0) {
		reply(x, json_pack("{s:s,s:[s],s:[{s:s,s:s}]}", "kind", "APIVersions", "versions", "v1",
		                   "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0", "serverAddress", ""));
		return 1;
	}
	if (strcmp(path, "/api/v1") == 0 || strcmp(path, "/api/v1/") == 0) {
		reply(x, resource_list(h, "", "v1"));
		return 1;
	}
	if (strcmp(path, "/apis") == 0 || strcmp(path, "/apis/") == 0) {
		json_t *gl = json_pack("{s:s,s:s,s:[]}", "kind", "APIGroupList", "apiVersion", "v1", "groups");
		json_t *groups = json_object_get(gl, "groups");
		for (size_t i = 0; i < KUBE_RES_COUNT; i++) {
			const struct kube_res *r = kube_res_get((enum kube_res_id)i);
			int seen = !r->group[0];
			for (size_t j = 0; j < i && !seen; j++)
				seen = strcmp(kube_res_get((enum kube_res_id)j)->group, r->group) == 0;
			if (seen)
				continue;
			json_t *g = group_of(r->group);
			json_object_del(g, "kind");
			json_object_del(g, "apiVersion");
			json_array_append_new(groups, g);
		}
		reply(x, gl);
		return 1;
	}
	if (strncmp(path, "/apis/", 6) == 0) {
		char group[128], version[64];
		const char *p = path + 6;
		const char *slash = strchr(p, '/');
		size_t gl = slash ? (size_t)(slash - p) : strlen(p);
		if (gl == 0 || gl >= sizeof(group))
			return 0;
		memcpy(group, p, gl);
		group[gl] = '\0';
		if (!slash || !slash[1]) {
			json_t *g = group_of(group);
			if (!g)
				return 0;
			reply(x, g);
			return 1;
		}
		snprintf(version, sizeof(version), "%s", slash + 1);
		size_t vl = strlen(version);
		if (vl && version[vl - 1] == '/')
			version[vl - 1] = '\0';
		int known = 0;
		for (size_t i = 0; i < KUBE_RES_COUNT; i++)
			if (strcmp(kube_res_get((enum kube_res_id)i)->group, group) == 0 &&
			    strcmp(kube_res_get((enum kube_res_id)i)->version, version) == 0)
				known = 1;
		if (!known)
			return 0;
		reply(x, resource_list(h, group, version));
		return 1;
	}
	if (strcmp(path, "/openapi/v2") == 0) {
		const char *acc = sw_hdrs_get(&req->hdrs, "accept");
		if (acc && strstr(acc, "protobuf")) {
			sw_exchange_reply_mem(x, 200, "application/octet-stream",
			                      openapi_pb, sizeof(openapi_pb));
		} else {
			reply(x, json_pack("{s:s,s:{s:s,s:s},s:{},s:{}}", "swagger", "2.0", "info", "title",
			                   "Kubernetes", "version", HUB_KUBE_VERSION, "paths", "definitions"));
		}
		return 1;
	}
	return 0;
}
