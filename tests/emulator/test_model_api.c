/* Error paths and REST details of the service model: strict bodies, error
 * shapes, 404/405, validations that keep hosts from `known`, stage order,
 * disconnection, API generations, URLs, counts and memory accounting. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model_harness.h"

#define BASE "/api/assisted-install/v2"
#define PS "{\\\"auths\\\":{\\\"cloud.openshift.com\\\":{\\\"auth\\\":\\\"dXNlcjpwYXNz\\\"}}}"
#define AGENT "quay.io/edge-infrastructure/assisted-installer-agent:latest"

static json_t *validation(struct mh *h, int i, const char *id)
{
	char path[256];
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts/%s", h->infra_env_id, h->hosts[i].id);
	assert_int_equal(mh_req(h, "GET", path, NULL, NULL), 200);
	json_t *host = mh_json(h), *groups, *l, *e, *found = NULL;
	const char *g;
	size_t k;
	groups = json_loads(json_string_value(json_object_get(host, "validations_info")), 0, NULL);
	assert_non_null(groups);
	json_object_foreach(groups, g, l) {
		json_array_foreach(l, k, e)
			if (strcmp(json_string_value(json_object_get(e, "id")), id) == 0)
				found = json_incref(e);
	}
	json_decref(groups);
	json_decref(host);
	assert_non_null(found);
	return found;
}

static void assert_validation(struct mh *h, int i, const char *id, const char *status)
{
	json_t *v = validation(h, i, id);
	assert_string_equal(json_string_value(json_object_get(v, "status")), status);
	json_decref(v);
}

static void steps(struct mh *h, int n, double s)
{
	for (int i = 0; i < n; i++)
		mh_step(h, s);
}

static void test_missing_timestamp(void **state)
{
	struct mh h;
	(void)state;
	mh_init(&h, NULL);
	mh_create_cluster(&h, 1, 1);
	mh_add_hosts(&h, 1);
	h.hosts[0].send_timestamp = 0;
	steps(&h, 60, 5.0);
	assert_string_equal(mh_host_status(&h, 0), "insufficient");
	assert_validation(&h, 0, "time-synced-between-host-and-service", "pending");
	assert_validation(&h, 0, "has-inventory", "success");
	assert_string_equal(mh_cluster_status(&h), "insufficient");
	/* Once the timestamp arrives the host becomes known. */
	h.hosts[0].send_timestamp = 1;
	steps(&h, 30, 5.0);
	assert_string_equal(mh_host_status(&h, 0), "known");
	mh_free(&h);
}

static void test_wrong_agent_version(void **state)
{
	struct mh h;
	char path[256];
	(void)state;
	mh_init(&h, NULL);
	mh_create_cluster(&h, 1, 1);
	mh_add_hosts(&h, 1);
	h.hosts[0].agent_version = "quay.io/edge-infrastructure/assisted-installer-agent:v1.0";
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts/%s/instructions", h.infra_env_id,
	         h.hosts[0].id);
	assert_int_equal(mh_req_full(&h, "GET", path, "timestamp=1790000000", NULL, 0, NULL,
	                             h.hosts[0].agent_version), 200);
	json_t *j = mh_json(&h);
	json_t *ins = json_object_get(j, "instructions");
	assert_int_equal(json_array_size(ins), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ins, 0), "step_type")),
	                    "upgrade-agent");
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(ins, 0),
	                                                                     "args"), 0)),
	                    "{\"agent_image\":\"" AGENT "\"}");
	json_decref(j);
	steps(&h, 40, 5.0);
	assert_string_not_equal(mh_host_status(&h, 0), "known");
	assert_validation(&h, 0, "compatible-agent", "failure");
	mh_free(&h);
}

