/*
 * What makes the controllers reconcile: hub notifications (recorded in the
 * hub's callback, mapped to keys later, since the callback may not read the
 * hub) mapped as each real controller's SetupWithManager maps its watches,
 * and the model's change hooks, as the real service's CRD events handler.
 */
#include "ctl_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sw_xalloc.h"

static void on_change(void *arg, enum kube_watch_type type, const struct hub_blob *obj,
                      const struct hub_blob *prev)
{
	struct ctl *c = arg;
	struct ctl_ev *e = xcalloc(1, sizeof(*e));
	e->res = obj->res;
	e->type = type;
	e->obj = hub_blob_ref((struct hub_blob *)obj);
	e->prev = prev ? hub_blob_ref((struct hub_blob *)prev) : NULL;
	if (c->ev_tail)
		c->ev_tail->next = e;
	else
		c->ev_head = e;
	c->ev_tail = e;
	ctl_arm(c);
}

/* The resources some controller watches. */
static const enum kube_res_id watched[] = {
	KUBE_RES_SECRET, KUBE_RES_BAREMETALHOST, KUBE_RES_PREPROVISIONINGIMAGE, KUBE_RES_INFRAENV,
	KUBE_RES_NMSTATECONFIG, KUBE_RES_AGENT, KUBE_RES_AGENTCLUSTERINSTALL,
	KUBE_RES_CLUSTERDEPLOYMENT,
};

void ctl_watch_start(struct ctl *c)
{
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
		c->subs[watched[i]] = hub_subscribe(c->hub, watched[i], on_change, c);
}

static void ev_free(struct ctl_ev *e)
{
	hub_blob_unref(e->obj);
	hub_blob_unref(e->prev);
	free(e);
}

void ctl_watch_stop(struct ctl *c)
{
	for (int i = 0; i < KUBE_RES_COUNT; i++)
		hub_unsubscribe(c->hub, &c->subs[i]);
	while (c->ev_head) {
		struct ctl_ev *e = c->ev_head;
		c->ev_head = e->next;
		ev_free(e);
	}
	c->ev_tail = NULL;
}

/* ---- helpers over lists ---- */

struct list_ctx {
	struct ctl *c;
	const char *want;        /* a name / MAC to look for */
	const char *want2;
	enum ctl_id target;
	json_t *found;           /* ctl_bmh_for_agent */
	const json_t *obj;       /* the changed object */
};

/* InfraEnvs of |ns| whose pullSecretRef names the secret |want|. */
static int ie_by_secret(void *arg, const struct hub_blob *b)
{
	struct list_ctx *x = arg;
	json_t *o = hub_blob_parse(b);
	const char *ps = cj_str(o, "spec.pullSecretRef.name");
	if (ps && strcmp(ps, x->want) == 0)
		ctl_enqueue(x->c, x->target, b->ns, b->name);
	json_decref(o);
	return 0;
}

/* ClusterDeployments of |ns| whose pullSecretRef names the secret |want|. */
static int cd_by_secret(void *arg, const struct hub_blob *b)
{
	return ie_by_secret(arg, b); /* same field path */
}

/* InfraEnvs of |ns| selecting NMStateConfigs with one of |obj|'s labels
 * (matchLabels[k] == v, as the real mapping compares). */
static int ie_by_nmstate(void *arg, const struct hub_blob *b)
{
	struct list_ctx *x = arg;
	json_t *o = hub_blob_parse(b);
	json_t *ml = cj_get(o, "spec.nmStateConfigLabelSelector.matchLabels");
	const char *k;
	json_t *v;
	json_object_foreach(cj_get(x->obj, "metadata.labels"), k, v) {
		const char *want = json_string_value(json_object_get(ml, k));
		if (want && json_string_value(v) && strcmp(want, json_string_value(v)) == 0) {
			ctl_enqueue(x->c, CTL_INFRAENV, b->ns, b->name);
			break;
		}
	}
	json_decref(o);
	return 0;
}

