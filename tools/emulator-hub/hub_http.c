/*
 * The hub's HTTP front: authentication (bearer token), the fault hook,
 * routing of API requests by verb (get, list, watch, create, update, patch,
 * delete, deletecollection) and subresource, body decoding and limits,
 * answers (objects, lists, Tables, Status errors, Warning headers) and the
 * per-request metrics.
 */
#include "hub_int.h"

#include <event2/event_struct.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kube_selector.h"
#include "kube_status.h"
#include "sw_err.h"
#include "sw_xalloc.h"

#define CT_JSON "application/json"

struct hub_pending {
	struct event ev;
	struct hub *h;
	struct sw_exchange *x;
	struct hub_pending *prev, *next;
};

/* ---- answers ---- */

/* Fills Warning (and Retry-After) headers. */
static void extra_headers(struct sw_hdrs *hdrs, int code, const json_t *warnings)
{
	size_t i;
	json_t *w;
	json_array_foreach(warnings, i, w) {
		char buf[700];
		/* RFC 7234 warn-code 299, agent "-", quoted text */
		int n = snprintf(buf, sizeof(buf), "299 - \"");
		for (const char *p = json_string_value(w); *p && n < (int)sizeof(buf) - 4; p++) {
			if (*p == '"' || *p == '\\')
				buf[n++] = '\\';
			buf[n++] = *p;
		}
		buf[n++] = '"';
		buf[n] = '\0';
		sw_hdrs_add(hdrs, "warning", 7, buf, (size_t)n);
	}
	if (code == 429 || code == 503)
		sw_hdrs_add(hdrs, "retry-after", 11, "1", 1);
}

/* Answers stored JSON text |json| (copied) with |code| and Warning headers. */
static void reply_text_json(struct sw_exchange *x, int code, const char *json, size_t len,
                            const json_t *warnings)
{
	struct sw_hdrs hdrs = {0};
	extra_headers(&hdrs, code, warnings);
	struct evbuffer *b = evbuffer_new();
	if (!b || evbuffer_add(b, json, len) != 0) {
		if (b)
			evbuffer_free(b);
		sw_hdrs_clear(&hdrs);
		sw_exchange_reset(x);
		return;
	}
	sw_exchange_reply(x, code, hdrs.n ? &hdrs : NULL, CT_JSON, b);
	evbuffer_free(b);
	sw_hdrs_clear(&hdrs);
}

static void blob_done(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	hub_blob_unref(arg);
}

/* Answers the text of stored version |b| with |code| and Warning headers,
 * without copying it: the body references the version until it is sent. */
static void reply_blob(struct sw_exchange *x, int code, struct hub_blob *b, const json_t *warnings)
{
	struct sw_hdrs hdrs = {0};
	extra_headers(&hdrs, code, warnings);
	struct evbuffer *body = evbuffer_new();
	hub_blob_ref(b);
	if (!body || evbuffer_add_reference(body, b->json, b->len, blob_done, b) != 0) {
		hub_blob_unref(b);
		if (body)
			evbuffer_free(body);
		sw_hdrs_clear(&hdrs);
		sw_exchange_reset(x);
		return;
	}
	sw_exchange_reply(x, code, hdrs.n ? &hdrs : NULL, CT_JSON, body);
	evbuffer_free(body);
	sw_hdrs_clear(&hdrs);
}

/* Answers |j| (consumed) with |code|, Warning headers from |warnings|. */
static void reply_json(struct hub *h, struct sw_exchange *x, int code, json_t *j, const json_t *warnings)
{
	char *s = hub_dump(j);
	json_decref(j);
	reply_text_json(x, code, s, strlen(s), warnings);
	free(s);
	(void)h;
}

static void reply_status(struct hub *h, struct sw_exchange *x, json_t *st)
{
	int code = (int)json_integer_value(json_object_get(st, "code"));
	reply_json(h, x, code ? code : 500, st, NULL);
}

