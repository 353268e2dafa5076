/*
 * h2_stream_post: test helper for e2e_limits.sh. Sends one HTTP/2 (h2c,
 * prior knowledge) request whose body is BYTES zero bytes produced on the
 * fly (nothing held in memory), with or without a content-length, and
 * prints the response status. When the answer arrives before the body is
 * sent (a refusal), it stops sending and resets its stream (CANCEL) as a
 * client should. (curl 7.88 sometimes hangs in that case, hence this.)
 *
 * usage: h2_stream_post PORT METHOD PATH BYTES [--content-length]
 * Prints the status ("413"), or "000" on failure; exit 0, 1 on timeout (60 s).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

struct cli {
	int fd;
	unsigned long long left;   /* body bytes still to produce */
	int32_t stream;
	int status;
	int answered;              /* response complete (END_STREAM) */
	int closed;
	int cancelled;
};

static ssize_t send_cb(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *arg)
{
	struct cli *c = arg;
	size_t off = 0;
	while (off < len) {
		ssize_t w = send(c->fd, data + off, len - off, MSG_NOSIGNAL);
		if (w <= 0)
			return NGHTTP2_ERR_CALLBACK_FAILURE;
		off += (size_t)w;
	}
	return (ssize_t)len;
}

static int header_cb(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nl,
                     const uint8_t *value, size_t vl, uint8_t flags, void *arg)
{
	struct cli *c = arg;
	if (nl == 7 && memcmp(name, ":status", 7) == 0 && vl == 3)
		c->status = atoi((const char *)value);
	return 0;
}

static int frame_recv_cb(nghttp2_session *s, const nghttp2_frame *f, void *arg)
{
	struct cli *c = arg;
	if (f->hd.stream_id == c->stream && (f->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
	    (f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA))
		c->answered = 1;
	return 0;
}

static int close_cb(nghttp2_session *s, int32_t id, uint32_t code, void *arg)
{
	struct cli *c = arg;
	if (id == c->stream)
		c->closed = 1;
	return 0;
}

static ssize_t read_cb(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                       nghttp2_data_source *src, void *arg)
{
	struct cli *c = arg;
	size_t n = c->left < len ? (size_t)c->left : len;
	memset(buf, 0, n);
	c->left -= n;
	if (!c->left)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: h2_stream_post PORT METHOD PATH BYTES [--content-length]\n");
		return 2;
	}
	struct cli c = {.left = strtoull(argv[4], NULL, 10)};
	char cl[32], auth[32];
	snprintf(cl, sizeof(cl), "%llu", c.left);
	snprintf(auth, sizeof(auth), "127.0.0.1:%s", argv[1]);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	c.fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c.fd < 0 || connect(c.fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		printf("000\n");
		return 1;
	}
	int one = 1;
	setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	nghttp2_session_callbacks *cbs;
	nghttp2_session *s;
	nghttp2_session_callbacks_new(&cbs);
	nghttp2_session_callbacks_set_send_callback(cbs, send_cb);
	nghttp2_session_callbacks_set_on_header_callback(cbs, header_cb);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, frame_recv_cb);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs, close_cb);
	nghttp2_session_client_new(&s, cbs, &c);
	nghttp2_session_callbacks_del(cbs);
	nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0);
	nghttp2_nv nva[6];
	size_t n = 0;
#define NV(N, V) nva[n++] = (nghttp2_nv){(uint8_t *)(N), (uint8_t *)(V), strlen(N), strlen(V), 0}
	NV(":method", argv[2]);
	NV(":path", argv[3]);
	NV(":scheme", "http");
	NV(":authority", auth);
	NV("content-type", "application/json");
	if (argc > 5 && strcmp(argv[5], "--content-length") == 0)
		NV("content-length", cl);
	nghttp2_data_provider prd = {.read_callback = read_cb};
	c.stream = nghttp2_submit_request(s, NULL, nva, n, &prd, NULL);
	time_t end = time(NULL) + 60;
	int rc = 1;
	while (time(NULL) < end) {
		if (c.answered && !c.closed && !c.cancelled) {
			/* Answered before the whole body went: stop sending it. */
			nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, c.stream, NGHTTP2_CANCEL);
			c.cancelled = 1;
		}
		if (nghttp2_session_send(s) != 0)
			break;
		if (c.closed || (c.answered && c.cancelled)) {
			rc = 0;
			break;
		}
		struct pollfd p = {.fd = c.fd, .events = POLLIN};
		if (poll(&p, 1, nghttp2_session_want_write(s) ? 0 : 100) > 0) {
			uint8_t buf[65536];
			ssize_t r = recv(c.fd, buf, sizeof(buf), 0);
			if (r <= 0 || nghttp2_session_mem_recv(s, buf, (size_t)r) < 0)
				break;
		}
	}
	printf("%03d\n", c.status);
	nghttp2_session_del(s);
	close(c.fd);
	return c.status ? rc : 1;
}
