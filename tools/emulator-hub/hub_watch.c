/*
 * HTTP watch streams. A watch is a cursor into its resource's event window
 * plus, for resourceVersion "" or "0", a snapshot of the matching objects
 * sent first as synthetic ADDED events. Live events are written at once
 * while the client keeps up; once HUB_WATCH_HIGH bytes wait in the
 * transport the watch stops being fed and catches up from the window when
 * the transport drained. A watch whose cursor leaves the window (the client
 * is too slow) is ended and counted; clients re-watch (or relist on the 410
 * that follows). Memory per watch is thus bounded by HUB_WATCH_HIGH plus the
 * shared window. Bookmarks, timeoutSeconds and selectors as upstream; a
 * resourceVersion older than the window answers 200 with one ERROR event
 * holding a 410 Expired Status, as the apiserver's watch cache does.
 */
#include "hub_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_status.h"
#include "kube_watch.h"
#include "sw_err.h"
#include "xalloc.h"

struct hub_wstream {
	struct hub_watcher w;          /* first: the store calls it */
	struct hub *h;
	struct sw_exchange *x;
	struct hub_wstream *prev, *next;
	char ns[KUBE_NAME_MAX];
	struct kube_selector *labels, *fields;
	int bookmarks;
	int table;                     /* Accept ...;as=Table: event objects are one-row Tables */
	int initial_end_bookmark;      /* sendInitialEvents: BOOKMARK with k8s.io/initial-events-end */
	struct hub_blob **snap;        /* synthetic ADDED still to send */
	size_t nsnap, snap_pos;
	uint64_t snap_rv;              /* store rv when the snapshot was taken */
	uint64_t cursor;               /* next window position to consider */
	int lagging;                   /* not fed live; catching up from the window */
	int ending;                    /* end at the next kick */
	struct event *kick_ev;         /* deferred pump / end */
	struct event *timeout_ev;
	struct event *bookmark_ev;
};

static void kick(struct hub_wstream *ws)
{
	struct timeval tv = {0, 0};
	evtimer_add(ws->kick_ev, &tv);
}

static void ws_free(struct hub_wstream *ws)
{
	struct hub *h = ws->h;
	hub_store_watch_remove(h->store, &ws->w);
	if (ws->prev)
		ws->prev->next = ws->next;
	else
		h->streams = ws->next;
	if (ws->next)
		ws->next->prev = ws->prev;
	h->nstreams--;
	for (size_t i = ws->snap_pos; i < ws->nsnap; i++)
		hub_blob_unref(ws->snap[i]);
	free(ws->snap);
	kube_selector_free(&ws->labels);
	kube_selector_free(&ws->fields);
	if (ws->kick_ev)
		event_free(ws->kick_ev);
	if (ws->timeout_ev)
		event_free(ws->timeout_ev);
	if (ws->bookmark_ev)
		event_free(ws->bookmark_ev);
	if (ws->x)
		sw_exchange_stream_end(ws->x);
	free(ws);
}

/* Writes one event line. Returns 0 or an SW_ERR_* (peer gone). */
static int write_event(struct hub_wstream *ws, enum kube_watch_type t, const char *json, size_t len);

/* Writes an object event: the stored JSON, or a one-row Table of it. */
static int write_obj(struct hub_wstream *ws, enum kube_watch_type t, const struct hub_blob *b)
{
	if (!ws->table)
		return write_event(ws, t, b->json, b->len);
	json_t *tab = hub_table(ws->h, ws->w.res, &b, 1, b->rv, NULL);
	char *s = hub_dump(tab);
	json_decref(tab);
	int rv = write_event(ws, t, s, strlen(s));
	free(s);
	return rv;
}

static int write_event(struct hub_wstream *ws, enum kube_watch_type t, const char *json, size_t len)
{
	size_t plen;
	const char *pre = kube_watch_prefix(t, &plen);
	const void *parts[3] = {pre, json, KUBE_WATCH_SUFFIX};
	size_t lens[3] = {plen, len, KUBE_WATCH_SUFFIX_LEN};
	int rv = sw_exchange_stream_write(ws->x, parts, lens, 3);
	if (rv == 0) {
		ws->h->watch_events_sent++;
		ws->h->m.watch_events[ws->w.res]++;
	}
	return rv;
}

static int matches(const struct hub_wstream *ws, const struct hub_blob *b)
{
	return b && hub_http_match(b, ws->ns, ws->labels, ws->fields);
}

/* Sends window event |ev| through the selectors. Returns 0 or an error. */
static int send_windowed(struct hub_wstream *ws, const struct hub_event *ev)
{
	int now = matches(ws, ev->obj);
	int before = ev->type == KUBE_WATCH_MODIFIED && matches(ws, ev->prev);
	enum kube_watch_type t = ev->type;
	if (ev->type == KUBE_WATCH_MODIFIED) {
		if (!now && !before)
			return 0;
		t = now && before ? KUBE_WATCH_MODIFIED : now ? KUBE_WATCH_ADDED : KUBE_WATCH_DELETED;
	} else if (!now) {
		return 0;
	}
	return write_obj(ws, t, ev->obj);
}

