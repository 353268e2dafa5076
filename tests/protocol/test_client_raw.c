/* sw_client against a tiny misbehaving TCP server living on the same event
 * loop: malformed HTTP/1.1, oversized headers, close mid-response, garbage
 * instead of HTTP/2, silence (timeouts), keep-alive close before response. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event_struct.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_client_util.h"

enum raw_mode {
	RAW_REPLY_CLOSE,   /* send reply, close */
	RAW_REPLY_KEEP,    /* send reply, keep the connection */
	RAW_SILENT,        /* read, never answer */
	RAW_KA_THEN_DROP,  /* 1st conn: answer 1st request, close on the 2nd */
	RAW_BACKLOG,       /* never accept (connect timeout) */
};

struct raw_conn {
	int fd, idx, nreq;
	struct sockaddr_in peer;   /* the client's address */
	struct event ev;
	struct raw_srv *s;
	char buf[8192];
	size_t n;
};

struct raw_srv {
	struct event_base *base;
	int lfd, port, nconns;
	struct event lev;
	enum raw_mode mode;
	int any; /* a "request" is any bytes (TLS ClientHello) */
	const char *reply;
	size_t replylen;
	struct raw_conn *conns[64];
};

static void raw_close(struct raw_conn *rc)
{
	if (rc->fd < 0)
		return;
	event_del(&rc->ev);
	close(rc->fd);
	rc->fd = -1;
}

static void raw_send(struct raw_conn *rc, const char *d, size_t n)
{
	while (n) {
		ssize_t w = send(rc->fd, d, n, MSG_NOSIGNAL);
		if (w <= 0) {
			if (w < 0 && errno == EAGAIN) {
				usleep(1000);
				continue;
			}
			return;
		}
		d += w;
		n -= (size_t)w;
	}
}

static void raw_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct raw_conn *rc = arg;
	struct raw_srv *s = rc->s;
	ssize_t r = recv(fd, rc->buf + rc->n, sizeof(rc->buf) - rc->n - 1, 0);
	if (r <= 0) {
		raw_close(rc);
		return;
	}
	rc->n += (size_t)r;
	rc->buf[rc->n] = '\0';
	/* HTTP/1.1 requests end with a blank line; for h2 any bytes will do. */
	int complete = strstr(rc->buf, "\r\n\r\n") != NULL || strncmp(rc->buf, "PRI ", 4) == 0 || s->any;
	if (!complete && rc->n < sizeof(rc->buf) - 1)
		return;
	rc->n = 0;
	rc->nreq++;
	switch (s->mode) {
	case RAW_REPLY_CLOSE:
		raw_send(rc, s->reply, s->replylen);
		raw_close(rc);
		break;
	case RAW_REPLY_KEEP:
		raw_send(rc, s->reply, s->replylen);
		break;
	case RAW_SILENT:
	case RAW_BACKLOG:
		break;
	case RAW_KA_THEN_DROP:
		if (rc->idx == 0 && rc->nreq == 2)
			raw_close(rc);
		else
			raw_send(rc, s->reply, s->replylen);
		break;
	}
}

static void raw_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct raw_srv *s = arg;
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	int cfd = accept4(fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (s->nconns >= 64) {
		close(cfd);
		return;
	}
	struct raw_conn *rc = calloc(1, sizeof(*rc));
	assert_non_null(rc);
	rc->fd = cfd;
	rc->peer = peer;
	rc->s = s;
	rc->idx = s->nconns;
	s->conns[s->nconns++] = rc;
	event_assign(&rc->ev, s->base, cfd, EV_READ | EV_PERSIST, raw_read_cb, rc);
	event_add(&rc->ev, NULL);
}

static void raw_start_port(struct raw_srv *s, struct event_base *base, enum raw_mode mode,
                           const char *reply, size_t replylen, int port)
{
	memset(s, 0, sizeof(*s));
	s->base = base;
	s->mode = mode;
	s->reply = reply;
	s->replylen = replylen ? replylen : (reply ? strlen(reply) : 0);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	int one = 1;
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                        .sin_port = htons((uint16_t)port)};
	socklen_t al = sizeof(a);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->lfd, mode == RAW_BACKLOG ? 0 : 64), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &al), 0);
	s->port = ntohs(a.sin_port);
	if (mode != RAW_BACKLOG) {
		event_assign(&s->lev, base, s->lfd, EV_READ | EV_PERSIST, raw_accept_cb, s);
		event_add(&s->lev, NULL);
	}
}

