#include "emu_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static const char *const supported_versions[] = {
	"4.14", "4.15", "4.16", "4.17", "4.18", "4.19", "4.20", "4.21", "4.22",
};
#define N_VERSIONS (sizeof(supported_versions) / sizeof(supported_versions[0]))

/* 2023-generation field sets (protocol/README.md §8). */
static const char *const gen2023_extra[] = {"api_vip", "ingress_vip", NULL};
static const char *const gen2023_deny[] = {"control_plane_count", NULL};

static int version_supported(const char *v)
{
	char mm[16];
	int maj, min;
	if (!v || sscanf(v, "%d.%d", &maj, &min) != 2)
		return 0;
	snprintf(mm, sizeof(mm), "%d.%d", maj, min);
	for (size_t i = 0; i < N_VERSIONS; i++)
		if (strcmp(mm, supported_versions[i]) == 0)
			return 1;
	return 0;
}

static int cluster_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 54)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-'))
			return 0;
	}
	return s[0] != '-' && s[n - 1] != '-';
}

static int pull_secret_valid(const char *ps)
{
	json_t *v = json_loads(ps, 0, NULL);
	int ok = json_is_object(json_object_get(v, "auths"));
	json_decref(v);
	return ok;
}

static int set_vips(struct emu_ctx *x, json_t *arr, struct emu_vip *out, uint8_t *n,
                    const char *what)
{
	size_t i;
	json_t *e;
	struct emu_vip tmp[EMU_MAX_VIPS];
	uint8_t k = 0;
	if (json_array_size(arr) > EMU_MAX_VIPS) {
		emu_resp_error(x->resp, 400, "%s: at most %d VIPs (one per address family)", what,
		               EMU_MAX_VIPS);
		return -1;
	}
	json_array_foreach(arr, i, e) {
		const char *ip = json_string_value(json_object_get(e, "ip"));
		memset(&tmp[k], 0, sizeof(tmp[k]));
		if (!ip || emu_ipv4_parse(ip, &tmp[k].ip) < 0) {
			emu_resp_error(x->resp, 400, "Could not parse VIP ip %s", ip ? ip : "");
			return -1;
		}
		k++;
	}
	memcpy(out, tmp, sizeof(tmp[0]) * k);
	*n = k;
	return 0;
}

static int set_single_vip(struct emu_ctx *x, json_t *v, struct emu_vip *out, uint8_t *n)
{
	const char *ip = json_string_value(v);
	if (!ip || !*ip) {
		*n = 0;
		return 0;
	}
	if (emu_ipv4_parse(ip, &out[0].ip) < 0) {
		emu_resp_error(x->resp, 400, "Could not parse VIP ip %s", ip);
		return -1;
	}
	out[0].verification = 0;
	out[0].free_seen = 0;
	*n = 1;
	return 0;
}

static int set_nets(struct emu_ctx *x, json_t *arr, struct emu_net *out, uint8_t *n, int max)
{
	size_t i;
	json_t *e;
	uint8_t k = 0;
	json_array_foreach(arr, i, e) {
		const char *cidr = json_string_value(json_object_get(e, "cidr"));
		struct emu_net net;
		if (!cidr || emu_cidr_parse(cidr, &net) < 0) {
			emu_resp_error(x->resp, 400, "Failed to parse CIDR %s", cidr ? cidr : "");
			return -1;
		}
		if (k < max)
			out[k++] = net;
	}
	*n = k;
	return 0;
}

static int set_cidr(struct emu_ctx *x, const char *s, struct emu_net *out)
{
	if (s && emu_cidr_parse(s, out) < 0) {
		emu_resp_error(x->resp, 400, "Failed to parse CIDR %s", s);
		return -1;
	}
	return 0;
}

