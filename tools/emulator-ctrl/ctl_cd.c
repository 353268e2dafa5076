/*
 * The ClusterDeployments controller (assisted-service
 * clusterdeployments_controller.go) and the small AgentClusterInstall
 * controller (agentclusterinstall_controller.go): finalizers on both
 * objects (cancel, unbind Agents, deregister on deletion), the owner
 * reference CD -> ACI, the cluster created in the service once the pull
 * secret and the ClusterImageSet resolve (CreateClusterParams from the CD
 * and ACI), installation started once the cluster is ready and exactly the
 * required approved agents are there (isReadyForInstallation), the
 * no-ingress kubeconfig and clusterMetadata once installing, the admin
 * password and kubeconfig Secrets once installed, the day-2 transformation
 * after hive marks the CD installed, and the ACI status with the real
 * conditions, reasons and messages.
 */
#include "ctl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUEUE_ON_ERROR_S 10.0   /* defaultRequeueAfterOnError */
#define ACI_GROUP "extensions.hive.openshift.io"

struct cd_ctx {
	struct ctl *c;
	const char *ns, *name;    /* the ClusterDeployment */
	json_t *cd, *aci;
	char now[32];
	struct ctl_result *r;
};

static void err_requeue(struct cd_ctx *x)
{
	x->r->error = 1;
}

static int is_installed(const json_t *cd, const json_t *aci)
{
	if (json_is_true(cj_get(cd, "spec.installed")))
		return 1;
	json_t *cond = cj_condition(cj_get(aci, "status.conditions"), "Completed");
	const char *reason = cj_str(cond, "reason");
	return reason && strcmp(reason, "InstallationCompleted") == 0;
}

static int hold_installation(const json_t *cd, const json_t *aci)
{
	if (json_is_true(cj_get(aci, "spec.holdInstallation")))
		return 1;
	const char *p = cj_annotation(cd, "hive.openshift.io/reconcile-pause");
	return p && (!strcmp(p, "true") || !strcmp(p, "1") || !strcmp(p, "True") || !strcmp(p, "TRUE") ||
	             !strcmp(p, "t") || !strcmp(p, "T"));
}

/* ---- status ---- */

static const char *platform_type(const char *t)
{
	if (!t)
		return "";
	if (!strcmp(t, "baremetal"))
		return "BareMetal";
	if (!strcmp(t, "none"))
		return "None";
	if (!strcmp(t, "vsphere"))
		return "VSphere";
	if (!strcmp(t, "nutanix"))
		return "Nutanix";
	if (!strcmp(t, "external"))
		return "External";
	return "";
}

struct agents_ctx {
	const char *cd_name;
	unsigned unsynced;
};

static int count_unsynced(void *arg, const struct hub_blob *b)
{
	struct agents_ctx *x = arg;
	json_t *a = hub_blob_parse(b);
	const char *cdn = cj_str(a, "spec.clusterDeploymentName.name");
	if (cdn && strcmp(cdn, x->cd_name) == 0) {
		json_t *cond = cj_condition(cj_get(a, "status.conditions"), "SpecSynced");
		const char *st = cj_str(cond, "status");
		if (st && strcmp(st, "False") == 0)
			x->unsynced++;
	}
	json_decref(a);
	return 0;
}

/* getNumOfUnsyncedAgents over findAgentsByAgentClusterInstall. */
static unsigned unsynced_agents(struct ctl *c, const json_t *aci)
{
	char sel[320], err[128];
	struct kube_selector *s = NULL;
	struct agents_ctx x = {.cd_name = cj_str(aci, "spec.clusterDeploymentRef.name")};
	if (!x.cd_name)
		return 0;
	snprintf(sel, sizeof(sel), L_CD_NAMESPACE "=%s", cj_str(aci, "metadata.namespace"));
	if (kube_label_selector_parse(sel, &s, err, sizeof(err)) != 0)
		return 0;
	hub_list(c->hub, KUBE_RES_AGENT, NULL, s, count_unsynced, &x);
	kube_selector_free(&s);
	return x.unsynced;
}

static int req_int(const json_t *aci, const char *k)
{
	return (int)json_integer_value(cj_get(json_object_get(json_object_get(aci, "spec"),
	                                                      "provisionRequirements"), k));
}

static void conds_unknown(json_t *status, const char *now)
{
	static const char *const types[] = {"Validated", "RequirementsMet", "Completed", "Failed",
	                                    "Stopped"};
	json_t *dbg = cj_obj(status, "debugInfo");
	json_object_del(dbg, "state");
	json_object_del(dbg, "stateInfo");
	json_object_del(dbg, "logsURL");
	json_object_del(dbg, "eventsURL");
	for (size_t i = 0; i < 5; i++)
		cj_cond_cluster(status, types[i], "Unknown", "NotAvailable", "Information not available",
		                now);
}

static void spec_synced(json_t *status, const struct ctl_err *e, const char *now)
{
	char msg[800];
	if (!e || !e->set) {
		/* the real one uses the reason as message too */
		cj_cond_cluster(status, "SpecSynced", "True", "SyncOK", "SyncOK", now);
		return;
	}
	if (e->user) {
		snprintf(msg, sizeof(msg), "The Spec could not be synced due to an input error: %s", e->msg);
		cj_cond_cluster(status, "SpecSynced", "False", "InputError", msg, now);
	} else {
		snprintf(msg, sizeof(msg), "The Spec could not be synced due to backend error: %s", e->msg);
		cj_cond_cluster(status, "SpecSynced", "False", "BackendError", msg, now);
	}
}

