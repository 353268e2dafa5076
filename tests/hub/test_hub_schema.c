/* Tests for tools/emulator-hub: hub_crd (every CRD loads and agrees with
 * protocol/kube_res) and hub_schema (pruning of unknown fields as upstream,
 * x-kubernetes-preserve-unknown-fields, defaults, nullable, and validation
 * causes with their reasons and field paths). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hub_crd.h"
#include "hub_objects.h"
#include "hub_schema.h"

static struct hub_defs defs;
static struct hub_schema *sch;

static int setup(void **state)
{
	char err[256];
	if (hub_defs_load(&defs, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	sch = hub_schema_new();
	return 0;
}

static int teardown(void **state)
{
	hub_defs_free(&defs);
	hub_schema_free(&sch);
	return 0;
}

static json_t *J(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	if (!j)
		fail_msg("bad test JSON: %s", e.text);
	return j;
}

static int process(enum kube_res_id r, json_t *obj, struct hub_schema_report *rep)
{
	return hub_schema_process(sch, defs.r[r].schema, obj, HUB_SCHEMA_ALL, rep);
}

/* Does |rep| hold a cause with |reason| on |field|? */
static int has_cause(const struct hub_schema_report *rep, const char *reason, const char *field)
{
	size_t i;
	json_t *c;
	json_array_foreach(rep->causes, i, c)
		if (strcmp(json_string_value(json_object_get(c, "reason")), reason) == 0 &&
		    strcmp(json_string_value(json_object_get(c, "field")), field) == 0)
			return 1;
	return 0;
}

static void test_defs(void **state)
{
	(void)state;
	for (size_t i = 0; i < KUBE_RES_COUNT; i++) {
		const struct hub_resdef *d = &defs.r[i];
		assert_non_null(d->schema);
		assert_ptr_equal(d->res, kube_res_get((enum kube_res_id)i));
		assert_int_equal(d->status_sub, d->res->has_status);
		if (d->res->is_crd) {
			assert_non_null(d->src);
			assert_int_equal(strlen(d->src->commit), 40);
		}
	}
	assert_true(json_array_size(defs.r[KUBE_RES_BAREMETALHOST].columns) > 0);
}

static void test_template_pruning(void **state)
{
	(void)state;
	/* the original templates' misplaced keys are pruned, the rest stays */
	json_t *ie = J("{\"apiVersion\":\"agent-install.openshift.io/v1beta1\",\"kind\":\"InfraEnv\","
	               "\"metadata\":{\"name\":\"c\",\"weird\":1},\"spec\":{\"pullSecretRef\":{\"name\":\"c-pull\","
	               "\"sshAuthorizedKey\":\"ssh-ed25519 AAAA\"},\"clusterRef\":{\"name\":\"c\",\"namespace\":\"c\"}}}");
	struct hub_schema_report rep;
	assert_int_equal(process(KUBE_RES_INFRAENV, ie, &rep), 0);
	assert_null(rep.causes);
	assert_int_equal(json_array_size(rep.pruned), 1);
	assert_string_equal(json_string_value(json_array_get(rep.pruned, 0)), "spec.pullSecretRef.sshAuthorizedKey");
	assert_null(json_object_get(json_object_get(json_object_get(ie, "spec"), "pullSecretRef"), "sshAuthorizedKey"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(ie, "spec"), "pullSecretRef"), "name")), "c-pull");
	/* metadata is not the schema's business */
	assert_non_null(json_object_get(json_object_get(ie, "metadata"), "weird"));
	/* defaults of the InfraEnv CRD */
	assert_string_equal(json_string_value(json_object_get(json_object_get(ie, "spec"), "cpuArchitecture")), "x86_64");
	hub_schema_report_clear(&rep);
	json_decref(ie);

	json_t *aci = J("{\"spec\":{\"clusterDeploymentRef\":{\"name\":\"c\"},\"imageSetRef\":{\"name\":\"c\"},"
	                "\"networking\":{\"clusterNetwork\":[{\"cidr\":\"10.128.0.0/14\",\"hostPrefix\":23}],"
	                "\"serviceNetwork\":[\"172.30.0.0/16\"]},\"provisionRequirements\":{\"controlPlaneAgents\":1,"
	                "\"workerAgents\":0,\"sshPublicKey\":\"ssh-ed25519 AAAA\"}},\"unknownTop\":{}}");
	assert_int_equal(process(KUBE_RES_AGENTCLUSTERINSTALL, aci, &rep), 0);
	assert_int_equal(json_array_size(rep.pruned), 2);
	assert_null(json_object_get(json_object_get(json_object_get(aci, "spec"), "provisionRequirements"), "sshPublicKey"));
	assert_null(json_object_get(aci, "unknownTop"));
	hub_schema_report_clear(&rep);
	json_decref(aci);
}

