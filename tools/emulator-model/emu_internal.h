/*
 * emu_internal: the emulator model's private data structures shared by its
 * source files: the store (hosts, clusters, infra-envs, id maps), the output
 * buffer, and the prototypes of the per-file modules (hosts, clusters, steps,
 * JSON rendering, request helpers). Not installed; only emu_*.c include it.
 */
#ifndef EMU_INTERNAL_H
#define EMU_INTERNAL_H

#include <stdint.h>
#include <stddef.h>
#include <jansson.h>

#include "as_model.h"
#include "emu_model.h"

#define EMU_NS 1000000000ULL
#define EMU_NONE UINT32_MAX
#define EMU_HOSTNAME_MAX 64
#define EMU_DISKID_MAX 96
#define EMU_MAX_IPS 2
#define EMU_MAX_VIPS 2
#define EMU_MAX_NETS 2
#define EMU_PROGRESS_INFO_MAX 64
#define EMU_EVENTS_MAX 4096

struct emu_uuid {
	uint8_t b[16];
};

/* Host roles as the API spells them (host-role enum). */
enum emu_role { EMU_ROLE_AUTO, EMU_ROLE_MASTER, EMU_ROLE_WORKER, EMU_ROLE_ARBITER };

enum emu_vstatus { EMU_V_PENDING, EMU_V_SUCCESS, EMU_V_FAILURE, EMU_V_ERROR };

/* Host validations the emulator computes (ids in emu_hosts.c). */
enum emu_hv {
	HV_CONNECTED, HV_MEDIA_CONNECTED, HV_HAS_INVENTORY, HV_MACHINE_CIDR_DEFINED,
	HV_BELONGS_TO_MACHINE_CIDR, HV_HAS_MIN_CPU, HV_HAS_MIN_VALID_DISKS, HV_HAS_MIN_MEMORY,
	HV_CPU_FOR_ROLE, HV_MEMORY_FOR_ROLE, HV_HOSTNAME_UNIQUE, HV_HOSTNAME_VALID,
	HV_MAJORITY_GROUP, HV_DEFAULT_ROUTE, HV_API_DNS, HV_API_INT_DNS, HV_APPS_DNS,
	HV_DNS_WILDCARD, HV_PLATFORM_NETWORK, HV_COMPATIBLE_AGENT, HV_TIME_SYNCED,
	HV_NO_IP_COLLISIONS, HV_NTP_SYNCED, HV_DISK_SPEED, HV_COMPATIBLE_PLATFORM,
	HV_COUNT
};

/* Cluster validations (ids in emu_clusters.c). */
enum emu_cv {
	CV_MACHINE_CIDR_DEFINED, CV_CLUSTER_CIDR_DEFINED, CV_SERVICE_CIDR_DEFINED,
	CV_NO_CIDRS_OVERLAPPING, CV_NETWORK_PREFIX_VALID, CV_MACHINE_CIDR_EQUALS_CALCULATED,
	CV_API_VIPS_DEFINED, CV_API_VIPS_VALID, CV_INGRESS_VIPS_DEFINED, CV_INGRESS_VIPS_VALID,
	CV_ALL_HOSTS_READY, CV_SUFFICIENT_MASTERS, CV_DNS_DOMAIN_DEFINED, CV_PULL_SECRET_SET,
	CV_NTP_SERVER_CONFIGURED, CV_NETWORK_TYPE_VALID, CV_SAME_FAMILIES,
	CV_COUNT
};

enum emu_logs { EMU_LOGS_NONE, EMU_LOGS_REQUESTED, EMU_LOGS_COLLECTING, EMU_LOGS_COMPLETED,
	        EMU_LOGS_TIMEOUT };

enum emu_op_status { EMU_OP_NONE, EMU_OP_PROGRESSING, EMU_OP_AVAILABLE, EMU_OP_FAILED };

