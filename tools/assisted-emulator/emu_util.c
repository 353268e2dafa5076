#include "emu_util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"
#include "sw_http.h"

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

