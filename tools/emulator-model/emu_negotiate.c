/*
 * The service framework's content negotiation (emu_opmeta.h): Go's
 * mime.ParseMediaType for Content-Type, go-openapi's Accept parser and
 * NegotiateContentType, and the messages of its 400/406/415 errors. The
 * parsers copy the quirks on purpose (Accept parameters are skipped byte by
 * byte up to "q=", a bad quality drops the rest of the field): the point is
 * to refuse exactly what the service refuses.
 */
#include "emu_opmeta.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const struct emu_op_meta *emu_op_meta_find(const char *name)
{
	for (size_t i = 0; name && i < emu_op_nmetas; i++)
		if (strcmp(emu_op_metas[i].operation, name) == 0)
			return &emu_op_metas[i];
	return NULL;
}

/* ---- Go's mime.ParseMediaType ------------------------------------------------------------ */

/* RFC 1521 token characters, as Go's mime package (isTokenChar). */
static int mime_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x80 && !strchr("()<>@,;:\\\"/[]?=", c);
}

static int go_space(unsigned char c)
{
	/* unicode.IsSpace for the ASCII range (the header is bytes here). */
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' ||
	       c == 0x85 || c == 0xa0;
}

static const char *skip_go_space(const char *p)
{
	while (*p && go_space((unsigned char)*p))
		p++;
	return p;
}

static size_t token_len(const char *p)
{
	size_t n = 0;
	while (p[n] && mime_token_char((unsigned char)p[n]))
		n++;
	return n;
}

/* consumeValue: a token or a quoted string; returns the rest, or NULL when
 * nothing was consumed (Go returns the input unchanged). */
static const char *consume_value(const char *p, char *val, size_t vlen)
{
	size_t o = 0;
	if (!*p)
		return NULL;
	if (*p != '"') {
		size_t n = token_len(p);
		if (!n)
			return NULL;
		snprintf(val, vlen, "%.*s", (int)n, p);
		return p + n;
	}
	for (const char *q = p + 1; *q; q++) {
		char c = *q;
		if (c == '"') {
			if (vlen)
				val[o < vlen ? o : vlen - 1] = '\0';
			return q + 1;
		}
		if (c == '\\' && q[1] && strchr("()<>@,;:\\\"/[]?=", q[1]))
			c = *++q;
		else if (c == '\r' || c == '\n')
			return NULL;
		if (o + 1 < vlen)
			val[o++] = c;
	}
	return NULL; /* no closing quote */
}

int emu_mime_parse(const char *v, char *mt, size_t mtlen, const char **why)
{
	/* The media type is what precedes the first ';', trimmed and lower-cased. */
	const char *semi = strchr(v, ';');
	size_t blen = semi ? (size_t)(semi - v) : strlen(v);
	const char *b = v, *e = v + blen;
	while (b < e && go_space((unsigned char)*b))
		b++;
	while (e > b && go_space((unsigned char)e[-1]))
		e--;
	size_t n = (size_t)(e - b), t = 0, st;
	/* checkMediaTypeDisposition, on the whole of it (token bytes are ASCII:
	 * lower-casing does not change them) */
	while (t < n && mime_token_char((unsigned char)b[t]))
		t++;
	if (!t) {
		*why = "mime: no media type";
		return -1;
	}
	if (t < n) {
		if (b[t] != '/') {
			*why = "mime: expected slash after first token";
			return -1;
		}
		for (st = 0; t + 1 + st < n && mime_token_char((unsigned char)b[t + 1 + st]); st++)
			;
		if (!st) {
			*why = "mime: expected token after slash";
			return -1;
		}
		if (t + 1 + st < n) {
			*why = "mime: unexpected content after media subtype";
			return -1;
		}
	}
	if (n >= mtlen)
		n = mtlen ? mtlen - 1 : 0;
	for (size_t i = 0; i < n; i++)
		mt[i] = (char)((b[i] >= 'A' && b[i] <= 'Z') ? b[i] - 'A' + 'a' : b[i]);
	if (mtlen)
		mt[n] = '\0';
	/* Parameters: "; key=value" pairs; a lone trailing ';' is fine. */
	char keys[8][64];
	char vals[8][128];
	size_t nk = 0;
	const char *p = v + blen;
	while (*p) {
		p = skip_go_space(p);
		if (!*p)
			break;
		const char *q = p;
		if (*q != ';')
			goto bad;
		q = skip_go_space(q + 1);
		size_t kl = token_len(q);
		if (!kl) {
			if (*skip_go_space(p + 1) == '\0')
				break; /* trailing semicolon */
			goto bad;
		}
		char key[64], val[128] = "";
		snprintf(key, sizeof(key), "%.*s", (int)kl, q);
		for (char *k = key; *k; k++)
			if (*k >= 'A' && *k <= 'Z')
				*k = (char)(*k - 'A' + 'a');
		q = skip_go_space(q + kl);
		if (*q != '=')
			goto bad;
		q = skip_go_space(q + 1);
		const char *rest = consume_value(q, val, sizeof(val));
		if (!rest)
			goto bad;
		for (size_t i = 0; i < nk && !strchr(key, '*'); i++)
			if (strcmp(keys[i], key) == 0 && strcmp(vals[i], val) != 0) {
				*why = "mime: duplicate parameter name";
				return -1;
			}
		if (nk < sizeof(keys) / sizeof(keys[0])) {
			snprintf(keys[nk], sizeof(keys[nk]), "%s", key);
			snprintf(vals[nk], sizeof(vals[nk]), "%s", val);
			nk++;
		}
		p = rest;
	}
	return 0;
bad:
	*why = "mime: invalid media parameter";
	return -1;
}

