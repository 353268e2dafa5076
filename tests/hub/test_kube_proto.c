/* Tests for protocol/kube_*: the resource table, request-info and query
 * parsing, path building, Status objects and messages, label and field
 * selectors (parse errors and every operator), the watch event framing and
 * its incremental decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kube_path.h"
#include "kube_res.h"
#include "kube_selector.h"
#include "kube_status.h"
#include "kube_watch.h"
#include "sw_err.h"

static void test_res_table(void **state)
{
	(void)state;
	size_t n;
	const struct kube_res *t = kube_res_table(&n);
	assert_int_equal(n, KUBE_RES_COUNT);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(t[i].id, (int)i);
	const struct kube_res *bmh = kube_res_find("metal3.io", "v1alpha1", "baremetalhosts");
	assert_non_null(bmh);
	assert_string_equal(bmh->short_names[0], "bmh");
	assert_ptr_equal(kube_res_by_kind("metal3.io/v1alpha1", "BareMetalHost"), bmh);
	assert_null(kube_res_by_kind("metal3.io/v1", "BareMetalHost"));
	assert_ptr_equal(kube_res_by_kind("v1", "Secret"), kube_res_get(KUBE_RES_SECRET));
	assert_int_equal(kube_res_get(KUBE_RES_CLUSTERIMAGESET)->namespaced, 0);
	char buf[64];
	assert_true(kube_res_api_version(bmh, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "metal3.io/v1alpha1");
	kube_res_group_resource(kube_res_get(KUBE_RES_SECRET), buf, sizeof(buf));
	assert_string_equal(buf, "secrets");
	kube_res_group_resource(bmh, buf, sizeof(buf));
	assert_string_equal(buf, "baremetalhosts.metal3.io");
	assert_int_equal(kube_res_api_version(bmh, buf, 5), SW_ERR_TOO_BIG);
	assert_null(kube_res_get(KUBE_RES_COUNT));
}

static void test_reqinfo(void **state)
{
	(void)state;
	struct kube_reqinfo ri;
	assert_int_equal(kube_reqinfo_parse("GET", "/apis/metal3.io/v1alpha1/namespaces/ns1/baremetalhosts/h1/status", "", &ri), 0);
	assert_true(ri.is_resource);
	assert_int_equal(ri.verb, KUBE_VERB_GET);
	assert_string_equal(ri.group, "metal3.io");
	assert_string_equal(ri.ns, "ns1");
	assert_string_equal(ri.name, "h1");
	assert_string_equal(ri.subresource, "status");
	assert_ptr_equal(ri.res, kube_res_get(KUBE_RES_BAREMETALHOST));
	assert_int_equal(kube_reqinfo_parse("GET", "/api/v1/namespaces/a/secrets", "watch=true", &ri), 0);
	assert_int_equal(ri.verb, KUBE_VERB_WATCH);
	assert_int_equal(kube_reqinfo_parse("GET", "/api/v1/namespaces/a/secrets", "watch=0&limit=5", &ri), 0);
	assert_int_equal(ri.verb, KUBE_VERB_LIST);
	assert_int_equal(kube_reqinfo_parse("GET", "/api/v1/namespaces/a/secrets/s", "watch=1", &ri), 0);
	assert_int_equal(ri.verb, KUBE_VERB_WATCH);
	/* a namespace's own URLs */
	assert_int_equal(kube_reqinfo_parse("DELETE", "/api/v1/namespaces/a", "", &ri), 0);
	assert_int_equal(ri.verb, KUBE_VERB_DELETE);
	assert_string_equal(ri.resource, "namespaces");
	assert_string_equal(ri.name, "a");
	assert_string_equal(ri.ns, "");
	assert_int_equal(kube_reqinfo_parse("PUT", "/api/v1/namespaces/a/finalize", "", &ri), 0);
	assert_string_equal(ri.resource, "namespaces");
	assert_string_equal(ri.subresource, "finalize");
	assert_int_equal(kube_reqinfo_parse("POST", "/apis/hive.openshift.io/v1/clusterimagesets", "", &ri), 0);
	assert_int_equal(ri.verb, KUBE_VERB_CREATE);
	assert_int_equal(kube_reqinfo_parse("DELETE", "/api/v1/namespaces/x/configmaps", "", &ri), 0);
	assert_int_equal(ri.verb, KUBE_VERB_DELETECOLLECTION);
	assert_int_equal(kube_reqinfo_parse("PATCH", "/api/v1/namespaces/x/configmaps/c%2Dd", "", &ri), 0);
	assert_int_equal(ri.verb, KUBE_VERB_PATCH);
	assert_string_equal(ri.name, "c-d");
	assert_int_equal(kube_reqinfo_parse("OPTIONS", "/api/v1/namespaces/x/configmaps/c", "", &ri), 0);
	assert_int_equal(ri.verb, KUBE_VERB_COUNT);
	/* unknown resources parse, without a table entry */
	assert_int_equal(kube_reqinfo_parse("GET", "/apis/apps/v1/deployments", "", &ri), 0);
	assert_true(ri.is_resource);
	assert_null(ri.res);
	/* discovery is not a resource */
	assert_int_equal(kube_reqinfo_parse("GET", "/apis/metal3.io/v1alpha1", "", &ri), 0);
	assert_false(ri.is_resource);
	assert_int_equal(kube_reqinfo_parse("GET", "/version", "", &ri), 0);
	assert_false(ri.is_resource);
	/* malformed */
	assert_int_equal(kube_reqinfo_parse("GET", "/api//v1", "", &ri), SW_ERR_PARSE);
	assert_int_equal(kube_reqinfo_parse("GET", "/api/v1/namespaces/a/secrets/%zz", "", &ri), SW_ERR_PARSE);
	assert_int_equal(kube_reqinfo_parse("GET", "/api/v1/namespaces/a/secrets/%00", "", &ri), SW_ERR_PARSE);
	assert_int_equal(kube_reqinfo_parse("GET", "/api/v1/namespaces/a/secrets/b/c/d/e", "", &ri), SW_ERR_PARSE);
	char longp[600] = "/api/v1/namespaces/a/secrets/";
	memset(longp + strlen(longp), 'x', 300);
	assert_int_equal(kube_reqinfo_parse("GET", longp, "", &ri), SW_ERR_TOO_BIG);
}

