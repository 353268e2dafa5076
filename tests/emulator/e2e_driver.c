/*
 * End-to-end test of assisted-emulator over the network: starts the
 * emulator as a child process on 127.0.0.1 (random port, --time-scale 60)
 * and walks clusters through their whole life with the protocol client,
 * exactly like a driver + agents + installer + controller would
 * (protocol/README.md §7): single-node, three masters, three masters + two
 * workers. Then the failure paths (missing timestamp, wrong agent version,
 * bad inventory, lower stage, silent host, auth failures) and, in a second
 * emulator, the fault injection and the debug endpoints.
 *
 * usage: e2e_driver EMULATOR [--proto h2|h1] [--tls] [--auth none|token|local]
 *                            [--record FILE] [--no-faults] [--verbose]
 * Exit 0 when everything behaved, 1 otherwise (first failure printed).
 *
 * Attach mode (the agent side of a kube-api test, as the original swarm
 * booted its agents): no emulator is started and no user call is made; the
 * hosts of one cluster boot from an InfraEnv's ISO URL and run agent,
 * installer and assisted-installer-controller until the cluster is
 * installed (the hub's controllers approve and install it):
 *   e2e_driver --attach PORT --iso-url URL [--auth none|local] --masters N
 *              --host MAC,HOSTNAME,IP [--host ...] [--timeout SECONDS]
 * The infra-env id and, under local auth, the agent token are taken from the
 * ISO URL (/byid/<id>/... or /byapikey/<JWT>/...).
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "as_model.h"
#include "e2e_util.h"
#include "sw_err.h"
#include "sw_http.h"

#define API AS_API_BASE
#define MAX_HOSTS 8
#define PULL_SECRET "{\"auths\":{\"cloud.openshift.com\":{\"auth\":\"dXNlcjpwYXNzd29yZA==\",\"email\":\"swarm@example.com\"}}}"
#define OCP_VERSION "4.22"
#define USER_TOKEN "e2e-user-token"
#define PS_TOKEN "e2e-pull-secret-token"

static int verbose;
/* The running emulator, stopped by the exit handler when a check fails. */
static struct e2e_child *running_child;

static void stop_child_at_exit(void)
{
	if (running_child && running_child->pid > 0)
		e2e_child_stop(running_child);
}

#define FAIL(...) do { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } while (0)
#define CHECK(cond, ...) do { if (!(cond)) FAIL(__VA_ARGS__); } while (0)

static void logf_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

enum auth_mode { AUTH_NONE, AUTH_TOKEN, AUTH_LOCAL };

struct drv {
	struct e2e_http http;
	enum auth_mode auth;
	char agent_image[256];
	char *cert_pem;
	int proto_h1, tls;
	int parked_answered;   /* the request left waiting at shutdown has completed */
};

struct cluster;

struct host {
	struct cluster *c;
	int idx;
	char id[37];
	char hostname[64];
	char ip[32];            /* without prefix */
	char mac[24];
	/* behaviour knobs for the failure paths */
	int no_timestamp, wrong_version, bad_inventory, silent_after_inventory;
	/* agent state */
	int inventory_sent;
	int stopped;            /* rebooted (or silenced): no more calls */
	char status[48];
	/* installer state */
	int installing;         /* install step seen */
	char role[16];          /* bootstrap, master, worker */
	enum as_stage_role stage_role;
	size_t next_stage;      /* index into the role's stage list */
	int rebooted, joined, done;
	int checked_lower_stage;
	int steps_seen[AS_STEP_TYPE_COUNT];
};

struct cluster {
	struct drv *d;
	char name[64];
	char id[37];
	char ie_id[37];
	int masters, workers, nhosts;
	struct host hosts[MAX_HOSTS];
	char agent_token[1024]; /* X-Secret-Key for agent calls */
	char api_vip[32], ingress_vip[32], net[32];
	int net_octet;
	int vips_set;
	int install_started;
	int finalized;
	char status[48];
};

/* ---- HTTP helpers ---------------------------------------------------------------------- */

static const char *const *user_hdrs(struct drv *d)
{
	static const char *const bearer[] = {"authorization", "Bearer " USER_TOKEN, NULL};
	return d->auth == AUTH_NONE ? NULL : bearer;
}

/* A user (driver) call; returns the status and keeps the result in |r|. */
static int ucall(struct drv *d, const char *method, const char *path, const char *json,
                 struct e2e_res *r)
{
	e2e_call(&d->http, method, path, user_hdrs(d), "application/json", json,
	         json ? strlen(json) : 0, r);
	CHECK(r->err == 0, "%s %s: transport error %s", method, path, sw_err_name(r->err));
	if (verbose)
		logf_("  user %s %s -> %d", method, path, r->status);
	return r->status;
}

/* An agent/installer/controller call with the agent token and version header. */
static int acall_h(struct cluster *c, const char *method, const char *path, const char *ctype,
                   const void *body, size_t len, const char *version, struct e2e_res *r)
{
	const char *hdrs[7];
	size_t n = 0;
	if (c->d->auth != AUTH_NONE) {
		hdrs[n++] = "x-secret-key";
		hdrs[n++] = c->agent_token;
	}
	hdrs[n++] = "discovery_agent_version";
	hdrs[n++] = version ? version : c->d->agent_image;
	hdrs[n] = NULL;
	e2e_call(&c->d->http, method, path, hdrs, ctype, body, len, r);
	CHECK(r->err == 0, "%s %s: transport error %s", method, path, sw_err_name(r->err));
	if (verbose)
		logf_("  agent %s %s -> %d", method, path, r->status);
	return r->status;
}

