/* Listener, TLS/ALPN, connection life cycle and the exchange API of sw_server.h.
 * HTTP/1.1 framing lives in sw_srv_h1conn.c, HTTP/2 in sw_srv_h2.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>

#include "sw_err.h"
#include "sw_srv_int.h"

#define SRV_DEF_MAX_HEADER (64 * 1024)
#define SRV_DEF_MAX_BODY ((size_t)256 * 1024 * 1024)
#define SRV_DEF_MAX_BODY_TOTAL ((size_t)512 * 1024 * 1024)
#define SRV_DEF_IDLE_MS 120000
#define SRV_DEF_HEADER_TIMEOUT_MS 30000
#define SRV_DEF_BODY_TIMEOUT_MS 300000
/* Descriptors left for everything but client connections (listener, files, logs). */
#define SRV_FD_RESERVE 64
/* The deadline sweep runs this often at most / at least. */
#define SRV_SWEEP_MIN_MS 10
#define SRV_SWEEP_MAX_MS 1000
#define SRV_DEF_H2_STREAMS 256
#define SRV_DEF_BACKLOG 4096
/* A closing connection keeps reading (and discarding) this long so the peer
 * gets our last response instead of a TCP reset. */
#define SRV_LINGER_MS 2000
#define SRV_MAX_SINGLE_READ (64 * 1024)
/* Exchange pool bounds: count, and the largest header array / path buffer kept. */
#define SRV_XPOOL_MAX 1024
#define SRV_XPOOL_HDRS 32
#define SRV_XPOOL_PATH 1024

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define H2_PREFACE_LEN (sizeof(h2_preface) - 1)

static void set_tv(struct timeval *tv, unsigned ms)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

void srv_conn_set_state(struct srv_conn *c, enum srv_conn_state st)
{
	c->state = st;
}

void srv_conn_schedule(struct srv_conn *c)
{
	if (c->work_armed)
		return;
	c->work_armed = 1;
	event_active(&c->ev_work, EV_TIMEOUT, 1);
}

void srv_conn_try_write(struct srv_conn *c)
{
	/* Plain TCP writes at once instead of arming EPOLLOUT and writing on the next
	 * loop turn: that saves two epoll_ctl calls and a wakeup per response. EV_WRITE
	 * is enabled only while output is left over (TLS keeps bufferevent's way). */
	if (c->tls || c->state == SRV_CONN_DEAD)
		return;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) == 0)
		return;
	/* bufferevent keeps the front of its output frozen outside its own write
	 * callback; thaw it for this write exactly as bufferevent_sock.c does. */
	evbuffer_unfreeze(out, 1);
	int n = evbuffer_write(out, bufferevent_getfd(c->bev));
	int e = errno;
	evbuffer_freeze(out, 1);
	if (n < 0 && e != EAGAIN && e != EINTR) {
		srv_conn_close(c);
		return;
	}
	if (evbuffer_get_length(out) > 0)
		bufferevent_enable(c->bev, EV_WRITE);
	else if (c->want_flush)
		srv_conn_schedule(c); /* nghttp2 stopped at SRV_OUT_HIGH: produce the next batch */
}

void srv_conn_close(struct srv_conn *c)
{
	if (c->state == SRV_CONN_DEAD)
		return;
	srv_conn_set_state(c, SRV_CONN_DEAD);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	srv_conn_schedule(c);
}

static void conn_linger(struct srv_conn *c)
{
	struct timeval tv;
	srv_conn_set_state(c, SRV_CONN_LINGER);
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	if (fd >= 0)
		shutdown(fd, SHUT_WR);
	set_tv(&tv, SRV_LINGER_MS);
	bufferevent_set_timeouts(c->bev, &tv, NULL);
	/* The read timeout restarts with every read; a peer that keeps sending is
	 * cut off at this absolute deadline instead. */
	c->linger_until_ns = sw_now_ns() + (uint64_t)SRV_LINGER_MS * 1000000u;
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	evbuffer_drain(bufferevent_get_input(c->bev), evbuffer_get_length(bufferevent_get_input(c->bev)));
	bufferevent_enable(c->bev, EV_READ);
}

