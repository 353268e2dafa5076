/* sw_err: stable names and the one fatality predicate (permanent vs transient). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sw_err.h"

static void test_names_and_fatality(void **state)
{
	static const struct {
		int code;
		const char *name;
		int fatal;
	} codes[] = {
		{SW_OK, "ok", 0},
		{SW_ERR_NOMEM, "nomem", 1},
		{SW_ERR_INVALID, "invalid", 1},
		{SW_ERR_RESOLVE, "resolve", 0},
		{SW_ERR_CONNECT, "connect", 0},
		{SW_ERR_CONNECT_TIMEOUT, "connect-timeout", 0},
		{SW_ERR_TLS, "tls", 1},
		{SW_ERR_TLS_VERIFY, "tls-verify", 1},
		{SW_ERR_TLS_TIMEOUT, "tls-timeout", 0},
		{SW_ERR_ALPN, "alpn", 1},
		{SW_ERR_TIMEOUT, "timeout", 0},
		{SW_ERR_CLOSED, "closed", 0},
		{SW_ERR_RESET, "reset", 0},
		{SW_ERR_GOAWAY, "goaway", 0},
		{SW_ERR_PROTO, "protocol", 1},
		{SW_ERR_TOO_BIG, "too-big", 1},
		{SW_ERR_CANCELLED, "cancelled", 1},
		{SW_ERR_IO, "io", 0},
		{SW_ERR_RETRIES, "retries", 0},
		{SW_ERR_PARSE, "parse", 1},
		{SW_ERR_STATE, "state", 1},
		{SW_ERR_NOT_FOUND, "not-found", 1},
	};
	(void)state;
	/* Every code from SW_OK down to the last one is in the table above. */
	assert_int_equal(sizeof(codes) / sizeof(codes[0]), (size_t)(1 - SW_ERR_NOT_FOUND));
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_int_equal(codes[i].code, -(int)i);
		assert_string_equal(sw_err_name(codes[i].code), codes[i].name);
		if (sw_err_is_fatal(codes[i].code) != codes[i].fatal)
			fail_msg("%s: fatal %d, expected %d", codes[i].name, sw_err_is_fatal(codes[i].code),
			         codes[i].fatal);
	}
	/* Unknown codes: named "unknown" and never retried. */
	assert_string_equal(sw_err_name(-999), "unknown");
	assert_string_equal(sw_err_name(7), "unknown");
	assert_true(sw_err_is_fatal(-999));
	assert_true(sw_err_is_fatal(SW_ERR_NOT_FOUND - 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_fatality),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
