/*
 * driver_kube: the kube-api cluster driver (mode: kube). It creates the
 * cluster's objects on the hub as the original assisted-swarm's one
 * `oc apply` did (the Namespace first, then the pull Secret, InfraEnv,
 * AgentClusterInstall, ClusterDeployment, NMStateConfig and each host's
 * BareMetalHost and BMC Secret, pipelined), lets bmo.c play the BareMetal
 * Operator for every host, and follows the cluster on the shard's watches,
 * never by polling an object: the AgentClusterInstall's conditions and
 * debugInfo (RequirementsMet or a state past ready = ready; Completed True =
 * installed; Failed or Stopped True = failed; spec.clusterMetadata.infraID
 * = the service's cluster id, which the emulated assisted-installer-
 * controller needs, as the original read it), the InfraEnv's ImageCreated
 * (errors logged: the hub retries them) and the Agents (when
 * each host's Agent appears; for just_infraenv shapes, done once every
 * host's Agent is known-unbound). The agents, installer and controller are
 * the REST-mode ones: the real ones talk REST to the service too.
 *
 * Cleanup (`cleanup: true`) deletes the namespace when the cluster ends and
 * keeps the cluster (and its hosts' BareMetal Operator, which deprovisions
 * and releases its finalizers) until the namespace is gone or
 * `cleanup_timeout` passed; what was left is counted and named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_model.h"
#include "kube_int.h"
#include "sw_err.h"
#include "sw_xalloc.h"

/* A kube call of a cluster: holds it until the callback ran. Linked in the
 * driver so that calls the stopping shard dropped are freed with it. */
struct kd_call {
	struct kd_call *prev, *next;
	struct swarm_cluster *cl;
	int host;
	kd_done_fn fn;
	kd_apply_fn apply;
};

struct kd_calls {
	struct kd_call *head;
};

/* The per-driver list lives beside the state (kept out of kube_int.h). */
struct kdrv_full {
	struct kdrv d;
	struct kd_calls calls;
};

static struct kd_calls *calls_of(struct swarm_cluster *cl)
{
	return &((struct kdrv_full *)cl->drv)->calls;
}

static struct kd_call *call_new(struct swarm_cluster *cl, int host, kd_done_fn fn, kd_apply_fn apply)
{
	struct kd_call *k = xcalloc(1, sizeof(*k));
	struct kd_calls *l = calls_of(cl);
	k->cl = cl;
	k->host = host;
	k->fn = fn;
	k->apply = apply;
	k->next = l->head;
	if (l->head)
		l->head->prev = k;
	l->head = k;
	rt_owner_hold(&cl->owner);
	return k;
}

static void call_unlink(struct kd_call *k)
{
	struct kd_calls *l = calls_of(k->cl);
	if (k->prev)
		k->prev->next = k->next;
	else
		l->head = k->next;
	if (k->next)
		k->next->prev = k->prev;
}

static void on_call_done(void *arg, const struct kube_result *r)
{
	struct kd_call *k = arg;
	struct swarm_cluster *cl = k->cl;
	if (r->conflicts)
		cl->rt->stats->kube.conflicts += r->conflicts;
	if (!cl->rt->stopping && k->fn)
		k->fn(cl, k->host, r);
	call_unlink(k);
	free(k);
	/* may make the cluster idle: the shard frees it later, from its loop */
	rt_owner_put(&cl->owner);
}

static json_t *on_call_apply(void *arg, const json_t *cur)
{
	struct kd_call *k = arg;
	return k->apply(k->cl, k->host, cur);
}

static void must_start(int rv)
{
	if (rv < 0)
		x_oom(0);
}

void kd_create(struct swarm_cluster *cl, int host, enum kube_res_id res, json_t *obj, kd_done_fn fn)
{
	struct kd_call *k = call_new(cl, host, fn, NULL);
	must_start(kube_create(kshard_client(kd_of(cl)->ks), res, obj, on_call_done, k));
	json_decref(obj);
}

