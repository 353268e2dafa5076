#include "emu_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const cv_ids[CV_COUNT] = {
	"machine-cidr-defined", "cluster-cidr-defined", "service-cidr-defined",
	"no-cidrs-overlapping", "network-prefix-valid", "machine-cidr-equals-to-calculated-cidr",
	"api-vips-defined", "api-vips-valid", "ingress-vips-defined", "ingress-vips-valid",
	"all-hosts-are-ready-to-install", "sufficient-masters-count", "dns-domain-defined",
	"pull-secret-set", "ntp-server-configured", "network-type-valid",
	"networks-same-address-families",
};

static const uint32_t cv_not_ignorable = 1u << CV_API_VIPS_DEFINED |
                                         1u << CV_INGRESS_VIPS_DEFINED |
                                         1u << CV_ALL_HOSTS_READY |
                                         1u << CV_SUFFICIENT_MASTERS | 1u << CV_PULL_SECRET_SET;

const char *emu_cv_id(enum emu_cv v)
{
	return (unsigned)v < CV_COUNT ? cv_ids[v] : "unknown";
}

int emu_cv_parse(const char *s)
{
	for (int i = 0; i < CV_COUNT; i++)
		if (s && strcmp(s, cv_ids[i]) == 0)
			return i;
	return -1;
}

int emu_cluster_is_sno(const struct emu_cluster *c)
{
	return c->control_plane_count == 1;
}

int emu_cluster_preinstall(const struct emu_cluster *c)
{
	return c->status == AS_CLUSTER_INSUFFICIENT || c->status == AS_CLUSTER_READY ||
	       c->status == AS_CLUSTER_PENDING_FOR_INPUT;
}

int emu_cluster_machine_net(const struct emu_cluster *c, struct emu_net *out)
{
	if (!c->n_machine_nets)
		return 0;
	*out = c->machine_nets[0];
	return 1;
}

void emu_cluster_init_operators(const struct emu_model *m, struct emu_cluster *c)
{
	memset(c->operators, 0, sizeof(c->operators));
	c->operators[0].name = "console";
	c->operators[0].namespace_ = "openshift-console";
	c->n_operators = 1;
	if (m->cfg.check_cluster_version) {
		c->operators[1].name = "cvo";
		c->operators[1].namespace_ = "openshift-cluster-version";
		c->n_operators = 2;
	}
}

static int master_capable(const struct emu_host *h)
{
	return h->has_inventory && h->inv.cores >= 4 &&
	       h->inv.ram_bytes + 100ULL * 1024 * 1024 >= 16384ULL * 1024 * 1024;
}

void emu_cluster_suggest_roles(struct emu_model *m, struct emu_cluster *c)
{
	int masters = 0;
	for (size_t i = 0; i < c->nhosts; i++)
		if (m->hosts[c->hosts[i]].role == EMU_ROLE_MASTER)
			masters++;
	for (size_t i = 0; i < c->nhosts; i++) {
		struct emu_host *h = &m->hosts[c->hosts[i]];
		if (h->role != EMU_ROLE_AUTO) {
			h->suggested_role = h->role;
			continue;
		}
		if (emu_cluster_is_sno(c) || (masters < c->control_plane_count && master_capable(h))) {
			h->suggested_role = EMU_ROLE_MASTER;
			masters++;
		} else if (!h->has_inventory) {
			h->suggested_role = EMU_ROLE_AUTO;
		} else {
			h->suggested_role = EMU_ROLE_WORKER;
		}
	}
}

