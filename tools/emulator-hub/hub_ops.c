/*
 * The apiserver's write semantics: create, update (main resource and
 * /status), patch, delete with finalizers, ObjectMeta rules, validation with
 * the structural schemas, and the background work of the garbage collector
 * (ownerReferences) and the namespace controller (cascading deletion).
 */
#include "hub_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_json.h"
#include "hub_patch.h"
#include "kube_selector.h"
#include "kube_status.h"
#include "sw_err.h"
#include "sw_xalloc.h"

/* Deleted owners whose dependents the collector still has to handle. */
struct hub_gc_item {
	struct hub_gc_item *next;
	char uid[64];
	char ns[KUBE_NAME_MAX];       /* "" for a cluster-scoped owner: dependents anywhere */
	int foreground;               /* the owner waits (foregroundDeletion) for its dependents */
	enum kube_res_id owner_res;
	char owner_name[KUBE_NAME_MAX];
};

struct hub_terminating {
	struct hub_terminating *next;
	char ns[KUBE_NAME_MAX];
};

void hub_op_clear(struct hub_op *op)
{
	json_decref(op->result);
	json_decref(op->status);
	json_decref(op->warnings);
	hub_blob_unref(op->stored);
	op->result = op->status = op->warnings = NULL;
	op->stored = NULL;
}

void hub_ops_free(struct hub *h)
{
	while (h->gc) {
		struct hub_gc_item *g = h->gc;
		h->gc = g->next;
		free(g);
	}
	while (h->terms) {
		struct hub_terminating *t = h->terms;
		h->terms = t->next;
		free(t);
	}
}

static int fail(struct hub_op *op, json_t *status)
{
	op->code = (int)json_integer_value(json_object_get(status, "code"));
	json_decref(op->status);
	op->status = status;
	return op->code;
}

static int fail_msg(struct hub_op *op, int code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_msg(struct hub_op *op, int code, const char *reason, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail(op, kube_status_failure(code, reason, msg));
}

static int ok(struct hub_op *op, int code, json_t *result)
{
	op->code = code;
	json_decref(op->result);
	op->result = result;
	return code;
}

static json_t *md_of(json_t *obj)
{
	json_t *md = json_object_get(obj, "metadata");
	if (!json_is_object(md)) {
		md = json_object();
		json_object_set_new(obj, "metadata", md);
	}
	return md;
}

static const char *mstr(const json_t *obj, const char *k)
{
	const char *s = json_string_value(json_object_get(json_object_get(obj, "metadata"), k));
	return s ? s : "";
}

static const struct kube_res *res_of(const struct hub_op *op)
{
	return kube_res_get(op->res);
}

/* ---- ObjectMeta ---- */

static const char *const meta_keys[] = {
	"name", "generateName", "namespace", "uid", "resourceVersion", "generation",
	"creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
	"annotations", "ownerReferences", "finalizers", NULL,
};

static int dns_label(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	return 1;
}

static int dns_subdomain(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253)
		return 0;
	const char *p = s;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		char part[254];
		if (l == 0 || l > 63)
			return 0;
		memcpy(part, p, l);
		part[l] = '\0';
		if (!dns_label(part, 63))
			return 0;
		p += l + (dot ? 1 : 0);
		if (dot && !*p)
			return 0;
	}
	return 1;
}

static void add_cause(json_t **st, const struct hub_op *op, const char *name, const char *reason,
                      const char *field, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void add_cause(json_t **st, const struct hub_op *op, const char *name, const char *reason,
                      const char *field, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!*st)
		*st = kube_status_invalid(res_of(op), name);
	kube_status_add_cause(*st, reason, msg, field);
}

/* Checks ObjectMeta of |obj| and drops the fields the apiserver does not keep.
 * Returns 0, or fails |op| (400 for a wrong JSON type, 422 for bad values). */
