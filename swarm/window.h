/*
 * window: rolling-window figures of a long run (the last `soak.window` of
 * the time series, series.h): request and error rates, the service-time
 * p50/p99 over every operation, and clusters installed and failed per
 * minute. Computed by the main thread from the intervals the series
 * already holds (their histograms merge exactly), shown in the progress
 * line and exported as swarm_window_* gauges on /metrics.
 */
#ifndef SWARM_WINDOW_H
#define SWARM_WINDOW_H

#include <stddef.h>
#include <stdint.h>
#include <event2/buffer.h>
#include "series.h"

struct window {
	int valid;                  /* 0: no interval recorded yet */
	double seconds;             /* span covered (whole intervals, may be shorter than asked) */
	uint64_t requests, errors;
	double requests_per_s, error_ratio;
	double p50_s, p99_s;        /* service time over every operation */
	double installed_per_min, failed_per_min;
};

/* Fills |out| from the intervals of |s| ending in the last |window_s|
 * seconds of it. Returns 0 or SW_ERR_NOMEM. */
int window_compute(const struct series *s, double window_s, struct window *out);
/* "5m: 120 req/s err 0.10% p99 12.5ms inst 3.0/min" into |buf|. */
void window_format(const struct window *w, char *buf, size_t len);
/* Appends the swarm_window_* gauges. Returns 0 or SW_ERR_NOMEM. */
int window_render_metrics(struct evbuffer *out, const struct window *w);

#endif