void emu_cluster_assign_roles(struct emu_model *m, struct emu_cluster *c)
{
	int masters = 0, have_bootstrap = 0;
	for (size_t i = 0; i < c->nhosts; i++)
		if (m->hosts[c->hosts[i]].role == EMU_ROLE_MASTER)
			masters++;
	for (size_t i = 0; i < c->nhosts; i++) {
		struct emu_host *h = &m->hosts[c->hosts[i]];
		if (h->role != EMU_ROLE_AUTO)
			continue;
		if (masters < c->control_plane_count && h->suggested_role != EMU_ROLE_WORKER) {
			h->role = EMU_ROLE_MASTER;
			masters++;
		} else {
			h->role = EMU_ROLE_WORKER;
		}
		h->suggested_role = h->role;
	}
	for (size_t i = 0; i < c->nhosts; i++) {
		struct emu_host *h = &m->hosts[c->hosts[i]];
		h->bootstrap = 0;
		if (!have_bootstrap && h->role == EMU_ROLE_MASTER) {
			h->bootstrap = 1;
			have_bootstrap = 1;
		}
	}
}

static void auto_machine_network(struct emu_model *m, struct emu_cluster *c)
{
	if (c->n_machine_nets)
		return;
	for (size_t i = 0; i < c->nhosts; i++) {
		const struct emu_host *h = &m->hosts[c->hosts[i]];
		if (!h->has_inventory || !h->inv.n_ipv4)
			continue;
		struct emu_net n = {h->inv.ipv4[0], h->inv.prefix[0]};
		if (c->umn) {
			/* SNO / user-managed: the first host's network. */
			if (!emu_cluster_is_sno(c))
				return;
		} else {
			/* Managed networking: the host network that holds the API VIP. */
			if (!c->n_api_vips || !emu_net_contains(&n, c->api_vips[0].ip))
				continue;
		}
		uint32_t mask = n.prefix ? 0xffffffffu << (32 - n.prefix) : 0;
		n.base &= mask;
		c->machine_nets[0] = n;
		c->n_machine_nets = 1;
		c->machine_net_auto = 1;
		return;
	}
}

static int nets_overlap(const struct emu_net *a, const struct emu_net *b)
{
	uint8_t p = a->prefix < b->prefix ? a->prefix : b->prefix;
	uint32_t mask = p ? 0xffffffffu << (32 - p) : 0;
	return (a->base & mask) == (b->base & mask);
}

static enum emu_vstatus vips_valid(const struct emu_cluster *c, const struct emu_vip *v, int n)
{
	struct emu_net mn;
	if (!n)
		return EMU_V_PENDING;
	if (!emu_cluster_machine_net(c, &mn))
		return EMU_V_PENDING;
	enum emu_vstatus st = EMU_V_SUCCESS;
	for (int i = 0; i < n; i++) {
		if (!emu_net_contains(&mn, v[i].ip) || v[i].verification == 2)
			return EMU_V_FAILURE;
		if (v[i].verification != 1 && !v[i].free_seen)
			st = EMU_V_PENDING;
	}
	return st;
}

static int has_inventories(const struct emu_model *m, const struct emu_cluster *c)
{
	for (size_t i = 0; i < c->nhosts; i++)
		if (m->hosts[c->hosts[i]].has_inventory)
			return 1;
	return 0;
}

