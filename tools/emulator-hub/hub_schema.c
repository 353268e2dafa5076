#include "hub_schema.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_xalloc.h"

/* Patterns compiled once per distinct text. */
struct pat {
	char *text;
	regex_t re;
	int ok;
	struct pat *next;
};

/*
 * A schema node compiled once: the keywords the walk reads, looked up at
 * compile time instead of per field of every write (jansson lookups by key
 * were most of a write's cost). Points into the source schema, which the
 * cache keeps a reference on.
 */
struct cprop {
	const char *key;
	struct csch *sch;
};

struct csch {
	const char *type;                 /* "type", NULL when absent */
	int nullable, int_or_string, preserve, addl_true;
	struct csch *addl;                /* additionalProperties as a schema */
	struct cprop *props;              /* in the schema's order */
	struct cprop **table;             /* the same, hashed by key (open addressing) */
	size_t tmask;                     /* table size - 1 */
	size_t nprops;
	struct cprop *defaults;           /* properties with a default, in the schema's order */
	const json_t **default_values;
	size_t ndefaults;
	const json_t *required;           /* array or NULL */
	const json_t *enum_values;        /* array or NULL */
	const char *format, *pattern_text;
	struct pat *pattern;
	const json_t *minimum, *maximum, *min_length, *max_length, *min_items, *max_items, *max_props;
	struct csch *items;
	struct csch **all_of;
	size_t nall_of;
};

/* Compiled root schemas, holding a reference on their source. */
struct croot {
	json_t *src;
	struct csch *c;
	struct croot *next;
};

struct hub_schema {
	struct pat *pats;
	struct croot *roots;
};

static void csch_free(struct csch *c);

struct hub_schema *hub_schema_new(void)
{
	return xcalloc(1, sizeof(struct hub_schema));
}

void hub_schema_free(struct hub_schema **sp)
{
	if (!sp || !*sp)
		return;
	struct pat *p = (*sp)->pats;
	while (p) {
		struct pat *n = p->next;
		if (p->ok)
			regfree(&p->re);
		free(p->text);
		free(p);
		p = n;
	}
	struct croot *r = (*sp)->roots;
	while (r) {
		struct croot *n = r->next;
		csch_free(r->c);
		json_decref(r->src);
		free(r);
		r = n;
	}
	free(*sp);
	*sp = NULL;
}

void hub_schema_report_clear(struct hub_schema_report *rep)
{
	json_decref(rep->causes);
	json_decref(rep->pruned);
	rep->causes = rep->pruned = NULL;
}

/* RE2 (Go) syntax to POSIX ERE for the constructs the CRDs use: non-capturing
 * groups, lazy quantifiers (same match/no-match answer), \d and \t \n \r. */