static void test_preserve_unknown(void **state)
{
	(void)state;
	/* NMStateConfig.spec.config keeps arbitrary nmstate YAML */
	json_t *nm = J("{\"spec\":{\"config\":{\"interfaces\":[{\"name\":\"eth0\",\"x-anything\":{\"deep\":[1,2]}}]},"
	               "\"interfaces\":[{\"name\":\"eth0\",\"macAddress\":\"02:00:00:80:12:14\",\"bogus\":1}]}}");
	struct hub_schema_report rep;
	assert_int_equal(process(KUBE_RES_NMSTATECONFIG, nm, &rep), 0);
	json_t *cfg = json_object_get(json_object_get(nm, "spec"), "config");
	assert_non_null(json_object_get(json_array_get(json_object_get(cfg, "interfaces"), 0), "x-anything"));
	assert_int_equal(json_array_size(rep.pruned), 1);
	assert_string_equal(json_string_value(json_array_get(rep.pruned, 0)), "spec.interfaces[0].bogus");
	hub_schema_report_clear(&rep);
	json_decref(nm);
}

static void test_validation(void **state)
{
	(void)state;
	struct hub_schema_report rep;
	/* wrong types, missing required fields, enums, patterns */
	json_t *bmh = J("{\"spec\":{\"online\":\"yes\",\"bootMACAddress\":\"zz:00\",\"bmc\":{\"address\":7},"
	                "\"automatedCleaningMode\":\"sometimes\"}}");
	int n = process(KUBE_RES_BAREMETALHOST, bmh, &rep);
	assert_true(n >= 4);
	assert_true(has_cause(&rep, "FieldValueInvalid", "spec.online"));
	assert_true(has_cause(&rep, "FieldValueInvalid", "spec.bmc.address"));
	assert_true(has_cause(&rep, "FieldValueInvalid", "spec.bootMACAddress"));
	assert_true(has_cause(&rep, "FieldValueNotSupported", "spec.automatedCleaningMode"));
	json_t *c = json_array_get(rep.causes, 0);
	assert_non_null(strstr(json_string_value(json_object_get(c, "message")), "in body must be of type"));
	hub_schema_report_clear(&rep);
	json_decref(bmh);
	json_t *cd = J("{\"spec\":{\"clusterName\":\"c\",\"platform\":{}}}");
	assert_true(process(KUBE_RES_CLUSTERDEPLOYMENT, cd, &rep) > 0);
	assert_true(has_cause(&rep, "FieldValueRequired", "spec.baseDomain"));
	hub_schema_report_clear(&rep);
	json_decref(cd);
	json_t *aci = J("{\"spec\":{\"imageSetRef\":{\"name\":\"c\"},\"provisionRequirements\":{}}}");
	assert_true(process(KUBE_RES_AGENTCLUSTERINSTALL, aci, &rep) > 0);
	assert_true(has_cause(&rep, "FieldValueRequired", "spec.clusterDeploymentRef"));
	assert_true(has_cause(&rep, "FieldValueRequired", "spec.provisionRequirements.controlPlaneAgents"));
	hub_schema_report_clear(&rep);
	json_decref(aci);
	/* nulls: dropped where not nullable, then defaults apply */
	json_t *ie = J("{\"spec\":{\"pullSecretRef\":{\"name\":\"p\"},\"cpuArchitecture\":null}}");
	assert_int_equal(process(KUBE_RES_INFRAENV, ie, &rep), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(ie, "spec"), "cpuArchitecture")), "x86_64");
	hub_schema_report_clear(&rep);
	json_decref(ie);
	/* a root that is not an object */
	json_t *arr = J("[1]");
	assert_int_equal(process(KUBE_RES_AGENT, arr, &rep), 1);
	hub_schema_report_clear(&rep);
	json_decref(arr);
	/* Secret data must be base64 */
	json_t *sec = J("{\"data\":{\"a\":\"not base64!\"},\"type\":\"Opaque\"}");
	assert_int_equal(process(KUBE_RES_SECRET, sec, &rep), 1);
	assert_true(has_cause(&rep, "FieldValueInvalid", "data[a]"));
	hub_schema_report_clear(&rep);
	json_decref(sec);
}

static void test_realistic_objects(void **state)
{
	(void)state;
	/* the benchmark's objects are valid and lose nothing to pruning */
	struct hub_schema_report rep;
	json_t *b = hubobj_bmh("ns", "h0", 5, 1);
	json_t *copy = json_deep_copy(b);
	assert_int_equal(process(KUBE_RES_BAREMETALHOST, b, &rep), 0);
	assert_null(rep.pruned);
	hub_schema_report_clear(&rep);
	json_decref(b);
	json_decref(copy);
	json_t *a = hubobj_agent("ns", 5, 1);
	assert_int_equal(process(KUBE_RES_AGENT, a, &rep), 0);
	assert_null(rep.pruned);
	hub_schema_report_clear(&rep);
	json_decref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defs),
		cmocka_unit_test(test_template_pruning),
		cmocka_unit_test(test_preserve_unknown),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_realistic_objects),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
