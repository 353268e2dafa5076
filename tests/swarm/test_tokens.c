/*
 * Long tokens are refused with a clear error, never truncated: user_token
 * and agent_token (and the agents' token taken from the pull secret) over
 * SWARM_TOKEN_MAX bytes, empty or with control characters fail the config
 * load with FILE:LINE:COL and the key; one at the maximum reaches the
 * service whole in its header.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "config.h"
#include "engine_fx.h"
#include "rt.h"
#include "sw_err.h"

static char dir[64];

static void write_text(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *repeat(char ch, size_t n)
{
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

/* Loads a token-mode service config whose line 5 is |extra|; returns the
 * loader's code with the message in |err|. */
static int load(const char *ps_auth, const char *extra, struct swarm_service *s, char *err,
                size_t errlen)
{
	char ps[128], path[128];
	size_t n = strlen(extra) + (ps_auth ? strlen(ps_auth) : 0) + 512;
	char *text = malloc(n);
	int rv;

	assert_non_null(text);
	if (ps_auth)
		snprintf(text, n, "{\"auths\":{\"cloud.openshift.com\":{\"auth\":\"%s\"}}}", ps_auth);
	else
		snprintf(text, n, "{\"auths\":{}}");
	write_text("ps.json", text, ps, sizeof(ps));
	snprintf(text, n,
	         "service_endpoint: http://127.0.0.1:9\n"
	         "pull_secret_file: ps.json\n"
	         "release_image: r\n"
	         "ssh_pub_key: k\n"
	         "%s\n"
	         "auth: token\n",
	         extra);
	write_text("svc.yaml", text, path, sizeof(path));
	free(text);
	rv = swarm_service_load(path, s, err, errlen, NULL, 0);
	return rv;
}

static void expect_error(const char *ps_auth, const char *extra, const char *where, const char *what)
{
	struct swarm_service s;
	char err[512], prefix[160];
	int rv = load(ps_auth, extra, &s, err, sizeof(err));

	if (rv != SW_ERR_INVALID)
		fail_msg("accepted (%d): %.60s", rv, extra);
	snprintf(prefix, sizeof(prefix), "%s/svc.yaml:%s", dir, where);
	if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, what))
		fail_msg("message '%s' (expected '%s' ... '%s')", err, prefix, what);
	swarm_service_free(&s);
}

static void test_config_refuses(void **state)
{
	char *line, *tok = repeat('t', SWARM_TOKEN_MAX + 1);
	size_t n = strlen(tok) + 64;
	(void)state;

	line = malloc(n);
	assert_non_null(line);
	snprintf(line, n, "user_token: %s", tok);
	expect_error("cHM=", line, "5:13: key 'user_token': ",
	             "token of 8193 bytes, longer than the maximum of 8192");
	snprintf(line, n, "agent_token: %s\nuser_token: u", tok);
	expect_error("cHM=", line, "5:14: key 'agent_token': ",
	             "token of 8193 bytes, longer than the maximum of 8192");
	/* the agents' token taken from the pull secret */
	expect_error(tok, "user_token: u", "2:19: key 'pull_secret_file': ",
	             "auths[\"cloud.openshift.com\"].auth of 8193 bytes");
	expect_error("cHM=", "user_token: \"a\\rb\"", "5:13: key 'user_token': ",
	             "control character at byte 2");
	expect_error("cHM=", "user_token: \"\"", "5:13: key 'user_token': ", "empty token");
	expect_error("a\\nb", "user_token: u", "2:19: key 'pull_secret_file': ",
	             "control character at byte 2");
	free(line);
	free(tok);
}

/* A token of the maximum length loads and travels whole: the Bearer of
 * user calls and the X-Secret-Key of agent calls. */
static void test_longest_sent_whole(void **state)
{
	char *user = repeat('u', SWARM_TOKEN_MAX), *agent = repeat('a', SWARM_TOKEN_MAX);
	size_t n = 2 * SWARM_TOKEN_MAX + 64;
	char *line = malloc(n), err[512], *want;
	struct swarm_service s;
	struct fx *f;
	struct rt_call *c;
	(void)state;

	assert_non_null(line);
	snprintf(line, n, "user_token: %s", user);
	if (load(agent, line, &s, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(s.agent_token, agent);   /* derived from the pull secret */
	want = malloc(SWARM_TOKEN_MAX + 8);
	assert_non_null(want);
	snprintf(want, SWARM_TOKEN_MAX + 8, "Bearer %s", user);

	f = fx_new(0);
	free(f->rt.bearer);
	f->rt.bearer = swarm_service_bearer(&s);
	free(f->rt.agent_token);
	f->rt.agent_token = strdup(s.agent_token);
	f->svc.auth = SWARM_AUTH_RHSSO;
	c = cluster_call_new(f->cl, -1, EP_GET_CLUSTER, "GET", "/v2/clusters");
	c->auth = RT_AUTH_USER;
	rt_call_send(c, NULL);
	c = cluster_call_new(f->cl, 0, EP_GET_STEPS, "GET", "/v2/infra-envs/x/hosts/y/instructions");
	c->auth = RT_AUTH_HOST;
	rt_call_send(c, NULL);
	assert_int_equal(f->nq, 2);
	assert_string_equal(sw_hdrs_get(&f->q[0].req->hdrs, "authorization"), want);
	assert_string_equal(sw_hdrs_get(&f->q[1].req->hdrs, "x-secret-key"), agent);
	fx_free(f);
	swarm_service_free(&s);
	free(want);
	free(line);
	free(user);
	free(agent);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/swarm-test-tokens-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char p[128];
	(void)state;
	snprintf(p, sizeof(p), "%s/ps.json", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/svc.yaml", dir);
	unlink(p);
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_refuses),
		cmocka_unit_test(test_longest_sent_whole),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
