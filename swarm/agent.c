#include "agent.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cluster.h"
#include "installer.h"
#include "inventory.h"
#include "jw.h"
#include "replies.h"
#include "rt.h"
#include "steps.h"
#include "sw_err.h"
#include "sw_xalloc.h"

/* Real agent constants (protocol/README.md §1.4, §5.4), in plan milliseconds. */
#define AGENT_INTERVAL_MS 60000.0          /* --interval: registration retry */
#define AGENT_BACKOFF_INITIAL_MS 500u
#define AGENT_BACKOFF_MAX_MS 60000u
#define AGENT_BACKOFF_GIVEUP_MS (15.0 * 60000.0)
#define AGENT_CACHE_TTL_S 3600.0           /* reply cache lifetime */

static const char *const agent_state_names[AG_STATE_COUNT] = {
	"idle", "register-wait", "registering", "poll-wait", "polling", "backoff",
	"rebooted", "stopped",
};

const char *agent_state_name(enum agent_state st)
{
	return (unsigned)st < AG_STATE_COUNT ? agent_state_names[st] : "?";
}

void agent_set_state(struct agent *a, enum agent_state st)
{
	if (a->state == st)
		return;
	if (a->cl->rt->verbose > 1)
		rt_log(a->cl->rt, 0, "%s host %u: %s -> %s", a->cl->name, a->index,
		       agent_state_name(a->state), agent_state_name(st));
	a->state = (uint8_t)st;
}

void agent_set_phase(struct agent *a, enum swarm_host_phase phase)
{
	if (a->phase == phase)
		return;
	stats_host_phase(a->cl->rt->stats, (enum swarm_host_phase)a->phase, phase);
	a->phase = (uint8_t)phase;
}

static void agent_on_timer(struct tw_timer *t);

void agent_init(struct agent *a, struct swarm_cluster *cl, uint32_t index)
{
	memset(a, 0, sizeof(*a));
	a->cl = cl;
	a->index = index;
	a->role = -1;
	a->stage = -1;
	a->phase = HP_WAITING;
	ids_host_uuid(cl->id_seed, index, a->host_id);
	rt_timer_init(&a->tm, agent_on_timer);
}

/* Arms the agent's timer |delay_ns| from now. */
static void agent_arm(struct agent *a, uint64_t delay_ns)
{
	a->due_ns = rt_timer_arm(a->cl->rt, &a->tm, delay_ns);
}

void agent_boot(struct agent *a, uint64_t delay_ns)
{
	if (a->state != AG_IDLE)
		return;
	agent_arm(a, delay_ns);
}

void agent_maybe_drop_link(struct agent *a)
{
	struct swarm_rt *rt = a->cl->rt;

	if (!a->rth.link || a->rth.live || a->inst)
		return;
	if (a->state != AG_REBOOTED && a->state != AG_STOPPED)
		return;
	if (rt->link_free)
		rt->link_free(&a->rth.link);
	a->rth.link = NULL;
}

void agent_silence(struct agent *a, enum agent_state st, enum swarm_host_phase phase)
{
	rt_timer_cancel(a->cl->rt, &a->tm);
	agent_set_state(a, st);
	agent_set_phase(a, phase);
	if (a->inst)
		installer_stop(a);
	agent_maybe_drop_link(a);
}

void agent_release(struct agent *a)
{
	rt_timer_cancel(a->cl->rt, &a->tm);
	if (a->inst)
		installer_stop(a);
	if (a->rth.link && a->cl->rt->link_free)
		a->cl->rt->link_free(&a->rth.link);
	a->rth.link = NULL;
}

void agent_rebooted(struct agent *a)
{
	if (a->rebooted)
		return;
	a->rebooted = 1;
	/* Like the dry-run runner seeing its reboot marker: no call after this. */
	rt_timer_cancel(a->cl->rt, &a->tm);
	agent_set_state(a, AG_REBOOTED);
	agent_set_phase(a, HP_REBOOTED);
	agent_maybe_drop_link(a);
	cluster_host_rebooted(a->cl, a->index);
}

static void cache_flush(struct agent *a)
{
	memset(a->cache, 0, sizeof(a->cache));
}

static uint32_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t f;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	f = (uint32_t)(h ^ (h >> 32));
	return f ? f : 1;
}

/* ---- registration (A1) ---- */

static void agent_register(struct agent *a);

static void register_retry(struct agent *a)
{
	agent_set_state(a, AG_REGISTER_WAIT);
	agent_arm(a, rt_delay_ns(a->cl->rt, AGENT_INTERVAL_MS));
}

static void agent_poll(struct agent *a);

