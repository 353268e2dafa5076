/* sw_client against a private nginx (tests/fixtures/nginx.sh): h2 over TLS,
 * h2c, HTTP/1.1, shared and dedicated pools, GOAWAY mid-load, large bodies
 * both ways, certificate and ALPN failures, refused port, bad files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_client_util.h"

static char g_dir[512], g_ca[600];
static int g_tls, g_h2c, g_h1, g_wrong, g_goaway, g_h1ka, g_tls1;

static void load_env(void)
{
	const char *f = getenv("SW_NGINX_ENV");
	if (!f) {
		fprintf(stderr, "SW_NGINX_ENV not set: run under tests/fixtures/nginx.sh\n");
		exit(77);
	}
	FILE *fp = fopen(f, "r");
	if (!fp) {
		perror(f);
		exit(1);
	}
	char line[700];
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = '\0';
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		const char *v = eq + 1;
		if (!strcmp(line, "SW_NGINX_DIR"))
			snprintf(g_dir, sizeof(g_dir), "%s", v);
		else if (!strcmp(line, "SW_NGINX_CA"))
			snprintf(g_ca, sizeof(g_ca), "%s", v);
		else if (!strcmp(line, "SW_NGINX_TLS_PORT"))
			g_tls = atoi(v);
		else if (!strcmp(line, "SW_NGINX_H2C_PORT"))
			g_h2c = atoi(v);
		else if (!strcmp(line, "SW_NGINX_H1_PORT"))
			g_h1 = atoi(v);
		else if (!strcmp(line, "SW_NGINX_WRONG_PORT"))
			g_wrong = atoi(v);
		else if (!strcmp(line, "SW_NGINX_GOAWAY_PORT"))
			g_goaway = atoi(v);
		else if (!strcmp(line, "SW_NGINX_H1KA_PORT"))
			g_h1ka = atoi(v);
		else if (!strcmp(line, "SW_NGINX_TLS1_PORT"))
			g_tls1 = atoi(v);
	}
	fclose(fp);
}

struct fx {
	struct event_base *base;
	struct sw_client_cfg cfg;
	char url[128];
	struct tc_run r;
};

static void fx_setup(struct fx *f, const char *scheme, int port, enum sw_proto proto)
{
	memset(f, 0, sizeof(*f));
	f->base = event_base_new();
	assert_non_null(f->base);
	sw_client_cfg_init(&f->cfg);
	snprintf(f->url, sizeof(f->url), "%s://127.0.0.1:%d", scheme, port);
	f->cfg.url = f->url;
	f->cfg.proto = proto;
	f->cfg.ca_file = g_ca;
	f->cfg.request_timeout_ms = 20000;
	f->r.base = f->base;
	f->r.path = "/small.txt";
}

static void fx_client(struct fx *f)
{
	tc_client(&f->r, &f->cfg);
}

static void fx_teardown(struct fx *f, struct sw_client_stats *st)
{
	tc_close(&f->r, st);
	event_base_free(f->base);
}

static void expect_all_ok(struct fx *f, int total, int window, int secs)
{
	int missing = tc_run_batch(&f->r, total, window, secs);
	if (missing || f->r.ok != total)
		fail_msg("%s: ok %d of %d (errors %d, other status %d, missing %d, last: %s %s)", f->url,
		         f->r.ok, total, f->r.errors, f->r.status_other, missing,
		         sw_err_name(f->r.last_err), f->r.last_msg);
}

static void test_h2_tls_small(void **state)
{
	struct fx f;
	struct sw_client_stats st;
	fx_setup(&f, "https", g_tls, SW_PROTO_AUTO);
	fx_client(&f);
	expect_all_ok(&f, 3, 1, 20);
	assert_int_equal(f.r.last_proto, SW_PROTO_H2);
	assert_int_equal(evbuffer_get_length(f.r.body), 1024);
	fx_teardown(&f, &st);
	assert_int_equal(st.tls_handshakes, 1);
	assert_int_equal(st.conns_opened, 1);
	assert_int_equal(st.responses, 3);
	assert_int_equal(st.errors, 0);
	assert_true(st.bytes_in > 3 * 1024);
}

static void test_h2c_small(void **state)
{
	struct fx f;
	fx_setup(&f, "http", g_h2c, SW_PROTO_H2);
	fx_client(&f);
	expect_all_ok(&f, 10, 5, 20);
	assert_int_equal(f.r.last_proto, SW_PROTO_H2);
	assert_int_equal(evbuffer_get_length(f.r.body), 1024);
	fx_teardown(&f, NULL);
}

static void test_h1_small(void **state)
{
	struct fx f;
	struct sw_client_stats st;
	/* cleartext AUTO means HTTP/1.1 */
	fx_setup(&f, "http", g_h1, SW_PROTO_AUTO);
	fx_client(&f);
	expect_all_ok(&f, 20, 4, 20);
	assert_int_equal(f.r.last_proto, SW_PROTO_H1);
	assert_int_equal(evbuffer_get_length(f.r.body), 1024);
	fx_teardown(&f, &st);
	assert_true(st.conns_opened <= 4);
	/* HTTP/1.1 over TLS when asked for, and when ALPN offers nothing else */
	fx_setup(&f, "https", g_tls, SW_PROTO_H1);
	fx_client(&f);
	expect_all_ok(&f, 5, 2, 20);
	assert_int_equal(f.r.last_proto, SW_PROTO_H1);
	fx_teardown(&f, NULL);
	fx_setup(&f, "https", g_tls1, SW_PROTO_AUTO);
	fx_client(&f);
	expect_all_ok(&f, 5, 2, 20);
	assert_int_equal(f.r.last_proto, SW_PROTO_H1);
	fx_teardown(&f, NULL);
}

