/* Tests for the orchestration building blocks: the soak job stream
 * (schedule.c jobgen) agrees with the finite schedule and splits into
 * disjoint shards whose union is the whole; time series intervals combine
 * exactly (successive and parallel) and read back from JSON; the rolling
 * window; cluster records fold and compact; a results file reads back into
 * the stats that wrote it, and every malformed one is refused with its
 * class (a table). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "report.h"
#include "results.h"
#include "results_load.h"
#include "schedule.h"
#include "series.h"
#include "sw_err.h"
#include "window.h"

static struct swarm_shape shapes[3];

static void make_plan(struct swarm_plan *p, enum swarm_arrival_kind kind, int poisson)
{
	memset(p, 0, sizeof(*p));
	memset(shapes, 0, sizeof(shapes));
	shapes[0].single_node = 1;
	shapes[0].amount = 3;
	shapes[1].control_plane = 3;
	shapes[1].amount = 1;
	shapes[2].control_plane = 3;
	shapes[2].num_workers = 2;
	shapes[2].amount = 2;
	p->shapes = shapes;
	p->nshapes = 3;
	p->seed = 42;
	p->arrival.kind = kind;
	p->arrival.poisson = poisson;
	p->arrival.clusters_per_minute = 120;
	p->arrival.start_per_minute = 10;
	p->arrival.ramp_seconds = 30;
	p->arrival.burst = 4;
	p->arrival.burst_interval_seconds = 5;
}

static void test_stream_matches_schedule(void **state)
{
	(void)state;
	static const enum swarm_arrival_kind kinds[] = {SWARM_ARRIVAL_ASAP, SWARM_ARRIVAL_RATE, SWARM_ARRIVAL_RAMP,
	                                                SWARM_ARRIVAL_BURST};
	for (size_t k = 0; k < 4; k++) {
		for (int poisson = 0; poisson < 2; poisson++) {
			struct swarm_plan p;
			struct swarm_job *jobs = NULL, j;
			size_t n = 0;
			struct jobgen g;
			make_plan(&p, kinds[k], poisson);
			assert_int_equal(schedule_build(&p, &jobs, &n), 0);
			assert_int_equal(n, 6);
			jobgen_init(&g, &p, 0, 1, 0);
			/* The first cycle of the stream is the finite plan, job for job. */
			for (size_t i = 0; i < n; i++) {
				assert_int_equal(jobgen_next(&g, &j), 1);
				assert_int_equal(j.index, jobs[i].index);
				assert_int_equal(j.shape, jobs[i].shape);
				assert_int_equal(j.start_ns, jobs[i].start_ns);
				assert_int_equal(j.seed, jobs[i].seed);
			}
			/* Then the shapes repeat by weight. */
			assert_int_equal(jobgen_next(&g, &j), 1);
			assert_int_equal(j.index, 6);
			assert_int_equal(j.shape, 0);
			free(jobs);
		}
	}
}

