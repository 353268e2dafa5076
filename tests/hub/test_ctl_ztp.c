/*
 * The emulated controllers (tools/emulator-ctrl) on an in-process hub and
 * service model with fake time: a single-node ZTP install in both BMAC flows
 * step by step (InfraEnv image, BMH preparation, the 60 s image cooldown
 * scaled, the Agent made at registration, approval and binding, exact-count
 * gating, installation, hive's installed, clusterMetadata and Secrets,
 * detach, namespace deletion through every finalizer), the error paths with
 * the real conditions and messages, the PreprovisioningImage states, the
 * registration failing when its Agent cannot be made, and the metrics. The
 * agents, installer and assisted-installer-controller are the model harness
 * (tests/emulator/model_harness.c). Every write is checked against its CRD
 * schema (check_writes) and every stored object validated at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ctl_int.h"
#include "hub_crd.h"
#include "hub_schema.h"
#include "model_harness.h"
#include "sw_err.h"

#define NS "swarm-1700000000-0"
#define PULL "{\"auths\":{\"cloud.openshift.com\":{\"auth\":\"dXNlcjpwYXNzd29yZA==\",\"email\":\"swarm@example.com\"}}}"
#define MAC0 "02:00:00:00:00:01"   /* the model harness's first host */

struct t {
	struct mh mh;
	struct hub *hub;
	struct ctl *c;
};

static uint64_t t_mono(void *arg)
{
	return ((struct mh *)arg)->now_ns;
}

static int64_t t_wall(void *arg)
{
	return ((struct mh *)arg)->wall * 1000;
}

static void t_init(struct t *t, int converged, uint64_t latency_ns)
{
	struct emu_model_cfg mc;
	char err[256];
	memset(t, 0, sizeof(*t));
	emu_model_cfg_init(&mc);
	mc.time_scale = 60; /* cooldown 1 s, agent polls 1 s */
	mh_init(&t->mh, &mc);
	struct hub_cfg hc = {.seed = 3};
	t->hub = hub_new(&hc, err, sizeof(err));
	assert_non_null(t->hub);
	struct ctl_cfg cc = {
		.hub = t->hub, .model = t->mh.m, .time_scale = 60, .converged_flow = converged,
		.call_latency_ns = latency_ns, .check_writes = 1, .service_url = "http://127.0.0.1:8090",
		.mono_ns = t_mono, .wall_ms = t_wall, .clock_arg = &t->mh,
	};
	t->c = ctl_new(&cc, err, sizeof(err));
	assert_non_null(t->c);
}

/* Every stored object validates against its schema, nothing to prune. */
static int check_one(void *arg, const struct hub_blob *b)
{
	void **a = arg;
	struct hub_schema *s = a[0];
	struct hub_defs *d = a[1];
	json_t *o = hub_blob_parse(b);
	struct hub_schema_report rep = {0};
	int n = hub_schema_process(s, d->r[b->res].schema, o, HUB_SCHEMA_PRUNE | HUB_SCHEMA_VALIDATE,
	                           &rep);
	if (n || json_array_size(rep.pruned)) {
		char *p = rep.pruned ? json_dumps(rep.pruned, 0) : NULL;
		fprintf(stderr, "%s %s/%s: %d causes, pruned %s\n", kube_res_get(b->res)->kind, b->ns,
		        b->name, n, p ? p : "[]");
		free(p);
		(*(int *)a[2])++;
	}
	hub_schema_report_clear(&rep);
	json_decref(o);
	return 0;
}

static void t_free(struct t *t)
{
	struct hub_defs d;
	char err[256];
	int bad = 0;
	assert_int_equal(hub_defs_load(&d, err, sizeof(err)), 0);
	struct hub_schema *s = hub_schema_new();
	void *arg[3] = {s, &d, &bad};
	for (int r = 0; r < KUBE_RES_COUNT; r++)
		hub_list(t->hub, (enum kube_res_id)r, NULL, NULL, check_one, arg);
	hub_schema_free(&s);
	hub_defs_free(&d);
	assert_int_equal(bad, 0);
	struct ctl_stats st;
	ctl_get_stats(t->c, &st);
	if (st.invalid_writes)
		fprintf(stderr, "%s\n", ctl_first_invalid_write(t->c));
	assert_int_equal(st.invalid_writes, 0);
	ctl_free(&t->c);
	ctl_free(&t->c);
	hub_free(&t->hub);
	mh_free(&t->mh);
}

/* Runs the controllers until nothing is due now (bounded). */
static void run(struct t *t)
{
	for (int i = 0; i < 200 && ctl_next_due(t->c) <= t->mh.now_ns; i++) {
		ctl_run(t->c);
		hub_run_pending(t->hub);
	}
	hub_run_pending(t->hub);
	ctl_run(t->c);
}

/* |s| seconds of the world: monitors, agents, installer, controller (when
 * the harness knows the cluster), the hub's deferred work, the controllers. */
static void settle(struct t *t, int s)
{
	run(t);
	for (int i = 0; i < s; i++) {
		if (t->mh.cluster_id[0]) {
			mh_step(&t->mh, 1.0);
		} else {
			t->mh.now_ns += 1000000000ull;
			t->mh.wall += 1;
			emu_model_monitor(t->mh.m, t->mh.now_ns, t->mh.wall);
		}
		run(t);
	}
}

static json_t *get(struct t *t, enum kube_res_id res, const char *ns, const char *name)
{
	json_t *o = NULL;
	hub_get(t->hub, res, ns, name, &o);
	return o;
}