static void test_h1_keepalive_limit(void **state)
{
	struct fx f;
	struct sw_client_stats st;
	fx_setup(&f, "http", g_h1ka, SW_PROTO_H1);
	f.cfg.max_conns = 2;
	fx_client(&f);
	expect_all_ok(&f, 60, 2, 30);
	fx_teardown(&f, &st);
	/* nginx closes after 5 requests per connection */
	assert_true(st.conns_opened >= 12);
}

static void test_shared_many(void **state)
{
	static const struct {
		const char *scheme;
		int *port;
		enum sw_proto proto;
	} v[] = {{"https", &g_tls, SW_PROTO_AUTO}, {"http", &g_h2c, SW_PROTO_H2}, {"http", &g_h1, SW_PROTO_H1}};
	for (size_t i = 0; i < 3; i++) {
		struct fx f;
		struct sw_client_stats st;
		fx_setup(&f, v[i].scheme, *v[i].port, v[i].proto);
		f.cfg.max_conns = 4;
		f.cfg.max_streams = 32;
		fx_client(&f);
		expect_all_ok(&f, 2000, 128, 60);
		fx_teardown(&f, &st);
		assert_true(st.conns_opened >= 1);
		assert_true(st.conns_opened <= 4);
		assert_int_equal(st.responses, 2000);
	}
}

static void test_dedicated_links(void **state)
{
	struct fx f;
	struct sw_client_stats st;
	enum { NL = 20, PER = 10 };
	struct tc_run runs[NL];
	fx_setup(&f, "https", g_tls, SW_PROTO_H2);
	fx_client(&f);
	for (int i = 0; i < NL; i++) {
		memset(&runs[i], 0, sizeof(runs[i]));
		runs[i].base = f.base;
		runs[i].c = f.r.c;
		runs[i].path = "/small.txt";
		runs[i].link = sw_link_new(f.r.c);
		assert_non_null(runs[i].link);
		runs[i].total = PER;
		runs[i].window = 2;
	}
	/* the first link alone, so the others can resume its TLS session */
	tc_submit(&runs[0]);
	event_base_loopexit(f.base, &(struct timeval){20, 0});
	event_base_dispatch(f.base);
	for (int i = 1; i < NL; i++)
		tc_submit(&runs[i]);
	/* each run breaks the loop when it finishes: spin until all are done */
	uint64_t t0 = sw_now_ns();
	for (;;) {
		int busy = 0;
		for (int i = 0; i < NL; i++)
			busy += runs[i].pending;
		if (!busy || sw_now_ns() - t0 > 30ull * 1000000000ull)
			break;
		event_base_loop(f.base, EVLOOP_ONCE);
	}
	for (int i = 0; i < NL; i++) {
		if (runs[i].ok != PER)
			fail_msg("link %d: ok %d errors %d (%s)", i, runs[i].ok, runs[i].errors, runs[i].last_msg);
		sw_link_free(&runs[i].link);
		assert_null(runs[i].link);
		tc_done(&runs[i]);
	}
	fx_teardown(&f, &st);
	assert_int_equal(st.conns_opened, NL);
	/* sessions are resumed after the first handshake */
	assert_true(st.tls_resumed >= 1);
}

