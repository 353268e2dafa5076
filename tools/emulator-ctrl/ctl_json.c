/* JSON helpers of the controllers: dotted paths, labels, annotations,
 * finalizers, the three condition conventions, times. */
#include "ctl_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

json_t *cj_get(const json_t *o, const char *path)
{
	char seg[128];
	const char *p = path;
	json_t *cur = (json_t *)o;
	while (cur && *p) {
		size_t n = strcspn(p, ".");
		if (n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		cur = json_is_object(cur) ? json_object_get(cur, seg) : NULL;
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

const char *cj_str(const json_t *o, const char *path)
{
	return json_string_value(cj_get(o, path));
}

json_t *cj_obj(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_object(v)) {
		v = json_object();
		json_object_set_new(o, key, v);
	}
	return v;
}

void cj_set(json_t *o, const char *path, json_t *v)
{
	char seg[128];
	const char *p = path;
	for (;;) {
		size_t n = strcspn(p, ".");
		if (n >= sizeof(seg)) {
			json_decref(v);
			return;
		}
		memcpy(seg, p, n);
		seg[n] = '\0';
		p += n;
		if (!*p) {
			json_object_set_new(o, seg, v);
			return;
		}
		p++;
		o = cj_obj(o, seg);
	}
}

int cj_del(json_t *o, const char *path)
{
	const char *dot = strrchr(path, '.');
	json_t *parent = o;
	if (dot) {
		char head[256];
		size_t n = (size_t)(dot - path);
		if (n >= sizeof(head))
			return 0;
		memcpy(head, path, n);
		head[n] = '\0';
		parent = cj_get(o, head);
	}
	const char *last = dot ? dot + 1 : path;
	if (!json_is_object(parent) || !json_object_get(parent, last))
		return 0;
	json_object_del(parent, last);
	return 1;
}

static const char *meta_map_get(const json_t *obj, const char *map, const char *key)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(obj, "metadata"),
	                                                         map), key));
}

static int meta_map_set(json_t *obj, const char *map, const char *key, const char *val)
{
	json_t *m = cj_obj(cj_obj(obj, "metadata"), map);
	const char *cur = json_string_value(json_object_get(m, key));
	if (cur && strcmp(cur, val) == 0)
		return 0;
	json_object_set_new(m, key, json_string(val));
	return 1;
}

const char *cj_label(const json_t *obj, const char *key)
{
	return meta_map_get(obj, "labels", key);
}

const char *cj_annotation(const json_t *obj, const char *key)
{
	return meta_map_get(obj, "annotations", key);
}

int cj_set_label(json_t *obj, const char *key, const char *val)
{
	return meta_map_set(obj, "labels", key, val);
}

int cj_set_annotation(json_t *obj, const char *key, const char *val)
{
	return meta_map_set(obj, "annotations", key, val);
}

int cj_del_annotation(json_t *obj, const char *key)
{
	json_t *m = json_object_get(json_object_get(obj, "metadata"), "annotations");
	if (!json_object_get(m, key))
		return 0;
	json_object_del(m, key);
	return 1;
}

int cj_has_finalizer(const json_t *obj, const char *f)
{
	size_t i;
	json_t *e;
	json_array_foreach(cj_get(obj, "metadata.finalizers"), i, e)
		if (json_string_value(e) && strcmp(json_string_value(e), f) == 0)
			return 1;
	return 0;
}

int cj_add_finalizer(json_t *obj, const char *f)
{
	if (cj_has_finalizer(obj, f))
		return 0;
	json_t *md = cj_obj(obj, "metadata");
	json_t *a = json_object_get(md, "finalizers");
	if (!json_is_array(a)) {
		a = json_array();
		json_object_set_new(md, "finalizers", a);
	}
	json_array_append_new(a, json_string(f));
	return 1;
}

int cj_remove_finalizer(json_t *obj, const char *f)
{
	json_t *a = cj_get(obj, "metadata.finalizers");
	size_t i;
	json_t *e;
	int removed = 0;
	for (i = json_array_size(a); i-- > 0;) {
		e = json_array_get(a, i);
		if (json_string_value(e) && strcmp(json_string_value(e), f) == 0) {
			json_array_remove(a, i);
			removed = 1;
		}
	}
	return removed;
}

int cj_deleting(const json_t *obj)
{
	return cj_str(obj, "metadata.deletionTimestamp") != NULL;
}

