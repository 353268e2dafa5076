/*
 * rp_load: reads a results file and checks what the report relies on (see
 * rp.h). The JSON Schema (scenarios/results.schema.json) is the full
 * contract; here every member the charts use is checked for its type, and
 * every histogram is decoded once, so rendering never meets a surprise.
 */
#include "rp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist_sparse.h"

double rp_num(const json_t *o, const char *key, double def)
{
	const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
	return json_is_number(v) ? json_number_value(v) : def;
}

const char *rp_str(const json_t *o, const char *key, const char *def)
{
	const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : def;
}

const json_t *rp_path(const json_t *o, const char *dotted)
{
	char key[128];
	const char *p = dotted;
	while (o && *p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l >= sizeof(key) || !json_is_object(o))
			return NULL;
		memcpy(key, p, l);
		key[l] = '\0';
		o = json_object_get(o, key);
		p = dot ? dot + 1 : p + l;
	}
	return o;
}

double rp_num_at(const json_t *o, const char *dotted, double def)
{
	const json_t *v = rp_path(o, dotted);
	return json_is_number(v) ? json_number_value(v) : def;
}

int rp_hist(struct hist *h, const json_t *j)
{
	char err[160];
	hist_init(h);
	if (!j || hist_json_add(h, j, err, sizeof(err)) < 0)
		return -1;
	return 0;
}

void rp_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			/* Control characters are not allowed in XML 1.0. */
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fputc(' ', f);
			else
				fputc(*s, f);
		}
	}
}

const char *rp_fmt_s(double s, char *buf, size_t len)
{
	if (s < 0)
		snprintf(buf, len, "-");
	else if (s < 1e-3)
		snprintf(buf, len, "%.0fus", s * 1e6);
	else if (s < 1e-2)
		snprintf(buf, len, "%.2fms", s * 1e3);
	else if (s < 1)
		snprintf(buf, len, "%.1fms", s * 1e3);
	else if (s < 60)
		snprintf(buf, len, "%.2fs", s);
	else
		snprintf(buf, len, "%.0fm%02.0fs", (double)(long)(s / 60), s - 60.0 * (double)(long)(s / 60));
	return buf;
}

static int bad(char *err, size_t errlen, const char *path, const char *what)
{
	snprintf(err, errlen, "%s: not a swarm results file: %s", path, what);
	return RP_EXIT_NOT_RESULTS;
}

/* Checks one histogram member (absent is fine when |optional|). */
static int check_hist(const json_t *o, const char *key, int optional, const char *where,
                      const char *path, char *err, size_t errlen)
{
	const json_t *j = json_object_get(o, key);
	struct hist *h;
	char why[200], msg[400];
	if (!j && optional)
		return 0;
	h = malloc(sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "%s: out of memory", path);
		return RP_EXIT_NOT_RESULTS;
	}
	hist_init(h);
	int rv = j ? hist_json_add(h, j, why, sizeof(why)) : -1;
	free(h);
	if (rv < 0) {
		snprintf(msg, sizeof(msg), "%s.%s: %s", where, key, j ? why : "missing histogram");
		return bad(err, errlen, path, msg);
	}
	return 0;
}

static int check_interval(const json_t *iv, size_t i, const char *path, char *err, size_t errlen)
{
	char where[64];
	const char *k;
	const json_t *v;
	snprintf(where, sizeof(where), "series.intervals[%zu]", i);
	if (!json_is_object(iv) || !json_is_number(json_object_get(iv, "start_seconds")) ||
	    !json_is_number(json_object_get(iv, "end_seconds")) ||
	    !json_is_object(json_object_get(iv, "operations")) ||
	    !json_is_object(json_object_get(iv, "hosts_by_phase")) ||
	    !json_is_object(json_object_get(iv, "clusters"))) {
		char msg[160];
		snprintf(msg, sizeof(msg), "%s: expected an object with start_seconds, end_seconds, operations, "
		         "hosts_by_phase and clusters", where);
		return bad(err, errlen, path, msg);
	}
	json_object_foreach((json_t *)json_object_get(iv, "operations"), k, v) {
		char w2[160];
		snprintf(w2, sizeof(w2), "%s.operations.%s.latency_seconds", where, k);
		if (!json_is_object(v) || !json_is_object(json_object_get(v, "latency_seconds")))
			return bad(err, errlen, path, w2);
		int rv = check_hist(json_object_get(v, "latency_seconds"), "histogram", 0, w2, path, err, errlen);
		if (rv)
			return rv;
	}
	return 0;
}