static void requirements_met(struct ctl *c, json_t *status, const json_t *aci, const char *st,
                             const char *cid, const char *now)
{
	char msg[512];
	if (!strcmp(st, "ready")) {
		struct emu_kube_counts k;
		emu_model_cluster_kube_counts(c->m, cid, &k);
		c->calls++; /* GetKnownHostApprovedCounts + the role counts: database round trips */
		unsigned unsynced = unsynced_agents(c, aci);
		int em = req_int(aci, "controlPlaneAgents"), ea = req_int(aci, "arbiterAgents"),
		    ew = req_int(aci, "workerAgents");
		int expected = em + ea + ew;
		if ((int)k.masters != em || (int)k.workers != ew || (int)k.arbiters != ea) {
			snprintf(msg, sizeof(msg),
			         "The cluster currently requires exactly %d master agents, %d arbiter agents and %d worker agents, but currently registered %u master agents, %u arbiter agents and %u worker agents",
			         em, ea, ew, k.masters, k.arbiters, k.workers);
			cj_cond_cluster(status, "RequirementsMet", "False", "InsufficientAgents", msg, now);
		} else if (unsynced) {
			snprintf(msg, sizeof(msg), "The cluster currently has %u agents with spec error",
			         unsynced);
			cj_cond_cluster(status, "RequirementsMet", "False", "UnsyncedAgents", msg, now);
		} else if ((int)k.known_approved < expected) {
			snprintf(msg, sizeof(msg), "The installation is pending on the approval of %d agents",
			         expected - (int)k.known_approved);
			cj_cond_cluster(status, "RequirementsMet", "False", "UnapprovedAgents", msg, now);
		} else {
			cj_cond_cluster(status, "RequirementsMet", "True", "ClusterIsReady",
			                "The cluster is ready to begin the installation", now);
		}
	} else if (!strcmp(st, "insufficient") || !strcmp(st, "pending-for-input")) {
		cj_cond_cluster(status, "RequirementsMet", "False", "ClusterNotReady",
		                "The cluster is not ready to begin the installation", now);
	} else if (!strcmp(st, "preparing-for-installation") || !strcmp(st, "installing") ||
	           !strcmp(st, "installing-pending-user-action") || !strcmp(st, "adding-hosts") ||
	           !strcmp(st, "finalizing")) {
		cj_cond_cluster(status, "RequirementsMet", "True", "ClusterAlreadyInstalling",
		                "The cluster requirements are met", now);
	} else if (!strcmp(st, "installed") || !strcmp(st, "error")) {
		cj_cond_cluster(status, "RequirementsMet", "True", "ClusterInstallationStopped",
		                "The cluster installation stopped", now);
	} else {
		snprintf(msg, sizeof(msg), "The installation status is currently not recognized: %s", st);
		cj_cond_cluster(status, "RequirementsMet", "Unknown", "UnknownStatus", msg, now);
	}
}

static void validated(json_t *status, const char *st, const json_t *cl, const char *now)
{
	char fail[2048], msg[2200];
	const char *vi = cj_str(cl, "validations_info");
	ctl_failed_validations(vi, 0, fail, sizeof(fail));
	if (!strcmp(st, "insufficient")) {
		snprintf(msg, sizeof(msg), "The cluster's validations are failing: %s", fail);
		cj_cond_cluster(status, "Validated", "False", "ValidationsFailing", msg, now);
	} else if (!strcmp(st, "pending-for-input")) {
		snprintf(msg, sizeof(msg), "The cluster's validations are pending for user: %s", fail);
		cj_cond_cluster(status, "Validated", "False", "ValidationsUserPending", msg, now);
	} else if (!strcmp(st, "adding-hosts")) {
		cj_cond_cluster(status, "Validated", "True", "ValidationsPassing",
		                "The cluster's validations are passing", now);
	} else if (!vi || !*vi) {
		cj_cond_cluster(status, "Validated", "Unknown", "ValidationsUnknown",
		                "The cluster's validations have not yet been calculated", now);
	} else {
		cj_cond_cluster(status, "Validated", "True", "ValidationsPassing",
		                "The cluster's validations are passing", now);
	}
}

static void completed(json_t *status, const json_t *cd, const json_t *aci, const char *st,
                      const char *info, const json_t *cl, const char *now)
{
	char msg[800], cvo[300] = "";
	size_t i;
	json_t *op;
	json_array_foreach(json_object_get(cl, "monitored_operators"), i, op) {
		const char *n = cj_str(op, "name"), *s = cj_str(op, "status");
		if (n && !strcmp(n, "cvo") && s && *s)
			snprintf(cvo, sizeof(cvo), ". Cluster version status: %s, message: %s", s,
			         cj_str(op, "status_info") ? cj_str(op, "status_info") : "");
	}
	if (!strcmp(st, "installed") || !strcmp(st, "adding-hosts")) {
		snprintf(msg, sizeof(msg), "The installation has completed: %s", info);
		cj_cond_cluster(status, "Completed", "True", "InstallationCompleted", msg, now);
	} else if (!strcmp(st, "error")) {
		snprintf(msg, sizeof(msg), "The installation has failed: %s", info);
		cj_cond_cluster(status, "Completed", "False", "InstallationFailed", msg, now);
	} else if (!strcmp(st, "ready")) {
		if (hold_installation(cd, aci))
			cj_cond_cluster(status, "Completed", "False", "InstallationOnHold",
			                "The installation is on hold. To unhold set holdInstallation to false",
			                now);
		else
			cj_cond_cluster(status, "Completed", "False", "InstallationNotStarted",
			                "The installation has not yet started", now);
	} else if (!strcmp(st, "insufficient") || !strcmp(st, "pending-for-input")) {
		cj_cond_cluster(status, "Completed", "False", "InstallationNotStarted",
		                "The installation has not yet started", now);
	} else if (!strcmp(st, "preparing-for-installation") || !strcmp(st, "installing") ||
	           !strcmp(st, "finalizing") || !strcmp(st, "installing-pending-user-action")) {
		snprintf(msg, sizeof(msg), "The installation is in progress: %s%s", info, cvo);
		cj_cond_cluster(status, "Completed", "False", "InstallationInProgress", msg, now);
	} else {
		snprintf(msg, sizeof(msg), "The installation status is currently not recognized: %s", st);
		cj_cond_cluster(status, "Completed", "Unknown", "UnknownStatus", msg, now);
	}
}