/* What the validations need from an inventory; the JSON itself is not kept. */
struct emu_inv {
	uint64_t ram_bytes;
	uint64_t disk_size;             /* chosen installation disk */
	uint32_t ipv4[EMU_MAX_IPS];
	uint8_t prefix[EMU_MAX_IPS];
	uint8_t mac[EMU_MAX_IPS][6];
	uint16_t cores;
	uint8_t n_ipv4;
	uint8_t n_eligible;             /* eligible disks of >= 100 GB */
	uint8_t n_disks;                /* disks reported */
	uint8_t route_ok;
	uint8_t vendor_present, vendor_openstack, vendor_virtual;
	uint8_t meminfo;                /* physical_bytes_method == meminfo */
	char ifname[16];
	char hostname[EMU_HOSTNAME_MAX];
	char disk_id[EMU_DISKID_MAX];
	char disk_path[24];
	char disk_name[16];
	char drive_type[12];
};

struct emu_host {
	struct emu_uuid id;
	uint32_t infra_env;             /* index */
	uint32_t cluster;               /* index or EMU_NONE */
	uint32_t seq;                   /* registration order within the cluster */
	uint8_t status;                 /* enum as_host_status */
	uint8_t role, suggested_role;   /* enum emu_role */
	uint8_t bootstrap;
	uint8_t deleted;
	uint8_t has_inventory;
	uint8_t agent_ok;               /* last announced agent version == service image */
	uint8_t has_timestamp;
	uint8_t stage;                  /* enum as_stage, AS_STAGE_COUNT = none */
	uint8_t logs_info;              /* enum emu_logs */
	uint8_t disk_speed;             /* 0 unknown, 1 ok, 2 too slow/failed */
	uint8_t images;                 /* 0 unknown, 1 ok, 2 failed */
	uint8_t dns_answered, dns_api, dns_api_int, dns_apps, dns_wildcard_ok;
	uint8_t ntp_synced;             /* 0 unknown, 1 synced, 2 not */
	uint8_t install_failed;         /* install step exit != 0 */
	uint8_t dup_name, ip_collision; /* from emu_cluster_scan_hosts() */
	uint8_t info;                   /* enum emu_host_info: why the status */
	uint8_t approved;               /* kube mode: the Agent is approved (emu_kubeapi.h) */
	uint16_t conn_ok;               /* other hosts reported reachable */
	uint16_t agent_version;         /* interned string index, 0 = none */
	uint8_t v[HV_COUNT];            /* enum emu_vstatus per validation */
	int32_t clock_skew;             /* host timestamp - service time, seconds */
	int64_t timestamp;
	int64_t registered_at, checked_in_at, status_updated_at, created_at, updated_at;
	int64_t stage_started_at, stage_updated_at, logs_started_at, logs_collected_at;
	uint64_t checked_in_ns, status_ns, stage_ns;
	char progress_info[EMU_PROGRESS_INFO_MAX];
	char requested_hostname[EMU_HOSTNAME_MAX];
	struct emu_inv inv;
};

struct emu_vip {
	uint32_t ip;
	uint8_t verification;           /* 0 unverified, 1 succeeded, 2 failed */
	uint8_t free_seen;              /* listed as free by a host */
};

struct emu_net {
	uint32_t base;
	uint8_t prefix;
};

struct emu_operator {
	const char *name, *namespace_;
	uint8_t status;                 /* enum emu_op_status */
	int64_t status_updated_at;
	char status_info[96];
	char version[32];
};

