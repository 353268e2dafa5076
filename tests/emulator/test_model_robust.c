/* The model never crashes on what a peer sends: random requests, garbage
 * step outputs, re-registration in every phase, timeouts. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model_harness.h"

#define BASE "/api/assisted-install/v2"

static uint64_t rng_state = 0x1234567;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

static void check_response(struct mh *h, int st)
{
	assert_true(st >= 200 && st < 600);
	if (h->last_body) {
		json_t *j = mh_json(h);
		/* Every body the model produces for these calls is JSON or a file. */
		if (!j)
			assert_true(st == 200);
		json_decref(j);
	}
}

static void test_random_requests(void **state)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", ""};
	static const char *const words[] = {
		"clusters", "infra-envs", "infra-env", "hosts", "instructions", "progress", "logs",
		"logs-progress", "actions", "install", "complete-installation", "monitored-operators",
		"uploads", "ingress-cert", "downloads", "files", "ignition", "events",
		"component-versions", "openshift-versions", "ignored-validations", "", "..", "%00",
	};
	static const char *const bodies[] = {
		"", "{", "}", "[]", "null", "\"str\"", "{\"a\":1}", "{\"name\":null}",
		"{\"host_id\":\"3b241e26-8cf5-4c0b-bd19-43fe1cf8bd8f\"}", "{\"current_stage\":\"Done\"}",
		"{\"step_type\":\"inventory\",\"output\":\"{}\"}", "{\"logs_state\":\"requested\"}",
		"{\"api_vips\":[{\"ip\":\"1.2.3.4\"}]}", "{\"api_vips\":[1,2,3]}", "{\"is_success\":false}",
		"\x01\x02\xff", "{\"name\":\"x\",\"name\":\"y\"}", "[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]",
	};
	struct mh h;
	char ids[3][37];
	(void)state;
	mh_init(&h, NULL);
	mh_create_cluster(&h, 3, 0);
	mh_add_hosts(&h, 2);
	snprintf(ids[0], sizeof(ids[0]), "%s", h.cluster_id);
	snprintf(ids[1], sizeof(ids[1]), "%s", h.infra_env_id);
	snprintf(ids[2], sizeof(ids[2]), "%s", h.hosts[0].id);
	for (int it = 0; it < 20000; it++) {
		char path[512];
		size_t o = (size_t)snprintf(path, sizeof(path), "%s", BASE);
		int nseg = (int)(rnd() % 7);
		for (int s = 0; s < nseg && o < sizeof(path) - 64; s++) {
			uint32_t r = rnd() % 10;
			const char *seg = r < 3 ? ids[rnd() % 3] : words[rnd() % (sizeof(words) / sizeof(words[0]))];
			o += (size_t)snprintf(path + o, sizeof(path) - o, "/%s", seg);
		}
		const char *body = bodies[rnd() % (sizeof(bodies) / sizeof(bodies[0]))];
		const char *q = (rnd() & 1) ? "timestamp=abc&file_name=bootstrap.ign&logs_type=host"
		                            : "exclude-hosts=true&role=master&timestamp=5";
		int st = mh_req_full(&h, methods[rnd() % 7], path, q, body, strlen(body),
		                     (rnd() & 3) ? "application/json" : "multipart/form-data", NULL);
		check_response(&h, st);
		if (it % 1000 == 0) {
			h.now_ns += 5000000000ULL;
			h.wall += 5;
			emu_model_monitor(h.m, h.now_ns, h.wall);
		}
	}
	mh_free(&h);
}

static void test_garbage_step_outputs(void **state)
{
	static const char *const types[] = {
		"inventory", "connectivity-check", "free-network-addresses", "ntp-synchronizer",
		"domain-resolution", "verify-vips", "installation-disk-speed-check",
		"container-image-availability", "dhcp-lease-allocate", "tang-connectivity-check",
		"api-vip-connectivity-check", "upgrade-agent", "install", "logs-gather",
	};
	static const char *const outputs[] = {
		"", "{", "[]", "{}", "null", "1", "{\"remote_hosts\":5}", "[{\"vip\":7}]",
		"{\"resolutions\":[{\"domain_name\":3}]}", "{\"images\":[{}]}",
		"{\"io_sync_duration\":\"x\"}", "{\"cpu\":[],\"disks\":{},\"interfaces\":7}",
		"{\"interfaces\":[{\"ipv4_addresses\":[\"999.1.1.1/99\",\"1.2.3.4/8\",5]}],\"disks\":[{\"size_bytes\":-1}]}",
	};
	struct mh h;
	char path[256];
	(void)state;
	mh_init(&h, NULL);
	mh_create_cluster(&h, 3, 0);
	mh_add_hosts(&h, 1);
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts/%s/instructions", h.infra_env_id,
	         h.hosts[0].id);
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		for (size_t k = 0; k < sizeof(outputs) / sizeof(outputs[0]); k++) {
			for (int ec = 0; ec < 2; ec++) {
				json_t *r = json_pack("{s:s,s:s,s:s,s:i}", "step_type", types[t], "step_id",
				                      "x-00000000", "output", outputs[k], "exit_code",
				                      ec ? 1 : 0);
				char *b = json_dumps(r, JSON_COMPACT);
				int st = mh_req(&h, "POST", path, NULL, b);
				assert_true(st == 204 || st == 400);
				free(b);
				json_decref(r);
			}
		}
		mh_step(&h, 8.0);
	}
	/* Unparseable JSON of a decoded type is a 400 with the error shape. */
	assert_int_equal(mh_req(&h, "POST", path, NULL,
	                        "{\"step_type\":\"domain-resolution\",\"output\":\"{\"}"),
	                 400);
	json_t *j = mh_json(&h);
	assert_string_equal(json_string_value(json_object_get(j, "code")), "400");
	json_decref(j);
	mh_free(&h);
}

