/*
 * series_merge: combining time series intervals (see series.h): two
 * successive intervals of one run (a soak run bounding its series), or the
 * same interval of several processes (`swarm merge`), and reading an
 * interval back from a results file. Counters and histograms add up
 * exactly; gauges follow the rule of series_combine.
 */
#include "series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"

static const char *const class_names[SERIES_CLASSES] = {"transport", "1xx", "2xx", "3xx", "4xx", "5xx"};

/* |out| = |a| + |b| as interval histograms (extremes unknown). */
static int hsp_sum(struct hsp *out, const struct hsp *a, const struct hsp *b, struct hist *h,
                   const struct hist *zero)
{
	memset(out, 0, sizeof(*out));
	hist_init(h);
	if (a)
		hsp_add_to(h, a);
	if (b)
		hsp_add_to(h, b);
	return hsp_encode_diff(out, h, zero);
}

static int hsp_dup(struct hsp *out, const struct hsp *src)
{
	*out = *src;
	out->w = NULL;
	if (src->n) {
		out->w = malloc(src->n * sizeof(*out->w));
		if (!out->w)
			return SW_ERR_NOMEM;
		memcpy(out->w, src->w, src->n * sizeof(*out->w));
	}
	return 0;
}

static const struct series_op *find_op(const struct series_iv *iv, unsigned ep)
{
	for (unsigned i = 0; iv && i < iv->nops; i++)
		if (iv->ops[i].ep == ep)
			return &iv->ops[i];
	return NULL;
}

int series_iv_combine(struct series_iv *out, const struct series_iv *a, const struct series_iv *b,
                      enum series_combine how)
{
	struct hist *h = malloc(sizeof(*h)), *zero = malloc(sizeof(*zero));
	int rv = SW_ERR_NOMEM;
	memset(out, 0, sizeof(*out));
	if (!h || !zero)
		goto out;
	hist_init(zero);
	out->ops = calloc(EP_COUNT, sizeof(*out->ops));
	if (!out->ops)
		goto out;
	for (unsigned ep = 0; ep < EP_COUNT; ep++) {
		const struct series_op *x = find_op(a, ep), *y = find_op(b, ep);
		if (!x && !y)
			continue;
		struct series_op *o = &out->ops[out->nops];
		o->ep = ep;
		o->count = (x ? x->count : 0) + (y ? y->count : 0);
		o->errors = (x ? x->errors : 0) + (y ? y->errors : 0);
		for (unsigned c = 0; c < SERIES_CLASSES; c++)
			o->classes[c] = (x ? x->classes[c] : 0) + (y ? y->classes[c] : 0);
		if (hsp_sum(&o->service, x ? &x->service : NULL, y ? &y->service : NULL, h, zero) < 0)
			goto out;
		if (hsp_sum(&o->intended, x ? &x->intended : NULL, y ? &y->intended : NULL, h, zero) < 0) {
			hsp_free(&o->service);
			goto out;
		}
		out->nops++;
		if (o->intended.count) {
			hist_init(h);
			hsp_add_to(h, &o->intended);
			o->intended_p99_ns = hist_quantile(h, 0.99);
		} else {
			/* Files without interval intended histograms: the larger p99 bounds it. */
			uint64_t p = x ? x->intended_p99_ns : 0, q = y ? y->intended_p99_ns : 0;
			o->intended_p99_ns = p > q ? p : q;
		}
	}
	if (hsp_sum(&out->lateness, &a->lateness, &b->lateness, h, zero) < 0 ||
	    hsp_sum(&out->start_delay, &a->start_delay, &b->start_delay, h, zero) < 0 ||
	    hsp_sum(&out->send_delay, &a->send_delay, &b->send_delay, h, zero) < 0)
		goto out;
	out->cpu_ns = a->cpu_ns + b->cpu_ns;
	if (how == SERIES_SUCCESSIVE) {
		out->t0 = a->t0;
		out->t1 = b->t1;
		memcpy(out->hosts, b->hosts, sizeof(out->hosts));
		out->clusters_total = b->clusters_total;
		out->started = b->started;
		out->ready = b->ready;
		out->installed = b->installed;
		out->failed = b->failed;
		out->calls_in_flight = b->calls_in_flight;
		out->hosts_waiting_slot = b->hosts_waiting_slot;
	} else {
		out->t0 = a->t0 < b->t0 ? a->t0 : b->t0;
		out->t1 = a->t1 > b->t1 ? a->t1 : b->t1;
		for (unsigned p = 0; p < HP_COUNT; p++)
			out->hosts[p] = a->hosts[p] + b->hosts[p];
		out->clusters_total = a->clusters_total + b->clusters_total;
		out->started = a->started + b->started;
		out->ready = a->ready + b->ready;
		out->installed = a->installed + b->installed;
		out->failed = a->failed + b->failed;
		out->calls_in_flight = a->calls_in_flight + b->calls_in_flight;
		out->hosts_waiting_slot = a->hosts_waiting_slot + b->hosts_waiting_slot;
	}
	/* The service's own metrics: the later (or the first process's) scrape. */
	const char *sm = how == SERIES_SUCCESSIVE ? (b->service_metrics ? b->service_metrics : a->service_metrics)
	                                          : (a->service_metrics ? a->service_metrics : b->service_metrics);
	if (sm && !(out->service_metrics = strdup(sm)))
		goto out;
	rv = 0;
out:
	if (rv < 0)
		series_iv_free(out);
	free(h);
	free(zero);
	return rv;
}

