/* sw_server end to end with real clients: curl (HTTP/1.1, h2c, h2 and
 * HTTP/1.1 over TLS), h2load for bounded load, async replies, resets,
 * GOAWAY, drop_all and large bodies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_server_util.h"

static struct tfx g;

static int group_setup(void **state)
{
	if (tfx_mkdir(&g) != 0 || tfx_make_cert(&g) != 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	tfx_rmdir(&g);
	return 0;
}

static struct sw_server_cfg tls_cfg(char *cert, char *key, size_t len)
{
	struct sw_server_cfg cfg = {0};
	tfx_path(&g, cert, len, "cert.pem");
	tfx_path(&g, key, len, "key.pem");
	cfg.cert_file = cert;
	cfg.key_file = key;
	return cfg;
}

static void test_h1_keepalive_curl(void **state)
{
	struct sw_server_cfg cfg = {0};
	char u1[128], u2[128], u3[128], out[128];
	assert_int_equal(tfx_start(&g, &cfg), 0);
	tfx_url(&g, u1, sizeof(u1), 0, "/echo?a=1");
	tfx_url(&g, u2, sizeof(u2), 0, "/");
	tfx_url(&g, u3, sizeof(u3), 0, "/delay?ms=20");
	tfx_path(&g, out, sizeof(out), "out.txt");
	char *argv[] = {"curl", "-sS", "--http1.1", "-d", "hello", u1, "--next", "--http1.1", u2,
	                "--next", "--http1.1", u3, NULL};
	assert_int_equal(tfx_run(&g, argv, out, 30000), 0);
	char *body = tfx_slurp(out, NULL);
	assert_non_null(body);
	assert_string_equal(body, "hellook\ndelayed");
	free(body);
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.conns_accepted, 1); /* keep-alive: one connection for three requests */
	assert_int_equal(st.conns_h1, 1);
	assert_int_equal(st.requests, 3);
	tfx_stop(&g);
}

static void test_h2c_curl(void **state)
{
	struct sw_server_cfg cfg = {0};
	char u1[128], u2[128], out[128];
	assert_int_equal(tfx_start(&g, &cfg), 0);
	tfx_url(&g, u1, sizeof(u1), 0, "/echo?x=y");
	tfx_url(&g, u2, sizeof(u2), 0, "/delay?ms=30");
	tfx_path(&g, out, sizeof(out), "out.txt");
	/* One request per curl: curl 7.88 fails to reuse h2c connections (curl/curl#10634). */
	char *argv[] = {"curl", "-sS", "--http2-prior-knowledge", "-D", "-", "-d", "abc", u1, NULL};
	assert_int_equal(tfx_run(&g, argv, out, 30000), 0);
	char *body = tfx_slurp(out, NULL);
	assert_non_null(body);
	assert_non_null(strstr(body, "HTTP/2 200"));
	assert_non_null(strstr(body, "x-method: POST"));
	assert_non_null(strstr(body, "x-query: x=y"));
	assert_non_null(strstr(body, "content-length: 3"));
	assert_non_null(strstr(body, "\r\n\r\nabc"));
	free(body);
	char um[128];
	tfx_url(&g, um, sizeof(um), 0, "/echo_mem");
	char *am[] = {"curl", "-sS", "--http2-prior-knowledge", "-d", "mirror", um, NULL};
	assert_int_equal(tfx_run(&g, am, out, 30000), 0);
	body = tfx_slurp(out, NULL);
	assert_string_equal(body, "mirror");
	free(body);
	/* HEAD: the length of the body it would get, no body. */
	char ub[128];
	tfx_url(&g, ub, sizeof(ub), 0, "/big?n=1000");
	char *ah[] = {"curl", "-sS", "--http2-prior-knowledge", "-I", ub, NULL};
	assert_int_equal(tfx_run(&g, ah, out, 30000), 0);
	body = tfx_slurp(out, NULL);
	assert_non_null(strstr(body, "content-length: 1000"));
	assert_null(strstr(body, "abcdef"));
	free(body);
	/* Several streams on one connection, one of them answered later. */
	char u3[128], u4[128];
	tfx_url(&g, u3, sizeof(u3), 0, "/");
	tfx_url(&g, u4, sizeof(u4), 0, "/?two");
	char *nv[] = {"nghttp", u2, u3, u4, NULL};
	assert_int_equal(tfx_run(&g, nv, out, 30000), 0);
	body = tfx_slurp(out, NULL);
	assert_non_null(body);
	assert_int_equal(tfx_count(body, "ok\n"), 2);
	assert_int_equal(tfx_count(body, "delayed"), 1);
	free(body);
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.conns_h2, 4);
	assert_int_equal(st.conns_accepted, 4);
	assert_int_equal(st.requests, 6);
	tfx_stop(&g);
}

