/* Tests for swarm/report.c, progress.c and metrics.c: results JSON round
 * trip against the stats fed in, summary tables, progress line formatting,
 * Prometheus exposition. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include <event2/buffer.h>

#include "config.h"
#include "metrics.h"
#include "progress.h"
#include "report.h"
#include "results.h"
#include "series.h"
#include "stats.h"
#include "sw_err.h"

static struct swarm_stats *fixture_stats(void)
{
	struct swarm_stats *st = malloc(sizeof(*st));
	assert_non_null(st);
	stats_init(st);
	for (int i = 1; i <= 100; i++)
		stats_record_call(st, EP_REGISTER_HOST, 0, 201, 0, 0, (uint64_t)i * 1000000);
	stats_record_call(st, EP_REGISTER_HOST, 0, 503, 0, 0, 2000000);
	stats_record_call(st, EP_REGISTER_HOST, SW_ERR_TIMEOUT, 0, 0, 1000, 31000000000ull);
	stats_record_call(st, EP_GET_STEPS, 0, 200, 0, 5000000, 6000000);
	st->clusters_total = 3;
	st->clusters_started = 3;
	st->clusters_ready = 2;
	st->clusters_installed = 2;
	st->clusters_failed = 1;
	st->hosts_by_phase[HP_DONE] = 4;
	st->hosts_by_phase[HP_FAILED] = 1;
	st->cpu_ns = 1500000000;
	hist_record(&st->lateness, 200000);
	hist_record(&st->start_delay, 3000000);
	struct swarm_cluster_record r;
	for (int i = 0; i < 3; i++) {
		memset(&r, 0, sizeof(r));
		snprintf(r.name, sizeof(r.name), "swarm-1-%d", i);
		snprintf(r.id, sizeof(r.id), "00000000-0000-0000-0000-00000000000%d", i);
		r.shape = i == 2 ? 1 : 0;
		r.hosts = i == 2 ? 3 : 1;
		r.t_intended_ns = (uint64_t)i * 1000000000;
		r.t_started_ns = r.t_intended_ns + 3000000;
		if (i < 2) {
			r.t_ready_ns = r.t_started_ns + (uint64_t)(i + 1) * 10000000000ull;
			r.t_installed_ns = r.t_started_ns + (uint64_t)(i + 1) * 60000000000ull;
			r.t_finished_ns = r.t_installed_ns;
		} else {
			r.failed = 1;
			r.t_finished_ns = r.t_started_ns + 5000000000ull;
			snprintf(r.failure, sizeof(r.failure), "host registration failed: 503");
		}
		assert_true(stats_add_cluster(st, &r) >= 0);
	}
	return st;
}

static struct report_run fixture_run(struct swarm_plan *plan, struct swarm_service *svc,
                                     struct swarm_opts *opts)
{
	memset(plan, 0, sizeof(*plan));
	memset(svc, 0, sizeof(*svc));
	memset(opts, 0, sizeof(*opts));
	static struct swarm_shape shapes[2];
	memset(shapes, 0, sizeof(shapes));
	shapes[0].single_node = 1;
	shapes[0].control_plane = 1;
	shapes[0].amount = 2;
	shapes[1].control_plane = 3;
	shapes[1].amount = 1;
	plan->shapes = shapes;
	plan->nshapes = 2;
	plan->seed = 9;
	svc->endpoint = "http://127.0.0.1:8090";
	svc->pull_secret = "{\"auths\":{\"x\":{\"auth\":\"SECRET-PS\"}}}";
	svc->user_token = "SECRET-TOKEN";
	svc->ssh_pub_key = "ssh-ed25519 SECRET-KEY";
	opts->max_concurrent = 50;
	opts->threads = 2;
	struct report_run run = {
		.run_id = "swarm-1", .version = "9.9.9", .start_wall = 1700000000.25,
		.end_wall = 1700000100.5, .duration_s = 100.25, .plan = plan, .svc = svc, .opts = opts,
		.exit_code = SWARM_EXIT_FAILED, .exit_reason = "failed",
	};
	return run;
}

static double jnum(json_t *o, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *cur = o;
	for (char *tok = strtok(buf, "."); tok; tok = strtok(NULL, "."))
		cur = json_object_get(cur, tok);
	if (!json_is_number(cur))
		fail_msg("%s is not a number", path);
	return json_number_value(cur);
}

/* The summary report_print() writes for |st| and |run| (malloc'd text). */
static char *summary_of(const struct swarm_stats *st, const struct report_run *run)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	report_print(f, st, run);
	fclose(f);
	assert_non_null(buf);
	return buf;
}

