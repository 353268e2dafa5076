/*
 * rt: the shard runtime (see rt.h). A call's life: rt_call_new() links it
 * and counts it live for its owner and host; rt_call_send() submits it, or
 * -- when the client refuses at once -- arms its own event so the failure
 * reaches on_resp() from the loop like any other; on_resp() records it,
 * re-arms the same event for a retry or runs the handler; freeing the call
 * uncounts it and runs the owner's release hooks at zero.
 */
#include "rt.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <event2/buffer.h>
#include "apigen.h"
#include "as_model.h"
#include "ops.h"
#include "sw_err.h"
#include "sw_xalloc.h"

void rt_init(struct swarm_rt *rt, struct event_base *base, struct sw_client *client,
             struct swarm_stats *stats, const struct swarm_ctx *ctx, uint64_t seed)
{
	memset(rt, 0, sizeof(*rt));
	rt->base = base;
	rt->client = client;
	rt->stats = stats;
	rt->ctx = ctx;
	rt->plan = ctx->plan;
	rt->svc = ctx->svc;
	rt->scale = ctx->plan && ctx->plan->timings.time_scale > 1e-6 ? ctx->plan->timings.time_scale : 1.0;
	rt->jitter = ctx->plan ? ctx->plan->timings.jitter : 0.0;
	if (rt->jitter < 0)
		rt->jitter = 0;
	if (rt->jitter > 0.9)
		rt->jitter = 0.9;
	rt->verbose = ctx->opts ? ctx->opts->verbose : 0;
	rt->dedicated = ctx->svc && ctx->svc->policy == SWARM_CONN_DEDICATED;
	rt->vip_legacy = -1;
	rt->timer_prio = -1;
	if (ctx->versions_known) {
		/* main asked the service before the shards started */
		rt->d0_state = 2;
		rt->agent_image = ctx->agent_image ? xstrdup(ctx->agent_image) : NULL;
	}
	/* The generation main decided (apigen.h), else what the config names. */
	int gen = ctx->api_gen ? ctx->api_gen : (int)apigen_from_config(ctx->svc);
	if (gen == SWARM_GEN_2023) {
		rt->vip_legacy = 1;
		rt->cpc_refused = 1;
		rt->no_fin_progress = 1;
	} else if (gen == SWARM_GEN_CURRENT) {
		rt->vip_legacy = 0;
	}
	ids_rng_seed(&rt->rng, seed);
	/* 2^17 slots of 500 us: a 65 s horizon (later timers wait for their round) */
	tw_init(&rt->wheel, RT_TIMER_GRID_NS, 17, sw_now_ns());
	if (ctx->svc && ctx->svc->auth == SWARM_AUTH_RHSSO)
		rt->agent_token = xstrdup(ctx->svc->agent_token); /* the loader derived it */
	if (ctx->svc)
		rt->bearer = swarm_service_bearer(ctx->svc);
}

static void call_unlink_free(struct rt_call *c);
static void on_retry(struct tw_timer *t);

void rt_cleanup(struct swarm_rt *rt)
{
	if (!rt)
		return;
	while (rt->calls) {
		struct rt_call *c = rt->calls;
		rt_timer_cancel(rt, &c->retry_tm);
		call_unlink_free(c);
	}
	if (rt->wheel_ev_ready)
		event_del(&rt->wheel_ev);
	rt->wheel_ev_ready = 0;
	tw_free(&rt->wheel);
	assets_free(&rt->assets);
	free(rt->agent_image);
	rt->agent_image = NULL;
	free(rt->agent_token);
	rt->agent_token = NULL;
	free(rt->bearer);
	rt->bearer = NULL;
}

uint64_t rt_scaled_ns(const struct swarm_rt *rt, double ms)
{
	double ns = ms * 1e6 / rt->scale;
	return ns <= 0 ? 0 : (uint64_t)ns;
}

