/*
 * hub_schema: what the apiserver does with a custom resource against its
 * structural schema, in its order: drop nulls that are not nullable, prune
 * unknown fields (kept under x-kubernetes-preserve-unknown-fields and in
 * additionalProperties maps), apply defaults, then validate types, required
 * fields, enums, formats, patterns and bounds. Validation errors become
 * Status causes with the apiserver's reasons, messages and field paths
 * ("spec.bmc.address"); pruned fields are listed for fieldValidation
 * warnings. The root's "metadata" is left alone (ObjectMeta has its own
 * rules in the hub). CEL rules (x-kubernetes-validations) are not run.
 */
#ifndef HUB_SCHEMA_H
#define HUB_SCHEMA_H

#include <jansson.h>

struct hub_schema;

/* Compiled schemas and patterns (a cache keyed by root schema, holding a
 * reference on each). Never NULL (aborts on OOM). Frees: hub_schema_free(). */
struct hub_schema *hub_schema_new(void);
void hub_schema_free(struct hub_schema **sp);

enum {
	HUB_SCHEMA_PRUNE = 1,     /* remove unknown fields and non-nullable nulls */
	HUB_SCHEMA_DEFAULT = 2,   /* apply defaults */
	HUB_SCHEMA_VALIDATE = 4,  /* collect validation causes */
	HUB_SCHEMA_ALL = 7,
};

struct hub_schema_report {
	json_t *causes;   /* array of {reason, message, field}; NULL when none */
	json_t *pruned;   /* array of field paths removed as unknown; NULL when none */
};

/*
 * Runs the steps of |flags| over object |obj| (changed in place) with root
 * schema |schema|. Fills |rep| (caller json_decref()s its members).
 * Returns the number of causes (0 = valid).
 */
int hub_schema_process(struct hub_schema *s, const json_t *schema, json_t *obj, int flags,
                       struct hub_schema_report *rep);

/*
 * The same for the one root member |key| (*member, NULL when absent) of an
 * object whose other members are unchanged from an object that went through
 * hub_schema_process() with this schema (e.g. the status of a /status
 * write): the member is pruned, defaulted (*member may become NULL or be
 * replaced) and validated, and the root's rules that involve it (unknown
 * root key, required) are applied, giving the causes and pruned paths
 * hub_schema_process() would give for the whole object. Returns the number
 * of causes, or -1 when the root has rules over all of its members
 * (maxProperties) or |key| is "metadata": use hub_schema_process() then.
 */
int hub_schema_process_member(struct hub_schema *s, const json_t *schema, const char *key,
                              json_t **member, int flags, struct hub_schema_report *rep);

/* Frees the members of |rep|. */
void hub_schema_report_clear(struct hub_schema_report *rep);

#endif
