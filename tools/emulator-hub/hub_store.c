#include "hub_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_json.h"
#include "sw_err.h"
#include "sw_xalloc.h"

struct rstore {
	struct hub_blob **objs;        /* sorted by (ns, name) */
	size_t n, cap;
	struct hub_event *ring;        /* window: positions [first, end) at seq % window */
	uint64_t first, end;
	uint64_t dropped_rv;           /* rv of the newest event that left the window */
	struct hub_watcher *watchers;
	size_t nwatchers;
};

struct hub_store {
	uint64_t rv;
	size_t window;
	struct rstore r[KUBE_RES_COUNT];
	struct hub_buf text;           /* where a new version's JSON is written first */
};

/* ---- blobs ---- */

struct hub_blob *hub_blob_ref(struct hub_blob *b)
{
	if (b)
		b->refs++;
	return b;
}

void hub_blob_unref(struct hub_blob *b)
{
	if (b && --b->refs == 0)
		free(b);
}

const char *hub_blob_label(const struct hub_blob *b, const char *key)
{
	for (const char *p = b->labels; *p;) {
		const char *v = p + strlen(p) + 1;
		if (strcmp(p, key) == 0)
			return v;
		p = v + strlen(v) + 1;
	}
	return NULL;
}

json_t *hub_blob_parse(const struct hub_blob *b)
{
	return hub_json_parse(b->json, b->len);
}

static const char *str_of(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* Writes the compact JSON of object |obj| into |out| (emptied first), noting
 * in |b| where the status member and metadata.resourceVersion are. */
static void write_object(struct hub_buf *out, const json_t *obj, struct hub_blob *b)
{
	out->len = 0;
	b->st_key = b->st_val = b->st_end = b->rv_val = b->rv_end = 0;
	if (!json_is_object(obj)) {
		hub_json_write(out, obj);
		return;
	}
	hub_buf_put(out, "{", 1);
	int first = 1;
	for (void *it = json_object_iter((json_t *)obj); it; it = json_object_iter_next((json_t *)obj, it)) {
		const char *k = json_object_iter_key(it);
		size_t kl = json_object_iter_key_len(it);
		const json_t *v = json_object_iter_value(it);
		if (!first)
			hub_buf_put(out, ",", 1);
		first = 0;
		size_t key = out->len;
		hub_json_write_string(out, k, kl);
		hub_buf_put(out, ":", 1);
		size_t val = out->len;
		if (kl == 8 && memcmp(k, "metadata", 8) == 0 && json_is_object(v)) {
			hub_buf_put(out, "{", 1);
			int mfirst = 1;
			for (void *mi = json_object_iter((json_t *)v); mi; mi = json_object_iter_next((json_t *)v, mi)) {
				const char *mk = json_object_iter_key(mi);
				size_t mkl = json_object_iter_key_len(mi);
				if (!mfirst)
					hub_buf_put(out, ",", 1);
				mfirst = 0;
				hub_json_write_string(out, mk, mkl);
				hub_buf_put(out, ":", 1);
				size_t mval = out->len;
				hub_json_write(out, json_object_iter_value(mi));
				if (mkl == 15 && memcmp(mk, "resourceVersion", 15) == 0 &&
				    json_is_string(json_object_iter_value(mi))) {
					b->rv_val = (uint32_t)mval;
					b->rv_end = (uint32_t)out->len;
				}
			}
			hub_buf_put(out, "}", 1);
		} else {
			hub_json_write(out, v);
		}
		if (kl == 6 && memcmp(k, "status", 6) == 0) {
			b->st_key = (uint32_t)key;
			b->st_val = (uint32_t)val;
			b->st_end = (uint32_t)out->len;
		}
	}
	hub_buf_put(out, "}", 1);
}

/* Builds the blob of |obj| (already carrying its resourceVersion). */
static struct hub_blob *blob_new(struct hub_store *s, enum kube_res_id res, const json_t *obj, uint64_t rv)
{
	struct hub_blob spans;
	write_object(&s->text, obj, &spans);
	const char *json = s->text.p;
	size_t jlen = s->text.len;
	const json_t *md = json_object_get(obj, "metadata");
	const char *ns = str_of(md, "namespace"), *name = str_of(md, "name"), *uid = str_of(md, "uid");
	size_t tail = strlen(ns) + strlen(name) + strlen(uid) + 5;
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(md, "labels"), k, v)
		if (json_is_string(v))
			tail += strlen(k) + strlen(json_string_value(v)) + 2;
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(md, "ownerReferences"), i, o)
		tail += strlen(str_of(o, "uid")) + 1;
	struct hub_blob *b = xmalloc(sizeof(*b) + jlen + 1 + tail);
	b->refs = 1;
	b->len = (uint32_t)jlen;
	b->rv = rv;
	b->res = res;
	b->flags = 0;
	b->st_key = spans.st_key;
	b->st_val = spans.st_val;
	b->st_end = spans.st_end;
	b->rv_val = spans.rv_val;
	b->rv_end = spans.rv_end;
	memcpy(b->json, json, jlen);
	b->json[jlen] = '\0';
	char *p = b->json + jlen + 1;
