/*
 * thresholds: parse, evaluate and report (see thresholds.h). Metric names,
 * tags and units are documented in README "Thresholds"; keep both in step.
 */
#include "thresholds.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "sw_duration.h"
#include "sw_err.h"

enum thr_kind { K_TREND, K_COUNTER, K_RATE };

static const struct {
	const char *name;
	enum thr_kind kind;
	enum thr_tag tag;          /* the tag it accepts (NONE: none) */
} metrics[THR_METRIC_COUNT] = {
	[THR_REQUEST_DURATION] = {"request_duration", K_TREND, THR_TAG_OPERATION},
	[THR_REQUEST_SCHEDULED_DURATION] = {"request_scheduled_duration", K_TREND, THR_TAG_OPERATION},
	[THR_REQUEST_SEND_DELAY] = {"request_send_delay", K_TREND, THR_TAG_NONE},
	[THR_REQUESTS] = {"requests", K_COUNTER, THR_TAG_OPERATION},
	[THR_REQUEST_ERRORS] = {"request_errors", K_RATE, THR_TAG_OPERATION},
	[THR_CLUSTER_INSTALL_DURATION] = {"cluster_install_duration", K_TREND, THR_TAG_SHAPE},
	[THR_CLUSTER_READY_DURATION] = {"cluster_ready_duration", K_TREND, THR_TAG_SHAPE},
	[THR_CLUSTERS_INSTALLED] = {"clusters_installed", K_COUNTER, THR_TAG_SHAPE},
	[THR_CLUSTERS_FAILED] = {"clusters_failed", K_COUNTER, THR_TAG_SHAPE},
	[THR_CLUSTER_FAILURES] = {"cluster_failures", K_RATE, THR_TAG_SHAPE},
	[THR_SCHEDULE_LATENESS] = {"schedule_lateness", K_TREND, THR_TAG_NONE},
	[THR_CLUSTER_START_DELAY] = {"cluster_start_delay", K_TREND, THR_TAG_NONE},
};

static const char *const kind_aggs[] = {
	[K_TREND] = "avg, min, max, med, p(N) or count",
	[K_COUNTER] = "count or rate (per second)",
	[K_RATE] = "rate (a fraction from 0 to 1)",
};

#define THR_MAX_ITEMS 1000u
#define THR_MAX_TEXT 256u

/* ------------------------------------------------------------ parsing */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int thr_parse_name(const char *name, struct thr_item *it, char *err, size_t errlen)
{
	const char *brace = strchr(name, '{');
	size_t mlen = brace ? (size_t)(brace - name) : strlen(name);
	int m = -1;
	for (int i = 0; i < THR_METRIC_COUNT; i++)
		if (strlen(metrics[i].name) == mlen && !strncmp(metrics[i].name, name, mlen))
			m = i;
	if (m < 0) {
		snprintf(err, errlen, "unknown metric '%.*s' (known: request_duration, "
		         "request_scheduled_duration, request_send_delay, requests, request_errors, "
		         "cluster_install_duration, cluster_ready_duration, clusters_installed, "
		         "clusters_failed, cluster_failures, schedule_lateness, cluster_start_delay)",
		         (int)(mlen > 64 ? 64 : mlen), name);
		return SW_ERR_INVALID;
	}
	it->metric = (enum thr_metric)m;
	it->tag = THR_TAG_NONE;
	if (!brace)
		return 0;
	const char *end = strchr(brace, '}');
	if (!end || end[1]) {
		snprintf(err, errlen, "a tag is written {name:value} and ends the key");
		return SW_ERR_INVALID;
	}
	const char *colon = memchr(brace + 1, ':', (size_t)(end - brace - 1));
	if (!colon || colon == brace + 1 || colon + 1 == end) {
		snprintf(err, errlen, "a tag is written {name:value}, e.g. {operation:get_next_steps}");
		return SW_ERR_INVALID;
	}
	size_t tlen = (size_t)(colon - brace - 1), vlen = (size_t)(end - colon - 1);
	if (memchr(colon + 1, ',', vlen) || memchr(colon + 1, ':', vlen)) {
		snprintf(err, errlen, "one tag per threshold key is supported");
		return SW_ERR_INVALID;
	}
	enum thr_tag want = metrics[m].tag;
	const char *tname = want == THR_TAG_OPERATION ? "operation" : want == THR_TAG_SHAPE ? "shape" : NULL;
	if (!tname) {
		snprintf(err, errlen, "metric '%s' takes no tag", metrics[m].name);
		return SW_ERR_INVALID;
	}
	if (strlen(tname) != tlen || strncmp(tname, brace + 1, tlen)) {
		snprintf(err, errlen, "metric '%s' takes the tag '%s', not '%.*s'", metrics[m].name, tname,
		         (int)(tlen > 32 ? 32 : tlen), brace + 1);
		return SW_ERR_INVALID;
	}
	if (want == THR_TAG_OPERATION) {
		for (int e = 0; e < EP_COUNT; e++) {
			const char *n = stats_ep_name((enum swarm_ep)e);
			if (strlen(n) == vlen && !strncmp(n, colon + 1, vlen)) {
				it->tag = THR_TAG_OPERATION;
				it->op = (unsigned)e;
				return 0;
			}
		}
		snprintf(err, errlen, "unknown operation '%.*s' (the operation names of the results "
		         "file, e.g. get_next_steps, register_host, get_cluster)",
		         (int)(vlen > 64 ? 64 : vlen), colon + 1);
		return SW_ERR_INVALID;
	}
	it->shape = strndup(colon + 1, vlen);
	if (!it->shape)
		return SW_ERR_NOMEM;
	it->tag = THR_TAG_SHAPE;
	return 0;
}