/* Applies the fields common to create and update; returns 0 or -1 with |resp| filled. */
static int apply_common(struct emu_ctx *x, struct emu_cluster *c, json_t *body)
{
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *domain = json_string_value(json_object_get(body, "base_dns_domain"));
	const char *ps = json_string_value(json_object_get(body, "pull_secret"));
	const char *ssh = json_string_value(json_object_get(body, "ssh_public_key"));
	const char *ntype = json_string_value(json_object_get(body, "network_type"));
	const char *mcidr = json_string_value(json_object_get(body, "machine_network_cidr"));
	json_t *sched = json_object_get(body, "schedulable_masters");
	json_t *dhcp = json_object_get(body, "vip_dhcp_allocation");
	json_t *prefix = json_object_get(body, "cluster_network_host_prefix");
	json_t *cnets = json_object_get(body, "cluster_networks");
	json_t *snets = json_object_get(body, "service_networks");
	json_t *mnets = json_object_get(body, "machine_networks");
	json_t *api = json_object_get(body, "api_vips"), *api1 = json_object_get(body, "api_vip");
	json_t *ing = json_object_get(body, "ingress_vips");
	json_t *ing1 = json_object_get(body, "ingress_vip");
	uint8_t n;

	if (name) {
		if (!cluster_name_valid(name)) {
			emu_resp_error(x->resp, 400,
			               "Cluster name format is not valid: '%s'. Name must consist of lower-case letters, numbers and hyphens. It must start and end with a letter or number.",
			               name);
			return -1;
		}
		snprintf(c->name, sizeof(c->name), "%s", name);
	}
	if (domain)
		snprintf(c->base_dns_domain, sizeof(c->base_dns_domain), "%s", domain);
	if (ps) {
		if (!pull_secret_valid(ps)) {
			emu_resp_error(x->resp, 400, "pull secret for new cluster is invalid: invalid pull secret data");
			return -1;
		}
		c->pull_secret_set = 1;
	}
	if (ssh)
		snprintf(c->ssh_public_key, sizeof(c->ssh_public_key), "%s", ssh);
	if (json_is_boolean(sched))
		c->schedulable_masters = json_is_true(sched);
	if (json_is_boolean(dhcp))
		c->vip_dhcp = json_is_true(dhcp);
	if (ntype)
		c->network_type = strcmp(ntype, "OpenShiftSDN") == 0 ? 1 : 0;
	if (set_cidr(x, json_string_value(json_object_get(body, "cluster_network_cidr")),
	             &c->cluster_net) < 0 ||
	    set_cidr(x, json_string_value(json_object_get(body, "service_network_cidr")),
	             &c->service_net) < 0)
		return -1;
	if (json_is_integer(prefix))
		c->host_prefix = (int)json_integer_value(prefix);
	if (json_array_size(cnets)) {
		json_t *hp = json_object_get(json_array_get(cnets, 0), "host_prefix");
		if (set_nets(x, cnets, &c->cluster_net, &n, 1) < 0)
			return -1;
		if (json_is_integer(hp))
			c->host_prefix = (int)json_integer_value(hp);
	}
	if (json_array_size(snets) && set_nets(x, snets, &c->service_net, &n, 1) < 0)
		return -1;
	if (json_is_array(mnets)) {
		if (set_nets(x, mnets, c->machine_nets, &c->n_machine_nets, EMU_MAX_NETS) < 0)
			return -1;
		c->machine_net_auto = 0;
	}
	if (mcidr && *mcidr) {
		if (set_cidr(x, mcidr, &c->machine_nets[0]) < 0)
			return -1;
		c->n_machine_nets = 1;
		c->machine_net_auto = 0;
	}
	if (json_is_array(api)) {
		if (set_vips(x, api, c->api_vips, &c->n_api_vips, "api_vips") < 0)
			return -1;
	} else if (api1 && set_single_vip(x, api1, c->api_vips, &c->n_api_vips) < 0) {
		return -1;
	}
	if (json_is_array(ing)) {
		if (set_vips(x, ing, c->ingress_vips, &c->n_ingress_vips, "ingress_vips") < 0)
			return -1;
	} else if (ing1 && set_single_vip(x, ing1, c->ingress_vips, &c->n_ingress_vips) < 0) {
		return -1;
	}
	if (c->machine_net_auto && (api || api1)) {
		/* A derived machine network follows the VIPs. */
		c->n_machine_nets = 0;
		c->machine_net_auto = 0;
	}
	return 0;
}

static int apply_topology(struct emu_ctx *x, struct emu_cluster *c, json_t *body, int creating)
{
	json_t *cpc = json_object_get(body, "control_plane_count");
	const char *ha = json_string_value(json_object_get(body, "high_availability_mode"));
	json_t *umn = json_object_get(body, "user_managed_networking");
	const char *ptype = json_string_value(json_object_get(json_object_get(body, "platform"),
	                                                      "type"));
	if (ha && strcmp(ha, "Full") && strcmp(ha, "None")) {
		emu_resp_infra(x->resp, 400, 606,
		               "high_availability_mode in body should be one of [Full None]");
		return -1;
	}
	if (cpc && json_is_integer(cpc)) {
		json_int_t n = json_integer_value(cpc);
		if (n < 1 || n > 5) {
			emu_resp_error(x->resp, 400,
			               "there should be exactly 1 or between 2 and 5 control plane nodes, got %lld",
			               (long long)n);
			return -1;
		}
		if (ha && (strcmp(ha, "None") == 0) != (n == 1)) {
			emu_resp_error(x->resp, 400,
			               "control_plane_count %lld does not match high_availability_mode %s",
			               (long long)n, ha);
			return -1;
		}
		c->control_plane_count = (int)n;
	} else if (ha) {
		c->control_plane_count = strcmp(ha, "None") == 0 ? 1 : 3;
	} else if (creating) {
		c->control_plane_count = 3;
	}
	c->ha_none = c->control_plane_count == 1;
	if (umn && json_is_boolean(umn))
		c->umn = json_is_true(umn);
	else if (creating)
		c->umn = c->ha_none || (ptype && strcmp(ptype, "none") == 0);
	if (ptype) {
		static const char *const names[] = {"baremetal", "none", "vsphere", "nutanix", "external"};
		int found = -1;
		for (int i = 0; i < 5; i++)
			if (strcmp(ptype, names[i]) == 0)
				found = i;
		if (found < 0) {
			emu_resp_infra(x->resp, 400, 606,
			               "platform.type in body should be one of [baremetal nutanix vsphere none external]");
			return -1;
		}
		c->platform = (uint8_t)found;
	} else if (creating) {
		c->platform = c->umn ? 1 : 0;
	}
	if (c->ha_none && !c->umn) {
		emu_resp_error(x->resp, 400,
		               "User Managed Networking must be enabled on single node OpenShift");
		return -1;
	}
	if (c->umn && (c->n_api_vips || c->n_ingress_vips) && !c->ha_none) {
		emu_resp_error(x->resp, 400,
		               "API VIPs cannot be set with User Managed Networking");
		return -1;
	}
	if (c->ha_none && (c->n_api_vips || c->n_ingress_vips)) {
		emu_resp_error(x->resp, 400,
		               "Setting API VIPs is forbidden for single node OpenShift");
		return -1;
	}
	if (c->umn && c->platform == 0)
		c->platform = 1;
	return 0;
}

