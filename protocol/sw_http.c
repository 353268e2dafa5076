#include "sw_http.h"

#include <ctype.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "sw_err.h"

const char *sw_proto_name(enum sw_proto proto, int tls)
{
	switch (proto) {
	case SW_PROTO_H2: return tls ? "h2" : "h2c";
	case SW_PROTO_H1: return "http/1.1";
	case SW_PROTO_AUTO: break;
	}
	return "auto";
}

uint64_t sw_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int sw_hdrs_add(struct sw_hdrs *h, const char *name, size_t namelen,
                const char *value, size_t valuelen)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		struct sw_hdr *v = realloc(h->v, cap * sizeof(*v));
		if (!v)
			return SW_ERR_NOMEM;
		h->v = v;
		h->cap = cap;
	}
	/* One allocation holds both strings: "name\0value\0". */
	char *mem = malloc(namelen + valuelen + 2);
	if (!mem)
		return SW_ERR_NOMEM;
	for (size_t i = 0; i < namelen; i++)
		mem[i] = (char)tolower((unsigned char)name[i]);
	mem[namelen] = '\0';
	memcpy(mem + namelen + 1, value, valuelen);
	mem[namelen + 1 + valuelen] = '\0';
	struct sw_hdr *e = &h->v[h->n++];
	e->name = mem;
	e->value = mem + namelen + 1;
	e->namelen = namelen;
	e->valuelen = valuelen;
	h->bytes += namelen + valuelen;
	return 0;
}

const char *sw_hdrs_get(const struct sw_hdrs *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcasecmp(h->v[i].name, name) == 0)
			return h->v[i].value;
	return NULL;
}

void sw_hdrs_clear(struct sw_hdrs *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		free(h->v[i].name); /* value shares the allocation */
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
	h->bytes = 0;
}

struct sw_req *sw_req_new(const char *method, const char *path)
{
	struct sw_req *req = calloc(1, sizeof(*req));
	if (!req)
		return NULL;
	req->method = strdup(method);
	req->path = strdup(path);
	req->body = evbuffer_new();
	if (!req->method || !req->path || !req->body) {
		sw_req_free(&req);
		return NULL;
	}
	req->idempotent = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
	                  strcmp(method, "PUT") == 0 || strcmp(method, "DELETE") == 0;
	return req;
}

const char *sw_retry_reason_name(int r)
{
	static const char *const names[SW_RETRY_REASON_COUNT] = {
		[SW_RETRY_GOAWAY] = "goaway",
		[SW_RETRY_REFUSED_STREAM] = "refused_stream",
		[SW_RETRY_CONN_CLOSED] = "conn_closed_before_response",
		[SW_RETRY_NOT_SENT] = "not_sent",
		[SW_RETRY_CONNECT_FAILED] = "connect_failed",
	};
	return r >= 0 && r < SW_RETRY_REASON_COUNT ? names[r] : "other";
}

size_t sw_http_value_bad(const char *v, size_t len)
{
	size_t i = 0;

#ifdef __SSE2__
	/* Every request's headers pass here twice (built, then checked before
	 * sending): 16 bytes at a time. A byte is bad when it is at most 0x1f
	 * (unsigned: max(b, 0x1f) == 0x1f) and no tab, or 0x7f. */
	const __m128i c1f = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8('\t'), del = _mm_set1_epi8(0x7f);
	for (; len - i >= 16; i += 16) {
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(v + i));
		__m128i ctl = _mm_andnot_si128(_mm_cmpeq_epi8(b, tab), _mm_cmpeq_epi8(_mm_max_epu8(b, c1f), c1f));
		unsigned bits = (unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, _mm_cmpeq_epi8(b, del)));
		if (bits)
			return i + (unsigned)__builtin_ctz(bits) + 1;
	}
#endif
	for (; i < len; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
			return i + 1;
	return 0;
}

