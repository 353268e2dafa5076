/* sw_chunked: the one chunked decoder of the client and the server, fed from memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sw_chunked.h"
#include "sw_err.h"

struct collect {
	char buf[256];
	size_t n;
	int fail_after;
};

static int collect_cb(void *arg, const char *p, size_t n)
{
	struct collect *c = arg;
	if (c->fail_after && c->n + n > (size_t)c->fail_after)
		return SW_ERR_TOO_BIG;
	memcpy(c->buf + c->n, p, n);
	c->n += n;
	return 0;
}

static void test_chunked(void **state)
{
	static const char body[] = "5;name=val\r\nhello\r\nB\r\n 0123456789\n0\r\nX-T: 1\r\n\r\nNEXT";
	size_t len = sizeof(body) - 1 - 4;
	/* Every split of the input into pieces of one size gives the same result. */
	for (size_t piece = 1; piece <= len; piece++) {
		struct sw_chunked st;
		struct collect c = {0};
		size_t off = 0;
		int done = 0;
		sw_chunked_init(&st, 0, 0);
		while (!done && off < sizeof(body) - 1) {
			size_t n = piece < sizeof(body) - 1 - off ? piece : sizeof(body) - 1 - off, used = 0;
			assert_int_equal(sw_chunked_feed(&st, body + off, n, &used, &done, collect_cb, &c), 0);
			off += used;
		}
		assert_true(done);
		assert_int_equal(off, len);
		assert_int_equal(c.n, 16);
		assert_memory_equal(c.buf, "hello 0123456789", 16);
	}
}

static void test_chunked_bad(void **state)
{
	static const char *const bad[] = {"x\r\n", "\r\n", "5\r\nhelloX", "5\rX", "0\r\nA\x01\r\n\r\n",
	                                  "1234567890abcdef0\r\n", "3\r\nabc\rX"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sw_chunked st;
		struct collect c = {0};
		size_t used = 0;
		int done = 0;
		sw_chunked_init(&st, 0, 0);
		assert_int_equal(sw_chunked_feed(&st, bad[i], strlen(bad[i]), &used, &done, collect_cb, &c),
		                 SW_ERR_PROTO);
	}
	/* The sink's error stops decoding. */
	struct sw_chunked st;
	struct collect c = {.fail_after = 3};
	size_t used = 0;
	int done = 0;
	sw_chunked_init(&st, 0, 0);
	assert_int_equal(sw_chunked_feed(&st, "5\r\nhello\r\n0\r\n\r\n", 15, &used, &done, collect_cb, &c),
	                 SW_ERR_TOO_BIG);
	/* Endless trailers are cut off. */
	char *tr = malloc(20000);
	if (!tr)
		abort();
	memcpy(tr, "0\r\n", 3);
	for (size_t i = 3; i < 20000; i += 10)
		memcpy(tr + i, "X-A: 1234\n", 10 < 20000 - i ? 10 : 20000 - i);
	sw_chunked_init(&st, 0, 0);
	assert_int_equal(sw_chunked_feed(&st, tr, 20000, &used, &done, collect_cb, &c), SW_ERR_TOO_BIG);
	free(tr);
}

/* The caps: a chunk size announcing more than |max_body| is refused before its
 * data; trailers past |max_trailer|; a size line past SW_CHUNKED_LINE_MAX. */
static void test_chunked_limits(void **state)
{
	struct sw_chunked st;
	struct collect c = {0};
	size_t used = 0;
	int done = 0;
	(void)state;

	sw_chunked_init(&st, 10, 0);
	assert_int_equal(sw_chunked_feed(&st, "5\r\nhello\r\n", 10, &used, &done, collect_cb, &c), 0);
	assert_int_equal(sw_chunked_feed(&st, "6\r\n", 3, &used, &done, collect_cb, &c), SW_ERR_TOO_BIG);
	assert_int_equal(c.n, 5); /* nothing of the refused chunk was delivered */
	/* exactly the cap passes */
	c.n = 0;
	sw_chunked_init(&st, 10, 0);
	assert_int_equal(sw_chunked_feed(&st, "a\r\n0123456789\r\n0\r\n\r\n", 20, &used, &done, collect_cb,
	                                 &c), 0);
	assert_true(done);
	assert_int_equal(used, 20);
	/* a trailer section over its cap, and the same under a larger one */
	sw_chunked_init(&st, 0, 4);
	assert_int_equal(sw_chunked_feed(&st, "0\r\nX: 12\r\n\r\n", 12, &used, &done, collect_cb, &c),
	                 SW_ERR_TOO_BIG);
	sw_chunked_init(&st, 0, 16);
	assert_int_equal(sw_chunked_feed(&st, "0\r\nX: 12\r\n\r\n", 12, &used, &done, collect_cb, &c), 0);
	assert_true(done);
	/* an endless chunk extension */
	char *ext = malloc(SW_CHUNKED_LINE_MAX + 16);
	assert_non_null(ext);
	memset(ext, 'e', SW_CHUNKED_LINE_MAX + 16);
	memcpy(ext, "1;", 2);
	sw_chunked_init(&st, 0, 0);
	assert_int_equal(sw_chunked_feed(&st, ext, SW_CHUNKED_LINE_MAX + 16, &used, &done, collect_cb, &c),
	                 SW_ERR_TOO_BIG);
	free(ext);
	/* 15 hex digits are the most a size may have */
	sw_chunked_init(&st, 0, 0);
	assert_int_equal(sw_chunked_feed(&st, "00000000000000f", 15, &used, &done, collect_cb, &c), 0);
	assert_int_equal(sw_chunked_feed(&st, "0", 1, &used, &done, collect_cb, &c), SW_ERR_PROTO);
}

/* Bytes after the body belong to the next message; a finished decoder takes none. */
static void test_chunked_leftover(void **state)
{
	struct sw_chunked st;
	struct collect c = {0};
	size_t used = 0;
	int done = 0;
	(void)state;

	sw_chunked_init(&st, 0, 0);
	assert_int_equal(sw_chunked_feed(&st, "1\nx\n0\n\nGET", 11, &used, &done, collect_cb, &c), 0);
	assert_true(done);
	assert_int_equal(used, 7);
	assert_int_equal(sw_chunked_feed(&st, "GET", 3, &used, &done, collect_cb, &c), 0);
	assert_true(done);
	assert_int_equal(used, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_chunked_bad),
		cmocka_unit_test(test_chunked_limits),
		cmocka_unit_test(test_chunked_leftover),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