/* Operations by descending count (ties by name, for a stable order). */
static void sort_ops(struct rp_run *r)
{
	for (size_t i = 1; i < r->nops; i++)
		for (size_t j = i; j > 0; j--) {
			int sw = r->op_count[j] > r->op_count[j - 1] ||
			         (r->op_count[j] == r->op_count[j - 1] && strcmp(r->ops[j], r->ops[j - 1]) < 0);
			if (!sw)
				break;
			const char *t = r->ops[j];
			uint64_t c = r->op_count[j];
			r->ops[j] = r->ops[j - 1];
			r->op_count[j] = r->op_count[j - 1];
			r->ops[j - 1] = t;
			r->op_count[j - 1] = c;
		}
}

int rp_load(struct rp_run *r, const char *path, char letter, char *err, size_t errlen)
{
	json_error_t je;
	memset(r, 0, sizeof(*r));
	r->path = path;
	r->letter = letter;
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return RP_EXIT_UNREADABLE;
	}
	r->doc = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (!r->doc) {
		snprintf(err, errlen, "%s: not valid JSON (truncated?): line %d column %d: %s", path, je.line,
		         je.column, je.text);
		return RP_EXIT_UNREADABLE;
	}
	const json_t *d = r->doc;
	if (!json_is_object(d) || !json_is_integer(json_object_get(d, "schema_version")) ||
	    strcmp(rp_str(rp_path(d, "tool"), "name", ""), "swarm") != 0)
		return bad(err, errlen, path, "no integer \"schema_version\" and tool.name \"swarm\"");
	json_int_t ver = json_integer_value(json_object_get(d, "schema_version"));
	if (ver != RP_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: results schema_version %lld; this swarm-report reads version %d "
		         "(re-run the swarm, or use the swarm-report of that version)", path, (long long)ver,
		         RP_SCHEMA_VERSION);
		return RP_EXIT_VERSION;
	}
	static const char *const objs[] = {"totals", "endpoints", "schedule", "clusters_time", NULL};
	for (int i = 0; objs[i]; i++)
		if (!json_is_object(json_object_get(d, objs[i]))) {
			char msg[80];
			snprintf(msg, sizeof(msg), "member \"%s\" is not an object", objs[i]);
			return bad(err, errlen, path, msg);
		}
	if (!json_is_array(json_object_get(d, "clusters")) || !json_is_array(json_object_get(d, "shapes")))
		return bad(err, errlen, path, "\"clusters\" and \"shapes\" must be arrays");
	if (!json_is_number(rp_path(d, "totals.requests")) || !json_is_number(rp_path(d, "duration_seconds")))
		return bad(err, errlen, path, "totals.requests and duration_seconds must be numbers");
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(d, "endpoints"), k, v) {
		char where[96];
		snprintf(where, sizeof(where), "endpoints.%s", k);
		if (!json_is_object(v) || !json_is_integer(json_object_get(v, "count")))
			return bad(err, errlen, path, where);
		int rv = check_hist(v, "service_histogram", 0, where, path, err, errlen);
		if (!rv)
			rv = check_hist(v, "intended_histogram", 0, where, path, err, errlen);
		if (rv)
			return rv;
		if (r->nops < RP_MAX_OPS) {
			r->ops[r->nops] = k;
			r->op_count[r->nops++] = (uint64_t)json_integer_value(json_object_get(v, "count"));
		}
	}
	sort_ops(r);
	const json_t *sched = json_object_get(d, "schedule");
	int rv = check_hist(sched, "lateness_histogram", 0, "schedule", path, err, errlen);
	if (!rv)
		rv = check_hist(sched, "start_delay_histogram", 0, "schedule", path, err, errlen);
	if (rv)
		return rv;
	const json_t *series = json_object_get(d, "series");
	if (series) {
		const json_t *ivs = json_object_get(series, "intervals");
		if (!json_is_array(ivs) || !json_is_number(json_object_get(series, "interval_seconds")))
			return bad(err, errlen, path, "series: expected interval_seconds and an intervals array");
		for (size_t i = 0; i < json_array_size(ivs); i++)
			if ((rv = check_interval(json_array_get(ivs, i), i, path, err, errlen)))
				return rv;
		r->intervals = ivs;
		r->niv = json_array_size(ivs);
		r->interval_s = json_number_value(json_object_get(series, "interval_seconds"));
	}
	snprintf(r->label, sizeof(r->label), "%c: %s", letter, rp_str(d, "run_id", path));
	return RP_EXIT_OK;
}

void rp_run_free(struct rp_run *r)
{
	json_decref(r->doc);
	memset(r, 0, sizeof(*r));
}

double rp_merged_quantile(struct rp_run *runs, size_t n, const char *op, const char *which, double q)
{
	struct hist *h = malloc(sizeof(*h)), *one = malloc(sizeof(*one));
	double res = -1;
	if (!h || !one)
		goto out;
	hist_init(h);
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_object_get(json_object_get(runs[i].doc, "endpoints"), op);
		if (e && rp_hist(one, json_object_get(e, which)) == 0)
			hist_merge(h, one);
	}
	if (h->count)
		res = (double)hist_quantile(h, q) / 1e9;
out:
	free(h);
	free(one);
	return res;
}
