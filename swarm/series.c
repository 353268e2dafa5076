/*
 * series: interval recording from cumulative snapshots (see series.h).
 *
 * Why differences of cumulative stats: the shards keep one set of
 * counters and histograms that only grow, so an interval is "cut at k"
 * minus "cut at k-1", bucket by bucket. That is exact (counts, sums,
 * histograms), needs no second histogram on the request path, and a lost
 * cut only makes the next interval longer. The one thing a difference
 * cannot give is an interval's exact min/max: interval histograms carry
 * their bucket edges instead (within the histogram's 1/64 error).
 */
#include "series.h"

#include <stdlib.h>
#include <string.h>

#include "shard.h"
#include "sw_err.h"

struct series *series_new(uint64_t interval_ns)
{
	struct series *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->interval_ns = interval_ns;
	s->prev = malloc(sizeof(*s->prev));
	s->acc = malloc(sizeof(*s->acc));
	s->tmp = malloc(sizeof(*s->tmp));
	if (!s->prev || !s->acc || !s->tmp) {
		free(s->prev);
		free(s->acc);
		free(s->tmp);
		free(s);
		return NULL;
	}
	stats_init(s->prev);
	stats_init(s->acc);
	stats_init(s->tmp);
	return s;
}

void series_iv_free(struct series_iv *iv)
{
	for (unsigned i = 0; i < iv->nops; i++) {
		hsp_free(&iv->ops[i].service);
		hsp_free(&iv->ops[i].intended);
	}
	free(iv->ops);
	hsp_free(&iv->lateness);
	hsp_free(&iv->start_delay);
	hsp_free(&iv->send_delay);
	free(iv->service_metrics);
	memset(iv, 0, sizeof(*iv));
}

void series_free(struct series **sp)
{
	if (!sp || !*sp)
		return;
	struct series *s = *sp;
	for (size_t i = 0; i < s->n; i++)
		series_iv_free(&s->iv[i]);
	free(s->iv);
	stats_free(s->prev);
	stats_free(s->acc);
	stats_free(s->tmp);
	free(s->prev);
	free(s->acc);
	free(s->tmp);
	free(s->svc_pending);
	free(s);
	*sp = NULL;
}

void series_set_max(struct series *s, size_t max, size_t max_bytes)
{
	s->max = max && max < 8 ? 8 : max;
	s->max_bytes = max_bytes;
}

size_t series_bytes(const struct series *s)
{
	size_t b = 0;
	for (size_t i = 0; i < s->n; i++)
		b += series_iv_bytes(&s->iv[i]);
	return b;
}

/* Makes room for one more interval within the bounds (series_set_max()). */
static int series_bound(struct series *s)
{
	while (s->max && s->n >= 8 &&
	       (s->n >= s->max || (s->max_bytes && series_bytes(s) > s->max_bytes))) {
		size_t before = s->n;
		if (series_halve(s) < 0)
			return SW_ERR_NOMEM;
		if (s->n == before)
			break;
	}
	return 0;
}

void series_set_service_metrics(struct series *s, char *json)
{
	free(s->svc_pending);
	s->svc_pending = json;
}

