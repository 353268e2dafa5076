/*
 * sw_load: load generator on sw_client, for benchmarks against h2load and
 * for holding many idle connections (memory per connection).
 *
 *   sw_load URL [-c CONNS] [-m STREAMS] [-n REQUESTS] [--h1] [--insecure]
 *           [--ca FILE] [--path P] [--dedicated] [--hold SECONDS]
 *
 * Prints one machine-readable line:
 *   requests=N ok=N errors=N seconds=S rps=R conns=C peak_rss_kib=K rss_per_conn_kib=X ...
 */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/event.h>

#include "sw_client.h"
#include "sw_err.h"
#include "sw_http.h"

struct load;

struct slot {
	struct load *ld;
	struct sw_link *link; /* NULL in shared mode */
	unsigned inflight;
};

struct load {
	struct event_base *base;
	struct sw_client *c;
	const char *path;
	unsigned long total, submitted, done, ok, errors;
	unsigned per_slot;
	unsigned nslots;
	struct slot *slots;
	int hold;
	unsigned long hold_started, hold_pending;
	unsigned hold_window;
	char last_err[256];
};

static long rss_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t kl = strlen(key);
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0)
			v = strtol(line + kl, NULL, 10);
	fclose(f);
	return v;
}

static void submit(struct slot *s);

static void on_resp(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct slot *s = arg;
	struct load *ld = s->ld;
	s->inflight--;
	ld->done++;
	if (err) {
		ld->errors++;
		snprintf(ld->last_err, sizeof(ld->last_err), "%s: %s", sw_err_name(err), msg);
	} else if (resp->status >= 200 && resp->status < 400) {
		ld->ok++;
	} else {
		ld->errors++;
		snprintf(ld->last_err, sizeof(ld->last_err), "HTTP status %d", resp->status);
	}
	if (ld->hold) {
		ld->hold_pending--;
		/* The first connection went alone so the rest resume its TLS
		 * session; then at most 32 set-ups are in progress at a time. */
		ld->hold_window = 32;
		while (ld->hold_started < ld->nslots && ld->hold_pending < ld->hold_window) {
			submit(&ld->slots[ld->hold_started++]);
			ld->hold_pending++;
		}
		if (ld->done == ld->nslots)
			event_base_loopbreak(ld->base);
		return;
	}
	submit(s);
	if (ld->done == ld->total)
		event_base_loopbreak(ld->base);
}