void srv_conn_close_after_flush(struct srv_conn *c)
{
	if (c->state == SRV_CONN_DEAD || c->state == SRV_CONN_DRAIN || c->state == SRV_CONN_LINGER)
		return;
	srv_conn_set_state(c, SRV_CONN_DRAIN);
	/* Keep reading (and discarding) so unread input does not turn our close into a reset. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	bufferevent_enable(c->bev, c->tls ? EV_READ | EV_WRITE : EV_READ);
	srv_conn_try_write(c);
	if (c->state == SRV_CONN_DRAIN && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_linger(c);
}

/* ---- exchanges ---- */

struct sw_exchange *srv_x_new(struct srv_conn *c)
{
	struct sw_server *s = c->srv;
	struct sw_exchange *x = s->xpool;
	if (x) {
		/* Recycled: keep its body buffer, header array and path buffer. */
		struct evbuffer *body = x->req.body;
		struct sw_hdr *hv = x->req.hdrs.v;
		size_t hcap = x->req.hdrs.cap, pcap = x->pathcap;
		char *pb = x->pathbuf;
		s->xpool = x->next;
		s->nxpool--;
		memset(x, 0, sizeof(*x));
		x->req.body = body;
		x->req.hdrs.v = hv;
		x->req.hdrs.cap = hcap;
		x->pathbuf = pb;
		x->pathcap = pcap;
	} else {
		x = calloc(1, sizeof(*x));
		if (!x)
			return NULL;
		x->req.body = evbuffer_new();
		if (!x->req.body) {
			free(x);
			return NULL;
		}
	}
	x->srv = s;
	x->body_max = s->cfg.max_body_bytes;
	x->body_keep = s->cfg.max_body_bytes;
	x->req.method = x->method;
	x->req.path = "";
	x->req.query = "";
	x->req.tls = c->tls;
	x->req.proto = c->h2 ? SW_PROTO_H2 : SW_PROTO_H1;
	x->req.t_start_ns = sw_now_ns();
	x->conn = c;
	x->next = c->xs;
	if (c->xs)
		c->xs->prev = x;
	c->xs = x;
	c->nx++;
	return x;
}

static void x_unlink(struct sw_exchange *x)
{
	struct srv_conn *c = x->conn;
	if (x->orphan) {
		/* Detached earlier: it is on the server's orphan list. */
		if (x->prev)
			x->prev->next = x->next;
		else if (x->srv)
			x->srv->orphans = x->next;
		if (x->next)
			x->next->prev = x->prev;
		x->prev = x->next = NULL;
		x->orphan = 0;
		return;
	}
	if (!c)
		return;
	if (x->prev)
		x->prev->next = x->next;
	else
		c->xs = x->next;
	if (x->next)
		x->next->prev = x->prev;
	x->prev = x->next = NULL;
	if (--c->nx == 0)
		c->idle_since_ns = sw_now_ns();
	if (c->h1x == x)
		c->h1x = NULL;
	x->conn = NULL;
}

/* The application still owes a reply on |x| but its connection goes away:
 * keep it on the server (its body stays counted) until the reply frees it. */
static void x_orphan(struct sw_exchange *x)
{
	x_unlink(x);
	struct sw_server *s = x->srv;
	if (!s)
		return;
	x->orphan = 1;
	x->prev = NULL;
	x->next = s->orphans;
	if (s->orphans)
		s->orphans->prev = x;
	s->orphans = x;
}

static void x_destroy(struct sw_exchange *x)
{
	sw_hdrs_clear(&x->req.hdrs);
	if (x->req.body)
		evbuffer_free(x->req.body);
	free(x->pathbuf);
	free(x);
}

void srv_x_free(struct sw_exchange *x)
{
	if (!x)
		return;
	struct sw_server *s = x->srv;
	srv_x_body_release(x);
	/* nghttp2 must not hand us this pointer again (frames for the stream may
	 * still follow in the input being parsed). */
	if (x->conn && x->conn->h2 && x->stream_id > 0)
		nghttp2_session_set_stream_user_data(x->conn->h2, x->stream_id, NULL);
	x_unlink(x);
	if (x->st && srv_stream_release(x))
		return; /* its stream callback is running: the notifier frees it afterwards */
	if (x->resp && x->resp != x->req.body)
		evbuffer_free(x->resp);
	x->resp = NULL;
	/* Pool it (per server, bounded) so a request costs no exchange, buffer or
	 * header-array allocation; detached exchanges no longer know their server. */
	if (!s || s->nxpool >= SRV_XPOOL_MAX || x->req.hdrs.cap > SRV_XPOOL_HDRS ||
	    x->pathcap > SRV_XPOOL_PATH) {
		x_destroy(x);
		return;
	}
	for (size_t i = 0; i < x->req.hdrs.n; i++)
		free(x->req.hdrs.v[i].name); /* the value shares the allocation */
	x->req.hdrs.n = 0;
	x->req.hdrs.bytes = 0;
	evbuffer_drain(x->req.body, evbuffer_get_length(x->req.body));
	x->next = s->xpool;
	s->xpool = x;
	s->nxpool++;
}

int srv_x_set_method(struct sw_exchange *x, const char *m, size_t n)
{
	if (n == 0 || n >= SRV_METHOD_MAX)
		return SW_ERR_PROTO;
	memcpy(x->method, m, n);
	x->method[n] = '\0';
	x->head_only = n == 4 && memcmp(m, "HEAD", 4) == 0;
	return 0;
}

int srv_x_set_path(struct sw_exchange *x, const char *t, size_t n)
{
	/* absolute-form (RFC 9112 §3.2.2): keep only the path and query. */
	if (n > 7 && (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0)) {
		const char *p = (const char *)memchr(t, ':', n) + 3;
		const char *slash = memchr(p, '/', n - (size_t)(p - t));
		const char *q = memchr(p, '?', n - (size_t)(p - t));
		if (q && (!slash || q < slash))
			slash = q;
		if (slash) {
			n -= (size_t)(slash - t);
			t = slash;
		} else {
			t = "/";
			n = 1;
		}
	}
	if (n == 0 || memchr(t, '\0', n))
		return SW_ERR_PROTO;
	char *buf = x->pathbuf;
	if (n + 2 > x->pathcap) {
		size_t cap = n + 2 < 128 ? 128 : n + 2;
		buf = malloc(cap);
		if (!buf)
			return SW_ERR_NOMEM;
		free(x->pathbuf);
		x->pathcap = cap;
	}
	const char *q = memchr(t, '?', n);
	size_t plen = q ? (size_t)(q - t) : n;
	size_t qlen = q ? n - plen - 1 : 0;
	memcpy(buf, t, plen);
	buf[plen] = '\0';
	if (qlen)
		memcpy(buf + plen + 1, q + 1, qlen);
	buf[plen + 1 + qlen] = '\0';
	x->pathbuf = buf;
	x->req.path = buf;
	x->req.query = buf + plen + 1;
	return 0;
}

void srv_x_policy(struct sw_exchange *x)
{
	struct sw_server *s = x->srv;
	struct sw_body_policy p = {0, 0};
	if (s->cfg.body_policy)
		s->cfg.body_policy(s->cfg.body_policy_arg, x->method, x->req.path, &p);
	x->body_max = p.max ? p.max : s->cfg.max_body_bytes;
	x->body_keep = p.keep && p.keep < x->body_max ? p.keep : x->body_max;
}

static int x_refuse(struct sw_exchange *x, int status)
{
	struct sw_server *s = x->srv;
	x->refuse_status = status;
	if (status == 413)
		s->stats.too_large++;
	else
		s->stats.over_budget++;
	return SW_ERR_TOO_BIG;
}

int srv_x_body_expect(struct sw_exchange *x, uint64_t len)
{
	struct sw_server *s = x->srv;
	if (len > x->body_max)
		return x_refuse(x, 413);
	uint64_t keep = len < x->body_keep ? len : x->body_keep;
	if (s->stats.body_bytes + keep > s->cfg.max_body_total)
		return x_refuse(x, 503);
	return 0;
}

/* How many of |n| new body bytes |x| keeps; refuses what passes a limit. */
static int body_take(struct sw_exchange *x, size_t n, size_t *take)
{
	struct sw_server *s = x->srv;
	if (x->req.body_total + n > x->body_max)
		return x_refuse(x, 413);
	size_t kept = evbuffer_get_length(x->req.body);
	size_t room = kept < x->body_keep ? x->body_keep - kept : 0;
	*take = n < room ? n : room;
	if (s->stats.body_bytes + *take > s->cfg.max_body_total)
		return x_refuse(x, 503);
	return 0;
}

static void body_count(struct sw_exchange *x, size_t n, size_t take)
{
	struct sw_server *s = x->srv;
	x->req.body_total += n;
	x->body_kept += take;
	s->stats.body_bytes += take;
	if (s->stats.body_bytes > s->stats.body_bytes_peak)
		s->stats.body_bytes_peak = s->stats.body_bytes;
}

int srv_x_body_add(struct sw_exchange *x, const char *p, size_t n)
{
	size_t take = 0;
	int rv = body_take(x, n, &take);
	if (rv != 0)
		return rv;
	if (take && evbuffer_add(x->req.body, p, take) != 0)
		return SW_ERR_NOMEM;
	body_count(x, n, take);
	return 0;
}

int srv_x_body_move(struct sw_exchange *x, struct evbuffer *in, size_t n)
{
	size_t take = 0;
	int rv = body_take(x, n, &take);
	if (rv != 0)
		return rv;
	/* Moving chains: no copy of what is kept; the rest is dropped unread. */
	if (take && evbuffer_remove_buffer(in, x->req.body, take) != (int)take)
		return SW_ERR_NOMEM;
	if (n > take)
		evbuffer_drain(in, n - take);
	body_count(x, n, take);
	return 0;
}

void srv_x_body_release(struct sw_exchange *x)
{
	if (x->srv && x->body_kept) {
		struct sw_server *s = x->srv;
		s->stats.body_bytes -= x->body_kept < s->stats.body_bytes ? x->body_kept
		                                                          : s->stats.body_bytes;
	}
	x->body_kept = 0;
}

void srv_conn_set_deadline(struct srv_conn *c, enum srv_deadline what, unsigned ms)
{
	c->deadline = what;
	c->deadline_ns = what == SRV_DL_NONE ? 0 : sw_now_ns() + (uint64_t)ms * 1000000u;
}

void srv_x_dispatch(struct sw_exchange *x)
{
	struct srv_conn *c = x->conn;
	struct sw_server *s = c->srv;
	srv_x_set_state(x, SRV_X_APP);
	c->nreq++;
	s->stats.requests++;
	if (c->h2 && s->goaway_after && c->nreq >= s->goaway_after && !c->goaway_sent)
		srv_h2_goaway(c);
	s->handler(s->arg, x, &x->req);
}

struct sw_sreq *sw_exchange_request(struct sw_exchange *x)
{
	return x ? &x->req : NULL;
}

/* Is the exchange's peer still there to receive a reply? */
static int x_alive(const struct sw_exchange *x)
{
	const struct srv_conn *c = x->conn;
	if (!c || x->stream_gone)
		return 0;
	return c->state == SRV_CONN_H1 || c->state == SRV_CONN_H2;
}

int sw_exchange_reply(struct sw_exchange *x, int status, const struct sw_hdrs *hdrs,
                      const char *ctype, struct evbuffer *body)
{
	if (!x || status < 100 || status > 999)
		return SW_ERR_INVALID;
	if (x->state != SRV_X_APP || x->st)
		return SW_ERR_STATE;
	if (!x_alive(x)) {
		if (body && body != x->req.body)
			evbuffer_drain(body, evbuffer_get_length(body));
		srv_x_free(x);
		return SW_ERR_CLOSED;
	}
	if (x->conn->h2)
		return srv_h2_reply(x, status, hdrs, ctype, body);
	return srv_h1_reply(x, status, hdrs, ctype, body);
}

int sw_exchange_reply_mem(struct sw_exchange *x, int status, const char *ctype, const void *data,
                          size_t len)
{
	if (!x)
		return SW_ERR_INVALID;
	if (x->state != SRV_X_APP)
		return SW_ERR_STATE;
	struct evbuffer *b = x->req.body;
	int rv;
	if (!len || !x_alive(x))
		return sw_exchange_reply(x, status, NULL, ctype, NULL);
	if (evbuffer_get_length(b) == 0) {
		/* The request body buffer is empty and free now: reuse it instead of
		 * allocating one (the common case: replies to GET). */
		if (evbuffer_add(b, data, len) != 0)
			goto nomem;
		return sw_exchange_reply(x, status, NULL, ctype, b);
	}
	/* |data| may point into the request body: copy it out before anything drains that. */
	struct evbuffer *tmp = evbuffer_new();
	if (!tmp || evbuffer_add(tmp, data, len) != 0) {
		if (tmp)
			evbuffer_free(tmp);
		goto nomem;
	}
	rv = sw_exchange_reply(x, status, NULL, ctype, tmp);
	evbuffer_free(tmp);
	return rv;
nomem:
	sw_exchange_reset(x);
	return SW_ERR_NOMEM;
}

int sw_exchange_reset(struct sw_exchange *x)
{
	if (!x)
		return SW_ERR_INVALID;
	if (x->state != SRV_X_APP)
		return SW_ERR_STATE;
	struct srv_conn *c = x->conn;
	if (!x_alive(x)) {
		srv_x_free(x);
		return SW_ERR_CLOSED;
	}
	c->srv->stats.resets++;
	if (c->h2) {
		srv_h2_reset(x);
		return 0;
	}
	srv_x_free(x);
	srv_conn_close(c);
	return 0;
}

int sw_exchange_dropped(const struct sw_exchange *x)
{
	return x && x->dropped;
}

int sw_exchange_alive(const struct sw_exchange *x)
{
	return x && x->state == SRV_X_APP && x_alive(x);
}

/* ---- connections ---- */

static void conn_free(struct srv_conn *c)
{
	struct sw_server *s = c->srv;
	if (c->h2) {
		/* nghttp2_session_del runs no callbacks, so exchanges are still ours to sort. */
		nghttp2_session_del(c->h2);
		c->h2 = NULL;
	}
	while (c->xs) {
		struct sw_exchange *x = c->xs;
		if (x->state == SRV_X_APP) {
			x_orphan(x); /* the application still owes a reply; it frees x then */
			if (x->st)
				srv_stream_notify(x, SW_STREAM_CLOSED);
		} else
			srv_x_free(x);
	}
	event_del(&c->ev_work);
	bufferevent_free(c->bev);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->stats.conns_open--;
	free(c);
}

static void conn_work_cb(evutil_socket_t fd, short what, void *arg)
{
	struct srv_conn *c = arg;
	c->work_armed = 0;
	if (c->state == SRV_CONN_DEAD) {
		conn_free(c);
		return;
	}
	c->in_io++;
	if (c->want_resume && c->state == SRV_CONN_H1) {
		c->want_resume = 0;
		srv_h1_process(c);
	}
	if (c->want_flush && c->h2)
		srv_h2_flush(c);
	srv_conn_try_write(c);
	if (c->h1x && c->h1x->st)
		srv_stream_check_drain(c->h1x);
	c->in_io--;
}

static void conn_use_h1(struct srv_conn *c)
{
	struct sw_server *s = c->srv;
	srv_conn_set_state(c, SRV_CONN_H1);
	s->stats.conns_h1++;
	/* Pipelined input waits while a reply is outstanding: cap what we buffer. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, s->cfg.max_header_bytes + 256 * 1024);
}

static int conn_use_h2(struct srv_conn *c)
{
	int rv = srv_h2_start(c);
	if (rv != 0)
		return rv;
	srv_conn_set_state(c, SRV_CONN_H2);
	c->srv->stats.conns_h2++;
	/* Streams carry their own deadlines from here on. */
	srv_conn_set_deadline(c, SRV_DL_NONE, 0);
	c->idle_since_ns = sw_now_ns();
	return 0;
}

/* A TLS record (handshake 0x16, version 3.x) on a cleartext port: answer as
 * Go's server answers a request line it can not parse, and close. */
static int conn_tls_on_plain(struct srv_conn *c, const char *buf, size_t n)
{
	static const char go400[] = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; "
	                            "charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request";
	if (c->tls || n < 1 || (unsigned char)buf[0] != 0x16 || (n >= 2 && buf[1] != 0x03))
		return 0;
	if (n < 2)
		return -1; /* one byte: wait for the next */
	c->srv->stats.tls_on_plain++;
	c->srv->stats.bad_requests++;
	evbuffer_add(bufferevent_get_output(c->bev), go400, sizeof(go400) - 1);
	srv_conn_close_after_flush(c);
	return 1;
}

/* Decides the protocol from ALPN or from the first bytes. Returns 1 when decided. */
static int conn_sniff(struct srv_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	if (c->tls) {
		const unsigned char *alpn = NULL;
		unsigned alen = 0;
		SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
		if (ssl)
			SSL_get0_alpn_selected(ssl, &alpn, &alen);
		if (alen == 2 && memcmp(alpn, "h2", 2) == 0)
			return conn_use_h2(c) == 0 ? 1 : (srv_conn_close(c), 0);
		if (alen == 8 && memcmp(alpn, "http/1.1", 8) == 0) {
			conn_use_h1(c);
			return 1;
		}
	}
	char buf[H2_PREFACE_LEN];
	size_t n = evbuffer_get_length(in);
	if (n > H2_PREFACE_LEN)
		n = H2_PREFACE_LEN;
	if (n == 0)
		return 0;
	evbuffer_copyout(in, buf, n);
	int tls = conn_tls_on_plain(c, buf, n);
	if (tls != 0)
		return 0;
	if (memcmp(buf, h2_preface, n) != 0) {
		conn_use_h1(c);
		return 1;
	}
	if (n < H2_PREFACE_LEN)
		return 0;
	if (conn_use_h2(c) != 0) {
		srv_conn_close(c);
		return 0;
	}
	return 1;
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct srv_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	c->in_io++;
	if (c->state == SRV_CONN_SNIFF)
		conn_sniff(c);
	switch (c->state) {
	case SRV_CONN_SNIFF:
		break;
	case SRV_CONN_H1:
		srv_h1_process(c);
		break;
	case SRV_CONN_H2:
		srv_h2_process(c);
		break;
	case SRV_CONN_LINGER:
		if (sw_now_ns() > c->linger_until_ns)
			srv_conn_close(c);
		/* fall through */
	case SRV_CONN_DRAIN:
	case SRV_CONN_DEAD:
		evbuffer_drain(in, evbuffer_get_length(in));
		break;
	}
	srv_conn_try_write(c);
	c->in_io--;
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct srv_conn *c = arg;
	/* Plain TCP: EV_WRITE only stays on while there is a backlog (see srv_conn_try_write). */
	if (!c->tls && evbuffer_get_length(bufferevent_get_output(bev)) == 0 &&
	    c->state != SRV_CONN_DEAD)
		bufferevent_disable(bev, EV_WRITE);
	switch (c->state) {
	case SRV_CONN_DRAIN:
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_linger(c);
		break;
	case SRV_CONN_H2:
		if (c->want_flush) {
			c->in_io++;
			srv_h2_flush(c);
			srv_conn_try_write(c);
			c->in_io--;
		}
		break;
	case SRV_CONN_H1:
		if (c->h1x && c->h1x->st)
			srv_stream_check_drain(c->h1x);
		break;
	case SRV_CONN_SNIFF:
	case SRV_CONN_LINGER:
	case SRV_CONN_DEAD:
		break;
	}
}

/* Nothing in flight and nothing to write: the connection is idle. */
static int conn_idle(const struct srv_conn *c)
{
	return c->nx == 0 && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0;
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct srv_conn *c = arg;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_TIMEOUT) {
		if (c->state == SRV_CONN_LINGER || c->state == SRV_CONN_DRAIN || c->state == SRV_CONN_SNIFF ||
		    conn_idle(c)) {
			if (c->state == SRV_CONN_H2 && conn_idle(c)) {
				/* Polite close: GOAWAY first, the session then reports it is done. */
				nghttp2_session_terminate_session(c->h2, NGHTTP2_NO_ERROR);
				c->in_io++;
				srv_h2_flush(c);
				srv_conn_try_write(c);
				c->in_io--;
				bufferevent_enable(bev, EV_READ);
				if (c->state == SRV_CONN_H2)
					srv_conn_close(c);
				return;
			}
			srv_conn_close(c);
			return;
		}
		/* Busy (a reply is pending or output is moving slowly): keep waiting. */
		bufferevent_enable(bev, (what & BEV_EVENT_READING) ? EV_READ : EV_WRITE);
		return;
	}
	/* EOF or error. */
	srv_conn_close(c);
}

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int salen,
                      void *arg)
{
	struct sw_server *s = arg;
	struct srv_conn *c = NULL;
	struct timeval tv;
	int one = 1;
	if (s->stats.conns_open >= s->cfg.max_conns) {
		/* Over the cap: refuse at once rather than hold the descriptor. */
		s->stats.conns_refused++;
		close(fd);
		return;
	}
	if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->srv = s;
	if (s->ssl_ctx) {
		SSL *ssl = SSL_new(s->ssl_ctx);
		if (!ssl)
			goto fail;
		c->tls = 1;
		c->bev = bufferevent_openssl_socket_new(s->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
		                                        BEV_OPT_CLOSE_ON_FREE);
		if (!c->bev) {
			SSL_free(ssl);
			goto fail;
		}
		bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	} else {
		c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
		if (!c->bev)
			goto fail;
	}
	event_assign(&c->ev_work, s->base, -1, 0, conn_work_cb, c);
	/* The first head (TLS handshake and protocol sniffing included) runs
	 * against the header deadline from now: trickling bytes do not extend it. */
	srv_conn_set_deadline(c, SRV_DL_HEAD, s->cfg.header_timeout_ms);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, SRV_OUT_LOW, 0);
	bufferevent_set_max_single_read(c->bev, SRV_MAX_SINGLE_READ);
	set_tv(&tv, s->cfg.idle_timeout_ms);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	if (c->tls)
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	else
		bufferevent_disable(c->bev, EV_WRITE);
	bufferevent_enable(c->bev, EV_READ);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->stats.conns_accepted++;
	s->stats.conns_open++;
	if (c->tls)
		s->stats.conns_tls++;
	return;
