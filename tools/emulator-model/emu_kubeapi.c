/* The model's kube-api extension (emu_kubeapi.h): notification hooks, host
 * approval, the kube-mode counts, and the REST operations only the kube
 * controllers need (host installer args and ignition overrides, the day-2
 * transformation of an installed cluster, the kubeadmin credentials). */
#include "emu_internal.h"
#include "emu_kubeapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"

/* Per-host strings kept beside the host array (indexed like it), so hosts
 * that never get them pay nothing. */
struct emu_kube_ext {
	struct emu_kube_hooks hooks;
	int have_hooks;
	char **installer_args;
	char **ignition;
	char **inventory;       /* kube mode only: the inventory as sent */
	size_t cap;
};

static struct emu_kube_ext *ext(struct emu_model *m)
{
	if (!m->kube)
		m->kube = calloc(1, sizeof(*m->kube));
	return m->kube;
}

void emu_kapi_free(struct emu_model *m)
{
	struct emu_kube_ext *k = m->kube;
	if (!k)
		return;
	for (size_t i = 0; i < k->cap; i++) {
		free(k->installer_args[i]);
		free(k->ignition[i]);
		free(k->inventory[i]);
	}
	free(k->installer_args);
	free(k->ignition);
	free(k->inventory);
	free(k);
	m->kube = NULL;
}

int emu_model_set_kube_hooks(struct emu_model *m, const struct emu_kube_hooks *hooks)
{
	struct emu_kube_ext *k = ext(m);
	if (!k)
		return SW_ERR_NOMEM;
	if (hooks)
		k->hooks = *hooks;
	else
		memset(&k->hooks, 0, sizeof(k->hooks));
	k->have_hooks = hooks != NULL;
	return 0;
}

int emu_kapi_active(const struct emu_model *m)
{
	return m->kube && m->kube->have_hooks;
}

int emu_kapi_host_registered(struct emu_model *m, const struct emu_host *h)
{
	if (!emu_kapi_active(m) || !m->kube->hooks.host_registered)
		return 0;
	char ie[37], hid[37];
	emu_uuid_fmt(&m->infraenvs[h->infra_env]->id, ie);
	emu_uuid_fmt(&h->id, hid);
	return m->kube->hooks.host_registered(m->kube->hooks.arg, ie, hid) < 0 ? -1 : 0;
}

void emu_kapi_host_changed(struct emu_model *m, const struct emu_host *h)
{
	if (!emu_kapi_active(m) || !m->kube->hooks.host_changed || h->deleted)
		return;
	char ie[37], hid[37], cid[37];
	emu_uuid_fmt(&m->infraenvs[h->infra_env]->id, ie);
	emu_uuid_fmt(&h->id, hid);
	if (h->cluster != EMU_NONE)
		emu_uuid_fmt(&m->clusters[h->cluster]->id, cid);
	m->kube->hooks.host_changed(m->kube->hooks.arg, ie, hid,
	                            h->cluster != EMU_NONE ? cid : NULL);
}

void emu_kapi_cluster_changed(struct emu_model *m, const struct emu_cluster *c)
{
	if (!emu_kapi_active(m) || !m->kube->hooks.cluster_changed || c->deleted)
		return;
	char cid[37];
	emu_uuid_fmt(&c->id, cid);
	m->kube->hooks.cluster_changed(m->kube->hooks.arg, cid);
}

/* The live host |host_id| of |infra_env_id|, or NULL. */
static struct emu_host *find_host(const struct emu_model *m, const char *infra_env_id,
                                  const char *host_id)
{
	struct emu_uuid ie, hid;
	if (!infra_env_id || !host_id || emu_uuid_parse(infra_env_id, &ie) < 0 ||
	    emu_uuid_parse(host_id, &hid) < 0)
		return NULL;
	uint32_t i = emu_map_get(&m->host_map, &hid);
	if (i == EMU_NONE || m->hosts[i].deleted)
		return NULL;
	struct emu_host *h = &m->hosts[i];
	if (memcmp(&m->infraenvs[h->infra_env]->id, &ie, sizeof(ie)) != 0)
		return NULL;
	return h;
}

