/*
 * End-to-end test of protocol/kube_client and kube_informer against the
 * emulated hub (assisted-emulator --kube-api, apiserver only): create, get,
 * merge patch, delete with their Status errors; the conflict-retried write
 * (a stale resourceVersion is re-read and re-applied; an apply with nothing
 * left to do is skipped); an informer under a label selector (list, then
 * ADDED/MODIFIED/DELETED of matching objects only, bookmarks moving the
 * resourceVersion); a watch dropped by the server resumed from its
 * resourceVersion without a relist; a watch resumed after its
 * resourceVersion left the hub's window (410: the ERROR event) relisted,
 * the consumer's mark and sweep seeing every object; server-side watch
 * timeouts re-watched without a failure; and, on a second hub with
 * injected 503 and 429 (Retry-After) answers, every call still succeeding
 * through the retries the observer counted.
 *
 * usage: e2e_kube_client EMULATOR [h2|h1]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e_util.h"
#include "kube_client.h"
#include "kube_informer.h"
#include "sw_err.h"

#define FAIL(...) do { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } while (0)
#define CHECK(cond, ...) do { if (!(cond)) FAIL(__VA_ARGS__); } while (0)

static struct event_base *base;
static int use_h1;
static struct e2e_child *running[2];

static void stop_all(void)
{
	for (int i = 0; i < 2; i++)
		if (running[i] && running[i]->pid > 0)
			e2e_child_stop(running[i]);
}

/* ---- waiting on the loop ---- */

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Runs the loop until *flag is set or |ms| passed. */
static int wait_for(const int *flag, unsigned ms)
{
	uint64_t end = sw_now_ns() + (uint64_t)ms * 1000000ull;
	while (!*flag && sw_now_ns() < end)
		event_base_loop(base, EVLOOP_ONCE);
	return *flag;
}

static void run_for(unsigned ms)
{
	int never = 0;
	wait_for(&never, ms);
}

/* ---- one call, waited for ---- */

struct res {
	int done, err, status, conflicts, skipped;
	unsigned attempts;
	char reason[64];
	json_t *obj;
};

static void on_done(void *arg, const struct kube_result *r)
{
	struct res *x = arg;
	x->done = 1;
	x->err = r->err;
	x->status = r->status;
	x->attempts = r->attempts;
	x->conflicts = (int)r->conflicts;
	x->skipped = r->skipped;
	snprintf(x->reason, sizeof(x->reason), "%s", r->st.reason);
	x->obj = r->obj ? json_incref(r->obj) : NULL;
}

static void res_wait(struct res *x)
{
	CHECK(wait_for(&x->done, 20000), "call did not complete");
}

static json_t *obj_of(const char *json)
{
	json_t *j = json_loads(json, 0, NULL);
	CHECK(j, "bad JSON in the test: %s", json);
	return j;
}

static struct res create(struct kube_client *k, enum kube_res_id res, const char *json)
{
	struct res x = {0};
	json_t *o = obj_of(json);
	CHECK(kube_create(k, res, o, on_done, &x) == 0, "kube_create refused");
	json_decref(o);
	res_wait(&x);
	return x;
}

/* ---- counters of the observer ---- */

static unsigned seen_status[600], seen_err;

static void observe(void *arg, enum kube_verb verb, enum kube_res_id res, int err, int status,
                    uint64_t sent, uint64_t done)
{
	(void)arg;
	(void)verb;
	(void)res;
	CHECK(done >= sent || err, "observer: completion before send");
	if (err)
		seen_err++;
	else if (status > 0 && status < 600)
		seen_status[status]++;
}

static struct kube_client *client(int port, unsigned backoff_ms, unsigned watch_timeout_s)
{
	char url[64], err[256];
	struct kube_client_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	sw_client_cfg_init(&cfg.http);
	cfg.http.url = url;
	cfg.http.proto = use_h1 ? SW_PROTO_H1 : SW_PROTO_H2;
	cfg.backoff_initial_ms = backoff_ms;
	cfg.backoff_max_ms = 4 * backoff_ms;
	cfg.watch_timeout_s = watch_timeout_s;
	cfg.list_limit = 4; /* several pages */
	cfg.timer_prio = -1;
	cfg.observe = observe;
	struct kube_client *k = kube_client_new(base, &cfg, err, sizeof(err));
	CHECK(k, "kube_client_new: %s", err);
	return k;
}

