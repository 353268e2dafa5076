/*
 * emu_metrics: the emulator's own measurements and their Prometheus text
 * rendering (/metrics): requests per operation and status code, a latency
 * histogram per operation (swarm/hist.h, exposed with fixed buckets
 * 0.5 ms .. 10 s), injected faults per kind and operation, plus gauges the
 * front end passes in at render time (hosts and clusters per status, server
 * connection counters). Operation labels come from a bounded set (the
 * model's operation names); past EMU_METRICS_MAX_OPS distinct names
 * everything is counted under operation="other". No I/O besides the evbuffer.
 */
#ifndef EMU_METRICS_H
#define EMU_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <event2/buffer.h>

#include "as_model.h"
#include "emu_faults.h"
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
};

/* Creates empty metrics. Never returns NULL (aborts on OOM). Frees: emu_metrics_free(). */
struct emu_metrics *emu_metrics_new(void);
/* Frees |*mp| and sets it to NULL. NULL-safe. */
void emu_metrics_free(struct emu_metrics **mp);

/* Counts one answered request of |operation| (NULL = "unknown") with HTTP
 * |status| (0 = reset, no status sent) that took |duration_ns|. */
void emu_metrics_request(struct emu_metrics *m, const char *operation, int status,
                         uint64_t duration_ns);

/* Counts one injected fault of |kind| on |operation| ("*" for connection-wide faults). */
void emu_metrics_fault(struct emu_metrics *m, enum emu_fault_kind kind, const char *operation);

/* Returns the request count recorded for |operation| and |status| (tests). */
uint64_t emu_metrics_get_requests(const struct emu_metrics *m, const char *operation, int status);
/* Returns the fault count for |kind| and |operation| (tests). */
uint64_t emu_metrics_get_faults(const struct emu_metrics *m, enum emu_fault_kind kind,
                                const char *operation);

/* Appends the whole exposition (all families) to |out|. |g| may be NULL. */
void emu_metrics_render(const struct emu_metrics *m, const struct emu_metrics_gauges *g,
                        struct evbuffer *out);

#endif
