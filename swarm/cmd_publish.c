/*
 * cmd_publish: `swarm publish [OPTIONS] RESULTS` (see cmd.h): a results
 * file (a run's, or a merge's) to where pipelines keep them:
 *
 *  --bulk FILE   Elasticsearch/OpenSearch `_bulk` NDJSON in kube-burner's
 *                indexing shape (README "Publish"): an action line
 *                {"index": {"_index", "_id"}} before each document; one
 *                jobSummary document, one document per metric and interval
 *                of the time series ({uuid, metricName, timestamp, labels,
 *                value}), latency quantile documents per operation and per
 *                shape, one per threshold. The _id is derived from the run
 *                id and the document's position, so loading it twice
 *                replaces instead of duplicating.
 *  --push URL    the final metrics and the run's outcome to a Pushgateway
 *                (the same body as `swarm --push`).
 *  --report F    swarm-report's HTML (or --report-format markdown|junit).
 */
#include "cmd.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "metrics.h"
#include "push.h"
#include "report.h"
#include "results_load.h"
#include "sw_err.h"

extern char **environ;

static void usage(FILE *f)
{
	fprintf(f, "Usage: swarm publish [OPTIONS] RESULTS\n"
	        "\n"
	        "Publishes a results file (of a run or of swarm merge).\n"
	        "\n"
	        "Options:\n"
	        "      --bulk FILE            Elasticsearch/OpenSearch _bulk NDJSON ('-' = stdout)\n"
	        "      --index NAME           the _index of its action lines (default swarm-results)\n"
	        "      --push URL             push the final metrics to this Prometheus Pushgateway\n"
	        "      --job NAME             the Pushgateway job (default swarm)\n"
	        "      --push-ca FILE         CA bundle of an https Pushgateway\n"
	        "      --push-insecure        do not verify its certificate\n"
	        "      --report FILE          write swarm-report's report of the results\n"
	        "      --report-format F      html (default), markdown or junit\n"
	        "  -q, --quiet                no summary line\n"
	        "\n"
	        "Load the NDJSON with: curl -H 'Content-Type: application/x-ndjson' \\\n"
	        "  --data-binary @FILE https://ES:9200/_bulk\n"
	        "\n"
	        "Exit codes: 0 done; 2 usage; 3 the results cannot be read, are not JSON or are\n"
	        "truncated; 4 another schema_version; 5 not a swarm results file or a malformed\n"
	        "member; 6 an output (NDJSON, report) cannot be written; 9 the Pushgateway cannot\n"
	        "be reached or refused the push.\n");
}

/* "2026-11-23T09:30:00.123Z" -> UNIX seconds; -1 when malformed. */
static double iso_to_unix(const char *s)
{
	struct tm tm;
	int ms = 0;
	memset(&tm, 0, sizeof(tm));
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	                 &tm.tm_min, &tm.tm_sec, &ms) != 7)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (double)timegm(&tm) + ms / 1000.0;
}

static void unix_to_iso(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;
	int ms = (int)llround((t - (double)s) * 1000.0);
	if (ms > 999)
		ms = 999;
	gmtime_r(&s, &tm);
	char tmp[32];
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", tmp, ms < 0 ? 0 : ms);
}

struct bulk {
	FILE *f;
	const char *index, *uuid;
	unsigned long n;
	int bad;
};

/* One action line and one document (|doc| consumed). */
static void emit(struct bulk *b, json_t *doc)
{
	char id[96];
	if (!doc) {
		b->bad = 1;
		return;
	}
	snprintf(id, sizeof(id), "%s-%lu", b->uuid, b->n);
	json_t *act = json_pack("{s:{s:s, s:s}}", "index", "_index", b->index, "_id", id);
	if (!act || json_dumpf(act, b->f, JSON_COMPACT) < 0 || fputc('\n', b->f) == EOF ||
	    json_dumpf(doc, b->f, JSON_COMPACT | JSON_REAL_PRECISION(9)) < 0 || fputc('\n', b->f) == EOF)
		b->bad = 1;
	json_decref(act);
	json_decref(doc);
	b->n++;
}

static json_t *sample(const struct bulk *b, const char *metric, const char *ts, json_t *labels, double value)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:f, s:s}", "uuid", b->uuid, "metricName", metric, "timestamp", ts,
	                 "labels", labels ? labels : json_object(), "value", value, "jobName", "swarm");
}