void emu_api_register_cluster(struct emu_ctx *x)
{
	struct emu_model *m = x->m;
	const struct emu_request *r = x->req;
	json_t *body = NULL;
	int g23 = m->cfg.api == EMU_API_2023;
	struct emu_cluster tmp, *c;
	if (emu_decode_body(m, r, "cluster-create-params", "new-cluster-params",
	                    g23 ? gen2023_extra : NULL, g23 ? gen2023_deny : NULL, &body,
	                    x->resp) < 0)
		return;
	const char *ver = json_string_value(json_object_get(body, "openshift_version"));
	if (!version_supported(ver)) {
		emu_resp_error(x->resp, 400, "Requested OpenShift version %s is not supported", ver);
		goto out;
	}
	memset(&tmp, 0, sizeof(tmp));
	emu_cidr_parse("10.128.0.0/14", &tmp.cluster_net);
	emu_cidr_parse("172.30.0.0/16", &tmp.service_net);
	tmp.host_prefix = 23;
	snprintf(tmp.openshift_version, sizeof(tmp.openshift_version), "%s", ver);
	snprintf(tmp.cpu_architecture, sizeof(tmp.cpu_architecture), "%s",
	         json_string_value(json_object_get(body, "cpu_architecture"))
	                 ? json_string_value(json_object_get(body, "cpu_architecture"))
	                 : "x86_64");
	tmp.finalizing_stage = AS_FIN_STAGE_COUNT;
	if (apply_common(x, &tmp, body) < 0 || apply_topology(x, &tmp, body, 1) < 0)
		goto out;
	c = emu_cluster_alloc(m);
	if (!c) {
		emu_resp_error(x->resp, 500, "failed to allocate cluster");
		goto out;
	}
	struct emu_uuid id = c->id;
	*c = tmp;
	c->id = id;
	c->created_at = c->updated_at = c->status_updated_at = r->wall_s;
	c->status_ns = r->now_ns;
	c->status = AS_CLUSTER_INSUFFICIENT;
	c->info = CI_INSUFFICIENT;
	emu_cluster_init_operators(m, c);
	emu_event_add(m, c, NULL, NULL, 0, "cluster_registration_succeeded", r->wall_s,
	              "Successfully registered cluster %s", c->name);
	emu_cluster_refresh(m, c, r->now_ns, r->wall_s);
	emu_resp_json(x->resp, 201, emu_render_cluster(m, c, 1));
out:
	json_decref(body);
}

void emu_api_update_cluster(struct emu_ctx *x)
{
	struct emu_model *m = x->m;
	const struct emu_request *r = x->req;
	json_t *body = NULL;
	int g23 = m->cfg.api == EMU_API_2023;
	struct emu_cluster *c = emu_ctx_cluster(x, x->p[0]);
	if (!c)
		return;
	if (emu_decode_body(m, r, "v2-cluster-update-params", "cluster-update-params",
	                    g23 ? gen2023_extra : NULL, g23 ? gen2023_deny : NULL, &body,
	                    x->resp) < 0)
		return;
	if (g23) {
		if (json_object_get(body, "api_vips") && !json_object_get(body, "api_vip")) {
			emu_resp_error(x->resp, 400, "request must include apiVIP alongside apiVIPs");
			goto out;
		}
		if (json_object_get(body, "ingress_vips") && !json_object_get(body, "ingress_vip")) {
			emu_resp_error(x->resp, 400, "request must include ingressVIP alongside ingressVIPs");
			goto out;
		}
	}
	if (!emu_cluster_preinstall(c)) {
		emu_resp_error(x->resp, 409,
		               "Cluster %s is in %s state, cluster can be updated only in one of [insufficient ready pending-for-input adding-hosts]",
		               x->p[0], as_cluster_status_name((enum as_cluster_status)c->status));
		goto out;
	}
	/* Validate on a copy so a refused update changes nothing. */
	struct emu_cluster tmp = *c;
	if (apply_common(x, &tmp, body) < 0 || apply_topology(x, &tmp, body, 0) < 0)
		goto out;
	if (tmp.control_plane_count != c->control_plane_count && c->nhosts &&
	    (tmp.control_plane_count == 1 || c->control_plane_count == 1)) {
		emu_resp_error(x->resp, 400, "cannot change between single-node and multi-node with hosts");
		goto out;
	}
	*c = tmp;
	c->updated_at = r->wall_s;
	emu_cluster_suggest_roles(m, c);
	emu_cluster_refresh(m, c, r->now_ns, r->wall_s);
	emu_resp_json(x->resp, 201, emu_render_cluster(m, c, 1));
out:
	json_decref(body);
}

void emu_api_delete_cluster(struct emu_ctx *x)
{
	struct emu_model *m = x->m;
	struct emu_cluster *c = emu_ctx_cluster(x, x->p[0]);
	if (!c)
		return;
	switch ((enum as_cluster_status)c->status) {
	case AS_CLUSTER_PREPARING: case AS_CLUSTER_INSTALLING: case AS_CLUSTER_FINALIZING:
	case AS_CLUSTER_INSTALLING_PENDING_USER_ACTION:
		emu_resp_error(x->resp, 409, "failed to deregister cluster %s: cluster is in %s state",
		               x->p[0], as_cluster_status_name((enum as_cluster_status)c->status));
		return;
	default:
		break;
	}
	uint32_t cidx = emu_cluster_index(m, c);
	while (c->nhosts)
		emu_host_delete(m, c->hosts[c->nhosts - 1]);
	for (size_t i = 0; i < m->ninfraenvs; i++)
		if (m->infraenvs[i]->cluster == cidx)
			m->infraenvs[i]->cluster = EMU_NONE;
	/* The slot stays so indices held by hosts/infra-envs remain valid. */
	emu_map_del(&m->cluster_map, &c->id);
	c->deleted = 1;
	free(c->hosts);
	c->hosts = NULL;
	c->caphosts = 0;
	emu_resp_empty(x->resp, 204);
}

void emu_api_install_cluster(struct emu_ctx *x)
{
	struct emu_model *m = x->m;
	const struct emu_request *r = x->req;
	struct emu_cluster *c = emu_ctx_cluster(x, x->p[0]);
	if (!c)
		return;
	/* The service refreshes the cluster before deciding (hosts may have
	 * changed since the last cluster monitor pass). */
	if (emu_cluster_preinstall(c))
		emu_cluster_refresh(m, c, r->now_ns, r->wall_s);
	if (c->status != AS_CLUSTER_READY) {
		emu_resp_error(x->resp, 409, "Cluster is not ready for installation");
		return;
	}
	emu_cluster_assign_roles(m, c);
	c->install_started_at = r->wall_s;
	c->finalizing_stage = AS_FIN_STAGE_COUNT;
	c->ingress_ca = 0;
	emu_cluster_init_operators(m, c);
	emu_cluster_set_status(m, c, AS_CLUSTER_PREPARING, CI_PREPARING, r->now_ns, r->wall_s);
	emu_resp_json(x->resp, 202, emu_render_cluster(m, c, 1));
}

