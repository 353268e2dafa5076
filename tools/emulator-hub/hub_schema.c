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

#include "xalloc.h"

/* Patterns compiled once per distinct text. */
struct pat {
	char *text;
	regex_t re;
	int ok;
	struct pat *next;
};

struct hub_schema {
	struct pat *pats;
};

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

static size_t path_push_key(struct walk *w, const char *key)
{
	/* plain copies: this runs for every field of every write */
	size_t old = w->plen, kl = strlen(key), dot = w->plen ? 1 : 0;
	if (w->plen + dot + kl + 1 > sizeof(w->path))
		kl = sizeof(w->path) - 1 - w->plen - dot;
	if (dot)
		w->path[w->plen] = '.';
	memcpy(w->path + w->plen + dot, key, kl);
	w->plen += dot + kl;
	w->path[w->plen] = '\0';
	return old;
}

static size_t path_push_fmt(struct walk *w, const char *fmt, const char *s, size_t i)
{
	size_t old = w->plen;
	int n = s ? snprintf(w->path + w->plen, sizeof(w->path) - w->plen, fmt, s)
	          : snprintf(w->path + w->plen, sizeof(w->path) - w->plen, fmt, i);
	if (n > 0)
		w->plen = w->plen + (size_t)n < sizeof(w->path) ? w->plen + (size_t)n : sizeof(w->path) - 1;
	return old;
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

/* ---- the walk ---- */

static void walk_value(struct walk *w, const json_t *sch, json_t *v);

static int is_nullable(const json_t *sch)
{
	return json_is_true(json_object_get(sch, "nullable"));
}

static int type_ok(const json_t *sch, const char *type, const json_t *v)
{
	if (json_is_true(json_object_get(sch, "x-kubernetes-int-or-string")))
		return json_is_integer(v) || json_is_string(v);
	if (!type)
		return 1;
	if (strcmp(type, "object") == 0)
		return json_is_object(v);
	if (strcmp(type, "array") == 0)
		return json_is_array(v);
	if (strcmp(type, "string") == 0)
		return json_is_string(v);
	if (strcmp(type, "integer") == 0)
		return json_is_integer(v);
	if (strcmp(type, "number") == 0)
		return json_is_number(v);
	if (strcmp(type, "boolean") == 0)
		return json_is_boolean(v);
	return 1;
}

/* Prunes, defaults and validates the members of object |v|. */
static void walk_object(struct walk *w, const json_t *sch, json_t *v, int root)
{
	const json_t *props = json_object_get(sch, "properties");
	const json_t *addl = json_object_get(sch, "additionalProperties");
	int preserve = json_is_true(json_object_get(sch, "x-kubernetes-preserve-unknown-fields"));
	const char *key;
	json_t *val;
	void *tmp;
	/* prune: unknown keys, and nulls where not nullable */
	if (w->flags & HUB_SCHEMA_PRUNE) {
		json_object_foreach_safe(v, tmp, key, val) {
			if (root && strcmp(key, "metadata") == 0)
				continue;
			const json_t *ps = props ? json_object_get(props, key) : NULL;
			if (!ps && !json_is_object(addl) && !json_is_true(addl) && !preserve) {
				pruned(w, key);
				json_object_del(v, key);
				continue;
			}
			const json_t *vs = ps ? ps : (json_is_object(addl) ? addl : NULL);
			if (json_is_null(val) && vs && !is_nullable(vs))
				json_object_del(v, key);
		}
	}
	/* defaults: properties that are absent and have a default */
	if ((w->flags & HUB_SCHEMA_DEFAULT) && props) {
		const json_t *ps;
		json_object_foreach((json_t *)props, key, ps) {
			const json_t *def = json_object_get(ps, "default");
			if (def && !json_object_get(v, key))
				json_object_set_new(v, key, json_deep_copy(def));
		}
	}
	/* required */
	size_t i;
	const json_t *req;
	json_array_foreach(json_object_get(sch, "required"), i, req) {
		const char *rk = json_string_value(req);
		if (rk && !json_object_get(v, rk)) {
			size_t old = path_push_key(w, rk);
			cause(w, "FieldValueRequired", "Required value");
			path_pop(w, old);
		}
	}
	/* members */
	json_object_foreach(v, key, val) {
		if (root && strcmp(key, "metadata") == 0)
			continue;
		const json_t *ps = props ? json_object_get(props, key) : NULL;
		size_t old;
		if (ps) {
			old = path_push_key(w, key);
			walk_value(w, ps, val);
			path_pop(w, old);
		} else if (json_is_object(addl)) {
			old = path_push_fmt(w, "[%s]", key, 0);
			walk_value(w, addl, val);
			path_pop(w, old);
		}
	}
	json_int_t maxp = json_integer_value(json_object_get(sch, "maxProperties"));
	if (json_object_get(sch, "maxProperties") && (json_int_t)json_object_size(v) > maxp)
		cause(w, "TooMany", "Too many: %zu: must have at most %lld items", json_object_size(v),
		      (long long)maxp);
}

static void check_bounds(struct walk *w, const json_t *sch, const json_t *v)
{
	char shown[256];
	if (json_is_number(v)) {
		const json_t *mn = json_object_get(sch, "minimum"), *mx = json_object_get(sch, "maximum");
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
	if (json_is_string(v)) {
		const json_t *mnl = json_object_get(sch, "minLength"), *mxl = json_object_get(sch, "maxLength");
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
	if (json_is_array(v)) {
		const json_t *mni = json_object_get(sch, "minItems"), *mxi = json_object_get(sch, "maxItems");
		size_t n = json_array_size(v);
		if (mxi && (json_int_t)n > json_integer_value(mxi))
			cause(w, "FieldValueTooMany", "Too many: %zu: must have at most %lld items", n,
			      (long long)json_integer_value(mxi));
		if (mni && (json_int_t)n < json_integer_value(mni))
			cause(w, "FieldValueInvalid", "Invalid value: %zu: %s in body should have at least %lld items", n,
			      w->path, (long long)json_integer_value(mni));
	}
}

static void walk_value(struct walk *w, const json_t *sch, json_t *v)
{
	char shown[256];
	const char *type = json_string_value(json_object_get(sch, "type"));
	if (json_is_null(v)) {
		if (!is_nullable(sch) && type)
			cause(w, "FieldValueInvalid", "Invalid value: \"null\": %s in body must be of type %s: \"null\"",
			      w->path, type);
		return;
	}
	if (!type_ok(sch, type, v)) {
		cause(w, "FieldValueInvalid", "Invalid value: \"%s\": %s in body must be of type %s: \"%s\"",
		      json_type_name(v), w->path, type, json_type_name(v));
		return;
	}
	const json_t *en = json_object_get(sch, "enum");
	if (json_is_array(en)) {
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
	const char *format = json_string_value(json_object_get(sch, "format"));
	if (format && check_format(format, v)) {
		show(v, shown, sizeof(shown));
		cause(w, "FieldValueInvalid", "Invalid value: %s: %s in body must be of type %s: %s", shown,
		      w->path, format, shown);
	}
	const char *pat = json_string_value(json_object_get(sch, "pattern"));
	if (pat && json_is_string(v)) {
		struct pat *p = pattern(w->s, pat);
		if (p->ok && regexec(&p->re, json_string_value(v), 0, NULL, 0) != 0) {
			show(v, shown, sizeof(shown));
			cause(w, "FieldValueInvalid", "Invalid value: %s: %s in body should match '%s'", shown, w->path,
			      pat);
		}
	}
	check_bounds(w, sch, v);
	/* allOf / anyOf carry value validations only in structural schemas */
	size_t i;
	const json_t *sub;
	json_array_foreach(json_object_get(sch, "allOf"), i, sub) {
		int saved = w->flags;
		w->flags &= ~(HUB_SCHEMA_PRUNE | HUB_SCHEMA_DEFAULT);
		walk_value(w, sub, v);
		w->flags = saved;
	}
	if (json_is_object(v))
		walk_object(w, sch, v, 0);
	else if (json_is_array(v)) {
		const json_t *items = json_object_get(sch, "items");
		json_t *it;
		json_array_foreach(v, i, it) {
			if (!items)
				break;
			size_t old = path_push_fmt(w, "[%zu]", NULL, i);
			walk_value(w, items, it);
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
	walk_object(&w, schema, obj, 1);
	return (flags & HUB_SCHEMA_VALIDATE) ? w.ncauses : 0;
}
