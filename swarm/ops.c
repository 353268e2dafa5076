/*
 * ops: the per-operation header table (see ops.h). The media types are the
 * swagger's; tests/swarm/test_ops.c checks every entry against the
 * emulator's table generated from it.
 */
#include "ops.h"

#define JSON "application/json"
#define OCTETS "application/octet-stream"

static const struct swarm_op ops[EP_COUNT] = {
	[EP_REGISTER_HOST] = {"v2RegisterHost", JSON, JSON},
	[EP_GET_STEPS] = {"v2GetNextSteps", JSON, JSON},
	[EP_POST_STEP] = {"v2PostStepReply", JSON, JSON},
	[EP_HOST_LOGS_PROGRESS] = {"v2UpdateHostLogsProgress", JSON, JSON},
	[EP_UPLOAD_LOGS] = {"V2UploadLogs", JSON, "multipart/form-data"},
	[EP_HOST_PROGRESS] = {"v2UpdateHostInstallProgress", JSON, JSON},
	[EP_DOWNLOAD_FILE] = {"V2DownloadClusterFiles", OCTETS, JSON},
	[EP_DOWNLOAD_IGNITION] = {"v2DownloadHostIgnition", OCTETS, JSON},
	[EP_GET_CLUSTER] = {"v2GetCluster", JSON, JSON},
	[EP_LIST_HOSTS] = {"ListClusterHosts v2ListHosts", JSON, JSON},
	[EP_CLUSTER_LOGS_PROGRESS] = {"v2UpdateClusterLogsProgress", JSON, JSON},
	[EP_CLUSTER_PROGRESS] = {"v2UpdateClusterFinalizingProgress", JSON, JSON},
	[EP_GET_OPERATORS] = {"V2ListOfClusterOperators", JSON, JSON},
	[EP_PUT_OPERATOR] = {"v2ReportMonitoredOperatorStatus", JSON, JSON},
	[EP_INGRESS_CERT] = {"v2UploadClusterIngressCert", JSON, JSON},
	[EP_COMPLETE_INSTALL] = {"v2CompleteInstallation", JSON, JSON},
	[EP_EVENTS] = {"v2ListEvents", JSON, JSON},
	[EP_COMPONENT_VERSIONS] = {"v2ListComponentVersions", JSON, JSON},
	[EP_OPENSHIFT_VERSIONS] = {"v2ListSupportedOpenshiftVersions", JSON, JSON},
	[EP_REGISTER_CLUSTER] = {"v2RegisterCluster", JSON, JSON},
	[EP_REGISTER_INFRAENV] = {"RegisterInfraEnv", JSON, JSON},
	[EP_GET_INFRAENV] = {"GetInfraEnv", JSON, JSON},
	[EP_PATCH_CLUSTER] = {"V2UpdateCluster", JSON, JSON},
	[EP_INSTALL_CLUSTER] = {"v2InstallCluster", JSON, JSON},
	[EP_DELETE_CLUSTER] = {"v2DeregisterCluster", JSON, JSON},
	[EP_DELETE_INFRAENV] = {"DeregisterInfraEnv", JSON, JSON},
	/* the generation probe: a GET no operation of the probed path has */
	[EP_API_PROBE] = {"", JSON, JSON},
	/* kube API calls: JSON both ways (their own protocol) */
	[EP_KUBE] = {"", JSON, JSON},
	[EP_OTHER] = {"v2DeregisterHost", JSON, JSON},
};

const struct swarm_op *swarm_op(enum swarm_ep ep)
{
	if ((unsigned)ep >= EP_COUNT || !ops[ep].accept)
		return &ops[EP_OTHER];
	return &ops[ep];
}
