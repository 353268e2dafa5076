/*
 * driver_rest: the REST ("SaaS") cluster driver (protocol/README.md §3.4, §7,
 * §8): component versions once per shard (D0), register cluster (D1) and
 * infra-env (D2), boot the hosts, poll until ready, install (D5), watch until
 * installed / error / cancelled, optional cleanup. A multi-node cluster gets
 * its VIPs (D3, both VIP forms when the service's generation needs them) the
 * way the UI sets them: once the cluster, read with its hosts, shows a host
 * network holding the API VIP (before that the service refuses them: "No
 * suitable matching CIDR found for VIP").
 *
 * just_infraenv shapes create only the infra-env and its hosts; the cluster
 * counts as done ("installed") once every host is known (known-unbound) and
 * its discovery hold is over: there is nothing to install.
 *
 * The discovery hold (the shape's `discovery_hold`): once every host is
 * discovered (the cluster ready, or all hosts known), the driver waits --
 * the hosts keep polling like discovered, idle machines -- for the duration,
 * or with `until_end` (the default of just_infraenv, as the original
 * tool's agents never stopped) until every cluster of the run without it
 * has finished; then it installs (or the infra-env is done). The driver
 * sends nothing meanwhile.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "cluster.h"
#include "replies.h"
#include "journal.h"
#include "sw_err.h"
#include "sw_http.h"
#include "sw_xalloc.h"

#define REST_FALLBACK_AGENT "quay.io/edge-infrastructure/assisted-installer-agent:latest"
#define REST_MAX_INSTALL_TRIES 30

enum rest_state {
	RS_WAIT_D0,        /* component versions not known yet */
	RS_CREATE_CLUSTER, /* D1 in flight */
	RS_CREATE_INFRAENV,/* D2 in flight */
	RS_WAIT_READY,     /* polling D4 (with hosts until the VIPs are set) */
	RS_INSTALL,        /* D5 in flight */
	RS_WATCH,          /* polling D4 until installed */
	RS_WAIT_KNOWN,     /* just_infraenv: polling the infra-env's hosts */
	RS_HOLD,           /* every host discovered: holding (discovery_hold) */
	RS_DONE,
	RS_STATE_COUNT
};

struct rest_drv {
	struct tw_timer tm;
	struct swarm_cluster *cl;
	uint8_t state;
	uint8_t polling;
	uint8_t vips_ok;
	uint8_t vips_busy;            /* D3 in flight */
	uint8_t hold_done;            /* the discovery hold is over (or there is none) */
	uint8_t cleanup_sent;         /* the cleanup deletes went out */
	unsigned install_tries;
	unsigned deletes_pending;     /* host DELETEs before the unbound infra-env's */
	uint64_t due_ns;
};

static struct rest_drv *drv_of(struct swarm_cluster *cl)
{
	return cl->drv;
}

static void rest_set_state(struct swarm_cluster *cl, enum rest_state st)
{
	drv_of(cl)->state = (uint8_t)st;
}

static void rest_arm(struct swarm_cluster *cl, uint64_t delay_ns)
{
	struct rest_drv *d = drv_of(cl);

	d->due_ns = rt_timer_arm(cl->rt, &d->tm, delay_ns);
}

static void rest_arm_poll(struct swarm_cluster *cl)
{
	rest_arm(cl, rt_delay_ns(cl->rt, cl->rt->plan->timings.cluster_poll_ms));
}

static struct rt_call *user_call(struct swarm_cluster *cl, enum swarm_ep ep, const char *method,
                                 const char *path)
{
	struct rt_call *c = cluster_call_new(cl, -1, ep, method, path);

	c->auth = RT_AUTH_USER;
	c->retry = RT_RETRY_DRIVER;
	return c;
}

/* Sends |body| (a JSON value, consumed) with |c|. */
static void send_json(struct rt_call *c, json_t *body, rt_done_fn done)
{
	char *txt = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	if (!txt)
		x_oom(0);
	rt_call_json(c, txt, strlen(txt));
	free(txt);
	rt_call_send(c, done);
}

