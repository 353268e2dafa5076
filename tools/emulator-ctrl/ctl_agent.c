/*
 * The Agent controller (assisted-service agent_controller.go) and the Agent
 * CR made when a host registers (crd_utils.go CreateAgentCR): the finalizer
 * and host deregistration, the InfraEnv owner reference and label, the
 * host annotations (state, role, inventory, validations, current stage),
 * auto-approval, the spec flowing back to the host (approved, role,
 * hostname, installer args, ignition overrides), the inventory and the
 * inventory labels, and the status with the real conditions.
 */
#include "ctl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUEUE_ON_ERROR_S 10.0   /* defaultRequeueAfterOnError */

/* ---- creation at registration ---- */

static json_t *owner_ref(const json_t *ie)
{
	return json_pack("[{s:s,s:s,s:s,s:s}]", "apiVersion", "agent-install.openshift.io/v1beta1",
	                 "kind", "InfraEnv", "name", cj_str(ie, "metadata.name"), "uid",
	                 cj_str(ie, "metadata.uid") ? cj_str(ie, "metadata.uid") : "");
}

int ctl_agent_create_cr(struct ctl *c, const char *infra_env_id, const char *host_id)
{
	char ns[256], name[256];
	const char *key = ctl_keys_infraenv_key(c, infra_env_id);
	if (!key || ctl_key_split(key, ns, sizeof(ns), name, sizeof(name)) < 0)
		return 0;
	json_t *ie = ctl_get(c, KUBE_RES_INFRAENV, ns, name);
	if (!ie)
		return -1; /* "Failed to get infraEnv resource": the registration fails */
	json_t *cur = ctl_get(c, KUBE_RES_AGENT, ns, host_id);
	if (cur) {
		/* already there, same infra-env: nothing to do (updateExistingAgentCR) */
		json_decref(cur);
		json_decref(ie);
		return 0;
	}
	json_t *labels = json_pack("{s:s}", L_INFRAENV, name);
	const char *k;
	json_t *v;
	json_object_foreach(cj_get(ie, "spec.agentLabels"), k, v)
		json_object_set(labels, k, v);
	json_t *agent = json_pack("{s:s,s:s,s:{s:s,s:s,s:o,s:o},s:{s:s,s:b}}",
	                          "apiVersion", "agent-install.openshift.io/v1beta1", "kind", "Agent",
	                          "metadata", "name", host_id, "namespace", ns, "labels", labels,
	                          "ownerReferences", owner_ref(ie), "spec", "role", "", "approved", 0);
	const char *cref = cj_str(ie, "spec.clusterRef.name");
	const char *crefns = cj_str(ie, "spec.clusterRef.namespace");
	if (cref && crefns && ctl_keys_cluster_id(c, crefns, cref))
		cj_set(agent, "spec.clusterDeploymentName",
		       json_pack("{s:s,s:s}", "name", cref, "namespace", crefns));
	int rv = ctl_create(c, KUBE_RES_AGENT, agent, NULL);
	json_decref(agent);
	json_decref(ie);
	return rv < 0 && rv != -409 ? -1 : 0;
}

/* ---- status ---- */

static int str_in(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return 1;
	return 0;
}

static void cond(json_t *status, const char *type, const char *st, const char *reason,
                 const char *msg, const char *now)
{
	cj_cond_noheartbeat(status, type, st, reason, msg, now);
}

static void connected(json_t *s, const char *st, const char *now)
{
	if (!strcmp(st, "disconnected-unbound") || !strcmp(st, "disconnected"))
		cond(s, "Connected", "False", "AgentIsDisconnected",
		     "The agent has not contacted the installation service in some time, user action should be taken",
		     now);
	else
		cond(s, "Connected", "True", "AgentIsConnected",
		     "The agent's connection to the installation service is unimpaired", now);
}

