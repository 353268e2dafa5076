/*
 * The configuration's bounds (issue 9): every input the loader reads is
 * bounded and refused with FILE:LINE:COL when it goes past them.
 *  - finding 9: deep YAML nesting (libyaml's loader is quadratic in the
 *    depth): refused at the level past CFG_INPUT_MAX_DEPTH, quickly; too
 *    many nodes refused too;
 *  - finding 11: a FIFO (or a directory) as plan, service config, pull
 *    secret, CA file or client certificate is refused instead of blocking;
 *  - finding 12: arrival rates outside 0.001..1e7 per minute are refused,
 *    and the schedule saturates start times whatever the rate;
 *  - finding 13: user info in a URL ("user info in URL not supported"), URL
 *    errors at LINE:COL, a NUL in a scalar, a second YAML document.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cfg_input.h"
#include "config.h"
#include "schedule.h"
#include "sw_err.h"

static char tmpdir[256];

static void path_of(const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", tmpdir, name);
}

static void write_bytes(const char *name, const char *data, size_t n, char *path, size_t len)
{
	path_of(name, path, len);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static void write_file(const char *name, const char *text, char *path, size_t len)
{
	write_bytes(name, text, strlen(text), path, len);
}

static int setup(void **state)
{
	char ps[512];
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/swarm-test-limits-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	write_file("ps.json", "{\"auths\":{}}", ps, sizeof(ps));
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

#define PLAN_OK "clusters:\n  - {single_node: true, num_workers: 0, amount: 1}\n"
#define SVC_HEAD "release_image: r\nssh_pub_key: k\npull_secret_file: ps.json\n"

/* Loads |text| as a plan (or a service config) and checks the error:
 * the return code and the message after "PATH:". */