static int acall(struct cluster *c, const char *method, const char *path, const char *json,
                 struct e2e_res *r)
{
	return acall_h(c, method, path, "application/json", json, json ? strlen(json) : 0, NULL, r);
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* ---- what the agent answers ------------------------------------------------------------ */

static char *inventory_json(struct host *h)
{
	int bad = h->bad_inventory;
	char cidr[40], gw[32], net[40];
	snprintf(cidr, sizeof(cidr), "%s/16", h->ip);
	snprintf(gw, sizeof(gw), "10.%d.255.1", h->c->net_octet);
	snprintf(net, sizeof(net), "10.%d.0.0", h->c->net_octet);
	char wwn[32], byid[64];
	snprintf(wwn, sizeof(wwn), "0x5000c500a%07d", h->c->net_octet * 100 + h->idx);
	snprintf(byid, sizeof(byid), "/dev/disk/by-id/wwn-%s", wwn);
	json_t *inv = json_pack(
		"{s:s, s:{s:i, s:f, s:s, s:s, s:[s,s]},"
		" s:{s:I, s:I, s:s},"
		" s:[{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:b, s:b, s:s, s:s, s:s, s:s,"
		"     s:{s:b, s:[]}}],"
		" s:[{s:s, s:s, s:s, s:[s], s:[], s:[s,s,s], s:b, s:i, s:i, s:s, s:s}],"
		" s:[{s:s, s:s, s:s, s:i, s:i}, {s:s, s:s, s:s, s:i, s:i}],"
		" s:{s:s, s:s, s:s, s:b}, s:{s:s, s:s}, s:[], s:s}",
		"hostname", h->hostname,
		"cpu", "count", bad ? 1 : 16, "frequency", 2400.0, "architecture", "x86_64",
		"model_name", "Intel Xeon", "flags", "vmx", "sse4_2",
		"memory", "physical_bytes", (json_int_t)(bad ? 1073741824LL : 34359738368LL),
		"usable_bytes", (json_int_t)(bad ? 1000000000LL : 33285996544LL),
		"physical_bytes_method", "dmidecode",
		"disks", "id", byid, "by_id", byid, "name", "sda", "path", "/dev/sda", "hctl", "0:0:0:0",
		"drive_type", "SSD", "model", "Disk", "size_bytes", (json_int_t)214748364800LL,
		"bootable", 1, "removable", 0, "is_installation_media", 0, "vendor", "ATA",
		"serial", "S1", "wwn", wwn, "smart", "",
		"installation_eligibility", "eligible", 1, "not_eligible_reasons",
		"interfaces", "name", "ens3", "type", "physical", "mac_address", h->mac,
		"ipv4_addresses", cidr, "ipv6_addresses", "flags", "up", "broadcast", "multicast",
		"has_carrier", 1, "mtu", 1500, "speed_mbps", 10000, "vendor", "0x1af4",
		"product", "0x0001",
		"routes", "interface", "ens3", "destination", "0.0.0.0", "gateway", gw, "family", 2,
		"metric", 100,
		"interface", "ens3", "destination", net, "gateway", "", "family", 2, "metric", 100,
		"system_vendor", "manufacturer", "Red Hat", "product_name", "KVM", "serial_number",
		"0001", "virtual", 1,
		"boot", "current_boot_mode", "uefi", "secure_boot_state", "NotSupported",
		"gpus", "tpm_version", "none");
	CHECK(inv, "cannot build the inventory");
	char *s = json_dumps(inv, JSON_COMPACT);
	json_decref(inv);
	return s;
}

/* args[0] of a step, parsed as JSON (new reference or NULL). */
static json_t *arg0(json_t *step)
{
	const char *a = json_string_value(json_array_get(json_object_get(step, "args"), 0));
	return a ? json_loads(a, 0, NULL) : NULL;
}

static char *connectivity_output(json_t *args)
{
	json_t *remote = json_array();
	size_t i;
	json_t *rh;
	json_array_foreach(args, i, rh) {
		json_t *l2 = json_array(), *l3 = json_array();
		size_t k;
		json_t *nic;
		json_array_foreach(json_object_get(rh, "nics"), k, nic) {
			size_t m;
			json_t *ip;
			json_array_foreach(json_object_get(nic, "ip_addresses"), m, ip) {
				char addr[64];
				snprintf(addr, sizeof(addr), "%s", json_string_value(ip) ? json_string_value(ip) : "");
				char *slash = strchr(addr, '/');
				if (slash)
					*slash = '\0';
				json_array_append_new(l2, json_pack("{s:s,s:s,s:s,s:b}", "outgoing_nic", "ens3",
				                                    "remote_ip_address", addr, "remote_mac",
				                                    jstr(nic, "mac"), "successful", 1));
				json_array_append_new(l3, json_pack("{s:s,s:b,s:f,s:f}", "remote_ip_address", addr,
				                                    "successful", 1, "average_rtt_ms", 0.5,
				                                    "packet_loss_percentage", 0.0));
			}
		}
		json_array_append_new(remote, json_pack("{s:s,s:o,s:o,s:[]}", "host_id",
		                                        jstr(rh, "host_id"), "l2_connectivity", l2,
		                                        "l3_connectivity", l3, "mtu_report"));
	}
	json_t *out = json_pack("{s:o}", "remote_hosts", remote);
	char *s = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	return s;
}

static char *step_output(struct host *h, const char *type, json_t *step)
{
	struct cluster *c = h->c;
	json_t *a = arg0(step);
	json_t *out = NULL;
	char *s = NULL;
	if (strcmp(type, "inventory") == 0) {
		s = inventory_json(h);
	} else if (strcmp(type, "connectivity-check") == 0) {
		s = connectivity_output(a);
	} else if (strcmp(type, "free-network-addresses") == 0) {
		out = json_array();
		size_t i;
		json_t *net;
		json_array_foreach(a, i, net)
			json_array_append_new(out, json_pack("{s:s,s:[s,s]}", "network", json_string_value(net),
			                                     "free_addresses", c->api_vip, c->ingress_vip));
	} else if (strcmp(type, "ntp-synchronizer") == 0) {
		out = json_pack("{s:[{s:s,s:s}]}", "ntp_sources", "source_name", "clock.example.com",
		                "source_state", "synced");
	} else if (strcmp(type, "domain-resolution") == 0) {
		json_t *res = json_array();
		size_t i;
		json_t *dom;
		json_array_foreach(json_object_get(a, "domains"), i, dom) {
			const char *name = jstr(dom, "domain_name");
			int wildcard = strncmp(name, "validateNoWildcardDNS", 21) == 0;
			const char *ip = strncmp(name, "api", 3) == 0 ? c->api_vip : c->ingress_vip;
			json_t *v4 = wildcard ? json_array() : json_pack("[s]", ip[0] ? ip : "192.0.2.10");
			json_array_append_new(res, json_pack("{s:s,s:o,s:[],s:[]}", "domain_name", name,
			                                     "ipv4_addresses", v4, "ipv6_addresses", "cnames"));
		}
		out = json_pack("{s:o}", "resolutions", res);
	} else if (strcmp(type, "verify-vips") == 0) {
		out = json_array();
		size_t i;
		json_t *v;
		json_array_foreach(a, i, v)
			json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "vip", jstr(v, "vip"), "vip_type",
			                                     jstr(v, "vip_type"), "verification", "succeeded"));
	} else if (strcmp(type, "installation-disk-speed-check") == 0) {
		out = json_pack("{s:i,s:s}", "io_sync_duration", 1, "path", jstr(a, "path"));
	} else if (strcmp(type, "container-image-availability") == 0) {
		json_t *imgs = json_array();
		size_t i;
		json_t *img;
		json_array_foreach(json_object_get(a, "images"), i, img)
			json_array_append_new(imgs, json_pack("{s:s,s:s,s:I,s:f,s:f}", "name",
			                                      json_string_value(img), "result", "success",
			                                      "size_bytes", (json_int_t)400000000, "time", 10.0,
			                                      "download_rate", 100.0));
		out = json_pack("{s:o}", "images", imgs);
	} else if (strcmp(type, "upgrade-agent") == 0) {
		out = json_pack("{s:s,s:s}", "agent_image", jstr(a, "agent_image"), "result", "success");
	}
	if (out) {
		s = json_dumps(out, JSON_COMPACT);
		json_decref(out);
	}
	json_decref(a);
	return s ? s : strdup("");
}

static void post_reply(struct host *h, const char *type, const char *step_id, const char *output)
{
	struct cluster *c = h->c;
	char path[256];
	snprintf(path, sizeof(path), API "/v2/infra-envs/%s/hosts/%s/instructions", c->ie_id, h->id);
	json_t *body = json_pack("{s:s,s:s,s:s}", "step_type", type, "step_id", step_id, "output",
	                         output);
	char *js = json_dumps(body, JSON_COMPACT);
	struct e2e_res r;
	int st = acall(c, "POST", path, js, &r);
	CHECK(st == 204, "step reply %s of %s: status %d body %s", type, h->hostname, st, r.body);
	e2e_res_free(&r);
	free(js);
	json_decref(body);
}

static void start_installer(struct host *h, json_t *step)
{
	json_t *a = arg0(step);
	CHECK(a, "install step without args");
	snprintf(h->role, sizeof(h->role), "%s", jstr(a, "role"));
	CHECK(strcmp(jstr(a, "host_id"), h->id) == 0, "install step for another host");
	if (h->c->masters == 1)
		h->stage_role = AS_ROLE_SNO;
	else if (strcmp(h->role, "bootstrap") == 0)
		h->stage_role = AS_ROLE_BOOTSTRAP;
	else if (strcmp(h->role, "worker") == 0)
		h->stage_role = AS_ROLE_WORKER;
	else
		h->stage_role = AS_ROLE_MASTER;
	h->installing = 1;
	json_decref(a);
	if (verbose)
		logf_("  %s: installer started as %s", h->hostname, h->role);
}

/* One poll of the next-step runner. */
static void agent_poll(struct host *h)
{
	struct cluster *c = h->c;
	char path[300];
	if (h->no_timestamp)
		snprintf(path, sizeof(path), API "/v2/infra-envs/%s/hosts/%s/instructions", c->ie_id, h->id);
	else
		snprintf(path, sizeof(path), API "/v2/infra-envs/%s/hosts/%s/instructions?timestamp=%lld",
		         c->ie_id, h->id, (long long)time(NULL));
	struct e2e_res r;
	int st = acall_h(c, "GET", path, NULL, NULL, 0,
	                 h->wrong_version ? "quay.io/example/old-agent:v1" : NULL, &r);
	CHECK(st == 200 && r.json, "instructions of %s: status %d body %s", h->hostname, st, r.body);
	json_t *steps = json_object_get(r.json, "instructions");
	const char *psa = jstr(r.json, "post_step_action");
	CHECK(strcmp(psa, "continue") == 0 || strcmp(psa, "exit") == 0, "bad post_step_action");
	size_t i;
	json_t *step;
	json_array_foreach(steps, i, step) {
		const char *type = jstr(step, "step_type");
		const char *sid = jstr(step, "step_id");
		int t = as_step_type_parse(type);
		CHECK(t >= 0, "unknown step type %s", type);
		CHECK(strncmp(sid, type, strlen(type)) == 0, "step id %s does not start with its type", sid);
		h->steps_seen[t]++;
		if (t == AS_STEP_INSTALL && !h->installing)
			start_installer(h, step);
		char *out = step_output(h, type, step);
		post_reply(h, type, sid, out);
		if (t == AS_STEP_INVENTORY) {
			h->inventory_sent = 1;
			if (h->silent_after_inventory)
				h->stopped = 1;
		}
		free(out);
	}
	e2e_res_free(&r);
}