static double qnum(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void bulk_interval(struct bulk *b, const json_t *iv, double t0_unix)
{
	char ts[40];
	unix_to_iso(t0_unix + qnum(iv, "end_seconds"), ts, sizeof(ts));
	const char *op;
	const json_t *o;
	json_object_foreach((json_t *)json_object_get(iv, "operations"), op, o) {
		const json_t *lat = json_object_get(o, "latency_seconds");
		emit(b, sample(b, "swarm_http_requests", ts, json_pack("{s:s}", "operation", op), qnum(o, "count")));
		emit(b, sample(b, "swarm_http_request_errors", ts, json_pack("{s:s}", "operation", op), qnum(o, "errors")));
		emit(b, sample(b, "swarm_http_request_duration_p50_seconds", ts, json_pack("{s:s}", "operation", op),
		               qnum(lat, "p50")));
		emit(b, sample(b, "swarm_http_request_duration_p99_seconds", ts, json_pack("{s:s}", "operation", op),
		               qnum(lat, "p99")));
	}
	const char *ph;
	json_object_foreach((json_t *)json_object_get(iv, "hosts_by_phase"), ph, o)
		emit(b, sample(b, "swarm_hosts", ts, json_pack("{s:s}", "phase", ph), json_number_value(o)));
	static const char *const states[] = {"waiting", "running", "installed", "failed"};
	const json_t *cl = json_object_get(iv, "clusters");
	for (int i = 0; i < 4; i++)
		emit(b, sample(b, "swarm_clusters", ts, json_pack("{s:s}", "state", states[i]), qnum(cl, states[i])));
	emit(b, sample(b, "swarm_http_requests_in_flight", ts, NULL, qnum(iv, "calls_in_flight")));
	emit(b, sample(b, "swarm_hosts_waiting_for_slot", ts, NULL, qnum(iv, "hosts_waiting_slot")));
	emit(b, sample(b, "swarm_cpu_seconds", ts, NULL, qnum(iv, "cpu_seconds")));
	emit(b, sample(b, "swarm_schedule_lateness_p99_seconds", ts, NULL,
	               qnum(json_object_get(iv, "lateness_seconds"), "p99")));
}

static json_t *quantiles_doc(const struct bulk *b, const char *metric, const char *name, const char *ts,
                             const json_t *q, double scale)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:s}", "uuid", b->uuid,
	                 "metricName", metric, "quantileName", name, "timestamp", ts,
	                 "P50", qnum(q, "p50") * scale, "P90", qnum(q, "p90") * scale, "P95", qnum(q, "p95") * scale,
	                 "P99", qnum(q, "p99") * scale, "max", qnum(q, "max") * scale, "avg", qnum(q, "mean") * scale,
	                 "count", (json_int_t)json_integer_value(json_object_get(q, "count")), "jobName", "swarm");
}

