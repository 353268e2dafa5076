/*
 * hub_objects: realistic objects for the hub's tests and benchmark: a
 * BareMetalHost as a hub holds it after BMAC and the BareMetal Operator
 * acted (annotations, spec.image, status with hardware details, about
 * 3.5 KB of JSON) and an Agent as assisted-service writes it (inventory,
 * conditions, progress, validationsInfo, about 6 KB), plus the rest of one
 * cluster's objects. Deterministic from the index.
 */
#ifndef HUB_OBJECTS_H
#define HUB_OBJECTS_H

#include <jansson.h>

/* New references; |with_status| adds the status a controller would write. */
json_t *hubobj_namespace(const char *name);
json_t *hubobj_bmh(const char *ns, const char *name, unsigned idx, int with_status);
json_t *hubobj_agent(const char *ns, unsigned idx, int with_status);
json_t *hubobj_secret(const char *ns, const char *name);

#endif
