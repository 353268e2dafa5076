#include "model_harness.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define BASE "/api/assisted-install/v2"
#define PULL_SECRET "{\\\"auths\\\":{\\\"cloud.openshift.com\\\":{\\\"auth\\\":\\\"dXNlcjpwYXNz\\\"}}}"

void mh_init(struct mh *h, const struct emu_model_cfg *cfg)
{
	memset(h, 0, sizeof(*h));
	if (cfg)
		h->cfg = *cfg;
	else
		emu_model_cfg_init(&h->cfg);
	h->m = emu_model_new(&h->cfg);
	assert_non_null(h->m);
	h->now_ns = 1000ULL * 1000000000ULL;
	h->wall = 1790000000;
}

void mh_free(struct mh *h)
{
	free(h->last_body);
	h->last_body = NULL;
	emu_model_free(&h->m);
	emu_model_free(&h->m); /* NULL-safe twice */
}

int mh_req_full(struct mh *h, const char *method, const char *path, const char *query,
                const char *body, size_t body_len, const char *ctype, const char *agent)
{
	struct emu_request r;
	struct emu_response resp;
	memset(&r, 0, sizeof(r));
	r.method = method;
	r.path = path;
	r.query = query ? query : "";
	r.body = body;
	r.body_len = body_len;
	r.content_type = ctype;
	r.agent_version_header = agent;
	r.is_agent = 1;
	r.now_ns = h->now_ns;
	r.wall_s = h->wall;
	if (h->on_request)
		h->on_request(h->hook_arg, &r);
	assert_int_equal(emu_model_handle(h->m, &r, &resp), 0);
	if (getenv("MH_BODIES") && resp.body) {
		/* Debug aid: keep one body per operation and status for schema checks. */
		char fn[512];
		snprintf(fn, sizeof(fn), "%s/%s_%d.json", getenv("MH_BODIES"), resp.operation,
		         resp.status);
		FILE *f = fopen(fn, "w");
		if (f) {
			fwrite(resp.body, 1, resp.body_len, f);
			fclose(f);
		}
	}
	free(h->last_body);
	h->last_body = resp.body;
	h->last_status = resp.status;
	if (resp.body)
		assert_int_equal(strlen(resp.body), resp.body_len);
	return resp.status;
}

int mh_req(struct mh *h, const char *method, const char *path, const char *query, const char *body)
{
	return mh_req_full(h, method, path, query, body, body ? strlen(body) : 0,
	                   body ? "application/json" : NULL, NULL);
}

json_t *mh_json(struct mh *h)
{
	if (!h->last_body)
		return NULL;
	return json_loads(h->last_body, JSON_DECODE_ANY, NULL);
}

void mh_create_cluster(struct mh *h, int cp, int umn)
{
	char body[1024], path[256];
	json_t *j;
	if (cp == 1)
		snprintf(body, sizeof(body),
		         "{\"name\":\"sno\",\"openshift_version\":\"4.22\",\"pull_secret\":\"%s\","
		         "\"base_dns_domain\":\"example.com\",\"control_plane_count\":1,"
		         "\"high_availability_mode\":\"None\",\"user_managed_networking\":true}",
		         PULL_SECRET);
	else if (umn)
		snprintf(body, sizeof(body),
		         "{\"name\":\"multi\",\"openshift_version\":\"4.22\",\"pull_secret\":\"%s\","
		         "\"base_dns_domain\":\"example.com\",\"control_plane_count\":%d,"
		         "\"user_managed_networking\":true,\"platform\":{\"type\":\"none\"}}",
		         PULL_SECRET, cp);
	else
		snprintf(body, sizeof(body),
		         "{\"name\":\"multi\",\"openshift_version\":\"4.22\",\"pull_secret\":\"%s\","
		         "\"base_dns_domain\":\"example.com\",\"control_plane_count\":%d,"
		         "\"api_vips\":[{\"ip\":\"10.123.255.253\"}],\"ingress_vips\":[{\"ip\":\"10.123.255.254\"}]}",
		         PULL_SECRET, cp);
	assert_int_equal(mh_req(h, "POST", BASE "/clusters", NULL, body), 201);
	j = mh_json(h);
	assert_non_null(j);
	snprintf(h->cluster_id, sizeof(h->cluster_id), "%s",
	         json_string_value(json_object_get(j, "id")));
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "Cluster");
	json_decref(j);
	snprintf(body, sizeof(body),
	         "{\"name\":\"ie\",\"pull_secret\":\"%s\",\"cluster_id\":\"%s\",\"openshift_version\":\"4.22\","
	         "\"image_type\":\"full-iso\"}",
	         PULL_SECRET, h->cluster_id);
	assert_int_equal(mh_req(h, "POST", BASE "/infra-envs", NULL, body), 201);
	j = mh_json(h);
	snprintf(h->infra_env_id, sizeof(h->infra_env_id), "%s",
	         json_string_value(json_object_get(j, "id")));
	json_decref(j);
	(void)path;
}