static int write_bulk(const struct results_file *rf, const char *path, const char *index, unsigned long *ndocs)
{
	const json_t *d = rf->doc;
	struct bulk b = {.index = index, .uuid = rf->run_id};
	b.f = !strcmp(path, "-") ? stdout : fopen(path, "w");
	if (!b.f)
		return cmd_fail("publish", CMD_WRITE, "%s: cannot write: %s", path, strerror(errno));
	const char *start = json_string_value(json_object_get(d, "start_time"));
	const char *end = json_string_value(json_object_get(d, "end_time"));
	double t0 = iso_to_unix(start);
	if (t0 < 0 || !end) {
		if (b.f != stdout)
			fclose(b.f);
		return cmd_fail("publish", CMD_MALFORMED, "%s: member 'start_time'/'end_time': not ISO 8601 UTC", rf->path);
	}
	/* The run summary (kube-burner's jobSummary). */
	const json_t *tot = json_object_get(d, "totals");
	json_t *sum = json_pack("{s:s, s:s, s:s, s:s, s:f, s:s, s:O, s:O, s:O, s:I, s:O, s:O, s:O, s:O, s:s}",
	                        "uuid", b.uuid, "metricName", "jobSummary", "timestamp", start, "endTimestamp", end,
	                        "elapsedTime", qnum(d, "duration_seconds"),
	                        "version", json_string_value(json_object_get(json_object_get(d, "tool"), "version")),
	                        "passed", json_object_get(d, "passed"), "exitCode", json_object_get(d, "exit_code"),
	                        "exitReason", json_object_get(d, "exit_reason"),
	                        "executionErrors", (json_int_t)json_integer_value(json_object_get(tot, "errors")),
	                        "totals", tot, "jobConfig", json_object_get(d, "plan"),
	                        "service", json_object_get(d, "service"),
	                        "thresholds", json_object_get(d, "thresholds") ? json_object_get(d, "thresholds")
	                                                                      : json_null(),
	                        "jobName", "swarm");
	emit(&b, sum);
	const json_t *ser = json_object_get(d, "series");
	size_t i;
	const json_t *iv;
	json_array_foreach(json_object_get(ser, "intervals"), i, iv)
		bulk_interval(&b, iv, t0);
	const char *op;
	const json_t *e;
	json_object_foreach((json_t *)json_object_get(d, "endpoints"), op, e) {
		json_t *q = quantiles_doc(&b, "requestLatencyQuantiles", op, end,
		                          json_object_get(e, "service_latency_seconds"), 1000.0);
		if (q)
			json_object_set_new(q, "errors", json_integer(json_integer_value(json_object_get(e, "errors"))));
		emit(&b, q);
	}
	json_array_foreach(json_object_get(d, "shapes"), i, e) {
		json_t *q = quantiles_doc(&b, "clusterInstallQuantiles",
		                          json_string_value(json_object_get(e, "label")) ? json_string_value(json_object_get(e, "label")) : "?",
		                          end, json_object_get(e, "time_to_installed_seconds"), 1.0);
		if (q) {
			json_object_set(q, "clusters", json_object_get(e, "clusters"));
			json_object_set(q, "installed", json_object_get(e, "installed"));
			json_object_set(q, "failed", json_object_get(e, "failed"));
		}
		emit(&b, q);
	}
	json_array_foreach(json_object_get(d, "thresholds"), i, e) {
		json_t *t = json_deep_copy(e);
		if (t) {
			json_object_set_new(t, "uuid", json_string(b.uuid));
			json_object_set_new(t, "metricName", json_string("threshold"));
			json_object_set_new(t, "timestamp", json_string(end));
			json_object_set_new(t, "jobName", json_string("swarm"));
		}
		emit(&b, t);
	}
	int bad = b.bad || ferror(b.f);
	if (b.f != stdout && fclose(b.f) != 0)
		bad = 1;
	else if (b.f == stdout)
		fflush(stdout);
	*ndocs = b.n;
	if (bad)
		return cmd_fail("publish", CMD_WRITE, "%s: write error (or out of memory)", path);
	return CMD_OK;
}

static int do_push(const struct results_file *rf, const char *url, const char *job, const char *ca, int insecure)
{
	struct swarm_service svc;
	char err[1024];
	memset(&svc, 0, sizeof(svc));
	svc.ca_file = (char *)ca;
	svc.insecure = insecure;
	const json_t *d = rf->doc;
	struct report_run run = {
		.run_id = rf->run_id, .version = json_string_value(json_object_get(json_object_get(d, "tool"), "version")),
		.start_wall = iso_to_unix(json_string_value(json_object_get(d, "start_time"))),
		.end_wall = iso_to_unix(json_string_value(json_object_get(d, "end_time"))),
		.duration_s = rf->duration_s, .exit_code = rf->exit_code,
	};
	struct evbuffer *body = evbuffer_new();
	if (!body || metrics_render(body, &rf->st, run.run_id, run.version, run.duration_s) < 0) {
		if (body)
			evbuffer_free(body);
		return cmd_fail("publish", CMD_USAGE, "out of memory");
	}
	push_render_run(body, &run);
	int rv = push_metrics(&svc, url, job, rf->run_id, body, err, sizeof(err));
	evbuffer_free(body);
	if (rv < 0)
		return cmd_fail("publish", CMD_UNREACHABLE, "push to %s failed: %s", url, err);
	return CMD_OK;
}

/* swarm-report beside this binary (installed, or in the build tree), else
 * $SWARM_REPORT, else the PATH. */
static void find_report(char *out, size_t len)
{
	const char *env = getenv("SWARM_REPORT");
	char self[4096];
	if (env && *env) {
		snprintf(out, len, "%s", env);
		return;
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, len, "%s/swarm-report", self);
			if (access(out, X_OK) == 0)
				return;
			snprintf(out, len, "%s/../tools/swarm-report/swarm-report", self);
			if (access(out, X_OK) == 0)
				return;
		}
	}
	snprintf(out, len, "swarm-report");
}