static void requirements_met(json_t *s, const char *st, int approved, const char *now)
{
	static const char *const not_ready[] = {"insufficient", "disconnected", "insufficient-unbound",
	                                        "disconnected-unbound", "discovering-unbound",
	                                        "discovering", "pending-for-input", NULL};
	static const char *const installing[] = {"preparing-for-installation", "preparing-successful",
	                                         "installing", "installing-in-progress",
	                                         "installing-pending-user-action", NULL};
	static const char *const stopped[] = {"installed", "error", "added-to-existing-cluster", NULL};
	char msg[256];
	if (!strcmp(st, "known") || !strcmp(st, "known-unbound")) {
		if (approved)
			cond(s, "RequirementsMet", "True", "AgentIsReady",
			     "The agent is ready to begin the installation", now);
		else
			cond(s, "RequirementsMet", "False", "AgentIsNotApproved", "The agent is not approved",
			     now);
	} else if (str_in(st, not_ready)) {
		cond(s, "RequirementsMet", "False", "AgentNotReady",
		     "The agent is not ready to begin the installation", now);
	} else if (str_in(st, installing)) {
		cond(s, "RequirementsMet", "True", "AgentAlreadyInstalling",
		     "Installation already started and is in progress", now);
	} else if (str_in(st, stopped)) {
		cond(s, "RequirementsMet", "True", "AgentInstallationStopped",
		     "The agent installation stopped", now);
	} else if (!strcmp(st, "binding")) {
		cond(s, "RequirementsMet", "False", "Binding",
		     "The agent is currently binding to a cluster deployment", now);
	} else if (!strcmp(st, "unbinding") || !strcmp(st, "unbinding-pending-user-action")) {
		cond(s, "RequirementsMet", "False", "Unbinding",
		     "The agent is currently unbinding from a cluster deployment", now);
	} else {
		snprintf(msg, sizeof(msg), "The installation status is currently not recognized: %s", st);
		cond(s, "RequirementsMet", "Unknown", "UnknownStatus", msg, now);
	}
}

static void validated(json_t *s, const char *st, const json_t *h, const char *now)
{
	char fail[4096], msg[4200];
	const char *vi = cj_str(h, "validations_info");
	ctl_failed_validations(vi, 1, fail, sizeof(fail));
	if (!strcmp(st, "binding")) {
		cond(s, "Validated", "False", "Binding",
		     "The agent is currently binding to a cluster deployment", now);
	} else if (!strcmp(st, "unbinding") || !strcmp(st, "unbinding-pending-user-action")) {
		cond(s, "Validated", "False", "Unbinding",
		     "The agent is currently unbinding from a cluster deployment", now);
	} else if (!strcmp(st, "insufficient") || !strcmp(st, "insufficient-unbound")) {
		snprintf(msg, sizeof(msg), "The agent's validations are failing: %s", fail);
		cond(s, "Validated", "False", "ValidationsFailing", msg, now);
	} else if (!strcmp(st, "pending-for-input")) {
		snprintf(msg, sizeof(msg), "The agent's validations are pending for user: %s", fail);
		cond(s, "Validated", "False", "ValidationsUserPending", msg, now);
	} else if (!vi || !*vi) {
		cond(s, "Validated", "Unknown", "ValidationsUnknown",
		     "The agent's validations have not yet been calculated", now);
	} else {
		cond(s, "Validated", "True", "ValidationsPassing", "The agent's validations are passing",
		     now);
	}
}

static void installed(json_t *s, const char *st, const char *info, const char *now)
{
	static const char *const not_started[] = {"insufficient", "insufficient-unbound",
	                                          "disconnected", "disconnected-unbound",
	                                          "discovering", "discovering-unbound", "known",
	                                          "known-unbound", "pending-for-input", NULL};
	static const char *const in_progress[] = {"preparing-for-installation", "preparing-successful",
	                                          "installing", "installing-in-progress",
	                                          "installing-pending-user-action", NULL};
	char msg[800];
	if (!strcmp(st, "installed") || !strcmp(st, "added-to-existing-cluster")) {
		snprintf(msg, sizeof(msg), "The installation has completed: %s", info);
		cond(s, "Installed", "True", "InstallationCompleted", msg, now);
	} else if (!strcmp(st, "error")) {
		snprintf(msg, sizeof(msg), "The installation has failed: %s", info);
		cond(s, "Installed", "False", "InstallationFailed", msg, now);
	} else if (str_in(st, not_started)) {
		cond(s, "Installed", "False", "InstallationNotStarted",
		     "The installation has not yet started", now);
	} else if (str_in(st, in_progress)) {
		snprintf(msg, sizeof(msg), "The installation is in progress: %s", info);
		cond(s, "Installed", "False", "InstallationInProgress", msg, now);
	} else if (!strcmp(st, "binding")) {
		cond(s, "Installed", "False", "Binding",
		     "The agent is currently binding to a cluster deployment", now);
	} else if (!strcmp(st, "unbinding") || !strcmp(st, "unbinding-pending-user-action")) {
		cond(s, "Installed", "False", "Unbinding",
		     "The agent is currently unbinding from a cluster deployment", now);
	} else {
		snprintf(msg, sizeof(msg), "The installation status is currently not recognized: %s", st);
		cond(s, "Installed", "Unknown", "UnknownStatus", msg, now);
	}
}

