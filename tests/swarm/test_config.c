/* Tests for swarm/config.c: files in the original assisted-swarm format
 * (fixtures written for this project, tests/swarm/fixtures/), the scenarios,
 * and a table of bad inputs with their exact messages.
 *
 * `test_config --shared` instead loads the byte-for-byte original example
 * files from the reference material (SWARM_SHARED_DIR, else the directory
 * meson configured in SWARM_SHARED_DIR_DEFAULT); it exits 77 (meson: SKIP)
 * naming the missing file when they are absent (see tests/README.md). */
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

#define SVC_HEAD "service_endpoint: http://127.0.0.1:8090\nrelease_image: r\nssh_pub_key: k\n"

#define ORIGINAL_PLAN "reference/assisted-swarm-examples/testplan.example.yaml"
#define ORIGINAL_SERVICE "reference/assisted-swarm-examples/service_config.example.yaml"

/* Where the reference material is: the environment wins over the default
 * meson configured (-Dshared_dir, or <source>/../shared). "" when neither. */
static const char *shared_dir(void)
{
	return env_or("SWARM_SHARED_DIR", env_or("SWARM_SHARED_DIR_DEFAULT", ""));
}

/* The fixtures in the original format that this project wrote itself. */
static void fixture_path(const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/tests/swarm/fixtures/%s", env_or("SWARM_SOURCE_ROOT", "."), name);
}

/* What a plan in the original format must give: shapes 0-3 as in the
 * original example (single-node, 3 + workers, 3 + workers with a label,
 * an nmstate infra-env with a label), the misspelt key read with a warning
 * naming file:line:col, and the defaults of everything the format lacks.
 * Returns the plan (the caller checks more, then frees it). */
struct format_expect {
	unsigned amount[4], hosts[4];
	const char *label2, *label3;   /* values of the location label */
	unsigned warn_line2, warn_line3;
};

static struct swarm_plan load_original_format(const char *path, const struct format_expect *e)
{
	char err[512], warn[1024], expect[600];
	struct swarm_plan p;
	if (swarm_plan_load(path, &p, err, sizeof(err), warn, sizeof(warn)) != 0)
		fail_msg("%s", err);
	assert_int_equal(p.nshapes, 4);
	assert_int_equal(p.shuffle, 1);
	assert_true(p.shapes[0].single_node);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(p.shapes[i].amount, e->amount[i]);
		assert_int_equal(swarm_shape_hosts(&p.shapes[i]), e->hosts[i]);
	}
	assert_int_equal(p.shapes[2].nlabels, 1);
	assert_string_equal(p.shapes[2].labels[0].key,
	                    "agentclusterinstalls.extensions.hive.openshift.io/location");
	assert_string_equal(p.shapes[2].labels[0].value, e->label2);
	assert_true(p.shapes[3].just_infraenv);
	assert_true(p.shapes[3].hold_until_end); /* just_infraenv's default, as the original's agents */
	assert_false(p.shapes[0].hold_until_end);
	assert_true(p.shapes[3].with_nmstate);
	assert_string_equal(p.shapes[3].labels[0].value, e->label3);
	assert_int_equal(p.mode, SWARM_MODE_REST);
	assert_string_equal(p.openshift_version, "4.16");
	assert_string_equal(p.base_domain, "swarm.example.com");
	assert_string_equal(p.cpu_architecture, "x86_64");
	assert_int_equal(p.seed, 1);
	assert_int_equal(p.arrival.kind, SWARM_ARRIVAL_ASAP);
	assert_int_equal(p.timings.installer_stage_ms, 5000);
	assert_int_equal(p.timings.write_image_ms, 52000);
	assert_true(p.timings.time_scale == 1.0);
	snprintf(expect, sizeof(expect), "%s:%u:5: warning: key 'clusters[2].infranev_labels'", path,
	         e->warn_line2);
	assert_non_null(strstr(warn, expect));
	snprintf(expect, sizeof(expect), "%s:%u:5: warning: key 'clusters[3].infranev_labels'", path,
	         e->warn_line3);
	assert_non_null(strstr(warn, expect));
	return p;
}

/* The original format, on every clone: comments, blank lines between
 * entries, the misspelt `infranev_labels` and the `schema:` block. */
static void test_fixture_plan(void **state)
{
	(void)state;
	static const struct format_expect e = {
		.amount = {3, 1, 4, 2}, .hosts = {1, 5, 8, 3}, .label2 = "Mars", .label3 = "Venus",
		.warn_line2 = 21, .warn_line3 = 29,
	};
	char path[512];
	fixture_path("testplan.example.yaml", path, sizeof(path));
	struct swarm_plan p = load_original_format(path, &e);
	assert_int_equal(p.shapes[3].nlabels, 2);
	assert_string_equal(p.shapes[3].labels[1].key, "example.com/rack");
	assert_string_equal(p.shapes[3].labels[1].value, "r7");
	swarm_plan_free(&p);
}

