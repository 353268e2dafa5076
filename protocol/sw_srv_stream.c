/* Streaming responses of sw_server (sw_server.h, "Streaming responses"): the
 * protocol-independent part. HTTP/1.1 framing is in sw_srv_h1conn.c
 * (chunked coding), HTTP/2 in sw_srv_h2.c (a deferred data source).
 *
 * Notifications to the application always run from the exchange's own
 * libevent event (activated, never called directly), so the application may
 * write, end or free anything from its callback. An exchange whose free is
 * asked for while its callback runs is freed right after the callback. */
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"
#include "sw_srv_int.h"

static void stream_notify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sw_exchange *x = arg;
	struct srv_stream *st = x->st;
	int ev = st->events;
	st->events = 0;
	if (ev == 0 || st->ended)
		return;
	st->in_cb = 1;
	st->cb(st->arg, x, ev);
	st->in_cb = 0;
	if (st->free_pending) {
		st->free_pending = 0;
		srv_x_free(x);
	}
}

void srv_stream_notify(struct sw_exchange *x, int events)
{
	struct srv_stream *st = x->st;
	if (!st || st->ended)
		return;
	if (events & SW_STREAM_CLOSED) {
		if (st->closed)
			events &= ~SW_STREAM_CLOSED;
		st->closed = 1;
		st->want_drain = 0;
	}
	if (!events)
		return;
	st->events |= events;
	event_active(&st->ev, EV_TIMEOUT, 1);
}

size_t sw_exchange_stream_pending(const struct sw_exchange *x)
{
	if (!x || !x->st || !x->conn)
		return 0;
	if (x->conn->h2)
		return x->resp ? evbuffer_get_length(x->resp) : 0;
	return evbuffer_get_length(bufferevent_get_output(x->conn->bev));
}

void srv_stream_check_drain(struct sw_exchange *x)
{
	struct srv_stream *st = x->st;
	if (st && st->want_drain && sw_exchange_stream_pending(x) <= SW_STREAM_LOW) {
		st->want_drain = 0;
		srv_stream_notify(x, SW_STREAM_DRAINED);
	}
}

int srv_stream_release(struct sw_exchange *x)
{
	struct srv_stream *st = x->st;
	if (st->in_cb) {
		st->free_pending = 1;
		return 1;
	}
	event_del(&st->ev);
	free(st);
	x->st = NULL;
	return 0;
}

/* Is the peer of streaming |x| still there? */
static int stream_alive(const struct sw_exchange *x)
{
	const struct srv_conn *c = x->conn;
	if (!c || x->stream_gone || x->st->closed)
		return 0;
	return c->state == SRV_CONN_H1 || c->state == SRV_CONN_H2;
}

int sw_exchange_stream_begin(struct sw_exchange *x, int status, const struct sw_hdrs *hdrs,
                             const char *ctype, sw_stream_fn cb, void *arg)
{
	if (!x || !cb || status < 200 || status > 999)
		return SW_ERR_INVALID;
	if (x->state != SRV_X_APP || x->st)
		return SW_ERR_STATE;
	if (!x->conn || x->stream_gone ||
	    (x->conn->state != SRV_CONN_H1 && x->conn->state != SRV_CONN_H2)) {
		srv_x_free(x);
		return SW_ERR_CLOSED;
	}
	struct srv_conn *c = x->conn;
	struct srv_stream *st = calloc(1, sizeof(*st));
	if (!st) {
		sw_exchange_reset(x);
		return SW_ERR_NOMEM;
	}
	event_assign(&st->ev, c->srv->base, -1, 0, stream_notify_cb, x);
	st->cb = cb;
	st->arg = arg;
	x->st = st;
	int rv = c->h2 ? srv_h2_stream_begin(x, status, hdrs, ctype)
	               : srv_h1_stream_begin(x, status, hdrs, ctype);
	if (rv != 0) {
		if (c->h2) {
			/* The stream was reset; the connection frees |x| when it closes. */
			srv_stream_release(x);
		} else {
			srv_stream_release(x);
			srv_x_free(x);
			srv_conn_close(c);
		}
		return rv;
	}
	return 0;
}

int sw_exchange_stream_write(struct sw_exchange *x, const void *const *parts, const size_t *lens,
                             int n)
{
	if (!x || !x->st || x->st->ended)
		return SW_ERR_STATE;
	if (!stream_alive(x))
		return SW_ERR_CLOSED;
	struct srv_conn *c = x->conn;
	if (!c->h2)
		return srv_h1_stream_write(x, parts, lens, n);
	for (int i = 0; i < n; i++)
		if (evbuffer_add(x->resp, parts[i], lens[i]) != 0)
			return SW_ERR_NOMEM;
	srv_h2_stream_kick(x);
	return 0;
}

void sw_exchange_stream_want_drain(struct sw_exchange *x)
{
	if (!x || !x->st || x->st->ended || x->st->closed)
		return;
	x->st->want_drain = 1;
	srv_stream_check_drain(x);
}

int sw_exchange_stream_end(struct sw_exchange *x)
{
	if (!x || !x->st || x->st->ended)
		return SW_ERR_STATE;
	struct srv_stream *st = x->st;
	st->events = 0;
	if (!stream_alive(x)) {
		st->ended = 1;
		srv_x_free(x);
		return 0;
	}
	st->ended = 1;
	if (x->conn->h2) {
		/* The connection owns |x| from now on and frees it when the stream closes. */
		srv_x_set_state(x, SRV_X_SENDING);
		srv_h2_stream_kick(x);
		return 0;
	}
	srv_h1_stream_end(x);
	return 0;
}
