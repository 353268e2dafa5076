/*
 * emu_populate: fills an assisted-emulator with registered hosts for the
 * emulator benchmark (bench/emulator_bench.sh): creates CLUSTERS clusters
 * with one infra-env each and registers HOSTS hosts spread over them, many
 * requests in flight on a few h2c connections, then writes an h2load URI
 * list (-i) of the instruction GETs of every registered host.
 *
 *   emu_populate URL [--hosts N] [--hosts-per-cluster K] [--concurrency C]
 *                [--uris FILE] [--h1]
 *
 * Prints one line: hosts=N clusters=C seconds=S registrations_per_s=R errors=E
 * and exits 1 when any registration failed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/rand.h>

#include "sw_client.h"
#include "sw_err.h"
#include "sw_http.h"

#define API "/api/assisted-install"
#define PULL_SECRET "{\\\"auths\\\":{\\\"cloud.openshift.com\\\":{\\\"auth\\\":\\\"dXNlcjpwYXNz\\\"}}}"

struct pop;

/* One unit of work: create cluster i, create infra-env i, or register host i. */
enum phase { PH_CLUSTERS, PH_INFRAENVS, PH_HOSTS };

struct job {
	struct pop *p;
	unsigned long idx;
};

struct pop {
	struct event_base *base;
	struct sw_client *c;
	enum phase phase;
	unsigned long total, submitted, done, errors;
	unsigned concurrency;
	unsigned long nclusters, per_cluster, nhosts;
	char (*cluster_ids)[37];
	char (*ie_ids)[37];
	char (*host_ids)[37];
	unsigned char *host_ok;
	char agent_image[256];
	char last_err[256];
};

static void uuid4(char out[37])
{
	unsigned char b[16];
	RAND_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}

static void submit(struct pop *p);

static void on_done(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct job *j = arg;
	struct pop *p = j->p;
	p->done++;
	int want = 201;
	if (err || !resp || resp->status != want) {
		p->errors++;
		snprintf(p->last_err, sizeof(p->last_err), "%s %d %s", sw_err_name(err),
		         resp ? resp->status : 0, msg ? msg : "");
		goto out;
	}
	if (p->phase != PH_HOSTS) {
		size_t len = evbuffer_get_length(resp->body);
		json_t *o = json_loadb((const char *)evbuffer_pullup(resp->body, -1), len, 0, NULL);
		const char *id = json_string_value(json_object_get(o, "id"));
		if (id && strlen(id) == 36)
			memcpy(p->phase == PH_CLUSTERS ? p->cluster_ids[j->idx] : p->ie_ids[j->idx], id, 37);
		else
			p->errors++;
		json_decref(o);
	} else {
		p->host_ok[j->idx] = 1;
	}
out:
	free(j);
	submit(p);
}

static struct sw_req *make_req(struct pop *p, unsigned long i)
{
	char path[200], body[600];
	struct sw_req *r = NULL;
	switch (p->phase) {
	case PH_CLUSTERS:
		r = sw_req_new("POST", API "/v2/clusters");
		snprintf(body, sizeof(body), "{\"name\":\"bench-c%lu\",\"openshift_version\":\"4.22\","
		         "\"pull_secret\":\"%s\",\"base_dns_domain\":\"example.com\","
		         "\"control_plane_count\":3}", i, PULL_SECRET);
		break;
	case PH_INFRAENVS:
		r = sw_req_new("POST", API "/v2/infra-envs");
		snprintf(body, sizeof(body), "{\"name\":\"bench-ie%lu\",\"pull_secret\":\"%s\","
		         "\"cluster_id\":\"%s\",\"openshift_version\":\"4.22\"}", i, PULL_SECRET,
		         p->cluster_ids[i]);
		break;
	case PH_HOSTS:
		snprintf(path, sizeof(path), API "/v2/infra-envs/%s/hosts", p->ie_ids[i / p->per_cluster]);
		r = sw_req_new("POST", path);
		snprintf(body, sizeof(body), "{\"host_id\":\"%s\",\"discovery_agent_version\":\"%s\"}",
		         p->host_ids[i], p->agent_image);
		if (r)
			sw_req_header(r, "discovery_agent_version", p->agent_image);
		break;
	}
	if (r)
		sw_req_json(r, body, strlen(body));
	return r;
}

static void submit(struct pop *p)
{
	while (p->submitted < p->total && p->submitted - p->done < p->concurrency) {
		unsigned long i = p->submitted++;
		struct job *j = calloc(1, sizeof(*j));
		struct sw_req *r = j ? make_req(p, i) : NULL;
		if (!r) {
			free(j);
			p->done++;
			p->errors++;
			continue;
		}
		j->p = p;
		j->idx = i;
		if (sw_client_request(p->c, NULL, r, on_done, j) != 0) {
			free(j);
			p->done++;
			p->errors++;
		}
	}
	if (p->done == p->total)
		event_base_loopbreak(p->base);
}

