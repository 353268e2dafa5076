/*
 * test_server_util: shared helpers for the sw_server tests: one event loop
 * in the test thread, a demo handler (echo, big, delay, reset, hold, drop),
 * child processes (curl, h2load, openssl) waited for while the loop runs,
 * and raw loopback sockets for malformed input. Header-only (static
 * functions) so each test program stays a single translation unit.
 */
#ifndef TEST_SERVER_UTIL_H
#define TEST_SERVER_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "sw_err.h"
#include "sw_server.h"

extern char **environ;

#define TFX_MAX_HELD 16

struct tfx {
	struct event_base *base;
	struct sw_server *srv;
	struct event *tick;
	int port;
	char dir[64];                 /* temp dir: cert, key, files */
	struct sw_exchange *held[TFX_MAX_HELD];
	int nheld;
	int drop_rv;                  /* reply result seen by the /drop handler */
	int delayed_pending;
};

struct tfx_delay {
	struct tfx *fx;
	struct sw_exchange *x;
	struct event *ev;
};

static inline void tfx_delay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tfx_delay *d = arg;
	sw_exchange_reply_mem(d->x, 200, "text/plain", "delayed", 7);
	d->fx->delayed_pending--;
	event_free(d->ev);
	free(d);
}

static inline long tfx_query_num(const char *q, const char *key)
{
	const char *p = strstr(q, key);
	return p ? atol(p + strlen(key)) : 0;
}

/* The demo application every test server runs. */
static inline void tfx_handler(void *arg, struct sw_exchange *x, struct sw_sreq *req)
{
	struct tfx *fx = arg;
	if (strncmp(req->path, "/echo", 5) == 0 && (req->path[5] == '\0' || req->path[5] == '/')) {
		struct sw_hdrs h = {0};
		char total[24];
		snprintf(total, sizeof(total), "%llu", (unsigned long long)req->body_total);
		sw_hdrs_add(&h, "x-method", 8, req->method, strlen(req->method));
		sw_hdrs_add(&h, "x-query", 7, req->query, strlen(req->query));
		sw_hdrs_add(&h, "x-body-total", 12, total, strlen(total));
		sw_exchange_reply(x, 200, &h, "application/octet-stream", req->body);
		sw_hdrs_clear(&h);
	} else if (strcmp(req->path, "/echo_mem") == 0) {
		/* The reply's memory lies inside the request body it replaces. */
		size_t n = evbuffer_get_length(req->body);
		const unsigned char *p = evbuffer_pullup(req->body, -1);
		sw_exchange_reply_mem(x, 200, "text/plain", p, n);
	} else if (strcmp(req->path, "/big") == 0) {
		long n = tfx_query_num(req->query, "n=");
		struct evbuffer *b = evbuffer_new();
		char chunk[4096];
		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = (char)('a' + i % 26);
		while (n > 0) {
			size_t k = n < (long)sizeof(chunk) ? (size_t)n : sizeof(chunk);
			evbuffer_add(b, chunk, k);
			n -= (long)k;
		}
		sw_exchange_reply(x, 200, NULL, "text/plain", b);
		evbuffer_free(b);
	} else if (strcmp(req->path, "/delay") == 0) {
		struct tfx_delay *d = calloc(1, sizeof(*d));
		struct timeval tv = {0, tfx_query_num(req->query, "ms=") * 1000};
		d->fx = fx;
		d->x = x;
		d->ev = evtimer_new(fx->base, tfx_delay_cb, d);
		fx->delayed_pending++;
		evtimer_add(d->ev, &tv);
	} else if (strcmp(req->path, "/reset") == 0) {
		sw_exchange_reset(x);
	} else if (strcmp(req->path, "/hold") == 0 && fx->nheld < TFX_MAX_HELD) {
		fx->held[fx->nheld++] = x;
	} else if (strcmp(req->path, "/drop") == 0) {
		sw_server_drop_all(fx->srv);
		fx->drop_rv = sw_exchange_reply_mem(x, 200, "text/plain", "late", 4);
	} else {
		sw_exchange_reply_mem(x, 200, "text/plain", "ok\n", 3);
	}
}

static inline void tfx_tick_cb(evutil_socket_t fd, short what, void *arg)
{
}

/* Creates the loop and a server with |cfg| (listen forced to 127.0.0.1:0 when NULL). */
static inline int tfx_start(struct tfx *fx, struct sw_server_cfg *cfg)
{
	char err[256];
	struct timeval tv = {0, 2000};
	if (!fx->base)
		fx->base = event_base_new();
	if (!fx->tick) {
		fx->tick = event_new(fx->base, -1, EV_PERSIST, tfx_tick_cb, fx);
		event_add(fx->tick, &tv);
	}
	if (!cfg->listen)
		cfg->listen = "127.0.0.1:0";
	fx->srv = sw_server_new(fx->base, cfg, tfx_handler, fx, err, sizeof(err));
	if (!fx->srv) {
		fprintf(stderr, "sw_server_new: %s\n", err);
		return -1;
	}
	fx->port = sw_server_port(fx->srv);
	return 0;
}

static inline void tfx_stop(struct tfx *fx)
{
	sw_server_free(&fx->srv);
	/* Let pending timers (delayed replies) run so nothing leaks. */
	for (int i = 0; i < 2000 && fx->delayed_pending > 0; i++)
		event_base_loop(fx->base, EVLOOP_ONCE);
	for (int i = 0; i < fx->nheld; i++)
		if (fx->held[i])
			sw_exchange_reply_mem(fx->held[i], 200, NULL, NULL, 0);
	fx->nheld = 0;
	if (fx->tick)
		event_free(fx->tick);
	fx->tick = NULL;
	if (fx->base)
		event_base_free(fx->base);
	fx->base = NULL;
}

