/*
 * as_model: vocabulary of the assisted-service API shared by the emulator and
 * the swarm (protocol/README.md §3-§5): host and cluster statuses, step types,
 * installation stages and their per-role order, finalizing stages, and the
 * two error body shapes. Pure data and string mapping; no I/O.
 */
#ifndef AS_MODEL_H
#define AS_MODEL_H

#include <stddef.h>

#define AS_API_BASE "/api/assisted-install"

enum as_host_status {
	AS_HOST_DISCOVERING, AS_HOST_KNOWN, AS_HOST_DISCONNECTED, AS_HOST_INSUFFICIENT,
	AS_HOST_DISABLED, AS_HOST_PREPARING, AS_HOST_PREPARING_FAILED,
	AS_HOST_PREPARING_SUCCESSFUL, AS_HOST_PENDING_FOR_INPUT, AS_HOST_INSTALLING,
	AS_HOST_INSTALLING_IN_PROGRESS, AS_HOST_INSTALLING_PENDING_USER_ACTION,
	AS_HOST_RESETTING_PENDING_USER_ACTION, AS_HOST_INSTALLED, AS_HOST_ERROR,
	AS_HOST_RESETTING, AS_HOST_ADDED_TO_EXISTING_CLUSTER, AS_HOST_CANCELLED,
	AS_HOST_BINDING, AS_HOST_UNBINDING, AS_HOST_UNBINDING_PENDING_USER_ACTION,
	AS_HOST_KNOWN_UNBOUND, AS_HOST_DISCONNECTED_UNBOUND, AS_HOST_INSUFFICIENT_UNBOUND,
	AS_HOST_DISABLED_UNBOUND, AS_HOST_DISCOVERING_UNBOUND, AS_HOST_RECLAIMING,
	AS_HOST_RECLAIMING_REBOOTING,
	AS_HOST_STATUS_COUNT
};

enum as_cluster_status {
	AS_CLUSTER_INSUFFICIENT, AS_CLUSTER_READY, AS_CLUSTER_ERROR, AS_CLUSTER_PREPARING,
	AS_CLUSTER_PENDING_FOR_INPUT, AS_CLUSTER_INSTALLING, AS_CLUSTER_FINALIZING,
	AS_CLUSTER_INSTALLED, AS_CLUSTER_ADDING_HOSTS, AS_CLUSTER_CANCELLED,
	AS_CLUSTER_INSTALLING_PENDING_USER_ACTION, AS_CLUSTER_UNMONITORED,
	AS_CLUSTER_STATUS_COUNT
};

enum as_step_type {
	AS_STEP_CONNECTIVITY_CHECK, AS_STEP_EXECUTE, AS_STEP_INVENTORY, AS_STEP_INSTALL,
	AS_STEP_FREE_NETWORK_ADDRESSES, AS_STEP_DHCP_LEASE_ALLOCATE,
	AS_STEP_API_VIP_CONNECTIVITY_CHECK, AS_STEP_TANG_CONNECTIVITY_CHECK,
	AS_STEP_NTP_SYNCHRONIZER, AS_STEP_INSTALLATION_DISK_SPEED_CHECK,
	AS_STEP_CONTAINER_IMAGE_AVAILABILITY, AS_STEP_DOMAIN_RESOLUTION,
	AS_STEP_STOP_INSTALLATION, AS_STEP_LOGS_GATHER, AS_STEP_NEXT_STEP_RUNNER,
	AS_STEP_UPGRADE_AGENT, AS_STEP_DOWNLOAD_BOOT_ARTIFACTS, AS_STEP_REBOOT_FOR_RECLAIM,
	AS_STEP_VERIFY_VIPS,
	AS_STEP_TYPE_COUNT
};

/* Installation stages, in the swagger enum order. */
enum as_stage {
	AS_STAGE_STARTING_INSTALLATION, AS_STAGE_WAITING_FOR_CONTROL_PLANE,
	AS_STAGE_WAITING_FOR_BOOTKUBE, AS_STAGE_WAITING_FOR_CONTROLLER, AS_STAGE_INSTALLING,
	AS_STAGE_WRITING_IMAGE_TO_DISK, AS_STAGE_COPYING_REGISTRY_DATA, AS_STAGE_REBOOTING,
	AS_STAGE_WAITING_FOR_IGNITION, AS_STAGE_CONFIGURING, AS_STAGE_JOINED, AS_STAGE_DONE,
	AS_STAGE_FAILED,
	AS_STAGE_COUNT
};

/* Which stage list applies (protocol/README.md §5.3). */
enum as_stage_role {
	AS_ROLE_BOOTSTRAP, /* bootstrap master of a multi-node cluster */
	AS_ROLE_MASTER,    /* other masters, arbiters */
	AS_ROLE_WORKER,
	AS_ROLE_SNO,       /* the single node of a single-node cluster */
	AS_STAGE_ROLE_COUNT
};

enum as_finalizing_stage {
	AS_FIN_WAITING_FOR_CLUSTER_OPERATORS, AS_FIN_ADDING_ROUTER_CA,
	AS_FIN_APPLYING_OLM_MANIFESTS, AS_FIN_WAITING_FOR_OLM_CSV_INIT,
	AS_FIN_WAITING_FOR_OLM_CSV, AS_FIN_WAITING_FOR_OLM_SETUP_JOBS, AS_FIN_DONE,
	AS_FIN_STAGE_COUNT
};

/* String <-> enum. *_name() never returns NULL for a valid value; *_parse()
 * returns the enum value or -1 when |s| is unknown. */
const char *as_host_status_name(enum as_host_status s);
int as_host_status_parse(const char *s);
const char *as_cluster_status_name(enum as_cluster_status s);
int as_cluster_status_parse(const char *s);
const char *as_step_type_name(enum as_step_type t);
int as_step_type_parse(const char *s);
const char *as_stage_name(enum as_stage st);
int as_stage_parse(const char *s);
const char *as_finalizing_stage_name(enum as_finalizing_stage st);
int as_finalizing_stage_parse(const char *s);

/* Returns the ordered stage list for |role| and stores its length in |*n|. */
const enum as_stage *as_stage_order(enum as_stage_role role, size_t *n);

/* Returns the index of |st| in |role|'s list, or -1 when the stage is not
 * valid for that role (AS_STAGE_FAILED is valid everywhere and returns the list length). */
int as_stage_index(enum as_stage_role role, enum as_stage st);

/*
 * Formats the service's error bodies into |buf| (|len| bytes); return the
 * length written (snprintf semantics). as_error_body: {"kind":"Error","id":N,
 * "href":"","code":"N","reason":"..."} (400/404/405/409/500/501/503);
 * as_infra_error_body: {"code":N,"message":"..."} (401/403 and framework
 * validation errors). |reason| is JSON-escaped.
 */
int as_error_body(char *buf, size_t len, int code, const char *reason);
int as_infra_error_body(char *buf, size_t len, int code, const char *message);

#endif
