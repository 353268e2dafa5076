/* Tests for swarm/hist_sparse.c and swarm/series.c: the run encoding
 * round-trips and merges exactly, JSON decoding refuses what is not a
 * histogram, interval differences add up to the run, and the service
 * metrics extraction keeps only the chosen families. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hist_sparse.h"
#include "series.h"
#include "svcmetrics.h"
#include "sw_err.h"

static struct hist *hnew(void)
{
	struct hist *h = malloc(sizeof(*h));
	assert_non_null(h);
	hist_init(h);
	return h;
}

/* A spread of values: sub-microsecond, clusters, and far outliers. */
static void fill(struct hist *h, uint64_t seed, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t v = (seed >> 33) % 5000000;
		if (i % 97 == 0)
			v *= 1000;
		if (i % 13 == 0)
			v = i % 700;
		hist_record(h, v);
	}
}

static void test_roundtrip_and_merge(void **state)
{
	(void)state;
	struct hist *a = hnew(), *b = hnew(), *both = hnew(), *dec = hnew();
	char err[200];
	fill(a, 1, 20000);
	fill(b, 2, 7000);
	hist_merge(both, a);
	hist_merge(both, b);
	/* Through JSON text, as a reader of two results files would. */
	json_t *ja = hist_json(a), *jb = hist_json(b);
	assert_non_null(ja);
	assert_non_null(jb);
	char *ta = json_dumps(ja, JSON_COMPACT), *tb = json_dumps(jb, JSON_COMPACT);
	json_t *ra = json_loads(ta, 0, NULL), *rb = json_loads(tb, 0, NULL);
	assert_int_equal(hist_json_add(dec, ra, err, sizeof(err)), 0);
	assert_memory_equal(dec->buckets, a->buckets, sizeof(a->buckets));
	assert_int_equal(dec->count, a->count);
	assert_int_equal(dec->sum_ns, a->sum_ns);
	assert_int_equal(dec->min_ns, a->min_ns);
	assert_int_equal(dec->max_ns, a->max_ns);
	assert_int_equal(hist_json_add(dec, rb, err, sizeof(err)), 0);
	/* The merge of the decoded files is the histogram of all samples. */
	assert_memory_equal(dec->buckets, both->buckets, sizeof(both->buckets));
	assert_int_equal(dec->count, both->count);
	for (double q = 0.01; q < 1.0; q += 0.01)
		assert_int_equal(hist_quantile(dec, q), hist_quantile(both, q));
	/* Compact: a few words per non-empty bucket at most. */
	size_t nonzero = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		nonzero += a->buckets[i] != 0;
	assert_true(json_array_size(json_object_get(ja, "b")) <= 3 * nonzero);
	free(ta);
	free(tb);
	json_decref(ja);
	json_decref(jb);
	json_decref(ra);
	json_decref(rb);
	free(a);
	free(b);
	free(both);
	free(dec);
}

static void test_diff(void **state)
{
	(void)state;
	struct hist *before = hnew(), *now = hnew(), *part = hnew(), *dec = hnew();
	fill(before, 3, 5000);
	memcpy(now, before, sizeof(*now));
	fill(part, 4, 3000);
	fill(now, 4, 3000);
	struct hsp d;
	assert_int_equal(hsp_encode_diff(&d, now, before), 0);
	assert_int_equal(d.count, 3000);
	assert_int_equal(d.sum_ns, part->sum_ns);
	assert_int_equal(d.min_ns, 0); /* unknown for a difference */
	hsp_add_to(dec, &d);
	assert_memory_equal(dec->buckets, part->buckets, sizeof(part->buckets));
	/* Extremes stand in as bucket edges: within the bucket of the true ones. */
	assert_true(dec->min_ns <= part->min_ns);
	assert_true(dec->max_ns >= part->max_ns);
	assert_true(dec->max_ns <= part->max_ns + part->max_ns / 64 + 1);
	hsp_free(&d);
	/* Empty difference. */
	assert_int_equal(hsp_encode_diff(&d, now, now), 0);
	assert_int_equal(d.n, 0);
	assert_null(d.w);
	json_t *j = hsp_json(&d);
	assert_int_equal(json_array_size(json_object_get(j, "b")), 0);
	json_decref(j);
	hsp_free(&d);
	hsp_free(NULL);
	free(before);
	free(now);
	free(part);
	free(dec);
}