static char *re2_to_ere(const char *in)
{
	size_t n = strlen(in);
	char *out = xmalloc(n * 5 + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '(' && in[i + 1] == '?' && in[i + 2] == ':') {
			out[o++] = '(';
			i += 2;
		} else if ((in[i] == '*' || in[i] == '+' || in[i] == '?') && in[i + 1] == '?') {
			out[o++] = in[i];
			i++;
		} else if (in[i] == '\\' && in[i + 1] == 'd') {
			memcpy(out + o, "[0-9]", 5);
			o += 5;
			i++;
		} else if (in[i] == '\\' && (in[i + 1] == 't' || in[i + 1] == 'n' || in[i + 1] == 'r')) {
			out[o++] = in[i + 1] == 't' ? '\t' : in[i + 1] == 'n' ? '\n' : '\r';
			i++;
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
	return out;
}

static struct pat *pattern(struct hub_schema *s, const char *text)
{
	for (struct pat *p = s->pats; p; p = p->next)
		if (strcmp(p->text, text) == 0)
			return p;
	struct pat *p = xcalloc(1, sizeof(*p));
	p->text = xstrdup(text);
	char *ere = re2_to_ere(text);
	p->ok = regcomp(&p->re, ere, REG_EXTENDED | REG_NOSUB) == 0;
	free(ere);
	p->next = s->pats;
	s->pats = p;
	return p;
}

/* ---- paths and causes ---- */

#define PATH_MAX_LEN 1024

struct walk {
	struct hub_schema *s;
	int flags;
	struct hub_schema_report *rep;
	int ncauses;
	char path[PATH_MAX_LEN];
	size_t plen;
};

/* Appends |n| bytes of |s| to the path, as many as fit. Plain copies: this
 * runs for every field of every write. */
static void path_put(struct walk *w, const char *s, size_t n)
{
	size_t room = sizeof(w->path) - 1 - w->plen;
	if (n > room)
		n = room;
	memcpy(w->path + w->plen, s, n);
	w->plen += n;
	w->path[w->plen] = '\0';
}

static size_t path_push_key(struct walk *w, const char *key)
{
	size_t old = w->plen;
	if (w->plen)
		path_put(w, ".", 1);
	path_put(w, key, strlen(key));
	return old;
}

/* Appends "[" |s| (|n| bytes) "]" (a map key or an array index). */
static size_t path_push_bracket(struct walk *w, const char *s, size_t n)
{
	size_t old = w->plen;
	path_put(w, "[", 1);
	path_put(w, s, n);
	path_put(w, "]", 1);
	return old;
}

static size_t path_push_index(struct walk *w, size_t i)
{
	char d[24];
	size_t n = sizeof(d);
	do {
		d[--n] = (char)('0' + i % 10);
		i /= 10;
	} while (i);
	return path_push_bracket(w, d + n, sizeof(d) - n);
}

static void path_pop(struct walk *w, size_t old)
{
	w->plen = old;
	w->path[old] = '\0';
}

static void cause(struct walk *w, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void cause(struct walk *w, const char *reason, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	w->ncauses++;
	if (!(w->flags & HUB_SCHEMA_VALIDATE))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!w->rep->causes)
		w->rep->causes = json_array();
	if (json_array_size(w->rep->causes) >= 100)
		return; /* the apiserver's error list is bounded too */
	json_t *c = json_object();
	json_object_set_new(c, "reason", json_string(reason));
	json_object_set_new(c, "message", json_string(msg));
	json_object_set_new(c, "field", json_string(w->path));
	json_array_append_new(w->rep->causes, c);
}

static void pruned(struct walk *w, const char *key)
{
	if (!w->rep->pruned)
		w->rep->pruned = json_array();
	if (json_array_size(w->rep->pruned) >= 100)
		return;
	char p[PATH_MAX_LEN + 64];
	snprintf(p, sizeof(p), "%s%s%s", w->path, w->plen ? "." : "", key);
	json_array_append_new(w->rep->pruned, json_string(p));
}

/* ---- value rendering for messages, as the apiserver quotes values ---- */

static void show(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v)) {
		snprintf(buf, len, "\"%s\"", json_string_value(v));
	} else {
		char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(buf, len, "%s", d ? d : "?");
		free(d);
	}
	if (strlen(buf) > 200)
		strcpy(buf + 190, "...");
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "unknown";
}

/* ---- formats ---- */

static int is_date_time(const char *s)
{
	/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM) */
	size_t n = strlen(s);
	if (n < 20)
		return 0;
	for (int i = 0; i < 19; i++) {
		char c = s[i];
		int want_digit = !(i == 4 || i == 7 || i == 10 || i == 13 || i == 16);
		if (want_digit ? !isdigit((unsigned char)c)
		               : !(c == (i < 10 ? '-' : i == 10 ? 'T' : ':') || (i == 10 && (c == 't' || c == ' '))))
			return 0;
	}
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z')
		return p[1] == '\0';
	return (*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
	       p[3] == ':' && isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5]) && p[6] == '\0';
}

static int is_base64(const char *s)
{
	size_t n = strlen(s), pad = 0;
	if (n % 4)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '=') {
			pad++;
			if (i < n - 2)
				return 0;
		} else if (pad || !(isalnum((unsigned char)c) || c == '+' || c == '/')) {
			return 0;
		}
	}
	return 1;
}

static int is_duration(const char *s)
{
	/* Go time.ParseDuration: [-+]?(number unit)+ or "0" */
	if (*s == '-' || *s == '+')
		s++;
	if (strcmp(s, "0") == 0)
		return 1;
	if (!*s)
		return 0;
	while (*s) {
		int digits = 0;
		while (isdigit((unsigned char)*s)) {
			s++;
			digits++;
		}
		if (*s == '.') {
			s++;
			while (isdigit((unsigned char)*s)) {
				s++;
				digits++;
			}
		}
		if (!digits)
			return 0;
		static const char *const units[] = {"ns", "us", "\xc2\xb5s", "\xce\xbcs", "ms", "s", "m", "h"};
		size_t best = 0;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i]);
			if (strncmp(s, units[i], l) == 0 && l > best)
				best = l;
		}
		if (!best)
			return 0;
		s += best;
	}
	return 1;
}

