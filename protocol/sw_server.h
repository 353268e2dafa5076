/*
 * sw_server: HTTP server side of protocol/, for the service emulator and the
 * metrics endpoints.
 *
 * Owns: one listening socket (IPv4 or IPv6), accepted connections, TLS with
 * ALPN (h2, http/1.1), HTTP/2 via ALPN or the cleartext prior-knowledge
 * preface (h2c), HTTP/1.1 keep-alive otherwise (all on the same port), and the
 * exchanges (one request + its response) it hands to the application.
 *
 * Handlers may answer at once or later (to inject latency): an exchange stays
 * valid until sw_exchange_reply()/sw_exchange_reset() is called on it, even
 * when its connection died meanwhile (the reply is then dropped silently).
 * Fault hooks: reset one exchange, GOAWAY after N requests per connection,
 * drop every connection ("service restart").
 *
 * Bounds: a request head must be complete header_timeout_ms after its first
 * byte (a new connection's first head, TLS handshake included: after
 * accept), its body body_timeout_ms after the head (408 otherwise); an
 * HTTP/2 connection without streams is closed after idle_timeout_ms even if
 * it keeps sending frames; at most max_conns connections are open (more are
 * closed at accept); each request body is limited by its body policy (413,
 * answered as soon as a Content-Length or the bytes received pass it) and
 * what bodies hold in memory across all connections by max_body_total (503).
 * A TLS handshake on a cleartext port is answered 400 and closed.
 */
#ifndef SW_SERVER_H
#define SW_SERVER_H

#include <stdint.h>
#include <event2/event.h>
#include "sw_http.h"

struct sw_server;
struct sw_exchange;

/* How much of one request's body the server takes (decided once its head is complete). */
struct sw_body_policy {
	size_t max;   /* larger bodies are refused with 413; 0 = cfg.max_body_bytes */
	size_t keep;  /* bytes kept in sw_sreq.body, the rest is only counted (body_total); 0 = max */
};

/* Fills |out| for the request |method| |path| (path without the query, as
 * received). Called before any body byte is stored. */
typedef void (*sw_body_policy_fn)(void *arg, const char *method, const char *path,
                                  struct sw_body_policy *out);

struct sw_server_cfg {
	const char *listen;        /* "127.0.0.1:8090", "[::1]:8443", ":0" picks a port */
	const char *cert_file;     /* PEM certificate chain; TLS when set */
	const char *key_file;      /* PEM key */
	size_t max_header_bytes;   /* per request; default 64 KiB (431 when over) */
	size_t max_body_bytes;     /* per request; default 256 MiB (413 when over) */
	size_t max_body_total;     /* body bytes kept across all requests; default 512 MiB (503) */
	unsigned idle_timeout_ms;  /* default 120000 */
	unsigned header_timeout_ms;/* request head complete after its first byte; default 30000 */
	unsigned body_timeout_ms;  /* request body complete after its head; default 300000 */
	unsigned max_conns;        /* open connections; default: RLIMIT_NOFILE soft limit - 64 */
	unsigned h2_max_streams;   /* SETTINGS_MAX_CONCURRENT_STREAMS; default 256 */
	unsigned goaway_after;     /* send GOAWAY after this many requests per connection (0 = never) */
	int backlog;               /* listen backlog; default 4096 */
	sw_body_policy_fn body_policy; /* NULL: max_body_bytes for every request, all kept */
	void *body_policy_arg;
};

/* The request side of an exchange, valid until the exchange is completed. */
struct sw_sreq {
	const char *method;
	const char *path;        /* without the query, percent-encoding kept */
	const char *query;       /* after '?', or "" */
	struct sw_hdrs hdrs;     /* lower-case names */
	struct evbuffer *body;   /* what the body policy kept */
	uint64_t body_total;     /* body bytes received, kept or not */
	enum sw_proto proto;     /* SW_PROTO_H2 or SW_PROTO_H1 */
	int tls;
	uint64_t t_start_ns;     /* monotonic time the request head arrived */
};

/* Handler: called once per complete request. Must eventually call
 * sw_exchange_reply() or sw_exchange_reset() on |x| (now or later). */
typedef void (*sw_handler_fn)(void *arg, struct sw_exchange *x, struct sw_sreq *req);

/* Creates a listening server on |base|. Returns NULL and a message in |err|
 * naming the address or file on failure. Frees: sw_server_free(); complete
 * every exchange (reply or reset) before that. */
struct sw_server *sw_server_new(struct event_base *base, const struct sw_server_cfg *cfg,
                                sw_handler_fn handler, void *arg, char *err, size_t errlen);

/* Returns the port actually bound (useful with ":0"). */
int sw_server_port(const struct sw_server *s);

/* Closes the listener and all connections; pending exchanges are dropped
 * (their later replies become no-ops until freed). Sets *sp = NULL. NULL-safe. */
void sw_server_free(struct sw_server **sp);

/* Returns the request of |x|. */
struct sw_sreq *sw_exchange_request(struct sw_exchange *x);

/*
 * Completes |x| with |status|, extra headers |hdrs| (may be NULL),
 * Content-Type |ctype| (may be NULL when there is no body) and |body| (data
 * is moved out of it; may be NULL). Frees the exchange. Returns 0, or
 * SW_ERR_CLOSED when the connection had gone (nothing is sent).
 */
