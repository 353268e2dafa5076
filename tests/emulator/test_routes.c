/* Tests for the emulator's one route table and matcher (emu_routes.h):
 * Go path.Clean semantics, literal-over-parameter precedence, per-method
 * matching with 405, percent-encoded literals and parameters, and the
 * dispatch of a match to the model (404/405 before any handler). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "emu_model.h"
#include "emu_routes.h"

#define IE1 "11111111-1111-1111-1111-111111111111"
#define CL1 "33333333-3333-3333-3333-333333333333"
#define H1 "44444444-4444-4444-4444-444444444444"
#define API "/api/assisted-install"

static void test_path_clean(void **state)
{
	(void)state;
	/* Go's path.Clean on these inputs (its documented rules). */
	static const char *const cases[][2] = {
		{"", "."}, {"abc", "abc"}, {"abc/def", "abc/def"}, {".", "."}, {"..", ".."},
		{"../..", "../.."}, {"../../abc", "../../abc"}, {"/abc", "/abc"}, {"/", "/"},
		{"abc/", "abc"}, {"abc/def/", "abc/def"}, {"./", "."}, {"../", ".."},
		{"../../", "../.."}, {"/abc/", "/abc"}, {"abc//def//ghi", "abc/def/ghi"},
		{"//abc", "/abc"}, {"///abc", "/abc"}, {"//abc//", "/abc"}, {"abc//", "abc"},
		{"abc/./def", "abc/def"}, {"/./abc/def", "/abc/def"}, {"abc/.", "abc"},
		{"abc/def/ghi/../jkl", "abc/def/jkl"}, {"abc/def/../ghi/../jkl", "abc/jkl"},
		{"abc/def/..", "abc"}, {"abc/def/../..", "."}, {"/abc/def/../..", "/"},
		{"abc/def/../../..", ".."}, {"/abc/def/../../..", "/"},
		{"abc/def/../../../ghi/jkl/../../../mno", "../../mno"}, {"abc/./../def", "def"},
		{"abc//./../def", "def"}, {"abc/../../././../def", "../../def"},
		{"/..", "/"}, {"/%2e%2e/x", "/%2e%2e/x"}, {"/a%2Fb/", "/a%2Fb"},
	};
	char out[128];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long n = emu_path_clean(cases[i][0], strlen(cases[i][0]), out, sizeof(out));
		if (n < 0 || strcmp(out, cases[i][1]) != 0)
			fail_msg("clean(\"%s\") = \"%s\", want \"%s\"", cases[i][0], out, cases[i][1]);
		assert_int_equal((size_t)n, strlen(cases[i][1]));
	}
	assert_int_equal(emu_path_clean("/abcdef", 7, out, 4), -1);
	assert_int_equal(emu_path_clean("", 0, out, 1), -1);
}

