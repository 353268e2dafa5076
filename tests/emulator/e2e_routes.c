/*
 * End-to-end test of the emulator's one route table under every auth mode:
 * every operation of the table, spelled canonically and oddly ("//", a
 * trailing '/', "." and ".." segments, percent-encoded literal characters,
 * slashes, dots and parameter characters, a lower-case method, absolute-form
 * targets), sent to the assisted-emulator executable over raw HTTP/1.1
 * sockets and over h2c. Without credentials (token and local modes) nothing
 * may reach the model (its request counter, /metrics
 * emulator_model_requests_total, stays 0) and every answer is 401, 404 or
 * 405; with credentials (token mode) and in mode none every spelling that
 * the service's router cleans to the canonical path runs that operation,
 * and the others run what the matcher says (checked in the --record file).
 *
 * usage: e2e_routes EMULATOR          exit 0 when all held, 1 otherwise
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "e2e_util.h"
#include "emu_routes.h"
#include "sw_err.h"

#define PS_TOKEN "routes-pull-secret"
#define USER_TOKEN "routes-user-token"
#define MAX_REQS 8192

#define FAIL(...) do { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } while (0)
#define CHECK(cond, ...) do { if (!(cond)) FAIL(__VA_ARGS__); } while (0)

enum kind {
	K_SAME,   /* the router cleans it to the canonical path: the route's operation */
	K_OTHER,  /* whatever the matcher says (often 404): checked against emu_route_match */
};

struct rq {
	char method[16];
	char *path;
	enum kind kind;
	int route;         /* route index it was made from */
	int absform;       /* HTTP/1.1 only: send as absolute-form */
};

static struct rq reqs[MAX_REQS];
static size_t nreqs;
static struct e2e_child *running;

static void stop_at_exit(void)
{
	if (running && running->pid > 0)
		e2e_child_stop(running);
}

static void add(const char *method, const char *path, enum kind k, int route, int absform)
{
	CHECK(nreqs < MAX_REQS, "too many requests");
	struct rq *r = &reqs[nreqs++];
	snprintf(r->method, sizeof(r->method), "%s", method);
	r->path = strdup(path);
	r->kind = k;
	r->route = route;
	r->absform = absform;
}

/* Segments of the canonical path of route |i| with its parameters filled in. */
static size_t route_segments(const struct emu_route *rt, char segs[][64])
{
	size_t n = 0;
	snprintf(segs[n++], 64, "api");
	snprintf(segs[n++], 64, "assisted-install");
	const char *t = rt->path;
	while (*t == '/') {
		t++;
		const char *e = strchr(t, '/');
		size_t l = e ? (size_t)(e - t) : strlen(t);
		if (t[0] == '{') {
			if (l == 12 && memcmp(t, "{cluster_id}", 12) == 0)
				snprintf(segs[n], 64, "33333333-3333-4333-8333-333333333333");
			else if (l == 14 && memcmp(t, "{infra_env_id}", 14) == 0)
				snprintf(segs[n], 64, "11111111-1111-4111-8111-111111111111");
			else if (l == 9 && memcmp(t, "{host_id}", 9) == 0)
				snprintf(segs[n], 64, "44444444-4444-4444-8444-444444444444");
			else
				snprintf(segs[n], 64, "x1");
		} else {
			snprintf(segs[n], 64, "%.*s", (int)l, t);
		}
		n++;
		t += l;
	}
	return n;
}

static int is_param_seg(const struct emu_route *rt, size_t seg)
{
	/* segment |seg| of the full path (0 = "api") is a {parameter} of the template */
	const char *t = rt->path;
	size_t k = 2;
	while (*t == '/') {
		t++;
		const char *e = strchr(t, '/');
		size_t l = e ? (size_t)(e - t) : strlen(t);
		if (k == seg)
			return t[0] == '{';
		k++;
		t += l;
	}
	return 0;
}

/* Joins |segs| with '/', putting |sep| before segment |at| (or nothing). */
static void join(char *out, size_t len, char segs[][64], size_t n, size_t at, const char *sep,
                 const char *tail)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i == at ? sep : "/", segs[i]);
	snprintf(out + o, len - o, "%s", tail ? tail : "");
}

