/*
 * sw_client: asynchronous HTTP client on one libevent event_base.
 *
 * Owns: connections to one origin (scheme://host:port), their TLS state
 * (shared SSL_CTX, session cache for resumption), HTTP/2 sessions (nghttp2)
 * and HTTP/1.1 keep-alive connections, timeouts, retries and reconnection
 * back-off. The caller's API is the same whatever protocol carries a request.
 *
 * Two connection policies:
 *  - shared:    sw_client_request(c, NULL, ...) multiplexes requests as
 *               streams over few connections, honouring the peer's
 *               SETTINGS_MAX_CONCURRENT_STREAMS and opening more connections
 *               (up to cfg.max_conns) when all are full; requests wait in a
 *               FIFO when the cap is reached. HTTP/1.1 connections carry one
 *               request at a time.
 *  - dedicated: the caller owns an sw_link (one per emulated host, as real
 *               agents own their connection); its requests always travel on
 *               that link's connection, opened lazily and re-opened after a
 *               failure with exponential back-off.
 *
 * Retries: a request the server provably did not process (HTTP/2 REFUSED_STREAM,
 * a stream id above GOAWAY's last_stream_id, a connection that failed before the
 * request was written, or an idempotent request on a reused HTTP/1.1
 * connection closed before any response byte) is re-sent on a new connection up
 * to cfg.max_retries times. Anything else fails with a precise error code.
 * These retries are not hidden: each is counted by reason (enum
 * sw_retry_reason) in the client's stats, in the response's |retries| and,
 * when the caller gives one, in its req->retries before the callback runs.
 *
 * Not thread-safe: one client per event loop thread.
 */
#ifndef SW_CLIENT_H
#define SW_CLIENT_H

#include <stdint.h>
#include <event2/event.h>
#include "sw_http.h"

struct sw_client;
struct sw_link;

struct sw_client_cfg {
	const char *url;           /* "https://host:port" or "http://host:port" (path ignored) */
	enum sw_proto proto;       /* SW_PROTO_AUTO, _H2 or _H1 */
	/* TLS */
	const char *ca_file;       /* PEM bundle; NULL = system default store */
	const char *cert_file;     /* client certificate (PEM) or NULL */
	const char *key_file;      /* client key (PEM) or NULL */
	/* The same from memory (PEM text, NUL-terminated; kubeconfig *-data):
	 * each replaces its file form when set. Not kept after sw_client_new(). */
	const char *ca_pem;        /* one or more CA certificates */
	const char *cert_pem;      /* client certificate, then its chain */
	const char *key_pem;       /* client private key */
	const char *sni;           /* server name; NULL = host of url (not sent for IPs) */
	int insecure;              /* skip certificate verification (the caller warns) */
	int no_session_resumption; /* disable the TLS session cache */
	/* limits and timing; 0 = default */
	unsigned connect_timeout_ms;  /* default 10000 */
	unsigned tls_timeout_ms;      /* default 10000 */
	unsigned request_timeout_ms;  /* default 60000 */
	unsigned idle_timeout_ms;     /* close idle connections after this; default 90000 */
	unsigned max_conns;           /* shared policy cap; default 64 */
	unsigned max_streams;         /* our own cap per h2 connection; default = peer's */
	unsigned max_retries;         /* default 3 */
	unsigned backoff_initial_ms;  /* reconnect back-off start; default 100 */
	unsigned backoff_max_ms;      /* default 10000 */
	size_t max_header_bytes;      /* per response; default 64 KiB */
	size_t max_body_bytes;        /* per response; default 64 MiB */
	unsigned h2_window_bytes;     /* our stream window; default 1 MiB */
	/* Local addresses of the client's connections. One address reaches one
	 * target with at most one ephemeral port range (about 28,000 ports on
	 * Linux), so more connections than that need several. */
	const char *const *source_addrs; /* numeric addresses of the target's family, used in
	                                  * turn (bind() before connect()); NULL = the kernel's
	                                  * choice */
	unsigned nsource_addrs;
	unsigned loopback_sources;    /* without source_addrs and with an IPv4 loopback target:
	                               * bind in turn to this many addresses 127.0.0.1+|loopback_first|
	                               * and up (any 127.0.0.0/8 address is local); 0 or 1 = none */
	unsigned loopback_first;
	/* Fairness on a loop shared with timers (see sw_client_set_priorities) */
	unsigned deliver_batch;       /* callbacks run per pass, then yield; default 0 = all */
	unsigned deliver_slice_us;    /* ...or once a pass has run this long; default 0 = no limit */
};

/* Fills |cfg| with zeros/defaults (all fields 0 mean "default"). */
void sw_client_cfg_init(struct sw_client_cfg *cfg);

