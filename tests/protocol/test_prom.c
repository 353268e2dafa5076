/* prom: Prometheus text exposition writer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "prom.h"

/* Returns the buffer's text (NUL-terminated) and empties it. Caller frees. */
static char *take(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);
	if (!s)
		abort();
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	return s;
}

static void expect(struct evbuffer *b, const char *want)
{
	char *got = take(b);
	assert_string_equal(got, want);
	free(got);
}

static void test_family_and_samples(void **state)
{
	struct evbuffer *b = evbuffer_new();
	prom_family(b, "swarm_requests_total", "counter", "Requests sent\\by path\nsecond line");
	expect(b, "# HELP swarm_requests_total Requests sent\\\\by path\\nsecond line\n"
	          "# TYPE swarm_requests_total counter\n");
	prom_sample_u64(b, "swarm_requests_total", NULL, 18446744073709551615ull);
	expect(b, "swarm_requests_total 18446744073709551615\n");
	const char *const labels[] = {"path", "/a\"b\\c\nd", "code", "200", NULL};
	prom_sample_u64(b, "x", labels, 7);
	expect(b, "x{path=\"/a\\\"b\\\\c\\nd\",code=\"200\"} 7\n");
	prom_sample(b, "g", NULL, 3.0);
	prom_sample(b, "g", NULL, -2.0);
	prom_sample(b, "g", NULL, 0.1);
	prom_sample(b, "g", NULL, 1234567.0);
	prom_sample(b, "g", NULL, 1e20);
	prom_sample(b, "g", NULL, 1.5e-7);
	prom_sample(b, "g", NULL, -0.0);
	prom_sample(b, "g", NULL, INFINITY);
	prom_sample(b, "g", NULL, -INFINITY);
	prom_sample(b, "g", NULL, NAN);
	expect(b, "g 3\ng -2\ng 0.1\ng 1234567\ng 1e+20\ng 1.5e-07\ng 0\ng +Inf\ng -Inf\ng NaN\n");
	/* Shortest round-trip form for non-integers. */
	prom_sample(b, "g", NULL, 2.0 / 3.0);
	expect(b, "g 0.6666666666666666\n");
	evbuffer_free(b);
}

static void test_histogram(void **state)
{
	struct evbuffer *b = evbuffer_new();
	const double le[] = {0.005, 0.1, 1};
	const uint64_t counts[] = {2, 0, 3, 1};
	const char *const labels[] = {"op", "get", NULL};
	prom_histogram(b, "lat_seconds", labels, le, counts, 3, 2.25, 6);
	expect(b, "lat_seconds_bucket{op=\"get\",le=\"0.005\"} 2\n"
	          "lat_seconds_bucket{op=\"get\",le=\"0.1\"} 2\n"
	          "lat_seconds_bucket{op=\"get\",le=\"1\"} 5\n"
	          "lat_seconds_bucket{op=\"get\",le=\"+Inf\"} 6\n"
	          "lat_seconds_sum{op=\"get\"} 2.25\n"
	          "lat_seconds_count{op=\"get\"} 6\n");
	prom_histogram(b, "h", NULL, NULL, counts, 0, 0, 2);
	expect(b, "h_bucket{le=\"+Inf\"} 2\nh_sum 0\nh_count 2\n");
	evbuffer_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_and_samples),
		cmocka_unit_test(test_histogram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