char *mh_inventory(const struct mh_host *hh)
{
	char *s = NULL;
	int i = hh->index + 1;
	int ni = hh->name_as ? hh->name_as : i;
	int ii = hh->ip_as ? hh->ip_as : i;
	int rc = asprintf(&s,
	         "{\"hostname\":\"swarm-h%d\","
	         "\"cpu\":{\"count\":%d,\"frequency\":2400,\"architecture\":\"x86_64\",\"model_name\":\"Intel Xeon\",\"flags\":[\"vmx\"]},"
	         "\"memory\":{\"physical_bytes\":%llu,\"usable_bytes\":%llu,\"physical_bytes_method\":\"dmidecode\"},"
	         "\"disks\":[{\"id\":\"/dev/disk/by-id/wwn-0x5000c500a00000%02d\",\"by_id\":\"/dev/disk/by-id/wwn-0x5000c500a00000%02d\","
	         "\"name\":\"sda\",\"path\":\"/dev/sda\",\"hctl\":\"0:0:0:0\",\"drive_type\":\"SSD\",\"size_bytes\":%llu,"
	         "\"bootable\":true,\"removable\":false,\"is_installation_media\":false,\"model\":\"Disk\",\"vendor\":\"ATA\","
	         "\"serial\":\"S1\",\"wwn\":\"0x5000c500a0000001\",\"installation_eligibility\":{\"eligible\":true,\"not_eligible_reasons\":[]}}],"
	         "\"interfaces\":[{\"name\":\"ens3\",\"type\":\"physical\",\"mac_address\":\"02:00:00:00:00:%02x\","
	         "\"ipv4_addresses\":[\"10.123.0.%d/16\"],\"ipv6_addresses\":[],\"flags\":[\"up\"],\"has_carrier\":true,\"mtu\":1500,"
	         "\"speed_mbps\":10000,\"vendor\":\"0x1af4\",\"product\":\"0x0001\"}],"
	         "\"routes\":[{\"interface\":\"ens3\",\"destination\":\"0.0.0.0\",\"gateway\":\"10.123.255.1\",\"family\":2,\"metric\":100},"
	         "{\"interface\":\"ens3\",\"destination\":\"10.123.0.0\",\"gateway\":\"\",\"family\":2,\"metric\":100}],"
	         "\"system_vendor\":{\"manufacturer\":\"Red Hat\",\"product_name\":\"KVM\",\"serial_number\":\"0001\",\"virtual\":true},"
	         "\"boot\":{\"current_boot_mode\":\"uefi\",\"secure_boot_state\":\"NotSupported\"},\"gpus\":[],\"tpm_version\":\"none\"}",
	         ni, hh->cores ? hh->cores : 16, (unsigned long long)(hh->ram ? hh->ram : 34359738368ULL),
	         (unsigned long long)(hh->ram ? hh->ram : 34359738368ULL) - 1073741824ULL, i, i,
	         (unsigned long long)(hh->disk ? hh->disk : 214748364800ULL), i, ii);
	assert_true(rc > 0);
	return s;
}

