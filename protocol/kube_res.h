/*
 * kube_res: the Kubernetes resource vocabulary shared by the emulated hub
 * (tools/emulator-hub) and the swarm's kube client: which resources exist,
 * their group/version/kind/plural, scope, short names and whether they
 * have a status subresource; apiVersion and "plural.group" strings.
 * Pure data and lookups: no I/O, no allocation.
 */
#ifndef KUBE_RES_H
#define KUBE_RES_H

#include <stddef.h>

enum kube_res_id {
	KUBE_RES_NAMESPACE = 0,
	KUBE_RES_SECRET,
	KUBE_RES_CONFIGMAP,
	KUBE_RES_EVENT,
	KUBE_RES_BAREMETALHOST,
	KUBE_RES_PREPROVISIONINGIMAGE,
	KUBE_RES_INFRAENV,
	KUBE_RES_NMSTATECONFIG,
	KUBE_RES_AGENT,
	KUBE_RES_AGENTCLUSTERINSTALL,
	KUBE_RES_CLUSTERDEPLOYMENT,
	KUBE_RES_CLUSTERIMAGESET,
	KUBE_RES_COUNT
};

struct kube_res {
	enum kube_res_id id;
	const char *group;          /* "" for the core group */
	const char *version;        /* "v1", "v1beta1", ... */
	const char *kind;           /* "BareMetalHost" */
	const char *list_kind;      /* "BareMetalHostList" */
	const char *plural;         /* "baremetalhosts" (the URL segment) */
	const char *singular;       /* "baremetalhost" */
	int namespaced;             /* 1: objects live in a namespace */
	int has_status;             /* 1: a /status subresource exists */
	int is_crd;                 /* 1: defined by a CustomResourceDefinition */
	const char *short_names[3]; /* NULL-terminated */
};

/* The whole table, indexed by enum kube_res_id; |*n| = KUBE_RES_COUNT. */
const struct kube_res *kube_res_table(size_t *n);
/* Returns the entry of |id|, or NULL when out of range. */
const struct kube_res *kube_res_get(enum kube_res_id id);
/* Finds by group ("" = core), version and plural; NULL when unknown. */
const struct kube_res *kube_res_find(const char *group, const char *version, const char *plural);
/* Finds by apiVersion ("v1", "metal3.io/v1alpha1") and kind; NULL when unknown. */
const struct kube_res *kube_res_by_kind(const char *api_version, const char *kind);
/* Writes the apiVersion ("v1", "metal3.io/v1alpha1") into |buf|. Returns its
 * length, or a negative SW_ERR_TOO_BIG when it does not fit. */
int kube_res_api_version(const struct kube_res *r, char *buf, size_t len);
/* Writes the group-resource as kube messages name it ("secrets",
 * "baremetalhosts.metal3.io"). Same returns. */
int kube_res_group_resource(const struct kube_res *r, char *buf, size_t len);

#endif
