/*
 * sw_client: public API, request objects, pools, URL and address set-up
 * (see sw_client.h; connection I/O in sw_client_conn.c, HTTP/2 in sw_h2c.c,
 * HTTP/1.1 in sw_client_h1.c).
 *
 * Design notes (the why):
 *  - Raw non-blocking sockets with two embedded events per connection and
 *    our own SSL_read/SSL_write: no bufferevent, no per-connection input
 *    buffer. Reads land in one client-wide scratch buffer and go straight to
 *    nghttp2 or the HTTP/1.1 parser, so an idle connection holds only its
 *    SSL (with released record buffers), its nghttp2 session and an empty
 *    output evbuffer.
 *  - User callbacks never run inside nghttp2 or parser callbacks: finished
 *    requests go to the client's done list and are delivered at the end of
 *    the event handler (or by deliver_ev). A connection that dies is moved to
 *    a reap list and freed by reap_ev, never inside its own call chain.
 *  - Output is batched: submitting a request only marks the connection;
 *    frames are serialised and written once per handler run.
 *  - Optional fairness (sw_client_set_priorities): delivery runs in bounded
 *    passes at a priority above socket reads, so a loop that also serves
 *    timers never spends a whole burst of replies in one stretch.
 */
#include "sw_client_int.h"
#include "sw_url.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sw_err.h"
#include "sw_tls.h"

/* Messages are best-effort: a long host name may truncate them, which is
 * fine, so keep gcc's truncation analysis out of it. */
void swc_msgf(char *buf, size_t len, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vsnprintf(buf, len, f, ap);
	va_end(ap);
}

