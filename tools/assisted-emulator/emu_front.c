#include "emu_front.h"

#include <event2/buffer.h>
#include <event2/event_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "as_model.h"
#include "emu_util.h"
#include "sw_err.h"
#include "sw_xalloc.h"
#include "sw_http.h"

/* Exchanges waiting for an injected delay; past this many, delays are
 * skipped (counted as requests, not as latency faults) so memory stays bounded. */
#define MAX_PENDING (1u << 20)
#define RESTART_DELAY_MS 50

/* An exchange the front holds: delayed by a latency fault (pending list), or
 * answered by the model and waiting for its journal record to be durable
 * (parked list, --fsync always). */
struct held {
	struct event ev;          /* embedded timer (delays) */
	struct emu_front *f;
	struct sw_exchange *x;
	struct emu_route_match match;
	int is_agent;
	const char *scheme;
	struct emu_fault_decision d;
	uint64_t seq;             /* parked: the journal record to wait for */
	struct emu_response resp; /* parked: the model's answer (body owned) */
	struct held *prev, *next;
};

struct held_list {
	struct held *head;
	uint64_t n;
};

struct emu_front {
	struct emu_front_cfg cfg;
	struct sw_server *server;
	struct event *monitor_ev;
	struct event *restart_ev;
	struct event *restart_once_ev;  /* /debug/restart, after its reply had a chance to leave */
	struct held_list pending;       /* delayed by a latency fault */
	struct held_list parked;        /* waiting for durability */
	uint64_t t_start_ns;
	void (*extra_metrics)(void *arg, struct evbuffer *out);
	void *extra_arg;
};

static const char *op_name(int op_index)
{
	const struct emu_route *routes;
	size_t n = emu_routes_table(&routes);
	return (op_index >= 0 && (size_t)op_index < n) ? routes[op_index].operation : "unknown";
}

static void held_link(struct held_list *l, struct held *h)
{
	h->prev = NULL;
	h->next = l->head;
	if (h->next)
		h->next->prev = h;
	l->head = h;
	l->n++;
}

static void held_unlink(struct held_list *l, struct held *h)
{
	if (h->prev)
		h->prev->next = h->next;
	else
		l->head = h->next;
	if (h->next)
		h->next->prev = h->prev;
	l->n--;
}

static void on_monitor(evutil_socket_t fd, short what, void *arg)
{
	struct emu_front *f = arg;
	uint64_t now = sw_now_ns();
	int64_t wall = (int64_t)time(NULL);
	/* Journaled like a request: replaying the monitor passes at their times
	 * rebuilds the transitions they made (calls that run no pass are skipped). */
	if (!emu_model_monitor_due(f->cfg.model, now))
		return;
	emu_state_log_monitor(f->cfg.state, now, wall);
	emu_model_monitor(f->cfg.model, now, wall);
}

/* Counts the faults a decision would have injected, for an exchange that had gone. */
static void faults_lost(struct emu_front *f, const char *op, const struct emu_fault_decision *d)
{
	if (d->delay_ns)
		emu_metrics_fault_lost(f->cfg.metrics, EMU_FAULT_LATENCY, op);
	if (d->reset)
		emu_metrics_fault_lost(f->cfg.metrics, EMU_FAULT_RESET, op);
	else if (d->error_status)
		emu_metrics_fault_lost(f->cfg.metrics, EMU_FAULT_ERROR, op);
}

/* A restart took the connection of a held exchange: like a crashed process,
 * its work is gone (a delayed request never runs) and its reply is lost. */
static void held_restart_lost(struct emu_front *f, struct held_list *l, int delayed)
{
	struct held *next;
	for (struct held *h = l->head; h; h = next) {
		next = h->next;
		if (!sw_exchange_dropped(h->x))
			continue;
		const char *op = op_name(h->match.index);
		emu_metrics_restart_lost(f->cfg.metrics, op);
		if (delayed) {
			event_del(&h->ev);
			faults_lost(f, op, &h->d);
		} else {
			emu_state_waiting(f->cfg.state, -1);
			free(h->resp.body);
		}
		held_unlink(l, h);
		sw_exchange_reset(h->x); /* frees it; nothing reaches the wire */
		free(h);
	}
}

