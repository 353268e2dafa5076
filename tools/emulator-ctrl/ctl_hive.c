/*
 * Hive's part (openshift/hive pkg/controller/clusterdeployment
 * clusterinstalls.go, reconcileExistingInstallingClusterInstall): a
 * ClusterDeployment follows its ClusterInstall (the AgentClusterInstall).
 * The cluster metadata is copied once complete; the ClusterInstall
 * conditions are copied as ClusterInstall<Type>; ProvisionFailed,
 * ProvisionStopped and Provisioned follow; installStartedTimestamp is the
 * time RequirementsMet became True; when the install is Stopped and
 * Completed, spec.installed becomes true with status.installedTimestamp.
 */
#include "ctl_int.h"

#include <stdio.h>
#include <string.h>

/* SetClusterDeploymentConditionWithChangeCheck with
 * UpdateConditionIfReasonOrMessageChange. Returns 1 when it changed. */
static int set_cond(json_t *status, const char *type, const char *st, const char *reason,
                    const char *msg, const char *now, const char *transition)
{
	json_t *conds = json_object_get(status, "conditions");
	if (!json_is_array(conds)) {
		conds = json_array();
		json_object_set_new(status, "conditions", conds);
	}
	json_t *c = cj_condition(conds, type);
	if (!c) {
		c = json_pack("{s:s,s:s,s:s,s:s}", "type", type, "status", st, "lastProbeTime", now,
		              "lastTransitionTime", transition ? transition : now);
		if (reason && *reason)
			json_object_set_new(c, "reason", json_string(reason));
		if (msg && *msg)
			json_object_set_new(c, "message", json_string(msg));
		json_array_append_new(conds, c);
		return 1;
	}
	const char *cs = cj_str(c, "status"), *cr = cj_str(c, "reason"), *cm = cj_str(c, "message");
	int status_changed = !cs || strcmp(cs, st);
	int text_changed = strcmp(cr ? cr : "", reason ? reason : "") || strcmp(cm ? cm : "", msg ? msg : "");
	if (!status_changed && !text_changed)
		return 0;
	json_object_set_new(c, "status", json_string(st));
	if (reason && *reason)
		json_object_set_new(c, "reason", json_string(reason));
	else
		json_object_del(c, "reason");
	if (msg && *msg)
		json_object_set_new(c, "message", json_string(msg));
	else
		json_object_del(c, "message");
	json_object_set_new(c, "lastProbeTime", json_string(now));
	if (status_changed)
		json_object_set_new(c, "lastTransitionTime", json_string(transition ? transition : now));
	return 1;
}

static const char *cond_str(const json_t *conds, const char *type, const char *field)
{
	return cj_str(cj_condition(conds, type), field);
}

static int is_true(const json_t *conds, const char *type)
{
	const char *s = cond_str(conds, type, "status");
	return s && !strcmp(s, "True");
}