static int reach(struct mh *h, const char *cluster_status, int n)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(mh_cluster_status(h), cluster_status) == 0)
			return 1;
		mh_step(h, 5.0);
	}
	if (getenv("MH_DUMP")) {
		json_t *d = emu_model_dump(h->m);
		json_dump_file(d, getenv("MH_DUMP"), JSON_INDENT(1));
		json_decref(d);
	}
	return 0;
}

static int reregister(struct mh *h, int i)
{
	char path[256], body[256];
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts", h->infra_env_id);
	snprintf(body, sizeof(body), "{\"host_id\":\"%s\",\"discovery_agent_version\":\"%s\"}",
	         h->hosts[i].id, h->hosts[i].agent_version);
	return mh_req(h, "POST", path, NULL, body);
}

static void progress(struct mh *h, int i, const char *stage, int want)
{
	char path[256], body[128];
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts/%s/progress", h->infra_env_id,
	         h->hosts[i].id);
	snprintf(body, sizeof(body), "{\"current_stage\":\"%s\"}", stage);
	assert_int_equal(mh_req(h, "PUT", path, NULL, body), want);
}

static void test_reregistration(void **state)
{
	struct mh h;
	(void)state;
	mh_init(&h, NULL);
	mh_create_cluster(&h, 3, 0);
	mh_add_hosts(&h, 3);
	assert_true(reach(&h, "ready", 200));
	/* known -> discovering, immediately. */
	assert_int_equal(reregister(&h, 0), 201);
	json_t *j = mh_json(&h);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "discovering");
	json_decref(j);
	char path[256];
	snprintf(path, sizeof(path), BASE "/clusters/%s/actions/install", h.cluster_id);
	/* The cluster status is stale until its monitor runs; install refreshes it. */
	assert_string_equal(mh_cluster_status(&h), "ready");
	assert_int_equal(mh_req(&h, "POST", path, NULL, NULL), 409);
	int st = 409;
	for (int i = 0; i < 200 && st != 202; i++) {
		mh_step(&h, 5.0);
		st = mh_req(&h, "POST", path, NULL, NULL);
	}
	assert_int_equal(st, 202);
	for (int i = 0; i < 3; i++) {
		h.hosts[i].install_started = 1; /* drive progress by hand */
		h.hosts[i].done = 1;
	}
	assert_true(reach(&h, "installing", 200));
	for (int i = 0; i < 10 && strcmp(mh_host_status(&h, 2), "installing"); i++)
		mh_step(&h, 5.0);
	/* New hosts are refused while installing. */
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts", h.infra_env_id);
	assert_int_equal(mh_req(&h, "POST", path, NULL,
	                        "{\"host_id\":\"3b241e26-8cf5-4c0b-bd19-43fe1cf8bdff\"}"),
	                 409);
	/* Host 0 reboots then re-registers: pending user action; again: 400. */
	progress(&h, 0, "Starting installation", 200);
	progress(&h, 0, "Writing image to disk", 200);
	progress(&h, 0, "Rebooting", 200);
	h.hosts[0].silent = 1;
	assert_int_equal(reregister(&h, 0), 201);
	assert_string_equal(mh_host_status(&h, 0), "installing-pending-user-action");
	assert_int_equal(reregister(&h, 0), 400);
	/* Host 1 re-registers mid-install: error. */
	progress(&h, 1, "Installing", 200);
	assert_int_equal(reregister(&h, 1), 201);
	assert_string_equal(mh_host_status(&h, 1), "error");
	/* A master in error fails the cluster at the next cluster monitor. */
	mh_step(&h, 10.0);
	mh_step(&h, 10.0);
	assert_string_equal(mh_cluster_status(&h), "error");
	/* Error hosts get logs-gather and stop-installation every 120 s. */
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts/%s/instructions", h.infra_env_id,
	         h.hosts[1].id);
	assert_int_equal(mh_req_full(&h, "GET", path, "timestamp=1790000000", NULL, 0, NULL,
	                             h.hosts[1].agent_version), 200);
	j = mh_json(&h);
	json_t *ins = json_object_get(j, "instructions");
	assert_int_equal(json_array_size(ins), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ins, 0), "step_type")),
	                    "logs-gather");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ins, 1), "step_type")),
	                    "stop-installation");
	assert_int_equal(json_integer_value(json_object_get(j, "next_instruction_seconds")), 120);
	json_decref(j);
	/* Deleting an installing/error cluster: error allows it. */
	snprintf(path, sizeof(path), BASE "/clusters/%s", h.cluster_id);
	assert_int_equal(mh_req(&h, "DELETE", path, NULL, NULL), 204);
	mh_free(&h);
}

