/*
 * kube_preflight: see kube_preflight.h. One client, one step at a time,
 * each answer checked before the next; the main loop runs until the last
 * step answered or the bound passed.
 */
#include "kube_preflight.h"

#include <stdio.h>
#include <string.h>

#include "kube_client.h"
#include "kube_objs.h"
#include "sw_err.h"

#define KPRE_TIMEOUT_S 30

/* What the run lists, reads or writes (the RBAC of
 * tools/deploy/rbac-kube-mode.yaml covers exactly these). */
static const enum kube_res_id checked[] = {
	KUBE_RES_NAMESPACE, KUBE_RES_SECRET, KUBE_RES_INFRAENV, KUBE_RES_NMSTATECONFIG,
	KUBE_RES_AGENTCLUSTERINSTALL, KUBE_RES_CLUSTERDEPLOYMENT, KUBE_RES_CLUSTERIMAGESET,
	KUBE_RES_BAREMETALHOST, KUBE_RES_PREPROVISIONINGIMAGE, KUBE_RES_AGENT,
};
#define NCHECKED (sizeof(checked) / sizeof(checked[0]))

struct kpre {
	struct event_base *base;
	struct kube_client *kc;
	const struct kubeconfig *cfg;
	const char *run_id;
	const char *release_image;
	const char *imageset;
	struct swarm_stats *st;
	int step;                /* -1 version, 0..NCHECKED-1 lists, NCHECKED create,
	                          * NCHECKED + 1 delete (cleanup) */
	int last;                /* the step after which it is done */
	int done, rv;
	char *err;
	size_t errlen;
};

static void observe(void *arg, enum kube_verb verb, enum kube_res_id res, int err, int status,
                    uint64_t sent, uint64_t done)
{
	struct kpre *p = arg;
	kstats_request(&p->st->kube, verb, res, err, status, sent, done);
	stats_record_call(p->st, EP_KUBE, err, status, sent, sent, done);
}

static void finish(struct kpre *p, int rv)
{
	p->done = 1;
	p->rv = rv;
	event_base_loopbreak(p->base);
}

/* The message of a refused step |what|. */
static void refused(struct kpre *p, const struct kube_result *r, const char *what)
{
	if (r->err) {
		snprintf(p->err, p->errlen, "hub %s (%s): %s: %s", p->cfg->server, p->cfg->source, what,
		         r->msg ? r->msg : sw_err_name(r->err));
	} else if (r->status == 401) {
		snprintf(p->err, p->errlen, "hub %s (%s): %s: HTTP 401 Unauthorized: the hub does not "
		         "accept the kubeconfig's credentials%s%s", p->cfg->server, p->cfg->source, what,
		         r->st.message[0] ? ": " : "", r->st.message);
	} else if (r->status == 403) {
		snprintf(p->err, p->errlen, "hub %s (%s): %s: HTTP 403 Forbidden: %s (the swarm needs the "
		         "rights of tools/deploy/rbac-kube-mode.yaml)", p->cfg->server, p->cfg->source,
		         what, r->st.message[0] ? r->st.message : "not allowed");
	} else if (r->status == 404) {
		snprintf(p->err, p->errlen, "hub %s (%s): %s: HTTP 404: the hub does not serve it (is the "
		         "assisted-service / hive / metal3 CRD installed?)", p->cfg->server, p->cfg->source, what);
	} else {
		snprintf(p->err, p->errlen, "hub %s (%s): %s: HTTP %d%s%s", p->cfg->server, p->cfg->source,
		         what, r->status, r->st.message[0] ? ": " : "", r->st.message);
	}
}

static void next(struct kpre *p);

static void on_step(void *arg, const struct kube_result *r)
{
	struct kpre *p = arg;
	char what[160];
	const struct kube_res *res = p->step >= 0 && p->step < (int)NCHECKED ? kube_res_get(checked[p->step]) : NULL;
	if (p->step < 0)
		snprintf(what, sizeof(what), "GET /version");
	else if (res)
		snprintf(what, sizeof(what), "list %s%s%s", res->plural, res->group[0] ? "." : "", res->group);
	else
		snprintf(what, sizeof(what), "%s ClusterImageSet %s", p->step == (int)NCHECKED ? "create" :
		         "delete", p->imageset);
	/* a create re-sent after a lost answer finds its object; a delete, none */
	int ok = !r->err && (r->status / 100 == 2 ||
	                     (p->step == (int)NCHECKED && r->status == 409 &&
	                      !strcmp(r->st.reason, "AlreadyExists")) ||
	                     (p->step == (int)NCHECKED + 1 && r->status == 404));
	if (!ok) {
		refused(p, r, what);
		finish(p, r->err ? r->err : SW_ERR_INVALID);
		return;
	}
	if (p->step >= p->last) {
		finish(p, 0);
		return;
	}
	p->step++;
	next(p);
}