static void failed_stopped(json_t *status, const char *st, const char *info, const char *now)
{
	char msg[800];
	if (!strcmp(st, "error")) {
		snprintf(msg, sizeof(msg), "The installation failed: %s", info);
		cj_cond_cluster(status, "Failed", "True", "InstallationFailed", msg, now);
		cj_cond_cluster(status, "Stopped", "True", "InstallationFailed",
		                "The installation has stopped due to error", now);
		return;
	}
	cj_cond_cluster(status, "Failed", "False", "InstallationNotFailed",
	                "The installation has not failed", now);
	if (!strcmp(st, "cancelled"))
		cj_cond_cluster(status, "Stopped", "True", "InstallationCancelled",
		                "The installation has stopped because it was cancelled", now);
	else if (!strcmp(st, "installed") || !strcmp(st, "adding-hosts"))
		cj_cond_cluster(status, "Stopped", "True", "InstallationCompleted",
		                "The installation has stopped because it completed successfully", now);
	else
		cj_cond_cluster(status, "Stopped", "False", "InstallationNotStopped",
		                "The installation is waiting to start or in progress", now);
}

static json_t *vip_strings(const json_t *vips)
{
	json_t *a = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(vips, i, v)
		if (cj_str(v, "ip"))
			json_array_append_new(a, json_string(cj_str(v, "ip")));
	return a;
}

/* updateStatus: every ACI condition and the status fields from the cluster. */
static void update_status(struct cd_ctx *x, const json_t *cl, const struct ctl_err *e)
{
	struct ctl *c = x->c;
	json_t *aci = x->aci;
	json_t *status = cj_obj(aci, "status");
	spec_synced(status, e, x->now);
	if (cl && cj_str(cl, "status")) {
		const char *st = cj_str(cl, "status"), *info = cj_str(cl, "status_info");
		const char *cid = cj_str(cl, "id");
		json_t *mn = json_array();
		size_t i;
		json_t *n;
		json_array_foreach(json_object_get(cl, "machine_networks"), i, n)
			if (cj_str(n, "cidr"))
				json_array_append_new(mn, json_pack("{s:s}", "cidr", cj_str(n, "cidr")));
		if (json_array_size(mn))
			json_object_set_new(status, "machineNetwork", mn);
		else {
			json_decref(mn);
			json_object_del(status, "machineNetwork");
		}
		json_t *dbg = cj_obj(status, "debugInfo");
		json_object_set_new(dbg, "state", json_string(st));
		if (info && *info)
			json_object_set_new(dbg, "stateInfo", json_string(info));
		else
			json_object_del(dbg, "stateInfo");
		json_t *tp = cj_get(cl, "progress.total_percentage");
		json_object_set_new(status, "progress",
		                    json_pack("{s:I}", "totalPercentage",
		                              (json_int_t)(tp ? json_integer_value(tp) : 0)));
		json_t *apis = vip_strings(json_object_get(cl, "api_vips"));
		json_t *ings = vip_strings(json_object_get(cl, "ingress_vips"));
		if (json_array_size(apis)) {
			json_object_set(status, "apiVIP", json_array_get(apis, 0));
			json_object_set_new(status, "apiVIPs", apis);
		} else {
			json_object_del(status, "apiVIP");
			json_object_del(status, "apiVIPs");
			json_decref(apis);
		}
		if (json_array_size(ings)) {
			json_object_set(status, "ingressVIP", json_array_get(ings, 0));
			json_object_set_new(status, "ingressVIPs", ings);
		} else {
			json_object_del(status, "ingressVIP");
			json_object_del(status, "ingressVIPs");
			json_decref(ings);
		}
		json_object_set(status, "userManagedNetworking",
		                json_is_true(json_object_get(cl, "user_managed_networking")) ? json_true()
		                                                                             : json_false());
		json_object_set_new(status, "platformType",
		                    json_string(platform_type(cj_str(cl, "platform.type"))));
		if (strcmp(st, "installed") != 0 && !cj_str(dbg, "eventsURL")) {
			char url[2600];
			/* signed with a cluster token in the real service: left unsigned here */
			ctl_events_url(c, "cluster_id", cid, NULL, url, sizeof(url));
			json_object_set_new(dbg, "eventsURL", json_string(url));
		}
		requirements_met(c, status, aci, st, cid, x->now);
		validated(status, st, cl, x->now);
		completed(status, x->cd, aci, st, info ? info : "", cl, x->now);
		failed_stopped(status, st, info ? info : "", x->now);
		const char *prep = !strcmp(st, "insufficient") || !strcmp(st, "ready") ||
		                   !strcmp(st, "pending-for-input") ||
		                   !strcmp(st, "preparing-for-installation") ? "" : "success";
		if (!*prep)
			cj_cond_cluster(status, "LastInstallationPreparationFailed", "False",
			                "Cluster preparation has never been performed for this cluster", "",
			                x->now);
		else
			cj_cond_cluster(status, "LastInstallationPreparationFailed", "False",
			                "There is no failing prior preparation attempt", "", x->now);
		const char *vi = cj_str(cl, "validations_info");
		json_t *vij = vi ? json_loads(vi, 0, NULL) : NULL;
		if (json_is_object(vij))
			json_object_set_new(status, "validationsInfo", vij);
		else
			json_decref(vij);
	} else {
		conds_unknown(status, x->now);
	}
	json_t *out = NULL;
	if (ctl_update_status(c, KUBE_RES_AGENTCLUSTERINSTALL, aci, &out) < 0) {
		x->r->requeue = 1;
	} else if (out) {
		json_decref(x->aci);
		x->aci = out;
		out = NULL;
	}
	json_decref(out);
	if (e && e->set && !e->user && !x->r->error)
		x->r->requeue_after_ns = ctl_scaled_ns(c, REQUEUE_ON_ERROR_S);
}

/* ---- cluster creation ---- */

static json_t *net_list(const json_t *a, int prefix)
{
	json_t *out = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e) {
		const char *cidr = json_is_string(e) ? json_string_value(e) : cj_str(e, "cidr");
		if (!cidr)
			continue;
		json_t *o = json_pack("{s:s}", "cidr", cidr);
		if (prefix && json_is_integer(cj_get(e, "hostPrefix")))
			json_object_set(o, "host_prefix", cj_get(e, "hostPrefix"));
		json_array_append_new(out, o);
	}
	return out;
}

static json_t *vips(const json_t *spec, const char *many, const char *one)
{
	json_t *out = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(spec, many), i, e)
		if (json_string_value(e))
			json_array_append_new(out, json_pack("{s:s}", "ip", json_string_value(e)));
	if (!json_array_size(out) && cj_str(spec, one) && *cj_str(spec, one))
		json_array_append_new(out, json_pack("{s:s}", "ip", cj_str(spec, one)));
	return out;
}