static void test_tls_alpn_curl(void **state)
{
	char cert[128], key[128], u1[128], out[128];
	struct sw_server_cfg cfg = tls_cfg(cert, key, sizeof(cert));
	assert_int_equal(tfx_start(&g, &cfg), 0);
	tfx_url(&g, u1, sizeof(u1), 1, "/echo");
	tfx_path(&g, out, sizeof(out), "out.txt");
	char *a2[] = {"curl", "-sS", "--cacert", cert, "--http2", "-w", " %{http_version}", "-d", "tls2", u1, NULL};
	assert_int_equal(tfx_run(&g, a2, out, 30000), 0);
	char *body = tfx_slurp(out, NULL);
	assert_string_equal(body, "tls2 2");
	free(body);
	char *a1[] = {"curl", "-sS", "--cacert", cert, "--http1.1", "-w", " %{http_version}", "-d", "tls1", u1, NULL};
	assert_int_equal(tfx_run(&g, a1, out, 30000), 0);
	body = tfx_slurp(out, NULL);
	assert_string_equal(body, "tls1 1.1");
	free(body);
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.conns_tls, 2);
	assert_int_equal(st.conns_h2, 1);
	assert_int_equal(st.conns_h1, 1);
	tfx_stop(&g);
}

static void test_bad_config(void **state)
{
	struct event_base *base = event_base_new();
	char err[256];
	struct sw_server_cfg cfg = {.listen = "127.0.0.1:0", .cert_file = "/nonexistent/c.pem",
	                            .key_file = "/nonexistent/k.pem"};
	struct sw_server *s = sw_server_new(base, &cfg, tfx_handler, NULL, err, sizeof(err));
	assert_null(s);
	assert_non_null(strstr(err, "/nonexistent/c.pem"));
	char cert[128];
	tfx_path(&g, cert, sizeof(cert), "cert.pem");
	cfg.cert_file = cert; /* valid cert, missing key */
	s = sw_server_new(base, &cfg, tfx_handler, NULL, err, sizeof(err));
	assert_null(s);
	assert_non_null(strstr(err, "/nonexistent/k.pem"));
	cfg.key_file = cert; /* a certificate is not a key */
	s = sw_server_new(base, &cfg, tfx_handler, NULL, err, sizeof(err));
	assert_null(s);
	assert_non_null(strstr(err, cert));
	struct sw_server_cfg bad = {.listen = "nohost:80"};
	s = sw_server_new(base, &bad, tfx_handler, NULL, err, sizeof(err));
	assert_null(s);
	assert_non_null(strstr(err, "nohost:80"));
	bad.listen = "127.0.0.1:99999";
	assert_null(sw_server_new(base, &bad, tfx_handler, NULL, err, sizeof(err)));
	/* IPv6 loopback and the port it bound. */
	struct sw_server_cfg v6 = {.listen = "[::1]:0"};
	s = sw_server_new(base, &v6, tfx_handler, NULL, err, sizeof(err));
	if (s) { /* ::1 may be unavailable in some sandboxes */
		assert_true(sw_server_port(s) > 0);
		char u6[96];
		snprintf(u6, sizeof(u6), "http://[::1]:%d/", sw_server_port(s));
		char *a6[] = {"curl", "-sS", "-g", "--http2-prior-knowledge", u6, NULL};
		struct tfx f6 = {.base = base};
		struct timeval tv = {0, 2000};
		/* The tick wakes the loop so the child's exit is noticed. */
		f6.tick = event_new(base, -1, EV_PERSIST, tfx_tick_cb, &f6);
		event_add(f6.tick, &tv);
		assert_int_equal(tfx_run(&f6, a6, NULL, 30000), 0);
		event_free(f6.tick);
		sw_server_free(&s);
		sw_server_free(&s); /* NULL-safe */
	}
	sw_server_free(NULL);
	event_base_free(base);
}

