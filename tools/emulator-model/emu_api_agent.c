#include "emu_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static void note_agent_version(struct emu_model *m, struct emu_host *h, const char *v)
{
	if (!v || !*v)
		return;
	h->agent_version = emu_intern_agent_version(m, v);
	h->agent_ok = strcmp(v, m->cfg.agent_image) == 0;
}

static const char *infraenv_id_str(const struct emu_model *m, const struct emu_host *h,
                                   char out[37])
{
	emu_uuid_fmt(&m->infraenvs[h->infra_env]->id, out);
	return out;
}

/* Re-registration of a known host (protocol/README.md §3.1 A1). Returns 0, or -1 with |resp| filled. */
static int reregister(struct emu_ctx *x, struct emu_host *h)
{
	const struct emu_request *r = x->req;
	int rebooted;
	switch ((enum as_host_status)h->status) {
	case AS_HOST_INSTALLED:
		emu_resp_error(x->resp, 409, "Cannot register host %s: host is already installed",
		               x->p[0]);
		return -1;
	case AS_HOST_INSTALLING_PENDING_USER_ACTION:
		emu_resp_error(x->resp, 400, "Host is required to be booted from disk");
		return -1;
	case AS_HOST_INSTALLING:
	case AS_HOST_INSTALLING_IN_PROGRESS:
		rebooted = h->stage < AS_STAGE_COUNT &&
		           as_stage_index(emu_host_stage_role(x->m, h), (enum as_stage)h->stage) >=
		                   as_stage_index(emu_host_stage_role(x->m, h), AS_STAGE_REBOOTING);
		if (rebooted)
			emu_host_set_status(x->m, h, AS_HOST_INSTALLING_PENDING_USER_ACTION,
			                    HI_REBOOT_WRONG_DISK, r->now_ns, r->wall_s);
		else
			emu_host_set_status(x->m, h, AS_HOST_ERROR, HI_REREGISTERED, r->now_ns, r->wall_s);
		return 0;
	case AS_HOST_PREPARING:
	case AS_HOST_PREPARING_SUCCESSFUL:
	case AS_HOST_PREPARING_FAILED:
		emu_host_set_status(x->m, h, AS_HOST_KNOWN, HI_KNOWN, r->now_ns, r->wall_s);
		return 0;
	case AS_HOST_ERROR:
	case AS_HOST_CANCELLED:
		return 0;
	default:
		h->has_inventory = 0;
		h->dns_answered = 0;
		h->conn_ok = 0;
		emu_host_set_status(x->m, h,
		                    h->cluster != EMU_NONE ? AS_HOST_DISCOVERING
		                                           : AS_HOST_DISCOVERING_UNBOUND,
		                    HI_DISCOVERING, r->now_ns, r->wall_s);
		return 0;
	}
}