/* ---- installer and controller ---------------------------------------------------------- */

static int progress(struct host *h, const char *stage, const char *info)
{
	char path[256], body[256];
	snprintf(path, sizeof(path), API "/v2/infra-envs/%s/hosts/%s/progress", h->c->ie_id, h->id);
	snprintf(body, sizeof(body), "{\"current_stage\":\"%s\",\"progress_info\":\"%s\"}", stage, info);
	struct e2e_res r;
	int st = acall(h->c, "PUT", path, body, &r);
	e2e_res_free(&r);
	return st;
}

static int count_masters(struct cluster *c, int want_done)
{
	int n = 0;
	for (int i = 0; i < c->nhosts; i++) {
		struct host *h = &c->hosts[i];
		if (strcmp(h->role, "worker") != 0 && h->installing && (want_done ? h->done : h->rebooted))
			n++;
	}
	return n;
}

static void upload_host_logs(struct host *h)
{
	struct cluster *c = h->c;
	char path[300], ctype[128];
	struct e2e_res r;
	snprintf(path, sizeof(path), API "/v2/infra-envs/%s/hosts/%s/logs-progress", c->ie_id, h->id);
	CHECK(acall(c, "PUT", path, "{\"logs_state\":\"requested\"}", &r) == 204, "logs-progress: %d %s",
	      r.status, r.body);
	e2e_res_free(&r);
	struct evbuffer *mp = evbuffer_new();
	static const char tgz[] = "\x1f\x8b\x08\x00fake-tar-gz";
	CHECK(sw_multipart_file(mp, ctype, sizeof(ctype), "upfile", "logs.tar.gz", "application/gzip",
	                        tgz, sizeof(tgz) - 1) == 0, "multipart");
	size_t len = evbuffer_get_length(mp);
	char *buf = malloc(len);
	evbuffer_remove(mp, buf, len);
	evbuffer_free(mp);
	snprintf(path, sizeof(path), API "/v2/clusters/%s/logs?logs_type=host&infra_env_id=%s&host_id=%s",
	         c->id, c->ie_id, h->id);
	CHECK(acall_h(c, "POST", path, ctype, buf, len, NULL, &r) == 204, "logs upload: %d %s",
	      r.status, r.body);
	e2e_res_free(&r);
	free(buf);
	snprintf(path, sizeof(path), API "/v2/infra-envs/%s/hosts/%s/logs-progress", c->ie_id, h->id);
	CHECK(acall(c, "PUT", path, "{\"logs_state\":\"completed\"}", &r) == 204, "logs-progress: %d",
	      r.status);
	e2e_res_free(&r);
}

/* Advances the emulated installer of |h| by at most one stage. */
static void installer_step(struct host *h)
{
	struct cluster *c = h->c;
	size_t n = 0;
	const enum as_stage *order = as_stage_order(h->stage_role, &n);
	if (h->rebooted || h->next_stage >= n)
		return;
	enum as_stage st = order[h->next_stage];
	const char *name = as_stage_name(st);
	struct e2e_res r;
	char path[300];
	/* Ordering of the real installers (protocol/README.md §5.3). */
	if (h->stage_role == AS_ROLE_BOOTSTRAP && st == AS_STAGE_WAITING_FOR_BOOTKUBE &&
	    count_masters(c, 0) < 2)
		return;
	if (h->stage_role == AS_ROLE_WORKER && st == AS_STAGE_REBOOTING && count_masters(c, 1) < 2)
		return;
	if (st == AS_STAGE_JOINED || st == AS_STAGE_DONE || st == AS_STAGE_CONFIGURING ||
	    st == AS_STAGE_WAITING_FOR_IGNITION)
		return; /* reported by the controller after the reboot */
	if (st == AS_STAGE_REBOOTING && h->idx == 0)
		upload_host_logs(h);
	const char *info = st == AS_STAGE_STARTING_INSTALLATION || st == AS_STAGE_INSTALLING
	                 ? (h->stage_role == AS_ROLE_WORKER ? "worker" : h->role) : "";
	int code = progress(h, name, info);
	CHECK(code == 200, "%s: stage %s -> %d", h->hostname, name, code);
	if (st == AS_STAGE_STARTING_INSTALLATION) {
		if (h->stage_role == AS_ROLE_BOOTSTRAP || h->stage_role == AS_ROLE_SNO) {
			snprintf(path, sizeof(path), API "/v2/clusters/%s/downloads/files?file_name=bootstrap.ign",
			         c->id);
			CHECK(acall(c, "GET", path, NULL, &r) == 200, "bootstrap.ign: %d %s", r.status, r.body);
			e2e_res_free(&r);
		}
	} else if (st == AS_STAGE_INSTALLING && h->stage_role != AS_ROLE_SNO) {
		snprintf(path, sizeof(path), API "/v2/infra-env/%s/hosts/%s/downloads/ignition", c->ie_id,
		         h->id);
		CHECK(acall(c, "GET", path, NULL, &r) == 200, "host ignition: %d %s", r.status, r.body);
		e2e_res_free(&r);
	} else if (st == AS_STAGE_WRITING_IMAGE_TO_DISK) {
		CHECK(progress(h, name, "50%") == 200, "progress 50%%");
		CHECK(progress(h, name, "100%") == 200, "progress 100%%");
		if (!h->checked_lower_stage && h->idx == 0) {
			/* Stages only move forward: a lower one is a conflict. */
			int lower = progress(h, "Starting installation", "");
			CHECK(lower == 409, "%s: lower stage accepted with %d", h->hostname, lower);
			h->checked_lower_stage = 1;
		}
	} else if (st == AS_STAGE_WAITING_FOR_CONTROL_PLANE && h->stage_role == AS_ROLE_WORKER) {
		snprintf(path, sizeof(path), API "/v2/clusters/%s/hosts?role=master", c->id);
		CHECK(acall(c, "GET", path, NULL, &r) == 200, "cluster hosts: %d", r.status);
		CHECK(json_is_array(r.json), "cluster hosts is not a list");
		e2e_res_free(&r);
	} else if (st == AS_STAGE_REBOOTING) {
		h->rebooted = 1;
		h->stopped = 1;
	}
	h->next_stage++;
}

/* The assisted-installer-controller: Joined/Done for rebooted hosts, then
 * the finalizing sequence. Returns 1 once the cluster is installed. */
