#include "steps.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "sw_err.h"
#include "sw_http.h"
#include "sw_xalloc.h"

void steps_reply_clear(struct steps_reply *r)
{
	if (!r)
		return;
	free(r->output);
	free(r->error);
	memset(r, 0, sizeof(*r));
	r->type = -1;
}

/* Takes ownership of |j|: serialises it compactly into r->output. */
static void set_output(struct steps_reply *r, json_t *j)
{
	if (!j) {
		r->exit_code = -1;
		r->error = xstrdup("failed to build the step output");
		return;
	}
	r->output = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!r->output)
		x_oom(0);
}

static void fail(struct steps_reply *r, const char *fmt, const char *detail)
{
	char buf[256];

	snprintf(buf, sizeof(buf), fmt, detail ? detail : "");
	r->exit_code = -1;
	free(r->error);
	r->error = xstrdup(buf);
	free(r->output);
	r->output = NULL;
}

/* args[i] as a string, or NULL. */
static const char *arg_str(json_t *args, size_t i)
{
	json_t *a = json_is_array(args) ? json_array_get(args, i) : NULL;
	return json_is_string(a) ? json_string_value(a) : NULL;
}

/* Parses args[0] as JSON; returns a new reference or NULL. */
static json_t *arg_json(json_t *args)
{
	const char *s = arg_str(args, 0);
	return s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
}

static const char *obj_str(json_t *o, const char *key)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* "10.1.0.2/16" -> "10.1.0.2" into |out|. */
static void strip_prefix(const char *ip, char *out, size_t len)
{
	size_t n = strcspn(ip, "/");
	if (n >= len)
		n = len - 1;
	memcpy(out, ip, n);
	out[n] = '\0';
}

static void step_inventory(const struct steps_host *h, struct steps_reply *r)
{
	r->output = inventory_build(h->inv, NULL);
}

static void step_connectivity(const struct steps_host *h, json_t *args, struct steps_reply *r)
{
	json_t *params = arg_json(args), *remote, *out;
	size_t i, k, m;
	json_t *host;

	if (!json_is_array(params)) {
		json_decref(params);
		fail(r, "connectivity-check: args[0] is not a JSON list%s", NULL);
		return;
	}
	remote = json_array();
	json_array_foreach(params, i, host) {
		const char *hid = obj_str(host, "host_id");
		json_t *nics = json_object_get(host, "nics"), *nic, *l2, *l3, *ips, *ip;
		if (!hid)
			continue;
		l2 = json_array();
		l3 = json_array();
		json_array_foreach(nics, k, nic) {
			const char *mac = obj_str(nic, "mac");
			ips = json_object_get(nic, "ip_addresses");
			json_array_foreach(ips, m, ip) {
				char addr[64];
				if (!json_is_string(ip))
					continue;
				strip_prefix(json_string_value(ip), addr, sizeof(addr));
				/* The dry agent's checkers: success for every remote IP from our NIC. */
				json_array_append_new(l2, json_pack("{s:s,s:s,s:s,s:b}",
					"outgoing_nic", INVENTORY_IFACE, "remote_ip_address", addr,
					"remote_mac", mac ? mac : "", "successful", 1));
				json_array_append_new(l3, json_pack("{s:s,s:b}", "remote_ip_address", addr,
					"successful", 1));
			}
		}
		json_array_append_new(remote, json_pack("{s:s,s:o,s:o}", "host_id", hid,
			"l2_connectivity", l2, "l3_connectivity", l3));
	}
	json_decref(params);
	out = json_pack("{s:o}", "remote_hosts", remote);
	set_output(r, out);
}

static int ip_in(const char *ip, uint32_t net, uint32_t mask)
{
	struct in_addr a;
	if (!ip || inet_pton(AF_INET, ip, &a) != 1)
		return 0;
	return (ntohl(a.s_addr) & mask) == net;
}