static void bound(json_t *s, const char *st, const char *now)
{
	static const char *const unbound[] = {"disconnected-unbound", "known-unbound",
	                                      "insufficient-unbound", "disabled-unbound",
	                                      "discovering-unbound", NULL};
	if (!strcmp(st, "binding"))
		cond(s, "Bound", "False", "Binding", "The agent is currently binding to a cluster deployment",
		     now);
	else if (!strcmp(st, "unbinding"))
		cond(s, "Bound", "False", "Unbinding",
		     "The agent is currently unbinding from a cluster deployment", now);
	else if (!strcmp(st, "unbinding-pending-user-action"))
		cond(s, "Bound", "False", "UnbindingPendingUserAction",
		     "The agent is currently unbinding; Pending host reboot from infraenv image", now);
	else if (str_in(st, unbound))
		cond(s, "Bound", "False", "Unbound", "The agent is not bound to any cluster deployment", now);
	else
		cond(s, "Bound", "True", "Bound", "The agent is bound to a cluster deployment", now);
}

static void spec_synced(json_t *s, const struct ctl_err *e, int internal, const char *now)
{
	char msg[800];
	if (!e || !e->set) {
		cond(s, "SpecSynced", "True", "SyncOK", "The Spec has been successfully applied", now);
	} else if (internal) {
		snprintf(msg, sizeof(msg), "The Spec could not be synced due to backend error: %s", e->msg);
		cond(s, "SpecSynced", "False", "BackendError", msg, now);
	} else {
		snprintf(msg, sizeof(msg), "The Spec could not be synced due to an input error: %s", e->msg);
		cond(s, "SpecSynced", "False", "InputError", msg, now);
	}
}

/* A metav1.Time from the model's strfmt time; NULL for the zero time. */
static json_t *time_of(const char *t)
{
	int64_t ms = ctl_time_parse(t);
	char out[32];
	if (ms <= 0)
		return NULL;
	ctl_time_fmt(ms, out);
	return json_string(out);
}

struct agent_ctx {
	struct ctl *c;
	const char *ns, *name;
	json_t *agent;
	json_t *host;             /* the service's host, or NULL */
	const char *ie_id;
	char now[32];
	struct ctl_result *r;
};

/* updateStatus: one status write with everything. */
static void update_status(struct agent_ctx *x, const struct ctl_err *e, int internal)
{
	json_t *a = x->agent, *h = x->host;
	json_t *s = cj_obj(a, "status");
	spec_synced(s, e, internal, x->now);
	if (h && cj_str(h, "status")) {
		const char *st = cj_str(h, "status"), *info = cj_str(h, "status_info");
		const char *role = cj_str(h, "role"), *sug = cj_str(h, "suggested_role");
		if (json_is_true(json_object_get(h, "bootstrap")))
			json_object_set_new(s, "bootstrap", json_true());
		else
			json_object_del(s, "bootstrap");
		json_object_set_new(s, "role", json_string(role && !strcmp(role, "auto-assign") && sug && *sug
		                                           ? sug : role ? role : ""));
		json_t *dbg = cj_obj(s, "debugInfo");
		json_object_set_new(dbg, "state", json_string(st));
		if (info && *info)
			json_object_set_new(dbg, "stateInfo", json_string(info));
		else
			json_object_del(dbg, "stateInfo");
		if (cj_str(h, "installation_disk_id") && *cj_str(h, "installation_disk_id"))
			json_object_set_new(s, "installation_disk_id", json_string(cj_str(h, "installation_disk_id")));
		if (cj_str(h, "kind"))
			json_object_set_new(s, "kind", json_string(cj_str(h, "kind")));
		const char *vi = cj_str(h, "validations_info");
		json_t *vij = vi && *vi ? json_loads(vi, 0, NULL) : NULL;
		if (json_is_object(vij))
			json_object_set_new(s, "validationsInfo", vij);
		else
			json_decref(vij);
		const char *stage = cj_str(h, "progress.current_stage");
		if (stage && *stage) {
			json_t *p = json_pack("{s:s}", "currentStage", stage);
			const char *pi = cj_str(h, "progress.progress_info");
			if (pi && *pi)
				json_object_set_new(p, "progressInfo", json_string(pi));
			json_int_t pct = json_integer_value(cj_get(h, "progress.installation_percentage"));
			if (pct)
				json_object_set_new(p, "installationPercentage", json_integer(pct));
			json_t *t = time_of(cj_str(h, "progress.stage_started_at"));
			if (t)
				json_object_set_new(p, "stageStartTime", t);
			t = time_of(cj_str(h, "progress.stage_updated_at"));
			if (t)
				json_object_set_new(p, "stageUpdateTime", t);
			if (json_array_size(json_object_get(h, "progress_stages")))
				json_object_set(p, "progressStages", json_object_get(h, "progress_stages"));
			json_object_set_new(s, "progress", p);
		} else {
			json_object_set_new(s, "progress", json_object());
		}
		if (cj_str(h, "cluster_id") && !cj_str(dbg, "eventsURL")) {
			char url[2600];
			ctl_events_url(x->c, "host_id", x->name, x->ie_id, url, sizeof(url));
			json_object_set_new(dbg, "eventsURL", json_string(url));
		}
		connected(s, st, x->now);
		requirements_met(s, st, json_is_true(cj_get(a, "spec.approved")), x->now);
		validated(s, st, h, x->now);
		installed(s, st, info ? info : "", x->now);
		bound(s, st, x->now);
	} else {
		json_t *dbg = cj_obj(s, "debugInfo");
		json_object_del(dbg, "state");
		json_object_del(dbg, "stateInfo");
		static const char *const types[] = {"Installed", "Connected", "RequirementsMet",
		                                    "Validated", "Bound"};
		for (size_t i = 0; i < 5; i++)
			cond(s, types[i], "Unknown", "NotAvailable", "Information not available", x->now);
	}
	if (!json_object_get(s, "role"))
		json_object_set_new(s, "role", json_string(""));
	json_t *out = NULL;
	if (ctl_update_status(x->c, KUBE_RES_AGENT, a, &out) < 0)
		x->r->error = 1; /* the deferred Status().Patch failed: its error is returned */
	json_decref(out);
	if (e && e->set && internal && !x->r->error)
		x->r->requeue_after_ns = ctl_scaled_ns(x->c, REQUEUE_ON_ERROR_S);
}