static int controller_step(struct cluster *c)
{
	struct e2e_res r;
	char path[300];
	struct host *boot = NULL;
	for (int i = 0; i < c->nhosts; i++)
		if (c->hosts[i].installing && (strcmp(c->hosts[i].role, "bootstrap") == 0))
			boot = &c->hosts[i];
	if (!boot || !boot->rebooted)
		return 0;
	for (int i = 0; i < c->nhosts; i++) {
		struct host *h = &c->hosts[i];
		if (!h->rebooted || h->done)
			continue;
		if (!h->joined) {
			CHECK(progress(h, "Joined", "") == 200, "Joined of %s", h->hostname);
			h->joined = 1;
		}
		CHECK(progress(h, "Done", "") == 200, "Done of %s", h->hostname);
		h->done = 1;
	}
	snprintf(path, sizeof(path), API "/v2/clusters/%s?exclude-hosts=true", c->id);
	CHECK(acall(c, "GET", path, NULL, &r) == 200 && r.json, "controller get cluster: %d", r.status);
	snprintf(c->status, sizeof(c->status), "%s", jstr(r.json, "status"));
	e2e_res_free(&r);
	/* a kube-api hub turns an installed cluster into a day-2 one at once;
	 * the real controller stops on both */
	if (strcmp(c->status, "installed") == 0 || strcmp(c->status, "adding-hosts") == 0)
		return 1;
	if (strcmp(c->status, "finalizing") != 0 || c->finalized)
		return 0;
	/* finalizing: operators, router CA, complete */
	static const char *const stages[] = {"Waiting for cluster operators", "Adding router ca",
	                                     "Waiting for olm operators csv initialization"};
	snprintf(path, sizeof(path), API "/v2/clusters/%s/progress", c->id);
	char body[256];
	snprintf(body, sizeof(body), "{\"finalizing_stage\":\"%s\"}", stages[0]);
	CHECK(acall(c, "PUT", path, body, &r) == 200, "finalizing stage: %d %s", r.status, r.body);
	e2e_res_free(&r);
	snprintf(path, sizeof(path), API "/v2/clusters/%s/monitored-operators", c->id);
	CHECK(acall(c, "GET", path, NULL, &r) == 200 && json_is_array(r.json), "operators: %d",
	      r.status);
	json_t *ops = json_incref(r.json);
	e2e_res_free(&r);
	CHECK(json_array_size(ops) >= 1, "no monitored operators");
	size_t i;
	json_t *op;
	json_array_foreach(ops, i, op) {
		json_t *rep = json_pack("{s:s,s:s,s:s,s:s}", "name", jstr(op, "name"), "version", "",
		                        "status", "available", "status_info", "All is well");
		char *js = json_dumps(rep, JSON_COMPACT);
		CHECK(acall(c, "PUT", path, js, &r) == 200, "operator %s: %d %s", jstr(op, "name"),
		      r.status, r.body);
		e2e_res_free(&r);
		free(js);
		json_decref(rep);
	}
	json_decref(ops);
	snprintf(path, sizeof(path), API "/v2/clusters/%s/progress", c->id);
	for (size_t s = 1; s < sizeof(stages) / sizeof(stages[0]); s++) {
		snprintf(body, sizeof(body), "{\"finalizing_stage\":\"%s\"}", stages[s]);
		CHECK(acall(c, "PUT", path, body, &r) == 200, "finalizing %s: %d", stages[s], r.status);
		e2e_res_free(&r);
	}
	/* the router CA: a JSON string holding a real PEM certificate */
	json_t *pem = json_string(c->d->cert_pem);
	char *pemjs = json_dumps(pem, JSON_ENCODE_ANY);
	snprintf(path, sizeof(path), API "/v2/clusters/%s/uploads/ingress-cert", c->id);
	CHECK(acall(c, "POST", path, pemjs, &r) == 201, "ingress cert: %d %s", r.status, r.body);
	e2e_res_free(&r);
	free(pemjs);
	json_decref(pem);
	snprintf(path, sizeof(path), API "/v2/clusters/%s/progress", c->id);
	CHECK(acall(c, "PUT", path, "{\"finalizing_stage\":\"Done\"}", &r) == 200, "finalizing Done");
	e2e_res_free(&r);
	snprintf(path, sizeof(path), API "/v2/clusters/%s/actions/complete-installation", c->id);
	int st = acall(c, "POST", path, "{\"is_success\":true}", &r);
	if (st == 409) {
		/* the service's monitor may have finished the cluster meanwhile (its
		 * operators are all available): the real controller then sees it
		 * installed and stops */
		struct e2e_res g;
		snprintf(path, sizeof(path), API "/v2/clusters/%s?exclude-hosts=true", c->id);
		CHECK(acall(c, "GET", path, NULL, &g) == 200 && g.json, "get cluster: %d", g.status);
		const char *now = jstr(g.json, "status");
		CHECK(!strcmp(now, "installed") || !strcmp(now, "adding-hosts"),
		      "complete-installation: 409 %s with the cluster %s", r.body, now);
		e2e_res_free(&g);
	} else {
		CHECK(st == 202, "complete-installation: %d %s", r.status, r.body);
	}
	e2e_res_free(&r);
	c->finalized = 1;
	return 0;
}

/* One round of the cluster's machines: each agent polls, each installer
 * moves on, the controller acts. Returns 1 once the cluster is installed. */
static int cluster_round(struct cluster *c)
{
	for (int i = 0; i < c->nhosts; i++) {
		struct host *h = &c->hosts[i];
		if (!h->stopped)
			agent_poll(h);
		if (h->installing)
			installer_step(h);
	}
	return controller_step(c);
}

/* ---- driver ---------------------------------------------------------------------------- */

static void cluster_init(struct drv *d, struct cluster *c, const char *name, int masters,
                         int workers, int octet)
{
	memset(c, 0, sizeof(*c));
	c->d = d;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->masters = masters;
	c->workers = workers;
	c->nhosts = masters + workers;
	c->net_octet = octet;
	snprintf(c->net, sizeof(c->net), "10.%d.0.0/16", octet);
	if (masters > 1) {
		snprintf(c->api_vip, sizeof(c->api_vip), "10.%d.255.253", octet);
		snprintf(c->ingress_vip, sizeof(c->ingress_vip), "10.%d.255.254", octet);
	}
	for (int i = 0; i < c->nhosts; i++) {
		struct host *h = &c->hosts[i];
		h->c = c;
		h->idx = i;
		e2e_uuid(h->id);
		snprintf(h->hostname, sizeof(h->hostname), "%s-h%d", name, i);
		snprintf(h->ip, sizeof(h->ip), "10.%d.0.%d", octet, 10 + i);
		snprintf(h->mac, sizeof(h->mac), "02:00:00:%02x:00:%02x", octet, 10 + i);
	}
}

/* D1 + D2 and, in local mode, the agent token from the ISO URL. */
static void create_cluster(struct drv *d, struct cluster *c)
{
	struct e2e_res r;
	json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:i,s:s}", "name", c->name, "openshift_version",
	                         OCP_VERSION, "pull_secret", PULL_SECRET, "base_dns_domain",
	                         "example.com", "control_plane_count", c->masters, "cpu_architecture",
	                         "x86_64");
	if (c->masters == 1)
		json_object_set_new(body, "user_managed_networking", json_true());
	char *js = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	int st = ucall(d, "POST", API "/v2/clusters", js, &r);
	free(js);
	CHECK(st == 201 && r.json, "register cluster %s: %d %s", c->name, st, r.body);
	snprintf(c->id, sizeof(c->id), "%s", jstr(r.json, "id"));
	CHECK(strlen(c->id) == 36, "cluster id '%s'", c->id);
	e2e_res_free(&r);

	body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "name", "ie", "pull_secret", PULL_SECRET,
	                 "cluster_id", c->id, "openshift_version", OCP_VERSION, "cpu_architecture",
	                 "x86_64", "image_type", "full-iso");
	char name[80];
	snprintf(name, sizeof(name), "%s-ie", c->name);
	json_object_set_new(body, "name", json_string(name));
	js = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	st = ucall(d, "POST", API "/v2/infra-envs", js, &r);
	free(js);
	CHECK(st == 201 && r.json, "register infra-env: %d %s", st, r.body);
	snprintf(c->ie_id, sizeof(c->ie_id), "%s", jstr(r.json, "id"));
	CHECK(strlen(c->ie_id) == 36, "infra-env id '%s'", c->ie_id);
	const char *url = jstr(r.json, "download_url");
	if (d->auth == AUTH_LOCAL) {
		const char *p = strstr(url, "/byapikey/");
		CHECK(p, "local auth: no /byapikey/ in the ISO URL '%s'", url);
		p += strlen("/byapikey/");
		size_t n = strcspn(p, "/");
		CHECK(n > 20 && n < sizeof(c->agent_token), "token in ISO URL");
		memcpy(c->agent_token, p, n);
		c->agent_token[n] = '\0';
	} else if (d->auth == AUTH_TOKEN) {
		snprintf(c->agent_token, sizeof(c->agent_token), "%s", PS_TOKEN);
	}
	e2e_res_free(&r);
	logf_("cluster %s: id %s infra-env %s", c->name, c->id, c->ie_id);
}

static void register_host(struct host *h)
{
	struct cluster *c = h->c;
	char path[200], body[400];
	snprintf(path, sizeof(path), API "/v2/infra-envs/%s/hosts", c->ie_id);
	snprintf(body, sizeof(body), "{\"host_id\":\"%s\",\"discovery_agent_version\":\"%s\"}", h->id,
	         c->d->agent_image);
	struct e2e_res r;
	int st = acall(c, "POST", path, body, &r);
	CHECK(st == 201 && r.json, "register host: %d %s", st, r.body);
	CHECK(strcmp(jstr(r.json, "id"), h->id) == 0, "registered host id");
	CHECK(strcmp(jstr(r.json, "status"), "discovering") == 0, "new host status %s",
	      jstr(r.json, "status"));
	json_t *cmd = json_object_get(r.json, "next_step_runner_command");
	json_t *a0 = json_loads(json_string_value(json_array_get(json_object_get(cmd, "args"), 0))
	                        ? json_string_value(json_array_get(json_object_get(cmd, "args"), 0))
	                        : "", 0, NULL);
	CHECK(a0, "next_step_runner_command.args[0] is not JSON");
	CHECK(strcmp(jstr(a0, "agent_version"), c->d->agent_image) == 0, "agent_version %s",
	      jstr(a0, "agent_version"));
	CHECK(strcmp(jstr(a0, "host_id"), h->id) == 0, "runner host_id");
	json_decref(a0);
	if (!c->id[0] && strlen(jstr(r.json, "cluster_id")) == 36) /* attach mode: bound at registration */
		snprintf(c->id, sizeof(c->id), "%s", jstr(r.json, "cluster_id"));
	e2e_res_free(&r);
}

