/* steps: the reply to every step type, from args as the service sends them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "as_model.h"
#include "inventory.h"
#include "steps.h"

static struct inventory_host inv = {
	.hostname = "swarm-1-0-1", .mac = "02:00:00:00:00:01", .ip = "10.0.0.2", .prefix = 16,
	.net_addr = "10.0.0.0", .gateway = "10.0.255.1", .cpu_arch = "x86_64", .serial = 7,
};
static struct steps_host host = {
	.inv = &inv, .api_vip = "10.0.255.253", .ingress_vip = "10.0.255.254", .other_ip = "192.0.2.10",
};

/* Builds an instruction {"step_type","step_id","args":[arg0, arg1]}. */
static json_t *ins(const char *type, const char *arg0, const char *arg1)
{
	json_t *args = json_array();
	if (arg0)
		json_array_append_new(args, json_string(arg0));
	if (arg1)
		json_array_append_new(args, json_string(arg1));
	return json_pack("{s:s,s:s,s:o}", "step_type", type, "step_id", "x-1a2b3c4d", "args", args);
}

/* Answers instruction |i| (as the JSON text the service sends) and
 * returns the parsed output (NULL when none). */
static json_t *answer(json_t *i, struct steps_reply *r)
{
	json_t *out;
	char *txt = json_dumps(i, JSON_COMPACT);
	assert_non_null(txt);
	assert_int_equal(steps_answer_json(&host, txt, strlen(txt), r), 0);
	free(txt);
	json_decref(i);
	if (!r->output)
		return NULL;
	out = json_loads(r->output, JSON_DECODE_ANY, NULL);
	assert_non_null(out);
	return out;
}

static void test_inventory(void **state)
{
	struct steps_reply r;
	json_t *o = answer(ins("inventory", "3b241e26-8cf5-4c0b-bd19-43fe1cf8bd8f", NULL), &r);
	(void)state;
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.type, AS_STEP_INVENTORY);
	assert_string_equal(json_string_value(json_object_get(o, "hostname")), "swarm-1-0-1");
	json_decref(o);
	steps_reply_clear(&r);
}

static void test_connectivity(void **state)
{
	struct steps_reply r;
	const char *arg = "[{\"host_id\":\"h2\",\"nics\":[{\"name\":\"ens3\",\"mac\":\"02:00:00:00:00:02\","
	                  "\"ip_addresses\":[\"10.0.0.3\"]}]},{\"host_id\":\"h3\",\"nics\":[{\"name\":\"ens3\","
	                  "\"mac\":\"02:00:00:00:00:03\",\"ip_addresses\":[\"10.0.0.4/16\"]}]}]";
	json_t *o = answer(ins("connectivity-check", arg, NULL), &r), *rh, *l2, *l3;
	(void)state;
	rh = json_object_get(o, "remote_hosts");
	assert_int_equal(json_array_size(rh), 2);
	l2 = json_array_get(json_object_get(json_array_get(rh, 1), "l2_connectivity"), 0);
	assert_string_equal(json_string_value(json_object_get(l2, "remote_ip_address")), "10.0.0.4");
	assert_string_equal(json_string_value(json_object_get(l2, "remote_mac")), "02:00:00:00:00:03");
	assert_string_equal(json_string_value(json_object_get(l2, "outgoing_nic")), "ens3");
	assert_true(json_is_true(json_object_get(l2, "successful")));
	l3 = json_array_get(json_object_get(json_array_get(rh, 0), "l3_connectivity"), 0);
	assert_true(json_is_true(json_object_get(l3, "successful")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(rh, 0), "host_id")), "h2");
	json_decref(o);
	steps_reply_clear(&r);
}