static void raw_start(struct raw_srv *s, struct event_base *base, enum raw_mode mode, const char *reply,
                      size_t replylen)
{
	raw_start_port(s, base, mode, reply, replylen, 0);
}

static void raw_stop(struct raw_srv *s)
{
	if (s->mode != RAW_BACKLOG)
		event_del(&s->lev);
	close(s->lfd);
	for (int i = 0; i < s->nconns; i++) {
		raw_close(s->conns[i]);
		free(s->conns[i]);
	}
}

struct rfx {
	struct event_base *base;
	struct raw_srv srv;
	struct sw_client_cfg cfg;
	char url[96];
	struct tc_run r;
};

static void rfx_start(struct rfx *f, enum raw_mode mode, const char *reply, size_t len,
                      const char *scheme, enum sw_proto proto)
{
	memset(f, 0, sizeof(*f));
	f->base = event_base_new();
	assert_non_null(f->base);
	raw_start(&f->srv, f->base, mode, reply, len);
	sw_client_cfg_init(&f->cfg);
	snprintf(f->url, sizeof(f->url), "%s://127.0.0.1:%d", scheme, f->srv.port);
	f->cfg.url = f->url;
	f->cfg.proto = proto;
	f->cfg.insecure = 1;
	f->cfg.max_retries = 1;
	f->cfg.backoff_initial_ms = 10;
	f->cfg.request_timeout_ms = 5000;
	f->r.base = f->base;
	f->r.path = "/x";
}

static void rfx_client(struct rfx *f)
{
	tc_client(&f->r, &f->cfg);
}

static void rfx_stop(struct rfx *f, struct sw_client_stats *st)
{
	tc_close(&f->r, st);
	raw_stop(&f->srv);
	event_base_free(f->base);
}

/* One request against a server replying |reply|; returns the error code. */
static int one_h1(const char *reply, size_t len, enum raw_mode mode, char *msg, size_t msglen,
                  size_t max_header)
{
	struct rfx f;
	rfx_start(&f, mode, reply, len, "http", SW_PROTO_H1);
	f.cfg.max_header_bytes = max_header;
	f.cfg.max_body_bytes = 4096;
	rfx_client(&f);
	assert_int_equal(tc_run_batch(&f.r, 1, 1, 10), 0);
	int err = f.r.last_err;
	if (msg)
		snprintf(msg, msglen, "%s", f.r.last_msg);
	rfx_stop(&f, NULL);
	return err;
}

static void test_h1_good_chunked(void **state)
{
	struct rfx f;
	rfx_start(&f, RAW_REPLY_KEEP,
	          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Y: z\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 0,
	          "http", SW_PROTO_AUTO);
	rfx_client(&f);
	assert_int_equal(tc_run_batch(&f.r, 5, 1, 10), 0);
	assert_int_equal(f.r.ok, 5);
	assert_int_equal(evbuffer_get_length(f.r.body), 3);
	assert_int_equal(f.srv.nconns, 1); /* keep-alive reused */
	rfx_stop(&f, NULL);
}

