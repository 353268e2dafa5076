/*
 * steps: the instruction's own fields come from the scanner (sw_jscan) over
 * the next-steps answer; the JSON document inside args[0] is parsed with
 * jansson where a step needs it, and every output and reply body is
 * written with jw in the key order the Go agent (and the earlier jansson
 * version of this file) used.
 */
#include "steps.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "jw.h"
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

/* Takes the text of writer |w| as r->output. */
static void set_output(struct steps_reply *r, struct jw *w)
{
	r->output = jw_take(w, NULL);
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

/* args[i] as a decoded string (free() it), or NULL when |args| is no array
 * or its element |i| no string. */
static char *arg_str(const struct sw_jscan_val *args, size_t i)
{
	struct sw_jscan_pick p;
	char ptr[24];

	if (args->type != SW_JSCAN_ARRAY)
		return NULL;
	snprintf(ptr, sizeof(ptr), "/%zu", i);
	p.ptr = ptr;
	/* a subdocument of a scanned answer: valid, so the scan succeeds */
	if (sw_jscan(args->raw, args->len, &p, 1) != 0 || p.v.type != SW_JSCAN_STRING)
		return NULL;
	char *s = xmalloc(p.v.len + 1);
	sw_jscan_str(&p.v, s, p.v.len + 1);
	return s;
}

/* Parses args[0] as JSON; returns a new reference or NULL. */
static json_t *arg_json(const struct sw_jscan_val *args)
{
	char *s = arg_str(args, 0);
	json_t *j = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;

	free(s);
	return j;
}

/* The list named by |ptr| in args[0] (a JSON document in a string), scanned
 * rather than built (sw_jscan accepts exactly the documents json_loads()
 * accepts): |*list| is its value (type SW_JSCAN_ARRAY when there is one).
 * Returns the decoded document |*list| points into (free() it), or NULL. */
static char *arg_list(const struct sw_jscan_val *args, const char *ptr, struct sw_jscan_val *list)
{
	struct sw_jscan_pick pk = {.ptr = ptr};
	char *s = arg_str(args, 0);
	int rv = s ? sw_jscan(s, strlen(s), &pk, 1) : SW_ERR_PARSE;

	if (rv == SW_ERR_NOMEM)
		x_oom(0);
	*list = rv == 0 ? pk.v : (struct sw_jscan_val){0};
	return s;
}

static char *val_dup(const struct sw_jscan_val *v);

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

static void step_connectivity(const struct steps_host *h, const struct sw_jscan_val *args,
                              struct steps_reply *r)
{
	json_t *params = arg_json(args), *host;
	struct jw w;
	size_t i;

	(void)h;
	if (!json_is_array(params)) {
		json_decref(params);
		fail(r, "connectivity-check: args[0] is not a JSON list%s", NULL);
		return;
	}
	jw_init(&w, 256);
	jw_obj(&w);
	jw_key(&w, "remote_hosts");
	jw_arr(&w);
	json_array_foreach(params, i, host) {
		const char *hid = obj_str(host, "host_id");
		json_t *nics = json_object_get(host, "nics");
		if (!hid)
			continue;
		jw_obj(&w);
		jw_kstr(&w, "host_id", hid);
		/* The dry agent's checkers: success for every remote IP from our NIC,
		 * once at layer 2 and once at layer 3. */
		for (int layer = 2; layer <= 3; layer++) {
			json_t *nic, *ips, *ip;
			size_t k, m;
			jw_key(&w, layer == 2 ? "l2_connectivity" : "l3_connectivity");
			jw_arr(&w);
			json_array_foreach(nics, k, nic) {
				const char *mac = obj_str(nic, "mac");
				ips = json_object_get(nic, "ip_addresses");
				json_array_foreach(ips, m, ip) {
					char addr[64];
					if (!json_is_string(ip))
						continue;
					strip_prefix(json_string_value(ip), addr, sizeof(addr));
					jw_obj(&w);
					if (layer == 2) {
						jw_kstr(&w, "outgoing_nic", INVENTORY_IFACE);
						jw_kstr(&w, "remote_ip_address", addr);
						jw_kstr(&w, "remote_mac", mac ? mac : "");
					} else {
						jw_kstr(&w, "remote_ip_address", addr);
					}
					jw_kbool(&w, "successful", 1);
					jw_obj_end(&w);
				}
			}
			jw_arr_end(&w);
		}
		jw_obj_end(&w);
	}
	json_decref(params);
	jw_arr_end(&w);
	jw_obj_end(&w);
	set_output(r, &w);
}

static int ip_in(const char *ip, uint32_t net, uint32_t mask)
{
	struct in_addr a;
	if (!ip || inet_pton(AF_INET, ip, &a) != 1)
		return 0;
	return (ntohl(a.s_addr) & mask) == net;
}

static void step_free_addresses(const struct steps_host *h, const struct sw_jscan_val *args,
                                struct steps_reply *r)
{
	json_t *nets = arg_json(args), *cidr;
	struct jw w;
	size_t i;

	if (!json_is_array(nets)) {
		json_decref(nets);
		fail(r, "free-network-addresses: args[0] is not a JSON list%s", NULL);
		return;
	}
	jw_init(&w, 256);
	jw_arr(&w);
	json_array_foreach(nets, i, cidr) {
		char base[64];
		const char *s = json_string_value(cidr), *slash;
		struct in_addr a;
		unsigned prefix;
		uint32_t mask, net, top;
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
		jw_obj(&w);
		jw_kstr(&w, "network", s);
		jw_key(&w, "free_addresses");
		jw_arr(&w);
		if (ip_in(h->api_vip, net, mask))
			jw_str(&w, h->api_vip);
		if (ip_in(h->ingress_vip, net, mask))
			jw_str(&w, h->ingress_vip);
		/* A few addresses near the top of the range, below the VIP/gateway block. */
		for (k = 0; k < 3; k++) {
			char txt[INET_ADDRSTRLEN];
			struct in_addr f;
			f.s_addr = htonl(top - 20 - (uint32_t)k);
			if (inet_ntop(AF_INET, &f, txt, sizeof(txt)))
				jw_str(&w, txt);
		}
		jw_arr_end(&w);
		jw_obj_end(&w);
	}
	json_decref(nets);
	jw_arr_end(&w);
	set_output(r, &w);
}

static void ntp_source(struct jw *w, const char *name, const char *state)
{
	jw_obj(w);
	jw_kstr(w, "source_name", name);
	jw_kstr(w, "source_state", state);
	jw_obj_end(w);
}

static void step_ntp(const struct sw_jscan_val *args, struct steps_reply *r)
{
	json_t *req = arg_json(args);
	const char *list = obj_str(req, "ntp_source");
	struct jw w;

	jw_init(&w, 128);
	jw_obj(&w);
	jw_key(&w, "ntp_sources");
	jw_arr(&w);
	ntp_source(&w, "clock.swarm.example", "synced");
	/* chronyc would list the configured sources too; report them reachable. */
	if (list && *list) {
		char *copy = xstrdup(list), *save = NULL, *tok;
		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			while (*tok == ' ')
				tok++;
			if (*tok)
				ntp_source(&w, tok, "combined");
		}
		free(copy);
	}
	json_decref(req);
	jw_arr_end(&w);
	jw_obj_end(&w);
	set_output(r, &w);
}