/* ---- go-openapi's Accept parsing (middleware/header) ------------------------------------ */

/* RFC 2616 separators and controls are not token bytes (header.octetTypes). */
static int http_token_char(unsigned char c)
{
	return c > 31 && c < 127 && !strchr(" \t\"(),/:;<=>?@[]\\{}", c);
}

static int http_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *skip_http_space(const char *s)
{
	while (*s && http_space((unsigned char)*s))
		s++;
	return s;
}

/* expectQuality: returns the quality (-1 when invalid) and advances |*s|. */
static double expect_quality(const char **s)
{
	const char *p = *s;
	double q;
	if (*p == '0')
		q = 0;
	else if (*p == '1')
		q = 1;
	else {
		*s = p + strlen(p);
		return -1;
	}
	p++;
	if (*p != '.') {
		*s = p;
		return q;
	}
	p++;
	double num = 0, den = 1;
	while (*p >= '0' && *p <= '9') {
		num = num * 10 + (*p - '0');
		den *= 10;
		p++;
	}
	*s = p;
	return q + num / den;
}

struct accept_spec {
	const char *value;
	size_t len;
	double q;
};

#define MAX_SPECS 32

/* header.ParseAccept over one field value. Returns the number of specs. */
static size_t parse_accept(const char *s, struct accept_spec *specs, size_t max)
{
	size_t n = 0;
	while (s && *s && n < max) {
		size_t l = 0;
		while (s[l] && (http_token_char((unsigned char)s[l]) || s[l] == '/'))
			l++;
		if (!l)
			break;
		struct accept_spec sp = {s, l, 1.0};
		s = skip_http_space(s + l);
		if (*s == ';') {
			s = skip_http_space(s + 1);
			while (*s && strncmp(s, "q=", 2) != 0 && *s != ',')
				s = skip_http_space(s + 1);
			if (strncmp(s, "q=", 2) == 0) {
				s += 2;
				sp.q = expect_quality(&s);
				if (sp.q < 0)
					break;
			}
		}
		specs[n++] = sp;
		s = skip_http_space(s);
		if (*s != ',')
			break;
		s = skip_http_space(s + 1);
	}
	return n;
}

static int spec_is(const struct accept_spec *sp, const char *lit)
{
	return sp->len == strlen(lit) && memcmp(sp->value, lit, sp->len) == 0;
}

/* NegotiateContentType: the chosen offer (index into |offers|), -2 for the
 * default offer, -1 for none. */
