/* Tests for tools/assisted-emulator: emu_faults (spec parsing, precedence,
 * seeded decisions, delay distributions), emu_util durations/rates and
 * emu_cli (options, defaults, usage errors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "emu_cli.h"
#include "emu_faults.h"
#include "emu_routes.h"
#include "emu_util.h"
#include "sw_err.h"
#include "sw_http.h"

#define MS 1000000ull

/* Durations are sw_duration_parse's (tests/util); the rates and reasons here. */
static void test_parsers(void **state)
{
	(void)state;
	double p = 0;
	assert_int_equal(emu_util_parse_rate("0.05", &p), 0);
	assert_true(p == 0.05);
	assert_int_equal(emu_util_parse_rate("1", &p), 0);
	assert_int_equal(emu_util_parse_rate("0", &p), 0);
	assert_int_equal(emu_util_parse_rate("1.01", &p), SW_ERR_INVALID);
	assert_int_equal(emu_util_parse_rate("-0.1", &p), SW_ERR_INVALID);
	assert_int_equal(emu_util_parse_rate("0.1x", &p), SW_ERR_INVALID);
	assert_int_equal(emu_util_parse_rate("", &p), SW_ERR_INVALID);
	assert_string_equal(sw_http_reason(503), "Service Unavailable");
	assert_string_equal(sw_http_reason(599), "Server Error");
}

static void test_specs(void **state)
{
	(void)state;
	char err[256];
	struct emu_faults *f = emu_faults_new(1);
	assert_int_equal(emu_faults_any(f), 0);
	static const char *const bad_err[] = {"v2GetNextSteps", "v2GetNextSteps:0.1",
		"v2GetNextSteps:0.1:200", "v2GetNextSteps:0.1:600", "v2GetNextSteps:2:503",
		"v2GetNextSteps:0.1:503:1", "nosuchop:0.1:503", ":0.1:503", "v2GetNextSteps:0.1:5x3",
		NULL};
	for (size_t i = 0; bad_err[i]; i++) {
		err[0] = '\0';
		assert_int_equal(emu_faults_add_error(f, bad_err[i], err, sizeof(err)), SW_ERR_INVALID);
		assert_true(strlen(err) > 0);
	}
	assert_int_equal(emu_faults_add_error(f, "nosuchop:0.1:503", err, sizeof(err)), SW_ERR_INVALID);
	assert_non_null(strstr(err, "nosuchop"));
	static const char *const bad_lat[] = {"*:fixed", "*:fixed:abc", "*:uniform:10ms",
		"*:uniform:100ms:10ms", "*:lognormal:0ms:1", "*:lognormal:10ms:-1",
		"*:lognormal:10ms:x", "*:fixed:601s", "*:gauss:1ms:1", "x:fixed:1ms", NULL};
	for (size_t i = 0; bad_lat[i]; i++)
		assert_int_equal(emu_faults_add_latency(f, bad_lat[i], err, sizeof(err)), SW_ERR_INVALID);
	static const char *const bad_reset[] = {"*", "*:", "*:1.5", "*:0.1:2", NULL};
	for (size_t i = 0; bad_reset[i]; i++)
		assert_int_equal(emu_faults_add_reset(f, bad_reset[i], err, sizeof(err)), SW_ERR_INVALID);
	char longspec[400];
	memset(longspec, 'a', sizeof(longspec) - 1);
	longspec[sizeof(longspec) - 1] = '\0';
	assert_int_equal(emu_faults_add_reset(f, longspec, err, sizeof(err)), SW_ERR_INVALID);
	assert_int_equal(emu_faults_any(f), 0);
	assert_int_equal(emu_faults_add_latency(f, "*:uniform:10ms:100ms", err, sizeof(err)), 0);
	assert_int_equal(emu_faults_add_latency(f, "v2GetNextSteps:lognormal:20ms:0.5", err,
	                                        sizeof(err)), 0);
	assert_int_equal(emu_faults_add_error(f, "*:0.5:500", err, sizeof(err)), 0);
	assert_int_equal(emu_faults_add_reset(f, "v2RegisterHost:0", err, sizeof(err)), 0);
	assert_int_equal(emu_faults_any(f), 1);
	emu_faults_free(&f);
	assert_null(f);
	emu_faults_free(&f);
}

