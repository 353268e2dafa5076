/*
 * kube_client: a Kubernetes API client on the shared transport (sw_client:
 * HTTP/2 to the apiserver, HTTP/1.1 when that is what the server speaks),
 * for one apiserver and one event loop.
 *
 * Owns: its sw_client, the bearer token, the calls in flight or waiting
 * for a retry, and the informers (kube_informer.h) built on it.
 *
 * Calls: create, get, merge-patch (main resource or a subresource), delete,
 * list pages, and a conflict-retried write (kube_write: merge patch with a
 * resourceVersion precondition; on 409 Conflict it gets the object again and
 * asks the caller to re-apply). Each returns 0, and then the call ends in its
 * callback exactly once, from the loop, never inside the function that
 * started it (a failure to build or send the request included), or
 * SW_ERR_NOMEM when not even the call could be allocated (no callback).
 * Only kube_client_free() drops started calls without their callback.
 *
 * Retries, as client-go and controller work queues do for the errors they
 * retry: transport errors that are not fatal (sw_err_is_fatal), 429 and 5xx
 * are re-sent up to max_attempts times after the server's Retry-After (at
 * most 60 s) or an exponential back-off with jitter. A create re-sent after
 * an ambiguous failure may answer 409 AlreadyExists (the first one landed),
 * a delete 404: callers treat those as done.
 *
 * Not thread-safe: one client per event loop.
 */
#ifndef KUBE_CLIENT_H
#define KUBE_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>
#include <jansson.h>

#include "kube_path.h"
#include "kube_res.h"
#include "kube_status.h"
#include "sw_client.h"

struct kube_client;

/* Called once per HTTP exchange (each attempt), for measurements: |err| a
 * SW_ERR_* transport error (status 0) or 0 with the HTTP |status|; monotonic
 * send and completion times. A watch is reported when its answer starts
 * flowing (completion = then), or at its end when it never did. */
typedef void (*kube_observe_fn)(void *arg, enum kube_verb verb, enum kube_res_id res, int err,
                                int status, uint64_t sent_ns, uint64_t done_ns);

struct kube_client_cfg {
	struct sw_client_cfg http;     /* url, proto, TLS (files or PEM), limits */
	const char *bearer_token;      /* Authorization: Bearer <token>; NULL = none (copied) */
	unsigned max_attempts;         /* per call, the first included; default 10 */
	unsigned backoff_initial_ms;   /* default 200 */
	unsigned backoff_max_ms;       /* default 10000 */
	unsigned watch_timeout_s;      /* server-side timeoutSeconds of a watch: each watch
	                                * picks one in [T, 2T) like client-go; default 300 */
	unsigned list_limit;           /* list page size; default 500 */
	int timer_prio;                /* libevent priority of retry timers; -1 = default */
	uint64_t seed;                 /* jitter */
	kube_observe_fn observe;       /* may be NULL */
	void *observe_arg;
};

/* Creates a client on |base| (sw_client_new with cfg->http: TLS material is
 * loaded here). Returns NULL with a message in |err|. Frees: kube_client_free(). */
struct kube_client *kube_client_new(struct event_base *base, const struct kube_client_cfg *cfg,
                                    char *err, size_t errlen);
/* Frees the informers still attached, drops every call (no callback runs)
 * and closes the connections. Sets *kp = NULL. NULL-safe. */
void kube_client_free(struct kube_client **kp);
/* The transport, e.g. for sw_client_set_priorities() or its counters. */
struct sw_client *kube_client_transport(struct kube_client *k);
/* Calls in flight or waiting for a retry. */
unsigned kube_client_live(const struct kube_client *k);

/* The outcome of a call. */
struct kube_result {
	int err;                       /* 0: |status| holds the answer; else SW_ERR_* */
	const char *msg;               /* with err: why */
	int status;                    /* HTTP status (0 with err, or a write the caller skipped) */
	json_t *obj;                   /* parsed 2xx body (borrowed, valid in the callback) */
	struct kube_status_info st;    /* parsed Status of a non-2xx answer (code 0 if none) */
	unsigned attempts;             /* HTTP exchanges made */
	unsigned conflicts;            /* kube_write: 409 Conflicts re-applied */
	int skipped;                   /* kube_write: the apply function had nothing to write */
};

typedef void (*kube_done_fn)(void *arg, const struct kube_result *r);

/* Creates |obj| (borrowed; its metadata.namespace is used for namespaced
 * resources). */
int kube_create(struct kube_client *k, enum kube_res_id res, const json_t *obj,
                 kube_done_fn done, void *arg);
/* Gets one object. */
int kube_get(struct kube_client *k, enum kube_res_id res, const char *ns, const char *name,
              kube_done_fn done, void *arg);
/* Merge-patches one object or its |sub|resource ("status"; NULL = main). */
int kube_patch(struct kube_client *k, enum kube_res_id res, const char *ns, const char *name,
                const char *sub, const json_t *patch, kube_done_fn done, void *arg);
/* Deletes one object (background propagation, as kubectl). */
int kube_delete(struct kube_client *k, enum kube_res_id res, const char *ns, const char *name,
                 kube_done_fn done, void *arg);
/* GETs |path|, a URL that is no resource (/version, discovery); observed
 * with resource KUBE_RES_COUNT. */
int kube_get_raw(struct kube_client *k, const char *path, kube_done_fn done, void *arg);
/* Lists one page: |query| (without '?', already encoded; NULL = none) is
 * appended, e.g. "labelSelector=...&limit=1". */
int kube_list(struct kube_client *k, enum kube_res_id res, const char *ns, const char *query,
               kube_done_fn done, void *arg);

/*
 * The patch to write given the current object |cur| (NULL on the first
 * attempt: the caller builds it from what it already knows), as a new JSON
 * object; NULL when there is nothing (left) to write. The client adds
 * metadata.resourceVersion as the precondition.
 */
typedef json_t *(*kube_apply_fn)(void *arg, const json_t *cur);

/*
 * Writes a merge patch to |res| |ns|/|name| (|sub| "status" or NULL) under a
 * resourceVersion precondition: |rv| when the caller knows one (0: get the
 * object first), then after each 409 Conflict the object is read again and
 * |apply| asked again, up to 10 conflicts. |done| gets the final answer
 * (r->conflicts counts the re-applies; r->skipped when |apply| returned
 * NULL, then status 0).
 */
int kube_write(struct kube_client *k, enum kube_res_id res, const char *ns, const char *name,
                const char *sub, uint64_t rv, kube_apply_fn apply, kube_done_fn done, void *arg);

/* metadata.resourceVersion of |obj| as a number (0 when absent or not a number). */
uint64_t kube_obj_rv(const json_t *obj);
/* Percent-encodes |s| as one query value into |out|. Returns its length or
 * SW_ERR_TOO_BIG. */
int kube_query_escape(const char *s, char *out, size_t outlen);

#endif
