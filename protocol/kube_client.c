/*
 * kube_client: calls, retries and the conflict-retried write (see
 * kube_client.h); list + watch live in kube_informer.c.
 *
 * A call's life: kube_call_start() links it and submits its first attempt,
 * or arms its event to report a failure from the loop; on_http() measures
 * the exchange, re-arms the event for a retry or completes it; the call is
 * unlinked and freed after its callback. A dropped call (its owner went
 * away) stays linked until its HTTP exchange ends, then frees itself.
 */
#include "kube_client_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sw_err.h"

#define KC_MAX_CONFLICTS 10
#define KC_RETRY_AFTER_MAX_MS 60000u

struct kube_call {
	LIST_ENTRY(kube_call) le;
	struct kube_client *k;
	struct event ev;                /* retry wait or deferred failure */
	int ev_armed, in_http, dropped;
	int observed;                   /* a stream was counted when its answer began */
	enum kube_verb verb;
	enum kube_res_id res;
	char *path;                     /* with the query */
	char *body;
	size_t body_len;
	const char *ctype;              /* a literal */
	struct kube_call_opts opts;
	unsigned attempts;
	int fail_err;                   /* a submission that failed at once */
	kube_done_fn done;
	void *arg;
};

static uint64_t kc_next(struct kube_client *k)
{
	uint64_t x = (k->rng += 0x9e3779b97f4a7c15ull);
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

double kube_client_rand(struct kube_client *k)
{
	return (double)(kc_next(k) >> 11) * (1.0 / 9007199254740992.0);
}

unsigned kube_client_backoff_ms(struct kube_client *k, unsigned n)
{
	double ms = k->cfg.backoff_initial_ms;
	for (unsigned i = 1; i < n && ms < k->cfg.backoff_max_ms; i++)
		ms *= 2;
	if (ms > k->cfg.backoff_max_ms)
		ms = k->cfg.backoff_max_ms;
	/* +-20 % so that many clients failing together do not retry together */
	ms *= 0.8 + 0.4 * kube_client_rand(k);
	return ms < 1 ? 1 : (unsigned)ms;
}

unsigned kube_retry_after_ms(const struct sw_resp *resp)
{
	const char *v = resp ? sw_hdrs_get(&resp->hdrs, "retry-after") : NULL;
	char *end;
	unsigned long s;
	if (!v || *v < '0' || *v > '9')
		return 0;
	s = strtoul(v, &end, 10);
	if (*end)
		return 0; /* an HTTP date: not worth parsing, the back-off applies */
	if (s > KC_RETRY_AFTER_MAX_MS / 1000)
		s = KC_RETRY_AFTER_MAX_MS / 1000;
	return (unsigned)(s * 1000);
}

void kube_client_timer(struct kube_client *k, struct event *ev, event_callback_fn cb, void *arg,
                       unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_assign(ev, k->base, -1, 0, cb, arg);
	if (k->cfg.timer_prio >= 0)
		event_priority_set(ev, k->cfg.timer_prio);
	event_add(ev, &tv);
}

struct kube_client *kube_client_new(struct event_base *base, const struct kube_client_cfg *cfg,
                                    char *err, size_t errlen)
{
	struct kube_client *k;
	if (!base || !cfg || !cfg->http.url) {
		snprintf(err, errlen, "kube client: an event base and a server URL are required");
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	k->base = base;
	k->cfg = *cfg;
	k->cfg.http.url = NULL;
	k->cfg.http.ca_file = k->cfg.http.cert_file = k->cfg.http.key_file = NULL;
	k->cfg.http.ca_pem = k->cfg.http.cert_pem = k->cfg.http.key_pem = NULL;
	k->cfg.http.sni = NULL;
	k->cfg.bearer_token = NULL;
	if (!k->cfg.max_attempts)
		k->cfg.max_attempts = 10;
	if (!k->cfg.backoff_initial_ms)
		k->cfg.backoff_initial_ms = 200;
	if (!k->cfg.backoff_max_ms)
		k->cfg.backoff_max_ms = 10000;
	if (k->cfg.backoff_max_ms < k->cfg.backoff_initial_ms)
		k->cfg.backoff_max_ms = k->cfg.backoff_initial_ms;
	if (!k->cfg.watch_timeout_s)
		k->cfg.watch_timeout_s = 300;
	if (!k->cfg.list_limit)
		k->cfg.list_limit = 500;
	k->rng = cfg->seed ^ 0x6b75626563ull;
	LIST_INIT(&k->calls);
	LIST_INIT(&k->writes);
	if (cfg->bearer_token && *cfg->bearer_token) {
		size_t n = strlen(cfg->bearer_token);
		if (sw_http_value_bad(cfg->bearer_token, n)) {
			snprintf(err, errlen, "the bearer token cannot be sent in an HTTP header "
			         "(control character)");
			free(k);
			return NULL;
		}
		k->bearer = malloc(n + 8);
		if (!k->bearer) {
			snprintf(err, errlen, "out of memory");
			free(k);
			return NULL;
		}
		memcpy(k->bearer, "Bearer ", 7);
		memcpy(k->bearer + 7, cfg->bearer_token, n + 1);
	}
	k->http = sw_client_new(base, &cfg->http, err, errlen);
	if (!k->http) {
		free(k->bearer);
		free(k);
		return NULL;
	}
	return k;
}

static void call_free(struct kube_call *c)
{
	if (c->ev_armed)
		event_del(&c->ev);
	LIST_REMOVE(c, le);
	c->k->live--;
	if (c->dropped && c->opts.on_drop)
		c->opts.on_drop(c->arg);
	free(c->path);
	free(c->body);
	free(c);
}

static void wr_free(struct kube_wr *w);

void kube_client_free(struct kube_client **kp)
{
	struct kube_client *k;
	struct kube_call *c;
	if (!kp || !*kp)
		return;
	k = *kp;
	kube_informers_free_all(k);
	/* Calls waiting for a retry go now; those in flight are cancelled by
	 * the transport, whose callbacks find them dropped and free them. */
	LIST_FOREACH(c, &k->calls, le)
		c->dropped = 1;
	for (c = LIST_FIRST(&k->calls); c;) {
		struct kube_call *nx = LIST_NEXT(c, le);
		if (!c->in_http)
			call_free(c);
		c = nx;
	}
	sw_client_free(&k->http);
	while ((c = LIST_FIRST(&k->calls)) != NULL)
		call_free(c); /* defensive: the transport completed everything above */
	while (!LIST_EMPTY(&k->writes))
		wr_free(LIST_FIRST(&k->writes));
	free(k->bearer);
	free(k);
	*kp = NULL;
}

struct sw_client *kube_client_transport(struct kube_client *k)
{
	return k ? k->http : NULL;
}

unsigned kube_client_live(const struct kube_client *k)
{
	return k ? k->live : 0;
}

void kube_client_drop(struct kube_client *k, void *arg)
{
	struct kube_call *c, *nx;
	for (c = LIST_FIRST(&k->calls); c; c = nx) {
		nx = LIST_NEXT(c, le);
		if (c->arg != arg || c->dropped)
			continue;
		c->dropped = 1;
		if (!c->in_http)
			call_free(c);
	}
}

uint64_t kube_obj_rv(const json_t *obj)
{
	const char *s = json_string_value(json_object_get(json_object_get(obj, "metadata"),
	                                                  "resourceVersion"));
	char *end;
	unsigned long long v;
	if (!s || !*s)
		return 0;
	v = strtoull(s, &end, 10);
	return *end ? 0 : (uint64_t)v;
}

int kube_query_escape(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		            (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~';
		if (n + (plain ? 1 : 3) >= outlen)
			return SW_ERR_TOO_BIG;
		if (plain) {
			out[n++] = (char)ch;
		} else {
			out[n++] = '%';
			out[n++] = hex[ch >> 4];
			out[n++] = hex[ch & 15];
		}
	}
	if (n >= outlen)
		return SW_ERR_TOO_BIG;
	out[n] = '\0';
	return (int)n;
}

/* ---- one call ---- */

static const char *const verb_method[KUBE_VERB_COUNT] = {
	[KUBE_VERB_GET] = "GET", [KUBE_VERB_LIST] = "GET", [KUBE_VERB_WATCH] = "GET",
	[KUBE_VERB_CREATE] = "POST", [KUBE_VERB_UPDATE] = "PUT", [KUBE_VERB_PATCH] = "PATCH",
	[KUBE_VERB_DELETE] = "DELETE", [KUBE_VERB_DELETECOLLECTION] = "DELETE",
};

static void on_http(void *arg, int err, const char *msg, struct sw_resp *resp);
static void on_event(evutil_socket_t fd, short what, void *arg);

static int call_stream(void *arg, struct sw_resp *resp)
{
	struct kube_call *c = arg;
	struct kube_client *k = c->k;
	if (c->dropped)
		return 1;
	/* a watch is one request: counted when its answer starts flowing, not
	 * when (if ever, within the run) its stream ends */
	if (!c->observed && k->cfg.observe) {
		c->observed = 1;
		k->cfg.observe(k->cfg.observe_arg, c->verb, c->res, 0, resp->status,
		               resp->t_sent_ns ? resp->t_sent_ns : sw_now_ns(), sw_now_ns());
	}
	return c->opts.stream(c->arg, resp);
}

/* Hands attempt |c->attempts + 1| to the transport. Returns 0 or the
 * transport's immediate refusal. */
static int call_submit(struct kube_call *c)
{
	struct kube_client *k = c->k;
	struct sw_req *req = sw_req_new(verb_method[c->verb], c->path);
	int rv;
	if (!req)
		return SW_ERR_NOMEM;
	rv = sw_req_header(req, "accept", "application/json");
	if (!rv && k->bearer)
		rv = sw_req_header(req, "authorization", k->bearer);
	if (!rv)
		rv = sw_req_header(req, "user-agent", "swarm-kube-client");
	if (!rv && c->body) {
		rv = sw_req_header(req, "content-type", c->ctype);
		if (!rv && evbuffer_add(req->body, c->body, c->body_len) != 0)
			rv = SW_ERR_NOMEM;
	}
	if (rv) {
		sw_req_free(&req);
		return rv;
	}
	/* POST and PATCH are not idempotent for the transport; a kube create
	 * re-sent answers AlreadyExists, which callers handle. */
	req->idempotent = c->verb != KUBE_VERB_CREATE;
	req->timeout_ms = c->opts.timeout_ms;
	if (c->opts.stream)
		req->stream_cb = call_stream;
	c->attempts++;
	c->in_http = 1;
	c->observed = 0;
	rv = sw_client_request(k->http, NULL, req, on_http, c);
	if (rv < 0)
		c->in_http = 0;
	return rv;
}

static void arm(struct kube_call *c, unsigned ms)
{
	c->ev_armed = 1;
	kube_client_timer(c->k, &c->ev, on_event, c, ms);
}

static void complete(struct kube_call *c, int err, const char *msg, struct sw_resp *resp)
{
	struct kube_result r;
	json_t *body = NULL;
	memset(&r, 0, sizeof(r));
	r.attempts = c->attempts;
	if (c->opts.raw_done) {
		c->opts.raw_done(c->arg, err, msg, resp);
		call_free(c);
		return;
	}
	if (err) {
		r.err = err;
		r.msg = msg ? msg : sw_err_name(err);
	} else {
		size_t len = evbuffer_get_length(resp->body);
		const char *p = len ? (const char *)evbuffer_pullup(resp->body, -1) : NULL;
		r.status = resp->status;
		if (p && resp->status >= 200 && resp->status <= 299) {
			body = json_loadb(p, len, 0, NULL);
			if (json_is_object(body)) {
				r.obj = body;
			} else {
				r.err = SW_ERR_PARSE;
				r.msg = "the answer is not a JSON object";
			}
		} else if (p) {
			kube_status_parse(p, len, &r.st);
		}
	}
	if (c->done)
		c->done(c->arg, &r);
	json_decref(body);
	call_free(c);
}

static int retryable(int err, int status)
{
	if (err)
		return !sw_err_is_fatal(err) && err != SW_ERR_CANCELLED;
	return status == 429 || (status >= 500 && status <= 599);
}

static void on_http(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct kube_call *c = arg;
	struct kube_client *k = c->k;
	unsigned max = c->opts.max_attempts ? c->opts.max_attempts : k->cfg.max_attempts;
	c->in_http = 0;
	if (c->dropped) {
		call_free(c);
		return;
	}
	if (k->cfg.observe && !c->observed)
		k->cfg.observe(k->cfg.observe_arg, c->verb, c->res, err, err ? 0 : resp->status,
		               (!err && resp->t_sent_ns) ? resp->t_sent_ns : sw_now_ns(),
		               (!err && resp->t_done_ns) ? resp->t_done_ns : sw_now_ns());
	if (retryable(err, err ? 0 : resp->status) && c->attempts < max) {
		unsigned ms = err ? 0 : kube_retry_after_ms(resp);
		arm(c, ms ? ms : kube_client_backoff_ms(k, c->attempts));
		return;
	}
	complete(c, err, msg, resp);
}

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	struct kube_call *c = arg;
	char msg[96];
	int rv;
	(void)fd;
	(void)what;
	c->ev_armed = 0;
	rv = c->fail_err;
	c->fail_err = 0;
	if (!rv) {
		rv = call_submit(c);
		if (rv >= 0)
			return;
	}
	snprintf(msg, sizeof(msg), "request not sent: %s", sw_err_name(rv));
	complete(c, rv, msg, NULL);
}

int kube_call_start(struct kube_client *k, enum kube_verb verb, enum kube_res_id res,
                    const char *path, const char *query, const char *body, size_t body_len,
                    const char *ctype, const struct kube_call_opts *opts, kube_done_fn done,
                    void *arg)
{
	struct kube_call *c = calloc(1, sizeof(*c));
	size_t pl = strlen(path), ql = query && *query ? strlen(query) : 0;
	int rv = opts ? opts->fail : 0;
	if (!c)
		return SW_ERR_NOMEM;
	c->k = k;
	c->verb = verb;
	c->res = res;
	c->done = done;
	c->arg = arg;
	c->ctype = ctype ? ctype : "application/json";
	if (opts)
		c->opts = *opts;
	LIST_INSERT_HEAD(&k->calls, c, le);
	k->live++;
	c->path = malloc(pl + ql + 2);
	if (c->path) {
		memcpy(c->path, path, pl);
		if (ql) {
			c->path[pl] = '?';
			memcpy(c->path + pl + 1, query, ql);
		}
		c->path[pl + (ql ? ql + 1 : 0)] = '\0';
	} else {
		rv = SW_ERR_NOMEM;
	}
	if (!rv && body) {
		c->body = malloc(body_len ? body_len : 1);
		if (c->body) {
			memcpy(c->body, body, body_len);
			c->body_len = body_len;
		} else {
			rv = SW_ERR_NOMEM;
		}
	}
	if (!rv)
		rv = call_submit(c);
	if (rv < 0) {
		/* reported from the loop like any failure, never from here */
		c->fail_err = rv;
		c->ev_armed = 1;
		kube_client_timer(k, &c->ev, on_event, c, 0);
	}
	return 0;
}

/* ---- the verbs ---- */

/* Builds the path of |res| |ns|/|name|/|sub| into |buf|. Returns 0, or
 * SW_ERR_INVALID for an unknown resource or names too long for a path. */
static int path_of(char *buf, size_t len, enum kube_res_id res, const char *ns, const char *name,
                   const char *sub)
{
	const struct kube_res *r = kube_res_get(res);
	if (r && kube_path_build(buf, len, r, ns, name, sub) >= 0)
		return 0;
	snprintf(buf, len, "/");
	return SW_ERR_INVALID;
}

/* Starts a call with a JSON |body| (serialised here) or none; a path or
 * body that could not be built is reported through |done|. */
static int call_json(struct kube_client *k, enum kube_verb verb, enum kube_res_id res,
                     const char *path, int path_err, const char *query, const json_t *body,
                     const char *ctype, kube_done_fn done, void *arg, void (*on_drop)(void *))
{
	struct kube_call_opts o = {.fail = path_err, .on_drop = on_drop};
	char *txt = body && !path_err ? json_dumps(body, JSON_COMPACT) : NULL;
	int rv;
	if (body && !path_err && !txt)
		o.fail = SW_ERR_NOMEM;
	rv = kube_call_start(k, verb, res, path, query, txt, txt ? strlen(txt) : 0, ctype, &o, done, arg);
	free(txt);
	return rv;
}

int kube_create(struct kube_client *k, enum kube_res_id res, const json_t *obj,
                 kube_done_fn done, void *arg)
{
	char path[600];
	const char *ns = json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
	int e = path_of(path, sizeof(path), res, ns, NULL, NULL);
	return call_json(k, KUBE_VERB_CREATE, res, path, e, NULL, obj, "application/json", done, arg, NULL);
}

int kube_get(struct kube_client *k, enum kube_res_id res, const char *ns, const char *name,
              kube_done_fn done, void *arg)
{
	char path[600];
	int e = path_of(path, sizeof(path), res, ns, name, NULL);
	return call_json(k, KUBE_VERB_GET, res, path, e, NULL, NULL, NULL, done, arg, NULL);
}

int kube_patch(struct kube_client *k, enum kube_res_id res, const char *ns, const char *name,
                const char *sub, const json_t *patch, kube_done_fn done, void *arg)
{
	char path[600];
	int e = path_of(path, sizeof(path), res, ns, name, sub);
	return call_json(k, KUBE_VERB_PATCH, res, path, e, NULL, patch, "application/merge-patch+json",
	                 done, arg, NULL);
}

int kube_delete(struct kube_client *k, enum kube_res_id res, const char *ns, const char *name,
                 kube_done_fn done, void *arg)
{
	char path[600];
	int e = path_of(path, sizeof(path), res, ns, name, NULL);
	return call_json(k, KUBE_VERB_DELETE, res, path, e, "propagationPolicy=Background", NULL, NULL,
	                 done, arg, NULL);
}

int kube_get_raw(struct kube_client *k, const char *path, kube_done_fn done, void *arg)
{
	return call_json(k, KUBE_VERB_GET, KUBE_RES_COUNT, path, path && *path == '/' ? 0 : SW_ERR_INVALID,
	                 NULL, NULL, NULL, done, arg, NULL);
}

int kube_list(struct kube_client *k, enum kube_res_id res, const char *ns, const char *query,
               kube_done_fn done, void *arg)
{
	char path[600];
	int e = path_of(path, sizeof(path), res, ns, NULL, NULL);
	return call_json(k, KUBE_VERB_LIST, res, path, e, query, NULL, NULL, done, arg, NULL);
}

/* ---- the conflict-retried write ---- */

struct kube_wr {
	LIST_ENTRY(kube_wr) le;          /* while its first step waits (k->writes) */
	struct event ev;
	int armed;
	uint64_t rv;
	struct kube_client *k;
	enum kube_res_id res;
	char *ns, *name, *sub;
	kube_apply_fn apply;
	kube_done_fn done;
	void *arg;
	unsigned conflicts, attempts;
};

static void wr_free(struct kube_wr *w)
{
	if (w->armed) {
		event_del(&w->ev);
		LIST_REMOVE(w, le);
	}
	free(w->ns);
	free(w->name);
	free(w->sub);
	free(w);
}

static void wr_finish(struct kube_wr *w, const struct kube_result *r, int skipped)
{
	struct kube_result out = *r;
	out.conflicts = w->conflicts;
	out.attempts = w->attempts;
	out.skipped = skipped;
	if (skipped) {
		out.status = 0;
		out.err = 0;
		out.obj = NULL;
	}
	w->done(w->arg, &out);
	wr_free(w);
}

static void wr_on_patch(void *arg, const struct kube_result *r);
static void wr_on_get(void *arg, const struct kube_result *r);

static void wr_drop(void *arg)
{
	wr_free(arg);
}

/* A get on behalf of |w| (released with it when dropped). */
static int wr_get(struct kube_wr *w)
{
	char path[600];
	int e = path_of(path, sizeof(path), w->res, w->ns, w->name, NULL);
	return call_json(w->k, KUBE_VERB_GET, w->res, path, e, NULL, NULL, NULL, wr_on_get, w, wr_drop);
}

/* Ends |w| with a local failure |err| (no answer to report). */
static void wr_fail(struct kube_wr *w, int err)
{
	struct kube_result r;
	memset(&r, 0, sizeof(r));
	r.err = err;
	r.msg = sw_err_name(err);
	wr_finish(w, &r, 0);
}

/* Writes the patch |apply| gives for |cur| with precondition |rv|. Runs
 * from the loop (kube_write defers its first step). */
static void wr_send(struct kube_wr *w, const json_t *cur, uint64_t rv)
{
	char path[600], rvs[24];
	json_t *patch = w->apply(w->arg, cur), *md;
	int e;
	if (!patch) {
		struct kube_result none;
		memset(&none, 0, sizeof(none));
		wr_finish(w, &none, 1);
		return;
	}
	md = json_object_get(patch, "metadata");
	if (!json_is_object(md)) {
		md = json_object();
		if (json_object_set_new(patch, "metadata", md) != 0)
			md = NULL;
	}
	snprintf(rvs, sizeof(rvs), "%llu", (unsigned long long)rv);
	if (!md || json_object_set_new(md, "resourceVersion", json_string(rvs)) != 0) {
		json_decref(patch);
		wr_fail(w, SW_ERR_NOMEM);
		return;
	}
	e = path_of(path, sizeof(path), w->res, w->ns, w->name, w->sub);
	if (call_json(w->k, KUBE_VERB_PATCH, w->res, path, e, NULL, patch,
	              "application/merge-patch+json", wr_on_patch, w, wr_drop) < 0)
		wr_fail(w, SW_ERR_NOMEM);
	json_decref(patch);
}

static void wr_first(evutil_socket_t fd, short what, void *arg)
{
	struct kube_wr *w = arg;
	(void)fd;
	(void)what;
	w->armed = 0;
	LIST_REMOVE(w, le);
	wr_send(w, NULL, w->rv);
}

static void wr_on_get(void *arg, const struct kube_result *r)
{
	struct kube_wr *w = arg;
	w->attempts += r->attempts;
	if (r->err || r->status != 200 || !r->obj) {
		wr_finish(w, r, 0);
		return;
	}
	wr_send(w, r->obj, kube_obj_rv(r->obj));
}

static void wr_on_patch(void *arg, const struct kube_result *r)
{
	struct kube_wr *w = arg;
	w->attempts += r->attempts;
	if (!r->err && r->status == 409 && w->conflicts < KC_MAX_CONFLICTS &&
	    strcmp(r->st.reason, "AlreadyExists") != 0) {
		w->conflicts++;
		if (wr_get(w) < 0)
			wr_fail(w, SW_ERR_NOMEM);
		return;
	}
	wr_finish(w, r, 0);
}

int kube_write(struct kube_client *k, enum kube_res_id res, const char *ns, const char *name,
                const char *sub, uint64_t rv, kube_apply_fn apply, kube_done_fn done, void *arg)
{
	struct kube_wr *w = calloc(1, sizeof(*w));
	if (!w)
		return SW_ERR_NOMEM;
	w->k = k;
	w->res = res;
	w->ns = ns ? strdup(ns) : NULL;
	w->name = strdup(name ? name : "");
	w->sub = sub ? strdup(sub) : NULL;
	w->apply = apply;
	w->done = done;
	w->arg = arg;
	w->rv = rv;
	if ((ns && !w->ns) || !w->name || (sub && !w->sub)) {
		wr_free(w);
		return SW_ERR_NOMEM;
	}
	if (!rv) {
		if (wr_get(w) < 0) {
			wr_free(w);
			return SW_ERR_NOMEM;
		}
		return 0;
	}
	/* The first patch is built from the loop too: |apply| never runs inside
	 * kube_write(). */
	w->armed = 1;
	LIST_INSERT_HEAD(&k->writes, w, le);
	kube_client_timer(k, &w->ev, wr_first, w, 0);
	return 0;
}