static int count_lines(const char *text)
{
	int n = 0;
	for (const char *c = text; *c; c++)
		n += *c == '\n';
	return n;
}

static void test_json_round_trip(void **state)
{
	(void)state;
	struct swarm_plan plan;
	struct swarm_service svc;
	struct swarm_opts opts;
	struct swarm_stats *st = fixture_stats();
	struct report_run run = fixture_run(&plan, &svc, &opts);
	char path[] = "/tmp/swarm-test-report-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char err[256];
	assert_int_equal(report_write_json(path, st, &run, err, sizeof(err)), 0);
	json_error_t je;
	json_t *doc = json_load_file(path, 0, &je);
	unlink(path);
	assert_non_null(doc);

	assert_int_equal((int)jnum(doc, "schema_version"), REPORT_SCHEMA_VERSION);
	assert_string_equal(json_string_value(json_object_get(doc, "run_id")), "swarm-1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "tool"), "version")), "9.9.9");
	assert_string_equal(json_string_value(json_object_get(doc, "start_time")), "2023-11-14T22:13:20.250Z");
	assert_true(json_is_false(json_object_get(doc, "passed")));
	assert_int_equal((int)jnum(doc, "exit_code"), 1);
	assert_int_equal((int)jnum(doc, "options.threads"), 2);
	assert_int_equal((int)jnum(doc, "totals.requests"), 103);
	assert_int_equal((int)jnum(doc, "totals.errors"), 2);
	assert_int_equal((int)jnum(doc, "totals.clusters_failed"), 1);
	assert_int_equal((int)jnum(doc, "totals.hosts"), 5);
	assert_int_equal((int)jnum(doc, "totals.hosts_by_phase.failed"), 1);
	assert_true(jnum(doc, "totals.cpu_seconds") == 1.5);
	assert_true(jnum(doc, "totals.requests_per_second") > 1.027 && jnum(doc, "totals.requests_per_second") < 1.028);

	json_t *rh = json_object_get(json_object_get(doc, "endpoints"), "register_host");
	assert_non_null(rh);
	assert_int_equal((int)jnum(rh, "count"), 102);
	assert_int_equal((int)jnum(rh, "errors"), 2);
	assert_int_equal((int)jnum(rh, "status_codes.201"), 100);
	assert_int_equal((int)jnum(rh, "status_codes.503"), 1);
	assert_int_equal((int)jnum(rh, "transport_errors.timeout"), 1);
	const struct hist *h = &st->ep[EP_REGISTER_HOST].service;
	assert_true(jnum(rh, "service_latency_seconds.p50") == (double)hist_quantile(h, 0.5) / 1e9);
	assert_true(jnum(rh, "service_latency_seconds.p99") == (double)hist_quantile(h, 0.99) / 1e9);
	assert_true(jnum(rh, "service_latency_seconds.max") == 30.999999);
	assert_true(jnum(rh, "intended_latency_seconds.max") == 30.999999);
	assert_int_equal((int)jnum(rh, "service_latency_seconds.count"), 102);
	/* endpoints without calls are left out */
	assert_null(json_object_get(json_object_get(doc, "endpoints"), "install_cluster"));

	json_t *shapes = json_object_get(doc, "shapes");
	assert_int_equal(json_array_size(shapes), 2);
	assert_int_equal((int)jnum(json_array_get(shapes, 0), "clusters"), 2);
	assert_int_equal((int)jnum(json_array_get(shapes, 0), "installed"), 2);
	assert_int_equal((int)jnum(json_array_get(shapes, 1), "failed"), 1);
	assert_int_equal((int)jnum(json_array_get(shapes, 1), "hosts"), 3);
	assert_true(jnum(json_array_get(shapes, 0), "time_to_installed_seconds.max") == 120.0);
	assert_true(jnum(doc, "schedule.start_delay_seconds.max") == 0.003);

	json_t *cl = json_object_get(doc, "clusters");
	assert_int_equal(json_array_size(cl), 3);
	json_t *c2 = json_array_get(cl, 2);
	assert_true(json_is_true(json_object_get(c2, "failed")));
	assert_true(json_is_null(json_object_get(c2, "installed_seconds")));
	assert_string_equal(json_string_value(json_object_get(c2, "failure")), "host registration failed: 503");
	assert_true(jnum(c2, "intended_start_seconds") == 2.0);

	/* No secrets anywhere. */
	char *text = json_dumps(doc, 0);
	assert_non_null(text);
	assert_null(strstr(text, "SECRET"));
	free(text);
	json_decref(doc);

	/* Unwritable path: error names it. */
	assert_int_equal(report_write_json("/nonexistent-dir/x.json", st, &run, err, sizeof(err)), SW_ERR_IO);
	assert_non_null(strstr(err, "/nonexistent-dir/x.json"));
	stats_free(st);
	free(st);
}

/* A file's whole text (malloc'd). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(fwrite(chunk, 1, n, m), n);
	fclose(f);
	fclose(m);
	return buf;
}

/* The results writer streams the cluster records one at a time into the
 * document: the file must be, byte for byte, the dump of the whole
 * report_json() tree with the same histograms, members and series. */
static void check_stream_identical(const struct swarm_stats *st, const struct report_run *run,
                                   const struct series *ser)
{
	char a[] = "/tmp/swarm-test-stream-XXXXXX", b[] = "/tmp/swarm-test-whole-XXXXXX", err[256];
	int fd = mkstemp(a);
	assert_true(fd >= 0);
	close(fd);
	fd = mkstemp(b);
	assert_true(fd >= 0);
	close(fd);
	json_t *members = json_pack("{s:{s:i}}", "shard", "index", 1);
	struct results_extra x = {.series = ser, .members = members};
	assert_int_equal(results_write_run(a, st, run, &x, err, sizeof(err)), 0);
	json_t *doc = report_json(st, run);
	assert_non_null(doc);
	assert_int_equal(results_add_histograms(doc, st), 0);
	assert_int_equal(json_object_update(doc, members), 0);
	assert_int_equal(results_write(b, doc, ser, err, sizeof(err)), 0);
	json_decref(doc);
	json_decref(members);
	char *ta = slurp(a), *tb = slurp(b);
	unlink(a);
	unlink(b);
	assert_string_equal(ta, tb);
	if (st->nclusters)
		assert_non_null(strstr(ta, "\n \"clusters\": [\n  {\n   \"name\": "));
	else
		assert_non_null(strstr(ta, "\n \"clusters\": []"));
	free(ta);
	free(tb);
}

static void test_results_streamed_records(void **state)
{
	(void)state;
	struct swarm_plan plan;
	struct swarm_service svc;
	struct swarm_opts opts;
	struct swarm_stats *st = fixture_stats();
	struct report_run run = fixture_run(&plan, &svc, &opts);
	check_stream_identical(st, &run, NULL);
	struct series *ser = series_new(1000000000ull);
	assert_non_null(ser);
	assert_int_equal(series_cut(ser, st, 1.0), 0);
	check_stream_identical(st, &run, ser);
	series_free(&ser);
	/* kube mode: each record carries its "kube" object (one level deeper) */
	plan.mode = SWARM_MODE_KUBE;
	st->clusters[0].kube_provisioned_ms = 1500;
	st->clusters[0].kube_cleanup = 1;
	check_stream_identical(st, &run, NULL);
	plan.mode = SWARM_MODE_REST;
	/* no record at all */
	struct swarm_stats *empty = malloc(sizeof(*empty));
	assert_non_null(empty);
	stats_init(empty);
	check_stream_identical(empty, &run, NULL);
	stats_free(empty);
	free(empty);
	stats_free(st);
	free(st);
}

static void test_summary(void **state)
{
	(void)state;
	struct swarm_plan plan;
	struct swarm_service svc;
	struct swarm_opts opts;
	struct swarm_stats *st = fixture_stats();
	struct report_run run = fixture_run(&plan, &svc, &opts);
	char *buf = summary_of(st, &run);
	assert_non_null(strstr(buf, "register_host"));
	assert_non_null(strstr(buf, "503 x1"));
	assert_non_null(strstr(buf, "timeout x1"));
	assert_non_null(strstr(buf, "Failed clusters by reason (1 cluster)\n"));
	assert_non_null(strstr(buf, "          1  host registration failed: 503\n"));
	assert_non_null(strstr(buf, "exit 1 (failed)"));
	assert_non_null(strstr(buf, "CPU: 1.50 s"));
	free(buf);

	/* Empty stats print without crashing. */
	struct swarm_stats *empty = malloc(sizeof(*empty));
	stats_init(empty);
	run.plan = NULL;
	buf = summary_of(empty, &run);
	assert_non_null(strstr(buf, "clusters: 0 in the plan, none started"));
	free(buf);
	json_t *doc = report_json(empty, &run);
	assert_non_null(doc);
	assert_int_equal(json_array_size(json_object_get(doc, "clusters")), 0);
	json_decref(doc);
	stats_free(empty);
	free(empty);
	stats_free(st);
	free(st);
}

/* A run that never started (service unreachable) prints the plan's cluster
 * count and the failed call, and no tables of nothing. */
static void test_summary_never_started(void **state)
{
	(void)state;
	struct swarm_plan plan;
	struct swarm_service svc;
	struct swarm_opts opts;
	struct report_run run = fixture_run(&plan, &svc, &opts);
	struct swarm_stats *st = malloc(sizeof(*st));
	assert_non_null(st);
	stats_init(st);
	stats_record_call(st, EP_COMPONENT_VERSIONS, SW_ERR_CONNECT, 0, 0, 0, 100000000);
	st->clusters_total = 10;
	run.exit_code = SWARM_EXIT_UNREACHABLE;
	run.exit_reason = "unreachable";
	run.exit_message = "service http://127.0.0.1:1 unreachable: connection refused";
	char *buf = summary_of(st, &run);
	assert_non_null(strstr(buf, "exit 4 (unreachable)"));
	assert_non_null(strstr(buf, "clusters: 10 in the plan, none started   requests: 1, errors: 1\n"));
	assert_non_null(strstr(buf, "component_versions         connect x1"));
	assert_null(strstr(buf, "Requests by operation"));
	assert_null(strstr(buf, "Clusters by shape"));
	assert_null(strstr(buf, "Schedule:"));
	assert_null(strstr(buf, "CPU:"));
	assert_true(count_lines(buf) <= 6);
	free(buf);
	/* The reason is in the results too. */
	json_t *doc = report_json(st, &run);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "exit_message")), run.exit_message);
	assert_int_equal((int)jnum(doc, "totals.clusters_total"), 10);
	json_decref(doc);
	stats_free(st);
	free(st);
}