json_t *cj_condition(const json_t *conds, const char *type)
{
	size_t i;
	json_t *e;
	json_array_foreach(conds, i, e) {
		const char *t = json_string_value(json_object_get(e, "type"));
		if (t && strcmp(t, type) == 0)
			return e;
	}
	return NULL;
}

static json_t *conds_of(json_t *status)
{
	json_t *a = json_object_get(status, "conditions");
	if (!json_is_array(a)) {
		a = json_array();
		json_object_set_new(status, "conditions", a);
	}
	return a;
}

static int str_is(const json_t *o, const char *key, const char *v)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? strcmp(s, v) == 0 : !*v;
}

/* Sets a string member, dropping it when empty (omitempty). */
static void set_opt(json_t *o, const char *key, const char *v)
{
	if (v && *v)
		json_object_set_new(o, key, json_string(v));
	else
		json_object_del(o, key);
}

void cj_cond_noheartbeat(json_t *status, const char *type, const char *st, const char *reason,
                         const char *msg, const char *now)
{
	json_t *conds = conds_of(status);
	json_t *c = cj_condition(conds, type);
	if (!c) {
		c = json_pack("{s:s,s:s,s:s}", "type", type, "status", st, "lastTransitionTime", now);
		set_opt(c, "reason", reason);
		set_opt(c, "message", msg);
		json_array_append_new(conds, c);
		return;
	}
	if (!str_is(c, "status", st)) {
		json_object_set_new(c, "status", json_string(st));
		json_object_set_new(c, "lastTransitionTime", json_string(now));
	}
	set_opt(c, "reason", reason);
	set_opt(c, "message", msg);
}

void cj_cond_cluster(json_t *status, const char *type, const char *st, const char *reason,
                     const char *msg, const char *now)
{
	json_t *conds = conds_of(status);
	json_t *c = cj_condition(conds, type);
	if (!c) {
		c = json_pack("{s:s,s:s,s:s,s:s}", "type", type, "status", st, "lastTransitionTime", now,
		              "lastProbeTime", now);
		set_opt(c, "reason", reason);
		set_opt(c, "message", msg);
		json_array_append_new(conds, c);
		return;
	}
	if (str_is(c, "status", st) && str_is(c, "reason", reason) && str_is(c, "message", msg))
		return;
	json_object_set_new(c, "status", json_string(st));
	set_opt(c, "reason", reason);
	set_opt(c, "message", msg);
	json_object_set_new(c, "lastTransitionTime", json_string(now));
	json_object_set_new(c, "lastProbeTime", json_string(now));
}

void cj_cond_meta(json_t *status, const char *type, const char *st, const char *reason,
                  const char *msg, int64_t generation, const char *now)
{
	json_t *conds = conds_of(status);
	json_t *c = cj_condition(conds, type);
	if (!c) {
		c = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", type, "status", st, "reason", reason,
		              "message", msg, "lastTransitionTime", now);
		if (generation)
			json_object_set_new(c, "observedGeneration", json_integer(generation));
		json_array_append_new(conds, c);
		return;
	}
	if (!str_is(c, "status", st)) {
		json_object_set_new(c, "status", json_string(st));
		json_object_set_new(c, "lastTransitionTime", json_string(now));
	}
	json_object_set_new(c, "reason", json_string(reason));
	json_object_set_new(c, "message", json_string(msg));
	if (generation)
		json_object_set_new(c, "observedGeneration", json_integer(generation));
}

void ctl_time_fmt(int64_t wall_ms, char out[32])
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t ctl_time_parse(const char *s)
{
	int y, mo, d, h, mi, se, n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6)
		return -1;
	const char *p = s + n;
	int64_t frac_ms = 0;
	if (*p == '.') {
		int digits = 0;
		p++;
		while (isdigit((unsigned char)*p)) {
			if (digits < 3)
				frac_ms = frac_ms * 10 + (*p - '0');
			digits++;
			p++;
		}
		while (digits < 3) {
			frac_ms *= 10;
			digits++;
		}
	}
	int off = 0;
	if (*p == '+' || *p == '-') {
		int oh, om;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
			return -1;
		off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
	} else if (*p != 'Z') {
		return -1;
	}
	struct tm tm = {0};
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	time_t t = timegm(&tm);
	return ((int64_t)t - off) * 1000 + frac_ms;
}

int ctl_mac_eq(const char *a, const char *b)
{
	return a && b && *a && strcasecmp(a, b) == 0;
}
