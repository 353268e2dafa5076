/* Tests for tools/emulator-hub through its in-process API (hub_client.h):
 * create/get/list/update/patch/delete semantics, resourceVersion and
 * conflicts, generation, the status subresource, no-op updates, finalizers,
 * namespace cascading deletion, ownerReference garbage collection
 * (background, foreground, orphan, several owners), change notifications,
 * the watch window and its expiry, that every stored object validates
 * against its schema, and that /status writes through the shortcut (the
 * stored text spliced) give what the full path gives, byte for byte. No event loop: deferred work runs via hub_run_pending(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hub_client.h"
#include "hub_crd.h"
#include "hub_int.h"
#include "hub_objects.h"
#include "hub_schema.h"
#include "hub_store.h"
#include "sw_err.h"

static struct hub *new_hub(size_t window)
{
	struct hub_cfg cfg = {.watch_window = window, .seed = 7};
	char err[256];
	struct hub *h = hub_new(&cfg, err, sizeof(err));
	if (!h)
		fail_msg("hub_new: %s", err);
	return h;
}

static json_t *J(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	if (!j)
		fail_msg("bad test JSON: %s", e.text);
	return j;
}

static const char *md(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(json_object_get(o, "metadata"), k));
}

static void mk_ns(struct hub *h, const char *name)
{
	json_t *ns = hubobj_namespace(name);
	assert_int_equal(hub_create(h, KUBE_RES_NAMESPACE, ns, NULL, NULL), 0);
	json_decref(ns);
}

static json_t *cm(const char *ns, const char *name, const char *extra_md)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\","
	         "\"namespace\":\"%s\"%s%s},\"data\":{\"k\":\"v\"}}", name, ns, extra_md ? "," : "",
	         extra_md ? extra_md : "");
	return J(buf);
}

static void test_create_get_list(void **state)
{
	(void)state;
	struct hub *h = new_hub(0);
	json_t *st = NULL, *out = NULL;
	json_t *b = hubobj_bmh("c1", "h1", 1, 0);
	/* no namespace yet */
	assert_int_equal(hub_create(h, KUBE_RES_BAREMETALHOST, b, NULL, &st), -404);
	assert_string_equal(json_string_value(json_object_get(st, "message")), "namespaces \"c1\" not found");
	json_decref(st);
	mk_ns(h, "c1");
	assert_int_equal(hub_create(h, KUBE_RES_BAREMETALHOST, b, &out, NULL), 0);
	assert_string_equal(md(out, "resourceVersion"), "2");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "metadata"), "generation")), 1);
	assert_int_equal(strlen(md(out, "uid")), 36);
	assert_non_null(md(out, "creationTimestamp"));
	/* status is dropped on create when there is a status subresource */
	json_decref(out);
	json_t *b2 = hubobj_bmh("c1", "h2", 2, 1);
	assert_int_equal(hub_create(h, KUBE_RES_BAREMETALHOST, b2, &out, NULL), 0);
	assert_null(json_object_get(out, "status"));
	json_decref(out);
	json_decref(b2);
	/* 409 AlreadyExists */
	assert_int_equal(hub_create(h, KUBE_RES_BAREMETALHOST, b, NULL, &st), -409);
	assert_string_equal(json_string_value(json_object_get(st, "reason")), "AlreadyExists");
	json_decref(st);
	json_decref(b);
	/* 422 for a missing required field, store unchanged */
	json_t *bad = J("{\"apiVersion\":\"metal3.io/v1alpha1\",\"kind\":\"BareMetalHost\",\"metadata\":{\"name\":\"h3\","
	                "\"namespace\":\"c1\"},\"spec\":{\"bootMACAddress\":\"00:11:22:33:44:55\"}}");
	assert_int_equal(hub_create(h, KUBE_RES_BAREMETALHOST, bad, NULL, &st), -422);
	json_t *cause0 = json_array_get(json_object_get(json_object_get(st, "details"), "causes"), 0);
	assert_string_equal(json_string_value(json_object_get(cause0, "field")), "spec.online");
	assert_string_equal(json_string_value(json_object_get(cause0, "reason")), "FieldValueRequired");
	assert_string_equal(json_string_value(json_object_get(st, "message")),
	                    "BareMetalHost.metal3.io \"h3\" is invalid: spec.online: Required value");
	json_decref(st);
	json_decref(bad);
	assert_int_equal(hub_get(h, KUBE_RES_BAREMETALHOST, "c1", "h3", NULL), -404);
	/* invalid names */
	json_t *c = cm("c1", "Bad_Name", NULL);
	assert_int_equal(hub_create(h, KUBE_RES_CONFIGMAP, c, NULL, &st), -422);
	json_decref(st);
	json_decref(c);
	/* kind mismatch */
	c = cm("c1", "x", NULL);
	assert_int_equal(hub_create(h, KUBE_RES_SECRET, c, NULL, &st), -400);
	json_decref(st);
	json_decref(c);
	/* get, peek, list with labels */
	assert_int_equal(hub_get(h, KUBE_RES_BAREMETALHOST, "c1", "h1", &out), 0);
	assert_string_equal(md(out, "name"), "h1");
	json_decref(out);
	const struct hub_blob *pb = hub_peek(h, KUBE_RES_BAREMETALHOST, "c1", "h2");
	assert_non_null(pb);
	assert_string_equal(hub_blob_label(pb, "infraenvs.agent-install.openshift.io"), "c1");
	hub_free(&h);
}

