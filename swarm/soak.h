/*
 * soak: the plan's `soak` key (README "Soak and continuous runs"): a run
 * whose clusters keep arriving (at the plan's `arrival`, the shapes'
 * `amount`s as weights) until `duration` has passed or the run is stopped,
 * with finished clusters deleted after `retention` so the service's
 * database stays bounded, results snapshots every `snapshot_interval`, and
 * rolling-window figures over `window`. Durations are real time (not
 * divided by timings.time_scale).
 *
 * Owns: struct swarm_soak (soak_free()).
 */
#ifndef SWARM_SOAK_H
#define SWARM_SOAK_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>
#include "config.h"

struct swarm_soak {
	uint64_t duration_ns;       /* stop starting clusters after this; 0 = until stopped */
	uint64_t retention_ns;      /* delete a finished cluster this long after it finished (default 1m) */
	uint64_t snapshot_ns;       /* rewrite the results file this often; 0 = only at the end (default 1m) */
	uint64_t window_ns;         /* rolling window of progress and /metrics (default 5m) */
	unsigned series_intervals;  /* time series intervals kept before older ones are merged (default 64) */
	unsigned series_kib;        /* KiB the time series may hold before older intervals are merged (default 1024) */
	unsigned keep_failed;       /* failed cluster records kept in the results (default 100) */
};

/*
 * Loads the plan's `soak` value |node| (a mapping; NULL = absent) of |doc|
 * (plan file |path|) into a new |*out| (NULL when absent). Needs |plan|'s
 * shapes (one must have amount > 0). Returns 0, SW_ERR_INVALID with
 * "FILE:LINE:COL: key 'soak.K': ..." in |err|, or SW_ERR_NOMEM.
 */
int soak_load_yaml(struct swarm_soak **out, yaml_document_t *doc, yaml_node_t *node, const char *path,
                   const struct swarm_plan *plan, char *err, size_t errlen);
/* NULL-safe; sets *sp = NULL. */
void soak_free(struct swarm_soak **sp);

#endif
