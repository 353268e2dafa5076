/*
 * The PreprovisioningImage controller (assisted-service
 * preprovisioningimage_controller.go; converged flow only): the finalizer,
 * the velero exclude label, the accepted formats and architecture checks,
 * the ironic agent added to the InfraEnv's image once (its annotation set
 * and the InfraEnv reconciled), the not-created and cooldown conditions,
 * then the image URL and format in the PPI status with ImageReady and
 * ImageError copied from the InfraEnv's ImageCreated condition. In a real
 * hub the BareMetal Operator creates the PPI of each BMH (owned by it);
 * here the client playing BMO creates it.
 */
#include "ctl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COOLDOWN_S 60.0
#define A_IRONIC "infraenv.agent-install.openshift.io/enable-ironic-agent"
#define L_VELERO "velero.io/exclude-from-backup"

static const char *norm_arch(const char *a)
{
	if (!a)
		return "";
	if (!strcmp(a, "amd64"))
		return "x86_64";
	if (!strcmp(a, "aarch64"))
		return "arm64";
	return a;
}

static void clear_image(json_t *st)
{
	static const char *const f[] = {"imageUrl", "kernelUrl", "extraKernelParams", "format",
	                                "architecture"};
	for (size_t i = 0; i < 5; i++)
		json_object_del(st, f[i]);
}

/* Sets ImageReady and ImageError (metav1 conditions) and writes the status. */
static void set_conditions(struct ctl *c, json_t *ppi, const char *ready, const char *error,
                           const char *reason, const char *msg, int clear, struct ctl_result *r)
{
	char now[32];
	ctl_time_fmt(ctl_wall_ms(c), now);
	json_t *st = cj_obj(ppi, "status");
	if (clear)
		clear_image(st);
	int64_t gen = json_integer_value(cj_get(ppi, "metadata.generation"));
	cj_cond_meta(st, "ImageReady", ready, reason, msg, gen, now);
	cj_cond_meta(st, "ImageError", error, reason, msg, gen, now);
	if (ctl_update_status(c, KUBE_RES_PREPROVISIONINGIMAGE, ppi, NULL) < 0)
		r->error = 1;
}

static int accepts(const json_t *ppi, const char *fmt)
{
	size_t i;
	json_t *f;
	json_array_foreach(cj_get(ppi, "spec.acceptFormats"), i, f)
		if (json_string_value(f) && !strcmp(json_string_value(f), fmt))
			return 1;
	return 0;
}

static const char *owner_bmh(const json_t *ppi)
{
	const char *name = NULL;
	size_t i;
	json_t *o;
	json_array_foreach(cj_get(ppi, "metadata.ownerReferences"), i, o)
		if (cj_str(o, "kind") && !strcmp(cj_str(o, "kind"), "BareMetalHost"))
			name = cj_str(o, "name");
	return name;
}

