/*
 * sw_srv_int: internal structures shared by the server's files (not an API).
 *
 * sw_server.c owns the listener, TLS, connections, their life cycle and the
 * exchange API; sw_srv_h1conn.c drives HTTP/1.1 on a connection and
 * sw_srv_h2.c the nghttp2 session. Only these files include this header.
 *
 * Life cycle rules (style practice 7): a connection is never freed from
 * inside a callback that was called for it. srv_conn_close() only marks it
 * dead and schedules the free on its own ev_work event. An exchange is owned
 * by the application from dispatch until reply/reset (state SRV_X_APP) and by
 * the connection otherwise; whoever lets go last frees it.
 */
#ifndef SW_SRV_INT_H
#define SW_SRV_INT_H

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/listener.h>
#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>

#include "sw_server.h"
#include "sw_srv_h1.h"
#include "sw_chunked.h"

/* Output beyond this is not produced until the socket drained some (h2 send callback). */
#define SRV_OUT_HIGH (1024 * 1024)
/* Write callback fires when the output falls to this. */
#define SRV_OUT_LOW (64 * 1024)
/* Longest method we keep inline. */
#define SRV_METHOD_MAX 24

enum srv_x_state {
	SRV_X_RECV = 0, /* request still arriving */
	SRV_X_APP,      /* handed to the handler; it owes a reply */
	SRV_X_SENDING,  /* reply or reset submitted; waiting for the h2 stream to close */
};

struct srv_conn;

/* Streaming state of an exchange (sw_srv_stream.c), allocated by stream_begin. */
struct srv_stream {
	struct event ev;                 /* deferred notification to the application */
	sw_stream_fn cb;
	void *arg;
	int events;                      /* SW_STREAM_* waiting to be delivered */
	unsigned want_drain : 1;
	unsigned ended : 1;              /* sw_exchange_stream_end() called */
	unsigned closed : 1;             /* peer gone, CLOSED queued or delivered */
	unsigned in_cb : 1;              /* the application's callback is running */
	unsigned free_pending : 1;       /* srv_x_free() asked for while in_cb */
};

struct sw_exchange {
	struct sw_server *srv;           /* NULL once the server is gone */
	struct srv_conn *conn;           /* NULL once detached from a dead connection */
	struct sw_exchange *prev, *next; /* on conn->xs, or srv->orphans once detached */
	enum srv_x_state state;
	int32_t stream_id;               /* HTTP/2 only */
	unsigned stream_gone : 1;        /* h2 stream closed while the app held it */
	unsigned hdr_too_big : 1;
	unsigned bad : 1;                /* malformed pseudo-headers */
	unsigned head_only : 1;          /* HEAD: no response body */
	unsigned head_done : 1;          /* h2: the request's header block is complete */
	unsigned dropped : 1;            /* its connection was dropped by sw_server_drop_all */
	unsigned orphan : 1;             /* on srv->orphans */
	int refuse_status;               /* 413/503 when the body was refused */
	size_t hdr_bytes;
	size_t body_max, body_keep;      /* the body policy */
	size_t body_kept;                /* bytes of req.body counted in stats.body_bytes */
	uint64_t t_head_ns;              /* head complete (the body deadline runs from here) */
	uint64_t t_refused_ns;           /* h2: refused (413/503/408...) at this time */
	struct evbuffer *resp;           /* h2 response body being sent */
	struct srv_stream *st;           /* streaming response, or NULL */
	char *pathbuf;                   /* "path\0query\0" */
	size_t pathcap;                  /* bytes allocated for pathbuf (kept when pooled) */
	char method[SRV_METHOD_MAX];
	struct sw_sreq req;
};

enum srv_conn_state {
	SRV_CONN_SNIFF = 0, /* first bytes decide h2c or HTTP/1.1 */
	SRV_CONN_H1,
	SRV_CONN_H2,
	SRV_CONN_DRAIN,     /* flushing the output, then lingering */
	SRV_CONN_LINGER,    /* write side shut; discarding input until EOF or timeout */
	SRV_CONN_DEAD,      /* waiting for the deferred free */
};

enum srv_deadline {
	SRV_DL_NONE = 0,
	SRV_DL_HEAD,        /* a request head (or the TLS handshake and preface) must complete */
	SRV_DL_BODY,        /* a request body must complete */
};

enum srv_h1_state {
	SRV_H1_HEAD = 0,    /* waiting for a request head */
	SRV_H1_BODY_CL,
	SRV_H1_BODY_CHUNKED,
	SRV_H1_WAIT,        /* the application owes the reply of conn->h1x */
};

