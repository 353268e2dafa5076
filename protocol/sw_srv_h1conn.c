/* HTTP/1.1 transport of sw_server: feeds the connection's input to the
 * sans-I/O codec (sw_srv_h1.c), builds exchanges, writes responses. One
 * request is in flight per connection; pipelined requests wait in the input
 * buffer (capped by the read watermark) until the reply is written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sw_err.h"
#include "sw_srv_int.h"

/* Incomplete heads parsed in full before waiting for the blank line. */
#define SRV_H1_EARLY_PARSES 4

static const char continue_100[] = "HTTP/1.1 100 Continue\r\n\r\n";

void srv_h1_error(struct srv_conn *c, int status)
{
	char head[192];
	struct evbuffer *out = bufferevent_get_output(c->bev);
	c->srv->stats.bad_requests++;
	if (c->h1x)
		srv_x_free(c->h1x);
	srv_conn_set_deadline(c, SRV_DL_NONE, 0);
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 %d %s\r\nserver: swarm\r\ncontent-length: 0\r\n%sconnection: close\r\n\r\n",
	                 status, sw_http_reason(status), status == 503 ? "retry-after: 1\r\n" : "");
	evbuffer_add(out, head, (size_t)n);
	srv_conn_close_after_flush(c);
}

/* Hop-by-hop or framing headers the server writes itself. */
static int skip_header(const struct sw_hdr *h)
{
	return strcmp(h->name, "content-length") == 0 || strcmp(h->name, "connection") == 0 ||
	       strcmp(h->name, "transfer-encoding") == 0 || strcmp(h->name, "keep-alive") == 0 ||
	       h->name[0] == ':';
}

/* Writes a response head: status line, |framing| (a "content-length: N\r\n" or
 * "transfer-encoding: chunked\r\n" line, or NULL), connection: close when
 * |close|, Content-Type |ctype|, the extra headers, the blank line.
 * Returns 0 or SW_ERR_NOMEM. */
static int h1_write_head(struct srv_conn *c, int status, const struct sw_hdrs *hdrs,
                         const char *ctype, int close, const char *framing)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	char head[512];
	int rv = 0;
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nserver: swarm\r\n%s", status,
	                 sw_http_reason(status), framing ? framing : "");
	if (close)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "connection: close\r\n");
	if (evbuffer_add(out, head, (size_t)n) != 0)
		rv = SW_ERR_NOMEM;
	if (ctype && (evbuffer_add(out, "content-type: ", 14) != 0 ||
	              evbuffer_add(out, ctype, strlen(ctype)) != 0 || evbuffer_add(out, "\r\n", 2) != 0))
		rv = SW_ERR_NOMEM;
	for (size_t i = 0; hdrs && i < hdrs->n; i++) {
		const struct sw_hdr *h = &hdrs->v[i];
		if (skip_header(h))
			continue;
		if (evbuffer_add(out, h->name, h->namelen) != 0 || evbuffer_add(out, ": ", 2) != 0 ||
		    evbuffer_add(out, h->value, h->valuelen) != 0 || evbuffer_add(out, "\r\n", 2) != 0)
			rv = SW_ERR_NOMEM;
	}
	if (evbuffer_add(out, "\r\n", 2) != 0)
		rv = SW_ERR_NOMEM;
	return rv;
}

/* Does this response end with a connection close (request asked, or goaway_after)? */
static int h1_closing(struct srv_conn *c)
{
	struct sw_server *s = c->srv;
	int close = c->h1_close;
	if (s->goaway_after && c->nreq >= s->goaway_after) {
		if (!close && !c->goaway_sent) {
			s->stats.goaways++;
			c->goaway_sent = 1;
		}
		close = 1;
	}
	return close;
}

/* After the last byte of a response: close, or parse pipelined input next turn. */
static void h1_response_done(struct srv_conn *c, int close)
{
	if (close) {
		srv_conn_close_after_flush(c);
	} else if (!c->in_io) {
		/* Called from outside the connection: parse pipelined input on the next turn. */
		c->want_resume = 1;
		srv_conn_schedule(c);
	}
}

