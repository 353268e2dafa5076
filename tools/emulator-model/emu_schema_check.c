#include "emu_schema.h"

#include <stdio.h>
#include <string.h>

int emu_schema_find(const char *name)
{
	for (size_t i = 0; i < emu_schema_ndefs; i++)
		if (strcmp(emu_schema_defs[i].name, name) == 0)
			return (int)i;
	return -1;
}

static const char *json_kind_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: case JSON_REAL: return "number";
	case JSON_TRUE: case JSON_FALSE: return "bool";
	case JSON_NULL: return "null";
	}
	return "value";
}

static const char *go_type_name(enum emu_kind k)
{
	switch (k) {
	case EMU_K_STRING: return "string";
	case EMU_K_INTEGER: return "int64";
	case EMU_K_NUMBER: return "float64";
	case EMU_K_BOOLEAN: return "bool";
	case EMU_K_OBJECT: return "struct";
	case EMU_K_ARRAY: return "slice";
	case EMU_K_ANY: break;
	}
	return "interface {}";
}

static int kind_ok(enum emu_kind k, const json_t *v)
{
	/* Go's decoder leaves the zero value for null, whatever the type. */
	if (json_is_null(v))
		return 1;
	switch (k) {
	case EMU_K_ANY: return 1;
	case EMU_K_STRING: return json_is_string(v);
	case EMU_K_INTEGER: return json_is_integer(v);
	case EMU_K_NUMBER: return json_is_number(v);
	case EMU_K_BOOLEAN: return json_is_boolean(v);
	case EMU_K_OBJECT: return json_is_object(v);
	case EMU_K_ARRAY: return json_is_array(v);
	}
	return 0;
}

static int in_list(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static int check_value(enum emu_kind k, int ref, enum emu_kind ik, int iref,
                       const struct emu_schema_def *owner, const char *field,
                       const json_t *v, char *msg, size_t msglen, int depth);

static int check_object(int def, const json_t *v, const char *const *extra,
                        const char *const *deny, char *msg, size_t msglen, int depth)
{
	const struct emu_schema_def *d = &emu_schema_defs[def];
	const char *key;
	json_t *val;

	if (depth > 16) {
		snprintf(msg, msglen, "json: exceeded max depth");
		return -1;
	}
	if (!json_is_object(v)) {
		snprintf(msg, msglen, "json: cannot unmarshal %s into Go value of type models.%s",
		         json_kind_name(v), d->go_name);
		return -1;
	}
	json_object_foreach((json_t *)v, key, val) {
		const struct emu_schema_prop *p = NULL;
		if (!in_list(deny, key)) {
			for (size_t i = 0; i < d->nprops; i++)
				if (d->props[i].name && strcmp(d->props[i].name, key) == 0)
					p = &d->props[i];
		}
		if (!p) {
			if (in_list(extra, key))
				continue;
			snprintf(msg, msglen, "json: unknown field \"%s\"", key);
			return -1;
		}
		if (check_value(p->kind, p->ref, p->item_kind, p->item_ref, d, key, val, msg,
		                msglen, depth + 1) < 0)
			return -1;
	}
	return 0;
}

static int check_value(enum emu_kind k, int ref, enum emu_kind ik, int iref,
                       const struct emu_schema_def *owner, const char *field,
                       const json_t *v, char *msg, size_t msglen, int depth)
{
	if (!kind_ok(k, v)) {
		snprintf(msg, msglen,
		         "json: cannot unmarshal %s into Go struct field %s.%s of type %s",
		         json_kind_name(v), owner->go_name, field, go_type_name(k));
		return -1;
	}
	if (json_is_null(v))
		return 0;
	if (k == EMU_K_OBJECT && ref >= 0)
		return check_object(ref, v, NULL, NULL, msg, msglen, depth);
	if (k == EMU_K_ARRAY) {
		size_t i;
		json_t *e;
		json_array_foreach((json_t *)v, i, e) {
			if (check_value(ik, iref, EMU_K_ANY, -1, owner, field, e, msg, msglen,
			                depth + 1) < 0)
				return -1;
		}
	}
	return 0;
}

int emu_schema_check(int def, const json_t *v, const char *const *extra,
                     const char *const *deny, char *msg, size_t msglen)
{
	if (def < 0 || (size_t)def >= emu_schema_ndefs) {
		snprintf(msg, msglen, "unknown definition");
		return -1;
	}
	return check_object(def, v, extra, deny, msg, msglen, 0);
}

const char *emu_schema_missing(int def, const json_t *v)
{
	const struct emu_schema_def *d = &emu_schema_defs[def];
	for (size_t i = 0; i < d->nrequired; i++) {
		json_t *f = json_object_get(v, d->required[i]);
		if (!f || json_is_null(f))
			return d->required[i];
	}
	return NULL;
}