/* "HTTP 400: <reason>" from an error response, for failure records. */
static void resp_reason(struct sw_resp *resp, int err, const char *msg, char *out, size_t len)
{
	json_t *j, *r;
	const char *reason = NULL;

	if (err || !resp) {
		snprintf(out, len, "%s", msg ? msg : sw_err_name(err));
		return;
	}
	j = rt_resp_json(resp);
	r = json_is_object(j) ? json_object_get(j, "reason") : NULL;
	if (!json_is_string(r))
		r = json_is_object(j) ? json_object_get(j, "message") : NULL;
	reason = json_is_string(r) ? json_string_value(r) : "";
	snprintf(out, len, "HTTP %d%s%s", resp->status, *reason ? ": " : "", reason);
	json_decref(j);
}

static void fail_call(struct swarm_cluster *cl, const char *what, int err, const char *msg,
                      struct sw_resp *resp)
{
	char reason[100], why[128];

	resp_reason(resp, err, msg, reason, sizeof(reason));
	snprintf(why, sizeof(why), "%s: %s", what, reason);
	cluster_finish(cl, 1, why);
}

/* Seconds since the run started (journal record times). */
static double rest_rel_s(const struct swarm_cluster *cl)
{
	uint64_t now = sw_now_ns(), t0 = cl->rt->ctx->run_start_ns;

	return now > t0 ? (double)(now - t0) / 1e9 : 0;
}

static int resp_ok(int err, struct sw_resp *resp)
{
	return !err && resp && resp->status >= 200 && resp->status <= 299;
}

/* ---- D0 (shard level) ---- */

static void on_versions(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct swarm_rt *rt = c->rt;
	char *img = resp_ok(err, resp) ? rt_versions_agent_image(resp) : NULL;

	if (img) {
		free(rt->agent_image);
		rt->agent_image = img;
	} else {
		rt_log(rt, 1, "component-versions gave no discovery-agent image (%s); agents use %s "
		       "until registration tells them the service's", err ? (msg ? msg : sw_err_name(err)) :
		       "no versions", REST_FALLBACK_AGENT);
	}
	rt->d0_state = 2;
	if (rt->d0_done)
		rt->d0_done(rt);
}

static void request_versions(struct swarm_rt *rt)
{
	struct rt_call *c = rt_call_new(rt, NULL, -1, EP_COMPONENT_VERSIONS, "GET",
	                                "/v2/component-versions");

	c->auth = RT_AUTH_USER;
	c->retry = RT_RETRY_DRIVER;
	rt->d0_state = 1;
	rt_call_send(c, on_versions);
}

/* ---- D1 / D2 / D3 ---- */

static void create_cluster(struct swarm_cluster *cl);
static void create_infraenv(struct swarm_cluster *cl);
static void set_vips(struct swarm_cluster *cl);
static void poll_cluster(struct swarm_cluster *cl);

static const char *ocp_version(struct swarm_cluster *cl)
{
	if (cl->shape && cl->shape->openshift_version && *cl->shape->openshift_version)
		return cl->shape->openshift_version;
	return cl->rt->plan->openshift_version ? cl->rt->plan->openshift_version : "4.16";
}

static int body_mentions(struct sw_resp *resp, const char *a, const char *b)
{
	size_t len;
	char *p, *s;
	int hit;

	if (!resp || !resp->body || !(len = evbuffer_get_length(resp->body)))
		return 0;
	p = (char *)evbuffer_pullup(resp->body, -1);
	if (!p)
		return 0;
	s = xmalloc(len + 1);
	memcpy(s, p, len);
	s[len] = 0;
	hit = (a && strstr(s, a)) || (b && strstr(s, b));
	free(s);
	return hit;
}