static void test_goaway_midload(void **state)
{
	struct fx f;
	struct sw_client_stats st;
	fx_setup(&f, "https", g_goaway, SW_PROTO_H2);
	f.cfg.max_conns = 4;
	f.cfg.max_streams = 16; /* below nginx's 20 requests per connection */
	f.cfg.max_retries = 10;
	fx_client(&f);
	expect_all_ok(&f, 1000, 200, 60);
	fx_teardown(&f, &st);
	assert_true(st.goaways > 0);
	assert_true(st.retries > 0);
	assert_true(st.conns_opened >= 1000 / 20);
	assert_int_equal(st.responses, 1000);

	/* Default retries and the peer's 128 streams: the first connections
	 * see ~100 refused streams each; the learned per-connection budget
	 * keeps the retried requests from being refused again. */
	fx_setup(&f, "https", g_goaway, SW_PROTO_H2);
	f.cfg.max_conns = 4;
	fx_client(&f);
	expect_all_ok(&f, 1000, 400, 60);
	fx_teardown(&f, &st);
	assert_true(st.goaways > 0);
	assert_true(st.retries > 0);
}

static void compare_file(struct evbuffer *b, const char *name, size_t len)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/www/%s", g_dir, name);
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	char *want = malloc(len);
	assert_non_null(want);
	assert_int_equal(fread(want, 1, len, fp), len);
	fclose(fp);
	assert_int_equal(evbuffer_get_length(b), len);
	assert_memory_equal(evbuffer_pullup(b, -1), want, len);
	free(want);
}

static void test_large_bodies(void **state)
{
	static const struct {
		const char *scheme;
		int *port;
		enum sw_proto proto;
		const char *put;
	} v[] = {{"https", &g_tls, SW_PROTO_H2, "/put/up-h2"},
	         {"http", &g_h2c, SW_PROTO_H2, "/put/up-h2c"},
	         {"http", &g_h1, SW_PROTO_H1, "/put/up-h1"}};
	const size_t up = 6 * 1024 * 1024 + 123;
	for (size_t i = 0; i < 3; i++) {
		struct fx f;
		fx_setup(&f, v[i].scheme, *v[i].port, v[i].proto);
		f.cfg.h2_window_bytes = i == 1 ? 65535 : 0; /* small window: many WINDOW_UPDATEs */
		fx_client(&f);
		f.r.path = "/big.bin";
		expect_all_ok(&f, 4, 4, 60);
		compare_file(f.r.body, "big.bin", 8 * 1024 * 1024);

		/* upload, then fetch it back */
		f.r.upload = evbuffer_new();
		char *data = malloc(up);
		assert_non_null(data);
		for (size_t k = 0; k < up; k++)
			data[k] = (char)(k * 7 + i);
		evbuffer_add(f.r.upload, data, up);
		f.r.method = "PUT";
		f.r.path = v[i].put;
		f.r.ok = 0;
		expect_all_ok(&f, 1, 1, 60);
		assert_true(f.r.last_status == 201 || f.r.last_status == 204);
		evbuffer_free(f.r.upload);
		f.r.upload = NULL;
		f.r.method = "GET";
		f.r.ok = 0;
		expect_all_ok(&f, 1, 1, 60);
		assert_int_equal(evbuffer_get_length(f.r.body), up);
		assert_memory_equal(evbuffer_pullup(f.r.body, -1), data, up);
		free(data);
		fx_teardown(&f, NULL);
	}
}

static void test_wrong_cert(void **state)
{
	struct fx f;
	fx_setup(&f, "https", g_wrong, SW_PROTO_AUTO);
	fx_client(&f);
	assert_int_equal(tc_run_batch(&f.r, 2, 2, 20), 0);
	assert_int_equal(f.r.errors, 2);
	assert_int_equal(f.r.last_err, SW_ERR_TLS_VERIFY);
	assert_non_null(strstr(f.r.last_msg, "certificate"));
	fx_teardown(&f, NULL);
	/* no CA given at all: the system store does not know our CA either */
	fx_setup(&f, "https", g_tls, SW_PROTO_AUTO);
	f.cfg.ca_file = NULL;
	fx_client(&f);
	assert_int_equal(tc_run_batch(&f.r, 1, 1, 20), 0);
	assert_int_equal(f.r.last_err, SW_ERR_TLS_VERIFY);
	fx_teardown(&f, NULL);
	/* insecure skips verification */
	fx_setup(&f, "https", g_wrong, SW_PROTO_AUTO);
	f.cfg.insecure = 1;
	fx_client(&f);
	expect_all_ok(&f, 2, 2, 20);
	fx_teardown(&f, NULL);
	/* host name check: the cert is for 127.0.0.1/localhost, not this SNI/host */
	fx_setup(&f, "https", g_tls, SW_PROTO_AUTO);
	snprintf(f.url, sizeof(f.url), "https://localhost:%d", g_tls);
	fx_client(&f);
	expect_all_ok(&f, 1, 1, 20);
	fx_teardown(&f, NULL);
}