static void on_register(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct swarm_cluster *cl = cluster_of(c);
	struct agent *a = &cl->hosts[c->host];
	size_t blen, vlen = 0;
	const char *body;
	char why[96], version[512];
	int vr;

	if (a->state != AG_REGISTERING)
		return;
	if (err) {
		rt_log(cl->rt, 0, "%s host %u: register: %s", cl->name, a->index,
		       msg ? msg : sw_err_name(err));
		register_retry(a);
		return;
	}
	switch (resp->status) {
	case 200:
	case 201:
		break;
	case 401:
	case 403:
	case 404:
	case 409:
		/* The real agent stops for good on these. */
		snprintf(why, sizeof(why), "host %u: registration refused (HTTP %d)", a->index,
		         resp->status);
		rt_log(cl->rt, 0, "%s %s", cl->name, why);
		agent_silence(a, AG_STOPPED, HP_FAILED);
		cluster_host_failed(cl, a->index, why);
		return;
	default:
		rt_log(cl->rt, 0, "%s host %u: register: HTTP %d, retrying", cl->name, a->index,
		       resp->status);
		register_retry(a);
		return;
	}
	body = rt_resp_bytes(resp, &blen);
	vr = replies_agent_version(body, blen, version, sizeof(version), &vlen);
	if (vr == SW_ERR_PARSE) {
		rt_log(cl->rt, 0, "%s host %u: register: unparseable response", cl->name, a->index);
		register_retry(a);
		return;
	}
	if (vr > 0)
		a->version = cluster_intern_version(cl, version);
	else if (vr == -1)
		rt_log(cl->rt, 0, "%s host %u: register: agent_version unusable in a header (%zu bytes "
		       "or control bytes); keeping %s", cl->name, a->index, vlen, a->version);
	if (a->phase == HP_REGISTERING || a->phase == HP_WAITING)
		agent_set_phase(a, HP_DISCOVERY);
	a->due_ns = sw_now_ns();
	agent_poll(a);
}

static void agent_register(struct agent *a)
{
	struct swarm_cluster *cl = a->cl;
	struct rt_call *c;
	char path[160], *txt;
	struct jw w;
	size_t len;

	agent_set_state(a, AG_REGISTERING);
	if (a->phase == HP_WAITING || a->phase == HP_DISCOVERY)
		agent_set_phase(a, HP_REGISTERING);
	/* A new runner session: fresh reply cache, fresh back-off. */
	cache_flush(a);
	a->backoff_start_ns = 0;
	a->backoff_ms = 0;
	a->upgrade_pending = 0;
	a->exit_pending = 0;
	a->sessions++;
	if (!a->version)
		a->version = cluster_intern_version(cl, cl->rt->agent_image ? cl->rt->agent_image :
		                    "quay.io/edge-infrastructure/assisted-installer-agent:latest");
	snprintf(path, sizeof(path), "/v2/infra-envs/%s/hosts", cl->infra_env_id);
	c = cluster_call_new(cl, (int)a->index, EP_REGISTER_HOST, "POST", path);
	c->auth = RT_AUTH_HOST;
	c->retry = RT_RETRY_AGENT;
	c->intended_ns = a->due_ns ? a->due_ns : sw_now_ns();
	jw_init(&w, 160);
	jw_obj(&w);
	jw_kstr(&w, "host_id", a->host_id);
	jw_kstr(&w, "discovery_agent_version", a->version);
	jw_obj_end(&w);
	txt = jw_take(&w, &len);
	rt_call_body(c, (unsigned char *)txt, len, "application/json");
	rt_call_send(c, on_register);
}

/* ---- next steps (A2) and replies (A3) ---- */

static void poll_failed(struct agent *a, const char *why)
{
	struct swarm_rt *rt = a->cl->rt;
	uint64_t now = sw_now_ns();

	/* The real agent flushes its reply cache when a GET fails. */
	cache_flush(a);
	if (!a->backoff_start_ns) {
		a->backoff_start_ns = now;
		a->backoff_ms = AGENT_BACKOFF_INITIAL_MS;
	} else {
		a->backoff_ms = (uint32_t)(a->backoff_ms * 1.5);
		if (a->backoff_ms > AGENT_BACKOFF_MAX_MS)
			a->backoff_ms = AGENT_BACKOFF_MAX_MS;
	}
	if (now - a->backoff_start_ns > rt_scaled_ns(rt, AGENT_BACKOFF_GIVEUP_MS)) {
		rt_log(rt, 0, "%s host %u: next steps failing for 15 min (%s): re-registering",
		       a->cl->name, a->index, why);
		a->due_ns = now;
		agent_register(a);
		return;
	}
	agent_set_state(a, AG_BACKOFF);
	agent_arm(a, rt_delay_ns(rt, a->backoff_ms));
}

