/*
 * sw_client_int: private contract between the files of the client
 * (sw_client.c: API, requests, pools; sw_client_conn.c: sockets, TLS and the
 * connection state machine; sw_h2c.c: HTTP/2 glue on nghttp2;
 * sw_client_h1.c: HTTP/1.1 glue on the sw_h1c parser). Not a public API.
 */
#ifndef SW_CLIENT_INT_H
#define SW_CLIENT_INT_H

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "sw_client.h"
#include "sw_h1c.h"

#define SW_RBUF_SIZE 32768
#define SW_TLS_WCHUNK 16384
/* Stop serialising frames while this much output waits for the socket. */
#define SW_OUT_HIGH (256 * 1024)
/* Recycled request objects kept for reuse. */
#define SW_FREE_CREQ_MAX 4096
/* Reads per handler run before yielding to other connections. */
#define SW_MAX_READS 64
#define SW_DEFAULT_H2_STREAMS 100
#define SW_MSG_LEN 256

enum swc_creq_where { SWC_W_NONE, SWC_W_QUEUE, SWC_W_CONN, SWC_W_DONE };
enum swc_conn_state { SWC_CS_CONNECTING, SWC_CS_TLS, SWC_CS_READY, SWC_CS_DEAD };

struct swc_pool;
struct swc_conn;

struct swc_creq {
	TAILQ_ENTRY(swc_creq) q;
	TAILQ_ENTRY(swc_creq) sq; /* streaming: on the client's |streaming| list */
	int in_sq;
	struct sw_client *c;
	struct swc_pool *pool;
	struct swc_conn *conn;
	struct sw_req *req;
	sw_resp_cb cb;
	void *arg;
	struct event tev;
	enum swc_creq_where where;
	int32_t stream_id;
	int h2_sent;     /* HEADERS left for the socket */
	int got_bytes;   /* HTTP/1.1: a response byte arrived */
	size_t body_off; /* request body bytes handed to nghttp2 */
	size_t hdr_bytes;
	uint64_t avoid_conn; /* id of the connection that refused it last */
	int err;
	char msg[SW_MSG_LEN];
	struct sw_resp resp;
};
TAILQ_HEAD(swc_creq_list, swc_creq);

struct swc_conn {
	TAILQ_ENTRY(swc_conn) pq;
	struct sw_client *c;
	struct swc_pool *pool;
	int fd;
	int conn_errno;
	int src_idx;     /* index in c->src of its local address, -1 = the kernel's choice */
	SSL *ssl;
	enum swc_conn_state state;
	int h2;
	nghttp2_session *sess;
	struct event rev, wev, tmo;
	struct evbuffer *out;
	struct swc_creq_list active;
	unsigned nactive, cap;
	int goaway;
	int32_t last_stream_id;
	uint32_t goaway_code;
	int sent_goaway; /* we terminated the session: the peer broke the protocol */
	uint32_t sent_goaway_code;
	int in_io, want_flush, read_wants_write, no_reuse;
	unsigned served;
	unsigned nstarted; /* requests ever started on this connection */
	uint64_t id;       /* serial number within the client, never 0 */
	struct sw_h1p h1p;
	struct swc_creq *cur; /* HTTP/1.1 request in flight */
};
TAILQ_HEAD(swc_conn_list, swc_conn);

struct swc_pool {
	struct sw_client *c;
	struct sw_link *link; /* NULL for the shared pool */
	unsigned max_conns;
	struct swc_conn_list conns;
	unsigned nconns, nconnecting;
	struct swc_creq_list queue;
	unsigned nqueue;
	unsigned backoff_ms;
	int in_backoff, closing, backoff_assigned;
	struct event backoff_ev;
	int last_err;
	char last_msg[SW_MSG_LEN];
	/* Requests the peer serves per HTTP/2 connection before a graceful
	 * GOAWAY (nginx keepalive_requests), learned from GOAWAYs; 0 = unknown. */
	unsigned h2_budget;
};

struct sw_link {
	struct swc_pool pool;
	LIST_ENTRY(sw_link) le;
};
LIST_HEAD(swc_link_list, sw_link);

struct sw_client {
	struct event_base *base;
	struct sw_client_cfg cfg;
	int tls, is_ip;
	char host[256];
	char authority[300];
	char *sni;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct sockaddr_storage *src; /* local addresses bound in turn; NULL = none */
	unsigned nsrc, next_src;
	SSL_CTX *ctx;
	SSL_SESSION *sess;
	nghttp2_session_callbacks *h2cbs;
	nghttp2_option *h2opt;
	nghttp2_mem h2mem;
	struct sw_h1p_cbs h1cbs;
	const struct timeval *req_tv, *idle_tv;
	struct swc_pool shared;
	struct swc_link_list links;
	struct swc_creq_list done;
	unsigned ndone;
	struct swc_creq_list streaming; /* stream_cb requests with new body bytes */
	struct event deliver_ev;
	int io_prio, deliver_prio; /* -1: the base's default */
	int flush_prio;            /* output flushes; -1: deliver_prio */
	struct swc_creq_list freelist;
	unsigned nfree;
	struct swc_conn_list reap;
	struct event reap_ev;
	struct sw_client_stats st;
	uint64_t next_conn_id;
	unsigned char rbuf[SW_RBUF_SIZE];
	unsigned char wbuf[SW_TLS_WCHUNK];
};

