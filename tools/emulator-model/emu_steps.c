#include "emu_internal.h"

#include <stdio.h>
#include <string.h>

#define INSTALLER_IMAGE "quay.io/edge-infrastructure/assisted-installer:latest"
#define CONTROLLER_IMAGE "quay.io/edge-infrastructure/assisted-installer-controller:latest"
#define MCO_IMAGE "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:0000000000000000000000000000000000000000000000000000000000000001"
#define MUST_GATHER_IMAGE "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:0000000000000000000000000000000000000000000000000000000000000002"

/* Appends one step; |args| are raw strings, escaped here. */
static void add_step(struct emu_model *m, struct emu_buf *b, int *n, enum as_step_type t,
                     const char *const *args, size_t nargs)
{
	const char *name = as_step_type_name(t);
	emu_buf_printf(b, "%s{\"step_type\":\"%s\",\"step_id\":\"%s-%08x\",\"args\":[", *n ? "," : "",
	               name, name, (unsigned)(emu_rand(m) & 0xffffffffu));
	for (size_t i = 0; i < nargs; i++) {
		emu_buf_str(b, i ? ",\"" : "\"");
		emu_buf_esc(b, args[i], strlen(args[i]));
		emu_buf_str(b, "\"");
	}
	emu_buf_str(b, "]}");
	(*n)++;
}

static void add_step1(struct emu_model *m, struct emu_buf *b, int *n, enum as_step_type t,
                      const char *arg)
{
	add_step(m, b, n, t, &arg, 1);
}

static const struct emu_cluster *host_cluster(const struct emu_model *m, const struct emu_host *h)
{
	return h->cluster != EMU_NONE ? m->clusters[h->cluster] : NULL;
}

/* Clusters above this size get connectivity checks rate-limited (per minute). */
#define CONN_LIMIT_HOSTS 150

static void step_connectivity(struct emu_model *m, const struct emu_host *h, uint64_t now_ns,
                              struct emu_buf *b, int *n)
{
	struct emu_cluster *c = h->cluster != EMU_NONE ? m->clusters[h->cluster] : NULL;
	struct emu_buf a;
	int peers = 0;
	if (!c)
		return;
	if (c->nhosts > CONN_LIMIT_HOSTS) {
		/* As the service: at most 150 admissions per cluster per minute, so
		 * large clusters do not get an O(n) argument on every poll. */
		if (now_ns - c->conn_window_ns > emu_scaled_ns(m, 60.0)) {
			c->conn_window_ns = now_ns;
			c->conn_admitted = 0;
		}
		if (c->conn_admitted >= CONN_LIMIT_HOSTS)
			return;
		c->conn_admitted++;
	}
	emu_buf_init(&a);
	emu_buf_str(&a, "[");
	for (size_t i = 0; i < c->nhosts; i++) {
		const struct emu_host *o = &m->hosts[c->hosts[i]];
		char id[37], ip[16];
		if (o == h || !emu_host_is_conn_peer(o))
			continue;
		emu_uuid_fmt(&o->id, id);
		const uint8_t *mac = o->inv.mac[0];
		emu_buf_printf(&a, "%s{\"host_id\":\"%s\",\"nics\":[{\"name\":\"%s\",\"mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\",\"ip_addresses\":[",
		               peers ? "," : "", id, o->inv.ifname, mac[0], mac[1], mac[2], mac[3],
		               mac[4], mac[5]);
		for (int j = 0; j < o->inv.n_ipv4; j++) {
			emu_ipv4_fmt(o->inv.ipv4[j], ip);
			emu_buf_printf(&a, "%s\"%s\"", j ? "," : "", ip);
		}
		emu_buf_str(&a, "]}]}");
		peers++;
	}
	emu_buf_str(&a, "]");
	if (peers && !a.oom)
		add_step1(m, b, n, AS_STEP_CONNECTIVITY_CHECK, a.p);
	emu_buf_free(&a);
}

