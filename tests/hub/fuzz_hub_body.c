/*
 * Fuzz target of the hub's request-body path: the bytes after a one-byte
 * selector go to create, update, /status update, or a merge, JSON or
 * strategic merge patch of one of the resources, on a hub holding a few
 * objects. Whatever the body, the call must answer (0 or an API error,
 * never a crash or leak) and every object the hub then keeps must still
 * validate against its schema. With -Dfuzzing_engine=libfuzzer this is a
 * libFuzzer target; otherwise main() replays the corpus folders given as
 * arguments and a bounded run of seeded mutations of it.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hub_client.h"
#include "hub_crd.h"
#include "hub_objects.h"
#include "hub_schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hub *hub;
static struct hub_defs defs;
static struct hub_schema *schema;

static void init(void)
{
	if (hub)
		return;
	struct hub_cfg cfg = {.watch_window = 64, .seed = 3};
	char err[256];
	hub = hub_new(&cfg, err, sizeof(err));
	if (!hub || hub_defs_load(&defs, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz init: %s\n", err);
		abort();
	}
	schema = hub_schema_new();
	json_t *o = hubobj_namespace("f");
	hub_create(hub, KUBE_RES_NAMESPACE, o, NULL, NULL);
	json_decref(o);
	o = hubobj_bmh("f", "h", 1, 0);
	hub_create(hub, KUBE_RES_BAREMETALHOST, o, NULL, NULL);
	json_decref(o);
	o = hubobj_secret("f", "s");
	hub_create(hub, KUBE_RES_SECRET, o, NULL, NULL);
	json_decref(o);
}

static int check_cb(void *arg, const struct hub_blob *b)
{
	json_t *o = hub_blob_parse(b);
	struct hub_schema_report rep;
	if (!o || hub_schema_process(schema, defs.r[b->res].schema, o, HUB_SCHEMA_VALIDATE, &rep) != 0) {
		fprintf(stderr, "stored object %s/%s does not validate: %s\n", b->ns, b->name, b->json);
		abort();
	}
	hub_schema_report_clear(&rep);
	json_decref(o);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init();
	if (size < 1)
		return 0;
	static const enum kube_res_id res[] = {KUBE_RES_BAREMETALHOST, KUBE_RES_SECRET, KUBE_RES_NAMESPACE,
	                                       KUBE_RES_AGENT, KUBE_RES_INFRAENV, KUBE_RES_CLUSTERDEPLOYMENT};
	enum kube_res_id r = res[(data[0] >> 3) % 6];
	int op = data[0] & 7;
	json_t *body = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, NULL);
	if (!body)
		return 0; /* the HTTP layer answers 400 before any of this */
	const char *name = r == KUBE_RES_SECRET ? "s" : r == KUBE_RES_NAMESPACE ? "f" : "h";
	const char *ns = r == KUBE_RES_NAMESPACE ? NULL : "f";
	json_t *out = NULL, *st = NULL;
	int rv;
	switch (op) {
	case 0: rv = hub_create(hub, r, body, &out, &st); break;
	case 1: rv = hub_update(hub, r, body, &out, &st); break;
	case 2: rv = hub_update_status(hub, r, body, &out, &st); break;
	case 3: rv = hub_patch(hub, r, ns, name, HUB_PATCH_MERGE, body, 0, &out, &st); break;
	case 4: rv = hub_patch(hub, r, ns, name, HUB_PATCH_JSON, body, 0, &out, &st); break;
	case 5: rv = hub_patch(hub, r, ns, name, HUB_PATCH_STRATEGIC, body, 0, &out, &st); break;
	case 6: rv = hub_patch(hub, r, ns, name, HUB_PATCH_MERGE, body, 1, &out, &st); break;
	default: rv = hub_patch(hub, r, ns, name, HUB_PATCH_JSON, body, 1, &out, &st); break;
	}
	if ((rv == 0) != (out != NULL) || (rv != 0 && !st))
		abort(); /* an answer is an object or a Status */
	json_decref(out);
	json_decref(st);
	json_decref(body);
	for (size_t i = 0; i < KUBE_RES_COUNT; i++)
		hub_list(hub, (enum kube_res_id)i, NULL, NULL, check_cb, NULL);
	return 0;
}

#ifndef SW_FUZZ_LIBFUZZER
static uint8_t *corpus[64];
static size_t corpus_len[64], ncorpus;

static void replay_file(const char *p)
{
	FILE *f = fopen(p, "rb");
	if (!f)
		return;
	static uint8_t buf[65536];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	if (ncorpus < 64) {
		corpus[ncorpus] = malloc(n + 1);
		memcpy(corpus[ncorpus], buf, n);
		corpus_len[ncorpus++] = n;
	}
}

static void replay(const char *p)
{
	struct stat st;
	if (stat(p, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		replay_file(p);
		return;
	}
	DIR *d = opendir(p);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char full[4096];
		snprintf(full, sizeof(full), "%s/%s", p, e->d_name);
		replay_file(full);
	}
	if (d)
		closedir(d);
}

static uint64_t rng(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		replay(argv[i]);
	if (!ncorpus) {
		fprintf(stderr, "fuzz_hub_body: no corpus\n");
		return 1;
	}
	uint64_t x = 0x9e3779b97f4a7c15ull;
	static uint8_t buf[65536 + 64];
	unsigned valid = 0;
	for (int iter = 0; iter < 5000; iter++) {
		size_t k = rng(&x) % ncorpus, n = corpus_len[k];
		memcpy(buf, corpus[k], n);
		buf[0] = (uint8_t)rng(&x); /* any operation on any resource */
		int muts = (int)(rng(&x) % 4);
		for (int m = 0; m < muts && n > 1; m++) {
			size_t pos = 1 + rng(&x) % (n - 1);
			switch (rng(&x) % 4) {
			case 0: buf[pos] = "{}[]\":,0tnf-"[rng(&x) % 12]; break;
			case 1: buf[pos] ^= (uint8_t)(1u << (rng(&x) % 8)); break;
			case 2: n = pos; break;
			default: buf[pos] = (uint8_t)rng(&x); break;
			}
		}
		json_t *v = json_loadb((const char *)buf + 1, n - 1, JSON_DECODE_ANY, NULL);
		if (v)
			valid++;
		json_decref(v);
		LLVMFuzzerTestOneInput(buf, n);
	}
	for (size_t i = 0; i < ncorpus; i++)
		free(corpus[i]);
	hub_free(&hub);
	hub_defs_free(&defs);
	hub_schema_free(&schema);
	printf("fuzz_hub_body: corpus replayed, 5000 mutations ok (%u valid JSON)\n", valid);
	return 0;
}
#endif
