/*
 * rt: the per-shard runtime every engine object (cluster, agent, installer,
 * controller, driver) works through: the event loop, the HTTP client hook,
 * the loop-owned stats, scaled/jittered timing, what the shard learnt about
 * the service (agent image, API generation), the generated upload bodies
 * (rt->assets, see assets.h) and the request helper (rt_call) that stamps
 * auth headers, retries like the real Go clients, records every call into
 * the stats and counts the live calls of each owner.
 *
 * rt calls nothing above it: what owns calls (a cluster and its hosts) is an
 * struct rt_owner to it, with hooks the owner registered, among them the
 * release hooks run when the owner's (or one host's) last live call is
 * freed, as libevent's refcounted objects run their finalisers.
 *
 * One error path: every call sent with rt_call_send() ends in its done
 * handler, with a response or an error, and never inside rt_call_send()
 * itself (a submission that fails at once is reported from the loop), so no
 * caller can lose a failure. Only shutdown (rt->stopping) drops calls
 * without their handler.
 *
 * Owned by shard.c (one per shard thread); not thread-safe. Tests build one
 * by hand with rt_init() and replace |submit| to answer (or refuse) requests
 * in memory.
 */
#ifndef SWARM_RT_H
#define SWARM_RT_H

#include <stdint.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <jansson.h>
#include "assets.h"
#include "config.h"
#include "ids.h"
#include "shard.h"
#include "stats.h"
#include "sw_client.h"
#include "sw_jscan.h"
#include "twheel.h"

struct swarm_cluster;
struct swarm_rt;
struct kshard;
struct rt_call;
struct rt_owner;

/* The per-host part of an owner, embedded in each emulated host (struct
 * agent): its dedicated connection and its count of live calls. */
struct rt_host {
	struct sw_link *link;            /* dedicated policy: made by rt->link_new on first use */
	uint16_t live;                   /* its calls alive (in flight or waiting for a retry) */
};

/* Hooks of an owner (cluster.c registers them for clusters). */
struct rt_owner_ops {
	/* Release hook: |o|'s last live call was freed (also during shutdown
	 * and rt_cleanup(), when rt->stopping is set). May be NULL. */
	void (*release)(struct rt_owner *o);
	/* Release hook of host |idx|: its last live call was freed. May be NULL. */
	void (*host_release)(struct rt_owner *o, unsigned idx);
	/* Returns the rt part of host |idx|, or NULL when |o| has no such host. */
	struct rt_host *(*host)(struct rt_owner *o, unsigned idx);
	/* Returns the discovery_agent_version host |idx|'s calls announce, or NULL. */
	const char *(*host_version)(struct rt_owner *o, unsigned idx);
};

/* What owns calls, as rt sees it; embedded in the owner (struct
 * swarm_cluster), which sets |ops| and |agent_key|. */
struct rt_owner {
	const struct rt_owner_ops *ops;
	uint64_t live;                   /* its calls alive (in flight or waiting for a retry) */
	char *agent_key;                 /* X-Secret-Key of its agent calls, owned by the owner;
	                                  * NULL = rt->agent_token */
};

/* How a call is retried at the application level (protocol/README.md §1.4). */
enum rt_retry {
	RT_RETRY_NONE,
	RT_RETRY_AGENT,      /* 3 retries on 503/504/transport errors, jitter 2-10 s */
	RT_RETRY_INSTALLER,  /* dry-run installer: 3 retries on 408/429/5xx/transport */
	RT_RETRY_CONTROLLER, /* 15 retries like the installer */
	RT_RETRY_DRIVER,     /* the test driver: 3 retries on 5xx/transport, 1-2 s */
};

/* Which credentials a call carries (protocol/README.md §2). */
enum rt_auth {
	RT_AUTH_NONE,
	RT_AUTH_AGENT,   /* X-Secret-Key (installer, controller) */
	RT_AUTH_HOST,    /* X-Secret-Key + discovery_agent_version (agent calls) */
	RT_AUTH_USER,    /* Authorization: Bearer <user_token> when configured */
};

typedef int (*rt_submit_fn)(void *arg, struct sw_link *link, struct sw_req *req,
                            sw_resp_cb cb, void *cbarg);

struct swarm_rt {
	struct event_base *base;
	struct sw_client *client;        /* may be NULL in tests (submit replaced) */
	rt_submit_fn submit;             /* set by the shard: sw_client_request on |client| */
	void *submit_arg;
	struct sw_link *(*link_new)(void *submit_arg);   /* dedicated policy; NULL = shared */
	void (*link_free)(struct sw_link **lp);
	struct swarm_stats *stats;       /* loop-owned */
	const struct swarm_ctx *ctx;
	const struct swarm_plan *plan;
	const struct swarm_service *svc;
	double scale;                    /* plan timings.time_scale (>= tiny) */
	double jitter;                   /* plan timings.jitter */
	struct ids_rng rng;              /* jitter and staggering (deterministic per shard) */
	int verbose;
	int stopping;                    /* shard_stop() seen: send nothing new */
	int dedicated;                   /* one sw_link per host */
	int timer_prio;                  /* libevent priority of schedule timers; -1 = default */

