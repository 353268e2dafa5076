/*
 * kstats: kube mode's measurements and their outputs (see kstats.h).
 */
#include "kstats.h"

#include <stdlib.h>
#include <string.h>

#include "prom.h"
#include "config.h"
#include "metrics.h"
#include "report.h"
#include "stats.h"
#include "sw_err.h"

/* Codes kept apart (slot i > 5); slots 1..5 are the rest of each class. */
static const int codes[KSTATS_CODES] = {0,   100, 200, 300, 400, 500, 200, 201, 400, 401,
                                        403, 404, 409, 410, 415, 422, 429, 500, 503, 504};

static const char *const bmh_names[KB_STATE_COUNT] = {
	"none", "registering", "inspecting", "available", "provisioning", "provisioned",
	"deprovisioning", "deleted",
};

static const double lat_le[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                1, 2.5, 5, 10, 30, 60};
static const double life_le[] = {1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200};
#define NLE(a) (sizeof(a) / sizeof((a)[0]))

const char *kstats_bmh_state_name(enum kstats_bmh_state s)
{
	return (unsigned)s < KB_STATE_COUNT ? bmh_names[s] : "unknown";
}

int kstats_code(unsigned i)
{
	return i < KSTATS_CODES ? codes[i] : 0;
}

static unsigned code_slot(int err, int status)
{
	if (err || status <= 0)
		return 0;
	for (unsigned i = 6; i < KSTATS_CODES; i++)
		if (codes[i] == status)
			return i;
	return status >= 100 && status < 600 ? (unsigned)(status / 100) : 0;
}

void kstats_init(struct swarm_kube_stats *k)
{
	memset(k, 0, sizeof(*k));
	for (unsigned v = 0; v < KUBE_VERB_COUNT; v++)
		for (unsigned r = 0; r < KUBE_RES_COUNT; r++)
			hist_init(&k->lat[v][r]);
	hist_init(&k->to_provisioned);
	hist_init(&k->to_agent);
}

void kstats_merge(struct swarm_kube_stats *d, const struct swarm_kube_stats *s)
{
	for (unsigned v = 0; v < KUBE_VERB_COUNT; v++) {
		for (unsigned r = 0; r < KUBE_RES_COUNT; r++) {
			for (unsigned c = 0; c < KSTATS_CODES; c++)
				d->req[v][r][c] += s->req[v][r][c];
			if (s->lat[v][r].count)
				hist_merge(&d->lat[v][r], &s->lat[v][r]);
		}
	}
	for (unsigned r = 0; r < KUBE_RES_COUNT; r++)
		for (unsigned t = 0; t < KUBE_WATCH_TYPE_COUNT; t++)
			d->watch_events[r][t] += s->watch_events[r][t];
	d->watches += s->watches;
	d->watch_restarts += s->watch_restarts;
	d->watch_failures += s->watch_failures;
	d->lists += s->lists;
	d->relists_expired += s->relists_expired;
	d->conflicts += s->conflicts;
	for (unsigned i = 0; i < KB_STATE_COUNT; i++)
		d->bmh_by_state[i] += s->bmh_by_state[i];
	d->bmh_created += s->bmh_created;
	d->bmh_provisioned += s->bmh_provisioned;
	d->agents_registered += s->agents_registered;
	hist_merge(&d->to_provisioned, &s->to_provisioned);
	hist_merge(&d->to_agent, &s->to_agent);
	d->flow_image += s->flow_image;
	d->flow_custom += s->flow_custom;
	d->ppi_created += s->ppi_created;
	d->ns_deleted += s->ns_deleted;
	d->ns_left += s->ns_left;
}

void kstats_request(struct swarm_kube_stats *k, enum kube_verb verb, enum kube_res_id res, int err,
                    int status, uint64_t sent_ns, uint64_t done_ns)
{
	if ((unsigned)verb >= KUBE_VERB_COUNT || (unsigned)res >= KUBE_RES_COUNT)
		return;
	k->req[verb][res][code_slot(err, status)]++;
	/* a watch's time is the stream's life, not an answer's latency */
	if (verb != KUBE_VERB_WATCH)
		hist_record(&k->lat[verb][res], done_ns > sent_ns ? done_ns - sent_ns : 0);
}

