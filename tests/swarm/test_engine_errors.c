/*
 * One error path, seen from every kind of caller of rt_call_send(): when the
 * client refuses a request at once, the caller's handler still runs (from
 * the loop) and its state machine goes on -- retry, back-off or the next
 * step, with the failure counted -- instead of stalling. The installer,
 * controller, host-logs and REST-driver cases stalled before rt_call_send()
 * reported refusals through the handler; the reply-cache case suppressed
 * the next identical step reply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <event2/event.h>
#include "agent.h"
#include "cluster.h"
#include "controller.h"
#include "engine_fx.h"
#include "installer.h"
#include "rt.h"
#include "sw_err.h"

#define CL_ID "11111111-1111-4111-8111-111111111111"
#define INVENTORY_STEP "{\"next_instruction_seconds\":60,\"instructions\":[{\"step_type\":\"inventory\"," \
	"\"step_id\":\"inventory-1\",\"args\":[\"x\"]}]}"

static uint64_t refusals(struct fx *f, enum swarm_ep ep)
{
	return f->stats.ep[ep].transport_errors[-SW_ERR_INVALID];
}

/* Agent: a refused registration waits for the registration interval. */
static void test_agent_register(void **state)
{
	struct fx *f = fx_new(0);
	struct agent *a = &f->cl->hosts[0];
	(void)state;

	fx_refuse(f, "POST", "/hosts", SW_ERR_INVALID, 1);
	agent_boot(a, 0);
	spin(f);
	spin(f);
	assert_int_equal(a->state, AG_REGISTER_WAIT);
	assert_true(tw_armed(&a->tm));
	assert_int_equal(refusals(f, EP_REGISTER_HOST), 1);
	fire(f, a);
	assert_int_equal(a->state, AG_REGISTERING);
	assert_int_equal(f->nq, 1);
	fx_free(f);
}

/* Agent: a refused poll backs off and polls again. */
static void test_agent_poll(void **state)
{
	struct fx *f = fx_new(0);
	struct agent *a = registered(f);
	(void)state;

	answer(f, 0, 200, "{\"next_instruction_seconds\":60,\"instructions\":[]}");
	fx_refuse(f, "GET", "/instructions", SW_ERR_INVALID, 1);
	fire(f, a);
	spin(f);
	assert_int_equal(a->state, AG_BACKOFF);
	assert_int_equal(a->backoff_ms, 500);
	assert_int_equal(refusals(f, EP_GET_STEPS), 1);
	fire(f, a);
	assert_int_equal(a->state, AG_POLLING);
	assert_int_equal(f->nq, 1);
	fx_free(f);
}

/* Agent: a step reply that was refused is not in the reply cache, so the
 * same reply goes out at the next poll. */
static void test_agent_step_reply(void **state)
{
	struct fx *f = fx_new(0);
	struct agent *a = registered(f);
	(void)state;

	fx_refuse(f, "POST", "/instructions", SW_ERR_INVALID, 1);
	answer(f, 0, 200, INVENTORY_STEP);
	assert_int_equal(f->refused, 1);
	assert_int_equal(a->state, AG_POLL_WAIT);
	spin(f);
	assert_int_equal(refusals(f, EP_POST_STEP), 1);
	fire(f, a);
	answer(f, 0, 200, INVENTORY_STEP);
	assert_int_equal(f->nq, 1);
	assert_string_equal(f->q[0].req->method, "POST");
	answer(f, 0, 204, NULL);
	fx_free(f);
}

/* Installer: a refused stage report still advances the installation. */
static void test_installer_stage(void **state)
{
	struct fx *f = fx_new(0);
	struct agent *a = registered(f);
	int i;
	(void)state;

	fx_refuse(f, "PUT", "/progress", SW_ERR_INVALID, 1);
	answer(f, 0, 200, "{\"next_instruction_seconds\":60,\"instructions\":[{\"step_type\":\"install\","
	       "\"step_id\":\"install-1\",\"args\":[\"{\\\"role\\\":\\\"bootstrap\\\"}\"]}]}");
	assert_non_null(a->inst);
	i = run_until_request(f, "GET", "file_name=bootstrap.ign", 2000);
	assert_true(i >= 0);
	assert_int_equal(f->refused, 1);
	assert_int_equal(refusals(f, EP_HOST_PROGRESS), 1);
	fx_free(f);
}