/* getHyperthreading */
static const char *hyperthreading(const json_t *spec, char *buf, size_t len)
{
	const json_t *cp = json_object_get(spec, "controlPlane"), *ar = json_object_get(spec, "arbiter");
	int worker_pool = 0, worker_on = 0;
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(spec, "compute"), i, p)
		if (cj_str(p, "name") && !strcmp(cj_str(p, "name"), "worker")) {
			worker_pool = 1;
			if (!worker_on && cj_str(p, "hyperthreading") && !strcmp(cj_str(p, "hyperthreading"), "Enabled"))
				worker_on = 1;
		}
	if (!cp && !ar && !worker_pool)
		return "all";
	buf[0] = '\0';
	if (cp && cj_str(cp, "hyperthreading") && !strcmp(cj_str(cp, "hyperthreading"), "Enabled"))
		snprintf(buf, len, "masters");
	if (ar && cj_str(ar, "hyperthreading") && !strcmp(cj_str(ar, "hyperthreading"), "Enabled")) {
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "%sarbiters", l ? "," : "");
	}
	if (worker_on) {
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "%sworkers", l ? "," : "");
	}
	return buf[0] ? buf : "none";
}

static const char *platform_param(const char *t)
{
	if (!t)
		return NULL;
	if (!strcmp(t, "VSphere"))
		return "vsphere";
	if (!strcmp(t, "None"))
		return "none";
	if (!strcmp(t, "BareMetal"))
		return "baremetal";
	if (!strcmp(t, "Nutanix"))
		return "nutanix";
	return NULL;
}

/* CreateClusterParams + RegisterClusterInternal. */
static json_t *create_cluster(struct cd_ctx *x, const char *ps, const char *release,
                              const char *ver, const char *arch, struct ctl_err *e)
{
	const json_t *spec = cj_get(x->aci, "spec");
	int em = req_int(x->aci, "controlPlaneAgents"), ew = req_int(x->aci, "workerAgents");
	int umn = json_is_true(cj_get(spec, "networking.userManagedNetworking")) || (em == 1 && ew == 0);
	char ht[64];
	json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:b,s:s,s:b,s:b,s:I,s:s,s:s}",
	                         "base_dns_domain", cj_str(x->cd, "spec.baseDomain"),
	                         "name", cj_str(x->cd, "spec.clusterName"),
	                         "openshift_version", ver, "pull_secret", ps,
	                         "vip_dhcp_allocation", 0,
	                         "cpu_architecture", arch,
	                         "user_managed_networking", umn,
	                         "schedulable_masters", json_is_true(json_object_get(spec, "mastersSchedulable")),
	                         "control_plane_count", (json_int_t)em,
	                         "ocp_release_image", release,
	                         "hyperthreading", hyperthreading(spec, ht, sizeof(ht)));
	json_t *api = vips(spec, "apiVIPs", "apiVIP"), *ing = vips(spec, "ingressVIPs", "ingressVIP");
	if (json_array_size(api))
		json_object_set_new(body, "api_vips", api);
	else
		json_decref(api);
	if (json_array_size(ing))
		json_object_set_new(body, "ingress_vips", ing);
	else
		json_decref(ing);
	const char *ssh = cj_str(spec, "sshPublicKey");
	if (ssh && *ssh)
		json_object_set_new(body, "ssh_public_key", json_string(ssh));
	const char *pl = platform_param(cj_str(spec, "platformType"));
	if (pl)
		json_object_set_new(body, "platform", json_pack("{s:s}", "type", pl));
	json_t *nets = net_list(cj_get(spec, "networking.clusterNetwork"), 1);
	if (json_array_size(nets))
		json_object_set_new(body, "cluster_networks", nets);
	else
		json_decref(nets);
	nets = net_list(cj_get(spec, "networking.serviceNetwork"), 0);
	if (json_array_size(nets))
		json_object_set_new(body, "service_networks", nets);
	else
		json_decref(nets);
	nets = net_list(cj_get(spec, "networking.machineNetwork"), 0);
	if (json_array_size(nets))
		json_object_set_new(body, "machine_networks", nets);
	else
		json_decref(nets);
	if (em == 1 && ew == 0)
		json_object_set_new(body, "high_availability_mode", json_string("None"));
	json_t *out = NULL;
	char msg[512];
	int st = ctl_call(x->c, "POST", "/v2/clusters", body, &out, msg, sizeof(msg));
	json_decref(body);
	if (st != 201) {
		json_decref(out);
		ctl_err_set(e, st / 100 == 4, "%s", msg[0] ? msg : "failed to register the cluster");
		return NULL;
	}
	char key[520];
	snprintf(key, sizeof(key), "%s/%s", x->ns, x->name);
	ctl_keys_set_cluster(x->c, cj_str(out, "id"), key);
	return out;
}

/* ---- credentials ---- */

static json_t *secret_obj(struct cd_ctx *x, const char *name, const char *type, json_t *data)
{
	json_t *s = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s},s:[{s:s,s:s,s:s,s:s,s:b}]},s:o}",
	                      "apiVersion", "v1", "kind", "Secret",
	                      "metadata", "name", name, "namespace", x->ns,
	                      "labels", "hive.openshift.io/cluster-deployment-name", x->name,
	                      "hive.openshift.io/secret-type", type,
	                      "ownerReferences", "apiVersion", "hive.openshift.io/v1", "kind",
	                      "ClusterDeployment", "name", x->name, "uid",
	                      cj_str(x->cd, "metadata.uid") ? cj_str(x->cd, "metadata.uid") : "",
	                      "blockOwnerDeletion", 1,
	                      "data", data);
	return s;
}

static json_t *b64_data(const char *k1, const char *v1, const char *k2, const char *v2)
{
	json_t *d = json_object();
	char *e1 = ctl_b64_encode(v1, strlen(v1));
	json_object_set_new(d, k1, json_string(e1));
	free(e1);
	if (k2) {
		char *e2 = ctl_b64_encode(v2, strlen(v2));
		json_object_set_new(d, k2, json_string(e2));
		free(e2);
	}
	return d;
}