/* ---- the conflict-retried write ---- */

static int applies, applies_with_cur;

struct wres {
	struct res r;          /* first: on_done fills it */
	const char *state;
};

static json_t *apply_status(void *arg, const json_t *cur)
{
	const char *state = ((struct wres *)arg)->state;
	applies++;
	if (cur) {
		applies_with_cur++;
		const char *now = json_string_value(json_object_get(
			json_object_get(json_object_get(cur, "status"), "provisioning"), "state"));
		if (now && !strcmp(now, state))
			return NULL; /* already written */
	}
	return json_pack("{s:{s:i,s:s,s:s,s:b,s:i,s:{s:s,s:s}}}", "status", "errorCount", 0,
	                 "errorMessage", "", "operationalStatus", "OK", "poweredOn", 1,
	                 "provisioningFailCount", 0, "provisioning", "state", state, "ID", "");
}

static void test_calls(struct kube_client *k)
{
	struct res x = create(k, KUBE_RES_NAMESPACE,
	                      "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"kc\"}}");
	CHECK(!x.err && x.status == 201, "create namespace: %d %d", x.err, x.status);
	json_decref(x.obj);
	x = create(k, KUBE_RES_BAREMETALHOST,
	           "{\"apiVersion\":\"metal3.io/v1alpha1\",\"kind\":\"BareMetalHost\","
	           "\"metadata\":{\"name\":\"h0\",\"namespace\":\"kc\"},\"spec\":{\"online\":true}}");
	CHECK(!x.err && x.status == 201 && x.obj, "create bmh: %d %d", x.err, x.status);
	uint64_t rv0 = kube_obj_rv(x.obj);
	CHECK(rv0 > 0, "no resourceVersion in the created object");
	json_decref(x.obj);
	/* the same again: AlreadyExists */
	x = create(k, KUBE_RES_BAREMETALHOST,
	           "{\"apiVersion\":\"metal3.io/v1alpha1\",\"kind\":\"BareMetalHost\","
	           "\"metadata\":{\"name\":\"h0\",\"namespace\":\"kc\"},\"spec\":{\"online\":true}}");
	CHECK(!x.err && x.status == 409 && !strcmp(x.reason, "AlreadyExists"), "second create: %d %s",
	      x.status, x.reason);
	/* someone else writes the object: rv0 is stale now */
	struct res p = {0};
	json_t *patch = obj_of("{\"metadata\":{\"labels\":{\"x\":\"y\"}}}");
	CHECK(kube_patch(k, KUBE_RES_BAREMETALHOST, "kc", "h0", NULL, patch, on_done, &p) == 0, "patch");
	json_decref(patch);
	res_wait(&p);
	CHECK(!p.err && p.status == 200 && kube_obj_rv(p.obj) > rv0, "patch: %d", p.status);
	json_decref(p.obj);
	/* a status write from the stale resourceVersion: 409, read again, re-applied */
	struct wres ww = {.state = "registering"};
	struct res *wp = &ww.r;
#define w (*wp)
	applies = applies_with_cur = 0;
	CHECK(kube_write(k, KUBE_RES_BAREMETALHOST, "kc", "h0", "status", rv0, apply_status, on_done,
	                 &ww) == 0, "kube_write");
	CHECK(applies == 0, "apply ran inside kube_write()");
	res_wait(&w);
	CHECK(!w.err && w.status == 200 && w.conflicts == 1, "status write: err %d status %d conflicts %d",
	      w.err, w.status, w.conflicts);
	CHECK(applies == 2 && applies_with_cur == 1, "applies %d (%d with the object)", applies,
	      applies_with_cur);
	const char *st = json_string_value(json_object_get(json_object_get(json_object_get(
		w.obj, "status"), "provisioning"), "state"));
	CHECK(st && !strcmp(st, "registering"), "status not written: %s", st ? st : "(none)");
	json_decref(w.obj);
	/* the same write from a stale version again: nothing left to do */
	memset(&w, 0, sizeof(w));
	CHECK(kube_write(k, KUBE_RES_BAREMETALHOST, "kc", "h0", "status", rv0, apply_status, on_done,
	                 &ww) == 0, "kube_write");
	res_wait(&w);
	CHECK(!w.err && w.skipped && w.conflicts == 1, "skipped write: skipped %d conflicts %d",
	      w.skipped, w.conflicts);
	/* unknown version (0): read first */
	memset(&w, 0, sizeof(w));
	ww.state = "available";
	CHECK(kube_write(k, KUBE_RES_BAREMETALHOST, "kc", "h0", "status", 0, apply_status, on_done,
	                 &ww) == 0, "kube_write");
	res_wait(&w);
	CHECK(!w.err && w.status == 200 && w.conflicts == 0, "write from a read: %d", w.status);
	json_decref(w.obj);
#undef w
	/* get, 404 */
	struct res g = {0};
	CHECK(kube_get(k, KUBE_RES_BAREMETALHOST, "kc", "nope", on_done, &g) == 0, "get");
	res_wait(&g);
	CHECK(g.status == 404 && !strcmp(g.reason, "NotFound"), "get missing: %d %s", g.status, g.reason);
	/* delete, then 404 */
	struct res d = {0};
	CHECK(kube_delete(k, KUBE_RES_BAREMETALHOST, "kc", "h0", on_done, &d) == 0, "delete");
	res_wait(&d);
	CHECK(d.status == 200, "delete: %d", d.status);
	json_decref(d.obj);
	memset(&d, 0, sizeof(d));
	CHECK(kube_delete(k, KUBE_RES_BAREMETALHOST, "kc", "h0", on_done, &d) == 0, "delete");
	res_wait(&d);
	CHECK(d.status == 404, "delete again: %d", d.status);
	printf("calls: create, get, patch, conflict-retried status write, delete: ok\n");
}

