/*
 * The BareMetalHost-Agent controller (assisted-service
 * bmh_agent_controller.go, "BMAC"), in its real order of steps: find the
 * Agent by boot MAC (case-insensitive, newest wins) and the InfraEnv by
 * label, the backup label and the finalizer, the detached / paused / status
 * annotations, then reconcileBMH (non-converged: inspection disabled,
 * automated cleaning disabled, the live ISO in spec.image once the image is
 * past its cooldown and the host is ready/available; converged: customDeploy
 * start_assisted_install once the PreprovisioningImage is ImageReady with
 * InfraEnvAvailable), then the Agent's spec from the BMH annotations
 * (approval, role, hostname, installer args, ignition overrides, labels)
 * and, non-converged, the hardwaredetails annotation from the inventory.
 * Both objects are written once at the end when they changed, the BMH with
 * its resourceVersion (a conflict is an error, requeued rate-limited).
 */
#include "ctl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COOLDOWN_S 60.0   /* InfraEnvImageCooldownPeriod */
#define A_ROLE "bmac.agent-install.openshift.io/role"
#define A_HOSTNAME "bmac.agent-install.openshift.io/hostname"
#define A_MCP "bmac.agent-install.openshift.io/machine-config-pool"
#define A_INSTALLER_ARGS "bmac.agent-install.openshift.io/installer-args"
#define A_IGNITION "bmac.agent-install.openshift.io/ignition-config-overrides"
#define A_DETACHED "baremetalhost.metal3.io/detached"
#define A_PAUSED "baremetalhost.metal3.io/paused"
#define A_STATUS "baremetalhost.metal3.io/status"
#define A_INSPECT "inspect.metal3.io"
#define A_HWDETAILS "inspect.metal3.io/hardwaredetails"
#define A_DELETE "bmac.agent-install.openshift.io/remove-agent-and-node-on-delete"
#define A_CLUSTER_REF "bmac.agent-install.openshift.io/cluster-reference"
#define A_HOST_MGMT "bmac.agent-install.openshift.io/allow-provisioned-host-management"
#define NODE_LABEL_PREFIX "bmac.agent-install.openshift.io.node-label."
#define AGENT_LABEL_PREFIX "bmac.agent-install.openshift.io.agent-label."
#define DEPLOY_METHOD "start_assisted_install"

int ctl_bmac_should_reconcile(struct ctl *c, const json_t *bmh, const json_t *ie,
                              uint64_t *wait_ns, int *stop)
{
	*wait_ns = 0;
	*stop = 0;
	const char *iso = cj_str(ie, "status.isoDownloadURL");
	if (!iso || !*iso) {
		*stop = 1;
		return 0;
	}
	const char *url = cj_str(bmh, "spec.image.url");
	if (url && !strcmp(url, iso))
		return 0;
	int64_t created = ctl_time_parse(cj_str(ie, "status.createdTime"));
	int64_t ready_ms = created + (int64_t)(ctl_scaled_ns(c, COOLDOWN_S) / 1000000);
	int64_t now = ctl_wall_ms(c);
	if (created < 0 || ready_ms > now) {
		*wait_ns = (uint64_t)((created < 0 ? 1000 : ready_ms - now)) * 1000000ull;
		return 0;
	}
	return 1;
}

/* ---- findAgent ---- */

struct find_ctx {
	const char *mac;
	json_t *best;
	int64_t best_t;
};

static int agent_by_mac(void *arg, const struct hub_blob *b)
{
	struct find_ctx *x = arg;
	if (!strcasestr(b->json, x->mac))
		return 0; /* cannot carry the MAC */
	json_t *a = hub_blob_parse(b);
	size_t i;
	json_t *ifc;
	json_array_foreach(cj_get(a, "status.inventory.interfaces"), i, ifc) {
		if (ctl_mac_eq(cj_str(ifc, "macAddress"), x->mac)) {
			int64_t t = ctl_time_parse(cj_str(a, "metadata.creationTimestamp"));
			if (!x->best || t > x->best_t) {
				json_decref(x->best);
				x->best = json_incref(a);
				x->best_t = t;
			}
			break;
		}
	}
	json_decref(a);
	return 0;
}