static const char *kubeconfig_name(struct cd_ctx *x, char *buf, size_t len)
{
	const char *n = cj_str(x->cd, "spec.clusterMetadata.adminKubeconfigSecretRef.name");
	if (n && *n)
		return n;
	snprintf(buf, len, "%s-admin-kubeconfig", x->name);
	return buf;
}

/* Downloads credentials file |file| of cluster |cid|; malloc'ed text or NULL. */
static char *download(struct ctl *c, const char *cid, const char *file, struct ctl_err *e)
{
	char path[256], msg[512];
	json_t *out = NULL;
	snprintf(path, sizeof(path), "/v2/clusters/%s/downloads/credentials?file_name=%s", cid, file);
	int st = ctl_call(c, "GET", path, NULL, &out, msg, sizeof(msg));
	if (st != 200 || !json_is_string(out)) {
		ctl_err_set(e, st / 100 == 4, "%s", msg[0] ? msg : "failed to download credentials");
		json_decref(out);
		return NULL;
	}
	char *s = strdup(json_string_value(out));
	json_decref(out);
	return s;
}

/* createNoIngressKubeConfig (installing / finalizing). */
static int no_ingress_kubeconfig(struct cd_ctx *x, const json_t *cl, struct ctl_err *e)
{
	if (cj_get(x->aci, "spec.clusterMetadata"))
		return 0;
	char kn[300];
	const char *name = kubeconfig_name(x, kn, sizeof(kn));
	json_t *s = ctl_get(x->c, KUBE_RES_SECRET, x->ns, name);
	if (!s) {
		char *kc = download(x->c, cj_str(cl, "id"), "kubeconfig-noingress", e);
		if (!kc)
			return -1;
		json_t *obj = secret_obj(x, name, "kubeconfig", b64_data("kubeconfig", kc, NULL, NULL));
		free(kc);
		int rv = ctl_create(x->c, KUBE_RES_SECRET, obj, NULL);
		json_decref(obj);
		if (rv < 0 && rv != -409) {
			ctl_err_set(e, 0, "failed to create secret %s/%s", x->ns, name);
			return -1;
		}
	}
	json_decref(s);
	cj_set(x->aci, "spec.clusterMetadata",
	       json_pack("{s:s,s:s,s:{s:s}}", "clusterID", cj_str(cl, "id"), "infraID", cj_str(cl, "id"),
	                 "adminKubeconfigSecretRef", "name", name));
	if (ctl_update_in_place(x->c, KUBE_RES_AGENTCLUSTERINSTALL, &x->aci) < 0) {
		ctl_err_set(e, 0, "failed to update AgentClusterInstall %s/%s", x->ns,
		            cj_str(x->aci, "metadata.name"));
		return -1;
	}
	return 0;
}

/* updateClusterMetadata (installed): password and kubeconfig secrets. */
static int cluster_metadata(struct cd_ctx *x, const json_t *cl, struct ctl_err *e)
{
	struct ctl *c = x->c;
	const char *cid = cj_str(cl, "id");
	char pn[300], kn[300];
	snprintf(pn, sizeof(pn), "%s-admin-password", x->name);
	json_t *ps = ctl_get(c, KUBE_RES_SECRET, x->ns, pn);
	if (!ps) {
		char path[160], msg[256];
		json_t *cred = NULL;
		snprintf(path, sizeof(path), "/v2/clusters/%s/credentials", cid);
		int st = ctl_call(c, "GET", path, NULL, &cred, msg, sizeof(msg));
		if (st != 200) {
			json_decref(cred);
			ctl_err_set(e, st / 100 == 4, "%s", msg);
			return -1;
		}
		json_t *obj = secret_obj(x, pn, "kubeadmincreds",
		                         b64_data("username", cj_str(cred, "username") ? cj_str(cred, "username") : "",
		                                  "password", cj_str(cred, "password") ? cj_str(cred, "password") : ""));
		json_decref(cred);
		int rv = ctl_create(c, KUBE_RES_SECRET, obj, NULL);
		json_decref(obj);
		if (rv < 0 && rv != -409) {
			ctl_err_set(e, 0, "failed to create secret %s/%s", x->ns, pn);
			return -1;
		}
	}
	json_decref(ps);
	const char *kname = kubeconfig_name(x, kn, sizeof(kn));
	char *kc = download(c, cid, "kubeconfig", e);
	if (!kc)
		return -1;
	json_t *ks = ctl_get(c, KUBE_RES_SECRET, x->ns, kname);
	int rv;
	if (ks) {
		if (ctl_label_secret(c, ks, e) < 0) {
			free(kc);
			json_decref(ks);
			return -1;
		}
		json_object_set_new(ks, "data", b64_data("kubeconfig", kc, NULL, NULL));
		rv = ctl_update(c, KUBE_RES_SECRET, ks, NULL);
		json_decref(ks);
	} else {
		json_t *obj = secret_obj(x, kname, "kubeconfig", b64_data("kubeconfig", kc, NULL, NULL));
		rv = ctl_create(c, KUBE_RES_SECRET, obj, NULL);
		json_decref(obj);
	}
	free(kc);
	if (rv < 0) {
		ctl_err_set(e, 0, "failed to write secret %s/%s", x->ns, kname);
		return -1;
	}
	cj_set(x->aci, "spec.clusterMetadata",
	       json_pack("{s:s,s:s,s:{s:s},s:{s:s}}", "clusterID", cid, "infraID", cid,
	                 "adminPasswordSecretRef", "name", pn, "adminKubeconfigSecretRef", "name",
	                 kname));
	if (ctl_update_in_place(c, KUBE_RES_AGENTCLUSTERINSTALL, &x->aci) < 0) {
		ctl_err_set(e, 0, "failed to update AgentClusterInstall %s/%s", x->ns,
		            cj_str(x->aci, "metadata.name"));
		return -1;
	}
	return 0;
}

/* ---- deletion ---- */

struct unbind_ctx {
	struct ctl *c;
	const char *ns, *name;  /* the ClusterDeployment */
	json_t *todo;           /* [[ns, name, delete], ...]: hub_list callbacks may not write */
};