static int count_cb(void *arg, const struct hub_blob *b)
{
	(*(int *)arg)++;
	return 0;
}

static void test_list_and_selectors(void **state)
{
	(void)state;
	struct hub *h = new_hub(0);
	mk_ns(h, "a");
	mk_ns(h, "b");
	for (int i = 0; i < 5; i++) {
		char name[16], lab[64];
		snprintf(name, sizeof(name), "c%d", i);
		snprintf(lab, sizeof(lab), "\"labels\":{\"idx\":\"%d\",\"even\":\"%s\"}", i, i % 2 ? "no" : "yes");
		json_t *c = cm(i < 3 ? "a" : "b", name, lab);
		assert_int_equal(hub_create(h, KUBE_RES_CONFIGMAP, c, NULL, NULL), 0);
		json_decref(c);
	}
	int n = 0;
	hub_list(h, KUBE_RES_CONFIGMAP, NULL, NULL, count_cb, &n);
	assert_int_equal(n, 5);
	n = 0;
	hub_list(h, KUBE_RES_CONFIGMAP, "a", NULL, count_cb, &n);
	assert_int_equal(n, 3);
	struct kube_selector *sel = NULL;
	assert_int_equal(kube_label_selector_parse("even=yes", &sel, NULL, 0), 0);
	n = 0;
	hub_list(h, KUBE_RES_CONFIGMAP, NULL, sel, count_cb, &n);
	assert_int_equal(n, 3);
	n = 0;
	hub_list(h, KUBE_RES_CONFIGMAP, "b", sel, count_cb, &n);
	assert_int_equal(n, 1);
	kube_selector_free(&sel);
	hub_free(&h);
}

static void test_update_conflicts(void **state)
{
	(void)state;
	struct hub *h = new_hub(0);
	mk_ns(h, "c");
	json_t *b = hubobj_bmh("c", "h", 1, 0), *out = NULL, *st = NULL;
	assert_int_equal(hub_create(h, KUBE_RES_BAREMETALHOST, b, &out, NULL), 0);
	json_decref(b);
	/* a spec change bumps generation and resourceVersion */
	json_t *v1 = json_deep_copy(out);
	json_object_set_new(json_object_get(v1, "spec"), "online", json_false());
	json_t *v2 = NULL;
	assert_int_equal(hub_update(h, KUBE_RES_BAREMETALHOST, v1, &v2, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v2, "metadata"), "generation")), 2);
	assert_string_not_equal(md(v2, "resourceVersion"), md(out, "resourceVersion"));
	/* the stale version conflicts */
	assert_int_equal(hub_update(h, KUBE_RES_BAREMETALHOST, v1, NULL, &st), -409);
	assert_string_equal(json_string_value(json_object_get(st, "reason")), "Conflict");
	json_decref(st);
	/* custom resources refuse updates without resourceVersion */
	json_t *norv = json_deep_copy(v2);
	json_object_del(json_object_get(norv, "metadata"), "resourceVersion");
	assert_int_equal(hub_update(h, KUBE_RES_BAREMETALHOST, norv, NULL, &st), -422);
	json_decref(st);
	json_decref(norv);
	/* a no-op update writes nothing */
	uint64_t rv_before = hub_peek(h, KUBE_RES_BAREMETALHOST, "c", "h")->rv;
	json_t *v3 = NULL;
	assert_int_equal(hub_update(h, KUBE_RES_BAREMETALHOST, v2, &v3, NULL), 0);
	assert_int_equal(hub_peek(h, KUBE_RES_BAREMETALHOST, "c", "h")->rv, rv_before);
	json_decref(v3);
	/* a label change does not bump generation */
	json_t *lab = J("{\"metadata\":{\"labels\":{\"x\":\"y\"}}}");
	assert_int_equal(hub_patch(h, KUBE_RES_BAREMETALHOST, "c", "h", HUB_PATCH_MERGE, lab, 0, &v3, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v3, "metadata"), "generation")), 2);
	json_decref(v3);
	json_decref(lab);
	/* the main resource ignores status; /status changes only status */
	json_t *withst = hubobj_bmh("c", "h", 1, 1);
	json_t *cur = NULL;
	hub_get(h, KUBE_RES_BAREMETALHOST, "c", "h", &cur);
	json_object_set(withst, "metadata", json_object_get(cur, "metadata"));
	json_object_set_new(json_object_get(withst, "spec"), "online", json_true());
	assert_int_equal(hub_update(h, KUBE_RES_BAREMETALHOST, withst, &v3, NULL), 0);
	assert_null(json_object_get(v3, "status"));
	assert_true(json_is_true(json_object_get(json_object_get(v3, "spec"), "online")));
	json_object_set(withst, "metadata", json_object_get(v3, "metadata"));
	json_object_set_new(json_object_get(withst, "spec"), "online", json_false());
	json_decref(v3);
	assert_int_equal(hub_update_status(h, KUBE_RES_BAREMETALHOST, withst, &v3, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(v3, "status"),
	                    "provisioning"), "state")), "provisioned");
	assert_true(json_is_true(json_object_get(json_object_get(v3, "spec"), "online"))); /* spec kept */
	json_decref(v3);
	/* status patch with a wrong type is refused, nothing changes */
	json_t *bp = J("{\"status\":{\"poweredOn\":\"maybe\"}}");
	rv_before = hub_peek(h, KUBE_RES_BAREMETALHOST, "c", "h")->rv;
	assert_int_equal(hub_patch(h, KUBE_RES_BAREMETALHOST, "c", "h", HUB_PATCH_MERGE, bp, 1, NULL, &st), -422);
	json_decref(st);
	json_decref(bp);
	assert_int_equal(hub_peek(h, KUBE_RES_BAREMETALHOST, "c", "h")->rv, rv_before);
	/* strategic merge patch: refused for custom resources, fine for built-ins */
	bp = J("{\"spec\":{\"online\":true}}");
	assert_int_equal(hub_patch(h, KUBE_RES_BAREMETALHOST, "c", "h", HUB_PATCH_STRATEGIC, bp, 0, NULL, &st), -415);
	json_decref(st);
	json_decref(bp);
	json_t *c = cm("c", "m", NULL);
	assert_int_equal(hub_create(h, KUBE_RES_CONFIGMAP, c, NULL, NULL), 0);
	bp = J("{\"data\":{\"k2\":\"v2\"}}");
	assert_int_equal(hub_patch(h, KUBE_RES_CONFIGMAP, "c", "m", HUB_PATCH_STRATEGIC, bp, 0, &v3, NULL), 0);
	assert_int_equal(json_object_size(json_object_get(v3, "data")), 2);
	/* built-ins take unconditional updates */
	json_object_del(json_object_get(c, "metadata"), "resourceVersion");
	assert_int_equal(hub_update(h, KUBE_RES_CONFIGMAP, c, NULL, NULL), 0);
	json_decref(v3);
	json_decref(bp);
	json_decref(c);
	/* JSON patch test failure: 422 */
	bp = J("[{\"op\":\"test\",\"path\":\"/spec/online\",\"value\":\"nope\"}]");
	assert_int_equal(hub_patch(h, KUBE_RES_BAREMETALHOST, "c", "h", HUB_PATCH_JSON, bp, 0, NULL, &st), -422);
	json_decref(st);
	json_decref(bp);
	assert_int_equal(hub_patch(h, KUBE_RES_BAREMETALHOST, "c", "nope", HUB_PATCH_MERGE, bp, 0, NULL, NULL), -404);
	json_decref(cur);
	json_decref(withst);
	json_decref(out);
	json_decref(v1);
	json_decref(v2);
	hub_free(&h);
}

