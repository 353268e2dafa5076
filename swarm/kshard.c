/*
 * kshard: see kshard.h. The routing table maps a namespace name (= the
 * cluster's name) to its cluster, open addressing with tombstones; a shard
 * holds at most the clusters it runs at once. Events of namespaces no
 * cluster of this shard owns any more (a finished cluster's objects still
 * changing, the hub's own writes after a cleanup) are counted and dropped.
 */
#include "kshard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_informer.h"
#include "kube_int.h"
#include "rt.h"
#include "sw_err.h"
#include "sw_xalloc.h"

/* The resources watched, each with its own informer. */
static const enum kube_res_id watched[] = {
	KUBE_RES_BAREMETALHOST, KUBE_RES_PREPROVISIONINGIMAGE, KUBE_RES_AGENTCLUSTERINSTALL,
	KUBE_RES_INFRAENV, KUBE_RES_AGENT, KUBE_RES_NAMESPACE,
};
#define NWATCH (sizeof(watched) / sizeof(watched[0]))

struct ks_watch {
	struct kshard *ks;
	enum kube_res_id res;
	struct kube_informer *inf;
};

struct kshard {
	struct swarm_rt *rt;
	struct kube_client *kc;
	unsigned index;
	char selector[256];
	struct ks_watch w[NWATCH];
	struct swarm_cluster **slot;     /* NULL empty, TOMB deleted */
	size_t cap, used;                /* used: live + tombstones */
	uint64_t orphan_events;
};

static struct swarm_cluster tomb_storage;
#define TOMB (&tomb_storage)

static uint64_t hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static size_t find_slot(const struct kshard *ks, const char *name)
{
	size_t i = hash_name(name) & (ks->cap - 1);
	while (ks->slot[i]) {
		if (ks->slot[i] != TOMB && !strcmp(ks->slot[i]->name, name))
			return i;
		i = (i + 1) & (ks->cap - 1);
	}
	return SIZE_MAX;
}

static void grow(struct kshard *ks)
{
	size_t ocap = ks->cap;
	struct swarm_cluster **old = ks->slot;
	ks->cap = ocap ? ocap * 2 : 64;
	ks->slot = xcalloc(ks->cap, sizeof(*ks->slot));
	ks->used = 0;
	for (size_t i = 0; i < ocap; i++) {
		if (!old[i] || old[i] == TOMB)
			continue;
		size_t j = hash_name(old[i]->name) & (ks->cap - 1);
		while (ks->slot[j])
			j = (j + 1) & (ks->cap - 1);
		ks->slot[j] = old[i];
		ks->used++;
	}
	free(old);
}

void kshard_add(struct kshard *ks, struct swarm_cluster *cl)
{
	if ((ks->used + 1) * 2 > ks->cap)
		grow(ks);
	size_t i = hash_name(cl->name) & (ks->cap - 1);
	while (ks->slot[i] && ks->slot[i] != TOMB)
		i = (i + 1) & (ks->cap - 1);
	if (!ks->slot[i])
		ks->used++;
	ks->slot[i] = cl;
}

void kshard_remove(struct kshard *ks, struct swarm_cluster *cl)
{
	size_t i = ks->cap ? find_slot(ks, cl->name) : SIZE_MAX;
	if (i != SIZE_MAX && ks->slot[i] == cl)
		ks->slot[i] = TOMB;
}

static struct swarm_cluster *lookup(struct kshard *ks, const char *ns)
{
	size_t i;
	if (!ns || !ks->cap)
		return NULL;
	i = find_slot(ks, ns);
	return i == SIZE_MAX ? NULL : ks->slot[i];
}

/* ---- informer callbacks ---- */

static void on_event(void *arg, enum kube_watch_type type, json_t *obj, int from_list)
{
	struct ks_watch *w = arg;
	struct kshard *ks = w->ks;
	json_t *md = json_object_get(obj, "metadata");
	const char *ns = json_string_value(json_object_get(md, w->res == KUBE_RES_NAMESPACE ? "name"
	                                                                                  : "namespace"));
	struct swarm_cluster *cl;
	if (!from_list && (unsigned)type < KUBE_WATCH_TYPE_COUNT)
		ks->rt->stats->kube.watch_events[w->res][type]++;
	cl = lookup(ks, ns);
	if (!cl) {
		ks->orphan_events++;
		return;
	}
	kd_on_event(cl, w->res, type, obj, from_list);
}

