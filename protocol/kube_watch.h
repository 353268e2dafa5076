/*
 * kube_watch: the watch event stream of the Kubernetes API, both ways.
 * Encoding: one event per line, {"type":"ADDED","object":{...}}\n; the hub
 * writes prefix + stored object JSON + suffix without re-serialising the
 * object. Decoding: an incremental line splitter for a client, bounded per
 * event, handing each event's type and parsed object to a callback.
 * No I/O.
 */
#ifndef KUBE_WATCH_H
#define KUBE_WATCH_H

#include <jansson.h>
#include <stddef.h>

enum kube_watch_type {
	KUBE_WATCH_ADDED = 0,
	KUBE_WATCH_MODIFIED,
	KUBE_WATCH_DELETED,
	KUBE_WATCH_BOOKMARK,
	KUBE_WATCH_ERROR,
	KUBE_WATCH_TYPE_COUNT
};

/* "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"; never NULL. */
const char *kube_watch_type_name(enum kube_watch_type t);
/* Returns the type named |s|, or -1. */
int kube_watch_type_from_name(const char *s);

/* The bytes before an object's JSON in an event line ({"type":"X","object":)
 * and its length in |*len|. */
const char *kube_watch_prefix(enum kube_watch_type t, size_t *len);
/* The bytes after it. */
#define KUBE_WATCH_SUFFIX "}\n"
#define KUBE_WATCH_SUFFIX_LEN 2

/* Called per decoded event; |object| is borrowed (valid during the call).
 * Return 0 to go on, nonzero to stop feeding (returned by the feed). */
typedef int (*kube_watch_event_fn)(void *arg, enum kube_watch_type type, json_t *object);

struct kube_watch_dec;

/* A decoder accepting events of at most |max_event| bytes. NULL on OOM.
 * Frees: kube_watch_dec_free(). */
struct kube_watch_dec *kube_watch_dec_new(size_t max_event);
/* Feeds |len| bytes. Returns 0, the callback's nonzero value, SW_ERR_PARSE
 * (a line that is not an event), SW_ERR_TOO_BIG (over max_event) or
 * SW_ERR_NOMEM. After an error the decoder must be freed. */
int kube_watch_dec_feed(struct kube_watch_dec *d, const char *data, size_t len,
                        kube_watch_event_fn fn, void *arg);
/* Bytes of an incomplete event held. */
size_t kube_watch_dec_pending(const struct kube_watch_dec *d);
/* Frees |*dp| and sets it to NULL. NULL-safe. */
void kube_watch_dec_free(struct kube_watch_dec **dp);

#endif
