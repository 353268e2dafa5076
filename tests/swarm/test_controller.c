/*
 * The controller always has exactly one pending action (its timer or its
 * own chain call) until it is finished (issue 9, finding 1: a first cluster
 * GET slower than controller_poll left it with neither, and the cluster
 * never finished). The fixture checks the invariant after every callback;
 * these cases walk the paths that used to break it and the ones around it.
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
#include "cluster.h"
#include "controller.h"
#include "engine_fx.h"
#include "sw_err.h"

#define CL_ID "11111111-1111-4111-8111-111111111111"
#define GET_CLUSTER "/clusters/" CL_ID "?exclude-hosts=true"

/* Runs the loop for |ms| of wall time (timers of a few ms fire). */
static void run_for(struct fx *f, unsigned ms)
{
	uint64_t end = sw_now_ns() + (uint64_t)ms * 1000000ull;
	while (sw_now_ns() < end) {
		struct timeval tv = {0, 2000};
		event_base_loopexit(f->base, &tv);
		event_base_loop(f->base, EVLOOP_ONCE);
		fx_check(f);
	}
}

/* Waits for the next request |method| |part| (it must come) and answers it. */
static void answer_next(struct fx *f, const char *method, const char *part, int status,
                        const char *body)
{
	int i = run_until_request(f, method, part, 2000);
	assert_true(i >= 0);
	answer(f, i, status, body);
}

static struct fx *fast_fx(void)
{
	struct fx *f = fx_new(0);
	f->plan.timings.controller_poll_ms = 20; /* scale 1: 20 ms */
	f->rt.jitter = 0;
	return f;
}

/* The first GET outlives controller_poll: the controller keeps polling
 * after its answer (it stopped for good before). */
static void test_slow_first_get(void **state)
{
	struct fx *f = fast_fx();
	int i;
	(void)state;

	controller_start(f->cl);
	assert_int_equal(controller_pending_actions(f->cl), 1);
	i = find(f, "GET", GET_CLUSTER);
	assert_true(i >= 0);
	run_for(f, 100); /* five poll periods while the GET is unanswered */
	assert_int_equal(f->nq, 1); /* never a second GET in flight */
	answer(f, 0, 200, "{\"status\":\"installing\"}");
	answer_next(f, "GET", GET_CLUSTER, 200, "{\"status\":\"finalizing\"}");
	assert_true(find(f, "PUT", "/clusters/" CL_ID "/progress") >= 0);
	fx_free(f);
}

/* Unanswerable first GETs (transport errors, 5xx, a body without status):
 * the controller retries every second of plan time, then loops. */
static void test_wait_retries(void **state)
{
	struct fx *f = fast_fx();
	(void)state;

	f->rt.scale = 100; /* the 1 s retry takes 10 ms */
	controller_start(f->cl);
	fail_transport(f, find(f, "GET", GET_CLUSTER), SW_ERR_RESET);
	answer_next(f, "GET", GET_CLUSTER, 503, NULL);
	answer_next(f, "GET", GET_CLUSTER, 200, "{}");
	answer_next(f, "GET", GET_CLUSTER, 200, "{\"status\":\"installing\"}");
	answer_next(f, "GET", GET_CLUSTER, 200, "{\"status\":\"installed\"}");
	assert_true(controller_finished(f->cl));
	assert_int_equal(controller_pending_actions(f->cl), 0);
	fx_free(f);
}

/* The finalizing chain: a failed operators list and a 400 on the ingress
 * certificate wait for the timer, which sends the step again; the end of
 * the chain watches the cluster until it is installed. */
static void test_finalizing_retries(void **state)
{
	struct fx *f = fast_fx();
	int i;
	(void)state;

	controller_start(f->cl);
	answer(f, find(f, "GET", GET_CLUSTER), 200, "{\"status\":\"finalizing\"}");
	i = find(f, "PUT", "/progress");
	assert_true(i >= 0);
	answer(f, i, 200, NULL);
	i = find(f, "GET", "/monitored-operators");
	assert_true(i >= 0);
	answer(f, i, 200, "{}"); /* not a list */
	assert_int_equal(f->nq, 0); /* the timer holds the retry */
	answer_next(f, "GET", "/monitored-operators", 200, "[{\"name\":\"console\",\"status\":\"progressing\"},"
	       "{\"name\":\"cvo\",\"status\":\"available\"},{\"name\":\"lso\"}]");
	assert_int_equal(f->nq, 2); /* one batch of PUTs: console and lso */
	answer(f, 0, 200, NULL);
	assert_int_equal(f->nq, 1);
	answer(f, 0, 200, NULL);
	i = find(f, "PUT", "/progress"); /* adding-router-ca */
	assert_true(i >= 0);
	answer(f, i, 200, NULL);
	i = find(f, "POST", "/uploads/ingress-cert");
	assert_true(i >= 0);
	answer(f, i, 400, NULL);
	answer_next(f, "POST", "/uploads/ingress-cert", 201, NULL);
	/* olm stage, done stage, complete, logs requested, upload, completed */
	for (int step = 0; step < 6; step++) {
		assert_int_equal(f->nq, 1);
		answer(f, 0, 200, NULL);
	}
	assert_int_equal(f->nq, 0);
	answer_next(f, "GET", GET_CLUSTER, 200, "{\"status\":\"finalizing\"}");
	answer_next(f, "GET", GET_CLUSTER, 200, "{\"status\":\"installed\"}");
	assert_true(controller_finished(f->cl));
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slow_first_get),
		cmocka_unit_test(test_wait_retries),
		cmocka_unit_test(test_finalizing_retries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