static void test_no_rules(void **state)
{
	(void)state;
	struct emu_faults *f = emu_faults_new(7);
	struct emu_fault_decision d = {1, 503, 5};
	emu_faults_decide(f, 3, &d);
	assert_int_equal(d.reset, 0);
	assert_int_equal(d.error_status, 0);
	assert_int_equal(d.delay_ns, 0);
	emu_faults_decide(NULL, 3, &d);
	assert_int_equal(d.error_status, 0);
	emu_faults_free(&f);
}

/* Specific rules override "*" whatever the order; rate 1 and 0 are exact. */
static void test_precedence(void **state)
{
	(void)state;
	char err[256];
	int steps = emu_routes_find("v2GetNextSteps");
	int reg = emu_routes_find("v2RegisterHost");
	int reply = emu_routes_find("v2PostStepReply");
	struct emu_faults *f = emu_faults_new(42);
	assert_int_equal(emu_faults_add_error(f, "v2GetNextSteps:1:503", err, sizeof(err)), 0);
	assert_int_equal(emu_faults_add_error(f, "*:1:500", err, sizeof(err)), 0);
	assert_int_equal(emu_faults_add_error(f, "v2RegisterHost:0:409", err, sizeof(err)), 0);
	assert_int_equal(emu_faults_add_latency(f, "*:fixed:5ms", err, sizeof(err)), 0);
	assert_int_equal(emu_faults_add_latency(f, "v2PostStepReply:fixed:0", err, sizeof(err)), 0);
	assert_int_equal(emu_faults_add_reset(f, "v2PostStepReply:1", err, sizeof(err)), 0);
	struct emu_fault_decision d;
	for (int i = 0; i < 100; i++) {
		emu_faults_decide(f, steps, &d);
		assert_int_equal(d.error_status, 503);
		assert_int_equal(d.reset, 0);
		assert_int_equal(d.delay_ns, 5 * MS);
		emu_faults_decide(f, reg, &d);
		assert_int_equal(d.error_status, 0);
		emu_faults_decide(f, reply, &d);
		assert_int_equal(d.reset, 1);            /* reset wins over the "*" error */
		assert_int_equal(d.error_status, 0);
		assert_int_equal(d.delay_ns, 0);
		emu_faults_decide(f, -1, &d);            /* unrouted paths get "*" rules */
		assert_int_equal(d.error_status, 500);
		emu_faults_decide(f, 100000, &d);
		assert_int_equal(d.error_status, 500);
	}
	/* a later specific rule replaces the earlier one */
	assert_int_equal(emu_faults_add_error(f, "v2GetNextSteps:1:502", err, sizeof(err)), 0);
	emu_faults_decide(f, steps, &d);
	assert_int_equal(d.error_status, 502);
	/* a later "*" does not override specific rules */
	assert_int_equal(emu_faults_add_error(f, "*:1:504", err, sizeof(err)), 0);
	emu_faults_decide(f, steps, &d);
	assert_int_equal(d.error_status, 502);
	emu_faults_decide(f, -1, &d);
	assert_int_equal(d.error_status, 504);
	emu_faults_free(&f);
}

