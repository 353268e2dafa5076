/*
 * report: end-of-run summary and results JSON (see report.h, and
 * scenarios/RESULTS.md for the document's schema).
 */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "as_model.h"
#include "results.h"
#include "soak.h"
#include "sw_err.h"

const char *report_exit_name(int code)
{
	switch (code) {
	case SWARM_EXIT_OK: return "ok";
	case SWARM_EXIT_FAILED: return "failed";
	case SWARM_EXIT_USAGE: return "usage";
	case SWARM_EXIT_ABORTED: return "aborted";
	case SWARM_EXIT_UNREACHABLE: return "unreachable";
	case SWARM_EXIT_PUSH: return "push_failed";
	case SWARM_EXIT_THRESHOLDS: return "thresholds";
	default: return "unknown";
	}
}

const char *report_plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

const char *report_fmt_duration(uint64_t ns, char *buf, size_t len)
{
	double v = (double)ns;
	if (ns < 1000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.0fus", v / 1e3);
	else if (ns < 10000000)
		snprintf(buf, len, "%.2fms", v / 1e6);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1fms", v / 1e6);
	else if (ns < UINT64_C(60) * 1000000000)
		snprintf(buf, len, "%.2fs", v / 1e9);
	else if (ns < UINT64_C(3600) * 1000000000) {
		uint64_t s = ns / 1000000000;
		snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
	} else {
		uint64_t m = ns / (UINT64_C(60) * 1000000000);
		snprintf(buf, len, "%lluh%02llum", (unsigned long long)(m / 60), (unsigned long long)(m % 60));
	}
	return buf;
}

static double sec(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* ------------------------------------------------------------ per shape */

struct shape_sum {
	uint64_t count, installed, failed, ready_n;
	struct hist ready, installed_h;
};

/*
 * Calls |fn| once per shape with the shape's summary. Records are grouped
 * by a counting sort on the shape index, so memory stays at two histograms
 * whatever the number of shapes.
 */
static int for_each_shape(const struct swarm_stats *st, size_t nshapes,
                          void (*fn)(void *arg, size_t shape, const struct shape_sum *sum), void *arg)
{
	if (st->nshapes || st->records_compacted) {
		/* The engine folded every finished cluster (stats_fold_cluster()):
		 * the aggregates hold what the records may no longer (soak). */
		struct shape_sum *agg = malloc(sizeof(*agg));
		if (!agg)
			return SW_ERR_NOMEM;
		for (size_t s = 0; s < nshapes; s++) {
			memset(agg, 0, sizeof(*agg));
			hist_init(&agg->ready);
			hist_init(&agg->installed_h);
			if (s < st->nshapes) {
				const struct swarm_shape_stats *a = &st->shapes[s];
				agg->count = a->clusters;
				agg->installed = a->installed;
				agg->failed = a->failed;
				agg->ready = a->ready;
				agg->installed_h = a->installed_h;
			}
			fn(arg, s, agg);
		}
		free(agg);
		return 0;
	}
	size_t *start = calloc(nshapes + 1, sizeof(*start));
	size_t *order = st->nclusters ? malloc(st->nclusters * sizeof(*order)) : NULL;
	struct shape_sum *sum = malloc(sizeof(*sum));
	int rv = SW_ERR_NOMEM;
	if (!start || !sum || (st->nclusters && !order))
		goto out;
	for (size_t i = 0; i < st->nclusters; i++)
		if (st->clusters[i].shape < nshapes)
			start[st->clusters[i].shape + 1]++;
	for (size_t s = 0; s < nshapes; s++)
		start[s + 1] += start[s];
	{
		size_t *fill = calloc(nshapes + 1, sizeof(*fill));
		if (!fill)
			goto out;
		memcpy(fill, start, (nshapes + 1) * sizeof(*fill));
		for (size_t i = 0; i < st->nclusters; i++) {
			unsigned s = st->clusters[i].shape;
			if (s < nshapes)
				order[fill[s]++] = i;
		}
		free(fill);
	}
	for (size_t s = 0; s < nshapes; s++) {
		memset(sum, 0, sizeof(*sum));
		hist_init(&sum->ready);
		hist_init(&sum->installed_h);
		for (size_t k = start[s]; k < start[s + 1]; k++) {
			const struct swarm_cluster_record *r = &st->clusters[order[k]];
			sum->count++;
			if (r->failed)
				sum->failed++;
			else if (r->t_installed_ns)
				sum->installed++;
			if (r->t_ready_ns && r->t_ready_ns >= r->t_started_ns)
				hist_record(&sum->ready, r->t_ready_ns - r->t_started_ns);
			if (r->t_installed_ns && r->t_installed_ns >= r->t_started_ns)
				hist_record(&sum->installed_h, r->t_installed_ns - r->t_started_ns);
		}
		fn(arg, s, sum);
	}
	rv = 0;
out:
	free(start);
	free(order);
	free(sum);
	return rv;
}

static size_t shape_count(const struct swarm_stats *st, const struct report_run *run)
{
	size_t n = run && run->plan ? run->plan->nshapes : 0;
	if (st->nshapes > n)
		n = st->nshapes;
	for (size_t i = 0; i < st->nclusters; i++)
		if (st->clusters[i].shape >= n)
			n = st->clusters[i].shape + 1;
	return n;
}

static void shape_label(const struct report_run *run, size_t s, char *buf, size_t len)
{
	const struct swarm_shape *sh = run && run->plan && s < run->plan->nshapes ? &run->plan->shapes[s] : NULL;
	if (!sh) {
		snprintf(buf, len, "shape%zu", s);
		return;
	}
	swarm_shape_label(sh, buf, len);
}

/* ----------------------------------------------------------------- JSON */

static json_t *j_quantiles(const struct hist *h)
{
	return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
	                 "count", (json_int_t)h->count,
	                 "min", sec(h->count ? h->min_ns : 0),
	                 "mean", hist_mean(h) / 1e9,
	                 "p50", sec(hist_quantile(h, 0.50)),
	                 "p90", sec(hist_quantile(h, 0.90)),
	                 "p95", sec(hist_quantile(h, 0.95)),
	                 "p99", sec(hist_quantile(h, 0.99)),
	                 "p999", sec(hist_quantile(h, 0.999)),
	                 "max", sec(h->max_ns));
}

/* json_object_set_new() that tolerates a NULL value (allocation failure)
 * by remembering it, so the caller checks once. */
static void jset(json_t *o, const char *k, json_t *v, int *bad)
{
	if (!o || !v || json_object_set_new(o, k, v) < 0)
		*bad = 1;
}

static void jappend(json_t *a, json_t *v, int *bad)
{
	if (!a || !v || json_array_append_new(a, v) < 0)
		*bad = 1;
}

static json_t *j_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static void iso8601(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;
	gmtime_r(&s, &tm);
	int ms = (int)((t - (double)s) * 1000.0);
	if (ms < 0 || ms > 999)
		ms = 0;
	char tmp[32];
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", tmp, ms);
}

static const char *arrival_name(enum swarm_arrival_kind k)
{
	switch (k) {
	case SWARM_ARRIVAL_ASAP: return "asap";
	case SWARM_ARRIVAL_RATE: return "rate";
	case SWARM_ARRIVAL_RAMP: return "ramp";
	case SWARM_ARRIVAL_BURST: return "burst";
	}
	return "asap";
}

static json_t *j_plan(const struct swarm_plan *p, int *bad)
{
	json_t *o = json_object();
	jset(o, "path", j_str_or_null(p->path), bad);
	jset(o, "mode", json_string(p->mode == SWARM_MODE_KUBE ? "kube" : "rest"), bad);
	jset(o, "shuffle", json_boolean(p->shuffle), bad);
	jset(o, "seed", json_integer((json_int_t)p->seed), bad);
	jset(o, "openshift_version", j_str_or_null(p->openshift_version), bad);
	jset(o, "base_domain", j_str_or_null(p->base_domain), bad);
	jset(o, "cpu_architecture", j_str_or_null(p->cpu_architecture), bad);
	jset(o, "cleanup", json_boolean(p->cleanup), bad);
	jset(o, "max_duration_seconds", json_integer(p->max_duration_s), bad);
	const struct swarm_soak *sk = p->soak;
	jset(o, "soak", sk ? json_pack("{s:f, s:f, s:f, s:f, s:I, s:I, s:I}",
	                               "duration_seconds", (double)sk->duration_ns / 1e9,
	                               "retention_seconds", (double)sk->retention_ns / 1e9,
	                               "snapshot_interval_seconds", (double)sk->snapshot_ns / 1e9,
	                               "window_seconds", (double)sk->window_ns / 1e9,
	                               "series_intervals", (json_int_t)sk->series_intervals,
	                               "series_kib", (json_int_t)sk->series_kib,
	                               "keep_failed_records", (json_int_t)sk->keep_failed)
	                      : json_null(), bad);
	jset(o, "arrival", json_pack("{s:s, s:f, s:f, s:f, s:I, s:f, s:b}",
	                             "kind", arrival_name(p->arrival.kind),
	                             "clusters_per_minute", p->arrival.clusters_per_minute,
	                             "start_per_minute", p->arrival.start_per_minute,
	                             "ramp_seconds", p->arrival.ramp_seconds,
	                             "burst", (json_int_t)p->arrival.burst,
	                             "burst_interval_seconds", p->arrival.burst_interval_seconds,
	                             "poisson", p->arrival.poisson), bad);
	const struct swarm_timings *t = &p->timings;
	jset(o, "timings", json_pack("{s:f, s:f, s:I, s:f, s:f, s:f, s:f, s:f}",
	                             "installer_stage_seconds", t->installer_stage_ms / 1e3,
	                             "write_image_seconds", t->write_image_ms / 1e3,
	                             "write_image_step_pct", (json_int_t)t->write_image_step_pct,
	                             "worker_poll_seconds", t->worker_poll_ms / 1e3,
	                             "controller_poll_seconds", t->controller_poll_ms / 1e3,
	                             "cluster_poll_seconds", t->cluster_poll_ms / 1e3,
	                             "jitter", t->jitter, "time_scale", t->time_scale), bad);
	json_t *shapes = json_array();
	for (size_t i = 0; i < p->nshapes; i++) {
		const struct swarm_shape *s = &p->shapes[i];
		json_t *labels = json_object();
		for (size_t j = 0; j < s->nlabels; j++)
			jset(labels, s->labels[j].key, json_string(s->labels[j].value), bad);
		jappend(shapes, json_pack("{s:I, s:b, s:I, s:I, s:I, s:I, s:b, s:b, s:o, s:o, s:o}",
		                          "index", (json_int_t)i, "single_node", s->single_node,
		                          "control_plane", (json_int_t)(s->single_node ? 1 : s->control_plane),
		                          "num_workers", (json_int_t)s->num_workers,
		                          "hosts", (json_int_t)swarm_shape_hosts(s),
		                          "amount", (json_int_t)s->amount,
		                          "with_nmstate", s->with_nmstate, "just_infraenv", s->just_infraenv,
		                          "name", j_str_or_null(s->name_prefix),
		                          "openshift_version", j_str_or_null(s->openshift_version),
		                          "infraenv_labels", labels), bad);
	}
	jset(o, "shapes", shapes, bad);
	return o;
}

static json_t *j_service(const struct swarm_service *s, int *bad)
{
	static const char *const auths[] = {"none", "rhsso", "local"};
	json_t *o = json_object();
	jset(o, "path", j_str_or_null(s->path), bad);
	jset(o, "endpoint", j_str_or_null(s->endpoint), bad);
	jset(o, "release_image", j_str_or_null(s->release_image), bad);
	jset(o, "auth", json_string(auths[s->auth <= SWARM_AUTH_LOCAL ? s->auth : 0]), bad);
	jset(o, "http", json_string(s->proto == SW_PROTO_H2 ? "h2" : s->proto == SW_PROTO_H1 ? "http1.1" : "auto"), bad);
	jset(o, "connections", json_string(s->policy == SWARM_CONN_DEDICATED ? "dedicated" : "shared"), bad);
	jset(o, "max_connections", json_integer(s->max_conns), bad);
	jset(o, "api_generation", j_str_or_null(s->api_generation), bad);
	jset(o, "insecure_skip_verify", json_boolean(s->insecure), bad);
	jset(o, "ca_file", j_str_or_null(s->ca_file), bad);
	jset(o, "client_certificate", json_boolean(s->client_cert_file != NULL), bad);
	return o;
}

static json_t *j_endpoint(enum swarm_ep ep, const struct swarm_ep_stats *e, int *bad)
{
	json_t *o = json_object(), *codes = json_object(), *terr = json_object();
	uint64_t errors = 0;
	char k[32];
	for (int c = 0; c < STATS_HTTP_CODES; c++) {
		if (!e->status[c])
			continue;
		snprintf(k, sizeof(k), "%d", c);
		jset(codes, k, json_integer((json_int_t)e->status[c]), bad);
		if (stats_status_is_error(ep, c))
			errors += e->status[c];
	}
	size_t nt = sizeof(e->transport_errors) / sizeof(e->transport_errors[0]);
	for (size_t c = 0; c < nt; c++) {
		if (!e->transport_errors[c])
			continue;
		jset(terr, c ? sw_err_name(-(int)c) : "other", json_integer((json_int_t)e->transport_errors[c]), bad);
		errors += e->transport_errors[c];
	}
	jset(o, "count", json_integer((json_int_t)e->count), bad);
	jset(o, "errors", json_integer((json_int_t)errors), bad);
	jset(o, "status_codes", codes, bad);
	jset(o, "transport_errors", terr, bad);
	json_t *retries = json_object();
	char rbuf[48];
	uint64_t rn;
	const char *reason;
	for (unsigned i = 0; (reason = stats_retry_slot(e, i, &rn, rbuf, sizeof(rbuf))) != NULL; i++)
		if (rn)
			jset(retries, reason, json_integer((json_int_t)rn), bad);
	jset(o, "retries", retries, bad);
	jset(o, "service_latency_seconds", j_quantiles(&e->service), bad);
	jset(o, "intended_latency_seconds", j_quantiles(&e->intended), bad);
	return o;
}

struct shape_json_arg {
	json_t *arr;
	const struct report_run *run;
	int *bad;
};

static void shape_json(void *arg, size_t s, const struct shape_sum *sum)
{
	struct shape_json_arg *a = arg;
	char label[64];
	shape_label(a->run, s, label, sizeof(label));
	const struct swarm_shape *sh = a->run && a->run->plan && s < a->run->plan->nshapes
	                             ? &a->run->plan->shapes[s] : NULL;
	jappend(a->arr, json_pack("{s:I, s:s, s:o, s:I, s:I, s:I, s:o, s:o}",
	                          "index", (json_int_t)s, "label", label,
	                          "hosts", sh ? json_integer(swarm_shape_hosts(sh)) : json_null(),
	                          "clusters", (json_int_t)sum->count,
	                          "installed", (json_int_t)sum->installed,
	                          "failed", (json_int_t)sum->failed,
	                          "time_to_ready_seconds", j_quantiles(&sum->ready),
	                          "time_to_installed_seconds", j_quantiles(&sum->installed_h)), a->bad);
}

static json_t *j_time_or_null(uint64_t ns)
{
	return ns ? json_real(sec(ns)) : json_null();
}

json_t *report_cluster_json(const struct swarm_cluster_record *r, const struct report_run *run)
{
	int kube = run && run->plan && run->plan->mode == SWARM_MODE_KUBE;
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:f, s:f, s:o, s:o, s:o, s:s, s:b, s:o}",
	                 "name", r->name, "id", r->id, "shape", (json_int_t)r->shape,
	                 "hosts", (json_int_t)r->hosts,
	                 "intended_start_seconds", sec(r->t_intended_ns),
	                 "started_seconds", sec(r->t_started_ns),
	                 "ready_seconds", j_time_or_null(r->t_ready_ns),
	                 "installed_seconds", j_time_or_null(r->t_installed_ns),
	                 "finished_seconds", j_time_or_null(r->t_finished_ns),
	                 "status", as_cluster_status_name((enum as_cluster_status)r->status),
	                 "failed", r->failed,
	                 "failure", r->failure[0] ? json_string(r->failure) : json_null());
	if (o && kube)
		json_object_set_new(o, "kube", kstats_cluster_json(r));
	return o;
}

