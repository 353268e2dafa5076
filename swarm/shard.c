#include "shard.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include "cluster.h"
#include "kshard.h"
#include "reap.h"
#include "rt.h"
#include "schedule.h"
#include "soak.h"
#include "sw_client.h"
#include "sw_err.h"
#include "sw_xalloc.h"

#define SHARD_PUBLISH_MS 250

/*
 * Fairness of a shard's loop. Schedule timers run first; completed replies
 * are handed to the agents in passes of at most SHARD_DELIVER_BATCH replies
 * or SHARD_SLICE_US; sockets are read only when no reply waits. After
 * SHARD_SLICE_US of such work the loop polls again, so a timer that fell
 * due meanwhile is late by about one slice plus one reply's handling (a
 * cluster with its hosts is the largest JSON parsed), however large the
 * burst of replies the service sends.
 */
enum { SHARD_PRIO_TIMER, SHARD_PRIO_DELIVER, SHARD_PRIO_IO, SHARD_NPRIO };
#define SHARD_SLICE_US 200
#define SHARD_DELIVER_BATCH 64
/* Retention deletions of a soak run in flight at once per shard. */
#define SHARD_REAP_INFLIGHT 32
/* Jobs a soak shard looks ahead to count the hosts waiting for a slot. */
#define SHARD_PEEK_JOBS 256

struct swarm_shard {
	struct swarm_ctx ctx;
	unsigned index, max_hosts;
	struct event_base *base;
	struct sw_client *client;
	struct swarm_rt rt;
	struct swarm_stats stats;     /* loop-owned */
	struct swarm_stats pub;       /* last published copy, under |mu| */
	pthread_mutex_t mu;
	struct swarm_job *jobs;
	size_t njobs, capjobs, next;  /* jobs sorted by start; |next| = first not started */
	struct swarm_cluster *clusters;
	unsigned hosts_in_flight;
	size_t finished;
	int any_failed, ran, stopped;
	int stop_fd;
	struct event job_ev, pub_ev, stop_ev, reap_ev;
	uint64_t cpu_start_ns;
	/* Time series (series.h): cumulative stats at each boundary, under |mu|. */
	struct swarm_stats cut;
	uint64_t cut_seq;            /* boundary index of |cut|; 0 = none */
	int finished_pub;            /* the final publish happened: |pub| is final */
	struct event cut_ev;
	uint64_t *hosts_before;      /* hosts_before[j] = hosts of jobs[0..j) */
	/* Soak runs (soak.h): an endless job stream instead of |jobs|. */
	int gen_on, gen_done, have_pend;
	struct jobgen gen;
	struct swarm_job pend;       /* the next job of |gen| (when |have_pend|) */
	uint64_t live;               /* clusters started and not finished */
	struct reap *reap;           /* retention deletions (soak), or NULL */
	const char **srcs;           /* this shard's source_addresses (borrowed strings) */
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int submit_client(void *arg, struct sw_link *link, struct sw_req *req, sw_resp_cb cb,
                         void *cbarg)
{
	return sw_client_request(arg, link, req, cb, cbarg);
}

static struct sw_link *link_new_client(void *arg)
{
	return sw_link_new(arg);
}

/* Hosts per local address of dedicated connections: one address has about
 * 28,000 ephemeral ports towards one target (Linux's default range). */
#define SHARD_CONNS_PER_SOURCE 20000u

/*
 * Local addresses of this shard's connections: the configured
 * source_addresses (dealt round-robin over the shards when there are
 * enough for each to have its own), else, for dedicated connections that
 * outnumber one address's ports, a block of loopback addresses of its own
 * (the client uses it only when the service is on 127.0.0.0/8).
 */
static void shard_sources(struct swarm_shard *sh, const struct swarm_ctx *ctx,
                          struct sw_client_cfg *cfg)
{
	const struct swarm_service *svc = ctx->svc;
	unsigned nthreads = ctx->opts && ctx->opts->threads ? ctx->opts->threads : 1;