static void on_reply(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct agent *a = &cluster_of(c)->hosts[c->host];
	int type = (int)c->aux;

	(void)msg;
	/* A reply that did not land must not suppress the next identical one. */
	if ((err || resp->status < 200 || resp->status > 299) && type >= 0 &&
	    type < AS_STEP_TYPE_COUNT)
		memset(&a->cache[type], 0, sizeof(a->cache[type]));
}

static void fill_host(struct agent *a, struct inventory_host *inv, struct steps_host *sh,
                      char *hostname, size_t hlen, char *mac, char *ip)
{
	struct swarm_cluster *cl = a->cl;

	ids_hostname(cl->name, a->index, hostname, hlen);
	cluster_host_mac(cl, a->index, mac);
	ids_host_ip(&cl->net, a->index, ip);
	memset(inv, 0, sizeof(*inv));
	inv->hostname = hostname;
	inv->mac = mac;
	inv->ip = ip;
	inv->prefix = 16;
	inv->net_addr = cl->net_addr;
	inv->gateway = cl->gateway;
	inv->cpu_arch = cl->rt->plan ? cl->rt->plan->cpu_architecture : NULL;
	inv->serial = cluster_host_serial(cl, a->index);
	sh->inv = inv;
	sh->api_vip = cl->api_vip;
	sh->ingress_vip = cl->ingress_vip;
	sh->other_ip = cl->other_ip;
}

static void act_on(struct agent *a, struct steps_reply *r)
{
	struct swarm_cluster *cl = a->cl;
	enum as_stage_role role;

	switch (r->action) {
	case STEPS_ACT_INSTALL:
		if (a->install_started)
			break;
		a->install_started = 1;
		/* the installer's --cluster-id (kube mode learns it here first) */
		cluster_set_id(cl, r->cluster_id);
		role = (enum as_stage_role)r->install_role;
		if (role == AS_ROLE_BOOTSTRAP && cl->single_node)
			role = AS_ROLE_SNO;
		a->role = (int8_t)role;
		installer_start(a, role);
		break;
	case STEPS_ACT_LOGS:
		installer_host_logs(a);
		break;
	case STEPS_ACT_UPGRADE:
		a->version = cluster_intern_version(cl, r->upgrade_image);
		a->upgrade_pending = 1;
		break;
	case STEPS_ACT_STOP:
		installer_stop(a);
		break;
	case STEPS_ACT_NONE:
	default:
		break;
	}
}

static void agent_answer(struct agent *a, const struct steps_instr *ins, uint64_t intended)
{
	struct swarm_cluster *cl = a->cl;
	struct swarm_rt *rt = cl->rt;
	struct inventory_host inv;
	struct steps_host sh;
	struct steps_reply r;
	char hostname[96], mac[IDS_MAC_LEN], ip[IDS_IP_LEN], path[200];
	struct rt_call *c;
	char *body;
	size_t len = 0;
	int cached = 0;

	fill_host(a, &inv, &sh, hostname, sizeof(hostname), mac, ip);
	if (steps_answer(&sh, ins, &r) < 0) {
		rt_log(rt, 0, "%s host %u: instruction without step_type ignored", cl->name, a->index);
		return;
	}
	if (r.type == AS_STEP_INSTALL && a->install_started && r.exit_code == 0) {
		/* What podman answers the real agent when the installer container
		 * already exists; the service ignores exactly this failure. */
		r.exit_code = 125;
		r.action = STEPS_ACT_NONE;
		r.error = xstrdup("Error: error creating container storage: the container name "
		                  "\"assisted-installer\" is already in use by \"swarm\". You have to "
		                  "remove that container to be able to reuse that name.: that name "
		                  "is already in use");
	}
	if (r.exit_code == 0 && r.output && *r.output && r.type >= 0) {
		struct agent_cache_entry *e = &a->cache[r.type];
		uint32_t h = fnv1a(r.output);
		uint32_t now_s = cluster_age_s(cl);
		if (e->hash == h && (double)(now_s - e->t_s) * rt->scale < AGENT_CACHE_TTL_S)
			cached = 1;
		else {
			e->hash = h;
			e->t_s = now_s;
		}
	}
	if (!cached) {
		body = steps_reply_body(&r, &len);
		snprintf(path, sizeof(path), "/v2/infra-envs/%s/hosts/%s/instructions", cl->infra_env_id,
		         a->host_id);
		c = cluster_call_new(cl, (int)a->index, EP_POST_STEP, "POST", path);
		c->auth = RT_AUTH_HOST;
		c->retry = RT_RETRY_AGENT;
		c->intended_ns = intended;
		c->aux = (uint64_t)(int64_t)r.type;
		rt_call_body(c, (unsigned char *)body, len, "application/json");
		rt_call_send(c, on_reply);
	}
	act_on(a, &r);
	steps_reply_clear(&r);
}

