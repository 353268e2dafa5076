/*
 * ids: deterministic identities of emulated clusters and hosts. Everything
 * derives from (cluster index, cluster seed, host index) through splitmix64,
 * so the same plan seed gives the same UUIDs, MACs, addresses and names on
 * every run, and nothing is stored per host beyond what the caller keeps.
 *
 * Addressing: cluster i gets the /16 ids_cluster_net(i) from a pool of 267
 * networks (10.0-127, 10.132-255, 172.16-29, 172.31), which avoids the
 * default cluster network 10.128.0.0/14 and service network 172.30.0.0/16.
 * The pool repeats after 267 clusters (address reuse across clusters is
 * harmless: the service validates overlaps per cluster only). Inside the
 * /16: host j is .((j+1)>>8).((j+1)&255); x.x.255.1 is the gateway,
 * x.x.255.253 the API VIP and x.x.255.254 the ingress VIP, so a cluster holds
 * at most IDS_MAX_HOSTS hosts.
 *
 * Host UUIDs come from the seed the caller passes; the engine mixes the run
 * id into the cluster seed for them (cluster.c), so the same seed and run id
 * give the same UUIDs while two runs never reuse each other's host ids.
 *
 * MACs are 02:cc:cc:cc:hh:hh (locally administered) from the low 24 bits of
 * the cluster index and 16 bits of the host index: unique for 16M clusters.
 */
#ifndef SWARM_IDS_H
#define SWARM_IDS_H

#include <stddef.h>
#include <stdint.h>

#define IDS_UUID_LEN 37      /* 36 chars + NUL */
#define IDS_MAC_LEN 18       /* 17 chars + NUL */
#define IDS_IP_LEN 16        /* dotted quad + NUL */
#define IDS_MAX_HOSTS 65000u /* hosts per cluster (addresses below x.x.254.0) */
#define IDS_NET_POOL 267u    /* distinct /16 networks before reuse */

/* Returns the splitmix64 finalizer of |x|: a bijective 64-bit mix. */
uint64_t ids_mix64(uint64_t x);

/* A splitmix64 generator; any seed is valid. */
struct ids_rng {
	uint64_t s;
};

/* Seeds |r| with |seed|. */
void ids_rng_seed(struct ids_rng *r, uint64_t seed);
/* Returns the next 64 random bits of |r|. */
uint64_t ids_rng_next(struct ids_rng *r);
/* Returns a uniform double in [0, 1). */
double ids_rng_double(struct ids_rng *r);

/* A cluster's /16: |a|.|b|.0.0/16. */
struct ids_net {
	uint8_t a, b;
};

/* Fills |net| with the /16 of cluster |cluster_index| (see the header comment). */
void ids_cluster_net(unsigned cluster_index, struct ids_net *net);

/* Writes a version-4-formatted UUID derived from (|seed|, |salt|) into |out|
 * (IDS_UUID_LEN bytes). Same inputs, same UUID. */
void ids_uuid(uint64_t seed, uint64_t salt, char out[IDS_UUID_LEN]);
/* Host |host|'s id in the cluster seeded by |cluster_seed|. */
void ids_host_uuid(uint64_t cluster_seed, unsigned host, char out[IDS_UUID_LEN]);
/* Host MAC "02:cc:cc:cc:hh:hh". */
void ids_host_mac(unsigned cluster_index, unsigned host, char out[IDS_MAC_LEN]);
/* Host IPv4 address (no prefix). |host| must be < IDS_MAX_HOSTS (clamped otherwise). */
void ids_host_ip(const struct ids_net *net, unsigned host, char out[IDS_IP_LEN]);
/* Network address "a.b.0.0", gateway "a.b.255.1", VIPs "a.b.255.253" / "a.b.255.254". */
void ids_net_addr(const struct ids_net *net, char out[IDS_IP_LEN]);
void ids_gateway(const struct ids_net *net, char out[IDS_IP_LEN]);
void ids_api_vip(const struct ids_net *net, char out[IDS_IP_LEN]);
void ids_ingress_vip(const struct ids_net *net, char out[IDS_IP_LEN]);

/*
 * Cluster object name "<run_id>-<index>" (and, when |prefix| is non-NULL and
 * non-empty, "<prefix>-<run_id>-<index>"), lower-cased with every character
 * outside [a-z0-9-] replaced by '-', so it is a valid cluster name and DNS
 * label. Returns the length written (truncated to |len|-1).
 */
int ids_cluster_name(const char *prefix, const char *run_id, unsigned index, char *out,
                     size_t len);
/* Host name "<cluster name>-<host>". Returns the length (snprintf semantics). */
int ids_hostname(const char *cluster_name, unsigned host, char *out, size_t len);
/* Cluster seed for cluster |index| of a plan seeded with |plan_seed|. */
uint64_t ids_cluster_seed(uint64_t plan_seed, unsigned index);

#endif