struct srv_conn {
	struct sw_server *srv;
	struct srv_conn *prev, *next;   /* on srv->conns */
	struct bufferevent *bev;
	enum srv_conn_state state;
	int tls;
	unsigned nreq;                  /* requests dispatched on this connection */
	unsigned nx;                    /* exchanges on xs */
	struct sw_exchange *xs;
	int in_io;                      /* >0 while our own processing is on the stack */
	unsigned work_armed : 1;
	unsigned want_flush : 1;        /* h2: session output to produce */
	unsigned want_resume : 1;       /* h1: parse input that waited for a reply */
	unsigned goaway_sent : 1;
	unsigned closing : 1;           /* drain and close once the current work is done */
	struct event ev_work;           /* deferred flush / resume / free */
	uint64_t linger_until_ns;       /* LINGER ends by this monotonic time */
	enum srv_deadline deadline;     /* what deadline_ns bounds */
	uint64_t deadline_ns;           /* head or body deadline (HTTP/1.1, and before the protocol is known) */
	uint64_t idle_since_ns;         /* h2: when its last stream ended */
	/* HTTP/1.1 */
	enum srv_h1_state h1state;
	struct sw_exchange *h1x;
	uint64_t h1_left;
	size_t h1_scan;                 /* head bytes already searched for the blank line */
	unsigned h1_parses;             /* parses of the current, still incomplete head */
	int h1_close;
	struct sw_chunked chunk;
	/* HTTP/2 */
	nghttp2_session *h2;
};

struct sw_server {
	struct event_base *base;
	struct sw_server_cfg cfg;       /* string fields not kept */
	sw_handler_fn handler;
	void *arg;
	struct evconnlistener *lev;
	struct event ev_accept_retry;
	struct event ev_sweep;          /* deadline checks over every connection */
	struct sw_exchange *orphans;    /* exchanges the app holds after their connection died */
	SSL_CTX *ssl_ctx;
	nghttp2_session_callbacks *h2cbs;
	nghttp2_option *h2opt;
	struct srv_conn *conns;
	struct sw_exchange *xpool;      /* freed exchanges kept for reuse (via ->next) */
	unsigned nxpool;
	int port;
	unsigned goaway_after;
	struct sw_server_stats stats;
};

/* The only places that assign an exchange's or an HTTP/1.1 connection's state. */
static inline void srv_x_set_state(struct sw_exchange *x, enum srv_x_state st)
{
	x->state = st;
}

static inline void srv_h1_set_state(struct srv_conn *c, enum srv_h1_state st)
{
	c->h1state = st;
}

/* sw_server.c */
/* Sets the connection state (the only place that assigns it). */
void srv_conn_set_state(struct srv_conn *c, enum srv_conn_state st);
/* Marks |c| dead and schedules its free; safe from any callback. */
void srv_conn_close(struct srv_conn *c);
/* Closes |c| once its output is written (with a lingering read side). */
void srv_conn_close_after_flush(struct srv_conn *c);
/* Writes pending output of a plain connection now; arms EV_WRITE only for a backlog. */
void srv_conn_try_write(struct srv_conn *c);
/* Schedules ev_work of |c| (deferred flush/resume). */
void srv_conn_schedule(struct srv_conn *c);
/* Allocates an exchange on |c| and links it. Returns NULL on allocation failure. */
struct sw_exchange *srv_x_new(struct srv_conn *c);
/* Unlinks |x| from its connection (if any) and frees it. */
void srv_x_free(struct sw_exchange *x);
/* Sets the method of |x| (kept inline). Returns 0 or SW_ERR_PROTO (empty or too long). */
int srv_x_set_method(struct sw_exchange *x, const char *m, size_t n);
/* Sets path and query of |x| from a request target (origin or absolute form).
 * Returns 0, SW_ERR_NOMEM or SW_ERR_PROTO. */
int srv_x_set_path(struct sw_exchange *x, const char *t, size_t n);
/* Hands |x| to the application (counts it, applies goaway_after). */
void srv_x_dispatch(struct sw_exchange *x);
/* Asks the body policy for |x| (its method and path are set). */
void srv_x_policy(struct sw_exchange *x);
/* A body of |len| bytes was announced: returns 0, or SW_ERR_TOO_BIG with
 * x->refuse_status 413 (over the policy's max) or 503 (over max_body_total). */
