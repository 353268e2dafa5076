/*
 * emu_kubeapi: what the service model offers the emulated kube-api
 * controllers (tools/emulator-ctrl) beyond its REST API, mirroring what the
 * real controllers reach through the service's internal calls and not over
 * REST:
 *  - change notifications, as the real service's CRD events handler turns
 *    every host, cluster and infra-env event into a reconcile of the Agent,
 *    ClusterDeployment or InfraEnv (and creates the Agent CR synchronously
 *    when a host registers: CreateAgentCR);
 *  - the host's "approved" flag (a database column, not in the REST model)
 *    and the counts that gate installation in kube mode
 *    (GetKnownHostApprovedCounts, GetHostCountByRole on suggested roles);
 *  - the per-host installer arguments and ignition overrides, set over REST
 *    (v2UpdateHostInstallerArgs, v2UpdateHostIgnition) and shown in the host.
 * Everything else (registering clusters and infra-envs, updating hosts,
 * installing) the controllers do through emu_model_handle(), as the real
 * controllers call the REST handlers' *Internal functions.
 */
#ifndef EMU_KUBEAPI_H
#define EMU_KUBEAPI_H

#include "emu_model.h"

/* Called synchronously from inside the model; ids are 36-character UUIDs.
 * Only host_registered may call back into the model or the hub. */
struct emu_kube_hooks {
	/* A host registered for the first time in |infra_env_id|. Returning < 0
	 * fails the registration with 500 and removes the host again (as the real
	 * service does when CreateAgentCR fails). May be NULL. */
	int (*host_registered)(void *arg, const char *infra_env_id, const char *host_id);
	/* A host's status, stage, inventory, validations, role, hostname or
	 * approval changed; |cluster_id| is NULL for an unbound host. */
	void (*host_changed)(void *arg, const char *infra_env_id, const char *host_id,
	                     const char *cluster_id);
	/* A cluster's status, validations or finalizing progress changed. */
	void (*cluster_changed)(void *arg, const char *cluster_id);
	void *arg;
};

/* Installs (or with NULL removes) the hooks; copied. Returns 0 or SW_ERR_NOMEM. */
int emu_model_set_kube_hooks(struct emu_model *m, const struct emu_kube_hooks *hooks);

/* Sets host |host_id| of |infra_env_id| approved or not (UpdateHostApprovedInternal).
 * Returns 0, or SW_ERR_NOT_FOUND. */
int emu_model_host_set_approved(struct emu_model *m, const char *infra_env_id,
                                const char *host_id, int approved);
/* Returns 1 when approved, 0 when not, SW_ERR_NOT_FOUND when there is no such host. */
int emu_model_host_approved(const struct emu_model *m, const char *infra_env_id,
                            const char *host_id);

/* What the ClusterDeployments controller counts before installing. */
struct emu_kube_counts {
	unsigned known;             /* hosts in status known */
	unsigned known_approved;    /* ... of which approved */
	unsigned masters, arbiters, workers; /* hosts by suggested role (every status) */
};
/* Fills |out| for cluster |cluster_id|. Returns 0 or SW_ERR_NOT_FOUND. */
int emu_model_cluster_kube_counts(const struct emu_model *m, const char *cluster_id,
                                  struct emu_kube_counts *out);

#endif