static void cluster_validate(struct emu_model *m, struct emu_cluster *c)
{
	uint8_t *v = c->v;
	struct emu_net mn;
	int have_mn = emu_cluster_machine_net(c, &mn);
	int sno = emu_cluster_is_sno(c);
	int inv = has_inventories(m, c);

	for (int i = 0; i < CV_COUNT; i++)
		v[i] = EMU_V_SUCCESS;
	if ((c->umn && !sno) || have_mn)
		v[CV_MACHINE_CIDR_DEFINED] = EMU_V_SUCCESS;
	else
		v[CV_MACHINE_CIDR_DEFINED] = inv ? EMU_V_FAILURE : EMU_V_PENDING;
	if (have_mn && (nets_overlap(&mn, &c->cluster_net) || nets_overlap(&mn, &c->service_net)))
		v[CV_NO_CIDRS_OVERLAPPING] = EMU_V_FAILURE;
	if (!c->umn) {
		if (!c->n_api_vips && !c->n_ingress_vips)
			v[CV_MACHINE_CIDR_EQUALS_CALCULATED] = EMU_V_PENDING;
		else if (!inv)
			v[CV_MACHINE_CIDR_EQUALS_CALCULATED] = EMU_V_PENDING;
		else if (have_mn && c->n_api_vips && !emu_net_contains(&mn, c->api_vips[0].ip))
			v[CV_MACHINE_CIDR_EQUALS_CALCULATED] = EMU_V_FAILURE;
	}
	if (!c->umn && !sno) {
		v[CV_API_VIPS_DEFINED] = c->n_api_vips ? EMU_V_SUCCESS : EMU_V_FAILURE;
		v[CV_INGRESS_VIPS_DEFINED] = c->n_ingress_vips ? EMU_V_SUCCESS : EMU_V_FAILURE;
		if (!inv && (c->n_api_vips || c->n_ingress_vips)) {
			v[CV_API_VIPS_VALID] = v[CV_INGRESS_VIPS_VALID] = EMU_V_PENDING;
		} else {
			v[CV_API_VIPS_VALID] = vips_valid(c, c->api_vips, c->n_api_vips);
			v[CV_INGRESS_VIPS_VALID] = vips_valid(c, c->ingress_vips, c->n_ingress_vips);
		}
	}
	int all_ready = 1, masters = 0, workers = 0;
	int64_t lo = 0, hi = 0;
	int have_ts = 0;
	for (size_t i = 0; i < c->nhosts; i++) {
		const struct emu_host *h = &m->hosts[c->hosts[i]];
		if (h->status != AS_HOST_KNOWN && h->status != AS_HOST_PREPARING &&
		    h->status != AS_HOST_PREPARING_SUCCESSFUL)
			all_ready = 0;
		/* Auto-assign hosts the suggestion could not place count as workers. */
		if (emu_host_eff_role(h) == EMU_ROLE_MASTER)
			masters++;
		else
			workers++;
		if (h->has_timestamp) {
			int64_t ts = h->clock_skew;
			if (!have_ts || ts < lo)
				lo = ts;
			if (!have_ts || ts > hi)
				hi = ts;
			have_ts = 1;
		}
	}
	v[CV_ALL_HOSTS_READY] = all_ready ? EMU_V_SUCCESS : EMU_V_FAILURE;
	if (masters != c->control_plane_count || (sno && workers != 0))
		v[CV_SUFFICIENT_MASTERS] = EMU_V_FAILURE;
	v[CV_DNS_DOMAIN_DEFINED] = c->base_dns_domain[0] ? EMU_V_SUCCESS : EMU_V_FAILURE;
	v[CV_PULL_SECRET_SET] = c->pull_secret_set ? EMU_V_SUCCESS : EMU_V_FAILURE;
	v[CV_NTP_SERVER_CONFIGURED] = (hi - lo <= 240) ? EMU_V_SUCCESS : EMU_V_FAILURE;
	for (int i = 0; i < CV_COUNT; i++)
		if ((c->ignored_cluster_v >> i & 1) && !(cv_not_ignorable >> i & 1))
			v[i] = EMU_V_SUCCESS;
}

const char *emu_cluster_status_info(const struct emu_cluster *c, char *buf, size_t len)
{
	switch ((enum emu_cluster_info)c->info) {
	case CI_NONE: return "";
	case CI_INSUFFICIENT: return "Cluster is not ready for install";
	case CI_READY: return "Cluster ready to be installed";
	case CI_PENDING_INPUT: return "User input required";
	case CI_PREPARING: return "Preparing cluster for installation";
	case CI_INSTALLING: return "Installation in progress";
	case CI_FINALIZING: return "Finalizing cluster installation";
	case CI_INSTALLED: return "Cluster is installed";
	case CI_PREPARE_TIMEOUT: return "Preparing for installation was timed out for the cluster";
	case CI_PREPARE_FAILED:
		return "Cluster preparation for installation failed: a host failed to prepare";
	case CI_HOSTS_ERROR:
		snprintf(buf, len, "cluster has hosts in error%s%s", c->status_detail[0] ? ": " : "",
		         c->status_detail);
		return buf;
	case CI_FINALIZING_TIMEOUT:
		return "Cluster installation timeout while finalizing";
	case CI_PENDING_USER:
		return "Cluster has hosts pending user action";
	case CI_COMPLETE_FAILED:
		snprintf(buf, len, "%s", c->status_detail);
		return buf;
	case CI_CANCELLED: return "Canceled cluster installation";
	case CI_RESET: return "cluster was reset by user";
	case CI_ADDING_HOSTS: return "cluster is adding hosts to existing OCP cluster";
	}
	return "";
}