static int unbind_collect(void *arg, const struct hub_blob *b)
{
	struct unbind_ctx *u = arg;
	if (!strstr(b->json, u->name))
		return 0; /* cannot name the ClusterDeployment */
	json_t *a = hub_blob_parse(b);
	const char *n = cj_str(a, "spec.clusterDeploymentName.name");
	const char *ns = cj_str(a, "spec.clusterDeploymentName.namespace");
	if (n && ns && !strcmp(n, u->name) && !strcmp(ns, u->ns)) {
		/* shouldDeleteAgentOnUnbind: Agents of an InfraEnv bound to this CD
		 * are deleted, late-binding ones unbound (PreserveOnDelete aside) */
		const char *iename = cj_label(a, L_INFRAENV);
		json_t *ie = iename ? ctl_get(u->c, KUBE_RES_INFRAENV, b->ns, iename) : NULL;
		const char *rn = cj_str(ie, "spec.clusterRef.name");
		const char *rns = cj_str(ie, "spec.clusterRef.namespace");
		int del = rn && rns && !strcmp(rn, u->name) && !strcmp(rns, u->ns);
		if (ie && !rn) {
			json_t *cd = ctl_get(u->c, KUBE_RES_CLUSTERDEPLOYMENT, u->ns, u->name);
			del = json_is_true(cj_get(cd, "spec.preserveOnDelete"));
			json_decref(cd);
		}
		json_decref(ie);
		json_array_append_new(u->todo, json_pack("[s,s,b]", b->ns, b->name, del));
	}
	json_decref(a);
	return 0;
}

/* unbindAgents. Returns 0 or -1. */
static int unbind_agents(struct ctl *c, const char *ns, const char *name)
{
	struct unbind_ctx u = {.c = c, .ns = ns, .name = name, .todo = json_array()};
	hub_list(c->hub, KUBE_RES_AGENT, NULL, NULL, unbind_collect, &u);
	size_t i;
	json_t *t;
	int rv = 0;
	json_array_foreach(u.todo, i, t) {
		const char *ans = json_string_value(json_array_get(t, 0));
		const char *an = json_string_value(json_array_get(t, 1));
		if (json_is_true(json_array_get(t, 2))) {
			int d = ctl_delete(c, KUBE_RES_AGENT, ans, an);
			if (d < 0 && d != -404)
				rv = -1;
			continue;
		}
		json_t *a = ctl_get(c, KUBE_RES_AGENT, ans, an);
		if (!a)
			continue;
		json_object_del(json_object_get(a, "spec"), "clusterDeploymentName");
		if (ctl_update(c, KUBE_RES_AGENT, a, NULL) < 0)
			rv = -1;
		json_decref(a);
	}
	json_decref(u.todo);
	return rv;
}

/* agentClusterInstallFinalizer: 1 when the reconcile ends here. */
static int aci_finalizer(struct cd_ctx *x)
{
	struct ctl *c = x->c;
	if (!cj_deleting(x->aci)) {
		if (cj_add_finalizer(x->aci, F_ACI) &&
		    ctl_update_in_place(c, KUBE_RES_AGENTCLUSTERINSTALL, &x->aci) < 0) {
			err_requeue(x);
			return 1;
		}
		return 0;
	}
	if (!cj_has_finalizer(x->aci, F_ACI))
		return 1;
	const char *cid = ctl_keys_cluster_id(c, x->ns, x->name);
	char path[160];
	if (cid) {
		json_t *cl = NULL;
		snprintf(path, sizeof(path), "/v2/clusters/%s?exclude-hosts=true", cid);
		if (ctl_call(c, "GET", path, NULL, &cl, NULL, 0) == 200) {
			const char *st = cj_str(cl, "status");
			static const char *const cancel[] = {"installing", "preparing-for-installation",
			                                     "installing-pending-user-action", "finalizing",
			                                     "error"};
			for (size_t i = 0; st && i < 5; i++)
				if (!strcmp(st, cancel[i])) {
					snprintf(path, sizeof(path), "/v2/clusters/%s/actions/cancel", cid);
					if (ctl_call(c, "POST", path, NULL, NULL, NULL, 0) / 100 != 2) {
						json_decref(cl);
						err_requeue(x);
						return 1;
					}
				}
		}
		json_decref(cl);
	}
	if (unbind_agents(c, x->ns, x->name) < 0) {
		err_requeue(x);
		return 1;
	}
	if (cid) {
		char id[40];
		snprintf(id, sizeof(id), "%s", cid);
		snprintf(path, sizeof(path), "/v2/clusters/%s", id);
		int st = ctl_call(c, "DELETE", path, NULL, NULL, NULL, 0);
		if (st != 204 && st != 404) {
			err_requeue(x); /* RequeueAfter 10 s with an error: rate-limited */
			return 1;
		}
		ctl_keys_del_cluster(c, id);
	}
	cj_remove_finalizer(x->aci, F_ACI);
	if (ctl_update(c, KUBE_RES_AGENTCLUSTERINSTALL, x->aci, NULL) < 0)
		err_requeue(x);
	return 1;
}

/* clusterDeploymentFinalizer: 1 when the reconcile ends here. */
static int cd_finalizer(struct cd_ctx *x)
{
	struct ctl *c = x->c;
	if (!cj_deleting(x->cd)) {
		if (cj_add_finalizer(x->cd, F_CD) &&
		    ctl_update_in_place(c, KUBE_RES_CLUSTERDEPLOYMENT, &x->cd) < 0) {
			err_requeue(x);
			return 1;
		}
		return 0;
	}
	if (!cj_has_finalizer(x->cd, F_CD))
		return 1;
	/* deleteClusterInstall: delete the ACI and come back until it is gone */
	const char *aci = cj_str(x->cd, "spec.clusterInstallRef.name");
	json_t *a = aci ? ctl_get(c, KUBE_RES_AGENTCLUSTERINSTALL, x->ns, aci) : NULL;
	if (a) {
		if (!cj_deleting(a))
			ctl_delete(c, KUBE_RES_AGENTCLUSTERINSTALL, x->ns, aci);
		json_decref(a);
		err_requeue(x); /* "could not confirm clusterInstall deletion": an error */
		return 1;
	}
	cj_remove_finalizer(x->cd, F_CD);
	if (ctl_update(c, KUBE_RES_CLUSTERDEPLOYMENT, x->cd, NULL) < 0)
		err_requeue(x);
	return 1;
}