static void test_reset_and_async(void **state)
{
	struct sw_server_cfg cfg = {0};
	char u1[128], u2[128];
	assert_int_equal(tfx_start(&g, &cfg), 0);
	tfx_url(&g, u1, sizeof(u1), 0, "/reset");
	tfx_url(&g, u2, sizeof(u2), 0, "/reset");
	char *h2[] = {"curl", "-sS", "--http2-prior-knowledge", u1, NULL};
	int rc = tfx_run(&g, h2, NULL, 30000);
	assert_int_not_equal(rc, 0); /* RST_STREAM: curl reports an HTTP/2 stream error */
	assert_int_not_equal(rc, -1);
	char *h1[] = {"curl", "-sS", "--http1.1", u2, NULL};
	rc = tfx_run(&g, h1, NULL, 30000);
	assert_int_not_equal(rc, 0); /* connection closed without a response */
	assert_int_not_equal(rc, -1);
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.resets, 2);
	tfx_stop(&g);
}

static void large_bodies(int h2, int tls)
{
	char cert[128], key[128], in[128], out[128], up[140], u1[128], u2[128];
	struct sw_server_cfg cfg = tls ? tls_cfg(cert, key, sizeof(cert)) : (struct sw_server_cfg){0};
	size_t big = 8u << 20, n = 0, m = 0;
	tfx_path(&g, cert, sizeof(cert), "cert.pem");
	assert_int_equal(tfx_start(&g, &cfg), 0);
	tfx_path(&g, in, sizeof(in), "upload.bin");
	tfx_path(&g, out, sizeof(out), "echoed.bin");
	assert_int_equal(tfx_write_random(in, big), 0);
	snprintf(up, sizeof(up), "@%s", in);
	tfx_url(&g, u1, sizeof(u1), tls, "/echo");
	tfx_url(&g, u2, sizeof(u2), tls, "/big?n=16777216");
	const char *mode = h2 ? (tls ? "--http2" : "--http2-prior-knowledge") : "--http1.1";
	char *argv[] = {"curl", "-sS", (char *)mode, "--cacert", cert, "--data-binary", up, "-o", out, u1, NULL};
	assert_int_equal(tfx_run(&g, argv, NULL, 60000), 0);
	char *a = tfx_slurp(in, &n), *b = tfx_slurp(out, &m);
	assert_int_equal(n, big);
	assert_int_equal(m, big);
	assert_memory_equal(a, b, big);
	free(a);
	free(b);
	char *dl[] = {"curl", "-sS", (char *)mode, "--cacert", cert, "-o", out, u2, NULL};
	assert_int_equal(tfx_run(&g, dl, NULL, 60000), 0);
	b = tfx_slurp(out, &m);
	assert_int_equal(m, 16u << 20);
	assert_int_equal(b[m - 1], 'a' + (int)((m - 1) % 4096 % 26));
	free(b);
	tfx_stop(&g);
}

static void test_large_h2c(void **state) { large_bodies(1, 0); }
static void test_large_h1(void **state) { large_bodies(0, 0); }
static void test_large_h2_tls(void **state) { large_bodies(1, 1); }

static void test_h2_limits(void **state)
{
	struct sw_server_cfg cfg = {.max_header_bytes = 4096, .max_body_bytes = 1 << 20};
	char u1[128], in[128], up[140], out[128], hdr[6000];
	assert_int_equal(tfx_start(&g, &cfg), 0);
	tfx_url(&g, u1, sizeof(u1), 0, "/echo");
	tfx_path(&g, out, sizeof(out), "out.txt");
	snprintf(hdr, sizeof(hdr), "x-big: ");
	memset(hdr + 7, 'h', 5000);
	hdr[5007] = '\0';
	char *a1[] = {"curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}",
	              "-H", hdr, u1, NULL};
	assert_int_equal(tfx_run(&g, a1, out, 30000), 0);
	char *body = tfx_slurp(out, NULL);
	assert_string_equal(body, "431");
	free(body);
	tfx_path(&g, in, sizeof(in), "two.bin");
	assert_int_equal(tfx_write_random(in, 2u << 20), 0);
	snprintf(up, sizeof(up), "@%s", in);
	char *a2[] = {"curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}",
	              "--data-binary", up, u1, NULL};
	tfx_run(&g, a2, out, 30000); /* curl may also report the early end of its upload */
	body = tfx_slurp(out, NULL);
	assert_string_equal(body, "413");
	free(body);
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.bad_requests, 2);
	tfx_stop(&g);
}