static void on_cluster_created(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct swarm_cluster *cl = cluster_of(c);
	struct swarm_cluster_record *rec;
	struct sw_jscan_pick id = {.ptr = "/id"};

	if (cl->finished)
		return;
	if (!err && resp->status == 400 && c->aux && !cl->rt->cpc_refused &&
	    body_mentions(resp, "control_plane_count", "controlPlaneCount")) {
		/* An older generation (protocol/README.md §8): it does not know control_plane_count. */
		cl->rt->cpc_refused = 1;
		if (cl->ncp == 3) {
			create_cluster(cl);
			return;
		}
	}
	if (!resp_ok(err, resp)) {
		fail_call(cl, "register cluster", err, msg, resp);
		return;
	}
	if (rt_resp_scan(resp, &id, 1) != 0 ||
	    !replies_id(&id.v, cl->cluster_id, sizeof(cl->cluster_id))) {
		cluster_finish(cl, 1, "register cluster: response without a usable id");
		return;
	}
	journal_cluster(cl->rt->ctx->journal, cl->cluster_id, cl->name, rest_rel_s(cl));
	rec = cluster_record(cl);
	if (rec)
		snprintf(rec->id, sizeof(rec->id), "%s", cl->cluster_id);
	create_infraenv(cl);
}

static void create_cluster(struct swarm_cluster *cl)
{
	struct swarm_rt *rt = cl->rt;
	const struct swarm_plan *p = rt->plan;
	struct rt_call *c;
	json_t *b = json_object();
	int cpc = 0;

	rest_set_state(cl, RS_CREATE_CLUSTER);
	json_object_set_new(b, "name", json_string(cl->name));
	json_object_set_new(b, "openshift_version", json_string(ocp_version(cl)));
	json_object_set_new(b, "pull_secret", json_string(rt->svc->pull_secret ? rt->svc->pull_secret : ""));
	json_object_set_new(b, "base_dns_domain",
	                    json_string(p->base_domain ? p->base_domain : "swarm.example.com"));
	json_object_set_new(b, "cpu_architecture",
	                    json_string(p->cpu_architecture ? p->cpu_architecture : "x86_64"));
	/* high_availability_mode is understood by every generation (protocol/README.md §8). */
	json_object_set_new(b, "high_availability_mode", json_string(cl->single_node ? "None" : "Full"));
	if (cl->single_node)
		json_object_set_new(b, "user_managed_networking", json_true());
	else if (cl->ncp != 3 && !rt->cpc_refused) {
		json_object_set_new(b, "control_plane_count", json_integer(cl->ncp));
		cpc = 1;
	}
	if (rt->svc->ssh_pub_key && *rt->svc->ssh_pub_key)
		json_object_set_new(b, "ssh_public_key", json_string(rt->svc->ssh_pub_key));
	c = user_call(cl, EP_REGISTER_CLUSTER, "POST", "/v2/clusters");
	c->aux = (uint64_t)cpc;
	send_json(c, b, on_cluster_created);
}

static void start_hosts_and_poll(struct swarm_cluster *cl)
{
	cluster_boot_hosts(cl);
	if (cl->shape && cl->shape->just_infraenv)
		rest_set_state(cl, RS_WAIT_KNOWN);
	else
		rest_set_state(cl, RS_WAIT_READY);
	rest_arm_poll(cl);
}

static void on_infraenv_created(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct swarm_cluster *cl = cluster_of(c);
	struct sw_jscan_pick pk[] = {{.ptr = "/id"}, {.ptr = "/download_url"}};

	if (cl->finished)
		return;
	if (!resp_ok(err, resp)) {
		fail_call(cl, "register infra-env", err, msg, resp);
		return;
	}
	if (rt_resp_scan(resp, pk, 2) != 0 ||
	    !replies_id(&pk[0].v, cl->infra_env_id, sizeof(cl->infra_env_id))) {
		cluster_finish(cl, 1, "register infra-env: response without a usable id");
		return;
	}
	journal_infra_env(cl->rt->ctx->journal, cl->infra_env_id, cl->name, cl->cluster_id, rest_rel_s(cl));
	if (cl->rt->svc->auth == SWARM_AUTH_LOCAL) {
		/* the agents' token is the JWT in the ISO URL */
		char *url = NULL, failure[128];
		const char *why;
		if (pk[1].v.type == SW_JSCAN_STRING) {
			url = xmalloc(pk[1].v.len + 1);
			sw_jscan_str(&pk[1].v, url, pk[1].v.len + 1);
		}
		why = cluster_take_agent_key(cl, url);
		free(url);
		if (why) {
			snprintf(failure, sizeof(failure), "register infra-env: %s in download_url (local auth)", why);
			cluster_finish(cl, 1, failure);
			return;
		}
	}
	start_hosts_and_poll(cl);
}