void ctl_ppi_reconcile(struct ctl *c, const char *ns, const char *name, struct ctl_result *r)
{
	json_t *ppi = ctl_get(c, KUBE_RES_PREPROVISIONINGIMAGE, ns, name);
	json_t *ie = NULL, *bmh = NULL;
	char msg[512];
	if (!ppi)
		return;
	if (cj_deleting(ppi)) {
		if (!cj_has_finalizer(ppi, F_PPI))
			goto out;
		const char *bn = owner_bmh(ppi);
		bmh = bn ? ctl_get(c, KUBE_RES_BAREMETALHOST, ns, bn) : NULL;
		if (bmh) {
			/* a BMH that cleans its disk needs the image until it is deprovisioned */
			const char *mode = cj_str(bmh, "spec.automatedCleaningMode");
			const char *state = cj_str(bmh, "status.provisioning.state");
			if ((!mode || strcmp(mode, "disabled")) &&
			    (!cj_deleting(bmh) || !state ||
			     (strcmp(state, "powering off before delete") && strcmp(state, "deleting")))) {
				r->requeue = 1;
				goto out;
			}
		}
		cj_remove_finalizer(ppi, F_PPI);
		if (ctl_update(c, KUBE_RES_PREPROVISIONINGIMAGE, ppi, NULL) < 0) {
			r->error = 1;
			r->requeue = 1;
		}
		goto out;
	}
	if (cj_add_finalizer(ppi, F_PPI)) {
		if (ctl_update(c, KUBE_RES_PREPROVISIONINGIMAGE, ppi, NULL) < 0)
			r->error = 1;
		r->requeue = 1;
		goto out;
	}
	if (!cj_label(ppi, L_VELERO) || strcmp(cj_label(ppi, L_VELERO), "true")) {
		cj_set_label(ppi, L_VELERO, "true");
		if (ctl_update_in_place(c, KUBE_RES_PREPROVISIONINGIMAGE, &ppi) < 0) {
			r->error = 1;
			goto out;
		}
	}
	if (!accepts(ppi, "iso") && !accepts(ppi, "initrd")) {
		set_conditions(c, ppi, "False", "True", "UnsupportedImageFormat", "Unsupported image format",
		               1, r);
		goto out;
	}
	const char *iename = cj_label(ppi, L_INFRAENV);
	ie = iename ? ctl_get(c, KUBE_RES_INFRAENV, ns, iename) : NULL;
	if (!ie || cj_deleting(ie)) {
		snprintf(msg, sizeof(msg), "InfraEnv %s/%s is not found or is being deleted",
		         iename ? iename : "", ns);
		set_conditions(c, ppi, "False", "False", "InfraEnvNotAvailable", msg, 1, r);
		goto out;
	}
	const char *pa = norm_arch(cj_str(ppi, "spec.architecture"));
	const char *ia = norm_arch(cj_str(ie, "spec.cpuArchitecture"));
	if (strcmp(pa, ia) != 0) {
		snprintf(msg, sizeof(msg),
		         "PreprovisioningImage CPU architecture (%s) does not match InfraEnv CPU architecture (%s)",
		         pa, ia);
		set_conditions(c, ppi, "False", "True", "InfraEnvArchMismatch", msg, 1, r);
		goto out;
	}
	/* AddIronicAgentToInfraEnv: the first time, the ironic agent goes into
	 * the infra-env's ignition (a database update that regenerates the
	 * image), the InfraEnv is reconciled and marked; this reconcile ends */
	if (!cj_annotation(ie, A_IRONIC)) {
		c->calls++;
		ctl_enqueue(c, CTL_INFRAENV, ns, iename);
		cj_set_annotation(ie, A_IRONIC, "true");
		ctl_update(c, KUBE_RES_INFRAENV, ie, NULL); /* informational: failures only logged */
		goto out;
	}
	if (!cj_str(ie, "status.createdTime")) {
		set_conditions(c, ppi, "False", "False", "WaitingForInfraEnvImageToBeCreated",
		               "Waiting for InfraEnv image to be created", 1, r);
		goto out;
	}
	int64_t created = ctl_time_parse(cj_str(ie, "status.createdTime"));
	int64_t ready = created + (int64_t)(ctl_scaled_ns(c, COOLDOWN_S) / 1000000);
	int64_t now = ctl_wall_ms(c);
	if (ready > now) {
		set_conditions(c, ppi, "False", "False", "WaitingForInfraEnvImageToCoolDown",
		               "Waiting for InfraEnv image to cool down", 1, r);
		if (!r->error)
			r->requeue_after_ns = (uint64_t)(ready - now) * 1000000ull;
		goto out;
	}
	/* handleImageUpdate */
	const char *bn = owner_bmh(ppi);
	if (!bn) {
		r->error = 1; /* "failed to find BMH owner for preprovisioningimage" */
		goto out;
	}
	bmh = ctl_get(c, KUBE_RES_BAREMETALHOST, ns, bn);
	if (!bmh) {
		r->error = 1; /* "failed to get owning bmh" */
		goto out;
	}
	int iso = accepts(ppi, "iso");
	const char *want = iso ? cj_str(ie, "status.isoDownloadURL") : cj_str(ie, "status.bootArtifacts.initrd");
	const char *curl = cj_str(ppi, "status.imageUrl");
	int updated = curl && *curl && want && strcmp(curl, want) != 0;
	json_t *st = cj_obj(ppi, "status");
	const char *arch = cj_str(ie, "spec.cpuArchitecture");
	json_object_set_new(st, "architecture", json_string(arch ? arch : ""));
	if (iso) {
		json_object_set_new(st, "format", json_string("iso"));
		json_object_set_new(st, "imageUrl", json_string(want ? want : ""));
		json_object_del(st, "kernelUrl");
		json_object_del(st, "extraKernelParams");
	} else {
		char params[1200];
		snprintf(params, sizeof(params), "coreos.live.rootfs_url=%s rd.bootif=0",
		         cj_str(ie, "status.bootArtifacts.rootfs") ? cj_str(ie, "status.bootArtifacts.rootfs") : "");
		json_object_set_new(st, "format", json_string("initrd"));
		json_object_set_new(st, "imageUrl", json_string(want ? want : ""));
		json_object_set_new(st, "kernelUrl", json_string(cj_str(ie, "status.bootArtifacts.kernel")
		                                                 ? cj_str(ie, "status.bootArtifacts.kernel") : ""));
		json_object_set_new(st, "extraKernelParams", json_string(params));
	}
	json_t *ic = cj_condition(cj_get(ie, "status.conditions"), "ImageCreated");
	const char *reason = cj_str(ic, "reason") ? cj_str(ic, "reason") : "";
	const char *status = cj_str(ic, "status") ? cj_str(ic, "status") : "Unknown";
	const char *message = cj_str(ic, "message") ? cj_str(ic, "message") : "";
	set_conditions(c, ppi, status, !strcmp(reason, "ImageCreationError") ? "True" : "False",
	               reason, message, 0, r);
	const char *state = cj_str(bmh, "status.provisioning.state");
	if (updated && (!state || strcmp(state, "provisioned"))) {
		cj_set_annotation(bmh, "reboot.metal3.io", "{\"force\": true}");
		if (ctl_update(c, KUBE_RES_BAREMETALHOST, bmh, NULL) < 0)
			r->error = 1;
	}
out:
	json_decref(bmh);
	json_decref(ie);
	json_decref(ppi);
}
