/* Tests for swarm/thresholds.c: every expression form and every malformed
 * one (a table, each with its message and FILE:LINE:COL through the plan
 * loader), metric names and tags, the value of each metric kind on known
 * stats, abortOnFail with its delay, and the results array. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "orch.h"
#include "stats.h"
#include "sw_err.h"
#include "thresholds.h"

static void test_expressions(void **state)
{
	static const struct {
		enum thr_metric m;
		const char *expr;
		enum thr_agg agg;
		double pct;
		enum thr_cmp cmp;
		double rhs;
	} ok[] = {
		{THR_REQUEST_DURATION, "p(99) < 500ms", THR_PCT, 99, THR_LT, 500},
		{THR_REQUEST_DURATION, "p(99.9)<=2s", THR_PCT, 99.9, THR_LE, 2000},
		{THR_REQUEST_DURATION, " avg < 200 ", THR_AVG, 0, THR_LT, 200},
		{THR_REQUEST_DURATION, "med>=1us", THR_MED, 0, THR_GE, 0.001},
		{THR_REQUEST_DURATION, "max != 1m", THR_MAX, 0, THR_NE, 60000},
		{THR_REQUEST_DURATION, "min > 0", THR_MIN, 0, THR_GT, 0},
		{THR_REQUEST_DURATION, "count > 10", THR_COUNT, 0, THR_GT, 10},
		{THR_CLUSTER_INSTALL_DURATION, "p(90) < 20m", THR_PCT, 90, THR_LT, 1200000},
		{THR_REQUEST_ERRORS, "rate < 0.01", THR_RATE, 0, THR_LT, 0.01},
		{THR_REQUEST_ERRORS, "rate<1%", THR_RATE, 0, THR_LT, 0.01},
		{THR_CLUSTERS_FAILED, "count == 0", THR_COUNT, 0, THR_EQ, 0},
		{THR_CLUSTERS_FAILED, "count === 0", THR_COUNT, 0, THR_EQ, 0},
		{THR_REQUESTS, "rate > 100", THR_RATE, 0, THR_GT, 100},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct thr_item it;
		char err[256] = "";
		memset(&it, 0, sizeof(it));
		if (thr_parse_expr(ok[i].m, ok[i].expr, &it, err, sizeof(err)) != 0)
			fail_msg("'%s': %s", ok[i].expr, err);
		assert_int_equal(it.agg, ok[i].agg);
		assert_int_equal(it.cmp, ok[i].cmp);
		assert_true(it.pct > ok[i].pct - 1e-9 && it.pct < ok[i].pct + 1e-9);
		if (!(it.rhs > ok[i].rhs - 1e-9 && it.rhs < ok[i].rhs + 1e-9))
			fail_msg("'%s': rhs %g, want %g", ok[i].expr, it.rhs, ok[i].rhs);
	}
	static const struct {
		enum thr_metric m;
		const char *expr, *msg;
	} bad[] = {
		{THR_REQUEST_DURATION, "p99 < 5ms", "unknown aggregation 'p99'"},
		{THR_REQUEST_DURATION, "", "unknown aggregation '(nothing)'"},
		{THR_REQUEST_DURATION, "p(101) < 1s", "p(N) takes a percentile from 0 to 100"},
		{THR_REQUEST_DURATION, "p(x) < 1s", "p(N) takes a percentile"},
		{THR_REQUEST_DURATION, "p(99) 5ms", "expected an operator"},
		{THR_REQUEST_DURATION, "p(99) =< 5ms", "expected an operator"},
		{THR_REQUEST_DURATION, "p(99) <", "expected a number after the operator"},
		{THR_REQUEST_DURATION, "p(99) < 5xs", "unknown duration '5xs'"},
		{THR_REQUEST_DURATION, "p(99) < -5ms", "a duration must be non-negative"},
		{THR_REQUEST_DURATION, "p(99) < 5ms extra", "unexpected text after the value"},
		{THR_REQUEST_DURATION, "rate < 0.1", "'rate' does not apply to request_duration"},
		{THR_REQUEST_ERRORS, "p(99) < 1", "'p(99)' does not apply to request_errors"},
		{THR_REQUEST_ERRORS, "count < 1", "'count' does not apply to request_errors"},
		{THR_REQUEST_ERRORS, "rate < 1ms", "unexpected unit 'ms'"},
		{THR_CLUSTERS_FAILED, "avg < 1", "'avg' does not apply to clusters_failed"},
		{THR_CLUSTERS_FAILED, "count == 0%", "unexpected unit '%'"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct thr_item it;
		char err[256] = "";
		memset(&it, 0, sizeof(it));
		assert_int_equal(thr_parse_expr(bad[i].m, bad[i].expr, &it, err, sizeof(err)), SW_ERR_INVALID);
		if (!strstr(err, bad[i].msg))
			fail_msg("'%s': got '%s', want '%s'", bad[i].expr, err, bad[i].msg);
	}
}

static void test_names(void **state)
{
	static const struct {
		const char *name, *msg; /* msg NULL: valid */
		enum thr_metric m;
		enum thr_tag tag;
	} t[] = {
		{"request_duration", NULL, THR_REQUEST_DURATION, THR_TAG_NONE},
		{"request_duration{operation:get_next_steps}", NULL, THR_REQUEST_DURATION, THR_TAG_OPERATION},
		{"cluster_install_duration{shape:sno}", NULL, THR_CLUSTER_INSTALL_DURATION, THR_TAG_SHAPE},
		{"cluster_failures{shape:1}", NULL, THR_CLUSTER_FAILURES, THR_TAG_SHAPE},
		{"clusters_failed", NULL, THR_CLUSTERS_FAILED, THR_TAG_NONE},
		{"schedule_lateness", NULL, THR_SCHEDULE_LATENESS, THR_TAG_NONE},
		{"request_durations", "unknown metric 'request_durations'", 0, 0},
		{"request_duration{op:x}", "takes the tag 'operation', not 'op'", 0, 0},
		{"request_duration{operation:nope}", "unknown operation 'nope'", 0, 0},
		{"request_duration{operation:get_cluster,shape:sno}", "one tag per threshold key", 0, 0},
		{"request_duration{operation}", "a tag is written {name:value}", 0, 0},
		{"request_duration{operation:x", "a tag is written {name:value} and ends the key", 0, 0},
		{"schedule_lateness{shape:sno}", "takes no tag", 0, 0},
		{"clusters_failed{operation:get_cluster}", "takes the tag 'shape'", 0, 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct thr_item it;
		char err[512] = "";
		memset(&it, 0, sizeof(it));
		int rv = thr_parse_name(t[i].name, &it, err, sizeof(err));
		if (!t[i].msg) {
			if (rv)
				fail_msg("%s: %s", t[i].name, err);
			assert_int_equal(it.metric, t[i].m);
			assert_int_equal(it.tag, t[i].tag);
		} else {
			assert_int_equal(rv, SW_ERR_INVALID);
			if (!strstr(err, t[i].msg))
				fail_msg("%s: got '%s', want '%s'", t[i].name, err, t[i].msg);
		}
		free(it.shape);
	}
}

