/*
 * sw_jscan: one recursive-descent pass over the bytes (see sw_jscan.h). The
 * rules that decide acceptance are jansson 2.14's (src/load.c, src/utf.c):
 * each is noted where it is applied, because accepting a document jansson
 * would refuse (or the reverse) would change what the swarm does with a
 * server's answer.
 *
 * Picks are matched with a bit mask: a value receives the mask of the picks
 * whose first |level| pointer tokens named the path to it; a pick whose
 * pointer ends at that level takes the value. Values outside every pointer
 * are only validated.
 */
#include "sw_jscan.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "sw_err.h"
#include "sw_hex.h"

struct jseg {
	const char *s;
	size_t len;
	long idx;      /* array index, or -1: a key (or an all-digit token that is no index) */
	int is_index;  /* all digits: names array elements only, never object keys */
};

struct jptr {
	struct jseg seg[SW_JSCAN_MAX_SEGS];
	unsigned n;
};

struct scan {
	const unsigned char *p, *end;
	struct sw_jscan_pick *picks;
	const struct jptr *ptrs;
	size_t npicks;
	int err;       /* SW_ERR_NOMEM from a long number, else SW_ERR_PARSE */
};

/* Bytes a string scan must look at: the quote, the backslash, control
 * characters (refused raw, as jansson does) and non-ASCII (UTF-8 checked). */
static const unsigned char str_special[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

static int is_ws(unsigned char c)
{
	/* jansson's white space: exactly these four */
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Inlined: called around every token, and compact documents have no white
 * space, so the first test is usually the last. */
static inline __attribute__((always_inline)) void skip_ws(struct scan *s)
{
	while (s->p < s->end && is_ws(*s->p))
		s->p++;
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Four hex digits at |p| (bounded by |end|) into |*cp|. Returns 0 or -1. */
static int hex4(const unsigned char *p, const unsigned char *end, unsigned *cp)
{
	unsigned v = 0;
	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int h = sw_hexval((char)p[i]);
		if (h < 0)
			return -1;
		v = (v << 4) | (unsigned)h;
	}
	*cp = v;
	return 0;
}

/* jansson's utf8_check_first() + utf8_check_full(): see sw_jscan.h. */
size_t sw_utf8_seq_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char u = p[0];
	size_t n;
	uint32_t v;

	if (u >= 0xC2 && u <= 0xDF) {
		n = 2;
		v = u & 0x1F;
	} else if (u >= 0xE0 && u <= 0xEF) {
		n = 3;
		v = u & 0x0F;
	} else if (u >= 0xF0 && u <= 0xF4) {
		n = 4;
		v = u & 0x07;
	} else {
		return 0; /* continuation byte, C0/C1 or F5..FF */
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
		v = (v << 6) | (p[i] & 0x3Fu);
	}
	if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000))
		return 0;
	return n;
}

/* Escapes that stand for one character and need no further check (\" \\ \/
 * \b \f \n \r \t): the escaped byte. */
static const unsigned char simple_esc[256] = {
	['"'] = 1, ['\\'] = 1, ['/'] = 1, ['b'] = 1, ['f'] = 1, ['n'] = 1, ['r'] = 1, ['t'] = 1,
};

/* The first byte at or after |p| that a string scan must look at closely
 * (the quote, a \u or invalid escape, a control character, non-ASCII), or
 * |end|; the simple escapes on the way are skipped here (|*escaped| is then
 * set), because the strings of the service's answers are often JSON
 * documents themselves, with an escaped quote every few bytes. Strings are
 * most of a document's bytes: with SSE2 (every x86-64) 16 bytes are tested
 * at once; compared as signed bytes, one "less than 0x20" finds both the
 * control characters and the non-ASCII bytes (negative). */
static const unsigned char *str_skip(const unsigned char *p, const unsigned char *end, int *escaped)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
	              space = _mm_set1_epi8(0x20);
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned bs = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, bslash));
		unsigned bits = bs | (unsigned)_mm_movemask_epi8(
		                         _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmplt_epi8(v, space)));
		const unsigned char *next = p + 16;
		while (bits) {
			unsigned i = (unsigned)__builtin_ctz(bits);
			if (!(bs & (1u << i)) || p + i + 1 >= end || !simple_esc[p[i + 1]])
				return p + i;
			*escaped = 1;
			if (i == 15) {
				next = p + 17; /* the escaped byte was the block's last + 1 */
				break;
			}
			/* the backslash and the byte it escapes (a quote, a backslash...) */
			bits &= ~(3u << i);
			bs &= ~(3u << i);
		}
		p = next;
	}
