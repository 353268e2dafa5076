/*
 * config: the swarm's inputs. Loads the test plan and the service config
 * (YAML, libyaml), both in the original assisted-swarm format (accepted
 * unchanged, including its misspelt `infranev_labels`, with a warning) and
 * with the swarm's documented extensions (README "Configuration"). Errors
 * name the file, line, column and key. Also holds the command-line options.
 *
 * Ownership: swarm_plan_load()/swarm_service_load() fill caller-provided
 * structs whose strings and arrays they allocate; swarm_plan_free() /
 * swarm_service_free() release them (NULL-safe, idempotent).
 */
#ifndef SWARM_CONFIG_H
#define SWARM_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "sw_client.h"
#include "sw_http.h"

enum swarm_mode { SWARM_MODE_REST, SWARM_MODE_KUBE };
/* The service's AUTH_TYPE this run speaks (protocol/README.md §2): `none`,
 * `rhsso` (also spelt `token`, its former name here) or `local`. */
enum swarm_auth { SWARM_AUTH_NONE, SWARM_AUTH_RHSSO, SWARM_AUTH_LOCAL };
enum swarm_conn_policy { SWARM_CONN_SHARED, SWARM_CONN_DEDICATED };

/* Longest user_token / agent_token (bytes) the loader accepts: each travels
 * in one HTTP header, and longer ones are refused, never truncated. */
#define SWARM_TOKEN_MAX 8192u

struct swarm_label {
	char *key;
	char *value;
};

/* One entry of the plan's `clusters` list. */
struct swarm_shape {
	int single_node;          /* 1 control-plane host, else `control_plane` (default 3) */
	unsigned control_plane;   /* extension: control-plane count for multi-node (3..5) */
	unsigned num_workers;
	unsigned amount;          /* clusters of this shape */
	int with_nmstate;
	int just_infraenv;
	/* extension `discovery_hold`: once every host is discovered (cluster
	 * ready, or all hosts known for just_infraenv), the hosts keep polling
	 * this long (plan time, divided by time_scale) before the cluster
	 * installs (or a just_infraenv shape is done); `until_end` holds until
	 * every cluster without it finished. Default 0, until_end for
	 * just_infraenv. */
	uint64_t discovery_hold_ns;
	int hold_until_end;
	struct swarm_label *labels; /* infraenv_labels (or infranev_labels) */
	size_t nlabels;
	char *name_prefix;        /* extension `name`: cluster name prefix; NULL = "swarm" */
	char *openshift_version;  /* extension: per-shape override; NULL = plan's */
	unsigned line;            /* line of the entry in the plan, for messages */
};

/* Arrival schedule of clusters (extension `arrival`). */
enum swarm_arrival_kind {
	SWARM_ARRIVAL_ASAP,    /* start whenever MAX_CONCURRENT allows (original behaviour) */
	SWARM_ARRIVAL_RATE,    /* fixed `clusters_per_minute` */
	SWARM_ARRIVAL_RAMP,    /* linear ramp from `start_per_minute` to `clusters_per_minute` over `ramp_seconds` */
	SWARM_ARRIVAL_BURST,   /* `burst` clusters every `burst_interval_seconds` */
};
/* Range of arrival.clusters_per_minute and start_per_minute (besides 0). */
#define SWARM_RATE_MIN 0.001
#define SWARM_RATE_MAX 1e7
struct swarm_arrival {
	enum swarm_arrival_kind kind;
	double clusters_per_minute;
	double start_per_minute;
	double ramp_seconds;
	unsigned burst;
	double burst_interval_seconds;
	int poisson;              /* exponential inter-arrival times instead of fixed */
};

/* Emulated installer / controller pacing (extension `timings`), milliseconds. */
struct swarm_timings {
	unsigned installer_stage_ms;      /* pause between installer stage reports (default 5000) */
	unsigned write_image_ms;          /* whole "Writing image to disk" (default 52000, like dry-installer) */
	unsigned write_image_step_pct;    /* progress_info granularity (default 5) */
	unsigned worker_poll_ms;          /* workers poll masters' stages (default 5000) */
	unsigned controller_poll_ms;      /* controller loops (default 30000) */
	unsigned cluster_poll_ms;         /* driver polls cluster status (default 10000) */
	/* kube mode: the emulated BareMetal Operator and host (README "Kube mode") */
	unsigned bmh_registering_ms;      /* registering -> next state (default 10000) */
	unsigned bmh_inspecting_ms;       /* inspecting -> available (default 180000) */
	unsigned bmh_provisioning_ms;     /* provisioning -> provisioned (default 60000) */
	unsigned bmh_deprovisioning_ms;   /* deprovisioning -> finalizer removed (default 30000) */
	unsigned host_boot_ms;            /* provisioning -> the agent starts (default 120000) */
	double jitter;                    /* +-fraction applied to every pause (default 0.1) */
	double time_scale;                /* divides every duration above (default 1) */
};

struct thr_set;

struct swarm_plan {
	char *path;
	struct swarm_shape *shapes;
	size_t nshapes;
	int shuffle;
	enum swarm_mode mode;             /* extension `mode`: rest (default) | kube */
	char *openshift_version;          /* default "4.16" */
	char *base_domain;                /* default "swarm.example.com" */
	char *cpu_architecture;           /* default "x86_64" */
	struct swarm_arrival arrival;
	struct swarm_timings timings;
	uint64_t seed;                    /* extension `seed`; default 1 */
	int seed_set;
	int cleanup;                      /* delete what the run created at the end */
	unsigned max_duration_s;          /* abort the run after this (0 = none) */
	unsigned cleanup_timeout_ms;      /* kube mode: wait this long for a namespace to go
	                                   * (default 600000, not time-scaled) */
	struct thr_set *thresholds;       /* extension `thresholds` (thresholds.h), NULL = none */
	struct swarm_soak *soak;          /* extension `soak` (soak.h), NULL = a finite run */
};