/* ensureOwnerRef: the ACI is owned by its ClusterDeployment. */
static int ensure_owner(struct cd_ctx *x)
{
	const char *uid = cj_str(x->cd, "metadata.uid");
	size_t i;
	json_t *o;
	json_array_foreach(cj_get(x->aci, "metadata.ownerReferences"), i, o)
		if (uid && cj_str(o, "uid") && !strcmp(cj_str(o, "uid"), uid))
			return 0;
	json_t *md = cj_obj(x->aci, "metadata");
	json_t *refs = json_object_get(md, "ownerReferences");
	if (!json_is_array(refs)) {
		refs = json_array();
		json_object_set_new(md, "ownerReferences", refs);
	}
	json_array_append_new(refs, json_pack("{s:s,s:s,s:s,s:s}", "apiVersion", "hive.openshift.io/v1",
	                                      "kind", "ClusterDeployment", "name", x->name, "uid",
	                                      uid ? uid : ""));
	return ctl_update_in_place(x->c, KUBE_RES_AGENTCLUSTERINSTALL, &x->aci) < 0 ? -1 : 0;
}

/* Keeps the cluster in line with the ACI (a subset of updateIfNeeded: the
 * VIPs and the SSH key). Returns the cluster (new reference) or NULL with |e|. */
static json_t *update_if_needed(struct cd_ctx *x, json_t *cl, struct ctl_err *e)
{
	const json_t *spec = cj_get(x->aci, "spec");
	json_t *patch = json_object();
	json_t *api = vips(spec, "apiVIPs", "apiVIP"), *ing = vips(spec, "ingressVIPs", "ingressVIP");
	json_t *capi = vip_strings(json_object_get(cl, "api_vips"));
	json_t *cing = vip_strings(json_object_get(cl, "ingress_vips"));
	json_t *sapi = vip_strings(api), *sing = vip_strings(ing);
	if (json_array_size(api) && !json_equal(sapi, capi))
		json_object_set(patch, "api_vips", api);
	if (json_array_size(ing) && !json_equal(sing, cing))
		json_object_set(patch, "ingress_vips", ing);
	const char *ssh = cj_str(spec, "sshPublicKey"), *cssh = cj_str(cl, "ssh_public_key");
	if (ssh && *ssh && (!cssh || strcmp(ssh, cssh)))
		json_object_set_new(patch, "ssh_public_key", json_string(ssh));
	json_decref(api);
	json_decref(ing);
	json_decref(capi);
	json_decref(cing);
	json_decref(sapi);
	json_decref(sing);
	const char *cst = cj_str(cl, "status");
	int preinstall = cst && (!strcmp(cst, "insufficient") || !strcmp(cst, "ready") ||
	                         !strcmp(cst, "pending-for-input"));
	if (!json_object_size(patch) || !preinstall) {
		json_decref(patch);
		return json_incref(cl);
	}
	char path[160], msg[512];
	json_t *out = NULL;
	snprintf(path, sizeof(path), "/v2/clusters/%s", cj_str(cl, "id"));
	int st = ctl_call(x->c, "PATCH", path, patch, &out, msg, sizeof(msg));
	json_decref(patch);
	if (st != 201) {
		json_decref(out);
		ctl_err_set(e, st / 100 == 4, "%s", msg);
		return NULL;
	}
	return out;
}

/* isReadyForInstallation */
static int ready_for_installation(struct cd_ctx *x, const json_t *cl)
{
	if (strcmp(cj_str(cl, "status"), "ready") != 0)
		return 0;
	struct emu_kube_counts k;
	if (emu_model_cluster_kube_counts(x->c->m, cj_str(cl, "id"), &k) != 0)
		return 0;
	x->c->calls++;
	int em = req_int(x->aci, "controlPlaneAgents"), ea = req_int(x->aci, "arbiterAgents"),
	    ew = req_int(x->aci, "workerAgents");
	int expected = em + ea + ew;
	return (int)k.known_approved == expected && (int)k.known == expected && (int)k.masters == em &&
	       (int)k.arbiters == ea && (int)k.workers == ew && unsynced_agents(x->c, x->aci) == 0;
}

