/*
 * cluster: one emulated cluster in a shard: its identity (name, /16, VIPs),
 * its hosts (an array of agents), its controller, the record in the shard's
 * stats, and the driver that creates and installs it on the service through
 * a const vtable (REST: driver_rest.c; kube-api: driver_kube.c).
 *
 * Lifetime: cluster_new() -> ops->start() -> ... -> cluster_finish() (once;
 * silences every host, stops the controller, lets the driver clean up) ->
 * rt->cluster_idle() when no request is in flight any more -> cluster_free().
 *
 * To rt a cluster is the struct rt_owner of its calls (and of its hosts'):
 * cluster.c registers the owner hooks, among them the release hooks (the
 * cluster's last call gone: cluster_check_idle(); a host's last call gone:
 * agent_maybe_drop_link()).
 */
#ifndef SWARM_CLUSTER_H
#define SWARM_CLUSTER_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include "agent.h"
#include "ids.h"
#include "rt.h"
#include "shard.h"

struct swarm_cluster;
struct controller;

/* A way to create, install and watch a cluster on the service. */
struct cluster_driver_ops {
	const char *name;
	/* Creates the cluster's objects and boots its hosts. Returns 0 or SW_ERR_*
	 * (then the cluster is finished as failed by the caller). */
	int (*start)(struct swarm_cluster *cl);
	/* The cluster finished (installed, failed or aborted): stop timers, start
	 * optional cleanup calls. Must not free anything the calls still use. */
	void (*finish)(struct swarm_cluster *cl);
	/* Frees the driver state (no call in flight any more). */
	void (*free)(struct swarm_cluster *cl);
	/* The host |idx| became known-unbound etc.: optional progress hook. May be NULL. */
	void (*host_event)(struct swarm_cluster *cl, unsigned idx);
	/* The finished cluster's last call is gone (its hosts, installer and
	 * controller are quiet): the driver may start its cleanup calls now.
	 * Returns 1 when it started calls (the cluster is not idle yet), else 0.
	 * Not called while the runtime stops. May be NULL. */
	int (*drained)(struct swarm_cluster *cl);
	/* The MAC host |idx| reports (kube: the one its BareMetalHost boots
	 * from). May be NULL: ids_host_mac(). */
	void (*host_mac)(struct swarm_cluster *cl, unsigned idx, char out[IDS_MAC_LEN]);
};

extern const struct cluster_driver_ops cluster_driver_rest;
extern const struct cluster_driver_ops cluster_driver_kube;
/* For the tests' invariant check: 1 when the REST driver of |cl| has its
 * next action pending (timer armed or its call in flight) or is done. */
int driver_rest_pending_action(const struct swarm_cluster *cl);

struct swarm_cluster {
	struct swarm_rt *rt;
	const struct cluster_driver_ops *ops;
	void *drv;                       /* driver state */
	struct swarm_job job;
	uint64_t id_seed;                /* job seed mixed with the run id: host UUIDs */
	const struct swarm_shape *shape;
	struct swarm_cluster *next;      /* shard list */
	long rec;                        /* index of its record in rt->stats->clusters (-1 none) */
	char name[64];
	char cluster_id[IDS_UUID_LEN];
	char infra_env_id[IDS_UUID_LEN];
	struct rt_owner owner;           /* rt's view: live calls, hooks, X-Secret-Key (owner.agent_key,
	                                  * owned; NULL = rt->agent_token) */
	char *versions[4];               /* interned agent versions (owned) */
	struct ids_net net;
	char api_vip[IDS_IP_LEN], ingress_vip[IDS_IP_LEN], gateway[IDS_IP_LEN],
	     net_addr[IDS_IP_LEN], other_ip[IDS_IP_LEN];
	unsigned nhosts;                 /* control plane + workers */
	unsigned ncp;                    /* control plane hosts */
	int single_node;
	struct agent *hosts;
	struct controller *ctl;
	uint64_t t_start_ns;             /* actual start (monotonic) */
	unsigned rebooted, failed_hosts, known_hosts;
	uint8_t finished : 1, failed : 1, idle_notified : 1,
	        ctl_waiting : 1;             /* bootstrap rebooted before the cluster id was known */
	uint8_t holding : 1;             /* in its discovery hold (driver_rest.c) */
};

