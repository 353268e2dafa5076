/* Tests for the observability keys of the service config (swarm/config.c):
 * service_metrics and pushgateway, valid forms and errors naming the key. */
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
#include "sw_err.h"

static char dir[64];

static int load(const char *extra, struct swarm_service *s, char *err, size_t errlen)
{
	char path[128], secret[128];
	snprintf(secret, sizeof(secret), "%s/ps.json", dir);
	FILE *f = fopen(secret, "w");
	assert_non_null(f);
	fputs("{\"auths\": {\"x\": {\"auth\": \"dGVzdDp0ZXN0\"}}}", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/service.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "service_endpoint: http://127.0.0.1:8090\npull_secret_file: ps.json\n"
	        "release_image: r\nssh_pub_key: k\n%s", extra);
	fclose(f);
	return swarm_service_load(path, s, err, errlen, NULL, 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/swarm-test-cfgobs-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char p[128];
	snprintf(p, sizeof(p), "%s/ps.json", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/service.yaml", dir);
	unlink(p);
	return rmdir(dir);
}

static void test_valid(void **state)
{
	(void)state;
	struct swarm_service s;
	char err[512];
	int rv = load("service_metrics:\n  url: https://svc:8443/metrics\n  interval: 2s\n"
	              "  families: [go_goroutines, 'a:b_total']\npushgateway: {url: http://pgw:9091, job: load-1}\n",
	              &s, err, sizeof(err));
	if (rv)
		fail_msg("%s", err);
	assert_string_equal(s.service_metrics.url, "https://svc:8443/metrics");
	assert_int_equal(s.service_metrics.interval_ms, 2000);
	assert_int_equal(s.service_metrics.nfamilies, 2);
	assert_string_equal(s.service_metrics.families[1], "a:b_total");
	assert_string_equal(s.push_url, "http://pgw:9091");
	assert_string_equal(s.push_job, "load-1");
	swarm_service_free(&s);
	/* Defaults: no scrape, no push; interval 10 s when not given. */
	assert_int_equal(load("", &s, err, sizeof(err)), 0);
	assert_null(s.service_metrics.url);
	assert_null(s.push_url);
	swarm_service_free(&s);
	assert_int_equal(load("service_metrics: {url: 'http://a/m', families: [x]}\npushgateway: {url: 'http://p'}\n",
	                      &s, err, sizeof(err)), 0);
	assert_int_equal(s.service_metrics.interval_ms, 10000);
	assert_null(s.push_job);
	swarm_service_free(&s);
}

static void test_errors(void **state)
{
	(void)state;
	static const struct {
		const char *yaml, *msg;
	} cases[] = {
		{"service_metrics: 3\n", "key 'service_metrics': expected a mapping"},
		{"service_metrics: {families: [x]}\n", "key 'service_metrics.url': required key missing"},
		{"service_metrics: {url: ftp://a, families: [x]}\n", "key 'service_metrics.url': expected an http"},
		{"service_metrics: {url: http://a, families: []}\n", "key 'service_metrics.families': expected a non-empty list"},
		{"service_metrics: {url: http://a, families: x}\n", "key 'service_metrics.families': expected a non-empty list"},
		{"service_metrics: {url: http://a, families: [ok, 9bad]}\n", "key 'service_metrics.families[1]': expected a Prometheus metric name"},
		{"service_metrics: {url: http://a, families: [x], interval: 10ms}\n", "key 'service_metrics.interval': at least 100ms"},
		{"service_metrics: {url: http://a, families: [x], intervl: 1s}\n", "key 'service_metrics.intervl': unknown key (did you mean 'interval'?)"},
		{"service_metrics: {url: http://a, families: [a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q]}\n", "at most 16 metric names"},
		{"pushgateway: http://a\n", "key 'pushgateway': expected a mapping"},
		{"pushgateway: {job: x}\n", "key 'pushgateway.url': required key missing"},
		{"pushgateway: {url: http://a, job: 'a/b'}\n", "key 'pushgateway.job': expected 1-64 characters"},
		{"pushgateway: {url: http://a, job: ''}\n", "key 'pushgateway.job'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct swarm_service s;
		char err[512] = "";
		if (load(cases[i].yaml, &s, err, sizeof(err)) != SW_ERR_INVALID)
			fail_msg("accepted: %s", cases[i].yaml);
		if (!strstr(err, cases[i].msg))
			fail_msg("case %zu: got '%s', want '%s'", i, err, cases[i].msg);
		assert_non_null(strstr(err, "service.yaml:"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