/* Writes the main resource (metadata/spec) and continues from the result
 * (updateAndReplaceAgent). Returns 0 or -1. */
static int replace(struct agent_ctx *x)
{
	return ctl_update_in_place(x->c, KUBE_RES_AGENT, &x->agent) < 0 ? -1 : 0;
}

/* updateInventoryAndLabels: the host inventory in the CRD's shape. */
static json_t *inventory(const json_t *inv)
{
	json_t *o = json_object();
	const char *hn = cj_str(inv, "hostname");
	if (hn && *hn)
		json_object_set_new(o, "hostname", json_string(hn));
	if (cj_str(inv, "bmc_address") && *cj_str(inv, "bmc_address"))
		json_object_set_new(o, "bmcAddress", json_string(cj_str(inv, "bmc_address")));
	json_t *mem = json_object_get(inv, "memory");
	if (mem) {
		json_t *m = json_object();
		if (json_integer_value(json_object_get(mem, "physical_bytes")))
			json_object_set(m, "physicalBytes", json_object_get(mem, "physical_bytes"));
		if (json_integer_value(json_object_get(mem, "usable_bytes")))
			json_object_set(m, "usableBytes", json_object_get(mem, "usable_bytes"));
		json_object_set_new(o, "memory", m);
	}
	json_t *cpu = json_object_get(inv, "cpu");
	if (cpu) {
		json_t *m = json_object();
		if (json_integer_value(json_object_get(cpu, "count")))
			json_object_set(m, "count", json_object_get(cpu, "count"));
		json_t *f = json_object_get(cpu, "frequency");
		if (json_number_value(f) > 0)
			json_object_set_new(m, "clockMegahertz", json_integer((json_int_t)json_number_value(f)));
		if (json_array_size(json_object_get(cpu, "flags")))
			json_object_set(m, "flags", json_object_get(cpu, "flags"));
		if (cj_str(cpu, "model_name") && *cj_str(cpu, "model_name"))
			json_object_set_new(m, "modelName", json_string(cj_str(cpu, "model_name")));
		if (cj_str(cpu, "architecture") && *cj_str(cpu, "architecture"))
			json_object_set_new(m, "architecture", json_string(cj_str(cpu, "architecture")));
		json_object_set_new(o, "cpu", m);
	}
	json_t *sv = json_object_get(inv, "system_vendor");
	if (sv) {
		json_t *m = json_object();
		static const char *const f[][2] = {{"serial_number", "serialNumber"},
		                                   {"product_name", "productName"},
		                                   {"manufacturer", "manufacturer"}};
		for (size_t i = 0; i < 3; i++)
			if (cj_str(sv, f[i][0]) && *cj_str(sv, f[i][0]))
				json_object_set_new(m, f[i][1], json_string(cj_str(sv, f[i][0])));
		if (json_is_true(json_object_get(sv, "virtual")))
			json_object_set_new(m, "virtual", json_true());
		json_object_set_new(o, "systemVendor", m);
	}
	json_t *ifs = json_object_get(inv, "interfaces");
	if (json_is_array(ifs)) {
		json_t *a = json_array();
		size_t i;
		json_t *e;
		json_array_foreach(ifs, i, e) {
			json_t *v4 = json_object_get(e, "ipv4_addresses"), *v6 = json_object_get(e, "ipv6_addresses");
			json_t *fl = json_object_get(e, "flags");
			json_t *n = json_object();
			/* these three are not omitempty: empty lists when absent */
			json_object_set_new(n, "ipV4Addresses", json_is_array(v4) ? json_deep_copy(v4) : json_array());
			json_object_set_new(n, "ipV6Addresses", json_is_array(v6) ? json_deep_copy(v6) : json_array());
			json_object_set_new(n, "flags", json_is_array(fl) ? json_deep_copy(fl) : json_array());
			static const char *const f[][2] = {{"vendor", "vendor"}, {"name", "name"},
			                                   {"product", "product"}, {"biosdevname", "biosDevName"},
			                                   {"client_id", "clientID"},
			                                   {"mac_address", "macAddress"}};
			for (size_t k = 0; k < 6; k++)
				if (cj_str(e, f[k][0]) && *cj_str(e, f[k][0]))
					json_object_set_new(n, f[k][1], json_string(cj_str(e, f[k][0])));
			if (json_is_true(json_object_get(e, "has_carrier")))
				json_object_set_new(n, "hasCarrier", json_true());
			if (json_integer_value(json_object_get(e, "mtu")))
				json_object_set(n, "mtu", json_object_get(e, "mtu"));
			if (json_integer_value(json_object_get(e, "speed_mbps")))
				json_object_set(n, "speedMbps", json_object_get(e, "speed_mbps"));
			json_array_append_new(a, n);
		}
		if (json_array_size(a))
			json_object_set_new(o, "interfaces", a);
		else
			json_decref(a);
	}
	json_t *disks = json_object_get(inv, "disks");
	if (json_array_size(disks)) {
		json_t *a = json_array();
		size_t i;
		json_t *e;
		json_array_foreach(disks, i, e) {
			json_t *elig = json_object_get(e, "installation_eligibility");
			json_t *reasons = json_object_get(elig, "not_eligible_reasons");
			json_t *n = json_pack("{s:s,s:{s:o}}", "id", cj_str(e, "id") ? cj_str(e, "id") : "",
			                      "installationEligibility", "notEligibleReasons",
			                      json_is_array(reasons) ? json_incref(reasons) : json_array());
			if (json_is_true(json_object_get(elig, "eligible")))
				cj_set(n, "installationEligibility.eligible", json_true());
			static const char *const f[][2] = {{"by_id", "byID"}, {"drive_type", "driveType"},
			                                   {"vendor", "vendor"}, {"name", "name"},
			                                   {"path", "path"}, {"hctl", "hctl"},
			                                   {"by_path", "byPath"}, {"model", "model"},
			                                   {"wwn", "wwn"}, {"serial", "serial"},
			                                   {"smart", "smart"}};
			for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++)
				if (cj_str(e, f[k][0]) && *cj_str(e, f[k][0]))
					json_object_set_new(n, f[k][1], json_string(cj_str(e, f[k][0])));
			if (json_integer_value(json_object_get(e, "size_bytes")))
				json_object_set(n, "sizeBytes", json_object_get(e, "size_bytes"));
			if (json_is_true(json_object_get(e, "bootable")))
				json_object_set_new(n, "bootable", json_true());
			json_array_append_new(a, n);
		}
		json_object_set_new(o, "disks", a);
	}
	json_t *boot = json_object_get(inv, "boot");
	if (boot) {
		json_t *m = json_object();
		static const char *const f[][2] = {{"current_boot_mode", "currentBootMode"},
		                                   {"pxe_interface", "pxeInterface"},
		                                   {"device_type", "deviceType"}};
		for (size_t i = 0; i < 3; i++)
			if (cj_str(boot, f[i][0]) && *cj_str(boot, f[i][0]))
				json_object_set_new(m, f[i][1], json_string(cj_str(boot, f[i][0])));
		json_object_set_new(o, "boot", m);
	}
	return o;
}