void ctl_cd_reconcile(struct ctl *c, const char *ns, const char *name, struct ctl_result *r)
{
	struct cd_ctx x = {.c = c, .ns = ns, .name = name, .r = r};
	json_t *cl = NULL;
	char *ps = NULL;
	struct ctl_err e = {0};
	ctl_time_fmt(ctl_wall_ms(c), x.now);
	x.cd = ctl_get(c, KUBE_RES_CLUSTERDEPLOYMENT, ns, name);
	if (!x.cd)
		return;
	const char *grp = cj_str(x.cd, "spec.clusterInstallRef.group");
	const char *kind = cj_str(x.cd, "spec.clusterInstallRef.kind");
	const char *aciname = cj_str(x.cd, "spec.clusterInstallRef.name");
	if (!grp || strcmp(grp, ACI_GROUP) || !kind || strcmp(kind, "AgentClusterInstall") || !aciname)
		goto out; /* not ours (isSupportedPlatform) */
	x.aci = ctl_get(c, KUBE_RES_AGENTCLUSTERINSTALL, ns, aciname);
	if (!x.aci && !cj_deleting(x.cd))
		goto out;
	if (x.aci && aci_finalizer(&x))
		goto out;
	if (cd_finalizer(&x))
		goto out;
	if (!x.aci)
		goto out;
	if (ensure_owner(&x) < 0) {
		r->requeue = 1;
		goto out;
	}
	/* getPullSecret */
	const char *psn = cj_str(x.cd, "spec.pullSecretRef.name");
	if (!psn || !*psn) {
		if (!is_installed(x.cd, x.aci)) {
			ctl_err_set(&e, 1, "PullSecret is required for ClusterDeployment %s/%s", name, ns);
			update_status(&x, NULL, &e);
			goto out;
		}
	} else {
		struct ctl_err pe = {0};
		ps = ctl_pull_secret(c, ns, psn, &pe);
		if (!ps) {
			ctl_err_set(&e, pe.user, "failed to validate pull secret for ClusterDeployment %s/%s: %s",
			            name, ns, pe.msg);
			update_status(&x, NULL, &e);
			goto out;
		}
	}
	/* ensureClusterImageSetRef */
	const char *cisn = cj_str(x.aci, "spec.imageSetRef.name");
	json_t *cis = NULL;
	if (!cisn) {
		if (!is_installed(x.cd, x.aci)) {
			ctl_err_set(&e, 1, "ClusterImageSet must be specified in AgentClusterInstall.Spec.ImageSetRef for cluster that is not installed");
			update_status(&x, NULL, &e);
			goto out;
		}
	} else if (!(cis = ctl_get(c, KUBE_RES_CLUSTERIMAGESET, "", cisn))) {
		ctl_err_set(&e, 0, "ClusterImageSet %s not found. Please ensure the ClusterImageSet exists", cisn);
		update_status(&x, NULL, &e);
		goto out;
	}
	const char *cid = ctl_keys_cluster_id(c, ns, name);
	char path[200];
	if (cid) {
		snprintf(path, sizeof(path), "/v2/clusters/%s?exclude-hosts=true", cid);
		if (ctl_call(c, "GET", path, NULL, &cl, NULL, 0) != 200) {
			json_decref(cl);
			cl = NULL;
			ctl_keys_del_cluster(c, cid);
			cid = NULL;
		}
	}
	if (!cl) {
		const char *rel = cj_str(cis, "spec.releaseImage");
		char ver[64], arch[32];
		if (!cis || ctl_release_version(rel, ver, sizeof(ver), arch, sizeof(arch)) < 0) {
			ctl_err_set(&e, 0, "failed to get release image '%s'. Please ensure the releaseImage field in ClusterImageSet '%s' is valid,  (error: cannot read the version of the release image).",
			            rel ? rel : "", cisn ? cisn : "");
			json_decref(cis);
			update_status(&x, NULL, &e);
			goto out;
		}
		if (is_installed(x.cd, x.aci)) {
			ctl_err_set(&e, 0, "importing an installed cluster (day 2) is not emulated");
			json_decref(cis);
			update_status(&x, NULL, &e);
			goto out;
		}
		cl = create_cluster(&x, ps, rel, ver, arch, &e);
		json_decref(cis);
		update_status(&x, cl, &e);
		goto out;
	}
	json_decref(cis);
	json_t *upd = update_if_needed(&x, cl, &e);
	if (!upd) {
		update_status(&x, cl, &e);
		goto out;
	}
	json_decref(cl);
	cl = upd;
	/* reconcileExistingCluster */
	const char *st = cj_str(cl, "status");
	if (!strcmp(st, "installed")) {
		/* handleClusterInstalled */
		if (!is_installed(x.cd, x.aci)) {
			cluster_metadata(&x, cl, &e);
			update_status(&x, cl, &e);
		} else {
			json_t *d2 = NULL;
			snprintf(path, sizeof(path), "/v2/clusters/%s/actions/allow-add-workers", cj_str(cl, "id"));
			char msg[512];
			int s2 = ctl_call(c, "POST", path, NULL, &d2, msg, sizeof(msg));
			if (s2 != 202)
				ctl_err_set(&e, s2 / 100 == 4, "%s", msg);
			update_status(&x, s2 == 202 ? d2 : cl, &e);
			json_decref(d2);
		}
		goto out;
	}
	if (!strcmp(st, "installing") || !strcmp(st, "finalizing")) {
		if (no_ingress_kubeconfig(&x, cl, &e) < 0) {
			update_status(&x, cl, &e);
			goto out;
		}
	}
	if (strcmp(st, "adding-hosts") != 0 && !hold_installation(x.cd, x.aci)) {
		/* installDay1 */
		if (ready_for_installation(&x, cl)) {
			json_t *ic = NULL;
			char msg[512];
			snprintf(path, sizeof(path), "/v2/clusters/%s/actions/install", cj_str(cl, "id"));
			int s2 = ctl_call(c, "POST", path, NULL, &ic, msg, sizeof(msg));
			if (s2 != 202) {
				ctl_err_set(&e, s2 / 100 == 4, "%s", msg);
				update_status(&x, cl, &e);
			} else {
				update_status(&x, ic, NULL);
			}
			json_decref(ic);
			goto out;
		}
	}
	/* day 2 (adding-hosts): installing added hosts is not emulated */
	update_status(&x, cl, NULL);
out:
	free(ps);
	json_decref(cl);
	json_decref(x.aci);
	json_decref(x.cd);
}

/* The AgentClusterInstall controller: an ACI whose ClusterDeployment does
 * not exist gets SpecSynced False (InputError) and unknown conditions. */
void ctl_aci_reconcile(struct ctl *c, const char *ns, const char *name, struct ctl_result *r)
{
	json_t *aci = ctl_get(c, KUBE_RES_AGENTCLUSTERINSTALL, ns, name);
	if (!aci)
		return;
	const char *cdn = cj_str(aci, "spec.clusterDeploymentRef.name");
	json_t *cd = ctl_get(c, KUBE_RES_CLUSTERDEPLOYMENT, ns, cdn ? cdn : "");
	if (!cd) {
		struct cd_ctx x = {.c = c, .ns = ns, .name = cdn ? cdn : "", .aci = aci, .r = r};
		struct ctl_err e = {0};
		ctl_time_fmt(ctl_wall_ms(c), x.now);
		ctl_err_set(&e, 1, "ClusterDeployment with name '%s' in namespace '%s' not found. Ensure that the CRD is already applied.",
		            cdn ? cdn : "", ns);
		json_t *status = cj_obj(aci, "status");
		spec_synced(status, &e, x.now);
		conds_unknown(status, x.now);
		json_t *out = NULL;
		if (ctl_update_status(c, KUBE_RES_AGENTCLUSTERINSTALL, aci, &out) < 0)
			r->requeue = 1;
		json_decref(out);
		aci = x.aci;
	}
	json_decref(cd);
	json_decref(aci);
}
