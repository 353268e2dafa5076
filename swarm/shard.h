/*
 * shard: one shared-nothing event loop running a slice of the run's clusters
 * (with --threads N there are N shards, one per thread). Owns its
 * event_base, its sw_client, every cluster and agent object it starts, and
 * its swarm_stats.
 *
 * The main thread creates shards, hands each its cluster jobs, runs each
 * shard_run() on its own thread, reads shard_snapshot() periodically, and
 * may call shard_stop() (thread-safe) on SIGINT/timeout.
 */
#ifndef SWARM_SHARD_H
#define SWARM_SHARD_H

#include <stdatomic.h>
#include <stdint.h>
#include "config.h"
#include "stats.h"

struct swarm_shard;
struct kubeconfig;

/* One cluster to run: shape, deterministic identity, when it should start. */
struct swarm_job {
	unsigned index;          /* global cluster index (names, IDs and addresses derive from it) */
	unsigned shape;          /* index into plan->shapes */
	uint64_t start_ns;       /* intended start, ns after run start */
	uint64_t seed;           /* per-cluster seed (from plan seed and index) */
};

struct swarm_ctx {
	const struct swarm_plan *plan;
	const struct swarm_service *svc;
	const struct swarm_opts *opts;
	uint64_t run_start_ns;   /* monotonic time the run started (same for all shards) */
	char run_id[32];         /* e.g. "swarm-1700000000": prefix of object names */
	int versions_known;      /* component versions asked already: shards skip D0 */
	const char *agent_image; /* its versions["discovery-agent"], or NULL */
	int api_gen;             /* enum swarm_api_gen (apigen.h): decided before the shards
	                          * start; unknown = speak current, learn from answers */
	/* Clusters of the run not holding `until_end` that have not finished
	 * (every shard counts down; the holders end at 0). NULL: none count
	 * (tests). */
	atomic_ulong *finite_left;
	/* kube mode (main loaded and checked them) */
	const struct kubeconfig *kubeconfig;
	const char *kube_imageset; /* the run's ClusterImageSet */
	struct journal *journal; /* cleanup journal (journal.h, thread-safe appends), or NULL */
};

/* Creates a shard. |max_hosts| bounds hosts in flight in this shard.
 * Returns NULL with a message in |err| on failure. Frees: shard_free(). */
struct swarm_shard *shard_new(const struct swarm_ctx *ctx, unsigned shard_index,
                              unsigned max_hosts, char *err, size_t errlen);
/* Soak runs: instead of jobs, the shard starts the clusters of the plan's
 * endless stream (schedule.h, struct jobgen) with global indices first,
 * first + step, ... (before shard_run). Finished clusters are deleted after
 * the plan's soak retention and their records compacted. */
void shard_set_stream(struct swarm_shard *sh, uint64_t first, uint64_t step);
/* Adds a job (before shard_run). Returns 0 or SW_ERR_NOMEM. */
int shard_add_job(struct swarm_shard *sh, const struct swarm_job *job);
/* Runs the loop until every job finished (installed/failed) or shard_stop().
 * Returns 0 when every cluster installed, 1 when some failed, negative SW_ERR on setup errors. */
int shard_run(struct swarm_shard *sh);
/* Thread-safe: asks the loop to stop soon (pending clusters count as failed "aborted"). */
void shard_stop(struct swarm_shard *sh);
/* Thread-safe: deep-copies the shard's current stats into |out| (initialised). */
int shard_snapshot(struct swarm_shard *sh, struct swarm_stats *out);
/* Thread-safe: merges the shard's current stats into |out| (stats_merge();
 * no intermediate copy of its cluster records). With |take| (the final
 * merge, once the shard is done) the shard gives its records up
 * (stats_merge_take()): later snapshots have counters only. Returns 0,
 * SW_ERR_NOMEM or SW_ERR_INVALID. */
int shard_merge_into(struct swarm_shard *sh, struct swarm_stats *out, int take);
/*
 * Thread-safe: the shard's cumulative stats at its last series boundary
 * (counters and histograms, no cluster records). Every opts->series_interval
 * the shard's loop copies its stats into a cut slot; this returns the
 * boundary index of that copy (0 = none yet) and, when |out| (initialised)
 * is not NULL, copies it there. Once the shard's loop has finished it
 * returns UINT64_MAX and its final stats.
 */
uint64_t shard_series_get(struct swarm_shard *sh, struct swarm_stats *out);
/* Frees the shard (after shard_run returned). NULL-safe, sets *shp = NULL. */
void shard_free(struct swarm_shard **shp);

#endif