void hub_http_reply_err(struct hub *h, struct sw_exchange *x, int code, const char *reason,
                        const char *msg)
{
	reply_status(h, x, kube_status_failure(code, reason, msg));
}

static void reply_err(struct hub *h, struct sw_exchange *x, int code, const char *reason, const char *msg)
{
	reply_status(h, x, kube_status_failure(code, reason, msg));
}

/* ---- request context ---- */

struct ctx {
	struct hub *h;
	struct sw_exchange *x;
	struct sw_sreq *req;
	struct kube_reqinfo ri;
	struct kube_query q;
	int code;               /* answered status, for metrics */
};

static int wants_table(const struct sw_sreq *req)
{
	/* several Accept fields are one list (RFC 9110 §5.3) */
	for (size_t i = 0; i < req->hdrs.n; i++)
		if (strcmp(req->hdrs.v[i].name, "accept") == 0 && strstr(req->hdrs.v[i].value, "as=Table"))
			return 1;
	return 0;
}

/* Decodes the request body as JSON. Returns a new reference or NULL after answering. */
static json_t *body_json(struct ctx *c)
{
	struct evbuffer *b = c->req->body;
	size_t len = b ? evbuffer_get_length(b) : 0;
	if (len > c->h->cfg.max_body) {
		char msg[128];
		snprintf(msg, sizeof(msg), "Request entity too large: limit is %zu", c->h->cfg.max_body);
		c->code = 413;
		reply_err(c->h, c->x, 413, "RequestEntityTooLarge", msg);
		return NULL;
	}
	const char *ct = sw_hdrs_get(&c->req->hdrs, "content-type");
	if (ct && (strncasecmp(ct, "application/yaml", 16) == 0 ||
	           strncasecmp(ct, "application/vnd.kubernetes.protobuf", 35) == 0)) {
		c->code = 415;
		reply_err(c->h, c->x, 415, "UnsupportedMediaType",
		          "the body of the request was in an unknown format - accepted media types include: "
		          "application/json");
		return NULL;
	}
	json_error_t je;
	const char *p = len ? (const char *)evbuffer_pullup(b, -1) : "";
	json_t *j = json_loadb(p, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		char msg[512];
		snprintf(msg, sizeof(msg), "couldn't get version/kind; json parse error: %s (at line %d column %d)",
		         je.text, je.line, je.column);
		c->code = 400;
		reply_err(c->h, c->x, 400, "BadRequest", msg);
	}
	return j;
}

static enum hub_fv fv_of(const struct kube_query *q)
{
	if (strcmp(q->field_validation, "Strict") == 0)
		return HUB_FV_STRICT;
	if (strcmp(q->field_validation, "Ignore") == 0)
		return HUB_FV_IGNORE;
	return HUB_FV_WARN;
}

/* Answers the outcome of a write. */
static void reply_op(struct ctx *c, struct hub_op *op)
{
	c->code = op->code;
	if (op->stored) /* what was written: its stored text, no second serialisation */
		reply_blob(c->x, op->code, op->stored, op->warnings);
	else if (op->code >= 200 && op->code < 300)
		reply_json(c->h, c->x, op->code, json_incref(op->result), op->warnings);
	else
		reply_status(c->h, c->x, json_incref(op->status));
	hub_op_clear(op);
}

/* ---- get and list ---- */

static const char *field_of(void *arg, const char *key)
{
	const struct hub_blob *b = arg;
	if (strcmp(key, "metadata.name") == 0)
		return b->name;
	if (strcmp(key, "metadata.namespace") == 0)
		return b->ns;
	return NULL;
}

