/*
 * emu_schema: the property lists of the swagger definitions the emulator
 * decodes as request bodies (generated into emu_schema.c by gen_schema.py),
 * and the strict validator that rejects unknown fields and wrong JSON types
 * the way the service's decoder (DisallowUnknownFields) does.
 */
#ifndef EMU_SCHEMA_H
#define EMU_SCHEMA_H

#include <stddef.h>
#include <jansson.h>

enum emu_kind {
	EMU_K_ANY, EMU_K_STRING, EMU_K_INTEGER, EMU_K_NUMBER, EMU_K_BOOLEAN,
	EMU_K_OBJECT, EMU_K_ARRAY,
};

struct emu_schema_prop {
	const char *name;
	enum emu_kind kind;
	int ref;                /* definition index for object properties, -1 otherwise */
	enum emu_kind item_kind;/* element kind for arrays */
	int item_ref;           /* element definition index, -1 otherwise */
	int nullable;
};

struct emu_schema_def {
	const char *name;       /* swagger definition name */
	const char *go_name;    /* model type name as Go spells it (error messages) */
	const struct emu_schema_prop *props;
	size_t nprops;
	const char *const *required;
	size_t nrequired;
};

extern const struct emu_schema_def emu_schema_defs[];
extern const size_t emu_schema_ndefs;

/* Returns the index of definition |name|, or -1. */
int emu_schema_find(const char *name);

/*
 * Checks |v| against definition |def| recursively: every object key must be
 * a property, JSON types must match. |extra| (NULL-terminated list, may be
 * NULL) names additional top-level properties accepted, |deny| (may be NULL)
 * names top-level properties refused as unknown. On failure writes the Go
 * decoder's message into |msg| and returns -1; on success returns 0.
 * Required properties are checked separately (emu_schema_missing).
 */
int emu_schema_check(int def, const json_t *v, const char *const *extra,
                     const char *const *deny, char *msg, size_t msglen);

/* Returns the first required property of |def| missing from object |v|, or NULL. */
const char *emu_schema_missing(int def, const json_t *v);

#endif
