/*
 * sw_client_h1: HTTP/1.1 client glue: request serialisation and feeding
 * responses through the sans-I/O parser of sw_h1c.c.
 */
#include "sw_client_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"

static int h1_on_status(void *arg, int status, int minor)
{
	struct swc_conn *cn = arg;
	if (cn->cur)
		cn->cur->resp.status = status;
	return 0;
}

static int h1_on_header(void *arg, const char *name, size_t nl, const char *value, size_t vl)
{
	struct swc_conn *cn = arg;
	if (!cn->cur)
		return 0;
	return sw_hdrs_add(&cn->cur->resp.hdrs, name, nl, value, vl);
}

static int h1_on_body(void *arg, const char *data, size_t len)
{
	struct swc_conn *cn = arg;
	struct swc_creq *cr = cn->cur;
	if (!cr)
		return 0;
	if (cr->req->stream_cb) {
		/* The parser does not bound a streaming body; the undrained part is. */
		if (evbuffer_get_length(cr->resp.body) + len > cn->c->cfg.max_body_bytes)
			return SW_ERR_TOO_BIG;
		if (evbuffer_add(cr->resp.body, data, len))
			return SW_ERR_NOMEM;
		swc_creq_stream_ready(cr);
		return 0;
	}
	return evbuffer_add(cr->resp.body, data, len) ? SW_ERR_NOMEM : 0;
}

static int h1_on_done(void *arg)
{
	struct swc_conn *cn = arg;
	struct swc_creq *cr = cn->cur;
	if (!cr)
		return 0;
	cn->served++;
	/* An early answer while our body is still queued leaves the stream
	 * out of sync: never put another request behind it. */
	if (!cn->h1p.keep_alive || evbuffer_get_length(cn->out))
		cn->no_reuse = 1;
	/* The peer ends the connection after this answer (HTTP/1.1's GOAWAY;
	 * the client never asks for that itself). */
	if (!cn->h1p.keep_alive)
		cn->c->st.goaways++;
	swc_creq_complete(cr, 0, NULL);
	return 0;
}

int swc_h1_start(struct swc_conn *cn, struct swc_creq *cr)
{
	struct sw_client *c = cn->c;
	struct sw_req *r = cr->req;
	struct evbuffer *o = cn->out;
	size_t blen = r->body ? evbuffer_get_length(r->body) : 0;
	int have_cl = 0, rv = 0;
	rv |= evbuffer_add_printf(o, "%s %s HTTP/1.1\r\nhost: %s\r\n", r->method, r->path, c->authority) < 0;
	for (size_t i = 0; i < r->hdrs.n; i++) {
		struct sw_hdr *h = &r->hdrs.v[i];
		if (strcmp(h->name, "host") == 0 || strcmp(h->name, "transfer-encoding") == 0)
			continue;
		if (strcmp(h->name, "content-length") == 0)
			have_cl = 1;
		rv |= evbuffer_add(o, h->name, h->namelen);
		rv |= evbuffer_add(o, ": ", 2);
		rv |= evbuffer_add(o, h->value, h->valuelen);
		rv |= evbuffer_add(o, "\r\n", 2);
	}
	if (!have_cl && (blen || strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0))
		rv |= evbuffer_add_printf(o, "content-length: %zu\r\n", blen) < 0;
	rv |= evbuffer_add(o, "\r\n", 2);
	/* Reference, not copy nor drain: a retry resends the same body. */
	if (blen)
		rv |= evbuffer_add_buffer_reference(o, r->body);
	if (rv)
		return SW_ERR_NOMEM;
	if (!cn->h1p.cbs)
		sw_h1p_init(&cn->h1p, &c->h1cbs, cn, c->cfg.max_header_bytes, c->cfg.max_body_bytes);
	sw_h1p_reset(&cn->h1p, strcmp(r->method, "HEAD") == 0);
	/* A streaming body has no total limit (h1_on_body bounds what waits). */
	cn->h1p.max_body_bytes = r->stream_cb ? SIZE_MAX : c->cfg.max_body_bytes;
	cn->cur = cr;
	cr->resp.t_sent_ns = sw_now_ns();
	return 0;
}

void swc_h1_recv(struct swc_conn *cn, const unsigned char *data, size_t len)
{
	char m[SW_MSG_LEN];
	while (len && cn->state == SWC_CS_READY) {
		struct swc_creq *cr = cn->cur;
		if (!cr) {
			swc_conn_fail(cn, SW_ERR_PROTO, "HTTP/1.1 peer sent bytes with no request outstanding");
			return;
		}
		cr->got_bytes = 1;
		size_t used = 0;
		int rv = sw_h1p_feed(&cn->h1p, (const char *)data, len, &used);
		if (rv) {
			if (rv == SW_ERR_TOO_BIG)
				swc_msgf(m, sizeof(m), "HTTP/1.1 response %s over its limit (%zu header / %zu body bytes)",
				         cn->h1p.state == SW_H1P_HEAD || cn->h1p.status == 0 ? "header block" : "body",
				         cn->c->cfg.max_header_bytes, cn->c->cfg.max_body_bytes);
			else
				swc_msgf(m, sizeof(m), "malformed HTTP/1.1 response from %s (%s, after %llu bytes)",
				         cn->c->authority, sw_err_name(rv), (unsigned long long)cn->h1p.total_in);
			swc_conn_fail(cn, rv, m);
			return;
		}
		data += used;
		len -= used;
	}
}

void swc_h1_eof(struct swc_conn *cn)
{
	char m[SW_MSG_LEN];
	struct swc_creq *cr = cn->cur;
	if (cr) {
		if (sw_h1p_eof(&cn->h1p) == 0) {
			swc_conn_fail(cn, SW_ERR_CLOSED, "closed after response");
			return;
		}
		if (cr->got_bytes)
			swc_msgf(m, sizeof(m), "peer %s closed the connection mid-response (after %llu bytes)",
			         cn->c->authority, (unsigned long long)cn->h1p.total_in);
		else
			swc_msgf(m, sizeof(m), "peer %s closed the connection before any response byte",
			         cn->c->authority);
		swc_conn_fail(cn, SW_ERR_CLOSED, m);
		return;
	}
	swc_conn_fail(cn, SW_ERR_CLOSED, "peer closed an idle connection");
}

void swc_h1_init(struct sw_client *c)
{
	c->h1cbs.on_status = h1_on_status;
	c->h1cbs.on_header = h1_on_header;
	c->h1cbs.on_body = h1_on_body;
	c->h1cbs.on_done = h1_on_done;
}
