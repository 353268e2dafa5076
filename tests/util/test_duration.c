/* sw_duration: the one duration syntax of the swarm's config and CLI and the emulator's CLI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sw_duration.h"
#include "sw_err.h"

static void test_durations(void **state)
{
	static const struct {
		const char *s;
		uint64_t ns;
	} ok[] = {
		{"0", 0}, {"250ms", 250000000ull}, {"30s", 30000000000ull}, {"5m", 300000000000ull},
		{"1h30m", 5400000000000ull}, {"1.5s", 1500000000ull}, {"10us", 10000ull},
		{"10\xc2\xb5s", 10000ull}, {"7ns", 7}, {"1m30s500ms", 90500000000ull},
		{"50ms", 50000000ull}, {"2m", 120000000000ull}, {"1h", 3600000000000ull},
		{".5s", 500000000ull}, {"0s", 0}, {"2562047h", 2562047ull * 3600 * 1000000000},
	};
	/* A bare number other than 0 has no unit: refused, whichever tool reads it. */
	static const char *const bad[] = {"", "5", "2", "0.5", "s", "5x", "-1s", "+1s", "1s-", "abc",
	                                  "1.s.", "1e3s", "1e30h", "nan", "inf", "1 s", " 1s", "ms",
	                                  "1..5s", "2562048h", "99999999999999999999999999999999h"};
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		uint64_t ns = 12345;
		if (sw_duration_parse(ok[i].s, &ns) != 0)
			fail_msg("duration '%s' refused", ok[i].s);
		assert_int_equal(ns, ok[i].ns);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		uint64_t ns = 12345;
		if (sw_duration_parse(bad[i], &ns) != SW_ERR_INVALID)
			fail_msg("duration '%s' accepted", bad[i]);
		assert_int_equal(ns, 12345);
	}
	assert_int_equal(sw_duration_parse(NULL, NULL), SW_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