#endif
	while (p < end) {
		if (*p == '\\' && end - p >= 2 && simple_esc[p[1]]) {
			*escaped = 1;
			p += 2;
			continue;
		}
		if (str_special[*p])
			return p;
		p++;
	}
	return p;
}

/* A string at s->p (the opening quote). */
static int scan_string(struct scan *s, struct sw_jscan_val *v)
{
	const unsigned char *p = s->p + 1, *end = s->end, *start = p;
	int escaped = 0;

	for (;;) {
		p = str_skip(p, end, &escaped);
		if (p >= end)
			return -1;
		unsigned char c = *p;
		if (c == '"')
			break;
		if (c == '\\') {
			escaped = 1;
			if (end - p < 2)
				return -1;
			c = p[1];
			if (c == 'u') {
				unsigned cp, lo;
				if (hex4(p + 2, end, &cp))
					return -1;
				p += 6;
				/* \u0000: jansson refuses it in values (no JSON_ALLOW_NUL)
				 * and in keys ("NUL byte in object key") alike. */
				if (cp == 0)
					return -1;
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					/* a high surrogate needs its low half right after it */
					if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, end, &lo) ||
					    lo < 0xDC00 || lo > 0xDFFF)
						return -1;
					p += 6;
				} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
					return -1; /* a lone low surrogate */
				}
			} else if (simple_esc[c]) {
				p += 2;
			} else {
				return -1;
			}
			continue;
		}
		if (c < 0x20)
			return -1; /* raw control character */
		size_t n = sw_utf8_seq_len(p, end);
		if (!n)
			return -1;
		p += n;
	}
	if (v) {
		v->type = SW_JSCAN_STRING;
		v->raw = (const char *)start;
		v->len = (size_t)(p - start);
		v->escaped = escaped;
	}
	s->p = p + 1;
	return 0;
}

/* A number at s->p: jansson's lex_scan_number() grammar; integers must fit
 * int64 (strtoll without ERANGE), reals must not overflow (strtod without
 * HUGE_VAL). */
static int scan_number(struct scan *s, struct sw_jscan_val *v)
{
	const unsigned char *p = s->p, *end = s->end, *start = p, *digits;
	int neg = 0, real = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	digits = p;
	if (p >= end)
		return -1;
	if (*p == '0') {
		p++;
		if (p < end && is_digit(*p))
			return -1; /* no leading zeros */
	} else if (is_digit(*p)) {
		while (p < end && is_digit(*p))
			p++;
	} else {
		return -1;
	}
	const unsigned char *int_end = p;
	if (p < end && *p == '.') {
		p++;
		if (p >= end || !is_digit(*p))
			return -1;
		while (p < end && is_digit(*p))
			p++;
		real = 1;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !is_digit(*p))
			return -1;
		while (p < end && is_digit(*p))
			p++;
		real = 1;
	}
	struct sw_jscan_val nv = {real ? SW_JSCAN_REAL : SW_JSCAN_INTEGER, (const char *)start,
	                          (size_t)(p - start), 0};
	if (!real) {
		uint64_t acc = 0, limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
		for (const unsigned char *d = digits; d < int_end; d++) {
			unsigned dv = (unsigned)(*d - '0');
			if (acc > (limit - dv) / 10)
				return -1; /* "too big integer" */
			acc = acc * 10 + dv;
		}
	} else {
		double dv;
		int rv = sw_jscan_double(&nv, &dv);
		if (rv == SW_ERR_NOMEM) {
			s->err = SW_ERR_NOMEM;
			return -1;
		}
		if (rv || isinf(dv))
			return -1; /* "real number overflow" */
	}
	if (v)
		*v = nv;
	s->p = p;
	return 0;
}

static int scan_literal(struct scan *s, struct sw_jscan_val *v, const char *word,
                        enum sw_jscan_type type)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return -1;
	if (v) {
		v->type = type;
		v->raw = (const char *)s->p;
		v->len = n;
		v->escaped = 0;
	}
	s->p += n;
	/* "nullx" is refused by the grammar: what follows must be a
	 * delimiter, which the caller checks. */
	return 0;
}

/* Decodes one character of string text at |*pp| (validated) into |buf|
 * (up to 4 bytes); returns the byte count and advances |*pp|. */
