/*
 * engine_fx: the engine tests' fixture. One shard runtime (rt) on a private
 * event_base whose |submit| queues requests in memory instead of sending
 * them; tests answer them (answer, fail_transport) or have the submission
 * refused at once (fx_refuse). One cluster of plan shape 0 (SNO) or 1
 * (3 control plane + 2 workers), driven by a driver that does nothing unless
 * the test passes one (the REST driver). No sockets; timers fire only when
 * a test fires or runs them. After every answer, failure and loop pass the
 * fixture checks that each live state machine (controller, REST driver,
 * agents, installers) has its next action pending (fx_check).
 */
#ifndef ENGINE_FX_H
#define ENGINE_FX_H

#include <stddef.h>
#include <event2/event.h>
#include "cluster.h"
#include "rt.h"

#define MAXQ 64

struct pending {
	struct sw_req *req;
	sw_resp_cb cb;
	void *arg;
};

struct fx {
	struct event_base *base;
	struct swarm_stats stats;
	struct swarm_plan plan;
	struct swarm_shape shapes[2];
	struct swarm_service svc;
	struct swarm_ctx ctx;
	struct swarm_rt rt;
	struct swarm_cluster *cl;
	struct pending q[MAXQ];
	int nq;
	int finished, failed;
	int nq_seen_by_other;        /* test_timer_priority */
	/* Refusals: a submitted request whose method is |refuse_method| and whose
	 * path contains |refuse_part| is refused at once with |refuse_code|,
	 * |refuse_left| more times (-1: always); |refused| counts them. */
	const char *refuse_method, *refuse_part;
	int refuse_code, refuse_left, refused;
};

/* A fixture with the cluster of plan shape |shape| (0 SNO, 1 multi-node)
 * and a driver that does nothing. Frees: fx_free(). */
struct fx *fx_new(unsigned shape);
/* The same with driver |ops| (not started: call f->cl->ops->start). */
struct fx *fx_new_ops(unsigned shape, const struct cluster_driver_ops *ops);
/* Stops the runtime, drops queued requests, frees everything. */
void fx_free(struct fx *f);
/* Fails the test when a live state machine of the cluster has neither its
 * timer armed nor a call in flight (run after every callback by the helpers
 * below). */
void fx_check(struct fx *f);
/* Refuses submissions of |method| with a path containing |part| with |code|
 * (|times| times, -1 always). */
void fx_refuse(struct fx *f, const char *method, const char *part, int code, int times);
/* Runs the loop once without blocking (fires due timers / active events). */
void spin(struct fx *f);
/* Runs the loop until a queued request matches |method| and |part| (then
 * returns its index), at most |max_ms| of wall time; -1 when none came. */
int run_until_request(struct fx *f, const char *method, const char *part, unsigned max_ms);
/* Fires the agent's timer now, whatever it was set to. */
void fire(struct fx *f, struct agent *a);
/* Runs timer |t| now (as if due), then spins the loop once. */
void fire_timer(struct fx *f, struct tw_timer *t);
/* The body of queued request |req|, malloc'd. */
char *body_of(struct sw_req *req);
/* Index of the first queued request with |method| whose path contains |part|, or -1. */
int find(struct fx *f, const char *method, const char *part);
/* Removes request |i| from the queue and answers it with |status| and |body|. */
void answer(struct fx *f, int i, int status, const char *body);
/* Removes request |i| from the queue and fails it with transport error |err|. */
void fail_transport(struct fx *f, int i, int err);

/* A registration answer naming agent version quay.io/agent:v9. */
extern const char *const REG_OK;
/* Boots host 0 and answers its registration with REG_OK; leaves the first
 * GET of its instructions queued. */
struct agent *registered(struct fx *f);

#endif