/* Returns 0 when |v| is valid for |format| (unknown formats always are). */
static int check_format(const char *format, const json_t *v)
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		unsigned char buf[16];
		if (strcmp(format, "date-time") == 0)
			return !is_date_time(s);
		if (strcmp(format, "byte") == 0)
			return !is_base64(s);
		if (strcmp(format, "duration") == 0)
			return !is_duration(s);
		if (strcmp(format, "ipv4") == 0)
			return inet_pton(AF_INET, s, buf) != 1;
		if (strcmp(format, "ipv6") == 0)
			return inet_pton(AF_INET6, s, buf) != 1;
		if (strcmp(format, "ip") == 0)
			return inet_pton(AF_INET, s, buf) != 1 && inet_pton(AF_INET6, s, buf) != 1;
		return 0;
	}
	if (json_is_integer(v) && strcmp(format, "int32") == 0) {
		json_int_t x = json_integer_value(v);
		return x < INT32_MIN || x > INT32_MAX;
	}
	return 0;
}

/* ---- compiled schemas ---- */

/* FNV-1a of |key|. */
static uint32_t key_hash(const char *key)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

static struct csch *compile(struct hub_schema *s, const json_t *sch, int depth)
{
	struct csch *c = xcalloc(1, sizeof(*c));
	if (depth > 256)
		return c; /* no schema nests this deep; an empty node accepts anything */
	c->type = json_string_value(json_object_get(sch, "type"));
	c->nullable = json_is_true(json_object_get(sch, "nullable"));
	c->int_or_string = json_is_true(json_object_get(sch, "x-kubernetes-int-or-string"));
	c->preserve = json_is_true(json_object_get(sch, "x-kubernetes-preserve-unknown-fields"));
	const json_t *addl = json_object_get(sch, "additionalProperties");
	c->addl_true = json_is_true(addl);
	if (json_is_object(addl))
		c->addl = compile(s, addl, depth + 1);
	const json_t *props = json_object_get(sch, "properties");
	size_t n = json_object_size(props);
	if (n) {
		c->props = xcalloc(n, sizeof(*c->props));
		size_t tsize = 4;
		while (tsize < 2 * n)
			tsize *= 2;
		c->table = xcalloc(tsize, sizeof(*c->table));
		c->tmask = tsize - 1;
		c->defaults = xcalloc(n, sizeof(*c->defaults));
		c->default_values = xcalloc(n, sizeof(*c->default_values));
		const char *k;
		const json_t *ps;
		json_object_foreach((json_t *)props, k, ps) {
			struct cprop *cp = &c->props[c->nprops];
			cp->key = k;
			cp->sch = compile(s, ps, depth + 1);
			c->nprops++;
			for (size_t i = key_hash(k) & c->tmask;; i = (i + 1) & c->tmask) {
				if (!c->table[i]) {
					c->table[i] = cp;
					break;
				}
			}
			const json_t *def = json_object_get(ps, "default");
			if (def) {
				c->defaults[c->ndefaults] = *cp;
				c->default_values[c->ndefaults++] = def;
			}
		}
	}
	c->required = json_is_array(json_object_get(sch, "required")) ? json_object_get(sch, "required") : NULL;
	c->enum_values = json_is_array(json_object_get(sch, "enum")) ? json_object_get(sch, "enum") : NULL;
	c->format = json_string_value(json_object_get(sch, "format"));
	c->pattern_text = json_string_value(json_object_get(sch, "pattern"));
	if (c->pattern_text)
		c->pattern = pattern(s, c->pattern_text);
	c->minimum = json_object_get(sch, "minimum");
	c->maximum = json_object_get(sch, "maximum");
	c->min_length = json_object_get(sch, "minLength");
	c->max_length = json_object_get(sch, "maxLength");
	c->min_items = json_object_get(sch, "minItems");
	c->max_items = json_object_get(sch, "maxItems");
	c->max_props = json_object_get(sch, "maxProperties");
	const json_t *items = json_object_get(sch, "items");
	if (items)
		c->items = compile(s, items, depth + 1);
	const json_t *all = json_object_get(sch, "allOf");
	if (json_array_size(all)) {
		c->all_of = xcalloc(json_array_size(all), sizeof(*c->all_of));
		size_t i;
		const json_t *sub;
		json_array_foreach(all, i, sub)
			c->all_of[c->nall_of++] = compile(s, sub, depth + 1);
	}
	return c;
}

