/*
 * results_load: a results file back into stats and series (see
 * results_load.h). Every figure the merge adds up is checked where it is
 * read; a file that does not add up is refused rather than merged into a
 * silently wrong total.
 */
#include "results_load.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_model.h"
#include "hist_sparse.h"
#include "report.h"
#include "sw_err.h"

#define RL_MAX_FILE (1024u << 20)

struct rl {
	const char *path;
	char *err;
	size_t errlen;
};

static int bad(struct rl *c, const char *member, const char *why)
{
	snprintf(c->err, c->errlen, "%s: member '%s': %s", c->path, member, why);
	return RL_MALFORMED;
}

static int get_count(const json_t *o, const char *k, uint64_t *out)
{
	const json_t *v = json_object_get(o, k);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_num(const json_t *o, const char *k, double *out)
{
	const json_t *v = json_object_get(o, k);
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 0;
}

static uint64_t sec_ns(double s)
{
	return s > 0 ? (uint64_t)llround(s * 1e9) : 0;
}

/* A histogram member into |h| (exact: buckets, count, sum, extremes). */
static int hist_member(struct rl *c, const json_t *o, const char *k, const char *where, struct hist *h)
{
	char e2[256], m[160];
	snprintf(m, sizeof(m), "%s.%s", where, k);
	const json_t *j = json_object_get(o, k);
	if (!j)
		return bad(c, m, "missing (the file has no histogram to merge)");
	hist_init(h);
	if (hist_json_add(h, j, e2, sizeof(e2)) < 0)
		return bad(c, m, e2);
	return RL_OK;
}

static int transport_slot(const char *name)
{
	if (!strcmp(name, "other"))
		return 0;
	for (int i = 1; i < 24; i++)
		if (!strcmp(sw_err_name(-i), name))
			return i;
	return -1;
}

static int load_endpoints(struct rl *c, const json_t *doc, struct swarm_stats *st)
{
	const json_t *eps = json_object_get(doc, "endpoints");
	const char *name;
	const json_t *e;
	char m[128];
	if (!json_is_object(eps))
		return bad(c, "endpoints", "missing or not an object");
	json_object_foreach((json_t *)eps, name, e) {
		int ep = -1;
		for (int i = 0; i < EP_COUNT; i++)
			if (!strcmp(stats_ep_name((enum swarm_ep)i), name))
				ep = i;
		snprintf(m, sizeof(m), "endpoints.%.64s", name);
		if (ep < 0)
			return bad(c, m, "not an operation name of this swarm");
		struct swarm_ep_stats *s = &st->ep[ep];
		const json_t *codes = json_object_get(e, "status_codes"), *terr = json_object_get(e, "transport_errors");
		if (get_count(e, "count", &s->count) < 0 || !json_is_object(codes) || !json_is_object(terr))
			return bad(c, m, "needs count, status_codes and transport_errors");
		const char *k;
		const json_t *v;
		uint64_t sum = 0;
		json_object_foreach((json_t *)codes, k, v) {
			char *end = NULL;
			long code = strtol(k, &end, 10);
			if (*end || code < 0 || code >= STATS_HTTP_CODES || !json_is_integer(v) || json_integer_value(v) < 0)
				return bad(c, m, "status_codes: keys are HTTP statuses, values counts");
			s->status[code] = (uint64_t)json_integer_value(v);
			sum += s->status[code];
		}
		json_object_foreach((json_t *)terr, k, v) {
			int slot = transport_slot(k);
			if (slot < 0 || !json_is_integer(v) || json_integer_value(v) < 0)
				return bad(c, m, "transport_errors: unknown error name or count");
			s->transport_errors[slot] = (uint64_t)json_integer_value(v);
			sum += s->transport_errors[slot];
		}
		if (sum != s->count)
			return bad(c, m, "status_codes and transport_errors do not add up to count");
		int rv = hist_member(c, e, "service_histogram", m, &s->service);
		if (rv == RL_OK)
			rv = hist_member(c, e, "intended_histogram", m, &s->intended);
		if (rv != RL_OK)
			return rv;
		if (s->service.count != s->count || s->intended.count != s->count)
			return bad(c, m, "histogram counts differ from count");
		st->requests += s->count;
		for (int code = 0; code < STATS_HTTP_CODES; code++)
			if (s->status[code] && stats_status_is_error((enum swarm_ep)ep, code))
				st->errors += s->status[code];
		for (size_t t = 0; t < sizeof(s->transport_errors) / sizeof(s->transport_errors[0]); t++)
			st->errors += s->transport_errors[t];
	}
	return RL_OK;
}

static int load_totals(struct rl *c, const json_t *doc, struct swarm_stats *st)
{
	const json_t *t = json_object_get(doc, "totals");
	uint64_t req = 0, err = 0, compacted = 0;
	double cpu = 0;
	if (!json_is_object(t) || get_count(t, "requests", &req) < 0 || get_count(t, "errors", &err) < 0 ||
	    get_count(t, "clusters_total", &st->clusters_total) < 0 ||
	    get_count(t, "clusters_started", &st->clusters_started) < 0 ||
	    get_count(t, "clusters_ready", &st->clusters_ready) < 0 ||
	    get_count(t, "clusters_installed", &st->clusters_installed) < 0 ||
	    get_count(t, "clusters_failed", &st->clusters_failed) < 0 || get_num(t, "cpu_seconds", &cpu) < 0)
		return bad(c, "totals", "missing or malformed (requests, errors, clusters_*, cpu_seconds)");
	if (req != st->requests || err != st->errors)
		return bad(c, "totals", "requests/errors differ from the sum of the endpoints");
	if (json_object_get(t, "cluster_records_compacted") &&
	    get_count(t, "cluster_records_compacted", &compacted) < 0)
		return bad(c, "totals.cluster_records_compacted", "not a count");
	st->records_compacted = compacted;
	st->cpu_ns = sec_ns(cpu);
	const json_t *ph = json_object_get(t, "hosts_by_phase");
	if (!json_is_object(ph))
		return bad(c, "totals.hosts_by_phase", "missing");
	for (int p = 0; p < HP_COUNT; p++) {
		const json_t *v = json_object_get(ph, stats_phase_name((enum swarm_host_phase)p));
		if (!json_is_integer(v))
			return bad(c, "totals.hosts_by_phase", "a phase is missing");
		st->hosts_by_phase[p] = json_integer_value(v);
	}
	return RL_OK;
}

static int load_records(struct rl *c, const json_t *doc, struct swarm_stats *st)
{
	const json_t *cl = json_object_get(doc, "clusters");
	size_t i;
	const json_t *r;
	char m[64];
	if (!json_is_array(cl))
		return bad(c, "clusters", "missing or not an array");
	json_array_foreach(cl, i, r) {
		struct swarm_cluster_record rec;
		uint64_t shape = 0, hosts = 0;
		double t_int = 0, t_start = 0;
		memset(&rec, 0, sizeof(rec));
		snprintf(m, sizeof(m), "clusters[%zu]", i);
		const char *name = json_string_value(json_object_get(r, "name"));
		const char *id = json_string_value(json_object_get(r, "id"));
		const char *status = json_string_value(json_object_get(r, "status"));
		const json_t *failed = json_object_get(r, "failed");
		if (!name || !id || !status || !json_is_boolean(failed) || get_count(r, "shape", &shape) < 0 ||
		    get_count(r, "hosts", &hosts) < 0 || get_num(r, "intended_start_seconds", &t_int) < 0 ||
		    get_num(r, "started_seconds", &t_start) < 0 || strlen(name) >= sizeof(rec.name) ||
		    strlen(id) >= sizeof(rec.id) || shape > 100000)
			return bad(c, m, "needs name, id, shape, hosts, intended_start_seconds, started_seconds, "
			           "status and failed");
		snprintf(rec.name, sizeof(rec.name), "%s", name);
		snprintf(rec.id, sizeof(rec.id), "%s", id);
		rec.shape = (unsigned)shape;
		rec.hosts = (unsigned)hosts;
		rec.t_intended_ns = sec_ns(t_int);
		rec.t_started_ns = sec_ns(t_start);
		static const char *const tk[] = {"ready_seconds", "installed_seconds", "finished_seconds"};
		uint64_t *tv[] = {&rec.t_ready_ns, &rec.t_installed_ns, &rec.t_finished_ns};
		for (int k = 0; k < 3; k++) {
			const json_t *v = json_object_get(r, tk[k]);
			if (v && !json_is_null(v) && !json_is_number(v))
				return bad(c, m, "times are numbers or null");
			*tv[k] = json_is_number(v) ? sec_ns(json_number_value(v)) : 0;
		}
		rec.status = as_cluster_status_parse(status);
		rec.failed = json_is_true(failed);
		const char *why = json_string_value(json_object_get(r, "failure"));
		if (why)
			snprintf(rec.failure, sizeof(rec.failure), "%s", why);
		stats_add_cluster(st, &rec);
	}
	return RL_OK;
}

static int load_shapes(struct rl *c, const json_t *doc, struct swarm_stats *st)
{
	const json_t *sh = json_object_get(doc, "shapes");
	size_t i;
	const json_t *s;
	char m[64];
	if (!json_is_array(sh))
		return bad(c, "shapes", "missing or not an array");
	if (!json_array_size(sh))
		return RL_OK;
	/* Files from before the per-shape histograms: fold the records. */
	if (!json_object_get(json_array_get(sh, 0), "time_to_installed_histogram")) {
		for (size_t k = 0; k < st->nclusters; k++)
			stats_fold_cluster(st, &st->clusters[k]);
		return RL_OK;
	}
	st->shapes = calloc(json_array_size(sh), sizeof(*st->shapes));
	if (!st->shapes)
		return bad(c, "shapes", "out of memory");
	st->nshapes = json_array_size(sh);
	json_array_foreach(sh, i, s) {
		struct swarm_shape_stats *a = &st->shapes[i];
		snprintf(m, sizeof(m), "shapes[%zu]", i);
		if (get_count(s, "clusters", &a->clusters) < 0 || get_count(s, "installed", &a->installed) < 0 ||
		    get_count(s, "failed", &a->failed) < 0)
			return bad(c, m, "needs clusters, installed and failed");
		int rv = hist_member(c, s, "time_to_ready_histogram", m, &a->ready);
		if (rv == RL_OK)
			rv = hist_member(c, s, "time_to_installed_histogram", m, &a->installed_h);
		if (rv != RL_OK)
			return rv;
	}
	return RL_OK;
}

static int load_series(struct rl *c, const json_t *j, struct results_file *out)
{
	double iv = 0;
	const json_t *ivs = json_object_get(j, "intervals");
	if (get_num(j, "interval_seconds", &iv) < 0 || !(iv > 0) || !json_is_array(ivs))
		return bad(c, "series", "needs interval_seconds (> 0) and intervals");
	out->series = series_new((uint64_t)llround(iv * 1e9));
	if (!out->series)
		return bad(c, "series", "out of memory");
	size_t i;
	const json_t *e;
	uint64_t ready = 0;
	double prev_t1 = 0;
	json_array_foreach(ivs, i, e) {
		struct series_iv one;
		char e2[200], m[64];
		snprintf(m, sizeof(m), "series.intervals[%zu]", i);
		int rv = series_iv_from_json(&one, e, e2, sizeof(e2));
		if (rv == SW_ERR_NOMEM)
			return bad(c, m, "out of memory");
		if (rv < 0)
			return bad(c, m, e2);
		if (one.t1 < one.t0 || one.t0 + 1e-6 < prev_t1) {
			series_iv_free(&one);
			return bad(c, m, "intervals overlap or go back in time");
		}
		prev_t1 = one.t1;
		ready += one.ready; /* the file holds ready_in_interval */
		one.ready = ready;
		if (series_append(out->series, &one) < 0) {
			series_iv_free(&one);
			return bad(c, m, "out of memory");
		}
	}
	return RL_OK;
}

int results_load(const char *path, struct results_file *out, int want_series, char *err, size_t errlen)
{
	struct rl c = {.path = path, .err = err, .errlen = errlen};
	json_error_t je;
	memset(out, 0, sizeof(*out));
	stats_init(&out->st);
	out->path = strdup(path);
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return RL_UNREADABLE;
	}
	out->doc = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (!out->doc) {
		snprintf(err, errlen, "%s:%d:%d: not valid JSON (truncated?): %s", path, je.line, je.column, je.text);
		return RL_UNREADABLE;
	}
	json_t *doc = out->doc;
	const json_t *ver = json_object_get(doc, "schema_version");
	const json_t *tool = json_object_get(doc, "tool");
	if (!json_is_object(doc) || !json_is_integer(ver) || !json_is_object(tool) ||
	    !json_is_string(json_object_get(tool, "name")) ||
	    strcmp(json_string_value(json_object_get(tool, "name")), "swarm")) {
		snprintf(err, errlen, "%s: not a swarm results file (no schema_version / tool.name \"swarm\")", path);
		return RL_MALFORMED;
	}
	if (json_integer_value(ver) != REPORT_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: schema_version %lld; this swarm reads version %d", path,
		         (long long)json_integer_value(ver), REPORT_SCHEMA_VERSION);
		return RL_VERSION;
	}
	out->run_id = json_string_value(json_object_get(doc, "run_id"));
	if (!out->run_id)
		return bad(&c, "run_id", "missing");
	if (get_num(doc, "duration_seconds", &out->duration_s) < 0)
		return bad(&c, "duration_seconds", "missing");
	const json_t *ec = json_object_get(doc, "exit_code");
	out->exit_code = json_is_integer(ec) ? (int)json_integer_value(ec) : -1;
	const json_t *sh = json_object_get(doc, "shard");
	if (sh) {
		uint64_t idx = 0, cnt = 0;
		const json_t *at = json_object_get(sh, "start_at");
		if (get_count(sh, "index", &idx) < 0 || get_count(sh, "count", &cnt) < 0 || !cnt || idx >= cnt ||
		    (at && !json_is_null(at) && !json_is_number(at)))
			return bad(&c, "shard", "needs index < count and start_at (a number or null)");
		out->has_shard = 1;
		out->shard_index = (unsigned)idx;
		out->shard_count = (unsigned)cnt;
		out->start_at = json_is_number(at) ? json_number_value(at) : 0;
	}
	int rv = load_endpoints(&c, doc, &out->st);
	if (rv == RL_OK)
		rv = load_totals(&c, doc, &out->st);
	if (rv == RL_OK) {
		const json_t *sched = json_object_get(doc, "schedule"), *ct = json_object_get(doc, "clusters_time");
		if (!json_is_object(sched) || !json_is_object(ct))
			rv = bad(&c, "schedule", "schedule and clusters_time are required");
		if (rv == RL_OK)
			rv = hist_member(&c, sched, "lateness_histogram", "schedule", &out->st.lateness);
		if (rv == RL_OK)
			rv = hist_member(&c, sched, "start_delay_histogram", "schedule", &out->st.start_delay);
		if (rv == RL_OK)
			rv = hist_member(&c, sched, "send_delay_histogram", "schedule", &out->st.send_delay);
		if (rv == RL_OK)
			rv = hist_member(&c, ct, "time_to_ready_histogram", "clusters_time", &out->st.cluster_ready);
		if (rv == RL_OK)
			rv = hist_member(&c, ct, "time_to_installed_histogram", "clusters_time", &out->st.cluster_installed);
	}
	if (rv == RL_OK)
		rv = load_records(&c, doc, &out->st);
	if (rv == RL_OK)
		rv = load_shapes(&c, doc, &out->st);
	const json_t *ser = json_object_get(doc, "series");
	if (rv == RL_OK && ser && want_series)
		rv = load_series(&c, ser, out);
	return rv;
}

void results_file_free(struct results_file *r)
{
	if (!r)
		return;
	stats_free(&r->st);
	series_free(&r->series);
	json_decref(r->doc);
	free(r->path);
	memset(r, 0, sizeof(*r));
}
