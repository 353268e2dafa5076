/*
 * cmd_cleanup: `swarm cleanup [OPTIONS] SERVICE.yaml INPUT...` (see cmd.h):
 * deletes everything a run created, from its journal(s) and/or results
 * file(s), also after the run was killed. Idempotent: run it twice and the
 * second finds everything already gone.
 *
 * What gets deleted: every cluster and infra-env the journals and results
 * name, plus (unless --no-sweep) every cluster and infra-env the service
 * lists whose name is one of the run's ("[prefix-]<run id>-<index>"), which
 * covers the records a SIGKILL cut off before the journal's last flush;
 * then the journal's kube objects on the hub (--kube-server, else the
 * kubeconfig the run itself would use, see kubeconfig.h): namespaced
 * objects outside the journaled namespaces, cluster-scoped ones, then the
 * namespaces (whose contents go with them). The deletions run
 * through the reaper (reap.h): a cluster still installing is cancelled
 * first, an infra-env's remaining hosts are deleted before it, 404 counts
 * as already gone.
 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "as_model.h"
#include "http_once.h"
#include "journal.h"
#include "kubeconfig.h"
#include "reap.h"
#include "results_load.h"
#include "rt.h"
#include "sw_err.h"

#define CLEANUP_TIMEOUT_MS 30000
#define CLEANUP_LIST_MAX_BODY (256u << 20)

struct target {
	char *cid, *iid;          /* cluster id and/or infra-env id */
	int from_sweep;
};

struct cleanup {
	const char *run_id;
	char *run_id_owned;
	char endpoint[1024];      /* of the inputs (journal header / results service), "" = unknown */
	struct target *t;
	size_t nt, cap;
	json_t *seen;             /* ids already listed */
	struct journal_run *jr;
	size_t njr;
	size_t records;           /* objects named by the inputs */
	size_t swept;             /* objects the sweep added */
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: swarm cleanup [OPTIONS] SERVICE.yaml INPUT...\n"
	        "\n"
	        "Deletes every cluster and infra-env (and kube object) a run created. INPUT is a\n"
	        "journal (RESULTS.journal, written as the run goes) or a results file; all inputs\n"
	        "must be of one run. Idempotent: 404 counts as already gone.\n"
	        "\n"
	        "Options:\n"
	        "      --no-sweep             do not also list the service's clusters and\n"
	        "                             infra-envs to find the run's by name\n"
	        "      --parallel N           deletions at once (default 16)\n"
	        "      --dry-run              list what would be deleted, delete nothing\n"
	        "      --force                the inputs name another service endpoint: go on\n"
	        "      --kube-server URL      the hub of the journal's kube objects (default:\n"
	        "                             the kubeconfig a kube-mode run uses)\n"
	        "      --kube-token-file F    its bearer token\n"
	        "      --kube-ca F            its CA bundle\n"
	        "      --kube-insecure        do not verify its certificate\n"
	        "      --json                 print the outcome as one JSON object\n"
	        "  -q, --quiet                only errors\n"
	        "\n"
	        "Exit codes: 0 all deleted or already gone; 1 some could not be deleted; 2 usage or\n"
	        "service config; 3 an input cannot be read (or is truncated); 4 another journal\n"
	        "or results version; 5 not a journal or results file, or a malformed record;\n"
	        "7 inputs of different runs; 9 the service (or hub) cannot be reached.\n");
}