unsigned emu_front_restart(struct emu_front *f)
{
	if (!f || !f->server)
		return 0;
	unsigned n = sw_server_drop_all(f->server);
	held_restart_lost(f, &f->pending, 1);
	held_restart_lost(f, &f->parked, 0);
	emu_metrics_fault(f->cfg.metrics, EMU_FAULT_RESTART, "*");
	if (!f->cfg.quiet)
		fprintf(stderr, "assisted-emulator: restart fault: dropped %u connections\n", n);
	return n;
}

static void on_restart(evutil_socket_t fd, short what, void *arg)
{
	emu_front_restart(arg);
}

static struct timeval ns_to_tv(uint64_t ns)
{
	struct timeval tv;
	tv.tv_sec = (time_t)(ns / 1000000000ull);
	tv.tv_usec = (suseconds_t)((ns % 1000000000ull) / 1000ull);
	return tv;
}

static void on_durable(void *arg, uint64_t seq);

struct emu_front *emu_front_new(const struct emu_front_cfg *cfg)
{
	struct emu_front *f = xcalloc(1, sizeof(*f));
	f->cfg = *cfg;
	f->t_start_ns = sw_now_ns();
	f->monitor_ev = event_new(cfg->base, -1, EV_PERSIST, on_monitor, f);
	f->restart_once_ev = evtimer_new(cfg->base, on_restart, f);
	if (!f->monitor_ev || !f->restart_once_ev) {
		fprintf(stderr, "assisted-emulator: cannot create timers\n");
		abort();
	}
	uint64_t period = emu_model_monitor_period_ns(cfg->model);
	if (period < 1000000ull)
		period = 1000000ull; /* at most 1000 monitor passes per second */
	struct timeval tv = ns_to_tv(period);
	event_add(f->monitor_ev, &tv);
	if (cfg->restart_every_ns) {
		f->restart_ev = event_new(cfg->base, -1, EV_PERSIST, on_restart, f);
		if (!f->restart_ev)
			abort();
		tv = ns_to_tv(cfg->restart_every_ns);
		event_add(f->restart_ev, &tv);
	}
	if (cfg->state)
		emu_state_set_durable_cb(cfg->state, on_durable, f);
	return f;
}

void emu_front_set_server(struct emu_front *f, struct sw_server *s)
{
	f->server = s;
}

void emu_front_set_extra_metrics(struct emu_front *f, void (*fn)(void *arg, struct evbuffer *out),
                                 void *arg)
{
	f->extra_metrics = fn;
	f->extra_arg = arg;
}

uint64_t emu_front_pending(const struct emu_front *f)
{
	return f ? f->pending.n : 0;
}

void emu_front_free(struct emu_front **fp)
{
	if (!fp || !*fp)
		return;
	struct emu_front *f = *fp;
	while (f->pending.head) {
		struct held *h = f->pending.head;
		event_del(&h->ev);
		held_unlink(&f->pending, h);
		sw_exchange_reset(h->x);
		free(h);
	}
	while (f->parked.head) {
		struct held *h = f->parked.head;
		held_unlink(&f->parked, h);
		sw_exchange_reset(h->x);
		free(h->resp.body);
		free(h);
	}
	if (f->cfg.state)
		emu_state_set_durable_cb(f->cfg.state, NULL, NULL);
	if (f->monitor_ev)
		event_free(f->monitor_ev);
	if (f->restart_ev)
		event_free(f->restart_ev);
	if (f->restart_once_ev)
		event_free(f->restart_once_ev);
	free(f);
	*fp = NULL;
}

void emu_front_body_policy(void *arg, const char *method, const char *path,
                           struct sw_body_policy *out)
{
	/* The operation's own limit; what matches nothing is answered 404 after
	 * a small body at most. */
	struct emu_route_match m;
	emu_route_match(method, path, &m);
	out->max = emu_route_body_max(&m);
	out->keep = emu_route_body_keep(&m);
}

/* ---- replies --------------------------------------------------------------------------- */

struct outcome {
	const char *operation;
	int status;                /* 0 = reset */
	const char *fault;         /* NULL, "error", "reset" */
	const char *scheme;
	const char *ctype;
	const char *body;
	size_t len;
};