static void test_bad_json(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"[]",
		"{\"count\": 1, \"b\": [0, 1, 1]}",                        /* no sum_ns */
		"{\"count\": 1, \"sum_ns\": 5, \"b\": {}}",                 /* b not an array */
		"{\"count\": 1, \"sum_ns\": 5, \"b\": [2111, 2, 1, 0]}",     /* past the last bucket */
		"{\"count\": 1, \"sum_ns\": 5, \"b\": [0, 3, 1]}",           /* run past the array */
		"{\"count\": 1, \"sum_ns\": 5, \"b\": [0, 0]}",              /* empty run */
		"{\"count\": 1, \"sum_ns\": 5, \"b\": [-1, 1, 1]}",          /* negative gap */
		"{\"count\": 1, \"sum_ns\": 5, \"b\": [0, 1, \"x\"]}",       /* count not an integer */
		"{\"count\": 1, \"sum_ns\": 5, \"b\": [0, 1, 4294967296]}",  /* count over 32 bits */
		"{\"count\": 3, \"sum_ns\": 5, \"b\": [0, 1, 1]}",           /* counts do not add up */
		"{\"count\": 1, \"sum_ns\": -5, \"b\": [0, 1, 1]}",          /* negative sum */
		"{\"count\": 1, \"sum_ns\": 5, \"min_ns\": 9, \"max_ns\": 5, \"b\": [0, 1, 1]}", /* min > max */
		"{\"count\": 1, \"sum_ns\": 5, \"min_ns\": 5, \"max_ns\": 99999, \"b\": [0, 1, 1]}", /* max past its bucket */
	};
	struct hist *h = hnew();
	char err[200];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_loads(bad[i], 0, NULL);
		assert_non_null(j);
		hist_init(h);
		if (hist_json_add(h, j, err, sizeof(err)) != SW_ERR_INVALID)
			fail_msg("accepted %s", bad[i]);
		assert_true(strlen(err) > 10);
		json_decref(j);
	}
	free(h);
}

/* Three cuts of growing cumulative stats: the intervals hold the
 * differences, and their sums are the final stats. */