static void test_match_basic(void **state)
{
	(void)state;
	const struct emu_route *routes;
	assert_int_equal(emu_routes_table(&routes), 81);
	struct emu_route_match m;
	const char *p = API "/v2/infra-envs/" IE1 "/hosts/" H1 "/instructions";
	assert_int_equal(emu_route_match("GET", p, &m), EMU_ROUTE_MATCH);
	assert_string_equal(m.route->operation, "v2GetNextSteps");
	assert_int_equal(m.route->security, EMU_SEC_AGENT);
	assert_ptr_equal(m.route, &routes[m.index]);
	assert_string_equal(emu_route_param(&m, "infra_env_id"), IE1);
	assert_string_equal(emu_route_param(&m, "host_id"), H1);
	assert_true(emu_route_param_valid(&m, "host_id"));
	assert_null(emu_route_param(&m, "cluster_id"));
	assert_int_equal(emu_route_match("POST", p, &m), EMU_ROUTE_MATCH);
	assert_string_equal(m.route->operation, "v2PostStepReply");
	/* literal segments beat parameters */
	assert_int_equal(emu_route_match("GET", API "/v2/clusters/default-config", &m), EMU_ROUTE_MATCH);
	assert_string_equal(m.route->operation, "V2GetClusterDefaultConfig");
	assert_int_equal(emu_route_match("GET", API "/v2/clusters/" CL1, &m), EMU_ROUTE_MATCH);
	assert_string_equal(m.route->operation, "v2GetCluster");
	assert_int_equal(m.route->security, EMU_SEC_USER | EMU_SEC_AGENT | EMU_SEC_WATCHER);
	assert_string_equal(emu_route_param(&m, "cluster_id"), CL1);
	assert_int_equal(emu_route_match("POST", API "/v2/clusters", &m), EMU_ROUTE_MATCH);
	assert_string_equal(m.route->operation, "v2RegisterCluster");
	assert_int_equal(m.route->security, EMU_SEC_USER);
	assert_int_equal(emu_route_match("GET", API "/v2/infra-env/" IE1 "/hosts/" H1
	                                 "/downloads/ignition", &m), EMU_ROUTE_MATCH);
	assert_string_equal(m.route->operation, "v2DownloadHostIgnition");
	/* wrong method on a known path: 405 with the methods that have it */
	assert_int_equal(emu_route_match("PUT", API "/v2/clusters", &m), EMU_ROUTE_NOT_ALLOWED);
	assert_null(m.route);
	assert_int_equal(m.index, -1);
	assert_string_equal(m.allowed, "POST,GET");
	/* the method's own routes come first: PATCH default-config is V2UpdateCluster */
	assert_int_equal(emu_route_match("PATCH", API "/v2/clusters/default-config", &m),
	                 EMU_ROUTE_MATCH);
	assert_string_equal(m.route->operation, "V2UpdateCluster");
	/* the method is compared upper-cased, as the router does */
	assert_int_equal(emu_route_match("get", API "/v2/clusters", &m), EMU_ROUTE_MATCH);
	assert_string_equal(m.route->operation, "v2ListClusters");
	/* no match: unknown path, no base, the base alone, NULLs */
	assert_int_equal(emu_route_match("GET", API "/v2/nothing", &m), EMU_ROUTE_NOT_FOUND);
	assert_int_equal(emu_route_match("GET", "/v2/clusters", &m), EMU_ROUTE_NOT_FOUND);
	assert_int_equal(emu_route_match("GET", API, &m), EMU_ROUTE_NOT_FOUND);
	assert_int_equal(emu_route_match("GET", "", &m), EMU_ROUTE_NOT_FOUND);
	assert_int_equal(emu_route_match("GET", "api/assisted-install/v2/clusters", &m),
	                 EMU_ROUTE_NOT_FOUND);
	assert_int_equal(emu_route_match(NULL, API "/v2/clusters", &m), EMU_ROUTE_NOT_FOUND);
	assert_int_equal(emu_route_match("GET", NULL, &m), EMU_ROUTE_NOT_FOUND);
	assert_int_equal(emu_routes_find("v2GetNextSteps") >= 0, 1);
	assert_int_equal(emu_routes_find("nope"), -1);
	assert_int_equal(emu_routes_find(NULL), -1);
}

