/*
 * sw_err: the one error convention of the swarm code base.
 *
 * Functions return int: 0 on success or a negative SW_ERR_* code. Callbacks
 * that report the outcome of asynchronous work carry the same codes plus a
 * human-readable message naming what went wrong (address, peer, header...).
 * sw_err_is_fatal() separates "tear the connection down" from "count it and
 * go on".
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
 * Returns nonzero when |code| means the connection that produced it can not
 * carry further requests (I/O, TLS, protocol errors), zero for errors that
 * concern one request only (timeout, reset, too big, cancelled).
 */
int sw_err_is_fatal(int code);

#endif
