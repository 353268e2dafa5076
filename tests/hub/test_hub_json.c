/* Tests for tools/emulator-hub/hub_json: the writer gives jansson's
 * JSON_COMPACT bytes, the parser jansson's tree (same key order) and fails
 * where jansson fails, the member scanner finds top-level members only, and
 * the comparison with a text agrees with json_equal(); over the hub's
 * objects, hand-made edge cases and fixed-seed random trees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "hub_json.h"
#include "hub_objects.h"

static json_t *J(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, JSON_DECODE_ANY, &e);
	if (!j)
		fail_msg("bad test JSON: %s", e.text);
	return j;
}

/* ---- random trees (fixed seed) ---- */

static uint64_t rng = 42;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng >> 33) % n;
}

/* A random UTF-8 string: ASCII (control characters, quotes and backslashes
 * included) and 2-, 3- and 4-byte sequences. */
static json_t *rnd_string(void)
{
	char s[64];
	size_t n = 0, len = rnd(12);
	for (size_t i = 0; i < len; i++) {
		switch (rnd(6)) {
		case 0: s[n++] = (char)(1 + rnd(31)); break;
		case 1: s[n++] = "\"\\/"[rnd(3)]; break;
		case 2: s[n++] = (char)0xc3; s[n++] = (char)(0x80 + rnd(64)); break;
		case 3: memcpy(s + n, "\xe2\x82\xac", 3); n += 3; break;
		case 4: memcpy(s + n, "\xf0\x9f\x98\x80", 4); n += 4; break;
		default: s[n++] = (char)(' ' + rnd(95)); break;
		}
	}
	s[n] = '\0';
	return json_string(s);
}

static json_t *rnd_value(int depth)
{
	switch (rnd(depth > 4 ? 5 : 8)) {
	case 0: return json_integer((json_int_t)((int64_t)rnd(UINT32_MAX) * (rnd(2) ? 1 : -1) * (rnd(3) ? 1 : 0x7fffffff)));
	case 1: {
		static const double fixed[] = {0.0, -0.0, 0.1, 2000.0, 1e20, 1e-5, 123456789.125, 1.5e300, -2.5e-300, 1e17};
		if (rnd(2))
			return json_real(fixed[rnd(10)]);
		return json_real(ldexp((double)rnd(UINT32_MAX) / 4294967296.0, (int)rnd(200) - 100) * (rnd(2) ? 1 : -1));
	}
	case 2: return rnd_string();
	case 3: return rnd(3) ? json_boolean(rnd(2)) : json_null();
	case 4: return json_integer(rnd(2) ? INT64_MAX : INT64_MIN);
	case 5:
	case 6: {
		json_t *o = json_object();
		for (uint32_t i = rnd(6); i > 0; i--) {
			json_t *k = rnd_string();
			json_object_set_new(o, json_string_value(k), rnd_value(depth + 1));
			json_decref(k);
		}
		return o;
	}
	default: {
		json_t *a = json_array();
		for (uint32_t i = rnd(6); i > 0; i--)
			json_array_append_new(a, rnd_value(depth + 1));
		return a;
	}
	}
}

/* The documents every test runs over. */
static json_t *docs[300];
static size_t ndocs;

static int setup(void **state)
{
	(void)state;
	docs[ndocs++] = hubobj_bmh("ns", "host-1", 1, 1);
	docs[ndocs++] = hubobj_agent("ns", 2, 1);
	docs[ndocs++] = hubobj_secret("ns", "s");
	docs[ndocs++] = J("{}");
	docs[ndocs++] = J("[]");
	docs[ndocs++] = J("{\"a\":[],\"b\":{},\"c\":[[],[{}]],\"\":\"\"}");
	docs[ndocs++] = J("{\"esc\\\"aped\":\"line\\nbreak\\ttab\\u0001\\u001f\\\\ and / slash\"}");
	docs[ndocs++] = J("[1, -1, 0, 9223372036854775807, -9223372036854775808, 1.0, -0.0, 1e300, 1E-300, 0.5]");
	docs[ndocs++] = J("\"just a string \\u00e9\\u20ac\\ud83d\\ude00\"");
	docs[ndocs++] = J("12345");
	docs[ndocs++] = J("true");
	/* deep nesting */
	json_t *deep = json_integer(1);
	for (int i = 0; i < 300; i++) {
		json_t *o = i % 2 ? json_array() : json_object();
		if (i % 2)
			json_array_append_new(o, deep);
		else
			json_object_set_new(o, "k", deep);
		deep = o;
	}
	docs[ndocs++] = deep;
	while (ndocs < sizeof(docs) / sizeof(docs[0]))
		docs[ndocs++] = rnd_value(0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < ndocs; i++)
		json_decref(docs[i]);
	return 0;
}

