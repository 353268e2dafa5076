/*
 * rt: one error path (every call ends in its handler, from the loop, also
 * when the client refuses it at once), the fatality predicate in the retry
 * policy, shutdown, and the owners' release hooks. Requests stay in memory
 * (engine_fx).
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
#include "engine_fx.h"
#include "rt.h"
#include "sw_err.h"

struct outcome {
	int calls, err, had_resp, status;
	char msg[128];
};

static void on_done(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct outcome *o = c->auxp;
	o->calls++;
	o->err = err;
	o->had_resp = resp != NULL;
	o->status = resp ? resp->status : 0;
	snprintf(o->msg, sizeof(o->msg), "%s", msg ? msg : "");
}

static struct rt_call *new_call(struct fx *f, enum rt_retry retry, struct outcome *o)
{
	struct rt_call *c = cluster_call_new(f->cl, -1, EP_GET_CLUSTER, "GET", "/v2/clusters/x");
	c->retry = retry;
	c->auxp = o;
	return c;
}

/* A request the client refuses at once reaches the handler, from the loop
 * and not inside rt_call_send(); it is recorded like any failed call.
 * (Before: rt_call_send() returned the error and the handler never ran.) */
static void test_refused_reported_from_loop(void **state)
{
	struct fx *f = fx_new(0);
	struct outcome o = {0};
	(void)state;

	fx_refuse(f, "GET", "/v2/clusters/x", SW_ERR_INVALID, -1);
	rt_call_send(new_call(f, RT_RETRY_DRIVER, &o), on_done);
	assert_int_equal(o.calls, 0);           /* not in the caller's stack */
	assert_int_equal(f->rt.calls_live, 1);
	assert_int_equal(f->cl->owner.live, 1);
	spin(f);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.err, SW_ERR_INVALID);
	assert_false(o.had_resp);
	assert_non_null(strstr(o.msg, "not sent"));
	assert_int_equal(f->refused, 1);        /* fatal: no retry */
	assert_int_equal(f->rt.calls_live, 0);
	assert_int_equal(f->cl->owner.live, 0);
	assert_int_equal(f->stats.ep[EP_GET_CLUSTER].count, 1);
	assert_int_equal(f->stats.ep[EP_GET_CLUSTER].transport_errors[-SW_ERR_INVALID], 1);
	spin(f);
	assert_int_equal(o.calls, 1);           /* exactly once */
	fx_free(f);
}

/* A transient refusal goes through the retry policy like a transport error:
 * the agent policy's 3 retries, then the handler. */
static void test_refused_transient_retried(void **state)
{
	struct fx *f = fx_new(0);
	struct outcome o = {0};
	int k;
	(void)state;

	fx_refuse(f, "GET", "/v2/clusters/x", SW_ERR_CONNECT, -1);
	rt_call_send(new_call(f, RT_RETRY_AGENT, &o), on_done);
	spin(f);
	for (k = 0; k < 3; k++) {
		assert_int_equal(o.calls, 0);
		assert_non_null(f->rt.calls);
		assert_true(tw_armed(&f->rt.calls->retry_tm));
		fire_timer(f, &f->rt.calls->retry_tm);
	}
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.err, SW_ERR_CONNECT);
	assert_int_equal(f->refused, 4);
	assert_int_equal(f->stats.ep[EP_GET_CLUSTER].count, 4);
	fx_free(f);
}

/* The policy asks sw_err_is_fatal(): a fatal transport error is reported at
 * once, a transient one retried. */
static void test_fatal_not_retried(void **state)
{
	struct fx *f = fx_new(0);
	struct outcome o = {0};
	(void)state;

	rt_call_send(new_call(f, RT_RETRY_INSTALLER, &o), on_done);
	assert_int_equal(f->nq, 1);
	fail_transport(f, 0, SW_ERR_TLS_VERIFY);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.err, SW_ERR_TLS_VERIFY);

	memset(&o, 0, sizeof(o));
	rt_call_send(new_call(f, RT_RETRY_INSTALLER, &o), on_done);
	fail_transport(f, 0, SW_ERR_RESET);
	assert_int_equal(o.calls, 0);
	assert_true(tw_armed(&f->rt.calls->retry_tm));
	fire_timer(f, &f->rt.calls->retry_tm);
	assert_int_equal(f->nq, 1);
	answer(f, 0, 200, "{}");
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.err, 0);
	assert_int_equal(o.status, 200);
	fx_free(f);
}

/* Shutdown drops calls without their handlers, refused or not. */
static void test_stopping_drops(void **state)
{
	struct fx *f = fx_new(0);
	struct outcome o = {0};
	(void)state;

	fx_refuse(f, "GET", "/v2/clusters/x", SW_ERR_IO, -1);
	rt_call_send(new_call(f, RT_RETRY_NONE, &o), on_done);
	f->rt.stopping = 1;
	spin(f);
	assert_int_equal(o.calls, 0);
	assert_int_equal(f->rt.calls_live, 0);
	rt_call_send(new_call(f, RT_RETRY_NONE, &o), on_done);
	assert_int_equal(f->rt.calls_live, 0);
	assert_int_equal(f->nq, 0);
	spin(f);
	assert_int_equal(o.calls, 0);
	fx_free(f);
}

