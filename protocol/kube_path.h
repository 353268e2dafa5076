/*
 * kube_path: Kubernetes API URLs both ways. Parses a request (method, path,
 * query) into the apiserver's "request info" (verb, group, version,
 * resource, namespace, name, subresource) and the list/watch/write query
 * options; builds resource paths for a client. Pure functions: no I/O, no
 * allocation (fixed buffers, over-long parts are refused).
 */
#ifndef KUBE_PATH_H
#define KUBE_PATH_H

#include <stddef.h>
#include <stdint.h>

#include "kube_res.h"

enum kube_verb {
	KUBE_VERB_GET = 0,
	KUBE_VERB_LIST,
	KUBE_VERB_WATCH,
	KUBE_VERB_CREATE,
	KUBE_VERB_UPDATE,
	KUBE_VERB_PATCH,
	KUBE_VERB_DELETE,
	KUBE_VERB_DELETECOLLECTION,
	KUBE_VERB_COUNT
};

/* Returns "get", "list", "watch", "create", "update", "patch", "delete",
 * "deletecollection"; never NULL. */
const char *kube_verb_name(enum kube_verb v);
/* Returns the verb named |s|, or -1. */
int kube_verb_from_name(const char *s);

#define KUBE_NAME_MAX 254   /* DNS subdomain (253) + NUL */
#define KUBE_SEG_MAX 64

/* What a request addresses. */
struct kube_reqinfo {
	int is_resource;                 /* 1: a resource URL; 0: discovery or other */
	enum kube_verb verb;
	char group[KUBE_SEG_MAX];        /* "" core */
	char version[KUBE_SEG_MAX];
	char resource[KUBE_SEG_MAX];     /* plural */
	char subresource[KUBE_SEG_MAX];  /* "", "status", ... */
	char ns[KUBE_NAME_MAX];          /* namespace, "" when none */
	char name[KUBE_NAME_MAX];        /* "" for collections */
	const struct kube_res *res;      /* kube_res_find() of the above, NULL if unknown */
};

/*
 * Parses |method| + |path| (percent-encoded, no query) + |query| (no '?')
 * into |ri| the way the apiserver does: /api/v1/..., /apis/GROUP/VERSION/...,
 * namespaces/NS/RESOURCE[/NAME[/SUB]], a namespace's own URL
 * /api/v1/namespaces/NAME[/SUB]; GET on a collection is "list", or "watch"
 * with watch=1|true; DELETE on a collection "deletecollection".
 * Returns 0 (|ri|->is_resource says whether it was a resource URL),
 * SW_ERR_PARSE for a malformed path (bad escape, empty segment), or
 * SW_ERR_TOO_BIG when a segment is over its buffer.
 */
int kube_reqinfo_parse(const char *method, const char *path, const char *query,
                       struct kube_reqinfo *ri);

/* Query options of list, watch, get, writes and deletes. Strings are
 * percent-decoded and NUL-terminated; "" when absent. */
struct kube_query {
	char label_selector[1024];
	char field_selector[512];
	char resource_version[32];
	char resource_version_match[32];
	char continue_token[256];
	char field_validation[16];    /* "", Ignore, Warn, Strict */
	char propagation_policy[16];  /* "", Orphan, Background, Foreground */
	char field_manager[128];
	int64_t limit;                /* 0 = none */
	int64_t timeout_seconds;      /* -1 = absent */
	int watch;                    /* watch=1|true */
	int allow_watch_bookmarks;
	int send_initial_events;      /* -1 absent, 0 false, 1 true */
	int dry_run_all;              /* dryRun=All */
	int has_resource_version;     /* resourceVersion given (even "") */
};

/* Parses |query| into |q|. Returns 0, or SW_ERR_PARSE with the offending
 * parameter name copied to |bad| (|badlen| bytes) for a bad value or escape,
 * SW_ERR_TOO_BIG when a value is over its buffer. Unknown parameters are
 * ignored (as the apiserver does). */
int kube_query_parse(const char *query, struct kube_query *q, char *bad, size_t badlen);

/* Finds parameter |name| in |query| and percent-decodes it ('+' is a space)
 * into |out|. Returns its length, SW_ERR_NOT_FOUND, SW_ERR_TOO_BIG or
 * SW_ERR_PARSE. */
int kube_query_get(const char *query, const char *name, char *out, size_t outlen);

/* Builds the path of |r| objects: the collection (|name| NULL), one object, or
 * one object's |sub|resource. |ns| is ignored for cluster-scoped resources and
 * may be NULL for an all-namespaces collection. Returns the length or
 * SW_ERR_TOO_BIG / SW_ERR_INVALID. */
int kube_path_build(char *buf, size_t len, const struct kube_res *r, const char *ns,
                    const char *name, const char *sub);

#endif
