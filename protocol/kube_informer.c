/*
 * kube_informer: list + watch of one resource type (see kube_informer.h).
 *
 * States: LISTING (pages in flight), WATCHING (one streaming GET open),
 * WAITING (a back-off before the next list or watch). Each watch asks the
 * server for a timeoutSeconds in [T, 2T) (client-go spreads its watches
 * the same way) and gives the transport 30 s more, so a silent dead
 * connection is noticed too. Everything the stream brings is decoded as
 * it arrives (sw_req.stream_cb); nothing of a watch's body is kept but an
 * incomplete last line.
 */
#include "kube_client_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"

#define KI_MAX_EVENT (8u << 20)     /* one watch event (the apiserver's own limit is 3 MiB objects) */
#define KI_RELIST_MS 200            /* first wait before a relist after 410 */
#define KI_WATCH_GRACE_S 30

enum ki_state { KI_IDLE, KI_LISTING, KI_WATCHING, KI_WAITING };

struct kube_informer {
	struct kube_informer *next;      /* the client's list */
	struct kube_client *k;
	enum kube_res_id res;
	char *selector;                  /* encoded, or NULL */
	struct kube_informer_ops ops;
	void *arg;
	enum ki_state state;
	int want_list;                   /* the next start is a list, not a watch */
	int expired;                     /* the open watch reported 410 */
	int stream_err;                  /* the open watch's stream could not be decoded */
	unsigned failures;               /* consecutive failed lists/watches, for the back-off */
	unsigned retry_ms;               /* Retry-After of the last failure */
	uint64_t watch_t0;               /* when the open watch started */
	uint64_t watch_events;           /* events it brought */
	struct event ev;
	int ev_armed;
	struct kube_watch_dec *dec;
	char continue_tok[1024];
	struct kube_informer_stats st;
};

static void ki_start_list(struct kube_informer *inf);
static void ki_start_watch(struct kube_informer *inf);

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct kube_informer *inf = arg;
	(void)fd;
	(void)what;
	inf->ev_armed = 0;
	if (inf->want_list)
		ki_start_list(inf);
	else
		ki_start_watch(inf);
}

/* Waits, then lists (|list|) or watches again. */
static void ki_wait(struct kube_informer *inf, int list, unsigned ms)
{
	inf->state = KI_WAITING;
	inf->want_list = list;
	inf->ev_armed = 1;
	kube_client_timer(inf->k, &inf->ev, on_timer, inf, ms);
}

/* The back-off after a failure: the server's Retry-After, else exponential. */
static unsigned ki_backoff(struct kube_informer *inf)
{
	unsigned ms = inf->retry_ms;
	inf->retry_ms = 0;
	if (inf->failures < 1000)
		inf->failures++;
	return ms ? ms : kube_client_backoff_ms(inf->k, inf->failures);
}

/* ---- list ---- */

static void on_list(void *arg, const struct kube_result *r)
{
	struct kube_informer *inf = arg;
	json_t *items, *md, *item;
	const char *cont;
	size_t i;
	if (r->err || r->status != 200 || !r->obj) {
		if (!r->err && r->status == 410) {
			/* the continue token expired: from the beginning */
			inf->continue_tok[0] = '\0';
			inf->st.relists_expired++;
		}
		ki_wait(inf, 1, ki_backoff(inf));
		return;
	}
	inf->st.list_pages++;
	if (!inf->continue_tok[0] && inf->ops.on_list_begin)
		inf->ops.on_list_begin(inf->arg);
	items = json_object_get(r->obj, "items");
	json_array_foreach(items, i, item)
		inf->ops.on_event(inf->arg, KUBE_WATCH_ADDED, item, 1);
	md = json_object_get(r->obj, "metadata");
	cont = json_string_value(json_object_get(md, "continue"));
	if (cont && *cont && strlen(cont) < sizeof(inf->continue_tok)) {
		snprintf(inf->continue_tok, sizeof(inf->continue_tok), "%s", cont);
		ki_start_list(inf);
		return;
	}
	inf->continue_tok[0] = '\0';
	if (kube_obj_rv(r->obj))
		inf->st.rv = kube_obj_rv(r->obj);
	inf->st.lists++;
	inf->st.synced = 1;
	inf->failures = 0;
	if (inf->ops.on_list_end)
		inf->ops.on_list_end(inf->arg);
	ki_start_watch(inf);
}

