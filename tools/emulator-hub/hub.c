/* The hub's life cycle, identifiers, time, deferred work and the in-process
 * client API of hub_client.h (thin wrappers over hub_ops.c). */
#include "hub_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube_status.h"
#include "sw_err.h"
#include "sw_xalloc.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void hub_uid(struct hub *h, char out[37])
{
	unsigned char b[16];
	uint64_t a = splitmix64(&h->rng), c = splitmix64(&h->rng);
	memcpy(b, &a, 8);
	memcpy(b + 8, &c, 8);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
	         b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	         b[15]);
}

void hub_now_rfc3339(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void hub_base64(const void *data, size_t n, char *out)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *in = data;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t x = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
		             (i + 2 < n ? in[i + 2] : 0);
		out[o++] = tbl[(x >> 18) & 63];
		out[o++] = tbl[(x >> 12) & 63];
		out[o++] = i + 1 < n ? tbl[(x >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tbl[x & 63] : '=';
	}
	out[o] = '\0';
}

char *hub_dump(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		x_oom(0);
	return s;
}

static void work_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hub *h = arg;
	h->work_armed = 0;
	if (hub_ops_work(h))
		hub_schedule_work(h);
}

void hub_schedule_work(struct hub *h)
{
	if (h->work_armed || !h->work_ev)
		return;
	h->work_armed = 1;
	struct timeval tv = {0, 0};
	evtimer_add(h->work_ev, &tv);
}

void hub_run_pending(struct hub *h)
{
	/* bounded: each pass makes progress or reports none left */
	for (int i = 0; i < 1000 && hub_ops_work(h); i++)
		;
}

struct hub *hub_new(const struct hub_cfg *cfg, char *err, size_t errlen)
{
	struct hub *h = xcalloc(1, sizeof(*h));
	h->cfg = *cfg;
	if (!h->cfg.watch_window)
		h->cfg.watch_window = HUB_DEF_WINDOW;
	if (!h->cfg.max_body)
		h->cfg.max_body = HUB_DEF_MAX_BODY;
	if (!h->cfg.bookmark_interval_ns)
		h->cfg.bookmark_interval_ns = HUB_DEF_BOOKMARK_NS;
	if (!h->cfg.watch_timeout_ns)
		h->cfg.watch_timeout_ns = HUB_DEF_WATCH_TIMEOUT_NS;
	h->rng = cfg->seed ^ 0x6875622d75696473ull;
	if (hub_defs_load(&h->defs, err, errlen) != 0) {
		hub_free(&h);
		return NULL;
	}
	h->schema = hub_schema_new();
	h->store = hub_store_new(h->cfg.watch_window);
	if (cfg->base) {
		h->work_ev = evtimer_new(cfg->base, work_cb, h);
		if (!h->work_ev) {
			snprintf(err, errlen, "cannot create the hub's timer");
			hub_free(&h);
			return NULL;
		}
	}
	return h;
}

void hub_free(struct hub **hp)
{
	if (!hp || !*hp)
		return;
	struct hub *h = *hp;
	hub_watch_close_all(h);
	hub_http_free_pending(h);
	hub_ops_free(h);
	if (h->work_ev)
		event_free(h->work_ev);
	for (size_t i = 0; i <= KUBE_VERB_COUNT; i++)
		for (size_t j = 0; j <= KUBE_RES_COUNT; j++)
			free(h->m.dur[i][j]);
	hub_store_free(&h->store);
	hub_schema_free(&h->schema);
	hub_buf_free(&h->text);
	hub_defs_free(&h->defs);
	free(h);
	*hp = NULL;
}

void hub_get_stats(const struct hub *h, struct hub_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->requests = h->requests;
	out->watches_open = h->nstreams;
	out->watch_events_sent = h->watch_events_sent;
	out->watches_ended_slow = h->m.watches_ended_slow;
	for (size_t i = 0; i < KUBE_RES_COUNT; i++)
		out->objects += hub_store_count(h->store, (enum kube_res_id)i);
}

struct event_base *hub_base(const struct hub *h)
{
	return h->cfg.base;
}

void hub_set_metrics_hook(struct hub *h, hub_metrics_fn fn, void *arg)
{
	h->mhook = fn;
	h->mhook_arg = arg;
}

/* ---- in-process client ---- */

static const char *meta_str(const json_t *obj, const char *k)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), k));
}