/* String at |path| of the stored object (static buffer, "" when absent). */
static const char *field(struct t *t, enum kube_res_id res, const char *ns, const char *name,
                         const char *path)
{
	static char buf[4096];
	json_t *o = get(t, res, ns, name);
	json_t *v = cj_get(o, path);
	if (json_is_string(v))
		snprintf(buf, sizeof(buf), "%s", json_string_value(v));
	else if (json_is_true(v))
		snprintf(buf, sizeof(buf), "true");
	else if (json_is_false(v))
		snprintf(buf, sizeof(buf), "false");
	else if (json_is_integer(v))
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
	else
		buf[0] = '\0';
	json_decref(o);
	return buf;
}

/* "status/reason" of condition |type| (static buffer). */
static const char *cond(struct t *t, enum kube_res_id res, const char *ns, const char *name,
                        const char *type)
{
	static char buf[1200];
	json_t *o = get(t, res, ns, name);
	json_t *c = cj_condition(cj_get(o, "status.conditions"), type);
	snprintf(buf, sizeof(buf), "%s/%s", c ? cj_str(c, "status") : "", c ? cj_str(c, "reason") : "");
	json_decref(o);
	return buf;
}

static const char *cond_msg(struct t *t, enum kube_res_id res, const char *ns, const char *name,
                            const char *type)
{
	static char buf[1200];
	json_t *o = get(t, res, ns, name);
	json_t *c = cj_condition(cj_get(o, "status.conditions"), type);
	snprintf(buf, sizeof(buf), "%s", c && cj_str(c, "message") ? cj_str(c, "message") : "");
	json_decref(o);
	return buf;
}

static void create(struct t *t, enum kube_res_id res, json_t *obj)
{
	json_t *st = NULL;
	int rv = hub_create(t->hub, res, obj, NULL, &st);
	if (rv) {
		char *s = json_dumps(st, 0);
		fprintf(stderr, "create: %d %s\n", rv, s);
		free(s);
	}
	assert_int_equal(rv, 0);
	json_decref(st);
	json_decref(obj);
}

/* The objects of one single-node cluster as the original templates render
 * them; |what| leaves some out: 'p' pull secret, 'i' image set, 'c' the
 * ClusterDeployment. |workers| goes into provisionRequirements. */
static void apply_cluster(struct t *t, const char *bmh_mac, const char *skip, int workers)
{
	char *ps = ctl_b64_encode(PULL, strlen(PULL));
	create(t, KUBE_RES_NAMESPACE, json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
	                                        "metadata", "name", NS));
	if (!strchr(skip, 'p'))
		create(t, KUBE_RES_SECRET, json_pack("{s:s,s:s,s:{s:s,s:s},s:s,s:{s:s}}", "apiVersion", "v1",
		                                     "kind", "Secret", "metadata", "name", NS "-pull",
		                                     "namespace", NS, "type", "kubernetes.io/dockerconfigjson",
		                                     "data", ".dockerconfigjson", ps));
	free(ps);
	create(t, KUBE_RES_INFRAENV,
	       json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:{s:s,s:s},s:{s:s}}}", "apiVersion",
	                 "agent-install.openshift.io/v1beta1", "kind", "InfraEnv", "metadata", "name", NS,
	                 "namespace", NS, "spec", "clusterRef", "name", NS, "namespace", NS, "pullSecretRef",
	                 "name", NS "-pull"));
	json_t *aci = json_pack(
		"{s:s,s:s,s:{s:s,s:s},s:{s:{s:s},s:[{s:s,s:s}],s:{s:s,s:s},s:{s:s},"
		"s:{s:[{s:s,s:i}],s:[{s:s}],s:[s]},s:{s:i,s:i}}}",
		"apiVersion", "extensions.hive.openshift.io/v1beta1", "kind", "AgentClusterInstall",
		"metadata", "name", NS, "namespace", NS, "spec", "clusterDeploymentRef", "name", NS,
		"compute", "hyperthreading", "Enabled", "name", "worker", "controlPlane", "hyperthreading",
		"Enabled", "name", "master", "imageSetRef", "name", NS, "networking", "clusterNetwork",
		"cidr", "10.128.0.0/14", "hostPrefix", 23, "machineNetwork", "cidr", "10.123.0.0/16",
		"serviceNetwork", "172.30.0.0/16", "provisionRequirements", "controlPlaneAgents", 1,
		"workerAgents", workers);
	if (workers)
		cj_set(aci, "spec.networking.userManagedNetworking", json_true());
	create(t, KUBE_RES_AGENTCLUSTERINSTALL, aci);
	if (!strchr(skip, 'c'))
		create(t, KUBE_RES_CLUSTERDEPLOYMENT,
		       json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:{s:s,s:s,s:s,s:s},s:s,s:{s:{}},"
		                 "s:{s:{s:{}}},s:{s:s}}}",
		                 "apiVersion", "hive.openshift.io/v1", "kind", "ClusterDeployment", "metadata",
		                 "name", NS, "namespace", NS, "spec", "baseDomain", "redhat.com",
		                 "clusterInstallRef", "group", "extensions.hive.openshift.io", "kind",
		                 "AgentClusterInstall", "name", NS, "version", "v1beta1", "clusterName", NS,
		                 "controlPlaneConfig", "servingCertificates", "platform", "agentBareMetal",
		                 "agentSelector", "pullSecretRef", "name", NS "-pull"));
	if (!strchr(skip, 'i'))
		create(t, KUBE_RES_CLUSTERIMAGESET,
		       json_pack("{s:s,s:s,s:{s:s},s:{s:s}}", "apiVersion", "hive.openshift.io/v1", "kind",
		                 "ClusterImageSet", "metadata", "name", NS, "spec", "releaseImage",
		                 "quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64"));
	create(t, KUBE_RES_BAREMETALHOST,
	       json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s},s:{s:s}},s:{s:b,s:s,s:{s:s,s:s}}}", "apiVersion",
	                 "metal3.io/v1alpha1", "kind", "BareMetalHost", "metadata", "name", NS "-0",
	                 "namespace", NS, "annotations", "bmac.agent-install.openshift.io/role", "master",
	                 "labels", L_INFRAENV, NS, "spec", "online", 1, "bootMACAddress", bmh_mac, "bmc",
	                 "address", "swarm", "credentialsName", NS "-0-bmh"));
}

