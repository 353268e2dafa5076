#include "emu_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1024ULL * 1024ULL)
#define GB 1000000000ULL

static const char *const hv_ids[HV_COUNT] = {
	"connected", "media-connected", "has-inventory", "machine-cidr-defined",
	"belongs-to-machine-cidr", "has-min-cpu-cores", "has-min-valid-disks", "has-min-memory",
	"has-cpu-cores-for-role", "has-memory-for-role", "hostname-unique", "hostname-valid",
	"belongs-to-majority-group", "has-default-route", "api-domain-name-resolved-correctly",
	"api-int-domain-name-resolved-correctly", "apps-domain-name-resolved-correctly",
	"dns-wildcard-not-configured", "valid-platform-network-settings", "compatible-agent",
	"time-synced-between-host-and-service", "no-ip-collisions-in-network", "ntp-synced",
	"sufficient-installation-disk-speed", "compatible-with-cluster-platform",
};

/* Validations the service never lets a user ignore (protocol/README.md §7). */
static const uint32_t hv_not_ignorable = 1u << HV_CONNECTED | 1u << HV_HAS_INVENTORY |
                                         1u << HV_MACHINE_CIDR_DEFINED |
                                         1u << HV_HOSTNAME_UNIQUE | 1u << HV_HOSTNAME_VALID;

const char *emu_hv_id(enum emu_hv v)
{
	return (unsigned)v < HV_COUNT ? hv_ids[v] : "unknown";
}

int emu_hv_parse(const char *s)
{
	for (int i = 0; i < HV_COUNT; i++)
		if (s && strcmp(s, hv_ids[i]) == 0)
			return i;
	return -1;
}

struct hw_req {
	int cores;
	uint64_t ram_mib;
	uint64_t disk_gb;
};

static const struct hw_req req_master = {4, 16384, 100};
static const struct hw_req req_worker = {2, 8192, 100};
static const struct hw_req req_arbiter = {2, 8192, 50};

static void version_of(const char *v, int *maj, int *min)
{
	*maj = 4;
	*min = 22;
	if (v && *v)
		sscanf(v, "%d.%d", maj, min);
}

static struct hw_req req_for(const struct emu_model *m, const struct emu_host *h)
{
	const struct emu_cluster *c = h->cluster != EMU_NONE ? m->clusters[h->cluster] : NULL;
	if (c && emu_cluster_is_sno(c)) {
		int maj, min;
		struct hw_req r = {8, 16384, 100};
		version_of(c->openshift_version, &maj, &min);
		if (maj > 4 || (maj == 4 && min >= 22))
			r.cores = 4;
		return r;
	}
	switch (emu_host_eff_role(h)) {
	case EMU_ROLE_MASTER: return req_master;
	case EMU_ROLE_ARBITER: return req_arbiter;
	case EMU_ROLE_WORKER:
	case EMU_ROLE_AUTO: break;
	}
	return req_worker;
}

static int ram_ok(const struct emu_host *h, uint64_t mib)
{
	uint64_t need = mib * MIB;
	uint64_t tol = 100 * MIB;
	if (h->inv.meminfo)
		tol += need / 50;
	return h->inv.ram_bytes + tol >= need;
}

enum emu_role emu_host_eff_role(const struct emu_host *h)
{
	return h->role != EMU_ROLE_AUTO ? (enum emu_role)h->role
	                                : (enum emu_role)h->suggested_role;
}

const char *emu_host_hostname(const struct emu_host *h)
{
	return h->requested_hostname[0] ? h->requested_hostname : h->inv.hostname;
}

int emu_host_is_preinstall(const struct emu_host *h)
{
	switch ((enum as_host_status)h->status) {
	case AS_HOST_DISCOVERING: case AS_HOST_KNOWN: case AS_HOST_DISCONNECTED:
	case AS_HOST_INSUFFICIENT: case AS_HOST_PENDING_FOR_INPUT:
	case AS_HOST_DISCOVERING_UNBOUND: case AS_HOST_KNOWN_UNBOUND:
	case AS_HOST_DISCONNECTED_UNBOUND: case AS_HOST_INSUFFICIENT_UNBOUND:
		return 1;
	default:
		return 0;
	}
}

enum as_stage_role emu_host_stage_role(const struct emu_model *m, const struct emu_host *h)
{
	const struct emu_cluster *c = h->cluster != EMU_NONE ? m->clusters[h->cluster] : NULL;
	if (h->bootstrap)
		return c && emu_cluster_is_sno(c) ? AS_ROLE_SNO : AS_ROLE_BOOTSTRAP;
	if (h->role == EMU_ROLE_WORKER)
		return AS_ROLE_WORKER;
	return AS_ROLE_MASTER;
}

int emu_host_timeout_connected(const struct emu_model *m, const struct emu_host *h,
                               uint64_t now_ns)
{
	double limit = 180.0 + (h->bootstrap ? 120.0 : 0.0);
	return now_ns <= h->checked_in_ns || now_ns - h->checked_in_ns <= emu_scaled_ns(m, limit);
}