static int has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

struct domains_walk {
	const struct steps_host *h;
	struct jw *w;
};

/* One element of the domains list: {"domain_name": ...} (others skipped). */
static int domain_one(void *arg, size_t index, const struct sw_jscan_val *elem,
                      struct sw_jscan_pick *picks, size_t npicks)
{
	struct domains_walk *dw = arg;
	struct jw *w = dw->w;
	char *name = val_dup(&picks[0].v);

	(void)index;
	(void)elem;
	(void)npicks;
	if (!name)
		return 0;
	jw_obj(w);
	jw_kstr(w, "domain_name", name);
	jw_key(w, "ipv4_addresses");
	jw_arr(w);
	if (has_prefix(name, "validateNoWildcardDNS.")) {
		/* must resolve to nothing, or the wildcard validation fails */
	} else if (has_prefix(name, "api.") || has_prefix(name, "api-int.")) {
		jw_str(w, dw->h->api_vip);
	} else if (strstr(name, ".apps.")) {
		jw_str(w, dw->h->ingress_vip);
	} else {
		jw_str(w, dw->h->other_ip);
	}
	jw_arr_end(w);
	jw_key(w, "ipv6_addresses");
	jw_raw(w, "[]", 2);
	jw_key(w, "cnames");
	jw_raw(w, "[]", 2);
	jw_obj_end(w);
	free(name);
	return 0;
}

