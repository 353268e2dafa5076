/* sw_server fed by raw loopback sockets: HTTP/1.1 framing (pipelining,
 * chunked, Expect, HEAD, HTTP/1.0), limits (431, 413), malformed input
 * (400 then close), GOAWAY for HTTP/1.1, idle timeout, junk on h2c and TLS;
 * slowloris heads and bodies (408 at their deadline), HTTP/2 connections
 * kept open by PINGs alone, the connection cap, body policies and the
 * memory budget (413 early, kept prefix, 503), TLS on the cleartext port. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_server_util.h"

#define RESP_CAP (1 << 20)

static struct tfx g;
static char *resp;

static int setup(void **state)
{
	resp = malloc(RESP_CAP);
	return resp ? 0 : -1;
}

static int teardown(void **state)
{
	free(resp);
	return 0;
}

/* Sends |req| on a new connection; returns bytes of reply, *eof as tfx_raw_talk. */
static size_t talk(const char *req, size_t len, const char *until, size_t times, int *eof)
{
	int fd = tfx_raw_connect(&g);
	assert_true(fd >= 0);
	size_t n = tfx_raw_talk(&g, fd, req, len, resp, RESP_CAP, until, times, 10000, eof);
	close(fd);
	return n;
}

static void start(struct sw_server_cfg *cfg)
{
	assert_int_equal(tfx_start(&g, cfg), 0);
}

static void test_pipelining(void **state)
{
	struct sw_server_cfg cfg = {0};
	int eof = 0;
	start(&cfg);
	static const char req[] =
		"GET /echo?a HTTP/1.1\r\nHost: x\r\n\r\n"
		"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
		"GET /delay?ms=10 HTTP/1.1\r\nHost: x\r\n\r\n"
		"\r\nGET / HTTP/1.1\nHost: x\nConnection: close\n\n";
	talk(req, sizeof(req) - 1, NULL, 0, &eof);
	assert_true(eof);
	assert_int_equal(tfx_count(resp, "HTTP/1.1 200 OK\r\n"), 4);
	const char *a = strstr(resp, "x-query: a"), *b = strstr(resp, "hello"),
	           *c = strstr(resp, "delayed"), *d = strstr(resp, "connection: close\r\n");
	assert_true(a && b && c && d && a < b && b < c && c < d);
	assert_non_null(strstr(d, "\r\n\r\nok\n"));
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.requests, 4);
	assert_int_equal(st.conns_accepted, 1);
	tfx_stop(&g);
}

/* A request arriving one byte per read is still parsed (and parsed in linear time). */
static void test_trickle(void **state)
{
	struct sw_server_cfg cfg = {0};
	int eof = 0;
	start(&cfg);
	static const char req[] = "\r\nPOST /echo?t HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nContent-Length: 4\r\n\r\nbody";
	int fd = tfx_raw_connect(&g);
	for (size_t i = 0; i + 1 < sizeof(req) - 1; i++) {
		assert_int_equal(send(fd, req + i, 1, MSG_NOSIGNAL), 1);
		for (int k = 0; k < 3; k++)
			event_base_loop(g.base, EVLOOP_NONBLOCK);
	}
	tfx_raw_talk(&g, fd, req + sizeof(req) - 2, 1, resp, RESP_CAP, "body", 1, 10000, &eof);
	assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(resp, "x-query: t\r\n"));
	close(fd);
	tfx_stop(&g);
}