void emu_cluster_set_status(struct emu_model *m, struct emu_cluster *c,
                            enum as_cluster_status s, int info, uint64_t now_ns, int64_t wall)
{
	if (c->status != s) {
		c->status_ns = now_ns;
		c->status_updated_at = wall;
		emu_event_add(m, c, NULL, NULL, s == AS_CLUSTER_ERROR ? 2 : 0, "cluster_status_updated",
		              wall, "Updated status of the cluster to %s", as_cluster_status_name(s));
	}
	int changed = c->status != s;
	c->status = (uint8_t)s;
	c->info = (uint8_t)info;
	c->updated_at = wall;
	if (changed)
		emu_kapi_cluster_changed(m, c);
}

static void refresh_preinstall(struct emu_model *m, struct emu_cluster *c, uint64_t now_ns,
                               int64_t wall)
{
	auto_machine_network(m, c);
	/* Connectivity majority groups are computed by this monitor once there
	 * are hosts with inventories (and a machine network for L2). */
	for (size_t i = 0; i < c->nhosts && !c->majority_computed; i++)
		if (m->hosts[c->hosts[i]].has_inventory && (c->umn || c->n_machine_nets))
			c->majority_computed = 1;
	cluster_validate(m, c);
	int multi_cmn = !c->umn && !emu_cluster_is_sno(c);
	int all = 1;
	for (int i = 0; i < CV_COUNT; i++)
		if (c->v[i] != EMU_V_SUCCESS)
			all = 0;
	if (!c->pull_secret_set || !c->base_dns_domain[0] ||
	    (multi_cmn && (!c->n_api_vips || !c->n_ingress_vips)) ||
	    c->v[CV_MACHINE_CIDR_DEFINED] != EMU_V_SUCCESS)
		emu_cluster_set_status(m, c, AS_CLUSTER_PENDING_FOR_INPUT, CI_PENDING_INPUT, now_ns,
		                       wall);
	else if (all)
		emu_cluster_set_status(m, c, AS_CLUSTER_READY, CI_READY, now_ns, wall);
	else
		emu_cluster_set_status(m, c, AS_CLUSTER_INSUFFICIENT, CI_INSUFFICIENT, now_ns, wall);
}

static int operators_done(const struct emu_cluster *c)
{
	for (int i = 0; i < c->n_operators; i++)
		if (c->operators[i].status != EMU_OP_AVAILABLE)
			return 0;
	return 1;
}