static void test_alpn_required(void **state)
{
	struct fx f;
	fx_setup(&f, "https", g_tls1, SW_PROTO_H2);
	fx_client(&f);
	assert_int_equal(tc_run_batch(&f.r, 1, 1, 20), 0);
	assert_int_equal(f.r.last_err, SW_ERR_ALPN);
	fx_teardown(&f, NULL);
}

static void test_wrong_protocol_ports(void **state)
{
	struct fx f;
	/* TLS to a plain HTTP/1.1 port */
	fx_setup(&f, "https", g_h1, SW_PROTO_AUTO);
	f.cfg.max_retries = 1;
	f.cfg.backoff_initial_ms = 10;
	fx_client(&f);
	assert_int_equal(tc_run_batch(&f.r, 1, 1, 20), 0);
	assert_int_equal(f.r.last_err, SW_ERR_TLS);
	fx_teardown(&f, NULL);
	/* h2c prior knowledge to a TLS port: nginx answers with a TLS alert or HTTP/1 text */
	fx_setup(&f, "http", g_tls, SW_PROTO_H2);
	fx_client(&f);
	assert_int_equal(tc_run_batch(&f.r, 1, 1, 20), 0);
	assert_int_equal(f.r.errors, 1);
	assert_true(f.r.last_err == SW_ERR_PROTO || f.r.last_err == SW_ERR_CLOSED);
	fx_teardown(&f, NULL);
	/* plain HTTP/1.1 to a TLS port: nginx answers 400 in plain text */
	fx_setup(&f, "http", g_tls, SW_PROTO_H1);
	fx_client(&f);
	assert_int_equal(tc_run_batch(&f.r, 1, 1, 20), 0);
	assert_int_equal(f.r.errors, 0);
	assert_int_equal(f.r.last_status, 400);
	fx_teardown(&f, NULL);
}

