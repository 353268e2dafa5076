/*
 * cmd_check: `swarm check` / `swarm --check` (see cmd.h): everything a run
 * would verify before creating anything, and nothing more. Loads both
 * files (exit 2 on any error), refuses what the run would refuse (a
 * cluster larger than a thread's share, a mode without a driver), reaches
 * the service with the run's own settings (component-versions: reachable
 * and the user credentials accepted; exit 4 otherwise), checks that every
 * OpenShift version of the plan is one the service offers
 * (openshift-versions; exit 2 otherwise) and prints the schedule with a
 * model of the load it makes.
 *
 * The model (README "Check"): a cluster of a shape lives about
 * model_cluster_seconds() (the plan's timings, scaled), each of its hosts
 * making about CHECK_CALLS_PER_HOST calls in that time (the measured SNO
 * lifecycle); clusters are admitted in schedule order while MAX_CONCURRENT
 * allows. Estimates, labelled as such.
 */
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "as_model.h"
#include "http_once.h"
#include "kube_preflight.h"
#include "kubeconfig.h"
#include "report.h"
#include "schedule.h"
#include "soak.h"
#include "sw_err.h"
#include "thresholds.h"

#define CHECK_TIMEOUT_MS 10000
/* Calls one emulated host makes from registration to installed, as
 * measured against the emulator (a mixed SNO / 3+2 plan: 70). */
#define CHECK_CALLS_PER_HOST 70.0

/* The model's cluster life in seconds, fitted to runs against the
 * emulator (an SNO installs in about 300 s of plan time with the default
 * timings): discovery (the service's monitor passes, about six cluster
 * polls and 20 s), the image write, the installer's stages, three
 * controller loops and two cluster polls; workers add about eight worker
 * polls. All divided by time_scale. */
static double model_cluster_seconds(const struct swarm_plan *p, const struct swarm_shape *sh)
{
	const struct swarm_timings *t = &p->timings;
	double ms = 8.0 * t->cluster_poll_ms + 20000.0 + t->write_image_ms + 12.0 * t->installer_stage_ms +
	            3.0 * t->controller_poll_ms;
	if (!sh->single_node && sh->num_workers)
		ms += 8.0 * t->worker_poll_ms;
	return ms / 1000.0 / (t->time_scale > 0 ? t->time_scale : 1);
}

/* A binary min-heap of (end time, hosts, calls/s) of admitted clusters. */
struct slot {
	double end;
	unsigned hosts;
	double rate;
};