void kd_write(struct swarm_cluster *cl, int host, enum kube_res_id res, const char *name,
              const char *sub, uint64_t rv, kd_apply_fn apply, kd_done_fn fn)
{
	struct kd_call *k = call_new(cl, host, fn, apply);
	const struct kube_res *r = kube_res_get(res);
	must_start(kube_write(kshard_client(kd_of(cl)->ks), res, r && r->namespaced ? cl->name : NULL,
	                      name, sub, rv, on_call_apply, on_call_done, k));
}

void kd_delete(struct swarm_cluster *cl, int host, enum kube_res_id res, const char *name,
               kd_done_fn fn)
{
	struct kd_call *k = call_new(cl, host, fn, NULL);
	const struct kube_res *r = kube_res_get(res);
	must_start(kube_delete(kshard_client(kd_of(cl)->ks), res, r && r->namespaced ? cl->name : NULL,
	                       name, on_call_done, k));
}

void kd_reason(const struct kube_result *r, char *buf, size_t len)
{
	if (r->err)
		snprintf(buf, len, "%s", r->msg ? r->msg : sw_err_name(r->err));
	else if (r->st.message[0])
		snprintf(buf, len, "HTTP %d: %.90s", r->status, r->st.message);
	else
		snprintf(buf, len, "HTTP %d", r->status);
}

void kd_host_name(struct swarm_cluster *cl, unsigned j, char *buf, size_t len)
{
	ids_hostname(cl->name, j, buf, len);
}

int kd_host_of(struct swarm_cluster *cl, const char *name)
{
	size_t n = strlen(cl->name);
	char *end;
	unsigned long j;
	if (!name || strncmp(name, cl->name, n) || name[n] != '-' || !name[n + 1])
		return -1;
	j = strtoul(name + n + 1, &end, 10);
	return *end || j >= cl->nhosts ? -1 : (int)j;
}

/* ---- creation ---- */

static void created(struct swarm_cluster *cl, int host, const struct kube_result *r, const char *what)
{
	struct kdrv *d = kd_of(cl);
	char why[128], reason[100];
	/* a create re-sent after a lost answer finds its object: done */
	int ok = !r->err && (r->status == 201 || r->status == 200 ||
	                     (r->status == 409 && !strcmp(r->st.reason, "AlreadyExists")));
	(void)host;
	if (cl->finished)
		return;
	if (!ok) {
		kd_reason(r, reason, sizeof(reason));
		snprintf(why, sizeof(why), "create %s: %s", what, reason);
		cluster_finish(cl, 1, why);
		return;
	}
	if (d->creates_pending && --d->creates_pending == 0 && d->state == KD_OBJECTS)
		d->state = KD_RUN;
}

static void on_object(struct swarm_cluster *cl, int host, const struct kube_result *r)
{
	created(cl, host, r, "object");
}

static void on_pull_secret(struct swarm_cluster *cl, int host, const struct kube_result *r)
{
	created(cl, host, r, "pull Secret");
}

static void on_infraenv(struct swarm_cluster *cl, int host, const struct kube_result *r)
{
	created(cl, host, r, "InfraEnv");
}

static void on_aci(struct swarm_cluster *cl, int host, const struct kube_result *r)
{
	created(cl, host, r, "AgentClusterInstall");
}

static void on_cd(struct swarm_cluster *cl, int host, const struct kube_result *r)
{
	created(cl, host, r, "ClusterDeployment");
}

static void on_bmh(struct swarm_cluster *cl, int host, const struct kube_result *r)
{
	int ok = !r->err && (r->status == 201 || (r->status == 409 && !strcmp(r->st.reason, "AlreadyExists")));
	if (ok && !cl->finished)
		bmo_created(cl, (unsigned)host, r->obj);
	created(cl, host, r, "BareMetalHost");
}

static void on_bmc_secret(struct swarm_cluster *cl, int host, const struct kube_result *r)
{
	created(cl, host, r, "BMC Secret");
}