/* Optional scrape of the service's own /metrics during the run
 * (`service_metrics` key); off when |url| is NULL. */
struct swarm_service_metrics {
	char *url;                        /* http(s)://host:port/path */
	unsigned interval_ms;             /* default 10000 */
	char **families;                  /* metric names to keep (1..16) */
	size_t nfamilies;
};

struct swarm_service {
	char *path;
	char *endpoint;                   /* service_endpoint (required) */
	char *pull_secret_file;           /* required */
	char *pull_secret;                /* its contents, compacted JSON */
	char *release_image;              /* required */
	char *ssh_pub_key;                /* required (original tool needs it) */
	/* extensions */
	enum swarm_auth auth;             /* `auth`: none | rhsso (alias token) | local */
	char *user_token;                 /* `user_token`: Bearer for driver calls (rhsso; required) */
	char *agent_token;                /* X-Secret-Key of agent calls in rhsso mode: `agent_token`,
	                                   * else (filled in at load) the pull secret's
	                                   * auths["cloud.openshift.com"].auth */
	char *ca_file;                    /* `ca_file` */
	int insecure;                     /* `insecure_skip_verify` */
	char *client_cert_file, *client_key_file;
	enum sw_proto proto;              /* `http`: auto | h2 | http1.1 */
	enum swarm_conn_policy policy;    /* `connections`: shared | dedicated */
	unsigned max_conns;               /* `max_connections` for shared policy */
	char *api_generation;             /* `api_generation`: auto | current | 2023 */
	struct swarm_service_metrics service_metrics;
	char *push_url;                   /* `pushgateway.url`: Pushgateway base URL, or NULL */
	char *push_job;                   /* `pushgateway.job`: default "swarm" */
	unsigned startup_timeout_ms;      /* `startup_timeout`: how long the start-up check retries
	                                   * transient failures (default 60 s; 0 = one attempt) */
	char *kubeconfig;                 /* kube mode: `kubeconfig` (path), NULL = the default search */
	enum sw_proto kube_proto;         /* kube mode: `kube_http`: auto | h2 | http1.1 */
	char **source_addrs;              /* `source_addresses`: local addresses of the
	                                   * connections (numeric, validated), or NULL */
	unsigned nsource_addrs;
};

/* Command-line options (parsed in main.c). */
struct swarm_opts {
	unsigned max_concurrent;          /* hosts in flight */
	unsigned threads;                 /* shared-nothing event loops (default 1) */
	const char *plan_path;
	const char *service_path;
	const char *results_path;         /* --results FILE (default swarm-results.json) */
	const char *metrics_listen;       /* --metrics ADDR:PORT or NULL */
	int progress;                     /* -1 auto (tty), 0 plain lines, 1 live line, -2 off */
	unsigned progress_interval_ms;    /* default 1000 live, 10000 plain */
	uint64_t series_interval_ns;      /* --series-interval; 0 = no time series */
	const char *push_url;             /* --push URL (overrides the service config) */
	uint64_t metrics_linger_ns;       /* --metrics-linger: serve /metrics this long after the run */
	int64_t startup_timeout_ms;       /* --startup-timeout; -1 = the service config's */
	int quiet, verbose;
	/* orchestration (orch.h) */
	unsigned shard_index, shard_count; /* --shard I/N (count 0 or 1: the whole plan) */
	const char *run_id;               /* --run-id (or SWARM_RUN_ID); NULL = made up */
	double start_at;                  /* --start-at UNIX time the run's clock starts (0 = now) */
	const char *journal_path;         /* --journal FILE|off; NULL = "<results>.journal" */
	int check;                        /* --check: validate and exit (cmd_check.c) */
};

/*
 * Loads the plan at |path| into |out|. Returns 0, or SW_ERR_PARSE /
 * SW_ERR_INVALID / SW_ERR_NOMEM with a message "FILE:LINE:COL: key 'k': ..."
 * in |err|. Warnings (e.g. infranev_labels) are written to |warn| (may be
 * NULL) as newline-separated lines. |out| is freed on failure.
 */
int swarm_plan_load(const char *path, struct swarm_plan *out, char *err, size_t errlen,
                    char *warn, size_t warnlen);
/* Same for the service config; also reads the pull secret file. */
int swarm_service_load(const char *path, struct swarm_service *out, char *err, size_t errlen,
                       char *warn, size_t warnlen);
void swarm_plan_free(struct swarm_plan *p);
void swarm_service_free(struct swarm_service *s);
/* Returns the Authorization value of user (driver) calls, "Bearer
 * <user_token>", or NULL when they carry none (auth none, no user_token).
 * Never truncated. Frees: free(). */
char *swarm_service_bearer(const struct swarm_service *s);
/* Resets |cfg| (sw_client_cfg_init) and fills in |s|'s endpoint, protocol and
 * TLS settings; the strings stay owned by |s|. */
void swarm_service_client_cfg(const struct swarm_service *s, struct sw_client_cfg *cfg);

/* Hosts of one cluster of |shape|: control plane + workers. */
unsigned swarm_shape_hosts(const struct swarm_shape *shape);
/* The shape's label in the summary, the results file and threshold tags:
 * its `name`, else "sno", "compact" or "multi"; "/infraenv" appended for
 * just_infraenv shapes. Writes it to |buf| and returns |buf|. */
const char *swarm_shape_label(const struct swarm_shape *shape, char *buf, size_t len);

#endif