/* replies_steps_each callback over an answer's instructions: answers each
 * in turn while the host still polls. */
static int answer_one(void *arg, const struct steps_instr *in)
{
	struct agent *a = arg;

	agent_answer(a, in, sw_now_ns());
	return a->state != AG_POLLING; /* silenced by what a step did */
}

static void on_poll(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct swarm_cluster *cl = cluster_of(c);
	struct agent *a = &cl->hosts[c->host];
	/* The answer is scanned; each instruction is answered from its picks. */
	struct replies_steps rs;
	const char *body;
	size_t blen;
	double nis = 0;
	int exit_now;
	uint64_t delay;

	if (a->state != AG_POLLING)
		return; /* rebooted or stopped meanwhile: the runner is gone */
	if (err) {
		poll_failed(a, msg ? msg : sw_err_name(err));
		return;
	}
	if (resp->status == 404) {
		/* The real runner freezes forever on 404: the host is lost. */
		rt_log(cl->rt, 0, "%s host %u: instructions: 404, host unknown to the service",
		       cl->name, a->index);
		agent_silence(a, AG_STOPPED, HP_FAILED);
		cluster_host_failed(cl, a->index, "host unknown to the service (404 on instructions)");
		return;
	}
	if (resp->status != 200) {
		poll_failed(a, "unexpected status");
		return;
	}
	body = rt_resp_bytes(resp, &blen);
	if (replies_steps(body, blen, &rs) != 0) {
		poll_failed(a, "unparseable steps");
		return;
	}
	a->backoff_start_ns = 0;
	a->backoff_ms = 0;
	nis = rs.next_s;
	exit_now = rs.exit;
	replies_steps_each(&rs, answer_one, a);
	if (a->state != AG_POLLING)
		return;
	if (a->upgrade_pending || exit_now) {
		/* upgrade-agent: the real agent restarts with the new image; exit:
		 * the runner stops and the agent registers again. */
		a->due_ns = sw_now_ns();
		agent_register(a);
		return;
	}
	if (!(nis > 0) || nis > 86400)
		delay = rt_scaled_ns(cl->rt, AGENT_INTERVAL_MS);
	else
		delay = (uint64_t)(nis * 1e9);
	agent_set_state(a, AG_POLL_WAIT);
	agent_arm(a, delay);
}

static void agent_poll(struct agent *a)
{
	struct swarm_cluster *cl = a->cl;
	struct rt_call *c;
	char path[200];

	agent_set_state(a, AG_POLLING);
	snprintf(path, sizeof(path), "/v2/infra-envs/%s/hosts/%s/instructions?timestamp=%lld",
	         cl->infra_env_id, a->host_id, (long long)time(NULL));
	c = cluster_call_new(cl, (int)a->index, EP_GET_STEPS, "GET", path);
	c->auth = RT_AUTH_HOST;
	c->retry = RT_RETRY_AGENT;
	c->intended_ns = a->due_ns ? a->due_ns : sw_now_ns();
	rt_call_send(c, on_poll);
}

/* ---- timer: one handler per waiting state ---- */

static void timer_register(struct agent *a)
{
	agent_register(a);
}

static void timer_poll(struct agent *a)
{
	agent_poll(a);
}

static void timer_ignore(struct agent *a)
{
	(void)a;
}

static void (*const agent_timer_handlers[AG_STATE_COUNT])(struct agent *a) = {
	[AG_IDLE] = timer_register,
	[AG_REGISTER_WAIT] = timer_register,
	[AG_REGISTERING] = timer_ignore,
	[AG_POLL_WAIT] = timer_poll,
	[AG_POLLING] = timer_ignore,
	[AG_BACKOFF] = timer_poll,
	[AG_REBOOTED] = timer_ignore,
	[AG_STOPPED] = timer_ignore,
};

static void agent_on_timer(struct tw_timer *t)
{
	struct agent *a = (struct agent *)(void *)((char *)t - offsetof(struct agent, tm));
	struct swarm_rt *rt = a->cl->rt;

	if (rt->stopping)
		return;
	rt_timer_fired(rt, a->due_ns);
	if (a->state < AG_STATE_COUNT)
		agent_timer_handlers[a->state](a);
}
