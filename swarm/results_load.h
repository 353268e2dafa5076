/*
 * results_load: reads a results file (scenarios/RESULTS.md) back into the
 * structures that wrote it: the merged swarm_stats (endpoints with their
 * histograms and status counts, totals, schedule and cluster-time
 * histograms, per-shape aggregates, cluster records) and the time series.
 * `swarm merge`, `swarm publish` and `swarm cleanup` start here, so every
 * malformed file is refused the same way, with the member named.
 *
 * Owns: struct results_file (results_file_free()).
 */
#ifndef SWARM_RESULTS_LOAD_H
#define SWARM_RESULTS_LOAD_H

#include <stddef.h>
#include <jansson.h>
#include "series.h"
#include "stats.h"

/* Error classes (the commands' exit codes, README "Pipelines and scale-out"). */
enum rl_err {
	RL_OK = 0,
	RL_UNREADABLE = 3,       /* cannot read, not JSON, truncated */
	RL_VERSION = 4,          /* another schema_version */
	RL_MALFORMED = 5,        /* not a swarm results file, or a member that does not decode */
};

struct results_file {
	char *path;
	json_t *doc;             /* the whole document */
	const char *run_id;      /* in |doc| */
	struct swarm_stats st;
	struct series *series;   /* NULL when the file has none */
	double duration_s;
	int exit_code;           /* -1 for a soak snapshot */
	int has_shard;           /* the "shard" member: */
	unsigned shard_index, shard_count;
	double start_at;         /* its start_at, 0 = none */
};

/*
 * Loads |path| into |out| (zeroed here). |want_series| 0 skips the series
 * (cleanup needs none). Returns RL_OK or an error class with "FILE: why"
 * (naming the member) in |err|. Frees: results_file_free().
 */
int results_load(const char *path, struct results_file *out, int want_series, char *err, size_t errlen);
void results_file_free(struct results_file *r);

#endif