static void heap_push(struct slot *h, size_t *n, struct slot s)
{
	size_t i = (*n)++;
	h[i] = s;
	while (i && h[(i - 1) / 2].end > h[i].end) {
		struct slot t = h[i];
		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static struct slot heap_pop(struct slot *h, size_t *n)
{
	struct slot top = h[0];
	h[0] = h[--*n];
	for (size_t i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < *n && h[l].end < h[m].end)
			m = l;
		if (r < *n && h[r].end < h[m].end)
			m = r;
		if (m == i)
			break;
		struct slot t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
	return top;
}

struct model {
	unsigned peak_hosts;
	double peak_rate, mean_rate, end_s, calls;
};

/* Admits |jobs| in order under |max_hosts|: peak hosts and request rate. */
static int model_run(const struct swarm_plan *p, const struct swarm_job *jobs, size_t n, unsigned max_hosts,
                     struct model *m)
{
	struct slot *h = n ? malloc(n * sizeof(*h)) : NULL;
	size_t nh = 0;
	unsigned hosts = 0;
	double rate = 0, t = 0;
	memset(m, 0, sizeof(*m));
	if (n && !h)
		return SW_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct swarm_shape *sh = &p->shapes[jobs[i].shape];
		unsigned need = swarm_shape_hosts(sh);
		double d = model_cluster_seconds(p, sh);
		double start = (double)jobs[i].start_ns / 1e9;
		if (start > t)
			t = start;
		while (nh && (h[0].end <= t || (hosts && hosts + need > max_hosts))) {
			struct slot s = heap_pop(h, &nh);
			if (s.end > t)
				t = s.end;
			hosts -= s.hosts;
			rate -= s.rate;
		}
		struct slot s = {t + d, need, need * CHECK_CALLS_PER_HOST / d};
		heap_push(h, &nh, s);
		hosts += need;
		rate += s.rate;
		m->calls += need * CHECK_CALLS_PER_HOST;
		if (hosts > m->peak_hosts)
			m->peak_hosts = hosts;
		if (rate > m->peak_rate)
			m->peak_rate = rate;
		if (s.end > m->end_s)
			m->end_s = s.end;
	}
	m->mean_rate = m->end_s > 0 ? m->calls / m->end_s : 0;
	free(h);
	return 0;
}

static const char *arrival_text(const struct swarm_arrival *a, char *buf, size_t len)
{
	switch (a->kind) {
	case SWARM_ARRIVAL_ASAP:
		snprintf(buf, len, "asap (as MAX_CONCURRENT allows)");
		break;
	case SWARM_ARRIVAL_RATE:
		snprintf(buf, len, "rate %g clusters/min%s", a->clusters_per_minute, a->poisson ? " (poisson)" : "");
		break;
	case SWARM_ARRIVAL_RAMP:
		snprintf(buf, len, "ramp %g -> %g clusters/min over %gs%s", a->start_per_minute, a->clusters_per_minute,
		         a->ramp_seconds, a->poisson ? " (poisson)" : "");
		break;
	case SWARM_ARRIVAL_BURST:
		snprintf(buf, len, "burst of %u every %gs%s", a->burst, a->burst_interval_seconds,
		         a->poisson ? " (poisson gaps)" : "");
		break;
	}
	return buf;
}

static void print_schedule(const struct swarm_plan *p, const struct swarm_opts *o, const struct swarm_job *jobs,
                           size_t njobs)
{
	char buf[160];
	uint64_t hosts = 0;
	for (size_t i = 0; i < njobs; i++)
		hosts += swarm_shape_hosts(&p->shapes[jobs[i].shape]);
	printf("plan %s: %zu shape%s; arrival %s; seed %llu; time_scale %g%s\n", p->path, p->nshapes,
	       p->nshapes == 1 ? "" : "s", arrival_text(&p->arrival, buf, sizeof(buf)), (unsigned long long)p->seed,
	       p->timings.time_scale, p->shuffle ? "; shuffled" : "");
	for (size_t s = 0; s < p->nshapes; s++) {
		const struct swarm_shape *sh = &p->shapes[s];
		printf("  shape %zu %-14s %u %s x %u host%s, a cluster lives ~%.1fs (model)\n", s,
		       swarm_shape_label(sh, buf, sizeof(buf)), sh->amount, p->soak ? "weight" : "clusters",
		       swarm_shape_hosts(sh), swarm_shape_hosts(sh) == 1 ? "" : "s", model_cluster_seconds(p, sh));
	}
	if (o->shard_count > 1)
		printf("shard %u of %u: %zu of the plan's clusters (global index %% %u == %u)\n", o->shard_index,
		       o->shard_count, njobs, o->shard_count, o->shard_index);
	if (p->soak) {
		const struct swarm_soak *sk = p->soak;
		double weight = 0, life = 0, hpc = 0;
		for (size_t s = 0; s < p->nshapes; s++) {
			weight += p->shapes[s].amount;
			life += p->shapes[s].amount * model_cluster_seconds(p, &p->shapes[s]);
			hpc += p->shapes[s].amount * (double)swarm_shape_hosts(&p->shapes[s]);
		}
		life /= weight;
		hpc /= weight;
		double lambda = p->arrival.kind == SWARM_ARRIVAL_ASAP ? o->max_concurrent / hpc / life
		              : p->arrival.clusters_per_minute / 60.0 / (o->shard_count ? o->shard_count : 1);
		double inflight = lambda * life * hpc;
		if (inflight > o->max_concurrent)
			inflight = o->max_concurrent;
		printf("soak: clusters keep arriving %s; finished clusters deleted after %.0fs; results snapshot "
		       "every %.0fs; rolling window %.0fs\n",
		       sk->duration_ns ? "for the soak duration" : "until stopped (SIGINT/SIGTERM)",
		       (double)sk->retention_ns / 1e9, (double)sk->snapshot_ns / 1e9, (double)sk->window_ns / 1e9);
		printf("model: ~%.2f clusters/s, ~%.0f hosts in flight (MAX_CONCURRENT %u), ~%.0f req/s, ~%.0f "
		       "clusters kept at the service by the retention; run %s\n",
		       lambda, inflight, o->max_concurrent, inflight * CHECK_CALLS_PER_HOST / life,
		       lambda * ((double)sk->retention_ns / 1e9 + life),
		       sk->duration_ns ? "as long as soak.duration (+ the last clusters' life)" : "until stopped");
		return;
	}
	printf("schedule: %zu clusters, %llu hosts; the last starts at +%.1fs\n", njobs,
	       (unsigned long long)hosts, njobs ? (double)jobs[njobs - 1].start_ns / 1e9 : 0.0);
	struct model m;
	if (model_run(p, jobs, njobs, o->max_concurrent, &m) == 0)
		printf("model: peak %u hosts in flight (MAX_CONCURRENT %u), peak ~%.0f req/s, ~%.0f req/s on "
		       "average, ~%.0f calls; the run takes ~%.0fs%s\n",
		       m.peak_hosts, o->max_concurrent, m.peak_rate, m.mean_rate, m.calls, m.end_s,
		       p->max_duration_s && m.end_s > p->max_duration_s ? " (more than max_duration: it would abort)" : "");
	printf("  (model: %.0f calls per host over a cluster's life; the service's own pace decides)\n",
	       CHECK_CALLS_PER_HOST);
}

/* One GET of the API with the run's user credentials. */
static int api_get(struct event_base *base, struct sw_client *c, const struct swarm_service *svc, const char *path,
                   struct http_once *ans, char *err, size_t errlen)
{
	struct sw_req *req = sw_req_new("GET", path);
	char *bearer = swarm_service_bearer(svc);
	int hrv = req ? sw_req_header(req, "accept", "application/json") : SW_ERR_NOMEM;
	if (!hrv && bearer)
		hrv = sw_req_header(req, "authorization", bearer);
	free(bearer);
	if (hrv) {
		sw_req_free(&req);
		snprintf(err, errlen, "GET %s: cannot build the request", path);
		return hrv;
	}
	return http_once(base, c, req, CHECK_TIMEOUT_MS, ans, err, errlen);
}

/* Does the service offer |want| ("4.16" or "4.16.3": its major.minor)? */
static int version_offered(const json_t *offer, const char *want)
{
	const char *k;
	json_t *v;
	char mm[32];
	int maj = 0, min = 0;
	if (json_object_get(offer, want))
		return 1;
	if (sscanf(want, "%d.%d", &maj, &min) != 2)
		return 0;
	snprintf(mm, sizeof(mm), "%d.%d", maj, min);
	json_object_foreach((json_t *)offer, k, v) {
		int a = 0, b = 0;
		if (sscanf(k, "%d.%d", &a, &b) == 2 && a == maj && b == min)
			return 1;
	}
	return 0;
}

static int check_service(const struct swarm_plan *p, const struct swarm_service *svc)
{
	struct sw_client_cfg cfg;
	struct http_once ans;
	char err[1024];
	int code = SWARM_EXIT_OK;
	struct event_base *base = event_base_new();
	if (!base)
		return cmd_fail("check", SWARM_EXIT_USAGE, "cannot create an event loop");
	swarm_service_client_cfg(svc, &cfg);
	cfg.connect_timeout_ms = cfg.tls_timeout_ms = cfg.request_timeout_ms = CHECK_TIMEOUT_MS;
	cfg.max_retries = 1;
	cfg.max_conns = 1;
	struct sw_client *c = sw_client_new(base, &cfg, err, sizeof(err));
	if (!c) {
		event_base_free(base);
		return cmd_fail("check", SWARM_EXIT_USAGE, "%s: %s", svc->path, err);
	}
	uint64_t t0 = sw_now_ns();
	int rv = api_get(base, c, svc, AS_API_BASE "/v2/component-versions", &ans, err, sizeof(err));
	if (rv < 0) {
		code = cmd_fail("check", SWARM_EXIT_UNREACHABLE, "service %s unreachable: %s", svc->endpoint, err);
		goto out;
	}
	if (ans.status == 401 || ans.status == 403) {
		code = cmd_fail("check", SWARM_EXIT_UNREACHABLE, "service %s refused the credentials: "
		                "component-versions answered HTTP %d (check auth and user_token in %s)",
		                svc->endpoint, ans.status, svc->path);
		goto out;
	}
	if (ans.status < 200 || ans.status > 299) {
		code = cmd_fail("check", SWARM_EXIT_UNREACHABLE, "service %s: component-versions answered HTTP %d",
		                svc->endpoint, ans.status);
		goto out;
	}
	printf("service %s: reachable, component-versions HTTP %d in %.1f ms; %s\n", svc->endpoint, ans.status,
	       (double)(sw_now_ns() - t0) / 1e6,
	       svc->auth == SWARM_AUTH_NONE ? "auth none" : "the user credentials were accepted");
	http_once_free(&ans);
	rv = api_get(base, c, svc, AS_API_BASE "/v2/openshift-versions", &ans, err, sizeof(err));
	if (rv < 0 || ans.status < 200 || ans.status > 299) {
		code = cmd_fail("check", SWARM_EXIT_UNREACHABLE, "service %s: openshift-versions: %s", svc->endpoint,
		                rv < 0 ? err : ans.status == 401 || ans.status == 403 ? "credentials refused"
		                                                                      : "not a 2xx answer");
		goto out;
	}
	json_t *offer = ans.body ? json_loads(ans.body, 0, NULL) : NULL;
	if (!json_is_object(offer)) {
		json_decref(offer);
		code = cmd_fail("check", SWARM_EXIT_UNREACHABLE, "service %s: openshift-versions is not a JSON object",
		                svc->endpoint);
		goto out;
	}
	const char **want = malloc((p->nshapes + 1) * sizeof(*want));
	size_t nw = 0;
	if (!want) {
		json_decref(offer);
		code = cmd_fail("check", SWARM_EXIT_USAGE, "out of memory");
		goto out;
	}
	want[nw++] = p->openshift_version;
	for (size_t s = 0; s < p->nshapes; s++)
		if (p->shapes[s].openshift_version)
			want[nw++] = p->shapes[s].openshift_version;
	for (size_t i = 0; i < nw; i++) {
		int dup = 0;
		for (size_t k = 0; k < i; k++)
			dup |= !strcmp(want[k], want[i]);
		if (dup)
			continue;
		if (!version_offered(offer, want[i])) {
			char list[512] = "";
			const char *k;
			json_t *v;
			json_object_foreach(offer, k, v) {
				size_t l = strlen(list);
				snprintf(list + l, sizeof(list) - l, "%s%s", l ? ", " : "", k);
			}
			code = cmd_fail("check", SWARM_EXIT_USAGE, "%s: openshift_version '%s' is not offered by %s "
			                "(it offers %s)", p->path, want[i], svc->endpoint, list);
			break;
		}
		printf("openshift version %s: offered\n", want[i]);
	}
	free(want);
	json_decref(offer);
out:
	http_once_free(&ans);
	sw_client_free(&c);
	event_base_free(base);
	return code;
}

/* Kube mode: the kubeconfig loads (malformed: exit 2) and the hub answers
 * the run's checks (kube_preflight.h) without anything being created
 * (exit 4 when it cannot be used). */
static int check_hub(const struct swarm_service *svc)
{
	struct kubeconfig kc;
	struct swarm_stats *st;
	struct event_base *base;
	char err[1024];
	int rv, code;

	memset(&kc, 0, sizeof(kc));
	rv = kubeconfig_load(svc->kubeconfig, &kc, err, sizeof(err));
	if (rv < 0) {
		kubeconfig_free(&kc);
		return cmd_fail("check", rv == SW_ERR_PARSE ? SWARM_EXIT_USAGE : SWARM_EXIT_UNREACHABLE, "kube mode: %s",
		                err);
	}
	base = event_base_new();
	st = malloc(sizeof(*st));
	if (!base || !st) {
		if (base)
			event_base_free(base);
		free(st);
		kubeconfig_free(&kc);
		return cmd_fail("check", SWARM_EXIT_USAGE, "out of memory");
	}
	stats_init(st);
	rv = kpre_access(base, svc, "swarm-check", &kc, st, err, sizeof(err));
	if (rv < 0) {
		code = cmd_fail("check", SWARM_EXIT_UNREACHABLE, "kube mode: %s", err);
	} else {
		printf("hub %s (%s): reachable, every resource of the run listable\n", kc.server, kc.source);
		code = SWARM_EXIT_OK;
	}
	stats_free(st);
	free(st);
	event_base_free(base);
	kubeconfig_free(&kc);
	return code;
}

int cmd_check_opts(const struct swarm_opts *o)
{
	struct swarm_plan plan;
	struct swarm_service svc;
	char err[1024], warn[2048];
	struct swarm_job *jobs = NULL;
	size_t njobs = 0;
	int code = SWARM_EXIT_USAGE;
	if (swarm_plan_load(o->plan_path, &plan, err, sizeof(err), warn, sizeof(warn)) < 0)
		return cmd_fail("check", SWARM_EXIT_USAGE, "%s", err);
	if (!o->quiet && *warn)
		fputs(warn, stderr);
	if (swarm_service_load(o->service_path, &svc, err, sizeof(err), warn, sizeof(warn)) < 0) {
		swarm_plan_free(&plan);
		return cmd_fail("check", SWARM_EXIT_USAGE, "%s", err);
	}
	if (!o->quiet && *warn)
		fputs(warn, stderr);
	if (plan.soak && !o->series_interval_ns) {
		code = cmd_fail("check", SWARM_EXIT_USAGE, "%s: a soak run needs the time series (--series-interval "
		                "above 0)", plan.path);
		goto out;
	}
	int rv = plan.soak ? 0 : schedule_build(&plan, &jobs, &njobs);
	if (rv < 0) {
		code = cmd_fail("check", SWARM_EXIT_USAGE, "%s: %s", plan.path,
		                rv == SW_ERR_NOMEM ? "out of memory building the schedule"
		                                   : "too many clusters (the sum of 'amount' is over 10000000)");
		goto out;
	}
	njobs = schedule_keep_shard(jobs, njobs, o->shard_index, o->shard_count);
	unsigned per_thread = o->max_concurrent / o->threads;
	for (size_t s = 0; s < plan.nshapes; s++) {
		const struct swarm_shape *sh = &plan.shapes[s];
		if (sh->amount && swarm_shape_hosts(sh) > per_thread) {
			code = cmd_fail("check", SWARM_EXIT_USAGE, "%s:%u: a cluster of clusters[%zu] has %u hosts, more "
			                "than the %u hosts in flight each thread may have (MAX_CONCURRENT %u / %u threads)",
			                plan.path, sh->line, s, swarm_shape_hosts(sh), per_thread, o->max_concurrent,
			                o->threads);
			goto out;
		}
	}
	printf("plan and service config: valid (%s, %s)\n", plan.path, svc.path);
	print_schedule(&plan, o, jobs, njobs);
	if (plan.thresholds) {
		size_t nabort = 0;
		for (size_t i = 0; i < plan.thresholds->n; i++)
			nabort += plan.thresholds->v[i].abort_on_fail != 0;
		printf("thresholds: %zu (%zu with abortOnFail); a failed one makes the run exit 99\n",
		       plan.thresholds->n, nabort);
	}
	if (plan.mode == SWARM_MODE_KUBE) {
		code = check_hub(&svc);
		if (code != SWARM_EXIT_OK)
			goto out;
		if (svc.auth == SWARM_AUTH_LOCAL) {
			/* the service refuses user calls under local auth, as a run expects */
			printf("service %s: not asked (local auth: user calls are refused; agents register "
			       "with the InfraEnvs' tokens)\n", svc.endpoint);
			printf("check passed: nothing was created (run: swarm %u %s %s)\n", o->max_concurrent,
			       o->plan_path, o->service_path);
			goto out;
		}
	}
	code = check_service(&plan, &svc);
	if (code == SWARM_EXIT_OK)
		printf("check passed: nothing was created (run: swarm %u %s %s)\n", o->max_concurrent, o->plan_path,
		       o->service_path);
out:
	free(jobs);
	swarm_service_free(&svc);
	swarm_plan_free(&plan);
	return code;
}
