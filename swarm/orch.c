/*
 * orch: options, journal, thresholds and soak snapshots of the main
 * thread (see orch.h).
 */
#include "orch.h"

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal.h"
#include "results.h"
#include "soak.h"
#include "sw_err.h"
#include "thresholds.h"

#define ORCH_THRESHOLD_CHECK_NS UINT64_C(1000000000)
#define ORCH_WINDOW_NS UINT64_C(1000000000)
/* --start-at further away than this is a typo, not a plan. */
#define ORCH_START_AT_MAX_WAIT_S (24.0 * 3600)

static int oerr(const char *fmt, const char *arg)
{
	fprintf(stderr, "swarm: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'swarm --help' for more information.\n");
	return SWARM_EXIT_USAGE;
}

int orch_parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end = NULL;
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int orch_run_id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (!n || n > ORCH_RUN_ID_MAX || !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= '0' && id[0] <= '9')))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '-'))
			return 0;
	return id[n - 1] != '-';
}

static int parse_start_at(const char *s, double *out)
{
	char *end = NULL;
	errno = 0;
	double v = s && *s ? strtod(s, &end) : -1;
	if (!s || !*s || *end || errno || !(v > 1e9) || !(v < 1e11))
		return -1;
	*out = v;
	return 0;
}

int orch_opt(int c, const char *arg, struct swarm_opts *o)
{
	switch (c) {
	case ORCH_OPT_SHARD: {
		const char *slash = strchr(arg, '/');
		char idx[16];
		if (!slash || (size_t)(slash - arg) >= sizeof(idx))
			return oerr("--shard: expected I/N (e.g. 0/4: the first of 4 shards), got '%s'", arg);
		memcpy(idx, arg, (size_t)(slash - arg));
		idx[slash - arg] = '\0';
		if (orch_parse_uint(slash + 1, 1, 100000, &o->shard_count) < 0 ||
		    orch_parse_uint(idx, 0, o->shard_count - 1, &o->shard_index) < 0)
			return oerr("--shard: expected I/N with 0 <= I < N <= 100000, got '%s'", arg);
		return -1;
	}
	case ORCH_OPT_SHARDS:
		if (orch_parse_uint(arg, 1, 100000, &o->shard_count) < 0)
			return oerr("--shards: expected a shard count from 1 to 100000, got '%s'", arg);
		o->shard_index = UINT32_MAX; /* from JOB_COMPLETION_INDEX */
		return -1;
	case ORCH_OPT_RUN_ID:
		if (!orch_run_id_ok(arg))
			return oerr("--run-id: expected [a-z0-9][a-z0-9-]*, at most 31 characters, got '%s'", arg);
		o->run_id = arg;
		return -1;
	case ORCH_OPT_START_AT:
		if (parse_start_at(arg, &o->start_at) < 0)
			return oerr("--start-at: expected a UNIX time in seconds (e.g. $(($(date +%%s) + 30))), got '%s'",
			            arg);
		return -1;
	case ORCH_OPT_JOURNAL:
		if (!*arg)
			return oerr("--journal: empty file name (use 'off' for no journal)%s", "");
		o->journal_path = arg;
		return -1;
	case ORCH_OPT_CHECK:
		o->check = 1;
		return -1;
	default:
		return oerr("internal: unknown option code%s", "");
	}
}

