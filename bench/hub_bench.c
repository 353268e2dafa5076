/*
 * hub_bench: the emulated hub (assisted-emulator --kube-api) under the
 * swarm's kube load: creates N BareMetalHosts and N Agents of realistic
 * size (each with its status written through /status), then measures
 *  - RSS per stored object (from /proc/PID/status of the emulator),
 *  - full and paginated (limit=500) list latency of the BMHs,
 *  - watch throughput: events per second delivered to 1 and to 10
 *    watchers, (a) replaying the 10,000 existing BMHs (resourceVersion=0)
 *    and (b) live, while status patches of the BMHs stream in.
 * Watchers are raw HTTP/1.1 sockets counting events as they arrive; the
 * writes go over one h2c connection with many streams (sw_client).
 * Prints figures and one JSON line. Run by bench/hub_bench.sh.
 *
 * usage: hub_bench PORT EMULATOR_PID N_BMH N_AGENT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hub_objects.h"
#include "sw_client.h"
#include "sw_err.h"
#include "sw_http.h"

#define NS "bench"
#define BMHS "/apis/metal3.io/v1alpha1/namespaces/" NS "/baremetalhosts"
#define AGENTS "/apis/agent-install.openshift.io/v1beta1/namespaces/" NS "/agents"
#define INFLIGHT 128

static struct event_base *base;
static struct sw_client *client;
static int port;

static void die(const char *fmt, const char *a)
{
	fprintf(stderr, "hub_bench: ");
	fprintf(stderr, fmt, a ? a : "");
	fputc('\n', stderr);
	exit(1);
}

static double now_s(void)
{
	return (double)sw_now_ns() / 1e9;
}

static long rss_kib(int pid)
{
	char p[64], line[256];
	snprintf(p, sizeof(p), "/proc/%d/status", pid);
	FILE *f = fopen(p, "r");
	long kib = -1;
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = atol(line + 6);
	if (f)
		fclose(f);
	return kib;
}

/* ---- a bounded pipeline of requests over sw_client ---- */

typedef struct sw_req *(*next_fn)(void *arg, size_t i);

struct pipe {
	next_fn next;
	void *arg;
	size_t n, sent, done, errors;
	int want;        /* expected status */
	size_t bytes;    /* response bytes */
};

static void pipe_fill(struct pipe *p);

static void pipe_cb(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct pipe *p = arg;
	p->done++;
	if (err || !resp || resp->status != p->want) {
		if (p->errors++ < 3)
			fprintf(stderr, "request failed: %s %d\n", err ? msg : "status", resp ? resp->status : 0);
	} else {
		p->bytes += evbuffer_get_length(resp->body);
	}
	pipe_fill(p);
	if (p->done == p->n)
		event_base_loopbreak(base);
}

static void pipe_fill(struct pipe *p)
{
	while (p->sent < p->n && p->sent - p->done < INFLIGHT) {
		struct sw_req *r = p->next(p->arg, p->sent++);
		sw_client_request(client, NULL, r, pipe_cb, p);
	}
}

static double run_pipe(next_fn next, void *arg, size_t n, int want, size_t *bytes)
{
	struct pipe p = {.next = next, .arg = arg, .n = n, .want = want};
	double t0 = now_s();
	pipe_fill(&p);
	if (p.done < n)
		event_base_dispatch(base);
	if (p.errors)
		die("%s requests failed", "some");
	if (bytes)
		*bytes = p.bytes;
	return now_s() - t0;
}

static struct sw_req *json_req(const char *method, const char *path, const char *ctype, json_t *body)
{
	struct sw_req *r = sw_req_new(method, path);
	char *s = json_dumps(body, JSON_COMPACT);
	sw_req_json(r, s, strlen(s));
	if (ctype) {
		/* replace the JSON content type */
		sw_hdrs_clear(&r->hdrs);
		sw_req_header(r, "content-type", ctype);
	}
	free(s);
	json_decref(body);
	return r;
}

static size_t nbmh, nagent;

static void name_of(size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "host-%zu", i);
}

