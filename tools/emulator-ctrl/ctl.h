/*
 * ctl: the emulated assisted-service kube-api controllers (and hive's
 * ClusterDeployment handling of a ClusterInstall), acting on the emulated
 * hub (tools/emulator-hub, through hub_client.h) and on the same service
 * model the REST API serves (tools/emulator-model). One work queue per
 * controller (ctl_queue.h), fed by the hub's change notifications mapped as
 * the real controllers' watches map them, and by the model's change hooks
 * (emu_kubeapi.h) as the real service's CRD events handler feeds them.
 * What each controller does and which real behaviour it mirrors is in
 * tools/emulator-hub/README.md (section "Controllers").
 *
 * Time is injected (monotonic and wall clocks) so tests run with fake time:
 * with an event base the controllers arm one timer and run by themselves;
 * without one the caller calls ctl_run() at ctl_next_due(). Single-threaded.
 */
#ifndef CTL_H
#define CTL_H

#include <stdint.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "emu_model.h"
#include "hub.h"

enum ctl_id {
	CTL_INFRAENV,      /* "infraenv" */
	CTL_CD,            /* "clusterdeployment" */
	CTL_ACI,           /* "agentclusterinstall" */
	CTL_AGENT,         /* "agent" */
	CTL_BMAC,          /* "baremetal-agent-controller" */
	CTL_PPI,           /* "preprovisioningimage" (converged flow only) */
	CTL_HIVE,          /* "hive-clusterdeployment": hive's part, ClusterInstall -> ClusterDeployment */
	CTL_COUNT
};

/* The controller's name as controller-runtime reports it in its metrics. */
const char *ctl_name(enum ctl_id id);
/* Finds a controller by name (also "bmac", "ppi", "aci", "cd", "hive"); -1 when unknown. */
int ctl_find(const char *name);

struct ctl_cfg {
	struct hub *hub;                /* required */
	struct emu_model *model;        /* required */
	struct event_base *base;        /* NULL: no timer, the caller drives ctl_run() */
	double time_scale;              /* >= 1: divides every period and delay (as --time-scale) */
	int converged_flow;             /* ALLOW_CONVERGED_FLOW with a BMO that supports it */
	int no_pause_provisioned;       /* PAUSE_PROVISIONED_BMHS=false */
	unsigned workers[CTL_COUNT];    /* MaxConcurrentReconciles; 0 = the real default (1) */
	uint64_t call_latency_ns;       /* each API write and database call of a reconcile holds
	                                 * its worker this long (before time scaling) */
	int check_writes;               /* validate every write against its CRD schema first */
	const char *service_url;        /* base of eventsURL/logsURL ("http://127.0.0.1:8090") */
	int local_auth;                 /* AUTH_TYPE local: sign URLs with infra-env tokens */
	/* local auth: writes the infra-env token (emu_auth_make_infraenv_token); may be NULL */
	int (*infraenv_token)(void *arg, const char *infra_env_id, char *out, size_t outlen);
	void *token_arg;
	/* clocks; NULL = the real monotonic and wall clocks */
	uint64_t (*mono_ns)(void *arg);
	int64_t (*wall_ms)(void *arg);
	void *clock_arg;
};

struct ctl;

/* Creates the controllers: subscribes to the hub, installs the model hooks
 * and (with an event base) the timer and the hub metrics hook. Returns NULL
 * with a message in |err| (bad configuration, CRDs not loadable).
 * Frees: ctl_free() (before the hub and the model). */
struct ctl *ctl_new(const struct ctl_cfg *cfg, char *err, size_t errlen);
void ctl_free(struct ctl **cp);

/* Runs everything due now: pending notifications are mapped to keys, the
 * queues run. Bounded; returns the number of reconciles run. */
unsigned ctl_run(struct ctl *c);
/* Monotonic time of the next due work (UINT64_MAX when idle). */
uint64_t ctl_next_due(const struct ctl *c);

/* Appends the controllers' Prometheus families (controller_runtime_*,
 * workqueue_*, emulator_controller_*) to |out|. A hub_metrics_fn. */
void ctl_metrics_render(void *arg, struct evbuffer *out);

/* For tests and the benchmark. */
struct ctl_stats {
	uint64_t reconciles[CTL_COUNT];  /* every outcome */
	uint64_t errors[CTL_COUNT];
	uint64_t invalid_writes;         /* writes the CRD schema refused or pruned (check_writes) */
	unsigned depth[CTL_COUNT];
	unsigned keys[CTL_COUNT];
};
void ctl_get_stats(const struct ctl *c, struct ctl_stats *out);
/* The first invalid write seen (check_writes), "" when none. */
const char *ctl_first_invalid_write(const struct ctl *c);

#endif
