#include "emu_ops.h"

#include <string.h>

#include "as_model.h"

/* Generated from shared/reference/assisted-service-swagger.yaml (paths and
 * per-operation security blocks); keep the swagger order. */
static const struct emu_op ops[] = {
	{"POST", "/v2/clusters", "v2RegisterCluster", EMU_SEC_USER},
	{"GET", "/v2/clusters", "v2ListClusters", EMU_SEC_USER | EMU_SEC_WATCHER},
	{"GET", "/v2/clusters/{cluster_id}", "v2GetCluster", EMU_SEC_USER | EMU_SEC_AGENT | EMU_SEC_WATCHER},
	{"DELETE", "/v2/clusters/{cluster_id}", "v2DeregisterCluster", EMU_SEC_USER},
	{"PATCH", "/v2/clusters/{cluster_id}", "V2UpdateCluster", EMU_SEC_USER},
	{"PUT", "/v2/clusters/{cluster_id}/progress", "v2UpdateClusterFinalizingProgress", EMU_SEC_AGENT},
	{"GET", "/v2/clusters/{cluster_id}/hosts", "ListClusterHosts", EMU_SEC_USER | EMU_SEC_AGENT},
	{"GET", "/v2/clusters/{cluster_id}/supported-platforms", "GetClusterSupportedPlatforms", EMU_SEC_USER},
	{"POST", "/v2/infra-envs", "RegisterInfraEnv", EMU_SEC_USER},
	{"GET", "/v2/infra-envs", "ListInfraEnvs", EMU_SEC_USER | EMU_SEC_WATCHER},
	{"GET", "/v2/infra-envs/{infra_env_id}", "GetInfraEnv", EMU_SEC_USER | EMU_SEC_AGENT | EMU_SEC_URL | EMU_SEC_IMAGE | EMU_SEC_IMAGE_URL},
	{"PATCH", "/v2/infra-envs/{infra_env_id}", "UpdateInfraEnv", EMU_SEC_USER},
	{"DELETE", "/v2/infra-envs/{infra_env_id}", "DeregisterInfraEnv", EMU_SEC_USER},
	{"GET", "/v2/infra-envs/{infra_env_id}/downloads/image-url", "GetInfraEnvDownloadURL", EMU_SEC_USER},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts", "v2RegisterHost", EMU_SEC_AGENT},
	{"GET", "/v2/infra-envs/{infra_env_id}/hosts", "v2ListHosts", EMU_SEC_USER | EMU_SEC_AGENT},
	{"GET", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}", "v2GetHost", EMU_SEC_USER},
	{"PATCH", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}", "v2UpdateHost", EMU_SEC_USER},
	{"DELETE", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}", "v2DeregisterHost", EMU_SEC_USER},
	{"GET", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/instructions", "v2GetNextSteps", EMU_SEC_AGENT},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/instructions", "v2PostStepReply", EMU_SEC_AGENT},
	{"PUT", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/progress", "v2UpdateHostInstallProgress", EMU_SEC_AGENT},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/bind", "BindHost", EMU_SEC_USER},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/unbind", "UnbindHost", EMU_SEC_USER},
	{"PATCH", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/reset-validation/{validation_id}", "v2ResetHostValidation", EMU_SEC_USER},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/reset", "v2ResetHost", EMU_SEC_USER},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/install", "v2InstallHost", EMU_SEC_USER},
	{"PATCH", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/installer-args", "v2UpdateHostInstallerArgs", EMU_SEC_USER},
	{"GET", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/ignition", "v2GetHostIgnition", EMU_SEC_USER},
	{"PATCH", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/ignition", "v2UpdateHostIgnition", EMU_SEC_USER},
	{"GET", "/v2/infra-envs/{infra_env_id}/downloads/files", "v2DownloadInfraEnvFiles", EMU_SEC_USER | EMU_SEC_AGENT | EMU_SEC_URL | EMU_SEC_IMAGE | EMU_SEC_IMAGE_URL},
	{"GET", "/v2/infra-envs/{infra_env_id}/downloads/files-presigned", "GetInfraEnvPresignedFileURL", EMU_SEC_USER},
	{"PUT", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/logs-progress", "v2UpdateHostLogsProgress", EMU_SEC_AGENT},
	{"POST", "/v2/infra-envs/{infra_env_id}/regenerate-signing-key", "RegenerateInfraEnvSigningKey", EMU_SEC_USER},
	{"GET", "/v2/clusters/default-config", "V2GetClusterDefaultConfig", EMU_SEC_USER},
	{"GET", "/v2/clusters/{cluster_id}/downloads/credentials-presigned", "V2GetPresignedForClusterCredentials", EMU_SEC_USER},
	{"GET", "/v2/clusters/{cluster_id}/credentials", "V2GetCredentials", EMU_SEC_USER},
	{"GET", "/v2/clusters/{cluster_id}/downloads/files", "V2DownloadClusterFiles", EMU_SEC_USER | EMU_SEC_AGENT | EMU_SEC_URL},
	{"GET", "/v2/clusters/{cluster_id}/downloads/credentials", "V2DownloadClusterCredentials", EMU_SEC_USER | EMU_SEC_AGENT},
	{"GET", "/v2/clusters/{cluster_id}/downloads/files-presigned", "V2GetPresignedForClusterFiles", EMU_SEC_USER},
	{"GET", "/v2/infra-envs/{infra_env_id}/downloads/minimal-initrd", "DownloadMinimalInitrd", EMU_SEC_USER | EMU_SEC_URL | EMU_SEC_IMAGE},
	{"GET", "/v2/clusters/{cluster_id}/install-config", "v2GetClusterInstallConfig", EMU_SEC_USER},
	{"PATCH", "/v2/clusters/{cluster_id}/install-config", "v2UpdateClusterInstallConfig", EMU_SEC_USER},
	{"GET", "/v2/domains", "V2ListManagedDomains", EMU_SEC_USER},
	{"POST", "/v2/clusters/{cluster_id}/actions/install", "v2InstallCluster", EMU_SEC_USER},
	{"POST", "/v2/clusters/{cluster_id}/actions/cancel", "V2CancelInstallation", EMU_SEC_USER},
	{"POST", "/v2/clusters/{cluster_id}/actions/reset", "v2ResetCluster", EMU_SEC_USER},
	{"POST", "/v2/clusters/{cluster_id}/actions/allow-add-workers", "TransformClusterToDay2", EMU_SEC_USER},
	{"POST", "/v2/clusters/{cluster_id}/actions/allow-add-hosts", "TransformClusterToAddingHosts", EMU_SEC_USER},
	{"GET", "/v2/clusters/{cluster_id}/preflight-requirements", "v2GetPreflightRequirements", EMU_SEC_USER},
	{"GET", "/v2/supported-operators/{operator_name}", "V2ListOperatorProperties", EMU_SEC_USER},
	{"GET", "/v2/supported-operators", "V2ListSupportedOperators", EMU_SEC_USER},
	{"GET", "/v2/operators/bundles", "V2ListBundles", EMU_SEC_USER},
	{"GET", "/v2/operators/bundles/{id}", "V2GetBundle", EMU_SEC_USER},
	{"POST", "/v2/clusters/{cluster_id}/uploads/ingress-cert", "v2UploadClusterIngressCert", EMU_SEC_AGENT},
	{"POST", "/v2/clusters/{cluster_id}/actions/complete-installation", "v2CompleteInstallation", EMU_SEC_AGENT},
	{"PUT", "/v2/clusters/{cluster_id}/logs-progress", "v2UpdateClusterLogsProgress", EMU_SEC_AGENT},
	{"GET", "/v2/clusters/{cluster_id}/manifests", "V2ListClusterManifests", EMU_SEC_USER},
	{"POST", "/v2/clusters/{cluster_id}/manifests", "V2CreateClusterManifest", EMU_SEC_USER},
	{"PATCH", "/v2/clusters/{cluster_id}/manifests", "V2UpdateClusterManifest", EMU_SEC_USER},
	{"DELETE", "/v2/clusters/{cluster_id}/manifests", "V2DeleteClusterManifest", EMU_SEC_USER},
	{"GET", "/v2/component-versions", "v2ListComponentVersions", EMU_SEC_USER},
	{"GET", "/v2/openshift-versions", "v2ListSupportedOpenshiftVersions", EMU_SEC_USER},
	{"GET", "/v2/release-sources", "v2ListReleaseSources", EMU_SEC_USER},
	{"GET", "/v2/clusters/{cluster_id}/manifests/files", "v2DownloadClusterManifest", EMU_SEC_USER},
	{"GET", "/v2/clusters/{cluster_id}/logs", "V2DownloadClusterLogs", EMU_SEC_USER | EMU_SEC_URL},
	{"POST", "/v2/clusters/{cluster_id}/logs", "V2UploadLogs", EMU_SEC_AGENT},
	{"GET", "/v2/clusters/{cluster_id}/monitored-operators", "V2ListOfClusterOperators", EMU_SEC_AGENT},
	{"PUT", "/v2/clusters/{cluster_id}/monitored-operators", "v2ReportMonitoredOperatorStatus", EMU_SEC_AGENT},
	{"GET", "/v2/infra-env/{infra_env_id}/hosts/{host_id}/downloads/ignition", "v2DownloadHostIgnition", EMU_SEC_USER | EMU_SEC_AGENT},
	{"GET", "/v2/events", "v2ListEvents", EMU_SEC_USER | EMU_SEC_URL | EMU_SEC_WATCHER},
	{"POST", "/v2/events", "v2TriggerEvent", EMU_SEC_AGENT},
	{"GET", "/v2/support-levels/features", "GetSupportedFeatures", EMU_SEC_USER},
	{"GET", "/v2/support-levels/features/detailed", "GetDetailedSupportedFeatures", EMU_SEC_USER},
	{"GET", "/v2/support-levels/architectures", "GetSupportedArchitectures", EMU_SEC_USER},
	{"POST", "/v2/clusters/import", "v2ImportCluster", EMU_SEC_USER},
	{"POST", "/v2/clusters/disconnected", "v2RegisterDisconnectedCluster", EMU_SEC_USER},
	{"GET", "/v2/clusters/{cluster_id}/ignored-validations", "v2GetIgnoredValidations", EMU_SEC_USER},
	{"PUT", "/v2/clusters/{cluster_id}/ignored-validations", "v2SetIgnoredValidations", EMU_SEC_USER},
	{"GET", "/v2/clusters/{cluster_id}/ui-settings", "V2GetClusterUISettings", EMU_SEC_USER},
	{"PUT", "/v2/clusters/{cluster_id}/ui-settings", "V2UpdateClusterUISettings", EMU_SEC_USER},
};

#define N_OPS (sizeof(ops) / sizeof(ops[0]))

size_t emu_ops_table(const struct emu_op **out)
{
	*out = ops;
	return N_OPS;
}

int emu_ops_find(const char *name)
{
	for (size_t i = 0; name && i < N_OPS; i++)
		if (strcmp(ops[i].operation, name) == 0)
			return (int)i;
	return -1;
}

/* Walks template |t| and path |p| segment by segment. Returns -1 on
 * mismatch, else the number of literal segments (the tie-breaker), filling
 * the parameter offsets relative to |base|. */
static int match_one(const char *t, const char *p, const char *base, struct emu_op_match *m)
{
	int literal = 0;
	while (*t && *p) {
		if (*t != '/' || *p != '/')
			return -1;
		t++;
		p++;
		const char *te = strchr(t, '/');
		const char *pe = strchr(p, '/');
		size_t tl = te ? (size_t)(te - t) : strlen(t);
		size_t pl = pe ? (size_t)(pe - p) : strlen(p);
		if (tl > 2 && t[0] == '{') {
			if (pl == 0)
				return -1;
			size_t off = (size_t)(p - base);
			if (tl == 14 && memcmp(t, "{infra_env_id}", 14) == 0) {
				m->infra_env_off = off;
				m->infra_env_len = pl;
			} else if (tl == 12 && memcmp(t, "{cluster_id}", 12) == 0) {
				m->cluster_off = off;
				m->cluster_len = pl;
			} else if (tl == 9 && memcmp(t, "{host_id}", 9) == 0) {
				m->host_off = off;
				m->host_len = pl;
			}
		} else {
			if (tl != pl || memcmp(t, p, tl) != 0)
				return -1;
			literal++;
		}
		t += tl;
		p += pl;
	}
	return (*t || *p) ? -1 : literal;
}

int emu_ops_match(const char *method, const char *path, struct emu_op_match *m)
{
	static const char base[] = AS_API_BASE;
	const size_t blen = sizeof(base) - 1;
	memset(m, 0, sizeof(*m));
	m->index = -1;
	if (!method || !path || strncmp(path, base, blen) != 0)
		return 0;
	const char *p = path + blen;
	int best = -1;
	for (size_t i = 0; i < N_OPS; i++) {
		if (strcmp(ops[i].method, method) != 0)
			continue;
		struct emu_op_match tmp;
		memset(&tmp, 0, sizeof(tmp));
		int score = match_one(ops[i].path, p, path, &tmp);
		if (score > best) {
			best = score;
			*m = tmp;
			m->op = &ops[i];
			m->index = (int)i;
		}
	}
	return best >= 0;
}