struct emu_cluster {
	struct emu_uuid id;
	uint8_t deleted;
	uint8_t status;                 /* enum as_cluster_status */
	uint8_t umn;                    /* user-managed networking */
	uint8_t platform;               /* 0 baremetal, 1 none, 2 vsphere, 3 nutanix, 4 external */
	uint8_t ha_none;
	uint8_t pull_secret_set;
	uint8_t vip_dhcp;
	uint8_t schedulable_masters;
	uint8_t ingress_ca;             /* ingress CA uploaded (kubeconfig exists) */
	uint8_t finalizing_stage;       /* enum as_finalizing_stage or AS_FIN_STAGE_COUNT */
	uint8_t logs_info;
	uint8_t n_api_vips, n_ingress_vips, n_machine_nets;
	uint8_t machine_net_auto;       /* machine network derived by the service */
	uint8_t majority_computed;      /* the cluster monitor computed connectivity groups */
	uint8_t info;                   /* enum emu_cluster_info */
	uint8_t n_operators;
	uint8_t network_type;           /* 0 OVNKubernetes, 1 OpenShiftSDN, ... */
	int control_plane_count;
	uint8_t v[CV_COUNT];
	uint32_t ignored_host_v, ignored_cluster_v; /* bit masks */
	uint32_t next_seq;
	uint32_t conn_peers;            /* hosts a connectivity check lists (last scan) */
	uint32_t conn_admitted;         /* connectivity checks handed out in this window */
	uint64_t conn_window_ns;        /* start of the admission window */
	struct emu_vip api_vips[EMU_MAX_VIPS], ingress_vips[EMU_MAX_VIPS];
	struct emu_net machine_nets[EMU_MAX_NETS];
	struct emu_net cluster_net, service_net;
	int host_prefix;
	int64_t created_at, updated_at, status_updated_at, install_started_at, install_completed_at;
	int64_t finalizing_stage_started_at;
	uint64_t status_ns;
	char name[64];
	char openshift_version[24];
	char base_dns_domain[128];
	char cpu_architecture[12];
	char ssh_public_key[128];
	char status_detail[160];        /* free text appended to some status infos */
	struct emu_operator operators[2];
	uint32_t *hosts;                /* host indices */
	size_t nhosts, caphosts;
};

struct emu_infraenv {
	struct emu_uuid id;
	uint8_t deleted;
	uint8_t minimal;                /* image_type minimal-iso */
	uint32_t cluster;               /* index or EMU_NONE */
	int64_t created_at, updated_at, expires_at;
	char name[64];
	char openshift_version[24];
	char cpu_architecture[12];
	char *download_url;
	size_t nhosts;
};

/* Open-addressing map from UUID to index. */
struct emu_map {
	struct emu_uuid *keys;
	uint32_t *vals;                 /* EMU_NONE = empty; tombstones use UINT32_MAX-1 */
	size_t cap, used, tombs;
};

struct emu_event {
	struct emu_uuid cluster, host, infra_env;
	uint8_t has_cluster, has_host, has_infra_env;
	uint8_t severity;               /* 0 info 1 warning 2 error 3 critical */
	int64_t time;
	char name[40];
	char message[160];
};

struct emu_kube_ext;

struct emu_model {
	struct emu_model_cfg cfg;
	char *agent_image, *release_tag, *image_service_base;
	uint64_t rng;
	struct emu_host *hosts;
	size_t nhosts, caphosts, live_hosts;
	struct emu_cluster **clusters;
	size_t nclusters, capclusters;
	struct emu_infraenv **infraenvs;
	size_t ninfraenvs, capinfraenvs;
	struct emu_map host_map, cluster_map, infraenv_map;
	char **agent_versions;          /* interned discovery_agent_version strings; [0] unused */
	size_t n_agent_versions, cap_agent_versions;
	struct emu_event *events;       /* ring */
	size_t nevents, event_head;
	uint64_t next_host_monitor_ns, next_cluster_monitor_ns;
	int monitors_started;
	size_t heap_bytes;              /* tracked allocations (bytes_per_host) */
	struct emu_kube_ext *kube;      /* kube-api hooks and per-host strings, or NULL */
	uint64_t requests;              /* requests dispatched to an operation */
};

/* Why a host is in its status, rendered by emu_host_status_info(). */
enum emu_host_info {
	HI_NONE, HI_DISCOVERING, HI_INSUFFICIENT, HI_KNOWN, HI_PENDING_INPUT, HI_DISCONNECTED,
	HI_PREPARING, HI_PREPARED, HI_PREPARE_FAILED, HI_PREPARE_TIMEOUT, HI_INSTALLING,
	HI_IN_PROGRESS, HI_INSTALLED, HI_FAILED_STAGE, HI_INSTALL_CMD_FAILED, HI_INSTALL_TIMEOUT,
	HI_DISCONNECTED_INSTALL, HI_STAGE_TIMEOUT, HI_CLUSTER_ERROR, HI_REBOOT_TIMEOUT,
	HI_PENDING_USER_TIMEOUT, HI_REREGISTERED, HI_UNBOUND_KNOWN, HI_REBOOT_WRONG_DISK,
	HI_CANCELLED, HI_RESET,
};