/* sw_client.c */
/* snprintf into |buf| for messages: truncation is acceptable. */
void swc_msgf(char *buf, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));
/* Frees the entries of |h| but keeps its array for reuse. */
void swc_hdrs_reset(struct sw_hdrs *h);
/* Detaches |cr|, stops its timer and queues its callback with |err| (0 =
 * success) and |msg|; callbacks run from swc_client_deliver(), never here. */
void swc_creq_complete(struct swc_creq *cr, int err, const char *msg);
/* A streaming request got body bytes: queues its stream_cb for the next
 * delivery pass (once until delivered). */
void swc_creq_stream_ready(struct swc_creq *cr);
/* Runs the callbacks of completed requests, one pass bounded by
 * cfg.deliver_batch and cfg.deliver_slice_us when set (deliver_ev is re-armed
 * for the rest), then recycles them. */
void swc_client_deliver(struct sw_client *c);
/* Runs the callbacks of every completed request, whatever the batch. */
void swc_client_deliver_all(struct sw_client *c);
/* Applies the client's priority for |ev| when one is set: |kind| 0 = socket
 * reads, 1 = delivery, 2 = output flushes. */
void swc_event_prio(struct sw_client *c, struct event *ev, int kind);
/* Puts |cr| back at the head of its pool queue for another connection, or
 * completes it with SW_ERR_RETRIES (|why| in the message) past max_retries.
 * |reason| (enum sw_retry_reason) is counted in the request's retries. */
void swc_creq_retry(struct swc_creq *cr, int reason, const char *why);
/* Counts one transport-level retry of |cr| for |reason| (client stats, the
 * response's count and the caller's req->retries). */
void swc_creq_count_retry(struct swc_creq *cr, int reason);
/* A connection attempt of |p| failed with |err|/|msg|: charges queued
 * requests one attempt (when no live connection exists) and backs off. */
void swc_pool_connect_failed(struct swc_pool *p, int err, const char *msg);
/* Moves queued requests of |p| onto connections with room and opens new
 * connections (up to max_conns, not while backing off) for the rest. */
void swc_pool_dispatch(struct swc_pool *p);

/* sw_client_conn.c */
/* Starts a non-blocking connect for |p|. Returns NULL on socket failure. */
struct swc_conn *swc_conn_open(struct swc_pool *p);
/* Attaches |cr| to the ready connection |cn| and queues its request.
 * Returns 0 or a negative SW_ERR_* (|cr| is then still attached). */
int swc_conn_start(struct swc_conn *cn, struct swc_creq *cr);
/* Schedules one batched flush of |cn|'s output for this loop iteration. */
void swc_conn_want_flush(struct swc_conn *cn);
/* With no request in flight: closes |cn| if it may not be reused, else
 * arms its idle timer. */
void swc_conn_idle_check(struct swc_conn *cn);
/* Tears |cn| down with |err|/|msg|: its requests are retried when provably
 * unprocessed, else completed with the error; the memory is reaped later. */
void swc_conn_fail(struct swc_conn *cn, int err, const char *msg);
/* Releases everything |cn| owns; only for dead connections off all lists. */
void swc_conn_free(struct swc_conn *cn);
/* Event callback freeing dead connections that are outside their handler. */
void swc_reap_cb(evutil_socket_t fd, short what, void *arg);

/* sw_h2c.c */
/* Creates the shared nghttp2 callbacks, options and allocator of |c|.
 * Returns 0 or SW_ERR_NOMEM. */
int swc_h2_init(struct sw_client *c);
/* Creates |cn|'s nghttp2 session and queues our SETTINGS. Returns 0 or
 * SW_ERR_NOMEM. */
int swc_h2_setup(struct swc_conn *cn);
/* Submits |cr| as a new stream on |cn|. Returns 0, SW_ERR_NOMEM or
 * SW_ERR_STATE (session refuses new streams). */
int swc_h2_start(struct swc_conn *cn, struct swc_creq *cr);

/* sw_client_h1.c */
/* Fills |c|'s HTTP/1.1 parser callbacks. */
void swc_h1_init(struct sw_client *c);
/* Serialises |cr| into |cn|'s output and makes it the request in flight.
 * Returns 0 or SW_ERR_NOMEM. */
int swc_h1_start(struct swc_conn *cn, struct swc_creq *cr);
/* Feeds |len| bytes of |data| to |cn|'s response parser. */
void swc_h1_recv(struct swc_conn *cn, const unsigned char *data, size_t len);
/* The peer closed |cn|: completes or fails the request in flight. */
void swc_h1_eof(struct swc_conn *cn);

#endif
