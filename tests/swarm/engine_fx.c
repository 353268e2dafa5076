/* engine_fx: the engine tests' fixture (see engine_fx.h). */
#include "engine_fx.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <event2/buffer.h>
#include "controller.h"
#include "installer.h"
#include "sw_err.h"

static int fake_submit(void *arg, struct sw_link *link, struct sw_req *req, sw_resp_cb cb,
                       void *cbarg)
{
	struct fx *f = arg;
	(void)link;
	if (f->refuse_code && f->refuse_left != 0 && !strcmp(req->method, f->refuse_method) &&
	    strstr(req->path, f->refuse_part)) {
		if (f->refuse_left > 0)
			f->refuse_left--;
		f->refused++;
		sw_req_free(&req);
		return f->refuse_code;
	}
	if (f->nq >= MAXQ) {
		sw_req_free(&req);
		return SW_ERR_NOMEM;
	}
	f->q[f->nq].req = req;
	f->q[f->nq].cb = cb;
	f->q[f->nq].arg = cbarg;
	f->nq++;
	return 0;
}

static void on_finished(struct swarm_rt *rt, struct swarm_cluster *cl)
{
	struct fx *f = rt->owner;
	f->finished++;
	f->failed += cl->failed;
}

static int drv_start(struct swarm_cluster *cl)
{
	(void)cl;
	return 0;
}

static const struct cluster_driver_ops fake_ops = {
	.name = "fake", .start = drv_start, .finish = NULL, .free = NULL, .host_event = NULL,
	.drained = NULL, .host_mac = NULL,
};

struct fx *fx_new_ops(unsigned shape, const struct cluster_driver_ops *ops)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct swarm_job job = { .index = 4, .shape = shape, .start_ns = 0, .seed = 99 };

	/* precise time as in a shard (the coarse clock lags up to a jiffy) */
	struct event_config *ecfg = event_config_new();
	assert_non_null(ecfg);
	event_config_set_flag(ecfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	f->base = event_base_new_with_config(ecfg);
	event_config_free(ecfg);
	/* as in a shard: timers 0, replies 1 (the default), sockets 2 */
	assert_int_equal(event_base_priority_init(f->base, 3), 0);
	stats_init(&f->stats);
	f->shapes[0].single_node = 1;
	f->shapes[0].amount = 1;
	f->shapes[1].control_plane = 3;
	f->shapes[1].num_workers = 2;
	f->shapes[1].amount = 1;
	f->plan.shapes = f->shapes;
	f->plan.nshapes = 2;
	f->plan.openshift_version = "4.16";
	f->plan.base_domain = "example.com";
	f->plan.cpu_architecture = "x86_64";
	f->plan.timings.installer_stage_ms = 5000;
	f->plan.timings.write_image_ms = 52000;
	f->plan.timings.write_image_step_pct = 5;
	f->plan.timings.worker_poll_ms = 5000;
	f->plan.timings.controller_poll_ms = 30000;
	f->plan.timings.cluster_poll_ms = 10000;
	f->plan.timings.time_scale = 1.0;   /* timers never fire by themselves in a test */
	f->svc.endpoint = "http://127.0.0.1:9";
	f->svc.pull_secret = "{\"auths\":{}}";
	f->svc.auth = SWARM_AUTH_RHSSO;
	f->ctx.plan = &f->plan;
	f->ctx.svc = &f->svc;
	snprintf(f->ctx.run_id, sizeof(f->ctx.run_id), "swarm-1");
	f->ctx.run_start_ns = sw_now_ns();
	rt_init(&f->rt, f->base, NULL, &f->stats, &f->ctx, 1);
	f->rt.timer_prio = 0;
	f->rt.submit = fake_submit;
	f->rt.submit_arg = f;
	f->rt.owner = f;
	f->rt.cluster_finished = on_finished;
	f->rt.agent_token = strdup("secret-token");
	f->rt.agent_image = strdup("quay.io/agent:v1");
	f->cl = cluster_new(&f->rt, &job, ops);
	f->cl->t_start_ns = sw_now_ns();
	snprintf(f->cl->cluster_id, sizeof(f->cl->cluster_id), "11111111-1111-4111-8111-111111111111");
	snprintf(f->cl->infra_env_id, sizeof(f->cl->infra_env_id), "22222222-2222-4222-8222-222222222222");
	return f;
}

struct fx *fx_new(unsigned shape)
{
	return fx_new_ops(shape, &fake_ops);
}

/* Every live state machine of the cluster has its next action pending: a
 * machine with neither a timer armed nor a call in flight would never move
 * again (the controller of issue 9's finding 1 stopped that way). */
