/*
 * controller (see controller.h). One rule keeps it alive: outside CTL_DONE
 * it always has exactly one pending action, either its timer or its own
 * chain call in flight (a cluster GET, a finalizing step, or one batch of
 * operator PUTs), never both and never neither. Every handler that ends a
 * chain call therefore either sends the next one or arms the timer, and the
 * timer handler always sends one. (Host reports, C3, are fire-and-forget
 * side calls and do not count.) controller_pending_actions() exposes the
 * count for the tests' invariant check.
 */
#include "controller.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <event2/buffer.h>
#include <jansson.h>
#include "apigen.h"
#include "cluster.h"
#include "installer.h"
#include "replies.h"
#include "rt.h"
#include "sw_err.h"
#include "sw_xalloc.h"

enum ctl_state {
	CTL_WAIT_CLUSTER,   /* C1: until the service answers */
	CTL_LOOP,           /* C3 host reports + C4 until finalizing */
	CTL_FINALIZING,     /* C5..C10 chain running */
	CTL_WATCH,          /* C11 until installed / error / cancelled */
	CTL_DONE,
	CTL_STATE_COUNT
};

/* The finalizing chain, in order (no OLM operators: protocol/README.md §3.3). */
enum ctl_fin {
	FIN_WAIT_OPERATORS, FIN_LIST_OPERATORS, FIN_ROUTER_CA_STAGE, FIN_INGRESS_CERT,
	FIN_OLM_STAGE, FIN_DONE_STAGE, FIN_COMPLETE, FIN_LOGS_REQUESTED, FIN_LOGS_UPLOAD,
	FIN_LOGS_COMPLETED, FIN_END
};

struct controller {
	struct tw_timer tm;
	struct swarm_cluster *cl;
	uint8_t state;
	uint8_t fin;              /* enum ctl_fin */
	uint8_t chain;            /* its own chain call (or C7 batch) is in flight */
	unsigned ops_pending;     /* C7 PUTs in flight */
	uint64_t due_ns;
};

static void ctl_set_state(struct controller *ctl, enum ctl_state st)
{
	ctl->state = (uint8_t)st;
}

static void ctl_arm(struct controller *ctl, double plan_ms)
{
	ctl->due_ns = rt_timer_arm(ctl->cl->rt, &ctl->tm, rt_delay_ns(ctl->cl->rt, plan_ms));
}

/* Sends |c|, the chain's next call, with |done|. */
static void ctl_send(struct controller *ctl, struct rt_call *c, rt_done_fn done)
{
	ctl->chain = 1;
	rt_call_send(c, done);
}

/* The chain call that |c| was has ended: returns the controller when it
 * still runs and expects that answer, else NULL. */
static struct controller *ctl_chain_done(struct rt_call *c, enum ctl_state st)
{
	struct controller *ctl = cluster_of(c)->ctl;

	if (!ctl || ctl->state != st)
		return NULL;
	ctl->chain = 0;
	return ctl;
}

static struct rt_call *ctl_call(struct controller *ctl, enum swarm_ep ep, const char *method,
                                const char *path)
{
	struct rt_call *c = cluster_call_new(ctl->cl, -1, ep, method, path);

	c->auth = RT_AUTH_AGENT;
	c->retry = RT_RETRY_CONTROLLER;
	return c;
}

/* ---- C3: Joined / Done for rebooted hosts ---- */

static void on_host_done(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct swarm_cluster *cl = cluster_of(c);
	struct agent *a = &cl->hosts[c->aux];

	(void)msg;
	if (!err && resp->status >= 200 && resp->status < 300)
		agent_set_phase(a, HP_DONE);
}

static void on_host_joined(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct swarm_cluster *cl = cluster_of(c);
	unsigned idx = (unsigned)c->aux;

	(void)err;
	(void)msg;
	(void)resp;
	cl->hosts[idx].ctl_busy = 0;
	if (!cl->ctl || cl->hosts[idx].done)
		return;
	cl->hosts[idx].done = 1;
	installer_report_stage(cl, idx, 0, AS_STAGE_DONE, "", on_host_done, idx);
}

static void report_nodes(struct controller *ctl)
{
	struct swarm_cluster *cl = ctl->cl;
	unsigned i;

	for (i = 0; i < cl->nhosts; i++) {
		struct agent *a = &cl->hosts[i];
		if (!a->rebooted || a->done)
			continue;
		if (!a->joined) {
			/* Joined only after Rebooting/Configuring, then Done (protocol/README.md §5.3). */
			a->joined = 1;
			a->ctl_busy = 1;
			installer_report_stage(cl, i, 0, AS_STAGE_JOINED, "", on_host_joined, i);
		} else if (!a->ctl_busy) {
			/* Joined by the bootstrap already. */
			a->done = 1;
			installer_report_stage(cl, i, 0, AS_STAGE_DONE, "", on_host_done, i);
		}
	}
}