static void create_infraenv(struct swarm_cluster *cl)
{
	struct swarm_rt *rt = cl->rt;
	struct rt_call *c;
	json_t *b = json_object();

	rest_set_state(cl, RS_CREATE_INFRAENV);
	json_object_set_new(b, "name", json_string(cl->name));
	json_object_set_new(b, "pull_secret", json_string(rt->svc->pull_secret ? rt->svc->pull_secret : ""));
	if (cl->cluster_id[0])
		json_object_set_new(b, "cluster_id", json_string(cl->cluster_id));
	json_object_set_new(b, "openshift_version", json_string(ocp_version(cl)));
	json_object_set_new(b, "cpu_architecture",
	                    json_string(rt->plan->cpu_architecture ? rt->plan->cpu_architecture : "x86_64"));
	json_object_set_new(b, "image_type", json_string("full-iso"));
	if (rt->svc->ssh_pub_key && *rt->svc->ssh_pub_key)
		json_object_set_new(b, "ssh_authorized_key", json_string(rt->svc->ssh_pub_key));
	c = user_call(cl, EP_REGISTER_INFRAENV, "POST", "/v2/infra-envs");
	send_json(c, b, on_infraenv_created);
}

static void on_vips(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct swarm_cluster *cl = cluster_of(c);
	struct rest_drv *d = drv_of(cl);
	struct swarm_rt *rt = cl->rt;

	d->vips_busy = 0;
	if (cl->finished)
		return;
	if (!err && resp->status == 400 && !c->aux && body_mentions(resp, "apiVIP", "api_vip")) {
		/* 2023 generation the probe missed: "request must include apiVIP alongside apiVIPs". */
		rt->vip_legacy = 1;
		set_vips(cl);
		return;
	}
	if (resp_ok(err, resp)) {
		d->vips_ok = 1;
		if (rt->vip_legacy < 0)
			rt->vip_legacy = (int)c->aux;
	} else {
		char reason[100];
		resp_reason(resp, err, msg, reason, sizeof(reason));
		rt_log(rt, 0, "cluster %s: set VIPs: %s (will retry while polling)", cl->name, reason);
	}
}

static void set_vips(struct swarm_cluster *cl)
{
	struct rest_drv *d = drv_of(cl);
	struct rt_call *c;
	char path[120];
	int legacy = cl->rt->vip_legacy == 1;
	json_t *b;

	b = json_pack("{s:[{s:s}],s:[{s:s}]}", "api_vips", "ip", cl->api_vip, "ingress_vips", "ip",
	              cl->ingress_vip);
	if (!b)
		x_oom(0);
	if (legacy) {
		json_object_set_new(b, "api_vip", json_string(cl->api_vip));
		json_object_set_new(b, "ingress_vip", json_string(cl->ingress_vip));
	}
	snprintf(path, sizeof(path), "/v2/clusters/%s", cl->cluster_id);
	c = user_call(cl, EP_PATCH_CLUSTER, "PATCH", path);
	c->aux = (uint64_t)legacy;
	d->vips_busy = 1;
	send_json(c, b, on_vips);
}

/* ---- discovery hold ---- */

static void poll_cluster(struct swarm_cluster *cl);

/* 1 when the shape holds and the hold has not happened yet. */
static int wants_hold(struct swarm_cluster *cl)
{
	const struct swarm_shape *sh = cl->shape;

	return !drv_of(cl)->hold_done && sh && (sh->hold_until_end || sh->discovery_hold_ns);
}

static void start_hold(struct swarm_cluster *cl)
{
	const struct swarm_shape *sh = cl->shape;

	drv_of(cl)->hold_done = 1;
	cl->holding = 1;
	rest_set_state(cl, RS_HOLD);
	if (sh->hold_until_end)
		rest_arm_poll(cl);
	else
		rest_arm(cl, rt_scaled_ns(cl->rt, (double)sh->discovery_hold_ns / 1e6));
}

