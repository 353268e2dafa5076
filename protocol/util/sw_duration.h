/*
 * sw_duration: the one duration syntax of the swarm's configuration and
 * command line and of the emulator's command line: Go's time.ParseDuration
 * without signs. A duration is one or more "<decimal number><unit>" pairs,
 * units ns, us (or µs), ms, s, m, h: "250ms", "30s", "1h30m", "1.5s",
 * "1m30s500ms". A bare number is refused (is "10" seconds or milliseconds?),
 * except "0", which means zero as in Go.
 */
#ifndef SW_DURATION_H
#define SW_DURATION_H

#include <stdint.h>

/*
 * Parses the duration |s| into nanoseconds (rounded to the nearest) in
 * |*ns|. Returns 0, or SW_ERR_INVALID (|*ns| untouched) for NULL, an empty
 * string, a sign, a bare number other than "0", an unknown unit, a number
 * with an exponent or two dots, or a total of 2^63 ns (~292 years) or more.
 */
int sw_duration_parse(const char *s, uint64_t *ns);

#endif