static void test_chunked_expect_head(void **state)
{
	struct sw_server_cfg cfg = {0};
	int eof = 0;
	start(&cfg);
	static const char ch[] = "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	                         "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
	talk(ch, sizeof(ch) - 1, "hello world", 1, &eof);
	assert_non_null(strstr(resp, "content-length: 11\r\n"));
	assert_non_null(strstr(resp, "\r\n\r\nhello world"));
	/* Expect: 100-continue is answered before the body is sent. */
	int fd = tfx_raw_connect(&g);
	static const char ex[] = "PUT /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
	tfx_raw_talk(&g, fd, ex, sizeof(ex) - 1, resp, RESP_CAP, "\r\n\r\n", 1, 10000, &eof);
	assert_string_equal(resp, "HTTP/1.1 100 Continue\r\n\r\n");
	tfx_raw_talk(&g, fd, "abc", 3, resp, RESP_CAP, "abc", 1, 10000, &eof);
	assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(resp, "x-method: PUT"));
	/* HEAD: length announced, no body; the connection stays usable. */
	static const char hd[] = "HEAD /big?n=100 HTTP/1.1\r\n\r\nGET http://h:1/echo?q=1 HTTP/1.1\r\n\r\n";
	tfx_raw_talk(&g, fd, hd, sizeof(hd) - 1, resp, RESP_CAP, "x-query: q=1\r\n", 1, 10000, &eof);
	assert_non_null(strstr(resp, "content-length: 100\r\n"));
	assert_null(strstr(resp, "abcdef"));
	assert_int_equal(tfx_count(resp, "HTTP/1.1 200"), 2);
	close(fd);
	/* reply_mem with data inside the request body. */
	static const char em[] = "POST /echo_mem HTTP/1.1\r\nContent-Length: 6\r\n\r\nmirror";
	talk(em, sizeof(em) - 1, "mirror", 1, &eof);
	assert_non_null(strstr(resp, "content-length: 6\r\n"));
	/* HTTP/1.0 closes after the response. */
	talk("GET / HTTP/1.0\r\n\r\n", 18, NULL, 0, &eof);
	assert_true(eof);
	assert_non_null(strstr(resp, "connection: close"));
	tfx_stop(&g);
}

static void expect_status_close(const char *req, size_t len, const char *status)
{
	int eof = 0;
	talk(req, len, NULL, 0, &eof);
	assert_true(eof);
	assert_memory_equal(resp, status, strlen(status));
}

static void test_malformed(void **state)
{
	struct sw_server_cfg cfg = {0};
	start(&cfg);
	static const char *const bad[] = {
		"GARBAGE\r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
		"GET /  HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
		"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
		"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX",
		"VERYLONGMETHODNAMEXXXXXXXXXXXXXXXX / HTTP/1.1\r\n\r\n",
		"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_status_close(bad[i], strlen(bad[i]), "HTTP/1.1 400 ");
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.bad_requests, sizeof(bad) / sizeof(bad[0]));
	assert_int_equal(st.requests, 0);
	/* Binary junk: answered or closed, never a crash; the server goes on. */
	char junk[4096];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245u + 12345u;
		junk[i] = (char)(x >> 16);
	}
	int eof = 0;
	talk(junk, sizeof(junk), NULL, 0, &eof);
	assert_true(eof);
	talk("GET / HTTP/1.1\r\n\r\n", 18, "ok\n", 1, &eof);
	assert_non_null(strstr(resp, "200 OK"));
	tfx_stop(&g);
}

static void test_limits(void **state)
{
	struct sw_server_cfg cfg = {.max_body_bytes = 64 * 1024, .max_header_bytes = 8192};
	start(&cfg);
	size_t n = 20000;
	char *big = malloc(n + 64);
	if (!big)
		abort();
	int o = sprintf(big, "GET / HTTP/1.1\r\nX-Big: ");
	memset(big + o, 'a', n - (size_t)o - 4);
	memcpy(big + n - 4, "\r\n\r\n", 4);
	expect_status_close(big, n, "HTTP/1.1 431 ");
	/* Too many fields, each small. */
	o = sprintf(big, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < 200; i++)
		o += sprintf(big + o, "a%d: b\r\n", i);
	o += sprintf(big + o, "\r\n");
	expect_status_close(big, (size_t)o, "HTTP/1.1 431 ");
	/* A head that never ends. */
	memset(big, 'x', n);
	memcpy(big, "GET /", 5);
	expect_status_close(big, n, "HTTP/1.1 431 ");
	static const char cl[] = "POST /echo HTTP/1.1\r\nContent-Length: 100000\r\n\r\n";
	expect_status_close(cl, sizeof(cl) - 1, "HTTP/1.1 413 ");
	free(big);
	/* Chunked over the limit: refused once the decoded body passes it. */
	size_t total = 0, cap = 200000;
	char *ch = malloc(cap);
	if (!ch)
		abort();
	total = (size_t)sprintf(ch, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
	while (total + 5000 < cap - 16) {
		total += (size_t)sprintf(ch + total, "1000\r\n");
		memset(ch + total, 'z', 4096);
		total += 4096;
		total += (size_t)sprintf(ch + total, "\r\n");
	}
	expect_status_close(ch, total, "HTTP/1.1 413 ");
	free(ch);
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.bad_requests, 5);
	tfx_stop(&g);
}

