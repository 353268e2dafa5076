/*
 * orch: the main thread's share of running in pipelines (README "Pipelines
 * and scale-out"): the orchestration options (--shard, --shards,
 * --run-id, --start-at, --journal, --check) and their environment
 * variables, the cleanup journal's life, thresholds (abortOnFail during
 * the run, the verdict and exit code 99 at the end), soak runs' results
 * snapshots and rolling window, and the results members they add
 * (thresholds, shard, journal, soak).
 *
 * main.c owns the run; it hands orch its figures through struct
 * orch_hooks and calls orch_tick() from its 100 ms check timer. Nothing
 * here runs on a shard thread.
 */
#ifndef SWARM_ORCH_H
#define SWARM_ORCH_H

#include <stddef.h>
#include <stdint.h>
#include <event2/buffer.h>
#include <jansson.h>
#include "config.h"
#include "report.h"
#include "series.h"
#include "shard.h"
#include "stats.h"
#include "window.h"

/* getopt_long codes of the orchestration options. */
enum {
	ORCH_OPT_SHARD = 0x1001,   /* --shard I/N */
	ORCH_OPT_SHARDS,           /* --shards N (index from JOB_COMPLETION_INDEX) */
	ORCH_OPT_RUN_ID,           /* --run-id ID */
	ORCH_OPT_START_AT,         /* --start-at UNIX_TIME */
	ORCH_OPT_JOURNAL,          /* --journal FILE|off */
	ORCH_OPT_CHECK,            /* --check */
};

#define ORCH_RUN_ID_MAX 31     /* swarm_ctx.run_id holds 31 characters */

/* Applies option |c| with |arg| to |o|. Returns -1 (go on) or an exit code
 * (2, with the message printed). */
int orch_opt(int c, const char *arg, struct swarm_opts *o);
/* After the options: JOB_COMPLETION_INDEX with --shards N or
 * SWARM_SHARD_COUNT, SWARM_RUN_ID and SWARM_START_AT fill what the command
 * line left unset; checks the combination. Returns -1 or exit code 2. */
int orch_env(struct swarm_opts *o);
/* Parses the decimal |s| (no sign) into |*out| when lo <= value <= hi:
 * returns 0, else -1. */
int orch_parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out);
/* 1 when |id| is a valid run id: [a-z0-9][a-z0-9-]*, at most 31 characters
 * (it becomes part of DNS-label object names). */
int orch_run_id_ok(const char *id);

/* What orch asks of main.c. */
struct orch_hooks {
	void *arg;
	/* The run's merged stats right now (initialised by the callee, the
	 * caller stats_free()s them). Returns 0 or SW_ERR_NOMEM. */
	int (*snapshot)(void *arg, struct swarm_stats *out);
	/* Stop the run: a threshold with abortOnFail failed. */
	void (*abort)(void *arg);
};

struct orch {
	const struct swarm_opts *opts;
	const struct swarm_plan *plan;
	const struct swarm_service *svc;
	const char *version;
	struct orch_hooks hooks;
	struct series *series;         /* main.c's, may be NULL */
	struct journal *journal;
	char journal_path[4096];
	char run_id[32];
	double start_wall;
	uint64_t run_start_ns;
	char **labels;                 /* shape labels for thresholds */
	long aborted_thr;              /* the threshold that aborted the run, -1 none */
	uint64_t next_thr_ns, next_snap_ns, next_window_ns;
	struct window win;
	char window_text[160];         /* for the progress line ("" = none) */
	unsigned snapshots;
};

/* Sets |o| up (no I/O). */
void orch_init(struct orch *o, const struct swarm_opts *opts, const struct swarm_plan *plan,
               const struct swarm_service *svc, const char *version);

/*
 * Before the shards start: opens the journal (default "<results>.journal",
 * unless --journal off) and puts it into |ctx|; bounds |series| for soak
 * runs. Returns 0, or SW_ERR_IO / SW_ERR_NOMEM with a message (the run
 * cannot promise a cleanup: exit 2).
 */
int orch_begin(struct orch *o, struct swarm_ctx *ctx, struct series *series, double start_wall,
               char *err, size_t errlen);

/* --start-at: sleeps until that UNIX time and returns the monotonic time
 * that corresponds to it (the run's clock start); without it, now. */
uint64_t orch_wait_start(const struct orch *o);

/* From main's 100 ms timer: flushes the journal, checks abortOnFail
 * thresholds (every second), writes soak snapshots and refreshes the
 * rolling window. */
void orch_tick(struct orch *o, uint64_t now_ns);

/* Appends the swarm_window_* gauges (soak runs) to a /metrics answer.
 * Returns 0 or SW_ERR_NOMEM. */
int orch_render_metrics(const struct orch *o, struct evbuffer *out);

/*
 * At the end: evaluates the thresholds on |final|, applies the exit code
 * precedence to |*code| / |*reason| and returns the results members
 * (thresholds, shard, journal, soak) as a new object, or NULL on
 * allocation failure. orch_print_thresholds() shows its "thresholds".
 */
json_t *orch_finish(struct orch *o, const struct swarm_stats *final, double duration_s,
                    int stopped_by_threshold, int *code, const char **reason);

/* Prints the summary table of a "thresholds" array (thr_eval_json(),
 * orch_finish()); nothing when it is NULL or empty. */
void orch_print_thresholds(FILE *out, const json_t *results);

/* Closes the journal with the "end" record; frees everything. */
void orch_free(struct orch *o, int exit_code, double t);

#endif
