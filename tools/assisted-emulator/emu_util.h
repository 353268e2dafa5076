/*
 * emu_util: small helpers shared by the emulator front end: the allocation
 * policy of tools/ (allocate or abort with a message, tools/README.md §4) and the
 * parsing of human durations ("50ms", "1.5s", "2m") used by the CLI and the
 * fault specs. No I/O besides the abort message.
 */
#ifndef EMU_UTIL_H
#define EMU_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* calloc(|n|, |size|) that aborts with a message on failure; never returns NULL.
 * Frees: free(). */
void *emu_util_xcalloc(size_t n, size_t size);
/* malloc(|size|) that aborts on failure; never returns NULL. Frees: free(). */
void *emu_util_xmalloc(size_t size);
/* strdup(|s|) that aborts on failure; returns NULL only when |s| is NULL. Frees: free(). */
char *emu_util_xstrdup(const char *s);

/*
 * Parses a duration: a non-negative decimal number followed by a unit
 * "ns", "us", "ms", "s", "m" or "h" (a bare number means seconds).
 * Stores nanoseconds in |*ns|. Returns 0, or SW_ERR_INVALID for anything
 * else (empty, negative, unknown unit, overflow past ~292 years).
 */
int emu_util_parse_duration(const char *s, uint64_t *ns);

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