static void build_requests(void)
{
	const struct emu_route *routes;
	size_t nr = emu_routes_table(&routes);
	char segs[12][64], p[1024];
	for (size_t i = 0; i < nr; i++) {
		const struct emu_route *rt = &routes[i];
		size_t n = route_segments(rt, segs);
		const char *m = rt->method;
		join(p, sizeof(p), segs, n, SIZE_MAX, "", NULL);
		add(m, p, K_SAME, (int)i, 0);
		add(m, p, K_SAME, (int)i, 1);
		join(p, sizeof(p), segs, n, SIZE_MAX, "", "/");
		add(m, p, K_SAME, (int)i, 0);
		join(p, sizeof(p), segs, n, SIZE_MAX, "", "/.");
		add(m, p, K_SAME, (int)i, 0);
		snprintf(p, sizeof(p), "/..");
		join(p + 3, sizeof(p) - 3, segs, n, SIZE_MAX, "", NULL);
		add(m, p, K_SAME, (int)i, 0);
		if (strcmp(m, "GET") == 0) {
			join(p, sizeof(p), segs, n, SIZE_MAX, "", NULL);
			add("get", p, K_SAME, (int)i, 0);
		}
		for (size_t at = 0; at < n; at++) {
			join(p, sizeof(p), segs, n, at, "//", NULL);
			add(m, p, K_SAME, (int)i, 0);
			join(p, sizeof(p), segs, n, at, "/./", NULL);
			add(m, p, K_SAME, (int)i, 0);
			join(p, sizeof(p), segs, n, at, "/zz/../", NULL);
			add(m, p, K_SAME, (int)i, 0);
			if (at > 0) {
				/* an encoded '/' merges two segments into one */
				join(p, sizeof(p), segs, n, at, "%2F", NULL);
				add(m, p, K_OTHER, (int)i, 0);
				join(p, sizeof(p), segs, n, at, "%252F", NULL);
				add(m, p, K_OTHER, (int)i, 0);
				join(p, sizeof(p), segs, n, at, "/%2E%2E/", NULL);
				add(m, p, K_OTHER, (int)i, 0);
				join(p, sizeof(p), segs, n, at, "/%2e/", NULL);
				add(m, p, K_OTHER, (int)i, 0);
			}
			/* one character of the segment percent-encoded */
			char keep[64];
			memcpy(keep, segs[at], sizeof(keep));
			char enc[80];
			snprintf(enc, sizeof(enc), "%%%02X%s", (unsigned char)keep[0], keep + 1);
			memcpy(segs[at], enc, 63);
			segs[at][63] = '\0';
			join(p, sizeof(p), segs, n, SIZE_MAX, "", NULL);
			/* a parameter is decoded after matching: same operation */
			add(m, p, is_param_seg(rt, at) ? K_SAME : K_OTHER, (int)i, 0);
			memcpy(segs[at], keep, sizeof(keep));
		}
	}
}

/* ---- raw HTTP/1.1 ---------------------------------------------------------------------- */

struct h1 {
	int fd;
	int port;
	char buf[65536];
	size_t len;
};

static void h1_connect(struct h1 *c)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(c->fd >= 0, "socket");
	struct timeval tv = {10, 0};
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	CHECK(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect 127.0.0.1:%d", c->port);
	c->len = 0;
}

