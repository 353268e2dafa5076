/*
 * failmalloc: every allocation of the protocol/ codecs fails in turn, and
 * each time the codec reports SW_ERR_NOMEM, crashes nowhere and leaks
 * nothing (the ASan build checks the leaks at exit).
 *
 * The test is linked with -Wl,--wrap=malloc,calloc,realloc,strdup, so every
 * allocation of protocol/ goes through the counters below; libevent's
 * allocations (evbuffers) are routed to them with event_set_mem_functions().
 * OpenSSL's and nghttp2's own default allocators are not counted.
 *
 * Covered: the HTTP/1.1 response parser (sw_h1p), the request head parser
 * with a chunked body (sw_h1_parse_head + sw_chunked into an evbuffer),
 * request and header building (sw_req_*, sw_hdrs_add), multipart bodies,
 * the Prometheus writer, and the client's set-up (sw_client_new: its
 * nghttp2 callbacks, events, pools). An HTTP/2 session needs a connection,
 * so its set-up is not reached without sockets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "prom.h"
#include "sw_chunked.h"
#include "sw_client.h"
#include "sw_err.h"
#include "sw_h1c.h"
#include "sw_http.h"
#include "sw_srv_h1.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t nmemb, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t nmemb, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

/* Allocations counted since fm_start(); the one numbered |fm_fail_at|
 * (0-based) fails; -1 fails none. Only counted while |fm_on|. */
static long fm_count, fm_fail_at = -1;
static int fm_on;

static int fm_fail_now(void)
{
	if (!fm_on)
		return 0;
	return fm_count++ == fm_fail_at;
}