json_t *report_json_head(const struct swarm_stats *st, const struct report_run *run)
{
	int bad = 0;
	char t0[40], t1[40];
	json_t *doc = json_object();
	int kube = run->plan && run->plan->mode == SWARM_MODE_KUBE;
	iso8601(run->start_wall, t0, sizeof(t0));
	iso8601(run->end_wall, t1, sizeof(t1));
	jset(doc, "schema_version", json_integer(REPORT_SCHEMA_VERSION), &bad);
	jset(doc, "run_id", j_str_or_null(run->run_id), &bad);
	jset(doc, "tool", json_pack("{s:s, s:s}", "name", "swarm",
	                            "version", run->version ? run->version : "unknown"), &bad);
	jset(doc, "start_time", json_string(t0), &bad);
	jset(doc, "end_time", json_string(t1), &bad);
	jset(doc, "duration_seconds", json_real(run->duration_s), &bad);
	jset(doc, "exit_code", run->exit_code < 0 ? json_null() : json_integer(run->exit_code), &bad);
	jset(doc, "exit_reason", j_str_or_null(run->exit_reason), &bad);
	jset(doc, "exit_message", j_str_or_null(run->exit_message), &bad);
	/* The run's verdict: a failed push (exit 5) does not make it fail. */
	jset(doc, "passed", json_boolean(run->exit_code == SWARM_EXIT_OK || run->exit_code == SWARM_EXIT_PUSH),
	     &bad);
	if (run->opts)
		jset(doc, "options", json_pack("{s:I, s:I}",
		                               "max_concurrent", (json_int_t)run->opts->max_concurrent,
		                               "threads", (json_int_t)run->opts->threads), &bad);
	jset(doc, "plan", run->plan ? j_plan(run->plan, &bad) : json_null(), &bad);
	jset(doc, "service", run->svc ? j_service(run->svc, &bad) : json_null(), &bad);

	json_t *phases = json_object();
	uint64_t hosts = 0;
	for (int p = 0; p < HP_COUNT; p++) {
		jset(phases, stats_phase_name((enum swarm_host_phase)p),
		     json_integer((json_int_t)st->hosts_by_phase[p]), &bad);
		if (st->hosts_by_phase[p] > 0)
			hosts += (uint64_t)st->hosts_by_phase[p];
	}
	double dur = run->duration_s > 0 ? run->duration_s : 0;
	jset(doc, "totals", json_pack("{s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:f}",
	                              "requests", (json_int_t)st->requests,
	                              "errors", (json_int_t)st->errors,
	                              "requests_per_second", dur > 0 ? (double)st->requests / dur : 0.0,
	                              "clusters_total", (json_int_t)st->clusters_total,
	                              "clusters_started", (json_int_t)st->clusters_started,
	                              "clusters_ready", (json_int_t)st->clusters_ready,
	                              "clusters_installed", (json_int_t)st->clusters_installed,
	                              "clusters_failed", (json_int_t)st->clusters_failed,
	                              "cluster_records", (json_int_t)st->nclusters,
	                              "hosts", (json_int_t)hosts,
	                              "hosts_by_phase", phases,
	                              "cpu_seconds", sec(st->cpu_ns)), &bad);
	json_t *totals = json_object_get(doc, "totals");
	if (totals) {
		jset(totals, "retries", json_integer((json_int_t)st->retries), &bad);
		jset(totals, "goaways", json_integer((json_int_t)st->goaways), &bad);
	}

	json_t *eps = json_object();
	for (int e = 0; e < EP_COUNT; e++)
		if (st->ep[e].count)
			jset(eps, stats_ep_name((enum swarm_ep)e), j_endpoint((enum swarm_ep)e, &st->ep[e], &bad), &bad);
	jset(doc, "endpoints", eps, &bad);

	struct shape_json_arg sa = {.arr = json_array(), .run = run, .bad = &bad};
	if (for_each_shape(st, shape_count(st, run), shape_json, &sa) < 0)
		bad = 1;
	jset(doc, "shapes", sa.arr, &bad);
	jset(doc, "schedule", json_pack("{s:o, s:o}",
	                                "lateness_seconds", j_quantiles(&st->lateness),
	                                "start_delay_seconds", j_quantiles(&st->start_delay)), &bad);
	jset(doc, "clusters_time", json_pack("{s:o, s:o}",
	                                     "time_to_ready_seconds", j_quantiles(&st->cluster_ready),
	                                     "time_to_installed_seconds", j_quantiles(&st->cluster_installed)), &bad);
	/* Filled by report_json(), or streamed by the results writer. */
	jset(doc, "clusters", json_array(), &bad);
	if (kube)
		jset(doc, "kube", kstats_run_json(st, shape_count(st, run), run->plan, run->svc), &bad);
	if (bad) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

json_t *report_json(const struct swarm_stats *st, const struct report_run *run)
{
	json_t *doc = report_json_head(st, run);
	json_t *cl = doc ? json_object_get(doc, "clusters") : NULL;
	int bad = doc && !cl;
	for (size_t i = 0; cl && i < st->nclusters; i++)
		jappend(cl, report_cluster_json(&st->clusters[i], run), &bad);
	if (bad) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

int report_write_json(const char *path, const struct swarm_stats *st,
                      const struct report_run *run, char *err, size_t errlen)
{
	json_t *doc = report_json(st, run);
	int rv = doc ? results_add_histograms(doc, st) : SW_ERR_NOMEM;
	if (rv == 0)
		rv = results_write(path, doc, NULL, err, errlen);
	else
		snprintf(err, errlen, "%s: out of memory building the results", path);
	json_decref(doc);
	return rv;
}

/* -------------------------------------------------------------- summary */

static const char *q(const struct hist *h, double qq, char *buf, size_t len)
{
	if (!h->count)
		return "-";
	return report_fmt_duration(qq >= 1.0 ? h->max_ns : hist_quantile(h, qq), buf, len);
}

struct shape_print_arg {
	FILE *out;
	const struct report_run *run;
};

static void shape_print(void *arg, size_t s, const struct shape_sum *sum)
{
	struct shape_print_arg *a = arg;
	char label[64], b1[16], b2[16], b3[16], b4[16];
	shape_label(a->run, s, label, sizeof(label));
	const struct swarm_shape *sh = a->run && a->run->plan && s < a->run->plan->nshapes
	                             ? &a->run->plan->shapes[s] : NULL;
	char hosts[16] = "?";
	if (sh)
		snprintf(hosts, sizeof(hosts), "%u", swarm_shape_hosts(sh));
	fprintf(a->out, "  %-3zu %-18.18s %6s %8llu %9llu %7llu %9s %9s %9s %9s\n", s, label, hosts,
	        (unsigned long long)sum->count, (unsigned long long)sum->installed,
	        (unsigned long long)sum->failed, q(&sum->ready, 0.5, b1, sizeof(b1)),
	        q(&sum->ready, 0.99, b2, sizeof(b2)), q(&sum->installed_h, 0.5, b3, sizeof(b3)),
	        q(&sum->installed_h, 0.99, b4, sizeof(b4)));
}

/* Retries by operation: what the client re-sent on its own and what the
 * retry policy re-sent, so errors plus retries add up to what the service
 * (or a fault injector) did. */
static void print_retries(FILE *out, const struct swarm_stats *st)
{
	if (!st->retries)
		return;
	fprintf(out, "\nRetries by operation (reason x count; %llu in all)\n",
	        (unsigned long long)st->retries);
	for (int e = 0; e < EP_COUNT; e++) {
		const struct swarm_ep_stats *s = &st->ep[e];
		char line[1024], buf[48];
		size_t n = 0;
		uint64_t c;
		const char *reason;
		line[0] = '\0';
		for (unsigned i = 0; (reason = stats_retry_slot(s, i, &c, buf, sizeof(buf))) != NULL &&
		                     n < sizeof(line) - 80; i++)
			if (c)
				n += (size_t)snprintf(line + n, sizeof(line) - n, " %s x%llu", reason,
				                      (unsigned long long)c);
		if (n)
			fprintf(out, "  %-26s%s\n", stats_ep_name((enum swarm_ep)e), line);
	}
}

static void print_errors(FILE *out, const struct swarm_stats *st)
{
	int any = 0;
	for (int e = 0; e < EP_COUNT; e++) {
		const struct swarm_ep_stats *s = &st->ep[e];
		char line[1024];
		size_t n = 0;
		line[0] = '\0';
		for (int c = 0; c < STATS_HTTP_CODES && n < sizeof(line) - 40; c++)
			if (s->status[c] && stats_status_is_error((enum swarm_ep)e, c))
				n += (size_t)snprintf(line + n, sizeof(line) - n, " %d x%llu", c,
				                      (unsigned long long)s->status[c]);
		size_t nt = sizeof(s->transport_errors) / sizeof(s->transport_errors[0]);
		for (size_t c = 0; c < nt && n < sizeof(line) - 40; c++)
			if (s->transport_errors[c])
				n += (size_t)snprintf(line + n, sizeof(line) - n, " %s x%llu",
				                      c ? sw_err_name(-(int)c) : "other",
				                      (unsigned long long)s->transport_errors[c]);
		if (!n)
			continue;
		if (!any)
			fprintf(out, "\nErrors by operation (HTTP status / transport error x count)\n");
		any = 1;
		fprintf(out, "  %-26s%s\n", stats_ep_name((enum swarm_ep)e), line);
	}
}

/* One distinct failure reason and how many clusters failed with it. */
struct failure_count {
	const char *reason;
	uint64_t n;
};

static int failure_count_cmp(const void *a, const void *b)
{
	const struct failure_count *x = a, *y = b;
	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

/*
 * Failed clusters, counted by reason (the first REPORT_FAILURE_REASONS
 * distinct texts, most frequent first; later ones count as "other"), and
 * the first few named: an aborted run of thousands of clusters stays a few
 * lines long.
 */
static void print_failed(FILE *out, const struct swarm_stats *st, const struct report_run *run)
{
	struct failure_count reasons[REPORT_FAILURE_REASONS];
	size_t nreasons = 0;
	uint64_t failed = 0, other = 0;
	for (size_t i = 0; i < st->nclusters; i++) {
		const struct swarm_cluster_record *r = &st->clusters[i];
		if (!r->failed)
			continue;
		failed++;
		const char *why = r->failure[0] ? r->failure : "(no reason recorded)";
		size_t k = 0;
		while (k < nreasons && strcmp(reasons[k].reason, why) != 0)
			k++;
		if (k < nreasons)
			reasons[k].n++;
		else if (nreasons < REPORT_FAILURE_REASONS)
			reasons[nreasons++] = (struct failure_count){why, 1};
		else
			other++;
	}
	if (!failed)
		return;
	qsort(reasons, nreasons, sizeof(reasons[0]), failure_count_cmp);
	const char *results = run && run->opts && run->opts->results_path ? run->opts->results_path : NULL;
	fprintf(out, "\nFailed clusters by reason (%llu cluster%s%s%s)\n", (unsigned long long)failed,
	        report_plural(failed), results ? "; each one is listed in " : "", results ? results : "");
	for (size_t k = 0; k < nreasons; k++)
		fprintf(out, "  %9llu  %s\n", (unsigned long long)reasons[k].n, reasons[k].reason);
	if (other)
		fprintf(out, "  %9llu  (other reasons)\n", (unsigned long long)other);
	if (failed == 1 && nreasons == 1)
		return; /* the one example would only repeat the line above */
	unsigned shown = 0;
	fprintf(out, "First failed clusters\n");
	for (size_t i = 0; i < st->nclusters && shown < REPORT_FAILED_EXAMPLES; i++) {
		const struct swarm_cluster_record *r = &st->clusters[i];
		if (!r->failed)
			continue;
		shown++;
		fprintf(out, "  %-24s %s\n", r->name, r->failure[0] ? r->failure : "(no reason recorded)");
	}
	if (failed > shown)
		fprintf(out, "  ... and %llu more\n", (unsigned long long)(failed - shown));
}

void report_print(FILE *out, const struct swarm_stats *st, const struct report_run *run)
{
	char b[8][16];
	uint64_t dur_ns = (uint64_t)(run->duration_s * 1e9);
	fprintf(out, "\nswarm %s  run %s  ended: %s after %s  exit %d (%s)\n", run->version ? run->version : "",
	        run->run_id ? run->run_id : "-", run->exit_reason ? run->exit_reason : "",
	        report_fmt_duration(dur_ns, b[0], sizeof(b[0])), run->exit_code,
	        report_exit_name(run->exit_code));
	if (!st->clusters_started && !st->nclusters) {
		/* The run never started (service unreachable): no tables of
		 * nothing; the reason follows on stderr, last. */
		fprintf(out, "clusters: %llu in the plan, none started   requests: %llu, errors: %llu\n",
		        (unsigned long long)st->clusters_total, (unsigned long long)st->requests,
		        (unsigned long long)st->errors);
		print_errors(out, st); /* retries: in the results and /metrics; the reason says how many */
		return;
	}
	fprintf(out, "clusters: %llu total, %llu started, %llu ready, %llu installed, %llu failed"
	        "   requests: %llu (%.1f/s), errors: %llu\n",
	        (unsigned long long)st->clusters_total, (unsigned long long)st->clusters_started,
	        (unsigned long long)st->clusters_ready, (unsigned long long)st->clusters_installed,
	        (unsigned long long)st->clusters_failed, (unsigned long long)st->requests,
	        run->duration_s > 0 ? (double)st->requests / run->duration_s : 0.0,
	        (unsigned long long)st->errors);

	fprintf(out, "\nRequests by operation (service time; 'p99 sched' counts from the intended send time)\n");
	fprintf(out, "  %-26s %9s %7s %9s %9s %9s %9s %9s\n", "operation", "count", "errors", "p50",
	        "p90", "p99", "max", "p99 sched");
	for (int e = 0; e < EP_COUNT; e++) {
		const struct swarm_ep_stats *s = &st->ep[e];
		if (!s->count)
			continue;
		uint64_t errs = 0;
		for (int c = 0; c < STATS_HTTP_CODES; c++)
			if (s->status[c] && stats_status_is_error((enum swarm_ep)e, c))
				errs += s->status[c];
		for (size_t c = 0; c < sizeof(s->transport_errors) / sizeof(s->transport_errors[0]); c++)
			errs += s->transport_errors[c];
		fprintf(out, "  %-26s %9llu %7llu %9s %9s %9s %9s %9s\n", stats_ep_name((enum swarm_ep)e),
		        (unsigned long long)s->count, (unsigned long long)errs,
		        q(&s->service, 0.5, b[0], 16), q(&s->service, 0.9, b[1], 16),
		        q(&s->service, 0.99, b[2], 16), q(&s->service, 1.0, b[3], 16),
		        q(&s->intended, 0.99, b[4], 16));
	}
	print_errors(out, st);
	print_retries(out, st);

	fprintf(out, "\nClusters by shape (times from cluster start)\n");
	fprintf(out, "  %-3s %-18s %6s %8s %9s %7s %9s %9s %9s %9s\n", "#", "shape", "hosts", "clusters",
	        "installed", "failed", "ready p50", "ready p99", "inst p50", "inst p99");
	struct shape_print_arg pa = {.out = out, .run = run};
	if (for_each_shape(st, shape_count(st, run), shape_print, &pa) < 0)
		fprintf(out, "  (out of memory)\n");

	print_failed(out, st, run);

	fprintf(out, "\nSchedule: timer lateness p50 %s p99 %s max %s; cluster start delay p50 %s p99 %s max %s\n",
	        q(&st->lateness, 0.5, b[0], 16), q(&st->lateness, 0.99, b[1], 16),
	        q(&st->lateness, 1.0, b[2], 16), q(&st->start_delay, 0.5, b[3], 16),
	        q(&st->start_delay, 0.99, b[4], 16), q(&st->start_delay, 1.0, b[5], 16));
	fprintf(out, "CPU: %.2f s in shard loops (%.1f%% of one core over the run)\n", sec(st->cpu_ns),
	        run->duration_s > 0 ? 100.0 * sec(st->cpu_ns) / run->duration_s : 0.0);
	if (run->plan && run->plan->mode == SWARM_MODE_KUBE &&
	    (kstats_total(&st->kube) || st->kube.bmh_created))
		kstats_print_run(out, st, shape_count(st, run));
}