static void each_cluster(struct kshard *ks, struct ks_watch *w, int begin)
{
	struct kube_informer_stats st;
	kube_informer_get_stats(w->inf, &st);
	for (size_t i = 0; i < ks->cap; i++) {
		struct swarm_cluster *cl = ks->slot[i];
		if (!cl || cl == TOMB)
			continue;
		if (begin)
			kd_list_begin(cl, w->res);
		else
			kd_list_end(cl, w->res, st.rv);
	}
}

static void on_list_begin(void *arg)
{
	each_cluster(((struct ks_watch *)arg)->ks, arg, 1);
}

static void on_list_end(void *arg)
{
	each_cluster(((struct ks_watch *)arg)->ks, arg, 0);
}

static const struct kube_informer_ops ops = {on_event, on_list_begin, on_list_end};

static void observe(void *arg, enum kube_verb verb, enum kube_res_id res, int err, int status,
                    uint64_t sent_ns, uint64_t done_ns)
{
	struct kshard *ks = arg;
	kstats_request(&ks->rt->stats->kube, verb, res, err, status, sent_ns, done_ns);
	/* the run's totals and per-operation table count kube calls too */
	stats_record_call(ks->rt->stats, EP_KUBE, err, status, sent_ns, sent_ns, done_ns);
}

/* ---- life ---- */

struct kshard *kshard_new(struct swarm_rt *rt, const struct kubeconfig *kc, enum sw_proto proto,
                          unsigned shard, char *err, size_t errlen)
{
	struct kshard *ks = xcalloc(1, sizeof(*ks));
	struct kube_client_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	kubeconfig_client_cfg(kc, &cfg.http);
	cfg.http.proto = proto;
	/* watches hold their stream; the rest multiplexes (HTTP/2) or takes
	 * one of these connections each (HTTP/1.1) */
	cfg.http.max_conns = proto == SW_PROTO_H1 || (proto == SW_PROTO_AUTO && !strncmp(kc->server,
	                     "http://", 7)) ? 32 : 4;
	cfg.bearer_token = kc->token;
	cfg.timer_prio = rt->timer_prio;
	cfg.seed = rt->plan ? rt->plan->seed ^ (0x6b73000000000000ull + shard) : shard;
	cfg.observe = observe;
	cfg.observe_arg = ks;
	ks->rt = rt;
	ks->index = shard;
	ks->kc = kube_client_new(rt->base, &cfg, err, errlen);
	if (!ks->kc) {
		free(ks);
		return NULL;
	}
	snprintf(ks->selector, sizeof(ks->selector), "%s=%s,%s=%u", KOBJ_RUN_LABEL, rt->ctx->run_id,
	         KOBJ_SHARD_LABEL, shard);
	for (size_t i = 0; i < NWATCH; i++) {
		ks->w[i].ks = ks;
		ks->w[i].res = watched[i];
		ks->w[i].inf = kube_informer_new(ks->kc, watched[i], ks->selector, &ops, &ks->w[i]);
		if (!ks->w[i].inf)
			x_oom(0);
	}
	return ks;
}

void kshard_start(struct kshard *ks)
{
	for (size_t i = 0; ks && i < NWATCH; i++)
		kube_informer_start(ks->w[i].inf);
}

void kshard_free(struct kshard **ksp)
{
	struct kshard *ks;
	if (!ksp || !*ksp)
		return;
	ks = *ksp;
	kube_client_free(&ks->kc); /* its informers with it */
	free(ks->slot);
	free(ks);
	*ksp = NULL;
}

struct kube_client *kshard_client(struct kshard *ks)
{
	return ks->kc;
}

unsigned kshard_index(const struct kshard *ks)
{
	return ks->index;
}

void kshard_gauges(struct kshard *ks)
{
	struct swarm_kube_stats *k = &ks->rt->stats->kube;
	k->watches = k->watch_restarts = k->watch_failures = k->lists = k->relists_expired = 0;
	for (size_t i = 0; i < NWATCH; i++) {
		struct kube_informer_stats st;
		kube_informer_get_stats(ks->w[i].inf, &st);
		k->watches += st.watches;
		k->watch_restarts += st.watch_restarts;
		k->watch_failures += st.watch_failures;
		k->lists += st.lists;
		k->relists_expired += st.relists_expired;
	}
}