static void run_phase(struct pop *p, enum phase ph, unsigned long total)
{
	p->phase = ph;
	p->total = total;
	p->submitted = p->done = 0;
	submit(p);
	if (p->done < p->total)
		event_base_dispatch(p->base);
}

static void on_versions(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct pop *p = arg;
	if (!err && resp->status == 200) {
		size_t len = evbuffer_get_length(resp->body);
		json_t *o = json_loadb((const char *)evbuffer_pullup(resp->body, -1), len, 0, NULL);
		const char *img = json_string_value(json_object_get(json_object_get(o, "versions"),
		                                                    "discovery-agent"));
		snprintf(p->agent_image, sizeof(p->agent_image), "%s", img ? img : "");
		json_decref(o);
	}
	event_base_loopbreak(p->base);
}

static double now_s(void)
{
	return (double)sw_now_ns() / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"hosts", required_argument, NULL, 'n'}, {"hosts-per-cluster", required_argument, NULL, 'k'},
		{"concurrency", required_argument, NULL, 'c'}, {"uris", required_argument, NULL, 'u'},
		{"h1", no_argument, NULL, '1'}, {NULL, 0, NULL, 0},
	};
	struct pop p;
	memset(&p, 0, sizeof(p));
	p.nhosts = 100000;
	p.per_cluster = 100;
	p.concurrency = 512;
	const char *uris = NULL;
	int h1 = 0, o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'n': p.nhosts = strtoul(optarg, NULL, 10); break;
		case 'k': p.per_cluster = strtoul(optarg, NULL, 10); break;
		case 'c': p.concurrency = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'u': uris = optarg; break;
		case '1': h1 = 1; break;
		default: return 2;
		}
	}
	if (optind >= argc || !p.nhosts || !p.per_cluster || !p.concurrency) {
		fprintf(stderr, "usage: emu_populate URL [--hosts N] [--hosts-per-cluster K] "
		        "[--concurrency C] [--uris FILE] [--h1]\n");
		return 2;
	}
	const char *url = argv[optind];
	p.nclusters = (p.nhosts + p.per_cluster - 1) / p.per_cluster;
	p.cluster_ids = calloc(p.nclusters, 37);
	p.ie_ids = calloc(p.nclusters, 37);
	p.host_ids = calloc(p.nhosts, 37);
	p.host_ok = calloc(p.nhosts, 1);
	p.base = event_base_new();
	char err[256];
	struct sw_client_cfg cfg;
	sw_client_cfg_init(&cfg);
	cfg.url = url;
	cfg.proto = h1 ? SW_PROTO_H1 : SW_PROTO_H2;
	cfg.max_conns = 8;
	cfg.request_timeout_ms = 120000;
	p.c = sw_client_new(p.base, &cfg, err, sizeof(err));
	if (!p.c || !p.cluster_ids || !p.ie_ids || !p.host_ids || !p.host_ok) {
		fprintf(stderr, "emu_populate: %s\n", p.c ? "out of memory" : err);
		return 1;
	}
	struct sw_req *r = sw_req_new("GET", API "/v2/component-versions");
	sw_client_request(p.c, NULL, r, on_versions, &p);
	event_base_dispatch(p.base);
	if (!p.agent_image[0]) {
		fprintf(stderr, "emu_populate: cannot read component-versions from %s\n", url);
		return 1;
	}
	for (unsigned long i = 0; i < p.nhosts; i++)
		uuid4(p.host_ids[i]);
	double t0 = now_s();
	run_phase(&p, PH_CLUSTERS, p.nclusters);
	run_phase(&p, PH_INFRAENVS, p.nclusters);
	double t1 = now_s();
	run_phase(&p, PH_HOSTS, p.nhosts);
	double t2 = now_s();
	unsigned long ok = 0;
	FILE *f = uris ? fopen(uris, "w") : NULL;
	for (unsigned long i = 0; i < p.nhosts; i++) {
		if (!p.host_ok[i])
			continue;
		ok++;
		if (f)
			fprintf(f, "%s" API "/v2/infra-envs/%s/hosts/%s/instructions?timestamp=%lld\n", url,
			        p.ie_ids[i / p.per_cluster], p.host_ids[i], (long long)time(NULL));
	}
	if (f)
		fclose(f);
	printf("hosts=%lu clusters=%lu setup_seconds=%.2f register_seconds=%.2f "
	       "registrations_per_s=%.0f errors=%lu%s%s\n", ok, p.nclusters, t1 - t0, t2 - t1,
	       (double)ok / (t2 - t1 > 0 ? t2 - t1 : 1), p.errors, p.errors ? " last_error=" : "",
	       p.errors ? p.last_err : "");
	sw_client_free(&p.c);
	event_base_free(p.base);
	free(p.cluster_ids);
	free(p.ie_ids);
	free(p.host_ids);
	free(p.host_ok);
	return p.errors ? 1 : 0;
}
