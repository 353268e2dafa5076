#include "emu_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const vstatus_names[] = {"pending", "success", "failure", "error"};

static void set_str(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, json_string(v ? v : ""));
}

static void set_time(json_t *o, const char *k, int64_t t)
{
	char buf[32];
	emu_time_fmt(t, buf);
	json_object_set_new(o, k, json_string(buf));
}

static void set_uuid(json_t *o, const char *k, const struct emu_uuid *u)
{
	char id[37];
	emu_uuid_fmt(u, id);
	json_object_set_new(o, k, json_string(id));
}

static const char *logs_name(int l)
{
	switch (l) {
	case EMU_LOGS_REQUESTED: return "requested";
	case EMU_LOGS_COLLECTING: return "collecting";
	case EMU_LOGS_COMPLETED: return "completed";
	case EMU_LOGS_TIMEOUT: return "timeout";
	default: return NULL;
	}
}

json_t *emu_render_inventory(const struct emu_host *h)
{
	char ip[16], cidr[24], mac[18];
	json_t *inv = json_object();
	if (!inv)
		return NULL;
	const struct emu_inv *n = &h->inv;
	set_str(inv, "hostname", n->hostname);
	json_object_set_new(inv, "cpu", json_pack("{s:I,s:s}", "count", (json_int_t)n->cores,
	                                          "architecture", "x86_64"));
	json_object_set_new(inv, "memory", json_pack("{s:I,s:I}", "physical_bytes",
	                                             (json_int_t)n->ram_bytes, "usable_bytes",
	                                             (json_int_t)n->ram_bytes));
	json_t *disks = json_array();
	if (n->n_eligible)
		json_array_append_new(disks, json_pack("{s:s,s:s,s:s,s:s,s:I,s:b,s:{s:b}}", "id",
		                                       n->disk_id, "name", n->disk_name, "path",
		                                       n->disk_path, "drive_type", n->drive_type,
		                                       "size_bytes", (json_int_t)n->disk_size,
		                                       "bootable", 1, "installation_eligibility",
		                                       "eligible", 1));
	json_object_set_new(inv, "disks", disks);
	json_t *ifs = json_array();
	if (n->n_ipv4) {
		json_t *addrs = json_array();
		for (int i = 0; i < n->n_ipv4; i++) {
			struct emu_net net = {n->ipv4[i], n->prefix[i]};
			emu_ipv4_fmt(net.base, ip);
			snprintf(cidr, sizeof(cidr), "%s/%u", ip, net.prefix);
			json_array_append_new(addrs, json_string(cidr));
		}
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0][0], n->mac[0][1],
		         n->mac[0][2], n->mac[0][3], n->mac[0][4], n->mac[0][5]);
		json_array_append_new(ifs, json_pack("{s:s,s:s,s:s,s:o,s:[]}", "name", n->ifname,
		                                     "type", "physical", "mac_address", mac,
		                                     "ipv4_addresses", addrs, "ipv6_addresses"));
	}
	json_object_set_new(inv, "interfaces", ifs);
	json_t *routes = json_array();
	if (n->route_ok) {
		/* The gateway itself is not kept; the network's first address stands in. */
		uint32_t mask = n->n_ipv4 && n->prefix[0] ? 0xffffffffu << (32 - n->prefix[0]) : 0;
		emu_ipv4_fmt(n->n_ipv4 ? ((n->ipv4[0] & mask) | 1) : 0, ip);
		json_array_append_new(routes, json_pack("{s:s,s:s,s:s,s:i}", "interface", n->ifname,
		                                        "destination", "0.0.0.0", "gateway", ip,
		                                        "family", 2));
	}
	json_object_set_new(inv, "routes", routes);
	if (n->vendor_present)
		json_object_set_new(inv, "system_vendor",
		                    json_pack("{s:s,s:s,s:b}", "manufacturer", "Red Hat",
		                              "product_name",
		                              n->vendor_openstack ? "OpenStack Compute" : "KVM",
		                              "virtual", n->vendor_virtual));
	return inv;
}