int srv_h1_reply(struct sw_exchange *x, int status, const struct sw_hdrs *hdrs, const char *ctype,
                 struct evbuffer *body)
{
	struct srv_conn *c = x->conn;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	char framing[64];
	int close = h1_closing(c);
	size_t blen = body ? evbuffer_get_length(body) : 0;
	int bodyless = status < 200 || status == 204 || status == 304;
	snprintf(framing, sizeof(framing), "content-length: %zu\r\n", blen);
	int rv = h1_write_head(c, status, hdrs, bodyless ? NULL : ctype, close,
	                       bodyless ? NULL : framing);
	if (blen) {
		/* Moving chains: no copy of the body. */
		if (!bodyless && !x->head_only) {
			if (evbuffer_add_buffer(out, body) != 0)
				rv = SW_ERR_NOMEM;
		} else {
			evbuffer_drain(body, blen);
		}
	}
	srv_h1_set_state(c, SRV_H1_HEAD);
	srv_x_free(x);
	if (rv != 0) {
		/* A half-written response can not be repaired: drop the connection. */
		srv_conn_close(c);
		return rv;
	}
	h1_response_done(c, close);
	return 0;
}

int srv_h1_stream_begin(struct sw_exchange *x, int status, const struct sw_hdrs *hdrs,
                        const char *ctype)
{
	struct srv_conn *c = x->conn;
	int rv = h1_write_head(c, status, hdrs, ctype, c->h1_close, "transfer-encoding: chunked\r\n");
	if (rv == 0)
		srv_conn_schedule(c); /* written by the connection's deferred work */
	return rv;
}

int srv_h1_stream_write(struct sw_exchange *x, const void *const *parts, const size_t *lens, int n)
{
	struct srv_conn *c = x->conn;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t total = 0;
	char hex[24];
	for (int i = 0; i < n; i++)
		total += lens[i];
	if (total == 0)
		return 0; /* a zero-length chunk would end the body */
	int hn = snprintf(hex, sizeof(hex), "%zx\r\n", total);
	int rv = evbuffer_add(out, hex, (size_t)hn);
	for (int i = 0; rv == 0 && i < n; i++)
		rv = evbuffer_add(out, parts[i], lens[i]);
	if (rv == 0)
		rv = evbuffer_add(out, "\r\n", 2);
	if (rv != 0) {
		srv_conn_close(c); /* half a chunk can not be repaired */
		return SW_ERR_NOMEM;
	}
	/* One write per loop turn for all the pieces of this turn. */
	srv_conn_schedule(c);
	return 0;
}

void srv_h1_stream_end(struct sw_exchange *x)
{
	struct srv_conn *c = x->conn;
	int close = h1_closing(c);
	if (evbuffer_add(bufferevent_get_output(c->bev), "0\r\n\r\n", 5) != 0) {
		srv_h1_set_state(c, SRV_H1_HEAD);
		srv_x_free(x);
		srv_conn_close(c);
		return;
	}
	srv_h1_set_state(c, SRV_H1_HEAD);
	srv_x_free(x);
	srv_conn_schedule(c);
	h1_response_done(c, close);
}

static int h1_start(struct srv_conn *c, const struct sw_h1_head *h)
{
	struct sw_exchange *x = srv_x_new(c);
	int rv;
	if (!x)
		return SW_ERR_NOMEM;
	c->h1x = x;
	rv = srv_x_set_method(x, h->method.p, h->method.n);
	if (rv == 0)
		rv = srv_x_set_path(x, h->target.p, h->target.n);
	for (size_t i = 0; rv == 0 && i < h->nfields; i++)
		rv = sw_hdrs_add(&x->req.hdrs, h->fields[i].name.p, h->fields[i].name.n, h->fields[i].value.p,
		                 h->fields[i].value.n);
	c->h1_close = h->close;
	return rv;
}

static int h1_body_data(void *arg, const char *p, size_t n)
{
	struct srv_conn *c = arg;
	return srv_x_body_add(c->h1x, p, n);
}

/* Feeds buffered chunked input to the decoder. Returns 0 (see *done) or an error. */
static int h1_chunked(struct srv_conn *c, struct evbuffer *in, int *done)
{
	struct evbuffer_iovec v[8];
	int rv = 0;
	*done = 0;
	while (!*done && evbuffer_get_length(in) > 0) {
		int nv = evbuffer_peek(in, -1, NULL, v, 8);
		if (nv > 8)
			nv = 8;
		size_t total = 0;
		for (int i = 0; i < nv && !*done; i++) {
			size_t used = 0;
			rv = sw_chunked_feed(&c->chunk, v[i].iov_base, v[i].iov_len, &used, done,
			                     h1_body_data, c);
			total += used;
			if (rv != 0)
				break;
		}
		evbuffer_drain(in, total);
		if (rv != 0)
			return rv;
	}
	return 0;
}

static void h1_dispatch(struct srv_conn *c)
{
	srv_conn_set_deadline(c, SRV_DL_NONE, 0);
	srv_h1_set_state(c, SRV_H1_WAIT);
	srv_x_dispatch(c->h1x);
}

