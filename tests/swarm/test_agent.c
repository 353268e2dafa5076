/* agent: state machine transitions on canned service responses (no sockets). */
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
#include "agent.h"
#include "cluster.h"
#include "engine_fx.h"
#include "rt.h"
#include "sw_err.h"

static void note_queue(evutil_socket_t fd, short what, void *arg)
{
	struct fx *f = arg;
	(void)fd;
	(void)what;
	f->nq_seen_by_other = f->nq;
}

/* A due agent timer runs ahead of reply work of the default priority that
 * was queued before it (the wheel's event gets rt->timer_prio). */
static void test_timer_priority(void **state)
{
	struct fx *f = fx_new(1);
	struct agent *a = &f->cl->hosts[0];
	struct event other;
	(void)state;
	event_assign(&other, f->base, -1, 0, note_queue, f);
	f->nq_seen_by_other = -1;
	agent_boot(a, 0);
	event_active(&other, EV_READ, 1);
	spin(f);
	spin(f);
	assert_int_equal(f->nq, 1);               /* the registration */
	assert_int_equal(f->nq_seen_by_other, 1); /* ...sent before |other| ran */
	assert_int_equal(event_get_priority(&f->rt.wheel_ev), 0);
	fx_free(f);
}

static void test_register_and_poll(void **state)
{
	struct fx *f = fx_new(1);
	struct agent *a = &f->cl->hosts[0];
	struct sw_req *r;
	char *b;
	json_t *j;
	(void)state;

	assert_int_equal(a->state, AG_IDLE);
	agent_boot(a, 0);
	spin(f);
	assert_int_equal(a->state, AG_REGISTERING);
	assert_int_equal(a->phase, HP_REGISTERING);
	assert_int_equal(f->nq, 1);
	r = f->q[0].req;
	assert_string_equal(r->method, "POST");
	assert_string_equal(r->path, "/api/assisted-install/v2/infra-envs/22222222-2222-4222-8222-222222222222/hosts");
	assert_string_equal(sw_hdrs_get(&r->hdrs, "x-secret-key"), "secret-token");
	assert_string_equal(sw_hdrs_get(&r->hdrs, "discovery_agent_version"), "quay.io/agent:v1");
	b = body_of(r);
	j = json_loads(b, 0, NULL);
	free(b);
	assert_string_equal(json_string_value(json_object_get(j, "host_id")), a->host_id);
	assert_int_equal(json_object_size(j), 2);
	json_decref(j);

	answer(f, 0, 201, REG_OK);
	assert_int_equal(a->state, AG_POLLING);
	assert_int_equal(a->phase, HP_DISCOVERY);
	assert_string_equal(a->version, "quay.io/agent:v9");
	r = f->q[0].req;
	assert_string_equal(r->method, "GET");
	assert_non_null(strstr(r->path, "/instructions?timestamp="));
	assert_string_equal(sw_hdrs_get(&r->hdrs, "discovery_agent_version"), "quay.io/agent:v9");

	answer(f, 0, 200, "{\"next_instruction_seconds\":60,\"post_step_action\":\"continue\","
	       "\"instructions\":[{\"step_type\":\"inventory\",\"step_id\":\"inventory-1\",\"args\":[\"x\"]}]}");
	assert_int_equal(a->state, AG_POLL_WAIT);
	assert_true(tw_armed(&a->tm));
	assert_int_equal(f->nq, 1);
	r = f->q[0].req;
	assert_string_equal(r->method, "POST");
	assert_non_null(strstr(r->path, "/instructions"));
	b = body_of(r);
	j = json_loads(b, 0, NULL);
	free(b);
	assert_string_equal(json_string_value(json_object_get(j, "step_id")), "inventory-1");
	assert_true(json_is_string(json_object_get(j, "output")));
	json_decref(j);
	answer(f, 0, 204, NULL);

	/* same inventory again: the reply cache suppresses the identical reply */
	fire(f, a);
	assert_int_equal(a->state, AG_POLLING);
	answer(f, 0, 200, "{\"next_instruction_seconds\":60,"
	       "\"instructions\":[{\"step_type\":\"inventory\",\"step_id\":\"inventory-2\",\"args\":[\"x\"]}]}");
	assert_int_equal(f->nq, 0);
	assert_int_equal(a->state, AG_POLL_WAIT);

	/* a failed GET flushes the cache and backs off 0.5 s */
	fire(f, a);
	answer(f, 0, 500, "{\"code\":\"500\"}");
	assert_int_equal(a->state, AG_BACKOFF);
	assert_int_equal(a->backoff_ms, 500);
	fire(f, a);
	answer(f, 0, 502, NULL);
	assert_int_equal(a->backoff_ms, 750);
	fire(f, a);
	answer(f, 0, 200, "{\"instructions\":[{\"step_type\":\"inventory\",\"step_id\":\"inventory-3\",\"args\":[\"x\"]}]}");
	assert_int_equal(f->nq, 1);  /* sent again after the flush */
	assert_int_equal(a->backoff_ms, 0);
	answer(f, 0, 204, NULL);
	assert_true(f->stats.ep[EP_GET_STEPS].count >= 4);
	assert_int_equal(f->stats.ep[EP_REGISTER_HOST].status[201], 1);
	fx_free(f);
}

