/*
 * kube mode's objects (swarm/kube_objs.c) against the hub's structural
 * schemas (tools/emulator-hub, the upstream CRDs): every object of every
 * shape is valid and nothing in it would be pruned (the original templates'
 * misplaced sshAuthorizedKey / sshPublicKey were), with the original's
 * names, labels, annotations and references, the run labels, the fixed
 * SSH key placement, one ClusterImageSet per run; the host MACs are valid
 * unicast addresses, unique across clusters and hosts (the original's
 * unmasked bytes were not); base64 both ways.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "b64.h"
#include "hub_crd.h"
#include "hub_schema.h"
#include "ids.h"
#include "kube_objs.h"

static struct hub_defs defs;
static struct hub_schema *sch;

static int setup(void **state)
{
	char err[256];
	(void)state;
	if (hub_defs_load(&defs, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	sch = hub_schema_new();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	hub_schema_free(&sch);
	hub_defs_free(&defs);
	return 0;
}

/* |obj| (consumed) is valid for |res| and loses nothing to pruning. */
static json_t *valid(enum kube_res_id res, json_t *obj)
{
	struct hub_schema_report rep = {0};
	json_t *copy = json_deep_copy(obj);
	int n = hub_schema_process(sch, defs.r[res].schema, copy, HUB_SCHEMA_ALL, &rep);
	if (n || rep.pruned) {
		char *c = rep.causes ? json_dumps(rep.causes, 0) : NULL, *p = rep.pruned ? json_dumps(rep.pruned, 0) : NULL;
		fprintf(stderr, "%s: causes %s pruned %s\n", kube_res_get(res)->kind, c ? c : "-", p ? p : "-");
		free(c);
		free(p);
	}
	assert_int_equal(n, 0);
	assert_null(rep.pruned);
	hub_schema_report_clear(&rep);
	json_decref(copy);
	return obj;
}

static const char *str(const json_t *o, const char *path)
{
	char buf[256], *save = NULL, *tok;
	const json_t *x = o;
	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && x; tok = strtok_r(NULL, ".", &save))
		x = json_object_get(x, tok);
	return json_string_value(x);
}

static const char *label(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(o, "metadata"), "labels"), k));
}

static struct swarm_plan plan;
static struct swarm_service svc;
static struct swarm_label moon = {"agentclusterinstalls.extensions.hive.openshift.io/location", "Moon"};

static struct kobj_cluster cluster(struct swarm_shape *sh, const char *name)
{
	plan.base_domain = "swarm.example.com";
	plan.cpu_architecture = "x86_64";
	svc.pull_secret = "{\"auths\":{\"q\":{\"auth\":\"eA==\"}}}";
	svc.ssh_pub_key = "ssh-ed25519 AAAA test@swarm";
	return (struct kobj_cluster){
		.name = name, .run_id = "swarm-1700000000-42", .shard = 3, .plan = &plan, .svc = &svc,
		.shape = sh, .single_node = sh->single_node, .ncp = sh->single_node ? 1 : 3,
		.nworkers = sh->num_workers, .machine_cidr = "10.7.0.0/16", .api_vip = "10.7.255.253",
		.ingress_vip = "10.7.255.254", .imageset = "swarm-1700000000-42",
	};
}

static void run_labels(const json_t *o)
{
	assert_string_equal(label(o, KOBJ_RUN_LABEL), "swarm-1700000000-42");
	assert_string_equal(label(o, KOBJ_SHARD_LABEL), "3");
}

