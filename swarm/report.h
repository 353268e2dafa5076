/*
 * report: the run's outputs once it is over: the end-of-run summary tables
 * (stdout) and the results JSON file (schema: scenarios/RESULTS.md), both
 * from the merged swarm_stats of every shard. Also small formatting helpers
 * shared with the live progress line.
 */
#ifndef SWARM_REPORT_H
#define SWARM_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include "config.h"
#include "stats.h"

#define REPORT_SCHEMA_VERSION 2

/* Exit codes of the swarm binary (documented in --help and the README). */
enum swarm_exit {
	SWARM_EXIT_OK = 0,          /* every cluster installed */
	SWARM_EXIT_FAILED = 1,      /* some clusters failed */
	SWARM_EXIT_USAGE = 2,       /* usage or configuration error */
	SWARM_EXIT_ABORTED = 3,     /* SIGINT/SIGTERM or max_duration */
	SWARM_EXIT_UNREACHABLE = 4, /* service unreachable / setup failed at start */
	SWARM_EXIT_PUSH = 5,        /* every cluster installed, the Pushgateway push failed */
	SWARM_EXIT_RESULTS = 6,     /* the results file could not be written (any outcome) */
	SWARM_EXIT_THRESHOLDS = 99, /* a threshold failed (thresholds.h), k6's code */
};

/* Everything about the run that is not a measurement. Borrowed pointers. */
struct report_run {
	const char *run_id;
	const char *version;
	double start_wall;               /* UNIX seconds (wall clock, for humans only) */
	double end_wall;
	double duration_s;               /* monotonic run duration */
	const struct swarm_plan *plan;   /* may be NULL (tests) */
	const struct swarm_service *svc; /* may be NULL (tests) */
	const struct swarm_opts *opts;   /* may be NULL (tests) */
	int exit_code;                   /* enum swarm_exit; -1 while running (a soak snapshot) */
	const char *exit_reason;         /* "installed", "failed", "aborted", "signal", "max_duration", "unreachable" */
	const char *exit_message;        /* why a run could not start (one line), else NULL */
};

/* At most this many failed clusters are named in the summary (all of them
 * are in the results file), and this many distinct failure reasons counted. */
#define REPORT_FAILED_EXAMPLES 10
#define REPORT_FAILURE_REASONS 8

/* Returns the stable name of |code| ("ok", "failed", "usage", "aborted", "unreachable"). */
const char *report_exit_name(int code);

/* Returns "s" unless |n| is 1, for "1 cluster" / "2 clusters". */
const char *report_plural(uint64_t n);

/*
 * Formats |ns| for humans into |buf| ("850us", "12.3ms", "1.25s", "2m03s",
 * "1h02m") and returns |buf|.
 */
const char *report_fmt_duration(uint64_t ns, char *buf, size_t len);

/*
 * Builds the results document (schema_version REPORT_SCHEMA_VERSION) from
 * |st| and |run|. Never includes secrets (tokens, pull secret, SSH key).
 * Returns a new reference (caller json_decref()s it) or NULL on allocation
 * failure.
 */
json_t *report_json(const struct swarm_stats *st, const struct report_run *run);
/* report_json() with "clusters" left an empty array (the results writer
 * streams the records there one at a time: the tree of 10^5 records would
 * be the run's largest allocation). Same return and ownership. */
json_t *report_json_head(const struct swarm_stats *st, const struct report_run *run);
/* The "clusters" entry of record |r| (with "kube" in a kube-mode |run|).
 * New reference, or NULL on allocation failure. */
json_t *report_cluster_json(const struct swarm_cluster_record *r, const struct report_run *run);

/*
 * Writes report_json() to |path| (via a temporary file renamed into place,
 * so a reader never sees half a file). Returns 0, SW_ERR_NOMEM or SW_ERR_IO
 * with a message naming the path in |err|.
 */
int report_write_json(const char *path, const struct swarm_stats *st,
                      const struct report_run *run, char *err, size_t errlen);

/*
 * Prints the end-of-run summary of |st| to |out|: tables for a run that
 * started clusters; for one that never did (service unreachable), only the
 * header, the plan's cluster count and the errors of the calls it made.
 * Failed clusters are counted by reason, with at most REPORT_FAILED_EXAMPLES
 * of them named.
 */
void report_print(FILE *out, const struct swarm_stats *st, const struct report_run *run);

#endif