static void step_free_addresses(struct emu_model *m, const struct emu_host *h,
                                struct emu_buf *b, int *n)
{
	char args[128], cidr[24];
	size_t o = 0;
	int k = 0;
	/* Not in kube-api (local auth) mode; only IPv4 networks of /22 or smaller. */
	if (m->cfg.auth == EMU_AUTH_LOCAL || !host_cluster(m, h))
		return;
	o += (size_t)snprintf(args + o, sizeof(args) - o, "[");
	for (int i = 0; i < h->inv.n_ipv4; i++) {
		if (h->inv.prefix[i] < 22)
			continue;
		struct emu_net net = {h->inv.ipv4[i], h->inv.prefix[i]};
		emu_cidr_fmt(&net, cidr);
		o += (size_t)snprintf(args + o, sizeof(args) - o, "%s\"%s\"", k ? "," : "", cidr);
		k++;
	}
	snprintf(args + o, sizeof(args) - o, "]");
	if (k)
		add_step1(m, b, n, AS_STEP_FREE_NETWORK_ADDRESSES, args);
}

static void step_ntp(struct emu_model *m, struct emu_buf *b, int *n)
{
	add_step1(m, b, n, AS_STEP_NTP_SYNCHRONIZER, "{\"ntp_source\":\"\"}");
}

static void step_dns(struct emu_model *m, const struct emu_host *h, struct emu_buf *b, int *n)
{
	const struct emu_cluster *c = host_cluster(m, h);
	char args[1400];
	if (!c || !c->name[0] || !c->base_dns_domain[0])
		return;
	const char *cn = c->name, *bd = c->base_dns_domain;
	snprintf(args, sizeof(args),
	         "{\"domains\":[{\"domain_name\":\"api.%s.%s\"},{\"domain_name\":\"api-int.%s.%s\"},"
	         "{\"domain_name\":\"console-openshift-console.apps.%s.%s\"},"
	         "{\"domain_name\":\"validateNoWildcardDNS.%s.%s.\"},"
	         "{\"domain_name\":\"validateNoWildcardDNS.%s.%s\"},{\"domain_name\":\"quay.io\"}]}",
	         cn, bd, cn, bd, cn, bd, cn, bd, cn, bd);
	add_step1(m, b, n, AS_STEP_DOMAIN_RESOLUTION, args);
}

static void step_verify_vips(struct emu_model *m, const struct emu_host *h, struct emu_buf *b,
                             int *n)
{
	const struct emu_cluster *c = host_cluster(m, h);
	char args[512], ip[16];
	size_t o = 0;
	int k = 0;
	if (!c || (!c->n_api_vips && !c->n_ingress_vips))
		return;
	o += (size_t)snprintf(args + o, sizeof(args) - o, "[");
	for (int i = 0; i < c->n_api_vips; i++, k++) {
		emu_ipv4_fmt(c->api_vips[i].ip, ip);
		o += (size_t)snprintf(args + o, sizeof(args) - o, "%s{\"vip\":\"%s\",\"vip_type\":\"api\"}",
		                      k ? "," : "", ip);
	}
	for (int i = 0; i < c->n_ingress_vips; i++, k++) {
		emu_ipv4_fmt(c->ingress_vips[i].ip, ip);
		o += (size_t)snprintf(args + o, sizeof(args) - o,
		                      "%s{\"vip\":\"%s\",\"vip_type\":\"ingress\"}", k ? "," : "", ip);
	}
	snprintf(args + o, sizeof(args) - o, "]");
	add_step1(m, b, n, AS_STEP_VERIFY_VIPS, args);
}

static void release_image(const struct emu_cluster *c, char *out, size_t len)
{
	const char *v = c ? c->openshift_version : "4.22";
	const char *dot = strchr(v, '.');
	/* "4.22" names the release "4.22.0". */
	int has_patch = dot && strchr(dot + 1, '.');
	snprintf(out, len, "quay.io/openshift-release-dev/ocp-release:%s%s-x86_64", v,
	         has_patch ? "" : ".0");
}