void emu_cluster_refresh(struct emu_model *m, struct emu_cluster *c, uint64_t now_ns,
                         int64_t wall)
{
	int total = 0, ok = 0, left = 0, ipua = 0;
	int masters = 0, masters_installed = 0, masters_error = 0;
	int workers = 0, workers_installed = 0, workers_error = 0, done_or_error = 0;

	switch ((enum as_cluster_status)c->status) {
	case AS_CLUSTER_INSUFFICIENT:
	case AS_CLUSTER_READY:
	case AS_CLUSTER_PENDING_FOR_INPUT:
		refresh_preinstall(m, c, now_ns, wall);
		return;
	default:
		break;
	}
	for (size_t i = 0; i < c->nhosts; i++) {
		const struct emu_host *h = &m->hosts[c->hosts[i]];
		total++;
		if (h->status == AS_HOST_PREPARING_SUCCESSFUL)
			ok++;
		else if (h->status != AS_HOST_PREPARING && h->status != AS_HOST_KNOWN)
			left++;
		if (h->status == AS_HOST_INSTALLING_PENDING_USER_ACTION)
			ipua++;
		int inst = h->status == AS_HOST_INSTALLED, err = h->status == AS_HOST_ERROR;
		if (inst || err)
			done_or_error++;
		if (h->role == EMU_ROLE_WORKER) {
			workers++;
			workers_installed += inst;
			workers_error += err;
		} else {
			masters++;
			masters_installed += inst;
			masters_error += err;
		}
	}
	switch ((enum as_cluster_status)c->status) {
	case AS_CLUSTER_PREPARING:
		if (total && ok == total)
			emu_cluster_set_status(m, c, AS_CLUSTER_INSTALLING, CI_INSTALLING, now_ns, wall);
		else if (left)
			emu_cluster_set_status(m, c, AS_CLUSTER_INSUFFICIENT, CI_PREPARE_FAILED, now_ns, wall);
		else if (now_ns - c->status_ns > emu_scaled_ns(m, 10 * 60))
			emu_cluster_set_status(m, c, AS_CLUSTER_INSUFFICIENT, CI_PREPARE_TIMEOUT, now_ns,
			                       wall);
		break;
	case AS_CLUSTER_INSTALLING:
	case AS_CLUSTER_INSTALLING_PENDING_USER_ACTION:
		if (masters_error || (workers >= 2 && workers - workers_error < 2) ||
		    (workers == 1 && workers_error)) {
			snprintf(c->status_detail, sizeof(c->status_detail),
			         "%d master(s) and %d worker(s) failed", masters_error, workers_error);
			emu_cluster_set_status(m, c, AS_CLUSTER_ERROR, CI_HOSTS_ERROR, now_ns, wall);
		} else if (ipua) {
			emu_cluster_set_status(m, c, AS_CLUSTER_INSTALLING_PENDING_USER_ACTION,
			                       CI_PENDING_USER, now_ns, wall);
		} else if (masters && masters_installed == masters &&
		           (workers < 2 || workers_installed >= 2)) {
			c->finalizing_stage_started_at = wall;
			emu_cluster_set_status(m, c, AS_CLUSTER_FINALIZING, CI_FINALIZING, now_ns, wall);
		} else if (c->status == AS_CLUSTER_INSTALLING_PENDING_USER_ACTION) {
			emu_cluster_set_status(m, c, AS_CLUSTER_INSTALLING, CI_INSTALLING, now_ns, wall);
		}
		break;
	case AS_CLUSTER_FINALIZING:
		if (ipua) {
			emu_cluster_set_status(m, c, AS_CLUSTER_INSTALLING_PENDING_USER_ACTION,
			                       CI_PENDING_USER, now_ns, wall);
		} else if (done_or_error == total && c->ingress_ca && operators_done(c)) {
			c->install_completed_at = wall;
			c->finalizing_stage = AS_FIN_DONE;
			emu_cluster_set_status(m, c, AS_CLUSTER_INSTALLED, CI_INSTALLED, now_ns, wall);
		} else if (now_ns - c->status_ns > emu_scaled_ns(m, 5 * 3600)) {
			emu_cluster_set_status(m, c, AS_CLUSTER_ERROR, CI_FINALIZING_TIMEOUT, now_ns, wall);
		}
		break;
	default:
		break;
	}
}

