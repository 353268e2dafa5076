/*
 * e2e_driver: runs one shard on a plan and service config without main.c
 * (a test harness for the engine): every cluster of the plan starts at once,
 * bounded by MAX_HOSTS. Prints "installed N failed M hosts_done K" and exits
 * with shard_run()'s result (0 = all installed).
 * Usage: e2e_driver MAX_HOSTS PLAN.yaml SERVICE.yaml
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "config.h"
#include "ids.h"
#include "shard.h"
#include "stats.h"

int main(int argc, char **argv)
{
	struct swarm_plan plan;
	struct swarm_service svc;
	struct swarm_opts opts;
	struct swarm_ctx ctx;
	struct swarm_shard *sh;
	struct swarm_stats st;
	char err[512];
	unsigned idx = 0;
	size_t i, k;
	int rv;

	if (argc != 4) {
		fprintf(stderr, "usage: %s MAX_HOSTS PLAN.yaml SERVICE.yaml\n", argv[0]);
		return 2;
	}
	if (swarm_plan_load(argv[2], &plan, err, sizeof(err), NULL, 0) != 0 ||
	    swarm_service_load(argv[3], &svc, err, sizeof(err), NULL, 0) != 0) {
		fprintf(stderr, "e2e_driver: %s\n", err);
		return 2;
	}
	memset(&opts, 0, sizeof(opts));
	memset(&ctx, 0, sizeof(ctx));
	ctx.plan = &plan;
	ctx.svc = &svc;
	ctx.opts = &opts;
	ctx.run_start_ns = sw_now_ns();
	snprintf(ctx.run_id, sizeof(ctx.run_id), "drv-%lld", (long long)time(NULL));
	sh = shard_new(&ctx, 0, (unsigned)atoi(argv[1]), err, sizeof(err));
	if (!sh) {
		fprintf(stderr, "e2e_driver: %s\n", err);
		swarm_plan_free(&plan);
		swarm_service_free(&svc);
		return 4;
	}
	for (i = 0; i < plan.nshapes; i++)
		for (k = 0; k < plan.shapes[i].amount; k++, idx++) {
			struct swarm_job job = { .index = idx, .shape = (unsigned)i, .start_ns = 0,
			                         .seed = ids_cluster_seed(plan.seed, idx) };
			shard_add_job(sh, &job);
		}
	rv = shard_run(sh);
	stats_init(&st);
	shard_snapshot(sh, &st);
	printf("installed %llu failed %llu hosts_done %lld requests %llu errors %llu cpu_ms %.1f\n",
	       (unsigned long long)st.clusters_installed, (unsigned long long)st.clusters_failed,
	       (long long)st.hosts_by_phase[HP_DONE], (unsigned long long)st.requests,
	       (unsigned long long)st.errors, (double)st.cpu_ns / 1e6);
	for (i = 0; i < st.nclusters; i++)
		if (st.clusters[i].failed)
			printf("failed %s: %s\n", st.clusters[i].name, st.clusters[i].failure);
	stats_free(&st);
	shard_free(&sh);
	shard_free(&sh);
	swarm_plan_free(&plan);
	swarm_service_free(&svc);
	return rv;
}