static void test_refused_and_bad_config(void **state)
{
	struct fx f;
	struct sw_client_stats st;
	/* a port nobody listens on: bind, read it back, close */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
	close(s);
	fx_setup(&f, "http", ntohs(a.sin_port), SW_PROTO_AUTO);
	f.cfg.max_retries = 2;
	f.cfg.backoff_initial_ms = 10;
	fx_client(&f);
	assert_int_equal(tc_run_batch(&f.r, 3, 3, 20), 0);
	assert_int_equal(f.r.errors, 3);
	assert_int_equal(f.r.last_err, SW_ERR_CONNECT);
	assert_non_null(strstr(f.r.last_msg, "refused"));
	fx_teardown(&f, &st);
	assert_int_equal(st.conns_failed, 3);

	char err[256];
	struct sw_client_cfg cfg;
	struct event_base *base = event_base_new();
	sw_client_cfg_init(&cfg);
	cfg.url = "http://no_such host:80";
	assert_null(sw_client_new(base, &cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "bad character in host"));
	cfg.url = "http://no_such_host:80";
	assert_null(sw_client_new(base, &cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "resolve"));
	cfg.url = "ftp://127.0.0.1";
	assert_null(sw_client_new(base, &cfg, err, sizeof(err)));
	cfg.url = "https://127.0.0.1:1";
	cfg.ca_file = "/nonexistent/ca.pem";
	assert_null(sw_client_new(base, &cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/ca.pem"));
	cfg.ca_file = g_ca;
	cfg.cert_file = g_ca;
	cfg.key_file = "/nonexistent/key.pem";
	assert_null(sw_client_new(base, &cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/key.pem"));
	/* a client certificate whose key belongs to another certificate */
	char crt[700], key[700], wkey[700];
	snprintf(crt, sizeof(crt), "%s/server.crt", g_dir);
	snprintf(key, sizeof(key), "%s/server.key", g_dir);
	snprintf(wkey, sizeof(wkey), "%s/wrong.key", g_dir);
	cfg.cert_file = crt;
	cfg.key_file = wkey;
	assert_null(sw_client_new(base, &cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "wrong.key"));
	cfg.cert_file = crt;
	cfg.key_file = NULL;
	assert_null(sw_client_new(base, &cfg, err, sizeof(err)));
	event_base_free(base);

	/* a valid client certificate loads, and requests work with it (nginx
	 * does not ask for it); SNI override with an IP URL keeps IP checks */
	fx_setup(&f, "https", g_tls, SW_PROTO_AUTO);
	f.cfg.cert_file = crt;
	f.cfg.key_file = key;
	f.cfg.sni = "localhost";
	fx_client(&f);
	expect_all_ok(&f, 2, 2, 20);
	fx_teardown(&f, NULL);
}

static void test_free_with_pending(void **state)
{
	struct fx f;
	fx_setup(&f, "https", g_tls, SW_PROTO_AUTO);
	fx_client(&f);
	f.r.path = "/big.bin";
	f.r.total = 50;
	f.r.window = 50;
	tc_submit(&f.r);
	/* run a little so some are on the wire, then free everything */
	event_base_loop(f.base, EVLOOP_ONCE);
	sw_client_free(&f.r.c);
	assert_int_equal(f.r.pending, 0);
	assert_int_equal(f.r.ok + f.r.errors, 50);
	assert_int_equal(f.r.last_err, SW_ERR_CANCELLED);
	tc_done(&f.r);
	event_base_free(f.base);
}

static void test_link_free_in_callback(void **state)
{
	struct fx f;
	fx_setup(&f, "https", g_tls, SW_PROTO_AUTO);
	fx_client(&f);
	f.r.link = sw_link_new(f.r.c);
	f.r.free_link_in_cb = 1;
	f.r.path = "/small.txt";
	assert_int_equal(tc_run_batch(&f.r, 10, 10, 20), 0);
	assert_null(f.r.link);
	assert_int_equal(f.r.ok + f.r.errors, 10);
	assert_true(f.r.ok >= 1);
	fx_teardown(&f, NULL);
}

static void test_h2_limits(void **state)
{
	struct fx f;
	struct sw_client_stats st;
	fx_setup(&f, "https", g_tls, SW_PROTO_H2);
	f.cfg.max_header_bytes = 40; /* nginx sends more than that */
	fx_client(&f);
	assert_int_equal(tc_run_batch(&f.r, 2, 2, 20), 0);
	assert_int_equal(f.r.errors, 2);
	assert_int_equal(f.r.last_err, SW_ERR_TOO_BIG);
	assert_non_null(strstr(f.r.last_msg, "header"));
	fx_teardown(&f, NULL);

	fx_setup(&f, "https", g_tls, SW_PROTO_H2);
	f.cfg.max_body_bytes = 2000;
	fx_client(&f);
	f.r.path = "/big.bin";
	assert_int_equal(tc_run_batch(&f.r, 3, 3, 20), 0);
	assert_int_equal(f.r.errors, 3);
	assert_int_equal(f.r.last_err, SW_ERR_TOO_BIG);
	/* the streams were reset; the connection carries on */
	f.r.path = "/small.txt";
	f.r.errors = 0;
	expect_all_ok(&f, 5, 5, 20);
	fx_teardown(&f, &st);
	assert_int_equal(st.conns_opened, 1);
}

static void test_h1_limits(void **state)
{
	struct fx f;
	fx_setup(&f, "http", g_h1, SW_PROTO_H1);
	f.cfg.max_body_bytes = 2000;
	fx_client(&f);
	f.r.path = "/big.bin";
	assert_int_equal(tc_run_batch(&f.r, 2, 2, 20), 0);
	assert_int_equal(f.r.errors, 2);
	assert_int_equal(f.r.last_err, SW_ERR_TOO_BIG);
	f.r.path = "/small.txt";
	f.r.errors = 0;
	expect_all_ok(&f, 3, 3, 20);
	fx_teardown(&f, NULL);
}

int main(void)
{
	load_env();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_h2_tls_small),
		cmocka_unit_test(test_h2c_small),
		cmocka_unit_test(test_h1_small),
		cmocka_unit_test(test_h1_keepalive_limit),
		cmocka_unit_test(test_shared_many),
		cmocka_unit_test(test_dedicated_links),
		cmocka_unit_test(test_goaway_midload),
		cmocka_unit_test(test_large_bodies),
		cmocka_unit_test(test_wrong_cert),
		cmocka_unit_test(test_alpn_required),
		cmocka_unit_test(test_wrong_protocol_ports),
		cmocka_unit_test(test_refused_and_bad_config),
		cmocka_unit_test(test_h2_limits),
		cmocka_unit_test(test_h1_limits),
		cmocka_unit_test(test_free_with_pending),
		cmocka_unit_test(test_link_free_in_callback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