static void test_bad_inventory(void **state)
{
	struct mh h;
	(void)state;
	mh_init(&h, NULL);
	mh_create_cluster(&h, 3, 0);
	mh_add_hosts(&h, 3);
	h.hosts[0].cores = 2;           /* below the master minimum */
	h.hosts[1].disk = 50000000000ULL; /* no eligible disk (< 100 GB) */
	steps(&h, 60, 5.0);
	assert_string_equal(mh_host_status(&h, 1), "insufficient");
	assert_validation(&h, 1, "has-min-valid-disks", "failure");
	assert_string_equal(mh_cluster_status(&h), "insufficient");
	/* Host 0 can only be a worker: the cluster lacks a third master. */
	json_t *v = validation(&h, 0, "has-cpu-cores-for-role");
	assert_string_equal(json_string_value(json_object_get(v, "status")), "success");
	json_decref(v);
	char path[256];
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts/%s", h.infra_env_id, h.hosts[0].id);
	assert_int_equal(mh_req(&h, "PATCH", path, NULL, "{\"host_role\":\"master\"}"), 201);
	steps(&h, 10, 5.0);
	assert_string_equal(mh_host_status(&h, 0), "insufficient");
	v = validation(&h, 0, "has-cpu-cores-for-role");
	assert_string_equal(json_string_value(json_object_get(v, "status")), "failure");
	assert_string_equal(json_string_value(json_object_get(v, "message")),
	                    "Require at least 4 CPU cores for master role, found only 2");
	json_decref(v);
	mh_free(&h);
}

static void test_hostname_and_ip_collisions(void **state)
{
	struct mh h;
	(void)state;
	mh_init(&h, NULL);
	mh_create_cluster(&h, 3, 0);
	mh_add_hosts(&h, 4);
	h.hosts[2].name_as = 2; /* host 2 reports host 1's hostname */
	h.hosts[3].ip_as = 1;   /* host 3 reports host 0's IP with its own MAC */
	steps(&h, 60, 5.0);
	assert_validation(&h, 0, "hostname-unique", "success");
	assert_validation(&h, 1, "hostname-unique", "failure");
	assert_validation(&h, 2, "hostname-unique", "failure");
	json_t *v = validation(&h, 2, "hostname-unique");
	assert_string_equal(json_string_value(json_object_get(v, "message")),
	                    "Hostname swarm-h2 is not unique in cluster");
	json_decref(v);
	assert_validation(&h, 0, "no-ip-collisions-in-network", "failure");
	assert_validation(&h, 3, "no-ip-collisions-in-network", "failure");
	assert_validation(&h, 1, "no-ip-collisions-in-network", "success");
	assert_string_equal(mh_host_status(&h, 2), "insufficient");
	/* Renaming host 2 resolves its duplicate at the next monitor pass. */
	char path[256];
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts/%s", h.infra_env_id, h.hosts[2].id);
	assert_int_equal(mh_req(&h, "PATCH", path, NULL, "{\"host_name\":\"renamed-2\"}"), 201);
	steps(&h, 3, 5.0);
	assert_validation(&h, 1, "hostname-unique", "success");
	assert_validation(&h, 2, "hostname-unique", "success");
	assert_int_equal(mh_req(&h, "PATCH", path, NULL, "{\"host_name\":\"Bad_Name\"}"), 201);
	steps(&h, 3, 5.0);
	assert_validation(&h, 2, "hostname-valid", "failure");
	mh_free(&h);
}