static void step_install(struct emu_model *m, const struct emu_host *h, struct emu_buf *b,
                         int *n)
{
	const struct emu_cluster *c = host_cluster(m, h);
	char hid[37], cid[37], iid[37], args[1600], cp[48];
	if (!c)
		return;
	emu_uuid_fmt(&h->id, hid);
	emu_uuid_fmt(&c->id, cid);
	emu_uuid_fmt(&m->infraenvs[h->infra_env]->id, iid);
	if (m->cfg.api == EMU_API_2023)
		snprintf(cp, sizeof(cp), "\"high_availability_mode\":\"%s\"",
		         emu_cluster_is_sno(c) ? "None" : "Full");
	else
		snprintf(cp, sizeof(cp), "\"control_plane_count\":%d", c->control_plane_count);
	snprintf(args, sizeof(args),
	         "{\"cluster_id\":\"%s\",\"infra_env_id\":\"%s\",\"host_id\":\"%s\",\"role\":\"%s\","
	         "\"boot_device\":\"%s\",\"controller_image\":\"%s\",\"installer_image\":\"%s\","
	         "%s,\"check_cvo\":%s,\"mco_image\":\"%s\",\"must_gather_image\":\"%s\","
	         "\"openshift_version\":\"%s\",\"disks_to_format\":null,\"service_ips\":null,"
	         "\"enable_skip_mco_reboot\":true,\"notify_num_reboots\":true}",
	         cid, iid, hid, h->bootstrap ? "bootstrap" : emu_role_name((enum emu_role)h->role),
	         h->inv.disk_id, CONTROLLER_IMAGE, INSTALLER_IMAGE, cp,
	         m->cfg.check_cluster_version ? "true" : "false", MCO_IMAGE, MUST_GATHER_IMAGE,
	         c->openshift_version);
	add_step1(m, b, n, AS_STEP_INSTALL, args);
}

static void step_prepare(struct emu_model *m, const struct emu_host *h, struct emu_buf *b,
                         int *n)
{
	const struct emu_cluster *c = host_cluster(m, h);
	char args[1024], rel[160];
	if (h->disk_speed == 0) {
		const char *a[2] = {args, "480.00"};
		snprintf(args, sizeof(args), "{\"path\":\"%s\"}", h->inv.disk_id);
		add_step(m, b, n, AS_STEP_INSTALLATION_DISK_SPEED_CHECK, a, 2);
	}
	if (h->images == 0) {
		release_image(c, rel, sizeof(rel));
		snprintf(args, sizeof(args), "{\"images\":[\"%s\",\"%s\",\"%s\",\"%s\"],\"timeout\":960}",
		         rel, MCO_IMAGE, MUST_GATHER_IMAGE, INSTALLER_IMAGE);
		add_step1(m, b, n, AS_STEP_CONTAINER_IMAGE_AVAILABILITY, args);
	}
}

static void step_logs(struct emu_model *m, const struct emu_host *h, struct emu_buf *b, int *n)
{
	const struct emu_cluster *c = host_cluster(m, h);
	char hid[37], cid[37], iid[37], args[512];
	if (!c || h->logs_info == EMU_LOGS_COMPLETED || h->logs_collected_at)
		return;
	emu_uuid_fmt(&h->id, hid);
	emu_uuid_fmt(&c->id, cid);
	emu_uuid_fmt(&m->infraenvs[h->infra_env]->id, iid);
	snprintf(args, sizeof(args),
	         "{\"cluster_id\":\"%s\",\"infra_env_id\":\"%s\",\"host_id\":\"%s\",\"bootstrap\":%s,"
	         "\"installer_gather\":true,\"master_ips\":[]}",
	         cid, iid, hid, h->bootstrap ? "true" : "false");
	add_step1(m, b, n, AS_STEP_LOGS_GATHER, args);
}

void emu_steps_build(struct emu_model *m, struct emu_host *h, uint64_t now_ns,
                     struct emu_buf *b)
{
	char hid[37], upg[600];
	int n = 0, interval = 60;
	const char *action = "continue";

	emu_buf_str(b, "{");
	emu_buf_str(b, "\"instructions\":[");
	emu_uuid_fmt(&h->id, hid);

