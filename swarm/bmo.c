/*
 * bmo: the emulated BareMetal Operator, one state machine per
 * BareMetalHost, driven by the shard's BMH and PreprovisioningImage watch
 * events and its own pauses (the plan's timings, scaled), writing through
 * the status subresource with a resourceVersion precondition (a conflict
 * reads the object again and re-applies):
 *
 *   created -> its finalizer -> registering -> (inspecting) -> available
 *     -> provisioning -> provisioned [-> deprovisioning on deletion]
 *
 * The swarm creates its BMHs with the finalizer already on (kube_objs.c);
 * it is written here only when a host lacks it.
 *
 * Inspection is skipped when inspect.metal3.io is "disabled" (what BMAC
 * sets in the non-converged flow); otherwise it needs the host's
 * PreprovisioningImage, which the operator creates (owned by the BMH, with
 * its labels) and whose ImageReady the hub's PreprovisioningImage
 * controller sets (the converged flow). Provisioning starts once the host
 * is online with spec.image.url set (non-converged: BMAC's live ISO) or
 * spec.customDeploy.method set (converged: start_assisted_install, booting
 * the PreprovisioningImage's image): the flow is what the hub asks for,
 * never configured. The emulated host then boots that ISO: its agent takes
 * the infra-env id from /byid/<id>/ (or the infra_env_id claim of the
 * token in /byapikey/<JWT>/, which under local auth also becomes its
 * X-Secret-Key), as the original read it from the URL, and registers with
 * the MAC its BMH boots from.
 *
 * Detached hosts (baremetalhost.metal3.io/detached) are left alone but for
 * operationalStatus "detached"; paused ones entirely. On deletion a host
 * that was provisioned goes through deprovisioning (a pause) before the
 * operator's finalizer goes; detached hosts and hosts never provisioned
 * lose it at once. status.hardware comes with inspection, or, when
 * inspection is disabled, once BMAC gave inspect.metal3.io/hardwaredetails
 * (both describe the emulated host's hardware, as its agent reports it);
 * the "preparing" state of a real operator (a no-op with automated
 * cleaning disabled, which BMAC sets) is not written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "b64.h"
#include "inventory.h"
#include "kube_int.h"
#include "sw_err.h"
#include "sw_http.h"
#include "sw_xalloc.h"

#define A_INSPECT "inspect.metal3.io"
#define A_HWDETAILS "inspect.metal3.io/hardwaredetails"
#define A_DETACHED "baremetalhost.metal3.io/detached"
#define A_PAUSED "baremetalhost.metal3.io/paused"
#define F_BMAC "bmac.agent-install.openshift.io/deprovision"
#define BMO_MAX_FAILURES 10
#define BMO_RETRY_MS 1000u       /* first retry of a failed write (real time, doubled) */

static struct bmo_host *hst(struct swarm_cluster *cl, unsigned j)
{
	return &kd_of(cl)->hosts[j];
}

void bmo_set_state(struct swarm_cluster *cl, unsigned j, enum kstats_bmh_state st)
{
	struct bmo_host *h = hst(cl, j);
	int64_t *g = cl->rt->stats->kube.bmh_by_state;
	if (h->state == st)
		return;
	if (h->flags & (BF_EXISTS | BF_GONE)) {
		g[h->state]--;
		g[st]++;
	}
	h->state = (uint8_t)st;
}

static void reconcile(struct swarm_cluster *cl, unsigned j);

static void on_timer(evutil_socket_t fd, short what, void *arg);

void bmo_init(struct swarm_cluster *cl, unsigned j)
{
	struct bmo_host *h = hst(cl, j);
	h->state = KB_NONE;
	h->flags = BF_WAITED;
	/* the agent's struct carries (cluster, index) for the callback */
	rt_timer_assign(cl->rt, &h->ev, on_timer, &cl->hosts[j]);
}

void bmo_release(struct swarm_cluster *cl, unsigned j)
{
	struct bmo_host *h = hst(cl, j);

	event_del(&h->ev);
	if (h->flags & (BF_EXISTS | BF_GONE))
		cl->rt->stats->kube.bmh_by_state[h->state]--;
	h->flags &= ~(uint32_t)(BF_EXISTS | BF_GONE);
}