static void test_query(void **state)
{
	(void)state;
	struct kube_query q;
	char bad[32];
	assert_int_equal(kube_query_parse("labelSelector=a%3Db%2Cc+in+(x)&limit=10&continue=abc&watch=1"
	                                  "&resourceVersion=0&allowWatchBookmarks=true&timeoutSeconds=5"
	                                  "&dryRun=All&fieldValidation=Strict&propagationPolicy=Foreground",
	                                  &q, bad, sizeof(bad)), 0);
	assert_string_equal(q.label_selector, "a=b,c in (x)");
	assert_int_equal(q.limit, 10);
	assert_string_equal(q.continue_token, "abc");
	assert_true(q.watch);
	assert_true(q.has_resource_version);
	assert_string_equal(q.resource_version, "0");
	assert_true(q.allow_watch_bookmarks);
	assert_int_equal(q.timeout_seconds, 5);
	assert_true(q.dry_run_all);
	assert_string_equal(q.field_validation, "Strict");
	assert_string_equal(q.propagation_policy, "Foreground");
	assert_int_equal(kube_query_parse("", &q, bad, sizeof(bad)), 0);
	assert_int_equal(q.timeout_seconds, -1);
	assert_false(q.has_resource_version);
	assert_int_equal(q.send_initial_events, -1);
	assert_int_equal(kube_query_parse("limit=-1", &q, bad, sizeof(bad)), SW_ERR_PARSE);
	assert_string_equal(bad, "limit");
	assert_int_equal(kube_query_parse("limit=x", &q, bad, sizeof(bad)), SW_ERR_PARSE);
	assert_int_equal(kube_query_parse("dryRun=Some", &q, bad, sizeof(bad)), SW_ERR_PARSE);
	assert_int_equal(kube_query_parse("labelSelector=%4", &q, bad, sizeof(bad)), SW_ERR_PARSE);
	assert_string_equal(bad, "labelSelector");
	char out[4];
	assert_int_equal(kube_query_get("a=12345", "a", out, sizeof(out)), SW_ERR_TOO_BIG);
	assert_int_equal(kube_query_get("a=1", "b", out, sizeof(out)), SW_ERR_NOT_FOUND);
	assert_int_equal(kube_query_get("b&a=1", "b", out, sizeof(out)), 0);
}

