/*
 * ctl_queue: one controller's work queue and workers, built as
 * controller-runtime builds them:
 *  - keys (namespace, name) are deduplicated while they wait;
 *  - a key being reconciled is never reconciled twice at once: added again
 *    meanwhile, it is queued once the running reconcile finishes;
 *  - delayed adds (a reconcile's RequeueAfter; the earliest wins);
 *  - rate-limited re-adds after an error or Requeue: the default limiter of
 *    controller-runtime, the larger of a per-key exponential backoff
 *    (5 ms doubling up to 1000 s, reset when the key succeeds) and a
 *    10 per second token bucket with a burst of 100 (both divided by the
 *    queue's time scale);
 *  - N workers; a reconcile runs when a worker takes its key and holds that
 *    worker for the time it reports (the emulated API and database round
 *    trips it made), so queue depth and reconcile latency behave as with
 *    real controllers.
 * Time is passed in; the queue has no clock and no timers: its owner calls
 * ctl_queue_run() whenever ctl_queue_next_due() says. Not thread-safe.
 */
#ifndef CTL_QUEUE_H
#define CTL_QUEUE_H

#include <stdint.h>

#include "hist.h"

/* What one reconcile returns (controller-runtime's Result plus error). */
struct ctl_result {
	int error;                 /* the reconcile failed: re-added rate-limited */
	int requeue;               /* Result.Requeue: re-added rate-limited */
	uint64_t requeue_after_ns; /* Result.RequeueAfter (already scaled); wins over requeue */
	uint64_t busy_ns;          /* how long the reconcile holds its worker */
};

/* Reconciles |ns|/|name| ("" ns for cluster-scoped) at time |now_ns|; fills |res|
 * (zeroed by the caller). Must not free the queue. */
typedef void (*ctl_reconcile_fn)(void *arg, const char *ns, const char *name, uint64_t now_ns,
                                 struct ctl_result *res);

enum ctl_outcome { CTL_OK, CTL_ERROR, CTL_REQUEUE, CTL_REQUEUE_AFTER, CTL_OUTCOMES };

/* Counters and histograms (controller-runtime's and client-go's workqueue metrics). */
struct ctl_queue_stats {
	uint64_t adds;                    /* workqueue_adds_total */
	uint64_t retries;                 /* workqueue_retries_total (rate-limited adds) */
	uint64_t reconciles[CTL_OUTCOMES];/* controller_runtime_reconcile_total{result} */
	struct hist queue_wait;           /* workqueue_queue_duration_seconds */
	struct hist work;                 /* workqueue_work_duration_seconds = reconcile time */
};

struct ctl_queue;

/* A queue named |name| with |workers| (>= 1) workers calling |fn|(|arg|, ...);
 * |time_scale| (>= 1) divides the rate limiter's delays. Never NULL (aborts
 * on OOM). Frees: ctl_queue_free(). */
struct ctl_queue *ctl_queue_new(const char *name, unsigned workers, double time_scale,
                                ctl_reconcile_fn fn, void *arg);
void ctl_queue_free(struct ctl_queue **qp);

/* Adds a key now, or after |delay_ns|. */
void ctl_queue_add(struct ctl_queue *q, const char *ns, const char *name, uint64_t now_ns);
void ctl_queue_add_after(struct ctl_queue *q, const char *ns, const char *name, uint64_t delay_ns,
                         uint64_t now_ns);

/* Does everything due at |now_ns|: delayed keys become ready, finished
 * reconciles release their workers (and requeue as they asked), free workers
 * take ready keys. Runs at most |max_reconciles| reconciles (0 = no limit) so
 * a caller on an event loop stays responsive. Returns the number run. */
unsigned ctl_queue_run(struct ctl_queue *q, uint64_t now_ns, unsigned max_reconciles);

/* When ctl_queue_run() has something to do next: |now_ns| or later, or
 * UINT64_MAX when nothing is waiting or running. */
uint64_t ctl_queue_next_due(const struct ctl_queue *q, uint64_t now_ns);

const char *ctl_queue_name(const struct ctl_queue *q);
unsigned ctl_queue_workers(const struct ctl_queue *q);
/* Keys waiting to be taken (workqueue_depth). */
unsigned ctl_queue_depth(const struct ctl_queue *q);
/* Workers busy now (controller_runtime_active_workers). */
unsigned ctl_queue_active(const struct ctl_queue *q);
/* Keys known to the queue (waiting, delayed, running or backing off). */
unsigned ctl_queue_keys(const struct ctl_queue *q);
const struct ctl_queue_stats *ctl_queue_stats(const struct ctl_queue *q);

#endif
