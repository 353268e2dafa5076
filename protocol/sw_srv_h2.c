/* HTTP/2 transport of sw_server: the nghttp2 server session glue. Input is
 * fed per read event and all frames produced meanwhile are written in one go
 * at the end (srv_h2_flush), so N streams answered in one event cost one
 * write, not N. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"
#include "sw_srv_int.h"

/* Large windows: uploads should not stall on WINDOW_UPDATE round trips.
 * Memory stays bounded by max_body_bytes per stream. */
#define H2_STREAM_WINDOW (8 * 1024 * 1024)
#define H2_CONN_WINDOW (64 * 1024 * 1024)
/* nva entries on the stack before falling back to the heap. */
#define H2_NVA_STACK 24
/* How long a refused stream may stay open after its answer (see h2_refuse). */
#define H2_REFUSE_GRACE_MS 300

static ssize_t h2_send_cb(nghttp2_session *session, const uint8_t *data, size_t length, int flags,
                          void *user_data)
{
	struct srv_conn *c = user_data;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) >= SRV_OUT_HIGH) {
		c->want_flush = 1; /* the write callback resumes once the socket drained */
		return NGHTTP2_ERR_WOULDBLOCK;
	}
	if (evbuffer_add(out, data, length) != 0)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	return (ssize_t)length;
}

static int h2_begin_headers_cb(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
	struct srv_conn *c = user_data;
	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	struct sw_exchange *x = srv_x_new(c);
	if (!x)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	x->stream_id = frame->hd.stream_id;
	nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, x);
	return 0;
}

