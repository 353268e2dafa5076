/* The emulator's controller options (tools/assisted-emulator emu_cli):
 * defaults as the real service's (converged flow, one worker each, paused
 * provisioned BMHs), every option parsed, and the usage errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "emu_cli.h"

static int parse(struct emu_opts *o, char *err, size_t errlen, const char *const *args)
{
	char *argv[32];
	int n = 0;
	argv[n++] = "assisted-emulator";
	for (; args[n - 1] && n < 31; n++)
		argv[n] = (char *)args[n - 1];
	argv[n] = NULL;
	return emu_cli_parse(n, argv, o, stdout, err, errlen);
}

static void test_defaults(void **state)
{
	struct emu_opts o;
	char err[512];
	const char *const a[] = {"--kube-api", "127.0.0.1:0", NULL};
	assert_int_equal(parse(&o, err, sizeof(err), a), EMU_CLI_RUN);
	assert_int_equal(o.converged_flow, 1);
	assert_int_equal(o.kube_no_controllers, 0);
	assert_int_equal(o.no_pause_provisioned, 0);
	assert_int_equal(o.kube_check_writes, 0);
	assert_int_equal(o.kube_call_latency_ns, 2000000ull);
	for (int i = 0; i < CTL_COUNT; i++)
		assert_int_equal(o.kube_workers[i], 0); /* ctl's default: 1 */
	emu_cli_free(&o);
}

static void test_options(void **state)
{
	struct emu_opts o;
	char err[512];
	const char *const a[] = {"--kube-api", "127.0.0.1:0", "--no-converged-flow", "--kube-workers",
	                         "bmac=8", "--kube-workers", "agent=3", "--kube-workers",
	                         "preprovisioningimage=2", "--kube-call-latency", "0",
	                         "--kube-check-writes", "--no-pause-provisioned-bmhs", NULL};
	assert_int_equal(parse(&o, err, sizeof(err), a), EMU_CLI_RUN);
	assert_int_equal(o.converged_flow, 0);
	assert_int_equal(o.kube_workers[CTL_BMAC], 8);
	assert_int_equal(o.kube_workers[CTL_AGENT], 3);
	assert_int_equal(o.kube_workers[CTL_PPI], 2);
	assert_int_equal(o.kube_workers[CTL_INFRAENV], 0);
	assert_int_equal(o.kube_call_latency_ns, 0);
	assert_int_equal(o.kube_check_writes, 1);
	assert_int_equal(o.no_pause_provisioned, 1);
	emu_cli_free(&o);
	const char *const b[] = {"--kube-api", "127.0.0.1:0", "--no-converged-flow", "--converged-flow",
	                         "--kube-no-controllers", "--kube-call-latency", "15ms", NULL};
	assert_int_equal(parse(&o, err, sizeof(err), b), EMU_CLI_RUN);
	assert_int_equal(o.converged_flow, 1);
	assert_int_equal(o.kube_no_controllers, 1);
	assert_int_equal(o.kube_call_latency_ns, 15000000ull);
	emu_cli_free(&o);
}

static void test_errors(void **state)
{
	static const char *const bad[][3] = {
		{"--kube-workers", "nosuch=2", "CONTROLLER=N"},
		{"--kube-workers", "bmac=0", "CONTROLLER=N"},
		{"--kube-workers", "bmac=2000", "CONTROLLER=N"},
		{"--kube-workers", "bmac", "CONTROLLER=N"},
		{"--kube-call-latency", "fast", "--kube-call-latency"},
		{"--kube-call-latency", "2m", "--kube-call-latency"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct emu_opts o;
		char err[512];
		const char *const a[] = {"--kube-api", "127.0.0.1:0", bad[i][0], bad[i][1], NULL};
		assert_int_equal(parse(&o, err, sizeof(err), a), EMU_CLI_USAGE);
		assert_non_null(strstr(err, bad[i][2]));
		emu_cli_free(&o);
	}
	/* the controller options belong to --kube-api */
	struct emu_opts o;
	char err[512];
	const char *const a[] = {"--no-converged-flow", NULL};
	assert_int_equal(parse(&o, err, sizeof(err), a), EMU_CLI_USAGE);
	assert_non_null(strstr(err, "--kube-api"));
	emu_cli_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
