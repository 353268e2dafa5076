/*
 * metrics: Prometheus exposition of swarm_stats (see metrics.h). Metric
 * names follow the conventions users of kube-burner/k6 dashboards expect:
 * one prefix, _seconds histograms, _total counters.
 */
#include "metrics.h"

#include <stddef.h>
#include <stdio.h>

#include "prom.h"
#include "sw_err.h"

/* Request latency buckets: 1 ms .. 60 s (service calls are ms-scale; a
 * stalled service shows up in the top buckets). */
static const double req_le[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                1, 2.5, 5, 10, 30, 60};
/* Cluster lifecycle buckets: 1 s .. 2 h. */
static const double life_le[] = {1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200};
/* Scheduling lateness buckets: 100 us .. 10 s. */
static const double late_le[] = {0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};

#define NLE(a) (sizeof(a) / sizeof((a)[0]))

static int metrics_render_saturation(struct evbuffer *out, const struct swarm_stats *st);
static int metrics_render_retries(struct evbuffer *out, const struct swarm_stats *st);

int metrics_histogram(struct evbuffer *out, const char *name, const char *const *labels,
                      const struct hist *h, const double *le, size_t n)
{
	uint64_t counts[32];
	hist_to_buckets(h, le, n, counts);
	return prom_histogram(out, name, labels, le, counts, n, (double)h->sum_ns / 1e9, h->count);
}