static void expect(int service, const char *text, size_t n, int rv_want, const char *msg)
{
	char path[512], err[600], want[800];
	int rv;
	write_bytes(service ? "svc.yaml" : "plan.yaml", text, n, path, sizeof(path));
	if (service) {
		struct swarm_service s;
		rv = swarm_service_load(path, &s, err, sizeof(err), NULL, 0);
		if (rv == 0)
			swarm_service_free(&s);
	} else {
		struct swarm_plan p;
		rv = swarm_plan_load(path, &p, err, sizeof(err), NULL, 0);
		if (rv == 0)
			swarm_plan_free(&p);
	}
	if (rv_want == 0) {
		if (rv != 0)
			fail_msg("unexpected error %d: %s", rv, err);
		return;
	}
	snprintf(want, sizeof(want), "%s:%s", path, msg);
	if (rv != rv_want || strncmp(err, want, strlen(want)) != 0)
		fail_msg("rv %d (want %d)\n got: %s\nwant: %s...", rv, rv_want, err, want);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Finding 9: 200 KB of nested flow lists used to take over 20 s in the
 * loader; the event pre-scan refuses it at the 33rd level. */
static void test_deep_nesting(void **state)
{
	(void)state;
	size_t depth = 100000, n = 0;
	char *t = malloc(2 * depth + 128);
	assert_non_null(t);
	n += (size_t)sprintf(t, PLAN_OK "x: ");
	for (size_t i = 0; i < depth; i++)
		t[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		t[n++] = ']';
	t[n++] = '\n';
	double t0 = now_s();
	expect(0, t, n, SW_ERR_INVALID, "3:35: nested deeper than 32 levels (lists and mappings)");
	/* Not a timed assertion of the fix's speed, just a bound far above it
	 * (the unfixed loader needs minutes for this input). */
	assert_true(now_s() - t0 < 10.0);
	free(t);

	/* 32 levels are fine (the limit itself), 33 are not; block style too. */
	char buf[4096];
	n = (size_t)sprintf(buf, PLAN_OK "schema: ");
	for (int i = 0; i < 31; i++)
		buf[n++] = '[';
	for (int i = 0; i < 31; i++)
		buf[n++] = ']';
	buf[n++] = '\n';
	expect(0, buf, n, 0, NULL);
	n = (size_t)sprintf(buf, PLAN_OK "schema:\n");
	for (int i = 0; i < 33; i++)
		n += (size_t)sprintf(buf + n, "%*sk:\n", 2 * (i + 1), "");
	expect(0, buf, n, SW_ERR_INVALID, "35:65: nested deeper than 32 levels");
}

static void test_too_many_nodes(void **state)
{
	(void)state;
	size_t cap = 3 * (CFG_INPUT_MAX_NODES + 10) + 64, n = 0;
	char *t = malloc(cap);
	assert_non_null(t);
	n += (size_t)sprintf(t, PLAN_OK "schema: [");
	for (int i = 0; i < CFG_INPUT_MAX_NODES; i++)
		n += (size_t)sprintf(t + n, "1,");
	n += (size_t)sprintf(t + n, "1]\n");
	char msg[128];
	/* the 200001st node: 11 nodes before the list, the list, then its items
	 * (item k at column 10 + 2 (k - 1)) */
	snprintf(msg, sizeof(msg), "3:%d: more than %d YAML nodes", 10 + 2 * (CFG_INPUT_MAX_NODES - 12),
	         CFG_INPUT_MAX_NODES);
	expect(0, t, n, SW_ERR_INVALID, msg);
	free(t);
}

/* Finding 13: a second document, a NUL in a scalar. */
static void test_documents_and_nul(void **state)
{
	(void)state;
	static const char two[] = PLAN_OK "---\nclusters: []\n";
	expect(0, two, sizeof(two) - 1, SW_ERR_INVALID,
	       "3:1: a second YAML document: a plan or service config is one document");
	static const char nul[] = "clusters:\n  - {single_node: true, num_workers: 0, amount: 1, "
	                          "name: \"sno\\0evil\"}\n";
	expect(0, nul, sizeof(nul) - 1, SW_ERR_INVALID, "2:58: a NUL character in a value (byte 4 of it)");
	/* A raw NUL byte (or another control byte) in the file, at its place
	 * (libyaml itself would say 1:1). */
	static const char raw[] = PLAN_OK "base_domain: a\0b\n";
	expect(0, raw, sizeof(raw) - 1, SW_ERR_PARSE, "3:15: a control character (0x00) in the file");
	static const char esc[] = PLAN_OK "\n\nbase_domain: \x1b[31m\n";
	expect(0, esc, sizeof(esc) - 1, SW_ERR_PARSE, "5:14: a control character (0x1b) in the file");
	static const char svc[] = "service_endpoint: \"http://h\\0ost:8090\"\n" SVC_HEAD;
	expect(1, svc, sizeof(svc) - 1, SW_ERR_INVALID, "1:19: a NUL character in a value (byte 9 of it)");
}

/* Finding 13: URLs: user info, port, host; at the value's LINE:COL. */
static void test_urls(void **state)
{
	(void)state;
	static const struct {
		const char *url, *msg;
	} cases[] = {
		{"http://user:pw@127.0.0.1:8090", "user info in URL not supported; use auth keys"},
		{"https://token@example.com/", "user info in URL not supported; use auth keys"},
		{"http://127.0.0.1:0", "bad port (expected 1-65535)"},
		{"http://127.0.0.1:70000", "bad port (expected 1-65535)"},
		{"http://127.0.0.1:", "bad port (expected 1-65535)"},
		{"http://127.0.0.1:80x", "bad port (expected 1-65535)"},
		{"http://", "no host"},
		{"http://[::1:8090", "unterminated [IPv6] host"},
		{"http://ex ample.com", "bad character in host"},
		{"ftp://x", "expected an http:// or https:// URL, got 'ftp://x'"},
	};
	char text[512], msg[300];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), SVC_HEAD "service_endpoint: \"%s\"\n", cases[i].url);
		snprintf(msg, sizeof(msg), "4:19: key 'service_endpoint': %s", cases[i].msg);
		expect(1, text, strlen(text), SW_ERR_INVALID, msg);
	}
	snprintf(text, sizeof(text), SVC_HEAD "service_endpoint: http://[::1]:8090/x\n"
	         "pushgateway:\n  url: http://a@b:9091\n");
	expect(1, text, strlen(text), SW_ERR_INVALID,
	       "6:8: key 'pushgateway.url': user info in URL not supported; use auth keys");
	snprintf(text, sizeof(text), SVC_HEAD "service_endpoint: http://[::1]:8090/x\n"
	         "service_metrics:\n  url: http://h:99999/metrics\n  families: [a]\n");
	expect(1, text, strlen(text), SW_ERR_INVALID,
	       "6:8: key 'service_metrics.url': bad port (expected 1-65535)");
	snprintf(text, sizeof(text), SVC_HEAD "service_endpoint: http://[::1]:8090/x\n");
	expect(1, text, strlen(text), 0, NULL);
}