fail:
	if (c && c->bev)
		bufferevent_free(c->bev);
	else
		close(fd);
	free(c);
}

/* One pass over every connection: heads and bodies past their deadline
 * (HTTP/1.1 408; before the protocol is known: close), HTTP/2 streams
 * (srv_h2_sweep). The bufferevent timeouts restart on every byte, so they
 * alone can not stop a peer that sends one byte a second. */
static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sw_server *s = arg;
	uint64_t now = sw_now_ns();
	struct srv_conn *next;
	for (struct srv_conn *c = s->conns; c; c = next) {
		next = c->next;
		switch (c->state) {
		case SRV_CONN_SNIFF:
			if (c->deadline != SRV_DL_NONE && now > c->deadline_ns) {
				s->stats.header_timeouts++;
				srv_conn_close(c);
			}
			break;
		case SRV_CONN_H1:
			if (c->deadline == SRV_DL_NONE || now <= c->deadline_ns || c->h1state == SRV_H1_WAIT)
				break;
			if (c->deadline == SRV_DL_HEAD)
				s->stats.header_timeouts++;
			else
				s->stats.body_timeouts++;
			srv_conn_set_deadline(c, SRV_DL_NONE, 0);
			c->in_io++;
			srv_h1_error(c, 408);
			srv_conn_try_write(c);
			c->in_io--;
			break;
		case SRV_CONN_H2:
			c->in_io++;
			srv_h2_sweep(c, now);
			srv_conn_try_write(c);
			c->in_io--;
			break;
		case SRV_CONN_DRAIN:
		case SRV_CONN_LINGER:
		case SRV_CONN_DEAD:
			break;
		}
	}
}