static void test_stage_order(void **state)
{
	struct mh h;
	char path[256];
	(void)state;
	mh_init(&h, NULL);
	mh_create_cluster(&h, 1, 1);
	mh_add_hosts(&h, 1);
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts/%s/progress", h.infra_env_id,
	         h.hosts[0].id);
	/* Not installing yet. */
	assert_int_equal(mh_req(&h, "PUT", path, NULL, "{\"current_stage\":\"Installing\"}"), 409);
	for (int i = 0; i < 100 && strcmp(mh_cluster_status(&h), "ready"); i++)
		mh_step(&h, 5.0);
	char ipath[256];
	snprintf(ipath, sizeof(ipath), BASE "/clusters/%s/actions/install", h.cluster_id);
	assert_int_equal(mh_req(&h, "POST", ipath, NULL, NULL), 202);
	/* Keep the harness installer out: only polls and monitors. */
	h.hosts[0].install_started = 1;
	h.hosts[0].done = 1;
	for (int i = 0; i < 100 && strcmp(mh_host_status(&h, 0), "installing"); i++)
		mh_step(&h, 5.0);
	assert_string_equal(mh_host_status(&h, 0), "installing");
	assert_int_equal(mh_req(&h, "PUT", path, NULL,
	                        "{\"current_stage\":\"Writing image to disk\",\"progress_info\":\"45%\"}"),
	                 200);
	assert_null(h.last_body);
	assert_string_equal(mh_host_status(&h, 0), "installing-in-progress");
	assert_int_equal(mh_req(&h, "PUT", path, NULL, "{\"current_stage\":\"Installing\"}"), 409);
	assert_string_equal(h.last_body,
	                    "{\"kind\":\"Error\",\"id\":409,\"href\":\"\",\"code\":\"409\",\"reason\":"
	                    "\"Can't assign lower stage \\\"Installing\\\" after host has been in stage "
	                    "\\\"Writing image to disk\\\"\"}");
	/* Not in the SNO list. */
	assert_int_equal(mh_req(&h, "PUT", path, NULL, "{\"current_stage\":\"Waiting for ignition\"}"),
	                 409);
	/* Not in the enum at all. */
	assert_int_equal(mh_req(&h, "PUT", path, NULL, "{\"current_stage\":\"Nope\"}"), 400);
	assert_int_equal(mh_req(&h, "PUT", path, NULL, "{\"current_stage\":\"Rebooting\",\"x\":1}"),
	                 400);
	assert_int_equal(mh_req(&h, "PUT", path, NULL, "{\"current_stage\":\"Done\"}"), 200);
	assert_string_equal(mh_host_status(&h, 0), "installed");
	assert_int_equal(mh_req(&h, "PUT", path, NULL, "{\"current_stage\":\"Done\"}"), 409);
	mh_free(&h);
}

/* Brings a fresh single-node cluster to "installing" with the harness
 * installer kept out, so the test answers the install step itself. */
static void installing_sno(struct mh *h, char *reply_path, size_t len)
{
	mh_init(h, NULL);
	mh_create_cluster(h, 1, 1);
	mh_add_hosts(h, 1);
	for (int i = 0; i < 100 && strcmp(mh_cluster_status(h), "ready"); i++)
		mh_step(h, 5.0);
	char ipath[256];
	snprintf(ipath, sizeof(ipath), BASE "/clusters/%s/actions/install", h->cluster_id);
	assert_int_equal(mh_req(h, "POST", ipath, NULL, NULL), 202);
	h->hosts[0].install_started = 1;
	h->hosts[0].done = 1;
	for (int i = 0; i < 100 && strcmp(mh_host_status(h, 0), "installing"); i++)
		mh_step(h, 5.0);
	assert_string_equal(mh_host_status(h, 0), "installing");
	snprintf(reply_path, len, BASE "/infra-envs/%s/hosts/%s/instructions", h->infra_env_id,
	         h->hosts[0].id);
}

/* A repeated install step answered 125 with "already in use" in "error" (what
 * podman prints there) leaves the host installing, as the service does; the
 * same text only in "output", or another exit code, fails the host. */