static void test_series_cuts(void **state)
{
	(void)state;
	struct series *s = series_new(UINT64_C(10) * 1000000000);
	struct swarm_stats *st = malloc(sizeof(*st));
	assert_non_null(s);
	assert_non_null(st);
	stats_init(st);
	st->clusters_total = 5;
	st->hosts_by_phase[HP_WAITING] = 9;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 100 * (round + 1); i++)
			stats_record_call(st, EP_GET_STEPS, 0, i % 50 == 0 ? 503 : 200, 1000, 2000 + (uint64_t)i * 1000,
			                  3000000 + (uint64_t)i * 5000);
		if (round == 1) {
			stats_record_call(st, EP_REGISTER_HOST, SW_ERR_TIMEOUT, 0, 1, 1, 1000);
			st->clusters_started = 2;
			stats_host_phase(st, HP_WAITING, HP_DISCOVERY);
		}
		assert_int_equal(series_cut(s, st, 10.0 * (round + 1)), 0);
	}
	assert_int_equal(s->n, 3);
	uint64_t req = 0, err = 0, hcount = 0;
	for (size_t i = 0; i < s->n; i++) {
		json_t *iv = series_interval_json(s, i);
		assert_non_null(iv);
		req += (uint64_t)json_integer_value(json_object_get(iv, "requests"));
		err += (uint64_t)json_integer_value(json_object_get(iv, "errors"));
		json_t *gs = json_object_get(json_object_get(iv, "operations"), "get_next_steps");
		hcount += (uint64_t)json_integer_value(json_object_get(json_object_get(gs, "latency_seconds"), "count"));
		assert_true(json_real_value(json_object_get(iv, "end_seconds")) == 10.0 * (double)(i + 1));
		if (i == 1) {
			json_t *rh = json_object_get(json_object_get(iv, "operations"), "register_host");
			assert_int_equal(json_integer_value(json_object_get(json_object_get(rh, "status_classes"), "transport")), 1);
			assert_int_equal(json_integer_value(json_object_get(json_object_get(iv, "clusters"), "started_in_interval")), 2);
			assert_int_equal(json_integer_value(json_object_get(json_object_get(iv, "hosts_by_phase"), "discovery")), 1);
			assert_int_equal(json_integer_value(json_object_get(json_object_get(gs, "status_classes"), "5xx")), 4);
		}
		json_decref(iv);
	}
	assert_int_equal(req, st->requests);
	assert_int_equal(err, st->errors);
	assert_int_equal(hcount, st->ep[EP_GET_STEPS].service.count);
	/* A cut at the same end time adds nothing. */
	assert_int_equal(series_cut(s, st, 30.0), 0);
	assert_int_equal(s->n, 3);
	/* The streamed form is JSON. */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(series_write(s, f), 0);
	fclose(f);
	json_error_t je;
	json_t *doc = json_loads(buf, 0, &je);
	if (!doc)
		fail_msg("series_write: %s", je.text);
	assert_int_equal(json_array_size(json_object_get(doc, "intervals")), 3);
	json_decref(doc);
	free(buf);
	series_set_service_metrics(s, strdup("{}"));
	series_free(&s);
	assert_null(s);
	series_free(NULL);
	stats_free(st);
	free(st);
}

static void test_extract(void **state)
{
	(void)state;
	static const char text[] =
		"# HELP up x\n# TYPE emulator_clusters gauge\n"
		"emulator_clusters{status=\"installed\"} 3\n"
		"emulator_clusters{status=\"error\",zone=\"a\\\"b\"} 0\n"
		"# TYPE req_total counter\nreq_total 17 1700000000000\n"
		"other_metric 5\nreq_total_bucket{le=\"1\"} 2\n";
	char *fam[] = {"emulator_clusters", "req_total", "missing"};
	char err[200];
	char *out = svcm_extract(text, sizeof(text) - 1, fam, 3, err, sizeof(err));
	assert_non_null(out);
	json_t *j = json_loads(out, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "req_total"), "type")), "counter");
	json_t *s = json_object_get(json_object_get(j, "emulator_clusters"), "samples");
	assert_int_equal(json_array_size(s), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(s, 1), "labels"), "zone")),
	                    "a\"b");
	assert_null(json_object_get(j, "other_metric"));
	assert_null(json_object_get(j, "missing"));
	json_decref(j);
	free(out);
	/* A bad exposition is an error naming the line. */
	assert_null(svcm_extract("ok 1\nbad{ 2\n", 12, fam, 3, err, sizeof(err)));
	assert_non_null(strstr(err, "line 2"));
	/* More than SVCM_MAX_SAMPLES series: the rest are counted as dropped. */
	char big[8192] = "";
	size_t n = 0;
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "req_total{i=\"%d\"} %d\n", i, i);
	out = svcm_extract(big, n, fam, 3, err, sizeof(err));
	j = json_loads(out, 0, NULL);
	assert_int_equal(json_array_size(json_object_get(json_object_get(j, "req_total"), "samples")), SVCM_MAX_SAMPLES);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "req_total"), "dropped")), 8);
	json_decref(j);
	free(out);
	assert_string_equal(svcm_url_path("http://a:1/metrics?x=1"), "/metrics?x=1");
	assert_string_equal(svcm_url_path("https://a:1"), "/");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_and_merge),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_series_cuts),
		cmocka_unit_test(test_extract),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
