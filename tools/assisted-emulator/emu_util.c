#include "emu_util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"
#include "sw_http.h"

static void oom(size_t size)
{
	fprintf(stderr, "assisted-emulator: out of memory allocating %zu bytes\n", size);
	abort();
}

void *emu_util_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *emu_util_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (!p)
		oom(size);
	return p;
}

char *emu_util_xstrdup(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = emu_util_xmalloc(n);
	memcpy(p, s, n);
	return p;
}

int emu_util_parse_duration(const char *s, uint64_t *ns)
{
	static const struct { const char *unit; double mult; } units[] = {
		{"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
		{"", 1e9},
	};
	if (!s || !*s || *s == '-' || *s == '+')
		return SW_ERR_INVALID;
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return SW_ERR_INVALID;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) != 0)
			continue;
		double r = v * units[i].mult;
		if (r >= 9.2e18)
			return SW_ERR_INVALID;
		*ns = (uint64_t)llround(r);
		return 0;
	}
	return SW_ERR_INVALID;
}

int emu_util_parse_rate(const char *s, double *p)
{
	if (!s || !*s)
		return SW_ERR_INVALID;
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0.0 || v > 1.0)
		return SW_ERR_INVALID;
	*p = v;
	return 0;
}

int emu_util_query_get(const char *query, const char *name, char *out, size_t outlen)
{
	if (!query || !name || !out || !outlen)
		return SW_ERR_NOT_FOUND;
	size_t nl = strlen(name);
	const char *p = query;
	while (*p) {
		const char *amp = strchr(p, '&');
		const char *end = amp ? amp : p + strlen(p);
		if ((size_t)(end - p) >= nl && memcmp(p, name, nl) == 0 &&
		    (p + nl == end || p[nl] == '=')) {
			const char *v = p + nl + (p + nl < end ? 1 : 0);
			size_t o = 0;
			while (v < end) {
				char c = *v;
				if (c == '%') {
					if (end - v < 3 || sw_hexval(v[1]) < 0 || sw_hexval(v[2]) < 0)
						return SW_ERR_PARSE;
					c = (char)(sw_hexval(v[1]) * 16 + sw_hexval(v[2]));
					v += 3;
				} else {
					if (c == '+')
						c = ' ';
					v++;
				}
				if (o + 1 >= outlen)
					return SW_ERR_TOO_BIG;
				out[o++] = c;
			}
			out[o] = '\0';
			return (int)o;
		}
		if (!amp)
			break;
		p = amp + 1;
	}
	return SW_ERR_NOT_FOUND;
}