/* BareMetalHosts of the InfraEnv |obj| (label, case-insensitive), filtered by
 * shouldReconcileBMH as mapInfraEnvToBMH does. */
static int bmh_by_infraenv(void *arg, const struct hub_blob *b)
{
	struct list_ctx *x = arg;
	const char *l = hub_blob_label(b, L_INFRAENV);
	if (!l || strcasecmp(l, x->want) != 0)
		return 0;
	json_t *bmh = hub_blob_parse(b);
	uint64_t wait = 0;
	int stop = 0;
	int go = ctl_bmac_should_reconcile(x->c, bmh, x->obj, &wait, &stop);
	if (go || wait)
		ctl_enqueue(x->c, CTL_BMAC, b->ns, b->name);
	json_decref(bmh);
	return 0;
}

static int ppi_by_infraenv(void *arg, const struct hub_blob *b)
{
	struct list_ctx *x = arg;
	const char *l = hub_blob_label(b, L_INFRAENV);
	if (l && strcmp(l, x->want) == 0)
		ctl_enqueue(x->c, CTL_PPI, b->ns, b->name);
	return 0;
}

/* Keeps the clusterRef index of InfraEnvs: |o| no longer (|add| 0) or now
 * (|add| 1) names its ClusterDeployment. */
static void index_cdref(struct ctl *c, const struct hub_blob *b, const json_t *o, int add)
{
	const char *n = cj_str(o, "spec.clusterRef.name"), *ns = cj_str(o, "spec.clusterRef.namespace");
	char key[520], item[520];
	if (!n || !ns)
		return;
	snprintf(key, sizeof(key), "%s/%s", ns, n);
	snprintf(item, sizeof(item), "%s/%s", b->ns, b->name);
	if (add)
		ctl_smap_set_add(c->ie_by_cdref, key, item);
	else
		ctl_smap_set_del(c->ie_by_cdref, key, item);
}

/* mapClusterDeploymentToInfraEnv: every InfraEnv whose clusterRef is |ns|/|name|. */
static void ie_by_cd(struct ctl *c, const char *ns, const char *name)
{
	char key[520], ins[256], iname[256];
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	const char *list = ctl_smap_get(c->ie_by_cdref, key);
	char *copy = list ? xstrdup(list) : NULL, *save = NULL;
	for (char *t = copy ? strtok_r(copy, "\n", &save) : NULL; t; t = strtok_r(NULL, "\n", &save))
		if (ctl_key_split(t, ins, sizeof(ins), iname, sizeof(iname)) == 0)
			ctl_enqueue(c, CTL_INFRAENV, ins, iname);
	free(copy);
}

/* Agents of the installed ClusterDeployment |obj| -> their BMHs. */
static int bmh_by_cd_agent(void *arg, const struct hub_blob *b)
{
	struct list_ctx *x = arg;
	json_t *a = hub_blob_parse(b);
	const char *cdn = cj_str(a, "spec.clusterDeploymentName.name");
	if (cdn && strcmp(cdn, x->want) == 0) {
		const char *bmh = cj_label(a, L_AGENT_BMH);
		if (bmh) {
			ctl_enqueue(x->c, CTL_BMAC, b->ns, bmh);
		} else {
			json_t *h = ctl_bmh_for_agent(x->c, a);
			if (h)
				ctl_enqueue(x->c, CTL_BMAC, cj_str(h, "metadata.namespace"),
				            cj_str(h, "metadata.name"));
			json_decref(h);
		}
	}
	json_decref(a);
	return 0;
}