static size_t decode_one(const char **pp, char buf[4])
{
	const unsigned char *p = (const unsigned char *)*pp;
	uint32_t cp;

	if (*p != '\\') {
		buf[0] = (char)*p;
		*pp += 1;
		return 1;
	}
	switch (p[1]) {
	case 'b': buf[0] = '\b'; break;
	case 'f': buf[0] = '\f'; break;
	case 'n': buf[0] = '\n'; break;
	case 'r': buf[0] = '\r'; break;
	case 't': buf[0] = '\t'; break;
	case 'u': {
		unsigned hi = 0, lo = 0; /* validated text: hex4() succeeds */
		hex4(p + 2, p + 6, &hi);
		*pp += 6;
		cp = hi;
		if (hi >= 0xD800 && hi <= 0xDBFF) {
			hex4(p + 8, p + 12, &lo);
			*pp += 6;
			cp = ((hi - 0xD800) << 10) + (lo - 0xDC00) + 0x10000;
		}
		if (cp < 0x80) {
			buf[0] = (char)cp;
			return 1;
		}
		if (cp < 0x800) {
			buf[0] = (char)(0xC0 | (cp >> 6));
			buf[1] = (char)(0x80 | (cp & 0x3F));
			return 2;
		}
		if (cp < 0x10000) {
			buf[0] = (char)(0xE0 | (cp >> 12));
			buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
			buf[2] = (char)(0x80 | (cp & 0x3F));
			return 3;
		}
		buf[0] = (char)(0xF0 | (cp >> 18));
		buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		buf[3] = (char)(0x80 | (cp & 0x3F));
		return 4;
	}
	default: buf[0] = (char)p[1]; break; /* '"', '\\', '/' */
	}
	*pp += 2;
	return 1;
}

/* Whether string text |raw|/|len| decodes to exactly |t|/|tlen|. */
static int text_eq(const char *raw, size_t len, int escaped, const char *t, size_t tlen)
{
	if (!escaped)
		return len == tlen && memcmp(raw, t, len) == 0;
	const char *p = raw, *end = raw + len;
	size_t off = 0;
	while (p < end) {
		char b[4];
		size_t n = decode_one(&p, b);
		if (off + n > tlen || memcmp(t + off, b, n) != 0)
			return 0;
		off += n;
	}
	return off == tlen;
}

static void pick_set(struct scan *s, uint32_t mask, unsigned level, const struct sw_jscan_val *v)
{
	for (size_t i = 0; mask && i < s->npicks; i++, mask >>= 1)
		if ((mask & 1u) && s->ptrs[i].n == level)
			s->picks[i].v = *v;
}

static int scan_value(struct scan *s, unsigned depth, uint32_t mask, unsigned level,
                      struct sw_jscan_val *out);

/* After an object member or array element: a ',' (skipped with the white
 * space after it; returns 1, another item follows) or |close| (skipped;
 * returns 0). Returns -1 on anything else. */
static int after_item(struct scan *s, char close)
{
	skip_ws(s);
	if (s->p >= s->end)
		return -1;
	if (*s->p == ',') {
		s->p++;
		skip_ws(s);
		return 1;
	}
	if (*s->p != close)
		return -1;
	s->p++;
	return 0;
}

static int scan_object(struct scan *s, unsigned depth, uint32_t mask, unsigned level)
{
	s->p++; /* '{' */
	skip_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 0;
	}
	for (;;) {
		struct sw_jscan_val key;
		uint32_t child = 0;

		if (s->p >= s->end || *s->p != '"' || scan_string(s, &key))
			return -1;
		skip_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return -1;
		s->p++;
		skip_ws(s);
		for (size_t i = 0; mask && i < s->npicks; i++) {
			const struct jptr *jp = &s->ptrs[i];
			if (!(mask & (1u << i)) || jp->n <= level || jp->seg[level].is_index)
				continue;
			if (!text_eq(key.raw, key.len, key.escaped, jp->seg[level].s, jp->seg[level].len))
				continue;
			child |= 1u << i;
			/* A later duplicate key replaces the whole member (jansson's
			 * object set): forget what an earlier one gave. */
			if (jp->n > level + 1)
				s->picks[i].v.type = SW_JSCAN_ABSENT;
		}
		if (scan_value(s, depth + 1, child, level + 1, NULL))
			return -1;
		int more = after_item(s, '}');
		if (more <= 0)
			return more;
	}
}

