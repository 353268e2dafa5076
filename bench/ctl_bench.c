/*
 * ctl_bench: throughput of the emulated controllers (tools/emulator-ctrl),
 * in process (hub + service model + controllers, no HTTP), on the BMAC
 * step the original swarm waits for: N BareMetalHosts of one InfraEnv whose
 * image is past its cooldown, all "ready" (as the BareMetal Operator leaves
 * them), until BMAC has given each its live ISO.
 *
 *  1. the emulator's own cost: call latency 0, the real clock: CPU time per
 *     BMAC reconcile and per BMH (what the emulator can sustain);
 *  2. the emulated hub's behaviour: each API write / database call holds a
 *     worker --kube-call-latency long (default 2 ms, time scale 1) on a
 *     virtual clock; time to prepare all N BMHs, throughput, the deepest
 *     queue and the queue wait, for 1 worker (BMAC_MAX_CONCURRENT_RECONCILES
 *     default) and for more.
 * Prints the figures and one JSON line.
 *
 * usage: ctl_bench [N_BMH] [CALL_LATENCY_MS] [WORKERS...]   (defaults 1000 2 1 4 16)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_int.h"

#define NS "bench"
#define PULL "{\"auths\":{\"cloud.openshift.com\":{\"auth\":\"dXNlcjpwYXNzd29yZA==\",\"email\":\"bench@example.com\"}}}"

struct clk {
	uint64_t mono;
	int64_t wall_ms;
};

static uint64_t c_mono(void *a)
{
	return ((struct clk *)a)->mono;
}

static int64_t c_wall(void *a)
{
	return ((struct clk *)a)->wall_ms;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "ctl_bench: %s\n", what);
	exit(1);
}

static void create(struct hub *h, enum kube_res_id res, json_t *o)
{
	if (hub_create(h, res, o, NULL, NULL) != 0)
		die("create failed");
	json_decref(o);
}

struct world {
	struct emu_model *m;
	struct hub *hub;
	struct ctl *c;
	struct clk clk;
};

/* The InfraEnv (no cluster: late binding) and its image, then N ready BMHs. */
static void setup(struct world *w, int n, unsigned workers, uint64_t latency_ns)
{
	char err[256];
	struct emu_model_cfg mc;
	emu_model_cfg_init(&mc);
	w->m = emu_model_new(&mc);
	struct hub_cfg hc = {.seed = 1};
	w->hub = hub_new(&hc, err, sizeof(err));
	if (!w->m || !w->hub)
		die(err);
	w->clk.mono = 1000000000ull;
	w->clk.wall_ms = (int64_t)time(NULL) * 1000;
	struct ctl_cfg cc = {.hub = w->hub, .model = w->m, .time_scale = 1, .call_latency_ns = latency_ns,
	                     .service_url = "http://127.0.0.1:8090"};
	cc.workers[CTL_BMAC] = workers;
	/* a virtual clock: the image's cooldown passes at once, and with a
	 * latency the workers' busy time is virtual too (CPU is measured apart) */
	cc.mono_ns = c_mono;
	cc.wall_ms = c_wall;
	cc.clock_arg = &w->clk;
	w->c = ctl_new(&cc, err, sizeof(err));
	if (!w->c)
		die(err);
	char *ps = ctl_b64_encode(PULL, strlen(PULL));
	create(w->hub, KUBE_RES_NAMESPACE, json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind",
	                                             "Namespace", "metadata", "name", NS));
	create(w->hub, KUBE_RES_SECRET, json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s}}", "apiVersion", "v1",
	                                          "kind", "Secret", "metadata", "name", "pull", "namespace",
	                                          NS, "data", ".dockerconfigjson", ps));
	free(ps);
	create(w->hub, KUBE_RES_INFRAENV,
	       json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:{s:s}}}", "apiVersion", "agent-install.openshift.io/v1beta1",
	                 "kind", "InfraEnv", "metadata", "name", "ie", "namespace", NS, "spec",
	                 "pullSecretRef", "name", "pull"));
	for (int i = 0; i < 50 && ctl_next_due(w->c) <= w->clk.mono; i++)
		ctl_run(w->c);
	/* past the image's cooldown */
	w->clk.wall_ms += 3600 * 1000;
	for (int i = 0; i < n; i++) {
		char name[32], mac[24];
		snprintf(name, sizeof(name), "bmh-%d", i);
		snprintf(mac, sizeof(mac), "02:00:%02x:%02x:%02x:%02x", i >> 24 & 255, i >> 16 & 255,
		         i >> 8 & 255, i & 255);
		json_t *b = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:{s:b,s:s,s:{s:s,s:s}}}", "apiVersion",
		                      "metal3.io/v1alpha1", "kind", "BareMetalHost", "metadata", "name", name,
		                      "namespace", NS, "labels", L_INFRAENV, "ie", "spec", "online", 1,
		                      "bootMACAddress", mac, "bmc", "address", "swarm", "credentialsName", "x");
		json_t *out = NULL;
		if (hub_create(w->hub, KUBE_RES_BAREMETALHOST, b, &out, NULL) != 0)
			die("create BMH");
		json_object_set_new(out, "status",
		                    json_pack("{s:i,s:s,s:s,s:b,s:i,s:{s:s,s:s}}", "errorCount", 0,
		                              "errorMessage", "", "operationalStatus", "discovered",
		                              "poweredOn", 1, "provisioningFailCount", 0, "provisioning",
		                              "state", "ready", "ID", ""));
		if (hub_update_status(w->hub, KUBE_RES_BAREMETALHOST, out, NULL, NULL) != 0)
			die("BMH status");
		json_decref(out);
		json_decref(b);
	}
}