/* ---- the informer and its consumer ---- */

#define MAXN 64
struct seen {
	char name[MAXN][64];
	uint64_t rv[MAXN];
	int mark[MAXN];
	int n, epoch, listing, list_ends;
	unsigned added, modified, deleted, from_list;
};

static int seen_find(struct seen *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], name))
			return i;
	return -1;
}

static void on_event(void *arg, enum kube_watch_type type, json_t *obj, int from_list)
{
	struct seen *s = arg;
	const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
	CHECK(name, "event without a name");
	CHECK(!from_list || s->listing, "a list item outside on_list_begin/end");
	CHECK(!strncmp(name, "sel-", 4), "an object outside the selector: %s", name);
	int i = seen_find(s, name);
	if (from_list)
		s->from_list++;
	if (type == KUBE_WATCH_DELETED) {
		s->deleted++;
		if (i >= 0) {
			s->n--;
			memmove(&s->name[i], &s->name[i + 1], sizeof(s->name[0]) * (size_t)(s->n - i));
			memmove(&s->rv[i], &s->rv[i + 1], sizeof(s->rv[0]) * (size_t)(s->n - i));
			memmove(&s->mark[i], &s->mark[i + 1], sizeof(s->mark[0]) * (size_t)(s->n - i));
		}
		return;
	}
	if (type == KUBE_WATCH_ADDED)
		s->added++;
	else
		s->modified++;
	if (i < 0) {
		CHECK(s->n < MAXN, "too many objects");
		i = s->n++;
		snprintf(s->name[i], sizeof(s->name[i]), "%s", name);
	}
	s->rv[i] = kube_obj_rv(obj);
	s->mark[i] = s->epoch;
}

static void on_list_begin(void *arg)
{
	struct seen *s = arg;
	s->epoch++;
	s->listing = 1;
}

static void on_list_end(void *arg)
{
	struct seen *s = arg;
	/* sweep: what the list did not bring again is gone */
	for (int i = 0; i < s->n;) {
		if (s->mark[i] != s->epoch) {
			s->n--;
			memmove(&s->name[i], &s->name[i + 1], sizeof(s->name[0]) * (size_t)(s->n - i));
			memmove(&s->rv[i], &s->rv[i + 1], sizeof(s->rv[0]) * (size_t)(s->n - i));
			memmove(&s->mark[i], &s->mark[i + 1], sizeof(s->mark[0]) * (size_t)(s->n - i));
		} else {
			i++;
		}
	}
	s->listing = 0;
	s->list_ends++;
}