static void test_finalizers_and_namespaces(void **state)
{
	(void)state;
	struct hub *h = new_hub(0);
	mk_ns(h, "c");
	json_t *c = cm("c", "f", "\"finalizers\":[\"example.com/hold\"]"), *out = NULL, *st = NULL;
	assert_int_equal(hub_create(h, KUBE_RES_CONFIGMAP, c, NULL, NULL), 0);
	json_decref(c);
	assert_int_equal(hub_delete(h, KUBE_RES_CONFIGMAP, "c", "f", NULL), 0);
	const struct hub_blob *b = hub_peek(h, KUBE_RES_CONFIGMAP, "c", "f");
	assert_non_null(b);
	assert_true(b->flags & HUB_BLOB_DELETING);
	/* no new finalizers while deleting */
	json_t *p = J("{\"metadata\":{\"finalizers\":[\"example.com/hold\",\"example.com/more\"]}}");
	assert_int_equal(hub_patch(h, KUBE_RES_CONFIGMAP, "c", "f", HUB_PATCH_MERGE, p, 0, NULL, &st), -422);
	json_decref(st);
	json_decref(p);
	/* removing the last finalizer deletes */
	p = J("{\"metadata\":{\"finalizers\":null}}");
	assert_int_equal(hub_patch(h, KUBE_RES_CONFIGMAP, "c", "f", HUB_PATCH_MERGE, p, 0, &out, NULL), 0);
	json_decref(out);
	json_decref(p);
	assert_null(hub_peek(h, KUBE_RES_CONFIGMAP, "c", "f"));
	/* namespace deletion cascades, waits for finalizers, then the namespace goes */
	json_t *bmh = hubobj_bmh("c", "h", 1, 0); /* carries a BMAC finalizer */
	assert_int_equal(hub_create(h, KUBE_RES_BAREMETALHOST, bmh, NULL, NULL), 0);
	json_decref(bmh);
	c = cm("c", "plain", NULL);
	assert_int_equal(hub_create(h, KUBE_RES_CONFIGMAP, c, NULL, NULL), 0);
	json_decref(c);
	assert_int_equal(hub_delete(h, KUBE_RES_NAMESPACE, NULL, "c", NULL), 0);
	hub_run_pending(h);
	assert_null(hub_peek(h, KUBE_RES_CONFIGMAP, "c", "plain"));
	assert_non_null(hub_peek(h, KUBE_RES_BAREMETALHOST, "c", "h"));
	const struct hub_blob *nsb = hub_peek(h, KUBE_RES_NAMESPACE, NULL, "c");
	assert_non_null(nsb);
	assert_non_null(strstr(nsb->json, "\"Terminating\""));
	/* nothing new in a terminating namespace */
	c = cm("c", "late", NULL);
	assert_int_equal(hub_create(h, KUBE_RES_CONFIGMAP, c, NULL, &st), -403);
	assert_non_null(strstr(json_string_value(json_object_get(st, "message")), "because it is being terminated"));
	json_decref(st);
	json_decref(c);
	p = J("{\"metadata\":{\"finalizers\":[]}}");
	assert_int_equal(hub_patch(h, KUBE_RES_BAREMETALHOST, "c", "h", HUB_PATCH_MERGE, p, 0, NULL, NULL), 0);
	json_decref(p);
	hub_run_pending(h);
	assert_null(hub_peek(h, KUBE_RES_BAREMETALHOST, "c", "h"));
	assert_null(hub_peek(h, KUBE_RES_NAMESPACE, NULL, "c"));
	hub_free(&h);
}

