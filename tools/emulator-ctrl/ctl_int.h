/*
 * ctl_int: internals shared by the controllers' files (not an API).
 * ctl_core.c owns struct ctl (life cycle, clock, timer, queues, the write
 * and model-call wrappers that count a reconcile's round trips and check
 * writes), ctl_watch.c maps hub notifications and model hooks to queue
 * keys, ctl_json.c holds the JSON helpers (paths, labels, finalizers,
 * conditions, times), ctl_keys.c the kube-key tables (CR <-> model id), and
 * one file per controller holds its reconcile: ctl_infraenv.c, ctl_cd.c
 * (ClusterDeployment + AgentClusterInstall), ctl_agent.c (and the Agent CR
 * made at host registration), ctl_bmac.c, ctl_ppi.c, ctl_hive.c.
 */
#ifndef CTL_INT_H
#define CTL_INT_H

#include <jansson.h>
#include <stdint.h>

#include "ctl.h"
#include "ctl_queue.h"
#include "emu_kubeapi.h"
#include "hub_client.h"
#include "hub_crd.h"
#include "hub_schema.h"

#define CTL_NS_PER_S 1000000000ull
/* Reconciles one ctl_run() runs per queue before yielding to the loop. */
#define CTL_RUN_BATCH 512
#define CTL_API_BASE "/api/assisted-install"

/* Labels, annotations and finalizers the real controllers use. */
#define L_INFRAENV "infraenvs.agent-install.openshift.io"
#define L_AGENT_BMH "agent-install.openshift.io/bmh"
#define L_CD_NAMESPACE "agent-install.openshift.io/clusterdeployment-namespace"
#define L_BACKUP "cluster.open-cluster-management.io/backup"
#define F_INFRAENV "infraenv.agent-install.openshift.io/ai-deprovision"
#define F_AGENT "agent.agent-install.openshift.io/ai-deprovision"
#define F_CD "clusterdeployments.agent-install.openshift.io/ai-deprovision"
#define F_ACI "agentclusterinstall.agent-install.openshift.io/ai-deprovision"
#define F_BMH "bmac.agent-install.openshift.io/deprovision"
#define F_PPI "preprovisioningimage.agent-install.openshift.io/ai-deprovision"

/* A hub notification waiting to be mapped to keys (outside the hub's callback). */
struct ctl_ev {
	struct ctl_ev *next;
	enum kube_res_id res;
	enum kube_watch_type type;
	struct hub_blob *obj;      /* referenced */
	struct hub_blob *prev;     /* referenced, may be NULL */
};

struct ctl_smap;               /* string -> string hash map (ctl_keys.c) */
struct ctl;

/* What a queue's reconcile callback gets: which controller of which ctl. */
struct ctl_qctx {
	struct ctl *c;
	enum ctl_id id;
};

struct ctl {
	struct ctl_cfg cfg;
	struct hub *hub;
	struct emu_model *m;
	struct ctl_queue *q[CTL_COUNT];
	struct ctl_qctx qctx[CTL_COUNT];
	struct hub_sub *subs[KUBE_RES_COUNT];
	struct event *timer;
	uint64_t timer_due;        /* armed for this time, UINT64_MAX when not */
	int in_run;
	struct ctl_ev *ev_head, *ev_tail;
	/* kube keys: model ids <-> "ns/name" of the InfraEnv / ClusterDeployment */
	struct ctl_smap *ie_key, *ie_id, *cd_key, *cd_id;
	/* InfraEnvs by the ClusterDeployment their clusterRef names: "cdns/cd" ->
	 * "ns/name\n..." (the real mapping lists every InfraEnv of the cache) */
	struct ctl_smap *ie_by_cdref;
	/* the reconcile running now */
	enum ctl_id cur;
	unsigned calls;            /* API writes and database calls it made */
	uint64_t now_ns;           /* its monotonic time */
	/* write checks (cfg.check_writes) */
	struct hub_defs defs;
	int have_defs;
	struct hub_schema *schema;
	uint64_t invalid_writes[CTL_COUNT];
	char first_invalid[512];
	uint64_t requeues_on_conflict[CTL_COUNT]; /* writes refused with 409 */
};

/* ---- ctl_core.c ---- */
/* Clocks. */
uint64_t ctl_mono(const struct ctl *c);
int64_t ctl_wall_ms(const struct ctl *c);
/* |seconds| of real time divided by the time scale, in ns. */
uint64_t ctl_scaled_ns(const struct ctl *c, double seconds);
/* Enqueues a key of controller |id| now / after |delay_ns|, and arms the timer. */
void ctl_enqueue(struct ctl *c, enum ctl_id id, const char *ns, const char *name);
void ctl_enqueue_after(struct ctl *c, enum ctl_id id, const char *ns, const char *name,
                       uint64_t delay_ns);
/* Arms the timer for the earliest due work (no-op without an event base). */
void ctl_arm(struct ctl *c);
/* Writes through the hub, counted as one API round trip of the running
 * reconcile and, with check_writes, validated first. Same returns as
 * hub_client.h (0 or -HTTP status); |out| optional. */
