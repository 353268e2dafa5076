#include "kube_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"
#include "sw_http.h"

static const char *const verb_names[KUBE_VERB_COUNT] = {
	"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection",
};

const char *kube_verb_name(enum kube_verb v)
{
	return (unsigned)v < KUBE_VERB_COUNT ? verb_names[v] : "unknown";
}

int kube_verb_from_name(const char *s)
{
	for (int i = 0; s && i < KUBE_VERB_COUNT; i++)
		if (strcmp(verb_names[i], s) == 0)
			return i;
	return -1;
}

/* Percent-decodes |n| bytes of |s| into |out|. Returns the length or an error. */
static int decode(const char *s, size_t n, char *out, size_t outlen, int plus_space)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '%') {
			if (i + 2 >= n)
				return SW_ERR_PARSE;
			int hi = sw_hexval(s[i + 1]), lo = sw_hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return SW_ERR_PARSE;
			ch = (char)(hi * 16 + lo);
			if (ch == '\0')
				return SW_ERR_PARSE;
			i += 2;
		} else if (ch == '+' && plus_space) {
			ch = ' ';
		}
		if (o + 1 >= outlen)
			return SW_ERR_TOO_BIG;
		out[o++] = ch;
	}
	out[o] = '\0';
	return (int)o;
}

int kube_query_get(const char *query, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *p = query ? query : "";
	while (*p) {
		const char *amp = strchr(p, '&');
		size_t seg = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', seg);
		size_t kl = eq ? (size_t)(eq - p) : seg;
		if (kl == nl && memcmp(p, name, nl) == 0) {
			if (!eq) {
				if (outlen)
					out[0] = '\0';
				return 0;
			}
			return decode(eq + 1, seg - kl - 1, out, outlen, 1);
		}
		p += seg;
		if (*p == '&')
			p++;
	}
	return SW_ERR_NOT_FOUND;
}

/* Splits |path| into decoded segments. Returns the count or an error. */
#define MAX_SEGS 9
static int split_path(const char *path, char segs[MAX_SEGS][KUBE_NAME_MAX])
{
	int n = 0;
	const char *p = path;
	if (*p != '/')
		return SW_ERR_PARSE;
	while (*p == '/') {
		p++;
		if (!*p)
			break; /* trailing slash */
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0)
			return SW_ERR_PARSE;
		if (n == MAX_SEGS)
			return SW_ERR_TOO_BIG;
		int rv = decode(p, len, segs[n], KUBE_NAME_MAX, 0);
		if (rv < 0)
			return rv;
		n++;
		p += len;
	}
	return n;
}

static int copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		return SW_ERR_TOO_BIG;
	memcpy(dst, src, n + 1);
	return 0;
}

static int is_true(const char *v)
{
	return strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
}

int kube_reqinfo_parse(const char *method, const char *path, const char *query,
                       struct kube_reqinfo *ri)
{
	char segs[MAX_SEGS][KUBE_NAME_MAX];
	char w[16];
	memset(ri, 0, sizeof(*ri));
	int n = split_path(path, segs);
	if (n < 0)
		return n;
	int i;
	if (n >= 2 && strcmp(segs[0], "api") == 0) {
		i = 1;
	} else if (n >= 3 && strcmp(segs[0], "apis") == 0) {
		if (copy(ri->group, sizeof(ri->group), segs[1]) != 0)
			return SW_ERR_TOO_BIG;
		i = 2;
	} else {
		return 0; /* discovery or a non-resource URL */
	}
	if (copy(ri->version, sizeof(ri->version), segs[i]) != 0)
		return SW_ERR_TOO_BIG;
	i++;
	int left = n - i;
	if (left <= 0)
		return 0; /* /api/v1, /apis/g/v: discovery */
	/* namespaces/NS/RESOURCE/...; a namespace's own URL is namespaces/NAME[/SUB] */
	const char *res = NULL, *name = NULL, *sub = NULL, *ns = NULL;
	/* as the apiserver: namespaces/NAME/status and /finalize are the namespace's own */
	if (strcmp(segs[i], "namespaces") == 0 && left >= 3 && strcmp(segs[i + 2], "status") != 0 &&
	    strcmp(segs[i + 2], "finalize") != 0) {
		ns = segs[i + 1];
		res = segs[i + 2];
		if (left >= 4)
			name = segs[i + 3];
		if (left >= 5)
			sub = segs[i + 4];
		if (left > 5)
			return SW_ERR_PARSE;
	} else {
		res = segs[i];
		if (left >= 2)
			name = segs[i + 1];
		if (left >= 3)
			sub = segs[i + 2];
		if (left > 3)
			return SW_ERR_PARSE;
	}
	if (copy(ri->resource, sizeof(ri->resource), res) != 0 ||
	    (ns && copy(ri->ns, sizeof(ri->ns), ns) != 0) ||
	    (name && copy(ri->name, sizeof(ri->name), name) != 0) ||
	    (sub && copy(ri->subresource, sizeof(ri->subresource), sub) != 0))
		return SW_ERR_TOO_BIG;
	ri->is_resource = 1;
	ri->res = kube_res_find(ri->group, ri->version, ri->resource);
	int watch = kube_query_get(query, "watch", w, sizeof(w)) >= 0 && is_true(w);
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		ri->verb = ri->name[0] ? KUBE_VERB_GET : (watch ? KUBE_VERB_WATCH : KUBE_VERB_LIST);
	else if (strcmp(method, "POST") == 0)
		ri->verb = KUBE_VERB_CREATE;
	else if (strcmp(method, "PUT") == 0)
		ri->verb = KUBE_VERB_UPDATE;
	else if (strcmp(method, "PATCH") == 0)
		ri->verb = KUBE_VERB_PATCH;
	else if (strcmp(method, "DELETE") == 0)
		ri->verb = ri->name[0] ? KUBE_VERB_DELETE : KUBE_VERB_DELETECOLLECTION;
	else
		ri->verb = KUBE_VERB_COUNT; /* a method the apiserver does not route */
	/* GET .../namespaces/NS/RES/NAME?watch=1 is a watch on one object (fieldSelector by name). */
	if (ri->verb == KUBE_VERB_GET && watch)
		ri->verb = KUBE_VERB_WATCH;
	return 0;
}