static void ki_start_list(struct kube_informer *inf)
{
	char q[2048], tok[1100];
	int n;
	inf->state = KI_LISTING;
	n = snprintf(q, sizeof(q), "limit=%u", inf->k->cfg.list_limit);
	if (inf->selector)
		n += snprintf(q + n, sizeof(q) - (size_t)n, "&labelSelector=%s", inf->selector);
	if (inf->continue_tok[0] && kube_query_escape(inf->continue_tok, tok, sizeof(tok)) >= 0)
		snprintf(q + n, sizeof(q) - (size_t)n, "&continue=%s", tok);
	if (kube_list(inf->k, inf->res, NULL, q, on_list, inf) < 0)
		ki_wait(inf, 1, ki_backoff(inf)); /* out of memory: try again later */
}

/* ---- watch ---- */

static int on_watch_event(void *arg, enum kube_watch_type type, json_t *obj)
{
	struct kube_informer *inf = arg;
	uint64_t rv;
	inf->st.events[type]++;
	if (type == KUBE_WATCH_ERROR) {
		json_t *code = json_object_get(obj, "code");
		if (json_integer_value(code) == 410) {
			inf->expired = 1;
			return 1;
		}
		/* another error ends this watch; it starts again after a back-off */
		inf->stream_err = 1;
		return 1;
	}
	inf->watch_events++;
	rv = kube_obj_rv(obj);
	if (rv)
		inf->st.rv = rv;
	if (type != KUBE_WATCH_BOOKMARK)
		inf->ops.on_event(inf->arg, type, obj, 0);
	return 0;
}

static int on_watch_bytes(void *arg, struct sw_resp *resp)
{
	struct kube_informer *inf = arg;
	struct evbuffer_iovec v[16];
	int n, i, rv = 0;
	if (resp->status != 200)
		return 0; /* a Status body: the end of the call handles it */
	inf->st.watching = 1;
	while (rv == 0 && evbuffer_get_length(resp->body)) {
		n = evbuffer_peek(resp->body, -1, NULL, v, 16);
		if (n > 16)
			n = 16;
		size_t used = 0;
		for (i = 0; i < n && rv == 0; i++) {
			rv = kube_watch_dec_feed(inf->dec, v[i].iov_base, v[i].iov_len, on_watch_event, inf);
			used += v[i].iov_len;
		}
		evbuffer_drain(resp->body, used);
	}
	if (rv < 0) {
		inf->st.decode_errors++;
		inf->stream_err = 1;
	}
	return rv != 0;
}

static void on_watch_end(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct kube_informer *inf = arg;
	int status = err ? 0 : resp->status;
	(void)msg;
	/* the last bytes may come with the end of the stream (a short answer
	 * such as the one ERROR event of an expired resourceVersion) */
	if (status == 200 && evbuffer_get_length(resp->body) && !inf->expired && !inf->stream_err)
		on_watch_bytes(inf, resp);
	inf->st.watching = 0;
	kube_watch_dec_free(&inf->dec);
	inf->st.watch_restarts++;
	if (inf->expired || status == 410) {
		/* the resourceVersion fell out of the server's window: list again */
		inf->expired = 0;
		inf->st.relists_expired++;
		inf->failures = 0;
		ki_wait(inf, 1, KI_RELIST_MS / 2 + (unsigned)(KI_RELIST_MS * kube_client_rand(inf->k)));
		return;
	}
	if (!err && status == 200 && !inf->stream_err &&
	    (inf->watch_events || sw_now_ns() - inf->watch_t0 >= 1000000000ull)) {
		/* the server's timeout (or a clean close): on from where we are */
		inf->failures = 0;
		ki_start_watch(inf);
		return;
	}
	/* (a watch that ends within a second having brought nothing is a
	 * failure too, as client-go treats it: no tight loop against a server
	 * that closes every watch at once) */
	inf->stream_err = 0;
	inf->st.watch_failures++;
	if (!err)
		inf->retry_ms = kube_retry_after_ms(resp);
	ki_wait(inf, 0, ki_backoff(inf));
}