	if (!h->agent_ok && emu_host_is_preinstall(h)) {
		snprintf(upg, sizeof(upg), "{\"agent_image\":\"%s\"}", m->cfg.agent_image);
		add_step1(m, b, &n, AS_STEP_UPGRADE_AGENT, upg);
	} else {
		switch ((enum as_host_status)h->status) {
		case AS_HOST_DISCOVERING:
			add_step1(m, b, &n, AS_STEP_INVENTORY, hid);
			break;
		case AS_HOST_INSUFFICIENT:
		case AS_HOST_PENDING_FOR_INPUT:
			add_step1(m, b, &n, AS_STEP_INVENTORY, hid);
			step_connectivity(m, h, now_ns, b, &n);
			step_free_addresses(m, h, b, &n);
			step_ntp(m, b, &n);
			step_dns(m, h, b, &n);
			step_verify_vips(m, h, b, &n);
			break;
		case AS_HOST_KNOWN:
			step_connectivity(m, h, now_ns, b, &n);
			step_free_addresses(m, h, b, &n);
			add_step1(m, b, &n, AS_STEP_INVENTORY, hid);
			step_ntp(m, b, &n);
			step_dns(m, h, b, &n);
			step_verify_vips(m, h, b, &n);
			break;
		case AS_HOST_PREPARING:
			step_prepare(m, h, b, &n);
			break;
		case AS_HOST_INSTALLING:
			step_install(m, h, b, &n);
			break;
		case AS_HOST_DISCONNECTED:
			add_step1(m, b, &n, AS_STEP_INVENTORY, hid);
			interval = 120;
			break;
		case AS_HOST_ERROR:
		case AS_HOST_CANCELLED:
			step_logs(m, h, b, &n);
			add_step(m, b, &n, AS_STEP_STOP_INSTALLATION, NULL, 0);
			interval = 120;
			break;
		case AS_HOST_DISABLED:
		case AS_HOST_RESETTING:
		case AS_HOST_RECLAIMING_REBOOTING:
			interval = 120;
			break;
		case AS_HOST_DISCOVERING_UNBOUND:
		case AS_HOST_INSUFFICIENT_UNBOUND:
		case AS_HOST_KNOWN_UNBOUND:
			add_step1(m, b, &n, AS_STEP_INVENTORY, hid);
			step_ntp(m, b, &n);
			break;
		case AS_HOST_DISCONNECTED_UNBOUND:
			add_step1(m, b, &n, AS_STEP_INVENTORY, hid);
			interval = 120;
			break;
		case AS_HOST_BINDING:
		case AS_HOST_UNBINDING:
			interval = 0;
			action = "exit";
			break;
		default:
			break;
		}
	}
	/* The service marshals an empty list as null; the swagger declares an
	 * array, and an empty array means the same to every client. */
	emu_buf_str(b, "]");
	if (interval) {
		double s = interval / (m->cfg.time_scale >= 1.0 ? m->cfg.time_scale : 1.0);
		long secs = (long)(s + 0.5);
		emu_buf_printf(b, ",\"next_instruction_seconds\":%ld", secs < 1 ? 1 : secs);
	}
	emu_buf_printf(b, ",\"post_step_action\":\"%s\"}", action);
}

/* ---- replies ---- */

static int ip_is_own(const struct emu_host *h, const char *ip)
{
	uint32_t a;
	if (emu_ipv4_parse(ip, &a) < 0)
		return 0;
	for (int i = 0; i < h->inv.n_ipv4; i++)
		if (h->inv.ipv4[i] == a)
			return 1;
	return 0;
}

/* 1 when the resolution has addresses none of which is the host's own. */
static int resolved_ok(const struct emu_host *h, json_t *r)
{
	size_t i;
	json_t *a;
	int any = 0;
	const char *fams[] = {"ipv4_addresses", "ipv6_addresses"};
	for (int f = 0; f < 2; f++) {
		json_array_foreach(json_object_get(r, fams[f]), i, a) {
			if (!json_is_string(a))
				continue;
			if (ip_is_own(h, json_string_value(a)))
				return 0;
			any = 1;
		}
	}
	return any;
}

/* The wildcard probes only look at addresses, not CNAMEs. */
static int resolved_empty(json_t *r)
{
	return json_array_size(json_object_get(r, "ipv4_addresses")) == 0 &&
	       json_array_size(json_object_get(r, "ipv6_addresses")) == 0;
}

