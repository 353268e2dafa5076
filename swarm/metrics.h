/*
 * metrics: renders merged swarm_stats as Prometheus text (prefix "swarm_",
 * base units, counters ending in _total, classic histograms in seconds,
 * bounded labels: operation, code, reason, phase). Serving is main.c's job
 * (sw_server on the main thread's loop).
 */
#ifndef SWARM_METRICS_H
#define SWARM_METRICS_H

#include <event2/buffer.h>
#include "stats.h"

/*
 * Appends the exposition of |st| to |out|. |run_id| and |version| label the
 * swarm_build_info / swarm_run_info series; |elapsed_s| is the run's age.
 * Returns 0, or SW_ERR_NOMEM when |out| could not grow (its text is then
 * incomplete: answer an error instead).
 */
int metrics_render(struct evbuffer *out, const struct swarm_stats *st, const char *run_id,
                   const char *version, double elapsed_s);

/* One classic histogram of |h| with the |n| upper bounds |le| (seconds):
 * name_bucket/_sum/_count. Returns 0 or SW_ERR_NOMEM. */
int metrics_histogram(struct evbuffer *out, const char *name, const char *const *labels,
                      const struct hist *h, const double *le, size_t n);

#endif