/* The BareMetal Operator's status write. */
static void bmo_status(struct t *t, const char *state, const char *op)
{
	json_t *b = get(t, KUBE_RES_BAREMETALHOST, NS, NS "-0");
	json_object_set_new(b, "status",
	                    json_pack("{s:i,s:s,s:s,s:b,s:i,s:{s:s,s:s}}", "errorCount", 0, "errorMessage",
	                              "", "operationalStatus", op, "poweredOn", 1,
	                              "provisioningFailCount", 0, "provisioning", "state", state, "ID", ""));
	assert_int_equal(hub_update_status(t->hub, KUBE_RES_BAREMETALHOST, b, NULL, NULL), 0);
	json_decref(b);
}

/* The harness learns the ids the controllers registered. */
static void learn_ids(struct t *t)
{
	const char *ie = ctl_keys_infraenv_id(t->c, NS, NS);
	const char *cl = ctl_keys_cluster_id(t->c, NS, NS);
	assert_non_null(ie);
	assert_non_null(cl);
	snprintf(t->mh.infra_env_id, sizeof(t->mh.infra_env_id), "%s", ie);
	snprintf(t->mh.cluster_id, sizeof(t->mh.cluster_id), "%s", cl);
}

static const char *agent_name(struct t *t)
{
	return t->mh.hosts[0].id;
}

/* ---- the single-node install, non-converged ---- */