/* Why a cluster is in its status (emu_cluster_status_info()). */
enum emu_cluster_info {
	CI_NONE, CI_INSUFFICIENT, CI_READY, CI_PENDING_INPUT, CI_PREPARING, CI_INSTALLING,
	CI_FINALIZING, CI_INSTALLED, CI_PREPARE_TIMEOUT, CI_PREPARE_FAILED, CI_HOSTS_ERROR,
	CI_FINALIZING_TIMEOUT, CI_PENDING_USER, CI_COMPLETE_FAILED, CI_CANCELLED, CI_RESET,
	CI_ADDING_HOSTS,
};

/* Growable output buffer with a hard cap. */
struct emu_buf {
	char *p;
	size_t len, cap;
	int oom;
};

/* ---- emu_store.c ---- */
uint64_t emu_rand(struct emu_model *m);
/* Fills |u| with a random (v4) UUID from the model's PRNG. */
void emu_uuid_new(struct emu_model *m, struct emu_uuid *u);
/* Formats |u| as 36 lower-case characters plus NUL into |out|. */
void emu_uuid_fmt(const struct emu_uuid *u, char out[37]);
/* Returns 0 when |s| (36 chars + NUL) is a UUID, -1 otherwise. */
int emu_uuid_parse(const char *s, struct emu_uuid *u);
/* Maps |k| to |v| (replacing); returns 0 or SW_ERR_NOMEM. */
int emu_map_put(struct emu_map *mp, const struct emu_uuid *k, uint32_t v);
/* Returns the value of |k| or EMU_NONE. */
uint32_t emu_map_get(const struct emu_map *mp, const struct emu_uuid *k);
/* Removes |k| if present. */
void emu_map_del(struct emu_map *mp, const struct emu_uuid *k);
/* Lookups by id; return NULL when absent (or deleted). */
struct emu_host *emu_host_get(struct emu_model *m, const struct emu_uuid *id);
struct emu_cluster *emu_cluster_get(struct emu_model *m, const struct emu_uuid *id);
struct emu_infraenv *emu_infraenv_get(struct emu_model *m, const struct emu_uuid *id);
/* Returns the index of a new zeroed host (or EMU_NONE on allocation failure). */
uint32_t emu_host_alloc(struct emu_model *m, const struct emu_uuid *id);
/* Appends host |hidx| to |c|'s list; returns 0 or SW_ERR_NOMEM. */
int emu_cluster_add_host(struct emu_model *m, struct emu_cluster *c, uint32_t hidx);
/* Removes host |hidx| from |c|'s list (no-op when absent). */
void emu_cluster_remove_host(struct emu_cluster *c, uint32_t hidx);
/* Unlinks host |hidx| from its cluster, infra-env and id map; its slot stays. */
void emu_host_delete(struct emu_model *m, uint32_t hidx);
/* New zeroed cluster with a fresh id, owned by the model; NULL on OOM. */
struct emu_cluster *emu_cluster_alloc(struct emu_model *m);
/* New zeroed infra-env with a fresh id, owned by the model; NULL on OOM. */
struct emu_infraenv *emu_infraenv_alloc(struct emu_model *m);
/* Returns |c|'s index in the model (EMU_NONE if deleted). */
uint32_t emu_cluster_index(struct emu_model *m, const struct emu_cluster *c);
/* Interns an agent version string (bounded table); returns its index, 0 for none. */
uint16_t emu_intern_agent_version(struct emu_model *m, const char *v);
/* Appends an event to the bounded ring (oldest dropped). Any object may be NULL. */
void emu_event_add(struct emu_model *m, const struct emu_cluster *c, const struct emu_host *h,
                   const struct emu_uuid *ie, int severity, const char *name, int64_t t,
                   const char *fmt, ...) __attribute__((format(printf, 8, 9)));
/* Scales a duration of |seconds| by cfg.time_scale. */
uint64_t emu_scaled_ns(const struct emu_model *m, double seconds);