/* ---- finalizing chain ---- */

static void fin_step(struct controller *ctl);

static void on_fin(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct controller *ctl = ctl_chain_done(c, CTL_FINALIZING);

	(void)msg;
	if (!ctl)
		return;
	if (c->ep == EP_CLUSTER_PROGRESS && !err && !ctl->cl->rt->no_fin_progress &&
	    apigen_route_missing(resp->status, resp->body ? (const char *)evbuffer_pullup(resp->body, -1)
	                                                  : NULL,
	                         resp->body ? evbuffer_get_length(resp->body) : 0)) {
		/* A 2023-generation service the probe did not recognise: its
		 * controller never reported finalizing stages (apigen.h). */
		ctl->cl->rt->no_fin_progress = 1;
		rt_log(ctl->cl->rt, 1, "the service has no %s route (2023 generation): no more "
		       "finalizing-progress calls", c->path);
	}
	if (ctl->fin == FIN_INGRESS_CERT && !err && resp->status == 400) {
		/* Not finalizing yet from the service's view: the timer runs this
		 * step again next loop. */
		ctl_arm(ctl, ctl->cl->rt->plan->timings.controller_poll_ms);
		return;
	}
	ctl->fin++;
	fin_step(ctl);
}

static void on_operator_put(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct controller *ctl = cluster_of(c)->ctl;

	(void)err;
	(void)msg;
	(void)resp;
	if (!ctl || ctl->state != CTL_FINALIZING)
		return;
	if (ctl->ops_pending && --ctl->ops_pending == 0) {
		ctl->chain = 0; /* the batch was one chain call */
		ctl->fin++;
		fin_step(ctl);
	}
}

static void on_operators(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct controller *ctl = ctl_chain_done(c, CTL_FINALIZING);
	struct swarm_cluster *cl = cluster_of(c);
	json_t *j, *op;
	size_t i;
	char path[160];

	(void)msg;
	if (!ctl)
		return;
	j = (!err && resp->status == 200) ? rt_resp_json(resp) : NULL;
	if (!json_is_array(j)) {
		json_decref(j);
		/* The real controller retries the operator loop; so do we (timer). */
		ctl_arm(ctl, cl->rt->plan->timings.controller_poll_ms);
		return;
	}
	snprintf(path, sizeof(path), "/v2/clusters/%s/monitored-operators", cl->cluster_id);
	ctl->ops_pending = 0;
	json_array_foreach(j, i, op) {
		json_t *name = json_object_get(op, "name"), *st = json_object_get(op, "status");
		json_t *body;
		char *txt;
		struct rt_call *pc;
		if (!json_is_string(name))
			continue;
		if (json_is_string(st) && !strcmp(json_string_value(st), "available"))
			continue;
		body = json_pack("{s:s,s:s,s:s,s:s}", "name", json_string_value(name), "version", "",
		                 "status", "available", "status_info", "All is well");
		txt = body ? json_dumps(body, JSON_COMPACT) : NULL;
		json_decref(body);
		if (!txt)
			x_oom(0);
		pc = ctl_call(ctl, EP_PUT_OPERATOR, "PUT", path);
		rt_call_json(pc, txt, strlen(txt));
		free(txt);
		ctl->ops_pending++;
		ctl_send(ctl, pc, on_operator_put);
	}
	json_decref(j);
	if (!ctl->ops_pending) {
		ctl->fin++;
		fin_step(ctl);
	}
}

static void fin_stage(struct controller *ctl, enum as_finalizing_stage st)
{
	char path[160], body[128];
	struct rt_call *c;
	int n;

	if (ctl->cl->rt->no_fin_progress) {
		/* 2023 generation: no such route, nothing to report (apigen.h). */
		ctl->fin++;
		fin_step(ctl);
		return;
	}
	snprintf(path, sizeof(path), "/v2/clusters/%s/progress", ctl->cl->cluster_id);
	n = snprintf(body, sizeof(body), "{\"finalizing_stage\":\"%s\"}", as_finalizing_stage_name(st));
	c = ctl_call(ctl, EP_CLUSTER_PROGRESS, "PUT", path);
	rt_call_json(c, body, (size_t)n);
	ctl_send(ctl, c, on_fin);
}