static void accept_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sw_server *s = arg;
	evconnlistener_enable(s->lev);
}

/* accept() failed (typically EMFILE): pause instead of spinning on the ready listener. */
static void accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct sw_server *s = arg;
	struct timeval tv = {0, 100 * 1000};
	evconnlistener_disable(lev);
	evtimer_add(&s->ev_accept_retry, &tv);
}

/* ---- TLS ---- */

static int alpn_select_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                          const unsigned char *in, unsigned int inlen, void *arg)
{
	static const char *const prefs[] = {"h2", "http/1.1"};
	for (size_t p = 0; p < sizeof(prefs) / sizeof(prefs[0]); p++) {
		size_t plen = strlen(prefs[p]);
		for (unsigned i = 0; i < inlen;) {
			unsigned l = in[i];
			if (i + 1 + l > inlen)
				break;
			if (l == plen && memcmp(in + i + 1, prefs[p], plen) == 0) {
				*out = in + i + 1;
				*outlen = (unsigned char)l;
				return SSL_TLSEXT_ERR_OK;
			}
			i += 1 + l;
		}
	}
	return SSL_TLSEXT_ERR_NOACK;
}

static void ssl_errstr(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	if (e)
		ERR_error_string_n(e, buf, len);
	else
		snprintf(buf, len, "unknown error");
	ERR_clear_error();
}