/* The hold's timer: over after its duration, or (until_end) once no other
 * cluster is left to finish; a just_infraenv shape is then done, a cluster
 * goes on to install. */
static void hold_timer(struct swarm_cluster *cl)
{
	atomic_ulong *left = cl->rt->ctx->finite_left;

	if (cl->shape->hold_until_end && left && atomic_load(left) > 0) {
		rest_arm_poll(cl);
		return;
	}
	cl->holding = 0;
	if (cl->shape->just_infraenv) {
		rest_set_state(cl, RS_DONE);
		cluster_finish(cl, 0, NULL);
		return;
	}
	rest_set_state(cl, RS_WAIT_READY);
	poll_cluster(cl);
}

/* ---- D4 / D5 ---- */

static void on_install(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct swarm_cluster *cl = cluster_of(c);
	struct rest_drv *d = drv_of(cl);

	if (cl->finished)
		return;
	if (resp_ok(err, resp)) {
		rest_set_state(cl, RS_WATCH);
	} else if (++d->install_tries >= REST_MAX_INSTALL_TRIES) {
		fail_call(cl, "install", err, msg, resp);
		return;
	} else {
		/* 409 "not ready": the cluster went back to insufficient; poll again. */
		rest_set_state(cl, RS_WAIT_READY);
	}
	rest_arm_poll(cl);
}

static void install(struct swarm_cluster *cl)
{
	char path[120];
	struct rt_call *c;

	rest_set_state(cl, RS_INSTALL);
	snprintf(path, sizeof(path), "/v2/clusters/%s/actions/install", cl->cluster_id);
	c = user_call(cl, EP_INSTALL_CLUSTER, "POST", path);
	rt_call_send(c, on_install);
}

static void on_cluster_status(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct swarm_cluster *cl = cluster_of(c);
	struct rest_drv *d = drv_of(cl);
	struct swarm_cluster_record *rec;
	const char *body = NULL;
	size_t len = 0;
	int status = -1;
	char why[192], info[128];

	(void)msg;
	d->polling = 0;
	if (cl->finished)
		return;
	if (!err && resp->status == 404) {
		cluster_finish(cl, 1, "cluster disappeared (404)");
		return;
	}
	/* Two fields of a 5 KB answer polled all along: scanned, not built. */
	if (resp_ok(err, resp))
		body = rt_resp_bytes(resp, &len);
	status = replies_cluster_status(body, len, info, sizeof(info));
	rec = cluster_record(cl);
	if (rec && status >= 0)
		rec->status = status;
	if (status == AS_CLUSTER_ERROR || status == AS_CLUSTER_CANCELLED) {
		snprintf(why, sizeof(why), "cluster %s: %s", as_cluster_status_name(status), info);
		cluster_finish(cl, 1, why);
		return;
	}
	if (status == AS_CLUSTER_READY || status == AS_CLUSTER_PREPARING ||
	    status == AS_CLUSTER_INSTALLING || status == AS_CLUSTER_FINALIZING ||
	    status == AS_CLUSTER_INSTALLED)
		cluster_mark_ready(cl);
	switch ((enum rest_state)d->state) {
	case RS_WAIT_READY:
		if (!d->vips_ok && !d->vips_busy && !cl->single_node &&
		    replies_host_network_holds(body, len, cl->api_vip))
			set_vips(cl);
		if (status == AS_CLUSTER_READY) {
			if (wants_hold(cl))
				start_hold(cl);
			else
				install(cl);
			return;
		}
		if (status == AS_CLUSTER_PREPARING || status == AS_CLUSTER_INSTALLING ||
		    status == AS_CLUSTER_FINALIZING)
			rest_set_state(cl, RS_WATCH);
		/* fall through */
	case RS_WATCH:
		if (status == AS_CLUSTER_INSTALLED) {
			rest_set_state(cl, RS_DONE);
			cluster_finish(cl, 0, NULL);
			return;
		}
		break;
	case RS_WAIT_D0:
	case RS_CREATE_CLUSTER:
	case RS_CREATE_INFRAENV:
	case RS_INSTALL:
	case RS_WAIT_KNOWN:
	case RS_DONE:
	case RS_STATE_COUNT:
	default:
		break;
	}
	rest_arm_poll(cl);
}

