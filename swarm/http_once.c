/*
 * http_once: one request, one answer (see http_once.h).
 */
#include "http_once.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>

#include "sw_err.h"

/* Heap-allocated: after a timeout the request is still pending in the
 * client, and its callback (run when the caller frees the client) frees
 * this instead of writing to the caller's gone |out|. */
struct once {
	struct event_base *base;
	struct http_once *out;
	int done, err, abandoned;
	char msg[200];
};

static void on_answer(void *arg, int err, const char *msg, struct sw_resp *resp)
{
	struct once *o = arg;
	if (o->abandoned) {
		free(o);
		return;
	}
	o->done = 1;
	o->err = err;
	if (err < 0) {
		snprintf(o->msg, sizeof(o->msg), "%s", msg ? msg : sw_err_name(err));
	} else if (resp) {
		size_t n = resp->body ? evbuffer_get_length(resp->body) : 0;
		o->out->status = resp->status;
		if (n) {
			o->out->body = malloc(n + 1);
			if (o->out->body) {
				evbuffer_copyout(resp->body, o->out->body, n);
				o->out->body[n] = '\0';
				o->out->len = n;
			}
		}
	}
	event_base_loopbreak(o->base);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

int http_once(struct event_base *base, struct sw_client *c, struct sw_req *req, unsigned timeout_ms,
              struct http_once *out, char *err, size_t errlen)
{
	char what[300];
	memset(out, 0, sizeof(*out));
	snprintf(what, sizeof(what), "%s %.256s", req->method, req->path);
	struct once *o = calloc(1, sizeof(*o));
	if (!o) {
		sw_req_free(&req);
		snprintf(err, errlen, "%s: out of memory", what);
		return SW_ERR_NOMEM;
	}
	o->base = base;
	o->out = out;
	int rv = sw_client_request(c, NULL, req, on_answer, o);
	if (rv < 0) {
		free(o); /* refused before it was queued: no callback comes */
		snprintf(err, errlen, "%s: cannot send: %s", what, sw_err_name(rv));
		return rv;
	}
	struct event *tmo = evtimer_new(base, on_timeout, base);
	if (tmo) {
		struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000};
		evtimer_add(tmo, &tv);
	}
	if (!o->done)
		event_base_dispatch(base);
	if (tmo)
		event_free(tmo);
	if (!o->done) {
		o->abandoned = 1; /* its callback frees it when the client goes */
		snprintf(err, errlen, "%s: no answer within %.1fs", what, timeout_ms / 1000.0);
		return SW_ERR_TIMEOUT;
	}
	rv = o->err;
	if (rv < 0) {
		http_once_free(out);
		snprintf(err, errlen, "%s: %s", what, o->msg);
	}
	free(o);
	return rv < 0 ? rv : 0;
}

void http_once_free(struct http_once *r)
{
	if (!r)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

void http_once_excerpt(const struct http_once *r, char *buf, size_t len)
{
	size_t n = r->body ? r->len : 0;
	if (!len)
		return;
	if (n > len - 1)
		n = len - 1;
	if (n)
		memcpy(buf, r->body, n);
	buf[n] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
}