static void test_sno_nonconverged(void **state)
{
	struct t t;
	t_init(&t, 0, 0);
	apply_cluster(&t, MAC0, "", 0);
	run(&t);
	/* InfraEnv */
	assert_string_equal(cond(&t, KUBE_RES_INFRAENV, NS, NS, "ImageCreated"), "True/InfraEnvAvailable");
	assert_string_equal(cond_msg(&t, KUBE_RES_INFRAENV, NS, NS, "ImageCreated"),
	                    "InfraEnv is available: Image has been created");
	assert_non_null(strstr(field(&t, KUBE_RES_INFRAENV, NS, NS, "status.isoDownloadURL"), "/byid/"));
	json_t *ie = get(&t, KUBE_RES_INFRAENV, NS, NS);
	assert_true(cj_has_finalizer(ie, F_INFRAENV));
	assert_string_equal(json_string_value(json_object_get(cj_get(ie, "status.agentLabelSelector.matchLabels"),
	                                                      L_INFRAENV)), NS);
	int64_t created = ctl_time_parse(cj_str(ie, "status.createdTime"));
	assert_true(created > 0);
	json_decref(ie);
	/* the pull secret labelled for backup and watch */
	json_t *ps = get(&t, KUBE_RES_SECRET, NS, NS "-pull");
	assert_string_equal(cj_label(ps, L_BACKUP), "true");
	assert_string_equal(cj_label(ps, "agent-install.openshift.io/watch"), "true");
	json_decref(ps);
	/* ClusterDeployment + ACI */
	json_t *aci = get(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS);
	assert_true(cj_has_finalizer(aci, F_ACI));
	assert_string_equal(cj_str(json_array_get(cj_get(aci, "metadata.ownerReferences"), 0), "kind"),
	                    "ClusterDeployment");
	json_decref(aci);
	json_t *cd = get(&t, KUBE_RES_CLUSTERDEPLOYMENT, NS, NS);
	assert_true(cj_has_finalizer(cd, F_CD));
	json_decref(cd);
	assert_string_equal(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "SpecSynced"), "True/SyncOK");
	assert_string_equal(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "RequirementsMet"),
	                    "False/ClusterNotReady");
	assert_string_equal(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "Completed"),
	                    "False/InstallationNotStarted");
	assert_string_equal(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "Stopped"),
	                    "False/InstallationNotStopped");
	assert_string_equal(field(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "status.debugInfo.state"),
	                    "insufficient");
	learn_ids(&t);
	/* BMAC before the host is ready: prepared, no image */
	json_t *b = get(&t, KUBE_RES_BAREMETALHOST, NS, NS "-0");
	assert_true(cj_has_finalizer(b, F_BMH));
	assert_string_equal(cj_label(b, L_BACKUP), "true");
	assert_string_equal(cj_annotation(b, "inspect.metal3.io"), "disabled");
	assert_string_equal(cj_str(b, "spec.automatedCleaningMode"), "disabled");
	assert_null(cj_get(b, "spec.image"));
	json_decref(b);
	/* ready within the cooldown (same second as the image): still no image */
	assert_int_equal(t.mh.wall * 1000, created);
	bmo_status(&t, "ready", "discovered");
	run(&t);
	assert_string_equal(field(&t, KUBE_RES_BAREMETALHOST, NS, NS "-0", "spec.image.url"), "");
	assert_true(ctl_next_due(t.c) > t.mh.now_ns && ctl_next_due(t.c) <= t.mh.now_ns + 1000000000ull);
	settle(&t, 1); /* 60 s / 60 later */
	assert_non_null(strstr(field(&t, KUBE_RES_BAREMETALHOST, NS, NS "-0", "spec.image.url"), "/byid/"));
	assert_string_equal(field(&t, KUBE_RES_BAREMETALHOST, NS, NS "-0", "spec.image.format"), "live-iso");
	assert_string_equal(field(&t, KUBE_RES_BAREMETALHOST, NS, NS "-0", "spec.online"), "true");
	bmo_status(&t, "provisioned", "discovered");
	/* the host boots and registers: its Agent exists at once */
	mh_add_hosts(&t.mh, 1);
	json_t *a = get(&t, KUBE_RES_AGENT, NS, agent_name(&t));
	assert_non_null(a);
	assert_string_equal(cj_label(a, L_INFRAENV), NS);
	assert_string_equal(cj_str(json_array_get(cj_get(a, "metadata.ownerReferences"), 0), "kind"),
	                    "InfraEnv");
	assert_true(json_is_false(cj_get(a, "spec.approved")));
	assert_string_equal(cj_str(a, "spec.clusterDeploymentName.name"), NS);
	json_decref(a);
	/* discovery: inventory, BMAC approval, labels, role, hardware details */
	settle(&t, 4);
	a = get(&t, KUBE_RES_AGENT, NS, agent_name(&t));
	assert_true(cj_has_finalizer(a, F_AGENT));
	assert_true(json_is_true(cj_get(a, "spec.approved")));
	assert_string_equal(cj_label(a, L_AGENT_BMH), NS "-0");
	assert_string_equal(cj_label(a, L_CD_NAMESPACE), NS);
	assert_string_equal(cj_str(a, "spec.role"), "master");
	assert_string_equal(cj_str(json_array_get(cj_get(a, "status.inventory.interfaces"), 0), "macAddress"),
	                    MAC0);
	assert_non_null(cj_annotation(a, "agent.agent-install.openshift.io/inventory"));
	/* the inventory as the host sent it, in the CRD's shape, and its labels */
	assert_string_equal(cj_str(a, "status.inventory.cpu.modelName"), "Intel Xeon");
	assert_int_equal(json_integer_value(cj_get(a, "status.inventory.cpu.clockMegahertz")), 2400);
	assert_string_equal(cj_str(json_array_get(cj_get(a, "status.inventory.disks"), 0), "driveType"), "SSD");
	assert_string_equal(cj_label(a, "inventory.agent-install.openshift.io/cpu-virtenabled"), "true");
	assert_string_equal(cj_label(a, "inventory.agent-install.openshift.io/host-manufacturer"), "RedHat");
	json_decref(a);
	assert_int_equal(emu_model_host_approved(t.mh.m, t.mh.infra_env_id, agent_name(&t)), 1);
	b = get(&t, KUBE_RES_BAREMETALHOST, NS, NS "-0");
	assert_non_null(strstr(cj_annotation(b, "inspect.metal3.io/hardwaredetails"), MAC0));
	json_decref(b);
	assert_string_equal(cond(&t, KUBE_RES_AGENT, NS, agent_name(&t), "SpecSynced"), "True/SyncOK");
	assert_string_equal(cond(&t, KUBE_RES_AGENT, NS, agent_name(&t), "Bound"), "True/Bound");
	assert_string_equal(cond(&t, KUBE_RES_AGENT, NS, agent_name(&t), "Connected"), "True/AgentIsConnected");
	/* installation */
	for (int i = 0; i < 120 && strcmp(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "Completed"),
	                                  "True/InstallationCompleted"); i++)
		settle(&t, 1);
	assert_string_equal(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "Completed"),
	                    "True/InstallationCompleted");
	settle(&t, 1);
	assert_string_equal(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "Stopped"),
	                    "True/InstallationCompleted");
	assert_string_equal(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "Failed"),
	                    "False/InstallationNotFailed");
	/* hive marked it installed, so it is a day-2 (adding-hosts) cluster now */
	assert_string_equal(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "RequirementsMet"),
	                    "True/ClusterAlreadyInstalling");
	assert_string_equal(field(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "status.progress.totalPercentage"),
	                    "100");
	assert_string_equal(field(&t, KUBE_RES_CLUSTERDEPLOYMENT, NS, NS, "spec.installed"), "true");
	assert_string_equal(cond(&t, KUBE_RES_CLUSTERDEPLOYMENT, NS, NS, "Provisioned"), "True/Provisioned");
	assert_string_equal(cond(&t, KUBE_RES_CLUSTERDEPLOYMENT, NS, NS, "ClusterInstallCompleted"),
	                    "True/InstallationCompleted");
	assert_string_equal(field(&t, KUBE_RES_CLUSTERDEPLOYMENT, NS, NS,
	                          "spec.clusterMetadata.adminPasswordSecretRef.name"), NS "-admin-password");
	assert_string_equal(field(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "spec.clusterMetadata.infraID"),
	                    t.mh.cluster_id);
	json_t *s = get(&t, KUBE_RES_SECRET, NS, NS "-admin-kubeconfig");
	assert_non_null(s);
	assert_string_equal(cj_label(s, "hive.openshift.io/secret-type"), "kubeconfig");
	json_decref(s);
	assert_string_equal(cond(&t, KUBE_RES_AGENT, NS, agent_name(&t), "Installed"),
	                    "True/InstallationCompleted");
	b = get(&t, KUBE_RES_BAREMETALHOST, NS, NS "-0");
	assert_string_equal(cj_annotation(b, "baremetalhost.metal3.io/detached"), "assisted-service-controller");
	json_decref(b);
	/* hive's installed made the cluster a day-2 one */
	assert_string_equal(mh_cluster_status(&t.mh), "adding-hosts");
	/* namespace deletion: every finalizer runs, the service is emptied */
	assert_int_equal(hub_delete(t.hub, KUBE_RES_NAMESPACE, "", NS, NULL), 0);
	t.mh.cluster_id[0] = '\0';
	for (int i = 0; i < 20 && hub_peek(t.hub, KUBE_RES_NAMESPACE, "", NS); i++)
		settle(&t, 1);
	json_t *n = get(&t, KUBE_RES_NAMESPACE, "", NS);
	assert_null(n);
	json_t *dump = emu_model_dump(t.mh.m);
	assert_int_equal(json_array_size(json_object_get(dump, "clusters")), 0);
	assert_int_equal(json_array_size(json_object_get(dump, "infra_envs")), 0);
	assert_int_equal(json_array_size(json_object_get(dump, "hosts")), 0);
	json_decref(dump);
	assert_null(ctl_keys_cluster_id(t.c, NS, NS));
	t_free(&t);
}