static json_t *find_agent(struct ctl *c, const json_t *bmh)
{
	struct find_ctx x = {.mac = cj_str(bmh, "spec.bootMACAddress")};
	if (!x.mac || !*x.mac)
		return NULL;
	hub_list(c->hub, KUBE_RES_AGENT, cj_str(bmh, "metadata.namespace"), NULL, agent_by_mac, &x);
	return x.best;
}

/* ---- steps ---- */

enum step { STEP_CONTINUE, STEP_STOP, STEP_ERROR };

static const char *detached_value(struct ctl *c, const json_t *bmh)
{
	if (c->cfg.converged_flow && cj_annotation(bmh, A_DELETE))
		return "{\"deleteAction\":\"delay\"}";
	return "assisted-service-controller";
}

static int unbinding_pending(const json_t *agent)
{
	json_t *b = cj_condition(cj_get(agent, "status.conditions"), "Bound");
	const char *r = cj_str(b, "reason");
	return r && !strcmp(r, "UnbindingPendingUserAction");
}

/* handleBMHFinalizer */
static enum step finalizer(struct ctl *c, json_t *bmh, const json_t *agent)
{
	if (!cj_label(bmh, L_INFRAENV)) {
		cj_remove_finalizer(bmh, F_BMH);
		return STEP_STOP;
	}
	if (!cj_deleting(bmh)) {
		cj_add_finalizer(bmh, F_BMH);
		return STEP_CONTINUE;
	}
	int remove_agent = c->cfg.converged_flow && cj_annotation(bmh, A_DELETE);
	if (!cj_has_finalizer(bmh, F_BMH) || !agent) {
		if (remove_agent)
			cj_del_annotation(bmh, A_DETACHED);
		cj_del_annotation(bmh, A_PAUSED);
		cj_remove_finalizer(bmh, F_BMH);
		return STEP_STOP;
	}
	if (remove_agent) {
		/* node drain and BMH deprovisioning of the real one are not
		 * emulated (no spoke cluster): the Agent goes at once */
		int rv = ctl_delete(c, KUBE_RES_AGENT, cj_str(agent, "metadata.namespace"),
		                    cj_str(agent, "metadata.name"));
		if (rv < 0 && rv != -404)
			return STEP_ERROR;
	}
	cj_remove_finalizer(bmh, F_BMH);
	return STEP_STOP;
}

/* handlePauseAndDetachBMHAnnotations */
static void pause_and_detach(struct ctl *c, json_t *bmh, const json_t *agent)
{
	if (cj_annotation(bmh, A_HOST_MGMT) && c->cfg.converged_flow && !cj_annotation(bmh, A_DELETE)) {
		cj_del_annotation(bmh, A_DETACHED);
		cj_del_annotation(bmh, A_PAUSED);
		return;
	}
	const char *state = cj_str(bmh, "status.provisioning.state");
	const char *stage = cj_str(agent, "status.progress.currentStage");
	int detach;
	if (c->cfg.converged_flow)
		detach = state && !strcmp(state, "provisioned");
	else
		detach = agent && stage && (!strcmp(stage, "Failed") || !strcmp(stage, "Rebooting") ||
		                            !strcmp(stage, "Joined") || !strcmp(stage, "Done"));
	if (detach) {
		if (!agent || !unbinding_pending(agent))
			cj_set_annotation(bmh, A_DETACHED, detached_value(c, bmh));
		if (!c->cfg.no_pause_provisioned) {
			const char *op = cj_str(bmh, "status.operationalStatus");
			if (op && !strcmp(op, "detached")) {
				char *st = json_dumps(cj_get(bmh, "status"), JSON_COMPACT);
				cj_set_annotation(bmh, A_STATUS, st ? st : "{}");
				free(st);
				cj_set_annotation(bmh, A_PAUSED, "assisted-service-controller");
			}
		}
	}
	if (!c->cfg.no_pause_provisioned && (!state || !*state) && cj_annotation(bmh, A_PAUSED) &&
	    cj_annotation(bmh, A_STATUS))
		cj_del_annotation(bmh, A_PAUSED);
}