void emu_api_get_cluster(struct emu_ctx *x)
{
	char v[16];
	struct emu_cluster *c = emu_ctx_cluster(x, x->p[0]);
	int exclude = 0;
	if (!c)
		return;
	if (x->req->query && emu_query_get(x->req->query, "exclude-hosts", v, sizeof(v))) {
		if (strcmp(v, "true") && strcmp(v, "false") && strcmp(v, "1") && strcmp(v, "0")) {
			emu_resp_infra(x->resp, 400, 601, "exclude-hosts in query must be of type bool: \"%s\"",
			               v);
			return;
		}
		exclude = strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
	}
	emu_resp_json(x->resp, 200, emu_render_cluster(x->m, c, !exclude));
}

void emu_api_list_clusters(struct emu_ctx *x)
{
	char v[16];
	int with_hosts = x->req->query && emu_query_get(x->req->query, "with_hosts", v, sizeof(v)) &&
	                 strcmp(v, "true") == 0;
	json_t *a = json_array();
	for (size_t i = 0; i < x->m->nclusters; i++)
		if (!x->m->clusters[i]->deleted)
			json_array_append_new(a, emu_render_cluster(x->m, x->m->clusters[i], with_hosts));
	emu_resp_json(x->resp, 200, a);
}

void emu_api_list_cluster_hosts(struct emu_ctx *x)
{
	char role[32], status[48];
	struct emu_cluster *c = emu_ctx_cluster(x, x->p[0]);
	if (!c)
		return;
	int by_role = x->req->query && emu_query_get(x->req->query, "role", role, sizeof(role));
	int by_status = x->req->query && emu_query_get(x->req->query, "status", status, sizeof(status));
	if (by_role && emu_role_parse(role) < 0) {
		emu_resp_infra(x->resp, 400, 606,
		               "role in query should be one of [master arbiter worker auto-assign]");
		return;
	}
	json_t *a = json_array();
	for (size_t i = 0; i < c->nhosts; i++) {
		const struct emu_host *h = &x->m->hosts[c->hosts[i]];
		if (by_role && strcmp(emu_role_name((enum emu_role)h->role), role) != 0)
			continue;
		if (by_status && strcmp(as_host_status_name((enum as_host_status)h->status), status))
			continue;
		json_array_append_new(a, emu_render_host(x->m, h, 1));
	}
	emu_resp_json(x->resp, 200, a);
}

void emu_api_finalizing_progress(struct emu_ctx *x)
{
	json_t *body = NULL;
	struct emu_cluster *c = emu_ctx_cluster(x, x->p[0]);
	if (!c)
		return;
	if (emu_decode_body(x->m, x->req, "cluster-finalizing-progress", "finalizing-progress", NULL,
	                    NULL, &body, x->resp) < 0)
		return;
	const char *s = json_string_value(json_object_get(body, "finalizing_stage"));
	int st = as_finalizing_stage_parse(s);
	if (st < 0) {
		emu_resp_infra(x->resp, 400, 606,
		               "finalizing-progress.finalizing_stage in body should be one of [Waiting for cluster operators Adding router ca Applying olm manifests Waiting for olm operators csv initialization Waiting for olm operators csv Waiting for OLM operator setup jobs Done]");
		goto out;
	}
	if (c->status == AS_CLUSTER_FINALIZING) {
		if (c->finalizing_stage != st)
			c->finalizing_stage_started_at = x->req->wall_s;
		c->finalizing_stage = (uint8_t)st;
		emu_kapi_cluster_changed(x->m, c);
	}
	emu_resp_empty(x->resp, 200);
out:
	json_decref(body);
}

void emu_api_list_operators(struct emu_ctx *x)
{
	char name[64];
	struct emu_cluster *c = emu_ctx_cluster(x, x->p[0]);
	if (!c)
		return;
	int only = x->req->query && emu_query_get(x->req->query, "operator_name", name, sizeof(name));
	emu_resp_json(x->resp, 200, emu_render_operators(c, only ? name : NULL));
}

void emu_api_report_operator(struct emu_ctx *x)
{
	json_t *body = NULL;
	struct emu_cluster *c = emu_ctx_cluster(x, x->p[0]);
	if (!c)
		return;
	if (emu_decode_body(x->m, x->req, "operator-monitor-report", "report-params", NULL, NULL,
	                    &body, x->resp) < 0)
		return;
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *st = json_string_value(json_object_get(body, "status"));
	const char *info = json_string_value(json_object_get(body, "status_info"));
	const char *ver = json_string_value(json_object_get(body, "version"));
	uint8_t status;
	if (st && strcmp(st, "available") == 0)
		status = EMU_OP_AVAILABLE;
	else if (st && strcmp(st, "failed") == 0)
		status = EMU_OP_FAILED;
	else if (st && strcmp(st, "progressing") == 0)
		status = EMU_OP_PROGRESSING;
	else {
		emu_resp_infra(x->resp, 400, 606,
		               "report-params.status in body should be one of [failed progressing available]");
		goto out;
	}
	struct emu_operator *op = NULL;
	for (int i = 0; i < c->n_operators; i++)
		if (name && strcmp(c->operators[i].name, name) == 0)
			op = &c->operators[i];
	if (!op) {
		emu_resp_error(x->resp, 404, "operator %s is not monitored in cluster %s",
		               name ? name : "", x->p[0]);
		goto out;
	}
	op->status = status;
	op->status_updated_at = x->req->wall_s;
	snprintf(op->status_info, sizeof(op->status_info), "%s", info ? info : "");
	snprintf(op->version, sizeof(op->version), "%s", ver ? ver : "");
	emu_resp_empty(x->resp, 200);
out:
	json_decref(body);
}