/* The run's agent image is shared, not copied per cluster; other versions
 * get the cluster's own copies. */
static void test_intern_run_image(void **state)
{
	struct fx *f = fx_new(1);
	static const char run_image[] = "quay.io/agent:run";
	char same[] = "quay.io/agent:run";
	(void)state;

	f->ctx.agent_image = run_image;
	assert_ptr_equal(cluster_intern_version(f->cl, same), run_image);
	const char *other = cluster_intern_version(f->cl, "quay.io/agent:v9");
	assert_ptr_not_equal(other, run_image);
	assert_string_equal(other, "quay.io/agent:v9");
	assert_ptr_equal(cluster_intern_version(f->cl, "quay.io/agent:v9"), other);
	assert_ptr_equal(f->cl->versions[0], other);
	assert_null(f->cl->versions[1]);
	fx_free(f);
}

static void test_register_refused_stops(void **state)
{
	static const int codes[] = { 401, 403, 404, 409 };
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		struct fx *f = fx_new(0);
		struct agent *a = &f->cl->hosts[0];
		agent_boot(a, 0);
		spin(f);
		answer(f, 0, codes[i], "{\"code\":401,\"message\":\"unauthenticated\"}");
		assert_int_equal(a->state, AG_STOPPED);
		assert_int_equal(a->phase, HP_FAILED);
		assert_false(tw_armed(&a->tm));
		assert_int_equal(f->nq, 0);
		assert_int_equal(f->finished, 1);
		assert_int_equal(f->failed, 1);
		assert_non_null(strstr(cluster_record(f->cl) ? "x" : "registration", "registration"));
		fx_free(f);
	}
}

static void test_register_errors_retry(void **state)
{
	struct fx *f = fx_new(0);
	struct agent *a = &f->cl->hosts[0];
	(void)state;

	agent_boot(a, 0);
	spin(f);
	answer(f, 0, 500, "{}");
	assert_int_equal(a->state, AG_REGISTER_WAIT);
	assert_true(tw_armed(&a->tm));
	fire(f, a);
	assert_int_equal(a->state, AG_REGISTERING);
	/* 201 with garbage: an error path, retried later */
	answer(f, 0, 201, "<html>");
	assert_int_equal(a->state, AG_REGISTER_WAIT);
	fire(f, a);
	/* 503: the transport-level retry (2-10 s) keeps the call, nothing visible yet */
	answer(f, 0, 503, NULL);
	assert_int_equal(a->state, AG_REGISTERING);
	assert_int_equal(f->nq, 0);
	assert_int_equal(f->rt.calls_live, 1);
	/* registration without next_step_runner_command keeps the current version */
	f->rt.stopping = 0;
	{
		struct rt_call *c = f->rt.calls;
		fire_timer(f, &c->retry_tm);
	}
	assert_int_equal(f->nq, 1);
	answer(f, 0, 201, "{\"kind\":\"Host\"}");
	assert_int_equal(a->state, AG_POLLING);
	assert_string_equal(a->version, "quay.io/agent:v1");
	fx_free(f);
}

static void test_transport_errors(void **state)
{
	struct fx *f = fx_new(0);
	struct agent *a = registered(f);
	int k;
	(void)state;

	/* connect errors: 3 transport retries, then the poll counts as failed */
	for (k = 0; k < 3; k++) {
		fail_transport(f, 0, SW_ERR_CONNECT);
		assert_int_equal(a->state, AG_POLLING);
		fire_timer(f, &f->rt.calls->retry_tm);
		assert_int_equal(f->nq, 1);
	}
	fail_transport(f, 0, SW_ERR_CONNECT);
	assert_int_equal(a->state, AG_BACKOFF);
	assert_int_equal(f->stats.ep[EP_GET_STEPS].count, 4);
	fx_free(f);
}

