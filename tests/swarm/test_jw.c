/* jw: the body writer gives, byte for byte, what jansson's
 * json_dumps(JSON_COMPACT) gives for the same values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "jw.h"

static void expect_same(struct jw *w, json_t *j)
{
	char *want = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t len = 0;
	char *got = jw_take(w, &len);

	assert_non_null(want);
	assert_string_equal(got, want);
	assert_int_equal(len, strlen(want));
	free(want);
	free(got);
	json_decref(j);
}

/* Every ASCII byte, alone and inside text, escapes as jansson escapes it. */
static void test_ascii_escapes(void **state)
{
	(void)state;
	for (int c = 1; c < 0x80; c++) {
		char s[8] = {'a', (char)c, 'b', (char)c, '\0'};
		struct jw w;
		jw_init(&w, 4);
		jw_str(&w, s);
		expect_same(&w, json_string(s));
	}
}

static void test_utf8(void **state)
{
	static const char *const ok[] = {
		"caf\xc3\xa9", "\xe2\x82\xac 5", "\xf0\x9f\x98\x80 smile", "\xef\xbf\xbf", "/path/",
		"", "\x7f", "tab\there \"q\" back\\slash",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct jw w;
		jw_init(&w, 0);
		jw_str(&w, ok[i]);
		expect_same(&w, json_string(ok[i]));
	}
}

/* What jansson would refuse to hold goes out as U+FFFD, still valid JSON. */
static void test_invalid_utf8(void **state)
{
	static const char *const bad[] = {"a\xc0\xafz", "\xed\xa0\x80", "\xff", "cut \xe2\x82",
	                                  "\xf4\x90\x80\x80"};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jw w;
		json_t *back;
		char *txt;
		assert_null(json_string(bad[i]));
		jw_init(&w, 0);
		jw_str(&w, bad[i]);
		txt = jw_take(&w, NULL);
		back = json_loads(txt, JSON_DECODE_ANY, NULL);
		assert_non_null(back);
		assert_non_null(strstr(json_string_value(back), "\xef\xbf\xbd"));
		json_decref(back);
		free(txt);
	}
}

static void test_numbers(void **state)
{
	static const double reals[] = {10.0, 100.0, 0.5, -2.25, 1e20, 1e-5, 123456789.125, 1e300,
	                               -0.0, 3.0e-300};
	static const long long ints[] = {0, 1, -1, 400000000, 9223372036854775807LL,
	                                 -9223372036854775807LL - 1};
	(void)state;
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		struct jw w;
		jw_init(&w, 0);
		jw_real(&w, reals[i]);
		expect_same(&w, json_real(reals[i]));
	}
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		struct jw w;
		jw_init(&w, 0);
		jw_int(&w, ints[i]);
		expect_same(&w, json_integer(ints[i]));
	}
}

/* Commas and nesting: objects in arrays in objects, empty containers. */
static void test_structure(void **state)
{
	struct jw w;
	json_t *j;

	(void)state;
	jw_init(&w, 8);
	jw_obj(&w);
	jw_kstr(&w, "step_type", "connectivity-check");
	jw_key(&w, "remote_hosts");
	jw_arr(&w);
	for (int i = 0; i < 3; i++) {
		jw_obj(&w);
		jw_kstr(&w, "host_id", "h");
		jw_key(&w, "l2");
		jw_arr(&w);
		for (int k = 0; k < i; k++) {
			jw_obj(&w);
			jw_kint(&w, "n", k);
			jw_kbool(&w, "ok", k % 2);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_key(&w, "empty");
		jw_obj(&w);
		jw_obj_end(&w);
		jw_key(&w, "raw");
		jw_raw(&w, "[]", 2);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "strs");
	jw_arr(&w);
	jw_str(&w, "a");
	jw_strn(&w, "bcd", 2);
	jw_arr_end(&w);
	jw_obj_end(&w);

	j = json_pack("{s:s,s:[{s:s,s:[],s:{},s:[]},{s:s,s:[{s:i,s:b}],s:{},s:[]},"
	              "{s:s,s:[{s:i,s:b},{s:i,s:b}],s:{},s:[]}],s:[s,s]}",
	              "step_type", "connectivity-check", "remote_hosts",
	              "host_id", "h", "l2", "empty", "raw",
	              "host_id", "h", "l2", "n", 0, "ok", 0, "empty", "raw",
	              "host_id", "h", "l2", "n", 0, "ok", 0, "n", 1, "ok", 1, "empty", "raw",
	              "strs", "a", "bc");
	assert_non_null(j);
	expect_same(&w, j);
}

/* The buffer grows from any hint; take leaves the writer empty; free is NULL-safe. */
static void test_growth_and_ownership(void **state)
{
	struct jw w;
	char big[10000];
	char *txt;
	size_t len;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	jw_init(&w, 1);
	jw_arr(&w);
	for (int i = 0; i < 20; i++)
		jw_str(&w, big);
	jw_arr_end(&w);
	txt = jw_take(&w, &len);
	assert_int_equal(len, 2 + 20 * (sizeof(big) - 1 + 2) + 19); /* [ "x..." ,... ] */
	assert_null(w.buf);
	assert_int_equal(w.len, 0);
	free(txt);
	jw_init(&w, 0);
	jw_free(&w);
	jw_free(&w);
	jw_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii_escapes),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_growth_and_ownership),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
