/*
 * The InfraEnv controller (assisted-service infraenv_controller.go): the
 * finalizer and deregistration, the infra-env in the service (created from
 * the spec, with the pull secret, the cluster of clusterRef and the
 * NMStateConfigs selected by nmStateConfigLabelSelector), and the status:
 * agentLabelSelector, isoDownloadURL + createdTime, bootArtifacts,
 * debugInfo URLs and the ImageCreated condition with the real reasons.
 */
#include "ctl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* The NMStateConfigs |ie| selects, as static_network_config entries. An
 * empty selector selects none (not all), as the real controller decides. */
struct nm_ctx {
	const json_t *ml;
	json_t *out;
};

static int nm_match(void *arg, const struct hub_blob *b)
{
	struct nm_ctx *x = arg;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)x->ml, k, v) {
		const char *l = hub_blob_label(b, k);
		if (!l || !json_string_value(v) || strcmp(l, json_string_value(v)) != 0)
			return 0;
	}
	json_t *nm = hub_blob_parse(b);
	json_t *map = json_array();
	size_t i;
	json_t *ifc;
	json_array_foreach(cj_get(nm, "spec.interfaces"), i, ifc)
		json_array_append_new(map, json_pack("{s:s,s:s}", "mac_address",
		                                     cj_str(ifc, "macAddress") ? cj_str(ifc, "macAddress") : "",
		                                     "logical_nic_name",
		                                     cj_str(ifc, "name") ? cj_str(ifc, "name") : ""));
	json_t *cfg = cj_get(nm, "spec.config");
	char *yaml = cfg ? json_dumps(cfg, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_array_append_new(x->out, json_pack("{s:o,s:s}", "mac_interface_map", map, "network_yaml",
	                                        yaml ? yaml : ""));
	free(yaml);
	json_decref(nm);
	return 0;
}

static json_t *nmstate_configs(struct ctl *c, const json_t *ie)
{
	json_t *ml = cj_get(ie, "spec.nmStateConfigLabelSelector.matchLabels");
	if (!json_object_size(ml))
		return NULL;
	struct nm_ctx x = {.ml = ml, .out = json_array()};
	/* the real List has no namespace option: every namespace */
	hub_list(c->hub, KUBE_RES_NMSTATECONFIG, NULL, NULL, nm_match, &x);
	if (!json_array_size(x.out)) {
		json_decref(x.out);
		return NULL;
	}
	return x.out;
}

/* createInfraEnv: RegisterInfraEnvInternal with the spec's parameters. */
static json_t *create_infraenv(struct ctl *c, const json_t *ie, const char *cluster_id,
                               const char *cluster_version, struct ctl_err *e)
{
	const char *ns = cj_str(ie, "metadata.namespace"), *name = cj_str(ie, "metadata.name");
	char *ps = ctl_pull_secret(c, ns, cj_str(ie, "spec.pullSecretRef.name"), e);
	if (!ps)
		return NULL;
	const char *arch = cj_str(ie, "spec.cpuArchitecture");
	const char *itype = cj_str(ie, "spec.imageType");
	const char *osv = cj_str(ie, "spec.osImageVersion");
	json_t *body = json_pack("{s:s,s:s,s:s,s:s}", "name", name, "pull_secret", ps,
	                         "cpu_architecture", arch && *arch ? arch : "x86_64", "image_type",
	                         itype && *itype ? itype : "minimal-iso"); /* ISO_IMAGE_TYPE */
	free(ps);
	const char *ssh = cj_str(ie, "spec.sshAuthorizedKey");
	json_object_set_new(body, "ssh_authorized_key", json_string(ssh ? ssh : ""));
	if (cluster_id)
		json_object_set_new(body, "cluster_id", json_string(cluster_id));
	if (osv && *osv)
		json_object_set_new(body, "openshift_version", json_string(osv));
	else if (cluster_version)
		json_object_set_new(body, "openshift_version", json_string(cluster_version));
	const char *ign = cj_str(ie, "spec.ignitionConfigOverride");
	if (ign && *ign)
		json_object_set_new(body, "ignition_config_override", json_string(ign));
	json_t *ntp = cj_get(ie, "spec.additionalNTPSources");
	if (json_array_size(ntp)) {
		char buf[1024] = "";
		size_t i;
		json_t *s;
		json_array_foreach(ntp, i, s) {
			size_t l = strlen(buf);
			snprintf(buf + l, sizeof(buf) - l, "%s%s", i ? "," : "",
			         json_string_value(s) ? json_string_value(s) : "");
		}
		json_object_set_new(body, "additional_ntp_sources", json_string(buf));
	}
	json_t *snc = nmstate_configs(c, ie);
	if (snc)
		json_object_set_new(body, "static_network_config", snc);
	json_t *out = NULL;
	char msg[512];
	int st = ctl_call(c, "POST", "/v2/infra-envs", body, &out, msg, sizeof(msg));
	json_decref(body);
	if (st != 201) {
		json_decref(out);
		ctl_err_set(e, st / 100 == 4, "%s", msg[0] ? msg : "failed to register the infra-env");
		return NULL;
	}
	char key[520];
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	ctl_keys_set_infraenv(c, cj_str(out, "id"), key);
	return out;
}