/* The PreprovisioningImage |bmh| boots from is ready with the InfraEnv's image. */
static int ppi_ready(struct ctl *c, const json_t *bmh)
{
	json_t *ppi = ctl_get(c, KUBE_RES_PREPROVISIONINGIMAGE, cj_str(bmh, "metadata.namespace"),
	                      cj_str(bmh, "metadata.name"));
	json_t *cond = cj_condition(cj_get(ppi, "status.conditions"), "ImageReady");
	const char *st = cj_str(cond, "status"), *reason = cj_str(cond, "reason");
	int ok = st && !strcmp(st, "True") && reason && !strcmp(reason, "InfraEnvAvailable");
	json_decref(ppi);
	return ok;
}

/* reconcileBMH */
static enum step reconcile_bmh(struct ctl *c, json_t *bmh, const json_t *ie,
                               struct ctl_result *r)
{
	if (!ie)
		return STEP_STOP;
	if (cj_annotation(bmh, A_DETACHED))
		return STEP_CONTINUE;
	if (c->cfg.converged_flow) {
		const char *m = cj_str(bmh, "spec.customDeploy.method");
		if (!m || strcmp(m, DEPLOY_METHOD)) {
			if (!ppi_ready(c, bmh))
				return STEP_STOP;
			cj_set(bmh, "spec.customDeploy", json_pack("{s:s}", "method", DEPLOY_METHOD));
		}
		return STEP_CONTINUE;
	}
	if (!cj_annotation(bmh, A_INSPECT))
		cj_set_annotation(bmh, A_INSPECT, "disabled");
	cj_set(bmh, "spec.automatedCleaningMode", json_string("disabled"));
	uint64_t wait;
	int stop;
	if (!ctl_bmac_should_reconcile(c, bmh, ie, &wait, &stop)) {
		if (wait) {
			r->requeue_after_ns = wait;
			return STEP_STOP;
		}
		return stop ? STEP_STOP : STEP_CONTINUE;
	}
	const char *state = cj_str(bmh, "status.provisioning.state");
	if (!state || (strcmp(state, "ready") && strcmp(state, "available"))) {
		/* clear the image so Ironic refreshes it once the host is back */
		cj_del(bmh, "spec.image");
		return STEP_STOP;
	}
	cj_set(bmh, "spec.online", json_true());
	cj_set(bmh, "spec.image", json_pack("{s:s,s:s}", "url", cj_str(ie, "status.isoDownloadURL"),
	                                    "format", "live-iso"));
	return STEP_STOP;
}

/* Sets string field |path| of the agent spec to |v| when |v| is given. */
static void copy_annotation(json_t *agent, const json_t *bmh, const char *ann, const char *path)
{
	const char *v = cj_annotation(bmh, ann);
	if (v)
		cj_set(agent, path, json_string(v));
}

/* reconcileAgentSpec */
static enum step agent_spec(json_t *bmh, json_t *agent, const json_t *ie)
{
	copy_annotation(agent, bmh, A_ROLE, "spec.role");
	copy_annotation(agent, bmh, A_HOSTNAME, "spec.hostname");
	copy_annotation(agent, bmh, A_MCP, "spec.machineConfigPool");
	copy_annotation(agent, bmh, A_INSTALLER_ARGS, "spec.installerArgs");
	copy_annotation(agent, bmh, A_IGNITION, "spec.ignitionConfigOverrides");
	cj_set(agent, "spec.approved", json_true());
	cj_set_label(agent, L_AGENT_BMH, cj_str(bmh, "metadata.name"));
	/* reconcileClusterReference: late binding through an annotation */
	json_t *ann = cj_get(bmh, "metadata.annotations");
	const char *ref = cj_annotation(bmh, A_CLUSTER_REF);
	if (ref && *ref) {
		if (cj_get(ie, "spec.clusterRef"))
			return STEP_ERROR; /* "InfraEnv already has cluster reference" */
		const char *slash = strchr(ref, '/');
		if (!slash || strchr(slash + 1, '/'))
			return STEP_ERROR; /* "Parse of cluster reference failed" */
		json_t *cr = json_pack("{s:s#,s:s}", "namespace", ref, (int)(slash - ref), "name", slash + 1);
		cj_set(agent, "spec.clusterDeploymentName", cr);
	} else if (ref && cj_get(agent, "spec.clusterDeploymentName") &&
	           (!ie || !cj_get(ie, "spec.clusterRef"))) {
		cj_del(agent, "spec.clusterDeploymentName");
	}
	/* reconcileNodeLabels and reconcileAgentLabels */
	json_t *nl = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(ann, k, v) {
		if (!strncmp(k, NODE_LABEL_PREFIX, strlen(NODE_LABEL_PREFIX)))
			json_object_set(nl, k + strlen(NODE_LABEL_PREFIX), v);
		else if (!strncmp(k, AGENT_LABEL_PREFIX, strlen(AGENT_LABEL_PREFIX)) && json_string_value(v))
			cj_set_label(agent, k + strlen(AGENT_LABEL_PREFIX), json_string_value(v));
	}
	json_t *cur = cj_get(agent, "spec.nodeLabels"), *empty = json_object();
	if (!json_equal(nl, cur ? cur : empty)) {
		if (json_object_size(nl))
			cj_set(agent, "spec.nodeLabels", json_incref(nl));
		else
			cj_del(agent, "spec.nodeLabels"); /* an empty map is omitted */
	}
	json_decref(empty);
	json_decref(nl);
	return STEP_CONTINUE;
}