uint64_t rt_delay_ns(struct swarm_rt *rt, double ms)
{
	double f = 1.0;
	if (rt->jitter > 0)
		f = 1.0 - rt->jitter + 2.0 * rt->jitter * ids_rng_double(&rt->rng);
	return rt_scaled_ns(rt, ms * f);
}

uint64_t rt_uniform_ns(struct swarm_rt *rt, double lo_ms, double hi_ms)
{
	return rt_scaled_ns(rt, lo_ms + (hi_ms - lo_ms) * ids_rng_double(&rt->rng));
}

/* Arms wheel_ev for the wheel's next slot unless it already fires earlier. */
static void wheel_wake(struct swarm_rt *rt)
{
	uint64_t when, now, d;
	struct timeval tv;

	if (!tw_next(&rt->wheel, &when) || (rt->wheel_wake_ns && rt->wheel_wake_ns <= when))
		return;
	if (!rt->wheel_ev_ready)
		return; /* rt_init() without a base (never in the engine) */
	/* libevent measures the delay from its cached loop time: refresh it, so
	 * the wake-up is not early by the time this pass has taken. */
	event_base_update_cache_time(rt->base);
	now = sw_now_ns();
	d = when > now ? when - now : 0;
	tv.tv_sec = (time_t)(d / 1000000000ull);
	tv.tv_usec = (suseconds_t)((d % 1000000000ull + 999) / 1000);
	event_add(&rt->wheel_ev, &tv);
	rt->wheel_wake_ns = when;
}

static void wheel_cb(evutil_socket_t fd, short what, void *arg)
{
	struct swarm_rt *rt = arg;

	(void)fd;
	(void)what;
	rt->wheel_wake_ns = 0;
	tw_run(&rt->wheel, sw_now_ns());
	wheel_wake(rt);
}

void rt_timer_init(struct tw_timer *t, tw_fn fn)
{
	tw_timer_init(t, fn);
}

uint64_t rt_timer_arm(struct swarm_rt *rt, struct tw_timer *t, uint64_t delay_ns)
{
	uint64_t due = sw_now_ns() + delay_ns;

	if (!rt->wheel_ev_ready && rt->base) {
		event_assign(&rt->wheel_ev, rt->base, -1, 0, wheel_cb, rt);
		if (rt->timer_prio >= 0)
			event_priority_set(&rt->wheel_ev, rt->timer_prio);
		rt->wheel_ev_ready = 1;
	}
	tw_add(&rt->wheel, t, due);
	wheel_wake(rt);
	return due;
}

void rt_timer_cancel(struct swarm_rt *rt, struct tw_timer *t)
{
	/* wheel_ev may stay armed for a slot now empty: one idle wake-up */
	tw_cancel(&rt->wheel, t);
}

void rt_timer_fired(struct swarm_rt *rt, uint64_t due_ns)
{
	uint64_t now = sw_now_ns();

	hist_record(&rt->stats->lateness, now > due_ns ? now - due_ns : 0);
}

void rt_timer_assign(struct swarm_rt *rt, struct event *ev, event_callback_fn cb, void *arg)
{
	event_assign(ev, rt->base, -1, 0, cb, arg);
	if (rt->timer_prio >= 0)
		event_priority_set(ev, rt->timer_prio);
}