int hub_http_selectors(struct hub *h, struct sw_exchange *x, const struct kube_query *q,
                       struct kube_selector **labels, struct kube_selector **fields, int *code)
{
	char err[512];
	*labels = *fields = NULL;
	if (kube_label_selector_parse(q->label_selector, labels, err, sizeof(err)) != 0) {
		*code = 400;
		reply_err(h, x, 400, "BadRequest", err);
		return -1;
	}
	if (kube_field_selector_parse(q->field_selector, fields, err, sizeof(err)) != 0) {
		kube_selector_free(labels);
		*code = 400;
		reply_err(h, x, 400, "BadRequest", err);
		return -1;
	}
	for (size_t i = 0; *fields && i < (*fields)->n; i++) {
		const char *k = (*fields)->reqs[i].key;
		if (strcmp(k, "metadata.name") != 0 && strcmp(k, "metadata.namespace") != 0) {
			char msg[600];
			snprintf(msg, sizeof(msg), "field label not supported: %s", k);
			kube_selector_free(labels);
			kube_selector_free(fields);
			*code = 400;
			reply_err(h, x, 400, "BadRequest", msg);
			return -1;
		}
	}
	return 0;
}

int hub_http_match(const struct hub_blob *b, const char *ns, const struct kube_selector *labels,
                   const struct kube_selector *fields)
{
	if (ns && ns[0] && strcmp(b->ns, ns) != 0)
		return 0;
	return kube_selector_match(labels, (kube_sel_lookup_fn)hub_blob_label, (void *)b) &&
	       kube_selector_match(fields, field_of, (void *)b);
}

static void serve_get(struct ctx *c)
{
	struct hub *h = c->h;
	const struct kube_res *r = c->ri.res;
	struct hub_blob *b = hub_store_get(h->store, r->id, r->namespaced ? c->ri.ns : "", c->ri.name);
	if (!b) {
		c->code = 404;
		reply_status(h, c->x, kube_status_not_found(r, c->ri.name));
		return;
	}
	c->code = 200;
	if (wants_table(c->req)) {
		const struct hub_blob *one = b;
		reply_json(h, c->x, 200, hub_table(h, r->id, &one, 1, b->rv, NULL), NULL);
		return;
	}
	reply_blob(c->x, 200, b, NULL);
}

/* Continue tokens: base64 of {"v":"meta.k8s.io/v1","rv":N,"start":"<ns>/<name>"} as upstream
 * (the hub reads back namespace and name). */
static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_decode(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in), o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '=')
			break;
		const char *p = strchr(b64, in[i]);
		if (!p || !in[i])
			return -1;
		acc = acc << 6 | (uint32_t)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return (int)o;
}

static void make_continue(uint64_t rv, const struct hub_blob *last, char *out, size_t outlen)
{
	json_t *t = json_pack("{s:s,s:I,s:s,s:s}", "v", "meta.k8s.io/v1", "rv", (json_int_t)rv, "ns",
	                      last->ns, "name", last->name);
	char *s = hub_dump(t);
	json_decref(t);
	if (4 * (strlen(s) + 2) / 3 + 4 < outlen)
		hub_base64(s, strlen(s), out);
	else
		out[0] = '\0';
	free(s);
}