/* The number and unit after the operator; durations become ms. */
static int parse_rhs(enum thr_kind kind, enum thr_agg agg, const char *p, double *out, char *err,
                     size_t errlen)
{
	char *end = NULL;
	errno = 0;
	double x = strtod(p, &end);
	if (end == p || errno || !isfinite(x)) {
		snprintf(err, errlen, "expected a number after the operator, got '%.32s'", p);
		return SW_ERR_INVALID;
	}
	const char *unit = end;
	const char *tail = unit;
	while (*tail && *tail != ' ' && *tail != '\t')
		tail++;
	if (*skip_ws(tail)) {
		snprintf(err, errlen, "unexpected text after the value: '%.32s'", skip_ws(tail));
		return SW_ERR_INVALID;
	}
	size_t ulen = (size_t)(tail - unit);
	if (!ulen) {
		*out = x;
		return 0;
	}
	if (kind == K_TREND && agg != THR_COUNT) {
		char buf[64];
		uint64_t ns = 0;
		if (x < 0 || (size_t)(tail - p) >= sizeof(buf)) {
			snprintf(err, errlen, "a duration must be non-negative, got '%.32s'", p);
			return SW_ERR_INVALID;
		}
		memcpy(buf, p, (size_t)(tail - p));
		buf[tail - p] = 0;
		if (sw_duration_parse(buf, &ns) < 0) {
			snprintf(err, errlen, "unknown duration '%s' (e.g. 500ms, 2s, 20m; a bare number is "
			         "milliseconds)", buf);
			return SW_ERR_INVALID;
		}
		*out = (double)ns / 1e6;
		return 0;
	}
	if (kind == K_RATE && ulen == 1 && *unit == '%') {
		*out = x / 100.0;
		return 0;
	}
	snprintf(err, errlen, "unexpected unit '%.*s' (%s)", (int)(ulen > 16 ? 16 : ulen), unit,
	         kind == K_RATE ? "a rate is a fraction such as 0.01, or a percentage such as 1%"
	                        : "this value is a plain number");
	return SW_ERR_INVALID;
}

