#include "ids.h"

#include <ctype.h>
#include <stdio.h>

uint64_t ids_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void ids_rng_seed(struct ids_rng *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t ids_rng_next(struct ids_rng *r)
{
	r->s += 0x9e3779b97f4a7c15ull;
	return ids_mix64(r->s - 0x9e3779b97f4a7c15ull);
}

double ids_rng_double(struct ids_rng *r)
{
	return (double)(ids_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

void ids_cluster_net(unsigned cluster_index, struct ids_net *net)
{
	unsigned k = cluster_index % IDS_NET_POOL;

	/* 10.0-127 (128), 10.132-255 (124), 172.16-29 (14), 172.31 (1). */
	if (k < 128) {
		net->a = 10;
		net->b = (uint8_t)k;
	} else if (k < 252) {
		net->a = 10;
		net->b = (uint8_t)(132 + (k - 128));
	} else if (k < 266) {
		net->a = 172;
		net->b = (uint8_t)(16 + (k - 252));
	} else {
		net->a = 172;
		net->b = 31;
	}
}

void ids_uuid(uint64_t seed, uint64_t salt, char out[IDS_UUID_LEN])
{
	uint64_t hi = ids_mix64(seed ^ ids_mix64(salt));
	uint64_t lo = ids_mix64(hi ^ 0x5851f42d4c957f2dull ^ salt);

	hi = (hi & 0xffffffffffff0fffull) | 0x0000000000004000ull; /* version 4 */
	lo = (lo & 0x3fffffffffffffffull) | 0x8000000000000000ull; /* RFC 4122 variant */
	snprintf(out, IDS_UUID_LEN, "%08x-%04x-%04x-%04x-%012llx",
	         (unsigned)(hi >> 32), (unsigned)((hi >> 16) & 0xffff), (unsigned)(hi & 0xffff),
	         (unsigned)(lo >> 48), (unsigned long long)(lo & 0xffffffffffffull));
}

void ids_host_uuid(uint64_t cluster_seed, unsigned host, char out[IDS_UUID_LEN])
{
	ids_uuid(cluster_seed, 0x686f737400000000ull + host, out);
}

void ids_host_mac(unsigned cluster_index, unsigned host, char out[IDS_MAC_LEN])
{
	snprintf(out, IDS_MAC_LEN, "02:%02x:%02x:%02x:%02x:%02x", (cluster_index >> 16) & 0xff,
	         (cluster_index >> 8) & 0xff, cluster_index & 0xff, (host >> 8) & 0xff, host & 0xff);
}

void ids_host_ip(const struct ids_net *net, unsigned host, char out[IDS_IP_LEN])
{
	unsigned n = (host < IDS_MAX_HOSTS ? host : IDS_MAX_HOSTS - 1) + 1;

	snprintf(out, IDS_IP_LEN, "%u.%u.%u.%u", net->a, net->b, (n >> 8) & 0xff, n & 0xff);
}

static void net_ip(const struct ids_net *net, unsigned c, unsigned d, char out[IDS_IP_LEN])
{
	snprintf(out, IDS_IP_LEN, "%u.%u.%u.%u", net->a, net->b, c, d);
}

void ids_net_addr(const struct ids_net *net, char out[IDS_IP_LEN])
{
	net_ip(net, 0, 0, out);
}

void ids_gateway(const struct ids_net *net, char out[IDS_IP_LEN])
{
	net_ip(net, 255, 1, out);
}

void ids_api_vip(const struct ids_net *net, char out[IDS_IP_LEN])
{
	net_ip(net, 255, 253, out);
}

void ids_ingress_vip(const struct ids_net *net, char out[IDS_IP_LEN])
{
	net_ip(net, 255, 254, out);
}

int ids_cluster_name(const char *prefix, const char *run_id, unsigned index, char *out,
                     size_t len)
{
	int n;
	size_t i;

	if (!len)
		return 0;
	if (prefix && *prefix)
		n = snprintf(out, len, "%s-%s-%u", prefix, run_id ? run_id : "swarm", index);
	else
		n = snprintf(out, len, "%s-%u", run_id ? run_id : "swarm", index);
	if (n < 0) {
		out[0] = '\0';
		return 0;
	}
	if ((size_t)n >= len)
		n = (int)len - 1;
	for (i = 0; i < (size_t)n; i++) {
		unsigned char ch = (unsigned char)out[i];
		ch = (unsigned char)tolower(ch);
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
			ch = '-';
		out[i] = (char)ch;
	}
	/* A name must start with an alphanumeric character. */
	if (n > 0 && out[0] == '-')
		out[0] = 's';
	return n;
}

int ids_hostname(const char *cluster_name, unsigned host, char *out, size_t len)
{
	return snprintf(out, len, "%s-%u", cluster_name, host);
}

uint64_t ids_cluster_seed(uint64_t plan_seed, unsigned index)
{
	return ids_mix64(ids_mix64(plan_seed) ^ (0x636c757374657200ull + index));
}