static int bmh_mac_match(void *arg, const struct hub_blob *b)
{
	struct list_ctx *x = arg;
	size_t i;
	json_t *ifc;
	json_t *bmh = hub_blob_parse(b);
	const char *mac = cj_str(bmh, "spec.bootMACAddress");
	json_array_foreach(cj_get(x->obj, "status.inventory.interfaces"), i, ifc) {
		const char *m = json_string_value(json_object_get(ifc, "macAddress"));
		if (ctl_mac_eq(m, mac)) {
			x->found = bmh;
			return 1;
		}
	}
	json_decref(bmh);
	return 0;
}

json_t *ctl_bmh_for_agent(struct ctl *c, const json_t *agent)
{
	struct list_ctx x = {.c = c, .obj = agent};
	const char *ns = cj_str(agent, "metadata.namespace");
	if (!ns || !json_array_size(cj_get(agent, "status.inventory.interfaces")))
		return NULL;
	hub_list(c->hub, KUBE_RES_BAREMETALHOST, ns, NULL, bmh_mac_match, &x);
	return x.found;
}

/* ---- the mappings ---- */

static void map_event(struct ctl *c, const struct ctl_ev *e)
{
	const struct hub_blob *b = e->obj;
	const char *ns = b->ns, *name = b->name;
	struct list_ctx x = {.c = c};
	json_t *o = NULL;
	switch (e->res) {
	case KUBE_RES_SECRET:
		/* InfraEnv's and ClusterDeployment's mapPullSecretTo... */
		x.want = name;
		x.target = CTL_INFRAENV;
		hub_list(c->hub, KUBE_RES_INFRAENV, ns, NULL, ie_by_secret, &x);
		x.target = CTL_CD;
		hub_list(c->hub, KUBE_RES_CLUSTERDEPLOYMENT, ns, NULL, cd_by_secret, &x);
		break;
	case KUBE_RES_BAREMETALHOST:
		ctl_enqueue(c, CTL_BMAC, ns, name);
		ctl_enqueue(c, CTL_PPI, ns, name);       /* mapBMHtoPPI */
		break;
	case KUBE_RES_PREPROVISIONINGIMAGE:
		ctl_enqueue(c, CTL_PPI, ns, name);
		ctl_enqueue(c, CTL_BMAC, ns, name);      /* mapPPItoBMH */
		break;
	case KUBE_RES_NMSTATECONFIG:
		o = hub_blob_parse(b);
		if (json_object_size(cj_get(o, "metadata.labels"))) {
			x.obj = o;
			hub_list(c->hub, KUBE_RES_INFRAENV, ns, NULL, ie_by_nmstate, &x);
		}
		break;
	case KUBE_RES_INFRAENV:
		ctl_enqueue(c, CTL_INFRAENV, ns, name);
		o = hub_blob_parse(b);
		if (e->prev) {
			json_t *p = hub_blob_parse(e->prev);
			index_cdref(c, e->prev, p, 0);
			json_decref(p);
		}
		index_cdref(c, b, o, e->type != KUBE_WATCH_DELETED);
		if (e->type == KUBE_WATCH_DELETED)
			break;  /* the mapping functions Get it first: gone */
		x.obj = o;
		x.want = name;
		if (cj_str(o, "status.isoDownloadURL") && *cj_str(o, "status.isoDownloadURL"))
			hub_list(c->hub, KUBE_RES_BAREMETALHOST, ns, NULL, bmh_by_infraenv, &x);
		if (c->q[CTL_PPI])
			hub_list(c->hub, KUBE_RES_PREPROVISIONINGIMAGE, ns, NULL, ppi_by_infraenv, &x);
		break;
	case KUBE_RES_AGENT:
		ctl_enqueue(c, CTL_AGENT, ns, name);
		o = hub_blob_parse(b);
		/* ClusterDeployments: create and delete events only. The real
		 * update predicate compares SpecSynced conditions found by
		 * Reason == "SpecSynced", which never matches, so no update of an
		 * Agent reconciles its ClusterDeployment; the service's host
		 * events do. */
		if (e->type != KUBE_WATCH_MODIFIED) {
			const char *cdn = cj_str(o, "spec.clusterDeploymentName.name");
			const char *cdns = cj_str(o, "spec.clusterDeploymentName.namespace");
			if (cdn && cdns)
				ctl_enqueue(c, CTL_CD, cdns, cdn);
		}
		if (e->type != KUBE_WATCH_DELETED) {
			const char *bmh = cj_label(o, L_AGENT_BMH);
			if (bmh) {
				ctl_enqueue(c, CTL_BMAC, ns, bmh);
			} else {
				json_t *h = ctl_bmh_for_agent(c, o);
				if (h)
					ctl_enqueue(c, CTL_BMAC, ns, cj_str(h, "metadata.name"));
				json_decref(h);
			}
		}
		break;
	case KUBE_RES_AGENTCLUSTERINSTALL:
		ctl_enqueue(c, CTL_ACI, ns, name);
		o = hub_blob_parse(b);
		if (cj_str(o, "spec.clusterDeploymentRef.name")) {
			ctl_enqueue(c, CTL_CD, ns, cj_str(o, "spec.clusterDeploymentRef.name"));
			ctl_enqueue(c, CTL_HIVE, ns, cj_str(o, "spec.clusterDeploymentRef.name"));
		}
		break;
	case KUBE_RES_CLUSTERDEPLOYMENT:
		ctl_enqueue(c, CTL_CD, ns, name);
		ctl_enqueue(c, CTL_HIVE, ns, name);
		x.want = name;
		ie_by_cd(c, ns, name);
		if (e->type != KUBE_WATCH_DELETED) {
			o = hub_blob_parse(b);
			if (json_is_true(cj_get(o, "spec.installed"))) {
				struct kube_selector *sel = NULL;
				char err[128], s[300];
				snprintf(s, sizeof(s), L_CD_NAMESPACE "=%s", ns);
				if (kube_label_selector_parse(s, &sel, err, sizeof(err)) == 0) {
					hub_list(c->hub, KUBE_RES_AGENT, NULL, sel, bmh_by_cd_agent, &x);
					kube_selector_free(&sel);
				}
			}
		}
		break;
	default:
		break;
	}
	json_decref(o);
}