static int negotiate(const char *accept, const char *const *offers, int have_default)
{
	struct accept_spec specs[MAX_SPECS];
	size_t nspec = accept ? parse_accept(accept, specs, MAX_SPECS) : 0;
	int best = have_default ? -2 : -1;
	double best_q = -1.0;
	int best_wild = 3;
	for (int i = 0; offers && offers[i]; i++) {
		const char *offer = offers[i];
		size_t ol = strcspn(offer, ";");
		if (nspec == 0)
			return i;
		for (size_t k = 0; k < nspec; k++) {
			const struct accept_spec *sp = &specs[k];
			if (sp->q == 0.0 || sp->q < best_q)
				continue;
			if (spec_is(sp, "*/*")) {
				if (sp->q > best_q || best_wild > 2) {
					best_q = sp->q;
					best_wild = 2;
					best = i;
				}
			} else if (sp->len >= 2 && sp->value[sp->len - 2] == '/' &&
			           sp->value[sp->len - 1] == '*') {
				if (ol >= sp->len - 1 && memcmp(offer, sp->value, sp->len - 1) == 0 &&
				    (sp->q > best_q || best_wild > 1)) {
					best_q = sp->q;
					best_wild = 1;
					best = i;
				}
			} else if (sp->len == ol && memcmp(sp->value, offer, ol) == 0 &&
			           (sp->q > best_q || best_wild > 0)) {
				best_q = sp->q;
				best_wild = 0;
				best = i;
			}
		}
	}
	return best;
}

/* fmt's %v of a []string: "[a b]". */
static void list_text(const char *const *l, char *out, size_t len)
{
	size_t o = 0;
	o += (size_t)snprintf(out + o, len - o, "[");
	for (int i = 0; l && l[i] && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? " " : "", l[i]);
	if (o < len)
		snprintf(out + o, len - o, "]");
}

/* Go's %q of |s| (printable ASCII as is, the usual escapes, \xNN otherwise). */
static void go_quote(const char *s, char *out, size_t len)
{
	size_t o = 0;
#define PUT(c) do { if (o + 1 < len) out[o++] = (c); } while (0)
	PUT('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *esc = NULL;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\a': esc = "\\a"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\v': esc = "\\v"; break;
		default: break;
		}
		if (esc) {
			for (; *esc; esc++)
				PUT(*esc);
		} else if (c < 0x20 || c == 0x7f) {
			char hex[5];
			snprintf(hex, sizeof(hex), "\\x%02x", c);
			for (char *h = hex; *h; h++)
				PUT(*h);
		} else {
			PUT((char)c);
		}
	}
	PUT('"');
#undef PUT
	if (len)
		out[o < len ? o : len - 1] = '\0';
}

static int consumes_allows(const char *const *consumes, const char *mt)
{
	if (!consumes || !consumes[0])
		return 1;
	for (int i = 0; consumes[i]; i++)
		if (strcasecmp(consumes[i], mt) == 0 || strcmp(consumes[i], "*/*") == 0)
			return 1;
	/* "type/" + "*" entries, from the type before the first slash */
	const char *slash = strchr(mt, '/');
	if (!slash || strchr(slash + 1, '/'))
		return 0;
	for (int i = 0; consumes[i]; i++) {
		size_t tl = (size_t)(slash - mt);
		if (strlen(consumes[i]) == tl + 2 && strncasecmp(consumes[i], mt, tl) == 0 &&
		    consumes[i][tl] == '/' && consumes[i][tl + 1] == '*')
			return 1;
	}
	return 0;
}

enum emu_negotiate emu_op_negotiate(const struct emu_op_meta *op, const char *content_type,
                                    int has_body, const char *accept, char *msg, size_t msglen)
{
	char mt[128] = "", list[256], q[300];
	int have_default = 0;
	if (msglen)
		msg[0] = '\0';
	if (!op)
		return EMU_NEG_OK;
	if (has_body) {
		const char *ct = content_type ? content_type : "";
		const char *why = NULL;
		if (emu_mime_parse(*ct ? ct : "application/octet-stream", mt, sizeof(mt), &why) < 0) {
			go_quote(ct, q, sizeof(q));
			snprintf(msg, msglen, "parsing Content-Type header from %s failed, because %s", q, why);
			return EMU_NEG_BAD_CONTENT_TYPE;
		}
		if (!consumes_allows(op->consumes, mt)) {
			go_quote(mt, q, sizeof(q));
			list_text(op->consumes, list, sizeof(list));
			snprintf(msg, msglen, "unsupported media type %s, only %s are allowed", q, list);
			return EMU_NEG_UNSUPPORTED;
		}
		have_default = 1; /* the request's own media type */
	}
	if (!op->produces || !op->produces[0])
		return EMU_NEG_OK; /* nothing declared: "*" + "/" + "*" by default */
	if (negotiate(accept, op->produces, have_default) == -1) {
		list_text(op->produces, list, sizeof(list));
		snprintf(msg, msglen, "unsupported media type requested, only %s are available", list);
		return EMU_NEG_NOT_ACCEPTABLE;
	}
	return EMU_NEG_OK;
}