static int pem_valid(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	int n = 0;
	if (!bio)
		return 0;
	for (;;) {
		X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		if (!cert)
			break;
		X509_free(cert);
		n++;
	}
	BIO_free(bio);
	return n > 0;
}

void emu_api_ingress_cert(struct emu_ctx *x)
{
	const struct emu_request *r = x->req;
	json_error_t jerr;
	struct emu_cluster *c = emu_ctx_cluster(x, x->p[0]);
	if (!c)
		return;
	if (!r->body || !r->body_len) {
		emu_resp_infra(x->resp, 400, 602, "ingress-cert-params in body is required");
		return;
	}
	json_t *v = json_loadb(r->body, r->body_len, JSON_DECODE_ANY, &jerr);
	if (!v || !json_is_string(v)) {
		emu_resp_infra(x->resp, 400, 400,
		               "parsing ingress-cert-params body from \"\" failed, because %s",
		               v ? "json: cannot unmarshal value into Go value of type models.IngressCertParams"
		                 : jerr.text);
		json_decref(v);
		return;
	}
	if (c->status != AS_CLUSTER_FINALIZING && c->status != AS_CLUSTER_INSTALLED) {
		emu_resp_error(x->resp, 400,
		               "Cluster %s is in %s state, upload ingress ca can be done only in finalizing or installed state",
		               x->p[0], as_cluster_status_name((enum as_cluster_status)c->status));
		json_decref(v);
		return;
	}
	if (!pem_valid(json_string_value(v))) {
		emu_resp_error(x->resp, 500, "failed to parse ingress CA: invalid PEM certificate");
		json_decref(v);
		return;
	}
	json_decref(v);
	c->ingress_ca = 1;
	emu_resp_empty(x->resp, 201);
}

void emu_api_complete_installation(struct emu_ctx *x)
{
	json_t *body = NULL;
	const struct emu_request *r = x->req;
	struct emu_cluster *c = emu_ctx_cluster(x, x->p[0]);
	if (!c)
		return;
	if (emu_decode_body(x->m, r, "completion-params", "completion-params", NULL, NULL, &body,
	                    x->resp) < 0)
		return;
	if (c->status != AS_CLUSTER_FINALIZING && c->status != AS_CLUSTER_INSTALLED) {
		emu_resp_error(x->resp, 409,
		               "Cluster %s is in %s state, complete installation is allowed only in finalizing state",
		               x->p[0], as_cluster_status_name((enum as_cluster_status)c->status));
		goto out;
	}
	if (!json_is_true(json_object_get(body, "is_success")) && c->status == AS_CLUSTER_FINALIZING) {
		const char *info = json_string_value(json_object_get(body, "error_info"));
		snprintf(c->status_detail, sizeof(c->status_detail), "cluster installation failed: %s",
		         info ? info : "");
		emu_cluster_set_status(x->m, c, AS_CLUSTER_ERROR, CI_COMPLETE_FAILED, r->now_ns,
		                       r->wall_s);
	}
	emu_resp_json(x->resp, 202, emu_render_cluster(x->m, c, 1));
out:
	json_decref(body);
}

void emu_api_post_event(struct emu_ctx *x)
{
	json_t *body = NULL;
	struct emu_uuid cu, hu, iu;
	if (emu_decode_body(x->m, x->req, "event", "trigger-event-params", NULL, NULL, &body,
	                    x->resp) < 0)
		return;
	const char *cid = json_string_value(json_object_get(body, "cluster_id"));
	const char *hid = json_string_value(json_object_get(body, "host_id"));
	const char *iid = json_string_value(json_object_get(body, "infra_env_id"));
	const char *sev = json_string_value(json_object_get(body, "severity"));
	const char *msg = json_string_value(json_object_get(body, "message"));
	const char *name = json_string_value(json_object_get(body, "name"));
	int s = sev && !strcmp(sev, "warning") ? 1 : sev && !strcmp(sev, "error") ? 2
	        : sev && !strcmp(sev, "critical") ? 3 : 0;
	struct emu_cluster *c = NULL;
	struct emu_host *h = NULL;
	if (cid && (emu_uuid_parse(cid, &cu) < 0 || !(c = emu_cluster_get(x->m, &cu)))) {
		emu_resp_error(x->resp, 404, "cluster %s not found", cid);
		goto out;
	}
	if (hid && emu_uuid_parse(hid, &hu) == 0)
		h = emu_host_get(x->m, &hu);
	emu_event_add(x->m, c, h, iid && emu_uuid_parse(iid, &iu) == 0 ? &iu : NULL, s,
	              name ? name : "", x->req->wall_s, "%s", msg ? msg : "");
	emu_resp_empty(x->resp, 201);
out:
	json_decref(body);
}