static void test_domains(void **state)
{
	struct steps_reply r;
	const char *arg = "{\"domains\":[{\"domain_name\":\"api.c1.example.com\"},"
	                  "{\"domain_name\":\"api-int.c1.example.com\"},"
	                  "{\"domain_name\":\"console-openshift-console.apps.c1.example.com\"},"
	                  "{\"domain_name\":\"validateNoWildcardDNS.c1.example.com.\"},"
	                  "{\"domain_name\":\"validateNoWildcardDNS.c1.example.com\"},"
	                  "{\"domain_name\":\"quay.io\"}]}";
	json_t *o = answer(ins("domain-resolution", arg, NULL), &r), *res, *e;
	size_t i;
	(void)state;
	res = json_object_get(o, "resolutions");
	assert_int_equal(json_array_size(res), 6);
	json_array_foreach(res, i, e) {
		const char *n = json_string_value(json_object_get(e, "domain_name"));
		json_t *v4 = json_object_get(e, "ipv4_addresses");
		assert_non_null(n);
		assert_int_equal(json_array_size(json_object_get(e, "ipv6_addresses")), 0);
		assert_int_equal(json_array_size(json_object_get(e, "cnames")), 0);
		if (!strncmp(n, "validateNoWildcardDNS", 21)) {
			assert_int_equal(json_array_size(v4), 0);
			continue;
		}
		assert_int_equal(json_array_size(v4), 1);
		/* never one of the host's own addresses */
		assert_string_not_equal(json_string_value(json_array_get(v4, 0)), inv.ip);
	}
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(res, 0),
	                    "ipv4_addresses"), 0)), "10.0.255.253");
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(res, 2),
	                    "ipv4_addresses"), 0)), "10.0.255.254");
	json_decref(o);
	steps_reply_clear(&r);

	/* elements that are no object or have no string name are skipped; an
	 * escaped name is decoded; the last of duplicate members counts */
	o = answer(ins("domain-resolution", "{\"domains\":[1],\"domains\":[{\"domain_name\":\"quay.i\\u006f\"},"
	               "\"api.x\",{\"domain_name\":7},{}]}", NULL), &r);
	res = json_object_get(o, "resolutions");
	assert_int_equal(json_array_size(res), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(res, 0), "domain_name")), "quay.io");
	json_decref(o);
	steps_reply_clear(&r);

	/* no list (or no valid document): the step fails */
	assert_null(answer(ins("domain-resolution", "{\"domains\":{}}", NULL), &r));
	assert_int_not_equal(r.exit_code, 0);
	steps_reply_clear(&r);
	assert_null(answer(ins("domain-resolution", "{\"domains\":[]", NULL), &r));
	assert_int_not_equal(r.exit_code, 0);
	steps_reply_clear(&r);
	assert_null(answer(ins("container-image-availability", "[\"images\"]", NULL), &r));
	assert_int_not_equal(r.exit_code, 0);
	steps_reply_clear(&r);
	o = answer(ins("container-image-availability", "{\"images\":[\"a\\/b\",2,null,{\"x\":1},\"c\"]}", NULL), &r);
	assert_int_equal(json_array_size(json_object_get(o, "images")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(o, "images"), 0), "name")),
	                    "a/b");
	json_decref(o);
	steps_reply_clear(&r);
}

static void test_free_addresses(void **state)
{
	struct steps_reply r;
	json_t *o = answer(ins("free-network-addresses", "[\"10.0.252.0/22\",\"fd00::/64\"]", NULL), &r);
	json_t *e;
	(void)state;
	assert_int_equal(json_array_size(o), 1);
	e = json_array_get(o, 0);
	assert_string_equal(json_string_value(json_object_get(e, "network")), "10.0.252.0/22");
	/* the VIPs are in that /22 and listed free */
	assert_string_equal(json_string_value(json_array_get(json_object_get(e, "free_addresses"), 0)),
	                    "10.0.255.253");
	assert_true(json_array_size(json_object_get(e, "free_addresses")) >= 3);
	json_decref(o);
	steps_reply_clear(&r);
}

