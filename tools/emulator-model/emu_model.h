/*
 * emu_model: the assisted-service emulator's model of the service, with no
 * I/O: clusters, infra-envs, hosts, their state machines, validations, step
 * generation and the REST operations of protocol/README.md §3, answered the way
 * the real service answers (status codes, bodies, error shapes).
 *
 * Time is injected (|now_ns|, monotonic, plus wall-clock seconds for
 * timestamps) so tests drive it deterministically; the front end calls
 * emu_model_handle() per request and emu_model_monitor() from a timer every
 * emu_model_monitor_period_ns(). Authentication is done by the front end;
 * the model is told the auth mode only to build URLs and to answer like the
 * real service where the mode changes behaviour.
 */
#ifndef EMU_MODEL_H
#define EMU_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "as_model.h"
#include "emu_routes.h"

struct emu_model;

enum emu_api_generation {
	EMU_API_CURRENT,  /* spec of openshift/assisted-service@063b2579 (2026) */
	EMU_API_2023,     /* b29f9bcf era: no control_plane_count; PATCH needs api_vip with api_vips */
};

enum emu_auth_mode { EMU_AUTH_NONE, EMU_AUTH_TOKEN, EMU_AUTH_LOCAL };

struct emu_model_cfg {
	enum emu_api_generation api;
	enum emu_auth_mode auth;
	double time_scale;          /* >= 1: divides monitor periods, poll intervals and timeouts */
	const char *agent_image;    /* versions["discovery-agent"]; default quay.io/edge-infrastructure/assisted-installer-agent:latest */
	const char *release_tag;    /* default "v2.40.0" */
	const char *image_service_base; /* base of ISO URLs, default "https://image-service.emulator.local" */
	uint64_t seed;              /* step ids and UUIDs are reproducible per seed */
	int check_cluster_version;  /* CHECK_CLUSTER_VERSION: adds the "cvo" monitored operator */
	int enable_single_node_dnsmasq; /* ENABLE_SINGLE_NODE_DNSMASQ */
	/* Builds the token shown in local-auth ISO URLs (/byapikey/<token>/...); may be NULL. */
	int (*make_infraenv_token)(void *arg, const char *infra_env_id, char *out, size_t outlen);
	void *token_arg;
};

/* One request as the model sees it (already authenticated by the front). */
struct emu_request {
	const char *method;
	const char *path;           /* full path, e.g. /api/assisted-install/v2/clusters/ID */
	const char *query;          /* raw query string without '?', or "" */
	const char *body;           /* request body (not NUL-terminated necessarily) */
	size_t body_len;
	uint64_t body_total;        /* bytes the client sent when only a prefix is in |body| (0: body_len) */
	const char *content_type;   /* may be NULL */
	const char *agent_version_header; /* discovery_agent_version header or NULL */
	int is_agent;               /* authenticated as agent (X-Secret-Key) */
	uint64_t now_ns;            /* monotonic now */
	int64_t wall_s;             /* wall-clock unix seconds (for timestamps in bodies) */
};

/* The model's answer. |body| is malloc'ed (caller frees with free()), may be NULL. */
struct emu_response {
	int status;
	char *body;
	size_t body_len;
	const char *content_type;   /* static string: application/json, application/octet-stream, NULL */
	char operation[48];         /* operationId-like name for metrics ("v2RegisterHost"); "unknown" when no route */
};

/* Fills defaults (time_scale 1, current API, auth none). */
void emu_model_cfg_init(struct emu_model_cfg *cfg);

/* Creates an empty service. Returns NULL on allocation failure. Frees: emu_model_free(). */
struct emu_model *emu_model_new(const struct emu_model_cfg *cfg);
void emu_model_free(struct emu_model **mp);

/* Answers one REST request: emu_route_match() then emu_model_handle_match().
 * Always fills |resp| (404 with the real error body for unknown paths, 405
 * for wrong methods). Returns 0, or SW_ERR_NOMEM. */
int emu_model_handle(struct emu_model *m, const struct emu_request *req, struct emu_response *resp);