/* ---- reading the objects ---- */

static const json_t *jget(const json_t *o, const char *a, const char *b)
{
	const json_t *x = json_object_get(o, a);
	return b ? json_object_get(x, b) : x;
}

static int parse_mac(const char *s, uint8_t out[6])
{
	unsigned v[6];
	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6 ||
	    strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++)
		out[i] = (uint8_t)v[i];
	return 0;
}

static void parse_uid(const char *s, uint8_t out[16])
{
	unsigned n = 0;
	for (; s && *s && n < 32; s++) {
		int v = sw_hexval((unsigned char)*s);
		if (v < 0)
			continue;
		out[n / 2] = (uint8_t)((n & 1) ? (out[n / 2] | v) : (v << 4));
		n++;
	}
}

static void uid_str(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
	         u[13], u[14], u[15]);
}

static void set_flag(struct bmo_host *h, uint32_t f, int on)
{
	if (on)
		h->flags |= f;
	else
		h->flags &= ~f;
}

/* Updates what the operator knows of host |j| from its BMH |obj|. */
static void parse_bmh(struct swarm_cluster *cl, unsigned j, const json_t *obj)
{
	struct bmo_host *h = hst(cl, j);
	const json_t *md = json_object_get(obj, "metadata"), *ann = json_object_get(md, "annotations");
	const json_t *spec = json_object_get(obj, "spec"), *f;
	const char *s, *url;
	size_t i;
	uint64_t rv = kube_obj_rv(obj);
	/* answers and events cross: an older version than one seen says nothing */
	if (rv && rv < h->rv)
		return;
	if (rv > h->rv)
		h->rv = rv;
	s = json_string_value(json_object_get(md, "uid"));
	if (s)
		parse_uid(s, h->uid);
	h->flags &= ~(uint32_t)(BF_OUR_FIN | BF_BMAC_FIN | BF_OTHER_FIN);
	json_array_foreach(json_object_get(md, "finalizers"), i, f) {
		s = json_string_value(f);
		if (s && !strcmp(s, KOBJ_BMO_FINALIZER))
			h->flags |= BF_OUR_FIN;
		else if (s && !strcmp(s, F_BMAC))
			h->flags |= BF_BMAC_FIN;
		else
			h->flags |= BF_OTHER_FIN;
	}
	s = json_string_value(json_object_get(ann, A_INSPECT));
	set_flag(h, BF_INSPECT_OFF, s && !strcmp(s, "disabled"));
	set_flag(h, BF_DETACHED, json_object_get(ann, A_DETACHED) != NULL);
	set_flag(h, BF_PAUSED, json_object_get(ann, A_PAUSED) != NULL);
	set_flag(h, BF_HWDETAILS, json_object_get(ann, A_HWDETAILS) != NULL);
	set_flag(h, BF_DELETING, json_object_get(md, "deletionTimestamp") != NULL);
	set_flag(h, BF_ONLINE, json_is_true(json_object_get(spec, "online")));
	url = json_string_value(jget(spec, "image", "url"));
	set_flag(h, BF_IMAGE, url && *url);

	s = json_string_value(jget(spec, "customDeploy", "method"));
	set_flag(h, BF_CUSTOM, s && *s);
	parse_mac(json_string_value(json_object_get(spec, "bootMACAddress")), h->mac);
	if (url && *url) {
		const char *why = bmo_take_iso_url(cl, url);
		if (why)
			rt_log(cl->rt, 0, "%s host %u: spec.image.url: %s", cl->name, j, why);
	}
}

void bmo_created(struct swarm_cluster *cl, unsigned j, const json_t *obj)
{
	struct bmo_host *h = hst(cl, j);
	if (!(h->flags & (BF_EXISTS | BF_GONE))) {
		h->flags |= BF_EXISTS;
		cl->rt->stats->kube.bmh_by_state[h->state]++;
	}
	if (obj)
		parse_bmh(cl, j, obj);
	reconcile(cl, j);
}