static void step_domains(const struct steps_host *h, const struct sw_jscan_val *args,
                         struct steps_reply *r)
{
	struct sw_jscan_val domains;
	char *doc = arg_list(args, "/domains", &domains);
	struct sw_jscan_pick dn = {.ptr = "/domain_name"};
	struct jw w;
	struct domains_walk dw = {h, &w};

	if (domains.type != SW_JSCAN_ARRAY) {
		free(doc);
		fail(r, "domain-resolution: args[0] has no domains list%s", NULL);
		return;
	}
	jw_init(&w, 256);
	jw_obj(&w);
	jw_key(&w, "resolutions");
	jw_arr(&w);
	/* a part of a valid document: the walk fails only without memory */
	if (sw_jscan_each(domains.raw, domains.len, &dn, 1, domain_one, &dw, NULL) == SW_ERR_NOMEM)
		x_oom(0);
	free(doc);
	jw_arr_end(&w);
	jw_obj_end(&w);
	set_output(r, &w);
}

static void step_verify_vips(const struct sw_jscan_val *args, struct steps_reply *r)
{
	json_t *vips = arg_json(args), *v;
	struct jw w;
	size_t i;

	if (!json_is_array(vips)) {
		json_decref(vips);
		fail(r, "verify-vips: args[0] is not a JSON list%s", NULL);
		return;
	}
	jw_init(&w, 128);
	jw_arr(&w);
	json_array_foreach(vips, i, v) {
		const char *vip = obj_str(v, "vip"), *type = obj_str(v, "vip_type");
		if (!vip)
			continue;
		jw_obj(&w);
		jw_kstr(&w, "vip", vip);
		jw_kstr(&w, "vip_type", type ? type : "api");
		jw_kstr(&w, "verification", "succeeded");
		jw_obj_end(&w);
	}
	json_decref(vips);
	jw_arr_end(&w);
	set_output(r, &w);
}

static void step_disk_speed(const struct sw_jscan_val *args, struct steps_reply *r)
{
	json_t *req = arg_json(args);
	const char *path = obj_str(req, "path");
	struct jw w;

	if (!path) {
		json_decref(req);
		fail(r, "installation-disk-speed-check: args[0] has no path%s", NULL);
		return;
	}
	jw_init(&w, 96);
	jw_obj(&w);
	jw_kint(&w, "io_sync_duration", 1);
	jw_kstr(&w, "path", path);
	jw_obj_end(&w);
	set_output(r, &w);
	json_decref(req);
}

/* One element of the images list: an image name (others skipped). */
static int image_one(void *arg, size_t index, const struct sw_jscan_val *elem,
                     struct sw_jscan_pick *picks, size_t npicks)
{
	struct jw *w = arg;
	char *name = val_dup(elem);

	(void)index;
	(void)picks;
	(void)npicks;
	if (!name)
		return 0;
	jw_obj(w);
	jw_kstr(w, "name", name);
	jw_kstr(w, "result", "success");
	jw_kint(w, "size_bytes", 400000000);
	jw_key(w, "time");
	jw_real(w, 10.0);
	jw_key(w, "download_rate");
	jw_real(w, 100.0);
	jw_obj_end(w);
	free(name);
	return 0;
}