	struct assets assets;            /* generated upload bodies, built on first use */
	char *agent_image;               /* versions["discovery-agent"] from D0 */
	int d0_state;                    /* 0 not asked, 1 in flight, 2 done */
	char *agent_token;               /* token mode X-Secret-Key */
	char *bearer;                    /* "Bearer <user_token>" of user calls, NULL = none */
	int vip_legacy;                  /* -1 unknown, 0 api_vips only, 1 send api_vip too */
	int cpc_refused;                 /* service refused control_plane_count */
	int no_fin_progress;             /* the service has no finalizing-progress route (2023) */
	struct kshard *kube;             /* kube mode: the shard's hub side (kshard.h), else NULL */

	/* Schedule timers: one wheel, woken by one libevent timer (twheel.h). */
	struct twheel wheel;
	struct event wheel_ev;
	uint64_t wheel_wake_ns;          /* when wheel_ev fires; 0 = not armed */
	int wheel_ev_ready;              /* wheel_ev assigned (with timer_prio) */

	/* live calls (in flight or waiting to be retried), for shutdown */
	struct rt_call *calls;
	uint64_t calls_live;

	/* shard hooks */
	void (*cluster_idle)(struct swarm_rt *rt, struct swarm_cluster *cl); /* finished + no calls */
	void (*cluster_finished)(struct swarm_rt *rt, struct swarm_cluster *cl);
	void (*d0_done)(struct swarm_rt *rt);  /* component versions known (or given up) */
	void *owner;                     /* the shard */
	uint64_t log_lines;              /* rate limit of diagnostic lines */
};

/* Initialises |rt| for |ctx| on |base| with |client| (may be NULL) and |stats|.
 * |seed| seeds the jitter generator. Frees: rt_cleanup(). */
void rt_init(struct swarm_rt *rt, struct event_base *base, struct sw_client *client,
             struct swarm_stats *stats, const struct swarm_ctx *ctx, uint64_t seed);
/* Frees every call still live (without calling their handlers; their
 * owners' release hooks run) and the assets. Set rt->stopping first; call
 * after the client was freed. NULL-safe. */
void rt_cleanup(struct swarm_rt *rt);

/* Returns |ms| milliseconds of plan time as ns: divided by time_scale and
 * multiplied by a random factor in [1-jitter, 1+jitter]. */
uint64_t rt_delay_ns(struct swarm_rt *rt, double ms);
/* Same without jitter. */
uint64_t rt_scaled_ns(const struct swarm_rt *rt, double ms);
/* Returns a uniform random delay between |lo_ms| and |hi_ms| of plan time (scaled). */
uint64_t rt_uniform_ns(struct swarm_rt *rt, double lo_ms, double hi_ms);
/*
 * Schedule timers (agents, installers, controllers, drivers, retries) live
 * in the shard's timer wheel: a timer fires once the wheel slot of its due
 * time has ended, i.e. between its due time and RT_TIMER_GRID_NS later,
 * never early. Timers due in the same slot fire in one pass of the loop,
 * so their requests leave in one write. Each owner records its lateness
 * against its own due time (rt_timer_fired), coalescing included.
 */
#define RT_TIMER_GRID_NS 500000ull

/* Initialises |t| (embedded in its owner) with callback |fn|; not armed. */
void rt_timer_init(struct tw_timer *t, tw_fn fn);
/* Arms |t| to fire |delay_ns| from now (re-arms it when armed). Returns
 * the due time (sw_now_ns() + |delay_ns|) for rt_timer_fired(). */
uint64_t rt_timer_arm(struct swarm_rt *rt, struct tw_timer *t, uint64_t delay_ns);
/* Disarms |t|; safe when it is not armed. */
void rt_timer_cancel(struct swarm_rt *rt, struct tw_timer *t);
/* Called first by a schedule timer's callback: records how late it fired
 * against |due_ns| in the lateness histogram. */
void rt_timer_fired(struct swarm_rt *rt, uint64_t due_ns);
/* event_assign() for the shard's own libevent timers (job admission,
 * series cuts): they get |rt|->timer_prio, like the wheel. */
void rt_timer_assign(struct swarm_rt *rt, struct event *ev, event_callback_fn cb, void *arg);

