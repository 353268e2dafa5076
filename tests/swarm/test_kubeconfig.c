/*
 * swarm/kubeconfig.c: the current context's cluster and user, paths
 * relative to the kubeconfig's folder, *-data decoded, tokenFile trimmed,
 * the search order ($KUBECONFIG's first existing file, ~/.kube/config, the
 * pod's service account) and the malformed or incomplete inputs refused
 * with their code (SW_ERR_PARSE: exit 2, FILE:LINE:COL) and message.
 * (The swarm binary's exit codes for these: tests/swarm/e2e_kube_config.sh.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kubeconfig.h"
#include "sw_err.h"

static char dir[64];

static void put(const char *name, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char *path(const char *name)
{
	static char p[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sw-kubeconfig.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	unsetenv("KUBECONFIG");
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	setenv("HOME", dir, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* "-----BEGIN X-----..." base64-encoded: the decoder only checks base64 */
#define PEM_B64 "LS0tLS1CRUdJTiBYLS0tLS0K"

static void test_full(void **state)
{
	(void)state;
	struct kubeconfig kc;
	char err[512];
	put("ca.pem", "x");
	put("token", "\n  the-token \n");
	put("full.yaml",
	    "apiVersion: v1\nkind: Config\npreferences: {}\n"
	    "clusters:\n"
	    "- name: other\n  cluster: {server: \"https://other:6443\"}\n"
	    "- name: hub\n  cluster:\n    server: https://hub.example:6443\n"
	    "    certificate-authority: ca.pem\n    tls-server-name: api.hub\n"
	    "    insecure-skip-tls-verify: false\n    proxy-url: http://ignored\n"
	    "users:\n- name: u\n  user:\n    tokenFile: token\n"
	    "    client-certificate-data: " PEM_B64 "\n    client-key-data: " PEM_B64 "\n"
	    "contexts:\n- {name: a, context: {cluster: other, user: u}}\n"
	    "- name: b\n  context: {cluster: hub, user: u, namespace: ignored}\n"
	    "current-context: b\n");
	assert_int_equal(kubeconfig_load(path("full.yaml"), &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.server, "https://hub.example:6443");
	assert_string_equal(kc.context, "b");
	assert_string_equal(kc.ca_file, path("ca.pem"));
	assert_string_equal(kc.tls_server_name, "api.hub");
	assert_string_equal(kc.token, "the-token");
	assert_string_equal(kc.cert_pem, "-----BEGIN X-----\n");
	assert_string_equal(kc.key_pem, "-----BEGIN X-----\n");
	assert_int_equal(kc.insecure, 0);
	assert_string_equal(kc.source, path("full.yaml"));
	struct sw_client_cfg cfg;
	kubeconfig_client_cfg(&kc, &cfg);
	assert_string_equal(cfg.url, kc.server);
	assert_ptr_equal(cfg.ca_file, kc.ca_file);
	assert_ptr_equal(cfg.cert_pem, kc.cert_pem);
	assert_ptr_equal(cfg.sni, kc.tls_server_name);
	kubeconfig_free(&kc);
	kubeconfig_free(&kc); /* idempotent */
}

/* path | expected code | message fragment */
static void refused(const char *name, const char *text, int code, const char *msg)
{
	struct kubeconfig kc;
	char err[512];
	put(name, text);
	int rv = kubeconfig_load(path(name), &kc, err, sizeof(err));
	if (rv != code || !strstr(err, msg))
		fprintf(stderr, "%s: rv %d, err '%s'\n", name, rv, err);
	assert_int_equal(rv, code);
	assert_non_null(strstr(err, msg));
	assert_null(kc.server);
}

static void test_refused(void **state)
{
	(void)state;
	refused("empty.yaml", "", SW_ERR_PARSE, ":1:1: the kubeconfig is empty");
	refused("list.yaml", "- a\n", SW_ERR_PARSE, "list.yaml:1:1: expected a kubeconfig mapping");
	refused("syntax.yaml", "clusters: [\n", SW_ERR_PARSE, "YAML syntax error");
	refused("ctxmap.yaml", "current-context: {a: b}\n", SW_ERR_PARSE,
	        "ctxmap.yaml:1:18: key 'current-context': expected a string, got a mapping");
	refused("insecure.yaml",
	        "clusters: [{name: h, cluster: {server: \"https://h\", insecure-skip-tls-verify: yes}}]\n"
	        "contexts: [{name: c, context: {cluster: h}}]\ncurrent-context: c\n",
	        SW_ERR_PARSE, "key 'clusters[0].cluster.insecure-skip-tls-verify': expected true or false");
	refused("noserver.yaml",
	        "clusters: [{name: h, cluster: {}}]\ncontexts: [{name: c, context: {cluster: h}}]\n"
	        "current-context: c\n", SW_ERR_PARSE, "the cluster has no server");
	refused("entry.yaml",
	        "clusters: [3]\ncontexts: [{name: c, context: {cluster: h}}]\ncurrent-context: c\n",
	        SW_ERR_PARSE, "entry.yaml:1:12: key 'clusters[0]': expected a mapping");
	refused("nocontext.yaml", "apiVersion: v1\n", SW_ERR_NOT_FOUND, "no current-context");
	refused("nouser.yaml",
	        "clusters: [{name: h, cluster: {server: \"https://h\"}}]\n"
	        "contexts: [{name: c, context: {cluster: h, user: who}}]\ncurrent-context: c\n",
	        SW_ERR_NOT_FOUND, "names user 'who', which is not in users");
	refused("halfcert.yaml",
	        "clusters: [{name: h, cluster: {server: \"https://h\"}}]\n"
	        "users: [{name: u, user: {client-certificate-data: " PEM_B64 "}}]\n"
	        "contexts: [{name: c, context: {cluster: h, user: u}}]\ncurrent-context: c\n",
	        SW_ERR_INVALID, "has a client certificate without its key");
	refused("authprov.yaml",
	        "clusters: [{name: h, cluster: {server: \"https://h\"}}]\n"
	        "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n"
	        "contexts: [{name: c, context: {cluster: h, user: u}}]\ncurrent-context: c\n",
	        SW_ERR_INVALID, "auth-provider plugin");
	put("badtoken", "a\tb\001c\n");
	refused("ctltoken.yaml",
	        "clusters: [{name: h, cluster: {server: \"https://h\"}}]\n"
	        "users: [{name: u, user: {tokenFile: badtoken}}]\n"
	        "contexts: [{name: c, context: {cluster: h, user: u}}]\ncurrent-context: c\n",
	        SW_ERR_INVALID, "the token has a control character at byte 4");
}

static void test_search(void **state)
{
	(void)state;
	struct kubeconfig kc;
	char err[512], list[600];
	const char *ok = "clusters: [{name: h, cluster: {server: \"http://h:1\"}}]\n"
	                 "contexts: [{name: c, context: {cluster: h}}]\ncurrent-context: c\n";
	/* $KUBECONFIG: its first file that exists */
	put("second.yaml", ok);
	snprintf(list, sizeof(list), "%s:%s", path("missing.yaml"), path("second.yaml"));
	setenv("KUBECONFIG", list, 1);
	assert_int_equal(kubeconfig_load(NULL, &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.source, path("second.yaml"));
	kubeconfig_free(&kc);
	setenv("KUBECONFIG", path("missing.yaml"), 1);
	assert_int_equal(kubeconfig_load(NULL, &kc, err, sizeof(err)), SW_ERR_NOT_FOUND);
	unsetenv("KUBECONFIG");
	/* ~/.kube/config */
	char kd[128];
	snprintf(kd, sizeof(kd), "%s/.kube", dir);
	mkdir(kd, 0700);
	put(".kube/config", ok);
	assert_int_equal(kubeconfig_load(NULL, &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.source, path(".kube/config"));
	kubeconfig_free(&kc);
	unlink(path(".kube/config"));
	/* no file: a pod's service account, else nothing */
	assert_int_equal(kubeconfig_load(NULL, &kc, err, sizeof(err)), SW_ERR_NOT_FOUND);
	assert_non_null(strstr(err, "no kubeconfig"));
	char sa[128];
	snprintf(sa, sizeof(sa), "%s/sa", dir);
	mkdir(sa, 0700);
	put("sa/token", "pod-token\n");
	put("sa/ca.crt", "x");
	setenv("SWARM_SERVICEACCOUNT_DIR", sa, 1);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(kubeconfig_load(NULL, &kc, err, sizeof(err)), 0);
	assert_string_equal(kc.server, "https://[fd00::1]:443");
	assert_string_equal(kc.token, "pod-token");
	assert_string_equal(kc.ca_file, path("sa/ca.crt"));
	assert_non_null(strstr(kc.source, "in-cluster service account"));
	kubeconfig_free(&kc);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv("SWARM_SERVICEACCOUNT_DIR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_search),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