void sw_client_cfg_init(struct sw_client_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

static struct swc_creq *creq_get(struct sw_client *c)
{
	struct swc_creq *cr = TAILQ_FIRST(&c->freelist);
	if (cr) {
		TAILQ_REMOVE(&c->freelist, cr, q);
		c->nfree--;
		return cr;
	}
	cr = calloc(1, sizeof(*cr));
	if (!cr)
		return NULL;
	cr->resp.body = evbuffer_new();
	if (!cr->resp.body) {
		free(cr);
		return NULL;
	}
	return cr;
}

void swc_hdrs_reset(struct sw_hdrs *h)
{
	/* Keep the array for the next response; free the entries. */
	for (size_t i = 0; i < h->n; i++)
		free(h->v[i].name);
	h->n = 0;
	h->bytes = 0;
}

static void creq_put(struct sw_client *c, struct swc_creq *cr)
{
	sw_req_free(&cr->req);
	if (c->nfree >= SW_FREE_CREQ_MAX) {
		sw_hdrs_clear(&cr->resp.hdrs);
		evbuffer_free(cr->resp.body);
		free(cr);
		return;
	}
	swc_hdrs_reset(&cr->resp.hdrs);
	evbuffer_drain(cr->resp.body, evbuffer_get_length(cr->resp.body));
	TAILQ_INSERT_HEAD(&c->freelist, cr, q);
	c->nfree++;
}

static void creq_detach(struct swc_creq *cr)
{
	switch (cr->where) {
	case SWC_W_QUEUE:
		TAILQ_REMOVE(&cr->pool->queue, cr, q);
		cr->pool->nqueue--;
		break;
	case SWC_W_CONN: {
		struct swc_conn *cn = cr->conn;
		TAILQ_REMOVE(&cn->active, cr, q);
		cn->nactive--;
		if (cn->h2 && cn->sess && cr->stream_id > 0)
			nghttp2_session_set_stream_user_data(cn->sess, cr->stream_id, NULL);
		if (cn->cur == cr)
			cn->cur = NULL;
		cr->conn = NULL;
		break;
	}
	case SWC_W_NONE:
	case SWC_W_DONE:
		break;
	}
	cr->where = SWC_W_NONE;
}

/* Queues the outcome; the user callback runs from swc_client_deliver(). */
void swc_creq_complete(struct swc_creq *cr, int err, const char *msg)
{
	struct sw_client *c = cr->c;
	creq_detach(cr);
	event_del(&cr->tev);
	if (cr->in_sq) {
		/* What is left of the body goes to the final callback. */
		TAILQ_REMOVE(&c->streaming, cr, sq);
		cr->in_sq = 0;
	}
	cr->err = err;
	if (err)
		swc_msgf(cr->msg, sizeof(cr->msg), "%s", msg ? msg : sw_err_name(err));
	cr->resp.t_done_ns = sw_now_ns();
	cr->where = SWC_W_DONE;
	TAILQ_INSERT_TAIL(&c->done, cr, q);
	c->ndone++;
	event_active(&c->deliver_ev, EV_READ, 1);
}

void swc_creq_stream_ready(struct swc_creq *cr)
{
	struct sw_client *c = cr->c;
	if (cr->in_sq)
		return;
	cr->in_sq = 1;
	TAILQ_INSERT_TAIL(&c->streaming, cr, sq);
	event_active(&c->deliver_ev, EV_READ, 1);
}

static void creq_abort(struct swc_creq *cr, int err, const char *msg);

/* Hands new body bytes of streaming requests to their stream_cb; counts in
 * the same pass budget as completions. Returns the callbacks run. */
static unsigned deliver_streams(struct sw_client *c, unsigned max, uint64_t end)
{
	struct swc_creq *cr;
	unsigned n = 0;
	while (n < max && (cr = TAILQ_FIRST(&c->streaming)) != NULL) {
		if (n > 0 && end && sw_now_ns() >= end)
			break;
		n++;
		TAILQ_REMOVE(&c->streaming, cr, sq);
		cr->in_sq = 0;
		if (cr->req->stream_cb(cr->arg, &cr->resp) != 0 && cr->where == SWC_W_CONN) {
			struct swc_pool *p = cr->pool;
			creq_abort(cr, SW_ERR_CANCELLED, "streaming response cancelled by its reader");
			if (p)
				swc_pool_dispatch(p);
		}
	}
	return n;
}

/* Delivers up to |max| completions; stops early once |slice_ns| (0 = no
 * limit) has passed, checked after each callback. */
static void deliver_n(struct sw_client *c, unsigned max, uint64_t slice_ns)
{
	struct swc_creq *cr;
	uint64_t end = slice_ns ? sw_now_ns() + slice_ns : 0;
	unsigned n = TAILQ_EMPTY(&c->streaming) ? 0 : deliver_streams(c, max, end);
	while (n < max && (cr = TAILQ_FIRST(&c->done)) != NULL) {
		if (n > 0 && end && sw_now_ns() >= end)
			break;
		n++;
		TAILQ_REMOVE(&c->done, cr, q);
		c->ndone--;
		cr->where = SWC_W_NONE;
		if (cr->err) {
			c->st.errors++;
			cr->cb(cr->arg, cr->err, cr->msg, NULL);
		} else {
			c->st.responses++;
			cr->cb(cr->arg, 0, NULL, &cr->resp);
		}
		creq_put(c, cr);
	}
	if (!TAILQ_EMPTY(&c->done) || !TAILQ_EMPTY(&c->streaming))
		event_active(&c->deliver_ev, EV_READ, 1);
}

void swc_client_deliver(struct sw_client *c)
{
	deliver_n(c, c->cfg.deliver_batch ? c->cfg.deliver_batch : UINT_MAX,
	          (uint64_t)c->cfg.deliver_slice_us * 1000u);
}

void swc_client_deliver_all(struct sw_client *c)
{
	deliver_n(c, UINT_MAX, 0);
}

void swc_event_prio(struct sw_client *c, struct event *ev, int kind)
{
	int prio = kind == 0 ? c->io_prio : kind == 1 ? c->deliver_prio :
	           c->flush_prio >= 0 ? c->flush_prio : c->deliver_prio;
	if (prio >= 0)
		event_priority_set(ev, prio);
}

int sw_client_set_flush_priority(struct sw_client *c, int prio)
{
	if (!c || prio < 0 || prio >= event_base_get_npriorities(c->base))
		return SW_ERR_INVALID;
	c->flush_prio = prio;
	return 0;
}

int sw_client_set_priorities(struct sw_client *c, int io_prio, int deliver_prio)
{
	int n;
	if (!c)
		return SW_ERR_INVALID;
	n = event_base_get_npriorities(c->base);
	if (io_prio < 0 || deliver_prio < 0 || io_prio >= n || deliver_prio >= n)
		return SW_ERR_INVALID;
	c->io_prio = io_prio;
	c->deliver_prio = deliver_prio;
	if (event_priority_set(&c->deliver_ev, deliver_prio) != 0)
		return SW_ERR_INVALID;
	return 0;
}

static void deliver_cb(evutil_socket_t fd, short what, void *arg)
{
	swc_client_deliver(arg);
}

void swc_creq_count_retry(struct swc_creq *cr, int reason)
{
	cr->resp.retries++;
	cr->c->st.retries++;
	if (reason >= 0 && reason < SW_RETRY_REASON_COUNT) {
		cr->c->st.retries_by[reason]++;
		if (cr->req && cr->req->retries)
			cr->req->retries->n[reason]++;
	}
}

/* Puts |cr| back at the head of its pool's queue for another connection. */
void swc_creq_retry(struct swc_creq *cr, int reason, const char *why)
{
	struct swc_pool *p = cr->pool;
	struct sw_client *c = cr->c;
	cr->avoid_conn = cr->conn ? cr->conn->id : 0;
	creq_detach(cr);
	if (cr->in_sq) {
		TAILQ_REMOVE(&c->streaming, cr, sq);
		cr->in_sq = 0;
	}
	if (!p || p->closing) {
		swc_creq_complete(cr, SW_ERR_CANCELLED, "connection pool closed");
		return;
	}
	if (cr->resp.retries >= c->cfg.max_retries) {
		char m[SW_MSG_LEN];
		swc_msgf(m, sizeof(m), "gave up after %u retries: %s", cr->resp.retries, why);
		swc_creq_complete(cr, SW_ERR_RETRIES, m);
		return;
	}
	swc_creq_count_retry(cr, reason);
	cr->stream_id = 0;
	cr->h2_sent = cr->got_bytes = 0;
	cr->body_off = 0;
	cr->hdr_bytes = 0;
	cr->resp.status = 0;
	swc_hdrs_reset(&cr->resp.hdrs);
	evbuffer_drain(cr->resp.body, evbuffer_get_length(cr->resp.body));
	TAILQ_INSERT_HEAD(&p->queue, cr, q);
	p->nqueue++;
	cr->where = SWC_W_QUEUE;
}

/* Ends |cr|, which is on a connection, with |err|: HTTP/2 resets its stream,
 * HTTP/1.1 cannot abandon a response, so the connection goes. */
static void creq_abort(struct swc_creq *cr, int err, const char *msg)
{
	struct swc_conn *cn = cr->conn;
	if (cn->h2) {
		if (cr->stream_id > 0)
			nghttp2_submit_rst_stream(cn->sess, NGHTTP2_FLAG_NONE, cr->stream_id, NGHTTP2_CANCEL);
		swc_creq_complete(cr, err, msg);
		swc_conn_want_flush(cn);
		if (!cn->in_io && cn->nactive == 0)
			swc_conn_idle_check(cn);
	} else {
		swc_creq_complete(cr, err, msg);
		swc_conn_fail(cn, err, msg);
	}
}

static void req_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct swc_creq *cr = arg;
	struct sw_client *c = cr->c;
	struct swc_pool *p = cr->pool;
	char m[SW_MSG_LEN];
	unsigned ms = cr->req->timeout_ms ? cr->req->timeout_ms : c->cfg.request_timeout_ms;
	if (cr->where == SWC_W_QUEUE) {
		if (p->last_err)
			swc_msgf(m, sizeof(m), "request timed out after %u ms waiting for a connection (last: %s)",
			         ms, p->last_msg);
		else
			swc_msgf(m, sizeof(m), "request timed out after %u ms waiting for a connection", ms);
		swc_creq_complete(cr, SW_ERR_TIMEOUT, m);
	} else if (cr->where == SWC_W_CONN) {
		swc_msgf(m, sizeof(m), "request %s %s timed out after %u ms", cr->req->method,
		         cr->req->path, ms);
		creq_abort(cr, SW_ERR_TIMEOUT, m);
	}
	if (p)
		swc_pool_dispatch(p);
	swc_client_deliver(c);
}

