/*
 * sw_client_conn: one client connection: non-blocking connect, TLS
 * handshake and record I/O, batched output, timers and teardown. The state
 * machine is conn_cb(): SWC_CS_CONNECTING -> SWC_CS_TLS -> SWC_CS_READY -> SWC_CS_DEAD.
 */
#include "sw_client_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "sw_err.h"
#include "sw_tls.h"

void swc_conn_free(struct swc_conn *cn)
{
	if (cn->sess)
		nghttp2_session_del(cn->sess);
	if (cn->ssl)
		SSL_free(cn->ssl);
	if (cn->fd >= 0)
		close(cn->fd);
	if (cn->out)
		evbuffer_free(cn->out);
	sw_h1p_release(&cn->h1p);
	free(cn);
}

void swc_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sw_client *c = arg;
	struct swc_conn *cn;
	struct swc_conn *nx;
	for (cn = TAILQ_FIRST(&c->reap); cn; cn = nx) {
		nx = TAILQ_NEXT(cn, pq);
		if (cn->in_io)
			continue; /* still inside its handler, which re-arms us */
		TAILQ_REMOVE(&c->reap, cn, pq);
		swc_conn_free(cn);
	}
}

/* Returns bytes read, 0 on EOF, -1 when it would block, -2 on error (msg set). */
static long conn_read_some(struct swc_conn *cn, unsigned char *buf, size_t len, char *msg, size_t msglen)
{
	if (cn->ssl) {
		ERR_clear_error();
		int r = SSL_read(cn->ssl, buf, (int)len);
		if (r > 0)
			return r;
		int e = SSL_get_error(cn->ssl, r);
		switch (e) {
		case SSL_ERROR_WANT_READ:
			return -1;
		case SSL_ERROR_WANT_WRITE:
			cn->read_wants_write = 1;
			event_add(&cn->wev, NULL);
			return -1;
		case SSL_ERROR_ZERO_RETURN:
			return 0;
		case SSL_ERROR_SYSCALL:
			/* An abrupt close is still "the peer closed the connection". */
			if (errno == 0 || errno == ECONNRESET)
				return 0;
			swc_msgf(msg, msglen, "TLS read: %s", strerror(errno));
			return -2;
		default: {
			char es[200];
			sw_tls_errstr(es, sizeof(es), "error");
			swc_msgf(msg, msglen, "TLS read: %s", es);
			return -2;
		}
		}
	}
	ssize_t r = read(cn->fd, buf, len);
	if (r >= 0)
		return r;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return -1;
	if (errno == ECONNRESET)
		return 0;
	swc_msgf(msg, msglen, "read: %s", strerror(errno));
	return -2;
}

/* Writes pending output. Returns 0 (all written), 1 (would block), or a
 * negative code with |msg| set. */