static void create_objects(struct swarm_cluster *cl)
{
	struct kdrv *d = kd_of(cl);
	const struct kobj_cluster *o = &d->obj;
	int just = cl->shape && cl->shape->just_infraenv;
	char mac[IDS_MAC_LEN];
	d->state = KD_OBJECTS;
	d->creates_pending = 2 + (just ? 0 : 2) + (cl->shape && cl->shape->with_nmstate) + 2 * cl->nhosts;
	/* the original's order (one `oc apply` of one file) */
	kd_create(cl, -1, KUBE_RES_SECRET, kobj_pull_secret(o), on_pull_secret);
	kd_create(cl, -1, KUBE_RES_INFRAENV, kobj_infraenv(o), on_infraenv);
	if (!just) {
		kd_create(cl, -1, KUBE_RES_AGENTCLUSTERINSTALL, kobj_agentclusterinstall(o), on_aci);
		kd_create(cl, -1, KUBE_RES_CLUSTERDEPLOYMENT, kobj_clusterdeployment(o), on_cd);
	}
	if (cl->shape && cl->shape->with_nmstate)
		kd_create(cl, -1, KUBE_RES_NMSTATECONFIG, kobj_nmstateconfig(o), on_object);
	for (unsigned j = 0; j < cl->nhosts; j++) {
		ids_host_mac(cl->job.index, j, mac);
		d->hosts[j].t_created_ns = sw_now_ns();
		cl->rt->stats->kube.bmh_created++;
		kd_create(cl, (int)j, KUBE_RES_BAREMETALHOST, kobj_baremetalhost(o, j, mac), on_bmh);
		kd_create(cl, (int)j, KUBE_RES_SECRET, kobj_bmc_secret(o, j), on_bmc_secret);
	}
}

static void on_namespace(struct swarm_cluster *cl, int host, const struct kube_result *r)
{
	char why[128], reason[100];
	(void)host;
	if (cl->finished)
		return;
	if (r->err || (r->status != 201 && !(r->status == 409 && !strcmp(r->st.reason, "AlreadyExists")))) {
		kd_reason(r, reason, sizeof(reason));
		snprintf(why, sizeof(why), "create Namespace: %s", reason);
		cluster_finish(cl, 1, why);
		return;
	}
	create_objects(cl);
}

static void on_cleanup_timeout(evutil_socket_t fd, short what, void *arg);

static int kd_start(struct swarm_cluster *cl)
{
	struct kdrv_full *f = xcalloc(1, sizeof(*f));
	struct kdrv *d = &f->d;
	struct swarm_rt *rt = cl->rt;
	cl->drv = d;
	d->ks = rt->kube;
	rt_timer_assign(rt, &d->ev, on_cleanup_timeout, cl);
	if (!d->ks)
		return SW_ERR_STATE;
	snprintf(d->machine_cidr, sizeof(d->machine_cidr), "%s/16", cl->net_addr);
	d->obj = (struct kobj_cluster){
		.name = cl->name, .run_id = rt->ctx->run_id, .shard = kshard_index(d->ks),
		.plan = rt->plan, .svc = rt->svc, .shape = cl->shape, .single_node = cl->single_node,
		.ncp = cl->ncp, .nworkers = cl->nhosts - cl->ncp, .machine_cidr = d->machine_cidr,
		.api_vip = cl->api_vip, .ingress_vip = cl->ingress_vip,
		.imageset = rt->ctx->kube_imageset ? rt->ctx->kube_imageset : rt->ctx->run_id,
	};
	d->hosts = xcalloc(cl->nhosts, sizeof(*d->hosts));
	for (unsigned j = 0; j < cl->nhosts; j++)
		bmo_init(cl, j);
	kshard_add(d->ks, cl);
	d->registered = 1;
	d->state = KD_NS;
	kd_create(cl, -1, KUBE_RES_NAMESPACE, kobj_namespace(&d->obj), on_namespace);
	return 0;
}

/* ---- progress from the watches ---- */

static const json_t *condition(const json_t *obj, const char *type)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(json_object_get(obj, "status"), "conditions"), i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));
		if (t && !strcmp(t, type))
			return c;
	}
	return NULL;
}

static int cond_true(const json_t *c)
{
	const char *s = json_string_value(json_object_get(c, "status"));
	return s && !strcmp(s, "True");
}

static const char *cstr(const json_t *c, const char *k)
{
	const char *s = json_string_value(json_object_get(c, k));
	return s ? s : "";
}

