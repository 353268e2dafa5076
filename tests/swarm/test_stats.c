/* Tests for swarm/stats.c: names, recording, merge, copy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stats.h"
#include "sw_err.h"

static void test_names(void **state)
{
	(void)state;
	for (int i = 0; i < EP_COUNT; i++) {
		const char *n = stats_ep_name((enum swarm_ep)i);
		assert_non_null(n);
		assert_true(strlen(n) > 0);
		for (const char *p = n; *p; p++)
			assert_true((*p >= 'a' && *p <= 'z') || *p == '_' || (*p >= '0' && *p <= '9'));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, stats_ep_name((enum swarm_ep)j));
	}
	assert_string_equal(stats_ep_name(EP_REGISTER_HOST), "register_host");
	assert_string_equal(stats_ep_name((enum swarm_ep)999), "other");
	for (int i = 0; i < HP_COUNT; i++)
		assert_non_null(stats_phase_name((enum swarm_host_phase)i));
	assert_string_equal(stats_phase_name(HP_INSTALLING), "installing");
	assert_string_equal(stats_phase_name((enum swarm_host_phase)-1), "unknown");
}

static struct swarm_stats *new_stats(void)
{
	struct swarm_stats *s = malloc(sizeof(*s));
	assert_non_null(s);
	stats_init(s);
	return s;
}

static void test_record(void **state)
{
	(void)state;
	struct swarm_stats *s = new_stats();
	stats_record_call(s, EP_GET_STEPS, 0, 200, 1000, 2000000, 12000000);
	stats_record_call(s, EP_GET_STEPS, 0, 503, 0, 1000, 2000);
	stats_record_call(s, EP_GET_STEPS, SW_ERR_TIMEOUT, 0, 0, 1000, 500); /* done < sent */
	stats_record_call(s, EP_DELETE_CLUSTER, 0, 404, 0, 0, 0);
	stats_record_call(s, EP_POST_STEP, 0, 400, 0, 0, 0);
	stats_record_call(s, EP_COUNT, 0, 700, 0, 0, 0); /* bogus ep and status */
	struct swarm_ep_stats *e = &s->ep[EP_GET_STEPS];
	assert_int_equal(e->count, 3);
	assert_int_equal(e->status[200], 1);
	assert_int_equal(e->status[503], 1);
	assert_int_equal(e->transport_errors[-SW_ERR_TIMEOUT], 1);
	assert_int_equal(e->service.count, 3);
	assert_int_equal(e->service.max_ns, 10000000);
	assert_int_equal(e->intended.max_ns, 11999000);
	assert_int_equal(e->service.min_ns, 0);
	assert_int_equal(s->ep[EP_OTHER].count, 1);
	assert_int_equal(s->requests, 6);
	/* 503, timeout, 400, bogus 700; not the 404 on delete */
	assert_int_equal(s->errors, 4);

	stats_host_phase(s, HP_WAITING, HP_REGISTERING);
	stats_host_phase(s, HP_REGISTERING, HP_REGISTERING);
	stats_host_phase(s, HP_REGISTERING, HP_COUNT);
	assert_int_equal(s->hosts_by_phase[HP_WAITING], -1);
	assert_int_equal(s->hosts_by_phase[HP_REGISTERING], 1);
	stats_free(s);
	stats_free(s);
	stats_free(NULL);
	free(s);
}