static size_t hsp_bytes(const struct hsp *h)
{
	return h->n * sizeof(*h->w);
}

size_t series_iv_bytes(const struct series_iv *iv)
{
	size_t b = sizeof(*iv) + iv->nops * sizeof(*iv->ops) + hsp_bytes(&iv->lateness) +
	           hsp_bytes(&iv->start_delay) + hsp_bytes(&iv->send_delay);
	for (unsigned i = 0; i < iv->nops; i++)
		b += hsp_bytes(&iv->ops[i].service) + hsp_bytes(&iv->ops[i].intended);
	if (iv->service_metrics)
		b += strlen(iv->service_metrics) + 1;
	return b;
}

int series_iv_copy(struct series_iv *out, const struct series_iv *src)
{
	*out = *src;
	out->ops = NULL;
	out->nops = 0;
	out->service_metrics = NULL;
	memset(&out->lateness, 0, sizeof(out->lateness));
	memset(&out->start_delay, 0, sizeof(out->start_delay));
	memset(&out->send_delay, 0, sizeof(out->send_delay));
	if (src->nops && !(out->ops = calloc(src->nops, sizeof(*out->ops))))
		return SW_ERR_NOMEM;
	for (unsigned i = 0; i < src->nops; i++) {
		out->ops[i] = src->ops[i];
		memset(&out->ops[i].service, 0, sizeof(struct hsp));
		memset(&out->ops[i].intended, 0, sizeof(struct hsp));
		out->nops = i + 1;
		if (hsp_dup(&out->ops[i].service, &src->ops[i].service) < 0 ||
		    hsp_dup(&out->ops[i].intended, &src->ops[i].intended) < 0)
			goto fail;
	}
	if (hsp_dup(&out->lateness, &src->lateness) < 0 || hsp_dup(&out->start_delay, &src->start_delay) < 0 ||
	    hsp_dup(&out->send_delay, &src->send_delay) < 0)
		goto fail;
	if (src->service_metrics && !(out->service_metrics = strdup(src->service_metrics)))
		goto fail;
	return 0;
fail:
	series_iv_free(out);
	return SW_ERR_NOMEM;
}

int series_append(struct series *s, struct series_iv *iv)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct series_iv *v = realloc(s->iv, cap * sizeof(*v));
		if (!v)
			return SW_ERR_NOMEM;
		s->iv = v;
		s->cap = cap;
	}
	s->iv[s->n++] = *iv;
	memset(iv, 0, sizeof(*iv));
	return 0;
}

int series_halve(struct series *s)
{
	size_t half = s->n / 2, out = 0;
	if (half < 2)
		return 0;
	half &= ~(size_t)1;
	for (size_t i = 0; i + 1 < half; i += 2) {
		struct series_iv m;
		if (series_iv_combine(&m, &s->iv[i], &s->iv[i + 1], SERIES_SUCCESSIVE) < 0) {
			/* Keep what is merged so far consistent: shift the rest down. */
			memmove(&s->iv[out], &s->iv[i], (s->n - i) * sizeof(*s->iv));
			s->n -= i - out;
			return SW_ERR_NOMEM;
		}
		series_iv_free(&s->iv[i]);
		series_iv_free(&s->iv[i + 1]);
		s->iv[out++] = m;
	}
	memmove(&s->iv[out], &s->iv[half], (s->n - half) * sizeof(*s->iv));
	s->n -= half - out;
	return 0;
}

/* ------------------------------------------------------ reading back */

static int num(const json_t *o, const char *k, double *out)
{
	const json_t *v = json_object_get(o, k);
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 0;
}