static int conn_write_out(struct swc_conn *cn, char *msg, size_t msglen)
{
	struct sw_client *c = cn->c;
	size_t len;
	while ((len = evbuffer_get_length(cn->out)) > 0) {
		if (cn->ssl) {
			/* Copy up to one full record: the output evbuffer is a chain of
			 * small frames, and SSL_write per frame would make tiny records. */
			size_t n = len < SW_TLS_WCHUNK ? len : SW_TLS_WCHUNK;
			evbuffer_copyout(cn->out, c->wbuf, n);
			ERR_clear_error();
			int r = SSL_write(cn->ssl, c->wbuf, (int)n);
			if (r > 0) {
				evbuffer_drain(cn->out, (size_t)r);
				c->st.bytes_out += (uint64_t)r;
				continue;
			}
			int e = SSL_get_error(cn->ssl, r);
			if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
				return 1;
			char es[200];
			int closed = e == SSL_ERROR_SYSCALL && (errno == 0 || errno == EPIPE || errno == ECONNRESET);
			if (e == SSL_ERROR_SYSCALL)
				swc_msgf(es, sizeof(es), "%s", errno ? strerror(errno) : "connection closed");
			else
				sw_tls_errstr(es, sizeof(es), "error");
			swc_msgf(msg, msglen, "TLS write: %s", es);
			return closed ? SW_ERR_CLOSED : SW_ERR_IO;
		}
		int r = evbuffer_write(cn->out, cn->fd);
		if (r > 0) {
			c->st.bytes_out += (uint64_t)r;
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return 1;
		swc_msgf(msg, msglen, "write: %s", r < 0 ? strerror(errno) : "nothing written");
		return r < 0 && (errno == EPIPE || errno == ECONNRESET) ? SW_ERR_CLOSED : SW_ERR_IO;
	}
	return 0;
}

void swc_conn_idle_check(struct swc_conn *cn)
{
	if (cn->state != SWC_CS_READY || cn->nactive)
		return;
	if (cn->goaway || cn->no_reuse ||
	    (cn->h2 && cn->pool && cn->pool->h2_budget && cn->nstarted >= cn->pool->h2_budget)) {
		swc_conn_fail(cn, SW_ERR_CLOSED, "connection finished");
		return;
	}
	event_add(&cn->tmo, cn->c->idle_tv);
	if (!cn->h2)
		sw_h1p_release(&cn->h1p);
}

static void conn_flush(struct swc_conn *cn)
{
	char m[SW_MSG_LEN];
	cn->want_flush = 0;
	if (cn->state != SWC_CS_READY)
		return;
	for (;;) {
		if (cn->h2) {
			while (evbuffer_get_length(cn->out) < SW_OUT_HIGH) {
				const uint8_t *d;
				ssize_t n = nghttp2_session_mem_send(cn->sess, &d);
				if (n < 0) {
					swc_msgf(m, sizeof(m), "HTTP/2 send: %s", nghttp2_strerror((int)n));
					swc_conn_fail(cn, SW_ERR_PROTO, m);
					return;
				}
				if (n == 0)
					break;
				/* nghttp2 considers these bytes sent: losing them would
				 * desynchronise the session, so the connection goes. */
				if (evbuffer_add(cn->out, d, (size_t)n) != 0) {
					swc_conn_fail(cn, SW_ERR_NOMEM, "out of memory buffering HTTP/2 output");
					return;
				}
			}
		}
		if (evbuffer_get_length(cn->out) == 0)
			break;
		int rv = conn_write_out(cn, m, sizeof(m));
		if (rv < 0) {
			swc_conn_fail(cn, rv, m);
			return;
		}
		if (rv == 1) {
			event_add(&cn->wev, NULL);
			return;
		}
		if (!cn->h2)
			break;
	}
	if (cn->h2 && !nghttp2_session_want_read(cn->sess) && !nghttp2_session_want_write(cn->sess)) {
		if (cn->sent_goaway) {
			swc_msgf(m, sizeof(m), "HTTP/2 protocol error from %s: session terminated with %s",
			     cn->c->authority, nghttp2_http2_strerror(cn->sent_goaway_code));
			swc_conn_fail(cn, SW_ERR_PROTO, m);
		} else {
			swc_conn_fail(cn, cn->goaway ? SW_ERR_GOAWAY : SW_ERR_CLOSED, "HTTP/2 session finished");
		}
	}
}

void swc_conn_want_flush(struct swc_conn *cn)
{
	if (cn->want_flush)
		return;
	cn->want_flush = 1;
	if (!cn->in_io)
		event_active(&cn->wev, EV_WRITE, 1);
}

static int conn_can_retry(const struct swc_conn *cn, const struct swc_creq *cr)
{
	if (cn->h2)
		return !cr->h2_sent || (cn->goaway && cr->stream_id > cn->last_stream_id);
	return !cr->got_bytes && cn->served > 0 && cr->req->idempotent;
}

void swc_conn_fail(struct swc_conn *cn, int err, const char *msg)
{
	struct sw_client *c = cn->c;
	struct swc_pool *p = cn->pool;
	if (cn->state == SWC_CS_DEAD)
		return;
	int established = cn->state == SWC_CS_READY;
	cn->state = SWC_CS_DEAD;
	event_del(&cn->rev);
	event_del(&cn->wev);
	event_del(&cn->tmo);
	if (cn->fd >= 0)
		shutdown(cn->fd, SHUT_RDWR);
	if (established) {
		c->st.conns_closed++;
		c->st.conns_open--;
	} else {
		c->st.conns_failed++;
	}
	if (p) {
		TAILQ_REMOVE(&p->conns, cn, pq);
		p->nconns--;
		if (!established)
			p->nconnecting--;
	}
	cn->pool = NULL;
	struct swc_creq *cr;
	while ((cr = TAILQ_FIRST(&cn->active)) != NULL) {
		char m[SW_MSG_LEN];
		if (p && !p->closing && conn_can_retry(cn, cr)) {
			swc_creq_retry(cr, !cn->h2 ? SW_RETRY_CONN_CLOSED
			                   : cn->goaway && cr->stream_id > cn->last_stream_id ? SW_RETRY_GOAWAY
			                   : SW_RETRY_NOT_SENT, msg);
			continue;
		}
		int e = err;
		if (cn->h2 && cn->goaway && (err == SW_ERR_CLOSED || err == SW_ERR_GOAWAY)) {
			e = SW_ERR_GOAWAY;
			swc_msgf(m, sizeof(m), "peer sent GOAWAY (last_stream_id %d, %s) and closed while stream %d was in progress",
			         cn->last_stream_id, nghttp2_http2_strerror(cn->goaway_code), cr->stream_id);
		} else if (err == SW_ERR_CLOSED && established) {
			swc_msgf(m, sizeof(m), "peer closed the connection mid-request (%s)", msg);
		} else {
			swc_msgf(m, sizeof(m), "%s", msg);
		}
		swc_creq_complete(cr, e, m);
	}
	TAILQ_INSERT_TAIL(&c->reap, cn, pq);
	event_active(&c->reap_ev, EV_READ, 1);
	if (p) {
		if (!established)
			swc_pool_connect_failed(p, err, msg);
		swc_pool_dispatch(p);
	}
}

int swc_conn_start(struct swc_conn *cn, struct swc_creq *cr)
{
	TAILQ_INSERT_TAIL(&cn->active, cr, q);
	cn->nactive++;
	cr->where = SWC_W_CONN;
	cr->conn = cn;
	cr->stream_id = 0;
	cr->resp.proto = cn->h2 ? SW_PROTO_H2 : SW_PROTO_H1;
	cn->nstarted++;
	if (cn->nactive == 1)
		event_del(&cn->tmo);
	int rv = cn->h2 ? swc_h2_start(cn, cr) : swc_h1_start(cn, cr);
	if (rv)
		return rv;
	swc_conn_want_flush(cn);
	return 0;
}

static void conn_ready(struct swc_conn *cn, int h2)
{
	struct sw_client *c = cn->c;
	struct swc_pool *p = cn->pool;
	event_del(&cn->tmo);
	event_del(&cn->wev);
	cn->h2 = h2;
	if (h2) {
		int rv = swc_h2_setup(cn);
		if (rv) {
			swc_conn_fail(cn, rv, "HTTP/2 session set-up failed");
			return;
		}
	} else {
		cn->cap = 1;
	}
	cn->state = SWC_CS_READY;
	c->st.conns_opened++;
	c->st.conns_open++;
	if (p) {
		p->nconnecting--;
		p->backoff_ms = 0;
		p->last_err = 0;
	}
	event_add(&cn->rev, NULL);
	swc_conn_want_flush(cn);
	if (p)
		swc_pool_dispatch(p);
	swc_conn_idle_check(cn);
}

static void conn_handshake(struct swc_conn *cn)
{
	struct sw_client *c = cn->c;
	char m[SW_MSG_LEN], es[200];
	ERR_clear_error();
	int r = SSL_connect(cn->ssl);
	if (r == 1) {
		const unsigned char *alpn = NULL;
		unsigned alen = 0;
		SSL_get0_alpn_selected(cn->ssl, &alpn, &alen);
		int h2 = alen == 2 && memcmp(alpn, "h2", 2) == 0;
		c->st.tls_handshakes++;
		if (SSL_session_reused(cn->ssl))
			c->st.tls_resumed++;
		if (!h2 && c->cfg.proto == SW_PROTO_H2) {
			swc_msgf(m, sizeof(m), "TLS peer %s did not select ALPN h2 (selected %s)", c->authority,
			         alen ? "another protocol" : "nothing");
			swc_conn_fail(cn, SW_ERR_ALPN, m);
			return;
		}
		conn_ready(cn, h2);
		return;
	}
	int e = SSL_get_error(cn->ssl, r);
	if (e == SSL_ERROR_WANT_READ) {
		event_del(&cn->wev);
		event_add(&cn->rev, NULL);
		return;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		event_add(&cn->wev, NULL);
		return;
	}
	long vr = SSL_get_verify_result(cn->ssl);
	if (vr != X509_V_OK) {
		swc_msgf(m, sizeof(m), "TLS certificate of %s rejected: %s", c->authority,
		         X509_verify_cert_error_string(vr));
		ERR_clear_error();
		swc_conn_fail(cn, SW_ERR_TLS_VERIFY, m);
		return;
	}
	int code = SW_ERR_TLS;
	/* A server that speaks none of our ALPN protocols aborts the handshake
	 * with this alert instead of selecting nothing. */
	if (ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL)
		code = SW_ERR_ALPN;
	/* OpenSSL 3 reports a peer that closed mid-handshake as an SSL error. */
	if (ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
		code = SW_ERR_CLOSED;
	if (e == SSL_ERROR_SYSCALL) {
		/* The transport failed under the handshake (a reset, a restarting
		 * peer): transient, unlike a TLS protocol failure, which is fatal. */
		code = errno ? SW_ERR_IO : SW_ERR_CLOSED;
		swc_msgf(es, sizeof(es), "%s", errno ? strerror(errno) : "peer closed the connection");
	} else {
		sw_tls_errstr(es, sizeof(es), "handshake failed");
	}
	swc_msgf(m, sizeof(m), "TLS handshake with %s failed: %s", c->authority, es);
	swc_conn_fail(cn, code, m);
}

static void conn_connected(struct swc_conn *cn)
{
	struct sw_client *c = cn->c;
	char m[SW_MSG_LEN];
	int err = cn->conn_errno;
	socklen_t sl = sizeof(err);
	if (!err && getsockopt(cn->fd, SOL_SOCKET, SO_ERROR, &err, &sl) != 0)
		err = errno;
	if (err) {
		char from[INET6_ADDRSTRLEN + 8] = "";
		if (cn->src_idx >= 0) {
			const struct sockaddr_storage *a = &c->src[cn->src_idx];
			char txt[INET6_ADDRSTRLEN];
			const void *ip = a->ss_family == AF_INET ?
			                 (const void *)&((const struct sockaddr_in *)a)->sin_addr :
			                 (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr;
			if (inet_ntop(a->ss_family, ip, txt, sizeof(txt)))
				swc_msgf(from, sizeof(from), " from %s", txt);
		}
		swc_msgf(m, sizeof(m), "connect to %s%s: %s", c->authority, from, strerror(err));
		swc_conn_fail(cn, SW_ERR_CONNECT, m);
		return;
	}
	if (!c->tls) {
		conn_ready(cn, c->cfg.proto == SW_PROTO_H2);
		return;
	}
	cn->ssl = SSL_new(c->ctx);
	if (!cn->ssl || SSL_set_fd(cn->ssl, cn->fd) != 1 ||
	    sw_tls_prepare(cn->ssl, c->host, c->is_ip, c->sni, c->cfg.insecure) != 0) {
		sw_tls_errstr(m, sizeof(m), "SSL set-up failed");
		swc_conn_fail(cn, SW_ERR_TLS, m);
		return;
	}
	if (c->sess && !c->cfg.no_session_resumption)
		SSL_set_session(cn->ssl, c->sess);
	cn->state = SWC_CS_TLS;
	unsigned ms = c->cfg.tls_timeout_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_add(&cn->tmo, &tv);
	conn_handshake(cn);
}

static void conn_read(struct swc_conn *cn)
{
	struct sw_client *c = cn->c;
	char m[SW_MSG_LEN];
	for (int i = 0; i < SW_MAX_READS && cn->state == SWC_CS_READY; i++) {
		long n = conn_read_some(cn, c->rbuf, sizeof(c->rbuf), m, sizeof(m));
		if (n == -1)
			return;
		if (n == -2) {
			swc_conn_fail(cn, SW_ERR_IO, m);
			return;
		}
		if (n == 0) {
			if (cn->h2 && cn->sent_goaway) {
				swc_msgf(m, sizeof(m), "HTTP/2 protocol error from %s: session terminated with %s",
				     c->authority, nghttp2_http2_strerror(cn->sent_goaway_code));
				swc_conn_fail(cn, SW_ERR_PROTO, m);
			} else if (cn->h2) {
				swc_conn_fail(cn, SW_ERR_CLOSED, "peer closed the HTTP/2 connection");
			} else {
				swc_h1_eof(cn);
			}
			return;
		}
		c->st.bytes_in += (uint64_t)n;
		if (cn->h2) {
			ssize_t r = nghttp2_session_mem_recv(cn->sess, c->rbuf, (size_t)n);
			if (r < 0) {
				swc_msgf(m, sizeof(m), "HTTP/2 protocol error from %s: %s", c->authority,
				         nghttp2_strerror((int)r));
				swc_conn_fail(cn, SW_ERR_PROTO, m);
				return;
			}
		} else {
			swc_h1_recv(cn, c->rbuf, (size_t)n);
		}
		/* Drained: skip the read() that would only say EAGAIN; epoll is
		 * level-triggered and reports what is still in the socket. */
		if (cn->state == SWC_CS_READY &&
		    (cn->ssl ? !SSL_has_pending(cn->ssl) : (size_t)n < sizeof(c->rbuf)))
			return;
		/* A batch of replies waits for its callbacks: hand them out before
		 * reading more (the socket stays readable, epoll comes back). */
		if (c->cfg.deliver_batch && c->ndone >= c->cfg.deliver_batch) {
			if (cn->state == SWC_CS_READY && cn->ssl)
				event_active(&cn->rev, EV_READ, 1); /* bytes inside SSL */
			return;
		}
	}
	/* More may be buffered inside SSL; come back after others had a turn. */
	if (cn->state == SWC_CS_READY)
		event_active(&cn->rev, EV_READ, 1);
}

static void conn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct swc_conn *cn = arg;
	struct sw_client *c = cn->c;
	cn->in_io++;
	switch (cn->state) {
	case SWC_CS_CONNECTING:
		conn_connected(cn);
		break;
	case SWC_CS_TLS:
		conn_handshake(cn);
		break;
	case SWC_CS_READY:
		if ((what & EV_READ) || cn->read_wants_write) {
			cn->read_wants_write = 0;
			conn_read(cn);
			cn->want_flush = 1; /* WINDOW_UPDATE, SETTINGS ACK... */
		}
		break;
	case SWC_CS_DEAD:
		break;
	}
	if (cn->pool)
		swc_pool_dispatch(cn->pool);
	swc_client_deliver(c);
	cn->in_io--;
	if (cn->state == SWC_CS_READY) {
		conn_flush(cn);
		if (cn->state == SWC_CS_READY && cn->nactive == 0)
			swc_conn_idle_check(cn);
	}
	if (cn->state == SWC_CS_DEAD && !TAILQ_EMPTY(&c->reap))
		event_active(&c->reap_ev, EV_READ, 1);
	/* Flushing or failing may have completed requests (errors). Without a
	 * batch limit they go now; else deliver_ev, already armed, takes them
	 * in their own pass. */
	if (!c->cfg.deliver_batch && !TAILQ_EMPTY(&c->done))
		swc_client_deliver(c);
}

static void conn_tmo_cb(evutil_socket_t fd, short what, void *arg)
{
	struct swc_conn *cn = arg;
	struct sw_client *c = cn->c;
	char m[SW_MSG_LEN];
	switch (cn->state) {
	case SWC_CS_CONNECTING:
		swc_msgf(m, sizeof(m), "connect to %s timed out after %u ms", c->authority, c->cfg.connect_timeout_ms);
		swc_conn_fail(cn, SW_ERR_CONNECT_TIMEOUT, m);
		break;
	case SWC_CS_TLS:
		swc_msgf(m, sizeof(m), "TLS handshake with %s timed out after %u ms", c->authority, c->cfg.tls_timeout_ms);
		swc_conn_fail(cn, SW_ERR_TLS_TIMEOUT, m);
		break;
	case SWC_CS_READY:
		if (cn->nactive == 0) {
			/* Say goodbye politely so the server does not log a reset. */
			if (cn->h2 && nghttp2_session_terminate_session(cn->sess, NGHTTP2_NO_ERROR) == 0)
				conn_flush(cn);
			swc_conn_fail(cn, SW_ERR_CLOSED, "idle timeout");
		}
		break;
	case SWC_CS_DEAD:
		break;
	}
	swc_client_deliver(c);
}

struct swc_conn *swc_conn_open(struct swc_pool *p)
{
	struct sw_client *c = p->c;
	struct swc_conn *cn = calloc(1, sizeof(*cn));
	if (!cn)
		return NULL;
	cn->c = c;
	cn->src_idx = -1;
	cn->id = ++c->next_conn_id;
	cn->pool = p;
	cn->state = SWC_CS_CONNECTING;
	TAILQ_INIT(&cn->active);
	cn->out = evbuffer_new();
	cn->fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!cn->out || cn->fd < 0) {
		if (cn->out)
			evbuffer_free(cn->out);
		if (cn->fd >= 0)
			close(cn->fd);
		free(cn);
		return NULL;
	}
	int one = 1;
	setsockopt(cn->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (c->nsrc) {
		/* The next source address in turn. IP_BIND_ADDRESS_NO_PORT leaves
		 * the port to connect(), which then needs it unique per target
		 * only, not per source address. */
		cn->src_idx = (int)(c->next_src++ % c->nsrc);
		const struct sockaddr_storage *src = &c->src[cn->src_idx];
		setsockopt(cn->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(cn->fd, (const struct sockaddr *)src, src->ss_family == AF_INET ?
		         sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) != 0) {
			/* reported from the handler like a failed connect */
			cn->conn_errno = errno;
		}
	}
	event_assign(&cn->rev, c->base, cn->fd, EV_READ | EV_PERSIST, conn_cb, cn);
	event_assign(&cn->wev, c->base, cn->fd, EV_WRITE, conn_cb, cn);
	swc_event_prio(c, &cn->rev, 0);
	swc_event_prio(c, &cn->wev, 2);
	event_assign(&cn->tmo, c->base, -1, 0, conn_tmo_cb, cn);
	TAILQ_INSERT_TAIL(&p->conns, cn, pq);
	p->nconns++;
	p->nconnecting++;
	if (cn->conn_errno) {
		event_active(&cn->wev, EV_WRITE, 1);
	} else if (connect(cn->fd, (struct sockaddr *)&c->addr, c->addrlen) != 0 && errno != EINPROGRESS) {
		/* Reported from the handler, never from inside the caller's stack. */
		cn->conn_errno = errno;
		event_active(&cn->wev, EV_WRITE, 1);
	} else {
		event_add(&cn->wev, NULL);
	}
	unsigned ms = c->cfg.connect_timeout_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_add(&cn->tmo, &tv);
	return cn;
}