static int check_meta(struct hub *h, struct hub_op *op, json_t *obj)
{
	const struct kube_res *r = res_of(op);
	json_t *md = json_object_get(obj, "metadata");
	if (md && !json_is_object(md))
		return fail_msg(op, 400, "BadRequest", "json: cannot unmarshal %s into Go struct field "
		                "Object.metadata of type v1.ObjectMeta", json_is_array(md) ? "array" : "value");
	md = md_of(obj);
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(md, tmp, k, v) {
		int known = 0;
		for (size_t i = 0; meta_keys[i]; i++)
			if (strcmp(k, meta_keys[i]) == 0)
				known = 1;
		if (!known || json_is_null(v))
			json_object_del(md, k);
	}
	static const char *const strs[] = {"name", "generateName", "namespace", "uid", "resourceVersion",
	                                   "creationTimestamp", "deletionTimestamp", NULL};
	for (size_t i = 0; strs[i]; i++) {
		v = json_object_get(md, strs[i]);
		if (v && !json_is_string(v))
			return fail_msg(op, 400, "BadRequest", "json: cannot unmarshal %s into Go struct field "
			                "ObjectMeta.metadata.%s of type string", json_is_integer(v) ? "number" : "value",
			                strs[i]);
	}
	const char *maps[] = {"labels", "annotations"};
	for (size_t i = 0; i < 2; i++) {
		v = json_object_get(md, maps[i]);
		if (!v)
			continue;
		const char *mk;
		json_t *mv;
		if (!json_is_object(v))
			return fail_msg(op, 400, "BadRequest", "json: cannot unmarshal value into Go struct field "
			                "ObjectMeta.metadata.%s of type map[string]string", maps[i]);
		json_object_foreach(v, mk, mv)
			if (!json_is_string(mv))
				return fail_msg(op, 400, "BadRequest", "json: cannot unmarshal value into Go struct "
				                "field ObjectMeta.metadata.%s of type string", maps[i]);
	}
	v = json_object_get(md, "finalizers");
	if (v && !json_is_array(v))
		return fail_msg(op, 400, "BadRequest", "json: cannot unmarshal value into Go struct field "
		                "ObjectMeta.metadata.finalizers of type []string");
	v = json_object_get(md, "ownerReferences");
	if (v && !json_is_array(v))
		return fail_msg(op, 400, "BadRequest", "json: cannot unmarshal value into Go struct field "
		                "ObjectMeta.metadata.ownerReferences of type []v1.OwnerReference");
	/* values */
	json_t *st = NULL;
	const char *name = mstr(obj, "name");
	if (!name[0])
		add_cause(&st, op, name, "FieldValueRequired", "metadata.name",
		          "Required value: name or generateName is required");
	else if (r->id == KUBE_RES_NAMESPACE ? !dns_label(name, 63) : !dns_subdomain(name))
		add_cause(&st, op, name, "FieldValueInvalid", "metadata.name",
		          "Invalid value: \"%s\": a lowercase RFC 1123 %s must consist of lower case "
		          "alphanumeric characters, '-'%s, and must start and end with an alphanumeric "
		          "character", name, r->id == KUBE_RES_NAMESPACE ? "label" : "subdomain",
		          r->id == KUBE_RES_NAMESPACE ? "" : " or '.'");
	json_object_foreach(json_object_get(md, "labels"), k, v) {
		char field[300];
		snprintf(field, sizeof(field), "metadata.labels");
		if (!kube_label_key_valid(k))
			add_cause(&st, op, name, "FieldValueInvalid", field,
			          "Invalid value: \"%s\": name part must consist of alphanumeric characters, '-', "
			          "'_' or '.', and must start and end with an alphanumeric character", k);
		else if (!kube_label_value_valid(json_string_value(v)))
			add_cause(&st, op, name, "FieldValueInvalid", field,
			          "Invalid value: \"%s\": a valid label must be an empty string or consist of "
			          "alphanumeric characters, '-', '_' or '.', and must start and end with an "
			          "alphanumeric character", json_string_value(v));
	}
	size_t asz = 0;
	json_object_foreach(json_object_get(md, "annotations"), k, v) {
		asz += strlen(k) + strlen(json_string_value(v));
		if (!kube_label_key_valid(k))
			add_cause(&st, op, name, "FieldValueInvalid", "metadata.annotations",
			          "Invalid value: \"%s\": name part must consist of alphanumeric characters, '-', "
			          "'_' or '.', and must start and end with an alphanumeric character", k);
	}
	if (asz > 256 * 1024)
		add_cause(&st, op, name, "FieldValueTooLong", "metadata.annotations",
		          "Too long: must have at most 262144 bytes");
	size_t i;
	json_array_foreach(json_object_get(md, "finalizers"), i, v) {
		if (!json_is_string(v) || !strchr(json_string_value(v), '/')) {
			/* upstream wants a qualified name; "kubernetes" and "foregroundDeletion" are standard */
			const char *f = json_string_value(v);
			if (!f || !(strcmp(f, "kubernetes") == 0 || strcmp(f, "foregroundDeletion") == 0 ||
			            strcmp(f, "orphan") == 0 || kube_label_key_valid(f)))
				add_cause(&st, op, name, "FieldValueInvalid", "metadata.finalizers",
				          "Invalid value: %s: name part must consist of alphanumeric characters",
				          f ? f : "(not a string)");
		}
	}
	json_array_foreach(json_object_get(md, "ownerReferences"), i, v) {
		static const char *const need[] = {"apiVersion", "kind", "name", "uid"};
		for (size_t j = 0; j < 4; j++) {
			if (!json_is_string(json_object_get(v, need[j])) ||
			    !json_string_value(json_object_get(v, need[j]))[0]) {
				char field[64];
				snprintf(field, sizeof(field), "metadata.ownerReferences.%s", need[j]);
				add_cause(&st, op, name, "FieldValueInvalid", field, "Invalid value: \"\": %s must not be empty",
				          need[j]);
			}
		}
	}
	if (st) {
		kube_status_finish_invalid(st, r, name);
		return fail(op, st);
	}
	(void)h;
	return 0;
}

/* ---- schema ---- */

/* Turns the report of a schema pass (|n| causes) over object |name| into the
 * op's Warning headers or its failure. Returns 0 or the failed op's code. */
static int schema_outcome(struct hub_op *op, const char *name, int n, struct hub_schema_report *rep)
{
	const struct kube_res *r = res_of(op);
	if (rep->pruned && op->fv == HUB_FV_STRICT) {
		char msg[1024];
		size_t off = (size_t)snprintf(msg, sizeof(msg), "strict decoding error: ");
		size_t i;
		json_t *p;
		json_array_foreach(rep->pruned, i, p)
			off += (size_t)snprintf(msg + off, off < sizeof(msg) ? sizeof(msg) - off : 0,
			                        "%sunknown field \"%s\"", i ? ", " : "", json_string_value(p));
		hub_schema_report_clear(rep);
		return fail(op, kube_status_failure(400, "BadRequest", msg));
	}
	if (rep->pruned && op->fv == HUB_FV_WARN) {
		size_t i;
		json_t *p;
		if (!op->warnings)
			op->warnings = json_array();
		json_array_foreach(rep->pruned, i, p) {
			char w[600];
			snprintf(w, sizeof(w), "unknown field \"%s\"", json_string_value(p));
			json_array_append_new(op->warnings, json_string(w));
		}
	}
	if (n > 0) {
		json_t *st = kube_status_invalid(r, name);
		json_object_set(json_object_get(st, "details"), "causes", rep->causes);
		kube_status_finish_invalid(st, r, name);
		hub_schema_report_clear(rep);
		return fail(op, st);
	}
	hub_schema_report_clear(rep);
	return 0;
}