static SSL_CTX *tls_ctx_new(const struct sw_server_cfg *cfg, char *err, size_t errlen)
{
	char e[256];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		ssl_errstr(e, sizeof(e));
		snprintf(err, errlen, "SSL_CTX_new: %s", e);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* Idle connections give their 16 KiB+ record buffers back. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1) {
		ssl_errstr(e, sizeof(e));
		snprintf(err, errlen, "certificate file %s: %s", cfg->cert_file, e);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1) {
		ssl_errstr(e, sizeof(e));
		snprintf(err, errlen, "key file %s: %s", cfg->key_file, e);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ssl_errstr(e, sizeof(e));
		snprintf(err, errlen, "key file %s does not match certificate %s: %s", cfg->key_file,
		         cfg->cert_file, e);
		goto fail;
	}
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select_cb, NULL);
	static const unsigned char sid_ctx[] = "swarm-server";
	SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* ---- listener ---- */

/* Parses "IP:PORT", "[v6]:PORT" or ":PORT" (IPv4 wildcard). Returns 0 or SW_ERR_INVALID. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *sslen)
{
	char host[64];
	const char *colon;
	const char *h;
	size_t hlen;
	memset(ss, 0, sizeof(*ss));
	if (!spec)
		return SW_ERR_INVALID;
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');
		if (!rb || rb[1] != ':')
			return SW_ERR_INVALID;
		h = spec + 1;
		hlen = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon)
			return SW_ERR_INVALID;
		h = spec;
		hlen = (size_t)(colon - spec);
	}
	if (hlen >= sizeof(host))
		return SW_ERR_INVALID;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	char *end = NULL;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno || port < 0 || port > 65535)
		return SW_ERR_INVALID;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (hlen == 0) {
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		s4->sin_port = htons((uint16_t)port);
		*sslen = sizeof(*s4);
	} else if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*sslen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*s6);
	} else {
		return SW_ERR_INVALID;
	}
	return 0;
}

static evutil_socket_t listen_socket(const struct sw_server_cfg *cfg, int *port, char *err,
                                     size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	int one = 1;
	if (parse_listen(cfg->listen, &ss, &sslen) != 0) {
		snprintf(err, errlen, "listen address %s: expected IP:PORT, [IPv6]:PORT or :PORT",
		         cfg->listen ? cfg->listen : "(null)");
		return -1;
	}
	evutil_socket_t fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "listen %s: socket: %s", cfg->listen, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sslen) != 0 ||
	    listen(fd, cfg->backlog) != 0) {
		snprintf(err, errlen, "listen %s: %s", cfg->listen, strerror(errno));
		close(fd);
		return -1;
	}
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0) {
		snprintf(err, errlen, "listen %s: getsockname: %s", cfg->listen, strerror(errno));
		close(fd);
		return -1;
	}
	*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                       : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

struct sw_server *sw_server_new(struct event_base *base, const struct sw_server_cfg *cfg,
                                sw_handler_fn handler, void *arg, char *err, size_t errlen)
{
	struct sw_server *s = NULL;
	evutil_socket_t fd = -1;
	char dummy[8];
	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (errlen)
		err[0] = '\0';
	if (!base || !cfg || !handler) {
		snprintf(err, errlen, "sw_server_new: missing base, cfg or handler");
		return NULL;
	}
	if ((cfg->cert_file == NULL) != (cfg->key_file == NULL)) {
		snprintf(err, errlen, "TLS needs both cert_file and key_file (got %s)",
		         cfg->cert_file ? cfg->cert_file : cfg->key_file);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->base = base;
	s->cfg = *cfg;
	s->cfg.listen = s->cfg.cert_file = s->cfg.key_file = NULL;
	if (!s->cfg.max_header_bytes)
		s->cfg.max_header_bytes = SRV_DEF_MAX_HEADER;
	if (!s->cfg.max_body_bytes)
		s->cfg.max_body_bytes = SRV_DEF_MAX_BODY;
	if (!s->cfg.max_body_total)
		s->cfg.max_body_total = SRV_DEF_MAX_BODY_TOTAL;
	if (!s->cfg.idle_timeout_ms)
		s->cfg.idle_timeout_ms = SRV_DEF_IDLE_MS;
	if (!s->cfg.header_timeout_ms)
		s->cfg.header_timeout_ms = SRV_DEF_HEADER_TIMEOUT_MS;
	if (!s->cfg.body_timeout_ms)
		s->cfg.body_timeout_ms = SRV_DEF_BODY_TIMEOUT_MS;
	if (!s->cfg.max_conns) {
		struct rlimit rl;
		rlim_t n = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
		if (n == RLIM_INFINITY || n > UINT32_MAX)
			n = UINT32_MAX;
		s->cfg.max_conns = n > 2 * SRV_FD_RESERVE ? (unsigned)(n - SRV_FD_RESERVE) : SRV_FD_RESERVE;
	}
	if (!s->cfg.h2_max_streams)
		s->cfg.h2_max_streams = SRV_DEF_H2_STREAMS;
	if (s->cfg.backlog <= 0)
		s->cfg.backlog = SRV_DEF_BACKLOG;
	s->goaway_after = cfg->goaway_after;
	s->handler = handler;
	s->arg = arg;
	evtimer_assign(&s->ev_accept_retry, base, accept_retry_cb, s);
	event_assign(&s->ev_sweep, base, -1, EV_PERSIST, sweep_cb, s);
	unsigned sweep = s->cfg.header_timeout_ms;
	if (s->cfg.body_timeout_ms < sweep)
		sweep = s->cfg.body_timeout_ms;
	if (s->cfg.idle_timeout_ms < sweep)
		sweep = s->cfg.idle_timeout_ms;
	sweep /= 4;
	sweep = sweep < SRV_SWEEP_MIN_MS ? SRV_SWEEP_MIN_MS : sweep > SRV_SWEEP_MAX_MS ? SRV_SWEEP_MAX_MS : sweep;
	struct timeval sweep_tv;
	set_tv(&sweep_tv, sweep);
	event_add(&s->ev_sweep, &sweep_tv);
	if (cfg->cert_file) {
		s->ssl_ctx = tls_ctx_new(cfg, err, errlen);
		if (!s->ssl_ctx)
			goto fail;
	}
	if (srv_h2_global_init(s) != 0) {
		snprintf(err, errlen, "out of memory (nghttp2 callbacks)");
		goto fail;
	}
	struct sw_server_cfg lcfg = s->cfg;
	lcfg.listen = cfg->listen;
	fd = listen_socket(&lcfg, &s->port, err, errlen);
	if (fd < 0)
		goto fail;
	/* backlog 0: the socket is already listening. */
	s->lev = evconnlistener_new(base, accept_cb, s, LEV_OPT_CLOSE_ON_FREE, 0, fd);
	if (!s->lev) {
		snprintf(err, errlen, "listen %s: evconnlistener_new failed", cfg->listen);
		close(fd);
		goto fail;
	}
	evconnlistener_set_error_cb(s->lev, accept_error_cb);
	return s;
