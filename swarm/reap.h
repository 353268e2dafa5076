/*
 * reap: deletes clusters and infra-envs from the service, on a shard
 * runtime (rt.h): a soak run's retention (a finished cluster is deleted a
 * while after it finished, so the service's database stays bounded) and
 * the cleanup command (every object of a run, at once). Idempotent: a 404
 * counts as "already gone".
 *
 * Per item: DELETE the cluster (its hosts go with it; a 409 for a cluster
 * still installing is answered with POST .../actions/cancel and one more
 * DELETE), then DELETE its infra-env (a 409 for hosts still bound is
 * answered by listing and deleting them, then one more DELETE). Each
 * deletion (or 404) is written to the run's journal (journal.h).
 *
 * At most |max_inflight| items at a time; items run in due-time order.
 * Owns its queue (reap_free()); calls live in rt (rt_cleanup() drops them).
 */
#ifndef SWARM_REAP_H
#define SWARM_REAP_H

#include <stdint.h>
#include "rt.h"

struct reap;

struct reap_counts {
	uint64_t clusters_deleted, clusters_gone, clusters_failed;
	uint64_t infra_envs_deleted, infra_envs_gone, infra_envs_failed;
	uint64_t hosts_deleted;
	uint64_t queued;            /* items waiting for their due time or a slot */
	uint64_t inflight;
};

/* A reaper on |rt| (whose ctx->journal, if any, gets the deletions).
 * Frees: reap_free() (after rt_cleanup()). Never NULL. */
struct reap *reap_new(struct swarm_rt *rt, unsigned max_inflight);
/* Every item (queued or in flight) is freed; calls must be gone (rt_cleanup). */
void reap_free(struct reap **rp);

/* Queues the deletion of |cluster_id| and/or |infra_env_id| (either may be
 * NULL or empty) at monotonic time |due_ns| (0 = now). Items must be added
 * in due order (a FIFO). */
void reap_add(struct reap *r, const char *cluster_id, const char *infra_env_id, uint64_t due_ns);
/* Makes every queued item due now (end of a soak run with cleanup). */
void reap_due_all(struct reap *r);
/* 1 when nothing is queued or in flight. */
int reap_idle(const struct reap *r);
/* |fn| runs (from the loop) each time the reaper becomes idle. */
void reap_on_idle(struct reap *r, void (*fn)(void *arg), void *arg);
/* The figures so far. */
struct reap_counts reap_counts(const struct reap *r);

#endif