static struct sw_req *create_next(void *arg, size_t i)
{
	char name[32];
	if (i < nbmh) {
		name_of(i, name, sizeof(name));
		return json_req("POST", BMHS, NULL, hubobj_bmh(NS, name, (unsigned)i, 0));
	}
	return json_req("POST", AGENTS, NULL, hubobj_agent(NS, (unsigned)(i - nbmh), 0));
}

static struct sw_req *status_next(void *arg, size_t i)
{
	char path[256], name[64];
	json_t *o;
	if (i < nbmh) {
		name_of(i, name, sizeof(name));
		o = hubobj_bmh(NS, name, (unsigned)i, 1);
		snprintf(path, sizeof(path), BMHS "/%s/status", name);
	} else {
		o = hubobj_agent(NS, (unsigned)(i - nbmh), 1);
		snprintf(path, sizeof(path), AGENTS "/%s/status",
		         json_string_value(json_object_get(json_object_get(o, "metadata"), "name")));
	}
	json_t *patch = json_pack("{s:O}", "status", json_object_get(o, "status"));
	json_decref(o);
	return json_req("PATCH", path, "application/merge-patch+json", patch);
}

static const char *list_path;
static struct sw_req *get_next(void *arg, size_t i)
{
	return sw_req_new("GET", list_path);
}

static unsigned long patch_round;
static struct sw_req *live_next(void *arg, size_t i)
{
	char path[256], name[32], ts[64];
	name_of(i % nbmh, name, sizeof(name));
	snprintf(path, sizeof(path), BMHS "/%s/status", name);
	snprintf(ts, sizeof(ts), "2026-11-29T11:%02lu:%02zuZ", patch_round % 60, i % 60);
	return json_req("PATCH", path, "application/merge-patch+json",
	                json_pack("{s:{s:s,s:i}}", "status", "lastUpdated", ts, "errorCount", (int)(i % 7)));
}

/* ---- raw HTTP/1.1 watchers ---- */

struct watcher {
	int fd;
	struct event *ev;
	uint64_t events, want;
	char tail[16];
	size_t tail_len;
	double t_done;
};

static struct watcher ws[16];
static int nws, ws_done;

static void count_events(struct watcher *w, const char *p, size_t n)
{
	static const char pat[] = "{\"type\":\"";
	const size_t pl = sizeof(pat) - 1;
	/* the pattern may straddle reads: search the kept tail plus the new bytes */
	char joint[32];
	size_t tl = w->tail_len, k = n < pl ? n : pl - 1;
	memcpy(joint, w->tail, tl);
	memcpy(joint + tl, p, k);
	if (memmem(joint, tl + k, pat, pl))
		w->events++;
	for (const char *q = p; (q = memmem(q, (size_t)(p + n - q), pat, pl)); q += pl)
		w->events++;
	size_t keep = n < pl - 1 ? n : pl - 1;
	if (tl + keep > pl - 1) {
		size_t drop = tl + keep - (pl - 1);
		memmove(w->tail, w->tail + drop, tl - drop);
		tl -= drop;
	}
	memcpy(w->tail + tl, p + n - keep, keep);
	w->tail_len = tl + keep;
}

static void on_watch(evutil_socket_t fd, short what, void *arg)
{
	struct watcher *w = arg;
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0) {
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			die("watch connection %s", "closed");
		}
		uint64_t before = w->events;
		count_events(w, buf, (size_t)n);
		if (before < w->want && w->events >= w->want) {
			w->t_done = now_s();
			if (++ws_done == nws)
				event_base_loopbreak(base);
		}
	}
}

static void open_watchers(int n, const char *query)
{
	nws = n;
	ws_done = 0;
	for (int i = 0; i < n; i++) {
		struct watcher *w = &ws[i];
		memset(w, 0, sizeof(*w));
		w->fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		if (connect(w->fd, (struct sockaddr *)&a, sizeof(a)) != 0)
			die("connect: %s", strerror(errno));
		char req[512];
		int l = snprintf(req, sizeof(req), "GET " BMHS "?watch=1&%s HTTP/1.1\r\nHost: x\r\n\r\n", query);
		if (write(w->fd, req, (size_t)l) != l)
			die("write: %s", strerror(errno));
		evutil_make_socket_nonblocking(w->fd);
		w->ev = event_new(base, w->fd, EV_READ | EV_PERSIST, on_watch, w);
		event_add(w->ev, NULL);
	}
}