static const struct kube_informer_ops seen_ops = {on_event, on_list_begin, on_list_end};

static void configmap(struct kube_client *k, const char *name, int labelled)
{
	char j[256];
	snprintf(j, sizeof(j), "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
	         "\"%s\",\"namespace\":\"kc\"%s},\"data\":{\"a\":\"b\"}}", name,
	         labelled ? ",\"labels\":{\"t\":\"kc\"}" : "");
	struct res x = create(k, KUBE_RES_CONFIGMAP, j);
	CHECK(!x.err && x.status == 201, "create configmap %s: %d %d", name, x.err, x.status);
	json_decref(x.obj);
}

static int has_n(struct seen *s, int n, unsigned ms)
{
	uint64_t end = sw_now_ns() + (uint64_t)ms * 1000000ull;
	while (s->n != n && sw_now_ns() < end)
		event_base_loop(base, EVLOOP_ONCE);
	return s->n == n;
}

/* POST /debug/restart on the kube port: the hub drops every connection. */
static void restart_hub(struct e2e_http *rest)
{
	struct e2e_res r;
	CHECK(e2e_call(rest, "POST", "/debug/restart", NULL, NULL, NULL, 0, &r) == 0 &&
	      r.status / 100 == 2, "/debug/restart: %d", r.status);
	e2e_res_free(&r);
}