static void test_h1_goaway(void **state)
{
	struct sw_server_cfg cfg = {.goaway_after = 2};
	int eof = 0;
	start(&cfg);
	static const char req[] = "GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n";
	talk(req, sizeof(req) - 1, NULL, 0, &eof);
	assert_true(eof);
	assert_int_equal(tfx_count(resp, "HTTP/1.1 200"), 2);
	assert_int_equal(tfx_count(resp, "connection: close"), 1);
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.goaways, 1);
	assert_int_equal(st.requests, 2);
	tfx_stop(&g);
}

static void test_idle_timeout(void **state)
{
	struct sw_server_cfg cfg = {.idle_timeout_ms = 150};
	int eof = 0;
	start(&cfg);
	int a = tfx_raw_connect(&g), b = tfx_raw_connect(&g);
	/* a: silent; b: half a request head. */
	tfx_raw_talk(&g, b, "GET / HT", 8, resp, RESP_CAP, NULL, 0, 5000, &eof);
	assert_true(eof);
	tfx_raw_talk(&g, a, "", 0, resp, RESP_CAP, NULL, 0, 5000, &eof);
	assert_true(eof);
	close(a);
	close(b);
	/* A pending reply keeps a connection open past the idle timeout. */
	int c = tfx_raw_connect(&g);
	tfx_raw_talk(&g, c, "GET /delay?ms=400 HTTP/1.1\r\n\r\n", 30, resp, RESP_CAP, "delayed", 1,
	             5000, &eof);
	assert_non_null(strstr(resp, "delayed"));
	close(c);
	assert_int_equal(tfx_wait_closed(&g, 10000), 0);
	tfx_stop(&g);
}

static void test_h2c_junk(void **state)
{
	struct sw_server_cfg cfg = {0};
	int eof = 0;
	start(&cfg);
	static const char pre[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nthis is not a frame at all.....";
	talk(pre, sizeof(pre) - 1, NULL, 0, &eof);
	assert_true(eof);
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.conns_h2, 1);
	/* Preface split over several writes still selects h2. */
	int fd = tfx_raw_connect(&g);
	tfx_raw_talk(&g, fd, "PRI * HTTP/2.0\r\n", 16, resp, RESP_CAP, NULL, 0, 50, &eof);
	assert_false(eof);
	tfx_raw_talk(&g, fd, "\r\nSM\r\n\r\n", 8, resp, RESP_CAP, NULL, 0, 200, &eof);
	close(fd);
	assert_int_equal(tfx_wait_closed(&g, 10000), 0);
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.conns_h2, 2);
	tfx_stop(&g);
}

/* Finds a frame of |type| on |stream| in the server's byte stream (after its
 * SETTINGS); returns its payload's first 4 bytes as a big-endian number, or -1. */
static long h2_find(const unsigned char *b, size_t n, int type, uint32_t stream)
{
	size_t off = 0;
	while (off + 9 <= n) {
		size_t len = ((size_t)b[off] << 16) | ((size_t)b[off + 1] << 8) | b[off + 2];
		uint32_t sid = ((uint32_t)(b[off + 5] & 0x7f) << 24) | ((uint32_t)b[off + 6] << 16) |
		               ((uint32_t)b[off + 7] << 8) | b[off + 8];
		if (off + 9 + len > n)
			break;
		if (b[off + 3] == type && sid == stream) {
			const unsigned char *p = b + off + 9;
			return len >= 4 ? (long)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
			                         ((uint32_t)p[2] << 8) | p[3])
			                : 0;
		}
		off += 9 + len;
	}
	return -1;
}