/* setAgentLabel: values cleaned to the label syntax, as the real one does. */
static int set_label(json_t *a, const char *key, const char *val)
{
	char clean[64];
	size_t n = 0;
	for (const char *p = val ? val : ""; *p && n < sizeof(clean) - 1; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.')
			clean[n++] = *p;
	clean[n] = '\0';
	if (!kube_label_value_valid(clean))
		return 0;
	return cj_set_label(a, key, clean);
}

#define INV_PREFIX "inventory.agent-install.openshift.io/"

/* updateLabels after the inventory: inventory labels and the CD namespace label. */
static int inventory_labels(json_t *a)
{
	const json_t *inv = cj_get(a, "status.inventory");
	int changed = 0, ssd = 0, virt = 0;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(inv, "disks"), i, e)
		if (cj_str(e, "driveType") && !strcmp(cj_str(e, "driveType"), "SSD"))
			ssd = 1;
	json_array_foreach(cj_get(inv, "cpu.flags"), i, e)
		if (json_string_value(e) && (!strcmp(json_string_value(e), "vmx") ||
		                            !strcmp(json_string_value(e), "svm")))
			virt = 1;
	changed |= cj_set_annotation(a, INV_PREFIX "version", "0.1");
	changed |= set_label(a, INV_PREFIX "storage-hasnonrotationaldisk", ssd ? "true" : "false");
	changed |= set_label(a, INV_PREFIX "cpu-architecture", cj_str(inv, "cpu.architecture"));
	changed |= set_label(a, INV_PREFIX "cpu-virtenabled", virt ? "true" : "false");
	changed |= set_label(a, INV_PREFIX "host-manufacturer", cj_str(inv, "systemVendor.manufacturer"));
	changed |= set_label(a, INV_PREFIX "host-productname", cj_str(inv, "systemVendor.productName"));
	changed |= set_label(a, INV_PREFIX "host-isvirtual",
	                     json_is_true(cj_get(inv, "systemVendor.virtual")) ? "true" : "false");
	changed |= set_label(a, L_CD_NAMESPACE, cj_str(a, "spec.clusterDeploymentName.namespace"));
	return changed;
}