static void step_free_addresses(const struct steps_host *h, json_t *args, struct steps_reply *r)
{
	json_t *nets = arg_json(args), *out, *cidr;
	size_t i;

	if (!json_is_array(nets)) {
		json_decref(nets);
		fail(r, "free-network-addresses: args[0] is not a JSON list%s", NULL);
		return;
	}
	out = json_array();
	json_array_foreach(nets, i, cidr) {
		char base[64];
		const char *s = json_string_value(cidr), *slash;
		struct in_addr a;
		unsigned prefix;
		uint32_t mask, net, top;
		json_t *free_list;
		int k;

		if (!s)
			continue;
		slash = strchr(s, '/');
		strip_prefix(s, base, sizeof(base));
		if (!slash || sscanf(slash + 1, "%u", &prefix) != 1 || prefix > 30 ||
		    inet_pton(AF_INET, base, &a) != 1)
			continue; /* IPv6 or garbage: the real nmap scan would skip it too */
		mask = prefix ? 0xffffffffu << (32 - prefix) : 0;
		net = ntohl(a.s_addr) & mask;
		top = net | ~mask;
		free_list = json_array();
		if (ip_in(h->api_vip, net, mask))
			json_array_append_new(free_list, json_string(h->api_vip));
		if (ip_in(h->ingress_vip, net, mask))
			json_array_append_new(free_list, json_string(h->ingress_vip));
		/* A few addresses near the top of the range, below the VIP/gateway block. */
		for (k = 0; k < 3; k++) {
			char txt[INET_ADDRSTRLEN];
			struct in_addr f;
			f.s_addr = htonl(top - 20 - (uint32_t)k);
			if (inet_ntop(AF_INET, &f, txt, sizeof(txt)))
				json_array_append_new(free_list, json_string(txt));
		}
		json_array_append_new(out, json_pack("{s:s,s:o}", "network", s, "free_addresses",
		                                     free_list));
	}
	json_decref(nets);
	set_output(r, out);
}

static void step_ntp(json_t *args, struct steps_reply *r)
{
	json_t *req = arg_json(args), *sources = json_array();
	const char *list = obj_str(req, "ntp_source");

	json_array_append_new(sources, json_pack("{s:s,s:s}", "source_name", "clock.swarm.example",
	                                         "source_state", "synced"));
	/* chronyc would list the configured sources too; report them reachable. */
	if (list && *list) {
		char *copy = xstrdup(list), *save = NULL, *tok;
		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			while (*tok == ' ')
				tok++;
			if (*tok)
				json_array_append_new(sources, json_pack("{s:s,s:s}", "source_name", tok,
				                                         "source_state", "combined"));
		}
		free(copy);
	}
	json_decref(req);
	set_output(r, json_pack("{s:o}", "ntp_sources", sources));
}

static int has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static void step_domains(const struct steps_host *h, json_t *args, struct steps_reply *r)
{
	json_t *req = arg_json(args), *domains = json_object_get(req, "domains"), *d, *out;
	size_t i;

	if (!json_is_array(domains)) {
		json_decref(req);
		fail(r, "domain-resolution: args[0] has no domains list%s", NULL);
		return;
	}
	out = json_array();
	json_array_foreach(domains, i, d) {
		const char *name = obj_str(d, "domain_name");
		json_t *v4 = json_array();
		if (!name) {
			json_decref(v4);
			continue;
		}
		if (has_prefix(name, "validateNoWildcardDNS.")) {
			/* must resolve to nothing, or the wildcard validation fails */
		} else if (has_prefix(name, "api.") || has_prefix(name, "api-int.")) {
			json_array_append_new(v4, json_string(h->api_vip));
		} else if (strstr(name, ".apps.")) {
			json_array_append_new(v4, json_string(h->ingress_vip));
		} else {
			json_array_append_new(v4, json_string(h->other_ip));
		}
		json_array_append_new(out, json_pack("{s:s,s:o,s:[],s:[]}", "domain_name", name,
			"ipv4_addresses", v4, "ipv6_addresses", "cnames"));
	}
	json_decref(req);
	set_output(r, json_pack("{s:o}", "resolutions", out));
}

static void step_verify_vips(json_t *args, struct steps_reply *r)
{
	json_t *vips = arg_json(args), *v, *out;
	size_t i;

	if (!json_is_array(vips)) {
		json_decref(vips);
		fail(r, "verify-vips: args[0] is not a JSON list%s", NULL);
		return;
	}
	out = json_array();
	json_array_foreach(vips, i, v) {
		const char *vip = obj_str(v, "vip"), *type = obj_str(v, "vip_type");
		if (!vip)
			continue;
		json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "vip", vip, "vip_type",
		                                     type ? type : "api", "verification", "succeeded"));
	}
	json_decref(vips);
	set_output(r, out);
}

static void step_disk_speed(json_t *args, struct steps_reply *r)
{
	json_t *req = arg_json(args);
	const char *path = obj_str(req, "path");

	if (!path) {
		json_decref(req);
		fail(r, "installation-disk-speed-check: args[0] has no path%s", NULL);
		return;
	}
	set_output(r, json_pack("{s:i,s:s}", "io_sync_duration", 1, "path", path));
	json_decref(req);
}