void emu_api_register_host(struct emu_ctx *x)
{
	struct emu_model *m = x->m;
	const struct emu_request *r = x->req;
	struct emu_infraenv *ie = emu_ctx_infraenv(x, x->p[0]);
	json_t *body = NULL;
	struct emu_uuid hid;
	char iid[37];
	if (!ie)
		return;
	if (emu_decode_body(m, r, "host-create-params", "new-host-params", NULL, NULL, &body,
	                    x->resp) < 0)
		return;
	const char *sid = json_string_value(json_object_get(body, "host_id"));
	const char *ver = json_string_value(json_object_get(body, "discovery_agent_version"));
	if (!sid || emu_uuid_parse(sid, &hid) < 0) {
		emu_resp_infra(x->resp, 400, 601, "host_id in body must be of type uuid: \"%s\"",
		               sid ? sid : "");
		goto out;
	}
	struct emu_cluster *c = ie->cluster != EMU_NONE ? m->clusters[ie->cluster] : NULL;
	struct emu_host *h = emu_host_get(m, &hid);
	if (h && memcmp(&m->infraenvs[h->infra_env]->id, &ie->id, sizeof(ie->id)) != 0) {
		emu_resp_error(x->resp, 409, "Host %s is already registered in another infra-env", sid);
		goto out;
	}
	if (h) {
		if (reregister(x, h) < 0)
			goto out;
	} else {
		if (c && !emu_cluster_preinstall(c) && c->status != AS_CLUSTER_ADDING_HOSTS) {
			emu_resp_error(x->resp, 409,
			               "Cluster %s is in %s state, host can register only in one of [insufficient ready pending-for-input adding-hosts]",
			               c->name, as_cluster_status_name((enum as_cluster_status)c->status));
			goto out;
		}
		uint32_t idx = emu_host_alloc(m, &hid);
		if (idx == EMU_NONE) {
			emu_resp_error(x->resp, 500, "failed to allocate host");
			goto out;
		}
		h = &m->hosts[idx];
		h->infra_env = emu_map_get(&m->infraenv_map, &ie->id);
		ie->nhosts++;
		if (c) {
			h->cluster = emu_cluster_index(m, c);
			if (emu_cluster_add_host(m, c, idx) < 0) {
				emu_host_delete(m, idx);
				emu_resp_error(x->resp, 500, "failed to add host to cluster");
				goto out;
			}
			if (emu_cluster_is_sno(c)) {
				h->role = h->suggested_role = EMU_ROLE_MASTER;
				h->bootstrap = 1;
			}
		}
		h->created_at = r->wall_s;
		h->status = c ? AS_HOST_DISCOVERING : AS_HOST_DISCOVERING_UNBOUND;
		h->info = HI_DISCOVERING;
		h->status_ns = r->now_ns;
		h->status_updated_at = r->wall_s;
		emu_event_add(m, c, h, &ie->id, 0, "host_registration_succeeded", r->wall_s,
		              "Host %s: Successfully registered", sid);
		if (emu_kapi_host_registered(m, h) < 0) {
			/* kube mode: its Agent CR could not be created (CreateAgentCR) */
			emu_host_delete(m, (uint32_t)(h - m->hosts));
			emu_resp_error(x->resp, 500, "Failed to create Agent CR for host %s", sid);
			goto out;
		}
	}
	h->registered_at = r->wall_s;
	h->checked_in_at = r->wall_s;
	h->checked_in_ns = r->now_ns;
	h->updated_at = r->wall_s;
	note_agent_version(m, h, ver ? ver : r->agent_version_header);

	json_t *o = emu_render_host(m, h, 0);
	char args[512];
	snprintf(args, sizeof(args), "{\"agent_version\":\"%s\",\"host_id\":\"%s\",\"infra_env_id\":\"%s\"}",
	         m->cfg.agent_image, sid, infraenv_id_str(m, h, iid));
	json_object_set_new(o, "next_step_runner_command",
	                    json_pack("{s:s,s:[s]}", "command", "", "args", args));
	emu_resp_json(x->resp, 201, o);
out:
	json_decref(body);
}

void emu_api_get_steps(struct emu_ctx *x)
{
	struct emu_model *m = x->m;
	const struct emu_request *r = x->req;
	char ts[32];
	struct emu_buf b;
	struct emu_host *h;
	int64_t t = 0;
	int have_ts = 0;

	if (!emu_ctx_infraenv(x, x->p[0]))
		return;
	if (r->query && emu_query_get(r->query, "timestamp", ts, sizeof(ts))) {
		char *end;
		long long v = strtoll(ts, &end, 10);
		if (!*ts || *end) {
			emu_resp_infra(x->resp, 400, 601, "timestamp in query must be of type int64: \"%s\"",
			               ts);
			return;
		}
		t = v;
		have_ts = 1;
	}
	h = emu_ctx_host(x, x->p[0], x->p[1]);
	if (!h)
		return;
	h->checked_in_at = r->wall_s;
	h->checked_in_ns = r->now_ns;
	if (have_ts) {
		int64_t skew = t - r->wall_s;
		h->timestamp = t;
		h->has_timestamp = 1;
		h->clock_skew = (int32_t)(skew > INT32_MAX ? INT32_MAX : skew < INT32_MIN ? INT32_MIN : skew);
	}
	note_agent_version(m, h, r->agent_version_header);
	emu_buf_init(&b);
	emu_steps_build(m, h, r->now_ns, &b);
	emu_resp_buf(x->resp, 200, &b);
}