static void on_infraenv_hosts(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct swarm_cluster *cl = cluster_of(c);
	static const char *const known_statuses[] = {"known-unbound", "known", NULL};
	struct rest_drv *d = drv_of(cl);
	const char *body;
	size_t len;
	unsigned known = 0;

	(void)msg;
	d->polling = 0;
	if (cl->finished)
		return;
	/* An invalid list counts no host. */
	if (resp_ok(err, resp)) {
		body = rt_resp_bytes(resp, &len);
		known = replies_hosts_with_status(body, len, known_statuses);
	}
	cl->known_hosts = known;
	if (known >= cl->nhosts) {
		cluster_mark_ready(cl);
		if (wants_hold(cl)) {
			start_hold(cl);
			return;
		}
		rest_set_state(cl, RS_DONE);
		cluster_finish(cl, 0, NULL);
		return;
	}
	rest_arm_poll(cl);
}

static void poll_cluster(struct swarm_cluster *cl)
{
	struct rest_drv *d = drv_of(cl);
	struct rt_call *c;
	char path[160];

	if (d->polling)
		return;
	if (d->state == RS_WAIT_KNOWN) {
		snprintf(path, sizeof(path), "/v2/infra-envs/%s/hosts", cl->infra_env_id);
		c = user_call(cl, EP_LIST_HOSTS, "GET", path);
		c->intended_ns = d->due_ns;
		d->polling = 1;
		rt_call_send(c, on_infraenv_hosts);
		return;
	}
	/* Until the VIPs are set, read the hosts too: their networks say when. */
	if (!d->vips_ok && !cl->single_node && d->state == RS_WAIT_READY)
		snprintf(path, sizeof(path), "/v2/clusters/%s", cl->cluster_id);
	else
		snprintf(path, sizeof(path), "/v2/clusters/%s?exclude-hosts=true", cl->cluster_id);
	c = user_call(cl, EP_GET_CLUSTER, "GET", path);
	c->intended_ns = d->due_ns;
	d->polling = 1;
	rt_call_send(c, on_cluster_status);
}

static void rest_timer(struct tw_timer *t)
{
	struct rest_drv *d = (struct rest_drv *)(void *)((char *)t - offsetof(struct rest_drv, tm));
	struct swarm_cluster *cl = d->cl;

	if (cl->rt->stopping || cl->finished)
		return;
	rt_timer_fired(cl->rt, d->due_ns);
	switch ((enum rest_state)d->state) {
	case RS_WAIT_D0:
		if (cl->rt->d0_state == 2) {
			if (cl->shape && cl->shape->just_infraenv)
				create_infraenv(cl);
			else
				create_cluster(cl);
		} else {
			rest_arm(cl, 20 * 1000000ull);
		}
		break;
	case RS_WAIT_READY:
	case RS_WATCH:
	case RS_WAIT_KNOWN:
		poll_cluster(cl);
		break;
	case RS_HOLD:
		hold_timer(cl);
		break;
	case RS_CREATE_CLUSTER:
	case RS_CREATE_INFRAENV:
	case RS_INSTALL:
	case RS_DONE:
	case RS_STATE_COUNT:
	default:
		break;
	}
}

static int rest_start(struct swarm_cluster *cl)
{
	struct rest_drv *d = xcalloc(1, sizeof(*d));

	cl->drv = d;
	d->cl = cl;
	rt_timer_init(&d->tm, rest_timer);
	rest_set_state(cl, RS_WAIT_D0);
	if (cl->rt->d0_state == 0)
		request_versions(cl->rt);
	rest_arm(cl, 0);
	return 0;
}