static int send_bookmark(struct hub_wstream *ws, uint64_t rv, int initial_end)
{
	const struct kube_res *r = kube_res_get(ws->w.res);
	char av[96], obj[512];
	kube_res_api_version(r, av, sizeof(av));
	int n = snprintf(obj, sizeof(obj),
	                 "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":\"%" PRIu64
	                 "\",\"creationTimestamp\":null%s}}",
	                 r->kind, av, rv,
	                 initial_end ? ",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}" : "");
	return write_event(ws, KUBE_WATCH_BOOKMARK, obj, (size_t)n);
}

/* Writes what is due while the transport has room. */
static void pump(struct hub_wstream *ws)
{
	struct hub *h = ws->h;
	if (ws->ending) {
		ws_free(ws);
		return;
	}
	while (ws->snap_pos < ws->nsnap) {
		if (sw_exchange_stream_pending(ws->x) >= HUB_WATCH_HIGH)
			goto full;
		struct hub_blob *b = ws->snap[ws->snap_pos++];
		int rv = write_obj(ws, KUBE_WATCH_ADDED, b);
		hub_blob_unref(b);
		if (rv) {
			ws_free(ws);
			return;
		}
	}
	if (ws->initial_end_bookmark) {
		ws->initial_end_bookmark = 0;
		send_bookmark(ws, ws->snap_rv, 1);
	}
	for (;;) {
		uint64_t first = hub_store_window_first(h->store, ws->w.res);
		uint64_t end = hub_store_window_end(h->store, ws->w.res);
		if (ws->cursor < first) {
			/* fell out of the window: end; the client re-watches from its last rv */
			h->m.watches_ended_slow++;
			ws_free(ws);
			return;
		}
		if (ws->cursor >= end)
			break;
		if (sw_exchange_stream_pending(ws->x) >= HUB_WATCH_HIGH)
			goto full;
		const struct hub_event *ev = hub_store_window_at(h->store, ws->w.res, ws->cursor++);
		if (send_windowed(ws, ev)) {
			ws_free(ws);
			return;
		}
	}
	ws->lagging = 0;
	return;
full:
	ws->lagging = 1;
	sw_exchange_stream_want_drain(ws->x);
}

static void on_store_event(struct hub_watcher *w, const struct hub_event *ev, uint64_t seq)
{
	struct hub_wstream *ws = (struct hub_wstream *)w;
	if (ws->ending)
		return;
	if (ws->lagging || ws->snap_pos < ws->nsnap || ws->cursor != seq) {
		/* catching up from the window; once it left the window, end it (from the kick) */
		if (ws->cursor < hub_store_window_first(ws->h->store, w->res)) {
			ws->ending = 1;
			ws->h->m.watches_ended_slow++;
			kick(ws);
		}
		return;
	}
	ws->cursor = seq + 1;
	if (send_windowed(ws, ev) != 0) {
		ws->ending = 1;
		kick(ws);
		return;
	}
	if (sw_exchange_stream_pending(ws->x) >= HUB_WATCH_HIGH) {
		ws->lagging = 1;
		sw_exchange_stream_want_drain(ws->x);
	}
}

static void on_stream(void *arg, struct sw_exchange *x, int events)
{
	struct hub_wstream *ws = arg;
	if (events & SW_STREAM_CLOSED) {
		ws->ending = 1;
		pump(ws);
		return;
	}
	if (events & SW_STREAM_DRAINED)
		pump(ws);
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	pump(arg);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct hub_wstream *ws = arg;
	ws->ending = 1;
	pump(ws);
}

static void on_bookmark(evutil_socket_t fd, short what, void *arg)
{
	struct hub_wstream *ws = arg;
	struct hub *h = ws->h;
	if (ws->lagging || ws->snap_pos < ws->nsnap ||
	    ws->cursor != hub_store_window_end(h->store, ws->w.res))
		return; /* only a caught-up watch can vouch for an rv */
	if (send_bookmark(ws, hub_store_rv(h->store), 0) != 0) {
		ws->ending = 1;
		kick(ws);
	}
}

static struct timeval tv_of(uint64_t ns)
{
	struct timeval tv = {(time_t)(ns / 1000000000ull), (suseconds_t)(ns % 1000000000ull / 1000)};
	return tv;
}

/* The one-event answer below ends its stream at once: nothing to be told. */
static void ignore_stream(void *arg, struct sw_exchange *x, int events)
{
}

/* Answers a watch from an expired resourceVersion: 200 + ERROR(410) + end. */
static void expired(struct hub *h, struct sw_exchange *x, uint64_t rv, uint64_t oldest)
{
	char msg[128];
	snprintf(msg, sizeof(msg), "too old resource version: %" PRIu64 " (%" PRIu64 ")", rv, oldest);
	json_t *st = kube_status_failure(410, "Expired", msg);
	char *s = hub_dump(st);
	json_decref(st);
	size_t plen;
	const char *pre = kube_watch_prefix(KUBE_WATCH_ERROR, &plen);
	const void *parts[3] = {pre, s, KUBE_WATCH_SUFFIX};
	size_t lens[3] = {plen, strlen(s), KUBE_WATCH_SUFFIX_LEN};
	if (sw_exchange_stream_begin(x, 200, NULL, "application/json", ignore_stream, NULL) == 0) {
		sw_exchange_stream_write(x, parts, lens, 3);
		sw_exchange_stream_end(x);
	}
	free(s);
}