/* RFC 9110 tchar: what a method or a header name may contain. */
static const unsigned char tchar_tab[256] = {
	['a' ... 'z'] = 1, ['A' ... 'Z'] = 1, ['0' ... '9'] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1,
	['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1,
	['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
};

static int tchar(unsigned char ch)
{
	return tchar_tab[ch];
}

int sw_req_check(const struct sw_req *req)
{
	size_t n;

	if (!req || !req->method || !req->path)
		return SW_ERR_INVALID;
	n = strlen(req->method);
	if (n == 0 || n > 32)
		return SW_ERR_INVALID;
	for (size_t i = 0; i < n; i++)
		if (!tchar((unsigned char)req->method[i]))
			return SW_ERR_INVALID;
	if (req->path[0] != '/')
		return SW_ERR_INVALID;
	for (const char *p = req->path; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return SW_ERR_INVALID;
	for (size_t i = 0; i < req->hdrs.n; i++) {
		const struct sw_hdr *h = &req->hdrs.v[i];
		if (!h->name || !h->value || h->namelen == 0 || strlen(h->name) != h->namelen ||
		    strlen(h->value) != h->valuelen)
			return SW_ERR_INVALID;
		for (size_t k = 0; k < h->namelen; k++)
			if (!tchar((unsigned char)h->name[k]))
				return SW_ERR_INVALID;
		if (sw_http_value_bad(h->value, h->valuelen))
			return SW_ERR_INVALID;
	}
	return 0;
}

int sw_req_header(struct sw_req *req, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);

	/* A CR or LF from a server-provided value would split the header block
	 * on HTTP/1.1 (and nghttp2 does not check what we send). */
	if (!nl)
		return SW_ERR_INVALID;
	for (size_t i = 0; i < nl; i++)
		if (!tchar((unsigned char)name[i]))
			return SW_ERR_INVALID;
	if (sw_http_value_bad(value, vl))
		return SW_ERR_INVALID;
	return sw_hdrs_add(&req->hdrs, name, nl, value, vl);
}

int sw_req_json(struct sw_req *req, const char *json, size_t len)
{
	if (evbuffer_add(req->body, json, len) != 0)
		return SW_ERR_NOMEM;
	return sw_req_header(req, "content-type", "application/json");
}

void sw_req_free(struct sw_req **reqp)
{
	if (!reqp || !*reqp)
		return;
	struct sw_req *req = *reqp;
	free(req->method);
	free(req->path);
	sw_hdrs_clear(&req->hdrs);
	if (req->body)
		evbuffer_free(req->body);
	free(req);
	*reqp = NULL;
}

int sw_multipart_file(struct evbuffer *out, char *ctype, size_t ctypelen,
                      const char *field, const char *filename,
                      const char *file_ctype, const void *data, size_t len)
{
	unsigned char rnd[12];
	char boundary[40];
	if (!field || !filename || strpbrk(field, "\"\r\n") || strpbrk(filename, "\"\r\n"))
		return SW_ERR_INVALID;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return SW_ERR_INVALID;
	int o = snprintf(boundary, sizeof(boundary), "swarm");
	for (size_t i = 0; i < sizeof(rnd); i++)
		o += snprintf(boundary + o, sizeof(boundary) - (size_t)o, "%02x", rnd[i]);
	if ((size_t)snprintf(ctype, ctypelen, "multipart/form-data; boundary=%s", boundary) >= ctypelen)
		return SW_ERR_INVALID;
	if (evbuffer_add_printf(out,
	                        "--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
	                        "Content-Type: %s\r\n\r\n",
	                        boundary, field, filename,
	                        file_ctype ? file_ctype : "application/octet-stream") < 0 ||
	    evbuffer_add(out, data, len) != 0 ||
	    evbuffer_add_printf(out, "\r\n--%s--\r\n", boundary) < 0)
		return SW_ERR_NOMEM;
	return 0;
}

const char *sw_http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Entity";
	case 423: return "Locked";
	case 425: return "Too Early";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: break;
	}
	return status < 200 ? "Informational" : status < 300 ? "OK" : status < 400 ? "Redirect"
	     : status < 500 ? "Client Error" : "Server Error";
}
