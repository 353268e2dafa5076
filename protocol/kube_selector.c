#include "kube_selector.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"

/* Bounds: a selector is a short string; more is an error, not a cost. */
#define SEL_MAX_REQS 64
#define SEL_MAX_VALS 64
#define SEL_MAX_LEN 1024

void kube_selector_free(struct kube_selector **sp)
{
	if (!sp || !*sp)
		return;
	struct kube_selector *s = *sp;
	for (size_t i = 0; i < s->n; i++) {
		free(s->reqs[i].key);
		for (size_t j = 0; j < s->reqs[i].nvals; j++)
			free(s->reqs[i].vals[j]);
		free(s->reqs[i].vals);
	}
	free(s->reqs);
	free(s);
	*sp = NULL;
}

static int name_part_valid(const char *p, size_t n)
{
	if (n == 0 || n > 63 || !isalnum((unsigned char)p[0]) || !isalnum((unsigned char)p[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '-' && p[i] != '_' && p[i] != '.')
			return 0;
	return 1;
}

static int dns_subdomain_valid(const char *p, size_t n)
{
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-' || c == '.'))
			return 0;
	}
	return isalnum((unsigned char)p[0]) && isalnum((unsigned char)p[n - 1]);
}

int kube_label_key_valid(const char *k)
{
	const char *slash = strchr(k, '/');
	if (!slash)
		return name_part_valid(k, strlen(k));
	return dns_subdomain_valid(k, (size_t)(slash - k)) && name_part_valid(slash + 1, strlen(slash + 1));
}

int kube_label_value_valid(const char *v)
{
	size_t n = strlen(v);
	return n == 0 || name_part_valid(v, n);
}

struct parser {
	const char *s;
	size_t i;
	int field;
	char *err;
	size_t errlen;
};

static void skip_ws(struct parser *p)
{
	while (p->s[p->i] == ' ' || p->s[p->i] == '\t')
		p->i++;
}

/* Reads an identifier or value token up to a delimiter. Returns a malloc'ed copy. */
static char *token(struct parser *p)
{
	skip_ws(p);
	size_t st = p->i;
	while (p->s[p->i] && !strchr(" \t,=!()<>", p->s[p->i]))
		p->i++;
	size_t n = p->i - st;
	char *t = malloc(n + 1);
	if (!t)
		return NULL;
	memcpy(t, p->s + st, n);
	t[n] = '\0';
	return t;
}

static int fail(struct parser *p, const char *what)
{
	snprintf(p->err, p->errlen, "unable to parse requirement: %s (at offset %zu of \"%s\")", what,
	         p->i, p->s);
	return SW_ERR_PARSE;
}

static int add_val(struct kube_sel_req *r, char *v)
{
	if (!v)
		return SW_ERR_NOMEM;
	if (r->nvals == SEL_MAX_VALS) {
		free(v);
		return SW_ERR_PARSE;
	}
	char **nv = realloc(r->vals, (r->nvals + 1) * sizeof(*nv));
	if (!nv) {
		free(v);
		return SW_ERR_NOMEM;
	}
	r->vals = nv;
	r->vals[r->nvals++] = v;
	return 0;
}

static int parse_value_checked(struct parser *p, struct kube_sel_req *r)
{
	char *v = token(p);
	if (!v)
		return SW_ERR_NOMEM;
	if (!p->field && !kube_label_value_valid(v)) {
		free(v);
		return fail(p, "invalid label value: must be 63 characters or less, alphanumeric, '-', '_' or '.'");
	}
	return add_val(r, v);
}

static int parse_req(struct parser *p, struct kube_sel_req *r)
{
	skip_ws(p);
	const char *s = p->s;
	if (s[p->i] == '!') {
		if (p->field)
			return fail(p, "field selectors support only =, == and !=");
		p->i++;
		r->op = KUBE_SEL_NOT_EXISTS;
		r->key = token(p);
		if (!r->key)
			return SW_ERR_NOMEM;
		if (!kube_label_key_valid(r->key))
			return fail(p, "invalid label key");
		return 0;
	}
	r->key = token(p);
	if (!r->key)
		return SW_ERR_NOMEM;
	if (!r->key[0])
		return fail(p, "found '', expected: identifier");
	if (!p->field && !kube_label_key_valid(r->key))
		return fail(p, "invalid label key: name part must consist of alphanumeric characters, '-', '_' or '.'");
	skip_ws(p);
	char c = s[p->i];
	if (c == '\0' || c == ',') {
		if (p->field)
			return fail(p, "field selectors need an operator");
		r->op = KUBE_SEL_EXISTS;
		return 0;
	}
	if (c == '=' && s[p->i + 1] == '=') {
		p->i += 2;
		r->op = KUBE_SEL_EQ;
	} else if (c == '=') {
		p->i++;
		r->op = KUBE_SEL_EQ;
	} else if (c == '!' && s[p->i + 1] == '=') {
		p->i += 2;
		r->op = KUBE_SEL_NEQ;
	} else if (!p->field && (c == '>' || c == '<')) {
		p->i++;
		r->op = c == '>' ? KUBE_SEL_GT : KUBE_SEL_LT;
		char *v = token(p);
		if (!v)
			return SW_ERR_NOMEM;
		char *end = NULL;
		errno = 0;
		strtoll(v, &end, 10);
		if (!v[0] || *end || errno) {
			free(v);
			return fail(p, "for 'Gt', 'Lt' operators, the value must be an integer");
		}
		return add_val(r, v);
	} else if (!p->field && (strncmp(s + p->i, "in", 2) == 0 || strncmp(s + p->i, "notin", 5) == 0)) {
		int notin = s[p->i] == 'n';
		p->i += notin ? 5 : 2;
		r->op = notin ? KUBE_SEL_NOTIN : KUBE_SEL_IN;
		skip_ws(p);
		if (s[p->i] != '(')
			return fail(p, "found '', expected: '('");
		p->i++;
		for (;;) {
			int rv = parse_value_checked(p, r);
			if (rv)
				return rv;
			skip_ws(p);
			if (s[p->i] == ',') {
				p->i++;
				continue;
			}
			if (s[p->i] == ')') {
				p->i++;
				break;
			}
			return fail(p, "found unexpected token, expected: ',' or ')'");
		}
		return 0;
	} else {
		return fail(p, "found unexpected operator, expected: '=', '!=', '==', 'in', 'notin'");
	}
	return parse_value_checked(p, r);
}

static int parse(const char *s, struct kube_selector **out, char *err, size_t errlen, int field)
{
	char dummy[8];
	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (errlen)
		err[0] = '\0';
	*out = NULL;
	if (!s)
		return 0;
	struct parser p = {s, 0, field, err, errlen};
	skip_ws(&p);
	if (!s[p.i])
		return 0;
	if (strlen(s) > SEL_MAX_LEN) {
		snprintf(err, errlen, "selector longer than %d characters", SEL_MAX_LEN);
		return SW_ERR_PARSE;
	}
	struct kube_selector *sel = calloc(1, sizeof(*sel));
	if (!sel)
		return SW_ERR_NOMEM;
	int rv = 0;
	for (;;) {
		if (sel->n == SEL_MAX_REQS) {
			rv = fail(&p, "too many requirements");
			break;
		}
		struct kube_sel_req *nr = realloc(sel->reqs, (sel->n + 1) * sizeof(*nr));
		if (!nr) {
			rv = SW_ERR_NOMEM;
			break;
		}
		sel->reqs = nr;
		memset(&sel->reqs[sel->n], 0, sizeof(*nr));
		sel->n++;
		rv = parse_req(&p, &sel->reqs[sel->n - 1]);
		if (rv)
			break;
		skip_ws(&p);
		if (!s[p.i])
			break;
		if (s[p.i] != ',') {
			rv = fail(&p, "found unexpected token, expected: ','");
			break;
		}
		p.i++;
	}
	if (rv) {
		kube_selector_free(&sel);
		return rv;
	}
	*out = sel;
	return 0;
}

int kube_label_selector_parse(const char *s, struct kube_selector **out, char *err, size_t errlen)
{
	return parse(s, out, err, errlen, 0);
}

int kube_field_selector_parse(const char *s, struct kube_selector **out, char *err, size_t errlen)
{
	return parse(s, out, err, errlen, 1);
}

static int in_vals(const struct kube_sel_req *r, const char *v)
{
	for (size_t i = 0; i < r->nvals; i++)
		if (strcmp(r->vals[i], v) == 0)
			return 1;
	return 0;
}

int kube_selector_match(const struct kube_selector *sel, kube_sel_lookup_fn get, void *arg)
{
	if (!sel)
		return 1;
	for (size_t i = 0; i < sel->n; i++) {
		const struct kube_sel_req *r = &sel->reqs[i];
		const char *v = get(arg, r->key);
		int ok = 0;
		switch (r->op) {
		case KUBE_SEL_EQ: ok = v && strcmp(v, r->vals[0]) == 0; break;
		case KUBE_SEL_NEQ: ok = !v || strcmp(v, r->vals[0]) != 0; break;
		case KUBE_SEL_IN: ok = v && in_vals(r, v); break;
		case KUBE_SEL_NOTIN: ok = !v || !in_vals(r, v); break;
		case KUBE_SEL_EXISTS: ok = v != NULL; break;
		case KUBE_SEL_NOT_EXISTS: ok = v == NULL; break;
		case KUBE_SEL_GT:
		case KUBE_SEL_LT: {
			char *end = NULL;
			long long x = v ? strtoll(v, &end, 10) : 0;
			long long y = strtoll(r->vals[0], NULL, 10);
			ok = v && *v && !*end && (r->op == KUBE_SEL_GT ? x > y : x < y);
			break;
		}
		}
		if (!ok)
			return 0;
	}
	return 1;
}
