#include "hub_json.h"

#include <errno.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_hex.h"
#include "sw_xalloc.h"

/* ---- buffer ---- */

void hub_buf_free(struct hub_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void hub_buf_reserve(struct hub_buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

void hub_buf_put(struct hub_buf *b, const void *data, size_t n)
{
	if (n == 0)
		return; /* b->p may still be NULL, and memcpy's arguments must not be */
	hub_buf_reserve(b, n);
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

/* ---- writer (jansson's dump.c rules for JSON_COMPACT) ---- */

/* What a byte becomes in a JSON string: 0 itself, else the letter of its
 * two-character escape, or 'u' for a six-character one. */
static const char escape_of[256] = {
	['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't',
	[0] = 'u', [1] = 'u', [2] = 'u', [3] = 'u', [4] = 'u', [5] = 'u', [6] = 'u', [7] = 'u',
	[11] = 'u', [14] = 'u', [15] = 'u', [16] = 'u', [17] = 'u', [18] = 'u', [19] = 'u',
	[20] = 'u', [21] = 'u', [22] = 'u', [23] = 'u', [24] = 'u', [25] = 'u', [26] = 'u',
	[27] = 'u', [28] = 'u', [29] = 'u', [30] = 'u', [31] = 'u', ['"'] = '"', ['\\'] = '\\',
};

static void put_char(struct hub_buf *b, char c)
{
	hub_buf_reserve(b, 1);
	b->p[b->len++] = c;
}

void hub_json_write_string(struct hub_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	hub_buf_reserve(b, n + 2);
	char *o = b->p + b->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e = escape_of[c];
		if (!e) {
			*o++ = (char)c;
			continue;
		}
		/* room for this escape and the rest */
		b->len = (size_t)(o - b->p);
		hub_buf_reserve(b, 6 + n - i + 1);
		o = b->p + b->len;
		*o++ = '\\';
		*o++ = e;
		if (e == 'u') {
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
}

static void write_integer(struct hub_buf *b, json_int_t v)
{
	char d[24];
	size_t n = sizeof(d);
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
	do {
		d[--n] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		d[--n] = '-';
	hub_buf_put(b, d + n, sizeof(d) - n);
}

/* jsonp_dtostr() with the default precision (17). */
static void write_real(struct hub_buf *b, double v)
{
	char buf[100];
	int r = snprintf(buf, sizeof(buf), "%.17g", v);
	if (r < 0 || (size_t)r >= sizeof(buf) - 3) {
		hub_buf_put(b, "0.0", 3);
		return;
	}
	size_t len = (size_t)r;
	const char *dp = localeconv()->decimal_point;
	if (dp && dp[0] && dp[0] != '.') {
		char *pos = strchr(buf, dp[0]);
		if (pos)
			*pos = '.';
	}
	if (!strchr(buf, '.') && !strchr(buf, 'e')) {
		memcpy(buf + len, ".0", 3);
		len += 2;
	}
	/* no '+' and no leading zeros in the exponent */
	char *start = strchr(buf, 'e');
	if (start) {
		start++;
		char *end = start + 1;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, len - (size_t)(end - buf));
			len -= (size_t)(end - start);
		}
	}
	hub_buf_put(b, buf, len);
}

void hub_json_write(struct hub_buf *b, const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_NULL:
		hub_buf_put(b, "null", 4);
		break;
	case JSON_TRUE:
		hub_buf_put(b, "true", 4);
		break;
	case JSON_FALSE:
		hub_buf_put(b, "false", 5);
		break;
	case JSON_INTEGER:
		write_integer(b, json_integer_value(j));
		break;
	case JSON_REAL:
		write_real(b, json_real_value(j));
		break;
	case JSON_STRING:
		hub_json_write_string(b, json_string_value(j), json_string_length(j));
		break;
	case JSON_ARRAY: {
		size_t n = json_array_size(j);
		put_char(b, '[');
		for (size_t i = 0; i < n; i++) {
			if (i)
				put_char(b, ',');
			hub_json_write(b, json_array_get(j, i));
		}
		put_char(b, ']');
		break;
	}
	case JSON_OBJECT: {
		put_char(b, '{');
		int first = 1;
		for (void *it = json_object_iter((json_t *)j); it; it = json_object_iter_next((json_t *)j, it)) {
			if (!first)
				put_char(b, ',');
			first = 0;
			hub_json_write_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
			put_char(b, ':');
			hub_json_write(b, json_object_iter_value(it));
		}
		put_char(b, '}');
		break;
	}
	}
}

/* ---- scanner ---- */

static const char *skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* |p| at an opening quote: past the closing one, or NULL. */
static const char *skip_string(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\')
			p++;
	}
	return NULL;
}

/* Past the value at |p|, or NULL. Containers by bracket counting (no recursion). */
static const char *skip_value(const char *p, const char *e)
{
	p = skip_ws(p, e);
	if (p >= e)
		return NULL;
	if (*p == '"')
		return skip_string(p, e);
	if (*p == '{' || *p == '[') {
		size_t depth = 0;
		while (p < e) {
			char c = *p;
			if (c == '"') {
				p = skip_string(p, e);
				if (!p)
					return NULL;
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && --depth == 0)
				return p + 1;
			p++;
		}
		return NULL;
	}
	const char *s = p;
	while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' && *p != '\n' &&
	       *p != '\r')
		p++;
	return p > s ? p : NULL;
}

int hub_json_find(const char *text, size_t len, const char *key, struct hub_json_span *out)
{
	const char *e = text + len, *p = skip_ws(text, e);
	size_t kl = strlen(key);
	if (p >= e || *p != '{')
		return 0;
	p = skip_ws(p + 1, e);
	if (p < e && *p == '}')
		return 0;
	while (p < e && *p == '"') {
		const char *k = p, *q = skip_string(p, e);
		if (!q)
			return 0;
		int match = (size_t)(q - k) == kl + 2 && memcmp(k + 1, key, kl) == 0;
		p = skip_ws(q, e);
		if (p >= e || *p != ':')
			return 0;
		const char *v = skip_ws(p + 1, e);
		q = skip_value(v, e);
		if (!q)
			return 0;
		if (match) {
			out->key = (size_t)(k - text);
			out->val = (size_t)(v - text);
			out->end = (size_t)(q - text);
			return 1;
		}
		p = skip_ws(q, e);
		if (p >= e || *p != ',')
			return 0;
		p = skip_ws(p + 1, e);
	}
	return 0;
}

/* ---- comparison with a text ---- */

static long hex4(const char *p, const char *e)
{
	if (e - p < 4)
		return -1;
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int d = sw_hexval(p[i]);
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* Decodes the escape at |p| (a backslash) into |out| (up to 4 bytes of UTF-8).
 * Returns the bytes written and advances *pp past the escape; 0 on a bad one. */
static size_t unescape(const char **pp, const char *e, char out[4])
{
	const char *p = *pp;
	if (e - p < 2)
		return 0;
	char c = p[1];
	*pp = p + 2;
	switch (c) {
	case '"': case '\\': case '/': out[0] = c; return 1;
	case 'b': out[0] = '\b'; return 1;
	case 'f': out[0] = '\f'; return 1;
	case 'n': out[0] = '\n'; return 1;
	case 'r': out[0] = '\r'; return 1;
	case 't': out[0] = '\t'; return 1;
	case 'u': break;
	default: return 0;
	}
	long cp = hex4(p + 2, e);
	if (cp < 0)
		return 0;
	*pp = p + 6;
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		const char *q = p + 6;
		long lo = e - q >= 6 && q[0] == '\\' && q[1] == 'u' ? hex4(q + 2, e) : -1;
		if (lo < 0xDC00 || lo > 0xDFFF)
			return 0;
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		*pp = q + 6;
	} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
		return 0;
	}
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Compares the string text at |p| (its opening quote) with s[0, n). Returns
 * the position past the closing quote when equal, else NULL. */
static const char *eq_string(const char *p, const char *e, const char *s, size_t n)
{
	size_t i = 0;
	p++;
	while (p < e) {
		const char *run = p;
		while (p < e && *p != '"' && *p != '\\')
			p++;
		size_t rl = (size_t)(p - run);
		if (rl > n - i || memcmp(s + i, run, rl) != 0)
			return NULL;
		i += rl;
		if (p >= e)
			return NULL;
		if (*p == '"')
			return i == n ? p + 1 : NULL;
		char u[4];
		size_t ul = unescape(&p, e, u);
		if (!ul || ul > n - i || memcmp(s + i, u, ul) != 0)
			return NULL;
		i += ul;
	}
	return NULL;
}

/* Decodes the string text at |p| (its opening quote) into |b| (emptied first).
 * Returns the position past the closing quote, or NULL. */
static const char *decode_string(const char *p, const char *e, struct hub_buf *b)
{
	b->len = 0;
	p++;
	while (p < e) {
		const char *run = p;
		while (p < e && *p != '"' && *p != '\\')
			p++;
		hub_buf_put(b, run, (size_t)(p - run));
		if (p >= e)
			return NULL;
		if (*p == '"')
			return p + 1;
		char u[4];
		size_t ul = unescape(&p, e, u);
		if (!ul)
			return NULL;
		hub_buf_put(b, u, ul);
	}
	return NULL;
}

/* ---- parser ---- */

struct reader {
	const char *p, *e;
	struct hub_buf str;            /* decoded strings with escapes */
	int depth;
};

/* The number text [p, q) as jansson parses it, or NULL. */
static json_t *number_of(const char *p, const char *q)
{
	char num[128];
	size_t n = (size_t)(q - p);
	if (n == 0 || n >= sizeof(num))
		return NULL;
	memcpy(num, p, n);
	num[n] = '\0';
	char *end = NULL;
	errno = 0;
	if (!memchr(num, '.', n) && !memchr(num, 'e', n) && !memchr(num, 'E', n)) {
		long long x = strtoll(num, &end, 10);
		return *end == '\0' && errno == 0 ? json_integer(x) : NULL;
	}
	const char *dp = localeconv()->decimal_point;
	if (dp && dp[0] && dp[0] != '.') {
		char *pos = strchr(num, '.');
		if (pos)
			*pos = dp[0];
	}
	double d = strtod(num, &end);
	return *end == '\0' && errno == 0 ? json_real(d) : NULL;
}

/* The string at r->p (its opening quote): its bytes in |s|/|n| (pointing into
 * the text, or into r->str when it had escapes). Returns 0 or -1. */
static int read_string(struct reader *r, const char **s, size_t *n)
{
	const char *q = r->p + 1;
	while (q < r->e && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
		q++;
	if (q < r->e && *q == '"') {
		*s = r->p + 1;
		*n = (size_t)(q - r->p - 1);
		r->p = q + 1;
		return 0;
	}
	q = decode_string(r->p, r->e, &r->str);
	/* as jansson: no raw control characters, no NUL (an escaped one) */
	if (!q || memchr(r->str.p ? r->str.p : "", '\0', r->str.len))
		return -1;
	for (const char *c = r->p + 1; c < q - 1; c++)
		if ((unsigned char)*c < 0x20)
			return -1;
	*s = r->str.p ? r->str.p : "";
	*n = r->str.len;
	r->p = q;
	return 0;
}

static json_t *read_value(struct reader *r);

static json_t *read_object(struct reader *r)
{
	json_t *o = json_object();
	r->p = skip_ws(r->p + 1, r->e);
	if (r->p < r->e && *r->p == '}') {
		r->p++;
		return o;
	}
	while (r->p < r->e && *r->p == '"') {
		const char *k;
		size_t kl;
		char *kcopy = NULL;
		if (read_string(r, &k, &kl) != 0)
			break;
		if (k == r->str.p) {
			/* decoded into the shared buffer, which the value may reuse */
			kcopy = xmalloc(kl + 1);
			memcpy(kcopy, k, kl);
			kcopy[kl] = '\0';
			k = kcopy;
		}
		r->p = skip_ws(r->p, r->e);
		json_t *v = NULL;
		if (r->p < r->e && *r->p == ':') {
			r->p++;
			v = read_value(r);
		}
		int bad = !v || json_object_setn_new_nocheck(o, k, kl, v) != 0;
		free(kcopy);
		if (bad)
			break;
		r->p = skip_ws(r->p, r->e);
		if (r->p < r->e && *r->p == ',') {
			r->p = skip_ws(r->p + 1, r->e);
			continue;
		}
		if (r->p < r->e && *r->p == '}') {
			r->p++;
			return o;
		}
		break;
	}
	json_decref(o);
	return NULL;
}

static json_t *read_array(struct reader *r)
{
	json_t *a = json_array();
	r->p = skip_ws(r->p + 1, r->e);
	if (r->p < r->e && *r->p == ']') {
		r->p++;
		return a;
	}
	while (r->p < r->e) {
		json_t *v = read_value(r);
		if (!v || json_array_append_new(a, v) != 0)
			break;
		r->p = skip_ws(r->p, r->e);
		if (r->p < r->e && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->e && *r->p == ']') {
			r->p++;
			return a;
		}
		break;
	}
	json_decref(a);
	return NULL;
}

static json_t *read_value(struct reader *r)
{
	r->p = skip_ws(r->p, r->e);
	if (r->p >= r->e)
		return NULL;
	json_t *v = NULL;
	switch (*r->p) {
	case '{':
	case '[':
		if (r->depth >= JSON_PARSER_MAX_DEPTH)
			return NULL;
		r->depth++;
		v = *r->p == '{' ? read_object(r) : read_array(r);
		r->depth--;
		return v;
	case '"': {
		const char *s;
		size_t n;
		if (read_string(r, &s, &n) != 0)
			return NULL;
		return json_stringn_nocheck(s, n);
	}
	case 't':
		if (r->e - r->p >= 4 && memcmp(r->p, "true", 4) == 0) {
			r->p += 4;
			return json_true();
		}
		return NULL;
	case 'f':
		if (r->e - r->p >= 5 && memcmp(r->p, "false", 5) == 0) {
			r->p += 5;
			return json_false();
		}
		return NULL;
	case 'n':
		if (r->e - r->p >= 4 && memcmp(r->p, "null", 4) == 0) {
			r->p += 4;
			return json_null();
		}
		return NULL;
	default: {
		const char *q = skip_value(r->p, r->e);
		if (!q)
			return NULL;
		v = number_of(r->p, q);
		r->p = q;
		return v;
	}
	}
}

json_t *hub_json_parse(const char *text, size_t len)
{
	struct reader r = {.p = text, .e = text + len};
	json_t *v = read_value(&r);
	hub_buf_free(&r.str);
	if (v && skip_ws(r.p, r.e) != r.e) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

/* Compares the number text [p, q) with |v| as jansson would have parsed it. */
static int eq_number(const json_t *v, const char *p, const char *q)
{
	char num[128];
	size_t n = (size_t)(q - p);
	if (n == 0 || n >= sizeof(num))
		return 0;
	memcpy(num, p, n);
	num[n] = '\0';
	int real = memchr(num, '.', n) || memchr(num, 'e', n) || memchr(num, 'E', n);
	char *end = NULL;
	if (!real) {
		if (!json_is_integer(v))
			return 0;
		long long x = strtoll(num, &end, 10);
		return *end == '\0' && x == json_integer_value(v);
	}
	if (!json_is_real(v))
		return 0;
	const char *dp = localeconv()->decimal_point;
	if (dp && dp[0] && dp[0] != '.') {
		char *pos = strchr(num, '.');
		if (pos)
			*pos = dp[0];
	}
	double d = strtod(num, &end);
	return *end == '\0' && d == json_real_value(v);
}

static const char *eq_value(const json_t *v, const char *p, const char *e, struct hub_buf *key);

static const char *eq_object(const json_t *v, const char *p, const char *e, struct hub_buf *key)
{
	if (!json_is_object(v))
		return NULL;
	size_t count = 0;
	p = skip_ws(p + 1, e);
	if (p < e && *p == '}')
		return json_object_size(v) == 0 ? p + 1 : NULL;
	while (p < e && *p == '"') {
		const char *q = p + 1;
		while (q < e && *q != '"' && *q != '\\')
			q++;
		const json_t *m;
		if (q < e && *q == '"') {
			m = json_object_getn(v, p + 1, (size_t)(q - p - 1));
			q++;
		} else {
			q = decode_string(p, e, key);
			if (!q)
				return NULL;
			m = json_object_getn(v, key->p, key->len);
		}
		if (!m)
			return NULL;
		p = skip_ws(q, e);
		if (p >= e || *p != ':')
			return NULL;
		p = eq_value(m, p + 1, e, key);
		if (!p)
			return NULL;
		count++;
		p = skip_ws(p, e);
		if (p < e && *p == ',') {
			p = skip_ws(p + 1, e);
			continue;
		}
		if (p < e && *p == '}')
			return count == json_object_size(v) ? p + 1 : NULL;
		return NULL;
	}
	return NULL;
}

static const char *eq_array(const json_t *v, const char *p, const char *e, struct hub_buf *key)
{
	if (!json_is_array(v))
		return NULL;
	size_t n = json_array_size(v), i = 0;
	p = skip_ws(p + 1, e);
	if (p < e && *p == ']')
		return n == 0 ? p + 1 : NULL;
	while (p < e) {
		if (i >= n)
			return NULL;
		p = eq_value(json_array_get(v, i++), p, e, key);
		if (!p)
			return NULL;
		p = skip_ws(p, e);
		if (p < e && *p == ',') {
			p++;
			continue;
		}
		if (p < e && *p == ']')
			return i == n ? p + 1 : NULL;
		return NULL;
	}
	return NULL;
}

/* Past the value at |p| when it equals |v|, else NULL. */
static const char *eq_value(const json_t *v, const char *p, const char *e, struct hub_buf *key)
{
	p = skip_ws(p, e);
	if (p >= e)
		return NULL;
	switch (*p) {
	case '{':
		return eq_object(v, p, e, key);
	case '[':
		return eq_array(v, p, e, key);
	case '"':
		return json_is_string(v) ? eq_string(p, e, json_string_value(v), json_string_length(v)) : NULL;
	case 't':
		return json_is_true(v) && e - p >= 4 && memcmp(p, "true", 4) == 0 ? p + 4 : NULL;
	case 'f':
		return json_is_false(v) && e - p >= 5 && memcmp(p, "false", 5) == 0 ? p + 5 : NULL;
	case 'n':
		return json_is_null(v) && e - p >= 4 && memcmp(p, "null", 4) == 0 ? p + 4 : NULL;
	default: {
		const char *q = skip_value(p, e);
		return q && eq_number(v, p, q) ? q : NULL;
	}
	}
}

int hub_json_equal_text(const json_t *v, const char *text, size_t len)
{
	if (!v)
		return 0;
	struct hub_buf key = {0};
	const char *e = text + len, *p = eq_value(v, text, e, &key);
	hub_buf_free(&key);
	return p && skip_ws(p, e) == e;
}