static void csch_free(struct csch *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nprops; i++)
		csch_free(c->props[i].sch);
	for (size_t i = 0; i < c->nall_of; i++)
		csch_free(c->all_of[i]);
	csch_free(c->addl);
	csch_free(c->items);
	free(c->props);
	free(c->table);
	free(c->defaults);
	free(c->default_values);
	free(c->all_of);
	free(c);
}

/* The compiled form of root schema |sch| (compiled on first use). */
static const struct csch *compiled(struct hub_schema *s, const json_t *sch)
{
	for (struct croot *r = s->roots; r; r = r->next)
		if (r->src == sch)
			return r->c;
	struct croot *r = xcalloc(1, sizeof(*r));
	/* the reference keeps |sch| (and so this entry's key) alive */
	r->src = json_incref((json_t *)sch);
	r->c = compile(s, sch, 0);
	r->next = s->roots;
	s->roots = r;
	return r->c;
}

static const struct csch *prop_of(const struct csch *c, const char *key)
{
	if (!c->nprops)
		return NULL;
	for (size_t i = key_hash(key) & c->tmask; c->table[i]; i = (i + 1) & c->tmask)
		if (strcmp(c->table[i]->key, key) == 0)
			return c->table[i]->sch;
	return NULL;
}

/* ---- the walk ---- */

static void walk_value(struct walk *w, const struct csch *sch, json_t *v);

static int type_ok(const struct csch *sch, const json_t *v)
{
	const char *type = sch->type;
	if (sch->int_or_string)
		return json_is_integer(v) || json_is_string(v);
	if (!type)
		return 1;
	switch (type[0]) {
	case 'o': return strcmp(type, "object") != 0 || json_is_object(v);
	case 'a': return strcmp(type, "array") != 0 || json_is_array(v);
	case 's': return strcmp(type, "string") != 0 || json_is_string(v);
	case 'i': return strcmp(type, "integer") != 0 || json_is_integer(v);
	case 'n': return strcmp(type, "number") != 0 || json_is_number(v);
	case 'b': return strcmp(type, "boolean") != 0 || json_is_boolean(v);
	}
	return 1;
}

/* Prunes member |key| of object |v| (0), or deletes a null where not
 * nullable (0); 1 when it stays. */
static int prune_member(struct walk *w, const struct csch *sch, json_t *v, const char *key, const json_t *val)
{
	const struct csch *ps = prop_of(sch, key);
	if (!ps && !sch->addl && !sch->addl_true && !sch->preserve) {
		pruned(w, key);
		json_object_del(v, key);
		return 0;
	}
	const struct csch *vs = ps ? ps : sch->addl;
	if (json_is_null(val) && vs && !vs->nullable) {
		json_object_del(v, key);
		return 0;
	}
	return 1;
}

/* Walks member |key| (value |val|) of an object of schema |sch|. */
static void walk_member(struct walk *w, const struct csch *sch, const char *key, json_t *val)
{
	const struct csch *ps = prop_of(sch, key);
	size_t old;
	if (ps) {
		old = path_push_key(w, key);
		walk_value(w, ps, val);
		path_pop(w, old);
	} else if (sch->addl) {
		old = path_push_bracket(w, key, strlen(key));
		walk_value(w, sch->addl, val);
		path_pop(w, old);
	}
}

static void required_cause(struct walk *w, const char *rk)
{
	size_t old = path_push_key(w, rk);
	cause(w, "FieldValueRequired", "Required value");
	path_pop(w, old);
}

