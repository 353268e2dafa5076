/*
 * emu_metrics: the emulator's own measurements and their Prometheus text
 * rendering (/metrics): requests per operation and status code, a latency
 * histogram per operation (swarm/hist.h, exposed with fixed buckets
 * 0.5 ms .. 10 s), faults per kind and operation split into those that
 * reached the client and those lost because their exchange had gone (with
 * the error statuses sent and the seconds of latency injected), replies
 * lost to restarts, plus gauges the front end passes in at render time
 * (hosts and clusters per status, server connection counters). The same
 * fault counts render as JSON for /debug/faults. Operation labels come from
 * a bounded set (the model's operation names); past EMU_METRICS_MAX_OPS
 * distinct names everything is counted under operation="other". No I/O
 * besides the evbuffer.
 */
#ifndef EMU_METRICS_H
#define EMU_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <event2/buffer.h>
#include <jansson.h>

#include "as_model.h"
#include "emu_faults.h"
#include "emu_state.h"
#include "sw_server.h"

#define EMU_METRICS_MAX_OPS 160

struct emu_metrics;

/* Values sampled by the front end when /metrics is read. */
struct emu_metrics_gauges {
	uint64_t hosts[AS_HOST_STATUS_COUNT];
	uint64_t clusters[AS_CLUSTER_STATUS_COUNT];
	struct sw_server_stats server;
	uint64_t pending_delayed;   /* exchanges waiting for an injected delay */
	uint64_t auth_cache_hits, auth_cache_misses;
	uint64_t bytes_per_host;    /* emu_model_bytes_per_host() */
	uint64_t model_requests;    /* emu_model_requests(): requests that reached an operation */
	uint64_t goaway_faults;     /* GOAWAYs sent because of --goaway-after (0 when unset) */
	double uptime_seconds;
	int have_state;             /* --state-dir in use: |state| is filled */
	struct emu_state_stats state;
};

/* Creates empty metrics. Never returns NULL (aborts on OOM). Frees: emu_metrics_free(). */
struct emu_metrics *emu_metrics_new(void);
/* Frees |*mp| and sets it to NULL. NULL-safe. */
void emu_metrics_free(struct emu_metrics **mp);

/* Counts one answered request of |operation| (NULL = "unknown") with HTTP
 * |status| (0 = reset, no status sent) that took |duration_ns|. */
void emu_metrics_request(struct emu_metrics *m, const char *operation, int status,
                         uint64_t duration_ns);

/* Counts one fault of |kind| on |operation| ("*" for connection-wide faults)
 * that reached the client: an error status sent, a reset sent (h2 RST_STREAM,
 * HTTP/1.1 close), a delay applied to a reply that then left. */
void emu_metrics_fault(struct emu_metrics *m, enum emu_fault_kind kind, const char *operation);
/* Counts one fault drawn for |operation| whose exchange had gone (dropped by
 * a restart or closed by the client) before it could reach the client. */
void emu_metrics_fault_lost(struct emu_metrics *m, enum emu_fault_kind kind, const char *operation);
/* Adds a delivered latency fault's delay. */
void emu_metrics_fault_delay(struct emu_metrics *m, const char *operation, uint64_t delay_ns);
/* Counts an error status sent by an error fault. */
void emu_metrics_fault_status(struct emu_metrics *m, const char *operation, int status);
/* Counts an exchange of |operation| the emulator still held (delayed or
 * waiting) when a restart dropped its connection: its reply is lost. */
void emu_metrics_restart_lost(struct emu_metrics *m, const char *operation);
/* Counts a reply of |operation| that found its connection gone. */
void emu_metrics_reply_lost(struct emu_metrics *m, const char *operation);

/* Returns the request count recorded for |operation| and |status| (tests). */
uint64_t emu_metrics_get_requests(const struct emu_metrics *m, const char *operation, int status);
/* Returns the delivered / lost fault counts for |kind| and |operation| (tests). */
uint64_t emu_metrics_get_faults(const struct emu_metrics *m, enum emu_fault_kind kind,
                                const char *operation);
uint64_t emu_metrics_get_faults_lost(const struct emu_metrics *m, enum emu_fault_kind kind,
                                     const char *operation);
/* Returns the restart-lost count of |operation| (tests). */
uint64_t emu_metrics_get_restart_lost(const struct emu_metrics *m, const char *operation);

/*
 * The fault accounting as JSON (/debug/faults): per operation and kind what
 * reached the client and what was lost, error statuses, latency seconds,
 * restart-lost replies; the connection-wide GOAWAYs and restarts from |g|.
 * New reference, NULL on allocation failure.
 */
json_t *emu_metrics_faults_json(const struct emu_metrics *m, const struct emu_metrics_gauges *g);

/* Appends the whole exposition (all families) to |out|. |g| may be NULL. */
void emu_metrics_render(const struct emu_metrics *m, const struct emu_metrics_gauges *g,
                        struct evbuffer *out);

#endif