static void test_h2_stream_reset(void **state)
{
	struct sw_server_cfg cfg = {0};
	int eof = 0;
	start(&cfg);
	int fd = tfx_raw_connect(&g);
	/* HPACK: :method GET (0x82), :scheme http (0x86), :authority "a" and :path as
	 * literals with indexed names (1, 4); :path / is 0x84. */
	static const unsigned char req1[] = {
		'P', 'R', 'I', ' ', '*', ' ', 'H', 'T', 'T', 'P', '/', '2', '.', '0', '\r', '\n', '\r', '\n',
		'S', 'M', '\r', '\n', '\r', '\n',
		0, 0, 0, 4, 0, 0, 0, 0, 0,                                            /* SETTINGS */
		0, 0, 12, 1, 5, 0, 0, 0, 1, 0x82, 0x86, 1, 1, 'a', 0x04, 5, '/', 'h', 'o', 'l', 'd', /* HEADERS 1 */
	};
	tfx_raw_talk(&g, fd, (const char *)req1, sizeof(req1), resp, RESP_CAP, NULL, 0, 300, &eof);
	assert_false(eof);
	assert_int_equal(g.nheld, 1);
	static const unsigned char req2[] = {
		0, 0, 4, 3, 0, 0, 0, 0, 1, 0, 0, 0, 8,                                 /* RST_STREAM 1 CANCEL */
		0, 0, 6, 1, 5, 0, 0, 0, 3, 0x82, 0x86, 1, 1, 'a', 0x84,               /* HEADERS 3: / */
		0, 0, 13, 1, 5, 0, 0, 0, 5, 0x82, 0x86, 1, 1, 'a', 0x04, 6, '/', 'r', 'e', 's', 'e', 't', /* 5 */
	};
	size_t n = tfx_raw_talk(&g, fd, (const char *)req2, sizeof(req2), resp, RESP_CAP, NULL, 0, 300, &eof);
	assert_false(eof);
	/* The client's RST freed the stream: the held exchange's reply is refused. */
	assert_int_equal(sw_exchange_reply_mem(g.held[0], 200, NULL, "x", 1), SW_ERR_CLOSED);
	g.nheld = 0;
	assert_true(h2_find((unsigned char *)resp, n, 1, 3) >= 0);  /* response HEADERS on 3 */
	assert_int_equal(h2_find((unsigned char *)resp, n, 3, 5), 2); /* RST_STREAM INTERNAL_ERROR */
	close(fd);
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.requests, 3);
	assert_int_equal(st.resets, 1);
	/* A handler drops the connection while more frames for its stream wait in the
	 * same input (the stream's exchange is gone by then). */
	static const unsigned char req3[] = {
		'P', 'R', 'I', ' ', '*', ' ', 'H', 'T', 'T', 'P', '/', '2', '.', '0', '\r', '\n', '\r', '\n',
		'S', 'M', '\r', '\n', '\r', '\n',
		0, 0, 0, 4, 0, 0, 0, 0, 0,
		0, 0, 12, 1, 5, 0, 0, 0, 1, 0x82, 0x86, 1, 1, 'a', 0x04, 5, '/', 'd', 'r', 'o', 'p',
		0, 0, 4, 3, 0, 0, 0, 0, 1, 0, 0, 0, 8,
		0, 0, 6, 1, 5, 0, 0, 0, 3, 0x82, 0x86, 1, 1, 'a', 0x84,
	};
	g.drop_rv = 0;
	talk((const char *)req3, sizeof(req3), NULL, 0, &eof);
	assert_true(eof);
	assert_int_equal(g.drop_rv, SW_ERR_CLOSED);
	assert_int_equal(tfx_wait_closed(&g, 10000), 0);
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.requests, 4); /* stream 3 was not dispatched on the dropped connection */
	assert_int_equal(st.drops, 1);
	tfx_stop(&g);
}

/* Thousands of idle connections, then all dropped at once. */
static void test_many_conns(void **state)
{
	enum { N = 2000 };
	struct sw_server_cfg cfg = {0};
	static int fds[N];
	start(&cfg);
	for (int i = 0; i < N; i++) {
		fds[i] = tfx_raw_connect(&g);
		assert_true(fds[i] >= 0);
		if (i % 100 == 99)
			for (int k = 0; k < 5; k++)
				event_base_loop(g.base, EVLOOP_NONBLOCK);
	}
	struct sw_server_stats st;
	uint64_t end = tfx_now_ms() + 20000;
	do {
		event_base_loop(g.base, EVLOOP_ONCE);
		sw_server_get_stats(g.srv, &st);
	} while (st.conns_open < N && tfx_now_ms() < end);
	assert_int_equal(st.conns_open, N);
	assert_int_equal(sw_server_drop_all(g.srv), N);
	assert_int_equal(tfx_wait_closed(&g, 10000), 0);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	int eof = 0;
	talk("GET / HTTP/1.1\r\n\r\n", 18, "ok\n", 1, &eof);
	assert_non_null(strstr(resp, "200 OK"));
	tfx_stop(&g);
}