int emu_model_host_set_approved(struct emu_model *m, const char *infra_env_id,
                                const char *host_id, int approved)
{
	struct emu_host *h = find_host(m, infra_env_id, host_id);
	if (!h)
		return SW_ERR_NOT_FOUND;
	if (h->approved != (approved != 0)) {
		h->approved = approved != 0;
		emu_kapi_host_changed(m, h);
	}
	return 0;
}

int emu_model_host_approved(const struct emu_model *m, const char *infra_env_id,
                            const char *host_id)
{
	const struct emu_host *h = find_host(m, infra_env_id, host_id);
	return h ? h->approved : SW_ERR_NOT_FOUND;
}

int emu_model_cluster_kube_counts(const struct emu_model *m, const char *cluster_id,
                                  struct emu_kube_counts *out)
{
	struct emu_uuid cu;
	memset(out, 0, sizeof(*out));
	if (!cluster_id || emu_uuid_parse(cluster_id, &cu) < 0)
		return SW_ERR_NOT_FOUND;
	uint32_t ci = emu_map_get(&m->cluster_map, &cu);
	if (ci == EMU_NONE || m->clusters[ci]->deleted)
		return SW_ERR_NOT_FOUND;
	const struct emu_cluster *c = m->clusters[ci];
	for (size_t i = 0; i < c->nhosts; i++) {
		const struct emu_host *h = &m->hosts[c->hosts[i]];
		if (h->status == AS_HOST_KNOWN) {
			out->known++;
			out->known_approved += h->approved;
		}
		switch ((enum emu_role)h->suggested_role) {
		case EMU_ROLE_MASTER: out->masters++; break;
		case EMU_ROLE_WORKER: out->workers++; break;
		case EMU_ROLE_ARBITER: out->arbiters++; break;
		default: break;
		}
	}
	return 0;
}

/* ---- per-host strings ---- */

enum { STR_ARGS, STR_IGNITION, STR_INVENTORY };

static char **slot(struct emu_model *m, const struct emu_host *h, int which)
{
	struct emu_kube_ext *k = ext(m);
	size_t idx = (size_t)(h - m->hosts);
	if (!k)
		return NULL;
	if (idx >= k->cap) {
		size_t ncap = k->cap ? k->cap : 64;
		while (ncap <= idx)
			ncap *= 2;
		char **a = realloc(k->installer_args, ncap * sizeof(*a));
		if (!a)
			return NULL;
		k->installer_args = a;
		char **b = realloc(k->ignition, ncap * sizeof(*b));
		if (!b)
			return NULL;
		k->ignition = b;
		char **c = realloc(k->inventory, ncap * sizeof(*c));
		if (!c)
			return NULL;
		k->inventory = c;
		memset(a + k->cap, 0, (ncap - k->cap) * sizeof(*a));
		memset(b + k->cap, 0, (ncap - k->cap) * sizeof(*b));
		memset(c + k->cap, 0, (ncap - k->cap) * sizeof(*c));
		k->cap = ncap;
	}
	return which == STR_IGNITION ? &k->ignition[idx]
	     : which == STR_INVENTORY ? &k->inventory[idx] : &k->installer_args[idx];
}

static const char *get_str(const struct emu_model *m, const struct emu_host *h, int which)
{
	const struct emu_kube_ext *k = m->kube;
	size_t idx = (size_t)(h - m->hosts);
	if (!k || idx >= k->cap)
		return NULL;
	return which == STR_IGNITION ? k->ignition[idx]
	     : which == STR_INVENTORY ? k->inventory[idx] : k->installer_args[idx];
}

const char *emu_kapi_host_installer_args(const struct emu_model *m, const struct emu_host *h)
{
	return get_str(m, h, STR_ARGS);
}