	if (svc->nsource_addrs) {
		unsigned n = 0;
		sh->srcs = xcalloc(svc->nsource_addrs, sizeof(*sh->srcs));
		for (unsigned i = 0; i < svc->nsource_addrs; i++)
			if (svc->nsource_addrs < nthreads || i % nthreads == sh->index % nthreads)
				sh->srcs[n++] = svc->source_addrs[i];
		cfg->source_addrs = sh->srcs;
		cfg->nsource_addrs = n;
	} else if (svc->policy == SWARM_CONN_DEDICATED && sh->max_hosts > SHARD_CONNS_PER_SOURCE) {
		cfg->loopback_sources = (sh->max_hosts + SHARD_CONNS_PER_SOURCE - 1) / SHARD_CONNS_PER_SOURCE;
		cfg->loopback_first = sh->index * cfg->loopback_sources;
	}
}

struct swarm_shard *shard_new(const struct swarm_ctx *ctx, unsigned shard_index,
                              unsigned max_hosts, char *err, size_t errlen)
{
	struct swarm_shard *sh;
	struct sw_client_cfg cfg;
	const struct swarm_service *svc = ctx->svc;

	if (!ctx->plan || !svc || !svc->endpoint) {
		snprintf(err, errlen, "shard: plan and service (with an endpoint) are required");
		return NULL;
	}
	if (ctx->plan->mode == SWARM_MODE_KUBE && !ctx->kubeconfig) {
		snprintf(err, errlen, "shard: mode 'kube' needs the hub's kubeconfig");
		return NULL;
	}
	sh = xcalloc(1, sizeof(*sh));
	sh->ctx = *ctx;
	sh->index = shard_index;
	sh->max_hosts = max_hosts ? max_hosts : 1;
	sh->stop_fd = -1;
	stats_init(&sh->stats);
	stats_init(&sh->pub);
	stats_init(&sh->cut);
	pthread_mutex_init(&sh->mu, NULL);
	/* libevent defaults to CLOCK_MONOTONIC_COARSE on Linux, whose jiffy
	 * resolution (4 ms at HZ=250) would show up as schedule lateness. */
	struct event_config *ecfg = event_config_new();
	const struct timeval slice = {0, SHARD_SLICE_US};
	if (ecfg) {
		event_config_set_flag(ecfg, EVENT_BASE_FLAG_PRECISE_TIMER);
		/* Only this shard's thread touches its base (shard_stop writes an
		 * eventfd, snapshots take the stats mutex): no lock around every
		 * event_add/del/active. */
		event_config_set_flag(ecfg, EVENT_BASE_FLAG_NOLOCK);
		event_config_set_max_dispatch_interval(ecfg, &slice, -1, SHARD_PRIO_DELIVER);
	}
	sh->base = ecfg ? event_base_new_with_config(ecfg) : NULL;
	if (ecfg)
		event_config_free(ecfg);
	if (!sh->base || event_base_priority_init(sh->base, SHARD_NPRIO) != 0) {
		snprintf(err, errlen, "shard %u: event_base_new failed", shard_index);
		goto fail;
	}
	sh->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sh->stop_fd < 0) {
		snprintf(err, errlen, "shard %u: eventfd: %s", shard_index, strerror(errno));
		goto fail;
	}
	swarm_service_client_cfg(svc, &cfg);
	if (svc->policy == SWARM_CONN_SHARED)
		cfg.max_conns = svc->max_conns;
	shard_sources(sh, ctx, &cfg);
	cfg.deliver_batch = SHARD_DELIVER_BATCH;
	cfg.deliver_slice_us = SHARD_SLICE_US;
	sh->client = sw_client_new(sh->base, &cfg, err, errlen);
	if (!sh->client)
		goto fail;
	if (sw_client_set_priorities(sh->client, SHARD_PRIO_IO, SHARD_PRIO_DELIVER) != 0 ||
	    sw_client_set_flush_priority(sh->client, SHARD_PRIO_TIMER) != 0) {
		snprintf(err, errlen, "shard %u: event priorities refused", shard_index);
		goto fail;
	}
	/* The sh->ctx copy outlives the caller's struct. */
	rt_init(&sh->rt, sh->base, sh->client, &sh->stats, &sh->ctx,
	        ctx->plan->seed ^ (0x7368617264000000ull + shard_index));
	sh->rt.timer_prio = SHARD_PRIO_TIMER;
	sh->rt.submit = submit_client;
	sh->rt.submit_arg = sh->client;
	if (svc->policy == SWARM_CONN_DEDICATED) {
		sh->rt.link_new = link_new_client;
		sh->rt.link_free = sw_link_free;
	}
	sh->rt.owner = sh;
	if (ctx->plan->mode == SWARM_MODE_KUBE) {
		sh->rt.kube = kshard_new(&sh->rt, ctx->kubeconfig, svc->kube_proto, shard_index, err, errlen);
		if (!sh->rt.kube)
			goto fail;
		if (sw_client_set_priorities(kube_client_transport(kshard_client(sh->rt.kube)), SHARD_PRIO_IO,
		                             SHARD_PRIO_DELIVER) != 0) {
			snprintf(err, errlen, "shard %u: event priorities refused", shard_index);
			goto fail;
		}
	}
	if (ctx->plan->soak)
		sh->reap = reap_new(&sh->rt, SHARD_REAP_INFLIGHT);
	return sh;
fail:
	shard_free(&sh);
	return NULL;
}