static int h2_header_cb(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
                        size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                        void *user_data)
{
	struct srv_conn *c = user_data;
	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0; /* trailers are accepted and ignored */
	struct sw_exchange *x = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
	if (!x || x->hdr_too_big)
		return 0;
	x->hdr_bytes += namelen + valuelen;
	if (x->hdr_bytes > c->srv->cfg.max_header_bytes) {
		/* Keep decoding (HPACK state must stay in sync) but stop storing. */
		x->hdr_too_big = 1;
		return 0;
	}
	const char *n = (const char *)name, *v = (const char *)value;
	int rv = 0;
	if (namelen > 0 && n[0] == ':') {
		if (namelen == 7 && memcmp(n, ":method", 7) == 0)
			rv = srv_x_set_method(x, v, valuelen);
		else if (namelen == 5 && memcmp(n, ":path", 5) == 0)
			rv = srv_x_set_path(x, v, valuelen);
		else if (namelen == 10 && memcmp(n, ":authority", 10) == 0 &&
		         !sw_hdrs_get(&x->req.hdrs, "host"))
			rv = sw_hdrs_add(&x->req.hdrs, "host", 4, v, valuelen);
		if (rv == SW_ERR_PROTO) {
			x->bad = 1;
			rv = 0;
		}
	} else if (!(namelen == 4 && memcmp(n, "host", 4) == 0 && sw_hdrs_get(&x->req.hdrs, "host"))) {
		rv = sw_hdrs_add(&x->req.hdrs, n, namelen, v, valuelen);
	}
	return rv == 0 ? 0 : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

static ssize_t h2_body_read_cb(nghttp2_session *session, int32_t stream_id, uint8_t *buf,
                               size_t length, uint32_t *data_flags, nghttp2_data_source *source,
                               void *user_data)
{
	struct sw_exchange *x = source->ptr;
	int n = evbuffer_remove(x->resp, buf, length);
	if (n < 0)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	if (evbuffer_get_length(x->resp) == 0)
		*data_flags |= NGHTTP2_DATA_FLAG_EOF;
	return n;
}

/* Connection-specific fields are forbidden in HTTP/2 (RFC 9113 §8.2.2). */
static int h2_skip_header(const struct sw_hdr *h)
{
	return h->name[0] == ':' || strcmp(h->name, "content-length") == 0 ||
	       strcmp(h->name, "connection") == 0 || strcmp(h->name, "transfer-encoding") == 0 ||
	       strcmp(h->name, "keep-alive") == 0 || strcmp(h->name, "upgrade") == 0 ||
	       strcmp(h->name, "proxy-connection") == 0;
}

#define MAKE_NV(N, V, VL)                                                                    \
	(nghttp2_nv)                                                                             \
	{                                                                                        \
		(uint8_t *)(N), (uint8_t *)(V), sizeof(N) - 1, (VL), NGHTTP2_NV_FLAG_NO_COPY_NAME \
	}

/* Streaming body source: defers while the queue is empty and the stream not ended. */
static ssize_t h2_stream_read_cb(nghttp2_session *session, int32_t stream_id, uint8_t *buf,
                                 size_t length, uint32_t *data_flags, nghttp2_data_source *source,
                                 void *user_data)
{
	struct sw_exchange *x = source->ptr;
	size_t avail = evbuffer_get_length(x->resp);
	int ended = !x->st || x->st->ended;
	if (avail == 0) {
		if (ended) {
			*data_flags |= NGHTTP2_DATA_FLAG_EOF;
			return 0;
		}
		return NGHTTP2_ERR_DEFERRED;
	}
	int n = evbuffer_remove(x->resp, buf, length);
	if (n < 0)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	if (ended && evbuffer_get_length(x->resp) == 0)
		*data_flags |= NGHTTP2_DATA_FLAG_EOF;
	if (x->st)
		srv_stream_check_drain(x);
	return n;
}

/* Submits the response head of |x| with the body in x->req.body (moved there from
 * |body|), or, when |stream|, a deferred source fed by srv_h2_stream_kick(). */
static int h2_submit(struct sw_exchange *x, int status, const struct sw_hdrs *hdrs,
                     const char *ctype, struct evbuffer *body, int stream)
{
	struct srv_conn *c = x->conn;
	nghttp2_nv stack[H2_NVA_STACK];
	nghttp2_nv *nva = stack;
	char st[16], cl[24];
	size_t n = 0;
	int rv = 0;
	size_t extra = hdrs ? hdrs->n : 0;
	if (extra + 3 > H2_NVA_STACK) {
		nva = malloc((extra + 3) * sizeof(*nva));
		if (!nva) {
			rv = SW_ERR_NOMEM;
			goto reset;
		}
	}
	int bodyless = !stream && (status < 200 || status == 204 || status == 304);
	/* The request body buffer is not needed any more: it carries the response. */
	struct evbuffer *rb = x->req.body;
	srv_x_body_release(x);
	if (body != rb) {
		evbuffer_drain(rb, evbuffer_get_length(rb));
		if (body && evbuffer_add_buffer(rb, body) != 0) {
			rv = SW_ERR_NOMEM;
			goto reset;
		}
	}
	size_t blen = evbuffer_get_length(rb);
	snprintf(cl, sizeof(cl), "%zu", blen);
	if (bodyless || x->head_only)
		evbuffer_drain(rb, blen);
	x->resp = rb;
	snprintf(st, sizeof(st), "%03d", status);
	nva[n++] = MAKE_NV(":status", st, 3);
	if (!bodyless && !stream)
		nva[n++] = MAKE_NV("content-length", cl, strlen(cl));
	if (ctype && !bodyless)
		nva[n++] = MAKE_NV("content-type", ctype, strlen(ctype));
	for (size_t i = 0; i < extra; i++) {
		const struct sw_hdr *h = &hdrs->v[i];
		if (h2_skip_header(h))
			continue;
		nva[n++] = (nghttp2_nv){(uint8_t *)h->name, (uint8_t *)h->value, h->namelen, h->valuelen,
		                        NGHTTP2_NV_FLAG_NONE};
	}
	nghttp2_data_provider prd = {.source.ptr = x, .read_callback = h2_body_read_cb};
	if (stream)
		prd.read_callback = h2_stream_read_cb;
	int has_body = stream || evbuffer_get_length(rb) > 0;
	if (nghttp2_submit_response(c->h2, x->stream_id, nva, n, has_body ? &prd : NULL) != 0) {
		rv = SW_ERR_NOMEM;
		goto reset;
	}
	if (!stream)
		srv_x_set_state(x, SRV_X_SENDING);
	goto out;
reset:
	nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, x->stream_id, NGHTTP2_INTERNAL_ERROR);
	srv_x_set_state(x, SRV_X_SENDING);
out:
	if (nva != stack)
		free(nva);
	c->want_flush = 1;
	if (!c->in_io)
		srv_conn_schedule(c);
	return rv;
}

int srv_h2_reply(struct sw_exchange *x, int status, const struct sw_hdrs *hdrs, const char *ctype,
                 struct evbuffer *body)
{
	return h2_submit(x, status, hdrs, ctype, body, 0);
}

int srv_h2_stream_begin(struct sw_exchange *x, int status, const struct sw_hdrs *hdrs,
                        const char *ctype)
{
	return h2_submit(x, status, hdrs, ctype, NULL, 1);
}

void srv_h2_stream_kick(struct sw_exchange *x)
{
	struct srv_conn *c = x->conn;
	/* Fails harmlessly when the source is not deferred (already scheduled). */
	nghttp2_session_resume_data(c->h2, x->stream_id);
	c->want_flush = 1;
	srv_conn_schedule(c);
}

void srv_h2_reset(struct sw_exchange *x)
{
	struct srv_conn *c = x->conn;
	srv_x_set_state(x, SRV_X_SENDING);
	if (nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, x->stream_id, NGHTTP2_INTERNAL_ERROR) != 0) {
		/* The stream is gone already; nobody else refers to x. */
		nghttp2_session_set_stream_user_data(c->h2, x->stream_id, NULL);
		srv_x_free(x);
	}
	c->want_flush = 1;
	if (!c->in_io)
		srv_conn_schedule(c);
}