static int apply_schema(struct hub *h, struct hub_op *op, json_t *obj)
{
	struct hub_schema_report rep;
	int n = hub_schema_process(h->schema, h->defs.r[op->res].schema, obj, HUB_SCHEMA_ALL, &rep);
	return schema_outcome(op, mstr(obj, "name"), n, &rep);
}

/* Kind-specific normalisation the built-in types get from their strategies. */
static int normalise(struct hub *h, struct hub_op *op, json_t *obj, int create)
{
	(void)h;
	if (op->res == KUBE_RES_SECRET) {
		json_t *sd = json_object_get(obj, "stringData");
		if (json_is_object(sd)) {
			json_t *data = json_object_get(obj, "data");
			if (!json_is_object(data)) {
				data = json_object();
				json_object_set_new(obj, "data", data);
			}
			const char *k;
			json_t *v;
			json_object_foreach(sd, k, v) {
				const char *sv = json_string_value(v);
				size_t n = sv ? strlen(sv) : 0;
				char *out = xmalloc(4 * ((n + 2) / 3) + 1);
				hub_base64(sv ? sv : "", n, out);
				json_object_set_new(data, k, json_string(out));
				free(out);
			}
		}
		json_object_del(obj, "stringData");
		if (create && !json_is_string(json_object_get(obj, "type")))
			json_object_set_new(obj, "type", json_string("Opaque"));
	}
	if (op->res == KUBE_RES_NAMESPACE && create) {
		json_t *spec = json_object();
		json_t *fin = json_array();
		json_array_append_new(fin, json_string("kubernetes"));
		json_object_set_new(spec, "finalizers", fin);
		json_object_set_new(obj, "spec", spec);
		json_t *status = json_object();
		json_object_set_new(status, "phase", json_string("Active"));
		json_object_set_new(obj, "status", status);
		/* the apiserver labels every namespace with its name */
		json_t *md = md_of(obj);
		json_t *labels = json_object_get(md, "labels");
		if (!json_is_object(labels)) {
			labels = json_object();
			json_object_set_new(md, "labels", labels);
		}
		json_object_set_new(labels, "kubernetes.io/metadata.name", json_string(mstr(obj, "name")));
	}
	return 0;
}

/* Checks apiVersion and kind of a body against the URL's resource. */
static int check_kind(struct hub_op *op, json_t *obj)
{
	const struct kube_res *r = res_of(op);
	char av[96];
	kube_res_api_version(r, av, sizeof(av));
	const char *bav = json_string_value(json_object_get(obj, "apiVersion"));
	const char *bk = json_string_value(json_object_get(obj, "kind"));
	if ((bav && strcmp(bav, av) != 0) || (bk && strcmp(bk, r->kind) != 0))
		return fail_msg(op, 400, "BadRequest",
		                "the API version in the data (%s) does not match the expected API version (%s)",
		                bav ? bav : "", av);
	json_object_set_new(obj, "apiVersion", json_string(av));
	json_object_set_new(obj, "kind", json_string(r->kind));
	return 0;
}

static int namespace_ok(struct hub *h, struct hub_op *op, const char *ns, const char *name)
{
	struct hub_blob *nsb = hub_store_get(h->store, KUBE_RES_NAMESPACE, "", ns);
	if (!nsb)
		return fail(op, kube_status_not_found(kube_res_get(KUBE_RES_NAMESPACE), ns));
	if (nsb->flags & HUB_BLOB_DELETING) {
		char gr[128], msg[512];
		kube_res_group_resource(res_of(op), gr, sizeof(gr));
		snprintf(msg, sizeof(msg), "%s \"%s\" is forbidden: unable to create new content in namespace "
		         "%s because it is being terminated", gr, name, ns);
		json_t *st = kube_status_failure(403, "Forbidden", msg);
		kube_status_details(st, name, res_of(op)->group, res_of(op)->plural);
		char cm[256];
		snprintf(cm, sizeof(cm), "namespace %s is being terminated", ns);
		kube_status_add_cause(st, "NamespaceTerminating", cm, "metadata.namespace");
		return fail(op, st);
	}
	return 0;
}

/* Everything but metadata and (with a status subresource) status differs? */
static int spec_changed(const json_t *a, const json_t *b, int status_sub)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)a, k, v) {
		if (strcmp(k, "metadata") == 0 || (status_sub && strcmp(k, "status") == 0))
			continue;
		json_t *w = json_object_get(b, k);
		if (!w || !json_equal(v, w))
			return 1;
	}
	json_object_foreach((json_t *)b, k, v) {
		if (strcmp(k, "metadata") == 0 || (status_sub && strcmp(k, "status") == 0))
			continue;
		if (!json_object_get(a, k))
			return 1;
	}
	return 0;
}