/* ---- gating: approval and exact counts ---- */

static void test_requirements(void **state)
{
	struct t t;
	/* the BMH's MAC matches no host: nobody approves the Agent */
	t_init(&t, 0, 0);
	apply_cluster(&t, "02:00:00:00:00:99", "", 0);
	run(&t);
	learn_ids(&t);
	mh_add_hosts(&t.mh, 1);
	for (int i = 0; i < 30 && strcmp(mh_cluster_status(&t.mh), "ready"); i++)
		settle(&t, 1);
	assert_string_equal(mh_cluster_status(&t.mh), "ready");
	settle(&t, 2);
	assert_string_equal(mh_cluster_status(&t.mh), "ready"); /* not installing */
	assert_string_equal(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "RequirementsMet"),
	                    "False/UnapprovedAgents");
	assert_string_equal(cond_msg(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "RequirementsMet"),
	                    "The installation is pending on the approval of 1 agents");
	assert_string_equal(cond(&t, KUBE_RES_AGENT, NS, agent_name(&t), "RequirementsMet"),
	                    "False/AgentIsNotApproved");
	assert_string_equal(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "Validated"),
	                    "True/ValidationsPassing");
	/* the user approves: the installation starts */
	json_t *a = get(&t, KUBE_RES_AGENT, NS, agent_name(&t));
	cj_set(a, "spec.approved", json_true());
	assert_int_equal(hub_update(t.hub, KUBE_RES_AGENT, a, NULL, NULL), 0);
	json_decref(a);
	settle(&t, 2);
	assert_string_not_equal(mh_cluster_status(&t.mh), "ready");
	assert_string_equal(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "RequirementsMet"),
	                    "True/ClusterAlreadyInstalling");
	assert_string_equal(cond(&t, KUBE_RES_AGENT, NS, agent_name(&t), "RequirementsMet"),
	                    "True/AgentAlreadyInstalling");
	t_free(&t);

	/* one worker required, none registered: InsufficientAgents with the counts */
	t_init(&t, 0, 0);
	apply_cluster(&t, MAC0, "", 1);
	run(&t);
	learn_ids(&t);
	bmo_status(&t, "ready", "discovered");
	mh_add_hosts(&t.mh, 1);
	for (int i = 0; i < 30 && strcmp(mh_cluster_status(&t.mh), "ready"); i++)
		settle(&t, 1);
	settle(&t, 2);
	assert_string_equal(mh_cluster_status(&t.mh), "ready");
	assert_string_equal(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "RequirementsMet"),
	                    "False/InsufficientAgents");
	assert_string_equal(cond_msg(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "RequirementsMet"),
	                    "The cluster currently requires exactly 1 master agents, 0 arbiter agents and "
	                    "1 worker agents, but currently registered 1 master agents, 0 arbiter agents "
	                    "and 0 worker agents");
	t_free(&t);
}

/* ---- error paths ---- */