static int count_of(const json_t *o, const char *k, uint64_t *out)
{
	const json_t *v = json_object_get(o, k);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int hsp_from_json(struct hsp *out, const json_t *j, struct hist *h, const struct hist *zero,
                         char *err, size_t errlen)
{
	hist_init(h);
	if (hist_json_add(h, j, err, errlen) < 0)
		return SW_ERR_INVALID;
	return hsp_encode_diff(out, h, zero);
}

int series_iv_from_json(struct series_iv *out, const json_t *j, char *err, size_t errlen)
{
	struct hist *h = malloc(sizeof(*h)), *zero = malloc(sizeof(*zero));
	const char *what = "start_seconds/end_seconds";
	char sub[160] = "";
	int rv = SW_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	if (!h || !zero) {
		rv = SW_ERR_NOMEM;
		goto out;
	}
	hist_init(zero);
	if (!json_is_object(j) || num(j, "start_seconds", &out->t0) < 0 || num(j, "end_seconds", &out->t1) < 0)
		goto bad;
	const json_t *ops = json_object_get(j, "operations");
	what = "operations";
	if (!json_is_object(ops))
		goto bad;
	out->ops = calloc(EP_COUNT, sizeof(*out->ops));
	if (!out->ops) {
		rv = SW_ERR_NOMEM;
		goto out;
	}
	const char *name;
	const json_t *o;
	json_object_foreach((json_t *)ops, name, o) {
		int ep = -1;
		for (int e = 0; e < EP_COUNT; e++)
			if (!strcmp(stats_ep_name((enum swarm_ep)e), name))
				ep = e;
		what = "operations";
		snprintf(sub, sizeof(sub), ".%.64s", name);
		if (ep < 0 || find_op(out, (unsigned)ep) || out->nops >= EP_COUNT)
			goto bad;
		struct series_op *op = &out->ops[out->nops];
		const json_t *cls = json_object_get(o, "status_classes");
		const json_t *lat = json_object_get(o, "latency_seconds");
		double ip99 = 0;
		op->ep = (unsigned)ep;
		if (count_of(o, "count", &op->count) < 0 || count_of(o, "errors", &op->errors) < 0 ||
		    !json_is_object(cls) || !json_is_object(lat) || num(o, "intended_p99_seconds", &ip99) < 0)
			goto bad;
		for (unsigned c = 0; c < SERIES_CLASSES; c++)
			if (json_object_get(cls, class_names[c]) && count_of(cls, class_names[c], &op->classes[c]) < 0)
				goto bad;
		op->intended_p99_ns = ip99 > 0 ? (uint64_t)llround(ip99 * 1e9) : 0;
		out->nops++;
		char e2[160];
		int r = hsp_from_json(&op->service, json_object_get(lat, "histogram"), h, zero, e2, sizeof(e2));
		if (r == 0 && json_object_get(o, "intended_histogram"))
			r = hsp_from_json(&op->intended, json_object_get(o, "intended_histogram"), h, zero, e2, sizeof(e2));
		if (r == SW_ERR_NOMEM) {
			rv = r;
			goto out;
		}
		if (r < 0)
			goto bad;
		if (op->service.count != op->count) {
			snprintf(sub, sizeof(sub), ".%.64s (histogram count %llu, count %llu)", name,
			         (unsigned long long)op->service.count, (unsigned long long)op->count);
			goto bad;
		}
	}
	sub[0] = '\0';
	what = "hosts_by_phase";
	const json_t *ph = json_object_get(j, "hosts_by_phase");
	if (!json_is_object(ph))
		goto bad;
	for (unsigned p = 0; p < HP_COUNT; p++) {
		const json_t *v = json_object_get(ph, stats_phase_name((enum swarm_host_phase)p));
		if (!json_is_integer(v))
			goto bad;
		out->hosts[p] = json_integer_value(v);
	}
	what = "clusters";
	const json_t *cl = json_object_get(j, "clusters");
	uint64_t waiting = 0;
	if (!json_is_object(cl) || count_of(cl, "total", &out->clusters_total) < 0 ||
	    count_of(cl, "waiting", &waiting) < 0 || count_of(cl, "installed", &out->installed) < 0 ||
	    count_of(cl, "failed", &out->failed) < 0 || count_of(cl, "ready_in_interval", &out->ready) < 0)
		goto bad;
	/* |ready| holds the interval's count here; the caller makes it cumulative. */
	out->started = out->clusters_total > waiting ? out->clusters_total - waiting : 0;
	what = "calls_in_flight/hosts_waiting_slot/cpu_seconds";
	double cpu = 0;
	const json_t *cif = json_object_get(j, "calls_in_flight"), *hws = json_object_get(j, "hosts_waiting_slot");
	if (!json_is_integer(cif) || !json_is_integer(hws) || num(j, "cpu_seconds", &cpu) < 0)
		goto bad;
	out->calls_in_flight = json_integer_value(cif);
	out->hosts_waiting_slot = json_integer_value(hws);
	out->cpu_ns = cpu > 0 ? (uint64_t)llround(cpu * 1e9) : 0;
	static const char *const hk[] = {"lateness_seconds", "start_delay_seconds", "send_delay_seconds"};
	struct hsp *hv[] = {&out->lateness, &out->start_delay, &out->send_delay};
	for (int i = 0; i < 3; i++) {
		char e2[160];
		what = hk[i];
		int r = hsp_from_json(hv[i], json_object_get(json_object_get(j, hk[i]), "histogram"), h, zero, e2,
		                      sizeof(e2));
		if (r == SW_ERR_NOMEM) {
			rv = r;
			goto out;
		}
		if (r < 0)
			goto bad;
	}
	const json_t *sm = json_object_get(j, "service_metrics");
	if (json_is_object(sm) && !(out->service_metrics = json_dumps(sm, JSON_COMPACT))) {
		rv = SW_ERR_NOMEM;
		goto out;
	}
	rv = 0;
	goto out;
bad:
	snprintf(err, errlen, "member '%s%s' missing or malformed", what, sub);
	rv = SW_ERR_INVALID;
out:
	if (rv < 0)
		series_iv_free(out);
	free(h);
	free(zero);
	return rv;
}
