/*
 * swarm: command line entry point. Parses options, loads the plan and the
 * service config, builds the cluster schedule, runs one shard per thread,
 * and keeps the main thread on its own event loop for the progress view,
 * the optional /metrics endpoint, signals and the max_duration deadline.
 * At the end it merges every shard's stats, prints the summary and writes
 * the results JSON. Exit codes: see usage() and report.h.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "as_model.h"
#include "apigen.h"
#include "config.h"
#include "kube_preflight.h"
#include "cmd.h"
#include "metrics.h"
#include "orch.h"
#include "progress.h"
#include "push.h"
#include "report.h"
#include "results.h"
#include "schedule.h"
#include "series.h"
#include "shard.h"
#include "startup.h"
#include "stats.h"
#include "sw_duration.h"
#include "sw_err.h"
#include "sw_fdlimit.h"
#include "sw_client.h"
#include "sw_http.h"
#include "sw_server.h"
#include "svcmetrics.h"

#ifndef SWARM_VERSION
#define SWARM_VERSION "0.0.0"
#endif

#define MAX_THREADS 256u
#define MAX_CONCURRENT_LIMIT 100000000u
#define CHECK_PERIOD_MS 100

enum stop_reason { STOP_NONE, STOP_SIGNAL, STOP_DEADLINE, STOP_SETUP, STOP_THRESHOLD };

struct shard_thread {
	struct swarm_shard *sh;
	pthread_t tid;
	int started;
	int rv;
	atomic_int done;
};

struct run {
	struct event_base *base;
	struct swarm_ctx ctx;
	struct swarm_opts *opts;
	struct shard_thread *th;
	unsigned nth;
	enum stop_reason stop;
	int setup_rv;            /* first negative shard_run result */
	unsigned setup_shard;
	unsigned signals;
	struct progress *prog;   /* NULL when progress is off */
	struct sw_server *metrics;
	struct series *series;   /* NULL with --series-interval 0 */
	struct svcm *svcm;       /* service_metrics scraper, or NULL */
	struct swarm_stats *mainst; /* the main thread's own calls (start-up check) */
	int lingering;           /* --metrics-linger after the run: a signal ends it */
	struct orch orch;        /* journal, thresholds, soak snapshots (orch.h) */
	struct event *ev_tick, *ev_check, *ev_deadline, *ev_int, *ev_term;
	atomic_ulong finite_left; /* ctx.finite_left */
};

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: swarm [OPTIONS] MAX_CONCURRENT PLAN.yaml SERVICE.yaml\n"
	        "       swarm check|cleanup|merge|publish ...   (swarm COMMAND --help)\n"
	        "\n"
	        "Load-tests an assisted-service by emulating installer agents (hosts) of many\n"
	        "clusters from one process. PLAN.yaml and SERVICE.yaml are the original\n"
	        "assisted-swarm test plan and service config, with optional extensions.\n"
	        "MAX_CONCURRENT (> 0) bounds the hosts in flight (split across threads).\n"
	        "\n"
	        "Options:\n"
	        "  -t, --threads N          event-loop threads (shards), default 1\n"
	        "  -r, --results FILE       results JSON file, default swarm-results.json\n"
	        "  -m, --metrics ADDR:PORT  serve Prometheus metrics on http://ADDR:PORT/metrics\n"
	        "      --progress MODE      auto (live line on a terminal, else plain), live,\n"
	        "                           plain or off; default auto\n"
	        "      --interval DURATION  progress interval, e.g. 500ms, 10s\n"
	        "                           (default 1s live, 10s plain)\n"
	        "      --series-interval DURATION\n"
	        "                           time series interval of the results file, e.g. 1s;\n"
	        "                           default 10s, 0 = no series\n"
	        "      --metrics-linger DURATION\n"
	        "                           keep serving the final metrics this long after the run\n"
	        "      --push URL           push the final metrics to this Prometheus Pushgateway\n"
	        "      --startup-timeout DURATION\n"
	        "                           how long the start-up check retries an unavailable\n"
	        "                           service (overrides startup_timeout; default 60s)\n"
	        "      --check              validate both files, reach the service, print the\n"
	        "                           schedule and exit (like 'swarm check')\n"
	        "      --shard I/N          run shard I of N of the plan (disjoint clusters)\n"
	        "      --shards N           N shards, the index from JOB_COMPLETION_INDEX\n"
	        "      --run-id ID          the run's id (shared by its shards; SWARM_RUN_ID)\n"
	        "      --start-at UNIX_TIME start the run's clock then (aligns shards)\n"
	        "      --journal FILE|off   cleanup journal, default RESULTS.journal\n"
	        "  -q, --quiet              no progress and no warnings (summary still printed)\n"
	        "  -v, --verbose            print the configuration and schedule at start\n"
	        "  -h, --help               show this help and exit\n"
	        "  -V, --version            show the version and exit\n"
	        "\n"
	        "Exit codes:\n"
	        "  0  every cluster installed\n"
	        "  1  some clusters failed\n"
	        "  2  usage or configuration error\n"
	        "  3  aborted (SIGINT/SIGTERM or the plan's max_duration)\n"
	        "  4  service unreachable or setup failed at start\n"
	        "  5  every cluster installed, but the push to the Pushgateway failed\n"
	        "  6  the results file could not be written at the end of the run\n"
	        " 99  a threshold of the plan failed (precedence: 6, 4, 3, 99, 1, 5)\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "swarm: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'swarm --help' for more information.\n");
	return SWARM_EXIT_USAGE;
}

