/*
 * series_cut: the exact CPU cost of the time series, per interval and per
 * request. The series adds nothing to the request path; its whole cost is
 * what happens at each interval boundary:
 *   shard thread: copy the cumulative stats into the cut slot;
 *   main thread:  copy each shard's cut, merge them, store the difference
 *                 from the previous cut (sparse histograms), and at the end
 *                 write the interval as JSON.
 * This program fills a swarm_stats like a 100,000-host shard does in one
 * interval (REQ_PER_INTERVAL calls over the operations of a real run, with
 * service times from 100 us to 2 s), then times each step over ROUNDS
 * intervals and prints the figures and one JSON line.
 * Usage: series_cut [REQ_PER_INTERVAL] [ROUNDS]   (default 60000 100)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "series.h"
#include "stats.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Calls of one interval: the operation mix of a multi-node run. */
static void interval_calls(struct swarm_stats *st, unsigned n)
{
	static const enum swarm_ep mix[] = {EP_GET_STEPS, EP_GET_STEPS, EP_GET_STEPS, EP_GET_STEPS, EP_POST_STEP,
	                                    EP_POST_STEP, EP_HOST_PROGRESS, EP_GET_CLUSTER, EP_LIST_HOSTS,
	                                    EP_REGISTER_HOST, EP_CLUSTER_PROGRESS, EP_HOST_LOGS_PROGRESS,
	                                    EP_UPLOAD_LOGS, EP_GET_OPERATORS, EP_PUT_OPERATOR, EP_REGISTER_CLUSTER,
	                                    EP_REGISTER_INFRAENV, EP_PATCH_CLUSTER, EP_INSTALL_CLUSTER,
	                                    EP_DOWNLOAD_FILE};
	for (unsigned i = 0; i < n; i++) {
		uint64_t r = next();
		enum swarm_ep ep = mix[r % (sizeof(mix) / sizeof(mix[0]))];
		/* log-uniform service time, 100 us .. ~2 s */
		uint64_t svc = 100000ull << ((r >> 8) % 14);
		svc += (r >> 20) % svc;
		uint64_t t0 = 1000000000ull;
		int status = (r >> 40) % 1000 == 0 ? 503 : 200;
		stats_record_call(st, ep, 0, status, t0 - (r >> 50) % 100000, t0, t0 + svc);
		if (i % 4 == 0)
			hist_record(&st->lateness, (r >> 30) % 300000);
	}
}

int main(int argc, char **argv)
{
	unsigned per = argc > 1 ? (unsigned)atoi(argv[1]) : 60000;
	unsigned rounds = argc > 2 ? (unsigned)atoi(argv[2]) : 100;
	struct swarm_stats *live = malloc(sizeof(*live)), *cut = malloc(sizeof(*cut)),
	                   *copy = malloc(sizeof(*copy)), *acc = malloc(sizeof(*acc));
	struct series *s = series_new(UINT64_C(10) * 1000000000);
	if (!live || !cut || !copy || !acc || !s || per == 0 || rounds == 0)
		return 2;
	stats_init(live);
	stats_init(cut);
	stats_init(copy);
	stats_init(acc);
	double t_shard = 0, t_main = 0, t_json = 0;
	size_t bytes = 0;
	for (unsigned k = 0; k < rounds; k++) {
		interval_calls(live, per);
		double a = now_s();
		stats_copy_summary(cut, live);            /* shard: on_cut() */
		double b = now_s();
		stats_copy_summary(copy, cut);            /* main: shard_series_get() */
		stats_free(acc);
		stats_init(acc);
		stats_merge(acc, copy);                   /* series_poll() */
		series_cut(s, acc, 10.0 * (k + 1));
		double c = now_s();
		json_t *j = series_interval_json(s, s->n - 1); /* results file */
		char *text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(9));
		double d = now_s();
		bytes += strlen(text);
		free(text);
		json_decref(j);
		t_shard += b - a;
		t_main += c - b;
		t_json += d - c;
	}
	double per_iv = (t_shard + t_main + t_json) / rounds;
	printf("requests per interval: %u, intervals: %u\n", per, rounds);
	printf("per interval: shard cut %.1f us, main-thread merge+diff %.1f us, JSON %.1f us; total %.1f us\n",
	       1e6 * t_shard / rounds, 1e6 * t_main / rounds, 1e6 * t_json / rounds, 1e6 * per_iv);
	printf("per request: %.4f us (%.3f ns)\n", 1e6 * per_iv / per, 1e9 * per_iv / per);
	printf("JSON per interval: %zu bytes on average\n", bytes / rounds);
	printf("{\"bench\":\"series_cut\",\"req_per_interval\":%u,\"shard_cut_us\":%.1f,\"main_us\":%.1f,"
	       "\"json_us\":%.1f,\"us_per_request\":%.5f,\"json_bytes_per_interval\":%zu}\n", per,
	       1e6 * t_shard / rounds, 1e6 * t_main / rounds, 1e6 * t_json / rounds, 1e6 * per_iv / per,
	       bytes / rounds);
	series_free(&s);
	stats_free(live);
	stats_free(cut);
	stats_free(copy);
	stats_free(acc);
	free(live);
	free(cut);
	free(copy);
	free(acc);
	return 0;
}
