/* Tests for the kube rules of tools/assisted-emulator/emu_faults
 * ("kube:VERB[/RESOURCE]" operations): parsing, errors, precedence, and
 * that REST rules and kube rules do not leak into each other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "emu_cli.h"
#include "emu_faults.h"
#include "sw_err.h"

static void test_kube_specs(void **state)
{
	(void)state;
	struct emu_faults *f = emu_faults_new(1);
	char err[512];
	assert_int_equal(emu_faults_add_error(f, "kube:create/baremetalhosts:1:503", err, sizeof(err)), 0);
	assert_int_equal(emu_faults_add_error(f, "kube:create:1:500", err, sizeof(err)), 0);
	assert_int_equal(emu_faults_add_reset(f, "kube:delete/*:1", err, sizeof(err)), 0);
	assert_int_equal(emu_faults_add_latency(f, "kube:*/agents:fixed:5ms", err, sizeof(err)), 0);
	assert_int_equal(emu_faults_add_error(f, "kube:frob:1:500", err, sizeof(err)), SW_ERR_INVALID);
	assert_non_null(strstr(err, "bad kube operation"));
	assert_int_equal(emu_faults_add_error(f, "kube:get/:1:500", err, sizeof(err)), SW_ERR_INVALID);
	assert_int_equal(emu_faults_add_error(f, "kube:get/x:2:500", err, sizeof(err)), SW_ERR_INVALID);
	struct emu_fault_decision d;
	/* the resource-specific rule beats the verb-only one */
	emu_faults_decide_kube(f, "create", "baremetalhosts", &d);
	assert_int_equal(d.error_status, 503);
	emu_faults_decide_kube(f, "create", "agents", &d);
	assert_int_equal(d.error_status, 500);
	assert_int_equal(d.delay_ns, 5000000ull);
	emu_faults_decide_kube(f, "delete", "secrets", &d);
	assert_true(d.reset);
	emu_faults_decide_kube(f, "get", "secrets", &d);
	assert_false(d.reset);
	assert_int_equal(d.error_status, 0);
	assert_int_equal(d.delay_ns, 0);
	/* kube rules never touch REST operations */
	emu_faults_decide(f, -1, &d);
	assert_int_equal(d.error_status, 0);
	emu_faults_free(&f);
	/* and "*" REST rules never touch kube requests */
	f = emu_faults_new(1);
	assert_int_equal(emu_faults_add_error(f, "*:1:503", err, sizeof(err)), 0);
	emu_faults_decide_kube(f, "get", "secrets", &d);
	assert_int_equal(d.error_status, 0);
	emu_faults_free(&f);
}

static void test_kube_cli(void **state)
{
	(void)state;
	struct emu_opts o;
	char err[512];
	char *ok[] = {"emu", "--kube-api", "127.0.0.1:0", "--kube-token", "t", "--kube-watch-window", "50",
	              "--kube-bookmark-interval", "1s", "--tls-cert", "c", "--tls-key", "k",
	              "--fault-error", "kube:patch/agents:0.5:429", NULL};
	assert_int_equal(emu_cli_parse(15, ok, &o, stdout, err, sizeof(err)), EMU_CLI_RUN);
	assert_string_equal(o.kube_listen, "127.0.0.1:0");
	assert_int_equal(o.kube_watch_window, 50);
	assert_int_equal(o.kube_bookmark_ns, 1000000000ull);
	assert_string_equal(o.kube_tls_cert, "c"); /* inherited from --tls-cert */
	emu_cli_free(&o);
	char *no_api[] = {"emu", "--kube-token", "t", NULL};
	assert_int_equal(emu_cli_parse(3, no_api, &o, stdout, err, sizeof(err)), EMU_CLI_USAGE);
	assert_non_null(strstr(err, "--kube-api"));
	emu_cli_free(&o);
	char *both[] = {"emu", "--kube-api", ":0", "--kube-token", "t", "--kube-token-file", "f", NULL};
	assert_int_equal(emu_cli_parse(7, both, &o, stdout, err, sizeof(err)), EMU_CLI_USAGE);
	emu_cli_free(&o);
	char *win[] = {"emu", "--kube-api", ":0", "--kube-watch-window", "0", NULL};
	assert_int_equal(emu_cli_parse(5, win, &o, stdout, err, sizeof(err)), EMU_CLI_USAGE);
	emu_cli_free(&o);
	char *half[] = {"emu", "--kube-api", ":0", "--kube-tls-cert", "c", NULL};
	assert_int_equal(emu_cli_parse(5, half, &o, stdout, err, sizeof(err)), EMU_CLI_USAGE);
	emu_cli_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kube_specs),
		cmocka_unit_test(test_kube_cli),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