/* A plan file with |thresholds| (YAML text) loaded through the plan
 * loader; returns its result and the message. */
static int load_plan(const char *thresholds, struct swarm_plan *p, char *err, size_t errlen)
{
	char path[] = "/tmp/test_thresholds_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "clusters:\n  - single_node: true\n    num_workers: 0\n    amount: 2\n"
	           "  - single_node: false\n    num_workers: 0\n    amount: 1\n    name: big\n"
	           "thresholds:\n%s", thresholds);
	fclose(f);
	int rv = swarm_plan_load(path, p, err, errlen, NULL, 0);
	char *slash = strrchr(path, '/');
	/* Messages name the file: cut the random part for comparisons. */
	if (rv < 0) {
		char *at = strstr(err, slash + 1);
		if (at)
			memmove(err, at + strlen(slash + 1), strlen(at + strlen(slash + 1)) + 1);
	}
	unlink(path);
	return rv;
}

static void test_plan_errors(void **state)
{
	static const struct {
		const char *yaml, *msg;
	} t[] = {
		{"  request_duration: [\"p99 < 5ms\"]\n", ":10:22: key 'thresholds.request_duration[0]': unknown aggregation 'p99'"},
		{"  request_duration:\n    - \"p(99) < 1s\"\n    - \"p(99) < 1xs\"\n",
		 ":12:7: key 'thresholds.request_duration[1]': unknown duration '1xs'"},
		{"  request_errors: [{threshold: \"rate < 2%\", abortOnFail: maybe}]\n",
		 ":10:58: key 'thresholds.request_errors[0].abortOnFail': expected true or false"},
		{"  request_errors: [{threshold: \"rate < 2%\", delayAbortEval: 10}]\n",
		 ":10:61: key 'thresholds.request_errors[0].delayAbortEval': expected a duration"},
		{"  request_errors: [{abortOnFail: true}]\n", ":10:20: key 'thresholds.request_errors[0]': a threshold object needs"},
		{"  request_errors: [{threshold: rate < 1, extra: 1}]\n",
		 ":10:42: key 'thresholds.request_errors[0].extra': unknown key"},
		{"  request_errors: \"rate < 0.1\"\n", ":10:19: key 'thresholds.request_errors': expected a non-empty list"},
		{"  request_errors: []\n", ":10:19: key 'thresholds.request_errors': expected a non-empty list"},
		{"  request_errors: [[1]]\n", ":10:20: key 'thresholds.request_errors[0]': expected an expression string"},
		{"  cluster_install_duration{shape:huge}: [\"p(90) < 20m\"]\n",
		 ":10:3: key 'thresholds.cluster_install_duration{shape:huge}': no shape of the plan is 'huge'"},
		{"  clusters_failed: [\"count == 0\"]\n  clusters_failed: [\"count < 1\"]\n",
		 ":11:3: key 'thresholds.clusters_failed': duplicate key"},
		{"  - x\n", ":10:3: key 'thresholds': expected a mapping"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct swarm_plan p;
		char err[1024] = "";
		assert_int_equal(load_plan(t[i].yaml, &p, err, sizeof(err)), SW_ERR_INVALID);
		if (strncmp(err, t[i].msg, strlen(t[i].msg)))
			fail_msg("case %zu: got '%s', want '%s...'", i, err, t[i].msg);
	}
	/* Valid: shapes by label and index, the object form. */
	struct swarm_plan p;
	char err[1024] = "";
	int rv = load_plan("  cluster_install_duration{shape:sno}: [\"p(90) < 20m\"]\n"
	                   "  cluster_failures{shape:big}: [\"rate < 0.5\"]\n"
	                   "  clusters_installed{shape:1}: [\"count >= 1\"]\n"
	                   "  request_errors: [{threshold: \"rate < 1%\", abortOnFail: true, delayAbortEval: 10s}]\n",
	                   &p, err, sizeof(err));
	if (rv)
		fail_msg("%s", err);
	assert_non_null(p.thresholds);
	assert_int_equal(p.thresholds->n, 4);
	assert_true(p.thresholds->any_abort);
	assert_int_equal(p.thresholds->v[3].delay_abort_ns, 10000000000ull);
	assert_int_equal(p.thresholds->v[3].line, 13);
	swarm_plan_free(&p);
	assert_null(p.thresholds);
}

/* Stats with known figures: get_next_steps 100 calls of 1..100 ms, 5 of
 * them 503; register_host 10 calls of 2 ms; 3 SNO clusters installed
 * (10 s, 20 s, 30 s), 1 multi failed. */
static struct swarm_stats *known_stats(void)
{
	struct swarm_stats *st = malloc(sizeof(*st));
	stats_init(st);
	for (int i = 1; i <= 100; i++)
		stats_record_call(st, EP_GET_STEPS, 0, i <= 5 ? 503 : 200, 0, 1000, 1000 + (uint64_t)i * 1000000);
	for (int i = 0; i < 10; i++)
		stats_record_call(st, EP_REGISTER_HOST, 0, 201, 0, 0, 2000000);
	for (int i = 0; i < 4; i++) {
		struct swarm_cluster_record r;
		memset(&r, 0, sizeof(r));
		r.shape = i < 3 ? 0 : 1;
		r.t_started_ns = 1000000000;
		if (i < 3) {
			r.t_ready_ns = r.t_started_ns + 5000000000ull;
			r.t_installed_ns = r.t_finished_ns = r.t_started_ns + (uint64_t)(i + 1) * 10000000000ull;
			hist_record(&st->cluster_installed, (uint64_t)(i + 1) * 10000000000ull);
			st->clusters_installed++;
		} else {
			r.failed = 1;
			r.t_finished_ns = 2000000000;
			st->clusters_failed++;
		}
		stats_add_cluster(st, &r);
		stats_fold_cluster(st, &r);
	}
	return st;
}

static double eval1(const char *name, const char *expr, const struct thr_view *v, int *passed, int *has)
{
	struct thr_item it;
	char err[256];
	memset(&it, 0, sizeof(it));
	if (thr_parse_name(name, &it, err, sizeof(err)) || thr_parse_expr(it.metric, expr, &it, err, sizeof(err)))
		fail_msg("%s %s: %s", name, expr, err);
	struct thr_result r = thr_eval(&it, v);
	free(it.shape);
	*passed = r.passed;
	*has = r.has_value;
	return r.value;
}

static void test_values(void **state)
{
	static const char *labels[] = {"sno", "big"};
	static const struct {
		const char *name, *expr;
		double lo, hi; /* the value's range (histogram buckets are 1.6 % wide) */
		int passed;
	} t[] = {
		{"request_duration{operation:get_next_steps}", "p(99) < 99ms", 98, 101.6, 0},
		{"request_duration{operation:get_next_steps}", "p(50) < 60ms", 49, 51, 1},
		{"request_duration{operation:get_next_steps}", "max <= 100ms", 100, 100, 1},
		{"request_duration{operation:get_next_steps}", "min >= 1ms", 1, 1, 1},
		{"request_duration{operation:get_next_steps}", "avg < 60ms", 50.4, 50.6, 1},
		{"request_duration{operation:get_next_steps}", "count == 100", 100, 100, 1},
		{"request_duration", "count == 110", 110, 110, 1},
		{"request_errors", "rate < 0.05", 5.0 / 110, 5.0 / 110, 1},
		{"request_errors{operation:get_next_steps}", "rate < 5%", 0.05, 0.05, 0},
		{"request_errors{operation:register_host}", "rate == 0", 0, 0, 1},
		{"requests", "count > 100", 110, 110, 1},
		{"requests", "rate > 10", 11, 11, 1},
		{"requests{operation:register_host}", "rate < 1.5", 1, 1, 1},
		{"clusters_failed", "count == 0", 1, 1, 0},
		{"clusters_failed{shape:sno}", "count == 0", 0, 0, 1},
		{"clusters_failed{shape:big}", "count == 0", 1, 1, 0},
		{"clusters_installed{shape:0}", "count == 3", 3, 3, 1},
		{"cluster_failures", "rate < 0.3", 0.25, 0.25, 1},
		{"cluster_install_duration{shape:sno}", "p(90) < 31s", 29500, 30500, 1},
		{"cluster_install_duration{shape:sno}", "med < 15s", 19500, 20500, 0},
		{"cluster_install_duration", "max == 30s", 30000, 30000, 1},
		{"cluster_ready_duration{shape:sno}", "p(99) < 6s", 4900, 5100, 1},
	};
	(void)state;
	struct swarm_stats *st = known_stats();
	struct thr_view v = {.st = st, .duration_s = 10, .shape_labels = labels, .nshape_labels = 2};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int passed = -1, has = 0;
		double x = eval1(t[i].name, t[i].expr, &v, &passed, &has);
		assert_true(has);
		if (x < t[i].lo - 1e-9 || x > t[i].hi + 1e-9 || passed != t[i].passed)
			fail_msg("%s %s: value %g (want %g..%g), passed %d (want %d)", t[i].name, t[i].expr, x, t[i].lo,
			         t[i].hi, passed, t[i].passed);
	}
	/* No samples: no value, the threshold fails. */
	int passed = 1, has = 1;
	eval1("request_duration{operation:delete_cluster}", "p(99) < 1s", &v, &passed, &has);
	assert_false(has);
	assert_false(passed);
	eval1("request_errors{operation:delete_cluster}", "rate < 1", &v, &passed, &has);
	assert_false(has);
	assert_false(passed);
	stats_free(st);
	free(st);
}