/* reconcileAgentInventory (non-converged): the hardwaredetails annotation. */
static void agent_inventory(json_t *bmh, const json_t *agent)
{
	const json_t *inv = cj_get(agent, "status.inventory");
	if (!json_array_size(json_object_get(inv, "interfaces")) || cj_annotation(bmh, A_HWDETAILS))
		return;
	const char *hn = cj_str(bmh, "status.hardware.hostname");
	if (hn && *hn)
		return;
	json_t *hw = json_object();
	json_t *sv = json_object();
	static const char *const svf[] = {"manufacturer", "productName", "serialNumber"};
	for (size_t i = 0; i < 3; i++) {
		char p[64];
		snprintf(p, sizeof(p), "systemVendor.%s", svf[i]);
		if (cj_str(inv, p))
			json_object_set_new(sv, svf[i], json_string(cj_str(inv, p)));
	}
	json_object_set_new(hw, "systemVendor", sv);
	json_object_set_new(hw, "firmware", json_pack("{s:{}}", "bios"));
	json_int_t ram = json_integer_value(cj_get(inv, "memory.physicalBytes"));
	if (ram > 0)
		json_object_set_new(hw, "ramMebibytes", json_integer(ram / (1024 * 1024)));
	json_t *nics = json_array();
	size_t i;
	json_t *ifc;
	json_array_foreach(json_object_get(inv, "interfaces"), i, ifc) {
		/* one NIC per address, v6 first (as BMO handles dual stack) */
		json_t *ips = json_array();
		json_array_extend(ips, json_object_get(ifc, "ipV6Addresses"));
		json_array_extend(ips, json_object_get(ifc, "ipV4Addresses"));
		size_t k;
		json_t *ip;
		json_array_foreach(ips, k, ip) {
			char addr[64];
			snprintf(addr, sizeof(addr), "%s", json_string_value(ip) ? json_string_value(ip) : "");
			char *slash = strchr(addr, '/');
			if (slash)
				*slash = '\0';
			json_t *n = json_object();
			if (cj_str(ifc, "name"))
				json_object_set_new(n, "name", json_string(cj_str(ifc, "name")));
			if (cj_str(ifc, "vendor"))
				json_object_set_new(n, "model", json_string(cj_str(ifc, "vendor")));
			if (cj_str(ifc, "macAddress"))
				json_object_set_new(n, "mac", json_string(cj_str(ifc, "macAddress")));
			if (*addr)
				json_object_set_new(n, "ip", json_string(addr));
			json_int_t sp = json_integer_value(json_object_get(ifc, "speedMbps")) / 1024;
			if (sp)
				json_object_set_new(n, "speedGbps", json_integer(sp));
			json_array_append_new(nics, n);
		}
		json_decref(ips);
	}
	json_object_set_new(hw, "nics", nics);
	json_t *storage = json_array();
	json_t *d;
	json_array_foreach(json_object_get(inv, "disks"), i, d) {
		json_t *s = json_object();
		const char *dev = cj_str(d, "byPath") && *cj_str(d, "byPath") ? cj_str(d, "byPath")
		                                                             : cj_str(d, "path");
		static const char *const f[][2] = {{"hctl", "hctl"}, {"model", "model"},
		                                   {"serial", "serialNumber"}, {"wwn", "wwn"},
		                                   {"vendor", "vendor"}};
		if (dev)
			json_object_set_new(s, "name", json_string(dev));
		for (size_t k = 0; k < 5; k++)
			if (cj_str(d, f[k][0]))
				json_object_set_new(s, f[k][1], json_string(cj_str(d, f[k][0])));
		if (json_integer_value(json_object_get(d, "sizeBytes")))
			json_object_set(s, "sizeBytes", json_object_get(d, "sizeBytes"));
		const char *dt = cj_str(d, "driveType");
		if (dt && !strcasecmp(dt, "HDD"))
			json_object_set_new(s, "rotational", json_true());
		json_array_append_new(storage, s);
	}
	json_object_set_new(hw, "storage", storage);
	json_t *cpu = json_object();
	if (cj_str(inv, "cpu.architecture"))
		json_object_set_new(cpu, "arch", json_string(cj_str(inv, "cpu.architecture")));
	if (cj_str(inv, "cpu.modelName"))
		json_object_set_new(cpu, "model", json_string(cj_str(inv, "cpu.modelName")));
	if (json_integer_value(cj_get(inv, "cpu.clockMegahertz")))
		json_object_set(cpu, "clockMegahertz", cj_get(inv, "cpu.clockMegahertz"));
	if (json_array_size(cj_get(inv, "cpu.flags")))
		json_object_set(cpu, "flags", cj_get(inv, "cpu.flags"));
	if (json_integer_value(cj_get(inv, "cpu.count")))
		json_object_set(cpu, "count", cj_get(inv, "cpu.count"));
	json_object_set_new(hw, "cpu", cpu);
	const char *host = cj_str(agent, "spec.hostname");
	if (!host || !*host)
		host = cj_str(inv, "hostname");
	if (host)
		json_object_set_new(hw, "hostname", json_string(host));
	char *s = json_dumps(hw, JSON_COMPACT);
	cj_set_annotation(bmh, A_HWDETAILS, s ? s : "{}");
	free(s);
	json_decref(hw);
}