void emu_api_post_step(struct emu_ctx *x)
{
	json_t *body = NULL;
	struct emu_host *h = emu_ctx_path_host(x);
	if (!h)
		return;
	if (emu_decode_body(x->m, x->req, "step-reply", "reply", NULL, NULL, &body, x->resp) < 0)
		return;
	const char *type = json_string_value(json_object_get(body, "step_type"));
	json_t *ec = json_object_get(body, "exit_code");
	if (type && as_step_type_parse(type) < 0) {
		emu_resp_infra(x->resp, 400, 606,
		               "reply.step_type in body should be one of [connectivity-check execute inventory install free-network-addresses dhcp-lease-allocate api-vip-connectivity-check tang-connectivity-check ntp-synchronizer installation-disk-speed-check container-image-availability domain-resolution stop-installation logs-gather next-step-runner upgrade-agent download-boot-artifacts reboot-for-reclaim verify-vips]");
		goto out;
	}
	emu_steps_reply(x->m, h, type ? type : "", (int)json_integer_value(ec),
	                json_string_value(json_object_get(body, "output")),
	                json_string_value(json_object_get(body, "error")), x->req, x->resp);
out:
	json_decref(body);
}

static int parse_logs_state(struct emu_ctx *x, const char *param, uint8_t *out)
{
	json_t *body = NULL;
	if (emu_decode_body(x->m, x->req, "logs-progress-params", param, NULL, NULL, &body,
	                    x->resp) < 0)
		return -1;
	const char *s = json_string_value(json_object_get(body, "logs_state"));
	int rv = 0;
	if (str_eq(s, "requested"))
		*out = EMU_LOGS_REQUESTED;
	else if (str_eq(s, "collecting"))
		*out = EMU_LOGS_COLLECTING;
	else if (str_eq(s, "completed"))
		*out = EMU_LOGS_COMPLETED;
	else if (str_eq(s, "timeout"))
		*out = EMU_LOGS_TIMEOUT;
	else if (str_eq(s, ""))
		*out = EMU_LOGS_NONE;
	else {
		emu_resp_infra(x->resp, 400, 606,
		               "%s.logs_state in body should be one of [requested collecting completed timeout ]",
		               param);
		rv = -1;
	}
	json_decref(body);
	return rv;
}

void emu_api_host_logs_progress(struct emu_ctx *x)
{
	uint8_t st;
	struct emu_host *h = emu_ctx_path_host(x);
	if (!h || parse_logs_state(x, "logs-progress-params", &st) < 0)
		return;
	h->logs_info = st;
	if (st == EMU_LOGS_REQUESTED)
		h->logs_started_at = x->req->wall_s;
	if (st == EMU_LOGS_COMPLETED)
		h->logs_collected_at = x->req->wall_s;
	emu_resp_empty(x->resp, 204);
}

void emu_api_cluster_logs_progress(struct emu_ctx *x)
{
	uint8_t st;
	struct emu_cluster *c = emu_ctx_cluster(x, x->p[0]);
	if (!c || parse_logs_state(x, "logs-progress-params", &st) < 0)
		return;
	c->logs_info = st;
	emu_resp_empty(x->resp, 204);
}

static int has_upfile_part(const struct emu_request *r)
{
	static const char needle[] = "name=\"upfile\"";
	size_t nl = sizeof(needle) - 1;
	if (!r->body || r->body_len < nl)
		return 0;
	for (size_t i = 0; i + nl <= r->body_len; i++)
		if (memcmp(r->body + i, needle, nl) == 0)
			return 1;
	return 0;
}

