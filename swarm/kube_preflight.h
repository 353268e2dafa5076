/*
 * kube_preflight: kube mode's steps on the main thread, before the shards
 * and after them. Before: find and load the kubeconfig, connect to the hub,
 * check the swarm may use it (GET /version, then a one-item list of every
 * resource the run reads or writes: 401/403 and unknown resources end the
 * run before any object exists), then create the run's ClusterImageSet.
 * After (cleanup): delete that ClusterImageSet.
 */
#ifndef SWARM_KUBE_PREFLIGHT_H
#define SWARM_KUBE_PREFLIGHT_H

#include <stddef.h>
#include <event2/event.h>

#include "config.h"
#include "kubeconfig.h"
#include "stats.h"

/*
 * Runs the checks on |base| (blocking, bounded) against the hub of |kc|
 * (kubeconfig_load()ed) and creates the ClusterImageSet named |run_id|.
 * Requests are recorded in |st|. Returns 0, or a negative code with the
 * reason in |err| when the hub cannot be used (exit 4).
 */
int kpre_check(struct event_base *base, const struct swarm_service *svc, const char *run_id,
               const struct kubeconfig *kc, struct swarm_stats *st, char *err, size_t errlen);

/* The same checks without creating anything (`swarm check`): 0, or a
 * negative code with the reason in |err|. */
int kpre_access(struct event_base *base, const struct swarm_service *svc, const char *run_id,
                const struct kubeconfig *kc, struct swarm_stats *st, char *err, size_t errlen);

/* Deletes the ClusterImageSet |name| (cleanup). Returns 0 or a negative
 * code with the reason in |err|. */
int kpre_cleanup(struct event_base *base, const struct swarm_service *svc,
                 const struct kubeconfig *kc, const char *name, struct swarm_stats *st, char *err,
                 size_t errlen);

#endif
