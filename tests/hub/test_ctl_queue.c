/* Unit tests of the controllers' work queue (tools/emulator-ctrl/ctl_queue.h)
 * with fake time: deduplication, no concurrent reconcile of one key, re-add
 * of a key changed while running, delayed adds (earliest wins), the rate
 * limiter (per-key exponential backoff, forgotten on success, the token
 * bucket), workers and the time a reconcile holds one, batch bounds and
 * the counters behind the metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ctl_queue.h"

#define MS 1000000ull
#define S 1000000000ull

struct rec {
	struct ctl_queue *q;
	char seen[64][32];
	uint64_t at[64];
	int n;
	/* what the next reconciles answer */
	int error, requeue;
	uint64_t after, busy;
	int add_self;          /* re-add the key being reconciled (its own write's event) */
};

static void fn(void *arg, const char *ns, const char *name, uint64_t now, struct ctl_result *r)
{
	struct rec *x = arg;
	if (x->n < 64) {
		snprintf(x->seen[x->n], sizeof(x->seen[0]), "%s/%s", ns, name);
		x->at[x->n] = now;
	}
	x->n++;
	r->error = x->error;
	r->requeue = x->requeue;
	r->requeue_after_ns = x->after;
	r->busy_ns = x->busy;
	if (x->add_self) {
		x->add_self = 0;
		ctl_queue_add(x->q, ns, name, now);
	}
}

static struct ctl_queue *mk(struct rec *x, unsigned workers)
{
	memset(x, 0, sizeof(*x));
	x->q = ctl_queue_new("t", workers, 1.0, fn, x);
	return x->q;
}

static void test_dedupe_and_order(void **state)
{
	struct rec x;
	struct ctl_queue *q = mk(&x, 1);
	ctl_queue_add(q, "a", "1", 0);
	ctl_queue_add(q, "a", "2", 0);
	ctl_queue_add(q, "a", "1", 0);   /* waiting: deduplicated */
	assert_int_equal(ctl_queue_depth(q), 2);
	assert_int_equal(ctl_queue_next_due(q, 5), 5);
	assert_int_equal(ctl_queue_run(q, 10, 0), 2);
	assert_string_equal(x.seen[0], "a/1");
	assert_string_equal(x.seen[1], "a/2");
	assert_int_equal(ctl_queue_depth(q), 0);
	assert_int_equal(ctl_queue_keys(q), 0);   /* forgotten once done */
	assert_int_equal(ctl_queue_next_due(q, 10), UINT64_MAX);
	const struct ctl_queue_stats *st = ctl_queue_stats(q);
	assert_int_equal(st->adds, 3);
	assert_int_equal(st->reconciles[CTL_OK], 2);
	assert_int_equal(st->queue_wait.count, 2);
	ctl_queue_free(&q);
	assert_null(q);
	ctl_queue_free(&q);
}

static void test_dirty_while_running(void **state)
{
	struct rec x;
	struct ctl_queue *q = mk(&x, 2);
	x.busy = 100 * MS;
	x.add_self = 1;           /* its own write comes back as an event */
	ctl_queue_add(q, "n", "k", 0);
	assert_int_equal(ctl_queue_run(q, 0, 0), 1);
	assert_int_equal(ctl_queue_active(q), 1);
	/* running: even with a free worker, the key is not taken again */
	ctl_queue_add(q, "n", "k", 1);
	assert_int_equal(ctl_queue_run(q, 50 * MS, 0), 0);
	assert_int_equal(ctl_queue_depth(q), 0);
	assert_int_equal(ctl_queue_next_due(q, 50 * MS), 100 * MS);
	/* when it finishes it is queued again, once */
	x.busy = 0;
	assert_int_equal(ctl_queue_run(q, 100 * MS, 0), 1);
	assert_int_equal(x.n, 2);
	assert_int_equal(x.at[1], 100 * MS);
	assert_int_equal(ctl_queue_run(q, 200 * MS, 0), 0);
	ctl_queue_free(&q);
}

static void test_add_after_earliest_wins(void **state)
{
	struct rec x;
	struct ctl_queue *q = mk(&x, 1);
	ctl_queue_add_after(q, "n", "k", 5 * S, 0);
	ctl_queue_add_after(q, "n", "k", 2 * S, 0);
	ctl_queue_add_after(q, "n", "k", 9 * S, 0);
	assert_int_equal(ctl_queue_next_due(q, 0), 2 * S);
	assert_int_equal(ctl_queue_run(q, 2 * S - 1, 0), 0);
	assert_int_equal(ctl_queue_run(q, 2 * S, 0), 1);
	assert_int_equal(ctl_queue_run(q, 10 * S, 0), 0);   /* the later adds merged */
	/* RequeueAfter of the reconcile itself */
	x.after = 3 * S;
	ctl_queue_add(q, "n", "k", 10 * S);
	assert_int_equal(ctl_queue_run(q, 10 * S, 0), 1);
	x.after = 0;
	assert_int_equal(ctl_queue_next_due(q, 10 * S), 13 * S);
	assert_int_equal(ctl_queue_run(q, 13 * S, 0), 1);
	assert_int_equal(ctl_queue_stats(q)->reconciles[CTL_REQUEUE_AFTER], 1);
	ctl_queue_free(&q);
}