void shard_set_stream(struct swarm_shard *sh, uint64_t first, uint64_t step)
{
	const struct swarm_soak *soak = sh->ctx.plan->soak;

	jobgen_init(&sh->gen, sh->ctx.plan, first, step, soak ? soak->duration_ns : 0);
	sh->gen_on = 1;
}

int shard_add_job(struct swarm_shard *sh, const struct swarm_job *job)
{
	if (!sh || !job)
		return SW_ERR_INVALID;
	if (sh->njobs == sh->capjobs) {
		sh->capjobs = sh->capjobs ? sh->capjobs * 2 : 16;
		sh->jobs = xrealloc(sh->jobs, sh->capjobs * sizeof(*sh->jobs));
	}
	sh->jobs[sh->njobs++] = *job;
	return 0;
}

static int job_cmp(const void *pa, const void *pb)
{
	const struct swarm_job *a = pa, *b = pb;

	if (a->start_ns != b->start_ns)
		return a->start_ns < b->start_ns ? -1 : 1;
	return a->index < b->index ? -1 : (a->index > b->index);
}

static unsigned job_hosts(struct swarm_shard *sh, const struct swarm_job *job)
{
	const struct swarm_plan *p = sh->ctx.plan;
	unsigned n;

	if (job->shape >= p->nshapes)
		return 1;
	n = swarm_shape_hosts(&p->shapes[job->shape]);
	return n ? (n > IDS_MAX_HOSTS ? IDS_MAX_HOSTS : n) : 1;
}

/* Jobs due by |now| (sorted by start): the first index not yet due. */
static size_t jobs_due(const struct swarm_shard *sh, uint64_t now)
{
	uint64_t rel = now > sh->ctx.run_start_ns ? now - sh->ctx.run_start_ns : 0;
	size_t lo = sh->next, hi = sh->njobs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sh->jobs[mid].start_ns <= rel)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Saturation gauges and CPU, refreshed before every copy of the stats:
 * calls in flight (or waiting for a retry) and hosts of clusters that are
 * due but held back by MAX_CONCURRENT. */
static void shard_gauges(struct swarm_shard *sh)
{
	if (sh->rt.kube)
		kshard_gauges(sh->rt.kube);
	sh->stats.cpu_ns = thread_cpu_ns() - sh->cpu_start_ns;
	sh->stats.calls_in_flight = (int64_t)sh->rt.calls_live;
	if (sh->client) {
		struct sw_client_stats cs;
		sw_client_get_stats(sh->client, &cs);
		sh->stats.goaways = cs.goaways;
	}
	sh->stats.hosts_waiting_slot = 0;
	if (sh->gen_on && sh->have_pend && !sh->rt.stopping) {
		/* Due jobs of the stream not started yet: peek ahead on a copy. */
		uint64_t now = sw_now_ns(), rel = now > sh->ctx.run_start_ns ? now - sh->ctx.run_start_ns : 0;
		struct jobgen peek = sh->gen;
		struct swarm_job j = sh->pend;
		for (unsigned k = 0; k < SHARD_PEEK_JOBS && j.start_ns <= rel; k++) {
			sh->stats.hosts_waiting_slot += job_hosts(sh, &j);
			if (jobgen_next(&peek, &j) <= 0)
				break;
		}
	}
	if (sh->hosts_before && !sh->rt.stopping) {
		size_t due = jobs_due(sh, sw_now_ns());
		if (due > sh->next)
			sh->stats.hosts_waiting_slot = (int64_t)(sh->hosts_before[due] - sh->hosts_before[sh->next]);
	}
}