static void test_h1_malformed(void **state)
{
	char m[512];
	assert_int_equal(one_h1("HTTX/1.1 200 OK\r\n\r\n", 0, RAW_REPLY_CLOSE, m, sizeof(m), 0), SW_ERR_PROTO);
	assert_non_null(strstr(m, "malformed"));
	assert_int_equal(one_h1("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 0, RAW_REPLY_KEEP, m, sizeof(m), 0),
	                 SW_ERR_PROTO);
	/* a reply with extra bytes after a complete response */
	assert_int_equal(one_h1("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nJUNK", 0, RAW_REPLY_KEEP, m,
	                        sizeof(m), 0), 0);
}

static void test_h1_too_big(void **state)
{
	static char big[20000];
	char m[512];
	int n = snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nX-Big: ");
	memset(big + n, 'x', 10000);
	memcpy(big + n + 10000, "\r\n\r\n", 5);
	assert_int_equal(one_h1(big, 0, RAW_REPLY_KEEP, m, sizeof(m), 4096), SW_ERR_TOO_BIG);
	assert_non_null(strstr(m, "header"));
	assert_int_equal(one_h1("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nabc", 0, RAW_REPLY_KEEP, m,
	                        sizeof(m), 0), SW_ERR_TOO_BIG);
}

static void test_h1_closed_mid_response(void **state)
{
	char m[512];
	assert_int_equal(one_h1("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc", 0, RAW_REPLY_CLOSE, m,
	                        sizeof(m), 0), SW_ERR_CLOSED);
	assert_non_null(strstr(m, "mid-response"));
	/* read-until-close body is complete at EOF */
	assert_int_equal(one_h1("HTTP/1.0 200 OK\r\n\r\nabc", 0, RAW_REPLY_CLOSE, m, sizeof(m), 0), 0);
	/* closed before a byte on a fresh connection: not retried */
	assert_int_equal(one_h1("", 0, RAW_REPLY_CLOSE, m, sizeof(m), 0), SW_ERR_CLOSED);
}

static void test_h1_keepalive_drop_retried(void **state)
{
	struct rfx f;
	struct sw_client_stats st;
	rfx_start(&f, RAW_KA_THEN_DROP, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, "http",
	          SW_PROTO_H1);
	rfx_client(&f);
	f.r.link = sw_link_new(f.r.c);
	assert_int_equal(tc_run_batch(&f.r, 3, 1, 10), 0);
	assert_int_equal(f.r.ok, 3);
	assert_int_equal(f.r.retries, 1);
	rfx_stop(&f, &st);
	assert_int_equal(st.retries, 1);
	assert_int_equal(st.conns_opened, 2);
	/* a POST is not idempotent: it fails instead */
	rfx_start(&f, RAW_KA_THEN_DROP, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, "http",
	          SW_PROTO_H1);
	rfx_client(&f);
	f.r.method = "POST";
	assert_int_equal(tc_run_batch(&f.r, 2, 1, 10), 0);
	assert_int_equal(f.r.ok, 1);
	assert_int_equal(f.r.last_err, SW_ERR_CLOSED);
	rfx_stop(&f, NULL);
}

static void test_h2_garbage(void **state)
{
	struct rfx f;
	rfx_start(&f, RAW_REPLY_KEEP, "this is not an HTTP/2 SETTINGS frame at all, just text\r\n\r\n", 0,
	          "http", SW_PROTO_H2);
	rfx_client(&f);
	assert_int_equal(tc_run_batch(&f.r, 3, 3, 10), 0);
	assert_int_equal(f.r.errors, 3);
	assert_int_equal(f.r.last_err, SW_ERR_PROTO);
	assert_non_null(strstr(f.r.last_msg, "HTTP/2"));
	rfx_stop(&f, NULL);
	/* TLS client against a server that answers the ClientHello with text */
	rfx_start(&f, RAW_REPLY_CLOSE, "HTTP/1.1 400 Bad Request\r\n\r\n", 0, "https", SW_PROTO_AUTO);
	rfx_client(&f);
	f.srv.any = 1;
	assert_int_equal(tc_run_batch(&f.r, 1, 1, 10), 0);
	assert_int_equal(f.r.last_err, SW_ERR_TLS);
	rfx_stop(&f, NULL);
}

/* Hand-made HTTP/2 server replies (the client's first stream is 1). */
#define H2_SETTINGS "\x00\x00\x00\x04\x00\x00\x00\x00\x00"
#define H2_HEADERS_200 "\x00\x00\x01\x01\x04\x00\x00\x00\x01\x88" /* :status 200, END_HEADERS */
#define H2_DATA_ABC "\x00\x00\x03\x00\x00\x00\x00\x00\x01" "abc"

static int one_h2(const char *reply, size_t len, char *msg, size_t msglen, unsigned *retries)
{
	struct rfx f;
	struct sw_client_stats st;
	rfx_start(&f, RAW_REPLY_CLOSE, reply, len, "http", SW_PROTO_H2);
	rfx_client(&f);
	assert_int_equal(tc_run_batch(&f.r, 1, 1, 10), 0);
	int err = f.r.last_err;
	snprintf(msg, msglen, "%s", f.r.last_msg);
	rfx_stop(&f, &st);
	*retries = (unsigned)st.retries;
	return err;
}

static void test_h2_peer_misbehaves(void **state)
{
	char m[512];
	unsigned retries;
	static const char mid[] = H2_SETTINGS H2_HEADERS_200 H2_DATA_ABC;
	assert_int_equal(one_h2(mid, sizeof(mid) - 1, m, sizeof(m), &retries), SW_ERR_CLOSED);
	assert_non_null(strstr(m, "closed"));
	/* RST_STREAM(INTERNAL_ERROR) */
	static const char rst[] = H2_SETTINGS "\x00\x00\x04\x03\x00\x00\x00\x00\x01\x00\x00\x00\x02";
	assert_int_equal(one_h2(rst, sizeof(rst) - 1, m, sizeof(m), &retries), SW_ERR_RESET);
	assert_non_null(strstr(m, "reset"));
	/* RST_STREAM(REFUSED_STREAM): retried, every time, until max_retries (1) */
	static const char refused[] = H2_SETTINGS "\x00\x00\x04\x03\x00\x00\x00\x00\x01\x00\x00\x00\x07";
	int e = one_h2(refused, sizeof(refused) - 1, m, sizeof(m), &retries);
	if (e != SW_ERR_RETRIES)
		fail_msg("refused: %s: %s (retries %u)", sw_err_name(e), m, retries);
	assert_int_equal(retries, 1);
	/* GOAWAY(last_stream_id 0): stream 1 was not processed, retried */
	static const char ga0[] = H2_SETTINGS "\x00\x00\x08\x07\x00\x00\x00\x00\x00"
	                                      "\x00\x00\x00\x00\x00\x00\x00\x00";
	assert_int_equal(one_h2(ga0, sizeof(ga0) - 1, m, sizeof(m), &retries), SW_ERR_RETRIES);
	assert_true(retries >= 1);
	/* GOAWAY(last_stream_id 1) then close mid-response: processing began */
	static const char ga1[] = H2_SETTINGS H2_HEADERS_200 "\x00\x00\x08\x07\x00\x00\x00\x00\x00"
	                                                     "\x00\x00\x00\x01\x00\x00\x00\x00";
	assert_int_equal(one_h2(ga1, sizeof(ga1) - 1, m, sizeof(m), &retries), SW_ERR_GOAWAY);
	assert_non_null(strstr(m, "GOAWAY"));
	assert_int_equal(retries, 0);
	/* a complete response: HEADERS + DATA with END_STREAM */
	static const char ok[] = H2_SETTINGS H2_HEADERS_200 "\x00\x00\x03\x00\x01\x00\x00\x00\x01" "abc";
	assert_int_equal(one_h2(ok, sizeof(ok) - 1, m, sizeof(m), &retries), 0);
}

static void test_timeouts(void **state)
{
	struct rfx f;
	/* request timeout, HTTP/1.1 and h2c */
	for (int h2 = 0; h2 <= 1; h2++) {
		rfx_start(&f, RAW_SILENT, NULL, 0, "http", h2 ? SW_PROTO_H2 : SW_PROTO_H1);
		f.cfg.request_timeout_ms = 200;
		rfx_client(&f);
		assert_int_equal(tc_run_batch(&f.r, 2, 2, 10), 0);
		assert_int_equal(f.r.errors, 2);
		assert_int_equal(f.r.last_err, SW_ERR_TIMEOUT);
		rfx_stop(&f, NULL);
	}
	/* per-request timeout overrides the default */
	rfx_start(&f, RAW_SILENT, NULL, 0, "http", SW_PROTO_H1);
	rfx_client(&f);
	struct sw_req *q = sw_req_new("GET", "/");
	q->timeout_ms = 100;
	f.r.total = f.r.submitted = 1;
	f.r.pending = 1;
	assert_int_equal(sw_client_request(f.r.c, NULL, q, tc_cb, &f.r), 0);
	event_base_loopexit(f.base, &(struct timeval){10, 0});
	event_base_dispatch(f.base);
	assert_int_equal(f.r.last_err, SW_ERR_TIMEOUT);
	rfx_stop(&f, NULL);
	/* TLS handshake timeout: the server never answers the ClientHello */
	rfx_start(&f, RAW_SILENT, NULL, 0, "https", SW_PROTO_AUTO);
	f.cfg.tls_timeout_ms = 200;
	f.cfg.max_retries = 0;
	rfx_client(&f);
	assert_int_equal(tc_run_batch(&f.r, 1, 1, 10), 0);
	assert_int_equal(f.r.last_err, SW_ERR_TLS_TIMEOUT);
	rfx_stop(&f, NULL);
}

static void test_connect_timeout(void **state)
{
	struct rfx f;
	rfx_start(&f, RAW_BACKLOG, NULL, 0, "http", SW_PROTO_H1);
	/* fill the accept queue so further SYNs are dropped */
	int fill[4];
	for (int i = 0; i < 4; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		                        .sin_port = htons((uint16_t)f.srv.port)};
		connect(fill[i], (struct sockaddr *)&a, sizeof(a));
	}
	f.cfg.connect_timeout_ms = 200;
	f.cfg.max_retries = 0;
	f.cfg.request_timeout_ms = 3000;
	rfx_client(&f);
	assert_int_equal(tc_run_batch(&f.r, 1, 1, 10), 0);
	for (int i = 0; i < 4; i++)
		close(fill[i]);
	/* Some kernels answer instead of dropping; then there is nothing to test. */
	if (f.r.last_err != 0 && f.r.last_err != SW_ERR_TIMEOUT)
		assert_int_equal(f.r.last_err, SW_ERR_CONNECT_TIMEOUT);
	else
		fprintf(stderr, "note: kernel did not drop the SYN (%s)\n", sw_err_name(f.r.last_err));
	rfx_stop(&f, NULL);
}

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
	close(s);
	return ntohs(a.sin_port);
}

