/* sw_jscan: picks by pointer, jansson's acceptance rules case by case, the
 * array walk, decoding, and hostile input (depth, long numbers, bad UTF-8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "sw_err.h"
#include "sw_jscan.h"

static int scan1(const char *doc, const char *ptr, struct sw_jscan_val *v)
{
	struct sw_jscan_pick p = {.ptr = ptr};
	int rv = sw_jscan(doc, strlen(doc), &p, 1);
	*v = p.v;
	return rv;
}

static void test_picks(void **state)
{
	static const char doc[] =
		" {\"kind\":\"Cluster\",\"id\":\"c1\",\"progress\":{\"total_percentage\":40},"
		"\"status\":\"installing\",\"status_info\":\"Installation in progress\","
		"\"hosts\":[],\"cmd\":{\"args\":[\"{\\\"agent_version\\\":\\\"v1\\\"}\",3]},"
		"\"n\":1.5e1,\"t\":true,\"f\":false,\"z\":null} ";
	struct sw_jscan_pick p[] = {
		{.ptr = "/status"}, {.ptr = "/status_info"}, {.ptr = "/progress/total_percentage"},
		{.ptr = "/cmd/args/0"}, {.ptr = "/cmd/args/1"}, {.ptr = "/cmd/args/2"},
		{.ptr = "/hosts"}, {.ptr = "/missing"}, {.ptr = "/n"}, {.ptr = "/t"}, {.ptr = "/f"},
		{.ptr = "/z"}, {.ptr = ""}, {.ptr = "/status/x"},
	};
	char buf[64];
	double d;

	(void)state;
	assert_int_equal(sw_jscan(doc, strlen(doc), p, sizeof(p) / sizeof(p[0])), 0);
	assert_true(sw_jscan_streq(&p[0].v, "installing"));
	assert_false(sw_jscan_streq(&p[0].v, "installed"));
	assert_false(sw_jscan_streq(&p[0].v, "installingX"));
	assert_int_equal(sw_jscan_str(&p[1].v, buf, sizeof(buf)), 24);
	assert_string_equal(buf, "Installation in progress");
	assert_int_equal(p[2].v.type, SW_JSCAN_INTEGER);
	assert_int_equal(sw_jscan_double(&p[2].v, &d), 0);
	assert_true(d == 40.0);
	assert_int_equal(p[3].v.type, SW_JSCAN_STRING);
	assert_true(p[3].v.escaped);
	assert_int_equal(sw_jscan_str(&p[3].v, buf, sizeof(buf)), 22);
	assert_string_equal(buf, "{\"agent_version\":\"v1\"}");
	assert_int_equal(p[4].v.type, SW_JSCAN_INTEGER);
	assert_int_equal(p[5].v.type, SW_JSCAN_ABSENT);
	assert_int_equal(p[6].v.type, SW_JSCAN_ARRAY);
	assert_int_equal(p[6].v.len, 2);
	assert_int_equal(p[7].v.type, SW_JSCAN_ABSENT);
	assert_int_equal(p[8].v.type, SW_JSCAN_REAL);
	assert_int_equal(sw_jscan_double(&p[8].v, &d), 0);
	assert_true(d == 15.0);
	assert_int_equal(p[9].v.type, SW_JSCAN_TRUE);
	assert_int_equal(p[10].v.type, SW_JSCAN_FALSE);
	assert_int_equal(p[11].v.type, SW_JSCAN_NULL);
	assert_int_equal(p[12].v.type, SW_JSCAN_OBJECT);
	assert_int_equal(p[12].v.raw[0], '{');
	assert_int_equal(p[12].v.raw[p[12].v.len - 1], '}');
	assert_int_equal(p[13].v.type, SW_JSCAN_ABSENT); /* a string has no members */
	/* no number, no string */
	assert_int_equal(sw_jscan_double(&p[0].v, &d), SW_ERR_INVALID);
	assert_int_equal(sw_jscan_str(&p[2].v, buf, sizeof(buf)), SW_ERR_INVALID);
	assert_false(sw_jscan_streq(&p[2].v, "40"));
}