static void test_install_step_already_running(void **state)
{
	(void)state;
	struct mh h;
	char path[256];
	static const char in_use[] =
		"Error: error creating container storage: the container name \\\"assisted-installer\\\" "
		"is already in use by \\\"331fe687f4af\\\". You have to remove that container to be able "
		"to reuse that name.: that name is already in use\\n";
	char body[1024];
	installing_sno(&h, path, sizeof(path));
	snprintf(body, sizeof(body), "{\"step_type\":\"install\",\"step_id\":\"install-1\","
	         "\"exit_code\":125,\"output\":\"\",\"error\":\"%s\"}", in_use);
	assert_int_equal(mh_req(&h, "POST", path, NULL, body), 204);
	assert_string_equal(mh_host_status(&h, 0), "installing");
	mh_step(&h, 10.0);
	assert_string_equal(mh_host_status(&h, 0), "installing");
	mh_free(&h);

	installing_sno(&h, path, sizeof(path));
	snprintf(body, sizeof(body), "{\"step_type\":\"install\",\"step_id\":\"install-1\","
	         "\"exit_code\":125,\"output\":\"%s\",\"error\":\"Some random error\"}", in_use);
	assert_int_equal(mh_req(&h, "POST", path, NULL, body), 204);
	assert_string_equal(mh_host_status(&h, 0), "error");
	mh_free(&h);

	installing_sno(&h, path, sizeof(path));
	snprintf(body, sizeof(body), "{\"step_type\":\"install\",\"step_id\":\"install-1\","
	         "\"exit_code\":1,\"output\":\"\",\"error\":\"%s\"}", in_use);
	assert_int_equal(mh_req(&h, "POST", path, NULL, body), 204);
	assert_string_equal(mh_host_status(&h, 0), "error");
	mh_free(&h);
}

static void test_silent_host(void **state)
{
	struct mh h;
	char path[256];
	(void)state;
	mh_init(&h, NULL);
	mh_create_cluster(&h, 3, 0);
	mh_add_hosts(&h, 3);
	for (int i = 0; i < 200 && strcmp(mh_cluster_status(&h), "ready"); i++)
		mh_step(&h, 5.0);
	assert_string_equal(mh_cluster_status(&h), "ready");
	h.hosts[2].silent = 1;
	steps(&h, 24, 5.0); /* 2 min: still connected */
	assert_string_equal(mh_host_status(&h, 2), "known");
	steps(&h, 24, 5.0); /* 4 min */
	assert_string_equal(mh_host_status(&h, 2), "disconnected");
	steps(&h, 3, 5.0);
	assert_string_equal(mh_cluster_status(&h), "insufficient");
	snprintf(path, sizeof(path), BASE "/clusters/%s/actions/install", h.cluster_id);
	assert_int_equal(mh_req(&h, "POST", path, NULL, NULL), 409);
	assert_string_equal(h.last_body, "{\"kind\":\"Error\",\"id\":409,\"href\":\"\",\"code\":\"409\","
	                                 "\"reason\":\"Cluster is not ready for installation\"}");
	/* A disconnected host polls every 120 s and gets inventory. */
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts/%s/instructions", h.infra_env_id,
	         h.hosts[2].id);
	assert_int_equal(mh_req_full(&h, "GET", path, "timestamp=1", NULL, 0, NULL, AGENT), 200);
	json_t *j = mh_json(&h);
	assert_int_equal(json_integer_value(json_object_get(j, "next_instruction_seconds")), 120);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(json_object_get(j, "instructions"), 0), "step_type")),
	                    "inventory");
	json_decref(j);
	mh_free(&h);
}