static void test_tls_junk(void **state)
{
	char cert[128], key[128];
	int eof = 0;
	assert_int_equal(tfx_mkdir(&g), 0);
	assert_int_equal(tfx_make_cert(&g), 0);
	tfx_path(&g, cert, sizeof(cert), "cert.pem");
	tfx_path(&g, key, sizeof(key), "key.pem");
	struct sw_server_cfg cfg = {.cert_file = cert, .key_file = key};
	start(&cfg);
	talk("GET / HTTP/1.1\r\n\r\n", 18, NULL, 0, &eof);
	assert_true(eof);
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.conns_tls, 1);
	assert_int_equal(tfx_wait_closed(&g, 10000), 0);
	tfx_stop(&g);
	tfx_rmdir(&g);
}


/* Sends |data| one byte every |every_ms| while running the loop, collecting
 * what the server says into resp, until EOF or |max_ms|. Returns the ms spent. */
static uint64_t trickle(int fd, const char *data, size_t len, unsigned every_ms, unsigned max_ms,
                        int *eof)
{
	uint64_t t0 = tfx_now_ms(), next = t0;
	size_t sent = 0, got = 0;
	*eof = 0;
	resp[0] = '\0';
	while (tfx_now_ms() - t0 < max_ms) {
		if (sent < len && tfx_now_ms() >= next) {
			if (send(fd, data + sent, 1, MSG_NOSIGNAL) == 1)
				sent++;
			next += every_ms;
		}
		event_base_loop(g.base, EVLOOP_ONCE);
		ssize_t r = recv(fd, resp + got, RESP_CAP - 1 - got, 0);
		if (r > 0) {
			got += (size_t)r;
			resp[got] = '\0';
		} else if (r == 0 || (r < 0 && errno != EAGAIN)) {
			*eof = 1;
			break;
		}
	}
	return tfx_now_ms() - t0;
}

/* Slowloris: a byte every 50 ms keeps resetting the idle timeout, but not the
 * head and body deadlines. */
static void test_slow_head_body(void **state)
{
	struct sw_server_cfg cfg = {.header_timeout_ms = 300, .body_timeout_ms = 400};
	char head[512];
	int eof = 0;
	start(&cfg);
	int n = snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nX-Slow: ");
	memset(head + n, 'a', sizeof(head) - (size_t)n - 1);
	head[sizeof(head) - 1] = '\0';
	int fd = tfx_raw_connect(&g);
	uint64_t ms = trickle(fd, head, strlen(head), 50, 5000, &eof);
	assert_true(eof);
	assert_memory_equal(resp, "HTTP/1.1 408 ", 13);
	assert_true(ms < 5000);
	close(fd);
	/* The body deadline runs from the complete head. */
	static const char body[] = "POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\n";
	fd = tfx_raw_connect(&g);
	tfx_raw_talk(&g, fd, body, sizeof(body) - 1, resp, RESP_CAP, NULL, 0, 20, &eof);
	char data[100];
	memset(data, 'b', sizeof(data));
	ms = trickle(fd, data, sizeof(data), 50, 5000, &eof);
	assert_true(eof);
	assert_memory_equal(resp, "HTTP/1.1 408 ", 13);
	close(fd);
	/* A connection that never sends a byte is closed at the header deadline too. */
	fd = tfx_raw_connect(&g);
	trickle(fd, "", 0, 50, 5000, &eof);
	assert_true(eof);
	close(fd);
	/* A keep-alive connection answers in time, then waits under the idle timeout. */
	fd = tfx_raw_connect(&g);
	tfx_raw_talk(&g, fd, "GET / HTTP/1.1\r\n\r\n", 18, resp, RESP_CAP, "ok\n", 1, 5000, &eof);
	assert_false(eof);
	tfx_run_for(&g, 600);
	tfx_raw_talk(&g, fd, "GET / HTTP/1.1\r\n\r\n", 18, resp, RESP_CAP, "ok\n", 1, 5000, &eof);
	assert_non_null(strstr(resp, "200 OK"));
	close(fd);
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.header_timeouts, 2);
	assert_int_equal(st.body_timeouts, 1);
	tfx_stop(&g);
}

static const unsigned char h2_preface_settings[] = {
	'P', 'R', 'I', ' ', '*', ' ', 'H', 'T', 'T', 'P', '/', '2', '.', '0', '\r', '\n', '\r', '\n',
	'S', 'M', '\r', '\n', '\r', '\n', 0, 0, 0, 4, 0, 0, 0, 0, 0,
};