static void step_images(json_t *args, struct steps_reply *r)
{
	json_t *req = arg_json(args), *images = json_object_get(req, "images"), *img, *out;
	size_t i;

	if (!json_is_array(images)) {
		json_decref(req);
		fail(r, "container-image-availability: args[0] has no images list%s", NULL);
		return;
	}
	out = json_array();
	json_array_foreach(images, i, img) {
		if (!json_is_string(img))
			continue;
		json_array_append_new(out, json_pack("{s:s,s:s,s:I,s:f,s:f}", "name",
			json_string_value(img), "result", "success", "size_bytes", (json_int_t)400000000,
			"time", 10.0, "download_rate", 100.0));
	}
	json_decref(req);
	set_output(r, json_pack("{s:o}", "images", out));
}

static char *lease_text(const char *iface, const char *addr)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
	         "lease {\n  interface \"%s\";\n  fixed-address %s;\n"
	         "  option subnet-mask 255.255.0.0;\n  option dhcp-lease-time 86400;\n"
	         "  option dhcp-message-type 5;\n  renew 4 2030/01/01 00:00:00;\n"
	         "  rebind 4 2030/01/01 00:00:00;\n  expire 4 2030/01/01 00:00:00;\n}\n",
	         iface, addr);
	return xstrdup(buf);
}

static void step_dhcp(const struct steps_host *h, json_t *args, struct steps_reply *r)
{
	json_t *req = arg_json(args);
	const char *iface = obj_str(req, "interface");
	char *l1, *l2;

	if (!json_is_object(req)) {
		json_decref(req);
		fail(r, "dhcp-lease-allocate: args[0] is not a JSON object%s", NULL);
		return;
	}
	l1 = lease_text(iface ? iface : INVENTORY_IFACE, h->api_vip);
	l2 = lease_text(iface ? iface : INVENTORY_IFACE, h->ingress_vip);
	set_output(r, json_pack("{s:s,s:s,s:s,s:s}", "api_vip_address", h->api_vip,
	                        "ingress_vip_address", h->ingress_vip, "api_vip_lease", l1,
	                        "ingress_vip_lease", l2));
	free(l1);
	free(l2);
	json_decref(req);
}

static void step_api_vip(json_t *args, struct steps_reply *r)
{
	json_t *req = arg_json(args);
	const char *url = obj_str(req, "url");

	set_output(r, json_pack("{s:b,s:s,s:s}", "is_success", 1, "url", url ? url : "",
	                        "ignition", "{\"ignition\":{\"version\":\"3.2.0\"}}"));
	json_decref(req);
}

static void step_upgrade(json_t *args, struct steps_reply *r)
{
	json_t *req = arg_json(args);
	const char *img = obj_str(req, "agent_image");

	/* Never cut: the image becomes the discovery_agent_version header. */
	if (!img || !*img || strlen(img) >= sizeof(r->upgrade_image) ||
	    sw_http_value_bad(img, strlen(img))) {
		json_decref(req);
		fail(r, "upgrade-agent: args[0] has no usable agent_image%s", NULL);
		return;
	}
	snprintf(r->upgrade_image, sizeof(r->upgrade_image), "%s", img);
	r->action = STEPS_ACT_UPGRADE;
	set_output(r, json_pack("{s:s,s:s}", "agent_image", img, "result", "success"));
	json_decref(req);
}

/* The role of an install step: JSON install_cmd_request, or the older
 * shell-command form ("... --role bootstrap ..."). Returns -1 if none found. */
static int install_role(json_t *args)
{
	json_t *req = arg_json(args);
	const char *role = obj_str(req, "role");
	int rv = -1;
	size_t i;

	if (role) {
		if (!strcmp(role, "bootstrap"))
			rv = AS_ROLE_BOOTSTRAP;
		else if (!strcmp(role, "master") || !strcmp(role, "arbiter"))
			rv = AS_ROLE_MASTER;
		else if (!strcmp(role, "worker"))
			rv = AS_ROLE_WORKER;
	}
	json_decref(req);
	for (i = 0; rv < 0 && json_is_array(args) && i < json_array_size(args); i++) {
		const char *s = arg_str(args, i);
		if (!s)
			continue;
		if (strstr(s, "--role bootstrap") || strstr(s, "--role=bootstrap"))
			rv = AS_ROLE_BOOTSTRAP;
		else if (strstr(s, "--role master") || strstr(s, "--role=master"))
			rv = AS_ROLE_MASTER;
		else if (strstr(s, "--role worker") || strstr(s, "--role=worker"))
			rv = AS_ROLE_WORKER;
	}
	return rv;
}