/* Hands an op's outcome to the caller. */
static int finish(struct hub_op *op, json_t **out, json_t **status)
{
	int ok = op->code >= 200 && op->code < 300;
	if (out)
		*out = !ok ? NULL : op->result ? json_incref(op->result) : op->stored ? hub_blob_parse(op->stored) : NULL;
	if (status)
		*status = ok ? NULL : json_incref(op->status);
	int rv = ok ? 0 : -op->code;
	hub_op_clear(op);
	return rv;
}

int hub_create(struct hub *h, enum kube_res_id res, const json_t *obj, json_t **out, json_t **status)
{
	struct hub_op op = {.res = res, .ns = meta_str(obj, "namespace"), .fv = HUB_FV_IGNORE};
	hub_op_create(h, &op, json_deep_copy(obj));
	return finish(&op, out, status);
}

int hub_get(struct hub *h, enum kube_res_id res, const char *ns, const char *name, json_t **out)
{
	const struct kube_res *r = kube_res_get(res);
	struct hub_blob *b = r ? hub_store_get(h->store, res, r->namespaced ? ns : "", name) : NULL;
	if (out)
		*out = b ? hub_blob_parse(b) : NULL;
	return b ? 0 : -404;
}

const struct hub_blob *hub_peek(struct hub *h, enum kube_res_id res, const char *ns, const char *name)
{
	const struct kube_res *r = kube_res_get(res);
	return r ? hub_store_get(h->store, res, r->namespaced && ns ? ns : "", name) : NULL;
}

int hub_list(struct hub *h, enum kube_res_id res, const char *ns, const struct kube_selector *labels,
             hub_list_fn fn, void *arg)
{
	size_t i = ns ? hub_store_seek(h->store, res, ns, "", 0) : 0;
	size_t n = hub_store_count(h->store, res);
	for (; i < n; i++) {
		struct hub_blob *b = hub_store_at(h->store, res, i);
		if (ns && strcmp(b->ns, ns) != 0)
			break;
		if (labels && !kube_selector_match(labels, (kube_sel_lookup_fn)hub_blob_label, b))
			continue;
		int rv = fn(arg, b);
		if (rv)
			return rv;
	}
	return 0;
}

static int update(struct hub *h, enum kube_res_id res, const json_t *obj, int status_sub,
                  json_t **out, json_t **status)
{
	struct hub_op op = {.res = res, .ns = meta_str(obj, "namespace"), .name = meta_str(obj, "name"),
	                    .status_sub = status_sub, .fv = HUB_FV_IGNORE};
	hub_op_update(h, &op, json_deep_copy(obj));
	return finish(&op, out, status);
}

int hub_update(struct hub *h, enum kube_res_id res, const json_t *obj, json_t **out, json_t **status)
{
	return update(h, res, obj, 0, out, status);
}

int hub_update_status(struct hub *h, enum kube_res_id res, const json_t *obj, json_t **out,
                      json_t **status)
{
	return update(h, res, obj, 1, out, status);
}

int hub_patch(struct hub *h, enum kube_res_id res, const char *ns, const char *name,
              enum hub_patch_type type, const json_t *patch, int status_sub, json_t **out,
              json_t **status)
{
	struct hub_op op = {.res = res, .ns = ns, .name = name, .status_sub = status_sub,
	                    .fv = HUB_FV_IGNORE};
	hub_op_patch(h, &op, type, patch);
	return finish(&op, out, status);
}

int hub_delete(struct hub *h, enum kube_res_id res, const char *ns, const char *name, json_t **status)
{
	struct hub_op op = {.res = res, .ns = ns, .name = name, .fv = HUB_FV_IGNORE};
	hub_op_delete(h, &op);
	return finish(&op, NULL, status);
}

static void sub_event(struct hub_watcher *w, const struct hub_event *ev, uint64_t seq)
{
	struct hub_sub *s = (struct hub_sub *)w;
	s->fn(s->arg, ev->type, ev->obj, ev->prev);
}

struct hub_sub *hub_subscribe(struct hub *h, enum kube_res_id res, hub_sub_fn fn, void *arg)
{
	struct hub_sub *s = xcalloc(1, sizeof(*s));
	s->w.res = res;
	s->w.on_event = sub_event;
	s->fn = fn;
	s->arg = arg;
	hub_store_watch_add(h->store, &s->w);
	return s;
}

void hub_unsubscribe(struct hub *h, struct hub_sub **sp)
{
	if (!sp || !*sp)
		return;
	hub_store_watch_remove(h->store, &(*sp)->w);
	free(*sp);
	*sp = NULL;
}