int metrics_render(struct evbuffer *out, const struct swarm_stats *st, const char *run_id,
                   const char *version, double elapsed_s)
{
	char code[8];
	int bad = 0; /* any writer that failed (SW_ERR_NOMEM) */
	{
		const char *l[] = {"version", version ? version : "unknown", "run_id",
		                   run_id ? run_id : "", NULL};
		bad |= prom_family(out, "swarm_build_info", "gauge", "Swarm version and run id (value 1).");
		bad |= prom_sample(out, "swarm_build_info", l, 1);
	}
	bad |= prom_family(out, "swarm_run_elapsed_seconds", "gauge", "Seconds since the run started.");
	bad |= prom_sample(out, "swarm_run_elapsed_seconds", NULL, elapsed_s);

	bad |= prom_family(out, "swarm_http_requests_total", "counter",
	                   "Completed calls to the service by operation and HTTP status (code=\"0\": transport error).");
	for (int e = 0; e < EP_COUNT; e++) {
		const struct swarm_ep_stats *s = &st->ep[e];
		if (!s->count)
			continue;
		uint64_t terr = 0;
		for (size_t c = 0; c < sizeof(s->transport_errors) / sizeof(s->transport_errors[0]); c++)
			terr += s->transport_errors[c];
		for (int c = 0; c < STATS_HTTP_CODES; c++) {
			if (!s->status[c])
				continue;
			snprintf(code, sizeof(code), "%d", c);
			const char *l[] = {"operation", stats_ep_name((enum swarm_ep)e), "code", code, NULL};
			bad |= prom_sample_u64(out, "swarm_http_requests_total", l, s->status[c]);
		}
		if (terr) {
			const char *l[] = {"operation", stats_ep_name((enum swarm_ep)e), "code", "0", NULL};
			bad |= prom_sample_u64(out, "swarm_http_requests_total", l, terr);
		}
	}
	bad |= prom_family(out, "swarm_http_request_errors_total", "counter",
	                   "Failed calls by operation and reason (HTTP status class or transport error name).");
	for (int e = 0; e < EP_COUNT; e++) {
		const struct swarm_ep_stats *s = &st->ep[e];
		if (!s->count)
			continue;
		uint64_t c4 = 0, c5 = 0;
		for (int c = 400; c < STATS_HTTP_CODES; c++)
			if (s->status[c] && stats_status_is_error((enum swarm_ep)e, c))
				*(c < 500 ? &c4 : &c5) += s->status[c];
		const char *op = stats_ep_name((enum swarm_ep)e);
		if (c4) {
			const char *l[] = {"operation", op, "reason", "http_4xx", NULL};
			bad |= prom_sample_u64(out, "swarm_http_request_errors_total", l, c4);
		}
		if (c5) {
			const char *l[] = {"operation", op, "reason", "http_5xx", NULL};
			bad |= prom_sample_u64(out, "swarm_http_request_errors_total", l, c5);
		}
		for (size_t c = 0; c < sizeof(s->transport_errors) / sizeof(s->transport_errors[0]); c++) {
			if (!s->transport_errors[c])
				continue;
			const char *l[] = {"operation", op, "reason", c ? sw_err_name(-(int)c) : "other", NULL};
			bad |= prom_sample_u64(out, "swarm_http_request_errors_total", l, s->transport_errors[c]);
		}
	}
	bad |= metrics_render_retries(out, st);
	bad |= prom_family(out, "swarm_http_request_duration_seconds", "histogram",
	                   "Service time of calls (request sent to response complete), by operation.");
	for (int e = 0; e < EP_COUNT; e++) {
		if (!st->ep[e].count)
			continue;
		const char *l[] = {"operation", stats_ep_name((enum swarm_ep)e), NULL};
		bad |= metrics_histogram(out, "swarm_http_request_duration_seconds", l, &st->ep[e].service, req_le, NLE(req_le));
	}
	bad |= prom_family(out, "swarm_http_request_scheduled_duration_seconds", "histogram",
	                   "Time from the intended send time to response complete (coordinated-omission corrected).");
	for (int e = 0; e < EP_COUNT; e++) {
		if (!st->ep[e].count)
			continue;
		const char *l[] = {"operation", stats_ep_name((enum swarm_ep)e), NULL};
		bad |= metrics_histogram(out, "swarm_http_request_scheduled_duration_seconds", l, &st->ep[e].intended, req_le,
		             NLE(req_le));
	}
	bad |= prom_family(out, "swarm_hosts", "gauge", "Emulated hosts by swarm-side phase.");
	for (int p = 0; p < HP_COUNT; p++) {
		const char *l[] = {"phase", stats_phase_name((enum swarm_host_phase)p), NULL};
		bad |= prom_sample(out, "swarm_hosts", l, (double)st->hosts_by_phase[p]);
	}
	bad |= prom_family(out, "swarm_clusters", "gauge", "Clusters of the plan (scheduled in this run).");
	bad |= prom_sample_u64(out, "swarm_clusters", NULL, st->clusters_total);
	static const struct {
		const char *name, *help;
		size_t off;
	} counters[] = {
		{"swarm_clusters_started_total", "Clusters started.", offsetof(struct swarm_stats, clusters_started)},
		{"swarm_clusters_ready_total", "Clusters that reached ready.", offsetof(struct swarm_stats, clusters_ready)},
		{"swarm_clusters_installed_total", "Clusters installed.", offsetof(struct swarm_stats, clusters_installed)},
		{"swarm_clusters_failed_total", "Clusters counted as failed.", offsetof(struct swarm_stats, clusters_failed)},
	};
	for (size_t i = 0; i < NLE(counters); i++) {
		bad |= prom_family(out, counters[i].name, "counter", counters[i].help);
		bad |= prom_sample_u64(out, counters[i].name, NULL,
		                       *(const uint64_t *)((const char *)st + counters[i].off));
	}
	bad |= prom_family(out, "swarm_cluster_ready_duration_seconds", "histogram", "Cluster creation to ready.");
	bad |= metrics_histogram(out, "swarm_cluster_ready_duration_seconds", NULL, &st->cluster_ready, life_le, NLE(life_le));
	bad |= prom_family(out, "swarm_cluster_installed_duration_seconds", "histogram",
	                   "Cluster creation to installed.");
	bad |= metrics_histogram(out, "swarm_cluster_installed_duration_seconds", NULL, &st->cluster_installed, life_le,
	             NLE(life_le));
	bad |= prom_family(out, "swarm_schedule_lateness_seconds", "histogram",
	                   "How late the swarm's timers fired versus their schedule (generator saturation).");
	bad |= metrics_histogram(out, "swarm_schedule_lateness_seconds", NULL, &st->lateness, late_le, NLE(late_le));
	bad |= prom_family(out, "swarm_cluster_start_delay_seconds", "histogram",
	                   "Cluster actual start minus intended start (arrival schedule slip).");
	bad |= metrics_histogram(out, "swarm_cluster_start_delay_seconds", NULL, &st->start_delay, life_le, NLE(life_le));
	bad |= prom_family(out, "swarm_cpu_seconds_total", "counter", "CPU time of the shard loops.");
	bad |= prom_sample(out, "swarm_cpu_seconds_total", NULL, (double)st->cpu_ns / 1e9);
	bad |= metrics_render_saturation(out, st);
	/* kube mode's families: the hub requests, watches and BMHs */
	if (kstats_total(&st->kube) || st->kube.bmh_created)
		bad |= kstats_metrics(out, &st->kube) < 0;
	return bad ? SW_ERR_NOMEM : 0;
}

