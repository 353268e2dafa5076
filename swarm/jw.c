/*
 * jw: see jw.h. The escaping mirrors jansson's dump_string() (src/dump.c)
 * so that a body written here is the body the jansson version sent.
 */
#include "jw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_jscan.h"
#include "sw_xalloc.h"

void jw_init(struct jw *w, size_t cap_hint)
{
	memset(w, 0, sizeof(*w));
	w->cap = cap_hint > 16 ? cap_hint : 16;
	w->buf = xmalloc(w->cap);
	w->buf[0] = '\0';
}

void jw_free(struct jw *w)
{
	if (!w)
		return;
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

char *jw_take(struct jw *w, size_t *len)
{
	char *b = w->buf;

	if (len)
		*len = w->len;
	memset(w, 0, sizeof(*w));
	return b;
}

/* Room for |n| more bytes and the NUL. */
static char *room(struct jw *w, size_t n)
{
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 16;
		while (w->len + n + 1 > cap)
			cap *= 2;
		w->buf = xrealloc(w->buf, cap);
		w->cap = cap;
	}
	return w->buf + w->len;
}

static void put(struct jw *w, const char *s, size_t n)
{
	memcpy(room(w, n), s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void putc1(struct jw *w, char c)
{
	*room(w, 1) = c;
	w->len++;
	w->buf[w->len] = '\0';
}

/* The comma before a value or a key, when its container has a member. */
static void sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (!w->depth)
		return;
	if (w->has_member & (1u << (w->depth - 1)))
		putc1(w, ',');
	w->has_member |= 1u << (w->depth - 1);
}

static void open_c(struct jw *w, char c)
{
	sep(w);
	if (w->depth >= JW_MAX_DEPTH) {
		fputs("swarm: jw: JSON nesting deeper than JW_MAX_DEPTH\n", stderr);
		abort();
	}
	putc1(w, c);
	w->has_member &= ~(1u << w->depth);
	w->depth++;
}

static void close_c(struct jw *w, char c)
{
	if (w->depth)
		w->depth--;
	putc1(w, c);
}

void jw_obj(struct jw *w)
{
	open_c(w, '{');
}

void jw_obj_end(struct jw *w)
{
	close_c(w, '}');
}

void jw_arr(struct jw *w)
{
	open_c(w, '[');
}

void jw_arr_end(struct jw *w)
{
	close_c(w, ']');
}

static void put_string(struct jw *w, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;

	putc1(w, '"');
	while (p < end) {
		unsigned char c = *p;
		const char *esc = NULL;
		char seq[8];
		size_t adv = 1;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0x80) {
			adv = sw_utf8_seq_len(p, end);
			if (adv) {
				p += adv;
				continue;
			}
			adv = 1;
			esc = "\xef\xbf\xbd"; /* U+FFFD for a byte that is not UTF-8 */
		} else {
			switch (c) {
			case '"': esc = "\\\""; break;
			case '\\': esc = "\\\\"; break;
			case '\b': esc = "\\b"; break;
			case '\f': esc = "\\f"; break;
			case '\n': esc = "\\n"; break;
			case '\r': esc = "\\r"; break;
			case '\t': esc = "\\t"; break;
			default:
				snprintf(seq, sizeof(seq), "\\u%04X", c);
				esc = seq;
				break;
			}
		}
		put(w, (const char *)run, (size_t)(p - run));
		put(w, esc, strlen(esc));
		p += adv;
		run = p;
	}
	put(w, (const char *)run, (size_t)(p - run));
	putc1(w, '"');
}

void jw_key(struct jw *w, const char *key)
{
	sep(w);
	put_string(w, key, strlen(key));
	putc1(w, ':');
	w->after_key = 1;
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
	sep(w);
	put_string(w, s, n);
}

void jw_str(struct jw *w, const char *s)
{
	jw_strn(w, s, strlen(s));
}

void jw_int(struct jw *w, long long v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%lld", v);

	sep(w);
	put(w, b, (size_t)n);
}

void jw_bool(struct jw *w, int v)
{
	sep(w);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void jw_real(struct jw *w, double v)
{
	char b[40];
	int n = snprintf(b, sizeof(b), "%.17g", v);

	char *e;

	sep(w);
	/* jansson's jsonp_dtostr: a real keeps a '.' or an 'e' so that it
	 * reads back as a real; the exponent loses its '+' and leading zeros */
	if (!strchr(b, '.') && !strchr(b, 'e') && n + 2 < (int)sizeof(b)) {
		memcpy(b + n, ".0", 3);
		n += 2;
	}
	e = strchr(b, 'e');
	if (e) {
		char *start = e + 1, *digits = start;
		if (*digits == '-')
			start = ++digits;
		else if (*digits == '+')
			digits++;
		while (*digits == '0' && digits[1])
			digits++;
		memmove(start, digits, strlen(digits) + 1);
		n = (int)strlen(b);
	}
	put(w, b, (size_t)n);
}

void jw_raw(struct jw *w, const char *json, size_t n)
{
	sep(w);
	put(w, json, n);
}

void jw_kstr(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_str(w, s);
}

void jw_kint(struct jw *w, const char *key, long long v)
{
	jw_key(w, key);
	jw_int(w, v);
}

void jw_kbool(struct jw *w, const char *key, int v)
{
	jw_key(w, key);
	jw_bool(w, v);
}
