#include "kube_watch.h"

#include <stdlib.h>
#include <string.h>

#include "sw_err.h"

static const char *const type_names[KUBE_WATCH_TYPE_COUNT] = {
	"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR",
};

static const char *const prefixes[KUBE_WATCH_TYPE_COUNT] = {
	"{\"type\":\"ADDED\",\"object\":",
	"{\"type\":\"MODIFIED\",\"object\":",
	"{\"type\":\"DELETED\",\"object\":",
	"{\"type\":\"BOOKMARK\",\"object\":",
	"{\"type\":\"ERROR\",\"object\":",
};

const char *kube_watch_type_name(enum kube_watch_type t)
{
	return (unsigned)t < KUBE_WATCH_TYPE_COUNT ? type_names[t] : "UNKNOWN";
}

int kube_watch_type_from_name(const char *s)
{
	for (int i = 0; s && i < KUBE_WATCH_TYPE_COUNT; i++)
		if (strcmp(type_names[i], s) == 0)
			return i;
	return -1;
}

const char *kube_watch_prefix(enum kube_watch_type t, size_t *len)
{
	const char *p = prefixes[(unsigned)t < KUBE_WATCH_TYPE_COUNT ? t : KUBE_WATCH_ERROR];
	if (len)
		*len = strlen(p);
	return p;
}

struct kube_watch_dec {
	char *buf;
	size_t len, cap, max;
};

struct kube_watch_dec *kube_watch_dec_new(size_t max_event)
{
	struct kube_watch_dec *d = calloc(1, sizeof(*d));
	if (d)
		d->max = max_event ? max_event : 16u << 20;
	return d;
}

void kube_watch_dec_free(struct kube_watch_dec **dp)
{
	if (!dp || !*dp)
		return;
	free((*dp)->buf);
	free(*dp);
	*dp = NULL;
}

size_t kube_watch_dec_pending(const struct kube_watch_dec *d)
{
	return d ? d->len : 0;
}

/* Decodes one line. */
static int one(const char *line, size_t n, kube_watch_event_fn fn, void *arg)
{
	while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
		n--;
	if (n == 0)
		return 0;
	json_t *ev = json_loadb(line, n, JSON_REJECT_DUPLICATES, NULL);
	int t = ev ? kube_watch_type_from_name(json_string_value(json_object_get(ev, "type"))) : -1;
	json_t *obj = ev ? json_object_get(ev, "object") : NULL;
	if (t < 0 || !json_is_object(obj)) {
		json_decref(ev);
		return SW_ERR_PARSE;
	}
	int rv = fn(arg, (enum kube_watch_type)t, obj);
	json_decref(ev);
	return rv;
}

int kube_watch_dec_feed(struct kube_watch_dec *d, const char *data, size_t len,
                        kube_watch_event_fn fn, void *arg)
{
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;
		if (d->len + take > d->max)
			return SW_ERR_TOO_BIG;
		if (!nl || d->len) {
			if (d->len + take > d->cap) {
				size_t cap = d->cap ? d->cap : 4096;
				while (cap < d->len + take)
					cap *= 2;
				char *nb = realloc(d->buf, cap);
				if (!nb)
					return SW_ERR_NOMEM;
				d->buf = nb;
				d->cap = cap;
			}
			memcpy(d->buf + d->len, data, take);
			d->len += take;
		}
		if (!nl)
			return 0;
		int rv = d->len ? one(d->buf, d->len, fn, arg) : one(data, take, fn, arg);
		d->len = 0;
		data += take + 1;
		len -= take + 1;
		if (rv)
			return rv;
	}
	return 0;
}