static void serve_list(struct ctx *c)
{
	struct hub *h = c->h;
	const struct kube_res *r = c->ri.res;
	struct kube_selector *labels, *fields;
	if (hub_http_selectors(h, c->x, &c->q, &labels, &fields, &c->code) != 0)
		return;
	const char *ns = r->namespaced ? c->ri.ns : "";
	size_t n = hub_store_count(h->store, r->id);
	size_t i = ns[0] ? hub_store_seek(h->store, r->id, ns, "", 0) : 0;
	if (c->q.continue_token[0]) {
		char dec[512];
		json_t *t = b64_decode(c->q.continue_token, dec, sizeof(dec)) > 0 ? json_loads(dec, 0, NULL) : NULL;
		const char *tns = json_string_value(json_object_get(t, "ns"));
		const char *tname = json_string_value(json_object_get(t, "name"));
		if (!tns || !tname) {
			json_decref(t);
			kube_selector_free(&labels);
			kube_selector_free(&fields);
			c->code = 400;
			reply_err(h, c->x, 400, "BadRequest", "continue key is not valid: illegal base64 data or "
			          "not a continue token");
			return;
		}
		i = hub_store_seek(h->store, r->id, tns, tname, 1);
		json_decref(t);
	}
	uint64_t rv = hub_store_rv(h->store);
	int64_t limit = c->q.limit;
	int table = wants_table(c->req);
	const struct hub_blob **sel = table ? xmalloc((n + 1) * sizeof(*sel)) : NULL;
	size_t nsel = 0;
	struct evbuffer *out = evbuffer_new();
	char av[96], head[256];
	kube_res_api_version(r, av, sizeof(av));
	const struct hub_blob *last = NULL;
	size_t remaining = 0;
	int more = 0;
	if (!table)
		evbuffer_add(out, "[", 1);
	for (; i < n; i++) {
		struct hub_blob *b = hub_store_at(h->store, r->id, i);
		if (ns[0] && strcmp(b->ns, ns) != 0)
			break;
		if (!hub_http_match(b, NULL, labels, fields))
			continue;
		if (limit > 0 && (int64_t)nsel >= limit) {
			more = 1;
			remaining++;
			continue;
		}
		if (table) {
			sel[nsel] = b;
		} else {
			/* the items reference the stored versions: no copy of a large list
			 * (and the commas static text: a copied byte after a reference
			 * would take a chain of its own) */
			if (nsel)
				evbuffer_add_reference(out, ",", 1, NULL, NULL);
			if (evbuffer_add_reference(out, b->json, b->len, blob_done, hub_blob_ref(b)) != 0)
				hub_blob_unref(b);
		}
		nsel++;
		last = b;
	}
	char cont[1024] = "";
	if (more && last)
		make_continue(rv, last, cont, sizeof(cont));
	kube_selector_free(&labels);
	kube_selector_free(&fields);
	c->code = 200;
	if (table) {
		evbuffer_free(out);
		reply_json(h, c->x, 200, hub_table(h, r->id, sel, nsel, rv, cont[0] ? cont : NULL), NULL);
		free(sel);
		return;
	}
	evbuffer_add(out, "]}", 2);
	int hn;
	if (cont[0])
		hn = snprintf(head, sizeof(head), "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{"
		              "\"resourceVersion\":\"%" PRIu64 "\",\"continue\":\"%s\",\"remainingItemCount\":%zu},"
		              "\"items\":", r->list_kind, av, rv, cont, remaining);
	else
		hn = snprintf(head, sizeof(head), "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{"
		              "\"resourceVersion\":\"%" PRIu64 "\"},\"items\":", r->list_kind, av, rv);
	if (hn > 0 && (size_t)hn < sizeof(head))
		evbuffer_prepend(out, head, (size_t)hn);
	sw_exchange_reply(c->x, 200, NULL, CT_JSON, out);
	evbuffer_free(out);
}

/* ---- writes ---- */

static void serve_create(struct ctx *c)
{
	json_t *body = body_json(c);
	if (!body)
		return;
	struct hub_op op = {.res = c->ri.res->id, .ns = c->ri.ns, .dry_run = c->q.dry_run_all,
	                    .fv = fv_of(&c->q)};
	hub_op_create(c->h, &op, body);
	reply_op(c, &op);
}

static void serve_update(struct ctx *c)
{
	json_t *body = body_json(c);
	if (!body)
		return;
	struct hub_op op = {.res = c->ri.res->id, .ns = c->ri.ns, .name = c->ri.name,
	                    .status_sub = c->ri.subresource[0] != '\0', .dry_run = c->q.dry_run_all,
	                    .fv = fv_of(&c->q)};
	hub_op_update(c->h, &op, body);
	reply_op(c, &op);
}