static void record_kube(struct swarm_cluster *cl)
{
	struct swarm_cluster_record *rec = cluster_record(cl);
	struct kdrv *d = kd_of(cl);
	if (!rec)
		return;
	rec->kube_provisioned_ms = d->max_provisioned_ms;
	rec->kube_agent_ms = d->max_agent_ms;
}

static void on_aci_event(struct swarm_cluster *cl, enum kube_watch_type type, const json_t *obj,
                         int from_list)
{
	struct kdrv *d = kd_of(cl);
	struct swarm_cluster_record *rec;
	const json_t *st = json_object_get(obj, "status"), *c;
	const char *state, *infra;
	uint64_t rv = kube_obj_rv(obj);
	char why[128];
	if (cl->finished)
		return;
	if (type == KUBE_WATCH_DELETED) {
		cluster_finish(cl, 1, "the AgentClusterInstall was deleted");
		return;
	}
	if (rv && rv <= d->aci_rv && !from_list)
		return; /* older than what was seen */
	d->aci_rv = rv;
	infra = json_string_value(json_object_get(json_object_get(json_object_get(obj, "spec"),
	                                                          "clusterMetadata"), "infraID"));
	if (infra && *infra && !cl->cluster_id[0])
		cluster_set_id(cl, infra);
	state = json_string_value(json_object_get(json_object_get(st, "debugInfo"), "state"));
	rec = cluster_record(cl);
	if (rec && state)
		rec->status = as_cluster_status_parse(state);
	c = condition(obj, "RequirementsMet");
	if ((c && cond_true(c)) ||
	    (state && (!strcmp(state, "ready") || !strcmp(state, "preparing-for-installation") ||
	               !strcmp(state, "installing") || !strcmp(state, "finalizing") ||
	               !strcmp(state, "installed") || !strcmp(state, "adding-hosts"))))
		cluster_mark_ready(cl);
	if ((c = condition(obj, "Completed")) && cond_true(c)) {
		record_kube(cl);
		cluster_finish(cl, 0, NULL);
		return;
	}
	if (((c = condition(obj, "Failed")) && cond_true(c)) || ((c = condition(obj, "Stopped")) && cond_true(c))) {
		snprintf(why, sizeof(why), "AgentClusterInstall %s: %s: %.70s", cstr(c, "type"),
		         cstr(c, "reason"), cstr(c, "message"));
		record_kube(cl);
		cluster_finish(cl, 1, why);
	}
}

/* The InfraEnv's ImageCreated: an error is logged, not fatal: the real
 * controller retries it (a pull Secret created after the InfraEnv, as
 * retries under faults can order them, heals by itself). */
static void on_infraenv_event(struct swarm_cluster *cl, enum kube_watch_type type, const json_t *obj)
{
	const json_t *c = condition(obj, "ImageCreated");
	if (cl->finished || type == KUBE_WATCH_DELETED || !c || cond_true(c))
		return;
	if (!strcmp(cstr(c, "reason"), "ImageCreationError"))
		rt_log(cl->rt, 0, "%s: InfraEnv image: %.100s", cl->name, cstr(c, "message"));
}

static int host_by_id(struct swarm_cluster *cl, const char *id)
{
	for (unsigned j = 0; id && j < cl->nhosts; j++)
		if (!strcmp(cl->hosts[j].host_id, id))
			return (int)j;
	return -1;
}