static void test_sno(void **state)
{
	(void)state;
	struct swarm_shape sh = {.single_node = 1, .amount = 1};
	struct kobj_cluster c = cluster(&sh, "c-0");
	char mac[IDS_MAC_LEN];
	json_t *o;

	o = valid(KUBE_RES_NAMESPACE, kobj_namespace(&c));
	assert_string_equal(str(o, "metadata.name"), "c-0");
	run_labels(o);
	json_decref(o);

	o = valid(KUBE_RES_SECRET, kobj_pull_secret(&c));
	assert_string_equal(str(o, "metadata.name"), "c-0-pull");
	assert_string_equal(str(o, "type"), "kubernetes.io/dockerconfigjson");
	size_t n;
	const char *b = json_string_value(json_object_get(json_object_get(o, "data"), ".dockerconfigjson"));
	assert_non_null(b);
	char *ps = b64_decode(b, strlen(b), 0, &n);
	assert_non_null(ps);
	assert_string_equal(ps, svc.pull_secret);
	free(ps);
	json_decref(o);

	o = valid(KUBE_RES_INFRAENV, kobj_infraenv(&c));
	assert_string_equal(str(o, "spec.sshAuthorizedKey"), svc.ssh_pub_key); /* fixed: in spec */
	assert_string_equal(str(o, "spec.pullSecretRef.name"), "c-0-pull");
	assert_string_equal(str(o, "spec.clusterRef.name"), "c-0");
	assert_string_equal(str(o, "spec.clusterRef.namespace"), "c-0");
	assert_null(json_object_get(json_object_get(o, "spec"), "nmStateConfigLabelSelector"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(o, "spec"),
	                    "agentLabels"), KOBJ_RUN_LABEL)), "swarm-1700000000-42");
	run_labels(o);
	json_decref(o);

	o = valid(KUBE_RES_AGENTCLUSTERINSTALL, kobj_agentclusterinstall(&c));
	assert_string_equal(str(o, "spec.sshPublicKey"), svc.ssh_pub_key); /* fixed: in spec */
	assert_null(json_object_get(json_object_get(json_object_get(o, "spec"), "provisionRequirements"),
	                            "sshPublicKey"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(o, "spec"),
	                 "provisionRequirements"), "controlPlaneAgents")), 1);
	assert_string_equal(str(o, "spec.imageSetRef.name"), "swarm-1700000000-42");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(
		json_object_get(o, "spec"), "networking"), "machineNetwork"), 0), "cidr")), "10.7.0.0/16");
	assert_null(json_object_get(json_object_get(o, "spec"), "apiVIP"));
	json_decref(o);

	o = valid(KUBE_RES_CLUSTERDEPLOYMENT, kobj_clusterdeployment(&c));
	assert_string_equal(str(o, "spec.clusterInstallRef.kind"), "AgentClusterInstall");
	assert_string_equal(str(o, "spec.pullSecretRef.name"), "c-0-pull");
	assert_string_equal(str(o, "spec.baseDomain"), "swarm.example.com");
	json_decref(o);

	ids_host_mac(7, 0, mac);
	o = valid(KUBE_RES_BAREMETALHOST, kobj_baremetalhost(&c, 0, mac));
	assert_string_equal(str(o, "metadata.name"), "c-0-0");
	assert_string_equal(label(o, KOBJ_INFRAENV_LABEL), "c-0");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(o, "metadata"),
	                    "annotations"), KOBJ_ROLE_ANNOTATION)), "master");
	assert_string_equal(str(o, "spec.bootMACAddress"), mac);
	assert_string_equal(str(o, "spec.bmc.credentialsName"), "c-0-0-bmh");
	assert_true(json_is_true(json_object_get(json_object_get(o, "spec"), "online")));
	json_decref(o);

	o = valid(KUBE_RES_SECRET, kobj_bmc_secret(&c, 0));
	assert_string_equal(str(o, "metadata.name"), "c-0-0-bmh");
	json_decref(o);

	o = valid(KUBE_RES_PREPROVISIONINGIMAGE, kobj_preprovisioningimage(&c, 0, "0147152c-20c1-4a37-aba6-46fa3f15b2a7"));
	assert_string_equal(label(o, KOBJ_INFRAENV_LABEL), "c-0");
	run_labels(o);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(o,
	                    "metadata"), "ownerReferences"), 0), "kind")), "BareMetalHost");
	json_decref(o);

	o = valid(KUBE_RES_CLUSTERIMAGESET, kobj_clusterimageset("swarm-1700000000-42", "swarm-1700000000-42",
	                                                       "quay.io/x/ocp-release:4.16.0-x86_64"));
	assert_string_equal(str(o, "spec.releaseImage"), "quay.io/x/ocp-release:4.16.0-x86_64");
	json_decref(o);
}