static int apply_dns(struct emu_model *m, struct emu_host *h, json_t *out)
{
	const struct emu_cluster *c = host_cluster(m, h);
	char api[256], apiint[256], apps[256], wc1[256], wc2[256];
	json_t *res = json_object_get(out, "resolutions"), *r;
	size_t i;
	int seen_wc1 = 0, seen_wc2 = 0, wc_ok = 1;
	if (!json_is_array(res))
		return -1;
	if (!c)
		return 0;
	snprintf(api, sizeof(api), "api.%s.%s", c->name, c->base_dns_domain);
	snprintf(apiint, sizeof(apiint), "api-int.%s.%s", c->name, c->base_dns_domain);
	snprintf(apps, sizeof(apps), "console-openshift-console.apps.%s.%s", c->name,
	         c->base_dns_domain);
	snprintf(wc1, sizeof(wc1), "validateNoWildcardDNS.%s.%s.", c->name, c->base_dns_domain);
	snprintf(wc2, sizeof(wc2), "validateNoWildcardDNS.%s.%s", c->name, c->base_dns_domain);
	h->dns_api = h->dns_api_int = h->dns_apps = 0;
	json_array_foreach(res, i, r) {
		const char *d = json_string_value(json_object_get(r, "domain_name"));
		if (!d)
			continue;
		if (strcmp(d, api) == 0)
			h->dns_api = (uint8_t)resolved_ok(h, r);
		else if (strcmp(d, apiint) == 0)
			h->dns_api_int = (uint8_t)resolved_ok(h, r);
		else if (strcmp(d, apps) == 0)
			h->dns_apps = (uint8_t)resolved_ok(h, r);
		else if (strcmp(d, wc1) == 0 || strcmp(d, wc2) == 0) {
			if (strcmp(d, wc1) == 0)
				seen_wc1 = 1;
			else
				seen_wc2 = 1;
			if (!resolved_empty(r))
				wc_ok = 0;
		}
	}
	h->dns_answered = 1;
	/* 1 ok, 2 a wildcard record exists, 0 an answer is missing (an error for the service). */
	h->dns_wildcard_ok = (uint8_t)(!wc_ok ? 2 : seen_wc1 && seen_wc2 ? 1 : 0);
	return 0;
}

static int apply_connectivity(struct emu_model *m, struct emu_host *h, json_t *out)
{
	const struct emu_cluster *c = host_cluster(m, h);
	json_t *rh = json_object_get(out, "remote_hosts"), *e;
	size_t i;
	struct emu_net mn;
	int have_mn;
	uint16_t ok = 0;
	if (!json_is_object(out))
		return -1;
	if (!c)
		return 0;
	have_mn = emu_cluster_machine_net(c, &mn);
	json_array_foreach(rh, i, e) {
		struct emu_uuid id;
		const char *sid = json_string_value(json_object_get(e, "host_id"));
		size_t j;
		json_t *l;
		int good = 0;
		if (!sid || emu_uuid_parse(sid, &id) < 0)
			continue;
		struct emu_host *o = emu_host_get(m, &id);
		if (!o || o == h || o->cluster != h->cluster)
			continue;
		const char *key = c->umn ? "l3_connectivity" : "l2_connectivity";
		json_array_foreach(json_object_get(e, key), j, l) {
			uint32_t ip;
			if (!json_is_true(json_object_get(l, "successful")))
				continue;
			if (emu_ipv4_parse(json_string_value(json_object_get(l, "remote_ip_address")),
			                   &ip) < 0)
				continue;
			if (have_mn && !emu_net_contains(&mn, ip))
				continue;
			good = 1;
		}
		if (good && ok < UINT16_MAX)
			ok++;
	}
	h->conn_ok = ok;
	return 0;
}

static void mark_vip(struct emu_vip *v, int n, uint32_t ip, int verification, int free_seen)
{
	for (int i = 0; i < n; i++) {
		if (v[i].ip != ip)
			continue;
		if (verification >= 0)
			v[i].verification = (uint8_t)verification;
		if (free_seen)
			v[i].free_seen = 1;
	}
}