static json_t *owned(const char *ns, const char *name, const char *owner_uids[], const char *owner_names[],
                     size_t n)
{
	json_t *c = cm(ns, name, NULL);
	json_t *refs = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(refs, json_pack("{s:s,s:s,s:s,s:s}", "apiVersion", "v1", "kind", "ConfigMap",
		                                      "name", owner_names[i], "uid", owner_uids[i]));
	json_object_set_new(json_object_get(c, "metadata"), "ownerReferences", refs);
	return c;
}

static void test_garbage_collection(void **state)
{
	(void)state;
	struct hub *h = new_hub(0);
	mk_ns(h, "g");
	json_t *o1 = cm("g", "owner1", NULL), *o2 = cm("g", "owner2", NULL), *out1 = NULL, *out2 = NULL;
	hub_create(h, KUBE_RES_CONFIGMAP, o1, &out1, NULL);
	hub_create(h, KUBE_RES_CONFIGMAP, o2, &out2, NULL);
	const char *u1 = md(out1, "uid"), *u2 = md(out2, "uid");
	const char *one[] = {u1}, *n1[] = {"owner1"};
	const char *both[] = {u1, u2}, *n2[] = {"owner1", "owner2"};
	json_t *d1 = owned("g", "dep1", one, n1, 1), *d2 = owned("g", "dep2", both, n2, 2);
	json_t *d3 = owned("g", "dep3", one, n1, 1);
	json_object_set_new(json_object_get(d3, "metadata"), "finalizers", json_pack("[s]", "example.com/x"));
	assert_int_equal(hub_create(h, KUBE_RES_CONFIGMAP, d1, NULL, NULL), 0);
	assert_int_equal(hub_create(h, KUBE_RES_CONFIGMAP, d2, NULL, NULL), 0);
	assert_int_equal(hub_create(h, KUBE_RES_CONFIGMAP, d3, NULL, NULL), 0);
	/* background: dep1 goes, dep2 keeps its other owner (the dangling ref is dropped),
	 * dep3 gets a deletionTimestamp and waits for its finalizer */
	assert_int_equal(hub_delete(h, KUBE_RES_CONFIGMAP, "g", "owner1", NULL), 0);
	hub_run_pending(h);
	assert_null(hub_peek(h, KUBE_RES_CONFIGMAP, "g", "dep1"));
	const struct hub_blob *b2 = hub_peek(h, KUBE_RES_CONFIGMAP, "g", "dep2");
	assert_non_null(b2);
	assert_null(strstr(b2->json, u1));
	assert_non_null(strstr(b2->json, u2));
	assert_true(hub_peek(h, KUBE_RES_CONFIGMAP, "g", "dep3")->flags & HUB_BLOB_DELETING);
	json_decref(d1);
	json_decref(d2);
	json_decref(d3);
	/* its finalizer gone, dep3 goes too; the Orphan and Foreground policies are
	 * tested over HTTP (e2e_hub) where DeleteOptions carry them */
	json_t *p = J("{\"metadata\":{\"finalizers\":null}}");
	assert_int_equal(hub_patch(h, KUBE_RES_CONFIGMAP, "g", "dep3", HUB_PATCH_MERGE, p, 0, NULL, NULL), 0);
	json_decref(p);
	assert_null(hub_peek(h, KUBE_RES_CONFIGMAP, "g", "dep3"));
	hub_free(&h);
	json_decref(o1);
	json_decref(o2);
	json_decref(out1);
	json_decref(out2);
}

struct events {
	int added, modified, deleted;
	char last[64];
};

static void on_change(void *arg, enum kube_watch_type t, const struct hub_blob *obj, const struct hub_blob *prev)
{
	struct events *e = arg;
	if (t == KUBE_WATCH_ADDED)
		e->added++;
	else if (t == KUBE_WATCH_MODIFIED)
		e->modified++;
	else if (t == KUBE_WATCH_DELETED)
		e->deleted++;
	snprintf(e->last, sizeof(e->last), "%s/%s", obj->ns, obj->name);
	if (t == KUBE_WATCH_MODIFIED)
		assert_non_null(prev);
}