/* Sends one request; returns the status and whether the server closes. */
static int h1_call(struct h1 *c, const struct rq *r, const char *creds)
{
	char head[4096];
	int n = snprintf(head, sizeof(head), "%s %s%s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
	                 "Content-Length: 0\r\n\r\n", r->method,
	                 r->absform ? "http://127.0.0.1" : "", r->path, creds);
	CHECK(write(c->fd, head, (size_t)n) == n, "write");
	for (;;) {
		char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
		if (end) {
			int status = 0;
			CHECK(sscanf(c->buf, "HTTP/1.1 %d", &status) == 1, "bad status line");
			size_t hlen = (size_t)(end - c->buf) + 4;
			long cl = 0;
			char *p = strcasestr(c->buf, "\r\ncontent-length:");
			if (p && p < end)
				cl = strtol(p + 17, NULL, 10);
			int closes = strcasestr(c->buf, "\r\nconnection: close") != NULL &&
			             strcasestr(c->buf, "\r\nconnection: close") < end;
			while (c->len < hlen + (size_t)cl) {
				ssize_t k = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
				CHECK(k > 0, "short body for %s %s", r->method, r->path);
				c->len += (size_t)k;
			}
			memmove(c->buf, c->buf + hlen + cl, c->len - hlen - (size_t)cl);
			c->len -= hlen + (size_t)cl;
			if (closes) {
				close(c->fd);
				h1_connect(c);
			}
			return status;
		}
		CHECK(c->len < sizeof(c->buf), "response head too large");
		ssize_t k = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		CHECK(k > 0, "no answer to %s %s", r->method, r->path);
		c->len += (size_t)k;
	}
}

/* ---- checks ------------------------------------------------------------------------------ */

static unsigned long metric(struct e2e_http *h, const char *name)
{
	struct e2e_res res;
	CHECK(e2e_call(h, "GET", "/metrics", NULL, NULL, NULL, 0, &res) == 0 && res.status == 200,
	      "/metrics");
	char key[128];
	snprintf(key, sizeof(key), "\n%s ", name);
	const char *p = strstr(res.body, key);
	CHECK(p, "metric %s missing", name);
	unsigned long v = strtoul(p + strlen(key), NULL, 10);
	e2e_res_free(&res);
	return v;
}

/* What the emulator must have run for |r|: the route's operation, or the matcher's verdict. */
static const char *expected_op(const struct rq *r)
{
	const struct emu_route *routes;
	emu_routes_table(&routes);
	if (r->kind == K_SAME)
		return routes[r->route].operation;
	struct emu_route_match m;
	if (emu_route_match(r->method, r->path, &m) == EMU_ROUTE_MATCH)
		return m.route->operation;
	return "unknown";
}

enum mode { M_NONE, M_TOKEN_ANON, M_TOKEN_AUTH, M_LOCAL_ANON };

