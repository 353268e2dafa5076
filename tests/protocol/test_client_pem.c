/*
 * sw_client TLS material from memory (cfg.ca_pem, cert_pem, key_pem: what
 * a kubeconfig's *-data fields carry) against an in-process TLS sw_server:
 * the right CA verifies the server, another CA fails the handshake, text
 * that holds no certificate or key is refused at sw_client_new() with a
 * message naming which datum, and a key that does not match its
 * certificate is refused too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "sw_client.h"
#include "test_server_util.h"

static struct tfx g, other; /* other: a second self-signed CA */

static int group_setup(void **state)
{
	(void)state;
	if (tfx_mkdir(&g) || tfx_make_cert(&g) || tfx_mkdir(&other) || tfx_make_cert(&other))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tfx_rmdir(&g);
	tfx_rmdir(&other);
	return 0;
}

static char *slurp(const struct tfx *fx, const char *name)
{
	char p[128];
	tfx_path(fx, p, sizeof(p), name);
	char *s = tfx_slurp(p, NULL);
	assert_non_null(s);
	return s;
}

struct result {
	int done, err, status;
	char msg[256];
};

static void on_done(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct result *r = arg;
	r->done = 1;
	r->err = err;
	if (msg)
		snprintf(r->msg, sizeof(r->msg), "%s", msg);
	if (!err)
		r->status = resp->status;
}

/* One GET /echo with |cfg| against the TLS server; returns the result. */
static struct result get_echo(struct sw_client_cfg *cfg)
{
	struct result r = {0};
	char url[64], err[256];
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", g.port);
	cfg->url = url;
	struct sw_client *c = sw_client_new(g.base, cfg, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(sw_client_request(c, NULL, sw_req_new("GET", "/echo"), on_done, &r), 0);
	for (int i = 0; i < 5000 && !r.done; i++)
		event_base_loop(g.base, EVLOOP_ONCE);
	sw_client_free(&c);
	assert_true(r.done);
	return r;
}

static void start_tls(void)
{
	char cert[128], key[128];
	struct sw_server_cfg cfg = {0};
	tfx_path(&g, cert, sizeof(cert), "cert.pem");
	tfx_path(&g, key, sizeof(key), "key.pem");
	cfg.cert_file = cert;
	cfg.key_file = key;
	assert_int_equal(tfx_start(&g, &cfg), 0);
}

static void test_ca_from_memory(void **state)
{
	(void)state;
	start_tls();
	char *ca = slurp(&g, "cert.pem"), *wrong = slurp(&other, "cert.pem");
	struct sw_client_cfg cfg;
	sw_client_cfg_init(&cfg);
	cfg.ca_pem = ca;
	cfg.max_retries = 0;
	struct result r = get_echo(&cfg);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.status, 200);
	/* a CA bundle of two: the other one first */
	size_t n = strlen(ca) + strlen(wrong) + 1;
	char *both = malloc(n);
	snprintf(both, n, "%s%s", wrong, ca);
	sw_client_cfg_init(&cfg);
	cfg.ca_pem = both;
	r = get_echo(&cfg);
	assert_int_equal(r.err, 0);
	/* another CA: the handshake fails */
	sw_client_cfg_init(&cfg);
	cfg.ca_pem = wrong;
	cfg.max_retries = 0;
	r = get_echo(&cfg);
	assert_int_equal(r.err, SW_ERR_TLS_VERIFY);
	free(both);
	free(ca);
	free(wrong);
	tfx_stop(&g);
}

static void test_client_cert_from_memory(void **state)
{
	(void)state;
	start_tls();
	char *ca = slurp(&g, "cert.pem"), *key = slurp(&g, "key.pem"), *okey = slurp(&other, "key.pem");
	struct sw_client_cfg cfg;
	sw_client_cfg_init(&cfg);
	cfg.ca_pem = ca;
	cfg.cert_pem = ca; /* the server does not ask; the pair must load and match */
	cfg.key_pem = key;
	struct result r = get_echo(&cfg);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.status, 200);
	/* a key of another certificate is refused at set-up */
	char url[64], err[256];
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", g.port);
	cfg.url = url;
	cfg.key_pem = okey;
	assert_null(sw_client_new(g.base, &cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "client key data"));
	/* one half alone */
	cfg.key_pem = NULL;
	assert_null(sw_client_new(g.base, &cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "given together"));
	free(ca);
	free(key);
	free(okey);
	tfx_stop(&g);
}

static void test_garbage_refused(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct sw_client_cfg cfg;
	char err[256];
	sw_client_cfg_init(&cfg);
	cfg.url = "https://127.0.0.1:1";
	cfg.ca_pem = "not a certificate";
	assert_null(sw_client_new(base, &cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "CA data"));
	sw_client_cfg_init(&cfg);
	cfg.url = "https://127.0.0.1:1";
	cfg.cert_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	cfg.key_pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
	assert_null(sw_client_new(base, &cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "client certificate data"));
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ca_from_memory),
		cmocka_unit_test(test_client_cert_from_memory),
		cmocka_unit_test(test_garbage_refused),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