static void fin_step(struct controller *ctl)
{
	struct swarm_cluster *cl = ctl->cl;
	char path[200];
	struct rt_call *c;

	switch ((enum ctl_fin)ctl->fin) {
	case FIN_WAIT_OPERATORS:
		fin_stage(ctl, AS_FIN_WAITING_FOR_CLUSTER_OPERATORS);
		break;
	case FIN_LIST_OPERATORS:
		snprintf(path, sizeof(path), "/v2/clusters/%s/monitored-operators", cl->cluster_id);
		c = ctl_call(ctl, EP_GET_OPERATORS, "GET", path);
		ctl_send(ctl, c, on_operators);
		break;
	case FIN_ROUTER_CA_STAGE:
		fin_stage(ctl, AS_FIN_ADDING_ROUTER_CA);
		break;
	case FIN_INGRESS_CERT: {
		const char *pem = assets_ingress_ca(&cl->rt->assets, &cl->rt->rng);
		json_t *s;

		if (!pem)
			rt_log(cl->rt, 1, "cluster %s: cannot make the ingress CA certificate (OpenSSL); "
			       "uploading an empty one", cl->name);
		s = json_string(pem ? pem : "");
		char *txt = s ? json_dumps(s, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		json_decref(s);
		if (!txt)
			x_oom(0);
		snprintf(path, sizeof(path), "/v2/clusters/%s/uploads/ingress-cert", cl->cluster_id);
		c = ctl_call(ctl, EP_INGRESS_CERT, "POST", path);
		rt_call_json(c, txt, strlen(txt));
		free(txt);
		ctl_send(ctl, c, on_fin);
		break;
	}
	case FIN_OLM_STAGE:
		fin_stage(ctl, AS_FIN_WAITING_FOR_OLM_CSV_INIT);
		break;
	case FIN_DONE_STAGE:
		fin_stage(ctl, AS_FIN_DONE);
		break;
	case FIN_COMPLETE:
		snprintf(path, sizeof(path), "/v2/clusters/%s/actions/complete-installation",
		         cl->cluster_id);
		c = ctl_call(ctl, EP_COMPLETE_INSTALL, "POST", path);
		rt_call_lit(c, "{\"is_success\":true}");
		ctl_send(ctl, c, on_fin);
		break;
	case FIN_LOGS_REQUESTED:
	case FIN_LOGS_COMPLETED:
		snprintf(path, sizeof(path), "/v2/clusters/%s/logs-progress", cl->cluster_id);
		c = ctl_call(ctl, EP_CLUSTER_LOGS_PROGRESS, "PUT", path);
		if (ctl->fin == FIN_LOGS_REQUESTED)
			rt_call_lit(c, "{\"logs_state\":\"requested\"}");
		else
			rt_call_lit(c, "{\"logs_state\":\"completed\"}");
		ctl_send(ctl, c, on_fin);
		break;
	case FIN_LOGS_UPLOAD: {
		struct evbuffer *eb = evbuffer_new();
		char ctype[128];
		size_t tlen = 0, blen;
		const unsigned char *tgz = assets_logs_tgz(&cl->rt->assets, &tlen);
		unsigned char *body;

		if (!eb)
			x_oom(0);
		if (!tgz || sw_multipart_file(eb, ctype, sizeof(ctype), "upfile",
		                              "controller_logs.tar.gz", "application/octet-stream",
		                              tgz, tlen) < 0) {
			evbuffer_free(eb);
			ctl->fin++;
			fin_step(ctl);
			break;
		}
		blen = evbuffer_get_length(eb);
		body = xmalloc(blen ? blen : 1);
		evbuffer_remove(eb, body, blen);
		evbuffer_free(eb);
		snprintf(path, sizeof(path), "/v2/clusters/%s/logs?logs_type=controller", cl->cluster_id);
		c = ctl_call(ctl, EP_UPLOAD_LOGS, "POST", path);
		rt_call_body(c, body, blen, ctype);
		ctl_send(ctl, c, on_fin);
		break;
	}
	case FIN_END:
	default:
		ctl_set_state(ctl, CTL_WATCH);
		ctl_arm(ctl, cl->rt->plan->timings.controller_poll_ms);
		break;
	}
}

/* ---- C1 / C4 / C11: cluster polls ---- */

static void on_cluster(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct controller *ctl = cluster_of(c)->ctl;
	const char *body;
	size_t len;
	int status = -1;

	(void)msg;
	if (!ctl || ctl->state == CTL_FINALIZING || ctl->state == CTL_DONE)
		return;
	ctl->chain = 0;
	if (!err && resp->status == 200) {
		/* Only the status matters: the 5 KB cluster is scanned, not built. */
		body = rt_resp_bytes(resp, &len);
		status = replies_cluster_status(body, len, NULL, 0);
	}
	switch ((enum ctl_state)ctl->state) {
	case CTL_WAIT_CLUSTER:
		if (status < 0) {
			ctl_arm(ctl, 1000); /* the real controller retries every second */
			return;
		}
		ctl_set_state(ctl, CTL_LOOP);
		/* fall through */
	case CTL_LOOP:
		if (status == AS_CLUSTER_FINALIZING) {
			ctl_set_state(ctl, CTL_FINALIZING);
			ctl->fin = FIN_WAIT_OPERATORS;
			fin_step(ctl);
			return;
		}
		if (status == AS_CLUSTER_INSTALLED || status == AS_CLUSTER_ERROR ||
		    status == AS_CLUSTER_CANCELLED) {
			ctl_set_state(ctl, CTL_DONE);
			return;
		}
		break;
	case CTL_WATCH:
		if (status == AS_CLUSTER_INSTALLED || status == AS_CLUSTER_ERROR ||
		    status == AS_CLUSTER_CANCELLED || status == AS_CLUSTER_ADDING_HOSTS) {
			ctl_set_state(ctl, CTL_DONE);
			return;
		}
		break;
	case CTL_FINALIZING:
	case CTL_DONE:
	case CTL_STATE_COUNT:
	default:
		return;
	}
	/* Still looping or watching: the next poll is the timer's. */
	ctl_arm(ctl, ctl->cl->rt->plan->timings.controller_poll_ms);
}

static void ctl_get_cluster(struct controller *ctl)
{
	char path[160];
	struct rt_call *c;

	snprintf(path, sizeof(path), "/v2/clusters/%s?exclude-hosts=true", ctl->cl->cluster_id);
	c = ctl_call(ctl, EP_GET_CLUSTER, "GET", path);
	c->intended_ns = ctl->due_ns ? ctl->due_ns : sw_now_ns();
	ctl_send(ctl, c, on_cluster);
}

static void ctl_timer(struct tw_timer *t)
{
	struct controller *ctl = (struct controller *)(void *)((char *)t - offsetof(struct controller, tm));
	struct swarm_rt *rt = ctl->cl->rt;

	if (rt->stopping)
		return;
	rt_timer_fired(rt, ctl->due_ns);
	if (ctl->chain)
		return; /* cannot happen (one pending action); never a second chain call */
	switch ((enum ctl_state)ctl->state) {
	case CTL_WAIT_CLUSTER:
		ctl_get_cluster(ctl);
		break;
	case CTL_LOOP:
	case CTL_WATCH:
		report_nodes(ctl);
		ctl_get_cluster(ctl);
		break;
	case CTL_FINALIZING:
		report_nodes(ctl);
		/* a step asked to be retried (operators list, ingress cert) */
		fin_step(ctl);
		break;
	case CTL_DONE:
	case CTL_STATE_COUNT:
	default:
		report_nodes(ctl);
		break;
	}
}

void controller_start(struct swarm_cluster *cl)
{
	struct controller *ctl;

	if (cl->ctl || cl->finished)
		return;
	ctl = xcalloc(1, sizeof(*ctl));
	ctl->cl = cl;
	ctl_set_state(ctl, CTL_WAIT_CLUSTER);
	rt_timer_init(&ctl->tm, ctl_timer);
	cl->ctl = ctl;
	ctl->due_ns = sw_now_ns();
	/* The node-status loop runs from the start. */
	report_nodes(ctl);
	ctl_get_cluster(ctl);
}

void controller_stop(struct swarm_cluster *cl)
{
	if (!cl || !cl->ctl)
		return;
	rt_timer_cancel(cl->rt, &cl->ctl->tm);
	free(cl->ctl);
	cl->ctl = NULL;
}

int controller_finished(const struct swarm_cluster *cl)
{
	return cl->ctl && cl->ctl->state == CTL_DONE;
}

int controller_pending_actions(const struct swarm_cluster *cl)
{
	const struct controller *ctl = cl ? cl->ctl : NULL;

	if (!ctl)
		return 0;
	return (tw_armed(&ctl->tm) ? 1 : 0) + (ctl->chain ? 1 : 0);
}
