/*
 * sw_chunked: the one decoder of HTTP/1.1 chunked transfer coding
 * (RFC 9112 §7.1), sans-I/O, used by the client's response parser (sw_h1c) and the
 * server's request bodies (sw_srv_h1conn). Bytes go in by sw_chunked_feed(),
 * payload comes out through a callback; it never allocates.
 *
 * Accepted: hex sizes of up to 15 digits, chunk extensions (";..." or after
 * whitespace, control bytes refused), CRLF or a bare LF as line end (a CR
 * must be followed by LF), trailer fields (skipped, control bytes refused).
 * Bounded: a size line over 8 KiB, trailers over |max_trailer| and payload
 * over |max_body| are SW_ERR_TOO_BIG.
 */
#ifndef SW_CHUNKED_H
#define SW_CHUNKED_H

#include <stddef.h>
#include <stdint.h>

/* A size line (with its extensions) longer than this is refused. */
#define SW_CHUNKED_LINE_MAX 8192
/* Default cap of the trailer section (sw_chunked_init with 0). */
#define SW_CHUNKED_TRAILER_MAX 8192

/* Called for each run of decoded payload; a nonzero SW_ERR_* code stops the
 * decoder, and sw_chunked_feed() returns it. */
typedef int (*sw_chunked_data_fn)(void *arg, const char *p, size_t n);

/* Decoder state of one body; set up with sw_chunked_init(). */
struct sw_chunked {
	int state;
	int digits;          /* hex digits seen in the size line */
	uint64_t left;       /* bytes left in the current chunk */
	uint64_t body;       /* payload bytes announced so far */
	uint64_t max_body;   /* 0 = unlimited */
	size_t linelen;      /* bytes in the current size-extension or trailer line */
	size_t trailer;      /* trailer bytes so far */
	size_t max_trailer;
};

/* Prepares |st| for a new body. |max_body| caps the payload (0 = no cap:
 * the data callback enforces its own); |max_trailer| caps the trailer
 * section (0 = SW_CHUNKED_TRAILER_MAX). */
void sw_chunked_init(struct sw_chunked *st, uint64_t max_body, size_t max_trailer);

/*
 * Feeds |in|[0..|len|) to the decoder; payload goes to |on_data|(|arg|, ...).
 * Sets *|consumed| to the bytes used (fewer than |len| only when the body
 * ended, or on an error: the rest belongs to the next message) and *|done|
 * to 1 once the last chunk and the trailer section are complete. Returns 0,
 * SW_ERR_PROTO for a malformed encoding, SW_ERR_TOO_BIG when a size line, the
 * trailers or the payload pass their cap (the payload as soon as a chunk
 * size announces it), or the nonzero code |on_data| returned.
 */
int sw_chunked_feed(struct sw_chunked *st, const char *in, size_t len, size_t *consumed,
                    int *done, sw_chunked_data_fn on_data, void *arg);

#endif
