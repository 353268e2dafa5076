/* sw_srv_h1: the sans-I/O HTTP/1.1 request codec, fed from memory (chunked
 * bodies: tests/util/test_chunked.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"
#include "sw_http.h"
#include "sw_srv_h1.h"

static struct sw_h1_head h;

static int parse(const char *s, size_t *used)
{
	return sw_h1_parse_head(s, strlen(s), &h, used);
}

static int span_is(struct sw_h1_span sp, const char *lit)
{
	return sp.n == strlen(lit) && memcmp(sp.p, lit, sp.n) == 0;
}

static void test_head_ok(void **state)
{
	static const char req[] = "\r\nPOST /a/b?c=d HTTP/1.1\r\nHost:  example \r\nContent-Length: 12\r\n"
	                          "Connection: keep-alive, Close\r\nExpect: 100-Continue\r\nX-Empty:\r\n\r\nBODY";
	size_t used = 0;
	assert_int_equal(parse(req, &used), 0);
	assert_int_equal(used, sizeof(req) - 1 - 4);
	assert_true(span_is(h.method, "POST"));
	assert_true(span_is(h.target, "/a/b?c=d"));
	assert_int_equal(h.minor, 1);
	assert_int_equal(h.nfields, 5);
	assert_true(span_is(h.fields[0].name, "Host"));
	assert_true(span_is(h.fields[0].value, "example"));
	assert_true(span_is(h.fields[4].value, ""));
	assert_int_equal(h.content_length, 12);
	assert_int_equal(h.chunked, 0);
	assert_int_equal(h.close, 1);
	assert_int_equal(h.expect_continue, 1);
	/* HTTP/1.0: close unless keep-alive; bare LF line ends. */
	assert_int_equal(parse("GET / HTTP/1.0\n\n", &used), 0);
	assert_int_equal(used, 16);
	assert_int_equal(h.close, 1);
	assert_int_equal(h.content_length, -1);
	assert_int_equal(parse("GET / HTTP/1.0\nConnection: keep-alive\n\n", &used), 0);
	assert_int_equal(h.close, 0);
	assert_int_equal(parse("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n", &used), 0);
	assert_int_equal(h.chunked, 1);
}

static void test_head_incomplete(void **state)
{
	static const char req[] = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
	size_t used = 7;
	for (size_t n = 0; n < sizeof(req) - 1; n++) {
		assert_int_equal(sw_h1_parse_head(req, n, &h, &used), 0);
		assert_int_equal(used, 0);
	}
	assert_int_equal(sw_h1_parse_head(req, sizeof(req) - 1, &h, &used), 0);
	assert_int_equal(used, sizeof(req) - 1);
}

static void test_head_bad(void **state)
{
	static const char *const bad[] = {
		"GET\r\n\r\n", " GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.2\r\n\r\n", "GET / http/1.1\r\n\r\n",
		"GET /\x01 HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nA : b\r\n\r\n", "GET / HTTP/1.1\r\n: b\r\n\r\n",
		"GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n", "GET / HTTP/1.1\r\nA\r\n\r\n",
		"GET / HTTP/1.1\r\nA: 1\r\n\tfold\r\n\r\n", "GET / HTTP/1.1\rX\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t used = 0;
		assert_int_equal(parse(bad[i], &used), SW_ERR_PROTO);
	}
	/* Equal duplicate lengths are fine. */
	size_t used = 0;
	assert_int_equal(parse("PUT / HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\n", &used), 0);
	assert_int_equal(h.content_length, 3);
	/* Too many fields -> TOO_BIG (431). */
	char *big = malloc(8192);
	if (!big)
		abort();
	int o = sprintf(big, "GET / HTTP/1.1\r\n");
	for (int i = 0; i <= SW_H1_MAX_FIELDS; i++)
		o += sprintf(big + o, "f%d: v\r\n", i);
	sprintf(big + o, "\r\n");
	assert_int_equal(parse(big, &used), SW_ERR_TOO_BIG);
	free(big);
}

static void test_reason(void **state)
{
	assert_string_equal(sw_http_reason(200), "OK");
	assert_string_equal(sw_http_reason(431), "Request Header Fields Too Large");
	assert_string_equal(sw_http_reason(423), "Locked"); /* the emulator's faults use it */
	assert_string_equal(sw_http_reason(499), "Client Error");
	assert_string_equal(sw_http_reason(599), "Server Error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_ok),
		cmocka_unit_test(test_head_incomplete),
		cmocka_unit_test(test_head_bad),
		cmocka_unit_test(test_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