static void test_informer(struct kube_client *k, struct kube_client *writer, struct e2e_http *rest)
{
	struct seen s;
	struct kube_informer_stats st;
	memset(&s, 0, sizeof(s));
	/* objects before the informer starts come with its (paged) list */
	for (int i = 0; i < 6; i++) {
		char n[32];
		snprintf(n, sizeof(n), "sel-pre-%d", i);
		configmap(writer, n, 1);
	}
	configmap(writer, "other-0", 0);
	struct kube_informer *inf = kube_informer_new(k, KUBE_RES_CONFIGMAP, "t=kc", &seen_ops, &s);
	CHECK(inf, "kube_informer_new");
	kube_informer_start(inf);
	CHECK(has_n(&s, 6, 10000), "list: %d objects", s.n);
	kube_informer_get_stats(inf, &st);
	CHECK(st.synced && st.lists == 1 && st.list_pages >= 2 && s.from_list == 6,
	      "list: synced %d lists %llu pages %llu items %u", st.synced, (unsigned long long)st.lists,
	      (unsigned long long)st.list_pages, s.from_list);
	/* watch: only matching objects */
	configmap(writer, "other-1", 0);
	configmap(writer, "sel-w-0", 1);
	CHECK(has_n(&s, 7, 10000), "watch ADDED: %d", s.n);
	unsigned mods = s.modified;
	struct res p = {0};
	json_t *patch = obj_of("{\"data\":{\"a\":\"c\"}}");
	CHECK(kube_patch(writer, KUBE_RES_CONFIGMAP, "kc", "sel-w-0", NULL, patch, on_done, &p) == 0, "patch");
	json_decref(patch);
	res_wait(&p);
	json_decref(p.obj);
	for (int i = 0; i < 200 && s.modified == mods; i++)
		run_for(10);
	CHECK(s.modified > mods, "no MODIFIED event");
	struct res d = {0};
	CHECK(kube_delete(writer, KUBE_RES_CONFIGMAP, "kc", "sel-pre-0", on_done, &d) == 0, "delete");
	res_wait(&d);
	json_decref(d.obj);
	CHECK(has_n(&s, 6, 10000), "watch DELETED: %d", s.n);
	/* bookmarks move the resourceVersion */
	kube_informer_get_stats(inf, &st);
	uint64_t bm = st.events[KUBE_WATCH_BOOKMARK];
	for (int i = 0; i < 300; i++) {
		run_for(10);
		kube_informer_get_stats(inf, &st);
		if (st.events[KUBE_WATCH_BOOKMARK] > bm)
			break;
	}
	CHECK(st.events[KUBE_WATCH_BOOKMARK] > bm, "no bookmark");
	printf("informer: paged list, selector, ADDED/MODIFIED/DELETED, bookmarks: ok\n");

	/* the hub drops every connection: the watch resumes from its version */
	kube_informer_get_stats(inf, &st);
	uint64_t fails = st.watch_failures, lists = st.lists;
	restart_hub(rest);
	for (int i = 0; i < 500; i++) {
		run_for(10);
		kube_informer_get_stats(inf, &st);
		if (st.watch_failures > fails && st.watching)
			break;
	}
	CHECK(st.watch_failures > fails, "the dropped watch was not noticed");
	configmap(writer, "sel-w-1", 1);
	CHECK(has_n(&s, 7, 10000), "no event after the resumed watch: %d", s.n);
	kube_informer_get_stats(inf, &st);
	CHECK(st.lists == lists && st.relists_expired == 0, "a resumed watch relisted (lists %llu)",
	      (unsigned long long)st.lists);
	printf("informer: dropped watch resumed from its resourceVersion, no relist: ok\n");

	/* dropped again, and the hub moves past its window (5 events) before the
	 * informer comes back (its back-off is at least 120 ms): 410, relist */
	kube_informer_get_stats(inf, &st);
	fails = st.watch_failures;
	restart_hub(rest);
	for (int i = 0; i < 500 && st.watch_failures == fails; i++) {
		event_base_loop(base, EVLOOP_ONCE);
		kube_informer_get_stats(inf, &st);
	}
	CHECK(st.watch_failures > fails, "the second drop was not noticed");
	for (int i = 0; i < 8; i++) {
		char n[32];
		snprintf(n, sizeof(n), "sel-late-%d", i);
		configmap(writer, n, 1);
	}
	d = (struct res){0};
	CHECK(kube_delete(writer, KUBE_RES_CONFIGMAP, "kc", "sel-pre-1", on_done, &d) == 0, "delete");
	res_wait(&d);
	json_decref(d.obj);
	if (!has_n(&s, 14, 15000)) {
		kube_informer_get_stats(inf, &st);
		FAIL("after the relist: %d objects (lists %llu expired %llu watches %llu restarts %llu "
		     "failures %llu errors %llu decode %llu watching %d)", s.n, (unsigned long long)st.lists,
		     (unsigned long long)st.relists_expired, (unsigned long long)st.watches,
		     (unsigned long long)st.watch_restarts, (unsigned long long)st.watch_failures,
		     (unsigned long long)st.events[KUBE_WATCH_ERROR], (unsigned long long)st.decode_errors,
		     st.watching);
	}
	for (int i = 0; i < 300; i++) {
		kube_informer_get_stats(inf, &st);
		if (st.relists_expired > 0 && st.watching)
			break;
		run_for(10);
	}
	CHECK(st.relists_expired > 0 && st.lists > lists, "no relist after 410 (lists %llu, expired %llu)",
	      (unsigned long long)st.lists, (unsigned long long)st.relists_expired);
	CHECK(seen_find(&s, "sel-pre-1") < 0 && seen_find(&s, "sel-late-7") >= 0,
	      "the relist did not sweep/add");
	printf("informer: resourceVersion expired (410): relisted, swept: ok\n");
	kube_informer_free(&inf);
	CHECK(!inf, "informer not cleared");
}

/* Server-side watch timeouts end watches cleanly: re-watched, no failure. */
static void test_watch_timeout(int port)
{
	struct kube_client *k = client(port, 200, 1);
	struct seen s;
	memset(&s, 0, sizeof(s));
	struct kube_informer *inf = kube_informer_new(k, KUBE_RES_SECRET, NULL, &seen_ops, &s);
	kube_informer_start(inf);
	struct kube_informer_stats st;
	for (int i = 0; i < 600; i++) {
		run_for(10);
		kube_informer_get_stats(inf, &st);
		if (st.watch_restarts >= 2)
			break;
	}
	CHECK(st.watch_restarts >= 2 && st.watch_failures == 0 && st.lists == 1,
	      "watch timeouts: restarts %llu failures %llu lists %llu",
	      (unsigned long long)st.watch_restarts, (unsigned long long)st.watch_failures,
	      (unsigned long long)st.lists);
	/* the client frees its informers */
	kube_client_free(&k);
	printf("informer: server-side timeouts re-watched: ok\n");
}

