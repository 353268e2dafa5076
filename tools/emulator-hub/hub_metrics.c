/*
 * The hub's Prometheus families, named as the kube-apiserver's:
 * apiserver_request_total{verb,resource,code}, apiserver_request_duration_
 * seconds{verb,resource} (the apiserver's buckets), apiserver_longrunning_
 * requests{verb="WATCH",resource} (open watches), apiserver_watch_events_
 * total{group,version,kind}, apiserver_terminated_watchers_total{resource}
 * (watches ended because the client fell behind), apiserver_storage_objects
 * {resource}; then the controllers' families through the metrics hook.
 * Verbs are reported as the apiserver reports them (GET, LIST, WATCH,
 * POST, PUT, PATCH, DELETE, DELETECOLLECTION; "" for non-resource URLs).
 */
#include "hub_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"
#include "sw_xalloc.h"

static const char *const reported_verb[KUBE_VERB_COUNT + 1] = {
	"GET", "LIST", "WATCH", "POST", "PUT", "PATCH", "DELETE", "DELETECOLLECTION", "",
};

void hub_metrics_count(struct hub *h, int verb, int res, int code, uint64_t dur_ns)
{
	if (verb < 0 || verb > KUBE_VERB_COUNT || res < 0 || res > KUBE_RES_COUNT)
		return;
	struct hub_metric_cell *cells = h->m.req[verb][res];
	for (size_t i = 0; i < HUB_MAX_CODES; i++) {
		if (cells[i].count == 0 || cells[i].code == code) {
			cells[i].code = code;
			cells[i].count++;
			break;
		}
	}
	if (verb == KUBE_VERB_WATCH)
		return; /* the apiserver leaves long-running requests out of the latency histogram */
	struct hist **hp = &h->m.dur[verb][res];
	if (!*hp) {
		*hp = xmalloc(sizeof(struct hist));
		hist_init(*hp);
	}
	hist_record(*hp, dur_ns);
}

static const char *res_label(int res, char *buf, size_t len)
{
	if (res == KUBE_RES_COUNT)
		return "";
	kube_res_group_resource(kube_res_get((enum kube_res_id)res), buf, len);
	/* the apiserver's "resource" label is the plural alone */
	char *dot = strchr(buf, '.');
	if (dot)
		*dot = '\0';
	return buf;
}

void hub_metrics_render(struct hub *h, struct evbuffer *out)
{
	static const double le[] = {0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3,
	                            4, 5, 6, 8, 10, 15, 20, 30, 45, 60};
	const size_t nle = sizeof(le) / sizeof(le[0]);
	char rb[128], code[16];
	prom_family(out, "apiserver_request_total", "counter",
	            "Counter of apiserver requests broken out for each verb, resource and HTTP response code.");
	for (int v = 0; v <= KUBE_VERB_COUNT; v++) {
		for (int r = 0; r <= KUBE_RES_COUNT; r++) {
			for (size_t i = 0; i < HUB_MAX_CODES && h->m.req[v][r][i].count; i++) {
				snprintf(code, sizeof(code), "%d", h->m.req[v][r][i].code);
				const char *labels[] = {"verb", reported_verb[v], "resource", res_label(r, rb, sizeof(rb)),
				                        "code", code, NULL};
				prom_sample_u64(out, "apiserver_request_total", labels, h->m.req[v][r][i].count);
			}
		}
	}
	prom_family(out, "apiserver_request_duration_seconds", "histogram",
	            "Response latency distribution in seconds for each verb and resource.");
	for (int v = 0; v <= KUBE_VERB_COUNT; v++) {
		for (int r = 0; r <= KUBE_RES_COUNT; r++) {
			const struct hist *hs = h->m.dur[v][r];
			if (!hs || !hs->count)
				continue;
			uint64_t counts[sizeof(le) / sizeof(le[0]) + 1];
			hist_to_buckets(hs, le, nle, counts);
			const char *labels[] = {"verb", reported_verb[v], "resource", res_label(r, rb, sizeof(rb)), NULL};
			prom_histogram(out, "apiserver_request_duration_seconds", labels, le, counts, nle,
			               (double)hs->sum_ns / 1e9, hs->count);
		}
	}
	prom_family(out, "apiserver_longrunning_requests", "gauge",
	            "Gauge of all active long-running apiserver requests broken out by verb and resource.");
	for (int r = 0; r < KUBE_RES_COUNT; r++) {
		const char *labels[] = {"verb", "WATCH", "resource", res_label(r, rb, sizeof(rb)), NULL};
		prom_sample_u64(out, "apiserver_longrunning_requests", labels,
		                hub_watch_open(h, (enum kube_res_id)r));
	}
	prom_family(out, "apiserver_watch_events_total", "counter",
	            "Number of events sent in watch clients.");
	for (int r = 0; r < KUBE_RES_COUNT; r++) {
		const struct kube_res *kr = kube_res_get((enum kube_res_id)r);
		const char *labels[] = {"group", kr->group, "version", kr->version, "kind", kr->kind, NULL};
		prom_sample_u64(out, "apiserver_watch_events_total", labels, h->m.watch_events[r]);
	}
	prom_family(out, "apiserver_terminated_watchers_total", "counter",
	            "Counter of watchers closed due to unresponsiveness.");
	prom_sample_u64(out, "apiserver_terminated_watchers_total", NULL, h->m.watches_ended_slow);
	prom_family(out, "apiserver_storage_objects", "gauge",
	            "Number of stored objects at the time of last check split by kind.");
	for (int r = 0; r < KUBE_RES_COUNT; r++) {
		kube_res_group_resource(kube_res_get((enum kube_res_id)r), rb, sizeof(rb));
		const char *labels[] = {"resource", rb, NULL};
		prom_sample_u64(out, "apiserver_storage_objects", labels,
		                hub_store_count(h->store, (enum kube_res_id)r));
	}
	if (h->mhook)
		h->mhook(h->mhook_arg, out);
}