int ctl_create(struct ctl *c, enum kube_res_id res, const json_t *obj, json_t **out);
int ctl_update(struct ctl *c, enum kube_res_id res, const json_t *obj, json_t **out);
int ctl_update_status(struct ctl *c, enum kube_res_id res, const json_t *obj, json_t **out);
int ctl_delete(struct ctl *c, enum kube_res_id res, const char *ns, const char *name);
/* ctl_update() of |*obj|; on success |*obj| becomes the stored version (its
 * new resourceVersion), as controller-runtime's Update refreshes the object. */
int ctl_update_in_place(struct ctl *c, enum kube_res_id res, json_t **obj);
/* Reads (controller-runtime's cache: free). */
json_t *ctl_get(struct ctl *c, enum kube_res_id res, const char *ns, const char *name);
/*
 * One call of the service's internal API (a REST operation run in process,
 * counted as one database round trip). |body| may be NULL. Returns the HTTP
 * status; |out| (optional) receives the parsed JSON answer or NULL; |msg|
 * (optional) the error's "reason" text.
 */
int ctl_call(struct ctl *c, const char *method, const char *path, const json_t *body,
             json_t **out, char *msg, size_t msglen);

/* ---- ctl_watch.c ---- */
void ctl_watch_start(struct ctl *c);
void ctl_watch_stop(struct ctl *c);
/* Maps every pending notification to keys. Returns the number mapped. */
unsigned ctl_watch_drain(struct ctl *c);
/* Model hooks (emu_kubeapi.h) with |arg| = the ctl. */
int ctl_hook_host_registered(void *arg, const char *infra_env_id, const char *host_id);
void ctl_hook_host_changed(void *arg, const char *infra_env_id, const char *host_id,
                           const char *cluster_id);
void ctl_hook_cluster_changed(void *arg, const char *cluster_id);
/* The BareMetalHost in |ns| whose bootMACAddress is one of |agent|'s
 * interfaces (case-insensitive), or NULL (new reference). */
json_t *ctl_bmh_for_agent(struct ctl *c, const json_t *agent);

/* ---- ctl_keys.c ---- */
struct ctl_smap *ctl_smap_new(void);
void ctl_smap_free(struct ctl_smap **mp);
/* Value of |key| or NULL. */
const char *ctl_smap_get(const struct ctl_smap *m, const char *key);
void ctl_smap_put(struct ctl_smap *m, const char *key, const char *val);
void ctl_smap_del(struct ctl_smap *m, const char *key);
/* A set of strings kept as one newline-separated value of |key|. */
void ctl_smap_set_add(struct ctl_smap *m, const char *key, const char *item);
void ctl_smap_set_del(struct ctl_smap *m, const char *key, const char *item);
/* Kube key tables (both directions kept together). |key| is "ns/name". */
void ctl_keys_set_infraenv(struct ctl *c, const char *id, const char *key);
void ctl_keys_set_cluster(struct ctl *c, const char *id, const char *key);
void ctl_keys_del_infraenv(struct ctl *c, const char *id);
void ctl_keys_del_cluster(struct ctl *c, const char *id);
const char *ctl_keys_infraenv_id(const struct ctl *c, const char *ns, const char *name);
const char *ctl_keys_cluster_id(const struct ctl *c, const char *ns, const char *name);
/* "ns/name" of a model id, or NULL. */
const char *ctl_keys_infraenv_key(const struct ctl *c, const char *id);
const char *ctl_keys_cluster_key(const struct ctl *c, const char *id);
/* Splits "ns/name" into |ns| and |name| buffers. Returns 0 or -1. */
int ctl_key_split(const char *key, char *ns, size_t nslen, char *name, size_t namelen);

/* ---- ctl_json.c ---- */
/* Value at dotted |path| ("spec.clusterRef.name"), or NULL. */
json_t *cj_get(const json_t *o, const char *path);
/* String at |path| or NULL. */
const char *cj_str(const json_t *o, const char *path);
/* Object member |key| of |o|, created when missing (|o| must be an object). */
json_t *cj_obj(json_t *o, const char *key);
/* Sets |path| (intermediate objects created) to |v| (stolen). */
void cj_set(json_t *o, const char *path, json_t *v);
/* Removes |path|; returns 1 when something was removed. */
int cj_del(json_t *o, const char *path);
/* metadata.labels / annotations: value or NULL; set returns 1 when it changed. */
const char *cj_label(const json_t *obj, const char *key);
const char *cj_annotation(const json_t *obj, const char *key);
int cj_set_label(json_t *obj, const char *key, const char *val);
int cj_set_annotation(json_t *obj, const char *key, const char *val);
int cj_del_annotation(json_t *obj, const char *key);
/* metadata.finalizers; add/remove return 1 when they changed something. */
int cj_has_finalizer(const json_t *obj, const char *f);
int cj_add_finalizer(json_t *obj, const char *f);
int cj_remove_finalizer(json_t *obj, const char *f);
/* metadata.deletionTimestamp is set. */
int cj_deleting(const json_t *obj);
/* The condition of |type| in |conds| (an array), or NULL. */
json_t *cj_condition(const json_t *conds, const char *type);
/* openshift/custom-resource-status SetStatusConditionNoHeartbeat on
 * status.conditions: a new condition or a status change sets
 * lastTransitionTime; reason and message always follow. */
