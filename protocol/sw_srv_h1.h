/*
 * sw_srv_h1: sans-I/O HTTP/1.1 request codec for the server side of
 * protocol/ (no sockets, no libevent; bytes in, parsed spans out).
 *
 * Owns: parsing one request head (request line + header fields) from a
 * contiguous buffer into spans that point into that buffer, the derived
 * framing facts (Content-Length, chunked, keep-alive, Expect). Chunked
 * bodies go through the shared decoder of util/sw_chunked.h. Used by the
 * server's HTTP/1.1 transport and fed directly by the fuzz target.
 */
#ifndef SW_SRV_H1_H
#define SW_SRV_H1_H

#include <stddef.h>
#include <stdint.h>

/* More header fields than this in one request is answered with 431. */
#define SW_H1_MAX_FIELDS 128

/* A byte range inside the parsed buffer (not NUL-terminated). */
struct sw_h1_span {
	const char *p;
	size_t n;
};

struct sw_h1_field {
	struct sw_h1_span name;  /* as received (case kept) */
	struct sw_h1_span value; /* surrounding whitespace trimmed */
};

struct sw_h1_head {
	struct sw_h1_span method;
	struct sw_h1_span target;  /* request-target as received */
	int minor;                 /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
	size_t nfields;
	struct sw_h1_field fields[SW_H1_MAX_FIELDS];
	/* Framing derived from the fields. */
	int64_t content_length;    /* -1 when absent */
	int chunked;               /* Transfer-Encoding: chunked */
	int close;                 /* connection ends after this exchange */
	int expect_continue;       /* Expect: 100-continue (HTTP/1.1 only) */
};

/*
 * Parses one request head from |buf|[0..|len|). Leading empty lines are
 * skipped. Line ends may be CRLF or a bare LF. On success fills |h| (spans
 * point into |buf|) and sets *|consumed| to the head's length including the
 * final empty line; when the head is not complete yet sets *|consumed| = 0.
 * Returns 0 (complete or incomplete), SW_ERR_PROTO for a malformed head
 * (answer 400), or SW_ERR_TOO_BIG for more than SW_H1_MAX_FIELDS fields
 * (answer 431). The caller enforces the byte limit on |len|.
 */
int sw_h1_parse_head(const char *buf, size_t len, struct sw_h1_head *h, size_t *consumed);

#endif