/* Publishes the shard's stats for shard_snapshot(). Periodic publishes skip
 * the per-cluster records (progress and /metrics need only counters and
 * histograms); copying tens of thousands of records every 250 ms stalled the
 * loop for milliseconds. The final publish carries them for the report. */
static void publish(struct swarm_shard *sh, int with_records)
{
	shard_gauges(sh);
	pthread_mutex_lock(&sh->mu);
	if (!with_records)
		stats_copy_summary(&sh->pub, &sh->stats);
	else
		stats_move_records(&sh->pub, &sh->stats); /* the last publish: no cluster is left */
	if (with_records)
		sh->finished_pub = 1;
	pthread_mutex_unlock(&sh->mu);
}

static void start_cluster(struct swarm_shard *sh, const struct swarm_job *job, uint64_t now,
                          uint64_t due)
{
	struct swarm_cluster *cl = cluster_new(&sh->rt, job, sh->rt.kube ? &cluster_driver_kube
	                                                                 : &cluster_driver_rest);
	struct swarm_cluster_record rec;

	memset(&rec, 0, sizeof(rec));
	snprintf(rec.name, sizeof(rec.name), "%s", cl->name);
	rec.shape = job->shape;
	rec.hosts = cl->nhosts;
	rec.t_intended_ns = job->start_ns;
	rec.t_started_ns = now > sh->ctx.run_start_ns ? now - sh->ctx.run_start_ns : 0;
	rec.status = -1;
	cl->rec = stats_add_cluster(&sh->stats, &rec);
	cl->t_start_ns = now;
	cl->next = sh->clusters;
	sh->clusters = cl;
	sh->stats.clusters_started++;
	hist_record(&sh->stats.start_delay, now > due ? now - due : 0);
	sh->hosts_in_flight += cl->nhosts;
	sh->live++;
	if (cl->ops->start(cl) < 0)
		cluster_finish(cl, 1, "driver failed to start");
}

/* The next job to start: the sorted list's, or the stream's (soak). NULL
 * when there is none left (the stream ends with its duration). */
static const struct swarm_job *next_job(struct swarm_shard *sh, uint64_t now)
{
	if (!sh->gen_on)
		return sh->next < sh->njobs ? &sh->jobs[sh->next] : NULL;
	const struct swarm_soak *soak = sh->ctx.plan->soak;
	if (!sh->gen_done && soak && soak->duration_ns && now >= sh->ctx.run_start_ns + soak->duration_ns) {
		sh->gen_done = 1; /* admission closes; running clusters finish */
		sh->have_pend = 0;
	}
	if (!sh->have_pend && !sh->gen_done) {
		if (jobgen_next(&sh->gen, &sh->pend) > 0)
			sh->have_pend = 1;
		else
			sh->gen_done = 1;
	}
	return sh->have_pend ? &sh->pend : NULL;
}

static void check_done(struct swarm_shard *sh);

/* Starts every due job that fits; arms the timer for the next one. */
static void schedule_jobs(struct swarm_shard *sh)
{
	uint64_t now = sw_now_ns();
	const struct swarm_job *next;

	while (!sh->rt.stopping && (next = next_job(sh, now))) {
		uint64_t due = sh->ctx.run_start_ns + next->start_ns;
		unsigned n = job_hosts(sh, next);
		struct timeval tv;

		if (due > now) {
			uint64_t d = due - now;
			tv.tv_sec = (time_t)(d / 1000000000ull);
			tv.tv_usec = (suseconds_t)((d % 1000000000ull) / 1000);
			event_add(&sh->job_ev, &tv);
			return;
		}
		/* A cluster larger than the cap still runs, alone. */
		if (sh->hosts_in_flight > 0 && sh->hosts_in_flight + n > sh->max_hosts)
			return; /* a finishing cluster re-runs this */
		struct swarm_job job = *next;
		if (sh->gen_on) {
			/* The stream's clusters are counted as they start. */
			sh->have_pend = 0;
			sh->stats.clusters_total++;
			sh->stats.hosts_by_phase[HP_WAITING] += n;
		} else {
			sh->next++;
		}
		start_cluster(sh, &job, now, due);
		now = sw_now_ns();
	}
	if (sh->gen_on && sh->gen_done)
		check_done(sh);
}