static int hv_group_network(int v)
{
	switch (v) {
	case HV_CONNECTED: case HV_MACHINE_CIDR_DEFINED: case HV_BELONGS_TO_MACHINE_CIDR:
	case HV_MAJORITY_GROUP: case HV_NTP_SYNCED: case HV_TIME_SYNCED: case HV_DEFAULT_ROUTE:
	case HV_API_DNS: case HV_API_INT_DNS: case HV_APPS_DNS: case HV_DNS_WILDCARD:
	case HV_NO_IP_COLLISIONS:
		return 1;
	default:
		return 0;
	}
}

char *emu_render_host_validations(const struct emu_model *m, const struct emu_host *h)
{
	json_t *o = json_object(), *hw = json_array(), *net = json_array();
	char buf[600];
	char *s;
	for (int i = 0; i < HV_COUNT; i++) {
		json_t *e = json_pack("{s:s,s:s,s:s}", "id", emu_hv_id((enum emu_hv)i), "status",
		                      vstatus_names[h->v[i] & 3], "message",
		                      emu_host_validation_message(m, h, i, buf, sizeof(buf)));
		json_array_append_new(hv_group_network(i) ? net : hw, e);
	}
	/* Validations the emulated hosts always pass, listed like the service does. */
	static const char *const net_ok[][2] = {
		{"non-overlapping-subnets", "Host subnets are not overlapping"},
		{"sufficient-network-latency-requirement-for-role", "Network latency requirement has been satisfied."},
		{"sufficient-packet-loss-requirement-for-role", "Packet loss requirement has been satisfied."},
		{"mtu-valid", "MTU is ok"},
		{"no-iscsi-nic-belongs-to-machine-cidr", "Network interface connected to iSCSI disk does not belong to machine network CIDR"},
	};
	static const char *const hw_ok[][2] = {
		{"no-skip-installation-disk", "No request to skip formatting of the installation disk"},
		{"no-skip-missing-disk", "All disks that have skipped formatting are present in the host inventory"},
		{"container-images-available", "All required container images were either pulled successfully or no attempt was made to pull them"},
	};
	static const char *const ops[] = {"lso", "odf", "cnv", "lvm", "mce"};
	for (size_t i = 0; i < sizeof(net_ok) / sizeof(net_ok[0]); i++)
		json_array_append_new(net, json_pack("{s:s,s:s,s:s}", "id", net_ok[i][0], "status",
		                                     "success", "message", net_ok[i][1]));
	for (size_t i = 0; i < sizeof(hw_ok) / sizeof(hw_ok[0]); i++)
		json_array_append_new(hw, json_pack("{s:s,s:s,s:s}", "id", hw_ok[i][0], "status",
		                                    "success", "message", hw_ok[i][1]));
	json_array_append_new(hw, json_pack("{s:s,s:s,s:s}", "id", "inventory-not-fully-truncated",
	                                    "status", h->has_inventory ? "success" : "pending",
	                                    "message", h->has_inventory ? "Inventory has not been truncated"
	                                                                : "Missing inventory"));
	json_t *opl = json_array();
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		char id[48], msg[48];
		snprintf(id, sizeof(id), "%s-requirements-satisfied", ops[i]);
		snprintf(msg, sizeof(msg), "%s is disabled", ops[i]);
		json_array_append_new(opl, json_pack("{s:s,s:s,s:s}", "id", id, "status", "success",
		                                     "message", msg));
	}
	json_object_set_new(o, "hardware", hw);
	json_object_set_new(o, "network", net);
	json_object_set_new(o, "operators", opl);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static const char *cv_group(int v)
{
	switch (v) {
	case CV_ALL_HOSTS_READY: case CV_SUFFICIENT_MASTERS: return "hosts-data";
	case CV_PULL_SECRET_SET: return "configuration";
	default: return "network";
	}
}