/* A dedicated link whose peer is down fails after its retries with back-off,
 * then reconnects once the peer is back. */
static void test_link_backoff_recovers(void **state)
{
	struct event_base *base = event_base_new();
	struct sw_client_cfg cfg;
	struct sw_client_stats st;
	struct tc_run r;
	char url[64], err[256];
	int port = free_port();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	sw_client_cfg_init(&cfg);
	cfg.url = url;
	cfg.max_retries = 2;
	cfg.backoff_initial_ms = 20;
	memset(&r, 0, sizeof(r));
	r.base = base;
	r.path = "/";
	r.c = sw_client_new(base, &cfg, err, sizeof(err));
	assert_non_null(r.c);
	r.link = sw_link_new(r.c);
	uint64_t t0 = sw_now_ns();
	assert_int_equal(tc_run_batch(&r, 2, 2, 10), 0);
	assert_int_equal(r.errors, 2);
	assert_int_equal(r.last_err, SW_ERR_CONNECT);
	assert_non_null(strstr(r.last_msg, "after 3 attempts"));
	/* back-off 20 + 40 ms between the three attempts */
	assert_true(sw_now_ns() - t0 >= 60ull * 1000000ull);
	sw_client_get_stats(r.c, &st);
	assert_int_equal(st.conns_failed, 3);

	struct raw_srv srv;
	raw_start_port(&srv, base, RAW_REPLY_KEEP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, port);
	r.errors = 0;
	/* the link may still be backing off: the request waits for it */
	assert_int_equal(tc_run_batch(&r, 3, 1, 10), 0);
	assert_int_equal(r.ok, 3);
	sw_client_get_stats(r.c, &st);
	assert_int_equal(st.conns_opened, 1);
	sw_link_free(&r.link);
	sw_client_free(&r.c);
	raw_stop(&srv);
	tc_done(&r);
	event_base_free(base);
}

