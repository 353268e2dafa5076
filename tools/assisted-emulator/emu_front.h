/*
 * emu_front: the emulator's request path between the HTTP server and the
 * model. Routes /health, /ready, /metrics, /debug/state, /debug/faults,
 * /debug/restart; matches every other request once (emu_routes.h: 404/405
 * here when nothing matches) and sends it through authentication
 * (emu_auth), fault injection (emu_faults: delayed replies on libevent
 * timers, resets, error statuses), the journal of --state-dir (emu_state)
 * and the model (emu_model_handle_match), then records metrics and the
 * --record line. A fault counts as injected only once it reached a live
 * connection; a restart drops the exchanges the front holds like a crashed
 * process would (their replies are counted lost). Also owns the periodic
 * timers: the model monitor and --restart-every. Single-threaded, on the
 * server's event_base.
 */
#ifndef EMU_FRONT_H
#define EMU_FRONT_H

#include <stdint.h>
#include <event2/event.h>

#include "emu_auth.h"
#include "emu_faults.h"
#include "emu_metrics.h"
#include "emu_model.h"
#include "emu_record.h"
#include "emu_state.h"
#include "sw_server.h"

struct emu_front;

/* Everything the front uses; borrowed, must outlive the front (record and
 * faults may be NULL). */
struct emu_front_cfg {
	struct event_base *base;
	struct emu_model *model;
	struct emu_auth *auth;
	struct emu_faults *faults;
	struct emu_metrics *metrics;
	struct emu_record *record;
	struct emu_state *state;       /* --state-dir journal, or NULL */
	uint64_t restart_every_ns;     /* 0 = never */
	unsigned goaway_after;         /* reported as a fault kind in /metrics when set */
	int quiet;
};

/* Creates the front and arms the monitor (and restart) timers. Never returns
 * NULL (aborts on OOM). Frees: emu_front_free(). */
struct emu_front *emu_front_new(const struct emu_front_cfg *cfg);

/* Tells the front which server it serves (needed by /metrics and restarts).
 * Call once after sw_server_new(); |s| must outlive the front or be detached
 * with emu_front_set_server(f, NULL) before it is freed. */
void emu_front_set_server(struct emu_front *f, struct sw_server *s);

/* Adds |fn| (with |arg|) to /metrics after the emulator's own families (the
 * kube-api's apiserver families). */
void emu_front_set_extra_metrics(struct emu_front *f, void (*fn)(void *arg, struct evbuffer *out),
                                 void *arg);

/* The sw_handler_fn to give to sw_server_new() with the front as |arg|. */
void emu_front_handler(void *arg, struct sw_exchange *x, struct sw_sreq *req);

/* The sw_body_policy_fn for the server (arg unused): the matched operation's
 * body limit (emu_route_body_max/keep). */
void emu_front_body_policy(void *arg, const char *method, const char *path,
                           struct sw_body_policy *out);

/* Service restart fault: drops every connection (state kept), counts it.
 * Returns the number of connections dropped. */
unsigned emu_front_restart(struct emu_front *f);

/* Resets every exchange still held (delayed or waiting for durability),
 * stops the timers and frees the front; sets *fp = NULL. Call before
 * sw_server_free() and emu_state_close(). NULL-safe. */
void emu_front_free(struct emu_front **fp);

/* Number of exchanges waiting for an injected delay. */
uint64_t emu_front_pending(const struct emu_front *f);

#endif