/* The image service's base (what precedes /byid/, /byapikey/, /bytoken/). */
static void image_base(const char *iso, char *out, size_t len)
{
	static const char *const kinds[] = {"/byid/", "/byapikey/", "/bytoken/"};
	snprintf(out, len, "%s", iso ? iso : "");
	for (size_t i = 0; i < 3; i++) {
		char *p = strstr(out, kinds[i]);
		if (p) {
			*p = '\0';
			return;
		}
	}
}

/* setBootArtifactURLs. */
static void boot_artifacts(struct ctl *c, json_t *status, const json_t *internal)
{
	const char *id = cj_str(internal, "id");
	const char *ver = cj_str(internal, "openshift_version");
	const char *arch = cj_str(internal, "cpu_architecture");
	char base[512], mm[16] = "", url[2600];
	int maj = 0, min = 0;
	if (ver && sscanf(ver, "%d.%d", &maj, &min) == 2)
		snprintf(mm, sizeof(mm), "%d.%d", maj, min);
	image_base(cj_str(internal, "download_url"), base, sizeof(base));
	json_t *ba = cj_obj(status, "bootArtifacts");
	snprintf(url, sizeof(url), "%s/boot-artifacts/kernel?arch=%s&version=%s", base, arch, mm);
	json_object_set_new(ba, "kernel", json_string(url));
	snprintf(url, sizeof(url), "%s/boot-artifacts/rootfs?arch=%s&version=%s", base, arch, mm);
	json_object_set_new(ba, "rootfs", json_string(url));
	snprintf(url, sizeof(url), "%s/images/%s/pxe-initrd?arch=%s&version=%s", base, id, arch, mm);
	ctl_sign_url(c, id, url, sizeof(url));
	json_object_set_new(ba, "initrd", json_string(url));
	snprintf(url, sizeof(url), "%s" CTL_API_BASE "/v2/infra-envs/%s/downloads/files?file_name=ipxe-script",
	         c->cfg.service_url ? c->cfg.service_url : "", id);
	ctl_sign_url(c, id, url, sizeof(url));
	json_object_set_new(ba, "ipxeScript", json_string(url));
	snprintf(url, sizeof(url), "%s" CTL_API_BASE "/v2/infra-envs/%s/downloads/files?file_name=discovery.ign",
	         c->cfg.service_url ? c->cfg.service_url : "", id);
	ctl_sign_url(c, id, url, sizeof(url));
	json_object_set_new(ba, "discoveryIgnitionURL", json_string(url));
}

