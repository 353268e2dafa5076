/* sw_fdlimit: the soft limit up to the hard one, the hard one when
 * privileged, what an unprivileged process is told, the fs.nr_open cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "sw_err.h"
#include "sw_fdlimit.h"

static uint64_t soft_now(void)
{
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	return (uint64_t)rl.rlim_cur;
}

static void set_soft(uint64_t v)
{
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = (rlim_t)v;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

static uint64_t nr_open(void)
{
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	unsigned long long v = 0;
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* Whether this process may raise its hard limit (root alone is not enough
 * in a container without CAP_SYS_RESOURCE): tried in a child. */
static int privileged(void)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_max == RLIM_INFINITY)
			_exit(1);
		rl.rlim_max++;
		_exit(setrlimit(RLIMIT_NOFILE, &rl) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_soft_up_to_hard(void **state)
{
	struct sw_fdlimit lim;
	char msg[256];

	(void)state;
	set_soft(256);
	assert_int_equal(sw_fdlimit_raise(512, &lim, msg, sizeof(msg)), 0);
	assert_int_equal(soft_now(), 512);
	assert_int_equal(lim.soft_before, 256);
	assert_int_equal(lim.soft, 512);
	assert_non_null(strstr(msg, "raised from 256 to 512"));
	/* enough already: nothing changes, nothing said */
	assert_int_equal(sw_fdlimit_raise(300, &lim, msg, sizeof(msg)), 0);
	assert_int_equal(soft_now(), 512);
	assert_string_equal(msg, "");
}

/* Above the hard limit: root raises it and says so; an unprivileged
 * process gets the hard limit and a message naming what is missing. */
static void test_hard_limit(void **state)
{
	struct sw_fdlimit lim;
	struct rlimit rl;
	char msg[256];
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max == RLIM_INFINITY || (nr_open() && rl.rlim_max + 64 > nr_open()))
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the unprivileged view (as nobody when run as root) */
		if (geteuid() == 0 && setuid(65534) != 0)
			_exit(2);
		int rv = sw_fdlimit_raise((uint64_t)rl.rlim_max + 64, &lim, msg, sizeof(msg));
		_exit(rv == SW_ERR_STATE && lim.soft == (uint64_t)rl.rlim_max &&
		      strstr(msg, "needs root") ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	if (!privileged())
		return;
	assert_int_equal(sw_fdlimit_raise((uint64_t)rl.rlim_max + 64, &lim, msg, sizeof(msg)), 0);
	assert_int_equal(lim.hard, (uint64_t)rl.rlim_max + 64);
	assert_int_equal(soft_now(), (uint64_t)rl.rlim_max + 64);
	assert_non_null(strstr(msg, "privileged"));
}

/* Beyond fs.nr_open not even root may go: capped, and said. */
static void test_nr_open_cap(void **state)
{
	struct sw_fdlimit lim;
	uint64_t cap = nr_open();
	char msg[256];

	(void)state;
	if (!cap || !privileged())
		skip();
	assert_int_equal(sw_fdlimit_raise(cap + 1000, &lim, msg, sizeof(msg)), SW_ERR_STATE);
	assert_int_equal(lim.want, cap);
	assert_int_equal(lim.soft, cap);
	assert_non_null(strstr(msg, "fs.nr_open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soft_up_to_hard),
		cmocka_unit_test(test_hard_limit),
		cmocka_unit_test(test_nr_open_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