/* Parses h2load's summary; returns succeeded requests or -1. */
static long h2load_ok(const char *path, long *total)
{
	char *txt = tfx_slurp(path, NULL);
	long t = -1, started, done, ok = -1;
	const char *p = txt ? strstr(txt, "requests: ") : NULL;
	if (p && sscanf(p, "requests: %ld total, %ld started, %ld done, %ld succeeded", &t, &started,
	                &done, &ok) != 4)
		ok = -1;
	const char *f = txt ? strstr(txt, "finished in") : NULL;
	if (f) {
		const char *e = strchr(f, '\n');
		fprintf(stderr, "h2load: %.*s\n", e ? (int)(e - f) : 60, f);
	}
	free(txt);
	*total = t;
	return ok;
}

static void h2load_run(int tls, int h1)
{
	char cert[128], key[128], u[128], out[128];
	struct sw_server_cfg cfg = tls ? tls_cfg(cert, key, sizeof(cert)) : (struct sw_server_cfg){0};
	long total = 0;
	assert_int_equal(tfx_start(&g, &cfg), 0);
	tfx_url(&g, u, sizeof(u), tls, "/");
	tfx_path(&g, out, sizeof(out), "h2load.txt");
	char *argv[] = {"h2load", "-n", "20000", "-c", "10", "-m", "10", u, h1 ? "--h1" : NULL, NULL};
	assert_int_equal(tfx_run(&g, argv, out, 120000), 0);
	assert_int_equal(h2load_ok(out, &total), 20000);
	assert_int_equal(total, 20000);
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.requests, 20000);
	assert_int_equal(st.conns_accepted, 10);
	tfx_stop(&g);
}

static void test_h2load_h2c(void **state) { h2load_run(0, 0); }
static void test_h2load_tls(void **state) { h2load_run(1, 0); }
static void test_h2load_h1(void **state) { h2load_run(0, 1); }

static void test_goaway_after(void **state)
{
	struct sw_server_cfg cfg = {.goaway_after = 5};
	char u[128], out[128];
	long total = 0;
	assert_int_equal(tfx_start(&g, &cfg), 0);
	tfx_url(&g, u, sizeof(u), 0, "/");
	tfx_path(&g, out, sizeof(out), "h2load.txt");
	/* h2load does not reconnect: one connection can get at most 5 answers. */
	char *argv[] = {"h2load", "-n", "50", "-c", "1", "-m", "1", u, NULL};
	tfx_run(&g, argv, out, 60000);
	long ok = h2load_ok(out, &total);
	assert_int_equal(ok, 5);
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.goaways, 1);
	assert_int_equal(st.requests, 5);
	/* The connection closes once its streams are done; a new one is served. */
	assert_int_equal(tfx_wait_closed(&g, 10000), 0);
	char u2[128];
	tfx_url(&g, u2, sizeof(u2), 0, "/echo");
	char *c[] = {"curl", "-sS", "--http2-prior-knowledge", "-d", "again", u2, NULL};
	assert_int_equal(tfx_run(&g, c, out, 30000), 0);
	char *body = tfx_slurp(out, NULL);
	assert_string_equal(body, "again");
	free(body);
	/* GOAWAY while a stream waits for its (delayed) reply: the reply still goes
	 * out, then the connection closes. */
	sw_server_set_goaway_after(g.srv, 1);
	char ud[128];
	tfx_url(&g, ud, sizeof(ud), 0, "/delay?ms=100");
	char *nv[] = {"nghttp", ud, NULL};
	assert_int_equal(tfx_run(&g, nv, out, 30000), 0);
	body = tfx_slurp(out, NULL);
	assert_non_null(strstr(body, "delayed"));
	free(body);
	assert_int_equal(tfx_wait_closed(&g, 10000), 0);
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.goaways, 2);
	/* Changing the limit at run time: 0 turns it off. */
	sw_server_set_goaway_after(g.srv, 0);
	char *argv2[] = {"h2load", "-n", "50", "-c", "1", "-m", "4", u, NULL};
	assert_int_equal(tfx_run(&g, argv2, out, 60000), 0);
	assert_int_equal(h2load_ok(out, &total), 50);
	tfx_stop(&g);
}