static void test_path_build(void **state)
{
	(void)state;
	char buf[256];
	assert_true(kube_path_build(buf, sizeof(buf), kube_res_get(KUBE_RES_AGENT), "ns", "a1", "status") > 0);
	assert_string_equal(buf, "/apis/agent-install.openshift.io/v1beta1/namespaces/ns/agents/a1/status");
	kube_path_build(buf, sizeof(buf), kube_res_get(KUBE_RES_SECRET), NULL, NULL, NULL);
	assert_string_equal(buf, "/api/v1/secrets");
	kube_path_build(buf, sizeof(buf), kube_res_get(KUBE_RES_CLUSTERIMAGESET), "ignored", "c", NULL);
	assert_string_equal(buf, "/apis/hive.openshift.io/v1/clusterimagesets/c");
	kube_path_build(buf, sizeof(buf), kube_res_get(KUBE_RES_NAMESPACE), NULL, "n1", NULL);
	assert_string_equal(buf, "/api/v1/namespaces/n1");
	assert_int_equal(kube_path_build(buf, 10, kube_res_get(KUBE_RES_AGENT), "ns", "a", NULL), SW_ERR_TOO_BIG);
	/* a built path parses back to the same request info */
	struct kube_reqinfo ri;
	kube_path_build(buf, sizeof(buf), kube_res_get(KUBE_RES_BAREMETALHOST), "n", "h", "status");
	assert_int_equal(kube_reqinfo_parse("PUT", buf, "", &ri), 0);
	assert_ptr_equal(ri.res, kube_res_get(KUBE_RES_BAREMETALHOST));
	assert_string_equal(ri.subresource, "status");
}

static void test_status(void **state)
{
	(void)state;
	json_t *st = kube_status_not_found(kube_res_get(KUBE_RES_BAREMETALHOST), "h1");
	assert_string_equal(json_string_value(json_object_get(st, "message")),
	                    "baremetalhosts.metal3.io \"h1\" not found");
	assert_int_equal(json_integer_value(json_object_get(st, "code")), 404);
	assert_string_equal(json_string_value(json_object_get(json_object_get(st, "details"), "kind")),
	                    "baremetalhosts");
	json_decref(st);
	st = kube_status_already_exists(kube_res_get(KUBE_RES_SECRET), "s");
	assert_string_equal(json_string_value(json_object_get(st, "reason")), "AlreadyExists");
	assert_string_equal(json_string_value(json_object_get(st, "message")), "secrets \"s\" already exists");
	json_decref(st);
	st = kube_status_conflict(kube_res_get(KUBE_RES_AGENT), "a", NULL);
	assert_string_equal(json_string_value(json_object_get(st, "reason")), "Conflict");
	assert_non_null(strstr(json_string_value(json_object_get(st, "message")),
	                       "Operation cannot be fulfilled on agents.agent-install.openshift.io \"a\": "
	                       "the object has been modified"));
	json_decref(st);
	st = kube_status_invalid(kube_res_get(KUBE_RES_BAREMETALHOST), "h");
	kube_status_add_cause(st, "FieldValueRequired", "Required value", "spec.online");
	kube_status_add_cause(st, "FieldValueInvalid", "Invalid value: 1", "spec.bmc.address");
	kube_status_finish_invalid(st, kube_res_get(KUBE_RES_BAREMETALHOST), "h");
	assert_string_equal(json_string_value(json_object_get(st, "message")),
	                    "BareMetalHost.metal3.io \"h\" is invalid: [spec.online: Required value, "
	                    "spec.bmc.address: Invalid value: 1]");
	char *s = json_dumps(st, 0);
	struct kube_status_info info;
	assert_int_equal(kube_status_parse(s, strlen(s), &info), 0);
	assert_int_equal(info.code, 422);
	assert_string_equal(info.reason, "Invalid");
	free(s);
	json_decref(st);
	assert_int_equal(kube_status_parse("{\"kind\":\"Pod\"}", 14, &info), SW_ERR_PARSE);
	assert_int_equal(kube_status_parse("nope", 4, &info), SW_ERR_PARSE);
	assert_string_equal(kube_status_reason(410), "Expired");
	assert_string_equal(kube_status_reason(299), "Unknown");
}

