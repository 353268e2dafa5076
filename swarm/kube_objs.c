/*
 * kube_objs: see kube_objs.h. json_pack builds each object; a NULL from it
 * can only mean no memory, which the swarm/ policy turns into an abort.
 */
#include "kube_objs.h"

#include <stdio.h>
#include <string.h>

#include "b64.h"
#include "sw_xalloc.h"

static json_t *must(json_t *j)
{
	if (!j)
		x_oom(0);
	return j;
}

/* The run labels. */
static json_t *labels(const struct kobj_cluster *c)
{
	char shard[16];
	snprintf(shard, sizeof(shard), "%u", c->shard);
	return must(json_pack("{s:s,s:s}", KOBJ_RUN_LABEL, c->run_id, KOBJ_SHARD_LABEL, shard));
}

/* metadata {name, namespace (when |ns|), labels} */
static json_t *meta(const struct kobj_cluster *c, const char *name, int ns)
{
	json_t *m = must(json_pack("{s:s,s:o}", "name", name, "labels", labels(c)));
	if (ns)
		json_object_set_new(m, "namespace", json_string(c->name));
	return m;
}

static json_t *object(const char *api, const char *kind, json_t *md)
{
	return must(json_pack("{s:s,s:s,s:o}", "apiVersion", api, "kind", kind, "metadata", md));
}

json_t *kobj_namespace(const struct kobj_cluster *c)
{
	return object("v1", "Namespace", meta(c, c->name, 0));
}

json_t *kobj_pull_secret(const struct kobj_cluster *c)
{
	char name[128];
	const char *ps = c->svc && c->svc->pull_secret ? c->svc->pull_secret : "{\"auths\":{}}";
	char *b = b64_encode(ps, strlen(ps));
	snprintf(name, sizeof(name), "%s-pull", c->name);
	json_t *o = object("v1", "Secret", meta(c, name, 1));
	json_object_set_new(o, "type", json_string("kubernetes.io/dockerconfigjson"));
	json_object_set_new(o, "data", must(json_pack("{s:s}", ".dockerconfigjson", b)));
	free(b);
	return o;
}

json_t *kobj_infraenv(const struct kobj_cluster *c)
{
	char pull[128];
	json_t *md = meta(c, c->name, 1), *spec;
	json_t *l = json_object_get(md, "labels");
	snprintf(pull, sizeof(pull), "%s-pull", c->name);
	/* infraenv_labels (the original's template rendered them; its plan
	 * loader lost them to the infranev_labels typo) */
	for (size_t i = 0; c->shape && i < c->shape->nlabels; i++)
		json_object_set_new(l, c->shape->labels[i].key, json_string(c->shape->labels[i].value));
	spec = must(json_pack("{s:{s:s},s:o,s:s}", "pullSecretRef", "name", pull,
	                      "agentLabels", labels(c), "cpuArchitecture",
	                      c->plan && c->plan->cpu_architecture ? c->plan->cpu_architecture : "x86_64"));
	if (!(c->shape && c->shape->just_infraenv))
		json_object_set_new(spec, "clusterRef", must(json_pack("{s:s,s:s}", "name", c->name,
		                                                       "namespace", c->name)));
	if (c->svc && c->svc->ssh_pub_key && *c->svc->ssh_pub_key)
		json_object_set_new(spec, "sshAuthorizedKey", json_string(c->svc->ssh_pub_key));
	if (c->shape && c->shape->with_nmstate)
		json_object_set_new(spec, "nmStateConfigLabelSelector",
		                    must(json_pack("{s:{s:s}}", "matchLabels", "cluster-name", c->name)));
	json_t *o = object("agent-install.openshift.io/v1beta1", "InfraEnv", md);
	json_object_set_new(o, "spec", spec);
	return o;
}

