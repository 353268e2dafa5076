/*
 * reap: deleting clusters and infra-envs (see reap.h).
 */
#include "reap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "journal.h"
#include "sw_err.h"
#include "sw_xalloc.h"

#define REAP_MAX_HOSTS 100000u

enum item_state { IT_QUEUED, IT_CLUSTER, IT_CANCEL, IT_INFRA_ENV, IT_HOSTS };

struct reap_item {
	struct reap_item *next, *prev;  /* queue (next only) or active list */
	struct reap *r;
	char cid[IDS_UUID_LEN], iid[IDS_UUID_LEN];
	uint64_t due_ns;
	uint8_t state, cancel_tried, hosts_tried;
	unsigned hosts_pending;
};

struct reap {
	struct swarm_rt *rt;
	unsigned max_inflight;
	struct reap_item *head, *tail;  /* queued, in due order */
	struct reap_item *active;       /* in flight */
	struct reap_counts n;
	struct event ev;
	int ev_armed;
	void (*on_idle)(void *arg);
	void *idle_arg;
};

static void run(struct reap *r);

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct reap *r = arg;

	(void)fd;
	(void)what;
	r->ev_armed = 0;
	run(r);
}

struct reap *reap_new(struct swarm_rt *rt, unsigned max_inflight)
{
	struct reap *r = xcalloc(1, sizeof(*r));

	r->rt = rt;
	r->max_inflight = max_inflight ? max_inflight : 1;
	rt_timer_assign(rt, &r->ev, on_timer, r);
	return r;
}

void reap_free(struct reap **rp)
{
	struct reap *r;

	if (!rp || !*rp)
		return;
	r = *rp;
	event_del(&r->ev);
	while (r->head) {
		struct reap_item *it = r->head;
		r->head = it->next;
		free(it);
	}
	while (r->active) {
		struct reap_item *it = r->active;
		r->active = it->next;
		free(it);
	}
	free(r);
	*rp = NULL;
}

static int id_ok(const char *s)
{
	return s && *s && strlen(s) < IDS_UUID_LEN && !strpbrk(s, "/?#% ");
}

void reap_add(struct reap *r, const char *cluster_id, const char *infra_env_id, uint64_t due_ns)
{
	struct reap_item *it;

	if (!id_ok(cluster_id) && !id_ok(infra_env_id))
		return;
	it = xcalloc(1, sizeof(*it));
	it->r = r;
	if (id_ok(cluster_id))
		snprintf(it->cid, sizeof(it->cid), "%s", cluster_id);
	if (id_ok(infra_env_id))
		snprintf(it->iid, sizeof(it->iid), "%s", infra_env_id);
	it->due_ns = due_ns;
	if (r->tail)
		r->tail->next = it;
	else
		r->head = it;
	r->tail = it;
	r->n.queued++;
	if (!r->ev_armed || due_ns <= sw_now_ns())
		run(r);
}

void reap_due_all(struct reap *r)
{
	for (struct reap_item *it = r->head; it; it = it->next)
		it->due_ns = 0;
	run(r);
}

int reap_idle(const struct reap *r)
{
	return !r || (!r->head && !r->active);
}

void reap_on_idle(struct reap *r, void (*fn)(void *arg), void *arg)
{
	r->on_idle = fn;
	r->idle_arg = arg;
}

struct reap_counts reap_counts(const struct reap *r)
{
	return r->n;
}

static double rel_s(const struct reap *r)
{
	uint64_t now = sw_now_ns(), t0 = r->rt->ctx ? r->rt->ctx->run_start_ns : 0;

	return now > t0 ? (double)(now - t0) / 1e9 : 0;
}

static struct journal *reap_journal(const struct reap *r)
{
	return r->rt->ctx ? r->rt->ctx->journal : NULL;
}

static void item_done(struct reap_item *it)
{
	struct reap *r = it->r;

	if (it->prev)
		it->prev->next = it->next;
	else
		r->active = it->next;
	if (it->next)
		it->next->prev = it->prev;
	r->n.inflight--;
	free(it);
	run(r);
	if (reap_idle(r) && r->on_idle)
		r->on_idle(r->idle_arg);
}

static void reap_send(struct reap_item *it, enum swarm_ep ep, const char *method, const char *path,
                 rt_done_fn done)
{
	struct rt_call *c = rt_call_new(it->r->rt, NULL, -1, ep, method, path);

	c->auth = RT_AUTH_USER;
	c->retry = RT_RETRY_DRIVER;
	c->auxp = it;
	rt_call_send(c, done);
}

static int status_of(int err, const struct sw_resp *resp)
{
	return err || !resp ? 0 : resp->status;
}

static void delete_infra_env(struct reap_item *it);
static void delete_cluster(struct reap_item *it);

static void after_cluster(struct reap_item *it)
{
	if (it->iid[0])
		delete_infra_env(it);
	else
		item_done(it);
}

static void on_cancelled(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	(void)err;
	(void)msg;
	(void)resp;
	delete_cluster(c->auxp);
}

/* A DELETE answered 2xx (deleted) or 404 (already gone): counted and
 * journaled; returns 1. Anything else: 0. */
