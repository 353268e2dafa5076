/*
 * prom_parse: Prometheus text exposition reader (see prom_parse.h).
 * Each line is copied into one buffer and parsed in place: label values
 * are unescaped over their own bytes, so the pointers handed to the
 * callback point into that buffer.
 */
#include "prom_parse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"

static int name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static int name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

static char *skip_blank(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Parses a metric or label name at |*pp|; returns its start and
 * NUL-terminates it lazily through |*end|. NULL when none. */
static char *take_name(char **pp, int metric)
{
	char *p = *pp, *s = p;
	if (!name_start(*p) || (!metric && *p == ':'))
		return NULL;
	while (name_char(*p) && (metric || *p != ':'))
		p++;
	*pp = p;
	return s;
}

/* Unescapes a quoted label value starting after the opening quote; returns
 * the position after the closing quote, or NULL. */
static char *take_value(char *p, char **val)
{
	char *w = p;
	*val = p;
	for (;;) {
		char c = *p++;
		if (c == '\0')
			return NULL;
		if (c == '"')
			break;
		if (c == '\\') {
			char e = *p++;
			if (e == 'n')
				c = '\n';
			else if (e == '\\' || e == '"')
				c = e;
			else
				return NULL;
		}
		*w++ = c;
	}
	*w = '\0';
	return p;
}

static int parse_value(const char *s, double *out)
{
	char *end = NULL;
	if (!strcmp(s, "+Inf") || !strcmp(s, "Inf")) {
		*out = INFINITY;
		return 0;
	}
	if (!strcmp(s, "-Inf")) {
		*out = -INFINITY;
		return 0;
	}
	if (!strcmp(s, "NaN")) {
		*out = NAN;
		return 0;
	}
	if (!*s)
		return -1;
	*out = strtod(s, &end);
	return *end ? -1 : 0;
}

static int fail(char *err, size_t errlen, unsigned line, const char *why)
{
	snprintf(err, errlen, "line %u: %s", line, why);
	return SW_ERR_PARSE;
}

static int parse_sample(char *p, unsigned ln, prom_sample_fn on_sample, void *arg, char *err,
                        size_t errlen, int *stop)
{
	const char *labels[2 * PROM_PARSE_MAX_LABELS];
	size_t nl = 0;
	char *name = take_name(&p, 1);
	if (!name)
		return fail(err, errlen, ln, "expected a metric name");
	char *name_end = p;
	if (*p == '{') {
		*name_end = '\0';
		p = skip_blank(p + 1);
		while (*p != '}') {
			char *ln_start = take_name(&p, 0);
			if (!ln_start)
				return fail(err, errlen, ln, "expected a label name");
			char *ln_end = p;
			p = skip_blank(p);
			if (*p != '=')
				return fail(err, errlen, ln, "expected '=' after a label name");
			p = skip_blank(p + 1);
			if (*p != '"')
				return fail(err, errlen, ln, "expected a quoted label value");
			*ln_end = '\0';
			char *val;
			p = take_value(p + 1, &val);
			if (!p)
				return fail(err, errlen, ln, "unterminated label value or bad escape");
			if (nl == PROM_PARSE_MAX_LABELS)
				return fail(err, errlen, ln, "too many labels");
			labels[2 * nl] = ln_start;
			labels[2 * nl + 1] = val;
			nl++;
			p = skip_blank(p);
			if (*p == ',')
				p = skip_blank(p + 1);
			else if (*p != '}')
				return fail(err, errlen, ln, "expected ',' or '}' after a label");
		}
		p++;
	}
	if (*p != ' ' && *p != '\t')
		return fail(err, errlen, ln, "expected a space before the value");
	char *rest = p + 1;
	*name_end = '\0'; /* may be the space itself */
	p = skip_blank(rest);
	char *v = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	char *after = p;
	p = skip_blank(p);
	*after = '\0';
	double value;
	if (parse_value(v, &value) < 0)
		return fail(err, errlen, ln, "bad sample value");
	if (*p) { /* optional integer timestamp */
		char *end = NULL;
		strtoll(p, &end, 10);
		if (end == p || *skip_blank(end))
			return fail(err, errlen, ln, "bad timestamp after the value");
	}
	*stop = on_sample ? on_sample(arg, name, labels, nl, value) : 0;
	return 0;
}

static int parse_comment(char *p, prom_type_fn on_type, void *arg, int *stop)
{
	p = skip_blank(p + 1);
	if (strncmp(p, "TYPE", 4) || (p[4] != ' ' && p[4] != '\t'))
		return 0; /* HELP and free comments */
	p = skip_blank(p + 4);
	char *name = take_name(&p, 1);
	if (!name || (*p != ' ' && *p != '\t'))
		return 0;
	*p = '\0';
	char *type = skip_blank(p + 1);
	char *e = type;
	while (*e && *e != ' ' && *e != '\t')
		e++;
	*e = '\0';
	*stop = on_type ? on_type(arg, name, type) : 0;
	return 0;
}

int prom_parse(const char *text, size_t len, prom_type_fn on_type, prom_sample_fn on_sample,
               void *arg, char *err, size_t errlen)
{
	char *line = malloc(PROM_PARSE_MAX_LINE + 1);
	unsigned ln = 0;
	int rv = 0, stop = 0;
	if (!line)
		return SW_ERR_NOMEM;
	size_t i = 0;
	while (i < len && rv == 0 && !stop) {
		size_t j = i;
		while (j < len && text[j] != '\n')
			j++;
		ln++;
		size_t l = j - i;
		if (l && text[j - 1] == '\r')
			l--;
		if (l > PROM_PARSE_MAX_LINE) {
			rv = fail(err, errlen, ln, "line too long");
			break;
		}
		if (memchr(text + i, '\0', l)) {
			rv = fail(err, errlen, ln, "NUL byte");
			break;
		}
		memcpy(line, text + i, l);
		line[l] = '\0';
		char *p = skip_blank(line);
		if (*p == '#')
			rv = parse_comment(p, on_type, arg, &stop);
		else if (*p)
			rv = parse_sample(p, ln, on_sample, arg, err, errlen, &stop);
		i = j + 1;
	}
	free(line);
	return rv;
}