static void test_subscriptions_and_window(void **state)
{
	(void)state;
	struct hub *h = new_hub(4);
	struct events ev = {0};
	struct hub_sub *sub = hub_subscribe(h, KUBE_RES_CONFIGMAP, on_change, &ev);
	mk_ns(h, "w");
	for (int i = 0; i < 3; i++) {
		char name[8];
		snprintf(name, sizeof(name), "m%d", i);
		json_t *c = cm("w", name, NULL);
		hub_create(h, KUBE_RES_CONFIGMAP, c, NULL, NULL);
		json_decref(c);
	}
	json_t *p = J("{\"data\":{\"x\":\"1\"}}");
	hub_patch(h, KUBE_RES_CONFIGMAP, "w", "m1", HUB_PATCH_MERGE, p, 0, NULL, NULL);
	json_decref(p);
	hub_delete(h, KUBE_RES_CONFIGMAP, "w", "m2", NULL);
	assert_int_equal(ev.added, 3);
	assert_int_equal(ev.modified, 1);
	assert_int_equal(ev.deleted, 1);
	assert_string_equal(ev.last, "w/m2");
	hub_unsubscribe(h, &sub);
	assert_null(sub);
	hub_free(&h);
}

static int ev_count;
static void count_event(struct hub_watcher *w, const struct hub_event *ev, uint64_t seq)
{
	ev_count++;
}

/* The store's window: positions, rv lookup, expiry (410) and one rv for all resources. */
static void test_store_window(void **state)
{
	(void)state;
	struct hub_store *s = hub_store_new(3);
	struct hub_watcher w = {.res = KUBE_RES_CONFIGMAP, .on_event = count_event};
	hub_store_watch_add(s, &w);
	assert_int_equal(hub_store_watch_count(s, KUBE_RES_CONFIGMAP), 1);
	for (int i = 0; i < 5; i++) {
		char name[8];
		snprintf(name, sizeof(name), "m%d", i);
		json_t *c = cm("w", name, NULL);
		hub_store_put(s, KUBE_RES_CONFIGMAP, c);
		json_decref(c);
		json_t *o = cm("w", name, NULL); /* another resource shares the rv counter */
		json_object_set_new(o, "kind", json_string("Secret"));
		hub_store_put(s, KUBE_RES_SECRET, o);
		json_decref(o);
	}
	assert_int_equal(ev_count, 5);
	assert_int_equal(hub_store_rv(s), 10);
	/* configmaps got rvs 1,3,5,7,9; the window keeps 5,7,9 */
	uint64_t seq = 0, oldest = 0;
	assert_int_equal(hub_store_window_first(s, KUBE_RES_CONFIGMAP), 2);
	assert_int_equal(hub_store_window_end(s, KUBE_RES_CONFIGMAP), 5);
	assert_int_equal(hub_store_window_since(s, KUBE_RES_CONFIGMAP, 5, &seq, NULL), 0);
	assert_int_equal(seq, 3);
	assert_int_equal(hub_store_window_at(s, KUBE_RES_CONFIGMAP, seq)->rv, 7);
	assert_int_equal(hub_store_window_since(s, KUBE_RES_CONFIGMAP, 4, &seq, NULL), 0);
	assert_int_equal(seq, 2);
	assert_int_equal(hub_store_window_since(s, KUBE_RES_CONFIGMAP, 2, &seq, &oldest), SW_ERR_STATE);
	assert_int_equal(oldest, 3);
	assert_int_equal(hub_store_window_since(s, KUBE_RES_CONFIGMAP, 10, &seq, NULL), 0);
	assert_int_equal(seq, 5);
	assert_null(hub_store_window_at(s, KUBE_RES_CONFIGMAP, 1));
	/* sorted index */
	assert_int_equal(hub_store_count(s, KUBE_RES_CONFIGMAP), 5);
	assert_string_equal(hub_store_at(s, KUBE_RES_CONFIGMAP, 0)->name, "m0");
	assert_int_equal(hub_store_seek(s, KUBE_RES_CONFIGMAP, "w", "m2", 1), 3);
	json_t *gone = cm("w", "m1", NULL);
	assert_int_equal(hub_store_remove(s, KUBE_RES_CONFIGMAP, gone), 0);
	assert_int_equal(hub_store_remove(s, KUBE_RES_CONFIGMAP, gone), SW_ERR_NOT_FOUND);
	json_decref(gone);
	assert_int_equal(hub_store_window_at(s, KUBE_RES_CONFIGMAP, 5)->type, KUBE_WATCH_DELETED);
	assert_non_null(hub_store_window_at(s, KUBE_RES_CONFIGMAP, 5)->prev);
	hub_store_watch_remove(s, &w);
	hub_store_free(&s);
}

/* ---- the /status shortcut against the full path ---- */

/* Change notifications as "TYPE text" lines. */
struct seen {
	char *lines[256];
	size_t n;
};

static void on_seen(void *arg, enum kube_watch_type t, const struct hub_blob *obj, const struct hub_blob *prev)
{
	struct seen *s = arg;
	if (s->n < 256) {
		size_t len = strlen(obj->json) + 16;
		s->lines[s->n] = malloc(len);
		snprintf(s->lines[s->n++], len, "%d %s", (int)t, obj->json);
	}
	(void)prev;
}

/* |text| with the value of every "creationTimestamp" and "deletionTimestamp"
 * blanked (the two hubs may create a second apart). */
