/*
 * sw_h1c: sans-I/O HTTP/1.1 response parser for the client side.
 *
 * Owns: the incremental parse of one response at a time (status line,
 * header block, Content-Length / chunked / read-until-close body, trailers),
 * bounded by a header-byte and a body-byte limit (chunked bodies go through
 * the shared decoder of util/sw_chunked.h; header block and trailers share
 * the header-byte limit). It never touches a socket
 * or the event loop: bytes go in through sw_h1p_feed(), results come out
 * through the callbacks of struct sw_h1p_cbs. Unit-tested from byte buffers.
 */
#ifndef SW_H1C_H
#define SW_H1C_H

#include <stddef.h>
#include <stdint.h>

#include "sw_chunked.h"

/* Callbacks; each returns 0 to go on or a negative SW_ERR_* to stop the parse
 * (sw_h1p_feed() then returns that code). */
struct sw_h1p_cbs {
	/* Final (non-1xx) status line parsed; |minor| is the HTTP/1.x minor version. */
	int (*on_status)(void *arg, int status, int minor);
	/* One header of the final response; |name| is not lower-cased here. */
	int (*on_header)(void *arg, const char *name, size_t namelen,
	                 const char *value, size_t valuelen);
	/* A piece of (de-chunked) body. */
	int (*on_body)(void *arg, const char *data, size_t len);
	/* The response is complete. */
	int (*on_done)(void *arg);
};

enum sw_h1p_state {
	SW_H1P_IDLE = 0,   /* waiting for the status line */
	SW_H1P_HEAD,       /* inside the header block */
	SW_H1P_BODY_LEN,   /* Content-Length body */
	SW_H1P_CHUNKED,    /* chunked body and trailers (sw_chunked decoder) */
	SW_H1P_BODY_EOF,   /* body delimited by connection close */
	SW_H1P_DONE,
	SW_H1P_ERROR,
};

struct sw_h1p {
	enum sw_h1p_state state;
	const struct sw_h1p_cbs *cbs;
	void *arg;
	size_t max_header_bytes, max_body_bytes;
	int head_request;     /* response to HEAD: no body whatever the headers say */
	int keep_alive;       /* after DONE: the connection may carry another request */
	int status, minor;
	uint64_t content_length, remaining, body_bytes;
	int chunked, have_cl;
	size_t head_bytes;    /* header block bytes seen for this response */
	uint64_t total_in;    /* bytes fed since sw_h1p_reset() */
	char *buf;            /* partial header block, bounded */
	size_t buflen, bufcap;
	struct sw_chunked chunk; /* chunked body decoder */
};

/* Initialises |p| for one response. |max_header_bytes| and |max_body_bytes|
 * bound the header block and the body (SW_ERR_TOO_BIG beyond). */
void sw_h1p_init(struct sw_h1p *p, const struct sw_h1p_cbs *cbs, void *arg,
                 size_t max_header_bytes, size_t max_body_bytes);

/* Prepares |p| for the next response on the same connection; |head_request|
 * is nonzero when the request was HEAD. Keeps the limits and callbacks. */
void sw_h1p_reset(struct sw_h1p *p, int head_request);

/*
 * Parses |len| bytes of |data|. Stops after the response completes (state
 * SW_H1P_DONE) and reports in |*consumed| how many bytes it used; bytes after
 * a complete response are left to the caller (they are a protocol error for a
 * client that sent one request). Returns 0, SW_ERR_PROTO (malformed message),
 * SW_ERR_TOO_BIG (limit exceeded), SW_ERR_NOMEM, or a callback's code.
 */
int sw_h1p_feed(struct sw_h1p *p, const char *data, size_t len, size_t *consumed);

/*
 * Tells the parser the peer closed the connection. Returns 0 when that
 * completes the response (read-until-close body; on_done is called),
 * SW_ERR_CLOSED when the response was cut short.
 */
int sw_h1p_eof(struct sw_h1p *p);

/* Frees the parser's buffer (idle connections call it too). NULL-safe. */
void sw_h1p_release(struct sw_h1p *p);

#endif