static void update_status(struct ctl *c, json_t *ie, struct ctl_result *r)
{
	json_t *out = NULL;
	if (ctl_update_status(c, KUBE_RES_INFRAENV, ie, &out) < 0)
		r->requeue = 1;
	json_decref(out);
}

/* handleInfraEnvReconciliationError / setConditionsFromError. */
static void reconcile_error(struct ctl *c, json_t *ie, json_t *status, const struct ctl_err *e,
                            const char *now, struct ctl_result *r)
{
	char msg[800];
	if (e->user)
		snprintf(msg, sizeof(msg), "Failed to create image: %s", e->msg);
	else
		snprintf(msg, sizeof(msg), "Failed to create image due to an internal error: %s", e->msg);
	cj_cond_noheartbeat(status, "ImageCreated", "False", "ImageCreationError", msg, now);
	json_object_del(status, "isoDownloadURL");
	json_object_del(status, "createdTime");
	update_status(c, ie, r);
	/* an internal error is returned with a 20 s RequeueAfter, which
	 * controller-runtime ignores for errors: requeued rate-limited; an input
	 * error is not requeued */
	r->error = !e->user;
	r->requeue = 0;
	r->requeue_after_ns = 0;
}

void ctl_infraenv_reconcile(struct ctl *c, const char *ns, const char *name, struct ctl_result *r)
{
	json_t *ie = ctl_get(c, KUBE_RES_INFRAENV, ns, name);
	json_t *internal = NULL, *cluster = NULL;
	char now[32], key[520];
	if (!ie)
		return;
	ctl_time_fmt(ctl_wall_ms(c), now);
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	const char *ie_id = ctl_keys_infraenv_id(c, ns, name);

	if (cj_deleting(ie)) {
		if (!cj_has_finalizer(ie, F_INFRAENV))
			goto out;
		if (ie_id) {
			char path[128], msg[256];
			snprintf(path, sizeof(path), "/v2/infra-envs/%s", ie_id);
			int st = ctl_call(c, "DELETE", path, NULL, NULL, msg, sizeof(msg));
			if (st != 204 && st != 404) {
				r->error = 1; /* RequeueAfter 1 min with an error: rate-limited */
				goto out;
			}
			ctl_keys_del_infraenv(c, ie_id);
		}
		cj_remove_finalizer(ie, F_INFRAENV);
		if (ctl_update(c, KUBE_RES_INFRAENV, ie, NULL) < 0)
			r->error = 1;
		goto out;
	}
	if (cj_add_finalizer(ie, F_INFRAENV) && ctl_update_in_place(c, KUBE_RES_INFRAENV, &ie) < 0) {
		r->error = 1;
		goto out;
	}

	json_t *status = cj_obj(ie, "status");
	cj_set(status, "agentLabelSelector.matchLabels",
	       json_pack("{s:s}", L_INFRAENV, name));
	const char *cref = cj_str(ie, "spec.clusterRef.name");
	const char *crefns = cj_str(ie, "spec.clusterRef.namespace");
	const char *cluster_id = NULL;
	if (cref) {
		json_t *cd = ctl_get(c, KUBE_RES_CLUSTERDEPLOYMENT, crefns ? crefns : "", cref);
		if (!cd) {
			char msg[700];
			snprintf(msg, sizeof(msg), "ClusterDeployment is missing: failed to get clusterDeployment with name %s in namespace %s: clusterdeployments.hive.openshift.io \"%s\" not found",
			         cref, crefns ? crefns : "", cref);
			cj_cond_noheartbeat(status, "ImageCreated", "Unknown", "MissingClusterDeployment", msg,
			                    now);
			update_status(c, ie, r);
			r->requeue = 0; /* NotFound is a client error: no requeue */
			goto out;
		}
		cluster_id = ctl_keys_cluster_id(c, crefns ? crefns : "", cref);
		if (cluster_id) {
			char path[128];
			snprintf(path, sizeof(path), "/v2/clusters/%s?exclude-hosts=true", cluster_id);
			if (ctl_call(c, "GET", path, NULL, &cluster, NULL, 0) != 200) {
				json_decref(cluster);
				cluster = NULL;
				cluster_id = NULL;
			}
		}
		if (!cluster_id) {
			const char *aci = cj_str(cd, "spec.clusterInstallRef.name");
			char msg[700], reason[400];
			if (aci)
				snprintf(reason, sizeof(reason), "check AgentClusterInstall conditions: name %s in namespace %s",
				         aci, cj_str(cd, "metadata.namespace"));
			else
				snprintf(reason, sizeof(reason), "AgentClusterInstall is not defined in ClusterDeployment");
			snprintf(msg, sizeof(msg), "ClusterDeployment is missing: cluster does not exist: %s, %s",
			         cref, reason);
			cj_cond_noheartbeat(status, "ImageCreated", "Unknown", "MissingClusterDeployment", msg,
			                    now);
			update_status(c, ie, r);
			r->requeue = 1;
			json_decref(cd);
			goto out;
		}
		json_decref(cd);
	}

	/* getInternalInfraEnv: create, or read (the real one also pushes spec
	 * updates and regenerates the ISO, which keeps its URL: one database
	 * call stands for it) */
	struct ctl_err e = {0};
	if (ie_id) {
		char path[128];
		snprintf(path, sizeof(path), "/v2/infra-envs/%s", ie_id);
		if (ctl_call(c, "GET", path, NULL, &internal, NULL, 0) != 200) {
			json_decref(internal);
			internal = NULL;
			ctl_keys_del_infraenv(c, ie_id);
			ie_id = NULL;
		} else {
			/* keep the pull secret labelled and valid, as updateInfraEnv does */
			char *ps = ctl_pull_secret(c, ns, cj_str(ie, "spec.pullSecretRef.name"), &e);
			free(ps);
		}
	}
	if (!internal && !e.set)
		internal = create_infraenv(c, ie, cluster_id, cj_str(cluster, "openshift_version"), &e);
	if (e.set) {
		reconcile_error(c, ie, status, &e, now, r);
		goto out;
	}
	ie_id = cj_str(internal, "id");

	char url[2600];
	json_t *dbg = cj_obj(status, "debugInfo");
	if (!cj_str(dbg, "eventsURL")) {
		ctl_events_url(c, "infra_env_id", ie_id, ie_id, url, sizeof(url));
		json_object_set_new(dbg, "eventsURL", json_string(url));
	}
	if (json_object_size(cj_get(ie, "spec.nmStateConfigLabelSelector.matchLabels")) &&
	    !cj_str(dbg, "staticNetworkDownloadURL")) {
		snprintf(url, sizeof(url), "%s" CTL_API_BASE "/v2/infra-envs/%s/downloads/files?file_name=static-network-config",
		         c->cfg.service_url ? c->cfg.service_url : "", ie_id);
		ctl_sign_url(c, ie_id, url, sizeof(url));
		json_object_set_new(dbg, "staticNetworkDownloadURL", json_string(url));
	}
	/* updateISODownloadURL: createdTime only moves with the URL */
	const char *iso = cj_str(internal, "download_url");
	const char *cur = cj_str(status, "isoDownloadURL");
	if (iso && (!cur || strcmp(cur, iso) != 0)) {
		int64_t gen = ctl_time_parse(cj_str(internal, "created_at"));
		char t[32];
		ctl_time_fmt(gen > 0 ? gen : ctl_wall_ms(c), t);
		json_object_set_new(status, "isoDownloadURL", json_string(iso));
		json_object_set_new(status, "createdTime", json_string(t));
	}
	boot_artifacts(c, status, internal);
	cj_cond_noheartbeat(status, "ImageCreated", "True", "InfraEnvAvailable",
	                    "InfraEnv is available: Image has been created", now);
	update_status(c, ie, r);
out:
	json_decref(cluster);
	json_decref(internal);
	json_decref(ie);
}