static inline uint64_t tfx_now_ms(void)
{
	return sw_now_ns() / 1000000u;
}

/* Runs the loop for |ms| milliseconds. */
static inline void tfx_run_for(struct tfx *fx, unsigned ms)
{
	uint64_t end = tfx_now_ms() + ms;
	while (tfx_now_ms() < end)
		event_base_loop(fx->base, EVLOOP_ONCE);
}

/* Runs the loop until no connection is open (or |ms| passed). Returns conns_open. */
static inline uint64_t tfx_wait_closed(struct tfx *fx, unsigned ms)
{
	struct sw_server_stats st;
	uint64_t end = tfx_now_ms() + ms;
	for (;;) {
		sw_server_get_stats(fx->srv, &st);
		if (st.conns_open == 0 || tfx_now_ms() > end)
			return st.conns_open;
		event_base_loop(fx->base, EVLOOP_ONCE);
	}
}

/* Spawns |argv| with stdout to |out| (or /dev/null) and stderr to |err| (or /dev/null). */
static inline pid_t tfx_spawn(char *const argv[], const char *out, const char *err)
{
	posix_spawn_file_actions_t fa;
	pid_t pid = -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, err ? err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

/* Waits for |pid| while running the loop; kills it after |timeout_ms|. Returns its exit code or -1. */
static inline int tfx_wait(struct tfx *fx, pid_t pid, unsigned timeout_ms)
{
	int status = 0;
	uint64_t end = tfx_now_ms() + timeout_ms;
	if (pid < 0)
		return -1;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (tfx_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		event_base_loop(fx->base, EVLOOP_ONCE);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static inline int tfx_run(struct tfx *fx, char *const argv[], const char *out, unsigned timeout_ms)
{
	return tfx_wait(fx, tfx_spawn(argv, out, NULL), timeout_ms);
}

/* Reads a whole file (NUL-terminated); *len gets its size. Caller frees. */
static inline char *tfx_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 131072;
			buf = realloc(buf, cap + 1);
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static inline void tfx_path(const struct tfx *fx, char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", fx->dir, name);
}

static inline void tfx_url(const struct tfx *fx, char *buf, size_t len, int tls, const char *path)
{
	snprintf(buf, len, "%s://127.0.0.1:%d%s", tls ? "https" : "http", fx->port, path);
}

/* Opens a blocking-connect, then non-blocking socket to the test server. */
static inline int tfx_raw_connect(const struct tfx *fx)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)fx->port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static inline size_t tfx_count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/*
 * Sends |req| (|len| bytes) on |fd| while running the loop and collects the
 * reply into |resp| (NUL-terminated, |cap| bytes) until EOF, until |until|
 * occurs |times| times, or |timeout_ms|. Returns bytes read; *eof set on EOF/reset.
 */
static inline size_t tfx_raw_talk(struct tfx *fx, int fd, const char *req, size_t len, char *resp,
                           size_t cap, const char *until, size_t times, unsigned timeout_ms,
                           int *eof)
{
	size_t sent = 0, got = 0;
	uint64_t end = tfx_now_ms() + timeout_ms;
	*eof = 0;
	resp[0] = '\0';
	while (tfx_now_ms() < end) {
		event_base_loop(fx->base, EVLOOP_NONBLOCK);
		if (sent < len) {
			ssize_t w = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
			if (w > 0)
				sent += (size_t)w;
			else if (w < 0 && errno != EAGAIN)
				sent = len; /* peer closed; go on reading what it said */
		}
		ssize_t r = recv(fd, resp + got, cap - 1 - got, 0);
		if (r > 0) {
			got += (size_t)r;
			resp[got] = '\0';
			if (until && tfx_count(resp, until) >= times)
				break;
			if (got == cap - 1)
				break;
		} else if (r == 0 || (r < 0 && errno != EAGAIN)) {
			*eof = 1;
			break;
		} else {
			event_base_loop(fx->base, EVLOOP_ONCE);
		}
	}
	return got;
}

/* Runs "openssl req" to make a self-signed cert for 127.0.0.1 in fx->dir. */
static inline int tfx_make_cert(struct tfx *fx)
{
	char cert[128], key[128];
	tfx_path(fx, cert, sizeof(cert), "cert.pem");
	tfx_path(fx, key, sizeof(key), "key.pem");
	char *argv[] = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
	                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
	                "-days", "2", "-subj", "/CN=localhost", "-addext",
	                "subjectAltName=IP:127.0.0.1,DNS:localhost", NULL};
	pid_t pid = tfx_spawn(argv, NULL, NULL);
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static inline int tfx_mkdir(struct tfx *fx)
{
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/swsrvtestXXXXXX");
	return mkdtemp(fx->dir) ? 0 : -1;
}

static inline void tfx_rmdir(struct tfx *fx)
{
	char cmd[128];
	if (!fx->dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", fx->dir);
}

/* Writes |n| pseudo-random bytes to |path|. */
static inline int tfx_write_random(const char *path, size_t n)
{
	FILE *f = fopen(path, "wb");
	uint32_t x = 2463534242u;
	if (!f)
		return -1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		fputc((int)(x & 0xff), f);
	}
	fclose(f);
	return 0;
}

#endif