static void pool_backoff(struct swc_pool *p)
{
	struct sw_client *c = p->c;
	if (p->closing)
		return;
	p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : c->cfg.backoff_initial_ms;
	if (p->backoff_ms > c->cfg.backoff_max_ms)
		p->backoff_ms = c->cfg.backoff_max_ms;
	struct timeval tv = {p->backoff_ms / 1000, (p->backoff_ms % 1000) * 1000};
	p->in_backoff = 1;
	event_add(&p->backoff_ev, &tv);
}

static int pool_has_ready(struct swc_pool *p)
{
	struct swc_conn *cn;
	for (cn = TAILQ_FIRST(&p->conns); cn; cn = TAILQ_NEXT(cn, pq))
		if (cn->state == SWC_CS_READY)
			return 1;
	return 0;
}

/* A connection attempt failed: queued requests count one attempt each
 * (when no live connection could serve them) and the pool backs off. */
void swc_pool_connect_failed(struct swc_pool *p, int err, const char *msg)
{
	struct sw_client *c = p->c;
	p->last_err = err;
	swc_msgf(p->last_msg, sizeof(p->last_msg), "%s", msg);
	if (p->closing)
		return;
	if (!pool_has_ready(p)) {
		struct swc_creq *cr, *nx;
		/* A fatal failure (certificate, ALPN, TLS or protocol error) will
		 * not heal by reconnecting: fail what waits for it now. */
		int final = sw_err_is_fatal(err);
		for (cr = TAILQ_FIRST(&p->queue); cr; cr = nx) {
			nx = TAILQ_NEXT(cr, q);
			if (final || cr->resp.retries >= c->cfg.max_retries) {
				char m[SW_MSG_LEN];
				if (final || c->cfg.max_retries == 0)
					swc_msgf(m, sizeof(m), "%s", msg);
				else
					swc_msgf(m, sizeof(m), "%s (after %u attempts)", msg, cr->resp.retries + 1);
				swc_creq_complete(cr, err, m);
			} else {
				swc_creq_count_retry(cr, SW_RETRY_CONNECT_FAILED);
			}
		}
	}
	pool_backoff(p);
}

