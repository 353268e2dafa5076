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
#include "sw_http.h"

/* Exchanges waiting for an injected delay; past this many, delays are
 * skipped (counted as requests, not as latency faults) so memory stays bounded. */
#define MAX_PENDING (1u << 20)
#define RESTART_DELAY_MS 50

struct pending {
	struct event ev;          /* embedded timer */
	struct emu_front *f;
	struct sw_exchange *x;
	struct emu_route_match match;
	int is_agent;
	const char *scheme;
	struct emu_fault_decision d;
	struct pending *prev, *next;
};

struct emu_front {
	struct emu_front_cfg cfg;
	struct sw_server *server;
	struct event *monitor_ev;
	struct event *restart_ev;
	struct event *restart_once_ev;  /* /debug/restart, after its reply had a chance to leave */
	struct pending *pending;        /* doubly linked */
	uint64_t npending;
	uint64_t t_start_ns;
};

static const char *op_name(int op_index)
{
	const struct emu_route *routes;
	size_t n = emu_routes_table(&routes);
	return (op_index >= 0 && (size_t)op_index < n) ? routes[op_index].operation : "unknown";
}

static void on_monitor(evutil_socket_t fd, short what, void *arg)
{
	struct emu_front *f = arg;
	emu_model_monitor(f->cfg.model, sw_now_ns(), (int64_t)time(NULL));
}