void hub_watch_serve(struct hub *h, struct sw_exchange *x, const struct kube_reqinfo *ri,
                     const struct kube_query *q, int table)
{
	const struct kube_res *r = ri->res;
	struct kube_selector *labels, *fields;
	int code;
	if (hub_http_selectors(h, x, q, &labels, &fields, &code) != 0)
		return;
	/* a watch on one object: GET .../NAME?watch=1 is fieldSelector=metadata.name=NAME */
	if (ri->name[0]) {
		char fs[KUBE_NAME_MAX + 32], err[128];
		snprintf(fs, sizeof(fs), "metadata.name=%s", ri->name);
		kube_selector_free(&fields);
		kube_field_selector_parse(fs, &fields, err, sizeof(err));
	}
	uint64_t start = 0;
	int snapshot = !q->resource_version[0] || strcmp(q->resource_version, "0") == 0;
	if (!snapshot) {
		char *end = NULL;
		unsigned long long v = strtoull(q->resource_version, &end, 10);
		if (*end || q->resource_version[0] == '-') {
			kube_selector_free(&labels);
			kube_selector_free(&fields);
			char msg[128];
			snprintf(msg, sizeof(msg), "invalid resource version: %s", q->resource_version);
			hub_http_reply_err(h, x, 400, "BadRequest", msg);
			return;
		}
		start = v;
	}
	if (q->send_initial_events == 1)
		snapshot = 1;
	uint64_t cursor, oldest = 0;
	if (snapshot) {
		cursor = hub_store_window_end(h->store, r->id);
	} else if (hub_store_window_since(h->store, r->id, start, &cursor, &oldest) != 0) {
		kube_selector_free(&labels);
		kube_selector_free(&fields);
		expired(h, x, start, oldest);
		return;
	}
	struct hub_wstream *ws = xcalloc(1, sizeof(*ws));
	ws->h = h;
	ws->w.res = r->id;
	ws->w.on_event = on_store_event;
	ws->labels = labels;
	ws->fields = fields;
	ws->cursor = cursor;
	ws->bookmarks = q->allow_watch_bookmarks;
	ws->table = table;
	ws->initial_end_bookmark = q->send_initial_events == 1 && q->allow_watch_bookmarks;
	snprintf(ws->ns, sizeof(ws->ns), "%s", r->namespaced ? ri->ns : "");
	if (snapshot) {
		ws->snap_rv = hub_store_rv(h->store);
		size_t n = hub_store_count(h->store, r->id);
		size_t i = ws->ns[0] ? hub_store_seek(h->store, r->id, ws->ns, "", 0) : 0;
		ws->snap = xmalloc((n + 1) * sizeof(*ws->snap));
		for (; i < n; i++) {
			struct hub_blob *b = hub_store_at(h->store, r->id, i);
			if (ws->ns[0] && strcmp(b->ns, ws->ns) != 0)
				break;
			if (matches(ws, b))
				ws->snap[ws->nsnap++] = hub_blob_ref(b);
		}
	}
	ws->kick_ev = evtimer_new(h->cfg.base, on_kick, ws);
	ws->timeout_ev = evtimer_new(h->cfg.base, on_timeout, ws);
	if (ws->bookmarks)
		ws->bookmark_ev = event_new(h->cfg.base, -1, EV_PERSIST, on_bookmark, ws);
	ws->next = h->streams;
	if (h->streams)
		h->streams->prev = ws;
	h->streams = ws;
	h->nstreams++;
	hub_store_watch_add(h->store, &ws->w);
	if (!ws->kick_ev || !ws->timeout_ev || (ws->bookmarks && !ws->bookmark_ev) ||
	    sw_exchange_stream_begin(x, 200, NULL, "application/json", on_stream, ws) != 0) {
		/* the exchange is gone (or was reset) either way */
		ws_free(ws);
		return;
	}
	ws->x = x;
	uint64_t tmo = q->timeout_seconds >= 0 ? (uint64_t)q->timeout_seconds * 1000000000ull
	                                       : h->cfg.watch_timeout_ns;
	struct timeval tv = tv_of(tmo);
	evtimer_add(ws->timeout_ev, &tv);
	if (ws->bookmark_ev) {
		tv = tv_of(h->cfg.bookmark_interval_ns);
		event_add(ws->bookmark_ev, &tv);
	}
	pump(ws);
}

void hub_watch_close_all(struct hub *h)
{
	while (h->streams)
		ws_free(h->streams);
}

uint64_t hub_watch_open(const struct hub *h, enum kube_res_id res)
{
	uint64_t n = 0;
	for (const struct hub_wstream *ws = h->streams; ws; ws = ws->next)
		n += ws->w.res == res;
	return n;
}