unsigned ctl_watch_drain(struct ctl *c)
{
	unsigned n = 0;
	/* bounded per call; the rest waits for the next run */
	while (c->ev_head && n < 4 * CTL_RUN_BATCH) {
		struct ctl_ev *e = c->ev_head;
		c->ev_head = e->next;
		if (!c->ev_head)
			c->ev_tail = NULL;
		map_event(c, e);
		ev_free(e);
		n++;
	}
	return n;
}

/* ---- model hooks ---- */

int ctl_hook_host_registered(void *arg, const char *infra_env_id, const char *host_id)
{
	struct ctl *c = arg;
	if (!ctl_keys_infraenv_key(c, infra_env_id))
		return 0; /* not a kube InfraEnv: no Agent CR (as in REST mode) */
	return ctl_agent_create_cr(c, infra_env_id, host_id);
}

void ctl_hook_host_changed(void *arg, const char *infra_env_id, const char *host_id,
                           const char *cluster_id)
{
	struct ctl *c = arg;
	char ns[256], name[256];
	const char *key = ctl_keys_infraenv_key(c, infra_env_id);
	if (key && ctl_key_split(key, ns, sizeof(ns), name, sizeof(name)) == 0)
		ctl_enqueue(c, CTL_AGENT, ns, host_id);
	if (cluster_id)
		ctl_hook_cluster_changed(c, cluster_id);
}

void ctl_hook_cluster_changed(void *arg, const char *cluster_id)
{
	struct ctl *c = arg;
	char ns[256], name[256];
	const char *key = ctl_keys_cluster_key(c, cluster_id);
	if (key && ctl_key_split(key, ns, sizeof(ns), name, sizeof(name)) == 0)
		ctl_enqueue(c, CTL_CD, ns, name);
}
