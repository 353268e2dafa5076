/* ids: determinism, formats, no collisions across clusters, reserved ranges avoided. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ids.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void test_same_seed_same_ids(void **state)
{
	char a[IDS_UUID_LEN], b[IDS_UUID_LEN], m1[IDS_MAC_LEN], m2[IDS_MAC_LEN];
	uint64_t s1 = ids_cluster_seed(42, 7), s2 = ids_cluster_seed(42, 7);
	(void)state;

	assert_int_equal(s1, s2);
	assert_int_not_equal(s1, ids_cluster_seed(43, 7));
	assert_int_not_equal(s1, ids_cluster_seed(42, 8));
	ids_host_uuid(s1, 3, a);
	ids_host_uuid(s2, 3, b);
	assert_string_equal(a, b);
	ids_host_uuid(s1, 4, b);
	assert_string_not_equal(a, b);
	ids_host_mac(7, 3, m1);
	ids_host_mac(7, 3, m2);
	assert_string_equal(m1, m2);
}

static void test_uuid_format(void **state)
{
	char u[IDS_UUID_LEN];
	size_t i;
	(void)state;

	ids_uuid(1, 2, u);
	assert_int_equal(strlen(u), 36);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(u[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", u[i]));
	}
	assert_int_equal(u[14], '4');                   /* version 4 */
	assert_non_null(strchr("89ab", u[19]));          /* RFC 4122 variant */
}

static void test_mac_format(void **state)
{
	char m[IDS_MAC_LEN];
	(void)state;

	ids_host_mac(0x123456, 0x0789, m);
	assert_string_equal(m, "02:12:34:56:07:89");
	ids_host_mac(70000, 1, m);                       /* > 16 bits: still well-formed */
	assert_int_equal(strlen(m), 17);
}

#define NCL 600
#define NH 12

static void test_no_collisions(void **state)
{
	static char uuids[NCL * NH][IDS_UUID_LEN];
	static char macs[NCL * NH][IDS_MAC_LEN];
	size_t n = 0, i;
	unsigned c, h;
	(void)state;

	for (c = 0; c < NCL; c++)
		for (h = 0; h < NH; h++, n++) {
			ids_host_uuid(ids_cluster_seed(1, c), h, uuids[n]);
			ids_host_mac(c, h, macs[n]);
		}
	qsort(uuids, n, IDS_UUID_LEN, cmp_str);
	qsort(macs, n, IDS_MAC_LEN, cmp_str);
	for (i = 1; i < n; i++) {
		assert_string_not_equal(uuids[i - 1], uuids[i]);
		assert_string_not_equal(macs[i - 1], macs[i]);
	}
}

static void test_networks(void **state)
{
	struct ids_net seen[IDS_NET_POOL], net;
	unsigned i, k;
	char ip[IDS_IP_LEN], ip2[IDS_IP_LEN], vip[IDS_IP_LEN];
	(void)state;

	for (i = 0; i < IDS_NET_POOL; i++) {
		ids_cluster_net(i, &seen[i]);
		/* never in 10.128.0.0/14 nor 172.30.0.0/16 */
		assert_false(seen[i].a == 10 && seen[i].b >= 128 && seen[i].b <= 131);
		assert_false(seen[i].a == 172 && seen[i].b == 30);
		assert_true(seen[i].a == 10 || (seen[i].a == 172 && seen[i].b >= 16 && seen[i].b <= 31));
		for (k = 0; k < i; k++)
			assert_false(seen[k].a == seen[i].a && seen[k].b == seen[i].b);
	}
	/* the pool wraps deterministically */
	ids_cluster_net(IDS_NET_POOL + 5, &net);
	assert_int_equal(net.a, seen[5].a);
	assert_int_equal(net.b, seen[5].b);
	/* hosts get distinct addresses, none equal to the VIPs or gateway */
	ids_cluster_net(3, &net);
	ids_host_ip(&net, 0, ip);
	assert_string_equal(ip, "10.3.0.1");
	ids_host_ip(&net, 255, ip2);
	assert_string_equal(ip2, "10.3.1.0");
	ids_host_ip(&net, IDS_MAX_HOSTS - 1, ip);
	ids_api_vip(&net, vip);
	assert_string_not_equal(ip, vip);
	assert_string_equal(vip, "10.3.255.253");
	ids_ingress_vip(&net, vip);
	assert_string_equal(vip, "10.3.255.254");
	ids_gateway(&net, vip);
	assert_string_equal(vip, "10.3.255.1");
}

static void test_names(void **state)
{
	char name[64], host[96];
	(void)state;

	ids_cluster_name(NULL, "swarm-1700000000", 12, name, sizeof(name));
	assert_string_equal(name, "swarm-1700000000-12");
	ids_cluster_name("My_Prefix", "Run.ID", 1, name, sizeof(name));
	assert_string_equal(name, "my-prefix-run-id-1");
	ids_cluster_name("-x", "r", 1, name, sizeof(name));
	assert_int_equal(name[0], 's');
	ids_hostname("swarm-1-0", 2, host, sizeof(host));
	assert_string_equal(host, "swarm-1-0-2");
}

static void test_rng(void **state)
{
	struct ids_rng a, b;
	int i;
	(void)state;

	ids_rng_seed(&a, 9);
	ids_rng_seed(&b, 9);
	for (i = 0; i < 100; i++) {
		double d = ids_rng_double(&a);
		assert_true(d >= 0.0 && d < 1.0);
		ids_rng_double(&b);
	}
	assert_int_equal(ids_rng_next(&a), ids_rng_next(&b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_ids),
		cmocka_unit_test(test_uuid_format),
		cmocka_unit_test(test_mac_format),
		cmocka_unit_test(test_no_collisions),
		cmocka_unit_test(test_networks),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_rng),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
