/* Tests for swarm/schedule.c: expansion, shuffle determinism, arrival times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "schedule.h"
#include "sw_err.h"

static struct swarm_shape shapes[3];

static void make_plan(struct swarm_plan *p, unsigned a0, unsigned a1, unsigned a2)
{
	memset(p, 0, sizeof(*p));
	memset(shapes, 0, sizeof(shapes));
	shapes[0].single_node = 1;
	shapes[0].amount = a0;
	shapes[1].control_plane = 3;
	shapes[1].amount = a1;
	shapes[2].control_plane = 3;
	shapes[2].num_workers = 2;
	shapes[2].amount = a2;
	p->shapes = shapes;
	p->nshapes = 3;
	p->seed = 1;
}

static void test_expand_asap(void **state)
{
	(void)state;
	struct swarm_plan p;
	struct swarm_job *j = NULL;
	size_t n = 0;
	make_plan(&p, 2, 0, 3);
	assert_int_equal(schedule_build(&p, &j, &n), 0);
	assert_int_equal(n, 5);
	static const unsigned want[] = {0, 0, 2, 2, 2};
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(j[i].index, i);
		assert_int_equal(j[i].shape, want[i]);
		assert_int_equal(j[i].start_ns, 0);
		for (size_t k = 0; k < i; k++)
			assert_true(j[k].seed != j[i].seed);
	}
	free(j);
	make_plan(&p, 0, 0, 0);
	assert_int_equal(schedule_build(&p, &j, &n), 0);
	assert_int_equal(n, 0);
	assert_null(j);
	make_plan(&p, 6000000, 6000000, 0);
	assert_int_equal(schedule_build(&p, &j, &n), SW_ERR_INVALID);
}

static void shapes_of(struct swarm_plan *p, unsigned *out, size_t max)
{
	struct swarm_job *j = NULL;
	size_t n = 0;
	assert_int_equal(schedule_build(p, &j, &n), 0);
	assert_true(n <= max);
	for (size_t i = 0; i < n; i++)
		out[i] = j[i].shape;
	free(j);
}

static void test_shuffle(void **state)
{
	(void)state;
	struct swarm_plan p;
	unsigned a[60], b[60], c[60], counts[3] = {0};
	make_plan(&p, 20, 20, 20);
	p.shuffle = 1;
	p.seed = 42;
	shapes_of(&p, a, 60);
	shapes_of(&p, b, 60);
	assert_memory_equal(a, b, sizeof(a)); /* same seed, same order */
	p.seed = 43;
	shapes_of(&p, c, 60);
	assert_true(memcmp(a, c, sizeof(a)) != 0);
	for (int i = 0; i < 60; i++)
		counts[a[i]]++;
	assert_int_equal(counts[0], 20); /* a permutation: same multiset */
	assert_int_equal(counts[1], 20);
	assert_int_equal(counts[2], 20);
	p.shuffle = 0;
	shapes_of(&p, c, 60);
	for (int i = 0; i < 60; i++)
		assert_int_equal(c[i], (unsigned)(i / 20));
}

static void test_rate(void **state)
{
	(void)state;
	struct swarm_plan p;
	struct swarm_job *j = NULL;
	size_t n = 0;
	make_plan(&p, 10, 0, 0);
	p.arrival.kind = SWARM_ARRIVAL_RATE;
	p.arrival.clusters_per_minute = 120; /* every 0.5 s */
	assert_int_equal(schedule_build(&p, &j, &n), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(j[i].start_ns, i * 500000000ull);
	free(j);

	/* Poisson: deterministic for a seed, increasing, mean gap ~ 0.5 s. */
	make_plan(&p, 2000, 0, 0);
	p.arrival.kind = SWARM_ARRIVAL_RATE;
	p.arrival.clusters_per_minute = 120;
	p.arrival.poisson = 1;
	p.seed = 5;
	assert_int_equal(schedule_build(&p, &j, &n), 0);
	assert_int_equal(j[0].start_ns, 0);
	for (size_t i = 1; i < n; i++)
		assert_true(j[i].start_ns >= j[i - 1].start_ns);
	double mean = (double)j[n - 1].start_ns / 1e9 / (double)(n - 1);
	assert_true(mean > 0.45 && mean < 0.55);
	uint64_t last = j[n - 1].start_ns;
	free(j);
	assert_int_equal(schedule_build(&p, &j, &n), 0);
	assert_int_equal(j[n - 1].start_ns, last);
	free(j);
}

static void test_ramp(void **state)
{
	(void)state;
	struct swarm_plan p;
	struct swarm_job *j = NULL;
	size_t n = 0;
	make_plan(&p, 1000, 0, 0);
	p.arrival.kind = SWARM_ARRIVAL_RAMP;
	p.arrival.start_per_minute = 60;    /* 1/s */
	p.arrival.clusters_per_minute = 600;/* 10/s */
	p.arrival.ramp_seconds = 100;       /* ramp produces (1+10)/2*100 = 550 clusters */
	assert_int_equal(schedule_build(&p, &j, &n), 0);
	assert_int_equal(j[0].start_ns, 0);
	for (size_t i = 1; i < n; i++)
		assert_true(j[i].start_ns > j[i - 1].start_ns);
	/* N(t) = t + 0.045 t^2: N(10) = 14.5 -> job 14 before 10 s, job 15 after. */
	assert_true(j[14].start_ns < 10000000000ull && j[15].start_ns > 10000000000ull);
	/* End of ramp at 100 s = job 550; after it, 10 per second. */
	assert_true(llabs((long long)j[550].start_ns - 100000000000ll) < 1000);
	assert_true(llabs((long long)(j[560].start_ns - j[550].start_ns) - 1000000000ll) < 1000);
	free(j);

	/* Flat ramp (start == end) degenerates to a rate. */
	p.arrival.start_per_minute = 600;
	assert_int_equal(schedule_build(&p, &j, &n), 0);
	assert_true(llabs((long long)j[10].start_ns - 1000000000ll) < 1000);
	free(j);
	/* From zero. */
	p.arrival.start_per_minute = 0;
	assert_int_equal(schedule_build(&p, &j, &n), 0);
	assert_int_equal(j[0].start_ns, 0);
	assert_true(j[1].start_ns > 0);
	free(j);
}

static void test_burst(void **state)
{
	(void)state;
	struct swarm_plan p;
	struct swarm_job *j = NULL;
	size_t n = 0;
	make_plan(&p, 10, 0, 0);
	p.arrival.kind = SWARM_ARRIVAL_BURST;
	p.arrival.burst = 4;
	p.arrival.burst_interval_seconds = 30;
	assert_int_equal(schedule_build(&p, &j, &n), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(j[i].start_ns, (i / 4) * 30000000000ull);
	free(j);
	p.arrival.poisson = 1;
	assert_int_equal(schedule_build(&p, &j, &n), 0);
	assert_int_equal(j[1].start_ns, j[0].start_ns);
	assert_int_equal(j[3].start_ns, j[0].start_ns);
	assert_true(j[4].start_ns > j[3].start_ns);
	assert_int_equal(j[5].start_ns, j[4].start_ns);
	free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand_asap),
		cmocka_unit_test(test_shuffle),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_ramp),
		cmocka_unit_test(test_burst),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