static unsigned expected_cap(const struct sw_client *c)
{
	if (c->cfg.proto == SW_PROTO_H1 || (!c->tls && c->cfg.proto == SW_PROTO_AUTO))
		return 1;
	return c->cfg.max_streams ? c->cfg.max_streams : SW_DEFAULT_H2_STREAMS;
}

/* A retried request goes to another connection than the one that refused
 * it, unless the pool may not open one (a dedicated link). */
static struct swc_conn *pool_pick(struct swc_pool *p, uint64_t avoid)
{
	struct swc_conn *cn;
	int may_open = p->nconns < p->max_conns;
	for (cn = TAILQ_FIRST(&p->conns); cn; cn = TAILQ_NEXT(cn, pq))
		if (cn->state == SWC_CS_READY && !cn->goaway && !cn->no_reuse && cn->nactive < cn->cap &&
		    (cn->h2 ? !p->h2_budget || cn->nstarted < p->h2_budget : cn->cur == NULL) &&
		    !(avoid && cn->id == avoid && may_open))
			return cn;
	return NULL;
}

void swc_pool_dispatch(struct swc_pool *p)
{
	struct sw_client *c = p->c;
	while (p->nqueue) {
		struct swc_creq *cr = TAILQ_FIRST(&p->queue);
		struct swc_conn *cn = pool_pick(p, cr->avoid_conn);
		if (!cn)
			break;
		creq_detach(cr);
		int rv = swc_conn_start(cn, cr);
		if (rv) {
			char m[SW_MSG_LEN];
			swc_msgf(m, sizeof(m), "could not start request: %s", sw_err_name(rv));
			swc_creq_complete(cr, rv, m);
			/* The connection's output may hold half of this request (or
			 * its session state is unknown): it carries nothing more. */
			if (sw_err_is_fatal(rv))
				swc_conn_fail(cn, rv, m);
		}
	}
	if (!p->nqueue || p->in_backoff || p->closing)
		return;
	unsigned want = expected_cap(c);
	unsigned pending = p->nconnecting * want;
	while (p->nconns < p->max_conns && pending < p->nqueue) {
		if (!swc_conn_open(p)) {
			swc_msgf(p->last_msg, sizeof(p->last_msg), "socket: %s", strerror(errno));
			p->last_err = SW_ERR_IO;
			pool_backoff(p);
			return;
		}
		pending += want;
	}
}

static void backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct swc_pool *p = arg;
	struct sw_client *c = p->c;
	p->in_backoff = 0;
	swc_pool_dispatch(p);
	swc_client_deliver(c);
}

static void pool_init(struct swc_pool *p, struct sw_client *c, struct sw_link *link, unsigned max_conns)
{
	memset(p, 0, sizeof(*p));
	p->c = c;
	p->link = link;
	p->max_conns = max_conns;
	TAILQ_INIT(&p->conns);
	TAILQ_INIT(&p->queue);
	event_assign(&p->backoff_ev, c->base, -1, 0, backoff_cb, p);
}