/* updateAnnotations: the host's state, role, inventory, validations, stage. */
static int host_annotations(json_t *a, const json_t *h)
{
	int changed = 0;
	changed |= cj_set_annotation(a, "agent.agent-install.openshift.io/state",
	                             cj_str(h, "status") ? cj_str(h, "status") : "");
	changed |= cj_set_annotation(a, "agent.agent-install.openshift.io/role",
	                             cj_str(h, "role") ? cj_str(h, "role") : "");
	changed |= cj_set_annotation(a, "agent.agent-install.openshift.io/inventory",
	                             cj_str(h, "inventory") ? cj_str(h, "inventory") : "");
	changed |= cj_set_annotation(a, "agent.agent-install.openshift.io/validations-info",
	                             cj_str(h, "validations_info") ? cj_str(h, "validations_info") : "");
	if (cj_str(h, "progress.current_stage"))
		changed |= cj_set_annotation(a, "agent.agent-install.openshift.io/current-stage",
		                             cj_str(h, "progress.current_stage"));
	return changed;
}

static const char *const before_install[] = {
	"discovering", "known", "disconnected", "insufficient", "pending-for-input",
	"disconnected-unbound", "insufficient-unbound", "discovering-unbound", "known-unbound",
	"binding", NULL,
};

/* updateIfNeeded: the spec flows back to the host. Returns 0 or -1 with |e|
 * (|*internal| = not a user error). */
