/* Tests for swarm/config.c: the original example files, the scenarios, and a
 * table of bad inputs with their exact messages. */
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

static char tmpdir[256];

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

static void write_file(const char *name, const char *text, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/swarm-test-config-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_original_plan(void **state)
{
	(void)state;
	char path[512], err[512], warn[1024];
	struct swarm_plan p;
	snprintf(path, sizeof(path), "%s/reference/assisted-swarm-examples/testplan.example.yaml",
	         env_or("SWARM_SHARED_DIR", "/work/shared"));
	int rv = swarm_plan_load(path, &p, err, sizeof(err), warn, sizeof(warn));
	if (rv)
		fail_msg("%s", err);
	assert_int_equal(p.nshapes, 4);
	assert_int_equal(p.shuffle, 1);
	assert_true(p.shapes[0].single_node);
	assert_int_equal(p.shapes[0].amount, 2);
	assert_int_equal(swarm_shape_hosts(&p.shapes[0]), 1);
	assert_int_equal(swarm_shape_hosts(&p.shapes[1]), 6);
	assert_int_equal(swarm_shape_hosts(&p.shapes[2]), 13);
	assert_int_equal(p.shapes[2].nlabels, 1);
	assert_string_equal(p.shapes[2].labels[0].key,
	                    "agentclusterinstalls.extensions.hive.openshift.io/location");
	assert_string_equal(p.shapes[2].labels[0].value, "Sun");
	assert_true(p.shapes[3].just_infraenv);
	assert_true(p.shapes[3].with_nmstate);
	assert_string_equal(p.shapes[3].labels[0].value, "Moon");
	/* Defaults. */
	assert_int_equal(p.mode, SWARM_MODE_REST);
	assert_string_equal(p.openshift_version, "4.16");
	assert_string_equal(p.base_domain, "swarm.example.com");
	assert_string_equal(p.cpu_architecture, "x86_64");
	assert_int_equal(p.seed, 1);
	assert_int_equal(p.arrival.kind, SWARM_ARRIVAL_ASAP);
	assert_int_equal(p.timings.installer_stage_ms, 5000);
	assert_int_equal(p.timings.write_image_ms, 52000);
	assert_true(p.timings.time_scale == 1.0);
	/* The misspelt key is accepted with a warning naming file:line. */
	char expect[600];
	snprintf(expect, sizeof(expect), "%s:17:5: warning: key 'clusters[2].infranev_labels'", path);
	assert_non_null(strstr(warn, expect));
	snprintf(expect, sizeof(expect), "%s:25:5: warning: key 'clusters[3].infranev_labels'", path);
	assert_non_null(strstr(warn, expect));
	swarm_plan_free(&p);
	swarm_plan_free(&p); /* idempotent */
	swarm_plan_free(NULL);
}

static void test_original_service(void **state)
{
	(void)state;
	char path[512], err[512], expect[700];
	struct swarm_service s;
	snprintf(path, sizeof(path), "%s/reference/assisted-swarm-examples/service_config.example.yaml",
	         env_or("SWARM_SHARED_DIR", "/work/shared"));
	/* Every key is accepted; only the author's pull secret file is missing here. */
	int rv = swarm_service_load(path, &s, err, sizeof(err), NULL, 0);
	assert_int_equal(rv, SW_ERR_INVALID);
	snprintf(expect, sizeof(expect),
	         "%s:8:19: key 'pull_secret_file': cannot read '/home/omer/omer-ps': No such file or directory",
	         path);
	assert_string_equal(err, expect);
	assert_null(s.endpoint);
}

static void test_service_ok(void **state)
{
	(void)state;
	char ps[512], path[512], err[512];
	write_file("ps.json", "{ \"auths\": { \"quay.io\": { \"auth\": \"eDp5\" } } }\n", ps, sizeof(ps));
	write_file("svc.yaml",
	           "service_endpoint: http://127.0.0.1:8090\n"
	           "pull_secret_file: ps.json\n"
	           "release_image: quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64\n"
	           "ssh_pub_key: ssh-ed25519 AAAA swarm@swarm\n"
	           "auth: token\n"
	           "user_token: abc\n"
	           "http: h2\n"
	           "connections: dedicated\n"
	           "max_connections: 16\n"
	           "api_generation: '2023'\n"
	           "insecure_skip_verify: yes\n"
	           "ca_file: /etc/ca.pem\n",
	           path, sizeof(path));
	struct swarm_service s;
	int rv = swarm_service_load(path, &s, err, sizeof(err), NULL, 0);
	if (rv)
		fail_msg("%s", err);
	assert_string_equal(s.pull_secret, "{\"auths\":{\"quay.io\":{\"auth\":\"eDp5\"}}}");
	assert_string_equal(s.pull_secret_file, ps); /* resolved against the config's directory */
	assert_int_equal(s.auth, SWARM_AUTH_TOKEN);
	assert_string_equal(s.user_token, "abc");
	assert_int_equal(s.proto, SW_PROTO_H2);
	assert_int_equal(s.policy, SWARM_CONN_DEDICATED);
	assert_int_equal(s.max_conns, 16);
	assert_string_equal(s.api_generation, "2023");
	assert_int_equal(s.insecure, 1);
	assert_string_equal(s.ca_file, "/etc/ca.pem");
	swarm_service_free(&s);
	swarm_service_free(&s);
}

static void test_plan_extensions(void **state)
{
	(void)state;
	char path[512], err[512];
	write_file("ext.yaml",
	           "clusters:\n"
	           "  - {single_node: false, num_workers: 2, amount: 3, control_plane: 5, name: big,\n"
	           "     openshift_version: '4.17'}\n"
	           "mode: rest\n"
	           "openshift_version: '4.15'\n"
	           "seed: 42\n"
	           "cleanup: true\n"
	           "max_duration: 1h30m\n"
	           "arrival: {kind: ramp, clusters_per_minute: 60, start_per_minute: 6, ramp: 5m, poisson: true}\n"
	           "timings:\n"
	           "  installer_stage: 250ms\n"
	           "  write_image: 2s\n"
	           "  write_image_step_pct: 10\n"
	           "  worker_poll: 1s\n"
	           "  controller_poll: 3s\n"
	           "  cluster_poll: 1.5s\n"
	           "  jitter: 0.2\n"
	           "  time_scale: 60\n",
	           path, sizeof(path));
	struct swarm_plan p;
	int rv = swarm_plan_load(path, &p, err, sizeof(err), NULL, 0);
	if (rv)
		fail_msg("%s", err);
	assert_int_equal(p.shapes[0].control_plane, 5);
	assert_int_equal(swarm_shape_hosts(&p.shapes[0]), 7);
	assert_string_equal(p.shapes[0].name_prefix, "big");
	assert_string_equal(p.shapes[0].openshift_version, "4.17");
	assert_string_equal(p.openshift_version, "4.15");
	assert_int_equal(p.seed, 42);
	assert_int_equal(p.seed_set, 1);
	assert_int_equal(p.cleanup, 1);
	assert_int_equal(p.max_duration_s, 5400);
	assert_int_equal(p.arrival.kind, SWARM_ARRIVAL_RAMP);
	assert_true(p.arrival.clusters_per_minute == 60.0);
	assert_true(p.arrival.start_per_minute == 6.0);
	assert_true(p.arrival.ramp_seconds == 300.0);
	assert_int_equal(p.arrival.poisson, 1);
	assert_int_equal(p.timings.installer_stage_ms, 250);
	assert_int_equal(p.timings.write_image_ms, 2000);
	assert_int_equal(p.timings.write_image_step_pct, 10);
	assert_int_equal(p.timings.cluster_poll_ms, 1500);
	assert_true(p.timings.jitter == 0.2);
	assert_true(p.timings.time_scale == 60.0);
	swarm_plan_free(&p);
}

struct bad_case {
	const char *name;
	int service;          /* 1: service config */
	const char *text;
	int rv;
	const char *msg;      /* expected message after "PATH:" */
};

#define SVC_HEAD "service_endpoint: http://127.0.0.1:8090\nrelease_image: r\nssh_pub_key: k\n"

static const struct bad_case bad_cases[] = {
	{"syntax", 0, "clusters:\n  - single_node: true\n   amount: [1\n", SW_ERR_PARSE,
	 "3:4: YAML syntax error: did not find expected '-' indicator"},
	{"unknown_key", 0, "clusters:\n  - single_node: true\n    num_workers: 0\n    amout: 1\n",
	 SW_ERR_INVALID, "4:5: key 'clusters[0].amout': unknown key (did you mean 'amount'?)"},
	{"unknown_top", 0, "clusters: []\nfoo: 1\n", SW_ERR_INVALID, "2:1: key 'foo': unknown key"},
	{"wrong_type_int", 0,
	 "clusters:\n  - single_node: true\n    num_workers: 0\n    amount: 1\n"
	 "  - single_node: true\n    num_workers: 0\n    amount: 1\n"
	 "  - single_node: true\n    num_workers: 0\n    amount: x\n",
	 SW_ERR_INVALID, "10:13: key 'clusters[2].amount': expected an integer, got 'x'"},
	{"wrong_type_bool", 0, "clusters:\n  - single_node: maybe\n    num_workers: 0\n    amount: 1\n",
	 SW_ERR_INVALID, "2:18: key 'clusters[0].single_node': expected a boolean (true/false), got 'maybe'"},
	{"clusters_not_list", 0, "clusters: 3\n", SW_ERR_INVALID,
	 "1:11: key 'clusters': expected a list of cluster shapes, got '3'"},
	{"missing_clusters", 0, "shuffle: true\n", SW_ERR_INVALID, "1:1: key 'clusters': required key missing"},
	{"missing_amount", 0, "clusters:\n  - single_node: true\n    num_workers: 0\n", SW_ERR_INVALID,
	 "2:5: key 'clusters[0].amount': required key missing"},
	{"sno_workers", 0, "clusters:\n  - single_node: true\n    num_workers: 2\n    amount: 1\n",
	 SW_ERR_INVALID, "3:18: key 'clusters[0].num_workers': must be 0 for single_node clusters, got 2"},
	{"negative_amount", 0, "clusters:\n  - single_node: false\n    num_workers: 0\n    amount: -1\n",
	 SW_ERR_INVALID, "4:13: key 'clusters[0].amount': expected a non-negative integer, got '-1'"},
	{"too_many_hosts", 0, "clusters:\n  - single_node: false\n    num_workers: 65530\n    amount: 1\n",
	 SW_ERR_INVALID, "3:18: key 'clusters[0].num_workers': 65533 hosts per cluster is over the limit of 65532"},
	{"control_plane", 0, "clusters:\n  - {single_node: false, num_workers: 0, amount: 1, control_plane: 2}\n",
	 SW_ERR_INVALID, "2:68: key 'clusters[0].control_plane': expected an integer from 3 to 5, got 2"},
	{"bad_duration", 0, "clusters: []\ntimings:\n  installer_stage: 5 seconds\n", SW_ERR_INVALID,
	 "3:20: key 'timings.installer_stage': expected a duration like '250ms', '30s', '5m' or '1h30m', got '5 seconds'"},
	{"bad_max_duration", 0, "clusters: []\nmax_duration: 10\n", SW_ERR_INVALID,
	 "2:15: key 'max_duration': expected a duration like '250ms', '30s', '5m' or '1h30m', got '10'"},
	{"bad_arrival_kind", 0, "clusters: []\narrival:\n  kind: fast\n", SW_ERR_INVALID,
	 "3:9: key 'arrival.kind': expected one of asap, rate, ramp, burst, got 'fast'"},
	{"rate_without_cpm", 0, "clusters: []\narrival:\n  kind: rate\n", SW_ERR_INVALID,
	 "3:3: key 'arrival.clusters_per_minute': required (> 0) for kind 'rate'"},
	{"jitter_range", 0, "clusters: []\ntimings: {jitter: 2}\n", SW_ERR_INVALID,
	 "2:19: key 'timings.jitter': expected a number from 0 to 1, got '2'"},
	{"dup_key", 0, "clusters: []\nshuffle: true\nshuffle: false\n", SW_ERR_INVALID,
	 "3:1: key 'shuffle': duplicate key"},
	{"not_mapping", 0, "- a\n- b\n", SW_ERR_INVALID, "1:1: expected a mapping at the top level"},
	{"empty", 0, "", SW_ERR_INVALID, "1:1: the file is empty (expected a mapping)"},
	{"both_labels", 0,
	 "clusters:\n  - {single_node: true, num_workers: 0, amount: 1, infraenv_labels: {a: b}, infranev_labels: {a: b}}\n",
	 SW_ERR_INVALID, "2:77: key 'clusters[0].infranev_labels': both infraenv_labels and its misspelling are set"},
	{"bad_name", 0, "clusters:\n  - {single_node: true, num_workers: 0, amount: 1, name: Big_One}\n",
	 SW_ERR_INVALID, "2:58: key 'clusters[0].name': expected a lower-case DNS label prefix"},
	{"svc_missing_endpoint", 1, "pull_secret_file: ps.json\nrelease_image: r\nssh_pub_key: k\n",
	 SW_ERR_INVALID, "1:1: key 'service_endpoint': required key missing"},
	{"svc_missing_ssh", 1, "service_endpoint: http://x\npull_secret_file: ps.json\nrelease_image: r\n",
	 SW_ERR_INVALID, "1:1: key 'ssh_pub_key': required key missing"},
	{"svc_missing_secret_file", 1, SVC_HEAD "pull_secret_file: nothere.json\n", SW_ERR_INVALID,
	 "4:19: key 'pull_secret_file': cannot read '"},
	{"svc_secret_not_json", 1, SVC_HEAD "pull_secret_file: notjson.txt\n", SW_ERR_INVALID,
	 "4:19: key 'pull_secret_file': '"},
	{"svc_secret_no_auths", 1, SVC_HEAD "pull_secret_file: noauths.json\n", SW_ERR_INVALID,
	 "4:19: key 'pull_secret_file': '"},
	{"svc_bad_http", 1, SVC_HEAD "pull_secret_file: ps.json\nhttp: h3\n", SW_ERR_INVALID,
	 "5:7: key 'http': expected one of auto, h2, http1.1, got 'h3'"},
	{"svc_token_without_user_token", 1, SVC_HEAD "pull_secret_file: ps.json\nauth: token\n",
	 SW_ERR_INVALID, "5:7: key 'user_token': required when auth is 'token'"},
	{"svc_bad_endpoint", 1, "service_endpoint: ftp://x\nrelease_image: r\nssh_pub_key: k\npull_secret_file: ps.json\n",
	 SW_ERR_INVALID, "1:19: key 'service_endpoint': expected an http:// or https:// URL, got 'ftp://x'"},
	{"svc_typo", 1, SVC_HEAD "pull_secret_file: ps.json\nservice_endpiont: x\n", SW_ERR_INVALID,
	 "5:1: key 'service_endpiont': unknown key (did you mean 'service_endpoint'?)"},
};

static void test_bad_inputs(void **state)
{
	(void)state;
	char aux[512];
	write_file("ps.json", "{\"auths\":{}}", aux, sizeof(aux));
	write_file("notjson.txt", "auths: yes", aux, sizeof(aux));
	write_file("noauths.json", "{\"x\": 1}", aux, sizeof(aux));
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(*bad_cases); i++) {
		const struct bad_case *bc = &bad_cases[i];
		char path[512], name[128], err[512], expect[700];
		snprintf(name, sizeof(name), "%s.yaml", bc->name);
		write_file(name, bc->text, path, sizeof(path));
		int rv;
		if (bc->service) {
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
		snprintf(expect, sizeof(expect), "%s:%s", path, bc->msg);
		if (rv != bc->rv || strncmp(err, expect, strlen(expect)) != 0)
			fail_msg("case %s: rv %d (want %d)\n got: %s\nwant: %s...", bc->name, rv, bc->rv,
			         err, expect);
	}
}

static void test_missing_file(void **state)
{
	(void)state;
	char err[512];
	struct swarm_plan p;
	assert_int_equal(swarm_plan_load("/nonexistent/plan.yaml", &p, err, sizeof(err), NULL, 0),
	                 SW_ERR_INVALID);
	assert_string_equal(err, "/nonexistent/plan.yaml: cannot open: No such file or directory");
	/* NULL message buffers are allowed. */
	assert_int_equal(swarm_plan_load("/nonexistent/plan.yaml", &p, NULL, 0, NULL, 0), SW_ERR_INVALID);
}

static void test_too_big(void **state)
{
	(void)state;
	char path[512], ps[512], err[512], expect[700];
	size_t n = (5u << 20);
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, '#', n);
	big[n] = '\0';
	write_file("big.yaml", big, path, sizeof(path));
	struct swarm_plan p;
	assert_int_equal(swarm_plan_load(path, &p, err, sizeof(err), NULL, 0), SW_ERR_INVALID);
	snprintf(expect, sizeof(expect), "%s: file larger than 4194304 bytes", path);
	assert_string_equal(err, expect);
	/* A pull secret over 1 MiB. */
	big[(2u << 20)] = '\0';
	write_file("bigps.json", big, ps, sizeof(ps));
	free(big);
	write_file("svc-bigps.yaml", SVC_HEAD "pull_secret_file: bigps.json\n", path, sizeof(path));
	struct swarm_service s;
	assert_int_equal(swarm_service_load(path, &s, err, sizeof(err), NULL, 0), SW_ERR_INVALID);
	assert_non_null(strstr(err, "is larger than 1048576 bytes"));
	assert_non_null(strstr(err, ":4:19: key 'pull_secret_file': "));
}

static void test_scenarios(void **state)
{
	(void)state;
	static const char *const names[] = {"default", "original-example", "sno-1000-ramp",
	                                     "large-multinode", "soak-steady"};
	const char *root = env_or("SWARM_SOURCE_ROOT", ".");
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		char path[512], err[512];
		struct swarm_plan p;
		snprintf(path, sizeof(path), "%s/scenarios/%s/plan.yaml", root, names[i]);
		int rv = swarm_plan_load(path, &p, err, sizeof(err), NULL, 0);
		if (rv)
			fail_msg("%s", err);
		assert_true(p.nshapes > 0);
		swarm_plan_free(&p);
		snprintf(path, sizeof(path), "%s/scenarios/%s/service.yaml", root, names[i]);
		if (access(path, R_OK) == 0) {
			struct swarm_service s;
			rv = swarm_service_load(path, &s, err, sizeof(err), NULL, 0);
			if (rv)
				fail_msg("%s", err);
			assert_int_equal(s.auth, SWARM_AUTH_NONE);
			swarm_service_free(&s);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_original_plan),
		cmocka_unit_test(test_original_service),
		cmocka_unit_test(test_service_ok),
		cmocka_unit_test(test_plan_extensions),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_scenarios),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