/* Reads every host's status from GET /v2/clusters/{id}; returns the cluster status. */
static const char *refresh(struct cluster *c)
{
	struct e2e_res r;
	char path[200];
	snprintf(path, sizeof(path), API "/v2/clusters/%s", c->id);
	int st = ucall(c->d, "GET", path, NULL, &r);
	CHECK(st == 200 && r.json, "get cluster: %d", st);
	snprintf(c->status, sizeof(c->status), "%s", jstr(r.json, "status"));
	size_t i;
	json_t *hj;
	json_array_foreach(json_object_get(r.json, "hosts"), i, hj) {
		for (int k = 0; k < c->nhosts; k++)
			if (strcmp(c->hosts[k].id, jstr(hj, "id")) == 0)
				snprintf(c->hosts[k].status, sizeof(c->hosts[k].status), "%s", jstr(hj, "status"));
	}
	e2e_res_free(&r);
	return c->status;
}

static void set_vips(struct cluster *c)
{
	char body[300];
	snprintf(body, sizeof(body), "{\"api_vips\":[{\"ip\":\"%s\"}],\"ingress_vips\":[{\"ip\":\"%s\"}]}",
	         c->api_vip, c->ingress_vip);
	char path[200];
	snprintf(path, sizeof(path), API "/v2/clusters/%s", c->id);
	struct e2e_res r;
	int st = ucall(c->d, "PATCH", path, body, &r);
	CHECK(st == 201, "set VIPs: %d %s", st, r.body);
	e2e_res_free(&r);
	c->vips_set = 1;
}

static void run_cluster(struct drv *d, struct cluster *c)
{
	create_cluster(d, c);
	for (int i = 0; i < c->nhosts; i++)
		register_host(&c->hosts[i]);
	uint64_t deadline = sw_now_ns() + 120ull * 1000000000ull;
	int rounds = 0;
	for (;;) {
		CHECK(sw_now_ns() < deadline, "cluster %s stuck in %s after %d rounds", c->name, c->status,
		      rounds);
		rounds++;
		if (cluster_round(c))
			break;
		if (rounds % 3 == 0 || !c->install_started) {
			refresh(c);
			int with_inventory = 0;
			for (int i = 0; i < c->nhosts; i++)
				with_inventory += c->hosts[i].inventory_sent;
			if (c->masters > 1 && !c->vips_set && with_inventory == c->nhosts)
				set_vips(c);
			if (!c->install_started && strcmp(c->status, "ready") == 0) {
				char path[200];
				struct e2e_res r;
				snprintf(path, sizeof(path), API "/v2/clusters/%s/actions/install", c->id);
				int st = ucall(d, "POST", path, NULL, &r);
				CHECK(st == 202, "install: %d %s", st, r.body);
				e2e_res_free(&r);
				c->install_started = 1;
				logf_("cluster %s: ready after %d rounds, installing", c->name, rounds);
			}
		}
		e2e_sleep(&d->http, 50);
	}
	refresh(c);
	CHECK(strcmp(c->status, "installed") == 0, "cluster %s ends %s", c->name, c->status);
	for (int i = 0; i < c->nhosts; i++) {
		CHECK(strcmp(c->hosts[i].status, "installed") == 0, "host %s ends %s",
		      c->hosts[i].hostname, c->hosts[i].status);
		CHECK(c->hosts[i].steps_seen[AS_STEP_INVENTORY] > 0, "no inventory step");
	}
	CHECK(c->hosts[0].steps_seen[AS_STEP_INSTALL] > 0, "no install step");
	CHECK(c->hosts[0].steps_seen[AS_STEP_INSTALLATION_DISK_SPEED_CHECK] > 0, "no disk speed step");
	if (c->masters > 1)
		CHECK(c->hosts[0].steps_seen[AS_STEP_CONNECTIVITY_CHECK] > 0, "no connectivity step");
	logf_("cluster %s: installed after %d rounds", c->name, rounds);
}

/* ---- failure paths --------------------------------------------------------------------- */

static json_t *host_get(struct cluster *c, struct host *h)
{
	char path[200];
	struct e2e_res r;
	snprintf(path, sizeof(path), API "/v2/infra-envs/%s/hosts/%s", c->ie_id, h->id);
	int st = ucall(c->d, "GET", path, NULL, &r);
	CHECK(st == 200 && r.json, "get host: %d %s", st, r.body);
	json_t *j = json_incref(r.json);
	e2e_res_free(&r);
	return j;
}

/* Status of validation |id| in the host's validations_info, or "". */
static void validation_status(json_t *host, const char *id, char *out, size_t len)
{
	out[0] = '\0';
	json_t *vi = json_loads(jstr(host, "validations_info"), 0, NULL);
	const char *k;
	json_t *group;
	json_object_foreach(vi, k, group) {
		size_t i;
		json_t *v;
		json_array_foreach(group, i, v)
			if (strcmp(jstr(v, "id"), id) == 0)
				snprintf(out, len, "%s", jstr(v, "status"));
	}
	json_decref(vi);
}

static void run_failures(struct drv *d)
{
	struct cluster *c = calloc(1, sizeof(*c));
	cluster_init(d, c, "e2e-neg", 3, 1, 150);
	c->hosts[0].no_timestamp = 1;
	c->hosts[1].wrong_version = 1;
	c->hosts[2].bad_inventory = 1;
	c->hosts[3].silent_after_inventory = 1;
	create_cluster(d, c);
	for (int i = 0; i < c->nhosts; i++)
		register_host(&c->hosts[i]);
	uint64_t t0 = sw_now_ns();
	int saw_disconnected = 0, saw_insufficient = 0;
	while (sw_now_ns() - t0 < 30ull * 1000000000ull) {
		for (int i = 0; i < c->nhosts; i++)
			if (!c->hosts[i].stopped)
				agent_poll(&c->hosts[i]);
		refresh(c);
		saw_disconnected = strcmp(c->hosts[3].status, "disconnected") == 0;
		saw_insufficient = strcmp(c->hosts[2].status, "insufficient") == 0;
		if (saw_disconnected && saw_insufficient && sw_now_ns() - t0 > 5ull * 1000000000ull)
			break;
		e2e_sleep(&d->http, 100);
	}
	CHECK(saw_disconnected, "silent host is %s, not disconnected", c->hosts[3].status);
	CHECK(saw_insufficient, "host with 1 CPU / 1 GiB is %s, not insufficient", c->hosts[2].status);
	/* wrong agent version: upgrade-agent only, never inventory */
	CHECK(c->hosts[1].steps_seen[AS_STEP_UPGRADE_AGENT] > 0, "no upgrade-agent step");
	CHECK(c->hosts[1].steps_seen[AS_STEP_INVENTORY] == 0, "inventory sent to an old agent");
	json_t *hj = host_get(c, &c->hosts[1]);
	char vs[32];
	validation_status(hj, "compatible-agent", vs, sizeof(vs));
	CHECK(strcmp(vs, "success") != 0, "compatible-agent is %s for an old agent", vs);
	json_decref(hj);
	/* no timestamp: time-synced stays pending, the host never becomes known */
	hj = host_get(c, &c->hosts[0]);
	validation_status(hj, "time-synced-between-host-and-service", vs, sizeof(vs));
	CHECK(strcmp(vs, "pending") == 0, "time-synced is '%s' without timestamps", vs);
	CHECK(strcmp(jstr(hj, "status"), "known") != 0, "host without timestamps is known");
	json_decref(hj);
	CHECK(strcmp(c->status, "ready") != 0, "cluster with bad hosts is ready");
	/* install of a cluster that is not ready: 409 */
	char path[200];
	struct e2e_res r;
	snprintf(path, sizeof(path), API "/v2/clusters/%s/actions/install", c->id);
	CHECK(ucall(d, "POST", path, NULL, &r) == 409, "install of a non-ready cluster: %d", r.status);
	e2e_res_free(&r);
	/* progress of a host that is not installing: 409 */
	CHECK(progress(&c->hosts[2], "Installing", "") == 409, "progress before install accepted");
	/* unknown host: 404; unknown path: 404; wrong method: 405 */
	snprintf(path, sizeof(path), API "/v2/infra-envs/%s/hosts/00000000-0000-0000-0000-000000000001"
	         "/instructions?timestamp=1", c->ie_id);
	CHECK(acall(c, "GET", path, NULL, &r) == 404, "unknown host: %d", r.status);
	CHECK(r.json && json_object_get(r.json, "reason"), "404 body shape: %s", r.body);
	e2e_res_free(&r);
	CHECK(ucall(d, "GET", API "/v2/no-such-thing", NULL, &r) == 404, "unknown path: %d", r.status);
	e2e_res_free(&r);
	CHECK(ucall(d, "DELETE", API "/v2/component-versions", NULL, &r) == 405, "wrong method: %d",
	      r.status);
	e2e_res_free(&r);
	/* strict JSON: an unknown field is a 400 */
	CHECK(ucall(d, "POST", API "/v2/clusters", "{\"name\":\"x\",\"openshift_version\":\"4.22\","
	            "\"pull_secret\":\"{}\",\"no_such_field\":1}", &r) == 400, "unknown field: %d",
	      r.status);
	e2e_res_free(&r);
	/* authentication failures */
	if (d->auth != AUTH_NONE) {
		snprintf(path, sizeof(path), API "/v2/infra-envs/%s/hosts/%s/instructions?timestamp=1",
		         c->ie_id, c->hosts[0].id);
		e2e_call(&d->http, "GET", path, NULL, NULL, NULL, 0, &r);
		CHECK(r.status == 401 && r.json &&
		      strcmp(jstr(r.json, "message"), "unauthenticated for invalid credentials") == 0,
		      "agent call without credential: %d %s", r.status, r.body);
		e2e_res_free(&r);
		static const char *const wrong[] = {"x-secret-key", "wrong.token.value", NULL};
		e2e_call(&d->http, "GET", path, wrong, NULL, NULL, 0, &r);
		CHECK(r.status == 401 && r.json && json_integer_value(json_object_get(r.json, "code")) == 401,
		      "agent call with a wrong credential: %d %s", r.status, r.body);
		e2e_res_free(&r);
		e2e_call(&d->http, "POST", API "/v2/clusters", NULL, "application/json", "{}", 2, &r);
		CHECK(r.status == 401, "user call without credential: %d", r.status);
		e2e_res_free(&r);
		/* user calls with the agent token are refused */
		const char *agent_hdrs[] = {"x-secret-key", c->agent_token, NULL};
		e2e_call(&d->http, "GET", API "/v2/component-versions", agent_hdrs, NULL, NULL, 0, &r);
		CHECK(r.status == 401, "user call with the agent token: %d", r.status);
		e2e_res_free(&r);
	}
	logf_("failure paths: ok");
	free(c);
}