void srv_h1_process(struct srv_conn *c)
{
	struct sw_server *s = c->srv;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t maxh = s->cfg.max_header_bytes;
	c->in_io++;
	while (c->state == SRV_CONN_H1) {
		size_t len = evbuffer_get_length(in);
		int rv, done;
		switch (c->h1state) {
		case SRV_H1_WAIT:
			goto out;
		case SRV_H1_HEAD: {
			struct sw_h1_head head;
			size_t used = 0;
			if (len == 0)
				goto out;
			/* The head deadline runs from its first byte (for a new
			 * connection's first head: from accept). */
			if (c->deadline == SRV_DL_NONE)
				srv_conn_set_deadline(c, SRV_DL_HEAD, s->cfg.header_timeout_ms);
			size_t lim = len < maxh ? len : maxh;
			const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)lim);
			if (!p) {
				srv_conn_close(c);
				goto out;
			}
			/* A head trickling in byte by byte must not cost quadratic time: after a
			 * few early parses (which catch garbage quickly), parse again only once
			 * the blank line ending the head has arrived, searching new bytes only. */
			size_t from = c->h1_scan > 3 ? c->h1_scan - 3 : 0;
			if (c->h1_parses >= SRV_H1_EARLY_PARSES &&
			    !memmem(p + from, lim - from, "\n\r\n", 3) && !memmem(p + from, lim - from, "\n\n", 2)) {
				c->h1_scan = lim;
				if (len >= maxh)
					srv_h1_error(c, 431);
				goto out;
			}
			rv = sw_h1_parse_head(p, lim, &head, &used);
			if (rv == 0 && used == 0) {
				c->h1_scan = lim;
				c->h1_parses++;
				if (len >= maxh)
					srv_h1_error(c, 431);
				goto out;
			}
			c->h1_scan = 0;
			c->h1_parses = 0;
			if (rv != 0) {
				srv_h1_error(c, rv == SW_ERR_TOO_BIG ? 431 : 400);
				goto out;
			}
			rv = h1_start(c, &head);
			evbuffer_drain(in, used);
			if (rv != 0) {
				if (rv == SW_ERR_NOMEM)
					srv_conn_close(c);
				else
					srv_h1_error(c, 400);
				goto out;
			}
			int has_body = head.chunked || head.content_length > 0;
			srv_x_policy(c->h1x);
			/* A body over its limit or the memory budget is refused before it is read. */
			if (head.content_length > 0 &&
			    srv_x_body_expect(c->h1x, (uint64_t)head.content_length) != 0) {
				srv_h1_error(c, c->h1x->refuse_status);
				goto out;
			}
			srv_conn_set_deadline(c, has_body ? SRV_DL_BODY : SRV_DL_NONE,
			                      has_body ? s->cfg.body_timeout_ms : 0);
			if (has_body && head.expect_continue)
				evbuffer_add(out, continue_100, sizeof(continue_100) - 1);
			if (head.chunked) {
				sw_chunked_init(&c->chunk, 0, 0);
				srv_h1_set_state(c, SRV_H1_BODY_CHUNKED);
			} else if (head.content_length > 0) {
				c->h1_left = (uint64_t)head.content_length;
				srv_h1_set_state(c, SRV_H1_BODY_CL);
			} else {
				h1_dispatch(c);
			}
			break;
		}
		case SRV_H1_BODY_CL: {
			if (len == 0)
				goto out;
			size_t n = (uint64_t)len < c->h1_left ? len : (size_t)c->h1_left;
			rv = srv_x_body_move(c->h1x, in, n);
			if (rv == SW_ERR_TOO_BIG) {
				srv_h1_error(c, c->h1x->refuse_status);
				goto out;
			}
			if (rv != 0) {
				srv_conn_close(c);
				goto out;
			}
			c->h1_left -= n;
			if (c->h1_left > 0)
				goto out;
			h1_dispatch(c);
			break;
		}
		case SRV_H1_BODY_CHUNKED:
			if (len == 0)
				goto out;
			rv = h1_chunked(c, in, &done);
			if (rv != 0) {
				if (rv == SW_ERR_NOMEM)
					srv_conn_close(c);
				else if (rv == SW_ERR_TOO_BIG && c->h1x->refuse_status)
					srv_h1_error(c, c->h1x->refuse_status);
				else
					srv_h1_error(c, rv == SW_ERR_TOO_BIG ? 413 : 400);
				goto out;
			}
			if (!done)
				goto out;
			h1_dispatch(c);
			break;
		}
	}
out:
	c->in_io--;
}