json_t *kobj_agentclusterinstall(const struct kobj_cluster *c)
{
	json_t *net = must(json_pack("{s:[{s:s,s:i}],s:[s]}", "clusterNetwork", "cidr", "10.128.0.0/14",
	                             "hostPrefix", 23, "serviceNetwork", "172.30.0.0/16"));
	json_t *spec = must(json_pack(
		"{s:{s:s},s:[{s:s,s:s}],s:{s:s,s:s},s:{s:s},s:o,s:{s:i,s:i}}",
		"clusterDeploymentRef", "name", c->name,
		"compute", "hyperthreading", "Enabled", "name", "worker",
		"controlPlane", "hyperthreading", "Enabled", "name", "master",
		"imageSetRef", "name", c->imageset,
		"networking", net,
		"provisionRequirements", "controlPlaneAgents", (int)c->ncp, "workerAgents", (int)c->nworkers));
	if (c->single_node)
		json_object_set_new(net, "machineNetwork", must(json_pack("[{s:s}]", "cidr", c->machine_cidr)));
	else {
		json_object_set_new(spec, "apiVIP", json_string(c->api_vip));
		json_object_set_new(spec, "ingressVIP", json_string(c->ingress_vip));
	}
	if (c->svc && c->svc->ssh_pub_key && *c->svc->ssh_pub_key)
		json_object_set_new(spec, "sshPublicKey", json_string(c->svc->ssh_pub_key));
	json_t *o = object("extensions.hive.openshift.io/v1beta1", "AgentClusterInstall", meta(c, c->name, 1));
	json_object_set_new(o, "spec", spec);
	return o;
}

json_t *kobj_clusterdeployment(const struct kobj_cluster *c)
{
	char pull[128];
	snprintf(pull, sizeof(pull), "%s-pull", c->name);
	json_t *spec = must(json_pack(
		"{s:s,s:{s:s,s:s,s:s,s:s},s:s,s:{s:{}},s:{s:{s:{}}},s:{s:s}}",
		"baseDomain", c->plan && c->plan->base_domain ? c->plan->base_domain : "swarm.example.com",
		"clusterInstallRef", "group", "extensions.hive.openshift.io", "kind", "AgentClusterInstall",
		"name", c->name, "version", "v1beta1",
		"clusterName", c->name,
		"controlPlaneConfig", "servingCertificates",
		"platform", "agentBareMetal", "agentSelector",
		"pullSecretRef", "name", pull));
	json_t *o = object("hive.openshift.io/v1", "ClusterDeployment", meta(c, c->name, 1));
	json_object_set_new(o, "spec", spec);
	return o;
}

json_t *kobj_nmstateconfig(const struct kobj_cluster *c)
{
	char name[128];
	snprintf(name, sizeof(name), "%s-nmstate", c->name);
	json_t *md = meta(c, name, 1);
	json_object_set_new(json_object_get(md, "labels"), "cluster-name", json_string(c->name));
	/* the template's static config: the same for every cluster, MACs of no
	 * emulated host (it exercises the image's nmconnection generation) */
	json_t *spec = must(json_pack(
		"{s:{s:[{s:s,s:s,s:s,s:s,s:{s:b,s:[{s:s,s:i}],s:b}},"
		"{s:s,s:s,s:s,s:s,s:{s:b,s:[{s:s,s:i}],s:b}}],"
		"s:{s:{s:[s]}},"
		"s:{s:[{s:s,s:s,s:s,s:i},{s:s,s:s,s:s,s:i}]}},"
		"s:[{s:s,s:s},{s:s,s:s}]}",
		"config",
		"interfaces",
		"name", "eth0", "type", "ethernet", "state", "up", "mac-address", "02:00:00:80:12:14",
		"ipv4", "enabled", 1, "address", "ip", "192.168.126.30", "prefix-length", 24, "dhcp", 0,
		"name", "eth1", "type", "ethernet", "state", "up", "mac-address", "02:00:00:80:12:15",
		"ipv4", "enabled", 1, "address", "ip", "192.168.140.30", "prefix-length", 24, "dhcp", 0,
		"dns-resolver", "config", "server", "192.168.126.1",
		"routes", "config",
		"destination", "0.0.0.0/0", "next-hop-address", "192.168.126.1", "next-hop-interface", "eth1",
		"table-id", 254,
		"destination", "0.0.0.0/0", "next-hop-address", "192.168.140.1", "next-hop-interface", "eth1",
		"table-id", 254,
		"interfaces", "name", "eth0", "macAddress", "02:00:00:80:12:14",
		"name", "eth1", "macAddress", "02:00:00:80:12:15"));
	json_t *o = object("agent-install.openshift.io/v1beta1", "NMStateConfig", md);
	json_object_set_new(o, "spec", spec);
	return o;
}