static void test_ntp_vips_disk_images(void **state)
{
	struct steps_reply r;
	json_t *o, *e;
	(void)state;

	o = answer(ins("ntp-synchronizer", "{\"ntp_source\":\"a.example, b.example\"}", NULL), &r);
	e = json_array_get(json_object_get(o, "ntp_sources"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "source_state")), "synced");
	assert_int_equal(json_array_size(json_object_get(o, "ntp_sources")), 3);
	json_decref(o);
	steps_reply_clear(&r);

	o = answer(ins("verify-vips", "[{\"vip\":\"10.0.255.253\",\"vip_type\":\"api\"},"
	               "{\"vip\":\"10.0.255.254\",\"vip_type\":\"ingress\"}]", NULL), &r);
	assert_int_equal(json_array_size(o), 2);
	e = json_array_get(o, 1);
	assert_string_equal(json_string_value(json_object_get(e, "vip_type")), "ingress");
	assert_string_equal(json_string_value(json_object_get(e, "verification")), "succeeded");
	json_decref(o);
	steps_reply_clear(&r);

	o = answer(ins("installation-disk-speed-check", "{\"path\":\"/dev/disk/by-id/wwn-0x5000c50000000007\"}",
	               "480.00"), &r);
	assert_int_equal(json_integer_value(json_object_get(o, "io_sync_duration")), 1);
	assert_string_equal(json_string_value(json_object_get(o, "path")),
	                    "/dev/disk/by-id/wwn-0x5000c50000000007");
	json_decref(o);
	steps_reply_clear(&r);

	o = answer(ins("container-image-availability", "{\"images\":[\"quay.io/a:1\",\"quay.io/b:2\","
	               "\"quay.io/c:3\"],\"timeout\":960}", NULL), &r);
	assert_int_equal(json_array_size(json_object_get(o, "images")), 3);
	e = json_array_get(json_object_get(o, "images"), 2);
	assert_string_equal(json_string_value(json_object_get(e, "name")), "quay.io/c:3");
	assert_string_equal(json_string_value(json_object_get(e, "result")), "success");
	assert_true(json_number_value(json_object_get(e, "download_rate")) >= 0.001);
	json_decref(o);
	steps_reply_clear(&r);
}

