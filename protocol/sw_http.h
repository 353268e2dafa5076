/*
 * sw_http: protocol-independent HTTP messages shared by the client and the
 * server side of protocol/ (HTTP/2 and HTTP/1.1 carry the same structures).
 *
 * Owns: header lists (sw_hdrs), client requests (sw_req) and the response a
 * client callback receives (sw_resp). Header names are stored lower-case.
 */
#ifndef SW_HTTP_H
#define SW_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <event2/buffer.h>
#include "sw_hex.h" /* sw_hexval(), for the users of this header */

enum sw_proto {
	SW_PROTO_AUTO = 0, /* TLS: ALPN picks h2 or http/1.1; cleartext: HTTP/1.1 */
	SW_PROTO_H2,       /* HTTP/2: ALPN h2 on TLS, prior knowledge (h2c) in clear */
	SW_PROTO_H1,       /* HTTP/1.1 keep-alive only */
};

/* Returns "h2", "h2c", "http/1.1" or "auto" for logs; never NULL. */
const char *sw_proto_name(enum sw_proto proto, int tls);

struct sw_hdr {
	char *name;  /* lower-case, NUL-terminated */
	char *value; /* NUL-terminated */
	size_t namelen, valuelen;
};

struct sw_hdrs {
	struct sw_hdr *v;
	size_t n, cap;
	size_t bytes; /* sum of name and value lengths, for limits */
};

/* Appends a copy of |name| (lower-cased) and |value|. Returns 0 or SW_ERR_NOMEM. */
int sw_hdrs_add(struct sw_hdrs *h, const char *name, size_t namelen,
                const char *value, size_t valuelen);
/* Returns the value of the first header named |name| (case-insensitive), or NULL. */
const char *sw_hdrs_get(const struct sw_hdrs *h, const char *name);
/* Frees every entry; |h| is left empty and reusable. NULL-safe. */
void sw_hdrs_clear(struct sw_hdrs *h);

struct sw_resp;

/*
 * Why the client re-sent a request on its own (transport-level retries of
 * requests the server provably did not process, sw_client.h "Retries").
 */
enum sw_retry_reason {
	SW_RETRY_GOAWAY,          /* HTTP/2: its stream was above GOAWAY's last_stream_id */
	SW_RETRY_REFUSED_STREAM,  /* HTTP/2: RST_STREAM with REFUSED_STREAM */
	SW_RETRY_CONN_CLOSED,     /* HTTP/1.1: a reused connection closed before any response
	                           * byte (idempotent requests only) */
	SW_RETRY_NOT_SENT,        /* the connection failed before the request was written */
	SW_RETRY_CONNECT_FAILED,  /* a connection attempt failed while it waited for one */
	SW_RETRY_REASON_COUNT
};

/* The stable name of |r| ("goaway", "refused_stream",
 * "conn_closed_before_response", "not_sent", "connect_failed"); "other"
 * out of range. These are label values of the swarm's metrics. */
const char *sw_retry_reason_name(int r);

/* A request's transport-level retries by reason. */
struct sw_retries {
	uint32_t n[SW_RETRY_REASON_COUNT];
};

/*
 * A client request. Build it with sw_req_new(), then hand it to
 * sw_client_request(), which takes ownership whatever it returns.
 */
struct sw_req {
	char *method;         /* "GET", "POST", ... */
	char *path;           /* path plus optional "?query", starts with '/' */
	struct sw_hdrs hdrs;  /* extra headers; host/authority is added by the client */
	struct evbuffer *body;/* request body, may be empty */
	unsigned timeout_ms;  /* 0 = the client's default request timeout */
	int idempotent;       /* may be retried after an ambiguous failure (GET sets it) */
	/* Optional, owned by the caller: the client adds every transport-level
	 * retry of this request here, by reason, before its callback runs (the
	 * callback reads the complete count, on success and on error). Must
	 * stay valid until the callback ran. */
	struct sw_retries *retries;
	/*
	 * Streaming response (long-lived bodies such as kube watches). When set,
	 * the client calls it from the loop (same delivery passes as completions,
	 * never inside nghttp2 or the parser) each time body bytes arrived, with
	 * the request's callback arg and the response so far: status and headers
	 * set, |body| holding the bytes not consumed yet; it drains what it used.
	 * Returning nonzero cancels the request (HTTP/2: RST_STREAM; HTTP/1.1:
	 * the connection is closed), whose callback then gets SW_ERR_CANCELLED.
	 * Unless cancelled, the callback still runs once at the end with what is
	 * left in the body. With it, max_body_bytes bounds the bytes waiting
	 * undrained instead of the whole body; timeout_ms still bounds the whole
	 * exchange (give watches a timeout above their server-side one).
	 */
	int (*stream_cb)(void *arg, struct sw_resp *resp);
};