int srv_x_body_expect(struct sw_exchange *x, uint64_t len);
/* |n| body bytes arrived (at |p|, or the first |n| bytes of |in|, which are
 * consumed): keeps what the policy keeps, counts the rest. Returns 0,
 * SW_ERR_TOO_BIG (x->refuse_status as above) or SW_ERR_NOMEM. */
int srv_x_body_add(struct sw_exchange *x, const char *p, size_t n);
int srv_x_body_move(struct sw_exchange *x, struct evbuffer *in, size_t n);
/* Forgets the body bytes of |x| in the memory count (its body is being drained). */
void srv_x_body_release(struct sw_exchange *x);
/* Sets the connection's deadline |what| to now + |ms| (SRV_DL_NONE clears it). */
void srv_conn_set_deadline(struct srv_conn *c, enum srv_deadline what, unsigned ms);

/* sw_srv_h1conn.c */
/* Parses and dispatches what is in the input buffer. */
void srv_h1_process(struct srv_conn *c);
/* Writes a complete response for |x| (the connection's current exchange) and frees
 * |x|; the body is moved out of |body|. Returns 0 or SW_ERR_NOMEM (the connection
 * is then dropped). */
int srv_h1_reply(struct sw_exchange *x, int status, const struct sw_hdrs *hdrs, const char *ctype,
                 struct evbuffer *body);
/* Answers a request the server itself refused (400/413/431) and closes. */
void srv_h1_error(struct srv_conn *c, int status);
/* Streaming responses of |x| (the connection's current exchange): head with
 * chunked coding; one chunk of the parts; the last chunk (frees |x|).
 * Return 0 or SW_ERR_NOMEM (the connection is then dropped). */
int srv_h1_stream_begin(struct sw_exchange *x, int status, const struct sw_hdrs *hdrs,
                        const char *ctype);
int srv_h1_stream_write(struct sw_exchange *x, const void *const *parts, const size_t *lens, int n);
void srv_h1_stream_end(struct sw_exchange *x);

/* sw_srv_stream.c */
/* Queues SW_STREAM_* |events| for the application of streaming |x|. */
void srv_stream_notify(struct sw_exchange *x, int events);
/* Fires a wanted DRAINED when |x|'s pending output is low enough. */
void srv_stream_check_drain(struct sw_exchange *x);
/* Frees the streaming state of |x|; returns 1 when the free must wait for the
 * running callback (the exchange is then freed by the notifier). */
int srv_stream_release(struct sw_exchange *x);

/* sw_srv_h2.c */
/* Creates the shared callbacks/options. Returns 0 or SW_ERR_NOMEM. */
int srv_h2_global_init(struct sw_server *s);
/* Frees what srv_h2_global_init() created; safe after a partial init. */
void srv_h2_global_free(struct sw_server *s);
/* Starts the session on |c| (sends SETTINGS). Returns 0 or SW_ERR_NOMEM. */
int srv_h2_start(struct srv_conn *c);
/* Feeds the input buffer to nghttp2. */
void srv_h2_process(struct srv_conn *c);
/* Produces pending frames into the output buffer. */
void srv_h2_flush(struct srv_conn *c);
/* Submits a response for |x| (the body is moved out of |body|); |x| stays with the
 * connection until its stream closes. Returns 0 or SW_ERR_NOMEM (stream reset). */
int srv_h2_reply(struct sw_exchange *x, int status, const struct sw_hdrs *hdrs, const char *ctype,
                 struct evbuffer *body);
/* Streaming responses: submits the head with a deferred data source reading
 * |x|->resp; wakes the stream after writes; ends it (END_STREAM once the queue
 * is sent). stream_begin returns 0 or SW_ERR_NOMEM (stream reset). */
int srv_h2_stream_begin(struct sw_exchange *x, int status, const struct sw_hdrs *hdrs,
                        const char *ctype);
void srv_h2_stream_kick(struct sw_exchange *x);
/* Resets the stream of |x| with INTERNAL_ERROR. */
void srv_h2_reset(struct sw_exchange *x);
/* Deadline checks of an HTTP/2 connection at |now|: streams whose head or
 * body is late get 408, a connection without streams for idle_timeout_ms is
 * closed with GOAWAY. */
void srv_h2_sweep(struct srv_conn *c, uint64_t now);
/* Sends GOAWAY (last_stream_id = last processed stream); the connection closes when
 * the streams in flight are done. */
void srv_h2_goaway(struct srv_conn *c);
/* Checks whether a GOAWAY'd session is finished and drains the connection. */
void srv_h2_check_done(struct srv_conn *c);

#endif