/* HTTP/2: PINGs do not keep a connection without streams; a stream whose
 * body trickles gets 408 at its deadline. */
static void test_h2_slow(void **state)
{
	struct sw_server_cfg cfg = {.idle_timeout_ms = 400, .body_timeout_ms = 300};
	static const unsigned char ping[] = {0, 0, 8, 6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
	int eof = 0;
	start(&cfg);
	int fd = tfx_raw_connect(&g);
	tfx_raw_talk(&g, fd, (const char *)h2_preface_settings, sizeof(h2_preface_settings), resp,
	             RESP_CAP, NULL, 0, 20, &eof);
	uint64_t t0 = tfx_now_ms();
	while (!eof && tfx_now_ms() - t0 < 5000)
		tfx_raw_talk(&g, fd, (const char *)ping, sizeof(ping), resp, RESP_CAP, NULL, 0, 50, &eof);
	assert_true(eof);
	close(fd);
	/* POST /echo without END_STREAM, then one DATA byte every 50 ms. */
	static const unsigned char post[] = {
		0, 0, 12, 1, 4, 0, 0, 0, 1, 0x83, 0x86, 1, 1, 'a', 0x04, 5, '/', 'e', 'c', 'h', 'o',
	};
	static const unsigned char data1[] = {0, 0, 1, 0, 0, 0, 0, 0, 1, 'x'};
	fd = tfx_raw_connect(&g);
	tfx_raw_talk(&g, fd, (const char *)h2_preface_settings, sizeof(h2_preface_settings), resp,
	             RESP_CAP, NULL, 0, 20, &eof);
	tfx_raw_talk(&g, fd, (const char *)post, sizeof(post), resp, RESP_CAP, NULL, 0, 20, &eof);
	long answered = -1;
	t0 = tfx_now_ms();
	while (!eof && tfx_now_ms() - t0 < 3000 && answered < 0) {
		size_t got = tfx_raw_talk(&g, fd, (const char *)data1, sizeof(data1), resp, RESP_CAP,
		                          NULL, 0, 50, &eof);
		answered = h2_find((unsigned char *)resp, got, 1, 1); /* response HEADERS on stream 1 */
	}
	assert_true(answered >= 0);
	assert_true(tfx_now_ms() - t0 < 3000);
	close(fd);
	assert_int_equal(tfx_wait_closed(&g, 10000), 0);
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.idle_h2_closed, 1);
	assert_int_equal(st.body_timeouts, 1);
	tfx_stop(&g);
}

/* Over max_conns, new connections are closed at accept and counted. */
static void test_conn_limit(void **state)
{
	struct sw_server_cfg cfg = {.max_conns = 3};
	int fds[4], eof = 0;
	start(&cfg);
	for (int i = 0; i < 3; i++) {
		fds[i] = tfx_raw_connect(&g);
		tfx_raw_talk(&g, fds[i], "GET / HTTP/1.1\r\n\r\n", 18, resp, RESP_CAP, "ok\n", 1, 5000, &eof);
		assert_non_null(strstr(resp, "200 OK"));
	}
	fds[3] = tfx_raw_connect(&g);
	tfx_raw_talk(&g, fds[3], "GET / HTTP/1.1\r\n\r\n", 18, resp, RESP_CAP, NULL, 0, 5000, &eof);
	assert_true(eof);
	assert_null(strstr(resp, "200 OK"));
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.conns_refused, 1);
	assert_int_equal(st.conns_open, 3);
	/* Room again once one closes. */
	close(fds[0]);
	close(fds[3]);
	uint64_t end = tfx_now_ms() + 5000;
	do
		event_base_loop(g.base, EVLOOP_ONCE);
	while ((sw_server_get_stats(g.srv, &st), st.conns_open > 2) && tfx_now_ms() < end);
	talk("GET / HTTP/1.1\r\n\r\n", 18, "ok\n", 1, &eof);
	assert_non_null(strstr(resp, "200 OK"));
	close(fds[1]);
	close(fds[2]);
	tfx_stop(&g);
}

/* A TLS ClientHello on the cleartext port: answered like Go's net/http
 * answers a request line it can not parse, and closed at once. */
