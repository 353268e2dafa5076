/*
 * No CR, LF or NUL reaches the wire in a request head (issue 9, finding
 * 10): sw_req_check() refuses a bad method, path, header name or value,
 * sw_req_header() never adds one, and sw_client_request() refuses such a
 * request before either serialiser runs -- over HTTP/1.1 (where a CR LF in a
 * value would start a second header or request: smuggling) and over HTTP/2
 * (nghttp2 does not check what a client sends). A raw TCP server on
 * loopback records every byte the client sent: one clean request, nothing
 * injected; over h2c no connection is even opened for refused requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sw_client.h"
#include "sw_err.h"
#include "sw_http.h"

/* ---- sw_req_check and sw_req_header ---------------------------------------------------- */

/* A request with header |name|: |value| added behind sw_req_header's back. */
static struct sw_req *req_raw_header(const char *method, const char *path, const char *name,
                                     const char *value)
{
	struct sw_req *r = sw_req_new(method, path);
	assert_non_null(r);
	if (name)
		assert_int_equal(sw_hdrs_add(&r->hdrs, name, strlen(name), value, strlen(value)), 0);
	return r;
}

/* sw_http_value_bad() at every position of values longer than one 16-byte
 * block: the first control character (tab allowed) or DEL, 1-based; bytes
 * >= 0x80 are fine. */
static void test_value_bad(void **state)
{
	char v[70] = {0};

	(void)state;
	for (size_t len = 0; len <= sizeof(v); len++) {
		for (size_t i = 0; i < len; i++)
			v[i] = (char)(i % 3 == 0 ? 0xc3 : i % 3 == 1 ? '\t' : 'a' + (int)(i % 26));
		assert_int_equal(sw_http_value_bad(v, len), 0);
		for (size_t pos = 0; pos < len; pos++) {
			static const unsigned char bad[] = {0x00, 0x01, '\r', '\n', 0x1f, 0x7f};
			for (size_t b = 0; b < sizeof(bad); b++) {
				char keep = v[pos];
				v[pos] = (char)bad[b];
				if (pos + 1 < len)
					v[len - 1] = '\n'; /* a later one is not the first */
				assert_int_equal(sw_http_value_bad(v, len), pos + 1);
				v[pos] = keep;
				v[len - 1] = (char)((len - 1) % 3 == 0 ? 0xc3 : (len - 1) % 3 == 1 ? '\t' : 'a' + (int)((len - 1) % 26));
			}
		}
	}
}