/* What jansson would return for a duplicate key: the last member, whole. */
static void test_duplicates(void **state)
{
	struct sw_jscan_val v;

	(void)state;
	assert_int_equal(scan1("{\"s\":\"a\",\"s\":\"b\"}", "/s", &v), 0);
	assert_true(sw_jscan_streq(&v, "b"));
	assert_int_equal(scan1("{\"p\":{\"c\":\"Done\"},\"p\":{\"d\":1}}", "/p/c", &v), 0);
	assert_int_equal(v.type, SW_JSCAN_ABSENT);
	assert_int_equal(scan1("{\"p\":{\"c\":\"Done\"},\"p\":null}", "/p/c", &v), 0);
	assert_int_equal(v.type, SW_JSCAN_ABSENT);
	assert_int_equal(scan1("{\"p\":{\"c\":1},\"p\":{\"c\":2}}", "/p/c", &v), 0);
	assert_int_equal(v.raw[0], '2');
}

/* Keys are compared decoded; all-digit tokens index arrays only. */
static void test_keys_and_indexes(void **state)
{
	struct sw_jscan_val v;

	(void)state;
	assert_int_equal(scan1("{\"st\\u0061tus\":\"x\"}", "/status", &v), 0);
	assert_true(sw_jscan_streq(&v, "x"));
	assert_int_equal(scan1("{\"0\":\"x\"}", "/0", &v), 0);
	assert_int_equal(v.type, SW_JSCAN_ABSENT);
	assert_int_equal(scan1("[\"a\",\"b\"]", "/1", &v), 0);
	assert_true(sw_jscan_streq(&v, "b"));
	assert_int_equal(scan1("[\"a\",\"b\"]", "/01", &v), 0);
	assert_int_equal(v.type, SW_JSCAN_ABSENT);
	assert_int_equal(scan1("{\"\":1}", "/", &v), 0); /* the empty key */
	assert_int_equal(v.type, SW_JSCAN_INTEGER);
}

static void test_bad_pointers(void **state)
{
	struct sw_jscan_pick p[SW_JSCAN_MAX_PICKS + 1];
	struct sw_jscan_val v;

	(void)state;
	assert_int_equal(scan1("{}", "status", &v), SW_ERR_INVALID);
	assert_int_equal(scan1("{}", "/a~1b", &v), SW_ERR_INVALID);
	assert_int_equal(scan1("{}", "/1/2/3/4/5/6/7/8/9", &v), SW_ERR_INVALID);
	for (size_t i = 0; i < SW_JSCAN_MAX_PICKS + 1; i++)
		p[i].ptr = "/a";
	assert_int_equal(sw_jscan("{}", 2, p, SW_JSCAN_MAX_PICKS + 1), SW_ERR_INVALID);
	assert_int_equal(sw_jscan("{}", 2, p, SW_JSCAN_MAX_PICKS), 0);
	assert_int_equal(sw_jscan(NULL, 0, NULL, 0), SW_ERR_PARSE);
	assert_int_equal(sw_jscan("{}", 2, NULL, 0), 0);
}

/* Each case is checked against jansson itself as well as against the
 * expected verdict, so the table also documents jansson's rules. */