static void test_drop_all(void **state)
{
	struct sw_server_cfg cfg = {0};
	char u1[128], u2[128], u3[128], out[128];
	assert_int_equal(tfx_start(&g, &cfg), 0);
	tfx_url(&g, u1, sizeof(u1), 0, "/hold");
	tfx_url(&g, u2, sizeof(u2), 0, "/hold");
	char *a1[] = {"curl", "-sS", "--http2-prior-knowledge", u1, NULL};
	char *a2[] = {"curl", "-sS", "--http1.1", u2, NULL};
	pid_t p1 = tfx_spawn(a1, NULL, NULL), p2 = tfx_spawn(a2, NULL, NULL);
	uint64_t end = tfx_now_ms() + 20000;
	while (g.nheld < 2 && tfx_now_ms() < end)
		event_base_loop(g.base, EVLOOP_ONCE);
	assert_int_equal(g.nheld, 2);
	assert_int_equal(sw_server_drop_all(g.srv), 2);
	assert_int_not_equal(tfx_wait(&g, p1, 20000), 0);
	assert_int_not_equal(tfx_wait(&g, p2, 20000), 0);
	struct sw_server_stats st;
	sw_server_get_stats(g.srv, &st);
	assert_int_equal(st.conns_open, 0);
	assert_int_equal(st.drops, 2);
	/* The exchanges outlived their connections; completing them is safe. */
	struct sw_sreq *rq = sw_exchange_request(g.held[0]);
	assert_string_equal(rq->path, "/hold");
	assert_int_equal(sw_exchange_reply_mem(g.held[0], 200, "text/plain", "x", 1), SW_ERR_CLOSED);
	sw_exchange_reset(g.held[1]);
	g.nheld = 0;
	/* The listener survived. */
	tfx_url(&g, u3, sizeof(u3), 0, "/");
	tfx_path(&g, out, sizeof(out), "out.txt");
	char *a3[] = {"curl", "-sS", "--http2-prior-knowledge", u3, NULL};
	assert_int_equal(tfx_run(&g, a3, out, 30000), 0);
	/* drop_all from inside a handler: its own reply is refused. */
	tfx_url(&g, u3, sizeof(u3), 0, "/drop");
	g.drop_rv = 0;
	char *a4[] = {"curl", "-sS", "--http2-prior-knowledge", u3, NULL};
	assert_int_not_equal(tfx_run(&g, a4, out, 30000), 0);
	assert_int_equal(g.drop_rv, SW_ERR_CLOSED);
	tfx_stop(&g);
}

static void test_client_gone_then_reply(void **state)
{
	struct sw_server_cfg cfg = {0};
	char u1[128];
	assert_int_equal(tfx_start(&g, &cfg), 0);
	tfx_url(&g, u1, sizeof(u1), 0, "/hold");
	char *a1[] = {"curl", "-sS", "--http2-prior-knowledge", "--max-time", "1", u1, NULL};
	assert_int_not_equal(tfx_run(&g, a1, NULL, 20000), 0);
	assert_int_equal(tfx_wait_closed(&g, 10000), 0);
	assert_int_equal(g.nheld, 1);
	assert_int_equal(sw_exchange_reply_mem(g.held[0], 200, NULL, NULL, 0), SW_ERR_CLOSED);
	/* Server freed with an exchange still held by the application. */
	char *a2[] = {"curl", "-sS", "--http1.1", "--max-time", "1", u1, NULL};
	g.nheld = 0;
	pid_t p = tfx_spawn(a2, NULL, NULL);
	uint64_t end = tfx_now_ms() + 20000;
	while (g.nheld < 1 && tfx_now_ms() < end)
		event_base_loop(g.base, EVLOOP_ONCE);
	assert_int_equal(g.nheld, 1);
	sw_server_free(&g.srv);
	assert_int_not_equal(tfx_wait(&g, p, 20000), 0);
	assert_int_equal(sw_exchange_reply_mem(g.held[0], 200, NULL, NULL, 0), SW_ERR_CLOSED);
	g.nheld = 0;
	tfx_stop(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_h1_keepalive_curl),
		cmocka_unit_test(test_h2c_curl),
		cmocka_unit_test(test_tls_alpn_curl),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_reset_and_async),
		cmocka_unit_test(test_large_h2c),
		cmocka_unit_test(test_large_h1),
		cmocka_unit_test(test_large_h2_tls),
		cmocka_unit_test(test_h2_limits),
		cmocka_unit_test(test_h2load_h2c),
		cmocka_unit_test(test_h2load_tls),
		cmocka_unit_test(test_h2load_h1),
		cmocka_unit_test(test_goaway_after),
		cmocka_unit_test(test_drop_all),
		cmocka_unit_test(test_client_gone_then_reply),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