/* Cancels everything in |p|; callbacks are queued, not run. */
static void pool_close(struct swc_pool *p)
{
	struct swc_creq *cr;
	struct swc_conn *cn;
	p->closing = 1;
	event_del(&p->backoff_ev);
	while ((cr = TAILQ_FIRST(&p->queue)) != NULL)
		swc_creq_complete(cr, SW_ERR_CANCELLED, "request cancelled: client or link freed");
	while ((cn = TAILQ_FIRST(&p->conns)) != NULL)
		swc_conn_fail(cn, SW_ERR_CANCELLED, "request cancelled: client or link freed");
}

static int parse_url(struct sw_client *c, const char *url, char *err, size_t errlen)
{
	struct sw_url u;
	char why[128];
	int rv = sw_url_parse(url, &u, why, sizeof(why));
	if (rv < 0) {
		swc_msgf(err, errlen, "url %s: %s", url, why);
		return rv;
	}
	unsigned port = u.port;
	c->tls = u.tls;
	memcpy(c->host, u.host, sizeof(c->host));
	int v6 = strchr(c->host, ':') != NULL;
	swc_msgf(c->authority, sizeof(c->authority), v6 ? "[%s]:%u" : "%s:%u", c->host, port);

	/* Numeric and "localhost" need no resolver; other names are looked up
	 * once, here, before the loop runs (documented blocking call). */
	struct sockaddr_in *s4 = (struct sockaddr_in *)&c->addr;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&c->addr;
	memset(&c->addr, 0, sizeof(c->addr));
	if (inet_pton(AF_INET, c->host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		c->addrlen = sizeof(*s4);
		c->is_ip = 1;
		return 0;
	}
	if (inet_pton(AF_INET6, c->host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		c->addrlen = sizeof(*s6);
		c->is_ip = 1;
		return 0;
	}
	if (strcasecmp(c->host, "localhost") == 0) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		c->addrlen = sizeof(*s4);
		return 0;
	}
	for (const char *q = c->host; *q; q++) {
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
		      *q == '-' || *q == '.')) {
			swc_msgf(err, errlen, "resolve %s: not a valid host name", c->host);
			return SW_ERR_RESOLVE;
		}
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
	int g = getaddrinfo(c->host, NULL, &hints, &res);
	if (g != 0 || !res) {
		swc_msgf(err, errlen, "resolve %s: %s", c->host, g ? gai_strerror(g) : "no address");
		return SW_ERR_RESOLVE;
	}
	memcpy(&c->addr, res->ai_addr, res->ai_addrlen);
	c->addrlen = (socklen_t)res->ai_addrlen;
	if (c->addr.ss_family == AF_INET)
		s4->sin_port = htons((uint16_t)port);
	else
		s6->sin6_port = htons((uint16_t)port);
	freeaddrinfo(res);
	return 0;
}

/* The local addresses of |cfg| (or the loopback block) into c->src. */
static int set_sources(struct sw_client *c, const struct sw_client_cfg *cfg, char *err, size_t errlen)
{
	int fam = c->addr.ss_family;
	const struct sockaddr_in *t4 = (const struct sockaddr_in *)&c->addr;
	unsigned n = cfg->nsource_addrs;

	if (!n && (cfg->loopback_sources < 2 || fam != AF_INET ||
	           (ntohl(t4->sin_addr.s_addr) >> 24) != 127))
		return 0;
	if (!n)
		n = cfg->loopback_sources;
	c->src = calloc(n, sizeof(*c->src));
	if (!c->src) {
		swc_msgf(err, errlen, "out of memory");
		return SW_ERR_NOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&c->src[i];
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&c->src[i];
		if (!cfg->nsource_addrs) {
			s4->sin_family = AF_INET;
			s4->sin_addr.s_addr = htonl(0x7f000001u + cfg->loopback_first + i);
		} else if (fam == AF_INET && cfg->source_addrs[i] &&
		           inet_pton(AF_INET, cfg->source_addrs[i], &s4->sin_addr) == 1) {
			s4->sin_family = AF_INET;
		} else if (fam == AF_INET6 && cfg->source_addrs[i] &&
		           inet_pton(AF_INET6, cfg->source_addrs[i], &s6->sin6_addr) == 1) {
			s6->sin6_family = AF_INET6;
		} else {
			swc_msgf(err, errlen, "source address '%s': not a numeric %s address like the "
			         "target %s", cfg->source_addrs[i] ? cfg->source_addrs[i] : "(null)",
			         fam == AF_INET ? "IPv4" : "IPv6", c->authority);
			return SW_ERR_INVALID;
		}
	}
	c->nsrc = n;
	return 0;
}

