#include "emu_ops.h"

#include <string.h>

#include "as_model.h"

/* Generated from shared/reference/assisted-service-swagger.yaml (paths and
 * per-operation security blocks); keep the swagger order. */
static const struct emu_op ops[] = {
	{"POST", "/v2/clusters", "v2RegisterCluster", EMU_SEC_USER, 2},
	{"GET", "/v2/clusters", "v2ListClusters", EMU_SEC_USER | EMU_SEC_WATCHER, 2},
	{"GET", "/v2/clusters/{cluster_id}", "v2GetCluster", EMU_SEC_USER | EMU_SEC_AGENT | EMU_SEC_WATCHER, 3},
	{"DELETE", "/v2/clusters/{cluster_id}", "v2DeregisterCluster", EMU_SEC_USER, 3},
	{"PATCH", "/v2/clusters/{cluster_id}", "V2UpdateCluster", EMU_SEC_USER, 3},
	{"PUT", "/v2/clusters/{cluster_id}/progress", "v2UpdateClusterFinalizingProgress", EMU_SEC_AGENT, 4},
	{"GET", "/v2/clusters/{cluster_id}/hosts", "ListClusterHosts", EMU_SEC_USER | EMU_SEC_AGENT, 4},
	{"GET", "/v2/clusters/{cluster_id}/supported-platforms", "GetClusterSupportedPlatforms", EMU_SEC_USER, 4},
	{"POST", "/v2/infra-envs", "RegisterInfraEnv", EMU_SEC_USER, 2},
	{"GET", "/v2/infra-envs", "ListInfraEnvs", EMU_SEC_USER | EMU_SEC_WATCHER, 2},
	{"GET", "/v2/infra-envs/{infra_env_id}", "GetInfraEnv", EMU_SEC_USER | EMU_SEC_AGENT | EMU_SEC_URL | EMU_SEC_IMAGE | EMU_SEC_IMAGE_URL, 3},
	{"PATCH", "/v2/infra-envs/{infra_env_id}", "UpdateInfraEnv", EMU_SEC_USER, 3},
	{"DELETE", "/v2/infra-envs/{infra_env_id}", "DeregisterInfraEnv", EMU_SEC_USER, 3},
	{"GET", "/v2/infra-envs/{infra_env_id}/downloads/image-url", "GetInfraEnvDownloadURL", EMU_SEC_USER, 5},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts", "v2RegisterHost", EMU_SEC_AGENT, 4},
	{"GET", "/v2/infra-envs/{infra_env_id}/hosts", "v2ListHosts", EMU_SEC_USER | EMU_SEC_AGENT, 4},
	{"GET", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}", "v2GetHost", EMU_SEC_USER, 5},
	{"PATCH", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}", "v2UpdateHost", EMU_SEC_USER, 5},
	{"DELETE", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}", "v2DeregisterHost", EMU_SEC_USER, 5},
	{"GET", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/instructions", "v2GetNextSteps", EMU_SEC_AGENT, 6},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/instructions", "v2PostStepReply", EMU_SEC_AGENT, 6},
	{"PUT", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/progress", "v2UpdateHostInstallProgress", EMU_SEC_AGENT, 6},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/bind", "BindHost", EMU_SEC_USER, 7},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/unbind", "UnbindHost", EMU_SEC_USER, 7},
	{"PATCH", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/reset-validation/{validation_id}", "v2ResetHostValidation", EMU_SEC_USER, 8},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/reset", "v2ResetHost", EMU_SEC_USER, 7},
	{"POST", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/actions/install", "v2InstallHost", EMU_SEC_USER, 7},
	{"PATCH", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/installer-args", "v2UpdateHostInstallerArgs", EMU_SEC_USER, 6},
	{"GET", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/ignition", "v2GetHostIgnition", EMU_SEC_USER, 6},
	{"PATCH", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/ignition", "v2UpdateHostIgnition", EMU_SEC_USER, 6},
	{"GET", "/v2/infra-envs/{infra_env_id}/downloads/files", "v2DownloadInfraEnvFiles", EMU_SEC_USER | EMU_SEC_AGENT | EMU_SEC_URL | EMU_SEC_IMAGE | EMU_SEC_IMAGE_URL, 5},
	{"GET", "/v2/infra-envs/{infra_env_id}/downloads/files-presigned", "GetInfraEnvPresignedFileURL", EMU_SEC_USER, 5},
	{"PUT", "/v2/infra-envs/{infra_env_id}/hosts/{host_id}/logs-progress", "v2UpdateHostLogsProgress", EMU_SEC_AGENT, 6},
	{"POST", "/v2/infra-envs/{infra_env_id}/regenerate-signing-key", "RegenerateInfraEnvSigningKey", EMU_SEC_USER, 4},
	{"GET", "/v2/clusters/default-config", "V2GetClusterDefaultConfig", EMU_SEC_USER, 3},
	{"GET", "/v2/clusters/{cluster_id}/downloads/credentials-presigned", "V2GetPresignedForClusterCredentials", EMU_SEC_USER, 5},
	{"GET", "/v2/clusters/{cluster_id}/credentials", "V2GetCredentials", EMU_SEC_USER, 4},
	{"GET", "/v2/clusters/{cluster_id}/downloads/files", "V2DownloadClusterFiles", EMU_SEC_USER | EMU_SEC_AGENT | EMU_SEC_URL, 5},
	{"GET", "/v2/clusters/{cluster_id}/downloads/credentials", "V2DownloadClusterCredentials", EMU_SEC_USER | EMU_SEC_AGENT, 5},
	{"GET", "/v2/clusters/{cluster_id}/downloads/files-presigned", "V2GetPresignedForClusterFiles", EMU_SEC_USER, 5},
	{"GET", "/v2/infra-envs/{infra_env_id}/downloads/minimal-initrd", "DownloadMinimalInitrd", EMU_SEC_USER | EMU_SEC_URL | EMU_SEC_IMAGE, 5},
	{"GET", "/v2/clusters/{cluster_id}/install-config", "v2GetClusterInstallConfig", EMU_SEC_USER, 4},
	{"PATCH", "/v2/clusters/{cluster_id}/install-config", "v2UpdateClusterInstallConfig", EMU_SEC_USER, 4},
	{"GET", "/v2/domains", "V2ListManagedDomains", EMU_SEC_USER, 2},
	{"POST", "/v2/clusters/{cluster_id}/actions/install", "v2InstallCluster", EMU_SEC_USER, 5},
	{"POST", "/v2/clusters/{cluster_id}/actions/cancel", "V2CancelInstallation", EMU_SEC_USER, 5},
	{"POST", "/v2/clusters/{cluster_id}/actions/reset", "v2ResetCluster", EMU_SEC_USER, 5},
	{"POST", "/v2/clusters/{cluster_id}/actions/allow-add-workers", "TransformClusterToDay2", EMU_SEC_USER, 5},
	{"POST", "/v2/clusters/{cluster_id}/actions/allow-add-hosts", "TransformClusterToAddingHosts", EMU_SEC_USER, 5},
	{"GET", "/v2/clusters/{cluster_id}/preflight-requirements", "v2GetPreflightRequirements", EMU_SEC_USER, 4},
	{"GET", "/v2/supported-operators/{operator_name}", "V2ListOperatorProperties", EMU_SEC_USER, 3},
	{"GET", "/v2/supported-operators", "V2ListSupportedOperators", EMU_SEC_USER, 2},
	{"GET", "/v2/operators/bundles", "V2ListBundles", EMU_SEC_USER, 3},
	{"GET", "/v2/operators/bundles/{id}", "V2GetBundle", EMU_SEC_USER, 4},
	{"POST", "/v2/clusters/{cluster_id}/uploads/ingress-cert", "v2UploadClusterIngressCert", EMU_SEC_AGENT, 5},
	{"POST", "/v2/clusters/{cluster_id}/actions/complete-installation", "v2CompleteInstallation", EMU_SEC_AGENT, 5},
	{"PUT", "/v2/clusters/{cluster_id}/logs-progress", "v2UpdateClusterLogsProgress", EMU_SEC_AGENT, 4},
	{"GET", "/v2/clusters/{cluster_id}/manifests", "V2ListClusterManifests", EMU_SEC_USER, 4},
	{"POST", "/v2/clusters/{cluster_id}/manifests", "V2CreateClusterManifest", EMU_SEC_USER, 4},
	{"PATCH", "/v2/clusters/{cluster_id}/manifests", "V2UpdateClusterManifest", EMU_SEC_USER, 4},
	{"DELETE", "/v2/clusters/{cluster_id}/manifests", "V2DeleteClusterManifest", EMU_SEC_USER, 4},
	{"GET", "/v2/component-versions", "v2ListComponentVersions", EMU_SEC_USER, 2},
	{"GET", "/v2/openshift-versions", "v2ListSupportedOpenshiftVersions", EMU_SEC_USER, 2},
	{"GET", "/v2/release-sources", "v2ListReleaseSources", EMU_SEC_USER, 2},
	{"GET", "/v2/clusters/{cluster_id}/manifests/files", "v2DownloadClusterManifest", EMU_SEC_USER, 5},
	{"GET", "/v2/clusters/{cluster_id}/logs", "V2DownloadClusterLogs", EMU_SEC_USER | EMU_SEC_URL, 4},
	{"POST", "/v2/clusters/{cluster_id}/logs", "V2UploadLogs", EMU_SEC_AGENT, 4},
	{"GET", "/v2/clusters/{cluster_id}/monitored-operators", "V2ListOfClusterOperators", EMU_SEC_AGENT, 4},
	{"PUT", "/v2/clusters/{cluster_id}/monitored-operators", "v2ReportMonitoredOperatorStatus", EMU_SEC_AGENT, 4},
	{"GET", "/v2/infra-env/{infra_env_id}/hosts/{host_id}/downloads/ignition", "v2DownloadHostIgnition", EMU_SEC_USER | EMU_SEC_AGENT, 7},
	{"GET", "/v2/events", "v2ListEvents", EMU_SEC_USER | EMU_SEC_URL | EMU_SEC_WATCHER, 2},
	{"POST", "/v2/events", "v2TriggerEvent", EMU_SEC_AGENT, 2},
	{"GET", "/v2/support-levels/features", "GetSupportedFeatures", EMU_SEC_USER, 3},
	{"GET", "/v2/support-levels/features/detailed", "GetDetailedSupportedFeatures", EMU_SEC_USER, 4},
	{"GET", "/v2/support-levels/architectures", "GetSupportedArchitectures", EMU_SEC_USER, 3},
	{"POST", "/v2/clusters/import", "v2ImportCluster", EMU_SEC_USER, 3},
	{"POST", "/v2/clusters/disconnected", "v2RegisterDisconnectedCluster", EMU_SEC_USER, 3},
	{"GET", "/v2/clusters/{cluster_id}/ignored-validations", "v2GetIgnoredValidations", EMU_SEC_USER, 4},
	{"PUT", "/v2/clusters/{cluster_id}/ignored-validations", "v2SetIgnoredValidations", EMU_SEC_USER, 4},
	{"GET", "/v2/clusters/{cluster_id}/ui-settings", "V2GetClusterUISettings", EMU_SEC_USER, 4},
	{"PUT", "/v2/clusters/{cluster_id}/ui-settings", "V2UpdateClusterUISettings", EMU_SEC_USER, 4},
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

struct seg {
	const char *p;
	size_t len;
};

#define MAX_SEGS 12

/* Matches template |t| (|nseg| segments) against the split path. Returns -1
 * on mismatch, else the number of literal segments (the tie-breaker), and
 * fills the parameter offsets relative to |base|. */
static int match_one(const char *t, const struct seg *segs, size_t nseg, const char *base,
                     struct emu_op_match *m)
{
	int literal = 0;
	for (size_t i = 0; i < nseg; i++) {
		t++; /* the '/' */
		const char *te = strchr(t, '/');
		size_t tl = te ? (size_t)(te - t) : strlen(t);
		const struct seg *sg = &segs[i];
		if (tl > 2 && t[0] == '{') {
			size_t off = (size_t)(sg->p - base);
			if (tl == 14 && memcmp(t, "{infra_env_id}", 14) == 0) {
				m->infra_env_off = off;
				m->infra_env_len = sg->len;
			} else if (tl == 12 && memcmp(t, "{cluster_id}", 12) == 0) {
				m->cluster_off = off;
				m->cluster_len = sg->len;
			} else if (tl == 9 && memcmp(t, "{host_id}", 9) == 0) {
				m->host_off = off;
				m->host_len = sg->len;
			}
		} else {
			if (tl != sg->len || memcmp(t, sg->p, tl) != 0)
				return -1;
			literal++;
		}
		t += tl;
	}
	return literal;
}

int emu_ops_match(const char *method, const char *path, struct emu_op_match *m)
{
	static const char base[] = AS_API_BASE;
	const size_t blen = sizeof(base) - 1;
	memset(m, 0, sizeof(*m));
	m->index = -1;
	if (!method || !path || strncmp(path, base, blen) != 0)
		return 0;
	/* Split once; every template is then compared segment by segment, and
	 * only templates with the same method and segment count are tried. */
	struct seg segs[MAX_SEGS];
	size_t nseg = 0;
	const char *p = path + blen;
	if (*p != '/')
		return 0;
	while (*p == '/') {
		if (nseg == MAX_SEGS)
			return 0;
		p++;
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0)
			return 0; /* empty segment: "//" or a trailing '/' */
		segs[nseg].p = p;
		segs[nseg].len = len;
		nseg++;
		p += len;
	}
	int best = -1;
	for (size_t i = 0; i < N_OPS; i++) {
		if (ops[i].nseg != nseg || ops[i].method[0] != method[0] ||
		    strcmp(ops[i].method, method) != 0)
			continue;
		struct emu_op_match tmp;
		memset(&tmp, 0, sizeof(tmp));
		int score = match_one(ops[i].path, segs, nseg, path, &tmp);
		if (score > best) {
			best = score;
			*m = tmp;
			m->op = &ops[i];
			m->index = (int)i;
		}
	}
	return best >= 0;
}
