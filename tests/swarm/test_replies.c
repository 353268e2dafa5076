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
#include "replies.h"
#include "sw_err.h"
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

/* replies_agent_version over |body|. */
static int version_of(const char *body, char *out, size_t outlen, size_t *vlen)
{
	return replies_agent_version(body, strlen(body), out, outlen, vlen);
}

/* The registration reply with agent_version |v| (JSON string text, inner
 * quotes escaped once) inside args[0]. */
static char *reg_reply(const char *v)
{
	static char buf[4096];
	snprintf(buf, sizeof(buf),
	         "{\"id\":\"x\",\"next_step_runner_command\":{\"args\":[\"{\\\"agent_version\\\":%s}\"]}}", v);
	return buf;
}

static void test_agent_version_rule(void **state)
{
	char out[600], v[700];
	size_t vlen = 99;
	(void)state;

	assert_int_equal(version_of(reg_reply("\\\"quay.io\\\\/a:v1\\\""), out, sizeof(out), &vlen), 1);
	assert_string_equal(out, "quay.io/a:v1");
	assert_int_equal(vlen, 12);
	/* 511 bytes: usable; 512: refused with its length */
	for (size_t n = 511; n <= 512; n++) {
		memset(v, 0, sizeof(v));
		v[0] = '\\', v[1] = '"';
		memset(v + 2, 'a', n);
		memcpy(v + 2 + n, "\\\"", 2);
		assert_int_equal(version_of(reg_reply(v), out, sizeof(out), &vlen), n < 512 ? 1 : -1);
		assert_int_equal(vlen, n);
		assert_int_equal(strlen(out), n < 512 ? n : 0);
	}
	/* longer than the caller's buffer: refused */
	assert_int_equal(version_of(reg_reply("\\\"abcdef\\\""), out, 4, &vlen), -1);
	assert_int_equal(vlen, 6);
	/* control bytes: CR LF, ESC, DEL (a tab is allowed in a header value) */
	assert_int_equal(version_of(reg_reply("\\\"a\\\\r\\\\nb\\\""), out, sizeof(out), &vlen), -1);
	assert_int_equal(version_of(reg_reply("\\\"a\\\\u001bb\\\""), out, sizeof(out), &vlen), -1);
	assert_int_equal(version_of(reg_reply("\\\"a\\\\tb\\\""), out, sizeof(out), &vlen), 1);
	assert_int_equal(version_of(reg_reply("\\\"a\\\\u007fb\\\""), out, sizeof(out), &vlen), -1);
	/* a NUL: the inner document is refused, as jansson refuses it */
	assert_int_equal(version_of(reg_reply("\\\"a\\\\u0000b\\\""), out, sizeof(out), &vlen), 0);
	/* none: empty, not a string, inner not an object, no args */
	assert_int_equal(version_of(reg_reply("\\\"\\\""), out, sizeof(out), &vlen), 0);
	assert_int_equal(version_of(reg_reply("7"), out, sizeof(out), &vlen), 0);
	assert_int_equal(version_of("{\"next_step_runner_command\":{\"args\":[\"[1]\"]}}", out,
	                            sizeof(out), &vlen), 0);
	assert_int_equal(version_of("{\"next_step_runner_command\":{\"args\":[]}}", out, sizeof(out),
	                            &vlen), 0);
	assert_int_equal(version_of("{}", out, sizeof(out), &vlen), 0);
	/* the reply itself unusable */
	assert_int_equal(version_of("[]", out, sizeof(out), &vlen), SW_ERR_PARSE);
	assert_int_equal(version_of("{\"id\":", out, sizeof(out), &vlen), SW_ERR_PARSE);
	assert_int_equal(replies_agent_version(NULL, 0, out, sizeof(out), &vlen), SW_ERR_PARSE);
}

static int count_instr(void *arg, const struct steps_instr *in)
{
	unsigned *n = arg;
	(*n)++;
	return sw_jscan_streq(&in->type, "stop") ? 7 : 0;
}

