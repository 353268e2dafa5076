#include "sw_srv_h1.h"

#include <string.h>
#include <strings.h>

#include "sw_err.h"
#include "sw_http.h"

/* RFC 9110 tchar. */
static int is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field values: VCHAR, SP, HTAB and obs-text; no other control bytes. */
static int is_vchar_ws(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Finds the end of the line starting at |p|; returns the index of '\n' or -1 when
 * the buffer ends first; *|eol| is the length without the line terminator. A bare
 * CR inside a line is an error (-2). */
static long line_end(const char *p, size_t len, size_t *eol)
{
	const char *nl = memchr(p, '\n', len);
	if (!nl)
		return -1;
	size_t n = (size_t)(nl - p);
	size_t body = n;
	if (body > 0 && p[body - 1] == '\r')
		body--;
	if (memchr(p, '\r', body))
		return -2;
	*eol = body;
	return (long)n;
}

static int span_ieq(struct sw_h1_span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

/* Does the comma-separated list |v| contain the token |tok| (case-insensitive)? */
static int list_has(struct sw_h1_span v, const char *tok)
{
	size_t tn = strlen(tok);
	size_t i = 0;
	while (i < v.n) {
		while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ','))
			i++;
		size_t s = i;
		while (i < v.n && v.p[i] != ',')
			i++;
		size_t e = i;
		while (e > s && (v.p[e - 1] == ' ' || v.p[e - 1] == '\t'))
			e--;
		if (e - s == tn && strncasecmp(v.p + s, tok, tn) == 0)
			return 1;
	}
	return 0;
}

static int parse_request_line(const char *p, size_t n, struct sw_h1_head *h)
{
	size_t i = 0;
	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i >= n || p[i] != ' ')
		return SW_ERR_PROTO;
	h->method.p = p;
	h->method.n = i;
	size_t t = ++i;
	while (i < n && (unsigned char)p[i] > 0x20 && (unsigned char)p[i] < 0x7f)
		i++;
	if (i == t || i >= n || p[i] != ' ')
		return SW_ERR_PROTO;
	h->target.p = p + t;
	h->target.n = i - t;
	i++;
	if (n - i != 8 || memcmp(p + i, "HTTP/1.", 7) != 0)
		return SW_ERR_PROTO;
	if (p[i + 7] == '1')
		h->minor = 1;
	else if (p[i + 7] == '0')
		h->minor = 0;
	else
		return SW_ERR_PROTO;
	return 0;
}

static int parse_field(const char *p, size_t n, struct sw_h1_field *f)
{
	size_t i = 0;
	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	/* No whitespace allowed between name and colon (RFC 9112 §5.1). */
	if (i == 0 || i >= n || p[i] != ':')
		return SW_ERR_PROTO;
	f->name.p = p;
	f->name.n = i;
	i++;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	size_t e = n;
	while (e > i && (p[e - 1] == ' ' || p[e - 1] == '\t'))
		e--;
	for (size_t k = i; k < e; k++)
		if (!is_vchar_ws((unsigned char)p[k]))
			return SW_ERR_PROTO;
	f->value.p = p + i;
	f->value.n = e - i;
	return 0;
}

static int parse_content_length(struct sw_h1_span v, int64_t *out)
{
	if (v.n == 0 || v.n > 18)
		return SW_ERR_PROTO;
	int64_t x = 0;
	for (size_t i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return SW_ERR_PROTO;
		x = x * 10 + (v.p[i] - '0');
	}
	*out = x;
	return 0;
}

/* Derives framing from the fields; rejects the request-smuggling shapes
 * (Content-Length with Transfer-Encoding, conflicting lengths, codings we do not decode). */
static int derive_framing(struct sw_h1_head *h)
{
	int te = 0, keepalive = 0;
	h->content_length = -1;
	h->chunked = 0;
	h->close = 0;
	h->expect_continue = 0;
	for (size_t i = 0; i < h->nfields; i++) {
		struct sw_h1_field *f = &h->fields[i];
		if (span_ieq(f->name, "content-length")) {
			int64_t cl;
			if (parse_content_length(f->value, &cl) != 0)
				return SW_ERR_PROTO;
			if (h->content_length >= 0 && h->content_length != cl)
				return SW_ERR_PROTO;
			h->content_length = cl;
		} else if (span_ieq(f->name, "transfer-encoding")) {
			if (te || !span_ieq(f->value, "chunked"))
				return SW_ERR_PROTO;
			te = 1;
		} else if (span_ieq(f->name, "connection")) {
			if (list_has(f->value, "close"))
				h->close = 1;
			if (list_has(f->value, "keep-alive"))
				keepalive = 1;
		} else if (span_ieq(f->name, "expect")) {
			if (span_ieq(f->value, "100-continue") && h->minor == 1)
				h->expect_continue = 1;
		}
	}
	if (te) {
		if (h->content_length >= 0 || h->minor == 0)
			return SW_ERR_PROTO;
		h->chunked = 1;
	}
	if (h->minor == 0 && !keepalive)
		h->close = 1;
	return 0;
}

int sw_h1_parse_head(const char *buf, size_t len, struct sw_h1_head *h, size_t *consumed)
{
	size_t off = 0, eol = 0;
	int have_line = 0;
	*consumed = 0;
	h->nfields = 0;
	for (;;) {
		if (off >= len)
			return 0;
		long nl = line_end(buf + off, len - off, &eol);
		if (nl == -1)
			return 0;
		if (nl == -2)
			return SW_ERR_PROTO;
		const char *line = buf + off;
		off += (size_t)nl + 1;
		if (!have_line) {
			/* Tolerate empty lines before the request line (RFC 9112 §2.2). */
			if (eol == 0) {
				if (off > 64)
					return SW_ERR_PROTO;
				continue;
			}
			if (parse_request_line(line, eol, h) != 0)
				return SW_ERR_PROTO;
			have_line = 1;
			continue;
		}
		if (eol == 0)
			break;
		/* obs-fold is rejected rather than unfolded. */
		if (line[0] == ' ' || line[0] == '\t')
			return SW_ERR_PROTO;
		if (h->nfields == SW_H1_MAX_FIELDS)
			return SW_ERR_TOO_BIG;
		if (parse_field(line, eol, &h->fields[h->nfields]) != 0)
			return SW_ERR_PROTO;
		h->nfields++;
	}
	int rv = derive_framing(h);
	if (rv != 0)
		return rv;
	*consumed = off;
	return 0;
}