/*
 * Creates a client on |base|. Loads CA, certificate and key at once, so a
 * bad file fails here. Returns NULL and writes a message naming the problem
 * (file, option) into |err| (|errlen| bytes) on failure.
 * Address resolution happens here, once: IP literals and "localhost" are
 * parsed without a resolver; any other name goes through one blocking
 * getaddrinfo() call before the loop runs (the first address is used for
 * the client's lifetime). A name that does not resolve, or is not a valid
 * host name, fails here with a message starting "resolve <host>:".
 * A source address that is not a numeric address of the target's family
 * fails here too ("source address ...").
 * Frees: sw_client_free().
 */
struct sw_client *sw_client_new(struct event_base *base, const struct sw_client_cfg *cfg,
                                char *err, size_t errlen);

/*
 * Closes every connection and completes every pending request with
 * SW_ERR_CANCELLED (callbacks run before this returns), then frees the
 * client and sets |*cp| to NULL. Links must be freed before. NULL-safe.
 */
void sw_client_free(struct sw_client **cp);

/*
 * Gives the client's events libevent priorities on a base set up with
 * event_base_priority_init(): socket reads get |io_prio|, completion delivery
 * and output flushes |deliver_prio|. With deliver_prio < io_prio, completed
 * responses are handed out, one pass (bounded by deliver_batch and
 * deliver_slice_us) per event, before more are read: a burst of replies
 * never becomes one unbounded stretch of work, and events of a still higher
 * priority (timers) run between passes once the base is configured with
 * event_config_set_max_dispatch_interval(). Call before the first request.
 * Returns 0, or SW_ERR_INVALID for priorities the base lacks.
 */
int sw_client_set_priorities(struct sw_client *c, int io_prio, int deliver_prio);

/*
 * Gives output flushes (and connect/handshake progress, which share their
 * event) priority |prio| instead of deliver_prio. A loop whose timers send
 * requests sets it to the timers' priority: requests queued by a pass of
 * timers then leave in one write per connection in that same pass, instead
 * of the loop polling once more to reach the flush's lower priority. Call
 * before the first request. Returns 0, or SW_ERR_INVALID for a priority the
 * base lacks.
 */
int sw_client_set_flush_priority(struct sw_client *c, int prio);

/* Callback of one request: called exactly once. |err| is 0 and |resp| non-NULL
 * on success (any HTTP status); otherwise |err| is a negative SW_ERR_* code,
 * |msg| explains it and |resp| is NULL. The callback may submit new requests,
 * and may free the link the request travelled on. */
typedef void (*sw_resp_cb)(void *arg, int err, const char *msg, struct sw_resp *resp);

/*
 * Submits |req| (ownership passes to the client in every case) on |link|,
 * or on the shared pool when |link| is NULL. Returns 0 when the callback will
 * be called later, or a negative code (callback not called) for invalid
 * arguments (among them a request sw_req_check() refuses: a CR, LF or NUL
 * in its method, path or headers never reaches the wire) or allocation
 * failure.
 */
int sw_client_request(struct sw_client *c, struct sw_link *link, struct sw_req *req,
                      sw_resp_cb cb, void *arg);

/* Creates a dedicated link (no connection until its first request).
 * Returns NULL on allocation failure. Frees: sw_link_free(). */
struct sw_link *sw_link_new(struct sw_client *c);

/* Fails the link's pending requests with SW_ERR_CANCELLED (callbacks run
 * before it returns), closes its connection, frees it, sets |*lp| = NULL.
 * May be called from inside a callback. NULL-safe. */
void sw_link_free(struct sw_link **lp);

/* Counters since sw_client_new(): conns_opened = connections that became
 * usable (TCP + TLS + protocol), conns_failed = attempts that never did,
 * conns_closed = usable ones closed since, conns_open = usable now;
 * tls_resumed counts handshakes that resumed a cached session; requests =
 * accepted by sw_client_request(), responses/errors = callbacks with err 0 /
 * err < 0; retries = re-sends and re-attempts (retries_by: by reason); goaways
 * = GOAWAY frames received, and HTTP/1.1 responses announcing
 * "connection: close" the request did not ask for; resets = RST_STREAM received; bytes are HTTP-level (inside TLS). */
struct sw_client_stats {
	uint64_t conns_opened, conns_failed, conns_closed, conns_open;
	uint64_t tls_handshakes, tls_resumed;
	uint64_t requests, responses, errors, retries, goaways, resets;
	uint64_t retries_by[SW_RETRY_REASON_COUNT]; /* |retries| by enum sw_retry_reason */
	uint64_t bytes_out, bytes_in;
};

/* Copies the client's counters into |out|. */
void sw_client_get_stats(const struct sw_client *c, struct sw_client_stats *out);

#endif