void emu_api_upload_logs(struct emu_ctx *x)
{
	const struct emu_request *r = x->req;
	char type[32], hid[40], ieid[40];
	struct emu_cluster *c;
	int have_host, have_ie;
	if (!r->query || !emu_query_get(r->query, "logs_type", type, sizeof(type))) {
		emu_resp_infra(x->resp, 400, 602, "logs_type in query is required");
		return;
	}
	if (strcmp(type, "host") && strcmp(type, "controller") && strcmp(type, "all") && *type) {
		emu_resp_infra(x->resp, 400, 606,
		               "logs_type in query should be one of [host controller all ]");
		return;
	}
	if (!r->content_type || strncmp(r->content_type, "multipart/form-data", 19) != 0) {
		emu_resp_infra(x->resp, 415, 415,
		               "unsupported media type \"%s\", only [multipart/form-data] are allowed",
		               r->content_type ? r->content_type : "");
		return;
	}
	if (!has_upfile_part(r)) {
		emu_resp_infra(x->resp, 400, 602, "upfile in formData is required");
		return;
	}
	c = emu_ctx_cluster(x, x->p[0]);
	if (!c)
		return;
	have_host = emu_query_get(r->query, "host_id", hid, sizeof(hid)) && *hid;
	have_ie = emu_query_get(r->query, "infra_env_id", ieid, sizeof(ieid)) && *ieid;
	if (strcmp(type, "host") == 0) {
		if (!have_host || !have_ie) {
			emu_resp_error(x->resp, 400,
			               "infra_env_id and host_id are required for upload host logs");
			return;
		}
		struct emu_host *h = emu_ctx_host(x, ieid, hid);
		if (!h)
			return;
		if (h->cluster != emu_cluster_index(x->m, c)) {
			emu_resp_error(x->resp, 404, "host %s is not part of cluster %s", hid, x->p[0]);
			return;
		}
		h->logs_collected_at = r->wall_s;
	}
	emu_resp_empty(x->resp, 204);
}

void emu_api_host_progress(struct emu_ctx *x)
{
	struct emu_model *m = x->m;
	const struct emu_request *r = x->req;
	json_t *body = NULL;
	struct emu_host *h = emu_ctx_path_host(x);
	if (!h)
		return;
	if (emu_decode_body(m, r, "host-progress", "host-progress", NULL, NULL, &body, x->resp) < 0)
		return;
	const char *stage = json_string_value(json_object_get(body, "current_stage"));
	const char *info = json_string_value(json_object_get(body, "progress_info"));
	int st = as_stage_parse(stage);
	if (st < 0) {
		emu_resp_infra(x->resp, 400, 606,
		               "host-progress.current_stage in body should be one of [Starting installation Waiting for control plane Waiting for bootkube Waiting for controller Installing Writing image to disk Copying registry data to disk Rebooting Waiting for ignition Configuring Joined Done Failed]");
		goto out;
	}
	if (h->cluster == EMU_NONE) {
		emu_resp_error(x->resp, 400, "host %s is not bound to any cluster", x->p[1]);
		goto out;
	}
	if (h->status != AS_HOST_INSTALLING && h->status != AS_HOST_INSTALLING_IN_PROGRESS &&
	    h->status != AS_HOST_INSTALLING_PENDING_USER_ACTION) {
		emu_resp_error(x->resp, 409, "Can't set progress <%s> to host in status <%s>", stage,
		               as_host_status_name((enum as_host_status)h->status));
		goto out;
	}
	enum as_stage_role role = emu_host_stage_role(m, h);
	int idx = as_stage_index(role, (enum as_stage)st);
	if (idx < 0) {
		emu_resp_error(x->resp, 409, "Stages %s isn't available for host role %s bootstrap %s",
		               stage, emu_role_name((enum emu_role)h->role),
		               h->bootstrap ? "true" : "false");
		goto out;
	}
	if (h->stage < AS_STAGE_COUNT && st != AS_STAGE_FAILED) {
		int cur = as_stage_index(role, (enum as_stage)h->stage);
		if (idx < cur) {
			emu_resp_error(x->resp, 409,
			               "Can't assign lower stage \"%s\" after host has been in stage \"%s\"",
			               stage, as_stage_name((enum as_stage)h->stage));
			goto out;
		}
	}
	if (h->stage != st)
		h->stage_started_at = r->wall_s;
	h->stage = (uint8_t)st;
	h->stage_updated_at = r->wall_s;
	h->stage_ns = r->now_ns;
	snprintf(h->progress_info, sizeof(h->progress_info), "%s", info ? info : "");
	if (st == AS_STAGE_FAILED)
		emu_host_set_status(m, h, AS_HOST_ERROR, HI_FAILED_STAGE, r->now_ns, r->wall_s);
	else if (st == AS_STAGE_DONE)
		emu_host_set_status(m, h, AS_HOST_INSTALLED, HI_INSTALLED, r->now_ns, r->wall_s);
	else
		emu_host_set_status(m, h, AS_HOST_INSTALLING_IN_PROGRESS, HI_IN_PROGRESS, r->now_ns,
		                    r->wall_s);
	emu_kapi_host_changed(m, h); /* the stage is an event of its own */
	emu_resp_empty(x->resp, 200);
out:
	json_decref(body);
}

