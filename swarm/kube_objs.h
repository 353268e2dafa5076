/*
 * kube_objs: the objects kube mode creates on the hub, as JSON, in the
 * original assisted-swarm's shapes (its manifest templates: names, labels,
 * fields), with its template defects fixed:
 *  - the InfraEnv's sshAuthorizedKey sits in spec (the template indented it
 *    under pullSecretRef, where the schema prunes it), and the
 *    AgentClusterInstall's sshPublicKey in spec (not in
 *    provisionRequirements);
 *  - one ClusterImageSet per run (cluster-scoped, named after the run id)
 *    instead of one per cluster: the original left thousands of identical
 *    cluster-scoped objects that deleting the namespaces never removes;
 *  - machine network and VIPs are the cluster's own /16 (ids.h), which the
 *    emulated hosts' addresses belong to, instead of 10.123.0.0/16 for all;
 *  - MACs are ids_host_mac(): the original's bytes (cluster index, host
 *    index) masked to 8 bits each, behind the locally administered unicast
 *    prefix 02, so they stay valid and unique for 2^24 clusters;
 *  - the InfraEnv's agentLabels carry the run labels, so the Agents the
 *    service creates can be watched by the run's selector.
 * Every object carries the run label KOBJ_RUN_LABEL=<run id> and the
 * shard label KOBJ_SHARD_LABEL=<shard index> (each shard watches its own).
 */
#ifndef SWARM_KUBE_OBJS_H
#define SWARM_KUBE_OBJS_H

#include <jansson.h>

#include "config.h"

#define KOBJ_RUN_LABEL "swarm.openshift.io/run"
#define KOBJ_SHARD_LABEL "swarm.openshift.io/shard"
#define KOBJ_INFRAENV_LABEL "infraenvs.agent-install.openshift.io"
#define KOBJ_ROLE_ANNOTATION "bmac.agent-install.openshift.io/role"
#define KOBJ_BMO_FINALIZER "baremetalhost.metal3.io"

/* What one cluster's objects are made of. Borrowed strings. */
struct kobj_cluster {
	const char *name;            /* namespace and object name C */
	const char *run_id;
	unsigned shard;
	const struct swarm_plan *plan;
	const struct swarm_service *svc;
	const struct swarm_shape *shape;   /* may be NULL: SNO */
	int single_node;
	unsigned ncp, nworkers;
	const char *machine_cidr;    /* "a.b.0.0/16" */
	const char *api_vip, *ingress_vip;
	const char *imageset;        /* ClusterImageSet name */
};

/* Each returns a new object (never NULL: aborts when out of memory). */
json_t *kobj_namespace(const struct kobj_cluster *c);
json_t *kobj_pull_secret(const struct kobj_cluster *c);
json_t *kobj_infraenv(const struct kobj_cluster *c);
json_t *kobj_agentclusterinstall(const struct kobj_cluster *c);
json_t *kobj_clusterdeployment(const struct kobj_cluster *c);
json_t *kobj_nmstateconfig(const struct kobj_cluster *c);
/* Host |j|'s BareMetalHost C-j (boot MAC |mac|) and its BMC Secret C-j-bmh. */
json_t *kobj_baremetalhost(const struct kobj_cluster *c, unsigned j, const char *mac);
json_t *kobj_bmc_secret(const struct kobj_cluster *c, unsigned j);
/* The run's ClusterImageSet |name| with |release_image|, labelled with the run. */
json_t *kobj_clusterimageset(const char *name, const char *run_id, const char *release_image);
/* The PreprovisioningImage a BareMetal Operator makes for host |j|'s BMH
 * (same name, owned by it: |uid|, with the labels the BMH was created with). */
json_t *kobj_preprovisioningimage(const struct kobj_cluster *c, unsigned j, const char *uid);

#endif