static int scan_array(struct scan *s, unsigned depth, uint32_t mask, unsigned level)
{
	long idx = 0;

	s->p++; /* '[' */
	skip_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 0;
	}
	for (;; idx++) {
		uint32_t child = 0;
		for (size_t i = 0; mask && i < s->npicks; i++) {
			const struct jptr *jp = &s->ptrs[i];
			if ((mask & (1u << i)) && jp->n > level && jp->seg[level].is_index &&
			    jp->seg[level].idx == idx)
				child |= 1u << i;
		}
		if (scan_value(s, depth + 1, child, level + 1, NULL))
			return -1;
		int more = after_item(s, ']');
		if (more <= 0)
			return more;
	}
}

/* One value at s->p (white space already skipped); |out| (may be NULL)
 * receives it. */
static int scan_value(struct scan *s, unsigned depth, uint32_t mask, unsigned level,
                      struct sw_jscan_val *out)
{
	struct sw_jscan_val v;
	const unsigned char *start = s->p;
	int rv;

	/* jansson counts every value, scalars included, against its limit */
	if (depth > SW_JSCAN_MAX_DEPTH || s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '{':
	case '[':
		if (*s->p == '{') {
			v.type = SW_JSCAN_OBJECT;
			rv = scan_object(s, depth, mask, level);
		} else {
			v.type = SW_JSCAN_ARRAY;
			rv = scan_array(s, depth, mask, level);
		}
		v.raw = (const char *)start;
		v.len = (size_t)(s->p - start);
		v.escaped = 0;
		break;
	case '"':
		rv = scan_string(s, &v);
		break;
	case 't':
		rv = scan_literal(s, &v, "true", SW_JSCAN_TRUE);
		break;
	case 'f':
		rv = scan_literal(s, &v, "false", SW_JSCAN_FALSE);
		break;
	case 'n':
		rv = scan_literal(s, &v, "null", SW_JSCAN_NULL);
		break;
	default:
		rv = (*s->p == '-' || is_digit(*s->p)) ? scan_number(s, &v) : -1;
		break;
	}
	if (rv)
		return -1;
	/* jansson quirk, reproduced on purpose: the byte after a number or a
	 * literal is pushed back into its one-character buffer, where a NUL
	 * reads as "empty", so a single NUL byte right there is skipped
	 * ("[1\0]" and "true\0" load). */
	if ((v.type < SW_JSCAN_STRING && v.type != SW_JSCAN_ABSENT) && s->p < s->end && *s->p == '\0')
		s->p++;
	pick_set(s, mask, level, &v);
	if (out)
		*out = v;
	return 0;
}

static int parse_pointers(const struct sw_jscan_pick *picks, size_t n, struct jptr *ptrs)
{
	if (n > SW_JSCAN_MAX_PICKS || (n && !picks))
		return SW_ERR_INVALID;
	for (size_t i = 0; i < n; i++) {
		const char *p = picks[i].ptr;
		struct jptr *jp = &ptrs[i];
		jp->n = 0;
		if (!p)
			return SW_ERR_INVALID;
		if (!*p)
			continue;
		if (*p != '/' || strchr(p, '~'))
			return SW_ERR_INVALID;
		while (*p == '/') {
			const char *t = p + 1, *e = strchr(t, '/');
			size_t len = e ? (size_t)(e - t) : strlen(t);
			struct jseg *sg;
			if (jp->n == SW_JSCAN_MAX_SEGS)
				return SW_ERR_INVALID;
			sg = &jp->seg[jp->n++];
			sg->s = t;
			sg->len = len;
			sg->is_index = len > 0 && strspn(t, "0123456789") >= len;
			sg->idx = -1;
			/* RFC 6901: no leading zeros; longer than 18 digits names nothing */
			if (sg->is_index && (len == 1 || t[0] != '0') && len <= 18)
				sg->idx = strtol(t, NULL, 10);
			p = t + len;
		}
	}
	return 0;
}

static void picks_clear(struct sw_jscan_pick *picks, size_t n)
{
	for (size_t i = 0; i < n; i++)
		memset(&picks[i].v, 0, sizeof(picks[i].v));
}

/* The whole document: one value and nothing but white space after it. */
static int scan_doc(struct scan *s, uint32_t mask, sw_jscan_each_fn fn, void *arg,
                    enum sw_jscan_type *root_type, int *fn_rv)
{
	skip_ws(s);
	if (fn && s->p < s->end && *s->p == '[') {
		long idx = 0;
		if (root_type)
			*root_type = SW_JSCAN_ARRAY;
		s->p++;
		skip_ws(s);
		if (s->p < s->end && *s->p == ']') {
			s->p++;
		} else {
			for (;; idx++) {
				struct sw_jscan_val elem;
				picks_clear(s->picks, s->npicks);
				if (scan_value(s, 2, mask, 0, &elem))
					return -1;
				*fn_rv = fn(arg, (size_t)idx, &elem, s->picks, s->npicks);
				if (*fn_rv)
					return 0;
				skip_ws(s);
				if (s->p >= s->end)
					return -1;
				if (*s->p == ',') {
					s->p++;
					skip_ws(s);
					continue;
				}
				if (*s->p != ']')
					return -1;
				s->p++;
				break;
			}
		}
	} else {
		struct sw_jscan_val root;
		if (scan_value(s, 1, fn ? 0 : mask, 0, &root))
			return -1;
		if (root_type)
			*root_type = root.type;
	}
	skip_ws(s);
	return s->p == s->end ? 0 : -1;
}