static char *normalised(const char *text)
{
	char *t = strdup(text);
	static const char *const keys[] = {"\"creationTimestamp\":\"", "\"deletionTimestamp\":\""};
	for (size_t k = 0; k < 2; k++)
		for (char *p = strstr(t, keys[k]); p; p = strstr(p + 1, keys[k]))
			for (char *q = p + strlen(keys[k]); *q && *q != '"'; q++)
				*q = '0';
	return t;
}

/* The answer of |op|: the stored text, the result or the Status, compact. */
static char *answer_of(const struct hub_op *op)
{
	if (op->stored)
		return normalised(op->stored->json);
	char *d = json_dumps(op->result ? op->result : op->status, JSON_COMPACT);
	char *n = normalised(d ? d : "");
	free(d);
	return n;
}

enum step_kind { MERGE_STATUS, JSON_STATUS, PUT_STATUS, PUT_STATUS_STALE, PUT_STATUS_NO_RV, MERGE_MAIN, DELETE };

struct step {
	enum step_kind kind;
	enum kube_res_id res;
	const char *body;    /* the patch, or the status of a PUT (JSON text) */
	enum hub_fv fv;
	int dry_run;
	int code;            /* expected answer */
	int writes;          /* expected to store a new version */
};

/* Runs |st| on |h| against object |name| in namespace "t"; returns the op (to clear). */
static void run_step(struct hub *h, const struct step *st, const char *name, struct hub_op *op)
{
	*op = (struct hub_op){.res = st->res, .ns = "t", .name = name, .fv = st->fv, .dry_run = st->dry_run,
	                      .status_sub = st->kind != MERGE_MAIN && st->kind != DELETE};
	json_t *body = st->body ? J(st->body) : NULL;
	switch (st->kind) {
	case MERGE_STATUS:
	case MERGE_MAIN:
		hub_op_patch(h, op, HUB_PATCH_MERGE, body);
		json_decref(body);
		break;
	case JSON_STATUS:
		hub_op_patch(h, op, HUB_PATCH_JSON, body);
		json_decref(body);
		break;
	case PUT_STATUS:
	case PUT_STATUS_STALE:
	case PUT_STATUS_NO_RV: {
		json_t *obj = NULL;
		assert_int_equal(hub_get(h, st->res, "t", name, &obj), 0);
		json_object_set_new(obj, "status", body);
		json_t *md = json_object_get(obj, "metadata");
		if (st->kind == PUT_STATUS_STALE)
			json_object_set_new(md, "resourceVersion", json_string("1"));
		else if (st->kind == PUT_STATUS_NO_RV)
			json_object_del(md, "resourceVersion");
		hub_op_update(h, op, obj);
		break;
	}
	case DELETE:
		hub_op_delete(h, op);
		break;
	}
}