static void close_watchers(void)
{
	for (int i = 0; i < nws; i++) {
		event_free(ws[i].ev);
		close(ws[i].fd);
	}
	nws = 0;
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	die("%s", "timed out waiting for watch events");
}

static void wait_watchers(uint64_t want)
{
	for (int i = 0; i < nws; i++)
		ws[i].want = want;
	struct event *t = evtimer_new(base, on_timeout, NULL);
	struct timeval tv = {120, 0};
	evtimer_add(t, &tv);
	int all = 1;
	for (int i = 0; i < nws; i++)
		all &= ws[i].events >= want;
	if (!all)
		event_base_dispatch(base);
	event_free(t);
}

/* Replay of the existing BMHs to |n| watchers: delivered events per second. */
static double replay_rate(int n)
{
	double t0 = now_s();
	open_watchers(n, "resourceVersion=0");
	wait_watchers(nbmh);
	double last = 0;
	for (int i = 0; i < n; i++)
		if (ws[i].t_done - t0 > last)
			last = ws[i].t_done - t0;
	close_watchers();
	return (double)n * (double)nbmh / last;
}

/* Live: |n| watchers from now while |m| status patches stream in. */
static double live_rate(int n, size_t m, double *patch_rate)
{
	patch_round++;
	open_watchers(n, "allowWatchBookmarks=false&resourceVersion=");
	/* a watch with an empty resourceVersion starts with the snapshot: wait for it first */
	wait_watchers(nbmh);
	for (int i = 0; i < n; i++)
		ws[i].want = 0;
	uint64_t base_events[16];
	for (int i = 0; i < n; i++)
		base_events[i] = ws[i].events;
	double t0 = now_s();
	double tp = run_pipe(live_next, NULL, m, 200, NULL);
	*patch_rate = (double)m / tp;
	for (int i = 0; i < n; i++) {
		ws[i].want = base_events[i] + m;
		ws[i].t_done = ws[i].events >= ws[i].want ? now_s() : 0;
	}
	ws_done = 0;
	for (int i = 0; i < n; i++)
		ws_done += ws[i].events >= ws[i].want;
	if (ws_done < n) {
		struct event *t = evtimer_new(base, on_timeout, NULL);
		struct timeval tv = {120, 0};
		evtimer_add(t, &tv);
		event_base_dispatch(base);
		event_free(t);
	}
	double last = 0;
	for (int i = 0; i < n; i++)
		if (ws[i].t_done - t0 > last)
			last = ws[i].t_done - t0;
	close_watchers();
	return (double)n * (double)m / last;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Keeps the URL-encoded continue token of a page (empty on the last page). */
static void page_cb(void *arg, int e, const char *m, struct sw_resp *resp)
{
	char *cont = arg;
	cont[0] = '\0';
	if (e || resp->status != 200)
		die("page: %s", e ? m : "status");
	/* the list's metadata comes first: read the token without parsing the page */
	size_t n = evbuffer_get_length(resp->body), head = n < 1024 ? n : 1024;
	char first[1025];
	evbuffer_copyout(resp->body, first, head);
	first[head] = '\0';
	const char *c = strstr(first, "\"continue\":\"");
	if (c) {
		/* URL-encode the base64 token */
		size_t o = 0;
		for (c += 12; *c && *c != '"' && o + 4 < 1024; c++) {
			if (*c == '+' || *c == '/' || *c == '=')
				o += (size_t)snprintf(cont + o, 1024 - o, "%%%02X", (unsigned char)*c);
			else
				cont[o++] = *c;
		}
		cont[o] = '\0';
	}
	event_base_loopbreak(base);
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: hub_bench PORT EMULATOR_PID N_BMH N_AGENT\n");
		return 2;
	}
	port = atoi(argv[1]);
	int pid = atoi(argv[2]);
	nbmh = (size_t)atol(argv[3]);
	nagent = (size_t)atol(argv[4]);
	base = event_base_new();
	char url[64], err[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	struct sw_client_cfg cfg;
	sw_client_cfg_init(&cfg);
	cfg.url = url;
	cfg.proto = SW_PROTO_H2;
	cfg.max_conns = 1;
	cfg.request_timeout_ms = 120000;
	cfg.max_body_bytes = 1u << 30;
	client = sw_client_new(base, &cfg, err, sizeof(err));
	if (!client)
		die("client: %s", err);

	long rss0 = rss_kib(pid);
	list_path = "/api/v1/namespaces";
	json_t *ns = hubobj_namespace(NS);
	struct sw_req *r = json_req("POST", "/api/v1/namespaces", NULL, ns);
	struct pipe p1 = {.n = 1, .want = 201};
	sw_client_request(client, NULL, r, pipe_cb, &p1);
	event_base_dispatch(base);
	size_t nobj = nbmh + nagent;
	double tc = run_pipe(create_next, NULL, nobj, 201, NULL);
	double ts = run_pipe(status_next, NULL, nobj, 200, NULL);
	long rss1 = rss_kib(pid);
	double per_obj = (double)(rss1 - rss0) * 1024.0 / (double)nobj;
	printf("objects: %zu BareMetalHosts + %zu Agents created in %.2f s (%.0f/s), statuses in %.2f s (%.0f/s)\n",
	       nbmh, nagent, tc, (double)nobj / tc, ts, (double)nobj / ts);
	printf("RSS: %ld KiB before, %ld KiB after -> %.0f bytes per object\n", rss0, rss1, per_obj);

	/* list latency */
	double full[10];
	size_t bytes = 0;
	list_path = BMHS;
	for (int i = 0; i < 10; i++)
		full[i] = run_pipe(get_next, NULL, 1, 200, &bytes) * 1000.0;
	qsort(full, 10, sizeof(double), cmp_d);
	printf("list %zu BMHs (%.1f MiB): p50 %.1f ms, max %.1f ms\n", nbmh, (double)bytes / 1048576.0,
	       full[5], full[9]);
	/* paginated: follow continue tokens, limit=500 */
	double paged[5];
	size_t pages = 0;
	for (int k = 0; k < 5; k++) {
		double t0 = now_s();
		char path[1024];
		snprintf(path, sizeof(path), BMHS "?limit=500");
		pages = 0;
		for (;;) {
			/* one page at a time, as a client follows continue tokens */
			struct sw_req *rq = sw_req_new("GET", path);
			static char cont[1024];
			cont[0] = '\0';
			sw_client_request(client, NULL, rq, page_cb, cont);
			event_base_dispatch(base);
			pages++;
			if (!cont[0])
				break;
			snprintf(path, sizeof(path), BMHS "?limit=500&continue=%s", cont);
		}
		paged[k] = (now_s() - t0) * 1000.0;
	}
	qsort(paged, 5, sizeof(double), cmp_d);
	printf("paginated list (limit=500, %zu pages): p50 %.1f ms for all, %.2f ms per page\n", pages, paged[2],
	       paged[2] / (double)pages);

	/* watch throughput */
	double replay1 = replay_rate(1), replay10 = replay_rate(10);
	printf("watch replay of %zu BMHs: %.0f events/s to 1 watcher, %.0f events/s to 10 watchers\n", nbmh,
	       replay1, replay10);
	double pr1 = 0, pr10 = 0;
	size_t m = nbmh * 2;
	double live1 = live_rate(1, m, &pr1), live10 = live_rate(10, m, &pr10);
	printf("live watch (%zu status patches at %.0f/s and %.0f/s): %.0f events/s to 1 watcher, "
	       "%.0f events/s to 10 watchers\n", m, pr1, pr10, live1, live10);
	printf("{\"bench\":\"hub\",\"bmh\":%zu,\"agents\":%zu,\"rss_bytes_per_object\":%.0f,"
	       "\"create_per_s\":%.0f,\"status_per_s\":%.0f,\"list_full_p50_ms\":%.1f,\"list_paged_p50_ms\":%.1f,"
	       "\"watch_replay_1\":%.0f,\"watch_replay_10\":%.0f,\"watch_live_1\":%.0f,\"watch_live_10\":%.0f,"
	       "\"patch_per_s\":%.0f}\n",
	       nbmh, nagent, per_obj, (double)nobj / tc, (double)nobj / ts, full[5], paged[2], replay1, replay10,
	       live1, live10, pr10);
	sw_client_free(&client);
	event_base_free(base);
	return 0;
}