static int do_report(const struct results_file *rf, const char *path, const char *format)
{
	char exe[4200];
	find_report(exe, sizeof(exe));
	char *args[] = {exe, (char *)"--format", (char *)format, (char *)"-o", (char *)path, rf->path, NULL};
	pid_t pid;
	int rv = posix_spawnp(&pid, exe, NULL, NULL, args, environ);
	if (rv != 0)
		return cmd_fail("publish", CMD_WRITE, "cannot run %s: %s (set SWARM_REPORT)", exe, strerror(rv));
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return cmd_fail("publish", CMD_WRITE, "%s failed (exit %d): the report %s was not written", exe,
		                WIFEXITED(st) ? WEXITSTATUS(st) : -1, path);
	return CMD_OK;
}

int cmd_publish(int argc, char **argv)
{
	static const struct option lo[] = {
		{"bulk", required_argument, NULL, 'b'}, {"index", required_argument, NULL, 'i'},
		{"push", required_argument, NULL, 'p'}, {"job", required_argument, NULL, 'j'},
		{"push-ca", required_argument, NULL, 'C'}, {"push-insecure", no_argument, NULL, 'I'},
		{"report", required_argument, NULL, 'r'}, {"report-format", required_argument, NULL, 'F'},
		{"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	const char *bulk = NULL, *index = "swarm-results", *push = NULL, *job = "swarm", *ca = NULL;
	const char *report = NULL, *format = "html";
	int insecure = 0, quiet = 0;
	char err[1024];
	optind = 1;
	opterr = 0;
	for (int ch; (ch = getopt_long(argc, argv, "+qh", lo, NULL)) != -1;) {
		switch (ch) {
		case 'b': bulk = optarg; break;
		case 'i': index = optarg; break;
		case 'p': push = optarg; break;
		case 'j': job = optarg; break;
		case 'C': ca = optarg; break;
		case 'I': insecure = 1; break;
		case 'r': report = optarg; break;
		case 'F': format = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return CMD_OK;
		default:
			usage(stderr);
			return cmd_fail("publish", CMD_USAGE, "unknown option or missing argument: %s", argv[optind - 1]);
		}
	}
	if (argc - optind != 1) {
		usage(stderr);
		return cmd_fail("publish", CMD_USAGE, "expected one results file");
	}
	if (!bulk && !push && !report)
		return cmd_fail("publish", CMD_USAGE, "nothing to do: give --bulk, --push and/or --report");
	if (push && strncmp(push, "http://", 7) && strncmp(push, "https://", 8))
		return cmd_fail("publish", CMD_USAGE, "--push: expected an http(s) URL, got '%s'", push);
	if (strcmp(format, "html") && strcmp(format, "markdown") && strcmp(format, "junit"))
		return cmd_fail("publish", CMD_USAGE, "--report-format: html, markdown or junit, got '%s'", format);
	for (const char *p = index; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return cmd_fail("publish", CMD_USAGE, "--index: lower-case letters, digits, '-', '_', '.', got '%s'",
			                index);
	for (const char *p = job; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_' || *p == '.'))
			return cmd_fail("publish", CMD_USAGE, "--job: [A-Za-z0-9_.-], got '%s'", job);
	struct results_file rf;
	int code = results_load(argv[optind], &rf, 0, err, sizeof(err));
	if (code != RL_OK) {
		results_file_free(&rf);
		return cmd_fail("publish", code, "%s", err);
	}
	unsigned long ndocs = 0;
	if (bulk)
		code = write_bulk(&rf, bulk, index, &ndocs);
	if (code == CMD_OK && push)
		code = do_push(&rf, push, job, ca, insecure);
	if (code == CMD_OK && report)
		code = do_report(&rf, report, format);
	if (code == CMD_OK && !quiet) {
		fprintf(stderr, "swarm publish: run %s", rf.run_id);
		if (bulk)
			fprintf(stderr, "; %lu documents for _bulk in %s (index %s)", ndocs, bulk, index);
		if (push)
			fprintf(stderr, "; metrics pushed to %s (job %s, instance %s)", push, job, rf.run_id);
		if (report)
			fprintf(stderr, "; report %s", report);
		fputc('\n', stderr);
	}
	results_file_free(&rf);
	return code;
}
