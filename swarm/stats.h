/*
 * stats: everything a shard measures, in one mergeable struct. Each shard
 * owns one swarm_stats and updates it from its loop thread only; the main
 * thread reads copies (shard_snapshot) and merges them for the live view,
 * /metrics and the final report.
 *
 * Latency is recorded twice per request: from the actual send
 * (service time) and from the intended send time (the moment the agent's
 * schedule said it should go, so that queueing behind a slow service or a
 * late loop is not hidden: coordinated omission).
 */
#ifndef SWARM_STATS_H
#define SWARM_STATS_H

#include <stddef.h>
#include <stdint.h>
#include "hist.h"
#include "sw_http.h"
#include "kstats.h"

/* Every call the swarm makes, by operation (protocol/README.md §3.0). */
enum swarm_ep {
	EP_REGISTER_HOST, EP_GET_STEPS, EP_POST_STEP, EP_HOST_LOGS_PROGRESS, EP_UPLOAD_LOGS,
	EP_HOST_PROGRESS, EP_DOWNLOAD_FILE, EP_DOWNLOAD_IGNITION, EP_GET_CLUSTER,
	EP_LIST_HOSTS, EP_CLUSTER_LOGS_PROGRESS, EP_CLUSTER_PROGRESS, EP_GET_OPERATORS,
	EP_PUT_OPERATOR, EP_INGRESS_CERT, EP_COMPLETE_INSTALL, EP_EVENTS,
	EP_COMPONENT_VERSIONS, EP_OPENSHIFT_VERSIONS, EP_REGISTER_CLUSTER,
	EP_REGISTER_INFRAENV, EP_GET_INFRAENV, EP_PATCH_CLUSTER, EP_INSTALL_CLUSTER,
	EP_DELETE_CLUSTER, EP_DELETE_INFRAENV, EP_API_PROBE, EP_KUBE, EP_OTHER,
	EP_COUNT
};

/* Swarm-side phase of an emulated host (for the progress view). */
enum swarm_host_phase {
	HP_WAITING,      /* cluster not started yet / host not booted */
	HP_REGISTERING,  /* registering (incl. retries) */
	HP_DISCOVERY,    /* polling steps before installation */
	HP_INSTALLING,   /* emulated installer running */
	HP_REBOOTED,     /* reported Rebooting; silent like a rebooting machine */
	HP_DONE,         /* controller reported Done */
	HP_FAILED,       /* gave up or service put it in error */
	HP_COUNT
};

#define STATS_HTTP_CODES 600
#define STATS_ERR_SLOTS 24
/* Retries of the retry policy after an HTTP status: 408, 429, 500-504, other 5xx. */
#define STATS_RETRY_HTTP_SLOTS 8

struct swarm_ep_stats {
	uint64_t count;                   /* completed calls (any outcome) */
	uint64_t status[STATS_HTTP_CODES];/* by HTTP status (index = code) */
	uint64_t transport_errors[STATS_ERR_SLOTS]; /* by -SW_ERR_* code (index = -code) */
	/* Retries (every attempt is also counted above, as a call): */
	uint64_t retries_transport[SW_RETRY_REASON_COUNT]; /* re-sent by the client on its own
	                                                    * (enum sw_retry_reason) */
	uint64_t retries_http[STATS_RETRY_HTTP_SLOTS];      /* re-sent by the retry policy after
	                                                    * this status (stats_retry_name) */
	uint64_t retries_error[STATS_ERR_SLOTS];           /* ... after this transport error */
	struct hist service;              /* actual send -> response */
	struct hist intended;             /* intended send -> response */
};

struct swarm_cluster_record {
	char name[64];
	char id[40];                      /* service cluster id */
	unsigned shape;                   /* index in plan shapes */
	unsigned hosts;
	uint64_t t_intended_ns;           /* scheduled start (relative to run start) */
	uint64_t t_started_ns;            /* actual start */
	uint64_t t_ready_ns;              /* cluster reached ready (0 = never) */
	uint64_t t_installed_ns;          /* installed (0 = never) */
	uint64_t t_finished_ns;           /* installed or failed */
	int status;                       /* enum as_cluster_status last seen */
	int failed;                       /* 1 when the run counts it as failed */
	char failure[128];                /* why, when failed */
	/* kube mode */
	uint32_t kube_provisioned_ms;     /* its slowest host: BMH creation -> provisioned (0 none) */
	uint32_t kube_agent_ms;           /* its slowest host: BMH creation -> Agent seen (0 none) */
	uint8_t kube_cleanup;             /* 0 none, 1 namespace deleted, 2 left (cleanup_timeout) */
};

/* Outcome of the finished clusters of one plan shape (folded from their
 * records as each cluster ends, so the per-shape figures survive the
 * records being compacted away in soak runs). */
struct swarm_shape_stats {
	uint64_t clusters, installed, failed;
	struct hist ready;                /* cluster start -> ready */
	struct hist installed_h;          /* cluster start -> installed */
};