static int hostname_valid(const char *s)
{
	static const char *const forbidden[] = {
		"localhost", "localhost.localdomain", "localhost4", "localhost4.localdomain4",
		"localhost6", "localhost6.localdomain6",
	};
	size_t n = strlen(s), label = 0;
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		if (strcmp(s, forbidden[i]) == 0)
			return 0;
	/* ^[a-z0-9][a-z0-9-]{0,62}(?:[.][a-z0-9-]{1,63})*$ */
	if (!(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0;
}

static int dns_checked(const struct emu_model *m, const struct emu_cluster *c)
{
	if (!c->umn)
		return 0;
	if (emu_cluster_is_sno(c) && m->cfg.enable_single_node_dnsmasq)
		return 0;
	return 1;
}

static enum emu_vstatus dns_status(const struct emu_model *m, const struct emu_cluster *c,
                                   const struct emu_host *h, uint8_t bit)
{
	if (!dns_checked(m, c))
		return EMU_V_SUCCESS;
	if (!c->base_dns_domain[0] || !h->dns_answered)
		return EMU_V_ERROR; /* the service fails to parse the missing resolutions */
	return bit ? EMU_V_SUCCESS : EMU_V_FAILURE;
}

static size_t cluster_others(const struct emu_cluster *c, const struct emu_host *h)
{
	size_t peers = c->conn_peers;
	return emu_host_is_conn_peer(h) && peers ? peers - 1 : peers;
}

void emu_host_validate(struct emu_model *m, struct emu_host *h, uint64_t now_ns)
{
	const struct emu_cluster *c = h->cluster != EMU_NONE ? m->clusters[h->cluster] : NULL;
	uint8_t *v = h->v;
	int inv = h->has_inventory;
	struct emu_net mn;
	int have_mn = c ? emu_cluster_machine_net(c, &mn) : 0;

	for (int i = 0; i < HV_COUNT; i++)
		v[i] = EMU_V_PENDING;
	v[HV_CONNECTED] = emu_host_timeout_connected(m, h, now_ns) ? EMU_V_SUCCESS : EMU_V_FAILURE;
	v[HV_MEDIA_CONNECTED] = EMU_V_SUCCESS;
	v[HV_HAS_INVENTORY] = inv ? EMU_V_SUCCESS : EMU_V_FAILURE;
	v[HV_COMPATIBLE_AGENT] = h->agent_ok ? EMU_V_SUCCESS : EMU_V_FAILURE;
	v[HV_COMPATIBLE_PLATFORM] = EMU_V_SUCCESS;
	if (h->has_timestamp) {
		/* Service ahead by at most 20 min, host ahead by at most 1 h. */
		v[HV_TIME_SYNCED] = (h->clock_skew >= -1200 && h->clock_skew <= 3600) ? EMU_V_SUCCESS
		                                                                       : EMU_V_FAILURE;
	}
	v[HV_NTP_SYNCED] = h->ntp_synced == 1 ? EMU_V_SUCCESS
	                   : h->ntp_synced == 2 ? EMU_V_FAILURE : EMU_V_PENDING;
	v[HV_DISK_SPEED] = h->disk_speed == 2 ? EMU_V_FAILURE : EMU_V_SUCCESS;
	if (!inv)
		return;

	struct hw_req r = req_for(m, h);
	v[HV_HAS_MIN_CPU] = h->inv.cores >= req_worker.cores ? EMU_V_SUCCESS : EMU_V_FAILURE;
	v[HV_HAS_MIN_MEMORY] = ram_ok(h, req_worker.ram_mib) ? EMU_V_SUCCESS : EMU_V_FAILURE;
	v[HV_HAS_MIN_VALID_DISKS] = !h->inv.n_disks ? EMU_V_ERROR
	                            : h->inv.n_eligible ? EMU_V_SUCCESS : EMU_V_FAILURE;
	v[HV_CPU_FOR_ROLE] = h->inv.cores >= r.cores ? EMU_V_SUCCESS : EMU_V_FAILURE;
	/* The per-role check compares physical bytes without the tolerance. */
	v[HV_MEMORY_FOR_ROLE] = h->inv.ram_bytes >= r.ram_mib * MIB ? EMU_V_SUCCESS : EMU_V_FAILURE;
	v[HV_DEFAULT_ROUTE] = h->inv.route_ok ? EMU_V_SUCCESS : EMU_V_FAILURE;
	v[HV_HOSTNAME_VALID] = hostname_valid(emu_host_hostname(h)) ? EMU_V_SUCCESS
	                                                            : EMU_V_FAILURE;
	if (!h->inv.vendor_present)
		v[HV_PLATFORM_NETWORK] = EMU_V_ERROR;
	else if (h->inv.vendor_openstack && c && !c->umn && !emu_cluster_is_sno(c))
		v[HV_PLATFORM_NETWORK] = EMU_V_FAILURE;
	else
		v[HV_PLATFORM_NETWORK] = EMU_V_SUCCESS;

	if (!c) {
		/* Unbound host: only the hardware matters. */
		v[HV_MACHINE_CIDR_DEFINED] = v[HV_BELONGS_TO_MACHINE_CIDR] = EMU_V_SUCCESS;
		v[HV_HOSTNAME_UNIQUE] = v[HV_MAJORITY_GROUP] = v[HV_NO_IP_COLLISIONS] = EMU_V_SUCCESS;
		v[HV_API_DNS] = v[HV_API_INT_DNS] = v[HV_APPS_DNS] = v[HV_DNS_WILDCARD] = EMU_V_SUCCESS;
		return;
	}

	v[HV_MACHINE_CIDR_DEFINED] = (c->umn || have_mn) ? EMU_V_SUCCESS : EMU_V_FAILURE;
	if (c->umn && !emu_cluster_is_sno(c) && (!h->bootstrap || !have_mn)) {
		/* Multi-node user-managed networking: nothing to check. */
		v[HV_BELONGS_TO_MACHINE_CIDR] = EMU_V_SUCCESS;
	} else if (!have_mn) {
		v[HV_BELONGS_TO_MACHINE_CIDR] = EMU_V_PENDING;
	} else {
		int in = 0;
		for (int i = 0; i < h->inv.n_ipv4; i++)
			for (int j = 0; j < c->n_machine_nets; j++)
				in |= emu_net_contains(&c->machine_nets[j], h->inv.ipv4[i]);
		v[HV_BELONGS_TO_MACHINE_CIDR] = in ? EMU_V_SUCCESS : EMU_V_FAILURE;
	}

	/* Uniqueness and collisions come from the pass's emu_cluster_scan_hosts(). */
	v[HV_HOSTNAME_UNIQUE] = h->dup_name ? EMU_V_FAILURE : EMU_V_SUCCESS;
	v[HV_NO_IP_COLLISIONS] = h->ip_collision ? EMU_V_FAILURE : EMU_V_SUCCESS;

	if (emu_cluster_is_sno(c)) {
		v[HV_MAJORITY_GROUP] = EMU_V_SUCCESS;
	} else if (!c->majority_computed || (!have_mn && !c->umn)) {
		/* The cluster monitor has not computed majority groups yet. */
		v[HV_MAJORITY_GROUP] = EMU_V_PENDING;
	} else {
		v[HV_MAJORITY_GROUP] = h->conn_ok >= cluster_others(c, h) ? EMU_V_SUCCESS
		                                                             : EMU_V_FAILURE;
		if (v[HV_MAJORITY_GROUP] == EMU_V_FAILURE && c->nhosts < 3)
			v[HV_MAJORITY_GROUP] = EMU_V_PENDING;
	}

	v[HV_API_DNS] = dns_status(m, c, h, h->dns_api);
	v[HV_API_INT_DNS] = dns_status(m, c, h, h->dns_api_int);
	v[HV_APPS_DNS] = dns_status(m, c, h, h->dns_apps);
	if (!h->dns_answered)
		v[HV_DNS_WILDCARD] = EMU_V_PENDING;
	else
		v[HV_DNS_WILDCARD] = h->dns_wildcard_ok == 1 ? EMU_V_SUCCESS
		                     : h->dns_wildcard_ok == 2 ? EMU_V_FAILURE : EMU_V_ERROR;

	/* Ignored validations count as successful (never the protected ones). */
	for (int i = 0; i < HV_COUNT; i++)
		if ((c->ignored_host_v >> i & 1) && !(hv_not_ignorable >> i & 1) &&
		    v[i] != EMU_V_SUCCESS)
			v[i] = EMU_V_SUCCESS;
}

static int all_gating_ok(const struct emu_host *h)
{
	for (int i = 0; i < HV_COUNT; i++) {
		if (i == HV_NTP_SYNCED)
			continue;
		if (h->v[i] != EMU_V_SUCCESS)
			return 0;
	}
	return 1;
}

static int hw_failed(const struct emu_host *h)
{
	static const enum emu_hv hw[] = {HV_HAS_MIN_CPU, HV_HAS_MIN_MEMORY, HV_HAS_MIN_VALID_DISKS,
	                                 HV_CPU_FOR_ROLE, HV_MEMORY_FOR_ROLE};
	for (size_t i = 0; i < sizeof(hw) / sizeof(hw[0]); i++)
		if (h->v[hw[i]] != EMU_V_SUCCESS)
			return 1;
	return 0;
}


static const char *validation_message(const struct emu_model *m, const struct emu_host *h, int v,
                                      char *buf, size_t len)
{
	const struct emu_cluster *c = h->cluster != EMU_NONE ? m->clusters[h->cluster] : NULL;
	struct hw_req r = req_for(m, h);
	int ok = h->v[v] == EMU_V_SUCCESS, pend = h->v[v] == EMU_V_PENDING;
	switch ((enum emu_hv)v) {
	case HV_CONNECTED:
		return ok ? "Host is connected" : "Host is disconnected";
	case HV_MEDIA_CONNECTED:
		return "Media device is connected";
	case HV_HAS_INVENTORY:
		return ok ? "Valid inventory exists for the host"
		          : "Inventory has not been received for the host";
	case HV_MACHINE_CIDR_DEFINED:
		if (ok && c && c->umn && !c->n_machine_nets)
			return "No Machine Network CIDR needed: User Managed Networking";
		return ok ? "Machine Network CIDR is defined"
		          : "Machine Network CIDR is undefined; the Machine Network CIDR can be defined by setting either the API or Ingress virtual IPs";
	case HV_BELONGS_TO_MACHINE_CIDR:
		if (ok && c && c->umn && !emu_cluster_is_sno(c) && (!h->bootstrap || !c->n_machine_nets))
			return "No machine network CIDR validation needed: User Managed Networking";
		if (pend)
			return "Missing inventory or machine network CIDR";
		return ok ? "Host belongs to all machine network CIDRs"
		          : "Host does not belong to machine network CIDRs. Verify that the host belongs to every CIDR listed under machine networks";
	case HV_HAS_MIN_CPU:
		if (pend)
			return "Missing inventory";
		snprintf(buf, len, ok ? "Sufficient CPU cores"
		                      : "The host is not eligible to participate in Openshift Cluster because the minimum required CPU cores for any role is %d, found only %d",
		         req_worker.cores, h->inv.cores);
		return buf;
	case HV_HAS_MIN_MEMORY:
		if (pend)
			return "Missing inventory";
		snprintf(buf, len, ok ? "Sufficient minimum RAM"
		                      : "The host is not eligible to participate in Openshift Cluster because the minimum required RAM for any role is %.2f GiB, found only %.2f GiB",
		         req_worker.ram_mib / 1024.0, h->inv.ram_bytes / (double)(1024 * MIB));
		return buf;
	case HV_HAS_MIN_VALID_DISKS:
		if (pend)
			return "Missing inventory";
		if (h->v[v] == EMU_V_ERROR)
			return "Failed to detected disks";
		snprintf(buf, len, ok ? "Sufficient disk capacity"
		                      : "No eligible disks were found, please check specific disks to see why they are not eligible");
		return buf;
	case HV_CPU_FOR_ROLE:
		if (pend)
			return "Missing inventory or role";
		if (ok)
			snprintf(buf, len, "Sufficient CPU cores for role %s",
			         emu_role_name(emu_host_eff_role(h)));
		else
			snprintf(buf, len, "Require at least %d CPU cores for %s role, found only %d",
			         r.cores, emu_role_name(emu_host_eff_role(h)), h->inv.cores);
		return buf;
	case HV_MEMORY_FOR_ROLE:
		if (pend)
			return "Missing inventory or role";
		if (ok)
			snprintf(buf, len, "Sufficient RAM for role %s",
			         emu_role_name(emu_host_eff_role(h)));
		else
			snprintf(buf, len, "Require at least %.2f GiB RAM for role %s, found only %.2f GiB",
			         r.ram_mib / 1024.0, emu_role_name(emu_host_eff_role(h)),
			         h->inv.ram_bytes / (double)(1024 * MIB));
		return buf;
	case HV_HOSTNAME_UNIQUE:
		if (pend)
			return "Missing inventory";
		snprintf(buf, len, ok ? "Hostname %s is unique in cluster"
		                      : "Hostname %s is not unique in cluster",
		         emu_host_hostname(h));
		return buf;
	case HV_HOSTNAME_VALID:
		if (pend)
			return "Missing inventory";
		if (ok)
			snprintf(buf, len, "Hostname %s is allowed", emu_host_hostname(h));
		else if (strncmp(emu_host_hostname(h), "localhost", 9) == 0)
			snprintf(buf, len, "The host name %s is forbidden", emu_host_hostname(h));
		else
			snprintf(buf, len, "Hostname %s is forbidden, hostname should match pattern %s",
			         emu_host_hostname(h), "^[a-z0-9][a-z0-9-]{0,62}(?:[.][a-z0-9-]{1,63})*$");
		return buf;
	case HV_MAJORITY_GROUP:
		if (pend && c && c->majority_computed && (c->n_machine_nets || c->umn))
			return "Not enough hosts in cluster to calculate connectivity groups";
		if (pend)
			return "Machine Network CIDR or Connectivity Majority Groups missing";
		return ok ? "Host has connectivity to the majority of hosts in the cluster"
		          : "No connectivity to the majority of hosts in the cluster";
	case HV_DEFAULT_ROUTE:
		if (pend)
			return "Missing default routing information.";
		return ok ? "Host has been configured with at least one default route."
		          : "Host has not yet been configured with a default route.";
	case HV_API_DNS: case HV_API_INT_DNS: case HV_APPS_DNS: {
		const char *what = v == HV_API_DNS ? "api" : v == HV_API_INT_DNS ? "api-int" : "*.apps";
		const char *target = v == HV_API_DNS ? "API load balancer"
		                     : v == HV_API_INT_DNS ? "internal API load balancer"
		                                           : "application ingress";
		char dom[256];
		if (!c)
			return "";
		if (c->base_dns_domain[0])
			snprintf(dom, sizeof(dom), "%s.%s.%s", what, c->name, c->base_dns_domain);
		else
			snprintf(dom, sizeof(dom), "%s", target);
		if (h->v[v] == EMU_V_ERROR) {
			if (!c->base_dns_domain[0])
				snprintf(buf, len, "DNS validation for the %s domain cannot be completed because the cluster does not have base_dns_domain set. Please update the cluster with the correct base_dns_domain",
				         target);
			else
				snprintf(buf, len, "Error while evaluating DNS resolution on this host");
		} else if (ok) {
			snprintf(buf, len, "Domain name resolution for the %s domain was successful or not required",
			         dom);
		} else {
			snprintf(buf, len, "Couldn't resolve domain name %s on the host. To continue installation, create the necessary DNS entries to resolve this domain name to your cluster's %s IP address",
			         dom, target);
		}
		return buf;
	}
	case HV_DNS_WILDCARD:
		if (pend)
			return "DNS wildcard check cannot be performed yet because the host has not yet performed DNS resolution";
		if (ok)
			return "DNS wildcard check was successful";
		if (h->v[v] == EMU_V_ERROR)
			return "Internal error - DNS wildcard check cannot be performed because the DNS validation result doesn't contain the wildcard domain";
		snprintf(buf, len, "DNS wildcard configuration was detected for domain *.%s.%s - the installation will not be able to complete while this record exists. Please remove it to proceed.",
		         c ? c->name : "", c ? c->base_dns_domain : "");
		return buf;
	case HV_PLATFORM_NETWORK:
		if (h->v[v] == EMU_V_ERROR)
			return "Parse error for system vendor";
		return ok ? "Platform KVM is allowed"
		          : "Platform OpenStack Compute is allowed only for Single Node OpenShift or user-managed networking";
	case HV_COMPATIBLE_AGENT:
		return ok ? "Host agent is compatible with the service"
		          : "This host's agent is in the process of being upgraded to a compatible version. This might take a few minutes";
	case HV_TIME_SYNCED:
		if (pend)
			return "Missing host time, can't determine synchronization between host and service";
		if (ok)
			return "Host clock is synchronized with service";
		return h->clock_skew < 0
		               ? "Host clock is not synchronized, service time is ahead of host's at least for 20.0 minutes, please configure an NTP server via DHCP"
		               : "Host clock is not synchronized, host time is ahead of service at least for 60.0 minutes, please configure an NTP server via DHCP";
	case HV_NO_IP_COLLISIONS:
		return ok ? "No IP collisions were detected by host"
		          : "Collisions detected for host ID, IP address also used by another host";
	case HV_NTP_SYNCED:
		if (pend)
			return "Host NTP sources were not reported yet";
		return ok ? "Host NTP is synced" : "Host couldn't synchronize with any NTP server";
	case HV_DISK_SPEED:
		if (ok)
			return h->disk_speed == 1 ? "Speed of installation disk is sufficient"
			                          : "Speed of installation disk has not yet been measured";
		return "While preparing the previous installation the installation disk speed measurement failed or was found to be insufficient";
	case HV_COMPATIBLE_PLATFORM:
		return "Host is compatible with cluster platform";
	case HV_COUNT:
		break;
	}
	return "";
}

const char *emu_host_validation_message(const struct emu_model *m, const struct emu_host *h,
                                        int v, char *buf, size_t len)
{
	return validation_message(m, h, v, buf, len);
}

const char *emu_host_status_info(const struct emu_model *m, const struct emu_host *h,
                                 char *buf, size_t len)
{
	switch ((enum emu_host_info)h->info) {
	case HI_NONE: return "";
	case HI_DISCOVERING: return "Waiting for host to send hardware details";
	case HI_KNOWN: return "Host is ready to be installed";
	case HI_UNBOUND_KNOWN: return "Host is ready to be bound to a cluster";
	case HI_PENDING_INPUT: return "Waiting for user input";
	case HI_DISCONNECTED:
		return "Host has stopped communicating with the installation service";
	case HI_PREPARING: return "Host is preparing for installation";
	case HI_PREPARED: return "Host finished successfully to prepare for installation";
	case HI_PREPARE_FAILED:
		return h->images == 2 ? "Failed to prepare the installation due to an unexpected error: failed to pull container images"
		                      : "Host failed to prepare for installation due to installation disk speed check failure";
	case HI_PREPARE_TIMEOUT:
		return "Host failed to prepare for installation due to timeout";
	case HI_INSTALLING: return "Installation is in progress";
	case HI_IN_PROGRESS:
		return h->stage < AS_STAGE_COUNT ? as_stage_name((enum as_stage)h->stage) : "";
	case HI_INSTALLED: return "Done";
	case HI_FAILED_STAGE:
		snprintf(buf, len, "Failed - %s", h->progress_info);
		return buf;
	case HI_INSTALL_CMD_FAILED:
		return "Failed to install host: installer command failed";
	case HI_INSTALL_TIMEOUT:
		return "Host failed to install due to timeout while starting installation";
	case HI_DISCONNECTED_INSTALL:
		return "Host failed to install due to timeout while connecting to host";
	case HI_STAGE_TIMEOUT:
		snprintf(buf, len, "Host failed to install because its installation stage %s took longer than expected",
		         h->stage < AS_STAGE_COUNT ? as_stage_name((enum as_stage)h->stage) : "");
		return buf;
	case HI_CLUSTER_ERROR:
		return "Host is part of a cluster that failed to install";
	case HI_REBOOT_TIMEOUT:
		return "Host timed out when pulling ignition. Check the host console and verify that it boots from the OpenShift installation disk and has network access to the cluster API. The installation will resume once the host successfully boots and can access the cluster API";
	case HI_PENDING_USER_TIMEOUT:
		return "Host failed to install due to timeout while waiting for user action";
	case HI_REREGISTERED:
		return "The host unexpectedly restarted during the installation";
	case HI_REBOOT_WRONG_DISK:
		return "Expected the host to boot from disk, but it booted the installation image - please reboot and fix boot order to boot from disk";
	case HI_CANCELLED: return "Installation cancelled by user";
	case HI_RESET:
		return "Host requires booting into the discovery image to complete resetting the installation";
	case HI_INSUFFICIENT: {
		size_t o = (size_t)snprintf(buf, len,
		                            "Host cannot be installed due to following failing validation(s): ");
		char tmp[512];
		int first = 1;
		for (int i = 0; i < HV_COUNT && o < len; i++) {
			if (i == HV_NTP_SYNCED || h->v[i] == EMU_V_SUCCESS)
				continue;
			if (h->v[i] == EMU_V_PENDING && i != HV_TIME_SYNCED && i != HV_MAJORITY_GROUP &&
			    i != HV_DNS_WILDCARD && i != HV_BELONGS_TO_MACHINE_CIDR)
				continue;
			o += (size_t)snprintf(buf + o, len - o, "%s%s", first ? "" : " ; ",
			                      validation_message(m, h, i, tmp, sizeof(tmp)));
			first = 0;
		}
		return buf;
	}
	}
	return "";
}

void emu_host_set_status(struct emu_model *m, struct emu_host *h, enum as_host_status s,
                         int info, uint64_t now_ns, int64_t wall)
{
	if (h->status != s) {
		h->status_ns = now_ns;
		h->status_updated_at = wall;
		if (m->events)
			emu_event_add(m, NULL, h, NULL, s == AS_HOST_ERROR ? 2 : 0,
			              "host_status_updated", wall, "Host %s: updated status from %s to %s",
			              emu_host_hostname(h)[0] ? emu_host_hostname(h) : "host",
			              as_host_status_name((enum as_host_status)h->status),
			              as_host_status_name(s));
	}
	int changed = h->status != s;
	h->status = (uint8_t)s;
	h->info = (uint8_t)info;
	h->updated_at = wall;
	if (changed)
		emu_kapi_host_changed(m, h);
}

static void refresh_preinstall(struct emu_model *m, struct emu_host *h, uint64_t now_ns,
                               int64_t wall)
{
	const struct emu_cluster *c = h->cluster != EMU_NONE ? m->clusters[h->cluster] : NULL;
	emu_host_validate(m, h, now_ns);
	if (!c) {
		if (h->v[HV_CONNECTED] != EMU_V_SUCCESS)
			emu_host_set_status(m, h, AS_HOST_DISCONNECTED_UNBOUND, HI_DISCONNECTED, now_ns, wall);
		else if (!h->has_inventory)
			emu_host_set_status(m, h, AS_HOST_DISCOVERING_UNBOUND, HI_DISCOVERING, now_ns, wall);
		else if (hw_failed(h) || h->v[HV_HOSTNAME_VALID] != EMU_V_SUCCESS ||
		         h->v[HV_COMPATIBLE_AGENT] != EMU_V_SUCCESS ||
		         h->v[HV_TIME_SYNCED] != EMU_V_SUCCESS)
			emu_host_set_status(m, h, AS_HOST_INSUFFICIENT_UNBOUND, HI_INSUFFICIENT, now_ns, wall);
		else
			emu_host_set_status(m, h, AS_HOST_KNOWN_UNBOUND, HI_UNBOUND_KNOWN, now_ns, wall);
		return;
	}
	if (h->v[HV_CONNECTED] != EMU_V_SUCCESS) {
		emu_host_set_status(m, h, AS_HOST_DISCONNECTED, HI_DISCONNECTED, now_ns, wall);
		return;
	}
	if (!h->has_inventory) {
		emu_host_set_status(m, h, AS_HOST_DISCOVERING, HI_DISCOVERING, now_ns, wall);
		return;
	}
	if (hw_failed(h)) {
		emu_host_set_status(m, h, AS_HOST_INSUFFICIENT, HI_INSUFFICIENT, now_ns, wall);
		return;
	}
	if (h->v[HV_MACHINE_CIDR_DEFINED] != EMU_V_SUCCESS) {
		emu_host_set_status(m, h, AS_HOST_PENDING_FOR_INPUT, HI_PENDING_INPUT, now_ns, wall);
		return;
	}
	if (!all_gating_ok(h)) {
		emu_host_set_status(m, h, AS_HOST_INSUFFICIENT, HI_INSUFFICIENT, now_ns, wall);
		return;
	}
	if (h->status == AS_HOST_KNOWN && c->status == AS_CLUSTER_PREPARING &&
	    h->role != EMU_ROLE_AUTO) {
		h->disk_speed = 0;
		h->images = 0;
		emu_host_set_status(m, h, AS_HOST_PREPARING, HI_PREPARING, now_ns, wall);
		return;
	}
	emu_host_set_status(m, h, AS_HOST_KNOWN, HI_KNOWN, now_ns, wall);
}

/* Stage timeouts in minutes (protocol/README.md §5.4). */
static double stage_timeout_s(const struct emu_model *m, const struct emu_host *h)
{
	switch ((enum as_stage)h->stage) {
	case AS_STAGE_STARTING_INSTALLATION: return 30 * 60;
	case AS_STAGE_WRITING_IMAGE_TO_DISK: return 30 * 60;
	case AS_STAGE_COPYING_REGISTRY_DATA: return 90 * 60;
	case AS_STAGE_REBOOTING:
		return (emu_host_stage_role(m, h) == AS_ROLE_SNO ? 80 : 40) * 60;
	case AS_STAGE_WAITING_FOR_IGNITION: return 24 * 3600;
	default: return 60 * 60;
	}
}

void emu_host_refresh(struct emu_model *m, struct emu_host *h, uint64_t now_ns, int64_t wall)
{
	const struct emu_cluster *c = h->cluster != EMU_NONE ? m->clusters[h->cluster] : NULL;
	enum as_host_status s = (enum as_host_status)h->status;

	if (emu_host_is_preinstall(h)) {
		refresh_preinstall(m, h, now_ns, wall);
		return;
	}
	switch (s) {
	case AS_HOST_PREPARING:
		if (!c || c->status != AS_CLUSTER_PREPARING) {
			refresh_preinstall(m, h, now_ns, wall);
			if (h->status == AS_HOST_PREPARING)
				emu_host_set_status(m, h, AS_HOST_KNOWN, HI_KNOWN, now_ns, wall);
		} else if (!emu_host_timeout_connected(m, h, now_ns)) {
			emu_host_set_status(m, h, AS_HOST_DISCONNECTED, HI_DISCONNECTED, now_ns, wall);
		} else if (h->disk_speed == 2 || h->images == 2) {
			emu_host_set_status(m, h, AS_HOST_PREPARING_FAILED, HI_PREPARE_FAILED, now_ns, wall);
		} else if (h->disk_speed == 1 && h->images == 1) {
			emu_host_set_status(m, h, AS_HOST_PREPARING_SUCCESSFUL, HI_PREPARED, now_ns, wall);
		} else if (now_ns - h->status_ns > emu_scaled_ns(m, 8 * 60)) {
			emu_host_set_status(m, h, AS_HOST_PREPARING_FAILED, HI_PREPARE_TIMEOUT, now_ns, wall);
		}
		break;
	case AS_HOST_PREPARING_SUCCESSFUL:
		if (c && c->status == AS_CLUSTER_INSTALLING)
			emu_host_set_status(m, h, AS_HOST_INSTALLING, HI_INSTALLING, now_ns, wall);
		else if (!c || c->status != AS_CLUSTER_PREPARING)
			refresh_preinstall(m, h, now_ns, wall);
		break;
	case AS_HOST_PREPARING_FAILED:
		if (!c || c->status != AS_CLUSTER_PREPARING)
			refresh_preinstall(m, h, now_ns, wall);
		break;
	case AS_HOST_INSTALLING:
		if (c && c->status == AS_CLUSTER_ERROR)
			emu_host_set_status(m, h, AS_HOST_ERROR, HI_CLUSTER_ERROR, now_ns, wall);
		else if (!emu_host_timeout_connected(m, h, now_ns))
			emu_host_set_status(m, h, AS_HOST_ERROR, HI_DISCONNECTED_INSTALL, now_ns, wall);
		else if (now_ns - h->status_ns > emu_scaled_ns(m, 20 * 60))
			emu_host_set_status(m, h, AS_HOST_ERROR, HI_INSTALL_TIMEOUT, now_ns, wall);
		break;
	case AS_HOST_INSTALLING_IN_PROGRESS: {
		int rebooted = h->stage < AS_STAGE_COUNT &&
		               as_stage_index(emu_host_stage_role(m, h), (enum as_stage)h->stage) >=
		                       as_stage_index(emu_host_stage_role(m, h), AS_STAGE_REBOOTING);
		if (c && c->status == AS_CLUSTER_ERROR)
			emu_host_set_status(m, h, AS_HOST_ERROR, HI_CLUSTER_ERROR, now_ns, wall);
		else if (!rebooted && !emu_host_timeout_connected(m, h, now_ns))
			emu_host_set_status(m, h, AS_HOST_ERROR, HI_DISCONNECTED_INSTALL, now_ns, wall);
		else if (now_ns - h->stage_ns > emu_scaled_ns(m, stage_timeout_s(m, h))) {
			if (h->stage == AS_STAGE_REBOOTING)
				emu_host_set_status(m, h, AS_HOST_INSTALLING_PENDING_USER_ACTION,
				                    HI_REBOOT_TIMEOUT, now_ns, wall);
			else
				emu_host_set_status(m, h, AS_HOST_ERROR, HI_STAGE_TIMEOUT, now_ns, wall);
		}
		break;
	}
	case AS_HOST_INSTALLING_PENDING_USER_ACTION:
		if (now_ns - h->status_ns > emu_scaled_ns(m, 60 * 60))
			emu_host_set_status(m, h, AS_HOST_ERROR, HI_PENDING_USER_TIMEOUT, now_ns, wall);
		break;
	default:
		break;
	}
}

/* ---- inventory ---- */

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static int drive_type_eligible(const char *t)
{
	static const char *const ok[] = {"HDD", "SSD", "Multipath", "RAID", "iSCSI", "FC"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(t, ok[i]) == 0)
			return 1;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

int emu_host_parse_inventory(struct emu_model *m, struct emu_host *h, json_t *inv)
{
	struct emu_inv n;
	size_t i;
	json_t *e;
	(void)m;
	if (!json_is_object(inv))
		return -1;
	memset(&n, 0, sizeof(n));
	snprintf(n.hostname, sizeof(n.hostname), "%s", jstr(inv, "hostname"));
	n.cores = (uint16_t)json_integer_value(json_object_get(json_object_get(inv, "cpu"), "count"));
	json_t *mem = json_object_get(inv, "memory");
	json_int_t pb = json_integer_value(json_object_get(mem, "physical_bytes"));
	n.ram_bytes = pb > 0 ? (uint64_t)pb : 0;
	n.meminfo = strcmp(jstr(mem, "physical_bytes_method"), "meminfo") == 0;

	/* Choose the installation disk the way the service orders eligible disks:
	 * bootable first, non-NVMe first, then the smallest. */
	int best_rank = -1;
	json_array_foreach(json_object_get(inv, "disks"), i, e) {
		const char *dt = jstr(e, "drive_type");
		json_int_t sz = json_integer_value(json_object_get(e, "size_bytes"));
		json_t *el = json_object_get(e, "installation_eligibility");
		json_t *reasons = json_object_get(el, "not_eligible_reasons");
		/* The service keeps the agent's reasons and derives "eligible" from
		 * them, so a reason-less "eligible": false still counts. */
		int agent_ok = json_array_size(reasons) == 0;
		if (n.n_disks < UINT8_MAX)
			n.n_disks++;
		if (!drive_type_eligible(dt) || sz < (json_int_t)(100 * GB) || !agent_ok ||
		    json_is_true(json_object_get(e, "is_installation_media")))
			continue;
		if (n.n_eligible < UINT8_MAX)
			n.n_eligible++;
		const char *name = jstr(e, "name");
		int rank = (json_is_true(json_object_get(e, "bootable")) ? 2 : 0) +
		           (strncmp(name, "nvme", 4) != 0 ? 1 : 0);
		if (rank > best_rank || (rank == best_rank && (uint64_t)sz < n.disk_size)) {
			best_rank = rank;
			n.disk_size = (uint64_t)sz;
			const char *id = jstr(e, "id");
			if (!*id)
				id = jstr(e, "by_id");
			if (!*id)
				id = jstr(e, "by_path");
			if (!*id)
				id = jstr(e, "path");
			if (*id)
				snprintf(n.disk_id, sizeof(n.disk_id), "%s", id);
			else
				snprintf(n.disk_id, sizeof(n.disk_id), "/dev/%s", name);
			snprintf(n.disk_path, sizeof(n.disk_path), "%s", jstr(e, "path"));
			snprintf(n.disk_name, sizeof(n.disk_name), "%s", name);
			snprintf(n.drive_type, sizeof(n.drive_type), "%s", dt);
		}
	}
	json_array_foreach(json_object_get(inv, "interfaces"), i, e) {
		const char *type = jstr(e, "type");
		size_t j;
		json_t *a;
		if (*type && strcmp(type, "physical") && strcmp(type, "vlan") && strcmp(type, "bond"))
			continue;
		uint8_t mac[6] = {0};
		parse_mac(jstr(e, "mac_address"), mac);
		json_array_foreach(json_object_get(e, "ipv4_addresses"), j, a) {
			struct emu_net net;
			if (n.n_ipv4 >= EMU_MAX_IPS || emu_cidr_parse(json_string_value(a), &net) < 0)
				continue;
			if (n.n_ipv4 == 0)
				snprintf(n.ifname, sizeof(n.ifname), "%s", jstr(e, "name"));
			n.ipv4[n.n_ipv4] = net.base;
			n.prefix[n.n_ipv4] = net.prefix;
			memcpy(n.mac[n.n_ipv4], mac, 6);
			n.n_ipv4++;
		}
	}
	json_array_foreach(json_object_get(inv, "routes"), i, e) {
		json_int_t fam = json_integer_value(json_object_get(e, "family"));
		const char *dst = jstr(e, "destination"), *gw = jstr(e, "gateway");
		if (fam == 2 && strcmp(dst, "0.0.0.0") == 0 && *gw && strcmp(gw, "0.0.0.0") != 0)
			n.route_ok = 1;
		if (fam == 10 && strcmp(dst, "::") == 0 && *gw && strcmp(gw, "::") != 0)
			n.route_ok = 1;
	}
	json_t *sv = json_object_get(inv, "system_vendor");
	if (json_is_object(sv)) {
		n.vendor_present = 1;
		n.vendor_openstack = strcmp(jstr(sv, "product_name"), "OpenStack Compute") == 0;
		n.vendor_virtual = json_is_true(json_object_get(sv, "virtual"));
	}
	h->inv = n;
	h->has_inventory = 1;
	return 0;
}