static void test_multinode_nmstate_labels(void **state)
{
	(void)state;
	struct swarm_shape sh = {.single_node = 0, .num_workers = 2, .amount = 1, .with_nmstate = 1,
	                         .labels = &moon, .nlabels = 1};
	struct kobj_cluster c = cluster(&sh, "c-1");
	char mac[IDS_MAC_LEN];
	json_t *o = valid(KUBE_RES_AGENTCLUSTERINSTALL, kobj_agentclusterinstall(&c));
	assert_string_equal(str(o, "spec.apiVIP"), "10.7.255.253");
	assert_string_equal(str(o, "spec.ingressVIP"), "10.7.255.254");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(o, "spec"),
	                 "provisionRequirements"), "workerAgents")), 2);
	json_decref(o);
	o = valid(KUBE_RES_INFRAENV, kobj_infraenv(&c));
	assert_string_equal(label(o, moon.key), "Moon");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(json_object_get(o,
	                    "spec"), "nmStateConfigLabelSelector"), "matchLabels"), "cluster-name")), "c-1");
	json_decref(o);
	o = valid(KUBE_RES_NMSTATECONFIG, kobj_nmstateconfig(&c));
	assert_string_equal(str(o, "metadata.name"), "c-1-nmstate");
	assert_string_equal(label(o, "cluster-name"), "c-1");
	assert_int_equal(json_array_size(json_object_get(json_object_get(o, "spec"), "interfaces")), 2);
	json_decref(o);
	/* hosts 0..2 are control plane, 3.. workers */
	for (unsigned j = 2; j <= 3; j++) {
		ids_host_mac(1, j, mac);
		o = valid(KUBE_RES_BAREMETALHOST, kobj_baremetalhost(&c, j, mac));
		assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(o, "metadata"),
		                    "annotations"), KOBJ_ROLE_ANNOTATION)), j < 3 ? "master" : "worker");
		json_decref(o);
	}
}

static void test_just_infraenv(void **state)
{
	(void)state;
	struct swarm_shape sh = {.single_node = 0, .amount = 1, .just_infraenv = 1};
	struct kobj_cluster c = cluster(&sh, "c-2");
	json_t *o = valid(KUBE_RES_INFRAENV, kobj_infraenv(&c));
	assert_null(json_object_get(json_object_get(o, "spec"), "clusterRef"));
	json_decref(o);
}

/* The original's MAC bytes (i>>16, i>>8, i, j>>16, j>>8, j) were not masked:
 * cluster 65536 and cluster 0 gave the same first bytes, 256 wrapped. */
static void test_macs(void **state)
{
	(void)state;
	static const unsigned cl[] = {0, 1, 255, 256, 65535, 65536, 65537, 16777215};
	static const unsigned ho[] = {0, 1, 255, 256, 64999};
	char seen[sizeof(cl) / sizeof(cl[0]) * sizeof(ho) / sizeof(ho[0])][IDS_MAC_LEN];
	size_t n = 0;
	for (size_t i = 0; i < sizeof(cl) / sizeof(cl[0]); i++) {
		for (size_t j = 0; j < sizeof(ho) / sizeof(ho[0]); j++) {
			char m[IDS_MAC_LEN];
			unsigned b0;
			ids_host_mac(cl[i], ho[j], m);
			assert_int_equal(strlen(m), 17);
			assert_int_equal(sscanf(m, "%2x:", &b0), 1);
			assert_int_equal(b0, 0x02); /* locally administered, unicast */
			for (size_t k = 0; k < n; k++)
				assert_string_not_equal(seen[k], m);
			memcpy(seen[n++], m, IDS_MAC_LEN);
		}
	}
}

static void test_b64(void **state)
{
	(void)state;
	size_t n;
	char *e = b64_encode("any carnal pleas", 16), *d;
	assert_string_equal(e, "YW55IGNhcm5hbCBwbGVhcw==");
	d = b64_decode(e, strlen(e), 0, &n);
	assert_int_equal(n, 16);
	assert_string_equal(d, "any carnal pleas");
	free(d);
	free(e);
	/* line breaks inside (kubeconfig data), URL alphabet without padding (JWT) */
	d = b64_decode("YW55IGNh\ncm5hbA==\n", 18, 0, &n);
	assert_non_null(d);
	assert_string_equal(d, "any carnal");
	free(d);
	d = b64_decode("eyJpbmZyYV9lbnZfaWQiOiJ4In0", 27, 1, &n);
	assert_string_equal(d, "{\"infra_env_id\":\"x\"}");
	free(d);
	assert_null(b64_decode("a+b", 3, 1, &n)); /* '+' is not base64url */
	assert_null(b64_decode("abc", 3, 0, &n)); /* standard needs its padding */
	assert_null(b64_decode("ab!d", 4, 0, &n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sno),
		cmocka_unit_test(test_multinode_nmstate_labels),
		cmocka_unit_test(test_just_infraenv),
		cmocka_unit_test(test_macs),
		cmocka_unit_test(test_b64),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