/* A hub answering 503 and 429 (Retry-After: 1) to half the creates and gets. */
static void test_retries(const char *emu)
{
	struct e2e_child c = {0};
	char *argv[] = {(char *)emu, "--listen", "127.0.0.1:0", "--kube-api", "127.0.0.1:0",
	                "--kube-no-controllers", "--quiet", "--seed", "7",
	                "--fault-error", "kube:create/configmaps:0.5:503",
	                "--fault-error", "kube:get/configmaps:0.5:429", NULL};
	CHECK(e2e_child_start(argv, &c) == 0, "second emulator");
	running[1] = &c;
	struct kube_client *k = client(c.kube_port, 50, 60);
	memset(seen_status, 0, sizeof(seen_status));
	struct res x = create(k, KUBE_RES_NAMESPACE,
	                      "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"kc\"}}");
	CHECK(x.status == 201, "namespace");
	json_decref(x.obj);
	unsigned attempts = 0;
	for (int i = 0; i < 12; i++) {
		char n[32];
		snprintf(n, sizeof(n), "r-%d", i);
		char j[200];
		snprintf(j, sizeof(j), "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
		         "\"%s\",\"namespace\":\"kc\"}}", n);
		x = create(k, KUBE_RES_CONFIGMAP, j);
		CHECK(!x.err && x.status == 201, "create through 503s: %d %d", x.err, x.status);
		attempts += x.attempts;
		json_decref(x.obj);
	}
	CHECK(seen_status[503] > 0 && attempts == 12 + seen_status[503],
	      "503s %u, attempts %u", seen_status[503], attempts);
	uint64_t t0 = sw_now_ns();
	unsigned got = 0;
	for (int i = 0; i < 10; i++) {
		char n[32];
		snprintf(n, sizeof(n), "r-%d", i);
		struct res g = {0};
		CHECK(kube_get(k, KUBE_RES_CONFIGMAP, "kc", n, on_done, &g) == 0, "get");
		res_wait(&g);
		CHECK(g.status == 200, "get through 429s: %d", g.status);
		got += g.attempts;
		json_decref(g.obj);
	}
	CHECK(seen_status[429] > 0 && got == 10 + seen_status[429], "429s %u attempts %u",
	      seen_status[429], got);
	/* Retry-After: 1 was honoured */
	CHECK(sw_now_ns() - t0 >= (uint64_t)seen_status[429] * 900000000ull,
	      "429 retried before its Retry-After");
	kube_client_free(&k);
	e2e_child_stop(&c);
	running[1] = NULL;
	printf("retries: 503 and 429 (Retry-After) retried to success: ok\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s EMULATOR [h2|h1]\n", argv[0]);
		return 2;
	}
	use_h1 = argc > 2 && !strcmp(argv[2], "h1");
	signal(SIGPIPE, SIG_IGN);
	atexit(stop_all);
	base = event_base_new();
	struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
	struct timeval tv = {0, 5000};
	event_add(tick, &tv);
	struct e2e_child c = {0};
	char *eargv[] = {argv[1], "--listen", "127.0.0.1:0", "--kube-api", "127.0.0.1:0",
	                 "--kube-no-controllers", "--quiet", "--kube-watch-window", "5",
	                 "--kube-bookmark-interval", "200ms", NULL};
	CHECK(e2e_child_start(eargv, &c) == 0, "emulator");
	running[0] = &c;
	struct kube_client *k = client(c.kube_port, 150, 60), *writer = client(c.kube_port, 50, 60);
	struct e2e_http rest = {.base = base, .timeout_ms = 10000};
	char url[64], err[256];
	struct sw_client_cfg rc;
	sw_client_cfg_init(&rc);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", c.kube_port);
	rc.url = url;
	rest.client = sw_client_new(base, &rc, err, sizeof(err));
	CHECK(rest.client, "%s", err);
	test_calls(k);
	test_informer(k, writer, &rest);
	test_watch_timeout(c.kube_port);
	kube_client_free(&k);
	kube_client_free(&writer);
	sw_client_free(&rest.client);
	CHECK(e2e_child_stop(&c) == 0, "emulator exit status");
	running[0] = NULL;
	test_retries(argv[1]);
	event_free(tick);
	event_base_free(base);
	printf("e2e_kube_client (%s): every check passed\n", use_h1 ? "HTTP/1.1" : "h2c");
	return 0;
}