static int add_target(struct cleanup *c, const char *cid, const char *iid, int sweep)
{
	char key[96];
	if ((!cid || !*cid) && (!iid || !*iid))
		return 0;
	snprintf(key, sizeof(key), "%s|%s", cid ? cid : "", iid ? iid : "");
	if (cid && *cid) {
		char k2[64];
		snprintf(k2, sizeof(k2), "c:%s", cid);
		if (json_object_get(c->seen, k2))
			cid = NULL;
		else
			json_object_set_new(c->seen, k2, json_true());
	}
	if (iid && *iid) {
		char k2[64];
		snprintf(k2, sizeof(k2), "i:%s", iid);
		if (json_object_get(c->seen, k2))
			iid = NULL;
		else
			json_object_set_new(c->seen, k2, json_true());
	}
	if ((!cid || !*cid) && (!iid || !*iid))
		return 0;
	if (c->nt == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct target *v = realloc(c->t, cap * sizeof(*v));
		if (!v)
			return SW_ERR_NOMEM;
		c->t = v;
		c->cap = cap;
	}
	c->t[c->nt].cid = cid && *cid ? strdup(cid) : NULL;
	c->t[c->nt].iid = iid && *iid ? strdup(iid) : NULL;
	c->t[c->nt].from_sweep = sweep;
	c->nt++;
	if (sweep)
		c->swept++;
	else
		c->records++;
	return 0;
}