void emu_api_list_events(struct emu_ctx *x)
{
	static const char *const sev[] = {"info", "warning", "error", "critical"};
	char cid[48], hid[48], iid[48];
	struct emu_uuid cu, hu, iu;
	const char *q = x->req->query ? x->req->query : "";
	int fc = emu_query_get(q, "cluster_id", cid, sizeof(cid)) && emu_uuid_parse(cid, &cu) == 0;
	int fh = emu_query_get(q, "host_id", hid, sizeof(hid)) && emu_uuid_parse(hid, &hu) == 0;
	int fi = emu_query_get(q, "infra_env_id", iid, sizeof(iid)) && emu_uuid_parse(iid, &iu) == 0;
	json_t *a = json_array();
	size_t start = (x->m->event_head + EMU_EVENTS_MAX - x->m->nevents) % EMU_EVENTS_MAX;
	for (size_t k = 0; k < x->m->nevents; k++) {
		const struct emu_event *e = &x->m->events[(start + k) % EMU_EVENTS_MAX];
		char id[37], t[32];
		if (fc && (!e->has_cluster || memcmp(&e->cluster, &cu, sizeof(cu))))
			continue;
		if (fh && (!e->has_host || memcmp(&e->host, &hu, sizeof(hu))))
			continue;
		if (fi && (!e->has_infra_env || memcmp(&e->infra_env, &iu, sizeof(iu))))
			continue;
		json_t *o = json_object();
		emu_time_fmt(e->time, t);
		json_object_set_new(o, "event_time", json_string(t));
		json_object_set_new(o, "severity", json_string(sev[e->severity & 3]));
		json_object_set_new(o, "category", json_string("user"));
		json_object_set_new(o, "message", json_string(e->message));
		json_object_set_new(o, "name", json_string(e->name));
		if (e->has_cluster) {
			emu_uuid_fmt(&e->cluster, id);
			json_object_set_new(o, "cluster_id", json_string(id));
		}
		if (e->has_host) {
			emu_uuid_fmt(&e->host, id);
			json_object_set_new(o, "host_id", json_string(id));
		}
		if (e->has_infra_env) {
			emu_uuid_fmt(&e->infra_env, id);
			json_object_set_new(o, "infra_env_id", json_string(id));
		}
		json_array_append_new(a, o);
	}
	emu_resp_json(x->resp, 200, a);
}

void emu_api_component_versions(struct emu_ctx *x)
{
	json_t *o = json_pack("{s:{s:s,s:s,s:s,s:s},s:s}", "versions", "assisted-installer-service",
	                      "quay.io/edge-infrastructure/assisted-service:latest", "discovery-agent",
	                      x->m->cfg.agent_image, "assisted-installer",
	                      "quay.io/edge-infrastructure/assisted-installer:latest",
	                      "assisted-installer-controller",
	                      "quay.io/edge-infrastructure/assisted-installer-controller:latest",
	                      "release_tag", x->m->cfg.release_tag);
	emu_resp_json(x->resp, 200, o);
}

void emu_api_openshift_versions(struct emu_ctx *x)
{
	json_t *o = json_object();
	for (size_t i = 0; i < N_VERSIONS; i++) {
		char disp[24];
		snprintf(disp, sizeof(disp), "%s.0", supported_versions[i]);
		json_object_set_new(o, supported_versions[i],
		                    json_pack("{s:s,s:s,s:b,s:[s]}", "display_name", disp,
		                              "support_level", i + 1 == N_VERSIONS ? "production"
		                                               : i + 4 >= N_VERSIONS ? "maintenance"
		                                               : "end-of-life",
		                              "default", i + 1 == N_VERSIONS, "cpu_architectures",
		                              "x86_64"));
	}
	emu_resp_json(x->resp, 200, o);
}

static char *make_download_url(struct emu_model *m, struct emu_infraenv *ie)
{
	char id[37], token[1024], mm[16], *url = NULL;
	int maj = 4, min = 22;
	const char *kind;
	emu_uuid_fmt(&ie->id, id);
	sscanf(ie->openshift_version, "%d.%d", &maj, &min);
	snprintf(mm, sizeof(mm), "%d.%d", maj, min);
	token[0] = '\0';
	switch (m->cfg.auth) {
	case EMU_AUTH_LOCAL:
		kind = "byapikey";
		break;
	case EMU_AUTH_TOKEN:
		kind = "bytoken";
		break;
	case EMU_AUTH_NONE:
	default:
		kind = "byid";
		break;
	}
	if (m->cfg.auth != EMU_AUTH_NONE) {
		if (!m->cfg.make_infraenv_token ||
		    m->cfg.make_infraenv_token(m->cfg.token_arg, id, token, sizeof(token)) < 0)
			snprintf(token, sizeof(token), "%s", id);
	}
	if (asprintf(&url, "%s/%s/%s/%s/%s/%s", m->cfg.image_service_base, kind,
	             m->cfg.auth == EMU_AUTH_NONE ? id : token, mm, ie->cpu_architecture,
	             ie->minimal ? "minimal.iso" : "full.iso") < 0)
		return NULL;
	return url;
}

void emu_api_register_infraenv(struct emu_ctx *x)
{
	struct emu_model *m = x->m;
	const struct emu_request *r = x->req;
	json_t *body = NULL;
	struct emu_cluster *c = NULL;
	if (emu_decode_body(m, r, "infra-env-create-params", "infraenv-create-params", NULL, NULL,
	                    &body, x->resp) < 0)
		return;
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *cid = json_string_value(json_object_get(body, "cluster_id"));
	const char *ver = json_string_value(json_object_get(body, "openshift_version"));
	const char *type = json_string_value(json_object_get(body, "image_type"));
	const char *arch = json_string_value(json_object_get(body, "cpu_architecture"));
	const char *ps = json_string_value(json_object_get(body, "pull_secret"));
	if (cid && !(c = emu_ctx_cluster(x, cid)))
		goto out;
	if (!ps || !pull_secret_valid(ps)) {
		emu_resp_error(x->resp, 400, "pull secret for new infraEnv is invalid: invalid pull secret data");
		goto out;
	}
	if (type && strcmp(type, "full-iso") && strcmp(type, "minimal-iso")) {
		emu_resp_infra(x->resp, 400, 606,
		               "infraenv-create-params.image_type in body should be one of [full-iso minimal-iso]");
		goto out;
	}
	if (ver && *ver && !version_supported(ver)) {
		emu_resp_error(x->resp, 400, "Requested OpenShift version %s is not supported", ver);
		goto out;
	}
	struct emu_infraenv *ie = emu_infraenv_alloc(m);
	if (!ie) {
		emu_resp_error(x->resp, 500, "failed to allocate infra-env");
		goto out;
	}
	snprintf(ie->name, sizeof(ie->name), "%s", name ? name : "");
	snprintf(ie->openshift_version, sizeof(ie->openshift_version), "%s",
	         ver && *ver ? ver : c ? c->openshift_version : "4.22");
	snprintf(ie->cpu_architecture, sizeof(ie->cpu_architecture), "%s", arch ? arch : "x86_64");
	ie->minimal = type && strcmp(type, "minimal-iso") == 0;
	ie->cluster = c ? emu_cluster_index(m, c) : EMU_NONE;
	ie->created_at = ie->updated_at = r->wall_s;
	ie->download_url = make_download_url(m, ie);
	emu_resp_json(x->resp, 201, emu_render_infraenv(m, ie));
out:
	json_decref(body);
}