/* Host logs: a refused logs-progress report goes on with the upload. */
static void test_host_logs(void **state)
{
	struct fx *f = fx_new(0);
	struct agent *a = registered(f);
	(void)state;

	fx_refuse(f, "PUT", "/logs-progress", SW_ERR_INVALID, 1);
	installer_host_logs(a);
	assert_int_equal(a->logs_busy, 1);
	assert_true(run_until_request(f, "POST", "logs_type=host", 2000) >= 0);
	assert_int_equal(refusals(f, EP_HOST_LOGS_PROGRESS), 1);
	fx_free(f);
}

/* Controller: a refused finalizing report still moves the chain on. */
static void test_controller_finalizing(void **state)
{
	struct fx *f = fx_new(0);
	int i;
	(void)state;

	controller_start(f->cl);
	i = find(f, "GET", "/clusters/" CL_ID "?exclude-hosts=true");
	assert_true(i >= 0);
	fx_refuse(f, "PUT", "/clusters/" CL_ID "/progress", SW_ERR_INVALID, 1);
	answer(f, i, 200, "{\"status\":\"finalizing\"}");
	assert_int_equal(f->refused, 1);
	assert_true(run_until_request(f, "GET", "/monitored-operators", 2000) >= 0);
	assert_int_equal(refusals(f, EP_CLUSTER_PROGRESS), 1);
	fx_free(f);
}

/* REST driver: refused component-versions (D0) and install (D5) calls: the
 * driver goes on with the fallback agent image, then polls again and
 * retries the installation. */
static void test_driver_rest(void **state)
{
	struct fx *f = fx_new_ops(0, &cluster_driver_rest);
	int i;
	(void)state;

	f->rt.scale = 1e6; /* the plan's pauses last microseconds */
	f->rt.jitter = 0;
	fx_refuse(f, "GET", "/component-versions", SW_ERR_INVALID, 1);
	assert_int_equal(f->cl->ops->start(f->cl), 0);
	i = run_until_request(f, "POST", "/v2/clusters", 2000);
	assert_true(i >= 0);
	assert_int_equal(f->rt.d0_state, 2);
	answer(f, i, 201, "{\"id\":\"33333333-3333-4333-8333-333333333333\"}");
	i = run_until_request(f, "POST", "/v2/infra-envs", 2000);
	assert_true(i >= 0);
	answer(f, i, 201, "{\"id\":\"44444444-4444-4444-8444-444444444444\","
	       "\"download_url\":\"http://img.example/iso\"}");
	i = run_until_request(f, "GET", "/clusters/33333333-3333-4333-8333-333333333333?", 2000);
	assert_true(i >= 0);
	fx_refuse(f, "POST", "/actions/install", SW_ERR_INVALID, 1);
	answer(f, i, 200, "{\"status\":\"ready\"}");
	assert_int_equal(f->refused, 2);
	i = run_until_request(f, "GET", "/clusters/33333333-3333-4333-8333-333333333333?", 2000);
	assert_true(i >= 0);
	assert_int_equal(refusals(f, EP_INSTALL_CLUSTER), 1);
	assert_int_equal(refusals(f, EP_COMPONENT_VERSIONS), 1);
	assert_false(f->cl->finished);
	/* ready again: the installation is asked for once more */
	answer(f, i, 200, "{\"status\":\"ready\"}");
	assert_true(find(f, "POST", "/actions/install") >= 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent_register),
		cmocka_unit_test(test_agent_poll),
		cmocka_unit_test(test_agent_step_reply),
		cmocka_unit_test(test_installer_stage),
		cmocka_unit_test(test_host_logs),
		cmocka_unit_test(test_controller_finalizing),
		cmocka_unit_test(test_driver_rest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