static void test_strict_bodies(void **state)
{
	struct mh h;
	(void)state;
	mh_init(&h, NULL);
	assert_int_equal(mh_req(&h, "POST", BASE "/clusters", NULL,
	                        "{\"name\":\"a\",\"openshift_version\":\"4.22\",\"pull_secret\":\"" PS
	                        "\",\"foo\":1}"),
	                 400);
	assert_string_equal(h.last_body,
	                    "{\"code\":400,\"message\":\"parsing new-cluster-params body from \\\"\\\" "
	                    "failed, because json: unknown field \\\"foo\\\"\"}");
	/* Nested objects are strict too. */
	assert_int_equal(mh_req(&h, "POST", BASE "/clusters", NULL,
	                        "{\"name\":\"a\",\"openshift_version\":\"4.22\",\"pull_secret\":\"" PS
	                        "\",\"api_vips\":[{\"ip\":\"10.0.0.1\",\"bogus\":true}]}"),
	                 400);
	assert_non_null(strstr(h.last_body, "unknown field \\\"bogus\\\""));
	/* Wrong JSON type. */
	assert_int_equal(mh_req(&h, "POST", BASE "/clusters", NULL,
	                        "{\"name\":5,\"openshift_version\":\"4.22\",\"pull_secret\":\"" PS "\"}"),
	                 400);
	assert_non_null(strstr(h.last_body, "cannot unmarshal number"));
	/* Malformed JSON. */
	assert_int_equal(mh_req(&h, "POST", BASE "/clusters", NULL, "{\"name\":"), 400);
	json_t *j = mh_json(&h);
	assert_int_equal(json_integer_value(json_object_get(j, "code")), 400);
	assert_true(json_is_string(json_object_get(j, "message")));
	json_decref(j);
	/* Missing required field. */
	assert_int_equal(mh_req(&h, "POST", BASE "/clusters", NULL,
	                        "{\"name\":\"a\",\"openshift_version\":\"4.22\"}"),
	                 400);
	assert_string_equal(h.last_body,
	                    "{\"code\":602,\"message\":\"new-cluster-params.pull_secret in body is required\"}");
	/* Bad cluster name: handler error shape. */
	assert_int_equal(mh_req(&h, "POST", BASE "/clusters", NULL,
	                        "{\"name\":\"Bad_Name\",\"openshift_version\":\"4.22\",\"pull_secret\":\"" PS "\"}"),
	                 400);
	j = mh_json(&h);
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "Error");
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 400);
	assert_string_equal(json_string_value(json_object_get(j, "code")), "400");
	json_decref(j);
	mh_free(&h);
}

static void test_not_found_and_methods(void **state)
{
	struct mh h;
	(void)state;
	mh_init(&h, NULL);
	assert_int_equal(mh_req(&h, "GET", BASE "/clusters/3b241e26-8cf5-4c0b-bd19-43fe1cf8bd8f", NULL,
	                        NULL),
	                 404);
	assert_string_equal(h.last_body,
	                    "{\"kind\":\"Error\",\"id\":404,\"href\":\"\",\"code\":\"404\",\"reason\":"
	                    "\"cluster 3b241e26-8cf5-4c0b-bd19-43fe1cf8bd8f can not be found\"}");
	assert_int_equal(mh_req(&h, "GET", BASE "/clusters/not-a-uuid", NULL, NULL), 400);
	assert_string_equal(h.last_body, "{\"code\":601,\"message\":\"cluster_id in path must be of "
	                                 "type uuid: \\\"not-a-uuid\\\"\"}");
	assert_int_equal(mh_req(&h, "GET", BASE "/nothing/here", NULL, NULL), 404);
	assert_string_equal(h.last_body,
	                    "{\"code\":404,\"message\":\"path " BASE "/nothing/here was not found\"}");
	assert_int_equal(mh_req(&h, "GET", "/elsewhere", NULL, NULL), 404);
	assert_int_equal(mh_req(&h, "PUT", BASE "/clusters", NULL, "{}"), 405);
	assert_string_equal(h.last_body,
	                    "{\"code\":405,\"message\":\"method PUT is not allowed, but [POST,GET] are\"}");
	/* Unknown host under a known infra-env. */
	mh_create_cluster(&h, 1, 1);
	char path[256];
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts/%s/instructions", h.infra_env_id,
	         "3b241e26-8cf5-4c0b-bd19-43fe1cf8bd8f");
	assert_int_equal(mh_req(&h, "GET", path, NULL, NULL), 404);
	json_t *j = mh_json(&h);
	assert_string_equal(json_string_value(json_object_get(j, "code")), "404");
	json_decref(j);
	mh_free(&h);
}

