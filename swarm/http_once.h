/*
 * http_once: one HTTP request on a private event loop, for the commands
 * that run outside a shard (the Pushgateway push, `swarm check`,
 * `swarm cleanup`'s hub deletions, `swarm publish`): send, wait for the
 * answer or a timeout, hand back status and body. Never used on a shard's
 * loop (it runs its own).
 */
#ifndef SWARM_HTTP_ONCE_H
#define SWARM_HTTP_ONCE_H

#include <stddef.h>
#include <event2/event.h>
#include "sw_client.h"

struct http_once {
	int status;               /* HTTP status; 0 when no answer */
	char *body;               /* the body, NUL-terminated (malloc'd), NULL when empty */
	size_t len;
};

/*
 * Sends |req| (consumed) through |c| (created on |base|) and runs |base|
 * until the answer or |timeout_ms|. Returns 0 when an answer came (any
 * status, in |out|), else a negative SW_ERR_* with "METHOD PATH: why" in
 * |err|. Frees: http_once_free(|out|).
 */
int http_once(struct event_base *base, struct sw_client *c, struct sw_req *req, unsigned timeout_ms,
              struct http_once *out, char *err, size_t errlen);
/* NULL-safe. */
void http_once_free(struct http_once *r);
/* The body as one line (newlines become spaces), cut to |len| bytes. */
void http_once_excerpt(const struct http_once *r, char *buf, size_t len);

#endif
