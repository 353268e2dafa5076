/* Tests of the per-operation metadata (emu_opmeta.h) and of the service
 * framework's content negotiation the emulator copies: Content-Type against
 * consumes (400/415), Accept against produces (406) with go-openapi's rules
 * (no Accept, wildcards, q-values, case, the request body's type as the
 * fallback), and the 2023 generation's missing routes in the matcher. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "emu_opmeta.h"
#include "emu_routes.h"

#define API "/api/assisted-install"
#define CL1 "33333333-3333-3333-3333-333333333333"

static const struct emu_op_meta *op(const char *name)
{
	const struct emu_op_meta *m = emu_op_meta_find(name);
	assert_non_null(m);
	return m;
}

static void test_table_follows_routes(void **state)
{
	(void)state;
	const struct emu_route *routes;
	size_t n = emu_routes_table(&routes);
	assert_int_equal(n, emu_op_nmetas);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(routes[i].operation, emu_op_metas[i].operation);
		assert_string_equal(routes[i].method, emu_op_metas[i].method);
		assert_string_equal(routes[i].path, emu_op_metas[i].path);
		assert_non_null(emu_op_metas[i].produces);
		assert_non_null(emu_op_metas[i].consumes);
	}
	assert_null(emu_op_meta_find("nope"));
	assert_null(emu_op_meta_find(NULL));
	/* what the swagger says of a few */
	assert_string_equal(op("V2DownloadClusterFiles")->produces[0], "application/octet-stream");
	assert_string_equal(op("v2DownloadHostIgnition")->produces[0], "application/octet-stream");
	assert_string_equal(op("V2UploadLogs")->consumes[0], "multipart/form-data");
	assert_string_equal(op("v2GetNextSteps")->produces[0], "application/json");
	const struct emu_op_meta *files = op("V2DownloadClusterFiles");
	int seen = 0;
	for (size_t i = 0; i < files->nparams; i++)
		if (strcmp(files->params[i].name, "file_name") == 0) {
			seen = 1;
			assert_int_equal(files->params[i].in, EMU_IN_QUERY);
			assert_true(files->params[i].required);
			assert_string_equal(files->params[i].enums[0], "bootstrap.ign");
		}
	assert_true(seen);
}

/* Outcome and message of one negotiation. */
static enum emu_negotiate neg(const char *name, const char *ct, int body, const char *accept,
                              char *msg)
{
	return emu_op_negotiate(op(name), ct, body, accept, msg, 512);
}

static void test_accept(void **state)
{
	(void)state;
	char msg[512];
	const char *dl = "V2DownloadClusterFiles";
	/* the field run: a JSON Accept on a download */
	assert_int_equal(neg(dl, NULL, 0, "application/json", msg), 406);
	assert_string_equal(msg, "unsupported media type requested, only [application/octet-stream] "
	                         "are available");
	assert_int_equal(neg(dl, NULL, 0, NULL, msg), 0);                 /* none: first offer */
	assert_string_equal(msg, "");
	assert_int_equal(neg(dl, NULL, 0, "application/octet-stream", msg), 0);
	assert_int_equal(neg(dl, NULL, 0, "*/*", msg), 0);
	assert_int_equal(neg(dl, NULL, 0, "application/*", msg), 0);
	assert_int_equal(neg(dl, NULL, 0, "text/*", msg), 406);
	assert_int_equal(neg(dl, NULL, 0, "application/json, */*;q=0.1", msg), 0);
	assert_int_equal(neg(dl, NULL, 0, "application/octet-stream;q=0", msg), 406);
	assert_int_equal(neg(dl, NULL, 0, "application/octet-stream; charset=x; q=0.5", msg), 0);
	/* exact comparison is case-sensitive in go-openapi */
	assert_int_equal(neg(dl, NULL, 0, "Application/Octet-Stream", msg), 406);
	/* a bad quality drops the rest of the field: nothing parsed = no Accept */
	assert_int_equal(neg(dl, NULL, 0, "application/json;q=x, application/octet-stream", msg), 0);
	/* a leading separator parses nothing either */
	assert_int_equal(neg(dl, NULL, 0, ",application/json", msg), 0);
	assert_int_equal(neg("v2GetCluster", NULL, 0, "application/octet-stream", msg), 406);
	assert_string_equal(msg, "unsupported media type requested, only [application/json] are available");
	assert_int_equal(neg("v2GetCluster", NULL, 0, "application/json", msg), 0);
	/* with a body, the request's own type is the fallback: no 406 */
	assert_int_equal(neg("v2RegisterCluster", "application/json", 1, "text/html", msg), 0);
	/* a bodiless POST is negotiated like a GET */
	assert_int_equal(neg("v2InstallCluster", NULL, 0, "text/html", msg), 406);
	assert_int_equal(neg("v2InstallCluster", NULL, 0, "application/json", msg), 0);
}

