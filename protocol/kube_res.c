#include "kube_res.h"

#include <stdio.h>
#include <string.h>

#include "sw_err.h"

static const struct kube_res table[KUBE_RES_COUNT] = {
	{KUBE_RES_NAMESPACE, "", "v1", "Namespace", "NamespaceList", "namespaces", "namespace", 0, 1, 0,
	 {"ns", NULL}},
	{KUBE_RES_SECRET, "", "v1", "Secret", "SecretList", "secrets", "secret", 1, 0, 0, {NULL}},
	{KUBE_RES_CONFIGMAP, "", "v1", "ConfigMap", "ConfigMapList", "configmaps", "configmap", 1, 0, 0,
	 {"cm", NULL}},
	{KUBE_RES_EVENT, "", "v1", "Event", "EventList", "events", "event", 1, 0, 0, {"ev", NULL}},
	{KUBE_RES_BAREMETALHOST, "metal3.io", "v1alpha1", "BareMetalHost", "BareMetalHostList",
	 "baremetalhosts", "baremetalhost", 1, 1, 1, {"bmh", "bmhost", NULL}},
	{KUBE_RES_PREPROVISIONINGIMAGE, "metal3.io", "v1alpha1", "PreprovisioningImage",
	 "PreprovisioningImageList", "preprovisioningimages", "preprovisioningimage", 1, 1, 1,
	 {"ppimg", NULL}},
	{KUBE_RES_INFRAENV, "agent-install.openshift.io", "v1beta1", "InfraEnv", "InfraEnvList",
	 "infraenvs", "infraenv", 1, 1, 1, {NULL}},
	{KUBE_RES_NMSTATECONFIG, "agent-install.openshift.io", "v1beta1", "NMStateConfig",
	 "NMStateConfigList", "nmstateconfigs", "nmstateconfig", 1, 1, 1, {NULL}},
	{KUBE_RES_AGENT, "agent-install.openshift.io", "v1beta1", "Agent", "AgentList", "agents", "agent",
	 1, 1, 1, {NULL}},
	{KUBE_RES_AGENTCLUSTERINSTALL, "extensions.hive.openshift.io", "v1beta1", "AgentClusterInstall",
	 "AgentClusterInstallList", "agentclusterinstalls", "agentclusterinstall", 1, 1, 1,
	 {"aci", NULL}},
	{KUBE_RES_CLUSTERDEPLOYMENT, "hive.openshift.io", "v1", "ClusterDeployment",
	 "ClusterDeploymentList", "clusterdeployments", "clusterdeployment", 1, 1, 1, {"cd", NULL}},
	{KUBE_RES_CLUSTERIMAGESET, "hive.openshift.io", "v1", "ClusterImageSet", "ClusterImageSetList",
	 "clusterimagesets", "clusterimageset", 0, 1, 1, {"imgset", NULL}},
};

const struct kube_res *kube_res_table(size_t *n)
{
	if (n)
		*n = KUBE_RES_COUNT;
	return table;
}

const struct kube_res *kube_res_get(enum kube_res_id id)
{
	return ((unsigned)id < KUBE_RES_COUNT) ? &table[id] : NULL;
}

const struct kube_res *kube_res_find(const char *group, const char *version, const char *plural)
{
	if (!group || !version || !plural)
		return NULL;
	for (size_t i = 0; i < KUBE_RES_COUNT; i++)
		if (strcmp(table[i].plural, plural) == 0 && strcmp(table[i].group, group) == 0 &&
		    strcmp(table[i].version, version) == 0)
			return &table[i];
	return NULL;
}

const struct kube_res *kube_res_by_kind(const char *api_version, const char *kind)
{
	char av[96];
	if (!api_version || !kind)
		return NULL;
	for (size_t i = 0; i < KUBE_RES_COUNT; i++) {
		if (strcmp(table[i].kind, kind) != 0)
			continue;
		if (kube_res_api_version(&table[i], av, sizeof(av)) > 0 && strcmp(av, api_version) == 0)
			return &table[i];
	}
	return NULL;
}

int kube_res_api_version(const struct kube_res *r, char *buf, size_t len)
{
	int n = r->group[0] ? snprintf(buf, len, "%s/%s", r->group, r->version)
	                    : snprintf(buf, len, "%s", r->version);
	return (n < 0 || (size_t)n >= len) ? SW_ERR_TOO_BIG : n;
}

int kube_res_group_resource(const struct kube_res *r, char *buf, size_t len)
{
	int n = r->group[0] ? snprintf(buf, len, "%s.%s", r->plural, r->group)
	                    : snprintf(buf, len, "%s", r->plural);
	return (n < 0 || (size_t)n >= len) ? SW_ERR_TOO_BIG : n;
}
