/*
 * sw_h2c: HTTP/2 client glue on nghttp2 (session set-up, request
 * submission, response callbacks, request body provider, allocator).
 */
#include "sw_client_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sw_err.h"

/*
 * nghttp2 allocator. Every session owns a ~16 KiB frame buffer of which an
 * idle GET-only connection touches one page. From malloc that block often
 * lands on heap pages already made resident by freed TLS handshake buffers,
 * so all of it counts in RSS; from mmap only the touched pages do. That is
 * about 12 KiB per idle connection, a third of the budget.
 */
#define SW_H2_MMAP_MIN 8192

struct h2_memhdr {
	size_t size;
	size_t mmapped;
};

static void *h2_malloc(size_t size, void *ud)
{
	struct h2_memhdr *h;
	if (size >= SW_H2_MMAP_MIN) {
		void *p = mmap(NULL, size + sizeof(*h), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		h = p;
		h->mmapped = 1;
	} else {
		h = malloc(size + sizeof(*h));
		if (!h)
			return NULL;
		h->mmapped = 0;
	}
	h->size = size;
	return h + 1;
}

static void h2_free(void *ptr, void *ud)
{
	if (!ptr)
		return;
	struct h2_memhdr *h = (struct h2_memhdr *)ptr - 1;
	if (h->mmapped)
		munmap(h, h->size + sizeof(*h));
	else
		free(h);
}

static void *h2_calloc(size_t n, size_t size, void *ud)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	void *p = h2_malloc(n * size, ud);
	/* mmap memory is already zero */
	if (p && n * size < SW_H2_MMAP_MIN)
		memset(p, 0, n * size);
	return p;
}

static void *h2_realloc(void *ptr, size_t size, void *ud)
{
	if (!ptr)
		return h2_malloc(size, ud);
	struct h2_memhdr *h = (struct h2_memhdr *)ptr - 1;
	if (size == 0) {
		h2_free(ptr, ud);
		return NULL;
	}
	void *np = h2_malloc(size, ud);
	if (!np)
		return NULL;
	memcpy(np, ptr, h->size < size ? h->size : size);
	h2_free(ptr, ud);
	return np;
}

static struct swc_creq *h2_creq(nghttp2_session *s, int32_t id)
{
	return nghttp2_session_get_stream_user_data(s, id);
}

static void h2_fail_stream(struct swc_conn *cn, struct swc_creq *cr, int err, const char *msg)
{
	nghttp2_submit_rst_stream(cn->sess, NGHTTP2_FLAG_NONE, cr->stream_id, NGHTTP2_CANCEL);
	swc_creq_complete(cr, err, msg);
}

static int h2_on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name,
                        size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                        void *ud)
{
	struct swc_conn *cn = ud;
	if (f->hd.type != NGHTTP2_HEADERS)
		return 0;
	struct swc_creq *cr = h2_creq(s, f->hd.stream_id);
	if (!cr)
		return 0;
	cr->hdr_bytes += namelen + valuelen;
	if (cr->hdr_bytes > cn->c->cfg.max_header_bytes) {
		char m[SW_MSG_LEN];
		swc_msgf(m, sizeof(m), "response header block over %zu bytes", cn->c->cfg.max_header_bytes);
		h2_fail_stream(cn, cr, SW_ERR_TOO_BIG, m);
		return 0;
	}
	if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
		int st = 0;
		for (size_t i = 0; i < valuelen && i < 3; i++)
			st = st * 10 + (value[i] - '0');
		if (cr->resp.status >= 100 && cr->resp.status < 200)
			swc_hdrs_reset(&cr->resp.hdrs);
		cr->resp.status = st;
		return 0;
	}
	if (namelen && name[0] == ':')
		return 0;
	if (sw_hdrs_add(&cr->resp.hdrs, (const char *)name, namelen, (const char *)value, valuelen))
		h2_fail_stream(cn, cr, SW_ERR_NOMEM, "out of memory storing a header");
	return 0;
}

static int h2_on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
                      size_t len, void *ud)
{
	struct swc_conn *cn = ud;
	struct swc_creq *cr = h2_creq(s, id);
	if (!cr)
		return 0;
	if (evbuffer_get_length(cr->resp.body) + len > cn->c->cfg.max_body_bytes) {
		char m[SW_MSG_LEN];
		swc_msgf(m, sizeof(m), "response body over %zu bytes", cn->c->cfg.max_body_bytes);
		h2_fail_stream(cn, cr, SW_ERR_TOO_BIG, m);
		return 0;
	}
	if (evbuffer_add(cr->resp.body, data, len))
		h2_fail_stream(cn, cr, SW_ERR_NOMEM, "out of memory storing the body");
	else if (cr->req->stream_cb)
		swc_creq_stream_ready(cr);
	return 0;
}

