/*
 * kube_informer: list + watch of one resource type under a label selector
 * (a client-go reflector without the object cache: the consumer keeps what
 * it needs). It lists in pages, then watches from the list's
 * resourceVersion with bookmarks; a watch that ends (server timeout,
 * connection closed or reset, a transport error) is started again from the
 * last resourceVersion seen, after a back-off when it failed; a 410 Gone
 * (the HTTP answer, or the ERROR event with a 410 Status that a watch cache
 * sends for an expired resourceVersion) makes it list again. Requests go
 * through the kube_client (its retries, observer and back-off).
 *
 * Events reach the consumer from the loop: list items as ADDED with
 * |from_list| set, between on_list_begin() and on_list_end(); after a relist
 * every object the consumer knew and did not see again is gone (it sweeps).
 * Events may repeat what a list already delivered; consumers compare
 * resourceVersions.
 */
#ifndef KUBE_INFORMER_H
#define KUBE_INFORMER_H

#include <stdint.h>
#include <jansson.h>

#include "kube_client.h"
#include "kube_watch.h"

struct kube_informer;

struct kube_informer_ops {
	/* ADDED, MODIFIED or DELETED; |obj| borrowed for the call. */
	void (*on_event)(void *arg, enum kube_watch_type type, json_t *obj, int from_list);
	/* A (re)list starts / completed. May be NULL. */
	void (*on_list_begin)(void *arg);
	void (*on_list_end)(void *arg);
};

struct kube_informer_stats {
	uint64_t lists;             /* complete (re)lists */
	uint64_t list_pages;
	uint64_t relists_expired;   /* lists because of a 410 */
	uint64_t watches;           /* watch requests started */
	uint64_t watch_restarts;    /* watches that ended and were started again */
	uint64_t watch_failures;    /* ... of those, ended by an error */
	uint64_t events[KUBE_WATCH_TYPE_COUNT]; /* received on watches (ERROR included) */
	uint64_t decode_errors;
	uint64_t rv;                /* last resourceVersion seen */
	int synced;                 /* the first list completed */
	int watching;               /* a watch is open now */
};

/* Creates an informer of |res| in all namespaces, restricted to
 * |label_selector| (may be NULL; copied). Nothing happens before
 * kube_informer_start(). Freed by kube_informer_free() or with its client. */
struct kube_informer *kube_informer_new(struct kube_client *k, enum kube_res_id res,
                                        const char *label_selector,
                                        const struct kube_informer_ops *ops, void *arg);
/* Lists, then watches. */
void kube_informer_start(struct kube_informer *inf);
/* Copies the counters. */
void kube_informer_get_stats(const struct kube_informer *inf, struct kube_informer_stats *out);
/* Stops and frees (a watch in flight is cancelled; no callback runs). NULL-safe. */
void kube_informer_free(struct kube_informer **p);

#endif
