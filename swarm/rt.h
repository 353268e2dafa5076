/*
 * rt: the per-shard runtime every engine object (cluster, agent, installer,
 * controller, driver) works through: the event loop, the HTTP client hook,
 * the loop-owned stats, scaled/jittered timing, the per-shard shared assets
 * (tiny logs .tar.gz, ingress CA PEM, service agent image, API generation
 * detection) and the request helper (rt_call) that stamps auth headers,
 * retries like the real Go clients, records every call into the stats and
 * keeps the owning cluster alive while requests are in flight.
 *
 * Owned by shard.c (one per shard thread); not thread-safe. Tests build one
 * by hand with rt_init() and replace |submit| to answer requests in memory.
 */
#ifndef SWARM_RT_H
#define SWARM_RT_H

#include <stdint.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <jansson.h>
#include "config.h"
#include "ids.h"
#include "shard.h"
#include "stats.h"
#include "sw_client.h"

struct swarm_cluster;
struct rt_call;

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

	/* shared assets, built on first use */
	unsigned char *logs_tgz;
	size_t logs_tgz_len;
	char *ingress_ca;                /* PEM certificate */
	char *agent_image;               /* versions["discovery-agent"] from D0 */
	int d0_state;                    /* 0 not asked, 1 in flight, 2 done */
	char *agent_token;               /* token mode X-Secret-Key */
	int vip_legacy;                  /* -1 unknown, 0 api_vips only, 1 send api_vip too */
	int cpc_refused;                 /* service refused control_plane_count */

	/* common timeouts (same-duration timers share one queue) */
	struct {
		uint64_t ns;
		const struct timeval *tv;
	} common[8];
	unsigned ncommon;

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
/* Returns the agents' X-Secret-Key for token auth: |svc|->agent_token, else
 * the pull secret's auths["cloud.openshift.com"].auth; NULL when neither
 * exists. Frees: free(). */
char *rt_token_from_service(const struct swarm_service *svc);
/* Frees every call still live (without calling their handlers) and the
 * assets. Call after the client was freed. NULL-safe. */
void rt_cleanup(struct swarm_rt *rt);

/* Returns |ms| milliseconds of plan time as ns: divided by time_scale and
 * multiplied by a random factor in [1-jitter, 1+jitter]. */
uint64_t rt_delay_ns(struct swarm_rt *rt, double ms);
/* Same without jitter. */
uint64_t rt_scaled_ns(const struct swarm_rt *rt, double ms);
/* Returns a uniform random delay between |lo_ms| and |hi_ms| of plan time (scaled). */
uint64_t rt_uniform_ns(struct swarm_rt *rt, double lo_ms, double hi_ms);
/* Arms |ev| (assigned on rt->base) to fire after |delay_ns|. With |common|
 * set, the duration gets a libevent common timeout (up to 8 distinct
 * durations per shard; O(1) insertion for the agents' identical cadence).
 * Returns the due time (sw_now_ns() + |delay_ns|) for rt_timer_fired(). */
uint64_t rt_timer(struct swarm_rt *rt, struct event *ev, uint64_t delay_ns, int common);
/* Called first by a schedule timer's callback: records how late it fired
 * against |due_ns| in the lateness histogram. */
void rt_timer_fired(struct swarm_rt *rt, uint64_t due_ns);
/* event_assign() for a schedule timer (agent, installer, controller, driver,
 * retry): it gets |rt|->timer_prio so it runs ahead of reply processing. */
void rt_timer_assign(struct swarm_rt *rt, struct event *ev, event_callback_fn cb, void *arg);

/* Prints a diagnostic line to stderr when verbose (and a few at most otherwise). */
void rt_log(struct swarm_rt *rt, int always, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Completion of a call: |err| 0 and |resp| set, or a negative SW_ERR_* and
 * NULL (after the retries were used up). The call is freed after it returns. */
typedef void (*rt_done_fn)(struct rt_call *call, int err, const char *msg, struct sw_resp *resp);

struct rt_call {
	struct rt_call *prev, *next;     /* rt->calls list */
	struct event retry_ev;           /* assigned only when a retry waits */
	struct swarm_rt *rt;
	struct swarm_cluster *cl;        /* owner; NULL for shard-level calls */
	int host;                        /* host index for host calls, -1 otherwise */
	enum swarm_ep ep;
	enum rt_retry retry;
	enum rt_auth auth;
	unsigned attempts;
	int retry_armed;
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
 * Creates a call owned by |cl| (may be NULL) for host |host| (-1 = none),
 * operation |ep|, |method| and |path| (copied; the API base is prepended when
 * |path| starts with "/v2/"). Never returns NULL. The call is not sent until
 * rt_call_send(). intended_ns defaults to now.
 */
struct rt_call *rt_call_new(struct swarm_rt *rt, struct swarm_cluster *cl, int host,
                            enum swarm_ep ep, const char *method, const char *path);
/* Sets a JSON body (copied). */
void rt_call_json(struct rt_call *c, const char *json, size_t len);
/* Sets a JSON body from a string literal. */
#define rt_call_lit(c, lit) rt_call_json((c), (lit), sizeof(lit) - 1)
/* Sets a raw body (ownership of |body| passes to the call) with |ctype| (copied). */
void rt_call_body(struct rt_call *c, unsigned char *body, size_t len, const char *ctype);
/*
 * Sends |c| (taking it over) and calls |done| once with the outcome. When
 * the runtime is stopping, the call is dropped and |done| is not called.
 * Returns 0 or a negative SW_ERR_* (then |done| is not called and |c| freed).
 */
int rt_call_send(struct rt_call *c, rt_done_fn done);

/* Parses |resp|'s body as JSON (NULL when absent/invalid). New reference. */
json_t *rt_resp_json(struct sw_resp *resp);
/* The discovery agent image of a component-versions reply
 * (versions["discovery-agent"]), malloc'd, or NULL when it has none. */
char *rt_versions_agent_image(struct sw_resp *resp);

/* The tiny host/controller logs archive (a valid .tar.gz with one file),
 * built on first use. Returns it and stores its length in |*len|. */
const unsigned char *rt_logs_tgz(struct swarm_rt *rt, size_t *len);
/* A self-signed CA certificate (EC P-256) in PEM, made once per shard. NULL on failure. */
const char *rt_ingress_ca(struct swarm_rt *rt);

/* Formats the API path "/api/assisted-install/v2/..." from |fmt|. */
int rt_path(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
