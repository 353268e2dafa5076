/*
 * hub_store: the hub's object storage and change history. Every object
 * version is an immutable, reference-counted blob: its compact JSON (what
 * GET, LIST and watch send, never re-serialised) plus a small index
 * (namespace, name, uid, labels, owner uids, deletion flags). Per resource:
 * the current objects in one array sorted by namespace/name (binary search,
 * ordered LIST and continue tokens), and a ring of the last N events (the
 * watch window) holding references to the versions they carry. One
 * resourceVersion counter for the whole store, as etcd's revision.
 * Registered watchers are told of every event synchronously. No I/O.
 */
#ifndef HUB_STORE_H
#define HUB_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "kube_res.h"
#include "kube_watch.h"

enum {
	HUB_BLOB_DELETING = 1,     /* metadata.deletionTimestamp is set */
	HUB_BLOB_FINALIZERS = 2,   /* metadata.finalizers is not empty */
	HUB_BLOB_OWNED = 4,        /* metadata.ownerReferences is not empty */
};

/* One immutable version of an object. Read it through the accessors. */
struct hub_blob {
	uint32_t refs;
	uint32_t len;              /* bytes of json, without the NUL */
	uint64_t rv;               /* its metadata.resourceVersion */
	const char *ns;            /* "" for cluster-scoped objects */
	const char *name;
	const char *uid;
	const char *labels;        /* packed "k\0v\0k\0v\0\0" */
	const char *owners;        /* packed owner uids "u\0u\0\0" */
	uint32_t flags;            /* HUB_BLOB_* */
	enum kube_res_id res;
	/* Where json holds the top-level "status" member (offsets of its key and
	 * of its value's first byte and end; st_key 0 when there is none) and the
	 * metadata.resourceVersion string (quotes included; rv_val 0 when none). */
	uint32_t st_key, st_val, st_end;
	uint32_t rv_val, rv_end;
	char json[];               /* compact JSON, NUL-terminated, then the strings above */
};

/* Takes a reference / drops one (freeing at zero; NULL-safe). */
struct hub_blob *hub_blob_ref(struct hub_blob *b);
void hub_blob_unref(struct hub_blob *b);
/* Value of label |key|, or NULL. */
const char *hub_blob_label(const struct hub_blob *b, const char *key);
/* Parses the blob's JSON (a new reference; NULL only on OOM). */
json_t *hub_blob_parse(const struct hub_blob *b);

struct hub_event {
	uint64_t rv;
	enum kube_watch_type type;  /* ADDED, MODIFIED, DELETED */
	struct hub_blob *obj;       /* the new version (DELETED: the last one, with the delete's rv) */
	struct hub_blob *prev;      /* the previous version (MODIFIED, DELETED), or NULL */
};

struct hub_watcher;
/* Called for every event of the watcher's resource, right after the store
 * changed. |seq| is the event's position in the window. Must not add or
 * remove other watchers nor write to the store. */
typedef void (*hub_watch_fn)(struct hub_watcher *w, const struct hub_event *ev, uint64_t seq);

/* Embed in the watcher's own struct; the store links it. */
struct hub_watcher {
	struct hub_watcher *prev, *next;
	enum kube_res_id res;
	hub_watch_fn on_event;
};

struct hub_store;

/* A store keeping |window| events per resource (>= 1). Never NULL (aborts on
 * OOM). Frees: hub_store_free() (watchers must be removed first). */
struct hub_store *hub_store_new(size_t window);
void hub_store_free(struct hub_store **sp);

/* The newest resourceVersion of the store (0 before any write). */
uint64_t hub_store_rv(const struct hub_store *s);
/* Takes the next resourceVersion (for objects that are not stored, e.g. dry runs). */
uint64_t hub_store_next_rv(struct hub_store *s);

/* The current object |ns|/|name| of |res| (ns "" for cluster-scoped), borrowed. */
struct hub_blob *hub_store_get(const struct hub_store *s, enum kube_res_id res, const char *ns,
                               const char *name);
/* Objects of |res| in key order: the count, the one at |i|, and the index of
 * the first object whose key is after (ns, name) (|strict|) or not before it. */
size_t hub_store_count(const struct hub_store *s, enum kube_res_id res);
struct hub_blob *hub_store_at(const struct hub_store *s, enum kube_res_id res, size_t i);
size_t hub_store_seek(const struct hub_store *s, enum kube_res_id res, const char *ns,
                      const char *name, int strict);

/*
 * Stores |obj| (a complete object whose metadata names it) as the new
 * version: takes the next resourceVersion, writes it into
 * metadata.resourceVersion of |obj|, serialises it, replaces or inserts,
 * records an ADDED or MODIFIED event and tells the watchers.
 * Returns the new version (borrowed; take a reference to keep it).
 */
struct hub_blob *hub_store_put(struct hub_store *s, enum kube_res_id res, json_t *obj);

/*
 * Stores a new version of |cur| (the current version of its object) that
 * differs only in its status: the text of |cur| with the status member's
 * value replaced by |st| (|len| bytes of compact JSON; NULL removes the
 * member; one is appended when |cur| has none) and the next resourceVersion,
 * exactly the text hub_store_put() would make of that object. Records the
 * MODIFIED event and tells the watchers. Returns the new version (borrowed),
 * or NULL when |cur| has no resourceVersion to replace (nothing changed).
 */
struct hub_blob *hub_store_put_status(struct hub_store *s, struct hub_blob *cur, const char *st, size_t len);

/* Removes |ns|/|name|: its last state |obj| (with metadata set as it should be
 * seen in the DELETED event) gets the next resourceVersion, a DELETED event
 * is recorded and the watchers told. Returns 0 or SW_ERR_NOT_FOUND. */
int hub_store_remove(struct hub_store *s, enum kube_res_id res, json_t *obj);

/* Window positions of |res|: events [first, end) are kept. */
uint64_t hub_store_window_first(const struct hub_store *s, enum kube_res_id res);
uint64_t hub_store_window_end(const struct hub_store *s, enum kube_res_id res);
/* The event at position |seq| (borrowed), or NULL when it left the window. */
const struct hub_event *hub_store_window_at(const struct hub_store *s, enum kube_res_id res,
                                            uint64_t seq);
/* The position of the first event with rv > |rv|. Returns 0, or SW_ERR_STATE
 * when events after |rv| have already left the window (410 Expired); the
 * oldest rv still complete is then in |*oldest|. */
int hub_store_window_since(const struct hub_store *s, enum kube_res_id res, uint64_t rv,
                           uint64_t *seq, uint64_t *oldest);

/* Watchers. */
void hub_store_watch_add(struct hub_store *s, struct hub_watcher *w);
void hub_store_watch_remove(struct hub_store *s, struct hub_watcher *w);
size_t hub_store_watch_count(const struct hub_store *s, enum kube_res_id res);

/* Bytes of JSON of the current objects of |res| (a walk over them). */
uint64_t hub_store_bytes(const struct hub_store *s, enum kube_res_id res);

#endif