static int cluster_files_ready(const struct emu_cluster *c)
{
	switch ((enum as_cluster_status)c->status) {
	case AS_CLUSTER_INSTALLING: case AS_CLUSTER_INSTALLING_PENDING_USER_ACTION:
	case AS_CLUSTER_FINALIZING: case AS_CLUSTER_INSTALLED: case AS_CLUSTER_ERROR:
	case AS_CLUSTER_CANCELLED: case AS_CLUSTER_ADDING_HOSTS:
		return 1;
	default:
		return 0;
	}
}

static void resp_octets(struct emu_response *resp, const char *text)
{
	resp->status = 200;
	resp->content_type = "application/octet-stream";
	resp->body = strdup(text);
	resp->body_len = resp->body ? strlen(resp->body) : 0;
}

void emu_api_cluster_files(struct emu_ctx *x)
{
	static const char *const names[] = {
		"bootstrap.ign", "master.ign", "worker.ign", "metadata.json", "install-config.yaml",
		"custom_manifests.json", "custom_manifests.yaml", "arbiter.ign",
	};
	char fn[64], cid[37], buf[512];
	size_t i;
	if (!x->req->query || !emu_query_get(x->req->query, "file_name", fn, sizeof(fn))) {
		emu_resp_infra(x->resp, 400, 602, "file_name in query is required");
		return;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(fn, names[i]) == 0)
			break;
	if (i == sizeof(names) / sizeof(names[0])) {
		emu_resp_infra(x->resp, 400, 606,
		               "file_name in query should be one of [bootstrap.ign master.ign worker.ign metadata.json install-config.yaml custom_manifests.json custom_manifests.yaml arbiter.ign]");
		return;
	}
	struct emu_cluster *c = emu_ctx_cluster(x, x->p[0]);
	if (!c)
		return;
	if (!cluster_files_ready(c)) {
		emu_resp_error(x->resp, 409,
		               "Cluster %s is in %s state, files can be downloaded only when status is one of: [installing installing-pending-user-action finalizing installed error cancelled adding-hosts]",
		               x->p[0], as_cluster_status_name((enum as_cluster_status)c->status));
		return;
	}
	emu_uuid_fmt(&c->id, cid);
	if (strstr(fn, ".ign"))
		snprintf(buf, sizeof(buf), "{\"ignition\":{\"version\":\"3.2.0\"},\"storage\":{\"files\":[]}}");
	else if (strcmp(fn, "metadata.json") == 0)
		snprintf(buf, sizeof(buf), "{\"clusterName\":\"%s\",\"clusterID\":\"%s\",\"infraID\":\"%s\"}",
		         c->name, cid, c->name);
	else if (strcmp(fn, "install-config.yaml") == 0)
		snprintf(buf, sizeof(buf), "apiVersion: v1\nbaseDomain: %s\nmetadata:\n  name: %s\n",
		         c->base_dns_domain, c->name);
	else if (strcmp(fn, "custom_manifests.json") == 0)
		snprintf(buf, sizeof(buf), "[]");
	else
		buf[0] = '\0';
	resp_octets(x->resp, buf);
}