/* Same seed, same decisions; the observed rate is near the configured one. */
static void test_seeded(void **state)
{
	(void)state;
	char err[256];
	int steps = emu_routes_find("v2GetNextSteps");
	struct emu_faults *a = emu_faults_new(1234), *b = emu_faults_new(1234),
	                  *c = emu_faults_new(1235);
	struct emu_faults *all[] = {a, b, c};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(emu_faults_add_error(all[i], "v2GetNextSteps:0.05:503", err,
		                                      sizeof(err)), 0);
		assert_int_equal(emu_faults_add_latency(all[i], "*:uniform:1ms:3ms", err, sizeof(err)), 0);
	}
	int errors = 0, differ = 0;
	const int n = 100000;
	for (int i = 0; i < n; i++) {
		struct emu_fault_decision da, db, dc;
		emu_faults_decide(a, steps, &da);
		emu_faults_decide(b, steps, &db);
		emu_faults_decide(c, steps, &dc);
		assert_int_equal(da.error_status, db.error_status);
		assert_int_equal(da.delay_ns, db.delay_ns);
		assert_true(da.delay_ns >= 1 * MS && da.delay_ns <= 3 * MS);
		errors += da.error_status == 503;
		differ += da.delay_ns != dc.delay_ns;
	}
	/* 5 % of 100000 = 5000, sd ~ 69: 10 sd of slack */
	assert_in_range(errors, 4300, 5700);
	assert_true(differ > n / 2);
	emu_faults_free(&a);
	emu_faults_free(&b);
	emu_faults_free(&c);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static void test_distributions(void **state)
{
	(void)state;
	struct emu_faults *f = emu_faults_new(99);
	enum { N = 20001 };
	uint64_t *v = malloc(N * sizeof(*v));
	assert_non_null(v);
	/* log-normal: the median is the configured one, the tail is long */
	for (int i = 0; i < N; i++)
		v[i] = emu_faults_draw_delay(f, 2, 20.0 * MS, 1.0);
	qsort(v, N, sizeof(*v), cmp_u64);
	assert_in_range(v[N / 2], 18 * MS, 22 * MS);
	assert_true(v[(int)(N * 0.99)] > 150 * MS); /* e^(2.33) * 20 ms ~ 205 ms */
	/* sigma 0 is the median every time */
	assert_int_equal(emu_faults_draw_delay(f, 2, 20.0 * MS, 0.0), 20 * MS);
	/* uniform stays inside, fixed is fixed, the cap holds */
	for (int i = 0; i < 1000; i++) {
		uint64_t d = emu_faults_draw_delay(f, 1, 10.0 * MS, 20.0 * MS);
		assert_true(d >= 10 * MS && d <= 20 * MS);
	}
	assert_int_equal(emu_faults_draw_delay(f, 0, 7.0 * MS, 0), 7 * MS);
	assert_int_equal(emu_faults_draw_delay(f, 2, 500e9, 10.0) <= EMU_FAULT_MAX_DELAY_NS, 1);
	for (int i = 0; i < 1000; i++) {
		double u = emu_faults_uniform(f);
		assert_true(u >= 0.0 && u < 1.0);
	}
	free(v);
	emu_faults_free(&f);
	assert_string_equal(emu_fault_kind_name(EMU_FAULT_GOAWAY), "goaway");
	assert_string_equal(emu_fault_kind_name(EMU_FAULT_KIND_COUNT), "unknown");
}

/* ---- CLI -------------------------------------------------------------------------------- */

static int parse(struct emu_opts *o, char *err, size_t errlen, ...)
{
	char *argv[64];
	int argc = 0;
	argv[argc++] = "assisted-emulator";
	va_list ap;
	va_start(ap, errlen);
	for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	FILE *out = fopen("/dev/null", "w");
	int rc = emu_cli_parse(argc, argv, o, out, err, errlen);
	fclose(out);
	return rc;
}

static void test_cli_defaults(void **state)
{
	(void)state;
	struct emu_opts o;
	char err[256];
	assert_int_equal(parse(&o, err, sizeof(err), NULL), EMU_CLI_RUN);
	assert_string_equal(o.listen, "127.0.0.1:8090");
	assert_int_equal(o.auth, EMU_AUTH_NONE);
	assert_true(o.time_scale == 1.0);
	assert_int_equal(o.api, EMU_API_CURRENT);
	assert_int_equal(o.seed, 1);
	assert_null(o.tls_cert);
	assert_null(o.record);
	assert_non_null(o.faults);
	assert_int_equal(emu_faults_any(o.faults), 0);
	emu_cli_free(&o);
	assert_null(o.faults);
	emu_cli_free(&o);
	emu_cli_free(NULL);
}

