/*
 * End-to-end test of the emulated hub over the network: starts
 * assisted-emulator with --kube-api on loopback (random ports) and drives
 * the Kubernetes API with the protocol client (HTTP/2 cleartext, HTTP/1.1,
 * or HTTP/2 over TLS): discovery, Status errors (400, 404, 405, 409, 413,
 * 415, 422), bad bodies that must leave the state intact, lists with
 * selectors and pages, the status subresource, Table output, delete
 * propagation (Orphan, Foreground), watches (resume from a
 * resourceVersion, selectors, synthetic ADDED, bookmarks, 410 and relist,
 * a client too slow for the window), bearer-token auth, injected faults and
 * the apiserver metrics.
 *
 * usage: e2e_hub EMULATOR [--proto h2|h1] [--tls]
 * Exit 0 when everything behaved, 1 otherwise (first failure printed).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e_util.h"
#include "kube_watch.h"
#include "sw_err.h"
#include "sw_http.h"

#define FAIL(...) do { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } while (0)
#define CHECK(cond, ...) do { if (!(cond)) FAIL(__VA_ARGS__); } while (0)

#define TOKEN "e2e-kube-token"
#define BMH "/apis/metal3.io/v1alpha1/namespaces/e2e/baremetalhosts"
#define CMS "/api/v1/namespaces/e2e/configmaps"

static int proto_h1, tls;
static struct e2e_child *running;

static void stop_at_exit(void)
{
	if (running && running->pid > 0)
		e2e_child_stop(running);
}

/* Starts the emulator with |extra| options; fills |c| with the kube-api port. */
static void start(const char *emu, const char *const *extra, struct e2e_child *c)
{
	char *argv[40];
	int n = 0;
	argv[n++] = (char *)emu;
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--kube-api";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--kube-no-controllers"; /* the apiserver alone: no controller writes */
	argv[n++] = "--quiet";
	if (tls) {
		argv[n++] = "--tls-cert";
		argv[n++] = "e2e-hub-cert.pem";
		argv[n++] = "--tls-key";
		argv[n++] = "e2e-hub-key.pem";
	}
	for (size_t i = 0; extra && extra[i] && n < 38; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	int fds[2];
	CHECK(pipe(fds) == 0, "pipe");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	c->pid = pid;
	c->port = 0;
	running = c;
	char buf[2048];
	size_t len = 0;
	uint64_t deadline = sw_now_ns() + 10000000000ull;
	while (sw_now_ns() < deadline && len < sizeof(buf) - 1 && !c->port) {
		struct pollfd p = {fds[0], POLLIN, 0};
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t r = read(fds[0], buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		const char *l = strstr(buf, "kube-api listening on ");
		const char *nl = l ? strchr(l, '\n') : NULL;
		if (l && nl) {
			const char *colon = strrchr(l, ':');
			c->port = atoi(colon + 1);
		}
	}
	close(fds[0]);
	CHECK(c->port > 0, "emulator did not report its kube-api port (got '%s')", buf);
}

static void open_client(struct e2e_http *h, int port)
{
	char url[64], err[256];
	snprintf(url, sizeof(url), "%s://127.0.0.1:%d", tls ? "https" : "http", port);
	struct sw_client_cfg cfg;
	sw_client_cfg_init(&cfg);
	cfg.url = url;
	cfg.proto = proto_h1 ? SW_PROTO_H1 : SW_PROTO_H2;
	cfg.ca_file = tls ? "e2e-hub-cert.pem" : NULL;
	cfg.request_timeout_ms = 20000;
	cfg.max_retries = 0;
	cfg.max_body_bytes = 256u << 20;
	h->client = sw_client_new(h->base, &cfg, err, sizeof(err));
	CHECK(h->client, "client: %s", err);
	h->timeout_ms = 20000;
}

static const char *auth_hdrs[] = {"authorization", "Bearer " TOKEN, NULL};
static const char *const *hdrs_now;

/* One call; returns the status (0 on a transport error). */
static int call(struct e2e_http *h, const char *method, const char *path, const char *ctype,
                const char *body, struct e2e_res *r)
{
	memset(r, 0, sizeof(*r));
	e2e_call(h, method, path, hdrs_now, ctype, body, body ? strlen(body) : 0, r);
	return r->err ? 0 : r->status;
}

static int callj(struct e2e_http *h, const char *method, const char *path, const char *body,
                 struct e2e_res *r)
{
	const char *ct = !body ? NULL : strcmp(method, "PATCH") == 0 ? "application/merge-patch+json"
	                                                             : "application/json";
	return call(h, method, path, ct, body, r);
}

static const char *jpath(json_t *j, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(j, a);
	if (b)
		v = json_object_get(v, b);
	if (c)
		v = json_object_get(v, c);
	return json_string_value(v) ? json_string_value(v) : "";
}

/* Asserts a Status answer of |code| with |reason|. */
static void expect_status(struct e2e_res *r, int code, const char *reason, const char *what)
{
	CHECK(r->status == code, "%s: status %d, want %d (%s)", what, r->status, code, r->body ? r->body : "");
	CHECK(r->json && strcmp(jpath(r->json, "kind", NULL, NULL), "Status") == 0, "%s: not a Status: %s",
	      what, r->body);
	CHECK(json_integer_value(json_object_get(r->json, "code")) == code, "%s: Status code", what);
	CHECK(strcmp(jpath(r->json, "reason", NULL, NULL), reason) == 0, "%s: reason %s, want %s", what,
	      jpath(r->json, "reason", NULL, NULL), reason);
}

static char *bmh_json(const char *name, const char *labels, int online)
{
	char *s = malloc(1024);
	snprintf(s, 1024, "{\"apiVersion\":\"metal3.io/v1alpha1\",\"kind\":\"BareMetalHost\",\"metadata\":{"
	         "\"name\":\"%s\",\"labels\":{%s}},\"spec\":{\"online\":%s,\"bootMACAddress\":\"00:11:22:33:44:55\","
	         "\"bmc\":{\"address\":\"swarm\",\"credentialsName\":\"x\"}}}", name, labels ? labels : "",
	         online ? "true" : "false");
	return s;
}

static void create_bmh(struct e2e_http *h, const char *name, const char *labels)
{
	struct e2e_res r;
	char *b = bmh_json(name, labels, 1);
	int st = callj(h, "POST", BMH, b, &r);
	CHECK(st == 201, "create %s: %d %s", name, st, r.body);
	free(b);
	e2e_res_free(&r);
}

static const char *rv_of(json_t *j)
{
	return jpath(j, "metadata", "resourceVersion", NULL);
}

/* ---- watch bodies ---- */

struct evs {
	int n;
	char types[64][12];
	char names[64][64];
	char rvs[64][24];
	int codes[64];
};

static int on_event(void *arg, enum kube_watch_type t, json_t *obj)
{
	struct evs *e = arg;
	if (e->n < 64) {
		snprintf(e->types[e->n], sizeof(e->types[0]), "%s", kube_watch_type_name(t));
		snprintf(e->names[e->n], sizeof(e->names[0]), "%s", jpath(obj, "metadata", "name", NULL));
		snprintf(e->rvs[e->n], sizeof(e->rvs[0]), "%s", jpath(obj, "metadata", "resourceVersion", NULL));
		e->codes[e->n] = (int)json_integer_value(json_object_get(obj, "code"));
	}
	e->n++;
	return 0;
}

static void parse_events(struct e2e_res *r, struct evs *e)
{
	memset(e, 0, sizeof(*e));
	struct kube_watch_dec *d = kube_watch_dec_new(1 << 20);
	int rv = kube_watch_dec_feed(d, r->body ? r->body : "", r->len, on_event, e);
	CHECK(rv == 0, "watch body does not decode (%d): %s", rv, r->body);
	CHECK(kube_watch_dec_pending(d) == 0, "watch body ends mid-event");
	kube_watch_dec_free(&d);
}

/* ---- the checks ---- */

static void t_discovery(struct e2e_http *h)
{
	struct e2e_res r;
	CHECK(callj(h, "GET", "/version", NULL, &r) == 200, "version");
	e2e_res_free(&r);
	CHECK(callj(h, "GET", "/apis/metal3.io/v1alpha1", NULL, &r) == 200, "discovery");
	json_t *res = json_object_get(r.json, "resources");
	size_t i;
	json_t *e;
	int found = 0;
	json_array_foreach(res, i, e)
		if (strcmp(jpath(e, "name", NULL, NULL), "baremetalhosts") == 0 &&
		    strcmp(json_string_value(json_array_get(json_object_get(e, "shortNames"), 0)), "bmh") == 0)
			found = 1;
	CHECK(found, "baremetalhosts with shortName bmh not in discovery: %s", r.body);
	e2e_res_free(&r);
	CHECK(callj(h, "GET", "/apis/extensions.hive.openshift.io/v1beta1", NULL, &r) == 200 &&
	      strstr(r.body, "\"aci\""), "aci short name");
	e2e_res_free(&r);
	CHECK(callj(h, "GET", "/apis", NULL, &r) == 200 && strstr(r.body, "hive.openshift.io"), "/apis");
	e2e_res_free(&r);
	CHECK(callj(h, "GET", "/nope", NULL, &r) == 404, "unknown path");
	e2e_res_free(&r);
	CHECK(callj(h, "GET", "/apis/apps/v1/namespaces/x/deployments", NULL, &r) == 404, "unknown resource");
	expect_status(&r, 404, "NotFound", "unknown resource");
	e2e_res_free(&r);
}

static void t_errors_and_bad_bodies(struct e2e_http *h)
{
	struct e2e_res r;
	create_bmh(h, "keep", NULL);
	CHECK(callj(h, "GET", BMH "/keep", NULL, &r) == 200, "get keep");
	char rv[32];
	snprintf(rv, sizeof(rv), "%s", rv_of(r.json));
	json_t *orig = json_incref(r.json);
	e2e_res_free(&r);
	callj(h, "GET", BMH "/missing", NULL, &r);
	expect_status(&r, 404, "NotFound", "get missing");
	CHECK(strcmp(jpath(r.json, "message", NULL, NULL), "baremetalhosts.metal3.io \"missing\" not found") == 0,
	      "404 message: %s", r.body);
	e2e_res_free(&r);
	char *b = bmh_json("keep", NULL, 1);
	callj(h, "POST", BMH, b, &r);
	expect_status(&r, 409, "AlreadyExists", "create twice");
	free(b);
	e2e_res_free(&r);
	callj(h, "PUT", BMH, "{}", &r);
	expect_status(&r, 405, "MethodNotAllowed", "PUT on a collection");
	e2e_res_free(&r);
	/* bodies that must fail without touching anything */
	static const char *const bad[] = {
		"{not json", "", "[]", "null", "\"str\"", "{\"metadata\":[]}", "{\"metadata\":{\"name\":7}}",
		"{\"metadata\":{\"name\":\"keep\",\"labels\":{\"a\":1}}}",
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"keep\"}}",
		"{\"metadata\":{\"name\":\"keep\"},\"spec\":{\"online\":\"yes\"}}",
		"{\"metadata\":{\"name\":\"keep\"},\"spec\":{\"online\":true,\"bmc\":{\"address\":[1]}}}",
		"\xff\xfe\x00garbage", NULL,
	};
	for (size_t i = 0; bad[i]; i++) {
		int st = callj(h, "PUT", BMH "/keep", bad[i], &r);
		CHECK(st >= 400 && st < 500 && r.json && strcmp(jpath(r.json, "kind", NULL, NULL), "Status") == 0,
		      "bad body %zu: %d %s", i, st, r.body);
		e2e_res_free(&r);
		st = callj(h, "POST", BMH, bad[i], &r);
		CHECK(st >= 400 && st < 500, "bad create body %zu: %d", i, st);
		e2e_res_free(&r);
		st = callj(h, "PATCH", BMH "/keep", bad[i], &r);
		CHECK(st >= 400 && st < 500, "bad patch body %zu: %d %s", i, st, r.body);
		e2e_res_free(&r);
	}
	/* deep nesting, in the body and in a patch */
	size_t depth = 100000;
	char *deep = malloc(2 * depth + 64);
	size_t o = (size_t)sprintf(deep, "{\"metadata\":{\"name\":\"keep\"},\"spec\":");
	for (size_t i = 0; i < depth; i++)
		deep[o++] = '[';
	for (size_t i = 0; i < depth; i++)
		deep[o++] = ']';
	deep[o++] = '}';
	deep[o] = '\0';
	CHECK(callj(h, "PUT", BMH "/keep", deep, &r) == 400, "deep nesting: %d", r.status);
	e2e_res_free(&r);
	CHECK(callj(h, "PATCH", BMH "/keep", deep, &r) == 400, "deep patch: %d", r.status);
	e2e_res_free(&r);
	free(deep);
	/* 422 with causes */
	b = bmh_json("bad", NULL, 1);
	char *p = strstr(b, "\"online\":true");
	memcpy(p, "\"online\":8   ", 13);
	callj(h, "POST", BMH, b, &r);
	expect_status(&r, 422, "Invalid", "wrong type");
	json_t *cause = json_array_get(json_object_get(json_object_get(r.json, "details"), "causes"), 0);
	CHECK(strcmp(jpath(cause, "field", NULL, NULL), "spec.online") == 0 &&
	      strcmp(jpath(cause, "reason", NULL, NULL), "FieldValueInvalid") == 0, "cause: %s", r.body);
	free(b);
	e2e_res_free(&r);
	/* 413 over 3 MiB */
	size_t big = 4u << 20;
	char *huge = malloc(big + 128);
	o = (size_t)sprintf(huge, "{\"metadata\":{\"name\":\"keep\"},\"x\":\"");
	memset(huge + o, 'a', big);
	strcpy(huge + o + big, "\"}");
	callj(h, "PUT", BMH "/keep", huge, &r);
	expect_status(&r, 413, "RequestEntityTooLarge", "huge body");
	e2e_res_free(&r);
	free(huge);
	/* 415: strategic merge patch on a custom resource, unknown patch type */
	call(h, "PATCH", BMH "/keep", "application/strategic-merge-patch+json", "{}", &r);
	expect_status(&r, 415, "UnsupportedMediaType", "SMP on a CRD");
	e2e_res_free(&r);
	call(h, "PATCH", BMH "/keep", "text/plain", "{}", &r);
	expect_status(&r, 415, "UnsupportedMediaType", "text patch");
	e2e_res_free(&r);
	/* stale resourceVersion: 409 Conflict */
	callj(h, "PATCH", BMH "/keep", "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"online\":false}}", &r);
	expect_status(&r, 409, "Conflict", "stale patch");
	e2e_res_free(&r);
	/* nothing changed */
	CHECK(callj(h, "GET", BMH "/keep", NULL, &r) == 200, "get keep again");
	CHECK(strcmp(rv_of(r.json), rv) == 0 && json_equal(r.json, orig), "bad requests changed the object: %s", r.body);
	e2e_res_free(&r);
	json_decref(orig);
	/* the pruned template field comes back as a Warning header */
	CHECK(callj(h, "PATCH", BMH "/keep", "{\"spec\":{\"bmc\":{\"sshAuthorizedKey\":\"k\"}}}", &r) == 200, "prune patch");
	CHECK(!strstr(r.body, "sshAuthorizedKey"), "unknown field kept: %s", r.body);
	e2e_res_free(&r);
	CHECK(callj(h, "PATCH", BMH "/keep?fieldValidation=Strict", "{\"spec\":{\"bmc\":{\"extra\":\"k\"}}}", &r) == 400,
	      "strict: %d", r.status);
	CHECK(strstr(r.body, "unknown field \\\"spec.bmc.extra\\\""), "strict message: %s", r.body);
	e2e_res_free(&r);
}

static void t_lists(struct e2e_http *h)
{
	struct e2e_res r;
	for (int i = 0; i < 7; i++) {
		char name[16], lab[64];
		snprintf(name, sizeof(name), "l%d", i);
		snprintf(lab, sizeof(lab), "\"group\":\"%s\",\"i\":\"%d\"", i < 4 ? "a" : "b", i);
		create_bmh(h, name, lab);
	}
	CHECK(callj(h, "GET", BMH "?labelSelector=group%3Da", NULL, &r) == 200, "list a");
	CHECK(json_array_size(json_object_get(r.json, "items")) == 4, "group=a: %zu",
	      json_array_size(json_object_get(r.json, "items")));
	CHECK(strcmp(jpath(r.json, "kind", NULL, NULL), "BareMetalHostList") == 0, "list kind");
	e2e_res_free(&r);
	CHECK(callj(h, "GET", BMH "?labelSelector=group%20in%20(a,b),i%20notin%20(0,1)", NULL, &r) == 200, "set sel");
	CHECK(json_array_size(json_object_get(r.json, "items")) == 5, "in/notin");
	e2e_res_free(&r);
	CHECK(callj(h, "GET", BMH "?fieldSelector=metadata.name%3Dl3", NULL, &r) == 200 &&
	      json_array_size(json_object_get(r.json, "items")) == 1, "field selector");
	e2e_res_free(&r);
	callj(h, "GET", BMH "?fieldSelector=spec.online%3Dtrue", NULL, &r);
	expect_status(&r, 400, "BadRequest", "unsupported field selector");
	e2e_res_free(&r);
	callj(h, "GET", BMH "?labelSelector=a%3D%3D%3D", NULL, &r);
	expect_status(&r, 400, "BadRequest", "bad label selector");
	e2e_res_free(&r);
	/* pages of 3 over the 7 + whatever exists: every item exactly once */
	CHECK(callj(h, "GET", BMH, NULL, &r) == 200, "full list");
	size_t total = json_array_size(json_object_get(r.json, "items"));
	e2e_res_free(&r);
	char path[1024] = BMH "?limit=3";
	size_t seen = 0;
	for (int page = 0; page < 100; page++) {
		CHECK(callj(h, "GET", path, NULL, &r) == 200, "page %d", page);
		seen += json_array_size(json_object_get(r.json, "items"));
		const char *cont = jpath(r.json, "metadata", "continue", NULL);
		if (!*cont) {
			e2e_res_free(&r);
			break;
		}
		CHECK(json_array_size(json_object_get(r.json, "items")) == 3, "page size");
		snprintf(path, sizeof(path), BMH "?limit=3&continue=%s", cont);
		for (char *q = path; *q; q++)
			if (*q == '+')
				*q = '-'; /* not expected in our tokens; keep the URL safe anyway */
		e2e_res_free(&r);
	}
	CHECK(seen == total, "pages gave %zu items of %zu", seen, total);
	callj(h, "GET", BMH "?limit=3&continue=%21%21", NULL, &r);
	expect_status(&r, 400, "BadRequest", "bad continue token");
	e2e_res_free(&r);
	/* Table output */
	const char *acc[] = {"accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json", NULL};
	const char *const *save = hdrs_now;
	const char *both[] = {"authorization", "Bearer " TOKEN, "accept",
	                      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json", NULL};
	hdrs_now = save == auth_hdrs ? both : acc;
	CHECK(callj(h, "GET", BMH "?limit=2", NULL, &r) == 200, "table");
	CHECK(strcmp(jpath(r.json, "kind", NULL, NULL), "Table") == 0 &&
	      json_array_size(json_object_get(r.json, "rows")) == 2 &&
	      strstr(r.body, "\"State\""), "table body: %s", r.body);
	hdrs_now = save;
	e2e_res_free(&r);
}

static void t_status_and_delete(struct e2e_http *h)
{
	struct e2e_res r;
	create_bmh(h, "st", NULL);
	CHECK(callj(h, "GET", BMH "/st", NULL, &r) == 200, "get st");
	json_t *o = json_deep_copy(r.json);
	e2e_res_free(&r);
	json_object_set_new(o, "status", json_pack("{s:i,s:s,s:s,s:b,s:{s:s,s:s}}", "errorCount", 0, "errorMessage", "",
	                                           "operationalStatus", "discovered", "poweredOn", 1,
	                                           "provisioning", "state", "ready", "ID", ""));
	json_object_set_new(json_object_get(o, "spec"), "online", json_false());
	char *s = json_dumps(o, JSON_COMPACT);
	CHECK(callj(h, "PUT", BMH "/st/status", s, &r) == 200, "status put: %d %s", r.status, r.body);
	CHECK(strcmp(jpath(r.json, "status", "provisioning", "state"), "ready") == 0, "status written");
	CHECK(json_is_true(json_object_get(json_object_get(r.json, "spec"), "online")), "spec kept by /status");
	e2e_res_free(&r);
	CHECK(callj(h, "PUT", BMH "/st/status", s, &r) == 409, "stale status put");
	e2e_res_free(&r);
	free(s);
	json_decref(o);
	CHECK(callj(h, "PATCH", BMH "/st/status", "{\"status\":{\"poweredOn\":false}}", &r) == 200, "status patch");
	e2e_res_free(&r);
	CHECK(callj(h, "POST", BMH "/st/status", "{}", &r) == 405, "POST status");
	e2e_res_free(&r);
	/* propagation over DeleteOptions */
	CHECK(callj(h, "POST", CMS, "{\"metadata\":{\"name\":\"owner\"}}", &r) == 201, "owner");
	char uid[64];
	snprintf(uid, sizeof(uid), "%s", jpath(r.json, "metadata", "uid", NULL));
	e2e_res_free(&r);
	char dep[512];
	for (int i = 0; i < 2; i++) {
		snprintf(dep, sizeof(dep), "{\"metadata\":{\"name\":\"dep%d\",\"ownerReferences\":[{\"apiVersion\":\"v1\","
		         "\"kind\":\"ConfigMap\",\"name\":\"owner\",\"uid\":\"%s\"}]}}", i, uid);
		CHECK(callj(h, "POST", CMS, dep, &r) == 201, "dep");
		e2e_res_free(&r);
	}
	CHECK(callj(h, "DELETE", CMS "/owner", "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
	            "\"propagationPolicy\":\"Orphan\"}", &r) == 200, "orphan delete");
	e2e_res_free(&r);
	CHECK(callj(h, "GET", CMS "/dep0", NULL, &r) == 200 && !strstr(r.body, uid), "orphaned dependent: %s", r.body);
	e2e_res_free(&r);
	CHECK(callj(h, "POST", CMS, "{\"metadata\":{\"name\":\"fowner\"}}", &r) == 201, "fowner");
	snprintf(uid, sizeof(uid), "%s", jpath(r.json, "metadata", "uid", NULL));
	e2e_res_free(&r);
	snprintf(dep, sizeof(dep), "{\"metadata\":{\"name\":\"fdep\",\"ownerReferences\":[{\"apiVersion\":\"v1\","
	         "\"kind\":\"ConfigMap\",\"name\":\"fowner\",\"uid\":\"%s\"}]}}", uid);
	CHECK(callj(h, "POST", CMS, dep, &r) == 201, "fdep");
	e2e_res_free(&r);
	CHECK(callj(h, "DELETE", CMS "/fowner?propagationPolicy=Foreground", NULL, &r) == 200, "foreground");
	CHECK(strstr(r.body, "foregroundDeletion"), "foreground finalizer: %s", r.body);
	e2e_res_free(&r);
	int gone = 0;
	for (int i = 0; i < 50 && !gone; i++) {
		e2e_sleep(h, 20);
		gone = callj(h, "GET", CMS "/fowner", NULL, &r) == 404;
		e2e_res_free(&r);
	}
	CHECK(gone, "foreground owner never went");
	CHECK(callj(h, "GET", CMS "/fdep", NULL, &r) == 404, "foreground dependent");
	e2e_res_free(&r);
	CHECK(callj(h, "DELETE", CMS "/x?propagationPolicy=Sideways", NULL, &r) == 400, "bad policy");
	e2e_res_free(&r);
	CHECK(callj(h, "DELETE", CMS "?labelSelector=nope", NULL, &r) == 200, "deletecollection");
	e2e_res_free(&r);
}

static void t_watch(struct e2e_http *h)
{
	struct e2e_res r;
	struct evs e;
	char path[512];
	CHECK(callj(h, "GET", BMH "?labelSelector=w%3D1", NULL, &r) == 200, "list before watch");
	char rv[32];
	snprintf(rv, sizeof(rv), "%s", rv_of(r.json));
	e2e_res_free(&r);
	create_bmh(h, "w1", "\"w\":\"1\"");
	create_bmh(h, "w2", "\"w\":\"1\"");
	create_bmh(h, "other", "\"w\":\"2\"");
	/* relabel w2 out of the selector: DELETED for this watch */
	CHECK(callj(h, "PATCH", BMH "/w2", "{\"metadata\":{\"labels\":{\"w\":\"3\"}}}", &r) == 200, "relabel");
	e2e_res_free(&r);
	CHECK(callj(h, "DELETE", BMH "/w1", NULL, &r) == 200, "delete w1");
	e2e_res_free(&r);
	/* resume from the list's resourceVersion */
	snprintf(path, sizeof(path), BMH "?watch=1&resourceVersion=%s&labelSelector=w%%3D1&timeoutSeconds=1", rv);
	CHECK(callj(h, "GET", path, NULL, &r) == 200, "watch");
	parse_events(&r, &e);
	e2e_res_free(&r);
	CHECK(e.n == 4, "watch events: %d", e.n);
	CHECK(strcmp(e.types[0], "ADDED") == 0 && strcmp(e.names[0], "w1") == 0, "ev0 %s %s", e.types[0], e.names[0]);
	CHECK(strcmp(e.types[1], "ADDED") == 0 && strcmp(e.names[1], "w2") == 0, "ev1");
	CHECK(strcmp(e.types[2], "DELETED") == 0 && strcmp(e.names[2], "w2") == 0, "ev2 %s", e.types[2]);
	CHECK(strcmp(e.types[3], "DELETED") == 0 && strcmp(e.names[3], "w1") == 0, "ev3");
	CHECK(strtoull(e.rvs[3], NULL, 10) > strtoull(e.rvs[2], NULL, 10), "rvs increase");
	/* resume from the middle: only what came after */
	snprintf(path, sizeof(path), BMH "?watch=true&resourceVersion=%s&labelSelector=w%%3D1&timeoutSeconds=1", e.rvs[1]);
	CHECK(callj(h, "GET", path, NULL, &r) == 200, "watch resume");
	struct evs e2;
	parse_events(&r, &e2);
	e2e_res_free(&r);
	CHECK(e2.n == 2 && strcmp(e2.names[0], "w2") == 0, "resumed events: %d", e2.n);
	/* resourceVersion 0: synthetic ADDED for what exists */
	CHECK(callj(h, "GET", BMH "?watch=1&resourceVersion=0&labelSelector=w%3D2&timeoutSeconds=1", NULL, &r) == 200,
	      "watch rv 0");
	parse_events(&r, &e);
	e2e_res_free(&r);
	CHECK(e.n == 1 && strcmp(e.types[0], "ADDED") == 0 && strcmp(e.names[0], "other") == 0, "rv 0 events %d", e.n);
	/* bookmarks (the emulator runs with --kube-bookmark-interval 100ms) */
	CHECK(callj(h, "GET", BMH "?watch=1&allowWatchBookmarks=true&labelSelector=none%3Dx&timeoutSeconds=1",
	            NULL, &r) == 200, "watch bookmarks");
	parse_events(&r, &e);
	e2e_res_free(&r);
	CHECK(e.n >= 2 && strcmp(e.types[0], "BOOKMARK") == 0, "bookmarks: %d", e.n);
	CHECK(strtoull(e.rvs[0], NULL, 10) >= strtoull(rv, NULL, 10), "bookmark rv");
	/* sendInitialEvents ends its snapshot with an annotated bookmark */
	CHECK(callj(h, "GET", BMH "?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&"
	            "resourceVersionMatch=NotOlderThan&labelSelector=w%3D2&timeoutSeconds=1", NULL, &r) == 200, "initial");
	CHECK(strstr(r.body, "k8s.io/initial-events-end"), "initial-events-end bookmark: %s", r.body);
	e2e_res_free(&r);
	/* bad resourceVersion */
	CHECK(callj(h, "GET", BMH "?watch=1&resourceVersion=abc", NULL, &r) == 400, "bad rv");
	e2e_res_free(&r);
	/* a watch on one object */
	CHECK(callj(h, "GET", BMH "/other?watch=1&resourceVersion=0&timeoutSeconds=1", NULL, &r) == 200, "watch one");
	parse_events(&r, &e);
	e2e_res_free(&r);
	CHECK(e.n == 1 && strcmp(e.names[0], "other") == 0, "one-object watch");
}

/* The window is 20 events: a watch from before it gets ERROR 410 Expired. */
static void t_expired(struct e2e_http *h)
{
	struct e2e_res r;
	struct evs e;
	CHECK(callj(h, "GET", CMS, NULL, &r) == 200, "list");
	char rv[32];
	snprintf(rv, sizeof(rv), "%s", rv_of(r.json));
	e2e_res_free(&r);
	for (int i = 0; i < 30; i++) {
		char body[128];
		snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"x%d\"}}", i);
		CHECK(callj(h, "POST", CMS, body, &r) == 201, "cm %d", i);
		e2e_res_free(&r);
	}
	char path[256];
	snprintf(path, sizeof(path), CMS "?watch=1&resourceVersion=%s&timeoutSeconds=1", rv);
	CHECK(callj(h, "GET", path, NULL, &r) == 200, "expired watch");
	parse_events(&r, &e);
	e2e_res_free(&r);
	CHECK(e.n == 1 && strcmp(e.types[0], "ERROR") == 0 && e.codes[0] == 410, "410: %d %s", e.n, e.types[0]);
	/* relist, then watch from the new resourceVersion */
	CHECK(callj(h, "GET", CMS, NULL, &r) == 200, "relist");
	snprintf(rv, sizeof(rv), "%s", rv_of(r.json));
	e2e_res_free(&r);
	CHECK(callj(h, "POST", CMS, "{\"metadata\":{\"name\":\"after\"}}", &r) == 201, "after");
	e2e_res_free(&r);
	snprintf(path, sizeof(path), CMS "?watch=1&resourceVersion=%s&timeoutSeconds=1", rv);
	CHECK(callj(h, "GET", path, NULL, &r) == 200, "watch after relist");
	parse_events(&r, &e);
	e2e_res_free(&r);
	CHECK(e.n == 1 && strcmp(e.names[0], "after") == 0, "after relist: %d", e.n);
}

/* A client that never reads its watch is ended once it falls out of the window. */
static void t_slow_watcher(struct e2e_http *h, int port)
{
	if (tls)
		return; /* the raw socket below speaks cleartext HTTP/1.1 */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int small = 4096;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "connect");
	const char *req = "GET " CMS "?watch=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " TOKEN "\r\n\r\n";
	CHECK(write(fd, req, strlen(req)) == (ssize_t)strlen(req), "write");
	e2e_sleep(h, 100);
	struct e2e_res r;
	char *big = malloc(200000);
	int n = sprintf(big, "{\"metadata\":{\"name\":\"big%%d\"},\"data\":{\"k\":\"");
	memset(big + n, 'z', 150000);
	strcpy(big + n + 150000, "\"}}");
	int ended = 0;
	for (int i = 0; i < 200 && !ended; i++) {
		char *body = malloc(200100);
		snprintf(body, 200100, big, i);
		CHECK(callj(h, "POST", CMS, body, &r) == 201, "big %d: %d", i, r.status);
		e2e_res_free(&r);
		free(body);
		if (i % 10 == 9) {
			CHECK(callj(h, "GET", "/metrics", NULL, &r) == 200, "metrics");
			const char *m = strstr(r.body, "\napiserver_terminated_watchers_total ");
			ended = m && atoi(m + strlen("\napiserver_terminated_watchers_total ")) > 0;
			e2e_res_free(&r);
		}
	}
	free(big);
	close(fd);
	CHECK(ended, "the unread watch was never ended");
}

static void t_metrics(struct e2e_http *h)
{
	struct e2e_res r;
	CHECK(callj(h, "GET", "/metrics", NULL, &r) == 200, "metrics");
	CHECK(strstr(r.body, "apiserver_request_total{verb=\"POST\",resource=\"baremetalhosts\",code=\"201\"}"),
	      "request counter");
	CHECK(strstr(r.body, "apiserver_request_duration_seconds_bucket{verb=\"GET\",resource=\"baremetalhosts\""),
	      "duration histogram");
	CHECK(strstr(r.body, "apiserver_watch_events_total{group=\"metal3.io\""), "watch events");
	CHECK(strstr(r.body, "apiserver_storage_objects{resource=\"baremetalhosts.metal3.io\"}"), "objects");
	CHECK(strstr(r.body, "apiserver_longrunning_requests{verb=\"WATCH\""), "open watches");
	e2e_res_free(&r);
}

static void run_main(const char *emu)
{
	struct e2e_child c;
	struct e2e_http h = {0};
	const char *extra[] = {"--kube-token", TOKEN, "--kube-watch-window", "20", "--kube-bookmark-interval",
	                       "100ms", NULL};
	start(emu, extra, &c);
	h.base = event_base_new();
	open_client(&h, c.port);
	struct e2e_res r;
	hdrs_now = NULL;
	callj(&h, "GET", "/api/v1/namespaces", NULL, &r);
	expect_status(&r, 401, "Unauthorized", "no token");
	e2e_res_free(&r);
	CHECK(callj(&h, "GET", "/healthz", NULL, &r) == 200, "healthz is public");
	e2e_res_free(&r);
	const char *wrong[] = {"authorization", "Bearer nope", NULL};
	hdrs_now = wrong;
	CHECK(callj(&h, "GET", "/api/v1/namespaces", NULL, &r) == 401, "wrong token");
	e2e_res_free(&r);
	hdrs_now = auth_hdrs;
	CHECK(callj(&h, "POST", "/api/v1/namespaces", "{\"metadata\":{\"name\":\"e2e\"}}", &r) == 201, "ns");
	e2e_res_free(&r);
	t_discovery(&h);
	t_errors_and_bad_bodies(&h);
	t_lists(&h);
	t_status_and_delete(&h);
	t_watch(&h);
	t_expired(&h);
	t_metrics(&h);
	t_slow_watcher(&h, c.port);
	sw_client_free(&h.client);
	event_base_free(h.base);
	CHECK(e2e_child_stop(&c) == 0, "emulator exit status");
	running = NULL;
}

/* Faults select kube requests by verb and resource. */
static void run_faults(const char *emu)
{
	struct e2e_child c;
	struct e2e_http h = {0};
	const char *extra[] = {"--fault-error", "kube:create/configmaps:1:503", "--fault-latency",
	                       "kube:get/configmaps:fixed:50ms", "--fault-reset", "kube:delete:1", NULL};
	start(emu, extra, &c);
	h.base = event_base_new();
	open_client(&h, c.port);
	hdrs_now = NULL;
	struct e2e_res r;
	CHECK(callj(&h, "POST", "/api/v1/namespaces", "{\"metadata\":{\"name\":\"e2e\"}}", &r) == 201, "ns");
	e2e_res_free(&r);
	callj(&h, "POST", CMS, "{\"metadata\":{\"name\":\"f\"}}", &r);
	expect_status(&r, 503, "ServiceUnavailable", "injected 503");
	e2e_res_free(&r);
	uint64_t t0 = sw_now_ns();
	CHECK(callj(&h, "GET", CMS "/f", NULL, &r) == 404, "delayed get");
	CHECK(sw_now_ns() - t0 >= 50000000ull, "latency fault not applied");
	e2e_res_free(&r);
	CHECK(callj(&h, "DELETE", CMS "/f", NULL, &r) == 0, "reset delete: %d", r.status);
	e2e_res_free(&r);
	sw_client_free(&h.client);
	event_base_free(h.base);
	CHECK(e2e_child_stop(&c) == 0, "emulator exit status");
	running = NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"proto", required_argument, NULL, 'p'},
	                                     {"tls", no_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'p')
			proto_h1 = strcmp(optarg, "h1") == 0;
		else if (ch == 't')
			tls = 1;
		else
			return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: e2e_hub EMULATOR [--proto h2|h1] [--tls]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	atexit(stop_at_exit);
	if (tls)
		CHECK(e2e_make_cert("e2e-hub-cert.pem", "e2e-hub-key.pem", NULL) == 0, "certificate");
	run_main(argv[optind]);
	run_faults(argv[optind]);
	printf("e2e_hub: all checks passed (%s%s)\n", proto_h1 ? "http/1.1" : "h2", tls ? "+tls" : "");
	return 0;
}