static void on_agent_event(struct swarm_cluster *cl, enum kube_watch_type type, const json_t *obj)
{
	struct kdrv *d = kd_of(cl);
	const json_t *md = json_object_get(obj, "metadata");
	int j = host_by_id(cl, json_string_value(json_object_get(md, "name")));
	struct bmo_host *h;
	const char *state;
	if (j < 0 || type == KUBE_WATCH_DELETED || cl->finished)
		return;
	h = &d->hosts[j];
	if (!(h->flags & BF_AGENT)) {
		uint64_t now = sw_now_ns(), dt = h->t_created_ns && now > h->t_created_ns ? now - h->t_created_ns : 0;
		h->flags |= BF_AGENT;
		cl->rt->stats->kube.agents_registered++;
		hist_record(&cl->rt->stats->kube.to_agent, dt);
		if (dt / 1000000 > d->max_agent_ms)
			d->max_agent_ms = (uint32_t)(dt / 1000000);
	}
	state = json_string_value(json_object_get(json_object_get(json_object_get(obj, "status"),
	                                                          "debugInfo"), "state"));
	if (state && (!strcmp(state, "known-unbound") || !strcmp(state, "known")) &&
	    !(h->flags & BF_AGENT_KNOWN)) {
		h->flags |= BF_AGENT_KNOWN;
		d->agents_known++;
	}
	/* just_infraenv: nothing to install; done once every host is known
	 * (the original tool never ended there) */
	if (cl->shape && cl->shape->just_infraenv && d->agents_known >= cl->nhosts) {
		cluster_mark_ready(cl);
		record_kube(cl);
		cluster_finish(cl, 0, NULL);
	}
}

static void cleanup_done(struct swarm_cluster *cl, int gone, const char *why)
{
	struct kdrv *d = kd_of(cl);
	struct swarm_cluster_record *rec = cluster_record(cl);
	if (!d->cleanup_hold)
		return;
	d->cleanup_hold = 0;
	event_del(&d->ev);
	if (gone) {
		cl->rt->stats->kube.ns_deleted++;
	} else {
		cl->rt->stats->kube.ns_left++;
		rt_log(cl->rt, 1, "cleanup: namespace %s left: %s", cl->name, why);
	}
	if (rec)
		rec->kube_cleanup = gone ? 1 : 2;
	rt_owner_put(&cl->owner);
}

static void on_namespace_event(struct swarm_cluster *cl, enum kube_watch_type type, int from_list)
{
	struct kdrv *d = kd_of(cl);
	if (type == KUBE_WATCH_DELETED) {
		d->ns_gone = 1;
		if (d->state == KD_CLEANUP)
			cleanup_done(cl, 1, NULL);
	} else if (from_list) {
		d->ns_epoch = 1; /* seen by this list (kd_list_begin cleared it) */
	}
}

void kd_on_event(struct swarm_cluster *cl, enum kube_res_id res, enum kube_watch_type type,
                 json_t *obj, int from_list)
{
	struct kdrv *d = kd_of(cl);
	int j;
	if (!d)
		return;
	switch (res) {
	case KUBE_RES_BAREMETALHOST:
	case KUBE_RES_PREPROVISIONINGIMAGE:
		j = kd_host_of(cl, json_string_value(json_object_get(json_object_get(obj, "metadata"), "name")));
		if (j < 0)
			return;
		if (res == KUBE_RES_BAREMETALHOST) {
			if (from_list)
				d->hosts[j].epoch = 1; /* seen by this list */
			bmo_on_bmh(cl, (unsigned)j, type, obj);
		} else {
			bmo_on_ppi(cl, (unsigned)j, type, obj);
		}
		break;
	case KUBE_RES_AGENTCLUSTERINSTALL:
		on_aci_event(cl, type, obj, from_list);
		break;
	case KUBE_RES_INFRAENV:
		on_infraenv_event(cl, type, obj);
		break;
	case KUBE_RES_AGENT:
		on_agent_event(cl, type, obj);
		break;
	case KUBE_RES_NAMESPACE:
		on_namespace_event(cl, type, from_list);
		break;
	default:
		break;
	}
}

/* A relist: what the list does not bring again is gone. Hosts and the
 * namespace are marked as the list brings them (kd_on_event). */
void kd_list_begin(struct swarm_cluster *cl, enum kube_res_id res)
{
	struct kdrv *d = kd_of(cl);
	if (!d)
		return;
	if (res == KUBE_RES_NAMESPACE)
		d->ns_epoch = 0;
	else if (res == KUBE_RES_BAREMETALHOST)
		for (unsigned j = 0; j < cl->nhosts; j++)
			d->hosts[j].epoch = 0;
}

