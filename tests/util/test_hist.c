/* Tests for protocol/util/hist.c: error bound, merge, empty cases, Prometheus buckets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "hist.h"

static struct hist *new_hist(void)
{
	struct hist *h = malloc(sizeof(*h));
	assert_non_null(h);
	hist_init(h);
	return h;
}

static void test_empty(void **state)
{
	(void)state;
	struct hist *h = new_hist();
	assert_int_equal(hist_quantile(h, 0.5), 0);
	assert_int_equal(hist_quantile(h, 0.0), 0);
	assert_int_equal(hist_quantile(h, 1.0), 0);
	assert_true(hist_mean(h) == 0.0);
	double le[2] = {0.1, 1.0};
	uint64_t c[3] = {7, 7, 7};
	hist_to_buckets(h, le, 2, c);
	assert_int_equal(c[0] + c[1] + c[2], 0);
	struct hist *g = new_hist();
	hist_merge(g, h);
	assert_int_equal(g->count, 0);
	free(g);
	free(h);
}

/* Every single value, from sub-microsecond to an hour, comes back within
 * the documented relative error as its own p50 (quantile of a one-sample
 * histogram is clamped to it) and as an upper bound when mixed. */
static void test_error_bound(void **state)
{
	(void)state;
	struct hist *h = new_hist();
	uint64_t v = 1500;
	while (v < UINT64_C(3600) * 1000000000) {
		hist_init(h);
		hist_record(h, v);
		hist_record(h, v * 4); /* a second value so clamping alone cannot hide errors */
		uint64_t q = hist_quantile(h, 0.5);
		double rel = ((double)q - (double)v) / (double)v;
		assert_true(q >= v);
		assert_true(rel < 0.02);
		v = v * 1013 / 1000 + 7;
	}
	free(h);
}

static void test_quantiles_uniform(void **state)
{
	(void)state;
	struct hist *h = new_hist();
	/* 1..100000 µs uniformly: p50 ~ 50 ms, p99 ~ 99 ms. */
	for (uint64_t i = 1; i <= 100000; i++)
		hist_record(h, i * 1000);
	assert_int_equal(h->count, 100000);
	assert_int_equal(h->min_ns, 1000);
	assert_int_equal(h->max_ns, 100000000);
	double p50 = (double)hist_quantile(h, 0.5), p99 = (double)hist_quantile(h, 0.99);
	assert_true(p50 >= 50e6 && p50 < 50e6 * 1.02);
	assert_true(p99 >= 99e6 && p99 < 99e6 * 1.02);
	assert_int_equal(hist_quantile(h, 1.0), 100000000);
	assert_int_equal(hist_quantile(h, 0.0), 1000);
	double mean = hist_mean(h);
	assert_true(mean > 50000499.0 && mean < 50000501.0);
	free(h);
}

static void test_extremes(void **state)
{
	(void)state;
	struct hist *h = new_hist();
	hist_record(h, 0);
	hist_record(h, 5);
	assert_int_equal(hist_quantile(h, 0.5), 5); /* folded bucket clamped to max */
	hist_record(h, UINT64_C(1) << 62);          /* over the range: last bucket */
	assert_int_equal(hist_quantile(h, 1.0), UINT64_C(1) << 62);
	assert_int_equal(hist_quantile(h, 0.99), UINT64_C(1) << 62);
	assert_int_equal(h->min_ns, 0);
	free(h);
}

static void test_merge_equivalence(void **state)
{
	(void)state;
	struct hist *a = new_hist(), *b = new_hist(), *all = new_hist();
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		uint64_t v = 1000 + x % 5000000000ull;
		hist_record(i % 3 ? a : b, v);
		hist_record(all, v);
	}
	hist_merge(a, b);
	assert_int_equal(a->count, all->count);
	assert_int_equal(a->sum_ns, all->sum_ns);
	assert_int_equal(a->min_ns, all->min_ns);
	assert_int_equal(a->max_ns, all->max_ns);
	assert_memory_equal(a->buckets, all->buckets, sizeof(a->buckets));
	for (double q = 0.0; q <= 1.0; q += 0.05)
		assert_int_equal(hist_quantile(a, q), hist_quantile(all, q));
	/* merging into an empty histogram copies */
	struct hist *e = new_hist();
	hist_merge(e, all);
	assert_int_equal(e->min_ns, all->min_ns);
	assert_int_equal(hist_quantile(e, 0.9), hist_quantile(all, 0.9));
	free(e);
	free(a);
	free(b);
	free(all);
}

static void test_to_buckets(void **state)
{
	(void)state;
	struct hist *h = new_hist();
	for (int i = 0; i < 10; i++)
		hist_record(h, 1000000);      /* 1 ms */
	for (int i = 0; i < 5; i++)
		hist_record(h, 50000000);     /* 50 ms */
	for (int i = 0; i < 2; i++)
		hist_record(h, 3000000000ull);/* 3 s */
	double le[3] = {0.005, 0.1, 1.0};
	uint64_t c[4];
	hist_to_buckets(h, le, 3, c);
	assert_int_equal(c[0], 10);
	assert_int_equal(c[1], 5);
	assert_int_equal(c[2], 0);
	assert_int_equal(c[3], 2);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_error_bound),
		cmocka_unit_test(test_quantiles_uniform),
		cmocka_unit_test(test_extremes),
		cmocka_unit_test(test_merge_equivalence),
		cmocka_unit_test(test_to_buckets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