static void test_status_shortcut(void **state)
{
	(void)state;
	struct hub *hs[2];
	struct seen seen[2] = {{{0}, 0}, {{0}, 0}};
	struct hub_sub *subs[2][2];
	char agent[64];
	for (int k = 0; k < 2; k++) {
		struct hub_cfg cfg = {.watch_window = 100, .seed = 7, .full_writes = k};
		char err[256];
		hs[k] = hub_new(&cfg, err, sizeof(err));
		assert_non_null(hs[k]);
		subs[k][0] = hub_subscribe(hs[k], KUBE_RES_BAREMETALHOST, on_seen, &seen[k]);
		subs[k][1] = hub_subscribe(hs[k], KUBE_RES_AGENT, on_seen, &seen[k]);
		mk_ns(hs[k], "t");
		json_t *b = hubobj_bmh("t", "b", 1, 0), *a = hubobj_agent("t", 2, 0), *out = NULL;
		assert_int_equal(hub_create(hs[k], KUBE_RES_BAREMETALHOST, b, NULL, NULL), 0);
		assert_int_equal(hub_create(hs[k], KUBE_RES_AGENT, a, &out, NULL), 0);
		snprintf(agent, sizeof(agent), "%s", md(out, "name"));
		json_decref(out);
		json_decref(a);
		json_decref(b);
	}
	json_t *full = hubobj_bmh("t", "b", 1, 1), *afull = hubobj_agent("t", 2, 1);
	char *bst = json_dumps(json_object_get(full, "status"), 0);
	char *ast = json_dumps(json_object_get(afull, "status"), 0);
	/* the BMH status with its members in reverse order */
	json_t *rev = json_object();
	const char *keys[64];
	size_t nk = 0;
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(full, "status"), key, v)
		keys[nk++] = key;
	while (nk-- > 0)
		json_object_set(rev, keys[nk], json_object_get(json_object_get(full, "status"), keys[nk]));
	char *bst_rev = json_dumps(rev, 0);
	json_decref(rev);
	const enum kube_res_id B = KUBE_RES_BAREMETALHOST, A = KUBE_RES_AGENT;
	const struct step steps[] = {
		{PUT_STATUS, B, bst, HUB_FV_WARN, 0, 200, 1},                                   /* first status: appended */
		{MERGE_STATUS, B, "{\"status\":{\"errorCount\":3,\"lastUpdated\":\"2026-11-29T11:00:00Z\"}}", HUB_FV_WARN, 0, 200, 1},
		{MERGE_STATUS, B, "{\"status\":{\"errorCount\":3}}", HUB_FV_WARN, 0, 200, 0},   /* no change */
		{PUT_STATUS, B, bst_rev, HUB_FV_WARN, 0, 200, 1},                               /* equal, other key order */
		{PUT_STATUS, B, bst, HUB_FV_WARN, 0, 200, 0},
		{MERGE_STATUS, B, "{\"status\":{\"bogus\":1,\"errorCount\":4}}", HUB_FV_WARN, 0, 200, 1},
		{MERGE_STATUS, B, "{\"status\":{\"bogus\":1,\"errorCount\":5}}", HUB_FV_STRICT, 0, 400, 0},
		{MERGE_STATUS, B, "{\"status\":{\"errorCount\":\"x\",\"poweredOn\":7}}", HUB_FV_WARN, 0, 422, 0},
		{MERGE_STATUS, B, "{\"status\":{\"errorMessage\":null}}", HUB_FV_WARN, 0, 422, 0},
		{MERGE_STATUS, B, "{\"status\":\"flat\"}", HUB_FV_WARN, 0, 422, 0},
		{MERGE_STATUS, B, "{\"status\":null}", HUB_FV_WARN, 0, 200, 1},                 /* removed */
		{MERGE_STATUS, B, "{\"status\":null}", HUB_FV_WARN, 0, 200, 0},                 /* still none: no change */
		{MERGE_STATUS, B, "{\"spec\":{\"online\":false}}", HUB_FV_WARN, 0, 200, 0},     /* nothing for /status */
		/* appended again, errorCount from its default */
		{MERGE_STATUS, B, "{\"status\":{\"operationalStatus\":\"OK\",\"errorMessage\":\"\",\"poweredOn\":false,"
		                  "\"provisioning\":{\"state\":\"\",\"ID\":\"\"},\"provisioningFailCount\":0}}", HUB_FV_WARN, 0, 200, 1},
		{MERGE_STATUS, B, "{\"spec\":{\"online\":false},\"status\":{\"errorCount\":6}}", HUB_FV_WARN, 0, 200, 1},
		{PUT_STATUS_STALE, B, bst, HUB_FV_WARN, 0, 409, 0},
		{PUT_STATUS_NO_RV, B, bst, HUB_FV_WARN, 0, 422, 0},
		{MERGE_STATUS, B, "{\"metadata\":{\"labels\":{\"x\":\"y\"}},\"status\":{\"errorCount\":7}}", HUB_FV_WARN, 0, 200, 1},
		{MERGE_STATUS, B, "{\"metadata\":{\"resourceVersion\":\"1\"},\"status\":{\"errorCount\":8}}", HUB_FV_WARN, 0, 409, 0},
		{MERGE_STATUS, B, "{\"status\":{\"errorCount\":9}}", HUB_FV_WARN, 1, 200, 0},   /* dry run */
		{JSON_STATUS, B, "[{\"op\":\"replace\",\"path\":\"/status/errorCount\",\"value\":10}]", HUB_FV_WARN, 0, 200, 1},
		{MERGE_MAIN, B, "{\"spec\":{\"online\":false},\"status\":{\"errorCount\":11}}", HUB_FV_WARN, 0, 200, 1},
		{MERGE_STATUS, B, "{\"status\":{\"errorCount\":12,\"errorMessage\":\"e\\u00e9\\n\\\"q\\u0001\"}}", HUB_FV_WARN, 0, 200, 1},
		{PUT_STATUS, A, ast, HUB_FV_WARN, 0, 200, 1},
		{MERGE_STATUS, A, "{\"status\":{\"conditions\":[{\"type\":\"Bound\",\"status\":\"False\",\"reason\":\"Unbound\","
		                  "\"message\":\"m\",\"lastTransitionTime\":\"2026-11-29T12:00:00Z\"}]}}", HUB_FV_WARN, 0, 200, 1},
		{MERGE_STATUS, A, "{\"status\":{\"debugInfo\":{\"state\":\"known\"},\"progress\":{\"currentStage\":\"x\"}}}",
		 HUB_FV_WARN, 0, 200, 1},
		{DELETE, B, NULL, HUB_FV_IGNORE, 0, 200, 1},                                    /* has a finalizer: deleting */
		{MERGE_STATUS, B, "{\"status\":{\"errorCount\":13}}", HUB_FV_WARN, 0, 200, 1},  /* on an object being deleted */
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const struct step *st = &steps[i];
		const char *name = st->res == A ? agent : "b";
		struct hub_op op[2];
		char *ans[2], *stored[2], *warn[2];
		uint64_t rv[2], before = hub_store_rv(hs[0]->store);
		for (int k = 0; k < 2; k++) {
			run_step(hs[k], st, name, &op[k]);
			ans[k] = answer_of(&op[k]);
			warn[k] = op[k].warnings ? json_dumps(op[k].warnings, 0) : strdup("none");
			const struct hub_blob *cur = hub_peek(hs[k], st->res, "t", name);
			stored[k] = normalised(cur ? cur->json : "gone");
			rv[k] = cur ? cur->rv : 0;
		}
		if (op[0].code != op[1].code || strcmp(ans[0], ans[1]) != 0 || strcmp(stored[0], stored[1]) != 0 ||
		    rv[0] != rv[1] || strcmp(warn[0], warn[1]) != 0)
			fail_msg("step %zu: shortcut %d %s (stored rv %llu %s, warnings %s)\nfull path %d %s (stored rv %llu %s, "
			         "warnings %s)", i, op[0].code, ans[0], (unsigned long long)rv[0], stored[0], warn[0],
			         op[1].code, ans[1], (unsigned long long)rv[1], stored[1], warn[1]);
		if (op[0].code != st->code || (hub_store_rv(hs[0]->store) != before) != st->writes)
			fail_msg("step %zu: %d (rv %llu -> %llu), want %d%s", i, op[0].code, (unsigned long long)before,
			         (unsigned long long)hub_store_rv(hs[0]->store), st->code, st->writes ? " and a write" : "");
		for (int k = 0; k < 2; k++) {
			free(ans[k]);
			free(stored[k]);
			free(warn[k]);
			hub_op_clear(&op[k]);
		}
	}
	/* the same changes were seen, with the same texts */
	assert_int_equal(seen[0].n, seen[1].n);
	assert_true(seen[0].n > 15);
	for (size_t i = 0; i < seen[0].n; i++) {
		char *a = normalised(seen[0].lines[i]), *b = normalised(seen[1].lines[i]);
		assert_string_equal(a, b);
		free(a);
		free(b);
		free(seen[0].lines[i]);
		free(seen[1].lines[i]);
	}
	for (int k = 0; k < 2; k++) {
		hub_unsubscribe(hs[k], &subs[k][0]);
		hub_unsubscribe(hs[k], &subs[k][1]);
		hub_free(&hs[k]);
	}
	free(bst);
	free(ast);
	free(bst_rev);
	json_decref(full);
	json_decref(afull);
}