int hub_op_create(struct hub *h, struct hub_op *op, json_t *obj)
{
	const struct kube_res *r = res_of(op);
	if (!json_is_object(obj)) {
		json_decref(obj);
		return fail_msg(op, 400, "BadRequest", "Object 'Kind' is missing in the request body");
	}
	if (check_kind(op, obj) || check_meta(h, op, obj))
		goto out;
	json_t *md = md_of(obj);
	const char *bns = mstr(obj, "namespace");
	if (r->namespaced) {
		const char *ns = op->ns && op->ns[0] ? op->ns : bns;
		if (bns[0] && op->ns && op->ns[0] && strcmp(bns, op->ns) != 0) {
			fail_msg(op, 400, "BadRequest", "the namespace of the provided object does not match the "
			         "namespace sent on the request");
			goto out;
		}
		if (!ns[0]) {
			fail_msg(op, 400, "BadRequest", "an empty namespace may not be set during creation");
			goto out;
		}
		json_object_set_new(md, "namespace", json_string(ns));
	} else {
		json_object_del(md, "namespace");
	}
	const char *gen = mstr(obj, "generateName");
	if (!mstr(obj, "name")[0] && gen[0]) {
		/* five random characters from the apiserver's alphabet */
		static const char alpha[] = "bcdfghjklmnpqrstvwxz2456789";
		char name[KUBE_NAME_MAX];
		uint64_t x = h->rng * 0x9e3779b97f4a7c15ull + hub_store_rv(h->store);
		h->rng += 0x632be59bd9b4e019ull;
		snprintf(name, sizeof(name), "%.*s", 248, gen);
		size_t n = strlen(name);
		for (int i = 0; i < 5; i++, x /= 27)
			name[n + (size_t)i] = alpha[x % 27];
		name[n + 5] = '\0';
		json_object_set_new(md, "name", json_string(name));
	}
	if (check_meta(h, op, obj))
		goto out;
	const char *ns = mstr(obj, "namespace"), *name = mstr(obj, "name");
	if (r->namespaced && namespace_ok(h, op, ns, name))
		goto out;
	if (hub_store_get(h->store, op->res, ns, name)) {
		fail(op, kube_status_already_exists(r, name));
		goto out;
	}
	if (h->defs.r[op->res].status_sub && r->is_crd)
		json_object_del(obj, "status"); /* create ignores status when there is a subresource */
	normalise(h, op, obj, 1);
	if (apply_schema(h, op, obj))
		goto out;
	char uid[37], now[32];
	hub_uid(h, uid);
	hub_now_rfc3339(now);
	json_object_set_new(md, "uid", json_string(uid));
	json_object_set_new(md, "creationTimestamp", json_string(now));
	json_object_del(md, "deletionTimestamp");
	json_object_del(md, "deletionGracePeriodSeconds");
	json_object_del(md, "resourceVersion");
	if (r->is_crd)
		json_object_set_new(md, "generation", json_integer(1));
	else
		json_object_del(md, "generation");
	if (op->dry_run) {
		return ok(op, 201, obj);
	}
	op->stored = hub_blob_ref(hub_store_put(h->store, op->res, obj));
	return ok(op, 201, obj);
out:
	json_decref(obj);
	return op->code;
}

/* Removes |obj| (the current state, parsed) for good and queues the collector. */
static void really_remove(struct hub *h, enum kube_res_id res, json_t *obj)
{
	const struct kube_res *r = kube_res_get(res);
	struct hub_gc_item *g = xcalloc(1, sizeof(*g));
	snprintf(g->uid, sizeof(g->uid), "%s", mstr(obj, "uid"));
	snprintf(g->ns, sizeof(g->ns), "%s", r->namespaced ? mstr(obj, "namespace") : "");
	g->next = h->gc;
	h->gc = g;
	hub_store_remove(h->store, res, obj);
	hub_schedule_work(h);
}

static int finalizers_empty(const json_t *obj)
{
	return json_array_size(json_object_get(json_object_get(obj, "metadata"), "finalizers")) == 0;
}

/* Can a /status write of |cur| take status_write()? Not for dry runs (they
 * answer the object without storing it) nor for objects being deleted
 * (whose last finalizer's removal deletes them). */
static int status_fast_ok(const struct hub *h, const struct hub_op *op, const struct hub_blob *cur)
{
	return op->status_sub && !op->dry_run && !(cur->flags & HUB_BLOB_DELETING) && cur->rv_val &&
	       !h->cfg.full_writes;
}

/*
 * A /status write whose body passed the metadata checks, without parsing
 * the stored object: |*nst| (NULL: none; may be replaced) is the new status.
 * It goes through the schema alone (the stored rest went through it when it
 * was written and is unchanged), is compared with the stored status text
 * and, when it differs, spliced into the stored text with the next
 * resourceVersion. Same outcome as the full path of do_update(), which
 * builds the whole object. Returns 1 when it answered |op|, 0 when the
 * schema needs the whole object (nothing done).
 */