/* ---- endpoints, metrics, faults -------------------------------------------------------- */

/* Value of the sample line starting with |series| (name plus labels). */
static int metric_value(const char *text, const char *series, double *v)
{
	size_t n = strlen(series);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ') {
			*v = strtod(p + n + 1, NULL);
			return 0;
		}
	}
	return -1;
}

static void check_endpoints(struct drv *d)
{
	struct e2e_res r;
	e2e_call(&d->http, "GET", "/health", NULL, NULL, NULL, 0, &r);
	CHECK(r.status == 200, "/health: %d", r.status);
	e2e_res_free(&r);
	e2e_call(&d->http, "GET", "/ready", NULL, NULL, NULL, 0, &r);
	CHECK(r.status == 200, "/ready: %d", r.status);
	e2e_res_free(&r);
	e2e_call(&d->http, "GET", "/debug/state", NULL, NULL, NULL, 0, &r);
	CHECK(r.status == 200 && r.json && json_is_array(json_object_get(r.json, "hosts")),
	      "/debug/state: %d", r.status);
	e2e_res_free(&r);
	e2e_call(&d->http, "GET", "/metrics", NULL, NULL, NULL, 0, &r);
	CHECK(r.status == 200, "/metrics: %d", r.status);
	double v = 0;
	CHECK(metric_value(r.body, "emulator_requests_total{operation=\"v2GetNextSteps\",code=\"200\"}",
	                   &v) == 0 && v > 10, "instruction polls not counted");
	CHECK(metric_value(r.body, "emulator_hosts{status=\"installed\"}", &v) == 0 && v >= 1,
	      "installed hosts not counted");
	CHECK(strstr(r.body, "emulator_request_duration_seconds_bucket{operation=\"v2GetNextSteps\","
	                     "le=\"0.001\"}"), "latency histogram missing");
	CHECK(metric_value(r.body, "emulator_connections_open", &v) == 0 && v >= 1, "connections");
	e2e_res_free(&r);
}

static void on_parked(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	*(int *)arg = 1;
}

/* Runs against an emulator started with fault options. */
static void run_faults(struct drv *d)
{
	struct e2e_res r;
	int errors = 0, ok = 0;
	for (int i = 0; i < 20; i++) {
		ucall(d, "GET", API "/v2/component-versions", NULL, &r);
		if (r.status == 503) {
			errors++;
			CHECK(r.json && strcmp(jstr(r.json, "code"), "503") == 0 &&
			      strcmp(jstr(r.json, "kind"), "Error") == 0, "503 body: %s", r.body);
		} else if (r.status == 200) {
			ok++;
		}
		e2e_res_free(&r);
	}
	CHECK(errors == 20, "rate-1 error fault gave %d/20 errors", errors);
	/* latency: 200 ms fixed on openshift-versions */
	uint64_t t0 = sw_now_ns();
	ucall(d, "GET", API "/v2/openshift-versions", NULL, &r);
	CHECK(r.status == 200, "openshift-versions: %d", r.status);
	CHECK(sw_now_ns() - t0 >= 200ull * 1000000ull, "latency fault not applied");
	e2e_res_free(&r);
	/* reset: the client sees a transport error */
	e2e_call(&d->http, "GET", API "/v2/clusters", user_hdrs(d), NULL, NULL, 0, &r);
	CHECK(r.err != 0, "reset fault gave status %d", r.status);
	e2e_res_free(&r);
	/* restart drops connections; the next call reconnects */
	e2e_call(&d->http, "POST", "/debug/restart", NULL, NULL, NULL, 0, &r);
	CHECK(r.status == 202, "/debug/restart: %d", r.status);
	e2e_res_free(&r);
	e2e_sleep(&d->http, 200);
	e2e_call(&d->http, "GET", "/metrics", NULL, NULL, NULL, 0, &r);
	CHECK(r.status == 200, "/metrics after restart: %d (err %d)", r.status, r.err);
	double v = 0;
	CHECK(metric_value(r.body, "emulator_faults_injected_total{kind=\"error\",operation="
	                   "\"v2ListComponentVersions\"}", &v) == 0 && v == 20, "error faults: %g", v);
	CHECK(metric_value(r.body, "emulator_faults_injected_total{kind=\"latency\",operation="
	                   "\"v2ListSupportedOpenshiftVersions\"}", &v) == 0 && v >= 1, "latency faults");
	CHECK(metric_value(r.body, "emulator_faults_injected_total{kind=\"reset\",operation="
	                   "\"v2ListClusters\"}", &v) == 0 && v >= 1, "reset faults");
	CHECK(metric_value(r.body, "emulator_faults_injected_total{kind=\"restart\",operation=\"*\"}",
	                   &v) == 0 && v == 1, "restart faults");
	CHECK(metric_value(r.body, "emulator_requests_total{operation=\"v2ListComponentVersions\","
	                   "code=\"503\"}", &v) == 0 && v == 20, "503s counted: %g", v);
	/* --goaway-after 7: the client went through several connections */
	CHECK(metric_value(r.body, "emulator_faults_injected_total{kind=\"goaway\",operation=\"*\"}",
	                   &v) == 0 && v >= 2, "goaway faults: %g", v);
	e2e_res_free(&r);
	/* An exchange waiting for its 30 s delay when a restart drops its
	 * connection: like a crashed service, its request never runs and its
	 * reply is lost; the delay does not count as injected. */
	struct sw_req *req = sw_req_new("GET", API "/v2/release-sources");
	int lost_answered = 0;
	if (req)
		req->idempotent = 0; /* the client must report the drop, not retry it */
	CHECK(req && sw_client_request(d->http.client, NULL, req, on_parked, &lost_answered) == 0,
	      "park");
	e2e_sleep(&d->http, 300);
	e2e_call(&d->http, "POST", "/debug/restart", NULL, NULL, NULL, 0, &r);
	CHECK(r.status == 202, "/debug/restart: %d", r.status);
	e2e_res_free(&r);
	for (int i = 0; i < 100 && !lost_answered; i++)
		e2e_sleep(&d->http, 20);
	CHECK(lost_answered, "the dropped exchange's client saw nothing");
	e2e_call(&d->http, "GET", "/metrics", NULL, NULL, NULL, 0, &r);
	CHECK(metric_value(r.body, "emulator_restart_replies_lost_total{operation="
	                   "\"v2ListReleaseSources\"}", &v) == 0 && v == 1, "restart-lost replies: %g", v);
	CHECK(metric_value(r.body, "emulator_faults_lost_total{kind=\"latency\",operation="
	                   "\"v2ListReleaseSources\"}", &v) == 0 && v == 1, "lost latency faults: %g", v);
	CHECK(metric_value(r.body, "emulator_faults_injected_total{kind=\"latency\",operation="
	                   "\"v2ListReleaseSources\"}", &v) != 0, "a dropped delay counted as injected");
	CHECK(metric_value(r.body, "emulator_restart_exchanges_in_flight_total", &v) == 0 && v >= 1,
	      "exchanges in flight at restarts: %g", v);
	CHECK(metric_value(r.body, "emulator_pending_delayed_exchanges", &v) == 0 && v == 0,
	      "pending after the restart: %g", v);
	CHECK(metric_value(r.body, "emulator_fault_error_responses_total{operation="
	                   "\"v2ListComponentVersions\",code=\"503\"}", &v) == 0 && v == 20,
	      "error statuses sent: %g", v);
	e2e_res_free(&r);
	/* The same accounting as JSON. */
	e2e_call(&d->http, "GET", "/debug/faults", NULL, NULL, NULL, 0, &r);
	CHECK(r.status == 200 && r.json, "/debug/faults: %d", r.status);
	json_t *ops = json_object_get(r.json, "operations");
	json_t *cv = json_object_get(json_object_get(ops, "v2ListComponentVersions"), "error");
	CHECK(json_integer_value(json_object_get(cv, "injected")) == 20 &&
	      json_integer_value(json_object_get(cv, "lost")) == 0 &&
	      json_integer_value(json_object_get(json_object_get(cv, "statuses"), "503")) == 20,
	      "/debug/faults error accounting: %s", r.body);
	json_t *rs = json_object_get(ops, "v2ListReleaseSources");
	CHECK(json_integer_value(json_object_get(rs, "restart_replies_lost")) == 1 &&
	      json_integer_value(json_object_get(json_object_get(rs, "latency"), "lost")) == 1,
	      "/debug/faults restart accounting: %s", r.body);
	CHECK(json_integer_value(json_object_get(json_object_get(r.json, "restart"), "count")) == 2,
	      "/debug/faults restarts: %s", r.body);
	CHECK(json_real_value(json_object_get(json_object_get(json_object_get(ops,
	      "v2ListSupportedOpenshiftVersions"), "latency"), "seconds")) >= 0.2,
	      "/debug/faults latency seconds: %s", r.body);
	e2e_res_free(&r);
	/* Leave one exchange waiting for its 30 s delay: the emulator must still
	 * shut down cleanly (the caller checks its exit status, ASan included). */
	req = sw_req_new("GET", API "/v2/release-sources");
	d->parked_answered = 0;
	CHECK(req && sw_client_request(d->http.client, NULL, req, on_parked, &d->parked_answered) == 0,
	      "park");
	e2e_sleep(&d->http, 300);
	e2e_call(&d->http, "GET", "/metrics", NULL, NULL, NULL, 0, &r);
	CHECK(metric_value(r.body, "emulator_pending_delayed_exchanges", &v) == 0 && v == 1,
	      "pending delayed exchanges: %g", v);
	e2e_res_free(&r);
	CHECK(!d->parked_answered, "the delayed exchange was answered early");
	logf_("faults: ok");
}