static void ki_start_watch(struct kube_informer *inf)
{
	const struct kube_res *r = kube_res_get(inf->res);
	char path[300], q[1400];
	unsigned t = inf->k->cfg.watch_timeout_s;
	int n;
	struct kube_call_opts o = {.max_attempts = 1, .stream = on_watch_bytes,
	                           .raw_done = on_watch_end};
	inf->state = KI_WATCHING;
	inf->expired = inf->stream_err = 0;
	inf->watch_t0 = sw_now_ns();
	inf->watch_events = 0;
	t += (unsigned)(t * kube_client_rand(inf->k));
	o.timeout_ms = (t + KI_WATCH_GRACE_S) * 1000u;
	inf->dec = kube_watch_dec_new(KI_MAX_EVENT);
	if (!inf->dec || !r || kube_path_build(path, sizeof(path), r, NULL, NULL, NULL) < 0) {
		kube_watch_dec_free(&inf->dec);
		ki_wait(inf, 0, ki_backoff(inf));
		return;
	}
	n = snprintf(q, sizeof(q), "watch=1&allowWatchBookmarks=true&timeoutSeconds=%u"
	             "&resourceVersion=%llu", t, (unsigned long long)inf->st.rv);
	if (inf->selector)
		snprintf(q + n, sizeof(q) - (size_t)n, "&labelSelector=%s", inf->selector);
	inf->st.watches++;
	if (kube_call_start(inf->k, KUBE_VERB_WATCH, inf->res, path, q, NULL, 0, NULL, &o, NULL, inf) < 0) {
		kube_watch_dec_free(&inf->dec);
		ki_wait(inf, 0, ki_backoff(inf));
	}
}

/* ---- life ---- */

struct kube_informer *kube_informer_new(struct kube_client *k, enum kube_res_id res,
                                        const char *label_selector,
                                        const struct kube_informer_ops *ops, void *arg)
{
	struct kube_informer *inf;
	if (!k || !ops || !ops->on_event || !kube_res_get(res))
		return NULL;
	inf = calloc(1, sizeof(*inf));
	if (!inf)
		return NULL;
	if (label_selector && *label_selector) {
		size_t cap = strlen(label_selector) * 3 + 1;
		inf->selector = malloc(cap);
		if (!inf->selector || kube_query_escape(label_selector, inf->selector, cap) < 0) {
			free(inf->selector);
			free(inf);
			return NULL;
		}
	}
	inf->k = k;
	inf->res = res;
	inf->ops = *ops;
	inf->arg = arg;
	inf->next = k->informers;
	k->informers = inf;
	return inf;
}

void kube_informer_start(struct kube_informer *inf)
{
	if (inf && inf->state == KI_IDLE)
		ki_start_list(inf);
}

void kube_informer_get_stats(const struct kube_informer *inf, struct kube_informer_stats *out)
{
	if (inf && out)
		*out = inf->st;
}

static void ki_release(struct kube_informer *inf)
{
	if (inf->ev_armed)
		event_del(&inf->ev);
	kube_client_drop(inf->k, inf);
	kube_watch_dec_free(&inf->dec);
	free(inf->selector);
	free(inf);
}

void kube_informer_free(struct kube_informer **p)
{
	struct kube_informer *inf, **pp;
	if (!p || !*p)
		return;
	inf = *p;
	for (pp = &inf->k->informers; *pp; pp = &(*pp)->next) {
		if (*pp == inf) {
			*pp = inf->next;
			break;
		}
	}
	ki_release(inf);
	*p = NULL;
}

void kube_informers_free_all(struct kube_client *k)
{
	while (k->informers) {
		struct kube_informer *inf = k->informers;
		k->informers = inf->next;
		ki_release(inf);
	}
}
