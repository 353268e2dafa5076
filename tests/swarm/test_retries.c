/*
 * Retries are never hidden (issue 9, finding 3): what the HTTP client
 * re-sent on its own (it reports them in req->retries) and what the retry
 * policy re-sent after an answer or a transport error are counted per
 * operation and reason in the stats, the results and /metrics, next to the
 * calls and errors of every attempt. Requests stay in memory (engine_fx).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>
#include "engine_fx.h"
#include "metrics.h"
#include "report.h"
#include "rt.h"
#include "sw_err.h"

static int calls;

static void on_done(struct rt_call *c, int err, const char *msg, struct sw_resp *resp)
{
	(void)c;
	(void)err;
	(void)msg;
	(void)resp;
	calls++;
}

/* The client's transport retries as a fake submit reports them: written
 * into the request's counter before its callback. */
static void client_retried(struct fx *f, int i, int reason, unsigned n)
{
	assert_non_null(f->q[i].req->retries);
	f->q[i].req->retries->n[reason] += n;
}

static void test_counted(void **state)
{
	struct fx *f = fx_new(0);
	struct rt_call *c;
	int i;
	(void)state;

	f->rt.scale = 1e6; /* retry pauses of microseconds */
	calls = 0;
	c = cluster_call_new(f->cl, -1, EP_GET_CLUSTER, "GET", "/v2/clusters/x");
	c->retry = RT_RETRY_CONTROLLER;
	rt_call_send(c, on_done);
	/* attempt 1: 503 after one GOAWAY re-send; attempt 2: reset after a
	 * connection closed before the answer; attempt 3: 200 */
	client_retried(f, 0, SW_RETRY_GOAWAY, 1);
	answer(f, 0, 503, NULL);
	i = run_until_request(f, "GET", "/v2/clusters/x", 2000);
	assert_true(i >= 0);
	client_retried(f, i, SW_RETRY_CONN_CLOSED, 2);
	fail_transport(f, i, SW_ERR_RESET);
	i = run_until_request(f, "GET", "/v2/clusters/x", 2000);
	assert_true(i >= 0);
	answer(f, i, 200, "{}");
	assert_int_equal(calls, 1);

	const struct swarm_ep_stats *e = &f->stats.ep[EP_GET_CLUSTER];
	assert_int_equal(e->count, 3);                 /* every attempt is a call */
	assert_int_equal(e->status[503], 1);
	assert_int_equal(e->transport_errors[-SW_ERR_RESET], 1);
	assert_int_equal(e->retries_transport[SW_RETRY_GOAWAY], 1);
	assert_int_equal(e->retries_transport[SW_RETRY_CONN_CLOSED], 2);
	assert_int_equal(e->retries_http[5], 1);        /* http_503 */
	assert_int_equal(e->retries_error[-SW_ERR_RESET], 1);
	assert_int_equal(f->stats.retries, 5);
	assert_int_equal(stats_ep_retries(e), 5);

	/* the names: metrics labels and results keys */
	char buf[48];
	uint64_t n;
	const char *r;
	int seen = 0;
	for (unsigned k = 0; (r = stats_retry_slot(e, k, &n, buf, sizeof(buf))) != NULL; k++) {
		if (!n)
			continue;
		seen++;
		if (!strcmp(r, "goaway"))
			assert_int_equal(n, 1);
		else if (!strcmp(r, "conn_closed_before_response"))
			assert_int_equal(n, 2);
		else if (!strcmp(r, "http_503") || !strcmp(r, "error_reset"))
			assert_int_equal(n, 1);
		else
			fail_msg("unexpected retry reason %s", r);
	}
	assert_int_equal(seen, 4);

	/* /metrics */
	struct evbuffer *out = evbuffer_new();
	assert_int_equal(metrics_render(out, &f->stats, "swarm-1", "t", 1.0), 0);
	size_t len = evbuffer_get_length(out);
	char *text = malloc(len + 1);
	evbuffer_copyout(out, text, len);
	text[len] = 0;
	assert_non_null(strstr(text, "# TYPE swarm_http_request_retries_total counter\n"));
	assert_non_null(strstr(text, "swarm_http_request_retries_total{operation=\"get_cluster\","
	                             "reason=\"conn_closed_before_response\"} 2\n"));
	assert_non_null(strstr(text, "swarm_http_request_retries_total{operation=\"get_cluster\","
	                             "reason=\"http_503\"} 1\n"));
	assert_non_null(strstr(text, "swarm_http_request_retries_total{operation=\"get_cluster\","
	                             "reason=\"error_reset\"} 1\n"));
	assert_non_null(strstr(text, "# TYPE swarm_http_goaways_total counter\n"));
	free(text);
	evbuffer_free(out);

	/* the results document */
	struct report_run run;
	memset(&run, 0, sizeof(run));
	run.run_id = "swarm-1";
	run.exit_reason = "installed";
	run.duration_s = 1;
	json_t *doc = report_json(&f->stats, &run);
	assert_non_null(doc);
	json_t *rj = json_object_get(json_object_get(json_object_get(doc, "endpoints"), "get_cluster"),
	                             "retries");
	assert_true(json_is_object(rj));
	assert_int_equal(json_object_size(rj), 4);
	assert_int_equal(json_integer_value(json_object_get(rj, "goaway")), 1);
	assert_int_equal(json_integer_value(json_object_get(rj, "http_503")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "totals"), "retries")), 5);
	json_decref(doc);

	/* merged over shards */
	struct swarm_stats *m = malloc(sizeof(*m));
	stats_init(m);
	assert_int_equal(stats_merge(m, &f->stats), 0);
	assert_int_equal(stats_merge(m, &f->stats), 0);
	assert_int_equal(m->retries, 10);
	assert_int_equal(m->ep[EP_GET_CLUSTER].retries_transport[SW_RETRY_CONN_CLOSED], 4);
	stats_free(m);
	free(m);
	fx_free(f);
}

/* A call whose retries ran out: the last attempt is an error, not a retry. */
static void test_not_retried_not_counted(void **state)
{
	struct fx *f = fx_new(0);
	struct rt_call *c;
	(void)state;

	calls = 0;
	c = cluster_call_new(f->cl, -1, EP_GET_CLUSTER, "GET", "/v2/clusters/x");
	c->retry = RT_RETRY_NONE;
	rt_call_send(c, on_done);
	answer(f, 0, 503, NULL);
	assert_int_equal(calls, 1);
	assert_int_equal(f->stats.retries, 0);
	assert_int_equal(f->stats.errors, 1);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counted),
		cmocka_unit_test(test_not_retried_not_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