unsigned emu_front_restart(struct emu_front *f)
{
	if (!f || !f->server)
		return 0;
	unsigned n = sw_server_drop_all(f->server);
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

struct emu_front *emu_front_new(const struct emu_front_cfg *cfg)
{
	struct emu_front *f = emu_util_xcalloc(1, sizeof(*f));
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
	return f;
}

void emu_front_set_server(struct emu_front *f, struct sw_server *s)
{
	f->server = s;
}

uint64_t emu_front_pending(const struct emu_front *f)
{
	return f ? f->npending : 0;
}

static void unlink_pending(struct emu_front *f, struct pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		f->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
	f->npending--;
}

void emu_front_free(struct emu_front **fp)
{
	if (!fp || !*fp)
		return;
	struct emu_front *f = *fp;
	while (f->pending) {
		struct pending *p = f->pending;
		event_del(&p->ev);
		unlink_pending(f, p);
		sw_exchange_reset(p->x);
		free(p);
	}
	if (f->monitor_ev)
		event_free(f->monitor_ev);
	if (f->restart_ev)
		event_free(f->restart_ev);
	if (f->restart_once_ev)
		event_free(f->restart_once_ev);
	free(f);
	*fp = NULL;
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

/* Accounts first (the request is freed by the reply), then answers. */
static void reply(struct emu_front *f, struct sw_exchange *x, struct sw_sreq *req,
                  const struct outcome *o)
{
	account(f, req, o);
	sw_exchange_reply_mem(x, o->status, o->len ? o->ctype : NULL, o->body, o->len);
}

static void reply_error_body(struct emu_front *f, struct sw_exchange *x, struct sw_sreq *req,
                             const char *operation, int status, const char *fault,
                             const char *scheme)
{
	char body[256];
	int n = (status == 401 || status == 403)
	      ? as_infra_error_body(body, sizeof(body), status, sw_http_reason(status))
	      : as_error_body(body, sizeof(body), status, sw_http_reason(status));
	struct outcome o = {operation, status, fault, scheme, "application/json", body,
	                    n > 0 ? (size_t)n : 0};
	reply(f, x, req, &o);
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
		.content_type = sw_hdrs_get(&req->hdrs, "content-type"),
		.agent_version_header = sw_hdrs_get(&req->hdrs, "discovery_agent_version"),
		.is_agent = is_agent,
		.now_ns = sw_now_ns(),
		.wall_s = (int64_t)time(NULL),
	};
	struct emu_response resp;
	memset(&resp, 0, sizeof(resp));
	if (emu_model_handle_match(f->cfg.model, match, &r, &resp) != 0) {
		free(resp.body);
		reply_error_body(f, x, req, "unknown", 500, NULL, scheme);
		return;
	}
	resp.operation[sizeof(resp.operation) - 1] = '\0';
	struct outcome o = {resp.operation[0] ? resp.operation : "unknown", resp.status, NULL, scheme,
	                    resp.content_type ? resp.content_type : "application/json",
	                    resp.body, resp.body ? resp.body_len : 0};
	reply(f, x, req, &o);
	free(resp.body);
}

/* Acts on a fault decision once its delay (if any) is over. */
static void execute(struct emu_front *f, struct sw_exchange *x, const struct emu_route_match *m,
                    int is_agent, const char *scheme, const struct emu_fault_decision *d)
{
	struct sw_sreq *req = sw_exchange_request(x);
	const char *name = op_name(m->index);
	if (d->reset) {
		emu_metrics_fault(f->cfg.metrics, EMU_FAULT_RESET, name);
		struct outcome o = {name, 0, "reset", scheme, NULL, NULL, 0};
		account(f, req, &o);
		sw_exchange_reset(x);
		return;
	}
	if (d->error_status) {
		emu_metrics_fault(f->cfg.metrics, EMU_FAULT_ERROR, name);
		reply_error_body(f, x, req, name, d->error_status, "error", scheme);
		return;
	}
	run_model(f, x, req, m, is_agent, scheme);
}

static void on_delay(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;
	struct emu_front *f = p->f;
	unlink_pending(f, p);
	execute(f, p->x, &p->match, p->is_agent, p->scheme, &p->d);
	free(p);
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
	if (d.delay_ns && f->npending < MAX_PENDING) {
		struct pending *p = emu_util_xcalloc(1, sizeof(*p));
		p->f = f;
		p->x = x;
		p->match = m;
		p->is_agent = ar.is_agent;
		p->scheme = ar.scheme;
		p->d = d;
		if (evtimer_assign(&p->ev, f->cfg.base, on_delay, p) != 0) {
			free(p);
			execute(f, x, &m, ar.is_agent, ar.scheme, &d);
			return;
		}
		p->next = f->pending;
		if (p->next)
			p->next->prev = p;
		f->pending = p;
		f->npending++;
		emu_metrics_fault(f->cfg.metrics, EMU_FAULT_LATENCY, op_name(m.index));
		struct timeval tv = ns_to_tv(d.delay_ns);
		evtimer_add(&p->ev, &tv);
		return;
	}
	execute(f, x, &m, ar.is_agent, ar.scheme, &d);
}

/* ---- the other endpoints ---------------------------------------------------------------- */

static void reply_text(struct sw_exchange *x, int status, const char *ctype, const char *text)
{
	sw_exchange_reply_mem(x, status, ctype, text, strlen(text));
}

static void handle_metrics(struct emu_front *f, struct sw_exchange *x)
{
	struct emu_metrics_gauges g;
	memset(&g, 0, sizeof(g));
	emu_model_counts(f->cfg.model, g.hosts, g.clusters);
	if (f->server)
		sw_server_get_stats(f->server, &g.server);
	g.pending_delayed = f->npending;
	emu_auth_cache_stats(f->cfg.auth, &g.auth_cache_hits, &g.auth_cache_misses);
	g.bytes_per_host = emu_model_bytes_per_host(f->cfg.model);
	g.model_requests = emu_model_requests(f->cfg.model);
	g.uptime_seconds = (double)(sw_now_ns() - f->t_start_ns) / 1e9;
	g.goaway_faults = f->cfg.goaway_after ? g.server.goaways : 0;
	struct evbuffer *out = evbuffer_new();
	if (!out) {
		sw_exchange_reset(x);
		return;
	}
	emu_metrics_render(f->cfg.metrics, &g, out);
	sw_exchange_reply(x, 200, NULL, "text/plain; version=0.0.4; charset=utf-8", out);
	evbuffer_free(out);
}

static void handle_state(struct emu_front *f, struct sw_exchange *x)
{
	json_t *j = emu_model_dump(f->cfg.model);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s) {
		reply_text(x, 500, "application/json", "{\"code\":500,\"message\":\"dump failed\"}");
		return;
	}
	reply_text(x, 200, "application/json", s);
	free(s);
}

void emu_front_handler(void *arg, struct sw_exchange *x, struct sw_sreq *req)
{
	struct emu_front *f = arg;
	const char *path = req->path;
	const int get = strcmp(req->method, "GET") == 0;
	if (strncmp(path, AS_API_BASE "/", sizeof(AS_API_BASE)) == 0) {
		handle_api(f, x, req);
	} else if (get && (strcmp(path, "/health") == 0 || strcmp(path, "/ready") == 0)) {
		reply_text(x, 200, "text/plain; charset=utf-8", "ok\n");
	} else if (get && strcmp(path, "/metrics") == 0) {
		handle_metrics(f, x);
	} else if (get && strcmp(path, "/debug/state") == 0) {
		handle_state(f, x);
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