void srv_h2_goaway(struct srv_conn *c)
{
	int32_t last = nghttp2_session_get_last_proc_stream_id(c->h2);
	if (nghttp2_submit_goaway(c->h2, NGHTTP2_FLAG_NONE, last, NGHTTP2_NO_ERROR, NULL, 0) != 0)
		return;
	c->goaway_sent = 1;
	c->srv->stats.goaways++;
	c->want_flush = 1;
	if (!c->in_io)
		srv_conn_schedule(c);
}

/* Answers a request the server refuses itself (431, 413, 503, 408, 400).
 * The peer may still be sending its body: what comes is discarded, and a
 * stream still open H2_REFUSE_GRACE_MS after the answer is reset with
 * NO_ERROR by the sweep (RFC 9113 §8.1). Not at once: clients such as curl
 * drop an answer whose RST_STREAM arrives with it, and some of them stop
 * sending without ending the stream, waiting for the server to end it. */
static void h2_refuse(struct sw_exchange *x, int status)
{
	x->conn->srv->stats.bad_requests++;
	x->refuse_status = status;
	x->t_refused_ns = sw_now_ns();
	if (status == 503) {
		struct sw_hdrs h = {0};
		sw_hdrs_add(&h, "retry-after", 11, "1", 1);
		srv_h2_reply(x, status, &h, NULL, NULL);
		sw_hdrs_clear(&h);
		return;
	}
	srv_h2_reply(x, status, NULL, NULL, NULL);
}

/* A request head is complete: its body policy and announced length. */
static void h2_head_done(struct sw_exchange *x)
{
	x->head_done = 1;
	x->t_head_ns = sw_now_ns();
	srv_x_policy(x);
	const char *cl = sw_hdrs_get(&x->req.hdrs, "content-length");
	if (cl) {
		char *end = NULL;
		unsigned long long n = strtoull(cl, &end, 10);
		if (end != cl && !*end && srv_x_body_expect(x, n) != 0)
			h2_refuse(x, x->refuse_status);
	}
}

static int h2_frame_recv_cb(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
	struct srv_conn *c = user_data;
	if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
		return 0;
	struct sw_exchange *x = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
	if (!x || x->state != SRV_X_RECV)
		return 0;
	if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
		if (x->hdr_too_big) {
			h2_refuse(x, 431);
			return 0;
		}
		if (x->bad || !x->req.path[0] || !x->method[0]) {
			h2_refuse(x, 400);
			return 0;
		}
		h2_head_done(x);
		if (x->state != SRV_X_RECV)
			return 0;
	}
	if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
		/* Dropped (drop_all from a handler) while this input was being parsed. */
		if (c->state != SRV_CONN_H2)
			return NGHTTP2_ERR_CALLBACK_FAILURE;
		srv_x_dispatch(x);
	}
	return 0;
}

static int h2_data_chunk_cb(nghttp2_session *session, uint8_t flags, int32_t stream_id,
                            const uint8_t *data, size_t len, void *user_data)
{
	struct sw_exchange *x = nghttp2_session_get_stream_user_data(session, stream_id);
	if (!x || x->state != SRV_X_RECV)
		return 0;
	int rv = srv_x_body_add(x, (const char *)data, len);
	if (rv == SW_ERR_TOO_BIG)
		h2_refuse(x, x->refuse_status);
	else if (rv != 0)
		nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_INTERNAL_ERROR);
	return 0;
}

static int h2_stream_close_cb(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
                              void *user_data)
{
	struct sw_exchange *x = nghttp2_session_get_stream_user_data(session, stream_id);
	if (!x)
		return 0;
	nghttp2_session_set_stream_user_data(session, stream_id, NULL);
	if (x->state == SRV_X_APP) {
		x->stream_gone = 1; /* the application frees it with its reply */
		if (x->st)
			srv_stream_notify(x, SW_STREAM_CLOSED);
	} else
		srv_x_free(x);
	return 0;
}

int srv_h2_global_init(struct sw_server *s)
{
	nghttp2_session_callbacks *cb = NULL;
	if (nghttp2_session_callbacks_new(&cb) != 0)
		return SW_ERR_NOMEM;
	nghttp2_session_callbacks_set_send_callback(cb, h2_send_cb);
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, h2_begin_headers_cb);
	nghttp2_session_callbacks_set_on_header_callback(cb, h2_header_cb);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, h2_frame_recv_cb);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, h2_data_chunk_cb);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, h2_stream_close_cb);
	s->h2cbs = cb;
	if (nghttp2_option_new(&s->h2opt) != 0)
		return SW_ERR_NOMEM;
	return 0;
}