int mh_add_hosts(struct mh *h, int n)
{
	int first = h->nhosts;
	for (int k = 0; k < n; k++) {
		struct mh_host *hh = &h->hosts[h->nhosts];
		char path[256], body[256];
		assert_true(h->nhosts < MH_MAX_HOSTS);
		memset(hh, 0, sizeof(*hh));
		hh->index = h->nhosts;
		hh->send_timestamp = 1;
		hh->agent_version = "quay.io/edge-infrastructure/assisted-installer-agent:latest";
		snprintf(hh->id, sizeof(hh->id), "3b241e26-8cf5-4c0b-bd19-43fe1cf8bd%02x", hh->index);
		snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts", h->infra_env_id);
		snprintf(body, sizeof(body), "{\"host_id\":\"%s\",\"discovery_agent_version\":\"%s\"}",
		         hh->id, hh->agent_version);
		assert_int_equal(mh_req(h, "POST", path, NULL, body), 201);
		hh->next_poll_ns = h->now_ns;
		h->nhosts++;
	}
	return first;
}

static void post_reply(struct mh *h, struct mh_host *hh, const char *type, const char *sid,
                       int exit_code, const char *output)
{
	char path[256];
	json_t *r = json_pack("{s:s,s:s,s:s}", "step_type", type, "step_id", sid, "output",
	                      output ? output : "");
	if (exit_code)
		json_object_set_new(r, "exit_code", json_integer(exit_code));
	char *body = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts/%s/instructions", h->infra_env_id,
	         hh->id);
	int st = mh_req_full(h, "POST", path, NULL, body, strlen(body), "application/json",
	                     hh->agent_version);
	free(body);
	if (st != 204)
		fail_msg("step reply %s -> %d %s", type, st, h->last_body ? h->last_body : "");
}

static char *reply_connectivity(const char *arg)
{
	json_t *in = json_loads(arg, 0, NULL), *rh = json_array(), *e;
	size_t i;
	json_array_foreach(in, i, e) {
		json_t *l2 = json_array(), *l3 = json_array(), *nic;
		size_t j;
		json_array_foreach(json_object_get(e, "nics"), j, nic) {
			json_t *ip;
			size_t k;
			json_array_foreach(json_object_get(nic, "ip_addresses"), k, ip) {
				json_array_append_new(l2, json_pack("{s:s,s:O,s:O,s:b}", "outgoing_nic", "ens3",
				                                    "remote_ip_address", ip, "remote_mac",
				                                    json_object_get(nic, "mac"), "successful", 1));
				json_array_append_new(l3, json_pack("{s:O,s:b}", "remote_ip_address", ip,
				                                    "successful", 1));
			}
		}
		json_array_append_new(rh, json_pack("{s:O,s:o,s:o,s:[]}", "host_id",
		                                    json_object_get(e, "host_id"), "l2_connectivity", l2,
		                                    "l3_connectivity", l3, "mtu_report"));
	}
	json_decref(in);
	json_t *out = json_pack("{s:o}", "remote_hosts", rh);
	char *s = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	return s;
}

static char *reply_dns(const char *arg)
{
	json_t *in = json_loads(arg, 0, NULL), *res = json_array(), *e;
	size_t i;
	json_array_foreach(json_object_get(in, "domains"), i, e) {
		const char *d = json_string_value(json_object_get(e, "domain_name"));
		int wildcard = strncmp(d, "validateNoWildcardDNS", 21) == 0;
		json_array_append_new(res, json_pack("{s:s,s:[s*],s:[],s:[]}", "domain_name", d,
		                                     "ipv4_addresses",
		                                     wildcard ? NULL : "10.123.255.250",
		                                     "ipv6_addresses", "cnames"));
	}
	json_decref(in);
	json_t *out = json_pack("{s:o}", "resolutions", res);
	char *s = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	return s;
}

