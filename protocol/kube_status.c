#include "kube_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"

static json_t *must(json_t *j)
{
	if (!j) {
		fprintf(stderr, "kube_status: out of memory\n");
		abort();
	}
	return j;
}

const char *kube_status_reason(int code)
{
	switch (code) {
	case 400: return "BadRequest";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 405: return "MethodNotAllowed";
	case 406: return "NotAcceptable";
	case 409: return "Conflict";
	case 410: return "Expired";
	case 413: return "RequestEntityTooLarge";
	case 415: return "UnsupportedMediaType";
	case 422: return "Invalid";
	case 429: return "TooManyRequests";
	case 500: return "InternalError";
	case 503: return "ServiceUnavailable";
	case 504: return "Timeout";
	default: return "Unknown";
	}
}

json_t *kube_status_failure(int code, const char *reason, const char *message)
{
	json_t *st = must(json_object());
	json_object_set_new(st, "kind", must(json_string("Status")));
	json_object_set_new(st, "apiVersion", must(json_string("v1")));
	json_object_set_new(st, "metadata", must(json_object()));
	json_object_set_new(st, "status", must(json_string("Failure")));
	json_object_set_new(st, "message", must(json_string(message ? message : "")));
	json_object_set_new(st, "reason", must(json_string(reason ? reason : kube_status_reason(code))));
	json_object_set_new(st, "code", must(json_integer(code)));
	return st;
}

static json_t *details_of(json_t *st)
{
	json_t *d = json_object_get(st, "details");
	if (!d) {
		d = must(json_object());
		/* keep "details" before "code" like upstream's field order */
		json_object_set_new(st, "details", d);
	}
	return d;
}

void kube_status_details(json_t *st, const char *name, const char *group, const char *kind)
{
	json_t *d = details_of(st);
	if (name && name[0])
		json_object_set_new(d, "name", must(json_string(name)));
	if (group && group[0])
		json_object_set_new(d, "group", must(json_string(group)));
	if (kind && kind[0])
		json_object_set_new(d, "kind", must(json_string(kind)));
}

void kube_status_add_cause(json_t *st, const char *reason, const char *message, const char *field)
{
	json_t *d = details_of(st);
	json_t *causes = json_object_get(d, "causes");
	if (!causes) {
		causes = must(json_array());
		json_object_set_new(d, "causes", causes);
	}
	json_t *c = must(json_object());
	json_object_set_new(c, "reason", must(json_string(reason ? reason : "")));
	json_object_set_new(c, "message", must(json_string(message ? message : "")));
	if (field)
		json_object_set_new(c, "field", must(json_string(field)));
	json_array_append_new(causes, c);
}

/* Builds an error with |fmt| applied to the group-resource and name. */
static json_t *res_error(int code, const struct kube_res *r, const char *name, const char *fmt,
                         const char *extra)
{
	char gr[128], msg[1024];
	kube_res_group_resource(r, gr, sizeof(gr));
	snprintf(msg, sizeof(msg), fmt, gr, name ? name : "", extra ? extra : "");
	json_t *st = kube_status_failure(code, code == 409 && !extra ? "AlreadyExists" : NULL, msg);
	kube_status_details(st, name, r->group, r->plural);
	return st;
}

json_t *kube_status_not_found(const struct kube_res *r, const char *name)
{
	return res_error(404, r, name, "%s \"%s\" not found%s", NULL);
}

json_t *kube_status_already_exists(const struct kube_res *r, const char *name)
{
	return res_error(409, r, name, "%s \"%s\" already exists%s", NULL);
}

json_t *kube_status_conflict(const struct kube_res *r, const char *name, const char *why)
{
	return res_error(409, r, name, "Operation cannot be fulfilled on %s \"%s\": %s",
	                 why ? why : "the object has been modified; please apply your changes to the "
	                             "latest version and try again");
}

/* "Kind.group" as the apiserver names a kind in Invalid messages. */
static void group_kind(const struct kube_res *r, char *buf, size_t len)
{
	if (r->group[0])
		snprintf(buf, len, "%s.%s", r->kind, r->group);
	else
		snprintf(buf, len, "%s", r->kind);
}

json_t *kube_status_invalid(const struct kube_res *r, const char *name)
{
	char gk[128], msg[512];
	group_kind(r, gk, sizeof(gk));
	snprintf(msg, sizeof(msg), "%s \"%s\" is invalid", gk, name ? name : "");
	json_t *st = kube_status_failure(422, "Invalid", msg);
	kube_status_details(st, name, r->group, r->kind);
	return st;
}

void kube_status_finish_invalid(json_t *st, const struct kube_res *r, const char *name)
{
	char gk[128];
	group_kind(r, gk, sizeof(gk));
	json_t *causes = json_object_get(json_object_get(st, "details"), "causes");
	size_t n = json_array_size(causes);
	size_t cap = 256;
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(causes, i);
		cap += strlen(json_string_value(json_object_get(c, "field")) ?: "") +
		       strlen(json_string_value(json_object_get(c, "message")) ?: "") + 4;
	}
	char *msg = malloc(cap + strlen(gk) + strlen(name ? name : ""));
	if (!msg)
		abort();
	int off = sprintf(msg, "%s \"%s\" is invalid: %s", gk, name ? name : "", n > 1 ? "[" : "");
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(causes, i);
		const char *f = json_string_value(json_object_get(c, "field"));
		const char *m = json_string_value(json_object_get(c, "message"));
		off += sprintf(msg + off, "%s%s%s%s", i ? ", " : "", f ? f : "", f ? ": " : "", m ? m : "");
	}
	if (n > 1)
		strcat(msg, "]");
	json_object_set_new(st, "message", must(json_string(msg)));
	free(msg);
}

int kube_status_parse(const char *body, size_t len, struct kube_status_info *out)
{
	memset(out, 0, sizeof(*out));
	json_t *j = json_loadb(body, len, 0, NULL);
	if (!j || !json_is_object(j) ||
	    !json_is_string(json_object_get(j, "kind")) ||
	    strcmp(json_string_value(json_object_get(j, "kind")), "Status") != 0) {
		json_decref(j);
		return SW_ERR_PARSE;
	}
	out->code = (int)json_integer_value(json_object_get(j, "code"));
	snprintf(out->reason, sizeof(out->reason), "%s",
	         json_string_value(json_object_get(j, "reason")) ?: "");
	snprintf(out->message, sizeof(out->message), "%s",
	         json_string_value(json_object_get(j, "message")) ?: "");
	json_decref(j);
	return 0;
}