static void test_stream_shards(void **state)
{
	(void)state;
	struct swarm_plan p;
	make_plan(&p, SWARM_ARRIVAL_RAMP, 1);
	p.shuffle = 1;
	enum { N = 600, PROCS = 3, THREADS = 2 };
	struct swarm_job all[N], j;
	struct jobgen g;
	jobgen_init(&g, &p, 0, 1, 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(jobgen_next(&g, &all[i]), 1);
	/* Process s of 3, thread t of 2: indices s + 3t + 6k, the same jobs. */
	int seen[N] = {0};
	for (unsigned s = 0; s < PROCS; s++) {
		for (unsigned t = 0; t < THREADS; t++) {
			jobgen_init(&g, &p, s + (uint64_t)PROCS * t, (uint64_t)PROCS * THREADS, 0);
			while (jobgen_next(&g, &j) && j.index < N) {
				assert_int_equal(j.index % PROCS, s);
				assert_int_equal(j.shape, all[j.index].shape);
				assert_int_equal(j.start_ns, all[j.index].start_ns);
				assert_int_equal(j.seed, all[j.index].seed);
				seen[j.index]++;
			}
		}
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(seen[i], 1);
	/* The stream ends with the soak duration (rate arrivals). */
	make_plan(&p, SWARM_ARRIVAL_RATE, 0);
	jobgen_init(&g, &p, 0, 1, 10000000000ull); /* 10 s at 2/s: indices 0..19 */
	int n = 0;
	while (jobgen_next(&g, &j))
		n++;
	assert_int_equal(n, 20);
	/* Finite plans: --shard keeps index % N == I, in order. */
	struct swarm_job *jobs = NULL;
	size_t nj = 0;
	make_plan(&p, SWARM_ARRIVAL_RATE, 0);
	assert_int_equal(schedule_build(&p, &jobs, &nj), 0);
	size_t k = schedule_keep_shard(jobs, nj, 1, 4);
	assert_int_equal(k, 2);
	assert_int_equal(jobs[0].index, 1);
	assert_int_equal(jobs[1].index, 5);
	assert_int_equal(schedule_keep_shard(jobs, k, 0, 1), k);
	free(jobs);
}

/* Stats after |n| calls of |ms| ms each to get_next_steps and one to
 * register_host, with |inst| clusters installed. */
static void grow(struct swarm_stats *st, unsigned n, unsigned ms, unsigned inst)
{
	for (unsigned i = 0; i < n; i++)
		stats_record_call(st, EP_GET_STEPS, 0, i % 10 ? 200 : 503, 0, 0, (uint64_t)ms * 1000000);
	stats_record_call(st, EP_REGISTER_HOST, SW_ERR_TIMEOUT, 0, 0, 0, 5000000);
	st->clusters_installed += inst;
	st->clusters_started += inst;
	st->clusters_total += inst;
	hist_record(&st->lateness, 1000);
	st->cpu_ns += 1000000;
}

static uint64_t total_count(const struct series *s, unsigned ep)
{
	uint64_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		for (unsigned k = 0; k < s->iv[i].nops; k++)
			if (s->iv[i].ops[k].ep == ep)
				n += s->iv[i].ops[k].service.count;
	return n;
}

/* A long run whose latencies keep reaching new histogram buckets: a count
 * bound alone lets the merged (oldest) intervals grow, the byte bound holds
 * the series to it, and both still sum to the totals. */
static void test_series_bytes(void **state)
{
	(void)state;
	struct swarm_stats *st = malloc(sizeof(*st));
	struct series *by_count = series_new(1000000000), *by_bytes = series_new(1000000000);
	const size_t budget = 24 * 1024;
	stats_init(st);
	series_set_max(by_count, 64, 0);
	series_set_max(by_bytes, 64, budget);
	for (unsigned k = 1; k <= 600; k++) {
		for (unsigned j = 0; j < 20; j++)
			stats_record_call(st, EP_GET_STEPS, 0, 200, 0, 0, (uint64_t)((k * 131 + j * 977) % 4000 + 1) * 250000);
		assert_int_equal(series_cut(by_count, st, k), 0);
		assert_int_equal(series_cut(by_bytes, st, k), 0);
		size_t newest = series_iv_bytes(&by_bytes->iv[by_bytes->n - 1]);
		assert_true(series_bytes(by_bytes) <= budget + newest);
		assert_true(by_bytes->n <= 64 && (k < 8 || by_bytes->n >= 7)); /* halving stops below 8 */
	}
	assert_true(series_bytes(by_count) > budget);
	assert_int_equal(total_count(by_count, EP_GET_STEPS), st->ep[EP_GET_STEPS].count);
	assert_int_equal(total_count(by_bytes, EP_GET_STEPS), st->ep[EP_GET_STEPS].count);
	assert_true(by_bytes->iv[0].t0 == 0 && by_bytes->iv[by_bytes->n - 1].t1 == 600);
	for (size_t i = 1; i < by_bytes->n; i++)
		assert_true(by_bytes->iv[i].t0 == by_bytes->iv[i - 1].t1);
	series_free(&by_count);
	series_free(&by_bytes);
	stats_free(st);
	free(st);
}

static void test_series_combine(void **state)
{
	(void)state;
	struct swarm_stats *st = malloc(sizeof(*st));
	struct series *s = series_new(1000000000);
	stats_init(st);
	series_set_max(s, 8, 0);
	for (unsigned k = 1; k <= 30; k++) {
		grow(st, 10 * k, k, 1);
		assert_int_equal(series_cut(s, st, k), 0);
		assert_true(s->n <= 8);
	}
	/* Bounded, contiguous, and every sample is still there exactly once. */
	assert_int_equal(total_count(s, EP_GET_STEPS), st->ep[EP_GET_STEPS].count);
	assert_int_equal(total_count(s, EP_REGISTER_HOST), 30);
	assert_true(s->iv[0].t0 == 0);
	for (size_t i = 1; i < s->n; i++)
		assert_true(s->iv[i].t0 == s->iv[i - 1].t1);
	assert_true(s->iv[s->n - 1].t1 == 30);
	assert_int_equal(s->iv[s->n - 1].installed, 30);
	/* The newest half keeps its resolution. */
	assert_true(s->iv[s->n - 1].t1 - s->iv[s->n - 1].t0 == 1);
	/* Parallel: two processes' interval doubles every count and bucket. */
	struct series_iv two, back;
	assert_int_equal(series_iv_combine(&two, &s->iv[s->n - 1], &s->iv[s->n - 1], SERIES_PARALLEL), 0);
	assert_int_equal(two.ops[0].count, 2 * s->iv[s->n - 1].ops[0].count);
	assert_int_equal(two.ops[0].service.count, 2 * s->iv[s->n - 1].ops[0].service.count);
	assert_int_equal(two.installed, 60);
	assert_int_equal(two.cpu_ns, 2 * s->iv[s->n - 1].cpu_ns);
	assert_true(two.ops[0].intended_p99_ns == s->iv[s->n - 1].ops[0].intended_p99_ns);
	/* JSON and back. */
	json_t *j = series_interval_json(s, s->n - 1);
	char err[200];
	assert_non_null(j);
	assert_int_equal(series_iv_from_json(&back, j, err, sizeof(err)), 0);
	assert_int_equal(back.nops, s->iv[s->n - 1].nops);
	assert_int_equal(back.ops[0].count, s->iv[s->n - 1].ops[0].count);
	assert_int_equal(back.ops[0].service.count, s->iv[s->n - 1].ops[0].service.count);
	assert_int_equal(back.ops[0].intended.count, s->iv[s->n - 1].ops[0].intended.count);
	assert_int_equal(back.installed, 30);
	/* A malformed interval is refused with the member named. */
	json_object_set_new(json_object_get(json_object_get(j, "operations"), "get_next_steps"), "count",
	                    json_integer(1));
	struct series_iv bad;
	assert_int_equal(series_iv_from_json(&bad, j, err, sizeof(err)), SW_ERR_INVALID);
	assert_non_null(strstr(err, "operations.get_next_steps"));
	json_decref(j);
	series_iv_free(&two);
	series_iv_free(&back);
	/* The rolling window: the last 3 s hold 3 whole intervals. */
	struct window w;
	assert_int_equal(window_compute(s, 3, &w), 0);
	assert_true(w.valid);
	assert_true(w.seconds == 3);
	assert_int_equal(w.requests, 280 + 1 + 290 + 1 + 300 + 1);
	assert_true(w.installed_per_min == 60);
	assert_true(w.p99_s > 0.028 && w.p99_s < 0.0305);
	char line[160];
	window_format(&w, line, sizeof(line));
	assert_non_null(strstr(line, "last 3.00s"));
	series_free(&s);
	stats_free(st);
	free(st);
}

static void test_fold_compact(void **state)
{
	(void)state;
	struct swarm_stats st;
	stats_init(&st);
	for (unsigned i = 0; i < 10; i++) {
		struct swarm_cluster_record r;
		memset(&r, 0, sizeof(r));
		snprintf(r.name, sizeof(r.name), "c-%u", i);
		r.shape = i % 2;
		r.t_started_ns = 1;
		if (i < 7) { /* finished: 0..4 installed, 5..6 failed */
			r.t_finished_ns = 10;
			if (i < 5)
				r.t_installed_ns = 10;
			else
				r.failed = 1;
			stats_fold_cluster(&st, &r);
		}
		stats_add_cluster(&st, &r);
	}
	long map[10];
	assert_int_equal(stats_compact_records(&st, 1, map), 6); /* 5 installed + 1 failed beyond the first */
	assert_int_equal(st.nclusters, 4);
	assert_int_equal(st.records_compacted, 6);
	assert_int_equal(map[5], 0);     /* the first failed one is kept */
	assert_int_equal(map[6], -1);
	assert_int_equal(map[7], 1);     /* running ones are kept, in order */
	assert_string_equal(st.clusters[3].name, "c-9");
	assert_int_equal(st.shapes[0].clusters + st.shapes[1].clusters, 7);
	assert_int_equal(st.shapes[0].installed + st.shapes[1].installed, 5);
	assert_int_equal(st.shapes[0].failed + st.shapes[1].failed, 2);
	/* Copies and merges carry the aggregates. */
	struct swarm_stats c, m;
	stats_init(&c);
	stats_init(&m);
	stats_copy_summary(&c, &st);
	assert_int_equal(c.nshapes, 2);
	assert_int_equal(c.nclusters, 0);
	assert_int_equal(stats_merge(&m, &st), 0);
	assert_int_equal(stats_merge(&m, &c), 0);
	assert_int_equal(m.shapes[0].clusters, 2 * st.shapes[0].clusters);
	assert_int_equal(m.records_compacted, 12);
	stats_free(&c);
	stats_free(&m);
	stats_free(&st);
}

static char tmpdir[] = "/tmp/test_orch_XXXXXX";

static void write_results(const char *path, struct swarm_stats *st, int exit_code)
{
	char err[512];
	struct report_run run = {.run_id = "r-1", .version = "t", .start_wall = 1.7e9, .end_wall = 1.7e9 + 5,
	                         .duration_s = 5, .exit_code = exit_code, .exit_reason = "installed"};
	struct series *s = series_new(1000000000);
	assert_int_equal(series_cut(s, st, 5), 0);
	struct results_extra x = {.series = s};
	if (results_write_run(path, st, &run, &x, err, sizeof(err)))
		fail_msg("%s", err);
	series_free(&s);
}

static void test_results_roundtrip_and_table(void **state)
{
	(void)state;
	char p[512], err[1024];
	struct swarm_stats *st = malloc(sizeof(*st));
	stats_init(st);
	grow(st, 200, 3, 2);
	struct swarm_cluster_record r;
	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "r-1-0");
	snprintf(r.id, sizeof(r.id), "01234567-89ab-4def-8123-456789abcdef");
	r.t_started_ns = 1000000000;
	r.t_ready_ns = 2000000000;
	r.t_installed_ns = r.t_finished_ns = 4000000000;
	r.status = 7;
	stats_add_cluster(st, &r);
	stats_fold_cluster(st, &r);
	snprintf(p, sizeof(p), "%s/ok.json", tmpdir);
	write_results(p, st, 0);
	struct results_file rf;
	assert_int_equal(results_load(p, &rf, 1, err, sizeof(err)), RL_OK);
	assert_string_equal(rf.run_id, "r-1");
	assert_int_equal(rf.st.requests, st->requests);
	assert_int_equal(rf.st.errors, st->errors);
	assert_memory_equal(rf.st.ep[EP_GET_STEPS].service.buckets, st->ep[EP_GET_STEPS].service.buckets,
	                    sizeof(st->ep[0].service.buckets));
	assert_int_equal(rf.st.ep[EP_GET_STEPS].status[503], 20);
	assert_int_equal(rf.st.ep[EP_REGISTER_HOST].transport_errors[-SW_ERR_TIMEOUT], 1);
	assert_int_equal(rf.st.nclusters, 1);
	assert_string_equal(rf.st.clusters[0].id, r.id);
	assert_int_equal(rf.st.nshapes, 1);
	assert_int_equal(rf.st.shapes[0].installed, 1);
	assert_int_equal(rf.st.shapes[0].installed_h.count, 1);
	assert_non_null(rf.series);
	assert_int_equal(rf.series->n, 1);
	assert_int_equal(total_count(rf.series, EP_GET_STEPS), 200);
	results_file_free(&rf);
	/* The table of malformed files: each refused with its class. */
	char *good = NULL;
	{
		FILE *f = fopen(p, "rb");
		fseek(f, 0, SEEK_END);
		long n = ftell(f);
		fseek(f, 0, SEEK_SET);
		good = malloc((size_t)n + 1);
		assert_int_equal(fread(good, 1, (size_t)n, f), (size_t)n);
		good[n] = 0;
		fclose(f);
	}
	static const struct {
		const char *name, *from, *to; /* |to| NULL: cut the file at |from| */
		int want;
		const char *msg;
	} t[] = {
		{"truncated", "\"series\"", NULL, RL_UNREADABLE, "not valid JSON (truncated?)"},
		{"version", "\"schema_version\": 2", "\"schema_version\": 3", RL_VERSION, "schema_version 3"},
		{"notswarm", "\"name\": \"swarm\"", "\"name\": \"k6\"", RL_MALFORMED, "not a swarm results file"},
		{"badop", "\"get_next_steps\": {", "\"get_steps\": {", RL_MALFORMED, "member 'endpoints.get_steps'"},
		{"counts", "\"count\": 200,", "\"count\": 201,", RL_MALFORMED, "do not add up to count"},
		{"totals", "\"requests\": 201,", "\"requests\": 202,", RL_MALFORMED, "member 'totals'"},
		{"nohist", "\"lateness_histogram\"", "\"lateness_histogramX\"", RL_MALFORMED,
		 "member 'schedule.lateness_histogram': missing"},
		{"badrec", "\"started_seconds\"", "\"started_secondsX\"", RL_MALFORMED, "member 'clusters[0]'"},
		{"noseries", "\"interval_seconds\"", "\"interval_secondsX\"", RL_MALFORMED, "member 'series'"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char q[512];
		snprintf(q, sizeof(q), "%s/%s.json", tmpdir, t[i].name);
		char *at = strstr(good, t[i].from);
		if (!at)
			fail_msg("%s: '%s' not in the file", t[i].name, t[i].from);
		FILE *f = fopen(q, "w");
		fwrite(good, 1, (size_t)(at - good), f);
		if (t[i].to)
			fprintf(f, "%s%s", t[i].to, at + strlen(t[i].from));
		fclose(f);
		int rv = results_load(q, &rf, 1, err, sizeof(err));
		if (rv != t[i].want || !strstr(err, t[i].msg))
			fail_msg("%s: got %d '%s', want %d '%s'", t[i].name, rv, err, t[i].want, t[i].msg);
		results_file_free(&rf);
	}
	snprintf(p, sizeof(p), "%s/none.json", tmpdir);
	assert_int_equal(results_load(p, &rf, 1, err, sizeof(err)), RL_UNREADABLE);
	results_file_free(&rf);
	free(good);
	stats_free(st);
	free(st);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[600];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_matches_schedule),
		cmocka_unit_test(test_stream_shards),
		cmocka_unit_test(test_series_combine),
		cmocka_unit_test(test_series_bytes),
		cmocka_unit_test(test_fold_compact),
		cmocka_unit_test(test_results_roundtrip_and_table),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