static void run_mode(const char *emu, enum mode mode)
{
	static const char *const names[] = {"none", "token (no credentials)",
	                                    "token (credentials)", "local (no credentials)"};
	char rec[] = "/tmp/e2e_routes_rec_XXXXXX";
	int rfd = mkstemp(rec);
	CHECK(rfd >= 0, "mkstemp");
	close(rfd);
	const char *argv_none[] = {emu, "--listen", "127.0.0.1:0", "--quiet", "--record", rec, NULL};
	const char *argv_token[] = {emu, "--listen", "127.0.0.1:0", "--quiet", "--record", rec,
	                            "--auth", "token", "--pull-secret-token", PS_TOKEN,
	                            "--user-token", USER_TOKEN, NULL};
	const char *argv_local[] = {emu, "--listen", "127.0.0.1:0", "--quiet", "--record", rec,
	                            "--auth", "local", NULL};
	const char *const *argv = mode == M_NONE ? argv_none : mode == M_LOCAL_ANON ? argv_local
	                                                                            : argv_token;
	struct e2e_child child;
	CHECK(e2e_child_start((char *const *)argv, &child) == 0, "start emulator");
	running = &child;
	const char *creds = mode == M_TOKEN_AUTH
	                    ? "Authorization: Bearer " USER_TOKEN "\r\nX-Secret-Key: " PS_TOKEN "\r\n" : "";
	const char *hdrs[] = {"authorization", "Bearer " USER_TOKEN, "x-secret-key", PS_TOKEN, NULL};

	/* HTTP/1.1, raw */
	struct h1 c = {.port = child.port};
	h1_connect(&c);
	for (size_t i = 0; i < nreqs; i++) {
		int st = h1_call(&c, &reqs[i], creds);
		if (mode == M_TOKEN_ANON || mode == M_LOCAL_ANON)
			CHECK(st == 401 || st == 404 || st == 405, "%s: %s %s answered %d without credentials",
			      names[mode], reqs[i].method, reqs[i].path, st);
	}
	close(c.fd);

	/* h2c through the protocol client (paths sent as given) */
	struct e2e_http h = {.base = event_base_new(), .timeout_ms = 10000};
	char url[64], err[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", child.port);
	struct sw_client_cfg cfg;
	sw_client_cfg_init(&cfg);
	cfg.url = url;
	cfg.proto = SW_PROTO_H2;
	h.client = sw_client_new(h.base, &cfg, err, sizeof(err));
	CHECK(h.client, "client: %s", err);
	size_t sent_h2 = 0;
	for (size_t i = 0; i < nreqs; i++) {
		if (reqs[i].absform)
			continue;
		struct e2e_res res;
		e2e_call(&h, reqs[i].method, reqs[i].path, mode == M_TOKEN_AUTH ? hdrs : NULL, NULL,
		         NULL, 0, &res);
		CHECK(res.err == 0, "h2c %s %s: %s", reqs[i].method, reqs[i].path, sw_err_name(res.err));
		if (mode == M_TOKEN_ANON || mode == M_LOCAL_ANON)
			CHECK(res.status == 401 || res.status == 404 || res.status == 405,
			      "%s: h2c %s %s answered %d without credentials", names[mode], reqs[i].method,
			      reqs[i].path, res.status);
		e2e_res_free(&res);
		sent_h2++;
	}
	unsigned long reached = metric(&h, "emulator_model_requests_total");
	sw_client_free(&h.client);
	event_base_free(h.base);
	CHECK(e2e_child_stop(&child) == 0, "emulator exit status");
	running = NULL;

	/* The record: one line per exchange, in the order sent (h1 first, then h2c). */
	FILE *f = fopen(rec, "r");
	CHECK(f, "open %s", rec);
	char *line = NULL;
	size_t cap = 0, lines = 0, same = 0, matched = 0;
	size_t total = nreqs + sent_h2;
	for (size_t k = 0; k < total; k++) {
		CHECK(getline(&line, &cap, f) > 0, "record has %zu lines, %zu requests sent", k, total);
		json_t *j = json_loads(line, 0, NULL);
		CHECK(j, "record line %zu is not JSON", k);
		/* map line k to its request: the h2c pass skips absolute-form ones */
		const struct rq *r;
		if (k < nreqs) {
			r = &reqs[k];
		} else {
			size_t want = k - nreqs, i = 0, seen = 0;
			for (i = 0; i < nreqs; i++)
				if (!reqs[i].absform && seen++ == want)
					break;
			r = &reqs[i];
		}
		const char *op = json_string_value(json_object_get(j, "operation"));
		int st = (int)json_integer_value(json_object_get(j, "status"));
		const char *want = expected_op(r);
		CHECK(op && strcmp(op, want) == 0, "%s: %s %s ran %s, want %s", names[mode], r->method,
		      r->path, op ? op : "(null)", want);
		if (strcmp(want, "unknown") != 0)
			matched++;
		if (mode == M_TOKEN_ANON || mode == M_LOCAL_ANON)
			CHECK(st == 401 || strcmp(want, "unknown") == 0, "%s: %s %s: %d", names[mode],
			      r->method, r->path, st);
		same += r->kind == K_SAME;
		json_decref(j);
		lines++;
	}
	CHECK(getline(&line, &cap, f) < 0, "record has more lines than requests");
	free(line);
	fclose(f);
	unlink(rec);
	if (mode == M_TOKEN_ANON || mode == M_LOCAL_ANON)
		CHECK(reached == 0, "%s: %lu requests without credentials reached the model", names[mode],
		      reached);
	else
		CHECK(reached == matched, "%s: %lu requests reached the model, %zu matched an operation",
		      names[mode], reached, matched);
	printf("ok %s: %zu requests (%zu spellings of the canonical path), %lu reached the model\n",
	       names[mode], lines, same, reached);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: e2e_routes EMULATOR\n");
		return 2;
	}
	atexit(stop_at_exit);
	build_requests();
	run_mode(argv[1], M_NONE);
	run_mode(argv[1], M_TOKEN_ANON);
	run_mode(argv[1], M_TOKEN_AUTH);
	run_mode(argv[1], M_LOCAL_ANON);
	for (size_t i = 0; i < nreqs; i++)
		free(reqs[i].path);
	return 0;
}