/* Returns a new request or NULL on allocation failure. Frees: sw_req_free(). */
struct sw_req *sw_req_new(const char *method, const char *path);
/* Checks that |len| bytes of |v| can travel as one header field value: no
 * control byte but HTAB (no CR, LF or NUL). Returns 0 when they can, else
 * the 1-based position of the first offending byte. */
size_t sw_http_value_bad(const char *v, size_t len);
/* Adds a header. Returns 0, SW_ERR_NOMEM, or SW_ERR_INVALID (nothing added)
 * for an empty |name|, a |name| with anything but token characters (no
 * space, colon, control byte...), or a |value| that sw_http_value_bad()
 * refuses. */
int sw_req_header(struct sw_req *req, const char *name, const char *value);
/*
 * Checks everything of |req| that goes into the request head on the wire:
 * the method (1-32 token characters), the path (starts with '/', no space,
 * control or non-ASCII byte), every header name (token characters) and
 * value (sw_http_value_bad(); no embedded NUL). sw_client_request() refuses
 * a request that fails it, whatever put the bytes there, so neither the
 * HTTP/1.1 nor the HTTP/2 serialiser can emit a CR, LF or NUL (request
 * smuggling, header injection). Returns 0 or SW_ERR_INVALID.
 */
int sw_req_check(const struct sw_req *req);
/* Sets a JSON body (copied) and Content-Type: application/json. Returns 0 or SW_ERR_NOMEM. */
int sw_req_json(struct sw_req *req, const char *json, size_t len);
/* Frees |*reqp| and sets it to NULL. NULL-safe. */
void sw_req_free(struct sw_req **reqp);

/*
 * What a client callback receives. Owned by the client and valid only during
 * the callback; to keep the body, move it out with evbuffer_add_buffer().
 */
struct sw_resp {
	int status;              /* HTTP status code */
	struct sw_hdrs hdrs;     /* response headers, lower-case names */
	struct evbuffer *body;   /* response body (decoded if gzip was negotiated) */
	enum sw_proto proto;     /* protocol that carried it: SW_PROTO_H2 or SW_PROTO_H1 */
	uint64_t t_queued_ns;    /* monotonic: sw_client_request() was called */
	uint64_t t_sent_ns;      /* monotonic: first byte handed to the socket */
	uint64_t t_done_ns;      /* monotonic: response complete */
	unsigned retries;        /* how often it was re-sent on a new connection */
};


/* Returns monotonic time in nanoseconds (CLOCK_MONOTONIC). */
uint64_t sw_now_ns(void);

/* Returns the reason phrase of HTTP |status| ("OK", "Service Unavailable"),
 * or its class ("Client Error") when it has no common name; never NULL. */
const char *sw_http_reason(int status);

/*
 * Multipart/form-data body with one file part (log uploads). Appends the
 * encoded part for |field| / |filename| holding |len| bytes of |data| to
 * |out| and writes the Content-Type value (with boundary) into |ctype|
 * (at least 96 bytes). Returns 0 or SW_ERR_NOMEM / SW_ERR_INVALID.
 */
int sw_multipart_file(struct evbuffer *out, char *ctype, size_t ctypelen,
                      const char *field, const char *filename,
                      const char *file_ctype, const void *data, size_t len);

#endif