int thr_parse_expr(enum thr_metric metric, const char *expr, struct thr_item *it, char *err,
                   size_t errlen)
{
	enum thr_kind kind = metrics[metric].kind;
	const char *p = skip_ws(expr);
	const char *a0 = p;
	while (isalpha((unsigned char)*p))
		p++;
	size_t alen = (size_t)(p - a0);
	it->pct = 0;
#define IS(s) (alen == strlen(s) && !strncmp(a0, s, alen))
	if (IS("p") && *p == '(') {
		char *end = NULL;
		errno = 0;
		double v = strtod(p + 1, &end);
		if (end == p + 1 || *end != ')' || errno || !(v >= 0 && v <= 100)) {
			snprintf(err, errlen, "p(N) takes a percentile from 0 to 100, e.g. p(99) or p(99.9)");
			return SW_ERR_INVALID;
		}
		it->agg = THR_PCT;
		it->pct = v;
		p = end + 1;
	} else if (IS("avg")) {
		it->agg = THR_AVG;
	} else if (IS("min")) {
		it->agg = THR_MIN;
	} else if (IS("max")) {
		it->agg = THR_MAX;
	} else if (IS("med")) {
		it->agg = THR_MED;
	} else if (IS("count")) {
		it->agg = THR_COUNT;
	} else if (IS("rate")) {
		it->agg = THR_RATE;
	} else {
		/* Quote the whole word the user wrote ("p99", not "p"). */
		const char *w = a0;
		while (*w && !strchr(" \t<>=!", *w))
			w++;
		snprintf(err, errlen, "unknown aggregation '%.*s' (%s takes %s)", (int)(w > a0 ? (w - a0 > 16 ? 16 : w - a0) : 9),
		         w > a0 ? a0 : "(nothing)", metrics[metric].name, kind_aggs[kind]);
		return SW_ERR_INVALID;
	}
#undef IS
	int ok = kind == K_TREND ? it->agg != THR_RATE
	       : kind == K_COUNTER ? it->agg == THR_COUNT || it->agg == THR_RATE
	       : it->agg == THR_RATE;
	if (!ok) {
		snprintf(err, errlen, "'%.*s' does not apply to %s, which takes %s", (int)(p - a0), a0,
		         metrics[metric].name, kind_aggs[kind]);
		return SW_ERR_INVALID;
	}
	p = skip_ws(p);
	static const struct {
		const char *s;
		enum thr_cmp c;
	} ops[] = {{"===", THR_EQ}, {"<=", THR_LE}, {">=", THR_GE}, {"==", THR_EQ}, {"!=", THR_NE},
	           {"<", THR_LT}, {">", THR_GT}};
	size_t k;
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		if (!strncmp(p, ops[k].s, strlen(ops[k].s)))
			break;
	if (k == sizeof(ops) / sizeof(ops[0])) {
		const char *e = p;
		while (e > a0 && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		snprintf(err, errlen, "expected an operator (<, <=, >, >=, ==, !=) after '%.*s', got '%.16s'",
		         (int)(e - a0 > 24 ? 24 : e - a0), a0, *p ? p : "(nothing)");
		return SW_ERR_INVALID;
	}
	it->cmp = ops[k].c;
	p = skip_ws(p + strlen(ops[k].s));
	return parse_rhs(kind, it->agg, p, &it->rhs, err, errlen);
}

const char *thr_unit(const struct thr_item *it)
{
	switch (metrics[it->metric].kind) {
	case K_TREND:
		return it->agg == THR_COUNT ? "count" : "ms";
	case K_COUNTER:
		return it->agg == THR_RATE ? "per_second" : "count";
	case K_RATE:
		return "ratio";
	}
	return "count";
}

static void item_free(struct thr_item *it)
{
	free(it->name);
	free(it->expr);
	free(it->shape);
}

void thr_set_free(struct thr_set **sp)
{
	if (!sp || !*sp)
		return;
	for (size_t i = 0; i < (*sp)->n; i++)
		item_free(&(*sp)->v[i]);
	free((*sp)->v);
	free(*sp);
	*sp = NULL;
}

char **thr_plan_labels(const struct swarm_plan *plan)
{
	if (!plan || !plan->nshapes)
		return NULL;
	char **v = calloc(plan->nshapes, sizeof(*v));
	for (size_t i = 0; v && i < plan->nshapes; i++) {
		char buf[64];
		swarm_shape_label(&plan->shapes[i], buf, sizeof(buf));
		if (!(v[i] = strdup(buf))) {
			thr_labels_free(v, i);
			return NULL;
		}
	}
	return v;
}

void thr_labels_free(char **labels, size_t n)
{
	for (size_t i = 0; labels && i < n; i++)
		free(labels[i]);
	free(labels);
}

/* Does shape |s| (label |label|) match the tag value |want| (a label or an index)? */
static int shape_matches(const char *want, size_t s, const char *label)
{
	char idx[24];
	snprintf(idx, sizeof(idx), "%zu", s);
	return !strcmp(want, idx) || (label && !strcmp(want, label));
}

struct yctx {
	yaml_document_t *doc;
	const char *path;
	char *err;
	size_t errlen;
};

static int yerr(struct yctx *y, const yaml_node_t *at, const char *key, const char *msg)
{
	snprintf(y->err, y->errlen, "%s:%u:%u: key '%s': %s", y->path, (unsigned)at->start_mark.line + 1,
	         (unsigned)at->start_mark.column + 1, key, msg);
	return SW_ERR_INVALID;
}

static const char *yscalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* One list item: an expression string or {threshold, abortOnFail, delayAbortEval}. */
static int load_item(struct yctx *y, const yaml_node_t *n, const char *key, struct thr_item *it)
{
	char msg[512];
	const yaml_node_t *expr = n;
	if (n->type == YAML_MAPPING_NODE) {
		expr = NULL;
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
			yaml_node_t *v = yaml_document_get_node(y->doc, p->value);
			const char *ks = yscalar(k), *vs = yscalar(v);
			char kp[400];
			snprintf(kp, sizeof(kp), "%.280s.%.64s", key, ks ? ks : "?");
			if (!ks)
				return yerr(y, k, key, "keys of a threshold object are strings");
			if (!strcmp(ks, "threshold")) {
				expr = v;
			} else if (!strcmp(ks, "abortOnFail")) {
				if (!vs || (strcmp(vs, "true") && strcmp(vs, "false")))
					return yerr(y, v, kp, "expected true or false");
				it->abort_on_fail = !strcmp(vs, "true");
			} else if (!strcmp(ks, "delayAbortEval")) {
				uint64_t ns = 0;
				if (!vs || sw_duration_parse(vs, &ns) < 0)
					return yerr(y, v, kp, "expected a duration such as '10s' or '1m'");
				it->delay_abort_ns = ns;
			} else {
				return yerr(y, k, kp, "unknown key (a threshold object has threshold, abortOnFail, "
				            "delayAbortEval)");
			}
		}
		if (!expr)
			return yerr(y, n, key, "a threshold object needs 'threshold: \"<expression>\"'");
	}
	const char *s = yscalar(expr);
	if (!s)
		return yerr(y, expr, key, "expected an expression string such as \"p(99) < 500ms\"");
	if (strlen(s) > THR_MAX_TEXT)
		return yerr(y, expr, key, "expression longer than 256 characters");
	it->line = (unsigned)expr->start_mark.line + 1;
	it->col = (unsigned)expr->start_mark.column + 1;
	if (thr_parse_expr(it->metric, s, it, msg, sizeof(msg)) < 0)
		return yerr(y, expr, key, msg);
	if (!(it->expr = strdup(s)))
		return SW_ERR_NOMEM;
	return 0;
}

