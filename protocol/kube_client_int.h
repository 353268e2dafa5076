/*
 * kube_client_int: the private contract between kube_client.c (calls,
 * retries) and kube_informer.c (list + watch). Not a public API.
 */
#ifndef KUBE_CLIENT_INT_H
#define KUBE_CLIENT_INT_H

#include <sys/queue.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include "kube_client.h"
#include "kube_informer.h"
#include "sw_http.h"

struct kube_call;
struct kube_wr;
LIST_HEAD(kube_call_list, kube_call);
LIST_HEAD(kube_wr_list, kube_wr);

struct kube_client {
	struct event_base *base;
	struct sw_client *http;
	char *bearer;                  /* "Bearer <token>" or NULL */
	struct kube_client_cfg cfg;    /* defaults applied; http strings not kept */
	struct kube_call_list calls;
	struct kube_wr_list writes;    /* kube_write()s whose first step waits for the loop */
	unsigned live;
	struct kube_informer *informers; /* singly linked through the informers */
	uint64_t rng;
};

/* Options of one call beyond kube_call_new(). */
struct kube_call_opts {
	unsigned max_attempts;         /* 0 = the client's */
	unsigned timeout_ms;           /* 0 = the transport's */
	/* streaming (watch): see sw_req.stream_cb; |arg| is the call's arg */
	int (*stream)(void *arg, struct sw_resp *resp);
	/* the raw transport outcome instead of the parsed one (watch ends) */
	void (*raw_done)(void *arg, int err, const char *msg, struct sw_resp *resp);
	int fail;                      /* report this SW_ERR_* at once (from the loop) */
	void (*on_drop)(void *arg);    /* the call was dropped (client freed): release |arg| */
};

/* Starts one call: |path| with |query| (may be NULL), |body| (may be NULL,
 * copied) of |ctype|. Returns 0 and |done| (or opts->raw_done) runs exactly
 * once from the loop, or SW_ERR_NOMEM (nothing will run). */
int kube_call_start(struct kube_client *k, enum kube_verb verb, enum kube_res_id res,
                     const char *path, const char *query, const char *body, size_t body_len,
                     const char *ctype, const struct kube_call_opts *opts, kube_done_fn done,
                     void *arg);

/* A uniform random number in [0, 1) from the client's generator. */
double kube_client_rand(struct kube_client *k);
/* Back-off before attempt |n| (1 = the first retry), with jitter, in ms. */
unsigned kube_client_backoff_ms(struct kube_client *k, unsigned n);
/* Retry-After of |resp| in ms (at most 60 s), 0 when absent or invalid. */
unsigned kube_retry_after_ms(const struct sw_resp *resp);
/* Arms |ev| (assigned here on the client's base with its timer priority). */
void kube_client_timer(struct kube_client *k, struct event *ev, event_callback_fn cb, void *arg,
                       unsigned ms);
/* Drops every call started with |arg| (their callbacks never run; a
 * stream among them is cancelled at its next bytes). */
void kube_client_drop(struct kube_client *k, void *arg);
/* kube_informer.c: frees every informer of |k| (kube_client_free). */
void kube_informers_free_all(struct kube_client *k);

#endif