int orch_env(struct swarm_opts *o)
{
	const char *v;
	if (o->shard_index == UINT32_MAX || (!o->shard_count && getenv("SWARM_SHARD_COUNT"))) {
		if (!o->shard_count && orch_parse_uint(getenv("SWARM_SHARD_COUNT"), 1, 100000, &o->shard_count) < 0)
			return oerr("SWARM_SHARD_COUNT: expected a shard count from 1 to 100000, got '%s'",
			            getenv("SWARM_SHARD_COUNT"));
		v = getenv("JOB_COMPLETION_INDEX");
		if (!v)
			return oerr("--shards/SWARM_SHARD_COUNT: the shard index comes from JOB_COMPLETION_INDEX "
			            "(a Kubernetes Indexed Job sets it), which is not set%s", "");
		if (orch_parse_uint(v, 0, o->shard_count - 1, &o->shard_index) < 0)
			return oerr("JOB_COMPLETION_INDEX: expected an index below the shard count, got '%s'", v);
	}
	if (!o->shard_count)
		o->shard_count = 1;
	if (!o->run_id && (v = getenv("SWARM_RUN_ID")) && *v) {
		if (!orch_run_id_ok(v))
			return oerr("SWARM_RUN_ID: expected [a-z0-9][a-z0-9-]*, at most 31 characters, got '%s'", v);
		o->run_id = v;
	}
	if (!o->start_at && (v = getenv("SWARM_START_AT")) && *v && parse_start_at(v, &o->start_at) < 0)
		return oerr("SWARM_START_AT: expected a UNIX time in seconds, got '%s'", v);
	if (o->shard_count > 1 && !o->run_id)
		return oerr("--shard: the shards of one run share its id: give --run-id (or SWARM_RUN_ID)%s", "");
	return -1;
}

