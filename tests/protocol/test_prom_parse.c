/* Tests for protocol/prom_parse.c: what prom.c writes parses back, and
 * every malformed line is an error naming its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <event2/buffer.h>

#include "prom.h"
#include "prom_parse.h"
#include "sw_err.h"

struct seen {
	char log[4096];
	size_t n;
	int stop_after;
	int samples;
};

static int on_type(void *arg, const char *name, const char *type)
{
	struct seen *s = arg;
	s->n += (size_t)snprintf(s->log + s->n, sizeof(s->log) - s->n, "T %s %s\n", name, type);
	return 0;
}

static int on_sample(void *arg, const char *name, const char *const *labels, size_t nl, double v)
{
	struct seen *s = arg;
	s->n += (size_t)snprintf(s->log + s->n, sizeof(s->log) - s->n, "S %s", name);
	for (size_t i = 0; i < nl; i++)
		s->n += (size_t)snprintf(s->log + s->n, sizeof(s->log) - s->n, " %s=[%s]", labels[2 * i],
		                         labels[2 * i + 1]);
	s->n += (size_t)snprintf(s->log + s->n, sizeof(s->log) - s->n, " %g\n", v);
	return ++s->samples == s->stop_after;
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct evbuffer *b = evbuffer_new();
	const char *l[] = {"op", "a\"b\\c\nd", "code", "200", NULL};
	double le[] = {0.5, 1};
	uint64_t counts[] = {1, 2, 3};
	prom_family(b, "x_total", "counter", "help with \\ and\nnewline");
	prom_sample_u64(b, "x_total", l, 42);
	prom_family(b, "h_seconds", "histogram", "h");
	prom_histogram(b, "h_seconds", NULL, le, counts, 2, 1.5, 6);
	size_t len = evbuffer_get_length(b);
	const char *text = (const char *)evbuffer_pullup(b, -1);
	struct seen s = {.n = 0};
	char err[128];
	assert_int_equal(prom_parse(text, len, on_type, on_sample, &s, err, sizeof(err)), 0);
	assert_string_equal(s.log,
	                    "T x_total counter\n"
	                    "S x_total op=[a\"b\\c\nd] code=[200] 42\n"
	                    "T h_seconds histogram\n"
	                    "S h_seconds_bucket le=[0.5] 1\n"
	                    "S h_seconds_bucket le=[1] 3\n"
	                    "S h_seconds_bucket le=[+Inf] 6\n"
	                    "S h_seconds_sum 1.5\n"
	                    "S h_seconds_count 6\n");
	evbuffer_free(b);
}

static void test_forms(void **state)
{
	(void)state;
	static const char text[] = "\r\n  # free comment\n# TYPE\n"
	                           "a 1\r\nb{} -Inf\nc{x=\"1\",} NaN 1700000000\n"
	                           "d{ x = \"1\" , y=\"\" } +Inf\ne:f 1e-3\n";
	struct seen s = {.n = 0};
	char err[128];
	assert_int_equal(prom_parse(text, sizeof(text) - 1, NULL, on_sample, &s, err, sizeof(err)), 0);
	assert_string_equal(s.log, "S a 1\nS b -inf\nS c x=[1] nan\nS d x=[1] y=[] inf\nS e:f 0.001\n");
	/* A callback stops the walk. */
	struct seen t = {.n = 0, .stop_after = 2};
	assert_int_equal(prom_parse(text, sizeof(text) - 1, NULL, on_sample, &t, err, sizeof(err)), 0);
	assert_int_equal(t.samples, 2);
}

static void test_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"1abc 1", "a", "a{", "a{x} 1", "a{x=1} 1", "a{x=\"1} 1", "a{x=\"\\q\"} 1", "a{x=\"1\" y=\"2\"} 1",
		"a 1x", "a 1 2 3", "a 1 x", "a{:x=\"1\"} 1", "a\t", "a{x=\"1\"}1",
	};
	char err[128];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];
		int n = snprintf(text, sizeof(text), "ok 1\n%s\n", bad[i]);
		struct seen s = {.n = 0};
		if (prom_parse(text, (size_t)n, NULL, on_sample, &s, err, sizeof(err)) != SW_ERR_PARSE)
			fail_msg("accepted '%s'", bad[i]);
		assert_non_null(strstr(err, "line 2:"));
	}
	/* Too many labels, a NUL byte, an overlong line. */
	char many[2048] = "m{";
	size_t n = 2;
	for (int i = 0; i < PROM_PARSE_MAX_LABELS + 1; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "l%d=\"v\",", i);
	snprintf(many + n, sizeof(many) - n, "} 1\n");
	assert_int_equal(prom_parse(many, strlen(many), NULL, NULL, NULL, err, sizeof(err)), SW_ERR_PARSE);
	assert_non_null(strstr(err, "too many labels"));
	assert_int_equal(prom_parse("a 1\0", 4, NULL, NULL, NULL, err, sizeof(err)), SW_ERR_PARSE);
	size_t big = PROM_PARSE_MAX_LINE + 10;
	char *line = malloc(big);
	memset(line, 'a', big);
	assert_int_equal(prom_parse(line, big, NULL, NULL, NULL, err, sizeof(err)), SW_ERR_PARSE);
	assert_non_null(strstr(err, "too long"));
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