/* ---- emu_buf / emu_json.c ---- */
void emu_buf_init(struct emu_buf *b);
void emu_buf_free(struct emu_buf *b);
/* Appends |n| bytes; on OOM or past the cap sets b->oom and drops data. */
void emu_buf_add(struct emu_buf *b, const char *s, size_t n);
/* Appends a NUL-terminated string. */
void emu_buf_str(struct emu_buf *b, const char *s);
/* Appends formatted text. */
void emu_buf_printf(struct emu_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends |s| JSON-escaped (without quotes). */
void emu_buf_esc(struct emu_buf *b, const char *s, size_t n);
/* Formats unix seconds as Go strfmt.DateTime ("...000Z"; zero time for <= 0). */
void emu_time_fmt(int64_t t, char out[32]);
/* Dotted-quad text of a host-order IPv4 address. */
void emu_ipv4_fmt(uint32_t ip, char out[16]);
/* Parses a dotted quad; returns 0 or -1. */
int emu_ipv4_parse(const char *s, uint32_t *ip);
/* Parses "a.b.c.d/p"; returns 0 or -1. */
int emu_cidr_parse(const char *s, struct emu_net *n);
/* Formats |n| as "base/prefix" with the host bits cleared. */
void emu_cidr_fmt(const struct emu_net *n, char out[24]);
/* Returns 1 when |ip| is inside |n|. */
int emu_net_contains(const struct emu_net *n, uint32_t ip);
/* Finds |key| in a raw query string and copies its decoded value; returns 1 if found. */
int emu_query_get(const char *query, const char *key, char *out, size_t outlen);
/* Response helpers: fill |r| with status, content type and a malloc'ed body. */
void emu_resp_json(struct emu_response *r, int status, json_t *body); /* steals |body| */
void emu_resp_buf(struct emu_response *r, int status, struct emu_buf *b); /* steals |b| */
void emu_resp_error(struct emu_response *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void emu_resp_infra(struct emu_response *r, int status, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void emu_resp_empty(struct emu_response *r, int status);
/*
 * Decodes |req|'s body as definition |defname| strictly. On success stores a
 * new reference in |*out| and returns 0; on failure fills |resp| with the
 * service's 400 and returns -1. |param| is the swagger body parameter name.
 */
int emu_decode_body(const struct emu_model *m, const struct emu_request *req,
                    const char *defname, const char *param, const char *const *extra,
                    const char *const *deny, json_t **out, struct emu_response *resp);
/* host-role names <-> enum emu_role (parse returns -1 when unknown). */
const char *emu_role_name(enum emu_role r);
int emu_role_parse(const char *s);

/* ---- emu_hosts.c ---- */
void emu_host_set_status(struct emu_model *m, struct emu_host *h, enum as_host_status s,
                         int info, uint64_t now_ns, int64_t wall);
/* One host-monitor pass over |h|: validations and status transitions (protocol/README.md §5.1). */
void emu_host_refresh(struct emu_model *m, struct emu_host *h, uint64_t now_ns, int64_t wall);
/* Recomputes |h|->v[] (enum emu_vstatus per enum emu_hv). */
void emu_host_validate(struct emu_model *m, struct emu_host *h, uint64_t now_ns);
/* Parses an inventory document into |h->inv|; returns 0 or -1. */
int emu_host_parse_inventory(struct emu_model *m, struct emu_host *h, json_t *inv);
/* Stage list that applies to |h| (bootstrap, master, worker, SNO). */
enum as_stage_role emu_host_stage_role(const struct emu_model *m, const struct emu_host *h);
/* Text of the host's status_info; may use |buf|. */
const char *emu_host_status_info(const struct emu_model *m, const struct emu_host *h,
                                 char *buf, size_t len);
/* Host validation ids <-> enum emu_hv (parse returns -1 when unknown). */
const char *emu_hv_id(enum emu_hv v);
int emu_hv_parse(const char *s);
/* Returns 1 for the discovery-phase statuses (bound or unbound). */
int emu_host_is_preinstall(const struct emu_host *h);
/* Message of validation |v| in the host's current result; may use |buf|. */
const char *emu_host_validation_message(const struct emu_model *m, const struct emu_host *h,
                                        int v, char *buf, size_t len);
/* Message of cluster validation |v|; may use |buf|. */
const char *emu_cluster_validation_message(const struct emu_model *m,
                                           const struct emu_cluster *c, int v, char *buf,
                                           size_t len);
/* Effective role (role, else suggested role). */
enum emu_role emu_host_eff_role(const struct emu_host *h);
/* Requested hostname if set, else the inventory's. */
const char *emu_host_hostname(const struct emu_host *h);
/* Returns 1 while the host polled within 3 min (+2 for the bootstrap), scaled. */
int emu_host_timeout_connected(const struct emu_model *m, const struct emu_host *h,
                               uint64_t now_ns);

/* ---- emu_clusters.c ---- */
void emu_cluster_set_status(struct emu_model *m, struct emu_cluster *c,
                            enum as_cluster_status s, int info, uint64_t now_ns, int64_t wall);
/* One cluster-monitor pass over |c| (protocol/README.md §5.2); also used after updates. */
void emu_cluster_refresh(struct emu_model *m, struct emu_cluster *c, uint64_t now_ns,
                         int64_t wall);
/* Returns 1 for control_plane_count 1. */
int emu_cluster_is_sno(const struct emu_cluster *c);
/* Cluster validation ids <-> enum emu_cv (parse returns -1 when unknown). */
const char *emu_cv_id(enum emu_cv v);
int emu_cv_parse(const char *s);
/* Text of the cluster's status_info; may use |buf|. */
const char *emu_cluster_status_info(const struct emu_cluster *c, char *buf, size_t len);
/* Assigns roles and bootstrap at install time. */
void emu_cluster_assign_roles(struct emu_model *m, struct emu_cluster *c);
/*
 * Once per host-monitor pass: marks duplicate hostnames and IP collisions
 * among |c|'s hosts and counts connectivity peers, in O(n log n), so the
 * per-host validations stay O(1) in large clusters.
 */
void emu_cluster_scan_hosts(struct emu_model *m, struct emu_cluster *c);
/* Returns 1 when |h| would be listed in other hosts' connectivity checks. */
int emu_host_is_conn_peer(const struct emu_host *h);
/* Recomputes suggested roles of the cluster's hosts. */
void emu_cluster_suggest_roles(struct emu_model *m, struct emu_cluster *c);
/* Copies the first machine network into |out|; returns 0 when none. */
int emu_cluster_machine_net(const struct emu_cluster *c, struct emu_net *out);
/* Returns 1 for insufficient, ready and pending-for-input. */
int emu_cluster_preinstall(const struct emu_cluster *c);
/* Resets the built-in monitored operators (console, + cvo when configured). */
void emu_cluster_init_operators(const struct emu_model *m, struct emu_cluster *c);

/* ---- emu_steps.c ---- */
void emu_steps_build(struct emu_model *m, struct emu_host *h, uint64_t now_ns,
                     struct emu_buf *b);
/* Applies a step reply (its "output" and "error" strings may be NULL); fills
 * |resp| (204 or an error). */
void emu_steps_reply(struct emu_model *m, struct emu_host *h, const char *type, int exit_code,
                     const char *output, const char *error, const struct emu_request *req,
                     struct emu_response *resp);

/* ---- emu_render.c ---- */
json_t *emu_render_host(const struct emu_model *m, const struct emu_host *h, int with_inventory);
json_t *emu_render_cluster(const struct emu_model *m, const struct emu_cluster *c,
                           int with_hosts);
json_t *emu_render_infraenv(const struct emu_model *m, const struct emu_infraenv *ie);
json_t *emu_render_inventory(const struct emu_host *h);
/* validations_info strings (malloc'ed, caller frees; NULL on OOM). */
char *emu_render_host_validations(const struct emu_model *m, const struct emu_host *h);
char *emu_render_cluster_validations(const struct emu_cluster *c);
/* monitored-operators-list of |c|, optionally only operator |only|. */
json_t *emu_render_operators(const struct emu_cluster *c, const char *only);

/* ---- emu_api_*.c: handlers; each fills |resp| ---- */
struct emu_ctx {
	struct emu_model *m;
	const struct emu_request *req;
	struct emu_response *resp;
	const char *p[3];               /* path parameters in order */
	char pbuf[3][40];
};
/* Handlers, one per operationId (protocol/README.md §3); each fills x->resp. */
void emu_api_register_host(struct emu_ctx *x);
void emu_api_get_steps(struct emu_ctx *x);
void emu_api_post_step(struct emu_ctx *x);
void emu_api_host_logs_progress(struct emu_ctx *x);
void emu_api_cluster_logs_progress(struct emu_ctx *x);
void emu_api_upload_logs(struct emu_ctx *x);
void emu_api_host_progress(struct emu_ctx *x);
void emu_api_cluster_files(struct emu_ctx *x);
void emu_api_host_ignition(struct emu_ctx *x);
void emu_api_get_host(struct emu_ctx *x);
void emu_api_update_host(struct emu_ctx *x);
void emu_api_delete_host(struct emu_ctx *x);
void emu_api_list_infraenv_hosts(struct emu_ctx *x);
void emu_api_get_cluster(struct emu_ctx *x);
void emu_api_list_clusters(struct emu_ctx *x);
void emu_api_list_cluster_hosts(struct emu_ctx *x);
void emu_api_finalizing_progress(struct emu_ctx *x);
void emu_api_list_operators(struct emu_ctx *x);
void emu_api_report_operator(struct emu_ctx *x);
void emu_api_ingress_cert(struct emu_ctx *x);
void emu_api_complete_installation(struct emu_ctx *x);
void emu_api_post_event(struct emu_ctx *x);
void emu_api_list_events(struct emu_ctx *x);
void emu_api_component_versions(struct emu_ctx *x);
void emu_api_openshift_versions(struct emu_ctx *x);
void emu_api_register_cluster(struct emu_ctx *x);
void emu_api_update_cluster(struct emu_ctx *x);
void emu_api_delete_cluster(struct emu_ctx *x);
void emu_api_install_cluster(struct emu_ctx *x);
void emu_api_register_infraenv(struct emu_ctx *x);
void emu_api_get_infraenv(struct emu_ctx *x);
void emu_api_list_infraenvs(struct emu_ctx *x);
void emu_api_delete_infraenv(struct emu_ctx *x);
void emu_api_get_ignored(struct emu_ctx *x);
void emu_api_set_ignored(struct emu_ctx *x);
void emu_api_credentials(struct emu_ctx *x);
void emu_api_cancel_cluster(struct emu_ctx *x);
void emu_api_reset_cluster(struct emu_ctx *x);

/* ---- emu_kubeapi.c: the kube-api extension (emu_kubeapi.h) ---- */
void emu_kapi_free(struct emu_model *m);
/* 1 when kube hooks are installed. */
int emu_kapi_active(const struct emu_model *m);
/* Hooks: a new host registered (returns -1 when its Agent could not be
 * created), a host or a cluster changed. No-ops without hooks. */
int emu_kapi_host_registered(struct emu_model *m, const struct emu_host *h);
void emu_kapi_host_changed(struct emu_model *m, const struct emu_host *h);
void emu_kapi_cluster_changed(struct emu_model *m, const struct emu_cluster *c);
/* Kube mode keeps the inventory as the host sent it (the Agent copies it):
 * store it (compact) / the stored text or NULL. */
void emu_kapi_host_inventory(struct emu_model *m, const struct emu_host *h, const json_t *inv);
const char *emu_kapi_host_inventory_raw(const struct emu_model *m, const struct emu_host *h);
/* The host's installer args (JSON array) and ignition override, or NULL. */
const char *emu_kapi_host_installer_args(const struct emu_model *m, const struct emu_host *h);
const char *emu_kapi_host_ignition(const struct emu_model *m, const struct emu_host *h);
void emu_api_update_installer_args(struct emu_ctx *x);
void emu_api_update_host_ignition(struct emu_ctx *x);
void emu_api_get_host_ignition(struct emu_ctx *x);
void emu_api_transform_day2(struct emu_ctx *x);
void emu_api_get_credentials(struct emu_ctx *x);

/* Lookup helpers for handlers: fill a 404 and return NULL when missing. */
struct emu_cluster *emu_ctx_cluster(struct emu_ctx *x, const char *id);
struct emu_infraenv *emu_ctx_infraenv(struct emu_ctx *x, const char *id);
struct emu_host *emu_ctx_host(struct emu_ctx *x, const char *ie, const char *id);
/* The host of a /infra-envs/{p[0]}/hosts/{p[1]} path: an unknown infra-env
 * is answered 404 first, then an unknown host; NULL once answered. */
struct emu_host *emu_ctx_path_host(struct emu_ctx *x);

#endif