/* Creates cluster |job| in |rt| (identity derived, hosts initialised, no I/O),
 * driven by |ops|. Never returns NULL. Frees: cluster_free(). */
struct swarm_cluster *cluster_new(struct swarm_rt *rt, const struct swarm_job *job,
                                  const struct cluster_driver_ops *ops);
/* Frees |*clp| (no call may be in flight) and sets it NULL. NULL-safe. */
void cluster_free(struct swarm_cluster **clp);

/* A new call of |cl| for its host |host| (-1: a cluster call), as
 * rt_call_new(). Never returns NULL. */
static inline struct rt_call *cluster_call_new(struct swarm_cluster *cl, int host, enum swarm_ep ep,
                                               const char *method, const char *path)
{
	return rt_call_new(cl->rt, &cl->owner, host, ep, method, path);
}

/* The cluster whose rt view is |o| (never NULL). */
static inline struct swarm_cluster *cluster_of_owner(struct rt_owner *o)
{
	return (struct swarm_cluster *)(void *)((char *)o - offsetof(struct swarm_cluster, owner));
}

/* The cluster that owns call |c|; NULL for shard-level calls. */
static inline struct swarm_cluster *cluster_of(const struct rt_call *c)
{
	return c->owner ? cluster_of_owner(c->owner) : NULL;
}

/* Boots every host with a small per-host stagger. */
void cluster_boot_hosts(struct swarm_cluster *cl);
/* Returns the interned copy of agent version |v|: the run's image
 * (ctx->agent_image, not copied) when it is that, else a copy owned by the
 * cluster (at most 4 kept; past that the last slot is reused and its agents
 * re-point at the new copy). Never NULL. */
const char *cluster_intern_version(struct swarm_cluster *cl, const char *v);
/* The record of this cluster in the stats (NULL if none). */
struct swarm_cluster_record *cluster_record(struct swarm_cluster *cl);

/* The service's cluster id became known (kube: the AgentClusterInstall's
 * clusterMetadata.infraID or a host's install step): recorded, and a
 * controller that waited for it starts. */
void cluster_set_id(struct swarm_cluster *cl, const char *id);
/* The cluster reached ready (once): time to ready recorded. */
void cluster_mark_ready(struct swarm_cluster *cl);
/* Host |idx|'s MAC (the driver's host_mac, else ids_host_mac()). */
void cluster_host_mac(struct swarm_cluster *cl, unsigned idx, char out[IDS_MAC_LEN]);
/* Local auth: the token of an ISO URL (/byapikey/<token>/) becomes the
 * agents' X-Secret-Key (owner.agent_key). Returns NULL once taken, else why
 * not ("no /byapikey/ token", "... longer than 8192 bytes", ...). */
const char *cluster_take_agent_key(struct swarm_cluster *cl, const char *url);
/* Host |idx|'s hardware serial (disks, system serial). */
uint64_t cluster_host_serial(const struct swarm_cluster *cl, unsigned idx);

/* Hooks from hosts. */
void cluster_host_rebooted(struct swarm_cluster *cl, unsigned idx);
void cluster_host_failed(struct swarm_cluster *cl, unsigned idx, const char *why);

/* Ends the cluster once: |failed| with |why| (copied into the record) or
 * installed. Silences hosts, stops the controller, calls ops->finish and
 * the shard's cluster_finished hook. */
void cluster_finish(struct swarm_cluster *cl, int failed, const char *why);
/* Checks whether a finished cluster has no call left; tells the shard. */
void cluster_check_idle(struct swarm_cluster *cl);

/* Whole seconds since the cluster started (for the reply cache). */
uint32_t cluster_age_s(const struct swarm_cluster *cl);

#endif
