/*
 * test_client_util: helpers shared by the sw_client tests: run a bounded
 * batch of requests on an event loop and record what came back.
 */
#ifndef TEST_CLIENT_UTIL_H
#define TEST_CLIENT_UTIL_H

#include <event2/buffer.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_client.h"
#include "sw_err.h"

struct tc_run {
	struct event_base *base;
	struct sw_client *c;
	struct sw_link *link;
	const char *method;
	const char *path;
	struct evbuffer *upload; /* copied into each request when set */
	int total, window, submitted, pending;
	int ok, errors, status_other;
	int last_err, last_status;
	enum sw_proto last_proto;
	unsigned retries;
	char last_msg[512];
	struct evbuffer *body; /* body of the last response */
	int free_link_in_cb;   /* frees |link| from inside the first callback */
};

static void tc_submit(struct tc_run *r);

static void tc_cb(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct tc_run *r = arg;
	r->pending--;
	r->last_err = err;
	if (err) {
		r->errors++;
		snprintf(r->last_msg, sizeof(r->last_msg), "%s", msg ? msg : "(null)");
	} else {
		r->last_status = resp->status;
		r->last_proto = resp->proto;
		r->retries += resp->retries;
		if (resp->status >= 200 && resp->status < 300)
			r->ok++;
		else
			r->status_other++;
		if (!r->body)
			r->body = evbuffer_new();
		evbuffer_drain(r->body, evbuffer_get_length(r->body));
		evbuffer_add_buffer(r->body, resp->body);
	}
	if (r->free_link_in_cb && r->link) {
		/* Pending requests on the link complete (cancelled) in here. */
		r->free_link_in_cb = 0;
		r->total = r->submitted;
		sw_link_free(&r->link);
	}
	tc_submit(r);
	if (r->pending == 0 && r->submitted == r->total)
		event_base_loopbreak(r->base);
}

static void tc_submit(struct tc_run *r)
{
	while (r->submitted < r->total && r->pending < r->window) {
		struct sw_req *q = sw_req_new(r->method ? r->method : "GET", r->path);
		if (!q)
			return;
		if (r->upload) {
			evbuffer_add(q->body, evbuffer_pullup(r->upload, -1), evbuffer_get_length(r->upload));
		}
		r->submitted++;
		r->pending++;
		if (sw_client_request(r->c, r->link, q, tc_cb, r) != 0) {
			r->pending--;
			r->errors++;
		}
	}
}

/* Runs |total| requests with at most |window| in flight; gives up after
 * |secs| seconds. Returns the number of callbacks still missing. */
static int tc_run_batch(struct tc_run *r, int total, int window, int secs)
{
	struct timeval tv = {secs, 0};
	r->total = total;
	r->window = window;
	r->submitted = r->pending = 0;
	tc_submit(r);
	if (r->pending) {
		event_base_loopexit(r->base, &tv);
		event_base_dispatch(r->base);
	}
	return r->pending;
}

static void tc_done(struct tc_run *r)
{
	if (r->body)
		evbuffer_free(r->body);
	r->body = NULL;
}

/* Creates r->c on r->base from |cfg|; fails the test with the client's
 * message when that is refused. (Includers include cmocka.h first.) */
static void tc_client(struct tc_run *r, const struct sw_client_cfg *cfg)
{
	char err[256];
	r->c = sw_client_new(r->base, cfg, err, sizeof(err));
	if (!r->c)
		fail_msg("sw_client_new: %s", err);
}

/* Copies the client's counters into |st| (may be NULL), frees the link and
 * the client (which must leave r->c NULL), then the recorded body. */
static void tc_close(struct tc_run *r, struct sw_client_stats *st)
{
	if (st)
		sw_client_get_stats(r->c, st);
	sw_link_free(&r->link);
	sw_client_free(&r->c);
	assert_null(r->c);
	tc_done(r);
}

#endif