static void account(struct emu_front *f, struct sw_sreq *req, const struct outcome *o)
{
	uint64_t now = sw_now_ns();
	uint64_t dur = now > req->t_start_ns ? now - req->t_start_ns : 0;
	emu_metrics_request(f->cfg.metrics, o->operation, o->status, dur);
	if (!f->cfg.record)
		return;
	size_t req_len = req->body ? evbuffer_get_length(req->body) : 0;
	const char *req_body = req_len ? (const char *)evbuffer_pullup(req->body, -1) : NULL;
	struct emu_record_entry e = {
		.method = req->method, .path = req->path, .query = req->query,
		.operation = o->operation, .status = o->status, .fault = o->fault,
		.auth_scheme = o->scheme, .proto = sw_proto_name(req->proto, req->tls),
		.req_ctype = sw_hdrs_get(&req->hdrs, "content-type"),
		.req_body = req_body, .req_len = req_len,
		.resp_ctype = o->ctype, .resp_body = o->body, .resp_len = o->len,
	};
	emu_record_write(f->cfg.record, &e);
}

/* Accounts first (the request is freed by the reply), then answers.
 * Returns 0 when the reply went to a live connection, else SW_ERR_CLOSED. */
static int reply(struct emu_front *f, struct sw_exchange *x, struct sw_sreq *req,
                 const struct outcome *o)
{
	account(f, req, o);
	int rv = sw_exchange_reply_mem(x, o->status, o->len ? o->ctype : NULL, o->body, o->len);
	if (rv != 0)
		emu_metrics_reply_lost(f->cfg.metrics, o->operation);
	return rv;
}

static int reply_error_body(struct emu_front *f, struct sw_exchange *x, struct sw_sreq *req,
                            const char *operation, int status, const char *fault,
                            const char *scheme)
{
	char body[256];
	int n = (status == 401 || status == 403)
	      ? as_infra_error_body(body, sizeof(body), status, sw_http_reason(status))
	      : as_error_body(body, sizeof(body), status, sw_http_reason(status));
	struct outcome o = {operation, status, fault, scheme, "application/json", body,
	                    n > 0 ? (size_t)n : 0};
	return reply(f, x, req, &o);
}

static int reply_model(struct emu_front *f, struct sw_exchange *x, const char *scheme,
                       const struct emu_response *resp)
{
	struct outcome o = {resp->operation[0] ? resp->operation : "unknown", resp->status, NULL,
	                    scheme, resp->content_type ? resp->content_type : "application/json",
	                    resp->body, resp->body ? resp->body_len : 0};
	return reply(f, x, sw_exchange_request(x), &o);
}

/* ---- durability (--fsync always) -------------------------------------------------------- */

static void on_durable(void *arg, uint64_t seq)
{
	struct emu_front *f = arg;
	struct held *next;
	for (struct held *h = f->parked.head; h; h = next) {
		next = h->next;
		if (h->seq > seq)
			continue;
		held_unlink(&f->parked, h);
		emu_state_waiting(f->cfg.state, -1);
		reply_model(f, h->x, h->scheme, &h->resp);
		free(h->resp.body);
		free(h);
	}
}

/* ---- the API path ----------------------------------------------------------------------- */

static void run_model(struct emu_front *f, struct sw_exchange *x, struct sw_sreq *req,
                      const struct emu_route_match *match, int is_agent, const char *scheme)
{
	size_t len = req->body ? evbuffer_get_length(req->body) : 0;
	struct emu_request r = {
		.method = req->method,
		.path = req->path,
		.query = req->query ? req->query : "",
		.body = len ? (const char *)evbuffer_pullup(req->body, -1) : "",
		.body_len = len,
		.body_total = req->body_total,
		.content_type = sw_hdrs_get(&req->hdrs, "content-type"),
		.agent_version_header = sw_hdrs_get(&req->hdrs, "discovery_agent_version"),
		.is_agent = is_agent,
		.now_ns = sw_now_ns(),
		.wall_s = (int64_t)time(NULL),
	};
	struct emu_response resp;
	memset(&resp, 0, sizeof(resp));
	/* The journal gets the request before the model runs it, so no reply can
	 * leave before its record is written. */
	uint64_t seq = emu_state_log_request(f->cfg.state, &r);
	if (emu_model_handle_match(f->cfg.model, match, &r, &resp) != 0) {
		free(resp.body);
		reply_error_body(f, x, req, "unknown", 500, NULL, scheme);
		return;
	}
	resp.operation[sizeof(resp.operation) - 1] = '\0';
	if (seq && !emu_state_durable(f->cfg.state, seq)) {
		struct held *h = xcalloc(1, sizeof(*h));
		h->f = f;
		h->x = x;
		h->match = *match;
		h->scheme = scheme;
		h->seq = seq;
		h->resp = resp;
		held_link(&f->parked, h);
		emu_state_waiting(f->cfg.state, 1);
		return;
	}
	reply_model(f, x, scheme, &resp);
	free(resp.body);
}