char *emu_render_cluster_validations(const struct emu_cluster *c)
{
	json_t *o = json_pack("{s:[],s:[],s:[],s:[]}", "configuration", "hosts-data", "network",
	                      "operators");
	char buf[400];
	char *s;
	for (int i = 0; i < CV_COUNT; i++)
		json_array_append_new(json_object_get(o, cv_group(i)),
		                      json_pack("{s:s,s:s,s:s}", "id", emu_cv_id((enum emu_cv)i),
		                                "status", vstatus_names[c->v[i] & 3], "message",
		                                emu_cluster_validation_message(NULL, c, i, buf,
		                                                               sizeof(buf))));
	static const char *const ops[] = {"lso", "odf", "cnv", "lvm", "mce"};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		char id[48], msg[48];
		snprintf(id, sizeof(id), "%s-requirements-satisfied", ops[i]);
		snprintf(msg, sizeof(msg), "%s is disabled", ops[i]);
		json_array_append_new(json_object_get(o, "operators"),
		                      json_pack("{s:s,s:s,s:s}", "id", id, "status", "success",
		                                "message", msg));
	}
	json_array_append_new(json_object_get(o, "configuration"),
	                      json_pack("{s:s,s:s,s:s}", "id", "platform-requirements-satisfied",
	                                "status", "success", "message",
	                                "Platform requirements satisfied"));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

json_t *emu_render_host(const struct emu_model *m, const struct emu_host *h, int with_inventory)
{
	char buf[1600], href[160], ie[37], hid[37];
	json_t *o = json_object();
	if (!o)
		return NULL;
	const struct emu_cluster *c = h->cluster != EMU_NONE ? m->clusters[h->cluster] : NULL;
	emu_uuid_fmt(&m->infraenvs[h->infra_env]->id, ie);
	emu_uuid_fmt(&h->id, hid);
	snprintf(href, sizeof(href), AS_API_BASE "/v2/infra-envs/%s/hosts/%s", ie, hid);
	set_str(o, "kind", "Host");
	set_str(o, "id", hid);
	set_str(o, "href", href);
	if (c)
		set_uuid(o, "cluster_id", &c->id);
	set_str(o, "infra_env_id", ie);
	set_str(o, "status", as_host_status_name((enum as_host_status)h->status));
	set_str(o, "status_info", emu_host_status_info(m, h, buf, sizeof(buf)));
	char *vi = emu_render_host_validations(m, h);
	if (vi) {
		set_str(o, "validations_info", vi);
		free(vi);
	}
	if (logs_name(h->logs_info))
		set_str(o, "logs_info", logs_name(h->logs_info));
	set_time(o, "status_updated_at", h->status_updated_at);
	json_t *p = json_object();
	if (h->stage < AS_STAGE_COUNT) {
		enum as_stage_role sr = emu_host_stage_role(m, h);
		size_t nst;
		as_stage_order(sr, &nst);
		int idx = as_stage_index(sr, (enum as_stage)h->stage);
		int pct = idx < 0 ? 0 : (int)((idx + 1) * 100 / (int)nst);
		if (pct > 100)
			pct = 100;
		set_str(p, "current_stage", as_stage_name((enum as_stage)h->stage));
		json_object_set_new(p, "installation_percentage", json_integer(pct));
		set_str(p, "progress_info", h->progress_info);
	}
	set_time(p, "stage_started_at", h->stage_started_at);
	set_time(p, "stage_updated_at", h->stage_updated_at);
	json_object_set_new(o, "progress", p);
	set_time(o, "stage_started_at", h->stage_started_at);
	set_time(o, "stage_updated_at", h->stage_updated_at);
	{
		size_t nst;
		const enum as_stage *st = as_stage_order(emu_host_stage_role(m, h), &nst);
		json_t *a = json_array();
		for (size_t i = 0; i < nst; i++)
			json_array_append_new(a, json_string(as_stage_name(st[i])));
		json_object_set_new(o, "progress_stages", a);
	}
	if (h->has_inventory && with_inventory && emu_kapi_host_inventory_raw(m, h)) {
		set_str(o, "inventory", emu_kapi_host_inventory_raw(m, h));
	} else if (h->has_inventory && with_inventory) {
		json_t *inv = emu_render_inventory(h);
		char *s = inv ? json_dumps(inv, JSON_COMPACT) : NULL;
		if (s)
			set_str(o, "inventory", s);
		free(s);
		json_decref(inv);
	}
	set_str(o, "role", emu_role_name((enum emu_role)h->role));
	if (emu_kapi_host_installer_args(m, h))
		set_str(o, "installer_args", emu_kapi_host_installer_args(m, h));
	if (emu_kapi_host_ignition(m, h))
		set_str(o, "ignition_config_overrides", emu_kapi_host_ignition(m, h));
	set_str(o, "suggested_role", emu_role_name((enum emu_role)h->suggested_role));
	json_object_set_new(o, "bootstrap", json_boolean(h->bootstrap));
	if (h->has_inventory && h->inv.n_eligible) {
		set_str(o, "installation_disk_id", h->inv.disk_id);
		set_str(o, "installation_disk_path", h->inv.disk_path);
	}
	set_time(o, "logs_collected_at", h->logs_collected_at);
	set_time(o, "logs_started_at", h->logs_started_at);
	set_time(o, "updated_at", h->updated_at);
	set_time(o, "created_at", h->created_at);
	set_time(o, "checked_in_at", h->checked_in_at);
	set_time(o, "registered_at", h->registered_at);
	if (h->agent_version && h->agent_version < m->n_agent_versions)
		set_str(o, "discovery_agent_version", m->agent_versions[h->agent_version]);
	set_str(o, "requested_hostname", emu_host_hostname(h));
	if (h->has_timestamp)
		json_object_set_new(o, "timestamp", json_integer(h->timestamp));
	set_str(o, "media_status", "connected");
	set_str(o, "user_name", "admin");
	return o;
}

