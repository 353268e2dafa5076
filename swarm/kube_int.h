/*
 * kube_int: the private contract of kube mode's files: kshard.c (the
 * shard's client, informers and routing), driver_kube.c (the cluster
 * driver: objects, progress from the AgentClusterInstall, InfraEnv, Agents,
 * cleanup) and bmo.c (the emulated BareMetal Operator, one state machine
 * per BareMetalHost, and the host's boot from the ISO URL). Not a public API.
 */
#ifndef SWARM_KUBE_INT_H
#define SWARM_KUBE_INT_H

#include <stdint.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <jansson.h>

#include "cluster.h"
#include "kstats.h"
#include "kube_client.h"
#include "kube_objs.h"
#include "kshard.h"

/* ---- the emulated BareMetal Operator, per host (bmo.c) ---- */

enum bmo_flag {
	BF_EXISTS = 1u << 0,       /* the BMH is on the hub */
	BF_OUR_FIN = 1u << 1,      /* our finalizer is on it */
	BF_BMAC_FIN = 1u << 2,     /* BMAC's finalizer is on it */
	BF_OTHER_FIN = 1u << 3,    /* finalizers of others: read before writing finalizers */
	BF_INSPECT_OFF = 1u << 4,  /* inspect.metal3.io: disabled */
	BF_DETACHED = 1u << 5,     /* baremetalhost.metal3.io/detached */
	BF_PAUSED = 1u << 6,       /* baremetalhost.metal3.io/paused */
	BF_HWDETAILS = 1u << 7,    /* inspect.metal3.io/hardwaredetails given */
	BF_ONLINE = 1u << 8,       /* spec.online */
	BF_IMAGE = 1u << 9,        /* spec.image.url set (non-converged flow) */
	BF_CUSTOM = 1u << 10,      /* spec.customDeploy.method set (converged flow) */
	BF_DELETING = 1u << 11,    /* deletionTimestamp */
	BF_PPI = 1u << 12,         /* our PreprovisioningImage exists (or is being created) */
	BF_PPI_READY = 1u << 13,   /* ... with ImageReady True and an image URL */
	BF_BOOTED = 1u << 14,      /* the emulated host booted the ISO */
	BF_OP_DETACHED = 1u << 15, /* operationalStatus detached written */
	BF_AGENT = 1u << 16,       /* its Agent appeared on the hub */
	BF_AGENT_KNOWN = 1u << 17, /* ... and is known / known-unbound */
	BF_WAITED = 1u << 18,      /* the pause of the current state is over */
	BF_HW_WRITTEN = 1u << 19,  /* status.hardware written */
	BF_VIA_CUSTOM = 1u << 20,  /* provisioned through customDeploy */
	BF_GONE = 1u << 21,        /* deleted from the hub */
	BF_FAILED = 1u << 22,      /* gave up (write refused for good) */
	BF_ALREADY = 1u << 23,     /* a write found the object already as it wanted it */
};

struct bmo_host {
	struct event ev;           /* the operator's pauses and retries for this host */
	uint64_t rv;               /* last resourceVersion of the BMH seen */
	uint64_t t_created_ns;     /* its create was sent */
	uint64_t due_boot_ns, due_next_ns;
	uint32_t flags;
	uint8_t state;             /* enum kstats_bmh_state written */
	uint8_t busy;              /* a write in flight */
	uint8_t epoch;             /* relist sweep mark */
	uint8_t failures;          /* consecutive failed writes */
	uint8_t mac[6];            /* the BMH's spec.bootMACAddress */
	uint8_t uid[16];           /* its metadata.uid (the PreprovisioningImage's owner) */
};

/* ---- per cluster (driver_kube.c) ---- */

enum kd_state { KD_NS, KD_OBJECTS, KD_RUN, KD_DONE, KD_CLEANUP, KD_STATE_COUNT };