static void test_fixture_service(void **state)
{
	(void)state;
	char path[512], ps[512], err[512];
	struct swarm_service s;
	fixture_path("service_config.example.yaml", path, sizeof(path));
	fixture_path("pull-secret.json", ps, sizeof(ps));
	int rv = swarm_service_load(path, &s, err, sizeof(err), NULL, 0);
	if (rv)
		fail_msg("%s", err);
	assert_string_equal(s.endpoint, "https://127.0.0.1:1");
	assert_string_equal(s.release_image, "quay.io/openshift-release-dev/ocp-release:4.14.7-x86_64");
	assert_non_null(strstr(s.ssh_pub_key, "ecdsa-sha2-nistp256 "));
	assert_string_equal(s.pull_secret_file, ps); /* relative to the config's folder */
	assert_non_null(strstr(s.pull_secret, "\"auths\":{\"cloud.openshift.com\""));
	/* The original format's defaults: no auth, automatic protocol. */
	assert_int_equal(s.auth, SWARM_AUTH_NONE);
	assert_int_equal(s.proto, SW_PROTO_AUTO);
	swarm_service_free(&s);
}

static void test_original_plan(void **state)
{
	(void)state;
	static const struct format_expect e = {
		.amount = {2, 1, 2, 1}, .hosts = {1, 6, 13, 3}, .label2 = "Sun", .label3 = "Moon",
		.warn_line2 = 17, .warn_line3 = 25,
	};
	char path[512];
	snprintf(path, sizeof(path), "%s/" ORIGINAL_PLAN, shared_dir());
	struct swarm_plan p = load_original_format(path, &e);
	swarm_plan_free(&p);
	swarm_plan_free(&p); /* idempotent */
	swarm_plan_free(NULL);
}

static void test_original_service(void **state)
{
	(void)state;
	char path[512], err[512], expect[700];
	struct swarm_service s;
	snprintf(path, sizeof(path), "%s/" ORIGINAL_SERVICE, shared_dir());
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
	           "source_addresses: [127.0.0.2, '::1']\n"
	           "api_generation: '2023'\n"
	           "insecure_skip_verify: yes\n"
	           "ca_file: ps.json\n", /* any regular file: the loader checks it can be read */
	           path, sizeof(path));
	struct swarm_service s;
	int rv = swarm_service_load(path, &s, err, sizeof(err), NULL, 0);
	if (rv)
		fail_msg("%s", err);
	assert_string_equal(s.pull_secret, "{\"auths\":{\"quay.io\":{\"auth\":\"eDp5\"}}}");
	assert_string_equal(s.pull_secret_file, ps); /* resolved against the config's directory */
	assert_int_equal(s.auth, SWARM_AUTH_RHSSO); /* `token`: the former name, still accepted */
	assert_string_equal(s.user_token, "abc");
	assert_int_equal(s.proto, SW_PROTO_H2);
	assert_int_equal(s.policy, SWARM_CONN_DEDICATED);
	assert_int_equal(s.max_conns, 16);
	assert_int_equal(s.nsource_addrs, 2);
	assert_string_equal(s.source_addrs[0], "127.0.0.2");
	assert_string_equal(s.source_addrs[1], "::1");
	assert_string_equal(s.api_generation, "2023");
	assert_int_equal(s.insecure, 1);
	assert_string_equal(s.ca_file, ps);
	swarm_service_free(&s);
	swarm_service_free(&s);
}

/* The service's own AUTH_TYPE names (none, rhsso, local), and `token`. */
static void test_auth_modes(void **state)
{
	(void)state;
	static const struct {
		const char *yaml;
		enum swarm_auth want;
	} cases[] = {
		{"auth: none\n", SWARM_AUTH_NONE},
		{"auth: rhsso\nuser_token: u\n", SWARM_AUTH_RHSSO},
		{"auth: token\nuser_token: u\n", SWARM_AUTH_RHSSO},
		{"auth: local\n", SWARM_AUTH_LOCAL},
		{"", SWARM_AUTH_NONE},
	};
	char aux[512], path[512], err[512], text[512];
	write_file("ps.json", "{\"auths\":{}}", aux, sizeof(aux));
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct swarm_service s;
		snprintf(text, sizeof(text), SVC_HEAD "pull_secret_file: ps.json\n%s", cases[i].yaml);
		write_file("auth.yaml", text, path, sizeof(path));
		if (swarm_service_load(path, &s, err, sizeof(err), NULL, 0) != 0)
			fail_msg("case %zu: %s", i, err);
		assert_int_equal(s.auth, cases[i].want);
		swarm_service_free(&s);
	}
}