static void test_cli_full(void **state)
{
	(void)state;
	struct emu_opts o;
	char err[256];
	int rc = parse(&o, err, sizeof(err), "--listen", "[::1]:0", "--tls-cert", "c.pem",
	               "--tls-key", "k.pem", "--auth", "local", "--local-allow-user-token", "t",
	               "--local-strict-scope", "--time-scale", "60", "--api-generation", "2023",
	               "--agent-image", "img:1", "--seed", "77", "--check-cluster-version",
	               "--record", "/tmp/x.jsonl", "--quiet", "--fault-error",
	               "v2GetNextSteps:0.05:503", "--fault-error=*:0.01:500", "--fault-latency",
	               "*:lognormal:5ms:1", "--fault-reset", "v2PostStepReply:0.01",
	               "--goaway-after", "1000", "--restart-every", "30s", "--h2-max-streams", "100",
	               "--idle-timeout", "5s", "--enable-single-node-dnsmasq", "--release-tag", "v9",
	               "--image-service-base", "https://img", NULL);
	assert_int_equal(rc, EMU_CLI_RUN);
	assert_string_equal(o.listen, "[::1]:0");
	assert_string_equal(o.tls_cert, "c.pem");
	assert_string_equal(o.tls_key, "k.pem");
	assert_int_equal(o.auth, EMU_AUTH_LOCAL);
	assert_string_equal(o.local_user_token, "t");
	assert_int_equal(o.local_strict_scope, 1);
	assert_true(o.time_scale == 60.0);
	assert_int_equal(o.api, EMU_API_2023);
	assert_string_equal(o.agent_image, "img:1");
	assert_int_equal(o.seed, 77);
	assert_int_equal(o.check_cluster_version, 1);
	assert_int_equal(o.single_node_dnsmasq, 1);
	assert_string_equal(o.record, "/tmp/x.jsonl");
	assert_int_equal(o.quiet, 1);
	assert_int_equal(o.goaway_after, 1000);
	assert_int_equal(o.restart_every_ns, 30000 * MS);
	assert_int_equal(o.h2_max_streams, 100);
	assert_int_equal(o.idle_timeout_ms, 5000);
	assert_string_equal(o.release_tag, "v9");
	assert_string_equal(o.image_service_base, "https://img");
	assert_int_equal(emu_faults_any(o.faults), 1);
	struct emu_fault_decision d;
	int reply = emu_routes_find("v2PostStepReply");
	emu_faults_decide(o.faults, reply, &d);
	assert_true(d.delay_ns > 0);
	emu_cli_free(&o);

	rc = parse(&o, err, sizeof(err), "--auth", "token", "--pull-secret-token", "p",
	           "--user-token", "u", NULL);
	assert_int_equal(rc, EMU_CLI_RUN);
	assert_int_equal(o.auth, EMU_AUTH_TOKEN);
	assert_string_equal(o.pull_secret_token, "p");
	assert_string_equal(o.user_token, "u");
	emu_cli_free(&o);

	/* The service's own name of that mode. */
	rc = parse(&o, err, sizeof(err), "--auth", "rhsso", "--pull-secret-token", "p", NULL);
	assert_int_equal(rc, EMU_CLI_RUN);
	assert_int_equal(o.auth, EMU_AUTH_TOKEN);
	emu_cli_free(&o);
}