const char *emu_cluster_validation_message(const struct emu_model *m,
                                           const struct emu_cluster *c, int v, char *buf,
                                           size_t len)
{
	int ok = c->v[v] == EMU_V_SUCCESS, pend = c->v[v] == EMU_V_PENDING;
	char cidr[24];
	(void)m;
	switch ((enum emu_cv)v) {
	case CV_MACHINE_CIDR_DEFINED:
		if (c->umn && !emu_cluster_is_sno(c))
			return "No Machine Network CIDR needed: User Managed Networking";
		if (ok)
			return "The Machine Network CIDR is defined.";
		if (pend)
			return "Hosts have not been discovered yet";
		if (emu_cluster_is_sno(c))
			return "The Machine Network CIDR is undefined; Setting Machine Network CIDR is required for single node cluster";
		return "The Machine Network CIDR is undefined; the Machine Network CIDR can be defined by setting either the API or Ingress virtual IPs.";
	case CV_CLUSTER_CIDR_DEFINED: return "The Cluster Network CIDR is defined.";
	case CV_SERVICE_CIDR_DEFINED: return "The Service Network CIDR is defined.";
	case CV_NO_CIDRS_OVERLAPPING:
		return ok ? "No subnet overlaps were found"
		          : "Machine network overlaps with the cluster or service network";
	case CV_NETWORK_PREFIX_VALID: return "The Cluster Network prefix is valid.";
	case CV_MACHINE_CIDR_EQUALS_CALCULATED:
		if (c->umn)
			return "The Cluster Machine CIDR is not required: User Managed Networking";
		if (pend)
			return "The Machine Network CIDR, API virtual IPs, or Ingress virtual IPs are undefined.";
		return ok ? "The Cluster Machine CIDR is equivalent to the calculated CIDR."
		          : "The Cluster Machine CIDR is different than the calculated CIDR.";
	case CV_API_VIPS_DEFINED: case CV_INGRESS_VIPS_DEFINED: {
		const char *w = v == CV_API_VIPS_DEFINED ? "API" : "Ingress";
		if (c->umn)
			snprintf(buf, len, "%s virtual IPs are not required: User Managed Networking", w);
		else if (emu_cluster_is_sno(c))
			snprintf(buf, len, "%s virtual IPs are not required: SNO", w);
		else
			snprintf(buf, len, ok ? "%s virtual IPs are defined." : "%s virtual IPs are undefined and must be provided.", w);
		return buf;
	}
	case CV_API_VIPS_VALID: case CV_INGRESS_VIPS_VALID: {
		const char *w = v == CV_API_VIPS_VALID ? "API" : "Ingress";
		const struct emu_vip *vips = v == CV_API_VIPS_VALID ? c->api_vips : c->ingress_vips;
		int n = v == CV_API_VIPS_VALID ? c->n_api_vips : c->n_ingress_vips;
		char ips[64] = "", ip[16];
		if (c->umn) {
			snprintf(buf, len, "%s virtual IPs are not required: User Managed Networking", w);
			return buf;
		}
		if (emu_cluster_is_sno(c)) {
			snprintf(buf, len, "%s virtual IPs are not required: SNO", w);
			return buf;
		}
		if (!n) {
			snprintf(buf, len, "%s virtual IPs are undefined.", w);
			return buf;
		}
		for (int i = 0; i < n; i++) {
			emu_ipv4_fmt(vips[i].ip, ip);
			snprintf(ips + strlen(ips), sizeof(ips) - strlen(ips), "%s%s", i ? ", " : "", ip);
		}
		if (c->n_machine_nets)
			emu_cidr_fmt(&c->machine_nets[0], cidr);
		else
			cidr[0] = '\0';
		if (pend)
			snprintf(buf, len, c->n_machine_nets ? "%s vips %s are not verified yet." : "Hosts have not been discovered yet",
			         v == CV_API_VIPS_VALID ? "api" : "ingress", ips);
		else if (ok)
			snprintf(buf, len, "%s vips %s belongs to the Machine CIDR and is not in use.",
			         v == CV_API_VIPS_VALID ? "api" : "ingress", ips);
		else
			snprintf(buf, len, "%s vips <%s> does not belong to machine-network-cidr <%s> or is already in use",
			         v == CV_API_VIPS_VALID ? "api" : "ingress", ips, cidr);
		return buf;
	}
	case CV_ALL_HOSTS_READY:
		return ok ? "All hosts in the cluster are ready to install."
		          : "The cluster has hosts that are not ready to install.";
	case CV_SUFFICIENT_MASTERS:
		if (ok)
			return "The cluster has the exact amount of dedicated control plane nodes.";
		if (emu_cluster_is_sno(c))
			return "Single-node clusters must have a single control plane node and no workers.";
		snprintf(buf, len, "Clusters must have exactly %d dedicated control plane nodes. Add or remove hosts, or change their roles configurations to meet the requirement.",
		         c->control_plane_count);
		return buf;
	case CV_DNS_DOMAIN_DEFINED:
		return ok ? "The base domain is defined." : "The base domain is undefined and must be provided.";
	case CV_PULL_SECRET_SET:
		return ok ? "The pull secret is set." : "The pull secret is not set.";
	case CV_NTP_SERVER_CONFIGURED:
		return ok ? "Host clocks are synchronized (there is less than a 4 minute gap between clocks)"
		          : "Host clocks are not synchronized (there's more than a 4 minute gap between clocks). Please configure an NTP server via DHCP.";
	case CV_NETWORK_TYPE_VALID: return "The cluster has a valid network type";
	case CV_SAME_FAMILIES: return "Same address families for all networks.";
	case CV_COUNT: break;
	}
	return "";
}