static uint64_t sub_u64(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* The interval's counters of one operation; returns 0 when it was not called. */
static int op_diff(struct series_op *op, unsigned ep, const struct swarm_ep_stats *now,
                   const struct swarm_ep_stats *before, struct hist *scratch)
{
	if (now->count == before->count)
		return 0;
	memset(op, 0, sizeof(*op));
	op->ep = ep;
	op->count = sub_u64(now->count, before->count);
	for (unsigned c = 0; c < STATS_HTTP_CODES; c++) {
		uint64_t d = sub_u64(now->status[c], before->status[c]);
		if (!d)
			continue;
		op->classes[c >= 100 ? c / 100 : 0] += d;
		if (stats_status_is_error((enum swarm_ep)ep, (int)c))
			op->errors += d;
	}
	size_t nt = sizeof(now->transport_errors) / sizeof(now->transport_errors[0]);
	for (size_t c = 0; c < nt; c++) {
		uint64_t d = sub_u64(now->transport_errors[c], before->transport_errors[c]);
		op->classes[0] += d;
		op->errors += d;
	}
	/* The intended-time histogram is kept too (series_merge.c combines
	 * intervals of several processes exactly); its p99 is the figure shown,
	 * read from the encoded interval as a merge reads it. */
	if (hsp_encode_diff(&op->service, &now->service, &before->service) < 0 ||
	    hsp_encode_diff(&op->intended, &now->intended, &before->intended) < 0) {
		hsp_free(&op->service);
		return SW_ERR_NOMEM;
	}
	hist_init(scratch);
	hsp_add_to(scratch, &op->intended);
	op->intended_p99_ns = hist_quantile(scratch, 0.99);
	return 1;
}

int series_cut(struct series *s, const struct swarm_stats *cum, double t_end)
{
	struct series_iv iv;
	struct hist *scratch = malloc(sizeof(*scratch));
	int rv = SW_ERR_NOMEM;
	memset(&iv, 0, sizeof(iv));
	if (!scratch)
		return rv;
	if (s->n && t_end <= s->prev_t) {
		free(scratch); /* the last boundary was the end: nothing new */
		return 0;
	}
	if (series_bound(s) < 0)
		goto out;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct series_iv *v = realloc(s->iv, cap * sizeof(*v));
		if (!v)
			goto out;
		s->iv = v;
		s->cap = cap;
	}
	iv.t0 = s->prev_t;
	iv.t1 = t_end;
	iv.ops = calloc(EP_COUNT, sizeof(*iv.ops));
	if (!iv.ops)
		goto out;
	for (unsigned e = 0; e < EP_COUNT; e++) {
		int r = op_diff(&iv.ops[iv.nops], e, &cum->ep[e], &s->prev->ep[e], scratch);
		if (r < 0)
			goto out;
		iv.nops += (unsigned)r;
	}
	memcpy(iv.hosts, cum->hosts_by_phase, sizeof(iv.hosts));
	iv.clusters_total = cum->clusters_total;
	iv.started = cum->clusters_started;
	iv.ready = cum->clusters_ready;
	iv.installed = cum->clusters_installed;
	iv.failed = cum->clusters_failed;
	iv.calls_in_flight = cum->calls_in_flight;
	iv.hosts_waiting_slot = cum->hosts_waiting_slot;
	iv.cpu_ns = sub_u64(cum->cpu_ns, s->prev->cpu_ns);
	if (hsp_encode_diff(&iv.lateness, &cum->lateness, &s->prev->lateness) < 0 ||
	    hsp_encode_diff(&iv.start_delay, &cum->start_delay, &s->prev->start_delay) < 0 ||
	    hsp_encode_diff(&iv.send_delay, &cum->send_delay, &s->prev->send_delay) < 0)
		goto out;
	iv.service_metrics = s->svc_pending;
	s->svc_pending = NULL;
	s->iv[s->n++] = iv;
	memset(&iv, 0, sizeof(iv));
	stats_copy_summary(s->prev, cum);
	s->prev_t = t_end;
	rv = 0;
out:
	series_iv_free(&iv);
	free(scratch);
	return rv;
}

int series_poll(struct series *s, struct swarm_shard *const *shards, unsigned n,
                const struct swarm_stats *extra)
{
	uint64_t target = UINT64_MAX;
	/* Pass 1: the boundary every running shard has cut. */
	for (unsigned i = 0; i < n; i++) {
		uint64_t seq = shard_series_get(shards[i], NULL);
		if (seq == UINT64_MAX)
			continue; /* finished: its final stats stand for any boundary */
		if (target == UINT64_MAX)
			target = seq;
		else if (seq != target)
			return 0; /* some shard is still before the boundary: next poll */
	}
	if (target == UINT64_MAX || target <= s->last_seq)
		return 0;
	/* Pass 2: merge the cuts; a shard that cut again meanwhile makes the
	 * set inconsistent, so try again on the next poll. */
	stats_free(s->acc); /* per-shape aggregates of the previous poll */
	stats_init(s->acc);
	for (unsigned i = 0; i < n; i++) {
		stats_free(s->tmp);
		stats_init(s->tmp);
		uint64_t seq = shard_series_get(shards[i], s->tmp);
		if (seq != UINT64_MAX && seq != target)
			return 0;
		if (stats_merge(s->acc, s->tmp) < 0)
			return SW_ERR_NOMEM;
	}
	if (extra && stats_merge(s->acc, extra) < 0)
		return SW_ERR_NOMEM;
	s->last_seq = target;
	int rv = series_cut(s, s->acc, (double)target * (double)s->interval_ns / 1e9);
	return rv < 0 ? rv : 1;
}

/* ------------------------------------------------------------------ JSON */

static void jset(json_t *o, const char *k, json_t *v, int *bad)
{
	if (!o || !v || json_object_set_new(o, k, v) < 0)
		*bad = 1;
}

/* {"p50", "p90", "p99", "max", "histogram"} of an interval histogram. */
static json_t *j_interval_hist(const struct hsp *h, struct hist *scratch, int *bad)
{
	json_t *o = json_object();
	hist_init(scratch);
	hsp_add_to(scratch, h);
	jset(o, "count", json_integer((json_int_t)h->count), bad);
	jset(o, "p50", json_real((double)hist_quantile(scratch, 0.5) / 1e9), bad);
	jset(o, "p90", json_real((double)hist_quantile(scratch, 0.9) / 1e9), bad);
	jset(o, "p99", json_real((double)hist_quantile(scratch, 0.99) / 1e9), bad);
	jset(o, "max", json_real((double)scratch->max_ns / 1e9), bad);
	jset(o, "histogram", hsp_json(h), bad);
	return o;
}

static const char *const class_names[SERIES_CLASSES] = {"transport", "1xx", "2xx", "3xx", "4xx", "5xx"};