void srv_h2_global_free(struct sw_server *s)
{
	if (s->h2cbs)
		nghttp2_session_callbacks_del(s->h2cbs);
	if (s->h2opt)
		nghttp2_option_del(s->h2opt);
	s->h2cbs = NULL;
	s->h2opt = NULL;
}

int srv_h2_start(struct srv_conn *c)
{
	struct sw_server *s = c->srv;
	if (nghttp2_session_server_new2(&c->h2, s->h2cbs, c, s->h2opt) != 0)
		return SW_ERR_NOMEM;
	nghttp2_settings_entry iv[] = {
		{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, s->cfg.h2_max_streams},
		{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, H2_STREAM_WINDOW},
		{NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)s->cfg.max_header_bytes},
	};
	if (nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0])) != 0 ||
	    nghttp2_session_set_local_window_size(c->h2, NGHTTP2_FLAG_NONE, 0, H2_CONN_WINDOW) != 0) {
		nghttp2_session_del(c->h2);
		c->h2 = NULL;
		return SW_ERR_NOMEM;
	}
	c->want_flush = 1;
	return 0;
}

void srv_h2_sweep(struct srv_conn *c, uint64_t now)
{
	struct sw_server *s = c->srv;
	const uint64_t hdr_ns = (uint64_t)s->cfg.header_timeout_ms * 1000000u;
	const uint64_t body_ns = (uint64_t)s->cfg.body_timeout_ms * 1000000u;
	struct sw_exchange *next;
	for (struct sw_exchange *x = c->xs; x && c->state == SRV_CONN_H2; x = next) {
		next = x->next;
		if (x->state == SRV_X_SENDING && x->refuse_status &&
		    now - x->t_refused_ns > (uint64_t)H2_REFUSE_GRACE_MS * 1000000u &&
		    nghttp2_session_get_stream_remote_close(c->h2, x->stream_id) == 0) {
			/* Refused, answered, and the stream is still open: end it. */
			nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, x->stream_id, NGHTTP2_NO_ERROR);
			x->refuse_status = 0;
			continue;
		}
		if (x->state != SRV_X_RECV)
			continue;
		if (!x->head_done && now - x->req.t_start_ns > hdr_ns) {
			/* A header block still trickling in: HPACK can not skip it, so the
			 * whole connection goes. */
			s->stats.header_timeouts++;
			nghttp2_session_terminate_session(c->h2, NGHTTP2_ENHANCE_YOUR_CALM);
			srv_h2_flush(c);
			if (c->state == SRV_CONN_H2)
				srv_conn_close_after_flush(c);
			return;
		}
		if (x->head_done && now - x->t_head_ns > body_ns) {
			s->stats.body_timeouts++;
			h2_refuse(x, 408);
		}
	}
	if (c->state == SRV_CONN_H2)
		srv_h2_flush(c);
	if (c->state == SRV_CONN_H2 && c->nx == 0 && !c->goaway_sent &&
	    now - c->idle_since_ns > (uint64_t)s->cfg.idle_timeout_ms * 1000000u) {
		/* PINGs and SETTINGS do not keep a connection without streams open. */
		s->stats.idle_h2_closed++;
		nghttp2_session_terminate_session(c->h2, NGHTTP2_NO_ERROR);
		c->goaway_sent = 1;
		srv_h2_flush(c);
		if (c->state == SRV_CONN_H2)
			srv_conn_close_after_flush(c);
	}
}

void srv_h2_check_done(struct srv_conn *c)
{
	if (c->state == SRV_CONN_H2 && !nghttp2_session_want_read(c->h2) &&
	    !nghttp2_session_want_write(c->h2))
		srv_conn_close_after_flush(c);
}

void srv_h2_flush(struct srv_conn *c)
{
	if (c->state != SRV_CONN_H2 || !c->h2)
		return;
	c->want_flush = 0;
	if (nghttp2_session_send(c->h2) != 0) {
		srv_conn_close(c);
		return;
	}
	srv_h2_check_done(c);
}

void srv_h2_process(struct srv_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	c->in_io++;
	while (c->state == SRV_CONN_H2 && evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		ssize_t rv = nghttp2_session_mem_recv(c->h2, v.iov_base, v.iov_len);
		if (rv < 0) {
			/* Fatal for the session; nghttp2 may have queued a GOAWAY worth sending.
			 * (A connection dropped by a handler meanwhile is not the peer's fault.) */
			evbuffer_drain(in, evbuffer_get_length(in));
			if (c->state == SRV_CONN_H2) {
				c->srv->stats.bad_requests++;
				nghttp2_session_send(c->h2);
				srv_conn_close_after_flush(c);
			}
			break;
		}
		evbuffer_drain(in, (size_t)rv);
	}
	if (c->state == SRV_CONN_H2)
		srv_h2_flush(c);
	c->in_io--;
}