void rt_log(struct swarm_rt *rt, int always, const char *fmt, ...)
{
	va_list ap;

	/* Non-verbose runs print the first few problems only: at 10^5 hosts a
	 * systematic error would otherwise flood the terminal. */
	if (!rt->verbose && !always && rt->log_lines >= 20)
		return;
	rt->log_lines++;
	va_start(ap, fmt);
	fputs("swarm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	if (!rt->verbose && !always && rt->log_lines == 20)
		fputs("swarm: (further diagnostics suppressed; use --verbose)\n", stderr);
}

struct rt_call *rt_call_new(struct swarm_rt *rt, struct rt_owner *owner, int host,
                            enum swarm_ep ep, const char *method, const char *path)
{
	struct rt_call *c = xcalloc(1, sizeof(*c));
	size_t blen = strlen(AS_API_BASE), plen = strlen(path);

	c->rt = rt;
	c->owner = owner;
	c->host = host;
	if (owner && host >= 0 && owner->ops && owner->ops->host)
		c->rth = owner->ops->host(owner, (unsigned)host);
	c->ep = ep;
	c->method = xstrdup(method);
	if (!strncmp(path, "/v2/", 4)) {
		c->path = xmalloc(blen + plen + 1);
		memcpy(c->path, AS_API_BASE, blen);
		memcpy(c->path + blen, path, plen + 1);
	} else {
		c->path = xstrdup(path);
	}
	c->intended_ns = sw_now_ns();
	rt_timer_init(&c->retry_tm, on_retry);
	c->auth = RT_AUTH_NONE;
	c->retry = RT_RETRY_NONE;
	/* Link the call now: the owner counts it in flight until it is freed. */
	c->next = rt->calls;
	if (rt->calls)
		rt->calls->prev = c;
	rt->calls = c;
	rt->calls_live++;
	if (owner)
		owner->live++;
	if (c->rth)
		c->rth->live++;
	return c;
}

void rt_call_json(struct rt_call *c, const char *json, size_t len)
{
	free(c->body);
	c->body = xmalloc(len + 1);
	memcpy(c->body, json, len);
	c->body[len] = 0;
	c->body_len = len;
	free(c->ctype);
	c->ctype = xstrdup("application/json");
}

void rt_call_body(struct rt_call *c, unsigned char *body, size_t len, const char *ctype)
{
	free(c->body);
	c->body = body;
	c->body_len = len;
	free(c->ctype);
	c->ctype = xstrdup(ctype);
}

/* Unlinks and frees |c|, then uncounts it; an owner (or host) whose last
 * live call this was gets its release hook. */
static void call_unlink_free(struct rt_call *c)
{
	struct swarm_rt *rt = c->rt;
	struct rt_owner *o = c->owner;
	struct rt_host *h = c->rth;
	int host = c->host;

	if (c->prev)
		c->prev->next = c->next;
	else
		rt->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	rt->calls_live--;
	free(c->method);
	free(c->path);
	free(c->body);
	free(c->ctype);
	free(c);
	if (h && --h->live == 0 && o->ops->host_release)
		o->ops->host_release(o, (unsigned)host);
	if (o && --o->live == 0 && o->ops && o->ops->release)
		o->ops->release(o);
}

/* Returns the delay before the next attempt in ns, or 0 for "no retry". */
static uint64_t retry_delay(struct rt_call *c, int err, int status)
{
	unsigned max;
	int retryable;

	switch (c->retry) {
	/* Transport errors: the one fatality predicate decides (a fatal error
	 * is permanent, another attempt would fail the same way). */
	case RT_RETRY_AGENT:
		max = 3;
		retryable = err ? !sw_err_is_fatal(err) : (status == 503 || status == 504);
		break;
	case RT_RETRY_INSTALLER:
	case RT_RETRY_CONTROLLER:
		max = c->retry == RT_RETRY_INSTALLER ? 3 : 15;
		retryable = err ? !sw_err_is_fatal(err) :
		            (status == 408 || status == 429 || (status >= 500 && status <= 599));
		break;
	case RT_RETRY_DRIVER:
		max = 3;
		retryable = err ? !sw_err_is_fatal(err) : (status >= 500 && status <= 599);
		if (retryable && c->attempts <= max)
			return rt_uniform_ns(c->rt, 1000, 2000);
		return 0;
	case RT_RETRY_NONE:
	default:
		return 0;
	}
	if (!retryable || c->attempts > max)
		return 0;
	/* The Go clients' exponential jitter stays between 2 and 10 s. */
	return rt_uniform_ns(c->rt, 2000, 10000) + 1;
}

static int call_submit(struct rt_call *c);
static void on_resp(void *arg, int err, const char *msg, struct sw_resp *resp);

/* Reports a submission that failed at once as the call's outcome, from the
 * loop: the handler must not run inside its caller's stack (the caller may
 * still be setting up the state the handler changes). */
static void call_fail_later(struct rt_call *c, int err)
{
	c->submit_err = err;
	rt_timer_arm(c->rt, &c->retry_tm, 0);
}

static void on_retry(struct tw_timer *t)
{
	struct rt_call *c = (struct rt_call *)(void *)((char *)t - offsetof(struct rt_call, retry_tm));
	char msg[96];
	int rv;

	if (c->rt->stopping) {
		call_unlink_free(c);
		return;
	}
	rv = c->submit_err;
	c->submit_err = 0;
	if (!rv) {
		rv = call_submit(c);
		if (rv >= 0)
			return;
	}
	snprintf(msg, sizeof(msg), "request not sent: %s", sw_err_name(rv));
	on_resp(c, rv, msg, NULL);
}

static void on_resp(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct rt_call *c = arg;
	struct swarm_rt *rt = c->rt;
	uint64_t now = sw_now_ns(), sent, done_ns, delay;
	int status = (!err && resp) ? resp->status : 0;

	if (!err && !resp)
		err = SW_ERR_PROTO;
	if (rt->stopping) {
		/* Shutdown cancels whatever is in flight: not a service error. */
		call_unlink_free(c);
		return;
	}
	sent = (resp && resp->t_sent_ns) ? resp->t_sent_ns : c->submit_ns;
	done_ns = (resp && resp->t_done_ns) ? resp->t_done_ns : now;
	stats_record_call(rt->stats, c->ep, err, status, c->intended_ns, sent, done_ns);
	/* What the client re-sent on its own is counted too, by reason: with
	 * the calls and errors above, the retries reconcile with what a
	 * service (or a fault injector) saw and did. */
	stats_record_transport_retries(rt->stats, c->ep, &c->tretries);
	memset(&c->tretries, 0, sizeof(c->tretries));
	delay = retry_delay(c, err, status);
	if (delay) {
		stats_record_retry(rt->stats, c->ep, err, status);
		if (rt->verbose)
			rt_log(rt, 0, "%s %s: %s, retrying", c->method, c->path,
			       err ? (msg ? msg : sw_err_name(err)) : "unavailable");
		rt_timer_arm(rt, &c->retry_tm, delay);
		return;
	}
	if (c->done)
		c->done(c, err, msg, err ? NULL : resp);
	call_unlink_free(c);
}

/* Adds the call's headers to |req|. Returns 0, SW_ERR_NOMEM, or
 * SW_ERR_INVALID for a value that cannot travel in a header. */
static int call_headers(struct rt_call *c, struct sw_req *req)
{
	struct swarm_rt *rt = c->rt;
	const char *key, *version;
	int rv;

	const struct swarm_op *op = swarm_op(c->ep);

	rv = sw_req_header(req, "accept", op->accept);
	if (!rv && (c->auth == RT_AUTH_AGENT || c->auth == RT_AUTH_HOST)) {
		key = c->owner && c->owner->agent_key ? c->owner->agent_key : rt->agent_token;
		if (key)
			rv = sw_req_header(req, "x-secret-key", key);
		version = c->auth == RT_AUTH_HOST && c->rth && c->owner->ops->host_version ?
		          c->owner->ops->host_version(c->owner, (unsigned)c->host) : NULL;
		if (!rv && version)
			rv = sw_req_header(req, "discovery_agent_version", version);
	} else if (!rv && c->auth == RT_AUTH_USER && rt->bearer) {
		rv = sw_req_header(req, "authorization", rt->bearer);
	}
	if (!rv && c->body) {
		if (evbuffer_add(req->body, c->body, c->body_len) != 0)
			x_oom(c->body_len);
		rv = sw_req_header(req, "content-type", c->ctype ? c->ctype : op->content_type);
	}
	return rv;
}

/* Hands |c| to the client. Returns 0 (the outcome comes to on_resp) or the
 * client's immediate refusal. */
static int call_submit(struct rt_call *c)
{
	struct swarm_rt *rt = c->rt;
	struct sw_req *req;
	struct sw_link *link = NULL;
	int rv;

	c->attempts++;
	c->submit_ns = sw_now_ns();
	if (!rt->submit)
		return SW_ERR_STATE;
	req = sw_req_new(c->method, c->path);
	if (!req)
		x_oom(0);
	rv = call_headers(c, req);
	if (rv == SW_ERR_NOMEM)
		x_oom(0);
	if (rv < 0) {
		sw_req_free(&req);
		return rv;
	}
	if (c->rth && rt->dedicated && rt->link_new && c->auth != RT_AUTH_NONE) {
		if (!c->rth->link)
			c->rth->link = rt->link_new(rt->submit_arg);
		link = c->rth->link;
	}
	c->submit_ns = sw_now_ns();
	memset(&c->tretries, 0, sizeof(c->tretries));
	req->retries = &c->tretries;
	return rt->submit(rt->submit_arg, link, req, on_resp, c);
}

void rt_call_send(struct rt_call *c, rt_done_fn done)
{
	int rv;

	c->done = done;
	if (c->rt->stopping) {
		call_unlink_free(c);
		return;
	}
	rv = call_submit(c);
	if (rv < 0)
		call_fail_later(c, rv);
}

void rt_owner_hold(struct rt_owner *o)
{
	o->live++;
}

void rt_owner_put(struct rt_owner *o)
{
	if (o->live && --o->live == 0 && o->ops && o->ops->release)
		o->ops->release(o);
}

json_t *rt_resp_json(struct sw_resp *resp)
{
	size_t len;
	unsigned char *p;

	if (!resp || !resp->body)
		return NULL;
	len = evbuffer_get_length(resp->body);
	if (!len)
		return NULL;
	p = evbuffer_pullup(resp->body, -1);
	if (!p)
		return NULL;
	return json_loadb((const char *)p, len, JSON_DECODE_ANY, NULL);
}

const char *rt_resp_bytes(struct sw_resp *resp, size_t *len)
{
	*len = resp && resp->body ? evbuffer_get_length(resp->body) : 0;
	return *len ? (const char *)evbuffer_pullup(resp->body, -1) : NULL;
}

int rt_resp_scan(struct sw_resp *resp, struct sw_jscan_pick *picks, size_t npicks)
{
	size_t len;
	const char *p = rt_resp_bytes(resp, &len);
	int rv = sw_jscan(p, len, picks, npicks);

	if (rv == SW_ERR_NOMEM)
		x_oom(0);
	return rv;
}

const char *rt_val_str(const struct sw_jscan_val *v, char *buf, size_t len)
{
	long n = sw_jscan_str(v, buf, len);

	return n >= 0 && (size_t)n < len ? buf : NULL;
}

int rt_resp_each(struct sw_resp *resp, struct sw_jscan_pick *picks, size_t npicks,
                 sw_jscan_each_fn fn, void *arg)
{
	size_t len;
	const char *p = rt_resp_bytes(resp, &len);
	int rv = sw_jscan_each(p, len, picks, npicks, fn, arg, NULL);

	if (rv == SW_ERR_NOMEM)
		x_oom(0);
	return rv;
}

char *rt_versions_agent_image(struct sw_resp *resp)
{
	json_t *j = rt_resp_json(resp), *v;
	char *img = NULL;

	v = json_is_object(j) ? json_object_get(j, "versions") : NULL;
	v = json_is_object(v) ? json_object_get(v, "discovery-agent") : NULL;
	/* It is sent back in every agent call's discovery_agent_version header. */
	if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < 512 &&
	    !sw_http_value_bad(json_string_value(v), json_string_length(v)))
		img = xstrdup(json_string_value(v));
	json_decref(j);
	return img;
}
