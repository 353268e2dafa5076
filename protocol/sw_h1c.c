#include "sw_h1c.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sw_err.h"
#include "sw_http.h"

void sw_h1p_init(struct sw_h1p *p, const struct sw_h1p_cbs *cbs, void *arg,
                 size_t max_header_bytes, size_t max_body_bytes)
{
	memset(p, 0, sizeof(*p));
	p->cbs = cbs;
	p->arg = arg;
	p->max_header_bytes = max_header_bytes;
	p->max_body_bytes = max_body_bytes;
}

void sw_h1p_reset(struct sw_h1p *p, int head_request)
{
	p->state = SW_H1P_IDLE;
	p->head_request = head_request;
	p->keep_alive = 0;
	p->status = p->minor = 0;
	p->content_length = p->remaining = p->body_bytes = 0;
	p->chunked = p->have_cl = 0;
	p->head_bytes = 0;
	p->total_in = 0;
	p->buflen = 0;
}

void sw_h1p_release(struct sw_h1p *p)
{
	if (!p)
		return;
	free(p->buf);
	p->buf = NULL;
	p->buflen = p->bufcap = 0;
}

static int is_tchar(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
		return 1;
	return ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* Case-insensitive search of |tok| as a comma-separated token in |v|. */
static int has_token(const char *v, size_t vl, const char *tok)
{
	size_t tl = strlen(tok), i = 0;
	while (i < vl) {
		while (i < vl && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < vl && v[i] != ',')
			i++;
		size_t e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp(v + s, tok, tl) == 0)
			return 1;
	}
	return 0;
}

static int parse_status_line(struct sw_h1p *p, const char *l, size_t n)
{
	/* "HTTP/1.x SSS[ reason]" */
	if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || l[7] < '0' || l[7] > '9' || l[8] != ' ')
		return SW_ERR_PROTO;
	for (int i = 9; i < 12; i++)
		if (l[i] < '0' || l[i] > '9')
			return SW_ERR_PROTO;
	if (n > 12 && l[12] != ' ')
		return SW_ERR_PROTO;
	p->minor = l[7] - '0';
	p->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (p->status < 100)
		return SW_ERR_PROTO;
	return 0;
}

static int parse_cl(const char *v, size_t vl, uint64_t *out)
{
	uint64_t x = 0;
	if (vl == 0 || vl > 18)
		return SW_ERR_PROTO;
	for (size_t i = 0; i < vl; i++) {
		if (v[i] < '0' || v[i] > '9')
			return SW_ERR_PROTO;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return 0;
}

/* Parses a complete header block |b| (|n| bytes, terminator included). */
static int parse_head(struct sw_h1p *p, const char *b, size_t n)
{
	const char *end = b + n, *l = b;
	int rv, first = 1, keep = -1;
	while (l < end) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		if (!nl)
			return SW_ERR_PROTO;
		size_t ll = (size_t)(nl - l);
		if (ll && l[ll - 1] == '\r')
			ll--;
		if (first) {
			rv = parse_status_line(p, l, ll);
			if (rv)
				return rv;
			first = 0;
			/* Informational responses carry headers we do not need. */
			if (p->status >= 100 && p->status < 200)
				return 0;
			rv = p->cbs->on_status ? p->cbs->on_status(p->arg, p->status, p->minor) : 0;
			if (rv)
				return rv;
		} else if (ll == 0) {
			break;
		} else {
			if (l[0] == ' ' || l[0] == '\t')
				return SW_ERR_PROTO; /* obsolete line folding */
			const char *colon = memchr(l, ':', ll);
			if (!colon || colon == l)
				return SW_ERR_PROTO;
			size_t nlen = (size_t)(colon - l);
			for (size_t i = 0; i < nlen; i++)
				if (!is_tchar((unsigned char)l[i]))
					return SW_ERR_PROTO;
			const char *v = colon + 1, *ve = l + ll;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			size_t vl = (size_t)(ve - v);
			for (size_t i = 0; i < vl; i++)
				if ((unsigned char)v[i] < 0x20 && v[i] != '\t')
					return SW_ERR_PROTO;
			if (nlen == 14 && strncasecmp(l, "content-length", 14) == 0) {
				uint64_t cl;
				if (parse_cl(v, vl, &cl))
					return SW_ERR_PROTO;
				if (p->have_cl && cl != p->content_length)
					return SW_ERR_PROTO;
				p->have_cl = 1;
				p->content_length = cl;
			} else if (nlen == 17 && strncasecmp(l, "transfer-encoding", 17) == 0) {
				/* Only chunked is understood; it must be the final coding. */
				if (vl < 7 || strncasecmp(ve - 7, "chunked", 7) != 0)
					return SW_ERR_PROTO;
				p->chunked = 1;
			} else if (nlen == 10 && strncasecmp(l, "connection", 10) == 0) {
				if (has_token(v, vl, "close"))
					keep = 0;
				else if (has_token(v, vl, "keep-alive") && keep != 0)
					keep = 1;
			}
			rv = p->cbs->on_header ? p->cbs->on_header(p->arg, l, nlen, v, vl) : 0;
			if (rv)
				return rv;
		}
		l = nl + 1;
	}
	if (first)
		return SW_ERR_PROTO;
	p->keep_alive = keep == -1 ? (p->minor >= 1) : keep;
	if (p->chunked && p->have_cl)
		return SW_ERR_PROTO; /* request smuggling shape; refuse it */
	if (p->head_request || p->status == 204 || p->status == 304) {
		p->state = SW_H1P_DONE;
	} else if (p->chunked) {
		/* Trailers count against what the header block left of the limit. */
		p->state = SW_H1P_CHUNKED;
		sw_chunked_init(&p->chunk, p->max_body_bytes,
		                p->max_header_bytes > p->head_bytes ? p->max_header_bytes - p->head_bytes : 1);
	} else if (p->have_cl) {
		if (p->content_length > p->max_body_bytes)
			return SW_ERR_TOO_BIG;
		p->remaining = p->content_length;
		p->state = p->remaining ? SW_H1P_BODY_LEN : SW_H1P_DONE;
	} else {
		p->keep_alive = 0;
		p->state = SW_H1P_BODY_EOF;
	}
	if (p->state == SW_H1P_DONE && p->cbs->on_done)
		return p->cbs->on_done(p->arg);
	return 0;
}