uint64_t kstats_total(const struct swarm_kube_stats *k)
{
	uint64_t n = 0;
	for (unsigned v = 0; v < KUBE_VERB_COUNT; v++)
		for (unsigned r = 0; r < KUBE_RES_COUNT; r++)
			for (unsigned c = 0; c < KSTATS_CODES; c++)
				n += k->req[v][r][c];
	return n;
}

static uint64_t pair_total(const struct swarm_kube_stats *k, unsigned v, unsigned r)
{
	uint64_t n = 0;
	for (unsigned c = 0; c < KSTATS_CODES; c++)
		n += k->req[v][r][c];
	return n;
}

static void code_name(unsigned slot, char *buf, size_t len)
{
	if (slot == 0)
		snprintf(buf, len, "0");
	else if (slot < 6)
		snprintf(buf, len, "%dxx", (codes[slot] / 100) % 10);
	else
		snprintf(buf, len, "%d", codes[slot]);
}

static json_t *hist_summary(const struct hist *h)
{
	return json_pack("{s:I,s:f,s:f,s:f,s:f}", "count", (json_int_t)h->count,
	                 "p50_seconds", (double)hist_quantile(h, 0.5) / 1e9,
	                 "p90_seconds", (double)hist_quantile(h, 0.9) / 1e9,
	                 "p99_seconds", (double)hist_quantile(h, 0.99) / 1e9,
	                 "max_seconds", (double)h->max_ns / 1e9);
}

static json_t *kstats_json(const struct swarm_kube_stats *k, uint64_t hosts)
{
	json_t *o = json_object(), *reqs = json_array(), *we = json_object(), *states = json_object();
	uint64_t total = kstats_total(k), events = 0;
	char cn[16];
	for (unsigned v = 0; v < KUBE_VERB_COUNT; v++) {
		for (unsigned r = 0; r < KUBE_RES_COUNT; r++) {
			uint64_t n = pair_total(k, v, r);
			if (!n)
				continue;
			json_t *c = json_object();
			for (unsigned s = 0; s < KSTATS_CODES; s++) {
				if (!k->req[v][r][s])
					continue;
				code_name(s, cn, sizeof(cn));
				json_object_set_new(c, cn, json_integer((json_int_t)k->req[v][r][s]));
			}
			json_t *e = json_pack("{s:s,s:s,s:I,s:o}", "verb", kube_verb_name((enum kube_verb)v),
			                      "resource", kube_res_get((enum kube_res_id)r)->plural,
			                      "count", (json_int_t)n, "codes", c);
			if (v != KUBE_VERB_WATCH)
				json_object_set_new(e, "latency", hist_summary(&k->lat[v][r]));
			json_array_append_new(reqs, e);
		}
	}
	for (unsigned r = 0; r < KUBE_RES_COUNT; r++) {
		json_t *t = NULL;
		for (unsigned i = 0; i < KUBE_WATCH_TYPE_COUNT; i++) {
			if (!k->watch_events[r][i])
				continue;
			if (!t)
				t = json_object();
			json_object_set_new(t, kube_watch_type_name((enum kube_watch_type)i),
			                    json_integer((json_int_t)k->watch_events[r][i]));
			events += k->watch_events[r][i];
		}
		if (t)
			json_object_set_new(we, kube_res_get((enum kube_res_id)r)->plural, t);
	}
	for (unsigned i = 0; i < KB_STATE_COUNT; i++)
		json_object_set_new(states, bmh_names[i], json_integer(k->bmh_by_state[i]));
	json_object_set_new(o, "requests_total", json_integer((json_int_t)total));
	json_object_set_new(o, "requests", reqs);
	json_object_set_new(o, "watch_events_total", json_integer((json_int_t)events));
	json_object_set_new(o, "watch_events", we);
	json_object_set_new(o, "watch", json_pack("{s:I,s:I,s:I,s:I,s:I}", "watches", (json_int_t)k->watches,
	                                           "restarts", (json_int_t)k->watch_restarts,
	                                           "failures", (json_int_t)k->watch_failures,
	                                           "lists", (json_int_t)k->lists,
	                                           "relists_expired", (json_int_t)k->relists_expired));
	json_object_set_new(o, "conflicts_retried", json_integer((json_int_t)k->conflicts));
	json_object_set_new(o, "bmh_by_state", states);
	json_object_set_new(o, "bmh", json_pack("{s:I,s:I,s:I,s:I}", "created", (json_int_t)k->bmh_created,
	                                         "provisioned", (json_int_t)k->bmh_provisioned,
	                                         "agents_registered", (json_int_t)k->agents_registered,
	                                         "preprovisioning_images", (json_int_t)k->ppi_created));
	json_object_set_new(o, "bmh_to_provisioned", hist_summary(&k->to_provisioned));
	json_object_set_new(o, "bmh_to_agent_registered", hist_summary(&k->to_agent));
	json_object_set_new(o, "flow", json_pack("{s:s,s:I,s:I}", "detected",
	                                         k->flow_image && k->flow_custom ? "mixed" :
	                                         k->flow_custom ? "converged" :
	                                         k->flow_image ? "non-converged" : "unknown",
	                                         "hosts_image", (json_int_t)k->flow_image,
	                                         "hosts_custom_deploy", (json_int_t)k->flow_custom));
	json_object_set_new(o, "cleanup", json_pack("{s:I,s:I}", "namespaces_deleted",
	                                            (json_int_t)k->ns_deleted, "namespaces_left",
	                                            (json_int_t)k->ns_left));
	json_object_set_new(o, "per_host", json_pack("{s:I,s:f,s:f}", "hosts", (json_int_t)hosts,
	                                             "requests", hosts ? (double)total / (double)hosts : 0.0,
	                                             "watch_events",
	                                             hosts ? (double)events / (double)hosts : 0.0));
	return o;
}