#define PUT(field, s) do { size_t l_ = strlen(s); memcpy(p, s, l_ + 1); b->field = p; p += l_ + 1; } while (0)
	PUT(ns, ns);
	PUT(name, name);
	PUT(uid, uid);
	b->labels = p;
	json_object_foreach(json_object_get(md, "labels"), k, v) {
		if (!json_is_string(v))
			continue;
		size_t kl = strlen(k), vl = strlen(json_string_value(v));
		memcpy(p, k, kl + 1);
		memcpy(p + kl + 1, json_string_value(v), vl + 1);
		p += kl + vl + 2;
	}
	*p++ = '\0';
	b->owners = p;
	json_array_foreach(json_object_get(md, "ownerReferences"), i, o) {
		const char *u = str_of(o, "uid");
		size_t l = strlen(u);
		memcpy(p, u, l + 1);
		p += l + 1;
		b->flags |= HUB_BLOB_OWNED;
	}
	*p++ = '\0';
#undef PUT
	if (json_object_get(md, "deletionTimestamp") && !json_is_null(json_object_get(md, "deletionTimestamp")))
		b->flags |= HUB_BLOB_DELETING;
	if (json_array_size(json_object_get(md, "finalizers")) > 0)
		b->flags |= HUB_BLOB_FINALIZERS;
	return b;
}

/* ---- store ---- */

struct hub_store *hub_store_new(size_t window)
{
	struct hub_store *s = xcalloc(1, sizeof(*s));
	s->window = window ? window : 1;
	for (size_t i = 0; i < KUBE_RES_COUNT; i++)
		s->r[i].ring = xcalloc(s->window, sizeof(struct hub_event));
	return s;
}

static void event_clear(struct hub_event *e)
{
	hub_blob_unref(e->obj);
	hub_blob_unref(e->prev);
	memset(e, 0, sizeof(*e));
}

void hub_store_free(struct hub_store **sp)
{
	if (!sp || !*sp)
		return;
	struct hub_store *s = *sp;
	for (size_t i = 0; i < KUBE_RES_COUNT; i++) {
		struct rstore *r = &s->r[i];
		for (size_t j = 0; j < r->n; j++)
			hub_blob_unref(r->objs[j]);
		for (uint64_t q = r->first; q < r->end; q++)
			event_clear(&r->ring[q % s->window]);
		free(r->objs);
		free(r->ring);
	}
	hub_buf_free(&s->text);
	free(s);
	*sp = NULL;
}

uint64_t hub_store_rv(const struct hub_store *s)
{
	return s->rv;
}

uint64_t hub_store_next_rv(struct hub_store *s)
{
	return ++s->rv;
}

static int key_cmp(const char *ns1, const char *n1, const char *ns2, const char *n2)
{
	int c = strcmp(ns1, ns2);
	return c ? c : strcmp(n1, n2);
}