/* A bare owner with two hosts, counting its release hooks. */
struct towner {
	struct rt_owner o;
	struct rt_host hosts[2];
	const char *version;
	int released, host_released[2];
};

static struct towner *towner_of(struct rt_owner *o)
{
	return (struct towner *)(void *)o; /* |o| is the first member */
}

static void t_release(struct rt_owner *o)
{
	towner_of(o)->released++;
}

static void t_host_release(struct rt_owner *o, unsigned idx)
{
	towner_of(o)->host_released[idx]++;
}

static struct rt_host *t_host(struct rt_owner *o, unsigned idx)
{
	return idx < 2 ? &towner_of(o)->hosts[idx] : NULL;
}

static const char *t_version(struct rt_owner *o, unsigned idx)
{
	(void)idx;
	return towner_of(o)->version;
}

static const struct rt_owner_ops towner_ops = { t_release, t_host_release, t_host, t_version };

/* rt counts the live calls of an owner and of each host and runs their
 * release hooks exactly when the last one is freed. */
static void test_release_hooks(void **state)
{
	struct fx *f = fx_new(0);
	struct towner t;
	struct rt_call *a, *b, *c;
	(void)state;

	memset(&t, 0, sizeof(t));
	t.o.ops = &towner_ops;
	a = rt_call_new(&f->rt, &t.o, 0, EP_GET_STEPS, "GET", "/v2/a");
	b = rt_call_new(&f->rt, &t.o, 0, EP_GET_STEPS, "GET", "/v2/b");
	c = rt_call_new(&f->rt, &t.o, 1, EP_GET_STEPS, "GET", "/v2/c");
	assert_int_equal(t.o.live, 3);
	assert_int_equal(t.hosts[0].live, 2);
	assert_int_equal(t.hosts[1].live, 1);
	rt_call_send(a, NULL);
	rt_call_send(b, NULL);
	rt_call_send(c, NULL);
	assert_int_equal(f->nq, 3);
	answer(f, 0, 200, NULL);
	assert_int_equal(t.host_released[0], 0);
	assert_int_equal(t.released, 0);
	answer(f, 0, 200, NULL);
	assert_int_equal(t.host_released[0], 1);
	assert_int_equal(t.host_released[1], 0);
	assert_int_equal(t.released, 0);
	fail_transport(f, 0, SW_ERR_CANCELLED);
	assert_int_equal(t.host_released[1], 1);
	assert_int_equal(t.released, 1);
	assert_int_equal(t.o.live, 0);
	/* a host index the owner does not have is an owner-level call */
	a = rt_call_new(&f->rt, &t.o, 7, EP_GET_STEPS, "GET", "/v2/a");
	assert_null(a->rth);
	rt_call_send(a, NULL);
	answer(f, 0, 200, NULL);
	assert_int_equal(t.released, 2);
	/* rt_cleanup() runs the hooks for what it frees */
	a = rt_call_new(&f->rt, &t.o, 1, EP_GET_STEPS, "GET", "/v2/a");
	rt_call_send(a, NULL);
	f->rt.stopping = 1;
	rt_cleanup(&f->rt);
	assert_int_equal(t.released, 3);
	assert_int_equal(t.host_released[1], 2);
	fx_free(f);
}

/* A header value that cannot travel (a CR LF from the service in the agent
 * version) fails the call through its handler instead of aborting or
 * splitting the header block. */
static void test_bad_header_reported(void **state)
{
	struct fx *f = fx_new(0);
	struct towner t;
	struct outcome o = {0};
	struct rt_call *c;
	(void)state;

	memset(&t, 0, sizeof(t));
	t.o.ops = &towner_ops;
	t.version = "v1\r\nx-injected: 1";
	c = rt_call_new(&f->rt, &t.o, 0, EP_GET_STEPS, "GET", "/v2/a");
	c->auth = RT_AUTH_HOST;
	c->retry = RT_RETRY_AGENT;
	c->auxp = &o;
	rt_call_send(c, on_done);
	assert_int_equal(f->nq, 0);
	spin(f);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.err, SW_ERR_INVALID);
	assert_int_equal(t.released, 1);
	/* the same call with a clean version goes out with it */
	t.version = "quay.io/agent:v2";
	c = rt_call_new(&f->rt, &t.o, 0, EP_GET_STEPS, "GET", "/v2/a");
	c->auth = RT_AUTH_HOST;
	rt_call_send(c, NULL);
	assert_int_equal(f->nq, 1);
	assert_string_equal(sw_hdrs_get(&f->q[0].req->hdrs, "discovery_agent_version"), "quay.io/agent:v2");
	answer(f, 0, 200, NULL);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused_reported_from_loop),
		cmocka_unit_test(test_refused_transient_retried),
		cmocka_unit_test(test_fatal_not_retried),
		cmocka_unit_test(test_stopping_drops),
		cmocka_unit_test(test_release_hooks),
		cmocka_unit_test(test_bad_header_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