int thr_load_yaml(struct thr_set **out, yaml_document_t *doc, yaml_node_t *node, const char *path,
                  const struct swarm_plan *plan, char *err, size_t errlen)
{
	struct yctx y = {.doc = doc, .path = path, .err = err, .errlen = errlen};
	char msg[512], key[256];
	int rv = 0;
	*out = NULL;
	if (!node || (node->type == YAML_SCALAR_NODE && (!*yscalar(node) || !strcmp(yscalar(node), "null") ||
	                                                 !strcmp(yscalar(node), "~"))))
		return 0;
	if (node->type != YAML_MAPPING_NODE)
		return yerr(&y, node, "thresholds", "expected a mapping of metric names to lists of expressions");
	struct thr_set *set = calloc(1, sizeof(*set));
	if (!set)
		return SW_ERR_NOMEM;
	char **labels = thr_plan_labels(plan);
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top && !rv; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const char *name = yscalar(k);
		struct thr_item proto;
		memset(&proto, 0, sizeof(proto));
		if (!name) {
			rv = yerr(&y, k, "thresholds", "metric names are strings");
			break;
		}
		snprintf(key, sizeof(key), "thresholds.%.200s", name);
		if (strlen(name) > 200) {
			rv = yerr(&y, k, key, "metric name longer than 200 characters");
			break;
		}
		for (yaml_node_pair_t *q = node->data.mapping.pairs.start; q < p; q++) {
			const char *qs = yscalar(yaml_document_get_node(doc, q->key));
			if (qs && !strcmp(qs, name)) {
				rv = yerr(&y, k, key, "duplicate key");
				break;
			}
		}
		if (rv)
			break;
		rv = thr_parse_name(name, &proto, msg, sizeof(msg));
		if (rv == SW_ERR_INVALID)
			rv = yerr(&y, k, key, msg);
		if (!rv && proto.tag == THR_TAG_SHAPE && plan) {
			int found = 0;
			for (size_t s = 0; s < plan->nshapes; s++)
				found |= shape_matches(proto.shape, s, labels ? labels[s] : NULL);
			if (!found) {
				snprintf(msg, sizeof(msg), "no shape of the plan is '%s' (a shape is named by its "
				         "label, e.g. sno, compact, multi or its 'name', or by its index from 0)",
				         proto.shape);
				rv = yerr(&y, k, key, msg);
			}
		}
		if (!rv && (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top == v->data.sequence.items.start))
			rv = yerr(&y, v, key, "expected a non-empty list of expressions, e.g. [\"p(99) < 500ms\"]");
		for (yaml_node_item_t *e = rv ? NULL : v->data.sequence.items.start;
		     e && e < v->data.sequence.items.top && !rv; e++) {
			if (set->n >= THR_MAX_ITEMS) {
				rv = yerr(&y, v, key, "more than 1000 thresholds");
				break;
			}
			struct thr_item *nv = realloc(set->v, (set->n + 1) * sizeof(*nv));
			if (!nv) {
				rv = SW_ERR_NOMEM;
				break;
			}
			set->v = nv;
			struct thr_item *it = &set->v[set->n];
			*it = proto;
			it->shape = NULL;
			it->name = strdup(name);
			if (proto.shape)
				it->shape = strdup(proto.shape);
			set->n++;
			if (!it->name || (proto.shape && !it->shape)) {
				rv = SW_ERR_NOMEM;
				break;
			}
			char ik[300];
			snprintf(ik, sizeof(ik), "%.240s[%ld]", key, (long)(e - v->data.sequence.items.start));
			rv = load_item(&y, yaml_document_get_node(doc, *e), ik, it);
			set->any_abort |= it->abort_on_fail;
		}
		free(proto.shape);
	}
	thr_labels_free(labels, plan ? plan->nshapes : 0);
	if (rv) {
		thr_set_free(&set);
		return rv;
	}
	*out = set;
	return 0;
}

