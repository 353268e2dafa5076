/* inventory: valid JSON with every field protocol/README.md §4.5 requires. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "ids.h"
#include "inventory.h"

static const char *const known_keys[] = {
	"hostname", "bmc_address", "bmc_v6address", "interfaces", "disks", "boot", "system_vendor",
	"memory", "cpu", "gpus", "routes", "tpm_version", NULL,
};

static json_t *build(unsigned cluster, unsigned host, char *mac, char *ip)
{
	struct ids_net net;
	char gw[IDS_IP_LEN], na[IDS_IP_LEN], hn[64];
	struct inventory_host h;
	char *txt;
	size_t len = 0;
	json_t *j;

	ids_cluster_net(cluster, &net);
	ids_host_mac(cluster, host, mac);
	ids_host_ip(&net, host, ip);
	ids_gateway(&net, gw);
	ids_net_addr(&net, na);
	ids_hostname("swarm-1-3", host, hn, sizeof(hn));
	memset(&h, 0, sizeof(h));
	h.hostname = hn;
	h.mac = mac;
	h.ip = ip;
	h.prefix = 16;
	h.gateway = gw;
	h.net_addr = na;
	h.serial = ids_mix64(host);
	txt = inventory_build(&h, &len);
	assert_non_null(txt);
	assert_int_equal(len, strlen(txt));
	j = json_loads(txt, JSON_REJECT_DUPLICATES, NULL);
	free(txt);
	assert_non_null(j);
	return j;
}

static void test_fields(void **state)
{
	char mac[IDS_MAC_LEN], ip[IDS_IP_LEN], cidr[32];
	json_t *j = build(3, 0, mac, ip), *v, *d, *nic, *r;
	const char *key;
	size_t i;
	int default_route = 0;
	(void)state;

	json_object_foreach(j, key, v) {
		int ok = 0;
		for (i = 0; known_keys[i]; i++)
			ok |= !strcmp(known_keys[i], key);
		assert_true(ok);
	}
	assert_string_equal(json_string_value(json_object_get(j, "hostname")), "swarm-1-3-0");
	v = json_object_get(j, "cpu");
	assert_true(json_integer_value(json_object_get(v, "count")) >= 16);
	assert_string_equal(json_string_value(json_object_get(v, "architecture")), "x86_64");
	v = json_object_get(j, "memory");
	assert_true(json_integer_value(json_object_get(v, "physical_bytes")) >= 32LL * 1024 * 1024 * 1024);
	assert_true(json_integer_value(json_object_get(v, "usable_bytes")) > 0);
	v = json_object_get(j, "disks");
	assert_int_equal(json_array_size(v), 1);
	d = json_array_get(v, 0);
	assert_true(json_integer_value(json_object_get(d, "size_bytes")) >= 100000000000LL);
	assert_string_equal(json_string_value(json_object_get(d, "drive_type")), "SSD");
	assert_true(json_is_true(json_object_get(json_object_get(d, "installation_eligibility"), "eligible")));
	assert_true(json_is_false(json_object_get(d, "removable")));
	assert_true(json_is_false(json_object_get(d, "is_installation_media")));
	assert_string_equal(json_string_value(json_object_get(d, "id")),
	                    json_string_value(json_object_get(d, "by_id")));
	nic = json_array_get(json_object_get(j, "interfaces"), 0);
	assert_string_equal(json_string_value(json_object_get(nic, "mac_address")), mac);
	assert_string_equal(json_string_value(json_object_get(nic, "type")), "physical");
	snprintf(cidr, sizeof(cidr), "%s/16", ip);
	assert_string_equal(json_string_value(json_array_get(json_object_get(nic, "ipv4_addresses"), 0)), cidr);
	json_array_foreach(json_object_get(j, "routes"), i, r) {
		if (!strcmp(json_string_value(json_object_get(r, "destination")), "0.0.0.0") &&
		    json_integer_value(json_object_get(r, "family")) == 2 &&
		    strlen(json_string_value(json_object_get(r, "gateway"))) > 0)
			default_route = 1;
	}
	assert_true(default_route);
	v = json_object_get(j, "system_vendor");
	assert_true(strlen(json_string_value(json_object_get(v, "manufacturer"))) > 0);
	assert_string_not_equal(json_string_value(json_object_get(v, "product_name")), "OpenStack Compute");
	v = json_object_get(j, "boot");
	assert_string_equal(json_string_value(json_object_get(v, "current_boot_mode")), "uefi");
	assert_null(json_object_get(v, "device_type"));
	json_decref(j);
}

static void test_hosts_differ(void **state)
{
	char m1[IDS_MAC_LEN], i1[IDS_IP_LEN], m2[IDS_MAC_LEN], i2[IDS_IP_LEN];
	json_t *a = build(5, 1, m1, i1), *b = build(5, 2, m2, i2);
	json_t *da = json_array_get(json_object_get(a, "disks"), 0);
	json_t *db = json_array_get(json_object_get(b, "disks"), 0);
	(void)state;

	assert_string_not_equal(m1, m2);
	assert_string_not_equal(i1, i2);
	assert_string_not_equal(json_string_value(json_object_get(da, "serial")),
	                        json_string_value(json_object_get(db, "serial")));
	json_decref(a);
	json_decref(b);
	/* same inputs, same text */
	a = build(5, 1, m1, i1);
	b = build(5, 1, m2, i2);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_hosts_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