static void test_actions(void **state)
{
	struct steps_reply r;
	json_t *o;
	(void)state;

	o = answer(ins("install", "{\"cluster_id\":\"c\",\"infra_env_id\":\"i\",\"host_id\":\"h\","
	               "\"role\":\"bootstrap\",\"boot_device\":\"/dev/sda\",\"control_plane_count\":3}", NULL), &r);
	assert_null(o);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.action, STEPS_ACT_INSTALL);
	assert_int_equal(r.install_role, AS_ROLE_BOOTSTRAP);
	assert_string_equal(r.cluster_id, "c");
	steps_reply_clear(&r);

	o = answer(ins("install", "{\"role\":\"worker\"}", NULL), &r);
	assert_int_equal(r.install_role, AS_ROLE_WORKER);
	assert_string_equal(r.cluster_id, "");
	steps_reply_clear(&r);

	/* a duplicate member: the last one counts, as in jansson; escapes decoded */
	o = answer(ins("install", "{\"role\":\"worker\",\"cluster_id\":\"a\",\"role\":\"arb\\u0069ter\","
	               "\"cluster_id\":\"b\\/1\"}", NULL), &r);
	assert_int_equal(r.install_role, AS_ROLE_MASTER);
	assert_string_equal(r.cluster_id, "b/1");
	steps_reply_clear(&r);

	/* a cluster_id longer than the field is dropped, never cut */
	o = answer(ins("install", "{\"role\":\"master\",\"cluster_id\":"
	               "\"0123456789012345678901234567890123456789\"}", NULL), &r);
	assert_int_equal(r.install_role, AS_ROLE_MASTER);
	assert_string_equal(r.cluster_id, "");
	steps_reply_clear(&r);

	/* no role (not a string; no object at all): the step fails */
	o = answer(ins("install", "{\"role\":1,\"cluster_id\":\"c\"}", NULL), &r);
	assert_int_not_equal(r.exit_code, 0);
	assert_int_not_equal(r.action, STEPS_ACT_INSTALL);
	assert_string_equal(r.cluster_id, "");
	steps_reply_clear(&r);
	o = answer(ins("install", "{\"role\":\"master\"", NULL), &r);
	assert_int_not_equal(r.action, STEPS_ACT_INSTALL);
	steps_reply_clear(&r);

	/* older shell-command form */
	o = answer(ins("install", "-c", "podman run ... --role master --cluster-id x"), &r);
	assert_int_equal(r.install_role, AS_ROLE_MASTER);
	steps_reply_clear(&r);

	o = answer(ins("logs-gather", "{\"cluster_id\":\"c\",\"infra_env_id\":\"i\",\"host_id\":\"h\","
	               "\"bootstrap\":false,\"installer_gather\":true,\"master_ips\":[]}", NULL), &r);
	assert_int_equal(r.action, STEPS_ACT_LOGS);
	assert_int_equal(r.exit_code, 0);
	steps_reply_clear(&r);

	o = answer(ins("upgrade-agent", "{\"agent_image\":\"quay.io/agent:v2\"}", NULL), &r);
	assert_int_equal(r.action, STEPS_ACT_UPGRADE);
	assert_string_equal(r.upgrade_image, "quay.io/agent:v2");
	assert_string_equal(json_string_value(json_object_get(o, "result")), "success");
	json_decref(o);
	steps_reply_clear(&r);

	o = answer(ins("stop-installation", NULL, NULL), &r);
	assert_int_equal(r.action, STEPS_ACT_STOP);
	steps_reply_clear(&r);

	o = answer(ins("dhcp-lease-allocate", "{\"interface\":\"ens3\",\"api_vip_mac\":\"02:00:00:aa:00:01\","
	               "\"ingress_vip_mac\":\"02:00:00:aa:00:02\"}", NULL), &r);
	assert_string_equal(json_string_value(json_object_get(o, "api_vip_address")), "10.0.255.253");
	assert_non_null(strstr(json_string_value(json_object_get(o, "ingress_vip_lease")), "lease {"));
	json_decref(o);
	steps_reply_clear(&r);

	o = answer(ins("tang-connectivity-check", "{\"tang_servers\":[]}", NULL), &r);
	assert_true(json_is_true(json_object_get(o, "is_success")));
	json_decref(o);
	steps_reply_clear(&r);

	o = answer(ins("api-vip-connectivity-check", "{\"url\":\"http://api.x:22624/config/worker\"}", NULL), &r);
	assert_string_equal(json_string_value(json_object_get(o, "url")), "http://api.x:22624/config/worker");
	json_decref(o);
	steps_reply_clear(&r);

	o = answer(ins("download-boot-artifacts", "{\"kernel_url\":\"k\"}", NULL), &r);
	assert_int_equal(r.exit_code, 0);
	steps_reply_clear(&r);
	o = answer(ins("reboot-for-reclaim", "{\"host_fs_mount_dir\":\"/host\"}", NULL), &r);
	assert_int_equal(r.exit_code, 0);
	steps_reply_clear(&r);
}

