/*
 * Values from the service's replies that the swarm sends back in request
 * heads (issue 9, finding 10): a cluster or infra-env id goes into every
 * later path, an agent version into the discovery_agent_version header.
 * One with a space, CR, LF or NUL is refused where it is read (the cluster
 * fails with a clear reason, the agent keeps its version); no request that
 * carries it is ever queued.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "agent.h"
#include "cluster.h"
#include "engine_fx.h"
#include "sw_http.h"

/* A REST-driven fixture whose cluster has a record (for its failure text). */
static struct fx *rest_fx(void)
{
	struct fx *f = fx_new_ops(0, &cluster_driver_rest);
	struct swarm_cluster_record rec;
	memset(&rec, 0, sizeof(rec));
	f->cl->rec = stats_add_cluster(&f->stats, &rec);
	f->rt.scale = 1e6;
	f->rt.jitter = 0;
	return f;
}

/* No queued request has a bad byte in its head. */
static void heads_clean(struct fx *f)
{
	for (int i = 0; i < f->nq; i++) {
		assert_int_equal(sw_req_check(f->q[i].req), 0);
		assert_null(strstr(f->q[i].req->path, "Injected"));
	}
}

static void test_bad_ids(void **state)
{
	static const char *const ids[] = {
		"{\"id\":\"33333333-3333-4333-8333-33333333\\r\\nInjected: 1\"}",
		"{\"id\":\"a b\"}",
		"{\"id\":\"a\\u0000b\"}",
		"{\"id\":\"\"}",
		"{\"id\":7}",
		"{\"id\":\"../../v2/clusters\"}",
	};
	(void)state;
	for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
		struct fx *f = rest_fx();
		assert_int_equal(f->cl->ops->start(f->cl), 0);
		int i = run_until_request(f, "GET", "/component-versions", 2000);
		assert_true(i >= 0);
		answer(f, i, 200, "{\"versions\":{\"discovery-agent\":\"quay.io/a:v1\"}}");
		i = run_until_request(f, "POST", "/v2/clusters", 2000);
		assert_true(i >= 0);
		answer(f, i, 201, ids[k]);
		heads_clean(f);
		assert_true(f->cl->finished);
		assert_int_equal(f->failed, 1);
		assert_string_equal(cluster_record(f->cl)->failure,
		                    "register cluster: response without a usable id");
		fx_free(f);
	}
	/* the same for the infra-env's id */
	struct fx *f = rest_fx();
	assert_int_equal(f->cl->ops->start(f->cl), 0);
	int i = run_until_request(f, "GET", "/component-versions", 2000);
	answer(f, i, 200, "{}");
	i = run_until_request(f, "POST", "/v2/clusters", 2000);
	answer(f, i, 201, "{\"id\":\"33333333-3333-4333-8333-333333333333\"}");
	i = run_until_request(f, "POST", "/v2/infra-envs", 2000);
	assert_true(i >= 0);
	answer(f, i, 201, "{\"id\":\"x\\r\\nInjected: 1\"}");
	heads_clean(f);
	assert_true(f->cl->finished);
	assert_string_equal(cluster_record(f->cl)->failure,
	                    "register infra-env: response without a usable id");
	fx_free(f);
}

/* An agent_version with a CR LF in the registration reply is not sent back. */
static void test_bad_agent_version(void **state)
{
	struct fx *f = fx_new(0);
	struct agent *a = &f->cl->hosts[0];
	const char *before;
	(void)state;

	agent_boot(a, 0);
	spin(f);
	before = a->version;
	answer(f, 0, 201, "{\"id\":\"x\",\"next_step_runner_command\":{\"args\":[\"{\\\"agent_version\\\":"
	       "\\\"quay.io/a:v9\\\\r\\\\nInjected: 1\\\"}\"]}}");
	assert_int_equal(a->state, AG_POLLING);
	assert_string_equal(a->version, before);
	heads_clean(f);
	for (int i = 0; i < f->nq; i++)
		for (size_t h = 0; h < f->q[i].req->hdrs.n; h++)
			assert_null(strstr(f->q[i].req->hdrs.v[h].value, "Injected"));
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_ids),
		cmocka_unit_test(test_bad_agent_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