static int h2_on_close(nghttp2_session *s, int32_t id, uint32_t code, void *ud)
{
	struct swc_conn *cn = ud;
	struct swc_creq *cr = h2_creq(s, id);
	char m[SW_MSG_LEN];
	if (!cr)
		return 0;
	if (code == NGHTTP2_NO_ERROR) {
		if (cr->resp.status < 200) {
			swc_msgf(m, sizeof(m), "stream %d closed without a final response", id);
			swc_creq_complete(cr, SW_ERR_PROTO, m);
		} else {
			cn->served++;
			swc_creq_complete(cr, 0, NULL);
		}
	} else if (code == NGHTTP2_REFUSED_STREAM) {
		cn->c->st.resets++;
		swc_msgf(m, sizeof(m), "stream %d refused by peer", id);
		/* nghttp2 closes the streams above a GOAWAY's last_stream_id with
		 * REFUSED_STREAM itself: those count as GOAWAY retries. */
		swc_creq_retry(cr, cn->goaway && id > cn->last_stream_id ? SW_RETRY_GOAWAY
		                                                         : SW_RETRY_REFUSED_STREAM, m);
	} else {
		cn->c->st.resets++;
		swc_msgf(m, sizeof(m), "stream %d reset by peer: %s", id, nghttp2_http2_strerror(code));
		swc_creq_complete(cr, SW_ERR_RESET, m);
	}
	return 0;
}

static int h2_on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
	struct swc_conn *cn = ud;
	if (f->hd.type == NGHTTP2_SETTINGS && !(f->hd.flags & NGHTTP2_FLAG_ACK)) {
		uint32_t peer = nghttp2_session_get_remote_settings(s, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
		unsigned cap = cn->c->cfg.max_streams ? cn->c->cfg.max_streams : peer;
		cn->cap = peer < cap ? peer : cap;
	} else if (f->hd.type == NGHTTP2_GOAWAY) {
		if (!cn->goaway)
			cn->c->st.goaways++;
		cn->goaway = 1;
		cn->last_stream_id = f->goaway.last_stream_id;
		cn->goaway_code = f->goaway.error_code;
		/* A graceful GOAWAY that refused streams we had already sent means a
		 * per-connection request limit: stop sending more than that on the
		 * next connections instead of having them refused and retried.
		 * Small counts are ignored (more likely a shutdown than a limit);
		 * every later GOAWAY re-learns the value. */
		unsigned served = (unsigned)(f->goaway.last_stream_id + 1) / 2;
		if (cn->pool && f->goaway.error_code == NGHTTP2_NO_ERROR && served >= 10 &&
		    cn->nstarted > served)
			cn->pool->h2_budget = served;
	}
	return 0;
}

static int h2_on_frame_send(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
	struct swc_conn *cn = ud;
	if (f->hd.type == NGHTTP2_GOAWAY && f->goaway.error_code != NGHTTP2_NO_ERROR) {
		cn->sent_goaway = 1;
		cn->sent_goaway_code = f->goaway.error_code;
	} else if (f->hd.type == NGHTTP2_HEADERS) {
		struct swc_creq *cr = h2_creq(s, f->hd.stream_id);
		if (cr) {
			cr->h2_sent = 1;
			cr->resp.t_sent_ns = sw_now_ns();
		}
	}
	return 0;
}

static int h2_on_not_send(nghttp2_session *s, const nghttp2_frame *f, int lib_error, void *ud)
{
	struct swc_conn *cn = ud;
	if (f->hd.type != NGHTTP2_HEADERS)
		return 0;
	/* A request nghttp2 refused to start (typically after GOAWAY): the
	 * server never saw it, so it is safe to send elsewhere. */
	struct swc_creq *cr;
	for (cr = TAILQ_FIRST(&cn->active); cr; cr = TAILQ_NEXT(cr, q)) {
		if (cr->stream_id == f->hd.stream_id) {
			char m[SW_MSG_LEN];
			swc_msgf(m, sizeof(m), "stream %d not sent: %s", cr->stream_id, nghttp2_strerror(lib_error));
			swc_creq_retry(cr, cn->goaway ? SW_RETRY_GOAWAY : SW_RETRY_NOT_SENT, m);
			break;
		}
	}
	return 0;
}

