/*
 * hub_crd: the definitions of every resource the hub serves: the
 * CustomResourceDefinitions (generated into hub_crd_data.c by gen_crds.py
 * from upstream, reduced to group, names, scope and per-version schema,
 * subresources and printer columns) and the hub's own structural schemas for
 * the built-in v1 kinds (Namespace, Secret, ConfigMap, Event). Cross-checks
 * them against protocol/'s kube_res table at load. No I/O.
 */
#ifndef HUB_CRD_H
#define HUB_CRD_H

#include <jansson.h>
#include <stddef.h>

#include "kube_res.h"

/* One generated CRD (hub_crd_data.c). */
struct hub_crd_source {
	const char *repo;    /* upstream repository, "openshift/hive" */
	const char *commit;  /* full commit */
	const char *path;    /* upstream path of the CRD file */
	const char *name;    /* metadata.name, "baremetalhosts.metal3.io" */
	const char *json;    /* the reduced CRD as JSON */
};
extern const struct hub_crd_source hub_crd_sources[];
extern const unsigned hub_crd_nsources;

/* What the hub knows of one served resource. */
struct hub_resdef {
	const struct kube_res *res;
	json_t *schema;       /* structural schema of the served version (openAPIV3Schema) */
	json_t *columns;      /* additionalPrinterColumns (array) or NULL */
	json_t *crd;          /* the reduced CRD (NULL for built-in kinds) */
	const struct hub_crd_source *src; /* origin (NULL for built-in kinds) */
	int status_sub;       /* the version has a status subresource */
};

struct hub_defs {
	struct hub_resdef r[KUBE_RES_COUNT];
};

/* Loads every definition into |d|. Returns 0, or SW_ERR_PARSE with a message
 * in |err| naming the CRD and what disagrees with the kube_res table.
 * Free with hub_defs_free() in every case. */
int hub_defs_load(struct hub_defs *d, char *err, size_t errlen);
void hub_defs_free(struct hub_defs *d);

#endif