json_t *series_interval_json(const struct series *s, size_t i)
{
	const struct series_iv *iv = &s->iv[i];
	const struct series_iv *pv = i ? &s->iv[i - 1] : NULL;
	struct hist *scratch = malloc(sizeof(*scratch));
	json_t *o = json_object(), *ops = json_object(), *ph = json_object(), *cl = json_object();
	uint64_t req = 0, err = 0;
	int bad = !scratch;
	if (bad)
		goto out;
	jset(o, "start_seconds", json_real(iv->t0), &bad);
	jset(o, "end_seconds", json_real(iv->t1), &bad);
	for (unsigned k = 0; k < iv->nops; k++) {
		const struct series_op *op = &iv->ops[k];
		json_t *jo = json_object(), *cls = json_object();
		req += op->count;
		err += op->errors;
		jset(jo, "count", json_integer((json_int_t)op->count), &bad);
		jset(jo, "errors", json_integer((json_int_t)op->errors), &bad);
		for (unsigned c = 0; c < SERIES_CLASSES; c++)
			if (op->classes[c])
				jset(cls, class_names[c], json_integer((json_int_t)op->classes[c]), &bad);
		jset(jo, "status_classes", cls, &bad);
		jset(jo, "latency_seconds", j_interval_hist(&op->service, scratch, &bad), &bad);
		jset(jo, "intended_p99_seconds", json_real((double)op->intended_p99_ns / 1e9), &bad);
		jset(jo, "intended_histogram", hsp_json(&op->intended), &bad);
		jset(ops, stats_ep_name((enum swarm_ep)op->ep), jo, &bad);
	}
	jset(o, "requests", json_integer((json_int_t)req), &bad);
	jset(o, "errors", json_integer((json_int_t)err), &bad);
	jset(o, "operations", ops, &bad);
	ops = NULL;
	for (unsigned p = 0; p < HP_COUNT; p++)
		jset(ph, stats_phase_name((enum swarm_host_phase)p), json_integer((json_int_t)iv->hosts[p]), &bad);
	jset(o, "hosts_by_phase", ph, &bad);
	ph = NULL;
	uint64_t fin = iv->installed + iv->failed;
	jset(cl, "total", json_integer((json_int_t)iv->clusters_total), &bad);
	jset(cl, "waiting", json_integer((json_int_t)sub_u64(iv->clusters_total, iv->started)), &bad);
	jset(cl, "running", json_integer((json_int_t)sub_u64(iv->started, fin)), &bad);
	jset(cl, "installed", json_integer((json_int_t)iv->installed), &bad);
	jset(cl, "failed", json_integer((json_int_t)iv->failed), &bad);
	jset(cl, "started_in_interval", json_integer((json_int_t)sub_u64(iv->started, pv ? pv->started : 0)), &bad);
	jset(cl, "ready_in_interval", json_integer((json_int_t)sub_u64(iv->ready, pv ? pv->ready : 0)), &bad);
	jset(cl, "installed_in_interval",
	     json_integer((json_int_t)sub_u64(iv->installed, pv ? pv->installed : 0)), &bad);
	jset(cl, "failed_in_interval", json_integer((json_int_t)sub_u64(iv->failed, pv ? pv->failed : 0)), &bad);
	jset(o, "clusters", cl, &bad);
	cl = NULL;
	jset(o, "calls_in_flight", json_integer((json_int_t)iv->calls_in_flight), &bad);
	jset(o, "hosts_waiting_slot", json_integer((json_int_t)iv->hosts_waiting_slot), &bad);
	jset(o, "cpu_seconds", json_real((double)iv->cpu_ns / 1e9), &bad);
	jset(o, "lateness_seconds", j_interval_hist(&iv->lateness, scratch, &bad), &bad);
	jset(o, "start_delay_seconds", j_interval_hist(&iv->start_delay, scratch, &bad), &bad);
	jset(o, "send_delay_seconds", j_interval_hist(&iv->send_delay, scratch, &bad), &bad);
	if (iv->service_metrics) {
		json_t *sm = json_loads(iv->service_metrics, 0, NULL);
		jset(o, "service_metrics", sm ? sm : json_object(), &bad);
	}
out:
	json_decref(ops);
	json_decref(ph);
	json_decref(cl);
	free(scratch);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int series_write(const struct series *s, FILE *f)
{
	if (fprintf(f, "{\"interval_seconds\": %.9g, \"intervals\": [", (double)s->interval_ns / 1e9) < 0)
		return SW_ERR_IO;
	for (size_t i = 0; i < s->n; i++) {
		json_t *j = series_interval_json(s, i);
		if (!j)
			return SW_ERR_NOMEM;
		int w = fputs(i ? ",\n  " : "\n  ", f);
		int d = json_dumpf(j, f, JSON_COMPACT | JSON_REAL_PRECISION(9));
		json_decref(j);
		if (w < 0 || d < 0)
			return SW_ERR_IO;
	}
	if (fputs("\n ]}", f) < 0)
		return SW_ERR_IO;
	return 0;
}