/* Runs |exe| |a1| |a2| with output discarded and returns its exit status. */
static int run_status(const char *exe, const char *a1, const char *a2)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(exe, exe, a1, a2, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- attach mode: the agents of a kube-api test -------------------------------------- */

static int open_client(struct drv *d, int port);
static void get_versions(struct drv *d);

/* base64url (padding optional) into |out|; returns the length or -1. */
static int b64url_decode(const char *in, size_t n, char *out, size_t outlen)
{
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)in[i], v;
		if (ch >= 'A' && ch <= 'Z')
			v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z')
			v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9')
			v = ch - '0' + 52;
		else if (ch == '-' || ch == '+')
			v = 62;
		else if (ch == '_' || ch == '/')
			v = 63;
		else if (ch == '=')
			break;
		else
			return -1;
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	out[o] = '\0';
	return (int)o;
}

/* The infra-env id and agent token of an ISO URL, as the original swarm
 * read them: /byid/<id>/... (no token) or /byapikey/<JWT>/... (the token;
 * the id is its infra_env_id claim). */
static void iso_identity(const char *url, struct cluster *c)
{
	const char *p = strstr(url, "/byid/");
	if (p) {
		p += strlen("/byid/");
		size_t n = strcspn(p, "/");
		CHECK(n == 36, "ISO URL %s: no infra-env id after /byid/", url);
		memcpy(c->ie_id, p, 36);
		c->ie_id[36] = '\0';
		return;
	}
	p = strstr(url, "/byapikey/");
	CHECK(p, "ISO URL %s: neither /byid/ nor /byapikey/", url);
	p += strlen("/byapikey/");
	size_t n = strcspn(p, "/");
	CHECK(n > 20 && n < sizeof(c->agent_token), "ISO URL %s: bad token", url);
	memcpy(c->agent_token, p, n);
	c->agent_token[n] = '\0';
	const char *dot1 = strchr(c->agent_token, '.');
	const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	CHECK(dot2, "ISO URL token is not a JWT");
	char claims[1024];
	CHECK(b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), claims, sizeof(claims)) > 0,
	      "JWT claims are not base64url");
	json_t *j = json_loads(claims, 0, NULL);
	const char *id = jstr(j, "infra_env_id");
	CHECK(strlen(id) == 36, "JWT without infra_env_id: %s", claims);
	snprintf(c->ie_id, sizeof(c->ie_id), "%s", id);
	json_decref(j);
}

static int run_attached(struct drv *d, int port, const char *iso_url, int masters,
                        char *const *hosts, int nhosts, int timeout_s)
{
	struct cluster *c = calloc(1, sizeof(*c));
	CHECK(c && nhosts > 0 && nhosts <= MAX_HOSTS, "1..%d hosts", MAX_HOSTS);
	c->d = d;
	c->masters = masters;
	c->workers = nhosts - masters;
	c->nhosts = nhosts;
	snprintf(c->name, sizeof(c->name), "attached");
	iso_identity(iso_url, c);
	for (int i = 0; i < nhosts; i++) {
		struct host *h = &c->hosts[i];
		char buf[256];
		snprintf(buf, sizeof(buf), "%s", hosts[i]);
		char *mac = strtok(buf, ","), *name = strtok(NULL, ","), *ip = strtok(NULL, ",");
		CHECK(mac && name && ip, "--host %s: expected MAC,HOSTNAME,IP", hosts[i]);
		h->c = c;
		h->idx = i;
		e2e_uuid(h->id);
		snprintf(h->mac, sizeof(h->mac), "%s", mac);
		snprintf(h->hostname, sizeof(h->hostname), "%s", name);
		snprintf(h->ip, sizeof(h->ip), "%s", ip);
	}
	CHECK(sscanf(c->hosts[0].ip, "10.%d.", &c->net_octet) == 1, "host IP %s is not 10.N.x.y",
	      c->hosts[0].ip);
	if (masters > 1) {
		snprintf(c->api_vip, sizeof(c->api_vip), "10.%d.255.253", c->net_octet);
		snprintf(c->ingress_vip, sizeof(c->ingress_vip), "10.%d.255.254", c->net_octet);
	}
	/* the router CA the controller uploads is a real certificate */
	char cdir[] = "/tmp/e2e-attach-XXXXXX", cpath[64], kpath[64];
	CHECK(mkdtemp(cdir), "mkdtemp");
	snprintf(cpath, sizeof(cpath), "%s/cert.pem", cdir);
	snprintf(kpath, sizeof(kpath), "%s/key.pem", cdir);
	CHECK(e2e_make_cert(cpath, kpath, &d->cert_pem) == 0, "certificate");
	unlink(cpath);
	unlink(kpath);
	rmdir(cdir);
	CHECK(open_client(d, port) == 0, "client");
	if (d->auth == AUTH_NONE)
		get_versions(d);
	else /* a user call, refused under local auth: the emulator's default image */
		snprintf(d->agent_image, sizeof(d->agent_image),
		         "quay.io/edge-infrastructure/assisted-installer-agent:latest");
	logf_("attached: infra-env %s, %d host(s)", c->ie_id, nhosts);
	for (int i = 0; i < nhosts; i++)
		register_host(&c->hosts[i]);
	CHECK(strlen(c->id) == 36, "the hosts are not bound to a cluster");
	logf_("attached: cluster %s", c->id);
	uint64_t deadline = sw_now_ns() + (uint64_t)timeout_s * 1000000000ull;
	int rounds = 0;
	for (;;) {
		CHECK(sw_now_ns() < deadline, "cluster %s not installed after %d rounds", c->id, rounds);
		rounds++;
		if (cluster_round(c))
			break;
		e2e_sleep(&d->http, 50);
	}
	logf_("attached: cluster %s %s after %d rounds", c->id, c->status, rounds);
	free(d->cert_pem);
	free(c);
	sw_client_free(&d->http.client);
	return 0;
}

