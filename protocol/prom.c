#include "prom.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"

/* Every writer below ORs the evbuffer results into one "failed" flag: the
 * first allocation failure makes the call return SW_ERR_NOMEM (the caller
 * drops the half-written buffer). */

/* Appends |s| escaped: HELP text escapes backslash and newline; label values
 * also the double quote (exposition format 0.0.4). Returns nonzero on failure. */
static int add_escaped(struct evbuffer *out, const char *s, int quote)
{
	const char *run = s;
	int bad = 0;
	for (; *s; s++) {
		const char *rep = NULL;
		if (*s == '\\')
			rep = "\\\\";
		else if (*s == '\n')
			rep = "\\n";
		else if (quote && *s == '"')
			rep = "\\\"";
		if (!rep)
			continue;
		bad |= evbuffer_add(out, run, (size_t)(s - run)) != 0;
		bad |= evbuffer_add(out, rep, 2) != 0;
		run = s + 1;
	}
	bad |= evbuffer_add(out, run, (size_t)(s - run)) != 0;
	return bad;
}

/* Formats like Prometheus clients: integers without exponent, otherwise the
 * shortest representation that parses back to the same double. */
static void format_double(char *buf, size_t len, double v)
{
	if (isnan(v)) {
		snprintf(buf, len, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(buf, len, "%.0f", v);
		if (strcmp(buf, "-0") == 0)
			snprintf(buf, len, "0");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

int prom_family(struct evbuffer *out, const char *name, const char *type, const char *help)
{
	int bad = evbuffer_add_printf(out, "# HELP %s ", name) < 0;
	bad |= add_escaped(out, help ? help : "", 0);
	bad |= evbuffer_add_printf(out, "\n# TYPE %s %s\n", name, type) < 0;
	return bad ? SW_ERR_NOMEM : 0;
}

/* Writes "name{k="v",...,extra_k="extra_v"}" (braces only when there are
 * labels). Returns nonzero on failure. */
static int add_name_labels(struct evbuffer *out, const char *name, const char *suffix,
                           const char *const *labels, const char *extra_k, const char *extra_v)
{
	int first = 1, bad;
	bad = evbuffer_add(out, name, strlen(name)) != 0;
	if (suffix)
		bad |= evbuffer_add(out, suffix, strlen(suffix)) != 0;
	for (size_t i = 0; labels && labels[i] && labels[i + 1]; i += 2) {
		bad |= evbuffer_add(out, first ? "{" : ",", 1) != 0;
		first = 0;
		bad |= evbuffer_add(out, labels[i], strlen(labels[i])) != 0;
		bad |= evbuffer_add(out, "=\"", 2) != 0;
		bad |= add_escaped(out, labels[i + 1], 1);
		bad |= evbuffer_add(out, "\"", 1) != 0;
	}
	if (extra_k) {
		bad |= evbuffer_add(out, first ? "{" : ",", 1) != 0;
		first = 0;
		bad |= evbuffer_add_printf(out, "%s=\"", extra_k) < 0;
		bad |= add_escaped(out, extra_v, 1);
		bad |= evbuffer_add(out, "\"", 1) != 0;
	}
	if (!first)
		bad |= evbuffer_add(out, "}", 1) != 0;
	return bad;
}

int prom_sample(struct evbuffer *out, const char *name, const char *const *labels, double value)
{
	char num[64];
	int bad;
	format_double(num, sizeof(num), value);
	bad = add_name_labels(out, name, NULL, labels, NULL, NULL);
	bad |= evbuffer_add_printf(out, " %s\n", num) < 0;
	return bad ? SW_ERR_NOMEM : 0;
}

int prom_sample_u64(struct evbuffer *out, const char *name, const char *const *labels,
                    uint64_t value)
{
	int bad = add_name_labels(out, name, NULL, labels, NULL, NULL);
	bad |= evbuffer_add_printf(out, " %" PRIu64 "\n", value) < 0;
	return bad ? SW_ERR_NOMEM : 0;
}

int prom_histogram(struct evbuffer *out, const char *name, const char *const *labels,
                   const double *le, const uint64_t *counts, size_t n, double sum,
                   uint64_t count)
{
	char num[64];
	uint64_t cum = 0;
	int bad = 0;
	for (size_t i = 0; i <= n; i++) {
		cum += counts ? counts[i] : 0;
		if (i < n)
			format_double(num, sizeof(num), le[i]);
		else
			snprintf(num, sizeof(num), "+Inf");
		bad |= add_name_labels(out, name, "_bucket", labels, "le", num);
		bad |= evbuffer_add_printf(out, " %" PRIu64 "\n", cum) < 0;
	}
	format_double(num, sizeof(num), sum);
	bad |= add_name_labels(out, name, "_sum", labels, NULL, NULL);
	bad |= evbuffer_add_printf(out, " %s\n", num) < 0;
	bad |= add_name_labels(out, name, "_count", labels, NULL, NULL);
	bad |= evbuffer_add_printf(out, " %" PRIu64 "\n", count) < 0;
	return bad ? SW_ERR_NOMEM : 0;
}