static int start(struct kpre *p)
{
	char q[256], sel[160];
	char esc[200];
	if (p->step < 0)
		return kube_get_raw(p->kc, "/version", on_step, p);
	if (p->step < (int)NCHECKED) {
		snprintf(sel, sizeof(sel), "%s=%s", KOBJ_RUN_LABEL, p->run_id);
		if (kube_query_escape(sel, esc, sizeof(esc)) < 0)
			return SW_ERR_TOO_BIG;
		snprintf(q, sizeof(q), "limit=1&labelSelector=%s", esc);
		return kube_list(p->kc, checked[p->step], NULL, q, on_step, p);
	}
	if (p->step > (int)NCHECKED)
		return kube_delete(p->kc, KUBE_RES_CLUSTERIMAGESET, NULL, p->imageset, on_step, p);
	json_t *o = kobj_clusterimageset(p->imageset, p->run_id, p->release_image);
	int rv = kube_create(p->kc, KUBE_RES_CLUSTERIMAGESET, o, on_step, p);
	json_decref(o);
	return rv;
}

static void next(struct kpre *p)
{
	int rv = start(p);
	if (rv < 0) {
		snprintf(p->err, p->errlen, "hub %s: %s", p->cfg->server, sw_err_name(rv));
		finish(p, rv);
	}
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct kpre *p = arg;
	(void)fd;
	(void)what;
	snprintf(p->err, p->errlen, "hub %s (%s): no answer within %ds", p->cfg->server, p->cfg->source,
	         KPRE_TIMEOUT_S);
	finish(p, SW_ERR_TIMEOUT);
}

/* Runs the steps from |first| on a client of |kc|. */
static int run(struct event_base *base, const struct swarm_service *svc, const struct kubeconfig *kc,
               const char *run_id, const char *imageset, int first, int last, struct swarm_stats *st,
               char *err, size_t errlen)
{
	struct kpre p = {.base = base, .cfg = kc, .run_id = run_id, .imageset = imageset,
	                 .release_image = svc->release_image, .st = st, .step = first, .last = last,
	                 .err = err, .errlen = errlen};
	struct kube_client_cfg cfg;
	struct event *tmo;
	char cerr[512];
	memset(&cfg, 0, sizeof(cfg));
	kubeconfig_client_cfg(kc, &cfg.http);
	cfg.http.proto = svc->kube_proto;
	cfg.http.connect_timeout_ms = 5000;
	cfg.http.tls_timeout_ms = 5000;
	cfg.http.request_timeout_ms = 10000;
	cfg.bearer_token = kc->token;
	cfg.max_attempts = 3;
	cfg.backoff_initial_ms = 500;
	cfg.timer_prio = -1;
	cfg.observe = observe;
	cfg.observe_arg = &p;
	p.kc = kube_client_new(base, &cfg, cerr, sizeof(cerr));
	if (!p.kc) {
		snprintf(err, errlen, "hub %s (%s): %s", kc->server, kc->source, cerr);
		return SW_ERR_INVALID;
	}
	tmo = evtimer_new(base, on_timeout, &p);
	if (tmo) {
		struct timeval tv = {KPRE_TIMEOUT_S, 0};
		evtimer_add(tmo, &tv);
	}
	next(&p);
	while (!p.done && event_base_dispatch(base) == 0)
		;
	if (tmo)
		event_free(tmo);
	kube_client_free(&p.kc);
	return p.done ? p.rv : SW_ERR_TIMEOUT;
}

int kpre_check(struct event_base *base, const struct swarm_service *svc, const char *run_id,
               const struct kubeconfig *kc, struct swarm_stats *st, char *err, size_t errlen)
{
	int rv = run(base, svc, kc, run_id, run_id, -1, (int)NCHECKED, st, err, errlen);
	if (rv == SW_ERR_PARSE)
		rv = SW_ERR_INVALID; /* an answer the client could not read: not the kubeconfig's fault */
	return rv;
}

int kpre_access(struct event_base *base, const struct swarm_service *svc, const char *run_id,
                const struct kubeconfig *kc, struct swarm_stats *st, char *err, size_t errlen)
{
	int rv = run(base, svc, kc, run_id, run_id, -1, (int)NCHECKED - 1, st, err, errlen);
	if (rv == SW_ERR_PARSE)
		rv = SW_ERR_INVALID;
	return rv;
}

int kpre_cleanup(struct event_base *base, const struct swarm_service *svc,
                 const struct kubeconfig *kc, const char *name, struct swarm_stats *st, char *err,
                 size_t errlen)
{
	return run(base, svc, kc, name, name, (int)NCHECKED + 1, (int)NCHECKED + 1, st, err, errlen);
}