int sw_exchange_reply(struct sw_exchange *x, int status, const struct sw_hdrs *hdrs,
                      const char *ctype, struct evbuffer *body);

/* Same with a memory body (copied). */
int sw_exchange_reply_mem(struct sw_exchange *x, int status, const char *ctype,
                          const void *data, size_t len);

/* Fault: resets |x| (HTTP/2 RST_STREAM INTERNAL_ERROR; HTTP/1.1 closes the
 * connection) and frees the exchange. Returns 0 when the reset went to a live
 * peer, SW_ERR_CLOSED when the connection (or stream) had gone. */
int sw_exchange_reset(struct sw_exchange *x);

/* 1 when sw_server_drop_all() dropped the connection of |x| while the
 * application held it (its reply can not be delivered), else 0. */
int sw_exchange_dropped(const struct sw_exchange *x);
/* 1 while a reply to |x| can still reach its peer (connection and stream open). */
int sw_exchange_alive(const struct sw_exchange *x);

/* Fault: drops every open connection at once (pending exchanges stay valid
 * until completed, their replies are dropped). Returns how many were dropped;
 * the stats count them, the exchanges the application held on them and the
 * replies still unsent in their output. */
unsigned sw_server_drop_all(struct sw_server *s);

/* Changes cfg.goaway_after for connections accepted from now on and existing ones. */
void sw_server_set_goaway_after(struct sw_server *s, unsigned n);

/*
 * Streaming responses (kube watch): the head is sent at once, the body
 * follows piece by piece (HTTP/1.1 chunked transfer coding; HTTP/2 DATA
 * frames) until sw_exchange_stream_end(). The server tells the application
 * through |cb| (always from a deferred libevent callback, never from inside
 * the server's own I/O path):
 *   SW_STREAM_DRAINED  pending output fell to SW_STREAM_LOW after a
 *                      sw_exchange_stream_want_drain() (one-shot);
 *   SW_STREAM_CLOSED   the peer is gone (connection closed, stream reset):
 *                      nothing more is sent; call sw_exchange_stream_end().
 * The exchange stays valid until sw_exchange_stream_end(), which the
 * application must call exactly once (it may do so inside |cb|).
 */
#define SW_STREAM_LOW (64 * 1024)
enum sw_stream_event { SW_STREAM_DRAINED = 1, SW_STREAM_CLOSED = 2 };
typedef void (*sw_stream_fn)(void *arg, struct sw_exchange *x, int events);

/* Sends the head of a streaming response (status, extra headers, Content-Type)
 * instead of a reply. Returns 0, SW_ERR_STATE (already answered or streaming),
 * SW_ERR_CLOSED (peer gone: the exchange is freed, |cb| never runs) or
 * SW_ERR_NOMEM (the exchange is reset and freed). */
int sw_exchange_stream_begin(struct sw_exchange *x, int status, const struct sw_hdrs *hdrs,
                             const char *ctype, sw_stream_fn cb, void *arg);

/* Appends the |n| parts of |parts|/|lens| as one piece of the body (one chunk
 * in HTTP/1.1). Returns 0, SW_ERR_CLOSED once the peer is gone (data dropped),
 * SW_ERR_STATE when |x| is not streaming, SW_ERR_NOMEM. */
int sw_exchange_stream_write(struct sw_exchange *x, const void *const *parts, const size_t *lens,
                             int n);

/* Bytes written by the application and not yet handed to the socket layer
 * for |x| (HTTP/1.1: the connection's output; HTTP/2: the stream's queue). */
size_t sw_exchange_stream_pending(const struct sw_exchange *x);

/* Asks for one SW_STREAM_DRAINED once pending output is at most SW_STREAM_LOW
 * (at once, deferred, when it already is). */
void sw_exchange_stream_want_drain(struct sw_exchange *x);

/* Ends the body (last chunk / END_STREAM) and releases |x|; after
 * SW_STREAM_CLOSED it only releases it. Returns 0 or SW_ERR_STATE. */
int sw_exchange_stream_end(struct sw_exchange *x);

struct sw_server_stats {
	uint64_t conns_accepted, conns_open, conns_h2, conns_h1, conns_tls;
	uint64_t requests, resets, goaways, drops, bad_requests;
	uint64_t drop_exchanges;   /* exchanges the application held on dropped connections */
	uint64_t drop_unsent;      /* replies written but not yet sent when their connection was dropped */
	uint64_t drop_partial;     /* requests still arriving when their connection was dropped */
	uint64_t conns_refused;    /* closed at accept: max_conns open */
	uint64_t too_large;        /* 413: a body over its policy's max */
	uint64_t over_budget;      /* 503: a body would pass max_body_total */
	uint64_t header_timeouts;  /* heads (or TLS handshakes) not complete in time */
	uint64_t body_timeouts;    /* bodies not complete in time */
	uint64_t idle_h2_closed;   /* HTTP/2 connections closed for having no stream */
	uint64_t tls_on_plain;     /* TLS handshakes on a cleartext port (answered 400) */
	uint64_t body_bytes;       /* request-body bytes kept now */
	uint64_t body_bytes_peak;  /* the most kept at once */
};
void sw_server_get_stats(const struct sw_server *s, struct sw_server_stats *out);

#endif
