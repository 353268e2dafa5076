/*
 * kstats: what kube mode measures, embedded in struct swarm_stats (one
 * writer per shard, merged like the rest): kube requests by verb, resource
 * and status code with their latency, watch events and restarts, BMHs by
 * provisioning state (a gauge), the time from a BMH's creation to
 * "provisioned" and to its Agent appearing, the hub's flow as detected, and
 * the cleanup's outcome. Also its outputs: the summary table, the results
 * member "kube" and the /metrics families.
 */
#ifndef SWARM_KSTATS_H
#define SWARM_KSTATS_H

#include <stdint.h>
#include <stdio.h>
#include <event2/buffer.h>
#include <jansson.h>

#include "hist.h"
#include "kube_path.h"
#include "kube_res.h"
#include "kube_watch.h"

/* BMH provisioning states the emulated BareMetal Operator writes. */
enum kstats_bmh_state {
	KB_NONE,            /* created, no status yet */
	KB_REGISTERING,
	KB_INSPECTING,
	KB_AVAILABLE,
	KB_PROVISIONING,
	KB_PROVISIONED,
	KB_DEPROVISIONING,
	KB_DELETED,         /* gone from the hub */
	KB_STATE_COUNT
};

/* Status codes kept apart; the rest fall into their class. */
#define KSTATS_CODES 20

struct swarm_kube_stats {
	uint64_t req[KUBE_VERB_COUNT][KUBE_RES_COUNT][KSTATS_CODES];
	struct hist lat[KUBE_VERB_COUNT][KUBE_RES_COUNT]; /* one exchange, send to answer (not watches) */
	uint64_t watch_events[KUBE_RES_COUNT][KUBE_WATCH_TYPE_COUNT];
	uint64_t watches, watch_restarts, watch_failures, lists, relists_expired;
	uint64_t conflicts;                      /* 409 Conflicts read again and re-applied */
	int64_t bmh_by_state[KB_STATE_COUNT];    /* gauge, hosts of running clusters */
	uint64_t bmh_created, bmh_provisioned, agents_registered;
	struct hist to_provisioned;              /* BMH creation -> status provisioned written */
	struct hist to_agent;                    /* BMH creation -> its Agent seen */
	uint64_t flow_image, flow_custom;        /* hosts provisioned through spec.image / customDeploy */
	uint64_t ppi_created;
	uint64_t ns_deleted, ns_left;            /* cleanup: namespaces gone / still there at the bound */
};

void kstats_init(struct swarm_kube_stats *k);
void kstats_merge(struct swarm_kube_stats *dst, const struct swarm_kube_stats *src);
/* Records one HTTP exchange of the kube client (an observer). */
void kstats_request(struct swarm_kube_stats *k, enum kube_verb verb, enum kube_res_id res, int err,
                    int status, uint64_t sent_ns, uint64_t done_ns);
/* The status code of slot |i| (0 = transport error; 1..5 = "1xx".."5xx" for
 * the rest of a class). */
int kstats_code(unsigned i);
/* Requests of every verb and resource. */
uint64_t kstats_total(const struct swarm_kube_stats *k);
/* Stable names: "registering", ... */
const char *kstats_bmh_state_name(enum kstats_bmh_state s);

struct swarm_stats;
struct swarm_cluster_record;
struct swarm_plan;
struct swarm_service;

/* The results member "kube" (scenarios/RESULTS.md) of a run with
 * |nshapes| shapes: kube mode's settings (|plan|, |svc|, may be NULL), the
 * counters, per-host figures (per BMH created) and per-shape times of the
 * clusters' slowest hosts. New reference. */
json_t *kstats_run_json(const struct swarm_stats *st, size_t nshapes, const struct swarm_plan *plan,
                        const struct swarm_service *svc);
/* A cluster record's member "kube". New reference. */
json_t *kstats_cluster_json(const struct swarm_cluster_record *r);
/* The summary section printed after the other tables. */
void kstats_print_run(FILE *out, const struct swarm_stats *st, size_t nshapes);
/* The swarm_kube_* families of /metrics. Returns 0 or SW_ERR_NOMEM. */
int kstats_metrics(struct evbuffer *out, const struct swarm_kube_stats *k);

#endif
