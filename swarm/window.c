/*
 * window: rolling-window figures from the time series (see window.h).
 */
#include "window.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "prom.h"
#include "report.h"
#include "sw_err.h"

int window_compute(const struct series *s, double window_s, struct window *out)
{
	memset(out, 0, sizeof(*out));
	if (!s || !s->n)
		return 0;
	struct hist *h = malloc(sizeof(*h));
	if (!h)
		return SW_ERR_NOMEM;
	hist_init(h);
	const struct series_iv *last = &s->iv[s->n - 1];
	double from = last->t1 - window_s;
	size_t k = s->n - 1;
	while (k > 0 && s->iv[k - 1].t0 >= from - 1e-6)
		k--;
	/* Intervals k .. n-1 lie inside the window (at least the last one,
	 * however long: a series merged coarse by soak.series_intervals). */
	const struct series_iv *first = &s->iv[k < s->n ? k : s->n - 1];
	for (size_t i = k; i < s->n; i++) {
		const struct series_iv *iv = &s->iv[i];
		for (unsigned o = 0; o < iv->nops; o++) {
			out->requests += iv->ops[o].count;
			out->errors += iv->ops[o].errors;
			hsp_add_to(h, &iv->ops[o].service);
		}
	}
	const struct series_iv *before = k > 0 ? &s->iv[k - 1] : NULL;
	uint64_t inst0 = before ? before->installed : 0, fail0 = before ? before->failed : 0;
	out->seconds = last->t1 - first->t0;
	out->valid = out->seconds > 0;
	if (out->valid) {
		out->requests_per_s = (double)out->requests / out->seconds;
		out->installed_per_min = (double)(last->installed - inst0) * 60.0 / out->seconds;
		out->failed_per_min = (double)(last->failed - fail0) * 60.0 / out->seconds;
	}
	out->error_ratio = out->requests ? (double)out->errors / (double)out->requests : 0;
	out->p50_s = (double)hist_quantile(h, 0.5) / 1e9;
	out->p99_s = (double)hist_quantile(h, 0.99) / 1e9;
	free(h);
	return 0;
}

void window_format(const struct window *w, char *buf, size_t len)
{
	char span[16], p99[16];
	if (!w->valid) {
		snprintf(buf, len, "window: -");
		return;
	}
	report_fmt_duration((uint64_t)(w->seconds * 1e9), span, sizeof(span));
	report_fmt_duration((uint64_t)(w->p99_s * 1e9), p99, sizeof(p99));
	snprintf(buf, len, "last %s: %.0f req/s err %.2f%% p99 %s inst %.1f/min fail %.1f/min", span,
	         w->requests_per_s, w->error_ratio * 100.0, p99, w->installed_per_min, w->failed_per_min);
}

int window_render_metrics(struct evbuffer *out, const struct window *w)
{
	int bad = 0;
	static const struct {
		const char *name, *help;
		size_t off;
	} g[] = {
		{"swarm_window_seconds", "Span of the rolling window (soak.window, whole series intervals).",
		 offsetof(struct window, seconds)},
		{"swarm_window_requests_per_second", "Completed calls per second over the rolling window.",
		 offsetof(struct window, requests_per_s)},
		{"swarm_window_error_ratio", "Errors / calls over the rolling window.",
		 offsetof(struct window, error_ratio)},
		{"swarm_window_request_duration_p50_seconds", "Median service time over the rolling window.",
		 offsetof(struct window, p50_s)},
		{"swarm_window_request_duration_p99_seconds", "p99 service time over the rolling window.",
		 offsetof(struct window, p99_s)},
		{"swarm_window_clusters_installed_per_minute", "Clusters installed per minute over the rolling window.",
		 offsetof(struct window, installed_per_min)},
		{"swarm_window_clusters_failed_per_minute", "Clusters failed per minute over the rolling window.",
		 offsetof(struct window, failed_per_min)},
	};
	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		double v;
		memcpy(&v, (const char *)w + g[i].off, sizeof(v));
		bad |= prom_family(out, g[i].name, "gauge", g[i].help);
		bad |= prom_sample(out, g[i].name, NULL, v);
	}
	return bad ? SW_ERR_NOMEM : 0;
}