/* Prunes, defaults and validates the members of object |v|. */
static void walk_object(struct walk *w, const struct csch *sch, json_t *v, int root)
{
	const char *key;
	json_t *val;
	void *tmp;
	/* prune: unknown keys, and nulls where not nullable */
	if (w->flags & HUB_SCHEMA_PRUNE) {
		json_object_foreach_safe(v, tmp, key, val) {
			if (root && strcmp(key, "metadata") == 0)
				continue;
			prune_member(w, sch, v, key, val);
		}
	}
	/* defaults: properties that are absent and have a default */
	if (w->flags & HUB_SCHEMA_DEFAULT) {
		for (size_t i = 0; i < sch->ndefaults; i++)
			if (!json_object_get(v, sch->defaults[i].key))
				json_object_set_new(v, sch->defaults[i].key, json_deep_copy(sch->default_values[i]));
	}
	/* required */
	size_t i;
	const json_t *req;
	json_array_foreach(sch->required, i, req) {
		const char *rk = json_string_value(req);
		if (rk && !json_object_get(v, rk))
			required_cause(w, rk);
	}
	/* members */
	if (sch->nprops || sch->addl) {
		json_object_foreach(v, key, val) {
			if (root && strcmp(key, "metadata") == 0)
				continue;
			walk_member(w, sch, key, val);
		}
	}
	json_int_t maxp = json_integer_value(sch->max_props);
	if (sch->max_props && (json_int_t)json_object_size(v) > maxp)
		cause(w, "TooMany", "Too many: %zu: must have at most %lld items", json_object_size(v),
		      (long long)maxp);
}

static void check_bounds(struct walk *w, const struct csch *sch, const json_t *v)
{
	char shown[256];
	if (json_is_number(v)) {
		const json_t *mn = sch->minimum, *mx = sch->maximum;
		double x = json_number_value(v);
		if (mn && x < json_number_value(mn)) {
			show(v, shown, sizeof(shown));
			cause(w, "FieldValueInvalid", "Invalid value: %s: %s in body should be greater than or equal to %g",
			      shown, w->path, json_number_value(mn));
		}
		if (mx && x > json_number_value(mx)) {
			show(v, shown, sizeof(shown));
			cause(w, "FieldValueInvalid", "Invalid value: %s: %s in body should be less than or equal to %g",
			      shown, w->path, json_number_value(mx));
		}
	}
	if (json_is_string(v) && (sch->min_length || sch->max_length)) {
		const json_t *mnl = sch->min_length, *mxl = sch->max_length;
		size_t n = strlen(json_string_value(v));
		if (mxl && (json_int_t)n > json_integer_value(mxl))
			cause(w, "FieldValueTooLong", "Too long: may not be more than %lld bytes",
			      (long long)json_integer_value(mxl));
		if (mnl && (json_int_t)n < json_integer_value(mnl)) {
			show(v, shown, sizeof(shown));
			cause(w, "FieldValueInvalid", "Invalid value: %s: %s in body should be at least %lld chars long",
			      shown, w->path, (long long)json_integer_value(mnl));
		}
	}
	if (json_is_array(v) && (sch->min_items || sch->max_items)) {
		const json_t *mni = sch->min_items, *mxi = sch->max_items;
		size_t n = json_array_size(v);
		if (mxi && (json_int_t)n > json_integer_value(mxi))
			cause(w, "FieldValueTooMany", "Too many: %zu: must have at most %lld items", n,
			      (long long)json_integer_value(mxi));
		if (mni && (json_int_t)n < json_integer_value(mni))
			cause(w, "FieldValueInvalid", "Invalid value: %zu: %s in body should have at least %lld items", n,
			      w->path, (long long)json_integer_value(mni));
	}
}

