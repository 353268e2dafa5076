/*
 * emu_util: small parsers shared by the emulator front end: fault rates and
 * query-string parameters. (Allocation and durations come from protocol/util:
 * sw_xalloc.h and sw_duration.h.) No I/O.
 */
#ifndef EMU_UTIL_H
#define EMU_UTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses a probability "0.05" (0 <= p <= 1) into |*p|.
 * Returns 0, or SW_ERR_INVALID.
 */
int emu_util_parse_rate(const char *s, double *p);

/*
 * Finds parameter |name| in the raw query string |query| ("a=1&b=2", no
 * '?'), percent-decodes its value ('+' becomes a space) into |out| (|outlen|
 * bytes, NUL-terminated). Returns the decoded length, SW_ERR_NOT_FOUND when
 * absent, SW_ERR_TOO_BIG when |out| is too small, SW_ERR_PARSE for a bad
 * %-escape.
 */
int emu_util_query_get(const char *query, const char *name, char *out, size_t outlen);

#endif