static void test_generation_2023(void **state)
{
	struct emu_model_cfg cfg;
	struct mh h;
	char path[256];
	(void)state;
	emu_model_cfg_init(&cfg);
	cfg.api = EMU_API_2023;
	mh_init(&h, &cfg);
	assert_int_equal(mh_req(&h, "POST", BASE "/clusters", NULL,
	                        "{\"name\":\"a\",\"openshift_version\":\"4.14\",\"pull_secret\":\"" PS
	                        "\",\"control_plane_count\":3}"),
	                 400);
	assert_non_null(strstr(h.last_body, "unknown field \\\"control_plane_count\\\""));
	assert_int_equal(mh_req(&h, "POST", BASE "/clusters", NULL,
	                        "{\"name\":\"a\",\"openshift_version\":\"4.14\",\"pull_secret\":\"" PS
	                        "\",\"high_availability_mode\":\"Full\",\"base_dns_domain\":\"example.com\"}"),
	                 201);
	json_t *j = mh_json(&h);
	assert_null(json_object_get(j, "control_plane_count"));
	snprintf(path, sizeof(path), BASE "/clusters/%s", json_string_value(json_object_get(j, "id")));
	json_decref(j);
	assert_int_equal(mh_req(&h, "PATCH", path, NULL, "{\"api_vips\":[{\"ip\":\"10.123.255.253\"}]}"),
	                 400);
	assert_string_equal(h.last_body,
	                    "{\"kind\":\"Error\",\"id\":400,\"href\":\"\",\"code\":\"400\",\"reason\":"
	                    "\"request must include apiVIP alongside apiVIPs\"}");
	assert_int_equal(mh_req(&h, "PATCH", path, NULL,
	                        "{\"api_vip\":\"10.123.255.253\",\"api_vips\":[{\"ip\":\"10.123.255.253\"}],"
	                        "\"ingress_vip\":\"10.123.255.254\",\"ingress_vips\":[{\"ip\":\"10.123.255.254\"}]}"),
	                 201);
	j = mh_json(&h);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(json_object_get(j, "api_vips"), 0), "ip")),
	                    "10.123.255.253");
	json_decref(j);
	mh_free(&h);

	/* The current generation takes api_vips alone and refuses api_vip. */
	mh_init(&h, NULL);
	mh_create_cluster(&h, 3, 0);
	snprintf(path, sizeof(path), BASE "/clusters/%s", h.cluster_id);
	assert_int_equal(mh_req(&h, "PATCH", path, NULL, "{\"api_vips\":[{\"ip\":\"10.123.255.250\"}]}"),
	                 201);
	assert_int_equal(mh_req(&h, "PATCH", path, NULL, "{\"api_vip\":\"10.123.255.250\"}"), 400);
	assert_non_null(strstr(h.last_body, "unknown field \\\"api_vip\\\""));
	mh_free(&h);
}

static int fake_token(void *arg, const char *ie, char *out, size_t len)
{
	(void)arg;
	snprintf(out, len, "tok-%.8s", ie);
	return 0;
}