static void serve_patch(struct ctx *c)
{
	const char *ct = sw_hdrs_get(&c->req->hdrs, "content-type");
	enum hub_patch_type t;
	if (ct && strncasecmp(ct, "application/merge-patch+json", 28) == 0)
		t = HUB_PATCH_MERGE;
	else if (ct && strncasecmp(ct, "application/json-patch+json", 27) == 0)
		t = HUB_PATCH_JSON;
	else if (ct && strncasecmp(ct, "application/strategic-merge-patch+json", 38) == 0)
		t = HUB_PATCH_STRATEGIC;
	else {
		char msg[256];
		snprintf(msg, sizeof(msg), "the body of the request was in an unknown format - accepted media "
		         "types include: application/json-patch+json, application/merge-patch+json%s",
		         c->ri.res->is_crd ? "" : ", application/strategic-merge-patch+json");
		c->code = 415;
		reply_err(c->h, c->x, 415, "UnsupportedMediaType", msg);
		return;
	}
	json_t *patch = body_json(c);
	if (!patch)
		return;
	struct hub_op op = {.res = c->ri.res->id, .ns = c->ri.ns, .name = c->ri.name,
	                    .status_sub = c->ri.subresource[0] != '\0', .dry_run = c->q.dry_run_all,
	                    .fv = fv_of(&c->q)};
	hub_op_patch(c->h, &op, t, patch);
	json_decref(patch);
	reply_op(c, &op);
}

static void serve_delete(struct ctx *c)
{
	char prop[16];
	snprintf(prop, sizeof(prop), "%s", c->q.propagation_policy);
	int dry = c->q.dry_run_all;
	/* DeleteOptions may come in the body (kubectl sends them there) */
	size_t len = c->req->body ? evbuffer_get_length(c->req->body) : 0;
	if (len) {
		json_t *opts = body_json(c);
		if (!opts)
			return;
		const char *p = json_string_value(json_object_get(opts, "propagationPolicy"));
		if (p)
			snprintf(prop, sizeof(prop), "%s", p);
		json_t *dr = json_object_get(opts, "dryRun");
		if (json_is_array(dr) && json_array_size(dr) > 0)
			dry = 1;
		json_decref(opts);
	}
	if (prop[0] && strcmp(prop, "Orphan") != 0 && strcmp(prop, "Background") != 0 &&
	    strcmp(prop, "Foreground") != 0) {
		c->code = 400;
		reply_err(c->h, c->x, 400, "BadRequest", "DeleteOptions.propagationPolicy: Unsupported value");
		return;
	}
	struct hub_op op = {.res = c->ri.res->id, .ns = c->ri.ns, .name = c->ri.name, .dry_run = dry,
	                    .propagation = prop, .fv = HUB_FV_IGNORE};
	hub_op_delete(c->h, &op);
	reply_op(c, &op);
}

static void serve_deletecollection(struct ctx *c)
{
	struct hub *h = c->h;
	const struct kube_res *r = c->ri.res;
	struct kube_selector *labels, *fields;
	if (hub_http_selectors(h, c->x, &c->q, &labels, &fields, &c->code) != 0)
		return;
	const char *ns = r->namespaced ? c->ri.ns : "";
	/* collect the names first: deleting changes the array */
	size_t n = hub_store_count(h->store, r->id), cnt = 0;
	char **names = xcalloc(n + 1, sizeof(char *)), **nss = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		struct hub_blob *b = hub_store_at(h->store, r->id, i);
		if (hub_http_match(b, ns, labels, fields)) {
			names[cnt] = xstrdup(b->name);
			nss[cnt++] = xstrdup(b->ns);
		}
	}
	for (size_t i = 0; i < cnt; i++) {
		struct hub_op op = {.res = r->id, .ns = nss[i], .name = names[i], .dry_run = c->q.dry_run_all,
		                    .fv = HUB_FV_IGNORE};
		hub_op_delete(h, &op);
		hub_op_clear(&op);
		free(names[i]);
		free(nss[i]);
	}
	free(names);
	free(nss);
	kube_selector_free(&labels);
	kube_selector_free(&fields);
	json_t *st = json_pack("{s:s,s:s,s:{},s:s}", "kind", "Status", "apiVersion", "v1", "metadata",
	                       "status", "Success");
	c->code = 200;
	reply_json(h, c->x, 200, st, NULL);
}