/* Finding 11: FIFOs and directories are refused, never read. */
static void test_fifo(void **state)
{
	(void)state;
	char fifo[512], dir[512], path[512], err[1200], want[1800], text[1200];
	path_of("fifo", fifo, sizeof(fifo));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	path_of("adir", dir, sizeof(dir));
	assert_int_equal(mkdir(dir, 0700), 0);

	struct swarm_plan p;
	assert_int_equal(swarm_plan_load(fifo, &p, err, sizeof(err), NULL, 0), SW_ERR_INVALID);
	snprintf(want, sizeof(want), "%s: not a regular file (a FIFO)", fifo);
	assert_string_equal(err, want);
	assert_int_equal(swarm_plan_load(dir, &p, err, sizeof(err), NULL, 0), SW_ERR_INVALID);
	snprintf(want, sizeof(want), "%s: not a regular file (a directory)", dir);
	assert_string_equal(err, want);
	struct swarm_service s;
	assert_int_equal(swarm_service_load(fifo, &s, err, sizeof(err), NULL, 0), SW_ERR_INVALID);

	static const char *const keys[] = {"pull_secret_file", "ca_file", "client_cert_file"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "service_endpoint: http://127.0.0.1:1\nrelease_image: r\n"
		         "ssh_pub_key: k\n%s: %s\n%s", keys[i], fifo,
		         i == 0 ? "" : i == 1 ? "pull_secret_file: ps.json\n"
		                              : "pull_secret_file: ps.json\nclient_key_file: ps.json\n");
		write_file("svc.yaml", text, path, sizeof(path));
		assert_int_equal(swarm_service_load(path, &s, err, sizeof(err), NULL, 0), SW_ERR_INVALID);
		snprintf(want, sizeof(want), "%s:4:%zu: key '%s': cannot read '%s': not a regular file (a FIFO)",
		         path, strlen(keys[i]) + 3, keys[i], fifo);
		assert_string_equal(err, want);
	}
	/* and a plain file of each kind loads */
	write_file("svc.yaml", "service_endpoint: http://127.0.0.1:1\nrelease_image: r\nssh_pub_key: k\n"
	           "pull_secret_file: ps.json\nca_file: ps.json\n", path, sizeof(path));
	assert_int_equal(swarm_service_load(path, &s, err, sizeof(err), NULL, 0), 0);
	swarm_service_free(&s);
}

/* Finding 12: arrival rates are bounded at load time... */
static void test_rate_bounds(void **state)
{
	(void)state;
	expect(0, PLAN_OK "arrival: {kind: rate, clusters_per_minute: 1e-9}\n",
	       strlen(PLAN_OK "arrival: {kind: rate, clusters_per_minute: 1e-9}\n"), SW_ERR_INVALID,
	       "3:44: key 'arrival.clusters_per_minute': expected a number from 0.001 to 1e+07 "
	       "(clusters per minute), got '1e-9'");
	expect(0, PLAN_OK "arrival: {kind: ramp, ramp: 1m, start_per_minute: 0.0001, clusters_per_minute: 1}\n",
	       strlen(PLAN_OK "arrival: {kind: ramp, ramp: 1m, start_per_minute: 0.0001, clusters_per_minute: 1}\n"),
	       SW_ERR_INVALID, "3:51: key 'arrival.start_per_minute': expected a number from 0.001");
	expect(0, PLAN_OK "arrival: {kind: rate, clusters_per_minute: 2e7}\n",
	       strlen(PLAN_OK "arrival: {kind: rate, clusters_per_minute: 2e7}\n"), SW_ERR_INVALID,
	       "3:44: key 'arrival.clusters_per_minute': expected a number from 0 to 1e+07");
	expect(0, PLAN_OK "arrival: {kind: ramp, ramp: 1m, start_per_minute: 0, clusters_per_minute: 0.001}\n",
	       strlen(PLAN_OK "arrival: {kind: ramp, ramp: 1m, start_per_minute: 0, clusters_per_minute: 0.001}\n"),
	       0, NULL);
}

/* ...and the schedule's arithmetic saturates whatever it is given (the
 * unbounded conversion put every cluster at +0 s, undefined behaviour). */
static void test_schedule_saturates(void **state)
{
	(void)state;
	struct swarm_shape shape = {.single_node = 1, .amount = 4};
	struct swarm_plan p;
	struct swarm_job *j = NULL;
	size_t n = 0;
	static const double rates[] = {1e-9, 1e-300, 4.9e-324};
	for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		memset(&p, 0, sizeof(p));
		p.shapes = &shape;
		p.nshapes = 1;
		p.arrival.kind = SWARM_ARRIVAL_RATE;
		p.arrival.clusters_per_minute = rates[r];
		assert_int_equal(schedule_build(&p, &j, &n), 0);
		assert_int_equal(n, 4);
		assert_int_equal(j[0].start_ns, 0);
		for (size_t i = 1; i < n; i++)
			assert_int_equal(j[i].start_ns, SCHEDULE_MAX_START_NS);
		free(j);
	}
	/* a ramp from (almost) nothing and a burst every 10^300 s */
	memset(&p, 0, sizeof(p));
	p.shapes = &shape;
	p.nshapes = 1;
	p.arrival.kind = SWARM_ARRIVAL_BURST;
	p.arrival.burst = 1;
	p.arrival.burst_interval_seconds = 1e300;
	assert_int_equal(schedule_build(&p, &j, &n), 0);
	assert_int_equal(j[3].start_ns, SCHEDULE_MAX_START_NS);
	free(j);
	/* the loader's smallest rate: one cluster per 1000 minutes */
	p.arrival.kind = SWARM_ARRIVAL_RATE;
	p.arrival.clusters_per_minute = 0.001;
	assert_int_equal(schedule_build(&p, &j, &n), 0);
	assert_int_equal(j[1].start_ns, UINT64_C(60000) * 1000000000);
	free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_too_many_nodes),
		cmocka_unit_test(test_documents_and_nul),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_rate_bounds),
		cmocka_unit_test(test_schedule_saturates),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
