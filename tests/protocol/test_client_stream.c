/*
 * sw_client streaming responses (sw_req.stream_cb, what kube watches use)
 * against an in-process sw_server that streams its body piece by piece on
 * a timer, over h2c and HTTP/1.1:
 *  - the reader sees the bytes while the response is still open, each piece
 *    once, and the final callback gets what it left;
 *  - a reader that cancels ends the exchange (the server sees the peer go)
 *    and the client stays usable;
 *  - undrained bytes are bounded by max_body_bytes, the total is not;
 *  - the request timeout still ends an endless stream;
 *  - an ordinary request is buffered whole as before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "sw_client.h"
#include "sw_err.h"
#include "sw_server.h"

#define PIECE "0123456789abcdef0123456789abcdef\n" /* 33 bytes */
#define PIECE_LEN 33

struct srv_stream {
	struct sw_exchange *x;
	struct event *tick;
	unsigned left;        /* pieces still to send; UINT32_MAX = endless */
	int closed;           /* the peer went away */
};

struct fixture {
	struct event_base *base;
	struct sw_server *srv;
	struct sw_client *cli;
	struct srv_stream st;
	unsigned pieces;      /* pieces the next /stream sends */
	int srv_closed_seen;
	/* client side */
	unsigned stream_calls;
	size_t streamed;      /* bytes drained by the stream callback */
	int drain;            /* the stream callback drains */
	size_t cancel_after;  /* cancel once this many bytes arrived (0 = never) */
	int done, err, status;
	size_t final_len;
	unsigned calls_before_done;
};

static void srv_end(struct fixture *f)
{
	if (f->st.tick) {
		event_free(f->st.tick);
		f->st.tick = NULL;
	}
	if (f->st.x) {
		sw_exchange_stream_end(f->st.x);
		f->st.x = NULL;
	}
}

static void on_srv_stream(void *arg, struct sw_exchange *x, int events)
{
	struct fixture *f = arg;
	(void)x;
	if (events & SW_STREAM_CLOSED) {
		f->srv_closed_seen = 1;
		srv_end(f);
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *f = arg;
	const void *parts[1] = {PIECE};
	size_t lens[1] = {PIECE_LEN};
	(void)fd;
	(void)what;
	if (!f->st.x)
		return;
	if (f->st.left == 0) {
		srv_end(f);
		return;
	}
	if (f->st.left != UINT32_MAX)
		f->st.left--;
	sw_exchange_stream_write(f->st.x, parts, lens, 1);
	struct timeval tv = {0, 2000};
	event_add(f->st.tick, &tv);
}

static void handler(void *arg, struct sw_exchange *x, struct sw_sreq *req)
{
	struct fixture *f = arg;
	if (!strcmp(req->path, "/plain")) {
		char big[5000];
		memset(big, 'p', sizeof(big));
		sw_exchange_reply_mem(x, 200, "text/plain", big, sizeof(big));
		return;
	}
	assert_int_equal(sw_exchange_stream_begin(x, 200, NULL, "application/json", on_srv_stream, f), 0);
	f->st.x = x;
	f->st.left = f->pieces;
	f->st.tick = evtimer_new(f->base, on_tick, f);
	struct timeval tv = {0, 1000};
	event_add(f->st.tick, &tv);
}

static int on_stream(void *arg, struct sw_resp *resp)
{
	struct fixture *f = arg;
	size_t n = evbuffer_get_length(resp->body);
	assert_int_equal(resp->status, 200);
	assert_true(n > 0);
	f->stream_calls++;
	if (f->drain) {
		f->streamed += n;
		evbuffer_drain(resp->body, n);
	}
	if (f->cancel_after && f->streamed >= f->cancel_after)
		return 1;
	return 0;
}

static void on_done(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct fixture *f = arg;
	(void)msg;
	f->done = 1;
	f->err = err;
	f->calls_before_done = f->stream_calls;
	if (!err) {
		f->status = resp->status;
		f->final_len = evbuffer_get_length(resp->body);
	}
	event_base_loopbreak(f->base);
}

static void on_guard(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void run_until_done(struct fixture *f)
{
	struct timeval limit = {10, 0};
	struct event *guard = evtimer_new(f->base, on_guard, f->base);
	evtimer_add(guard, &limit);
	while (!f->done) {
		if (event_base_dispatch(f->base) != 0)
			break;
		if (!evtimer_pending(guard, NULL))
			break;
	}
	event_free(guard);
	assert_true(f->done);
}

static struct fixture *fx_new(enum sw_proto proto, size_t max_body)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256], url[64];
	struct sw_server_cfg scfg = {.listen = "127.0.0.1:0"};
	struct sw_client_cfg ccfg;
	f->base = event_base_new();
	f->srv = sw_server_new(f->base, &scfg, handler, f, err, sizeof(err));
	assert_non_null(f->srv);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", sw_server_port(f->srv));
	sw_client_cfg_init(&ccfg);
	ccfg.url = url;
	ccfg.proto = proto;
	ccfg.max_body_bytes = max_body;
	f->cli = sw_client_new(f->base, &ccfg, err, sizeof(err));
	assert_non_null(f->cli);
	return f;
}