/* The spellings the service's router cleans to the same operation. */
static void test_match_spellings(void **state)
{
	(void)state;
	static const char *const same[] = {
		API "/v2/clusters/", API "/v2//clusters", API "//v2/clusters//", API "/v2/./clusters",
		API "/v2/x/../clusters", API "/./v2/clusters/.", "//api//assisted-install/v2/clusters",
		API "/v2/clusters/" CL1 "/..", "/../../api/assisted-install/v2/clusters",
		"/api/x/../assisted-install/v2/clusters",
	};
	struct emu_route_match m;
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		if (emu_route_match("GET", same[i], &m) != EMU_ROUTE_MATCH)
			fail_msg("%s did not match", same[i]);
		assert_string_equal(m.route->operation, "v2ListClusters");
	}
	/* trailing '/' and "//" inside: the same operation, the same parameter */
	assert_int_equal(emu_route_match("GET", API "/v2/clusters/" CL1 "/", &m), EMU_ROUTE_MATCH);
	assert_string_equal(m.route->operation, "v2GetCluster");
	assert_string_equal(emu_route_param(&m, "cluster_id"), CL1);
	assert_int_equal(emu_route_match("GET", API "/v2/clusters//" CL1 "//hosts", &m),
	                 EMU_ROUTE_MATCH);
	assert_string_equal(m.route->operation, "ListClusterHosts");
	/* an empty segment vanishes: /clusters//hosts is /clusters/hosts, the
	 * cluster "hosts" (the model then answers 400: not a UUID) */
	assert_int_equal(emu_route_match("GET", API "/v2/clusters//hosts", &m), EMU_ROUTE_MATCH);
	assert_string_equal(m.route->operation, "v2GetCluster");
	assert_string_equal(emu_route_param(&m, "cluster_id"), "hosts");
	/* percent-encoded literals match nothing: the router compares escaped text */
	static const char *const none[] = {
		API "/v2/cl%75sters", API "/v2%2Fclusters", API "/%76%32/clusters",
		"/api%2Fassisted-install/v2/clusters", API "/v2/clusters/%2E%2E/clusters",
		API "/v2/%2e/clusters", API "/v2/clusters%2F",
	};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		if (emu_route_match("GET", none[i], &m) != EMU_ROUTE_NOT_FOUND)
			fail_msg("%s matched %s", none[i], m.route ? m.route->operation : "(405)");
	/* percent-encoded parameters are decoded after matching */
	assert_int_equal(emu_route_match("GET", API "/v2/clusters/33333333%2D3333-3333-3333-33333333333%33",
	                                 &m), EMU_ROUTE_MATCH);
	assert_string_equal(emu_route_param(&m, "cluster_id"), CL1);
	assert_true(emu_route_param_valid(&m, "cluster_id"));
	/* an encoded '/' stays inside the parameter; a bad escape is kept raw */
	assert_int_equal(emu_route_match("GET", API "/v2/clusters/a%2Fb", &m), EMU_ROUTE_MATCH);
	assert_string_equal(m.route->operation, "v2GetCluster");
	assert_string_equal(emu_route_param(&m, "cluster_id"), "a/b");
	assert_int_equal(emu_route_match("GET", API "/v2/clusters/a%zzb%4", &m), EMU_ROUTE_MATCH);
	assert_string_equal(emu_route_param(&m, "cluster_id"), "a%zzb%4");
	/* a NUL byte can not shorten an id into a valid one */
	assert_int_equal(emu_route_match("GET", API "/v2/clusters/" CL1 "%00x", &m), EMU_ROUTE_MATCH);
	assert_false(emu_route_param_valid(&m, "cluster_id"));
	/* over-long parameters are flagged */
	char longp[512];
	snprintf(longp, sizeof(longp), API "/v2/clusters/%0200d", 7);
	assert_int_equal(emu_route_match("GET", longp, &m), EMU_ROUTE_MATCH);
	assert_false(emu_route_param_valid(&m, "cluster_id"));
	assert_int_equal(m.params[0].len, 200);
	/* a path deeper than the matcher tracks is 404, never another operation */
	char *deep = malloc(300 * 5 + 64);
	size_t o = (size_t)sprintf(deep, "%s", API "/v2");
	for (int i = 0; i < 300; i++)
		o += (size_t)sprintf(deep + o, "/x");
	for (int i = 0; i < 300; i++)
		o += (size_t)sprintf(deep + o, "/..");
	sprintf(deep + o, "/clusters");
	assert_int_equal(emu_route_match("GET", deep, &m), EMU_ROUTE_NOT_FOUND);
	free(deep);
}