static void test_check(void **state)
{
	(void)state;
	static const struct {
		const char *method, *path, *name, *value;
		int ok;
	} cases[] = {
		{"GET", "/v2/clusters?x=1", "x-secret-key", "abc\tdef", 1},
		{"GET", "/v2/clusters", "authorization", "Bearer a\r\nInjected: 1", 0},
		{"GET", "/v2/clusters", "authorization", "Bearer a\nb", 0},
		{"GET", "/v2/clusters", "authorization", "Bearer a\rb", 0},
		{"GET", "/v2/clusters", "x\r\ninjected", "1", 0},
		{"GET", "/v2/clusters", "x y", "1", 0},
		{"GET", "/v2/clusters", "x:y", "1", 0},
		{"GET", "/v2/clusters", "", "1", 0},
		{"GET", "/v2/a\r\nInjected: 1", NULL, NULL, 0},
		{"GET", "/v2/a HTTP/1.1\r\nHost: evil\r\n\r\nGET /x", NULL, NULL, 0},
		{"GET", "/v2/a b", NULL, NULL, 0},
		{"GET", "/v2/a\x7f", NULL, NULL, 0},
		{"GET", "/v2/\xc3\xa9", NULL, NULL, 0},
		{"GET", "v2/relative", NULL, NULL, 0},
		{"GET /x HTTP/1.1\r\n", "/", NULL, NULL, 0},
		{"G T", "/", NULL, NULL, 0},
		{"", "/", NULL, NULL, 0},
		{"PATCH", "/", NULL, NULL, 1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sw_req *r = req_raw_header(cases[i].method, cases[i].path, cases[i].name,
		                                  cases[i].value);
		if ((sw_req_check(r) == 0) != cases[i].ok)
			fail_msg("case %zu (%s %s): expected %s", i, cases[i].method, cases[i].path,
			         cases[i].ok ? "accepted" : "refused");
		sw_req_free(&r);
	}
	/* A value with an embedded NUL (its length says more than the string). */
	struct sw_req *r = sw_req_new("GET", "/");
	assert_int_equal(sw_hdrs_add(&r->hdrs, "x", 1, "a\0b", 3), 0);
	assert_int_equal(sw_req_check(r), SW_ERR_INVALID);
	sw_req_free(&r);
	/* sw_req_header refuses the same, and adds nothing */
	r = sw_req_new("GET", "/");
	assert_int_equal(sw_req_header(r, "x-secret-key", "a\r\nInjected: 1"), SW_ERR_INVALID);
	assert_int_equal(sw_req_header(r, "x\r\ny", "1"), SW_ERR_INVALID);
	assert_int_equal(sw_req_header(r, "x(y)", "1"), SW_ERR_INVALID);
	assert_int_equal(sw_req_header(r, "discovery_agent_version", "quay.io/a:v1"), 0);
	assert_int_equal(r->hdrs.n, 1);
	assert_int_equal(sw_req_check(r), 0);
	sw_req_free(&r);
	assert_int_equal(sw_req_check(NULL), SW_ERR_INVALID);
}

/* ---- on the wire ------------------------------------------------------------------------- */

struct capture {
	struct event_base *base;
	int lfd, port, cfd, conns;
	struct event lev, cev;
	char buf[16384];
	size_t n;
	int answered;
};

static const char REPLY[] = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

static void cap_read(evutil_socket_t fd, short what, void *arg)
{
	struct capture *c = arg;
	(void)what;
	ssize_t r = recv(fd, c->buf + c->n, sizeof(c->buf) - c->n - 1, 0);
	if (r <= 0) {
		event_del(&c->cev);
		return;
	}
	c->n += (size_t)r;
	c->buf[c->n] = '\0';
	if (!c->answered && strstr(c->buf, "\r\n\r\n")) {
		c->answered = 1;
		assert_int_equal(send(fd, REPLY, sizeof(REPLY) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(REPLY) - 1);
	}
}

static void cap_accept(evutil_socket_t fd, short what, void *arg)
{
	struct capture *c = arg;
	(void)what;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	c->conns++;
	if (c->cfd >= 0) { /* one connection is all this test expects */
		close(cfd);
		return;
	}
	c->cfd = cfd;
	event_assign(&c->cev, c->base, cfd, EV_READ | EV_PERSIST, cap_read, c);
	event_add(&c->cev, NULL);
}

static void cap_start(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->cfd = -1;
	c->base = event_base_new();
	assert_non_null(c->base);
	c->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(c->lfd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	assert_int_equal(bind(c->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(c->lfd, 16), 0);
	assert_int_equal(getsockname(c->lfd, (struct sockaddr *)&a, &al), 0);
	c->port = ntohs(a.sin_port);
	event_assign(&c->lev, c->base, c->lfd, EV_READ | EV_PERSIST, cap_accept, c);
	event_add(&c->lev, NULL);
}

static void cap_stop(struct capture *c)
{
	event_del(&c->lev);
	close(c->lfd);
	if (c->cfd >= 0) {
		event_del(&c->cev);
		close(c->cfd);
	}
	event_base_free(c->base);
}

struct outcome {
	int done, err, status;
};

static void on_resp(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct outcome *o = arg;
	(void)msg;
	o->done++;
	o->err = err;
	o->status = resp ? resp->status : 0;
}

/* Submits every bad request on |c| (each refused at once, no callback). */
static void submit_bad(struct sw_client *c, struct outcome *o)
{
	struct sw_req *bad[] = {
		req_raw_header("GET", "/v2/ok", "x-secret-key", "t\r\nInjected: header"),
		req_raw_header("GET", "/v2/ok", "authorization", "Bearer t\nInjected: lf"),
		req_raw_header("GET", "/v2/ok", "x\r\nInjected", "name"),
		req_raw_header("GET", "/v2/ok\r\nInjected: path", NULL, NULL),
		req_raw_header("GET", "/v2/ok HTTP/1.1\r\nHost: x\r\n\r\nGET /smuggled", NULL, NULL),
		req_raw_header("POST /smuggled HTTP/1.1\r\n", "/v2/ok", NULL, NULL),
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sw_client_request(c, NULL, bad[i], on_resp, o), SW_ERR_INVALID);
}

static void run_until(struct capture *cap, struct outcome *o)
{
	for (int i = 0; i < 2000 && !o->done; i++) {
		struct timeval tv = {0, 5000};
		event_base_loopexit(cap->base, &tv);
		event_base_loop(cap->base, EVLOOP_ONCE);
	}
}

/* A client of |cap|'s server speaking |proto|, every bad request submitted. */
static struct sw_client *client_after_bad(struct capture *cap, enum sw_proto proto, struct outcome *o)
{
	struct sw_client_cfg cfg;
	char url[64], err[256];
	sw_client_cfg_init(&cfg);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", cap->port);
	cfg.url = url;
	cfg.proto = proto;
	cfg.request_timeout_ms = 5000;
	struct sw_client *c = sw_client_new(cap->base, &cfg, err, sizeof(err));
	assert_non_null(c);
	submit_bad(c, o);
	return c;
}

static void test_wire_http1(void **state)
{
	(void)state;
	struct capture cap;
	struct outcome o = {0};
	cap_start(&cap);
	struct sw_client *c = client_after_bad(&cap, SW_PROTO_H1, &o);
	struct sw_req *good = sw_req_new("GET", "/v2/ok");
	assert_int_equal(sw_req_header(good, "x-secret-key", "token"), 0);
	assert_int_equal(sw_client_request(c, NULL, good, on_resp, &o), 0);
	run_until(&cap, &o);
	assert_int_equal(o.done, 1);
	assert_int_equal(o.err, 0);
	assert_int_equal(o.status, 200);
	/* Exactly the clean request's head went out, once. */
	assert_int_equal(cap.conns, 1);
	assert_null(strstr(cap.buf, "Injected"));
	assert_null(strstr(cap.buf, "smuggled"));
	assert_ptr_equal(strstr(cap.buf, "GET /v2/ok HTTP/1.1\r\n"), cap.buf);
	const char *line2 = strstr(cap.buf, "\r\n");
	assert_null(strstr(line2, "HTTP/1.1")); /* no second request line */
	assert_non_null(strstr(cap.buf, "\r\nx-secret-key: token\r\n"));
	const char *end = strstr(cap.buf, "\r\n\r\n");
	assert_non_null(end);
	assert_int_equal((size_t)(end + 4 - cap.buf), cap.n);
	sw_client_free(&c);
	cap_stop(&cap);
}

static void test_wire_h2c(void **state)
{
	(void)state;
	struct capture cap;
	struct outcome o = {0};
	cap_start(&cap);
	struct sw_client *c = client_after_bad(&cap, SW_PROTO_H2, &o);
	for (int i = 0; i < 20; i++) {
		struct timeval tv = {0, 5000};
		event_base_loopexit(cap.base, &tv);
		event_base_loop(cap.base, EVLOOP_ONCE);
	}
	/* Refused before any connection was even wanted. */
	assert_int_equal(cap.conns, 0);
	assert_int_equal(cap.n, 0);
	assert_int_equal(o.done, 0);
	struct sw_client_stats st;
	sw_client_get_stats(c, &st);
	assert_int_equal(st.requests, 0);
	sw_client_free(&c);
	assert_int_equal(o.done, 0);
	cap_stop(&cap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_value_bad),
		cmocka_unit_test(test_wire_http1),
		cmocka_unit_test(test_wire_h2c),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
