/* Fuzz target for the emulator model's request bodies: the JSON (and
 * multipart) bodies of the operations the swarm sends, each run through the
 * model's handler on a fresh model restored from a snapshot of a prepared
 * state (a cluster with hosts in discovery, or one installing), then a
 * monitor pass. Input: one byte choosing the operation (high bit: the
 * installing state), then the body. Checks: the handler answers (status
 * 200..599, a JSON body parses), and the state stays usable (monitor,
 * dump). Built with libFuzzer when -Dfuzzing_engine=libfuzzer; otherwise
 * main() replays the corpus given as arguments and runs a bounded
 * fixed-seed mutation pass over it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fuzz_util.h"
#include "model_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE "/api/assisted-install/v2"

struct op {
	const char *method;
	const char *path;      /* %C cluster, %I infra-env, %H host */
	const char *ctype;
};

static const struct op ops[] = {
	{"POST", BASE "/clusters", "application/json"},
	{"PATCH", BASE "/clusters/%C", "application/json"},
	{"POST", BASE "/infra-envs", "application/json"},
	{"POST", BASE "/infra-envs/%I/hosts", "application/json"},
	{"POST", BASE "/infra-envs/%I/hosts/%H/instructions", "application/json"},
	{"PUT", BASE "/infra-envs/%I/hosts/%H/progress", "application/json"},
	{"PUT", BASE "/infra-envs/%I/hosts/%H/logs-progress", "application/json"},
	{"PUT", BASE "/clusters/%C/logs-progress", "application/json"},
	{"PUT", BASE "/clusters/%C/progress", "application/json"},
	{"PUT", BASE "/clusters/%C/monitored-operators", "application/json"},
	{"POST", BASE "/clusters/%C/uploads/ingress-cert", "application/json"},
	{"POST", BASE "/clusters/%C/actions/complete-installation", "application/json"},
	{"POST", BASE "/clusters/%C/logs", "multipart/form-data; boundary=xyzzy"},
	{"POST", BASE "/events", "application/json"},
	{"PUT", BASE "/clusters/%C/ignored-validations", "application/json"},
	{"PATCH", BASE "/infra-envs/%I/hosts/%H", "application/json"},
	{"POST", BASE "/clusters/%C/actions/install", "application/json"},
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

struct base {
	struct emu_model_cfg cfg;
	unsigned char *snap;
	size_t len;
	char cluster[37], infra_env[37], host[37];
	uint64_t now_ns;
	int64_t wall;
};

static struct base bases[2]; /* 0: discovery, 1: installing */

/* Builds the two prepared states with the model harness, once. */
static void prepare(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	for (int k = 0; k < 2; k++) {
		struct mh h;
		mh_init(&h, NULL);
		mh_create_cluster(&h, 3, 0);
		mh_add_hosts(&h, 3);
		for (int i = 0; i < 200 && strcmp(mh_cluster_status(&h), k ? "installing" : "ready"); i++) {
			if (k && strcmp(mh_cluster_status(&h), "ready") == 0) {
				char path[256];
				snprintf(path, sizeof(path), BASE "/clusters/%s/actions/install", h.cluster_id);
				mh_req(&h, "POST", path, NULL, NULL);
			}
			mh_step(&h, 5.0);
		}
		struct base *b = &bases[k];
		b->cfg = h.cfg;
		snprintf(b->cluster, sizeof(b->cluster), "%s", h.cluster_id);
		snprintf(b->infra_env, sizeof(b->infra_env), "%s", h.infra_env_id);
		snprintf(b->host, sizeof(b->host), "%s", h.hosts[0].id);
		b->now_ns = h.now_ns;
		b->wall = h.wall;
		b->snap = mh_snapshot(h.m, &b->len);
		mh_free(&h);
	}
}

static void expand(const char *tmpl, const struct base *b, char *out, size_t len)
{
	size_t o = 0;
	for (const char *p = tmpl; *p && o + 40 < len; p++) {
		if (*p == '%' && (p[1] == 'C' || p[1] == 'I' || p[1] == 'H')) {
			const char *id = p[1] == 'C' ? b->cluster : p[1] == 'I' ? b->infra_env : b->host;
			o += (size_t)snprintf(out + o, len - o, "%s", id);
			p++;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 262144)
		return 0;
	prepare();
	const struct base *b = &bases[(data[0] & 0x80) ? 1 : 0];
	const struct op *op = &ops[(data[0] & 0x7f) % NOPS];
	char err[256], path[256];
	struct emu_model *m = emu_model_new(&b->cfg);
	if (!m || emu_model_restore(m, b->snap, b->len, err, sizeof(err)) != 0)
		abort();
	expand(op->path, b, path, sizeof(path));
	struct emu_request req = {
		.method = op->method, .path = path,
		.query = strcmp(op->path + strlen(op->path) - 5, "/logs") == 0 ? "logs_type=controller" : "",
		.body = (const char *)data + 1, .body_len = size - 1, .content_type = op->ctype,
		.agent_version_header = "quay.io/edge-infrastructure/assisted-installer-agent:latest",
		.is_agent = 1, .now_ns = b->now_ns + 1000000000ull, .wall_s = b->wall + 1,
	};
	struct emu_response resp;
	memset(&resp, 0, sizeof(resp));
	if (emu_model_handle(m, &req, &resp) != 0 || resp.status < 200 || resp.status > 599)
		abort();
	if (resp.body) {
		if (strlen(resp.body) != resp.body_len)
			abort();
		if (resp.content_type && strstr(resp.content_type, "json")) {
			json_t *j = json_loadb(resp.body, resp.body_len, JSON_DECODE_ANY, NULL);
			if (!j)
				abort();
			json_decref(j);
		}
	}
	free(resp.body);
	/* The state the request left must still run and render. */
	emu_model_monitor(m, b->now_ns + 20000000000ull, b->wall + 20);
	json_t *d = emu_model_dump(m);
	if (!d)
		abort();
	json_decref(d);
	emu_model_free(&m);
	return 0;
}

#ifndef SW_FUZZ_LIBFUZZER
#define MAX_SEEDS 64
static uint8_t *seeds[MAX_SEEDS];
static size_t seed_len[MAX_SEEDS], nseeds;

/* Runs a corpus file and keeps it as a seed of the mutation pass. */
static void run_input(const uint8_t *data, size_t n, void *arg)
{
	LLVMFuzzerTestOneInput(data, n);
	if (nseeds < MAX_SEEDS && n) {
		seeds[nseeds] = malloc(n);
		memcpy(seeds[nseeds], data, n);
		seed_len[nseeds++] = n;
	}
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		fuzz_replay(argv[i], 262144, run_input, NULL);
	uint64_t x = 0x2545f4914f6cdd1dull;
	static uint8_t buf[8192];
	int runs = 0;
	for (int iter = 0; nseeds && iter < 3000; iter++) {
		size_t s = fuzz_rng(&x) % nseeds, n = seed_len[s] < sizeof(buf) ? seed_len[s] : sizeof(buf);
		memcpy(buf, seeds[s], n);
		n = fuzz_mutate(buf, n, sizeof(buf), 1, "{}[]\",:0-e.\\", "[{\"a\":", &x);
		LLVMFuzzerTestOneInput(buf, n);
		runs++;
	}
	for (size_t i = 0; i < nseeds; i++)
		free(seeds[i]);
	for (int k = 0; k < 2; k++)
		free(bases[k].snap);
	printf("fuzz_emu_bodies: %zu corpus files replayed, %d mutations ok\n", nseeds, runs);
	return nseeds ? 0 : 1;
}
#endif
