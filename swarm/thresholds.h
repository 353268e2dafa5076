/*
 * thresholds: pass/fail criteria of a run, k6-style (README "Thresholds"):
 * the plan's `thresholds:` maps a metric with an optional tag
 * (`request_duration{operation:get_next_steps}`) to a list of expressions
 * (`p(99) < 500ms`), each a string or k6's object form
 * `{threshold: "...", abortOnFail: true, delayAbortEval: "10s"}`.
 *
 * Evaluated on merged swarm_stats: at the end of a run, during the run for
 * abortOnFail (from the shards' snapshots), and by `swarm merge` on the
 * stats rebuilt from several results files, so the verdict of N shards
 * merged is the verdict of one process doing the whole run.
 *
 * Owns: struct thr_set (thr_set_free()). No global state.
 */
#ifndef SWARM_THRESHOLDS_H
#define SWARM_THRESHOLDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include <yaml.h>
#include "config.h"
#include "stats.h"

enum thr_metric {
	THR_REQUEST_DURATION,           /* trend, ms: service time (operation) */
	THR_REQUEST_SCHEDULED_DURATION, /* trend, ms: from the intended send time (operation) */
	THR_REQUEST_SEND_DELAY,         /* trend, ms: intended -> actual send (no tag) */
	THR_REQUESTS,                   /* counter: calls (operation) */
	THR_REQUEST_ERRORS,             /* rate: errors / calls (operation) */
	THR_CLUSTER_INSTALL_DURATION,   /* trend, ms: cluster start -> installed (shape) */
	THR_CLUSTER_READY_DURATION,     /* trend, ms: cluster start -> ready (shape) */
	THR_CLUSTERS_INSTALLED,         /* counter (shape) */
	THR_CLUSTERS_FAILED,            /* counter (shape) */
	THR_CLUSTER_FAILURES,           /* rate: failed / finished (shape) */
	THR_SCHEDULE_LATENESS,          /* trend, ms: timer lateness (no tag) */
	THR_CLUSTER_START_DELAY,        /* trend, ms: intended -> actual cluster start (no tag) */
	THR_METRIC_COUNT
};

enum thr_agg { THR_AVG, THR_MIN, THR_MAX, THR_MED, THR_PCT, THR_COUNT, THR_RATE };
enum thr_cmp { THR_LT, THR_LE, THR_GT, THR_GE, THR_EQ, THR_NE };
enum thr_tag { THR_TAG_NONE, THR_TAG_OPERATION, THR_TAG_SHAPE };

struct thr_item {
	char *name;                 /* the key as written, e.g. "request_duration{operation:get_next_steps}" */
	char *expr;                 /* the expression as written, e.g. "p(99) < 500ms" */
	enum thr_metric metric;
	enum thr_tag tag;
	unsigned op;                /* enum swarm_ep, with THR_TAG_OPERATION */
	char *shape;                /* shape label or index, with THR_TAG_SHAPE */
	enum thr_agg agg;
	double pct;                 /* 0..100, with THR_PCT */
	enum thr_cmp cmp;
	double rhs;                 /* in the unit of thr_unit() */
	int abort_on_fail;
	uint64_t delay_abort_ns;    /* abortOnFail is not judged before this much run time */
	unsigned line, col;         /* of the expression scalar */
};

struct thr_set {
	struct thr_item *v;
	size_t n;
	int any_abort;              /* some item has abortOnFail */
};

/* One threshold's outcome. */
struct thr_result {
	int passed;
	int has_value;              /* 0: the metric had no sample (the threshold fails) */
	double value;               /* in thr_unit() */
};

/*
 * Loads the plan's `thresholds` value |node| (a mapping; NULL = none) of
 * |doc| (the plan |path|) into a new set |*out| (NULL when absent). Shape
 * tags are checked against |plan|'s shapes (labels as in the results file,
 * or indexes). Returns 0, SW_ERR_INVALID with "FILE:LINE:COL: key
 * 'thresholds.NAME[i]': ..." in |err|, or SW_ERR_NOMEM.
 * Frees: thr_set_free().
 */
int thr_load_yaml(struct thr_set **out, yaml_document_t *doc, yaml_node_t *node, const char *path,
                  const struct swarm_plan *plan, char *err, size_t errlen);
/* NULL-safe; sets *sp = NULL. */
void thr_set_free(struct thr_set **sp);

/*
 * Parses one expression ("p(99) < 500ms", "rate<0.01", "count == 0") for
 * |metric| into |it| (agg, pct, cmp, rhs). Returns 0, or SW_ERR_INVALID with
 * a message (without position) in |err|.
 */
int thr_parse_expr(enum thr_metric metric, const char *expr, struct thr_item *it, char *err,
                   size_t errlen);
/* Parses "metric" or "metric{tag:value}" into |it| (metric, tag, op, shape).
 * Returns 0 or SW_ERR_INVALID with a message, SW_ERR_NOMEM. */
int thr_parse_name(const char *name, struct thr_item *it, char *err, size_t errlen);

/* "ms", "ratio", "count" or "per_second": the unit of |it|'s value. */
const char *thr_unit(const struct thr_item *it);

/* What thresholds are evaluated on: merged stats, the run's length (for
 * per-second rates) and the label of each shape index (may be NULL). */
struct thr_view {
	const struct swarm_stats *st;
	double duration_s;
	const char *const *shape_labels;
	size_t nshape_labels;
};

/* Evaluates |it| on |v|. */
struct thr_result thr_eval(const struct thr_item *it, const struct thr_view *v);

/*
 * During the run: returns the index of the first abortOnFail threshold
 * that fails on |v| once |elapsed_ns| has passed its delayAbortEval (a
 * metric without samples yet does not abort), or -1.
 */
long thr_abort_check(const struct thr_set *set, const struct thr_view *v, uint64_t elapsed_ns);

/*
 * Evaluates every threshold of |set| on |v|: returns the results file's
 * "thresholds" array ({name, expression, passed, value, unit,
 * abort_on_fail, aborted}) and sets |*failed| to the number that failed.
 * |aborted_idx| is the threshold that aborted the run (-1 none). NULL on
 * allocation failure.
 */
json_t *thr_eval_json(const struct thr_set *set, const struct thr_view *v, long aborted_idx,
                      size_t *failed);


/* The label of each shape of |plan| (swarm_shape_label()), as a new
 * array of |plan|->nshapes strings. NULL when there are none or on
 * allocation failure. Frees: thr_labels_free(). */
char **thr_plan_labels(const struct swarm_plan *plan);
void thr_labels_free(char **labels, size_t n);

#endif