void bmo_on_bmh(struct swarm_cluster *cl, unsigned j, enum kube_watch_type type, const json_t *obj)
{
	struct bmo_host *h = hst(cl, j);
	uint64_t rv = obj ? kube_obj_rv(obj) : 0;
	if (type == KUBE_WATCH_DELETED) {
		if (h->flags & BF_GONE)
			return;
		event_del(&h->ev);
		bmo_set_state(cl, j, KB_DELETED);
		h->flags = (h->flags & ~(uint32_t)BF_EXISTS) | BF_GONE;
		return;
	}
	if (h->flags & BF_GONE)
		return;
	if (rv && rv < h->rv)
		return; /* an older version than one already seen */
	if (!(h->flags & BF_EXISTS)) {
		/* the watch can bring it before the create's answer */
		h->flags |= BF_EXISTS;
		cl->rt->stats->kube.bmh_by_state[h->state]++;
	}
	parse_bmh(cl, j, obj);
	reconcile(cl, j);
}

void bmo_on_ppi(struct swarm_cluster *cl, unsigned j, enum kube_watch_type type, const json_t *obj)
{
	struct bmo_host *h = hst(cl, j);
	const json_t *c;
	const char *url = json_string_value(jget(obj, "status", "imageUrl")), *ready = NULL;
	size_t i;
	if (type == KUBE_WATCH_DELETED) {
		h->flags &= ~(uint32_t)(BF_PPI | BF_PPI_READY);
		return;
	}
	h->flags |= BF_PPI;
	json_array_foreach(jget(obj, "status", "conditions"), i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));
		if (t && !strcmp(t, "ImageReady"))
			ready = json_string_value(json_object_get(c, "status"));
	}
	set_flag(h, BF_PPI_READY, ready && !strcmp(ready, "True") && url && *url);
	if (h->flags & BF_PPI_READY) {
		const char *why = bmo_take_iso_url(cl, url);
		if (why)
			rt_log(cl->rt, 0, "%s host %u: PreprovisioningImage imageUrl: %s", cl->name, j, why);
	}
	reconcile(cl, j);
}

/* ---- the ISO URL ---- */

const char *bmo_take_iso_url(struct swarm_cluster *cl, const char *url)
{
	const char *p, *dot1, *dot2, *iid, *why;
	char id[IDS_UUID_LEN], *claims;
	json_t *j;
	size_t n;
	if ((p = strstr(url, "/byid/")) != NULL) {
		p += strlen("/byid/");
		n = strcspn(p, "/?");
		if (n != 36)
			return "no infra-env id after /byid/";
		memcpy(id, p, 36);
		id[36] = '\0';
	} else if ((p = strstr(url, "/byapikey/")) != NULL) {
		p += strlen("/byapikey/");
		n = strcspn(p, "/?");
		/* the id is the token's infra_env_id claim (the payload, base64url) */
		dot1 = memchr(p, '.', n);
		dot2 = dot1 ? memchr(dot1 + 1, '.', n - (size_t)(dot1 + 1 - p)) : NULL;
		claims = dot2 ? b64_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), 1, NULL) : NULL;
		j = claims ? json_loads(claims, 0, NULL) : NULL;
		free(claims);
		iid = json_string_value(json_object_get(j, "infra_env_id"));
		if (!iid || strlen(iid) != 36) {
			json_decref(j);
			return "the /byapikey/ token has no infra_env_id claim";
		}
		snprintf(id, sizeof(id), "%s", iid);
		json_decref(j);
		/* local auth: that token is what the agents send */
		if (cl->rt->svc && cl->rt->svc->auth == SWARM_AUTH_LOCAL &&
		    (why = cluster_take_agent_key(cl, url)) != NULL)
			return why;
	} else {
		return "neither /byid/<id>/ nor /byapikey/<token>/ in it";
	}
	if (cl->infra_env_id[0] && strcmp(cl->infra_env_id, id))
		rt_log(cl->rt, 0, "%s: the ISO URL names infra-env %s, not %s: using it", cl->name, id,
		       cl->infra_env_id);
	snprintf(cl->infra_env_id, sizeof(cl->infra_env_id), "%s", id);
	if (!kd_of(cl)->iso_url || strcmp(kd_of(cl)->iso_url, url)) {
		free(kd_of(cl)->iso_url);
		kd_of(cl)->iso_url = xstrdup(url);
	}
	return NULL;
}