static char *dumps(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	assert_non_null(s);
	return s;
}

static void test_writer(void **state)
{
	(void)state;
	struct hub_buf b = {0};
	for (size_t i = 0; i < ndocs; i++) {
		char *want = dumps(docs[i]);
		b.len = 0;
		hub_json_write(&b, docs[i]);
		if (b.len != strlen(want) || memcmp(b.p, want, b.len) != 0)
			fail_msg("doc %zu: wrote %.*s, jansson %s", i, (int)b.len, b.p, want);
		free(want);
	}
	/* appends: two values in a row */
	b.len = 0;
	hub_json_write(&b, docs[3]);
	hub_json_write_string(&b, "a\"b", 3);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.p, "{}\"a\\\"b\"", 8);
	hub_buf_free(&b);
}

static void test_parser(void **state)
{
	(void)state;
	for (size_t i = 0; i < ndocs; i++) {
		char *text = dumps(docs[i]);
		json_t *p = hub_json_parse(text, strlen(text));
		if (!p || !json_equal(p, docs[i]))
			fail_msg("doc %zu: %s does not parse back", i, text);
		char *again = dumps(p); /* same key order */
		assert_string_equal(again, text);
		free(again);
		json_decref(p);
		/* pretty-printed text too */
		char *pretty = json_dumps(docs[i], JSON_INDENT(2) | JSON_ENCODE_ANY);
		p = hub_json_parse(pretty, strlen(pretty));
		assert_non_null(p);
		assert_true(json_equal(p, docs[i]));
		json_decref(p);
		free(pretty);
		free(text);
	}
	/* what jansson refuses, refused */
	static const char *const bad[] = {
		"", "{", "[1,", "{\"a\"}", "{\"a\":}", "tru", "1 2", "\"abc", "{\"a\":1,}", "[1,]", "[1]x",
		"{\"a\" 1}", "[\"\\x\"]", "[\"\\u12\"]", "[\"\\udc00\"]", "[\"\\ud800\"]", "99999999999999999999",
		"{1:2}", "nul", "[-]", "{\"a\\u0000b\":1}", "[\"a\\u0000\"]", "[\"\x01\"]", "[\"a\\n\x1f\"]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *p = hub_json_parse(bad[i], strlen(bad[i]));
		if (p)
			fail_msg("parsed bad text %s", bad[i]);
		assert_null(json_loadb(bad[i], strlen(bad[i]), JSON_DECODE_ANY, NULL));
	}
	/* deeper than jansson parses */
	size_t depth = 2100;
	char *t = malloc(2 * depth + 1);
	memset(t, '[', depth);
	memset(t + depth, ']', depth);
	assert_null(hub_json_parse(t, 2 * depth));
	assert_null(json_loadb(t, 2 * depth, 0, NULL));
	json_t *ok = hub_json_parse(t + depth - 2000, 4000);
	assert_non_null(ok);
	json_decref(ok);
	free(t);
}

static void test_find(void **state)
{
	(void)state;
	const char *t = "{\"metadata\":{\"status\":1,\"resourceVersion\":\"7\"},\"spec\":{\"a\":\"}\"},"
	                "\"st\\\"atus\":2,\"status\":{\"x\":[1,{\"y\":\"]\"}]}}";
	struct hub_json_span s;
	assert_int_equal(hub_json_find(t, strlen(t), "status", &s), 1);
	assert_memory_equal(t + s.key, "\"status\":", 9);
	assert_int_equal(s.end - s.val, strlen("{\"x\":[1,{\"y\":\"]\"}]}"));
	assert_memory_equal(t + s.val, "{\"x\":[1,{\"y\":\"]\"}]}", s.end - s.val);
	assert_int_equal(hub_json_find(t, strlen(t), "spec", &s), 1);
	assert_memory_equal(t + s.val, "{\"a\":\"}\"}", s.end - s.val);
	/* nested members are not top-level ones */
	assert_int_equal(hub_json_find(t, strlen(t), "resourceVersion", &s), 0);
	assert_int_equal(hub_json_find(t, strlen(t), "nope", &s), 0);
	assert_int_equal(hub_json_find("[1]", 3, "a", &s), 0);
	assert_int_equal(hub_json_find("{}", 2, "a", &s), 0);
	assert_int_equal(hub_json_find("{\"a\":", 5, "a", &s), 0);
	const char *ws = " { \"a\" : [ 1 , 2 ] , \"b\" : true } ";
	assert_int_equal(hub_json_find(ws, strlen(ws), "b", &s), 1);
	assert_memory_equal(ws + s.val, "true", s.end - s.val);
}

