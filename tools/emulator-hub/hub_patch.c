#include "hub_patch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"

/* ---- RFC 7386 ---- */

static json_t *merge(json_t *target, const json_t *patch)
{
	if (!json_is_object(patch)) {
		json_decref(target);
		return json_deep_copy(patch);
	}
	if (!json_is_object(target)) {
		json_decref(target);
		target = json_object();
	}
	const char *k;
	json_t *pv;
	json_object_foreach((json_t *)patch, k, pv) {
		if (json_is_null(pv)) {
			json_object_del(target, k);
			continue;
		}
		json_t *cur = json_object_get(target, k);
		json_t *nv = merge(cur ? json_incref(cur) : NULL, pv);
		json_object_set_new(target, k, nv);
	}
	return target;
}

void hub_patch_merge(json_t **doc, const json_t *patch)
{
	*doc = merge(*doc, patch);
}

/* ---- RFC 6902 ---- */

/* Decodes one reference token (~1 -> /, ~0 -> ~). Returns 0 or -1. */
static int unescape(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '~') {
			if (i + 1 >= n || (s[i + 1] != '0' && s[i + 1] != '1'))
				return -1;
			c = s[i + 1] == '0' ? '~' : '/';
			i++;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* Parses an array index token; -1 when not an index. */
static long long index_of(const char *tok)
{
	if (!tok[0] || (tok[0] == '0' && tok[1]) || strlen(tok) > 9)
		return -1;
	for (const char *p = tok; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	return atoll(tok);
}

/* Resolves |ptr| to its parent container and last token. Returns 0 or -1. */
static int resolve(json_t *doc, const char *ptr, json_t **parent, char *last, size_t lastlen)
{
	if (ptr[0] != '/')
		return -1;
	json_t *cur = doc;
	const char *p = ptr + 1;
	char tok[512];
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (unescape(p, n, slash ? tok : last, slash ? sizeof(tok) : lastlen) != 0)
			return -1;
		if (!slash) {
			*parent = cur;
			return 0;
		}
		if (json_is_object(cur)) {
			cur = json_object_get(cur, tok);
		} else if (json_is_array(cur)) {
			long long i = index_of(tok);
			cur = i >= 0 ? json_array_get(cur, (size_t)i) : NULL;
		} else {
			cur = NULL;
		}
		if (!cur)
			return -1;
		p = slash + 1;
	}
}

static json_t *get_ptr(json_t *doc, const char *ptr)
{
	if (ptr[0] == '\0')
		return doc;
	json_t *parent;
	char last[512];
	if (resolve(doc, ptr, &parent, last, sizeof(last)) != 0)
		return NULL;
	if (json_is_object(parent))
		return json_object_get(parent, last);
	if (json_is_array(parent)) {
		long long i = index_of(last);
		return i >= 0 ? json_array_get(parent, (size_t)i) : NULL;
	}
	return NULL;
}

/* add (|replace| = 0) or replace (1) |val| (a new reference, consumed) at |ptr|. */
static int put_ptr(json_t **doc, const char *ptr, json_t *val, int replace)
{
	if (ptr[0] == '\0') {
		json_decref(*doc);
		*doc = val;
		return 0;
	}
	json_t *parent;
	char last[512];
	if (resolve(*doc, ptr, &parent, last, sizeof(last)) != 0)
		goto fail;
	if (json_is_object(parent)) {
		if (replace && !json_object_get(parent, last))
			goto fail;
		return json_object_set_new(parent, last, val) == 0 ? 0 : -1;
	}
	if (json_is_array(parent)) {
		size_t n = json_array_size(parent);
		if (!replace && strcmp(last, "-") == 0)
			return json_array_append_new(parent, val) == 0 ? 0 : -1;
		long long i = index_of(last);
		if (i < 0 || (size_t)i > n || (replace && (size_t)i == n))
			goto fail;
		if (replace)
			return json_array_set_new(parent, (size_t)i, val) == 0 ? 0 : -1;
		return json_array_insert_new(parent, (size_t)i, val) == 0 ? 0 : -1;
	}
fail:
	json_decref(val);
	return -1;
}

static int remove_ptr(json_t *doc, const char *ptr)
{
	json_t *parent;
	char last[512];
	if (resolve(doc, ptr, &parent, last, sizeof(last)) != 0)
		return -1;
	if (json_is_object(parent))
		return json_object_del(parent, last);
	if (json_is_array(parent)) {
		long long i = index_of(last);
		if (i < 0)
			return -1;
		return json_array_remove(parent, (size_t)i);
	}
	return -1;
}

int hub_patch_json(json_t **doc, const json_t *ops, char *err, size_t errlen)
{
	size_t i;
	const json_t *op;
	if (!json_is_array(ops)) {
		snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type jsonpatch.Patch",
		         json_is_object(ops) ? "object" : "value");
		return SW_ERR_PARSE;
	}
	json_array_foreach(ops, i, op) {
		const char *name = json_string_value(json_object_get(op, "op"));
		const char *path = json_string_value(json_object_get(op, "path"));
		const char *from = json_string_value(json_object_get(op, "from"));
		json_t *value = json_object_get(op, "value");
		if (!name || !path) {
			snprintf(err, errlen, "the server rejected our request due to an error in our request");
			return SW_ERR_PARSE;
		}
		int rv;
		if (strcmp(name, "add") == 0 || strcmp(name, "replace") == 0) {
			if (!value) {
				snprintf(err, errlen, "missing value");
				return SW_ERR_PARSE;
			}
			rv = put_ptr(doc, path, json_deep_copy(value), name[0] == 'r');
		} else if (strcmp(name, "remove") == 0) {
			rv = remove_ptr(*doc, path);
		} else if (strcmp(name, "test") == 0) {
			json_t *cur = get_ptr(*doc, path);
			rv = (cur && value && json_equal(cur, value)) ? 0 : -1;
			if (rv) {
				snprintf(err, errlen, "testing value %s failed: test failed", path);
				return SW_ERR_STATE;
			}
		} else if (strcmp(name, "move") == 0 || strcmp(name, "copy") == 0) {
			json_t *src = from ? get_ptr(*doc, from) : NULL;
			if (!src) {
				snprintf(err, errlen, "%s operation does not apply: doc is missing from path: %s", name,
				         from ? from : "");
				return SW_ERR_STATE;
			}
			json_t *val = json_deep_copy(src);
			if (name[0] == 'm' && remove_ptr(*doc, from) != 0) {
				json_decref(val);
				rv = -1;
			} else {
				rv = put_ptr(doc, path, val, 0);
			}
		} else {
			snprintf(err, errlen, "Unexpected kind: %s", name);
			return SW_ERR_PARSE;
		}
		if (rv) {
			snprintf(err, errlen, "%s operation does not apply: doc is missing path: \"%s\": missing value",
			         name, path);
			return SW_ERR_STATE;
		}
	}
	return 0;
}

