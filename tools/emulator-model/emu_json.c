#include "emu_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu_schema.h"

/* Responses larger than this are a bug or an abuse; fail them as 500. */
#define EMU_BUF_MAX (64u * 1024 * 1024)

void emu_buf_init(struct emu_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void emu_buf_free(struct emu_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static int buf_reserve(struct emu_buf *b, size_t n)
{
	if (b->oom)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	size_t ncap = b->cap ? b->cap : 512;
	while (ncap < b->len + n + 1)
		ncap *= 2;
	if (ncap > EMU_BUF_MAX) {
		b->oom = 1;
		return -1;
	}
	char *p = realloc(b->p, ncap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = ncap;
	return 0;
}

void emu_buf_add(struct emu_buf *b, const char *s, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void emu_buf_str(struct emu_buf *b, const char *s)
{
	emu_buf_add(b, s, strlen(s));
}

void emu_buf_printf(struct emu_buf *b, const char *fmt, ...)
{
	va_list ap;
	/* Format once into the spare room; only a long result needs a second pass. */
	if (buf_reserve(b, 256) < 0)
		return;
	size_t room = b->cap - b->len;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->p[b->len] = '\0';
		return;
	}
	if ((size_t)n >= room) {
		if (buf_reserve(b, (size_t)n) < 0)
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void emu_buf_esc(struct emu_buf *b, const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;
		char tmp[8];
		if (c == '"')
			rep = "\\\"";
		else if (c == '\\')
			rep = "\\\\";
		else if (c == '\n')
			rep = "\\n";
		else if (c < 0x20) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
			rep = tmp;
		}
		if (rep) {
			emu_buf_add(b, s + start, i - start);
			emu_buf_str(b, rep);
			start = i + 1;
		}
	}
	emu_buf_add(b, s + start, n - start);
}

void emu_time_fmt(int64_t t, char out[32])
{
	if (t <= 0) {
		/* Go's zero time, as the service marshals unset timestamps. */
		strcpy(out, "0001-01-01T00:00:00.000Z");
		return;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

void emu_ipv4_fmt(uint32_t ip, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

int emu_ipv4_parse(const char *s, uint32_t *ip)
{
	unsigned a, b, c, d;
	char tail;
	if (!s || sscanf(s, "%3u.%3u.%3u.%3u%c", &a, &b, &c, &d, &tail) != 4)
		return -1;
	if (a > 255 || b > 255 || c > 255 || d > 255)
		return -1;
	*ip = a << 24 | b << 16 | c << 8 | d;
	return 0;
}

int emu_cidr_parse(const char *s, struct emu_net *n)
{
	char ip[20];
	const char *slash = s ? strchr(s, '/') : NULL;
	char *end;
	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return -1;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	long p = strtol(slash + 1, &end, 10);
	if (*end || end == slash + 1 || p < 0 || p > 32)
		return -1;
	if (emu_ipv4_parse(ip, &n->base) < 0)
		return -1;
	n->prefix = (uint8_t)p;
	return 0;
}

void emu_cidr_fmt(const struct emu_net *n, char out[24])
{
	char ip[16];
	uint32_t mask = n->prefix ? 0xffffffffu << (32 - n->prefix) : 0;
	emu_ipv4_fmt(n->base & mask, ip);
	snprintf(out, 24, "%s/%u", ip, n->prefix);
}

int emu_net_contains(const struct emu_net *n, uint32_t ip)
{
	uint32_t mask = n->prefix ? 0xffffffffu << (32 - n->prefix) : 0;
	return (ip & mask) == (n->base & mask);
}

static void url_decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		if (s[i] == '%' && i + 2 < n) {
			char hx[3] = {s[i + 1], s[i + 2], 0};
			char *end;
			long v = strtol(hx, &end, 16);
			if (!*end) {
				out[o++] = (char)v;
				i += 2;
				continue;
			}
		}
		out[o++] = s[i] == '+' ? ' ' : s[i];
	}
	out[o] = '\0';
}

int emu_query_get(const char *query, const char *key, char *out, size_t outlen)
{
	size_t kl = strlen(key);
	const char *p = query;
	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len >= kl && strncmp(p, key, kl) == 0 && (len == kl || p[kl] == '=')) {
			if (len == kl)
				url_decode("", 0, out, outlen);
			else
				url_decode(p + kl + 1, len - kl - 1, out, outlen);
			return 1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

void emu_resp_json(struct emu_response *r, int status, json_t *body)
{
	r->status = status;
	r->content_type = "application/json";
	r->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
	r->body_len = r->body ? strlen(r->body) : 0;
	if (body && !r->body) {
		r->status = 500;
		r->content_type = NULL;
	}
	json_decref(body);
}

void emu_resp_buf(struct emu_response *r, int status, struct emu_buf *b)
{
	if (b->oom) {
		emu_buf_free(b);
		emu_resp_error(r, 500, "response too large");
		return;
	}
	r->status = status;
	r->content_type = "application/json";
	r->body = b->p;
	r->body_len = b->len;
	memset(b, 0, sizeof(*b));
}

static void resp_text(struct emu_response *r, int status, const char *text, int len)
{
	r->status = status;
	r->content_type = "application/json";
	r->body = NULL;
	r->body_len = 0;
	if (len < 0)
		return;
	r->body = malloc((size_t)len + 1);
	if (!r->body)
		return;
	memcpy(r->body, text, (size_t)len + 1);
	r->body_len = (size_t)len;
}

void emu_resp_error(struct emu_response *r, int status, const char *fmt, ...)
{
	char reason[768], body[1400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	int n = as_error_body(body, sizeof(body), status, reason);
	if (n >= (int)sizeof(body))
		n = (int)strlen(body);
	resp_text(r, status, body, n);
}

void emu_resp_infra(struct emu_response *r, int status, int code, const char *fmt, ...)
{
	char msg[768], body[1400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int n = as_infra_error_body(body, sizeof(body), code, msg);
	if (n >= (int)sizeof(body))
		n = (int)strlen(body);
	resp_text(r, status, body, n);
}

void emu_resp_empty(struct emu_response *r, int status)
{
	r->status = status;
	r->content_type = NULL;
	r->body = NULL;
	r->body_len = 0;
}

int emu_decode_body(const struct emu_model *m, const struct emu_request *req,
                    const char *defname, const char *param, const char *const *extra,
                    const char *const *deny, json_t **out, struct emu_response *resp)
{
	json_error_t jerr;
	char msg[512];
	int def = emu_schema_find(defname);
	(void)m;
	*out = NULL;
	if (!req->body || req->body_len == 0) {
		/* go-openapi: a required body parameter that is absent. */
		emu_resp_infra(resp, 400, 602, "%s in body is required", param);
		return -1;
	}
	json_t *v = json_loadb(req->body, req->body_len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
	                       &jerr);
	if (!v) {
		emu_resp_infra(resp, 400, 400, "parsing %s body from \"\" failed, because %s", param,
		               jerr.text);
		return -1;
	}
	if (emu_schema_check(def, v, extra, deny, msg, sizeof(msg)) < 0) {
		emu_resp_infra(resp, 400, 400, "parsing %s body from \"\" failed, because %s", param,
		               msg);
		json_decref(v);
		return -1;
	}
	const char *miss = emu_schema_missing(def, v);
	if (miss) {
		emu_resp_infra(resp, 400, 602, "%s.%s in body is required", param, miss);
		json_decref(v);
		return -1;
	}
	*out = v;
	return 0;
}

static const char *const role_names[] = {"auto-assign", "master", "worker", "arbiter"};

const char *emu_role_name(enum emu_role r)
{
	return (unsigned)r < 4 ? role_names[r] : "auto-assign";
}

int emu_role_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (s && strcmp(s, role_names[i]) == 0)
			return i;
	return -1;
}
