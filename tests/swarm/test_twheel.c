/* twheel: slot semantics (never early, at most one slot late), cancels and
 * re-arms from inside callbacks, rounds beyond the horizon, stalls longer
 * than the wheel, and a seeded random run against a brute-force model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "twheel.h"

#define G 500000ull   /* grid: 500 us */
#define T0 (1000000ull * G)

struct item {
	struct tw_timer t;
	int fired;
	uint64_t fired_at;
	struct item *victim;     /* cancelled by this one's callback */
	struct twheel *w;
	uint64_t rearm_delay;    /* re-armed by its callback (once) with this delay, if set */
};

static uint64_t now_ns;      /* the clock the tests advance */

static void on_fire(struct tw_timer *t)
{
	struct item *it = (struct item *)(void *)((char *)t - offsetof(struct item, t));

	it->fired++;
	it->fired_at = now_ns;
	if (it->victim)
		tw_cancel(it->w, &it->victim->t);
	if (it->rearm_delay) {
		tw_add(it->w, &it->t, now_ns + it->rearm_delay);
		it->rearm_delay = 0;
	}
}

static void item_init(struct item *it, struct twheel *w)
{
	memset(it, 0, sizeof(*it));
	tw_timer_init(&it->t, on_fire);
	it->w = w;
}

static size_t run_at(struct twheel *w, uint64_t t)
{
	now_ns = t;
	return tw_run(w, t);
}

static void test_slot_semantics(void **state)
{
	struct twheel w;
	struct item a, b, c;
	uint64_t when = 0;

	(void)state;
	assert_int_equal(tw_init(&w, G, 10, T0), 0);
	assert_int_equal(tw_next(&w, &when), 0);
	item_init(&a, &w);
	item_init(&b, &w);
	item_init(&c, &w);
	tw_add(&w, &a.t, T0 + 100);           /* slot 0 */
	tw_add(&w, &b.t, T0 + G - 1);         /* slot 0 too */
	tw_add(&w, &c.t, T0 + G);             /* slot 1 */
	assert_true(tw_armed(&a.t));
	assert_int_equal(w.armed, 3);
	assert_int_equal(tw_next(&w, &when), 1);
	assert_true(when == T0 + G);          /* the end of slot 0 */
	/* never before the slot has ended */
	assert_int_equal(run_at(&w, T0 + G - 1), 0);
	assert_int_equal(a.fired + b.fired, 0);
	assert_int_equal(run_at(&w, T0 + G), 2);
	assert_int_equal(a.fired, 1);
	assert_int_equal(b.fired, 1);
	assert_false(tw_armed(&a.t));
	assert_int_equal(c.fired, 0);
	assert_int_equal(tw_next(&w, &when), 1);
	assert_true(when == T0 + 2 * G);
	assert_int_equal(run_at(&w, T0 + 2 * G), 1);
	assert_int_equal(c.fired, 1);
	assert_int_equal(w.armed, 0);
	assert_int_equal(tw_next(&w, &when), 0);
	/* a due time in the past fires at the end of the current slot */
	tw_add(&w, &a.t, T0);
	assert_int_equal(run_at(&w, T0 + 2 * G + 1), 0);
	assert_int_equal(run_at(&w, T0 + 3 * G), 1);
	assert_int_equal(a.fired, 2);
	/* cancel, re-add, cancel twice */
	tw_add(&w, &a.t, T0 + 5 * G);
	tw_add(&w, &a.t, T0 + 6 * G);         /* re-arming moves it */
	assert_int_equal(w.armed, 1);
	tw_cancel(&w, &a.t);
	tw_cancel(&w, &a.t);
	assert_int_equal(w.armed, 0);
	assert_int_equal(run_at(&w, T0 + 10 * G), 0);
	tw_free(&w);
	tw_free(&w);
	tw_free(NULL);
	assert_int_equal(tw_init(&w, 0, 10, T0), -2);
	assert_int_equal(tw_init(&w, G, 5, T0), -2);
	assert_int_equal(tw_init(&w, G, 25, T0), -2);
}

/* A callback cancels a timer of its own slot (a cluster silencing its
 * hosts) and re-arms itself for "now" (it runs next slot, not in a loop). */