/* ---- strategic merge patch (the subset for the hub's built-in kinds) ---- */

static int smp(json_t *target, const json_t *patch, const char *path, char *err, size_t errlen);

static int smp_value(json_t *parent, const char *k, const json_t *pv, const char *path, char *err,
                     size_t errlen)
{
	json_t *cur = json_object_get(parent, k);
	char sub[512];
	snprintf(sub, sizeof(sub), "%s/%s", path, k);
	if (json_is_null(pv)) {
		json_object_del(parent, k);
		return 0;
	}
	if (json_is_object(pv)) {
		const char *dir = json_string_value(json_object_get(pv, "$patch"));
		if (dir && strcmp(dir, "delete") == 0) {
			json_object_del(parent, k);
			return 0;
		}
		if (dir && strcmp(dir, "replace") == 0) {
			json_t *nv = json_deep_copy(pv);
			json_object_del(nv, "$patch");
			json_object_set_new(parent, k, nv);
			return 0;
		}
		if (dir) {
			snprintf(err, errlen, "Unknown patch type: %s", dir);
			return SW_ERR_PARSE;
		}
		if (!json_is_object(cur)) {
			cur = json_object();
			json_object_set_new(parent, k, cur);
		}
		return smp(cur, pv, sub, err, errlen);
	}
	if (json_is_array(pv) && json_is_array(cur) &&
	    (strcmp(sub, "/metadata/finalizers") == 0 || strcmp(sub, "/metadata/ownerReferences") == 0)) {
		/* patchStrategy merge: finalizers as a set, ownerReferences keyed by uid */
		int by_uid = sub[10] == 'o';
		size_t i;
		json_t *e;
		json_array_foreach((json_t *)pv, i, e) {
			size_t j;
			json_t *c;
			int found = -1;
			json_array_foreach(cur, j, c) {
				if (by_uid ? json_equal(json_object_get(c, "uid"), json_object_get(e, "uid"))
				           : json_equal(c, e)) {
					found = (int)j;
					break;
				}
			}
			const char *d = json_string_value(json_object_get(e, "$patch"));
			if (d && strcmp(d, "delete") == 0) {
				if (found >= 0)
					json_array_remove(cur, (size_t)found);
				continue;
			}
			if (found >= 0)
				json_array_set_new(cur, (size_t)found, json_deep_copy(e));
			else
				json_array_append_new(cur, json_deep_copy(e));
		}
		return 0;
	}
	json_object_set_new(parent, k, json_deep_copy(pv));
	return 0;
}

static int smp(json_t *target, const json_t *patch, const char *path, char *err, size_t errlen)
{
	const char *k;
	json_t *pv;
	const json_t *retain = json_object_get(patch, "$retainKeys");
	if (json_is_array(retain)) {
		void *tmp;
		json_t *v;
		json_object_foreach_safe(target, tmp, k, v) {
			size_t i;
			json_t *rk;
			int keep = 0;
			json_array_foreach(retain, i, rk)
				if (json_is_string(rk) && strcmp(json_string_value(rk), k) == 0)
					keep = 1;
			if (!keep)
				json_object_del(target, k);
		}
	}
	json_object_foreach((json_t *)patch, k, pv) {
		if (k[0] != '$')
			continue;
		if (strncmp(k, "$deleteFromPrimitiveList/", 25) == 0) {
			json_t *list = json_object_get(target, k + 25);
			size_t i, j;
			json_t *d, *e;
			json_array_foreach(pv, i, d) {
				for (j = json_array_size(list); j-- > 0;) {
					e = json_array_get(list, j);
					if (json_equal(e, d))
						json_array_remove(list, j);
				}
			}
		} else if (strncmp(k, "$setElementOrder/", 17) != 0 && strcmp(k, "$retainKeys") != 0 &&
		           strcmp(k, "$patch") != 0) {
			snprintf(err, errlen, "unknown patch directive %s", k);
			return SW_ERR_PARSE;
		}
	}
	json_object_foreach((json_t *)patch, k, pv) {
		if (k[0] == '$')
			continue;
		int rv = smp_value(target, k, pv, path, err, errlen);
		if (rv)
			return rv;
	}
	return 0;
}

int hub_patch_strategic(json_t **doc, const json_t *patch, char *err, size_t errlen)
{
	if (!json_is_object(patch)) {
		snprintf(err, errlen, "strategic merge patch must be a JSON object");
		return SW_ERR_PARSE;
	}
	if (!json_is_object(*doc)) {
		json_decref(*doc);
		*doc = json_object();
	}
	return smp(*doc, patch, "", err, errlen);
}