/* Is |name| one of run |run|'s objects: "[prefix-]<run>-<digits>"? */
static int name_of_run(const char *name, const char *run)
{
	const char *dash = name ? strrchr(name, '-') : NULL;
	size_t rl = strlen(run);
	if (!dash || !dash[1])
		return 0;
	for (const char *p = dash + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	size_t head = (size_t)(dash - name);
	if (head < rl || strncmp(dash - rl, run, rl))
		return 0;
	return head == rl || dash[-(long)rl - 1] == '-';
}

/* A first line that is a JSON object: a journal; else a results file. */
static int is_journal(const char *path)
{
	FILE *f = fopen(path, "rb");
	char buf[8192];
	if (!f)
		return 0;
	int yes = 0;
	if (fgets(buf, sizeof(buf), f)) {
		json_t *o = json_loads(buf, 0, NULL);
		yes = json_is_object(o) && json_object_get(o, "journal");
		json_decref(o);
	}
	fclose(f);
	return yes;
}

static int same_run(struct cleanup *c, const char *run_id, const char *endpoint, const char *path)
{
	if (!c->endpoint[0] && endpoint)
		snprintf(c->endpoint, sizeof(c->endpoint), "%s", endpoint);
	if (!c->run_id) {
		c->run_id_owned = strdup(run_id);
		c->run_id = c->run_id_owned;
		return c->run_id ? 0 : cmd_fail("cleanup", CMD_USAGE, "out of memory");
	}
	if (strcmp(c->run_id, run_id))
		return cmd_fail("cleanup", CMD_MIXED, "%s is of run %s, the other inputs of run %s: clean one run at a time",
		                path, run_id, c->run_id);
	return 0;
}

static int read_inputs(struct cleanup *c, char **inputs, int n)
{
	char err[1024];
	c->jr = calloc((size_t)n, sizeof(*c->jr));
	if (!c->jr)
		return cmd_fail("cleanup", CMD_USAGE, "out of memory");
	for (int i = 0; i < n; i++) {
		if (is_journal(inputs[i])) {
			struct journal_run *r = &c->jr[c->njr];
			int rv = journal_read(inputs[i], r, err, sizeof(err));
			if (rv != JR_OK)
				return cmd_fail("cleanup", rv, "%s", err);
			c->njr++;
			if (r->truncated)
				fprintf(stderr, "swarm cleanup: %s: the last record was cut short (a write interrupted); "
				        "the sweep by name covers it\n", inputs[i]);
			if ((rv = same_run(c, r->run_id, r->service, inputs[i])) != 0)
				return rv;
			for (size_t k = 0; k < r->nobjs; k++) {
				const struct journal_obj *o = &r->objs[k];
				if (o->kind == JK_CLUSTER) {
					/* Its infra-env goes with it (the cluster's hosts first). */
					const char *iid = NULL;
					for (size_t q = 0; q < r->nobjs; q++)
						if (r->objs[q].kind == JK_INFRA_ENV && r->objs[q].cluster_id &&
						    !strcmp(r->objs[q].cluster_id, o->id))
							iid = r->objs[q].id;
					if (add_target(c, o->id, iid, 0) < 0)
						return cmd_fail("cleanup", CMD_USAGE, "out of memory");
				}
			}
			for (size_t k = 0; k < r->nobjs; k++)
				if (r->objs[k].kind == JK_INFRA_ENV && add_target(c, NULL, r->objs[k].id, 0) < 0)
					return cmd_fail("cleanup", CMD_USAGE, "out of memory");
			continue;
		}
		struct results_file rf;
		int rv = results_load(inputs[i], &rf, 0, err, sizeof(err));
		if (rv != RL_OK) {
			results_file_free(&rf);
			return cmd_fail("cleanup", rv, "%s", err);
		}
		const char *ep = json_string_value(json_object_get(json_object_get(rf.doc, "service"), "endpoint"));
		if ((rv = same_run(c, rf.run_id, ep, inputs[i])) != 0) {
			results_file_free(&rf);
			return rv;
		}
		for (size_t k = 0; k < rf.st.nclusters; k++)
			if (rf.st.clusters[k].id[0] && add_target(c, rf.st.clusters[k].id, NULL, 0) < 0) {
				results_file_free(&rf);
				return cmd_fail("cleanup", CMD_USAGE, "out of memory");
			}
		/* The run's journal, where the results say (relative to the swarm's
		 * working directory), or beside the results file. */
		const char *jp = json_string_value(json_object_get(rf.doc, "journal"));
		char beside[4096];
		if (jp && !is_journal(jp)) {
			const char *slash = strrchr(inputs[i], '/'), *jb = strrchr(jp, '/');
			snprintf(beside, sizeof(beside), "%.*s%s", slash ? (int)(slash - inputs[i] + 1) : 0, inputs[i],
			         jb ? jb + 1 : jp);
			jp = beside;
		}
		if (jp && is_journal(jp) && c->njr < (size_t)n) {
			struct journal_run *r = &c->jr[c->njr];
			if (journal_read(jp, r, err, sizeof(err)) == JR_OK && r->run_id && !strcmp(r->run_id, c->run_id)) {
				c->njr++;
				for (size_t k = 0; k < r->nobjs; k++)
					if (r->objs[k].kind != JK_KUBE &&
					    add_target(c, r->objs[k].kind == JK_CLUSTER ? r->objs[k].id : NULL,
					               r->objs[k].kind == JK_INFRA_ENV ? r->objs[k].id : NULL, 0) < 0) {
						results_file_free(&rf);
						return cmd_fail("cleanup", CMD_USAGE, "out of memory");
					}
			} else {
				journal_run_free(r);
			}
		}
		results_file_free(&rf);
	}
	return 0;
}

struct conn {
	struct event_base *base;
	struct sw_client *client;
};

/* The run's objects the service lists (the sweep). Returns 0, or
 * CMD_UNREACHABLE with a message printed. */
static int sweep(struct cleanup *c, struct conn *k, const struct swarm_service *svc)
{
	static const char *const lists[] = {AS_API_BASE "/v2/clusters", AS_API_BASE "/v2/infra-envs"};
	char err[1024];
	for (int l = 0; l < 2; l++) {
		struct http_once ans;
		struct sw_req *req = sw_req_new("GET", lists[l]);
		char *bearer = swarm_service_bearer(svc);
		if (!req || (bearer && sw_req_header(req, "authorization", bearer)) ||
		    sw_req_header(req, "accept", "application/json")) {
			free(bearer);
			sw_req_free(&req);
			return cmd_fail("cleanup", CMD_USAGE, "out of memory");
		}
		free(bearer);
		if (http_once(k->base, k->client, req, CLEANUP_TIMEOUT_MS, &ans, err, sizeof(err)) < 0)
			return cmd_fail("cleanup", CMD_UNREACHABLE, "service %s: %s", svc->endpoint, err);
		if (ans.status < 200 || ans.status > 299) {
			int st = ans.status;
			http_once_free(&ans);
			return cmd_fail("cleanup", CMD_UNREACHABLE, "service %s: GET %s answered HTTP %d%s", svc->endpoint,
			                lists[l], st, st == 401 || st == 403 ? " (check auth and user_token)" : "");
		}
		json_t *a = ans.body ? json_loads(ans.body, 0, NULL) : NULL;
		http_once_free(&ans);
		size_t i;
		json_t *o;
		json_array_foreach(a, i, o) {
			const char *id = json_string_value(json_object_get(o, "id"));
			const char *name = json_string_value(json_object_get(o, "name"));
			if (id && name_of_run(name, c->run_id) && add_target(c, l ? NULL : id, l ? id : NULL, 1) < 0) {
				json_decref(a);
				return cmd_fail("cleanup", CMD_USAGE, "out of memory");
			}
		}
		json_decref(a);
	}
	return 0;
}

static int submit(void *arg, struct sw_link *link, struct sw_req *req, sw_resp_cb cb, void *cbarg)
{
	return sw_client_request(arg, link, req, cb, cbarg);
}

static void on_idle(void *arg)
{
	event_base_loopbreak(arg);
}

/* Is namespace |ns| one of the journals' (deleted with its contents)? */
static int ns_journaled(const struct cleanup *c, const char *ns)
{
	for (size_t j = 0; j < c->njr; j++)
		for (size_t i = 0; i < c->jr[j].nobjs; i++) {
			const struct journal_obj *o = &c->jr[j].objs[i];
			if (o->kind == JK_KUBE && !o->ns && !strcmp(o->resource, "namespaces") && !strcmp(o->name, ns))
				return 1;
		}
	return 0;
}

/* Deletes the journals' kube objects on the hub |cfg| points at (|where|
 * names it in messages). Returns failures, or -1 when the hub could not be
 * reached at all. */
static long kube_cleanup(struct cleanup *c, struct sw_client_cfg *cfg, const char *where, const char *token,
                         uint64_t *deleted, uint64_t *gone)
{
	const char *server = cfg->url;
	char err[1024];
	long failed = 0;
	struct event_base *base = event_base_new();
	if (!base)
		return -1;
	cfg->request_timeout_ms = CLEANUP_TIMEOUT_MS;
	cfg->max_conns = 1;
	struct sw_client *kc = sw_client_new(base, cfg, err, sizeof(err));
	if (!kc) {
		fprintf(stderr, "swarm cleanup: %s %s: %s\n", where, server, err);
		event_base_free(base);
		return -1;
	}
	/* Pass 0: namespaced objects outside the journaled namespaces (those go
	 * with their namespace: deleting them one by one would need rights the
	 * kube mode does not have); 1: cluster-scoped objects; 2: namespaces. */
	for (int pass = 0; pass < 3; pass++) {
		for (size_t j = 0; j < c->njr; j++) {
			for (size_t i = 0; i < c->jr[j].nobjs; i++) {
				const struct journal_obj *o = &c->jr[j].objs[i];
				if (o->kind != JK_KUBE)
					continue;
				int is_ns = !strcmp(o->resource, "namespaces") && !strcmp(o->api_version, "v1");
				if ((pass == 0 && (!o->ns || ns_journaled(c, o->ns))) || (pass == 1 && (o->ns || is_ns)) ||
				    (pass == 2 && !is_ns))
					continue;
				char path[1200], auth[8300];
				snprintf(path, sizeof(path), "%s%s%s%s/%s/%s?propagationPolicy=Background",
				         strcmp(o->api_version, "v1") ? "/apis/" : "/api/", o->api_version,
				         o->ns ? "/namespaces/" : "", o->ns ? o->ns : "", o->resource, o->name);
				struct sw_req *req = sw_req_new("DELETE", path);
				if (req && token) {
					snprintf(auth, sizeof(auth), "Bearer %s", token);
					sw_req_header(req, "authorization", auth);
				}
				struct http_once ans;
				if (!req || http_once(base, kc, req, CLEANUP_TIMEOUT_MS, &ans, err, sizeof(err)) < 0) {
					fprintf(stderr, "swarm cleanup: hub %s: %s\n", server, req ? err : "out of memory");
					sw_client_free(&kc);
					event_base_free(base);
					return -1;
				}
				if (ans.status == 404)
					(*gone)++;
				else if (ans.status >= 200 && ans.status <= 299)
					(*deleted)++;
				else {
					failed++;
					fprintf(stderr, "swarm cleanup: DELETE %s answered HTTP %d\n", path, ans.status);
				}
				http_once_free(&ans);
			}
		}
	}
	sw_client_free(&kc);
	event_base_free(base);
	return failed;
}

static char *read_token(const char *path)
{
	FILE *f = fopen(path, "rb");
	char buf[8193];
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return n ? strdup(buf) : NULL;
}

int cmd_cleanup(int argc, char **argv)
{
	static const struct option lo[] = {
		{"no-sweep", no_argument, NULL, 'S'}, {"parallel", required_argument, NULL, 'p'},
		{"dry-run", no_argument, NULL, 'n'}, {"force", no_argument, NULL, 'f'},
		{"kube-server", required_argument, NULL, 'K'}, {"kube-token-file", required_argument, NULL, 'T'},
		{"kube-ca", required_argument, NULL, 'C'}, {"kube-insecure", no_argument, NULL, 'I'},
		{"json", no_argument, NULL, 'j'}, {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int no_sweep = 0, dry = 0, force = 0, json_out = 0, quiet = 0, insecure = 0;
	unsigned parallel = 16;
	const char *kserver = NULL, *ktoken_file = NULL, *kca = NULL;
	char err[1024], warn[2048];
	optind = 1;
	opterr = 0;
	for (int ch; (ch = getopt_long(argc, argv, "+qh", lo, NULL)) != -1;) {
		switch (ch) {
		case 'S': no_sweep = 1; break;
		case 'n': dry = 1; break;
		case 'f': force = 1; break;
		case 'K': kserver = optarg; break;
		case 'T': ktoken_file = optarg; break;
		case 'C': kca = optarg; break;
		case 'I': insecure = 1; break;
		case 'j': json_out = 1; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return CMD_OK;
		case 'p': {
			char *end = NULL;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 1024)
				return cmd_fail("cleanup", CMD_USAGE, "--parallel: expected 1 to 1024, got '%s'", optarg);
			parallel = (unsigned)v;
			break;
		}
		default:
			usage(stderr);
			return cmd_fail("cleanup", CMD_USAGE, "unknown option or missing argument: %s", argv[optind - 1]);
		}
	}
	if (argc - optind < 2) {
		usage(stderr);
		return cmd_fail("cleanup", CMD_USAGE, "expected SERVICE.yaml and at least one journal or results file");
	}
	struct swarm_service svc;
	if (swarm_service_load(argv[optind], &svc, err, sizeof(err), warn, sizeof(warn)) < 0)
		return cmd_fail("cleanup", CMD_USAGE, "%s", err);
	if (!quiet && *warn)
		fputs(warn, stderr);
	struct cleanup c;
	memset(&c, 0, sizeof(c));
	c.seen = json_object();
	int code = c.seen ? read_inputs(&c, argv + optind + 1, argc - optind - 1) : CMD_USAGE;
	struct conn k = {0};
	struct swarm_stats *st = NULL;
	struct swarm_rt rt;
	struct reap *rp = NULL;
	int have_rt = 0;
	size_t nkube = 0;
	struct kubeconfig kcfg = {0};
	for (size_t j = 0; code == 0 && j < c.njr; j++)
		for (size_t i = 0; i < c.jr[j].nobjs; i++)
			nkube += c.jr[j].objs[i].kind == JK_KUBE;
	if (code == 0 && c.endpoint[0] && strcmp(c.endpoint, svc.endpoint) && !force)
		code = cmd_fail("cleanup", CMD_USAGE, "the run %s was against %s, %s points at %s (--force to go on)",
		                c.run_id, c.endpoint, svc.path, svc.endpoint);
	/* Without --kube-server, the hub is the one the run used: the service
	 * config's kubeconfig, $KUBECONFIG, ~/.kube/config or the pod's account. */
	if (code == 0 && nkube && !kserver && !dry && kubeconfig_load(svc.kubeconfig, &kcfg, err, sizeof(err)) < 0)
		code = cmd_fail("cleanup", CMD_USAGE, "the journal lists %zu kube objects and no hub was found (%s): give "
		                "--kube-server (and --kube-token-file, --kube-ca), or a kubeconfig", nkube, err);
	if (code != 0)
		goto out;
	k.base = event_base_new();
	struct sw_client_cfg cfg;
	swarm_service_client_cfg(&svc, &cfg);
	cfg.request_timeout_ms = CLEANUP_TIMEOUT_MS;
	cfg.max_body_bytes = CLEANUP_LIST_MAX_BODY;
	k.client = k.base ? sw_client_new(k.base, &cfg, err, sizeof(err)) : NULL;
	if (!k.client) {
		code = cmd_fail("cleanup", CMD_USAGE, "%s: %s", svc.path, k.base ? err : "cannot create an event loop");
		goto out;
	}
	if (!no_sweep && (code = sweep(&c, &k, &svc)) != 0)
		goto out;
	if (!quiet && !json_out)
		printf("cleanup of run %s on %s: %zu objects from the inputs, %zu more found by name%s\n", c.run_id,
		       svc.endpoint, c.records, c.swept, no_sweep ? " (no sweep)" : "");
	if (dry) {
		for (size_t i = 0; i < c.nt; i++)
			printf("  would delete%s%s%s%s%s\n", c.t[i].cid ? " cluster " : "", c.t[i].cid ? c.t[i].cid : "",
			       c.t[i].iid ? " infra-env " : "", c.t[i].iid ? c.t[i].iid : "",
			       c.t[i].from_sweep ? " (found by name)" : "");
		printf("  and %zu kube objects\n", nkube);
		goto out;
	}
	st = malloc(sizeof(*st));
	if (!st) {
		code = cmd_fail("cleanup", CMD_USAGE, "out of memory");
		goto out;
	}
	stats_init(st);
	struct swarm_ctx ctx = {.svc = &svc};
	snprintf(ctx.run_id, sizeof(ctx.run_id), "%s", c.run_id);
	ctx.run_start_ns = sw_now_ns();
	rt_init(&rt, k.base, k.client, st, &ctx, 1);
	rt.submit = submit;
	rt.submit_arg = k.client;
	have_rt = 1;
	rp = reap_new(&rt, parallel);
	reap_on_idle(rp, on_idle, k.base);
	for (size_t i = 0; i < c.nt; i++)
		reap_add(rp, c.t[i].cid, c.t[i].iid, 0);
	if (!reap_idle(rp))
		event_base_dispatch(k.base);
	struct reap_counts n = reap_counts(rp);
	uint64_t kdel = 0, kgone = 0;
	long kfail = 0;
	if (nkube) {
		char *tok = ktoken_file ? read_token(ktoken_file) : NULL;
		if (ktoken_file && !tok) {
			code = cmd_fail("cleanup", CMD_USAGE, "--kube-token-file %s: cannot read a token", ktoken_file);
			goto out;
		}
		struct sw_client_cfg kc;
		sw_client_cfg_init(&kc);
		if (kserver) {
			kc.url = kserver;
			kc.ca_file = kca;
			kc.insecure = insecure;
		} else
			kubeconfig_client_cfg(&kcfg, &kc);
		char where[1200];
		snprintf(where, sizeof(where), "%s%s", kserver ? "--kube-server" : "hub of ",
		         kserver ? "" : kcfg.source);
		kfail = kube_cleanup(&c, &kc, where, kserver ? tok : kcfg.token, &kdel, &kgone);
		free(tok);
	}
	uint64_t failed = n.clusters_failed + n.infra_envs_failed + (kfail > 0 ? (uint64_t)kfail : 0);
	uint64_t transport = 0;
	for (int e = 0; e < EP_COUNT; e++)
		for (size_t t = 1; t < sizeof(st->ep[e].transport_errors) / sizeof(uint64_t); t++)
			transport += st->ep[e].transport_errors[t];
	if (json_out) {
		json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I}, s:I, s:{s:I, s:I, s:I}}",
		                      "run_id", c.run_id, "service", svc.endpoint, "from_inputs", (json_int_t)c.records,
		                      "found_by_name", (json_int_t)c.swept,
		                      "clusters", "deleted", (json_int_t)n.clusters_deleted, "already_gone",
		                      (json_int_t)n.clusters_gone, "failed", (json_int_t)n.clusters_failed,
		                      "infra_envs", "deleted", (json_int_t)n.infra_envs_deleted, "already_gone",
		                      (json_int_t)n.infra_envs_gone, "failed", (json_int_t)n.infra_envs_failed,
		                      "hosts_deleted", (json_int_t)n.hosts_deleted,
		                      "kube", "deleted", (json_int_t)kdel, "already_gone", (json_int_t)kgone,
		                      "failed", (json_int_t)(kfail > 0 ? kfail : 0));
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		if (s)
			puts(s);
		free(s);
		json_decref(o);
	} else if (!quiet) {
		printf("clusters: %llu deleted, %llu already gone, %llu failed\n", (unsigned long long)n.clusters_deleted,
		       (unsigned long long)n.clusters_gone, (unsigned long long)n.clusters_failed);
		printf("infra-envs: %llu deleted, %llu already gone, %llu failed (%llu hosts deleted first)\n",
		       (unsigned long long)n.infra_envs_deleted, (unsigned long long)n.infra_envs_gone,
		       (unsigned long long)n.infra_envs_failed, (unsigned long long)n.hosts_deleted);
		if (nkube)
			printf("kube objects: %llu deleted, %llu already gone, %ld failed\n", (unsigned long long)kdel,
			       (unsigned long long)kgone, kfail > 0 ? kfail : 0);
	}
	if (kfail < 0)
		code = CMD_UNREACHABLE;
	else if (failed && transport && !n.clusters_deleted && !n.infra_envs_deleted && !n.clusters_gone &&
	         !n.infra_envs_gone)
		code = cmd_fail("cleanup", CMD_UNREACHABLE, "service %s: no deletion got an answer", svc.endpoint);
	else if (failed)
		code = cmd_fail("cleanup", CMD_PARTIAL, "%llu objects could not be deleted (run it again, or see the "
		                "messages above)", (unsigned long long)failed);
out:
	if (have_rt) {
		rt.stopping = 1;
		sw_client_free(&k.client);
		rt.client = NULL;
		rt_cleanup(&rt);
	}
	reap_free(&rp);
	sw_client_free(&k.client);
	if (k.base)
		event_base_free(k.base);
	if (st)
		stats_free(st);
	free(st);
	for (size_t i = 0; i < c.nt; i++) {
		free(c.t[i].cid);
		free(c.t[i].iid);
	}
	free(c.t);
	for (size_t j = 0; j < c.njr; j++)
		journal_run_free(&c.jr[j]);
	free(c.jr);
	free(c.run_id_owned);
	json_decref(c.seen);
	kubeconfig_free(&kcfg);
	swarm_service_free(&svc);
	return code;
}