/* The matcher on a path equals the matcher on its Go-cleaned path. */
static void test_match_equals_clean(void **state)
{
	(void)state;
	static const char *const paths[] = {
		API "/v2/clusters/" CL1 "/../" CL1 "/hosts/", API "//v2/infra-envs/" IE1 "/./hosts",
		API "/v2/infra-envs/" IE1 "/hosts/" H1 "/instructions/..", "/x/..//api/./assisted-install//v2/events",
		API "/v2/clusters/%2e%2e", API "/v2/clusters/./..//..",
	};
	char clean[512];
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct emu_route_match a, b;
		assert_true(emu_path_clean(paths[i], strlen(paths[i]), clean, sizeof(clean)) > 0);
		emu_route_match("GET", paths[i], &a);
		emu_route_match("GET", clean, &b);
		assert_int_equal(a.result, b.result);
		assert_int_equal(a.index, b.index);
		assert_int_equal(a.nparams, b.nparams);
		for (int k = 0; k < a.nparams; k++)
			assert_string_equal(a.params[k].value, b.params[k].value);
	}
}

/* Unmatched requests never run a handler; a match runs the matched one. */
static void test_dispatch(void **state)
{
	(void)state;
	struct emu_model_cfg cfg;
	emu_model_cfg_init(&cfg);
	struct emu_model *m = emu_model_new(&cfg);
	assert_non_null(m);
	struct emu_request req = {.method = "GET", .path = API "/v2/clusters/", .query = "",
	                          .body = "", .now_ns = 1, .wall_s = 1700000000};
	struct emu_response resp;
	uint64_t before = emu_model_requests(m);
	assert_int_equal(emu_model_handle(m, &req, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.operation, "v2ListClusters");
	assert_int_equal(emu_model_requests(m), before + 1);
	free(resp.body);
	req.path = API "/v2/cl%75sters";
	assert_int_equal(emu_model_handle(m, &req, &resp), 0);
	assert_int_equal(resp.status, 404);
	assert_non_null(strstr(resp.body, "path " API "/v2/cl%75sters was not found"));
	assert_int_equal(emu_model_requests(m), before + 1);
	free(resp.body);
	req.method = "PUT";
	req.path = API "/v2/clusters";
	assert_int_equal(emu_model_handle(m, &req, &resp), 0);
	assert_int_equal(resp.status, 405);
	assert_non_null(strstr(resp.body, "[POST,GET]"));
	assert_int_equal(emu_model_requests(m), before + 1);
	free(resp.body);
	/* a bad id is the model's 400 (after authentication, in the front) */
	req.method = "GET";
	req.path = API "/v2/clusters//hosts";
	assert_int_equal(emu_model_handle(m, &req, &resp), 0);
	assert_int_equal(resp.status, 400);
	assert_non_null(strstr(resp.body, "cluster_id in path must be of type uuid"));
	free(resp.body);
	req.path = API "/v2/clusters/" CL1 "%00";
	assert_int_equal(emu_model_handle(m, &req, &resp), 0);
	assert_int_equal(resp.status, 400);
	free(resp.body);
	emu_model_free(&m);
}

static void test_body_limits(void **state)
{
	(void)state;
	struct emu_route_match m;
	emu_route_match("POST", API "/v2/clusters/" CL1 "/logs", &m);
	assert_int_equal(emu_route_body_max(&m), EMU_BODY_MAX_UPLOAD);
	assert_int_equal(emu_route_body_keep(&m), EMU_BODY_KEEP_STREAM);
	emu_route_match("POST", API "/v2/clusters", &m);
	assert_int_equal(emu_route_body_max(&m), EMU_BODY_MAX_JSON);
	assert_int_equal(emu_route_body_keep(&m), EMU_BODY_MAX_JSON);
	emu_route_match("POST", API "/v2/nothing", &m);
	assert_int_equal(emu_route_body_max(&m), EMU_BODY_MAX_UNMATCHED);
	assert_int_equal(emu_route_body_max(NULL), EMU_BODY_MAX_UNMATCHED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_clean),
		cmocka_unit_test(test_match_basic),
		cmocka_unit_test(test_match_spellings),
		cmocka_unit_test(test_match_equals_clean),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_body_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