size_t hub_store_seek(const struct hub_store *s, enum kube_res_id res, const char *ns,
                      const char *name, int strict)
{
	const struct rstore *r = &s->r[res];
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(r->objs[mid]->ns, r->objs[mid]->name, ns, name);
		if (c < 0 || (strict && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct hub_blob *hub_store_get(const struct hub_store *s, enum kube_res_id res, const char *ns,
                               const char *name)
{
	size_t i = hub_store_seek(s, res, ns ? ns : "", name, 0);
	const struct rstore *r = &s->r[res];
	if (i < r->n && key_cmp(r->objs[i]->ns, r->objs[i]->name, ns ? ns : "", name) == 0)
		return r->objs[i];
	return NULL;
}

size_t hub_store_count(const struct hub_store *s, enum kube_res_id res)
{
	return s->r[res].n;
}

struct hub_blob *hub_store_at(const struct hub_store *s, enum kube_res_id res, size_t i)
{
	return i < s->r[res].n ? s->r[res].objs[i] : NULL;
}

/* Appends an event to the window (taking references) and tells the watchers. */
static void record(struct hub_store *s, enum kube_res_id res, enum kube_watch_type type,
                   struct hub_blob *obj, struct hub_blob *prev)
{
	struct rstore *r = &s->r[res];
	if (r->end - r->first == s->window) {
		struct hub_event *old = &r->ring[r->first % s->window];
		r->dropped_rv = old->rv;
		event_clear(old);
		r->first++;
	}
	uint64_t seq = r->end++;
	struct hub_event *e = &r->ring[seq % s->window];
	e->rv = obj->rv;
	e->type = type;
	e->obj = hub_blob_ref(obj);
	e->prev = hub_blob_ref(prev);
	struct hub_watcher *w = r->watchers;
	while (w) {
		struct hub_watcher *next = w->next;
		w->on_event(w, e, seq);
		w = next;
	}
}

static void set_rv(json_t *obj, uint64_t rv)
{
	char buf[32];
	json_t *md = json_object_get(obj, "metadata");
	if (!json_is_object(md)) {
		md = json_object();
		json_object_set_new(obj, "metadata", md);
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, rv);
	json_object_set_new(md, "resourceVersion", json_string(buf));
}

struct hub_blob *hub_store_put(struct hub_store *s, enum kube_res_id res, json_t *obj)
{
	struct rstore *r = &s->r[res];
	uint64_t rv = ++s->rv;
	set_rv(obj, rv);
	struct hub_blob *b = blob_new(s, res, obj, rv);
	size_t i = hub_store_seek(s, res, b->ns, b->name, 0);
	struct hub_blob *prev = NULL;
	if (i < r->n && key_cmp(r->objs[i]->ns, r->objs[i]->name, b->ns, b->name) == 0) {
		prev = r->objs[i];
		r->objs[i] = b;
	} else {
		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 64;
			r->objs = xrealloc(r->objs, r->cap * sizeof(*r->objs));
		}
		memmove(&r->objs[i + 1], &r->objs[i], (r->n - i) * sizeof(*r->objs));
		r->objs[i] = b;
		r->n++;
	}
	record(s, res, prev ? KUBE_WATCH_MODIFIED : KUBE_WATCH_ADDED, b, prev);
	hub_blob_unref(prev);
	return b;
}

/* One replacement of bytes [from, to) of a text. */
struct edit {
	size_t from, to;
	const char *a, *b;             /* inserted: a then b */
	size_t alen, blen;
};

struct hub_blob *hub_store_put_status(struct hub_store *s, struct hub_blob *cur, const char *st, size_t len)
{
	struct rstore *r = &s->r[cur->res];
	size_t pos = hub_store_seek(s, cur->res, cur->ns, cur->name, 0);
	if (!cur->rv_val || pos >= r->n || r->objs[pos] != cur)
		return NULL; /* no resourceVersion to replace, or not the current version */
	uint64_t rv = ++s->rv;
	char rvtext[32];
	int rvl = snprintf(rvtext, sizeof(rvtext), "\"%" PRIu64 "\"", rv);
	static const char key[] = "\"status\":", ckey[] = ",\"status\":";
	struct edit ed[2] = {{cur->rv_val, cur->rv_end, rvtext, NULL, (size_t)rvl, 0}, {0}};
	struct edit *se = &ed[1];
	if (cur->st_key && st) {
		*se = (struct edit){cur->st_val, cur->st_end, st, NULL, len, 0};
	} else if (cur->st_key) {
		/* the member goes with one of its commas */
		size_t from = cur->st_key, to = cur->st_end;
		if (cur->json[from - 1] == ',')
			from--;
		else if (cur->json[to] == ',')
			to++;
		*se = (struct edit){from, to, NULL, NULL, 0, 0};
	} else if (st) {
		/* a new member goes last, before the object's closing brace */
		int empty = cur->len == 2;
		*se = (struct edit){cur->len - 1, cur->len - 1, empty ? key : ckey, st,
		                    empty ? sizeof(key) - 1 : sizeof(ckey) - 1, len};
	} else {
		*se = (struct edit){cur->len, cur->len, NULL, NULL, 0, 0};
	}
	if (ed[1].from < ed[0].from) {
		struct edit t = ed[0];
		ed[0] = ed[1];
		ed[1] = t;
	}
	size_t jlen = cur->len;
	for (int i = 0; i < 2; i++)
		jlen = jlen - (ed[i].to - ed[i].from) + ed[i].alen + ed[i].blen;
	const char *tail = cur->json + cur->len + 1, *tend = cur->owners;
	while (*tend)
		tend += strlen(tend) + 1;
	size_t tlen = (size_t)(tend + 1 - tail);
	struct hub_blob *b = xmalloc(sizeof(*b) + jlen + 1 + tlen);
	*b = *cur;
	b->refs = 1;
	b->len = (uint32_t)jlen;
	b->rv = rv;
	b->st_key = b->st_val = b->st_end = 0;
	char *o = b->json;
	size_t at = 0;
	for (int i = 0; i < 2; i++) {
		memcpy(o, cur->json + at, ed[i].from - at);
		o += ed[i].from - at;
		size_t start = (size_t)(o - b->json);
		/* (a and b may be NULL with no length: no memcpy of them then) */
		if (ed[i].alen)
			memcpy(o, ed[i].a, ed[i].alen);
		o += ed[i].alen;
		if (ed[i].blen)
			memcpy(o, ed[i].b, ed[i].blen);
		o += ed[i].blen;
		at = ed[i].to;
		if (ed[i].a == rvtext) {
			b->rv_val = (uint32_t)start;
			b->rv_end = (uint32_t)(o - b->json);
		} else if (st && ed[i].b) {
			/* appended: key then value */
			b->st_key = (uint32_t)(start + (ed[i].a == ckey));
			b->st_val = (uint32_t)(start + ed[i].alen);
			b->st_end = (uint32_t)(o - b->json);
		} else if (st) {
			/* replaced value: the key stays where it was, shifted like the value */
			b->st_val = (uint32_t)start;
			b->st_end = (uint32_t)(o - b->json);
			b->st_key = (uint32_t)(start - (cur->st_val - cur->st_key));
		}
	}
	memcpy(o, cur->json + at, cur->len - at);
	o += cur->len - at;
	*o++ = '\0';
	memcpy(o, tail, tlen);
	b->ns = o + (cur->ns - tail);
	b->name = o + (cur->name - tail);
	b->uid = o + (cur->uid - tail);
	b->labels = o + (cur->labels - tail);
	b->owners = o + (cur->owners - tail);
	r->objs[pos] = b;
	record(s, b->res, KUBE_WATCH_MODIFIED, b, cur);
	hub_blob_unref(cur);
	return b;
}

int hub_store_remove(struct hub_store *s, enum kube_res_id res, json_t *obj)
{
	struct rstore *r = &s->r[res];
	const json_t *md = json_object_get(obj, "metadata");
	const char *ns = str_of(md, "namespace"), *name = str_of(md, "name");
	size_t i = hub_store_seek(s, res, ns, name, 0);
	if (i >= r->n || key_cmp(r->objs[i]->ns, r->objs[i]->name, ns, name) != 0)
		return SW_ERR_NOT_FOUND;
	struct hub_blob *prev = r->objs[i];
	memmove(&r->objs[i], &r->objs[i + 1], (r->n - i - 1) * sizeof(*r->objs));
	r->n--;
	uint64_t rv = ++s->rv;
	set_rv(obj, rv);
	struct hub_blob *b = blob_new(s, res, obj, rv);
	record(s, res, KUBE_WATCH_DELETED, b, prev);
	hub_blob_unref(prev);
	hub_blob_unref(b);
	return 0;
}

uint64_t hub_store_window_first(const struct hub_store *s, enum kube_res_id res)
{
	return s->r[res].first;
}

uint64_t hub_store_window_end(const struct hub_store *s, enum kube_res_id res)
{
	return s->r[res].end;
}

const struct hub_event *hub_store_window_at(const struct hub_store *s, enum kube_res_id res,
                                            uint64_t seq)
{
	const struct rstore *r = &s->r[res];
	if (seq < r->first || seq >= r->end)
		return NULL;
	return &r->ring[seq % s->window];
}

int hub_store_window_since(const struct hub_store *s, enum kube_res_id res, uint64_t rv,
                           uint64_t *seq, uint64_t *oldest)
{
	const struct rstore *r = &s->r[res];
	if (rv < r->dropped_rv) {
		if (oldest)
			*oldest = r->dropped_rv;
		return SW_ERR_STATE;
	}
	/* binary search over the window's rvs (increasing) */
	uint64_t lo = r->first, hi = r->end;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (r->ring[mid % s->window].rv <= rv)
			lo = mid + 1;
		else
			hi = mid;
	}
	*seq = lo;
	return 0;
}

void hub_store_watch_add(struct hub_store *s, struct hub_watcher *w)
{
	struct rstore *r = &s->r[w->res];
	w->prev = NULL;
	w->next = r->watchers;
	if (r->watchers)
		r->watchers->prev = w;
	r->watchers = w;
	r->nwatchers++;
}

void hub_store_watch_remove(struct hub_store *s, struct hub_watcher *w)
{
	struct rstore *r = &s->r[w->res];
	if (w->prev)
		w->prev->next = w->next;
	else if (r->watchers == w)
		r->watchers = w->next;
	else
		return; /* not linked */
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	r->nwatchers--;
}

size_t hub_store_watch_count(const struct hub_store *s, enum kube_res_id res)
{
	return s->r[res].nwatchers;
}

uint64_t hub_store_bytes(const struct hub_store *s, enum kube_res_id res)
{
	uint64_t n = 0;
	for (size_t i = 0; i < s->r[res].n; i++)
		n += s->r[res].objs[i]->len;
	return n;
}