fail:
	sw_server_free(&s);
	return NULL;
}

int sw_server_port(const struct sw_server *s)
{
	return s ? s->port : 0;
}

void sw_server_free(struct sw_server **sp)
{
	if (!sp || !*sp)
		return;
	struct sw_server *s = *sp;
	if (s->lev)
		evconnlistener_free(s->lev);
	event_del(&s->ev_accept_retry);
	event_del(&s->ev_sweep);
	while (s->conns)
		conn_free(s->conns);
	/* Exchanges the application still holds outlive us: cut them loose. */
	while (s->orphans) {
		struct sw_exchange *x = s->orphans;
		s->orphans = x->next;
		x->prev = x->next = NULL;
		x->orphan = 0;
		x->srv = NULL;
	}
	while (s->xpool) {
		struct sw_exchange *x = s->xpool;
		s->xpool = x->next;
		x_destroy(x);
	}
	srv_h2_global_free(s);
	SSL_CTX_free(s->ssl_ctx);
	free(s);
	*sp = NULL;
}

unsigned sw_server_drop_all(struct sw_server *s)
{
	unsigned n = 0;
	if (!s)
		return 0;
	for (struct srv_conn *c = s->conns; c; c = c->next) {
		if (c->state == SRV_CONN_DEAD)
			continue;
		for (struct sw_exchange *x = c->xs; x; x = x->next) {
			if (x->state == SRV_X_APP) {
				x->dropped = 1;
				s->stats.drop_exchanges++;
			} else if (x->state == SRV_X_SENDING) {
				s->stats.drop_unsent++; /* h2: the stream had not finished sending */
			} else {
				s->stats.drop_partial++;
			}
		}
		/* HTTP/1.1 frees its exchange at reply: a reply still in the output is lost. */
		if (!c->h2 && c->h1state != SRV_H1_WAIT &&
		    evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
			s->stats.drop_unsent++;
		srv_conn_close(c);
		n++;
	}
	s->stats.drops += n;
	return n;
}

void sw_server_set_goaway_after(struct sw_server *s, unsigned n)
{
	if (s)
		s->goaway_after = n;
}

void sw_server_get_stats(const struct sw_server *s, struct sw_server_stats *out)
{
	if (!out)
		return;
	if (!s) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = s->stats;
}