static int apply_verify_vips(struct emu_model *m, struct emu_host *h, json_t *out)
{
	struct emu_cluster *c = h->cluster != EMU_NONE ? m->clusters[h->cluster] : NULL;
	size_t i;
	json_t *e;
	if (!json_is_array(out))
		return -1;
	if (!c)
		return 0;
	json_array_foreach(out, i, e) {
		uint32_t ip;
		const char *ver = json_string_value(json_object_get(e, "verification"));
		const char *type = json_string_value(json_object_get(e, "vip_type"));
		if (!ver || !type ||
		    emu_ipv4_parse(json_string_value(json_object_get(e, "vip")), &ip) < 0)
			continue;
		int st = strcmp(ver, "succeeded") == 0 ? 1 : strcmp(ver, "failed") == 0 ? 2 : 0;
		if (strcmp(type, "api") == 0)
			mark_vip(c->api_vips, c->n_api_vips, ip, st, 0);
		else if (strcmp(type, "ingress") == 0)
			mark_vip(c->ingress_vips, c->n_ingress_vips, ip, st, 0);
	}
	return 0;
}

static int apply_free_addresses(struct emu_model *m, struct emu_host *h, json_t *out)
{
	struct emu_cluster *c = h->cluster != EMU_NONE ? m->clusters[h->cluster] : NULL;
	size_t i, j;
	json_t *e, *a;
	if (!json_is_array(out) || json_array_size(out) == 0)
		return -1;
	if (!c)
		return 0;
	json_array_foreach(out, i, e) {
		json_array_foreach(json_object_get(e, "free_addresses"), j, a) {
			uint32_t ip;
			if (emu_ipv4_parse(json_string_value(a), &ip) < 0)
				continue;
			mark_vip(c->api_vips, c->n_api_vips, ip, -1, 1);
			mark_vip(c->ingress_vips, c->n_ingress_vips, ip, -1, 1);
		}
	}
	return 0;
}

static int apply_images(struct emu_host *h, json_t *out)
{
	json_t *imgs = json_object_get(out, "images"), *e;
	size_t i;
	int all_ok = 1;
	if (!json_is_array(imgs))
		return -1;
	json_array_foreach(imgs, i, e) {
		const char *r = json_string_value(json_object_get(e, "result"));
		json_int_t size = json_integer_value(json_object_get(e, "size_bytes"));
		double rate = json_number_value(json_object_get(e, "download_rate"));
		if (!r || strcmp(r, "success") != 0 || (size > 0 && rate < 0.001)) {
			all_ok = 0;
			if (r && strcmp(r, "failure") == 0) {
				h->images = 2;
				return 0;
			}
		}
	}
	h->images = all_ok && json_array_size(imgs) ? 1 : h->images;
	return 0;
}

static int host_past_discovery(const struct emu_host *h)
{
	switch ((enum as_host_status)h->status) {
	case AS_HOST_INSTALLING: case AS_HOST_INSTALLING_IN_PROGRESS:
	case AS_HOST_INSTALLED: case AS_HOST_ERROR: case AS_HOST_CANCELLED:
	case AS_HOST_INSTALLING_PENDING_USER_ACTION: case AS_HOST_ADDED_TO_EXISTING_CLUSTER:
		return 1;
	default:
		return 0;
	}
}

/* The service leaves a host installing when a repeated install step fails
 * only because the installer container already runs: podman's exit code 125
 * with this text in the reply's "error" (not its "output"). */
#define INSTALLER_RUNNING_EXIT 125
#define INSTALLER_RUNNING_TEXT "the container name \"assisted-installer\" is already in use"

void emu_steps_reply(struct emu_model *m, struct emu_host *h, const char *type, int exit_code,
                     const char *output, const char *error, const struct emu_request *req,
                     struct emu_response *resp)
{
	int t = as_step_type_parse(type);
	json_error_t jerr;
	json_t *out = NULL;
	int rv = 0;

