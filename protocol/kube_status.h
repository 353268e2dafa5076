/*
 * kube_status: the Kubernetes meta/v1 Status object, in which every API
 * error is answered, with the apiserver's reasons and message formats
 * ("secrets \"x\" not found", "... already exists", "Operation cannot be
 * fulfilled on ...", "... is invalid: ...") and field causes; and the
 * parsing of one on the client side. jansson values; no I/O.
 */
#ifndef KUBE_STATUS_H
#define KUBE_STATUS_H

#include <jansson.h>
#include <stddef.h>

#include "kube_res.h"

/* The apiserver's default reason for an HTTP |code| ("NotFound", "Conflict",
 * "Expired" for 410, "Invalid" for 422, ...; "Unknown" when none). */
const char *kube_status_reason(int code);

/* Returns a new Status {kind, apiVersion v1, metadata {}, status Failure,
 * message, reason, code}; |reason| NULL = kube_status_reason(code).
 * Never NULL (aborts on OOM). Caller owns the reference. */
json_t *kube_status_failure(int code, const char *reason, const char *message);

/* Sets details {name, group, kind} (empty strings are left out). */
void kube_status_details(json_t *st, const char *name, const char *group, const char *kind);

/* Appends a cause {reason, message, field} to details.causes. */
void kube_status_add_cause(json_t *st, const char *reason, const char *message, const char *field);

/* The standard errors of resource |r| and object |name|, messages as upstream. */
json_t *kube_status_not_found(const struct kube_res *r, const char *name);
json_t *kube_status_already_exists(const struct kube_res *r, const char *name);
json_t *kube_status_conflict(const struct kube_res *r, const char *name, const char *why);
/* 422 Invalid with no causes yet ("Kind.group \"name\" is invalid: " + causes
 * are joined into the message by kube_status_finish_invalid()). */
json_t *kube_status_invalid(const struct kube_res *r, const char *name);
/* Rewrites the message of an Invalid status from its causes. */
void kube_status_finish_invalid(json_t *st, const struct kube_res *r, const char *name);

/* What a client needs of a Status body. */
struct kube_status_info {
	int code;            /* 0 when absent */
	char reason[64];
	char message[512];
};

/* Parses |body| as a Status. Returns 0, or SW_ERR_PARSE when it is not a
 * JSON object of kind Status. */
int kube_status_parse(const char *body, size_t len, struct kube_status_info *out);

#endif