static void on_deleted(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct swarm_cluster *cl = cluster_of(c);
	char path[120];
	struct rt_call *next;

	(void)err;
	(void)msg;
	(void)resp;
	/* The cluster goes first (it owns the hosts), then its infra-env; an
	 * unbound infra-env's hosts go first (the service refuses otherwise). */
	if (c->ep == EP_OTHER && drv_of(cl) && drv_of(cl)->deletes_pending &&
	    --drv_of(cl)->deletes_pending == 0)
		goto infraenv;
	if (c->ep != EP_DELETE_CLUSTER || !cl->infra_env_id[0])
		return;
infraenv:
	snprintf(path, sizeof(path), "/v2/infra-envs/%s", cl->infra_env_id);
	next = user_call(cl, EP_DELETE_INFRAENV, "DELETE", path);
	rt_call_send(next, on_deleted);
}

static void rest_finish(struct swarm_cluster *cl)
{
	struct rest_drv *d = drv_of(cl);

	if (d)
		rt_timer_cancel(cl->rt, &d->tm);
	/* The cleanup waits for the cluster's last call (rest_drained): the
	 * controller may still be uploading its logs, and a real user deletes
	 * what its tools no longer use. */
}

/* Cleanup (the plan's `cleanup`) once the finished cluster is quiet: the
 * cluster first (it owns the hosts), then its infra-env; an unbound
 * infra-env's hosts first. Returns 1 when a call was sent. */
static int rest_drained(struct swarm_cluster *cl)
{
	struct rest_drv *d = drv_of(cl);
	char path[120];
	struct rt_call *c;

	/* A soak run deletes its clusters after the retention instead (shard.c). */
	if (!d || d->cleanup_sent || !cl->rt->plan->cleanup || cl->rt->plan->soak)
		return 0;
	d->cleanup_sent = 1;
	if (cl->cluster_id[0]) {
		snprintf(path, sizeof(path), "/v2/clusters/%s", cl->cluster_id);
		c = user_call(cl, EP_DELETE_CLUSTER, "DELETE", path);
	} else if (cl->infra_env_id[0]) {
		unsigned i;
		for (i = 0; i < cl->nhosts; i++) {
			if (cl->hosts[i].sessions == 0)
				continue; /* never registered */
			snprintf(path, sizeof(path), "/v2/infra-envs/%s/hosts/%s", cl->infra_env_id,
			         cl->hosts[i].host_id);
			c = user_call(cl, EP_OTHER, "DELETE", path);
			d->deletes_pending++;
			rt_call_send(c, on_deleted);
		}
		if (d->deletes_pending)
			return 1;
		snprintf(path, sizeof(path), "/v2/infra-envs/%s", cl->infra_env_id);
		c = user_call(cl, EP_DELETE_INFRAENV, "DELETE", path);
	} else {
		return 0;
	}
	rt_call_send(c, on_deleted);
	return 1;
}

static void rest_free(struct swarm_cluster *cl)
{
	struct rest_drv *d = drv_of(cl);

	if (!d)
		return;
	rt_timer_cancel(cl->rt, &d->tm);
	free(d);
	cl->drv = NULL;
}

int driver_rest_pending_action(const struct swarm_cluster *cl)
{
	const struct rest_drv *d = cl ? cl->drv : NULL;

	if (!d || cl->finished || d->state == RS_DONE)
		return 1;
	switch ((enum rest_state)d->state) {
	case RS_CREATE_CLUSTER:
	case RS_CREATE_INFRAENV:
	case RS_INSTALL:
		return cl->owner.live > 0;    /* the call of the state */
	case RS_WAIT_READY:
		/* the poll's timer or call, or the VIP update (D3) in flight */
		return tw_armed(&d->tm) || d->polling ||
		       (d->vips_busy && cl->owner.live > 0);
	case RS_WAIT_D0:
	case RS_HOLD:
	case RS_WATCH:
	case RS_WAIT_KNOWN:
	case RS_DONE:
	case RS_STATE_COUNT:
	default:
		return tw_armed(&d->tm) || d->polling;
	}
}

const struct cluster_driver_ops cluster_driver_rest = {
	.name = "rest",
	.start = rest_start,
	.finish = rest_finish,
	.free = rest_free,
	.host_event = NULL,
	.drained = rest_drained,
};