static char *reply_vips(const char *arg)
{
	json_t *in = json_loads(arg, 0, NULL), *e;
	size_t i;
	json_array_foreach(in, i, e)
		json_object_set_new(e, "verification", json_string("succeeded"));
	char *s = json_dumps(in, JSON_COMPACT);
	json_decref(in);
	return s;
}

static char *reply_images(const char *arg)
{
	json_t *in = json_loads(arg, 0, NULL), *imgs = json_array(), *e;
	size_t i;
	json_array_foreach(json_object_get(in, "images"), i, e)
		json_array_append_new(imgs, json_pack("{s:O,s:s,s:I,s:i,s:i}", "name", e, "result",
		                                      "success", "size_bytes", (json_int_t)400000000,
		                                      "time", 10, "download_rate", 100));
	json_decref(in);
	json_t *out = json_pack("{s:o}", "images", imgs);
	char *s = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	return s;
}

static void answer_step(struct mh *h, struct mh_host *hh, json_t *step)
{
	const char *type = json_string_value(json_object_get(step, "step_type"));
	const char *sid = json_string_value(json_object_get(step, "step_id"));
	const char *arg = json_string_value(json_array_get(json_object_get(step, "args"), 0));
	char *out = NULL;
	assert_non_null(type);
	assert_non_null(sid);
	assert_int_equal(strncmp(sid, type, strlen(type)), 0);
	assert_int_equal(strlen(sid), strlen(type) + 9);
	if (strcmp(type, "inventory") == 0) {
		assert_string_equal(arg, hh->id);
		out = mh_inventory(hh);
	} else if (strcmp(type, "connectivity-check") == 0) {
		out = reply_connectivity(arg);
	} else if (strcmp(type, "ntp-synchronizer") == 0) {
		out = strdup("{\"ntp_sources\":[{\"source_name\":\"clock.example\",\"source_state\":\"synced\"}]}");
	} else if (strcmp(type, "domain-resolution") == 0) {
		out = reply_dns(arg);
	} else if (strcmp(type, "verify-vips") == 0) {
		out = reply_vips(arg);
	} else if (strcmp(type, "free-network-addresses") == 0) {
		out = strdup("[{\"network\":\"10.123.0.0/22\",\"free_addresses\":[\"10.123.0.200\"]}]");
	} else if (strcmp(type, "installation-disk-speed-check") == 0) {
		json_t *a = json_loads(arg, 0, NULL);
		json_t *o = json_pack("{s:i,s:O}", "io_sync_duration", 1, "path", json_object_get(a, "path"));
		out = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		json_decref(a);
	} else if (strcmp(type, "container-image-availability") == 0) {
		out = reply_images(arg);
	} else if (strcmp(type, "install") == 0) {
		json_t *a = json_loads(arg, 0, NULL);
		assert_non_null(a);
		if (!hh->install_started) {
			const char *role = json_string_value(json_object_get(a, "role"));
			assert_non_null(role);
			hh->role = strcmp(role, "bootstrap") == 0 ? "bootstrap"
			           : strcmp(role, "master") == 0 ? "master" : "worker";
			hh->install_started = 1;
		}
		json_decref(a);
	} else if (strcmp(type, "upgrade-agent") == 0) {
		out = strdup("{\"agent_image\":\"x\",\"result\":\"success\"}");
	}
	post_reply(h, hh, type, sid, 0, out);
	free(out);
}

static void poll_host(struct mh *h, struct mh_host *hh)
{
	char path[256], q[64];
	json_t *j, *e;
	size_t i;
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts/%s/instructions", h->infra_env_id,
	         hh->id);
	if (hh->send_timestamp)
		snprintf(q, sizeof(q), "timestamp=%lld", (long long)h->wall);
	else
		q[0] = '\0';
	assert_int_equal(mh_req_full(h, "GET", path, q, NULL, 0, NULL, hh->agent_version), 200);
	h->polls++;
	j = mh_json(h);
	assert_non_null(j);
	json_t *n = json_object_get(j, "next_instruction_seconds");
	assert_true(json_is_integer(n));
	assert_string_equal(json_string_value(json_object_get(j, "post_step_action")), "continue");
	hh->next_poll_ns = h->now_ns + (uint64_t)json_integer_value(n) * 1000000000ULL;
	json_array_foreach(json_object_get(j, "instructions"), i, e)
		answer_step(h, hh, e);
	json_decref(j);
}