void cj_cond_noheartbeat(json_t *status, const char *type, const char *st, const char *reason,
                         const char *msg, const char *now);
/* hive's ClusterInstallCondition as assisted sets it (setClusterCondition):
 * any change of status, reason or message sets lastTransitionTime and
 * lastProbeTime. */
void cj_cond_cluster(json_t *status, const char *type, const char *st, const char *reason,
                     const char *msg, const char *now);
/* metav1.Condition (meta.SetStatusCondition), with observedGeneration. */
void cj_cond_meta(json_t *status, const char *type, const char *st, const char *reason,
                  const char *msg, int64_t generation, const char *now);
/* RFC 3339 (seconds, UTC) of |wall_ms|, as metav1.Time marshals. */
void ctl_time_fmt(int64_t wall_ms, char out[32]);
/* Parses RFC 3339 ("2026-01-02T03:04:05Z", optional fraction and offset) to ms; -1 on error. */
int64_t ctl_time_parse(const char *s);
/* Case-insensitive equality of two MAC strings. */
int ctl_mac_eq(const char *a, const char *b);

/* ---- ctl_svc.c: service-side helpers shared by the controllers ---- */
/* An error as the real controllers classify it: |user| for input errors and
 * 4xx answers of the service (IsUserError / isClientError), else internal. */
struct ctl_err {
	int set;
	int user;
	char msg[640];
};
void ctl_err_set(struct ctl_err *e, int user, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* GetValidPullSecret: the pull secret |ns|/|name| (labelled for backup and
 * watch on the way, as the real handler does), its .dockerconfigjson
 * decoded and checked. Returns a malloc'ed string or NULL with |e| set. */
char *ctl_pull_secret(struct ctl *c, const char *ns, const char *name, struct ctl_err *e);
/* ensureSecretIsLabelled. Returns 0 or -1 with |e| set. */
int ctl_label_secret(struct ctl *c, json_t *secret, struct ctl_err *e);
/* generateEventsURL: "<service>/api/assisted-install/v2/events?<key>=<id>",
 * signed with |ie_id|'s token under local auth (|ie_id| NULL: unsigned). */
void ctl_events_url(struct ctl *c, const char *key, const char *id, const char *ie_id, char *out,
                    size_t len);
/* Appends "&api_key=<token of ie_id>" under local auth. */
void ctl_sign_url(struct ctl *c, const char *ie_id, char *url, size_t len);
/* Base64 (standard alphabet). decode returns a malloc'ed NUL-terminated
 * buffer (|*n| bytes) or NULL; encode a malloc'ed string. */
char *ctl_b64_decode(const char *s, size_t *n);
char *ctl_b64_encode(const void *p, size_t n);
/* The messages of the validations in |validations_info| (the service's JSON
 * text) that are not "success" (and, |skip_disabled|, not "disabled"),
 * joined by ",", as the Validated conditions list them. */
void ctl_failed_validations(const char *validations_info, int skip_disabled, char *out,
                            size_t len);
/* Version ("4.16.0") and architecture ("x86_64") of a release image pullspec
 * ("quay.io/openshift-release-dev/ocp-release:4.16.0-x86_64"). Returns 0 or -1. */
int ctl_release_version(const char *image, char *ver, size_t vlen, char *arch, size_t alen);

/* ---- one file per controller: reconcile |ns|/|name| ---- */
void ctl_infraenv_reconcile(struct ctl *c, const char *ns, const char *name, struct ctl_result *r);
void ctl_cd_reconcile(struct ctl *c, const char *ns, const char *name, struct ctl_result *r);
void ctl_aci_reconcile(struct ctl *c, const char *ns, const char *name, struct ctl_result *r);
void ctl_agent_reconcile(struct ctl *c, const char *ns, const char *name, struct ctl_result *r);
void ctl_bmac_reconcile(struct ctl *c, const char *ns, const char *name, struct ctl_result *r);
void ctl_ppi_reconcile(struct ctl *c, const char *ns, const char *name, struct ctl_result *r);
void ctl_hive_reconcile(struct ctl *c, const char *ns, const char *name, struct ctl_result *r);
/* ctl_agent.c: the Agent CR of a newly registered host (CreateAgentCR). */
int ctl_agent_create_cr(struct ctl *c, const char *infra_env_id, const char *host_id);
/* ctl_bmac.c: the cooldown test of shouldReconcileBMH (used by the InfraEnv
 * mapping): 1 proceed, 0 stop; |*wait_ns| > 0 when the image is too recent. */
int ctl_bmac_should_reconcile(struct ctl *c, const json_t *bmh, const json_t *infraenv,
                              uint64_t *wait_ns, int *stop);

#endif