static void test_merge_copy(void **state)
{
	(void)state;
	struct swarm_stats *a = new_stats(), *b = new_stats(), *c = new_stats();
	struct swarm_cluster_record r;
	memset(&r, 0, sizeof(r));
	for (int i = 0; i < 100; i++) {
		snprintf(r.name, sizeof(r.name), "a-%d", i);
		assert_int_equal(stats_add_cluster(a, &r), i);
	}
	snprintf(r.name, sizeof(r.name), "b-0");
	assert_int_equal(stats_add_cluster(b, &r), 0);
	a->clusters_total = 100;
	b->clusters_total = 1;
	b->clusters_installed = 1;
	stats_record_call(a, EP_REGISTER_HOST, 0, 201, 0, 0, 5000);
	stats_record_call(b, EP_REGISTER_HOST, 0, 201, 0, 0, 7000);
	b->hosts_by_phase[HP_DONE] = 3;
	b->cpu_ns = 42;
	hist_record(&b->lateness, 123456);

	assert_int_equal(stats_merge(c, a), 0);
	assert_int_equal(stats_merge(c, b), 0);
	assert_int_equal(c->nclusters, 101);
	assert_string_equal(c->clusters[100].name, "b-0");
	assert_string_equal(c->clusters[7].name, "a-7");
	assert_int_equal(c->clusters_total, 101);
	assert_int_equal(c->clusters_installed, 1);
	assert_int_equal(c->ep[EP_REGISTER_HOST].count, 2);
	assert_int_equal(c->ep[EP_REGISTER_HOST].status[201], 2);
	assert_int_equal(c->ep[EP_REGISTER_HOST].service.max_ns, 7000);
	assert_int_equal(c->hosts_by_phase[HP_DONE], 3);
	assert_int_equal(c->cpu_ns, 42);
	assert_int_equal(c->lateness.count, 1);

	struct swarm_stats *d = new_stats();
	assert_int_equal(stats_copy(d, a), 0);
	assert_int_equal(stats_copy(d, c), 0); /* replaces previous records */
	assert_int_equal(d->nclusters, 101);
	assert_ptr_not_equal(d->clusters, c->clusters);
	assert_string_equal(d->clusters[100].name, "b-0");
	assert_int_equal(d->requests, 2);
	stats_free(d);
	free(d);
	stats_free(a);
	stats_free(b);
	stats_free(c);
	free(a);
	free(b);
	free(c);
}

/* The final hand-over: records move (or are copied then dropped) and the
 * counters merge exactly as stats_merge() does; stats_move_records() gives
 * the shard's records to its published copy. */
static void test_merge_take_move(void **state)
{
	(void)state;
	struct swarm_stats *a = new_stats(), *b = new_stats(), *c = new_stats(), *p = new_stats();
	struct swarm_cluster_record r;
	memset(&r, 0, sizeof(r));
	for (int i = 0; i < 70; i++) {
		snprintf(r.name, sizeof(r.name), "a-%d", i);
		assert_int_equal(stats_add_cluster(a, &r), i);
	}
	snprintf(r.name, sizeof(r.name), "b-0");
	assert_int_equal(stats_add_cluster(b, &r), 0);
	a->clusters_total = 70;
	b->clusters_total = 1;
	stats_record_call(a, EP_REGISTER_HOST, 0, 201, 0, 0, 5000);

	/* a's records to its published copy p; a keeps its counters */
	stats_move_records(p, a);
	assert_int_equal(a->nclusters, 0);
	assert_null(a->clusters);
	assert_int_equal(a->clusters_total, 70);
	assert_int_equal(p->nclusters, 70);
	assert_int_equal(p->clusters_total, 70);
	assert_int_equal(p->ep[EP_REGISTER_HOST].count, 1);
	assert_string_equal(p->clusters[69].name, "a-69");

	struct swarm_cluster_record *moved = p->clusters;
	assert_int_equal(stats_merge_take(c, p), 0); /* c had none: the very array moves */
	assert_ptr_equal(c->clusters, moved);
	assert_int_equal(p->nclusters, 0);
	assert_null(p->clusters);
	assert_int_equal(p->clusters_total, 70); /* the giver's counters stay */
	assert_int_equal(stats_merge_take(c, b), 0); /* c had some: copied, b's dropped */
	assert_int_equal(b->nclusters, 0);
	assert_null(b->clusters);
	assert_int_equal(c->nclusters, 71);
	assert_string_equal(c->clusters[70].name, "b-0");
	assert_string_equal(c->clusters[3].name, "a-3");
	assert_int_equal(c->clusters_total, 71);
	assert_int_equal(c->ep[EP_REGISTER_HOST].count, 1);
	struct swarm_stats *s[] = {a, b, c, p};
	for (unsigned i = 0; i < 4; i++) {
		stats_free(s[i]);
		free(s[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_merge_copy),
		cmocka_unit_test(test_merge_take_move),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