static void test_poll_404_freezes(void **state)
{
	struct fx *f = fx_new(0);
	struct agent *a = registered(f);
	(void)state;

	answer(f, 0, 404, "{\"kind\":\"Error\",\"id\":404,\"href\":\"\",\"code\":\"404\",\"reason\":\"not found\"}");
	assert_int_equal(a->state, AG_STOPPED);
	assert_int_equal(a->phase, HP_FAILED);
	assert_int_equal(f->nq, 0);
	assert_int_equal(f->failed, 1);
	fx_free(f);
}

static void test_poll_garbage(void **state)
{
	struct fx *f = fx_new(0);
	struct agent *a = registered(f);
	(void)state;

	answer(f, 0, 200, "not json at all");
	assert_int_equal(a->state, AG_BACKOFF);
	fire(f, a);
	/* wrong types everywhere: instructions not a list, seconds a string */
	answer(f, 0, 200, "{\"next_instruction_seconds\":\"soon\",\"instructions\":{\"a\":1},"
	       "\"post_step_action\":7}");
	assert_int_equal(a->state, AG_POLL_WAIT);
	fire(f, a);
	/* instructions with junk members are skipped */
	answer(f, 0, 200, "{\"instructions\":[1,null,{\"step_id\":\"x\"},{\"step_type\":\"bogus\",\"step_id\":\"b-1\"}]}");
	assert_int_equal(f->nq, 1);  /* only the bogus step is answered (with an error) */
	{
		char *b = body_of(f->q[0].req);
		assert_non_null(strstr(b, "\"exit_code\":-1"));
		free(b);
	}
	answer(f, 0, 204, NULL);
	assert_int_equal(a->state, AG_POLL_WAIT);
	fx_free(f);
}

static void test_upgrade_agent(void **state)
{
	struct fx *f = fx_new(0);
	struct agent *a = registered(f);
	char *b;
	(void)state;

	answer(f, 0, 200, "{\"next_instruction_seconds\":60,\"instructions\":[{\"step_type\":\"upgrade-agent\","
	       "\"step_id\":\"upgrade-agent-1\",\"args\":[\"{\\\"agent_image\\\":\\\"quay.io/agent:v10\\\"}\"]}]}");
	/* the reply, then a new registration with the new image */
	assert_int_equal(f->nq, 2);
	b = body_of(f->q[0].req);
	assert_non_null(strstr(b, "upgrade-agent-1"));
	assert_non_null(strstr(b, "success"));
	free(b);
	assert_int_equal(a->state, AG_REGISTERING);
	b = body_of(f->q[1].req);
	assert_non_null(strstr(b, "quay.io/agent:v10"));
	free(b);
	assert_string_equal(sw_hdrs_get(&f->q[1].req->hdrs, "discovery_agent_version"), "quay.io/agent:v10");
	assert_int_equal(a->sessions, 2);
	fx_free(f);
}

static void test_exit_reregisters(void **state)
{
	struct fx *f = fx_new(0);
	struct agent *a = registered(f);
	(void)state;

	answer(f, 0, 200, "{\"post_step_action\":\"exit\",\"instructions\":null}");
	assert_int_equal(a->state, AG_REGISTERING);
	assert_int_equal(f->nq, 1);
	assert_string_equal(f->q[0].req->method, "POST");
	assert_non_null(strstr(f->q[0].req->path, "/hosts"));
	fx_free(f);
}