/* Returns -1 to continue, or the exit code (help/version/usage error). */
static int parse_args(int argc, char **argv, struct swarm_opts *o)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"threads", required_argument, NULL, 't'},
		{"results", required_argument, NULL, 'r'},
		{"metrics", required_argument, NULL, 'm'},
		{"progress", required_argument, NULL, 'P'},
		{"interval", required_argument, NULL, 'I'},
		{"series-interval", required_argument, NULL, 'S'},
		{"push", required_argument, NULL, 'U'},
		{"metrics-linger", required_argument, NULL, 'L'},
		{"startup-timeout", required_argument, NULL, 'T'},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"check", no_argument, NULL, ORCH_OPT_CHECK},
		{"shard", required_argument, NULL, ORCH_OPT_SHARD},
		{"shards", required_argument, NULL, ORCH_OPT_SHARDS},
		{"run-id", required_argument, NULL, ORCH_OPT_RUN_ID},
		{"start-at", required_argument, NULL, ORCH_OPT_START_AT},
		{"journal", required_argument, NULL, ORCH_OPT_JOURNAL},
		{NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof(*o));
	o->threads = 1;
	o->results_path = "swarm-results.json";
	o->progress = -1;
	o->series_interval_ns = UINT64_C(10) * 1000000000;
	o->startup_timeout_ms = -1;
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, "+hVt:r:m:qv", longopts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'h':
			usage(stdout);
			return SWARM_EXIT_OK;
		case 'V':
			printf("swarm %s\n", SWARM_VERSION);
			return SWARM_EXIT_OK;
		case 't':
			if (orch_parse_uint(optarg, 1, MAX_THREADS, &o->threads) < 0)
				return usage_error("--threads: expected an integer from 1 to 256, got '%s'", optarg);
			break;
		case 'r':
			if (!*optarg)
				return usage_error("--results: empty file name%s", "");
			o->results_path = optarg;
			break;
		case 'm':
			if (!strchr(optarg, ':'))
				return usage_error("--metrics: expected ADDR:PORT (e.g. 127.0.0.1:9100), got '%s'", optarg);
			o->metrics_listen = optarg;
			break;
		case 'P':
			if (!strcmp(optarg, "auto"))
				o->progress = -1;
			else if (!strcmp(optarg, "plain"))
				o->progress = 0;
			else if (!strcmp(optarg, "live"))
				o->progress = 1;
			else if (!strcmp(optarg, "off"))
				o->progress = -2;
			else
				return usage_error("--progress: expected auto, live, plain or off, got '%s'", optarg);
			break;
		case 'I': {
			uint64_t ns = 0;
			if (sw_duration_parse(optarg, &ns) < 0 || ns < 100000000ull ||
			    ns > UINT64_C(3600) * 1000000000)
				return usage_error("--interval: expected a duration from 100ms to 1h (e.g. 10s), got '%s'",
				                   optarg);
			o->progress_interval_ms = (unsigned)(ns / 1000000);
			break;
		}
		case 'S': {
			uint64_t ns = 0;
			if (sw_duration_parse(optarg, &ns) < 0 || (ns && ns < 100000000ull) ||
			    ns > UINT64_C(3600) * 1000000000)
				return usage_error("--series-interval: expected 0 or a duration from 100ms to 1h "
				                   "(e.g. 10s), got '%s'", optarg);
			o->series_interval_ns = ns;
			break;
		}
		case 'L': {
			uint64_t ns = 0;
			if (sw_duration_parse(optarg, &ns) < 0 || ns > UINT64_C(3600) * 1000000000)
				return usage_error("--metrics-linger: expected a duration up to 1h (e.g. 5s), got '%s'", optarg);
			o->metrics_linger_ns = ns;
			break;
		}
		case 'T': {
			uint64_t ns = 0;
			if (sw_duration_parse(optarg, &ns) < 0 || ns > UINT64_C(3600) * 1000000000)
				return usage_error("--startup-timeout: expected a duration up to 1h (e.g. 60s, 0s), "
				                   "got '%s'", optarg);
			o->startup_timeout_ms = (int64_t)(ns / 1000000);
			break;
		}
		case 'U':
			if (strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8))
				return usage_error("--push: expected an http:// or https:// Pushgateway URL, got '%s'",
				                   optarg);
			o->push_url = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case ORCH_OPT_CHECK:
		case ORCH_OPT_SHARD:
		case ORCH_OPT_SHARDS:
		case ORCH_OPT_RUN_ID:
		case ORCH_OPT_START_AT:
		case ORCH_OPT_JOURNAL: {
			int rc = orch_opt(c, optarg, o);
			if (rc >= 0)
				return rc;
			break;
		}
		case '?':
		default:
			if (optopt)
				fprintf(stderr, "swarm: option '-%c' is unknown or needs an argument\n", optopt);
			else
				fprintf(stderr, "swarm: option '%s' is unknown or needs an argument\n",
				        argv[optind - 1]);
			fprintf(stderr, "Try 'swarm --help' for more information.\n");
			return SWARM_EXIT_USAGE;
		}
	}
	int npos = argc - optind;
	if (npos != 3) {
		fprintf(stderr, "swarm: expected 3 arguments (MAX_CONCURRENT PLAN.yaml SERVICE.yaml), got %d\n"
		        "Usage: swarm [OPTIONS] MAX_CONCURRENT PLAN.yaml SERVICE.yaml\n"
		        "Try 'swarm --help' for more information.\n", npos);
		return SWARM_EXIT_USAGE;
	}
	if (orch_parse_uint(argv[optind], 1, MAX_CONCURRENT_LIMIT, &o->max_concurrent) < 0)
		return usage_error("MAX_CONCURRENT: expected a positive integer (hosts in flight), got '%s'",
		                   argv[optind]);
	o->plan_path = argv[optind + 1];
	o->service_path = argv[optind + 2];
	if (o->threads > o->max_concurrent)
		return usage_error("--threads is larger than MAX_CONCURRENT (%s): every thread needs at least one host",
		                   argv[optind]);
	return orch_env(o);
}