/* The cluster_id of an install_cmd_request (the installer's --cluster-id). */
static void install_cluster_id(json_t *args, char *out, size_t len)
{
	json_t *req = arg_json(args);
	const char *id = obj_str(req, "cluster_id");
	snprintf(out, len, "%s", id && strlen(id) < len ? id : "");
	json_decref(req);
}

int steps_answer(const struct steps_host *h, json_t *instruction, struct steps_reply *out)
{
	const char *type = obj_str(instruction, "step_type");
	const char *id = obj_str(instruction, "step_id");
	json_t *args = json_is_object(instruction) ? json_object_get(instruction, "args") : NULL;
	int role;

	memset(out, 0, sizeof(*out));
	out->type = -1;
	if (!type)
		return SW_ERR_PARSE;
	snprintf(out->step_type, sizeof(out->step_type), "%s", type);
	snprintf(out->step_id, sizeof(out->step_id), "%s", id ? id : "");
	out->type = as_step_type_parse(type);

	switch ((enum as_step_type)out->type) {
	case AS_STEP_INVENTORY:
		step_inventory(h, out);
		break;
	case AS_STEP_CONNECTIVITY_CHECK:
		step_connectivity(h, args, out);
		break;
	case AS_STEP_FREE_NETWORK_ADDRESSES:
		step_free_addresses(h, args, out);
		break;
	case AS_STEP_NTP_SYNCHRONIZER:
		step_ntp(args, out);
		break;
	case AS_STEP_DOMAIN_RESOLUTION:
		step_domains(h, args, out);
		break;
	case AS_STEP_VERIFY_VIPS:
		step_verify_vips(args, out);
		break;
	case AS_STEP_INSTALLATION_DISK_SPEED_CHECK:
		step_disk_speed(args, out);
		break;
	case AS_STEP_CONTAINER_IMAGE_AVAILABILITY:
		step_images(args, out);
		break;
	case AS_STEP_DHCP_LEASE_ALLOCATE:
		step_dhcp(h, args, out);
		break;
	case AS_STEP_API_VIP_CONNECTIVITY_CHECK:
		step_api_vip(args, out);
		break;
	case AS_STEP_TANG_CONNECTIVITY_CHECK:
		set_output(out, json_pack("{s:b,s:[]}", "is_success", 1, "tang_server_response"));
		break;
	case AS_STEP_UPGRADE_AGENT:
		step_upgrade(args, out);
		break;
	case AS_STEP_INSTALL:
		role = install_role(args);
		if (role < 0) {
			fail(out, "install: no role in the install command%s", NULL);
			break;
		}
		out->action = STEPS_ACT_INSTALL;
		out->install_role = role;
		install_cluster_id(args, out->cluster_id, sizeof(out->cluster_id));
		break;
	case AS_STEP_LOGS_GATHER:
		out->action = STEPS_ACT_LOGS;
		break;
	case AS_STEP_STOP_INSTALLATION:
		out->action = STEPS_ACT_STOP;
		break;
	case AS_STEP_DOWNLOAD_BOOT_ARTIFACTS:
	case AS_STEP_REBOOT_FOR_RECLAIM:
		break; /* exit 0, output ignored by the service */
	case AS_STEP_EXECUTE:
	case AS_STEP_NEXT_STEP_RUNNER:
	case AS_STEP_TYPE_COUNT:
	default:
		fail(out, "Missing command: unsupported step type %s", type);
		break;
	}
	return 0;
}

char *steps_reply_body(const struct steps_reply *r, size_t *len)
{
	json_t *o = json_object();
	char *s;

	if (!o)
		return NULL;
	json_object_set_new(o, "step_type", json_string(r->step_type));
	json_object_set_new(o, "step_id", json_string(r->step_id));
	if (r->exit_code)
		json_object_set_new(o, "exit_code", json_integer(r->exit_code));
	if (r->output && *r->output)
		json_object_set_new(o, "output", json_string(r->output));
	if (r->error && *r->error)
		json_object_set_new(o, "error", json_string(r->error));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s && len)
		*len = strlen(s);
	return s;
}