/* Labels of a fake object. */
static const char *lookup(void *arg, const char *key)
{
	const char *const *kv = arg;
	for (size_t i = 0; kv[i]; i += 2)
		if (strcmp(kv[i], key) == 0)
			return kv[i + 1];
	return NULL;
}

static int sel(const char *s, const char *const *labels)
{
	struct kube_selector *ks = NULL;
	char err[256];
	if (kube_label_selector_parse(s, &ks, err, sizeof(err)) != 0)
		return -1;
	int m = kube_selector_match(ks, lookup, (void *)labels);
	kube_selector_free(&ks);
	return m;
}

static void test_label_selectors(void **state)
{
	(void)state;
	const char *const l[] = {"app", "web", "tier", "front", "infraenvs.agent-install.openshift.io", "c1",
	                         "n", "7", NULL};
	assert_int_equal(sel("", l), 1);
	assert_int_equal(sel("app=web", l), 1);
	assert_int_equal(sel("app==web", l), 1);
	assert_int_equal(sel("app!=web", l), 0);
	assert_int_equal(sel("app!=db", l), 1);
	assert_int_equal(sel("missing!=x", l), 1);
	assert_int_equal(sel("app in (db, web)", l), 1);
	assert_int_equal(sel("app in (db)", l), 0);
	assert_int_equal(sel("app notin (db)", l), 1);
	assert_int_equal(sel("app notin (web,db)", l), 0);
	assert_int_equal(sel("missing notin (web)", l), 1);
	assert_int_equal(sel("app", l), 1);
	assert_int_equal(sel("!app", l), 0);
	assert_int_equal(sel("!missing", l), 1);
	assert_int_equal(sel("app=web,tier=front", l), 1);
	assert_int_equal(sel("app=web , tier=back", l), 0);
	assert_int_equal(sel("infraenvs.agent-install.openshift.io=c1", l), 1);
	assert_int_equal(sel("n>5", l), 1);
	assert_int_equal(sel("n<5", l), 0);
	assert_int_equal(sel("app=", l), 0);
	/* parse errors */
	static const char *const bad[] = {"app=web,", "=x", "app in web", "app in (a", "app=we b",
	                                  "app===web", "app in (a b)", "-bad=x", "a/b/c=x", "n>x", NULL};
	for (size_t i = 0; bad[i]; i++) {
		struct kube_selector *ks = NULL;
		char err[256] = "";
		assert_int_equal(kube_label_selector_parse(bad[i], &ks, err, sizeof(err)), SW_ERR_PARSE);
		assert_null(ks);
		assert_true(err[0] != '\0');
	}
	assert_true(kube_label_key_valid("agent-install.openshift.io/bmh"));
	assert_false(kube_label_key_valid("Agent_.io/x"));
	assert_false(kube_label_value_valid("-x"));
	char big[1100];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	struct kube_selector *ks = NULL;
	assert_int_equal(kube_label_selector_parse(big, &ks, NULL, 0), SW_ERR_PARSE);
}

static void test_field_selectors(void **state)
{
	(void)state;
	const char *const f[] = {"metadata.name", "h1", "metadata.namespace", "n1", NULL};
	struct kube_selector *ks = NULL;
	char err[256];
	assert_int_equal(kube_field_selector_parse("metadata.name=h1,metadata.namespace!=n2", &ks, err,
	                                           sizeof(err)), 0);
	assert_int_equal(kube_selector_match(ks, lookup, (void *)f), 1);
	kube_selector_free(&ks);
	assert_int_equal(kube_field_selector_parse("metadata.name==h2", &ks, err, sizeof(err)), 0);
	assert_int_equal(kube_selector_match(ks, lookup, (void *)f), 0);
	kube_selector_free(&ks);
	assert_int_equal(kube_field_selector_parse("metadata.name in (a)", &ks, err, sizeof(err)), SW_ERR_PARSE);
	assert_int_equal(kube_field_selector_parse("metadata.name", &ks, err, sizeof(err)), SW_ERR_PARSE);
	assert_int_equal(kube_field_selector_parse("!metadata.name", &ks, err, sizeof(err)), SW_ERR_PARSE);
	kube_selector_free(&ks);
}

