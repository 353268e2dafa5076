/*
 * sw_err: the one error convention of the swarm code base.
 *
 * Functions return int: 0 on success or a negative SW_ERR_* code. Callbacks
 * that report the outcome of asynchronous work carry the same codes plus a
 * human-readable message naming what went wrong (address, peer, header...).
 * sw_err_is_fatal() separates "stop and tear down" from "count it and go on"
 * (see there); it is the only place that classifies codes that way.
 */
#ifndef SW_ERR_H
#define SW_ERR_H

enum sw_err {
	SW_OK = 0,
	SW_ERR_NOMEM = -1,           /* allocation failed */
	SW_ERR_INVALID = -2,         /* bad argument or configuration */
	SW_ERR_RESOLVE = -3,         /* host name did not resolve */
	SW_ERR_CONNECT = -4,         /* connection refused or unreachable */
	SW_ERR_CONNECT_TIMEOUT = -5, /* TCP connect did not finish in time */
	SW_ERR_TLS = -6,             /* TLS handshake failed (protocol level) */
	SW_ERR_TLS_VERIFY = -7,      /* peer certificate rejected */
	SW_ERR_TLS_TIMEOUT = -8,     /* TLS handshake did not finish in time */
	SW_ERR_ALPN = -9,            /* peer selected no protocol we can speak */
	SW_ERR_TIMEOUT = -10,        /* whole request did not finish in time */
	SW_ERR_CLOSED = -11,         /* peer closed the connection mid-request */
	SW_ERR_RESET = -12,          /* stream reset by the peer (RST_STREAM) */
	SW_ERR_GOAWAY = -13,         /* peer went away after processing began */
	SW_ERR_PROTO = -14,          /* malformed frame or HTTP/1.1 message */
	SW_ERR_TOO_BIG = -15,        /* header block or body over its limit */
	SW_ERR_CANCELLED = -16,      /* request cancelled by its owner/shutdown */
	SW_ERR_IO = -17,             /* socket error */
	SW_ERR_RETRIES = -18,        /* retried too often (unprocessed requests) */
	SW_ERR_PARSE = -19,          /* input (config, JSON, YAML) not parseable */
	SW_ERR_STATE = -20,          /* call not allowed in the object's state */
	SW_ERR_NOT_FOUND = -21,      /* lookup found nothing */
};

/* Returns a stable short name for |code| ("connect-timeout"), never NULL. */
const char *sw_err_name(int code);

/*
 * The fatality predicate. Returns nonzero when |code| is fatal: a permanent
 * failure, which the same request would meet again however often it were
 * retried (a certificate or protocol the peer refuses, a malformed or
 * oversized message, an allocation failure, a cancellation by the owner, a
 * local misuse; also any code this header does not know). Returns zero for
 * SW_OK and for transient failures: the network or the peer failed this
 * attempt (refused or timed-out connection, closed or reset connection or
 * stream, GOAWAY, request timeout, I/O error, retries used up on
 * unprocessed requests) and another attempt may succeed.
 *
 * What the code base does with it, everywhere:
 *  - fatal: stop and tear down. The client fails every request waiting on a
 *    connection attempt that failed fatally at once (no reconnect back-off
 *    loop) and closes a connection on which starting a request failed
 *    fatally (its output may hold half a request); the swarm never retries
 *    a call that failed fatally, it reports it to the caller's handler.
 *  - not fatal: count it and go on. The client reconnects with back-off and
 *    re-sends what the peer provably did not process; the swarm retries the
 *    call as the real Go clients would (its retry policy), then reports it.
 * A failure of the connection itself (closed, I/O) ends that connection
 * whatever the predicate says; a stream error on HTTP/2 (reset, timeout,
 * too big) ends only its stream.
 */
int sw_err_is_fatal(int code);

#endif