/* --------------------------------------------------------- evaluation */

static int trend_value(const struct hist *h, const struct thr_item *it, double *out)
{
	if (it->agg == THR_COUNT) {
		*out = (double)h->count;
		return 1;
	}
	if (!h->count)
		return 0;
	switch (it->agg) {
	case THR_AVG:
		*out = hist_mean(h) / 1e6;
		break;
	case THR_MIN:
		*out = (double)h->min_ns / 1e6;
		break;
	case THR_MAX:
		*out = (double)h->max_ns / 1e6;
		break;
	case THR_MED:
		*out = (double)hist_quantile(h, 0.5) / 1e6;
		break;
	case THR_PCT:
		*out = (double)hist_quantile(h, it->pct / 100.0) / 1e6;
		break;
	case THR_COUNT:
	case THR_RATE:
		return 0;
	}
	return 1;
}

static uint64_t ep_errors(const struct swarm_ep_stats *e, enum swarm_ep ep)
{
	uint64_t n = 0;
	for (int c = 0; c < STATS_HTTP_CODES; c++)
		if (e->status[c] && stats_status_is_error(ep, c))
			n += e->status[c];
	for (size_t c = 0; c < sizeof(e->transport_errors) / sizeof(e->transport_errors[0]); c++)
		n += e->transport_errors[c];
	return n;
}

static int compare(double v, enum thr_cmp c, double rhs)
{
	switch (c) {
	case THR_LT: return v < rhs;
	case THR_LE: return v <= rhs;
	case THR_GT: return v > rhs;
	case THR_GE: return v >= rhs;
	case THR_EQ: return v == rhs;
	case THR_NE: return v != rhs;
	}
	return 0;
}