static void test_rate_limited_backoff(void **state)
{
	struct rec x;
	struct ctl_queue *q = mk(&x, 1);
	x.error = 1;
	uint64_t now = 0;
	ctl_queue_add(q, "n", "k", now);
	/* 5 ms, 10 ms, 20 ms, 40 ms ... after each failure */
	uint64_t expect = 5 * MS;
	for (int i = 0; i < 6; i++) {
		assert_int_equal(ctl_queue_run(q, now, 0), 1);
		uint64_t due = ctl_queue_next_due(q, now);
		assert_int_equal(due - now, expect);
		now = due;
		expect *= 2;
	}
	assert_int_equal(ctl_queue_stats(q)->retries, 6);
	assert_int_equal(ctl_queue_stats(q)->reconciles[CTL_ERROR], 6);
	/* success forgets the failures: the next error backs off 5 ms again */
	x.error = 0;
	assert_int_equal(ctl_queue_run(q, now, 0), 1);
	assert_int_equal(ctl_queue_keys(q), 0);
	x.requeue = 1;
	ctl_queue_add(q, "n", "k", now);
	assert_int_equal(ctl_queue_run(q, now, 0), 1);
	assert_int_equal(ctl_queue_next_due(q, now) - now, 5 * MS);
	assert_int_equal(ctl_queue_stats(q)->reconciles[CTL_REQUEUE], 1);
	ctl_queue_free(&q);
}

static void test_token_bucket(void **state)
{
	struct rec x;
	struct ctl_queue *q = mk(&x, 1);
	char name[16];
	x.requeue = 1;
	/* 150 keys failing at once: the first 100 use the burst, then 10 per second */
	for (int i = 0; i < 150; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		ctl_queue_add(q, "n", name, 0);
	}
	assert_int_equal(ctl_queue_run(q, 0, 0), 150);
	uint64_t last = 0;
	unsigned ready_by_1s = 0;
	while (ctl_queue_next_due(q, last) <= 6 * S) {
		uint64_t due = ctl_queue_next_due(q, last);
		x.requeue = 0;
		unsigned n = ctl_queue_run(q, due, 0);
		if (due <= S)
			ready_by_1s += n;
		last = due;
		if (!n)
			break;
	}
	/* 100 within the burst (5 ms backoff), ~10 more per second after that */
	assert_true(ready_by_1s >= 100 && ready_by_1s <= 112);
	assert_true(last >= 4500 * MS && last <= 5100 * MS);
	ctl_queue_free(&q);
}

static void test_workers_and_busy_time(void **state)
{
	struct rec x;
	char name[16];
	for (unsigned w = 1; w <= 4; w *= 4) {
		struct ctl_queue *q = mk(&x, w);
		x.busy = 10 * MS;
		for (int i = 0; i < 40; i++) {
			snprintf(name, sizeof(name), "k%d", i);
			ctl_queue_add(q, "n", name, 0);
		}
		uint64_t now = 0;
		while (ctl_queue_next_due(q, now) != UINT64_MAX) {
			now = ctl_queue_next_due(q, now);
			ctl_queue_run(q, now, 0);
			assert_true(ctl_queue_active(q) <= w);
		}
		/* 40 reconciles of 10 ms on w workers end after 400/w ms */
		assert_int_equal(now, 400 * MS / w);
		assert_int_equal(x.n, 40);
		const struct ctl_queue_stats *st = ctl_queue_stats(q);
		assert_int_equal(st->work.count, 40);
		assert_int_equal(ctl_queue_workers(q), w);
		ctl_queue_free(&q);
	}
}

static void test_batch_bound(void **state)
{
	struct rec x;
	struct ctl_queue *q = mk(&x, 1);
	char name[16];
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		ctl_queue_add(q, "", name, 0);   /* cluster-scoped keys: "" namespace */
	}
	assert_int_equal(ctl_queue_run(q, 0, 4), 4);
	assert_int_equal(ctl_queue_depth(q), 6);
	assert_int_equal(ctl_queue_next_due(q, 0), 0);
	assert_int_equal(ctl_queue_run(q, 0, 0), 6);
	assert_string_equal(x.seen[9], "/k9");
	ctl_queue_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dedupe_and_order),
		cmocka_unit_test(test_dirty_while_running),
		cmocka_unit_test(test_add_after_earliest_wins),
		cmocka_unit_test(test_rate_limited_backoff),
		cmocka_unit_test(test_token_bucket),
		cmocka_unit_test(test_workers_and_busy_time),
		cmocka_unit_test(test_batch_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