/* Acts on a fault decision once its delay (if any) is over. Faults count as
 * injected only when they reached a live connection. */
static void execute(struct emu_front *f, struct sw_exchange *x, const struct emu_route_match *m,
                    int is_agent, const char *scheme, const struct emu_fault_decision *d)
{
	struct sw_sreq *req = sw_exchange_request(x);
	const char *name = op_name(m->index);
	int rv = 0;
	if (d->reset) {
		struct outcome o = {name, 0, "reset", scheme, NULL, NULL, 0};
		account(f, req, &o);
		rv = sw_exchange_reset(x);
		if (rv == 0)
			emu_metrics_fault(f->cfg.metrics, EMU_FAULT_RESET, name);
		else
			emu_metrics_fault_lost(f->cfg.metrics, EMU_FAULT_RESET, name);
	} else if (d->error_status) {
		rv = reply_error_body(f, x, req, name, d->error_status, "error", scheme);
		if (rv == 0) {
			emu_metrics_fault(f->cfg.metrics, EMU_FAULT_ERROR, name);
			emu_metrics_fault_status(f->cfg.metrics, name, d->error_status);
		} else {
			emu_metrics_fault_lost(f->cfg.metrics, EMU_FAULT_ERROR, name);
		}
	} else {
		run_model(f, x, req, m, is_agent, scheme);
		return; /* a latency fault's delivery is counted by on_delay */
	}
	(void)rv;
}

static void on_delay(evutil_socket_t fd, short what, void *arg)
{
	struct held *h = arg;
	struct emu_front *f = h->f;
	const char *name = op_name(h->match.index);
	held_unlink(&f->pending, h);
	/* Whether the delayed reply can still reach its client is known now. */
	int alive = sw_exchange_alive(h->x);
	execute(f, h->x, &h->match, h->is_agent, h->scheme, &h->d);
	if (alive) {
		emu_metrics_fault(f->cfg.metrics, EMU_FAULT_LATENCY, name);
		emu_metrics_fault_delay(f->cfg.metrics, name, h->d.delay_ns);
	} else {
		emu_metrics_fault_lost(f->cfg.metrics, EMU_FAULT_LATENCY, name);
	}
	free(h);
}

static void handle_api(struct emu_front *f, struct sw_exchange *x, struct sw_sreq *req)
{
	struct emu_route_match m;
	/* One match decides authentication, faults and the operation that runs;
	 * whatever matches nothing is answered here, before the model. */
	if (emu_route_match(req->method, req->path, &m) != EMU_ROUTE_MATCH) {
		struct emu_response r;
		emu_model_route_error(&m, req->method, req->path, &r);
		struct outcome o = {"unknown", r.status, NULL, NULL, "application/json", r.body,
		                    r.body ? r.body_len : 0};
		reply(f, x, req, &o);
		free(r.body);
		return;
	}
	struct emu_auth_input in = {
		.match = &m,
		.secret_key = sw_hdrs_get(&req->hdrs, "x-secret-key"),
		.now_s = (int64_t)time(NULL),
	};
	/* Mode none only looks at X-Secret-Key: skip the other lookups on the hot path. */
	char api_key[2048], image_token[2048];
	if (emu_auth_mode_of(f->cfg.auth) != EMU_AUTH_NONE) {
		int ak = emu_util_query_get(req->query, "api_key", api_key, sizeof(api_key));
		int it = emu_util_query_get(req->query, "image_token", image_token, sizeof(image_token));
		in.authorization = sw_hdrs_get(&req->hdrs, "authorization");
		/* an undecodable api_key is present but can never verify */
		in.api_key = ak >= 0 ? api_key : (ak == SW_ERR_NOT_FOUND ? NULL : "\x01invalid");
		in.image_token = sw_hdrs_get(&req->hdrs, "image-token");
		in.image_token_query = it >= 0 ? image_token : NULL;
		in.watcher = sw_hdrs_get(&req->hdrs, "watcher-authorization");
	}
	struct emu_auth_result ar;
	emu_auth_check(f->cfg.auth, &in, &ar);
	if (ar.status) {
		struct outcome o = {m.route->operation, ar.status, NULL, ar.scheme, "application/json",
		                    ar.body, strlen(ar.body)};
		reply(f, x, req, &o);
		return;
	}
	struct emu_fault_decision d;
	emu_faults_decide(f->cfg.faults, m.index, &d);
	if (d.delay_ns && f->pending.n < MAX_PENDING) {
		struct held *h = xcalloc(1, sizeof(*h));
		h->f = f;
		h->x = x;
		h->match = m;
		h->is_agent = ar.is_agent;
		h->scheme = ar.scheme;
		h->d = d;
		if (evtimer_assign(&h->ev, f->cfg.base, on_delay, h) != 0) {
			free(h);
			d.delay_ns = 0;
			execute(f, x, &m, ar.is_agent, ar.scheme, &d);
			return;
		}
		held_link(&f->pending, h);
		struct timeval tv = ns_to_tv(d.delay_ns);
		evtimer_add(&h->ev, &tv);
		return;
	}
	d.delay_ns = 0;
	execute(f, x, &m, ar.is_agent, ar.scheme, &d);
}

