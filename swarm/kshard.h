/*
 * kshard: one shard's side of kube mode: its kube client to the hub (on the
 * shard's loop, with the shard's event priorities), one informer per
 * resource the run watches (BareMetalHosts, PreprovisioningImages,
 * AgentClusterInstalls, InfraEnvs, Agents, Namespaces), each scoped by the
 * run's and the shard's labels, and the routing of their events to the
 * cluster owning the namespace. Every kube exchange and watch event is
 * recorded in the shard's stats (kstats.h).
 */
#ifndef SWARM_KSHARD_H
#define SWARM_KSHARD_H

#include "kubeconfig.h"
#include "kube_client.h"

struct kshard;
struct swarm_rt;
struct swarm_cluster;

/* Creates the shard's kube client from |kc| (TLS set-up happens here) with
 * protocol |proto|. Returns NULL with a message in |err|. Frees: kshard_free(). */
struct kshard *kshard_new(struct swarm_rt *rt, const struct kubeconfig *kc, enum sw_proto proto,
                          unsigned shard, char *err, size_t errlen);
/* Starts the informers (list, then watch). */
void kshard_start(struct kshard *ks);
/* Drops every call and informer without callbacks. NULL-safe, *ksp = NULL. */
void kshard_free(struct kshard **ksp);

struct kube_client *kshard_client(struct kshard *ks);
unsigned kshard_index(const struct kshard *ks);
/* Routes events of namespace |cl->name| to |cl| / stops routing. */
void kshard_add(struct kshard *ks, struct swarm_cluster *cl);
void kshard_remove(struct kshard *ks, struct swarm_cluster *cl);
/* Copies the informers' counters into the shard's stats (before a publish). */
void kshard_gauges(struct kshard *ks);

#endif