static int update_if_needed(struct agent_ctx *x, struct ctl_err *e, int *internal)
{
	struct ctl *c = x->c;
	json_t *a = x->agent, *h = x->host;
	char path[256], msg[512];
	int st;
	*internal = 1;
	/* installer args: the spec is a JSON array text, the host keeps it compacted */
	const char *sa = cj_str(a, "spec.installerArgs");
	const char *ha = cj_str(h, "installer_args");
	if (strcmp(sa ? sa : "", ha ? ha : "") != 0) {
		json_t *args = sa && *sa ? json_loads(sa, 0, NULL) : json_array();
		if (!json_is_array(args)) {
			json_decref(args);
			ctl_err_set(e, 1, "Fail to unmarshal installer args for host %s in infraEnv %s", x->name,
			            x->ie_id);
			*internal = 0;
			return -1;
		}
		char *compact = json_dumps(args, JSON_COMPACT);
		if (strcmp(compact ? compact : "", ha ? ha : "[]") != 0 &&
		    !(json_array_size(args) == 0 && !ha)) {
			json_t *body = json_pack("{s:o}", "args", json_incref(args));
			snprintf(path, sizeof(path), "/v2/infra-envs/%s/hosts/%s/installer-args", x->ie_id, x->name);
			st = ctl_call(c, "PATCH", path, body, NULL, msg, sizeof(msg));
			json_decref(body);
			if (st != 201) {
				free(compact);
				json_decref(args);
				ctl_err_set(e, st / 100 == 4, "%s", msg);
				*internal = st / 100 != 4;
				return -1;
			}
		}
		free(compact);
		json_decref(args);
	}
	const char *si = cj_str(a, "spec.ignitionConfigOverrides");
	const char *hi = cj_str(h, "ignition_config_overrides");
	if (strcmp(si ? si : "", hi ? hi : "") != 0) {
		json_t *body = json_pack("{s:s}", "config", si ? si : "");
		snprintf(path, sizeof(path), "/v2/infra-envs/%s/hosts/%s/ignition", x->ie_id, x->name);
		st = ctl_call(c, "PATCH", path, body, NULL, msg, sizeof(msg));
		json_decref(body);
		if (st != 201) {
			ctl_err_set(e, st / 100 == 4, "%s", msg);
			*internal = st / 100 != 4;
			return -1;
		}
	}
	json_t *params = json_object();
	const char *hn = cj_str(a, "spec.hostname"), *rhn = cj_str(h, "requested_hostname");
	if (hn && *hn && strcmp(hn, rhn ? rhn : ""))
		json_object_set_new(params, "host_name", json_string(hn));
	const char *role = cj_str(a, "spec.role"), *hrole = cj_str(h, "role");
	if (role && *role && strcmp(role, hrole ? hrole : ""))
		json_object_set_new(params, "host_role", json_string(role));
	if (json_object_size(params) && str_in(cj_str(h, "status"), before_install)) {
		json_t *out = NULL;
		snprintf(path, sizeof(path), "/v2/infra-envs/%s/hosts/%s", x->ie_id, x->name);
		st = ctl_call(c, "PATCH", path, params, &out, msg, sizeof(msg));
		if (st != 201) {
			json_decref(out);
			json_decref(params);
			ctl_err_set(e, st / 100 == 4, "%s", msg);
			*internal = st / 100 != 4;
			return -1;
		}
		json_decref(x->host);
		x->host = out;
	}
	json_decref(params);
	int approved = json_is_true(cj_get(a, "spec.approved"));
	if (emu_model_host_approved(c->m, x->ie_id, x->name) != approved) {
		c->calls++; /* UpdateHostApprovedInternal */
		if (emu_model_host_set_approved(c->m, x->ie_id, x->name, approved) != 0) {
			ctl_err_set(e, 0, "Failed to approve Agent: host not found");
			return -1;
		}
	}
	return 0;
}

static json_t *get_host(struct agent_ctx *x)
{
	char path[256];
	json_t *h = NULL;
	snprintf(path, sizeof(path), "/v2/infra-envs/%s/hosts/%s", x->ie_id, x->name);
	if (ctl_call(x->c, "GET", path, NULL, &h, NULL, 0) != 200) {
		json_decref(h);
		return NULL;
	}
	return h;
}