static void kstats_print(FILE *out, const struct swarm_kube_stats *k, uint64_t hosts)
{
	char a[16], b[16], c[16], cn[16];
	uint64_t total = kstats_total(k), events = 0;
	for (unsigned r = 0; r < KUBE_RES_COUNT; r++)
		for (unsigned i = 0; i < KUBE_WATCH_TYPE_COUNT; i++)
			events += k->watch_events[r][i];
	fprintf(out, "\nKube API (hub)\n");
	fprintf(out, "  %-8s %-22s %8s %8s %8s %8s  %s\n", "verb", "resource", "count", "p50", "p99",
	        "max", "codes");
	for (unsigned v = 0; v < KUBE_VERB_COUNT; v++) {
		for (unsigned r = 0; r < KUBE_RES_COUNT; r++) {
			uint64_t n = pair_total(k, v, r);
			const struct hist *h = &k->lat[v][r];
			if (!n)
				continue;
			fprintf(out, "  %-8s %-22s %8llu %8s %8s %8s ", kube_verb_name((enum kube_verb)v),
			        kube_res_get((enum kube_res_id)r)->plural, (unsigned long long)n,
			        v == KUBE_VERB_WATCH ? "-" : report_fmt_duration(hist_quantile(h, 0.5), a, sizeof(a)),
			        v == KUBE_VERB_WATCH ? "-" : report_fmt_duration(hist_quantile(h, 0.99), b, sizeof(b)),
			        v == KUBE_VERB_WATCH ? "-" : report_fmt_duration(h->max_ns, c, sizeof(c)));
			for (unsigned s = 0; s < KSTATS_CODES; s++) {
				if (!k->req[v][r][s])
					continue;
				code_name(s, cn, sizeof(cn));
				fprintf(out, " %s:%llu", cn, (unsigned long long)k->req[v][r][s]);
			}
			fputc('\n', out);
		}
	}
	fprintf(out, "  requests %llu, watch events %llu, watches %llu (restarted %llu, failed %llu), "
	        "lists %llu (after 410: %llu), conflicts re-applied %llu\n", (unsigned long long)total,
	        (unsigned long long)events, (unsigned long long)k->watches,
	        (unsigned long long)k->watch_restarts, (unsigned long long)k->watch_failures,
	        (unsigned long long)k->lists, (unsigned long long)k->relists_expired,
	        (unsigned long long)k->conflicts);
	if (hosts)
		fprintf(out, "  per host: %.1f requests, %.1f watch events (%llu hosts)\n",
		        (double)total / (double)hosts, (double)events / (double)hosts,
		        (unsigned long long)hosts);
	fprintf(out, "  BMHs: %llu created, %llu provisioned (flow: %llu by spec.image, %llu by "
	        "customDeploy), %llu PreprovisioningImages; Agents seen %llu\n",
	        (unsigned long long)k->bmh_created, (unsigned long long)k->bmh_provisioned,
	        (unsigned long long)k->flow_image, (unsigned long long)k->flow_custom,
	        (unsigned long long)k->ppi_created, (unsigned long long)k->agents_registered);
	if (k->to_provisioned.count)
		fprintf(out, "  BMH created -> provisioned: p50 %s p90 %s max %s\n",
		        report_fmt_duration(hist_quantile(&k->to_provisioned, 0.5), a, sizeof(a)),
		        report_fmt_duration(hist_quantile(&k->to_provisioned, 0.9), b, sizeof(b)),
		        report_fmt_duration(k->to_provisioned.max_ns, c, sizeof(c)));
	if (k->to_agent.count)
		fprintf(out, "  BMH created -> Agent registered: p50 %s p90 %s max %s\n",
		        report_fmt_duration(hist_quantile(&k->to_agent, 0.5), a, sizeof(a)),
		        report_fmt_duration(hist_quantile(&k->to_agent, 0.9), b, sizeof(b)),
		        report_fmt_duration(k->to_agent.max_ns, c, sizeof(c)));
	if (k->ns_deleted || k->ns_left)
		fprintf(out, "  cleanup: %llu namespaces deleted, %llu left (finalizers not removed in time)\n",
		        (unsigned long long)k->ns_deleted, (unsigned long long)k->ns_left);
}