void emu_api_get_infraenv(struct emu_ctx *x)
{
	struct emu_infraenv *ie = emu_ctx_infraenv(x, x->p[0]);
	if (ie)
		emu_resp_json(x->resp, 200, emu_render_infraenv(x->m, ie));
}

void emu_api_list_infraenvs(struct emu_ctx *x)
{
	char cid[48];
	struct emu_uuid cu;
	int fc = x->req->query && emu_query_get(x->req->query, "cluster_id", cid, sizeof(cid)) &&
	         emu_uuid_parse(cid, &cu) == 0;
	json_t *a = json_array();
	for (size_t i = 0; i < x->m->ninfraenvs; i++) {
		const struct emu_infraenv *ie = x->m->infraenvs[i];
		if (ie->deleted)
			continue;
		if (fc && (ie->cluster == EMU_NONE ||
		           memcmp(&x->m->clusters[ie->cluster]->id, &cu, sizeof(cu))))
			continue;
		json_array_append_new(a, emu_render_infraenv(x->m, ie));
	}
	emu_resp_json(x->resp, 200, a);
}

void emu_api_delete_infraenv(struct emu_ctx *x)
{
	struct emu_infraenv *ie = emu_ctx_infraenv(x, x->p[0]);
	if (!ie)
		return;
	if (ie->nhosts) {
		emu_resp_error(x->resp, 409, "failed to deregister infraEnv %s, %zu hosts are still associated",
		               x->p[0], ie->nhosts);
		return;
	}
	emu_map_del(&x->m->infraenv_map, &ie->id);
	ie->deleted = 1;
	emu_resp_empty(x->resp, 204);
}

static json_t *ignored_json(const struct emu_cluster *c)
{
	json_t *h = json_array(), *cl = json_array();
	for (int i = 0; i < HV_COUNT; i++)
		if (c->ignored_host_v >> i & 1)
			json_array_append_new(h, json_string(emu_hv_id((enum emu_hv)i)));
	for (int i = 0; i < CV_COUNT; i++)
		if (c->ignored_cluster_v >> i & 1)
			json_array_append_new(cl, json_string(emu_cv_id((enum emu_cv)i)));
	char *hs = json_dumps(h, JSON_COMPACT), *cs = json_dumps(cl, JSON_COMPACT);
	json_t *o = json_pack("{s:s,s:s}", "host-validation-ids", hs ? hs : "[]",
	                      "cluster-validation-ids", cs ? cs : "[]");
	free(hs);
	free(cs);
	json_decref(h);
	json_decref(cl);
	return o;
}

void emu_api_get_ignored(struct emu_ctx *x)
{
	struct emu_cluster *c = emu_ctx_cluster(x, x->p[0]);
	if (c)
		emu_resp_json(x->resp, 200, ignored_json(c));
}

static int parse_ids(struct emu_ctx *x, const char *s, int host, uint32_t *mask)
{
	json_t *a = s ? json_loads(s, 0, NULL) : NULL;
	size_t i;
	json_t *e;
	uint32_t m = 0;
	if (!s) {
		json_decref(a);
		return 0;
	}
	if (!json_is_array(a)) {
		emu_resp_error(x->resp, 400, "Unable to deserialize %s validation IDs: %s",
		               host ? "host" : "cluster", s);
		json_decref(a);
		return -1;
	}
	json_array_foreach(a, i, e) {
		const char *id = json_string_value(e);
		int v = host ? emu_hv_parse(id) : emu_cv_parse(id);
		if (id && strcmp(id, "all") == 0) {
			m = 0xffffffffu;
			continue;
		}
		if (v < 0) {
			emu_resp_error(x->resp, 400, "Validation ID %s is not a valid %s validation ID",
			               id ? id : "", host ? "host" : "cluster");
			json_decref(a);
			return -1;
		}
		m |= 1u << v;
	}
	json_decref(a);
	*mask = m;
	return 0;
}

void emu_api_set_ignored(struct emu_ctx *x)
{
	json_t *body = NULL;
	struct emu_cluster *c = emu_ctx_cluster(x, x->p[0]);
	uint32_t hm, cm;
	if (!c)
		return;
	if (emu_decode_body(x->m, x->req, "ignored-validations", "ignored_validations", NULL, NULL,
	                    &body, x->resp) < 0)
		return;
	hm = c->ignored_host_v;
	cm = c->ignored_cluster_v;
	if (parse_ids(x, json_string_value(json_object_get(body, "host-validation-ids")), 1, &hm) < 0 ||
	    parse_ids(x, json_string_value(json_object_get(body, "cluster-validation-ids")), 0, &cm) < 0)
		goto out;
	if (!emu_cluster_preinstall(c)) {
		emu_resp_error(x->resp, 409, "Cluster %s is in %s state, validations can be ignored only before installation",
		               x->p[0], as_cluster_status_name((enum as_cluster_status)c->status));
		goto out;
	}
	c->ignored_host_v = hm;
	c->ignored_cluster_v = cm;
	emu_resp_json(x->resp, 201, ignored_json(c));
out:
	json_decref(body);
}