void fx_check(struct fx *f)
{
	struct swarm_cluster *cl = f->cl;

	if (!cl || f->rt.stopping || cl->finished)
		return;
	if (cl->ctl && !controller_finished(cl))
		assert_int_equal(controller_pending_actions(cl), 1);
	if (cl->ops == &cluster_driver_rest)
		assert_true(driver_rest_pending_action(cl));
	for (unsigned i = 0; i < cl->nhosts; i++) {
		struct agent *a = &cl->hosts[i];
		switch ((enum agent_state)a->state) {
		case AG_REGISTER_WAIT:
		case AG_POLL_WAIT:
		case AG_BACKOFF:
			if (!tw_armed(&a->tm))
				fail_msg("host %u in state %s without its timer", i, agent_state_name(a->state));
			break;
		case AG_REGISTERING:
		case AG_POLLING:
			if (a->rth.live == 0)
				fail_msg("host %u in state %s without its call", i, agent_state_name(a->state));
			break;
		case AG_IDLE:
		case AG_REBOOTED:
		case AG_STOPPED:
		case AG_STATE_COUNT:
		default:
			break;
		}
		if (!installer_pending_action(a))
			fail_msg("host %u: installer without a timer or a call", i);
	}
}

void fx_refuse(struct fx *f, const char *method, const char *part, int code, int times)
{
	f->refuse_method = method;
	f->refuse_part = part;
	f->refuse_code = code;
	f->refuse_left = times;
}

int run_until_request(struct fx *f, const char *method, const char *part, unsigned max_ms)
{
	uint64_t end = sw_now_ns() + (uint64_t)max_ms * 1000000ull;
	int i;

	while ((i = find(f, method, part)) < 0 && sw_now_ns() < end) {
		/* A bounded wait: nothing pending would block forever. */
		struct timeval tv = {0, 2000};
		event_base_loopexit(f->base, &tv);
		event_base_loop(f->base, EVLOOP_ONCE);
		fx_check(f);
	}
	return i;
}

void fx_free(struct fx *f)
{
	int i;
	f->rt.stopping = 1;
	for (i = 0; i < f->nq; i++)
		sw_req_free(&f->q[i].req);
	f->nq = 0;
	rt_cleanup(&f->rt);
	cluster_free(&f->cl);
	cluster_free(&f->cl); /* NULL-safe twice */
	stats_free(&f->stats);
	event_base_free(f->base);
	free(f);
}

void spin(struct fx *f)
{
	/* Timers armed for "now" fire when their wheel slot ends: let it end. */
	uint64_t now = sw_now_ns(), end = (now / RT_TIMER_GRID_NS + 1) * RT_TIMER_GRID_NS;
	struct timespec ts = {0, (long)(end - now + 20000)};
	nanosleep(&ts, NULL);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	fx_check(f);
}

void fire_timer(struct fx *f, struct tw_timer *t)
{
	rt_timer_cancel(&f->rt, t);
	t->fn(t);
	spin(f);
}

void fire(struct fx *f, struct agent *a)
{
	fire_timer(f, &a->tm);
}

char *body_of(struct sw_req *req)
{
	size_t n = evbuffer_get_length(req->body);
	char *s = malloc(n + 1);
	evbuffer_copyout(req->body, s, n);
	s[n] = 0;
	return s;
}

int find(struct fx *f, const char *method, const char *part)
{
	int i;
	for (i = 0; i < f->nq; i++)
		if (!strcmp(f->q[i].req->method, method) && strstr(f->q[i].req->path, part))
			return i;
	return -1;
}

void answer(struct fx *f, int i, int status, const char *body)
{
	struct pending p = f->q[i];
	struct sw_resp resp;

	memmove(&f->q[i], &f->q[i + 1], (size_t)(f->nq - i - 1) * sizeof(f->q[0]));
	f->nq--;
	sw_req_free(&p.req);
	memset(&resp, 0, sizeof(resp));
	resp.status = status;
	resp.body = evbuffer_new();
	if (body)
		evbuffer_add(resp.body, body, strlen(body));
	resp.t_sent_ns = resp.t_done_ns = sw_now_ns();
	p.cb(p.arg, 0, NULL, &resp);
	evbuffer_free(resp.body);
	fx_check(f);
}

void fail_transport(struct fx *f, int i, int err)
{
	struct pending p = f->q[i];
	memmove(&f->q[i], &f->q[i + 1], (size_t)(f->nq - i - 1) * sizeof(f->q[0]));
	f->nq--;
	sw_req_free(&p.req);
	p.cb(p.arg, err, "test failure", NULL);
	fx_check(f);
}

const char *const REG_OK =
	"{\"kind\":\"Host\",\"id\":\"x\",\"status\":\"discovering\",\"next_step_runner_command\":"
	"{\"command\":\"\",\"args\":[\"{\\\"agent_version\\\":\\\"quay.io/agent:v9\\\",\\\"host_id\\\":\\\"x\\\","
	"\\\"infra_env_id\\\":\\\"y\\\"}\"]}}";

struct agent *registered(struct fx *f)
{
	struct agent *a = &f->cl->hosts[0];
	agent_boot(a, 0);
	spin(f);
	assert_int_equal(f->nq, 1);
	answer(f, 0, 201, REG_OK);
	assert_int_equal(a->state, AG_POLLING);
	assert_int_equal(f->nq, 1);
	return a;
}