json_t *kobj_baremetalhost(const struct kobj_cluster *c, unsigned j, const char *mac)
{
	char name[128], cred[140];
	snprintf(name, sizeof(name), "%s-%u", c->name, j);
	snprintf(cred, sizeof(cred), "%s-bmh", name);
	json_t *md = meta(c, name, 1);
	json_object_set_new(json_object_get(md, "labels"), KOBJ_INFRAENV_LABEL, json_string(c->name));
	json_object_set_new(md, "annotations", must(json_pack("{s:s}", KOBJ_ROLE_ANNOTATION,
	                                                      j < c->ncp ? "master" : "worker")));
	/* the operator's finalizer from the start: the swarm is that operator,
	 * and adding it afterwards would cost a write racing BMAC's first update
	 * of the new host (a conflict, a read and a second write) */
	json_object_set_new(md, "finalizers", must(json_pack("[s]", KOBJ_BMO_FINALIZER)));
	json_t *o = object("metal3.io/v1alpha1", "BareMetalHost", md);
	json_object_set_new(o, "spec", must(json_pack("{s:b,s:s,s:{s:s,s:s}}", "online", 1,
	                                              "bootMACAddress", mac, "bmc", "address", "swarm",
	                                              "credentialsName", cred)));
	return o;
}

json_t *kobj_bmc_secret(const struct kobj_cluster *c, unsigned j)
{
	char name[140];
	snprintf(name, sizeof(name), "%s-%u-bmh", c->name, j);
	json_t *o = object("v1", "Secret", meta(c, name, 1));
	json_object_set_new(o, "type", json_string("Opaque"));
	/* admin / password, as the original */
	json_object_set_new(o, "data", must(json_pack("{s:s,s:s}", "username", "YWRtaW4=",
	                                              "password", "cGFzc3dvcmQ=")));
	return o;
}

json_t *kobj_clusterimageset(const char *name, const char *run_id, const char *release_image)
{
	json_t *md = must(json_pack("{s:s,s:{s:s}}", "name", name, "labels", KOBJ_RUN_LABEL, run_id));
	json_t *o = object("hive.openshift.io/v1", "ClusterImageSet", md);
	json_object_set_new(o, "spec", must(json_pack("{s:s}", "releaseImage", release_image)));
	return o;
}

json_t *kobj_preprovisioningimage(const struct kobj_cluster *c, unsigned j, const char *uid)
{
	char name[128];
	snprintf(name, sizeof(name), "%s-%u", c->name, j);
	json_t *md = meta(c, name, 1);
	json_object_set_new(json_object_get(md, "labels"), KOBJ_INFRAENV_LABEL, json_string(c->name));
	json_object_set_new(md, "ownerReferences",
	                    must(json_pack("[{s:s,s:s,s:s,s:s,s:b,s:b}]", "apiVersion", "metal3.io/v1alpha1",
	                                   "kind", "BareMetalHost", "name", name, "uid", uid,
	                                   "controller", 1, "blockOwnerDeletion", 1)));
	json_t *o = object("metal3.io/v1alpha1", "PreprovisioningImage", md);
	json_object_set_new(o, "spec", must(json_pack("{s:[s,s],s:s}", "acceptFormats", "iso", "initrd",
	                                              "architecture",
	                                              c->plan && c->plan->cpu_architecture ?
	                                              c->plan->cpu_architecture : "x86_64")));
	return o;
}