struct swarm_stats {
	struct swarm_ep_stats ep[EP_COUNT];
	int64_t hosts_by_phase[HP_COUNT];  /* gauges */
	uint64_t clusters_total, clusters_started, clusters_ready, clusters_installed,
	         clusters_failed;
	uint64_t requests, errors;         /* errors: transport errors + 5xx + unexpected 4xx */
	uint64_t retries;                  /* every retry, transport and retry policy */
	uint64_t goaways;                  /* GOAWAYs (HTTP/1.1: connection: close answers) the
	                                    * shard's client received (set when publishing) */
	struct hist lateness;              /* timer firing lateness vs schedule */
	struct hist start_delay;           /* cluster actual start - intended start */
	struct hist cluster_ready;         /* create -> ready */
	struct hist cluster_installed;     /* create -> installed */
	uint64_t cpu_ns;                   /* thread CPU time of the shard */
	/* Saturation (golden signals): intended send -> actual send of every
	 * call, and two gauges the shard sets when it publishes. */
	struct hist send_delay;
	int64_t calls_in_flight;           /* calls sent or waiting for a retry */
	int64_t hosts_waiting_slot;        /* hosts of due clusters held back by MAX_CONCURRENT */
	struct swarm_kube_stats kube;      /* kube mode (kstats.h); zero otherwise */
	struct swarm_cluster_record *clusters; /* owned; shard appends */
	size_t nclusters, capclusters;
	struct swarm_shape_stats *shapes;  /* owned; [shape index], grown by stats_fold_cluster() */
	size_t nshapes;
	uint64_t records_compacted;        /* finished records dropped after folding (soak) */
};

/* Returns the operation's stable name ("register_host"), never NULL. */
const char *stats_ep_name(enum swarm_ep ep);
const char *stats_phase_name(enum swarm_host_phase p);

/* Returns nonzero when |status| on |ep| counts as an error (5xx, and 4xx
 * except 404 on deletes: already gone; for kube calls 404, 409 and 410,
 * which kube mode handles). Status 0 or out of range is one. */
int stats_status_is_error(enum swarm_ep ep, int status);

/* Initialises |s| (zeroed histograms, no clusters). */
void stats_init(struct swarm_stats *s);
/* Frees the cluster records; |s| can be re-initialised. NULL-safe. */
void stats_free(struct swarm_stats *s);

/*
 * Records one completed call: |err| 0 and |status| the HTTP code, or |err| a
 * negative SW_ERR_* and status 0. Times are monotonic ns; |intended_ns| may
 * equal |sent_ns| when the call had no schedule.
 */
void stats_record_call(struct swarm_stats *s, enum swarm_ep ep, int err, int status,
                       uint64_t intended_ns, uint64_t sent_ns, uint64_t done_ns);
/* Counts the transport-level retries |r| (may be NULL) of one call of |ep|. */
void stats_record_transport_retries(struct swarm_stats *s, enum swarm_ep ep,
                                    const struct sw_retries *r);
/* Counts one retry of a call of |ep| by the retry policy after |err| (a
 * negative SW_ERR_*) or, with |err| 0, after HTTP |status|. */
void stats_record_retry(struct swarm_stats *s, enum swarm_ep ep, int err, int status);
/*
 * The label of retry slot |i| of an operation, over all three arrays in
 * order: transport retries (sw_retry_reason_name: "goaway", ...), then
 * "http_408", "http_429", "http_500".."http_504", "http_5xx", then
 * "error_" + sw_err_name() ("error_reset", ...; "error_other" for slot 0).
 * |*n| gets the count of |e| in that slot. Returns NULL past the last slot.
 */
const char *stats_retry_slot(const struct swarm_ep_stats *e, unsigned i, uint64_t *n, char *buf,
                             size_t len);
/* Sum of every retry counter of |e|. */
uint64_t stats_ep_retries(const struct swarm_ep_stats *e);

/* Moves one host from phase |from| to |to| (from may equal to). */
void stats_host_phase(struct swarm_stats *s, enum swarm_host_phase from, enum swarm_host_phase to);
/* Appends a cluster record copy; returns its index (never fails: it aborts
 * when out of memory, the swarm/ allocation policy). */
long stats_add_cluster(struct swarm_stats *s, const struct swarm_cluster_record *rec);

/* Folds the finished cluster |rec| into its shape's aggregate (grows
 * |s|->shapes as needed; aborts when out of memory, like stats_add_cluster). */
void stats_fold_cluster(struct swarm_stats *s, const struct swarm_cluster_record *rec);
/*
 * Drops the records of finished clusters that installed (and failed ones
 * beyond the first |keep_failed| failed records kept), all of them already
 * folded. |map| (|s|->nclusters entries, may be NULL) receives each old
 * record's new index, or -1 when dropped. Returns the number dropped.
 */
size_t stats_compact_records(struct swarm_stats *s, size_t keep_failed, long *map);

/* dst += src (histograms, counters, gauges; cluster records appended). Returns 0 or SW_ERR_NOMEM. */
int stats_merge(struct swarm_stats *dst, const struct swarm_stats *src);
/* stats_merge(), then |src| gives up its cluster records (moved when |dst|
 * has none, else freed once copied; kept when it fails): the final merge,
 * without a second copy of every record. Returns 0 or SW_ERR_NOMEM. */
int stats_merge_take(struct swarm_stats *dst, struct swarm_stats *src);
/* Deep copy; |dst| must be initialised; its previous records are freed. Returns 0 or SW_ERR_NOMEM. */
int stats_copy(struct swarm_stats *dst, const struct swarm_stats *src);
/* Like stats_copy() without the cluster records (|dst| gets none): the cheap
 * copy for periodic snapshots, which only need counters and histograms. */
void stats_copy_summary(struct swarm_stats *dst, const struct swarm_stats *src);
/* stats_copy_summary(), then |src|'s cluster records move to |dst| (|src|
 * keeps none; its counters stay): the one copy of the records that a
 * finished shard hands over. */
void stats_move_records(struct swarm_stats *dst, struct swarm_stats *src);

#endif
