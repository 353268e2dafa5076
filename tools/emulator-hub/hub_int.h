/*
 * hub_int: internals shared by the hub's files (not an API). hub.c owns the
 * hub (life cycle, uids, time, deferred work, subscriptions), hub_ops.c the
 * write semantics (create/update/patch/delete, metadata, finalizers,
 * garbage collection, namespace cleanup), hub_http.c the HTTP routing,
 * hub_watch.c the HTTP watch streams, hub_discovery.c the discovery and
 * OpenAPI documents, hub_table.c Table output, hub_metrics.c /metrics.
 */
#ifndef HUB_INT_H
#define HUB_INT_H

#include <event2/event.h>
#include <jansson.h>

#include "hub.h"
#include "hub_client.h"
#include "hub_crd.h"
#include "hub_json.h"
#include "hub_schema.h"
#include "hub_store.h"
#include "hist.h"
#include "kube_path.h"
#include "kube_selector.h"

#define HUB_DEF_WINDOW 10000
#define HUB_DEF_MAX_BODY (3u * 1024 * 1024)
#define HUB_DEF_BOOKMARK_NS (60ull * 1000000000ull)
#define HUB_DEF_WATCH_TIMEOUT_NS (1800ull * 1000000000ull)
/* A watch stops being fed when this much of its output is still queued in
 * the transport; it catches up from the window when it drained (or ends when
 * it fell out of the window). */
#define HUB_WATCH_HIGH (1024 * 1024)
/* Codes tracked per verb and resource in apiserver_request_total. */
#define HUB_MAX_CODES 24

enum hub_fv { HUB_FV_WARN = 0, HUB_FV_IGNORE, HUB_FV_STRICT };

/* One write as the API sees it (HTTP or in-process). */
struct hub_op {
	enum kube_res_id res;
	const char *ns;            /* namespace of the URL (NULL/"" cluster-scoped or from the body) */
	const char *name;          /* name of the URL (NULL for create) */
	int status_sub;            /* the /status subresource */
	int dry_run;
	enum hub_fv fv;
	const char *propagation;   /* delete: "", Background, Foreground, Orphan */
	/* results */
	int code;                  /* HTTP status */
	json_t *result;            /* object answered, or NULL when |stored| is the answer */
	struct hub_blob *stored;   /* the stored version answered: the one written, or the
	                            * unchanged current one (a reference), or NULL */
	json_t *status;            /* Status answered on failure */
	json_t *warnings;          /* array of strings for Warning headers, or NULL */
};

struct hub_metric_cell {
	int code;
	uint64_t count;
};

struct hub_metrics {
	/* [verb][resource or KUBE_RES_COUNT for non-resource] */
	struct hub_metric_cell req[KUBE_VERB_COUNT + 1][KUBE_RES_COUNT + 1][HUB_MAX_CODES];
	struct hist *dur[KUBE_VERB_COUNT + 1][KUBE_RES_COUNT + 1]; /* allocated on first use */
	uint64_t watch_events[KUBE_RES_COUNT];
	uint64_t watches_ended_slow;
	uint64_t faults;
};

struct hub_terminating;   /* namespaces being deleted */
struct hub_gc_item;       /* deleted owners whose dependents are to be collected */
struct hub_pending;       /* requests waiting for an injected delay */
struct hub_wstream;       /* HTTP watches */

struct hub_sub {
	struct hub_watcher w;     /* first: the store calls it */
	hub_sub_fn fn;
	void *arg;
};

struct hub {
	struct hub_cfg cfg;
	struct hub_defs defs;
	struct hub_schema *schema;
	struct hub_store *store;
	uint64_t rng;
	struct event *work_ev;
	int work_armed;
	struct hub_gc_item *gc;
	struct hub_terminating *terms;
	struct hub_pending *pending;
	struct hub_wstream *streams;
	uint64_t nstreams;
	struct hub_metrics m;
	uint64_t requests;
	uint64_t watch_events_sent;
	hub_metrics_fn mhook;
	void *mhook_arg;
	struct hub_buf text;      /* scratch JSON text of the write being served */
};

/* hub.c */
void hub_uid(struct hub *h, char out[37]);
/* RFC 3339 UTC seconds ("2026-11-29T11:40:18Z") of now. */
void hub_now_rfc3339(char out[32]);
/* Schedules the deferred work (GC, namespaces). */
void hub_schedule_work(struct hub *h);
/* Standard base64 of |n| bytes into |out| (4 * ((n + 2) / 3) + 1 bytes, NUL-terminated). */
void hub_base64(const void *data, size_t n, char *out);
/* Dumps |j| compactly into a malloc'ed string (aborts on OOM). */
char *hub_dump(const json_t *j);

/* hub_ops.c */
int hub_op_create(struct hub *h, struct hub_op *op, json_t *body);
int hub_op_update(struct hub *h, struct hub_op *op, json_t *body);
int hub_op_patch(struct hub *h, struct hub_op *op, enum hub_patch_type type, const json_t *patch);
int hub_op_delete(struct hub *h, struct hub_op *op);
void hub_op_clear(struct hub_op *op);
/* One pass of garbage collection and namespace cleanup; returns 1 when more
 * work is pending. */
int hub_ops_work(struct hub *h);
void hub_ops_free(struct hub *h);

/* hub_http.c */
/* Parses the label and field selectors of |q| (fields: metadata.name and
 * metadata.namespace only). Returns 0, or answers 400 on |x|, sets *code and
 * returns -1. Free both with kube_selector_free(). */
int hub_http_selectors(struct hub *h, struct sw_exchange *x, const struct kube_query *q,
                       struct kube_selector **labels, struct kube_selector **fields, int *code);
/* Does |b| lie in |ns| (NULL/"" = any) and match both selectors? */
int hub_http_match(const struct hub_blob *b, const char *ns, const struct kube_selector *labels,
                   const struct kube_selector *fields);
/* Answers a Status error. */
void hub_http_reply_err(struct hub *h, struct sw_exchange *x, int code, const char *reason,
                        const char *msg);
/* Resets every request waiting for an injected delay (shutdown). */
void hub_http_free_pending(struct hub *h);

/* hub_watch.c */
/* Serves a watch request (verb watch) of resource |res|; |table|: the client
 * asked for Table output (kubectl get -w). */
void hub_watch_serve(struct hub *h, struct sw_exchange *x, const struct kube_reqinfo *ri,
                     const struct kube_query *q, int table);
/* Open HTTP watches of |res|. */
uint64_t hub_watch_open(const struct hub *h, enum kube_res_id res);
/* Ends every watch (shutdown). */
void hub_watch_close_all(struct hub *h);

/* hub_discovery.c */
/* Answers the non-resource GETs (/version, /api, /apis, /apis/G/V, /openapi/v2,
 * /healthz...). Returns 1 when it answered, 0 when the path is not one of them. */
int hub_discovery_serve(struct hub *h, struct sw_exchange *x, const char *path);

/* hub_table.c */
/* Renders |objs| (n blobs) of |res| as a meta.k8s.io/v1 Table (new reference). */
json_t *hub_table(struct hub *h, enum kube_res_id res, const struct hub_blob *const *objs, size_t n,
                  uint64_t list_rv, const char *cont);

/* hub_metrics.c */
void hub_metrics_count(struct hub *h, int verb, int res, int code, uint64_t dur_ns);

#endif