int kstats_metrics(struct evbuffer *out, const struct swarm_kube_stats *k)
{
	int bad = 0;
	char cn[16];
	bad |= prom_family(out, "swarm_kube_requests_total", "counter",
	                   "Kube API requests to the hub by verb, resource and code (code=\"0\": transport error).");
	for (unsigned v = 0; v < KUBE_VERB_COUNT; v++)
		for (unsigned r = 0; r < KUBE_RES_COUNT; r++)
			for (unsigned s = 0; s < KSTATS_CODES; s++) {
				if (!k->req[v][r][s])
					continue;
				code_name(s, cn, sizeof(cn));
				const char *l[] = {"verb", kube_verb_name((enum kube_verb)v), "resource",
				                   kube_res_get((enum kube_res_id)r)->plural, "code", cn, NULL};
				bad |= prom_sample_u64(out, "swarm_kube_requests_total", l, k->req[v][r][s]);
			}
	bad |= prom_family(out, "swarm_kube_request_duration_seconds", "histogram",
	                   "Kube API request latency (send to answer) by verb and resource; watches excluded.");
	for (unsigned v = 0; v < KUBE_VERB_COUNT; v++)
		for (unsigned r = 0; r < KUBE_RES_COUNT; r++) {
			if (v == KUBE_VERB_WATCH || !k->lat[v][r].count)
				continue;
			const char *l[] = {"verb", kube_verb_name((enum kube_verb)v), "resource",
			                   kube_res_get((enum kube_res_id)r)->plural, NULL};
			bad |= metrics_histogram(out, "swarm_kube_request_duration_seconds", l, &k->lat[v][r], lat_le,
			             NLE(lat_le));
		}
	bad |= prom_family(out, "swarm_kube_watch_events_total", "counter",
	                   "Watch events received by resource and type.");
	for (unsigned r = 0; r < KUBE_RES_COUNT; r++)
		for (unsigned t = 0; t < KUBE_WATCH_TYPE_COUNT; t++) {
			if (!k->watch_events[r][t])
				continue;
			const char *l[] = {"resource", kube_res_get((enum kube_res_id)r)->plural, "type",
			                   kube_watch_type_name((enum kube_watch_type)t), NULL};
			bad |= prom_sample_u64(out, "swarm_kube_watch_events_total", l, k->watch_events[r][t]);
		}
	bad |= prom_family(out, "swarm_kube_watch_restarts_total", "counter",
	                   "Watches that ended and were started again (failures: ended by an error).");
	{
		const char *l1[] = {"outcome", "ended", NULL}, *l2[] = {"outcome", "failed", NULL};
		bad |= prom_sample_u64(out, "swarm_kube_watch_restarts_total", l1, k->watch_restarts - k->watch_failures);
		bad |= prom_sample_u64(out, "swarm_kube_watch_restarts_total", l2, k->watch_failures);
	}
	bad |= prom_family(out, "swarm_kube_relists_total", "counter",
	                   "Lists after a 410 Gone (resourceVersion expired).");
	bad |= prom_sample_u64(out, "swarm_kube_relists_total", NULL, k->relists_expired);
	bad |= prom_family(out, "swarm_kube_bmhs", "gauge", "BareMetalHosts of running clusters by provisioning state.");
	for (unsigned i = 0; i < KB_STATE_COUNT; i++) {
		const char *l[] = {"state", bmh_names[i], NULL};
		bad |= prom_sample(out, "swarm_kube_bmhs", l, (double)k->bmh_by_state[i]);
	}
	bad |= prom_family(out, "swarm_kube_bmh_provisioned_seconds", "histogram",
	                   "Time from a BareMetalHost's creation to its status provisioned.");
	bad |= metrics_histogram(out, "swarm_kube_bmh_provisioned_seconds", NULL, &k->to_provisioned, life_le, NLE(life_le));
	bad |= prom_family(out, "swarm_kube_agent_registered_seconds", "histogram",
	                   "Time from a BareMetalHost's creation to its Agent appearing on the hub.");
	bad |= metrics_histogram(out, "swarm_kube_agent_registered_seconds", NULL, &k->to_agent, life_le, NLE(life_le));
	bad |= prom_family(out, "swarm_kube_conflicts_total", "counter",
	                   "409 Conflicts read again and re-applied.");
	bad |= prom_sample_u64(out, "swarm_kube_conflicts_total", NULL, k->conflicts);
	return bad ? SW_ERR_NOMEM : 0;
}