/* insecure_skip_verify is one warning of the loader (printed unless -q). */
static void test_insecure_warning(void **state)
{
	(void)state;
	char aux[512], path[512], err[512], warn[1024], expect[1024];
	struct swarm_service s;
	write_file("ps.json", "{\"auths\":{}}", aux, sizeof(aux));
	write_file("insecure.yaml", "service_endpoint: https://127.0.0.1:1\nrelease_image: r\n"
	           "ssh_pub_key: k\npull_secret_file: ps.json\ninsecure_skip_verify: true\n",
	           path, sizeof(path));
	assert_int_equal(swarm_service_load(path, &s, err, sizeof(err), warn, sizeof(warn)), 0);
	snprintf(expect, sizeof(expect), "%s:5:23: warning: key 'insecure_skip_verify': the service's "
	         "TLS certificate is not verified\n", path);
	assert_string_equal(warn, expect);
	swarm_service_free(&s);
	/* Nothing to say over plain HTTP. */
	write_file("insecure.yaml", "service_endpoint: http://127.0.0.1:1\nrelease_image: r\n"
	           "ssh_pub_key: k\npull_secret_file: ps.json\ninsecure_skip_verify: true\n",
	           path, sizeof(path));
	assert_int_equal(swarm_service_load(path, &s, err, sizeof(err), warn, sizeof(warn)), 0);
	assert_string_equal(warn, "");
	swarm_service_free(&s);
}

/* A version scalar is kept as written: unquoted 4.10 is "4.10", not 4.1. */
static void test_version_text(void **state)
{
	(void)state;
	char path[512], err[512];
	struct swarm_plan p;
	write_file("v.yaml", "clusters:\n  - {single_node: true, num_workers: 0, amount: 1, "
	           "openshift_version: 4.20}\nopenshift_version: 4.10\n", path, sizeof(path));
	assert_int_equal(swarm_plan_load(path, &p, err, sizeof(err), NULL, 0), 0);
	assert_string_equal(p.openshift_version, "4.10");
	assert_string_equal(p.shapes[0].openshift_version, "4.20");
	swarm_plan_free(&p);
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
	assert_int_equal(p.shapes[0].discovery_hold_ns, 0);
	assert_false(p.shapes[0].hold_until_end);
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
	{"soak_series_kib", 0, "clusters:\n  - {single_node: true, num_workers: 0, amount: 1}\nsoak:\n  series_kib: 10\n",
	 SW_ERR_INVALID, "4:15: key 'soak.series_kib': expected an integer from 64 to 1048576"},
	{"soak_unknown", 0, "clusters:\n  - {single_node: true, num_workers: 0, amount: 1}\nsoak:\n  series_mib: 1\n",
	 SW_ERR_INVALID, "4:3: key 'soak.series_mib': unknown key (soak has duration, retention, snapshot_interval, "
	 "window, series_intervals, series_kib, keep_failed_records)"},
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
	 SW_ERR_INVALID, "5:7: key 'user_token': required when auth is 'token' (the Bearer token"},
	{"svc_rhsso_without_user_token", 1, SVC_HEAD "pull_secret_file: ps.json\nauth: rhsso\n",
	 SW_ERR_INVALID, "5:7: key 'user_token': required when auth is 'rhsso' (the Bearer token"},
	{"svc_bad_auth", 1, SVC_HEAD "pull_secret_file: ps.json\nauth: sso\n", SW_ERR_INVALID,
	 "5:7: key 'auth': expected one of none, rhsso, local, token, got 'sso'"},
	{"svc_agent_installer_local", 1, SVC_HEAD "pull_secret_file: ps.json\nauth: agent-installer-local\n",
	 SW_ERR_INVALID, "5:7: key 'auth': 'agent-installer-local' (the agent-based installer's AUTH_TYPE) "
	 "is not supported: expected none, rhsso or local"},
	{"bad_hold", 0, "clusters:\n  - {single_node: true, num_workers: 0, amount: 1, discovery_hold: soon}\n",
	 SW_ERR_INVALID, "2:68: key 'clusters[0].discovery_hold': expected a duration like '10m' or "
	 "'until_end', got 'soon'"},
	{"long_hold", 0, "clusters:\n  - {single_node: true, num_workers: 0, amount: 1, discovery_hold: 1000h}\n",
	 SW_ERR_INVALID, "2:68: key 'clusters[0].discovery_hold': duration '1000h' is too long (at most 720h)"},
	{"no_clusters", 0, "clusters: []\n", SW_ERR_INVALID,
	 "1:11: key 'clusters': empty list: the plan has no cluster to run"},
	{"zero_amounts", 0, "clusters:\n  - {single_node: true, num_workers: 0, amount: 0}\n"
	 "  - {single_node: false, num_workers: 2, amount: 0}\n", SW_ERR_INVALID,
	 "2:3: key 'clusters': every amount is 0: the plan has no cluster to run"},
	{"svc_bad_endpoint", 1, "service_endpoint: ftp://x\nrelease_image: r\nssh_pub_key: k\npull_secret_file: ps.json\n",
	 SW_ERR_INVALID, "1:19: key 'service_endpoint': expected an http:// or https:// URL, got 'ftp://x'"},
	{"svc_typo", 1, SVC_HEAD "pull_secret_file: ps.json\nservice_endpiont: x\n", SW_ERR_INVALID,
	 "5:1: key 'service_endpiont': unknown key (did you mean 'service_endpoint'?)"},
	{"svc_source_not_ip", 1, SVC_HEAD "pull_secret_file: ps.json\nsource_addresses: [127.0.0.2, lo]\n",
	 SW_ERR_INVALID, "5:31: key 'source_addresses[1]': expected a numeric IPv4 or IPv6 address, got 'lo'"},
	{"svc_source_empty", 1, SVC_HEAD "pull_secret_file: ps.json\nsource_addresses: []\n", SW_ERR_INVALID,
	 "5:19: key 'source_addresses': expected a list of 1 to 1024 IP addresses"},
	{"svc_source_scalar", 1, SVC_HEAD "pull_secret_file: ps.json\nsource_addresses: 127.0.0.2\n",
	 SW_ERR_INVALID, "5:19: key 'source_addresses': expected a list of 1 to 1024 IP addresses"},
};