static void on_job_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	schedule_jobs(arg);
}

static void check_done(struct swarm_shard *sh)
{
	if (sh->gen_on ? !sh->gen_done || sh->have_pend : sh->finished < sh->njobs)
		return;
	if (sh->clusters)
		return;
	if (sh->reap && !reap_idle(sh->reap)) {
		/* Pending retention deletions: at once with cleanup, else left to
		 * the journal (`swarm cleanup`). */
		if (!sh->ctx.plan->cleanup)
			return (void)event_base_loopexit(sh->base, NULL);
		reap_due_all(sh->reap);
		return; /* the reaper's idle hook comes back here */
	}
	event_base_loopexit(sh->base, NULL);
}

static void on_reap_idle(void *arg)
{
	check_done(arg);
}

/* Soak: drops the records of finished clusters (already folded into the
 * per-shape aggregates) once they outnumber the live ones, so memory does
 * not grow with the run's length. */
static void compact_records(struct swarm_shard *sh)
{
	const struct swarm_soak *soak = sh->ctx.plan->soak;
	size_t n = sh->stats.nclusters;

	if (n <= 2 * sh->live + soak->keep_failed + 64)
		return;
	long *map = xmalloc(n * sizeof(*map));
	stats_compact_records(&sh->stats, soak->keep_failed, map);
	for (struct swarm_cluster *cl = sh->clusters; cl; cl = cl->next)
		if (cl->rec >= 0 && (size_t)cl->rec < n)
			cl->rec = map[cl->rec];
	free(map);
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct swarm_shard *sh = arg;
	struct swarm_cluster **pp = &sh->clusters;

	(void)fd;
	(void)what;
	while (*pp) {
		struct swarm_cluster *cl = *pp;
		if (cl->finished && !cl->owner.live) {
			*pp = cl->next;
			cluster_free(&cl);
		} else {
			pp = &cl->next;
		}
	}
	check_done(sh);
}

static void hook_cluster_finished(struct swarm_rt *rt, struct swarm_cluster *cl)
{
	struct swarm_shard *sh = rt->owner;
	struct swarm_cluster_record *rec = cluster_record(cl);

	/* Its outcome into the shape's aggregates (what survives compaction). */
	if (rec)
		stats_fold_cluster(&sh->stats, rec);
	sh->hosts_in_flight -= cl->nhosts < sh->hosts_in_flight ? cl->nhosts : sh->hosts_in_flight;
	sh->finished++;
	if (sh->live)
		sh->live--;
	if (sh->reap && !rt->stopping)
		reap_add(sh->reap, cl->cluster_id, cl->infra_env_id,
		         sw_now_ns() + sh->ctx.plan->soak->retention_ns);
	if (sh->gen_on)
		compact_records(sh);
	if (cl->failed)
		sh->any_failed = 1;
	/* Deferred: admission must not run inside the finishing call's callback. */
	event_active(&sh->job_ev, EV_TIMEOUT, 0);
}

static void hook_cluster_idle(struct swarm_rt *rt, struct swarm_cluster *cl)
{
	struct swarm_shard *sh = rt->owner;

	(void)cl;
	event_active(&sh->reap_ev, EV_TIMEOUT, 0);
}

static void on_publish(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	publish(arg, 0);
}

/* Arms the series timer for boundary |cut_seq| + 1 (boundaries are
 * multiples of the interval after the run start, the same in every shard). */
static void arm_cut(struct swarm_shard *sh)
{
	uint64_t iv = sh->ctx.opts ? sh->ctx.opts->series_interval_ns : 0;
	if (!iv)
		return;
	uint64_t due = sh->ctx.run_start_ns + (sh->cut_seq + 1) * iv, now = sw_now_ns();
	uint64_t us = due > now ? (due - now + 999) / 1000 : 0; /* never before the boundary */
	struct timeval tv = {(time_t)(us / 1000000), (suseconds_t)(us % 1000000)};
	event_add(&sh->cut_ev, &tv);
}