static void test_errors(void **state)
{
	struct t t;
	t_init(&t, 0, 0);
	/* no pull secret, no image set, no ClusterDeployment yet */
	apply_cluster(&t, MAC0, "pic", 0);
	run(&t);
	assert_string_equal(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "SpecSynced"), "False/InputError");
	assert_string_equal(cond_msg(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "SpecSynced"),
	                    "The Spec could not be synced due to an input error: ClusterDeployment with "
	                    "name '" NS "' in namespace '" NS "' not found. Ensure that the CRD is already applied.");
	assert_string_equal(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "Completed"), "Unknown/NotAvailable");
	assert_string_equal(cond(&t, KUBE_RES_INFRAENV, NS, NS, "ImageCreated"),
	                    "Unknown/MissingClusterDeployment");
	assert_non_null(strstr(cond_msg(&t, KUBE_RES_INFRAENV, NS, NS, "ImageCreated"),
	                       "ClusterDeployment is missing: failed to get clusterDeployment with name " NS));
	/* the ClusterDeployment comes: the pull secret is missing */
	create(&t, KUBE_RES_CLUSTERDEPLOYMENT,
	       json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:{s:s,s:s,s:s,s:s},s:s,s:{s:{s:{}}},s:{s:s}}}",
	                 "apiVersion", "hive.openshift.io/v1", "kind", "ClusterDeployment", "metadata",
	                 "name", NS, "namespace", NS, "spec", "baseDomain", "redhat.com",
	                 "clusterInstallRef", "group", "extensions.hive.openshift.io", "kind",
	                 "AgentClusterInstall", "name", NS, "version", "v1beta1", "clusterName", NS,
	                 "platform", "agentBareMetal", "agentSelector", "pullSecretRef", "name", NS "-pull"));
	run(&t);
	assert_string_equal(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "SpecSynced"), "False/BackendError");
	assert_non_null(strstr(cond_msg(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "SpecSynced"),
	                       "failed to find secret " NS "-pull"));
	assert_non_null(strstr(cond_msg(&t, KUBE_RES_INFRAENV, NS, NS, "ImageCreated"),
	                       "cluster does not exist: " NS ", check AgentClusterInstall conditions"));
	/* the secret comes: the ClusterImageSet is missing */
	char *ps = ctl_b64_encode(PULL, strlen(PULL));
	create(&t, KUBE_RES_SECRET, json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s}}", "apiVersion", "v1", "kind",
	                                      "Secret", "metadata", "name", NS "-pull", "namespace", NS,
	                                      "data", ".dockerconfigjson", ps));
	free(ps);
	settle(&t, 1);
	assert_string_equal(cond_msg(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "SpecSynced"),
	                    "The Spec could not be synced due to backend error: ClusterImageSet " NS
	                    " not found. Please ensure the ClusterImageSet exists");
	/* a backend error requeues after 10 s (scaled): the image set is found then */
	create(&t, KUBE_RES_CLUSTERIMAGESET,
	       json_pack("{s:s,s:s,s:{s:s},s:{s:s}}", "apiVersion", "hive.openshift.io/v1", "kind",
	                 "ClusterImageSet", "metadata", "name", NS, "spec", "releaseImage",
	                 "quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64"));
	settle(&t, 1);
	assert_string_equal(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "SpecSynced"), "True/SyncOK");
	assert_non_null(ctl_keys_cluster_id(t.c, NS, NS));
	/* the InfraEnv retried until the cluster exists */
	settle(&t, 2);
	assert_string_equal(cond(&t, KUBE_RES_INFRAENV, NS, NS, "ImageCreated"), "True/InfraEnvAvailable");
	learn_ids(&t);
	/* a registration whose Agent cannot be made fails: the InfraEnv CR is gone */
	json_t *ie = get(&t, KUBE_RES_INFRAENV, NS, NS);
	cj_remove_finalizer(ie, F_INFRAENV);
	assert_int_equal(hub_update(t.hub, KUBE_RES_INFRAENV, ie, NULL, NULL), 0);
	json_decref(ie);
	assert_int_equal(hub_delete(t.hub, KUBE_RES_INFRAENV, NS, NS, NULL), 0);
	char path[256];
	snprintf(path, sizeof(path), "/api/assisted-install/v2/infra-envs/%s/hosts", t.mh.infra_env_id);
	assert_int_equal(mh_req(&t.mh, "POST", path, NULL,
	                        "{\"host_id\":\"3b241e26-8cf5-4c0b-bd19-43fe1cf8bd77\"}"), 500);
	assert_int_equal(emu_model_host_approved(t.mh.m, t.mh.infra_env_id,
	                                         "3b241e26-8cf5-4c0b-bd19-43fe1cf8bd77"), SW_ERR_NOT_FOUND);
	t.mh.cluster_id[0] = '\0';
	t_free(&t);
}

/* ---- converged flow: the PreprovisioningImage ---- */

static json_t *ppi(struct t *t, const char *arch, int owned)
{
	json_t *b = get(t, KUBE_RES_BAREMETALHOST, NS, NS "-0");
	json_t *p = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:{s:[s],s:s}}", "apiVersion",
	                      "metal3.io/v1alpha1", "kind", "PreprovisioningImage", "metadata", "name",
	                      NS "-0", "namespace", NS, "labels", L_INFRAENV, NS, "spec", "acceptFormats",
	                      "iso", "architecture", arch);
	if (owned)
		cj_set(p, "metadata.ownerReferences",
		       json_pack("[{s:s,s:s,s:s,s:s}]", "apiVersion", "metal3.io/v1alpha1", "kind",
		                 "BareMetalHost", "name", NS "-0", "uid", cj_str(b, "metadata.uid")));
	json_decref(b);
	return p;
}

