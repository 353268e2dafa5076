/* Full lifecycles through the service model with fake time: SNO, compact
 * (3 masters) and 3 masters + 2 workers, from registration to installed. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model_harness.h"

#define BASE "/api/assisted-install/v2"

/* Runs the clock until the cluster reaches |want| (bounded); returns 1 on success. */
static int run_until_cluster(struct mh *h, const char *want, int max_steps, double step)
{
	for (int i = 0; i < max_steps; i++) {
		if (strcmp(mh_cluster_status(h), want) == 0)
			return 1;
		mh_step(h, step);
	}
	if (strcmp(mh_cluster_status(h), want) == 0)
		return 1;
	/* Show why, for the test log. */
	json_t *d = emu_model_dump(h->m);
	char *txt = json_dumps(d, JSON_INDENT(1));
	print_message("wanted cluster %s; state: %.2000s\n", want, txt);
	if (getenv("MH_DUMP"))
		json_dump_file(d, getenv("MH_DUMP"), JSON_INDENT(1));
	free(txt);
	json_decref(d);
	return 0;
}

static void install(struct mh *h)
{
	char path[256];
	snprintf(path, sizeof(path), BASE "/clusters/%s/actions/install", h->cluster_id);
	assert_int_equal(mh_req(h, "POST", path, NULL, NULL), 202);
	json_t *j = mh_json(h);
	assert_string_equal(json_string_value(json_object_get(j, "status")),
	                    "preparing-for-installation");
	json_decref(j);
}

static void check_installed(struct mh *h)
{
	char path[256];
	for (int i = 0; i < h->nhosts; i++)
		assert_string_equal(mh_host_status(h, i), "installed");
	snprintf(path, sizeof(path), BASE "/clusters/%s", h->cluster_id);
	assert_int_equal(mh_req(h, "GET", path, NULL, NULL), 200);
	json_t *j = mh_json(h);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "installed");
	assert_int_equal(json_array_size(json_object_get(j, "hosts")), (size_t)h->nhosts);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "progress"),
	                                                    "total_percentage")), 100);
	assert_string_not_equal(json_string_value(json_object_get(j, "install_completed_at")),
	                        "0001-01-01T00:00:00.000Z");
	json_decref(j);
	/* The controller's late calls are still accepted once installed. */
	snprintf(path, sizeof(path), BASE "/clusters/%s/actions/complete-installation", h->cluster_id);
	assert_int_equal(mh_req(h, "POST", path, NULL, "{\"is_success\":true}"), 202);
	j = mh_json(h);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "installed");
	json_decref(j);
	assert_int_equal(mh_req(h, "POST", path, NULL, "{\"is_success\":true,\"extra\":1}"), 400);
	snprintf(path, sizeof(path), BASE "/clusters/%s/downloads/credentials", h->cluster_id);
	assert_int_equal(mh_req(h, "GET", path, "file_name=kubeconfig", NULL), 200);
	assert_int_equal(mh_req(h, "GET", BASE "/events", "cluster_id=", NULL), 200);
	char q[128];
	snprintf(q, sizeof(q), "cluster_id=%s", h->cluster_id);
	assert_int_equal(mh_req(h, "GET", BASE "/events", q, NULL), 200);
	j = mh_json(h);
	assert_true(json_array_size(j) > 3);
	json_decref(j);
	assert_int_equal(mh_req(h, "GET", BASE "/openshift-versions", NULL, NULL), 200);
	assert_int_equal(mh_req(h, "GET", BASE "/clusters", NULL, NULL), 200);
}

static void lifecycle(int masters, int workers, int umn)
{
	struct mh h;
	mh_init(&h, NULL);
	mh_create_cluster(&h, masters, umn);
	mh_add_hosts(&h, masters + workers);
	assert_string_equal(mh_host_status(&h, 0), "discovering");
	assert_true(run_until_cluster(&h, "ready", 200, 5.0));
	for (int i = 0; i < h.nhosts; i++)
		assert_string_equal(mh_host_status(&h, i), "known");
	install(&h);
	assert_true(run_until_cluster(&h, "installing", 200, 5.0));
	assert_true(run_until_cluster(&h, "finalizing", 400, 5.0));
	assert_true(run_until_cluster(&h, "installed", 200, 5.0));
	check_installed(&h);
	/* Roles: exactly |masters| masters, one bootstrap. */
	char path[256];
	snprintf(path, sizeof(path), BASE "/clusters/%s/hosts", h.cluster_id);
	assert_int_equal(mh_req(&h, "GET", path, "role=master", NULL), 200);
	json_t *j = mh_json(&h), *e;
	size_t i;
	int boots = 0;
	assert_int_equal(json_array_size(j), (size_t)masters);
	json_array_foreach(j, i, e)
		boots += json_is_true(json_object_get(e, "bootstrap"));
	assert_int_equal(boots, 1);
	json_decref(j);
	mh_free(&h);
}

static void test_sno(void **state)
{
	(void)state;
	lifecycle(1, 0, 1);
}

static void test_compact(void **state)
{
	(void)state;
	lifecycle(3, 0, 0);
}

static void test_three_plus_two(void **state)
{
	(void)state;
	lifecycle(3, 2, 0);
}

static void test_compact_umn(void **state)
{
	(void)state;
	lifecycle(3, 0, 1);
}

static void test_time_scale(void **state)
{
	struct emu_model_cfg cfg;
	struct mh h;
	(void)state;
	emu_model_cfg_init(&cfg);
	cfg.time_scale = 60;
	cfg.check_cluster_version = 1;
	mh_init(&h, &cfg);
	mh_create_cluster(&h, 1, 1);
	mh_add_hosts(&h, 1);
	/* 60 s / 60 = 1 s poll interval. */
	char path[256];
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts/%s/instructions", h.infra_env_id,
	         h.hosts[0].id);
	assert_int_equal(mh_req_full(&h, "GET", path, "timestamp=1790000000", NULL, 0, NULL,
	                             h.hosts[0].agent_version), 200);
	json_t *j = mh_json(&h);
	assert_int_equal(json_integer_value(json_object_get(j, "next_instruction_seconds")), 1);
	json_decref(j);
	assert_true(run_until_cluster(&h, "ready", 100, 0.5));
	install(&h);
	assert_true(run_until_cluster(&h, "installed", 400, 0.5));
	/* cvo was monitored and reported. */
	snprintf(path, sizeof(path), BASE "/clusters/%s/monitored-operators", h.cluster_id);
	assert_int_equal(mh_req(&h, "GET", path, NULL, NULL), 200);
	j = mh_json(&h);
	assert_int_equal(json_array_size(j), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "name")), "cvo");
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "status")),
	                    "available");
	json_decref(j);
	mh_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sno),
		cmocka_unit_test(test_compact),
		cmocka_unit_test(test_three_plus_two),
		cmocka_unit_test(test_compact_umn),
		cmocka_unit_test(test_time_scale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