static void step_images(const struct sw_jscan_val *args, struct steps_reply *r)
{
	struct sw_jscan_val images;
	char *doc = arg_list(args, "/images", &images);
	struct jw w;

	if (images.type != SW_JSCAN_ARRAY) {
		free(doc);
		fail(r, "container-image-availability: args[0] has no images list%s", NULL);
		return;
	}
	jw_init(&w, 256);
	jw_obj(&w);
	jw_key(&w, "images");
	jw_arr(&w);
	if (sw_jscan_each(images.raw, images.len, NULL, 0, image_one, &w, NULL) == SW_ERR_NOMEM)
		x_oom(0);
	free(doc);
	jw_arr_end(&w);
	jw_obj_end(&w);
	set_output(r, &w);
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

static void step_dhcp(const struct steps_host *h, const struct sw_jscan_val *args,
                      struct steps_reply *r)
{
	json_t *req = arg_json(args);
	const char *iface = obj_str(req, "interface");
	char *l1, *l2;
	struct jw w;

	if (!json_is_object(req)) {
		json_decref(req);
		fail(r, "dhcp-lease-allocate: args[0] is not a JSON object%s", NULL);
		return;
	}
	l1 = lease_text(iface ? iface : INVENTORY_IFACE, h->api_vip);
	l2 = lease_text(iface ? iface : INVENTORY_IFACE, h->ingress_vip);
	jw_init(&w, 1024);
	jw_obj(&w);
	jw_kstr(&w, "api_vip_address", h->api_vip);
	jw_kstr(&w, "ingress_vip_address", h->ingress_vip);
	jw_kstr(&w, "api_vip_lease", l1);
	jw_kstr(&w, "ingress_vip_lease", l2);
	jw_obj_end(&w);
	set_output(r, &w);
	free(l1);
	free(l2);
	json_decref(req);
}

static void step_api_vip(const struct sw_jscan_val *args, struct steps_reply *r)
{
	json_t *req = arg_json(args);
	const char *url = obj_str(req, "url");
	struct jw w;

	jw_init(&w, 128);
	jw_obj(&w);
	jw_kbool(&w, "is_success", 1);
	jw_kstr(&w, "url", url ? url : "");
	jw_kstr(&w, "ignition", "{\"ignition\":{\"version\":\"3.2.0\"}}");
	jw_obj_end(&w);
	set_output(r, &w);
	json_decref(req);
}

static void step_tang(struct steps_reply *r)
{
	struct jw w;

	jw_init(&w, 64);
	jw_obj(&w);
	jw_kbool(&w, "is_success", 1);
	jw_key(&w, "tang_server_response");
	jw_raw(&w, "[]", 2);
	jw_obj_end(&w);
	set_output(r, &w);
}

static void step_upgrade(const struct sw_jscan_val *args, struct steps_reply *r)
{
	json_t *req = arg_json(args);
	const char *img = obj_str(req, "agent_image");
	struct jw w;

	/* Never cut: the image becomes the discovery_agent_version header. */
	if (!img || !*img || strlen(img) >= sizeof(r->upgrade_image) ||
	    sw_http_value_bad(img, strlen(img))) {
		json_decref(req);
		fail(r, "upgrade-agent: args[0] has no usable agent_image%s", NULL);
		return;
	}
	snprintf(r->upgrade_image, sizeof(r->upgrade_image), "%s", img);
	r->action = STEPS_ACT_UPGRADE;
	jw_init(&w, 128);
	jw_obj(&w);
	jw_kstr(&w, "agent_image", img);
	jw_kstr(&w, "result", "success");
	jw_obj_end(&w);
	set_output(r, &w);
	json_decref(req);
}

/* The role named by a shell-command form ("... --role bootstrap ..."), or -1. */
static int role_in_command(const char *s)
{
	if (strstr(s, "--role bootstrap") || strstr(s, "--role=bootstrap"))
		return AS_ROLE_BOOTSTRAP;
	if (strstr(s, "--role master") || strstr(s, "--role=master"))
		return AS_ROLE_MASTER;
	if (strstr(s, "--role worker") || strstr(s, "--role=worker"))
		return AS_ROLE_WORKER;
	return -1;
}

/* sw_jscan_each callback over args: stops at the first string naming a role. */
static int role_arg(void *arg, size_t index, const struct sw_jscan_val *elem,
                    struct sw_jscan_pick *picks, size_t npicks)
{
	int *rv = arg;
	char *s;

	(void)index;
	(void)picks;
	(void)npicks;
	if (elem->type != SW_JSCAN_STRING)
		return 0;
	s = xmalloc(elem->len + 1);
	sw_jscan_str(elem, s, elem->len + 1);
	*rv = role_in_command(s);
	free(s);
	return *rv >= 0;
}

/* The role of an install step and its cluster_id (the installer's
 * --cluster-id) into |cluster_id| (|len| > 0 bytes, "" when absent or too
 * long): from the JSON install_cmd_request in args[0], else, for the role,
 * from the older shell-command form in any argument. The request is the
 * largest argument a host receives (images, installer arguments...), and
 * only two of its members matter: it is scanned, not built (sw_jscan
 * accepts exactly the documents json_loads() accepts). Returns the role, or
 * -1 if none found. */
static int install_request(const struct sw_jscan_val *args, char *cluster_id, size_t len)
{
	struct sw_jscan_pick pk[] = {{.ptr = ""}, {.ptr = "/role"}, {.ptr = "/cluster_id"}};
	char *s = arg_str(args, 0);
	int rv = -1, sv = s ? sw_jscan(s, strlen(s), pk, 3) : SW_ERR_PARSE;

	cluster_id[0] = '\0';
	if (sv == SW_ERR_NOMEM)
		x_oom(0);
	if (sv == 0 && pk[0].v.type == SW_JSCAN_OBJECT) {
		if (sw_jscan_streq(&pk[1].v, "bootstrap"))
			rv = AS_ROLE_BOOTSTRAP;
		else if (sw_jscan_streq(&pk[1].v, "master") || sw_jscan_streq(&pk[1].v, "arbiter"))
			rv = AS_ROLE_MASTER;
		else if (sw_jscan_streq(&pk[1].v, "worker"))
			rv = AS_ROLE_WORKER;
		long n = sw_jscan_str(&pk[2].v, cluster_id, len);
		if (n < 0 || (size_t)n >= len)
			cluster_id[0] = '\0';
	}
	free(s);
	if (rv < 0 && args->type == SW_JSCAN_ARRAY)
		sw_jscan_each(args->raw, args->len, NULL, 0, role_arg, &rv, NULL);
	return rv;
}

/* |v| decoded into a new string (free() it), or NULL when it is no string. */
static char *val_dup(const struct sw_jscan_val *v)
{
	char *s;

	if (v->type != SW_JSCAN_STRING)
		return NULL;
	s = xmalloc(v->len + 1);
	sw_jscan_str(v, s, v->len + 1);
	return s;
}

int steps_answer(const struct steps_host *h, const struct steps_instr *in,
                 struct steps_reply *out)
{
	char *type = in ? val_dup(&in->type) : NULL;
	const struct sw_jscan_val *args;
	int role;

	memset(out, 0, sizeof(*out));
	out->type = -1;
	if (!type)
		return SW_ERR_PARSE;
	args = &in->args;
	snprintf(out->step_type, sizeof(out->step_type), "%s", type);
	/* cut like the fixed buffer always cut it */
	if (sw_jscan_str(&in->id, out->step_id, sizeof(out->step_id)) < 0)
		out->step_id[0] = '\0';
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
		step_tang(out);
		break;
	case AS_STEP_UPGRADE_AGENT:
		step_upgrade(args, out);
		break;
	case AS_STEP_INSTALL:
		role = install_request(args, out->cluster_id, sizeof(out->cluster_id));
		if (role < 0) {
			out->cluster_id[0] = '\0';
			fail(out, "install: no role in the install command%s", NULL);
			break;
		}
		out->action = STEPS_ACT_INSTALL;
		out->install_role = role;
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
	free(type);
	return 0;
}

const char *const steps_instr_pointers[STEPS_INSTR_NPICKS] = {"/step_type", "/step_id", "/args"};

void steps_instr_from_picks(struct steps_instr *in, const struct sw_jscan_pick *picks)
{
	in->type = picks[0].v;
	in->id = picks[1].v;
	in->args = picks[2].v;
}

int steps_answer_json(const struct steps_host *h, const char *json, size_t len,
                      struct steps_reply *out)
{
	struct sw_jscan_pick p[STEPS_INSTR_NPICKS];
	struct steps_instr in;

	for (size_t i = 0; i < STEPS_INSTR_NPICKS; i++)
		p[i].ptr = steps_instr_pointers[i];
	if (sw_jscan(json, len, p, STEPS_INSTR_NPICKS) != 0) {
		memset(out, 0, sizeof(*out));
		out->type = -1;
		return SW_ERR_PARSE;
	}
	steps_instr_from_picks(&in, p);
	return steps_answer(h, &in, out);
}

char *steps_reply_body(const struct steps_reply *r, size_t *len)
{
	struct jw w;

	jw_init(&w, 128 + (r->output ? strlen(r->output) * 2 : 0));
	jw_obj(&w);
	jw_kstr(&w, "step_type", r->step_type);
	jw_kstr(&w, "step_id", r->step_id);
	if (r->exit_code)
		jw_kint(&w, "exit_code", r->exit_code);
	if (r->output && *r->output)
		jw_kstr(&w, "output", r->output);
	if (r->error && *r->error)
		jw_kstr(&w, "error", r->error);
	jw_obj_end(&w);
	return jw_take(&w, len);
}