static void test_converged(void **state)
{
	struct t t;
	t_init(&t, 1, 0);
	apply_cluster(&t, MAC0, "", 0);
	run(&t);
	learn_ids(&t);
	/* no PPI yet: BMAC waits; no image in the spec in this flow */
	assert_string_equal(field(&t, KUBE_RES_BAREMETALHOST, NS, NS "-0", "spec.customDeploy.method"), "");
	/* a PPI for another architecture */
	create(&t, KUBE_RES_PREPROVISIONINGIMAGE, ppi(&t, "aarch64", 1));
	run(&t);
	json_t *p = get(&t, KUBE_RES_PREPROVISIONINGIMAGE, NS, NS "-0");
	assert_true(cj_has_finalizer(p, F_PPI));
	assert_string_equal(cj_label(p, "velero.io/exclude-from-backup"), "true");
	json_decref(p);
	assert_string_equal(cond(&t, KUBE_RES_PREPROVISIONINGIMAGE, NS, NS "-0", "ImageReady"),
	                    "False/InfraEnvArchMismatch");
	assert_string_equal(cond_msg(&t, KUBE_RES_PREPROVISIONINGIMAGE, NS, NS "-0", "ImageReady"),
	                    "PreprovisioningImage CPU architecture (arm64) does not match InfraEnv CPU architecture (x86_64)");
	assert_string_equal(cond(&t, KUBE_RES_PREPROVISIONINGIMAGE, NS, NS "-0", "ImageError"),
	                    "True/InfraEnvArchMismatch");
	/* the right architecture, within the cooldown */
	p = get(&t, KUBE_RES_PREPROVISIONINGIMAGE, NS, NS "-0");
	cj_set(p, "spec.architecture", json_string("x86_64"));
	assert_int_equal(hub_update(t.hub, KUBE_RES_PREPROVISIONINGIMAGE, p, NULL, NULL), 0);
	json_decref(p);
	run(&t);
	/* the first pass adds the ironic agent to the image and marks the InfraEnv */
	json_t *ie = get(&t, KUBE_RES_INFRAENV, NS, NS);
	assert_string_equal(cj_annotation(ie, "infraenv.agent-install.openshift.io/enable-ironic-agent"), "true");
	json_decref(ie);
	assert_string_equal(cond(&t, KUBE_RES_PREPROVISIONINGIMAGE, NS, NS "-0", "ImageReady"),
	                    "False/WaitingForInfraEnvImageToCoolDown");
	assert_string_equal(field(&t, KUBE_RES_BAREMETALHOST, NS, NS "-0", "spec.customDeploy.method"), "");
	settle(&t, 1);
	assert_string_equal(cond(&t, KUBE_RES_PREPROVISIONINGIMAGE, NS, NS "-0", "ImageReady"),
	                    "True/InfraEnvAvailable");
	assert_string_equal(cond(&t, KUBE_RES_PREPROVISIONINGIMAGE, NS, NS "-0", "ImageError"),
	                    "False/InfraEnvAvailable");
	assert_string_equal(field(&t, KUBE_RES_PREPROVISIONINGIMAGE, NS, NS "-0", "status.format"), "iso");
	assert_string_equal(field(&t, KUBE_RES_PREPROVISIONINGIMAGE, NS, NS "-0", "status.imageUrl"),
	                    field(&t, KUBE_RES_INFRAENV, NS, NS, "status.isoDownloadURL"));
	assert_string_equal(field(&t, KUBE_RES_BAREMETALHOST, NS, NS "-0", "spec.customDeploy.method"),
	                    "start_assisted_install");
	/* converged: no inspection annotation, no image in the spec */
	assert_string_equal(field(&t, KUBE_RES_BAREMETALHOST, NS, NS "-0", "spec.image.url"), "");
	bmo_status(&t, "provisioning", "OK");
	mh_add_hosts(&t.mh, 1);
	for (int i = 0; i < 120 && strcmp(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "Completed"),
	                                  "True/InstallationCompleted"); i++)
		settle(&t, 1);
	assert_string_equal(cond(&t, KUBE_RES_AGENTCLUSTERINSTALL, NS, NS, "Completed"),
	                    "True/InstallationCompleted");
	json_t *b = get(&t, KUBE_RES_BAREMETALHOST, NS, NS "-0");
	assert_null(cj_annotation(b, "inspect.metal3.io/hardwaredetails")); /* ironic's job here */
	assert_null(cj_annotation(b, "baremetalhost.metal3.io/detached"));  /* not provisioned yet */
	json_decref(b);
	bmo_status(&t, "provisioned", "OK");
	settle(&t, 1);
	b = get(&t, KUBE_RES_BAREMETALHOST, NS, NS "-0");
	assert_string_equal(cj_annotation(b, "baremetalhost.metal3.io/detached"), "assisted-service-controller");
	json_decref(b);
	/* operationalStatus detached: status backed up and the host paused */
	bmo_status(&t, "provisioned", "detached");
	settle(&t, 1);
	b = get(&t, KUBE_RES_BAREMETALHOST, NS, NS "-0");
	assert_string_equal(cj_annotation(b, "baremetalhost.metal3.io/paused"), "assisted-service-controller");
	assert_non_null(strstr(cj_annotation(b, "baremetalhost.metal3.io/status"), "\"detached\""));
	json_decref(b);
	t.mh.cluster_id[0] = '\0';
	t_free(&t);
}

/* ---- a PPI without its BMH owner is an error, requeued rate-limited ---- */

static void test_ppi_without_owner(void **state)
{
	struct t t;
	t_init(&t, 1, 0);
	apply_cluster(&t, MAC0, "", 0);
	settle(&t, 1);
	learn_ids(&t);
	create(&t, KUBE_RES_PREPROVISIONINGIMAGE, ppi(&t, "x86_64", 0));
	settle(&t, 2);
	struct ctl_stats st;
	ctl_get_stats(t.c, &st);
	assert_true(st.errors[CTL_PPI] >= 1);
	assert_string_equal(field(&t, KUBE_RES_BAREMETALHOST, NS, NS "-0", "spec.customDeploy.method"), "");
	t.mh.cluster_id[0] = '\0';
	t_free(&t);
}

/* ---- workers, emulated latency, metrics ---- */