static unsigned term_width(void)
{
	struct winsize ws;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	const char *c = getenv("COLUMNS");
	unsigned v = 0;
	if (c && orch_parse_uint(c, 20, 1000, &v) == 0)
		return v;
	return 80;
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Merges every shard's current snapshot into |out| (initialised here);
 * with |take| (the final merge) the shards' records move into |out|. */
static int merged_snapshot_ex(struct run *r, struct swarm_stats *out, int take)
{
	int rv = 0;
	stats_init(out);
	for (unsigned i = 0; i < r->nth && rv == 0; i++)
		rv = shard_merge_into(r->th[i].sh, out, take);
	return rv;
}

static int merged_snapshot(struct run *r, struct swarm_stats *out)
{
	return merged_snapshot_ex(r, out, 0);
}

static void stop_all(struct run *r, enum stop_reason why)
{
	if (r->stop == STOP_NONE)
		r->stop = why;
	for (unsigned i = 0; i < r->nth; i++)
		shard_stop(r->th[i].sh);
}

/* orch_hooks: the merged stats with the main thread's own calls. */
static int orch_snapshot(void *arg, struct swarm_stats *out)
{
	struct run *r = arg;
	int rv = merged_snapshot(r, out);
	return rv == 0 && r->mainst ? stats_merge(out, r->mainst) : rv;
}

static void orch_abort(void *arg)
{
	struct run *r = arg;
	if (r->prog)
		progress_finish(r->prog, stderr);
	stop_all(r, STOP_THRESHOLD);
}

static void *shard_main(void *arg)
{
	struct shard_thread *t = arg;
	t->rv = shard_run(t->sh);
	atomic_store(&t->done, 1);
	return NULL;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct run *r = arg;
	(void)what;
	if (r->lingering) {
		event_base_loopbreak(r->base);
		return;
	}
	r->signals++;
	if (r->prog)
		progress_finish(r->prog, stderr);
	if (r->signals > 1) {
		fprintf(stderr, "swarm: second %s, exiting at once without a report\n",
		        sig == SIGINT ? "SIGINT" : "SIGTERM");
		_exit(SWARM_EXIT_ABORTED);
	}
	fprintf(stderr, "swarm: %s received, stopping (pending clusters count as aborted; "
	        "press again to exit at once)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	stop_all(r, STOP_SIGNAL);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	(void)fd;
	(void)what;
	if (r->prog)
		progress_finish(r->prog, stderr);
	fprintf(stderr, "swarm: max_duration of %us reached, stopping\n", r->ctx.plan->max_duration_s);
	stop_all(r, STOP_DEADLINE);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	struct swarm_stats *st = malloc(sizeof(*st));
	(void)fd;
	(void)what;
	if (!st)
		return;
	if (merged_snapshot(r, st) == 0) {
		uint64_t now = sw_now_ns();
		if (r->prog->live)
			r->prog->width = term_width(); /* follow terminal resizes */
		r->prog->extra = r->orch.window_text;
		progress_print(r->prog, stderr, st, now, now - r->ctx.run_start_ns);
	}
	stats_free(st);
	free(st);
}

/* Collects the shards' cuts into the time series (series.h); shard
 * pointers are gathered here so series.c needs no thread bookkeeping. */
static void poll_series(struct run *r)
{
	struct swarm_shard *sh[MAX_THREADS];
	unsigned n = 0;
	for (unsigned i = 0; i < r->nth && n < MAX_THREADS; i++)
		if (r->th[i].sh && r->th[i].started)
			sh[n++] = r->th[i].sh;
	if (n && series_poll(r->series, sh, n, r->mainst) < 0)
		fprintf(stderr, "swarm: out of memory recording the time series\n");
}

static void on_check(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	unsigned done = 0;
	(void)fd;
	(void)what;
	for (unsigned i = 0; i < r->nth; i++) {
		if (!atomic_load(&r->th[i].done))
			continue;
		done++;
		if (r->th[i].rv < 0 && r->setup_rv == 0) {
			r->setup_rv = r->th[i].rv;
			r->setup_shard = i;
			stop_all(r, STOP_SETUP);
		}
	}
	if (r->series)
		poll_series(r);
	orch_tick(&r->orch, sw_now_ns());
	if (done == r->nth)
		event_base_loopbreak(r->base);
}

static void on_metrics(void *arg, struct sw_exchange *x, struct sw_sreq *req)
{
	struct run *r = arg;
	if (strcmp(req->path, "/metrics") != 0) {
		static const char msg[] = "not found: try /metrics\n";
		sw_exchange_reply_mem(x, 404, "text/plain; charset=utf-8", msg, sizeof(msg) - 1);
		return;
	}
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		static const char msg[] = "method not allowed\n";
		sw_exchange_reply_mem(x, 405, "text/plain; charset=utf-8", msg, sizeof(msg) - 1);
		return;
	}
	struct swarm_stats *st = malloc(sizeof(*st));
	struct evbuffer *buf = evbuffer_new();
	/* The main thread's own calls (start-up check) belong to the totals too. */
	if (!st || !buf || merged_snapshot(r, st) < 0 || (r->mainst && stats_merge(st, r->mainst) < 0) ||
	    metrics_render(buf, st, r->ctx.run_id, SWARM_VERSION,
	                   (double)(sw_now_ns() - r->ctx.run_start_ns) / 1e9) < 0 ||
	    orch_render_metrics(&r->orch, buf) < 0) {
		static const char msg[] = "out of memory\n";
		sw_exchange_reply_mem(x, 500, "text/plain; charset=utf-8", msg, sizeof(msg) - 1);
	} else {
		sw_exchange_reply(x, 200, NULL, "text/plain; version=0.0.4; charset=utf-8", buf);
	}
	if (st)
		stats_free(st);
	free(st);
	if (buf)
		evbuffer_free(buf);
}

/* The API generation of the service (apigen.h): the config's, or for
 * `auto` in REST mode the one probe's answer. Printed unless quiet. */
static int detect_api_generation(struct event_base *base, const struct swarm_service *svc,
                                 const struct swarm_plan *plan, struct swarm_stats *st, int quiet)
{
	char why[256];
	enum swarm_api_gen g = apigen_from_config(svc);
	if (g != SWARM_GEN_UNKNOWN || plan->mode != SWARM_MODE_REST)
		return (int)g;
	g = apigen_probe(base, svc, st, 10000, why, sizeof(why));
	if (!quiet) {
		if (g == SWARM_GEN_UNKNOWN)
			fprintf(stderr, "swarm: api_generation auto: probe inconclusive (%s); speaking the "
			        "current generation\n", why);
		else
			fprintf(stderr, "swarm: api_generation auto: the service speaks the %s generation\n",
			        apigen_name(g));
	}
	return (int)g;
}

static void on_linger_end(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/*
 * --metrics-linger: keeps /metrics up with the final values for |ns| after
 * the results are written, so a scraper sees the last requests of a short
 * run. Only the metrics server runs meanwhile; a signal ends it early.
 */
static void linger_metrics(struct run *r, uint64_t ns)
{
	if (!r->metrics || !ns)
		return;
	if (r->ev_tick)
		event_del(r->ev_tick);
	if (r->ev_check)
		event_del(r->ev_check);
	if (r->ev_deadline)
		event_del(r->ev_deadline);
	struct event *end = evtimer_new(r->base, on_linger_end, r->base);
	if (!end)
		return;
	struct timeval tv = {(time_t)(ns / 1000000000ull), (suseconds_t)((ns % 1000000000ull) / 1000)};
	evtimer_add(end, &tv);
	if (!r->opts->quiet)
		fprintf(stderr, "swarm: /metrics stays up for %.1fs (--metrics-linger)\n", (double)ns / 1e9);
	r->lingering = 1;
	event_base_dispatch(r->base);
	event_free(end);
}

/*
 * Pushes the final metrics and the run's outcome when a Pushgateway is
 * configured (--push wins over the service config). Returns the results
 * file's "push" object ({"url", "job", "instance", "ok", "error"}), or NULL
 * when no push was asked for. A failure is printed here.
 */
static json_t *run_push(const struct swarm_service *svc, const struct swarm_opts *o,
                        const struct swarm_stats *final, const struct report_run *run)
{
	const char *url = o->push_url ? o->push_url : svc->push_url;
	const char *job = svc->push_job ? svc->push_job : "swarm";
	char err[1024] = "";
	if (!url)
		return NULL;
	struct evbuffer *body = evbuffer_new();
	int rv = SW_ERR_NOMEM;
	if (body) {
		metrics_render(body, final, run->run_id, run->version, run->duration_s);
		push_render_run(body, run);
		rv = push_metrics(svc, url, job, run->run_id, body, err, sizeof(err));
		evbuffer_free(body);
	} else {
		snprintf(err, sizeof(err), "out of memory");
	}
	if (rv < 0)
		fprintf(stderr, "swarm: push to the Pushgateway %s failed: %s\n", url, err);
	else if (!o->quiet)
		fprintf(stderr, "swarm: metrics pushed to %s (job %s, instance %s)\n", url, job, run->run_id);
	return json_pack("{s:s, s:s, s:s, s:b, s:o}", "url", url, "job", job, "instance", run->run_id,
	                 "ok", rv == 0, "error", rv < 0 ? json_string(err) : json_null());
}

static void print_plan(const struct swarm_plan *p, const struct swarm_job *jobs, size_t njobs,
                       const struct swarm_opts *o)
{
	static const char *const kinds[] = {"asap", "rate", "ramp", "burst"};
	uint64_t hosts = 0;
	for (size_t i = 0; i < njobs; i++)
		hosts += swarm_shape_hosts(&p->shapes[jobs[i].shape]);
	fprintf(stderr, "swarm: plan %s: %zu shape%s, %zu cluster%s, %llu host%s; arrival %s%s; seed %llu; "
	        "time_scale %g\n", p->path, p->nshapes, report_plural(p->nshapes), njobs,
	        report_plural(njobs), (unsigned long long)hosts, report_plural(hosts),
	        kinds[p->arrival.kind], p->arrival.poisson ? " (poisson)" : "",
	        (unsigned long long)p->seed, p->timings.time_scale);
	for (size_t s = 0; s < p->nshapes; s++) {
		const struct swarm_shape *sh = &p->shapes[s];
		fprintf(stderr, "swarm:   shape %zu (line %u): %u x %u host%s (%u control plane + %u worker%s)%s%s\n",
		        s, sh->line, sh->amount, swarm_shape_hosts(sh), report_plural(swarm_shape_hosts(sh)),
		        sh->single_node ? 1 : sh->control_plane, sh->num_workers,
		        report_plural(sh->num_workers), sh->just_infraenv ? ", infraenv only" : "",
		        sh->with_nmstate ? ", nmstate" : "");
	}
	if (njobs)
		fprintf(stderr, "swarm: last cluster starts at +%.1fs; %u host%s in flight over %u thread%s\n",
		        (double)jobs[njobs - 1].start_ns / 1e9, o->max_concurrent, report_plural(o->max_concurrent),
		        o->threads, report_plural(o->threads));
}

static void print_warnings(const char *w)
{
	if (w && *w)
		fputs(w, stderr);
}

/*
 * Raises RLIMIT_NOFILE to what the run can use: one descriptor per host in
 * flight with dedicated connections, the pools' connections otherwise, and
 * room for the rest (event fds, metrics, files). Says on stderr what it
 * raised (the hard limit needs root or CAP_SYS_RESOURCE), and what a limit
 * it could not raise means for the run.
 */
static void raise_fd_limit(const struct swarm_plan *plan, const struct swarm_service *svc,
                           const struct swarm_opts *o)
{
	uint64_t hosts = 0, want;
	struct sw_fdlimit lim;
	char msg[320];
	int rv;

	for (size_t s = 0; s < plan->nshapes; s++)
		hosts += (uint64_t)plan->shapes[s].amount * swarm_shape_hosts(&plan->shapes[s]);
	if (hosts > o->max_concurrent)
		hosts = o->max_concurrent;
	if (svc->policy == SWARM_CONN_DEDICATED)
		want = hosts + 1024;
	else
		want = (uint64_t)o->threads * (svc->max_conns ? svc->max_conns : 64) + 1024;
	rv = sw_fdlimit_raise(want, &lim, msg, sizeof(msg));
	if (rv == 0 && msg[0] && !o->quiet)
		fprintf(stderr, "swarm: %s\n", msg);
	if (rv < 0 && !o->quiet) {
		fprintf(stderr, "swarm: %s\n", msg);
		if (svc->policy == SWARM_CONN_DEDICATED && lim.soft < want)
			fprintf(stderr, "swarm: with dedicated connections at most about %llu hosts can hold "
			        "one at once; the others' connections fail (connect errors) until one closes\n",
			        (unsigned long long)(lim.soft > 1024 ? lim.soft - 1024 : 0));
	}
}

int main(int argc, char **argv)
{
	struct swarm_opts opts;
	struct swarm_plan plan;
	struct swarm_service svc;
	struct swarm_job *jobs = NULL;
	size_t njobs = 0;
	struct run r;
	struct swarm_stats *final = NULL;
	struct swarm_stats *mainst = NULL;
	char *agent_image = NULL;
	int unreachable = 0;
	char unreachable_msg[1280] = "";
	struct kubeconfig kubecfg;
	int have_kube = 0, kubecfg_rv = 0;
	char kubecfg_err[1024] = "";
	memset(&kubecfg, 0, sizeof(kubecfg));
	char err[1024], warn[2048];
	int have_plan = 0, have_svc = 0;
	if (argc > 1 && cmd_find(argv[1]))
		return cmd_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "check"))
		argv[1] = (char *)"--check"; /* `swarm check ...` is `swarm --check ...` */
	int code = parse_args(argc, argv, &opts);
	if (code >= 0)
		return code;
	if (opts.check)
		return cmd_check_opts(&opts);
	memset(&r, 0, sizeof(r));
	r.opts = &opts;
	code = SWARM_EXIT_USAGE;

	if (swarm_plan_load(opts.plan_path, &plan, err, sizeof(err), warn, sizeof(warn)) < 0) {
		fprintf(stderr, "swarm: %s\n", err);
		goto out;
	}
	have_plan = 1;
	if (!opts.quiet)
		print_warnings(warn);
	if (swarm_service_load(opts.service_path, &svc, err, sizeof(err), warn, sizeof(warn)) < 0) {
		fprintf(stderr, "swarm: %s\n", err);
		goto out;
	}
	have_svc = 1;
	if (!opts.quiet)
		print_warnings(warn);
	if (opts.startup_timeout_ms >= 0)
		svc.startup_timeout_ms = (unsigned)opts.startup_timeout_ms;

	/* An unwritable results path is found now, not after the whole run. */
	if (results_check_path(opts.results_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "swarm: --results %s\n", err);
		goto out;
	}

	if (plan.mode == SWARM_MODE_KUBE) {
		/* a malformed kubeconfig is a configuration error (exit 2); one that
		 * cannot be found or used ends the run at the hub check (exit 4) */
		kubecfg_rv = kubeconfig_load(svc.kubeconfig, &kubecfg, kubecfg_err, sizeof(kubecfg_err));
		if (kubecfg_rv == SW_ERR_PARSE) {
			fprintf(stderr, "swarm: %s\n", kubecfg_err);
			goto out;
		}
	}

	int rv = schedule_build(&plan, &jobs, &njobs);
	if (rv < 0) {
		fprintf(stderr, "swarm: %s: %s\n", plan.path,
		        rv == SW_ERR_NOMEM ? "out of memory building the schedule"
		                           : "too many clusters (the sum of 'amount' is over 10000000)");
		goto out;
	}
	if (plan.soak && !opts.series_interval_ns) {
		fprintf(stderr, "swarm: %s: a soak run needs the time series (--series-interval above 0)\n", plan.path);
		goto out;
	}
	/* --shard I/N: this process runs the clusters i with i % N == I. */
	njobs = schedule_keep_shard(jobs, njobs, opts.shard_index, opts.shard_count);
	unsigned per_thread = opts.max_concurrent / opts.threads;
	for (size_t s = 0; s < plan.nshapes; s++) {
		const struct swarm_shape *sh = &plan.shapes[s];
		if (sh->amount && swarm_shape_hosts(sh) > per_thread) {
			fprintf(stderr, "swarm: %s:%u: a cluster of clusters[%zu] has %u hosts, more than the %u "
			        "host%s in flight each thread may have (MAX_CONCURRENT %u / %u thread%s): "
			        "it could never start; raise MAX_CONCURRENT or lower --threads\n",
			        plan.path, sh->line, s, swarm_shape_hosts(sh), per_thread, report_plural(per_thread),
			        opts.max_concurrent, opts.threads, report_plural(opts.threads));
			goto out;
		}
	}
	if (opts.verbose)
		print_plan(&plan, jobs, njobs, &opts);
	raise_fd_limit(&plan, &svc, &opts);

	/* Shards' loops are driven from other threads (shard_stop, snapshots). */
	evthread_use_pthreads();
	signal(SIGPIPE, SIG_IGN);

	r.base = event_base_new();
	if (!r.base) {
		fprintf(stderr, "swarm: cannot create the main event loop\n");
		goto out;
	}
	r.ctx.plan = &plan;
	r.ctx.svc = &svc;
	r.ctx.opts = &opts;
	double start_wall = wall_now();
	/* The pid keeps two runs started in the same second apart (object names). */
	if (opts.run_id)
		snprintf(r.ctx.run_id, sizeof(r.ctx.run_id), "%s", opts.run_id);
	else
		snprintf(r.ctx.run_id, sizeof(r.ctx.run_id), "swarm-%lld-%d", (long long)start_wall,
		         (int)(getpid() % 100000));
	orch_init(&r.orch, &opts, &plan, &svc, SWARM_VERSION);
	r.orch.hooks = (struct orch_hooks){.arg = &r, .snapshot = orch_snapshot, .abort = orch_abort};
	r.nth = opts.threads;
	r.th = calloc(r.nth, sizeof(*r.th));
	if (!r.th) {
		fprintf(stderr, "swarm: out of memory\n");
		goto out;
	}
	mainst = malloc(sizeof(*mainst));
	if (!mainst) {
		fprintf(stderr, "swarm: out of memory\n");
		goto out;
	}
	stats_init(mainst);
	r.mainst = mainst;
	if (opts.series_interval_ns && !(r.series = series_new(opts.series_interval_ns))) {
		fprintf(stderr, "swarm: out of memory\n");
		goto out;
	}
	/* Before the shards exist and before the run's clock starts, so a slow
	 * answer does not count as schedule delay. A client that cannot even be
	 * set up (CA file, certificate) is a configuration error (exit 2). */
	int cfg_bad = 0, pf_status = 0;
	uint64_t pf_start = sw_now_ns();
	rv = startup_check(r.base, &svc, mainst, opts.quiet, &agent_image, &cfg_bad, &pf_status, err,
	                   sizeof(err));
	if (rv < 0 && plan.mode == SWARM_MODE_KUBE && svc.auth == SWARM_AUTH_LOCAL && pf_status == 401) {
		/* kube mode under local auth: the service refuses every user call,
		 * as it should; it answered, and the agents learn their version
		 * from registration */
		if (!opts.quiet)
			fprintf(stderr, "swarm: component-versions refused (401) under local auth, as the "
			        "service refuses user calls: agents use the version registration gives them\n");
		rv = 0;
	}
	if (rv < 0 && cfg_bad) {
		fprintf(stderr, "swarm: %s: %s\n", svc.path, err);
		goto out;
	}
	if (rv == SW_ERR_CANCELLED) {
		/* SIGINT/SIGTERM while the service was being retried: aborted. */
		fprintf(stderr, "swarm: %s\n", err);
		r.stop = STOP_SIGNAL;
		mainst->clusters_total = njobs;
		r.ctx.run_start_ns = pf_start;
		r.nth = 0;
		goto report;
	}
	if (rv < 0) {
		/* Printed after the (short) summary, so it is the last line seen. */
		snprintf(unreachable_msg, sizeof(unreachable_msg), "service %s unreachable: %s", svc.endpoint,
		         err);
		unreachable = 1; /* no shard runs; the report still gets written */
		mainst->clusters_total = njobs; /* the plan's, though none started */
		r.ctx.run_start_ns = pf_start;
		r.nth = 0;
		goto report;
	}
	if (plan.mode == SWARM_MODE_KUBE) {
		/* the hub: usable, or the run ends before any object exists */
		rv = kubecfg_rv;
		if (rv < 0)
			snprintf(err, sizeof(err), "%s", kubecfg_err);
		else
			rv = kpre_check(r.base, &svc, r.ctx.run_id, &kubecfg, mainst, err, sizeof(err));
		if (rv < 0) {
			fprintf(stderr, "swarm: kube mode: %s\n", err);
			unreachable = 1;
			r.ctx.run_start_ns = pf_start;
			r.nth = 0;
			goto report;
		}
		have_kube = 1;
		r.ctx.kubeconfig = &kubecfg;
		r.ctx.kube_imageset = r.ctx.run_id;
		if (!opts.quiet)
			fprintf(stderr, "swarm: kube mode: hub %s (%s%s%s), ClusterImageSet %s\n", kubecfg.server,
			        kubecfg.source, kubecfg.context ? ", context " : "",
			        kubecfg.context ? kubecfg.context : "", r.ctx.run_id);
	}
	r.ctx.versions_known = 1;
	r.ctx.agent_image = agent_image;
	r.ctx.api_gen = detect_api_generation(r.base, &svc, &plan, mainst, opts.quiet);
	/* discovery_hold: until_end holders end once every other cluster did. */
	unsigned long finite = 0;
	for (size_t j = 0; j < njobs; j++)
		finite += !plan.shapes[jobs[j].shape].hold_until_end;
	atomic_init(&r.finite_left, finite);
	r.ctx.finite_left = &r.finite_left;
	if (orch_begin(&r.orch, &r.ctx, r.series, start_wall, err, sizeof(err)) < 0) {
		fprintf(stderr, "swarm: %s\n", err);
		goto out;
	}
	if (!agent_image && !opts.quiet)
		fprintf(stderr, "swarm: component-versions names no discovery-agent image; agents use "
		        "the one registration gives them\n");
	r.ctx.run_start_ns = r.orch.run_start_ns = orch_wait_start(&r.orch);
	if (opts.start_at > 0) /* the run's clock started then, for every shard */
		start_wall = r.orch.start_wall = opts.start_at;
	for (unsigned i = 0; i < r.nth; i++) {
		unsigned max_hosts = per_thread + (i < opts.max_concurrent % opts.threads ? 1 : 0);
		r.th[i].sh = shard_new(&r.ctx, i, max_hosts, err, sizeof(err));
		if (!r.th[i].sh) {
			/* Setup refused the configuration (CA file, mode, ...): a config error. */
			fprintf(stderr, "swarm: %s\n", err);
			code = SWARM_EXIT_USAGE;
			goto out;
		}
	}
	/* A soak run's stream: thread t of process shard s takes the global
	 * indices s + N*t + N*T*k. */
	for (unsigned t = 0; plan.soak && t < r.nth; t++)
		shard_set_stream(r.th[t].sh, opts.shard_index + (uint64_t)opts.shard_count * t,
		                 (uint64_t)opts.shard_count * r.nth);
	for (size_t j = 0; !plan.soak && j < njobs; j++) {
		if (shard_add_job(r.th[j % r.nth].sh, &jobs[j]) < 0) {
			fprintf(stderr, "swarm: out of memory adding cluster jobs\n");
			goto out;
		}
	}

	if (opts.metrics_listen) {
		struct sw_server_cfg mcfg;
		memset(&mcfg, 0, sizeof(mcfg));
		mcfg.listen = opts.metrics_listen;
		r.metrics = sw_server_new(r.base, &mcfg, on_metrics, &r, err, sizeof(err));
		if (!r.metrics) {
			fprintf(stderr, "swarm: --metrics %s: %s\n", opts.metrics_listen, err);
			goto out;
		}
		if (!opts.quiet)
			fprintf(stderr, "swarm: metrics on http://%s/metrics\n", opts.metrics_listen);
	}

	if (svc.service_metrics.url && !(r.svcm = svcm_new(r.base, &svc, r.series, err, sizeof(err)))) {
		fprintf(stderr, "swarm: %s\n", err);
		goto out;
	}

	struct progress prog;
	int live = opts.progress == 1 || (opts.progress == -1 && isatty(STDERR_FILENO));
	if (!opts.quiet && opts.progress != -2) {
		progress_init(&prog, live, term_width());
		r.prog = &prog;
		unsigned ms = opts.progress_interval_ms ? opts.progress_interval_ms : live ? 1000 : 10000;
		struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
		r.ev_tick = event_new(r.base, -1, EV_PERSIST, on_tick, &r);
		if (r.ev_tick)
			event_add(r.ev_tick, &tv);
	}
	{
		struct timeval tv = {0, CHECK_PERIOD_MS * 1000};
		r.ev_check = event_new(r.base, -1, EV_PERSIST, on_check, &r);
		r.ev_int = evsignal_new(r.base, SIGINT, on_signal, &r);
		r.ev_term = evsignal_new(r.base, SIGTERM, on_signal, &r);
		if (!r.ev_check || !r.ev_int || !r.ev_term) {
			fprintf(stderr, "swarm: cannot set up the main loop events\n");
			goto out;
		}
		event_add(r.ev_check, &tv);
		event_add(r.ev_int, NULL);
		event_add(r.ev_term, NULL);
	}
	if (plan.max_duration_s) {
		struct timeval tv = {(time_t)plan.max_duration_s, 0};
		r.ev_deadline = evtimer_new(r.base, on_deadline, &r);
		if (r.ev_deadline)
			evtimer_add(r.ev_deadline, &tv);
	}

	if (!opts.quiet) {
		char what[64];
		if (plan.soak)
			snprintf(what, sizeof(what), "a soak (clusters keep arriving)");
		else
			snprintf(what, sizeof(what), "%zu cluster%s", njobs, report_plural(njobs));
		fprintf(stderr, "swarm: run %s: %s, %u host%s in flight max, %u thread%s, against %s\n",
		        r.ctx.run_id, what, opts.max_concurrent, report_plural(opts.max_concurrent), r.nth,
		        report_plural(r.nth), svc.endpoint);
	}
	for (unsigned i = 0; i < r.nth; i++) {
		if (pthread_create(&r.th[i].tid, NULL, shard_main, &r.th[i]) != 0) {
			fprintf(stderr, "swarm: cannot start thread %u\n", i);
			stop_all(&r, STOP_SETUP);
			break;
		}
		r.th[i].started = 1;
	}
	event_base_dispatch(r.base);
	for (unsigned i = 0; i < r.nth; i++)
		if (r.th[i].started)
			pthread_join(r.th[i].tid, NULL);
	/* A shard that failed to set up may only be noticed now. */
	for (unsigned i = 0; i < r.nth; i++) {
		if (r.th[i].started && r.th[i].rv < 0 && r.setup_rv == 0) {
			r.setup_rv = r.th[i].rv;
			r.setup_shard = i;
			if (r.stop == STOP_NONE)
				r.stop = STOP_SETUP;
		}
	}
	if (have_kube && plan.cleanup && r.stop == STOP_NONE &&
	    kpre_cleanup(r.base, &svc, &kubecfg, r.ctx.run_id, mainst, err, sizeof(err)) < 0)
		fprintf(stderr, "swarm: cleanup: %s\n", err);
report:;
	double end_wall = wall_now();
	uint64_t dur_ns = sw_now_ns() - r.ctx.run_start_ns;
	if (r.prog)
		progress_finish(r.prog, stderr);
	if (!opts.metrics_linger_ns)
		sw_server_free(&r.metrics);

	final = malloc(sizeof(*final));
	/* The shards are done: their records move to |final| (no second copy). */
	if (!final || merged_snapshot_ex(&r, final, 1) < 0 || stats_merge(final, mainst) < 0) {
		fprintf(stderr, "swarm: out of memory merging results\n");
		code = SWARM_EXIT_FAILED;
		goto out;
	}
	int any_failed = final->clusters_failed > 0;
	for (unsigned i = 0; i < r.nth; i++)
		if (r.th[i].rv == 1)
			any_failed = 1;
	const char *reason;
	if (unreachable) {
		code = SWARM_EXIT_UNREACHABLE;
		reason = "unreachable";
	} else if (r.stop == STOP_SETUP || r.setup_rv < 0) {
		code = SWARM_EXIT_UNREACHABLE;
		reason = "unreachable";
		fprintf(stderr, "swarm: shard %u could not run against %s: %s\n", r.setup_shard,
		        svc.endpoint, sw_err_name(r.setup_rv));
	} else if (r.stop == STOP_SIGNAL) {
		code = SWARM_EXIT_ABORTED;
		reason = "signal";
	} else if (r.stop == STOP_DEADLINE) {
		code = SWARM_EXIT_ABORTED;
		reason = "max_duration";
	} else if (r.stop == STOP_THRESHOLD) {
		code = SWARM_EXIT_THRESHOLDS;
		reason = "thresholds";
	} else if (any_failed) {
		code = SWARM_EXIT_FAILED;
		reason = "failed";
	} else {
		code = SWARM_EXIT_OK;
		reason = "installed";
	}
	struct report_run run = {
		.run_id = r.ctx.run_id, .version = SWARM_VERSION, .start_wall = start_wall,
		.end_wall = end_wall, .duration_s = (double)dur_ns / 1e9, .plan = &plan, .svc = &svc,
		.opts = &opts, .exit_code = code, .exit_reason = reason,
		.exit_message = unreachable_msg[0] ? unreachable_msg : NULL,
	};
	if (r.series && series_cut(r.series, final, run.duration_s) < 0)
		fprintf(stderr, "swarm: out of memory recording the time series\n");
	json_t *svcm_status = r.svcm ? svcm_status_json(r.svcm) : NULL;
	svcm_free(&r.svcm);
	json_t *orch_members = orch_finish(&r.orch, final, run.duration_s, r.stop == STOP_THRESHOLD, &code,
	                                   &reason);
	run.exit_code = code;
	run.exit_reason = reason;
	report_print(stdout, final, &run);
	orch_print_thresholds(stdout, json_object_get(orch_members, "thresholds"));
	fflush(stdout);
	json_t *push = run_push(&svc, &opts, final, &run);
	if (push && !json_is_true(json_object_get(push, "ok")) && code == SWARM_EXIT_OK)
		code = run.exit_code = SWARM_EXIT_PUSH;
	struct results_extra rx = {.series = r.series, .service_metrics = svcm_status, .push = push,
	                           .members = orch_members};
	if (results_write_run(opts.results_path, final, &run, &rx, err, sizeof(err)) < 0) {
		/* The one record of the run is lost: an error, whatever the run's
		 * own outcome (which the summary above still shows). */
		fprintf(stderr, "swarm: results not written: %s\n", err);
		code = SWARM_EXIT_RESULTS;
	} else if (!opts.quiet)
		fprintf(stderr, "swarm: results written to %s\n", opts.results_path);
	json_decref(svcm_status);
	json_decref(push);
	json_decref(orch_members);
	orch_free(&r.orch, code, run.duration_s);
	if (unreachable_msg[0])
		fprintf(stderr, "swarm: %s\n", unreachable_msg);
	linger_metrics(&r, opts.metrics_linger_ns);

out:
	orch_free(&r.orch, code, 0);
	svcm_free(&r.svcm);
	series_free(&r.series);
	if (final)
		stats_free(final);
	free(final);
	if (mainst)
		stats_free(mainst);
	free(mainst);
	sw_server_free(&r.metrics);
	if (r.ev_tick)
		event_free(r.ev_tick);
	if (r.ev_check)
		event_free(r.ev_check);
	if (r.ev_deadline)
		event_free(r.ev_deadline);
	if (r.ev_int)
		event_free(r.ev_int);
	if (r.ev_term)
		event_free(r.ev_term);
	for (unsigned i = 0; r.th && i < r.nth; i++)
		shard_free(&r.th[i].sh);
	free(r.th);
	if (r.base)
		event_base_free(r.base);
	free(jobs);
	free(agent_image);
	kubeconfig_free(&kubecfg);
	if (have_svc)
		swarm_service_free(&svc);
	if (have_plan)
		swarm_plan_free(&plan);
	return code;
}
