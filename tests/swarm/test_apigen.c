/* The API generation probe's verdicts (swarm/apigen.h): the router's 405
 * (today's service has the finalizing-progress path), its 404 "path ... was
 * not found" (the 2023 service has not), and everything else unknown; the
 * config's explicit generations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "apigen.h"

#define ROUTER_404 "{\"code\":404,\"message\":\"path /api/assisted-install" APIGEN_PROBE_PATH " was not found\"}"

static enum swarm_api_gen classify(int status, const char *body)
{
	return apigen_classify(status, body, body ? strlen(body) : 0);
}

static void test_classify(void **state)
{
	(void)state;
	assert_int_equal(classify(405, "{\"code\":405,\"message\":\"method GET is not allowed, but [PUT] are\"}"),
	                 SWARM_GEN_CURRENT);
	assert_int_equal(classify(405, NULL), SWARM_GEN_CURRENT);
	assert_int_equal(classify(404, ROUTER_404), SWARM_GEN_2023);
	/* a handler's 404 (the service's error shape) or a proxy's page is no verdict */
	assert_int_equal(classify(404, "{\"kind\":\"Error\",\"id\":404,\"href\":\"\",\"code\":\"404\","
	                               "\"reason\":\"cluster not found\"}"), SWARM_GEN_UNKNOWN);
	assert_int_equal(classify(404, "<html>not found</html>"), SWARM_GEN_UNKNOWN);
	assert_int_equal(classify(404, "{\"code\":404,\"message\":\"path  was not\"}"), SWARM_GEN_UNKNOWN);
	assert_int_equal(classify(404, NULL), SWARM_GEN_UNKNOWN);
	assert_int_equal(classify(401, "{\"code\":401,\"message\":\"unauthenticated for invalid credentials\"}"),
	                 SWARM_GEN_UNKNOWN);
	assert_int_equal(classify(200, "{}"), SWARM_GEN_UNKNOWN);
	assert_true(apigen_route_missing(404, ROUTER_404, strlen(ROUTER_404)));
	assert_false(apigen_route_missing(400, ROUTER_404, strlen(ROUTER_404)));
	/* not NUL-terminated input */
	assert_true(apigen_route_missing(404, ROUTER_404 "garbage", strlen(ROUTER_404)));
}

static void test_config(void **state)
{
	(void)state;
	struct swarm_service s;
	memset(&s, 0, sizeof(s));
	assert_int_equal(apigen_from_config(&s), SWARM_GEN_UNKNOWN);
	s.api_generation = "auto";
	assert_int_equal(apigen_from_config(&s), SWARM_GEN_UNKNOWN);
	s.api_generation = "current";
	assert_int_equal(apigen_from_config(&s), SWARM_GEN_CURRENT);
	s.api_generation = "2023";
	assert_int_equal(apigen_from_config(&s), SWARM_GEN_2023);
	assert_int_equal(apigen_from_config(NULL), SWARM_GEN_UNKNOWN);
	assert_string_equal(apigen_name(SWARM_GEN_2023), "2023");
	assert_string_equal(apigen_name(SWARM_GEN_CURRENT), "current");
	assert_string_equal(apigen_name(SWARM_GEN_UNKNOWN), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