/* A changed copy of |v|: one leaf replaced, a key added or removed, keys
 * reordered, an integer made real, or (often) nothing but the key order. */
static json_t *mutate(const json_t *v)
{
	if (json_is_object(v)) {
		json_t *o = json_object();
		size_t n = json_object_size(v), skip = rnd(4) == 0 && n ? rnd((uint32_t)n) : n;
		/* reversed order */
		const char *keys[64];
		size_t nk = 0;
		const char *k;
		json_t *m;
		json_object_foreach((json_t *)v, k, m)
			if (nk < 64)
				keys[nk++] = k;
		for (size_t i = nk; i-- > 0;) {
			if (i == skip)
				continue;
			json_t *mv = json_object_get(v, keys[i]);
			json_object_set_new(o, keys[i], rnd(3) == 0 ? mutate(mv) : json_deep_copy(mv));
		}
		if (rnd(8) == 0)
			json_object_set_new(o, "added", json_null());
		return o;
	}
	if (json_is_array(v)) {
		json_t *a = json_array();
		size_t i;
		json_t *m;
		json_array_foreach(v, i, m)
			json_array_append_new(a, rnd(3) == 0 ? mutate(m) : json_deep_copy(m));
		if (rnd(8) == 0)
			json_array_append_new(a, json_integer(0));
		return a;
	}
	if (json_is_integer(v) && rnd(2))
		return json_real((double)json_integer_value(v));
	if (rnd(2))
		return json_deep_copy(v);
	return rnd_value(5);
}

static void test_equal_text(void **state)
{
	(void)state;
	size_t equal = 0, differ = 0;
	for (size_t i = 0; i < ndocs; i++) {
		char *text = dumps(docs[i]);
		assert_true(hub_json_equal_text(docs[i], text, strlen(text)));
		for (int k = 0; k < 8; k++) {
			json_t *m = mutate(docs[i]);
			int want = json_equal(m, docs[i]);
			if (hub_json_equal_text(m, text, strlen(text)) != want) {
				char *mt = dumps(m);
				fail_msg("doc %zu: %s vs text %s: json_equal says %d", i, mt, text, want);
			}
			want ? equal++ : differ++;
			json_decref(m);
		}
		free(text);
	}
	/* both outcomes were exercised */
	assert_true(equal > 100 && differ > 100);
	/* escapes in the text against decoded strings */
	json_t *s = json_string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n\"");
	const char *t = "\"\\u00e9\\u20AC\\ud83d\\ude00\\n\\\"\"";
	assert_true(hub_json_equal_text(s, t, strlen(t)));
	assert_false(hub_json_equal_text(s, t, strlen(t) - 1));
	json_decref(s);
	json_t *o = J("{\"a\":1,\"b\":[true,null]}");
	const char *reordered = "{ \"b\" : [ true , null ] , \"a\" : 1 }";
	assert_true(hub_json_equal_text(o, reordered, strlen(reordered)));
	assert_false(hub_json_equal_text(o, "{\"a\":1}", 7));
	assert_false(hub_json_equal_text(o, "{\"a\":1.0,\"b\":[true,null]}", 25));
	assert_false(hub_json_equal_text(o, "{\"a\":1,\"b\":[true,null],\"c\":2}", 29));
	assert_false(hub_json_equal_text(NULL, "{}", 2));
	assert_false(hub_json_equal_text(o, "{\"a\":1,\"b\":[true,null]", 22));
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_parser),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_equal_text),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