static void test_acceptance(void **state)
{
	static const struct {
		const char *doc;
		size_t len; /* 0 = strlen */
		int ok;
	} cases[] = {
		{"{}", 0, 1}, {"[]", 0, 1}, {"\"s\"", 0, 1}, {"1", 0, 1}, {"-0", 0, 1}, {"true", 0, 1},
		{" \t\r\n{} \n", 0, 1}, {"", 0, 0}, {"  ", 0, 0}, {"\f{}", 0, 0}, {"{} x", 0, 0},
		{"{}{}", 0, 0}, {"[1,]", 0, 0}, {"{\"a\":1,}", 0, 0}, {"[01]", 0, 0}, {"[1.]", 0, 0},
		{"[.5]", 0, 0}, {"[1e]", 0, 0}, {"[1e+]", 0, 0}, {"[-]", 0, 0}, {"[+1]", 0, 0},
		{"[1E+2]", 0, 1}, {"[9223372036854775807]", 0, 1}, {"[9223372036854775808]", 0, 0},
		{"[-9223372036854775808]", 0, 1}, {"[-9223372036854775809]", 0, 0},
		{"[1e308]", 0, 1}, {"[1e309]", 0, 0}, {"[-1e309]", 0, 0}, {"[1e-400]", 0, 1},
		{"[truex]", 0, 0}, {"[nul]", 0, 0}, {"[True]", 0, 0}, {"{a:1}", 0, 0},
		{"{\"a\" 1}", 0, 0}, {"{\"a\":}", 0, 0}, {"{1:1}", 0, 0},
		{"\"\\u0000\"", 0, 0}, {"{\"a\\u0000\":1}", 0, 0}, {"\"\\ud83d\\ude00\"", 0, 1},
		{"\"\\ud83d\"", 0, 0}, {"\"\\ude00\"", 0, 0}, {"\"\\ud83d\\u0041\"", 0, 0},
		{"\"\\ud83dx\"", 0, 0}, {"\"\\uZZZZ\"", 0, 0}, {"\"\\u12\"", 0, 0}, {"\"\\x\"", 0, 0},
		{"\"\\/\"", 0, 1}, {"\"a\tb\"", 0, 0}, {"\"a\x7f b\"", 0, 1}, {"\"\xc3\xa9\"", 0, 1},
		{"\"\xc0\xaf\"", 0, 0}, {"\"\xed\xa0\x80\"", 0, 0}, {"\"\xf4\x90\x80\x80\"", 0, 0},
		{"\"\xf0\x9f\x98\x80\"", 0, 1}, {"\"\xe2\x82\"", 0, 0}, {"\"\x80\"", 0, 0},
		{"\"\xf5\x80\x80\x80\"", 0, 0}, {"\"unterminated", 0, 0}, {"[\"a\"", 0, 0},
		{"{\"a\":1", 0, 0}, {"\xc3\xa9", 0, 0}, {"[1]\0", 4, 0}, {"\"a\0b\"", 5, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].doc);
		json_t *j = json_loadb(cases[i].doc, len, JSON_DECODE_ANY, NULL);
		int rv = sw_jscan(cases[i].doc, len, NULL, 0);
		if ((rv == 0) != cases[i].ok || (j != NULL) != cases[i].ok)
			fail_msg("case %zu (%s): scanner %d, jansson %s, expected %s", i, cases[i].doc, rv,
			         j ? "ok" : "refused", cases[i].ok ? "ok" : "refused");
		json_decref(j);
	}
}