static void test_cli_errors(void **state)
{
	(void)state;
	struct emu_opts o;
	char err[256];
	struct { const char *a[4]; const char *needle; } cases[] = {
		{{"--auth", "sso"}, "--auth"},
		{{"--auth", "token"}, "--pull-secret-token"},
		{{"--auth", "rhsso"}, "--pull-secret-token"},
		{{"--tls-cert", "c.pem"}, "--tls-key"},
		{{"--time-scale", "0.5"}, "--time-scale"},
		{{"--time-scale", "x"}, "--time-scale"},
		{{"--api-generation", "2019"}, "--api-generation"},
		{{"--seed", "-1"}, "--seed"},
		{{"--goaway-after", "x"}, "--goaway-after"},
		{{"--restart-every", "0"}, "--restart-every"},
		{{"--restart-every", "30"}, "--restart-every"},  /* a bare number: unit required */
		{{"--fault-latency", "*:fixed:200"}, "--fault-latency"},
		{{"--h2-max-streams", "0"}, "--h2-max-streams"},
		{{"--idle-timeout", "1us"}, "--idle-timeout"},
		{{"--fault-error", "bogus"}, "--fault-error"},
		{{"--fault-latency", "*:fixed"}, "--fault-latency"},
		{{"--fault-reset", "nosuch:0.1"}, "nosuch"},
		{{"--local-allow-user-token", "t"}, "local"},
		{{"--user-token", "t"}, "rhsso"},
		{{"--no-such-option"}, "--no-such-option"},
		{{"-x"}, "-x"},
		{{"stray"}, "stray"},
		{{"--listen"}, "--listen"},
		{{"--listen", ""}, "--listen"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		int rc = parse(&o, err, sizeof(err), cases[i].a[0], cases[i].a[1], cases[i].a[2], NULL);
		if (rc != EMU_CLI_USAGE || !strstr(err, cases[i].needle))
			fail_msg("case %zu (%s): rc %d err '%s'", i, cases[i].a[0], rc, err);
		emu_cli_free(&o);
	}
	/* --help and --version print and stop */
	assert_int_equal(parse(&o, err, sizeof(err), "--help", NULL), EMU_CLI_DONE);
	emu_cli_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "--version", NULL), EMU_CLI_DONE);
	emu_cli_free(&o);
	/* too many fault options */
	char *argv[200];
	int argc = 0;
	argv[argc++] = "assisted-emulator";
	for (int i = 0; i < 65; i++) {
		argv[argc++] = "--fault-reset";
		argv[argc++] = "*:0.1";
	}
	argv[argc] = NULL;
	assert_int_equal(emu_cli_parse(argc, argv, &o, stdout, err, sizeof(err)), EMU_CLI_USAGE);
	emu_cli_free(&o);
}

/* Limits, the state directory and its fsync policy. */
static void test_cli_limits_state(void **state)
{
	(void)state;
	struct emu_opts o;
	char err[256];
	assert_int_equal(parse(&o, err, sizeof(err), "--header-timeout", "2s", "--body-timeout", "10s",
	                       "--max-connections", "5", "--max-body-total", "8MiB", "--state-dir",
	                       "/tmp/sd", "--fsync", "always", "--fsync-interval", "50ms",
	                       "--journal-max", "1MiB", NULL), EMU_CLI_RUN);
	assert_int_equal(o.header_timeout_ms, 2000);
	assert_int_equal(o.body_timeout_ms, 10000);
	assert_int_equal(o.max_conns, 5);
	assert_int_equal(o.max_body_total, 8u << 20);
	assert_string_equal(o.state_dir, "/tmp/sd");
	assert_int_equal(o.fsync, EMU_FSYNC_ALWAYS);
	assert_int_equal(o.fsync_interval_ns, 50000000u);
	assert_int_equal(o.journal_max, 1u << 20);
	emu_cli_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "--max-body-total", "2GB", NULL), EMU_CLI_RUN);
	assert_int_equal(o.max_body_total, 2000000000u);
	emu_cli_free(&o);
	static const char *const bad[][2] = {
		{"--fsync", "sometimes"}, {"--max-body-total", "100"}, {"--max-body-total", "1.5GiB"},
		{"--max-connections", "0"}, {"--header-timeout", "0"}, {"--body-timeout", "x"},
		{"--journal-max", "-1"}, {"--state-dir", ""},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(&o, err, sizeof(err), bad[i][0], bad[i][1], NULL), EMU_CLI_USAGE);
		assert_non_null(strstr(err, bad[i][0]));
		emu_cli_free(&o);
	}
	/* the journal options need a journal */
	assert_int_equal(parse(&o, err, sizeof(err), "--fsync", "never", NULL), EMU_CLI_USAGE);
	assert_non_null(strstr(err, "--state-dir"));
	emu_cli_free(&o);
}