static ssize_t h2_read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len,
                            uint32_t *flags, nghttp2_data_source *src, void *ud)
{
	struct swc_creq *cr = h2_creq(s, id);
	if (!cr)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	struct evbuffer *b = cr->req->body;
	size_t total = evbuffer_get_length(b);
	size_t n = total - cr->body_off;
	if (n > len)
		n = len;
	if (n) {
		/* Copy from an offset instead of draining so a retry can resend. */
		struct evbuffer_ptr pos;
		if (evbuffer_ptr_set(b, &pos, cr->body_off, EVBUFFER_PTR_SET) != 0 ||
		    evbuffer_copyout_from(b, &pos, buf, n) != (ev_ssize_t)n)
			return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
		cr->body_off += n;
	}
	if (cr->body_off == total)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

int swc_h2_setup(struct swc_conn *cn)
{
	struct sw_client *c = cn->c;
	if (nghttp2_session_client_new3(&cn->sess, c->h2cbs, cn, c->h2opt, &c->h2mem) != 0)
		return SW_ERR_NOMEM;
	nghttp2_settings_entry iv[] = {
		{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
		{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
		{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, c->cfg.h2_window_bytes},
	};
	if (nghttp2_submit_settings(cn->sess, NGHTTP2_FLAG_NONE, iv, 3) != 0)
		return SW_ERR_NOMEM;
	/* The connection window bounds all streams together: give it room for
	 * several full stream windows so parallel downloads do not stall. */
	uint64_t cw = (uint64_t)c->cfg.h2_window_bytes * 16;
	if (cw > 0x7fffffff)
		cw = 0x7fffffff;
	if (cw > 65535)
		nghttp2_session_set_local_window_size(cn->sess, NGHTTP2_FLAG_NONE, 0, (int32_t)cw);
	cn->cap = c->cfg.max_streams ? c->cfg.max_streams : SW_DEFAULT_H2_STREAMS;
	return 0;
}

static int is_hop_header(const struct sw_hdr *h)
{
	static const char *const hop[] = {"connection", "keep-alive", "proxy-connection",
	                                  "transfer-encoding", "upgrade", "host", "te"};
	for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		if (strcmp(h->name, hop[i]) == 0)
			return 1;
	return 0;
}

#define NV(n, v, vl) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, (vl), NGHTTP2_NV_FLAG_NONE}

int swc_h2_start(struct swc_conn *cn, struct swc_creq *cr)
{
	struct sw_client *c = cn->c;
	struct sw_req *r = cr->req;
	size_t blen = r->body ? evbuffer_get_length(r->body) : 0;
	char clen[24];
	nghttp2_nv stack[32], *nva = stack;
	size_t need = 5 + r->hdrs.n, n = 0;
	if (need > 32) {
		nva = malloc(need * sizeof(*nva));
		if (!nva)
			return SW_ERR_NOMEM;
	}
	nghttp2_nv pseudo[] = {
		NV(":method", r->method, strlen(r->method)),
		NV(":scheme", c->tls ? "https" : "http", c->tls ? 5 : 4),
		NV(":authority", c->authority, strlen(c->authority)),
		NV(":path", r->path, strlen(r->path)),
	};
	for (; n < 4; n++)
		nva[n] = pseudo[n];
	int have_cl = 0;
	for (size_t i = 0; i < r->hdrs.n; i++) {
		struct sw_hdr *h = &r->hdrs.v[i];
		if (is_hop_header(h))
			continue;
		if (strcmp(h->name, "content-length") == 0)
			have_cl = 1;
		nva[n++] = (nghttp2_nv){(uint8_t *)h->name, (uint8_t *)h->value, h->namelen, h->valuelen,
		                        NGHTTP2_NV_FLAG_NONE};
	}
	if (!have_cl && (blen || strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0)) {
		int l = snprintf(clen, sizeof(clen), "%zu", blen);
		nva[n++] = (nghttp2_nv)NV("content-length", clen, (size_t)l);
	}
	nghttp2_data_provider prd = {.source = {.ptr = NULL}, .read_callback = h2_read_body};
	int32_t id = nghttp2_submit_request(cn->sess, NULL, nva, n, blen ? &prd : NULL, cr);
	if (nva != stack)
		free(nva);
	if (id < 0)
		return id == NGHTTP2_ERR_NOMEM ? SW_ERR_NOMEM : SW_ERR_STATE;
	cr->stream_id = id;
	return 0;
}

int swc_h2_init(struct sw_client *c)
{
	if (nghttp2_session_callbacks_new(&c->h2cbs) != 0 || nghttp2_option_new(&c->h2opt) != 0)
		return SW_ERR_NOMEM;
	nghttp2_session_callbacks_set_on_header_callback(c->h2cbs, h2_on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(c->h2cbs, h2_on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(c->h2cbs, h2_on_close);
	nghttp2_session_callbacks_set_on_frame_recv_callback(c->h2cbs, h2_on_frame_recv);
	nghttp2_session_callbacks_set_on_frame_send_callback(c->h2cbs, h2_on_frame_send);
	nghttp2_session_callbacks_set_on_frame_not_send_callback(c->h2cbs, h2_on_not_send);
	nghttp2_option_set_peer_max_concurrent_streams(c->h2opt, SW_DEFAULT_H2_STREAMS);
	nghttp2_option_set_no_closed_streams(c->h2opt, 1);
	nghttp2_option_set_max_send_header_block_length(c->h2opt, 64 * 1024);
	c->h2mem = (nghttp2_mem){c, h2_malloc, h2_free, h2_calloc, h2_realloc};
	return 0;
}