static enum as_stage_role role_of(struct mh *h, const struct mh_host *hh)
{
	if (strcmp(hh->role, "bootstrap") == 0)
		return h->nhosts == 1 ? AS_ROLE_SNO : AS_ROLE_BOOTSTRAP;
	return strcmp(hh->role, "master") == 0 ? AS_ROLE_MASTER : AS_ROLE_WORKER;
}

static int bootstrap_rebooted(struct mh *h)
{
	for (int i = 0; i < h->nhosts; i++) {
		struct mh_host *o = &h->hosts[i];
		if (o->install_started && strcmp(o->role, "bootstrap") == 0) {
			size_t n;
			const enum as_stage *st = as_stage_order(role_of(h, o), &n);
			for (int k = 0; k < o->stage_pos && (size_t)k < n; k++)
				if (st[k] == AS_STAGE_REBOOTING)
					return 1;
		}
	}
	return 0;
}

/* Installer before Rebooting, controller (Joined, Done) after the bootstrap rebooted. */
static void installer_step(struct mh *h, struct mh_host *hh)
{
	char path[256], body[256];
	size_t n;
	const enum as_stage *st = as_stage_order(role_of(h, hh), &n);
	if ((size_t)hh->stage_pos >= n)
		return;
	enum as_stage next = st[hh->stage_pos];
	int after_reboot = 0;
	for (int k = 0; k < hh->stage_pos; k++)
		if (st[k] == AS_STAGE_REBOOTING)
			after_reboot = 1;
	if (after_reboot && !bootstrap_rebooted(h))
		return;
	if (next == AS_STAGE_CONFIGURING || next == AS_STAGE_WAITING_FOR_IGNITION) {
		/* The dry run never reports these (protocol/README.md §6.5). */
		hh->stage_pos++;
		return;
	}
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts/%s/progress", h->infra_env_id, hh->id);
	snprintf(body, sizeof(body), "{\"current_stage\":\"%s\",\"progress_info\":\"\"}",
	         as_stage_name(next));
	int rc = mh_req(h, "PUT", path, NULL, body);
	if (rc != 200)
		fail_msg("progress %s -> %d %s", as_stage_name(next), rc, h->last_body);
	if (next == AS_STAGE_REBOOTING)
		hh->silent = 1; /* the host "reboots": the agent stops */
	if (next == AS_STAGE_DONE)
		hh->done = 1;
	hh->stage_pos++;
}

static void controller_step(struct mh *h)
{
	char path[256];
	static const char *const stages[] = {"Waiting for cluster operators", "Adding router ca",
	                                     "Waiting for olm operators csv initialization"};
	if (strcmp(mh_cluster_status(h), "finalizing") != 0 || h->completed)
		return;
	snprintf(path, sizeof(path), BASE "/clusters/%s/progress", h->cluster_id);
	if (h->fin_stage < 3) {
		char body[128];
		snprintf(body, sizeof(body), "{\"finalizing_stage\":\"%s\"}", stages[h->fin_stage]);
		assert_int_equal(mh_req(h, "PUT", path, NULL, body), 200);
		h->fin_stage++;
		return;
	}
	if (!h->ingress_done) {
		snprintf(path, sizeof(path), BASE "/clusters/%s/monitored-operators", h->cluster_id);
		assert_int_equal(mh_req(h, "GET", path, NULL, NULL), 200);
		json_t *ops = mh_json(h), *op;
		size_t i;
		json_array_foreach(ops, i, op) {
			char body[256];
			snprintf(body, sizeof(body),
			         "{\"name\":\"%s\",\"version\":\"\",\"status\":\"available\",\"status_info\":\"All is well\"}",
			         json_string_value(json_object_get(op, "name")));
			assert_int_equal(mh_req(h, "PUT", path, NULL, body), 200);
		}
		json_decref(ops);
		char *pem = mh_pem();
		json_t *js = json_string(pem);
		char *body = json_dumps(js, JSON_ENCODE_ANY);
		snprintf(path, sizeof(path), BASE "/clusters/%s/uploads/ingress-cert", h->cluster_id);
		assert_int_equal(mh_req(h, "POST", path, NULL, body), 201);
		free(body);
		json_decref(js);
		free(pem);
		h->ingress_done = 1;
		return;
	}
	assert_int_equal(mh_req(h, "PUT", path, NULL, "{\"finalizing_stage\":\"Done\"}"), 200);
	snprintf(path, sizeof(path), BASE "/clusters/%s/actions/complete-installation", h->cluster_id);
	assert_int_equal(mh_req(h, "POST", path, NULL, "{\"is_success\":true}"), 202);
	h->completed = 1;
}