void orch_init(struct orch *o, const struct swarm_opts *opts, const struct swarm_plan *plan,
               const struct swarm_service *svc, const char *version)
{
	memset(o, 0, sizeof(*o));
	o->opts = opts;
	o->plan = plan;
	o->svc = svc;
	o->version = version;
	o->aborted_thr = -1;
	/* A long run's main thread copies whole stats (hundreds of KiB) every
	 * tick and snapshot. glibc's dynamic mmap threshold would soon serve
	 * them from the heap, whose top then cannot shrink past the small
	 * allocations made meanwhile: RSS creeps up while the bytes in use stay
	 * flat. A fixed threshold hands them back to the kernel on free. */
	if (plan->soak)
		mallopt(M_MMAP_THRESHOLD, 128 * 1024);
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int orch_begin(struct orch *o, struct swarm_ctx *ctx, struct series *series, double start_wall,
               char *err, size_t errlen)
{
	char renamed[4096];
	snprintf(o->run_id, sizeof(o->run_id), "%s", ctx->run_id);
	o->start_wall = start_wall;
	o->series = series;
	o->labels = thr_plan_labels(o->plan);
	if (o->plan->soak && series)
		series_set_max(series, o->plan->soak->series_intervals, (size_t)o->plan->soak->series_kib * 1024);
	const char *jp = o->opts->journal_path;
	if (jp && !strcmp(jp, "off"))
		return 0;
	if (jp)
		snprintf(o->journal_path, sizeof(o->journal_path), "%s", jp);
	else
		snprintf(o->journal_path, sizeof(o->journal_path), "%s.journal", o->opts->results_path);
	struct journal_info info = {
		.run_id = ctx->run_id, .mode = o->plan->mode == SWARM_MODE_KUBE ? "kube" : "rest",
		.service = o->svc->endpoint, .shard = o->opts->shard_count > 1 ? o->opts->shard_index : 0,
		.shards = o->opts->shard_count ? o->opts->shard_count : 1, .plan = o->plan->path,
		.results = o->opts->results_path, .start_wall = start_wall, .compact = o->plan->soak != NULL,
	};
	int rv = journal_open(&o->journal, o->journal_path, &info, renamed, err, errlen);
	if (rv < 0)
		return rv;
	if (renamed[0] && !o->opts->quiet)
		fprintf(stderr, "swarm: an earlier journal was at %s: kept as %s (clean it with 'swarm cleanup')\n",
		        o->journal_path, renamed);
	ctx->journal = o->journal;
	return 0;
}

uint64_t orch_wait_start(const struct orch *o)
{
	double at = o->opts->start_at;
	if (at <= 0)
		return sw_now_ns();
	double now = wall_now();
	if (at - now > ORCH_START_AT_MAX_WAIT_S)
		fprintf(stderr, "swarm: --start-at is %.0f s away; waiting anyway\n", at - now);
	else if (at > now && !o->opts->quiet)
		fprintf(stderr, "swarm: waiting %.1f s for --start-at %.3f\n", at - now, at);
	else if (now - at > 10)
		fprintf(stderr, "swarm: --start-at was %.0f s ago: the clusters due meanwhile start at once "
		        "(their lateness is reported as start delay)\n", now - at);
	while ((now = wall_now()) < at) {
		double d = at - now;
		struct timespec ts = {(time_t)d, (long)((d - floor(d)) * 1e9)};
		nanosleep(&ts, NULL);
	}
	/* The run's clock starts at |at| exactly: a late start shows as
	 * schedule delay instead of moving every shard's schedule. */
	uint64_t mono = sw_now_ns(), late = (uint64_t)((wall_now() - at) * 1e9);
	return mono > late ? mono - late : mono;
}

static void view_of(const struct orch *o, struct thr_view *v, const struct swarm_stats *st, double dur)
{
	v->st = st;
	v->duration_s = dur;
	v->shape_labels = (const char *const *)o->labels;
	v->nshape_labels = o->labels ? o->plan->nshapes : 0;
}

/* Soak: the results file as it stands (snapshot), replaced atomically. */
static void write_snapshot(struct orch *o, const struct swarm_stats *st, double elapsed)
{
	char err[1024];
	struct report_run run = {
		.run_id = o->run_id, .version = o->version, .start_wall = o->start_wall,
		.end_wall = wall_now(), .duration_s = elapsed, .plan = o->plan, .svc = o->svc,
		.opts = o->opts, .exit_code = -1, .exit_reason = "running",
	};
	struct thr_view v;
	size_t failed = 0;
	view_of(o, &v, st, elapsed);
	json_t *members = json_object();
	json_t *th = o->plan->thresholds ? thr_eval_json(o->plan->thresholds, &v, -1, &failed) : NULL;
	if (th)
		json_object_set_new(members, "thresholds", th);
	if (o->journal)
		json_object_set_new(members, "journal", json_string(o->journal_path));
	json_object_set_new(members, "soak", json_pack("{s:b, s:I, s:f}", "snapshot", 1, "snapshots",
	                                                (json_int_t)(o->snapshots + 1), "window_seconds",
	                                                (double)o->plan->soak->window_ns / 1e9));
	struct results_extra rx = {.series = o->series, .members = members};
	if (results_write_run(o->opts->results_path, st, &run, &rx, err, sizeof(err)) < 0)
		fprintf(stderr, "swarm: snapshot: %s\n", err);
	else
		o->snapshots++;
	json_decref(members);
}

void orch_tick(struct orch *o, uint64_t now)
{
	char err[1024];
	if (o->journal && journal_flush(o->journal, 0, err, sizeof(err)) < 0)
		fprintf(stderr, "swarm: %s (retrying)\n", err);
	if (!o->run_start_ns)
		return;
	uint64_t el = now > o->run_start_ns ? now - o->run_start_ns : 0;
	const struct swarm_soak *soak = o->plan->soak;
	int want_thr = o->plan->thresholds && o->plan->thresholds->any_abort && o->aborted_thr < 0 &&
	               now >= o->next_thr_ns;
	int want_snap = soak && soak->snapshot_ns && el >= soak->snapshot_ns && now >= o->next_snap_ns;
	if (soak && o->series && now >= o->next_window_ns) {
		o->next_window_ns = now + ORCH_WINDOW_NS;
		if (window_compute(o->series, (double)soak->window_ns / 1e9, &o->win) == 0)
			window_format(&o->win, o->window_text, sizeof(o->window_text));
	}
	if (!want_thr && !want_snap)
		return;
	struct swarm_stats *st = malloc(sizeof(*st));
	if (!st || o->hooks.snapshot(o->hooks.arg, st) < 0) {
		if (st)
			stats_free(st);
		free(st);
		return;
	}
	if (want_thr) {
		struct thr_view v;
		o->next_thr_ns = now + ORCH_THRESHOLD_CHECK_NS;
		view_of(o, &v, st, (double)el / 1e9);
		long i = thr_abort_check(o->plan->thresholds, &v, el);
		if (i >= 0) {
			const struct thr_item *it = &o->plan->thresholds->v[i];
			o->aborted_thr = i;
			fprintf(stderr, "swarm: threshold %s: '%s' failed (abortOnFail): stopping the run\n", it->name,
			        it->expr);
			o->hooks.abort(o->hooks.arg);
		}
	}
	if (want_snap) {
		o->next_snap_ns = now + soak->snapshot_ns;
		write_snapshot(o, st, (double)el / 1e9);
	}
	stats_free(st);
	free(st);
}

int orch_render_metrics(const struct orch *o, struct evbuffer *out)
{
	if (!o->plan->soak)
		return 0;
	return window_render_metrics(out, &o->win);
}

json_t *orch_finish(struct orch *o, const struct swarm_stats *final, double duration_s,
                    int stopped_by_threshold, int *code, const char **reason)
{
	json_t *m = json_object();
	if (!m)
		return NULL;
	if (o->plan->thresholds) {
		struct thr_view v;
		size_t failed = 0;
		view_of(o, &v, final, duration_s);
		json_t *th = thr_eval_json(o->plan->thresholds, &v, o->aborted_thr, &failed);
		if (!th) {
			json_decref(m);
			return NULL;
		}
		json_object_set_new(m, "thresholds", th);
		/* Precedence: 4 unreachable > 3 stopped by a signal or max_duration >
		 * 99 thresholds > 1 clusters failed > 5 push failed > 0. */
		if (stopped_by_threshold && *code != SWARM_EXIT_UNREACHABLE) {
			*code = SWARM_EXIT_THRESHOLDS;
			*reason = "thresholds";
		} else if (failed && (*code == SWARM_EXIT_OK || *code == SWARM_EXIT_FAILED)) {
			*code = SWARM_EXIT_THRESHOLDS;
		}
	}
	if (o->opts->shard_count > 1 || o->opts->start_at > 0)
		json_object_set_new(m, "shard", json_pack("{s:I, s:I, s:o}", "index", (json_int_t)o->opts->shard_index,
		                                          "count", (json_int_t)o->opts->shard_count, "start_at",
		                                          o->opts->start_at > 0 ? json_real(o->opts->start_at)
		                                                                : json_null()));
	if (o->journal)
		json_object_set_new(m, "journal", json_string(o->journal_path));
	if (o->plan->soak)
		json_object_set_new(m, "soak", json_pack("{s:b, s:I, s:f}", "snapshot", 0, "snapshots",
		                                         (json_int_t)o->snapshots, "window_seconds",
		                                         (double)o->plan->soak->window_ns / 1e9));
	return m;
}

void orch_free(struct orch *o, int exit_code, double t)
{
	char err[1024];
	if (o->journal && journal_close(&o->journal, exit_code, t, err, sizeof(err)) < 0)
		fprintf(stderr, "swarm: %s\n", err);
	thr_labels_free(o->labels, o->plan ? o->plan->nshapes : 0);
	o->labels = NULL;
}

static void fmt_value(const json_t *t, char *buf, size_t len)
{
	const json_t *v = json_object_get(t, "value");
	const char *unit = json_string_value(json_object_get(t, "unit"));
	if (!json_is_number(v)) {
		snprintf(buf, len, "no samples");
		return;
	}
	double x = json_number_value(v);
	if (unit && !strcmp(unit, "ms"))
		report_fmt_duration(x > 0 ? (uint64_t)(x * 1e6 + 0.5) : 0, buf, len);
	else if (unit && !strcmp(unit, "ratio"))
		snprintf(buf, len, "%.4g%%", x * 100.0);
	else if (unit && !strcmp(unit, "per_second"))
		snprintf(buf, len, "%.4g/s", x);
	else
		snprintf(buf, len, "%.0f", x);
}

void orch_print_thresholds(FILE *out, const json_t *results)
{
	size_t n = json_array_size(results), nfail = 0;
	if (!n)
		return;
	fprintf(out, "\nThresholds\n");
	for (size_t i = 0; i < n; i++) {
		const json_t *t = json_array_get(results, i);
		char val[48];
		int ok = json_is_true(json_object_get(t, "passed"));
		nfail += !ok;
		fmt_value(t, val, sizeof(val));
		fprintf(out, "  %-4s  %-48s %-22s value %s%s\n", ok ? "ok" : "FAIL",
		        json_string_value(json_object_get(t, "name")),
		        json_string_value(json_object_get(t, "expression")), val,
		        json_is_true(json_object_get(t, "aborted")) ? "  (aborted the run)" : "");
	}
	fprintf(out, "  %zu of %zu thresholds passed\n", n - nfail, n);
}