static void submit(struct slot *s)
{
	struct load *ld = s->ld;
	while (s->inflight < ld->per_slot && ld->submitted < ld->total) {
		struct sw_req *q = sw_req_new("GET", ld->path);
		if (!q) {
			fprintf(stderr, "sw_load: out of memory\n");
			exit(1);
		}
		ld->submitted++;
		s->inflight++;
		if (sw_client_request(ld->c, s->link, q, on_resp, s) != 0) {
			fprintf(stderr, "sw_load: sw_client_request failed\n");
			exit(1);
		}
		if (ld->hold)
			break;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: sw_load URL [-c CONNS] [-m STREAMS] [-n REQUESTS] [--h1] [--h2]\n"
	                "       [--insecure] [--ca FILE] [--path P] [--dedicated] [--hold SECONDS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"h1", no_argument, NULL, '1'},         {"h2", no_argument, NULL, '2'},
		{"insecure", no_argument, NULL, 'k'},   {"ca", required_argument, NULL, 'a'},
		{"path", required_argument, NULL, 'p'}, {"dedicated", no_argument, NULL, 'd'},
		{"hold", required_argument, NULL, 'H'}, {NULL, 0, NULL, 0},
	};
	struct sw_client_cfg cfg;
	unsigned conns = 1, streams = 1;
	unsigned long total = 1000;
	int dedicated = 0, hold = 0, ch;
	const char *path = "/";
	sw_client_cfg_init(&cfg);
	while ((ch = getopt_long(argc, argv, "c:m:n:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conns = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'm': streams = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'n': total = strtoul(optarg, NULL, 10); break;
		case '1': cfg.proto = SW_PROTO_H1; break;
		case '2': cfg.proto = SW_PROTO_H2; break;
		case 'k': cfg.insecure = 1; break;
		case 'a': cfg.ca_file = optarg; break;
		case 'p': path = optarg; break;
		case 'd': dedicated = 1; break;
		case 'H': hold = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || !conns || !streams)
		usage();
	cfg.url = argv[optind];
	if (cfg.proto == SW_PROTO_H1)
		streams = 1;

	struct load ld;
	memset(&ld, 0, sizeof(ld));
	ld.path = path;
	ld.hold = hold > 0;
	long rss0 = rss_kib("VmRSS:");
	ld.base = event_base_new();
	if (!ld.base)
		return 1;
	if (ld.hold) {
		dedicated = 1;
		total = conns;
		streams = 1;
		cfg.idle_timeout_ms = (unsigned)(hold + 600) * 1000u;
		cfg.request_timeout_ms = 120000;
		cfg.connect_timeout_ms = 30000;
		cfg.tls_timeout_ms = 30000;
	}
	/* One source address reaches the target with one ephemeral port range
	 * (about 28,000 ports): past 20,000 dedicated connections to an IPv4
	 * loopback target, spread them over 127.0.0.x (as the swarm's shards do). */
	if (dedicated && conns > 20000)
		cfg.loopback_sources = (conns + 19999) / 20000;
	if (!dedicated) {
		cfg.max_conns = conns;
		cfg.max_streams = streams;
	}
	char err[256];
	ld.c = sw_client_new(ld.base, &cfg, err, sizeof(err));
	if (!ld.c) {
		fprintf(stderr, "sw_load: %s\n", err);
		return 1;
	}
	ld.total = total;
	ld.nslots = dedicated ? conns : 1;
	ld.per_slot = dedicated ? streams : conns * streams;
	ld.slots = calloc(ld.nslots, sizeof(*ld.slots));
	if (!ld.slots)
		return 1;
	for (unsigned i = 0; i < ld.nslots; i++) {
		ld.slots[i].ld = &ld;
		if (dedicated && !(ld.slots[i].link = sw_link_new(ld.c)))
			return 1;
	}
	uint64_t t0 = sw_now_ns();
	if (ld.hold) {
		ld.hold_window = 1;
		submit(&ld.slots[0]);
		ld.hold_started = 1;
		ld.hold_pending = 1;
		event_base_dispatch(ld.base);
	} else {
		for (unsigned i = 0; i < ld.nslots; i++)
			submit(&ld.slots[i]);
		event_base_dispatch(ld.base);
	}
	double secs = (double)(sw_now_ns() - t0) / 1e9;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	struct sw_client_stats st;
	long rss_hold = 0;
	if (ld.hold) {
		struct timeval tv = {hold, 0};
		event_base_loopexit(ld.base, &tv);
		event_base_dispatch(ld.base);
		rss_hold = rss_kib("VmRSS:");
		struct mallinfo2 mi = mallinfo2();
		fprintf(stderr, "sw_load: heap in use %zu KiB, free in heap %zu KiB\n", mi.uordblks / 1024,
		        mi.fordblks / 1024);
	}
	sw_client_get_stats(ld.c, &st);
	long peak = rss_kib("VmHWM:");
	double per_conn = st.conns_open ? (double)((ld.hold ? rss_hold : peak) - rss0) / (double)st.conns_open : 0;
	printf("requests=%lu ok=%lu errors=%lu seconds=%.3f rps=%.0f conns=%llu peak_rss_kib=%ld "
	       "rss_per_conn_kib=%.1f tls_handshakes=%llu tls_resumed=%llu retries=%llu goaways=%llu "
	       "cpu_seconds=%.3f rps_per_cpu=%.0f\n",
	       ld.done, ld.ok, ld.errors, secs, secs > 0 ? (double)ld.done / secs : 0,
	       (unsigned long long)st.conns_open, peak, per_conn, (unsigned long long)st.tls_handshakes,
	       (unsigned long long)st.tls_resumed, (unsigned long long)st.retries,
	       (unsigned long long)st.goaways, cpu, cpu > 0 ? (double)ld.done / cpu : 0);
	if (ld.errors)
		fprintf(stderr, "sw_load: last error: %s\n", ld.last_err);
	for (unsigned i = 0; i < ld.nslots; i++)
		sw_link_free(&ld.slots[i].link);
	sw_client_free(&ld.c);
	free(ld.slots);
	event_base_free(ld.base);
	return ld.errors ? 1 : 0;
}