struct kdrv {
	struct kshard *ks;
	struct kobj_cluster obj;   /* what the objects are made of */
	char machine_cidr[24];
	struct event ev;           /* cleanup bound */
	uint8_t state;
	uint8_t registered;        /* in the shard's routing table */
	uint8_t cleanup_hold;      /* the owner is held until the namespace is gone */
	uint8_t ns_gone;
	uint8_t ns_epoch;
	unsigned creates_pending;
	unsigned agents_known;
	uint64_t aci_rv;
	uint32_t max_provisioned_ms, max_agent_ms;
	char *iso_url;             /* the last ISO URL a host was given (status.provisioning.image) */
	struct bmo_host *hosts;
};

static inline struct kdrv *kd_of(struct swarm_cluster *cl)
{
	return cl->drv;
}

/* ---- kube calls on behalf of a cluster (driver_kube.c): the cluster is
 * held (rt_owner_hold) until the callback ran; none runs once the shard
 * stops. |host| is -1 for cluster calls. ---- */

typedef void (*kd_done_fn)(struct swarm_cluster *cl, int host, const struct kube_result *r);
typedef json_t *(*kd_apply_fn)(struct swarm_cluster *cl, int host, const json_t *cur);

void kd_create(struct swarm_cluster *cl, int host, enum kube_res_id res, json_t *obj, kd_done_fn fn);
void kd_write(struct swarm_cluster *cl, int host, enum kube_res_id res, const char *name,
              const char *sub, uint64_t rv, kd_apply_fn apply, kd_done_fn fn);
void kd_delete(struct swarm_cluster *cl, int host, enum kube_res_id res, const char *name,
               kd_done_fn fn);

/* "HTTP 422: message" or the transport error of |r|, for failure reasons. */
void kd_reason(const struct kube_result *r, char *buf, size_t len);
/* Host |j|'s object name C-j into |buf|. */
void kd_host_name(struct swarm_cluster *cl, unsigned j, char *buf, size_t len);
/* The host index of object name |name| (C-j) of |cl|, or -1. */
int kd_host_of(struct swarm_cluster *cl, const char *name);

/* Events of the shard's informers for |cl| (driver_kube.c). */
void kd_on_event(struct swarm_cluster *cl, enum kube_res_id res, enum kube_watch_type type,
                 json_t *obj, int from_list);
/* A (re)list of |res| begins / ended at resourceVersion |list_rv|: objects
 * the cluster knew at or before it that the list did not bring are gone. */
void kd_list_begin(struct swarm_cluster *cl, enum kube_res_id res);
void kd_list_end(struct swarm_cluster *cl, enum kube_res_id res, uint64_t list_rv);

/* ---- bmo.c ---- */

/* Sets up host |j| (no I/O). */
void bmo_init(struct swarm_cluster *cl, unsigned j);
/* Releases host |j|'s timer. */
void bmo_release(struct swarm_cluster *cl, unsigned j);
/* Its BMH was created: |obj| the answer (may be NULL after an AlreadyExists). */
void bmo_created(struct swarm_cluster *cl, unsigned j, const json_t *obj);
/* A BMH or PreprovisioningImage event of host |j|. */
void bmo_on_bmh(struct swarm_cluster *cl, unsigned j, enum kube_watch_type type, const json_t *obj);
void bmo_on_ppi(struct swarm_cluster *cl, unsigned j, enum kube_watch_type type, const json_t *obj);
/* The cluster finished: pauses end, deletion handling goes on under cleanup. */
void bmo_cluster_finished(struct swarm_cluster *cl, unsigned j);
/* One line on what host |j|'s operator waits for (diagnostics). */
void bmo_describe(struct swarm_cluster *cl, unsigned j, char *buf, size_t len);
/* Moves host |j|'s state gauge to |st|. */
void bmo_set_state(struct swarm_cluster *cl, unsigned j, enum kstats_bmh_state st);
/* Takes the infra-env id (and, under local auth, the token) from ISO URL
 * |url| into |cl|. Returns NULL, or why it could not. */
const char *bmo_take_iso_url(struct swarm_cluster *cl, const char *url);

#endif
