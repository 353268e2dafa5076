/* Tests for tools/emulator-hub/hub_patch: JSON merge patch (the RFC 7386
 * examples), JSON patch (every operation, pointer escapes, failures) and
 * the strategic merge patch subset kubectl sends for built-in kinds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hub_patch.h"
#include "sw_err.h"

static json_t *J(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, JSON_DECODE_ANY, &e);
	if (!j)
		fail_msg("bad test JSON %s: %s", s, e.text);
	return j;
}

static void expect(json_t *got, const char *want)
{
	json_t *w = J(want);
	if (!json_equal(got, w)) {
		char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		fail_msg("got %s, want %s", g, want);
	}
	json_decref(w);
}

static void merge_case(const char *doc, const char *patch, const char *want)
{
	json_t *d = J(doc), *p = J(patch);
	hub_patch_merge(&d, p);
	expect(d, want);
	json_decref(d);
	json_decref(p);
}

static void test_merge(void **state)
{
	(void)state;
	/* RFC 7386 appendix A */
	merge_case("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
	merge_case("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
	merge_case("{\"a\":\"b\"}", "{\"a\":null}", "{}");
	merge_case("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
	merge_case("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
	merge_case("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
	merge_case("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}");
	merge_case("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
	merge_case("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
	merge_case("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
	merge_case("{\"a\":\"foo\"}", "null", "null");
	merge_case("{\"a\":\"foo\"}", "\"bar\"", "\"bar\"");
	merge_case("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
	merge_case("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
	merge_case("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
}

static int json_case(const char *doc, const char *ops, const char *want)
{
	json_t *d = J(doc), *o = J(ops);
	char err[256];
	int rv = hub_patch_json(&d, o, err, sizeof(err));
	if (rv == 0 && want)
		expect(d, want);
	json_decref(d);
	json_decref(o);
	return rv;
}

static void test_json_patch(void **state)
{
	(void)state;
	assert_int_equal(json_case("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2}]",
	                           "{\"a\":1,\"b\":2}"), 0);
	assert_int_equal(json_case("{\"a\":[1,3]}", "[{\"op\":\"add\",\"path\":\"/a/1\",\"value\":2}]",
	                           "{\"a\":[1,2,3]}"), 0);
	assert_int_equal(json_case("{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/-\",\"value\":2}]",
	                           "{\"a\":[1,2]}"), 0);
	assert_int_equal(json_case("{\"a\":1,\"b\":2}", "[{\"op\":\"remove\",\"path\":\"/a\"}]", "{\"b\":2}"), 0);
	assert_int_equal(json_case("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":5}]", "{\"a\":5}"), 0);
	assert_int_equal(json_case("{\"a\":{\"x\":1}}", "[{\"op\":\"move\",\"from\":\"/a/x\",\"path\":\"/y\"}]",
	                           "{\"a\":{},\"y\":1}"), 0);
	assert_int_equal(json_case("{\"a\":1}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/b\"}]",
	                           "{\"a\":1,\"b\":1}"), 0);
	assert_int_equal(json_case("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":1}]", "{\"a\":1}"), 0);
	/* ~1 is '/', ~0 is '~' */
	assert_int_equal(json_case("{\"metadata\":{\"labels\":{}}}",
	                           "[{\"op\":\"add\",\"path\":\"/metadata/labels/a~1b~0c\",\"value\":\"v\"}]",
	                           "{\"metadata\":{\"labels\":{\"a/b~c\":\"v\"}}}"), 0);
	assert_int_equal(json_case("{}", "[{\"op\":\"add\",\"path\":\"\",\"value\":[1]}]", "[1]"), 0);
	/* failures */
	assert_int_equal(json_case("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":2}]", NULL), SW_ERR_STATE);
	assert_int_equal(json_case("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/b\"}]", NULL), SW_ERR_STATE);
	assert_int_equal(json_case("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":1}]", NULL), SW_ERR_STATE);
	assert_int_equal(json_case("{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/5\",\"value\":1}]", NULL), SW_ERR_STATE);
	assert_int_equal(json_case("{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/01\",\"value\":1}]", NULL), SW_ERR_STATE);
	assert_int_equal(json_case("{\"a\":1}", "[{\"op\":\"move\",\"from\":\"/x\",\"path\":\"/y\"}]", NULL), SW_ERR_STATE);
	assert_int_equal(json_case("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"a\",\"value\":1}]", NULL), SW_ERR_STATE);
	assert_int_equal(json_case("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/~2\",\"value\":1}]", NULL), SW_ERR_STATE);
	assert_int_equal(json_case("{\"a\":1}", "[{\"op\":\"frob\",\"path\":\"/a\"}]", NULL), SW_ERR_PARSE);
	assert_int_equal(json_case("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a\"}]", NULL), SW_ERR_PARSE);
	assert_int_equal(json_case("{\"a\":1}", "[{\"path\":\"/a\"}]", NULL), SW_ERR_PARSE);
	assert_int_equal(json_case("{\"a\":1}", "{\"op\":\"add\"}", NULL), SW_ERR_PARSE);
}

static int smp_case(const char *doc, const char *patch, const char *want)
{
	json_t *d = J(doc), *p = J(patch);
	char err[256];
	int rv = hub_patch_strategic(&d, p, err, sizeof(err));
	if (rv == 0 && want)
		expect(d, want);
	json_decref(d);
	json_decref(p);
	return rv;
}

static void test_strategic(void **state)
{
	(void)state;
	/* maps merge, nulls delete, lists replace */
	assert_int_equal(smp_case("{\"data\":{\"a\":\"1\",\"b\":\"2\"},\"l\":[1,2]}",
	                          "{\"data\":{\"b\":null,\"c\":\"3\"},\"l\":[3]}",
	                          "{\"data\":{\"a\":\"1\",\"c\":\"3\"},\"l\":[3]}"), 0);
	/* finalizers merge as a set; ownerReferences by uid */
	assert_int_equal(smp_case("{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
	                          "{\"metadata\":{\"finalizers\":[\"b\",\"c\"]}}",
	                          "{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\"]}}"), 0);
	assert_int_equal(smp_case("{\"metadata\":{\"ownerReferences\":[{\"uid\":\"1\",\"name\":\"x\"},{\"uid\":\"2\"}]}}",
	                          "{\"metadata\":{\"ownerReferences\":[{\"uid\":\"1\",\"name\":\"y\"},{\"uid\":\"2\",\"$patch\":\"delete\"}]}}",
	                          "{\"metadata\":{\"ownerReferences\":[{\"uid\":\"1\",\"name\":\"y\"}]}}"), 0);
	assert_int_equal(smp_case("{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
	                          "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"a\"]}}",
	                          "{\"metadata\":{\"finalizers\":[\"b\"]}}"), 0);
	/* directives */
	assert_int_equal(smp_case("{\"data\":{\"a\":\"1\"}}", "{\"data\":{\"$patch\":\"replace\",\"b\":\"2\"}}",
	                          "{\"data\":{\"b\":\"2\"}}"), 0);
	assert_int_equal(smp_case("{\"data\":{\"a\":\"1\"},\"x\":1}", "{\"data\":{\"$patch\":\"delete\"}}",
	                          "{\"x\":1}"), 0);
	assert_int_equal(smp_case("{\"a\":1,\"b\":2,\"c\":3}", "{\"$retainKeys\":[\"a\",\"c\"],\"c\":4}",
	                          "{\"a\":1,\"c\":4}"), 0);
	assert_int_equal(smp_case("{\"a\":{\"x\":1}}", "{\"$setElementOrder/a\":[],\"a\":{\"y\":2}}",
	                          "{\"a\":{\"x\":1,\"y\":2}}"), 0);
	assert_int_equal(smp_case("{}", "{\"a\":{\"$patch\":\"frob\"}}", NULL), SW_ERR_PARSE);
	assert_int_equal(smp_case("{}", "{\"$bogus\":1}", NULL), SW_ERR_PARSE);
	assert_int_equal(smp_case("{}", "[1]", NULL), SW_ERR_PARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_json_patch),
		cmocka_unit_test(test_strategic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
