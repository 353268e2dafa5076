/*
 * hub_client: the in-process API of the emulated hub for the emulated
 * controllers (InfraEnv, ClusterDeployment/ACI, Agent, BMAC,
 * PreprovisioningImage). A privileged client: no auth, no faults, no HTTP;
 * the same semantics as the REST API (validation, pruning, defaults,
 * resourceVersion conflicts, status subresource, finalizers, GC, watch
 * events to HTTP watchers).
 *
 * Return convention: 0 on success, or the negated HTTP status of the error
 * the apiserver would answer (-404 not found, -409 conflict or already
 * exists, -422 invalid, -400 bad request, -415); |status| (optional) then
 * receives the kube Status object (caller json_decref()s it).
 *
 * Objects go in as jansson values (borrowed, not changed) and come out as
 * new references the caller json_decref()s. Calls must not be made from
 * inside a hub_sub callback (enqueue the key and act later).
 */
#ifndef HUB_CLIENT_H
#define HUB_CLIENT_H

#include <jansson.h>

#include "hub.h"
#include "hub_store.h"
#include "kube_res.h"
#include "kube_selector.h"

/* Creates |obj| (namespace from its metadata). |*out| (optional): the stored object. */
int hub_create(struct hub *h, enum kube_res_id res, const json_t *obj, json_t **out, json_t **status);

/* Gets |ns|/|name| (ns NULL or "" for cluster-scoped) as a parsed copy. */
int hub_get(struct hub *h, enum kube_res_id res, const char *ns, const char *name, json_t **out);

/* Borrowed current version (no copy; valid until the next write to the hub),
 * or NULL. hub_blob_label(), ->json, ->rv, ->flags read it cheaply. */
const struct hub_blob *hub_peek(struct hub *h, enum kube_res_id res, const char *ns,
                                const char *name);

/* Calls |fn| for every object of |res| in |ns| (NULL = all) matching |labels|
 * (NULL = all), in key order; stops when |fn| returns nonzero (returned).
 * |fn| must not write to the hub. */
typedef int (*hub_list_fn)(void *arg, const struct hub_blob *obj);
int hub_list(struct hub *h, enum kube_res_id res, const char *ns, const struct kube_selector *labels,
             hub_list_fn fn, void *arg);

/* Replaces the object (main resource: status is kept as stored when the
 * resource has a status subresource). metadata.resourceVersion, when set,
 * must be current (-409 otherwise); when absent the update is unconditional. */
int hub_update(struct hub *h, enum kube_res_id res, const json_t *obj, json_t **out, json_t **status);

/* Replaces only the status (the /status subresource). Same precondition rule. */
int hub_update_status(struct hub *h, enum kube_res_id res, const json_t *obj, json_t **out,
                      json_t **status);

enum hub_patch_type { HUB_PATCH_MERGE, HUB_PATCH_JSON, HUB_PATCH_STRATEGIC };

/* Patches |ns|/|name| with |patch|; |status_sub| patches the /status subresource. */
int hub_patch(struct hub *h, enum kube_res_id res, const char *ns, const char *name,
              enum hub_patch_type type, const json_t *patch, int status_sub, json_t **out,
              json_t **status);

/* Deletes |ns|/|name| (background propagation; finalizers honoured: the
 * object then only gets its deletionTimestamp). */
int hub_delete(struct hub *h, enum kube_res_id res, const char *ns, const char *name,
               json_t **status);

/*
 * Change notifications, work-queue shaped: |fn| is called synchronously after
 * every change of |res| with the event type (ADDED, MODIFIED, DELETED), the
 * object's namespace and name (the queue key is "ns/name"), and the new
 * version (DELETED: the last one) and previous version (NULL for ADDED),
 * both borrowed for the call only. |fn| must not call the hub: enqueue and
 * reconcile later (e.g. from a zero-delay timer).
 */
typedef void (*hub_sub_fn)(void *arg, enum kube_watch_type type, const struct hub_blob *obj,
                           const struct hub_blob *prev);
struct hub_sub;
/* Subscribes. Never NULL (aborts on OOM). Frees: hub_unsubscribe(). */
struct hub_sub *hub_subscribe(struct hub *h, enum kube_res_id res, hub_sub_fn fn, void *arg);
/* Unsubscribes and frees |*sp|; sets it NULL. NULL-safe. Not from inside |fn|. */
void hub_unsubscribe(struct hub *h, struct hub_sub **sp);

/* Hook for the controllers' reconcile metrics: |fn| appends Prometheus text
 * to /metrics after the apiserver families. */
typedef void (*hub_metrics_fn)(void *arg, struct evbuffer *out);
void hub_set_metrics_hook(struct hub *h, hub_metrics_fn fn, void *arg);

/* The event loop the hub runs on (controllers arm their timers there). */
struct event_base *hub_base(const struct hub *h);

#endif