void ctl_bmac_reconcile(struct ctl *c, const char *ns, const char *name, struct ctl_result *r)
{
	json_t *bmh = ctl_get(c, KUBE_RES_BAREMETALHOST, ns, name);
	json_t *agent = NULL, *ie = NULL, *bmh0 = NULL, *agent0 = NULL;
	if (!bmh)
		return;
	bmh0 = json_deep_copy(bmh);
	agent = find_agent(c, bmh);
	if (agent)
		agent0 = json_deep_copy(agent);
	const char *iename = cj_label(bmh, L_INFRAENV);
	if (iename)
		ie = ctl_get(c, KUBE_RES_INFRAENV, ns, iename);
	if (ie && !cj_label(bmh, L_BACKUP))
		cj_set_label(bmh, L_BACKUP, "true");
	enum step s = finalizer(c, bmh, agent);
	if (s != STEP_CONTINUE)
		goto patch;
	/* reconcileUnboundAgent: hosts are never unbound in the emulator */
	pause_and_detach(c, bmh, agent);
	s = reconcile_bmh(c, bmh, ie, r);
	if (s != STEP_CONTINUE || !agent)
		goto patch;
	s = agent_spec(bmh, agent, ie);
	if (s != STEP_CONTINUE)
		goto patch;
	if (!c->cfg.converged_flow)
		agent_inventory(bmh, agent);
	/* ensureMCSCert and the day-2 spoke BMH concern day-2 hosts only */
patch:
	if (s == STEP_ERROR)
		r->error = 1;
	/* the deferred patches: the Agent's, then the BMH's (optimistic lock) */
	if (agent && !json_equal(agent, agent0) && ctl_update(c, KUBE_RES_AGENT, agent, NULL) < 0)
		r->error = 1;
	if (!json_equal(bmh, bmh0) && ctl_update(c, KUBE_RES_BAREMETALHOST, bmh, NULL) < 0)
		r->error = 1;
	json_decref(bmh);
	json_decref(bmh0);
	json_decref(agent);
	json_decref(agent0);
	json_decref(ie);
}