/* ---- routing ---- */

static void serve_api(struct ctx *c)
{
	struct hub *h = c->h;
	const struct kube_reqinfo *ri = &c->ri;
	const struct kube_res *r = ri->res;
	char bad[64];
	if (!r || (ri->ns[0] && !r->namespaced) ||
	    (r->namespaced && !ri->ns[0] && ri->name[0] && r->id != KUBE_RES_NAMESPACE)) {
		c->code = 404;
		reply_err(h, c->x, 404, "NotFound", "the server could not find the requested resource");
		return;
	}
	if (ri->subresource[0] && !(strcmp(ri->subresource, "status") == 0 && h->defs.r[r->id].status_sub) &&
	    !(r->id == KUBE_RES_NAMESPACE && strcmp(ri->subresource, "finalize") == 0)) {
		c->code = 404;
		reply_err(h, c->x, 404, "NotFound", "the server could not find the requested resource");
		return;
	}
	if (kube_query_parse(c->req->query, &c->q, bad, sizeof(bad)) != 0) {
		char msg[128];
		snprintf(msg, sizeof(msg), "invalid value of query parameter %s", bad);
		c->code = 400;
		reply_err(h, c->x, 400, "BadRequest", msg);
		return;
	}
	int sub_ok_verb = ri->verb == KUBE_VERB_GET || ri->verb == KUBE_VERB_UPDATE || ri->verb == KUBE_VERB_PATCH;
	if (ri->subresource[0] && !sub_ok_verb) {
		c->code = 405;
		reply_err(h, c->x, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
		return;
	}
	switch (ri->verb) {
	case KUBE_VERB_GET: serve_get(c); break;
	case KUBE_VERB_LIST: serve_list(c); break;
	case KUBE_VERB_WATCH:
		c->code = 200;
		hub_watch_serve(h, c->x, ri, &c->q, wants_table(c->req));
		break;
	case KUBE_VERB_CREATE:
		if (ri->name[0]) {
			c->code = 405;
			reply_err(h, c->x, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
		} else {
			serve_create(c);
		}
		break;
	case KUBE_VERB_UPDATE: serve_update(c); break;
	case KUBE_VERB_PATCH: serve_patch(c); break;
	case KUBE_VERB_DELETE: serve_delete(c); break;
	case KUBE_VERB_DELETECOLLECTION: serve_deletecollection(c); break;
	case KUBE_VERB_COUNT:
		c->code = 405;
		reply_err(h, c->x, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
		break;
	}
}

static int auth_ok(struct hub *h, const struct sw_sreq *req)
{
	if (!h->cfg.token || !h->cfg.token[0])
		return 1;
	const char *a = sw_hdrs_get(&req->hdrs, "authorization");
	if (!a || strncasecmp(a, "Bearer ", 7) != 0)
		return 0;
	a += 7;
	while (*a == ' ')
		a++;
	/* constant-time comparison */
	size_t n = strlen(h->cfg.token), m = strlen(a);
	unsigned diff = (unsigned)(n ^ m);
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned)(h->cfg.token[i] ^ (i < m ? a[i] : 0));
	return diff == 0;
}

static void serve(struct hub *h, struct sw_exchange *x)
{
	struct sw_sreq *req = sw_exchange_request(x);
	struct ctx c = {.h = h, .x = x, .req = req};
	uint64_t t0 = req->t_start_ns;
	int parsed = kube_reqinfo_parse(req->method, req->path, req->query, &c.ri);
	if (parsed != 0) {
		c.code = 400;
		reply_err(h, x, 400, "BadRequest", "malformed request path");
	} else if (c.ri.is_resource) {
		serve_api(&c);
	} else if (strcmp(req->method, "GET") == 0 && hub_discovery_serve(h, x, req->path)) {
		c.code = 200;
	} else {
		c.code = 404;
		sw_exchange_reply_mem(x, 404, "text/plain; charset=utf-8", "404 page not found\n", 19);
	}
	int res = c.ri.is_resource && c.ri.res ? (int)c.ri.res->id : KUBE_RES_COUNT;
	int verb = c.ri.is_resource && c.ri.verb < KUBE_VERB_COUNT ? (int)c.ri.verb : KUBE_VERB_COUNT;
	uint64_t now = sw_now_ns();
	hub_metrics_count(h, verb, res, c.code, now > t0 ? now - t0 : 0);
}

/* ---- faults ---- */

static void pending_unlink(struct hub *h, struct hub_pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		h->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
}

static void on_delay(evutil_socket_t fd, short what, void *arg)
{
	struct hub_pending *p = arg;
	struct hub *h = p->h;
	pending_unlink(h, p);
	struct sw_exchange *x = p->x;
	free(p);
	serve(h, x);
}

void hub_http_free_pending(struct hub *h)
{
	while (h->pending) {
		struct hub_pending *p = h->pending;
		event_del(&p->ev);
		pending_unlink(h, p);
		sw_exchange_reset(p->x);
		free(p);
	}
}

void hub_handler(void *arg, struct sw_exchange *x, struct sw_sreq *req)
{
	struct hub *h = arg;
	h->requests++;
	const char *path = req->path;
	int public_path = strcmp(path, "/healthz") == 0 || strcmp(path, "/livez") == 0 ||
	                  strcmp(path, "/readyz") == 0 || strcmp(path, "/version") == 0;
	if (!public_path && !auth_ok(h, req)) {
		json_t *st = kube_status_failure(401, "Unauthorized", "Unauthorized");
		json_object_del(st, "details");
		hub_metrics_count(h, KUBE_VERB_COUNT, KUBE_RES_COUNT, 401, 0);
		reply_status(h, x, st);
		return;
	}
	if (h->cfg.fault && !public_path) {
		struct kube_reqinfo ri;
		struct hub_fault f = {0};
		int ok = kube_reqinfo_parse(req->method, path, req->query, &ri) == 0 && ri.is_resource;
		h->cfg.fault(h->cfg.fault_arg, ok && ri.verb < KUBE_VERB_COUNT ? ri.verb : KUBE_VERB_GET,
		             ok ? ri.resource : "", &f);
		int res = ok && ri.res ? (int)ri.res->id : KUBE_RES_COUNT;
		int verb = ok && ri.verb < KUBE_VERB_COUNT ? (int)ri.verb : KUBE_VERB_COUNT;
		if (f.reset) {
			h->m.faults++;
			hub_metrics_count(h, verb, res, 0, 0);
			sw_exchange_reset(x);
			return;
		}
		if (f.error_status) {
			h->m.faults++;
			hub_metrics_count(h, verb, res, f.error_status, 0);
			reply_err(h, x, f.error_status, NULL, "injected fault");
			return;
		}
		if (f.delay_ns) {
			struct hub_pending *p = xcalloc(1, sizeof(*p));
			p->h = h;
			p->x = x;
			if (evtimer_assign(&p->ev, h->cfg.base, on_delay, p) == 0) {
				struct timeval tv = {(time_t)(f.delay_ns / 1000000000ull),
				                     (suseconds_t)(f.delay_ns % 1000000000ull / 1000)};
				p->next = h->pending;
				if (p->next)
					p->next->prev = p;
				h->pending = p;
				h->m.faults++;
				evtimer_add(&p->ev, &tv);
				return;
			}
			free(p);
		}
	}
	serve(h, x);
}