/* An aborted run of 1,000 clusters: counts by reason and ten names, not
 * 1,000 lines (all of them stay in the results file). */
static void test_summary_many_failed(void **state)
{
	(void)state;
	struct swarm_plan plan;
	struct swarm_service svc;
	struct swarm_opts opts;
	struct report_run run = fixture_run(&plan, &svc, &opts);
	opts.results_path = "out.json";
	run.exit_code = SWARM_EXIT_ABORTED;
	run.exit_reason = "signal";
	struct swarm_stats *st = malloc(sizeof(*st));
	assert_non_null(st);
	stats_init(st);
	struct swarm_cluster_record r;
	for (int i = 0; i < 1000; i++) {
		memset(&r, 0, sizeof(r));
		snprintf(r.name, sizeof(r.name), "swarm-1-%d", i);
		r.failed = 1;
		/* 950 aborted, 40 before start, then 10 distinct texts. */
		if (i < 950)
			snprintf(r.failure, sizeof(r.failure), "aborted");
		else if (i < 990)
			snprintf(r.failure, sizeof(r.failure), "aborted before start");
		else
			snprintf(r.failure, sizeof(r.failure), "host %d: odd failure", i);
		assert_true(stats_add_cluster(st, &r) >= 0);
	}
	st->clusters_total = st->clusters_started = 1000;
	st->clusters_failed = 1000;
	json_t *doc = report_json(st, &run);
	assert_int_equal(json_array_size(json_object_get(doc, "clusters")), 1000);
	json_decref(doc);
	char *buf = summary_of(st, &run);
	assert_non_null(strstr(buf, "Failed clusters by reason (1000 clusters; each one is listed in out.json)\n"
	                            "        950  aborted\n"
	                            "         40  aborted before start\n"));
	assert_non_null(strstr(buf, "          4  (other reasons)\n"));
	assert_non_null(strstr(buf, "  swarm-1-9                aborted\n  ... and 990 more\n"));
	assert_null(strstr(buf, "swarm-1-10 "));
	assert_true(count_lines(buf) < 40);
	free(buf);
	stats_free(st);
	free(st);
}