const char *emu_kapi_host_ignition(const struct emu_model *m, const struct emu_host *h)
{
	return get_str(m, h, STR_IGNITION);
}

const char *emu_kapi_host_inventory_raw(const struct emu_model *m, const struct emu_host *h)
{
	return get_str(m, h, STR_INVENTORY);
}

/* Replaces a per-host string ("" clears it). Returns 0 or -1 on OOM. */
static int set_str(struct emu_model *m, const struct emu_host *h, int which, const char *v)
{
	char **s = slot(m, h, which);
	char *copy = v && *v ? strdup(v) : NULL;
	if (!s || (v && *v && !copy)) {
		free(copy);
		return -1;
	}
	free(*s);
	*s = copy;
	return 0;
}

/*
 * Decodes a small body: a JSON object whose only allowed member is |key|,
 * of JSON type |type| (strict like emu_decode_body(), whose generated
 * schema does not carry these two definitions). Returns the object (new
 * reference) or NULL with a 400 in |x|.
 */
static json_t *decode_small(struct emu_ctx *x, const char *param, const char *key, json_type type)
{
	const struct emu_request *r = x->req;
	json_error_t jerr;
	if (!r->body || r->body_len == 0) {
		emu_resp_infra(x->resp, 400, 602, "%s in body is required", param);
		return NULL;
	}
	json_t *v = json_loadb(r->body, r->body_len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (!v) {
		emu_resp_infra(x->resp, 400, 400, "parsing %s body from \"\" failed, because %s", param,
		               jerr.text);
		return NULL;
	}
	const char *k;
	json_t *f;
	if (!json_is_object(v)) {
		emu_resp_infra(x->resp, 400, 400, "parsing %s body from \"\" failed, because %s must be an object",
		               param, param);
		json_decref(v);
		return NULL;
	}
	json_object_foreach(v, k, f) {
		if (strcmp(k, key) != 0) {
			emu_resp_infra(x->resp, 400, 400, "parsing %s body from \"\" failed, because json: unknown field \"%s\"",
			               param, k);
			json_decref(v);
			return NULL;
		}
		int ok = json_typeof(f) == type || json_is_null(f);
		if (ok && json_is_array(f)) {
			size_t i;
			json_t *e;
			json_array_foreach(f, i, e)
				ok = ok && json_is_string(e);
		}
		if (!ok) {
			emu_resp_infra(x->resp, 400, 400, "parsing %s body from \"\" failed, because %s.%s has the wrong type",
			               param, param, k);
			json_decref(v);
			return NULL;
		}
	}
	return v;
}

void emu_kapi_host_inventory(struct emu_model *m, const struct emu_host *h, const json_t *inv)
{
	if (!emu_kapi_active(m))
		return; /* REST mode keeps only the digest (memory per host) */
	char *s = json_dumps(inv, JSON_COMPACT);
	set_str(m, h, STR_INVENTORY, s); /* on OOM the digest is rendered instead */
	free(s);
}

/* Hosts accept these updates only before installation (as v2UpdateHost). */
static int check_updatable(struct emu_ctx *x, const struct emu_host *h)
{
	if (emu_host_is_preinstall(h))
		return 0;
	emu_resp_error(x->resp, 409,
	               "Host is in %s state, host can be updated only in one of [discovering known disconnected insufficient pending-for-input]",
	               as_host_status_name((enum as_host_status)h->status));
	return -1;
}

void emu_api_update_installer_args(struct emu_ctx *x)
{
	json_t *body = NULL;
	struct emu_host *h = emu_ctx_path_host(x);
	if (!h)
		return;
	if (!(body = decode_small(x, "installer-args-params", "args", JSON_ARRAY)))
		return;
	if (check_updatable(x, h) < 0)
		goto out;
	json_t *args = json_object_get(body, "args");
	/* Stored as the real service stores it: the JSON array, compact. */
	char *s = json_is_array(args) && json_array_size(args) ? json_dumps(args, JSON_COMPACT)
	                                                          : NULL;
	if (set_str(x->m, h, STR_ARGS, s) < 0) {
		free(s);
		emu_resp_error(x->resp, 500, "failed to store installer args");
		goto out;
	}
	free(s);
	h->updated_at = x->req->wall_s;
	emu_resp_json(x->resp, 201, emu_render_host(x->m, h, 1));
out:
	json_decref(body);
}

void emu_api_update_host_ignition(struct emu_ctx *x)
{
	json_t *body = NULL;
	struct emu_host *h = emu_ctx_path_host(x);
	if (!h)
		return;
	if (!(body = decode_small(x, "host-ignition-params", "config", JSON_STRING)))
		return;
	if (check_updatable(x, h) < 0)
		goto out;
	const char *cfg = json_string_value(json_object_get(body, "config"));
	if (cfg && *cfg) {
		json_t *ign = json_loads(cfg, 0, NULL);
		int ok = json_is_object(ign);
		json_decref(ign);
		if (!ok) {
			emu_resp_error(x->resp, 400, "Failed to parse ignition config patch %s", cfg);
			goto out;
		}
	}
	if (set_str(x->m, h, STR_IGNITION, cfg) < 0) {
		emu_resp_error(x->resp, 500, "failed to store the ignition override");
		goto out;
	}
	h->updated_at = x->req->wall_s;
	emu_resp_empty(x->resp, 201);
out:
	json_decref(body);
}

void emu_api_get_host_ignition(struct emu_ctx *x)
{
	struct emu_host *h = emu_ctx_path_host(x);
	if (!h)
		return;
	const char *cfg = emu_kapi_host_ignition(x->m, h);
	emu_resp_json(x->resp, 200, json_pack("{s:s}", "config", cfg ? cfg : ""));
}

void emu_api_transform_day2(struct emu_ctx *x)
{
	struct emu_cluster *c = emu_ctx_cluster(x, x->p[0]);
	if (!c)
		return;
	if (c->status != AS_CLUSTER_INSTALLED && c->status != AS_CLUSTER_ADDING_HOSTS) {
		emu_resp_error(x->resp, 409, "Cluster %s is in %s state, cannot transform to day2",
		               x->p[0], as_cluster_status_name((enum as_cluster_status)c->status));
		return;
	}
	emu_cluster_set_status(x->m, c, AS_CLUSTER_ADDING_HOSTS, CI_ADDING_HOSTS, x->req->now_ns,
	                       x->req->wall_s);
	emu_resp_json(x->resp, 202, emu_render_cluster(x->m, c, 1));
}

void emu_api_get_credentials(struct emu_ctx *x)
{
	struct emu_cluster *c = emu_ctx_cluster(x, x->p[0]);
	if (!c)
		return;
	switch ((enum as_cluster_status)c->status) {
	case AS_CLUSTER_INSTALLING: case AS_CLUSTER_FINALIZING: case AS_CLUSTER_INSTALLED:
	case AS_CLUSTER_ERROR: case AS_CLUSTER_INSTALLING_PENDING_USER_ACTION:
	case AS_CLUSTER_ADDING_HOSTS:
		break;
	default:
		emu_resp_error(x->resp, 409, "Cluster %s is in %s state, credentials are available only after the installation started",
		               x->p[0], as_cluster_status_name((enum as_cluster_status)c->status));
		return;
	}
	char console[256];
	snprintf(console, sizeof(console), "https://console-openshift-console.apps.%s.%s", c->name,
	         c->base_dns_domain);
	/* the same password as downloads/credentials?file_name=kubeadmin-password */
	emu_resp_json(x->resp, 200, json_pack("{s:s,s:s,s:s}", "username", "kubeadmin", "password",
	                                      "emulated-kubeadmin-password", "console_url", console));
}