/* Requests waiting in the queue time out with the last connection error. */
static void test_queued_timeout(void **state)
{
	struct event_base *base = event_base_new();
	struct sw_client_cfg cfg;
	struct tc_run r;
	char url[64], err[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", free_port());
	sw_client_cfg_init(&cfg);
	cfg.url = url;
	cfg.max_retries = 100;
	cfg.backoff_initial_ms = 50;
	cfg.request_timeout_ms = 300;
	memset(&r, 0, sizeof(r));
	r.base = base;
	r.path = "/";
	r.c = sw_client_new(base, &cfg, err, sizeof(err));
	assert_non_null(r.c);
	assert_int_equal(tc_run_batch(&r, 4, 4, 10), 0);
	assert_int_equal(r.errors, 4);
	assert_int_equal(r.last_err, SW_ERR_TIMEOUT);
	assert_non_null(strstr(r.last_msg, "refused"));
	sw_client_free(&r.c);
	tc_done(&r);
	event_base_free(base);
}

/* The timeout callback of the first request frees the link its siblings
 * wait on: they complete as cancelled, nothing is freed twice. */
static void test_link_free_in_timeout_cb(void **state)
{
	for (int h2 = 0; h2 <= 1; h2++) {
		struct rfx f;
		rfx_start(&f, RAW_SILENT, NULL, 0, "http", h2 ? SW_PROTO_H2 : SW_PROTO_H1);
		f.cfg.request_timeout_ms = 100;
		rfx_client(&f);
		f.r.link = sw_link_new(f.r.c);
		f.r.free_link_in_cb = 1;
		assert_int_equal(tc_run_batch(&f.r, 4, 4, 10), 0);
		assert_null(f.r.link);
		assert_int_equal(f.r.errors, 4);
		assert_int_equal(f.r.last_err, SW_ERR_CANCELLED);
		rfx_stop(&f, NULL);
	}
}

static void test_idle_close(void **state)
{
	struct rfx f;
	struct sw_client_stats st;
	rfx_start(&f, RAW_REPLY_KEEP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, "http", SW_PROTO_H1);
	f.cfg.idle_timeout_ms = 100;
	rfx_client(&f);
	assert_int_equal(tc_run_batch(&f.r, 1, 1, 10), 0);
	assert_int_equal(f.r.ok, 1);
	sw_client_get_stats(f.r.c, &st);
	assert_int_equal(st.conns_open, 1);
	event_base_loopexit(f.base, &(struct timeval){0, 400000});
	event_base_dispatch(f.base);
	sw_client_get_stats(f.r.c, &st);
	assert_int_equal(st.conns_open, 0);
	assert_int_equal(st.conns_closed, 1);
	/* the next request opens a new connection */
	assert_int_equal(tc_run_batch(&f.r, 1, 1, 10), 0);
	assert_int_equal(f.r.ok, 2);
	rfx_stop(&f, &st);
	assert_int_equal(st.conns_opened, 2);
	/* h2c: the idle connection is closed too (after a GOAWAY) */
	rfx_start(&f, RAW_SILENT, NULL, 0, "http", SW_PROTO_H2);
	f.cfg.idle_timeout_ms = 100;
	f.cfg.request_timeout_ms = 50;
	rfx_client(&f);
	assert_int_equal(tc_run_batch(&f.r, 1, 1, 10), 0);
	assert_int_equal(f.r.last_err, SW_ERR_TIMEOUT);
	event_base_loopexit(f.base, &(struct timeval){0, 400000});
	event_base_dispatch(f.base);
	rfx_stop(&f, &st);
	assert_int_equal(st.conns_opened, 1);
	assert_int_equal(st.conns_closed, 1);
}

/* Connections leave from the configured local addresses in turn: the
 * loopback block (an IPv4 loopback target), or an explicit list; a bad or
 * foreign address is refused at set-up, one that cannot be bound fails the
 * connection with its address in the message. */
static void count_peers(struct raw_srv *srv, unsigned first, unsigned n, int want_each)
{
	for (unsigned k = 0; k < n; k++) {
		int seen = 0;
		for (int i = 0; i < srv->nconns; i++)
			seen += ntohl(srv->conns[i]->peer.sin_addr.s_addr) == 0x7f000001u + first + k;
		assert_int_equal(seen, want_each);
	}
}

static void links_once(struct rfx *f, int nlinks)
{
	struct sw_link *links[8];
	int done = 0;
	for (int i = 0; i < nlinks; i++) {
		links[i] = sw_link_new(f->r.c);
		f->r.link = links[i];
		assert_int_equal(tc_run_batch(&f->r, 1, 1, 10), 0);
		done++;
	}
	assert_int_equal(f->r.ok, done);
	f->r.link = NULL;
	for (int i = 0; i < nlinks; i++)
		sw_link_free(&links[i]);
}

static void test_source_addresses(void **state)
{
	static const char *const two[] = {"127.0.0.7", "127.0.0.8"};
	static const char *const v6[] = {"::1"};
	static const char *const garbage[] = {"127.0.0.1", "nope"};
	static const char *const foreign[] = {"192.0.2.1"};
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	struct rfx f;
	char err[256];

	(void)state;
	rfx_start(&f, RAW_REPLY_KEEP, ok, 0, "http", SW_PROTO_H1);
	f.cfg.loopback_sources = 3;
	f.cfg.loopback_first = 10;       /* 127.0.0.11 .. 127.0.0.13 */
	rfx_client(&f);
	links_once(&f, 6);
	count_peers(&f.srv, 10, 3, 2);
	rfx_stop(&f, NULL);

	rfx_start(&f, RAW_REPLY_KEEP, ok, 0, "http", SW_PROTO_H1);
	f.cfg.source_addrs = two;
	f.cfg.nsource_addrs = 2;
	f.cfg.loopback_sources = 3;      /* the explicit list wins */
	rfx_client(&f);
	links_once(&f, 4);
	count_peers(&f.srv, 6, 2, 2);
	rfx_stop(&f, NULL);

	/* refused at set-up, naming the address */
	rfx_start(&f, RAW_REPLY_KEEP, ok, 0, "http", SW_PROTO_H1);
	f.cfg.source_addrs = v6;
	f.cfg.nsource_addrs = 1;
	assert_null(sw_client_new(f.base, &f.cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "source address '::1'"));
	f.cfg.source_addrs = garbage;
	f.cfg.nsource_addrs = 2;
	assert_null(sw_client_new(f.base, &f.cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "'nope'"));
	/* not an address of this machine: the connection fails, saying from where */
	f.cfg.source_addrs = foreign;
	f.cfg.nsource_addrs = 1;
	f.cfg.max_retries = 0;
	rfx_client(&f);
	assert_int_equal(tc_run_batch(&f.r, 1, 1, 10), 0);
	assert_int_equal(f.r.last_err, SW_ERR_CONNECT);
	assert_non_null(strstr(f.r.last_msg, "from 192.0.2.1"));
	rfx_stop(&f, NULL);
}

static void test_bad_args(void **state)
{
	struct rfx f;
	rfx_start(&f, RAW_SILENT, NULL, 0, "http", SW_PROTO_H1);
	rfx_client(&f);
	assert_int_equal(sw_client_request(f.r.c, NULL, NULL, tc_cb, NULL), SW_ERR_INVALID);
	assert_int_equal(sw_client_request(f.r.c, NULL, sw_req_new("GET", "/"), NULL, NULL), SW_ERR_INVALID);
	assert_int_equal(sw_client_request(NULL, NULL, sw_req_new("GET", "/"), tc_cb, NULL), SW_ERR_INVALID);
	sw_link_free(NULL);
	sw_client_free(NULL);
	struct sw_link *l = sw_link_new(f.r.c);
	sw_link_free(&l);
	sw_link_free(&l);
	assert_null(l);
	rfx_stop(&f, NULL);
}


/* ---- transport retries are counted by reason (issue 9 finding 3) ---- */

struct counted {
	struct event_base *base;
	int done, err;
	struct sw_retries seen;   /* what the callback found in req->retries */
	struct sw_retries r;      /* the request's count, written by the client */
};

static void counted_cb(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct counted *c = arg;
	(void)msg;
	(void)resp;
	c->done++;
	c->err = err;
	c->seen = c->r;
	event_base_loopbreak(c->base);
}

/* One GET on |f|'s client (on |link| when set), its retries counted. */
static void one_counted(struct rfx *f, struct sw_link *link, struct counted *c)
{
	memset(c, 0, sizeof(*c));
	c->base = f->base;
	struct sw_req *q = sw_req_new("GET", "/x");
	q->retries = &c->r;
	assert_int_equal(sw_client_request(f->r.c, link, q, counted_cb, c), 0);
	event_base_loopexit(f->base, &(struct timeval){10, 0});
	event_base_dispatch(f->base);
	assert_int_equal(c->done, 1);
}

static unsigned retries_total(const struct sw_retries *r)
{
	unsigned n = 0;
	for (int i = 0; i < SW_RETRY_REASON_COUNT; i++)
		n += r->n[i];
	return n;
}

static void test_retry_reasons(void **state)
{
	struct rfx f;
	struct counted c;
	struct sw_client_stats st;
	(void)state;
	assert_string_equal(sw_retry_reason_name(SW_RETRY_CONN_CLOSED), "conn_closed_before_response");
	assert_string_equal(sw_retry_reason_name(SW_RETRY_REASON_COUNT), "other");

	/* HTTP/1.1: a reused connection closed before the answer: re-sent, counted */
	rfx_start(&f, RAW_KA_THEN_DROP, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, "http",
	          SW_PROTO_H1);
	rfx_client(&f);
	struct sw_link *link = sw_link_new(f.r.c);
	one_counted(&f, link, &c);
	assert_int_equal(retries_total(&c.seen), 0);
	one_counted(&f, link, &c);
	assert_int_equal(c.err, 0);
	assert_int_equal(c.seen.n[SW_RETRY_CONN_CLOSED], 1);
	assert_int_equal(retries_total(&c.seen), 1);
	sw_link_free(&link);
	rfx_stop(&f, &st);
	assert_int_equal(st.retries_by[SW_RETRY_CONN_CLOSED], 1);

	/* HTTP/2: REFUSED_STREAM until max_retries: the error callback has the count */
	static const char refused[] = H2_SETTINGS "\x00\x00\x04\x03\x00\x00\x00\x00\x01\x00\x00\x00\x07";
	rfx_start(&f, RAW_REPLY_CLOSE, refused, sizeof(refused) - 1, "http", SW_PROTO_H2);
	rfx_client(&f);
	one_counted(&f, NULL, &c);
	assert_int_equal(c.err, SW_ERR_RETRIES);
	assert_int_equal(c.seen.n[SW_RETRY_REFUSED_STREAM], 1);
	assert_int_equal(retries_total(&c.seen), 1);
	rfx_stop(&f, &st);
	assert_int_equal(st.retries, 1);
	assert_int_equal(st.retries_by[SW_RETRY_REFUSED_STREAM], 1);

	/* HTTP/2: GOAWAY(last_stream_id 0): the stream was not processed */
	static const char ga0[] = H2_SETTINGS "\x00\x00\x08\x07\x00\x00\x00\x00\x00"
	                                      "\x00\x00\x00\x00\x00\x00\x00\x00";
	rfx_start(&f, RAW_REPLY_CLOSE, ga0, sizeof(ga0) - 1, "http", SW_PROTO_H2);
	rfx_client(&f);
	one_counted(&f, NULL, &c);
	assert_int_equal(c.err, SW_ERR_RETRIES);
	assert_true(c.seen.n[SW_RETRY_GOAWAY] >= 1);
	assert_int_equal(c.seen.n[SW_RETRY_REFUSED_STREAM], 0);
	rfx_stop(&f, &st);
	assert_true(st.goaways >= 1);

	/* HTTP/1.1 "connection: close" answers are the peer's GOAWAY */
	rfx_start(&f, RAW_REPLY_CLOSE, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
	          0, "http", SW_PROTO_H1);
	rfx_client(&f);
	one_counted(&f, NULL, &c);
	assert_int_equal(c.err, 0);
	rfx_stop(&f, &st);
	assert_int_equal(st.goaways, 1);
	assert_int_equal(st.retries, 0);

	/* A refused connection while the request waits: connect_failed */
	rfx_start(&f, RAW_REPLY_CLOSE, NULL, 0, "http", SW_PROTO_H1);
	f.cfg.max_retries = 2;
	rfx_client(&f);
	close(f.srv.lfd);
	f.srv.lfd = socket(AF_INET, SOCK_STREAM, 0); /* raw_stop closes it */
	event_del(&f.srv.lev);
	f.srv.mode = RAW_BACKLOG;
	one_counted(&f, NULL, &c);
	assert_int_equal(c.err, SW_ERR_CONNECT);
	assert_int_equal(c.seen.n[SW_RETRY_CONNECT_FAILED], 2);
	rfx_stop(&f, &st);
	assert_int_equal(st.retries_by[SW_RETRY_CONNECT_FAILED], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_h1_good_chunked),
		cmocka_unit_test(test_h1_malformed),
		cmocka_unit_test(test_h1_too_big),
		cmocka_unit_test(test_h1_closed_mid_response),
		cmocka_unit_test(test_h1_keepalive_drop_retried),
		cmocka_unit_test(test_h2_garbage),
		cmocka_unit_test(test_h2_peer_misbehaves),
		cmocka_unit_test(test_retry_reasons),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_link_backoff_recovers),
		cmocka_unit_test(test_queued_timeout),
		cmocka_unit_test(test_link_free_in_timeout_cb),
		cmocka_unit_test(test_idle_close),
		cmocka_unit_test(test_source_addresses),
		cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
