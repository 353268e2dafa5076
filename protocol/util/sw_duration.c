/* sw_duration: Go-style duration parser (see sw_duration.h). */
#include "sw_duration.h"

#include <stdlib.h>
#include <string.h>

#include "sw_err.h"

int sw_duration_parse(const char *s, uint64_t *ns)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {
		{"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6}, {"s", 1e9},
		{"m", 60e9}, {"h", 3600e9},
	};
	double total = 0;
	const char *p = s;

	if (!s || !*s)
		return SW_ERR_INVALID;
	if (!strcmp(s, "0")) {
		*ns = 0;
		return 0;
	}
	while (*p) {
		char num[32], *end = NULL;
		size_t nl = strspn(p, "0123456789."), best = 0, bestlen = 0;
		double x;

		/* Only digits and one dot: strtod alone would take "1e3", "inf" or "0x1p3". */
		if (!nl || nl >= sizeof(num))
			return SW_ERR_INVALID;
		memcpy(num, p, nl);
		num[nl] = '\0';
		x = strtod(num, &end);
		if (*end || strchr(num, '.') != strrchr(num, '.'))
			return SW_ERR_INVALID;
		p += nl;
		/* The longest unit wins: the "m" of "ms" is not minutes. */
		for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++) {
			size_t l = strlen(units[i].unit);
			if (!strncmp(p, units[i].unit, l) && l > bestlen) {
				best = i;
				bestlen = l;
			}
		}
		if (!bestlen)
			return SW_ERR_INVALID;
		total += x * units[best].ns;
		p += bestlen;
	}
	/* Go's limit: a duration is an int64 of nanoseconds. */
	if (!(total < 9223372036854775807.0))
		return SW_ERR_INVALID;
	*ns = (uint64_t)(total + 0.5);
	return 0;
}