struct thr_result thr_eval(const struct thr_item *it, const struct thr_view *v)
{
	struct thr_result r = {0, 0, 0};
	const struct swarm_stats *st = v->st;
	struct hist *h = NULL;
	double num = 0, den = 0;
	int is_ratio = 0;
	switch (it->metric) {
	case THR_REQUEST_DURATION:
	case THR_REQUEST_SCHEDULED_DURATION:
		h = malloc(sizeof(*h));
		if (!h)
			return r;
		hist_init(h);
		for (int e = 0; e < EP_COUNT; e++)
			if (it->tag != THR_TAG_OPERATION || (unsigned)e == it->op)
				hist_merge(h, it->metric == THR_REQUEST_DURATION ? &st->ep[e].service : &st->ep[e].intended);
		r.has_value = trend_value(h, it, &r.value);
		break;
	case THR_REQUEST_SEND_DELAY:
		r.has_value = trend_value(&st->send_delay, it, &r.value);
		break;
	case THR_SCHEDULE_LATENESS:
		r.has_value = trend_value(&st->lateness, it, &r.value);
		break;
	case THR_CLUSTER_START_DELAY:
		r.has_value = trend_value(&st->start_delay, it, &r.value);
		break;
	case THR_REQUESTS:
	case THR_REQUEST_ERRORS:
		for (int e = 0; e < EP_COUNT; e++) {
			if (it->tag == THR_TAG_OPERATION && (unsigned)e != it->op)
				continue;
			den += (double)st->ep[e].count;
			num += (double)ep_errors(&st->ep[e], (enum swarm_ep)e);
		}
		if (it->metric == THR_REQUESTS)
			num = den;
		is_ratio = it->metric == THR_REQUEST_ERRORS;
		break;
	case THR_CLUSTER_INSTALL_DURATION:
	case THR_CLUSTER_READY_DURATION: {
		int inst = it->metric == THR_CLUSTER_INSTALL_DURATION;
		if (it->tag != THR_TAG_SHAPE) {
			r.has_value = trend_value(inst ? &st->cluster_installed : &st->cluster_ready, it, &r.value);
			break;
		}
		h = malloc(sizeof(*h));
		if (!h)
			return r;
		hist_init(h);
		for (size_t s = 0; s < st->nshapes; s++)
			if (shape_matches(it->shape, s, s < v->nshape_labels ? v->shape_labels[s] : NULL))
				hist_merge(h, inst ? &st->shapes[s].installed_h : &st->shapes[s].ready);
		r.has_value = trend_value(h, it, &r.value);
		break;
	}
	case THR_CLUSTERS_INSTALLED:
	case THR_CLUSTERS_FAILED:
	case THR_CLUSTER_FAILURES: {
		double inst = 0, failed = 0;
		if (it->tag != THR_TAG_SHAPE) {
			inst = (double)st->clusters_installed;
			failed = (double)st->clusters_failed;
		} else {
			for (size_t s = 0; s < st->nshapes; s++) {
				if (!shape_matches(it->shape, s, s < v->nshape_labels ? v->shape_labels[s] : NULL))
					continue;
				inst += (double)st->shapes[s].installed;
				failed += (double)st->shapes[s].failed;
			}
		}
		num = it->metric == THR_CLUSTERS_INSTALLED ? inst : failed;
		den = inst + failed;
		is_ratio = it->metric == THR_CLUSTER_FAILURES;
		break;
	}
	case THR_METRIC_COUNT:
		break;
	}
	free(h);
	if (metrics[it->metric].kind != K_TREND) {
		if (is_ratio) {
			r.has_value = den > 0;
			r.value = den > 0 ? num / den : 0;
		} else if (it->agg == THR_RATE) {
			r.has_value = v->duration_s > 0;
			r.value = v->duration_s > 0 ? num / v->duration_s : 0;
		} else {
			r.has_value = 1;
			r.value = num;
		}
	}
	r.passed = r.has_value && compare(r.value, it->cmp, it->rhs);
	return r;
}

long thr_abort_check(const struct thr_set *set, const struct thr_view *v, uint64_t elapsed_ns)
{
	for (size_t i = 0; set && set->any_abort && i < set->n; i++) {
		const struct thr_item *it = &set->v[i];
		if (!it->abort_on_fail || elapsed_ns < it->delay_abort_ns)
			continue;
		struct thr_result r = thr_eval(it, v);
		if (r.has_value && !r.passed)
			return (long)i;
	}
	return -1;
}

json_t *thr_eval_json(const struct thr_set *set, const struct thr_view *v, long aborted_idx,
                      size_t *failed)
{
	json_t *arr = json_array();
	*failed = 0;
	for (size_t i = 0; arr && set && i < set->n; i++) {
		const struct thr_item *it = &set->v[i];
		struct thr_result r = thr_eval(it, v);
		json_t *o = json_pack("{s:s, s:s, s:b, s:o, s:s, s:b, s:b}", "name", it->name, "expression",
		                      it->expr, "passed", r.passed,
		                      "value", r.has_value ? json_real(r.value) : json_null(),
		                      "unit", thr_unit(it), "abort_on_fail", it->abort_on_fail,
		                      "aborted", (long)i == aborted_idx);
		if (!o || json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
		*failed += !r.passed;
	}
	return arr;
}