void emu_api_credentials(struct emu_ctx *x)
{
	char fn[48], buf[512];
	struct emu_cluster *c;
	if (!x->req->query || !emu_query_get(x->req->query, "file_name", fn, sizeof(fn))) {
		emu_resp_infra(x->resp, 400, 602, "file_name in query is required");
		return;
	}
	if (strcmp(fn, "kubeconfig") && strcmp(fn, "kubeconfig-noingress") &&
	    strcmp(fn, "kubeadmin-password")) {
		emu_resp_infra(x->resp, 400, 606,
		               "file_name in query should be one of [kubeadmin-password kubeconfig kubeconfig-noingress]");
		return;
	}
	c = emu_ctx_cluster(x, x->p[0]);
	if (!c)
		return;
	int ok = (c->status == AS_CLUSTER_INSTALLING || c->status == AS_CLUSTER_FINALIZING ||
	          c->status == AS_CLUSTER_INSTALLED || c->status == AS_CLUSTER_ERROR ||
	          c->status == AS_CLUSTER_INSTALLING_PENDING_USER_ACTION);
	if (strcmp(fn, "kubeconfig") == 0)
		ok = ok && c->ingress_ca;
	if (!ok) {
		emu_resp_error(x->resp, 409, "Cluster %s is in %s state, %s is not available yet",
		               x->p[0], as_cluster_status_name((enum as_cluster_status)c->status), fn);
		return;
	}
	if (strcmp(fn, "kubeadmin-password") == 0)
		snprintf(buf, sizeof(buf), "emulated-kubeadmin-password");
	else
		snprintf(buf, sizeof(buf),
		         "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://api.%s.%s:6443\n  name: %s\n",
		         c->base_dns_domain, c->name, c->name);
	x->resp->status = 200;
	x->resp->content_type = "application/octet-stream";
	x->resp->body = strdup(buf);
	x->resp->body_len = x->resp->body ? strlen(x->resp->body) : 0;
}

static int host_installing(const struct emu_host *h)
{
	switch ((enum as_host_status)h->status) {
	case AS_HOST_PREPARING: case AS_HOST_PREPARING_SUCCESSFUL: case AS_HOST_PREPARING_FAILED:
	case AS_HOST_INSTALLING: case AS_HOST_INSTALLING_IN_PROGRESS:
	case AS_HOST_INSTALLING_PENDING_USER_ACTION: case AS_HOST_INSTALLED: case AS_HOST_ERROR:
		return 1;
	default:
		return 0;
	}
}

void emu_api_cancel_cluster(struct emu_ctx *x)
{
	struct emu_model *m = x->m;
	const struct emu_request *r = x->req;
	struct emu_cluster *c = emu_ctx_cluster(x, x->p[0]);
	if (!c)
		return;
	switch ((enum as_cluster_status)c->status) {
	case AS_CLUSTER_PREPARING: case AS_CLUSTER_INSTALLING: case AS_CLUSTER_FINALIZING:
	case AS_CLUSTER_INSTALLING_PENDING_USER_ACTION: case AS_CLUSTER_ERROR:
		break;
	default:
		emu_resp_error(x->resp, 409,
		               "Cluster %s is in %s state, cancel installation is allowed only in installation states",
		               x->p[0], as_cluster_status_name((enum as_cluster_status)c->status));
		return;
	}
	for (size_t i = 0; i < c->nhosts; i++) {
		struct emu_host *h = &m->hosts[c->hosts[i]];
		if (host_installing(h))
			emu_host_set_status(m, h, AS_HOST_CANCELLED, HI_CANCELLED, r->now_ns, r->wall_s);
	}
	emu_cluster_set_status(m, c, AS_CLUSTER_CANCELLED, CI_CANCELLED, r->now_ns, r->wall_s);
	emu_resp_json(x->resp, 202, emu_render_cluster(m, c, 1));
}

void emu_api_reset_cluster(struct emu_ctx *x)
{
	struct emu_model *m = x->m;
	const struct emu_request *r = x->req;
	struct emu_cluster *c = emu_ctx_cluster(x, x->p[0]);
	if (!c)
		return;
	if (c->status != AS_CLUSTER_CANCELLED && c->status != AS_CLUSTER_ERROR &&
	    c->status != AS_CLUSTER_PREPARING && c->status != AS_CLUSTER_INSTALLING &&
	    c->status != AS_CLUSTER_INSTALLING_PENDING_USER_ACTION) {
		emu_resp_error(x->resp, 409,
		               "Cluster %s is in %s state, reset is allowed only in cancelled, error or installation states",
		               x->p[0], as_cluster_status_name((enum as_cluster_status)c->status));
		return;
	}
	for (size_t i = 0; i < c->nhosts; i++) {
		struct emu_host *h = &m->hosts[c->hosts[i]];
		h->stage = AS_STAGE_COUNT;
		h->progress_info[0] = '\0';
		h->stage_started_at = h->stage_updated_at = 0;
		h->disk_speed = h->images = 0;
		h->logs_info = EMU_LOGS_NONE;
		h->logs_collected_at = h->logs_started_at = 0;
		if (!emu_cluster_is_sno(c))
			h->bootstrap = 0;
		/* The host has to boot the discovery image again (re-register). */
		if (!emu_host_is_preinstall(h))
			emu_host_set_status(m, h, AS_HOST_RESETTING_PENDING_USER_ACTION, HI_RESET,
			                    r->now_ns, r->wall_s);
	}
	c->install_started_at = c->install_completed_at = 0;
	c->finalizing_stage = AS_FIN_STAGE_COUNT;
	c->ingress_ca = 0;
	emu_cluster_init_operators(m, c);
	emu_cluster_set_status(m, c, AS_CLUSTER_INSUFFICIENT, CI_RESET, r->now_ns, r->wall_s);
	emu_resp_json(x->resp, 202, emu_render_cluster(m, c, 1));
}