/* ---- per shape, from the cluster records ---- */

struct kshape {
	uint64_t clusters, prov_n, agent_n;
	double prov_sum, agent_sum;
	uint32_t prov_max, agent_max;
};

/* Sums the records of |st| per shape; NULL when out of memory. */
static struct kshape *per_shape(const struct swarm_stats *st, size_t n)
{
	struct kshape *v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < st->nclusters; i++) {
		const struct swarm_cluster_record *r = &st->clusters[i];
		struct kshape *k;
		if (r->shape >= n)
			continue;
		k = &v[r->shape];
		k->clusters++;
		if (r->kube_provisioned_ms) {
			k->prov_n++;
			k->prov_sum += r->kube_provisioned_ms / 1e3;
			if (r->kube_provisioned_ms > k->prov_max)
				k->prov_max = r->kube_provisioned_ms;
		}
		if (r->kube_agent_ms) {
			k->agent_n++;
			k->agent_sum += r->kube_agent_ms / 1e3;
			if (r->kube_agent_ms > k->agent_max)
				k->agent_max = r->kube_agent_ms;
		}
	}
	return v;
}

json_t *kstats_run_json(const struct swarm_stats *st, size_t nshapes, const struct swarm_plan *plan,
                        const struct swarm_service *svc)
{
	json_t *o = kstats_json(&st->kube, st->kube.bmh_created), *arr = json_array();
	if (plan && svc) {
		const struct swarm_timings *t = &plan->timings;
		json_object_set_new(o, "config", json_pack(
			"{s:o,s:s,s:f,s:{s:f,s:f,s:f,s:f,s:f}}",
			"kubeconfig", svc->kubeconfig ? json_string(svc->kubeconfig) : json_null(),
			"http", svc->kube_proto == SW_PROTO_H2 ? "h2" : svc->kube_proto == SW_PROTO_H1 ? "http1.1" : "auto",
			"cleanup_timeout_seconds", plan->cleanup_timeout_ms / 1e3,
			"timings", "bmh_registering_seconds", t->bmh_registering_ms / 1e3,
			"bmh_inspecting_seconds", t->bmh_inspecting_ms / 1e3,
			"bmh_provisioning_seconds", t->bmh_provisioning_ms / 1e3,
			"bmh_deprovisioning_seconds", t->bmh_deprovisioning_ms / 1e3,
			"host_boot_seconds", t->host_boot_ms / 1e3));
	}
	struct kshape *v = per_shape(st, nshapes);
	for (size_t s = 0; v && s < nshapes; s++) {
		struct kshape *k = &v[s];
		if (!k->clusters)
			continue;
		json_array_append_new(arr, json_pack(
			"{s:I,s:I,s:{s:I,s:f,s:f},s:{s:I,s:f,s:f}}", "index", (json_int_t)s,
			"clusters", (json_int_t)k->clusters,
			"bmh_to_provisioned_slowest_host", "clusters", (json_int_t)k->prov_n,
			"mean_seconds", k->prov_n ? k->prov_sum / (double)k->prov_n : 0.0,
			"max_seconds", k->prov_max / 1e3,
			"bmh_to_agent_registered_slowest_host", "clusters", (json_int_t)k->agent_n,
			"mean_seconds", k->agent_n ? k->agent_sum / (double)k->agent_n : 0.0,
			"max_seconds", k->agent_max / 1e3));
	}
	free(v);
	json_object_set_new(o, "shapes", arr);
	return o;
}