void ctl_hive_reconcile(struct ctl *c, const char *ns, const char *name, struct ctl_result *r)
{
	json_t *cd = ctl_get(c, KUBE_RES_CLUSTERDEPLOYMENT, ns, name);
	json_t *aci = NULL, *cd0 = NULL;
	char now[32];
	if (!cd)
		return;
	const char *kind = cj_str(cd, "spec.clusterInstallRef.kind");
	const char *ciname = cj_str(cd, "spec.clusterInstallRef.name");
	if (!kind || strcmp(kind, "AgentClusterInstall") || !ciname || cj_deleting(cd))
		goto out;
	aci = ctl_get(c, KUBE_RES_AGENTCLUSTERINSTALL, ns, ciname);
	if (!aci)
		goto out;
	ctl_time_fmt(ctl_wall_ms(c), now);
	cd0 = json_deep_copy(cd);
	int spec_mod = 0, status_mod = 0;
	json_t *md = cj_get(aci, "spec.clusterMetadata");
	if (md && cj_str(md, "infraID") && *cj_str(md, "infraID") && cj_str(md, "clusterID") &&
	    *cj_str(md, "clusterID") && cj_str(md, "adminKubeconfigSecretRef.name") &&
	    *cj_str(md, "adminKubeconfigSecretRef.name") && cj_str(md, "adminPasswordSecretRef.name") &&
	    *cj_str(md, "adminPasswordSecretRef.name") &&
	    !json_equal(md, cj_get(cd, "spec.clusterMetadata"))) {
		cj_set(cd, "spec.clusterMetadata", json_deep_copy(md));
		spec_mod = 1;
	}
	json_t *status = cj_obj(cd, "status");
	const json_t *ciconds = cj_get(aci, "status.conditions");
	static const char *const req[] = {"Failed", "Completed", "Stopped", "RequirementsMet"};
	for (size_t i = 0; i < 4; i++) {
		json_t *cc = cj_condition(ciconds, req[i]);
		if (!cc)
			continue;
		char type[64];
		snprintf(type, sizeof(type), "ClusterInstall%s", req[i]);
		status_mod |= set_cond(status, type, cj_str(cc, "status"), cj_str(cc, "reason"),
		                       cj_str(cc, "message"), now, NULL);
	}
	json_t *conds = json_object_get(status, "conditions");
	if (!cj_condition(conds, "ClusterInstallFailed"))
		goto write; /* nothing copied yet */
	status_mod |= set_cond(status, "ProvisionFailed", cond_str(conds, "ClusterInstallFailed", "status"),
	                       cond_str(conds, "ClusterInstallFailed", "reason"),
	                       cond_str(conds, "ClusterInstallFailed", "message"), now, NULL);
	if (is_true(conds, "ClusterInstallRequirementsMet")) {
		const char *t = cond_str(conds, "ClusterInstallRequirementsMet", "lastTransitionTime");
		const char *cur = cj_str(status, "installStartedTimestamp");
		if (t && (!cur || strcmp(cur, t))) {
			json_object_set_new(status, "installStartedTimestamp", json_string(t));
			status_mod = 1;
		}
	}
	int stopped = is_true(conds, "ClusterInstallStopped");
	int done = is_true(conds, "ClusterInstallCompleted");
	int failed = is_true(conds, "ClusterInstallFailed");
	const char *sst = cond_str(conds, "ClusterInstallStopped", "status");
	if (sst) {
		const char *reason = cond_str(conds, "ClusterInstallStopped", "reason");
		const char *msg = cond_str(conds, "ClusterInstallStopped", "message");
		if (stopped && !done && failed) {
			reason = "InstallAttemptsLimitReached";
			msg = "Install attempts limit reached";
		}
		status_mod |= set_cond(status, "ProvisionStopped", sst, reason, msg, now, NULL);
	}
	if (!stopped && !done && !failed)
		status_mod |= set_cond(status, "Provisioned", "False", "Provisioning",
		                       "Provisioning in progress", now, NULL);
	if (stopped && failed)
		status_mod |= set_cond(status, "Provisioned", "False", "ProvisionStopped",
		                       "Provisioning failed terminally (see the ProvisionStopped condition for details)",
		                       now, NULL);
	if (stopped && done) {
		if (!json_is_true(cj_get(cd, "spec.installed"))) {
			cj_set(cd, "spec.installed", json_true());
			spec_mod = 1;
		}
		const char *t = cond_str(conds, "ClusterInstallCompleted", "lastTransitionTime");
		const char *cur = cj_str(status, "installedTimestamp");
		if (t && (!cur || strcmp(cur, t))) {
			json_object_set_new(status, "installedTimestamp", json_string(t));
			status_mod = 1;
		}
		status_mod |= set_cond(status, "Provisioned", "True", "Provisioned", "Cluster is provisioned",
		                       now, NULL);
	}
	if ((stopped && !failed && !done) || (!stopped && done))
		status_mod |= set_cond(status, "Provisioned", "Unknown", "Error",
		                       "Invalid ClusterInstall conditions. Please report this bug.", now, NULL);
write:
	/* the spec, then the status (hive updates them separately) */
	if (spec_mod) {
		json_t *out = NULL;
		json_t *st = json_incref(json_object_get(cd, "status"));
		if (ctl_update(c, KUBE_RES_CLUSTERDEPLOYMENT, cd, &out) < 0) {
			json_decref(st);
			r->error = 1;
			goto out;
		}
		json_decref(cd);
		cd = out;
		if (st)
			json_object_set_new(cd, "status", st);
	}
	if (status_mod && ctl_update_status(c, KUBE_RES_CLUSTERDEPLOYMENT, cd, NULL) < 0)
		r->error = 1;
out:
	json_decref(cd0);
	json_decref(aci);
	json_decref(cd);
}