/* Secrets from files and the environment. */
static void test_cli_secrets(void **state)
{
	(void)state;
	struct emu_opts o;
	char err[256], dir[] = "/tmp/emu_cli_XXXXXX", f[128], fifo[128], ctl[128];
	assert_non_null(mkdtemp(dir));
	snprintf(f, sizeof(f), "%s/token", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(ctl, sizeof(ctl), "%s/ctl", dir);
	FILE *fp = fopen(f, "w");
	fputs("tok-from-file\r\nsecond line\n", fp);
	fclose(fp);
	fp = fopen(ctl, "w");
	fputs("bad\x01token\n", fp);
	fclose(fp);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(parse(&o, err, sizeof(err), "--auth", "token", "--pull-secret-token-file", f,
	                       "--user-token-file", f, NULL), EMU_CLI_RUN);
	assert_string_equal(o.pull_secret_token, "tok-from-file");
	assert_string_equal(o.user_token, "tok-from-file");
	emu_cli_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "--auth", "token", "--pull-secret-token", "x",
	                       "--pull-secret-token-file", f, NULL), EMU_CLI_USAGE);
	assert_non_null(strstr(err, "exclude each other"));
	emu_cli_free(&o);
	/* a FIFO would block the start: refused */
	assert_int_equal(parse(&o, err, sizeof(err), "--auth", "token", "--pull-secret-token-file",
	                       fifo, NULL), EMU_CLI_USAGE);
	assert_non_null(strstr(err, "not a regular file"));
	emu_cli_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "--auth", "token", "--pull-secret-token-file",
	                       ctl, NULL), EMU_CLI_USAGE);
	assert_non_null(strstr(err, "control character"));
	emu_cli_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "--auth", "token", "--pull-secret-token-file",
	                       "/nonexistent/t", NULL), EMU_CLI_USAGE);
	emu_cli_free(&o);
	/* the environment, for the modes that use it */
	setenv(EMU_ENV_PULL_SECRET_TOKEN, "tok-from-env", 1);
	setenv(EMU_ENV_USER_TOKEN, "user-from-env", 1);
	assert_int_equal(parse(&o, err, sizeof(err), "--auth", "token", NULL), EMU_CLI_RUN);
	assert_string_equal(o.pull_secret_token, "tok-from-env");
	assert_string_equal(o.user_token, "user-from-env");
	emu_cli_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), NULL), EMU_CLI_RUN); /* mode none: ignored */
	assert_null(o.user_token);
	emu_cli_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "--auth", "token", "--pull-secret-token", "cli",
	                       NULL), EMU_CLI_RUN);
	assert_string_equal(o.pull_secret_token, "cli"); /* the command line wins */
	emu_cli_free(&o);
	unsetenv(EMU_ENV_PULL_SECRET_TOKEN);
	unsetenv(EMU_ENV_USER_TOKEN);
	unlink(f);
	unlink(fifo);
	unlink(ctl);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_specs),
		cmocka_unit_test(test_no_rules),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_seeded),
		cmocka_unit_test(test_distributions),
		cmocka_unit_test(test_cli_defaults),
		cmocka_unit_test(test_cli_full),
		cmocka_unit_test(test_cli_errors),
		cmocka_unit_test(test_cli_limits_state),
		cmocka_unit_test(test_cli_secrets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