/* ---- main ------------------------------------------------------------------------------ */

static int open_client(struct drv *d, int port)
{
	char url[64], err[256];
	snprintf(url, sizeof(url), "%s://127.0.0.1:%d", d->tls ? "https" : "http", port);
	struct sw_client_cfg cfg;
	sw_client_cfg_init(&cfg);
	cfg.url = url;
	cfg.proto = d->proto_h1 ? SW_PROTO_H1 : SW_PROTO_H2;
	cfg.ca_file = d->tls ? "e2e-cert.pem" : NULL;
	cfg.request_timeout_ms = 20000;
	cfg.max_retries = 3;
	d->http.client = sw_client_new(d->http.base, &cfg, err, sizeof(err));
	if (!d->http.client) {
		fprintf(stderr, "client: %s\n", err);
		return -1;
	}
	d->http.timeout_ms = 20000;
	return 0;
}

static void get_versions(struct drv *d)
{
	struct e2e_res r;
	int st = ucall(d, "GET", API "/v2/component-versions", NULL, &r);
	CHECK(st == 200 && r.json, "component-versions: %d %s", st, r.body);
	const char *img = jstr(json_object_get(r.json, "versions"), "discovery-agent");
	CHECK(*img, "no discovery-agent version");
	snprintf(d->agent_image, sizeof(d->agent_image), "%s", img);
	e2e_res_free(&r);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"proto", required_argument, NULL, 'p'}, {"tls", no_argument, NULL, 't'},
		{"auth", required_argument, NULL, 'a'}, {"record", required_argument, NULL, 'r'},
		{"no-faults", no_argument, NULL, 'n'}, {"verbose", no_argument, NULL, 'v'},
		{"attach", required_argument, NULL, 'A'}, {"iso-url", required_argument, NULL, 'I'},
		{"masters", required_argument, NULL, 'M'}, {"host", required_argument, NULL, 'H'},
		{"timeout", required_argument, NULL, 'T'},
		{NULL, 0, NULL, 0},
	};
	int attach_port = 0, masters = 1, nhosts = 0, timeout_s = 120;
	const char *iso_url = NULL;
	char *hosts[MAX_HOSTS];
	struct drv d;
	memset(&d, 0, sizeof(d));
	const char *record = NULL;
	int faults = 1;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': d.proto_h1 = strcmp(optarg, "h1") == 0; break;
		case 't': d.tls = 1; break;
		case 'a':
			d.auth = strcmp(optarg, "token") == 0 ? AUTH_TOKEN
			       : strcmp(optarg, "local") == 0 ? AUTH_LOCAL : AUTH_NONE;
			break;
		case 'r': record = optarg; break;
		case 'n': faults = 0; break;
		case 'v': verbose = 1; break;
		case 'A': attach_port = atoi(optarg); break;
		case 'I': iso_url = optarg; break;
		case 'M': masters = atoi(optarg); break;
		case 'T': timeout_s = atoi(optarg); break;
		case 'H':
			if (nhosts == MAX_HOSTS)
				return 2;
			hosts[nhosts++] = optarg;
			break;
		default: return 2;
		}
	}
	if (attach_port) {
		if (!iso_url || !nhosts || masters < 1 || masters > nhosts || timeout_s < 1) {
			fprintf(stderr, "usage: e2e_driver --attach PORT --iso-url URL --masters N --host MAC,HOSTNAME,IP...\n");
			return 2;
		}
		d.http.base = event_base_new();
		int rc = run_attached(&d, attach_port, iso_url, masters, hosts, nhosts, timeout_s);
		event_base_free(d.http.base);
		return rc;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: e2e_driver EMULATOR [options]\n");
		return 2;
	}
	char *emulator = realpath(argv[optind], NULL);
	CHECK(emulator, "emulator %s not found", argv[optind]);
	char dir[] = "/tmp/e2e-emu-XXXXXX";
	CHECK(mkdtemp(dir), "mkdtemp");
	CHECK(chdir(dir) == 0, "chdir");
	CHECK(e2e_make_cert("e2e-cert.pem", "e2e-key.pem", &d.cert_pem) == 0, "certificate");

	char *eargv[32];
	int n = 0;
	eargv[n++] = emulator;
	eargv[n++] = "--listen";
	eargv[n++] = "127.0.0.1:0";
	eargv[n++] = "--time-scale";
	eargv[n++] = "60";
	eargv[n++] = "--quiet";
	if (d.tls) {
		eargv[n++] = "--tls-cert";
		eargv[n++] = "e2e-cert.pem";
		eargv[n++] = "--tls-key";
		eargv[n++] = "e2e-key.pem";
	}
	if (d.auth == AUTH_TOKEN) {
		eargv[n++] = "--auth";
		eargv[n++] = "token";
		eargv[n++] = "--pull-secret-token";
		eargv[n++] = PS_TOKEN;
		eargv[n++] = "--user-token";
		eargv[n++] = USER_TOKEN;
	} else if (d.auth == AUTH_LOCAL) {
		eargv[n++] = "--auth";
		eargv[n++] = "local";
		eargv[n++] = "--local-allow-user-token";
		eargv[n++] = USER_TOKEN;
	}
	if (record) {
		eargv[n++] = "--record";
		eargv[n++] = (char *)record;
	}
	eargv[n] = NULL;

	/* usage errors exit with 2 and say why on stderr */
	CHECK(run_status(emulator, "--auth", "bogus") == 2, "bad --auth did not exit 2");
	CHECK(run_status(emulator, "--fault-error", "nosuchop:0.1:503") == 2, "bad fault spec");
	CHECK(run_status(emulator, "--version", NULL) == 0, "--version did not exit 0");

	d.http.base = event_base_new();
	struct e2e_child child = {0};
	running_child = &child;
	atexit(stop_child_at_exit);
	CHECK(e2e_child_start(eargv, &child) == 0, "start %s", emulator);
	logf_("emulator pid %d on port %d (%s%s, auth %s)", (int)child.pid, child.port,
	      d.proto_h1 ? "http/1.1" : "h2", d.tls ? "+tls" : "", d.auth == AUTH_LOCAL ? "local"
	      : d.auth == AUTH_TOKEN ? "token" : "none");
	CHECK(open_client(&d, child.port) == 0, "client");
	get_versions(&d);

	struct cluster *cl = calloc(3, sizeof(*cl));
	cluster_init(&d, &cl[0], "e2e-sno", 1, 0, 120);
	cluster_init(&d, &cl[1], "e2e-three", 3, 0, 121);
	cluster_init(&d, &cl[2], "e2e-five", 3, 2, 122);
	for (int i = 0; i < 3; i++)
		run_cluster(&d, &cl[i]);
	run_failures(&d);
	check_endpoints(&d);
	free(cl);
	sw_client_free(&d.http.client);
	int rc = e2e_child_stop(&child);
	CHECK(rc == 0, "emulator exit status %d (ASan/leaks or crash?)", rc);

	if (faults && !record) {
		char *fargv[] = {emulator, "--listen", "127.0.0.1:0", "--quiet", "--seed", "7",
		                 "--fault-error", "v2ListComponentVersions:1:503",
		                 "--fault-latency", "v2ListSupportedOpenshiftVersions:fixed:200ms",
		                 "--fault-latency", "v2ListReleaseSources:fixed:30s",
		                 "--fault-reset", "v2ListClusters:1", "--goaway-after", "7",
		                 "--restart-every", "1h",
		                 d.tls ? "--tls-cert" : NULL, "e2e-cert.pem", "--tls-key", "e2e-key.pem",
		                 NULL};
		enum auth_mode saved = d.auth;
		d.auth = AUTH_NONE;
		CHECK(e2e_child_start(fargv, &child) == 0, "start faulty emulator");
		CHECK(open_client(&d, child.port) == 0, "client");
		run_faults(&d);
		rc = e2e_child_stop(&child);
		sw_client_free(&d.http.client);
		CHECK(rc == 0, "faulty emulator exit status %d", rc);
		d.auth = saved;
	}
	event_base_free(d.http.base);
	free(d.cert_pem);
	free(emulator);
	unlink("e2e-cert.pem");
	unlink("e2e-key.pem");
	if (chdir("/") == 0)
		rmdir(dir);
	logf_("e2e: all good (%llu calls)", (unsigned long long)d.http.calls);
	return 0;
}