static void test_install_timeout_and_failed_stage(void **state)
{
	struct mh h;
	(void)state;
	mh_init(&h, NULL);
	mh_create_cluster(&h, 1, 1);
	mh_add_hosts(&h, 1);
	assert_true(reach(&h, "ready", 200));
	char path[256];
	snprintf(path, sizeof(path), BASE "/clusters/%s/actions/install", h.cluster_id);
	assert_int_equal(mh_req(&h, "POST", path, NULL, NULL), 202);
	h.hosts[0].install_started = 1;
	h.hosts[0].done = 1;
	assert_true(reach(&h, "installing", 200));
	for (int i = 0; i < 10 && strcmp(mh_host_status(&h, 0), "installing"); i++)
		mh_step(&h, 5.0);
	assert_string_equal(mh_host_status(&h, 0), "installing");
	/* 20 minutes without progress (still polling): error. */
	for (int i = 0; i < 21 * 12; i++)
		mh_step(&h, 5.0);
	assert_string_equal(mh_host_status(&h, 0), "error");
	progress(&h, 0, "Failed", 409);
	mh_step(&h, 10.0);
	mh_step(&h, 10.0);
	assert_string_equal(mh_cluster_status(&h), "error");
	mh_free(&h);
}

static void test_cancel_reset(void **state)
{
	struct mh h;
	char path[256];
	(void)state;
	mh_init(&h, NULL);
	mh_create_cluster(&h, 1, 1);
	mh_add_hosts(&h, 1);
	snprintf(path, sizeof(path), BASE "/clusters/%s/actions/cancel", h.cluster_id);
	assert_int_equal(mh_req(&h, "POST", path, NULL, NULL), 409);
	assert_true(reach(&h, "ready", 200));
	snprintf(path, sizeof(path), BASE "/clusters/%s/actions/install", h.cluster_id);
	assert_int_equal(mh_req(&h, "POST", path, NULL, NULL), 202);
	h.hosts[0].install_started = 1;
	h.hosts[0].done = 1;
	assert_true(reach(&h, "installing", 200));
	snprintf(path, sizeof(path), BASE "/clusters/%s/actions/cancel", h.cluster_id);
	assert_int_equal(mh_req(&h, "POST", path, NULL, NULL), 202);
	assert_string_equal(mh_cluster_status(&h), "cancelled");
	assert_string_equal(mh_host_status(&h, 0), "cancelled");
	snprintf(path, sizeof(path), BASE "/clusters/%s/actions/reset", h.cluster_id);
	assert_int_equal(mh_req(&h, "POST", path, NULL, NULL), 202);
	assert_string_equal(mh_host_status(&h, 0), "resetting-pending-user-action");
	/* The agent boots the discovery image again: the same cluster installs again. */
	assert_int_equal(reregister(&h, 0), 201);
	h.hosts[0].install_started = 0;
	h.hosts[0].done = 0;
	h.hosts[0].stage_pos = 0;
	h.hosts[0].silent = 0;
	assert_true(reach(&h, "ready", 200));
	snprintf(path, sizeof(path), BASE "/clusters/%s/actions/install", h.cluster_id);
	assert_int_equal(mh_req(&h, "POST", path, NULL, NULL), 202);
	assert_true(reach(&h, "installed", 400));
	mh_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_requests),
		cmocka_unit_test(test_garbage_step_outputs),
		cmocka_unit_test(test_reregistration),
		cmocka_unit_test(test_install_timeout_and_failed_stage),
		cmocka_unit_test(test_cancel_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