static void test_plural(void **state)
{
	(void)state;
	assert_string_equal(report_plural(0), "s");
	assert_string_equal(report_plural(1), "");
	assert_string_equal(report_plural(2), "s");
}

static void test_fmt_duration(void **state)
{
	(void)state;
	char b[16];
	assert_string_equal(report_fmt_duration(999, b, sizeof(b)), "999ns");
	assert_string_equal(report_fmt_duration(850000, b, sizeof(b)), "850us");
	assert_string_equal(report_fmt_duration(1234567, b, sizeof(b)), "1.23ms");
	assert_string_equal(report_fmt_duration(12345678, b, sizeof(b)), "12.3ms");
	assert_string_equal(report_fmt_duration(1250000000, b, sizeof(b)), "1.25s");
	assert_string_equal(report_fmt_duration(123000000000ull, b, sizeof(b)), "2m03s");
	assert_string_equal(report_fmt_duration(3720000000000ull, b, sizeof(b)), "1h02m");
	assert_string_equal(report_exit_name(SWARM_EXIT_ABORTED), "aborted");
	assert_string_equal(report_exit_name(42), "unknown");
}

static void test_progress(void **state)
{
	(void)state;
	struct progress *p = malloc(sizeof(*p));
	struct swarm_stats *st = fixture_stats();
	char line[512];
	progress_init(p, 0, 0);
	size_t n = progress_format(p, st, 10000000000ull, 3723000000000ull, line, sizeof(line));
	assert_int_equal(n, strlen(line));
	assert_non_null(strstr(line, "01:02:03"));
	assert_non_null(strstr(line, "hosts done 4 fail 1"));
	assert_non_null(strstr(line, "clusters ok 2 fail 1 of 3"));
	assert_non_null(strstr(line, "err 2"));
	assert_non_null(strstr(line, "p99 "));
	assert_null(strchr(line, '\n'));
	assert_null(strchr(line, '\r'));
	/* Second sample 2 s later with 10 more requests: 5 req/s, p99 over those only. */
	for (int i = 0; i < 10; i++)
		stats_record_call(st, EP_GET_STEPS, 0, 200, 0, 0, 7000000);
	progress_format(p, st, 12000000000ull, 3725000000000ull, line, sizeof(line));
	assert_non_null(strstr(line, "5 req/s"));
	assert_non_null(strstr(line, "p99 7.0"));
	/* Nothing new: no latency to show. */
	progress_format(p, st, 13000000000ull, 3726000000000ull, line, sizeof(line));
	assert_non_null(strstr(line, "0 req/s"));
	assert_non_null(strstr(line, "p99 -"));

	/* Live on a narrow terminal: fits in width - 1, elapsed first. */
	for (unsigned w = 20; w <= 120; w += 10) {
		progress_init(p, 1, w);
		n = progress_format(p, st, 1, 1, line, sizeof(line));
		assert_true(n <= w - 1);
		assert_int_equal(strncmp(line, "00:00:00", 8), 0);
	}
	/* No room at all: nothing written and, in the ASan build, nothing leaked. */
	assert_int_equal(progress_format(p, st, 1, 1, line, 0), 0);
	/* Writing: live lines start with CR + clear, finish adds the newline. */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	progress_init(p, 1, 80);
	progress_print(p, f, st, 1, 1);
	progress_finish(p, f);
	progress_finish(p, f);
	fclose(f);
	assert_int_equal(strncmp(buf, "\r\033[2K00:00:00", 13), 0);
	assert_int_equal(buf[strlen(buf) - 1], '\n');
	assert_null(strchr(buf, '\n') != buf + strlen(buf) - 1 ? strchr(buf, '\n') : NULL);
	free(buf);
	f = open_memstream(&buf, &len);
	progress_init(p, 0, 80);
	progress_print(p, f, st, 1, 1);
	progress_finish(p, f);
	fclose(f);
	assert_int_equal(strncmp(buf, "swarm: 00:00:00", 15), 0);
	free(buf);
	stats_free(st);
	free(st);
	free(p);
}