static void test_content_type(void **state)
{
	(void)state;
	char msg[512];
	const char *rc = "v2RegisterCluster";
	assert_int_equal(neg(rc, "application/json", 1, "application/json", msg), 0);
	assert_int_equal(neg(rc, "application/json; charset=utf-8", 1, NULL, msg), 0);
	assert_int_equal(neg(rc, "Application/JSON", 1, NULL, msg), 0);
	assert_int_equal(neg(rc, "application/json;", 1, NULL, msg), 0);   /* trailing ';' */
	assert_int_equal(neg(rc, "text/plain; charset=utf-8", 1, NULL, msg), 415);
	assert_string_equal(msg, "unsupported media type \"text/plain\", only [application/json] are allowed");
	/* no Content-Type with a body is application/octet-stream */
	assert_int_equal(neg(rc, NULL, 1, NULL, msg), 415);
	assert_string_equal(msg, "unsupported media type \"application/octet-stream\", only "
	                         "[application/json] are allowed");
	assert_int_equal(neg(rc, "json", 1, NULL, msg), 415);               /* a type alone parses */
	assert_int_equal(neg(rc, "application/", 1, NULL, msg), 400);
	assert_string_equal(msg, "parsing Content-Type header from \"application/\" failed, because "
	                         "mime: expected token after slash");
	assert_int_equal(neg(rc, "application/json; charset", 1, NULL, msg), 400);
	assert_string_equal(msg, "parsing Content-Type header from \"application/json; charset\" "
	                         "failed, because mime: invalid media parameter");
	assert_int_equal(neg(rc, "a/b; x=1; x=2", 1, NULL, msg), 400);
	assert_string_equal(msg, "parsing Content-Type header from \"a/b; x=1; x=2\" failed, because "
	                         "mime: duplicate parameter name");
	assert_int_equal(neg(rc, "a/b c", 1, NULL, msg), 400);
	assert_string_equal(msg, "parsing Content-Type header from \"a/b c\" failed, because "
	                         "mime: unexpected content after media subtype");
	assert_int_equal(neg(rc, "/json", 1, NULL, msg), 400);
	assert_string_equal(msg, "parsing Content-Type header from \"/json\" failed, because "
	                         "mime: no media type");
	assert_int_equal(neg(rc, "a;b/c", 1, NULL, msg), 400);
	/* without a body the Content-Type is not looked at */
	assert_int_equal(neg("v2InstallCluster", "text/plain", 0, NULL, msg), 0);
	/* uploads consume multipart/form-data (boundary parameter and all) */
	assert_int_equal(neg("V2UploadLogs", "multipart/form-data; boundary=\"x y\"", 1,
	                     "application/json", msg), 0);
	assert_int_equal(neg("V2UploadLogs", "application/json", 1, NULL, msg), 415);
	assert_string_equal(msg, "unsupported media type \"application/json\", only "
	                         "[multipart/form-data] are allowed");
	char mt[64];
	const char *why = NULL;
	assert_int_equal(emu_mime_parse(" Text/HTML ; q=1", mt, sizeof(mt), &why), 0);
	assert_string_equal(mt, "text/html");
	assert_int_equal(emu_mime_parse("a/b; x=\"unterminated", mt, sizeof(mt), &why), -1);
	assert_string_equal(why, "mime: invalid media parameter");
}

static void test_generation_routes(void **state)
{
	(void)state;
	struct emu_route_match m;
	const char *prog = API "/v2/clusters/" CL1 "/progress";
	assert_int_equal(emu_route_match("PUT", prog, &m), EMU_ROUTE_MATCH);
	assert_string_equal(m.route->operation, "v2UpdateClusterFinalizingProgress");
	/* the 2023 router has no such path: 404, also for other methods */
	assert_int_equal(emu_route_match_absent("PUT", prog, EMU_ROUTE_AFTER_2023, &m), 404);
	assert_int_equal(emu_route_match_absent("GET", prog, EMU_ROUTE_AFTER_2023, &m), 404);
	/* today's router knows the path with PUT only */
	assert_int_equal(emu_route_match("GET", prog, &m), 405);
	assert_string_equal(m.allowed, "PUT");
	assert_int_equal(emu_route_match_absent("GET", API "/v2/release-sources", EMU_ROUTE_AFTER_2023,
	                                        &m), 404);
	/* POST /v2/clusters/disconnected did not exist: its path is a cluster id to GET/PATCH/DELETE */
	assert_int_equal(emu_route_match_absent("POST", API "/v2/clusters/disconnected",
	                                        EMU_ROUTE_AFTER_2023, &m), 405);
	assert_string_equal(m.allowed, "GET,DELETE,PATCH");
	/* the others stay */
	assert_int_equal(emu_route_match_absent("PUT", API "/v2/clusters/" CL1 "/logs-progress",
	                                        EMU_ROUTE_AFTER_2023, &m), EMU_ROUTE_MATCH);
	const struct emu_route *routes;
	size_t n = emu_routes_table(&routes), absent = 0;
	for (size_t i = 0; i < n; i++)
		absent += (routes[i].flags & EMU_ROUTE_AFTER_2023) != 0;
	assert_int_equal(absent, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_follows_routes),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_content_type),
		cmocka_unit_test(test_generation_routes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