/* Prints a diagnostic line to stderr when verbose (and a few at most otherwise). */
void rt_log(struct swarm_rt *rt, int always, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Completion of a call: |err| 0 and |resp| set (any HTTP status), or a
 * negative SW_ERR_* with |msg| and NULL |resp| (after the retries were used
 * up; never retried when sw_err_is_fatal(|err|)). Runs from the event loop,
 * never inside rt_call_send(). The call is freed after it returns. */
typedef void (*rt_done_fn)(struct rt_call *call, int err, const char *msg, struct sw_resp *resp);

struct rt_call {
	struct rt_call *prev, *next;     /* rt->calls list */
	struct tw_timer retry_tm;        /* armed while a retry (or a refusal report) waits */
	struct swarm_rt *rt;
	struct rt_owner *owner;          /* NULL for shard-level calls */
	struct rt_host *rth;             /* host |host| of |owner|, NULL otherwise */
	int host;                        /* host index for host calls, -1 otherwise */
	enum swarm_ep ep;
	enum rt_retry retry;
	enum rt_auth auth;
	unsigned attempts;
	int submit_err;                  /* a submission that failed at once, reported from the loop */
	struct sw_retries tretries;      /* the current attempt's transport retries (the client's) */
	uint64_t intended_ns;            /* schedule time for coordinated-omission stats */
	uint64_t submit_ns;
	char *method, *path;
	unsigned char *body;
	size_t body_len;
	char *ctype;                     /* Content-Type of |body| */
	rt_done_fn done;
	uint64_t aux;                    /* handler data */
	void *auxp;
};

/*
 * Creates a call owned by |owner| (may be NULL) for its host |host| (-1 =
 * none), operation |ep|, |method| and |path| (copied; the API base is
 * prepended when |path| starts with "/v2/"). The owner (and the host) count
 * it live until it is freed. Never returns NULL. The call is not sent until
 * rt_call_send(). intended_ns defaults to now.
 */
struct rt_call *rt_call_new(struct swarm_rt *rt, struct rt_owner *owner, int host,
                            enum swarm_ep ep, const char *method, const char *path);
/* Sets a JSON body (copied). */
void rt_call_json(struct rt_call *c, const char *json, size_t len);
/* Sets a JSON body from a string literal. */
#define rt_call_lit(c, lit) rt_call_json((c), (lit), sizeof(lit) - 1)
/* Sets a raw body (ownership of |body| passes to the call) with |ctype| (copied). */
void rt_call_body(struct rt_call *c, unsigned char *body, size_t len, const char *ctype);
/*
 * Sends |c| (taking it over); |done| (may be NULL) is called exactly once
 * with the outcome, from the event loop, whatever happens: a request the
 * client refuses at once (or whose headers cannot be built) is reported like
 * any failed request, after the retry policy. Only when the runtime is
 * stopping is the call dropped without |done| (now or later).
 */
void rt_call_send(struct rt_call *c, rt_done_fn done);

/* Counts one live operation of |o| that is not an rt_call (a kube call of
 * kube mode, a cleanup in progress), so the owner is not released while it
 * runs; rt_owner_put() ends it and runs the release hook at zero, like the
 * end of a call. */
void rt_owner_hold(struct rt_owner *o);
void rt_owner_put(struct rt_owner *o);

/* Parses |resp|'s body as JSON (NULL when absent/invalid). New reference. */
json_t *rt_resp_json(struct sw_resp *resp);
/* |resp|'s body as one contiguous block (|*len| bytes, valid until the
 * handler returns; what replies.h reads), or NULL (|*len| 0) when empty. */
const char *rt_resp_bytes(struct sw_resp *resp, size_t *len);
/*
 * The hot-path alternative to rt_resp_json() for answers of which only a
 * few values matter: validates |resp|'s body exactly as rt_resp_json()
 * would and fills |picks| (see sw_jscan.h; the values point into the body,
 * valid until the handler returns). Returns 0, or SW_ERR_PARSE when there
 * is no body or it is not valid JSON (picks all absent), or SW_ERR_INVALID
 * for bad pointers.
 */
int rt_resp_scan(struct sw_resp *resp, struct sw_jscan_pick *picks, size_t npicks);
/* Decodes string |v| into |buf| (|len| bytes) and returns |buf|, or NULL
 * when |v| is no string or does not fit whole. */
const char *rt_val_str(const struct sw_jscan_val *v, char *buf, size_t len);
/* Like rt_resp_scan() for an answer that is a JSON array: |fn| sees each
 * element with |picks| relative to it (sw_jscan_each()). Use what |fn|
 * gathered only when this returns 0. */
int rt_resp_each(struct sw_resp *resp, struct sw_jscan_pick *picks, size_t npicks,
                 sw_jscan_each_fn fn, void *arg);
/* The discovery agent image of a component-versions reply
 * (versions["discovery-agent"]), malloc'd, or NULL when it has none or one
 * that could not be sent back in a header (512 bytes or more, control bytes). */
char *rt_versions_agent_image(struct sw_resp *resp);

#endif