void kd_list_end(struct swarm_cluster *cl, enum kube_res_id res, uint64_t list_rv)
{
	struct kdrv *d = kd_of(cl);
	if (!d)
		return;
	if (res == KUBE_RES_NAMESPACE) {
		if (!d->ns_epoch && d->state == KD_CLEANUP)
			cleanup_done(cl, 1, NULL);
	} else if (res == KUBE_RES_BAREMETALHOST) {
		/* a BMH created after the list's snapshot is not in it */
		for (unsigned j = 0; j < cl->nhosts; j++)
			if ((d->hosts[j].flags & BF_EXISTS) && !d->hosts[j].epoch && d->hosts[j].rv &&
			    d->hosts[j].rv <= list_rv)
				bmo_on_bmh(cl, j, KUBE_WATCH_DELETED, NULL);
	}
}

/* ---- the end ---- */

static void on_cleanup_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct swarm_cluster *cl = arg;
	char why[96];
	(void)fd;
	(void)what;
	snprintf(why, sizeof(why), "still there after cleanup_timeout (%us)",
	         cl->rt->plan->cleanup_timeout_ms / 1000);
	cleanup_done(cl, 0, why);
}

static void on_ns_deleted(struct swarm_cluster *cl, int host, const struct kube_result *r)
{
	char why[128];
	(void)host;
	if (!r->err && (r->status == 404 || (r->status == 200 && kd_of(cl)->ns_gone))) {
		cleanup_done(cl, 1, NULL);
		return;
	}
	if (r->err || r->status / 100 != 2) {
		kd_reason(r, why, sizeof(why));
		cleanup_done(cl, 0, why);
	}
	/* 200/202: terminating; the watch tells when it is gone */
}

static void kd_finish(struct swarm_cluster *cl)
{
	struct kdrv *d = kd_of(cl);
	struct swarm_rt *rt = cl->rt;
	if (!d)
		return;
	record_kube(cl);
	if (cl->failed && rt->verbose) {
		char line[400];
		for (unsigned j = 0; j < cl->nhosts; j++) {
			bmo_describe(cl, j, line, sizeof(line));
			rt_log(rt, 0, "%s", line);
		}
	}
	for (unsigned j = 0; j < cl->nhosts; j++)
		bmo_cluster_finished(cl, j);
	if (!rt->plan->cleanup || rt->stopping || d->state == KD_NS) {
		d->state = KD_DONE;
		return;
	}
	d->state = KD_CLEANUP;
	d->cleanup_hold = 1;
	rt_owner_hold(&cl->owner);
	{
		uint64_t ms = rt->plan->cleanup_timeout_ms ? rt->plan->cleanup_timeout_ms : 600000;
		struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
		event_add(&d->ev, &tv);
	}
	kd_delete(cl, -1, KUBE_RES_NAMESPACE, cl->name, on_ns_deleted);
}

static void kd_free(struct swarm_cluster *cl)
{
	struct kdrv *d = kd_of(cl);
	struct kd_calls *l;
	if (!d)
		return;
	if (d->registered && d->ks && cl->rt->kube)
		kshard_remove(d->ks, cl);
	event_del(&d->ev);
	for (unsigned j = 0; d->hosts && j < cl->nhosts; j++)
		bmo_release(cl, j);
	/* calls the stopping shard dropped (their callbacks never ran) */
	l = calls_of(cl);
	while (l->head) {
		struct kd_call *k = l->head;
		l->head = k->next;
		free(k);
	}
	free(d->hosts);
	free(d->iso_url);
	free(cl->drv);
	cl->drv = NULL;
}

static void kd_host_mac(struct swarm_cluster *cl, unsigned idx, char out[IDS_MAC_LEN])
{
	struct kdrv *d = kd_of(cl);
	const uint8_t *m;
	if (!d || idx >= cl->nhosts || !(d->hosts[idx].flags & BF_EXISTS)) {
		ids_host_mac(cl->job.index, idx, out);
		return;
	}
	/* the emulated host has the MAC its BareMetalHost says it boots from */
	m = d->hosts[idx].mac;
	snprintf(out, IDS_MAC_LEN, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

const struct cluster_driver_ops cluster_driver_kube = {
	.name = "kube",
	.start = kd_start,
	.finish = kd_finish,
	.free = kd_free,
	.host_event = NULL,
	.host_mac = kd_host_mac,
};
