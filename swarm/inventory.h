/*
 * inventory: the fake hardware inventory of an emulated host (reply to the
 * `inventory` step, protocol/README.md §4.5). Believable, deterministic per
 * host, and chosen to pass every hardware and network validation for any
 * role: 16 cores, 32 GiB, one eligible 200 GiB SSD, one physical NIC carrying
 * the host's MAC and address, a default route (family 2) via the gateway,
 * system vendor and boot info. Built on demand into a string; nothing is kept
 * per idle host.
 */
#ifndef SWARM_INVENTORY_H
#define SWARM_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#define INVENTORY_IFACE "ens3"   /* name of the emulated NIC */

/* Identity the inventory is built from (all strings borrowed). */
struct inventory_host {
	const char *hostname;      /* e.g. "swarm-1700000000-3-0" */
	const char *mac;           /* "02:..." */
	const char *ip;            /* "10.3.0.1" */
	unsigned prefix;           /* 16 */
	const char *net_addr;      /* "10.3.0.0" */
	const char *gateway;       /* "10.3.255.1" */
	const char *cpu_arch;      /* "x86_64"; NULL = x86_64 */
	uint64_t serial;           /* per-host number for disk WWN / serials */
};

/*
 * Builds the inventory JSON of |h| into a new NUL-terminated string and
 * stores its length in |*len| (may be NULL). Never returns NULL (aborts on
 * allocation failure). Frees: free().
 */
char *inventory_build(const struct inventory_host *h, size_t *len);

/* Writes the by-id path of the host's installation disk into |out|
 * ("/dev/disk/by-id/wwn-0x5000c500XXXXXXXX"). Returns snprintf's result. */
int inventory_disk_id(uint64_t serial, char *out, size_t len);

#endif