struct name_key {
	uint64_t hash;
	const char *name;
	uint32_t idx;
};

struct ip_key {
	uint32_t ip;
	uint8_t mac[6];
	uint32_t idx;
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

static int cmp_name(const void *a, const void *b)
{
	const struct name_key *x = a, *y = b;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_ip(const void *a, const void *b)
{
	const struct ip_key *x = a, *y = b;
	if (x->ip != y->ip)
		return x->ip < y->ip ? -1 : 1;
	return memcmp(x->mac, y->mac, 6);
}

int emu_host_is_conn_peer(const struct emu_host *h)
{
	return h->has_inventory && h->status != AS_HOST_DISCOVERING &&
	       h->status != AS_HOST_DISCONNECTED && h->inv.n_ipv4 > 0;
}

void emu_cluster_scan_hosts(struct emu_model *m, struct emu_cluster *c)
{
	size_t n = c->nhosts, nn = 0, ni = 0;
	struct name_key *names = n ? malloc(n * sizeof(*names)) : NULL;
	struct ip_key *ips = n ? malloc(n * EMU_MAX_IPS * sizeof(*ips)) : NULL;
	c->conn_peers = 0;
	for (size_t i = 0; i < n; i++) {
		struct emu_host *h = &m->hosts[c->hosts[i]];
		h->dup_name = h->ip_collision = 0;
		if (emu_host_is_conn_peer(h))
			c->conn_peers++;
		if (!h->has_inventory)
			continue;
		if (names) {
			names[nn].name = emu_host_hostname(h);
			names[nn].hash = fnv1a(names[nn].name);
			names[nn++].idx = c->hosts[i];
		}
		for (int k = 0; ips && k < h->inv.n_ipv4; k++) {
			ips[ni].ip = h->inv.ipv4[k];
			memcpy(ips[ni].mac, h->inv.mac[k], 6);
			ips[ni++].idx = c->hosts[i];
		}
	}
	/* Without memory the checks pass rather than stall the monitor. */
	if (names && nn > 1) {
		qsort(names, nn, sizeof(*names), cmp_name);
		for (size_t i = 1; i < nn; i++)
			if (cmp_name(&names[i - 1], &names[i]) == 0)
				m->hosts[names[i - 1].idx].dup_name = m->hosts[names[i].idx].dup_name = 1;
	}
	if (ips && ni > 1) {
		qsort(ips, ni, sizeof(*ips), cmp_ip);
		for (size_t s = 0, e; s < ni; s = e) {
			for (e = s + 1; e < ni && ips[e].ip == ips[s].ip; e++)
				;
			/* Sorted by MAC within the address: different MACs iff first != last. */
			if (e - s > 1 && memcmp(ips[s].mac, ips[e - 1].mac, 6) != 0)
				for (size_t k = s; k < e; k++)
					m->hosts[ips[k].idx].ip_collision = 1;
		}
	}
	free(names);
	free(ips);
}