static int status_write(struct hub *h, struct hub_op *op, struct hub_blob *cur, json_t **nst)
{
	struct hub_schema_report rep;
	int n = hub_schema_process_member(h->schema, h->defs.r[op->res].schema, "status", nst, HUB_SCHEMA_ALL,
	                                  &rep);
	if (n < 0)
		return 0;
	if (schema_outcome(op, cur->name, n, &rep))
		return 1;
	struct hub_buf *t = &h->text;
	t->len = 0;
	if (*nst)
		hub_json_write(t, *nst);
	const char *ost = cur->json + cur->st_val;
	size_t ostlen = cur->st_end - cur->st_val;
	int same_text = *nst ? cur->st_key && t->len == ostlen && memcmp(t->p, ost, ostlen) == 0 : !cur->st_key;
	if (same_text) {
		/* no change: no write, no new resourceVersion; the answer is the stored text */
		op->code = 200;
		op->stored = hub_blob_ref(cur);
		return 1;
	}
	if (*nst && cur->st_key && hub_json_equal_text(*nst, ost, ostlen)) {
		/* equal but written in another key order: no write either; the answer
		 * carries the status as sent, as the full path answers it */
		json_t *obj = hub_blob_parse(cur);
		json_object_set(obj, "status", *nst);
		return ok(op, 200, obj);
	}
	struct hub_blob *b = hub_store_put_status(h->store, cur, *nst ? t->p : NULL, t->len);
	if (!b)
		return 0;
	op->code = 200;
	op->stored = hub_blob_ref(b);
	return 1;
}

/* The common tail of update and patch: |obj| is the full new object; |old| the
 * stored one already parsed (both consumed; |old| NULL = parse it here). */
static int do_update(struct hub *h, struct hub_op *op, json_t *obj, json_t *old)
{
	const struct kube_res *r = res_of(op);
	const char *ns = r->namespaced ? (op->ns ? op->ns : "") : "";
	struct hub_blob *cur = hub_store_get(h->store, op->res, ns, op->name);
	json_t *ost = NULL; /* /status: the stored status, to see whether it changed */
	if (!json_is_object(obj)) {
		json_decref(obj);
		json_decref(old);
		return fail_msg(op, 400, "BadRequest", "Object 'Kind' is missing in the request body");
	}
	if (!cur) {
		json_decref(obj);
		json_decref(old);
		return fail(op, kube_status_not_found(r, op->name));
	}
	if (check_kind(op, obj) || check_meta(h, op, obj))
		goto out;
	const char *bname = mstr(obj, "name");
	if (strcmp(bname, op->name) != 0) {
		fail_msg(op, 400, "BadRequest", "the name of the object (%s) does not match the name on the URL (%s)",
		         bname, op->name);
		goto out;
	}
	if (r->namespaced && mstr(obj, "namespace")[0] && strcmp(mstr(obj, "namespace"), ns) != 0) {
		fail_msg(op, 400, "BadRequest", "the namespace of the provided object does not match the "
		         "namespace sent on the request");
		goto out;
	}
	const char *rv = mstr(obj, "resourceVersion");
	char currv[32];
	snprintf(currv, sizeof(currv), "%" PRIu64, cur->rv);
	if (rv[0] && strcmp(rv, currv) != 0) {
		fail(op, kube_status_conflict(r, op->name, NULL));
		goto out;
	}
	if (!rv[0] && r->is_crd) {
		/* custom resources refuse unconditional updates (AllowUnconditionalUpdate false) */
		json_t *st = kube_status_invalid(r, op->name);
		kube_status_add_cause(st, "FieldValueInvalid",
		                      "Invalid value: 0x0: must be specified for an update", "metadata.resourceVersion");
		kube_status_finish_invalid(st, r, op->name);
		fail(op, st);
		goto out;
	}
	if (!old && status_fast_ok(h, op, cur)) {
		json_t *nst = json_incref(json_object_get(obj, "status"));
		int done = status_write(h, op, cur, &nst);
		json_decref(nst);
		if (done) {
			json_decref(obj);
			return op->code;
		}
	}
	if (!old)
		old = hub_blob_parse(cur);
	json_t *omd = md_of(old);
	json_t *md = md_of(obj);
	int status_sub = h->defs.r[op->res].status_sub;
	if (op->status_sub) {
		/* /status: everything from the stored object but the status (the stored
		 * object becomes the new one: no copy) */
		json_t *nst = json_incref(json_object_get(obj, "status"));
		json_decref(obj);
		obj = old;
		old = NULL;
		omd = md = md_of(obj);
		ost = json_incref(json_object_get(obj, "status"));
		if (nst)
			json_object_set_new(obj, "status", nst);
		else
			json_object_del(obj, "status");
	} else {
		if (status_sub) {
			json_t *stored = json_object_get(old, "status");
			if (stored)
				json_object_set(obj, "status", stored);
			else
				json_object_del(obj, "status");
		}
		static const char *const keep[] = {"uid", "creationTimestamp", "deletionTimestamp",
		                                   "deletionGracePeriodSeconds", "generation", "namespace", NULL};
		for (size_t i = 0; keep[i]; i++) {
			json_t *v = json_object_get(omd, keep[i]);
			if (v)
				json_object_set(md, keep[i], v);
			else
				json_object_del(md, keep[i]);
		}
		normalise(h, op, obj, 0);
	}
	if (apply_schema(h, op, obj)) {
		goto out;
	}
	if (op->status_sub) {
		json_t *nst = json_object_get(obj, "status");
		int same = (!ost && !nst) || (ost && nst && json_equal(ost, nst));
		json_decref(ost);
		ost = NULL;
		if (same)
			return ok(op, 200, obj); /* no change: no write, no new resourceVersion */
		goto write;
	}
	/* a deleting object may lose finalizers, not gain them */
	if (cur->flags & HUB_BLOB_DELETING) {
		size_t i;
		json_t *f;
		json_array_foreach(json_object_get(md, "finalizers"), i, f) {
			size_t j;
			json_t *g;
			int had = 0;
			json_array_foreach(json_object_get(omd, "finalizers"), j, g)
				if (json_equal(f, g))
					had = 1;
			if (!had) {
				json_t *st = kube_status_invalid(r, op->name);
				kube_status_add_cause(st, "FieldValueForbidden",
				                      "Forbidden: no new finalizers can be added if the object is being deleted",
				                      "metadata.finalizers");
				kube_status_finish_invalid(st, r, op->name);
				fail(op, st);
				goto out;
			}
		}
	}
	if (r->is_crd && spec_changed(old, obj, status_sub))
		json_object_set_new(md, "generation", json_integer(json_integer_value(json_object_get(omd, "generation")) + 1));
	/* no change: no write, no new resourceVersion */
	json_object_set_new(md, "resourceVersion", json_string(currv));
	if (json_equal(old, obj)) {
		json_decref(old);
		json_decref(obj);
		return ok(op, 200, hub_blob_parse(cur));
	}
	json_decref(old);
write:
	if (op->dry_run)
		return ok(op, 200, obj);
	if ((cur->flags & HUB_BLOB_DELETING) && finalizers_empty(obj) &&
	    op->res != KUBE_RES_NAMESPACE) {
		really_remove(h, op->res, obj);
		return ok(op, 200, obj);
	}
	op->stored = hub_blob_ref(hub_store_put(h->store, op->res, obj));
	return ok(op, 200, obj);
out:
	json_decref(ost);
	json_decref(obj);
	json_decref(old);
	return op->code;
}