static int deleted_or_gone(struct reap *r, int st, const char *kind, const char *id, uint64_t *deleted,
                           uint64_t *gone)
{
	if (st == 404)
		(*gone)++;
	else if (st >= 200 && st <= 299)
		(*deleted)++;
	else
		return 0;
	journal_deleted(reap_journal(r), kind, id, rel_s(r));
	return 1;
}

static void on_cluster(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct reap_item *it = c->auxp;
	struct reap *r = it->r;
	int st = status_of(err, resp);
	char path[128];

	if (deleted_or_gone(r, st, "cluster", it->cid, &r->n.clusters_deleted, &r->n.clusters_gone)) {
		/* done with the cluster */
	} else if (st == 409 && !it->cancel_tried) {
		/* Still installing: cancel it first, as a user would. */
		it->cancel_tried = 1;
		it->state = IT_CANCEL;
		snprintf(path, sizeof(path), "/v2/clusters/%s/actions/cancel", it->cid);
		reap_send(it, EP_OTHER, "POST", path, on_cancelled);
		return;
	} else {
		r->n.clusters_failed++;
		rt_log(r->rt, 0, "cleanup: DELETE cluster %s: %s", it->cid,
		       st ? "refused" : (msg ? msg : sw_err_name(err)));
	}
	after_cluster(it);
}

static void delete_cluster(struct reap_item *it)
{
	char path[128];

	it->state = IT_CLUSTER;
	snprintf(path, sizeof(path), "/v2/clusters/%s", it->cid);
	reap_send(it, EP_DELETE_CLUSTER, "DELETE", path, on_cluster);
}

static void on_host_deleted(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct reap_item *it = c->auxp;
	int st = status_of(err, resp);

	(void)msg;
	if ((st >= 200 && st <= 299) || st == 404)
		it->r->n.hosts_deleted++;
	if (--it->hosts_pending == 0)
		delete_infra_env(it);
}

static void on_hosts(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct reap_item *it = c->auxp;
	json_t *j = NULL, *h;
	size_t i;
	char path[200];

	(void)msg;
	if (status_of(err, resp) >= 200 && status_of(err, resp) <= 299)
		j = rt_resp_json(resp);
	json_array_foreach(j, i, h) {
		const char *hid = json_string_value(json_object_get(h, "id"));
		if (!id_ok(hid) || it->hosts_pending >= REAP_MAX_HOSTS)
			continue;
		snprintf(path, sizeof(path), "/v2/infra-envs/%s/hosts/%s", it->iid, hid);
		it->hosts_pending++;
		reap_send(it, EP_OTHER, "DELETE", path, on_host_deleted);
	}
	json_decref(j);
	if (!it->hosts_pending)
		delete_infra_env(it);
}

static void on_infra_env(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct reap_item *it = c->auxp;
	struct reap *r = it->r;
	int st = status_of(err, resp);
	char path[128];

	if (deleted_or_gone(r, st, "infra_env", it->iid, &r->n.infra_envs_deleted, &r->n.infra_envs_gone)) {
		/* done */
	} else if (st == 409 && !it->hosts_tried) {
		/* Hosts still registered (an infra-env without a cluster): they go first. */
		it->hosts_tried = 1;
		it->state = IT_HOSTS;
		snprintf(path, sizeof(path), "/v2/infra-envs/%s/hosts", it->iid);
		reap_send(it, EP_LIST_HOSTS, "GET", path, on_hosts);
		return;
	} else {
		r->n.infra_envs_failed++;
		rt_log(r->rt, 0, "cleanup: DELETE infra-env %s: %s", it->iid,
		       st ? "refused" : (msg ? msg : sw_err_name(err)));
	}
	item_done(it);
}

static void delete_infra_env(struct reap_item *it)
{
	char path[128];

	it->state = IT_INFRA_ENV;
	snprintf(path, sizeof(path), "/v2/infra-envs/%s", it->iid);
	reap_send(it, EP_DELETE_INFRAENV, "DELETE", path, on_infra_env);
}

/* Starts the due items while slots are free; arms the timer for the next. */
static void run(struct reap *r)
{
	uint64_t now = sw_now_ns();

	if (r->rt->stopping)
		return;
	while (r->head && r->n.inflight < r->max_inflight && r->head->due_ns <= now) {
		struct reap_item *it = r->head;
		r->head = it->next;
		if (!r->head)
			r->tail = NULL;
		r->n.queued--;
		it->prev = NULL;
		it->next = r->active;
		if (r->active)
			r->active->prev = it;
		r->active = it;
		r->n.inflight++;
		if (it->cid[0])
			delete_cluster(it);
		else
			delete_infra_env(it);
	}
	if (r->head && r->n.inflight < r->max_inflight) {
		event_del(&r->ev);
		uint64_t d = r->head->due_ns > now ? r->head->due_ns - now : 0;
		struct timeval tv = {(time_t)(d / 1000000000u), (suseconds_t)(d % 1000000000u / 1000u)};
		event_add(&r->ev, &tv);
		r->ev_armed = 1;
	}
}