static void test_metrics(void **state)
{
	(void)state;
	struct swarm_stats *st = fixture_stats();
	struct evbuffer *out = evbuffer_new();
	metrics_render(out, st, "swarm-1", "9.9.9", 12.5);
	size_t len = evbuffer_get_length(out);
	char *text = malloc(len + 1);
	evbuffer_remove(out, text, len);
	text[len] = '\0';
	static const char *const want[] = {
		"swarm_build_info{version=\"9.9.9\",run_id=\"swarm-1\"} 1\n",
		"swarm_http_requests_total{operation=\"register_host\",code=\"201\"} 100\n",
		"swarm_http_requests_total{operation=\"register_host\",code=\"0\"} 1\n",
		"swarm_http_request_errors_total{operation=\"register_host\",reason=\"http_5xx\"} 1\n",
		"swarm_http_request_errors_total{operation=\"register_host\",reason=\"timeout\"} 1\n",
		"swarm_http_request_duration_seconds_count{operation=\"register_host\"} 102\n",
		"swarm_http_request_duration_seconds_bucket{operation=\"register_host\",le=\"+Inf\"} 102\n",
		"swarm_hosts{phase=\"done\"} 4\n",
		"swarm_clusters_failed_total 1\n",
		"# TYPE swarm_cluster_installed_duration_seconds histogram\n",
		"swarm_cpu_seconds_total 1.5\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		if (!strstr(text, want[i]))
			fail_msg("missing: %s", want[i]);
	free(text);
	evbuffer_free(out);
	stats_free(st);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_results_streamed_records),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_summary_never_started),
		cmocka_unit_test(test_summary_many_failed),
		cmocka_unit_test(test_plural),
		cmocka_unit_test(test_fmt_duration),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_metrics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