void *__wrap_malloc(size_t n)
{
	return fm_fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t nmemb, size_t size)
{
	return fm_fail_now() ? NULL : __real_calloc(nmemb, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fm_fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = __wrap_malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

static void *ev_malloc(size_t n)
{
	return __wrap_malloc(n);
}

static void *ev_realloc(void *p, size_t n)
{
	return __wrap_realloc(p, n);
}

static void ev_free(void *p)
{
	free(p);
}

/* ---- the codecs, each run from scratch: 0 or the first error ---- */

static int nop_header(void *arg, const char *n, size_t nl, const char *v, size_t vl)
{
	(void)arg; (void)n; (void)nl; (void)v; (void)vl;
	return 0;
}

static int to_evbuffer(void *arg, const char *d, size_t n)
{
	return evbuffer_add(arg, d, n) ? SW_ERR_NOMEM : 0;
}

/* A response whose header block arrives in small pieces: the parser buffers
 * and grows it; the chunked body goes into an evbuffer. */
static int run_h1_response(void)
{
	static const char msg[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		"X-Long: 0123456789012345678901234567890123456789012345678901234567890123456789\r\n"
		"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
	struct sw_h1p_cbs cbs = {NULL, nop_header, NULL, NULL};
	struct evbuffer *body = evbuffer_new();
	struct sw_h1p p;
	size_t off = 0, used;
	int rv = 0;

	if (!body)
		return SW_ERR_NOMEM;
	cbs.on_body = to_evbuffer;
	sw_h1p_init(&p, &cbs, body, 64, 1 << 20); /* a small header limit: buffered over reads */
	p.max_header_bytes = 1 << 10;
	sw_h1p_reset(&p, 0);
	while (!rv && off < sizeof(msg) - 1 && p.state != SW_H1P_DONE) {
		size_t n = sizeof(msg) - 1 - off < 9 ? sizeof(msg) - 1 - off : 9;
		rv = sw_h1p_feed(&p, msg + off, n, &used);
		off += used;
	}
	if (!rv && p.state != SW_H1P_DONE)
		rv = SW_ERR_PROTO;
	sw_h1p_release(&p);
	evbuffer_free(body);
	return rv;
}

/* A request head and its chunked body, decoded into an evbuffer. */
static int run_h1_request(void)
{
	static const char msg[] = "POST /v2/clusters HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		"1a\r\n{\"name\":\"swarm-000000001\"}\r\n0\r\n\r\n";
	struct sw_h1_head *h = malloc(sizeof(*h));
	struct evbuffer *body;
	struct sw_chunked st;
	size_t used = 0, used2 = 0;
	int done = 0, rv;

	if (!h)
		return SW_ERR_NOMEM;
	body = evbuffer_new();
	if (!body) {
		free(h);
		return SW_ERR_NOMEM;
	}
	rv = sw_h1_parse_head(msg, sizeof(msg) - 1, h, &used);
	if (!rv && (!used || !h->chunked))
		rv = SW_ERR_PROTO;
	if (!rv) {
		sw_chunked_init(&st, 0, 0);
		rv = sw_chunked_feed(&st, msg + used, sizeof(msg) - 1 - used, &used2, &done, to_evbuffer,
		                     body);
	}
	if (!rv && (!done || evbuffer_get_length(body) != 26))
		rv = SW_ERR_PROTO;
	evbuffer_free(body);
	free(h);
	return rv;
}

/* A request with more headers than the first header array holds, and a body. */
static int run_request_build(void)
{
	struct sw_req *r = sw_req_new("POST", "/api/assisted-install/v2/infra-envs");
	char name[16];
	int rv = 0;

	if (!r)
		return SW_ERR_NOMEM;
	for (int i = 0; i < 12 && !rv; i++) {
		snprintf(name, sizeof(name), "x-h%d", i);
		rv = sw_req_header(r, name, "value");
	}
	if (!rv)
		rv = sw_req_json(r, "{\"a\":1}", 7);
	if (!rv && strcmp(sw_hdrs_get(&r->hdrs, "x-h11"), "value") != 0)
		rv = SW_ERR_PROTO;
	sw_req_free(&r);
	return rv;
}

static int run_multipart(void)
{
	static const unsigned char data[300] = {1, 2, 3};
	struct evbuffer *b = evbuffer_new();
	char ctype[128];
	int rv;

	if (!b)
		return SW_ERR_NOMEM;
	rv = sw_multipart_file(b, ctype, sizeof(ctype), "upfile", "logs.tar.gz",
	                       "application/octet-stream", data, sizeof(data));
	evbuffer_free(b);
	return rv;
}

static int run_prom(void)
{
	static const double le[] = {0.001, 0.01, 0.1, 1};
	static const uint64_t counts[] = {1, 2, 3, 4, 5};
	const char *labels[] = {"operation", "register_host", "code", "\"quoted\"\n", NULL};
	struct evbuffer *b = evbuffer_new();
	int rv = 0;

	if (!b)
		return SW_ERR_NOMEM;
	/* Each writer on its own buffer size: the failing one is reported. */
	for (int i = 0; i < 40 && !rv; i++) {
		rv = prom_family(b, "swarm_http_requests_total", "counter", "Requests\nby \\path");
		if (!rv)
			rv = prom_sample_u64(b, "swarm_http_requests_total", labels, 42);
		if (!rv)
			rv = prom_sample(b, "swarm_run_elapsed_seconds", NULL, 1.5);
		if (!rv)
			rv = prom_histogram(b, "swarm_http_request_duration_seconds", labels, le, counts, 4, 2.5,
			                    15);
	}
	evbuffer_free(b);
	return rv;
}

/* A client on a fresh base (its common timeouts are allocated per base);
 * the base itself is made and freed uncounted. */
static int run_client_setup(void)
{
	struct sw_client_cfg cfg;
	struct sw_client *c;
	struct event_base *base;
	char err[256] = "";
	int on = fm_on, rv = 0;

	fm_on = 0;
	base = event_base_new();
	fm_on = on;
	if (!base)
		return SW_ERR_INVALID;
	sw_client_cfg_init(&cfg);
	cfg.url = "http://127.0.0.1:9";
	cfg.proto = SW_PROTO_H2;
	cfg.sni = "service.example";
	c = sw_client_new(base, &cfg, err, sizeof(err));
	if (!c)
		rv = strstr(err, "out of memory") ? SW_ERR_NOMEM : SW_ERR_INVALID;
	sw_client_free(&c);
	fm_on = 0;
	event_base_free(base);
	fm_on = on;
	return rv;
}

/* Runs |fn| once to warm up (lazy library state), once counting its
 * allocations, then once per allocation with that one failing. */
static void fail_each(const char *name, int (*fn)(void), long min_allocs)
{
	long n;
	int rv;

	assert_int_equal(fn(), 0);
	fm_fail_at = -1;
	fm_count = 0;
	fm_on = 1;
	rv = fn();
	fm_on = 0;
	n = fm_count;
	if (rv != 0)
		fail_msg("%s: %s without failures", name, sw_err_name(rv));
	if (n < min_allocs)
		fail_msg("%s: only %ld allocations counted (the wrapping does not work?)", name, n);
	for (long i = 0; i < n; i++) {
		fm_fail_at = i;
		fm_count = 0;
		fm_on = 1;
		rv = fn();
		fm_on = 0;
		if (rv != SW_ERR_NOMEM)
			fail_msg("%s: allocation %ld of %ld failed, got %s instead of nomem", name, i + 1, n,
			         sw_err_name(rv));
	}
	fm_fail_at = -1;
	printf("%s: each of %ld allocations failed in turn: nomem every time\n", name, n);
}

static const struct {
	const char *name;
	int (*fn)(void);
	long min_allocs;
} codecs[] = {
	{"h1 response parser", run_h1_response, 3},
	{"h1 request parser + chunked", run_h1_request, 2},
	{"request and headers", run_request_build, 10},
	{"multipart", run_multipart, 2},
	{"prom writer", run_prom, 10},
	{"client set-up", run_client_setup, 3},
};

static void test_codec(void **state)
{
	size_t i = (size_t)(uintptr_t)*state;
	fail_each(codecs[i].name, codecs[i].fn, codecs[i].min_allocs);
}

int main(void)
{
	struct CMUnitTest tests[sizeof(codecs) / sizeof(codecs[0])];

	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
		struct CMUnitTest t = {codecs[i].name, test_codec, NULL, NULL, (void *)(uintptr_t)i};
		tests[i] = t;
	}
	/* Before libevent allocates anything. */
	event_set_mem_functions(ev_malloc, ev_realloc, ev_free);
	return _cmocka_run_group_tests("failmalloc", tests, sizeof(tests) / sizeof(tests[0]), NULL,
	                               NULL);
}