static void test_register_and_urls(void **state)
{
	struct emu_model_cfg cfg;
	struct mh h;
	char path[256];
	(void)state;
	mh_init(&h, NULL);
	mh_create_cluster(&h, 1, 1);
	snprintf(path, sizeof(path), BASE "/infra-envs/%s", h.infra_env_id);
	assert_int_equal(mh_req(&h, "GET", path, NULL, NULL), 200);
	json_t *j = mh_json(&h);
	char want[256];
	snprintf(want, sizeof(want), "https://image-service.emulator.local/byid/%s/4.22/x86_64/full.iso",
	         h.infra_env_id);
	assert_string_equal(json_string_value(json_object_get(j, "download_url")), want);
	json_decref(j);
	/* Registration: 201 host_registration_response with the runner command. */
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts", h.infra_env_id);
	assert_int_equal(mh_req(&h, "POST", path, NULL,
	                        "{\"host_id\":\"3b241e26-8cf5-4c0b-bd19-43fe1cf8bd8f\"}"),
	                 201);
	j = mh_json(&h);
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "Host");
	assert_string_equal(json_string_value(json_object_get(j, "status")), "discovering");
	assert_string_equal(json_string_value(json_object_get(j, "role")), "master");
	assert_true(json_is_true(json_object_get(j, "bootstrap")));
	json_t *nsr = json_object_get(j, "next_step_runner_command");
	json_t *a0 = json_loads(json_string_value(json_array_get(json_object_get(nsr, "args"), 0)), 0,
	                        NULL);
	assert_string_equal(json_string_value(json_object_get(a0, "agent_version")), AGENT);
	assert_string_equal(json_string_value(json_object_get(a0, "host_id")),
	                    "3b241e26-8cf5-4c0b-bd19-43fe1cf8bd8f");
	json_decref(a0);
	json_decref(j);
	/* Bad host id in the body. */
	assert_int_equal(mh_req(&h, "POST", path, NULL, "{\"host_id\":\"zzz\"}"), 400);
	/* Step replies: unparseable inventory is a 400, unknown step types a 400. */
	snprintf(path, sizeof(path), BASE "/infra-envs/%s/hosts/3b241e26-8cf5-4c0b-bd19-43fe1cf8bd8f/instructions",
	         h.infra_env_id);
	assert_int_equal(mh_req(&h, "POST", path, NULL,
	                        "{\"step_type\":\"inventory\",\"step_id\":\"inventory-1\",\"output\":\"{nope\"}"),
	                 400);
	assert_int_equal(mh_req(&h, "POST", path, NULL, "{\"step_type\":\"dance\",\"step_id\":\"x\"}"),
	                 400);
	assert_int_equal(mh_req(&h, "POST", path, NULL,
	                        "{\"step_type\":\"stop-installation\",\"step_id\":\"s\",\"output\":\"whatever\"}"),
	                 204);
	/* Files and ingress certs before installation. */
	snprintf(path, sizeof(path), BASE "/clusters/%s/downloads/files", h.cluster_id);
	assert_int_equal(mh_req(&h, "GET", path, "file_name=bootstrap.ign", NULL), 409);
	assert_int_equal(mh_req(&h, "GET", path, "file_name=evil.ign", NULL), 400);
	snprintf(path, sizeof(path), BASE "/clusters/%s/uploads/ingress-cert", h.cluster_id);
	assert_int_equal(mh_req(&h, "POST", path, NULL, "\"-----BEGIN CERTIFICATE-----\""), 400);
	/* Logs upload. */
	snprintf(path, sizeof(path), BASE "/clusters/%s/logs", h.cluster_id);
	const char mp[] = "--b\r\nContent-Disposition: form-data; name=\"upfile\"; filename=\"l.tar.gz\"\r\n\r\nxx\r\n--b--\r\n";
	assert_int_equal(mh_req_full(&h, "POST", path, "logs_type=host", mp, sizeof(mp) - 1,
	                             "multipart/form-data; boundary=b", NULL),
	                 400);
	char q[256];
	snprintf(q, sizeof(q), "logs_type=host&infra_env_id=%s&host_id=3b241e26-8cf5-4c0b-bd19-43fe1cf8bd8f",
	         h.infra_env_id);
	assert_int_equal(mh_req_full(&h, "POST", path, q, mp, sizeof(mp) - 1,
	                             "multipart/form-data; boundary=b", NULL),
	                 204);
	assert_int_equal(mh_req_full(&h, "POST", path, q, "{}", 2, "application/json", NULL), 415);
	/* Component versions. */
	assert_int_equal(mh_req(&h, "GET", BASE "/component-versions", NULL, NULL), 200);
	j = mh_json(&h);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "versions"),
	                                                      "discovery-agent")), AGENT);
	assert_string_equal(json_string_value(json_object_get(j, "release_tag")), "v2.40.0");
	json_decref(j);
	mh_free(&h);

	emu_model_cfg_init(&cfg);
	cfg.auth = EMU_AUTH_LOCAL;
	cfg.make_infraenv_token = fake_token;
	mh_init(&h, &cfg);
	mh_create_cluster(&h, 1, 1);
	snprintf(path, sizeof(path), BASE "/infra-envs/%s", h.infra_env_id);
	assert_int_equal(mh_req(&h, "GET", path, NULL, NULL), 200);
	j = mh_json(&h);
	snprintf(want, sizeof(want),
	         "https://image-service.emulator.local/byapikey/tok-%.8s/4.22/x86_64/full.iso",
	         h.infra_env_id);
	assert_string_equal(json_string_value(json_object_get(j, "download_url")), want);
	json_decref(j);
	/* The debug dump does not show the token. */
	json_t *d = emu_model_dump(h.m);
	const char *dumped = json_string_value(json_object_get(
		json_array_get(json_object_get(d, "infra_envs"), 0), "download_url"));
	assert_string_equal(dumped, "https://image-service.emulator.local/byapikey/<masked>/4.22/x86_64/full.iso");
	char *all = json_dumps(d, JSON_COMPACT);
	assert_null(strstr(all, "tok-"));
	free(all);
	json_decref(d);
	mh_free(&h);
}