struct seen {
	int n;
	int types[8];
	char names[8][32];
};

static int on_ev(void *arg, enum kube_watch_type t, json_t *obj)
{
	struct seen *s = arg;
	if (s->n < 8) {
		s->types[s->n] = (int)t;
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s",
		         json_string_value(json_object_get(json_object_get(obj, "metadata"), "name")) ?: "");
	}
	s->n++;
	return 0;
}

static void test_watch_codec(void **state)
{
	(void)state;
	char stream[1024];
	size_t off = 0, plen;
	const char *objs[] = {"{\"metadata\":{\"name\":\"a\"}}", "{\"metadata\":{\"name\":\"b\"}}",
	                      "{\"metadata\":{\"resourceVersion\":\"9\"}}"};
	enum kube_watch_type types[] = {KUBE_WATCH_ADDED, KUBE_WATCH_DELETED, KUBE_WATCH_BOOKMARK};
	for (int i = 0; i < 3; i++) {
		const char *p = kube_watch_prefix(types[i], &plen);
		memcpy(stream + off, p, plen);
		off += plen;
		memcpy(stream + off, objs[i], strlen(objs[i]));
		off += strlen(objs[i]);
		memcpy(stream + off, KUBE_WATCH_SUFFIX, KUBE_WATCH_SUFFIX_LEN);
		off += KUBE_WATCH_SUFFIX_LEN;
	}
	/* fed one byte at a time, then all at once: the same events */
	for (int mode = 0; mode < 2; mode++) {
		struct kube_watch_dec *d = kube_watch_dec_new(4096);
		struct seen s = {0};
		if (mode == 0)
			for (size_t i = 0; i < off; i++)
				assert_int_equal(kube_watch_dec_feed(d, stream + i, 1, on_ev, &s), 0);
		else
			assert_int_equal(kube_watch_dec_feed(d, stream, off, on_ev, &s), 0);
		assert_int_equal(s.n, 3);
		assert_int_equal(s.types[0], KUBE_WATCH_ADDED);
		assert_string_equal(s.names[1], "b");
		assert_int_equal(s.types[2], KUBE_WATCH_BOOKMARK);
		assert_int_equal(kube_watch_dec_pending(d), 0);
		kube_watch_dec_free(&d);
	}
	struct kube_watch_dec *d = kube_watch_dec_new(16);
	struct seen s = {0};
	assert_int_equal(kube_watch_dec_feed(d, stream, off, on_ev, &s), SW_ERR_TOO_BIG);
	kube_watch_dec_free(&d);
	d = kube_watch_dec_new(0);
	assert_int_equal(kube_watch_dec_feed(d, "{\"type\":\"NOPE\",\"object\":{}}\n", 29, on_ev, &s), SW_ERR_PARSE);
	kube_watch_dec_free(&d);
	d = kube_watch_dec_new(0);
	assert_int_equal(kube_watch_dec_feed(d, "not json\n", 9, on_ev, &s), SW_ERR_PARSE);
	kube_watch_dec_free(&d);
	assert_string_equal(kube_watch_type_name(KUBE_WATCH_ERROR), "ERROR");
	assert_int_equal(kube_watch_type_from_name("MODIFIED"), KUBE_WATCH_MODIFIED);
	assert_int_equal(kube_verb_from_name("deletecollection"), KUBE_VERB_DELETECOLLECTION);
	assert_string_equal(kube_verb_name(KUBE_VERB_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_res_table),
		cmocka_unit_test(test_reqinfo),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_path_build),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_label_selectors),
		cmocka_unit_test(test_field_selectors),
		cmocka_unit_test(test_watch_codec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