json_t *emu_render_operators(const struct emu_cluster *c, const char *only)
{
	json_t *a = json_array();
	for (int i = 0; i < c->n_operators; i++) {
		const struct emu_operator *op = &c->operators[i];
		if (only && *only && strcmp(only, op->name) != 0)
			continue;
		json_t *o = json_object();
		set_uuid(o, "cluster_id", &c->id);
		set_str(o, "name", op->name);
		set_str(o, "namespace", op->namespace_);
		set_str(o, "operator_type", "builtin");
		set_str(o, "properties", "");
		json_object_set_new(o, "timeout_seconds", json_integer(60 * 60));
		set_str(o, "version", op->version);
		set_str(o, "subscription_name", "");
		if (op->status != EMU_OP_NONE) {
			set_str(o, "status", op->status == EMU_OP_AVAILABLE ? "available"
			                     : op->status == EMU_OP_FAILED ? "failed" : "progressing");
			set_str(o, "status_info", op->status_info);
		}
		set_time(o, "status_updated_at", op->status_updated_at);
		json_object_set_new(o, "bundles", json_array());
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *vips_json(const struct emu_cluster *c, const struct emu_vip *v, int n)
{
	static const char *const ver[] = {"unverified", "succeeded", "failed"};
	char ip[16];
	json_t *a = json_array();
	for (int i = 0; i < n; i++) {
		json_t *o = json_object();
		set_uuid(o, "cluster_id", &c->id);
		emu_ipv4_fmt(v[i].ip, ip);
		set_str(o, "ip", ip);
		set_str(o, "verification", ver[v[i].verification % 3]);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *net_json(const struct emu_cluster *c, const struct emu_net *n, int prefix)
{
	char cidr[24];
	json_t *o = json_object();
	set_uuid(o, "cluster_id", &c->id);
	emu_cidr_fmt(n, cidr);
	set_str(o, "cidr", cidr);
	if (prefix)
		json_object_set_new(o, "host_prefix", json_integer(prefix));
	return o;
}

static json_t *cluster_progress(const struct emu_model *m, const struct emu_cluster *c)
{
	json_t *p = json_object();
	int prep = 0, inst = 0, fin = 0;
	switch ((enum as_cluster_status)c->status) {
	case AS_CLUSTER_INSTALLED:
	case AS_CLUSTER_ADDING_HOSTS: /* a day-2 cluster made from an installed one keeps its 100 % */
		prep = inst = fin = 100;
		break;
	case AS_CLUSTER_FINALIZING:
		prep = inst = 100;
		if (c->finalizing_stage < AS_FIN_STAGE_COUNT)
			fin = (c->finalizing_stage + 1) * 100 / AS_FIN_STAGE_COUNT;
		break;
	case AS_CLUSTER_INSTALLING:
	case AS_CLUSTER_INSTALLING_PENDING_USER_ACTION: {
		int sum = 0, n = 0;
		prep = 100;
		for (size_t i = 0; i < c->nhosts; i++) {
			const struct emu_host *h = &m->hosts[c->hosts[i]];
			size_t nst;
			enum as_stage_role sr = emu_host_stage_role(m, h);
			as_stage_order(sr, &nst);
			if (h->status == AS_HOST_INSTALLED)
				sum += 100;
			else if (h->stage < AS_STAGE_COUNT) {
				int idx = as_stage_index(sr, (enum as_stage)h->stage);
				sum += idx < 0 ? 0 : (int)((idx + 1) * 100 / (int)nst);
			}
			n++;
		}
		inst = n ? sum / n : 0;
		if (inst > 100)
			inst = 100;
		break;
	}
	default:
		break;
	}
	json_object_set_new(p, "preparing_for_installation_stage_percentage", json_integer(prep));
	json_object_set_new(p, "installing_stage_percentage", json_integer(inst));
	json_object_set_new(p, "finalizing_stage_percentage", json_integer(fin));
	json_object_set_new(p, "total_percentage",
	                    json_integer((prep * 5 + inst * 80 + fin * 15) / 100));
	if (c->finalizing_stage < AS_FIN_STAGE_COUNT) {
		set_str(p, "finalizing_stage",
		        as_finalizing_stage_name((enum as_finalizing_stage)c->finalizing_stage));
		set_time(p, "finalizing_stage_started_at", c->finalizing_stage_started_at);
	}
	return p;
}

json_t *emu_render_cluster(const struct emu_model *m, const struct emu_cluster *c, int with_hosts)
{
	static const char *const platforms[] = {"baremetal", "none", "vsphere", "nutanix", "external"};
	static const char *const net_types[] = {"OVNKubernetes", "OpenShiftSDN"};
	char buf[600], href[128], id[37], cidr[24], ip[16];
	json_t *o = json_object();
	if (!o)
		return NULL;
	emu_uuid_fmt(&c->id, id);
	snprintf(href, sizeof(href), AS_API_BASE "/v2/clusters/%s", id);
	set_str(o, "kind", "Cluster");
	set_str(o, "id", id);
	set_str(o, "href", href);
	set_str(o, "name", c->name);
	set_str(o, "openshift_version", c->openshift_version);
	char rel[160];
	snprintf(rel, sizeof(rel), "quay.io/openshift-release-dev/ocp-release:%s%s-x86_64",
	         c->openshift_version,
	         strchr(c->openshift_version, '.') && strchr(strchr(c->openshift_version, '.') + 1, '.')
	                 ? "" : ".0");
	set_str(o, "ocp_release_image", rel);
	json_t *ii = json_object();
	set_time(ii, "created_at", 0);
	set_time(ii, "expires_at", 0);
	json_object_set_new(o, "image_info", ii);
	json_object_set_new(o, "platform", json_pack("{s:s}", "type", platforms[c->platform % 5]));
	set_str(o, "base_dns_domain", c->base_dns_domain);
	emu_cidr_fmt(&c->cluster_net, cidr);
	set_str(o, "cluster_network_cidr", cidr);
	json_object_set_new(o, "cluster_network_host_prefix", json_integer(c->host_prefix));
	emu_cidr_fmt(&c->service_net, cidr);
	set_str(o, "service_network_cidr", cidr);
	json_object_set_new(o, "api_vips", vips_json(c, c->api_vips, c->n_api_vips));
	json_object_set_new(o, "ingress_vips", vips_json(c, c->ingress_vips, c->n_ingress_vips));
	if (m->cfg.api == EMU_API_2023) {
		if (c->n_api_vips) {
			emu_ipv4_fmt(c->api_vips[0].ip, ip);
			set_str(o, "api_vip", ip);
		}
		if (c->n_ingress_vips) {
			emu_ipv4_fmt(c->ingress_vips[0].ip, ip);
			set_str(o, "ingress_vip", ip);
		}
	}
	json_t *mns = json_array();
	for (int i = 0; i < c->n_machine_nets; i++)
		json_array_append_new(mns, net_json(c, &c->machine_nets[i], 0));
	json_object_set_new(o, "machine_networks", mns);
	if (c->n_machine_nets) {
		emu_cidr_fmt(&c->machine_nets[0], cidr);
		set_str(o, "machine_network_cidr", cidr);
	}
	json_object_set_new(o, "cluster_networks",
	                    json_pack("[o]", net_json(c, &c->cluster_net, c->host_prefix)));
	json_object_set_new(o, "service_networks", json_pack("[o]", net_json(c, &c->service_net, 0)));
	set_str(o, "ssh_public_key", c->ssh_public_key);
	set_str(o, "status", as_cluster_status_name((enum as_cluster_status)c->status));
	set_str(o, "status_info", emu_cluster_status_info(c, buf, sizeof(buf)));
	set_time(o, "status_updated_at", c->status_updated_at);
	json_object_set_new(o, "progress", cluster_progress(m, c));
	json_t *hosts = json_array();
	int ready = 0;
	for (size_t i = 0; i < c->nhosts; i++) {
		const struct emu_host *h = &m->hosts[c->hosts[i]];
		if (h->status == AS_HOST_KNOWN)
			ready++;
		if (with_hosts)
			json_array_append_new(hosts, emu_render_host(m, h, 1));
	}
	json_object_set_new(o, "hosts", hosts);
	json_object_set_new(o, "ready_host_count", json_integer(ready));
	json_object_set_new(o, "enabled_host_count", json_integer((json_int_t)c->nhosts));
	json_object_set_new(o, "total_host_count", json_integer((json_int_t)c->nhosts));
	json_object_set_new(o, "schedulable_masters", json_boolean(c->schedulable_masters));
	json_object_set_new(o, "schedulable_masters_forced_true",
	                    json_boolean(c->nhosts < 5 || emu_cluster_is_sno(c)));
	set_time(o, "updated_at", c->updated_at);
	set_time(o, "created_at", c->created_at);
	set_time(o, "install_started_at", c->install_started_at);
	set_time(o, "install_completed_at", c->install_completed_at);
	set_time(o, "controller_logs_collected_at", 0);
	set_time(o, "controller_logs_started_at", 0);
	json_object_set_new(o, "pull_secret_set", json_boolean(c->pull_secret_set));
	json_object_set_new(o, "vip_dhcp_allocation", json_boolean(c->vip_dhcp));
	char *vi = emu_render_cluster_validations(c);
	if (vi) {
		set_str(o, "validations_info", vi);
		free(vi);
	}
	if (logs_name(c->logs_info))
		set_str(o, "logs_info", logs_name(c->logs_info));
	json_object_set_new(o, "user_managed_networking", json_boolean(c->umn));
	set_str(o, "high_availability_mode", c->ha_none ? "None" : "Full");
	if (m->cfg.api == EMU_API_CURRENT)
		json_object_set_new(o, "control_plane_count", json_integer(c->control_plane_count));
	set_str(o, "hyperthreading", "all");
	set_str(o, "network_type", net_types[c->network_type % 2]);
	set_str(o, "cpu_architecture", c->cpu_architecture);
	json_object_set_new(o, "monitored_operators", emu_render_operators(c, NULL));
	set_str(o, "user_name", "admin");
	set_str(o, "feature_usage", "{}");
	set_str(o, "ignored_host_validations", "");
	set_str(o, "ignored_cluster_validations", "");
	json_object_set_new(o, "imported", json_false());
	return o;
}

json_t *emu_render_infraenv(const struct emu_model *m, const struct emu_infraenv *ie)
{
	char id[37], href[128];
	json_t *o = json_object();
	(void)m;
	if (!o)
		return NULL;
	emu_uuid_fmt(&ie->id, id);
	snprintf(href, sizeof(href), AS_API_BASE "/v2/infra-envs/%s", id);
	set_str(o, "kind", "InfraEnv");
	set_str(o, "id", id);
	set_str(o, "href", href);
	set_str(o, "name", ie->name);
	set_str(o, "type", ie->minimal ? "minimal-iso" : "full-iso");
	if (ie->cluster != EMU_NONE)
		set_uuid(o, "cluster_id", &m->clusters[ie->cluster]->id);
	set_str(o, "openshift_version", ie->openshift_version);
	set_str(o, "cpu_architecture", ie->cpu_architecture);
	set_str(o, "download_url", ie->download_url);
	json_object_set_new(o, "pull_secret_set", json_true());
	set_time(o, "created_at", ie->created_at);
	set_time(o, "updated_at", ie->updated_at);
	set_time(o, "expires_at", ie->expires_at);
	set_str(o, "user_name", "admin");
	return o;
}

/* The credential inside an ISO URL (".../bytoken/<token>/..." carries the
 * pull-secret token, ".../byapikey/<JWT>/..." an agent token): replaced by
 * "<masked>" in the debug dump, which anyone on the port may read. */
static void mask_url_token(json_t *ie)
{
	const char *url = json_string_value(json_object_get(ie, "download_url"));
	static const char *const kinds[] = {"/bytoken/", "/byapikey/"};
	for (size_t k = 0; url && k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const char *p = strstr(url, kinds[k]);
		if (!p)
			continue;
		const char *tok = p + strlen(kinds[k]);
		const char *end = strchr(tok, '/');
		char *masked = NULL;
		if (asprintf(&masked, "%.*s<masked>%s", (int)(tok - url), url, end ? end : "") < 0)
			return;
		json_object_set_new(ie, "download_url", json_string(masked));
		free(masked);
		return;
	}
}

json_t *emu_model_dump(const struct emu_model *m)
{
	json_t *o = json_object(), *cl = json_array(), *ies = json_array(), *hs = json_array();
	for (size_t i = 0; i < m->nclusters; i++)
		if (!m->clusters[i]->deleted)
			json_array_append_new(cl, emu_render_cluster(m, m->clusters[i], 0));
	for (size_t i = 0; i < m->ninfraenvs; i++) {
		if (m->infraenvs[i]->deleted)
			continue;
		json_t *ie = emu_render_infraenv(m, m->infraenvs[i]);
		mask_url_token(ie);
		json_array_append_new(ies, ie);
	}
	for (size_t i = 0; i < m->nhosts; i++)
		if (!m->hosts[i].deleted)
			json_array_append_new(hs, emu_render_host(m, &m->hosts[i], 0));
	json_object_set_new(o, "clusters", cl);
	json_object_set_new(o, "infra_envs", ies);
	json_object_set_new(o, "hosts", hs);
	return o;
}