/* Parses a decimal integer parameter. */
static int get_int(const char *query, const char *name, int64_t *out, char *bad, size_t badlen)
{
	char v[32];
	int rv = kube_query_get(query, name, v, sizeof(v));
	if (rv == SW_ERR_NOT_FOUND)
		return 0;
	char *end = NULL;
	errno = 0;
	long long x = rv >= 0 ? strtoll(v, &end, 10) : 0;
	if (rv <= 0 || *end || errno || x < 0) {
		snprintf(bad, badlen, "%s", name);
		return SW_ERR_PARSE;
	}
	*out = x;
	return 0;
}

static int get_str(const char *query, const char *name, char *out, size_t outlen, int *present,
                   char *bad, size_t badlen)
{
	int rv = kube_query_get(query, name, out, outlen);
	if (rv == SW_ERR_NOT_FOUND) {
		out[0] = '\0';
		return 0;
	}
	if (rv < 0) {
		snprintf(bad, badlen, "%s", name);
		out[0] = '\0';
		return rv;
	}
	if (present)
		*present = 1;
	return 0;
}

int kube_query_parse(const char *query, struct kube_query *q, char *bad, size_t badlen)
{
	char v[16];
	int rv = 0;
	memset(q, 0, sizeof(*q));
	q->timeout_seconds = -1;
	q->send_initial_events = -1;
	if (badlen)
		bad[0] = '\0';
	if ((rv = get_str(query, "labelSelector", q->label_selector, sizeof(q->label_selector), NULL, bad, badlen)) ||
	    (rv = get_str(query, "fieldSelector", q->field_selector, sizeof(q->field_selector), NULL, bad, badlen)) ||
	    (rv = get_str(query, "resourceVersion", q->resource_version, sizeof(q->resource_version),
	                  &q->has_resource_version, bad, badlen)) ||
	    (rv = get_str(query, "resourceVersionMatch", q->resource_version_match,
	                  sizeof(q->resource_version_match), NULL, bad, badlen)) ||
	    (rv = get_str(query, "continue", q->continue_token, sizeof(q->continue_token), NULL, bad, badlen)) ||
	    (rv = get_str(query, "fieldValidation", q->field_validation, sizeof(q->field_validation), NULL, bad, badlen)) ||
	    (rv = get_str(query, "propagationPolicy", q->propagation_policy, sizeof(q->propagation_policy), NULL, bad, badlen)) ||
	    (rv = get_str(query, "fieldManager", q->field_manager, sizeof(q->field_manager), NULL, bad, badlen)) ||
	    (rv = get_int(query, "limit", &q->limit, bad, badlen)) ||
	    (rv = get_int(query, "timeoutSeconds", &q->timeout_seconds, bad, badlen)))
		return rv;
	if (kube_query_get(query, "watch", v, sizeof(v)) >= 0)
		q->watch = is_true(v);
	if (kube_query_get(query, "allowWatchBookmarks", v, sizeof(v)) >= 0)
		q->allow_watch_bookmarks = is_true(v);
	if (kube_query_get(query, "sendInitialEvents", v, sizeof(v)) >= 0)
		q->send_initial_events = is_true(v);
	if (kube_query_get(query, "dryRun", v, sizeof(v)) >= 0) {
		if (strcmp(v, "All") != 0) {
			snprintf(bad, badlen, "dryRun");
			return SW_ERR_PARSE;
		}
		q->dry_run_all = 1;
	}
	return 0;
}

int kube_path_build(char *buf, size_t len, const struct kube_res *r, const char *ns,
                    const char *name, const char *sub)
{
	int n;
	if (!r || !buf)
		return SW_ERR_INVALID;
	char prefix[128];
	if (r->group[0])
		snprintf(prefix, sizeof(prefix), "/apis/%s/%s", r->group, r->version);
	else
		snprintf(prefix, sizeof(prefix), "/api/%s", r->version);
	if (r->namespaced && ns && ns[0])
		n = snprintf(buf, len, "%s/namespaces/%s/%s", prefix, ns, r->plural);
	else
		n = snprintf(buf, len, "%s/%s", prefix, r->plural);
	if (n >= 0 && (size_t)n < len && name && name[0])
		n += snprintf(buf + n, len - (size_t)n, "/%s", name);
	if (n >= 0 && (size_t)n < len && name && name[0] && sub && sub[0])
		n += snprintf(buf + n, len - (size_t)n, "/%s", sub);
	return (n < 0 || (size_t)n >= len) ? SW_ERR_TOO_BIG : n;
}
