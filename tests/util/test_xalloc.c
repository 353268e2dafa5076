/* sw_xalloc: allocate or abort with a message; never a NULL to check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "sw_xalloc.h"

static void test_allocates(void **state)
{
	char *s, *p;
	int *v;
	(void)state;
	s = xstrdup("abc");
	assert_string_equal(s, "abc");
	assert_null(xstrdup(NULL));
	p = xmalloc(0); /* a usable, freeable pointer even for 0 bytes */
	assert_non_null(p);
	p = xrealloc(p, 64);
	memset(p, 1, 64);
	v = xcalloc(16, sizeof(*v));
	for (int i = 0; i < 16; i++)
		assert_int_equal(v[i], 0);
	free(v);
	free(p);
	free(s);
}

/* Runs |what| in a child with stderr captured: it must die of SIGABRT after
 * printing "<program>: out of memory". */
static void expect_oom(int what)
{
	int fds[2];
	char buf[256] = "";
	ssize_t n, got = 0;
	int st = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		if (what == 0)
			free(xmalloc((size_t)1 << 62));
		else if (what == 1)
			free(xcalloc(SIZE_MAX / 2, 4)); /* overflowing product */
		else
			free(xrealloc(NULL, (size_t)1 << 62));
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGABRT)
		fail_msg("case %d: child did not abort (status %d), stderr '%s'", what, st, buf);
	assert_non_null(strstr(buf, "test_xalloc: out of memory ("));
}

static void test_aborts(void **state)
{
	(void)state;
	expect_oom(0);
	expect_oom(1);
	expect_oom(2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allocates),
		cmocka_unit_test(test_aborts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