static void test_abort_and_json(void **state)
{
	(void)state;
	struct swarm_plan p;
	char err[1024];
	int rv = load_plan("  request_errors: [{threshold: \"rate < 1%\", abortOnFail: true, delayAbortEval: 10s}]\n"
	                   "  request_duration{operation:delete_cluster}: [{threshold: \"p(99) < 1s\", abortOnFail: true}]\n"
	                   "  clusters_failed: [\"count == 0\"]\n", &p, err, sizeof(err));
	if (rv)
		fail_msg("%s", err);
	struct swarm_stats *st = known_stats();
	struct thr_view v = {.st = st, .duration_s = 12};
	/* Before the delay nothing aborts; a metric without samples never does. */
	assert_int_equal(thr_abort_check(p.thresholds, &v, 9000000000ull), -1);
	assert_int_equal(thr_abort_check(p.thresholds, &v, 10000000000ull), 0);
	size_t failed = 0;
	json_t *a = thr_eval_json(p.thresholds, &v, 0, &failed);
	assert_non_null(a);
	assert_int_equal(json_array_size(a), 3);
	assert_int_equal(failed, 3); /* errors 4.5 %, no delete samples, one cluster failed */
	json_t *t0 = json_array_get(a, 0), *t1 = json_array_get(a, 1);
	assert_string_equal(json_string_value(json_object_get(t0, "name")), "request_errors");
	assert_string_equal(json_string_value(json_object_get(t0, "expression")), "rate < 1%");
	assert_string_equal(json_string_value(json_object_get(t0, "unit")), "ratio");
	assert_true(json_is_true(json_object_get(t0, "aborted")));
	assert_true(json_is_true(json_object_get(t0, "abort_on_fail")));
	assert_true(json_is_null(json_object_get(t1, "value")));
	assert_false(json_is_true(json_object_get(t1, "aborted")));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	orch_print_thresholds(f, a);
	fclose(f);
	assert_non_null(strstr(buf, "FAIL  request_errors"));
	assert_non_null(strstr(buf, "no samples"));
	assert_non_null(strstr(buf, "(aborted the run)"));
	assert_non_null(strstr(buf, "0 of 3 thresholds passed"));
	free(buf);
	json_decref(a);
	stats_free(st);
	free(st);
	swarm_plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expressions),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_plan_errors),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_abort_and_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