void ctl_agent_reconcile(struct ctl *c, const char *ns, const char *name, struct ctl_result *r)
{
	struct agent_ctx x = {.c = c, .ns = ns, .name = name, .r = r};
	struct ctl_err e = {0};
	ctl_time_fmt(ctl_wall_ms(c), x.now);
	x.agent = ctl_get(c, KUBE_RES_AGENT, ns, name);
	if (!x.agent)
		return;
	const char *iename = cj_label(x.agent, L_INFRAENV);
	x.ie_id = iename ? ctl_keys_infraenv_id(c, ns, iename) : NULL;
	/* handleAgentFinalizer */
	if (!cj_deleting(x.agent)) {
		if (cj_add_finalizer(x.agent, F_AGENT)) {
			replace(&x); /* a failure is only logged by the real one */
			r->requeue = 1;
			goto out;
		}
	} else {
		if (cj_has_finalizer(x.agent, F_AGENT)) {
			if (x.ie_id) {
				char path[256];
				snprintf(path, sizeof(path), "/v2/infra-envs/%s/hosts/%s", x.ie_id, name);
				int st = ctl_call(c, "DELETE", path, NULL, NULL, NULL, 0);
				if (st != 204 && st != 404) {
					r->error = 1;
					goto out;
				}
			}
			cj_remove_finalizer(x.agent, F_AGENT);
			if (ctl_update(c, KUBE_RES_AGENT, x.agent, NULL) < 0) {
				r->error = 1;
				goto out;
			}
		}
		goto out;
	}
	if (x.ie_id)
		x.host = get_host(&x);
	if (!x.host) {
		/* the real controller would restore the host from the Agent's
		 * annotations (backup/restore); the emulator only reports it */
		ctl_err_set(&e, 0, "host %s of infra-env %s not found", name, x.ie_id ? x.ie_id : "?");
		update_status(&x, &e, 1);
		goto out;
	}
	/* setOwnerAndLabel */
	json_t *ie = iename ? ctl_get(c, KUBE_RES_INFRAENV, ns, iename) : NULL;
	if (ie) {
		const char *uid = cj_str(ie, "metadata.uid");
		int owned = 0;
		size_t i;
		json_t *o;
		json_array_foreach(cj_get(x.agent, "metadata.ownerReferences"), i, o)
			if (uid && cj_str(o, "uid") && !strcmp(cj_str(o, "uid"), uid))
				owned = 1;
		if (!owned) {
			json_t *md = cj_obj(x.agent, "metadata");
			json_t *refs = json_object_get(md, "ownerReferences");
			if (!json_is_array(refs)) {
				refs = json_array();
				json_object_set_new(md, "ownerReferences", refs);
			}
			json_array_extend(refs, owner_ref(ie));
			replace(&x);
		}
	}
	/* updateAnnotations */
	if (host_annotations(x.agent, x.host))
		replace(&x);
	/* binding and unbinding through the Agent are not emulated: hosts are
	 * bound at registration through their InfraEnv's clusterRef */
	const char *cdn = cj_str(x.agent, "spec.clusterDeploymentName.name");
	const char *cdns = cj_str(x.agent, "spec.clusterDeploymentName.namespace");
	if (cdn) {
		json_t *cd = ctl_get(c, KUBE_RES_CLUSTERDEPLOYMENT, cdns ? cdns : "", cdn);
		if (!cd) {
			ctl_err_set(&e, 0, "failed to get clusterDeployment with name %s in namespace %s: clusterdeployments.hive.openshift.io \"%s\" not found",
			            cdn, cdns ? cdns : "", cdn);
			json_decref(ie);
			update_status(&x, &e, 1);
			goto out;
		}
		json_decref(cd);
		if (!ctl_keys_cluster_id(c, cdns ? cdns : "", cdn)) {
			ctl_err_set(&e, 0, "record not found");
			json_decref(ie);
			update_status(&x, &e, 1);
			goto out;
		}
	}
	/* applyAutoApprovalIfNeeded */
	if (!json_is_true(cj_get(x.agent, "spec.approved")) &&
	    json_is_true(cj_get(ie, "spec.agentApproval.autoApprove"))) {
		cj_set(x.agent, "spec.approved", json_true());
		if (replace(&x) < 0) {
			json_decref(ie);
			r->error = 1;
			goto out;
		}
	}
	json_decref(ie);
	int internal = 1;
	if (update_if_needed(&x, &e, &internal) < 0) {
		update_status(&x, &e, internal);
		goto out;
	}
	const char *invs = cj_str(x.host, "inventory");
	if (invs && *invs) {
		json_t *inv = json_loads(invs, 0, NULL);
		if (inv) {
			json_object_set_new(cj_obj(x.agent, "status"), "inventory", inventory(inv));
			json_decref(inv);
		}
		if (inventory_labels(x.agent)) {
			/* the main resource write keeps the stored status: the status
			 * write below carries the inventory */
			json_t *st = json_incref(json_object_get(x.agent, "status"));
			if (replace(&x) < 0) {
				json_decref(st);
				ctl_err_set(&e, 0, "failed to update agent %s/%s", ns, name);
				update_status(&x, &e, 1);
				goto out;
			}
			json_object_set_new(x.agent, "status", st);
		}
	}
	update_status(&x, NULL, 0);
out:
	json_decref(x.host);
	json_decref(x.agent);
}