static void test_tls_on_plain(void **state)
{
	struct sw_server_cfg cfg = {0};
	int eof = 0;
	start(&cfg);
	static const unsigned char hello[] = {
		0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03, 0x11, 0x22, 0x33, 0x44,
		0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11, 0x22, 0x33,
		0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x00, 0x02,
		0x13, 0x01, 0x01, 0x00,
	};
	talk((const char *)hello, sizeof(hello), NULL, 0, &eof);
	assert_true(eof);
	assert_string_equal(resp, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
	                          "Connection: close\r\n\r\n400 Bad Request");
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.tls_on_plain, 1);
	assert_int_equal(st.conns_h1, 0);
	tfx_stop(&g);
}

static void policy(void *arg, const char *method, const char *path, struct sw_body_policy *out)
{
	if (strcmp(path, "/echo/small") == 0) {
		out->max = 100;
	} else if (strcmp(path, "/echo/stream") == 0) {
		out->max = 1 << 20;
		out->keep = 16;
	}
}

/* Body policies: 413 from the Content-Length before any body byte, a
 * streamed body kept as a prefix and counted; the budget across requests. */
static void test_body_policy_budget(void **state)
{
	struct sw_server_cfg cfg = {.max_body_total = 1000, .body_policy = policy};
	int eof = 0;
	start(&cfg);
	static const char small[] = "POST /echo/small HTTP/1.1\r\nContent-Length: 200\r\n\r\n";
	expect_status_close(small, sizeof(small) - 1, "HTTP/1.1 413 ");
	size_t n = 300000;
	char *big = malloc(n + 128);
	assert_non_null(big);
	int h = sprintf(big, "POST /echo/stream HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", n);
	memset(big + h, 's', n);
	talk(big, (size_t)h + n, "ssssssssssssssss", 1, &eof);
	assert_non_null(strstr(resp, "x-body-total: 300000\r\n"));
	assert_non_null(strstr(resp, "content-length: 16\r\n"));
	/* chunked: the limit counts decoded bytes, kept or not */
	static const char ch[] = "POST /echo/stream HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	                         "14\r\n0123456789abcdefghij\r\n0\r\n\r\n";
	talk(ch, sizeof(ch) - 1, "0123456789abcdef", 1, &eof);
	assert_non_null(strstr(resp, "x-body-total: 20\r\n"));
	/* The budget: a held request keeps 600 bytes; the next 600 would pass 1000. */
	int fa = tfx_raw_connect(&g);
	h = sprintf(big, "POST /hold HTTP/1.1\r\nContent-Length: 600\r\n\r\n");
	memset(big + h, 'h', 600);
	tfx_raw_talk(&g, fa, big, (size_t)h + 600, resp, RESP_CAP, NULL, 0, 200, &eof);
	assert_int_equal(g.nheld, 1);
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.body_bytes, 600);
	h = sprintf(big, "POST /echo HTTP/1.1\r\nContent-Length: 600\r\n\r\n");
	expect_status_close(big, (size_t)h, "HTTP/1.1 503 ");
	assert_non_null(strstr(resp, "retry-after: 1\r\n"));
	/* chunked, no length announced: refused once it would pass */
	h = sprintf(big, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n");
	memset(big + h, 'c', 600);
	h += 600;
	h += sprintf(big + h, "\r\n0\r\n\r\n");
	expect_status_close(big, (size_t)h, "HTTP/1.1 503 ");
	sw_exchange_reply_mem(g.held[0], 200, NULL, NULL, 0);
	g.nheld = 0;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.body_bytes, 0);
	assert_true(st.body_bytes_peak >= 600 && st.body_bytes_peak <= 1000);
	assert_int_equal(st.too_large, 1);
	assert_int_equal(st.over_budget, 2);
	close(fa);
	free(big);
	tfx_stop(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipelining),
		cmocka_unit_test(test_trickle),
		cmocka_unit_test(test_chunked_expect_head),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_h1_goaway),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_h2c_junk),
		cmocka_unit_test(test_h2_stream_reset),
		cmocka_unit_test(test_many_conns),
		cmocka_unit_test(test_tls_junk),
		cmocka_unit_test(test_slow_head_body),
		cmocka_unit_test(test_h2_slow),
		cmocka_unit_test(test_conn_limit),
		cmocka_unit_test(test_tls_on_plain),
		cmocka_unit_test(test_body_policy_budget),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
