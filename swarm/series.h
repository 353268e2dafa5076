/*
 * series: the run's time series (results "series.intervals"). Owned by the
 * main thread. Shards never call it: each shard copies its cumulative stats
 * into a cut slot at every interval boundary (shard_series_get()), and
 * series_poll() merges the cuts once every shard reached the same boundary
 * and stores the difference from the previous boundary as one interval:
 * requests and errors by operation and status class, a sparse latency
 * histogram per operation (exactly mergeable, see hist_sparse.h), hosts by
 * phase, clusters by state, lateness / start-delay / send-delay histograms,
 * saturation gauges, CPU, and the service's own metrics when scraped.
 * Nothing is added to the request path: recording costs one stats copy per
 * shard per interval.
 *
 * Memory: an interval keeps a few counters per operation and sparse
 * histograms (about 4 bytes per non-empty bucket), so a 1-hour run at 10 s
 * (360 intervals) stays in the low megabytes.
 */
#ifndef SWARM_SERIES_H
#define SWARM_SERIES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include "hist_sparse.h"
#include "stats.h"

struct swarm_shard;

/* Status classes of an interval: [0] calls without an HTTP answer
 * (transport errors), [1..5] 1xx..5xx. */
#define SERIES_CLASSES 6

struct series_op {
	unsigned ep;                     /* enum swarm_ep */
	uint64_t count, errors;
	uint64_t classes[SERIES_CLASSES];
	uint64_t intended_p99_ns;        /* from the intended send time */
	struct hsp service;              /* service time, this interval only */
	struct hsp intended;             /* from the intended send time, this interval only */
};

struct series_iv {
	double t0, t1;                   /* seconds after the run start */
	struct series_op *ops;           /* operations called in the interval */
	unsigned nops;
	int64_t hosts[HP_COUNT];         /* gauges at t1 */
	uint64_t clusters_total, started, ready, installed, failed; /* cumulative at t1 */
	int64_t calls_in_flight, hosts_waiting_slot;                /* gauges at t1 */
	uint64_t cpu_ns;                 /* shard CPU spent in the interval */
	struct hsp lateness, start_delay, send_delay;
	char *service_metrics;           /* compact JSON object, or NULL */
};

struct series {
	uint64_t interval_ns;
	struct swarm_stats *prev;        /* cumulative at the last cut */
	struct swarm_stats *acc, *tmp;   /* scratch for series_poll() */
	double prev_t;
	uint64_t last_seq;               /* last boundary index cut */
	struct series_iv *iv;
	size_t n, cap;
	size_t max;                      /* 0, or intervals kept before older ones merge (soak) */
	size_t max_bytes;                /* 0, or bytes the intervals may hold before older ones merge */
	char *svc_pending;               /* service metrics for the next cut (owned) */
};

/* Creates an empty series cut every |interval_ns|. NULL on allocation failure.
 * Frees: series_free(). */
struct series *series_new(uint64_t interval_ns);
/* Frees everything. NULL-safe; sets *sp = NULL. */
void series_free(struct series **sp);

/*
 * Appends the interval [previous cut, |t_end|] from the cumulative stats
 * |cum| (counters, histograms and gauges of the whole run so far).
 * Returns 0 or SW_ERR_NOMEM (the interval is then missing and the next one
 * spans both).
 */
int series_cut(struct series *s, const struct swarm_stats *cum, double t_end);

/*
 * Called periodically by the main thread: when every running shard has cut
 * the same boundary k (finished shards count with their final stats),
 * merges the cuts plus |extra| (the main thread's own calls, may be NULL)
 * and appends the interval ending at k x interval. Returns 1 when an
 * interval was added, 0 when not yet, SW_ERR_NOMEM.
 */
int series_poll(struct series *s, struct swarm_shard *const *shards, unsigned n,
                const struct swarm_stats *extra);

/*
 * Bounds the series to |max| intervals (>= 8; 0 = unbounded) and, when
 * |max_bytes| is not 0, to about that many bytes of intervals: when a cut
 * would exceed either, the oldest half is merged pairwise (series_merge.c),
 * again until both hold or 8 intervals are left. Old intervals get coarser
 * while the newest half keeps its resolution. The byte bound is what keeps
 * memory flat in a long run: a merged interval holds the union of its
 * halves' histogram buckets, so a count bound alone lets the oldest
 * intervals grow for hours.
 */
void series_set_max(struct series *s, size_t max, size_t max_bytes);
/* Bytes the intervals hold (counters, operations, histogram words, service
 * metrics): what |max_bytes| bounds. */
size_t series_bytes(const struct series *s);

/* Takes |json| (a compact JSON object text, malloc'd) as the service
 * metrics of the interval being recorded; replaces an older pending one. */
void series_set_service_metrics(struct series *s, char *json);

/* The JSON object of interval |i| (see scenarios/RESULTS.md). NULL on
 * allocation failure. */
json_t *series_interval_json(const struct series *s, size_t i);

/*
 * Writes the "series" value ({"interval_seconds": ..., "intervals": [...]})
 * to |f|, one interval at a time, so the whole series never exists as one
 * JSON tree. Returns 0, SW_ERR_NOMEM or SW_ERR_IO.
 */
int series_write(const struct series *s, FILE *f);

/* ---- series_merge.c: combining intervals and series ---- */

/* How series_iv_combine() treats gauges and cumulative counters. */
enum series_combine {
	SERIES_SUCCESSIVE,   /* |b| follows |a| in time: gauges and totals are |b|'s */
	SERIES_PARALLEL,     /* the same interval of two processes: everything adds up */
};
/* |out| (zeroed here) = |a| combined with |b|. Histograms add bucket by
 * bucket (exact). Returns 0 or SW_ERR_NOMEM. Frees: series_iv_free(). */
int series_iv_combine(struct series_iv *out, const struct series_iv *a, const struct series_iv *b,
                      enum series_combine how);
/* Deep copy. Returns 0 or SW_ERR_NOMEM. */
int series_iv_copy(struct series_iv *out, const struct series_iv *src);
void series_iv_free(struct series_iv *iv);
/* Bytes |iv| holds (see series_bytes()). */
size_t series_iv_bytes(const struct series_iv *iv);
/* Appends |iv| to |s| (taking its contents; |iv| is zeroed). 0 or SW_ERR_NOMEM. */
int series_append(struct series *s, struct series_iv *iv);
/* Merges the oldest half of |s| pairwise (the series_set_max() step). */
int series_halve(struct series *s);
/*
 * Reads one interval of a results file ("series.intervals[i]") into |out|.
 * Returns 0, or SW_ERR_INVALID with the member named in |err|.
 */
int series_iv_from_json(struct series_iv *out, const json_t *j, char *err, size_t errlen);

#endif