static char *nest(unsigned depth, const char *open, const char *inner, const char *close)
{
	size_t lo = strlen(open), li = strlen(inner), lc = strlen(close);
	char *s = malloc(depth * (lo + lc) + li + 1), *p = s;
	assert_non_null(s);
	for (unsigned i = 0; i < depth; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, inner, li);
	p += li;
	for (unsigned i = 0; i < depth; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return s;
}

/* jansson counts every value (scalars too) against 2048 levels. */
static void test_depth(void **state)
{
	char *ok = nest(SW_JSCAN_MAX_DEPTH - 1, "[", "1", "]");
	char *bad = nest(SW_JSCAN_MAX_DEPTH, "[", "1", "]");
	char *deep_obj = nest(100000, "{\"a\":", "1", "}");
	char *empty_ok = nest(SW_JSCAN_MAX_DEPTH, "[", "", "]");
	json_t *j;

	(void)state;
	assert_int_equal(sw_jscan(ok, strlen(ok), NULL, 0), 0);
	assert_int_equal(sw_jscan(bad, strlen(bad), NULL, 0), SW_ERR_PARSE);
	assert_int_equal(sw_jscan(deep_obj, strlen(deep_obj), NULL, 0), SW_ERR_PARSE);
	assert_int_equal(sw_jscan(empty_ok, strlen(empty_ok), NULL, 0), 0);
	j = json_loads(ok, JSON_DECODE_ANY, NULL);
	assert_non_null(j);
	json_decref(j);
	j = json_loads(bad, JSON_DECODE_ANY, NULL);
	assert_null(j);
	j = json_loads(empty_ok, JSON_DECODE_ANY, NULL);
	assert_non_null(j);
	json_decref(j);
	free(ok);
	free(bad);
	free(deep_obj);
	free(empty_ok);
}

static void test_long_numbers(void **state)
{
	size_t n = 100000;
	char *doc = malloc(n + 16);
	struct sw_jscan_val v;
	double d;

	(void)state;
	if (!doc) { /* a plain return, so gcc -fsanitize sees doc non-NULL below */
		fail();
		return;
	}
	/* 0.000...0001: a real far longer than the 64-byte fast path */
	strcpy(doc, "[0.");
	memset(doc + 3, '0', n);
	strcpy(doc + 3 + n, "1]");
	assert_int_equal(scan1(doc, "/0", &v), 0);
	assert_int_equal(v.type, SW_JSCAN_REAL);
	assert_int_equal(sw_jscan_double(&v, &d), 0);
	assert_true(d == 0.0);
	/* a huge integer overflows; a huge mantissa with a negative exponent does not */
	memset(doc + 1, '9', n);
	strcpy(doc + 1 + n, "]");
	assert_int_equal(sw_jscan(doc, strlen(doc), NULL, 0), SW_ERR_PARSE);
	strcpy(doc + 1 + n, "e-100000]");
	assert_int_equal(sw_jscan(doc, strlen(doc), NULL, 0), 0);
	free(doc);
}

/* A string whose decoded form does not fit: cut, NUL-terminated, full length reported. */
static void test_decode(void **state)
{
	struct sw_jscan_val v;
	char buf[4];

	(void)state;
	assert_int_equal(scan1("\"\\u00e9\\ud83d\\ude00\\n\\\"\\\\\\/\\b\\f\\r\\t\"", "", &v), 0);
	char big[32];
	assert_int_equal(sw_jscan_str(&v, big, sizeof(big)), 2 + 4 + 8);
	assert_memory_equal(big, "\xc3\xa9\xf0\x9f\x98\x80\n\"\\/\b\f\r\t", 14);
	assert_int_equal(sw_jscan_str(&v, buf, sizeof(buf)), 14);
	assert_int_equal(strlen(buf), 3);
	assert_int_equal(sw_jscan_str(&v, NULL, 0), 14);
	assert_int_equal(scan1("\"plain\"", "", &v), 0);
	assert_int_equal(sw_jscan_str(&v, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "pla");
	assert_true(sw_jscan_streq(&v, "plain"));
}

/* Escapes at every offset of a long string (the scanner skips simple
 * escapes 16 bytes at a time, so an escape may straddle two blocks or end
 * the document): acceptance and decoded text as jansson's. */
static void test_long_escapes(void **state)
{
	static const char *const escs[] = {"\\\"", "\\\\", "\\/", "\\n", "\\t", "\\u0041",
	                                   "\\x", "\\", "\\\\\\\"", "\x01", "\xc3\xa9"};
	char doc[128], out[128];

	(void)state;
	for (size_t e = 0; e < sizeof(escs) / sizeof(escs[0]); e++)
		for (int k = 0; k < 40; k++)
			for (int tail = 0; tail < 3; tail++) {
				/* tail 0: closed after 20 more bytes; 1: closed right after the
				 * escape; 2: the document ends with the escape */
				int n = snprintf(doc, sizeof(doc), "\"%.*s%s%s", k,
				                 "0123456789abcdefghijklmnopqrstuvwxyzABCDEF", escs[e],
				                 tail == 0 ? "\\\"xyz\\\\0123456789abcde\"" : tail == 1 ? "\"" : "");
				struct sw_jscan_val v;
				struct sw_jscan_pick pk = {.ptr = ""};
				json_error_t err;
				json_t *j = json_loadb(doc, (size_t)n, JSON_DECODE_ANY, &err);
				int rv = sw_jscan(doc, (size_t)n, &pk, 1);
				v = pk.v;
				if (!j) {
					assert_int_equal(rv, SW_ERR_PARSE);
					continue;
				}
				assert_int_equal(rv, 0);
				assert_int_equal(v.type, SW_JSCAN_STRING);
				assert_true(v.escaped || strchr(doc + 1, '\\') == NULL);
				long len = sw_jscan_str(&v, out, sizeof(out));
				assert_int_equal(len, (long)json_string_length(j));
				assert_memory_equal(out, json_string_value(j), (size_t)len);
				/* cut at every size: the decoded prefix, NUL-terminated */
				for (size_t cut = 0; cut <= (size_t)len + 1; cut++) {
					char small[128];
					memset(small, 'Z', sizeof(small));
					assert_int_equal(sw_jscan_str(&v, cut ? small : NULL, cut), len);
					if (!cut)
						continue;
					size_t keep = cut - 1 < (size_t)len ? cut - 1 : (size_t)len;
					assert_memory_equal(small, out, keep);
					assert_int_equal(small[keep], '\0');
					assert_int_equal(small[keep + 1], 'Z');
				}
				json_decref(j);
			}
}

struct walk_ctx {
	unsigned done, known, calls;
	int stop_at;
};

static int walk_cb(void *arg, size_t index, const struct sw_jscan_val *elem,
                   struct sw_jscan_pick *picks, size_t npicks)
{
	struct walk_ctx *c = arg;

	assert_int_equal(npicks, 2);
	c->calls++;
	if (elem->type == SW_JSCAN_OBJECT && sw_jscan_streq(&picks[0].v, "Done"))
		c->done++;
	if (sw_jscan_streq(&picks[1].v, "known"))
		c->known++;
	return (int)index == c->stop_at ? 7 : 0;
}

static void test_each(void **state)
{
	static const char hosts[] =
		"[{\"progress\":{\"current_stage\":\"Done\"},\"status\":\"known\"},"
		"{\"progress\":{\"current_stage\":\"Do\\u006ee\"}},7,\"x\",{\"progress\":\"Done\"},[],"
		"{\"status\":\"known\",\"status\":\"installing\"}]";
	struct sw_jscan_pick p[] = {{.ptr = "/progress/current_stage"}, {.ptr = "/status"}};
	struct walk_ctx c = {.stop_at = -1};
	enum sw_jscan_type rt;

	(void)state;
	assert_int_equal(sw_jscan_each(hosts, strlen(hosts), p, 2, walk_cb, &c, &rt), 0);
	assert_int_equal(rt, SW_JSCAN_ARRAY);
	assert_int_equal(c.calls, 7);
	assert_int_equal(c.done, 2);
	assert_int_equal(c.known, 1);
	/* the callback stops the walk */
	memset(&c, 0, sizeof(c));
	c.stop_at = 1;
	assert_int_equal(sw_jscan_each(hosts, strlen(hosts), p, 2, walk_cb, &c, &rt), 7);
	assert_int_equal(c.calls, 2);
	/* not an array: valid, no callback */
	memset(&c, 0, sizeof(c));
	c.stop_at = -1;
	assert_int_equal(sw_jscan_each("{\"a\":1}", 7, p, 2, walk_cb, &c, &rt), 0);
	assert_int_equal(rt, SW_JSCAN_OBJECT);
	assert_int_equal(c.calls, 0);
	assert_int_equal(sw_jscan_each("[]", 2, p, 2, walk_cb, &c, &rt), 0);
	assert_int_equal(rt, SW_JSCAN_ARRAY);
	assert_int_equal(c.calls, 0);
	/* an invalid tail fails the whole scan, whatever was seen before */
	assert_int_equal(sw_jscan_each("[{\"status\":\"known\"},", 20, p, 2, walk_cb, &c, &rt),
	                 SW_ERR_PARSE);
	assert_int_equal(c.calls, 1);
	assert_int_equal(rt, SW_JSCAN_ABSENT);
	assert_int_equal(sw_jscan_each("[]", 2, p, 2, NULL, NULL, NULL), SW_ERR_INVALID);
}

/* A failed scan leaves no stale pick behind. */
static void test_invalid_clears(void **state)
{
	struct sw_jscan_pick p = {.ptr = "/status"};

	(void)state;
	assert_int_equal(sw_jscan("{\"status\":\"ok\",", 15, &p, 1), SW_ERR_PARSE);
	assert_int_equal(p.v.type, SW_JSCAN_ABSENT);
	assert_null(p.v.raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_picks),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_keys_and_indexes),
		cmocka_unit_test(test_bad_pointers),
		cmocka_unit_test(test_acceptance),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_long_numbers),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_long_escapes),
		cmocka_unit_test(test_each),
		cmocka_unit_test(test_invalid_clears),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