void emu_api_host_ignition(struct emu_ctx *x)
{
	char buf[512];
	struct emu_host *h = emu_ctx_path_host(x);
	if (!h)
		return;
	const struct emu_cluster *c = h->cluster != EMU_NONE ? x->m->clusters[h->cluster] : NULL;
	if (!c || !cluster_files_ready(c)) {
		emu_resp_error(x->resp, 409, "Cluster %s is in %s state, host ignition is not available",
		               c ? c->name : "", c ? as_cluster_status_name((enum as_cluster_status)c->status)
		                                   : "unbound");
		return;
	}
	snprintf(buf, sizeof(buf),
	         "{\"ignition\":{\"version\":\"3.2.0\",\"config\":{\"merge\":[{\"source\":\"https://api-int.%s.%s:22623/config/%s\"}]}}}",
	         c->name, c->base_dns_domain, h->role == EMU_ROLE_WORKER ? "worker" : "master");
	resp_octets(x->resp, buf);
}

void emu_api_get_host(struct emu_ctx *x)
{
	struct emu_host *h = emu_ctx_path_host(x);
	if (h)
		emu_resp_json(x->resp, 200, emu_render_host(x->m, h, 1));
}

void emu_api_update_host(struct emu_ctx *x)
{
	json_t *body = NULL;
	struct emu_host *h = emu_ctx_path_host(x);
	if (!h)
		return;
	if (emu_decode_body(x->m, x->req, "host-update-params", "host-update-params", NULL, NULL,
	                    &body, x->resp) < 0)
		return;
	if (!emu_host_is_preinstall(h)) {
		emu_resp_error(x->resp, 409,
		               "Host is in %s state, host can be updated only in one of [discovering known disconnected insufficient pending-for-input]",
		               as_host_status_name((enum as_host_status)h->status));
		goto out;
	}
	json_t *role = json_object_get(body, "host_role");
	json_t *name = json_object_get(body, "host_name");
	if (role && !json_is_null(role)) {
		int rv = emu_role_parse(json_string_value(role));
		if (rv < 0) {
			emu_resp_infra(x->resp, 400, 606,
			               "host-update-params.host_role in body should be one of [auto-assign master arbiter worker]");
			goto out;
		}
		const struct emu_cluster *c = h->cluster != EMU_NONE ? x->m->clusters[h->cluster] : NULL;
		if (c && emu_cluster_is_sno(c) && rv != EMU_ROLE_MASTER) {
			emu_resp_error(x->resp, 400, "Single node cluster host role must be master");
			goto out;
		}
		h->role = (uint8_t)rv;
		if (rv != EMU_ROLE_AUTO)
			h->suggested_role = (uint8_t)rv;
	}
	if (name && json_is_string(name)) {
		const char *s = json_string_value(name);
		if (strlen(s) >= sizeof(h->requested_hostname)) {
			emu_resp_error(x->resp, 400, "Hostname %s is too long", s);
			goto out;
		}
		snprintf(h->requested_hostname, sizeof(h->requested_hostname), "%s", s);
	}
	h->updated_at = x->req->wall_s;
	emu_kapi_host_changed(x->m, h);
	emu_resp_json(x->resp, 201, emu_render_host(x->m, h, 1));
out:
	json_decref(body);
}

void emu_api_delete_host(struct emu_ctx *x)
{
	struct emu_host *h = emu_ctx_path_host(x);
	if (!h)
		return;
	emu_host_delete(x->m, (uint32_t)(h - x->m->hosts));
	emu_resp_empty(x->resp, 204);
}

void emu_api_list_infraenv_hosts(struct emu_ctx *x)
{
	struct emu_infraenv *ie = emu_ctx_infraenv(x, x->p[0]);
	if (!ie)
		return;
	json_t *a = json_array();
	uint32_t iidx = emu_map_get(&x->m->infraenv_map, &ie->id);
	for (size_t i = 0; i < x->m->nhosts; i++) {
		const struct emu_host *h = &x->m->hosts[i];
		if (!h->deleted && h->infra_env == iidx)
			json_array_append_new(a, emu_render_host(x->m, h, 1));
	}
	emu_resp_json(x->resp, 200, a);
}