/* Retries, never hidden: re-sends by the client on its own (a request the
 * service provably did not process: goaway, refused_stream,
 * conn_closed_before_response, not_sent, connect_failed) and by the retry
 * policy after an answer or a transport error (http_503, error_reset...).
 * Each failed attempt is also in requests_total and errors_total. */
static int metrics_render_retries(struct evbuffer *out, const struct swarm_stats *st)
{
	int bad = 0;
	char buf[48];
	bad |= prom_family(out, "swarm_http_request_retries_total", "counter",
	                   "Calls re-sent, by operation and reason (transport: goaway, refused_stream, "
	                   "conn_closed_before_response, not_sent, connect_failed; retry policy: "
	                   "http_<status>, error_<transport error>).");
	for (int e = 0; e < EP_COUNT; e++) {
		const struct swarm_ep_stats *s = &st->ep[e];
		uint64_t n;
		const char *reason;
		for (unsigned i = 0; (reason = stats_retry_slot(s, i, &n, buf, sizeof(buf))) != NULL; i++) {
			if (!n)
				continue;
			const char *l[] = {"operation", stats_ep_name((enum swarm_ep)e), "reason", reason, NULL};
			bad |= prom_sample_u64(out, "swarm_http_request_retries_total", l, n);
		}
	}
	bad |= prom_family(out, "swarm_http_goaways_total", "counter",
	                   "GOAWAYs received (HTTP/1.1: answers closing the connection unasked).");
	bad |= prom_sample_u64(out, "swarm_http_goaways_total", NULL, st->goaways);
	return bad ? SW_ERR_NOMEM : 0;
}

/* Saturation, the fourth golden signal, seen from the load generator. */
static int metrics_render_saturation(struct evbuffer *out, const struct swarm_stats *st)
{
	int bad = 0;
	bad |= prom_family(out, "swarm_http_requests_in_flight", "gauge",
	                   "Calls sent and not yet answered, or waiting for a retry.");
	bad |= prom_sample(out, "swarm_http_requests_in_flight", NULL, (double)st->calls_in_flight);
	bad |= prom_family(out, "swarm_hosts_waiting_for_slot", "gauge",
	                   "Hosts of clusters whose start time has come but MAX_CONCURRENT holds back.");
	bad |= prom_sample(out, "swarm_hosts_waiting_for_slot", NULL, (double)st->hosts_waiting_slot);
	bad |= prom_family(out, "swarm_http_request_send_delay_seconds", "histogram",
	                   "Intended send time to actual send (loop, connection or retry wait).");
	bad |= metrics_histogram(out, "swarm_http_request_send_delay_seconds", NULL, &st->send_delay, late_le, NLE(late_le));
	return bad ? SW_ERR_NOMEM : 0;
}
