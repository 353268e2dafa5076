/*
 * hub: the emulated hub's kube-apiserver subset. Serves the Kubernetes API
 * (discovery, the resources of protocol/kube_res.h, CRUD, list, watch,
 * patch, status subresource, finalizers, garbage collection, Table output,
 * a minimal OpenAPI v2 document, /version, /healthz, /metrics) on an
 * sw_server the caller owns: hand hub_handler() to sw_server_new() with the
 * hub as its argument. In-process clients (the emulated controllers) use
 * hub_client.h on the same hub. Single-threaded, on |cfg.base|.
 */
#ifndef HUB_H
#define HUB_H

#include <stddef.h>
#include <stdint.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "kube_path.h"
#include "sw_server.h"

struct hub;

/* What the fault hook decides for one request. */
struct hub_fault {
	int reset;           /* reset the stream/connection instead of answering */
	int error_status;    /* answer this status (a kube Status) instead */
	uint64_t delay_ns;   /* act after this delay */
};

/* Called once per API request with its verb and resource plural ("" when the
 * URL is not a resource: discovery); fills |out| (zeroed by the caller). */
typedef void (*hub_fault_fn)(void *arg, enum kube_verb verb, const char *resource,
                             struct hub_fault *out);

struct hub_cfg {
	struct event_base *base;
	size_t watch_window;          /* events kept per resource (default 10000) */
	uint64_t bookmark_interval_ns;/* BOOKMARK period of watches that allow them (default 60 s) */
	uint64_t watch_timeout_ns;    /* watch length without timeoutSeconds (default 30 min) */
	size_t max_body;              /* request body limit (default 3 MiB, as the apiserver) */
	const char *token;            /* bearer token required on every request when set */
	uint64_t seed;                /* uid generator seed */
	hub_fault_fn fault;           /* may be NULL */
	void *fault_arg;
	int full_writes;              /* every write parses and rewrites the whole object (no
	                               * /status shortcut): the reference the tests hold it to */
};

/* Creates the hub (loads the CRDs). Returns NULL with a message in |err|.
 * Frees: hub_free(). */
struct hub *hub_new(const struct hub_cfg *cfg, char *err, size_t errlen);
/* Ends every watch and delayed request, frees the hub; *hp = NULL. Call
 * before freeing the server. NULL-safe. */
void hub_free(struct hub **hp);

/* The sw_handler_fn serving the API, |arg| = the hub. */
void hub_handler(void *arg, struct sw_exchange *x, struct sw_sreq *req);

/* Appends the hub's Prometheus families (apiserver_*) to |out|. */
void hub_metrics_render(struct hub *h, struct evbuffer *out);

/* Runs deferred work now (garbage collection, namespace cleanup) until none
 * is left; the hub otherwise runs it from a zero-delay timer. For tests. */
void hub_run_pending(struct hub *h);

/* Counters for tests and the benchmark. */
struct hub_stats {
	uint64_t requests;
	uint64_t watches_open;
	uint64_t watch_events_sent;
	uint64_t watches_ended_slow;   /* ended because the client fell out of the window */
	uint64_t objects;
};
void hub_get_stats(const struct hub *h, struct hub_stats *out);

#endif