static void on_cut(evutil_socket_t fd, short what, void *arg)
{
	struct swarm_shard *sh = arg;
	uint64_t iv = sh->ctx.opts->series_interval_ns, now = sw_now_ns();
	(void)fd;
	(void)what;
	shard_gauges(sh);
	pthread_mutex_lock(&sh->mu);
	stats_copy_summary(&sh->cut, &sh->stats);
	/* A loop stalled past several boundaries cuts the latest one. */
	uint64_t k = now > sh->ctx.run_start_ns ? (now - sh->ctx.run_start_ns) / iv : 0;
	sh->cut_seq = k > sh->cut_seq ? k : sh->cut_seq + 1;
	pthread_mutex_unlock(&sh->mu);
	arm_cut(sh);
}

uint64_t shard_series_get(struct swarm_shard *sh, struct swarm_stats *out)
{
	uint64_t seq;
	pthread_mutex_lock(&sh->mu);
	seq = sh->finished_pub ? UINT64_MAX : sh->cut_seq;
	if (out)
		stats_copy_summary(out, sh->finished_pub ? &sh->pub : &sh->cut);
	pthread_mutex_unlock(&sh->mu);
	return seq;
}

static void abort_all(struct swarm_shard *sh)
{
	struct swarm_cluster *cl;

	if (sh->rt.stopping)
		return;
	sh->rt.stopping = 1;
	for (cl = sh->clusters; cl; cl = cl->next) {
		if (cl->finished)
			continue;
		/* An infra-env whose hosts are all discovered and holding has done its work. */
		if (cl->holding && cl->shape && cl->shape->just_infraenv)
			cluster_finish(cl, 0, NULL);
		else
			cluster_finish(cl, 1, "aborted");
	}
	/* Jobs that never started are counted as failed too (a soak's stream
	 * has no end: its unstarted clusters were never part of the run). */
	for (; !sh->gen_on && sh->next < sh->njobs; sh->next++) {
		const struct swarm_job *job = &sh->jobs[sh->next];
		struct swarm_cluster_record rec;
		unsigned n = job_hosts(sh, job), i;
		const struct swarm_shape *shape = &sh->ctx.plan->shapes[job->shape];

		memset(&rec, 0, sizeof(rec));
		ids_cluster_name(shape->name_prefix, sh->ctx.run_id, job->index, rec.name,
		                 sizeof(rec.name));
		rec.shape = job->shape;
		rec.hosts = n;
		rec.t_intended_ns = job->start_ns;
		rec.status = -1;
		rec.failed = 1;
		snprintf(rec.failure, sizeof(rec.failure), "aborted before start");
		stats_add_cluster(&sh->stats, &rec);
		stats_fold_cluster(&sh->stats, &rec);
		sh->stats.clusters_failed++;
		for (i = 0; i < n; i++)
			stats_host_phase(&sh->stats, HP_WAITING, HP_FAILED);
		sh->finished++;
		sh->any_failed = 1;
	}
	event_base_loopexit(sh->base, NULL);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct swarm_shard *sh = arg;
	uint64_t v;

	(void)what;
	while (read(fd, &v, sizeof(v)) > 0)
		;
	abort_all(sh);
}