static void test_metrics_and_latency(void **state)
{
	struct t t;
	t_init(&t, 0, 10000000ull * 60); /* 10 ms per call after the 1/60 time scale */
	apply_cluster(&t, MAC0, "", 0);
	/* the first reconciles hold their workers: not everything is done at once */
	ctl_run(t.c);
	assert_true(ctl_next_due(t.c) > t.mh.now_ns);
	for (int i = 0; i < 50; i++) {
		t.mh.now_ns += 10000000ull;
		run(&t);
	}
	assert_string_equal(cond(&t, KUBE_RES_INFRAENV, NS, NS, "ImageCreated"), "True/InfraEnvAvailable");
	struct evbuffer *out = evbuffer_new();
	ctl_metrics_render(t.c, out);
	size_t n = evbuffer_get_length(out);
	char *txt = calloc(1, n + 1);
	evbuffer_remove(out, txt, n);
	evbuffer_free(out);
	assert_non_null(strstr(txt, "controller_runtime_reconcile_total{controller=\"infraenv\",result=\"success\"}"));
	assert_non_null(strstr(txt, "controller_runtime_max_concurrent_reconciles{controller=\"baremetal-agent-controller\"} 1\n"));
	assert_non_null(strstr(txt, "workqueue_depth{name=\"agent\"} 0\n"));
	assert_non_null(strstr(txt, "controller_runtime_reconcile_time_seconds_bucket{controller=\"infraenv\",le=\"0.01\"}"));
	assert_non_null(strstr(txt, "workqueue_queue_duration_seconds_count{name=\"clusterdeployment\"}"));
	assert_null(strstr(txt, "preprovisioningimage")); /* no PPI controller without the converged flow */
	/* every InfraEnv reconcile wrote (at least its status): each held its worker >= 10 ms */
	const char *h = strstr(txt, "controller_runtime_reconcile_time_seconds_bucket{controller=\"infraenv\",le=\"0.005\"} ");
	assert_non_null(h);
	assert_int_equal(atoi(strchr(h, '}') + 2), 0);
	free(txt);
	struct ctl_stats st;
	ctl_get_stats(t.c, &st);
	assert_true(st.reconciles[CTL_INFRAENV] >= 1);
	assert_int_equal(st.depth[CTL_BMAC], 0);
	t_free(&t);
}

/* ---- helpers ---- */

static void test_helpers(void **state)
{
	assert_true(ctl_mac_eq("02:00:00:00:00:0A", "02:00:00:00:00:0a"));
	assert_false(ctl_mac_eq("", ""));
	assert_false(ctl_mac_eq(NULL, "a"));
	assert_int_equal(ctl_time_parse("2026-01-02T03:04:05Z"), 1767323045000LL);
	assert_int_equal(ctl_time_parse("2026-01-02T03:04:05.250Z"), 1767323045250LL);
	assert_int_equal(ctl_time_parse("2026-01-02T04:04:05+01:00"), 1767323045000LL);
	assert_int_equal(ctl_time_parse("yesterday"), -1);
	char t[32];
	ctl_time_fmt(1767323045999LL, t);
	assert_string_equal(t, "2026-01-02T03:04:05Z");
	char v[32], a[16];
	assert_int_equal(ctl_release_version("quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64",
	                                     v, sizeof(v), a, sizeof(a)), 0);
	assert_string_equal(v, "4.16.0");
	assert_string_equal(a, "x86_64");
	assert_int_equal(ctl_release_version("quay.io/x/y:4.17.0-rc.1-arm64", v, sizeof(v), a, sizeof(a)), 0);
	assert_string_equal(v, "4.17.0-rc.1");
	assert_string_equal(a, "aarch64");
	assert_int_equal(ctl_release_version("quay.io/x/y@sha256:abc", v, sizeof(v), a, sizeof(a)), -1);
	assert_int_equal(ctl_release_version("localhost:5000/x", v, sizeof(v), a, sizeof(a)), -1);
	char *e = ctl_b64_encode("ab", 2);
	assert_string_equal(e, "YWI=");
	size_t n = 0;
	char *d = ctl_b64_decode(e, &n);
	assert_int_equal(n, 2);
	assert_string_equal(d, "ab");
	free(d);
	free(e);
	assert_null(ctl_b64_decode("a*b", &n));
	struct ctl_smap *m = ctl_smap_new();
	ctl_smap_set_add(m, "k", "a/1");
	ctl_smap_set_add(m, "k", "b/2");
	ctl_smap_set_add(m, "k", "a/1");
	assert_string_equal(ctl_smap_get(m, "k"), "a/1\nb/2");
	ctl_smap_set_del(m, "k", "b/2");
	assert_string_equal(ctl_smap_get(m, "k"), "a/1");
	ctl_smap_set_del(m, "k", "a/1");
	assert_null(ctl_smap_get(m, "k"));
	char key[32];
	for (int i = 0; i < 500; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ctl_smap_put(m, key, key);
	}
	assert_string_equal(ctl_smap_get(m, "k321"), "k321");
	ctl_smap_free(&m);
	assert_null(m);
	assert_int_equal(ctl_find("bmac"), CTL_BMAC);
	assert_int_equal(ctl_find("baremetal-agent-controller"), CTL_BMAC);
	assert_int_equal(ctl_find("nope"), -1);
	assert_string_equal(ctl_name(CTL_HIVE), "hive-clusterdeployment");
	/* conditions: a status change moves lastTransitionTime, a text change does not */
	json_t *s = json_object();
	cj_cond_noheartbeat(s, "X", "False", "R1", "m1", "t1");
	cj_cond_noheartbeat(s, "X", "False", "R2", "m2", "t2");
	json_t *c = cj_condition(json_object_get(s, "conditions"), "X");
	assert_string_equal(cj_str(c, "lastTransitionTime"), "t1");
	assert_string_equal(cj_str(c, "reason"), "R2");
	cj_cond_noheartbeat(s, "X", "True", "R2", "m2", "t3");
	assert_string_equal(cj_str(c, "lastTransitionTime"), "t3");
	cj_cond_cluster(s, "Y", "False", "R", "m", "t1");
	cj_cond_cluster(s, "Y", "False", "R", "m2", "t2");
	c = cj_condition(json_object_get(s, "conditions"), "Y");
	assert_string_equal(cj_str(c, "lastTransitionTime"), "t2");
	assert_string_equal(cj_str(c, "lastProbeTime"), "t2");
	json_decref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_sno_nonconverged),
		cmocka_unit_test(test_requirements),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_converged),
		cmocka_unit_test(test_ppi_without_owner),
		cmocka_unit_test(test_metrics_and_latency),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