static void teardown(struct world *w)
{
	ctl_free(&w->c);
	hub_free(&w->hub);
	emu_model_free(&w->m);
}

struct count {
	int with_image;
};

static int count_image(void *arg, const struct hub_blob *b)
{
	if (strstr(b->json, "\"image\":{"))
		((struct count *)arg)->with_image++;
	return 0;
}

static int prepared(struct world *w)
{
	struct count c = {0};
	hub_list(w->hub, KUBE_RES_BAREMETALHOST, NS, NULL, count_image, &c);
	return c.with_image;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	double lat_ms = argc > 2 ? atof(argv[2]) : 2.0;
	unsigned workers[8] = {1, 4, 16};
	int nw = 3;
	if (argc > 3) {
		nw = 0;
		for (int i = 3; i < argc && nw < 8; i++)
			workers[nw++] = (unsigned)atoi(argv[i]);
	}
	if (n < 1 || lat_ms < 0)
		die("usage: ctl_bench [N_BMH] [CALL_LATENCY_MS] [WORKERS...]");

	/* 1. the emulator's CPU per reconcile */
	struct world w;
	setup(&w, n, 1, 0);
	struct ctl_stats s0, s1;
	ctl_get_stats(w.c, &s0);
	double t0 = cpu_s();
	for (int i = 0; i < 100000 && ctl_next_due(w.c) != UINT64_MAX; i++)
		ctl_run(w.c);
	double cpu = cpu_s() - t0;
	ctl_get_stats(w.c, &s1);
	if (prepared(&w) != n)
		die("not every BMH was prepared");
	uint64_t rec = s1.reconciles[CTL_BMAC] - s0.reconciles[CTL_BMAC];
	printf("controller bench: %d BareMetalHosts of one InfraEnv, ready, image cooled down\n", n);
	printf("  emulator CPU (call latency 0): %.3f s for %llu BMAC reconciles: %.1f us per reconcile, "
	       "%.1f us per BMH\n", cpu, (unsigned long long)rec, cpu * 1e6 / (double)rec, cpu * 1e6 / n);
	teardown(&w);

	/* 2. emulated time with the call latency, per worker count */
	printf("  emulated (%.1f ms per API write / database call, time scale 1):\n", lat_ms);
	printf("  %-8s %-12s %-14s %-12s %-16s\n", "workers", "time (s)", "BMH/s", "max depth",
	       "p99 queue wait");
	char json[2048];
	size_t jl = (size_t)snprintf(json, sizeof(json),
	                             "{\"bench\":\"ctl_bmac\",\"bmh\":%d,\"cpu_us_per_reconcile\":%.1f,"
	                             "\"call_latency_ms\":%.1f,\"runs\":[", n, cpu * 1e6 / (double)rec, lat_ms);
	for (int k = 0; k < nw; k++) {
		setup(&w, n, workers[k], (uint64_t)(lat_ms * 1e6));
		uint64_t start = w.clk.mono;
		unsigned maxdepth = 0;
		struct ctl_stats st;
		for (int i = 0; i < 10000000; i++) {
			uint64_t due = ctl_next_due(w.c);
			if (due == UINT64_MAX)
				break;
			if (due > w.clk.mono)
				w.clk.mono = due;
			ctl_run(w.c);
			ctl_get_stats(w.c, &st);
			if (st.depth[CTL_BMAC] > maxdepth)
				maxdepth = st.depth[CTL_BMAC];
		}
		double secs = (double)(w.clk.mono - start) / 1e9;
		if (prepared(&w) != n)
			die("not every BMH was prepared");
		const struct ctl_queue_stats *qs = ctl_queue_stats(w.c->q[CTL_BMAC]);
		double p99 = (double)hist_quantile(&qs->queue_wait, 0.99) / 1e9;
		printf("  %-8u %-12.3f %-14.1f %-12u %.3f s\n", workers[k], secs, n / secs, maxdepth, p99);
		jl += (size_t)snprintf(json + jl, sizeof(json) - jl,
		                       "%s{\"workers\":%u,\"seconds\":%.3f,\"bmh_per_s\":%.1f,\"max_depth\":%u,"
		                       "\"p99_queue_wait_s\":%.3f}", k ? "," : "", workers[k], secs, n / secs,
		                       maxdepth, p99);
		teardown(&w);
	}
	snprintf(json + jl, sizeof(json) - jl, "]}");
	printf("%s\n", json);
	return 0;
}