/* ---- the other endpoints ---------------------------------------------------------------- */

static void reply_text(struct sw_exchange *x, int status, const char *ctype, const char *text)
{
	sw_exchange_reply_mem(x, status, ctype, text, strlen(text));
}

static void gauges(struct emu_front *f, struct emu_metrics_gauges *g)
{
	memset(g, 0, sizeof(*g));
	emu_model_counts(f->cfg.model, g->hosts, g->clusters);
	if (f->server)
		sw_server_get_stats(f->server, &g->server);
	g->pending_delayed = f->pending.n;
	emu_auth_cache_stats(f->cfg.auth, &g->auth_cache_hits, &g->auth_cache_misses);
	g->bytes_per_host = emu_model_bytes_per_host(f->cfg.model);
	g->model_requests = emu_model_requests(f->cfg.model);
	g->uptime_seconds = (double)(sw_now_ns() - f->t_start_ns) / 1e9;
	g->goaway_faults = f->cfg.goaway_after ? g->server.goaways : 0;
	if (f->cfg.state) {
		g->have_state = 1;
		emu_state_get_stats(f->cfg.state, &g->state);
	}
}

static void handle_metrics(struct emu_front *f, struct sw_exchange *x)
{
	struct emu_metrics_gauges g;
	gauges(f, &g);
	struct evbuffer *out = evbuffer_new();
	if (!out) {
		sw_exchange_reset(x);
		return;
	}
	emu_metrics_render(f->cfg.metrics, &g, out);
	if (f->extra_metrics)
		f->extra_metrics(f->extra_arg, out);
	sw_exchange_reply(x, 200, NULL, "text/plain; version=0.0.4; charset=utf-8", out);
	evbuffer_free(out);
}

static void reply_json(struct sw_exchange *x, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s) {
		reply_text(x, 500, "application/json", "{\"code\":500,\"message\":\"dump failed\"}");
		return;
	}
	reply_text(x, 200, "application/json", s);
	free(s);
}

static void handle_faults(struct emu_front *f, struct sw_exchange *x)
{
	struct emu_metrics_gauges g;
	gauges(f, &g);
	reply_json(x, emu_metrics_faults_json(f->cfg.metrics, &g));
}

void emu_front_handler(void *arg, struct sw_exchange *x, struct sw_sreq *req)
{
	struct emu_front *f = arg;
	const char *path = req->path;
	const int get = strcmp(req->method, "GET") == 0;
	/* The emulator's own endpoints match exactly; any other spelling is an
	 * API path and goes through the route matcher (404 when it is none). */
	if (strncmp(path, AS_API_BASE "/", sizeof(AS_API_BASE)) == 0) {
		handle_api(f, x, req);
	} else if (get && (strcmp(path, "/health") == 0 || strcmp(path, "/ready") == 0)) {
		reply_text(x, 200, "text/plain; charset=utf-8", "ok\n");
	} else if (get && strcmp(path, "/metrics") == 0) {
		handle_metrics(f, x);
	} else if (get && strcmp(path, "/debug/state") == 0) {
		reply_json(x, emu_model_dump(f->cfg.model));
	} else if (get && strcmp(path, "/debug/faults") == 0) {
		handle_faults(f, x);
	} else if (strcmp(path, "/debug/restart") == 0 && strcmp(req->method, "POST") == 0) {
		/* Drop a little later so this answer can leave first. */
		struct timeval tv = {0, RESTART_DELAY_MS * 1000};
		evtimer_add(f->restart_once_ev, &tv);
		reply_text(x, 202, "application/json", "{\"restart\":\"scheduled\"}");
	} else {
		/* Unknown paths are answered like the real router (404/405). */
		handle_api(f, x, req);
	}
}