int shard_run(struct swarm_shard *sh)
{
	struct timeval pub_tv = { 0, SHARD_PUBLISH_MS * 1000 };
	struct swarm_cluster *cl;
	size_t i;

	if (!sh || sh->ran)
		return SW_ERR_STATE;
	sh->ran = 1;
	sh->cpu_start_ns = thread_cpu_ns();
	/* A shard may get no job (fewer clusters than threads): qsort(NULL, 0)
	 * is undefined behaviour. */
	if (sh->njobs)
		qsort(sh->jobs, sh->njobs, sizeof(*sh->jobs), job_cmp);
	sh->stats.clusters_total += sh->njobs;
	sh->hosts_before = xmalloc((sh->njobs + 1) * sizeof(*sh->hosts_before));
	sh->hosts_before[0] = 0;
	for (i = 0; i < sh->njobs; i++) {
		/* every host of every job waits until its cluster boots it */
		sh->stats.hosts_by_phase[HP_WAITING] += job_hosts(sh, &sh->jobs[i]);
		sh->hosts_before[i + 1] = sh->hosts_before[i] + job_hosts(sh, &sh->jobs[i]);
	}
	if (sh->reap)
		reap_on_idle(sh->reap, on_reap_idle, sh);
	sh->rt.cluster_finished = hook_cluster_finished;
	sh->rt.cluster_idle = hook_cluster_idle;
	rt_timer_assign(&sh->rt, &sh->job_ev, on_job_timer, sh);
	event_assign(&sh->reap_ev, sh->base, -1, 0, on_reap, sh);
	event_assign(&sh->pub_ev, sh->base, -1, EV_PERSIST, on_publish, sh);
	event_assign(&sh->stop_ev, sh->base, sh->stop_fd, EV_READ | EV_PERSIST, on_stop, sh);
	event_add(&sh->stop_ev, NULL);
	event_add(&sh->pub_ev, &pub_tv);
	rt_timer_assign(&sh->rt, &sh->cut_ev, on_cut, sh);
	arm_cut(sh);
	publish(sh, 0);
	if (sh->rt.kube)
		kshard_start(sh->rt.kube);
	if (sh->njobs || sh->gen_on) {
		schedule_jobs(sh);
		event_base_dispatch(sh->base);
	}
	/* Tear down: whatever is still in flight is cancelled, not counted. */
	sh->rt.stopping = 1;
	event_del(&sh->pub_ev);
	event_del(&sh->stop_ev);
	event_del(&sh->job_ev);
	event_del(&sh->reap_ev);
	event_del(&sh->cut_ev);
	shard_gauges(sh); /* the client's last counters (and the hub side's), before they go */
	if (sh->rt.kube)
		kshard_free(&sh->rt.kube); /* the hub side goes first: its dropped calls never call back */
	sw_client_free(&sh->client);
	sh->rt.client = NULL;
	sh->rt.submit = NULL;
	/* Calls waiting for a retry hold their cluster: free them first. */
	rt_cleanup(&sh->rt);
	reap_free(&sh->reap);
	while (sh->clusters) {
		cl = sh->clusters;
		sh->clusters = cl->next;
		cluster_free(&cl);
	}
	publish(sh, 1);
	return sh->any_failed ? 1 : 0;
}

void shard_stop(struct swarm_shard *sh)
{
	uint64_t one = 1;
	ssize_t n;

	if (!sh || sh->stop_fd < 0)
		return;
	n = write(sh->stop_fd, &one, sizeof(one));
	(void)n;
}

int shard_merge_into(struct swarm_shard *sh, struct swarm_stats *out, int take)
{
	int rv;

	if (!sh || !out)
		return SW_ERR_INVALID;
	pthread_mutex_lock(&sh->mu);
	rv = take ? stats_merge_take(out, &sh->pub) : stats_merge(out, &sh->pub);
	pthread_mutex_unlock(&sh->mu);
	return rv;
}

int shard_snapshot(struct swarm_shard *sh, struct swarm_stats *out)
{
	int rv;

	if (!sh || !out)
		return SW_ERR_INVALID;
	pthread_mutex_lock(&sh->mu);
	rv = stats_copy(out, &sh->pub);
	pthread_mutex_unlock(&sh->mu);
	return rv;
}

void shard_free(struct swarm_shard **shp)
{
	struct swarm_shard *sh;

	if (!shp || !*shp)
		return;
	sh = *shp;
	if (sh->base) {
		/* never ran: clusters cannot exist, but calls (D0) cannot either */
		sh->rt.stopping = 1;
		kshard_free(&sh->rt.kube);
		sw_client_free(&sh->client);
		if (sh->rt.base)
			rt_cleanup(&sh->rt);
		reap_free(&sh->reap);
		while (sh->clusters) {
			struct swarm_cluster *cl = sh->clusters;
			sh->clusters = cl->next;
			cluster_free(&cl);
		}
		event_base_free(sh->base);
	}
	if (sh->stop_fd >= 0)
		close(sh->stop_fd);
	stats_free(&sh->stats);
	stats_free(&sh->pub);
	stats_free(&sh->cut);
	pthread_mutex_destroy(&sh->mu);
	free(sh->hosts_before);
	free(sh->srcs);
	free(sh->jobs);
	free(sh);
	*shp = NULL;
}