static void test_install_and_reboot(void **state)
{
	struct fx *f = fx_new(0);
	struct agent *a = registered(f);
	char *b;
	int i;
	(void)state;

	answer(f, 0, 200, "{\"next_instruction_seconds\":60,\"instructions\":[{\"step_type\":\"install\","
	       "\"step_id\":\"install-1\",\"args\":[\"{\\\"role\\\":\\\"bootstrap\\\",\\\"control_plane_count\\\":1}\"]},"
	       "{\"step_type\":\"dhcp-lease-allocate\",\"step_id\":\"dhcp-1\",\"args\":[\"{}\"]}]}");
	assert_non_null(a->inst);
	assert_int_equal(a->role, AS_ROLE_SNO);
	assert_int_equal(a->phase, HP_INSTALLING);
	assert_int_equal(f->nq, 2);
	answer(f, 0, 204, NULL);
	answer(f, 0, 204, NULL);
	spin(f); /* the installer starts: Starting installation */
	assert_int_equal(f->nq, 1);
	assert_string_equal(f->q[0].req->method, "PUT");
	assert_non_null(strstr(f->q[0].req->path, "/progress"));
	b = body_of(f->q[0].req);
	assert_string_equal(b, "{\"current_stage\":\"Starting installation\",\"progress_info\":\"bootstrap\"}");
	free(b);
	answer(f, 0, 409, "{\"code\":\"409\"}"); /* counted, installer goes on */

	/* the install step again: podman's "already in use" answer, no second installer */
	fire(f, a);
	answer(f, 0, 200, "{\"next_instruction_seconds\":60,\"instructions\":[{\"step_type\":\"install\","
	       "\"step_id\":\"install-2\",\"args\":[\"{\\\"role\\\":\\\"bootstrap\\\"}\"]}]}");
	/* the installer went on meanwhile: bootstrap.ign download */
	i = find(f, "GET", "downloads/files?file_name=bootstrap.ign");
	assert_true(i >= 0);
	answer(f, i, 200, "{}");
	i = find(f, "POST", "/instructions");
	assert_true(i >= 0);
	b = body_of(f->q[i].req);
	assert_non_null(strstr(b, "\"exit_code\":125"));
	assert_non_null(strstr(b, "is already in use"));
	free(b);
	answer(f, i, 204, NULL);

	/* a GET in flight when the host reboots is ignored; the host stays silent */
	fire(f, a);
	assert_int_equal(a->state, AG_POLLING);
	agent_rebooted(a);
	assert_int_equal(a->state, AG_REBOOTED);
	assert_int_equal(a->phase, HP_REBOOTED);
	for (i = f->nq - 1; i >= 0; i--)
		if (!strcmp(f->q[i].req->method, "GET") && strstr(f->q[i].req->path, "/instructions"))
			answer(f, i, 200, "{\"instructions\":[{\"step_type\":\"inventory\",\"step_id\":\"i-9\",\"args\":[]}]}");
	/* the single node rebooted: its controller starts (C1) and reports it Joined (C3) */
	assert_int_equal(f->nq, 2);
	assert_true(find(f, "GET", "?exclude-hosts=true") >= 0);
	i = find(f, "PUT", "/progress");
	assert_true(i >= 0);
	b = body_of(f->q[i].req);
	assert_string_equal(b, "{\"current_stage\":\"Joined\"}");
	free(b);
	/* Joined answered: Done follows */
	answer(f, i, 200, NULL);
	i = find(f, "PUT", "/progress");
	b = body_of(f->q[i].req);
	assert_string_equal(b, "{\"current_stage\":\"Done\"}");
	free(b);
	answer(f, i, 200, NULL);
	assert_int_equal(a->phase, HP_DONE);
	assert_non_null(f->cl->ctl);
	assert_int_equal(a->state, AG_REBOOTED);
	assert_false(tw_armed(&a->tm));
	fx_free(f);
}

static void test_logs_gather(void **state)
{
	struct fx *f = fx_new(0);
	struct agent *a = registered(f);
	char *b;
	(void)state;

	answer(f, 0, 200, "{\"next_instruction_seconds\":120,\"instructions\":[{\"step_type\":\"logs-gather\","
	       "\"step_id\":\"logs-gather-1\",\"args\":[\"{\\\"bootstrap\\\":false}\"]}]}");
	/* reply + logs-progress requested */
	assert_int_equal(f->nq, 2);
	b = body_of(f->q[1].req);
	assert_string_equal(b, "{\"logs_state\":\"requested\"}");
	free(b);
	answer(f, 1, 204, NULL);
	assert_int_equal(f->nq, 2);
	assert_non_null(strstr(f->q[1].req->path, "/logs?logs_type=host&infra_env_id="));
	assert_non_null(strstr(sw_hdrs_get(&f->q[1].req->hdrs, "content-type"), "multipart/form-data; boundary="));
	b = body_of(f->q[1].req);
	assert_non_null(strstr(b, "name=\"upfile\""));
	free(b);
	answer(f, 1, 204, NULL);
	b = body_of(f->q[1].req);
	assert_string_equal(b, "{\"logs_state\":\"completed\"}");
	free(b);
	answer(f, 1, 204, NULL);
	assert_int_equal(a->logs_busy, 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_priority),
		cmocka_unit_test(test_register_and_poll),
		cmocka_unit_test(test_intern_run_image),
		cmocka_unit_test(test_register_refused_stops),
		cmocka_unit_test(test_register_errors_retry),
		cmocka_unit_test(test_transport_errors),
		cmocka_unit_test(test_poll_404_freezes),
		cmocka_unit_test(test_poll_garbage),
		cmocka_unit_test(test_upgrade_agent),
		cmocka_unit_test(test_exit_reregisters),
		cmocka_unit_test(test_install_and_reboot),
		cmocka_unit_test(test_logs_gather),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