static int new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct sw_client *c = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	/* One origin, one cache slot: the newest ticket wins. */
	if (c->sess)
		SSL_SESSION_free(c->sess);
	c->sess = sess;
	return 1;
}

static void set_defaults(struct sw_client_cfg *g)
{
#define DEF(f, v) \
	if (!g->f) \
		g->f = v
	DEF(connect_timeout_ms, 10000);
	DEF(tls_timeout_ms, 10000);
	DEF(request_timeout_ms, 60000);
	DEF(idle_timeout_ms, 90000);
	DEF(max_conns, 64);
	DEF(max_retries, 3);
	DEF(backoff_initial_ms, 100);
	DEF(backoff_max_ms, 10000);
	DEF(max_header_bytes, 64 * 1024);
	DEF(max_body_bytes, 64 * 1024 * 1024);
	DEF(h2_window_bytes, 1024 * 1024);
#undef DEF
	if (g->h2_window_bytes > 0x7fffffff)
		g->h2_window_bytes = 0x7fffffff;
}

struct sw_client *sw_client_new(struct event_base *base, const struct sw_client_cfg *cfg,
                                char *err, size_t errlen)
{
	char dummy[8];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (!base || !cfg || !cfg->url) {
		swc_msgf(err, errlen, "sw_client_new: base, cfg and cfg->url are required");
		return NULL;
	}
	struct sw_client *c = calloc(1, sizeof(*c));
	if (!c) {
		swc_msgf(err, errlen, "out of memory");
		return NULL;
	}
	c->base = base;
	c->cfg = *cfg;
	set_defaults(&c->cfg);
	c->cfg.url = NULL; /* not kept: the caller owns the string */
	c->cfg.ca_file = c->cfg.cert_file = c->cfg.key_file = NULL;
	c->cfg.ca_pem = c->cfg.cert_pem = c->cfg.key_pem = NULL;
	c->cfg.sni = NULL;
	TAILQ_INIT(&c->done);
	TAILQ_INIT(&c->streaming);
	c->io_prio = c->deliver_prio = c->flush_prio = -1;
	TAILQ_INIT(&c->freelist);
	TAILQ_INIT(&c->reap);
	LIST_INIT(&c->links);
	event_assign(&c->deliver_ev, base, -1, 0, deliver_cb, c);
	event_assign(&c->reap_ev, base, -1, 0, swc_reap_cb, c);
	pool_init(&c->shared, c, NULL, c->cfg.max_conns);
	if (parse_url(c, cfg->url, err, errlen) != 0)
		goto fail;
	if (set_sources(c, cfg, err, errlen) != 0)
		goto fail;
	c->cfg.source_addrs = NULL; /* not kept: parsed into c->src */
	if (cfg->sni && !(c->sni = strdup(cfg->sni))) {
		swc_msgf(err, errlen, "out of memory");
		goto fail;
	}
	if (c->tls) {
		c->ctx = sw_tls_ctx_new(cfg, err, errlen);
		if (!c->ctx)
			goto fail;
		SSL_CTX_set_app_data(c->ctx, c);
		if (!cfg->no_session_resumption)
			SSL_CTX_sess_set_new_cb(c->ctx, new_session_cb);
	}
	if (swc_h2_init(c) != 0) {
		swc_msgf(err, errlen, "out of memory");
		goto fail;
	}
	swc_h1_init(c);
	struct timeval tv = {c->cfg.request_timeout_ms / 1000, (c->cfg.request_timeout_ms % 1000) * 1000};
	c->req_tv = event_base_init_common_timeout(base, &tv);
	struct timeval itv = {c->cfg.idle_timeout_ms / 1000, (c->cfg.idle_timeout_ms % 1000) * 1000};
	c->idle_tv = event_base_init_common_timeout(base, &itv);
	if (!c->req_tv || !c->idle_tv) {
		/* libevent fails it only for want of memory (or past 256 durations per base) */
		swc_msgf(err, errlen, "out of memory (event_base_init_common_timeout)");
		goto fail;
	}
	return c;
fail:
	sw_client_free(&c);
	return NULL;
}