static void test_discovery_hold(void **state)
{
	(void)state;
	char path[512], err[512];
	write_file("hold.yaml",
	           "clusters:\n"
	           "  - {single_node: true, num_workers: 0, amount: 1, discovery_hold: 10m}\n"
	           "  - {single_node: true, num_workers: 0, amount: 1, discovery_hold: until_end}\n"
	           "  - {single_node: false, num_workers: 5, amount: 1, just_infraenv: true,\n"
	           "     discovery_hold: 30m}\n"
	           "  - {single_node: false, num_workers: 5, amount: 1, just_infraenv: true,\n"
	           "     discovery_hold: 0}\n",
	           path, sizeof(path));
	struct swarm_plan p;
	if (swarm_plan_load(path, &p, err, sizeof(err), NULL, 0))
		fail_msg("%s", err);
	assert_int_equal(p.shapes[0].discovery_hold_ns, UINT64_C(600) * 1000000000);
	assert_false(p.shapes[0].hold_until_end);
	assert_true(p.shapes[1].hold_until_end);
	assert_int_equal(p.shapes[2].discovery_hold_ns, UINT64_C(1800) * 1000000000);
	assert_false(p.shapes[2].hold_until_end);
	/* 0: a just_infraenv shape done as soon as its hosts are known */
	assert_int_equal(p.shapes[3].discovery_hold_ns, 0);
	assert_false(p.shapes[3].hold_until_end);
	swarm_plan_free(&p);
}

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
	                                     "large-multinode", "discovered-100k", "soak-steady"};
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

/* The byte-for-byte originals, when the reference material is there. */
static int run_shared(void)
{
	static const char *const files[] = {ORIGINAL_PLAN, ORIGINAL_SERVICE};
	const char *dir = shared_dir();
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", *dir ? dir : "(SWARM_SHARED_DIR unset)", files[i]);
		if (!*dir || access(path, R_OK) != 0) {
			printf("SKIP: %s not found: the original example files are reference material "
			       "outside the repository (set SWARM_SHARED_DIR or meson -Dshared_dir)\n", path);
			return 77;
		}
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_original_plan),
		cmocka_unit_test(test_original_service),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--shared") == 0)
		return run_shared();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_plan),
		cmocka_unit_test(test_fixture_service),
		cmocka_unit_test(test_service_ok),
		cmocka_unit_test(test_auth_modes),
		cmocka_unit_test(test_insecure_warning),
		cmocka_unit_test(test_version_text),
		cmocka_unit_test(test_plan_extensions),
		cmocka_unit_test(test_discovery_hold),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_scenarios),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
