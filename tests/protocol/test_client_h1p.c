/* Unit tests for the sans-I/O HTTP/1.1 response parser (protocol/sw_h1c.c),
 * fed from byte buffers: whole, byte by byte, and malformed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sw_err.h"
#include "sw_h1c.h"

struct rec {
	int status, minor, done, nhdr;
	char hdrs[1024];
	char body[4096];
	size_t bodylen;
};

static int on_status(void *arg, int status, int minor)
{
	struct rec *r = arg;
	r->status = status;
	r->minor = minor;
	return 0;
}

static int on_header(void *arg, const char *n, size_t nl, const char *v, size_t vl)
{
	struct rec *r = arg;
	size_t l = strlen(r->hdrs);
	snprintf(r->hdrs + l, sizeof(r->hdrs) - l, "%.*s=%.*s;", (int)nl, n, (int)vl, v);
	r->nhdr++;
	return 0;
}

static int on_body(void *arg, const char *d, size_t len)
{
	struct rec *r = arg;
	if (r->bodylen + len > sizeof(r->body))
		return SW_ERR_TOO_BIG;
	memcpy(r->body + r->bodylen, d, len);
	r->bodylen += len;
	return 0;
}

static int on_done(void *arg)
{
	struct rec *r = arg;
	r->done++;
	return 0;
}

static const struct sw_h1p_cbs cbs = {on_status, on_header, on_body, on_done};

/* Feeds |msg| in pieces of |step| bytes (0 = all at once). Returns the first
 * error or 0; |*used| gets the bytes consumed in total. */
static int feed(struct sw_h1p *p, const char *msg, size_t len, size_t step, size_t *used)
{
	size_t off = 0;
	*used = 0;
	while (off < len) {
		size_t n = step ? (len - off < step ? len - off : step) : len - off;
		size_t c = 0;
		int rv = sw_h1p_feed(p, msg + off, n, &c);
		*used += c;
		if (rv)
			return rv;
		if (p->state == SW_H1P_DONE)
			return 0;
		off += n;
	}
	return 0;
}

static int parse(const char *msg, size_t step, struct rec *r, size_t maxh, size_t maxb, int head,
                 int eof, struct sw_h1p *out)
{
	struct sw_h1p p;
	size_t used;
	memset(r, 0, sizeof(*r));
	sw_h1p_init(&p, &cbs, r, maxh, maxb);
	sw_h1p_reset(&p, head);
	int rv = feed(&p, msg, strlen(msg), step, &used);
	if (!rv && eof)
		rv = sw_h1p_eof(&p);
	if (out)
		*out = p;
	else
		sw_h1p_release(&p);
	return rv;
}

static void test_content_length(void **state)
{
	const char *m = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  b c \r\n\r\nhello";
	for (size_t step = 0; step <= 3; step++) {
		struct rec r;
		struct sw_h1p p;
		assert_int_equal(parse(m, step, &r, 1024, 1024, 0, 0, &p), 0);
		assert_int_equal(r.status, 200);
		assert_int_equal(r.done, 1);
		assert_int_equal(p.keep_alive, 1);
		assert_int_equal(r.bodylen, 5);
		assert_memory_equal(r.body, "hello", 5);
		assert_string_equal(r.hdrs, "Content-Length=5;X-A=b c;");
		sw_h1p_release(&p);
	}
}

static void test_chunked(void **state)
{
	const char *m = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	                "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n";
	for (size_t step = 0; step <= 2; step++) {
		struct rec r;
		assert_int_equal(parse(m, step, &r, 1024, 1024, 0, 0, NULL), 0);
		assert_int_equal(r.done, 1);
		assert_int_equal(r.bodylen, 15);
		assert_memory_equal(r.body, "hello0123456789", 15);
	}
}

static void test_until_close_and_connection_close(void **state)
{
	struct rec r;
	struct sw_h1p p;
	assert_int_equal(parse("HTTP/1.0 200 OK\r\n\r\nabc", 0, &r, 1024, 1024, 0, 1, &p), 0);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.bodylen, 3);
	assert_int_equal(p.keep_alive, 0);
	sw_h1p_release(&p);
	assert_int_equal(parse("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", 0, &r, 1024, 1024, 0,
	                       0, &p), 0);
	assert_int_equal(r.done, 1);
	assert_int_equal(p.keep_alive, 0);
	sw_h1p_release(&p);
	/* HEAD: Content-Length describes a body that is not sent. */
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", 1, &r, 1024, 1024, 1, 0,
	                       NULL), 0);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.bodylen, 0);
}

static void test_informational_skipped(void **state)
{
	struct rec r;
	assert_int_equal(parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
	                       0, &r, 1024, 1024, 0, 0, NULL), 0);
	assert_int_equal(r.status, 201);
	assert_int_equal(r.done, 1);
}

static void test_malformed(void **state)
{
	static const char *bad[] = {
		"HTTX/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 200OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
		"\r\n\r\n",
		"garbage garbage\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (size_t step = 0; step <= 1; step++) {
			struct rec r;
			int rv = parse(bad[i], step, &r, 1024, 1 << 20, 0, 0, NULL);
			if (rv != SW_ERR_PROTO)
				fail_msg("case %zu step %zu: got %d", i, step, rv);
		}
	}
}

static void test_limits(void **state)
{
	char big[3000];
	struct rec r;
	snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nX: %02000d\r\n\r\n", 0);
	assert_int_equal(parse(big, 0, &r, 1024, 1024, 0, 0, NULL), SW_ERR_TOO_BIG);
	assert_int_equal(parse(big, 7, &r, 1024, 1024, 0, 0, NULL), SW_ERR_TOO_BIG);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n", 0, &r, 1024, 1000, 0, 0,
	                       NULL), SW_ERR_TOO_BIG);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n", 0, &r, 1024,
	                       1000, 0, 0, NULL), SW_ERR_TOO_BIG);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\n\r\n0123456789", 0, &r, 1024, 5, 0, 0, NULL),
	                 SW_ERR_TOO_BIG);
}

static void test_truncated(void **state)
{
	struct rec r;
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0, &r, 1024, 1024, 0, 1,
	                       NULL), SW_ERR_CLOSED);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Le", 0, &r, 1024, 1024, 0, 1, NULL),
	                 SW_ERR_CLOSED);
	assert_int_equal(parse("", 0, &r, 1024, 1024, 0, 1, NULL), SW_ERR_CLOSED);
}

static void test_pipelined_leftover(void **state)
{
	const char *m = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA";
	struct rec r;
	struct sw_h1p p;
	size_t used = 0;
	memset(&r, 0, sizeof(r));
	sw_h1p_init(&p, &cbs, &r, 1024, 1024);
	sw_h1p_reset(&p, 0);
	assert_int_equal(sw_h1p_feed(&p, m, strlen(m), &used), 0);
	assert_int_equal(used, strlen(m) - 5);
	assert_int_equal(p.state, SW_H1P_DONE);
	/* Reuse for a second response on the same parser. */
	memset(&r, 0, sizeof(r));
	sw_h1p_reset(&p, 0);
	const char *m2 = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(sw_h1p_feed(&p, m2, strlen(m2), &used), 0);
	assert_int_equal(r.status, 404);
	assert_int_equal(r.done, 1);
	sw_h1p_release(&p);
	sw_h1p_release(&p);
	sw_h1p_release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_until_close_and_connection_close),
		cmocka_unit_test(test_informational_skipped),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_pipelined_leftover),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
