/*
 * model_harness: drives the emulator's service model (emu_model.h) from
 * tests with fake time: issues requests, plays a dry-run agent per host
 * (answers every step like the real dry agent), an installer and a
 * controller, and advances the clock with the monitors.
 */
#ifndef MODEL_HARNESS_H
#define MODEL_HARNESS_H

#include <stdint.h>
#include <jansson.h>

#include "emu_model.h"

#define MH_MAX_HOSTS 8

struct mh_host {
	char id[37];
	int index;             /* 0-based: IP 10.123.0.(index+1), MAC 02:00:00:00:00:(index+1) */
	int cores;             /* inventory overrides */
	uint64_t ram;
	uint64_t disk;
	int name_as;           /* >0: report the hostname of host number name_as-1 */
	int ip_as;             /* >0: report the IP of host number ip_as-1 (own MAC) */
	int send_timestamp;    /* ?timestamp= on polls */
	const char *agent_version;
	int silent;            /* stops polling */
	uint64_t next_poll_ns;
	int install_started;   /* got the install step */
	int stage_pos;         /* next stage index to report */
	const char *role;      /* role from the install step */
	int done;
};

struct mh {
	struct emu_model *m;
	struct emu_model_cfg cfg;
	uint64_t now_ns;
	int64_t wall;
	char cluster_id[37];
	char infra_env_id[37];
	struct mh_host hosts[MH_MAX_HOSTS];
	int nhosts;
	int last_status;
	char *last_body;
	int ingress_done;
	int fin_stage;
	int completed;
	int polls;
	/* Optional: called with every request and monitor call before the model
	 * gets it (the state-dir tests journal them). */
	void (*on_request)(void *arg, const struct emu_request *r);
	void (*on_monitor)(void *arg, uint64_t now_ns, int64_t wall_s);
	void *hook_arg;
};

/* Creates the model with |cfg| (NULL: defaults). */
void mh_init(struct mh *h, const struct emu_model_cfg *cfg);
void mh_free(struct mh *h);
/* Issues a request; returns the status; the body stays in h->last_body. */
int mh_req(struct mh *h, const char *method, const char *path, const char *query, const char *body);
/* Same with a content type and an agent-version header. */
int mh_req_full(struct mh *h, const char *method, const char *path, const char *query,
                const char *body, size_t body_len, const char *ctype, const char *agent);
/* Parses h->last_body (new reference, NULL when not JSON). */
json_t *mh_json(struct mh *h);
/* Creates a cluster (control_plane_count |cp|) and its infra-env; asserts 201s. */
void mh_create_cluster(struct mh *h, int cp, int umn);
/* Registers |n| hosts with good inventories; returns index of the first. */
int mh_add_hosts(struct mh *h, int n);
/* Advances the fake clock by |s| seconds: monitors, due polls and the agent's replies,
 * the installer and the controller. */
void mh_step(struct mh *h, double s);
/* Returns the status string of the cluster (static buffer). */
const char *mh_cluster_status(struct mh *h);
const char *mh_host_status(struct mh *h, int i);
/* Builds a minimal inventory JSON for host |hh| (caller frees). */
char *mh_inventory(const struct mh_host *hh);
/* Makes a self-signed PEM certificate (caller frees). */
char *mh_pem(void);
/* emu_model_snapshot() of |m| into a malloc'ed buffer (caller frees); its size in *|len|. */
unsigned char *mh_snapshot(const struct emu_model *m, size_t *len);

#endif