/* Finds the end of a header block in |b|, searching from |from|. Returns the
 * block length including the terminator, or 0. */
static size_t find_head_end(const char *b, size_t n, size_t from)
{
	for (size_t i = from; i < n; i++) {
		if (b[i] != '\n')
			continue;
		if (i + 1 < n && b[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && b[i + 1] == '\r' && b[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static int buf_append(struct sw_h1p *p, const char *d, size_t n)
{
	if (p->buflen + n > p->bufcap) {
		size_t cap = p->bufcap ? p->bufcap : 1024;
		while (cap < p->buflen + n)
			cap *= 2;
		char *nb = realloc(p->buf, cap);
		if (!nb)
			return SW_ERR_NOMEM;
		p->buf = nb;
		p->bufcap = cap;
	}
	memcpy(p->buf + p->buflen, d, n);
	p->buflen += n;
	return 0;
}

/* Header phase: returns bytes of |d| consumed or a negative code. */
static long feed_head(struct sw_h1p *p, const char *d, size_t n)
{
	int rv;
	if (p->buflen == 0) {
		/* Fast path: the whole block is in this read; parse it in place. The
		 * common case for small responses. */
		size_t e = find_head_end(d, n, 0);
		if (e) {
			if (e > p->max_header_bytes)
				return SW_ERR_TOO_BIG;
			p->head_bytes = e;
			rv = parse_head(p, d, e);
			return rv ? rv : (long)e;
		}
		if (n > p->max_header_bytes)
			return SW_ERR_TOO_BIG;
		rv = buf_append(p, d, n);
		return rv ? rv : (long)n;
	}
	size_t old = p->buflen;
	size_t take = n;
	if (old + take > p->max_header_bytes + 3)
		take = p->max_header_bytes + 3 - old;
	rv = buf_append(p, d, take);
	if (rv)
		return rv;
	size_t e = find_head_end(p->buf, p->buflen, old >= 2 ? old - 2 : 0);
	if (!e) {
		if (p->buflen > p->max_header_bytes)
			return SW_ERR_TOO_BIG;
		return (long)take;
	}
	if (e > p->max_header_bytes)
		return SW_ERR_TOO_BIG;
	p->head_bytes = e;
	size_t used = e - old;
	rv = parse_head(p, p->buf, e);
	p->buflen = 0;
	return rv ? rv : (long)used;
}

static int body(struct sw_h1p *p, const char *d, size_t n)
{
	if (p->body_bytes + n > p->max_body_bytes)
		return SW_ERR_TOO_BIG;
	p->body_bytes += n;
	return p->cbs->on_body ? p->cbs->on_body(p->arg, d, n) : 0;
}

/* Payload of a chunked body: the decoder enforces the body limit already. */
static int chunk_data(void *arg, const char *d, size_t n)
{
	struct sw_h1p *p = arg;

	p->body_bytes += n;
	return p->cbs->on_body ? p->cbs->on_body(p->arg, d, n) : 0;
}

static int done(struct sw_h1p *p)
{
	p->state = SW_H1P_DONE;
	return p->cbs->on_done ? p->cbs->on_done(p->arg) : 0;
}

int sw_h1p_feed(struct sw_h1p *p, const char *data, size_t len, size_t *consumed)
{
	size_t i = 0;
	int rv = 0;
	while (i < len && rv == 0) {
		const char *d = data + i;
		size_t n = len - i;
		switch (p->state) {
		case SW_H1P_IDLE:
		case SW_H1P_HEAD: {
			p->state = SW_H1P_HEAD;
			long r = feed_head(p, d, n);
			if (r < 0) {
				rv = (int)r;
				break;
			}
			i += (size_t)r;
			/* A 1xx response leaves us waiting for the next status line. */
			if (p->state == SW_H1P_HEAD && p->buflen == 0 && p->status >= 100 && p->status < 200) {
				p->status = 0;
				p->head_bytes = 0;
			}
			break;
		}
		case SW_H1P_BODY_LEN: {
			size_t take = n < p->remaining ? n : (size_t)p->remaining;
			rv = body(p, d, take);
			i += take;
			p->remaining -= take;
			if (!rv && p->remaining == 0)
				rv = done(p);
			break;
		}
		case SW_H1P_BODY_EOF:
			rv = body(p, d, n);
			i += n;
			break;
		case SW_H1P_CHUNKED: {
			size_t used = 0;
			int fin = 0;
			rv = sw_chunked_feed(&p->chunk, d, n, &used, &fin, chunk_data, p);
			i += used;
			if (!rv && fin)
				rv = done(p);
			break;
		}
		case SW_H1P_DONE:
			goto out;
		case SW_H1P_ERROR:
			rv = SW_ERR_PROTO;
			break;
		}
	}
out:
	p->total_in += i;
	if (consumed)
		*consumed = i;
	if (rv)
		p->state = SW_H1P_ERROR;
	return rv;
}

int sw_h1p_eof(struct sw_h1p *p)
{
	if (p->state == SW_H1P_BODY_EOF)
		return done(p);
	if (p->state == SW_H1P_DONE)
		return 0;
	return SW_ERR_CLOSED;
}