/* Runs the operation |rm| matched (emu_route_match() on req->method and
 * req->path) so the caller's match, already used for authentication, is the
 * one that runs. A result other than EMU_ROUTE_MATCH is answered like
 * emu_model_route_error(). Returns 0, or SW_ERR_NOMEM. */
int emu_model_handle_match(struct emu_model *m, const struct emu_route_match *rm,
                           const struct emu_request *req, struct emu_response *resp);

/* Fills |resp| with the router's answer to an unmatched request: 405 (the
 * allowed methods) or 404 "path PATH was not found", in the service's shape. */
void emu_model_route_error(const struct emu_route_match *rm, const char *method, const char *path,
                           struct emu_response *resp);

/* Requests that reached an operation (emu_model_handle_match() with a match). */
uint64_t emu_model_requests(const struct emu_model *m);

/* Runs the host and cluster monitors due at |now_ns| (host monitor every
 * 8 s / time_scale, cluster monitor every 10 s / time_scale). */
void emu_model_monitor(struct emu_model *m, uint64_t now_ns, int64_t wall_s);
/* 1 when emu_model_monitor() at |now_ns| would run a pass (0: a no-op). */
int emu_model_monitor_due(const struct emu_model *m, uint64_t now_ns);
/* Period at which the front should call emu_model_monitor(). */
uint64_t emu_model_monitor_period_ns(const struct emu_model *m);

/* Lookups used by the front end's auth layer. Return 1 if it exists. */
int emu_model_infraenv_exists(const struct emu_model *m, const char *infra_env_id);
int emu_model_cluster_exists(const struct emu_model *m, const char *cluster_id);

/* Counts for /metrics: hosts per enum as_host_status, clusters per enum as_cluster_status. */
void emu_model_counts(const struct emu_model *m, uint64_t host_counts[AS_HOST_STATUS_COUNT],
                      uint64_t cluster_counts[AS_CLUSTER_STATUS_COUNT]);

/* Full state for the debug endpoint: {"clusters":[...],"infra_envs":[...],"hosts":[...]}
 * with status, status_info, stages, validations; credentials in ISO URLs are
 * masked. New reference; caller json_decref()s. */
json_t *emu_model_dump(const struct emu_model *m);

/* Approximate bytes of memory held per registered host (for the benchmark). */
size_t emu_model_bytes_per_host(const struct emu_model *m);

/* ---- persistence (--state-dir; emu_snapshot.c) ---- */

/* Receives |n| bytes of a snapshot; returns 0 or a negative SW_ERR_* to stop. */
typedef int (*emu_snapshot_write_fn)(void *arg, const void *p, size_t n);

/* Writes the whole state of |m| (every entity struct with what its pointers
 * point to, the event ring, the id generator) through |fn|. Returns 0 or
 * what |fn| returned. */
int emu_model_snapshot(const struct emu_model *m, emu_snapshot_write_fn fn, void *arg);

/* Loads a snapshot into |m|, which must be new and empty (emu_model_new()
 * with the configuration it was written under). Returns 0, SW_ERR_NOMEM, or
 * SW_ERR_PARSE with a message in |err| (corrupt, cut short, or written by a
 * build with other entity layouts). On failure free |m|: it may be partial. */
int emu_model_restore(struct emu_model *m, const void *data, size_t len, char *err, size_t errlen);

/* Moves every monotonic time the model keeps (check-ins, status and stage
 * clocks, monitor schedule) by |delta_ns| (into another process's clock). */
void emu_model_rebase(struct emu_model *m, int64_t delta_ns);

/* Writes the configuration that replaying requests depends on as
 * "key=value" lines into |out|. Returns the length or SW_ERR_TOO_BIG. */
int emu_model_cfg_describe(const struct emu_model *m, char *out, size_t len);

/* Compares two models entity by entity, byte for byte (pointers by what
 * they point to). Returns 0 when equal, else 1 with the first difference
 * in |why| (tests). */
int emu_model_state_diff(const struct emu_model *a, const struct emu_model *b, char *why,
                         size_t len);

#endif