void sw_client_free(struct sw_client **cp)
{
	if (!cp || !*cp)
		return;
	struct sw_client *c = *cp;
	struct sw_link *l;
	for (l = LIST_FIRST(&c->links); l; l = LIST_NEXT(l, le))
		pool_close(&l->pool);
	pool_close(&c->shared);
	swc_client_deliver_all(c);
	event_del(&c->deliver_ev);
	event_del(&c->reap_ev);
	struct swc_conn *cn;
	while ((cn = TAILQ_FIRST(&c->reap)) != NULL) {
		TAILQ_REMOVE(&c->reap, cn, pq);
		swc_conn_free(cn);
	}
	struct swc_creq *cr;
	while ((cr = TAILQ_FIRST(&c->freelist)) != NULL) {
		TAILQ_REMOVE(&c->freelist, cr, q);
		sw_hdrs_clear(&cr->resp.hdrs);
		evbuffer_free(cr->resp.body);
		free(cr);
	}
	/* Links the caller failed to free keep pointing at us; detach them. */
	while ((l = LIST_FIRST(&c->links)) != NULL) {
		LIST_REMOVE(l, le);
		l->pool.c = NULL;
	}
	if (c->sess)
		SSL_SESSION_free(c->sess);
	SSL_CTX_free(c->ctx);
	if (c->h2cbs)
		nghttp2_session_callbacks_del(c->h2cbs);
	if (c->h2opt)
		nghttp2_option_del(c->h2opt);
	free(c->sni);
	free(c->src);
	free(c);
	*cp = NULL;
}

int sw_client_request(struct sw_client *c, struct sw_link *link, struct sw_req *req,
                      sw_resp_cb cb, void *arg)
{
	if (!c || !req || !cb || sw_req_check(req) < 0 ||
	    c->shared.closing || (link && (link->pool.closing || link->pool.c != c))) {
		sw_req_free(&req);
		return SW_ERR_INVALID;
	}
	struct swc_creq *cr = creq_get(c);
	if (!cr) {
		sw_req_free(&req);
		return SW_ERR_NOMEM;
	}
	struct swc_pool *p = link ? &link->pool : &c->shared;
	cr->c = c;
	cr->pool = p;
	cr->conn = NULL;
	cr->req = req;
	cr->cb = cb;
	cr->arg = arg;
	cr->err = 0;
	cr->in_sq = 0;
	cr->stream_id = 0;
	cr->h2_sent = cr->got_bytes = 0;
	cr->body_off = cr->hdr_bytes = 0;
	cr->avoid_conn = 0;
	cr->resp.status = 0;
	cr->resp.proto = SW_PROTO_H2;
	cr->resp.retries = 0;
	cr->resp.t_queued_ns = sw_now_ns();
	cr->resp.t_sent_ns = cr->resp.t_done_ns = 0;
	event_assign(&cr->tev, c->base, -1, 0, req_timeout_cb, cr);
	if (req->timeout_ms) {
		struct timeval tv = {req->timeout_ms / 1000, (req->timeout_ms % 1000) * 1000};
		event_add(&cr->tev, &tv);
	} else {
		event_add(&cr->tev, c->req_tv);
	}
	c->st.requests++;
	TAILQ_INSERT_TAIL(&p->queue, cr, q);
	p->nqueue++;
	cr->where = SWC_W_QUEUE;
	swc_pool_dispatch(p);
	return 0;
}

struct sw_link *sw_link_new(struct sw_client *c)
{
	if (!c)
		return NULL;
	struct sw_link *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	pool_init(&l->pool, c, l, 1);
	LIST_INSERT_HEAD(&c->links, l, le);
	return l;
}

void sw_link_free(struct sw_link **lp)
{
	if (!lp || !*lp)
		return;
	struct sw_link *l = *lp;
	*lp = NULL;
	struct sw_client *c = l->pool.c;
	if (c) {
		pool_close(&l->pool);
		LIST_REMOVE(l, le);
		swc_client_deliver_all(c);
	}
	free(l);
}

void sw_client_get_stats(const struct sw_client *c, struct sw_client_stats *out)
{
	if (!c || !out)
		return;
	*out = c->st;
}