/* ---- writing ---- */

static void iso_time(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* status.hardware: the emulated host's hardware, as its agent reports it
 * (inventory.c) and BMAC would copy it. */
static json_t *hardware(struct swarm_cluster *cl, unsigned j)
{
	char host[96], mac[IDS_MAC_LEN], ip[IDS_IP_LEN], serial[16], disk[24];
	unsigned ser = (unsigned)(cluster_host_serial(cl, j) & 0xffffffffu);
	ids_hostname(cl->name, j, host, sizeof(host));
	cluster_host_mac(cl, j, mac);
	ids_host_ip(&cl->net, j, ip);
	snprintf(serial, sizeof(serial), "%08x", ser);
	snprintf(disk, sizeof(disk), "S3Z%08X", ser);
	return json_pack("{s:{s:s,s:s,s:i,s:i},s:{s:{s:s,s:s,s:s}},s:s,"
	                 "s:[{s:s,s:s,s:s,s:i,s:s}],s:i,"
	                 "s:[{s:s,s:I,s:b,s:s,s:s,s:s,s:s}],s:{s:s,s:s,s:s}}",
	                 "cpu", "arch", cl->rt->plan && cl->rt->plan->cpu_architecture ?
	                 cl->rt->plan->cpu_architecture : "x86_64",
	                 "model", "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz", "clockMegahertz", 2400,
	                 "count", 16,
	                 "firmware", "bios", "date", "04/01/2014", "vendor", "SeaBIOS", "version", "1.16.0",
	                 "hostname", host,
	                 "nics", "name", INVENTORY_IFACE, "mac", mac, "ip", ip, "speedGbps", 10,
	                 "model", "0x1af4 0x0001",
	                 "ramMebibytes", 32768,
	                 "storage", "name", "/dev/sda", "sizeBytes", (json_int_t)214748364800ll,
	                 "rotational", 0, "type", "SSD", "model", "SSD 860 EVO", "vendor", "ATA",
	                 "serialNumber", disk,
	                 "systemVendor", "manufacturer", "Red Hat", "productName", "KVM",
	                 "serialNumber", serial);
}

static void on_written(struct swarm_cluster *cl, int host, const struct kube_result *r);

/* The status patch moving host |j| to |target| (what the host looks like in it). */
static json_t *status_patch(struct swarm_cluster *cl, unsigned j, enum kstats_bmh_state target,
                            int op_detached)
{
	struct bmo_host *h = hst(cl, j);
	char now[32], cred[140], id[IDS_UUID_LEN];
	json_t *st, *prov, *hist = json_object();
	int powered = target == KB_INSPECTING || target == KB_PROVISIONING || target == KB_PROVISIONED ||
	              target == KB_DEPROVISIONING;
	iso_time(now, sizeof(now));
	snprintf(cred, sizeof(cred), "%s-%u-bmh", cl->name, j);
	/* the ironic node's id: one per host, deterministic */
	ids_uuid(cl->id_seed, 0x69726f6e69630000ull + j, id);
	prov = json_pack("{s:s,s:s,s:s}", "ID", id, "state", kstats_bmh_state_name(target),
	                 "bootMode", "UEFI");
	if (target == KB_PROVISIONING || target == KB_PROVISIONED) {
		if (h->flags & BF_VIA_CUSTOM)
			json_object_set_new(prov, "customDeploy",
			                    json_pack("{s:s}", "method", "start_assisted_install"));
		else
			json_object_set_new(prov, "image", json_pack("{s:s,s:s}", "url",
			                                             kd_of(cl)->iso_url ? kd_of(cl)->iso_url : "",
			                                             "format", "live-iso"));
	}
	switch (target) {
	case KB_REGISTERING:
		json_object_set_new(hist, "register", json_pack("{s:s}", "start", now));
		break;
	case KB_INSPECTING:
		json_object_set_new(hist, "register", json_pack("{s:s}", "end", now));
		json_object_set_new(hist, "inspect", json_pack("{s:s}", "start", now));
		break;
	case KB_AVAILABLE:
		json_object_set_new(hist, h->state == KB_INSPECTING ? "inspect" : "register",
		                    json_pack("{s:s}", "end", now));
		break;
	case KB_PROVISIONING:
		json_object_set_new(hist, "provision", json_pack("{s:s}", "start", now));
		break;
	case KB_PROVISIONED:
		json_object_set_new(hist, "provision", json_pack("{s:s}", "end", now));
		break;
	case KB_DEPROVISIONING:
		json_object_set_new(hist, "deprovision", json_pack("{s:s}", "start", now));
		break;
	default:
		break;
	}
	st = json_pack("{s:i,s:s,s:{s:{s:s,s:s},s:s},s:s,s:s,s:s,s:b,s:o,s:i,s:o}",
	               "errorCount", 0, "errorMessage", "",
	               "goodCredentials", "credentials", "name", cred, "namespace", cl->name,
	               "credentialsVersion", "1",
	               "hardwareProfile", "unknown", "lastUpdated", now,
	               "operationalStatus", op_detached ? "detached" : "OK",
	               "poweredOn", powered, "provisioning", prov, "provisioningFailCount", 0,
	               "operationHistory", hist);
	if (!st)
		x_oom(0);
	/* hardware: with inspection, or from BMAC's annotation when it was disabled */
	if (!(h->flags & BF_HW_WRITTEN) &&
	    (target == KB_AVAILABLE ? h->state == KB_INSPECTING : (h->flags & BF_HWDETAILS) != 0))
		json_object_set_new(st, "hardware", hardware(cl, j));
	return json_pack("{s:o}", "status", st);
}

static int op_detached_target(struct bmo_host *h)
{
	return (h->flags & BF_DETACHED) != 0;
}

static json_t *apply_status(struct swarm_cluster *cl, int host, const json_t *cur)
{
	unsigned j = (unsigned)host;
	struct bmo_host *h = hst(cl, j);
	enum kstats_bmh_state target = (enum kstats_bmh_state)h->busy - 1;
	if (cur) {
		/* a conflict: the object as it is now decides */
		const char *now = json_string_value(jget(jget(cur, "status", "provisioning"), "state", NULL));
		const char *op = json_string_value(jget(cur, "status", "operationalStatus"));
		parse_bmh(cl, j, cur);
		if ((h->flags & BF_DELETING) && target != KB_DEPROVISIONING)
			return NULL;
		if (now && !strcmp(now, kstats_bmh_state_name(target)) &&
		    (op && !strcmp(op, "detached")) == op_detached_target(h)) {
			h->flags |= BF_ALREADY;
			return NULL; /* already so: an earlier attempt landed */
		}
	}
	return status_patch(cl, j, target, op_detached_target(h));
}

static json_t *apply_finalizer(struct swarm_cluster *cl, int host, const json_t *cur)
{
	unsigned j = (unsigned)host;
	struct bmo_host *h = hst(cl, j);
	int add = h->busy == 100;
	json_t *list = json_array(), *f;
	size_t i;
	if (cur) {
		parse_bmh(cl, j, cur);
		if (add && (h->flags & BF_DELETING))
			return NULL; /* no new finalizer on a deleting object */
		if (!!(h->flags & BF_OUR_FIN) == add) {
			json_decref(list);
			return NULL;
		}
		json_array_foreach(jget(cur, "metadata", "finalizers"), i, f)
			if (!json_string_value(f) || strcmp(json_string_value(f), KOBJ_BMO_FINALIZER))
				json_array_append(list, f);
	} else if (h->flags & BF_BMAC_FIN) {
		json_array_append_new(list, json_string(F_BMAC));
	}
	if (add)
		json_array_append_new(list, json_string(KOBJ_BMO_FINALIZER));
	return json_pack("{s:{s:o}}", "metadata", "finalizers", list);
}

static void write_status(struct swarm_cluster *cl, unsigned j, enum kstats_bmh_state target)
{
	struct bmo_host *h = hst(cl, j);
	char name[128];
	kd_host_name(cl, j, name, sizeof(name));
	h->busy = (uint8_t)(target + 1);
	kd_write(cl, (int)j, KUBE_RES_BAREMETALHOST, name, "status", h->rv, apply_status, on_written);
}

static void write_finalizer(struct swarm_cluster *cl, unsigned j, int add)
{
	struct bmo_host *h = hst(cl, j);
	char name[128];
	kd_host_name(cl, j, name, sizeof(name));
	h->busy = add ? 100 : 101;
	/* other finalizers than BMAC's and ours are only known from a read */
	kd_write(cl, (int)j, KUBE_RES_BAREMETALHOST, name, NULL,
	         (h->flags & BF_OTHER_FIN) ? 0 : h->rv, apply_finalizer, on_written);
}

static void on_ppi_created(struct swarm_cluster *cl, int host, const struct kube_result *r)
{
	struct bmo_host *h = hst(cl, (unsigned)host);
	h->busy = 0;
	if (!r->err && (r->status == 201 || r->status == 409)) {
		h->failures = 0;
		if (r->status == 201)
			cl->rt->stats->kube.ppi_created++;
		/* its status comes with the watch, in order: the answer may
		 * arrive after an event of a later version */
		reconcile(cl, (unsigned)host);
		return;
	}
	h->flags &= ~(uint32_t)BF_PPI;
	on_written(cl, host, r);
}

static void create_ppi(struct swarm_cluster *cl, unsigned j)
{
	struct bmo_host *h = hst(cl, j);
	char uid[37];
	uid_str(h->uid, uid);
	h->flags |= BF_PPI;
	h->busy = 102;
	kd_create(cl, (int)j, KUBE_RES_PREPROVISIONINGIMAGE, kobj_preprovisioningimage(&kd_of(cl)->obj, j, uid),
	          on_ppi_created);
}

static void arm(struct swarm_cluster *cl, unsigned j, uint64_t delay_ns)
{
	struct bmo_host *h = hst(cl, j);
	struct timeval tv = {(time_t)(delay_ns / 1000000000ull),
	                     (suseconds_t)((delay_ns % 1000000000ull) / 1000)};
	event_add(&h->ev, &tv);
}

/* A write answered: record, move on, or retry after a back-off. */
static void on_written(struct swarm_cluster *cl, int host, const struct kube_result *r)
{
	unsigned j = (unsigned)host;
	struct bmo_host *h = hst(cl, j);
	struct swarm_rt *rt = cl->rt;
	int what = h->busy;
	char reason[100], why[300];
	h->busy = 0;
	if (r->obj)
		parse_bmh(cl, j, r->obj);
	int already = (h->flags & BF_ALREADY) != 0;
	h->flags &= ~(uint32_t)BF_ALREADY;
	if (!r->err && r->status == 404) {
		bmo_on_bmh(cl, j, KUBE_WATCH_DELETED, NULL);
		return;
	}
	if (r->err || (r->status / 100 != 2 && !r->skipped)) {
		/* a controller requeues with a back-off; a write refused for good
		 * fails the host */
		if (++h->failures >= BMO_MAX_FAILURES) {
			h->flags |= BF_FAILED;
			kd_reason(r, reason, sizeof(reason));
			snprintf(why, sizeof(why), "BareMetal Operator: %s of BMH %s-%u: %s",
			         what >= 100 ? (what == 102 ? "PreprovisioningImage" : "finalizer") : "status",
			         cl->name, j, reason);
			if (!cl->finished)
				cluster_host_failed(cl, j, why);
			return;
		}
		arm(cl, j, (uint64_t)(BMO_RETRY_MS << (h->failures < 5 ? h->failures - 1 : 4)) * 1000000ull);
		return;
	}
	h->failures = 0;
	/* finalizers: the answer (or the object a skipped write read) told */
	if (what > 0 && what <= KB_STATE_COUNT && (!r->skipped || already)) {
		enum kstats_bmh_state st = (enum kstats_bmh_state)(what - 1);
		uint64_t now = sw_now_ns(), pause_ms = 0;
		const struct swarm_timings *t = &rt->plan->timings;
		if (op_detached_target(h))
			h->flags |= BF_OP_DETACHED;
		if (r->obj && json_object_get(jget(r->obj, "status", NULL), "hardware"))
			h->flags |= BF_HW_WRITTEN;
		if (st != h->state) {
			bmo_set_state(cl, j, st);
			switch (st) {
			case KB_REGISTERING:
				pause_ms = t->bmh_registering_ms;
				break;
			case KB_INSPECTING:
				pause_ms = t->bmh_inspecting_ms;
				break;
			case KB_PROVISIONING:
				pause_ms = t->bmh_provisioning_ms;
				if (h->flags & BF_VIA_CUSTOM)
					rt->stats->kube.flow_custom++;
				else
					rt->stats->kube.flow_image++;
				h->due_boot_ns = now + rt_delay_ns(rt, t->host_boot_ms);
				break;
			case KB_PROVISIONED: {
				struct kdrv *d = kd_of(cl);
				uint64_t dt = h->t_created_ns && now > h->t_created_ns ? now - h->t_created_ns : 0;
				rt->stats->kube.bmh_provisioned++;
				hist_record(&rt->stats->kube.to_provisioned, dt);
				if (dt / 1000000 > d->max_provisioned_ms)
					d->max_provisioned_ms = (uint32_t)(dt / 1000000);
				break;
			}
			case KB_DEPROVISIONING:
				pause_ms = t->bmh_deprovisioning_ms;
				break;
			default:
				break;
			}
			if (pause_ms) {
				h->flags &= ~(uint32_t)BF_WAITED;
				h->due_next_ns = now + rt_delay_ns(rt, pause_ms);
				uint64_t due = h->due_next_ns;
				if (st == KB_PROVISIONING && h->due_boot_ns < due)
					due = h->due_boot_ns;
				arm(cl, j, due > now ? due - now : 0);
			} else {
				h->flags |= BF_WAITED;
			}
		}
	}
	reconcile(cl, j);
}

/* ---- the host boots the ISO ---- */

static void boot(struct swarm_cluster *cl, unsigned j)
{
	struct bmo_host *h = hst(cl, j);
	char why[128];
	if ((h->flags & BF_BOOTED) || cl->finished)
		return;
	h->flags |= BF_BOOTED;
	if (!cl->infra_env_id[0]) {
		snprintf(why, sizeof(why), "host %u booted an ISO whose URL names no infra-env", j);
		cluster_host_failed(cl, j, why);
		return;
	}
	agent_boot(&cl->hosts[j], 0);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	struct swarm_cluster *cl = a->cl;
	unsigned j = a->index;
	struct bmo_host *h = hst(cl, j);
	uint64_t now = sw_now_ns();
	(void)fd;
	(void)what;
	uint64_t next = UINT64_MAX;
	int boots = (h->state == KB_PROVISIONING || h->state == KB_PROVISIONED) && h->due_boot_ns &&
	            !(h->flags & BF_BOOTED);
	if (cl->rt->stopping)
		return;
	/* one timer for both: the host's boot and the end of the state's pause
	 * (whichever is due first; a retry back-off borrows it too) */
	if (boots && now + 500000 >= h->due_boot_ns) {
		boot(cl, j);
		boots = 0;
	}
	if (!(h->flags & BF_WAITED) && now + 500000 >= h->due_next_ns)
		h->flags |= BF_WAITED;
	if (boots)
		next = h->due_boot_ns;
	if (!(h->flags & BF_WAITED) && h->due_next_ns < next)
		next = h->due_next_ns;
	if (next != UINT64_MAX && !evtimer_pending(&h->ev, NULL))
		arm(cl, j, next > now ? next - now : 0);
	reconcile(cl, j);
}

/* ---- deciding ---- */

static void reconcile_delete(struct swarm_cluster *cl, unsigned j)
{
	struct bmo_host *h = hst(cl, j);
	if (!(h->flags & BF_OUR_FIN) || (h->flags & BF_PAUSED))
		return; /* nothing of ours holds it / BMAC unpauses a deleted host */
	if (!(h->flags & BF_DETACHED) && (h->state == KB_PROVISIONING || h->state == KB_PROVISIONED)) {
		event_del(&h->ev);
		write_status(cl, j, KB_DEPROVISIONING);
		return;
	}
	if (h->state == KB_DEPROVISIONING && !(h->flags & BF_WAITED))
		return;
	write_finalizer(cl, j, 0);
}

static void reconcile(struct swarm_cluster *cl, unsigned j)
{
	struct bmo_host *h = hst(cl, j);
	struct kdrv *d = kd_of(cl);
	if (h->busy || (h->flags & (BF_GONE | BF_FAILED)) || !(h->flags & BF_EXISTS))
		return;
	if (h->failures && evtimer_pending(&h->ev, NULL))
		return; /* a failed write waits for its back-off */
	if (cl->finished && d->state != KD_CLEANUP)
		return;
	if (h->flags & BF_DELETING) {
		reconcile_delete(cl, j);
		return;
	}
	if (cl->finished || (h->flags & BF_PAUSED))
		return;
	if (h->flags & BF_DETACHED) {
		if (!(h->flags & BF_OP_DETACHED))
			write_status(cl, j, (enum kstats_bmh_state)h->state);
		return;
	}
	if (!(h->flags & BF_OUR_FIN)) {
		write_finalizer(cl, j, 1);
		return;
	}
	if (!(h->flags & BF_WAITED))
		return;
	switch ((enum kstats_bmh_state)h->state) {
	case KB_NONE:
		write_status(cl, j, KB_REGISTERING);
		break;
	case KB_REGISTERING:
		if (h->flags & BF_INSPECT_OFF)
			write_status(cl, j, KB_AVAILABLE);
		else if (h->flags & BF_PPI_READY)
			write_status(cl, j, KB_INSPECTING);
		else if (!(h->flags & BF_PPI))
			create_ppi(cl, j);
		break; /* else: waiting for the image */
	case KB_INSPECTING:
		write_status(cl, j, KB_AVAILABLE);
		break;
	case KB_AVAILABLE:
		if (!(h->flags & BF_ONLINE))
			break;
		if (h->flags & BF_IMAGE) {
			h->flags &= ~(uint32_t)BF_VIA_CUSTOM;
			write_status(cl, j, KB_PROVISIONING);
		} else if ((h->flags & BF_CUSTOM) && (h->flags & BF_PPI_READY)) {
			h->flags |= BF_VIA_CUSTOM;
			write_status(cl, j, KB_PROVISIONING);
		} else if ((h->flags & BF_CUSTOM) && !(h->flags & BF_PPI)) {
			create_ppi(cl, j);
		}
		break;
	case KB_PROVISIONING:
		write_status(cl, j, KB_PROVISIONED);
		break;
	case KB_PROVISIONED:
	case KB_DEPROVISIONING:
	case KB_DELETED:
	case KB_STATE_COUNT:
	default:
		break;
	}
}

void bmo_describe(struct swarm_cluster *cl, unsigned j, char *buf, size_t len)
{
	struct bmo_host *h = hst(cl, j);
	static const struct {
		uint32_t f;
		const char *n;
	} names[] = {{BF_EXISTS, "exists"}, {BF_OUR_FIN, "finalizer"}, {BF_INSPECT_OFF, "inspection-off"},
	             {BF_DETACHED, "detached"}, {BF_PAUSED, "paused"}, {BF_ONLINE, "online"},
	             {BF_IMAGE, "spec.image"}, {BF_CUSTOM, "customDeploy"}, {BF_DELETING, "deleting"},
	             {BF_PPI, "ppi"}, {BF_PPI_READY, "ppi-ready"}, {BF_BOOTED, "booted"},
	             {BF_AGENT, "agent"}, {BF_WAITED, "waited"}, {BF_GONE, "gone"}, {BF_FAILED, "failed"}};
	size_t n = (size_t)snprintf(buf, len, "BMH %s-%u: %s, rv %llu%s, agent %s:", cl->name, j,
	                            kstats_bmh_state_name((enum kstats_bmh_state)h->state),
	                            (unsigned long long)h->rv, h->busy ? ", writing" : "",
	                            agent_state_name((enum agent_state)cl->hosts[j].state));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && n < len; i++)
		if (h->flags & names[i].f)
			n += (size_t)snprintf(buf + n, len - n, " %s", names[i].n);
}

void bmo_cluster_finished(struct swarm_cluster *cl, unsigned j)
{
	struct bmo_host *h = hst(cl, j);
	/* no more pauses; under cleanup, deletions go on from the watch */
	event_del(&h->ev);
	h->failures = 0;
	h->flags |= BF_WAITED;
}