static int run(const char *doc, size_t len, struct sw_jscan_pick *picks, size_t npicks,
               sw_jscan_each_fn fn, void *arg, enum sw_jscan_type *root_type)
{
	struct jptr ptrs[SW_JSCAN_MAX_PICKS];
	struct scan s;
	int rv, fn_rv = 0;

	if (root_type)
		*root_type = SW_JSCAN_ABSENT;
	rv = parse_pointers(picks, npicks, ptrs);
	if (rv)
		return rv;
	picks_clear(picks, npicks);
	if (!doc)
		return SW_ERR_PARSE;
	s.p = (const unsigned char *)doc;
	s.end = s.p + len;
	s.picks = picks;
	s.ptrs = ptrs;
	s.npicks = npicks;
	s.err = SW_ERR_PARSE;
	uint32_t mask = npicks ? (uint32_t)((1ull << npicks) - 1) : 0;
	if (scan_doc(&s, mask, fn, arg, root_type, &fn_rv)) {
		picks_clear(picks, npicks);
		if (root_type)
			*root_type = SW_JSCAN_ABSENT;
		return s.err;
	}
	return fn_rv;
}

int sw_jscan(const char *doc, size_t len, struct sw_jscan_pick *picks, size_t npicks)
{
	return run(doc, len, picks, npicks, NULL, NULL, NULL);
}

int sw_jscan_each(const char *doc, size_t len, struct sw_jscan_pick *picks, size_t npicks,
                  sw_jscan_each_fn fn, void *arg, enum sw_jscan_type *root_type)
{
	if (!fn)
		return SW_ERR_INVALID;
	return run(doc, len, picks, npicks, fn, arg, root_type);
}

long sw_jscan_str(const struct sw_jscan_val *v, char *out, size_t outlen)
{
	size_t off = 0;

	if (!v || v->type != SW_JSCAN_STRING)
		return SW_ERR_INVALID;
	if (!v->escaped) {
		if (outlen) {
			size_t n = v->len < outlen - 1 ? v->len : outlen - 1;
			memcpy(out, v->raw, n);
			out[n] = '\0';
		}
		return (long)v->len;
	}
	const char *p = v->raw, *end = v->raw + v->len;
	while (p < end) {
		/* the plain run up to the next escape in one copy */
		const char *bs = memchr(p, '\\', (size_t)(end - p)), *stop = bs ? bs : end;
		size_t run = (size_t)(stop - p);
		if (run) {
			if (off + 1 < outlen)
				memcpy(out + off, p, run < outlen - 1 - off ? run : outlen - 1 - off);
			off += run;
			p = stop;
			continue;
		}
		char b[4];
		size_t n = decode_one(&p, b);
		for (size_t i = 0; i < n; i++, off++)
			if (off + 1 < outlen)
				out[off] = b[i];
	}
	if (outlen)
		out[off < outlen ? off : outlen - 1] = '\0';
	return (long)off;
}

int sw_jscan_streq(const struct sw_jscan_val *v, const char *s)
{
	if (!v || v->type != SW_JSCAN_STRING || !s)
		return 0;
	return text_eq(v->raw, v->len, v->escaped, s, strlen(s));
}

int sw_jscan_double(const struct sw_jscan_val *v, double *out)
{
	char stack[64], *buf = stack;

	if (!v || (v->type != SW_JSCAN_INTEGER && v->type != SW_JSCAN_REAL))
		return SW_ERR_INVALID;
	/* strtod needs a NUL after the number; the document has none. */
	if (v->len >= sizeof(stack)) {
		buf = malloc(v->len + 1);
		if (!buf)
			return SW_ERR_NOMEM;
	}
	memcpy(buf, v->raw, v->len);
	buf[v->len] = '\0';
	errno = 0;
	*out = strtod(buf, NULL);
	if (buf != stack)
		free(buf);
	return 0;
}