static void test_callbacks_change_the_wheel(void **state)
{
	struct twheel w;
	struct item it[4];

	(void)state;
	assert_int_equal(tw_init(&w, G, 10, T0), 0);
	for (int i = 0; i < 4; i++) {
		item_init(&it[i], &w);
		tw_add(&w, &it[i].t, T0 + 10 + (uint64_t)i);
	}
	/* LIFO within a slot: it[3] runs first and cancels it[0] */
	it[3].victim = &it[0];
	it[2].rearm_delay = 1;
	assert_int_equal(run_at(&w, T0 + G), 3);
	assert_int_equal(it[0].fired, 0);
	assert_false(tw_armed(&it[0].t));
	assert_int_equal(it[2].fired, 1);
	assert_true(tw_armed(&it[2].t));
	assert_int_equal(run_at(&w, T0 + 2 * G), 1);
	assert_int_equal(it[2].fired, 2);
	assert_int_equal(w.armed, 0);
	tw_free(&w);
}

/* Beyond the horizon (64 slots here): a timer waits for its round; a
 * stall longer than the whole wheel still fires everything due, once. */
static void test_rounds_and_stalls(void **state)
{
	struct twheel w;
	struct item far, near, late[100];
	uint64_t when;

	(void)state;
	assert_int_equal(tw_init(&w, G, 6, T0), 0); /* 64 slots: 32 ms horizon */
	item_init(&far, &w);
	item_init(&near, &w);
	tw_add(&w, &far.t, T0 + 200 * G);     /* 3 rounds ahead */
	tw_add(&w, &near.t, T0 + 3 * G);
	for (uint64_t s = 1; s < 200; s++) {
		run_at(&w, T0 + s * G);
		assert_int_equal(far.fired, 0);
	}
	assert_int_equal(near.fired, 1);
	assert_int_equal(tw_next(&w, &when), 1);
	assert_true(when <= T0 + 201 * G);
	run_at(&w, T0 + 201 * G);
	assert_int_equal(far.fired, 1);
	assert_true(far.fired_at >= T0 + 200 * G);
	/* a stall of 10 wheel turns */
	for (int i = 0; i < 100; i++) {
		item_init(&late[i], &w);
		tw_add(&w, &late[i].t, T0 + 300 * G + (uint64_t)i * 7 * G);
	}
	assert_int_equal(run_at(&w, T0 + 300 * G + 640 * G), 92); /* due by then: i*7 < 640 */
	for (int i = 0; i < 100; i++)
		assert_int_equal(late[i].fired, i * 7 < 640);
	run_at(&w, T0 + 2000 * G);
	for (int i = 0; i < 100; i++)
		assert_int_equal(late[i].fired, 1);
	assert_int_equal(w.armed, 0);
	tw_free(&w);
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Random adds, re-arms, cancels and clock steps: every timer fires exactly
 * once after its slot ended (never before its due time, never later than
 * the first run after its slot's end), and tw_next never skips one. */
static void test_random_against_model(void **state)
{
	enum { N = 2000 };
	static struct item it[N];
	static uint64_t due[N];
	static int armed[N];
	struct twheel w;
	uint64_t x = 0x9e3779b97f4a7c15ull, t = T0;

	(void)state;
	assert_int_equal(tw_init(&w, G, 8, T0), 0); /* 256 slots: 128 ms horizon */
	for (int i = 0; i < N; i++)
		item_init(&it[i], &w);
	for (int step = 0; step < 20000; step++) {
		int i = (int)(rnd(&x) % N);
		switch (rnd(&x) % 4) {
		case 0:
		case 1: /* arm or re-arm, up to 400 ms ahead (past the horizon) */
			due[i] = t + rnd(&x) % (800 * G);
			tw_add(&w, &it[i].t, due[i]);
			it[i].fired = 0;
			armed[i] = 1;
			break;
		case 2:
			tw_cancel(&w, &it[i].t);
			armed[i] = 0;
			break;
		default: { /* advance: sometimes to the next wake-up, sometimes further */
			uint64_t when = 0;
			int have = tw_next(&w, &when);
			if (have && rnd(&x) % 2)
				t = when > t ? when : t;
			else
				t += rnd(&x) % (20 * G);
			run_at(&w, t);
			for (int k = 0; k < N; k++) {
				if (!armed[k])
					continue;
				if (it[k].fired) {
					assert_int_equal(it[k].fired, 1);
					assert_true(it[k].fired_at >= due[k]);              /* never early */
					assert_true(due[k] / G < t / G);                      /* its slot ended */
					armed[k] = 0;
				} else {
					assert_true(due[k] / G >= t / G);                     /* none forgotten */
					assert_true(tw_armed(&it[k].t));
					assert_true(have && when <= (due[k] / G + 1) * G);   /* next wake in time */
				}
			}
			break;
		}
		}
	}
	tw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_semantics),
		cmocka_unit_test(test_callbacks_change_the_wheel),
		cmocka_unit_test(test_rounds_and_stalls),
		cmocka_unit_test(test_random_against_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
