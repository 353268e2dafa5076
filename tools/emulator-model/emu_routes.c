#include "emu_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"

/* Every operation of the swagger spec (so unknown methods get 405 and known
 * but unemulated operations get 501 rather than 404). Generated from the
 * spec's paths; handlers are filled in for the operations the emulator
 * implements. */
struct emu_route {
	const char *method;
	const char *pattern;            /* under AS_API_BASE */
	const char *op;                 /* operationId */
	void (*fn)(struct emu_ctx *x);
};

static const struct emu_route routes[] = {
	{"POST", "/v2/clusters", "v2RegisterCluster", emu_api_register_cluster},
	{"GET", "/v2/clusters", "v2ListClusters", emu_api_list_clusters},
	{"GET", "/v2/clusters/{cluster_id}", "v2GetCluster", emu_api_get_cluster},
	{"DELETE", "/v2/clusters/{cluster_id}", "v2DeregisterCluster", emu_api_delete_cluster},
	{"PATCH", "/v2/clusters/{cluster_id}", "V2UpdateCluster", emu_api_update_cluster},
	{"PUT", "/v2/clusters/{cluster_id}/progress", "v2UpdateClusterFinalizingProgress", emu_api_finalizing_progress},
	{"GET", "/v2/clusters/{cluster_id}/hosts", "ListClusterHosts", emu_api_list_cluster_hosts},
	{"GET", "/v2/clusters/{cluster_id}/supported-platforms", "GetClusterSupportedPlatforms", NULL},
	{"POST", "/v2/infra-envs", "RegisterInfraEnv", emu_api_register_infraenv},
	{"GET", "/v2/infra-envs", "ListInfraEnvs", emu_api_list_infraenvs},
	{"GET", "/v2/infra-envs/{infra_env_id}", "GetInfraEnv", emu_api_get_infraenv},
	{"PATCH", "/v2/infra-envs/{infra_env_id}", "UpdateInfraEnv", NULL},
	{"DELETE", "/v2/infra-envs/{infra_env_id}", "DeregisterInfraEnv", emu_api_delete_infraenv},
	{"GET", "/v2/infra-envs/{infra_env_id}/downloads/image-url", "GetInfraEnvDownloadURL", NULL},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts", "v2RegisterHost", emu_api_register_host},
	{"GET", "/v2/infra-envs/{infra_env_id}/hosts", "v2ListHosts", emu_api_list_infraenv_hosts},
	{"GET", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}", "v2GetHost", emu_api_get_host},
	{"PATCH", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}", "v2UpdateHost", emu_api_update_host},
	{"DELETE", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}", "v2DeregisterHost", emu_api_delete_host},
	{"GET", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/instructions", "v2GetNextSteps", emu_api_get_steps},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/instructions", "v2PostStepReply", emu_api_post_step},
	{"PUT", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/progress", "v2UpdateHostInstallProgress", emu_api_host_progress},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/bind", "BindHost", NULL},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/unbind", "UnbindHost", NULL},
	{"PATCH", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/reset-validation/{validation_id}", "v2ResetHostValidation", NULL},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/reset", "v2ResetHost", NULL},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/install", "v2InstallHost", NULL},
	{"PATCH", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/installer-args", "v2UpdateHostInstallerArgs", emu_api_update_installer_args},
	{"GET", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/ignition", "v2GetHostIgnition", emu_api_get_host_ignition},
	{"PATCH", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/ignition", "v2UpdateHostIgnition", emu_api_update_host_ignition},
	{"GET", "/v2/infra-envs/{infra_env_id}/downloads/files", "v2DownloadInfraEnvFiles", NULL},
	{"GET", "/v2/infra-envs/{infra_env_id}/downloads/files-presigned", "GetInfraEnvPresignedFileURL", NULL},
	{"PUT", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/logs-progress", "v2UpdateHostLogsProgress", emu_api_host_logs_progress},
	{"POST", "/v2/infra-envs/{infra_env_id}/regenerate-signing-key", "RegenerateInfraEnvSigningKey", NULL},
	{"GET", "/v2/clusters/default-config", "V2GetClusterDefaultConfig", NULL},
	{"GET", "/v2/clusters/{cluster_id}/downloads/credentials-presigned", "V2GetPresignedForClusterCredentials", NULL},
	{"GET", "/v2/clusters/{cluster_id}/credentials", "V2GetCredentials", emu_api_get_credentials},
	{"GET", "/v2/clusters/{cluster_id}/downloads/files", "V2DownloadClusterFiles", emu_api_cluster_files},
	{"GET", "/v2/clusters/{cluster_id}/downloads/credentials", "V2DownloadClusterCredentials", emu_api_credentials},
	{"GET", "/v2/clusters/{cluster_id}/downloads/files-presigned", "V2GetPresignedForClusterFiles", NULL},
	{"GET", "/v2/infra-envs/{infra_env_id}/downloads/minimal-initrd", "DownloadMinimalInitrd", NULL},
	{"GET", "/v2/clusters/{cluster_id}/install-config", "v2GetClusterInstallConfig", NULL},
	{"PATCH", "/v2/clusters/{cluster_id}/install-config", "v2UpdateClusterInstallConfig", NULL},
	{"GET", "/v2/domains", "V2ListManagedDomains", NULL},
	{"POST", "/v2/clusters/{cluster_id}/actions/install", "v2InstallCluster", emu_api_install_cluster},
	{"POST", "/v2/clusters/{cluster_id}/actions/cancel", "V2CancelInstallation", emu_api_cancel_cluster},
	{"POST", "/v2/clusters/{cluster_id}/actions/reset", "v2ResetCluster", emu_api_reset_cluster},
	{"POST", "/v2/clusters/{cluster_id}/actions/allow-add-workers", "TransformClusterToDay2", emu_api_transform_day2},
	{"POST", "/v2/clusters/{cluster_id}/actions/allow-add-hosts", "TransformClusterToAddingHosts", NULL},
	{"GET", "/v2/clusters/{cluster_id}/preflight-requirements", "v2GetPreflightRequirements", NULL},
	{"GET", "/v2/supported-operators/{operator_name}", "V2ListOperatorProperties", NULL},
	{"GET", "/v2/supported-operators", "V2ListSupportedOperators", NULL},
	{"GET", "/v2/operators/bundles", "V2ListBundles", NULL},
	{"GET", "/v2/operators/bundles/{id}", "V2GetBundle", NULL},
	{"POST", "/v2/clusters/{cluster_id}/uploads/ingress-cert", "v2UploadClusterIngressCert", emu_api_ingress_cert},
	{"POST", "/v2/clusters/{cluster_id}/actions/complete-installation", "v2CompleteInstallation", emu_api_complete_installation},
	{"PUT", "/v2/clusters/{cluster_id}/logs-progress", "v2UpdateClusterLogsProgress", emu_api_cluster_logs_progress},
	{"GET", "/v2/clusters/{cluster_id}/manifests", "V2ListClusterManifests", NULL},
	{"POST", "/v2/clusters/{cluster_id}/manifests", "V2CreateClusterManifest", NULL},
	{"PATCH", "/v2/clusters/{cluster_id}/manifests", "V2UpdateClusterManifest", NULL},
	{"DELETE", "/v2/clusters/{cluster_id}/manifests", "V2DeleteClusterManifest", NULL},
	{"GET", "/v2/component-versions", "v2ListComponentVersions", emu_api_component_versions},
	{"GET", "/v2/openshift-versions", "v2ListSupportedOpenshiftVersions", emu_api_openshift_versions},
	{"GET", "/v2/release-sources", "v2ListReleaseSources", NULL},
	{"GET", "/v2/clusters/{cluster_id}/manifests/files", "v2DownloadClusterManifest", NULL},
	{"GET", "/v2/clusters/{cluster_id}/logs", "V2DownloadClusterLogs", NULL},
	{"POST", "/v2/clusters/{cluster_id}/logs", "V2UploadLogs", emu_api_upload_logs},
	{"GET", "/v2/clusters/{cluster_id}/monitored-operators", "V2ListOfClusterOperators", emu_api_list_operators},
	{"PUT", "/v2/clusters/{cluster_id}/monitored-operators", "v2ReportMonitoredOperatorStatus", emu_api_report_operator},
	{"GET", "/v2/infra-env/{infra_env_id}/hosts/{host_id}/downloads/ignition", "v2DownloadHostIgnition", emu_api_host_ignition},
	{"GET", "/v2/events", "v2ListEvents", emu_api_list_events},
	{"POST", "/v2/events", "v2TriggerEvent", emu_api_post_event},
	{"GET", "/v2/support-levels/features", "GetSupportedFeatures", NULL},
	{"GET", "/v2/support-levels/features/detailed", "GetDetailedSupportedFeatures", NULL},
	{"GET", "/v2/support-levels/architectures", "GetSupportedArchitectures", NULL},
	{"POST", "/v2/clusters/import", "v2ImportCluster", NULL},
	{"POST", "/v2/clusters/disconnected", "v2RegisterDisconnectedCluster", NULL},
	{"GET", "/v2/clusters/{cluster_id}/ignored-validations", "v2GetIgnoredValidations", emu_api_get_ignored},
	{"PUT", "/v2/clusters/{cluster_id}/ignored-validations", "v2SetIgnoredValidations", emu_api_set_ignored},
	{"GET", "/v2/clusters/{cluster_id}/ui-settings", "V2GetClusterUISettings", NULL},
	{"PUT", "/v2/clusters/{cluster_id}/ui-settings", "V2UpdateClusterUISettings", NULL},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))
#define MAX_SEGS 12

static int split(const char *path, const char *segs[MAX_SEGS], size_t lens[MAX_SEGS])
{
	int n = 0;
	const char *p = path;
	while (*p == '/')
		p++;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (n == MAX_SEGS)
			return -1;
		segs[n] = p;
		lens[n] = l;
		n++;
		p += l;
		while (*p == '/')
			p++;
	}
	return n;
}

struct emu_route_segs {
	int n;
	const char *s[MAX_SEGS];
	size_t l[MAX_SEGS];
};

struct emu_routes {
	struct emu_route_segs r[NROUTES];
};

int emu_routes_new(struct emu_routes **out)
{
	struct emu_routes *rt = calloc(1, sizeof(*rt));
	if (!rt)
		return SW_ERR_NOMEM;
	for (size_t i = 0; i < NROUTES; i++)
		rt->r[i].n = split(routes[i].pattern, rt->r[i].s, rt->r[i].l);
	*out = rt;
	return 0;
}

void emu_routes_free(struct emu_routes **rtp)
{
	if (!rtp)
		return;
	free(*rtp);
	*rtp = NULL;
}

/*
 * Matches |path| segments against a pre-split pattern; returns a score
 * (higher = more literal segments early, as the service's router prefers
 * static segments) or -1. Stores path parameters into |x|.
 */
static long match(const struct emu_route_segs *p, const char *segs[], const size_t lens[], int n,
                  struct emu_ctx *x, const char *pnames[3])
{
	const char *const *ps = p->s;
	const size_t *pl = p->l;
	long score = 0;
	int np = 0;
	if (p->n != n)
		return -1;
	for (int i = 0; i < n; i++) {
		score <<= 1;
		if (pl[i] > 2 && ps[i][0] == '{') {
			if (lens[i] == 0 || np >= 3)
				return -1;
			if (x) {
				size_t l = lens[i] < sizeof(x->pbuf[np]) - 1 ? lens[i] : sizeof(x->pbuf[np]) - 1;
				memcpy(x->pbuf[np], segs[i], l);
				x->pbuf[np][l] = '\0';
				/* Over-long values can not be valid ids; keep them visibly invalid. */
				if (lens[i] >= sizeof(x->pbuf[np]))
					x->pbuf[np][0] = '!';
				x->p[np] = x->pbuf[np];
				if (pnames)
					pnames[np] = ps[i] + 1;
			}
			np++;
			continue;
		}
		if (pl[i] != lens[i] || memcmp(ps[i], segs[i], lens[i]) != 0)
			return -1;
		score |= 1;
	}
	return score;
}

static int check_uuid_params(struct emu_ctx *x, const char *pnames[3])
{
	struct emu_uuid u;
	for (int i = 0; i < 3 && x->p[i]; i++) {
		char name[32];
		const char *end = strchr(pnames[i], '}');
		size_t l = end ? (size_t)(end - pnames[i]) : strlen(pnames[i]);
		if (l >= sizeof(name))
			l = sizeof(name) - 1;
		memcpy(name, pnames[i], l);
		name[l] = '\0';
		if (strcmp(name, "cluster_id") && strcmp(name, "infra_env_id") && strcmp(name, "host_id"))
			continue;
		if (emu_uuid_parse(x->p[i], &u) < 0) {
			emu_resp_infra(x->resp, 400, 601, "%s in path must be of type uuid: \"%s\"", name,
			               x->p[i]);
			return -1;
		}
	}
	return 0;
}

int emu_model_handle(struct emu_model *m, const struct emu_request *req, struct emu_response *resp)
{
	const char *segs[MAX_SEGS];
	size_t lens[MAX_SEGS];
	const char *path = req->path ? req->path : "";
	size_t bl = strlen(AS_API_BASE);
	long best = -1;
	const char *best_pattern = NULL;
	char allowed[128];
	int n;

	memset(resp, 0, sizeof(*resp));
	snprintf(resp->operation, sizeof(resp->operation), "unknown");
	n = -1;
	if (strncmp(path, AS_API_BASE, bl) == 0 && (path[bl] == '/' || path[bl] == '\0'))
		n = split(path + bl, segs, lens);
	if (n < 0) {
		emu_resp_infra(resp, 404, 404, "path %s was not found", path);
		return resp->body ? 0 : SW_ERR_NOMEM;
	}
	for (size_t i = 0; i < NROUTES; i++) {
		long s = match(&m->routes->r[i], segs, lens, n, NULL, NULL);
		if (s > best) {
			best = s;
			best_pattern = routes[i].pattern;
		}
	}
	if (!best_pattern) {
		emu_resp_infra(resp, 404, 404, "path %s was not found", path);
		return resp->body ? 0 : SW_ERR_NOMEM;
	}
	allowed[0] = '\0';
	for (size_t i = 0; i < NROUTES; i++) {
		if (strcmp(routes[i].pattern, best_pattern) != 0)
			continue;
		if (strcmp(routes[i].method, req->method ? req->method : "") != 0) {
			size_t al = strlen(allowed);
			snprintf(allowed + al, sizeof(allowed) - al, "%s%s", al ? "," : "",
			         routes[i].method);
			continue;
		}
		struct emu_ctx x;
		const char *pnames[3] = {0};
		memset(&x, 0, sizeof(x));
		x.m = m;
		x.req = req;
		x.resp = resp;
		match(&m->routes->r[i], segs, lens, n, &x, pnames);
		snprintf(resp->operation, sizeof(resp->operation), "%s", routes[i].op);
		if (check_uuid_params(&x, pnames) < 0)
			return resp->body ? 0 : SW_ERR_NOMEM;
		if (!routes[i].fn) {
			emu_resp_error(resp, 501, "%s is not implemented by the emulator", routes[i].op);
		} else {
			routes[i].fn(&x);
		}
		if (resp->status == 0)
			emu_resp_error(resp, 500, "internal error");
		if (!resp->body && resp->content_type)
			return SW_ERR_NOMEM;
		return 0;
	}
	emu_resp_infra(resp, 405, 405, "method %s is not allowed, but [%s] are",
	               req->method ? req->method : "", allowed);
	return resp->body ? 0 : SW_ERR_NOMEM;
}

struct emu_cluster *emu_ctx_cluster(struct emu_ctx *x, const char *id)
{
	struct emu_uuid u;
	struct emu_cluster *c = NULL;
	if (id && emu_uuid_parse(id, &u) == 0)
		c = emu_cluster_get(x->m, &u);
	if (!c)
		emu_resp_error(x->resp, 404, "cluster %s can not be found", id ? id : "");
	return c;
}

struct emu_infraenv *emu_ctx_infraenv(struct emu_ctx *x, const char *id)
{
	struct emu_uuid u;
	struct emu_infraenv *ie = NULL;
	if (id && emu_uuid_parse(id, &u) == 0)
		ie = emu_infraenv_get(x->m, &u);
	if (!ie)
		emu_resp_error(x->resp, 404, "Failed to get infra env %s: record not found",
		               id ? id : "");
	return ie;
}

struct emu_host *emu_ctx_host(struct emu_ctx *x, const char *ie, const char *id)
{
	struct emu_uuid u, ieu;
	struct emu_host *h = NULL;
	if (id && emu_uuid_parse(id, &u) == 0)
		h = emu_host_get(x->m, &u);
	if (h && ie) {
		if (emu_uuid_parse(ie, &ieu) < 0 ||
		    memcmp(&x->m->infraenvs[h->infra_env]->id, &ieu, sizeof(ieu)) != 0)
			h = NULL;
	}
	if (!h)
		emu_resp_error(x->resp, 404, "host %s in infra-env %s: record not found",
		               id ? id : "", ie ? ie : "");
	return h;
}

struct emu_host *emu_ctx_path_host(struct emu_ctx *x)
{
	if (!emu_ctx_infraenv(x, x->p[0]))
		return NULL;
	return emu_ctx_host(x, x->p[0], x->p[1]);
}