void mh_step(struct mh *h, double s)
{
	h->now_ns += (uint64_t)(s * 1e9);
	h->wall += (int64_t)s;
	if (h->on_monitor)
		h->on_monitor(h->hook_arg, h->now_ns, h->wall);
	emu_model_monitor(h->m, h->now_ns, h->wall);
	for (int i = 0; i < h->nhosts; i++) {
		struct mh_host *hh = &h->hosts[i];
		if (!hh->silent && h->now_ns >= hh->next_poll_ns)
			poll_host(h, hh);
	}
	for (int i = 0; i < h->nhosts; i++) {
		struct mh_host *hh = &h->hosts[i];
		if (hh->install_started && !hh->done &&
		    (strcmp(mh_host_status(h, i), "installing") == 0 ||
		     strcmp(mh_host_status(h, i), "installing-in-progress") == 0))
			installer_step(h, hh);
	}
	controller_step(h);
}

const char *mh_cluster_status(struct mh *h)
{
	static char buf[64];
	char path[256];
	snprintf(path, sizeof(path), BASE "/clusters/%s", h->cluster_id);
	assert_int_equal(mh_req(h, "GET", path, "exclude-hosts=true", NULL), 200);
	json_t *j = mh_json(h);
	snprintf(buf, sizeof(buf), "%s", json_string_value(json_object_get(j, "status")));
	json_decref(j);
	return buf;
}

const char *mh_host_status(struct mh *h, int i)
{
	static char buf[64];
	char path[256];
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts/%s", h->infra_env_id, h->hosts[i].id);
	assert_int_equal(mh_req(h, "GET", path, NULL, NULL), 200);
	json_t *j = mh_json(h);
	snprintf(buf, sizeof(buf), "%s", json_string_value(json_object_get(j, "status")));
	json_decref(j);
	return buf;
}

char *mh_pem(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIO *bio = BIO_new(BIO_s_mem());
	char *out = NULL, *data;
	long len;
	assert_non_null(key);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                           (const unsigned char *)"ingress-ca", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	PEM_write_bio_X509(bio, x);
	len = BIO_get_mem_data(bio, &data);
	out = strndup(data, (size_t)len);
	BIO_free(bio);
	X509_free(x);
	EVP_PKEY_free(key);
	return out;
}

struct mh_buf {
	unsigned char *p;
	size_t len, cap;
};

static int mh_buf_write(void *arg, const void *p, size_t n)
{
	struct mh_buf *b = arg;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		while (cap < b->len + n)
			cap *= 2;
		unsigned char *q = realloc(b->p, cap);
		assert_non_null(q);
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

unsigned char *mh_snapshot(const struct emu_model *m, size_t *len)
{
	struct mh_buf b = {0};
	assert_int_equal(emu_model_snapshot(m, mh_buf_write, &b), 0);
	*len = b.len;
	return b.p;
}
