#include "hub_json.h"

#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	hub_buf_reserve(b, n);
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

/* ---- writer (jansson's dump.c rules for JSON_COMPACT) ---- */

void hub_json_write_string(struct hub_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	hub_buf_reserve(b, n + 2);
	b->p[b->len++] = '"';
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		hub_buf_put(b, s + run, i - run);
		run = i + 1;
		char esc[6] = {'\\', 0, '0', '0', 0, 0};
		size_t el = 2;
		switch (c) {
		case '\\': esc[1] = '\\'; break;
		case '"': esc[1] = '"'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			el = 6;
		}
		hub_buf_put(b, esc, el);
	}
	hub_buf_put(b, s + run, n - run);
	hub_buf_put(b, "\"", 1);
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
		hub_buf_put(b, "[", 1);
		for (size_t i = 0; i < n; i++) {
			if (i)
				hub_buf_put(b, ",", 1);
			hub_json_write(b, json_array_get(j, i));
		}
		hub_buf_put(b, "]", 1);
		break;
	}
	case JSON_OBJECT: {
		hub_buf_put(b, "{", 1);
		int first = 1;
		for (void *it = json_object_iter((json_t *)j); it; it = json_object_iter_next((json_t *)j, it)) {
			if (!first)
				hub_buf_put(b, ",", 1);
			first = 0;
			hub_json_write_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
			hub_buf_put(b, ":", 1);
			hub_json_write(b, json_object_iter_value(it));
		}
		hub_buf_put(b, "}", 1);
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

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static long hex4(const char *p, const char *e)
{
	if (e - p < 4)
		return -1;
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int d = hexval(p[i]);
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