json_t *kstats_cluster_json(const struct swarm_cluster_record *r)
{
	static const char *const cleanup[] = {"none", "deleted", "left"};
	return json_pack("{s:o,s:o,s:s}",
	                 "bmh_to_provisioned_slowest_host_seconds",
	                 r->kube_provisioned_ms ? json_real(r->kube_provisioned_ms / 1e3) : json_null(),
	                 "bmh_to_agent_registered_slowest_host_seconds",
	                 r->kube_agent_ms ? json_real(r->kube_agent_ms / 1e3) : json_null(),
	                 "cleanup", cleanup[r->kube_cleanup < 3 ? r->kube_cleanup : 0]);
}

void kstats_print_run(FILE *out, const struct swarm_stats *st, size_t nshapes)
{
	struct kshape *v = per_shape(st, nshapes);
	kstats_print(out, &st->kube, st->kube.bmh_created);
	if (!v)
		return;
	fprintf(out, "  by shape (each cluster's slowest host):  %-3s %9s %22s %22s\n", "#", "clusters",
	        "to provisioned mean/max", "to Agent mean/max");
	for (size_t s = 0; s < nshapes; s++) {
		struct kshape *k = &v[s];
		if (!k->clusters)
			continue;
		fprintf(out, "  %41zu %9llu %10.1fs/%9.1fs %10.1fs/%9.1fs\n", s,
		        (unsigned long long)k->clusters, k->prov_n ? k->prov_sum / (double)k->prov_n : 0.0,
		        k->prov_max / 1e3, k->agent_n ? k->agent_sum / (double)k->agent_n : 0.0,
		        k->agent_max / 1e3);
	}
	free(v);
}