static void test_steps(void **state)
{
	const char *b = "{\"next_instruction_seconds\":2.5,\"post_step_action\":\"exit\",\"instructions\":"
	                "[{\"step_type\":\"inventory\"},{\"step_type\":\"stop\"},{\"step_type\":\"x\"}]}";
	struct replies_steps rs;
	unsigned n = 0;
	(void)state;

	assert_int_equal(replies_steps(b, strlen(b), &rs), 0);
	assert_true(rs.next_s == 2.5);
	assert_int_equal(rs.exit, 1);
	assert_int_equal(replies_steps_each(&rs, count_instr, &n), 7);
	assert_int_equal(n, 2);
	b = "{\"next_instruction_seconds\":\"5\",\"post_step_action\":\"continue\",\"instructions\":{}}";
	assert_int_equal(replies_steps(b, strlen(b), &rs), 0);
	assert_true(rs.next_s == 0);
	assert_int_equal(rs.exit, 0);
	n = 0;
	assert_int_equal(replies_steps_each(&rs, count_instr, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(replies_steps("[]", 2, &rs), SW_ERR_PARSE);
	assert_int_equal(replies_steps("{\"a\":1", 6, &rs), SW_ERR_PARSE);
}

static void test_cluster(void **state)
{
	const char *b = "{\"status\":\"error\",\"status_info\":\"it broke\",\"host_networks\":"
	                "[{\"cidr\":\"fe80::/64\"},{\"cidr\":\"10.3.0.0/16\"}]}";
	char info[8];
	(void)state;

	assert_int_equal(replies_cluster_status(b, strlen(b), info, sizeof(info)), AS_CLUSTER_ERROR);
	assert_string_equal(info, "it brok"); /* cut to fit */
	assert_int_equal(replies_cluster_status("{\"status\":\"bogus\"}", 18, info, sizeof(info)), -1);
	assert_int_equal(replies_cluster_status("{\"status\":", 10, info, sizeof(info)), -1);
	assert_string_equal(info, "");
	assert_int_equal(replies_host_network_holds(b, strlen(b), "10.3.255.2"), 1);
	assert_int_equal(replies_host_network_holds(b, strlen(b), "10.4.0.1"), 0);
	assert_int_equal(replies_host_network_holds("{}", 2, "10.3.255.2"), 0);
}

static void test_host_lists(void **state)
{
	static const char *const known[] = {"known-unbound", "known", NULL};
	const char *b = "[{\"status\":\"known\",\"progress\":{\"current_stage\":\"Done\"}},"
	                "{\"status\":\"insufficient\"},7,{\"status\":\"known-unbound\","
	                "\"progress\":{\"current_stage\":\"Rebooting\"}}]";
	(void)state;

	assert_int_equal(replies_hosts_with_status(b, strlen(b), known), 2);
	assert_int_equal(replies_hosts_at_stage(b, strlen(b), "Done"), 1);
	/* an invalid list counts nothing, also what came before the error */
	assert_int_equal(replies_hosts_with_status(b, strlen(b) - 1, known), 0);
	assert_int_equal(replies_hosts_with_status("{\"status\":\"known\"}", 18, known), 0);
}

static void test_id(void **state)
{
	struct sw_jscan_pick id = {.ptr = "/id"};
	char out[8];
	(void)state;

	assert_int_equal(sw_jscan("{\"id\":\"ab-c_1.2\"}", 17, &id, 1), 0);
	char big[16];
	assert_int_equal(replies_id(&id.v, out, sizeof(out)), 0); /* needs 9 bytes */
	assert_int_equal(replies_id(&id.v, big, sizeof(big)), 1);
	assert_string_equal(big, "ab-c_1.2");
	assert_int_equal(sw_jscan("{\"id\":\"a/b\"}", 12, &id, 1), 0);
	assert_int_equal(replies_id(&id.v, big, sizeof(big)), 0);
	assert_string_equal(big, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_ids),
		cmocka_unit_test(test_bad_agent_version),
		cmocka_unit_test(test_agent_version_rule),
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_cluster),
		cmocka_unit_test(test_host_lists),
		cmocka_unit_test(test_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