int hub_op_update(struct hub *h, struct hub_op *op, json_t *body)
{
	if (!op->name || !op->name[0]) {
		json_decref(body);
		return fail_msg(op, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
	}
	return do_update(h, op, body, NULL);
}

int hub_op_patch(struct hub *h, struct hub_op *op, enum hub_patch_type type, const json_t *patch)
{
	const struct kube_res *r = res_of(op);
	const char *ns = r->namespaced ? (op->ns ? op->ns : "") : "";
	struct hub_blob *cur = hub_store_get(h->store, op->res, ns, op->name ? op->name : "");
	char err[512];
	if (!cur)
		return fail(op, kube_status_not_found(r, op->name ? op->name : ""));
	if (type == HUB_PATCH_STRATEGIC && r->is_crd)
		return fail_msg(op, 415, "UnsupportedMediaType", "the body of the request was in an unknown "
		                "format - accepted media types include: application/json-patch+json, "
		                "application/merge-patch+json, application/apply-patch+yaml");
	if (type == HUB_PATCH_MERGE && json_is_object(patch) && status_fast_ok(h, op, cur) &&
	    !json_object_get(patch, "metadata") && !json_object_get(patch, "apiVersion") &&
	    !json_object_get(patch, "kind")) {
		/* A merge patch of /status that leaves kind and metadata alone (so the
		 * patched object passes every metadata check the stored one passed):
		 * only the stored status is parsed and patched. */
		const json_t *pst = json_object_get(patch, "status");
		json_t *nst = cur->st_key ? hub_json_parse(cur->json + cur->st_val, cur->st_end - cur->st_val) : NULL;
		if (json_is_null(pst)) {
			json_decref(nst);
			nst = NULL;
		} else if (pst) {
			hub_patch_merge(&nst, pst);
		}
		int done = status_write(h, op, cur, &nst);
		json_decref(nst);
		if (done)
			return op->code;
	}
	json_t *doc = hub_blob_parse(cur);
	json_t *old = json_deep_copy(doc); /* cheaper than parsing the stored text again */
	int rv = 0;
	switch (type) {
	case HUB_PATCH_MERGE:
		if (!json_is_object(patch)) {
			json_decref(doc);
			json_decref(old);
			return fail_msg(op, 400, "BadRequest", "json: cannot unmarshal %s into Go value of type "
			                "map[string]interface {}", json_is_array(patch) ? "array" : "value");
		}
		hub_patch_merge(&doc, patch);
		break;
	case HUB_PATCH_JSON:
		rv = hub_patch_json(&doc, patch, err, sizeof(err));
		break;
	case HUB_PATCH_STRATEGIC:
		rv = hub_patch_strategic(&doc, patch, err, sizeof(err));
		break;
	}
	if (rv) {
		json_decref(doc);
		json_decref(old);
		return fail_msg(op, rv == SW_ERR_STATE ? 422 : 400, rv == SW_ERR_STATE ? "Invalid" : "BadRequest",
		                "%s", err);
	}
	return do_update(h, op, doc, old);
}

/* Do any objects name |uid| among their owners? Calls |fn| for each (stops on nonzero). */
static int for_dependents(struct hub *h, const char *uid, const char *ns,
                          int (*fn)(struct hub *h, struct hub_blob *b, void *arg), void *arg)
{
	int found = 0;
	for (size_t ri = 0; ri < KUBE_RES_COUNT; ri++) {
		const struct kube_res *r = kube_res_get((enum kube_res_id)ri);
		if (ns[0] && !r->namespaced)
			continue;
		size_t i = ns[0] ? hub_store_seek(h->store, r->id, ns, "", 0) : 0;
		for (; i < hub_store_count(h->store, r->id); i++) {
			struct hub_blob *b = hub_store_at(h->store, r->id, i);
			if (ns[0] && strcmp(b->ns, ns) != 0)
				break;
			if (!(b->flags & HUB_BLOB_OWNED))
				continue;
			for (const char *u = b->owners; *u; u += strlen(u) + 1) {
				if (strcmp(u, uid) == 0) {
					found++;
					if (fn && fn(h, b, arg))
						return found;
					break;
				}
			}
		}
	}
	return found;
}

/* Drops ownerReferences to |arg| (a uid) from |b|: orphaning and dangling refs. */
static int drop_owner_ref(struct hub *h, struct hub_blob *b, void *arg)
{
	const char *uid = arg;
	json_t *obj = hub_blob_parse(b);
	json_t *refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences");
	for (size_t i = json_array_size(refs); i-- > 0;)
		if (strcmp(json_string_value(json_object_get(json_array_get(refs, i), "uid")) ?: "", uid) == 0)
			json_array_remove(refs, i);
	if (json_array_size(refs) == 0)
		json_object_del(json_object_get(obj, "metadata"), "ownerReferences");
	hub_store_put(h->store, b->res, obj);
	json_decref(obj);
	return 1; /* the store changed under the walk: restart it */
}

int hub_op_delete(struct hub *h, struct hub_op *op)
{
	const struct kube_res *r = res_of(op);
	const char *ns = r->namespaced ? (op->ns ? op->ns : "") : "";
	struct hub_blob *cur = hub_store_get(h->store, op->res, ns, op->name ? op->name : "");
	if (!cur)
		return fail(op, kube_status_not_found(r, op->name ? op->name : ""));
	json_t *obj = hub_blob_parse(cur);
	json_t *md = md_of(obj);
	char now[32];
	hub_now_rfc3339(now);
	if (op->dry_run)
		return ok(op, 200, obj);
	const char *prop = op->propagation ? op->propagation : "";
	if (strcmp(prop, "Orphan") == 0) {
		char uid[64];
		snprintf(uid, sizeof(uid), "%s", cur->uid);
		for (int i = 0; i < 100000 && for_dependents(h, uid, ns, drop_owner_ref, uid); i++)
			;
		cur = hub_store_get(h->store, op->res, ns, op->name);
	}
	if (op->res == KUBE_RES_NAMESPACE) {
		if (!(cur->flags & HUB_BLOB_DELETING)) {
			json_object_set_new(md, "deletionTimestamp", json_string(now));
			json_object_set_new(md, "deletionGracePeriodSeconds", json_integer(0));
			json_t *st = json_object_get(obj, "status");
			if (!json_is_object(st)) {
				st = json_object();
				json_object_set_new(obj, "status", st);
			}
			json_object_set_new(st, "phase", json_string("Terminating"));
			hub_store_put(h->store, op->res, obj);
			struct hub_terminating *t = xcalloc(1, sizeof(*t));
			snprintf(t->ns, sizeof(t->ns), "%s", op->name);
			t->next = h->terms;
			h->terms = t;
			hub_schedule_work(h);
		}
		return ok(op, 200, obj);
	}
	if (strcmp(prop, "Foreground") == 0 && !(cur->flags & HUB_BLOB_DELETING) &&
	    for_dependents(h, cur->uid, ns, NULL, NULL) > 0) {
		json_t *fin = json_object_get(md, "finalizers");
		if (!json_is_array(fin)) {
			fin = json_array();
			json_object_set_new(md, "finalizers", fin);
		}
		json_array_append_new(fin, json_string("foregroundDeletion"));
		json_object_set_new(md, "deletionTimestamp", json_string(now));
		json_object_set_new(md, "deletionGracePeriodSeconds", json_integer(0));
		struct hub_gc_item *g = xcalloc(1, sizeof(*g));
		snprintf(g->uid, sizeof(g->uid), "%s", cur->uid);
		snprintf(g->ns, sizeof(g->ns), "%s", ns);
		g->foreground = 1;
		g->owner_res = op->res;
		snprintf(g->owner_name, sizeof(g->owner_name), "%s", op->name);
		g->next = h->gc;
		h->gc = g;
		hub_store_put(h->store, op->res, obj);
		hub_schedule_work(h);
		return ok(op, 200, obj);
	}
	if (!finalizers_empty(obj)) {
		if (!(cur->flags & HUB_BLOB_DELETING)) {
			json_object_set_new(md, "deletionTimestamp", json_string(now));
			json_object_set_new(md, "deletionGracePeriodSeconds", json_integer(0));
			hub_store_put(h->store, op->res, obj);
		}
		return ok(op, 200, obj);
	}
	really_remove(h, op->res, obj);
	return ok(op, 200, obj);
}

/* ---- background work ---- */

/* Is the owner named by ownerReference |ref| of an object in |ns| still there? */
static int owner_alive(struct hub *h, const json_t *ref, const char *ns)
{
	const char *av = json_string_value(json_object_get(ref, "apiVersion"));
	const char *kind = json_string_value(json_object_get(ref, "kind"));
	const char *name = json_string_value(json_object_get(ref, "name"));
	const char *uid = json_string_value(json_object_get(ref, "uid"));
	const struct kube_res *r = kube_res_by_kind(av, kind);
	if (!r || !name || !uid)
		return 0; /* unknown kinds can not be checked: treat as gone, as the collector does for 404 */
	struct hub_blob *b = hub_store_get(h->store, r->id, r->namespaced ? ns : "", name);
	return b && strcmp(b->uid, uid) == 0;
}

struct collect_arg {
	const char *uid;
	int changed;
};

/* Collects dependent |b| of a deleted owner; stops the walk once it changed the store. */
static int collect(struct hub *h, struct hub_blob *b, void *arg)
{
	struct collect_arg *ca = arg;
	const char *uid = ca->uid;
	json_t *obj = hub_blob_parse(b);
	json_t *refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences");
	size_t i;
	json_t *ref;
	int alive = 0;
	json_array_foreach(refs, i, ref)
		if (strcmp(json_string_value(json_object_get(ref, "uid")) ?: "", uid) != 0 &&
		    owner_alive(h, ref, b->ns))
			alive = 1;
	json_decref(obj);
	if (alive) {
		ca->changed = 1;
		return drop_owner_ref(h, b, (void *)uid);
	}
	if (b->flags & HUB_BLOB_DELETING)
		return 0; /* already on its way (finalizers) */
	struct hub_op op = {.res = b->res, .ns = b->ns, .name = b->name, .fv = HUB_FV_IGNORE};
	char ns[KUBE_NAME_MAX], name[KUBE_NAME_MAX];
	snprintf(ns, sizeof(ns), "%s", b->ns);
	snprintf(name, sizeof(name), "%s", b->name);
	op.ns = ns;
	op.name = name;
	hub_op_delete(h, &op);
	hub_op_clear(&op);
	ca->changed = 1;
	return 1; /* the store changed: restart the walk */
}

/* Handles one collector item; returns 1 when it is done. */
static int gc_item(struct hub *h, struct hub_gc_item *g)
{
	/* bounded: every restart deleted or changed one dependent */
	for (int i = 0; i < 1000000; i++) {
		struct collect_arg ca = {g->uid, 0};
		for_dependents(h, g->uid, g->ns, collect, &ca);
		if (!ca.changed)
			break; /* none left, or only ones waiting for their finalizers */
	}
	int left = for_dependents(h, g->uid, g->ns, NULL, NULL);
	if (!g->foreground)
		return 1; /* dependents waiting on finalizers go when their finalizers go */
	if (left > 0)
		return 0;
	/* foreground: the owner may go now */
	struct hub_blob *ob = hub_store_get(h->store, g->owner_res, g->ns, g->owner_name);
	if (ob && strcmp(ob->uid, g->uid) == 0) {
		json_t *obj = hub_blob_parse(ob);
		json_t *fin = json_object_get(json_object_get(obj, "metadata"), "finalizers");
		for (size_t i = json_array_size(fin); i-- > 0;)
			if (strcmp(json_string_value(json_array_get(fin, i)) ?: "", "foregroundDeletion") == 0)
				json_array_remove(fin, i);
		struct hub_op op = {.res = g->owner_res, .ns = g->ns, .name = g->owner_name, .fv = HUB_FV_IGNORE};
		do_update(h, &op, obj, NULL);
		hub_op_clear(&op);
	}
	return 1;
}

/* Deletes what is left in terminating namespace |ns|; returns 1 when the namespace is gone. */
static int term_item(struct hub *h, struct hub_terminating *t)
{
	size_t left = 0;
	for (size_t ri = 0; ri < KUBE_RES_COUNT; ri++) {
		const struct kube_res *r = kube_res_get((enum kube_res_id)ri);
		if (!r->namespaced)
			continue;
		for (;;) {
			size_t i = hub_store_seek(h->store, r->id, t->ns, "", 0);
			struct hub_blob *b = hub_store_at(h->store, r->id, i);
			while (b && strcmp(b->ns, t->ns) == 0 && (b->flags & HUB_BLOB_DELETING)) {
				left++;
				b = hub_store_at(h->store, r->id, ++i);
			}
			if (!b || strcmp(b->ns, t->ns) != 0)
				break;
			char name[KUBE_NAME_MAX];
			snprintf(name, sizeof(name), "%s", b->name);
			struct hub_op op = {.res = r->id, .ns = t->ns, .name = name, .fv = HUB_FV_IGNORE};
			hub_op_delete(h, &op);
			hub_op_clear(&op);
		}
	}
	struct hub_blob *nsb = hub_store_get(h->store, KUBE_RES_NAMESPACE, "", t->ns);
	if (!nsb)
		return 1;
	if (left > 0)
		return 0;
	json_t *obj = hub_blob_parse(nsb);
	json_object_del(json_object_get(obj, "spec"), "finalizers");
	if (finalizers_empty(obj)) {
		really_remove(h, KUBE_RES_NAMESPACE, obj);
		json_decref(obj);
		return 1;
	}
	hub_store_put(h->store, KUBE_RES_NAMESPACE, obj);
	json_decref(obj);
	return 0;
}

int hub_ops_work(struct hub *h)
{
	int progress = 0;
	/* Work on detached lists: handling an item may queue new ones. */
	struct hub_gc_item *gl = h->gc;
	h->gc = NULL;
	while (gl) {
		struct hub_gc_item *g = gl;
		gl = g->next;
		if (gc_item(h, g)) {
			free(g);
			progress = 1;
		} else {
			g->next = h->gc;
			h->gc = g;
		}
	}
	struct hub_terminating *tl = h->terms;
	h->terms = NULL;
	while (tl) {
		struct hub_terminating *t = tl;
		tl = t->next;
		if (term_item(h, t)) {
			free(t);
			progress = 1;
		} else {
			t->next = h->terms;
			h->terms = t;
		}
	}
	/* items added meanwhile (collected dependents that were owners) need another pass */
	return progress && (h->gc || h->terms);
}