static int validate_cb(void *arg, const struct hub_blob *b)
{
	struct hub_schema *s = ((void **)arg)[0];
	struct hub_defs *d = ((void **)arg)[1];
	json_t *o = hub_blob_parse(b);
	json_t *copy = json_deep_copy(o);
	struct hub_schema_report rep;
	int n = hub_schema_process(s, d->r[b->res].schema, o, HUB_SCHEMA_ALL, &rep);
	if (n || rep.pruned || !json_equal(o, copy)) {
		char *c = json_dumps(rep.causes ? rep.causes : rep.pruned, 0);
		fail_msg("%s/%s does not validate: %s", b->ns, b->name, c ? c : "(changed by defaults)");
	}
	hub_schema_report_clear(&rep);
	json_decref(o);
	json_decref(copy);
	return 0;
}

/* Every object the hub keeps (and so returns) validates against its schema:
 * no causes, nothing to prune, nothing to default. */
static void test_everything_validates(void **state)
{
	(void)state;
	struct hub *h = new_hub(0);
	mk_ns(h, "v");
	json_t *objs[] = {
		hubobj_bmh("v", "b0", 0, 0), hubobj_agent("v", 1, 0), hubobj_secret("v", "s"),
		J("{\"apiVersion\":\"hive.openshift.io/v1\",\"kind\":\"ClusterImageSet\",\"metadata\":{\"name\":\"i\"},"
		  "\"spec\":{\"releaseImage\":\"quay.io/x:1\"}}"),
		J("{\"apiVersion\":\"agent-install.openshift.io/v1beta1\",\"kind\":\"InfraEnv\",\"metadata\":{\"name\":\"v\","
		  "\"namespace\":\"v\"},\"spec\":{\"pullSecretRef\":{\"name\":\"s\",\"sshAuthorizedKey\":\"x\"}}}"),
	};
	enum kube_res_id res[] = {KUBE_RES_BAREMETALHOST, KUBE_RES_AGENT, KUBE_RES_SECRET,
	                          KUBE_RES_CLUSTERIMAGESET, KUBE_RES_INFRAENV};
	for (size_t i = 0; i < 5; i++) {
		json_t *st = NULL;
		if (hub_create(h, res[i], objs[i], NULL, &st) != 0)
			fail_msg("create %zu: %s", i, json_string_value(json_object_get(st, "message")));
		json_decref(objs[i]);
	}
	/* and after a status update */
	json_t *a = hubobj_agent("v", 1, 1), *cur = NULL;
	assert_int_equal(hub_get(h, KUBE_RES_AGENT, "v", md(a, "name"), &cur), 0);
	json_object_set(a, "metadata", json_object_get(cur, "metadata"));
	assert_int_equal(hub_update_status(h, KUBE_RES_AGENT, a, NULL, NULL), 0);
	json_decref(cur);
	struct hub_schema *s = hub_schema_new();
	struct hub_defs d;
	char err[128];
	assert_int_equal(hub_defs_load(&d, err, sizeof(err)), 0);
	void *args[2] = {s, &d};
	for (size_t r = 0; r < KUBE_RES_COUNT; r++)
		hub_list(h, (enum kube_res_id)r, NULL, NULL, validate_cb, args);
	hub_defs_free(&d);
	hub_schema_free(&s);
	json_decref(a);
	hub_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_get_list),
		cmocka_unit_test(test_list_and_selectors),
		cmocka_unit_test(test_update_conflicts),
		cmocka_unit_test(test_finalizers_and_namespaces),
		cmocka_unit_test(test_garbage_collection),
		cmocka_unit_test(test_subscriptions_and_window),
		cmocka_unit_test(test_everything_validates),
		cmocka_unit_test(test_status_shortcut),
		cmocka_unit_test(test_store_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