static void test_counts_memory_determinism(void **state)
{
	struct mh h, h2;
	uint64_t hc[AS_HOST_STATUS_COUNT], cc[AS_CLUSTER_STATUS_COUNT];
	(void)state;
	mh_init(&h, NULL);
	mh_init(&h2, NULL);
	mh_create_cluster(&h, 3, 0);
	mh_create_cluster(&h2, 3, 0);
	assert_string_equal(h.cluster_id, h2.cluster_id); /* same seed, same ids */
	mh_add_hosts(&h, 5);
	emu_model_counts(h.m, hc, cc);
	assert_int_equal(hc[AS_HOST_DISCOVERING], 5);
	assert_int_equal(cc[AS_CLUSTER_PENDING_FOR_INPUT] + cc[AS_CLUSTER_INSUFFICIENT], 1);
	size_t b = emu_model_bytes_per_host(h.m);
	assert_true(b > sizeof(void *));
	assert_true(b < 4096 * 8); /* tiny populations amortise poorly; the bench measures 100k */
	json_t *d = emu_model_dump(h.m);
	assert_int_equal(json_array_size(json_object_get(d, "hosts")), 5);
	json_decref(d);
	/* Delete the cluster: hosts go with it. */
	char path[256];
	snprintf(path, sizeof(path), BASE "/clusters/%s", h.cluster_id);
	assert_int_equal(mh_req(&h, "DELETE", path, NULL, NULL), 204);
	assert_int_equal(mh_req(&h, "GET", path, NULL, NULL), 404);
	emu_model_counts(h.m, hc, cc);
	assert_int_equal(hc[AS_HOST_DISCOVERING], 0);
	mh_free(&h);
	mh_free(&h2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_timestamp),
		cmocka_unit_test(test_wrong_agent_version),
		cmocka_unit_test(test_bad_inventory),
		cmocka_unit_test(test_hostname_and_ip_collisions),
		cmocka_unit_test(test_stage_order),
		cmocka_unit_test(test_install_step_already_running),
		cmocka_unit_test(test_silent_host),
		cmocka_unit_test(test_strict_bodies),
		cmocka_unit_test(test_not_found_and_methods),
		cmocka_unit_test(test_generation_2023),
		cmocka_unit_test(test_register_and_urls),
		cmocka_unit_test(test_counts_memory_determinism),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