static void fx_free(struct fixture *f)
{
	sw_client_free(&f->cli);
	srv_end(f);
	sw_server_free(&f->srv);
	event_base_free(f->base);
	free(f);
}

static void fetch(struct fixture *f, const char *path, int stream, unsigned timeout_ms)
{
	struct sw_req *req = sw_req_new("GET", path);
	f->done = 0;
	f->err = 0;
	f->stream_calls = 0;
	f->streamed = 0;
	if (stream)
		req->stream_cb = on_stream;
	req->timeout_ms = timeout_ms;
	assert_int_equal(sw_client_request(f->cli, NULL, req, on_done, f), 0);
	run_until_done(f);
}

static void incremental(enum sw_proto proto)
{
	struct fixture *f = fx_new(proto, 0);
	f->pieces = 40;
	f->drain = 1;
	fetch(f, "/stream", 1, 0);
	assert_int_equal(f->err, 0);
	assert_int_equal(f->status, 200);
	/* the pieces came one timer tick apart: many callbacks before the end */
	assert_true(f->calls_before_done >= 10);
	assert_int_equal(f->streamed, 40 * PIECE_LEN);
	assert_int_equal(f->final_len, 0);
	/* an ordinary request afterwards is buffered whole */
	fetch(f, "/plain", 0, 0);
	assert_int_equal(f->err, 0);
	assert_int_equal(f->final_len, 5000);
	assert_int_equal(f->stream_calls, 0);
	fx_free(f);
}

static void test_incremental_h2(void **state)
{
	(void)state;
	incremental(SW_PROTO_H2);
}

static void test_incremental_h1(void **state)
{
	(void)state;
	incremental(SW_PROTO_H1);
}

/* A reader that does not drain gets the same bytes again plus the new ones;
 * the final callback gets them all. */
static void test_undrained_kept(void **state)
{
	(void)state;
	struct fixture *f = fx_new(SW_PROTO_H2, 0);
	f->pieces = 10;
	f->drain = 0;
	fetch(f, "/stream", 1, 0);
	assert_int_equal(f->err, 0);
	assert_int_equal(f->final_len, 10 * PIECE_LEN);
	fx_free(f);
}

static void cancel(enum sw_proto proto)
{
	struct fixture *f = fx_new(proto, 0);
	f->pieces = UINT32_MAX;
	f->drain = 1;
	f->cancel_after = 5 * PIECE_LEN;
	fetch(f, "/stream", 1, 0);
	assert_int_equal(f->err, SW_ERR_CANCELLED);
	/* the server learns the reader went away */
	for (int i = 0; i < 200 && !f->srv_closed_seen; i++) {
		struct timeval tv = {0, 5000};
		event_base_loopexit(f->base, &tv);
		event_base_dispatch(f->base);
	}
	assert_true(f->srv_closed_seen);
	/* and the client is still usable */
	f->cancel_after = 0;
	fetch(f, "/plain", 0, 0);
	assert_int_equal(f->err, 0);
	assert_int_equal(f->final_len, 5000);
	fx_free(f);
}

static void test_cancel_h2(void **state)
{
	(void)state;
	cancel(SW_PROTO_H2);
}

static void test_cancel_h1(void **state)
{
	(void)state;
	cancel(SW_PROTO_H1);
}

/* max_body_bytes bounds what waits undrained, not the total. */
static void bounded(enum sw_proto proto)
{
	struct fixture *f = fx_new(proto, 1000);
	f->pieces = 100; /* 3300 bytes in all, over the limit */
	f->drain = 1;
	fetch(f, "/stream", 1, 0);
	assert_int_equal(f->err, 0);
	assert_int_equal(f->streamed, 100 * PIECE_LEN);
	f->pieces = 100;
	f->drain = 0;
	fetch(f, "/stream", 1, 0);
	assert_int_equal(f->err, SW_ERR_TOO_BIG);
	fx_free(f);
}

static void test_bounded_h2(void **state)
{
	(void)state;
	bounded(SW_PROTO_H2);
}

static void test_bounded_h1(void **state)
{
	(void)state;
	bounded(SW_PROTO_H1);
}

/* The request timeout still bounds an endless stream. */
static void test_timeout(void **state)
{
	(void)state;
	struct fixture *f = fx_new(SW_PROTO_H2, 0);
	f->pieces = UINT32_MAX;
	f->drain = 1;
	fetch(f, "/stream", 1, 150);
	assert_int_equal(f->err, SW_ERR_TIMEOUT);
	assert_true(f->calls_before_done > 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_incremental_h2),
		cmocka_unit_test(test_incremental_h1),
		cmocka_unit_test(test_undrained_kept),
		cmocka_unit_test(test_cancel_h2),
		cmocka_unit_test(test_cancel_h1),
		cmocka_unit_test(test_bounded_h2),
		cmocka_unit_test(test_bounded_h1),
		cmocka_unit_test(test_timeout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