	if (exit_code == 256) {
		/* "Virtual media disconnected": never sent by a healthy agent. */
		if (emu_host_is_preinstall(h))
			emu_host_set_status(m, h, AS_HOST_DISCONNECTED, HI_DISCONNECTED, req->now_ns, req->wall_s);
		emu_resp_empty(resp, 204);
		return;
	}
	if (exit_code != 0) {
		if (t == AS_STEP_INSTALL && (h->status == AS_HOST_INSTALLING ||
		                             h->status == AS_HOST_INSTALLING_IN_PROGRESS)) {
			if (!(exit_code == INSTALLER_RUNNING_EXIT && error &&
			      strstr(error, INSTALLER_RUNNING_TEXT)))
				emu_host_set_status(m, h, AS_HOST_ERROR, HI_INSTALL_CMD_FAILED, req->now_ns, req->wall_s);
		} else if (t == AS_STEP_INSTALLATION_DISK_SPEED_CHECK) {
			h->disk_speed = 2;
		} else if (t == AS_STEP_CONTAINER_IMAGE_AVAILABILITY) {
			h->images = 2;
		}
		emu_resp_empty(resp, 204);
		return;
	}
	switch (t) {
	case AS_STEP_INVENTORY:
	case AS_STEP_CONNECTIVITY_CHECK:
	case AS_STEP_FREE_NETWORK_ADDRESSES:
	case AS_STEP_NTP_SYNCHRONIZER:
	case AS_STEP_DOMAIN_RESOLUTION:
	case AS_STEP_VERIFY_VIPS:
	case AS_STEP_INSTALLATION_DISK_SPEED_CHECK:
	case AS_STEP_CONTAINER_IMAGE_AVAILABILITY:
	case AS_STEP_DHCP_LEASE_ALLOCATE:
	case AS_STEP_TANG_CONNECTIVITY_CHECK:
	case AS_STEP_API_VIP_CONNECTIVITY_CHECK:
	case AS_STEP_UPGRADE_AGENT:
		break;
	default:
		emu_resp_empty(resp, 204);
		return;
	}
	if ((t == AS_STEP_INSTALLATION_DISK_SPEED_CHECK || t == AS_STEP_CONTAINER_IMAGE_AVAILABILITY) &&
	    (!output || !*output)) {
		emu_resp_empty(resp, 204);
		return;
	}
	out = json_loads(output ? output : "", JSON_DECODE_ANY, &jerr);
	if (!out) {
		emu_resp_error(resp, 400, "Failed to decode %s step reply: %s", type, jerr.text);
		return;
	}
	switch (t) {
	case AS_STEP_INVENTORY:
		if (host_past_discovery(h)) {
			json_decref(out);
			emu_resp_error(resp, 500, "Host is in %s state",
			               as_host_status_name((enum as_host_status)h->status));
			return;
		}
		rv = emu_host_parse_inventory(m, h, out);
		if (rv == 0) {
			emu_kapi_host_inventory(m, h, out);
			emu_kapi_host_changed(m, h);
		}
		break;
	case AS_STEP_CONNECTIVITY_CHECK:
		rv = apply_connectivity(m, h, out);
		break;
	case AS_STEP_FREE_NETWORK_ADDRESSES:
		rv = apply_free_addresses(m, h, out);
		break;
	case AS_STEP_NTP_SYNCHRONIZER: {
		json_t *src = json_object_get(out, "ntp_sources"), *e;
		size_t i;
		if (!json_is_object(out)) {
			rv = -1;
			break;
		}
		h->ntp_synced = 2;
		json_array_foreach(src, i, e) {
			const char *st = json_string_value(json_object_get(e, "source_state"));
			if (st && strcmp(st, "synced") == 0)
				h->ntp_synced = 1;
		}
		break;
	}
	case AS_STEP_DOMAIN_RESOLUTION:
		rv = apply_dns(m, h, out);
		break;
	case AS_STEP_VERIFY_VIPS:
		rv = apply_verify_vips(m, h, out);
		break;
	case AS_STEP_INSTALLATION_DISK_SPEED_CHECK: {
		json_t *d = json_object_get(out, "io_sync_duration");
		if (!json_is_object(out) || !json_is_integer(d)) {
			rv = -1;
			break;
		}
		h->disk_speed = json_integer_value(d) <= 10 ? 1 : 2;
		break;
	}
	case AS_STEP_CONTAINER_IMAGE_AVAILABILITY:
		rv = apply_images(h, out);
		break;
	default:
		if (!json_is_object(out))
			rv = -1;
		break;
	}
	json_decref(out);
	if (rv < 0) {
		emu_resp_error(resp, 400, "Failed to decode %s step reply: unexpected document", type);
		return;
	}
	h->updated_at = req->wall_s;
	emu_resp_empty(resp, 204);
}