static void walk_value(struct walk *w, const struct csch *sch, json_t *v)
{
	char shown[256];
	const char *type = sch->type;
	if (json_is_null(v)) {
		if (!sch->nullable && type)
			cause(w, "FieldValueInvalid", "Invalid value: \"null\": %s in body must be of type %s: \"null\"",
			      w->path, type);
		return;
	}
	if (!type_ok(sch, v)) {
		cause(w, "FieldValueInvalid", "Invalid value: \"%s\": %s in body must be of type %s: \"%s\"",
		      json_type_name(v), w->path, type, json_type_name(v));
		return;
	}
	const json_t *en = sch->enum_values;
	if (en) {
		size_t i;
		const json_t *e;
		int found = 0;
		json_array_foreach(en, i, e) {
			if (json_equal((json_t *)e, v)) {
				found = 1;
				break;
			}
		}
		if (!found) {
			char list[512];
			size_t off = 0;
			list[0] = '\0';
			json_array_foreach(en, i, e) {
				show(e, shown, sizeof(shown));
				off += (size_t)snprintf(list + off, off < sizeof(list) ? sizeof(list) - off : 0, "%s%s",
				                        i ? ", " : "", shown);
				if (off >= sizeof(list))
					break;
			}
			show(v, shown, sizeof(shown));
			cause(w, "FieldValueNotSupported", "Unsupported value: %s: supported values: %s", shown, list);
		}
	}
	if (sch->format && check_format(sch->format, v)) {
		show(v, shown, sizeof(shown));
		cause(w, "FieldValueInvalid", "Invalid value: %s: %s in body must be of type %s: %s", shown,
		      w->path, sch->format, shown);
	}
	if (sch->pattern && json_is_string(v)) {
		struct pat *p = sch->pattern;
		if (p->ok && regexec(&p->re, json_string_value(v), 0, NULL, 0) != 0) {
			show(v, shown, sizeof(shown));
			cause(w, "FieldValueInvalid", "Invalid value: %s: %s in body should match '%s'", shown, w->path,
			      sch->pattern_text);
		}
	}
	check_bounds(w, sch, v);
	/* allOf / anyOf carry value validations only in structural schemas */
	for (size_t i = 0; i < sch->nall_of; i++) {
		int saved = w->flags;
		w->flags &= ~(HUB_SCHEMA_PRUNE | HUB_SCHEMA_DEFAULT);
		walk_value(w, sch->all_of[i], v);
		w->flags = saved;
	}
	if (json_is_object(v)) {
		walk_object(w, sch, v, 0);
	} else if (json_is_array(v) && sch->items) {
		size_t i;
		json_t *it;
		json_array_foreach(v, i, it) {
			size_t old = path_push_index(w, i);
			walk_value(w, sch->items, it);
			path_pop(w, old);
		}
	}
}

int hub_schema_process(struct hub_schema *s, const json_t *schema, json_t *obj, int flags,
                       struct hub_schema_report *rep)
{
	struct walk w = {.s = s, .flags = flags, .rep = rep};
	w.path[0] = '\0';
	rep->causes = rep->pruned = NULL;
	if (!json_is_object(obj)) {
		cause(&w, "FieldValueInvalid", "Invalid value: \"%s\": body must be of type object",
		      json_type_name(obj));
		return w.ncauses;
	}
	/* One pass: each object node is pruned and defaulted before its members
	 * are validated, so validation sees the final object as upstream's
	 * prune -> default -> validate order does. */
	walk_object(&w, compiled(s, schema), obj, 1);
	return (flags & HUB_SCHEMA_VALIDATE) ? w.ncauses : 0;
}

int hub_schema_process_member(struct hub_schema *s, const json_t *schema, const char *key,
                              json_t **member, int flags, struct hub_schema_report *rep)
{
	struct walk w = {.s = s, .flags = flags, .rep = rep};
	w.path[0] = '\0';
	rep->causes = rep->pruned = NULL;
	const struct csch *sch = compiled(s, schema);
	if (sch->max_props || strcmp(key, "metadata") == 0)
		return -1; /* depends on the other members */
	/* walk_object() of the root, for this member alone: the same steps in the same order */
	if (*member && (flags & HUB_SCHEMA_PRUNE)) {
		const struct csch *ps = prop_of(sch, key);
		const struct csch *vs = ps ? ps : sch->addl;
		if (!ps && !sch->addl && !sch->addl_true && !sch->preserve) {
			pruned(&w, key);
			json_decref(*member);
			*member = NULL;
		} else if (json_is_null(*member) && vs && !vs->nullable) {
			json_decref(*member);
			*member = NULL;
		}
	}
	if (!*member && (flags & HUB_SCHEMA_DEFAULT)) {
		for (size_t i = 0; i < sch->ndefaults; i++)
			if (strcmp(sch->defaults[i].key, key) == 0)
				*member = json_deep_copy(sch->default_values[i]);
	}
	size_t i;
	const json_t *req;
	json_array_foreach(sch->required, i, req) {
		const char *rk = json_string_value(req);
		if (rk && !*member && strcmp(rk, key) == 0)
			required_cause(&w, rk);
	}
	if (*member)
		walk_member(&w, sch, key, *member);
	return (flags & HUB_SCHEMA_VALIDATE) ? w.ncauses : 0;
}