static void test_bad_input(void **state)
{
	struct steps_reply r;
	json_t *o;
	const char *const types[] = {
		"connectivity-check", "free-network-addresses", "domain-resolution", "verify-vips",
		"installation-disk-speed-check", "container-image-availability", "upgrade-agent",
		"install", "dhcp-lease-allocate", NULL,
	};
	size_t i;
	(void)state;

	/* unknown and never-emitted types: exit_code != 0 and an error */
	o = answer(ins("frobnicate", "x", NULL), &r);
	assert_null(o);
	assert_int_not_equal(r.exit_code, 0);
	assert_non_null(r.error);
	assert_int_equal(r.type, -1);
	steps_reply_clear(&r);
	o = answer(ins("execute", NULL, NULL), &r);
	assert_int_not_equal(r.exit_code, 0);
	steps_reply_clear(&r);

	/* garbage args never crash, give an error reply */
	for (i = 0; types[i]; i++) {
		o = answer(ins(types[i], "{not json", NULL), &r);
		assert_null(o);
		assert_int_not_equal(r.exit_code, 0);
		steps_reply_clear(&r);
		o = answer(ins(types[i], NULL, NULL), &r);
		assert_int_not_equal(r.exit_code, 0);
		steps_reply_clear(&r);
	}
	/* wrong JSON types inside the args */
	o = answer(ins("connectivity-check", "[{\"host_id\":5,\"nics\":\"x\"},7]", NULL), &r);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(json_array_size(json_object_get(o, "remote_hosts")), 0);
	json_decref(o);
	steps_reply_clear(&r);

	/* not an instruction at all */
	assert_int_equal(steps_answer(&host, NULL, &r), -19);
	assert_int_equal(steps_answer_json(&host, NULL, 0, &r), -19);
	assert_int_equal(steps_answer_json(&host, "{\"step_type\":3}", strlen("{\"step_type\":3}"), &r), -19);
	assert_int_equal(steps_answer_json(&host, "[\"inventory\"]", strlen("[\"inventory\"]"), &r), -19);
	assert_int_equal(steps_answer_json(&host, "{\"step_type\":\"inventory\"", strlen("{\"step_type\":\"inventory\""), &r), -19);
	/* no args, no id: still answered */
	assert_int_equal(steps_answer_json(&host, "{\"step_type\":\"inventory\"}", strlen("{\"step_type\":\"inventory\"}"), &r), 0);
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.step_id, "");
	steps_reply_clear(&r);
	/* a step_id longer than the reply keeps is cut, never overflows */
	{
		char long_id[300];
		int n = snprintf(long_id, sizeof(long_id), "{\"step_type\":\"inventory\",\"step_id\":\"%0200d\"}", 0);
		assert_int_equal(steps_answer_json(&host, long_id, (size_t)n, &r), 0);
		assert_int_equal(strlen(r.step_id), sizeof(r.step_id) - 1);
		steps_reply_clear(&r);
	}
	steps_reply_clear(NULL);
}

static void test_reply_body(void **state)
{
	struct steps_reply r;
	json_t *o, *b;
	char *txt;
	size_t len = 0;
	(void)state;

	o = answer(ins("verify-vips", "[{\"vip\":\"1.2.3.4\",\"vip_type\":\"api\"}]", NULL), &r);
	json_decref(o);
	txt = steps_reply_body(&r, &len);
	assert_non_null(txt);
	b = json_loads(txt, 0, NULL);
	free(txt);
	assert_string_equal(json_string_value(json_object_get(b, "step_type")), "verify-vips");
	assert_string_equal(json_string_value(json_object_get(b, "step_id")), "x-1a2b3c4d");
	assert_true(json_is_string(json_object_get(b, "output")));
	assert_null(json_object_get(b, "exit_code"));     /* omitted when 0, like the Go agent */
	assert_null(json_object_get(b, "error"));
	json_decref(b);
	steps_reply_clear(&r);

	answer(ins("nope", NULL, NULL), &r);
	txt = steps_reply_body(&r, NULL);
	b = json_loads(txt, 0, NULL);
	free(txt);
	assert_int_equal(json_integer_value(json_object_get(b, "exit_code")), -1);
	assert_true(json_is_string(json_object_get(b, "error")));
	assert_null(json_object_get(b, "output"));
	json_decref(b);
	steps_reply_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inventory),
		cmocka_unit_test(test_connectivity),
		cmocka_unit_test(test_domains),
		cmocka_unit_test(test_free_addresses),
		cmocka_unit_test(test_ntp_vips_disk_images),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_reply_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
